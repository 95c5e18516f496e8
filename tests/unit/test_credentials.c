/* SPDX-License-Identifier: Apache-2.0 */
/* The credentials chain: precedence of every source, the one-sentence error, web identity
 * (with the STS call replaced by a recording fetch) and refresh before expiry with an
 * injected clock; the IAM Identity Center cache file name and portal endpoint. */
#include "tests/support/cr_test.h"

#include <pthread.h>
#include <stdatomic.h>
#include <stdlib.h>
#include <string.h>

#include "aws/cred_internal.h"
#include "aws/credentials.h"
#include "aws/sigv4.h"
#include "tests/unit/test_aws_env.h"
#include "util/buf.h"

#define S_ROLE_ARN "arn:aws:iam::123456789012:role/ci"

/* The STS stand-in: records its arguments, answers with numbered credentials. */
struct fetcher {
    unsigned calls;
    int fail; /* error code to return, 0 = succeed */
    int64_t lifetime_s;
    struct fake_env *env;
    char role_arn[256], session_name[128], token[256];
};

static int s_fetch(void *ctx, struct cr_aws_credentials *out, const char *role_arn,
                   const char *session_name, const char *token)
{
    struct fetcher *f = ctx;
    char akid[32];
    f->calls++;
    snprintf(f->role_arn, sizeof(f->role_arn), "%s", role_arn);
    snprintf(f->session_name, sizeof(f->session_name), "%s", session_name);
    snprintf(f->token, sizeof(f->token), "%s", token);
    if (f->fail) {
        cr_error_set("sts AssumeRoleWithWebIdentity: InvalidIdentityToken (HTTP 400): expired");
        return f->fail;
    }
    snprintf(akid, sizeof(akid), "ASIA%u", f->calls);
    return cr_aws_credentials_set(out, akid, "tmp-secret", "tmp-token",
                                  f->env->now + f->lifetime_s);
}

struct fixture {
    char *dir;
    char config[4096], credentials[4096], token_file[4096];
    struct fake_env vars;
    struct cr_aws_env env;
    struct fetcher fetch;
    struct cr_aws_credentials_options opts;
};

static int s_setup(void **state)
{
    struct fixture *f = calloc(1, sizeof(*f));
    f->dir = cr_test_tmpdir();
    snprintf(f->token_file, sizeof(f->token_file), "%s/token", f->dir);
    f->vars.now = 1800000000;
    s_set_aws_files(&f->vars, f->dir, f->config, f->credentials, sizeof(f->config));
    f->env = s_fake_env(&f->vars);
    f->fetch.env = &f->vars;
    f->fetch.lifetime_s = 3600;
    f->opts.env = &f->env;
    *state = f;
    return 0;
}

static int s_teardown(void **state)
{
    struct fixture *f = *state;
    cr_test_rmtree(f->dir);
    free(f->dir);
    free(f);
    return 0;
}

static int s_new(struct fixture *f, struct cr_aws_credentials_provider **out)
{
    return cr_aws__credentials_provider_new_with(out, &f->opts, s_fetch, &f->fetch);
}

/* Web identity from the environment: the token file holds token, the role is S_ROLE_ARN. */
static void s_web_identity_env(struct fixture *f, const char *token)
{
    assert_int_equal(cr_test_write_file(f->token_file, token), 0);
    s_set(&f->vars, "AWS_WEB_IDENTITY_TOKEN_FILE", f->token_file);
    s_set(&f->vars, "AWS_ROLE_ARN", S_ROLE_ARN);
}

static void s_expect_akid(struct cr_aws_credentials_provider *p, const char *akid)
{
    const struct cr_aws_credentials *c = NULL;
    assert_ok(cr_aws_credentials_provider_acquire(p, &c));
    assert_string_equal(cr_buf_cstr(&c->access_key_id), akid);
    cr_aws_credentials_release(c);
}

static void test_credentials__environment_variables(void **state)
{
    struct fixture *f = *state;
    struct cr_aws_credentials_provider *p = NULL;
    const struct cr_aws_credentials *c = NULL;
    s_set(&f->vars, "AWS_ACCESS_KEY_ID", "AKIDENV");
    s_set(&f->vars, "AWS_SECRET_ACCESS_KEY", "SECRETENV");
    s_set(&f->vars, "AWS_SESSION_TOKEN", "TOKENENV");
    assert_ok(s_new(f, &p));
    assert_ok(cr_aws_credentials_provider_acquire(p, &c));
    assert_string_equal(cr_buf_cstr(&c->access_key_id), "AKIDENV");
    assert_string_equal(cr_buf_cstr(&c->secret_access_key), "SECRETENV");
    assert_string_equal(cr_buf_cstr(&c->session_token), "TOKENENV");
    assert_true(cr_aws_credentials_temporary(c));
    assert_string_equal(c->source, "environment");
    assert_string_equal(cr_aws_credentials_provider_source(p), "environment");
    assert_int_equal(cr_aws_credentials_provider_fetch_count(p), 1);
    cr_aws_credentials_provider_free(p);
    cr_aws_credentials_release(c);
}

static void test_credentials__partial_environment_is_an_error(void **state)
{
    struct fixture *f = *state;
    struct cr_aws_credentials_provider *p = NULL;
    s_set(&f->vars, "AWS_ACCESS_KEY_ID", "AKIDENV");
    assert_int_equal(s_new(f, &p), CR_EAUTH);
    assert_null(p);
    assert_string_equal(cr_error_last(), "incomplete AWS credentials in the environment: "
                                         "AWS_ACCESS_KEY_ID is set but AWS_SECRET_ACCESS_KEY "
                                         "is not");
}

static void test_credentials__nothing_found_names_every_source(void **state)
{
    struct fixture *f = *state;
    struct cr_aws_credentials_provider *p = NULL;
    struct cr_buf want = CR_BUF_INIT;
    assert_int_equal(s_new(f, &p), CR_EAUTH);
    cr_buf_printf(&want,
                  "no AWS credentials: tried environment variables (AWS_ACCESS_KEY_ID), web "
                  "identity (AWS_ROLE_ARN/AWS_WEB_IDENTITY_TOKEN_FILE), profile 'default' in "
                  "%s (not found) and %s (not found), container credentials "
                  "(AWS_CONTAINER_CREDENTIALS_RELATIVE_URI/FULL_URI not set), EC2 instance "
                  "metadata (disabled by AWS_EC2_METADATA_DISABLED)",
                  f->credentials, f->config);
    assert_string_equal(cr_error_last(), cr_buf_cstr(&want));
    cr_buf_dispose(&want);

    /* an explicit profile that is nowhere says so */
    assert_int_equal(cr_test_write_file(f->config, "[profile other]\nregion = us-east-1\n"), 0);
    f->opts.profile = "ci";
    assert_int_equal(s_new(f, &p), CR_EAUTH);
    assert_non_null(strstr(cr_error_last(), "AWS profile 'ci' (from --profile) is in neither"));
}

static void test_credentials__missing_named_profile_never_falls_back(void **state)
{
    struct fixture *f = *state;
    struct cr_aws_credentials_provider *p = NULL;
    struct cr_buf want = CR_BUF_INIT;
    assert_int_equal(cr_test_write_file(f->config, "[profile prod]\nregion = eu-west-1\n"), 0);
    s_set(&f->vars, "AWS_ACCESS_KEY_ID", "AKIDENV");
    s_set(&f->vars, "AWS_SECRET_ACCESS_KEY", "SECRETENV");
    /* a misspelt AWS_PROFILE is an error although the environment has keys (AWS CLI: "The
     * config profile (prdo) could not be found") */
    s_set(&f->vars, "AWS_PROFILE", "prdo");
    assert_int_equal(s_new(f, &p), CR_EAUTH);
    assert_null(p);
    cr_buf_printf(&want,
                  "AWS profile 'prdo' (from AWS_PROFILE) is in neither %s (not found) nor %s",
                  f->credentials, f->config);
    assert_string_equal(cr_error_last(), cr_buf_cstr(&want));
    /* the profile that exists (no keys in it): the environment's keys are used */
    s_set(&f->vars, "AWS_PROFILE", "prod");
    assert_ok(s_new(f, &p));
    s_expect_akid(p, "AKIDENV");
    cr_aws_credentials_provider_free(p);
    cr_buf_dispose(&want);
}

static void test_credentials__profile_files(void **state)
{
    struct fixture *f = *state;
    struct cr_aws_credentials_provider *p = NULL;
    const struct cr_aws_credentials *c = NULL;
    assert_int_equal(cr_test_write_file(f->credentials, "[default]\naws_access_key_id = AKIDCREDS\n"
                                                        "aws_secret_access_key = S1\n"
                                                        "aws_session_token = T1\n"),
                     0);
    assert_int_equal(cr_test_write_file(f->config,
                                        "[default]\naws_access_key_id = AKIDCONFIG\n"
                                        "aws_secret_access_key = S2\n"
                                        "[profile cfgonly]\naws_access_key_id = AKIDCFGONLY\n"
                                        "aws_secret_access_key = S3\n"),
                     0);
    assert_ok(s_new(f, &p));
    assert_ok(cr_aws_credentials_provider_acquire(p, &c));
    assert_string_equal(cr_buf_cstr(&c->access_key_id), "AKIDCREDS");
    assert_string_equal(cr_buf_cstr(&c->session_token), "T1");
    assert_string_equal(c->source, "profile 'default' (credentials file)");
    cr_aws_credentials_provider_free(p);

    s_set(&f->vars, "AWS_PROFILE", "cfgonly");
    assert_ok(s_new(f, &p));
    cr_aws_credentials_release(c);
    assert_ok(cr_aws_credentials_provider_acquire(p, &c));
    assert_string_equal(cr_buf_cstr(&c->access_key_id), "AKIDCFGONLY");
    assert_false(cr_aws_credentials_temporary(c));
    assert_string_equal(c->source, "profile 'cfgonly' (config file)");
    cr_aws_credentials_provider_free(p);

    /* --profile beats AWS_PROFILE */
    f->opts.profile = "default";
    assert_ok(s_new(f, &p));
    s_expect_akid(p, "AKIDCREDS");
    cr_aws_credentials_provider_free(p);
    cr_aws_credentials_release(c);
}

static void test_credentials__partial_profile_is_an_error(void **state)
{
    struct fixture *f = *state;
    struct cr_aws_credentials_provider *p = NULL;
    assert_int_equal(cr_test_write_file(f->credentials, "[default]\naws_access_key_id = A\n"), 0);
    assert_int_equal(s_new(f, &p), CR_EAUTH);
    assert_non_null(strstr(cr_error_last(), "incomplete AWS credentials in profile 'default'"));
}

static void test_credentials__unsupported_profile_source_is_named(void **state)
{
    struct fixture *f = *state;
    struct cr_aws_credentials_provider *p = NULL;
    /* `aws login` sessions and MFA prompts: named with the one workaround, nothing else */
    assert_int_equal(cr_test_write_file(f->config,
                                        "[profile console]\nlogin_session = arn:aws:iam::1:u\n"
                                        "[profile mfa]\nrole_arn = arn:aws:iam::1:role/r\n"
                                        "source_profile = console\nmfa_serial = arn:mfa\n"),
                     0);
    f->opts.profile = "console";
    assert_int_equal(s_new(f, &p), CR_EAUTH);
    assert_string_equal(cr_error_last(),
                        "profile 'console' gets its credentials from login_session (`aws "
                        "login`), which cognito-reconcile does not support: run `aws configure "
                        "export-credentials --profile console --format env` and use the "
                        "exported variables");
    f->opts.profile = "mfa";
    assert_int_equal(s_new(f, &p), CR_EAUTH);
    assert_string_equal(cr_error_last(),
                        "profile 'mfa' assumes its role with an MFA code (mfa_serial), which "
                        "cognito-reconcile does not prompt for: run `aws configure "
                        "export-credentials --profile mfa --format env` and use the exported "
                        "variables");
}

/* Resolves the IAM Identity Center settings of profile; returns the cr_aws__sso_resolve code. */
static int s_sso(struct fixture *f, struct cr_aws__sso *sso, const char *profile)
{
    struct cr_aws_config cfg;
    bool found = false;
    cr_aws_config_init(&cfg);
    memset(sso, 0, sizeof(*sso));
    assert_ok(cr_aws_config_load(&cfg, &f->env, profile));
    int rc = cr_aws__sso_resolve(sso, &found, &cfg, &f->env);
    if (rc == 0)
        assert_true(found);
    cr_aws_config_dispose(&cfg);
    return rc;
}

static void test_credentials__sso_cache_file_and_portal_endpoint(void **state)
{
    struct fixture *f = *state;
    struct cr_aws__sso sso;
    char want[4200];
    s_set(&f->vars, "HOME", f->dir);
    assert_int_equal(cr_test_write_file(f->config,
                                        "[profile dev]\nsso_session = corp\n"
                                        "sso_account_id = 111122223333\nsso_role_name = Admin\n"
                                        "[sso-session corp]\n"
                                        "sso_start_url = https://corp.awsapps.com/start\n"
                                        "sso_region = cn-north-1\n"
                                        "[profile legacy]\n"
                                        "sso_start_url = https://corp.awsapps.com/start\n"
                                        "sso_region = eu-west-1\nsso_account_id = 1\n"
                                        "sso_role_name = R\n"),
                     0);
    /* the cache file `aws sso login` writes: SHA-1 of the session name, or of the start URL */
    assert_ok(s_sso(f, &sso, "dev"));
    snprintf(want, sizeof(want), "%s/.aws/sso/cache/ee0bfd2552fbd840c02cc48b6e823320543c450f.json",
             f->dir);
    assert_string_equal(cr_buf_cstr(&sso.cache_file), want);
    assert_string_equal(cr_buf_cstr(&sso.endpoint),
                        "https://portal.sso.cn-north-1.amazonaws.com.cn");
    cr_aws__sso_dispose(&sso);
    assert_ok(s_sso(f, &sso, "legacy"));
    snprintf(want, sizeof(want), "%s/.aws/sso/cache/a51746d4aa793ae07b25e90c3a5db96fc7832bd7.json",
             f->dir);
    assert_string_equal(cr_buf_cstr(&sso.cache_file), want);
    assert_null(sso.session_name);
    assert_string_equal(cr_buf_cstr(&sso.endpoint), "https://portal.sso.eu-west-1.amazonaws.com");
    cr_aws__sso_dispose(&sso);
    /* the overrides: AWS_ENDPOINT_URL_SSO, else AWS_ENDPOINT_URL */
    s_set(&f->vars, "AWS_ENDPOINT_URL", "http://127.0.0.1:4001");
    assert_ok(s_sso(f, &sso, "legacy"));
    assert_string_equal(cr_buf_cstr(&sso.endpoint), "http://127.0.0.1:4001");
    cr_aws__sso_dispose(&sso);
    s_set(&f->vars, "AWS_ENDPOINT_URL_SSO", "http://127.0.0.1:4002");
    assert_ok(s_sso(f, &sso, "legacy"));
    assert_string_equal(cr_buf_cstr(&sso.endpoint), "http://127.0.0.1:4002");
    cr_aws__sso_dispose(&sso);
}

static void test_credentials__environment_beats_everything(void **state)
{
    struct fixture *f = *state;
    struct cr_aws_credentials_provider *p = NULL;
    assert_int_equal(cr_test_write_file(f->credentials, "[default]\naws_access_key_id = A\n"
                                                        "aws_secret_access_key = S\n"),
                     0);
    s_web_identity_env(f, "jwt\n");
    s_set(&f->vars, "AWS_ACCESS_KEY_ID", "AKIDENV");
    s_set(&f->vars, "AWS_SECRET_ACCESS_KEY", "SECRETENV");
    assert_ok(s_new(f, &p));
    s_expect_akid(p, "AKIDENV");
    assert_int_equal(f->fetch.calls, 0);
    cr_aws_credentials_provider_free(p);
}

static void test_credentials__web_identity_from_environment(void **state)
{
    struct fixture *f = *state;
    struct cr_aws_credentials_provider *p = NULL;
    const struct cr_aws_credentials *c = NULL;
    /* static keys in the profile lose to web identity, as in botocore's chain */
    assert_int_equal(cr_test_write_file(f->credentials, "[default]\naws_access_key_id = A\n"
                                                        "aws_secret_access_key = S\n"),
                     0);
    s_web_identity_env(f, "  eyJhbGciOi.jwt.sig \n");
    s_set(&f->vars, "AWS_ROLE_SESSION_NAME", "gha-42");
    assert_ok(s_new(f, &p));
    assert_ok(cr_aws_credentials_provider_acquire(p, &c));
    assert_string_equal(cr_buf_cstr(&c->access_key_id), "ASIA1");
    assert_string_equal(cr_buf_cstr(&c->session_token), "tmp-token");
    assert_int_equal(c->expiration_s, f->vars.now + 3600);
    assert_string_equal(c->source, "web identity (arn:aws:iam::123456789012:role/ci)");
    assert_string_equal(f->fetch.role_arn, "arn:aws:iam::123456789012:role/ci");
    assert_string_equal(f->fetch.session_name, "gha-42");
    assert_string_equal(f->fetch.token, "eyJhbGciOi.jwt.sig");
    cr_aws_credentials_provider_free(p);
    cr_aws_credentials_release(c);
}

static void test_credentials__web_identity_from_profile(void **state)
{
    struct fixture *f = *state;
    struct cr_aws_credentials_provider *p = NULL;
    struct cr_buf cfg = CR_BUF_INIT;
    assert_int_equal(cr_test_write_file(f->token_file, "jwt-from-profile"), 0);
    cr_buf_printf(&cfg,
                  "[profile oidc]\nweb_identity_token_file = %s\n"
                  "role_arn = arn:aws:iam::123456789012:role/deploy\n",
                  f->token_file);
    assert_int_equal(cr_test_write_file(f->config, cr_buf_cstr(&cfg)), 0);
    f->opts.profile = "oidc";
    assert_ok(s_new(f, &p));
    s_expect_akid(p, "ASIA1");
    assert_string_equal(f->fetch.role_arn, "arn:aws:iam::123456789012:role/deploy");
    assert_string_equal(f->fetch.token, "jwt-from-profile");
    /* no session name anywhere: a generated one */
    assert_string_equal(f->fetch.session_name, "cognito-reconcile-1800000000");
    cr_aws_credentials_provider_free(p);
    cr_buf_dispose(&cfg);
}

static void test_credentials__web_identity_errors(void **state)
{
    struct fixture *f = *state;
    struct cr_aws_credentials_provider *p = NULL;
    s_set(&f->vars, "AWS_WEB_IDENTITY_TOKEN_FILE", f->token_file);
    assert_int_equal(s_new(f, &p), CR_EAUTH);
    assert_non_null(strstr(cr_error_last(), "no role: set AWS_ROLE_ARN"));
    s_set(&f->vars, "AWS_ROLE_ARN", "arn:aws:iam::123456789012:role/ci");
    assert_int_equal(s_new(f, &p), CR_EAUTH); /* the token file does not exist */
    assert_non_null(strstr(cr_error_last(), "web identity token file"));
    assert_int_equal(cr_test_write_file(f->token_file, " \n"), 0);
    assert_int_equal(s_new(f, &p), CR_EAUTH);
    assert_non_null(strstr(cr_error_last(), "is empty"));
    assert_int_equal(cr_test_write_file(f->token_file, "jwt"), 0);
    f->fetch.fail = CR_EAUTH;
    assert_int_equal(s_new(f, &p), CR_EAUTH);
    assert_non_null(strstr(cr_error_last(), "InvalidIdentityToken"));
    assert_int_equal(f->fetch.calls, 1);
}

static void test_credentials__refresh_before_expiry(void **state)
{
    struct fixture *f = *state;
    struct cr_aws_credentials_provider *p = NULL;
    int64_t t0 = f->vars.now;
    s_web_identity_env(f, "jwt");
    assert_ok(s_new(f, &p));
    s_expect_akid(p, "ASIA1");
    /* well before the 5-minute window: no call */
    f->vars.now = t0 + 3600 - 301;
    s_expect_akid(p, "ASIA1");
    assert_int_equal(f->fetch.calls, 1);
    /* inside the window: refreshed, and the token file is read again */
    assert_int_equal(cr_test_write_file(f->token_file, "jwt-rotated"), 0);
    f->vars.now = t0 + 3600 - 300;
    s_expect_akid(p, "ASIA2");
    assert_int_equal(f->fetch.calls, 2);
    assert_string_equal(f->fetch.token, "jwt-rotated");
    assert_int_equal(cr_aws_credentials_provider_fetch_count(p), 2);
    /* the new credentials last an hour from now */
    f->vars.now += 60;
    s_expect_akid(p, "ASIA2");
    assert_int_equal(f->fetch.calls, 2);
    cr_aws_credentials_provider_free(p);
}

static void test_credentials__failed_refresh_keeps_unexpired_credentials(void **state)
{
    struct fixture *f = *state;
    struct cr_aws_credentials_provider *p = NULL;
    const struct cr_aws_credentials *c = NULL;
    int64_t t0 = f->vars.now;
    s_web_identity_env(f, "jwt");
    f->opts.refresh_before_s = 600;
    assert_ok(s_new(f, &p));
    f->fetch.fail = CR_EIO;
    f->vars.now = t0 + 3600 - 599; /* inside the 10-minute window, still valid */
    s_expect_akid(p, "ASIA1");
    assert_int_equal(f->fetch.calls, 2);
    /* the next attempt waits 30 s instead of hitting STS on every request */
    f->vars.now += 29;
    s_expect_akid(p, "ASIA1");
    assert_int_equal(f->fetch.calls, 2);
    f->vars.now += 1;
    s_expect_akid(p, "ASIA1");
    assert_int_equal(f->fetch.calls, 3);
    f->vars.now = t0 + 3600; /* expired and the refresh fails: an error */
    cr_aws_credentials_release(c);
    assert_int_equal(cr_aws_credentials_provider_acquire(p, &c), CR_EIO);
    assert_non_null(strstr(cr_error_last(), "expired and could not be refreshed"));
    f->fetch.fail = 0; /* STS is back */
    s_expect_akid(p, "ASIA5");
    cr_aws_credentials_provider_free(p);
    cr_aws_credentials_release(c);
}

static void test_credentials__static_credentials_never_refresh(void **state)
{
    struct fixture *f = *state;
    struct cr_aws_credentials_provider *p = NULL;
    s_set(&f->vars, "AWS_ACCESS_KEY_ID", "AKIDENV");
    s_set(&f->vars, "AWS_SECRET_ACCESS_KEY", "SECRETENV");
    assert_ok(s_new(f, &p));
    f->vars.now += 10 * 365 * 86400;
    s_expect_akid(p, "AKIDENV");
    assert_int_equal(cr_aws_credentials_provider_fetch_count(p), 1);
    cr_aws_credentials_provider_free(p);
}

static void test_credentials__dispose_wipes_and_resets(void **state)
{
    struct cr_aws_credentials c;
    cr_aws_credentials_init(&c);
    assert_ok(cr_aws_credentials_set(&c, "A", "S", NULL, 5));
    assert_false(cr_aws_credentials_temporary(&c));
    assert_int_equal(c.expiration_s, 5);
    cr_aws_credentials_dispose(&c);
    assert_null(c.secret_access_key.ptr);
    assert_int_equal(c.expiration_s, 0);
    cr_aws_credentials_dispose(&c); /* twice is fine */
    cr_aws_credentials_provider_free(NULL);
}

#define T(fn) cmocka_unit_test_setup_teardown(fn, s_setup, s_teardown)

static void test_credentials__rejected_credentials_are_renewed_once(void **state)
{
    struct fixture *f = *state;
    struct cr_aws_credentials_provider *p = NULL;
    const struct cr_aws_credentials *c = NULL;
    s_web_identity_env(f, "jwt");
    assert_ok(s_new(f, &p));
    assert_int_equal(f->fetch.calls, 1);
    /* an hour left by our clock, but the service said expired: fetched again, once */
    assert_true(cr_aws_credentials_provider_reject(p));
    assert_ok(cr_aws_credentials_provider_acquire(p, &c));
    assert_int_equal(f->fetch.calls, 2);
    assert_string_equal(cr_buf_cstr(&c->access_key_id), "ASIA2");
    cr_aws_credentials_release(c);
    assert_ok(cr_aws_credentials_provider_acquire(p, &c));
    assert_int_equal(f->fetch.calls, 2);
    /* a failed renewal is not repeated on every request */
    assert_true(cr_aws_credentials_provider_reject(p));
    f->fetch.fail = CR_EIO;
    cr_aws_credentials_release(c);
    assert_ok(cr_aws_credentials_provider_acquire(p, &c));
    cr_aws_credentials_release(c);
    assert_ok(cr_aws_credentials_provider_acquire(p, &c));
    assert_int_equal(f->fetch.calls, 3);
    cr_aws_credentials_provider_free(p);
    /* keys from the environment cannot be renewed */
    s_set(&f->vars, "AWS_ACCESS_KEY_ID", "AKIDENV");
    s_set(&f->vars, "AWS_SECRET_ACCESS_KEY", "SECRETENV");
    assert_ok(s_new(f, &p));
    assert_false(cr_aws_credentials_provider_reject(p));
    cr_aws_credentials_provider_free(p);
    cr_aws_credentials_release(c);
}

static void test_credentials__explicit_profile_ignores_environment_credentials(void **state)
{
    struct fixture *f = *state;
    struct cr_aws_credentials_provider *p = NULL;
    struct cr_buf cfg = CR_BUF_INIT;
    assert_int_equal(cr_test_write_file(f->credentials, "[prod]\naws_access_key_id = AKIDPROD\n"
                                                        "aws_secret_access_key = SPROD\n"),
                     0);
    assert_int_equal(cr_test_write_file(f->token_file, "jwt-env"), 0);
    s_set(&f->vars, "AWS_ACCESS_KEY_ID", "AKIDENV");
    s_set(&f->vars, "AWS_SECRET_ACCESS_KEY", "SECRETENV");
    /* AWS_PROFILE does not beat the variables (botocore: only --profile negates them) */
    s_set(&f->vars, "AWS_PROFILE", "prod");
    assert_ok(s_new(f, &p));
    s_expect_akid(p, "AKIDENV");
    cr_aws_credentials_provider_free(p);
    /* --profile does: its keys sign, not the environment's */
    f->opts.profile = "prod";
    assert_ok(s_new(f, &p));
    s_expect_akid(p, "AKIDPROD");
    assert_string_equal(cr_aws_credentials_provider_source(p), "profile 'prod' (credentials file)");
    cr_aws_credentials_provider_free(p);
    /* nor do the web identity variables count with --profile (disable_env_vars) */
    s_set(&f->vars, "AWS_WEB_IDENTITY_TOKEN_FILE", f->token_file);
    s_set(&f->vars, "AWS_ROLE_ARN", "arn:aws:iam::123456789012:role/env-role");
    assert_ok(s_new(f, &p));
    s_expect_akid(p, "AKIDPROD");
    assert_int_equal(f->fetch.calls, 0);
    cr_aws_credentials_provider_free(p);
    /* a web identity profile reads its own role and token file, not the variables' */
    assert_int_equal(cr_test_write_file(f->config, ""), 0);
    cr_buf_printf(&cfg,
                  "[profile oidc]\nweb_identity_token_file = %s\n"
                  "role_arn = arn:aws:iam::123456789012:role/profile-role\n",
                  f->token_file);
    assert_int_equal(cr_test_write_file(f->config, cr_buf_cstr(&cfg)), 0);
    f->opts.profile = "oidc";
    assert_ok(s_new(f, &p));
    assert_string_equal(f->fetch.role_arn, "arn:aws:iam::123456789012:role/profile-role");
    cr_aws_credentials_provider_free(p);
    cr_buf_dispose(&cfg);
}

static void test_credentials__explicit_profile_without_keys_says_why(void **state)
{
    struct fixture *f = *state;
    struct cr_aws_credentials_provider *p = NULL;
    struct cr_buf want = CR_BUF_INIT;
    assert_int_equal(cr_test_write_file(f->config, "[profile empty]\nregion = eu-west-1\n"), 0);
    s_set(&f->vars, "AWS_ACCESS_KEY_ID", "AKIDENV");
    s_set(&f->vars, "AWS_SECRET_ACCESS_KEY", "SECRETENV");
    f->opts.profile = "empty";
    assert_int_equal(s_new(f, &p), CR_EAUTH);
    cr_buf_printf(&want,
                  "no AWS credentials (--profile given: credential environment variables are "
                  "not read, as in the AWS CLI): tried profile 'empty' in %s (not found) and "
                  "%s, container credentials (AWS_CONTAINER_CREDENTIALS_RELATIVE_URI/FULL_URI "
                  "not set), EC2 instance metadata (disabled by AWS_EC2_METADATA_DISABLED)",
                  f->credentials, f->config);
    assert_string_equal(cr_error_last(), cr_buf_cstr(&want));
    cr_buf_dispose(&want);
}

/* ---- one provider, several threads (the clients of a run's accounts and regions) ---- */

/* A clock that moves one second every 50 reads, whoever reads it. */
struct s_ticking {
    int64_t start;
    unsigned long reads;
};

static int64_t s_tick(void *ctx)
{
    struct s_ticking *t = ctx;
    return t->start + (int64_t)(__atomic_fetch_add(&t->reads, 1, __ATOMIC_RELAXED) / 50);
}

/* STS stand-in for the threaded test: 10-second credentials (renewed every ~5 s), each set
 * with matching key, secret and token; called under the provider's lock. */
struct s_sts10 {
    const struct cr_aws_env *env;
    unsigned calls;
};

static int s_fetch10(void *ctx, struct cr_aws_credentials *out, const char *role_arn,
                     const char *session_name, const char *token)
{
    (void)role_arn, (void)session_name, (void)token;
    struct s_sts10 *f = ctx;
    char akid[32], secret[32], session[32];
    f->calls++;
    snprintf(akid, sizeof(akid), "ASIA%u", f->calls);
    snprintf(secret, sizeof(secret), "secret-%u", f->calls);
    snprintf(session, sizeof(session), "token-%u", f->calls);
    return cr_aws_credentials_set(out, akid, secret, session, cr_aws_env_now(f->env) + 10);
}

struct s_signer {
    struct cr_aws_credentials_provider *p;
    int bad; /* sets whose key, secret and token do not belong together */
};

/* Signs a request with c as a client does, then checks it as the service would: the signature
 * verifies with the secret of c's key (secret-N for ASIAN) and the X-Amz-Security-Token header
 * that goes out is token-N. Returns true when both hold. */
static bool s_sign_and_verify(const struct cr_aws_credentials *c)
{
    struct cr_sigv4_header headers[6] = {
        {"Host", "cognito-identity.us-east-1.amazonaws.com"},
        {"Content-Type", "application/x-amz-json-1.1"},
    };
    struct cr_sigv4_request req = {"POST", "/", NULL, headers, 2, cr_span_of("{}", 2)};
    struct cr_sigv4_params params = {
        .access_key_id = cr_buf_cstr(&c->access_key_id),
        .secret_access_key = cr_buf_cstr(&c->secret_access_key),
        .session_token = cr_buf_cstr(&c->session_token),
        .region = "us-east-1",
        .service = "cognito-identity",
        .time_s = 1800000000,
        .normalize_path = true,
    };
    struct cr_sigv4_signed sig;
    struct cr_sigv4_authorization auth;
    struct cr_sigv4_verify_options vopts = {.now_s = 1800000000};
    char secret[32], token[32];
    bool ok = false;
    cr_sigv4_signed_init(&sig);
    if (cr_sigv4_sign_headers(&sig, &req, &params, NULL) < 0)
        goto done;
    /* the request as it goes out: the signer's headers added (they borrow c's token) */
    size_t n = cr_sigv4_signed_headers(&sig, headers + 2);
    req.header_count = 2 + n;
    if (cr_sigv4_parse_authorization(&auth, headers[1 + n].value) < 0 ||
        auth.access_key_id.len < 5 || auth.access_key_id.len > 20)
        goto done;
    snprintf(secret, sizeof(secret), "secret-%.*s", (int)auth.access_key_id.len - 4,
             auth.access_key_id.ptr + 4);
    snprintf(token, sizeof(token), "token-%.*s", (int)auth.access_key_id.len - 4,
             auth.access_key_id.ptr + 4);
    ok = cr_sigv4_verify(&req, &auth, secret, &vopts) == 0 &&
         strcmp(headers[3].name, "X-Amz-Security-Token") == 0 &&
         strcmp(headers[3].value, token) == 0;
done:
    cr_sigv4_signed_dispose(&sig);
    return ok;
}

/* What a client's thread does per request: acquire, sign, send (here: verify), release. */
static void *s_sign_many(void *arg)
{
    struct s_signer *sg = arg;
    for (int i = 0; i < 3000; i++) {
        const struct cr_aws_credentials *c = NULL;
        if (cr_aws_credentials_provider_acquire(sg->p, &c) != 0) {
            sg->bad++;
            continue;
        }
        if (!s_sign_and_verify(c))
            sg->bad++;
        cr_aws_credentials_release(c);
    }
    return NULL;
}

/* Four threads sign requests with one provider while its credentials are renewed under them
 * (the thread whose acquire finds them due renews while the others sign): every request is
 * signed by one whole set, its token still there when it goes out (ASan, TSan: no use after
 * free, no race), renewals are not duplicated, and no set outlives its last holder. */
static void test_credentials__one_provider_signs_for_several_threads(void **state)
{
    struct fixture *f = *state;
    struct s_ticking clock = {.start = f->vars.now};
    struct cr_aws_env env = {s_getenv, &f->vars, s_tick, &clock};
    struct s_sts10 sts = {.env = &env};
    struct cr_aws_credentials_options o = {.env = &env};
    struct cr_aws_credentials_provider *p = NULL;
    pthread_t th[4];
    struct s_signer sg[4];
    size_t live_before = cr_aws__credentials_live_sets();
    s_web_identity_env(f, "jwt");
    assert_ok(cr_aws__credentials_provider_new_with(&p, &o, s_fetch10, &sts));
    cr_aws_credentials_provider_share(p);
    for (int i = 0; i < 4; i++) {
        sg[i] = (struct s_signer){.p = p};
        assert_int_equal(pthread_create(&th[i], NULL, s_sign_many, &sg[i]), 0);
    }
    for (int i = 0; i < 4; i++) {
        assert_int_equal(pthread_join(th[i], NULL), 0);
        assert_int_equal(sg[i].bad, 0);
    }
    /* 12,000 gets at 50 reads a second: some 240 s, a renewal every 5 s or so, never two for
     * one expiry */
    unsigned long seconds = clock.reads / 50;
    if (sts.calls < 10 || sts.calls > seconds / 4 + 2)
        fail_msg("%u renewals in %lu s", sts.calls, seconds);
    assert_int_equal(cr_aws_credentials_provider_fetch_count(p), sts.calls);
    assert_int_equal(cr_aws__credentials_live_sets(), live_before + 1); /* the provider's */
    cr_aws_credentials_provider_free(p);
    assert_int_equal(cr_aws__credentials_live_sets(), live_before);
}


/* A clock the test moves while other threads read it. */
struct s_moving {
    _Atomic int64_t now;
};

static int64_t s_moving_now(void *ctx)
{
    return atomic_load(&((struct s_moving *)ctx)->now);
}

struct s_reader {
    struct cr_aws_credentials_provider *p;
    atomic_bool *stop;
    size_t base;     /* live sets before the test */
    size_t max_live; /* the most live sets this reader saw */
    unsigned reads;
    int bad;
};

/* A long-running client's thread: takes the current set, checks it is whole, gives it back. */
static void *s_read_until_stopped(void *arg)
{
    struct s_reader *r = arg;
    while (!atomic_load(r->stop) || r->reads < 100) {
        const struct cr_aws_credentials *c = NULL;
        if (cr_aws_credentials_provider_acquire(r->p, &c) != 0) {
            r->bad++;
            break;
        }
        char secret[32];
        snprintf(secret, sizeof(secret), "secret-%s", cr_buf_cstr(&c->access_key_id) + 4);
        if (strcmp(cr_buf_cstr(&c->secret_access_key), secret) != 0)
            r->bad++;
        size_t live = cr_aws__credentials_live_sets() - r->base;
        if (live > r->max_live)
            r->max_live = live;
        cr_aws_credentials_release(c);
        r->reads++;
    }
    return NULL;
}

/* watch renews for ever: N renewals with three threads reading keep at most one set per
 * holder in memory (the provider's, each reader's, the renewer's), not one per renewal; the
 * last set goes when the provider does. */
static void test_credentials__renewals_keep_a_bounded_number_of_sets(void **state)
{
    enum { READERS = 3, RENEWALS = 400 };
    struct fixture *f = *state;
    struct s_moving clock = {f->vars.now};
    struct cr_aws_env env = {s_getenv, &f->vars, s_moving_now, &clock};
    struct s_sts10 sts = {.env = &env};
    struct cr_aws_credentials_options o = {.env = &env};
    struct cr_aws_credentials_provider *p = NULL;
    atomic_bool stop = false;
    pthread_t th[READERS];
    struct s_reader rd[READERS];
    size_t base = cr_aws__credentials_live_sets(), max_live = 0;
    s_web_identity_env(f, "jwt");
    assert_ok(cr_aws__credentials_provider_new_with(&p, &o, s_fetch10, &sts));
    cr_aws_credentials_provider_share(p);
    for (int i = 0; i < READERS; i++) {
        rd[i] = (struct s_reader){.p = p, .stop = &stop, .base = base};
        assert_int_equal(pthread_create(&th[i], NULL, s_read_until_stopped, &rd[i]), 0);
    }
    for (int i = 0; i < RENEWALS; i++) {
        const struct cr_aws_credentials *c = NULL;
        atomic_fetch_add(&clock.now, 10); /* the 10-second set has expired: renew */
        assert_ok(cr_aws_credentials_provider_acquire(p, &c));
        size_t live = cr_aws__credentials_live_sets() - base;
        if (live > max_live)
            max_live = live;
        cr_aws_credentials_release(c);
    }
    atomic_store(&stop, true);
    for (int i = 0; i < READERS; i++) {
        assert_int_equal(pthread_join(th[i], NULL), 0);
        assert_int_equal(rd[i].bad, 0);
        if (rd[i].max_live > max_live)
            max_live = rd[i].max_live;
    }
    assert_true(cr_aws_credentials_provider_fetch_count(p) >= RENEWALS);
    if (max_live > READERS + 2)
        fail_msg("%zu credential sets in memory at once after %u renewals (at most %d expected)",
                 max_live, cr_aws_credentials_provider_fetch_count(p), READERS + 2);
    /* a set still held when its provider goes stays whole until its last release */
    const struct cr_aws_credentials *held = NULL;
    assert_ok(cr_aws_credentials_provider_acquire(p, &held));
    cr_aws_credentials_provider_free(p);
    assert_int_equal(cr_aws__credentials_live_sets(), base + 1);
    char secret[32];
    snprintf(secret, sizeof(secret), "secret-%s", cr_buf_cstr(&held->access_key_id) + 4);
    assert_string_equal(cr_buf_cstr(&held->secret_access_key), secret);
    cr_aws_credentials_release(held);
    assert_int_equal(cr_aws__credentials_live_sets(), base);
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        T(test_credentials__environment_variables),
        T(test_credentials__partial_environment_is_an_error),
        T(test_credentials__nothing_found_names_every_source),
        T(test_credentials__profile_files),
        T(test_credentials__partial_profile_is_an_error),
        T(test_credentials__unsupported_profile_source_is_named),
        T(test_credentials__sso_cache_file_and_portal_endpoint),
        T(test_credentials__environment_beats_everything),
        T(test_credentials__web_identity_from_environment),
        T(test_credentials__web_identity_from_profile),
        T(test_credentials__web_identity_errors),
        T(test_credentials__refresh_before_expiry),
        T(test_credentials__failed_refresh_keeps_unexpired_credentials),
        T(test_credentials__static_credentials_never_refresh),
        T(test_credentials__rejected_credentials_are_renewed_once),
        T(test_credentials__missing_named_profile_never_falls_back),
        T(test_credentials__explicit_profile_ignores_environment_credentials),
        T(test_credentials__explicit_profile_without_keys_says_why),
        T(test_credentials__dispose_wipes_and_resets),
        T(test_credentials__one_provider_signs_for_several_threads),
        T(test_credentials__renewals_keep_a_bounded_number_of_sets),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
