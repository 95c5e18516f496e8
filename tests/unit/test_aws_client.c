/* SPDX-License-Identifier: Apache-2.0 */
/*
 * aws/client: the perform loop (retries, re-signing, ambiguity of CreateIdentityPool,
 * backoff that does not block other calls, token buckets, --debug redaction) against the
 * in-process canned server of test_http_server.h. The emulator-backed round trips live in
 * tests/integration/test_aws_client.c.
 */
#include "tests/support/cr_test.h"
#include "tests/unit/test_http_server.h"

#include <fcntl.h>

#include "aws/client.h"
#include "aws/ratelimit.h"
#include "util/strutil.h"

#define S_SECRET  "wJalrXUtnFEMI/K7MDENG+bPxRfiCYEXAMPLEKEY"
#define S_TOKEN   "IQoJb3JpZ2luX2VjSESSIONTOKENSECRET0123456789"
#define S_POOL_ID "us-east-1:0b6f0000-1111-2222-3333-444455556666"
#define S_POOL_JSON                                                                                \
    "{\"IdentityPoolId\":\"" S_POOL_ID "\",\"IdentityPoolName\":\"p\","                            \
    "\"AllowUnauthenticatedIdentities\":false,\"IdentityPoolTags\":{}}"
#define S_THROTTLE "{\"__type\":\"TooManyRequestsException\",\"message\":\"Rate exceeded\"}"

static int64_t s_clock_s;
static const char *s_rate_env; /* COGNITO_RECONCILE_RATE_LIMITS */

static const char *s_getenv(void *ctx, const char *name)
{
    (void)ctx;
    static const char *const vars[][2] = {
        {"AWS_ACCESS_KEY_ID", "AKIDEXAMPLE"},
        {"AWS_SECRET_ACCESS_KEY", S_SECRET},
        {"AWS_SESSION_TOKEN", S_TOKEN},
        {"AWS_REGION", "us-east-1"},
        {"HOME", "/nonexistent-cr-test-home"},
        {"AWS_CONFIG_FILE", "/nonexistent-cr-test-home/config"},
        {"AWS_SHARED_CREDENTIALS_FILE", "/nonexistent-cr-test-home/credentials"},
    };
    if (strcmp(name, CR_RATELIMIT_ENV) == 0)
        return s_rate_env;
    for (size_t i = 0; i < sizeof(vars) / sizeof(vars[0]); i++)
        if (strcmp(name, vars[i][0]) == 0)
            return vars[i][1];
    return NULL;
}

/* Every reading of the clock moves one second on, so each signature has its own date. */
static int64_t s_clock(void *ctx)
{
    (void)ctx;
    return s_clock_s++;
}

static const struct cr_aws_env s_env = {s_getenv, NULL, s_clock, NULL};

static double s_random_max(void *ctx)
{
    (void)ctx;
    return 0.999999;
}

/* The pool the CreateIdentityPool cases ask for. */
static const struct cr_cognito_pool s_mobile = {.name = "Mobile", .allow_classic_flow = -1};

static struct cr_aws_client *s_client(struct cr_aws_options *o)
{
    struct cr_aws_client *c = NULL;
    s_clock_s = 1440938160; /* 2015-08-30T12:36:00Z */
    o->endpoint_url = s_server_url();
    o->env = &s_env;
    if (!o->retry_base_ms)
        o->retry_base_ms = 5;
    assert_ok(cr_aws_client_new(&c, o));
    assert_string_equal(cr_aws_client_region(c), "us-east-1");
    return c;
}

static void test_aws_client__throttling_is_retried_and_resigned(void **state)
{
    (void)state;
    struct cr_aws_options o = {0};
    struct cr_aws_client *c = s_client(&o);
    struct cr_cognito_pool pool;
    s_script(400, S_THROTTLE, 0, false);
    s_script(400, "{\"__type\":\"com.amazonaws#ThrottlingException\"}", 0, false);
    s_script(200, S_POOL_JSON, 0, false);
    assert_ok(cr_cognito_describe_pool(c, &pool, S_POOL_ID));
    assert_string_equal(pool.id, S_POOL_ID);
    assert_int_equal(atomic_load(&s_srv.n_requests), 3);
    assert_int_equal(cr_aws_client_request_count(c, CR_OP_DESCRIBE_IDENTITY_POOL), 3);
    /* each attempt signed afresh: new X-Amz-Date, new signature */
    assert_string_not_equal(s_srv.dates[0], s_srv.dates[1]);
    assert_string_not_equal(s_srv.authorizations[0], s_srv.authorizations[1]);
    assert_string_equal(s_srv.targets[2], "AWSCognitoIdentityService.DescribeIdentityPool");
    cr_cognito_pool_dispose(&pool);
    cr_aws_client_free(c);
}

static void test_aws_client__create_is_not_retried_after_5xx(void **state)
{
    (void)state;
    struct cr_aws_options o = {0};
    struct cr_aws_client *c = s_client(&o);
    struct cr_cognito_pool out;
    s_script(500, "{\"__type\":\"InternalErrorException\",\"message\":\"boom\"}", 0, false);
    s_script(200, S_POOL_JSON, 0, false);
    assert_int_equal(cr_cognito_create_pool(c, &out, &s_mobile), CR_EAMBIGUOUS);
    assert_int_equal(atomic_load(&s_srv.n_requests), 1);
    assert_non_null(strstr(cr_error_last(), "CreateIdentityPool 'Mobile': outcome unknown"));
    assert_non_null(strstr(cr_error_last(), "InternalErrorException: boom"));
    cr_aws_client_free(c);
}

static void test_aws_client__create_is_not_retried_after_a_dropped_connection(void **state)
{
    (void)state;
    struct cr_aws_options o = {0};
    struct cr_aws_client *c = s_client(&o);
    struct cr_cognito_pool out;
    s_script(0, NULL, 0, true);
    assert_int_equal(cr_cognito_create_pool(c, &out, &s_mobile), CR_EAMBIGUOUS);
    assert_int_equal(atomic_load(&s_srv.n_requests), 1);
    cr_aws_client_free(c);
}

static void test_aws_client__reads_are_retried_after_drops_and_timeouts(void **state)
{
    (void)state;
    struct cr_aws_options o = {.timeout_ms = 300};
    struct cr_aws_client *c = s_client(&o);
    struct cr_cognito_pool pool;
    s_script(0, NULL, 0, true);              /* connection closed without an answer */
    s_script(200, S_POOL_JSON, 1000, false); /* too slow: the attempt times out */
    s_script(200, S_POOL_JSON, 0, false);
    assert_ok(cr_cognito_describe_pool(c, &pool, S_POOL_ID));
    assert_string_equal(pool.id, S_POOL_ID);
    assert_int_equal(cr_aws_client_request_count(c, CR_OP_DESCRIBE_IDENTITY_POOL), 3);
    cr_cognito_pool_dispose(&pool);
    cr_aws_client_free(c);
}

/* libcurl silently re-sends a request whose reused keep-alive connection died before any
 * answer; for CreateIdentityPool that would make a twin, so Create never reuses one. */
static void test_aws_client__create_on_a_warm_connection_is_not_resent(void **state)
{
    (void)state;
    struct cr_aws_options o = {0};
    struct cr_aws_client *c = s_client(&o);
    struct cr_cognito_pool out;
    s_script(200, S_POOL_JSON, 0, false);
    assert_ok(cr_cognito_describe_pool(c, &out, S_POOL_ID)); /* warms a connection */
    cr_cognito_pool_dispose(&out);
    s_script(0, NULL, 0, true);
    s_script(200, S_POOL_JSON, 0, false);
    assert_int_equal(cr_cognito_create_pool(c, &out, &s_mobile), CR_EAMBIGUOUS);
    assert_int_equal(atomic_load(&s_srv.n_requests), 2);
    cr_aws_client_free(c);
}

static void test_aws_client__create_quota_is_final_but_throttle_retried(void **state)
{
    (void)state;
    struct cr_aws_options o = {0};
    struct cr_aws_client *c = s_client(&o);
    struct cr_cognito_pool out;
    s_script(400, "{\"__type\":\"LimitExceededException\",\"message\":\"quota\"}", 0, false);
    assert_int_equal(cr_cognito_create_pool(c, &out, &s_mobile), CR_ESERVICE);
    assert_int_equal(atomic_load(&s_srv.n_requests), 1);
    assert_non_null(strstr(cr_error_last(), "LimitExceededException: quota"));
    s_script(400, S_THROTTLE, 0, false);
    s_script(200, S_POOL_JSON, 0, false);
    assert_ok(cr_cognito_create_pool(c, &out, &s_mobile));
    assert_int_equal(atomic_load(&s_srv.n_requests), 3);
    cr_cognito_pool_dispose(&out);
    cr_aws_client_free(c);
}

/* A service that quotes back what it was sent must not put a token into our messages. */
static void test_aws_client__error_messages_never_quote_a_token(void **state)
{
    (void)state;
    struct cr_aws_options o = {0};
    struct cr_aws_client *c = s_client(&o);
    struct cr_cognito_pool pool;
    s_script(400,
             "{\"__type\":\"ValidationException\",\"message\":\"request had "
             "X-Amz-Security-Token=" S_TOKEN " and \\\"SecretAccessKey\\\": \\\"" S_SECRET
             "\\\"\"}",
             0, false);
    assert_int_equal(cr_cognito_describe_pool(c, &pool, S_POOL_ID), CR_ESERVICE);
    assert_non_null(strstr(cr_error_last(), "ValidationException: request had "
                                            "X-Amz-Security-Token=[redacted]"));
    assert_null(strstr(cr_error_last(), S_TOKEN));
    assert_null(strstr(cr_error_last(), S_SECRET));
    cr_aws_client_free(c);
}

static void test_aws_client__errors_map_to_codes_and_messages(void **state)
{
    (void)state;
    struct cr_aws_options o = {.max_attempts = 3};
    struct cr_aws_client *c = s_client(&o);
    struct cr_cognito_pool pool;
    s_script(400,
             "{\"__type\":\"ResourceNotFoundException\",\"message\":\"IdentityPool '" S_POOL_ID
             "' not found.\"}",
             0, false);
    assert_int_equal(cr_cognito_describe_pool(c, &pool, S_POOL_ID), CR_ENOTFOUND);
    assert_string_equal(cr_error_last(),
                        "DescribeIdentityPool " S_POOL_ID
                        ": ResourceNotFoundException: IdentityPool '" S_POOL_ID "' not found.");
    s_script(400, "{\"__type\":\"UnrecognizedClientException\",\"message\":\"bad token\"}", 0,
             false);
    assert_int_equal(cr_cognito_delete_pool(c, S_POOL_ID), CR_EAUTH);
    for (int i = 0; i < 3; i++)
        s_script(400, S_THROTTLE, 0, false);
    assert_int_equal(cr_cognito_delete_pool(c, S_POOL_ID), CR_ETHROTTLED);
    assert_non_null(strstr(cr_error_last(), "(after 3 attempts)"));
    for (int i = 0; i < 3; i++)
        s_script(503, "<html><body>Service Unavailable</body></html>", 0, false);
    assert_int_equal(cr_cognito_delete_pool(c, S_POOL_ID), CR_ESERVICE);
    assert_non_null(strstr(cr_error_last(), "HTTP 503"));
    s_script(200, "{\"IdentityPoolId\":", 0, false); /* truncated answer */
    assert_int_equal(cr_cognito_describe_pool(c, &pool, S_POOL_ID), CR_EINVALID);
    assert_non_null(strstr(cr_error_last(), "DescribeIdentityPool: IdentityPool response"));
    /* 1 + 1 + 3 + 3 + 1 */
    assert_int_equal(atomic_load(&s_srv.n_requests), 9);
    cr_aws_client_free(c);
}

static void test_aws_client__backoff_does_not_block_other_calls(void **state)
{
    (void)state;
    /* parallelism 1 makes the order deterministic: A is throttled and waits ~300 ms; B must
     * run during that wait, so the server sees A, B, A */
    struct cr_aws_options o = {.parallelism = 1, .retry_base_ms = 300};
    struct cr_aws_client *c = s_client(&o);
    cr_aws__client_set_random(c, s_random_max, NULL);
    struct cr_aws_call calls[2];
    cr_aws_call_init(&calls[0], CR_OP_DESCRIBE_IDENTITY_POOL);
    cr_aws_call_init(&calls[1], CR_OP_GET_IDENTITY_POOL_ROLES);
    assert_ok(cr_cognito_encode_pool_id(&calls[0].body, S_POOL_ID));
    assert_ok(cr_cognito_encode_pool_id(&calls[1].body, S_POOL_ID));
    s_script(400, S_THROTTLE, 0, false);
    s_script(200, "{\"IdentityPoolId\":\"" S_POOL_ID "\",\"Roles\":{}}", 0, false);
    s_script(200, S_POOL_JSON, 0, false);
    uint64_t start = cr_now_ms();
    assert_ok(cr_aws_perform(c, calls, 2));
    uint64_t took = cr_now_ms() - start;
    assert_string_equal(s_srv.targets[0], "AWSCognitoIdentityService.DescribeIdentityPool");
    assert_string_equal(s_srv.targets[1], "AWSCognitoIdentityService.GetIdentityPoolRoles");
    assert_string_equal(s_srv.targets[2], "AWSCognitoIdentityService.DescribeIdentityPool");
    assert_int_equal(calls[0].attempts, 2);
    assert_int_equal(calls[1].attempts, 1);
    /* A waited its backoff: a lower bound, which a slow machine cannot break */
    assert_in_range(took, 290, UINT64_MAX);
    assert_non_null(strstr(calls[0].response.ptr, "\"IdentityPoolName\":\"p\""));
    cr_aws_call_dispose(&calls[0]);
    cr_aws_call_dispose(&calls[1]);
    cr_aws_client_free(c);
}

/* Runs n TagResource calls and then one DescribeIdentityPool, one at a time (parallelism 1),
 * and returns how long they took. Calls start in order unless one must wait for its token
 * bucket, which lets the DescribeIdentityPool behind it go first. */
static uint64_t s_time_tags(struct cr_aws_options *o, int n)
{
    o->parallelism = 1;
    struct cr_aws_client *c = s_client(o);
    struct cr_aws_call calls[8];
    struct cr_strmap tags = {0};
    assert_ok(cr_strmap_set(&tags, "k", "v"));
    for (int i = 0; i < n; i++) {
        cr_aws_call_init(&calls[i], CR_OP_TAG_RESOURCE);
        assert_ok(cr_cognito_encode_tag(&calls[i].body,
                                        "arn:aws:cognito-identity:us-east-1:1:"
                                        "identitypool/x",
                                        &tags));
    }
    cr_aws_call_init(&calls[n], CR_OP_DESCRIBE_IDENTITY_POOL);
    assert_ok(cr_cognito_encode_pool_id(&calls[n].body, S_POOL_ID));
    uint64_t start = cr_now_ms();
    assert_ok(cr_aws_perform(c, calls, (size_t)n + 1));
    uint64_t took = cr_now_ms() - start;
    for (int i = 0; i <= n; i++)
        cr_aws_call_dispose(&calls[i]);
    cr_strmap_dispose(&tags);
    cr_aws_client_free(c);
    return took;
}

/* s_time_tags(o, n), checking that no TagResource waited: the server saw the n of them before
 * the DescribeIdentityPool queued behind them. Nothing is timed, so a slow machine cannot
 * fail this (a wait would have let the DescribeIdentityPool overtake). */
static void s_tags_without_waiting(struct cr_aws_options *o, int n)
{
    int first = atomic_load(&s_srv.n_requests);
    s_time_tags(o, n);
    assert_int_equal(atomic_load(&s_srv.n_requests), first + n + 1);
    for (int i = first; i < first + n; i++)
        assert_string_equal(s_srv.targets[i], "AWSCognitoIdentityService.TagResource");
    assert_string_equal(s_srv.targets[first + n], "AWSCognitoIdentityService.DescribeIdentityPool");
}

static struct cr_aws_options s_rates_options;

static void s_rates_run(void *ctx)
{
    (void)ctx;
    struct cr_aws_options o = s_rates_options;
    o.debug = true;
    cr_aws_client_free(s_client(&o));
}

/* The token buckets a client with these options sets up, from its --debug line
 * ("rate limits: TagResource=5:2 ..."; rate:burst, unlimited operations not listed). */
static char *s_rate_limits(const struct cr_aws_options *o)
{
    s_rates_options = *o;
    char *out = s_capture_stderr(s_rates_run, NULL);
    const char *line = strstr(out, "debug: aws rate limits:");
    if (!line)
        fail_msg("no rate limits line in: %s", out);
    char *copy = strndup(line, strcspn(line, "\n"));
    free(out);
    return copy;
}

/* rate_limits has (want) or lacks (want NULL) " TagResource=<want>". */
static void s_assert_tag_limit(const struct cr_aws_options *o, const char *want)
{
    char *line = s_rate_limits(o);
    const char *got = strstr(line, " TagResource=");
    if (want && (!got || strncmp(got + 13, want, strlen(want)) != 0 ||
                 (got[13 + strlen(want)] != ' ' && got[13 + strlen(want)] != '\0')))
        fail_msg("want TagResource=%s in '%s'", want, line);
    if (!want && got)
        fail_msg("want TagResource unlimited in '%s'", line);
    free(line);
}

static void test_aws_client__tag_calls_respect_the_token_bucket(void **state)
{
    (void)state;
    struct cr_aws_options limited = {0};
    s_assert_tag_limit(&limited, "5:2"); /* the default bucket holds two calls */
    uint64_t took = s_time_tags(&limited, 6);
    /* two at once, then four gaps of 200 ms: a lower bound, which a slow machine cannot
     * break */
    assert_in_range(took, 750, UINT64_MAX);
    struct cr_aws_options unlimited = {0};
    unlimited.rate_per_second[CR_OP_TAG_RESOURCE] = -1;
    s_assert_tag_limit(&unlimited, NULL);
    s_tags_without_waiting(&unlimited, 6);
}

static void test_aws_client__rate_limits_from_environment_and_option(void **state)
{
    (void)state;
    /* the environment lifts the default 5/s limit of TagResource */
    s_rate_env = "TagResource=unlimited";
    struct cr_aws_options from_env = {0};
    s_assert_tag_limit(&from_env, NULL);
    s_tags_without_waiting(&from_env, 6);
    /* --rate-limit wins over the environment: at 4/s the third of three calls waits 250 ms */
    struct cr_aws_options from_option = {.rate_limits = "TagResource=4"};
    s_assert_tag_limit(&from_option, "4:2");
    assert_in_range(s_time_tags(&from_option, 3), 200, UINT64_MAX);
    /* a wildcard then a burst: four calls at once, none waiting */
    struct cr_aws_options burst = {.rate_limits = "*=1,TagResource=1:4"};
    s_assert_tag_limit(&burst, "1:4");
    s_tags_without_waiting(&burst, 4);
    s_rate_env = NULL;
}

static void test_aws_client__bad_rate_limits_are_refused(void **state)
{
    (void)state;
    struct cr_aws_client *c = NULL;
    struct cr_aws_options o = {.env = &s_env, .endpoint_url = s_server_url()};
    s_rate_env = "TagResourse=3";
    assert_int_equal(cr_aws_client_new(&c, &o), CR_EINVALID);
    assert_null(c);
    assert_string_equal(cr_error_last(), CR_RATELIMIT_ENV ": unknown operation 'TagResourse' "
                                                          "(did you mean 'TagResource'?)");
    s_rate_env = NULL;
    o.rate_limits = "ListTagsForResource=0";
    assert_int_equal(cr_aws_client_new(&c, &o), CR_EINVALID);
    assert_null(c);
    assert_non_null(strstr(cr_error_last(), "--rate-limit: ListTagsForResource: rate '0'"));
}

static void test_aws_client__response_cap(void **state)
{
    (void)state;
    struct cr_aws_options o = {.max_response_bytes = 100};
    struct cr_aws_client *c = s_client(&o);
    struct cr_cognito_pool pool;
    s_srv.body_len = 5000;
    assert_int_equal(cr_cognito_describe_pool(c, &pool, S_POOL_ID), CR_ELIMIT);
    assert_non_null(strstr(cr_error_last(), "100-byte cap"));
    cr_aws_client_free(c);
}

static void test_aws_client__list_pools_follows_next_token(void **state)
{
    (void)state;
    struct cr_aws_options o = {0};
    struct cr_aws_client *c = s_client(&o);
    struct cr_cognito_pool_page all;
    s_script(
        200,
        "{\"IdentityPools\":[{\"IdentityPoolId\":\"us-east-1:1\",\"IdentityPoolName\":\"a\"},"
        "{\"IdentityPoolId\":\"us-east-1:2\",\"IdentityPoolName\":\"b\"}],\"NextToken\":\"t1\"}",
        0, false);
    s_script(200, "{\"IdentityPools\":[{\"IdentityPoolId\":\"us-east-1:3\"}]}", 0, false);
    assert_ok(cr_cognito_list_pools(c, &all));
    assert_int_equal(all.len, 3);
    assert_string_equal(all.items[2].id, "us-east-1:3");
    assert_null(all.next_token);
    assert_int_equal(atomic_load(&s_srv.n_requests), 2);
    assert_string_equal(s_srv.last_body, "{\"MaxResults\":60,\"NextToken\":\"t1\"}");
    cr_cognito_pool_page_dispose(&all);
    cr_aws_client_free(c);
}

static void s_debug_run(void *ctx)
{
    (void)ctx;
    struct cr_aws_options o = {.debug = true, .debug_headers = true};
    struct cr_aws_client *c = s_client(&o);
    struct cr_cognito_pool pool;
    s_script(400, S_THROTTLE, 0, false);
    s_script(200, S_POOL_JSON, 0, false);
    assert_ok(cr_cognito_describe_pool(c, &pool, S_POOL_ID));
    cr_cognito_pool_dispose(&pool);
    cr_aws_client_free(c);
}

static void test_aws_client__debug_lines_are_redacted(void **state)
{
    (void)state;
    char *out = s_capture_stderr(s_debug_run, NULL);
    print_message("%s", out);
    assert_non_null(strstr(out, "debug: aws DescribeIdentityPool attempt=1 status=400"));
    assert_non_null(strstr(out, "request_id=req-1"));
    assert_non_null(strstr(out, "error=TooManyRequestsException retry_in_ms="));
    assert_non_null(strstr(out, "attempt=2 status=200 duration_ms="));
    assert_non_null(strstr(out, "Authorization: [redacted]"));
    assert_non_null(strstr(out, "X-Amz-Security-Token: [redacted]"));
    assert_non_null(strstr(out, "X-Amz-Target: AWSCognitoIdentityService.DescribeIdentityPool"));
    /* no secret, token or signature anywhere */
    assert_null(strstr(out, S_SECRET));
    assert_null(strstr(out, S_TOKEN));
    assert_null(strstr(out, "AKIDEXAMPLE/"));
    for (int i = 0; i < 2; i++) {
        const char *sig = strstr(s_srv.authorizations[i], "Signature=");
        assert_non_null(sig);
        assert_int_equal(strlen(sig + 10), 64);
        assert_null(strstr(out, sig + 10));
    }
    free(out);
}

/* ---- web identity credentials renewed between requests ---- */

static char s_wi_token_file[4096];
static int64_t s_wi_now;

static const char *s_wi_getenv(void *ctx, const char *name)
{
    (void)ctx;
    static const char *const vars[][2] = {
        {"AWS_ROLE_ARN", "arn:aws:iam::123456789012:role/ci"},
        {"AWS_ROLE_SESSION_NAME", "unit"},
        {"AWS_REGION", "us-east-1"},
        {"HOME", "/nonexistent-cr-test-home"},
        {"AWS_CONFIG_FILE", "/nonexistent-cr-test-home/config"},
        {"AWS_SHARED_CREDENTIALS_FILE", "/nonexistent-cr-test-home/credentials"},
    };
    if (strcmp(name, "AWS_WEB_IDENTITY_TOKEN_FILE") == 0)
        return s_wi_token_file;
    if (strcmp(name, "AWS_ENDPOINT_URL_STS") == 0)
        return s_server_url();
    for (size_t i = 0; i < sizeof(vars) / sizeof(vars[0]); i++)
        if (strcmp(name, vars[i][0]) == 0)
            return vars[i][1];
    return NULL;
}

static int64_t s_wi_clock(void *ctx)
{
    (void)ctx;
    return s_wi_now;
}

#define S_STS_ANSWER(akid, exp)                                                                    \
    "<AssumeRoleWithWebIdentityResponse><AssumeRoleWithWebIdentityResult><Credentials>"            \
    "<AccessKeyId>" akid "</AccessKeyId><SecretAccessKey>secret-" akid "</SecretAccessKey>"        \
    "<SessionToken>token-" akid "</SessionToken><Expiration>" exp "</Expiration>"                  \
    "</Credentials></AssumeRoleWithWebIdentityResult></AssumeRoleWithWebIdentityResponse>"

static void test_aws_client__refreshed_credentials_sign_the_next_request(void **state)
{
    (void)state;
    char *dir = cr_test_tmpdir();
    assert_non_null(dir);
    snprintf(s_wi_token_file, sizeof(s_wi_token_file), "%s/token", dir);
    assert_int_equal(cr_test_write_file(s_wi_token_file, "jwt"), 0);
    const struct cr_aws_env env = {s_wi_getenv, NULL, s_wi_clock, NULL};
    struct cr_aws_options o = {.env = &env, .endpoint_url = s_server_url()};
    struct cr_aws_client *c = NULL;
    struct cr_cognito_pool pool;
    s_wi_now = 1440938160; /* 12:36:00; the first credentials expire at 12:51:00 */
    s_script(200, S_STS_ANSWER("ASIAFIRST", "2015-08-30T12:51:00Z"), 0, false);
    s_script(200, S_POOL_JSON, 0, false);
    s_script(200, S_POOL_JSON, 0, false);
    s_script(200, S_STS_ANSWER("ASIASECOND", "2015-08-30T13:51:00Z"), 0, false);
    s_script(200, S_POOL_JSON, 0, false);
    assert_ok(cr_aws_client_new(&c, &o));
    assert_ok(cr_cognito_describe_pool(c, &pool, S_POOL_ID));
    cr_cognito_pool_dispose(&pool);
    /* 12:45: still more than the 5-minute margin left, the same credentials sign */
    s_wi_now += 9 * 60;
    assert_ok(cr_cognito_describe_pool(c, &pool, S_POOL_ID));
    cr_cognito_pool_dispose(&pool);
    /* 12:47: inside the margin, so STS is asked again before the request is signed */
    s_wi_now += 2 * 60;
    assert_ok(cr_cognito_describe_pool(c, &pool, S_POOL_ID));
    cr_cognito_pool_dispose(&pool);
    assert_int_equal(atomic_load(&s_srv.n_requests), 5);
    assert_string_equal(s_srv.targets[0], ""); /* STS: a form POST, no X-Amz-Target */
    assert_non_null(strstr(s_srv.authorizations[1], "Credential=ASIAFIRST/20150830/"));
    assert_non_null(strstr(s_srv.authorizations[2], "Credential=ASIAFIRST/20150830/"));
    assert_string_equal(s_srv.targets[3], "");
    assert_non_null(strstr(s_srv.authorizations[4], "Credential=ASIASECOND/20150830/"));
    cr_aws_client_free(c);
    cr_test_rmtree(dir);
    free(dir);
}

/* The service refuses credentials our clock still thought valid (a clock running behind):
 * they are renewed through STS and the call sent again once; static keys are not retried. */
static void test_aws_client__expired_token_renews_credentials_once(void **state)
{
    (void)state;
    char *dir = cr_test_tmpdir();
    assert_non_null(dir);
    snprintf(s_wi_token_file, sizeof(s_wi_token_file), "%s/token", dir);
    assert_int_equal(cr_test_write_file(s_wi_token_file, "jwt"), 0);
    const struct cr_aws_env env = {s_wi_getenv, NULL, s_wi_clock, NULL};
    struct cr_aws_options o = {.env = &env, .endpoint_url = s_server_url()};
    struct cr_aws_client *c = NULL;
    struct cr_cognito_pool pool;
    static const char expired[] =
        "{\"__type\":\"ExpiredTokenException\",\"message\":\"The security token included "
        "in the request is expired\"}";
    s_wi_now = 1440938160; /* 12:36; the credentials say 13:36 */
    s_script(200, S_STS_ANSWER("ASIAFIRST", "2015-08-30T13:36:00Z"), 0, false);
    s_script(400, expired, 0, false);
    s_script(200, S_STS_ANSWER("ASIASECOND", "2015-08-30T14:36:00Z"), 0, false);
    s_script(200, S_POOL_JSON, 0, false);
    s_script(400, expired, 0, false);
    s_script(200, S_STS_ANSWER("ASIATHIRD", "2015-08-30T14:36:00Z"), 0, false);
    s_script(400, expired, 0, false);
    assert_ok(cr_aws_client_new(&c, &o));
    assert_ok(cr_cognito_describe_pool(c, &pool, S_POOL_ID));
    cr_cognito_pool_dispose(&pool);
    assert_non_null(strstr(s_srv.authorizations[1], "Credential=ASIAFIRST/"));
    assert_non_null(strstr(s_srv.authorizations[3], "Credential=ASIASECOND/"));
    /* renewed credentials refused again: one renewal per call, then the error stands */
    assert_int_equal(cr_cognito_describe_pool(c, &pool, S_POOL_ID), CR_EAUTH);
    assert_non_null(strstr(cr_error_last(), "ExpiredTokenException"));
    assert_int_equal(atomic_load(&s_srv.n_requests), 7);
    assert_non_null(strstr(s_srv.authorizations[6], "Credential=ASIATHIRD/"));
    cr_aws_client_free(c);
    /* environment keys cannot be renewed: one attempt, CR_EAUTH */
    struct cr_aws_options keys = {0};
    c = s_client(&keys);
    s_script(400, expired, 0, false);
    assert_int_equal(cr_cognito_describe_pool(c, &pool, S_POOL_ID), CR_EAUTH);
    assert_int_equal(atomic_load(&s_srv.n_requests), 8);
    cr_aws_client_free(c);
    cr_test_rmtree(dir);
    free(dir);
}

/* Proxies come from the standard variables, read by libcurl: a host that does not resolve is
 * reached through the proxy (the canned server here), and the request still verifies as
 * signed for the endpoint's own Host. */
static void test_aws_client__proxy_from_the_environment(void **state)
{
    (void)state;
    struct cr_aws_client *c = NULL;
    struct cr_cognito_pool pool;
    struct cr_aws_options o = {.env = &s_env, .endpoint_url = "http://cognito-identity.invalid"};
    s_clock_s = 1440938160;
    s_script(200, S_POOL_JSON, 0, false);
    assert_int_equal(setenv("http_proxy", s_server_url(), 1), 0);
    assert_int_equal(unsetenv("no_proxy") | unsetenv("NO_PROXY"), 0);
    assert_ok(cr_aws_client_new(&c, &o));
    int rc = cr_cognito_describe_pool(c, &pool, S_POOL_ID);
    unsetenv("http_proxy");
    assert_ok(rc);
    assert_string_equal(pool.id, S_POOL_ID);
    assert_string_equal(s_srv.targets[0], "AWSCognitoIdentityService.DescribeIdentityPool");
    cr_cognito_pool_dispose(&pool);
    cr_aws_client_free(c);
}

#define S_TEST(fn) cmocka_unit_test_setup_teardown(fn, s_setup, s_teardown)

int main(void)
{
    const struct CMUnitTest tests[] = {
        S_TEST(test_aws_client__throttling_is_retried_and_resigned),
        S_TEST(test_aws_client__create_is_not_retried_after_5xx),
        S_TEST(test_aws_client__create_is_not_retried_after_a_dropped_connection),
        S_TEST(test_aws_client__reads_are_retried_after_drops_and_timeouts),
        S_TEST(test_aws_client__create_on_a_warm_connection_is_not_resent),
        S_TEST(test_aws_client__create_quota_is_final_but_throttle_retried),
        S_TEST(test_aws_client__errors_map_to_codes_and_messages),
        S_TEST(test_aws_client__error_messages_never_quote_a_token),
        S_TEST(test_aws_client__backoff_does_not_block_other_calls),
        S_TEST(test_aws_client__tag_calls_respect_the_token_bucket),
        S_TEST(test_aws_client__rate_limits_from_environment_and_option),
        S_TEST(test_aws_client__bad_rate_limits_are_refused),
        S_TEST(test_aws_client__response_cap),
        S_TEST(test_aws_client__list_pools_follows_next_token),
        S_TEST(test_aws_client__debug_lines_are_redacted),
        S_TEST(test_aws_client__refreshed_credentials_sign_the_next_request),
        S_TEST(test_aws_client__proxy_from_the_environment),
        S_TEST(test_aws_client__expired_token_renews_credentials_once),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
