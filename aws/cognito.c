/* SPDX-License-Identifier: Apache-2.0 */
#include "aws/cognito.h"

#include "aws/config.h"
#include "aws/json.h"

#include <ctype.h>
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

/* strdup that keeps NULL; sets *oom when a non-NULL copy fails. */
static char *s_dup(const char *s, bool *oom)
{
    if (!s)
        return NULL;
    char *copy = strdup(s);
    if (!copy)
        *oom = true;
    return copy;
}

int cr_cognito_pool_copy(struct cr_cognito_pool *out, const struct cr_cognito_pool *src)
{
    int result = CR_ENOMEM;
    bool oom = false;
    out->id = s_dup(src->id, &oom);
    out->name = s_dup(src->name, &oom);
    out->allow_unauthenticated = src->allow_unauthenticated;
    out->allow_classic_flow = src->allow_classic_flow;
    out->developer_provider_name = s_dup(src->developer_provider_name, &oom);
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
            q->provider_name = s_dup(p->provider_name, &oom);
            q->client_id = s_dup(p->client_id, &oom);
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
    q->provider = s_dup(m->provider, &oom);
    q->type = s_dup(m->type, &oom);
    q->ambiguous_role_resolution = s_dup(m->ambiguous_role_resolution, &oom);
    q->has_rules_configuration = m->has_rules_configuration;
    if (m->n_rules) {
        q->rules = calloc(m->n_rules, sizeof(*q->rules));
        if (!q->rules)
            return CR_ENOMEM;
        q->n_rules = m->n_rules;
        for (size_t i = 0; i < m->n_rules; i++) {
            q->rules[i].claim = s_dup(m->rules[i].claim, &oom);
            q->rules[i].match_type = s_dup(m->rules[i].match_type, &oom);
            q->rules[i].value = s_dup(m->rules[i].value, &oom);
            q->rules[i].role_arn = s_dup(m->rules[i].role_arn, &oom);
        }
    }
    return oom ? CR_ENOMEM : 0;
}

int cr_cognito_roles_copy(struct cr_cognito_roles *out, const struct cr_cognito_roles *src)
{
    int result = CR_ENOMEM;
    bool oom = false;
    out->pool_id = s_dup(src->pool_id, &oom);
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
 * Each encoder builds a jansson tree and serialises it compactly. A string jansson refuses
 * (json_string() returns NULL for invalid UTF-8) is reported by member name. */

static int s_set(json_t *obj, const char *key, json_t *value)
{
    if (!value) {
        cr_error_set("request member %s: not valid UTF-8 (or out of memory)", key);
        return CR_EINVALID;
    }
    /* json_object_set_new steals the reference even when it fails */
    if (json_object_set_new(obj, key, value) < 0) {
        cr_error_set("request member %s: out of memory", key);
        return CR_ENOMEM;
    }
    return 0;
}

static int s_set_str(json_t *obj, const char *key, const char *value)
{
    if (!value)
        return 0;
    return s_set(obj, key, json_string(value));
}

static json_t *s_strmap_json(const struct cr_strmap *map)
{
    json_t *obj = json_object();
    for (size_t i = 0; obj && i < map->len; i++) {
        json_t *v = json_string(map->items[i].value);
        if (!v || json_object_set_new(obj, map->items[i].key, v) < 0) {
            json_decref(obj);
            return NULL;
        }
    }
    return obj;
}

static json_t *s_strlist_json(const struct cr_strlist *list)
{
    json_t *arr = json_array();
    for (size_t i = 0; arr && i < list->len; i++) {
        if (json_array_append_new(arr, json_string(list->items[i])) < 0) {
            json_decref(arr);
            return NULL;
        }
    }
    return arr;
}

static json_t *s_providers_json(const struct cr_cognito_pool *pool)
{
    json_t *arr = json_array();
    for (size_t i = 0; arr && i < pool->n_cognito_identity_providers; i++) {
        const struct cr_cognito_provider *p = &pool->cognito_identity_providers[i];
        json_t *o = json_object();
        if (!o || json_array_append_new(arr, o) < 0 ||
            s_set_str(o, "ProviderName", p->provider_name) < 0 ||
            s_set_str(o, "ClientId", p->client_id) < 0 ||
            (p->server_side_token_check >= 0 &&
             s_set(o, "ServerSideTokenCheck", json_boolean(p->server_side_token_check)) < 0)) {
            json_decref(arr);
            return NULL;
        }
    }
    return arr;
}

static int s_dump(struct cr_buf *out, json_t *root)
{
    char *text = json_dumps(root, JSON_COMPACT);
    if (!text) {
        cr_error_set("out of memory serialising request");
        return CR_ENOMEM;
    }
    int rc = cr_buf_puts(out, text);
    free(text);
    if (rc < 0)
        cr_error_set("out of memory serialising request");
    return rc;
}

/* Members shared by Create and Update. full: send empty collections too (Update replaces the
 * whole configuration, so an explicit empty list is the unambiguous way to clear one). */
static int s_encode_pool_members(json_t *o, const struct cr_cognito_pool *pool, bool full)
{
    if (s_set_str(o, "IdentityPoolName", pool->name ? pool->name : "") < 0 ||
        s_set(o, "AllowUnauthenticatedIdentities", json_boolean(pool->allow_unauthenticated)) < 0)
        return CR_EINVALID;
    if (pool->allow_classic_flow >= 0 &&
        s_set(o, "AllowClassicFlow", json_boolean(pool->allow_classic_flow)) < 0)
        return CR_EINVALID;
    if ((full || pool->supported_login_providers.len) &&
        s_set(o, "SupportedLoginProviders", s_strmap_json(&pool->supported_login_providers)) < 0)
        return CR_EINVALID;
    if (s_set_str(o, "DeveloperProviderName", pool->developer_provider_name) < 0)
        return CR_EINVALID;
    if ((full || pool->open_id_connect_provider_arns.len) &&
        s_set(o, "OpenIdConnectProviderARNs",
              s_strlist_json(&pool->open_id_connect_provider_arns)) < 0)
        return CR_EINVALID;
    if ((full || pool->n_cognito_identity_providers) &&
        s_set(o, "CognitoIdentityProviders", s_providers_json(pool)) < 0)
        return CR_EINVALID;
    if ((full || pool->saml_provider_arns.len) &&
        s_set(o, "SamlProviderARNs", s_strlist_json(&pool->saml_provider_arns)) < 0)
        return CR_EINVALID;
    return 0;
}

int cr_cognito_encode_create(struct cr_buf *out, const struct cr_cognito_pool *pool)
{
    int result = CR_EINVALID;
    json_t *o = json_object();
    if (!o || s_encode_pool_members(o, pool, false) < 0)
        goto done;
    if (pool->has_tags && s_set(o, "IdentityPoolTags", s_strmap_json(&pool->tags)) < 0)
        goto done;
    result = s_dump(out, o);
done:
    json_decref(o);
    return result;
}

int cr_cognito_encode_update(struct cr_buf *out, const struct cr_cognito_pool *pool)
{
    int result = CR_EINVALID;
    json_t *o = json_object();
    if (!pool->id) {
        cr_error_set("UpdateIdentityPool: IdentityPoolId is required");
        goto done;
    }
    if (!o || s_set_str(o, "IdentityPoolId", pool->id) < 0 ||
        s_encode_pool_members(o, pool, true) < 0)
        goto done;
    result = s_dump(out, o);
done:
    json_decref(o);
    return result;
}

int cr_cognito_encode_pool_id(struct cr_buf *out, const char *pool_id)
{
    int result = CR_EINVALID;
    json_t *o = json_object();
    if (!o || s_set_str(o, "IdentityPoolId", pool_id ? pool_id : "") < 0)
        goto done;
    result = s_dump(out, o);
done:
    json_decref(o);
    return result;
}

int cr_cognito_encode_list(struct cr_buf *out, int max_results, const char *next_token)
{
    int result = CR_EINVALID;
    json_t *o = json_object();
    if (!o || s_set(o, "MaxResults", json_integer(max_results)) < 0 ||
        s_set_str(o, "NextToken", next_token) < 0)
        goto done;
    result = s_dump(out, o);
done:
    json_decref(o);
    return result;
}

static json_t *s_rules_json(const struct cr_cognito_role_mapping *m)
{
    json_t *conf = json_object();
    json_t *rules = json_array();
    if (!conf || !rules || json_object_set_new(conf, "Rules", rules) < 0)
        goto fail;
    for (size_t i = 0; i < m->n_rules; i++) {
        const struct cr_cognito_rule *r = &m->rules[i];
        json_t *o = json_object();
        if (!o || json_array_append_new(rules, o) < 0 || s_set_str(o, "Claim", r->claim) < 0 ||
            s_set_str(o, "MatchType", r->match_type) < 0 || s_set_str(o, "Value", r->value) < 0 ||
            s_set_str(o, "RoleARN", r->role_arn) < 0)
            goto fail;
    }
    return conf;
fail:
    json_decref(conf);
    return NULL;
}

static json_t *s_mappings_json(const struct cr_cognito_roles *roles)
{
    json_t *obj = json_object();
    for (size_t i = 0; obj && i < roles->n_mappings; i++) {
        const struct cr_cognito_role_mapping *m = &roles->mappings[i];
        json_t *o = json_object();
        if (!o || !m->provider || json_object_set_new(obj, m->provider, o) < 0 ||
            s_set_str(o, "Type", m->type) < 0 ||
            s_set_str(o, "AmbiguousRoleResolution", m->ambiguous_role_resolution) < 0 ||
            (m->has_rules_configuration && s_set(o, "RulesConfiguration", s_rules_json(m)) < 0)) {
            json_decref(obj);
            return NULL;
        }
    }
    return obj;
}

int cr_cognito_encode_set_roles(struct cr_buf *out, const struct cr_cognito_roles *roles)
{
    int result = CR_EINVALID;
    json_t *o = json_object();
    /* Roles is required (an empty map clears them); RoleMappings is always sent because
     * SetIdentityPoolRoles replaces the whole attachment. */
    if (!o || s_set_str(o, "IdentityPoolId", roles->pool_id ? roles->pool_id : "") < 0 ||
        s_set(o, "Roles", s_strmap_json(&roles->roles)) < 0 ||
        s_set(o, "RoleMappings", s_mappings_json(roles)) < 0)
        goto done;
    result = s_dump(out, o);
done:
    json_decref(o);
    return result;
}

int cr_cognito_encode_get_principal_tags(struct cr_buf *out, const char *pool_id,
                                         const char *provider)
{
    int result = CR_EINVALID;
    json_t *o = json_object();
    if (!o || s_set_str(o, "IdentityPoolId", pool_id ? pool_id : "") < 0 ||
        s_set_str(o, "IdentityProviderName", provider ? provider : "") < 0)
        goto done;
    result = s_dump(out, o);
done:
    json_decref(o);
    return result;
}

int cr_cognito_encode_set_principal_tags(struct cr_buf *out,
                                         const struct cr_cognito_principal_tags *pt)
{
    int result = CR_EINVALID;
    json_t *o = json_object();
    if (!o || s_set_str(o, "IdentityPoolId", pt->pool_id ? pt->pool_id : "") < 0 ||
        s_set_str(o, "IdentityProviderName", pt->provider ? pt->provider : "") < 0 ||
        (pt->use_defaults >= 0 && s_set(o, "UseDefaults", json_boolean(pt->use_defaults)) < 0) ||
        s_set(o, "PrincipalTags", s_strmap_json(&pt->tags)) < 0)
        goto done;
    result = s_dump(out, o);
done:
    json_decref(o);
    return result;
}

int cr_cognito_encode_tag(struct cr_buf *out, const char *arn, const struct cr_strmap *tags)
{
    int result = CR_EINVALID;
    json_t *o = json_object();
    if (!o || s_set_str(o, "ResourceArn", arn ? arn : "") < 0 ||
        s_set(o, "Tags", s_strmap_json(tags)) < 0)
        goto done;
    result = s_dump(out, o);
done:
    json_decref(o);
    return result;
}

int cr_cognito_encode_untag(struct cr_buf *out, const char *arn, const struct cr_strlist *keys)
{
    int result = CR_EINVALID;
    json_t *o = json_object();
    if (!o || s_set_str(o, "ResourceArn", arn ? arn : "") < 0 ||
        s_set(o, "TagKeys", s_strlist_json(keys)) < 0)
        goto done;
    result = s_dump(out, o);
done:
    json_decref(o);
    return result;
}

int cr_cognito_encode_list_tags(struct cr_buf *out, const char *arn)
{
    int result = CR_EINVALID;
    json_t *o = json_object();
    if (!o || s_set_str(o, "ResourceArn", arn ? arn : "") < 0)
        goto done;
    result = s_dump(out, o);
done:
    json_decref(o);
    return result;
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
    json_t *root = json_loadb(body ? body : "", body ? len : 0, 0, &err);
    if (!root) {
        cr_error_set("%s response: not valid JSON at byte %d: %s", ctx, err.position, err.text);
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
        if (s_get_str(&p->provider_name, item, sub, "ProviderName", false) < 0 ||
            s_get_str(&p->client_id, item, sub, "ClientId", false) < 0 ||
            s_get_tri(&p->server_side_token_check, item, sub, "ServerSideTokenCheck") < 0)
            return CR_EINVALID;
    }
    return 0;
}

static int s_decode_pool_members(struct cr_cognito_pool *out, json_t *o)
{
    const char *ctx = "IdentityPool";
    int unauth = -1;
    if (s_get_str(&out->id, o, ctx, "IdentityPoolId", true) < 0 ||
        s_get_str(&out->name, o, ctx, "IdentityPoolName", false) < 0 ||
        s_get_tri(&unauth, o, ctx, "AllowUnauthenticatedIdentities") < 0 ||
        s_get_tri(&out->allow_classic_flow, o, ctx, "AllowClassicFlow") < 0 ||
        s_get_strmap(&out->supported_login_providers, NULL, o, ctx, "SupportedLoginProviders") <
            0 ||
        s_get_str(&out->developer_provider_name, o, ctx, "DeveloperProviderName", false) < 0 ||
        s_get_strlist(&out->open_id_connect_provider_arns, o, ctx, "OpenIdConnectProviderARNs") <
            0 ||
        s_decode_providers(out, o) < 0 ||
        s_get_strlist(&out->saml_provider_arns, o, ctx, "SamlProviderARNs") < 0 ||
        s_get_strmap(&out->tags, &out->has_tags, o, ctx, "IdentityPoolTags") < 0)
        return CR_EINVALID;
    out->allow_unauthenticated = unauth == 1;
    return 0;
}

int cr_cognito_decode_pool(struct cr_cognito_pool *out, const char *body, size_t len)
{
    int result = CR_EINVALID;
    json_t *root = NULL;
    memset(out, 0, sizeof(*out));
    out->allow_classic_flow = -1;
    if (s_load(&root, "IdentityPool", body, len) < 0)
        goto done;
    result = s_decode_pool_members(out, root);
done:
    json_decref(root);
    if (result < 0)
        cr_cognito_pool_dispose(out);
    return result;
}

int cr_cognito_decode_pool_page(struct cr_cognito_pool_page *out, const char *body, size_t len)
{
    const char *ctx = "ListIdentityPools";
    int result = CR_EINVALID;
    json_t *root = NULL;
    size_t i;
    json_t *item;
    memset(out, 0, sizeof(*out));
    if (s_load(&root, ctx, body, len) < 0)
        goto done;
    json_t *pools = s_member(root, "IdentityPools");
    if (pools && !json_is_array(pools)) {
        s_wrong(ctx, "IdentityPools", "an array", pools);
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
            s_wrong(ctx, "IdentityPools[]", "an object", item);
            goto done;
        }
        struct cr_cognito_pool_summary *s = &out->items[out->len++];
        if (s_get_str(&s->id, item, "ListIdentityPools.IdentityPools[]", "IdentityPoolId", true) <
                0 ||
            s_get_str(&s->name, item, "ListIdentityPools.IdentityPools[]", "IdentityPoolName",
                      false) < 0)
            goto done;
    }
    if (s_get_str(&out->next_token, root, ctx, "NextToken", false) < 0)
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
        if (s_get_str(&r->claim, item, sub, "Claim", false) < 0 ||
            s_get_str(&r->match_type, item, sub, "MatchType", false) < 0 ||
            s_get_str(&r->value, item, sub, "Value", false) < 0 ||
            s_get_str(&r->role_arn, item, sub, "RoleARN", false) < 0)
            return CR_EINVALID;
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
    if (s_get_str(&m->type, v, ctx, "Type", false) < 0 ||
        s_get_str(&m->ambiguous_role_resolution, v, ctx, "AmbiguousRoleResolution", false) < 0)
        return CR_EINVALID;
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
    int result = CR_EINVALID;
    json_t *root = NULL;
    const char *key;
    json_t *item;
    memset(out, 0, sizeof(*out));
    if (s_load(&root, ctx, body, len) < 0 ||
        s_get_str(&out->pool_id, root, ctx, "IdentityPoolId", false) < 0 ||
        s_get_strmap(&out->roles, NULL, root, ctx, "Roles") < 0)
        goto done;
    json_t *maps = s_member(root, "RoleMappings");
    if (maps && !json_is_object(maps)) {
        s_wrong(ctx, "RoleMappings", "an object", maps);
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
        if (s_decode_mapping(&out->mappings[out->n_mappings++], key, item) < 0)
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
    int result = CR_EINVALID;
    json_t *root = NULL;
    memset(out, 0, sizeof(*out));
    out->use_defaults = -1;
    if (s_load(&root, ctx, body, len) < 0 ||
        s_get_str(&out->pool_id, root, ctx, "IdentityPoolId", false) < 0 ||
        s_get_str(&out->provider, root, ctx, "IdentityProviderName", false) < 0 ||
        s_get_tri(&out->use_defaults, root, ctx, "UseDefaults") < 0 ||
        s_get_strmap(&out->tags, NULL, root, ctx, "PrincipalTags") < 0)
        goto done;
    result = 0;
done:
    json_decref(root);
    if (result < 0)
        cr_cognito_principal_tags_dispose(out);
    return result;
}

int cr_cognito_decode_tags(struct cr_strmap *out, const char *body, size_t len)
{
    const char *ctx = "ListTagsForResource";
    int result = CR_EINVALID;
    json_t *root = NULL;
    memset(out, 0, sizeof(*out));
    if (s_load(&root, ctx, body, len) < 0 || s_get_strmap(out, NULL, root, ctx, "Tags") < 0)
        goto done;
    result = 0;
done:
    json_decref(root);
    if (result < 0)
        cr_strmap_dispose(out);
    return result;
}

/* Copies printable ASCII of a non-JSON body (an HTML error page) so the message stays one
 * readable line; runs of whitespace become one space. */
static void s_snippet(char *dst, size_t cap, const char *body, size_t len)
{
    size_t n = 0;
    bool space = false;
    for (size_t i = 0; i < len && n + 4 < cap; i++) {
        unsigned char c = (unsigned char)body[i];
        if (isspace(c)) {
            space = n > 0;
            continue;
        }
        if (c < 0x20 || c > 0x7e)
            continue;
        if (space)
            dst[n++] = ' ';
        space = false;
        dst[n++] = (char)c;
    }
    dst[n] = '\0';
}

static void s_copy_field(char *dst, size_t cap, const char *src)
{
    snprintf(dst, cap, "%s", src ? src : "");
}

void cr_cognito_decode_error(struct cr_cognito_error *out, long http_status, const char *body,
                             size_t len)
{
    memset(out, 0, sizeof(*out));
    out->http_status = http_status;
    json_t *root = body && len ? json_loadb(body, len, 0, NULL) : NULL;
    if (!json_is_object(root)) {
        char snip[200];
        s_snippet(snip, sizeof(snip), body ? body : "", body ? len : 0);
        if (len)
            snprintf(out->message, sizeof(out->message), "HTTP %ld with a non-JSON body: %s",
                     http_status, snip);
        else
            snprintf(out->message, sizeof(out->message), "HTTP %ld with an empty body",
                     http_status);
        json_decref(root);
        return;
    }
    json_t *type = s_member(root, "__type");
    if (!json_is_string(type))
        type = s_member(root, "code");
    if (!json_is_string(type))
        type = s_member(root, "Code");
    if (json_is_string(type)) {
        /* "com.amazonaws.cognito.identity#ResourceNotFoundException" -> the part after '#';
         * some services also append ":http://..." to the type: cut that too */
        const char *t = json_string_value(type);
        const char *hash = strrchr(t, '#');
        if (hash)
            t = hash + 1;
        s_copy_field(out->type, sizeof(out->type), t);
        char *colon = strchr(out->type, ':');
        if (colon)
            *colon = '\0';
    }
    json_t *msg = s_member(root, "message");
    if (!json_is_string(msg))
        msg = s_member(root, "Message");
    if (json_is_string(msg))
        s_copy_field(out->message, sizeof(out->message), json_string_value(msg));
    json_decref(root);
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
