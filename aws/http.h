/* SPDX-License-Identifier: Apache-2.0 */
#ifndef CR_AWS_HTTP_H
#define CR_AWS_HTTP_H
/*
 * HTTP transport over the libcurl multi interface: many requests in flight on one thread,
 * connections (and DNS, TLS sessions) reused across requests through the multi handle's
 * connection cache, bounded by max_connections.
 *
 * TLS peer and host verification are always on (there is no option to turn them off);
 * proxies come from the standard environment variables (libcurl's default); only http and
 * https URLs are followed.
 *
 * Usage: cr_http_start() any number of requests, then call cr_http_poll() and drain
 * cr_http_next_done() until every request finished. A request is one attempt: signing,
 * retries and the rest are aws/request.h's, which starts the same struct again. Nothing
 * outside aws/request.c needs this layer.
 */
#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "aws/retry.h"
#include "util/buf.h"
#include "util/error.h"

struct cr_http;

/** Transport settings. 0 members mean the default. */
struct cr_http_options {
    unsigned max_connections;    /* connections open at once (the parallelism); 0 = 8 */
    uint32_t connect_timeout_ms; /* 0 = 5000 */
    uint32_t timeout_ms;         /* whole attempt; 0 = 30000 */
    size_t max_response_bytes;   /* 0 = 8 MiB */
    const char *user_agent;      /* NULL = "cognito-reconcile" */
    const char *ca_bundle;       /* the only trusted CAs (PEM; AWS_CA_BUNDLE); NULL = system */
};

/** One header to send. Borrowed. */
struct cr_http_header {
    const char *name;
    const char *value;
};

/** One attempt. The caller owns it and everything it points to until it is done. */
struct cr_http_request {
    /* in */
    const char *method; /* "GET", "PUT", "POST", "DELETE", "HEAD"; NULL = "POST" */
    const char *url;
    const struct cr_http_header *headers;
    size_t header_count;
    const char *body; /* not for GET and HEAD */
    size_t body_len;
    uint32_t connect_timeout_ms; /* 0 = the transport's */
    uint32_t timeout_ms;         /* 0 = the transport's */
    size_t max_response_bytes;   /* 0 = the transport's */
    /* Open a new connection instead of reusing one. For non-idempotent requests: libcurl
     * silently re-sends a request whose reused keep-alive connection died before any answer
     * arrived, and the server may already have acted on the first copy. */
    bool fresh_connection;
    void *user; /* caller's */

    /* out, valid once the request came back from cr_http_next_done() */
    int result;                        /* 0 (an HTTP response arrived, any status),
                                          CR_EIO, CR_ETIMEOUT, CR_ELIMIT (response cap),
                                          CR_ENOMEM */
    enum cr_retry_transport transport; /* how it ended, for aws/retry */
    bool sent;                         /* the request may have reached the server */
    long status;                       /* HTTP status, 0 when none */
    struct cr_buf response;            /* the body, at most max_response_bytes */
    struct cr_buf response_headers;    /* the final answer's headers: "name\0value\0"...;
                                          read with cr_http_response_header() */
    char request_id[128];              /* x-amzn-RequestId (or x-amz-request-id) */
    char date[64];                     /* the response's Date header, "" when none */
    uint64_t duration_ms;
    char error[1024]; /* transport failure text (libcurl's CURLOPT_ERRORBUFFER, which needs
                         CURL_ERROR_SIZE bytes) and, for a certificate or proxy failure, what
                         was in use (AWS_CA_BUNDLE and the bundle, the proxy and its
                         variable); "" when none */

    /* private */
    void *easy;
    void *slist;
    struct cr_http *owner;
    struct cr_http_request *next_done;
};

/**
 * Initialises libcurl once per process (curl_global_init is not thread-safe, so every libcurl
 * user in aws/ goes through here rather than relying on curl_easy_init's implicit call).
 * Returns 0 or CR_ERROR with a message.
 */
int cr_http_global_init(void) CR_WARN_UNUSED;
/** What retrying can make of a libcurl result (a CURLcode): CONNECT (not sent), SEND_RECV,
 * TIMEOUT, TOO_LARGE (CURLE_FILESIZE_EXCEEDED), FATAL (certificates, bad URL, ...) or OK. */
enum cr_retry_transport cr_http_curl_transport(int curl_code);

/** Creates a transport. Returns 0, CR_ENOMEM or CR_ERROR (libcurl could not start). */
int cr_http_new(struct cr_http **out, const struct cr_http_options *opts) CR_WARN_UNUSED;
/** Frees the transport; requests still in flight are abandoned (their results unset). */
void cr_http_free(struct cr_http *http);

/** Initialises a request (zeroed, response buffer with no memory yet). */
void cr_http_request_init(struct cr_http_request *req);
/** Frees the request's response body and headers. */
void cr_http_request_dispose(struct cr_http_request *req);

/**
 * The value of a header of the final answer (case-insensitive name; the first if repeated),
 * or NULL. Headers of interim answers (100 Continue) are not kept. Borrowed from req.
 */
const char *cr_http_response_header(const struct cr_http_request *req, const char *name);

/** The same lookup in a headers buffer taken from a request ("name\0value\0"...). */
const char *cr_http_header_find(const struct cr_buf *headers, const char *name);

/**
 * Starts a request (resetting its outputs; the response cap applies). Returns 0, CR_ENOMEM,
 * CR_EINVALID (a method other than GET/PUT/POST/DELETE/HEAD, a body on GET or HEAD, a header
 * with a line break: header injection) or CR_ERROR (libcurl refused).
 */
int cr_http_start(struct cr_http *http, struct cr_http_request *req) CR_WARN_UNUSED;

/**
 * Drives the transfers and waits up to max_wait_ms for one to finish (returns earlier when
 * one does). With nothing in flight it simply sleeps max_wait_ms. Returns 0 or CR_ERROR.
 */
int cr_http_poll(struct cr_http *http, uint32_t max_wait_ms) CR_WARN_UNUSED;

/** Stops a request still in flight (no-op when it is not); it will not come back as done. */
void cr_http_cancel(struct cr_http *http, struct cr_http_request *req);

/** The next finished request, or NULL. */
struct cr_http_request *cr_http_next_done(struct cr_http *http);

/** Requests started and not yet returned by cr_http_next_done(). */
unsigned cr_http_in_flight(const struct cr_http *http);

/** New connections opened so far (connection reuse shows as fewer than requests). */
unsigned long cr_http_connections_opened(const struct cr_http *http);

#endif
