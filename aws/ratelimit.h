/* SPDX-License-Identifier: Apache-2.0 */
#ifndef CR_AWS_RATELIMIT_H
#define CR_AWS_RATELIMIT_H
/*
 * Pacing to the service's request-rate quotas: a token bucket per operation, at the rate of
 * aws/quotas.h's table (the service's published quotas, the same table cognito-identity-local
 * enforces) unless configured otherwise, and -- in the "adaptive" retry mode -- an adaptive
 * controller (aws/adaptive.h) that lowers the rate when the service throttles and grows it
 * back. Buckets are shared by every client of one account and region (struct cr_pacer), as
 * the quota is: two clients of one scope never send at twice the rate between them.
 *
 * The clock is an argument (milliseconds from any monotonic origin) so tests control time.
 */
#include <pthread.h>
#include <stdbool.h>
#include <stdint.h>

#include "aws/adaptive.h"
#include "aws/cognito.h"

/** One bucket. rate <= 0 means unlimited. */
struct cr_ratelimit {
    double rate_per_second; /* the configured rate; <= 0 = unlimited */
    double burst;           /* bucket size in tokens (>= 1) */
    double tokens;          /* tokens available at last_ms */
    uint64_t last_ms;
    double current; /* the rate tokens flow at now (the adaptive one once it throttled) */
    bool adaptive;  /* an adaptive controller lowers current after throttles */
    struct cr_adaptive control;
    pthread_mutex_t *lock; /* shared buckets: taken by every call below; NULL = the caller
                              serialises (one thread) */
};

/**
 * The bucket size the client uses unless told otherwise: two calls. One would space calls
 * exactly 1/rate apart, but then every late wake-up of a busy process is time lost for good
 * (a full bucket gathers nothing): 1,000 calls at 15/s ran 15% over their bound on a loaded
 * machine. Two tokens let a late call be followed by one on time; the service's own buckets
 * hold more than that (cognito-identity-local's hold one second's worth).
 */
#define CR_RATELIMIT_DEFAULT_BURST 2.0

/** The default rate of an operation: its request-rate quota in aws/quotas.h. */
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

/** True if the bucket limits anything (a configured rate, or an adaptive one after a
 * throttle). */
bool cr_ratelimit_is_limited(const struct cr_ratelimit *rl);

/** Makes the bucket adaptive (the AWS "adaptive" retry mode): cr_ratelimit_observe() then
 * lowers its rate after throttles and grows it back, never above the configured rate. */
void cr_ratelimit_set_adaptive(struct cr_ratelimit *rl, uint64_t now_ms);

/**
 * Tells the bucket how an attempt it let through at sent_ms ended: throttled (the service said
 * slow down) or not. Only an adaptive bucket changes its rate. Thread-safe with a lock.
 */
void cr_ratelimit_observe(struct cr_ratelimit *rl, bool throttled, uint64_t sent_ms,
                          uint64_t now_ms);

/** The rate tokens flow at now (requests per second; 0 = unlimited). */
double cr_ratelimit_rate(struct cr_ratelimit *rl);

/* ---- buckets shared by the clients of one account and region ---- */

struct cr_pacer;

/**
 * The buckets of a scope -- whatever identifies where the quota applies: the endpoint, the
 * region and the credentials (account) -- created with these rates and bursts (per operation,
 * as cr_aws_options: > 0 a rate, <= 0 unlimited; burst 0 = 1) and adaptive or not when the
 * scope is new, else the existing ones (callers put their settings in the scope when clients
 * with other settings must not share). Released with
 * cr_pacer_release(). Returns 0 or CR_ENOMEM.
 */
int cr_pacer_get(struct cr_pacer **out, const char *scope, const double rates[CR_OP_COUNT],
                 const double bursts[CR_OP_COUNT], bool adaptive, uint64_t now_ms) CR_WARN_UNUSED;
/** The scope's bucket of an operation. Borrowed: lives until the last release. */
struct cr_ratelimit *cr_pacer_bucket(struct cr_pacer *pacer, enum cr_cognito_op op);
/** How many clients hold the scope (tests). */
unsigned cr_pacer_users(const struct cr_pacer *pacer);
/** Lets go of the scope; the last user frees it. Accepts NULL. */
void cr_pacer_release(struct cr_pacer *pacer);

/** The environment variable holding a rate-limit specification (cr_ratelimit_parse_spec). */
#define CR_RATELIMIT_ENV "COGNITO_RECONCILE_RATE_LIMITS"

/**
 * Parses a rate-limit specification, the user-facing way to configure the buckets:
 * comma-separated `Operation=RATE[:BURST]` entries, e.g. `TagResource=2,ListTagsForResource=20:5`.
 * Operation is a cognito-identity operation name or `*` (every operation); RATE is calls per
 * second (a number in (0, 10000]) or `unlimited`; BURST is the bucket size (1..10000; when not
 * given, bursts[op] is 0 and the client uses CR_RATELIMIT_DEFAULT_BURST). Later entries win. Only the operations named are written: rates[op] > 0 for a rate, -1
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
