/* SPDX-License-Identifier: Apache-2.0 */
/*
 * Conformance of the credential sources with Debian's AWS CLI v2 (2.9, /usr/bin/aws): for each
 * source the CLI can be pointed at loopback, the CLI obtains credentials from the emulator's
 * endpoint by itself and its `sts get-caller-identity` answers the same ARN as
 * cognito-reconcile's chain with the same settings:
 *   - EC2 instance metadata (AWS_EC2_METADATA_SERVICE_ENDPOINT, IMDSv2 tokens);
 *   - container credentials (AWS_CONTAINER_CREDENTIALS_FULL_URI + _AUTHORIZATION_TOKEN; 2.9
 *     predates _TOKEN_FILE, which our side also reads);
 *   - credential_process.
 * The CLI 2.9 cannot be pointed at another STS or SSO portal for its own credential chain
 * (AWS_ENDPOINT_URL_* came in 2.13), so for those the CLI makes the calls explicitly against
 * the emulator, as its models describe them, and gets the same identity:
 *   - `aws sts assume-role` with the base keys, then get-caller-identity with the result, vs a
 *     profile with role_arn + source_profile;
 *   - `aws sso get-role-credentials` with the token of the cache file, then
 *     get-caller-identity, vs an sso-session profile.
 */
#include "tests/support/cr_test.h"

#include <fcntl.h>
#include <poll.h>
#include <spawn.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <sys/wait.h>
#include <unistd.h>

#include "tests/integration/cred_fixture.h"

#define S_AWS "/usr/bin/aws"

/* The AWS CLI's environment: nothing of ours, only what the case adds (NAME=VALUE, ...). */
struct s_cli_env {
    char *vars[24];
    size_t n;
    char storage[24][4200];
};

static void s_cli_set(struct s_cli_env *e, const char *name, const char *value)
{
    assert_true(e->n < 24);
    snprintf(e->storage[e->n], sizeof(e->storage[e->n]), "%s=%s", name, value);
    e->vars[e->n] = e->storage[e->n];
    e->n++;
    e->vars[e->n] = NULL;
}

static void s_cli_env_base(struct s_cli_env *e, struct fixture *f)
{
    memset(e, 0, sizeof(*e));
    s_cli_set(e, "PATH", "/usr/bin:/bin");
    s_cli_set(e, "HOME", f->home);
    s_cli_set(e, "AWS_CONFIG_FILE", f->config);
    s_cli_set(e, "AWS_SHARED_CREDENTIALS_FILE", f->credentials);
    s_cli_set(e, "AWS_PAGER", "");
    s_cli_set(e, "AWS_REGION", "us-east-1");
    s_cli_set(e, "LC_ALL", "C.UTF-8");
}

/* Runs the AWS CLI with argv (after "aws") and the environment; stdout into out. Returns the
 * exit status. */
static int s_cli(struct cr_buf *out, const struct s_cli_env *env, const char *const *args)
{
    const char *argv[32] = {S_AWS, "--no-cli-pager", "--output", "json", "--cli-connect-timeout",
                            "5", "--cli-read-timeout", "20"};
    size_t n = 8;
    int pipefd[2], status = -1;
    pid_t pid;
    posix_spawn_file_actions_t fa;
    for (size_t i = 0; args[i] && n < 31; i++)
        argv[n++] = args[i];
    argv[n] = NULL;
    assert_int_equal(pipe(pipefd), 0);
    posix_spawn_file_actions_init(&fa);
    posix_spawn_file_actions_adddup2(&fa, pipefd[1], STDOUT_FILENO);
    posix_spawn_file_actions_addclose(&fa, pipefd[0]);
    assert_int_equal(posix_spawn(&pid, S_AWS, &fa, NULL, (char *const *)argv, env->vars), 0);
    posix_spawn_file_actions_destroy(&fa);
    close(pipefd[1]);
    char chunk[4096];
    ssize_t got;
    cr_buf_clear(out);
    while ((got = read(pipefd[0], chunk, sizeof(chunk))) > 0)
        cr_buf_put(out, chunk, (size_t)got);
    close(pipefd[0]);
    waitpid(pid, &status, 0);
    return WIFEXITED(status) ? WEXITSTATUS(status) : -1;
}

/* The value of "Key": "value" in the CLI's JSON output (the first one). */
static void s_json_field(char *out, size_t cap, const struct cr_buf *json, const char *key)
{
    char needle[64];
    snprintf(needle, sizeof(needle), "\"%s\": \"", key);
    const char *a = strstr(cr_buf_cstr(json) ? cr_buf_cstr(json) : "", needle);
    if (!a)
        fail_msg("no %s in the CLI's answer: %s", key, cr_buf_cstr(json));
    a += strlen(needle);
    snprintf(out, cap, "%.*s", (int)strcspn(a, "\""), a);
}

/* The CLI's get-caller-identity ARN with env. */
static void s_cli_caller(char arn[512], struct fixture *f, const struct s_cli_env *env)
{
    struct cr_buf out = CR_BUF_INIT;
    const char *args[] = {"--endpoint-url", cr_emu_server_url(f->srv), "sts",
                          "get-caller-identity", NULL};
    int rc = s_cli(&out, env, args);
    if (rc != 0)
        fail_msg("aws sts get-caller-identity exited %d: %s", rc, cr_buf_cstr(&out));
    s_json_field(arn, 512, &out, "Arn");
    cr_buf_dispose_secure(&out);
}

/* Our chain's ARN with the fixture's environment and profile. */
static void s_our_caller(char arn[512], struct fixture *f, const char *profile)
{
    struct cr_aws_credentials_provider *p = NULL;
    f->opts.profile = profile;
    assert_ok(cr_aws_credentials_provider_new(&p, &f->opts));
    s_caller(f, p, arn);
    cr_aws_credentials_provider_free(p);
}

static void test_awscli_creds__instance_metadata(void **state)
{
    struct fixture *f = *state;
    struct s_cli_env env;
    char ours[512], theirs[512], endpoint[160];
    s_files(f, "", "");
    /* the CLI 2.9 wants the endpoint with its trailing slash; ours takes either */
    snprintf(endpoint, sizeof(endpoint), "%s/", f->imds_url);
    s_cli_env_base(&env, f);
    s_cli_set(&env, "AWS_EC2_METADATA_SERVICE_ENDPOINT", endpoint);
    long tokens = s_count(f, "IMDSToken");
    s_cli_caller(theirs, f, &env);
    assert_true(s_count(f, "IMDSToken") > tokens); /* the CLI used IMDSv2 */
    s_set(&f->vars, "AWS_EC2_METADATA_DISABLED", NULL);
    s_set(&f->vars, "AWS_EC2_METADATA_SERVICE_ENDPOINT", endpoint);
    s_our_caller(ours, f, NULL);
    assert_string_equal(ours, theirs);
    assert_non_null(strstr(ours, ":assumed-role/ci-runner/i-"));
}

static void test_awscli_creds__container(void **state)
{
    struct fixture *f = *state;
    struct s_cli_env env;
    char ours[512], theirs[512];
    s_files(f, "", "");
    s_cli_env_base(&env, f);
    s_cli_set(&env, "AWS_EC2_METADATA_DISABLED", "true");
    s_cli_set(&env, "AWS_CONTAINER_CREDENTIALS_FULL_URI", f->ecs_url);
    s_cli_set(&env, "AWS_CONTAINER_AUTHORIZATION_TOKEN", S_ECS_AUTH);
    s_cli_caller(theirs, f, &env);
    s_set(&f->vars, "AWS_CONTAINER_CREDENTIALS_FULL_URI", f->ecs_url);
    s_set(&f->vars, "AWS_CONTAINER_AUTHORIZATION_TOKEN", S_ECS_AUTH);
    s_our_caller(ours, f, NULL);
    assert_string_equal(ours, theirs);
    /* the token file (EKS Pod Identity's way) gives the same identity */
    s_set(&f->vars, "AWS_CONTAINER_AUTHORIZATION_TOKEN", NULL);
    s_set(&f->vars, "AWS_CONTAINER_AUTHORIZATION_TOKEN_FILE", f->ecs_token_file);
    s_our_caller(ours, f, NULL);
    assert_string_equal(ours, theirs);
}

static void test_awscli_creds__credential_process(void **state)
{
    struct fixture *f = *state;
    struct s_cli_env env;
    struct cr_buf cfg = CR_BUF_INIT;
    char ours[512], theirs[512], helper[4096];
    snprintf(helper, sizeof(helper), "%s/helper.sh", f->dir);
    assert_int_equal(cr_test_write_file(helper, "#!/bin/sh\n[ \"$1\" = 'two words' ] || exit 9\n"
                                                "printf '{\"Version\": 1, \"AccessKeyId\": \"" S_KEY
                                                "\", \"SecretAccessKey\": \"" S_SECRET "\"}'\n"),
                     0);
    assert_int_equal(chmod(helper, 0755), 0);
    cr_buf_printf(&cfg, "[profile proc]\ncredential_process = %s 'two words'\n", helper);
    s_files(f, cr_buf_cstr(&cfg), "");
    s_cli_env_base(&env, f);
    s_cli_set(&env, "AWS_EC2_METADATA_DISABLED", "true");
    s_cli_set(&env, "AWS_PROFILE", "proc");
    s_cli_caller(theirs, f, &env);
    s_our_caller(ours, f, "proc");
    assert_string_equal(ours, theirs);
    assert_string_equal(ours, "arn:aws:iam::" S_ACCOUNT ":user/cognito-identity-local");
    cr_buf_dispose(&cfg);
}

/* The CLI's credentials from an explicit call (assume-role, get-role-credentials) put into
 * env as variables; the member names differ per API. */
static void s_cli_env_with(struct s_cli_env *env, struct fixture *f, const struct cr_buf *answer,
                           const char *akid_key, const char *secret_key, const char *token_key)
{
    char akid[128], secret[128], token[1024];
    s_json_field(akid, sizeof(akid), answer, akid_key);
    s_json_field(secret, sizeof(secret), answer, secret_key);
    s_json_field(token, sizeof(token), answer, token_key);
    s_cli_env_base(env, f);
    s_cli_set(env, "AWS_EC2_METADATA_DISABLED", "true");
    s_cli_set(env, "AWS_ACCESS_KEY_ID", akid);
    s_cli_set(env, "AWS_SECRET_ACCESS_KEY", secret);
    s_cli_set(env, "AWS_SESSION_TOKEN", token);
}

static void test_awscli_creds__assume_role(void **state)
{
    struct fixture *f = *state;
    struct s_cli_env env;
    struct cr_buf out = CR_BUF_INIT;
    char ours[512], theirs[512];
    s_files(f,
            "[profile ci]\nrole_arn = " S_ROLE "\nsource_profile = base\n"
            "role_session_name = conformance\nexternal_id = ext-1\n",
            "[base]\naws_access_key_id = " S_KEY "\naws_secret_access_key = " S_SECRET "\n");
    s_cli_env_base(&env, f);
    s_cli_set(&env, "AWS_EC2_METADATA_DISABLED", "true");
    s_cli_set(&env, "AWS_PROFILE", "base");
    const char *args[] = {"--endpoint-url", cr_emu_server_url(f->srv), "sts", "assume-role",
                          "--role-arn", S_ROLE, "--role-session-name", "conformance",
                          "--external-id", "ext-1", NULL};
    int rc = s_cli(&out, &env, args);
    if (rc != 0)
        fail_msg("aws sts assume-role exited %d: %s", rc, cr_buf_cstr(&out));
    s_cli_env_with(&env, f, &out, "AccessKeyId", "SecretAccessKey", "SessionToken");
    s_cli_caller(theirs, f, &env);
    s_our_caller(ours, f, "ci");
    assert_string_equal(ours, theirs);
    assert_string_equal(ours, "arn:aws:sts::222233334444:assumed-role/deploy/conformance");
    cr_buf_dispose_secure(&out);
}

static void test_awscli_creds__sso(void **state)
{
    struct fixture *f = *state;
    struct s_cli_env env;
    struct cr_buf out = CR_BUF_INIT;
    char ours[512], theirs[512];
    s_control(f, "/_local/sso/tokens",
              "{\"accessToken\": \"conformance-sso-token\", \"user\": \"carol\"}");
    s_files(f,
            "[profile dev]\nsso_session = corp\nsso_account_id = " S_ACCOUNT "\n"
            "sso_role_name = PowerUser\n"
            "[sso-session corp]\nsso_start_url = https://corp.awsapps.com/start\n"
            "sso_region = eu-west-1\n",
            "");
    s_sso_cache(f, "corp", "conformance-sso-token", "2099-01-01T00:00:00Z");
    s_cli_env_base(&env, f);
    s_cli_set(&env, "AWS_EC2_METADATA_DISABLED", "true");
    const char *args[] = {"--endpoint-url", cr_emu_server_url(f->srv), "--region", "eu-west-1",
                          "sso", "get-role-credentials", "--no-sign-request", "--role-name",
                          "PowerUser", "--account-id", S_ACCOUNT, "--access-token",
                          "conformance-sso-token", NULL};
    int rc = s_cli(&out, &env, args);
    if (rc != 0)
        fail_msg("aws sso get-role-credentials exited %d: %s", rc, cr_buf_cstr(&out));
    s_cli_env_with(&env, f, &out, "accessKeyId", "secretAccessKey", "sessionToken");
    s_cli_caller(theirs, f, &env);
    s_our_caller(ours, f, "dev");
    assert_string_equal(ours, theirs);
    assert_non_null(strstr(ours, ":assumed-role/AWSReservedSSO_PowerUser_"));
    cr_buf_dispose_secure(&out);
}

#define T(fn) cmocka_unit_test_setup_teardown(fn, s_setup, s_teardown)

int main(void)
{
    const struct CMUnitTest tests[] = {
        T(test_awscli_creds__instance_metadata), T(test_awscli_creds__container),
        T(test_awscli_creds__credential_process), T(test_awscli_creds__assume_role),
        T(test_awscli_creds__sso),
    };
    if (access(S_AWS, X_OK) != 0) {
        print_error("%s not found (Debian package awscli; scripts/deps.sh installs it)\n", S_AWS);
        return 1;
    }
    return cmocka_run_group_tests(tests, NULL, NULL);
}
