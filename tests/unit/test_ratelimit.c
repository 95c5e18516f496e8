/* aws/ratelimit: token buckets with an injected clock. */
#include "tests/support/cr_test.h"

#include "aws/ratelimit.h"

static void test_ratelimit__defaults_follow_published_quotas(void **state)
{
    (void)state;
    assert_true(cr_ratelimit_default_rate(CR_OP_TAG_RESOURCE) == 5.0);
    assert_true(cr_ratelimit_default_rate(CR_OP_UNTAG_RESOURCE) == 5.0);
    assert_true(cr_ratelimit_default_rate(CR_OP_LIST_TAGS_FOR_RESOURCE) == 10.0);
    assert_true(cr_ratelimit_default_rate(CR_OP_DESCRIBE_IDENTITY_POOL) == 0.0);
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
        assert_true(grants[i] - grants[i - 5] >= 1000);
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
    assert_true(cr_ratelimit_try_acquire(&rl, 60000) > 0);
    /* a clock that goes backwards does not mint tokens */
    assert_true(cr_ratelimit_try_acquire(&rl, 1000) > 0);
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

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_ratelimit__defaults_follow_published_quotas),
        cmocka_unit_test(test_ratelimit__five_per_second_spaced_evenly),
        cmocka_unit_test(test_ratelimit__burst_and_refill_cap),
        cmocka_unit_test(test_ratelimit__unlimited_never_waits),
        cmocka_unit_test(test_ratelimit__fractional_rate),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
