/* SPDX-License-Identifier: Apache-2.0 */
/* Validation of converted pools: the API constraint table on every field, the limits the
 * documentation states, provider cross-references, ARN shapes, and the checks across
 * documents. Messages name the field path; positions are the offending key or value. */
#include <ctype.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "schema/constraints.h"
#include "schema/manifest_internal.h"
#include "schema/yaml.h"
#include "util/strutil.h"

#define S_ANY_PROVIDER_CANDIDATES 64

/* ---- helpers ---- */

static bool s_eq(const char *a, const char *b)
{
    return a != NULL && b != NULL && strcmp(a, b) == 0;
}

static bool s_starts(const char *s, const char *prefix)
{
    return strncmp(s, prefix, strlen(prefix)) == 0;
}

/* Checks a present string against a shape; reports the first violated constraint. */
static bool s_check_str(struct cr_mctx *ctx, const struct cr_model_str *v, const char *shape)
{
    if (v->value == NULL)
        return false;
    const char *why = cr_constraint_check_string(cr_shape_find(shape), v->value, v->len);
    if (why == NULL)
        return true;
    cr_manifest__field_diag(ctx, v->loc, "%s", why);
    return false;
}

/* s_check_str() of one field, with the field's name on the path of its message. */
static void s_check_field(struct cr_mctx *ctx, const char *field, const struct cr_model_str *v,
                          const char *shape)
{
    size_t mark = cr_manifest__path_field(ctx, field);
    s_check_str(ctx, v, shape);
    cr_manifest__path_pop(ctx, mark);
}

/* Checks a map key against a shape (position: the key). */
static bool s_check_key(struct cr_mctx *ctx, const struct cr_model_str *k, const char *shape)
{
    char q[100];
    const char *why = cr_constraint_check_string(cr_shape_find(shape), k->value, k->len);
    if (why == NULL)
        return true;
    cr_manifest__field_diag(ctx, k->loc, "key '%s': %s",
                            cr_manifest__quote(q, sizeof(q), k->value, k->len), why);
    return false;
}

static void s_check_count(struct cr_mctx *ctx, struct cr_loc loc, size_t n, const char *shape)
{
    const char *why = cr_constraint_check_count(cr_shape_find(shape), n);
    if (why != NULL)
        cr_manifest__field_diag(ctx, loc, "%s", why);
}

/* A string-to-string map: entry count, then each key and value against their shapes. */
static void s_check_map(struct cr_mctx *ctx, const struct cr_model_map *map, const char *shape)
{
    const struct cr_shape *sh = cr_shape_find(shape);
    if (!map->present)
        return;
    s_check_count(ctx, map->loc, map->len, shape);
    for (size_t i = 0; i < map->len; i++) {
        const struct cr_model_entry *e = &map->items[i];
        s_check_key(ctx, &e->key, sh->key->name);
        size_t mark = cr_manifest__path_key(ctx, e->key.value, e->key.len);
        s_check_str(ctx, &e->value, sh->value->name);
        cr_manifest__path_pop(ctx, mark);
    }
}

/* ---- ARNs: arn:PARTITION:iam::ACCOUNT:TYPE/REST ---- */

static void s_check_role_arn(struct cr_mctx *ctx, const struct cr_model_str *v)
{
    char q[100];
    if (!s_check_str(ctx, v, "ARNString"))
        return;
    if (!cr_model_iam_arn(v->value, "role", NULL))
        cr_manifest__field_diag(ctx, v->loc,
                                "'%s' is not an IAM role ARN (expected "
                                "arn:aws:iam::<12-digit account id>:role/<name>)",
                                cr_manifest__quote(q, sizeof(q), v->value, v->len));
}

static void s_check_provider_arns(struct cr_mctx *ctx, const struct cr_model_list *list,
                                  const char *type, const char *what)
{
    char q[100];
    for (size_t i = 0; i < list->len; i++) {
        const struct cr_model_str *v = &list->items[i];
        size_t mark = cr_manifest__path_index(ctx, i);
        if (s_check_str(ctx, v, "ARNString") && !cr_model_iam_arn(v->value, type, NULL))
            cr_manifest__field_diag(ctx, v->loc,
                                    "'%s' is not an IAM %s provider ARN (expected "
                                    "arn:aws:iam::<12-digit account id>:%s/<%s>)",
                                    cr_manifest__quote(q, sizeof(q), v->value, v->len), what, type,
                                    s_eq(type, "oidc-provider") ? "host" : "name");
        for (size_t j = 0; j < i; j++) {
            if (!s_eq(list->items[j].value, v->value))
                continue;
            cr_manifest__field_diag(ctx, v->loc,
                                    "duplicate provider '%s' (also at line %u, "
                                    "column %u)",
                                    cr_manifest__quote(q, sizeof(q), v->value, v->len),
                                    list->items[j].loc.line, list->items[j].loc.column);
            break;
        }
        cr_manifest__path_pop(ctx, mark);
    }
}

/* ---- metadata ---- */

bool cr_manifest_name_valid(const char *s)
{
    size_t n = strlen(s);
    if (n == 0 || n > CR_MANIFEST_NAME_MAX)
        return false;
    for (size_t i = 0; i < n; i++) {
        char c = s[i];
        bool alnum = (c >= 'a' && c <= 'z') || (c >= '0' && c <= '9');
        if (!alnum && (i == 0 || c != '-'))
            return false;
    }
    return true;
}

/* metadata.name of a document: what = "name" or "account name" in the message. */
static void s_check_name(struct cr_mctx *ctx, const struct cr_model_str *name, const char *what)
{
    char q[100];
    if (name->value != NULL && !cr_manifest_name_valid(name->value))
        cr_manifest__field_diag(ctx, name->loc,
                                "'%s' is not a valid %s (1 to 63 lowercase letters, digits and "
                                "'-', starting with a letter or digit)",
                                cr_manifest__quote(q, sizeof(q), name->value, name->len), what);
}

/* Region names: two letters, one or more words, a number (us-east-1, us-gov-west-1). */
static bool s_region_ok(const char *s)
{
    size_t i = 0, words = 0;
    if (!(s[0] >= 'a' && s[0] <= 'z' && s[1] >= 'a' && s[1] <= 'z' && s[2] == '-'))
        return false;
    i = 3;
    for (;;) {
        size_t start = i;
        while (s[i] >= 'a' && s[i] <= 'z')
            i++;
        if (i == start)
            break;
        words++;
        if (s[i] != '-')
            return false;
        i++;
    }
    size_t digits = 0;
    while (s[i] >= '0' && s[i] <= '9')
        i++, digits++;
    return words >= 1 && digits >= 1 && s[i] == '\0';
}

/* GUID: 8-4-4-4-12 lowercase hex. */
static bool s_guid_ok(const char *s)
{
    static const int groups[] = {8, 4, 4, 4, 12};
    for (int g = 0; g < 5; g++) {
        for (int i = 0; i < groups[g]; i++, s++)
            if (!((*s >= '0' && *s <= '9') || (*s >= 'a' && *s <= 'f')))
                return false;
        if (g < 4 && *s++ != '-')
            return false;
    }
    return *s == '\0';
}

static void s_validate_id(struct cr_mctx *ctx, const struct cr_model_pool *pool)
{
    const struct cr_model_str *id = &pool->id;
    char q[100], region[64];
    if (!s_check_str(ctx, id, "IdentityPoolId"))
        return;
    const char *colon = strchr(id->value, ':');
    size_t rlen = (size_t)(colon - id->value);
    if (rlen >= sizeof(region))
        rlen = sizeof(region) - 1;
    memcpy(region, id->value, rlen);
    region[rlen] = '\0';
    if (!s_region_ok(region) || !s_guid_ok(colon + 1)) {
        cr_manifest__field_diag(ctx, id->loc,
                                "'%s' is not an identity pool id REGION:GUID (like "
                                "us-east-1:0b6f1d2e-aaaa-4bbb-8ccc-0123456789ab)",
                                cr_manifest__quote(q, sizeof(q), id->value, id->len));
        return;
    }
    if (pool->region.value != NULL && s_region_ok(pool->region.value) &&
        strcmp(pool->region.value, region) != 0)
        cr_manifest__field_diag(ctx, id->loc, "pool id is in region %s but metadata.region is %s",
                                region, pool->region.value);
    else if (pool->region.value == NULL && pool->account.value == NULL &&
             ctx->set->opts.default_region != NULL &&
             strcmp(ctx->set->opts.default_region, region) != 0)
        cr_manifest__field_diag(ctx, id->loc,
                                "pool id is in region %s but the default region is %s (set "
                                "metadata.region)",
                                region, ctx->set->opts.default_region);
}

static void s_validate_metadata(struct cr_mctx *ctx, const struct cr_model_pool *pool)
{
    char q[100];
    size_t mark = cr_manifest__path_field(ctx, "metadata");
    size_t m2 = cr_manifest__path_field(ctx, "name");
    s_check_name(ctx, &pool->name, "name");
    cr_manifest__path_pop(ctx, m2);
    m2 = cr_manifest__path_field(ctx, "region");
    if (pool->region.value != NULL && !s_region_ok(pool->region.value))
        cr_manifest__field_diag(
            ctx, pool->region.loc, "'%s' is not an AWS region name (like us-east-1)",
            cr_manifest__quote(q, sizeof(q), pool->region.value, pool->region.len));
    cr_manifest__path_pop(ctx, m2);
    m2 = cr_manifest__path_field(ctx, "id");
    s_validate_id(ctx, pool);
    cr_manifest__path_pop(ctx, m2);
    cr_manifest__path_pop(ctx, mark);
}

/* ---- providers ---- */

/* cognito-idp.REGION.amazonaws.com[.cn]/REGION_ID */
static bool s_user_pool_provider_ok(const char *s)
{
    char region[64];
    if (!s_starts(s, "cognito-idp."))
        return false;
    s += strlen("cognito-idp.");
    const char *dot = strchr(s, '.');
    if (dot == NULL || (size_t)(dot - s) >= sizeof(region))
        return false;
    memcpy(region, s, (size_t)(dot - s));
    region[dot - s] = '\0';
    if (!s_region_ok(region))
        return false;
    s = dot + 1;
    if (s_starts(s, "amazonaws.com/"))
        s += strlen("amazonaws.com/");
    else if (s_starts(s, "amazonaws.com.cn/"))
        s += strlen("amazonaws.com.cn/");
    else
        return false;
    if (!s_starts(s, region) || s[strlen(region)] != '_')
        return false;
    s += strlen(region) + 1;
    if (*s == '\0')
        return false;
    for (; *s; s++)
        if (!((*s >= 'A' && *s <= 'Z') || (*s >= 'a' && *s <= 'z') || (*s >= '0' && *s <= '9')))
            return false;
    return true;
}

static void s_validate_user_pools(struct cr_mctx *ctx, const struct cr_model_pool *pool)
{
    char q[100], q2[100];
    size_t mark = cr_manifest__path_field(ctx, "cognitoIdentityProviders");
    if (pool->n_cognito_identity_providers > CR_LIMIT_USER_POOL_PROVIDERS)
        cr_manifest__field_diag(ctx, pool->cognito_identity_providers_loc,
                                "at most %d user pool providers per identity pool, got %zu",
                                CR_LIMIT_USER_POOL_PROVIDERS, pool->n_cognito_identity_providers);
    for (size_t i = 0; i < pool->n_cognito_identity_providers; i++) {
        const struct cr_model_provider *p = &pool->cognito_identity_providers[i];
        size_t m1 = cr_manifest__path_index(ctx, i);
        size_t m2 = cr_manifest__path_field(ctx, "providerName");
        if (s_check_str(ctx, &p->provider_name, "CognitoIdentityProviderName") &&
            !s_user_pool_provider_ok(p->provider_name.value))
            cr_manifest__field_diag(
                ctx, p->provider_name.loc,
                "'%s' is not a Cognito user pool provider name (expected "
                "cognito-idp.<region>.amazonaws.com/<user pool id>)",
                cr_manifest__quote(q, sizeof(q), p->provider_name.value, p->provider_name.len));
        cr_manifest__path_pop(ctx, m2);
        s_check_field(ctx, "clientId", &p->client_id, "CognitoIdentityProviderClientId");
        for (size_t j = 0; j < i && p->provider_name.value && p->client_id.value; j++) {
            const struct cr_model_provider *o = &pool->cognito_identity_providers[j];
            if (!s_eq(o->provider_name.value, p->provider_name.value) ||
                !s_eq(o->client_id.value, p->client_id.value))
                continue;
            cr_manifest__field_diag(
                ctx, p->loc,
                "duplicate provider '%s' with client '%s' (also at line %u, "
                "column %u)",
                cr_manifest__quote(q, sizeof(q), p->provider_name.value, p->provider_name.len),
                cr_manifest__quote(q2, sizeof(q2), p->client_id.value, p->client_id.len),
                o->loc.line, o->loc.column);
            break;
        }
        cr_manifest__path_pop(ctx, m1);
    }
    cr_manifest__path_pop(ctx, mark);
}

/* The provider names a role mapping (for_roles) or a principal-tag map may be keyed by. */
struct s_candidates {
    const char *items[S_ANY_PROVIDER_CANDIDATES];
    size_t n;
    char *owned[S_ANY_PROVIDER_CANDIDATES]; /* providerName:clientId strings */
    size_t n_owned;
};

static void s_add_candidate(struct s_candidates *c, const char *s)
{
    if (s == NULL || c->n >= S_ANY_PROVIDER_CANDIDATES)
        return;
    for (size_t i = 0; i < c->n; i++)
        if (strcmp(c->items[i], s) == 0)
            return;
    c->items[c->n++] = s;
}

static void s_candidates(struct s_candidates *c, const struct cr_model_pool *pool, bool for_roles)
{
    memset(c, 0, sizeof(*c));
    for (size_t i = 0; i < pool->supported_login_providers.len; i++)
        s_add_candidate(c, pool->supported_login_providers.items[i].key.value);
    /* OIDC providers: role mappings are keyed by the provider host (the Logins key), the
     * principal-tag operations by the provider ARN -- Terraform's principal-tag resource
     * broke on the colons of exactly that ARN (terraform-provider-aws #24834, #25964). */
    for (size_t i = 0; i < pool->open_id_connect_provider_arns.len; i++) {
        const char *arn = pool->open_id_connect_provider_arns.items[i].value;
        s_add_candidate(c, for_roles ? cr_model_oidc_host(arn) : arn);
    }
    for (size_t i = 0; i < pool->saml_provider_arns.len; i++)
        s_add_candidate(c, pool->saml_provider_arns.items[i].value);
    for (size_t i = 0; i < pool->n_cognito_identity_providers; i++) {
        const struct cr_model_provider *p = &pool->cognito_identity_providers[i];
        if (p->provider_name.value == NULL)
            continue;
        if (!for_roles) {
            s_add_candidate(c, p->provider_name.value);
            continue;
        }
        if (p->client_id.value == NULL || c->n_owned >= S_ANY_PROVIDER_CANDIDATES)
            continue;
        size_t n = p->provider_name.len + p->client_id.len + 2;
        char *s = malloc(n);
        if (s == NULL)
            continue;
        snprintf(s, n, "%s:%s", p->provider_name.value, p->client_id.value);
        c->owned[c->n_owned++] = s;
        s_add_candidate(c, s);
    }
}

static void s_candidates_dispose(struct s_candidates *c)
{
    for (size_t i = 0; i < c->n_owned; i++)
        free(c->owned[i]);
}

static bool s_is_candidate(const struct s_candidates *c, const char *s)
{
    for (size_t i = 0; i < c->n; i++)
        if (strcmp(c->items[i], s) == 0)
            return true;
    return false;
}

static void s_not_configured(struct cr_mctx *ctx, const struct s_candidates *c,
                             const struct cr_model_str *key)
{
    char q[100], h[100];
    cr_manifest__quote(q, sizeof(q), key->value, key->len);
    const char *hint = cr_str_suggest(key->value, c->items, c->n);
    if (hint != NULL) {
        cr_manifest__field_diag(ctx, key->loc,
                                "'%s' is not a provider configured on this pool (did you mean "
                                "'%s'?)",
                                q, cr_manifest__quote(h, sizeof(h), hint, strlen(hint)));
        return;
    }
    if (c->n == 0) {
        cr_manifest__field_diag(ctx, key->loc,
                                "'%s' is not a provider configured on this pool (the pool has "
                                "no identity providers)",
                                q);
        return;
    }
    char list[512], item[300];
    size_t w = 0;
    list[0] = '\0';
    for (size_t i = 0; i < c->n; i++) {
        cr_yaml__quote_n(item, sizeof(item), c->items[i], strlen(c->items[i]), 200);
        if (w + strlen(item) + 8 >= sizeof(list)) { /* whole items only: valid UTF-8 */
            memcpy(list + w, ", ...", 6);
            break;
        }
        w += (size_t)snprintf(list + w, sizeof(list) - w, "%s'%s'", i ? ", " : "", item);
    }
    cr_manifest__field_diag(
        ctx, key->loc, "'%s' is not a provider configured on this pool (configured: %s)", q, list);
}

/* ---- roles and role mappings ---- */

static void s_validate_roles(struct cr_mctx *ctx, const struct cr_model_pool *pool)
{
    char q[100];
    const struct cr_model_map *roles = &pool->roles;
    if (!roles->present)
        return;
    size_t mark = cr_manifest__path_field(ctx, "roles");
    for (size_t i = 0; i < roles->len; i++) {
        const struct cr_model_entry *e = &roles->items[i];
        if (!s_eq(e->key.value, "authenticated") && !s_eq(e->key.value, "unauthenticated")) {
            static const char *const types[] = {"authenticated", "unauthenticated"};
            const char *hint = cr_str_suggest(e->key.value, types, 2);
            cr_manifest__quote(q, sizeof(q), e->key.value, e->key.len);
            if (hint != NULL)
                cr_manifest__field_diag(ctx, e->key.loc,
                                        "'%s' is not a role type (did you mean '%s'?)", q, hint);
            else
                cr_manifest__field_diag(ctx, e->key.loc,
                                        "'%s' is not a role type (expected 'authenticated' or "
                                        "'unauthenticated')",
                                        q);
            continue;
        }
        size_t m2 = cr_manifest__path_key(ctx, e->key.value, e->key.len);
        s_check_role_arn(ctx, &e->value);
        cr_manifest__path_pop(ctx, m2);
    }
    cr_manifest__path_pop(ctx, mark);
}

static void s_validate_rule(struct cr_mctx *ctx, const struct cr_model_rule *r)
{
    s_check_field(ctx, "claim", &r->claim, "ClaimName");
    s_check_field(ctx, "matchType", &r->match_type, "MappingRuleMatchType");
    s_check_field(ctx, "value", &r->value, "ClaimValue");
    size_t mark = cr_manifest__path_field(ctx, "roleARN");
    if (r->role_arn.value != NULL)
        s_check_role_arn(ctx, &r->role_arn);
    cr_manifest__path_pop(ctx, mark);
}

static void s_validate_mapping_rules(struct cr_mctx *ctx, const struct cr_model_role_mapping *m)
{
    bool rules = s_eq(m->type.value, "Rules"), token = s_eq(m->type.value, "Token");
    if (token && m->has_rules_configuration) {
        size_t mark = cr_manifest__path_field(ctx, "rulesConfiguration");
        cr_manifest__field_diag(ctx, m->rules_configuration_loc,
                                "not allowed with type Token (rules apply to type Rules only)");
        cr_manifest__path_pop(ctx, mark);
        return;
    }
    if (rules && !m->has_rules_configuration) {
        cr_manifest__field_diag(ctx, m->loc,
                                "type Rules needs rulesConfiguration.rules (1 to %d rules)",
                                CR_LIMIT_RULES_PER_MAPPING);
        return;
    }
    if (!m->has_rules)
        return;
    size_t mark = cr_manifest__path_field(ctx, "rulesConfiguration");
    size_t m2 = cr_manifest__path_field(ctx, "rules");
    s_check_count(ctx, m->rules_loc, m->n_rules, "MappingRulesList");
    if (m->n_rules > CR_LIMIT_RULES_PER_MAPPING)
        cr_manifest__field_diag(ctx, m->rules_loc,
                                "at most %d rules per identity provider, got %zu",
                                CR_LIMIT_RULES_PER_MAPPING, m->n_rules);
    for (size_t i = 0; i < m->n_rules; i++) {
        size_t m3 = cr_manifest__path_index(ctx, i);
        s_validate_rule(ctx, &m->rules[i]);
        cr_manifest__path_pop(ctx, m3);
    }
    cr_manifest__path_pop(ctx, m2);
    cr_manifest__path_pop(ctx, mark);
}

static void s_validate_role_mappings(struct cr_mctx *ctx, const struct cr_model_pool *pool)
{
    struct s_candidates c;
    if (!pool->has_role_mappings)
        return;
    s_candidates(&c, pool, true);
    size_t mark = cr_manifest__path_field(ctx, "roleMappings");
    s_check_count(ctx, pool->role_mappings_loc, pool->n_role_mappings, "RoleMappingMap");
    for (size_t i = 0; i < pool->n_role_mappings; i++) {
        const struct cr_model_role_mapping *m = &pool->role_mappings[i];
        if (s_check_key(ctx, &m->provider, "IdentityProviderName") &&
            !s_is_candidate(&c, m->provider.value))
            s_not_configured(ctx, &c, &m->provider);
        size_t m1 = cr_manifest__path_key(ctx, m->provider.value, m->provider.len);
        s_check_field(ctx, "type", &m->type, "RoleMappingType");
        s_check_field(ctx, "ambiguousRoleResolution", &m->ambiguous_role_resolution,
                      "AmbiguousRoleResolutionType");
        s_validate_mapping_rules(ctx, m);
        cr_manifest__path_pop(ctx, m1);
    }
    cr_manifest__path_pop(ctx, mark);
    s_candidates_dispose(&c);
}

/* The OIDC provider ARN of the pool whose host is host, or NULL. */
static const char *s_oidc_arn_of_host(const struct cr_model_pool *pool, const char *host)
{
    for (size_t i = 0; i < pool->open_id_connect_provider_arns.len; i++) {
        const char *arn = pool->open_id_connect_provider_arns.items[i].value;
        if (s_eq(cr_model_oidc_host(arn), host))
            return arn;
    }
    return NULL;
}

static void s_validate_principal_tags(struct cr_mctx *ctx, const struct cr_model_pool *pool)
{
    char q[100];
    struct s_candidates c;
    if (!pool->manage_principal_tags)
        return;
    s_candidates(&c, pool, false);
    size_t mark = cr_manifest__path_field(ctx, "principalTagAttributeMaps");
    for (size_t i = 0; i < pool->n_principal_tag_maps; i++) {
        const struct cr_model_principal_tags *pt = &pool->principal_tag_maps[i];
        const char *arn = s_oidc_arn_of_host(pool, pt->provider.value);
        if (s_check_key(ctx, &pt->provider, "IdentityProviderName") &&
            !s_is_candidate(&c, pt->provider.value) && arn != NULL)
            cr_manifest__field_diag(ctx, pt->provider.loc,
                                    "OIDC providers are keyed by their ARN here, not the host: "
                                    "write '%s'",
                                    cr_manifest__quote(q, sizeof(q), arn, strlen(arn)));
        else if (!s_is_candidate(&c, pt->provider.value) &&
                 cr_constraint_check_string(cr_shape_find("IdentityProviderName"),
                                            pt->provider.value, pt->provider.len) == NULL)
            s_not_configured(ctx, &c, &pt->provider);
        size_t m1 = cr_manifest__path_key(ctx, pt->provider.value, pt->provider.len);
        size_t m2 = cr_manifest__path_field(ctx, "principalTags");
        s_check_map(ctx, &pt->principal_tags, "PrincipalTags");
        cr_manifest__path_pop(ctx, m2);
        cr_manifest__path_pop(ctx, m1);
    }
    cr_manifest__path_pop(ctx, mark);
    s_candidates_dispose(&c);
}

/* ---- tags ---- */

static void s_validate_tags(struct cr_mctx *ctx, const struct cr_model_pool *pool)
{
    char q[100];
    const struct cr_model_map *tags = &pool->tags;
    if (!tags->present)
        return;
    size_t mark = cr_manifest__path_field(ctx, "tags");
    s_check_map(ctx, tags, "IdentityPoolTagsType");
    for (size_t i = 0; i < tags->len; i++) {
        const struct cr_model_str *k = &tags->items[i].key;
        cr_manifest__quote(q, sizeof(q), k->value, k->len);
        if (s_starts(k->value, CR_MANIFEST_OWNERSHIP_PREFIX))
            cr_manifest__field_diag(ctx, k->loc,
                                    "key '%s' is reserved (cognito-reconcile sets its own "
                                    "ownership tags)",
                                    q);
        else if (strncasecmp(k->value, "aws:", 4) == 0)
            cr_manifest__field_diag(ctx, k->loc, "key '%s' is reserved by AWS (prefix aws:)", q);
    }
    unsigned reserved = ctx->set->opts.reserved_tags;
    if (tags->len + reserved > CR_LIMIT_TAGS)
        cr_manifest__field_diag(ctx, tags->loc,
                                "%zu tags plus the %u ownership tags cognito-reconcile adds "
                                "exceed the limit of %d tags per identity pool",
                                tags->len, reserved, CR_LIMIT_TAGS);
    cr_manifest__path_pop(ctx, mark);
}

/* ---- the pool ---- */

static void s_validate_spec(struct cr_mctx *ctx, const struct cr_model_pool *pool)
{
    size_t mark = cr_manifest__path_field(ctx, "spec");
    s_check_field(ctx, "identityPoolName", &pool->identity_pool_name, "IdentityPoolName");
    s_check_field(ctx, "developerProviderName", &pool->developer_provider_name,
                  "DeveloperProviderName");
    size_t m2 = cr_manifest__path_field(ctx, "supportedLoginProviders");
    s_check_map(ctx, &pool->supported_login_providers, "IdentityProviders");
    cr_manifest__path_pop(ctx, m2);
    s_validate_user_pools(ctx, pool);
    m2 = cr_manifest__path_field(ctx, "openIdConnectProviderARNs");
    s_check_provider_arns(ctx, &pool->open_id_connect_provider_arns, "oidc-provider", "OIDC");
    cr_manifest__path_pop(ctx, m2);
    m2 = cr_manifest__path_field(ctx, "samlProviderARNs");
    s_check_provider_arns(ctx, &pool->saml_provider_arns, "saml-provider", "SAML");
    cr_manifest__path_pop(ctx, m2);
    s_validate_roles(ctx, pool);
    s_validate_role_mappings(ctx, pool);
    s_validate_principal_tags(ctx, pool);
    s_validate_tags(ctx, pool);
    cr_manifest__path_pop(ctx, mark);
}

void cr_manifest__validate_pool(struct cr_mctx *ctx, const struct cr_model_pool *pool)
{
    size_t mark = ctx->depth;
    cr_manifest__path_pop(ctx, 0);
    s_validate_metadata(ctx, pool);
    s_validate_spec(ctx, pool);
    cr_manifest__path_pop(ctx, mark);
}

/* ---- kind: Account ---- */

/* A 12-digit AWS account id. */
static bool s_account_id_ok(const char *s)
{
    size_t n = 0;
    while (s[n] >= '0' && s[n] <= '9')
        n++;
    return n == 12 && s[n] == '\0';
}

/* The 12-digit account of an IAM ARN (arn:PARTITION:iam::ACCOUNT:...) into out[13]. */
static void s_arn_account(char out[13], const char *arn)
{
    const char *p = strstr(arn, ":iam::");
    out[0] = '\0';
    if (p != NULL && strlen(p + 6) >= 12) {
        memcpy(out, p + 6, 12);
        out[12] = '\0';
    }
}

/* STS's own rules for AssumeRole's ExternalId and RoleSessionName (the sts-2011-06-15 model:
 * externalIdType 2-1224 [\w+=,.@:\/-]*, roleSessionNameType 2-64 [\w+=,.@-]*), in its words. */
static void s_check_sts_string(struct cr_mctx *ctx, const char *field, const struct cr_model_str *v,
                               size_t min, size_t max, const char *extra, const char *pattern)
{
    if (v->value == NULL)
        return;
    size_t mark = cr_manifest__path_field(ctx, field);
    bool chars_ok = true;
    for (size_t i = 0; i < v->len && chars_ok; i++) {
        unsigned char c = (unsigned char)v->value[i];
        chars_ok = (c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z') || (c >= '0' && c <= '9') ||
                   c == '_' || strchr(extra, c) != NULL;
    }
    if (v->len < min)
        cr_manifest__field_diag(ctx, v->loc, "Member must have length greater than or equal to %zu",
                                min);
    else if (v->len > max)
        cr_manifest__field_diag(ctx, v->loc, "Member must have length less than or equal to %zu",
                                max);
    else if (!chars_ok)
        cr_manifest__field_diag(ctx, v->loc, "Member must satisfy regular expression pattern: %s",
                                pattern);
    cr_manifest__path_pop(ctx, mark);
}

/* A profile name: a [profile NAME] section of the AWS config file. */
static void s_check_profile(struct cr_mctx *ctx, const struct cr_model_str *v)
{
    char q[100];
    if (v->value == NULL)
        return;
    bool ok = v->len > 0 && v->len <= 128;
    for (size_t i = 0; i < v->len && ok; i++)
        ok = !isspace((unsigned char)v->value[i]) && v->value[i] != '[' && v->value[i] != ']';
    if (ok)
        return;
    size_t mark = cr_manifest__path_field(ctx, "profile");
    cr_manifest__field_diag(ctx, v->loc,
                            "'%s' is not a profile name (1 to 128 characters, no whitespace or "
                            "brackets)",
                            cr_manifest__quote(q, sizeof(q), v->value, v->len));
    cr_manifest__path_pop(ctx, mark);
}

/* spec.roleArn: an IAM role of the account itself. */
static void s_check_account_role(struct cr_mctx *ctx, const struct cr_model_account *a)
{
    char role_account[13];
    size_t mark = cr_manifest__path_field(ctx, "roleArn");
    if (a->role_arn.value != NULL && s_check_str(ctx, &a->role_arn, "ARNString")) {
        s_check_role_arn(ctx, &a->role_arn);
        s_arn_account(role_account, a->role_arn.value);
        if (cr_model_iam_arn(a->role_arn.value, "role", NULL) && a->account_id.value != NULL &&
            s_account_id_ok(a->account_id.value) && strcmp(role_account, a->account_id.value) != 0)
            cr_manifest__field_diag(ctx, a->role_arn.loc,
                                    "the role is in account %s, not %s (spec.accountId): its "
                                    "credentials would be for another account",
                                    role_account, a->account_id.value);
    }
    cr_manifest__path_pop(ctx, mark);
}

/* How to reach the account: exactly one of profile and roleArn; externalId and sessionName
 * go with roleArn. */
static void s_check_account_access(struct cr_mctx *ctx, const struct cr_model_account *a)
{
    const char *name = a->name.value != NULL ? a->name.value : "?";
    char q[100];
    cr_manifest__quote(q, sizeof(q), name, strlen(name));
    if (a->profile.value == NULL && a->role_arn.value == NULL)
        cr_manifest__field_diag(ctx, a->spec_loc,
                                "give profile (a profile of the AWS config files) or roleArn (a "
                                "role to assume with the default credentials) to say how to reach "
                                "account '%s'",
                                q);
    if (a->profile.value != NULL && a->role_arn.value != NULL) {
        size_t mark = cr_manifest__path_field(ctx, "roleArn");
        cr_manifest__field_diag(ctx, a->role_arn.key_loc,
                                "profile and roleArn exclude each other: give one of them");
        cr_manifest__path_pop(ctx, mark);
    }
    static const char *const with_role[] = {"externalId", "sessionName"};
    const struct cr_model_str *values[] = {&a->external_id, &a->session_name};
    for (size_t i = 0; i < 2 && a->role_arn.value == NULL; i++) {
        if (values[i]->value == NULL)
            continue;
        size_t mark = cr_manifest__path_field(ctx, with_role[i]);
        cr_manifest__field_diag(ctx, values[i]->key_loc,
                                "only with roleArn (it is a parameter of assuming the role)");
        cr_manifest__path_pop(ctx, mark);
    }
}

void cr_manifest__validate_account(struct cr_mctx *ctx, const struct cr_model_account *a)
{
    char q[100];
    size_t mark = ctx->depth;
    cr_manifest__path_pop(ctx, 0);
    size_t m1 = cr_manifest__path_field(ctx, "metadata");
    size_t m2 = cr_manifest__path_field(ctx, "name");
    s_check_name(ctx, &a->name, "account name");
    cr_manifest__path_pop(ctx, m2);
    cr_manifest__path_pop(ctx, m1);
    m1 = cr_manifest__path_field(ctx, "spec");
    m2 = cr_manifest__path_field(ctx, "accountId");
    if (a->account_id.value != NULL && !s_account_id_ok(a->account_id.value))
        cr_manifest__field_diag(
            ctx, a->account_id.loc, "'%s' is not an AWS account id (12 digits)",
            cr_manifest__quote(q, sizeof(q), a->account_id.value, a->account_id.len));
    cr_manifest__path_pop(ctx, m2);
    m2 = cr_manifest__path_field(ctx, "region");
    if (a->region.value != NULL && !s_region_ok(a->region.value))
        cr_manifest__field_diag(ctx, a->region.loc,
                                "'%s' is not an AWS region name (like us-east-1)",
                                cr_manifest__quote(q, sizeof(q), a->region.value, a->region.len));
    cr_manifest__path_pop(ctx, m2);
    s_check_profile(ctx, &a->profile);
    s_check_account_role(ctx, a);
    s_check_sts_string(ctx, "externalId", &a->external_id, 2, 1224, "+=,.@:/-", "[\\w+=,.@:/-]*");
    s_check_sts_string(ctx, "sessionName", &a->session_name, 2, 64, "+=,.@-", "[\\w+=,.@-]*");
    if (a->spec_loc.line != 0) /* spec is a mapping (otherwise that is the problem) */
        s_check_account_access(ctx, a);
    cr_manifest__path_pop(ctx, m1);
    cr_manifest__path_pop(ctx, mark);
}

/* ---- across documents ---- */

static bool s_same_region(const char *a, const char *b)
{
    return (a == NULL && b == NULL) || (a != NULL && b != NULL && strcmp(a, b) == 0);
}

static void s_ctx_at(struct cr_mctx *ctx, struct cr_manifest_set *set, const char *file,
                     size_t file_index, const char *section, const char *field)
{
    memset(ctx, 0, sizeof(*ctx));
    ctx->set = set;
    ctx->file = file;
    ctx->file_index = file_index;
    cr_manifest__path_field(ctx, section);
    cr_manifest__path_field(ctx, field);
}

static void s_ctx_for(struct cr_mctx *ctx, struct cr_manifest_set *set,
                      const struct cr_model_pool *p, const char *field)
{
    s_ctx_at(ctx, set, p->file, p->file_index, "metadata", field);
}

/* qsort has no context argument: the pools being sorted are reached through these. */
static _Thread_local struct cr_model_pool *const *s_sort_pools;
static _Thread_local const char *const *s_sort_regions; /* each pool's region */
static _Thread_local bool s_sort_by_id;

static int s_strcmp_null(const char *a, const char *b)
{
    if (a == NULL || b == NULL)
        return (a != NULL) - (b != NULL);
    return strcmp(a, b);
}

static int s_pool_cmp(const void *x, const void *y)
{
    size_t a = *(const size_t *)x, b = *(const size_t *)y;
    const struct cr_model_pool *pa = s_sort_pools[a], *pb = s_sort_pools[b];
    int c;
    if (s_sort_by_id) {
        c = s_strcmp_null(pa->id.value, pb->id.value);
    } else {
        c = s_strcmp_null(pa->name.value, pb->name.value);
        if (c == 0)
            c = s_strcmp_null(pa->account.value, pb->account.value);
        if (c == 0)
            c = s_strcmp_null(s_sort_regions[a], s_sort_regions[b]);
    }
    return c != 0 ? c : (a > b) - (a < b);
}

static void s_report_duplicate(struct cr_mctx *ctx, struct cr_manifest_set *set,
                               const struct cr_model_pool *p, const struct cr_model_pool *o,
                               const char *region)
{
    char q[100], r[100], a[100];
    if (s_sort_by_id) {
        s_ctx_for(ctx, set, p, "id");
        cr_manifest__field_diag(ctx, p->id.loc, "pool id '%s' is adopted twice (also at %s:%u:%u)",
                                cr_manifest__quote(q, sizeof(q), p->id.value, p->id.len), o->file,
                                o->id.loc.line, o->id.loc.column);
        return;
    }
    s_ctx_for(ctx, set, p, "name");
    cr_manifest__quote(q, sizeof(q), p->name.value, p->name.len);
    char where[260] = "";
    if (p->account.value != NULL)
        snprintf(where, sizeof(where), " in account %s%s",
                 cr_manifest__quote(a, sizeof(a), p->account.value, p->account.len),
                 region != NULL ? "," : "");
    if (region != NULL)
        snprintf(where + strlen(where), sizeof(where) - strlen(where), "%s region %s",
                 p->account.value != NULL ? "" : " in",
                 cr_manifest__quote(r, sizeof(r), region, strlen(region)));
    cr_manifest__field_diag(ctx, p->name.loc,
                            "duplicate pool name '%s'%s (also defined at %s:%u:%u)", q, where,
                            o->file, o->name.loc.line, o->name.loc.column);
}

void cr_manifest__check_role_key(struct cr_mctx *ctx, const struct cr_model_pool *pool,
                                 const struct cr_model_str *key)
{
    struct s_candidates c;
    if (key->value == NULL)
        return;
    s_candidates(&c, pool, true);
    if (!s_is_candidate(&c, key->value))
        s_not_configured(ctx, &c, key);
    s_candidates_dispose(&c);
}

void cr_manifest__check_role_arn(struct cr_mctx *ctx, const struct cr_model_str *v)
{
    s_check_role_arn(ctx, v);
}

void cr_manifest__check_map(struct cr_mctx *ctx, const struct cr_model_map *map, const char *shape)
{
    s_check_map(ctx, map, shape);
}

/* Sorts by (name, account, region) and by id, then compares neighbours: n log n for the
 * 10,000 pools of the benchmark. The first pool in file order is the one others point to. */
static int s_unique_pools(struct cr_mctx *ctx, struct cr_manifest_set *set, const char **regions)
{
    size_t n = set->n_pools;
    size_t *order = malloc((n + 1) * sizeof(*order));
    if (order == NULL)
        return CR_ENOMEM;
    for (int pass = 0; pass < 2; pass++) {
        for (size_t i = 0; i < n; i++)
            order[i] = i;
        s_sort_pools = set->pools;
        s_sort_regions = regions;
        s_sort_by_id = pass == 1;
        if (n > 1)
            qsort(order, n, sizeof(*order), s_pool_cmp);
        size_t first = 0;
        for (size_t i = 1; i < n && ctx->rc == 0; i++) {
            const struct cr_model_pool *p = set->pools[order[i]];
            const struct cr_model_pool *o = set->pools[order[first]];
            bool same = s_sort_by_id
                            ? p->id.value != NULL && s_eq(p->id.value, o->id.value)
                            : p->name.value != NULL && s_eq(p->name.value, o->name.value) &&
                                  s_strcmp_null(p->account.value, o->account.value) == 0 &&
                                  s_same_region(regions[order[i]], regions[order[first]]);
            if (!same) {
                first = i;
                continue;
            }
            s_report_duplicate(ctx, set, p, o, regions[order[i]]);
        }
    }
    free(order);
    return ctx->rc;
}

/* Account names and account ids are unique: two names for one account would let two sets of
 * manifests manage (and prune) each other's pools. */
static void s_unique_accounts(struct cr_mctx *ctx, struct cr_manifest_set *set)
{
    char q[100];
    for (size_t i = 0; i < set->n_accounts; i++) {
        const struct cr_model_account *a = set->accounts[i];
        for (size_t j = 0; j < i; j++) {
            const struct cr_model_account *o = set->accounts[j];
            if (s_eq(a->name.value, o->name.value)) {
                s_ctx_at(ctx, set, a->file, a->file_index, "metadata", "name");
                cr_manifest__field_diag(
                    ctx, a->name.loc, "duplicate account name '%s' (also defined at %s:%u:%u)",
                    cr_manifest__quote(q, sizeof(q), a->name.value, a->name.len), o->file,
                    o->name.loc.line, o->name.loc.column);
                break;
            }
            if (s_eq(a->account_id.value, o->account_id.value) &&
                s_account_id_ok(a->account_id.value)) {
                s_ctx_at(ctx, set, a->file, a->file_index, "spec", "accountId");
                cr_manifest__field_diag(ctx, a->account_id.loc,
                                        "account %s is already account '%s' (%s:%u:%u): one "
                                        "account, one Account document",
                                        a->account_id.value, o->name.value ? o->name.value : "?",
                                        o->file, o->name.loc.line, o->name.loc.column);
                break;
            }
        }
    }
}

/* metadata.account names an Account document; the Account's region is the pool's (a pool
 * id of another region needs metadata.region). */
static void s_check_pool_account(struct cr_mctx *ctx, struct cr_manifest_set *set,
                                 const struct cr_model_pool *p, bool *referenced)
{
    char q[100], list[400];
    if (p->account.value == NULL)
        return;
    const struct cr_model_account *a = NULL;
    for (size_t i = 0; i < set->n_accounts; i++)
        if (s_eq(set->accounts[i]->name.value, p->account.value)) {
            a = a != NULL ? a : set->accounts[i]; /* a duplicate name is reported on its own */
            referenced[i] = true;
        }
    s_ctx_for(ctx, set, p, "account");
    cr_manifest__quote(q, sizeof(q), p->account.value, p->account.len);
    if (a == NULL) {
        const char *names[64];
        size_t n = 0;
        list[0] = '\0';
        for (size_t i = 0; i < set->n_accounts && n < 64; i++)
            if (set->accounts[i]->name.value != NULL)
                names[n++] = set->accounts[i]->name.value;
        const char *hint = cr_str_suggest(p->account.value, names, n);
        for (size_t i = 0; i < n && strlen(list) + strlen(names[i]) + 8 < sizeof(list); i++)
            snprintf(list + strlen(list), sizeof(list) - strlen(list), "%s'%s'", i ? ", " : "",
                     names[i]);
        if (hint != NULL)
            cr_manifest__field_diag(ctx, p->account.loc,
                                    "no Account document named '%s' (did you mean '%s'?)", q, hint);
        else if (n == 0)
            cr_manifest__field_diag(ctx, p->account.loc,
                                    "no Account document named '%s' (the manifests define no "
                                    "kind: Account document)",
                                    q);
        else
            cr_manifest__field_diag(ctx, p->account.loc,
                                    "no Account document named '%s' (accounts: %s)", q, list);
        return;
    }
    if (p->region.value != NULL || p->id_region == NULL)
        return;
    s_ctx_for(ctx, set, p, "id");
    if (a->region.value != NULL && strcmp(p->id_region, a->region.value) != 0)
        cr_manifest__field_diag(ctx, p->id.loc,
                                "pool id is in region %s but account '%s' has region %s (set "
                                "metadata.region)",
                                p->id_region, q, a->region.value);
    else if (a->region.value == NULL && set->opts.default_region != NULL &&
             strcmp(p->id_region, set->opts.default_region) != 0)
        cr_manifest__field_diag(ctx, p->id.loc,
                                "pool id is in region %s but the default region is %s (set "
                                "metadata.region)",
                                p->id_region, set->opts.default_region);
}

/* An Account no pool names: nothing is read there, except with --prune (which then deletes
 * every pool of the stack in it): worth a warning, not an error. */
static int s_warn_unreferenced(struct cr_manifest_set *set, const bool *referenced)
{
    char q[100];
    for (size_t i = 0; i < set->n_accounts; i++) {
        const struct cr_model_account *a = set->accounts[i];
        if (referenced[i] || a->name.value == NULL)
            continue;
        int rc = cr_manifest__warn(
            set, a->file, a->file_index, a->name.loc, "metadata.name",
            "account '%s' is named by no pool (metadata.account): plan reads nothing there, "
            "except with --prune, which deletes every pool of the stack in it",
            cr_manifest__quote(q, sizeof(q), a->name.value, a->name.len));
        if (rc != 0)
            return rc;
    }
    return 0;
}

int cr_manifest__validate_set(struct cr_manifest_set *set)
{
    int result = CR_ENOMEM;
    size_t n = set->n_pools;
    struct cr_mctx *ctx = calloc(1, sizeof(*ctx));
    const char **regions = malloc((n + 1) * sizeof(*regions));
    bool *referenced = calloc(set->n_accounts + 1, sizeof(*referenced));
    if (ctx == NULL || regions == NULL || referenced == NULL)
        goto done;
    for (size_t i = 0; i < n; i++) {
        regions[i] = cr_manifest_pool_region(set, set->pools[i]);
        s_check_pool_account(ctx, set, set->pools[i], referenced);
    }
    s_unique_accounts(ctx, set);
    if (ctx->rc == 0 && s_unique_pools(ctx, set, regions) != 0)
        goto done;
    if (ctx->rc == 0 && s_warn_unreferenced(set, referenced) != 0)
        goto done;
    result = ctx->rc == 0 ? cr_manifest__validate_tests(set) : ctx->rc;
done:
    free(referenced);
    free(regions);
    free(ctx);
    return result;
}
