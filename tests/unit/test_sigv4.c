/* SPDX-License-Identifier: Apache-2.0 */
/* SigV4 beyond the official suite: verification, Authorization parsing, redaction, the key
 * cache, dates and canonicalisation corner cases. */
#include "tests/support/cr_test.h"

#include <stdatomic.h>
#include <stdlib.h>
#include <string.h>

#include <openssl/crypto.h>

#include "aws/sigv4.h"
#include "util/buf.h"

#define AKID   "AKIDEXAMPLE"
#define SECRET "wJalrXUtnFEMI/K7MDENG+bPxRfiCYEXAMPLEKEY"
#define T0     1440938160 /* 2015-08-30T12:36:00Z */
#define BODY   "{\"MaxResults\":60}"

/* A request as a server receives it: the client's headers plus the signer's. */
struct received {
    struct cr_sigv4_header headers[16];
    size_t n;
    struct cr_sigv4_signed sig;
    struct cr_sigv4_request req;
    struct cr_sigv4_authorization auth;
};

static const struct cr_sigv4_header s_client_headers[] = {
    {"Host", "cognito-identity.us-east-1.amazonaws.com"},
    {"Content-Type", "application/x-amz-json-1.1"},
    {"X-Amz-Target", "AWSCognitoIdentityService.ListIdentityPools"},
};

static struct cr_sigv4_params s_params(const char *token)
{
    struct cr_sigv4_params p = {
        .access_key_id = AKID,
        .secret_access_key = SECRET,
        .session_token = token,
        .region = "us-east-1",
        .service = "cognito-identity",
        .time_s = T0,
        .normalize_path = true,
    };
    return p;
}

static void s_sign_received(struct received *r, const char *token)
{
    struct cr_sigv4_request req = {"POST", "/", "", s_client_headers, 3, cr_span_from(BODY)};
    struct cr_sigv4_params p = s_params(token);
    struct cr_sigv4_header add[4];
    memset(r, 0, sizeof(*r));
    cr_sigv4_signed_init(&r->sig);
    assert_ok(cr_sigv4_sign_headers(&r->sig, &req, &p, NULL));
    for (size_t i = 0; i < 3; i++)
        r->headers[r->n++] = s_client_headers[i];
    size_t k = cr_sigv4_signed_headers(&r->sig, add);
    for (size_t i = 0; i < k; i++)
        r->headers[r->n++] = add[i];
    r->headers[r->n++] = (struct cr_sigv4_header){"User-Agent", "aws-cli/2 (unsigned)"};
    r->req = req;
    r->req.headers = r->headers;
    r->req.header_count = r->n;
    assert_ok(cr_sigv4_parse_authorization(&r->auth, cr_buf_cstr(&r->sig.authorization)));
}

static struct cr_sigv4_verify_options s_verify_opts(void)
{
    struct cr_sigv4_verify_options o = {
        .now_s = T0 + 60, .region = "us-east-1", .service = "cognito-identity"};
    return o;
}

static void test_sigv4__verify_accepts_a_good_signature(void **state)
{
    struct received r;
    struct cr_sigv4_verify_options o = s_verify_opts();
    s_sign_received(&r, NULL);
    assert_ok(cr_sigv4_verify(&r.req, &r.auth, SECRET, &o));
    assert_true(cr_span_eq_str(r.auth.access_key_id, AKID));
    assert_string_equal(cr_buf_cstr(&r.sig.signed_headers),
                        "content-type;host;x-amz-date;x-amz-target");
    cr_sigv4_signed_dispose(&r.sig);
}

static void test_sigv4__verify_rejects_a_wrong_secret(void **state)
{
    struct received r;
    struct cr_sigv4_verify_options o = s_verify_opts();
    s_sign_received(&r, NULL);
    assert_int_equal(cr_sigv4_verify(&r.req, &r.auth, "not-the-secret", &o), CR_EAUTH);
    assert_non_null(strstr(cr_error_last(), "does not match"));
    cr_sigv4_signed_dispose(&r.sig);
}

static void test_sigv4__verify_rejects_a_wrong_region_scope(void **state)
{
    struct received r;
    struct cr_sigv4_verify_options o = s_verify_opts();
    struct cr_span region;
    s_sign_received(&r, NULL);
    assert_ok(cr_sigv4_scope_region(&region, r.auth.scope));
    assert_true(cr_span_eq_str(region, "us-east-1"));
    o.region = "eu-west-1";
    assert_int_equal(cr_sigv4_verify(&r.req, &r.auth, SECRET, &o), CR_EAUTH);
    assert_non_null(strstr(cr_error_last(), "'us-east-1'"));
    o = s_verify_opts();
    o.service = "sts";
    assert_int_equal(cr_sigv4_verify(&r.req, &r.auth, SECRET, &o), CR_EAUTH);
    cr_sigv4_signed_dispose(&r.sig);
}

static void test_sigv4__verify_rejects_a_tampered_body(void **state)
{
    struct received r;
    struct cr_sigv4_verify_options o = s_verify_opts();
    s_sign_received(&r, NULL);
    r.req.body = cr_span_from("{\"MaxResults\":61}");
    assert_int_equal(cr_sigv4_verify(&r.req, &r.auth, SECRET, &o), CR_EAUTH);
    cr_sigv4_signed_dispose(&r.sig);
}

static void test_sigv4__verify_rejects_a_tampered_signed_header(void **state)
{
    struct received r;
    struct cr_sigv4_verify_options o = s_verify_opts();
    s_sign_received(&r, NULL);
    r.headers[2].value = "AWSCognitoIdentityService.DeleteIdentityPool";
    assert_int_equal(cr_sigv4_verify(&r.req, &r.auth, SECRET, &o), CR_EAUTH);
    /* an unsigned header may change freely */
    cr_sigv4_signed_dispose(&r.sig);
    s_sign_received(&r, NULL);
    r.headers[r.n - 1].value = "something else";
    assert_ok(cr_sigv4_verify(&r.req, &r.auth, SECRET, &o));
    cr_sigv4_signed_dispose(&r.sig);
}

static void test_sigv4__verify_checks_clock_skew(void **state)
{
    struct received r;
    struct cr_sigv4_verify_options o = s_verify_opts();
    s_sign_received(&r, NULL);
    o.now_s = T0 + 16 * 60;
    assert_int_equal(cr_sigv4_verify(&r.req, &r.auth, SECRET, &o), CR_EAUTH);
    assert_non_null(strstr(cr_error_last(), "expired"));
    o.now_s = T0 - 16 * 60;
    assert_int_equal(cr_sigv4_verify(&r.req, &r.auth, SECRET, &o), CR_EAUTH);
    o.max_skew_s = -1; /* not checked */
    assert_ok(cr_sigv4_verify(&r.req, &r.auth, SECRET, &o));
    cr_sigv4_signed_dispose(&r.sig);
}

static void test_sigv4__verify_needs_every_signed_header(void **state)
{
    struct received r;
    struct cr_sigv4_verify_options o = s_verify_opts();
    s_sign_received(&r, NULL);
    r.headers[2].name = "X-Other"; /* X-Amz-Target gone */
    assert_int_equal(cr_sigv4_verify(&r.req, &r.auth, SECRET, &o), CR_EINVALID);
    assert_non_null(strstr(cr_error_last(), "x-amz-target"));
    cr_sigv4_signed_dispose(&r.sig);
}

static void test_sigv4__verify_with_session_token(void **state)
{
    struct received r;
    struct cr_sigv4_verify_options o = s_verify_opts();
    s_sign_received(&r, "session-token-value");
    assert_non_null(strstr(cr_buf_cstr(&r.sig.signed_headers), "x-amz-security-token"));
    assert_ok(cr_sigv4_verify(&r.req, &r.auth, SECRET, &o));
    for (size_t i = 0; i < r.n; i++) {
        if (strcmp(r.headers[i].name, "X-Amz-Security-Token") == 0)
            r.headers[i].value = "another-token";
    }
    assert_int_equal(cr_sigv4_verify(&r.req, &r.auth, SECRET, &o), CR_EAUTH);
    cr_sigv4_signed_dispose(&r.sig);
}

static void test_sigv4__verify_rejects_scope_date_mismatch(void **state)
{
    struct received r;
    struct cr_sigv4_verify_options o = s_verify_opts();
    s_sign_received(&r, NULL);
    for (size_t i = 0; i < r.n; i++) {
        if (strcmp(r.headers[i].name, "X-Amz-Date") == 0)
            r.headers[i].value = "20150831T000000Z";
    }
    o.max_skew_s = -1;
    assert_int_equal(cr_sigv4_verify(&r.req, &r.auth, SECRET, &o), CR_EAUTH);
    assert_non_null(strstr(cr_error_last(), "scope date"));
    cr_sigv4_signed_dispose(&r.sig);
}

static void test_sigv4__parse_authorization_accepts_variants(void **state)
{
    struct cr_sigv4_authorization a;
    const char *sig = "5fa00fa31553b73ebf1942676e86291e8372ff2a2260956d9b8aae1d763fbf31";
    char text[512];
    snprintf(text, sizeof(text),
             "AWS4-HMAC-SHA256 Signature=%s,SignedHeaders=host;x-amz-date,"
             "Credential=AKID/20150830/eu-west-2/cognito-identity/aws4_request",
             sig);
    assert_ok(cr_sigv4_parse_authorization(&a, text));
    assert_true(cr_span_eq_str(a.access_key_id, "AKID"));
    assert_true(cr_span_eq_str(a.date, "20150830"));
    assert_true(cr_span_eq_str(a.region, "eu-west-2"));
    assert_true(cr_span_eq_str(a.service, "cognito-identity"));
    assert_true(cr_span_eq_str(a.scope, "20150830/eu-west-2/cognito-identity/aws4_request"));
    assert_true(cr_span_eq_str(a.signed_headers, "host;x-amz-date"));
    assert_true(cr_span_eq_str(a.signature, sig));
}

static void test_sigv4__parse_authorization_rejects_malformed(void **state)
{
    static const struct {
        const char *value, *message;
    } bad[] = {
        {"", "does not start"},
        {"AWS4-HMAC-SHA1 Credential=A/20150830/r/s/aws4_request", "does not start"},
        {"AWS4-HMAC-SHA256Credential=A/20150830/r/s/aws4_request", "does not start"},
        {"AWS4-HMAC-SHA256 SignedHeaders=host, Signature="
         "5fa00fa31553b73ebf1942676e86291e8372ff2a2260956d9b8aae1d763fbf31",
         "no Credential"},
        {"AWS4-HMAC-SHA256 Credential=A/20150830/r/s/aws4_request, Signature="
         "5fa00fa31553b73ebf1942676e86291e8372ff2a2260956d9b8aae1d763fbf31",
         "no SignedHeaders"},
        {"AWS4-HMAC-SHA256 Credential=A/20150830/r/s/aws4_request, SignedHeaders=host",
         "no Signature"},
        {"AWS4-HMAC-SHA256 Credential=A/20150830/r/aws4_request, SignedHeaders=host, "
         "Signature=5fa00fa31553b73ebf1942676e86291e8372ff2a2260956d9b8aae1d763fbf31",
         "scope"},
        {"AWS4-HMAC-SHA256 Credential=A/2015083/r/s/aws4_request, SignedHeaders=host, "
         "Signature=5fa00fa31553b73ebf1942676e86291e8372ff2a2260956d9b8aae1d763fbf31",
         "scope"},
        {"AWS4-HMAC-SHA256 Credential=/20150830/r/s/aws4_request, SignedHeaders=host, "
         "Signature=5fa00fa31553b73ebf1942676e86291e8372ff2a2260956d9b8aae1d763fbf31",
         "no access key id"},
        {"AWS4-HMAC-SHA256 Credential=A/20150830/r/s/aws4_request, SignedHeaders=host, "
         "Signature=5fa00f",
         "64 lowercase hex"},
        {"AWS4-HMAC-SHA256 Credential=A/20150830/r/s/aws4_request, SignedHeaders=host, "
         "Signature=5FA00FA31553B73EBF1942676E86291E8372FF2A2260956D9B8AAE1D763FBF31",
         "64 lowercase hex"},
        {"AWS4-HMAC-SHA256 Credential=A/20150830/r/s/aws4_request, SignedHeaders=Host, "
         "Signature=5fa00fa31553b73ebf1942676e86291e8372ff2a2260956d9b8aae1d763fbf31",
         "lowercase header names"},
        {"AWS4-HMAC-SHA256 Credential=A/20150830/r/s/aws4_request, SignedHeaders=host;;a, "
         "Signature=5fa00fa31553b73ebf1942676e86291e8372ff2a2260956d9b8aae1d763fbf31",
         "lowercase header names"},
        {"AWS4-HMAC-SHA256 Credential=A/20150830/r/s/aws4_request, "
         "Credential=A/20150830/r/s/aws4_request, SignedHeaders=host",
         "twice"},
        {"AWS4-HMAC-SHA256 Credential=A/20150830/r/s/aws4_request, Foo=bar", "Foo=bar"},
    };
    for (size_t i = 0; i < sizeof(bad) / sizeof(bad[0]); i++) {
        struct cr_sigv4_authorization a;
        int rc = cr_sigv4_parse_authorization(&a, bad[i].value);
        if (rc != CR_EINVALID || !strstr(cr_error_last(), bad[i].message))
            fail_msg("case %zu: rc %d, message '%s', wanted '%s'", i, rc, cr_error_last(),
                     bad[i].message);
    }
}

/* Every proper prefix of a valid header is rejected with a message (the signature must be 64
 * digits, so no truncation is accidentally valid). */
static void test_sigv4__parse_authorization_rejects_every_truncation(void **state)
{
    const char *full = "AWS4-HMAC-SHA256 Credential=AKID/20150830/us-east-1/service/"
                       "aws4_request, SignedHeaders=host;x-amz-date, Signature="
                       "5fa00fa31553b73ebf1942676e86291e8372ff2a2260956d9b8aae1d763fbf31";
    struct cr_sigv4_authorization a;
    char buf[512];
    assert_ok(cr_sigv4_parse_authorization(&a, full));
    for (size_t n = 0; n < strlen(full); n++) {
        snprintf(buf, sizeof(buf), "%.*s", (int)n, full);
        if (cr_sigv4_parse_authorization(&a, buf) != CR_EINVALID)
            fail_msg("prefix of %zu bytes accepted: '%s'", n, buf);
        assert_true(strncmp(cr_error_last(), "sigv4: ", 7) == 0);
    }
}

static void test_sigv4__redact_hides_the_signature(void **state)
{
    struct received r;
    struct cr_buf out = CR_BUF_INIT;
    s_sign_received(&r, NULL);
    assert_ok(cr_sigv4_redact_authorization(&out, cr_buf_cstr(&r.sig.authorization)));
    assert_string_equal(cr_buf_cstr(&out),
                        "AWS4-HMAC-SHA256 Credential=AKIDEXAMPLE/20150830/us-east-1/"
                        "cognito-identity/aws4_request, SignedHeaders=content-type;host;"
                        "x-amz-date;x-amz-target, Signature=<redacted>");
    assert_null(strstr(cr_buf_cstr(&out), r.sig.signature));
    cr_buf_clear(&out);
    cr_error_set("earlier error");
    assert_ok(cr_sigv4_redact_authorization(&out, "Bearer abc.def"));
    assert_string_equal(cr_buf_cstr(&out), "<redacted>");
    assert_string_equal(cr_error_last(), "earlier error");
    cr_buf_dispose(&out);
    cr_sigv4_signed_dispose(&r.sig);
}

static void test_sigv4__key_cache_derives_once_per_day_region_service_secret(void **state)
{
    struct cr_sigv4_key_cache cache;
    unsigned char k1[32], k2[32], plain[32];
    cr_sigv4_key_cache_init(&cache);
    assert_ok(cr_sigv4__signing_key(k1, SECRET, "20150830", "us-east-1", "iam", &cache));
    assert_ok(cr_sigv4__signing_key(k2, SECRET, "20150830", "us-east-1", "iam", &cache));
    assert_int_equal(cache.derivations, 1);
    assert_memory_equal(k1, k2, 32);
    assert_ok(cr_sigv4__signing_key(plain, SECRET, "20150830", "us-east-1", "iam", NULL));
    assert_memory_equal(k1, plain, 32);
    /* the documented example key of the AWS General Reference */
    char hex[65];
    static const char digits[] = "0123456789abcdef";
    for (int i = 0; i < 32; i++) {
        hex[2 * i] = digits[k1[i] >> 4];
        hex[2 * i + 1] = digits[k1[i] & 15];
    }
    hex[64] = '\0';
    assert_string_equal(hex, "c4afb1cc5771d871763a393e44b703571b55cc28424d1a5e86da6ed3c154a4b9");
    assert_ok(cr_sigv4__signing_key(k2, SECRET, "20150831", "us-east-1", "iam", &cache));
    assert_int_equal(cache.derivations, 2);
    assert_memory_not_equal(k1, k2, 32);
    assert_ok(cr_sigv4__signing_key(k2, "other-secret", "20150831", "us-east-1", "iam", &cache));
    assert_ok(cr_sigv4__signing_key(k2, "other-secret", "20150831", "eu-west-1", "iam", &cache));
    assert_ok(cr_sigv4__signing_key(k2, "other-secret", "20150831", "eu-west-1", "sts", &cache));
    assert_int_equal(cache.derivations, 5);
    cr_sigv4_key_cache_dispose(&cache);
    unsigned char zero[32] = {0};
    assert_memory_equal(cache.key, zero, 32);
    assert_false(cache.valid);
}

static void test_sigv4__dates_format_and_parse(void **state)
{
    char d[CR_SIGV4_DATE_LEN + 1];
    int64_t t = 0;
    cr_sigv4_format_date(d, T0);
    assert_string_equal(d, "20150830T123600Z");
    assert_ok(cr_sigv4_parse_date(&t, "20150830T123600Z"));
    assert_int_equal(t, T0);
    assert_ok(cr_sigv4_parse_date(&t, "2015-08-30T12:36:00Z"));
    assert_int_equal(t, T0);
    assert_ok(cr_sigv4_parse_date(&t, "2015-08-30T12:36:00.123Z"));
    assert_int_equal(t, T0);
    const char *bad[] = {"",
                         "2015-08-30",
                         "20150830T123600",
                         "2015-08-30T12:36:00+01:00",
                         "20151330T123600Z",
                         "2015-08-30T12:36:00Zjunk",
                         "yesterday"};
    for (size_t i = 0; i < sizeof(bad) / sizeof(bad[0]); i++)
        assert_int_equal(cr_sigv4_parse_date(&t, bad[i]), CR_EINVALID);
}

static void test_sigv4__sign_needs_host_and_credentials(void **state)
{
    struct cr_sigv4_header h[] = {{"Content-Type", "x"}};
    struct cr_sigv4_request req = {"POST", "/", "", h, 1, cr_span_from("")};
    struct cr_sigv4_params p = s_params(NULL);
    struct cr_sigv4_signed s;
    struct cr_buf q = CR_BUF_INIT;
    cr_sigv4_signed_init(&s);
    assert_int_equal(cr_sigv4_sign_headers(&s, &req, &p, NULL), CR_EINVALID);
    assert_non_null(strstr(cr_error_last(), "Host"));
    assert_int_equal(cr_sigv4_presign(&q, &req, &p, NULL), CR_EINVALID);
    h[0].name = "host";
    p.secret_access_key = "";
    assert_int_equal(cr_sigv4_sign_headers(&s, &req, &p, NULL), CR_EINVALID);
    assert_non_null(strstr(cr_error_last(), "secret access key"));
    cr_sigv4_signed_dispose(&s);
    cr_buf_dispose(&q);
}

static void test_sigv4__signer_replaces_caller_amz_headers(void **state)
{
    struct cr_sigv4_header h[] = {
        {"Host", "example.amazonaws.com"},
        {"X-Amz-Date", "19990101T000000Z"},
        {"Authorization", "stale"},
    };
    struct cr_sigv4_request req = {"GET", "/", "", h, 3, cr_span_from("")};
    struct cr_sigv4_params p = s_params(NULL);
    struct cr_sigv4_signed s;
    cr_sigv4_signed_init(&s);
    assert_ok(cr_sigv4_sign_headers(&s, &req, &p, NULL));
    assert_string_equal(cr_buf_cstr(&s.signed_headers), "host;x-amz-date");
    assert_string_equal(s.amz_date, "20150830T123600Z");
    struct cr_sigv4_header add[4];
    assert_int_equal(cr_sigv4_signed_headers(&s, add), 2);
    cr_sigv4_signed_dispose(&s);
}

static void test_sigv4__content_sha256_and_token_headers(void **state)
{
    struct cr_sigv4_request req = {"POST", "/", "", s_client_headers, 3, cr_span_from("")};
    struct cr_sigv4_params p = s_params("tok");
    struct cr_sigv4_signed s;
    struct cr_sigv4_header add[4];
    p.add_content_sha256 = true;
    cr_sigv4_signed_init(&s);
    assert_ok(cr_sigv4_sign_headers(&s, &req, &p, NULL));
    assert_int_equal(cr_sigv4_signed_headers(&s, add), 4);
    assert_string_equal(add[0].name, "X-Amz-Date");
    assert_string_equal(add[1].name, "X-Amz-Security-Token");
    assert_string_equal(add[1].value, "tok");
    assert_string_equal(add[2].name, "X-Amz-Content-Sha256");
    assert_string_equal(add[2].value,
                        "e3b0c44298fc1c149afbf4c8996fb92427ae41e4649b934ca495991b7852b855");
    assert_string_equal(add[3].name, "Authorization");
    assert_string_equal(cr_buf_cstr(&s.signed_headers),
                        "content-type;host;x-amz-content-sha256;x-amz-date;"
                        "x-amz-security-token;x-amz-target");
    cr_sigv4_signed_dispose(&s);
}

/* S3 over TLS: "UNSIGNED-PAYLOAD" is the payload hash, sent (and signed) as the
 * X-Amz-Content-Sha256 header even when add_content_sha256 was not asked for. */
static void test_sigv4__unsigned_payload_in_header_signing(void **state)
{
    struct cr_sigv4_header h[] = {{"Host", "bucket.s3.us-east-1.amazonaws.com"}};
    struct cr_sigv4_request req = {"PUT", "/locks/a b", "", h, 1, cr_span_from("lock body")};
    struct cr_sigv4_params p = s_params(NULL);
    struct cr_sigv4_signed s;
    struct cr_sigv4_header add[4];
    struct cr_buf creq = CR_BUF_INIT, sts = CR_BUF_INIT;
    unsigned char key[32];
    char want[CR_SIGV4_HEX_LEN + 1];
    p.service = "s3";
    p.normalize_path = false;
    p.unsigned_payload = true;
    cr_sigv4_signed_init(&s);
    assert_ok(cr_sigv4_sign_headers(&s, &req, &p, NULL));
    assert_int_equal(cr_sigv4_signed_headers(&s, add), 3);
    assert_string_equal(add[1].name, "X-Amz-Content-Sha256");
    assert_string_equal(add[1].value, CR_SIGV4_UNSIGNED_PAYLOAD);
    assert_string_equal(cr_buf_cstr(&s.signed_headers), "host;x-amz-content-sha256;x-amz-date");
    /* the signature is over a canonical request ending in UNSIGNED-PAYLOAD, recomputed here
     * stage by stage */
    struct cr_sigv4_header all[] = {
        h[0], {"x-amz-content-sha256", CR_SIGV4_UNSIGNED_PAYLOAD}, {"x-amz-date", s.amz_date}};
    struct cr_sigv4_request full = req;
    full.headers = all;
    full.header_count = 3;
    assert_ok(cr_sigv4__canonical_request(&creq, &full, "host;x-amz-content-sha256;x-amz-date",
                                          false, CR_SIGV4_UNSIGNED_PAYLOAD));
    assert_non_null(strstr(cr_buf_cstr(&creq), "PUT\n/locks/a%20b\n"));
    assert_ok(cr_sigv4__string_to_sign(&sts, s.amz_date, "20150830/us-east-1/s3/aws4_request",
                                       cr_span_of(creq.ptr, creq.len)));
    assert_ok(cr_sigv4__signing_key(key, SECRET, "20150830", "us-east-1", "s3", NULL));
    assert_ok(cr_sigv4__signature(want, key, cr_span_of(sts.ptr, sts.len)));
    assert_string_equal(s.signature, want);
    cr_buf_dispose(&creq);
    cr_buf_dispose(&sts);
    cr_sigv4_signed_dispose(&s);
}

/* libcrypto's allocations, failing on demand (installed before any other OpenSSL call). */
static atomic_bool s_crypto_fail;
static bool s_crypto_hooked;

static void *s_crypto_malloc(size_t n, const char *file, int line)
{
    return atomic_load(&s_crypto_fail) ? NULL : malloc(n);
}

static void *s_crypto_realloc(void *p, size_t n, const char *file, int line)
{
    return atomic_load(&s_crypto_fail) ? NULL : realloc(p, n);
}

static void s_crypto_free(void *p, const char *file, int line)
{
    free(p);
}

/* When libcrypto fails the hash is an error, never a hash of zeros that would sign (and
 * send) a request over a made-up payload. */
static void test_sigv4__libcrypto_failure_is_an_error(void **state)
{
    if (!s_crypto_hooked)
        skip();
    struct cr_sigv4_request req = {"POST", "/", "", s_client_headers, 3, cr_span_from(BODY)};
    struct cr_sigv4_params p = s_params(NULL);
    struct cr_sigv4_signed s;
    char hex[CR_SIGV4_HEX_LEN + 1];
    cr_sigv4_signed_init(&s);
    atomic_store(&s_crypto_fail, true);
    int hash_rc = cr_sigv4_sha256_hex(hex, cr_span_from(BODY));
    int sign_rc = cr_sigv4_sign_headers(&s, &req, &p, NULL);
    atomic_store(&s_crypto_fail, false);
    assert_int_equal(hash_rc, CR_ERROR);
    assert_string_equal(hex, "");
    assert_int_equal(sign_rc, CR_ERROR);
    assert_string_equal(cr_error_last(), "sigv4: SHA-256 failed in libcrypto");
    assert_int_equal(s.authorization.len, 0);
    /* and with libcrypto back the same request signs */
    assert_ok(cr_sigv4_sha256_hex(hex, cr_span_from("")));
    assert_string_equal(hex, "e3b0c44298fc1c149afbf4c8996fb92427ae41e4649b934ca495991b7852b855");
    assert_ok(cr_sigv4_sign_headers(&s, &req, &p, NULL));
    assert_true(s.authorization.len > 0);
    cr_sigv4_signed_dispose(&s);
}

static void s_expect_canonical(const char *path, const char *query, bool normalize,
                               const char *want_uri, const char *want_query)
{
    struct cr_sigv4_header h[] = {{"Host", "h"}};
    struct cr_sigv4_request req = {"GET", path, query, h, 1, cr_span_from("")};
    struct cr_buf out = CR_BUF_INIT, want = CR_BUF_INIT;
    assert_ok(cr_sigv4__canonical_request(&out, &req, "host", normalize, "HASH"));
    cr_buf_printf(&want, "GET\n%s\n%s\nhost:h\n\nhost\nHASH", want_uri, want_query);
    assert_string_equal(cr_buf_cstr(&out), cr_buf_cstr(&want));
    cr_buf_dispose(&out);
    cr_buf_dispose(&want);
}

static void test_sigv4__canonical_uri_and_query_corners(void **state)
{
    s_expect_canonical("", NULL, true, "/", "");
    s_expect_canonical("/a/./b/../c/", "", true, "/a/c/", "");
    s_expect_canonical("/a/b/..", "", true, "/a/", "");
    s_expect_canonical("/../..", "", true, "/", "");
    s_expect_canonical("/a%20b", "", true, "/a%2520b", ""); /* double-encoded, not S3 */
    s_expect_canonical("/", "b&a=2&a=10&c=", true, "/", "a=10&a=2&b=&c=");
    s_expect_canonical("/", "k=a+b&s=%2f&bad=%zz&e=%E1%88%B4", true, "/",
                       "bad=%25zz&e=%E1%88%B4&k=a%2Bb&s=%2F");
    s_expect_canonical("/", "&&x=1&", true, "/", "x=1");
}

static void test_sigv4__canonical_headers_trim_and_join(void **state)
{
    struct cr_sigv4_header h[] = {
        {"Host", "h"},
        {"X-A", "\t one \t two  "},
        {"x-a", "three"},
        {"X-B", "line1\r\n  line2"},
    };
    struct cr_sigv4_request req = {"GET", "/", "", h, 4, cr_span_from("")};
    struct cr_buf out = CR_BUF_INIT, list = CR_BUF_INIT;
    assert_ok(cr_sigv4__signed_headers(&list, &req));
    assert_string_equal(cr_buf_cstr(&list), "host;x-a;x-b");
    assert_ok(cr_sigv4__canonical_request(&out, &req, cr_buf_cstr(&list), true, "H"));
    assert_string_equal(cr_buf_cstr(&out),
                        "GET\n/\n\nhost:h\nx-a:one two,three\nx-b:line1 line2\n\nhost;x-a;x-b\nH");
    cr_buf_clear(&out);
    assert_int_equal(cr_sigv4__canonical_request(&out, &req, "host;x-c", true, "H"), CR_EINVALID);
    assert_int_equal(cr_sigv4__canonical_request(&out, &req, "", true, "H"), CR_EINVALID);
    cr_buf_dispose(&out);
    cr_buf_dispose(&list);
}

static void test_sigv4__uri_encode(void **state)
{
    struct cr_buf out = CR_BUF_INIT;
    assert_ok(cr_sigv4__uri_encode(&out, cr_span_from("a b/c~-_.*+=\xe1\x88\xb4"), false));
    assert_string_equal(cr_buf_cstr(&out), "a%20b%2Fc~-_.%2A%2B%3D%E1%88%B4");
    cr_buf_clear(&out);
    assert_ok(cr_sigv4__uri_encode(&out, cr_span_from("/a b/"), true));
    assert_string_equal(cr_buf_cstr(&out), "/a%20b/");
    cr_buf_dispose(&out);
}

static void test_sigv4__presign_contains_signature_and_expires(void **state)
{
    struct cr_sigv4_header h[] = {{"Host", "example.amazonaws.com"}};
    struct cr_sigv4_request req = {"GET", "/", "Action=ListUsers", h, 1, cr_span_from("")};
    struct cr_sigv4_params p = s_params("tok/en");
    struct cr_buf q = CR_BUF_INIT;
    p.unsigned_payload = true;
    assert_ok(cr_sigv4_presign(&q, &req, &p, NULL));
    const char *s = cr_buf_cstr(&q);
    assert_memory_equal(s, "Action=ListUsers&X-Amz-Algorithm=AWS4-HMAC-SHA256&", 50);
    assert_non_null(strstr(s, "&X-Amz-Expires=900&"));
    assert_non_null(strstr(s, "&X-Amz-Security-Token=tok%2Fen&"));
    assert_non_null(strstr(s, "&X-Amz-Signature="));
    assert_int_equal(strlen(strstr(s, "&X-Amz-Signature=")), strlen("&X-Amz-Signature=") + 64);
    cr_buf_dispose(&q);
}

static void test_sigv4__unsignable_requests_are_refused_in_both_modes(void **state)
{
    static const struct cr_sigv4_header no_host[] = {{"Content-Type", "application/json"}};
    struct cr_sigv4_request req = {"POST", "/", "", s_client_headers, 3, cr_span_from(BODY)};
    struct cr_sigv4_params p = s_params(NULL);
    struct cr_sigv4_signed sig;
    struct cr_buf q = CR_BUF_INIT;
    cr_sigv4_signed_init(&sig);
    /* no Host header */
    req.headers = no_host;
    req.header_count = 1;
    assert_int_equal(cr_sigv4_sign_headers(&sig, &req, &p, NULL), CR_EINVALID);
    assert_string_equal(cr_error_last(), "sigv4: the request has no Host header");
    assert_int_equal(cr_sigv4_presign(&q, &req, &p, NULL), CR_EINVALID);
    assert_string_equal(cr_error_last(), "sigv4: the request has no Host header");
    /* missing parameters are named (checked before the Host header) */
    p.secret_access_key = "";
    assert_int_equal(cr_sigv4_sign_headers(&sig, &req, &p, NULL), CR_EINVALID);
    assert_string_equal(cr_error_last(), "sigv4: cannot sign without a secret access key");
    req.headers = s_client_headers;
    req.header_count = 3;
    p = s_params(NULL);
    p.region = NULL;
    assert_int_equal(cr_sigv4_presign(&q, &req, &p, NULL), CR_EINVALID);
    assert_string_equal(cr_error_last(), "sigv4: cannot sign without a region");
    assert_int_equal(q.len, 0);
    cr_sigv4_signed_dispose(&sig);
    cr_buf_dispose(&q);
}

int main(void)
{
    /* must come before anything else uses OpenSSL; 0 means it is too late (then the test
     * that needs it skips) */
    s_crypto_hooked = CRYPTO_set_mem_functions(s_crypto_malloc, s_crypto_realloc, s_crypto_free);
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_sigv4__verify_accepts_a_good_signature),
        cmocka_unit_test(test_sigv4__verify_rejects_a_wrong_secret),
        cmocka_unit_test(test_sigv4__verify_rejects_a_wrong_region_scope),
        cmocka_unit_test(test_sigv4__verify_rejects_a_tampered_body),
        cmocka_unit_test(test_sigv4__verify_rejects_a_tampered_signed_header),
        cmocka_unit_test(test_sigv4__verify_checks_clock_skew),
        cmocka_unit_test(test_sigv4__verify_needs_every_signed_header),
        cmocka_unit_test(test_sigv4__verify_with_session_token),
        cmocka_unit_test(test_sigv4__verify_rejects_scope_date_mismatch),
        cmocka_unit_test(test_sigv4__parse_authorization_accepts_variants),
        cmocka_unit_test(test_sigv4__parse_authorization_rejects_malformed),
        cmocka_unit_test(test_sigv4__parse_authorization_rejects_every_truncation),
        cmocka_unit_test(test_sigv4__redact_hides_the_signature),
        cmocka_unit_test(test_sigv4__key_cache_derives_once_per_day_region_service_secret),
        cmocka_unit_test(test_sigv4__dates_format_and_parse),
        cmocka_unit_test(test_sigv4__sign_needs_host_and_credentials),
        cmocka_unit_test(test_sigv4__signer_replaces_caller_amz_headers),
        cmocka_unit_test(test_sigv4__content_sha256_and_token_headers),
        cmocka_unit_test(test_sigv4__unsigned_payload_in_header_signing),
        cmocka_unit_test(test_sigv4__libcrypto_failure_is_an_error),
        cmocka_unit_test(test_sigv4__canonical_uri_and_query_corners),
        cmocka_unit_test(test_sigv4__canonical_headers_trim_and_join),
        cmocka_unit_test(test_sigv4__uri_encode),
        cmocka_unit_test(test_sigv4__presign_contains_signature_and_expires),
        cmocka_unit_test(test_sigv4__unsignable_requests_are_refused_in_both_modes),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
