/* SPDX-License-Identifier: Apache-2.0 */
#ifndef CR_AWS_ADAPTIVE_H
#define CR_AWS_ADAPTIVE_H
/*
 * Adaptive rate control, the AWS SDKs' "adaptive" retry mode in our own words: measure the
 * rate at which requests are sent; on a throttle, remember that rate and cut to a fraction of
 * it; then grow back along a cubic curve (CUBIC congestion control, RFC 8312): quickly at
 * first, slowly near the rate that was throttled, faster again beyond it. So a quota lower
 * than the one the client was told (another account's, or one shared with other tools) is
 * found in a few throttles, and the client then runs close to it instead of bouncing off it.
 *
 * One controller paces one operation of one account and region (the service's quota is per
 * operation, account and region). It is pure arithmetic on a clock given by the caller, so
 * tests drive it with an injected clock; locking is the owner's (aws/ratelimit.h).
 *
 * A throttle answers a request sent at some rate: one sent before the last cut says nothing
 * about the rate since, so it does not cut again (the responses of the requests already in
 * flight when the first throttle came back would otherwise cut the rate once each).
 */
#include <stdbool.h>
#include <stdint.h>

/** The CUBIC constants of the SDKs (botocore, aws-sdk-go-v2): cut to 0.7; scale 0.4. */
#define CR_ADAPTIVE_BETA  0.7
#define CR_ADAPTIVE_SCALE 0.4
/**
 * The rate (requests per second) at which our curve is the SDKs' curve at half speed. The
 * SDKs' curve is in seconds whatever the rate, so at the 2-15 requests per second of
 * cognito-identity's quotas it overshoots within two seconds: in our simulation (a service
 * allowing half the rate the client was told, tests/unit/test_adaptive.c) 14% of the calls
 * were throttled at 2.5/s and 5% at 7.5/s. Ours runs on the clock scaled by
 * w_max / CR_ADAPTIVE_REFERENCE_RATE and grows relative to w_max, so a cycle (cut, climb,
 * overshoot) spans about the same number of requests at every rate: 1-3% throttled there,
 * with the time within 2% of the quota's bound.
 */
#define CR_ADAPTIVE_REFERENCE_RATE 20.0
/** The lowest rate it paces at (requests per second). */
#define CR_ADAPTIVE_MIN_RATE 0.5

struct cr_adaptive {
    double ceiling; /* never faster than this (the configured rate); <= 0 = no ceiling */
    bool enabled;   /* a throttle was seen: rate applies */
    double rate;    /* requests per second, when enabled */
    double w_max;   /* the measured rate at the last cut */
    double k_s;     /* scaled seconds after the last cut at which the curve is back at w_max */
    uint64_t last_cut_ms;
    /* the sending rate, over 500 ms windows, smoothed */
    double measured;
    uint64_t window_ms; /* start of the current window */
    unsigned window_sent;
    unsigned throttles; /* cuts made (for --debug and tests) */
};

/** Starts a controller that has seen no throttle (it does not limit until it does). */
void cr_adaptive_init(struct cr_adaptive *a, double ceiling, uint64_t now_ms);

/** Records one request sent at now_ms (the measured sending rate). */
void cr_adaptive_sent(struct cr_adaptive *a, uint64_t now_ms);

/**
 * Records an answer to a request sent at sent_ms: throttled (TooManyRequestsException and
 * the like) cuts the rate, unless the request was sent before the last cut; any other
 * answer lets the rate grow along the curve. Returns true when the rate changed.
 */
bool cr_adaptive_answer(struct cr_adaptive *a, bool throttled, uint64_t sent_ms, uint64_t now_ms);

/** The rate to pace at now: requests per second, or 0 when there is no limit (no throttle
 * seen yet and no ceiling). */
double cr_adaptive_rate(const struct cr_adaptive *a);

/** The measured sending rate (requests per second, smoothed). */
double cr_adaptive_measured(const struct cr_adaptive *a);

#endif
