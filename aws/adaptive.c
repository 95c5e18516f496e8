/* SPDX-License-Identifier: Apache-2.0 */
#include "aws/adaptive.h"

#include <math.h>
#include <string.h>

#define S_WINDOW_MS 500
#define S_SMOOTHING 0.8 /* weight of the newest window in the measured rate */

void cr_adaptive_init(struct cr_adaptive *a, double ceiling, uint64_t now_ms)
{
    memset(a, 0, sizeof(*a));
    a->ceiling = ceiling > 0 ? ceiling : 0;
    a->window_ms = now_ms;
}

/* Closes the current window when it is over: its rate joins the smoothed measure. */
static void s_roll_window(struct cr_adaptive *a, uint64_t now_ms)
{
    if (now_ms < a->window_ms + S_WINDOW_MS)
        return;
    double current = (double)a->window_sent * 1000.0 / (double)(now_ms - a->window_ms);
    a->measured = S_SMOOTHING * current + (1.0 - S_SMOOTHING) * a->measured;
    a->window_ms = now_ms;
    a->window_sent = 0;
}

void cr_adaptive_sent(struct cr_adaptive *a, uint64_t now_ms)
{
    s_roll_window(a, now_ms);
    a->window_sent++;
}

double cr_adaptive_measured(const struct cr_adaptive *a)
{
    return a->measured;
}

static double s_clamp(const struct cr_adaptive *a, double rate)
{
    if (a->ceiling > 0 && rate > a->ceiling)
        rate = a->ceiling;
    return rate < CR_ADAPTIVE_MIN_RATE ? CR_ADAPTIVE_MIN_RATE : rate;
}

/* A throttle: the rate the service refused is the lower of what was measured and what was
 * allowed; cut below it and restart the curve there. */
static void s_cut(struct cr_adaptive *a, uint64_t now_ms)
{
    double base = a->measured;
    if (a->enabled && (base <= 0 || a->rate < base))
        base = a->rate;
    if (base <= 0) /* throttled before a window closed: the ceiling, or a guess */
        base = a->ceiling > 0 ? a->ceiling : 1.0;
    a->w_max = base;
    a->k_s = cbrt((1.0 - CR_ADAPTIVE_BETA) * CR_ADAPTIVE_REFERENCE_RATE / CR_ADAPTIVE_SCALE);
    a->last_cut_ms = now_ms;
    a->rate = s_clamp(a, base * CR_ADAPTIVE_BETA);
    a->enabled = true;
    a->throttles++;
}

/* No throttle: the cubic curve since the last cut (on the clock scaled by w_max / reference
 * rate, relative to w_max: at the reference rate it is the SDKs' curve), never more than twice
 * what is being sent (a client that sends slowly for its own reasons learns nothing about the
 * quota). */
static bool s_grow(struct cr_adaptive *a, uint64_t now_ms)
{
    double scaled =
        (double)(now_ms - a->last_cut_ms) / 1000.0 * a->w_max / CR_ADAPTIVE_REFERENCE_RATE;
    double t = scaled - a->k_s;
    double rate = a->w_max * (1.0 + CR_ADAPTIVE_SCALE / CR_ADAPTIVE_REFERENCE_RATE * t * t * t);
    if (a->measured > 0 && rate > 2.0 * a->measured)
        rate = 2.0 * a->measured;
    rate = s_clamp(a, rate);
    bool changed = rate != a->rate;
    a->rate = rate;
    return changed;
}

bool cr_adaptive_answer(struct cr_adaptive *a, bool throttled, uint64_t sent_ms, uint64_t now_ms)
{
    s_roll_window(a, now_ms);
    if (throttled) {
        if (a->enabled && sent_ms < a->last_cut_ms)
            return false; /* sent at the old rate: already answered by the last cut */
        s_cut(a, now_ms);
        return true;
    }
    return a->enabled && s_grow(a, now_ms);
}

double cr_adaptive_rate(const struct cr_adaptive *a)
{
    return a->enabled ? a->rate : a->ceiling;
}
