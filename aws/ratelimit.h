/* SPDX-License-Identifier: Apache-2.0 */
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

/** The environment variable holding a rate-limit specification (cr_ratelimit_parse_spec). */
#define CR_RATELIMIT_ENV "COGNITO_RECONCILE_RATE_LIMITS"

/**
 * Parses a rate-limit specification, the user-facing way to configure the buckets:
 * comma-separated `Operation=RATE[:BURST]` entries, e.g. `TagResource=2,ListTagsForResource=20:5`.
 * Operation is a cognito-identity operation name or `*` (every operation); RATE is calls per
 * second (a number in (0, 10000]) or `unlimited`; BURST is the bucket size (1..10000, default
 * 1). Later entries win. Only the operations named are written: rates[op] > 0 for a rate, -1
 * for unlimited (the convention of cr_aws_options.rate_per_second), bursts[op] the burst or 0.
 *
 * @param rates  per-operation rates, indexed by enum cr_cognito_op (updated in place)
 * @param bursts per-operation bursts, indexed likewise (updated in place)
 * @param spec   the specification; NULL or "" changes nothing
 * @param what   where spec came from, for messages (e.g. "--rate-limit")
 * @return 0; CR_EINVALID (message names `what`, the entry and, for a misspelt operation, the
 *         closest name) leaving rates and bursts unchanged; CR_ENOMEM.
 */
int cr_ratelimit_parse_spec(double rates[CR_OP_COUNT], double bursts[CR_OP_COUNT], const char *spec,
                            const char *what) CR_WARN_UNUSED;

#endif
