/* SPDX-License-Identifier: Apache-2.0 */
/*
 * AWS Signature Version 4. The rules cited below are those of the AWS General Reference,
 * "Create a canonical request for Signature Version 4", and the official test suite in
 * tests/data/sigv4-test-suite/v4, which is the arbiter for every corner case.
 */
#include "aws/sigv4.h"

#include <ctype.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include <openssl/crypto.h>
#include <openssl/evp.h>
#include <openssl/hmac.h>

#include "util/strmap.h"
#include "util/strutil.h"

#define S_TERMINATOR         "aws4_request"
#define S_DEFAULT_EXPIRES_S  900
#define S_DEFAULT_MAX_SKEW_S 900 /* AWS rejects requests more than 15 minutes off */

/* Headers that clients and proxies add or rewrite after signing; signing them would break
 * the signature in transit (aws-c-auth skips the same ones). */
static const char *const s_skipped_headers[] = {
    "authorization", "user-agent",        "x-amzn-trace-id", "expect",
    "connection",    "transfer-encoding", "keep-alive",
};

/* Headers the signer itself sets; copies in the caller's request are replaced. */
static const char *const s_signer_headers[] = {
    "authorization",
    "x-amz-date",
    "x-amz-security-token",
    "x-amz-content-sha256",
};

static bool s_in_list(const char *name, const char *const *list, size_t n)
{
    for (size_t i = 0; i < n; i++) {
        if (strcasecmp(name, list[i]) == 0)
            return true;
    }
    return false;
}

static bool s_span_ieq(struct cr_span a, const char *b)
{
    size_t n = strlen(b);
    return a.len == n && strncasecmp(a.ptr, b, n) == 0;
}

/* Every out-of-memory in this file is reported where it is detected, through here. */
static int s_oom(void)
{
    cr_error_set("sigv4: out of memory");
    return CR_ENOMEM;
}

/* 0, or the failure of a run of appends to out (none of our buffers has a limit). */
static int s_appended(const struct cr_buf *out)
{
    return cr_buf_oom(out) ? s_oom() : 0;
}

/* ---- hashing ---- */

static void s_hex(char *out, const unsigned char *bytes, size_t n)
{
    static const char digits[] = "0123456789abcdef";
    for (size_t i = 0; i < n; i++) {
        out[2 * i] = digits[bytes[i] >> 4];
        out[2 * i + 1] = digits[bytes[i] & 0x0f];
    }
    out[2 * n] = '\0';
}

static int s_sha256(unsigned char out[32], const void *data, size_t len)
{
    unsigned int n = 0;
    if (EVP_Digest(data ? data : "", len, out, &n, EVP_sha256(), NULL) != 1 || n != 32) {
        cr_error_set("sigv4: SHA-256 failed in libcrypto");
        return CR_ERROR;
    }
    return 0;
}

int cr_sigv4_sha256_hex(char out[CR_SIGV4_HEX_LEN + 1], struct cr_span data)
{
    unsigned char md[32];
    /* never a hash of zeros: a request signed over a made-up hash must not go out */
    out[0] = '\0';
    int rc = s_sha256(md, data.ptr, data.len);
    if (rc < 0)
        return rc;
    s_hex(out, md, sizeof(md));
    return 0;
}

static int s_hmac(unsigned char out[32], const void *key, size_t key_len, const void *data,
                  size_t len)
{
    unsigned int n = 0;
    if (!HMAC(EVP_sha256(), key, (int)key_len, data, len, out, &n) || n != 32) {
        cr_error_set("sigv4: HMAC-SHA256 failed in libcrypto");
        return -1;
    }
    return 0;
}

/* ---- encoding ---- */

static bool s_unreserved(unsigned char c)
{
    return isalnum(c) || c == '-' || c == '.' || c == '_' || c == '~';
}

int cr_sigv4__uri_encode(struct cr_buf *out, struct cr_span in, bool keep_slash)
{
    static const char digits[] = "0123456789ABCDEF";
    for (size_t i = 0; i < in.len; i++) {
        unsigned char c = (unsigned char)in.ptr[i];
        if (s_unreserved(c) || (keep_slash && c == '/')) {
            cr_buf_putc(out, (char)c);
            continue;
        }
        char esc[3] = {'%', digits[c >> 4], digits[c & 0x0f]};
        cr_buf_put(out, esc, sizeof(esc));
    }
    return s_appended(out);
}

/* Percent-decodes a query component. A '%' not followed by two hex digits is kept literally
 * (it is then encoded as %25), which is what a lenient server sees on the wire. '+' is not a
 * space here: SigV4 signs the query as URI components, not as form data. */
static int s_uri_decode(struct cr_buf *out, struct cr_span in)
{
    for (size_t i = 0; i < in.len; i++) {
        char c = in.ptr[i];
        if (c == '%' && i + 2 < in.len) {
            int hi = cr_hex_value(in.ptr[i + 1]);
            int lo = cr_hex_value(in.ptr[i + 2]);
            if (hi >= 0 && lo >= 0) {
                cr_buf_putc(out, (char)(hi * 16 + lo));
                i += 2;
                continue;
            }
        }
        cr_buf_putc(out, c);
    }
    return s_appended(out);
}

/* ---- canonical URI ---- */

/* Removes dot segments and empty segments (RFC 3986 section 5.2.4 plus the suite's
 * "collapse repeated slashes"), keeping a trailing slash when the input ends in a directory
 * ("/a/", "/a/.", "/a/.."). */
static int s_normalize_path(struct cr_buf *out, const char *path)
{
    int result = CR_ENOMEM;
    size_t n = strlen(path);
    struct cr_span *segs = calloc(n + 1, sizeof(*segs));
    size_t depth = 0;
    bool trailing = false;
    if (!segs) {
        result = s_oom();
        goto done;
    }
    for (size_t i = 0; i <= n;) {
        size_t j = i;
        while (j < n && path[j] != '/')
            j++;
        struct cr_span seg = cr_span_of(path + i, j - i);
        bool last = j >= n;
        trailing = false;
        if (seg.len == 0 || cr_span_eq_str(seg, ".")) {
            trailing = last && i > 0;
        } else if (cr_span_eq_str(seg, "..")) {
            if (depth > 0)
                depth--;
            trailing = last;
        } else {
            segs[depth++] = seg;
        }
        i = j + 1;
    }
    for (size_t k = 0; k < depth; k++) {
        cr_buf_putc(out, '/');
        cr_buf_put_span(out, segs[k]);
    }
    if (depth == 0 || trailing)
        cr_buf_putc(out, '/');
    result = s_appended(out);
done:
    free(segs);
    return result;
}

static int s_canonical_uri(struct cr_buf *out, const char *path, bool normalize)
{
    int result = 0;
    struct cr_buf norm = CR_BUF_INIT;
    if (!path || !*path)
        path = "/";
    if (normalize) {
        result = s_normalize_path(&norm, path);
        if (result < 0)
            goto done;
        path = cr_buf_cstr(&norm);
    }
    result = cr_sigv4__uri_encode(out, cr_span_from(path), true);
done:
    cr_buf_dispose(&norm);
    return result;
}

/* ---- canonical query ---- */

struct s_param {
    char *key;   /* encoded */
    char *value; /* encoded */
};

static int s_param_cmp(const void *a, const void *b)
{
    const struct s_param *pa = a, *pb = b;
    int c = strcmp(pa->key, pb->key);
    return c ? c : strcmp(pa->value, pb->value);
}

/* Decodes then re-encodes one component, so "%E1%88%B4" and a raw UTF-8 "ሴ" sign alike.
 * NULL when out of memory (the message is set). */
static char *s_recode(struct cr_span in)
{
    struct cr_buf dec = CR_BUF_INIT, enc = CR_BUF_INIT;
    char *result = NULL;
    if (s_uri_decode(&dec, in) < 0)
        goto done;
    if (cr_sigv4__uri_encode(&enc, cr_span_of(dec.ptr ? dec.ptr : "", dec.len), false) < 0)
        goto done;
    result = cr_buf_detach(&enc);
    if (!result)
        s_oom();
done:
    cr_buf_dispose(&dec);
    cr_buf_dispose(&enc);
    return result;
}

static int s_canonical_query(struct cr_buf *out, const char *query)
{
    int result = CR_ENOMEM;
    size_t n = query ? strlen(query) : 0, count = 0;
    struct s_param *params = calloc(n / 2 + 1, sizeof(*params));
    if (!params) {
        result = s_oom();
        goto done;
    }
    for (size_t i = 0; i < n;) {
        size_t j = i;
        while (j < n && query[j] != '&')
            j++;
        if (j > i) {
            const char *eq = memchr(query + i, '=', j - i);
            size_t klen = eq ? (size_t)(eq - (query + i)) : j - i;
            struct s_param *p = &params[count++];
            p->key = s_recode(cr_span_of(query + i, klen));
            p->value =
                s_recode(eq ? cr_span_of(eq + 1, (size_t)(query + j - eq - 1)) : cr_span_of("", 0));
            if (!p->key || !p->value)
                goto done; /* result is CR_ENOMEM; s_recode set the message */
        }
        i = j + 1;
    }
    qsort(params, count, sizeof(*params), s_param_cmp);
    for (size_t k = 0; k < count; k++)
        cr_buf_printf(out, "%s%s=%s", k ? "&" : "", params[k].key, params[k].value);
    result = s_appended(out);
done:
    for (size_t k = 0; params && k < count; k++) {
        free(params[k].key);
        free(params[k].value);
    }
    free(params);
    return result;
}

/* ---- canonical headers ---- */

/* Appends a header value trimmed, with every run of whitespace (spaces, tabs, and the line
 * breaks of folded multi-line values) collapsed to one space. */
static void s_put_trimmed(struct cr_buf *out, const char *value)
{
    bool pending_space = false, any = false;
    for (const char *p = value ? value : ""; *p; p++) {
        if (*p == ' ' || *p == '\t' || *p == '\r' || *p == '\n') {
            pending_space = any;
            continue;
        }
        if (pending_space)
            cr_buf_putc(out, ' ');
        pending_space = false;
        cr_buf_putc(out, *p);
        any = true;
    }
}

static int s_canonical_header(struct cr_buf *out, const struct cr_sigv4_request *req,
                              struct cr_span name)
{
    bool found = false;
    cr_buf_put_span(out, name);
    cr_buf_putc(out, ':');
    for (size_t i = 0; i < req->header_count; i++) {
        if (!req->headers[i].name || !s_span_ieq(name, req->headers[i].name))
            continue;
        if (found)
            cr_buf_putc(out, ',');
        s_put_trimmed(out, req->headers[i].value);
        found = true;
    }
    cr_buf_putc(out, '\n');
    if (!found) {
        cr_error_set("sigv4: signed header '%.*s' is missing from the request", (int)name.len,
                     name.ptr);
        return CR_EINVALID;
    }
    return s_appended(out);
}

static int s_canonical_headers(struct cr_buf *out, const struct cr_sigv4_request *req,
                               const char *signed_headers)
{
    const char *p = signed_headers ? signed_headers : "";
    if (!*p) {
        cr_error_set("sigv4: the signed header list is empty");
        return CR_EINVALID;
    }
    while (*p) {
        const char *semi = strchr(p, ';');
        size_t len = semi ? (size_t)(semi - p) : strlen(p);
        if (len == 0) {
            cr_error_set("sigv4: empty name in the signed header list '%s'", signed_headers);
            return CR_EINVALID;
        }
        int rc = s_canonical_header(out, req, cr_span_of(p, len));
        if (rc < 0)
            return rc;
        p += len + (semi ? 1 : 0);
    }
    return 0;
}

int cr_sigv4__signed_headers(struct cr_buf *out, const struct cr_sigv4_request *req)
{
    int result = CR_ENOMEM;
    struct cr_strlist names = {0};
    for (size_t i = 0; i < req->header_count; i++) {
        const char *name = req->headers[i].name;
        if (!name || !*name)
            continue;
        if (s_in_list(name, s_skipped_headers,
                      sizeof(s_skipped_headers) / sizeof(s_skipped_headers[0])))
            continue;
        char *lower = strdup(name);
        if (!lower) {
            result = s_oom();
            goto done;
        }
        for (char *c = lower; *c; c++)
            *c = (char)tolower((unsigned char)*c);
        int rc = cr_strlist_contains(&names, lower) ? 0 : cr_strlist_push(&names, lower);
        free(lower);
        if (rc < 0) {
            result = s_oom();
            goto done;
        }
    }
    cr_strlist_sort(&names);
    for (size_t i = 0; i < names.len; i++)
        cr_buf_printf(out, "%s%s", i ? ";" : "", names.items[i]);
    result = s_appended(out);
done:
    cr_strlist_dispose(&names);
    return result;
}

int cr_sigv4__canonical_request(struct cr_buf *out, const struct cr_sigv4_request *req,
                                const char *signed_headers, bool normalize_path,
                                const char *payload_hash)
{
    int rc;
    if (!req->method || !*req->method) {
        cr_error_set("sigv4: the request has no method");
        return CR_EINVALID;
    }
    cr_buf_printf(out, "%s\n", req->method);
    rc = s_canonical_uri(out, req->path, normalize_path);
    if (rc < 0)
        return rc;
    cr_buf_putc(out, '\n');
    rc = s_canonical_query(out, req->query);
    if (rc < 0)
        return rc;
    cr_buf_putc(out, '\n');
    rc = s_canonical_headers(out, req, signed_headers);
    if (rc < 0)
        return rc;
    cr_buf_printf(out, "\n%s\n%s", signed_headers, payload_hash);
    return s_appended(out);
}

int cr_sigv4__string_to_sign(struct cr_buf *out, const char *amz_date, const char *scope,
                             struct cr_span canonical_request)
{
    char hash[CR_SIGV4_HEX_LEN + 1];
    int rc = cr_sigv4_sha256_hex(hash, canonical_request);
    if (rc < 0)
        return rc;
    cr_buf_printf(out, "%s\n%s\n%s\n%s", CR_SIGV4_ALGORITHM, amz_date, scope, hash);
    return s_appended(out);
}

/* ---- keys and signatures ---- */

void cr_sigv4_key_cache_init(struct cr_sigv4_key_cache *cache)
{
    memset(cache, 0, sizeof(*cache));
}

void cr_sigv4_key_cache_dispose(struct cr_sigv4_key_cache *cache)
{
    if (!cache)
        return;
    OPENSSL_cleanse(cache->key, sizeof(cache->key));
    OPENSSL_cleanse(cache->secret_digest, sizeof(cache->secret_digest));
    cache->valid = false;
}

static bool s_cache_hit(const struct cr_sigv4_key_cache *cache, const unsigned char digest[32],
                        const char *date8, const char *region, const char *service)
{
    return cache->valid && strcmp(cache->date, date8) == 0 && strcmp(cache->region, region) == 0 &&
           strcmp(cache->service, service) == 0 &&
           CRYPTO_memcmp(cache->secret_digest, digest, 32) == 0;
}

static int s_derive_key(unsigned char out[32], const char *secret, const char *date8,
                        const char *region, const char *service)
{
    int result = -1;
    size_t slen = strlen(secret);
    unsigned char k[32];
    char *seed = malloc(slen + 5);
    if (!seed)
        return s_oom();
    memcpy(seed, "AWS4", 4);
    memcpy(seed + 4, secret, slen + 1);
    if (s_hmac(k, seed, slen + 4, date8, strlen(date8)) < 0)
        goto done;
    if (s_hmac(k, k, 32, region, strlen(region)) < 0)
        goto done;
    if (s_hmac(k, k, 32, service, strlen(service)) < 0)
        goto done;
    if (s_hmac(out, k, 32, S_TERMINATOR, strlen(S_TERMINATOR)) < 0)
        goto done;
    result = 0;
done:
    OPENSSL_cleanse(seed, slen + 5);
    OPENSSL_cleanse(k, sizeof(k));
    free(seed);
    return result;
}

int cr_sigv4__signing_key(unsigned char out[32], const char *secret_access_key, const char *date8,
                          const char *region, const char *service, struct cr_sigv4_key_cache *cache)
{
    unsigned char digest[32];
    bool cacheable = cache && strlen(date8) < sizeof(cache->date) &&
                     strlen(region) < sizeof(cache->region) &&
                     strlen(service) < sizeof(cache->service);
    if (!cacheable)
        return s_derive_key(out, secret_access_key, date8, region, service);
    int rc = s_sha256(digest, secret_access_key, strlen(secret_access_key));
    if (rc < 0)
        return rc;
    if (!s_cache_hit(cache, digest, date8, region, service)) {
        cr_sigv4_key_cache_dispose(cache);
        rc = s_derive_key(cache->key, secret_access_key, date8, region, service);
        if (rc < 0)
            return rc;
        cache->derivations++;
        memcpy(cache->secret_digest, digest, 32);
        snprintf(cache->date, sizeof(cache->date), "%s", date8);
        snprintf(cache->region, sizeof(cache->region), "%s", region);
        snprintf(cache->service, sizeof(cache->service), "%s", service);
        cache->valid = true;
    }
    memcpy(out, cache->key, 32);
    return 0;
}

int cr_sigv4__signature(char out[CR_SIGV4_HEX_LEN + 1], const unsigned char key[32],
                        struct cr_span string_to_sign)
{
    unsigned char mac[32];
    if (s_hmac(mac, key, 32, string_to_sign.ptr, string_to_sign.len) < 0)
        return -1;
    s_hex(out, mac, sizeof(mac));
    return 0;
}

/* ---- time ---- */

void cr_sigv4_format_date(char out[CR_SIGV4_DATE_LEN + 1], int64_t time_s)
{
    struct tm tm;
    time_t t = (time_t)time_s;
    gmtime_r(&t, &tm);
    strftime(out, CR_SIGV4_DATE_LEN + 1, "%Y%m%dT%H%M%SZ", &tm);
}

int cr_sigv4_parse_date(int64_t *out, const char *text)
{
    struct tm tm = {0};
    int y, mo, d, h, mi, s, used = 0;
    size_t len = text ? strlen(text) : 0;
    bool ok = false;
    if (len == CR_SIGV4_DATE_LEN)
        ok = sscanf(text, "%4d%2d%2dT%2d%2d%2dZ%n", &y, &mo, &d, &h, &mi, &s, &used) == 6 &&
             (size_t)used == len;
    else if (len >= 20)
        ok = sscanf(text, "%4d-%2d-%2dT%2d:%2d:%2d%n", &y, &mo, &d, &h, &mi, &s, &used) == 6;
    if (ok && len >= 20) {
        /* optional fractional seconds, then 'Z' and nothing else */
        size_t i = (size_t)used;
        if (text[i] == '.') {
            i++;
            while (isdigit((unsigned char)text[i]))
                i++;
        }
        ok = text[i] == 'Z' && text[i + 1] == '\0';
    }
    if (!ok || mo < 1 || mo > 12 || d < 1 || d > 31 || h > 23 || mi > 59 || s > 60) {
        cr_error_set("sigv4: '%s' is not a date like 20150830T123600Z or "
                     "2015-08-30T12:36:00Z",
                     text ? text : "");
        return CR_EINVALID;
    }
    tm.tm_year = y - 1900;
    tm.tm_mon = mo - 1;
    tm.tm_mday = d;
    tm.tm_hour = h;
    tm.tm_min = mi;
    tm.tm_sec = s;
    *out = (int64_t)timegm(&tm);
    return 0;
}

/* ---- signing ---- */

static int s_check_params(const struct cr_sigv4_params *params)
{
    const char *missing = !params->access_key_id || !*params->access_key_id ? "access key id"
                          : !params->secret_access_key || !*params->secret_access_key
                              ? "secret access key"
                          : !params->region || !*params->region   ? "region"
                          : !params->service || !*params->service ? "service"
                                                                  : NULL;
    if (missing) {
        cr_error_set("sigv4: cannot sign without a %s", missing);
        return CR_EINVALID;
    }
    return 0;
}

static bool s_has_header(const struct cr_sigv4_request *req, const char *name)
{
    for (size_t i = 0; i < req->header_count; i++) {
        if (req->headers[i].name && strcasecmp(req->headers[i].name, name) == 0)
            return true;
    }
    return false;
}

/* What header and query signing both need: complete parameters and a Host header. */
static int s_check_signable(const struct cr_sigv4_request *req,
                            const struct cr_sigv4_params *params)
{
    int rc = s_check_params(params);
    if (rc < 0)
        return rc;
    if (!s_has_header(req, "host")) {
        cr_error_set("sigv4: the request has no Host header");
        return CR_EINVALID;
    }
    return 0;
}

static bool s_has_token(const struct cr_sigv4_params *params)
{
    return params->session_token && *params->session_token;
}

/* The payload hash of the canonical request: UNSIGNED-PAYLOAD when asked, else the hex
 * SHA-256 of the body. */
static int s_payload_hash(char out[CR_SIGV4_HEX_LEN + 1], const struct cr_sigv4_request *req,
                          const struct cr_sigv4_params *params)
{
    if (!params->unsigned_payload)
        return cr_sigv4_sha256_hex(out, req->body);
    snprintf(out, CR_SIGV4_HEX_LEN + 1, "%s", CR_SIGV4_UNSIGNED_PAYLOAD);
    return 0;
}

/* Canonical request -> string to sign -> signature, for both signing modes. */
static int s_sign(char sig[CR_SIGV4_HEX_LEN + 1], const struct cr_sigv4_request *req,
                  const struct cr_sigv4_params *params, const char *amz_date, const char *scope,
                  const char *signed_headers, const char *payload_hash,
                  struct cr_sigv4_key_cache *cache)
{
    int result = -1, rc;
    struct cr_buf creq = CR_BUF_INIT, sts = CR_BUF_INIT;
    char date8[9];
    unsigned char key[32];
    snprintf(date8, sizeof(date8), "%.8s", amz_date);
    rc = cr_sigv4__canonical_request(&creq, req, signed_headers, params->normalize_path,
                                     payload_hash);
    if (rc < 0) {
        result = rc;
        goto done;
    }
    rc = cr_sigv4__string_to_sign(&sts, amz_date, scope, cr_span_of(creq.ptr, creq.len));
    if (rc < 0) {
        result = rc;
        goto done;
    }
    rc = cr_sigv4__signing_key(key, params->secret_access_key, date8, params->region,
                               params->service, cache);
    if (rc < 0) {
        result = rc;
        goto done;
    }
    if (cr_sigv4__signature(sig, key, cr_span_of(sts.ptr, sts.len)) < 0)
        goto done;
    result = 0;
done:
    OPENSSL_cleanse(key, sizeof(key));
    cr_buf_dispose(&creq);
    cr_buf_dispose(&sts);
    return result;
}

void cr_sigv4_signed_init(struct cr_sigv4_signed *out)
{
    memset(out, 0, sizeof(*out));
}

void cr_sigv4_signed_dispose(struct cr_sigv4_signed *out)
{
    if (!out)
        return;
    cr_buf_dispose(&out->signed_headers);
    cr_buf_dispose(&out->authorization);
}

size_t cr_sigv4_signed_headers(const struct cr_sigv4_signed *s, struct cr_sigv4_header out[4])
{
    size_t n = 0;
    out[n++] = (struct cr_sigv4_header){"X-Amz-Date", s->amz_date};
    if (s->session_token)
        out[n++] = (struct cr_sigv4_header){"X-Amz-Security-Token", s->session_token};
    if (s->add_content_sha256)
        out[n++] = (struct cr_sigv4_header){"X-Amz-Content-Sha256", s->content_sha256};
    out[n++] = (struct cr_sigv4_header){"Authorization", cr_buf_cstr(&s->authorization)};
    return n;
}

int cr_sigv4_sign_headers(struct cr_sigv4_signed *out, const struct cr_sigv4_request *req,
                          const struct cr_sigv4_params *params, struct cr_sigv4_key_cache *cache)
{
    int result = CR_ERROR, rc;
    struct cr_buf scope = CR_BUF_INIT;
    struct cr_sigv4_header *all = NULL;
    struct cr_sigv4_request ext = *req;
    size_t n = 0;
    rc = s_check_signable(req, params);
    if (rc == 0)
        rc = s_payload_hash(out->content_sha256, req, params);
    if (rc < 0) {
        result = rc;
        goto done;
    }
    cr_sigv4_format_date(out->amz_date, params->time_s);
    /* UNSIGNED-PAYLOAD only means something in the X-Amz-Content-Sha256 header (S3) */
    out->add_content_sha256 = params->add_content_sha256 || params->unsigned_payload;
    out->session_token = s_has_token(params) ? params->session_token : NULL;

    /* The request's headers, minus the ones the signer sets, plus the signer's. */
    all = calloc(req->header_count + 3, sizeof(*all));
    if (!all) {
        result = s_oom();
        goto done;
    }
    for (size_t i = 0; i < req->header_count; i++) {
        if (req->headers[i].name &&
            !s_in_list(req->headers[i].name, s_signer_headers,
                       sizeof(s_signer_headers) / sizeof(s_signer_headers[0])))
            all[n++] = req->headers[i];
    }
    all[n++] = (struct cr_sigv4_header){"x-amz-date", out->amz_date};
    if (out->session_token && !params->omit_session_token)
        all[n++] = (struct cr_sigv4_header){"x-amz-security-token", out->session_token};
    if (out->add_content_sha256)
        all[n++] = (struct cr_sigv4_header){"x-amz-content-sha256", out->content_sha256};
    ext.headers = all;
    ext.header_count = n;

    cr_buf_printf(&scope, "%.8s/%s/%s/%s", out->amz_date, params->region, params->service,
                  S_TERMINATOR);
    cr_buf_clear(&out->signed_headers);
    rc = s_appended(&scope);
    if (rc == 0)
        rc = cr_sigv4__signed_headers(&out->signed_headers, &ext);
    if (rc == 0)
        rc = s_sign(out->signature, &ext, params, out->amz_date, cr_buf_cstr(&scope),
                    cr_buf_cstr(&out->signed_headers), out->content_sha256, cache);
    if (rc < 0) {
        result = rc;
        goto done;
    }
    cr_buf_clear(&out->authorization);
    cr_buf_printf(&out->authorization, "%s Credential=%s/%s, SignedHeaders=%s, Signature=%s",
                  CR_SIGV4_ALGORITHM, params->access_key_id, cr_buf_cstr(&scope),
                  cr_buf_cstr(&out->signed_headers), out->signature);
    result = s_appended(&out->authorization);
done:
    free(all);
    cr_buf_dispose(&scope);
    return result;
}

static void s_put_param(struct cr_buf *out, const char *key, const char *value)
{
    if (out->len)
        cr_buf_putc(out, '&');
    cr_buf_puts(out, key);
    cr_buf_putc(out, '=');
    /* out of memory is sticky in out and checked by the caller */
    if (cr_sigv4__uri_encode(out, cr_span_from(value), false) < 0)
        return;
}

int cr_sigv4_presign(struct cr_buf *out, const struct cr_sigv4_request *req,
                     const struct cr_sigv4_params *params, struct cr_sigv4_key_cache *cache)
{
    int result = CR_ERROR, rc;
    struct cr_buf scope = CR_BUF_INIT, credential = CR_BUF_INIT, shdrs = CR_BUF_INIT;
    struct cr_buf query = CR_BUF_INIT;
    struct cr_sigv4_request signreq = *req;
    char amz_date[CR_SIGV4_DATE_LEN + 1], hash[CR_SIGV4_HEX_LEN + 1], sig[CR_SIGV4_HEX_LEN + 1];
    char expires[16];
    rc = s_check_signable(req, params);
    if (rc < 0) {
        result = rc;
        goto done;
    }
    cr_sigv4_format_date(amz_date, params->time_s);
    snprintf(expires, sizeof(expires), "%u",
             params->expires_s ? params->expires_s : S_DEFAULT_EXPIRES_S);
    cr_buf_printf(&scope, "%.8s/%s/%s/%s", amz_date, params->region, params->service, S_TERMINATOR);
    cr_buf_printf(&credential, "%s/%s", params->access_key_id, cr_buf_cstr(&scope));
    rc = s_appended(&scope);
    if (rc == 0)
        rc = s_appended(&credential);
    if (rc == 0)
        rc = cr_sigv4__signed_headers(&shdrs, req);
    if (rc == 0)
        rc = s_payload_hash(hash, req, params);
    if (rc < 0) {
        result = rc;
        goto done;
    }

    if (req->query && *req->query)
        cr_buf_puts(&query, req->query);
    s_put_param(&query, "X-Amz-Algorithm", CR_SIGV4_ALGORITHM);
    s_put_param(&query, "X-Amz-Credential", cr_buf_cstr(&credential));
    s_put_param(&query, "X-Amz-Date", amz_date);
    s_put_param(&query, "X-Amz-Expires", expires);
    s_put_param(&query, "X-Amz-SignedHeaders", cr_buf_cstr(&shdrs));
    if (s_has_token(params) && !params->omit_session_token)
        s_put_param(&query, "X-Amz-Security-Token", params->session_token);
    rc = s_appended(&query);
    if (rc < 0) {
        result = rc;
        goto done;
    }
    signreq.query = cr_buf_cstr(&query);
    rc = s_sign(sig, &signreq, params, amz_date, cr_buf_cstr(&scope), cr_buf_cstr(&shdrs), hash,
                cache);
    if (rc < 0) {
        result = rc;
        goto done;
    }
    /* A token left out of the signature still travels with the request. */
    if (s_has_token(params) && params->omit_session_token)
        s_put_param(&query, "X-Amz-Security-Token", params->session_token);
    s_put_param(&query, "X-Amz-Signature", sig);
    cr_buf_put(out, query.ptr, query.len);
    result = s_appended(&query);
    if (result == 0)
        result = s_appended(out);
done:
    cr_buf_dispose(&scope);
    cr_buf_dispose(&credential);
    cr_buf_dispose(&shdrs);
    cr_buf_dispose_secure(&query);
    return result;
}

/* ---- verification ---- */

static struct cr_span s_trim(struct cr_span s)
{
    while (s.len && (s.ptr[0] == ' ' || s.ptr[0] == '\t')) {
        s.ptr++;
        s.len--;
    }
    while (s.len && (s.ptr[s.len - 1] == ' ' || s.ptr[s.len - 1] == '\t'))
        s.len--;
    return s;
}

/* Splits "DATE/REGION/SERVICE/aws4_request" into its parts. */
static int s_split_scope(struct cr_span parts[4], struct cr_span scope)
{
    size_t k = 0, start = 0;
    for (size_t i = 0; i <= scope.len; i++) {
        if (i < scope.len && scope.ptr[i] != '/')
            continue;
        if (k == 4)
            return CR_EINVALID;
        parts[k++] = cr_span_of(scope.ptr + start, i - start);
        start = i + 1;
    }
    if (k != 4 || !cr_span_eq_str(parts[3], S_TERMINATOR) || parts[0].len != 8 ||
        parts[1].len == 0 || parts[2].len == 0)
        return CR_EINVALID;
    for (size_t i = 0; i < 8; i++) {
        if (!isdigit((unsigned char)parts[0].ptr[i]))
            return CR_EINVALID;
    }
    return 0;
}

int cr_sigv4_scope_region(struct cr_span *out, struct cr_span scope)
{
    struct cr_span parts[4];
    if (s_split_scope(parts, scope) < 0) {
        cr_error_set("sigv4: credential scope '%.*s' is not DATE/REGION/SERVICE/aws4_request",
                     (int)scope.len, scope.ptr);
        return CR_EINVALID;
    }
    *out = parts[1];
    return 0;
}

static int s_parse_credential(struct cr_sigv4_authorization *out, struct cr_span cred)
{
    const char *slash = memchr(cred.ptr, '/', cred.len);
    struct cr_span parts[4];
    if (!slash || slash == cred.ptr) {
        cr_error_set("sigv4: Authorization Credential '%.*s' has no access key id and scope",
                     (int)cred.len, cred.ptr);
        return CR_EINVALID;
    }
    out->access_key_id = cr_span_of(cred.ptr, (size_t)(slash - cred.ptr));
    out->scope = cr_span_of(slash + 1, cred.len - out->access_key_id.len - 1);
    if (s_split_scope(parts, out->scope) < 0) {
        cr_error_set("sigv4: Authorization Credential scope '%.*s' is not "
                     "DATE/REGION/SERVICE/aws4_request",
                     (int)out->scope.len, out->scope.ptr);
        return CR_EINVALID;
    }
    out->date = parts[0];
    out->region = parts[1];
    out->service = parts[2];
    return 0;
}

static bool s_valid_signed_headers(struct cr_span sh)
{
    if (sh.len == 0 || sh.ptr[0] == ';' || sh.ptr[sh.len - 1] == ';')
        return false;
    for (size_t i = 0; i < sh.len; i++) {
        unsigned char c = (unsigned char)sh.ptr[i];
        if (isupper(c) || c <= ' ' || c == ',' || c == '=' || c >= 0x7f ||
            (c == ';' && sh.ptr[i + 1] == ';'))
            return false;
    }
    return true;
}

static bool s_valid_signature(struct cr_span sig)
{
    if (sig.len != CR_SIGV4_HEX_LEN)
        return false;
    for (size_t i = 0; i < sig.len; i++) {
        if (!isdigit((unsigned char)sig.ptr[i]) && (sig.ptr[i] < 'a' || sig.ptr[i] > 'f'))
            return false;
    }
    return true;
}

/* Assigns one "Key=value" component; each may appear once. */
static int s_auth_component(struct cr_sigv4_authorization *out, struct cr_span comp, bool seen[3])
{
    static const char *const keys[] = {"Credential=", "SignedHeaders=", "Signature="};
    for (size_t k = 0; k < 3; k++) {
        size_t klen = strlen(keys[k]);
        if (comp.len < klen || memcmp(comp.ptr, keys[k], klen) != 0)
            continue;
        struct cr_span value = cr_span_of(comp.ptr + klen, comp.len - klen);
        if (seen[k]) {
            cr_error_set("sigv4: Authorization has %.*s twice", (int)klen - 1, keys[k]);
            return CR_EINVALID;
        }
        seen[k] = true;
        if (k == 0)
            return s_parse_credential(out, value);
        if (k == 1)
            out->signed_headers = value;
        else
            out->signature = value;
        return 0;
    }
    cr_error_set("sigv4: Authorization component '%.*s' is not Credential, SignedHeaders or "
                 "Signature",
                 (int)(comp.len > 40 ? 40 : comp.len), comp.ptr);
    return CR_EINVALID;
}

int cr_sigv4_parse_authorization(struct cr_sigv4_authorization *out, const char *header_value)
{
    static const char *const names[] = {"Credential", "SignedHeaders", "Signature"};
    const char *v = header_value ? header_value : "";
    size_t alen = strlen(CR_SIGV4_ALGORITHM);
    bool seen[3] = {false, false, false};
    memset(out, 0, sizeof(*out));
    while (*v == ' ')
        v++;
    if (strncmp(v, CR_SIGV4_ALGORITHM, alen) != 0 || (v[alen] != ' ' && v[alen] != '\t')) {
        cr_error_set("sigv4: Authorization header does not start with '%s '", CR_SIGV4_ALGORITHM);
        return CR_EINVALID;
    }
    struct cr_span rest = cr_span_from(v + alen);
    while (rest.len) {
        const char *comma = memchr(rest.ptr, ',', rest.len);
        size_t len = comma ? (size_t)(comma - rest.ptr) : rest.len;
        struct cr_span comp = s_trim(cr_span_of(rest.ptr, len));
        if (comp.len) {
            int rc = s_auth_component(out, comp, seen);
            if (rc < 0)
                return rc;
        }
        rest = comma ? cr_span_of(comma + 1, rest.len - len - 1) : cr_span_of(NULL, 0);
    }
    for (size_t k = 0; k < 3; k++) {
        if (!seen[k]) {
            cr_error_set("sigv4: Authorization header has no %s", names[k]);
            return CR_EINVALID;
        }
    }
    if (!s_valid_signed_headers(out->signed_headers)) {
        cr_error_set("sigv4: Authorization SignedHeaders '%.*s' is not a ';'-separated list of "
                     "lowercase header names",
                     (int)out->signed_headers.len, out->signed_headers.ptr);
        return CR_EINVALID;
    }
    if (!s_valid_signature(out->signature)) {
        cr_error_set("sigv4: Authorization Signature is not 64 lowercase hex digits");
        return CR_EINVALID;
    }
    return 0;
}

static const char *s_header_value(const struct cr_sigv4_request *req, const char *name)
{
    for (size_t i = 0; i < req->header_count; i++) {
        if (req->headers[i].name && strcasecmp(req->headers[i].name, name) == 0)
            return req->headers[i].value;
    }
    return NULL;
}

static bool s_list_has(struct cr_span list, const char *name)
{
    size_t n = strlen(name), start = 0;
    for (size_t i = 0; i <= list.len; i++) {
        if (i < list.len && list.ptr[i] != ';')
            continue;
        if (i - start == n && memcmp(list.ptr + start, name, n) == 0)
            return true;
        start = i + 1;
    }
    return false;
}

/* The checks that need no cryptography: date, skew, scope, signed header coverage. */
static int s_verify_envelope(int64_t *amz_time, const struct cr_sigv4_request *req,
                             const struct cr_sigv4_authorization *auth,
                             const struct cr_sigv4_verify_options *opts)
{
    const char *amz_date = s_header_value(req, "x-amz-date");
    int64_t skew = opts->max_skew_s ? opts->max_skew_s : S_DEFAULT_MAX_SKEW_S;
    if (!amz_date || cr_sigv4_parse_date(amz_time, amz_date) < 0 ||
        strlen(amz_date) != CR_SIGV4_DATE_LEN) {
        cr_error_set("sigv4: the request has no valid X-Amz-Date header");
        return CR_EINVALID;
    }
    if (!s_list_has(auth->signed_headers, "host")) {
        cr_error_set("sigv4: SignedHeaders must include host");
        return CR_EINVALID;
    }
    if (!s_list_has(auth->signed_headers, "x-amz-date")) {
        cr_error_set("sigv4: SignedHeaders must include x-amz-date");
        return CR_EINVALID;
    }
    if (s_header_value(req, "x-amz-security-token") &&
        !s_list_has(auth->signed_headers, "x-amz-security-token")) {
        cr_error_set("sigv4: SignedHeaders must include x-amz-security-token");
        return CR_EINVALID;
    }
    if (strncmp(amz_date, auth->date.ptr, 8) != 0) {
        cr_error_set("sigv4: credential scope date %.*s does not match X-Amz-Date %s",
                     (int)auth->date.len, auth->date.ptr, amz_date);
        return CR_EAUTH;
    }
    if (skew > 0 && (*amz_time > opts->now_s + skew || *amz_time < opts->now_s - skew)) {
        cr_error_set("sigv4: signature expired: X-Amz-Date %s is more than %lld seconds from "
                     "the server's time",
                     amz_date, (long long)skew);
        return CR_EAUTH;
    }
    if (opts->region && !cr_span_eq_str(auth->region, opts->region)) {
        cr_error_set("sigv4: credential should be scoped to a valid region, not '%.*s' "
                     "(expected '%s')",
                     (int)auth->region.len, auth->region.ptr, opts->region);
        return CR_EAUTH;
    }
    if (opts->service && !cr_span_eq_str(auth->service, opts->service)) {
        cr_error_set("sigv4: credential should be scoped to correct service: '%s', not '%.*s'",
                     opts->service, (int)auth->service.len, auth->service.ptr);
        return CR_EAUTH;
    }
    return 0;
}

/* S3: the payload hash signed is the X-Amz-Content-Sha256 header; hash holds the body's. */
static int s_claimed_payload(char hash[CR_SIGV4_HEX_LEN + 1], const struct cr_sigv4_request *req)
{
    const char *claimed = s_header_value(req, "x-amz-content-sha256");
    if (!claimed) {
        cr_error_set("sigv4: the request has no X-Amz-Content-Sha256 header");
        return CR_EINVALID;
    }
    if (strcmp(claimed, CR_SIGV4_UNSIGNED_PAYLOAD) == 0) {
        snprintf(hash, CR_SIGV4_HEX_LEN + 1, "%s", CR_SIGV4_UNSIGNED_PAYLOAD);
        return 0;
    }
    if (strcmp(claimed, hash) != 0) {
        cr_error_set("sigv4: the X-Amz-Content-Sha256 header does not match the body received");
        return CR_EAUTH;
    }
    return 0;
}

int cr_sigv4_verify(const struct cr_sigv4_request *req, const struct cr_sigv4_authorization *auth,
                    const char *secret_access_key, const struct cr_sigv4_verify_options *opts)
{
    int result = CR_ERROR, rc;
    struct cr_sigv4_verify_options none = {0};
    char *signed_headers = NULL, *region = NULL, *service = NULL, *date = NULL;
    char hash[CR_SIGV4_HEX_LEN + 1], sig[CR_SIGV4_HEX_LEN + 1];
    struct cr_buf scope = CR_BUF_INIT;
    int64_t amz_time = 0;
    if (!opts)
        opts = &none;
    rc = s_verify_envelope(&amz_time, req, auth, opts);
    if (rc < 0) {
        result = rc;
        goto done;
    }
    signed_headers = strndup(auth->signed_headers.ptr, auth->signed_headers.len);
    region = strndup(auth->region.ptr, auth->region.len);
    service = strndup(auth->service.ptr, auth->service.len);
    date = strndup(auth->date.ptr, auth->date.len);
    cr_buf_put_span(&scope, auth->scope);
    if (!signed_headers || !region || !service || !date || cr_buf_oom(&scope)) {
        result = s_oom();
        goto done;
    }
    /* The payload hash is of the bytes received, so a changed body fails the comparison. */
    rc = cr_sigv4_sha256_hex(hash, req->body);
    if (rc == 0 && opts->payload_from_header)
        rc = s_claimed_payload(hash, req);
    if (rc < 0) {
        result = rc;
        goto done;
    }
    struct cr_sigv4_params params = {
        .access_key_id = "-",
        .secret_access_key = secret_access_key,
        .region = region,
        .service = service,
        .normalize_path = !opts->no_normalize_path,
    };
    char amz_date[CR_SIGV4_DATE_LEN + 1];
    cr_sigv4_format_date(amz_date, amz_time);
    rc = s_check_params(&params);
    if (rc == 0)
        rc = s_sign(sig, req, &params, amz_date, cr_buf_cstr(&scope), signed_headers, hash, NULL);
    if (rc < 0) {
        result = rc;
        goto done;
    }
    if (CRYPTO_memcmp(sig, auth->signature.ptr, CR_SIGV4_HEX_LEN) != 0) {
        cr_error_set("sigv4: the request signature we calculated does not match the signature "
                     "you provided");
        result = CR_EAUTH;
        goto done;
    }
    result = 0;
done:
    OPENSSL_cleanse(sig, sizeof(sig));
    free(signed_headers);
    free(region);
    free(service);
    free(date);
    cr_buf_dispose(&scope);
    return result;
}

int cr_sigv4_redact_authorization(struct cr_buf *out, const char *authorization)
{
    struct cr_sigv4_authorization auth;
    char saved[512];
    /* Parsing sets the thread's last error on failure; keep the caller's message intact. */
    snprintf(saved, sizeof(saved), "%s", cr_error_last());
    if (cr_sigv4_parse_authorization(&auth, authorization) < 0) {
        cr_error_set("%s", saved);
        cr_buf_puts(out, "<redacted>");
        return s_appended(out);
    }
    cr_buf_printf(out, "%s Credential=%.*s/%.*s, SignedHeaders=%.*s, Signature=<redacted>",
                  CR_SIGV4_ALGORITHM, (int)auth.access_key_id.len, auth.access_key_id.ptr,
                  (int)auth.scope.len, auth.scope.ptr, (int)auth.signed_headers.len,
                  auth.signed_headers.ptr);
    return s_appended(out);
}
