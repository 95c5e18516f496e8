/* SPDX-License-Identifier: Apache-2.0 */
/* Shared config/credentials files, profiles and region resolution, with an injected
 * environment (never the developer's variables or ~/.aws). */
#include "tests/support/cr_test.h"

#include <stdlib.h>
#include <string.h>

#include "aws/config.h"
#include "tests/unit/test_aws_env.h"
#include "util/buf.h"

struct fixture {
    char *dir;
    char config[4096], credentials[4096];
    struct fake_env vars;
    struct cr_aws_env env;
};

static int s_setup(void **state)
{
    struct fixture *f = calloc(1, sizeof(*f));
    f->dir = cr_test_tmpdir();
    s_set_aws_files(&f->vars, f->dir, f->config, f->credentials, sizeof(f->config));
    f->env = (struct cr_aws_env){s_getenv, &f->vars, NULL, NULL};
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

static const char *s_config_text = "# comment\n"
                                   "[default]\n"
                                   "region = us-west-2\n"
                                   "output = json\n"
                                   "\n"
                                   "[profile dev]\n"
                                   "Region = eu-central-1\n"
                                   "aws_access_key_id = AKIDCONFIG\n"
                                   "aws_secret_access_key = secret;with#chars\n"
                                   "s3 =\n"
                                   "  max_concurrent_requests = 20\n"
                                   "\n"
                                   "[dev]\n"
                                   "region = ignored-without-profile-prefix\n"
                                   "[profile   spaced]\n"
                                   "region = ap-south-1\n";

static const char *s_credentials_text = "[default]\n"
                                        "aws_access_key_id = AKIDDEFAULT\n"
                                        "aws_secret_access_key = SECRETDEFAULT\n"
                                        "[dev]\n"
                                        "aws_access_key_id = AKIDCREDS\n"
                                        "[profile dev]\n"
                                        "aws_access_key_id = NOT-THIS-ONE\n";

static void test_config__profile_sections_in_both_files(void **state)
{
    struct fixture *f = *state;
    struct cr_aws_config cfg;
    assert_int_equal(cr_test_write_file(f->config, s_config_text), 0);
    assert_int_equal(cr_test_write_file(f->credentials, s_credentials_text), 0);

    cr_aws_config_init(&cfg);
    assert_ok(cr_aws_config_load(&cfg, &f->env, "dev"));
    assert_true(cfg.config_found && cfg.credentials_found && cfg.profile_found);
    assert_true(cfg.profile_from_user);
    assert_string_equal(cr_buf_cstr(&cfg.profile), "dev");
    assert_string_equal(cr_aws_config_get(&cfg, "region"), "eu-central-1"); /* key lowercased */
    /* the credentials file wins over the config file */
    assert_string_equal(cr_aws_config_get(&cfg, "aws_access_key_id"), "AKIDCREDS");
    /* ';' and '#' stay inside values, as in the AWS CLI */
    assert_string_equal(cr_aws_config_get(&cfg, "aws_secret_access_key"), "secret;with#chars");
    assert_null(cr_aws_config_get(&cfg, "output"));
    cr_aws_config_dispose(&cfg);

    cr_aws_config_init(&cfg);
    assert_ok(cr_aws_config_load(&cfg, &f->env, NULL));
    assert_false(cfg.profile_from_user);
    assert_string_equal(cr_buf_cstr(&cfg.profile), "default");
    assert_string_equal(cr_aws_config_get(&cfg, "region"), "us-west-2");
    assert_string_equal(cr_aws_config_get(&cfg, "aws_access_key_id"), "AKIDDEFAULT");
    cr_aws_config_dispose(&cfg);

    cr_aws_config_init(&cfg);
    assert_ok(cr_aws_config_load(&cfg, &f->env, "spaced"));
    assert_string_equal(cr_aws_config_get(&cfg, "region"), "ap-south-1");
    cr_aws_config_dispose(&cfg);
}

static void test_config__aws_profile_and_flag_precedence(void **state)
{
    struct fixture *f = *state;
    struct cr_aws_config cfg;
    assert_int_equal(cr_test_write_file(f->config, s_config_text), 0);
    s_set(&f->vars, "AWS_PROFILE", "spaced");
    cr_aws_config_init(&cfg);
    assert_ok(cr_aws_config_load(&cfg, &f->env, NULL));
    assert_string_equal(cr_buf_cstr(&cfg.profile), "spaced");
    assert_true(cfg.profile_from_user);
    cr_aws_config_dispose(&cfg);
    cr_aws_config_init(&cfg);
    assert_ok(cr_aws_config_load(&cfg, &f->env, "dev"));
    assert_string_equal(cr_buf_cstr(&cfg.profile), "dev");
    cr_aws_config_dispose(&cfg);
}

static void test_config__missing_files_are_not_errors(void **state)
{
    struct fixture *f = *state;
    struct cr_aws_config cfg;
    cr_aws_config_init(&cfg);
    assert_ok(cr_aws_config_load(&cfg, &f->env, "nope"));
    assert_false(cfg.config_found);
    assert_false(cfg.credentials_found);
    assert_false(cfg.profile_found);
    assert_null(cr_aws_config_get(&cfg, "region"));
    cr_aws_config_dispose(&cfg);
}

static void test_config__home_expansion_for_default_paths(void **state)
{
    struct fixture *f = *state;
    struct cr_aws_config cfg;
    char home[4096], path[4200];
    snprintf(home, sizeof(home), "%s/home", f->dir);
    snprintf(path, sizeof(path), "%s/.aws/config", home);
    assert_int_equal(cr_test_write_file(path, "[default]\nregion = sa-east-1\n"), 0);
    s_set(&f->vars, "HOME", home);
    s_set(&f->vars, "AWS_CONFIG_FILE", "");
    s_set(&f->vars, "AWS_SHARED_CREDENTIALS_FILE", "~/elsewhere");
    cr_aws_config_init(&cfg);
    assert_ok(cr_aws_config_load(&cfg, &f->env, NULL));
    assert_string_equal(cr_buf_cstr(&cfg.config_path), path);
    snprintf(path, sizeof(path), "%s/elsewhere", home);
    assert_string_equal(cr_buf_cstr(&cfg.credentials_path), path);
    assert_string_equal(cr_aws_config_get(&cfg, "region"), "sa-east-1");
    cr_aws_config_dispose(&cfg);
}

static void test_config__syntax_error_names_file_and_line(void **state)
{
    struct fixture *f = *state;
    struct cr_aws_config cfg;
    char want[4200];
    assert_int_equal(cr_test_write_file(f->config, "[default]\nregion = us-east-1\nnot a pair\n"),
                     0);
    cr_aws_config_init(&cfg);
    assert_int_equal(cr_aws_config_load(&cfg, &f->env, NULL), CR_EINVALID);
    snprintf(want, sizeof(want), "%s:3: syntax error", f->config);
    assert_non_null(strstr(cr_error_last(), want));
    cr_aws_config_dispose(&cfg);

    assert_int_equal(cr_test_write_file(f->config, "[default\nregion = x\n"), 0);
    cr_aws_config_init(&cfg);
    assert_int_equal(cr_aws_config_load(&cfg, &f->env, NULL), CR_EINVALID);
    snprintf(want, sizeof(want), "%s:1: syntax error", f->config);
    assert_non_null(strstr(cr_error_last(), want));
    cr_aws_config_dispose(&cfg);
}

static void test_config__long_session_token_lines(void **state)
{
    struct cr_aws_config cfg;
    struct cr_buf text = CR_BUF_INIT;
    cr_buf_puts(&text, "[default]\naws_session_token = ");
    for (int i = 0; i < 3000; i++)
        cr_buf_putc(&text, (char)('A' + i % 26));
    cr_buf_puts(&text, "\nregion = us-east-1\n");
    cr_aws_config_init(&cfg);
    assert_ok(cr_aws_config_parse_string(&cfg, cr_buf_cstr(&text), "mem", false));
    assert_int_equal(strlen(cr_aws_config_get(&cfg, "aws_session_token")), 3000);
    assert_string_equal(cr_aws_config_get(&cfg, "region"), "us-east-1");
    cr_aws_config_dispose(&cfg);
    cr_buf_dispose(&text);
}

static void test_config__region_precedence(void **state)
{
    struct fixture *f = *state;
    struct cr_aws_config cfg;
    struct cr_buf r = CR_BUF_INIT;
    assert_int_equal(cr_test_write_file(f->config, "[default]\nregion = eu-west-1\n"), 0);
    cr_aws_config_init(&cfg);
    assert_ok(cr_aws_config_load(&cfg, &f->env, NULL));
    assert_ok(cr_aws_config_region(&r, &cfg, &f->env, NULL));
    assert_string_equal(cr_buf_cstr(&r), "eu-west-1");
    s_set(&f->vars, "AWS_DEFAULT_REGION", "eu-west-2");
    assert_ok(cr_aws_config_region(&r, &cfg, &f->env, NULL));
    assert_string_equal(cr_buf_cstr(&r), "eu-west-2");
    s_set(&f->vars, "AWS_REGION", "eu-west-3");
    assert_ok(cr_aws_config_region(&r, &cfg, &f->env, NULL));
    assert_string_equal(cr_buf_cstr(&r), "eu-west-3");
    assert_ok(cr_aws_config_region(&r, &cfg, &f->env, "ap-northeast-1"));
    assert_string_equal(cr_buf_cstr(&r), "ap-northeast-1");
    /* an empty variable counts as unset */
    s_set(&f->vars, "AWS_REGION", "");
    assert_ok(cr_aws_config_region(&r, &cfg, &f->env, ""));
    assert_string_equal(cr_buf_cstr(&r), "eu-west-2");
    cr_aws_config_dispose(&cfg);
    cr_buf_dispose(&r);
}

static void test_config__missing_region_names_every_source(void **state)
{
    struct fixture *f = *state;
    struct cr_aws_config cfg;
    struct cr_buf r = CR_BUF_INIT, want = CR_BUF_INIT;
    cr_aws_config_init(&cfg);
    assert_ok(cr_aws_config_load(&cfg, &f->env, "ci"));
    assert_int_equal(cr_aws_config_region(&r, &cfg, &f->env, NULL), CR_EINVALID);
    cr_buf_printf(&want,
                  "no AWS region: tried --region, AWS_REGION, AWS_DEFAULT_REGION and 'region' "
                  "of profile 'ci' in %s (file not found)",
                  f->config);
    assert_string_equal(cr_error_last(), cr_buf_cstr(&want));
    assert_int_equal(cr_aws_config_region(&r, NULL, &f->env, NULL), CR_EINVALID);
    assert_string_equal(cr_error_last(),
                        "no AWS region: tried --region, AWS_REGION and AWS_DEFAULT_REGION");
    /* the config file exists but the named profile is not in it: said so */
    assert_int_equal(cr_test_write_file(f->config, "[profile other]\nregion = eu-west-1\n"), 0);
    cr_aws_config_dispose(&cfg);
    assert_ok(cr_aws_config_load(&cfg, &f->env, "ci"));
    assert_int_equal(cr_aws_config_region(&r, &cfg, &f->env, NULL), CR_EINVALID);
    cr_buf_clear(&want);
    cr_buf_printf(&want,
                  "no AWS region: tried --region, AWS_REGION, AWS_DEFAULT_REGION and 'region' "
                  "of profile 'ci' in %s (no such profile)",
                  f->config);
    assert_string_equal(cr_error_last(), cr_buf_cstr(&want));
    cr_aws_config_dispose(&cfg);
    cr_buf_dispose(&r);
    cr_buf_dispose(&want);
}

static void test_config__invalid_region_is_rejected(void **state)
{
    struct fixture *f = *state;
    struct cr_buf r = CR_BUF_INIT;
    assert_int_equal(cr_aws_config_region(&r, NULL, &f->env, "us east 1"), CR_EINVALID);
    assert_non_null(strstr(cr_error_last(), "--region: 'us east 1' is not a valid region"));
    s_set(&f->vars, "AWS_REGION", "-us-east-1");
    assert_int_equal(cr_aws_config_region(&r, NULL, &f->env, NULL), CR_EINVALID);
    assert_non_null(strstr(cr_error_last(), "AWS_REGION"));
    cr_buf_dispose(&r);
}

static void test_config__booleans(void **state)
{
    struct fixture *f = *state;
    struct cr_aws_config cfg;
    bool b = true;
    cr_aws_config_init(&cfg);
    assert_ok(cr_aws_config_parse_string(&cfg, "[default]\nuse_fips_endpoint = TRUE\n", "m", true));
    assert_ok(cr_aws_config_bool(&b, &cfg, &f->env, "AWS_USE_FIPS_ENDPOINT", "use_fips_endpoint"));
    assert_true(b);
    s_set(&f->vars, "AWS_USE_FIPS_ENDPOINT", "false");
    assert_ok(cr_aws_config_bool(&b, &cfg, &f->env, "AWS_USE_FIPS_ENDPOINT", "use_fips_endpoint"));
    assert_false(b);
    s_set(&f->vars, "AWS_USE_FIPS_ENDPOINT", "yes");
    assert_int_equal(
        cr_aws_config_bool(&b, &cfg, &f->env, "AWS_USE_FIPS_ENDPOINT", "use_fips_endpoint"),
        CR_EINVALID);
    assert_non_null(strstr(cr_error_last(), "AWS_USE_FIPS_ENDPOINT: 'yes' is not true or false"));
    assert_ok(cr_aws_config_bool(&b, NULL, &f->env, "AWS_USE_DUALSTACK_ENDPOINT", NULL));
    assert_false(b);
    cr_aws_config_dispose(&cfg);
}

static void test_config__process_environment_when_env_is_null(void **state)
{
    setenv("CR_TEST_CONFIG_VAR", "value", 1);
    assert_string_equal(cr_aws_env_get(NULL, "CR_TEST_CONFIG_VAR"), "value");
    setenv("CR_TEST_CONFIG_VAR", "", 1);
    assert_null(cr_aws_env_get(NULL, "CR_TEST_CONFIG_VAR"));
    unsetenv("CR_TEST_CONFIG_VAR");
    assert_true(cr_aws_env_now(NULL) > 1700000000);
}

#define T(fn) cmocka_unit_test_setup_teardown(fn, s_setup, s_teardown)

int main(void)
{
    const struct CMUnitTest tests[] = {
        T(test_config__profile_sections_in_both_files),
        T(test_config__aws_profile_and_flag_precedence),
        T(test_config__missing_files_are_not_errors),
        T(test_config__home_expansion_for_default_paths),
        T(test_config__syntax_error_names_file_and_line),
        T(test_config__long_session_token_lines),
        T(test_config__region_precedence),
        T(test_config__missing_region_names_every_source),
        T(test_config__invalid_region_is_rejected),
        T(test_config__booleans),
        T(test_config__process_environment_when_env_is_null),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
