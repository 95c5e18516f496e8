/* SPDX-License-Identifier: Apache-2.0 */
#ifndef CR_AWS_RETRY_H
#define CR_AWS_RETRY_H
/*
 * Retry classification and backoff for every AWS request (aws/request.h), with the
 * cognito-identity specifics (CreateIdentityPool has no idempotency token; LimitExceeded on it
 * is the pool quota) as one caller of the generic decision.
 *
 * Pure functions: the outcome of one attempt goes in, a decision comes out; randomness for the
 * jitter is an argument so tests pin it.
 */
#include <stdbool.h>
#include <stdint.h>

#include "aws/cognito.h"
#include "aws/config.h"

/** How the transport ended one attempt (before any service error is looked at). */
enum cr_retry_transport {
    CR_RETRY_TRANSPORT_OK,        /* a complete HTTP response arrived (any status) */
    CR_RETRY_TRANSPORT_CONNECT,   /* failed before the request was sent (DNS, connect, TLS) */
    CR_RETRY_TRANSPORT_SEND_RECV, /* failed after the request may have been sent (reset) */
    CR_RETRY_TRANSPORT_TIMEOUT,   /* the attempt's deadline passed */
    CR_RETRY_TRANSPORT_TOO_LARGE, /* the response exceeded the size cap */
    CR_RETRY_TRANSPORT_FATAL,     /* anything else that retrying cannot fix */
};

/** The outcome of one attempt. */
struct cr_retry_outcome {
    enum cr_retry_transport transport;
    bool sent;              /* the request may have reached the server (timeout, reset) */
    long http_status;       /* when transport == OK */
    const char *error_type; /* decoded __type (prefix stripped) or NULL/"" */
};

enum cr_retry_decision {
    CR_RETRY_SUCCESS,   /* 2xx: done */
    CR_RETRY_FAIL,      /* final failure, do not retry */
    CR_RETRY_THROTTLED, /* retry after backoff; if attempts run out the call is throttled */
    CR_RETRY_TRANSIENT, /* retry after backoff (5xx, connection error, timeout, conflict) */
    CR_RETRY_AMBIGUOUS, /* final: a non-idempotent call may have happened (Create) */
};

/** Bounds for one call's retries. */
struct cr_retry_policy {
    unsigned max_attempts; /* attempts in all, >= 1 */
    uint32_t base_ms;      /* first backoff ceiling */
    uint32_t cap_ms;       /* largest backoff ceiling */
    uint32_t max_total_ms; /* total time spent waiting between attempts */
};

/** The defaults: 5 attempts, base 100 ms, cap 5000 ms, 20000 ms waiting in all. */
void cr_retry_policy_default(struct cr_retry_policy *out);

/** True for error types that mean "slow down" in any AWS protocol: TooManyRequestsException,
 * ThrottlingException, Throttling, ThrottledException, RequestLimitExceeded, RequestThrottled,
 * RequestThrottledException, SlowDown (S3), LimitExceededException. */
bool cr_retry_is_throttle_type(const char *error_type);
/** cr_retry_is_throttle_type(), except that LimitExceededException on CreateIdentityPool is
 * the account's pool quota, which waiting does not lift. */
bool cr_retry_is_throttle(enum cr_cognito_op op, const char *error_type);
/** True for error types meaning bad or missing credentials (NotAuthorizedException, ...). */
bool cr_retry_is_auth_error(const char *error_type);

/**
 * True for an error that says the request's signing time is too far from the server's clock
 * (RequestTimeTooSkewed, RequestExpired, RequestInTheFuture, or an InvalidSignatureException /
 * AuthFailure / SignatureDoesNotMatch whose message says "Signature expired" or "Signature not
 * yet current"). The client then corrects its clock from the response's Date header and
 * signs again.
 */
bool cr_retry_is_clock_skew(const char *error_type, const char *message);

/**
 * Classifies one attempt of any request: 2xx succeeds; throttling (a throttle type, HTTP 429)
 * is retried; 5xx, the transient types (ConcurrentModificationException, InternalError...,
 * ServiceUnavailable...), connection failures and timeouts are retried; anything else is
 * final. A request that must reach the server at most once (at_most_once) is not retried
 * after a failure that may have followed its arrival (timeout or reset after sending, 5xx, an
 * answer past the cap): that is CR_RETRY_AMBIGUOUS. Throttling and connect-phase failures are
 * still retried, because the server provably did nothing.
 */
enum cr_retry_decision cr_retry_decide(const struct cr_retry_outcome *outcome, bool at_most_once);

/**
 * cr_retry_decide() for a cognito-identity operation: CreateIdentityPool has no idempotency
 * token, so it is at most once, and LimitExceededException on it is final (cr_retry_is_throttle).
 */
enum cr_retry_decision cr_retry_classify(enum cr_cognito_op op,
                                         const struct cr_retry_outcome *outcome);

/**
 * Full-jitter backoff before attempt number `attempt` + 1 (attempt counts from 1, the one that
 * just failed): random(0, min(cap_ms, base_ms * 2^(attempt-1))). `unit` is a random number in
 * [0, 1) supplied by the caller (tests pin it).
 */
uint32_t cr_retry_backoff_ms(const struct cr_retry_policy *policy, unsigned attempt, double unit);

/**
 * True if another attempt is allowed after `attempts` attempts with `waited_ms` already spent
 * waiting and `next_wait_ms` about to be spent.
 */
bool cr_retry_allowed(const struct cr_retry_policy *policy, unsigned attempts, uint64_t waited_ms,
                      uint32_t next_wait_ms);

/* ---- the retry mode and attempts, as the AWS CLI and SDKs configure them ---- */

/** The AWS retry modes. "legacy" (older SDKs' default) is taken as standard. */
enum cr_retry_mode {
    CR_RETRY_MODE_STANDARD, /* retries with backoff; pacing at the configured rates only */
    CR_RETRY_MODE_ADAPTIVE, /* and the rates adapt to throttling (aws/adaptive.h) */
};

/** What the environment and the config file say (cr_retry_settings_resolve). */
struct cr_retry_settings {
    enum cr_retry_mode mode;
    unsigned max_attempts; /* attempts in all, >= 1 */
    const char *mode_from; /* "AWS_RETRY_MODE", "profile default", "default" (static or the
                              config's profile name) */
    const char *attempts_from;
};

/** "standard" or "adaptive". Static. */
const char *cr_retry_mode_name(enum cr_retry_mode mode);

/**
 * Resolves the retry mode and the maximum attempts the AWS CLI's way: AWS_RETRY_MODE >
 * the profile's retry_mode > adaptive (ours: the quota is found without a flag), and
 * AWS_MAX_ATTEMPTS > the profile's max_attempts > default_attempts. Modes: standard,
 * adaptive, legacy (= standard); attempts: an integer 1..100. cfg and env may be NULL.
 * Returns 0, or CR_EINVALID naming the variable or the profile setting and its value.
 */
int cr_retry_settings_resolve(struct cr_retry_settings *out, const struct cr_aws_config *cfg,
                              const struct cr_aws_env *env,
                              unsigned default_attempts) CR_WARN_UNUSED;

#endif
