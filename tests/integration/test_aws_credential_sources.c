/* SPDX-License-Identifier: Apache-2.0 */
/*
 * Every credential source of the chain against the emulator (label integration), over real
 * HTTP on loopback: STS AssumeRole (source_profile chains, credential_source), the IAM
 * Identity Center portal with a token cache file, container credentials with a token file,
 * IMDSv2 on its own listener, credential_process; each renewed before expiry. The emulator
 * verifies every signature (--credentials), and GetCallerIdentity with the credentials each
 * source produced must name the identity that source stands for, so a chain that picked the
 * wrong link fails.
 */
#include "tests/support/cr_test.h"

#include <stdbool.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <time.h>

#include "tests/integration/cred_fixture.h"

/* A /bin/sh credential_process helper printing the emulator's static key. */
static const char *s_helper(struct fixture *f)
{
    static char path[4096];
    snprintf(path, sizeof(path), "%s/helper.sh", f->dir);
    assert_int_equal(cr_test_write_file(path, "#!/bin/sh\nprintf '{\"Version\": 1, "
                                              "\"AccessKeyId\": \"" S_KEY "\", "
                                              "\"SecretAccessKey\": \"" S_SECRET "\"}'\n"),
                     0);
    assert_int_equal(chmod(path, 0755), 0);
    return path;
}

/* ---- assume role ---- */

static void test_sources__assume_role_from_a_source_profile(void **state)
{
    struct fixture *f = *state;
    struct cr_aws_credentials_provider *p = NULL;
    const struct cr_aws_credentials *c = NULL;
    char arn[512];
    s_files(f,
            "[profile ci]\nrole_arn = " S_ROLE "\nsource_profile = base\nrole_session_name = "
            "ci-run\nexternal_id = ext-42\nduration_seconds = 1800\n",
            "[base]\naws_access_key_id = " S_KEY "\naws_secret_access_key = " S_SECRET "\n");
    f->opts.profile = "ci";
    int64_t before = cr_time_now();
    assert_ok(cr_aws_credentials_provider_new(&p, &f->opts));
    assert_ok(cr_aws_credentials_provider_acquire(p, &c));
    assert_memory_equal(cr_buf_cstr(&c->access_key_id), "ASIA", 4);
    assert_in_range(c->expiration_s, before + 1800, cr_time_now() + 1800);
    assert_string_equal(cr_aws_credentials_provider_source(p),
                        "assume role " S_ROLE " via profile ci, source profile base <- profile "
                        "'base' (credentials file)");
    s_caller(f, p, arn);
    assert_string_equal(arn, "arn:aws:sts::222233334444:assumed-role/deploy/ci-run");
    cr_aws_credentials_provider_free(p);
    cr_aws_credentials_release(c);
}

static void test_sources__chain_role_role_credential_process(void **state)
{
    struct fixture *f = *state;
    struct cr_aws_credentials_provider *p = NULL;
    struct cr_buf cfg = CR_BUF_INIT;
    char arn[512];
    long assumed = s_count(f, "AssumeRole");
    cr_buf_printf(&cfg,
                  "[profile ci]\nrole_arn = " S_ROLE2 "\nsource_profile = mid\n"
                  "role_session_name = top\n"
                  "[profile mid]\nrole_arn = " S_ROLE "\nsource_profile = base\n"
                  "[profile base]\ncredential_process = %s --with 'an argument'\n",
                  s_helper(f));
    s_files(f, cr_buf_cstr(&cfg), "");
    f->opts.profile = "ci";
    assert_ok(cr_aws_credentials_provider_new(&p, &f->opts));
    assert_non_null(strstr(cr_aws_credentials_provider_source(p),
                           "assume role " S_ROLE2 " via profile ci, source profile mid <- assume "
                           "role " S_ROLE " via profile mid, source profile base <- "
                           "credential_process of profile 'base'"));
    s_caller(f, p, arn);
    assert_string_equal(arn, "arn:aws:sts::555566667777:assumed-role/admin/top");
    assert_int_equal(s_count(f, "AssumeRole") - assumed, 2);
    cr_aws_credentials_provider_free(p);

    /* role chaining caps sessions at an hour: STS says so, and the message names the link */
    cr_buf_puts(&cfg, "[profile long]\nrole_arn = " S_ROLE2 "\nsource_profile = mid\n"
                      "duration_seconds = 7200\n");
    s_files(f, cr_buf_cstr(&cfg), "");
    f->opts.profile = "long";
    assert_int_equal(cr_aws_credentials_provider_new(&p, &f->opts), CR_EAUTH);
    assert_non_null(strstr(cr_error_last(), "assume role " S_ROLE2 " via profile long: sts "
                                            "AssumeRole: ValidationError (HTTP 400): The "
                                            "requested DurationSeconds exceeds the 1 hour "
                                            "session limit for roles assumed by role chaining."));
    cr_buf_dispose(&cfg);
}

static void test_sources__profile_errors_name_the_profiles(void **state)
{
    struct fixture *f = *state;
    struct cr_aws_credentials_provider *p = NULL;
    static const struct {
        const char *profile, *message;
    } cases[] = {
        {"a", "source_profile loop: a -> b -> a (each profile's role is assumed with the "
              "credentials of the next)"},
        {"self", "source_profile loop: self -> self"},
        {"both", "profile 'both' has both source_profile and credential_source: keep one"},
        {"neither", "profile 'neither' has role_arn but neither source_profile nor "
                    "credential_source"},
        {"ghost", "source_profile 'nowhere' of profile 'ghost' is in neither"},
        {"empty-source", "source_profile 'blank' of profile 'empty-source' has no credentials"},
        {"bad-source", "profile 'bad-source': credential_source 'Ec2' is not valid (Environment, "
                       "Ec2InstanceMetadata or EcsContainer)"},
        {"bad-duration", "profile 'bad-duration': duration_seconds '1h' is not a number"},
    };
    s_files(f,
            "[profile a]\nrole_arn = " S_ROLE "\nsource_profile = b\n"
            "[profile b]\nrole_arn = " S_ROLE "\nsource_profile = a\n"
            "[profile self]\nrole_arn = " S_ROLE "\nsource_profile = self\n"
            "[profile both]\nrole_arn = " S_ROLE "\nsource_profile = a\n"
            "credential_source = Environment\n"
            "[profile neither]\nrole_arn = " S_ROLE "\n"
            "[profile ghost]\nrole_arn = " S_ROLE "\nsource_profile = nowhere\n"
            "[profile empty-source]\nrole_arn = " S_ROLE "\nsource_profile = blank\n"
            "[profile blank]\nregion = us-east-1\n"
            "[profile bad-source]\nrole_arn = " S_ROLE "\ncredential_source = Ec2\n"
            "[profile bad-duration]\nrole_arn = " S_ROLE "\nsource_profile = keys\n"
            "duration_seconds = 1h\n"
            "[profile keys]\naws_access_key_id = " S_KEY "\naws_secret_access_key = " S_SECRET
            "\n",
            "");
    long assumed = s_count(f, "AssumeRole");
    for (size_t i = 0; i < sizeof(cases) / sizeof(cases[0]); i++) {
        f->opts.profile = cases[i].profile;
        int rc = cr_aws_credentials_provider_new(&p, &f->opts);
        if (rc == 0 || !strstr(cr_error_last(), cases[i].message))
            fail_msg("profile %s: rc %d, '%s'", cases[i].profile, rc, cr_error_last());
        assert_null(p);
    }
    assert_int_equal(s_count(f, "AssumeRole"), assumed); /* refused before any call */

    /* a profile naming itself with keys of its own is allowed (botocore) */
    s_files(f, "[profile self]\nrole_arn = " S_ROLE "\nsource_profile = self\n",
            "[self]\naws_access_key_id = " S_KEY "\naws_secret_access_key = " S_SECRET "\n");
    f->opts.profile = "self";
    assert_ok(cr_aws_credentials_provider_new(&p, &f->opts));
    assert_non_null(strstr(cr_aws_credentials_provider_source(p),
                           "source profile self <- profile 'self' (credentials file)"));
    cr_aws_credentials_provider_free(p);
}

static void test_sources__credential_source(void **state)
{
    struct fixture *f = *state;
    struct cr_aws_credentials_provider *p = NULL;
    char arn[512];
    s_files(f,
            "[profile env]\nrole_arn = " S_ROLE "\ncredential_source = Environment\n"
            "role_session_name = from-env\n"
            "[profile ecs]\nrole_arn = " S_ROLE "\ncredential_source = EcsContainer\n"
            "role_session_name = from-ecs\n"
            "[profile ec2]\nrole_arn = " S_ROLE "\ncredential_source = Ec2InstanceMetadata\n"
            "role_session_name = from-ec2\n",
            "");
    /* Environment: read even with --profile, which otherwise ignores the variables */
    s_set(&f->vars, "AWS_ACCESS_KEY_ID", S_KEY);
    s_set(&f->vars, "AWS_SECRET_ACCESS_KEY", S_SECRET);
    f->opts.profile = "env";
    assert_ok(cr_aws_credentials_provider_new(&p, &f->opts));
    assert_string_equal(cr_aws_credentials_provider_source(p),
                        "assume role " S_ROLE " via profile env, credential source Environment "
                        "<- environment");
    s_caller(f, p, arn);
    assert_string_equal(arn, "arn:aws:sts::222233334444:assumed-role/deploy/from-env");
    cr_aws_credentials_provider_free(p);
    s_set(&f->vars, "AWS_ACCESS_KEY_ID", NULL);
    s_set(&f->vars, "AWS_SECRET_ACCESS_KEY", NULL);

    /* EcsContainer: the task role signs the AssumeRole */
    s_set(&f->vars, "AWS_CONTAINER_CREDENTIALS_FULL_URI", f->ecs_url);
    s_set(&f->vars, "AWS_CONTAINER_AUTHORIZATION_TOKEN_FILE", f->ecs_token_file);
    f->opts.profile = "ecs";
    assert_ok(cr_aws_credentials_provider_new(&p, &f->opts));
    s_caller(f, p, arn);
    assert_string_equal(arn, "arn:aws:sts::222233334444:assumed-role/deploy/from-ecs");
    cr_aws_credentials_provider_free(p);
    s_set(&f->vars, "AWS_CONTAINER_CREDENTIALS_FULL_URI", NULL);

    /* Ec2InstanceMetadata, and without it a message that says so */
    s_set(&f->vars, "AWS_EC2_METADATA_DISABLED", NULL);
    s_set(&f->vars, "AWS_EC2_METADATA_SERVICE_ENDPOINT", f->imds_url);
    f->opts.profile = "ec2";
    assert_ok(cr_aws_credentials_provider_new(&p, &f->opts));
    assert_string_equal(cr_aws_credentials_provider_source(p),
                        "assume role " S_ROLE " via profile ec2, credential source "
                        "Ec2InstanceMetadata <- EC2 instance metadata (role ci-runner)");
    s_caller(f, p, arn);
    assert_string_equal(arn, "arn:aws:sts::222233334444:assumed-role/deploy/from-ec2");
    cr_aws_credentials_provider_free(p);
    s_set(&f->vars, "AWS_EC2_METADATA_DISABLED", "true");
    assert_int_equal(cr_aws_credentials_provider_new(&p, &f->opts), CR_EAUTH);
    assert_string_equal(cr_error_last(), "profile 'ec2': credential_source Ec2InstanceMetadata "
                                         "has no credentials (EC2 instance metadata (disabled "
                                         "by AWS_EC2_METADATA_DISABLED))");
}

/* ---- a role from any provider (for runs over many accounts) ---- */

static void test_sources__roles_assumed_from_one_base(void **state)
{
    struct fixture *f = *state;
    struct cr_aws_credentials_provider *base = NULL, *r1 = NULL, *r2 = NULL;
    char arn[512];
    s_files(f, "", "[org]\naws_access_key_id = " S_KEY "\naws_secret_access_key = " S_SECRET "\n");
    f->opts.profile = "org";
    assert_ok(cr_aws_credentials_provider_new(&base, &f->opts));
    f->opts.profile = NULL;
    struct cr_aws_assume_role role1 = {S_ROLE, "acct-a", NULL, 900};
    struct cr_aws_assume_role role2 = {S_ROLE2, "acct-b", "ext", 0};
    assert_ok(cr_aws_credentials_provider_new_assume_role(&r1, base, &role1, &f->opts));
    assert_ok(cr_aws_credentials_provider_new_assume_role(&r2, base, &role2, &f->opts));
    s_caller(f, r1, arn);
    assert_string_equal(arn, "arn:aws:sts::222233334444:assumed-role/deploy/acct-a");
    s_caller(f, r2, arn);
    assert_string_equal(arn, "arn:aws:sts::555566667777:assumed-role/admin/acct-b");
    s_caller(f, base, arn);
    assert_string_equal(arn, "arn:aws:iam::" S_ACCOUNT ":user/cognito-identity-local");
    assert_string_equal(cr_aws_credentials_provider_source(r2),
                        "assume role " S_ROLE2 " <- profile 'org' (credentials file)");
    /* a role STS refuses fails at creation */
    struct cr_aws_credentials_provider *refused = NULL;
    struct cr_aws_assume_role bad = {"not-an-arn-but-long-enough", "x1", NULL, 0};
    assert_int_equal(cr_aws_credentials_provider_new_assume_role(&refused, base, &bad, &f->opts),
                     CR_EAUTH);
    assert_null(refused);
    assert_string_equal(cr_error_last(), "assume role not-an-arn-but-long-enough: sts AssumeRole: "
                                         "ValidationError (HTTP 400): Request ARN is invalid");
    cr_aws_credentials_provider_free(r2);
    cr_aws_credentials_provider_free(r1);
    cr_aws_credentials_provider_free(base);
}

/* ---- IAM Identity Center ---- */

static void test_sources__sso_profiles(void **state)
{
    struct fixture *f = *state;
    struct cr_aws_credentials_provider *p = NULL;
    char arn[512];
    s_control(f, "/_local/sso/tokens",
              "{\"accessToken\": \"sso-access-token-1\", \"user\": \"alice\", "
              "\"assignments\": [{\"accountId\": \"" S_ACCOUNT "\", "
              "\"roleName\": \"AdministratorAccess\"}]}");
    s_files(f,
            "[profile dev]\nsso_session = corp\nsso_account_id = " S_ACCOUNT "\n"
            "sso_role_name = AdministratorAccess\nregion = eu-west-1\n"
            "[sso-session corp]\nsso_start_url = https://corp.awsapps.com/start\n"
            "sso_region = eu-west-1\nsso_registration_scopes = sso:account:access\n"
            "[profile legacy]\nsso_start_url = https://corp.awsapps.com/start\n"
            "sso_region = eu-west-1\nsso_account_id = " S_ACCOUNT "\n"
            "sso_role_name = AdministratorAccess\n"
            "[profile other-role]\nsso_session = corp\nsso_account_id = " S_ACCOUNT "\n"
            "sso_role_name = ReadOnly\n"
            "[profile conflict]\nsso_session = corp\nsso_account_id = " S_ACCOUNT "\n"
            "sso_role_name = ReadOnly\nsso_region = us-west-2\n"
            "[profile partial]\nsso_account_id = " S_ACCOUNT "\nsso_role_name = ReadOnly\n",
            "");
    /* sso-session profiles: the cache file is named after the session */
    s_sso_cache(f, "corp", "sso-access-token-1", "2099-01-01T00:00:00Z");
    f->opts.profile = "dev";
    assert_ok(cr_aws_credentials_provider_new(&p, &f->opts));
    assert_string_equal(cr_aws_credentials_provider_source(p),
                        "IAM Identity Center, profile 'dev' (account " S_ACCOUNT
                        ", role AdministratorAccess, sso-session corp)");
    s_caller(f, p, arn);
    assert_memory_equal(arn, "arn:aws:sts::" S_ACCOUNT ":assumed-role/AWSReservedSSO_"
                             "AdministratorAccess_",
                        strlen("arn:aws:sts::" S_ACCOUNT ":assumed-role/AWSReservedSSO_"
                               "AdministratorAccess_"));
    assert_string_equal(arn + strlen(arn) - 6, "/alice");
    cr_aws_credentials_provider_free(p);
    /* legacy profiles: named after the start URL, and the expiry is checked before any call */
    long calls = s_count(f, "GetRoleCredentials");
    s_sso_cache(f, "https://corp.awsapps.com/start", "sso-access-token-1", "2020-01-01T00:00:00UTC");
    f->opts.profile = "legacy";
    assert_int_equal(cr_aws_credentials_provider_new(&p, &f->opts), CR_EAUTH);
    assert_non_null(strstr(cr_error_last(), "IAM Identity Center session of profile 'legacy' "
                                            "expired at 2020-01-01T00:00:00UTC (token cached in "));
    assert_non_null(strstr(cr_error_last(), ": run `aws sso login --profile legacy`"));
    assert_int_equal(s_count(f, "GetRoleCredentials"), calls);
    /* a token the portal does not know, a role the user has no access to */
    s_sso_cache(f, "https://corp.awsapps.com/start", "revoked", "2099-01-01T00:00:00Z");
    assert_int_equal(cr_aws_credentials_provider_new(&p, &f->opts), CR_EAUTH);
    assert_string_equal(cr_error_last(), "IAM Identity Center session of profile 'legacy' was "
                                         "refused by the portal (expired or signed out): run "
                                         "`aws sso login --profile legacy`");
    f->opts.profile = "other-role";
    assert_int_equal(cr_aws_credentials_provider_new(&p, &f->opts), CR_EAUTH);
    assert_non_null(strstr(cr_error_last(), "has no access to role ReadOnly in account"));
    /* settings that contradict or are missing */
    f->opts.profile = "conflict";
    assert_int_equal(cr_aws_credentials_provider_new(&p, &f->opts), CR_EINVALID);
    assert_string_equal(cr_error_last(), "profile 'conflict': sso_region is 'us-west-2' there "
                                         "but 'eu-west-1' in its sso-session 'corp'");
    f->opts.profile = "partial";
    assert_int_equal(cr_aws_credentials_provider_new(&p, &f->opts), CR_EINVALID);
    assert_string_equal(cr_error_last(), "profile 'partial' uses IAM Identity Center but lacks "
                                         "sso_start_url, sso_region (run `aws configure sso "
                                         "--profile partial`)");
    /* no cache file at all */
    cr_test_rmtree(f->home);
    f->opts.profile = "dev";
    assert_int_equal(cr_aws_credentials_provider_new(&p, &f->opts), CR_EAUTH);
    assert_non_null(strstr(cr_error_last(), "IAM Identity Center session of profile 'dev' has "
                                            "no cached token"));
}

/* ---- containers and instances ---- */

static void test_sources__container_credentials(void **state)
{
    struct fixture *f = *state;
    struct cr_aws_credentials_provider *p = NULL;
    char arn[512], url[256];
    s_files(f, "", "");
    s_set(&f->vars, "AWS_CONTAINER_CREDENTIALS_FULL_URI", f->ecs_url);
    s_set(&f->vars, "AWS_CONTAINER_AUTHORIZATION_TOKEN_FILE", f->ecs_token_file);
    assert_ok(cr_aws_credentials_provider_new(&p, &f->opts));
    s_caller(f, p, arn);
#define S_TASK_ARN "arn:aws:sts::" S_ACCOUNT ":assumed-role/task-role/"
    assert_memory_equal(arn, S_TASK_ARN, strlen(S_TASK_ARN));
    assert_int_equal(strlen(arn), strlen(S_TASK_ARN) + 32); /* the task id */
    cr_aws_credentials_provider_free(p);
    /* the token file wins over the token variable, and the agent refuses a wrong one */
    s_set(&f->vars, "AWS_CONTAINER_AUTHORIZATION_TOKEN", "ignored-while-the-file-is-set");
    assert_ok(cr_aws_credentials_provider_new(&p, &f->opts));
    cr_aws_credentials_provider_free(p);
    s_set(&f->vars, "AWS_CONTAINER_AUTHORIZATION_TOKEN_FILE", NULL);
    assert_int_equal(cr_aws_credentials_provider_new(&p, &f->opts), CR_EAUTH);
    assert_non_null(strstr(cr_error_last(), "container credentials: HTTP 401"));
    /* plain http to another host is refused before any request */
    snprintf(url, sizeof(url), "http://10.1.2.3:%u/creds", cr_emu_server_port(f->srv));
    s_set(&f->vars, "AWS_CONTAINER_CREDENTIALS_FULL_URI", url);
    assert_int_equal(cr_aws_credentials_provider_new(&p, &f->opts), CR_EINVALID);
    assert_non_null(strstr(cr_error_last(), "plain http is allowed only to a loopback address, "
                                            "169.254.170.2 (ECS), 169.254.170.23 or "
                                            "[fd00:ec2::23] (EKS Pod Identity); use https for "
                                            "host '10.1.2.3'"));
    s_set(&f->vars, "AWS_CONTAINER_CREDENTIALS_FULL_URI", NULL);
    s_set(&f->vars, "AWS_CONTAINER_AUTHORIZATION_TOKEN", NULL);
}

static void test_sources__instance_metadata(void **state)
{
    struct fixture *f = *state;
    struct cr_aws_credentials_provider *p = NULL;
    char arn[512], closed[64];
    s_files(f, "", "");
    s_set(&f->vars, "AWS_EC2_METADATA_DISABLED", NULL);
    s_set(&f->vars, "AWS_EC2_METADATA_SERVICE_ENDPOINT", f->imds_url);
    long tokens = s_count(f, "IMDSToken"), creds = s_count(f, "IMDSCredentials");
    assert_ok(cr_aws_credentials_provider_new(&p, &f->opts));
    assert_string_equal(cr_aws_credentials_provider_source(p),
                        "EC2 instance metadata (role ci-runner)");
    s_caller(f, p, arn);
#define S_INSTANCE_ARN "arn:aws:sts::" S_ACCOUNT ":assumed-role/ci-runner/i-"
    assert_memory_equal(arn, S_INSTANCE_ARN, strlen(S_INSTANCE_ARN));
    assert_int_equal(strlen(arn), strlen(S_INSTANCE_ARN) + 17); /* the instance id */
    assert_int_equal(s_count(f, "IMDSToken") - tokens, 1);
    assert_int_equal(s_count(f, "IMDSCredentials") - creds, 1);
    cr_aws_credentials_provider_free(p);

    /* a 5xx is tried once more (AWS_METADATA_SERVICE_NUM_ATTEMPTS, default 2)... */
    assert_ok(cr_emu_add_faults(f->emu, "IMDSCredentials:error=1,status=503,count=1"));
    creds = s_count(f, "IMDSCredentials");
    assert_ok(cr_aws_credentials_provider_new(&p, &f->opts));
    assert_int_equal(s_count(f, "IMDSCredentials") - creds, 2);
    cr_aws_credentials_provider_free(p);
    /* ...and only once: then the chain ends with "no credentials" naming the answer */
    assert_ok(cr_emu_add_faults(f->emu, "IMDSCredentials:error=1,status=503,count=2"));
    creds = s_count(f, "IMDSCredentials");
    assert_int_equal(cr_aws_credentials_provider_new(&p, &f->opts), CR_EAUTH);
    assert_non_null(strstr(cr_error_last(), "no AWS credentials: tried "));
    assert_non_null(strstr(cr_error_last(), "EC2 instance metadata (imds GET /latest/meta-data/iam/"
                                            "security-credentials/...: InternalErrorException: "));
    assert_non_null(strstr(cr_error_last(), "(after 2 attempts))"));
    assert_int_equal(s_count(f, "IMDSCredentials") - creds, 2);

    /* nothing listening: the chain ends with "no credentials" naming why, after one try
     * (a refused connection is retried once, a deadline never) */
    snprintf(closed, sizeof(closed), "http://127.0.0.1:1");
    s_set(&f->vars, "AWS_EC2_METADATA_SERVICE_ENDPOINT", closed);
    assert_int_equal(cr_aws_credentials_provider_new(&p, &f->opts), CR_EAUTH);
    assert_non_null(strstr(cr_error_last(), ", EC2 instance metadata (http://127.0.0.1:1: "));
    /* an IMDS that holds the token request: one attempt, then "no credentials" */
    assert_ok(cr_emu_add_faults(f->emu, "IMDSToken:hang=1,hang_ms=5000,count=5"));
    s_set(&f->vars, "AWS_EC2_METADATA_SERVICE_ENDPOINT", f->imds_url);
    tokens = s_count(f, "IMDSToken");
    assert_int_equal(cr_aws_credentials_provider_new(&p, &f->opts), CR_EAUTH);
    assert_non_null(strstr(cr_error_last(), "EC2 instance metadata (" ));
    assert_int_equal(s_count(f, "IMDSToken") - tokens, 1);
    s_set(&f->vars, "AWS_EC2_METADATA_DISABLED", "true");
}

/* ---- refresh ---- */

struct s_clock {
    int64_t offset;
};

static int64_t s_shifted_clock(void *ctx)
{
    return cr_time_now() + ((struct s_clock *)ctx)->offset;
}

static void test_sources__every_source_renews_before_expiry(void **state)
{
    struct fixture *f = *state;
    struct s_clock clock = {0};
    struct cr_aws_credentials_provider *p = NULL;
    const struct cr_aws_credentials *c = NULL;
    char first[32], arn[512];
    struct cr_buf cfg = CR_BUF_INIT;
    char helper[4096];
    f->env.clock = s_shifted_clock;
    f->env.clock_ctx = &clock;
    /* a credential_process helper whose keys expire an hour (and a minute per run) later */
    snprintf(helper, sizeof(helper), "%s/expiring.sh", f->dir);
    cr_buf_printf(&cfg,
                  "#!/bin/sh\nn=$(cat '%s/runs' 2>/dev/null || echo 0); n=$((n + 1))\n"
                  "echo $n >'%s/runs'\n"
                  "exp=$(date -u -d \"@$(($(date +%%s) + 3600 + 60 * n))\" "
                  "+%%Y-%%m-%%dT%%H:%%M:%%SZ)\n"
                  "printf '{\"Version\": 1, \"AccessKeyId\": \"" S_KEY "\", \"SecretAccessKey\": "
                  "\"" S_SECRET "\", \"Expiration\": \"%%s\"}' \"$exp\"\n",
                  f->dir, f->dir);
    assert_int_equal(cr_test_write_file(helper, cr_buf_cstr(&cfg)), 0);
    assert_int_equal(chmod(helper, 0755), 0);
    cr_buf_clear(&cfg);
    cr_buf_printf(&cfg,
                  "[profile role]\nrole_arn = " S_ROLE "\nsource_profile = base\n"
                  "[profile imds]\nregion = us-east-1\n"
                  "[profile sso]\nsso_session = corp\nsso_account_id = " S_ACCOUNT "\n"
                  "sso_role_name = AdministratorAccess\n"
                  "[sso-session corp]\nsso_start_url = https://corp.awsapps.com/start\n"
                  "sso_region = eu-west-1\n"
                  "[profile process]\ncredential_process = %s\n",
                  helper);
    s_files(f, cr_buf_cstr(&cfg),
            "[base]\naws_access_key_id = " S_KEY "\naws_secret_access_key = " S_SECRET "\n");
    cr_buf_dispose(&cfg);
    s_control(f, "/_local/sso/tokens", "{\"accessToken\": \"sso-refresh\", \"user\": \"bob\"}");
    s_sso_cache(f, "corp", "sso-refresh", "2099-01-01T00:00:00Z");
    static const char *const profiles[] = {"role", "sso", "imds", "container", "process"};
    for (size_t i = 0; i < sizeof(profiles) / sizeof(profiles[0]); i++) {
        clock.offset = 0;
        f->opts.profile = strcmp(profiles[i], "container") == 0 ? NULL : profiles[i];
        if (strcmp(profiles[i], "imds") == 0) {
            s_set(&f->vars, "AWS_EC2_METADATA_DISABLED", NULL);
            s_set(&f->vars, "AWS_EC2_METADATA_SERVICE_ENDPOINT", f->imds_url);
        }
        if (strcmp(profiles[i], "container") == 0) {
            s_set(&f->vars, "AWS_CONTAINER_CREDENTIALS_FULL_URI", f->ecs_url);
            s_set(&f->vars, "AWS_CONTAINER_AUTHORIZATION_TOKEN", S_ECS_AUTH);
        }
        assert_ok(cr_aws_credentials_provider_new(&p, &f->opts));
        cr_aws_credentials_release(c);
        assert_ok(cr_aws_credentials_provider_acquire(p, &c));
        snprintf(first, sizeof(first), "%s", cr_buf_cstr(&c->access_key_id));
        int64_t exp = c->expiration_s;
        /* long before expiry: the same credentials */
        clock.offset = exp - cr_time_now() - 600;
        cr_aws_credentials_release(c);
        assert_ok(cr_aws_credentials_provider_acquire(p, &c));
        assert_string_equal(cr_buf_cstr(&c->access_key_id), first);
        /* within the last five minutes: renewed, and the new ones work */
        clock.offset = exp - cr_time_now() - 200;
        cr_aws_credentials_release(c);
        assert_ok(cr_aws_credentials_provider_acquire(p, &c));
        /* the helper prints the same static key each time, with a later expiry */
        bool same = strcmp(profiles[i], "process") == 0
                        ? c->expiration_s <= exp
                        : strcmp(cr_buf_cstr(&c->access_key_id), first) == 0;
        if (same)
            fail_msg("%s: not renewed", profiles[i]);
        assert_int_equal(cr_aws_credentials_provider_fetch_count(p), 2);
        clock.offset = 0;
        s_caller(f, p, arn);
        cr_aws_credentials_provider_free(p);
        s_set(&f->vars, "AWS_EC2_METADATA_DISABLED", "true");
    }
    s_set(&f->vars, "AWS_CONTAINER_CREDENTIALS_FULL_URI", NULL);
    s_set(&f->vars, "AWS_CONTAINER_AUTHORIZATION_TOKEN", NULL);
    f->env.clock = s_real_clock;
    f->env.clock_ctx = NULL;
    cr_aws_credentials_release(c);
}

/* GetCallerIdentity signed with p; the request's result (its message in cr_error_last()). */
static int s_try_caller(struct fixture *f, struct cr_aws_credentials_provider *p)
{
    struct cr_aws_transport *t = NULL;
    struct cr_aws_request req;
    struct cr_http_header h[] = {{"Content-Type", "application/x-www-form-urlencoded"}};
    assert_ok(cr_aws_transport_new(&t, NULL));
    cr_aws_request_init(&req);
    req.name = "sts GetCallerIdentity";
    req.method = "POST";
    req.url = cr_emu_server_url(f->srv);
    req.headers = h;
    req.header_count = 1;
    req.body = "Action=GetCallerIdentity&Version=2011-06-15";
    req.body_len = strlen(req.body);
    req.sign = (struct cr_aws_signing){.service = "sts", .region = "us-east-1", .provider = p};
    int rc = cr_aws_request_run(t, &req);
    cr_aws_request_dispose(&req);
    cr_aws_transport_free(t);
    return rc;
}

/* Waits (bounded) until the real clock has passed t. */
static void s_wait_past(int64_t t)
{
    for (int i = 0; i < 100 && cr_time_now() <= t; i++)
        nanosleep(&(struct timespec){0, 50 * 1000 * 1000}, NULL);
    assert_true(cr_time_now() > t);
}

static void test_sources__expired_credentials_say_what_to_refresh(void **state)
{
    struct fixture *f = *state;
    struct cr_aws_credentials_provider *base = NULL, *role = NULL, *env = NULL;
    const struct cr_aws_credentials *c = NULL;
    struct s_clock behind = {-30};
    char akid[64], secret[64], token[256];
    s_files(f, "", "[org]\naws_access_key_id = " S_KEY "\naws_secret_access_key = " S_SECRET "\n");
    f->opts.profile = "org";
    assert_ok(cr_aws_credentials_provider_new(&base, &f->opts));
    f->opts.profile = NULL;
    /* one-second credentials (the emulator's --sts-min-duration), exported as variables */
    struct cr_aws_assume_role brief = {S_ROLE, "brief", NULL, 1};
    assert_ok(cr_aws_credentials_provider_new_assume_role(&role, base, &brief, &f->opts));
    assert_ok(cr_aws_credentials_provider_acquire(role, &c));
    snprintf(akid, sizeof(akid), "%s", cr_buf_cstr(&c->access_key_id));
    snprintf(secret, sizeof(secret), "%s", cr_buf_cstr(&c->secret_access_key));
    snprintf(token, sizeof(token), "%s", cr_buf_cstr(&c->session_token));
    int64_t exp = c->expiration_s;
    s_set(&f->vars, "AWS_ACCESS_KEY_ID", akid);
    s_set(&f->vars, "AWS_SECRET_ACCESS_KEY", secret);
    s_set(&f->vars, "AWS_SESSION_TOKEN", token);
    assert_ok(cr_aws_credentials_provider_new(&env, &f->opts));
    s_wait_past(exp);
    /* the environment's cannot be renewed: the message says where to refresh them */
    assert_int_equal(s_try_caller(f, env), CR_EAUTH);
    assert_non_null(strstr(cr_error_last(), "ExpiredToken: The security token included in the "
                                            "request is expired (credentials from the "
                                            "environment: export fresh AWS_ACCESS_KEY_ID, "
                                            "AWS_SECRET_ACCESS_KEY and AWS_SESSION_TOKEN)"));
    /* a role whose clock runs behind the service's: called expired, renewed, sent again */
    f->env.clock = s_shifted_clock;
    f->env.clock_ctx = &behind;
    long assumed = s_count(f, "AssumeRole");
    cr_aws_credentials_provider_free(role);
    assert_ok(cr_aws_credentials_provider_new_assume_role(&role, base, &brief, &f->opts));
    cr_aws_credentials_release(c);
    assert_ok(cr_aws_credentials_provider_acquire(role, &c));
    s_wait_past(c->expiration_s); /* expired for the emulator, 30 s left for us */
    assert_ok(s_try_caller(f, role));
    assert_int_equal(s_count(f, "AssumeRole") - assumed, 2);
    assert_int_equal(cr_aws_credentials_provider_fetch_count(role), 2);
    f->env.clock = s_real_clock;
    f->env.clock_ctx = NULL;
    s_set(&f->vars, "AWS_ACCESS_KEY_ID", NULL);
    s_set(&f->vars, "AWS_SECRET_ACCESS_KEY", NULL);
    s_set(&f->vars, "AWS_SESSION_TOKEN", NULL);
    cr_aws_credentials_provider_free(env);
    cr_aws_credentials_provider_free(role);
    cr_aws_credentials_provider_free(base);
    cr_aws_credentials_release(c);
}

#define T(fn) cmocka_unit_test_setup_teardown(fn, s_setup, s_teardown)

int main(void)
{
    const struct CMUnitTest tests[] = {
        T(test_sources__assume_role_from_a_source_profile),
        T(test_sources__chain_role_role_credential_process),
        T(test_sources__profile_errors_name_the_profiles),
        T(test_sources__credential_source),
        T(test_sources__roles_assumed_from_one_base),
        T(test_sources__sso_profiles),
        T(test_sources__container_credentials),
        T(test_sources__instance_metadata),
        T(test_sources__every_source_renews_before_expiry),
        T(test_sources__expired_credentials_say_what_to_refresh),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
