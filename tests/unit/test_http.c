/* SPDX-License-Identifier: Apache-2.0 */
/*
 * aws/http: the libcurl multi transport against a tiny canned-response HTTP/1.1 server run in
 * this process (loopback, free port, threads joined at the end): concurrency, connection
 * reuse, the response cap, timeouts, refused connections, dropped connections.
 */
#include "tests/support/cr_test.h"

#include "tests/unit/test_http_server.h"
#include "tests/unit/test_http_tls.h"

#include <curl/curl.h>

#include "aws/http.h"
#include "util/strutil.h"

static const struct cr_http_header s_headers[] = {
    {"Content-Type", "application/x-amz-json-1.1"},
    {"X-Amz-Target", "AWSCognitoIdentityService.DescribeIdentityPool"},
};

static void s_prepare(struct cr_http_request *req, const char *url)
{
    cr_http_request_init(req);
    req->url = url;
    req->headers = s_headers;
    req->header_count = 2;
    req->body = "{\"IdentityPoolId\":\"us-east-1:1\"}";
    req->body_len = strlen(req->body);
}

/* Runs requests until all are done (bounded by a deadline). */
static void s_run(struct cr_http *http, struct cr_http_request *reqs, size_t n)
{
    for (size_t i = 0; i < n; i++)
        assert_ok(cr_http_start(http, &reqs[i]));
    size_t done = 0;
    uint64_t deadline = cr_now_ms() + 10000;
    while (done < n && cr_now_ms() < deadline) {
        assert_ok(cr_http_poll(http, 200));
        while (cr_http_next_done(http))
            done++;
    }
    assert_int_equal(done, n);
    assert_int_equal(cr_http_in_flight(http), 0);
}

/* One request to url on a transport of its own (opts may be NULL), run to completion; the
 * transport is freed, the finished request (result, status, response) is left to the caller
 * to check and dispose. */
static void s_post_once(struct cr_http_request *req, const struct cr_http_options *opts,
                        const char *url)
{
    struct cr_http *http = NULL;
    assert_ok(cr_http_new(&http, opts));
    s_prepare(req, url);
    s_run(http, req, 1);
    cr_http_free(http);
}

static void test_http__post_reads_status_body_and_request_id(void **state)
{
    (void)state;
    struct cr_http_request req;
    s_post_once(&req, NULL, s_server_url());
    assert_int_equal(req.result, 0);
    assert_int_equal(req.transport, CR_RETRY_TRANSPORT_OK);
    assert_int_equal(req.status, 200);
    assert_string_equal(cr_buf_cstr(&req.response), "{\"ok\":true}");
    assert_string_equal(req.request_id, "req-1");
    assert_true(req.sent);
    assert_string_equal(s_srv.last_target, "AWSCognitoIdentityService.DescribeIdentityPool");
    assert_string_equal(s_srv.last_body, "{\"IdentityPoolId\":\"us-east-1:1\"}");
    cr_http_request_dispose(&req);
}

static void test_http__connections_are_reused(void **state)
{
    (void)state;
    struct cr_http *http = NULL;
    struct cr_http_request req;
    assert_ok(cr_http_new(&http, NULL));
    s_prepare(&req, s_server_url());
    for (int i = 0; i < 5; i++) {
        s_run(http, &req, 1);
        assert_int_equal(req.status, 200);
    }
    /* five sequential requests over one keep-alive connection */
    assert_int_equal(cr_http_connections_opened(http), 1);
    assert_int_equal(atomic_load(&s_srv.n_conns), 1);
    cr_http_request_dispose(&req);
    cr_http_free(http);
}

static void test_http__fresh_connection_is_not_reused(void **state)
{
    (void)state;
    struct cr_http *http = NULL;
    struct cr_http_request req;
    assert_ok(cr_http_new(&http, NULL));
    s_prepare(&req, s_server_url());
    s_run(http, &req, 1);
    req.fresh_connection = true;
    s_run(http, &req, 1);
    assert_int_equal(req.status, 200);
    assert_int_equal(cr_http_connections_opened(http), 2);
    cr_http_request_dispose(&req);
    cr_http_free(http);
}

/* 16 requests on a transport bounded to 8 connections. The server holds each request until 8
 * are in flight at once, so reaching the bound is observed, not timed: a transport running
 * fewer at a time would leave max_concurrent below 8. */
static void test_http__requests_run_concurrently_within_the_bound(void **state)
{
    (void)state;
    struct cr_http *http = NULL;
    struct cr_http_options o = {.max_connections = 8};
    struct cr_http_request reqs[16];
    atomic_store(&s_srv.gate, 8);
    assert_ok(cr_http_new(&http, &o));
    for (int i = 0; i < 16; i++)
        s_prepare(&reqs[i], s_server_url());
    s_run(http, reqs, 16);
    for (int i = 0; i < 16; i++) {
        assert_int_equal(reqs[i].status, 200);
        cr_http_request_dispose(&reqs[i]);
    }
    assert_int_equal(atomic_load(&s_srv.max_concurrent), 8);
    assert_int_equal(cr_http_connections_opened(http), 8);
    cr_http_free(http);
}

static void test_http__response_cap_is_enforced(void **state)
{
    (void)state;
    struct cr_http_options o = {.max_response_bytes = 1000};
    struct cr_http_request req;
    s_srv.body_len = 100000;
    s_post_once(&req, &o, s_server_url());
    assert_int_equal(req.result, CR_ELIMIT);
    assert_int_equal(req.transport, CR_RETRY_TRANSPORT_TOO_LARGE);
    assert_non_null(strstr(req.error, "1000-byte cap"));
    assert_in_range(req.response.len, 0, 1000);
    cr_http_request_dispose(&req);
}

/* The server never answers, so only the 200 ms timeout can end the request (s_run gives up
 * after 10 s). */
static void test_http__timeout_after_sending(void **state)
{
    (void)state;
    struct cr_http_options o = {.timeout_ms = 200};
    struct cr_http_request req;
    s_srv.hang = true;
    s_post_once(&req, &o, s_server_url());
    assert_int_equal(req.result, CR_ETIMEOUT);
    assert_int_equal(req.transport, CR_RETRY_TRANSPORT_TIMEOUT);
    assert_true(req.sent);
    cr_http_request_dispose(&req);
}

static void test_http__dropped_connection_after_sending(void **state)
{
    (void)state;
    struct cr_http_request req;
    s_srv.drop = true;
    s_post_once(&req, NULL, s_server_url());
    assert_int_equal(req.result, CR_EIO);
    assert_int_equal(req.transport, CR_RETRY_TRANSPORT_SEND_RECV);
    assert_true(req.sent);
    assert_true(req.error[0] != '\0');
    cr_http_request_dispose(&req);
}

static void test_http__refused_connection_is_connect_phase(void **state)
{
    (void)state;
    struct cr_http_request req;
    char url[64]; /* a port we bound and closed: nothing listens there */
    snprintf(url, sizeof(url), "http://127.0.0.1:%d/", s_free_port());
    s_post_once(&req, NULL, url);
    assert_int_equal(req.result, CR_EIO);
    assert_int_equal(req.transport, CR_RETRY_TRANSPORT_CONNECT);
    assert_false(req.sent);
    cr_http_request_dispose(&req);
}

static void test_http__only_http_and_https(void **state)
{
    (void)state;
    struct cr_http_request req;
    s_post_once(&req, NULL, "file:///etc/passwd");
    assert_int_equal(req.result, CR_EIO);
    assert_int_equal(req.transport, CR_RETRY_TRANSPORT_FATAL);
    assert_int_equal(req.response.len, 0);
    cr_http_request_dispose(&req);
}

/* The one classification the transport and the STS calls share. */
static void test_http__curl_codes_are_classified(void **state)
{
    (void)state;
    assert_int_equal(cr_http_curl_transport(CURLE_OK), CR_RETRY_TRANSPORT_OK);
    assert_int_equal(cr_http_curl_transport(CURLE_COULDNT_CONNECT), CR_RETRY_TRANSPORT_CONNECT);
    assert_int_equal(cr_http_curl_transport(CURLE_SSL_CONNECT_ERROR), CR_RETRY_TRANSPORT_CONNECT);
    assert_int_equal(cr_http_curl_transport(CURLE_RECV_ERROR), CR_RETRY_TRANSPORT_SEND_RECV);
    assert_int_equal(cr_http_curl_transport(CURLE_GOT_NOTHING), CR_RETRY_TRANSPORT_SEND_RECV);
    assert_int_equal(cr_http_curl_transport(CURLE_OPERATION_TIMEDOUT), CR_RETRY_TRANSPORT_TIMEOUT);
    assert_int_equal(cr_http_curl_transport(CURLE_FILESIZE_EXCEEDED), CR_RETRY_TRANSPORT_TOO_LARGE);
    assert_int_equal(cr_http_curl_transport(CURLE_PEER_FAILED_VERIFICATION),
                     CR_RETRY_TRANSPORT_FATAL);
    assert_int_equal(cr_http_curl_transport(CURLE_UNSUPPORTED_PROTOCOL), CR_RETRY_TRANSPORT_FATAL);
    assert_int_equal(cr_http_curl_transport(CURLE_WRITE_ERROR), CR_RETRY_TRANSPORT_FATAL);
}

static void test_http__header_injection_refused(void **state)
{
    (void)state;
    struct cr_http *http = NULL;
    struct cr_http_request req;
    const struct cr_http_header bad[] = {{"X-Amz-Target", "a\r\nX-Evil: 1"}};
    assert_ok(cr_http_new(&http, NULL));
    s_prepare(&req, s_server_url());
    req.headers = bad;
    req.header_count = 1;
    assert_int_equal(cr_http_start(http, &req), CR_EINVALID);
    assert_non_null(strstr(cr_error_last(), "X-Amz-Target"));
    assert_int_equal(cr_http_in_flight(http), 0);
    cr_http_request_dispose(&req);
    cr_http_free(http);
}

static void test_http__free_with_requests_in_flight(void **state)
{
    (void)state;
    struct cr_http *http = NULL;
    struct cr_http_request req;
    s_srv.delay_ms = 300;
    assert_ok(cr_http_new(&http, NULL));
    s_prepare(&req, s_server_url());
    assert_ok(cr_http_start(http, &req));
    assert_ok(cr_http_poll(http, 20));
    assert_int_equal(cr_http_in_flight(http), 1);
    cr_http_cancel(http, &req);
    assert_int_equal(cr_http_in_flight(http), 0);
    assert_ok(cr_http_start(http, &req));
    cr_http_free(http); /* detaches and frees the running transfer */
    cr_http_request_dispose(&req);
}

/* One https POST to url; returns the finished request's transport class. Both attempts of the
 * test end on their own (at the certificate check, or at once on the non-HTTP echo), so the
 * deadline is only a guard: generous, so a loaded machine (the sanitizer build in CI) cannot
 * turn a slow handshake into a timeout. */
static enum cr_retry_transport s_tls_post(const char *url, const char *ca_bundle, char *err,
                                          size_t cap)
{
    struct cr_http_options o = {.ca_bundle = ca_bundle, .timeout_ms = 10000};
    struct cr_http_request req;
    s_post_once(&req, &o, url);
    enum cr_retry_transport t = req.transport;
    snprintf(err, cap, "%s", req.error);
    cr_http_request_dispose(&req);
    return t;
}

/* TLS verification is always on: a self-signed server is refused, and trusted only when its
 * certificate is given as the CA bundle (AWS_CA_BUNDLE). Uses the openssl command line tool
 * as the TLS server (skipped when it is not installed). */
static struct s_tls_server s_tls; /* stopped by the teardown even when an assertion fails */

static int s_stop_tls_server(void **state)
{
    (void)state;
    s_tls_server_stop(&s_tls);
    return s_teardown(state);
}

static void test_http__tls_is_verified_and_ca_bundle_trusts(void **state)
{
    (void)state;
    char url[64], err[1024];
    struct s_tls_server *srv = &s_tls;
    s_tls_server_start(srv, 5);
    snprintf(url, sizeof(url), "https://127.0.0.1:%d/", srv->port);
    /* default trust store: the self-signed certificate is refused, never retried, and the
     * message says what was trusted and what to set */
    assert_int_equal(s_tls_post(url, NULL, err, sizeof(err)), CR_RETRY_TRANSPORT_FATAL);
    print_message("untrusted: %s\n", err);
    assert_non_null(strstr(err, "certificate"));
    assert_non_null(strstr(err, "(TLS: trusted is the system store"));
    assert_non_null(strstr(err, "set AWS_CA_BUNDLE or ca_bundle to its PEM file)"));
    /* a bundle that does not trust it: the message names the bundle in use */
    assert_int_equal(s_tls_post(url, srv->key, err, sizeof(err)), CR_RETRY_TRANSPORT_FATAL);
    print_message("wrong bundle: %s\n", err);
    char want[1200];
    snprintf(want, sizeof(want),
             "(TLS: trusted is only AWS_CA_BUNDLE / ca_bundle %s, which replaces the system "
             "store)",
             srv->key);
    assert_non_null(strstr(err, want));
    /* with the bundle the handshake succeeds; s_server -rev echoes lines back, which is not
     * HTTP, so the attempt fails at once after the handshake, never with a TLS error */
    enum cr_retry_transport t = s_tls_post(url, srv->cert, err, sizeof(err));
    print_message("trusted: %s\n", err[0] ? err : "(answered)");
    assert_int_not_equal(t, CR_RETRY_TRANSPORT_CONNECT);
    assert_null(strstr(err, "SSL"));
    assert_null(strstr(err, "certificate"));
}

/* A proxy that cannot be reached is named (never its password), with its variable. */
static void test_http__proxy_failures_name_the_proxy(void **state)
{
    (void)state;
    struct cr_http_request req;
    setenv("http_proxy", "http://user:s3cretpw@127.0.0.1:1", 1);
    unsetenv("no_proxy");
    unsetenv("NO_PROXY");
    s_post_once(&req, NULL, s_server_url());
    print_message("proxy: %s\n", req.error);
    assert_int_equal(req.result, CR_EIO);
    assert_non_null(strstr(req.error, " (through the proxy http://127.0.0.1:1 from http_proxy: "
                                      "check it, or exempt the host with NO_PROXY)"));
    assert_null(strstr(req.error, "s3cretpw"));
    cr_http_request_dispose(&req);
    /* exempted: the request goes straight to the server */
    setenv("NO_PROXY", "localhost,127.0.0.1", 1);
    s_post_once(&req, NULL, s_server_url());
    assert_int_equal(req.status, 200);
    cr_http_request_dispose(&req);
    unsetenv("NO_PROXY");
    unsetenv("http_proxy");
}

#define S_TEST(fn) cmocka_unit_test_setup_teardown(fn, s_setup, s_teardown)

int main(void)
{
    const struct CMUnitTest tests[] = {
        S_TEST(test_http__post_reads_status_body_and_request_id),
        S_TEST(test_http__proxy_failures_name_the_proxy),
        S_TEST(test_http__connections_are_reused),
        S_TEST(test_http__fresh_connection_is_not_reused),
        S_TEST(test_http__requests_run_concurrently_within_the_bound),
        S_TEST(test_http__response_cap_is_enforced),
        S_TEST(test_http__timeout_after_sending),
        S_TEST(test_http__dropped_connection_after_sending),
        S_TEST(test_http__refused_connection_is_connect_phase),
        S_TEST(test_http__only_http_and_https),
        cmocka_unit_test(test_http__curl_codes_are_classified),
        S_TEST(test_http__header_injection_refused),
        S_TEST(test_http__free_with_requests_in_flight),
        cmocka_unit_test_setup_teardown(test_http__tls_is_verified_and_ca_bundle_trusts, s_setup,
                                        s_stop_tls_server),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
