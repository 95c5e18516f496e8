/* SPDX-License-Identifier: Apache-2.0 */
#include "aws/cognito.h"

#include "aws/config.h"
#include "aws/json.h"
#include "util/strutil.h"

#include <jansson.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

/* ---- operation names ---- */

static const char *const s_op_names[CR_OP_COUNT] = {
    [CR_OP_CREATE_IDENTITY_POOL] = "CreateIdentityPool",
    [CR_OP_UPDATE_IDENTITY_POOL] = "UpdateIdentityPool",
    [CR_OP_DESCRIBE_IDENTITY_POOL] = "DescribeIdentityPool",
    [CR_OP_DELETE_IDENTITY_POOL] = "DeleteIdentityPool",
    [CR_OP_LIST_IDENTITY_POOLS] = "ListIdentityPools",
    [CR_OP_GET_IDENTITY_POOL_ROLES] = "GetIdentityPoolRoles",
    [CR_OP_SET_IDENTITY_POOL_ROLES] = "SetIdentityPoolRoles",
    [CR_OP_GET_PRINCIPAL_TAG_ATTRIBUTE_MAP] = "GetPrincipalTagAttributeMap",
    [CR_OP_SET_PRINCIPAL_TAG_ATTRIBUTE_MAP] = "SetPrincipalTagAttributeMap",
    [CR_OP_TAG_RESOURCE] = "TagResource",
    [CR_OP_UNTAG_RESOURCE] = "UntagResource",
    [CR_OP_LIST_TAGS_FOR_RESOURCE] = "ListTagsForResource",
    [CR_OP_LIST_IDENTITIES] = "ListIdentities",
};

const char *cr_cognito_op_name(enum cr_cognito_op op)
{
    if ((int)op < 0 || op >= CR_OP_COUNT)
        return "UnknownOperation";
    return s_op_names[op];
}

bool cr_cognito_op_is_write(enum cr_cognito_op op)
{
    switch (op) {
    case CR_OP_CREATE_IDENTITY_POOL:
    case CR_OP_UPDATE_IDENTITY_POOL:
    case CR_OP_DELETE_IDENTITY_POOL:
    case CR_OP_SET_IDENTITY_POOL_ROLES:
    case CR_OP_SET_PRINCIPAL_TAG_ATTRIBUTE_MAP:
    case CR_OP_TAG_RESOURCE:
    case CR_OP_UNTAG_RESOURCE:
        return true;
    default:
        return false;
    }
}

int cr_cognito_op_from_name(enum cr_cognito_op *out, const char *name)
{
    for (int i = 0; i < CR_OP_COUNT; i++) {
        if (name && strcmp(name, s_op_names[i]) == 0) {
            *out = (enum cr_cognito_op)i;
            return 0;
        }
    }
    return CR_ENOTFOUND;
}

/* ---- dispose and copy ---- */

static void s_provider_dispose(struct cr_cognito_provider *p)
{
    free(p->provider_name);
    free(p->client_id);
    memset(p, 0, sizeof(*p));
}

void cr_cognito_pool_dispose(struct cr_cognito_pool *pool)
{
    if (!pool)
        return;
    free(pool->id);
    free(pool->name);
    cr_strmap_dispose(&pool->supported_login_providers);
    free(pool->developer_provider_name);
    cr_strlist_dispose(&pool->open_id_connect_provider_arns);
    for (size_t i = 0; i < pool->n_cognito_identity_providers; i++)
        s_provider_dispose(&pool->cognito_identity_providers[i]);
    free(pool->cognito_identity_providers);
    cr_strlist_dispose(&pool->saml_provider_arns);
    cr_strmap_dispose(&pool->tags);
    memset(pool, 0, sizeof(*pool));
    pool->allow_classic_flow = -1;
}

static void s_rule_dispose(struct cr_cognito_rule *r)
{
    free(r->claim);
    free(r->match_type);
    free(r->value);
    free(r->role_arn);
    memset(r, 0, sizeof(*r));
}

void cr_cognito_role_mapping_dispose(struct cr_cognito_role_mapping *m)
{
    if (!m)
        return;
    free(m->provider);
    free(m->type);
    free(m->ambiguous_role_resolution);
    for (size_t i = 0; i < m->n_rules; i++)
        s_rule_dispose(&m->rules[i]);
    free(m->rules);
    memset(m, 0, sizeof(*m));
}

void cr_cognito_roles_dispose(struct cr_cognito_roles *roles)
{
    if (!roles)
        return;
    free(roles->pool_id);
    cr_strmap_dispose(&roles->roles);
    for (size_t i = 0; i < roles->n_mappings; i++)
        cr_cognito_role_mapping_dispose(&roles->mappings[i]);
    free(roles->mappings);
    memset(roles, 0, sizeof(*roles));
}

void cr_cognito_principal_tags_dispose(struct cr_cognito_principal_tags *pt)
{
    if (!pt)
        return;
    free(pt->pool_id);
    free(pt->provider);
    cr_strmap_dispose(&pt->tags);
    memset(pt, 0, sizeof(*pt));
    pt->use_defaults = -1;
}

void cr_cognito_pool_page_dispose(struct cr_cognito_pool_page *page)
{
    if (!page)
        return;
    for (size_t i = 0; i < page->len; i++) {
        free(page->items[i].id);
        free(page->items[i].name);
    }
    free(page->items);
    free(page->next_token);
    memset(page, 0, sizeof(*page));
}

int cr_cognito_pool_copy(struct cr_cognito_pool *out, const struct cr_cognito_pool *src)
{
    int result = CR_ENOMEM;
    bool oom = false;
    out->id = cr_strdup_null(src->id, &oom);
    out->name = cr_strdup_null(src->name, &oom);
    out->allow_unauthenticated = src->allow_unauthenticated;
    out->allow_classic_flow = src->allow_classic_flow;
    out->developer_provider_name = cr_strdup_null(src->developer_provider_name, &oom);
    out->has_tags = src->has_tags;
    if (oom || cr_strmap_copy(&out->supported_login_providers, &src->supported_login_providers) ||
        cr_strlist_copy(&out->open_id_connect_provider_arns, &src->open_id_connect_provider_arns) ||
        cr_strlist_copy(&out->saml_provider_arns, &src->saml_provider_arns) ||
        cr_strmap_copy(&out->tags, &src->tags))
        goto done;
    if (src->n_cognito_identity_providers) {
        out->cognito_identity_providers =
            calloc(src->n_cognito_identity_providers, sizeof(*out->cognito_identity_providers));
        if (!out->cognito_identity_providers)
            goto done;
        out->n_cognito_identity_providers = src->n_cognito_identity_providers;
        for (size_t i = 0; i < src->n_cognito_identity_providers; i++) {
            const struct cr_cognito_provider *p = &src->cognito_identity_providers[i];
            struct cr_cognito_provider *q = &out->cognito_identity_providers[i];
            q->provider_name = cr_strdup_null(p->provider_name, &oom);
            q->client_id = cr_strdup_null(p->client_id, &oom);
            q->server_side_token_check = p->server_side_token_check;
        }
        if (oom)
            goto done;
    }
    result = 0;
done:
    if (result < 0) {
        cr_error_set("out of memory copying identity pool");
        cr_cognito_pool_dispose(out);
    }
    return result;
}

static int s_mapping_copy(struct cr_cognito_role_mapping *q,
                          const struct cr_cognito_role_mapping *m)
{
    bool oom = false;
    q->provider = cr_strdup_null(m->provider, &oom);
    q->type = cr_strdup_null(m->type, &oom);
    q->ambiguous_role_resolution = cr_strdup_null(m->ambiguous_role_resolution, &oom);
    q->has_rules_configuration = m->has_rules_configuration;
    if (m->n_rules) {
        q->rules = calloc(m->n_rules, sizeof(*q->rules));
        if (!q->rules)
            return CR_ENOMEM;
        q->n_rules = m->n_rules;
        for (size_t i = 0; i < m->n_rules; i++) {
            q->rules[i].claim = cr_strdup_null(m->rules[i].claim, &oom);
            q->rules[i].match_type = cr_strdup_null(m->rules[i].match_type, &oom);
            q->rules[i].value = cr_strdup_null(m->rules[i].value, &oom);
            q->rules[i].role_arn = cr_strdup_null(m->rules[i].role_arn, &oom);
        }
    }
    return oom ? CR_ENOMEM : 0;
}

int cr_cognito_roles_copy(struct cr_cognito_roles *out, const struct cr_cognito_roles *src)
{
    int result = CR_ENOMEM;
    bool oom = false;
    out->pool_id = cr_strdup_null(src->pool_id, &oom);
    if (oom || cr_strmap_copy(&out->roles, &src->roles))
        goto done;
    if (src->n_mappings) {
        out->mappings = calloc(src->n_mappings, sizeof(*out->mappings));
        if (!out->mappings)
            goto done;
        out->n_mappings = src->n_mappings;
        for (size_t i = 0; i < src->n_mappings; i++)
            if (s_mapping_copy(&out->mappings[i], &src->mappings[i]) < 0)
                goto done;
    }
    result = 0;
done:
    if (result < 0) {
        cr_error_set("out of memory copying identity pool roles");
        cr_cognito_roles_dispose(out);
    }
    return result;
}

/* ---- encoders ----
 * Each encoder builds a jansson tree and serialises it compactly. Every failure keeps its
 * cause: json_string() answers NULL both for text that is not UTF-8 and when it cannot
 * allocate, so strings (and map keys) are checked with our own validator first and bad text
 * is CR_EINVALID naming its member; anything jansson then cannot allocate is CR_ENOMEM. */

static int s_nomem(const char *member)
{
    cr_error_set("request member %s: out of memory", member);
    return CR_ENOMEM;
}

static int s_not_utf8(const char *member)
{
    cr_error_set("request member %s: not valid UTF-8", member);
    return CR_EINVALID;
}

/* A new empty object or array for member. */
static int s_new(json_t **out, const char *member, bool array)
{
    *out = array ? json_array() : json_object();
    return *out ? 0 : s_nomem(member);
}

/* A JSON string holding value. */
static int s_string(json_t **out, const char *member, const char *value)
{
    *out = NULL;
    if (!cr_utf8_valid(value, strlen(value)))
        return s_not_utf8(member);
    *out = json_string(value);
    return *out ? 0 : s_nomem(member);
}

/* obj[key] = value, taking the reference (json_object_set_new steals it even when it
 * fails). key is valid UTF-8. */
static int s_set(json_t *obj, const char *key, json_t *value)
{
    return json_object_set_new(obj, key, value) == 0 ? 0 : s_nomem(key);
}

/* arr += value, taking the reference. */
static int s_append(json_t *arr, const char *member, json_t *value)
{
    return json_array_append_new(arr, value) == 0 ? 0 : s_nomem(member);
}

/* obj[key] = value as a string; nothing when value is NULL (an absent member). */
static int s_set_str(json_t *obj, const char *key, const char *value)
{
    json_t *v = NULL;
    if (!value)
        return 0;
    int rc = s_string(&v, key, value);
    return rc == 0 ? s_set(obj, key, v) : rc;
}

/* obj[key] = value as a JSON integer. */
static int s_set_int(json_t *obj, const char *key, json_int_t value)
{
    json_t *v = json_integer(value);
    return v ? s_set(obj, key, v) : s_nomem(key);
}

/* obj[key] = the map as an object of strings. */
static int s_set_map(json_t *obj, const char *key, const struct cr_strmap *map)
{
    json_t *m = NULL, *v = NULL;
    int rc = s_new(&m, key, false);
    for (size_t i = 0; rc == 0 && i < map->len; i++) {
        const char *k = map->items[i].key;
        if (!cr_utf8_valid(k, strlen(k)))
            rc = s_not_utf8(key);
        if (rc == 0)
            rc = s_string(&v, key, map->items[i].value);
        if (rc == 0)
            rc = s_set(m, k, v);
    }
    if (rc < 0) {
        json_decref(m);
        return rc;
    }
    return s_set(obj, key, m);
}

/* obj[key] = the list as an array of strings. */
static int s_set_list(json_t *obj, const char *key, const struct cr_strlist *list)
{
    json_t *arr = NULL, *v = NULL;
    int rc = s_new(&arr, key, true);
    for (size_t i = 0; rc == 0 && i < list->len; i++) {
        rc = s_string(&v, key, list->items[i]);
        if (rc == 0)
            rc = s_append(arr, key, v);
    }
    if (rc < 0) {
        json_decref(arr);
        return rc;
    }
    return s_set(obj, key, arr);
}

/* arr += a new object, returned borrowed through out. */
static int s_append_object(json_t **out, json_t *arr, const char *member)
{
    json_t *o = NULL;
    int rc = s_new(&o, member, false);
    if (rc == 0)
        rc = s_append(arr, member, o);
    *out = rc == 0 ? o : NULL;
    return rc;
}

static int s_set_providers(json_t *obj, const struct cr_cognito_pool *pool)
{
    const char *key = "CognitoIdentityProviders";
    json_t *arr = NULL, *o = NULL;
    int rc = s_new(&arr, key, true);
    for (size_t i = 0; rc == 0 && i < pool->n_cognito_identity_providers; i++) {
        const struct cr_cognito_provider *p = &pool->cognito_identity_providers[i];
        rc = s_append_object(&o, arr, key);
        if (rc == 0)
            rc = s_set_str(o, "ProviderName", p->provider_name);
        if (rc == 0)
            rc = s_set_str(o, "ClientId", p->client_id);
        if (rc == 0 && p->server_side_token_check >= 0)
            rc = s_set(o, "ServerSideTokenCheck", json_boolean(p->server_side_token_check));
    }
    if (rc < 0) {
        json_decref(arr);
        return rc;
    }
    return s_set(obj, key, arr);
}

static int s_dump_to_buf(const char *bytes, size_t size, void *ctx)
{
    return cr_buf_put(ctx, bytes, size) == 0 ? 0 : -1;
}

/* Serialises root into out and drops the tree (also on failure). Through a callback into a
 * buffer whose failures are sticky rather than json_dumps(): jansson 2.14's dumper ignores
 * a failed append of an object key and would return JSON with the key missing. */
static int s_dump(struct cr_buf *out, json_t *root)
{
    struct cr_buf text = CR_BUF_INIT;
    int rc = json_dump_callback(root, s_dump_to_buf, &text, JSON_COMPACT);
    json_decref(root);
    if (rc != 0 || cr_buf_oom(&text) || cr_buf_put(out, text.ptr, text.len) < 0) {
        cr_buf_dispose(&text);
        cr_error_set("out of memory serialising request");
        return CR_ENOMEM;
    }
    cr_buf_dispose(&text);
    return 0;
}

/* Members shared by Create and Update. full: send empty collections too (Update replaces the
 * whole configuration, so an explicit empty list is the unambiguous way to clear one). */
static int s_encode_pool_members(json_t *o, const struct cr_cognito_pool *pool, bool full)
{
    int rc = s_set_str(o, "IdentityPoolName", pool->name ? pool->name : "");
    if (rc == 0)
        rc = s_set(o, "AllowUnauthenticatedIdentities", json_boolean(pool->allow_unauthenticated));
    if (rc == 0 && pool->allow_classic_flow >= 0)
        rc = s_set(o, "AllowClassicFlow", json_boolean(pool->allow_classic_flow));
    if (rc == 0 && (full || pool->supported_login_providers.len))
        rc = s_set_map(o, "SupportedLoginProviders", &pool->supported_login_providers);
    if (rc == 0)
        rc = s_set_str(o, "DeveloperProviderName", pool->developer_provider_name);
    if (rc == 0 && (full || pool->open_id_connect_provider_arns.len))
        rc = s_set_list(o, "OpenIdConnectProviderARNs", &pool->open_id_connect_provider_arns);
    if (rc == 0 && (full || pool->n_cognito_identity_providers))
        rc = s_set_providers(o, pool);
    if (rc == 0 && (full || pool->saml_provider_arns.len))
        rc = s_set_list(o, "SamlProviderARNs", &pool->saml_provider_arns);
    return rc;
}

/* Finishes an encoder: serialises o when every member went in (rc == 0), drops it. */
static int s_finish(struct cr_buf *out, json_t *o, int rc)
{
    if (rc < 0) {
        json_decref(o);
        return rc;
    }
    return s_dump(out, o);
}

int cr_cognito_encode_create(struct cr_buf *out, const struct cr_cognito_pool *pool)
{
    json_t *o = NULL;
    int rc = s_new(&o, "(request)", false);
    if (rc == 0)
        rc = s_encode_pool_members(o, pool, false);
    if (rc == 0 && pool->has_tags)
        rc = s_set_map(o, "IdentityPoolTags", &pool->tags);
    return s_finish(out, o, rc);
}

int cr_cognito_encode_update(struct cr_buf *out, const struct cr_cognito_pool *pool)
{
    json_t *o = NULL;
    if (!pool->id) {
        cr_error_set("UpdateIdentityPool: IdentityPoolId is required");
        return CR_EINVALID;
    }
    int rc = s_new(&o, "(request)", false);
    if (rc == 0)
        rc = s_set_str(o, "IdentityPoolId", pool->id);
    if (rc == 0)
        rc = s_encode_pool_members(o, pool, true);
    return s_finish(out, o, rc);
}

int cr_cognito_encode_pool_id(struct cr_buf *out, const char *pool_id)
{
    json_t *o = NULL;
    int rc = s_new(&o, "(request)", false);
    if (rc == 0)
        rc = s_set_str(o, "IdentityPoolId", pool_id ? pool_id : "");
    return s_finish(out, o, rc);
}

int cr_cognito_encode_list(struct cr_buf *out, int max_results, const char *next_token)
{
    json_t *o = NULL;
    int rc = s_new(&o, "(request)", false);
    if (rc == 0)
        rc = s_set_int(o, "MaxResults", max_results);
    if (rc == 0)
        rc = s_set_str(o, "NextToken", next_token);
    return s_finish(out, o, rc);
}

static int s_set_rules(json_t *mapping, const struct cr_cognito_role_mapping *m)
{
    const char *key = "RulesConfiguration";
    json_t *conf = NULL, *rules = NULL, *o = NULL;
    int rc = s_new(&conf, key, false);
    if (rc == 0)
        rc = s_new(&rules, "Rules", true);
    if (rc == 0)
        rc = s_set(conf, "Rules", rules);
    for (size_t i = 0; rc == 0 && i < m->n_rules; i++) {
        const struct cr_cognito_rule *r = &m->rules[i];
        rc = s_append_object(&o, rules, "Rules");
        if (rc == 0)
            rc = s_set_str(o, "Claim", r->claim);
        if (rc == 0)
            rc = s_set_str(o, "MatchType", r->match_type);
        if (rc == 0)
            rc = s_set_str(o, "Value", r->value);
        if (rc == 0)
            rc = s_set_str(o, "RoleARN", r->role_arn);
    }
    if (rc < 0) {
        json_decref(conf);
        return rc;
    }
    return s_set(mapping, key, conf);
}

static int s_set_mappings(json_t *obj, const struct cr_cognito_roles *roles)
{
    const char *key = "RoleMappings";
    json_t *all = NULL, *o = NULL;
    int rc = s_new(&all, key, false);
    for (size_t i = 0; rc == 0 && i < roles->n_mappings; i++) {
        const struct cr_cognito_role_mapping *m = &roles->mappings[i];
        const char *provider = m->provider ? m->provider : "";
        if (!cr_utf8_valid(provider, strlen(provider)))
            rc = s_not_utf8(key);
        if (rc == 0)
            rc = s_new(&o, key, false);
        if (rc == 0)
            rc = s_set(all, provider, o);
        if (rc == 0)
            rc = s_set_str(o, "Type", m->type);
        if (rc == 0)
            rc = s_set_str(o, "AmbiguousRoleResolution", m->ambiguous_role_resolution);
        if (rc == 0 && m->has_rules_configuration)
            rc = s_set_rules(o, m);
    }
    if (rc < 0) {
        json_decref(all);
        return rc;
    }
    return s_set(obj, key, all);
}

int cr_cognito_encode_set_roles(struct cr_buf *out, const struct cr_cognito_roles *roles)
{
    json_t *o = NULL;
    /* Roles is required (an empty map clears them); RoleMappings is always sent because
     * SetIdentityPoolRoles replaces the whole attachment. */
    int rc = s_new(&o, "(request)", false);
    if (rc == 0)
        rc = s_set_str(o, "IdentityPoolId", roles->pool_id ? roles->pool_id : "");
    if (rc == 0)
        rc = s_set_map(o, "Roles", &roles->roles);
    if (rc == 0)
        rc = s_set_mappings(o, roles);
    return s_finish(out, o, rc);
}

int cr_cognito_encode_get_principal_tags(struct cr_buf *out, const char *pool_id,
                                         const char *provider)
{
    json_t *o = NULL;
    int rc = s_new(&o, "(request)", false);
    if (rc == 0)
        rc = s_set_str(o, "IdentityPoolId", pool_id ? pool_id : "");
    if (rc == 0)
        rc = s_set_str(o, "IdentityProviderName", provider ? provider : "");
    return s_finish(out, o, rc);
}

int cr_cognito_encode_set_principal_tags(struct cr_buf *out,
                                         const struct cr_cognito_principal_tags *pt)
{
    json_t *o = NULL;
    int rc = s_new(&o, "(request)", false);
    if (rc == 0)
        rc = s_set_str(o, "IdentityPoolId", pt->pool_id ? pt->pool_id : "");
    if (rc == 0)
        rc = s_set_str(o, "IdentityProviderName", pt->provider ? pt->provider : "");
    if (rc == 0 && pt->use_defaults >= 0)
        rc = s_set(o, "UseDefaults", json_boolean(pt->use_defaults));
    if (rc == 0)
        rc = s_set_map(o, "PrincipalTags", &pt->tags);
    return s_finish(out, o, rc);
}

int cr_cognito_encode_tag(struct cr_buf *out, const char *arn, const struct cr_strmap *tags)
{
    json_t *o = NULL;
    int rc = s_new(&o, "(request)", false);
    if (rc == 0)
        rc = s_set_str(o, "ResourceArn", arn ? arn : "");
    if (rc == 0)
        rc = s_set_map(o, "Tags", tags);
    return s_finish(out, o, rc);
}

int cr_cognito_encode_untag(struct cr_buf *out, const char *arn, const struct cr_strlist *keys)
{
    json_t *o = NULL;
    int rc = s_new(&o, "(request)", false);
    if (rc == 0)
        rc = s_set_str(o, "ResourceArn", arn ? arn : "");
    if (rc == 0)
        rc = s_set_list(o, "TagKeys", keys);
    return s_finish(out, o, rc);
}

int cr_cognito_encode_list_tags(struct cr_buf *out, const char *arn)
{
    json_t *o = NULL;
    int rc = s_new(&o, "(request)", false);
    if (rc == 0)
        rc = s_set_str(o, "ResourceArn", arn ? arn : "");
    return s_finish(out, o, rc);
}

int cr_cognito_encode_list_identities(struct cr_buf *out, const char *pool_id, int max_results)
{
    json_t *o = NULL;
    int rc = s_new(&o, "(request)", false);
    if (rc == 0)
        rc = s_set_str(o, "IdentityPoolId", pool_id ? pool_id : "");
    if (rc == 0)
        rc = s_set_int(o, "MaxResults", max_results);
    return s_finish(out, o, rc);
}

/* ---- decoders ----
 * Tolerant reading: unknown members are ignored and JSON null means absent, so a newer service
 * adding members never breaks us; a member of the wrong type is an error naming its path. */

static int s_wrong(const char *ctx, const char *key, const char *want, const json_t *got)
{
    cr_error_set("response member %s.%s: expected %s, got %s", ctx, key, want,
                 cr_json_type_name(got));
    return CR_EINVALID;
}

/* The member, or NULL when absent or null. */
static json_t *s_member(json_t *obj, const char *key)
{
    json_t *v = json_object_get(obj, key);
    return json_is_null(v) ? NULL : v;
}

static int s_load(json_t **out, const char *ctx, const char *body, size_t len)
{
    json_error_t err;
    *out = NULL;
    /* jansson may report its own out-of-memory as a syntax error, or drop characters without
     * an error at all: what it allocated tells (aws/json.h) */
    unsigned long failures = cr_json_alloc_failures();
    json_t *root = json_loadb(body ? body : "", body ? len : 0, 0, &err);
    if (cr_json_alloc_failures() != failures) {
        json_decref(root);
        cr_error_set("out of memory decoding the %s response", ctx);
        return CR_ENOMEM;
    }
    if (!root) {
        /* not the text jansson quotes: answers carry credentials and tokens */
        char reason[JSON_ERROR_TEXT_LENGTH];
        cr_error_set("%s response: not valid JSON at byte %d: %s", ctx, err.position,
                     cr_json_error_reason(reason, sizeof(reason), &err));
        return CR_EINVALID;
    }
    if (!json_is_object(root)) {
        cr_error_set("%s response: expected a JSON object, got %s", ctx, cr_json_type_name(root));
        json_decref(root);
        return CR_EINVALID;
    }
    *out = root;
    return 0;
}

static int s_get_str(char **out, json_t *obj, const char *ctx, const char *key, bool required)
{
    json_t *v = s_member(obj, key);
    if (!v) {
        if (!required)
            return 0;
        cr_error_set("response member %s.%s: required but absent", ctx, key);
        return CR_EINVALID;
    }
    if (!json_is_string(v))
        return s_wrong(ctx, key, "a string", v);
    *out = strndup(json_string_value(v), json_string_length(v));
    if (!*out) {
        cr_error_set("out of memory decoding %s.%s", ctx, key);
        return CR_ENOMEM;
    }
    return 0;
}

/* Tri-state: -1 when absent or null. */
static int s_get_tri(int *out, json_t *obj, const char *ctx, const char *key)
{
    json_t *v = s_member(obj, key);
    *out = -1;
    if (!v)
        return 0;
    if (!json_is_boolean(v))
        return s_wrong(ctx, key, "a boolean", v);
    *out = json_is_true(v) ? 1 : 0;
    return 0;
}

static int s_get_strmap(struct cr_strmap *out, bool *present, json_t *obj, const char *ctx,
                        const char *key)
{
    json_t *v = s_member(obj, key);
    const char *k;
    json_t *item;
    if (present)
        *present = v != NULL;
    if (!v)
        return 0;
    if (!json_is_object(v))
        return s_wrong(ctx, key, "an object", v);
    json_object_foreach(v, k, item)
    {
        if (json_is_null(item))
            continue;
        if (!json_is_string(item)) {
            cr_error_set("response member %s.%s{%s}: expected a string, got %s", ctx, key, k,
                         cr_json_type_name(item));
            return CR_EINVALID;
        }
        if (cr_strmap_set(out, k, json_string_value(item)) < 0) {
            cr_error_set("out of memory decoding %s.%s", ctx, key);
            return CR_ENOMEM;
        }
    }
    return 0;
}

static int s_get_strlist(struct cr_strlist *out, json_t *obj, const char *ctx, const char *key)
{
    json_t *v = s_member(obj, key);
    size_t i;
    json_t *item;
    if (!v)
        return 0;
    if (!json_is_array(v))
        return s_wrong(ctx, key, "an array", v);
    json_array_foreach(v, i, item)
    {
        if (json_is_null(item))
            continue;
        if (!json_is_string(item)) {
            cr_error_set("response member %s.%s[%zu]: expected a string, got %s", ctx, key, i,
                         cr_json_type_name(item));
            return CR_EINVALID;
        }
        if (cr_strlist_push(out, json_string_value(item)) < 0) {
            cr_error_set("out of memory decoding %s.%s", ctx, key);
            return CR_ENOMEM;
        }
    }
    return 0;
}

static int s_decode_providers(struct cr_cognito_pool *out, json_t *obj)
{
    const char *ctx = "IdentityPool";
    json_t *v = s_member(obj, "CognitoIdentityProviders");
    size_t i;
    json_t *item;
    if (!v)
        return 0;
    if (!json_is_array(v))
        return s_wrong(ctx, "CognitoIdentityProviders", "an array", v);
    if (json_array_size(v) == 0)
        return 0;
    out->cognito_identity_providers =
        calloc(json_array_size(v), sizeof(struct cr_cognito_provider));
    if (!out->cognito_identity_providers) {
        cr_error_set("out of memory decoding IdentityPool.CognitoIdentityProviders");
        return CR_ENOMEM;
    }
    json_array_foreach(v, i, item)
    {
        if (json_is_null(item))
            continue;
        if (!json_is_object(item))
            return s_wrong(ctx, "CognitoIdentityProviders[]", "an object", item);
        struct cr_cognito_provider *p =
            &out->cognito_identity_providers[out->n_cognito_identity_providers++];
        p->server_side_token_check = -1;
        const char *sub = "IdentityPool.CognitoIdentityProviders[]";
        int rc = s_get_str(&p->provider_name, item, sub, "ProviderName", false);
        if (rc == 0)
            rc = s_get_str(&p->client_id, item, sub, "ClientId", false);
        if (rc == 0)
            rc = s_get_tri(&p->server_side_token_check, item, sub, "ServerSideTokenCheck");
        if (rc < 0)
            return rc;
    }
    return 0;
}

static int s_decode_pool_members(struct cr_cognito_pool *out, json_t *o)
{
    const char *ctx = "IdentityPool";
    int unauth = -1;
    int rc = s_get_str(&out->id, o, ctx, "IdentityPoolId", true);
    if (rc == 0)
        rc = s_get_str(&out->name, o, ctx, "IdentityPoolName", false);
    if (rc == 0)
        rc = s_get_tri(&unauth, o, ctx, "AllowUnauthenticatedIdentities");
    if (rc == 0)
        rc = s_get_tri(&out->allow_classic_flow, o, ctx, "AllowClassicFlow");
    if (rc == 0)
        rc = s_get_strmap(&out->supported_login_providers, NULL, o, ctx, "SupportedLoginProviders");
    if (rc == 0)
        rc = s_get_str(&out->developer_provider_name, o, ctx, "DeveloperProviderName", false);
    if (rc == 0)
        rc =
            s_get_strlist(&out->open_id_connect_provider_arns, o, ctx, "OpenIdConnectProviderARNs");
    if (rc == 0)
        rc = s_decode_providers(out, o);
    if (rc == 0)
        rc = s_get_strlist(&out->saml_provider_arns, o, ctx, "SamlProviderARNs");
    if (rc == 0)
        rc = s_get_strmap(&out->tags, &out->has_tags, o, ctx, "IdentityPoolTags");
    out->allow_unauthenticated = unauth == 1;
    return rc;
}

int cr_cognito_decode_pool(struct cr_cognito_pool *out, const char *body, size_t len)
{
    json_t *root = NULL;
    memset(out, 0, sizeof(*out));
    out->allow_classic_flow = -1;
    int result = s_load(&root, "IdentityPool", body, len);
    if (result == 0)
        result = s_decode_pool_members(out, root);
    json_decref(root);
    if (result < 0)
        cr_cognito_pool_dispose(out);
    return result;
}

int cr_cognito_decode_pool_page(struct cr_cognito_pool_page *out, const char *body, size_t len)
{
    const char *ctx = "ListIdentityPools";
    json_t *root = NULL;
    size_t i;
    json_t *item;
    memset(out, 0, sizeof(*out));
    int result = s_load(&root, ctx, body, len);
    if (result < 0)
        goto done;
    json_t *pools = s_member(root, "IdentityPools");
    if (pools && !json_is_array(pools)) {
        result = s_wrong(ctx, "IdentityPools", "an array", pools);
        goto done;
    }
    if (pools && json_array_size(pools)) {
        out->items = calloc(json_array_size(pools), sizeof(*out->items));
        if (!out->items) {
            cr_error_set("out of memory decoding ListIdentityPools");
            result = CR_ENOMEM;
            goto done;
        }
    }
    json_array_foreach(pools, i, item)
    {
        if (json_is_null(item))
            continue;
        if (!json_is_object(item)) {
            result = s_wrong(ctx, "IdentityPools[]", "an object", item);
            goto done;
        }
        struct cr_cognito_pool_summary *s = &out->items[out->len++];
        const char *sub = "ListIdentityPools.IdentityPools[]";
        result = s_get_str(&s->id, item, sub, "IdentityPoolId", true);
        if (result == 0)
            result = s_get_str(&s->name, item, sub, "IdentityPoolName", false);
        if (result < 0)
            goto done;
    }
    result = s_get_str(&out->next_token, root, ctx, "NextToken", false);
    if (result < 0)
        goto done;
    if (out->next_token && !out->next_token[0]) {
        /* an empty token would make the caller loop forever: treat it as the last page */
        free(out->next_token);
        out->next_token = NULL;
    }
    result = 0;
done:
    json_decref(root);
    if (result < 0)
        cr_cognito_pool_page_dispose(out);
    return result;
}

static int s_decode_rules(struct cr_cognito_role_mapping *m, json_t *conf, const char *ctx)
{
    json_t *rules = s_member(conf, "Rules");
    size_t i;
    json_t *item;
    m->has_rules_configuration = true;
    if (!rules)
        return 0;
    if (!json_is_array(rules))
        return s_wrong(ctx, "RulesConfiguration.Rules", "an array", rules);
    if (json_array_size(rules) == 0)
        return 0;
    m->rules = calloc(json_array_size(rules), sizeof(*m->rules));
    if (!m->rules) {
        cr_error_set("out of memory decoding %s", ctx);
        return CR_ENOMEM;
    }
    json_array_foreach(rules, i, item)
    {
        if (json_is_null(item))
            continue;
        if (!json_is_object(item))
            return s_wrong(ctx, "RulesConfiguration.Rules[]", "an object", item);
        struct cr_cognito_rule *r = &m->rules[m->n_rules++];
        const char *sub = "RoleMappings.RulesConfiguration.Rules[]";
        int rc = s_get_str(&r->claim, item, sub, "Claim", false);
        if (rc == 0)
            rc = s_get_str(&r->match_type, item, sub, "MatchType", false);
        if (rc == 0)
            rc = s_get_str(&r->value, item, sub, "Value", false);
        if (rc == 0)
            rc = s_get_str(&r->role_arn, item, sub, "RoleARN", false);
        if (rc < 0)
            return rc;
    }
    return 0;
}

static int s_decode_mapping(struct cr_cognito_role_mapping *m, const char *key, json_t *v)
{
    const char *ctx = "GetIdentityPoolRoles.RoleMappings{}";
    m->provider = strdup(key);
    if (!m->provider) {
        cr_error_set("out of memory decoding %s", ctx);
        return CR_ENOMEM;
    }
    if (!json_is_object(v)) {
        cr_error_set("response member GetIdentityPoolRoles.RoleMappings{%s}: expected an object, "
                     "got %s",
                     key, cr_json_type_name(v));
        return CR_EINVALID;
    }
    int rc = s_get_str(&m->type, v, ctx, "Type", false);
    if (rc == 0)
        rc = s_get_str(&m->ambiguous_role_resolution, v, ctx, "AmbiguousRoleResolution", false);
    if (rc < 0)
        return rc;
    json_t *conf = s_member(v, "RulesConfiguration");
    if (!conf)
        return 0;
    if (!json_is_object(conf))
        return s_wrong(ctx, "RulesConfiguration", "an object", conf);
    return s_decode_rules(m, conf, ctx);
}

static int s_cmp_mapping(const void *a, const void *b)
{
    const struct cr_cognito_role_mapping *x = a, *y = b;
    return strcmp(x->provider, y->provider);
}

int cr_cognito_decode_roles(struct cr_cognito_roles *out, const char *body, size_t len)
{
    const char *ctx = "GetIdentityPoolRoles";
    json_t *root = NULL;
    const char *key;
    json_t *item;
    memset(out, 0, sizeof(*out));
    int result = s_load(&root, ctx, body, len);
    if (result == 0)
        result = s_get_str(&out->pool_id, root, ctx, "IdentityPoolId", false);
    if (result == 0)
        result = s_get_strmap(&out->roles, NULL, root, ctx, "Roles");
    if (result < 0)
        goto done;
    json_t *maps = s_member(root, "RoleMappings");
    if (maps && !json_is_object(maps)) {
        result = s_wrong(ctx, "RoleMappings", "an object", maps);
        goto done;
    }
    if (maps && json_object_size(maps)) {
        out->mappings = calloc(json_object_size(maps), sizeof(*out->mappings));
        if (!out->mappings) {
            cr_error_set("out of memory decoding GetIdentityPoolRoles");
            result = CR_ENOMEM;
            goto done;
        }
    }
    json_object_foreach(maps, key, item)
    {
        if (json_is_null(item))
            continue;
        result = s_decode_mapping(&out->mappings[out->n_mappings++], key, item);
        if (result < 0)
            goto done;
    }
    /* sorted by provider so comparisons and output are deterministic */
    if (out->n_mappings > 1)
        qsort(out->mappings, out->n_mappings, sizeof(*out->mappings), s_cmp_mapping);
    result = 0;
done:
    json_decref(root);
    if (result < 0)
        cr_cognito_roles_dispose(out);
    return result;
}

int cr_cognito_decode_principal_tags(struct cr_cognito_principal_tags *out, const char *body,
                                     size_t len)
{
    const char *ctx = "PrincipalTagAttributeMap";
    json_t *root = NULL;
    memset(out, 0, sizeof(*out));
    out->use_defaults = -1;
    int result = s_load(&root, ctx, body, len);
    if (result == 0)
        result = s_get_str(&out->pool_id, root, ctx, "IdentityPoolId", false);
    if (result == 0)
        result = s_get_str(&out->provider, root, ctx, "IdentityProviderName", false);
    if (result == 0)
        result = s_get_tri(&out->use_defaults, root, ctx, "UseDefaults");
    if (result == 0)
        result = s_get_strmap(&out->tags, NULL, root, ctx, "PrincipalTags");
    json_decref(root);
    if (result < 0)
        cr_cognito_principal_tags_dispose(out);
    return result;
}

int cr_cognito_decode_tags(struct cr_strmap *out, const char *body, size_t len)
{
    const char *ctx = "ListTagsForResource";
    json_t *root = NULL;
    memset(out, 0, sizeof(*out));
    int result = s_load(&root, ctx, body, len);
    if (result == 0)
        result = s_get_strmap(out, NULL, root, ctx, "Tags");
    json_decref(root);
    if (result < 0)
        cr_strmap_dispose(out);
    return result;
}

int cr_cognito_decode_identity_count(size_t *out, const char *body, size_t len)
{
    const char *ctx = "ListIdentities";
    json_t *root = NULL;
    *out = 0;
    int result = s_load(&root, ctx, body, len);
    json_t *v = result == 0 ? s_member(root, "Identities") : NULL;
    if (v && !json_is_array(v))
        result = s_wrong(ctx, "Identities", "an array", v);
    else if (v)
        *out = json_array_size(v);
    json_decref(root);
    return result;
}

/* ---- ARNs ---- */

const char *cr_aws_partition(const char *region)
{
    /* one partition table for endpoints and ARNs: aws/config.c's */
    return cr_aws_config_partition(region)->name;
}

int cr_cognito_pool_arn(struct cr_buf *out, const char *region, const char *account_id,
                        const char *pool_id)
{
    if (!region || !*region || !account_id || !*account_id || !pool_id || !*pool_id) {
        cr_error_set("identity pool ARN: region, account id and pool id are all required");
        return CR_EINVALID;
    }
    if (cr_buf_printf(out, "arn:%s:cognito-identity:%s:%s:identitypool/%s",
                      cr_aws_partition(region), region, account_id, pool_id) < 0) {
        cr_error_set("out of memory building identity pool ARN");
        return CR_ENOMEM;
    }
    return 0;
}
