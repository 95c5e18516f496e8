/* SPDX-License-Identifier: Apache-2.0 */
/* Endpoint resolution: the cognito-identity / sts rule sets (partitions, FIPS, dual-stack) and
 * the override chain --endpoint-url > AWS_ENDPOINT_URL_<SERVICE> > AWS_ENDPOINT_URL >
 * profile endpoint_url. */
#include "tests/support/cr_test.h"

#include <stdlib.h>
#include <string.h>

#include <jansson.h>

#include "aws/config.h"
#include "aws/sts.h"
#include "tests/unit/test_aws_env.h"
#include "util/buf.h"

static void test_endpoint__rules_table(void **state)
{
    static const struct {
        const char *region;
        bool fips, dual;
        const char *want; /* NULL = error */
    } rows[] = {
        {"us-east-1", false, false, "https://cognito-identity.us-east-1.amazonaws.com"},
        {"eu-central-1", false, false, "https://cognito-identity.eu-central-1.amazonaws.com"},
        {"il-central-1", false, false, "https://cognito-identity.il-central-1.amazonaws.com"},
        {"cn-north-1", false, false, "https://cognito-identity.cn-north-1.amazonaws.com.cn"},
        {"cn-northwest-1", false, false,
         "https://cognito-identity.cn-northwest-1.amazonaws.com.cn"},
        {"us-gov-west-1", false, false, "https://cognito-identity.us-gov-west-1.amazonaws.com"},
        {"us-east-1", true, false, "https://cognito-identity-fips.us-east-1.amazonaws.com"},
        {"us-gov-west-1", true, false, "https://cognito-identity-fips.us-gov-west-1.amazonaws.com"},
        {"cn-north-1", true, false, "https://cognito-identity-fips.cn-north-1.amazonaws.com.cn"},
        {"us-east-1", false, true, "https://cognito-identity.us-east-1.api.aws"},
        {"us-east-1", true, true, "https://cognito-identity-fips.us-east-1.api.aws"},
        {"cn-north-1", false, true,
         "https://cognito-identity.cn-north-1.api.amazonwebservices.com.cn"},
        {"us-iso-east-1", false, false, "https://cognito-identity.us-iso-east-1.c2s.ic.gov"},
        {"us-isob-east-1", false, false, "https://cognito-identity.us-isob-east-1.sc2s.sgov.gov"},
        {"us-iso-east-1", true, false, "https://cognito-identity-fips.us-iso-east-1.c2s.ic.gov"},
        {"us-iso-east-1", false, true, NULL},
        {"us-isob-east-1", true, true, NULL},
        {"xx-unknown-9", false, false, "https://cognito-identity.xx-unknown-9.amazonaws.com"},
    };
    for (size_t i = 0; i < sizeof(rows) / sizeof(rows[0]); i++) {
        struct cr_buf out = CR_BUF_INIT;
        int rc = cr_aws_config_endpoint_rules(&out, "cognito-identity", rows[i].region,
                                              rows[i].fips, rows[i].dual);
        if (!rows[i].want) {
            if (rc != CR_EINVALID || !strstr(cr_error_last(), "does not support"))
                fail_msg("row %zu: rc %d '%s'", i, rc, cr_error_last());
        } else if (rc != 0 || strcmp(cr_buf_cstr(&out), rows[i].want) != 0) {
            fail_msg("row %zu (%s fips=%d dual=%d): rc %d got '%s' want '%s'", i, rows[i].region,
                     rows[i].fips, rows[i].dual, rc, cr_buf_cstr(&out), rows[i].want);
        }
        cr_buf_dispose(&out);
    }
    assert_string_equal(cr_aws_config_partition("us-gov-east-1")->name, "aws-us-gov");
    assert_string_equal(cr_aws_config_partition("cn-north-1")->name, "aws-cn");
    assert_string_equal(cr_aws_config_partition("eu-west-1")->name, "aws");
    assert_string_equal(cr_aws_config_partition(NULL)->name, "aws");
}

/* The rule set in tests/data/aws-models has the URL templates we implement: check they are
 * still the ones we know (a model update would show here). */
static void test_endpoint__rule_set_templates_match(void **state)
{
    json_error_t err;
    json_t *root = json_load_file(
        cr_test_data_path("aws-models/cognito-identity-2014-06-30.endpoint-rule-set-1.json"), 0,
        &err);
    assert_non_null(root);
    char *text = json_dumps(root, JSON_COMPACT);
    static const char *const templates[] = {
        "https://cognito-identity-fips.{Region}.{PartitionResult#dualStackDnsSuffix}",
        "https://cognito-identity-fips.{Region}.{PartitionResult#dnsSuffix}",
        "https://cognito-identity.{Region}.{PartitionResult#dualStackDnsSuffix}",
        "https://cognito-identity.{Region}.{PartitionResult#dnsSuffix}",
        "Invalid Configuration: FIPS and custom endpoint are not supported",
        "Invalid Configuration: Dualstack and custom endpoint are not supported",
    };
    for (size_t i = 0; i < sizeof(templates) / sizeof(templates[0]); i++) {
        if (!strstr(text, templates[i]))
            fail_msg("rule set lacks '%s'", templates[i]);
    }
    free(text);
    json_decref(root);
}

static void s_expect(struct fake_env *vars, const struct cr_aws_config *cfg, const char *cli,
                     const char *want)
{
    struct cr_aws_env env = s_fake_env(vars);
    struct cr_buf out = CR_BUF_INIT;
    assert_ok(cr_aws_config_endpoint(&out, cfg, &env, "cognito-identity", "COGNITO_IDENTITY",
                                     "eu-west-1", cli));
    assert_string_equal(cr_buf_cstr(&out), want);
    cr_buf_dispose(&out);
}

static void test_endpoint__override_precedence(void **state)
{
    struct fake_env vars = {0};
    struct cr_aws_config cfg;
    cr_aws_config_init(&cfg);
    assert_ok(cr_aws_config_parse_string(&cfg, "[default]\nendpoint_url = http://profile.local:1\n",
                                         "m", true));
    s_expect(&vars, NULL, NULL, "https://cognito-identity.eu-west-1.amazonaws.com");
    s_expect(&vars, &cfg, NULL, "http://profile.local:1");
    vars = (struct fake_env){.vars = {{"AWS_ENDPOINT_URL", "http://global.local:2"}}, .n = 1};
    s_expect(&vars, &cfg, NULL, "http://global.local:2");
    vars.vars[vars.n][0] = "AWS_ENDPOINT_URL_COGNITO_IDENTITY";
    vars.vars[vars.n++][1] = "http://127.0.0.1:3";
    s_expect(&vars, &cfg, NULL, "http://127.0.0.1:3");
    s_expect(&vars, &cfg, "https://cli.example:4/prefix", "https://cli.example:4/prefix");
    /* AWS_ENDPOINT_URL_STS does not affect cognito-identity */
    struct fake_env sts = {.vars = {{"AWS_ENDPOINT_URL_STS", "http://sts.local:5"}}, .n = 1};
    s_expect(&sts, NULL, NULL, "https://cognito-identity.eu-west-1.amazonaws.com");
    /* ignoring configured endpoints keeps only --endpoint-url */
    vars.vars[vars.n][0] = "AWS_IGNORE_CONFIGURED_ENDPOINT_URLS";
    vars.vars[vars.n++][1] = "true";
    s_expect(&vars, &cfg, NULL, "https://cognito-identity.eu-west-1.amazonaws.com");
    s_expect(&vars, &cfg, "http://[::1]:6", "http://[::1]:6");
    cr_aws_config_dispose(&cfg);
}

static void test_endpoint__fips_from_env_and_conflicts(void **state)
{
    struct fake_env vars = {.vars = {{"AWS_USE_FIPS_ENDPOINT", "true"}}, .n = 1};
    struct cr_aws_env env = s_fake_env(&vars);
    struct cr_buf out = CR_BUF_INIT;
    assert_ok(cr_aws_config_endpoint(&out, NULL, &env, "cognito-identity", "COGNITO_IDENTITY",
                                     "us-east-2", NULL));
    assert_string_equal(cr_buf_cstr(&out), "https://cognito-identity-fips.us-east-2.amazonaws.com");
    cr_buf_clear(&out);
    assert_int_equal(cr_aws_config_endpoint(&out, NULL, &env, "cognito-identity",
                                            "COGNITO_IDENTITY", "us-east-2", "http://x:1"),
                     CR_EINVALID);
    assert_non_null(strstr(cr_error_last(), "FIPS and custom endpoint are not supported"));
    vars = (struct fake_env){.vars = {{"AWS_USE_DUALSTACK_ENDPOINT", "true"}}, .n = 1};
    assert_ok(cr_aws_config_endpoint(&out, NULL, &env, "cognito-identity", "COGNITO_IDENTITY",
                                     "us-east-2", NULL));
    assert_string_equal(cr_buf_cstr(&out), "https://cognito-identity.us-east-2.api.aws");
    cr_buf_clear(&out);
    vars = (struct fake_env){.vars = {{"AWS_USE_DUALSTACK_ENDPOINT", "maybe"}}, .n = 1};
    assert_int_equal(cr_aws_config_endpoint(&out, NULL, &env, "cognito-identity",
                                            "COGNITO_IDENTITY", "us-east-2", NULL),
                     CR_EINVALID);
    cr_buf_dispose(&out);
}

static void test_endpoint__invalid_urls_have_clear_errors(void **state)
{
    static const struct {
        const char *url, *message;
    } rows[] = {
        {"ftp://host", "--endpoint-url 'ftp://host': scheme must be http or https"},
        {"localhost:4566", "'localhost:4566': it has no scheme"},
        {"no scheme at all", "it has no scheme"},
        {"http://bad host", "not a URL"},
        {"http://", "not a URL"},
        {"http://user:pw@host", "user information is not allowed"},
        {"http://host/?a=b", "a query or fragment is not allowed"},
        {"http://host/#frag", "a query or fragment is not allowed"},
    };
    for (size_t i = 0; i < sizeof(rows) / sizeof(rows[0]); i++) {
        int rc = cr_aws_config_validate_endpoint(rows[i].url, "--endpoint-url");
        if (rc != CR_EINVALID || !strstr(cr_error_last(), rows[i].message))
            fail_msg("'%s': rc %d '%s'", rows[i].url, rc, cr_error_last());
    }
    assert_ok(cr_aws_config_validate_endpoint("http://127.0.0.1:4566", "x"));
    assert_ok(cr_aws_config_validate_endpoint("HTTPS://Example.com/", "x"));
    struct fake_env vars = {.vars = {{"AWS_ENDPOINT_URL", "gopher://x"}}, .n = 1};
    struct cr_aws_env env = s_fake_env(&vars);
    struct cr_buf out = CR_BUF_INIT;
    assert_int_equal(cr_aws_config_endpoint(&out, NULL, &env, "cognito-identity",
                                            "COGNITO_IDENTITY", "us-east-1", NULL),
                     CR_EINVALID);
    assert_non_null(strstr(cr_error_last(), "AWS_ENDPOINT_URL 'gopher://x'"));
    cr_buf_dispose(&out);
}

static void test_endpoint__sts(void **state)
{
    struct fake_env vars = {0};
    struct cr_aws_env env = s_fake_env(&vars);
    struct cr_buf out = CR_BUF_INIT;
    assert_ok(cr_sts_endpoint(&out, NULL, &env, "eu-north-1"));
    assert_string_equal(cr_buf_cstr(&out), "https://sts.eu-north-1.amazonaws.com");
    cr_buf_clear(&out);
    assert_ok(cr_sts_endpoint(&out, NULL, &env, NULL));
    assert_string_equal(cr_buf_cstr(&out), "https://sts.us-east-1.amazonaws.com");
    cr_buf_clear(&out);
    assert_ok(cr_sts_endpoint(&out, NULL, &env, "cn-north-1"));
    assert_string_equal(cr_buf_cstr(&out), "https://sts.cn-north-1.amazonaws.com.cn");
    cr_buf_clear(&out);
    vars = (struct fake_env){.vars = {{"AWS_ENDPOINT_URL", "http://all:1"},
                                      {"AWS_ENDPOINT_URL_STS", "http://127.0.0.1:9"}},
                             .n = 2};
    assert_ok(cr_sts_endpoint(&out, NULL, &env, "eu-north-1"));
    assert_string_equal(cr_buf_cstr(&out), "http://127.0.0.1:9");
    cr_buf_dispose(&out);
}

/* sts_regional_endpoints = legacy (AWS_STS_REGIONAL_ENDPOINTS): the 16 regions botocore lists
 * go to the global endpoint, signed for us-east-1; others, overrides and FIPS are unchanged. */
static void test_endpoint__sts_regional_endpoints_legacy(void **state)
{
    (void)state;
    struct fake_env vars = {.vars = {{"AWS_STS_REGIONAL_ENDPOINTS", "legacy"}}, .n = 1};
    struct cr_aws_env env = s_fake_env(&vars);
    struct cr_buf out = CR_BUF_INIT;
    static const struct {
        const char *region, *want;
    } rows[] = {
        {"eu-west-1", "https://sts.amazonaws.com"},
        {"us-east-1", "https://sts.amazonaws.com"},
        {"ap-southeast-2", "https://sts.amazonaws.com"},
        {"ap-northeast-2", "https://sts.ap-northeast-2.amazonaws.com"}, /* not a legacy one */
        {"cn-north-1", "https://sts.cn-north-1.amazonaws.com.cn"},
    };
    for (size_t i = 0; i < sizeof(rows) / sizeof(rows[0]); i++) {
        cr_buf_clear(&out);
        assert_ok(cr_sts_endpoint(&out, NULL, &env, rows[i].region));
        assert_string_equal(cr_buf_cstr(&out), rows[i].want);
    }
    assert_string_equal(cr_sts_signing_region("https://sts.amazonaws.com", "eu-west-1"),
                        "us-east-1");
    assert_string_equal(cr_sts_signing_region("https://sts.eu-west-1.amazonaws.com", "eu-west-1"),
                        "eu-west-1");
    assert_string_equal(cr_sts_signing_region("http://127.0.0.1:9", "eu-west-1"), "eu-west-1");
    /* FIPS and an explicit endpoint are not the legacy default: left alone */
    s_set(&vars, "AWS_USE_FIPS_ENDPOINT", "true");
    cr_buf_clear(&out);
    assert_ok(cr_sts_endpoint(&out, NULL, &env, "us-east-1"));
    assert_string_equal(cr_buf_cstr(&out), "https://sts-fips.us-east-1.amazonaws.com");
    s_set(&vars, "AWS_USE_FIPS_ENDPOINT", NULL);
    s_set(&vars, "AWS_ENDPOINT_URL_STS", "http://127.0.0.1:9");
    cr_buf_clear(&out);
    assert_ok(cr_sts_endpoint(&out, NULL, &env, "us-east-1"));
    assert_string_equal(cr_buf_cstr(&out), "http://127.0.0.1:9");
    s_set(&vars, "AWS_ENDPOINT_URL_STS", NULL);
    /* regional (the AWS CLI v2's default), case-insensitive; anything else is an error */
    s_set(&vars, "AWS_STS_REGIONAL_ENDPOINTS", "Regional");
    cr_buf_clear(&out);
    assert_ok(cr_sts_endpoint(&out, NULL, &env, "eu-west-1"));
    assert_string_equal(cr_buf_cstr(&out), "https://sts.eu-west-1.amazonaws.com");
    s_set(&vars, "AWS_STS_REGIONAL_ENDPOINTS", "global");
    assert_int_equal(cr_sts_endpoint(&out, NULL, &env, "eu-west-1"), CR_EINVALID);
    assert_string_equal(cr_error_last(),
                        "AWS_STS_REGIONAL_ENDPOINTS 'global': expected legacy or regional");
    cr_buf_dispose(&out);
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_endpoint__rules_table),
        cmocka_unit_test(test_endpoint__rule_set_templates_match),
        cmocka_unit_test(test_endpoint__override_precedence),
        cmocka_unit_test(test_endpoint__fips_from_env_and_conflicts),
        cmocka_unit_test(test_endpoint__invalid_urls_have_clear_errors),
        cmocka_unit_test(test_endpoint__sts),
        cmocka_unit_test(test_endpoint__sts_regional_endpoints_legacy),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
