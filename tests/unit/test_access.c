/* SPDX-License-Identifier: Apache-2.0 */
/*
 * Role resolution (access/): examples for every rule of the developer guide, then a seeded
 * property test against an independent model of the rules (written from the guide, not from
 * access/resolve.c) over thousands of random pools, mappings, claims and CustomRoleArns.
 */
#include "tests/support/cr_test.h"

#include <stdlib.h>
#include <string.h>

#include "access/access.h"

#define UP      "cognito-idp.us-east-1.amazonaws.com/us-east-1_Ab12Cd34"
#define UP2     "cognito-idp.us-east-1.amazonaws.com/us-east-1_Other"
#define CLIENT  "6lhlkkfbfb4q5kpp90urffae"
#define CLIENT2 "secondclient"
#define OIDC    "arn:aws:iam::123456789012:oidc-provider/auth.example.com"
#define SAML    "arn:aws:iam::123456789012:saml-provider/Corp"
#define FB      "graph.facebook.com"
#define AMZN    "www.amazon.com"
#define ROLE(n) "arn:aws:iam::123456789012:role/" n

/* A hand-built pool: every string is a literal (nothing to free but the maps). */
struct fx {
    struct cr_cognito_pool config;
    struct cr_cognito_provider providers[3];
    char *oidc[1], *saml[1];
    struct cr_cognito_roles roles;
    struct cr_cognito_role_mapping mappings[4];
    struct cr_cognito_rule rules[4][8];
    struct cr_cognito_principal_tags tags[4];
    struct cr_access_pool pool;
};

static void fx_init(struct fx *f)
{
    memset(f, 0, sizeof(*f));
    f->config.name = (char *)"mobile";
    f->config.allow_unauthenticated = true;
    f->config.allow_classic_flow = -1;
    f->providers[0] = (struct cr_cognito_provider){(char *)UP, (char *)CLIENT, 0};
    f->providers[1] = (struct cr_cognito_provider){(char *)UP, (char *)CLIENT2, 0};
    f->providers[2] = (struct cr_cognito_provider){(char *)UP2, (char *)"c3", 0};
    f->config.cognito_identity_providers = f->providers;
    f->config.n_cognito_identity_providers = 3;
    f->oidc[0] = (char *)OIDC;
    f->config.open_id_connect_provider_arns = (struct cr_strlist){f->oidc, 1, 1};
    f->saml[0] = (char *)SAML;
    f->config.saml_provider_arns = (struct cr_strlist){f->saml, 1, 1};
    assert_ok(cr_strmap_set(&f->config.supported_login_providers, FB, "7346241598935552"));
    assert_ok(cr_strmap_set(&f->config.supported_login_providers, AMZN, "amzn1.application"));
    f->config.developer_provider_name = (char *)"login.example.mobile";
    assert_ok(cr_strmap_set(&f->roles.roles, "authenticated", ROLE("Auth")));
    assert_ok(cr_strmap_set(&f->roles.roles, "unauthenticated", ROLE("Guest")));
    f->roles.mappings = f->mappings;
    f->pool.config = &f->config;
    f->pool.roles = &f->roles;
    f->pool.principal_tags = f->tags;
}

static void fx_dispose(struct fx *f)
{
    cr_strmap_dispose(&f->config.supported_login_providers);
    cr_strmap_dispose(&f->roles.roles);
    for (size_t i = 0; i < 4; i++)
        cr_strmap_dispose(&f->tags[i].tags);
}

/* Adds mapping key of type with ambiguous resolution arr; returns it for rules. */
static struct cr_cognito_role_mapping *fx_mapping(struct fx *f, const char *key, const char *type,
                                                  const char *arr)
{
    size_t i = f->roles.n_mappings++;
    struct cr_cognito_role_mapping *m = &f->mappings[i];
    m->provider = (char *)key;
    m->type = (char *)type;
    m->ambiguous_role_resolution = (char *)arr;
    m->rules = f->rules[i];
    return m;
}

static void fx_rule(struct cr_cognito_role_mapping *m, const char *claim, const char *type,
                    const char *value, const char *role)
{
    m->has_rules_configuration = true;
    m->rules[m->n_rules++] =
        (struct cr_cognito_rule){(char *)claim, (char *)type, (char *)value, (char *)role};
}

static struct cr_cognito_principal_tags *fx_tags(struct fx *f, const char *provider, int defaults)
{
    struct cr_cognito_principal_tags *t = &f->tags[f->pool.n_principal_tags++];
    t->provider = (char *)provider;
    t->use_defaults = defaults;
    return t;
}

/* Resolves one login (provider key, client, claims JSON) with an optional CustomRoleArn. */
static void resolve1(struct cr_access_result *out, struct fx *f, const char *login,
                     const char *claims_json, const char *custom)
{
    struct cr_access_login l = {0};
    json_t *claims = json_loads(claims_json, 0, NULL);
    assert_non_null(claims);
    assert_ok(cr_access_login_parse(&l.provider, &l.client_id, &f->config, login));
    assert_ok(cr_access_login_claims(claims, &l.provider, l.client_id, "user-1"));
    l.claims = claims;
    struct cr_access_request req = {&l, 1, custom};
    assert_ok(cr_access_resolve(out, &f->pool, &req));
    json_decref(claims);
}

static void assert_role(const struct cr_access_result *r, const char *role, enum cr_access_via via)
{
    if (r->outcome != CR_ACCESS_GRANTED)
        fail_msg("expected %s, got %s: %s (%s)", role, cr_access_outcome_name(r->outcome),
                 r->message, r->explanation);
    assert_string_equal(r->role_arn, role);
    assert_int_equal(r->via, via);
    assert_null(r->error_type);
}

static void assert_refused(const struct cr_access_result *r, enum cr_access_outcome outcome,
                           enum cr_access_via via, const char *message)
{
    assert_int_equal(r->outcome, outcome);
    assert_int_equal(r->via, via);
    assert_null(r->role_arn);
    assert_string_equal(r->error_type, outcome == CR_ACCESS_NO_ROLE
                                           ? "InvalidIdentityPoolConfigurationException"
                                           : "NotAuthorizedException");
    assert_string_equal(r->message, message);
}

/* ---- providers and logins ---- */

static void test_access__providers_by_logins_key(void **state)
{
    struct fx f;
    struct cr_access_provider p;
    fx_init(&f);
    assert_ok(cr_access_provider_find(&p, &f.config, FB));
    assert_int_equal(p.kind, CR_ACCESS_PROVIDER_SOCIAL);
    assert_string_equal(p.app_id, "7346241598935552");
    assert_ok(cr_access_provider_find(&p, &f.config, UP));
    assert_int_equal(p.kind, CR_ACCESS_PROVIDER_USER_POOL);
    assert_ok(cr_access_provider_find(&p, &f.config, "auth.example.com"));
    assert_int_equal(p.kind, CR_ACCESS_PROVIDER_OIDC);
    assert_string_equal(p.arn, OIDC);
    assert_ok(cr_access_provider_find(&p, &f.config, SAML));
    assert_int_equal(p.kind, CR_ACCESS_PROVIDER_SAML);
    assert_ok(cr_access_provider_find(&p, &f.config, "login.example.mobile"));
    assert_int_equal(p.kind, CR_ACCESS_PROVIDER_DEVELOPER);
    /* the ARN is not the Logins key of an OIDC provider; a user pool key has no client */
    assert_int_equal(cr_access_provider_find(&p, &f.config, OIDC), CR_ENOTFOUND);
    assert_int_equal(cr_access_provider_find(&p, &f.config, UP ":" CLIENT), CR_ENOTFOUND);
    assert_int_equal(cr_access_provider_find(&p, &f.config, "accounts.google.com"), CR_ENOTFOUND);
    assert_true(cr_access_user_pool_client(&f.config, UP, CLIENT2));
    assert_false(cr_access_user_pool_client(&f.config, UP, "c3"));
    assert_string_equal(cr_access_oidc_issuer(OIDC), "auth.example.com");
    assert_null(cr_access_oidc_issuer(SAML));
    fx_dispose(&f);
}

static void test_access__login_parse(void **state)
{
    struct fx f;
    struct cr_access_provider p;
    const char *client;
    fx_init(&f);
    assert_ok(cr_access_login_parse(&p, &client, &f.config, UP ":" CLIENT2));
    assert_int_equal(p.kind, CR_ACCESS_PROVIDER_USER_POOL);
    assert_string_equal(p.name, UP);
    assert_string_equal(client, CLIENT2);
    assert_ok(cr_access_login_parse(&p, &client, &f.config, UP2)); /* one app client */
    assert_string_equal(client, "c3");
    assert_ok(cr_access_login_parse(&p, &client, &f.config, SAML)); /* an ARN holds ':' */
    assert_int_equal(p.kind, CR_ACCESS_PROVIDER_SAML);
    assert_null(client);
    assert_int_equal(cr_access_login_parse(&p, &client, &f.config, UP), CR_EINVALID);
    assert_non_null(strstr(cr_error_last(), "2 app clients"));
    assert_int_equal(cr_access_login_parse(&p, &client, &f.config, UP ":nope"), CR_EINVALID);
    assert_string_equal(cr_error_last(), "app client 'nope' is not configured for user pool '" UP
                                         "' on the pool");
    assert_int_equal(cr_access_login_parse(&p, &client, &f.config, "accounts.google.com"),
                     CR_EINVALID);
    assert_non_null(strstr(cr_error_last(), "is not a provider of the pool (its logins: " FB));
    assert_int_equal(cr_access_login_parse(&p, &client, &f.config, "login.example.mobile"),
                     CR_EINVALID);
    fx_dispose(&f);
}

static void test_access__login_claims_defaults(void **state)
{
    struct fx f;
    struct cr_access_provider p;
    const char *client;
    json_t *c = json_pack("{s:s}", "sub", "kept");
    fx_init(&f);
    assert_ok(cr_access_login_parse(&p, &client, &f.config, UP ":" CLIENT));
    assert_ok(cr_access_login_claims(c, &p, client, "default"));
    assert_string_equal(json_string_value(json_object_get(c, "iss")), "https://" UP);
    assert_string_equal(json_string_value(json_object_get(c, "aud")), CLIENT);
    assert_string_equal(json_string_value(json_object_get(c, "sub")), "kept");
    json_object_clear(c);
    assert_ok(cr_access_login_parse(&p, &client, &f.config, FB));
    assert_ok(cr_access_login_claims(c, &p, client, "u"));
    assert_string_equal(json_string_value(json_object_get(c, "iss")), FB);
    assert_string_equal(json_string_value(json_object_get(c, "aud")), "7346241598935552");
    json_object_clear(c);
    assert_ok(cr_access_login_parse(&p, &client, &f.config, "auth.example.com"));
    assert_ok(cr_access_login_claims(c, &p, client, "u"));
    assert_string_equal(json_string_value(json_object_get(c, "iss")), "https://auth.example.com");
    assert_null(json_object_get(c, "aud")); /* IAM holds an OIDC provider's audiences */
    json_decref(c);
    fx_dispose(&f);
}

/* ---- rules ---- */

static void test_access__rule_match_types(void **state)
{
    static const struct {
        const char *claims, *type, *value;
        bool match;
    } cases[] = {
        {"{\"c\":\"paid\"}", "Equals", "paid", true},
        {"{\"c\":\"paid\"}", "Equals", "pai", false},
        {"{\"c\":\"paid\"}", "StartsWith", "pa", true},
        {"{\"c\":\"paid\"}", "StartsWith", "aid", false},
        {"{\"c\":\"paid\"}", "Contains", "ai", true},
        {"{\"c\":\"paid\"}", "Contains", "x", false},
        {"{\"c\":\"paid\"}", "NotEqual", "free", true},
        {"{\"c\":\"paid\"}", "NotEqual", "paid", false},
        /* a missing claim matches nothing, NotEqual included (developer guide) */
        {"{}", "NotEqual", "paid", false},
        {"{}", "Equals", "paid", false},
        {"{\"c\":null}", "NotEqual", "x", false},
        {"{\"c\":{\"a\":1}}", "NotEqual", "x", false},
        /* arrays: any element (cognito:groups) */
        {"{\"c\":[\"users\",\"admins\"]}", "Equals", "admins", true},
        {"{\"c\":[\"users\",\"admins\"]}", "Contains", "dmi", true},
        {"{\"c\":[\"users\",\"admins\"]}", "NotEqual", "admins", false},
        {"{\"c\":[\"users\",\"admins\"]}", "NotEqual", "ops", true},
        {"{\"c\":[]}", "NotEqual", "ops", false},
        /* numbers and booleans as their JSON text */
        {"{\"c\":3}", "Equals", "3", true},
        {"{\"c\":true}", "Equals", "true", true},
        {"{\"c\":false}", "StartsWith", "f", true},
        {"{\"c\":\"Paid\"}", "Equals", "paid", false}, /* case-sensitive */
        {"{\"c\":\"paid\"}", "Matches", "paid", false}, /* unknown match type */
    };
    for (size_t i = 0; i < sizeof(cases) / sizeof(cases[0]); i++) {
        json_t *claims = json_loads(cases[i].claims, 0, NULL);
        struct cr_cognito_rule r = {(char *)"c", (char *)cases[i].type, (char *)cases[i].value,
                                    (char *)ROLE("R")};
        if (cr_access_rule_matches(&r, claims) != cases[i].match)
            fail_msg("case %zu: %s %s %s: expected %d", i, cases[i].claims, cases[i].type,
                     cases[i].value, cases[i].match);
        json_decref(claims);
    }
}

/* ---- resolution examples ---- */

static void test_access__unauthenticated(void **state)
{
    struct fx f;
    struct cr_access_result r;
    struct cr_access_request req = {0};
    fx_init(&f);
    assert_ok(cr_access_resolve(&r, &f.pool, &req));
    assert_role(&r, ROLE("Guest"), CR_ACCESS_VIA_UNAUTHENTICATED);
    assert_int_equal(r.principal_tags.len, 0);
    cr_access_result_dispose(&r);
    cr_strmap_remove(&f.roles.roles, "unauthenticated");
    assert_ok(cr_access_resolve(&r, &f.pool, &req));
    assert_refused(&r, CR_ACCESS_NO_ROLE, CR_ACCESS_VIA_UNAUTHENTICATED,
                   "Invalid identity pool configuration. Check assigned IAM roles for this pool.");
    assert_string_equal(r.explanation, "unauthenticated identity: roles.unauthenticated; "
                                       "roles.unauthenticated is not set");
    cr_access_result_dispose(&r);
    f.config.allow_unauthenticated = false;
    assert_ok(cr_access_resolve(&r, &f.pool, &req));
    assert_refused(&r, CR_ACCESS_DENIED, CR_ACCESS_VIA_UNAUTHENTICATED_OFF,
                   "Unauthenticated access is not supported for this identity pool.");
    cr_access_result_dispose(&r);
    f.pool.roles = NULL; /* no roles at all */
    f.config.allow_unauthenticated = true;
    assert_ok(cr_access_resolve(&r, &f.pool, &req));
    assert_int_equal(r.outcome, CR_ACCESS_NO_ROLE);
    cr_access_result_dispose(&r);
    fx_dispose(&f);
}

static void test_access__no_mapping_gets_authenticated_role(void **state)
{
    struct fx f;
    struct cr_access_result r;
    fx_init(&f);
    fx_mapping(&f, UP2 ":c3", "Token", "Deny"); /* another provider's mapping */
    resolve1(&r, &f, UP ":" CLIENT, "{}", NULL);
    assert_role(&r, ROLE("Auth"), CR_ACCESS_VIA_AUTHENTICATED);
    assert_string_equal(r.explanation, "no role mapping for " UP ":" CLIENT ": roles.authenticated");
    assert_null(r.mapping_key);
    cr_access_result_dispose(&r);
    /* a mapping is per app client: the other client of the same user pool is unmapped */
    fx_mapping(&f, UP ":" CLIENT, "Token", "Deny");
    resolve1(&r, &f, UP ":" CLIENT2, "{}", NULL);
    assert_role(&r, ROLE("Auth"), CR_ACCESS_VIA_AUTHENTICATED);
    cr_access_result_dispose(&r);
    cr_strmap_remove(&f.roles.roles, "authenticated");
    resolve1(&r, &f, FB, "{}", NULL);
    assert_int_equal(r.outcome, CR_ACCESS_NO_ROLE);
    cr_access_result_dispose(&r);
    fx_dispose(&f);
}

static void test_access__token_mapping(void **state)
{
    struct fx f;
    struct cr_access_result r;
    const char *roles = "{\"cognito:roles\":[\"" ROLE("A") "\",\"" ROLE("B") "\"]";
    char claims[512];
    fx_init(&f);
    struct cr_cognito_role_mapping *m = fx_mapping(&f, UP ":" CLIENT, "Token", "Deny");
    snprintf(claims, sizeof(claims), "%s,\"cognito:preferred_role\":\"%s\"}", roles, ROLE("B"));
    resolve1(&r, &f, UP ":" CLIENT, claims, NULL);
    assert_role(&r, ROLE("B"), CR_ACCESS_VIA_TOKEN_PREFERRED);
    assert_string_equal(r.mapping_key, UP ":" CLIENT);
    cr_access_result_dispose(&r);
    /* CustomRoleArn among cognito:roles wins over the preferred role */
    resolve1(&r, &f, UP ":" CLIENT, claims, ROLE("A"));
    assert_role(&r, ROLE("A"), CR_ACCESS_VIA_TOKEN_CUSTOM);
    cr_access_result_dispose(&r);
    /* ... and is refused when it is not among them */
    resolve1(&r, &f, UP ":" CLIENT, claims, ROLE("C"));
    assert_refused(&r, CR_ACCESS_DENIED, CR_ACCESS_VIA_TOKEN_CUSTOM_REFUSED,
                   "The CustomRoleArn '" ROLE("C") "' is not allowed by the role mapping of (" UP
                   ":" CLIENT ").");
    cr_access_result_dispose(&r);
    /* the guide's comma-separated form of cognito:roles */
    resolve1(&r, &f, UP ":" CLIENT,
             "{\"cognito:roles\":\"" ROLE("A") ", " ROLE("B") "\"}", ROLE("B"));
    assert_role(&r, ROLE("B"), CR_ACCESS_VIA_TOKEN_CUSTOM);
    cr_access_result_dispose(&r);
    /* no preferred role: ambiguous */
    snprintf(claims, sizeof(claims), "%s}", roles);
    resolve1(&r, &f, UP ":" CLIENT, claims, NULL);
    assert_refused(&r, CR_ACCESS_DENIED, CR_ACCESS_VIA_AMBIGUOUS_DENY,
                   "The ambiguous role mapping rules denied this request.");
    assert_string_equal(r.explanation, "roleMappings[\"" UP ":" CLIENT "\"] (Token): no "
                                       "cognito:preferred_role: AmbiguousRoleResolution Deny");
    cr_access_result_dispose(&r);
    m->ambiguous_role_resolution = (char *)"AuthenticatedRole";
    resolve1(&r, &f, UP ":" CLIENT, "{}", NULL);
    assert_role(&r, ROLE("Auth"), CR_ACCESS_VIA_AMBIGUOUS_AUTHENTICATED);
    cr_access_result_dispose(&r);
    fx_dispose(&f);
}

static void test_access__rules_mapping(void **state)
{
    struct fx f;
    struct cr_access_result r;
    fx_init(&f);
    struct cr_cognito_role_mapping *m = fx_mapping(&f, UP ":" CLIENT, "Rules", "Deny");
    fx_rule(m, "custom:tier", "Equals", "free", ROLE("Free"));
    fx_rule(m, "custom:tier", "Equals", "paid", ROLE("Paid"));
    fx_rule(m, "custom:tier", "StartsWith", "pa", ROLE("Pa"));
    fx_rule(m, "email", "NotEqual", "x@example.com", ROLE("NotX"));
    resolve1(&r, &f, UP ":" CLIENT, "{\"custom:tier\":\"paid\"}", NULL);
    assert_role(&r, ROLE("Paid"), CR_ACCESS_VIA_RULE); /* rule 3 also matches: first wins */
    assert_int_equal(r.rule, 2);
    assert_string_equal(r.explanation, "rule 2 of roleMappings[\"" UP ":" CLIENT
                                       "\"] matched custom:tier Equals paid");
    cr_access_result_dispose(&r);
    /* CustomRoleArn overrides the order among matching rules */
    resolve1(&r, &f, UP ":" CLIENT, "{\"custom:tier\":\"paid\"}", ROLE("Pa"));
    assert_role(&r, ROLE("Pa"), CR_ACCESS_VIA_RULE_CUSTOM);
    assert_int_equal(r.rule, 3);
    cr_access_result_dispose(&r);
    resolve1(&r, &f, UP ":" CLIENT, "{\"custom:tier\":\"paid\"}", ROLE("Free"));
    assert_int_equal(r.via, CR_ACCESS_VIA_RULE_CUSTOM_REFUSED);
    assert_int_equal(r.outcome, CR_ACCESS_DENIED);
    cr_access_result_dispose(&r);
    /* NotEqual needs the claim */
    resolve1(&r, &f, UP ":" CLIENT, "{\"email\":\"y@example.com\"}", NULL);
    assert_role(&r, ROLE("NotX"), CR_ACCESS_VIA_RULE);
    cr_access_result_dispose(&r);
    resolve1(&r, &f, UP ":" CLIENT, "{\"custom:tier\":\"gold\"}", NULL);
    assert_refused(&r, CR_ACCESS_DENIED, CR_ACCESS_VIA_AMBIGUOUS_DENY,
                   "The ambiguous role mapping rules denied this request.");
    assert_string_equal(r.explanation, "no rule of roleMappings[\"" UP ":" CLIENT
                                       "\"] matched: AmbiguousRoleResolution Deny");
    cr_access_result_dispose(&r);
    m->ambiguous_role_resolution = (char *)"AuthenticatedRole";
    resolve1(&r, &f, UP ":" CLIENT, "{\"custom:tier\":\"gold\"}", NULL);
    assert_role(&r, ROLE("Auth"), CR_ACCESS_VIA_AMBIGUOUS_AUTHENTICATED);
    cr_access_result_dispose(&r);
    fx_dispose(&f);
}

static void test_access__several_logins_in_key_order(void **state)
{
    struct fx f;
    struct cr_access_result r, r2;
    fx_init(&f);
    fx_rule(fx_mapping(&f, FB, "Rules", "Deny"), "sub", "StartsWith", "", ROLE("Fb"));
    fx_rule(fx_mapping(&f, UP ":" CLIENT, "Rules", "Deny"), "sub", "StartsWith", "", ROLE("Up"));
    json_t *c1 = json_pack("{s:s}", "sub", "a"), *c2 = json_pack("{s:s}", "sub", "b");
    struct cr_access_login l[2] = {0};
    assert_ok(cr_access_login_parse(&l[0].provider, &l[0].client_id, &f.config, UP ":" CLIENT));
    assert_ok(cr_access_login_parse(&l[1].provider, &l[1].client_id, &f.config, FB));
    l[0].claims = c1;
    l[1].claims = c2;
    struct cr_access_request req = {l, 2, NULL};
    assert_ok(cr_access_resolve(&r, &f.pool, &req));
    struct cr_access_login swapped[2] = {l[1], l[0]};
    req.logins = swapped;
    assert_ok(cr_access_resolve(&r2, &f.pool, &req));
    /* "cognito-idp..." sorts before "graph.facebook.com" whatever the Logins order */
    assert_role(&r, ROLE("Up"), CR_ACCESS_VIA_RULE);
    assert_role(&r2, ROLE("Up"), CR_ACCESS_VIA_RULE);
    cr_access_result_dispose(&r);
    cr_access_result_dispose(&r2);
    json_decref(c1);
    json_decref(c2);
    fx_dispose(&f);
}

static void test_access__principal_tags(void **state)
{
    struct fx f;
    struct cr_access_result r;
    fx_init(&f);
    /* no map set for the provider: no tags */
    resolve1(&r, &f, UP ":" CLIENT, "{\"sub\":\"u1\"}", NULL);
    assert_int_equal(r.principal_tags.len, 0);
    cr_access_result_dispose(&r);
    /* defaults: client (aud) and username (sub); custom entries on top */
    struct cr_cognito_principal_tags *t = fx_tags(&f, UP, 1);
    assert_ok(cr_strmap_set(&t->tags, "tier", "custom:tier"));
    assert_ok(cr_strmap_set(&t->tags, "groups", "cognito:groups"));
    assert_ok(cr_strmap_set(&t->tags, "missing", "custom:none"));
    resolve1(&r, &f, UP ":" CLIENT,
             "{\"sub\":\"u1\",\"custom:tier\":\"paid\",\"cognito:groups\":[\"a\",\"b\"]}", NULL);
    assert_int_equal(r.principal_tags.len, 4);
    assert_string_equal(cr_strmap_get(&r.principal_tags, "client"), CLIENT);
    assert_string_equal(cr_strmap_get(&r.principal_tags, "username"), "u1");
    assert_string_equal(cr_strmap_get(&r.principal_tags, "tier"), "paid");
    assert_string_equal(cr_strmap_get(&r.principal_tags, "groups"), "a,b");
    cr_access_result_dispose(&r);
    /* Login with Amazon's user id is user_id; OIDC maps are found by ARN too */
    fx_tags(&f, AMZN, 1);
    resolve1(&r, &f, AMZN, "{\"user_id\":\"amzn1.account.X\"}", NULL);
    assert_string_equal(cr_strmap_get(&r.principal_tags, "username"), "amzn1.account.X");
    assert_string_equal(cr_strmap_get(&r.principal_tags, "client"), "amzn1.application");
    cr_access_result_dispose(&r);
    t = fx_tags(&f, OIDC, 0);
    assert_ok(cr_strmap_set(&t->tags, "dept", "department"));
    resolve1(&r, &f, "auth.example.com", "{\"department\":\"legal\"}", NULL);
    assert_int_equal(r.principal_tags.len, 1);
    assert_string_equal(cr_strmap_get(&r.principal_tags, "dept"), "legal");
    cr_access_result_dispose(&r);
    /* refused: no tags */
    fx_rule(fx_mapping(&f, UP ":" CLIENT, "Rules", "Deny"), "x", "Equals", "y", ROLE("Y"));
    resolve1(&r, &f, UP ":" CLIENT, "{\"sub\":\"u1\"}", NULL);
    assert_int_equal(r.outcome, CR_ACCESS_DENIED);
    assert_int_equal(r.principal_tags.len, 0);
    cr_access_result_dispose(&r);
    fx_dispose(&f);
}

static void test_access__developer_tags_come_with_the_token(void **state)
{
    struct fx f;
    struct cr_access_result r;
    fx_init(&f);
    json_t *claims = json_loads("{\"sub\":\"us-east-1:abc\",\"https://aws.amazon.com/tags\":"
                                "{\"principal_tags\":{\"team\":[\"blue\"],\"lvl\":[\"3\"]}}}",
                                0, NULL);
    struct cr_access_login l = {{CR_ACCESS_PROVIDER_DEVELOPER, "login.example.mobile", NULL, NULL},
                                NULL,
                                claims};
    struct cr_access_request req = {&l, 1, NULL};
    assert_ok(cr_access_resolve(&r, &f.pool, &req));
    assert_role(&r, ROLE("Auth"), CR_ACCESS_VIA_AUTHENTICATED);
    assert_string_equal(cr_strmap_get(&r.principal_tags, "team"), "blue");
    assert_string_equal(cr_strmap_get(&r.principal_tags, "lvl"), "3");
    cr_access_result_dispose(&r);
    json_decref(claims);
    assert_string_equal(cr_access_role_name(ROLE("path/MobilePaid")), "MobilePaid");
    fx_dispose(&f);
}

/* ---- property test: an independent model of the guide's rules ---- */

static unsigned s_seed;

static unsigned rnd(unsigned n)
{
    s_seed = s_seed * 1664525u + 1013904223u;
    return (s_seed >> 8) % n;
}

static const char *const M_VALUES[] = {"paid", "pa", "aid", "free", "3", "true", "gold"};
static const char *const M_TYPES[] = {"Equals", "Contains", "StartsWith", "NotEqual"};
static const char *const M_ROLES[] = {ROLE("R0"), ROLE("R1"), ROLE("R2"), ROLE("R3")};
#define N_OF(a) (sizeof(a) / sizeof((a)[0]))

/* The values of the claim as the model reads the guide: strings, numbers, booleans. */
static size_t m_values(const json_t *v, char out[8][32])
{
    size_t n = 0;
    const json_t *items[8];
    size_t count = 0;
    if (json_is_array(v)) {
        for (size_t i = 0; i < json_array_size(v) && count < 8; i++)
            items[count++] = json_array_get(v, i);
    } else if (v) {
        items[count++] = v;
    }
    for (size_t i = 0; i < count; i++) {
        if (json_is_string(items[i]))
            snprintf(out[n++], 32, "%s", json_string_value(items[i]));
        else if (json_is_integer(items[i]))
            snprintf(out[n++], 32, "%lld", (long long)json_integer_value(items[i]));
        else if (json_is_boolean(items[i]))
            snprintf(out[n++], 32, "%s", json_is_true(items[i]) ? "true" : "false");
    }
    return n;
}

static bool m_has_substring(const char *s, const char *sub)
{
    size_t n = strlen(s), m = strlen(sub);
    for (size_t i = 0; i + m <= n; i++) {
        size_t k = 0;
        while (k < m && s[i + k] == sub[k])
            k++;
        if (k == m)
            return true;
    }
    return false;
}

static bool m_rule(const struct cr_cognito_rule *r, const json_t *claims)
{
    char vals[8][32];
    size_t n = m_values(json_object_get(claims, r->claim), vals);
    bool any_eq = false, any_hit = false;
    for (size_t i = 0; i < n; i++) {
        bool eq = strcmp(vals[i], r->value) == 0;
        any_eq |= eq;
        if (strcmp(r->match_type, "Equals") == 0)
            any_hit |= eq;
        else if (strcmp(r->match_type, "StartsWith") == 0)
            any_hit |= strlen(vals[i]) >= strlen(r->value) &&
                       memcmp(vals[i], r->value, strlen(r->value)) == 0;
        else if (strcmp(r->match_type, "Contains") == 0)
            any_hit |= m_has_substring(vals[i], r->value);
    }
    if (n == 0)
        return false;
    return strcmp(r->match_type, "NotEqual") == 0 ? !any_eq : any_hit;
}

struct m_out {
    enum cr_access_outcome outcome;
    enum cr_access_via via;
    const char *role;
    size_t rule;
};

static struct m_out m_grant(const char *role, enum cr_access_via via, size_t rule)
{
    struct m_out o = {role ? CR_ACCESS_GRANTED : CR_ACCESS_NO_ROLE, via, role, rule};
    return o;
}

static struct m_out m_ambiguous(const struct fx *f, const struct cr_cognito_role_mapping *m)
{
    if (strcmp(m->ambiguous_role_resolution, "AuthenticatedRole") == 0)
        return m_grant(cr_strmap_get(&f->roles.roles, "authenticated"),
                       CR_ACCESS_VIA_AMBIGUOUS_AUTHENTICATED, 0);
    return (struct m_out){CR_ACCESS_DENIED, CR_ACCESS_VIA_AMBIGUOUS_DENY, NULL, 0};
}

static struct m_out m_resolve(const struct fx *f, const char *key, const json_t *claims,
                              const char *custom, bool unauth)
{
    const struct cr_cognito_role_mapping *m = NULL;
    if (unauth) {
        if (!f->config.allow_unauthenticated)
            return (struct m_out){CR_ACCESS_DENIED, CR_ACCESS_VIA_UNAUTHENTICATED_OFF, NULL, 0};
        return m_grant(cr_strmap_get(&f->roles.roles, "unauthenticated"),
                       CR_ACCESS_VIA_UNAUTHENTICATED, 0);
    }
    for (size_t i = 0; i < f->roles.n_mappings; i++)
        if (strcmp(f->mappings[i].provider, key) == 0)
            m = &f->mappings[i];
    if (!m)
        return m_grant(cr_strmap_get(&f->roles.roles, "authenticated"), CR_ACCESS_VIA_AUTHENTICATED,
                       0);
    if (strcmp(m->type, "Token") == 0) {
        const json_t *roles = json_object_get(claims, "cognito:roles");
        const json_t *pref = json_object_get(claims, "cognito:preferred_role");
        if (custom) {
            for (size_t i = 0; i < json_array_size(roles); i++)
                if (strcmp(json_string_value(json_array_get(roles, i)), custom) == 0)
                    return m_grant(custom, CR_ACCESS_VIA_TOKEN_CUSTOM, 0);
            return (struct m_out){CR_ACCESS_DENIED, CR_ACCESS_VIA_TOKEN_CUSTOM_REFUSED, NULL, 0};
        }
        if (pref)
            return m_grant(json_string_value(pref), CR_ACCESS_VIA_TOKEN_PREFERRED, 0);
        return m_ambiguous(f, m);
    }
    /* matching rules first, then the decision */
    bool match[8] = {false};
    for (size_t i = 0; i < m->n_rules; i++)
        match[i] = m_rule(&m->rules[i], claims);
    for (size_t i = 0; i < m->n_rules; i++) {
        if (match[i] && (!custom || strcmp(m->rules[i].role_arn, custom) == 0))
            return m_grant(m->rules[i].role_arn,
                           custom ? CR_ACCESS_VIA_RULE_CUSTOM : CR_ACCESS_VIA_RULE, i + 1);
    }
    if (custom)
        return (struct m_out){CR_ACCESS_DENIED, CR_ACCESS_VIA_RULE_CUSTOM_REFUSED, NULL, 0};
    return m_ambiguous(f, m);
}

static json_t *gen_claim_value(void)
{
    switch (rnd(6)) {
    case 0:
        return json_string(M_VALUES[rnd(N_OF(M_VALUES))]);
    case 1: {
        json_t *a = json_array();
        for (unsigned i = rnd(4); i > 0; i--)
            json_array_append_new(a, json_string(M_VALUES[rnd(N_OF(M_VALUES))]));
        return a;
    }
    case 2:
        return json_integer(rnd(5));
    case 3:
        return json_boolean(rnd(2));
    case 4:
        return json_pack("{s:s}", "a", "paid");
    default:
        return json_null();
    }
}

static json_t *gen_claims(void)
{
    json_t *c = json_object();
    if (rnd(4))
        json_object_set_new(c, "custom:tier", gen_claim_value());
    if (rnd(3))
        json_object_set_new(c, "email", gen_claim_value());
    if (rnd(2)) {
        json_t *roles = json_array();
        for (size_t i = 0; i < N_OF(M_ROLES); i++)
            if (rnd(2))
                json_array_append_new(roles, json_string(M_ROLES[i]));
        json_object_set_new(c, "cognito:roles", roles);
    }
    if (rnd(3) == 0)
        json_object_set_new(c, "cognito:preferred_role", json_string(M_ROLES[rnd(N_OF(M_ROLES))]));
    return c;
}

static void gen_pool(struct fx *f)
{
    static const char *const keys[] = {UP ":" CLIENT, UP ":" CLIENT2, FB};
    f->config.allow_unauthenticated = rnd(4) != 0;
    if (rnd(5) == 0)
        cr_strmap_remove(&f->roles.roles, "authenticated");
    if (rnd(5) == 0)
        cr_strmap_remove(&f->roles.roles, "unauthenticated");
    for (size_t k = 0; k < N_OF(keys); k++) {
        if (rnd(3) == 0)
            continue;
        struct cr_cognito_role_mapping *m = fx_mapping(f, keys[k], rnd(3) ? "Rules" : "Token",
                                                       rnd(2) ? "Deny" : "AuthenticatedRole");
        for (unsigned i = rnd(6); i > 0; i--)
            fx_rule(m, rnd(2) ? "custom:tier" : "email", M_TYPES[rnd(N_OF(M_TYPES))],
                    M_VALUES[rnd(N_OF(M_VALUES))], M_ROLES[rnd(N_OF(M_ROLES))]);
    }
}

static void test_access__property_matches_model(void **state)
{
    static const char *const logins[] = {UP ":" CLIENT, UP ":" CLIENT2, FB};
    const char *env = getenv("CR_TEST_SEED");
    unsigned base = env ? (unsigned)strtoul(env, NULL, 10) : 20260512u;
    size_t granted = 0, denied = 0, no_role = 0, rules = 0;
    for (unsigned round = 0; round < 3000; round++) {
        struct fx f;
        struct cr_access_result r;
        s_seed = base + round * 7919u;
        unsigned case_seed = s_seed;
        fx_init(&f);
        gen_pool(&f);
        bool unauth = rnd(5) == 0;
        const char *login = logins[rnd(N_OF(logins))];
        const char *custom = rnd(4) == 0 ? M_ROLES[rnd(N_OF(M_ROLES))] : NULL;
        json_t *claims = gen_claims();
        struct cr_access_login l = {0};
        assert_ok(cr_access_login_parse(&l.provider, &l.client_id, &f.config, login));
        l.claims = claims;
        struct cr_access_request req = {&l, unauth ? 0 : 1, custom};
        assert_ok(cr_access_resolve(&r, &f.pool, &req));
        struct m_out want = m_resolve(&f, login, claims, custom, unauth);
        if (r.outcome != want.outcome || r.via != want.via || r.rule != want.rule ||
            (want.role && (!r.role_arn || strcmp(r.role_arn, want.role) != 0))) {
            char *text = json_dumps(claims, JSON_SORT_KEYS);
            fail_msg("seed %u (CR_TEST_SEED=%u, round %u): login %s custom %s claims %s: got %s via "
                     "%d rule %zu role %s (%s); model %s via %d rule %zu role %s",
                     case_seed, base, round, unauth ? "(none)" : login, custom ? custom : "-", text,
                     cr_access_outcome_name(r.outcome), r.via, r.rule,
                     r.role_arn ? r.role_arn : "-", r.explanation,
                     cr_access_outcome_name(want.outcome), want.via, want.rule,
                     want.role ? want.role : "-");
        }
        granted += r.outcome == CR_ACCESS_GRANTED;
        denied += r.outcome == CR_ACCESS_DENIED;
        no_role += r.outcome == CR_ACCESS_NO_ROLE;
        rules += r.via == CR_ACCESS_VIA_RULE || r.via == CR_ACCESS_VIA_RULE_CUSTOM;
        cr_access_result_dispose(&r);
        json_decref(claims);
        fx_dispose(&f);
    }
    /* the generator reaches every outcome, and rules decide often */
    print_message("granted %zu denied %zu no role %zu by rule %zu\n", granted, denied, no_role, rules);
    assert_true(granted > 300 && denied > 300 && no_role > 30 && rules > 150);
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_access__providers_by_logins_key),
        cmocka_unit_test(test_access__login_parse),
        cmocka_unit_test(test_access__login_claims_defaults),
        cmocka_unit_test(test_access__rule_match_types),
        cmocka_unit_test(test_access__unauthenticated),
        cmocka_unit_test(test_access__no_mapping_gets_authenticated_role),
        cmocka_unit_test(test_access__token_mapping),
        cmocka_unit_test(test_access__rules_mapping),
        cmocka_unit_test(test_access__several_logins_in_key_order),
        cmocka_unit_test(test_access__principal_tags),
        cmocka_unit_test(test_access__developer_tags_come_with_the_token),
        cmocka_unit_test(test_access__property_matches_model),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
