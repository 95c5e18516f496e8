/* SPDX-License-Identifier: Apache-2.0 */
/*
 * aws/s3.h without a server: s3://BUCKET/KEY parsing (every refusal names the source) and
 * addressing as the SDKs do (virtual-hosted on AWS, path-style for dotted buckets and custom
 * endpoints, FIPS / dual-stack host names, partitions); the endpoint resolution order of a
 * client (--lock-endpoint-url > AWS_ENDPOINT_URL_S3 > AWS_ENDPOINT_URL > profile, never
 * cognito-identity's). The calls themselves run against the emulator
 * (tests/integration/test_lock.sh).
 */
#include <stdlib.h>
#include <string.h>

#include "aws/s3.h"
#include "tests/support/cr_test.h"

static void test_s3__locations_parse_and_refuse_with_the_reason(void **state)
{
    (void)state;
    struct cr_s3_location loc;
    assert_ok(cr_s3_location_parse(&loc, "s3://acme-locks/identity-pools/prod.json", "--lock"));
    assert_string_equal(loc.bucket, "acme-locks");
    assert_string_equal(loc.key, "identity-pools/prod.json");
    cr_s3_location_dispose(&loc);
    assert_ok(cr_s3_location_parse(&loc, "s3://a.b.c/k", "--lock"));
    cr_s3_location_dispose(&loc);
    static const struct {
        const char *url, *why;
    } bad[] = {
        {"https://acme/locks.json", "expected s3://BUCKET/KEY"},
        {"s3://acme", "followed by /KEY"},
        {"s3://Acme/k", "lower-case letters"},
        {"s3://ab/k", "3 to 63"},
        {"s3://-acme/k", "starting and ending with a letter or digit"},
        {"s3://acme../k", "lower-case letters"},
        {"s3://acme/", "the key must be"},
        {"s3://acme//k", "the key must be"},
        {"s3://acme/a b", "the key must be"},
        {"s3://acme/a%20b", "the key must be"},
        {"s3://acme/a/../b", "no empty, '.' or '..' segment"},
        {"s3://acme/a/.", "the key must be"},
        {"s3://acme/a?versionId=1", "the key must be"},
    };
    for (size_t i = 0; i < sizeof(bad) / sizeof(bad[0]); i++) {
        assert_int_equal(cr_s3_location_parse(&loc, bad[i].url, "COGNITO_RECONCILE_LOCK"),
                         CR_EINVALID);
        if (!strstr(cr_error_last(), bad[i].why) ||
            strncmp(cr_error_last(), "COGNITO_RECONCILE_LOCK '", 24) != 0)
            fail_msg("%s: %s", bad[i].url, cr_error_last());
        assert_null(loc.bucket);
    }
    char key[1100];
    memset(key, 'k', sizeof(key) - 1);
    key[sizeof(key) - 1] = '\0';
    char url[1200];
    snprintf(url, sizeof(url), "s3://acme/%.1024s", key);
    assert_ok(cr_s3_location_parse(&loc, url, "--lock"));
    cr_s3_location_dispose(&loc);
    snprintf(url, sizeof(url), "s3://acme/%.1025s", key);
    assert_int_equal(cr_s3_location_parse(&loc, url, "--lock"), CR_EINVALID);
}

static void test_s3__urls_are_addressed_as_the_sdks_do(void **state)
{
    (void)state;
    static const struct cr_s3_location loc = {.bucket = "acme-locks", .key = "locks/prod.json"};
    static const struct cr_s3_location dotted = {.bucket = "locks.acme.com", .key = "prod.json"};
    struct cr_buf u = CR_BUF_INIT;
    static const struct {
        const struct cr_s3_location *loc;
        const char *endpoint, *region;
        bool fips, dual;
        const char *want;
    } cases[] = {
        {&loc, NULL, "eu-west-1", false, false,
         "https://acme-locks.s3.eu-west-1.amazonaws.com/locks/prod.json"},
        {&loc, NULL, "us-east-1", true, false,
         "https://acme-locks.s3-fips.us-east-1.amazonaws.com/locks/prod.json"},
        {&loc, NULL, "us-east-1", false, true,
         "https://acme-locks.s3.dualstack.us-east-1.amazonaws.com/locks/prod.json"},
        {&loc, NULL, "cn-north-1", false, false,
         "https://acme-locks.s3.cn-north-1.amazonaws.com.cn/locks/prod.json"},
        {&dotted, NULL, "eu-west-1", false, false,
         "https://s3.eu-west-1.amazonaws.com/locks.acme.com/prod.json"},
        {&loc, "http://127.0.0.1:4566", "eu-west-1", false, false,
         "http://127.0.0.1:4566/acme-locks/locks/prod.json"},
        {&loc, "http://127.0.0.1:4566//", "eu-west-1", false, false,
         "http://127.0.0.1:4566/acme-locks/locks/prod.json"},
    };
    for (size_t i = 0; i < sizeof(cases) / sizeof(cases[0]); i++) {
        assert_ok(cr_s3__url(&u, cases[i].loc, cases[i].endpoint, cases[i].region, cases[i].fips,
                             cases[i].dual));
        assert_string_equal(u.ptr, cases[i].want);
    }
    cr_buf_dispose(&u);
}

/* The test's environment: only what the case sets (never the developer's variables). */
struct s_env {
    const char *s3, *any, *config;
};

static const char *s_getenv(void *ctx, const char *name)
{
    const struct s_env *e = ctx;
    if (strcmp(name, "AWS_ACCESS_KEY_ID") == 0)
        return "AKIDS3UNITTEST000001";
    if (strcmp(name, "AWS_SECRET_ACCESS_KEY") == 0)
        return "s3UnitSecret0000000000000000000000000000";
    if (strcmp(name, "AWS_ENDPOINT_URL_S3") == 0)
        return e->s3;
    if (strcmp(name, "AWS_ENDPOINT_URL") == 0)
        return e->any;
    if (strcmp(name, "AWS_CONFIG_FILE") == 0)
        return e->config;
    if (strcmp(name, "HOME") == 0 || strcmp(name, "AWS_SHARED_CREDENTIALS_FILE") == 0)
        return "/nonexistent-cr-unit";
    if (strcmp(name, "AWS_ENDPOINT_URL_COGNITO_IDENTITY") == 0)
        return "http://127.0.0.1:1/cognito-only";
    return NULL;
}

static void test_s3__the_endpoint_comes_from_the_lock_settings_never_cognito(void **state)
{
    (void)state;
    struct cr_s3_location loc = {.bucket = "acme-locks", .key = "prod.json"};
    const char *profile = cr_test_tmp_path("config");
    assert_int_equal(cr_test_write_file(profile, "[default]\nendpoint_url = http://10.0.0.9:1\n"),
                     0);
    static const struct {
        struct s_env env;
        const char *cli;
        const char *want;
    } cases[] = {
        {{NULL, NULL, "/nonexistent-cr-unit"}, NULL,
         "https://acme-locks.s3.eu-west-1.amazonaws.com/prod.json"},
        {{NULL, "http://127.0.0.1:3", NULL}, NULL, "http://127.0.0.1:3/acme-locks/prod.json"},
        {{"http://127.0.0.1:2", "http://127.0.0.1:3", NULL}, NULL,
         "http://127.0.0.1:2/acme-locks/prod.json"},
        {{"http://127.0.0.1:2", NULL, NULL}, "http://127.0.0.1:1",
         "http://127.0.0.1:1/acme-locks/prod.json"},
        {{NULL, NULL, NULL}, NULL, "http://10.0.0.9:1/acme-locks/prod.json"},
    };
    for (size_t i = 0; i < sizeof(cases) / sizeof(cases[0]); i++) {
        struct s_env e = cases[i].env;
        if (!e.config)
            e.config = profile;
        struct cr_aws_env env = {s_getenv, &e, NULL, NULL};
        struct cr_s3_options o = {.region = "eu-west-1", .endpoint_url = cases[i].cli, .env = &env};
        struct cr_s3_client *c = NULL;
        assert_ok(cr_s3_client_new(&c, &loc, &o));
        assert_string_equal(cr_s3_client_url(c), cases[i].want);
        assert_string_equal(cr_s3_client_region(c), "eu-west-1");
        cr_s3_client_free(c);
    }
    struct s_env e = {NULL, NULL, "/nonexistent-cr-unit"};
    struct cr_aws_env env = {s_getenv, &e, NULL, NULL};
    struct cr_s3_options o = {.endpoint_url = "ftp://x", .region = "eu-west-1", .env = &env,
                              .endpoint_name = "--lock-endpoint-url"};
    struct cr_s3_client *c = NULL;
    assert_int_equal(cr_s3_client_new(&c, &loc, &o), CR_EINVALID);
    assert_non_null(strstr(cr_error_last(), "--lock-endpoint-url 'ftp://x'"));
    o = (struct cr_s3_options){.env = &env};
    assert_int_equal(cr_s3_client_new(&c, &loc, &o), CR_EINVALID);
    assert_non_null(strstr(cr_error_last(), "--lock-region"));
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_s3__locations_parse_and_refuse_with_the_reason),
        cmocka_unit_test(test_s3__urls_are_addressed_as_the_sdks_do),
        cmocka_unit_test(test_s3__the_endpoint_comes_from_the_lock_settings_never_cognito),
    };
    return cmocka_run_group_tests(tests, cr_test_tmpdir_setup, cr_test_tmpdir_teardown);
}
