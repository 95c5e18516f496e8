/* SPDX-License-Identifier: Apache-2.0 */
/* aws/cognito: JSON 1.1 encoders and tolerant decoders for every request and response shape. */
#include "tests/support/cr_test.h"

#include <jansson.h>
#include <stdlib.h>
#include <string.h>

#include "aws/cognito.h"
#include "aws/json.h"

/* Parses encoder output so assertions do not depend on member order. */
static json_t *s_parse(const struct cr_buf *b)
{
    json_error_t err;
    json_t *root = json_loadb(b->ptr, b->len, JSON_REJECT_DUPLICATES, &err);
    if (!root)
        print_error("not JSON: %s: %s\n", err.text, b->ptr);
    assert_non_null(root);
    return root;
}

static void s_assert_json_equal(const struct cr_buf *b, const char *expected)
{
    json_t *got = s_parse(b);
    json_t *want = json_loads(expected, 0, NULL);
    assert_non_null(want);
    if (!json_equal(got, want))
        print_error("got  %s\nwant %s\n", b->ptr, expected);
    assert_true(json_equal(got, want));
    json_decref(got);
    json_decref(want);
}

static void s_full_pool(struct cr_cognito_pool *p)
{
    memset(p, 0, sizeof(*p));
    p->id = strdup("us-east-1:0b6f0000-1111-2222-3333-444455556666");
    p->name = strdup("MobileApp Prod");
    p->allow_unauthenticated = false;
    p->allow_classic_flow = 1;
    assert_ok(
        cr_strmap_set(&p->supported_login_providers, "graph.facebook.com", "7346241598935552"));
    p->developer_provider_name = strdup("login.example.mobile");
    assert_ok(cr_strlist_push(&p->open_id_connect_provider_arns,
                              "arn:aws:iam::123456789012:oidc-provider/auth.example.com"));
    p->cognito_identity_providers = calloc(1, sizeof(*p->cognito_identity_providers));
    p->n_cognito_identity_providers = 1;
    p->cognito_identity_providers[0].provider_name =
        strdup("cognito-idp.us-east-1.amazonaws.com/us-east-1_Ab12Cd34");
    p->cognito_identity_providers[0].client_id = strdup("6lhlkkfbfb4q5kpp90urffae");
    p->cognito_identity_providers[0].server_side_token_check = 1;
    p->has_tags = true;
    assert_ok(cr_strmap_set(&p->tags, "team", "mobile"));
}

static void test_cognito__op_names_round_trip(void **state)
{
    (void)state;
    assert_string_equal(cr_cognito_op_name(CR_OP_CREATE_IDENTITY_POOL), "CreateIdentityPool");
    assert_string_equal(cr_cognito_op_name(CR_OP_LIST_TAGS_FOR_RESOURCE), "ListTagsForResource");
    for (int i = 0; i < CR_OP_COUNT; i++) {
        enum cr_cognito_op op;
        assert_ok(cr_cognito_op_from_name(&op, cr_cognito_op_name((enum cr_cognito_op)i)));
        assert_int_equal(op, i);
    }
    enum cr_cognito_op op;
    assert_int_equal(cr_cognito_op_from_name(&op, "GetId"), CR_ENOTFOUND);
    assert_true(cr_cognito_op_is_write(CR_OP_TAG_RESOURCE));
    assert_true(cr_cognito_op_is_write(CR_OP_DELETE_IDENTITY_POOL));
    assert_false(cr_cognito_op_is_write(CR_OP_DESCRIBE_IDENTITY_POOL));
    assert_false(cr_cognito_op_is_write(CR_OP_LIST_TAGS_FOR_RESOURCE));
}

static void test_cognito__encode_create_omits_absent_members(void **state)
{
    (void)state;
    struct cr_cognito_pool p = {0};
    struct cr_buf b = CR_BUF_INIT;
    p.name = strdup("Minimal");
    p.allow_classic_flow = -1;
    assert_ok(cr_cognito_encode_create(&b, &p));
    s_assert_json_equal(&b, "{\"IdentityPoolName\":\"Minimal\","
                            "\"AllowUnauthenticatedIdentities\":false}");
    cr_buf_dispose(&b);
    cr_cognito_pool_dispose(&p);
}

static void test_cognito__encode_create_full(void **state)
{
    (void)state;
    struct cr_cognito_pool p;
    struct cr_buf b = CR_BUF_INIT;
    s_full_pool(&p);
    assert_ok(cr_cognito_encode_create(&b, &p));
    s_assert_json_equal(
        &b, "{\"IdentityPoolName\":\"MobileApp Prod\",\"AllowUnauthenticatedIdentities\":false,"
            "\"AllowClassicFlow\":true,"
            "\"SupportedLoginProviders\":{\"graph.facebook.com\":\"7346241598935552\"},"
            "\"DeveloperProviderName\":\"login.example.mobile\","
            "\"OpenIdConnectProviderARNs\":[\"arn:aws:iam::123456789012:oidc-provider/"
            "auth.example.com\"],"
            "\"CognitoIdentityProviders\":[{\"ProviderName\":\"cognito-idp.us-east-1.amazonaws."
            "com/us-east-1_Ab12Cd34\",\"ClientId\":\"6lhlkkfbfb4q5kpp90urffae\","
            "\"ServerSideTokenCheck\":true}],"
            "\"IdentityPoolTags\":{\"team\":\"mobile\"}}");
    cr_buf_dispose(&b);
    cr_cognito_pool_dispose(&p);
}

static void test_cognito__encode_update_sends_full_config_without_tags(void **state)
{
    (void)state;
    struct cr_cognito_pool p = {0};
    struct cr_buf b = CR_BUF_INIT;
    p.id = strdup("us-east-1:abc");
    p.name = strdup("Renamed");
    p.allow_unauthenticated = true;
    p.allow_classic_flow = 0;
    p.has_tags = true;
    assert_ok(cr_strmap_set(&p.tags, "team", "x"));
    assert_ok(cr_cognito_encode_update(&b, &p));
    /* explicit empty collections clear them (Update replaces the whole configuration) */
    s_assert_json_equal(&b, "{\"IdentityPoolId\":\"us-east-1:abc\","
                            "\"IdentityPoolName\":\"Renamed\","
                            "\"AllowUnauthenticatedIdentities\":true,\"AllowClassicFlow\":false,"
                            "\"SupportedLoginProviders\":{},\"OpenIdConnectProviderARNs\":[],"
                            "\"CognitoIdentityProviders\":[],\"SamlProviderARNs\":[]}");
    cr_buf_dispose(&b);
    free(p.id);
    p.id = NULL;
    assert_int_equal(cr_cognito_encode_update(&b, &p), CR_EINVALID);
    assert_non_null(strstr(cr_error_last(), "IdentityPoolId"));
    cr_buf_dispose(&b);
    cr_cognito_pool_dispose(&p);
}

static void test_cognito__encode_rejects_invalid_utf8(void **state)
{
    (void)state;
    struct cr_cognito_pool p = {0};
    struct cr_buf b = CR_BUF_INIT;
    p.name = strdup("bad \xff name");
    p.allow_classic_flow = -1;
    assert_int_equal(cr_cognito_encode_create(&b, &p), CR_EINVALID);
    assert_non_null(strstr(cr_error_last(), "IdentityPoolName"));
    cr_buf_dispose(&b);
    cr_cognito_pool_dispose(&p);
}

static void test_cognito__encode_small_requests(void **state)
{
    (void)state;
    struct cr_buf b = CR_BUF_INIT;
    assert_ok(cr_cognito_encode_pool_id(&b, "us-east-1:abc"));
    s_assert_json_equal(&b, "{\"IdentityPoolId\":\"us-east-1:abc\"}");
    cr_buf_dispose(&b);

    assert_ok(cr_cognito_encode_list(&b, 60, NULL));
    s_assert_json_equal(&b, "{\"MaxResults\":60}");
    cr_buf_dispose(&b);
    assert_ok(cr_cognito_encode_list(&b, 60, "tok=="));
    s_assert_json_equal(&b, "{\"MaxResults\":60,\"NextToken\":\"tok==\"}");
    cr_buf_dispose(&b);

    assert_ok(cr_cognito_encode_get_principal_tags(&b, "us-east-1:abc", "accounts.google.com"));
    s_assert_json_equal(&b, "{\"IdentityPoolId\":\"us-east-1:abc\","
                            "\"IdentityProviderName\":\"accounts.google.com\"}");
    cr_buf_dispose(&b);

    struct cr_strmap tags = {0};
    assert_ok(cr_strmap_set(&tags, "env", "prod"));
    assert_ok(
        cr_cognito_encode_tag(&b, "arn:aws:cognito-identity:us-east-1:1:identitypool/x", &tags));
    s_assert_json_equal(&b, "{\"ResourceArn\":\"arn:aws:cognito-identity:us-east-1:1:"
                            "identitypool/x\",\"Tags\":{\"env\":\"prod\"}}");
    cr_buf_dispose(&b);
    cr_strmap_dispose(&tags);

    struct cr_strlist keys = {0};
    assert_ok(cr_strlist_push(&keys, "env"));
    assert_ok(cr_strlist_push(&keys, "team"));
    assert_ok(cr_cognito_encode_untag(&b, "arn:x", &keys));
    s_assert_json_equal(&b, "{\"ResourceArn\":\"arn:x\",\"TagKeys\":[\"env\",\"team\"]}");
    cr_buf_dispose(&b);
    cr_strlist_dispose(&keys);

    assert_ok(cr_cognito_encode_list_tags(&b, "arn:x"));
    s_assert_json_equal(&b, "{\"ResourceArn\":\"arn:x\"}");
    cr_buf_dispose(&b);
}

static void test_cognito__encode_set_roles_and_mappings(void **state)
{
    (void)state;
    struct cr_cognito_roles r = {0};
    struct cr_buf b = CR_BUF_INIT;
    r.pool_id = strdup("us-east-1:abc");
    /* empty roles: {} and an empty RoleMappings clear the attachment */
    assert_ok(cr_cognito_encode_set_roles(&b, &r));
    s_assert_json_equal(&b, "{\"IdentityPoolId\":\"us-east-1:abc\",\"Roles\":{},"
                            "\"RoleMappings\":{}}");
    cr_buf_dispose(&b);

    assert_ok(cr_strmap_set(&r.roles, "authenticated", "arn:aws:iam::1:role/A"));
    r.mappings = calloc(2, sizeof(*r.mappings));
    r.n_mappings = 2;
    r.mappings[0].provider = strdup("cognito-idp.us-east-1.amazonaws.com/us-east-1_X:client");
    r.mappings[0].type = strdup("Rules");
    r.mappings[0].ambiguous_role_resolution = strdup("Deny");
    r.mappings[0].has_rules_configuration = true;
    r.mappings[0].rules = calloc(1, sizeof(struct cr_cognito_rule));
    r.mappings[0].n_rules = 1;
    r.mappings[0].rules[0].claim = strdup("custom:tier");
    r.mappings[0].rules[0].match_type = strdup("Equals");
    r.mappings[0].rules[0].value = strdup("paid");
    r.mappings[0].rules[0].role_arn = strdup("arn:aws:iam::1:role/P");
    r.mappings[1].provider = strdup("graph.facebook.com");
    r.mappings[1].type = strdup("Token");
    assert_ok(cr_cognito_encode_set_roles(&b, &r));
    s_assert_json_equal(
        &b, "{\"IdentityPoolId\":\"us-east-1:abc\","
            "\"Roles\":{\"authenticated\":\"arn:aws:iam::1:role/A\"},"
            "\"RoleMappings\":{"
            "\"cognito-idp.us-east-1.amazonaws.com/us-east-1_X:client\":{\"Type\":\"Rules\","
            "\"AmbiguousRoleResolution\":\"Deny\",\"RulesConfiguration\":{\"Rules\":[{\"Claim\":"
            "\"custom:tier\",\"MatchType\":\"Equals\",\"Value\":\"paid\",\"RoleARN\":"
            "\"arn:aws:iam::1:role/P\"}]}},"
            "\"graph.facebook.com\":{\"Type\":\"Token\"}}}");
    cr_buf_dispose(&b);

    struct cr_cognito_roles copy = {0};
    assert_ok(cr_cognito_roles_copy(&copy, &r));
    assert_ok(cr_cognito_encode_set_roles(&b, &copy));
    struct cr_buf b2 = CR_BUF_INIT;
    assert_ok(cr_cognito_encode_set_roles(&b2, &r));
    assert_string_equal(b.ptr, b2.ptr);
    cr_buf_dispose(&b);
    cr_buf_dispose(&b2);
    cr_cognito_roles_dispose(&copy);
    cr_cognito_roles_dispose(&r);
}

static void test_cognito__encode_set_principal_tags(void **state)
{
    (void)state;
    struct cr_cognito_principal_tags pt = {0};
    struct cr_buf b = CR_BUF_INIT;
    pt.pool_id = strdup("us-east-1:abc");
    pt.provider = strdup("accounts.google.com");
    pt.use_defaults = 0;
    assert_ok(cr_cognito_encode_set_principal_tags(&b, &pt));
    s_assert_json_equal(&b, "{\"IdentityPoolId\":\"us-east-1:abc\",\"IdentityProviderName\":"
                            "\"accounts.google.com\",\"UseDefaults\":false,\"PrincipalTags\":{}}");
    cr_buf_dispose(&b);
    pt.use_defaults = -1;
    assert_ok(cr_strmap_set(&pt.tags, "department", "custom:department"));
    assert_ok(cr_cognito_encode_set_principal_tags(&b, &pt));
    s_assert_json_equal(&b, "{\"IdentityPoolId\":\"us-east-1:abc\",\"IdentityProviderName\":"
                            "\"accounts.google.com\",\"PrincipalTags\":{\"department\":"
                            "\"custom:department\"}}");
    cr_buf_dispose(&b);
    cr_cognito_principal_tags_dispose(&pt);
}

static void test_cognito__decode_pool_full_round_trip(void **state)
{
    (void)state;
    struct cr_cognito_pool p, d, copy = {0};
    struct cr_buf b = CR_BUF_INIT;
    s_full_pool(&p);
    /* Update's body carries IdentityPoolId, as the service's response does */
    assert_ok(cr_cognito_encode_update(&b, &p));
    assert_ok(cr_cognito_decode_pool(&d, b.ptr, b.len));
    assert_string_equal(d.id, p.id);
    assert_string_equal(d.name, "MobileApp Prod");
    assert_false(d.allow_unauthenticated);
    assert_int_equal(d.allow_classic_flow, 1);
    assert_string_equal(cr_strmap_get(&d.supported_login_providers, "graph.facebook.com"),
                        "7346241598935552");
    assert_string_equal(d.developer_provider_name, "login.example.mobile");
    assert_int_equal(d.open_id_connect_provider_arns.len, 1);
    assert_int_equal(d.n_cognito_identity_providers, 1);
    assert_string_equal(d.cognito_identity_providers[0].client_id, "6lhlkkfbfb4q5kpp90urffae");
    assert_int_equal(d.cognito_identity_providers[0].server_side_token_check, 1);
    assert_int_equal(d.saml_provider_arns.len, 0);
    assert_false(d.has_tags); /* Update carries no tags */
    assert_ok(cr_cognito_pool_copy(&copy, &d));
    assert_string_equal(copy.cognito_identity_providers[0].provider_name,
                        d.cognito_identity_providers[0].provider_name);
    cr_cognito_pool_dispose(&copy);
    cr_cognito_pool_dispose(&d);
    cr_cognito_pool_dispose(&p);
    cr_buf_dispose(&b);
}

static void test_cognito__decode_pool_absent_null_and_unknown(void **state)
{
    (void)state;
    /* the service's minimal answer: no lists, no AllowClassicFlow, tags {} */
    const char *body = "{\"IdentityPoolId\":\"us-east-1:1\",\"IdentityPoolName\":\"p\","
                       "\"AllowUnauthenticatedIdentities\":true,\"IdentityPoolTags\":{},"
                       "\"DeveloperProviderName\":null,\"SamlProviderARNs\":null,"
                       "\"SomethingNew\":{\"nested\":[1,2,3]},\"AnotherFlag\":true,"
                       "\"CognitoIdentityProviders\":[{\"ProviderName\":\"x\",\"ClientId\":\"c\","
                       "\"Extra\":1}]}";
    struct cr_cognito_pool d;
    assert_ok(cr_cognito_decode_pool(&d, body, strlen(body)));
    assert_true(d.allow_unauthenticated);
    assert_int_equal(d.allow_classic_flow, -1); /* absent stays absent, not false */
    assert_null(d.developer_provider_name);
    assert_true(d.has_tags);
    assert_int_equal(d.tags.len, 0);
    assert_int_equal(d.saml_provider_arns.len, 0);
    assert_int_equal(d.cognito_identity_providers[0].server_side_token_check, -1);
    cr_cognito_pool_dispose(&d);

    const char *nulls = "{\"IdentityPoolId\":\"us-east-1:1\",\"AllowClassicFlow\":null,"
                        "\"IdentityPoolTags\":null}";
    assert_ok(cr_cognito_decode_pool(&d, nulls, strlen(nulls)));
    assert_int_equal(d.allow_classic_flow, -1);
    assert_false(d.has_tags);
    cr_cognito_pool_dispose(&d);
}

static void test_cognito__decode_pool_rejects_wrong_shapes(void **state)
{
    (void)state;
    static const struct {
        const char *body;
        const char *needle;
    } cases[] = {
        {"{\"IdentityPoolId\":\"a:1\",\"AllowClassicFlow\":\"yes\"}",
         "IdentityPool.AllowClassicFlow"},
        {"{\"IdentityPoolId\":\"a:1\",\"SupportedLoginProviders\":[]}", "SupportedLoginProviders"},
        {"{\"IdentityPoolId\":\"a:1\",\"SupportedLoginProviders\":{\"k\":1}}", "{k}"},
        {"{\"IdentityPoolId\":\"a:1\",\"SamlProviderARNs\":[1]}", "SamlProviderARNs[0]"},
        {"{\"IdentityPoolId\":\"a:1\",\"CognitoIdentityProviders\":[\"x\"]}",
         "CognitoIdentityProviders"},
        {"{\"IdentityPoolName\":\"no id\"}", "IdentityPoolId: required"},
        {"{\"IdentityPoolId\":7}", "IdentityPoolId: expected a string"},
        {"{\"IdentityPoolId\":\"a:1\",", "not valid JSON"}, /* truncated */
        {"<html><body>500 Internal Server Error</body></html>", "not valid JSON"},
        {"[1,2]", "expected a JSON object"},
        {"", "not valid JSON"},
    };
    for (size_t i = 0; i < sizeof(cases) / sizeof(cases[0]); i++) {
        struct cr_cognito_pool d;
        int rc = cr_cognito_decode_pool(&d, cases[i].body, strlen(cases[i].body));
        if (rc != CR_EINVALID || !strstr(cr_error_last(), cases[i].needle))
            print_error("case %zu: rc %d, message '%s'\n", i, rc, cr_error_last());
        assert_int_equal(rc, CR_EINVALID);
        assert_non_null(strstr(cr_error_last(), cases[i].needle));
        assert_null(d.id); /* disposed on failure */
    }
}

static void test_cognito__json_type_name(void **state)
{
    (void)state;
    const char *text = "[{}, [], \"s\", 1, 1.5, true, false, null]";
    const char *want[] = {"an object", "an array",  "a string",  "a number",
                          "a number",  "a boolean", "a boolean", "null"};
    json_t *v = json_loads(text, 0, NULL);
    assert_non_null(v);
    assert_int_equal(json_array_size(v), sizeof(want) / sizeof(want[0]));
    for (size_t i = 0; i < json_array_size(v); i++)
        assert_string_equal(cr_json_type_name(json_array_get(v, i)), want[i]);
    json_decref(v);
    /* the decoders name the type they found */
    struct cr_cognito_pool d;
    const char *body = "{\"IdentityPoolId\":[]}";
    assert_int_equal(cr_cognito_decode_pool(&d, body, strlen(body)), CR_EINVALID);
    assert_non_null(strstr(cr_error_last(), "IdentityPoolId: expected a string, got an array"));
}

static void test_cognito__decode_pool_page(void **state)
{
    (void)state;
    const char *body = "{\"IdentityPools\":[{\"IdentityPoolId\":\"us-east-1:1\","
                       "\"IdentityPoolName\":\"one\"},null,{\"IdentityPoolId\":\"us-east-1:2\","
                       "\"IdentityPoolName\":\"two\",\"New\":1}],\"NextToken\":\"abc\"}";
    struct cr_cognito_pool_page page;
    assert_ok(cr_cognito_decode_pool_page(&page, body, strlen(body)));
    assert_int_equal(page.len, 2);
    assert_string_equal(page.items[1].id, "us-east-1:2");
    assert_string_equal(page.items[1].name, "two");
    assert_string_equal(page.next_token, "abc");
    cr_cognito_pool_page_dispose(&page);

    const char *last = "{\"IdentityPools\":[],\"NextToken\":null}";
    assert_ok(cr_cognito_decode_pool_page(&page, last, strlen(last)));
    assert_int_equal(page.len, 0);
    assert_null(page.next_token);
    cr_cognito_pool_page_dispose(&page);

    const char *empty_token = "{\"NextToken\":\"\"}";
    assert_ok(cr_cognito_decode_pool_page(&page, empty_token, strlen(empty_token)));
    assert_null(page.next_token); /* would loop forever otherwise */
    cr_cognito_pool_page_dispose(&page);

    const char *bad = "{\"IdentityPools\":{}}";
    assert_int_equal(cr_cognito_decode_pool_page(&page, bad, strlen(bad)), CR_EINVALID);
    assert_non_null(strstr(cr_error_last(), "ListIdentityPools.IdentityPools"));
    const char *no_id = "{\"IdentityPools\":[{\"IdentityPoolName\":\"x\"}]}";
    assert_int_equal(cr_cognito_decode_pool_page(&page, no_id, strlen(no_id)), CR_EINVALID);
    assert_null(page.items);
}

static void test_cognito__decode_roles(void **state)
{
    (void)state;
    const char *body =
        "{\"IdentityPoolId\":\"us-east-1:1\",\"Roles\":{\"authenticated\":\"arn:a\","
        "\"unauthenticated\":\"arn:u\"},\"RoleMappings\":{"
        "\"z.example\":{\"Type\":\"Token\",\"AmbiguousRoleResolution\":\"AuthenticatedRole\"},"
        "\"a.example\":{\"Type\":\"Rules\",\"AmbiguousRoleResolution\":\"Deny\","
        "\"RulesConfiguration\":{\"Rules\":[{\"Claim\":\"c\",\"MatchType\":\"Contains\","
        "\"Value\":\"v\",\"RoleARN\":\"arn:r\"},{\"Claim\":\"d\",\"MatchType\":\"Equals\","
        "\"Value\":\"w\",\"RoleARN\":\"arn:s\"}]}},\"n.example\":null}}";
    struct cr_cognito_roles r;
    assert_ok(cr_cognito_decode_roles(&r, body, strlen(body)));
    assert_string_equal(r.pool_id, "us-east-1:1");
    assert_string_equal(cr_strmap_get(&r.roles, "unauthenticated"), "arn:u");
    assert_int_equal(r.n_mappings, 2);
    assert_string_equal(r.mappings[0].provider, "a.example"); /* sorted */
    assert_true(r.mappings[0].has_rules_configuration);
    assert_int_equal(r.mappings[0].n_rules, 2);
    assert_string_equal(r.mappings[0].rules[1].role_arn, "arn:s");
    assert_string_equal(r.mappings[1].provider, "z.example");
    assert_false(r.mappings[1].has_rules_configuration);
    assert_string_equal(r.mappings[1].ambiguous_role_resolution, "AuthenticatedRole");
    cr_cognito_roles_dispose(&r);

    /* no roles at all: Roles {} and RoleMappings absent */
    const char *empty = "{\"IdentityPoolId\":\"us-east-1:1\",\"Roles\":{}}";
    assert_ok(cr_cognito_decode_roles(&r, empty, strlen(empty)));
    assert_int_equal(r.roles.len, 0);
    assert_int_equal(r.n_mappings, 0);
    cr_cognito_roles_dispose(&r);

    const char *bad = "{\"RoleMappings\":{\"p\":{\"RulesConfiguration\":{\"Rules\":{}}}}}";
    assert_int_equal(cr_cognito_decode_roles(&r, bad, strlen(bad)), CR_EINVALID);
    assert_non_null(strstr(cr_error_last(), "Rules"));
    const char *bad2 = "{\"RoleMappings\":{\"p\":\"Token\"}}";
    assert_int_equal(cr_cognito_decode_roles(&r, bad2, strlen(bad2)), CR_EINVALID);
    assert_non_null(strstr(cr_error_last(), "RoleMappings{p}"));
}

static void test_cognito__decode_principal_tags_and_tags(void **state)
{
    (void)state;
    const char *body = "{\"IdentityPoolId\":\"us-east-1:1\",\"IdentityProviderName\":\"p\","
                       "\"UseDefaults\":true,\"PrincipalTags\":{\"a\":\"b\"}}";
    struct cr_cognito_principal_tags pt;
    assert_ok(cr_cognito_decode_principal_tags(&pt, body, strlen(body)));
    assert_int_equal(pt.use_defaults, 1);
    assert_string_equal(pt.provider, "p");
    assert_string_equal(cr_strmap_get(&pt.tags, "a"), "b");
    cr_cognito_principal_tags_dispose(&pt);
    const char *absent = "{\"IdentityPoolId\":\"us-east-1:1\"}";
    assert_ok(cr_cognito_decode_principal_tags(&pt, absent, strlen(absent)));
    assert_int_equal(pt.use_defaults, -1);
    assert_int_equal(pt.tags.len, 0);
    cr_cognito_principal_tags_dispose(&pt);
    const char *bad = "{\"UseDefaults\":1}";
    assert_int_equal(cr_cognito_decode_principal_tags(&pt, bad, strlen(bad)), CR_EINVALID);
    assert_non_null(strstr(cr_error_last(), "UseDefaults: expected a boolean"));

    struct cr_strmap tags;
    const char *t = "{\"Tags\":{\"env\":\"prod\",\"gone\":null}}";
    assert_ok(cr_cognito_decode_tags(&tags, t, strlen(t)));
    assert_int_equal(tags.len, 1);
    assert_string_equal(cr_strmap_get(&tags, "env"), "prod");
    cr_strmap_dispose(&tags);
    assert_ok(cr_cognito_decode_tags(&tags, "{}", 2));
    assert_int_equal(tags.len, 0);
    assert_int_equal(cr_cognito_decode_tags(&tags, "{\"Tags\":", 8), CR_EINVALID);
}

/* ---- every failure keeps its cause: out of memory inside jansson is CR_ENOMEM ---- */

/* jansson's allocator, failing the s_fail_at-th allocation (counting from 0) once. */
static long s_fail_at = -1;
static long s_allocs;

static void *s_json_malloc(size_t n)
{
    if (s_allocs++ == s_fail_at)
        return NULL;
    return malloc(n);
}

/* The fixture every encoder runs on: a full pool, roles with a rules mapping, tags. */
struct s_inputs {
    struct cr_cognito_pool pool;
    struct cr_cognito_roles roles;
    struct cr_cognito_principal_tags pt;
    struct cr_strlist keys;
};

static int s_encode(struct cr_buf *out, const struct s_inputs *in, int which)
{
    switch (which) {
    case 0:
        return cr_cognito_encode_create(out, &in->pool);
    case 1:
        return cr_cognito_encode_update(out, &in->pool);
    case 2:
        return cr_cognito_encode_pool_id(out, in->pool.id);
    case 3:
        return cr_cognito_encode_list(out, 60, "token");
    case 4:
        return cr_cognito_encode_set_roles(out, &in->roles);
    case 5:
        return cr_cognito_encode_get_principal_tags(out, in->pool.id, "p");
    case 6:
        return cr_cognito_encode_set_principal_tags(out, &in->pt);
    case 7:
        return cr_cognito_encode_tag(out, "arn:x", &in->pool.tags);
    case 8:
        return cr_cognito_encode_untag(out, "arn:x", &in->keys);
    default:
        return cr_cognito_encode_list_tags(out, "arn:x");
    }
}

/* Fails each jansson allocation of each encoder in turn (a property over every allocation
 * site): the result is either the same JSON as without failures or CR_ENOMEM with an
 * out-of-memory message, never CR_EINVALID (which would blame the caller's input). */
static void test_cognito__encoders_report_out_of_memory_as_such(void **state)
{
    (void)state;
    struct s_inputs in = {0};
    s_full_pool(&in.pool);
    in.roles.pool_id = strdup("us-east-1:abc");
    assert_ok(cr_strmap_set(&in.roles.roles, "authenticated", "arn:aws:iam::1:role/A"));
    in.roles.mappings = calloc(1, sizeof(*in.roles.mappings));
    in.roles.n_mappings = 1;
    in.roles.mappings[0].provider = strdup("idp:client");
    in.roles.mappings[0].type = strdup("Rules");
    in.roles.mappings[0].has_rules_configuration = true;
    in.roles.mappings[0].rules = calloc(1, sizeof(struct cr_cognito_rule));
    in.roles.mappings[0].n_rules = 1;
    in.roles.mappings[0].rules[0].claim = strdup("c");
    in.pt.pool_id = strdup("us-east-1:abc");
    in.pt.use_defaults = 1;
    assert_ok(cr_strmap_set(&in.pt.tags, "k", "v"));
    assert_ok(cr_strlist_push(&in.keys, "team"));
    cr_json__set_malloc(s_json_malloc);
    for (int which = 0; which < 10; which++) {
        struct cr_buf want = CR_BUF_INIT;
        s_fail_at = -1;
        assert_ok(s_encode(&want, &in, which));
        long failures = 0;
        for (long at = 0;; at++) {
            struct cr_buf got = CR_BUF_INIT;
            s_allocs = 0;
            s_fail_at = at;
            int rc = s_encode(&got, &in, which);
            s_fail_at = -1;
            if (rc == 0 && strcmp(cr_buf_cstr(&got), cr_buf_cstr(&want)) != 0)
                fail_msg("encoder %d, allocation %ld failing: %s", which, at, cr_buf_cstr(&got));
            if (rc != 0 && (rc != CR_ENOMEM || !strstr(cr_error_last(), "out of memory")))
                fail_msg("encoder %d, allocation %ld failing: rc %d '%s'", which, at, rc,
                         cr_error_last());
            failures += rc != 0;
            cr_buf_dispose(&got);
            if (at >= s_allocs) /* this run made fewer allocations: each one has failed */
                break;
        }
        assert_true(failures > 0);
        cr_buf_dispose(&want);
    }
    cr_json__set_malloc(NULL);
    cr_cognito_pool_dispose(&in.pool);
    cr_cognito_roles_dispose(&in.roles);
    cr_cognito_principal_tags_dispose(&in.pt);
    cr_strlist_dispose(&in.keys);
}

static int s_decode(const char *body, int which)
{
    struct cr_cognito_pool pool;
    struct cr_cognito_pool_page page;
    struct cr_cognito_roles roles;
    struct cr_cognito_principal_tags pt;
    struct cr_strmap tags;
    int rc;
    switch (which) {
    case 0:
        rc = cr_cognito_decode_pool(&pool, body, strlen(body));
        cr_cognito_pool_dispose(&pool);
        return rc;
    case 1:
        rc = cr_cognito_decode_pool_page(&page, body, strlen(body));
        cr_cognito_pool_page_dispose(&page);
        return rc;
    case 2:
        rc = cr_cognito_decode_roles(&roles, body, strlen(body));
        cr_cognito_roles_dispose(&roles);
        return rc;
    case 3:
        rc = cr_cognito_decode_principal_tags(&pt, body, strlen(body));
        cr_cognito_principal_tags_dispose(&pt);
        return rc;
    default:
        rc = cr_cognito_decode_tags(&tags, body, strlen(body));
        cr_strmap_dispose(&tags);
        return rc;
    }
}

/* The decoders: jansson failing to allocate while it parses a good answer is out of memory,
 * never "not valid JSON". Only the parser's first allocation is failed here: jansson 2.14's
 * lexer mishandles later ones (it drops the character it could not store, then may abort or
 * double-free: akheron/jansson#362), which is why aws/json.h counts failed allocations
 * instead of trusting the parse error. */
static void test_cognito__decoders_report_out_of_memory_as_such(void **state)
{
    (void)state;
    static const char *const bodies[] = {
        "{\"IdentityPoolId\":\"us-east-1:1\",\"IdentityPoolName\":\"n\"}",
        "{\"IdentityPools\":[{\"IdentityPoolId\":\"us-east-1:1\"}],\"NextToken\":\"x\"}",
        "{\"IdentityPoolId\":\"us-east-1:1\",\"Roles\":{\"authenticated\":\"arn:a\"}}",
        "{\"IdentityPoolId\":\"us-east-1:1\",\"PrincipalTags\":{\"a\":\"b\"}}",
        "{\"Tags\":{\"env\":\"prod\"}}",
    };
    cr_json__set_malloc(s_json_malloc);
    for (int which = 0; which < 5; which++) {
        s_fail_at = -1;
        assert_ok(s_decode(bodies[which], which));
        s_allocs = 0;
        s_fail_at = 0;
        int rc = s_decode(bodies[which], which);
        s_fail_at = -1;
        if (rc != CR_ENOMEM || !strstr(cr_error_last(), "out of memory decoding the"))
            fail_msg("decoder %d: rc %d '%s'", which, rc, cr_error_last());
    }
    cr_json__set_malloc(NULL);
}

/* Bad text is the caller's: CR_EINVALID naming the member, in a map key, a map value or a
 * list item alike. */
static void test_cognito__encoders_name_the_member_that_is_not_utf8(void **state)
{
    (void)state;
    struct cr_buf b = CR_BUF_INIT;
    struct cr_strmap tags = {0};
    struct cr_strlist keys = {0};
    assert_ok(cr_strmap_set(&tags, "bad\xc3", "v"));
    assert_int_equal(cr_cognito_encode_tag(&b, "arn:x", &tags), CR_EINVALID);
    assert_string_equal(cr_error_last(), "request member Tags: not valid UTF-8");
    cr_strmap_dispose(&tags);
    assert_ok(cr_strmap_set(&tags, "k", "\xed\xa0\x80")); /* a surrogate */
    assert_int_equal(cr_cognito_encode_tag(&b, "arn:x", &tags), CR_EINVALID);
    assert_string_equal(cr_error_last(), "request member Tags: not valid UTF-8");
    assert_ok(cr_strlist_push(&keys, "\x80"));
    assert_int_equal(cr_cognito_encode_untag(&b, "arn:x", &keys), CR_EINVALID);
    assert_string_equal(cr_error_last(), "request member TagKeys: not valid UTF-8");
    assert_int_equal(b.len, 0); /* nothing half-written */
    cr_strmap_dispose(&tags);
    cr_strlist_dispose(&keys);
    cr_buf_dispose(&b);
}

static void test_cognito__pool_arn_and_partition(void **state)
{
    (void)state;
    struct cr_buf b = CR_BUF_INIT;
    assert_ok(cr_cognito_pool_arn(&b, "us-east-1", "123456789012", "us-east-1:abc"));
    assert_string_equal(
        b.ptr, "arn:aws:cognito-identity:us-east-1:123456789012:identitypool/us-east-1:abc");
    cr_buf_dispose(&b);
    assert_ok(cr_cognito_pool_arn(&b, "cn-north-1", "1", "cn-north-1:x"));
    assert_string_equal(b.ptr,
                        "arn:aws-cn:cognito-identity:cn-north-1:1:identitypool/cn-north-1:x");
    cr_buf_dispose(&b);
    assert_int_equal(cr_cognito_pool_arn(&b, "us-east-1", NULL, "x"), CR_EINVALID);
    assert_string_equal(cr_aws_partition("us-gov-west-1"), "aws-us-gov");
    assert_string_equal(cr_aws_partition("eu-west-1"), "aws");
    assert_string_equal(cr_aws_partition("cn-northwest-1"), "aws-cn");
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_cognito__op_names_round_trip),
        cmocka_unit_test(test_cognito__encode_create_omits_absent_members),
        cmocka_unit_test(test_cognito__encode_create_full),
        cmocka_unit_test(test_cognito__encode_update_sends_full_config_without_tags),
        cmocka_unit_test(test_cognito__encode_rejects_invalid_utf8),
        cmocka_unit_test(test_cognito__encoders_report_out_of_memory_as_such),
        cmocka_unit_test(test_cognito__decoders_report_out_of_memory_as_such),
        cmocka_unit_test(test_cognito__encoders_name_the_member_that_is_not_utf8),
        cmocka_unit_test(test_cognito__encode_small_requests),
        cmocka_unit_test(test_cognito__encode_set_roles_and_mappings),
        cmocka_unit_test(test_cognito__encode_set_principal_tags),
        cmocka_unit_test(test_cognito__decode_pool_full_round_trip),
        cmocka_unit_test(test_cognito__decode_pool_absent_null_and_unknown),
        cmocka_unit_test(test_cognito__decode_pool_rejects_wrong_shapes),
        cmocka_unit_test(test_cognito__json_type_name),
        cmocka_unit_test(test_cognito__decode_pool_page),
        cmocka_unit_test(test_cognito__decode_roles),
        cmocka_unit_test(test_cognito__decode_principal_tags_and_tags),
        cmocka_unit_test(test_cognito__pool_arn_and_partition),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
