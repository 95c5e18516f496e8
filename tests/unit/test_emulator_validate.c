/* SPDX-License-Identifier: Apache-2.0 */
/* Request validation against the constraint table: exact AWS messages, per operation. */
#include <stdlib.h>
#include <string.h>

#include "tests/unit/test_emulator_call.h"

static struct cr_emu *s_emu;

static int s_setup(void **state)
{
    struct cr_emu_options opts = {0};
    return cr_emu_new(&s_emu, &opts);
}

static int s_teardown(void **state)
{
    cr_emu_free(s_emu);
    return 0;
}

static const char *s_or(const char *s)
{
    return s ? s : "-";
}

/* Calls op with a raw body (len bytes); returns "STATUS TYPE: message". */
static char *s_raw(const char *op, const char *body, size_t len)
{
    struct cr_buf out = CR_BUF_INIT;
    struct test_emu_res r = test_emu_call(s_emu, op, body, len, NULL);
    cr_buf_printf(&out, "%d %s: %s", r.status,
                  s_or(json_string_value(json_object_get(r.body, "__type"))),
                  s_or(json_string_value(json_object_get(r.body, "message"))));
    json_decref(r.body);
    return cr_buf_detach(&out);
}

static void s_expect(const char *op, const char *body, const char *want)
{
    char *got = s_raw(op, body, strlen(body));
    if (strcmp(got, want) != 0)
        fail_msg("%s %s\n  want: %s\n  got:  %s", op, body, want, got);
    free(got);
}

#define VE1 "400 ValidationException: 1 validation error detected: "

static void test_emulator__validation_pool_name(void **state)
{
    s_expect("CreateIdentityPool",
             "{\"IdentityPoolName\":\"bad/name!\",\"AllowUnauthenticatedIdentities\":false}",
             VE1 "Value 'bad/name!' at 'identityPoolName' failed to satisfy constraint: Member "
                 "must satisfy regular expression pattern: [\\w\\s+=,.@-]+");
    s_expect("CreateIdentityPool",
             "{\"IdentityPoolName\":\"\",\"AllowUnauthenticatedIdentities\":false}",
             "400 ValidationException: 2 validation errors detected: Value '' at "
             "'identityPoolName' failed to satisfy constraint: Member must have length greater "
             "than or equal to 1; Value '' at 'identityPoolName' failed to satisfy constraint: "
             "Member must satisfy regular expression pattern: [\\w\\s+=,.@-]+");
    char body[512], want[1024];
    char name[130];
    memset(name, 'a', 129);
    name[129] = '\0';
    snprintf(body, sizeof(body),
             "{\"IdentityPoolName\":\"%s\",\"AllowUnauthenticatedIdentities\":false}", name);
    snprintf(want, sizeof(want),
             VE1 "Value '%s' at 'identityPoolName' failed to satisfy constraint: Member must "
                 "have length less than or equal to 128",
             name);
    s_expect("CreateIdentityPool", body, want);
    name[128] = '\0'; /* exactly 128: valid */
    snprintf(body, sizeof(body),
             "{\"IdentityPoolName\":\"%s\",\"AllowUnauthenticatedIdentities\":false}", name);
    char *got = s_raw("CreateIdentityPool", body, strlen(body));
    assert_memory_equal(got, "200 -", 5);
    free(got);
}

static void test_emulator__validation_required_members(void **state)
{
    s_expect("CreateIdentityPool", "{}",
             "400 ValidationException: 2 validation errors detected: Value null at "
             "'identityPoolName' failed to satisfy constraint: Member must not be null; Value "
             "null at 'allowUnauthenticatedIdentities' failed to satisfy constraint: Member must "
             "not be null");
    /* an empty body is {} and JSON null is absent */
    s_expect("DescribeIdentityPool", "",
             VE1 "Value null at 'identityPoolId' failed to satisfy constraint: Member must not "
                 "be null");
    s_expect("DescribeIdentityPool", "{\"IdentityPoolId\":null}",
             VE1 "Value null at 'identityPoolId' failed to satisfy constraint: Member must not "
                 "be null");
}

/* Every operation checks its own required members. */
static void test_emulator__validation_every_operation(void **state)
{
    static const struct {
        const char *op;
        const char *members[3];
    } cases[] = {
        {"CreateIdentityPool", {"identityPoolName", "allowUnauthenticatedIdentities"}},
        {"UpdateIdentityPool",
         {"identityPoolId", "identityPoolName", "allowUnauthenticatedIdentities"}},
        {"DescribeIdentityPool", {"identityPoolId"}},
        {"DeleteIdentityPool", {"identityPoolId"}},
        {"ListIdentityPools", {"maxResults"}},
        {"GetIdentityPoolRoles", {"identityPoolId"}},
        {"SetIdentityPoolRoles", {"identityPoolId", "roles"}},
        {"GetPrincipalTagAttributeMap", {"identityPoolId", "identityProviderName"}},
        {"SetPrincipalTagAttributeMap", {"identityPoolId", "identityProviderName"}},
        {"TagResource", {"resourceArn", "tags"}},
        {"UntagResource", {"resourceArn", "tagKeys"}},
        {"ListTagsForResource", {"resourceArn"}},
    };
    for (size_t i = 0; i < sizeof(cases) / sizeof(cases[0]); i++) {
        struct cr_buf want = CR_BUF_INIT;
        size_t n = 0;
        while (n < 3 && cases[i].members[n])
            n++;
        cr_buf_printf(&want, "400 ValidationException: %zu validation error%s detected: ", n,
                      n == 1 ? "" : "s");
        for (size_t k = 0; k < n; k++)
            cr_buf_printf(&want,
                          "%sValue null at '%s' failed to satisfy constraint: Member must not be "
                          "null",
                          k ? "; " : "", cases[i].members[k]);
        s_expect(cases[i].op, "{}", cr_buf_cstr(&want));
        cr_buf_dispose(&want);
    }
}

static void test_emulator__validation_ranges_and_patterns(void **state)
{
    s_expect("ListIdentityPools", "{\"MaxResults\":61}",
             VE1 "Value '61' at 'maxResults' failed to satisfy constraint: Member must have value "
                 "less than or equal to 60");
    s_expect("ListIdentityPools", "{\"MaxResults\":0}",
             VE1 "Value '0' at 'maxResults' failed to satisfy constraint: Member must have value "
                 "greater than or equal to 1");
    s_expect("DescribeIdentityPool", "{\"IdentityPoolId\":\"us-east-2:mock\"}",
             VE1 "Value 'us-east-2:mock' at 'identityPoolId' failed to satisfy constraint: Member "
                 "must satisfy regular expression pattern: [\\w-]+:[0-9a-f-]+");
    s_expect("CreateIdentityPool",
             "{\"IdentityPoolName\":\"a\",\"AllowUnauthenticatedIdentities\":true,"
             "\"DeveloperProviderName\":\"bad name\"}",
             VE1 "Value 'bad name' at 'developerProviderName' failed to satisfy constraint: "
                 "Member must satisfy regular expression pattern: [\\w._-]+");
    s_expect("ListTagsForResource", "{\"ResourceArn\":\"arn:short\"}",
             VE1 "Value 'arn:short' at 'resourceArn' failed to satisfy constraint: Member must "
                 "have length greater than or equal to 20");
}

static void test_emulator__validation_nested_paths(void **state)
{
    s_expect("CreateIdentityPool",
             "{\"IdentityPoolName\":\"a\",\"AllowUnauthenticatedIdentities\":true,"
             "\"OpenIdConnectProviderARNs\":[\"arn:aws:iam::123456789012:oidc-provider/x\","
             "\"short\"]}",
             VE1 "Value 'short' at 'openIdConnectProviderARNs.2.member' failed to satisfy "
                 "constraint: Member must have length greater than or equal to 20");
    s_expect("CreateIdentityPool",
             "{\"IdentityPoolName\":\"a\",\"AllowUnauthenticatedIdentities\":true,"
             "\"CognitoIdentityProviders\":[{\"ProviderName\":\"p\",\"ClientId\":\"bad-id\"}]}",
             VE1 "Value 'bad-id' at 'cognitoIdentityProviders.1.member.clientId' failed to "
                 "satisfy constraint: Member must satisfy regular expression pattern: [\\w_]+");
    s_expect("SetIdentityPoolRoles",
             "{\"IdentityPoolId\":\"us-east-1:0a\",\"Roles\":{\"admin\":\"arn:aws:iam::"
             "123456789012:role/A\"}}",
             VE1 "Value 'admin' at 'roles.admin.key' failed to satisfy constraint: Member must "
                 "satisfy regular expression pattern: (un)?authenticated");
    s_expect("SetIdentityPoolRoles",
             "{\"IdentityPoolId\":\"us-east-1:0a\",\"Roles\":{},\"RoleMappings\":{\"graph."
             "facebook.com\":{\"Type\":\"Magic\",\"AmbiguousRoleResolution\":\"Deny\"}}}",
             VE1 "Value 'Magic' at 'roleMappings.graph.facebook.com.member.type' failed to "
                 "satisfy constraint: Member must satisfy enum value set: [Token, Rules]");
    s_expect("SetIdentityPoolRoles",
             "{\"IdentityPoolId\":\"us-east-1:0a\",\"Roles\":{},\"RoleMappings\":{\"p\":{"
             "\"Type\":\"Rules\",\"AmbiguousRoleResolution\":\"Deny\",\"RulesConfiguration\":{"
             "\"Rules\":[{\"Claim\":\"c\",\"MatchType\":\"Equals\",\"Value\":\"\","
             "\"RoleARN\":\"arn:aws:iam::123456789012:role/R\"}]}}}}",
             VE1 "Value '' at 'roleMappings.p.member.rulesConfiguration.rules.1.member.value' "
                 "failed to satisfy constraint: Member must have length greater than or equal "
                 "to 1");
    s_expect("SetIdentityPoolRoles",
             "{\"IdentityPoolId\":\"us-east-1:0a\",\"Roles\":{},\"RoleMappings\":{\"p\":{"
             "\"Type\":\"Rules\",\"AmbiguousRoleResolution\":\"Deny\",\"RulesConfiguration\":{"
             "\"Rules\":[]}}}}",
             VE1 "Value '[]' at 'roleMappings.p.member.rulesConfiguration.rules' failed to "
                 "satisfy constraint: Member must have length greater than or equal to 1");
    s_expect(
        "CreateIdentityPool",
        "{\"IdentityPoolName\":\"a\",\"AllowUnauthenticatedIdentities\":true,"
        "\"SupportedLoginProviders\":{\"a\":\"1\",\"b\":\"1\",\"c\":\"1\",\"d\":\"1\","
        "\"e\":\"1\",\"f\":\"1\",\"g\":\"1\",\"h\":\"1\",\"i\":\"1\",\"j\":\"1\",\"k\":\"1\"}}",
        VE1 "Value '{a=1, b=1, c=1, d=1, e=1, f=1, g=1, h=1, i=1, j=1, k=1}' at "
            "'supportedLoginProviders' failed to satisfy constraint: Member must have length "
            "less than or equal to 10");
}

static void test_emulator__serialization_errors(void **state)
{
    s_expect("CreateIdentityPool",
             "{\"IdentityPoolName\":\"a\",\"AllowUnauthenticatedIdentities\":\"yes\"}",
             "400 SerializationException: Cannot deserialize the value at "
             "'allowUnauthenticatedIdentities': expected boolean (IdentityPoolUnauthenticated), "
             "got a string.");
    s_expect("ListIdentityPools", "{\"MaxResults\":\"10\"}",
             "400 SerializationException: Cannot deserialize the value at 'maxResults': expected "
             "integer (QueryLimit), got a string.");
    s_expect("TagResource",
             "{\"ResourceArn\":\"arn:aws:cognito-identity:us-east-1:1:identitypool/x\",\"Tags\":"
             "[\"a\"]}",
             "400 SerializationException: Cannot deserialize the value at 'tags': expected map "
             "(IdentityPoolTagsType), got an array.");
    s_expect("DescribeIdentityPool", "{\"IdentityPoolId\":",
             "400 SerializationException: Could not parse the request body as JSON at line 1 "
             "column 18: unexpected token near end of file");
    s_expect("DescribeIdentityPool", "[1]",
             "400 SerializationException: Start of structure or map expected: the request body "
             "must be a JSON object");
    s_expect("DescribeIdentityPool", "{\"a\":1,\"a\":2}",
             "400 SerializationException: Could not parse the request body as JSON at line 1 "
             "column 10: duplicate object key");
    /* jansson quotes up to 20 characters of the body after its reason ("near '...'"): a
     * login token there would be repeated to whoever sent it, and into logs (issue 9.5) */
    char *leak = s_raw("GetId", "{\"Logins\":{\"p\":\"SECRETTOKEN\\q\"}}",
                       strlen("{\"Logins\":{\"p\":\"SECRETTOKEN\\q\"}}"));
    assert_non_null(strstr(leak, "400 SerializationException: Could not parse"));
    assert_null(strstr(leak, "SECRETTOKEN"));
    free(leak);
    char *got = s_raw("DescribeIdentityPool", "{\"IdentityPoolId\":\"\xff\"}", 21);
    assert_string_equal(got, "400 SerializationException: Request body is not valid UTF-8");
    free(got);
}

static void test_emulator__unknown_members_ignored(void **state)
{
    char *got = s_raw("ListIdentityPools", "{\"MaxResults\":5,\"Whatever\":[1,2]}",
                      strlen("{\"MaxResults\":5,\"Whatever\":[1,2]}"));
    assert_memory_equal(got, "200 -", 5);
    free(got);
    s_expect("Frobnicate", "{}",
             "400 UnknownOperationException: The requested operation is not recognized by the "
             "service.");
}

/* Mutated bodies for every operation: never a crash, always a JSON answer of a known kind. */
static void test_emulator__mutated_bodies_never_break_the_router(void **state)
{
    static const char *const ops[] = {"CreateIdentityPool",
                                      "UpdateIdentityPool",
                                      "DescribeIdentityPool",
                                      "DeleteIdentityPool",
                                      "ListIdentityPools",
                                      "GetIdentityPoolRoles",
                                      "SetIdentityPoolRoles",
                                      "GetPrincipalTagAttributeMap",
                                      "SetPrincipalTagAttributeMap",
                                      "TagResource",
                                      "UntagResource",
                                      "ListTagsForResource"};
    /* each seed parenthesised: clang's -Wstring-concatenation */
    static const char *const seeds[] = {
        ("{\"IdentityPoolName\":\"a b\",\"AllowUnauthenticatedIdentities\":true,"
         "\"SupportedLoginProviders\":{\"graph.facebook.com\":\"1\"},\"CognitoIdentityProviders\":"
         "[{\"ProviderName\":\"p\",\"ClientId\":\"c\",\"ServerSideTokenCheck\":false}]}"),
        ("{\"IdentityPoolId\":\"us-east-1:0a\",\"Roles\":{\"authenticated\":\"arn:aws:iam::1:role/"
         "Rolename\"},\"RoleMappings\":{\"p:c\":{\"Type\":\"Rules\",\"AmbiguousRoleResolution\":"
         "\"Deny\",\"RulesConfiguration\":{\"Rules\":[{\"Claim\":\"c\",\"MatchType\":\"Equals\","
         "\"Value\":\"v\",\"RoleARN\":\"arn:aws:iam::1:role/Rolename\"}]}}}}"),
        ("{\"ResourceArn\":\"arn:aws:cognito-identity:us-east-1:123456789012:identitypool/x\","
         "\"Tags\":{\"k\":\"v\"},\"TagKeys\":[\"k\"],\"MaxResults\":3,\"NextToken\":\"v1.1\"}")};
    static const char junk[] = "{}[]\":,0a\\\xff\x00 -1e999nulltrue";
    unsigned seed = 12345;
    for (int i = 0; i < 3000; i++) {
        char body[1024];
        const char *src = seeds[i % 3];
        size_t len = strlen(src);
        memcpy(body, src, len);
        for (int k = 0; k < 1 + i % 4; k++) {
            seed = seed * 1103515245u + 12345u;
            size_t at = (seed >> 8) % len;
            body[at] = junk[(seed >> 20) % (sizeof(junk) - 1)];
            if ((seed >> 4) % 7 == 0)
                len = at + 1; /* truncate */
        }
        char *got = s_raw(ops[i % 12], body, len);
        bool known = strncmp(got, "200 ", 4) == 0 ||
                     strncmp(got, "400 ValidationException", 23) == 0 ||
                     strncmp(got, "400 SerializationException", 26) == 0 ||
                     strncmp(got, "400 ResourceNotFoundException", 29) == 0 ||
                     strncmp(got, "400 InvalidParameterException", 29) == 0 ||
                     strncmp(got, "400 LimitExceededException", 26) == 0;
        if (!known)
            fail_msg("%s %.*s -> %s", ops[i % 12], (int)len, body, got);
        free(got);
    }
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_emulator__validation_pool_name),
        cmocka_unit_test(test_emulator__validation_required_members),
        cmocka_unit_test(test_emulator__validation_every_operation),
        cmocka_unit_test(test_emulator__validation_ranges_and_patterns),
        cmocka_unit_test(test_emulator__validation_nested_paths),
        cmocka_unit_test(test_emulator__serialization_errors),
        cmocka_unit_test(test_emulator__unknown_members_ignored),
        cmocka_unit_test(test_emulator__mutated_bodies_never_break_the_router),
    };
    return cmocka_run_group_tests(tests, s_setup, s_teardown);
}
