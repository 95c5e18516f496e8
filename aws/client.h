/* SPDX-License-Identifier: Apache-2.0 */
#ifndef CR_AWS_CLIENT_H
#define CR_AWS_CLIENT_H
/*
 * The cognito-identity client: region, endpoint and credentials resolved once, per-operation
 * token buckets, and cognito-identity calls (POST /, JSON 1.1, X-Amz-Target, SigV4 for
 * "cognito-identity") made through the generic request path of aws/request.h, whose
 * transport the client owns (cr_aws_client_transport(): STS and any other AWS call of the
 * run share its connections, retry policy, clock and debug log).
 *
 * Many calls run at once through cr_aws_perform(); the typed operations of
 * aws/cognito_ops.h are one-call conveniences on top of it. A client is used from one thread
 * at a time.
 */
#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "aws/cognito.h"
#include "aws/cognito_ops.h"
#include "aws/config.h"
#include "aws/request.h"
#include "util/buf.h"
#include "util/error.h"

struct cr_aws_client;

/** What the command line (and tests) decide; NULL/0 members mean "resolve the default". */
struct cr_aws_options {
    const char *region;                  /* --region */
    const char *profile;                 /* --profile */
    const char *endpoint_url;            /* --endpoint-url */
    unsigned parallelism;                /* --parallelism; 0 = 8 */
    unsigned max_attempts;               /* 0 = AWS_MAX_ATTEMPTS > max_attempts > 5 */
    uint32_t max_retry_ms;               /* total time spent waiting between retries; 0 = 20000 */
    uint32_t connect_timeout_ms;         /* 0 = 5000 */
    uint32_t timeout_ms;                 /* per attempt; 0 = 30000 */
    size_t max_response_bytes;           /* 0 = 8 MiB */
    double rate_per_second[CR_OP_COUNT]; /* 0 = the default for that operation; <0 = unlimited */
    bool debug;                          /* log each call (redacted) to stderr */
    /* additions (0/NULL = default) */
    bool debug_headers;             /* with debug: also log the request headers, redacted */
    uint32_t retry_base_ms;         /* first backoff ceiling; 0 = 100 */
    uint32_t retry_cap_ms;          /* largest backoff ceiling; 0 = 5000 */
    double rate_burst[CR_OP_COUNT]; /* token-bucket size per operation; 0 = 2 */
    const struct cr_aws_env *env;   /* environment and clock; NULL = the process's (tests) */
    /* credentials to sign with, borrowed (must outlive the client; several clients may share
     * one, e.g. one per region of a run); NULL = resolve the chain for opts->profile */
    struct cr_aws_credentials_provider *credentials;
    /* --rate-limit: a cr_ratelimit_parse_spec() specification ("TagResource=2,*=50:10"),
     * applied over COGNITO_RECONCILE_RATE_LIMITS, which is applied over the defaults; a
     * non-zero rate_per_second/rate_burst member still wins for its operation */
    const char *rate_limits;
};

/**
 * Creates a client: resolves region, endpoint and credentials (aws/config.h,
 * aws/credentials.h) and the per-operation rate limits. Returns 0, CR_EAUTH (no credentials;
 * the message names every source tried), CR_EINVALID (no region, bad endpoint, a bad rate-limit
 * specification in opts->rate_limits or COGNITO_RECONCILE_RATE_LIMITS) or CR_ENOMEM.
 */
int cr_aws_client_new(struct cr_aws_client **out, const struct cr_aws_options *opts) CR_WARN_UNUSED;
/** Frees the client, wiping credentials. Accepts NULL. */
void cr_aws_client_free(struct cr_aws_client *client);
/** The resolved region. Borrowed. */
const char *cr_aws_client_region(const struct cr_aws_client *client);
/** The resolved endpoint URL. Borrowed. */
const char *cr_aws_client_endpoint(const struct cr_aws_client *client);
/** The account id (STS GetCallerIdentity on first use, then cached). Borrowed via out. */
int cr_aws_client_account_id(struct cr_aws_client *client, const char **out) CR_WARN_UNUSED;
/** The client's transport, for other AWS calls of the same run (STS, S3, ...). Borrowed. */
struct cr_aws_transport *cr_aws_client_transport(const struct cr_aws_client *client);
/** The client's credentials provider (for signing other AWS calls). Borrowed. */
struct cr_aws_credentials_provider *cr_aws_client_credentials(const struct cr_aws_client *client);
/** Writes "debug: aws <line>" (redacted) when the client's --debug is on. */
void cr_aws_client_log(const struct cr_aws_client *client, const char *line);
/** Number of HTTP requests sent per operation since creation (attempts included). */
unsigned long cr_aws_client_request_count(const struct cr_aws_client *client,
                                          enum cr_cognito_op op);

/** One call; fill op and body, then cr_aws_perform(). */
struct cr_aws_call {
    enum cr_cognito_op op;
    struct cr_buf body; /* request JSON; owned, disposed by cr_aws_call_dispose */
    /* results */
    /* 0, CR_ESERVICE, CR_ETHROTTLED, CR_EAMBIGUOUS, CR_EIO, CR_ETIMEOUT; also CR_EAUTH
     * (credentials missing or rejected: NotAuthorized, UnrecognizedClient, ...), CR_ELIMIT
     * (response larger than max_response_bytes), CR_EINVALID (a request that cannot be
     * sent), CR_ENOMEM */
    int result;
    long http_status;
    struct cr_buf response;    /* response body (capped) */
    struct cr_aws_error error; /* service error (type, message, status); for transport
                                  failures type is "" and message the transport's text */
    unsigned attempts;
    char request_id[128]; /* of the last attempt */
    void *user;           /* caller's */
    /* asked right before each attempt goes out (aws/request.h); NULL = none */
    cr_aws_gate_fn *gate;
    void *gate_ctx;
};

/** Zeroes a call and sets its operation; encode the request into call->body next. */
void cr_aws_call_init(struct cr_aws_call *call, enum cr_cognito_op op);
/** Frees the call's request and response buffers. NULL is fine. */
void cr_aws_call_dispose(struct cr_aws_call *call);

/**
 * Performs n calls concurrently (at most `parallelism` in flight, token buckets respected),
 * retrying retryable failures. Each call's result is set; the return value is 0 when every
 * call succeeded, otherwise the first failing call's result (cr_error_set names operation,
 * service error type and message). CreateIdentityPool is never retried after an ambiguous
 * failure (timeout, reset, 5xx): its result is CR_EAMBIGUOUS.
 */
int cr_aws_perform(struct cr_aws_client *client, struct cr_aws_call *calls,
                   size_t n) CR_WARN_UNUSED;

/** A stream's source: the next call to make (the caller's until done() gets it back), or *out
 * NULL when there is nothing to send now. Negative: stop the stream with that code. */
typedef int cr_aws_next_call_fn(void *ctx, struct cr_aws_call **out);
/** A stream's sink: a call next() gave has finished (results set as for cr_aws_perform).
 * Negative: stop the stream with that code. CR_AWS_STREAM_DRAIN (aws/request.h): send
 * nothing more; calls already sent finish, calls not sent yet come back unsent (attempts 0,
 * result CR_EREFUSED). */
typedef int cr_aws_done_call_fn(void *ctx, struct cr_aws_call *call);

/**
 * Makes calls as a source hands them out (a pipeline, not rounds): next() is asked whenever
 * fewer than `window` calls are held (waiting for their operation's rate, or in flight; at
 * most `parallelism` in flight), and again after every answer; done() gets each call as soon
 * as it finished, retries included, whatever the others are doing. Ends when next() has
 * nothing and nothing is held, or when next() or done() returns a negative code (calls still
 * held are cancelled, never passed to done(): stop this way only when their outcome does not
 * matter, e.g. reads), or after a drain (writes: what was sent finishes). Returns 0 or that
 * code.
 */
int cr_aws_stream(struct cr_aws_client *client, size_t window, cr_aws_next_call_fn *next,
                  cr_aws_done_call_fn *done, void *ctx) CR_WARN_UNUSED;

/**
 * The one-line message for a failed call: "Op target: Type: message" (target is the pool id,
 * ARN or name from the request body), with the attempt count when retried. Appends to out.
 */
int cr_aws_call_describe(struct cr_buf *out, const struct cr_aws_call *call) CR_WARN_UNUSED;

/* ---- test-visible ---- */

/** Replaces the jitter source of the client's transport (tests pin it; NULL restores the
 * default). */
void cr_aws__client_set_random(struct cr_aws_client *client, cr_aws_random_fn *fn, void *ctx);
/** New connections the transport opened (connection reuse shows as fewer than requests). */
unsigned long cr_aws__client_connections(const struct cr_aws_client *client);

#endif
