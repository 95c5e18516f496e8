/* SPDX-License-Identifier: Apache-2.0 */
/*
 * Web identity credentials end to end (label integration): the credentials chain reads
 * AWS_ROLE_ARN / AWS_WEB_IDENTITY_TOKEN_FILE, calls AssumeRoleWithWebIdentity on the
 * emulator's STS (AWS_ENDPOINT_URL_STS), and the temporary credentials then sign a
 * GetCallerIdentity that the emulator verifies with SigV4 (--credentials turns verification
 * on; keys STS hands out are registered with their session token).
 */
#include "tests/support/cr_test.h"

#include <stdlib.h>
#include <string.h>

#include "aws/credentials.h"
#include "aws/sts.h"
#include "tests/support/emulator_proc.h"
#include "util/strutil.h"

#define S_KEY     "AKIDWEBIDENTITYTEST1"
#define S_SECRET  "webIdentityTestSecret000000000000000000"
#define S_ACCOUNT "111122223333"
#define S_ROLE    "arn:aws:iam::210987654321:role/ci-deploy"
/* The token's issuer and claims, as GitHub Actions OIDC gives them; the emulator signs it
 * (POST /_local/token): with --credentials it verifies web identity tokens (issue 9.5). */
#define S_ISSUER "https://token.actions.githubusercontent.com"
#define S_CLAIMS "{\"sub\":\"repo:org/app:ref:refs/heads/main\",\"aud\":\"sts.amazonaws.com\"}"

static struct cr_emu_proc s_emu;
static char *s_dir;
static char s_token_file[4096];
static const char *s_role = S_ROLE;

static const char *s_getenv(void *ctx, const char *name)
{
    static const char *const fixed[][2] = {
        {"AWS_ROLE_SESSION_NAME", "gha-integration"},
        {"AWS_REGION", "us-east-1"},
        {"HOME", "/nonexistent-cr-integration"},
        {"AWS_CONFIG_FILE", "/nonexistent-cr-integration/config"},
        {"AWS_SHARED_CREDENTIALS_FILE", "/nonexistent-cr-integration/credentials"},
    };
    if (strcmp(name, "AWS_ENDPOINT_URL_STS") == 0)
        return s_emu.url;
    if (strcmp(name, "AWS_WEB_IDENTITY_TOKEN_FILE") == 0)
        return s_token_file;
    if (strcmp(name, "AWS_ROLE_ARN") == 0)
        return s_role;
    for (size_t i = 0; i < sizeof(fixed) / sizeof(fixed[0]); i++) {
        if (strcmp(name, fixed[i][0]) == 0)
            return fixed[i][1];
    }
    return NULL;
}

static const struct cr_aws_env s_env = {s_getenv, NULL, NULL, NULL};

static int s_group_setup(void **state)
{
    char keys[4096];
    s_dir = cr_test_tmpdir();
    if (!s_dir)
        return -1;
    snprintf(keys, sizeof(keys), "%s/keys", s_dir);
    snprintf(s_token_file, sizeof(s_token_file), "%s/token", s_dir);
    if (cr_test_write_file(keys, S_KEY " " S_SECRET " " S_ACCOUNT "\n") != 0)
        return -1;
    const char *args[] = {"--credentials", keys, NULL};
    struct cr_buf token = CR_BUF_INIT;
    int rc = cr_emu_proc_start(&s_emu, args) == 0 &&
                     cr_emu_proc_token(&s_emu, S_ISSUER, S_CLAIMS, &token) == 0 &&
                     cr_buf_puts(&token, "\n") == 0 &&
                     cr_test_write_file(s_token_file, cr_buf_cstr(&token)) == 0
                 ? 0
                 : -1;
    if (rc != 0)
        print_error("emulator: %s\n", cr_error_last());
    cr_buf_dispose(&token);
    return rc;
}

static int s_group_teardown(void **state)
{
    cr_emu_proc_stop(&s_emu);
    cr_test_rmtree(s_dir);
    free(s_dir);
    return 0;
}

static struct cr_sts_options s_sts(void)
{
    struct cr_sts_options o = {.endpoint = s_emu.url, .region = "us-east-1", .timeout_ms = 10000};
    return o;
}

static void test_aws_web_identity__chain_gets_credentials_from_sts(void **state)
{
    struct cr_aws_credentials_provider *p = NULL;
    const struct cr_aws_credentials *c = NULL;
    struct cr_aws_credentials_options opts = {.env = &s_env};
    struct cr_buf account = CR_BUF_INIT;
    struct cr_sts_options sts = s_sts();
    long before = cr_emu_proc_count(&s_emu, "AssumeRoleWithWebIdentity");

    int64_t asked_s = cr_time_now();
    assert_ok(cr_aws_credentials_provider_new(&p, &opts));
    assert_ok(cr_aws_credentials_provider_acquire(p, &c));
    int64_t answered_s = cr_time_now();
    assert_string_equal(cr_aws_credentials_provider_source(p), "web identity (" S_ROLE ")");
    assert_memory_equal(cr_buf_cstr(&c->access_key_id), "ASIA", 4);
    assert_true(cr_aws_credentials_temporary(c));
    /* STS's default hour, counted from the moment of the call (no DurationSeconds sent) */
    assert_in_range(c->expiration_s, asked_s + 3600, answered_s + 3600);
    assert_int_equal(cr_emu_proc_count(&s_emu, "AssumeRoleWithWebIdentity"), before + 1);

    /* the temporary credentials sign a request the emulator verifies */
    assert_ok(cr_sts_get_caller_identity(&account, &sts, c));
    assert_string_equal(cr_buf_cstr(&account), "210987654321");
    cr_buf_dispose(&account);
    cr_aws_credentials_provider_free(p);
    cr_aws_credentials_release(c);
}

static void test_aws_web_identity__static_key_account(void **state)
{
    struct cr_aws_credentials c;
    struct cr_buf account = CR_BUF_INIT;
    struct cr_sts_options sts = s_sts();
    cr_aws_credentials_init(&c);
    assert_ok(cr_aws_credentials_set(&c, S_KEY, S_SECRET, NULL, 0));
    assert_ok(cr_sts_get_caller_identity(&account, &sts, &c));
    assert_string_equal(cr_buf_cstr(&account), S_ACCOUNT);
    cr_buf_dispose(&account);
    cr_aws_credentials_dispose(&c);
}

static void test_aws_web_identity__wrong_secret_is_rejected(void **state)
{
    struct cr_aws_credentials c;
    struct cr_buf account = CR_BUF_INIT;
    struct cr_sts_options sts = s_sts();
    cr_aws_credentials_init(&c);
    assert_ok(cr_aws_credentials_set(&c, S_KEY, "not-the-secret", NULL, 0));
    assert_int_equal(cr_sts_get_caller_identity(&account, &sts, &c), CR_EAUTH);
    assert_non_null(strstr(cr_error_last(), "sts GetCallerIdentity: SignatureDoesNotMatch"));
    assert_null(strstr(cr_error_last(), "not-the-secret"));
    cr_aws_credentials_dispose(&c);
    cr_aws_credentials_init(&c);
    assert_ok(cr_aws_credentials_set(&c, "AKIDUNKNOWN000000000", S_SECRET, NULL, 0));
    assert_int_equal(cr_sts_get_caller_identity(&account, &sts, &c), CR_EAUTH);
    assert_non_null(strstr(cr_error_last(), "InvalidClientTokenId"));
    cr_aws_credentials_dispose(&c);
    cr_buf_dispose(&account);
}

static void test_aws_web_identity__sts_refusal_is_an_auth_error(void **state)
{
    struct cr_aws_credentials_provider *p = NULL;
    struct cr_aws_credentials_options opts = {.env = &s_env};
    s_role = "not-a-role-arn";
    int rc = cr_aws_credentials_provider_new(&p, &opts);
    s_role = S_ROLE;
    assert_int_equal(rc, CR_EAUTH);
    assert_null(p);
    assert_non_null(strstr(cr_error_last(), "sts AssumeRoleWithWebIdentity: ValidationError"));
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_aws_web_identity__chain_gets_credentials_from_sts),
        cmocka_unit_test(test_aws_web_identity__static_key_account),
        cmocka_unit_test(test_aws_web_identity__wrong_secret_is_rejected),
        cmocka_unit_test(test_aws_web_identity__sts_refusal_is_an_auth_error),
    };
    return cmocka_run_group_tests(tests, s_group_setup, s_group_teardown);
}
