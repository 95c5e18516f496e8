/* SPDX-License-Identifier: Apache-2.0 */
/* The emulator's S3 subset in process: objects, conditions, errors, signing, persistence,
 * faults and the request log. */
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "tests/unit/test_emulator_s3.h"
#include "util/buf.h"

#define S_KEY "locks/prod.tflock"
#define S_OBJ "/locks/" S_KEY

static const char *const s_buckets[] = {"locks", "other.bucket"};

static struct cr_emu *s_new(const char *credentials_path, const char *state_path)
{
    struct cr_emu *emu = NULL;
    struct cr_emu_options opts = {.s3_buckets = s_buckets,
                                  .n_s3_buckets = 2,
                                  .credentials_path = credentials_path,
                                  .state_path = state_path};
    assert_ok(cr_emu_new(&emu, &opts));
    return emu;
}

/* PUT body; returns the ETag (static buffer) after checking the 200. */
static const char *s_put(struct cr_emu *emu, const char *path, const char *body)
{
    static char etag[64];
    struct test_s3_req r;
    struct cr_emu_response out;
    test_s3_init(&r, "PUT", path, body);
    assert_int_equal(test_s3_send(emu, &out, &r), 200);
    snprintf(etag, sizeof(etag), "%s", test_s3_resp_header(&out, "ETag"));
    cr_emu_response_dispose(&out);
    return etag;
}

/* GET's status and body (into body when given). */
static int s_get(struct cr_emu *emu, const char *path, struct cr_buf *body)
{
    struct test_s3_req r;
    struct cr_emu_response out;
    test_s3_init(&r, "GET", path, NULL);
    int status = test_s3_send(emu, &out, &r);
    if (body) {
        cr_buf_clear(body);
        cr_buf_put(body, out.body.ptr ? out.body.ptr : "", out.body.len);
    }
    cr_emu_response_dispose(&out);
    return status;
}

static void test_emulator_s3__put_get_head_delete(void **state)
{
    struct cr_emu *emu = s_new(NULL, NULL);
    struct test_s3_req r;
    struct cr_emu_response out;
    struct cr_buf body = CR_BUF_INIT;
    test_s3_init(&r, "PUT", S_OBJ, "{\"holder\":\"ci-1\"}");
    test_s3_header(&r, "Content-Type", "application/json");
    test_s3_header(&r, "X-Amz-Meta-Holder", "ci-1");
    assert_int_equal(test_s3_send(emu, &out, &r), 200);
    /* the ETag is the quoted MD5 hex of the body */
    assert_string_equal(test_s3_resp_header(&out, "ETag"), "\"4aead5acfeb8769d4cd8fdf1d58e8e37\"");
    assert_string_equal(out.request_id_header, "x-amz-request-id");
    assert_int_equal(strlen(out.request_id), 16);
    assert_int_equal(out.body.len, 0);
    cr_emu_response_dispose(&out);

    for (int head = 0; head < 2; head++) {
        test_s3_init(&r, head ? "HEAD" : "GET", S_OBJ, NULL);
        assert_int_equal(test_s3_send(emu, &out, &r), 200);
        assert_string_equal(cr_buf_cstr(&out.body), "{\"holder\":\"ci-1\"}"); /* HEAD: length */
        assert_string_equal(test_s3_resp_header(&out, "Content-Type"), "application/json");
        assert_string_equal(test_s3_resp_header(&out, "ETag"),
                            "\"4aead5acfeb8769d4cd8fdf1d58e8e37\"");
        assert_string_equal(test_s3_resp_header(&out, "x-amz-meta-holder"), "ci-1");
        const char *lm = test_s3_resp_header(&out, "Last-Modified");
        assert_non_null(lm); /* RFC 1123: "Sun, 06 Dec 2026 06:15:09 GMT" */
        assert_int_equal(strlen(lm), 29);
        assert_string_equal(lm + 25, " GMT");
        cr_emu_response_dispose(&out);
    }
    /* no Content-Type given: S3's default */
    s_put(emu, "/locks/raw", "x");
    test_s3_init(&r, "HEAD", "/locks/raw", NULL);
    test_s3_send(emu, &out, &r);
    assert_string_equal(test_s3_resp_header(&out, "Content-Type"), "binary/octet-stream");
    cr_emu_response_dispose(&out);

    test_s3_init(&r, "DELETE", S_OBJ, NULL);
    assert_int_equal(test_s3_send(emu, &out, &r), 204);
    assert_int_equal(out.body.len, 0);
    cr_emu_response_dispose(&out);
    assert_int_equal(s_get(emu, S_OBJ, &body), 404);
    /* deleting what is not there is still 204 */
    assert_int_equal(test_s3_call(emu, "DELETE", S_OBJ, NULL, NULL, NULL, NULL), 204);
    cr_buf_dispose(&body);
    cr_emu_free(emu);
}

static void test_emulator_s3__missing_bucket_and_key(void **state)
{
    struct cr_emu *emu = s_new(NULL, NULL);
    struct test_s3_req r;
    struct cr_emu_response out;
    char code[64];
    test_s3_init(&r, "GET", "/locks/none", NULL);
    assert_int_equal(test_s3_send(emu, &out, &r), 404);
    assert_string_equal(test_s3_xml(&out, "Code"), "NoSuchKey");
    assert_string_equal(test_s3_xml(&out, "Message"), "The specified key does not exist.");
    assert_string_equal(test_s3_xml(&out, "Key"), "none");
    assert_string_equal(test_s3_xml(&out, "RequestId"), out.request_id);
    assert_string_equal(out.content_type, "application/xml");
    assert_true(strncmp(cr_buf_cstr(&out.body), "<?xml version=\"1.0\" encoding=\"UTF-8\"?>", 38) ==
                0);
    cr_emu_response_dispose(&out);
    /* HEAD: the status only, no body */
    test_s3_init(&r, "HEAD", "/locks/none", NULL);
    assert_int_equal(test_s3_send(emu, &out, &r), 404);
    assert_int_equal(out.body.len, 0);
    cr_emu_response_dispose(&out);
    /* any operation on a bucket that was not created: NoSuchBucket */
    const char *methods[] = {"GET", "PUT", "DELETE", "POST"};
    for (size_t i = 0; i < 4; i++) {
        assert_int_equal(test_s3_call(emu, methods[i], "/nobucket/k", "x", NULL, NULL, code), 404);
        assert_string_equal(code, "NoSuchBucket");
    }
    test_s3_init(&r, "GET", "/nobucket/k", NULL);
    test_s3_send(emu, &out, &r);
    assert_string_equal(test_s3_xml(&out, "BucketName"), "nobucket");
    cr_emu_response_dispose(&out);
    cr_emu_free(emu);
}

/* What is not emulated is refused as S3 refuses it, never answered as something else. */
static void test_emulator_s3__unsupported_requests(void **state)
{
    struct cr_emu *emu = s_new(NULL, NULL);
    struct test_s3_req r;
    struct cr_emu_response out;
    char code[64];
    assert_int_equal(test_s3_call(emu, "GET", "/locks", NULL, NULL, NULL, code), 501);
    assert_string_equal(code, "NotImplemented"); /* ListObjects */
    assert_int_equal(test_s3_call(emu, "GET", "/locks/", NULL, NULL, NULL, code), 501);
    test_s3_init(&r, "GET", "/locks/k", NULL);
    r.query = "acl=";
    assert_int_equal(test_s3_send(emu, &out, &r), 501); /* a subresource */
    cr_emu_response_dispose(&out);
    test_s3_init(&r, "PUT", "/locks/k", "x");
    r.query = "x-id=PutObject"; /* what SDK v3 adds: fine */
    assert_int_equal(test_s3_send(emu, &out, &r), 200);
    cr_emu_response_dispose(&out);
    test_s3_init(&r, "POST", "/locks/k", NULL);
    assert_int_equal(test_s3_send(emu, &out, &r), 405);
    assert_string_equal(out.allow, "GET, HEAD, PUT, DELETE");
    assert_string_equal(test_s3_xml(&out, "Method"), "POST");
    cr_emu_response_dispose(&out);
    /* a PUT without Content-Length (chunked): S3 needs the length */
    test_s3_init(&r, "PUT", "/locks/k", "x");
    r.n = 0;
    assert_int_equal(test_s3_send(emu, &out, &r), 411);
    assert_string_equal(test_s3_xml(&out, "Code"), "MissingContentLength");
    cr_emu_response_dispose(&out);
    /* keys over 1024 bytes */
    char path[1100];
    snprintf(path, sizeof(path), "/locks/%01025d", 0);
    assert_int_equal(test_s3_call(emu, "PUT", path, "x", NULL, NULL, code), 400);
    assert_string_equal(code, "KeyTooLongError");
    /* a key that is not UTF-8 */
    assert_int_equal(test_s3_call(emu, "GET", "/locks/\xff", NULL, NULL, NULL, code), 400);
    assert_string_equal(code, "InvalidURI");
    cr_emu_free(emu);
}

static void test_emulator_s3__conditional_put(void **state)
{
    struct cr_emu *emu = s_new(NULL, NULL);
    struct test_s3_req r;
    struct cr_emu_response out;
    struct cr_buf body = CR_BUF_INIT;
    char code[64], etag[64], unquoted[64];
    /* If-None-Match: * creates a missing key ... */
    assert_int_equal(test_s3_call(emu, "PUT", S_OBJ, "first", "If-None-Match", "*", code), 200);
    /* ... and refuses an existing one, leaving it as it was */
    test_s3_init(&r, "PUT", S_OBJ, "second");
    test_s3_header(&r, "If-None-Match", "*");
    assert_int_equal(test_s3_send(emu, &out, &r), 412);
    assert_string_equal(test_s3_xml(&out, "Code"), "PreconditionFailed");
    assert_string_equal(test_s3_xml(&out, "Message"),
                        "At least one of the pre-conditions you specified did not hold");
    assert_string_equal(test_s3_xml(&out, "Condition"), "If-None-Match");
    cr_emu_response_dispose(&out);
    assert_int_equal(s_get(emu, S_OBJ, &body), 200);
    assert_string_equal(cr_buf_cstr(&body), "first");
    /* If-None-Match with an ETag is not something S3 does for writes */
    assert_int_equal(test_s3_call(emu, "PUT", S_OBJ, "x", "If-None-Match", "\"abc\"", code), 501);
    assert_string_equal(code, "NotImplemented");

    /* If-Match: the current ETag, quoted or not, replaces; any other is 412 */
    snprintf(etag, sizeof(etag), "%s", s_put(emu, S_OBJ, "v1"));
    assert_int_equal(test_s3_call(emu, "PUT", S_OBJ, "v2", "If-Match", "\"0123\"", code), 412);
    assert_string_equal(code, "PreconditionFailed");
    assert_int_equal(s_get(emu, S_OBJ, &body), 200);
    assert_string_equal(cr_buf_cstr(&body), "v1");
    assert_int_equal(test_s3_call(emu, "PUT", S_OBJ, "v2", "If-Match", etag, NULL), 200);
    snprintf(unquoted, sizeof(unquoted), "%.32s", etag + 1);
    assert_int_equal(test_s3_call(emu, "PUT", S_OBJ, "v3", "If-Match", unquoted, NULL), 412);
    snprintf(etag, sizeof(etag), "%s", s_put(emu, S_OBJ, "v4"));
    snprintf(unquoted, sizeof(unquoted), "%.32s", etag + 1);
    assert_int_equal(test_s3_call(emu, "PUT", S_OBJ, "v5", "If-Match", unquoted, NULL), 200);
    /* "*" matches any existing object; a list matches any of its ETags */
    assert_int_equal(test_s3_call(emu, "PUT", S_OBJ, "v6", "If-Match", "*", NULL), 200);
    snprintf(etag, sizeof(etag), "\"aa\", %s", s_put(emu, S_OBJ, "v7"));
    assert_int_equal(test_s3_call(emu, "PUT", S_OBJ, "v8", "If-Match", etag, NULL), 200);
    /* If-Match on a key that does not exist: NoSuchKey, as S3 answers */
    assert_int_equal(test_s3_call(emu, "PUT", "/locks/absent", "x", "If-Match", "*", code), 404);
    assert_string_equal(code, "NoSuchKey");
    assert_int_equal(s_get(emu, "/locks/absent", NULL), 404);
    cr_buf_dispose(&body);
    cr_emu_free(emu);
}

/* The release of a lock: delete only the lease this holder wrote. */
static void test_emulator_s3__conditional_delete(void **state)
{
    struct cr_emu *emu = s_new(NULL, NULL);
    char code[64], etag[64];
    snprintf(etag, sizeof(etag), "%s", s_put(emu, S_OBJ, "lease-a"));
    s_put(emu, S_OBJ, "lease-b"); /* someone else took over */
    assert_int_equal(test_s3_call(emu, "DELETE", S_OBJ, NULL, "If-Match", etag, code), 412);
    assert_string_equal(code, "PreconditionFailed");
    assert_int_equal(s_get(emu, S_OBJ, NULL), 200); /* still there */
    snprintf(etag, sizeof(etag), "%s", s_put(emu, S_OBJ, "lease-c"));
    assert_int_equal(test_s3_call(emu, "DELETE", S_OBJ, NULL, "If-Match", etag, code), 204);
    assert_int_equal(s_get(emu, S_OBJ, NULL), 404);
    /* a conditional delete of a missing key is NoSuchKey (a plain one is 204) */
    assert_int_equal(test_s3_call(emu, "DELETE", S_OBJ, NULL, "If-Match", etag, code), 404);
    assert_string_equal(code, "NoSuchKey");
    assert_int_equal(test_s3_call(emu, "DELETE", S_OBJ, NULL, "If-Match", "*", code), 404);
    s_put(emu, S_OBJ, "x");
    assert_int_equal(test_s3_call(emu, "DELETE", S_OBJ, NULL, "If-Match", "*", code), 204);
    /* directory-bucket conditions are refused, not ignored */
    s_put(emu, S_OBJ, "x");
    assert_int_equal(test_s3_call(emu, "DELETE", S_OBJ, NULL, "x-amz-if-match-size", "1", code),
                     501);
    assert_int_equal(s_get(emu, S_OBJ, NULL), 200);
    cr_emu_free(emu);
}

static void test_emulator_s3__conditional_get(void **state)
{
    struct cr_emu *emu = s_new(NULL, NULL);
    struct test_s3_req r;
    struct cr_emu_response out;
    char etag[64], code[64], lm[64];
    snprintf(etag, sizeof(etag), "%s", s_put(emu, S_OBJ, "data"));
    test_s3_init(&r, "HEAD", S_OBJ, NULL);
    test_s3_send(emu, &out, &r);
    snprintf(lm, sizeof(lm), "%s", test_s3_resp_header(&out, "Last-Modified"));
    cr_emu_response_dispose(&out);
    assert_int_equal(test_s3_call(emu, "GET", S_OBJ, NULL, "If-Match", etag, NULL), 200);
    assert_int_equal(test_s3_call(emu, "GET", S_OBJ, NULL, "If-Match", "\"x\"", code), 412);
    assert_string_equal(code, "PreconditionFailed");
    assert_int_equal(test_s3_call(emu, "HEAD", S_OBJ, NULL, "If-Match", "\"x\"", NULL), 412);
    assert_int_equal(test_s3_call(emu, "GET", S_OBJ, NULL, "If-None-Match", etag, NULL), 304);
    assert_int_equal(test_s3_call(emu, "GET", S_OBJ, NULL, "If-None-Match", "\"x\"", NULL), 200);
    assert_int_equal(test_s3_call(emu, "GET", S_OBJ, NULL, "If-Modified-Since", lm, NULL), 304);
    assert_int_equal(test_s3_call(emu, "GET", S_OBJ, NULL, "If-Modified-Since",
                                  "Thu, 01 Jan 2015 00:00:00 GMT", NULL),
                     200);
    assert_int_equal(test_s3_call(emu, "GET", S_OBJ, NULL, "If-Unmodified-Since",
                                  "Thu, 01 Jan 2015 00:00:00 GMT", code),
                     412);
    assert_int_equal(test_s3_call(emu, "GET", S_OBJ, NULL, "If-Unmodified-Since", lm, NULL), 200);
    /* an unparsable date is ignored (RFC 9110) */
    assert_int_equal(test_s3_call(emu, "GET", S_OBJ, NULL, "If-Modified-Since", "yesterday", NULL),
                     200);
    /* precedence: If-Match true wins over a failing If-Unmodified-Since; If-None-Match false
     * over a true If-Modified-Since (the model's documented S3 behaviour) */
    test_s3_init(&r, "GET", S_OBJ, NULL);
    test_s3_header(&r, "If-Match", etag);
    test_s3_header(&r, "If-Unmodified-Since", "Thu, 01 Jan 2015 00:00:00 GMT");
    assert_int_equal(test_s3_send(emu, &out, &r), 200);
    cr_emu_response_dispose(&out);
    test_s3_init(&r, "GET", S_OBJ, NULL);
    test_s3_header(&r, "If-None-Match", etag);
    test_s3_header(&r, "If-Modified-Since", "Thu, 01 Jan 2015 00:00:00 GMT");
    assert_int_equal(test_s3_send(emu, &out, &r), 304);
    assert_string_equal(test_s3_resp_header(&out, "ETag"), etag);
    cr_emu_response_dispose(&out);
    cr_emu_free(emu);
}

static void test_emulator_s3__body_integrity(void **state)
{
    struct cr_emu *emu = s_new(NULL, NULL);
    struct test_s3_req r;
    struct cr_emu_response out;
    char code[64];
    /* Content-MD5 (the AWS CLI sends it): base64 of the MD5 of "x" */
    assert_int_equal(
        test_s3_call(emu, "PUT", S_OBJ, "x", "Content-MD5", "ndTkYSaMgDT1yFZOFVxnpg==", NULL), 200);
    assert_int_equal(
        test_s3_call(emu, "PUT", S_OBJ, "y", "Content-MD5", "ndTkYSaMgDT1yFZOFVxnpg==", code), 400);
    assert_string_equal(code, "BadDigest");
    assert_int_equal(test_s3_call(emu, "PUT", S_OBJ, "y", "Content-MD5", "bm9wZQ==", code), 400);
    assert_string_equal(code, "InvalidDigest");
    /* X-Amz-Content-Sha256 is checked against the body even without --credentials */
    assert_int_equal(
        test_s3_call(emu, "PUT", S_OBJ, "y", "X-Amz-Content-Sha256",
                     "a1fce4363854ff888cff4b8e7875d600c2682390412a8cf79b37d0b11148b0fa", NULL),
        200); /* the SHA-256 of "y" */
    test_s3_init(&r, "PUT", S_OBJ, "x");
    test_s3_header(&r, "X-Amz-Content-Sha256",
                   "0000000000000000000000000000000000000000000000000000000000000000");
    assert_int_equal(test_s3_send(emu, &out, &r), 400);
    assert_string_equal(test_s3_xml(&out, "Code"), "XAmzContentSHA256Mismatch");
    cr_emu_response_dispose(&out);
    assert_int_equal(
        test_s3_call(emu, "PUT", S_OBJ, "x", "X-Amz-Content-Sha256", "UNSIGNED-PAYLOAD", NULL),
        200);
    assert_int_equal(test_s3_call(emu, "PUT", S_OBJ, "x", "X-Amz-Content-Sha256", "abc", code),
                     400);
    assert_string_equal(code, "InvalidArgument");
    assert_int_equal(test_s3_call(emu, "PUT", S_OBJ, "x", "X-Amz-Content-Sha256",
                                  "STREAMING-UNSIGNED-PAYLOAD-TRAILER", code),
                     501);
    assert_string_equal(code, "NotImplemented");
    /* user metadata over S3's 2 KB */
    char big[2100];
    memset(big, 'm', sizeof(big) - 1);
    big[sizeof(big) - 1] = '\0';
    assert_int_equal(test_s3_call(emu, "PUT", S_OBJ, "x", "x-amz-meta-big", big, code), 400);
    assert_string_equal(code, "MetadataTooLarge");
    cr_emu_free(emu);
}

static void test_emulator_s3__body_cap(void **state)
{
    struct cr_emu *emu = NULL;
    struct cr_emu_options opts = {.s3_buckets = s_buckets, .n_s3_buckets = 1, .max_body_bytes = 8};
    assert_ok(cr_emu_new(&emu, &opts));
    struct test_s3_req r;
    struct cr_emu_response out;
    test_s3_init(&r, "PUT", S_OBJ, NULL);
    test_s3_header(&r, "X-Unused", "1");
    r.headers[0].value = "9"; /* Content-Length over the cap; the server kept no body */
    struct cr_emu_request req = {.method = "PUT",
                                 .path = S_OBJ,
                                 .headers = r.headers,
                                 .n_headers = r.n,
                                 .body_too_large = true,
                                 .loopback = true};
    cr_emu_response_init(&out);
    assert_ok(cr_emu_handle(emu, &out, &req));
    assert_int_equal(out.status, 400);
    assert_string_equal(test_s3_xml(&out, "Code"), "EntityTooLarge");
    assert_string_equal(test_s3_xml(&out, "MaxSizeAllowed"), "8");
    assert_string_equal(test_s3_xml(&out, "ProposedSize"), "9");
    cr_emu_response_dispose(&out);
    cr_sigv4_signed_dispose(&r.sig);
    assert_int_equal(s_get(emu, S_OBJ, NULL), 404);
    cr_emu_free(emu);
}

/* With --credentials every S3 request is signed for "s3" with a known key. */
static void test_emulator_s3__signatures(void **state)
{
    const char *creds = cr_test_tmp_path("s3-credentials");
    assert_int_equal(cr_test_write_file(creds, "AKIDS3TEST secret-s3/key+1 111122223333\n"), 0);
    struct cr_emu *emu = s_new(creds, NULL);
    struct test_s3_req r;
    struct cr_emu_response out;
    const char *cases[][5] = {
        /* secret, service, expected status, code, key (path) */
        {"secret-s3/key+1", "s3", "200", "", "/locks/dir/a b+c~!é.tflock"},
        {"wrong", "s3", "403", "SignatureDoesNotMatch", "/locks/k"},
        {"secret-s3/key+1", "cognito-identity", "400", "AuthorizationHeaderMalformed", "/locks/k"},
    };
    for (size_t i = 0; i < sizeof(cases) / sizeof(cases[0]); i++) {
        test_s3_init(&r, "PUT", cases[i][4], "lease");
        test_s3_header(&r, "If-None-Match", "*");
        test_s3_sign(&r, "AKIDS3TEST", cases[i][0], cases[i][1]);
        assert_int_equal(test_s3_send(emu, &out, &r), atoi(cases[i][2]));
        assert_string_equal(test_s3_xml(&out, "Code"), cases[i][3]);
        cr_emu_response_dispose(&out);
    }
    /* the object written with a signed request reads back with a signed GET */
    test_s3_init(&r, "GET", "/locks/dir/a b+c~!é.tflock", NULL);
    test_s3_sign(&r, "AKIDS3TEST", "secret-s3/key+1", "s3");
    assert_int_equal(test_s3_send(emu, &out, &r), 200);
    assert_string_equal(cr_buf_cstr(&out.body), "lease");
    cr_emu_response_dispose(&out);
    /* unknown key */
    test_s3_init(&r, "GET", "/locks/k", NULL);
    test_s3_sign(&r, "AKIDUNKNOWN", "x", "s3");
    assert_int_equal(test_s3_send(emu, &out, &r), 403);
    assert_string_equal(test_s3_xml(&out, "Code"), "InvalidAccessKeyId");
    assert_string_equal(test_s3_xml(&out, "AWSAccessKeyId"), "AKIDUNKNOWN");
    cr_emu_response_dispose(&out);
    /* anonymous: AccessDenied, and the bucket's existence is not revealed */
    assert_int_equal(test_s3_call(emu, "GET", "/nobucket/k", NULL, NULL, NULL, NULL), 403);
    /* a signed request without X-Amz-Content-Sha256 */
    test_s3_init(&r, "GET", "/locks/k", NULL);
    test_s3_sign(&r, "AKIDS3TEST", "secret-s3/key+1", "s3");
    for (size_t i = 0; i < r.n; i++) {
        if (strcasecmp(r.headers[i].name, "X-Amz-Content-Sha256") == 0)
            r.headers[i].name = "X-Removed";
    }
    assert_int_equal(test_s3_send(emu, &out, &r), 400);
    assert_string_equal(test_s3_xml(&out, "Code"), "InvalidRequest");
    cr_emu_response_dispose(&out);
    /* the body changed after signing: the hash no longer matches */
    test_s3_init(&r, "PUT", "/locks/k2", "lease");
    test_s3_sign(&r, "AKIDS3TEST", "secret-s3/key+1", "s3");
    r.body = "LEASE";
    assert_int_equal(test_s3_send(emu, &out, &r), 400);
    assert_string_equal(test_s3_xml(&out, "Code"), "XAmzContentSHA256Mismatch");
    cr_emu_response_dispose(&out);
    assert_int_equal(test_s3_call(emu, "GET", "/locks/k2", NULL, NULL, NULL, NULL), 403);
    cr_emu_free(emu);
}

/* UNSIGNED-PAYLOAD: the canonical request carries the literal instead of the body's hash. */
static void test_emulator_s3__unsigned_payload(void **state)
{
    const char *creds = cr_test_tmp_path("s3-credentials-unsigned");
    assert_int_equal(cr_test_write_file(creds, "AKIDS3TEST secret\n"), 0);
    struct cr_emu *emu = s_new(creds, NULL);
    struct cr_emu_response out;
    char date[CR_SIGV4_DATE_LEN + 1], scope[64], sig[CR_SIGV4_HEX_LEN + 1], auth[512];
    unsigned char key[32];
    int64_t now = cr_time_now();
    struct cr_buf canonical = CR_BUF_INIT, sts = CR_BUF_INIT;
    cr_sigv4_format_date(date, now);
    snprintf(scope, sizeof(scope), "%.8s/us-east-1/s3/aws4_request", date);
    struct cr_sigv4_header h[5] = {{"Host", "127.0.0.1:9000"},
                                   {"X-Amz-Date", date},
                                   {"X-Amz-Content-Sha256", "UNSIGNED-PAYLOAD"},
                                   {"Content-Length", "5"},
                                   {"Authorization", auth}};
    struct cr_sigv4_request sreq = {"PUT", "/locks/u", NULL, h, 4, cr_span_from("lease")};
    assert_ok(cr_sigv4__canonical_request(&canonical, &sreq, "host;x-amz-content-sha256;x-amz-date",
                                          false, "UNSIGNED-PAYLOAD"));
    assert_ok(
        cr_sigv4__string_to_sign(&sts, date, scope, cr_span_of(canonical.ptr, canonical.len)));
    char date8[9];
    snprintf(date8, sizeof(date8), "%.8s", date);
    assert_ok(cr_sigv4__signing_key(key, "secret", date8, "us-east-1", "s3", NULL));
    assert_ok(cr_sigv4__signature(sig, key, cr_span_of(sts.ptr, sts.len)));
    snprintf(auth, sizeof(auth),
             "AWS4-HMAC-SHA256 Credential=AKIDS3TEST/%s, "
             "SignedHeaders=host;x-amz-content-sha256;x-amz-date, Signature=%s",
             scope, sig);
    struct cr_emu_request req = {.method = "PUT",
                                 .path = "/locks/u",
                                 .headers = h,
                                 .n_headers = 5,
                                 .body = "lease",
                                 .body_len = 5,
                                 .loopback = true};
    cr_emu_response_init(&out);
    assert_ok(cr_emu_handle(emu, &out, &req));
    assert_int_equal(out.status, 200);
    cr_emu_response_dispose(&out);
    req.body = "other"; /* not covered by the signature, so accepted (as S3 does) */
    cr_emu_response_init(&out);
    assert_ok(cr_emu_handle(emu, &out, &req));
    assert_int_equal(out.status, 200);
    cr_emu_response_dispose(&out);
    cr_buf_dispose(&canonical);
    cr_buf_dispose(&sts);
    cr_emu_free(emu);
}

static void test_emulator_s3__state_file(void **state)
{
    const char *path = cr_test_tmp_path("s3-state.json");
    struct cr_buf body = CR_BUF_INIT, text = CR_BUF_INIT;
    struct cr_emu *emu = s_new(NULL, path);
    char etag[64];
    /* binary content survives (stored as base64) */
    struct test_s3_req r;
    struct cr_emu_response out;
    test_s3_init(&r, "PUT", S_OBJ, NULL);
    r.body = "a\0b\xff";
    r.body_len = 4;
    snprintf(r.content_length, sizeof(r.content_length), "4");
    assert_int_equal(test_s3_send(emu, &out, &r), 200);
    snprintf(etag, sizeof(etag), "%s", test_s3_resp_header(&out, "ETag"));
    cr_emu_response_dispose(&out);
    cr_emu_free(emu);

    emu = s_new(NULL, path); /* restart on the same file */
    test_s3_init(&r, "GET", S_OBJ, NULL);
    assert_int_equal(test_s3_send(emu, &out, &r), 200);
    assert_int_equal(out.body.len, 4);
    assert_memory_equal(out.body.ptr, "a\0b\xff", 4);
    assert_string_equal(test_s3_resp_header(&out, "ETag"), etag);
    cr_emu_response_dispose(&out);
    /* reset: the --s3-bucket buckets exist again, empty */
    struct cr_emu_request reset = {.method = "POST", .path = "/_local/reset", .loopback = true};
    cr_emu_response_init(&out);
    assert_ok(cr_emu_handle(emu, &out, &reset));
    assert_int_equal(out.status, 200);
    cr_emu_response_dispose(&out);
    assert_int_equal(s_get(emu, S_OBJ, NULL), 404);
    s_put(emu, "/other.bucket/k", "x");
    cr_emu_free(emu);

    /* a corrupt object is refused at start with the file and the reason */
    assert_ok(cr_buf_read_file(&text, path, 1 << 20));
    char *p = strstr(text.ptr, "\"size\": 1");
    assert_non_null(p);
    p[8] = '7';
    assert_int_equal(cr_test_write_file(path, text.ptr), 0);
    struct cr_emu_options opts = {.state_path = path};
    emu = NULL;
    assert_int_equal(cr_emu_new(&emu, &opts), CR_EINVALID);
    assert_non_null(strstr(cr_error_last(), "s3 object 'other.bucket/k': 'body' is not base64"));
    cr_buf_dispose(&text);
    cr_buf_dispose(&body);
}

static void test_emulator_s3__bucket_names(void **state)
{
    const char *good[] = {"locks", "a.b-c", "abc", "tf-state.example.com"};
    const char *bad[] = {"ab",          "Locks",   "a_b",    "-abc",     "abc-", "a..b",
                         "192.168.1.1", "xn--abc", "_local", "sthree-x", "a/b",  ""};
    for (size_t i = 0; i < sizeof(good) / sizeof(good[0]); i++)
        assert_true(cr__emu_s3_bucket_name_ok(good[i]));
    for (size_t i = 0; i < sizeof(bad) / sizeof(bad[0]); i++)
        assert_false(cr__emu_s3_bucket_name_ok(bad[i]));
    const char *names[] = {"Bad_Name"};
    struct cr_emu_options opts = {.s3_buckets = names, .n_s3_buckets = 1};
    struct cr_emu *emu = NULL;
    assert_int_equal(cr_emu_new(&emu, &opts), CR_EINVALID);
    assert_non_null(strstr(cr_error_last(), "--s3-bucket 'Bad_Name': not a valid S3 bucket name"));
}

static void test_emulator_s3__faults_and_log(void **state)
{
    struct cr_emu *emu = s_new(NULL, NULL);
    struct cr_emu_response out;
    char code[64];
    /* the 409 a real S3 may answer a conditional write in flight, injected once */
    assert_ok(cr_emu_add_faults(
        emu, "PutObject:error=1,type=ConditionalRequestConflict,status=409,count=1"));
    assert_int_equal(test_s3_call(emu, "PUT", S_OBJ, "x", "If-None-Match", "*", code), 409);
    assert_string_equal(code, "ConditionalRequestConflict");
    assert_int_equal(s_get(emu, S_OBJ, NULL), 404); /* refused before it happened */
    assert_int_equal(test_s3_call(emu, "PUT", S_OBJ, "x", "If-None-Match", "*", code), 200);
    /* throttling is S3's 503 SlowDown; the default error is InternalError */
    assert_ok(cr_emu_add_faults(emu, "GetObject:throttle=1,count=1"));
    assert_int_equal(test_s3_call(emu, "GET", S_OBJ, NULL, NULL, NULL, code), 503);
    assert_string_equal(code, "SlowDown");
    assert_ok(cr_emu_add_faults(emu, "DeleteObject:error=1,after=1,count=1"));
    assert_int_equal(test_s3_call(emu, "DELETE", S_OBJ, NULL, NULL, NULL, code), 500);
    assert_string_equal(code, "InternalError");
    assert_int_equal(s_get(emu, S_OBJ, NULL), 404); /* it happened, then failed */
    assert_int_equal(cr_emu_add_faults(emu, "PutObjects:error=1"), CR_EINVALID);
    assert_non_null(strstr(cr_error_last(), "did you mean 'PutObject'"));

    struct cr_emu_request log = {.method = "GET", .path = "/_local/requests", .loopback = true};
    cr_emu_response_init(&out);
    assert_ok(cr_emu_handle(emu, &out, &log));
    json_t *doc = json_loads(cr_buf_cstr(&out.body), 0, NULL);
    json_t *reqs = json_object_get(doc, "requests");
    const char *expect[][3] = {{"PutObject", "409", "ConditionalRequestConflict"},
                               {"GetObject", "404", "NoSuchKey"},
                               {"PutObject", "200", NULL},
                               {"GetObject", "503", "SlowDown"},
                               {"DeleteObject", "500", "InternalError"},
                               {"GetObject", "404", "NoSuchKey"}};
    assert_int_equal(json_array_size(reqs), 6);
    for (size_t i = 0; i < 6; i++) {
        json_t *e = json_array_get(reqs, i);
        assert_string_equal(json_string_value(json_object_get(e, "operation")), expect[i][0]);
        assert_int_equal(json_integer_value(json_object_get(e, "status")), atoi(expect[i][1]));
        if (expect[i][2])
            assert_string_equal(json_string_value(json_object_get(e, "error")), expect[i][2]);
        else
            assert_null(json_object_get(e, "error"));
        /* S3's throttling is marked like cognito-identity's */
        assert_true(json_is_true(json_object_get(e, "throttled")) == (i == 3));
        assert_string_equal(json_string_value(json_object_get(e, "bucket")), "locks");
        assert_string_equal(json_string_value(json_object_get(e, "key")), S_KEY);
    }
    json_decref(doc);
    cr_emu_response_dispose(&out);
    cr_emu_free(emu);
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_emulator_s3__put_get_head_delete),
        cmocka_unit_test(test_emulator_s3__missing_bucket_and_key),
        cmocka_unit_test(test_emulator_s3__unsupported_requests),
        cmocka_unit_test(test_emulator_s3__conditional_put),
        cmocka_unit_test(test_emulator_s3__conditional_delete),
        cmocka_unit_test(test_emulator_s3__conditional_get),
        cmocka_unit_test(test_emulator_s3__body_integrity),
        cmocka_unit_test(test_emulator_s3__body_cap),
        cmocka_unit_test(test_emulator_s3__signatures),
        cmocka_unit_test(test_emulator_s3__unsigned_payload),
        cmocka_unit_test(test_emulator_s3__state_file),
        cmocka_unit_test(test_emulator_s3__bucket_names),
        cmocka_unit_test(test_emulator_s3__faults_and_log),
    };
    return cmocka_run_group_tests(tests, cr_test_tmpdir_setup, cr_test_tmpdir_teardown);
}
