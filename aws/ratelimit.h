#ifndef CR_AWS_RATELIMIT_H
#define CR_AWS_RATELIMIT_H
/*
 * Token buckets, one per operation, so a large plan runs at the service's published quota
 * (TagResource/UntagResource 5/s, ListTagsForResource 10/s) instead of being throttled.
 * The clock is an argument (milliseconds from any monotonic origin) so tests control time.
 */
#include <stdbool.h>
#include <stdint.h>

#include "aws/cognito.h"

/** One bucket. rate <= 0 means unlimited. */
struct cr_ratelimit {
    double rate_per_second;
    double burst;  /* bucket size in tokens (>= 1) */
    double tokens; /* tokens available at last_ms */
    uint64_t last_ms;
};

/** The default rate of an operation: 5 for Tag/UntagResource, 10 for ListTagsForResource,
 * 0 (unlimited) for the rest. */
double cr_ratelimit_default_rate(enum cr_cognito_op op);

/**
 * Initialises a bucket holding `burst` tokens (at least 1) at now_ms. A burst of 1 spaces calls
 * evenly (1/rate apart), which never exceeds the rate in any window.
 */
void cr_ratelimit_init(struct cr_ratelimit *rl, double rate_per_second, double burst,
                       uint64_t now_ms);

/**
 * Takes one token if one is available at now_ms and returns 0; otherwise takes nothing and
 * returns how many milliseconds until one will be (>= 1). Unlimited buckets always return 0.
 */
uint64_t cr_ratelimit_try_acquire(struct cr_ratelimit *rl, uint64_t now_ms);

/** True if the bucket limits anything. */
bool cr_ratelimit_is_limited(const struct cr_ratelimit *rl);

#endif
