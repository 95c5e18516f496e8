/* SPDX-License-Identifier: Apache-2.0 */
/* aws/retry: the classification table and the full-jitter backoff bounds. */
#include "tests/support/cr_test.h"

#include <string.h>

#include "aws/retry.h"

struct s_case {
    enum cr_cognito_op op;
    enum cr_retry_transport transport;
    bool sent;
    long status;
    const char *type;
    enum cr_retry_decision want;
};

static void test_retry__classification_table(void **state)
{
    (void)state;
    const enum cr_cognito_op D = CR_OP_DESCRIBE_IDENTITY_POOL, C = CR_OP_CREATE_IDENTITY_POOL,
                             U = CR_OP_UPDATE_IDENTITY_POOL, T = CR_OP_TAG_RESOURCE;
    const enum cr_retry_transport OK = CR_RETRY_TRANSPORT_OK, CON = CR_RETRY_TRANSPORT_CONNECT,
                                  SR = CR_RETRY_TRANSPORT_SEND_RECV,
                                  TO = CR_RETRY_TRANSPORT_TIMEOUT,
                                  BIG = CR_RETRY_TRANSPORT_TOO_LARGE,
                                  FAT = CR_RETRY_TRANSPORT_FATAL;
    static const struct s_case *unused;
    (void)unused;
    const struct s_case cases[] = {
        {D, OK, true, 200, NULL, CR_RETRY_SUCCESS},
        {C, OK, true, 200, NULL, CR_RETRY_SUCCESS},
        /* throttling: retried for every operation, Create included (nothing happened) */
        {D, OK, true, 400, "TooManyRequestsException", CR_RETRY_THROTTLED},
        {C, OK, true, 400, "TooManyRequestsException", CR_RETRY_THROTTLED},
        {T, OK, true, 400, "ThrottlingException", CR_RETRY_THROTTLED},
        {T, OK, true, 400, "RequestLimitExceeded", CR_RETRY_THROTTLED},
        {U, OK, true, 400, "LimitExceededException", CR_RETRY_THROTTLED},
        {D, OK, true, 429, "", CR_RETRY_THROTTLED},
        /* LimitExceeded on Create is the pool quota: final */
        {C, OK, true, 400, "LimitExceededException", CR_RETRY_FAIL},
        /* 5xx: retried, except Create, which may have happened */
        {D, OK, true, 500, "InternalErrorException", CR_RETRY_TRANSIENT},
        {D, OK, true, 503, "", CR_RETRY_TRANSIENT},
        {C, OK, true, 500, "InternalErrorException", CR_RETRY_AMBIGUOUS},
        {C, OK, true, 502, "", CR_RETRY_AMBIGUOUS},
        {U, OK, true, 400, "ConcurrentModificationException", CR_RETRY_TRANSIENT},
        /* client errors: final */
        {D, OK, true, 400, "ResourceNotFoundException", CR_RETRY_FAIL},
        {U, OK, true, 400, "InvalidParameterException", CR_RETRY_FAIL},
        {D, OK, true, 400, "ValidationException", CR_RETRY_FAIL},
        {D, OK, true, 400, "NotAuthorizedException", CR_RETRY_FAIL},
        {D, OK, true, 403, "UnrecognizedClientException", CR_RETRY_FAIL},
        {C, OK, true, 400, "ResourceConflictException", CR_RETRY_FAIL},
        /* transport */
        {D, CON, false, 0, NULL, CR_RETRY_TRANSIENT},
        {C, CON, false, 0, NULL, CR_RETRY_TRANSIENT},
        {D, SR, true, 0, NULL, CR_RETRY_TRANSIENT},
        {C, SR, true, 0, NULL, CR_RETRY_AMBIGUOUS},
        {C, SR, false, 0, NULL, CR_RETRY_TRANSIENT},
        {D, TO, true, 0, NULL, CR_RETRY_TRANSIENT},
        {C, TO, true, 0, NULL, CR_RETRY_AMBIGUOUS},
        {C, TO, false, 0, NULL, CR_RETRY_TRANSIENT},
        {D, BIG, true, 200, NULL, CR_RETRY_FAIL},
        {C, BIG, true, 200, NULL, CR_RETRY_AMBIGUOUS},
        {D, FAT, false, 0, NULL, CR_RETRY_FAIL},
    };
    for (size_t i = 0; i < sizeof(cases) / sizeof(cases[0]); i++) {
        struct cr_retry_outcome o = {cases[i].transport, cases[i].sent, cases[i].status,
                                     cases[i].type};
        enum cr_retry_decision got = cr_retry_classify(cases[i].op, &o);
        if (got != cases[i].want)
            print_error("case %zu (%s %ld %s): got %d want %d\n", i,
                        cr_cognito_op_name(cases[i].op), cases[i].status,
                        cases[i].type ? cases[i].type : "-", got, cases[i].want);
        assert_int_equal(got, cases[i].want);
    }
}

static void test_retry__throttle_and_auth_predicates(void **state)
{
    (void)state;
    assert_true(cr_retry_is_throttle(CR_OP_TAG_RESOURCE, "TooManyRequestsException"));
    assert_true(cr_retry_is_throttle(CR_OP_TAG_RESOURCE, "LimitExceededException"));
    assert_false(cr_retry_is_throttle(CR_OP_CREATE_IDENTITY_POOL, "LimitExceededException"));
    assert_false(cr_retry_is_throttle(CR_OP_TAG_RESOURCE, ""));
    assert_false(cr_retry_is_throttle(CR_OP_TAG_RESOURCE, NULL));
    assert_false(cr_retry_is_throttle(CR_OP_TAG_RESOURCE, "InvalidParameterException"));
    assert_true(cr_retry_is_auth_error("NotAuthorizedException"));
    assert_true(cr_retry_is_auth_error("UnrecognizedClientException"));
    assert_true(cr_retry_is_auth_error("InvalidSignatureException"));
    assert_true(cr_retry_is_auth_error("ExpiredTokenException"));
    assert_false(cr_retry_is_auth_error("ResourceNotFoundException"));
    assert_false(cr_retry_is_auth_error(NULL));
}

static void test_retry__clock_skew_errors(void **state)
{
    (void)state;
    assert_true(cr_retry_is_clock_skew("RequestTimeTooSkewed", NULL));
    assert_true(cr_retry_is_clock_skew("InvalidSignatureException",
                                       "Signature expired: 20150830T123600Z is now earlier than "
                                       "20150830T124500Z (20150830T125000Z - 5 min.)"));
    assert_true(cr_retry_is_clock_skew("InvalidSignatureException",
                                       "Signature not yet current: 20150830T133600Z is still "
                                       "later than 20150830T125500Z (20150830T125000Z + 5 min.)"));
    assert_false(cr_retry_is_clock_skew("InvalidSignatureException",
                                        "The request signature we calculated does not match"));
    assert_false(cr_retry_is_clock_skew("ResourceNotFoundException", "Signature expired"));
    assert_false(cr_retry_is_clock_skew(NULL, NULL));
}

static void test_retry__backoff_full_jitter_bounds(void **state)
{
    (void)state;
    struct cr_retry_policy p;
    cr_retry_policy_default(&p);
    assert_int_equal(p.max_attempts, 5);
    /* unit 0 -> 0, unit ~1 -> the ceiling min(cap, base * 2^(attempt-1)) */
    for (unsigned attempt = 1; attempt <= 40; attempt++) {
        uint64_t ceiling = p.base_ms;
        for (unsigned i = 1; i < attempt && ceiling < p.cap_ms; i++)
            ceiling *= 2;
        if (ceiling > p.cap_ms)
            ceiling = p.cap_ms;
        assert_int_equal(cr_retry_backoff_ms(&p, attempt, 0.0), 0);
        assert_int_equal(cr_retry_backoff_ms(&p, attempt, 0.9999999), ceiling);
        uint32_t mid = cr_retry_backoff_ms(&p, attempt, 0.5);
        assert_in_range(mid, ceiling / 2 - 1, ceiling);
    }
    assert_int_equal(cr_retry_backoff_ms(&p, 1, 0.9999999), 100);
    assert_int_equal(cr_retry_backoff_ms(&p, 2, 0.9999999), 200);
    assert_int_equal(cr_retry_backoff_ms(&p, 3, 0.9999999), 400);
    assert_int_equal(cr_retry_backoff_ms(&p, 10, 0.9999999), 5000);
    /* out-of-range randomness is clamped, never beyond the ceiling */
    assert_int_equal(cr_retry_backoff_ms(&p, 1, 7.0), 100);
    assert_int_equal(cr_retry_backoff_ms(&p, 1, -1.0), 0);
    /* 2^attempt never overflows */
    assert_int_equal(cr_retry_backoff_ms(&p, 4000000000u, 0.9999999), 5000);
}

static void test_retry__attempts_and_total_time_bounded(void **state)
{
    (void)state;
    struct cr_retry_policy p = {
        .max_attempts = 3, .base_ms = 10, .cap_ms = 100, .max_total_ms = 50};
    assert_true(cr_retry_allowed(&p, 1, 0, 10));
    assert_true(cr_retry_allowed(&p, 2, 40, 10));
    assert_false(cr_retry_allowed(&p, 3, 0, 0));   /* attempts used up */
    assert_false(cr_retry_allowed(&p, 2, 45, 10)); /* would pass the time budget */
}

/* ---- AWS_RETRY_MODE, AWS_MAX_ATTEMPTS and the profile's retry_mode / max_attempts ---- */

static const char *const *s_vars; /* NAME, VALUE pairs, NULL-terminated */

static const char *s_getenv(void *ctx, const char *name)
{
    (void)ctx;
    for (size_t i = 0; s_vars && s_vars[i]; i += 2)
        if (strcmp(s_vars[i], name) == 0)
            return s_vars[i + 1];
    return NULL;
}

static const struct cr_aws_env s_env = {s_getenv, NULL, NULL, NULL};

static void s_profile(struct cr_aws_config *cfg, const char *text)
{
    cr_aws_config_init(cfg);
    assert_ok(cr_aws_config_parse_string(cfg, text, "config", true));
}

static void test_retry__settings_environment_over_profile_over_default(void **state)
{
    (void)state;
    struct cr_retry_settings rs;
    struct cr_aws_config cfg;
    s_vars = NULL;
    assert_ok(cr_retry_settings_resolve(&rs, NULL, &s_env, 5));
    assert_int_equal(rs.mode, CR_RETRY_MODE_ADAPTIVE); /* ours: pace to the quota by itself */
    assert_int_equal(rs.max_attempts, 5);
    assert_string_equal(rs.mode_from, "default");
    s_profile(&cfg, "[default]\nretry_mode = standard\nmax_attempts = 3\n");
    assert_ok(cr_retry_settings_resolve(&rs, &cfg, &s_env, 5));
    assert_int_equal(rs.mode, CR_RETRY_MODE_STANDARD);
    assert_int_equal(rs.max_attempts, 3);
    assert_string_equal(rs.attempts_from, "max_attempts in the AWS config profile");
    static const char *const env[] = {"AWS_RETRY_MODE", "adaptive", "AWS_MAX_ATTEMPTS", "10", NULL};
    s_vars = env;
    assert_ok(cr_retry_settings_resolve(&rs, &cfg, &s_env, 5));
    assert_int_equal(rs.mode, CR_RETRY_MODE_ADAPTIVE);
    assert_int_equal(rs.max_attempts, 10);
    assert_string_equal(rs.mode_from, "AWS_RETRY_MODE");
    /* empty variables count as unset; legacy is standard */
    static const char *const empty[] = {"AWS_RETRY_MODE", "", "AWS_MAX_ATTEMPTS", "", NULL};
    s_vars = empty;
    cr_aws_config_dispose(&cfg);
    s_profile(&cfg, "[default]\nretry_mode = legacy\n");
    assert_ok(cr_retry_settings_resolve(&rs, &cfg, &s_env, 4));
    assert_int_equal(rs.mode, CR_RETRY_MODE_STANDARD);
    assert_int_equal(rs.max_attempts, 4);
    assert_string_equal(cr_retry_mode_name(rs.mode), "standard");
    cr_aws_config_dispose(&cfg);
    s_vars = NULL;
}

static void test_retry__settings_bad_values_name_their_source(void **state)
{
    (void)state;
    static const struct {
        const char *const env[5];
        const char *profile, *message;
    } cases[] = {
        {{"AWS_RETRY_MODE", "fast", NULL},
         "",
         "AWS_RETRY_MODE: 'fast' is not a retry mode (standard, adaptive or legacy)"},
        {{"AWS_MAX_ATTEMPTS", "0", NULL},
         "",
         "AWS_MAX_ATTEMPTS: '0' is not a number of attempts (1 to 100)"},
        {{"AWS_MAX_ATTEMPTS", "3x", NULL}, "", "AWS_MAX_ATTEMPTS: '3x'"},
        {{"AWS_MAX_ATTEMPTS", "101", NULL}, "", "AWS_MAX_ATTEMPTS: '101'"},
        {{NULL},
         "[default]\nretry_mode = Adaptive\n",
         "retry_mode in the AWS config profile: 'Adaptive' is not a retry mode"},
        {{NULL},
         "[default]\nmax_attempts = -2\n",
         "max_attempts in the AWS config profile: '-2' is not a number of attempts"},
    };
    for (size_t i = 0; i < sizeof(cases) / sizeof(cases[0]); i++) {
        struct cr_retry_settings rs;
        struct cr_aws_config cfg;
        s_profile(&cfg, cases[i].profile);
        s_vars = cases[i].env;
        assert_int_equal(cr_retry_settings_resolve(&rs, &cfg, &s_env, 5), CR_EINVALID);
        if (!strstr(cr_error_last(), cases[i].message))
            fail_msg("case %zu: '%s' lacks '%s'", i, cr_error_last(), cases[i].message);
        cr_aws_config_dispose(&cfg);
    }
    s_vars = NULL;
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_retry__classification_table),
        cmocka_unit_test(test_retry__throttle_and_auth_predicates),
        cmocka_unit_test(test_retry__clock_skew_errors),
        cmocka_unit_test(test_retry__backoff_full_jitter_bounds),
        cmocka_unit_test(test_retry__attempts_and_total_time_bounded),
        cmocka_unit_test(test_retry__settings_environment_over_profile_over_default),
        cmocka_unit_test(test_retry__settings_bad_values_name_their_source),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
