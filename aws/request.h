/* SPDX-License-Identifier: Apache-2.0 */
#ifndef CR_AWS_REQUEST_H
#define CR_AWS_REQUEST_H
/*
 * The one way aws/ makes an AWS-style HTTP exchange: any method, URL, headers and body,
 * SigV4-signed for any service (or not signed), over the shared libcurl multi transport
 * (aws/http.h), with
 *   - the shared retry policy (aws/retry.h: full jitter, bounded attempts and waiting,
 *     throttling / 5xx / connection failures / timeouts retried), every retry signed afresh,
 *     and a backoff that never blocks the other requests in flight;
 *   - one clock: the transport's struct cr_aws_env, corrected once the service says our clock
 *     is off (RequestTimeTooSkewed, "Signature expired": the offset is learnt from the answer's
 *     Date header and every later signature uses it);
 *   - credentials from a provider, renewed and sent again once when the service calls them
 *     expired (ExpiredToken);
 *   - one --debug log line per attempt, redacted (aws/redact.h): the Authorization header,
 *     X-Amz-Security-Token, x-amz-sso_bearer_token, X-aws-ec2-metadata-token and anything
 *     that looks like a key never reach stderr; bodies are never logged;
 *   - a response cap (CR_ELIMIT, distinct from CR_ENOMEM), TLS peer and host verification
 *     always on, AWS_CA_BUNDLE replacing the trust store as in the AWS CLI;
 *   - per-request timeouts, attempt limits, response cap, token bucket and retry decision.
 *
 * Many requests run at once through cr_aws_perform_requests(); cr_aws_request_run() is one.
 * A transport is used from one thread at a time. It may be re-entered from inside a request
 * (a credentials provider renewing through STS while signing): the nested requests share the
 * connections and drive the outer ones while they wait.
 *
 * Example: an S3 lock file, created only if absent (signed for s3, payload hashed):
 *
 *     struct cr_http_header h[] = {{"If-None-Match", "*"},
 *                                  {"Content-Type", "application/json"}};
 *     struct cr_aws_request req;
 *     cr_aws_request_init(&req);
 *     req.name = "s3 PutObject";
 *     req.method = "PUT";
 *     req.url = "https://bucket.s3.eu-west-1.amazonaws.com/locks/prod.json";
 *     req.headers = h;
 *     req.header_count = 2;
 *     req.body = lock_json;
 *     req.body_len = strlen(lock_json);
 *     req.sign = (struct cr_aws_signing){.service = "s3", .region = "eu-west-1",
 *                                        .provider = creds, .content_sha256 = true,
 *                                        .no_normalize_path = true};
 *     req.at_most_once = true; // a lost answer must not become a second PUT
 *     int rc = cr_aws_request_run(transport, &req);
 *     if (rc == 0)
 *         etag = cr_aws_request_header(&req, "ETag");       // borrowed from req
 *     else if (req.status == 412)
 *         ...                                               // someone holds the lock
 *     cr_aws_request_dispose(&req);
 *
 * Unsigned calls leave sign.service NULL (IMDSv2, ECS container credentials, the SSO portal:
 * their tokens go in ordinary headers, which --debug redacts by name).
 */
#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "aws/config.h"
#include "aws/http.h"
#include "aws/ratelimit.h"
#include "aws/retry.h"
#include "util/buf.h"
#include "util/error.h"

struct cr_aws_transport;
struct cr_aws_credentials;
struct cr_aws_credentials_provider;
struct cr_aws_request;

/* ---- the transport ---- */

/** How a transport is set up. 0/NULL members mean the default. */
struct cr_aws_transport_options {
    const struct cr_aws_env *env;  /* environment and clock; NULL = the process's */
    unsigned max_connections;      /* requests in flight at once; 0 = 8 */
    uint32_t connect_timeout_ms;   /* default per request; 0 = 5000 */
    uint32_t timeout_ms;           /* default per attempt; 0 = 30000 */
    size_t max_response_bytes;     /* default per request; 0 = 8 MiB */
    const char *ca_bundle;         /* the trusted CAs (PEM; AWS_CA_BUNDLE); NULL = system */
    struct cr_retry_policy policy; /* default per request; max_attempts 0 = all of
                                      cr_retry_policy_default() */
    bool debug;                    /* log each attempt (also on with cr_log_set_debug) */
    bool debug_headers;            /* with debug: log the request headers too, redacted */
};

/**
 * Creates a transport. opts may be NULL (all defaults). Returns 0, CR_ENOMEM or CR_ERROR
 * (libcurl could not start); the message says which.
 */
int cr_aws_transport_new(struct cr_aws_transport **out,
                         const struct cr_aws_transport_options *opts) CR_WARN_UNUSED;
/** Frees the transport. Accepts NULL. No request may be in flight (none is outside
 * cr_aws_perform_requests). */
void cr_aws_transport_free(struct cr_aws_transport *t);
/** The transport's environment and clock (NULL = the process's). Borrowed. */
const struct cr_aws_env *cr_aws_transport_env(const struct cr_aws_transport *t);
/** Seconds to add to the transport's clock to get the service's, as learnt from a skew
 * error (0 until then). */
int64_t cr_aws_transport_clock_offset(const struct cr_aws_transport *t);
/** New connections opened so far (connection reuse shows as fewer than requests). */
unsigned long cr_aws_transport_connections(const struct cr_aws_transport *t);

/**
 * Writes "debug: aws <line>" to stderr, with secrets redacted (cr_redact_text), when debug is
 * true or debug logging is on process-wide. One write, so parallel writers do not interleave.
 */
void cr_aws_debug_line(bool debug, const char *line);

/* ---- errors ---- */

/** A service error, from the answer's body (and the x-amzn-ErrorType header). */
struct cr_aws_error {
    char type[128];     /* "ThrottlingException", "NoSuchKey"; namespace# prefix removed */
    char message[1024]; /* the service's message; for a body we cannot read, "HTTP 503 with
                           a non-JSON body: <first printable text>"; for a transport failure,
                           its text; redacted */
    long http_status;
};

/**
 * Reads an error answer, whatever the protocol: JSON 1.0/1.1 and REST-JSON ({"__type"|
 * "code"|"Code", "message"|"Message"}), the query protocol in JSON ({"Error":{"Code",
 * "Message"}}) and XML (<Error><Code>/<Message>, S3 and STS). out is overwritten; an unreadable
 * body leaves type "" and says so in message.
 */
void cr_aws_error_decode(struct cr_aws_error *out, long http_status, const char *body, size_t len);

/* ---- requests ---- */

/** How to sign. service NULL: the request goes unsigned. */
struct cr_aws_signing {
    const char *service; /* SigV4 signing name: "cognito-identity", "sts", "s3"; NULL = none */
    const char *region;  /* signing region */
    /* the credentials: from provider (fetched per attempt, so refreshed credentials sign the
     * next attempt, and renewed once when the service says ExpiredToken), or fixed */
    struct cr_aws_credentials_provider *provider;
    const struct cr_aws_credentials *credentials; /* when provider is NULL */
    bool content_sha256;    /* send and sign X-Amz-Content-Sha256 (S3 requires it) */
    bool unsigned_payload;  /* S3 over TLS: X-Amz-Content-Sha256: UNSIGNED-PAYLOAD */
    bool no_normalize_path; /* S3: sign the path as it is (no dot-segment removal) */
};

/**
 * A retry decision for one attempt of req (its status and error are those of the attempt).
 * Return what cr_retry_decide() would, or a stricter answer: e.g. an S3 lock treats 412 as
 * final, IMDS treats 404 as final. ctx is req->retry_ctx.
 */
/* Asked right before each attempt of a request goes out (after any wait for its rate;
 * retries too): 0 sends it, a negative code ends the request there with that code and the
 * message the gate set (cr_error_set). Called on the thread performing the request. */
typedef int cr_aws_gate_fn(void *ctx);

typedef enum cr_retry_decision cr_aws_retry_fn(void *ctx, const struct cr_aws_request *req,
                                               const struct cr_retry_outcome *outcome);

/** One exchange. The caller owns it and everything it points to until it is done. */
struct cr_aws_request {
    /* in */
    const char *name;   /* for --debug and messages: "s3 PutObject"; NULL = "METHOD URL" */
    const char *method; /* "GET", "PUT", "POST", "DELETE" or "HEAD" */
    const char *url;    /* http(s)://host[:port]/path[?query]; path and query as sent */
    const struct cr_http_header *headers; /* sent as given (Host is added unless given) */
    size_t header_count;
    const char *body; /* NULL = none */
    size_t body_len;
    struct cr_aws_signing sign;
    /* The request must reach the server at most once (CreateIdentityPool, a conditional
     * PutObject): it goes out on a new connection (libcurl re-sends a request on its own when
     * a reused connection died before answering), and a failure after it may have been sent
     * (timeout, reset, 5xx) ends as CR_EAMBIGUOUS instead of being retried. Throttling and
     * failures before sending are still retried. */
    bool at_most_once;
    uint32_t connect_timeout_ms;          /* 0 = the transport's */
    uint32_t timeout_ms;                  /* per attempt; 0 = the transport's */
    size_t max_response_bytes;            /* 0 = the transport's */
    const struct cr_retry_policy *policy; /* NULL = the transport's (IMDS: 2 attempts) */
    struct cr_ratelimit *bucket;          /* token bucket to respect; NULL = none */
    cr_aws_retry_fn *retry;               /* NULL = cr_retry_decide(outcome, at_most_once) */
    void *retry_ctx;
    cr_aws_gate_fn *gate; /* NULL = none; see cr_aws_gate_fn */
    void *gate_ctx;
    void *user; /* caller's */

    /* out, once performed */
    /* 0 (a 2xx answer); CR_ESERVICE (any other answer: status and error say which);
     * CR_ETHROTTLED (still throttled after the last attempt); CR_EAUTH (credentials missing
     * or refused: 401/403, NotAuthorized, InvalidClientTokenId, SignatureDoesNotMatch, ...);
     * CR_EAMBIGUOUS (at_most_once and it may have happened); CR_EIO (connection, DNS, TLS);
     * CR_ETIMEOUT; CR_ELIMIT (answer past the cap); CR_EINVALID (a request that cannot be
     * sent: method, URL, a header with a line break, signing); CR_ENOMEM. */
    int result;
    long status;               /* HTTP status of the last attempt; 0 when none came */
    struct cr_buf response;    /* its body (capped) */
    struct cr_aws_error error; /* decoded when not 2xx; transport text otherwise */
    unsigned attempts;
    char request_id[128]; /* x-amzn-RequestId / x-amz-request-id of the last attempt */

    /* private */
    struct cr_buf response_headers; /* the last answer's headers; cr_aws_request_header() */
};

/** Zeroes a request (no allocation). */
void cr_aws_request_init(struct cr_aws_request *req);
/** Frees the request's outputs. Accepts NULL. */
void cr_aws_request_dispose(struct cr_aws_request *req);

/**
 * The value of a header of the last answer ("ETag", "Last-Modified", "Date", ...; any case),
 * or NULL when it had none. The first when repeated. Borrowed from req.
 */
const char *cr_aws_request_header(const struct cr_aws_request *req, const char *name);

/**
 * Appends the one-line message of a failed request to out: "<name>: <Type>: <message>", or
 * "<name>: HTTP <status>: <message>" without a type, or "<name>: <transport failure>", with
 * " (after N attempts)" when retried; secrets redacted. Returns 0 or CR_ENOMEM.
 */
int cr_aws_request_describe(struct cr_buf *out, const struct cr_aws_request *req) CR_WARN_UNUSED;

/**
 * Performs n requests concurrently (at most the transport's max_connections in flight, token
 * buckets respected), retrying what the policy allows. Each request's outputs are set. Returns
 * 0 when every request succeeded, else the first failing request's result, with
 * cr_aws_request_describe() of it as the message.
 */
int cr_aws_perform_requests(struct cr_aws_transport *t, struct cr_aws_request *reqs,
                            size_t n) CR_WARN_UNUSED;

/** cr_aws_perform_requests() of one request. */
int cr_aws_request_run(struct cr_aws_transport *t, struct cr_aws_request *req) CR_WARN_UNUSED;

/** A stream's source: the next request to run (the caller's, kept alive until done() gets it),
 * or *out NULL when there is nothing to send now. Negative: stop the stream with that code. */
typedef int cr_aws_next_request_fn(void *ctx, struct cr_aws_request **out);
/** A stream's sink: a request next() gave has finished (its outputs set). Negative: stop;
 * CR_AWS_STREAM_DRAIN: send nothing more, let what was sent finish (below). */
typedef int cr_aws_done_request_fn(void *ctx, struct cr_aws_request *req);

/** done()'s answer for "send nothing more": requests already sent (retries included) finish
 * and are delivered; those not sent yet are delivered unsent (attempts 0, result CR_EREFUSED)
 * and next() is not asked again. */
#define CR_AWS_STREAM_DRAIN 1

/**
 * Runs requests as a source hands them out, a pipeline instead of a batch: next() is asked
 * whenever fewer than `window` requests are held (queued for their token bucket or in
 * flight; the transport's max_connections still bounds those in flight), again after every
 * completion, and done() gets each request as it finishes, whatever the others are doing.
 * Ends when next() has nothing and nothing is held, or when next() or done() returns a
 * negative code (requests still held are then cancelled and never passed to done()), or,
 * after done() returned CR_AWS_STREAM_DRAIN, when what was sent has finished.
 * Returns 0, that code, or CR_EIO when the transport failed.
 */
int cr_aws_perform_stream(struct cr_aws_transport *t, size_t window, cr_aws_next_request_fn *next,
                          cr_aws_done_request_fn *done, void *ctx) CR_WARN_UNUSED;

/* ---- test-visible ---- */

/** A source of random numbers in [0, 1) for the backoff jitter. */
typedef double cr_aws_random_fn(void *ctx);
/** Replaces the jitter source (tests pin it; NULL restores the default). */
void cr_aws__transport_set_random(struct cr_aws_transport *t, cr_aws_random_fn *fn, void *ctx);

#endif
