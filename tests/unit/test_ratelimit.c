/* SPDX-License-Identifier: Apache-2.0 */
/* aws/ratelimit: token buckets with an injected clock. */
#include "tests/support/cr_test.h"

#include "aws/quotas.h"
#include "aws/ratelimit.h"

#include <pthread.h>

#include <string.h>

static void test_ratelimit__defaults_follow_published_quotas(void **state)
{
    (void)state;
    /* every operation's default is its request-rate quota (aws/quotas.h), the same table
     * cognito-identity-local enforces with --quotas aws */
    for (int op = 0; op < CR_OP_COUNT; op++) {
        const struct cr_quota *q = cr_quota_find(cr_cognito_op_name((enum cr_cognito_op)op));
        assert_non_null(q);
        assert_float_equal(cr_ratelimit_default_rate((enum cr_cognito_op)op), q->rate, 0.0);
    }
    assert_float_equal(cr_ratelimit_default_rate(CR_OP_TAG_RESOURCE), 5.0, 0.0);
    assert_float_equal(cr_ratelimit_default_rate(CR_OP_UNTAG_RESOURCE), 5.0, 0.0);
    assert_float_equal(cr_ratelimit_default_rate(CR_OP_LIST_TAGS_FOR_RESOURCE), 10.0, 0.0);
    assert_float_equal(cr_ratelimit_default_rate(CR_OP_DESCRIBE_IDENTITY_POOL), 15.0, 0.0);
    assert_float_equal(cr_ratelimit_default_rate(CR_OP_LIST_IDENTITY_POOLS), 5.0, 0.0);
}

static void test_ratelimit__five_per_second_spaced_evenly(void **state)
{
    (void)state;
    struct cr_ratelimit rl;
    uint64_t now = 1000000;
    cr_ratelimit_init(&rl, 5.0, 1.0, now);
    assert_int_equal(cr_ratelimit_try_acquire(&rl, now), 0);
    /* the next token comes 200 ms later */
    assert_int_equal(cr_ratelimit_try_acquire(&rl, now), 200);
    assert_int_equal(cr_ratelimit_try_acquire(&rl, now + 150), 50);
    assert_int_equal(cr_ratelimit_try_acquire(&rl, now + 200), 0);
    /* simulate 10 s of callers that retry exactly when told: 50 grants (the one above
     * included), never more than 5 in any 1000 ms window */
    uint64_t t = now + 200, grants[200];
    size_t n = 0;
    grants[n++] = now + 200;
    while (t < now + 200 + 10000) {
        uint64_t wait = cr_ratelimit_try_acquire(&rl, t);
        if (wait == 0) {
            grants[n++] = t;
            continue;
        }
        t += wait;
    }
    assert_int_equal(n, 50);
    for (size_t i = 5; i < n; i++)
        assert_in_range(grants[i] - grants[i - 5], 1000, UINT64_MAX);
}

static void test_ratelimit__burst_and_refill_cap(void **state)
{
    (void)state;
    struct cr_ratelimit rl;
    cr_ratelimit_init(&rl, 10.0, 3.0, 0);
    assert_int_equal(cr_ratelimit_try_acquire(&rl, 0), 0);
    assert_int_equal(cr_ratelimit_try_acquire(&rl, 0), 0);
    assert_int_equal(cr_ratelimit_try_acquire(&rl, 0), 0);
    assert_int_equal(cr_ratelimit_try_acquire(&rl, 0), 100);
    /* a long idle period refills only up to the burst */
    for (int i = 0; i < 3; i++)
        assert_int_equal(cr_ratelimit_try_acquire(&rl, 60000), 0);
    assert_in_range(cr_ratelimit_try_acquire(&rl, 60000), 1, UINT64_MAX);
    /* a clock that goes backwards does not mint tokens */
    assert_in_range(cr_ratelimit_try_acquire(&rl, 1000), 1, UINT64_MAX);
}

static void test_ratelimit__unlimited_never_waits(void **state)
{
    (void)state;
    struct cr_ratelimit rl;
    cr_ratelimit_init(&rl, 0, 0, 5);
    assert_false(cr_ratelimit_is_limited(&rl));
    for (int i = 0; i < 10000; i++)
        assert_int_equal(cr_ratelimit_try_acquire(&rl, 5), 0);
    cr_ratelimit_init(&rl, -1, 0, 5);
    assert_int_equal(cr_ratelimit_try_acquire(&rl, 5), 0);
}

static void test_ratelimit__fractional_rate(void **state)
{
    (void)state;
    struct cr_ratelimit rl;
    cr_ratelimit_init(&rl, 0.5, 1, 0);
    assert_int_equal(cr_ratelimit_try_acquire(&rl, 0), 0);
    assert_int_equal(cr_ratelimit_try_acquire(&rl, 0), 2000);
    assert_int_equal(cr_ratelimit_try_acquire(&rl, 1999), 1);
    assert_int_equal(cr_ratelimit_try_acquire(&rl, 2000), 0);
}

static void test_ratelimit__spec_sets_named_operations(void **state)
{
    (void)state;
    double rates[CR_OP_COUNT] = {0}, bursts[CR_OP_COUNT] = {0};
    assert_ok(cr_ratelimit_parse_spec(rates, bursts,
                                      " TagResource=2 , ListTagsForResource=20:5,"
                                      "DescribeIdentityPool=unlimited",
                                      "test"));
    assert_float_equal(rates[CR_OP_TAG_RESOURCE], 2.0, 0.0);
    assert_float_equal(bursts[CR_OP_TAG_RESOURCE], 0.0, 0.0);
    assert_float_equal(rates[CR_OP_LIST_TAGS_FOR_RESOURCE], 20.0, 0.0);
    assert_float_equal(bursts[CR_OP_LIST_TAGS_FOR_RESOURCE], 5.0, 0.0);
    assert_float_equal(rates[CR_OP_DESCRIBE_IDENTITY_POOL], -1.0, 0.0);
    assert_float_equal(rates[CR_OP_UNTAG_RESOURCE], 0.0, 0.0); /* not named: left alone */
    /* a wildcard covers all; later entries win */
    assert_ok(cr_ratelimit_parse_spec(rates, bursts, "*=50:10,UntagResource=0.5", "test"));
    for (int op = 0; op < CR_OP_COUNT; op++)
        assert_float_equal(rates[op], (op == CR_OP_UNTAG_RESOURCE ? 0.5 : 50.0), 0.0);
    assert_float_equal(bursts[CR_OP_CREATE_IDENTITY_POOL], 10.0, 0.0);
    assert_float_equal(bursts[CR_OP_UNTAG_RESOURCE], 0.0, 0.0);
    /* empty or NULL: nothing changes */
    assert_ok(cr_ratelimit_parse_spec(rates, bursts, "", "test"));
    assert_ok(cr_ratelimit_parse_spec(rates, bursts, NULL, "test"));
    assert_float_equal(rates[CR_OP_TAG_RESOURCE], 50.0, 0.0);
}

static void test_ratelimit__bad_spec_is_refused_and_changes_nothing(void **state)
{
    (void)state;
    static const struct {
        const char *spec, *message;
    } cases[] = {
        {"TagResource", "--rate-limit: 'TagResource': expected Operation=RATE[:BURST]"},
        {"TagResourse=3",
         "--rate-limit: unknown operation 'TagResourse' (did you mean 'TagResource'?)"},
        {"Nope=3", "--rate-limit: unknown operation 'Nope'"},
        {"TagResource=0", "--rate-limit: TagResource: rate '0' is not a number of calls per "
                          "second in (0, 10000] or 'unlimited'"},
        {"TagResource=-1", "--rate-limit: TagResource: rate '-1'"},
        {"TagResource=5x", "--rate-limit: TagResource: rate '5x'"},
        {"TagResource=", "--rate-limit: TagResource: rate ''"},
        {"TagResource=nan", "--rate-limit: TagResource: rate 'nan'"},
        {"TagResource=1e9", "--rate-limit: TagResource: rate '1e9'"},
        {"TagResource=5:0.5", "--rate-limit: TagResource: burst '0.5' is not a number in "
                              "[1, 10000]"},
        {"TagResource=5:", "--rate-limit: TagResource: burst ''"},
        {"ListTagsForResource=3,UntagResource=x", "--rate-limit: UntagResource: rate 'x'"},
    };
    for (size_t i = 0; i < sizeof(cases) / sizeof(cases[0]); i++) {
        double rates[CR_OP_COUNT] = {0}, bursts[CR_OP_COUNT] = {0};
        int rc = cr_ratelimit_parse_spec(rates, bursts, cases[i].spec, "--rate-limit");
        print_message("%s -> %s\n", cases[i].spec, cr_error_last());
        assert_int_equal(rc, CR_EINVALID);
        assert_ptr_equal(strstr(cr_error_last(), cases[i].message), cr_error_last());
        for (int op = 0; op < CR_OP_COUNT; op++) {
            assert_float_equal(rates[op], 0.0, 0.0);
            assert_float_equal(bursts[op], 0.0, 0.0);
        }
    }
}

/* An adaptive bucket slows down after a throttle and paces at the new rate at once. */
static void test_ratelimit__adaptive_bucket_slows_down_on_a_throttle(void **state)
{
    (void)state;
    struct cr_ratelimit rl;
    uint64_t now = 0;
    cr_ratelimit_init(&rl, 20.0, 1.0, now);
    cr_ratelimit_set_adaptive(&rl, now);
    assert_float_equal(cr_ratelimit_rate(&rl), 20.0, 0.0);
    /* 3 s at 20/s, every answer fine: nothing changes */
    for (int i = 0; i < 60; i++, now += 50) {
        assert_int_equal(cr_ratelimit_try_acquire(&rl, now), 0);
        cr_ratelimit_observe(&rl, false, now, now + 10);
    }
    assert_float_equal(cr_ratelimit_rate(&rl), 20.0, 0.0);
    /* a throttle: 0.7 of the measured 20/s, and the next token 1/14 s away */
    cr_ratelimit_observe(&rl, true, now - 50, now);
    assert_float_equal(cr_ratelimit_rate(&rl), 14.0, 0.5);
    assert_true(cr_ratelimit_is_limited(&rl));
    assert_int_equal(cr_ratelimit_try_acquire(&rl, now), 0);
    uint64_t wait = cr_ratelimit_try_acquire(&rl, now);
    assert_in_range(wait, 70, 73);
    /* a standard (not adaptive) bucket ignores throttles: its rate is the configured one */
    struct cr_ratelimit fixed;
    cr_ratelimit_init(&fixed, 20.0, 1.0, 0);
    cr_ratelimit_observe(&fixed, true, 0, 10);
    assert_float_equal(cr_ratelimit_rate(&fixed), 20.0, 0.0);
    /* unlimited and adaptive: no limit until a throttle, then one */
    struct cr_ratelimit open;
    cr_ratelimit_init(&open, 0, 0, 0);
    cr_ratelimit_set_adaptive(&open, 0);
    assert_false(cr_ratelimit_is_limited(&open));
    cr_ratelimit_observe(&open, true, 0, 10);
    assert_true(cr_ratelimit_is_limited(&open));
}

/* Clients of one scope share buckets; another scope has its own. */
static void test_ratelimit__pacer_shared_per_scope(void **state)
{
    (void)state;
    double rates[CR_OP_COUNT], bursts[CR_OP_COUNT] = {0};
    for (int op = 0; op < CR_OP_COUNT; op++)
        rates[op] = 5;
    struct cr_pacer *a = NULL, *b = NULL, *other = NULL;
    assert_ok(cr_pacer_get(&a, "http://x|us-east-1|default|env", rates, bursts, true, 0));
    rates[CR_OP_TAG_RESOURCE] = 50; /* a second client's settings: the first one's stand */
    assert_ok(cr_pacer_get(&b, "http://x|us-east-1|default|env", rates, bursts, false, 0));
    assert_ok(cr_pacer_get(&other, "http://x|eu-west-1|default|env", rates, bursts, true, 0));
    assert_ptr_equal(a, b);
    assert_ptr_not_equal(a, other);
    assert_int_equal(cr_pacer_users(a), 2);
    struct cr_ratelimit *ta = cr_pacer_bucket(a, CR_OP_TAG_RESOURCE);
    assert_float_equal(cr_ratelimit_rate(ta), 5.0, 0.0);
    /* one token between the two clients */
    assert_int_equal(cr_ratelimit_try_acquire(cr_pacer_bucket(a, CR_OP_TAG_RESOURCE), 0), 0);
    assert_int_equal(cr_ratelimit_try_acquire(cr_pacer_bucket(b, CR_OP_TAG_RESOURCE), 0), 200);
    assert_int_equal(cr_ratelimit_try_acquire(cr_pacer_bucket(other, CR_OP_TAG_RESOURCE), 0), 0);
    cr_pacer_release(b);
    assert_int_equal(cr_pacer_users(a), 1);
    cr_pacer_release(a);
    cr_pacer_release(other);
    cr_pacer_release(NULL);
}

/* Threads taking from one shared bucket on a clock that stands still: exactly the burst. */
struct s_race {
    struct cr_ratelimit *rl;
    int got;
};

static void *s_race_main(void *arg)
{
    struct s_race *r = arg;
    for (int i = 0; i < 500; i++)
        r->got += cr_ratelimit_try_acquire(r->rl, 1000) == 0;
    return NULL;
}

static void test_ratelimit__shared_bucket_under_threads(void **state)
{
    (void)state;
    double rates[CR_OP_COUNT] = {0}, bursts[CR_OP_COUNT] = {0};
    rates[CR_OP_DESCRIBE_IDENTITY_POOL] = 1;
    bursts[CR_OP_DESCRIBE_IDENTITY_POOL] = 40;
    struct cr_pacer *p = NULL;
    assert_ok(cr_pacer_get(&p, "race", rates, bursts, true, 1000));
    struct s_race r[6];
    pthread_t t[6];
    for (int i = 0; i < 6; i++) {
        r[i] = (struct s_race){cr_pacer_bucket(p, CR_OP_DESCRIBE_IDENTITY_POOL), 0};
        assert_int_equal(pthread_create(&t[i], NULL, s_race_main, &r[i]), 0);
    }
    int got = 0;
    for (int i = 0; i < 6; i++) {
        pthread_join(t[i], NULL);
        got += r[i].got;
    }
    assert_int_equal(got, 40);
    cr_pacer_release(p);
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_ratelimit__defaults_follow_published_quotas),
        cmocka_unit_test(test_ratelimit__five_per_second_spaced_evenly),
        cmocka_unit_test(test_ratelimit__burst_and_refill_cap),
        cmocka_unit_test(test_ratelimit__unlimited_never_waits),
        cmocka_unit_test(test_ratelimit__fractional_rate),
        cmocka_unit_test(test_ratelimit__spec_sets_named_operations),
        cmocka_unit_test(test_ratelimit__bad_spec_is_refused_and_changes_nothing),
        cmocka_unit_test(test_ratelimit__adaptive_bucket_slows_down_on_a_throttle),
        cmocka_unit_test(test_ratelimit__pacer_shared_per_scope),
        cmocka_unit_test(test_ratelimit__shared_bucket_under_threads),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
