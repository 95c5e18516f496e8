/* SPDX-License-Identifier: Apache-2.0 */
#ifndef CR_EMULATOR_EMULATOR_H
#define CR_EMULATOR_EMULATOR_H
/*
 * cognito-identity-local: an in-process emulator of the cognito-identity API (JSON 1.1; the 12
 * pool-management operations and the 11 of the identity side) plus the two STS actions CI
 * credentials and the classic flow need.
 *
 * struct cr_emu is the service (state, faults, request log, keys) and is independent of HTTP:
 * cr_emu_handle() takes a decoded request and fills a response, so unit tests call it
 * directly. cr_emu_server_* (emulator/server.c) puts it behind libmicrohttpd.
 *
 * Thread safety: cr_emu_handle() may be called from many threads at once.
 */
#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "aws/sigv4.h"
#include "util/buf.h"
#include "util/error.h"

/** Start-up settings; NULL/0 members take the documented defaults. */
struct cr_emu_options {
    const char *region;           /* default region (no Authorization header); "us-east-1" */
    const char *account_id;       /* default account; "123456789012" */
    const char *state_path;       /* JSON state file, rewritten atomically; NULL = memory */
    const char *credentials_path; /* "KEY SECRET [ACCOUNT]" lines; NULL = no verification */
    const char *idp_keys_path;    /* {"ISSUER": JWKS}: verify login tokens of these issuers */
    unsigned max_pools;           /* pools per account and region; 0 = 1000 */
    size_t max_body_bytes;        /* request body cap; 0 = 1 MiB */
    bool debug;                   /* one stderr line per request */
    /* request-rate quotas (docs/emulator.md): a profile ("none" = NULL, or "aws"), then
     * `OP=RPS[:BURST]` rules in order (OP may be "*") */
    const char *quota_profile;
    const char *const *quota_rules;
    size_t n_quota_rules;
    const char *const *s3_buckets; /* S3 buckets that exist (path-style); NULL = none */
    size_t n_s3_buckets;
    /* temporary credentials (docs/emulator.md "Credential endpoints") */
    long sts_min_duration_s;    /* lowest STS DurationSeconds accepted; 0 = 900 (AWS's) */
    long credentials_ttl_s;     /* lifetime of IMDS, container and SSO credentials; 0 = 3600 */
    const char *imds_role;      /* the instance profile's role; NULL = "cognito-identity-local" */
    const char *container_role; /* the task role; NULL = "cognito-identity-local-task" */
    const char *container_token; /* Authorization the container endpoint requires; NULL = none */
};

struct cr_emu;

/** A decoded HTTP request (all borrowed). */
struct cr_emu_request {
    const char *method;
    const char *path;                      /* without the query string */
    const char *query;                     /* raw query string without '?', or NULL */
    const struct cr_sigv4_header *headers; /* as received, any case */
    size_t n_headers;
    const char *body;
    size_t body_len;
    bool body_too_large; /* the server stopped reading at the cap */
    bool loopback;       /* the peer is 127.0.0.0/8 or ::1 */
    bool imds;           /* it came to the instance metadata listener (cr_emu_imds_start) */
};

/**
 * What to send back. drop = close the connection without any response (fault injection),
 * after holding it hang_ms when that is set.
 */
struct cr_emu_response {
    int status;
    bool drop;
    uint32_t hang_ms;
    const char *content_type;      /* static string; NULL = none (S3 objects: in headers) */
    const char *allow;             /* Allow header of a 405 (static); NULL = "POST" */
    const char *request_id_header; /* static; NULL = "x-amzn-RequestId" (S3: x-amz-request-id) */
    char request_id[40];
    struct cr_buf headers; /* further headers: "Name\0value\0" pairs (cr_emu_response_header) */
    struct cr_buf body;
};

/**
 * Creates the emulator: copies the options, loads opts->state_path when the file exists
 * (CR_EINVALID with "FILE: what is wrong" when it is corrupt) and opts->credentials_path,
 * and sets the quotas (CR_EINVALID naming a bad profile or rule).
 * Returns 0, CR_EINVALID, CR_EIO or CR_ENOMEM.
 */
int cr_emu_new(struct cr_emu **out, const struct cr_emu_options *opts) CR_WARN_UNUSED;

/** Frees the emulator (the state file was already written after each change). Accepts NULL. */
void cr_emu_free(struct cr_emu *emu);

/**
 * Adds fault rules: either a JSON document (an array of rules or {"faults": [...]}) or a
 * flag spec `Op:key=value,key=value` (Op may be "*"). Keys: latency_ms, jitter_ms, throttle,
 * error, drop, hang (rates 0..1), hang_ms, count, after, type, status, message. Returns 0 or
 * CR_EINVALID.
 */
int cr_emu_add_faults(struct cr_emu *emu, const char *spec) CR_WARN_UNUSED;

/** Initialises an empty response. */
void cr_emu_response_init(struct cr_emu_response *resp);
/** Frees the response body. */
void cr_emu_response_dispose(struct cr_emu_response *resp);

/**
 * Adds a header (value formatted) to the response. Returns 0 or CR_ENOMEM (also recorded in
 * resp->headers, cr_buf_oom).
 */
int cr_emu_response_header(struct cr_emu_response *resp, const char *name, const char *fmt, ...)
    CR_PRINTF(3, 4);

/**
 * Iterates over the headers added with cr_emu_response_header: *pos starts at 0; returns
 * false after the last one. name and value are borrowed from resp.
 */
bool cr_emu_response_next_header(const struct cr_emu_response *resp, size_t *pos, const char **name,
                                 const char **value);

/**
 * Handles one request: routing (JSON 1.1 by X-Amz-Target, STS query protocol, the /_local
 * control endpoints), SigV4 verification, faults, validation, the operation, persistence
 * and the request log. Always fills out (errors are responses); returns 0, or CR_ENOMEM
 * when even the error response could not be built.
 */
int cr_emu_handle(struct cr_emu *emu, struct cr_emu_response *out,
                  const struct cr_emu_request *req) CR_WARN_UNUSED;

/*
 * The same in two steps, for servers that must not block a thread during injected latency:
 * cr_emu_prepare() routes, authenticates and decides the faults (consuming fault counts);
 * wait cr_emu_pending_delay_ms() without blocking other requests, then cr_emu_finish()
 * with the same request. req must stay valid between the two calls.
 */
struct cr_emu_pending;

/** Step 1. *out is heap-allocated (free with cr_emu_pending_free). Returns 0 or CR_ENOMEM. */
int cr_emu_prepare(struct cr_emu_pending **out, struct cr_emu *emu,
                   const struct cr_emu_request *req) CR_WARN_UNUSED;
/** The injected latency to wait before cr_emu_finish() (0 = none). */
uint32_t cr_emu_pending_delay_ms(const struct cr_emu_pending *pending);
/** Step 2: like cr_emu_handle() but with the decisions of step 1. */
int cr_emu_finish(struct cr_emu *emu, struct cr_emu_response *out, const struct cr_emu_request *req,
                  const struct cr_emu_pending *pending) CR_WARN_UNUSED;
/** Frees a pending decision. Accepts NULL. */
void cr_emu_pending_free(struct cr_emu_pending *pending);

struct cr_emu_server;

/**
 * Where the HTTP server listens and how it bounds its clients; 0/NULL members take the
 * documented defaults. A client is an IP address: one client holds at most
 * max_connections_per_client of the max_connections, so a single slow or greedy client
 * cannot take them all, and a request head (request line and headers) must arrive within
 * header_timeout_ms of the connection opening, or of the previous answer on a kept-alive
 * connection, however steadily its lines trickle in; a connection past it is closed.
 */
struct cr_emu_server_options {
    const char *host;                    /* "127.0.0.1" */
    unsigned port;                       /* 0 = pick a free one */
    unsigned threads;                    /* 4 */
    unsigned max_connections;            /* 1000 */
    unsigned max_connections_per_client; /* 256 */
    unsigned header_timeout_ms;          /* 20000 */
};

/**
 * Serves emu over HTTP as opts says, with a pool of threads. Returns 0, CR_EINVALID (a bad
 * host or port), CR_EIO (bind failed; message names the address) or CR_ENOMEM.
 */
int cr_emu_server_start(struct cr_emu_server **out, struct cr_emu *emu,
                        const struct cr_emu_server_options *opts) CR_WARN_UNUSED;
/** The bound port. */
unsigned cr_emu_server_port(const struct cr_emu_server *server);
/** "http://HOST:PORT" (IPv6 hosts bracketed). Borrowed. */
const char *cr_emu_server_url(const struct cr_emu_server *server);
/**
 * Stops serving and frees the server. Accepts NULL. New connections are refused at once; every
 * request already received whole is answered (one held for injected latency now, without the
 * rest of its delay; one held by a hang fault gets its connection closed, no answer), waiting
 * at most 5 s for the answers to be written, and then every connection is closed: a client
 * gets its answer or a closed connection, never a wait. Requests still arriving are cut off.
 */
void cr_emu_server_stop(struct cr_emu_server *server);

/**
 * Serves emu's instance metadata service (IMDSv2: PUT /latest/api/token, GET
 * /latest/meta-data/...) on opts->host and opts->port (the connection limits as for the main
 * listener), a listener of its own because IMDS has fixed paths at the root. Stop it with
 * cr_emu_server_stop(). Returns as cr_emu_server_start().
 */
int cr_emu_imds_start(struct cr_emu_server **out, struct cr_emu *emu,
                      const struct cr_emu_server_options *opts) CR_WARN_UNUSED;

#endif
