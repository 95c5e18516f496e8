#include "aws/ratelimit.h"

double cr_ratelimit_default_rate(enum cr_cognito_op op)
{
    /* published quotas (service-behaviour.md "Quotas"); other rates are unpublished */
    switch (op) {
    case CR_OP_TAG_RESOURCE:
    case CR_OP_UNTAG_RESOURCE:
        return 5.0;
    case CR_OP_LIST_TAGS_FOR_RESOURCE:
        return 10.0;
    default:
        return 0.0;
    }
}

void cr_ratelimit_init(struct cr_ratelimit *rl, double rate_per_second, double burst,
                       uint64_t now_ms)
{
    rl->rate_per_second = rate_per_second > 0 ? rate_per_second : 0;
    rl->burst = burst >= 1.0 ? burst : 1.0;
    rl->tokens = rl->burst;
    rl->last_ms = now_ms;
}

bool cr_ratelimit_is_limited(const struct cr_ratelimit *rl)
{
    return rl->rate_per_second > 0;
}

static void s_refill(struct cr_ratelimit *rl, uint64_t now_ms)
{
    if (now_ms <= rl->last_ms)
        return;
    rl->tokens += (double)(now_ms - rl->last_ms) * rl->rate_per_second / 1000.0;
    if (rl->tokens > rl->burst)
        rl->tokens = rl->burst;
    rl->last_ms = now_ms;
}

uint64_t cr_ratelimit_try_acquire(struct cr_ratelimit *rl, uint64_t now_ms)
{
    if (!cr_ratelimit_is_limited(rl))
        return 0;
    s_refill(rl, now_ms);
    /* a small epsilon absorbs floating-point drift so 200 ms at 5/s yields exactly a token */
    if (rl->tokens >= 1.0 - 1e-9) {
        rl->tokens -= 1.0;
        if (rl->tokens < 0)
            rl->tokens = 0;
        return 0;
    }
    double wait = (1.0 - rl->tokens) * 1000.0 / rl->rate_per_second;
    uint64_t ms = (uint64_t)wait;
    if ((double)ms < wait)
        ms++; /* round up: waking early would find no token */
    return ms < 1 ? 1 : ms;
}
