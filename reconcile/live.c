/* SPDX-License-Identifier: Apache-2.0 */
/* Live state snapshot: storage, lookups and fingerprints (no I/O; the reader is live_read.c). */
#include "reconcile/live.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <jansson.h>
#include <openssl/evp.h>

#include "util/array.h"
#include "util/strutil.h"

void cr_live_state_init(struct cr_live_state *state)
{
    memset(state, 0, sizeof(*state));
    cr_arena_init(&state->arena);
}

static void s_pool_free(struct cr_live_pool *pool)
{
    if (!pool)
        return;
    cr_cognito_pool_dispose(&pool->config);
    cr_cognito_roles_dispose(&pool->roles);
    for (size_t i = 0; i < pool->n_principal_tags; i++)
        cr_cognito_principal_tags_dispose(&pool->principal_tags[i]);
    free(pool->principal_tags);
    free(pool);
}

void cr_live_state_dispose(struct cr_live_state *state)
{
    if (!state)
        return;
    for (size_t i = 0; i < state->len; i++)
        s_pool_free(state->pools[i]);
    free(state->pools);
    cr_strlist_dispose(&state->regions);
    cr_strmap_dispose(&state->account_ids);
    cr_arena_dispose(&state->arena);
    memset(state, 0, sizeof(*state));
}

void cr_live_state_retain(struct cr_live_state *state, cr_live_keep_fn *keep, void *ctx)
{
    size_t kept = 0;
    for (size_t i = 0; i < state->len; i++) {
        if (keep(state->pools[i], ctx))
            state->pools[kept++] = state->pools[i];
        else
            s_pool_free(state->pools[i]);
    }
    state->len = kept;
}

static int s_cmp_ptags(const void *a, const void *b)
{
    const struct cr_cognito_principal_tags *x = a, *y = b;
    return strcmp(x->provider ? x->provider : "", y->provider ? y->provider : "");
}

static int s_copy_ptags(struct cr_live_pool *pool, const struct cr_cognito_principal_tags *src,
                        size_t n)
{
    pool->principal_tags = calloc(n ? n : 1, sizeof(*pool->principal_tags));
    if (!pool->principal_tags)
        return CR_ENOMEM;
    for (size_t i = 0; i < n; i++) {
        struct cr_cognito_principal_tags *q = &pool->principal_tags[i];
        pool->n_principal_tags = i + 1;
        q->use_defaults = src[i].use_defaults;
        q->pool_id = cr_strdup_null(src[i].pool_id, NULL);
        q->provider = cr_strdup_null(src[i].provider, NULL);
        if ((src[i].pool_id && !q->pool_id) || (src[i].provider && !q->provider) ||
            cr_strmap_copy(&q->tags, &src[i].tags) < 0)
            return CR_ENOMEM;
    }
    if (n > 1)
        qsort(pool->principal_tags, n, sizeof(*pool->principal_tags), s_cmp_ptags);
    return 0;
}

static int s_push(struct cr_live_state *state, struct cr_live_pool *pool)
{
    if (cr_array_reserve(&state->pools, &state->cap, state->len, sizeof(*state->pools), 16) < 0)
        return CR_ENOMEM;
    state->pools[state->len++] = pool;
    return 0;
}

/* Stores pool (config, roles and maps already filled; freed on failure) in region, with the
 * ownership read from the tags DescribeIdentityPool returns (design §4). */
static int s_add(struct cr_live_pool **out, struct cr_live_state *state, const char *region,
                 struct cr_live_pool *pool)
{
    pool->region = cr_arena_strdup(&state->arena, region);
    pool->stack = cr_strmap_get(&pool->config.tags, CR_TAG_STACK);
    pool->name = cr_strmap_get(&pool->config.tags, CR_TAG_NAME);
    pool->revision = cr_strmap_get(&pool->config.tags, CR_TAG_REVISION);
    pool->created_by = cr_strmap_get(&pool->config.tags, CR_TAG_CREATED_BY);
    if (!pool->region || s_push(state, pool) < 0) {
        cr_error_set("out of memory storing live pool %s", pool->config.id ? pool->config.id : "");
        s_pool_free(pool);
        return CR_ENOMEM;
    }
    if (out)
        *out = pool;
    return 0;
}

int cr_live_state_add(struct cr_live_pool **out, struct cr_live_state *state, const char *region,
                      const struct cr_cognito_pool *config, const struct cr_cognito_roles *roles,
                      const struct cr_cognito_principal_tags *ptags, size_t n_ptags)
{
    struct cr_live_pool *pool = calloc(1, sizeof(*pool));
    if (!pool || cr_cognito_pool_copy(&pool->config, config) < 0)
        goto oom;
    if (roles) {
        pool->has_roles = true;
        if (cr_cognito_roles_copy(&pool->roles, roles) < 0)
            goto oom;
    }
    if (ptags) {
        pool->has_principal_tags = true;
        if (s_copy_ptags(pool, ptags, n_ptags) < 0)
            goto oom;
    }
    return s_add(out, state, region, pool);
oom:
    cr_error_set("out of memory storing live pool");
    s_pool_free(pool);
    return CR_ENOMEM;
}

int cr_live_state_take(struct cr_live_pool **out, struct cr_live_state *state, const char *region,
                       struct cr_cognito_pool *config)
{
    struct cr_live_pool *pool = calloc(1, sizeof(*pool));
    if (!pool) {
        cr_error_set("out of memory storing live pool");
        return CR_ENOMEM;
    }
    pool->config = *config;
    memset(config, 0, sizeof(*config)); /* now owned by the state */
    return s_add(out, state, region, pool);
}

const char *cr_live_scope_key(char out[CR_LIVE_SCOPE_MAX], const char *account, const char *region)
{
    if (account)
        snprintf(out, CR_LIVE_SCOPE_MAX, "%s/%s", account, region ? region : "");
    else
        snprintf(out, CR_LIVE_SCOPE_MAX, "%s", region ? region : "");
    return out;
}

/* Splits a scope key into its account (NULL for the default) and region. */
static const char *s_scope_split(char account[CR_LIVE_SCOPE_MAX], const char *key)
{
    const char *slash = strchr(key, '/');
    if (!slash)
        return key;
    snprintf(account, CR_LIVE_SCOPE_MAX, "%.*s", (int)(slash - key), key);
    return slash + 1;
}

static bool s_same_account(const char *a, const char *b)
{
    return (!a && !b) || (a && b && strcmp(a, b) == 0);
}

/* Whether scope key belongs to account; *region is then its region. */
static bool s_scope_of(const char **region, const char *key, const char *account)
{
    char a[CR_LIVE_SCOPE_MAX] = "";
    *region = s_scope_split(a, key);
    return s_same_account(*region == key ? NULL : a, account);
}

int cr_live_state_add_scope(struct cr_live_state *state, const char *account, const char *region,
                            const char *account_id)
{
    char key[CR_LIVE_SCOPE_MAX];
    cr_live_scope_key(key, account, region);
    if (!cr_strlist_contains(&state->regions, key) && cr_strlist_push(&state->regions, key) < 0)
        goto oom;
    if (account_id && cr_strmap_set(&state->account_ids, key, account_id) < 0)
        goto oom;
    return 0;
oom:
    cr_error_set("out of memory recording region %s", key);
    return CR_ENOMEM;
}

int cr_live_state_add_region(struct cr_live_state *state, const char *region,
                             const char *account_id)
{
    return cr_live_state_add_scope(state, NULL, region, account_id);
}

int cr_live_pool_set_account(struct cr_live_state *state, struct cr_live_pool *pool,
                             const char *account)
{
    pool->account = account ? cr_arena_strdup(&state->arena, account) : NULL;
    if (account && !pool->account) {
        cr_error_set("out of memory recording the account of a live pool");
        return CR_ENOMEM;
    }
    return 0;
}

int cr_live_state_merge(struct cr_live_state *dst, struct cr_live_state *src)
{
    size_t moved = 0;
    if (cr_array_reserve(&dst->pools, &dst->cap, dst->len + src->len, sizeof(*dst->pools), 16) < 0)
        goto oom;
    for (; moved < src->len; moved++) {
        struct cr_live_pool *p = src->pools[moved];
        /* the strings live in src's arena: copied into dst's before the pool moves */
        const char *region = cr_arena_strdup(&dst->arena, p->region ? p->region : "");
        const char *account = p->account ? cr_arena_strdup(&dst->arena, p->account) : NULL;
        if (!region || (p->account && !account))
            goto oom;
        p->region = region;
        p->account = account;
        dst->pools[dst->len++] = p; /* capacity reserved above */
    }
    src->len = moved = 0;
    for (size_t i = 0; i < src->regions.len; i++)
        if (!cr_strlist_contains(&dst->regions, src->regions.items[i]) &&
            cr_strlist_push(&dst->regions, src->regions.items[i]) < 0)
            goto oom;
    for (size_t i = 0; i < src->account_ids.len; i++)
        if (cr_strmap_set(&dst->account_ids, src->account_ids.items[i].key,
                          src->account_ids.items[i].value) < 0)
            goto oom;
    cr_live_state_dispose(src);
    cr_live_state_init(src);
    return 0;
oom:
    /* what moved is dst's now; src keeps the rest */
    if (src->len > moved) /* (a region with no pool has no array at all) */
        memmove(src->pools, src->pools + moved, (src->len - moved) * sizeof(*src->pools));
    src->len -= moved;
    cr_error_set("out of memory gathering the live state");
    return CR_ENOMEM;
}

int cr_live_state_view(struct cr_live_state *out, const struct cr_live_state *state,
                       const char *account)
{
    const char *region;
    cr_live_state_init(out);
    for (size_t i = 0; i < state->len; i++)
        if (s_same_account(state->pools[i]->account, account) && s_push(out, state->pools[i]) < 0)
            goto oom;
    for (size_t i = 0; i < state->regions.len; i++)
        if (s_scope_of(&region, state->regions.items[i], account) &&
            cr_strlist_push(&out->regions, region) < 0)
            goto oom;
    for (size_t i = 0; i < state->account_ids.len; i++)
        if (s_scope_of(&region, state->account_ids.items[i].key, account) &&
            cr_strmap_set(&out->account_ids, region, state->account_ids.items[i].value) < 0)
            goto oom;
    return 0;
oom:
    cr_live_state_view_dispose(out);
    cr_error_set("out of memory viewing the live state of an account");
    return CR_ENOMEM;
}

void cr_live_state_view_dispose(struct cr_live_state *view)
{
    free(view->pools); /* borrowed pools: only the array is the view's */
    view->pools = NULL;
    view->len = 0;
    cr_live_state_dispose(view);
}

/* Adds account (NULL: notes the default) to out once. */
static int s_note_account(struct cr_strlist *out, bool *has_default, const char *account)
{
    if (!account) {
        *has_default = true;
        return 0;
    }
    if (cr_strlist_contains(out, account) || cr_strlist_push(out, account) == 0)
        return 0;
    return CR_ENOMEM;
}

int cr_live_state_accounts(struct cr_strlist *out, bool *has_default,
                           const struct cr_live_state *state)
{
    char a[CR_LIVE_SCOPE_MAX];
    int rc = 0;
    *has_default = false;
    for (size_t i = 0; rc == 0 && i < state->len; i++)
        rc = s_note_account(out, has_default, state->pools[i]->account);
    for (size_t i = 0; rc == 0 && i < state->regions.len; i++) {
        const char *key = state->regions.items[i];
        rc = s_note_account(out, has_default, s_scope_split(a, key) == key ? NULL : a);
    }
    for (size_t i = 0; rc == 0 && i < state->account_ids.len; i++) {
        const char *key = state->account_ids.items[i].key;
        rc = s_note_account(out, has_default, s_scope_split(a, key) == key ? NULL : a);
    }
    if (rc < 0) {
        cr_error_set("out of memory listing the accounts of the live state");
        return CR_ENOMEM;
    }
    cr_strlist_sort(out);
    return 0;
}

const struct cr_live_pool *cr_live_find_id(const struct cr_live_state *state, const char *pool_id)
{
    for (size_t i = 0; pool_id && i < state->len; i++)
        if (state->pools[i]->config.id && strcmp(state->pools[i]->config.id, pool_id) == 0)
            return state->pools[i];
    return NULL;
}

const struct cr_cognito_principal_tags *cr_live_principal_tags(const struct cr_live_pool *pool,
                                                               const char *provider)
{
    for (size_t i = 0; i < pool->n_principal_tags; i++)
        if (pool->principal_tags[i].provider &&
            strcmp(pool->principal_tags[i].provider, provider) == 0)
            return &pool->principal_tags[i];
    return NULL;
}

/* ---- fingerprint: SHA-256 of a canonical JSON (sorted keys, sorted sets) ---- */

static json_t *s_map(const struct cr_strmap *map)
{
    json_t *o = json_object();
    for (size_t i = 0; o && i < map->len; i++)
        json_object_set_new(o, map->items[i].key, json_string(map->items[i].value));
    return o;
}

static json_t *s_sorted_list(const struct cr_strlist *list)
{
    struct cr_strlist copy = {0};
    json_t *a = json_array();
    if (cr_strlist_copy(&copy, list) < 0) {
        json_decref(a);
        a = NULL;
    }
    cr_strlist_sort(&copy);
    for (size_t i = 0; a && i < copy.len; i++)
        json_array_append_new(a, json_string(copy.items[i]));
    cr_strlist_dispose(&copy);
    return a;
}

static json_t *s_tristate(int v)
{
    return v < 0 ? json_null() : json_boolean(v);
}

static json_t *s_providers(const struct cr_cognito_pool *c)
{
    /* Keyed by "providerName:clientId" so the order the service returns does not matter. */
    json_t *o = json_object();
    for (size_t i = 0; o && i < c->n_cognito_identity_providers; i++) {
        const struct cr_cognito_provider *p = &c->cognito_identity_providers[i];
        char key[600];
        snprintf(key, sizeof(key), "%s:%s", p->provider_name ? p->provider_name : "",
                 p->client_id ? p->client_id : "");
        json_object_set_new(o, key, s_tristate(p->server_side_token_check));
    }
    return o;
}

static json_t *s_roles(const struct cr_cognito_roles *r)
{
    json_t *o = json_object();
    json_t *maps = json_object();
    json_object_set_new(o, "Roles", s_map(&r->roles));
    json_object_set_new(o, "RoleMappings", maps);
    for (size_t i = 0; i < r->n_mappings; i++) {
        const struct cr_cognito_role_mapping *m = &r->mappings[i];
        json_t *mo =
            json_pack("{s:s?, s:s?, s:b}", "Type", m->type, "AmbiguousRoleResolution",
                      m->ambiguous_role_resolution, "HasRules", m->has_rules_configuration);
        json_t *rules = json_array();
        for (size_t k = 0; k < m->n_rules; k++)
            json_array_append_new(rules, json_pack("[s?,s?,s?,s?]", m->rules[k].claim,
                                                   m->rules[k].match_type, m->rules[k].value,
                                                   m->rules[k].role_arn));
        json_object_set_new(mo, "Rules", rules);
        json_object_set_new(maps, m->provider ? m->provider : "", mo);
    }
    return o;
}

static json_t *s_canonical(const struct cr_live_pool *pool)
{
    const struct cr_cognito_pool *c = &pool->config;
    json_t *root = json_object();
    json_object_set_new(root, "IdentityPoolId", json_string(c->id ? c->id : ""));
    json_object_set_new(root, "Region", json_string(pool->region ? pool->region : ""));
    json_object_set_new(root, "IdentityPoolName", json_string(c->name ? c->name : ""));
    json_object_set_new(root, "AllowUnauthenticatedIdentities",
                        json_boolean(c->allow_unauthenticated));
    json_object_set_new(root, "AllowClassicFlow", s_tristate(c->allow_classic_flow));
    json_object_set_new(root, "SupportedLoginProviders", s_map(&c->supported_login_providers));
    json_object_set_new(root, "DeveloperProviderName",
                        c->developer_provider_name ? json_string(c->developer_provider_name)
                                                   : json_null());
    json_object_set_new(root, "OpenIdConnectProviderARNs",
                        s_sorted_list(&c->open_id_connect_provider_arns));
    json_object_set_new(root, "SamlProviderARNs", s_sorted_list(&c->saml_provider_arns));
    json_object_set_new(root, "CognitoIdentityProviders", s_providers(c));
    json_object_set_new(root, "IdentityPoolTags", s_map(&c->tags));
    if (pool->has_roles)
        json_object_set_new(root, "Roles", s_roles(&pool->roles));
    if (pool->has_principal_tags) {
        json_t *pt = json_object();
        for (size_t i = 0; i < pool->n_principal_tags; i++) {
            const struct cr_cognito_principal_tags *p = &pool->principal_tags[i];
            json_t *o = json_object();
            json_object_set_new(o, "UseDefaults", s_tristate(p->use_defaults));
            json_object_set_new(o, "PrincipalTags", s_map(&p->tags));
            json_object_set_new(pt, p->provider ? p->provider : "", o);
        }
        json_object_set_new(root, "PrincipalTagAttributeMaps", pt);
    }
    return root;
}

int cr_live_fingerprint(char out[65], const struct cr_live_pool *pool)
{
    int result = CR_ENOMEM;
    json_t *root = pool ? s_canonical(pool) : json_null();
    char *text = root ? json_dumps(root, JSON_COMPACT | JSON_SORT_KEYS | JSON_ENCODE_ANY) : NULL;
    unsigned char md[EVP_MAX_MD_SIZE];
    unsigned int md_len = 0;
    if (!text || !EVP_Digest(text, strlen(text), md, &md_len, EVP_sha256(), NULL))
        goto done;
    static const char hex[] = "0123456789abcdef";
    for (unsigned i = 0; i < md_len && i < 32; i++) { /* snprintf per byte was a fifth of it */
        out[2 * i] = hex[md[i] >> 4];
        out[2 * i + 1] = hex[md[i] & 0xf];
    }
    out[64] = '\0';
    result = 0;
done:
    if (result < 0)
        cr_error_set("out of memory computing a live-state fingerprint");
    free(text);
    json_decref(root);
    return result;
}
