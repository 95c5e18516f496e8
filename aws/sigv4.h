/* SPDX-License-Identifier: Apache-2.0 */
#ifndef CR_AWS_SIGV4_H
#define CR_AWS_SIGV4_H
/*
 * AWS Signature Version 4 (AWS4-HMAC-SHA256): signing with headers or with a presigned query
 * string, and verification for a server (the emulator).
 *
 * The pipeline is canonical request -> string to sign -> signature -> Authorization header;
 * each stage is exposed with a double underscore so tests can check it against every case of
 * the official suite (tests/data/sigv4-test-suite/v4). The clock is always an input.
 *
 * Secrets (secret access key, derived signing keys) are never logged; use
 * cr_sigv4_redact_authorization() before printing an Authorization header.
 */
#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "util/buf.h"
#include "util/error.h"
#include "util/span.h"

#define CR_SIGV4_ALGORITHM "AWS4-HMAC-SHA256"
/** Length of an X-Amz-Date value ("20150830T123600Z") without the NUL. */
#define CR_SIGV4_DATE_LEN 16
/** Length of a hex SHA-256 digest or signature without the NUL. */
#define CR_SIGV4_HEX_LEN 64
/** The payload hash a presigned URL may use instead of hashing the body. */
#define CR_SIGV4_UNSIGNED_PAYLOAD "UNSIGNED-PAYLOAD"

/** One request header as given: any case, possibly repeated, value possibly multi-line. */
struct cr_sigv4_header {
    const char *name;
    const char *value;
};

/** A request to sign or verify. Everything is borrowed. */
struct cr_sigv4_request {
    const char *method; /* "GET", "POST", ... */
    /* The path as it appears in the request line, without the query ("/", "/a b/..").
     * Each segment is URI-encoded for the canonical request (so an already percent-encoded
     * wire path is encoded a second time, as every AWS service but S3 expects). */
    const char *path;
    const char *query; /* the raw query string without '?'; NULL or "" for none */
    const struct cr_sigv4_header *headers;
    size_t header_count;
    struct cr_span body; /* the payload bytes; {NULL, 0} for none */
};

/** What to sign with. Strings are borrowed for the duration of the call. */
struct cr_sigv4_params {
    const char *access_key_id;
    const char *secret_access_key; /* secret */
    const char *session_token;     /* NULL or "" when the credentials are not temporary */
    const char *region;            /* "us-east-1" */
    const char *service;           /* signing name: "cognito-identity", "sts" */
    int64_t time_s;                /* the signing time, epoch seconds (UTC) */
    /* Remove dot segments and collapse repeated slashes in the path before encoding (every
     * service but S3). */
    bool normalize_path;
    /* Sign without the session token and add it afterwards (X-Amz-Security-Token header or
     * query parameter outside the signature), as some services require; the suite's
     * "omit_session_token". Default false: the token is signed. */
    bool omit_session_token;
    /* Header signing: also add and sign "X-Amz-Content-Sha256: <hex body hash>" (the
     * suite's "sign_body"). */
    bool add_content_sha256;
    /* Use "UNSIGNED-PAYLOAD" instead of the hex SHA-256 of the body as the payload hash: in a
     * presigned query, or (S3) in header signing, where it also turns add_content_sha256 on
     * so the header carries it. */
    bool unsigned_payload;
    uint32_t expires_s; /* presigning: X-Amz-Expires; 0 = 900 */
};

/**
 * A cache of the derived signing key, valid for one (day, region, service, secret). Caller
 * owned; init before use, dispose (wipes the key) after. Not thread-safe: one per client.
 */
struct cr_sigv4_key_cache {
    bool valid;
    char date[9];    /* YYYYMMDD */
    char region[64]; /* longer regions are simply not cached */
    char service[64];
    unsigned char secret_digest[32]; /* SHA-256 of the secret: identifies it, not it */
    unsigned char key[32];           /* secret */
    unsigned long derivations;       /* how many keys were derived (tests, stats) */
};

/** Empties a cache (no allocation). */
void cr_sigv4_key_cache_init(struct cr_sigv4_key_cache *cache);
/** Wipes the cached key (OPENSSL_cleanse). Safe to call twice. */
void cr_sigv4_key_cache_dispose(struct cr_sigv4_key_cache *cache);

/** The headers cr_sigv4_sign_headers() asks the caller to add to the request. */
struct cr_sigv4_signed {
    char amz_date[CR_SIGV4_DATE_LEN + 1];      /* X-Amz-Date value */
    char content_sha256[CR_SIGV4_HEX_LEN + 1]; /* hex body hash, or UNSIGNED-PAYLOAD */
    bool add_content_sha256;                   /* add X-Amz-Content-Sha256 */
    const char *session_token;                 /* borrowed from params; NULL = none */
    char signature[CR_SIGV4_HEX_LEN + 1];      /* hex signature */
    struct cr_buf signed_headers;              /* "host;x-amz-date" */
    struct cr_buf authorization;               /* the Authorization header value */
};

/** Initialises an empty result (no allocation). */
void cr_sigv4_signed_init(struct cr_sigv4_signed *out);
/** Frees the result's buffers. */
void cr_sigv4_signed_dispose(struct cr_sigv4_signed *out);

/**
 * Lists the headers to add, in this order: X-Amz-Date, X-Amz-Security-Token (when a session
 * token), X-Amz-Content-Sha256 (when asked), Authorization. Values are borrowed from s.
 * Returns how many entries of out (at least 4) were filled.
 */
size_t cr_sigv4_signed_headers(const struct cr_sigv4_signed *s, struct cr_sigv4_header out[4]);

/**
 * Signs a request with headers. The request's own headers are signed (except
 * Authorization, User-Agent, X-Amzn-Trace-Id, Expect, Connection, Transfer-Encoding and
 * Keep-Alive, which proxies and clients rewrite), plus the added X-Amz-Date,
 * X-Amz-Security-Token (unless omit_session_token) and X-Amz-Content-Sha256 (when asked).
 * The request must carry a Host header.
 *
 * out: initialised by the caller (cr_sigv4_signed_init), filled here.
 * cache: optional (NULL = derive the key every time).
 * Returns 0, CR_EINVALID (missing Host, bad parameters; message says which), CR_ENOMEM or
 * CR_ERROR (libcrypto failed: nothing is signed).
 */
int cr_sigv4_sign_headers(struct cr_sigv4_signed *out, const struct cr_sigv4_request *req,
                          const struct cr_sigv4_params *params,
                          struct cr_sigv4_key_cache *cache) CR_WARN_UNUSED;

/**
 * Presigns a request: appends to out the whole query string to send (the request's own
 * parameters, then X-Amz-Algorithm, X-Amz-Credential, X-Amz-Date, X-Amz-Expires,
 * X-Amz-SignedHeaders, X-Amz-Security-Token when a token, X-Amz-Signature), without '?'.
 * Every request header is signed (same exclusions as header signing).
 * Returns 0, CR_EINVALID or CR_ENOMEM.
 */
int cr_sigv4_presign(struct cr_buf *out, const struct cr_sigv4_request *req,
                     const struct cr_sigv4_params *params,
                     struct cr_sigv4_key_cache *cache) CR_WARN_UNUSED;

/* ---- time ---- */

/** Formats epoch seconds as an X-Amz-Date ("20150830T123600Z") into out (17 bytes). */
void cr_sigv4_format_date(char out[CR_SIGV4_DATE_LEN + 1], int64_t time_s);

/**
 * Parses "20150830T123600Z" or ISO 8601 "2015-08-30T12:36:00Z" (also with fractional
 * seconds) into epoch seconds. Returns 0 or CR_EINVALID.
 */
int cr_sigv4_parse_date(int64_t *out, const char *text) CR_WARN_UNUSED;

/* ---- verification (servers) ---- */

/** A parsed Authorization header; every span points into the header value (borrowed). */
struct cr_sigv4_authorization {
    struct cr_span access_key_id;
    struct cr_span scope;          /* "20150830/us-east-1/service/aws4_request" */
    struct cr_span date;           /* "20150830" */
    struct cr_span region;         /* "us-east-1" */
    struct cr_span service;        /* "service" */
    struct cr_span signed_headers; /* "host;x-amz-date" */
    struct cr_span signature;      /* 64 lowercase hex digits */
};

/**
 * Parses "AWS4-HMAC-SHA256 Credential=AKID/20150830/us-east-1/service/aws4_request,
 * SignedHeaders=host;x-amz-date, Signature=<64 hex>" (components in any order, spaces after
 * commas optional). Returns 0, or CR_EINVALID with a message naming what is wrong (wrong
 * algorithm, missing component, malformed scope, bad signature) — the emulator answers
 * IncompleteSignatureException for it.
 */
int cr_sigv4_parse_authorization(struct cr_sigv4_authorization *out,
                                 const char *header_value) CR_WARN_UNUSED;

/**
 * The region of a credential scope "DATE/REGION/SERVICE/aws4_request". Returns 0 or
 * CR_EINVALID. out points into scope.
 */
int cr_sigv4_scope_region(struct cr_span *out, struct cr_span scope) CR_WARN_UNUSED;

/** Checks a server applies on top of the signature itself. */
struct cr_sigv4_verify_options {
    int64_t now_s;          /* the server's clock */
    int64_t max_skew_s;     /* reject X-Amz-Date further than this from now_s; 0 = 900;
                               <0 = do not check */
    const char *region;     /* required scope region; NULL = any */
    const char *service;    /* required scope service; NULL = any */
    bool no_normalize_path; /* S3-style: sign the path as is */
    /* S3-style payload: the payload hash is the X-Amz-Content-Sha256 header, which must be
     * there and be UNSIGNED-PAYLOAD or the hex SHA-256 of the body received (anything else is
     * CR_EAUTH, S3's XAmzContentSHA256Mismatch). Otherwise the body is always hashed. */
    bool payload_from_header;
};

/**
 * Verifies a header-signed request, as a server sees it.
 *
 * How a server calls it: parse the Authorization header with cr_sigv4_parse_authorization(),
 * look up the secret for auth->access_key_id (unknown key: the server's own error, e.g.
 * UnrecognizedClientException), then pass the request exactly as received: method, the
 * path from the request line without the query, the raw query string, ALL headers as
 * received (names in any case, repeated headers repeated; Host and X-Amz-Date included),
 * and the raw body bytes. The signature is recomputed over the headers named in
 * SignedHeaders (which must include host and every x-amz-* header the request carries,
 * except x-amz-content-sha256 may be absent) with the payload hash of the body actually
 * received, and compared in constant time (CRYPTO_memcmp).
 *
 * Returns 0 when the signature matches; CR_EAUTH when it does not, or the date is outside
 * the skew window, or the scope's date/region/service is wrong (message says which;
 * the emulator answers InvalidSignatureException); CR_EINVALID when the request lacks a
 * signed header or X-Amz-Date (IncompleteSignatureException); CR_ENOMEM.
 */
int cr_sigv4_verify(const struct cr_sigv4_request *req, const struct cr_sigv4_authorization *auth,
                    const char *secret_access_key,
                    const struct cr_sigv4_verify_options *opts) CR_WARN_UNUSED;

/**
 * Writes a loggable copy of an Authorization header value into out:
 * "AWS4-HMAC-SHA256 Credential=AKID/20150830/us-east-1/service/aws4_request,
 * SignedHeaders=host;x-amz-date, Signature=<redacted>". A value that does not parse becomes
 * "<redacted>". Returns 0 or CR_ENOMEM.
 */
int cr_sigv4_redact_authorization(struct cr_buf *out, const char *authorization) CR_WARN_UNUSED;

/**
 * Writes the lowercase hex SHA-256 of data into out (65 bytes with the NUL). Returns 0, or
 * CR_ERROR when libcrypto fails (message set; out is then "", never a made-up hash).
 */
int cr_sigv4_sha256_hex(char out[CR_SIGV4_HEX_LEN + 1], struct cr_span data) CR_WARN_UNUSED;

/* ---- stages, visible to tests (double underscore) ---- */

/**
 * The SignedHeaders list for a request: lowercase unique header names, sorted, ';'-joined,
 * without the excluded headers (see cr_sigv4_sign_headers). Appends to out.
 */
int cr_sigv4__signed_headers(struct cr_buf *out, const struct cr_sigv4_request *req) CR_WARN_UNUSED;

/**
 * The canonical request: METHOD \n canonical URI \n canonical query \n canonical headers \n
 * \n signed headers \n payload hash. Only the headers named in signed_headers (";"-joined
 * lowercase) are included; repeated headers are joined with ',' in request order, values
 * trimmed, inner whitespace runs (including line folds) collapsed to one space.
 * Query parameters are percent-decoded then re-encoded (RFC 3986 unreserved kept), sorted
 * by key then value. Appends to out. Returns 0, CR_EINVALID (a signed header missing from
 * the request, bad percent-encoding) or CR_ENOMEM.
 */
int cr_sigv4__canonical_request(struct cr_buf *out, const struct cr_sigv4_request *req,
                                const char *signed_headers, bool normalize_path,
                                const char *payload_hash) CR_WARN_UNUSED;

/**
 * The string to sign: "AWS4-HMAC-SHA256\n<amz_date>\n<scope>\n<hex sha256(canonical)>".
 * Appends to out. Returns 0 or CR_ENOMEM.
 */
int cr_sigv4__string_to_sign(struct cr_buf *out, const char *amz_date, const char *scope,
                             struct cr_span canonical_request) CR_WARN_UNUSED;

/**
 * Derives the signing key HMAC(HMAC(HMAC(HMAC("AWS4"+secret, date8), region), service),
 * "aws4_request") into out, through cache when given. Returns 0 or -1 (OpenSSL failure).
 */
int cr_sigv4__signing_key(unsigned char out[32], const char *secret_access_key, const char *date8,
                          const char *region, const char *service,
                          struct cr_sigv4_key_cache *cache) CR_WARN_UNUSED;

/**
 * The hex signature HMAC(key, string_to_sign) into out (65 bytes). Returns 0 or -1.
 */
int cr_sigv4__signature(char out[CR_SIGV4_HEX_LEN + 1], const unsigned char key[32],
                        struct cr_span string_to_sign) CR_WARN_UNUSED;

/**
 * URI-encodes bytes per SigV4 (RFC 3986 unreserved kept, '%XX' uppercase), keeping '/' when
 * keep_slash. Appends to out. Returns 0 or CR_ENOMEM.
 */
int cr_sigv4__uri_encode(struct cr_buf *out, struct cr_span in, bool keep_slash) CR_WARN_UNUSED;

#endif
