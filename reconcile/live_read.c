/* SPDX-License-Identifier: Apache-2.0 */
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
#include "util/array.h"

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

/* Set once per cr_live_read call: the account and region read, and the region wants without
 * one belong to. */
struct s_where {
    const char *account;        /* the client's account (NULL = the default one) */
    const char *region;         /* the client's */
    const char *default_region; /* may be NULL */
};

static bool s_want_here(const struct cr_live_want *w, const struct s_where *at)
{
    const char *r = w->region ? w->region : at->default_region;
    bool account = w->account ? at->account && strcmp(w->account, at->account) == 0 : !at->account;
    return account && (!r || strcmp(r, at->region) == 0);
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

/* The wants of this region, sorted for lookup by pool id (adopted) or by logical name (found
 * by ownership tags): matching a described pool costs two binary searches, not a pass over
 * every want (1,000 pools x 1,000 wants was a fifth of plan's CPU). */
struct s_want_key {
    bool by_id;
    const char *key; /* the want's pool_id, or its name */
    size_t want;     /* index into wants */
};

static int s_want_key_cmp(const void *a, const void *b)
{
    const struct s_want_key *x = a, *y = b;
    if (x->by_id != y->by_id)
        return x->by_id ? 1 : -1;
    int c = strcmp(x->key, y->key);
    if (c)
        return c;
    return x->want < y->want ? -1 : x->want > y->want;
}

static int s_want_index_build(struct s_want_key **out, size_t *n_out,
                              const struct cr_live_want *wants, size_t n, const struct s_where *at)
{
    size_t k = 0;
    *n_out = 0;
    *out = calloc(n ? n : 1, sizeof(**out));
    if (!*out) {
        cr_error_set("out of memory indexing %zu pools to read", n);
        return CR_ENOMEM;
    }
    for (size_t i = 0; i < n; i++) {
        const char *key = wants[i].pool_id ? wants[i].pool_id : wants[i].name;
        if (key && s_want_here(&wants[i], at))
            (*out)[k++] = (struct s_want_key){wants[i].pool_id != NULL, key, i};
    }
    qsort(*out, k, sizeof(**out), s_want_key_cmp);
    *n_out = k;
    return 0;
}

/* The run of index entries equal to (by_id, key): [*first, *end). Empty when key is NULL. */
static void s_want_range(size_t *first, size_t *end, const struct s_want_key *index, size_t n,
                         bool by_id, const char *key)
{
    size_t lo = 0, hi = n;
    struct s_want_key probe = {by_id, key, 0};
    *first = *end = 0;
    if (!key)
        return;
    while (lo < hi) { /* lower bound: want index 0 sorts before every entry of the key */
        size_t mid = lo + (hi - lo) / 2;
        if (s_want_key_cmp(&index[mid], &probe) < 0)
            lo = mid + 1;
        else
            hi = mid;
    }
    *first = *end = lo;
    while (*end < n && index[*end].by_id == by_id && strcmp(index[*end].key, key) == 0)
        (*end)++;
}

/* Adds what want w asks to read to d. */
static int s_detail_add_want(struct s_detail *d, const struct cr_live_want *w)
{
    d->roles |= w->roles;
    if (w->principal_tags) {
        d->ptags = true;
        if (w->providers && s_detail_providers(d, w->providers) < 0)
            return CR_ENOMEM;
    }
    return 0;
}

/* What the reader matches described pools against. */
struct s_match {
    const struct cr_live_want *wants;
    const struct s_want_key *index;
    size_t n_index;
};

/* Decides the detail reads of one described pool; *matched: a want names it (by its id, or by
 * its ownership tags when they say opts->stack). Wants apply in their input order. */
static int s_plan_detail(struct s_detail *d, bool *matched, const struct s_match *m,
                         const struct cr_live_read_options *opts)
{
    const struct cr_live_pool *p = d->pool;
    if (opts->all_details) {
        if (opts->details_owned_only && !(p->stack && strcmp(p->stack, opts->stack) == 0))
            return 0;
        d->roles = d->ptags = true;
        return s_detail_providers(d, NULL) < 0 ? CR_ENOMEM : 0;
    }
    size_t a, a_end, b, b_end;
    bool ours = p->stack && strcmp(p->stack, opts->stack) == 0;
    s_want_range(&a, &a_end, m->index, m->n_index, true, p->config.id);
    s_want_range(&b, &b_end, m->index, m->n_index, false, ours ? p->name : NULL);
    while (a < a_end || b < b_end) {
        bool take_a = b == b_end || (a < a_end && m->index[a].want < m->index[b].want);
        size_t want = take_a ? m->index[a++].want : m->index[b++].want;
        *matched = true;
        if (s_detail_add_want(d, &m->wants[want]) < 0)
            return CR_ENOMEM;
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
    int result = cr_cognito_decode_principal_tags(&pt, call->response.ptr, call->response.len);
    if (result < 0) {
        cr_error_prefix("GetPrincipalTagAttributeMap %s %s", p->config.id, provider);
        goto done;
    }
    result = CR_ENOMEM;
    if (!pt.provider)
        pt.provider = strdup(provider);
    struct cr_cognito_principal_tags *grown =
        pt.provider ? realloc(p->principal_tags, (p->n_principal_tags + 1) * sizeof(*grown)) : NULL;
    if (!grown) {
        cr_error_set("out of memory storing principal tags");
        goto done;
    }
    p->principal_tags = grown;
    p->principal_tags[p->n_principal_tags++] = pt;
    memset(&pt, 0, sizeof(pt)); /* now owned by the pool */
    result = 0;
done:
    cr_cognito_principal_tags_dispose(&pt);
    return result;
}

/* Appends the detail calls of d to calls at *k. */
static int s_detail_calls(struct cr_aws_call *calls, size_t *k, struct s_detail *d)
{
    int rc = 0;
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
static int s_account(struct cr_live_state *state, struct cr_aws_client *client,
                     const struct s_where *at, bool matched)
{
    const char *account = NULL;
    char key[CR_LIVE_SCOPE_MAX];
    if (!matched)
        return 0;
    int rc = cr_aws_client_account_id(client, &account);
    if (rc < 0)
        return rc;
    if (cr_strmap_set(&state->account_ids, cr_live_scope_key(key, at->account, at->region),
                      account) < 0) {
        cr_error_set("out of memory recording the account id");
        return CR_ENOMEM;
    }
    return 0;
}

#define S_MAX_PAGES     10000 /* ListIdentityPools pages (60 pools each) before giving up */
#define S_DEFAULT_BATCH 16    /* calls per round while listing when opts->parallelism is 0 */

/*
 * The pipeline's state between rounds: a queue of ids to describe and a queue of described
 * pools whose details are due. While pages are still being listed, a round holds the next
 * ListIdentityPools call plus queued work up to one batch (about --parallelism calls, one
 * "wave"), so the page chain advances every wave; once listing is done, a round takes the
 * whole queue.
 */
struct s_reader {
    struct cr_live_state *state;
    struct cr_aws_client *client;
    struct s_match match; /* wants of this region, indexed */
    struct s_where at;
    const struct cr_live_read_options *opts;
    size_t batch;
    bool listing; /* another ListIdentityPools page is due */
    char *token;  /* its NextToken (NULL for the first page) */
    unsigned pages;
    struct cr_strmap seen; /* ids described or queued (id -> "") */
    struct cr_strlist ids; /* describe queue: ids[ids_head..] are due */
    size_t ids_head;
    struct s_detail *details; /* detail queue: details[details_head..n_details) are due */
    size_t details_head, n_details, cap_details;
    bool matched; /* a want named a pool that was found */
};

static void s_details_free(struct s_detail *details, size_t n)
{
    for (size_t i = 0; details && i < n; i++)
        cr_strlist_dispose(&details[i].providers);
    free(details);
}

static int s_queue(struct s_reader *r, const char *id)
{
    if (cr_strmap_get(&r->seen, id))
        return 0;
    if (cr_strmap_set(&r->seen, id, "") < 0 || cr_strlist_push(&r->ids, id) < 0)
        return CR_ENOMEM;
    return 0;
}

/* A ListIdentityPools answer: queue its new ids, remember the next token. */
static int s_take_page(struct s_reader *r, struct cr_aws_call *call)
{
    struct cr_cognito_pool_page page = {0};
    if (call->result < 0)
        return s_call_failed(call, r->at.region);
    int rc = cr_cognito_decode_pool_page(&page, call->response.ptr, call->response.len);
    for (size_t i = 0; rc == 0 && i < page.len; i++)
        rc = s_queue(r, page.items[i].id);
    free(r->token);
    r->token = page.next_token;
    page.next_token = NULL; /* now owned by the reader */
    r->listing = r->token != NULL;
    cr_cognito_pool_page_dispose(&page);
    if (rc == 0 && r->listing && ++r->pages >= S_MAX_PAGES) {
        cr_error_set("ListIdentityPools %s: more than %d pages; stopping", r->at.region,
                     S_MAX_PAGES);
        rc = CR_ELIMIT;
    }
    return rc;
}

static struct s_detail *s_detail_push(struct s_reader *r)
{
    if (cr_array_reserve(&r->details, &r->cap_details, r->n_details, sizeof(*r->details), 64) < 0)
        return NULL;
    struct s_detail *d = &r->details[r->n_details++];
    memset(d, 0, sizeof(*d));
    return d;
}

/* A DescribeIdentityPool answer: store the pool and queue its detail reads. A pool gone
 * meanwhile (or an adopted id that does not exist) is simply absent: the plan reports it with
 * its manifest. */
static int s_take_pool(struct s_reader *r, struct cr_aws_call *call, const char *id)
{
    struct cr_cognito_pool pool = {0};
    struct cr_live_pool *added = NULL;
    if (s_is_not_found(call))
        return 0;
    if (call->result < 0)
        return s_call_failed(call, id);
    int rc = cr_cognito_decode_pool(&pool, call->response.ptr, call->response.len);
    if (rc == 0)
        rc = cr_live_state_take(&added, r->state, r->at.region, &pool); /* decoded once, moved */
    if (rc == 0)
        rc = cr_live_pool_set_account(r->state, added, r->at.account);
    cr_cognito_pool_dispose(&pool);
    if (rc < 0) {
        cr_error_prefix("DescribeIdentityPool %s", id);
        return rc;
    }
    struct s_detail *d = s_detail_push(r);
    if (!d)
        return CR_ENOMEM;
    d->pool = added;
    if (s_plan_detail(d, &r->matched, &r->match, r->opts) < 0)
        return CR_ENOMEM;
    /* read even when no provider needs a call: the plan then knows the maps are unset */
    added->has_principal_tags = d->ptags;
    return 0;
}

/* What one round sends: how many queued details and ids it takes. */
struct s_take {
    size_t details_end; /* details[details_head .. details_end) */
    size_t ids_end;     /* ids[ids_head .. ids_end) */
    size_t n_calls;
};

static struct s_take s_plan_round(const struct s_reader *r)
{
    struct s_take t = {r->details_head, r->ids_head, r->listing ? 1 : 0};
    size_t budget = r->listing ? r->batch : (size_t)-1;
    while (t.details_end < r->n_details) {
        size_t c = s_count_calls(&r->details[t.details_end], 1);
        if (t.n_calls > 0 && t.n_calls + c > budget)
            return t;
        t.n_calls += c;
        t.details_end++;
    }
    while (t.ids_end < r->ids.len && t.n_calls < budget) {
        t.n_calls++;
        t.ids_end++;
    }
    return t;
}

/* One round: send what is due, then queue what the answers bring. */
static int s_round(struct s_reader *r, bool *more)
{
    struct s_take t = s_plan_round(r);
    struct cr_aws_call *calls = NULL;
    size_t k = 0, n = t.n_calls;
    *more = n > 0;
    if (n == 0)
        return 0;
    int result = s_calls_new(&calls, n);
    if (result == 0 && r->listing) {
        cr_aws_call_init(&calls[k], CR_OP_LIST_IDENTITY_POOLS);
        result = cr_cognito_encode_list(&calls[k++].body, 60, r->token);
    }
    for (size_t i = r->details_head; result == 0 && i < t.details_end; i++)
        result = s_detail_calls(calls, &k, &r->details[i]);
    for (size_t i = r->ids_head; result == 0 && i < t.ids_end; i++) {
        cr_aws_call_init(&calls[k], CR_OP_DESCRIBE_IDENTITY_POOL);
        result = cr_cognito_encode_pool_id(&calls[k++].body, r->ids.items[i]);
    }
    if (result < 0)
        goto done;
    (void)!cr_aws_perform(r->client, calls, n); /* each call's result is checked below */
    k = 0;
    if (r->listing)
        result = s_take_page(r, &calls[k++]);
    for (size_t i = r->details_head; result == 0 && i < t.details_end; i++)
        result = s_detail_store(calls, &k, &r->details[i]);
    r->details_head = t.details_end;
    for (size_t i = r->ids_head; result == 0 && i < t.ids_end; i++)
        result = s_take_pool(r, &calls[k++], r->ids.items[i]);
    r->ids_head = t.ids_end;
done:
    if (result == CR_ENOMEM)
        cr_error_set("out of memory reading live state");
    s_calls_free(calls, n);
    return result;
}

/* Queues the adopted ids of this region: described in the first round, next to the first
 * page. */
static int s_queue_adopted(struct s_reader *r, const struct cr_live_want *wants, size_t n)
{
    for (size_t i = 0; i < n; i++)
        if (s_want_here(&wants[i], &r->at) && wants[i].pool_id &&
            s_queue(r, wants[i].pool_id) < 0) {
            cr_error_set("out of memory queueing pool %s to describe", wants[i].pool_id);
            return CR_ENOMEM;
        }
    return 0;
}

int cr_live_read(struct cr_live_state *state, struct cr_aws_client *client,
                 const struct cr_live_want *wants, size_t n_wants,
                 const struct cr_live_read_options *opts)
{
    static const struct cr_live_read_options defaults = {.stack = "default"};
    struct cr_live_read_options o = opts ? *opts : defaults;
    if (!o.stack)
        o.stack = "default";
    struct s_reader r = {.state = state, .client = client, .opts = &o};
    struct s_want_key *index = NULL;
    r.at = (struct s_where){o.account, cr_aws_client_region(client), o.default_region};
    r.batch = o.parallelism ? o.parallelism : S_DEFAULT_BATCH;
    bool discover = s_needs_discovery(wants, n_wants, &r.at, &o);
    r.listing = discover;
    int result = s_want_index_build(&index, &r.match.n_index, wants, n_wants, &r.at);
    r.match = (struct s_match){wants, index, r.match.n_index};
    if (result == 0)
        result = s_queue_adopted(&r, wants, n_wants);
    /* bounded: every round consumes queued work or a page, and pages are capped */
    for (bool more = true; more && result == 0;)
        result = s_round(&r, &more);
    if (result == 0)
        result = s_account(state, client, &r.at, r.matched);
    if (result == 0 && discover)
        result = cr_live_state_add_scope(state, r.at.account, r.at.region, NULL);
    free(r.token);
    cr_strmap_dispose(&r.seen);
    cr_strlist_dispose(&r.ids);
    s_details_free(r.details, r.n_details);
    free(index);
    return result;
}
