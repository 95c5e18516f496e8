/* SPDX-License-Identifier: Apache-2.0 */
/*
 * aws/request: the generic request path against the in-process HTTP server of
 * test_http_server.h: every method, URLs, headers in and out, SigV4 for sts and s3
 * (UNSIGNED-PAYLOAD and a hashed payload, checked by the verifier the emulator uses), unsigned
 * calls, retries on 5xx / throttling / dropped connections, at-most-once requests never sent
 * twice blindly, retry hooks, per-request timeouts and attempts, the response cap, errors of
 * every protocol, clock-skew correction, re-entrant use from a credentials provider, and
 * --debug output that never shows a token.
 */
#include "tests/support/cr_test.h"
#include "tests/unit/test_http_server.h"

#include <stdlib.h>
#include <string.h>

#include <curl/curl.h>

#include "aws/credentials.h"
#include "aws/request.h"
#include "aws/sigv4.h"
#include "util/strutil.h"

#define S_AKID   "AKIDREQUESTTEST00001"
#define S_SECRET "requestTestSecretKey00000000000000000000"
#define S_TOKEN  "IQoJb3JpZ2luX2VjREQUESTSESSIONTOKEN0123"
#define S_T0     1440938160 /* 2015-08-30T12:36:00Z */

static int64_t s_now = S_T0;

static int64_t s_clock(void *ctx)
{
    (void)ctx;
    return s_now;
}

static const struct cr_aws_env s_env = {NULL, NULL, s_clock, NULL};

/* A transport with a fast backoff (the policy otherwise as the default). */
static struct cr_aws_transport *s_transport(bool debug)
{
    struct cr_aws_transport *t = NULL;
    struct cr_aws_transport_options o = {.env = &s_env, .debug = debug, .debug_headers = debug};
    cr_retry_policy_default(&o.policy);
    o.policy.base_ms = 2;
    o.policy.cap_ms = 10;
    assert_ok(cr_aws_transport_new(&t, &o));
    return t;
}

static char s_url_text[256];

/* The test server's URL with path (and query). */
static const char *s_url_of(const char *path)
{
    snprintf(s_url_text, sizeof(s_url_text), "http://127.0.0.1:%d%s", s_srv.port, path);
    return s_url_text;
}

static void s_request(struct cr_aws_request *req, const char *method, const char *path)
{
    cr_aws_request_init(req);
    req->method = method;
    req->url = s_url_of(path);
}

/* The value of header name in the i-th request the server received, or NULL. */
static const char *s_received_header(int i, const char *name, char *out, size_t cap)
{
    size_t n = strlen(name);
    for (const char *p = strstr(s_srv.heads[i], "\r\n"); p && p[2]; p = strstr(p + 2, "\r\n")) {
        if (strncasecmp(p + 2, name, n) == 0 && p[2 + n] == ':') {
            const char *v = p + 3 + n;
            while (*v == ' ')
                v++;
            size_t len = strcspn(v, "\r\n");
            snprintf(out, cap, "%.*s", (int)len, v);
            return out;
        }
    }
    return NULL;
}

/* Verifies the i-th request's signature as a server would (the emulator's verifier), with
 * S3's rules when s3: no path normalisation, the payload hash from X-Amz-Content-Sha256. */
static int s_verify_received(int i, bool s3)
{
    char line[512], path[512], query[512];
    struct cr_sigv4_header headers[32];
    size_t n = 0;
    char names[32][64], values[32][1024];
    const char *head = s_srv.heads[i];
    assert_int_equal(sscanf(head, "%15s %511s", line, path), 2);
    char *q = strchr(path, '?');
    snprintf(query, sizeof(query), "%s", q ? q + 1 : "");
    if (q)
        *q = '\0';
    for (const char *p = strstr(head, "\r\n"); p && p[2] && n < 32; p = strstr(p + 2, "\r\n")) {
        const char *colon = strchr(p + 2, ':');
        const char *end = strstr(p + 2, "\r\n");
        if (!colon || !end || colon > end)
            break;
        snprintf(names[n], sizeof(names[n]), "%.*s", (int)(colon - (p + 2)), p + 2);
        const char *v = colon + 1;
        while (*v == ' ')
            v++;
        snprintf(values[n], sizeof(values[n]), "%.*s", (int)(end - v), v);
        headers[n] = (struct cr_sigv4_header){names[n], values[n]};
        n++;
    }
    char auth_value[1024];
    assert_non_null(s_received_header(i, "Authorization", auth_value, sizeof(auth_value)));
    struct cr_sigv4_authorization auth;
    assert_ok(cr_sigv4_parse_authorization(&auth, auth_value));
    struct cr_sigv4_request req = {line,    path, query,
                                   headers, n,    cr_span_of(s_srv.bodies[i], s_srv.body_lens[i])};
    struct cr_sigv4_verify_options vo = {
        .now_s = s_now,
        .no_normalize_path = s3,
        .payload_from_header = s3,
    };
    return cr_sigv4_verify(&req, &auth, S_SECRET, &vo);
}

static void s_creds(struct cr_aws_credentials *c, const char *token)
{
    cr_aws_credentials_init(c);
    assert_ok(cr_aws_credentials_set(c, S_AKID, S_SECRET, token, 0));
}

/* ---- methods, URLs, headers ---- */

static void test_aws_request__every_method_url_and_headers(void **state)
{
    (void)state;
    struct cr_aws_transport *t = s_transport(false);
    struct cr_aws_request req;
    char v[256];
    static const struct cr_http_header put_headers[] = {{"If-None-Match", "*"}};
    s_script_headers(200, "lock-content",
                     "ETag: \"e1\"\r\nLast-Modified: Wed, 21 Oct 2015 07:28:00 GMT\r\n"
                     "x-amz-request-id: s3req1\r\nDate: Sun, 30 Aug 2015 12:36:00 GMT\r\n");
    s_script_headers(200, "", "ETag: \"e2\"\r\n");
    s_script(200, "{\"ok\":1}", 0, false);
    s_script(204, "", 0, false);
    s_script(200, "0123456789", 0, false);

    s_request(&req, "GET", "/locks/prod.json?versionId=3&x=a%20b");
    assert_ok(cr_aws_request_run(t, &req));
    assert_int_equal(req.status, 200);
    assert_string_equal(cr_buf_cstr(&req.response), "lock-content");
    assert_string_equal(cr_aws_request_header(&req, "ETag"), "\"e1\"");
    assert_string_equal(cr_aws_request_header(&req, "last-modified"),
                        "Wed, 21 Oct 2015 07:28:00 GMT");
    assert_string_equal(cr_aws_request_header(&req, "X-Amz-Request-Id"), "s3req1");
    assert_string_equal(cr_aws_request_header(&req, "Date"), "Sun, 30 Aug 2015 12:36:00 GMT");
    assert_null(cr_aws_request_header(&req, "x-amz-version-id"));
    assert_int_equal(req.attempts, 1);
    assert_non_null(
        strstr(s_srv.heads[0], "GET /locks/prod.json?versionId=3&x=a%20b HTTP/1.1\r\n"));
    snprintf(s_url_text, sizeof(s_url_text), "127.0.0.1:%d", s_srv.port);
    assert_string_equal(s_received_header(0, "Host", v, sizeof(v)), s_url_text);
    assert_null(s_received_header(0, "Authorization", v, sizeof(v))); /* unsigned */
    cr_aws_request_dispose(&req);

    s_request(&req, "PUT", "/locks/prod.json");
    req.headers = put_headers;
    req.header_count = 1;
    req.body = "{\"holder\":\"ci\"}";
    req.body_len = strlen(req.body);
    assert_ok(cr_aws_request_run(t, &req));
    assert_string_equal(cr_aws_request_header(&req, "etag"), "\"e2\"");
    assert_non_null(strstr(s_srv.heads[1], "PUT /locks/prod.json HTTP/1.1\r\n"));
    assert_string_equal(s_received_header(1, "If-None-Match", v, sizeof(v)), "*");
    assert_string_equal(s_received_header(1, "Content-Length", v, sizeof(v)), "15");
    /* no Content-Type of libcurl's own when the caller gave none */
    assert_null(s_received_header(1, "Content-Type", v, sizeof(v)));
    assert_string_equal(s_srv.bodies[1], "{\"holder\":\"ci\"}");
    cr_aws_request_dispose(&req);

    s_request(&req, "POST", "/webhook");
    req.body = "{}";
    req.body_len = 2;
    assert_ok(cr_aws_request_run(t, &req));
    assert_non_null(strstr(s_srv.heads[2], "POST /webhook HTTP/1.1\r\n"));
    cr_aws_request_dispose(&req);

    s_request(&req, "DELETE", "/locks/prod.json");
    assert_ok(cr_aws_request_run(t, &req));
    assert_int_equal(req.status, 204);
    assert_non_null(strstr(s_srv.heads[3], "DELETE /locks/prod.json HTTP/1.1\r\n"));
    cr_aws_request_dispose(&req);

    s_request(&req, "HEAD", "/locks/prod.json");
    assert_ok(cr_aws_request_run(t, &req));
    assert_int_equal(req.status, 200);
    assert_int_equal(req.response.len, 0);
    assert_string_equal(cr_aws_request_header(&req, "Content-Length"), "10");
    assert_non_null(strstr(s_srv.heads[4], "HEAD /locks/prod.json HTTP/1.1\r\n"));
    cr_aws_request_dispose(&req);
    /* five requests over one kept-alive connection (HEAD sent no body to get in the way) */
    assert_int_equal(atomic_load(&s_srv.n_requests), 5);
    assert_int_equal(cr_aws_transport_connections(t), 1);
    cr_aws_transport_free(t);
}

static void test_aws_request__requests_that_cannot_be_sent_are_refused(void **state)
{
    (void)state;
    struct cr_aws_transport *t = s_transport(false);
    struct cr_aws_request req;
    static const struct cr_http_header injected[] = {{"X-Evil", "a\r\nHost: elsewhere"}};
    s_request(&req, "PATCH", "/");
    assert_int_equal(cr_aws_request_run(t, &req), CR_EINVALID);
    assert_non_null(strstr(cr_error_last(), "only GET, PUT, POST, DELETE and HEAD"));
    s_request(&req, "GET", "/");
    req.body = "x";
    req.body_len = 1;
    assert_int_equal(cr_aws_request_run(t, &req), CR_EINVALID);
    cr_aws_request_init(&req);
    req.method = "GET";
    req.url = "ftp://127.0.0.1/x";
    assert_int_equal(cr_aws_request_run(t, &req), CR_EINVALID);
    assert_non_null(strstr(cr_error_last(), "only http and https"));
    s_request(&req, "GET", "/");
    req.headers = injected;
    req.header_count = 1;
    assert_int_equal(cr_aws_request_run(t, &req), CR_EINVALID);
    assert_non_null(strstr(cr_error_last(), "X-Evil"));
    s_request(&req, "GET", "/");
    req.sign.service = "s3"; /* signing without credentials */
    req.sign.region = "us-east-1";
    assert_int_equal(cr_aws_request_run(t, &req), CR_EINVALID);
    assert_non_null(strstr(cr_error_last(), "no credentials"));
    assert_int_equal(req.attempts, 0);
    assert_int_equal(atomic_load(&s_srv.n_requests), 0);
    cr_aws_transport_free(t);
}

/* ---- signing ---- */

static void test_aws_request__s3_signing_unsigned_payload_and_hashed(void **state)
{
    (void)state;
    struct cr_aws_transport *t = s_transport(false);
    struct cr_aws_credentials c;
    struct cr_aws_request req;
    char v[1024], hash[CR_SIGV4_HEX_LEN + 1];
    static const struct cr_http_header h[] = {{"If-Match", "\"e1\""},
                                              {"Content-Type", "application/json"}};
    s_creds(&c, S_TOKEN);
    for (int i = 0; i < 2; i++) {
        s_request(&req, "PUT", "/bucket/locks/a%20b..json");
        req.headers = h;
        req.header_count = 2;
        req.body = "{\"lock\":1}";
        req.body_len = strlen(req.body);
        req.sign = (struct cr_aws_signing){.service = "s3",
                                           .region = "eu-west-1",
                                           .credentials = &c,
                                           .content_sha256 = i == 1,
                                           .unsigned_payload = i == 0,
                                           .no_normalize_path = true};
        assert_ok(cr_aws_request_run(t, &req));
        cr_aws_request_dispose(&req);
        assert_non_null(s_received_header(i, "Authorization", v, sizeof(v)));
        assert_non_null(strstr(v, "Credential=" S_AKID "/20150830/eu-west-1/s3/aws4_request"));
        assert_non_null(strstr(v, "SignedHeaders=content-type;host;if-match;"
                                  "x-amz-content-sha256;x-amz-date;x-amz-security-token,"));
        assert_string_equal(s_received_header(i, "X-Amz-Security-Token", v, sizeof(v)), S_TOKEN);
        assert_ok(s_verify_received(i, true));
    }
    assert_string_equal(s_received_header(0, "x-amz-content-sha256", v, sizeof(v)),
                        CR_SIGV4_UNSIGNED_PAYLOAD);
    assert_ok(cr_sigv4_sha256_hex(hash, cr_span_from("{\"lock\":1}")));
    assert_string_equal(s_received_header(1, "x-amz-content-sha256", v, sizeof(v)), hash);
    /* the unsigned payload really is part of what was signed: a verifier hashing the body
     * instead refuses the first request and accepts the second */
    assert_int_equal(s_verify_received(0, false), CR_EAUTH);
    cr_aws_credentials_dispose(&c);
    cr_aws_transport_free(t);
}

static void test_aws_request__sts_style_signing_verifies(void **state)
{
    (void)state;
    struct cr_aws_transport *t = s_transport(false);
    struct cr_aws_credentials c;
    struct cr_aws_request req;
    static const struct cr_http_header h[] = {
        {"Content-Type", "application/x-www-form-urlencoded; charset=utf-8"}};
    s_creds(&c, NULL);
    s_request(&req, "POST", "/");
    req.headers = h;
    req.header_count = 1;
    req.body = "Action=GetCallerIdentity&Version=2011-06-15";
    req.body_len = strlen(req.body);
    req.sign = (struct cr_aws_signing){.service = "sts", .region = "us-east-1", .credentials = &c};
    assert_ok(cr_aws_request_run(t, &req));
    assert_ok(s_verify_received(0, false));
    cr_aws_request_dispose(&req);
    cr_aws_credentials_dispose(&c);
    cr_aws_transport_free(t);
}

/* ---- retries ---- */

#define S_SLOWDOWN                                                                                 \
    "<Error><Code>SlowDown</Code><Message>Please reduce your request rate.</Message></Error>"

static void test_aws_request__5xx_throttling_and_resets_are_retried(void **state)
{
    (void)state;
    struct cr_aws_transport *t = s_transport(false);
    struct cr_aws_request req;
    s_script(503, "<html>busy</html>", 0, false);
    s_script(503, S_SLOWDOWN, 0, false);
    s_script(0, NULL, 0, true); /* the connection closes without an answer */
    s_script(429, "{}", 0, false);
    s_script(200, "done", 0, false);
    s_request(&req, "GET", "/object");
    assert_ok(cr_aws_request_run(t, &req));
    assert_string_equal(cr_buf_cstr(&req.response), "done");
    assert_int_equal(atomic_load(&s_srv.n_requests), 5);
    /* the drop came on a reused connection, which libcurl itself re-sends once: one of our
     * attempts may have carried two of the server's requests (the reason at-most-once
     * requests never ride a reused connection) */
    assert_in_range(req.attempts, 4, 5);
    cr_aws_request_dispose(&req);
    /* still throttled after the last attempt: CR_ETHROTTLED, the S3 code and the count */
    for (int i = 0; i < 5; i++)
        s_script(503, S_SLOWDOWN, 0, false);
    s_request(&req, "GET", "/object");
    assert_int_equal(cr_aws_request_run(t, &req), CR_ETHROTTLED);
    assert_string_equal(req.error.type, "SlowDown");
    assert_non_null(strstr(cr_error_last(), "GET http://127.0.0.1:"));
    assert_non_null(strstr(cr_error_last(), "SlowDown: Please reduce your request rate. (after 5 "
                                            "attempts)"));
    cr_aws_request_dispose(&req);
    cr_aws_transport_free(t);
}

static void test_aws_request__at_most_once_is_never_sent_twice_blindly(void **state)
{
    (void)state;
    struct cr_aws_transport *t = s_transport(false);
    struct cr_aws_request req;
    static const struct cr_http_header h[] = {{"If-None-Match", "*"}};
    /* a warm connection first: libcurl would re-send a request on it by itself if it died */
    s_script(200, "", 0, false);
    s_request(&req, "GET", "/warm");
    assert_ok(cr_aws_request_run(t, &req));
    cr_aws_request_dispose(&req);
    static const struct {
        int status;
        bool drop;
        int want;
    } rows[] = {
        {0, true, CR_EAMBIGUOUS},    /* reset after sending */
        {500, false, CR_EAMBIGUOUS}, /* the server failed, maybe after acting */
        {412, false, CR_ESERVICE},   /* a definite answer: someone holds the lock */
        {400, false, CR_ESERVICE},   /* likewise */
    };
    int sent = 1;
    for (size_t i = 0; i < sizeof(rows) / sizeof(rows[0]); i++) {
        s_script(rows[i].status, "<Error><Code>X</Code></Error>", 0, rows[i].drop);
        s_script(200, "", 0, false); /* what a blind retry would get */
        s_request(&req, "PUT", "/locks/prod.json");
        req.headers = h;
        req.header_count = 1;
        req.body = "lock";
        req.body_len = 4;
        req.at_most_once = true;
        assert_int_equal(cr_aws_request_run(t, &req), rows[i].want);
        assert_int_equal(req.attempts, 1);
        sent++;
        assert_int_equal(atomic_load(&s_srv.n_requests), sent);
        if (rows[i].want == CR_EAMBIGUOUS)
            assert_non_null(strstr(cr_error_last(), "outcome unknown"));
        cr_aws_request_dispose(&req);
        s_srv.script_pos = s_srv.script_len; /* drop the unused 200 */
    }
    /* throttling says the request was not acted on: retried even at most once */
    s_script(429, "{\"__type\":\"ThrottlingException\"}", 0, false);
    s_script(200, "", 0, false);
    s_request(&req, "PUT", "/locks/prod.json");
    req.at_most_once = true;
    req.body = "lock";
    req.body_len = 4;
    assert_ok(cr_aws_request_run(t, &req));
    assert_int_equal(req.attempts, 2);
    cr_aws_request_dispose(&req);
    /* every at-most-once attempt went out on a connection of its own */
    assert_int_equal(cr_aws_transport_connections(t), 1 + 4 + 2);
    cr_aws_transport_free(t);
}

/* IMDS answers 404 for what an instance does not have (final); an S3 lock may treat 409
 * ConditionalRequestConflict as worth another try. */
static enum cr_retry_decision s_retry_hook(void *ctx, const struct cr_aws_request *req,
                                           const struct cr_retry_outcome *outcome)
{
    int *calls = ctx;
    (*calls)++;
    if (outcome->http_status == 409)
        return CR_RETRY_TRANSIENT;
    if (outcome->http_status == 503)
        return CR_RETRY_FAIL;
    return cr_retry_decide(outcome, req->at_most_once);
}

static void test_aws_request__retry_hook_decides(void **state)
{
    (void)state;
    struct cr_aws_transport *t = s_transport(false);
    struct cr_aws_request req;
    int calls = 0;
    s_script(409, "<Error><Code>ConditionalRequestConflict</Code></Error>", 0, false);
    s_script(200, "ok", 0, false);
    s_script(503, "", 0, false);
    s_request(&req, "PUT", "/locks/prod.json");
    req.retry = s_retry_hook;
    req.retry_ctx = &calls;
    assert_ok(cr_aws_request_run(t, &req));
    assert_int_equal(req.attempts, 2);
    assert_int_equal(calls, 2);
    assert_int_equal(cr_aws_request_run(t, &req), CR_ESERVICE);
    assert_int_equal(req.attempts, 1);
    assert_int_equal(req.status, 503);
    assert_int_equal(calls, 3);
    cr_aws_request_dispose(&req);
    cr_aws_transport_free(t);
}

/* IMDS-style: a short deadline per attempt and two attempts in all. */
static void test_aws_request__per_request_timeout_and_attempts(void **state)
{
    (void)state;
    struct cr_aws_transport *t = s_transport(false);
    struct cr_aws_request req;
    struct cr_retry_policy two = {.max_attempts = 2, .base_ms = 1, .cap_ms = 1, .max_total_ms = 10};
    s_srv.hang = true; /* no answer ever comes */
    s_request(&req, "PUT", "/latest/api/token");
    req.timeout_ms = 150;
    req.connect_timeout_ms = 1000;
    req.policy = &two;
    assert_int_equal(cr_aws_request_run(t, &req), CR_ETIMEOUT);
    assert_int_equal(req.attempts, 2);
    assert_int_equal(atomic_load(&s_srv.n_requests), 2);
    assert_non_null(strstr(cr_error_last(), "(after 2 attempts)"));
    cr_aws_request_dispose(&req);
    cr_aws_transport_free(t);
}

static void test_aws_request__response_cap_is_a_limit_not_out_of_memory(void **state)
{
    (void)state;
    struct cr_aws_transport *t = s_transport(false);
    struct cr_aws_request req;
    s_srv.body_len = 5000;
    s_request(&req, "GET", "/big");
    req.max_response_bytes = 100;
    int rc = cr_aws_request_run(t, &req);
    assert_int_equal(rc, CR_ELIMIT);
    assert_int_not_equal(rc, CR_ENOMEM);
    assert_int_equal(req.attempts, 1); /* a larger answer next time would not help */
    assert_non_null(strstr(cr_error_last(), "larger than the 100-byte cap"));
    assert_in_range(req.response.len, 0, 100);
    cr_aws_request_dispose(&req);
    cr_aws_transport_free(t);
}

/* ---- errors ---- */

static void test_aws_request__errors_of_every_protocol(void **state)
{
    (void)state;
    struct cr_aws_transport *t = s_transport(false);
    struct cr_aws_request req;
    s_script(404,
             "<?xml version=\"1.0\" encoding=\"UTF-8\"?>\n<Error><Code>NoSuchKey</Code>"
             "<Message>The specified key does not exist.</Message><Key>locks/prod.json</Key>"
             "</Error>",
             0, false);
    s_script_headers(401, "{\"message\":\"Session token not found or invalid\"}",
                     "x-amzn-ErrorType: UnauthorizedException:http://internal.amazon.com/\r\n");
    s_script(400,
             "<ErrorResponse xmlns=\"https://sts.amazonaws.com/doc/2011-06-15/\"><Error><Type>"
             "Sender</Type><Code>InvalidIdentityToken</Code><Message>Token &lt;expired&gt;"
             "</Message></Error><RequestId>r</RequestId></ErrorResponse>",
             0, false);
    s_request(&req, "GET", "/locks/prod.json");
    req.name = "s3 GetObject";
    assert_int_equal(cr_aws_request_run(t, &req), CR_ESERVICE);
    assert_int_equal(req.status, 404);
    assert_string_equal(req.error.type, "NoSuchKey");
    assert_string_equal(cr_error_last(),
                        "s3 GetObject: NoSuchKey: The specified key does not exist.");
    req.name = "sso GetRoleCredentials";
    assert_int_equal(cr_aws_request_run(t, &req), CR_EAUTH);
    assert_string_equal(req.error.type, "UnauthorizedException");
    assert_string_equal(req.error.message, "Session token not found or invalid");
    req.name = NULL;
    assert_int_equal(cr_aws_request_run(t, &req), CR_ESERVICE);
    assert_string_equal(req.error.type, "InvalidIdentityToken");
    assert_string_equal(req.error.message, "Token <expired>");
    assert_non_null(strstr(cr_error_last(), "GET http://127.0.0.1:"));
    cr_aws_request_dispose(&req);
    cr_aws_transport_free(t);
}

static void test_aws_request__decode_error_bodies(void **state)
{
    (void)state;
    struct cr_aws_error e;
    const char *plain = "{\"__type\":\"ResourceNotFoundException\",\"message\":\"IdentityPool "
                        "'us-east-1:1' not found.\"}";
    cr_aws_error_decode(&e, 400, plain, strlen(plain));
    assert_string_equal(e.type, "ResourceNotFoundException");
    assert_string_equal(e.message, "IdentityPool 'us-east-1:1' not found.");
    assert_int_equal(e.http_status, 400);

    const char *prefixed = "{\"__type\":\"com.amazonaws.cognito.identity.model#"
                           "TooManyRequestsException\",\"Message\":\"Rate exceeded\"}";
    cr_aws_error_decode(&e, 400, prefixed, strlen(prefixed));
    assert_string_equal(e.type, "TooManyRequestsException");
    assert_string_equal(e.message, "Rate exceeded");

    const char *code = "{\"code\":\"ThrottlingException\",\"message\":null,\"Message\":\"m\"}";
    cr_aws_error_decode(&e, 400, code, strlen(code));
    assert_string_equal(e.type, "ThrottlingException");
    assert_string_equal(e.message, "m");

    const char *coral = "{\"__type\":\"InvalidSignatureException:http://internal.amazon.com/"
                        "coral/com.amazon.coral.service/\"}";
    cr_aws_error_decode(&e, 403, coral, strlen(coral));
    assert_string_equal(e.type, "InvalidSignatureException");
    assert_string_equal(e.message, "");

    const char *query_json = "{\"Error\":{\"Code\":\"ExpiredToken\",\"Message\":\"old\"}}";
    cr_aws_error_decode(&e, 400, query_json, strlen(query_json));
    assert_string_equal(e.type, "ExpiredToken");
    assert_string_equal(e.message, "old");

    const char *html = "<html>\n<head><title>500 Internal Server Error</title></head>\n"
                       "<body>\x01 oops</body></html>";
    cr_aws_error_decode(&e, 500, html, strlen(html));
    assert_string_equal(e.type, "");
    assert_int_equal(e.http_status, 500);
    assert_non_null(strstr(e.message, "HTTP 500 with a non-JSON body: <html> <head><title>500"));
    assert_null(strchr(e.message, '\n'));

    cr_aws_error_decode(&e, 503, NULL, 0);
    assert_string_equal(e.message, "HTTP 503 with an empty body");
    cr_aws_error_decode(&e, 400, "{\"__type\":", 10); /* truncated JSON */
    assert_string_equal(e.type, "");
    assert_non_null(strstr(e.message, "non-JSON"));
    cr_aws_error_decode(&e, 400, "<Error><Code>A&bogus;</Code></Error>", 36); /* bad entity */
    assert_string_equal(e.type, "");
    assert_string_equal(e.message,
                        "HTTP 400 with a non-JSON body: <Error><Code>A&bogus;</Code></Error>");

    /* XML error bodies: S3's (no namespace), STS's (its namespace), text as an XML reader
     * reads it; what is not well-formed, or declares a DTD, is quoted, not decoded */
    const char *s3 = "<?xml version=\"1.0\" encoding=\"UTF-8\"?>\n<Error><Code>SlowDown</Code>"
                     "<Message><![CDATA[Please <reduce>]]> your &amp; rate</Message></Error>";
    cr_aws_error_decode(&e, 503, s3, strlen(s3));
    assert_string_equal(e.type, "SlowDown");
    assert_string_equal(e.message, "Please <reduce> your & rate");
    const char *sts = "<ErrorResponse xmlns=\"https://sts.amazonaws.com/doc/2011-06-15/\"><Error>"
                      "<Type>Sender</Type><Code>ExpiredToken</Code><Message>a &#x26; b</Message>"
                      "</Error><RequestId>r</RequestId></ErrorResponse>";
    cr_aws_error_decode(&e, 400, sts, strlen(sts));
    assert_string_equal(e.type, "ExpiredToken");
    assert_string_equal(e.message, "a & b");
    const char *truncated = "<ErrorResponse><Error><Code>Throttling</Code><Mess";
    cr_aws_error_decode(&e, 400, truncated, strlen(truncated));
    assert_string_equal(e.type, "");
    assert_string_equal(e.message, "HTTP 400 with a non-JSON body: <ErrorResponse><Error><Code>"
                                   "Throttling</Code><Mess");
    const char *bomb = "<!DOCTYPE e [<!ENTITY a \"aaaa\"><!ENTITY b \"&a;&a;&a;&a;\">]>"
                       "<Error><Code>X</Code><Message>&b;</Message></Error>";
    cr_aws_error_decode(&e, 400, bomb, strlen(bomb));
    assert_string_equal(e.type, "");
    assert_non_null(strstr(e.message, "HTTP 400 with a non-JSON body: <!DOCTYPE e"));
    const char *nested = "<Error><Code><Code>X</Code></Code></Error>";
    cr_aws_error_decode(&e, 400, nested, strlen(nested));
    assert_string_equal(e.type, "");
    /* the caller's last error is left as it was */
    cr_error_set("before");
    cr_aws_error_decode(&e, 400, truncated, strlen(truncated));
    assert_string_equal(cr_error_last(), "before");
}

/* ---- one clock ---- */

static void test_aws_request__clock_skew_is_corrected_from_the_date_header(void **state)
{
    (void)state;
    struct cr_aws_transport *t = s_transport(false);
    struct cr_aws_credentials c;
    struct cr_aws_request req;
    char v[64], want[CR_SIGV4_DATE_LEN + 1];
    s_creds(&c, NULL);
    /* the server's clock is an hour ahead of ours */
    s_script_headers(403,
                     "{\"__type\":\"InvalidSignatureException\",\"message\":\"Signature expired: "
                     "20150830T123600Z is now earlier than 20150830T133100Z\"}",
                     "Date: Sun, 30 Aug 2015 13:36:00 GMT\r\n");
    s_script(200, "{}", 0, false);
    s_script(200, "{}", 0, false);
    s_request(&req, "POST", "/");
    req.sign = (struct cr_aws_signing){.service = "sts", .region = "us-east-1", .credentials = &c};
    assert_ok(cr_aws_request_run(t, &req));
    assert_int_equal(req.attempts, 2);
    assert_int_equal(cr_aws_transport_clock_offset(t), 3600);
    assert_string_equal(s_received_header(0, "X-Amz-Date", v, sizeof(v)), "20150830T123600Z");
    cr_sigv4_format_date(want, S_T0 + 3600);
    assert_string_equal(s_received_header(1, "X-Amz-Date", v, sizeof(v)), want);
    /* later requests on the transport are signed with the corrected clock from the start */
    assert_ok(cr_aws_request_run(t, &req));
    assert_string_equal(s_received_header(2, "X-Amz-Date", v, sizeof(v)), want);
    cr_aws_request_dispose(&req);
    cr_aws_credentials_dispose(&c);
    cr_aws_transport_free(t);
}

/* ---- re-entrance: a provider renewing through the transport while requests are in flight ---- */

struct s_nested {
    struct cr_aws_transport *t;
    int fetches;
};

/* The "STS" of the provider: a request of its own on the same transport, from inside the
 * signing of an outer request. Credentials that are already due (they expire the moment they
 * are handed out, by the test's fixed clock), so every signing renews them. */
static int s_nested_fetch(void *ctx, struct cr_aws_credentials *out, const char *role_arn,
                          const char *session_name, const char *token)
{
    struct s_nested *n = ctx;
    struct cr_aws_request req;
    char akid[32];
    s_request(&req, "GET", "/nested-sts");
    int rc = cr_aws_request_run(n->t, &req);
    cr_aws_request_dispose(&req);
    if (rc < 0)
        return rc;
    snprintf(akid, sizeof(akid), "ASIANESTED%02d", ++n->fetches);
    return cr_aws_credentials_set(out, akid, S_SECRET, "tok", s_now);
}

static char s_token_file[4096];

static const char *s_wi_getenv(void *ctx, const char *name)
{
    (void)ctx;
    if (strcmp(name, "AWS_WEB_IDENTITY_TOKEN_FILE") == 0)
        return s_token_file;
    if (strcmp(name, "AWS_ROLE_ARN") == 0)
        return "arn:aws:iam::123456789012:role/nested";
    if (strcmp(name, "HOME") == 0 || strcmp(name, "AWS_CONFIG_FILE") == 0 ||
        strcmp(name, "AWS_SHARED_CREDENTIALS_FILE") == 0)
        return "/nonexistent-cr-test-home";
    return NULL;
}

static void test_aws_request__provider_renews_through_the_same_transport(void **state)
{
    (void)state;
    char *dir = cr_test_tmpdir();
    snprintf(s_token_file, sizeof(s_token_file), "%s/token", dir);
    assert_int_equal(cr_test_write_file(s_token_file, "jwt"), 0);
    const struct cr_aws_env env = {s_wi_getenv, NULL, s_clock, NULL};
    struct s_nested n = {.t = s_transport(false)};
    struct cr_aws_credentials_provider *p = NULL;
    struct cr_aws_credentials_options copts = {.env = &env, .region = "us-east-1"};
    struct cr_aws_request reqs[3];
    s_srv.delay_ms = 150; /* outer requests are still in flight when the next one signs */
    assert_ok(cr_aws__credentials_provider_new_with(&p, &copts, s_nested_fetch, &n));
    assert_int_equal(n.fetches, 1);
    for (int i = 0; i < 3; i++) {
        s_request(&reqs[i], "POST", "/outer");
        reqs[i].sign =
            (struct cr_aws_signing){.service = "sts", .region = "us-east-1", .provider = p};
    }
    assert_ok(cr_aws_perform_requests(n.t, reqs, 3));
    for (int i = 0; i < 3; i++) {
        assert_int_equal(reqs[i].status, 200);
        assert_int_equal(reqs[i].attempts, 1);
        cr_aws_request_dispose(&reqs[i]);
    }
    /* one renewal per signing, each a nested request served while the outer ones waited */
    assert_int_equal(n.fetches, 4);
    assert_int_equal(atomic_load(&s_srv.n_requests), 4 + 3);
    cr_aws_credentials_provider_free(p);
    cr_aws_transport_free(n.t);
    cr_test_rmtree(dir);
    free(dir);
}

/* ---- --debug ---- */

#define S_SSO_TOKEN  "aoaSSOBEARERTOKENSECRET000"
#define S_IMDS_TOKEN "AQAEAIMDSSESSIONTOKENSECRET=="
#define S_ECS_TOKEN  "ECSCONTAINERAUTHTOKENSECRET"

static void s_debug_run(void *ctx)
{
    (void)ctx;
    struct cr_aws_transport *t = s_transport(true);
    struct cr_aws_credentials c;
    struct cr_aws_request req;
    static const struct cr_http_header unsigned_headers[] = {
        {"x-amz-sso_bearer_token", S_SSO_TOKEN},
        {"X-aws-ec2-metadata-token", S_IMDS_TOKEN},
        {"Authorization", S_ECS_TOKEN},
    };
    s_creds(&c, S_TOKEN);
    s_script(200, "{}", 0, false);
    s_script(500, "{}", 0, false);
    s_script(200, "{}", 0, false);
    s_request(&req, "GET", "/federation/credentials?role_name=ci&account_id=123456789012");
    req.name = "sso GetRoleCredentials";
    req.headers = unsigned_headers;
    req.header_count = 3;
    assert_ok(cr_aws_request_run(t, &req));
    cr_aws_request_dispose(&req);
    s_request(&req, "PUT", "/bucket/key");
    req.name = "s3 PutObject";
    req.sign = (struct cr_aws_signing){
        .service = "s3", .region = "us-east-1", .credentials = &c, .unsigned_payload = true};
    assert_ok(cr_aws_request_run(t, &req));
    cr_aws_request_dispose(&req);
    cr_aws_credentials_dispose(&c);
    cr_aws_transport_free(t);
}

static void test_aws_request__debug_output_never_shows_a_token(void **state)
{
    (void)state;
    char *out = s_capture_stderr(s_debug_run, NULL);
    print_message("%s", out);
    assert_non_null(strstr(out, "debug: aws sso GetRoleCredentials attempt=1 > GET http://"));
    assert_non_null(strstr(out, "debug: aws sso GetRoleCredentials attempt=1 status=200"));
    assert_non_null(strstr(out, "x-amz-sso_bearer_token: [redacted]"));
    assert_non_null(strstr(out, "X-aws-ec2-metadata-token: [redacted]"));
    assert_non_null(strstr(out, "Authorization: [redacted]"));
    assert_non_null(strstr(out, "X-Amz-Security-Token: [redacted]"));
    assert_non_null(strstr(out, "debug: aws s3 PutObject attempt=1 status=500"));
    assert_non_null(strstr(out, "retry_in_ms="));
    assert_non_null(strstr(out, "debug: aws s3 PutObject attempt=2 status=200"));
    assert_null(strstr(out, S_SSO_TOKEN));
    assert_null(strstr(out, S_IMDS_TOKEN));
    assert_null(strstr(out, S_ECS_TOKEN));
    assert_null(strstr(out, S_TOKEN));
    assert_null(strstr(out, S_SECRET));
    /* nor the signature the server received */
    char v[1024];
    assert_non_null(s_received_header(1, "Authorization", v, sizeof(v)));
    const char *sig = strstr(v, "Signature=");
    assert_non_null(sig);
    assert_null(strstr(out, sig + 10));
    free(out);
}

#define S_TEST(fn) cmocka_unit_test_setup_teardown(fn, s_setup, s_teardown)

int main(void)
{
    const struct CMUnitTest tests[] = {
        S_TEST(test_aws_request__every_method_url_and_headers),
        S_TEST(test_aws_request__requests_that_cannot_be_sent_are_refused),
        S_TEST(test_aws_request__s3_signing_unsigned_payload_and_hashed),
        S_TEST(test_aws_request__sts_style_signing_verifies),
        S_TEST(test_aws_request__5xx_throttling_and_resets_are_retried),
        S_TEST(test_aws_request__at_most_once_is_never_sent_twice_blindly),
        S_TEST(test_aws_request__retry_hook_decides),
        S_TEST(test_aws_request__per_request_timeout_and_attempts),
        S_TEST(test_aws_request__response_cap_is_a_limit_not_out_of_memory),
        S_TEST(test_aws_request__errors_of_every_protocol),
        cmocka_unit_test(test_aws_request__decode_error_bodies),
        S_TEST(test_aws_request__clock_skew_is_corrected_from_the_date_header),
        S_TEST(test_aws_request__provider_renews_through_the_same_transport),
        S_TEST(test_aws_request__debug_output_never_shows_a_token),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
