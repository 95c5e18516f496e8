/* SPDX-License-Identifier: Apache-2.0 */
/*
 * The live-state reader: only the calls the plan needs (docs/plan.md "Reading live state").
 *
 * Reads stream (cr_aws_stream): a call starts as soon as what it needs has arrived and the
 * client has room for it (--parallelism, the operation's rate), never waiting for another
 * call's answer. The next ListIdentityPools page goes first whenever its token is known; then
 * the detail reads (GetIdentityPoolRoles, GetPrincipalTagAttributeMap) of pools already
 * described, so pools complete early; then DescribeIdentityPool of listed ids. Accounts and
 * regions are read at once, one thread each (cr_live_read_all): quotas are per account and region.
 */
#include <stdio.h>
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

#define S_MAX_PAGES 10000 /* ListIdentityPools pages (60 pools each) before giving up */

enum s_kind { S_LIST, S_DESCRIBE, S_ROLES, S_PTAGS };

/* One call of the stream, with what its answer is for. */
struct s_call {
    struct cr_aws_call call;
    enum s_kind kind;
    size_t index;    /* S_DESCRIBE: into ids; S_ROLES/S_PTAGS: into details */
    size_t provider; /* S_PTAGS: into the detail's providers */
    struct s_call *prev, *next; /* in the reader's list of calls handed out */
};

/* The reader of one region: a describe queue (ids[ids_head..] due), a queue of described pools
 * whose detail calls are due (details[details_head..], each handing out its calls one by one),
 * and the page chain. */
struct s_reader {
    struct cr_live_state *state;
    struct cr_aws_client *client;
    struct s_match match; /* wants of this region, indexed */
    struct s_where at;
    const struct cr_live_read_options *opts;
    bool listing;   /* another ListIdentityPools page is due */
    bool list_busy; /* ... and already sent */
    char *token;    /* its NextToken (NULL for the first page) */
    unsigned pages;
    struct cr_strmap seen; /* ids described or queued (id -> "") */
    struct cr_strlist ids; /* describe queue */
    size_t ids_head;
    struct s_detail *details; /* detail queue */
    size_t details_head, n_details, cap_details;
    size_t detail_next; /* calls of details[details_head] handed out */
    size_t *pool_seq;   /* for each pool added to state (from first_pool): its ids index */
    size_t first_pool, cap_seq;
    bool matched; /* a want named a pool that was found */
    struct s_call *held; /* calls handed out and not answered yet (a failed read leaves some) */
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

static void s_progress(const struct s_reader *r, size_t described, size_t listed, bool final)
{
    if (r->opts->progress)
        cr_progress_add(r->opts->progress, described, listed, final);
}

/* A ListIdentityPools answer: queue its new ids, remember the next token. */
static int s_take_page(struct s_reader *r, struct cr_aws_call *call)
{
    struct cr_cognito_pool_page page = {0};
    size_t before = r->ids.len;
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
    if (rc == 0)
        s_progress(r, 0, r->ids.len - before, !r->listing);
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

/* Remembers which listed id a pool added to the state came from, so the region's pools are put
 * back in listing order at the end (answers arrive in any order; plans must not). */
static int s_note_seq(struct s_reader *r, size_t id_index)
{
    size_t k = r->state->len - 1 - r->first_pool;
    if (k >= r->cap_seq &&
        cr_array_reserve(&r->pool_seq, &r->cap_seq, k, sizeof(*r->pool_seq), 64) < 0)
        return CR_ENOMEM;
    r->pool_seq[k] = id_index;
    return 0;
}

/* A DescribeIdentityPool answer: store the pool and queue its detail reads. A pool gone
 * meanwhile (or an adopted id that does not exist) is simply absent: the plan reports it with
 * its manifest. */
static int s_take_pool(struct s_reader *r, struct cr_aws_call *call, size_t id_index)
{
    const char *id = r->ids.items[id_index];
    struct cr_cognito_pool pool = {0};
    struct cr_live_pool *added = NULL;
    s_progress(r, 1, 0, false);
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
    if (!d || s_note_seq(r, id_index) < 0)
        return CR_ENOMEM;
    d->pool = added;
    if (s_plan_detail(d, &r->matched, &r->match, r->opts) < 0)
        return CR_ENOMEM;
    /* read even when no provider needs a call: the plan then knows the maps are unset */
    added->has_principal_tags = d->ptags;
    return 0;
}

/* ---- the stream: what to send next, what an answer brings ---- */

static struct s_call *s_call_new(enum s_kind kind, enum cr_cognito_op op, size_t index)
{
    struct s_call *c = calloc(1, sizeof(*c));
    if (!c)
        return NULL;
    cr_aws_call_init(&c->call, op);
    c->call.user = c;
    c->kind = kind;
    c->index = index;
    return c;
}

static void s_call_free(struct s_call *c)
{
    if (!c)
        return;
    cr_aws_call_dispose(&c->call);
    free(c);
}

/* The next detail call due, or none (skips details with nothing to read). */
static int s_next_detail(struct s_reader *r, struct s_call **out)
{
    while (r->details_head < r->n_details) {
        struct s_detail *d = &r->details[r->details_head];
        size_t n = (d->roles ? 1 : 0) + (d->ptags ? d->providers.len : 0);
        if (r->detail_next >= n) {
            r->details_head++;
            r->detail_next = 0;
            continue;
        }
        size_t k = r->detail_next++;
        bool roles = d->roles && k == 0;
        size_t provider = k - (d->roles ? 1 : 0);
        struct s_call *c = s_call_new(roles ? S_ROLES : S_PTAGS,
                                      roles ? CR_OP_GET_IDENTITY_POOL_ROLES
                                            : CR_OP_GET_PRINCIPAL_TAG_ATTRIBUTE_MAP,
                                      r->details_head);
        if (!c)
            return CR_ENOMEM;
        c->provider = provider;
        int rc = roles ? cr_cognito_encode_pool_id(&c->call.body, d->pool->config.id)
                       : cr_cognito_encode_get_principal_tags(&c->call.body, d->pool->config.id,
                                                              d->providers.items[provider]);
        if (rc < 0) {
            s_call_free(c);
            return rc;
        }
        *out = c;
        return 0;
    }
    return 0;
}

/* cr_aws_next_fn: the page chain first, then details, then describes. */
static int s_next(void *ctx, struct cr_aws_call **out)
{
    struct s_reader *r = ctx;
    struct s_call *c = NULL;
    int rc = 0;
    *out = NULL;
    if (r->listing && !r->list_busy) {
        c = s_call_new(S_LIST, CR_OP_LIST_IDENTITY_POOLS, 0);
        rc = c ? cr_cognito_encode_list(&c->call.body, 60, r->token) : CR_ENOMEM;
        r->list_busy = c != NULL;
    } else {
        rc = s_next_detail(r, &c);
        if (rc == 0 && !c && r->ids_head < r->ids.len) {
            c = s_call_new(S_DESCRIBE, CR_OP_DESCRIBE_IDENTITY_POOL, r->ids_head);
            rc = c ? cr_cognito_encode_pool_id(&c->call.body, r->ids.items[r->ids_head++])
                   : CR_ENOMEM;
        }
    }
    if (rc < 0) {
        s_call_free(c);
        if (rc == CR_ENOMEM)
            cr_error_set("out of memory reading live state");
        return rc;
    }
    if (c) {
        c->next = r->held;
        if (r->held)
            r->held->prev = c;
        r->held = c;
    }
    *out = c ? &c->call : NULL;
    return 0;
}

static void s_unhold(struct s_reader *r, struct s_call *c)
{
    if (c->prev)
        c->prev->next = c->next;
    else
        r->held = c->next;
    if (c->next)
        c->next->prev = c->prev;
}

/* cr_aws_done_fn: stores an answer; the first failure ends the read. */
static int s_done(void *ctx, struct cr_aws_call *call)
{
    struct s_reader *r = ctx;
    struct s_call *c = call->user;
    int rc = 0;
    switch (c->kind) {
    case S_LIST:
        r->list_busy = false;
        rc = s_take_page(r, call);
        break;
    case S_DESCRIBE:
        rc = s_take_pool(r, call, c->index);
        break;
    case S_ROLES:
        rc = s_store_roles(&r->details[c->index], call);
        break;
    case S_PTAGS:
    default:
        rc = s_store_ptags(&r->details[c->index], call,
                           r->details[c->index].providers.items[c->provider]);
        break;
    }
    s_unhold(r, c);
    s_call_free(c);
    if (rc == CR_ENOMEM && !cr_error_last()[0])
        cr_error_set("out of memory reading live state");
    return rc;
}

/* Answers come in any order: the region's pools go back to listing order, each pool's
 * principal-tag maps to provider order (live.h), so plans are the same whatever the timing. */
struct s_seq_pool {
    size_t seq;
    struct cr_live_pool *pool;
};

static int s_cmp_seq(const void *a, const void *b)
{
    const struct s_seq_pool *x = a, *y = b;
    return x->seq < y->seq ? -1 : x->seq > y->seq;
}

static int s_cmp_ptags(const void *a, const void *b)
{
    const struct cr_cognito_principal_tags *x = a, *y = b;
    return strcmp(x->provider ? x->provider : "", y->provider ? y->provider : "");
}

static int s_restore_order(struct s_reader *r)
{
    size_t n = r->state->len - r->first_pool;
    struct s_seq_pool *v = calloc(n ? n : 1, sizeof(*v));
    if (!v) {
        cr_error_set("out of memory ordering the live pools");
        return CR_ENOMEM;
    }
    for (size_t k = 0; k < n; k++)
        v[k] = (struct s_seq_pool){r->pool_seq[k], r->state->pools[r->first_pool + k]};
    qsort(v, n, sizeof(*v), s_cmp_seq);
    for (size_t k = 0; k < n; k++) {
        struct cr_live_pool *p = v[k].pool;
        r->state->pools[r->first_pool + k] = p;
        if (p->n_principal_tags > 1)
            qsort(p->principal_tags, p->n_principal_tags, sizeof(*p->principal_tags), s_cmp_ptags);
    }
    free(v);
    return 0;
}

/* Queues the adopted ids of this region: described first, next to the first page. */
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

/* How many calls the stream keeps queued or in flight: the client's parallelism and as many
 * again waiting for their rate, so a call whose bucket has a token never waits behind calls
 * whose bucket has none. */
static size_t s_window(const struct cr_live_read_options *o)
{
    return 2 * (o->parallelism ? o->parallelism : 16);
}

int cr_live_read(struct cr_live_state *state, struct cr_aws_client *client,
                 const struct cr_live_want *wants, size_t n_wants,
                 const struct cr_live_read_options *opts)
{
    static const struct cr_live_read_options defaults = {.stack = "default"};
    struct cr_live_read_options o = opts ? *opts : defaults;
    if (!o.stack)
        o.stack = "default";
    struct s_reader r = {.state = state, .client = client, .opts = &o, .first_pool = state->len};
    struct s_want_key *index = NULL;
    r.at = (struct s_where){o.account, cr_aws_client_region(client), o.default_region};
    bool discover = s_needs_discovery(wants, n_wants, &r.at, &o);
    r.listing = discover;
    if (!discover)
        s_progress(&r, 0, 0, true); /* nothing to list: the total is known as ids are queued */
    int result = s_want_index_build(&index, &r.match.n_index, wants, n_wants, &r.at);
    r.match = (struct s_match){wants, index, r.match.n_index};
    if (result == 0)
        result = s_queue_adopted(&r, wants, n_wants);
    if (result == 0 && !discover)
        s_progress(&r, 0, r.ids.len, false);
    if (result == 0)
        result = cr_aws_stream(client, s_window(&o), s_next, s_done, &r);
    /* a stream stopped by a failure cancels the calls still out: they are ours to free */
    while (r.held) {
        struct s_call *c = r.held;
        s_unhold(&r, c);
        s_call_free(c);
    }
    if (result == 0)
        result = s_restore_order(&r);
    if (result == 0)
        result = s_account(state, client, &r.at, r.matched);
    if (result == 0 && discover)
        result = cr_live_state_add_scope(state, r.at.account, r.at.region, NULL);
    free(r.token);
    free(r.pool_seq);
    cr_strmap_dispose(&r.seen);
    cr_strlist_dispose(&r.ids);
    s_details_free(r.details, r.n_details);
    free(index);
    return result;
}
