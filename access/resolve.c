/* SPDX-License-Identifier: Apache-2.0 */
/*
 * Role resolution (access.h). The order of the checks follows the developer guide's
 * "Role-based access control": CustomRoleArn, then cognito:preferred_role, then
 * AmbiguousRoleResolution for Token mappings; rules in order, first match wins, a missing
 * claim never matches (NotEqual included), then AmbiguousRoleResolution for Rules mappings.
 * Where the guide is silent the choice is written in docs/emulator.md.
 */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "access/access.h"
#include "access/internal.h"
#include "util/buf.h"

#define S_NOT_AUTHORIZED "NotAuthorizedException"
#define S_BAD_CONFIG     "InvalidIdentityPoolConfigurationException"
#define S_MSG_BAD_CONFIG "Invalid identity pool configuration. Check assigned IAM roles for this pool."

/* ---- claims ---- */

/* The text of a scalar claim value (buf holds numbers), or NULL for anything else. */
static const char *s_scalar(char buf[64], const json_t *v)
{
    switch (json_typeof(v)) {
    case JSON_STRING:
        return json_string_value(v);
    case JSON_INTEGER:
        snprintf(buf, 64, "%" JSON_INTEGER_FORMAT, json_integer_value(v));
        return buf;
    case JSON_REAL:
        snprintf(buf, 64, "%.17g", json_real_value(v));
        return buf;
    case JSON_TRUE:
        return "true";
    case JSON_FALSE:
        return "false";
    default:
        return NULL;
    }
}

bool cr__access_claim_text(struct cr_buf *out, const json_t *v)
{
    char buf[64];
    const char *text;
    size_t i, n = 0;
    json_t *e;
    cr_buf_clear(out);
    if (!v)
        return false;
    if (!json_is_array(v)) {
        text = s_scalar(buf, v);
        if (text)
            cr_buf_puts(out, text);
        return text != NULL;
    }
    json_array_foreach((json_t *)v, i, e)
    {
        text = s_scalar(buf, e);
        if (text)
            cr_buf_printf(out, "%s%s", n++ ? "," : "", text);
    }
    return n > 0;
}

static bool s_text_matches(const char *type, const char *text, const char *value)
{
    if (strcmp(type, "Equals") == 0)
        return strcmp(text, value) == 0;
    if (strcmp(type, "StartsWith") == 0)
        return strncmp(text, value, strlen(value)) == 0;
    if (strcmp(type, "Contains") == 0)
        return strstr(text, value) != NULL;
    return false;
}

bool cr_access_rule_matches(const struct cr_cognito_rule *rule, const json_t *claims)
{
    char buf[64];
    const json_t *v = rule && rule->claim ? json_object_get(claims, rule->claim) : NULL;
    size_t n = 0, equal = 0, hits = 0, count = json_is_array(v) ? json_array_size(v) : 1;
    if (!v || !rule->match_type || !rule->value)
        return false;
    for (size_t i = 0; i < count; i++) {
        const char *text = s_scalar(buf, json_is_array(v) ? json_array_get(v, i) : v);
        if (!text)
            continue;
        n++;
        equal += strcmp(text, rule->value) == 0;
        hits += s_text_matches(rule->match_type, text, rule->value);
    }
    if (strcmp(rule->match_type, "NotEqual") == 0)
        return n > 0 && equal == 0; /* a claim with no value counts as missing */
    return hits > 0;
}

/* cognito:roles is an array of ARNs in real ID tokens; the guide calls it a comma-separated
 * string, so both are read. */
static bool s_token_has_role(const json_t *claims, const char *arn)
{
    const json_t *roles = json_object_get(claims, "cognito:roles");
    size_t i, len = strlen(arn);
    json_t *e;
    if (json_is_array(roles)) {
        json_array_foreach((json_t *)roles, i, e)
        {
            if (json_is_string(e) && strcmp(json_string_value(e), arn) == 0)
                return true;
        }
        return false;
    }
    for (const char *p = json_string_value(roles); p && *p;) {
        while (*p == ' ')
            p++;
        size_t n = strcspn(p, ",");
        size_t m = n;
        while (m > 0 && p[m - 1] == ' ')
            m--;
        if (m == len && strncmp(p, arn, len) == 0)
            return true;
        p += n + (p[n] == ',');
    }
    return false;
}

/* ---- results ---- */

static int s_dup(char **out, const char *s)
{
    *out = s ? strdup(s) : NULL;
    return s && !*out ? CR_ENOMEM : 0;
}

static int s_explain(struct cr_access_result *out, struct cr_buf *text)
{
    if (cr_buf_oom(text))
        return CR_ENOMEM;
    out->explanation = cr_buf_detach(text);
    return out->explanation ? 0 : CR_ENOMEM;
}

static int s_refuse(struct cr_access_result *out, enum cr_access_outcome outcome,
                    enum cr_access_via via, const char *message)
{
    out->outcome = outcome;
    out->via = via;
    out->error_type = outcome == CR_ACCESS_NO_ROLE ? S_BAD_CONFIG : S_NOT_AUTHORIZED;
    return s_dup(&out->message, message);
}

/* Grants `role` (or refuses with NO_ROLE when it is unset), explaining with `why`. */
static int s_grant(struct cr_access_result *out, enum cr_access_via via, const char *role,
                   struct cr_buf *why, const char *unset_what)
{
    out->via = via;
    if (!role || !role[0]) {
        cr_buf_printf(why, "; %s is not set", unset_what);
        if (s_refuse(out, CR_ACCESS_NO_ROLE, via, S_MSG_BAD_CONFIG) != 0)
            return CR_ENOMEM;
        return s_explain(out, why);
    }
    out->outcome = CR_ACCESS_GRANTED;
    if (s_dup(&out->role_arn, role) != 0)
        return CR_ENOMEM;
    return s_explain(out, why);
}

static const char *s_role(const struct cr_access_pool *pool, const char *which)
{
    return pool->roles ? cr_strmap_get(&pool->roles->roles, which) : NULL;
}

static int s_unauthenticated(struct cr_access_result *out, const struct cr_access_pool *pool)
{
    struct cr_buf why = CR_BUF_INIT;
    int rc;
    if (!pool->config->allow_unauthenticated) {
        cr_buf_puts(&why, "unauthenticated identity, but allowUnauthenticatedIdentities is false");
        rc = s_refuse(out, CR_ACCESS_DENIED, CR_ACCESS_VIA_UNAUTHENTICATED_OFF,
                      "Unauthenticated access is not supported for this identity pool.");
        rc = rc == 0 ? s_explain(out, &why) : rc;
    } else {
        cr_buf_puts(&why, "unauthenticated identity: roles.unauthenticated");
        rc = s_grant(out, CR_ACCESS_VIA_UNAUTHENTICATED, s_role(pool, "unauthenticated"), &why,
                     "roles.unauthenticated");
    }
    cr_buf_dispose(&why);
    return rc;
}

/* AmbiguousRoleResolution: the authenticated role, or Deny (an absent value denies: the API
 * requires it, so only a hand-built pool lacks it). */
static int s_ambiguous(struct cr_access_result *out, const struct cr_access_pool *pool,
                       const struct cr_cognito_role_mapping *m, struct cr_buf *why)
{
    const char *arr = m->ambiguous_role_resolution;
    if (arr && strcmp(arr, "AuthenticatedRole") == 0) {
        cr_buf_puts(why, ": AmbiguousRoleResolution AuthenticatedRole (roles.authenticated)");
        return s_grant(out, CR_ACCESS_VIA_AMBIGUOUS_AUTHENTICATED, s_role(pool, "authenticated"),
                       why, "roles.authenticated");
    }
    cr_buf_puts(why, ": AmbiguousRoleResolution Deny");
    if (s_refuse(out, CR_ACCESS_DENIED, CR_ACCESS_VIA_AMBIGUOUS_DENY,
                 "The ambiguous role mapping rules denied this request.") != 0)
        return CR_ENOMEM;
    return s_explain(out, why);
}

static int s_custom_refused(struct cr_access_result *out, enum cr_access_via via,
                            const char *custom, const char *key, struct cr_buf *why)
{
    char msg[512];
    snprintf(msg, sizeof(msg), "The CustomRoleArn '%s' is not allowed by the role mapping of (%s).",
             custom, key);
    if (s_refuse(out, CR_ACCESS_DENIED, via, msg) != 0)
        return CR_ENOMEM;
    return s_explain(out, why);
}

static int s_token(struct cr_access_result *out, const struct cr_access_pool *pool,
                   const struct cr_cognito_role_mapping *m, const json_t *claims,
                   const char *custom, struct cr_buf *why)
{
    const json_t *preferred = json_object_get(claims, "cognito:preferred_role");
    cr_buf_printf(why, "roleMappings[\"%s\"] (Token)", m->provider);
    if (custom) {
        if (!s_token_has_role(claims, custom)) {
            cr_buf_printf(why, ": CustomRoleArn %s is not among cognito:roles", custom);
            return s_custom_refused(out, CR_ACCESS_VIA_TOKEN_CUSTOM_REFUSED, custom, m->provider,
                                    why);
        }
        cr_buf_puts(why, ": CustomRoleArn is among cognito:roles");
        return s_grant(out, CR_ACCESS_VIA_TOKEN_CUSTOM, custom, why, "CustomRoleArn");
    }
    if (json_is_string(preferred) && json_string_length(preferred) > 0) {
        cr_buf_puts(why, ": cognito:preferred_role");
        return s_grant(out, CR_ACCESS_VIA_TOKEN_PREFERRED, json_string_value(preferred), why,
                       "cognito:preferred_role");
    }
    cr_buf_puts(why, ": no cognito:preferred_role");
    return s_ambiguous(out, pool, m, why);
}

static void s_describe_rule(struct cr_buf *why, size_t index, const char *key,
                            const struct cr_cognito_rule *r)
{
    cr_buf_printf(why, "rule %zu of roleMappings[\"%s\"] matched %s %s %s", index, key, r->claim,
                  r->match_type, r->value);
}

static int s_rules(struct cr_access_result *out, const struct cr_access_pool *pool,
                   const struct cr_cognito_role_mapping *m, const json_t *claims,
                   const char *custom, struct cr_buf *why)
{
    for (size_t i = 0; i < m->n_rules; i++) {
        const struct cr_cognito_rule *r = &m->rules[i];
        if (!cr_access_rule_matches(r, claims))
            continue;
        if (custom && (!r->role_arn || strcmp(r->role_arn, custom) != 0))
            continue; /* CustomRoleArn overrides the order: a later matching rule may hold it */
        out->rule = i + 1;
        s_describe_rule(why, i + 1, m->provider, r);
        if (custom) {
            cr_buf_puts(why, " (the CustomRoleArn)");
            return s_grant(out, CR_ACCESS_VIA_RULE_CUSTOM, r->role_arn, why, "the rule's RoleARN");
        }
        return s_grant(out, CR_ACCESS_VIA_RULE, r->role_arn, why, "the rule's RoleARN");
    }
    if (custom) {
        cr_buf_printf(why, "CustomRoleArn %s is the role of no matching rule of roleMappings[\"%s\"]",
                      custom, m->provider);
        return s_custom_refused(out, CR_ACCESS_VIA_RULE_CUSTOM_REFUSED, custom, m->provider, why);
    }
    cr_buf_printf(why, "no rule of roleMappings[\"%s\"] matched", m->provider);
    return s_ambiguous(out, pool, m, why);
}

static const struct cr_cognito_role_mapping *s_mapping(const struct cr_access_pool *pool,
                                                       const char *key)
{
    for (size_t i = 0; pool->roles && i < pool->roles->n_mappings; i++) {
        if (pool->roles->mappings[i].provider && strcmp(pool->roles->mappings[i].provider, key) == 0)
            return &pool->roles->mappings[i];
    }
    return NULL;
}

/* ---- resolution ---- */

struct s_keyed {
    char *key;
    const struct cr_access_login *login;
};

static int s_keyed_cmp(const void *a, const void *b)
{
    return strcmp(((const struct s_keyed *)a)->key, ((const struct s_keyed *)b)->key);
}

static int s_authenticated(struct cr_access_result *out, const struct cr_access_pool *pool,
                           const struct s_keyed *logins, size_t n, const char *custom)
{
    struct cr_buf why = CR_BUF_INIT;
    int rc;
    for (size_t i = 0; i < n; i++) {
        const struct cr_cognito_role_mapping *m = s_mapping(pool, logins[i].key);
        if (!m)
            continue;
        if (s_dup(&out->mapping_key, m->provider) != 0) {
            rc = CR_ENOMEM;
            goto done;
        }
        if (m->type && strcmp(m->type, "Token") == 0)
            rc = s_token(out, pool, m, logins[i].login->claims, custom, &why);
        else
            rc = s_rules(out, pool, m, logins[i].login->claims, custom, &why);
        goto done;
    }
    cr_buf_printf(&why, "no role mapping for %s: roles.authenticated", n ? logins[0].key : "");
    rc = s_grant(out, CR_ACCESS_VIA_AUTHENTICATED, s_role(pool, "authenticated"), &why,
                 "roles.authenticated");
done:
    cr_buf_dispose(&why);
    return rc;
}

int cr_access_resolve(struct cr_access_result *out, const struct cr_access_pool *pool,
                      const struct cr_access_request *req)
{
    int result = CR_ENOMEM;
    struct s_keyed *keyed = NULL;
    size_t n = 0;
    memset(out, 0, sizeof(*out));
    if (req->n_logins == 0) {
        result = s_unauthenticated(out, pool);
        goto done;
    }
    keyed = calloc(req->n_logins, sizeof(*keyed));
    if (!keyed)
        goto done;
    for (; n < req->n_logins; n++) {
        keyed[n].login = &req->logins[n];
        if (cr_access_mapping_key(&keyed[n].key, &req->logins[n]) != 0)
            goto done;
    }
    /* Byte order of the mapping keys: the outcome never depends on the order of Logins. */
    qsort(keyed, n, sizeof(*keyed), s_keyed_cmp);
    if (s_authenticated(out, pool, keyed, n, req->custom_role_arn) != 0)
        goto done;
    for (size_t i = 0; out->outcome == CR_ACCESS_GRANTED && i < n; i++) {
        if (cr__access_login_tags(&out->principal_tags, pool, keyed[i].login) != 0)
            goto done;
    }
    result = 0;
done:
    for (size_t i = 0; i < n; i++)
        free(keyed[i].key);
    free(keyed);
    if (result != 0) {
        cr_access_result_dispose(out);
        cr_error_set("out of memory");
    }
    return result;
}

void cr_access_result_dispose(struct cr_access_result *r)
{
    if (!r)
        return;
    free(r->role_arn);
    free(r->message);
    free(r->mapping_key);
    free(r->explanation);
    cr_strmap_dispose(&r->principal_tags);
    memset(r, 0, sizeof(*r));
}

const char *cr_access_role_name(const char *arn)
{
    const char *slash = arn ? strrchr(arn, '/') : NULL;
    return slash ? slash + 1 : arn;
}

const char *cr_access_outcome_name(enum cr_access_outcome outcome)
{
    switch (outcome) {
    case CR_ACCESS_GRANTED:
        return "role";
    case CR_ACCESS_DENIED:
        return "denied";
    case CR_ACCESS_NO_ROLE:
        return "no role";
    default:
        return "unknown";
    }
}
