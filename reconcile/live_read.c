/*
 * The live-state reader: only the calls the plan needs (docs/plan.md "Reading live state").
 *
 * Reads are pipelined in rounds, each one cr_aws_perform(): round k holds the next
 * ListIdentityPools page (when discovering), DescribeIdentityPool for the ids of the page
 * received in round k-1, and GetIdentityPoolRoles / GetPrincipalTagAttributeMap for the pools
 * described in round k-1 that the manifests manage. So listing many pages costs little more
 * than describing them, and a region of one page takes three rounds.
 */
#include <stdlib.h>
#include <string.h>

#include "reconcile/desired.h"
#include "reconcile/live.h"

static bool s_is_not_found(const struct cr_aws_call *call)
{
    return call->result == CR_ESERVICE &&
           strcmp(call->error.type, "ResourceNotFoundException") == 0;
}

/* A call failure, named by operation and target (the service's type and message). */
static int s_call_failed(const struct cr_aws_call *call, const char *target)
{
    struct cr_buf msg = CR_BUF_INIT;
    /* aws/ names the call from its own body ("Op target: Type: message", transport
     * failures included); cr_error_last() would hold the first failure of the batch */
    if (cr_aws_call_describe(&msg, call) == 0 && msg.len)
        cr_error_set("%s", msg.ptr);
    else
        cr_error_set("%s %s: %s: %s", cr_cognito_op_name(call->op), target,
                     call->error.type[0] ? call->error.type : cr_error_name(call->result),
                     call->error.message);
    cr_buf_dispose(&msg);
    return call->result;
}

static int s_calls_new(struct cr_aws_call **out, size_t n)
{
    *out = calloc(n ? n : 1, sizeof(**out));
    if (!*out) {
        cr_error_set("out of memory preparing %zu calls", n);
        return CR_ENOMEM;
    }
    return 0;
}

static void s_calls_free(struct cr_aws_call *calls, size_t n)
{
    for (size_t i = 0; calls && i < n; i++)
        cr_aws_call_dispose(&calls[i]);
    free(calls);
}

/* Set once per cr_live_read call: the region wants without one belong to. */
struct s_where {
    const char *region;         /* the client's */
    const char *default_region; /* may be NULL */
};

static bool s_want_here(const struct cr_live_want *w, const struct s_where *at)
{
    const char *r = w->region ? w->region : at->default_region;
    return !r || strcmp(r, at->region) == 0;
}

/* What is read for one described pool beyond DescribeIdentityPool. */
struct s_detail {
    struct cr_live_pool *pool;
    bool roles;
    bool ptags;
    struct cr_strlist providers; /* maps to read: wanted ∩ configured on the live pool */
};

/* The providers whose principal-tag maps are read: the ones the manifest manages that the
 * live pool has configured (a provider being added starts cleared), or with all = NULL every
 * configured provider (export). */
static int s_detail_providers(struct s_detail *d, const struct cr_strlist *wanted)
{
    struct cr_strlist keys = {0};
    const struct cr_cognito_pool *c = &d->pool->config;
    int rc = cr_desired_provider_keys(&keys, c);
    if (rc == 0 && wanted) {
        for (size_t i = 0; rc == 0 && i < wanted->len; i++)
            if (cr_strlist_contains(&keys, wanted->items[i]) &&
                !cr_strlist_contains(&d->providers, wanted->items[i]))
                rc = cr_strlist_push(&d->providers, wanted->items[i]);
    } else if (rc == 0) {
        struct cr_desired_pool tmp;
        cr_desired_pool_init(&tmp);
        tmp.config = *c; /* borrowed: only read, never disposed */
        rc = cr_desired_principal_tag_providers(&d->providers, &tmp);
    }
    cr_strlist_dispose(&keys);
    return rc;
}

static bool s_owned_by(const struct cr_live_pool *p, const char *stack, const char *name)
{
    return p->stack && p->name && strcmp(p->stack, stack) == 0 && strcmp(p->name, name) == 0;
}

/* Decides the detail reads of one described pool; *matched: a want names it. */
static int s_plan_detail(struct s_detail *d, bool *matched, const struct cr_live_want *wants,
                         size_t n, const struct s_where *at,
                         const struct cr_live_read_options *opts)
{
    if (opts->all_details) {
        d->roles = d->ptags = true;
        return s_detail_providers(d, NULL) < 0 ? CR_ENOMEM : 0;
    }
    for (size_t k = 0; k < n; k++) {
        const struct cr_live_want *w = &wants[k];
        if (!s_want_here(w, at))
            continue;
        bool match = w->pool_id ? strcmp(w->pool_id, d->pool->config.id) == 0
                                : s_owned_by(d->pool, opts->stack, w->name);
        if (!match)
            continue;
        *matched = true;
        d->roles |= w->roles;
        if (w->principal_tags) {
            d->ptags = true;
            if (w->providers && s_detail_providers(d, w->providers) < 0)
                return CR_ENOMEM;
        }
    }
    return 0;
}

static size_t s_count_calls(const struct s_detail *details, size_t n)
{
    size_t calls = 0;
    for (size_t i = 0; i < n; i++)
        calls += (details[i].roles ? 1 : 0) + (details[i].ptags ? details[i].providers.len : 0);
    return calls;
}

static int s_store_roles(struct s_detail *d, struct cr_aws_call *call)
{
    struct cr_live_pool *p = d->pool;
    p->has_roles = true;
    if (s_is_not_found(call))
        return 0; /* gone meanwhile: nothing attached */
    if (call->result < 0)
        return s_call_failed(call, p->config.id);
    int rc = cr_cognito_decode_roles(&p->roles, call->response.ptr, call->response.len);
    if (rc < 0)
        cr_error_prefix("GetIdentityPoolRoles %s", p->config.id);
    return rc;
}

static int s_store_ptags(struct s_detail *d, struct cr_aws_call *call, const char *provider)
{
    struct cr_live_pool *p = d->pool;
    struct cr_cognito_principal_tags pt = {0};
    /* Nothing set, or a provider the service does not know for principal tags: cleared. */
    if (s_is_not_found(call) ||
        (call->result == CR_ESERVICE && strcmp(call->error.type, "InvalidParameterException") == 0))
        return 0;
    if (call->result < 0)
        return s_call_failed(call, p->config.id);
    int rc = cr_cognito_decode_principal_tags(&pt, call->response.ptr, call->response.len);
    if (rc == 0 && !pt.provider && !(pt.provider = strdup(provider)))
        rc = CR_ENOMEM;
    struct cr_cognito_principal_tags *grown =
        rc == 0 ? realloc(p->principal_tags, (p->n_principal_tags + 1) * sizeof(*grown)) : NULL;
    if (!grown) {
        cr_cognito_principal_tags_dispose(&pt);
        if (rc == 0)
            cr_error_set("out of memory storing principal tags");
        else
            cr_error_prefix("GetPrincipalTagAttributeMap %s %s", p->config.id, provider);
        return rc < 0 ? rc : CR_ENOMEM;
    }
    p->principal_tags = grown;
    p->principal_tags[p->n_principal_tags++] = pt; /* now owned by the pool */
    return 0;
}

/* Appends the detail calls of d to calls at *k. */
static int s_detail_calls(struct cr_aws_call *calls, size_t *k, struct s_detail *d)
{
    int rc = 0;
    d->pool->has_principal_tags |= d->ptags;
    if (d->roles) {
        cr_aws_call_init(&calls[*k], CR_OP_GET_IDENTITY_POOL_ROLES);
        rc = cr_cognito_encode_pool_id(&calls[(*k)++].body, d->pool->config.id);
    }
    for (size_t j = 0; rc == 0 && d->ptags && j < d->providers.len; j++) {
        cr_aws_call_init(&calls[*k], CR_OP_GET_PRINCIPAL_TAG_ATTRIBUTE_MAP);
        rc = cr_cognito_encode_get_principal_tags(&calls[(*k)++].body, d->pool->config.id,
                                                  d->providers.items[j]);
    }
    return rc;
}

/* Stores the answers of d's detail calls, read from calls at *k. */
static int s_detail_store(struct cr_aws_call *calls, size_t *k, struct s_detail *d)
{
    int rc = 0;
    if (d->roles)
        rc = s_store_roles(d, &calls[(*k)++]);
    for (size_t j = 0; rc == 0 && d->ptags && j < d->providers.len; j++)
        rc = s_store_ptags(d, &calls[(*k)++], d->providers.items[j]);
    return rc;
}

static bool s_needs_discovery(const struct cr_live_want *wants, size_t n, const struct s_where *at,
                              const struct cr_live_read_options *opts)
{
    if (opts->discover)
        return true;
    for (size_t i = 0; i < n; i++)
        if (s_want_here(&wants[i], at) && !wants[i].pool_id)
            return true;
    return false;
}

/* Tag calls address pools by ARN, which needs the account id: resolved (STS, once) only when
 * a pool the plan may tag was found. */
static int s_account(struct cr_live_state *state, struct cr_aws_client *client, const char *region,
                     const struct s_detail *details, size_t n, bool matched)
{
    const char *account = NULL;
    if (!matched)
        return 0;
    int rc = cr_aws_client_account_id(client, &account);
    if (rc < 0)
        return rc;
    if (cr_strmap_set(&state->account_ids, region, account) < 0) {
        cr_error_set("out of memory recording the account id");
        return CR_ENOMEM;
    }
    return 0;
}

#define S_MAX_PAGES 10000 /* ListIdentityPools pages (60 pools each) before giving up */

/* The pipeline's state between rounds. */
struct s_reader {
    struct cr_live_state *state;
    struct cr_aws_client *client;
    const struct cr_live_want *wants;
    size_t n_wants;
    struct s_where at;
    const struct cr_live_read_options *opts;
    bool listing; /* another ListIdentityPools page is due */
    char *token;  /* its NextToken (NULL for the first page) */
    unsigned pages;
    struct cr_strmap seen;      /* ids described or queued (id -> "") */
    struct cr_strlist describe; /* ids to describe this round */
    struct s_detail *details;   /* pools whose details are read this round */
    size_t n_details;
    bool matched; /* a want named a pool that was found */
};

static void s_details_free(struct s_detail *details, size_t n)
{
    for (size_t i = 0; details && i < n; i++)
        cr_strlist_dispose(&details[i].providers);
    free(details);
}

static int s_queue(struct s_reader *r, struct cr_strlist *next, const char *id)
{
    if (cr_strmap_get(&r->seen, id))
        return 0;
    if (cr_strmap_set(&r->seen, id, "") < 0 || cr_strlist_push(next, id) < 0)
        return CR_ENOMEM;
    return 0;
}

/* A ListIdentityPools answer: queue its new ids, remember the next token. */
static int s_take_page(struct s_reader *r, struct cr_aws_call *call, struct cr_strlist *next)
{
    struct cr_cognito_pool_page page = {0};
    if (call->result < 0)
        return s_call_failed(call, cr_aws_client_region(r->client));
    int rc = cr_cognito_decode_pool_page(&page, call->response.ptr, call->response.len);
    for (size_t i = 0; rc == 0 && i < page.len; i++)
        rc = s_queue(r, next, page.items[i].id);
    free(r->token);
    r->token = page.next_token;
    page.next_token = NULL; /* now owned by the reader */
    r->listing = r->token != NULL;
    cr_cognito_pool_page_dispose(&page);
    if (rc == 0 && r->listing && ++r->pages >= S_MAX_PAGES) {
        cr_error_set("ListIdentityPools %s: more than %d pages; stopping",
                     cr_aws_client_region(r->client), S_MAX_PAGES);
        rc = CR_ELIMIT;
    }
    return rc;
}

/* A DescribeIdentityPool answer: store the pool and decide its detail reads. A pool gone
 * meanwhile (or an adopted id that does not exist) is simply absent: the plan reports it with
 * its manifest. */
static int s_take_pool(struct s_reader *r, struct cr_aws_call *call, const char *id,
                       struct s_detail *next, size_t *n_next)
{
    struct cr_cognito_pool pool = {0};
    struct cr_live_pool *added = NULL;
    if (s_is_not_found(call))
        return 0;
    if (call->result < 0)
        return s_call_failed(call, id);
    int rc = cr_cognito_decode_pool(&pool, call->response.ptr, call->response.len);
    if (rc == 0)
        rc = cr_live_state_add(&added, r->state, r->at.region, &pool, NULL, NULL, 0);
    cr_cognito_pool_dispose(&pool);
    if (rc < 0) {
        cr_error_prefix("DescribeIdentityPool %s", id);
        return rc;
    }
    struct s_detail *d = &next[(*n_next)++];
    d->pool = added;
    if (s_plan_detail(d, &r->matched, r->wants, r->n_wants, &r->at, r->opts) < 0) {
        cr_error_set("out of memory planning reads");
        return CR_ENOMEM;
    }
    return 0;
}

/* One round: send everything that is due, then turn the answers into the next round. */
static int s_round(struct s_reader *r, bool *more)
{
    size_t n_detail_calls = s_count_calls(r->details, r->n_details);
    size_t n = (r->listing ? 1 : 0) + r->describe.len + n_detail_calls, k = 0;
    struct cr_aws_call *calls = NULL;
    struct cr_strlist next_ids = {0};
    struct s_detail *next = NULL;
    size_t n_next = 0;
    int result = 0;
    *more = n > 0;
    if (n == 0)
        return 0;
    result = s_calls_new(&calls, n);
    next = calloc(r->describe.len ? r->describe.len : 1, sizeof(*next));
    if (result == 0 && !next)
        result = CR_ENOMEM;
    if (result == 0 && r->listing) {
        cr_aws_call_init(&calls[k], CR_OP_LIST_IDENTITY_POOLS);
        result = cr_cognito_encode_list(&calls[k++].body, 60, r->token);
    }
    for (size_t i = 0; result == 0 && i < r->describe.len; i++) {
        cr_aws_call_init(&calls[k], CR_OP_DESCRIBE_IDENTITY_POOL);
        result = cr_cognito_encode_pool_id(&calls[k++].body, r->describe.items[i]);
    }
    for (size_t i = 0; result == 0 && i < r->n_details; i++)
        result = s_detail_calls(calls, &k, &r->details[i]);
    if (result < 0)
        goto done;
    (void)!cr_aws_perform(r->client, calls, n); /* each call's result is checked below */
    k = 0;
    if (r->listing)
        result = s_take_page(r, &calls[k++], &next_ids);
    for (size_t i = 0; result == 0 && i < r->describe.len; i++)
        result = s_take_pool(r, &calls[k++], r->describe.items[i], next, &n_next);
    for (size_t i = 0; result == 0 && i < r->n_details; i++)
        result = s_detail_store(calls, &k, &r->details[i]);
    if (result < 0)
        goto done;
    /* the answers become the next round's work */
    cr_strlist_dispose(&r->describe);
    r->describe = next_ids;
    memset(&next_ids, 0, sizeof(next_ids)); /* now owned by the reader */
    s_details_free(r->details, r->n_details);
    r->details = next;
    r->n_details = n_next;
    next = NULL; /* now owned by the reader */
done:
    if (result == CR_ENOMEM)
        cr_error_set("out of memory reading live state");
    s_calls_free(calls, n);
    cr_strlist_dispose(&next_ids);
    s_details_free(next, n_next);
    return result;
}

int cr_live_read(struct cr_live_state *state, struct cr_aws_client *client,
                 const struct cr_live_want *wants, size_t n_wants,
                 const struct cr_live_read_options *opts)
{
    static const struct cr_live_read_options defaults = {.stack = "default"};
    struct cr_live_read_options o = opts ? *opts : defaults;
    if (!o.stack)
        o.stack = "default";
    struct s_reader r = {
        .state = state, .client = client, .wants = wants, .n_wants = n_wants, .opts = &o};
    r.at = (struct s_where){cr_aws_client_region(client), o.default_region};
    bool discover = s_needs_discovery(wants, n_wants, &r.at, &o);
    int result = 0;
    r.listing = discover;
    /* adopted ids are described in the first round, next to the first page */
    for (size_t i = 0; result == 0 && i < n_wants; i++)
        if (s_want_here(&wants[i], &r.at) && wants[i].pool_id)
            result = s_queue(&r, &r.describe, wants[i].pool_id);
    if (result < 0) {
        cr_error_set("out of memory reading live state");
        goto done;
    }
    for (bool more = true; more && result == 0;)
        result = s_round(&r, &more);
    if (result < 0)
        goto done;
    if ((result = s_account(state, client, r.at.region, NULL, 0, r.matched)) < 0)
        goto done;
    if (discover)
        result = cr_live_state_add_region(state, r.at.region, NULL);
done:
    free(r.token);
    cr_strmap_dispose(&r.seen);
    cr_strlist_dispose(&r.describe);
    s_details_free(r.details, r.n_details);
    return result;
}
