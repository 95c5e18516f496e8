/* SPDX-License-Identifier: Apache-2.0 */
#ifndef CR_AWS_S3_H
#define CR_AWS_S3_H
/*
 * The few S3 object calls a lock file needs (docs/locking.md): PutObject (plain, If-None-Match:
 * *, If-Match: ETAG), GetObject and DeleteObject (plain or If-Match), made through the request
 * path of aws/request.h and signed with SigV4 for "s3" (X-Amz-Content-Sha256, the path as sent).
 *
 * Addressing, as the SDKs do: on AWS virtual-hosted style (https://BUCKET.s3.REGION.amazonaws
 * .com/KEY; FIPS s3-fips., dual-stack s3.dualstack.), path-style when the bucket name has a dot
 * (a wildcard certificate does not cover it); with a custom endpoint always path-style
 * (ENDPOINT/BUCKET/KEY). A bucket in another region answers with its region
 * (x-amz-bucket-region on 301 PermanentRedirect / 400 AuthorizationHeaderMalformed): the client
 * switches to it once and says so.
 *
 * A client has its own transport and credentials provider, so it may be used from another
 * thread than the cognito-identity clients of the run (one thread at a time).
 */
#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "aws/config.h"
#include "util/buf.h"
#include "util/error.h"

/** An object: s3://BUCKET/KEY. */
struct cr_s3_location {
    char *bucket;
    char *key;
};

/**
 * Parses "s3://BUCKET/KEY". The bucket must follow S3's naming rules (3-63 characters,
 * lower-case letters, digits, '.', '-', starting and ending with a letter or digit); the key is
 * 1-1024 bytes of letters, digits and - . _ ~ / (nothing that needs escaping), not starting
 * with '/'. what names the source in messages ("--lock", "COGNITO_RECONCILE_LOCK").
 * Returns 0, CR_EINVALID (the message says what is wrong) or CR_ENOMEM.
 */
int cr_s3_location_parse(struct cr_s3_location *out, const char *url,
                         const char *what) CR_WARN_UNUSED;
/** Frees the location's strings. Safe on a zeroed one. */
void cr_s3_location_dispose(struct cr_s3_location *loc);

struct cr_s3_options {
    const char *region;        /* the bucket's region; NULL = resolve (--region, AWS_REGION...) */
    const char *endpoint_url;  /* explicit endpoint (named endpoint_name in messages); NULL =
                                  AWS_ENDPOINT_URL_S3 > AWS_ENDPOINT_URL > profile > AWS */
    const char *endpoint_name; /* "--lock-endpoint-url" */
    const char *profile;       /* --profile */
    const struct cr_aws_env *env; /* NULL = the process's */
    uint32_t timeout_ms;          /* per attempt; 0 = 30000 */
    bool debug;
};

struct cr_s3_client;

/**
 * Creates a client for one bucket: resolves region, endpoint and credentials (the same chain
 * as cognito-identity's). Returns 0, CR_EINVALID (no region, a bad endpoint), CR_EAUTH (no
 * credentials) or CR_ENOMEM.
 */
int cr_s3_client_new(struct cr_s3_client **out, const struct cr_s3_location *loc,
                     const struct cr_s3_options *opts) CR_WARN_UNUSED;
/** Frees the client. Accepts NULL. */
void cr_s3_client_free(struct cr_s3_client *c);
/** The object's URL as requested (it changes when the bucket's region is learnt). Borrowed. */
const char *cr_s3_client_url(const struct cr_s3_client *c);
/** The region requests are signed for. Borrowed. */
const char *cr_s3_client_region(const struct cr_s3_client *c);

/** A PutObject/DeleteObject condition. */
struct cr_s3_condition {
    bool if_none_match; /* If-None-Match: * (create only) */
    const char *if_match; /* If-Match: ETAG (NULL = none) */
};

/*
 * The calls. Each returns 0, or:
 * - CR_ECONFLICT: 412 PreconditionFailed (the condition is false);
 * - CR_ENOTFOUND: 404 NoSuchKey (GetObject of a missing key; an If-Match on a missing key);
 * - CR_EAMBIGUOUS: a conditional write failed after it may have reached S3 (timeout, reset,
 *   5xx): it is never sent twice, read the object back;
 * - CR_EAUTH, CR_ESERVICE (NoSuchBucket, AccessDenied, ...), CR_EIO, CR_ETIMEOUT, ...
 * with the message "s3 PutObject s3://bucket/key: Type: message". 409 ConditionalRequestConflict
 * (a conflicting write in flight) and throttling (SlowDown) are retried.
 */

/** PutObject body (Content-Type: application/json); etag receives the new ETag (quoted). */
int cr_s3_put(struct cr_s3_client *c, struct cr_buf *etag, const char *body, size_t len,
              const struct cr_s3_condition *cond) CR_WARN_UNUSED;
/** GetObject: body and etag (quoted) of the object. */
int cr_s3_get(struct cr_s3_client *c, struct cr_buf *body, struct cr_buf *etag) CR_WARN_UNUSED;
/** DeleteObject, with If-Match when cond->if_match. */
int cr_s3_delete(struct cr_s3_client *c, const struct cr_s3_condition *cond) CR_WARN_UNUSED;

/* ---- test-visible ---- */

/**
 * The object's URL: path-style on a custom endpoint (endpoint given), else virtual-hosted
 * (path-style for a bucket with a dot), with FIPS / dual-stack host names. Returns 0 or
 * CR_ENOMEM/CR_EINVALID.
 */
int cr_s3__url(struct cr_buf *out, const struct cr_s3_location *loc, const char *endpoint,
               const char *region, bool fips, bool dual_stack) CR_WARN_UNUSED;

#endif
