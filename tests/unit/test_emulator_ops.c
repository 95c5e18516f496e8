/* SPDX-License-Identifier: Apache-2.0 */
/* Emulator operation semantics, through the router (no HTTP). */
#include <stdlib.h>
#include <string.h>

#include "tests/unit/test_emulator_call.h"

/* One JSON 1.1 call; auth_region (optional) puts a SigV4 scope for that region on it. */
static struct test_emu_res s_call_in(struct cr_emu *emu, const char *region, const char *op,
                                     const char *body)
{
    return test_emu_call_in(emu, region, op, body);
}

static struct test_emu_res s_call(struct cr_emu *emu, const char *op, const char *body)
{
    return s_call_in(emu, NULL, op, body);
}

static const char *s_str(const json_t *doc, const char *key)
{
    const char *s = json_string_value(json_object_get(doc, key));
    return s ? s : "";
}

static void s_expect_error(struct test_emu_res r, int status, const char *type, const char *message)
{
    if (r.status != status || strcmp(s_str(r.body, "__type"), type) != 0 ||
        (message && strcmp(s_str(r.body, "message"), message) != 0)) {
        char *text = json_dumps(r.body, 0);
        fail_msg("expected %d %s '%s', got %d %s", status, type, message ? message : "*", r.status,
                 text);
    }
    json_decref(r.body);
}

static struct cr_emu *s_emu(unsigned max_pools)
{
    struct cr_emu *emu = NULL;
    struct cr_emu_options opts = {.max_pools = max_pools};
    assert_ok(cr_emu_new(&emu, &opts));
    return emu;
}

/* Creates a pool from body; returns its id (heap). */
static char *s_create(struct cr_emu *emu, const char *body)
{
    struct test_emu_res r = s_call(emu, "CreateIdentityPool", body);
    assert_int_equal(r.status, 200);
    char *id = strdup(s_str(r.body, "IdentityPoolId"));
    json_decref(r.body);
    return id;
}

static void test_emulator__create_and_describe_omit_empty_members(void **state)
{
    struct cr_emu *emu = s_emu(0);
    struct test_emu_res r =
        s_call(emu, "CreateIdentityPool",
               "{\"IdentityPoolName\":\"Mobile App\",\"AllowUnauthenticatedIdentities\""
               ":false,\"SupportedLoginProviders\":{},\"SamlProviderARNs\":[]}");
    assert_int_equal(r.status, 200);
    const char *id = s_str(r.body, "IdentityPoolId");
    /* REGION:GUID, lowercase hex */
    assert_int_equal(strlen(id), strlen("us-east-1:") + 36);
    assert_memory_equal(id, "us-east-1:", 10);
    for (const char *p = id + 10; *p; p++)
        assert_true((*p >= '0' && *p <= '9') || (*p >= 'a' && *p <= 'f') || *p == '-');
    assert_null(json_object_get(r.body, "SupportedLoginProviders"));
    assert_null(json_object_get(r.body, "SamlProviderARNs"));
    assert_null(json_object_get(r.body, "AllowClassicFlow"));
    assert_null(json_object_get(r.body, "DeveloperProviderName"));
    assert_true(json_is_object(json_object_get(r.body, "IdentityPoolTags")));
    assert_int_equal(json_object_size(json_object_get(r.body, "IdentityPoolTags")), 0);

    char body[256];
    snprintf(body, sizeof(body), "{\"IdentityPoolId\":\"%s\"}", id);
    struct test_emu_res d = s_call(emu, "DescribeIdentityPool", body);
    assert_int_equal(d.status, 200);
    assert_true(json_equal(r.body, d.body));
    json_decref(r.body);
    json_decref(d.body);
    cr_emu_free(emu);
}

static void test_emulator__update_replaces_configuration(void **state)
{
    struct cr_emu *emu = s_emu(0);
    char *id = s_create(emu, "{\"IdentityPoolName\":\"a\",\"AllowUnauthenticatedIdentities\":true,"
                             "\"AllowClassicFlow\":true,\"DeveloperProviderName\":\"login.dev\","
                             "\"SupportedLoginProviders\":{\"graph.facebook.com\":\"123\"},"
                             "\"CognitoIdentityProviders\":[{\"ProviderName\":\"cognito-idp.us-"
                             "east-1.amazonaws.com/us-east-1_A\",\"ClientId\":\"c1\"}],"
                             "\"IdentityPoolTags\":{\"team\":\"x\"}}");
    char body[512];
    snprintf(body, sizeof(body),
             "{\"IdentityPoolId\":\"%s\",\"IdentityPoolName\":\"b\","
             "\"AllowUnauthenticatedIdentities\":false}",
             id);
    struct test_emu_res r = s_call(emu, "UpdateIdentityPool", body);
    assert_int_equal(r.status, 200);
    assert_string_equal(s_str(r.body, "IdentityPoolName"), "b");
    assert_string_equal(s_str(r.body, "IdentityPoolId"), id);
    assert_null(json_object_get(r.body, "SupportedLoginProviders"));
    assert_null(json_object_get(r.body, "CognitoIdentityProviders"));
    /* kept: DeveloperProviderName; back to default: AllowClassicFlow (now false, not absent) */
    assert_string_equal(s_str(r.body, "DeveloperProviderName"), "login.dev");
    assert_true(json_is_false(json_object_get(r.body, "AllowClassicFlow")));
    /* tags are not touched by an Update without IdentityPoolTags */
    assert_string_equal(s_str(json_object_get(r.body, "IdentityPoolTags"), "team"), "x");
    json_decref(r.body);

    snprintf(body, sizeof(body),
             "{\"IdentityPoolId\":\"%s\",\"IdentityPoolName\":\"b\","
             "\"AllowUnauthenticatedIdentities\":false,\"DeveloperProviderName\":\"other\"}",
             id);
    s_expect_error(s_call(emu, "UpdateIdentityPool", body), 400, "InvalidParameterException",
                   "DeveloperProviderName cannot be changed once it is set (current 'login.dev', "
                   "requested 'other').");
    free(id);
    cr_emu_free(emu);
}

static void test_emulator__classic_flow_tri_state(void **state)
{
    struct cr_emu *emu = s_emu(0);
    char *id =
        s_create(emu, "{\"IdentityPoolName\":\"a\",\"AllowUnauthenticatedIdentities\":true}");
    char body[512];
    snprintf(body, sizeof(body),
             "{\"IdentityPoolId\":\"%s\",\"IdentityPoolName\":\"a\","
             "\"AllowUnauthenticatedIdentities\":true}",
             id);
    struct test_emu_res r = s_call(emu, "UpdateIdentityPool", body);
    assert_null(json_object_get(r.body, "AllowClassicFlow")); /* never set: stays absent */
    json_decref(r.body);
    snprintf(body, sizeof(body),
             "{\"IdentityPoolId\":\"%s\",\"IdentityPoolName\":\"a\","
             "\"AllowUnauthenticatedIdentities\":true,\"AllowClassicFlow\":false}",
             id);
    r = s_call(emu, "UpdateIdentityPool", body);
    assert_true(json_is_false(json_object_get(r.body, "AllowClassicFlow")));
    json_decref(r.body);
    snprintf(body, sizeof(body), "{\"IdentityPoolId\":\"%s\"}", id);
    r = s_call(emu, "DescribeIdentityPool", body);
    assert_true(json_is_false(json_object_get(r.body, "AllowClassicFlow")));
    json_decref(r.body);
    free(id);
    cr_emu_free(emu);
}

static void test_emulator__unknown_pool_and_delete(void **state)
{
    struct cr_emu *emu = s_emu(0);
    s_expect_error(
        s_call(emu, "DescribeIdentityPool",
               "{\"IdentityPoolId\":\"us-east-1:aaaaaaaa-0000-0000-0000-000000000000\"}"),
        400, "ResourceNotFoundException",
        "IdentityPool 'us-east-1:aaaaaaaa-0000-0000-0000-000000000000' not found.");
    char *id =
        s_create(emu, "{\"IdentityPoolName\":\"a\",\"AllowUnauthenticatedIdentities\":true}");
    char body[256];
    snprintf(body, sizeof(body), "{\"IdentityPoolId\":\"%s\"}", id);
    struct test_emu_res r = s_call(emu, "DeleteIdentityPool", body);
    assert_int_equal(r.status, 200);
    json_decref(r.body);
    s_expect_error(s_call(emu, "DescribeIdentityPool", body), 400, "ResourceNotFoundException",
                   NULL);
    s_expect_error(s_call(emu, "DeleteIdentityPool", body), 400, "ResourceNotFoundException", NULL);
    free(id);
    cr_emu_free(emu);
}

static void test_emulator__list_pages_in_creation_order(void **state)
{
    struct cr_emu *emu = s_emu(0);
    char *ids[5];
    for (int i = 0; i < 5; i++) {
        char body[128];
        snprintf(body, sizeof(body),
                 "{\"IdentityPoolName\":\"p%d\",\"AllowUnauthenticatedIdentities\":true}", i);
        ids[i] = s_create(emu, body);
    }
    char token[128] = "";
    int seen = 0, pages = 0;
    do {
        char body[256];
        if (token[0])
            snprintf(body, sizeof(body), "{\"MaxResults\":2,\"NextToken\":\"%s\"}", token);
        else
            snprintf(body, sizeof(body), "{\"MaxResults\":2}");
        struct test_emu_res r = s_call(emu, "ListIdentityPools", body);
        assert_int_equal(r.status, 200);
        size_t i;
        json_t *e;
        json_array_foreach(json_object_get(r.body, "IdentityPools"), i, e)
        {
            assert_string_equal(s_str(e, "IdentityPoolId"), ids[seen]);
            seen++;
        }
        snprintf(token, sizeof(token), "%s", s_str(r.body, "NextToken"));
        json_decref(r.body);
        pages++;
    } while (token[0] && pages < 10);
    assert_int_equal(seen, 5);
    assert_int_equal(pages, 3);
    s_expect_error(s_call(emu, "ListIdentityPools", "{\"MaxResults\":2,\"NextToken\":\"bogus\"}"),
                   400, "InvalidParameterException", "The pagination token 'bogus' is not valid.");
    /* an empty region still answers with an empty list */
    struct test_emu_res r = s_call_in(emu, "eu-west-1", "ListIdentityPools", "{\"MaxResults\":60}");
    assert_int_equal(json_array_size(json_object_get(r.body, "IdentityPools")), 0);
    assert_null(json_object_get(r.body, "NextToken"));
    json_decref(r.body);
    for (int i = 0; i < 5; i++)
        free(ids[i]);
    cr_emu_free(emu);
}

static const char *s_pool_with_providers =
    "{\"IdentityPoolName\":\"a\",\"AllowUnauthenticatedIdentities\":true,"
    "\"SupportedLoginProviders\":{\"graph.facebook.com\":\"123\"},"
    "\"OpenIdConnectProviderARNs\":[\"arn:aws:iam::123456789012:oidc-provider/auth.example.com\"],"
    "\"CognitoIdentityProviders\":[{\"ProviderName\":\"cognito-idp.us-east-1.amazonaws.com/"
    "us-east-1_A\",\"ClientId\":\"c1\",\"ServerSideTokenCheck\":true}]}";

static void test_emulator__roles(void **state)
{
    struct cr_emu *emu = s_emu(0);
    char *id = s_create(emu, s_pool_with_providers);
    char body[2048];
    snprintf(body, sizeof(body), "{\"IdentityPoolId\":\"%s\"}", id);
    struct test_emu_res r = s_call(emu, "GetIdentityPoolRoles", body);
    assert_int_equal(r.status, 200);
    assert_string_equal(s_str(r.body, "IdentityPoolId"), id);
    assert_int_equal(json_object_size(json_object_get(r.body, "Roles")), 0);
    assert_true(json_is_object(json_object_get(r.body, "Roles")));
    assert_null(json_object_get(r.body, "RoleMappings"));
    json_decref(r.body);

    snprintf(body, sizeof(body),
             "{\"IdentityPoolId\":\"%s\",\"Roles\":{},\"RoleMappings\":{\"accounts.google.com\":"
             "{\"Type\":\"Token\",\"AmbiguousRoleResolution\":\"Deny\"}}}",
             id);
    s_expect_error(s_call(emu, "SetIdentityPoolRoles", body), 400, "InvalidParameterException",
                   "(accounts.google.com) is not a valid RoleMapping ProviderName or is not a "
                   "configured provider.");
    snprintf(body, sizeof(body),
             "{\"IdentityPoolId\":\"%s\",\"Roles\":{},\"RoleMappings\":{\"graph.facebook.com\":"
             "{\"Type\":\"Token\"}}}",
             id);
    s_expect_error(s_call(emu, "SetIdentityPoolRoles", body), 400, "InvalidParameterException",
                   NULL);
    snprintf(body, sizeof(body),
             "{\"IdentityPoolId\":\"%s\",\"Roles\":{},\"RoleMappings\":{\"graph.facebook.com\":"
             "{\"Type\":\"Rules\",\"AmbiguousRoleResolution\":\"Deny\"}}}",
             id);
    s_expect_error(s_call(emu, "SetIdentityPoolRoles", body), 400, "InvalidParameterException",
                   "RulesConfiguration must be specified for the Rules role mapping of "
                   "(graph.facebook.com).");

    struct cr_buf big = CR_BUF_INIT;
    cr_buf_printf(&big,
                  "{\"IdentityPoolId\":\"%s\",\"Roles\":{},\"RoleMappings\":{\"auth.example.com\":"
                  "{\"Type\":\"Rules\",\"AmbiguousRoleResolution\":\"Deny\","
                  "\"RulesConfiguration\":{\"Rules\":[",
                  id);
    for (int i = 0; i < 26; i++)
        cr_buf_printf(&big,
                      "%s{\"Claim\":\"c\",\"MatchType\":\"Equals\",\"Value\":\"v%d\",\"RoleARN\":"
                      "\"arn:aws:iam::123456789012:role/R\"}",
                      i ? "," : "", i);
    cr_buf_puts(&big, "]}}}}");
    s_expect_error(s_call(emu, "SetIdentityPoolRoles", cr_buf_cstr(&big)), 400,
                   "InvalidParameterException",
                   "At most 25 rules can be specified per identity provider; (auth.example.com) "
                   "has 26.");
    cr_buf_dispose(&big);

    snprintf(body, sizeof(body),
             "{\"IdentityPoolId\":\"%s\",\"Roles\":{\"authenticated\":\"arn:aws:iam::"
             "123456789012:role/Auth\"},\"RoleMappings\":{\"cognito-idp.us-east-1.amazonaws.com/"
             "us-east-1_A:c1\":{\"Type\":\"Rules\",\"AmbiguousRoleResolution\":\"Deny\","
             "\"RulesConfiguration\":{\"Rules\":[{\"Claim\":\"custom:tier\",\"MatchType\":"
             "\"Equals\",\"Value\":\"paid\",\"RoleARN\":\"arn:aws:iam::123456789012:role/P\"}]}}}}",
             id);
    r = s_call(emu, "SetIdentityPoolRoles", body);
    assert_int_equal(r.status, 200);
    assert_int_equal(json_object_size(r.body), 0);
    json_decref(r.body);
    json_t *sent = json_loads(body, 0, NULL);
    snprintf(body, sizeof(body), "{\"IdentityPoolId\":\"%s\"}", id);
    r = s_call(emu, "GetIdentityPoolRoles", body);
    assert_true(json_equal(json_object_get(r.body, "Roles"), json_object_get(sent, "Roles")));
    assert_true(
        json_equal(json_object_get(r.body, "RoleMappings"), json_object_get(sent, "RoleMappings")));
    json_decref(r.body);
    json_decref(sent);

    /* Roles {} clears; RoleMappings omitted clears */
    snprintf(body, sizeof(body), "{\"IdentityPoolId\":\"%s\",\"Roles\":{}}", id);
    json_decref(s_call(emu, "SetIdentityPoolRoles", body).body);
    snprintf(body, sizeof(body), "{\"IdentityPoolId\":\"%s\"}", id);
    r = s_call(emu, "GetIdentityPoolRoles", body);
    assert_int_equal(json_object_size(json_object_get(r.body, "Roles")), 0);
    assert_null(json_object_get(r.body, "RoleMappings"));
    json_decref(r.body);
    free(id);
    cr_emu_free(emu);
}

static void test_emulator__principal_tags(void **state)
{
    struct cr_emu *emu = s_emu(0);
    char *id = s_create(emu, s_pool_with_providers);
    char body[1024], msg[256];
    snprintf(body, sizeof(body),
             "{\"IdentityPoolId\":\"%s\",\"IdentityProviderName\":\"accounts.google.com\"}", id);
    snprintf(msg, sizeof(msg),
             "(accounts.google.com) is not a configured provider of identity pool '%s'.", id);
    s_expect_error(s_call(emu, "GetPrincipalTagAttributeMap", body), 400,
                   "InvalidParameterException", msg);

    snprintf(body, sizeof(body),
             "{\"IdentityPoolId\":\"%s\",\"IdentityProviderName\":\"cognito-idp.us-east-1."
             "amazonaws.com/us-east-1_A\"}",
             id);
    struct test_emu_res r = s_call(emu, "GetPrincipalTagAttributeMap", body);
    assert_int_equal(r.status, 200);
    assert_true(json_is_true(json_object_get(r.body, "UseDefaults")));
    assert_int_equal(json_object_size(json_object_get(r.body, "PrincipalTags")), 0);
    assert_string_equal(s_str(r.body, "IdentityProviderName"),
                        "cognito-idp.us-east-1.amazonaws.com/us-east-1_A");
    json_decref(r.body);

    snprintf(body, sizeof(body),
             "{\"IdentityPoolId\":\"%s\",\"IdentityProviderName\":\"cognito-idp.us-east-1."
             "amazonaws.com/us-east-1_A\",\"UseDefaults\":false,\"PrincipalTags\":"
             "{\"department\":\"custom:department\"}}",
             id);
    r = s_call(emu, "SetPrincipalTagAttributeMap", body);
    assert_int_equal(r.status, 200);
    assert_true(json_is_false(json_object_get(r.body, "UseDefaults")));
    assert_string_equal(s_str(json_object_get(r.body, "PrincipalTags"), "department"),
                        "custom:department");
    json_t *set = r.body;
    snprintf(body, sizeof(body),
             "{\"IdentityPoolId\":\"%s\",\"IdentityProviderName\":\"cognito-idp.us-east-1."
             "amazonaws.com/us-east-1_A\"}",
             id);
    r = s_call(emu, "GetPrincipalTagAttributeMap", body);
    assert_true(json_equal(r.body, set));
    json_decref(r.body);
    json_decref(set);
    free(id);
    cr_emu_free(emu);
}

static void test_emulator__tags_by_arn(void **state)
{
    struct cr_emu *emu = s_emu(0);
    char *id = s_create(emu, "{\"IdentityPoolName\":\"a\",\"AllowUnauthenticatedIdentities\":true,"
                             "\"IdentityPoolTags\":{\"a\":\"1\"}}");
    char arn[256], body[4096];
    snprintf(arn, sizeof(arn), "arn:aws:cognito-identity:us-east-1:123456789012:identitypool/%s",
             id);
    snprintf(body, sizeof(body), "{\"ResourceArn\":\"%s\",\"Tags\":{\"b\":\"2\",\"c\":\"\"}}", arn);
    struct test_emu_res r = s_call(emu, "TagResource", body);
    assert_int_equal(r.status, 200);
    json_decref(r.body);
    snprintf(body, sizeof(body), "{\"ResourceArn\":\"%s\",\"TagKeys\":[\"a\",\"zz\"]}", arn);
    json_decref(s_call(emu, "UntagResource", body).body);
    snprintf(body, sizeof(body), "{\"ResourceArn\":\"%s\"}", arn);
    r = s_call(emu, "ListTagsForResource", body);
    json_t *want = json_pack("{s:{s:s, s:s}}", "Tags", "b", "2", "c", "");
    assert_true(json_equal(r.body, want));
    json_decref(want);
    json_decref(r.body);

    /* wrong account in the ARN: not this caller's pool */
    s_expect_error(s_call(emu, "ListTagsForResource",
                          "{\"ResourceArn\":\"arn:aws:cognito-identity:us-east-1:999999999999:"
                          "identitypool/us-east-1:aaaaaaaa-0000-0000-0000-000000000000\"}"),
                   400, "ResourceNotFoundException",
                   "Resource 'arn:aws:cognito-identity:us-east-1:999999999999:identitypool/"
                   "us-east-1:aaaaaaaa-0000-0000-0000-000000000000' not found.");

    struct cr_buf many = CR_BUF_INIT;
    cr_buf_printf(&many, "{\"ResourceArn\":\"%s\",\"Tags\":{", arn);
    for (int i = 0; i < 49; i++)
        cr_buf_printf(&many, "%s\"k%d\":\"v\"", i ? "," : "", i);
    cr_buf_puts(&many, "}}");
    /* 2 existing + 49 = 51 */
    s_expect_error(s_call(emu, "TagResource", cr_buf_cstr(&many)), 400, "InvalidParameterException",
                   "An identity pool can have at most 50 tags (51 given).");
    cr_buf_dispose(&many);
    snprintf(body, sizeof(body), "{\"ResourceArn\":\"%s\",\"Tags\":{\"aws:x\":\"1\"}}", arn);
    s_expect_error(s_call(emu, "TagResource", body), 400, "InvalidParameterException",
                   "Tag key 'aws:x' uses the reserved prefix 'aws:'.");
    free(id);
    cr_emu_free(emu);
}

static void test_emulator__pool_limit(void **state)
{
    struct cr_emu *emu = s_emu(2);
    const char *body = "{\"IdentityPoolName\":\"a\",\"AllowUnauthenticatedIdentities\":true}";
    free(s_create(emu, body));
    free(s_create(emu, body));
    s_expect_error(s_call(emu, "CreateIdentityPool", body), 400, "LimitExceededException",
                   "You have reached the limit of 2 identity pools in us-east-1.");
    /* the limit is per region */
    struct test_emu_res r = s_call_in(emu, "eu-west-1", "CreateIdentityPool", body);
    assert_int_equal(r.status, 200);
    json_decref(r.body);
    cr_emu_free(emu);
}

static void test_emulator__region_from_scope_and_cn_arns(void **state)
{
    struct cr_emu *emu = s_emu(0);
    const char *body = "{\"IdentityPoolName\":\"a\",\"AllowUnauthenticatedIdentities\":true}";
    struct test_emu_res r = s_call_in(emu, "cn-north-1", "CreateIdentityPool", body);
    assert_int_equal(r.status, 200);
    const char *id = s_str(r.body, "IdentityPoolId");
    assert_memory_equal(id, "cn-north-1:", 11);
    char q[512];
    snprintf(q, sizeof(q), "{\"IdentityPoolId\":\"%s\"}", id);
    s_expect_error(s_call(emu, "DescribeIdentityPool", q), 400, "ResourceNotFoundException", NULL);
    snprintf(q, sizeof(q),
             "{\"ResourceArn\":\"arn:aws-cn:cognito-identity:cn-north-1:123456789012:"
             "identitypool/%s\"}",
             id);
    struct test_emu_res t = s_call_in(emu, "cn-north-1", "ListTagsForResource", q);
    assert_int_equal(t.status, 200);
    json_decref(t.body);
    json_decref(r.body);
    cr_emu_free(emu);
}

static void test_emulator__expired_sessions_pruned(void **state)
{
    struct cr_emu_keys keys = {0};
    struct cr_emu_key a = {"AKIDLONG", "s", NULL, "123456789012", "arn:a", "AIDA", 0};
    struct cr_emu_key b = {"ASIAOLD", "s", "t", "123456789012", "arn:b", "AROA", 100};
    struct cr_emu_key c = {"ASIANEW", "s", "t", "123456789012", "arn:c", "AROA", 300};
    assert_ok(cr__emu_keys_add(&keys, &a));
    assert_ok(cr__emu_keys_add(&keys, &b));
    assert_ok(cr__emu_keys_add(&keys, &c));
    cr__emu_keys_prune(&keys, 200);
    assert_int_equal(keys.len, 2);
    assert_string_equal(keys.items[0].access_key_id, "AKIDLONG"); /* long-term keys stay */
    assert_string_equal(keys.items[1].access_key_id, "ASIANEW");
    cr__emu_keys_dispose(&keys);
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_emulator__create_and_describe_omit_empty_members),
        cmocka_unit_test(test_emulator__update_replaces_configuration),
        cmocka_unit_test(test_emulator__classic_flow_tri_state),
        cmocka_unit_test(test_emulator__unknown_pool_and_delete),
        cmocka_unit_test(test_emulator__list_pages_in_creation_order),
        cmocka_unit_test(test_emulator__roles),
        cmocka_unit_test(test_emulator__principal_tags),
        cmocka_unit_test(test_emulator__tags_by_arn),
        cmocka_unit_test(test_emulator__pool_limit),
        cmocka_unit_test(test_emulator__region_from_scope_and_cn_arns),
        cmocka_unit_test(test_emulator__expired_sessions_pruned),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
