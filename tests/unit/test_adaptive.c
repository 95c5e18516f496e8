/* SPDX-License-Identifier: Apache-2.0 */
/* Adaptive rate control (aws/adaptive.h) on an injected clock: the measured rate, the cut on
 * a throttle, the cubic growth, the ceiling, and convergence against a simulated service. */
#include <math.h>
#include <string.h>

#include "aws/adaptive.h"
#include "tests/support/cr_test.h"

/* Sends at `rate` per second from *now for ms milliseconds. */
static void s_send_for(struct cr_adaptive *a, uint64_t *now, double rate, uint64_t ms)
{
    double gap = 1000.0 / rate, next = (double)*now;
    uint64_t end = *now + ms;
    for (; (uint64_t)next < end; next += gap)
        cr_adaptive_sent(a, (uint64_t)next);
    *now = end;
}

static void test_adaptive__no_limit_until_the_first_throttle(void **state)
{
    struct cr_adaptive a;
    uint64_t now = 5000;
    cr_adaptive_init(&a, 0, now);
    assert_float_equal(cr_adaptive_rate(&a), 0.0, 0.0); /* unlimited */
    s_send_for(&a, &now, 40, 3000);
    assert_false(cr_adaptive_answer(&a, false, now - 10, now));
    assert_float_equal(cr_adaptive_rate(&a), 0.0, 0.0);
    assert_in_range((unsigned long)lround(cr_adaptive_measured(&a)), 38, 42);
    /* with a ceiling it paces at the ceiling */
    cr_adaptive_init(&a, 15, now);
    assert_float_equal(cr_adaptive_rate(&a), 15.0, 0.0);
}

static void test_adaptive__a_throttle_cuts_to_beta_of_the_measured_rate(void **state)
{
    struct cr_adaptive a;
    uint64_t now = 0;
    cr_adaptive_init(&a, 50, now);
    s_send_for(&a, &now, 20, 4000);
    double measured = cr_adaptive_measured(&a);
    assert_float_equal(measured, 20.0, 0.5);
    assert_true(cr_adaptive_answer(&a, true, now - 50, now));
    assert_int_equal(a.throttles, 1);
    assert_float_equal(a.w_max, measured, 0.01); /* the window closing at the answer */
    assert_float_equal(cr_adaptive_rate(&a), a.w_max * CR_ADAPTIVE_BETA, 1e-9);
    /* answers to requests sent before the cut do not cut again */
    for (int i = 0; i < 10; i++)
        assert_false(cr_adaptive_answer(&a, true, now - 1, now + (uint64_t)i));
    assert_int_equal(a.throttles, 1);
    /* a request sent after it does */
    assert_true(cr_adaptive_answer(&a, true, now + 20, now + 40));
    assert_int_equal(a.throttles, 2);
    assert_true(cr_adaptive_rate(&a) < measured * CR_ADAPTIVE_BETA - 0.01);
}

static void test_adaptive__grows_back_along_the_cubic_curve(void **state)
{
    struct cr_adaptive a;
    uint64_t now = 0;
    cr_adaptive_init(&a, 0, now);
    s_send_for(&a, &now, 10, 3000);
    assert_true(cr_adaptive_answer(&a, true, now, now));
    double w_max = a.w_max, k = a.k_s, cut = now;
    double ref = CR_ADAPTIVE_REFERENCE_RATE;
    assert_float_equal(k, cbrt((1 - CR_ADAPTIVE_BETA) * ref / CR_ADAPTIVE_SCALE), 1e-12);
    double last = cr_adaptive_rate(&a);
    /* keep sending at the allowed rate; successes move the rate along the curve */
    for (int step = 1; step <= 60; step++) {
        uint64_t t = (uint64_t)cut + (uint64_t)step * 100;
        s_send_for(&a, &now, cr_adaptive_rate(&a), t - now);
        cr_adaptive_answer(&a, false, now, now);
        double dt = (double)(now - (uint64_t)cut) / 1000.0 * w_max / ref - k;
        double curve = w_max * (1 + CR_ADAPTIVE_SCALE / ref * dt * dt * dt);
        double cap = 2 * cr_adaptive_measured(&a);
        double expect = curve < cap ? curve : cap;
        expect = expect < CR_ADAPTIVE_MIN_RATE ? CR_ADAPTIVE_MIN_RATE : expect;
        assert_float_equal(cr_adaptive_rate(&a), expect, 1e-9);
        assert_true(cr_adaptive_rate(&a) >= last - 1e-9 || expect == cap);
        last = cr_adaptive_rate(&a);
    }
    /* k seconds after the cut the curve is back at the throttled rate, then beyond */
    assert_true(cr_adaptive_rate(&a) > w_max);
}

static void test_adaptive__ceiling_and_floor(void **state)
{
    struct cr_adaptive a;
    uint64_t now = 0;
    cr_adaptive_init(&a, 8, now);
    s_send_for(&a, &now, 8, 2000);
    assert_true(cr_adaptive_answer(&a, true, now, now));
    for (int i = 0; i < 100; i++) { /* a long quiet success streak never passes the ceiling */
        now += 1000;
        cr_adaptive_sent(&a, now);
        cr_adaptive_answer(&a, false, now, now);
        assert_true(cr_adaptive_rate(&a) <= 8.0);
    }
    cr_adaptive_init(&a, 0, 0);
    now = 0;
    for (int i = 0; i < 50; i++) { /* throttled again and again: never below the floor */
        now += 1000;
        cr_adaptive_sent(&a, now);
        cr_adaptive_answer(&a, true, now, now);
    }
    assert_float_equal(cr_adaptive_rate(&a), CR_ADAPTIVE_MIN_RATE, 0.0);
}

/*
 * A simulated service (a token bucket of `quota` requests per second holding one second's
 * worth, as cognito-identity-local's) and a client that paces at the controller's rate with
 * `inflight` requests at most, `latency_ms` per request, retrying throttled ones. Returns the
 * throttled share of all attempts; *elapsed_ms the time to serve n requests.
 */
static double s_simulate(double quota, double ceiling, unsigned n, unsigned inflight,
                         uint64_t latency_ms, uint64_t *elapsed_ms)
{
    struct cr_adaptive a;
    cr_adaptive_init(&a, ceiling, 0);
    double tokens = quota, next_send = 0;
    uint64_t sent_at[64], due[64];
    unsigned busy = 0, served = 0, attempts = 0, throttled = 0;
    bool thr[64];
    uint64_t now = 0, last_refill = 0;
    assert_true(inflight <= 64);
    for (; served < n && now < 3600000; now++) {
        tokens += (double)(now - last_refill) * quota / 1000.0;
        tokens = tokens > quota ? quota : tokens;
        last_refill = now;
        for (unsigned i = 0; i < busy;) { /* answers */
            if (due[i] > now) {
                i++;
                continue;
            }
            cr_adaptive_answer(&a, thr[i], sent_at[i], now);
            served += !thr[i];
            sent_at[i] = sent_at[--busy];
            due[i] = due[busy];
            thr[i] = thr[busy];
        }
        double rate = cr_adaptive_rate(&a);
        while (busy < inflight && served + busy < n && (double)now >= next_send) {
            cr_adaptive_sent(&a, now);
            attempts++;
            bool ok = tokens >= 1.0; /* the service decides on arrival (here: at once) */
            tokens -= ok ? 1.0 : 0.0;
            throttled += !ok;
            sent_at[busy] = now;
            due[busy] = now + latency_ms;
            thr[busy++] = !ok;
            next_send = rate > 0 ? (next_send > now - 1000.0 / rate ? next_send : (double)now) +
                                       1000.0 / rate
                                 : (double)now;
        }
    }
    *elapsed_ms = now;
    assert_int_equal(served, n);
    return (double)throttled / (double)attempts;
}

/* The client is told 15/s, the service allows half: a few throttles, then close to it. */
static void test_adaptive__converges_to_a_lower_quota(void **state)
{
    static const struct {
        double quota, ceiling;
        unsigned inflight;
        uint64_t latency_ms;
    } cases[] = {
        {7.5, 15, 16, 20}, {2.5, 5, 16, 20}, {5, 10, 4, 80}, {7.5, 15, 16, 150}, {50, 100, 16, 5},
    };
    for (size_t i = 0; i < sizeof(cases) / sizeof(cases[0]); i++) {
        uint64_t elapsed = 0;
        unsigned n = (unsigned)(cases[i].quota * 120); /* two minutes of work */
        double share = s_simulate(cases[i].quota, cases[i].ceiling, n, cases[i].inflight,
                                  cases[i].latency_ms, &elapsed);
        double bound_ms = 1000.0 * (n - cases[i].quota) / cases[i].quota;
        print_message("quota %.1f/s (told %.0f/s), %u in flight, %llu ms: %.2f%% throttled, "
                      "%.2fx the quota bound\n",
                      cases[i].quota, cases[i].ceiling, cases[i].inflight,
                      (unsigned long long)cases[i].latency_ms, share * 100,
                      (double)elapsed / bound_ms);
        assert_true(share <= 0.05);
        assert_true((double)elapsed <= 1.3 * bound_ms);
    }
}

/* Told the right rate, it is never throttled and never slows down. */
static void test_adaptive__at_the_quota_no_throttle(void **state)
{
    uint64_t elapsed = 0;
    double share = s_simulate(15, 15, 1500, 16, 20, &elapsed);
    assert_float_equal(share, 0.0, 0.0);
    assert_true((double)elapsed <= 1.02 * 1000.0 * 1500 / 15);
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_adaptive__no_limit_until_the_first_throttle),
        cmocka_unit_test(test_adaptive__a_throttle_cuts_to_beta_of_the_measured_rate),
        cmocka_unit_test(test_adaptive__grows_back_along_the_cubic_curve),
        cmocka_unit_test(test_adaptive__ceiling_and_floor),
        cmocka_unit_test(test_adaptive__converges_to_a_lower_quota),
        cmocka_unit_test(test_adaptive__at_the_quota_no_throttle),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
