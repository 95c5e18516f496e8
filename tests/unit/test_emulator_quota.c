/* SPDX-License-Identifier: Apache-2.0 */
/* Request-rate quotas of cognito-identity-local: the profile, the rules, enforcement per
 * account, Region and operation on an injected clock, the answer the service gives, the
 * control endpoint and the request log (no HTTP). */
#include <math.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "emulator/internal.h"
#include "tests/support/cr_test.h"
#include "tests/unit/test_emulator_call.h"

/* ---- an injected clock ---- */

static uint64_t s_now;

static uint64_t s_clock(void *ctx)
{
    (void)ctx;
    return s_now;
}

static struct cr_emu *s_new(const char *profile, const char *const *rules, size_t n)
{
    struct cr_emu *emu = NULL;
    struct cr_emu_options opts = {
        .quota_profile = profile, .quota_rules = rules, .n_quota_rules = n};
    assert_ok(cr_emu_new(&emu, &opts));
    emu->quotas.clock_ms = s_clock;
    s_now = 1000000;
    return emu;
}

static const char *s_type(const struct test_emu_res *r)
{
    const char *t = json_string_value(json_object_get(r->body, "__type"));
    return t ? t : "";
}

static const char *s_missing =
    "{\"IdentityPoolId\":\"us-east-1:00000000-0000-0000-0000-000000000000\"}";

/* HTTP status of one DescribeIdentityPool in region (400 TooManyRequests or 400 NotFound). */
static bool s_throttled(struct cr_emu *emu, const char *op, const char *region)
{
    struct test_emu_res r =
        test_emu_call_in(emu, region, op, op[0] == 'L' ? "{\"MaxResults\":1}" : s_missing);
    bool t = strcmp(s_type(&r), "TooManyRequestsException") == 0;
    if (t) {
        assert_int_equal(r.status, 400);
        assert_string_equal(json_string_value(json_object_get(r.body, "message")), "Rate exceeded");
    }
    json_decref(r.body);
    return t;
}

/* ---- the table and the profile ---- */

static void test_emulator_quota__aws_profile_is_the_shared_table(void **state)
{
    size_t n;
    const struct cr_quota *table = cr_quota_table(&n);
    struct cr_emu_quota_config c;
    assert_int_equal(n, 23); /* every operation of the API */
    assert_true(n <= CR_EMU_QUOTA_OPS);
    assert_ok(cr__emu_quota_profile(&c, "aws", 1.0));
    for (size_t i = 0; i < n; i++) {
        assert_float_equal(c.rate[i], table[i].rate, 0.0);
        assert_float_equal(c.burst[i], table[i].rate >= 1 ? table[i].rate : 1, 0.0);
        assert_non_null(cr_quota_find(table[i].operation));
    }
    /* the figures AWS publishes (Quotas in Amazon Cognito, identity pools table) */
    assert_float_equal(cr_quota_find("TagResource")->rate, 5, 0.0);
    assert_true(cr_quota_find("TagResource")->published);
    assert_float_equal(cr_quota_find("ListTagsForResource")->rate, 10, 0.0);
    assert_float_equal(cr_quota_find("GetId")->rate, 25, 0.0);
    assert_true(cr_quota_find("GetId")->published);
    assert_float_equal(cr_quota_find("GetCredentialsForIdentity")->rate, 200, 0.0);
    assert_false(cr_quota_find("DescribeIdentityPool")->published);
    assert_null(cr_quota_find("DescribeIdentityPools"));
    assert_ok(cr__emu_quota_profile(&c, "aws", 0.5));
    assert_float_equal(c.rate[0], table[0].rate / 2, 0.0);
    assert_ok(cr__emu_quota_profile(&c, "none", 1.0));
    for (size_t i = 0; i < n; i++)
        assert_float_equal(c.rate[i], 0.0, 0.0);
    assert_int_equal(cr__emu_quota_profile(&c, "awz", 1.0), CR_EINVALID);
    assert_non_null(strstr(cr_error_last(), "unknown quota profile 'awz'"));
    assert_int_equal(cr__emu_quota_profile(&c, "aws", 0.0), CR_EINVALID);
}

static void test_emulator_quota__rules_parse_and_refuse(void **state)
{
    struct cr_emu_quota_config c;
    size_t i = (size_t)(cr_quota_find("DescribeIdentityPool") - cr_quota_table(&i));
    assert_ok(cr__emu_quota_profile(&c, "none", 1.0));
    assert_ok(cr__emu_quota_rule(&c, "*=20"));
    assert_ok(cr__emu_quota_rule(&c, "DescribeIdentityPool=2.5:4"));
    assert_float_equal(c.rate[i], 2.5, 0.0);
    assert_float_equal(c.burst[i], 4, 0.0);
    assert_float_equal(c.rate[0], 20, 0.0);
    assert_float_equal(c.burst[0], 20, 0.0); /* default burst: one second's worth */
    assert_ok(cr__emu_quota_rule(&c, "DescribeIdentityPool=0.5"));
    assert_float_equal(c.rate[i], 0.5, 0.0);
    assert_float_equal(c.burst[i], 1, 0.0); /* at least one */
    assert_ok(cr__emu_quota_rule(&c, "DescribeIdentityPool=unlimited"));
    assert_float_equal(c.rate[i], 0.0, 0.0);
    assert_int_equal(c.n_rules, 4);
    assert_string_equal(c.rules[1], "DescribeIdentityPool=2.5:4");

    static const struct {
        const char *rule, *message;
    } bad[] = {
        {"DescribeIdentityPol=3", "unknown operation 'DescribeIdentityPol' (did you mean "
                                  "'DescribeIdentityPool'?)"},
        {"TagResource", "expected OPERATION=RPS[:BURST]"},
        {"=3", "expected OPERATION=RPS[:BURST]"},
        {"TagResource=0", "rate '0' is not a number"},
        {"TagResource=-1", "rate '-1' is not a number"},
        {"TagResource=nan", "rate 'nan' is not a number"},
        {"TagResource=1e9", "rate '1e9' is not a number"},
        {"TagResource=2:0.5", "burst '0.5' is not a number of requests in [1"},
        {"TagResource=unlimited:3", "burst '3'"},
        {"TagResource=2:x", "burst 'x'"},
    };
    for (size_t k = 0; k < sizeof(bad) / sizeof(bad[0]); k++) {
        struct cr_emu_quota_config before = c;
        assert_int_equal(cr__emu_quota_rule(&c, bad[k].rule), CR_EINVALID);
        if (!strstr(cr_error_last(), bad[k].message))
            fail_msg("%s: message '%s' lacks '%s'", bad[k].rule, cr_error_last(), bad[k].message);
        assert_memory_equal(&before, &c, sizeof(c)); /* a refused rule changes nothing */
    }
}

static void test_emulator_quota__bad_options_refuse_to_start(void **state)
{
    struct cr_emu *emu = NULL;
    const char *rules[] = {"ListIdentityPool=1"};
    struct cr_emu_options opts = {.quota_rules = rules, .n_quota_rules = 1};
    assert_int_equal(cr_emu_new(&emu, &opts), CR_EINVALID);
    assert_null(emu);
    assert_non_null(strstr(cr_error_last(), "--quota: quota 'ListIdentityPool=1'"));
    struct cr_emu_options opts2 = {.quota_profile = "fast"};
    assert_int_equal(cr_emu_new(&emu, &opts2), CR_EINVALID);
    assert_non_null(strstr(cr_error_last(), "--quotas: unknown quota profile 'fast'"));
}

/* ---- enforcement ---- */

static void test_emulator_quota__over_the_rate_is_refused_like_the_service(void **state)
{
    const char *rules[] = {"DescribeIdentityPool=2:1"};
    struct cr_emu *emu = s_new(NULL, rules, 1);
    assert_false(s_throttled(emu, "DescribeIdentityPool", "us-east-1"));
    assert_true(s_throttled(emu, "DescribeIdentityPool", "us-east-1"));
    s_now += 499;
    assert_true(s_throttled(emu, "DescribeIdentityPool", "us-east-1"));
    s_now += 1; /* 500 ms at 2/s: one token */
    assert_false(s_throttled(emu, "DescribeIdentityPool", "us-east-1"));
    /* other operations have no quota */
    for (int k = 0; k < 20; k++)
        assert_false(s_throttled(emu, "ListIdentityPools", "us-east-1"));
    cr_emu_free(emu);
}

static void test_emulator_quota__burst_then_steady_rate(void **state)
{
    const char *rules[] = {"*=10:5"};
    struct cr_emu *emu = s_new(NULL, rules, 1);
    for (int k = 0; k < 5; k++)
        assert_false(s_throttled(emu, "DescribeIdentityPool", "eu-west-1"));
    assert_true(s_throttled(emu, "DescribeIdentityPool", "eu-west-1"));
    for (int k = 0; k < 10; k++) { /* then one every 100 ms */
        s_now += 100;
        assert_false(s_throttled(emu, "DescribeIdentityPool", "eu-west-1"));
        assert_true(s_throttled(emu, "DescribeIdentityPool", "eu-west-1"));
    }
    cr_emu_free(emu);
}

static void test_emulator_quota__buckets_per_account_region_and_operation(void **state)
{
    const char *rules[] = {"*=1:1"};
    struct cr_emu *emu = s_new(NULL, rules, 1);
    assert_false(s_throttled(emu, "DescribeIdentityPool", "us-east-1"));
    assert_true(s_throttled(emu, "DescribeIdentityPool", "us-east-1"));
    /* another Region, another operation: their own buckets */
    assert_false(s_throttled(emu, "DescribeIdentityPool", "eu-west-1"));
    assert_false(s_throttled(emu, "ListIdentityPools", "us-east-1"));
    assert_true(s_throttled(emu, "ListIdentityPools", "us-east-1"));
    /* another account (here straight at the bucket layer: the account is the key's) */
    assert_true(
        cr__emu_quotas_admit(&emu->quotas, "111122223333", "us-east-1", "DescribeIdentityPool"));
    assert_false(
        cr__emu_quotas_admit(&emu->quotas, "111122223333", "us-east-1", "DescribeIdentityPool"));
    /* the counters per bucket */
    json_t *doc = cr__emu_quotas_json(&emu->quotas);
    json_t *buckets = json_object_get(doc, "buckets");
    size_t i;
    json_t *b;
    long allowed = 0, throttled = 0;
    json_array_foreach(buckets, i, b)
    {
        allowed += (long)json_integer_value(json_object_get(b, "allowed"));
        throttled += (long)json_integer_value(json_object_get(b, "throttled"));
    }
    assert_int_equal(json_array_size(buckets), 4);
    assert_int_equal(allowed, 4);
    assert_int_equal(throttled, 3);
    json_decref(doc);
    cr_emu_free(emu);
}

static void test_emulator_quota__throttled_calls_do_nothing(void **state)
{
    const char *rules[] = {"CreateIdentityPool=1:1"};
    struct cr_emu *emu = s_new(NULL, rules, 1);
    /* a fault with a count: a throttled call must not use it up */
    assert_ok(cr_emu_add_faults(emu, "[{\"operation\":\"CreateIdentityPool\",\"error\":1,"
                                     "\"type\":\"ConcurrentModificationException\","
                                     "\"status\":400,\"count\":1}]"));
    const char *body = "{\"IdentityPoolName\":\"q\",\"AllowUnauthenticatedIdentities\":false}";
    struct test_emu_res r = test_emu_call_in(emu, "us-east-1", "CreateIdentityPool", body);
    assert_string_equal(s_type(&r), "ConcurrentModificationException"); /* the fault fired */
    json_decref(r.body);
    r = test_emu_call_in(emu, "us-east-1", "CreateIdentityPool", body);
    assert_string_equal(s_type(&r), "TooManyRequestsException");
    json_decref(r.body);
    assert_null(cr__emu_state_pools(emu, CR_EMU_DEFAULT_ACCOUNT, "us-east-1", false));
    s_now += 1000;
    r = test_emu_call_in(emu, "us-east-1", "CreateIdentityPool", body);
    assert_int_equal(r.status, 200);
    json_decref(r.body);
    /* the log marks the throttled call, so benchmarks can count them */
    json_t *entry = emu->log[(emu->log_head + 1) % CR_EMU_LOG_CAP];
    assert_true(json_is_true(json_object_get(entry, "throttled")));
    assert_string_equal(json_string_value(json_object_get(entry, "error")),
                        "TooManyRequestsException");
    assert_null(json_object_get(emu->log[emu->log_head], "throttled"));
    cr_emu_free(emu);
}

/* A request refused for its signature takes no token. */
static void test_emulator_quota__unauthenticated_calls_take_no_token(void **state)
{
    char path[] = "/tmp/cr-quota-keys-XXXXXX";
    int fd = mkstemp(path);
    assert_true(fd >= 0);
    assert_int_equal(write(fd, "AKIDQUOTAKEY secret\n", 20), 20);
    close(fd);
    const char *rules[] = {"DescribeIdentityPool=1:1"};
    struct cr_emu *emu = NULL;
    struct cr_emu_options opts = {
        .quota_rules = rules, .n_quota_rules = 1, .credentials_path = path};
    assert_ok(cr_emu_new(&emu, &opts));
    emu->quotas.clock_ms = s_clock;
    for (int k = 0; k < 3; k++) {
        struct test_emu_res r =
            test_emu_call_in(emu, "us-east-1", "DescribeIdentityPool", s_missing);
        assert_string_equal(s_type(&r), "IncompleteSignatureException"); /* no X-Amz-Date */
        json_decref(r.body);
        r = test_emu_call(emu, "DescribeIdentityPool", s_missing, strlen(s_missing), NULL);
        assert_string_equal(s_type(&r), "MissingAuthenticationTokenException");
        json_decref(r.body);
    }
    json_t *doc = cr__emu_quotas_json(&emu->quotas);
    assert_int_equal(json_array_size(json_object_get(doc, "buckets")), 0);
    json_decref(doc);
    cr_emu_free(emu);
    unlink(path);
}

/*
 * Property: for seeded random arrival times and random rates and bursts, the requests let
 * through in any window [a, b] never exceed burst + rate * (b - a), and a request is refused
 * only when a model bucket (exact rational arithmetic on whole milliseconds) is empty.
 */
static void test_emulator_quota__property_token_bucket(void **state)
{
    for (uint32_t seed = 1; seed <= 60; seed++) {
        uint32_t r = seed * 2654435761u;
        int rate = 1 + (int)(cr_test_random(&r) % 40);  /* requests per second */
        int burst = 1 + (int)(cr_test_random(&r) % 10); /* tokens */
        char rule[64];
        snprintf(rule, sizeof(rule), "DescribeIdentityPool=%d:%d", rate, burst);
        const char *rules[] = {rule};
        struct cr_emu *emu = s_new(NULL, rules, 1);
        uint64_t start = s_now, times[400];
        size_t n_ok = 0;
        /* model: tokens in thousandths (rate tokens/s = rate thousandths/ms) */
        long long model = (long long)burst * 1000, cap = model;
        uint64_t last = start;
        for (int k = 0; k < 400; k++) {
            s_now += cr_test_random(&r) % (uint32_t)(3000 / rate + 1);
            model += (long long)(s_now - last) * rate;
            model = model > cap ? cap : model;
            last = s_now;
            bool ok = cr__emu_quotas_admit(&emu->quotas, "123456789012", "us-east-1",
                                           "DescribeIdentityPool");
            if (ok != (model >= 1000))
                fail_msg("seed %u: request %d at +%llu ms: emulator %s, model has %lld/1000 "
                         "tokens (rate %d, burst %d)",
                         seed, k, (unsigned long long)(s_now - start), ok ? "served" : "refused",
                         model, rate, burst);
            if (ok) {
                model -= 1000;
                times[n_ok++] = s_now;
            }
        }
        for (size_t a = 0; a < n_ok; a++)
            for (size_t b = a; b < n_ok; b++) {
                double allowed = burst + rate * (double)(times[b] - times[a]) / 1000.0;
                if ((double)(b - a + 1) > allowed + 1e-9)
                    fail_msg("seed %u: %zu requests served in %llu ms (rate %d, burst %d)", seed,
                             b - a + 1, (unsigned long long)(times[b] - times[a]), rate, burst);
            }
        cr_emu_free(emu);
    }
}

/* Many threads at once: exactly the tokens there are are handed out. */
struct s_race {
    struct cr_emu *emu;
    int served;
};

static void *s_race_main(void *arg)
{
    struct s_race *r = arg;
    for (int k = 0; k < 200; k++)
        r->served +=
            cr__emu_quotas_admit(&r->emu->quotas, "123456789012", "us-east-1", "TagResource");
    return NULL;
}

static void test_emulator_quota__concurrent_requests_share_one_bucket(void **state)
{
    const char *rules[] = {"TagResource=1:50"};
    struct cr_emu *emu = s_new(NULL, rules, 1); /* the clock stands still: 50 tokens in all */
    struct s_race races[8];
    pthread_t threads[8];
    for (int t = 0; t < 8; t++) {
        races[t] = (struct s_race){emu, 0};
        assert_int_equal(pthread_create(&threads[t], NULL, s_race_main, &races[t]), 0);
    }
    int served = 0;
    for (int t = 0; t < 8; t++) {
        pthread_join(threads[t], NULL);
        served += races[t].served;
    }
    assert_int_equal(served, 50);
    cr_emu_free(emu);
}

/* ---- control endpoints ---- */

static double s_rate_of(json_t *doc, const char *op)
{
    size_t i;
    json_t *e;
    json_array_foreach(json_object_get(doc, "rates"), i, e)
    {
        if (strcmp(json_string_value(json_object_get(e, "operation")), op) == 0)
            return json_real_value(json_object_get(e, "rate"));
    }
    return 0.0;
}

static void test_emulator_quota__control_endpoint_sets_and_reset_restores(void **state)
{
    const char *rules[] = {"TagResource=1"};
    struct cr_emu *emu = s_new("aws", rules, 1);
    struct test_emu_res r = test_emu_local(emu, "GET", "/_local/quotas", NULL);
    assert_int_equal(r.status, 200);
    assert_string_equal(json_string_value(json_object_get(r.body, "profile")), "aws");
    assert_float_equal(s_rate_of(r.body, "TagResource"), 1.0, 0.0);
    assert_float_equal(s_rate_of(r.body, "DescribeIdentityPool"), 15.0, 0.0);
    json_decref(r.body);

    r = test_emu_local(
        emu, "POST", "/_local/quotas",
        "{\"profile\":\"aws\",\"scale\":0.5,\"quota\":[\"ListIdentityPools=unlimited\"]}");
    assert_int_equal(r.status, 200);
    assert_float_equal(s_rate_of(r.body, "DescribeIdentityPool"), 7.5, 0.0);
    assert_float_equal(s_rate_of(r.body, "TagResource"), 2.5, 0.0);
    assert_float_equal(s_rate_of(r.body, "ListIdentityPools"), 0.0, 0.0);
    json_decref(r.body);

    static const char *bad[] = {"{\"profile\":\"fast\"}",
                                "{\"quota\":[\"Nope=1\"]}",
                                "{\"quota\":\"TagResource=1\"}",
                                "{\"rate\":1}",
                                "[1]",
                                "{"};
    for (size_t k = 0; k < sizeof(bad) / sizeof(bad[0]); k++) {
        r = test_emu_local(emu, "POST", "/_local/quotas", bad[k]);
        assert_int_equal(r.status, 400);
        assert_string_equal(json_string_value(json_object_get(r.body, "__type")),
                            "InvalidQuotasException");
        json_decref(r.body);
    }
    r = test_emu_local(emu, "GET", "/_local/quotas", NULL); /* a refused POST changed nothing */
    assert_float_equal(s_rate_of(r.body, "DescribeIdentityPool"), 7.5, 0.0);
    json_decref(r.body);

    r = test_emu_local(emu, "POST", "/_local/reset", NULL);
    assert_int_equal(r.status, 200);
    json_decref(r.body);
    r = test_emu_local(emu, "GET", "/_local/quotas", NULL);
    assert_float_equal(s_rate_of(r.body, "DescribeIdentityPool"), 15.0, 0.0);
    assert_float_equal(s_rate_of(r.body, "TagResource"), 1.0, 0.0);
    json_decref(r.body);
    r = test_emu_local(emu, "DELETE", "/_local/quotas", NULL);
    assert_int_equal(r.status, 405);
    json_decref(r.body);
    cr_emu_free(emu);
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_emulator_quota__aws_profile_is_the_shared_table),
        cmocka_unit_test(test_emulator_quota__rules_parse_and_refuse),
        cmocka_unit_test(test_emulator_quota__bad_options_refuse_to_start),
        cmocka_unit_test(test_emulator_quota__over_the_rate_is_refused_like_the_service),
        cmocka_unit_test(test_emulator_quota__burst_then_steady_rate),
        cmocka_unit_test(test_emulator_quota__buckets_per_account_region_and_operation),
        cmocka_unit_test(test_emulator_quota__throttled_calls_do_nothing),
        cmocka_unit_test(test_emulator_quota__unauthenticated_calls_take_no_token),
        cmocka_unit_test(test_emulator_quota__property_token_bucket),
        cmocka_unit_test(test_emulator_quota__concurrent_requests_share_one_bucket),
        cmocka_unit_test(test_emulator_quota__control_endpoint_sets_and_reset_restores),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
