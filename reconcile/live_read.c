/*
 * The live-state reader: only the calls the plan needs (docs/plan.md "Reading live state").
 * Stage 1: ListIdentityPools (when discovering) and DescribeIdentityPool for the pools to look
 * at, concurrently. Stage 2: GetIdentityPoolRoles and GetPrincipalTagAttributeMap for the
 * pools whose manifest manages those sections, concurrently.
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
    if (call->result == CR_ESERVICE || call->result == CR_ETHROTTLED)
        cr_error_set("%s %s: %s: %s", cr_cognito_op_name(call->op), target, call->error.type,
                     call->error.message);
    else
        cr_error_prefix("%s %s: %s", cr_cognito_op_name(call->op), target,
                        cr_error_name(call->result));
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

/* The ids to describe: every listed pool when discovering, plus the wants' ids. */
static int s_ids(struct cr_strlist *out, struct cr_aws_client *client,
                 const struct cr_live_want *wants, size_t n, const struct s_where *at,
                 bool discover)
{
    if (discover) {
        struct cr_cognito_pool_page page = {0};
        int rc = cr_cognito_list_pools(client, &page);
        for (size_t i = 0; rc == 0 && i < page.len; i++)
            if (!cr_strlist_contains(out, page.items[i].id))
                rc = cr_strlist_push(out, page.items[i].id);
        cr_cognito_pool_page_dispose(&page);
        if (rc < 0)
            return rc;
    }
    for (size_t i = 0; i < n; i++)
        if (s_want_here(&wants[i], at) && wants[i].pool_id &&
            !cr_strlist_contains(out, wants[i].pool_id) &&
            cr_strlist_push(out, wants[i].pool_id) < 0)
            return CR_ENOMEM;
    return 0;
}

/* Stage 1: DescribeIdentityPool for every id, concurrently. A pool that is gone by now (or an
 * adopted id that does not exist) is simply absent: the plan reports it with its manifest. */
static int s_describe(struct cr_live_state *state, struct cr_aws_client *client,
                      const struct cr_strlist *ids, const char *region)
{
    struct cr_aws_call *calls = NULL;
    int result = s_calls_new(&calls, ids->len);
    for (size_t i = 0; result == 0 && i < ids->len; i++) {
        cr_aws_call_init(&calls[i], CR_OP_DESCRIBE_IDENTITY_POOL);
        result = cr_cognito_encode_pool_id(&calls[i].body, ids->items[i]);
    }
    if (result < 0)
        goto done;
    (void)!cr_aws_perform(client, calls, ids->len); /* each call's result is checked below */
    for (size_t i = 0; i < ids->len; i++) {
        struct cr_cognito_pool pool = {0};
        if (s_is_not_found(&calls[i]))
            continue;
        if (calls[i].result < 0) {
            result = s_call_failed(&calls[i], ids->items[i]);
            goto done;
        }
        result = cr_cognito_decode_pool(&pool, calls[i].response.ptr, calls[i].response.len);
        if (result == 0)
            result = cr_live_state_add(NULL, state, region, &pool, NULL, NULL, 0);
        cr_cognito_pool_dispose(&pool);
        if (result < 0) {
            cr_error_prefix("DescribeIdentityPool %s", ids->items[i]);
            goto done;
        }
    }
    result = 0;
done:
    s_calls_free(calls, ids->len);
    return result;
}

/* What stage 2 reads for one pool. */
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

static int s_plan_details(struct s_detail **out, size_t *n_out, struct cr_live_state *state,
                          size_t first, const struct cr_live_want *wants, size_t n,
                          const struct s_where *at, const struct cr_live_read_options *opts)
{
    size_t n_pools = state->len - first;
    struct s_detail *details = calloc(n_pools ? n_pools : 1, sizeof(*details));
    if (!details)
        return CR_ENOMEM;
    *out = details;
    *n_out = n_pools;
    for (size_t i = 0; i < n_pools; i++) {
        struct s_detail *d = &details[i];
        d->pool = state->pools[first + i];
        if (opts->all_details) {
            d->roles = d->ptags = true;
            if (s_detail_providers(d, NULL) < 0)
                return CR_ENOMEM;
            continue;
        }
        for (size_t k = 0; k < n; k++) {
            const struct cr_live_want *w = &wants[k];
            if (!s_want_here(w, at))
                continue;
            bool match = w->pool_id ? strcmp(w->pool_id, d->pool->config.id) == 0
                                    : s_owned_by(d->pool, opts->stack, w->name);
            if (!match)
                continue;
            d->roles |= w->roles;
            if (w->principal_tags) {
                d->ptags = true;
                if (w->providers && s_detail_providers(d, w->providers) < 0)
                    return CR_ENOMEM;
            }
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

/* Stage 2: roles and principal-tag maps, concurrently. */
static int s_read_details(struct cr_aws_client *client, struct s_detail *details, size_t n)
{
    size_t n_calls = s_count_calls(details, n), k = 0;
    struct cr_aws_call *calls = NULL;
    int result = s_calls_new(&calls, n_calls);
    for (size_t i = 0; result == 0 && i < n; i++) {
        struct s_detail *d = &details[i];
        d->pool->has_principal_tags |= d->ptags;
        if (d->roles) {
            cr_aws_call_init(&calls[k], CR_OP_GET_IDENTITY_POOL_ROLES);
            result = cr_cognito_encode_pool_id(&calls[k++].body, d->pool->config.id);
        }
        for (size_t j = 0; result == 0 && d->ptags && j < d->providers.len; j++) {
            cr_aws_call_init(&calls[k], CR_OP_GET_PRINCIPAL_TAG_ATTRIBUTE_MAP);
            result = cr_cognito_encode_get_principal_tags(&calls[k++].body, d->pool->config.id,
                                                          d->providers.items[j]);
        }
    }
    if (result < 0 || n_calls == 0)
        goto done;
    (void)!cr_aws_perform(client, calls, n_calls); /* each call's result is checked below */
    k = 0;
    for (size_t i = 0; result == 0 && i < n; i++) {
        struct s_detail *d = &details[i];
        if (d->roles)
            result = s_store_roles(d, &calls[k++]);
        for (size_t j = 0; result == 0 && d->ptags && j < d->providers.len; j++)
            result = s_store_ptags(d, &calls[k++], d->providers.items[j]);
    }
done:
    s_calls_free(calls, n_calls);
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

int cr_live_read(struct cr_live_state *state, struct cr_aws_client *client,
                 const struct cr_live_want *wants, size_t n_wants,
                 const struct cr_live_read_options *opts)
{
    static const struct cr_live_read_options defaults = {.stack = "default"};
    struct cr_live_read_options o = opts ? *opts : defaults;
    if (!o.stack)
        o.stack = "default";
    const char *region = cr_aws_client_region(client);
    struct s_where at = {region, o.default_region};
    bool discover = s_needs_discovery(wants, n_wants, &at, &o);
    struct cr_strlist ids = {0};
    struct s_detail *details = NULL;
    size_t n_details = 0, first = state->len;
    int result = s_ids(&ids, client, wants, n_wants, &at, discover);
    if (result < 0)
        goto done;
    if ((result = s_describe(state, client, &ids, region)) < 0)
        goto done;
    if ((result = s_plan_details(&details, &n_details, state, first, wants, n_wants, &at, &o)) <
        0) {
        cr_error_set("out of memory planning reads");
        goto done;
    }
    if ((result = s_read_details(client, details, n_details)) < 0)
        goto done;
    bool matched = false;
    for (size_t i = 0; i < n_details; i++) {
        const struct cr_live_pool *p = details[i].pool;
        for (size_t k = 0; k < n_wants && !matched; k++)
            matched = s_want_here(&wants[k], &at) &&
                      (wants[k].pool_id ? strcmp(wants[k].pool_id, p->config.id) == 0
                                        : s_owned_by(p, o.stack, wants[k].name));
    }
    if ((result = s_account(state, client, region, details, n_details, matched)) < 0)
        goto done;
    if (discover)
        result = cr_live_state_add_region(state, region, NULL);
done:
    for (size_t i = 0; i < n_details; i++)
        cr_strlist_dispose(&details[i].providers);
    free(details);
    cr_strlist_dispose(&ids);
    return result;
}
