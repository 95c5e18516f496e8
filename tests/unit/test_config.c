/* SPDX-License-Identifier: Apache-2.0 */
/* Shared config/credentials files, profiles and region resolution, with an injected
 * environment (never the developer's variables or ~/.aws). */
#include "tests/support/cr_test.h"

#include <stdbool.h>
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

/* A CA bundle that cannot be used is one error saying what is wrong and what to do (unset the
 * variable, remove the profile's setting), never a later network error; none set is fine. */
static void test_config__unusable_ca_bundle_says_what_to_do(void **state)
{
    struct fixture *f = *state;
    struct cr_aws_config cfg;
    const char *path = "x";
    char missing[4200], text[4200], want[9000];
    static const char *const hint_env =
        "(set it to a PEM file of CA certificates, or unset it to use the system trust store)";
    snprintf(missing, sizeof(missing), "%s/no-such.pem", f->dir);
    snprintf(text, sizeof(text), "%s/key.pem", f->dir);
    /* PEM, but a key and no certificate */
    assert_int_equal(cr_test_write_file(text, "-----BEGIN PRIVATE KEY-----\nMC4CAQAwBQYDK2VwBCIEIA==\n"
                                              "-----END PRIVATE KEY-----\n"),
                     0);
    assert_int_equal(cr_test_write_file(f->config, "[profile dev]\nca_bundle = /nonexistent/ca.pem\n"), 0);
    cr_aws_config_init(&cfg);
    assert_ok(cr_aws_config_load(&cfg, &f->env, NULL));
    assert_ok(cr_aws_config_ca_bundle_checked(&path, &cfg, &f->env));
    assert_null(path);

    s_set(&f->vars, "AWS_CA_BUNDLE", missing);
    assert_int_equal(cr_aws_config_ca_bundle_checked(&path, &cfg, &f->env), CR_EINVALID);
    assert_null(path);
    snprintf(want, sizeof(want), "AWS_CA_BUNDLE '%s' cannot be read: No such file or directory %s",
             missing, hint_env);
    assert_string_equal(cr_error_last(), want);

    s_set(&f->vars, "AWS_CA_BUNDLE", f->dir);
    assert_int_equal(cr_aws_config_ca_bundle_checked(&path, &cfg, &f->env), CR_EINVALID);
    snprintf(want, sizeof(want), "AWS_CA_BUNDLE '%s' cannot be read: Is a directory %s", f->dir,
             hint_env);
    assert_string_equal(cr_error_last(), want);

    s_set(&f->vars, "AWS_CA_BUNDLE", text);
    assert_int_equal(cr_aws_config_ca_bundle_checked(&path, &cfg, &f->env), CR_EINVALID);
    snprintf(want, sizeof(want),
             "AWS_CA_BUNDLE '%s' holds no PEM certificate: no -----BEGIN CERTIFICATE----- block %s",
             text, hint_env);
    assert_string_equal(cr_error_last(), want);

    s_set(&f->vars, "AWS_CA_BUNDLE", NULL);
    cr_aws_config_dispose(&cfg);
    cr_aws_config_init(&cfg);
    assert_ok(cr_aws_config_load(&cfg, &f->env, "dev"));
    assert_int_equal(cr_aws_config_ca_bundle_checked(&path, &cfg, &f->env), CR_EINVALID);
    snprintf(want, sizeof(want),
             "ca_bundle '/nonexistent/ca.pem' of profile 'dev' (%s) cannot be read: No such file "
             "or directory (set it to a PEM file of CA certificates, or remove it to use the "
             "system trust store)",
             f->config);
    assert_string_equal(cr_error_last(), want);
    cr_aws_config_dispose(&cfg);
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
    struct cr_aws_config cfg;
    const char *where = NULL;
    char want[4200];
    /* a profile's region is named with the profile and its file */
    assert_int_equal(cr_test_write_file(f->config, "[profile dev]\nregion = us_east_1\n"
                                                   "[profile typo]\nregion = us-wset-2\n"),
                     0);
    cr_aws_config_init(&cfg);
    assert_ok(cr_aws_config_load(&cfg, &f->env, "dev"));
    assert_int_equal(cr_aws_config_region_from(&r, &where, &cfg, &f->env, NULL), CR_EINVALID);
    snprintf(want, sizeof(want), "'region' of profile 'dev' in %s: 'us_east_1' is not a valid",
             f->config);
    assert_non_null(strstr(cr_error_last(), want));
    cr_aws_config_dispose(&cfg);
    cr_aws_config_init(&cfg);
    assert_ok(cr_aws_config_load(&cfg, &f->env, "typo"));
    assert_ok(cr_aws_config_region_from(&r, &where, &cfg, &f->env, NULL));
    cr_aws_config_dispose(&cfg); /* where outlives it */
    snprintf(want, sizeof(want), "'region' of profile 'typo' in %s", f->config);
    assert_string_equal(where, want);
    assert_int_equal(cr_aws_config_check_region(cr_buf_cstr(&r)), CR_EINVALID);
    assert_int_equal(cr_aws_config_region(&r, NULL, &f->env, "us east 1"), CR_EINVALID);
    assert_non_null(strstr(cr_error_last(), "--region: 'us east 1' is not a valid region"));
    s_set(&f->vars, "AWS_REGION", "-us-east-1");
    assert_int_equal(cr_aws_config_region(&r, NULL, &f->env, NULL), CR_EINVALID);
    assert_non_null(strstr(cr_error_last(), "AWS_REGION"));
    cr_buf_dispose(&r);
}

/* Every region of every partition, as listed in botocore's partitions.json (the build's
 * table), and the partitions' global pseudo-regions. */
static const char *const s_known_regions[] = {
    "af-south-1",     "ap-east-1",      "ap-east-2",      "ap-northeast-1",    "ap-northeast-2",
    "ap-northeast-3", "ap-south-1",     "ap-south-2",     "ap-southeast-1",    "ap-southeast-2",
    "ap-southeast-3", "ap-southeast-4", "ap-southeast-5", "ap-southeast-6",    "ap-southeast-7",
    "ca-central-1",   "ca-west-1",      "eu-central-1",   "eu-central-2",      "eu-north-1",
    "eu-south-1",     "eu-south-2",     "eu-west-1",      "eu-west-2",         "eu-west-3",
    "il-central-1",   "me-central-1",   "me-south-1",     "mx-central-1",      "sa-east-1",
    "us-east-1",      "us-east-2",      "us-west-1",      "us-west-2",         "cn-north-1",
    "cn-northwest-1", "us-gov-east-1",  "us-gov-west-1",  "us-iso-east-1",     "us-iso-west-1",
    "us-isob-east-1", "us-isob-west-1", "eu-isoe-west-1", "us-isof-east-1",    "us-isof-south-1",
    "eusc-de-east-1", "aws-global",     "aws-cn-global",  "aws-us-gov-global",
};

static bool s_is_known(const char *region)
{
    for (size_t i = 0; i < sizeof(s_known_regions) / sizeof(s_known_regions[0]); i++)
        if (strcmp(region, s_known_regions[i]) == 0)
            return true;
    return false;
}

static void test_config__region_check(void **state)
{
    (void)state;
    for (size_t i = 0; i < sizeof(s_known_regions) / sizeof(s_known_regions[0]); i++)
        if (cr_aws_config_check_region(s_known_regions[i]) != 0)
            fail_msg("'%s' refused: %s", s_known_regions[i], cr_error_last());
    static const struct {
        const char *typo, *message;
    } rows[] = {
        {"us-esat-1", "unknown region 'us-esat-1' (did you mean 'us-east-1'?)"},
        {"eu-wset-1", "unknown region 'eu-wset-1' (did you mean 'eu-west-1'?)"},
        {"cn-nrth-1", "unknown region 'cn-nrth-1' (did you mean 'cn-north-1'?)"},
        {"us-gov-wst-1", "unknown region 'us-gov-wst-1' (did you mean 'us-gov-west-1'?)"},
        {"localstack", "unknown region 'localstack': not a region of any AWS partition "
                       "known to this build (if AWS opened it since, pass --region-check=off)"},
    };
    for (size_t i = 0; i < sizeof(rows) / sizeof(rows[0]); i++) {
        assert_int_equal(cr_aws_config_check_region(rows[i].typo), CR_EINVALID);
        assert_string_equal(cr_error_last(), rows[i].message);
    }
    /* property: a known region with one character changed, dropped or doubled is refused
     * unless it is itself known, and what is suggested is always a known region */
    const char *env = getenv("CR_TEST_SEED");
    uint32_t base = env ? (uint32_t)strtoul(env, NULL, 10) : 20261206u;
    for (uint32_t round = 0; round < 3000; round++) {
        uint32_t seed = base + round * 7919u;
        uint32_t case_seed = seed ? seed : 1;
        seed = case_seed;
        const char *from = s_known_regions[cr_test_random(&seed) %
                                           (sizeof(s_known_regions) / sizeof(s_known_regions[0]))];
        char typo[64];
        size_t n = strlen(from), at = cr_test_random(&seed) % n;
        unsigned kind = cr_test_random(&seed) % 3;
        char c = "abcdefghijklmnopqrstuvwxyz0123456789-"[cr_test_random(&seed) % 37];
        if (kind == 0) { /* changed */
            snprintf(typo, sizeof(typo), "%s", from);
            typo[at] = c;
        } else if (kind == 1) { /* dropped */
            snprintf(typo, sizeof(typo), "%.*s%s", (int)at, from, from + at + 1);
        } else { /* doubled */
            snprintf(typo, sizeof(typo), "%.*s%s", (int)at + 1, from, from + at);
        }
        int rc = cr_aws_config_check_region(typo);
        if (s_is_known(typo)) {
            if (rc != 0)
                fail_msg("seed %u: known '%s' refused", case_seed, typo);
            continue;
        }
        if (rc != CR_EINVALID)
            fail_msg("seed %u (CR_TEST_SEED=%u, round %u): '%s' (from '%s') accepted", case_seed,
                     base, round, typo, from);
        const char *open = strstr(cr_error_last(), "(did you mean '");
        if (open) {
            char suggested[64];
            const char *start = open + strlen("(did you mean '");
            size_t len = strcspn(start, "'");
            snprintf(suggested, sizeof(suggested), "%.*s", (int)len, start);
            if (!s_is_known(suggested))
                fail_msg("seed %u: '%s' suggests '%s', not a known region", case_seed, typo,
                         suggested);
        }
    }
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
        T(test_config__unusable_ca_bundle_says_what_to_do),
        T(test_config__missing_region_names_every_source),
        T(test_config__invalid_region_is_rejected),
        T(test_config__region_check),
        T(test_config__booleans),
        T(test_config__process_environment_when_env_is_null),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
