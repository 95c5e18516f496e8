/* SPDX-License-Identifier: Apache-2.0 */
/*
 * The S3 store and its conditional requests. Buckets come into being from --s3-bucket NAME
 * (a request naming any other bucket is NoSuchBucket); bucket names are global, as in S3,
 * and every bucket belongs to the emulator's --account-id. Objects live in the state
 * document, so --state persists them with the pools:
 *
 *   "s3": {"buckets": {NAME: {"owner": ACCOUNT, "created": EPOCH_S,
 *                             "objects": {KEY: {"body": BASE64, "size": N, "etag": HEX,
 *                                               "modified": EPOCH_S, "content_type": T,
 *                                               "metadata": {NAME: VALUE}}}}}}
 *
 * Every operation runs under the state lock, so a condition and the write it guards are one
 * atomic step: of N concurrent `PutObject If-None-Match: *` to one key exactly one succeeds
 * and the others get 412, the outcome S3 documents for writes that finish one after another.
 * (S3 may also answer 409 ConditionalRequestConflict when a conflicting write lands while an
 * upload is in flight; the emulator receives whole bodies before deciding, so it never does
 * on its own: a fault rule can inject it.)
 */
#include <openssl/evp.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>
#include <time.h>

#include "emulator/internal.h"
#include "util/strutil.h"

#define S_DEFAULT_CONTENT_TYPE "binary/octet-stream"
#define S_META_PREFIX          "x-amz-meta-"

/* ---- encodings ---- */

static int s_base64_encode(struct cr_buf *out, const void *data, size_t len)
{
    char *text = len <= (size_t)1 << 30 ? malloc(4 * ((len + 2) / 3) + 1) : NULL;
    if (!text)
        return CR_ENOMEM;
    int n = EVP_EncodeBlock((unsigned char *)text, data, (int)len);
    cr_buf_put(out, text, (size_t)n);
    free(text);
    return cr_buf_oom(out) ? CR_ENOMEM : 0;
}

/* Strict base64 (length a multiple of 4, '=' only as padding); CR_EINVALID otherwise. */
static int s_base64_decode(struct cr_buf *out, const char *text)
{
    size_t len = strlen(text), pad = 0;
    if (len % 4 != 0 || len > (size_t)1 << 30)
        return CR_EINVALID;
    for (size_t i = 0; i < len; i++) {
        bool last_two = i + 2 >= len;
        if (text[i] == '=' && (!last_two || (i + 1 < len && text[i + 1] != '=')))
            return CR_EINVALID;
        pad += text[i] == '=';
    }
    unsigned char *raw = malloc(len / 4 * 3 + 1);
    if (!raw)
        return CR_ENOMEM;
    int n = len ? EVP_DecodeBlock(raw, (const unsigned char *)text, (int)len) : 0;
    if (n >= 0)
        cr_buf_put(out, raw, (size_t)n - pad);
    free(raw);
    if (n < 0)
        return CR_EINVALID;
    return cr_buf_oom(out) ? CR_ENOMEM : 0;
}

static void s_md5(unsigned char out[16], const void *data, size_t len)
{
    unsigned int n = 16;
    if (EVP_Digest(data, len, out, &n, EVP_md5(), NULL) != 1)
        memset(out, 0, 16);
}

/* ---- HTTP dates (RFC 1123, always GMT, independent of the locale) ---- */

static const char s_days[7][4] = {"Sun", "Mon", "Tue", "Wed", "Thu", "Fri", "Sat"};
static const char s_months[12][4] = {"Jan", "Feb", "Mar", "Apr", "May", "Jun",
                                     "Jul", "Aug", "Sep", "Oct", "Nov", "Dec"};

static void s_http_date(char out[80], int64_t t)
{
    time_t tt = (time_t)t;
    struct tm tm;
    gmtime_r(&tt, &tm);
    snprintf(out, 80, "%s, %02d %s %04d %02d:%02d:%02d GMT", s_days[tm.tm_wday % 7], tm.tm_mday,
             s_months[tm.tm_mon % 12], tm.tm_year + 1900, tm.tm_hour, tm.tm_min, tm.tm_sec);
}

/* "Sun, 06 Nov 1994 08:49:37 GMT"; false for anything else (RFC 9110: an invalid date in a
 * condition is ignored). */
static bool s_parse_http_date(int64_t *out, const char *text)
{
    char day[4], mon[4];
    int mday, year, h, m, s, used = 0;
    struct tm tm = {0};
    if (!text ||
        sscanf(text, "%3s, %d %3s %d %d:%d:%d GMT%n", day, &mday, mon, &year, &h, &m, &s, &used) !=
            7 ||
        used == 0 || text[used] != '\0')
        return false;
    for (tm.tm_mon = 0; tm.tm_mon < 12 && strcmp(mon, s_months[tm.tm_mon]) != 0; tm.tm_mon++) {
    }
    if (tm.tm_mon == 12 || mday < 1 || mday > 31 || h > 23 || m > 59 || s > 60 || year < 1970)
        return false;
    tm.tm_mday = mday;
    tm.tm_year = year - 1900;
    tm.tm_hour = h;
    tm.tm_min = m;
    tm.tm_sec = s;
    *out = (int64_t)timegm(&tm);
    return true;
}

/* ---- conditions ---- */

/*
 * True when an If-Match / If-None-Match value names etag (hex, no quotes): "*" names any
 * object; a list is comma-separated; entries may carry quotes or not and a weak "W/" prefix
 * (S3 accepts ETags without their quotes, and even with one of them missing).
 */
static bool s_etag_listed(const char *list, const char *etag)
{
    size_t elen = strlen(etag);
    while (*list) {
        size_t len = strcspn(list, ",");
        const char *p = list, *end = list + len;
        list = *end ? end + 1 : end;
        while (p < end && (*p == ' ' || *p == '\t'))
            p++;
        while (end > p && (end[-1] == ' ' || end[-1] == '\t'))
            end--;
        if (end - p == 1 && *p == '*')
            return true;
        if (end - p >= 2 && strncmp(p, "W/", 2) == 0)
            p += 2;
        p += p < end && *p == '"';
        end -= end > p && end[-1] == '"';
        if ((size_t)(end - p) == elen && strncasecmp(p, etag, elen) == 0)
            return true;
    }
    return false;
}

static const char *s_str(const json_t *obj, const char *member)
{
    const char *v = json_string_value(json_object_get(obj, member));
    return v ? v : "";
}

static int64_t s_int(const json_t *obj, const char *member)
{
    return (int64_t)json_integer_value(json_object_get(obj, member));
}

/* ---- buckets ---- */

bool cr__emu_s3_bucket_name_ok(const char *name)
{
    size_t len = strlen(name), dots = 0, digits = 0;
    if (len < 3 || len > 63 || !strchr("abcdefghijklmnopqrstuvwxyz0123456789", name[0]) ||
        !strchr("abcdefghijklmnopqrstuvwxyz0123456789", name[len - 1]) || strstr(name, "..") ||
        strncmp(name, "xn--", 4) == 0 || strncmp(name, "sthree-", 7) == 0)
        return false;
    for (size_t i = 0; i < len; i++) {
        if (!strchr("abcdefghijklmnopqrstuvwxyz0123456789.-", name[i]))
            return false;
        dots += name[i] == '.';
        digits += name[i] >= '0' && name[i] <= '9';
    }
    return !(dots == 3 && digits + dots == len); /* not formatted like an IPv4 address */
}

static json_t *s_buckets(struct cr_emu *emu, bool create)
{
    json_t *s3 = json_object_get(emu->state, "s3");
    if (!s3 && create) {
        s3 = json_pack("{s:{}}", "buckets");
        if (!s3 || json_object_set_new(emu->state, "s3", s3) != 0)
            return NULL;
    }
    return json_object_get(s3, "buckets");
}

int cr__emu_s3_create_buckets(struct cr_emu *emu)
{
    json_t *buckets = emu->n_s3_buckets ? s_buckets(emu, true) : NULL;
    if (emu->n_s3_buckets && !buckets)
        goto oom;
    for (size_t i = 0; i < emu->n_s3_buckets; i++) {
        if (json_object_get(buckets, emu->s3_buckets[i]))
            continue;
        json_t *b = json_pack("{s:s, s:I, s:{}}", "owner", emu->account_id, "created",
                              (json_int_t)cr_time_now(), "objects");
        if (!b || json_object_set_new(buckets, emu->s3_buckets[i], b) != 0)
            goto oom;
    }
    return 0;
oom:
    cr_error_set("out of memory");
    return CR_ENOMEM;
}

bool cr__emu_s3_bucket_exists(struct cr_emu *emu, const char *name)
{
    pthread_mutex_lock(&emu->state_lock);
    bool found = json_object_get(s_buckets(emu, false), name) != NULL;
    pthread_mutex_unlock(&emu->state_lock);
    return found;
}

/* The bucket's objects, or NoSuchBucket (and AccessDenied when the caller expects another
 * owner: x-amz-expected-bucket-owner). */
static json_t *s_objects(struct cr_emu_s3_call *call)
{
    json_t *bucket = json_object_get(s_buckets(call->emu, false), call->bucket);
    const char *owner = cr__emu_header(call->req, "x-amz-expected-bucket-owner");
    if (!bucket) {
        cr__emu_s3_fail(call, 404, "NoSuchBucket", "The specified bucket does not exist",
                        "BucketName", call->bucket, NULL);
        return NULL;
    }
    if (owner && strcmp(owner, s_str(bucket, "owner")) != 0) {
        cr__emu_s3_fail(call, 403, "AccessDenied", "Access Denied", NULL);
        return NULL;
    }
    return json_object_get(bucket, "objects");
}

static void s_no_such_key(struct cr_emu_s3_call *call)
{
    cr__emu_s3_fail(call, 404, "NoSuchKey", "The specified key does not exist.", "Key", call->key,
                    NULL);
}

static void s_precondition_failed(struct cr_emu_s3_call *call, const char *condition)
{
    cr__emu_s3_fail(call, 412, "PreconditionFailed",
                    "At least one of the pre-conditions you specified did not hold", "Condition",
                    condition, NULL);
}

/* A write's If-Match (PutObject, DeleteObject): the key must exist with that ETag. A missing
 * key is NoSuchKey, as S3 answers a conditional write (and a conditional delete that a
 * concurrent delete overtook); a different ETag is 412. True when the write may go on. */
static bool s_write_if_match_holds(struct cr_emu_s3_call *call, const json_t *obj)
{
    const char *match = cr__emu_header(call->req, "If-Match");
    if (match && !obj) {
        s_no_such_key(call);
        return false;
    }
    if (match && !s_etag_listed(match, s_str(obj, "etag"))) {
        s_precondition_failed(call, "If-Match");
        return false;
    }
    return true;
}

/* ---- PutObject ---- */

/* Content-MD5, when given, must be the base64 MD5 of the body (BadDigest otherwise). */
static bool s_content_md5_ok(struct cr_emu_s3_call *call, const unsigned char md5[16])
{
    struct cr_buf raw = CR_BUF_INIT;
    const char *given = cr__emu_header(call->req, "Content-MD5");
    bool ok = true;
    if (!given)
        return true;
    if (s_base64_decode(&raw, given) != 0 || raw.len != 16) {
        cr__emu_s3_fail(call, 400, "InvalidDigest", "The Content-MD5 you specified was invalid.",
                        "Content-MD5", given, NULL);
        ok = false;
    } else if (memcmp(raw.ptr, md5, 16) != 0) {
        cr__emu_s3_fail(call, 400, "BadDigest",
                        "The Content-MD5 you specified did not match what we received.",
                        "ExpectedDigest", given, NULL);
        ok = false;
    }
    cr_buf_dispose(&raw);
    return ok;
}

/* The x-amz-meta-* headers (names lower-cased, without the prefix), within S3's 2 KB. */
static json_t *s_metadata(struct cr_emu_s3_call *call)
{
    size_t total = 0, plen = strlen(S_META_PREFIX);
    json_t *meta = json_object();
    char max[16];
    for (size_t i = 0; meta && i < call->req->n_headers; i++) {
        const struct cr_sigv4_header *h = &call->req->headers[i];
        if (strncasecmp(h->name, S_META_PREFIX, plen) != 0 || !h->name[plen])
            continue;
        char *name = strdup(h->name + plen);
        for (char *c = name; c && *c; c++)
            *c = (char)(*c >= 'A' && *c <= 'Z' ? *c - 'A' + 'a' : *c);
        total += strlen(h->name + plen) + strlen(h->value);
        json_t *v = json_string(h->value);
        if (!name || !v || json_object_set_new(meta, name, v) != 0) {
            json_decref(meta);
            meta = NULL;
            cr__emu_s3_fail(call, 400, "InvalidArgument",
                            "User-defined metadata must be valid UTF-8 text.", "ArgumentName",
                            h->name, NULL);
        }
        free(name);
    }
    if (meta && total > CR_EMU_S3_MAX_METADATA_BYTES) {
        json_decref(meta);
        meta = NULL;
        snprintf(max, sizeof(max), "%d", CR_EMU_S3_MAX_METADATA_BYTES);
        cr__emu_s3_fail(call, 400, "MetadataTooLarge",
                        "Your metadata headers exceed the maximum allowed metadata size",
                        "MaxSizeAllowed", max, NULL);
    }
    return meta;
}

/* If-None-Match (only "*": the key must be free) and If-Match (the key must exist with
 * that ETag; a missing key is NoSuchKey, as S3 answers). */
static bool s_put_conditions_hold(struct cr_emu_s3_call *call, const json_t *obj)
{
    const char *none_match = cr__emu_header(call->req, "If-None-Match");
    if (none_match && strcmp(none_match, "*") != 0) { /* S3 takes no ETag here */
        cr__emu_s3_fail(call, 501, "NotImplemented",
                        "A header you provided implies functionality that is not implemented",
                        "Header", "If-None-Match", NULL);
        return false;
    }
    if (!s_write_if_match_holds(call, obj))
        return false;
    if (none_match && obj) {
        s_precondition_failed(call, "If-None-Match");
        return false;
    }
    return true;
}

static json_t *s_new_object(struct cr_emu_s3_call *call, const unsigned char md5[16],
                            json_t *metadata)
{
    struct cr_buf body = CR_BUF_INIT;
    char etag[33];
    const char *type = cr__emu_header(call->req, "Content-Type");
    json_t *obj = NULL;
    for (int i = 0; i < 16; i++)
        snprintf(etag + 2 * i, 3, "%02x", md5[i]);
    if (s_base64_encode(&body, call->req->body, call->req->body_len) == 0)
        obj = json_pack("{s:s, s:I, s:s, s:I, s:s, s:O}", "body", cr_buf_cstr(&body), "size",
                        (json_int_t)call->req->body_len, "etag", etag, "modified",
                        (json_int_t)cr_time_now(), "content_type",
                        type && cr_utf8_valid(type, strlen(type)) ? type : S_DEFAULT_CONTENT_TYPE,
                        "metadata", metadata);
    cr_buf_dispose(&body);
    return obj;
}

int cr__emu_s3_put_object(struct cr_emu_s3_call *call)
{
    unsigned char md5[16];
    json_t *objects = s_objects(call), *meta = NULL, *obj;
    if (!objects)
        return CR_ESERVICE;
    if (!cr__emu_header(call->req, "Content-Length"))
        return cr__emu_s3_fail(call, 411, "MissingContentLength",
                               "You must provide the Content-Length HTTP header.", NULL);
    s_md5(md5, call->req->body, call->req->body_len);
    if (!s_content_md5_ok(call, md5))
        return CR_ESERVICE;
    meta = s_metadata(call);
    if (!meta)
        return CR_ESERVICE;
    if (!s_put_conditions_hold(call, json_object_get(objects, call->key))) {
        json_decref(meta);
        return CR_ESERVICE;
    }
    obj = s_new_object(call, md5, meta);
    json_decref(meta);
    if (!obj || json_object_set_new(objects, call->key, obj) != 0)
        return cr__emu_s3_fail(call, 500, "InternalError", "out of memory", NULL);
    call->wrote = true;
    call->out->status = 200;
    cr_emu_response_header(call->out, "ETag", "\"%s\"", s_str(obj, "etag"));
    cr_emu_response_header(call->out, "x-amz-server-side-encryption", "AES256");
    return 0;
}

/* ---- GetObject / HeadObject ---- */

/* RFC 9110's order, which S3 follows: If-Match, else If-Unmodified-Since (412); then
 * If-None-Match, else If-Modified-Since (304). Returns the status to answer: 200, 304 or
 * 412 (recorded). */
static int s_read_conditions(struct cr_emu_s3_call *call, const json_t *obj)
{
    const struct cr_emu_request *req = call->req;
    const char *etag = s_str(obj, "etag");
    int64_t modified = s_int(obj, "modified"), t;
    const char *match = cr__emu_header(req, "If-Match");
    const char *none_match = cr__emu_header(req, "If-None-Match");
    if (match && !s_etag_listed(match, etag)) {
        s_precondition_failed(call, "If-Match");
        return 412;
    }
    if (!match && s_parse_http_date(&t, cr__emu_header(req, "If-Unmodified-Since")) &&
        modified > t) {
        s_precondition_failed(call, "If-Unmodified-Since");
        return 412;
    }
    if (none_match)
        return s_etag_listed(none_match, etag) ? 304 : 200;
    if (s_parse_http_date(&t, cr__emu_header(req, "If-Modified-Since")) && modified <= t &&
        t <= cr_time_now())
        return 304;
    return 200;
}

static int s_object_headers(struct cr_emu_response *out, const json_t *obj)
{
    char date[80];
    const char *k;
    json_t *v;
    struct cr_buf name = CR_BUF_INIT;
    s_http_date(date, s_int(obj, "modified"));
    cr_emu_response_header(out, "ETag", "\"%s\"", s_str(obj, "etag"));
    cr_emu_response_header(out, "Last-Modified", "%s", date);
    cr_emu_response_header(out, "Content-Type", "%s", s_str(obj, "content_type"));
    cr_emu_response_header(out, "Accept-Ranges", "bytes");
    cr_emu_response_header(out, "x-amz-server-side-encryption", "AES256");
    json_object_foreach(json_object_get(obj, "metadata"), k, v)
    {
        cr_buf_clear(&name);
        cr_buf_printf(&name, S_META_PREFIX "%s", k);
        cr_emu_response_header(out, cr_buf_cstr(&name), "%s", json_string_value(v));
    }
    bool oom = cr_buf_oom(&name) || cr_buf_oom(&out->headers);
    cr_buf_dispose(&name);
    return oom ? CR_ENOMEM : 0;
}

int cr__emu_s3_get_object(struct cr_emu_s3_call *call)
{
    json_t *objects = s_objects(call), *obj;
    int status;
    if (!objects)
        return CR_ESERVICE;
    obj = json_object_get(objects, call->key);
    if (!obj) {
        s_no_such_key(call);
        return CR_ESERVICE;
    }
    status = s_read_conditions(call, obj);
    if (status == 412)
        return CR_ESERVICE;
    /* HEAD and 304 carry the body too: libmicrohttpd sends its Content-Length, not the bytes. */
    if (s_base64_decode(&call->out->body, s_str(obj, "body")) != 0 ||
        s_object_headers(call->out, obj) != 0)
        return cr__emu_s3_fail(call, 500, "InternalError", "out of memory", NULL);
    call->out->status = status;
    return 0;
}

/* ---- DeleteObject ---- */

int cr__emu_s3_delete_object(struct cr_emu_s3_call *call)
{
    json_t *objects = s_objects(call), *obj;
    if (!objects)
        return CR_ESERVICE;
    if (cr__emu_header(call->req, "x-amz-if-match-last-modified-time") ||
        cr__emu_header(call->req, "x-amz-if-match-size"))
        return cr__emu_s3_fail(call, 501, "NotImplemented",
                               "This functionality is only supported for directory buckets.", NULL);
    obj = json_object_get(objects, call->key);
    if (!s_write_if_match_holds(call, obj)) /* a plain delete of a missing key is 204 */
        return CR_ESERVICE;
    if (obj) {
        json_object_del(objects, call->key);
        call->wrote = true;
    }
    call->out->status = 204;
    return 0;
}

/* ---- the state file ---- */

static int s_check_object(const char *bucket, const char *key, const json_t *obj)
{
    struct cr_buf body = CR_BUF_INIT;
    int rc = CR_EINVALID;
    if (!json_is_object(obj) || !json_is_string(json_object_get(obj, "body")) ||
        !json_is_string(json_object_get(obj, "etag")) ||
        !json_is_string(json_object_get(obj, "content_type")) ||
        !json_is_integer(json_object_get(obj, "modified")) ||
        !json_is_object(json_object_get(obj, "metadata")))
        cr_error_set("s3 object '%s/%s': needs body, etag, content_type (strings), modified "
                     "(an integer) and metadata (an object)",
                     bucket, key);
    else if (s_base64_decode(&body, s_str(obj, "body")) != 0 ||
             (json_int_t)body.len != json_integer_value(json_object_get(obj, "size")))
        cr_error_set("s3 object '%s/%s': 'body' is not base64 of 'size' bytes", bucket, key);
    else
        rc = 0;
    cr_buf_dispose(&body);
    return rc;
}

int cr__emu_s3_state_check(const json_t *state)
{
    const json_t *s3 = json_object_get(state, "s3");
    const json_t *buckets = json_object_get(s3, "buckets");
    const char *name, *key;
    json_t *bucket, *obj;
    if (!s3)
        return 0;
    if (!json_is_object(buckets)) {
        cr_error_set("'s3' must hold a 'buckets' object");
        return CR_EINVALID;
    }
    json_object_foreach((json_t *)buckets, name, bucket)
    {
        json_t *objects = json_object_get(bucket, "objects");
        if (!cr__emu_s3_bucket_name_ok(name) || !json_is_string(json_object_get(bucket, "owner")) ||
            !json_is_object(objects)) {
            cr_error_set("s3 bucket '%s': expected a valid bucket name with 'owner' (a string) "
                         "and 'objects' (an object)",
                         name);
            return CR_EINVALID;
        }
        json_object_foreach(objects, key, obj)
        {
            if (s_check_object(name, key, obj) != 0)
                return CR_EINVALID;
        }
    }
    return 0;
}
