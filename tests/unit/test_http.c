/*
 * aws/http: the libcurl multi transport against a tiny canned-response HTTP/1.1 server run in
 * this process (loopback, free port, threads joined at the end): concurrency, connection
 * reuse, the response cap, timeouts, refused connections, dropped connections.
 */
#include "tests/support/cr_test.h"

#include <arpa/inet.h>
#include <netinet/in.h>
#include <poll.h>
#include <pthread.h>
#include <stdatomic.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>
#include <sys/socket.h>
#include <unistd.h>

#include "aws/http.h"
#include "util/strutil.h"

#define S_MAX_CONN 64

/* What the server answers; set before the requests start. */
struct s_server {
    int fd;
    int port;
    pthread_t acceptor;
    pthread_t conns[S_MAX_CONN];
    atomic_int n_conns;
    atomic_int n_requests;
    atomic_int concurrent;
    atomic_int max_concurrent;
    atomic_bool stop;
    int status;
    size_t body_len; /* 0 = the default small JSON body */
    int delay_ms;
    bool drop; /* close without answering */
    char last_target[128];
    char last_body[256];
    pthread_mutex_t lock;
};

static struct s_server s_srv;

struct s_conn {
    int fd;
};

static bool s_wait_readable(int fd)
{
    while (!atomic_load(&s_srv.stop)) {
        struct pollfd p = {.fd = fd, .events = POLLIN};
        int rc = poll(&p, 1, 50);
        if (rc > 0)
            return true;
        if (rc < 0)
            return false;
    }
    return false;
}

/* Reads one request; returns false when the client closed. */
static bool s_read_request(int fd, char *buf, size_t cap)
{
    size_t len = 0;
    char *end = NULL;
    while (!end) {
        if (len + 1 >= cap || !s_wait_readable(fd))
            return false;
        ssize_t n = recv(fd, buf + len, cap - len - 1, 0);
        if (n <= 0)
            return false;
        len += (size_t)n;
        buf[len] = '\0';
        end = strstr(buf, "\r\n\r\n");
    }
    size_t want = 0;
    for (char *p = buf; p < end; p = strchr(p, '\n') + 1) {
        if (strncasecmp(p, "Content-Length:", 15) == 0)
            want = strtoul(p + 15, NULL, 10);
        if (strncasecmp(p, "X-Amz-Target:", 13) == 0) {
            pthread_mutex_lock(&s_srv.lock);
            sscanf(p + 13, " %127[^\r\n]", s_srv.last_target);
            pthread_mutex_unlock(&s_srv.lock);
        }
    }
    size_t have = len - (size_t)(end + 4 - buf);
    while (have < want) {
        if (!s_wait_readable(fd))
            return false;
        char tmp[4096];
        ssize_t n = recv(fd, tmp, sizeof(tmp), 0);
        if (n <= 0)
            return false;
        have += (size_t)n;
    }
    pthread_mutex_lock(&s_srv.lock);
    snprintf(s_srv.last_body, sizeof(s_srv.last_body), "%s", end + 4);
    pthread_mutex_unlock(&s_srv.lock);
    return true;
}

static void s_answer(int fd, int id)
{
    char head[512];
    char *body = NULL;
    size_t body_len = s_srv.body_len;
    if (body_len) {
        body = malloc(body_len);
        memset(body, 'x', body_len);
    } else {
        body = strdup("{\"ok\":true}");
        body_len = strlen(body);
    }
    int n = snprintf(head, sizeof(head),
                     "HTTP/1.1 %d Status\r\nContent-Type: application/x-amz-json-1.1\r\n"
                     "x-amzn-RequestId: req-%d\r\nContent-Length: %zu\r\n\r\n",
                     s_srv.status, id, body_len);
    ssize_t rc = send(fd, head, (size_t)n, MSG_NOSIGNAL);
    if (rc > 0)
        rc = send(fd, body, body_len, MSG_NOSIGNAL);
    (void)rc;
    free(body);
}

static void *s_conn_main(void *arg)
{
    struct s_conn *c = arg;
    char *buf = malloc(65536);
    while (s_read_request(c->fd, buf, 65536)) {
        int id = atomic_fetch_add(&s_srv.n_requests, 1) + 1;
        int now = atomic_fetch_add(&s_srv.concurrent, 1) + 1;
        int max = atomic_load(&s_srv.max_concurrent);
        while (now > max && !atomic_compare_exchange_weak(&s_srv.max_concurrent, &max, now))
            ;
        if (s_srv.delay_ms)
            usleep((useconds_t)s_srv.delay_ms * 1000);
        atomic_fetch_sub(&s_srv.concurrent, 1);
        if (s_srv.drop)
            break;
        s_answer(c->fd, id);
    }
    close(c->fd);
    free(buf);
    free(c);
    return NULL;
}

static void *s_accept_main(void *arg)
{
    (void)arg;
    while (!atomic_load(&s_srv.stop)) {
        struct pollfd p = {.fd = s_srv.fd, .events = POLLIN};
        if (poll(&p, 1, 50) <= 0)
            continue;
        int fd = accept(s_srv.fd, NULL, NULL);
        if (fd < 0)
            continue;
        int i = atomic_load(&s_srv.n_conns);
        if (i >= S_MAX_CONN) {
            close(fd);
            continue;
        }
        struct s_conn *c = malloc(sizeof(*c));
        c->fd = fd;
        if (pthread_create(&s_srv.conns[i], NULL, s_conn_main, c) != 0) {
            close(fd);
            free(c);
            continue;
        }
        atomic_store(&s_srv.n_conns, i + 1);
    }
    return NULL;
}

static int s_setup(void **state)
{
    (void)state;
    memset(&s_srv, 0, sizeof(s_srv));
    pthread_mutex_init(&s_srv.lock, NULL);
    s_srv.status = 200;
    s_srv.fd = socket(AF_INET, SOCK_STREAM, 0);
    struct sockaddr_in a = {.sin_family = AF_INET, .sin_addr.s_addr = htonl(INADDR_LOOPBACK)};
    socklen_t alen = sizeof(a);
    if (s_srv.fd < 0 || bind(s_srv.fd, (struct sockaddr *)&a, sizeof(a)) != 0 ||
        listen(s_srv.fd, 64) != 0 || getsockname(s_srv.fd, (struct sockaddr *)&a, &alen) != 0)
        return -1;
    s_srv.port = ntohs(a.sin_port);
    return pthread_create(&s_srv.acceptor, NULL, s_accept_main, NULL) == 0 ? 0 : -1;
}

static int s_teardown(void **state)
{
    (void)state;
    atomic_store(&s_srv.stop, true);
    pthread_join(s_srv.acceptor, NULL);
    for (int i = 0; i < atomic_load(&s_srv.n_conns); i++)
        pthread_join(s_srv.conns[i], NULL);
    close(s_srv.fd);
    pthread_mutex_destroy(&s_srv.lock);
    return 0;
}

static char s_url[64];

static const char *s_server_url(void)
{
    snprintf(s_url, sizeof(s_url), "http://127.0.0.1:%d/", s_srv.port);
    return s_url;
}

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

static void test_http__post_reads_status_body_and_request_id(void **state)
{
    (void)state;
    struct cr_http *http = NULL;
    struct cr_http_request req;
    assert_ok(cr_http_new(&http, NULL));
    s_prepare(&req, s_server_url());
    s_run(http, &req, 1);
    assert_int_equal(req.result, 0);
    assert_int_equal(req.transport, CR_RETRY_TRANSPORT_OK);
    assert_int_equal(req.status, 200);
    assert_string_equal(cr_buf_cstr(&req.response), "{\"ok\":true}");
    assert_string_equal(req.request_id, "req-1");
    assert_true(req.sent);
    assert_string_equal(s_srv.last_target, "AWSCognitoIdentityService.DescribeIdentityPool");
    assert_string_equal(s_srv.last_body, "{\"IdentityPoolId\":\"us-east-1:1\"}");
    cr_http_request_dispose(&req);
    cr_http_free(http);
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

static void test_http__requests_run_concurrently_within_the_bound(void **state)
{
    (void)state;
    struct cr_http *http = NULL;
    struct cr_http_options o = {.max_connections = 8};
    struct cr_http_request reqs[16];
    s_srv.delay_ms = 100;
    assert_ok(cr_http_new(&http, &o));
    for (int i = 0; i < 16; i++)
        s_prepare(&reqs[i], s_server_url());
    uint64_t start = cr_now_ms();
    s_run(http, reqs, 16);
    uint64_t took = cr_now_ms() - start;
    for (int i = 0; i < 16; i++) {
        assert_int_equal(reqs[i].status, 200);
        cr_http_request_dispose(&reqs[i]);
    }
    /* 16 x 100 ms serially would be 1600 ms; 8 at a time is about 200 ms */
    print_message("16 requests, 100 ms each, 8 connections: %llu ms, max concurrent %d\n",
                  (unsigned long long)took, atomic_load(&s_srv.max_concurrent));
    assert_true(took < 900);
    assert_true(atomic_load(&s_srv.max_concurrent) > 1);
    assert_true(atomic_load(&s_srv.max_concurrent) <= 8);
    assert_true(cr_http_connections_opened(http) <= 8);
    cr_http_free(http);
}

static void test_http__response_cap_is_enforced(void **state)
{
    (void)state;
    struct cr_http *http = NULL;
    struct cr_http_options o = {.max_response_bytes = 1000};
    struct cr_http_request req;
    s_srv.body_len = 100000;
    assert_ok(cr_http_new(&http, &o));
    s_prepare(&req, s_server_url());
    s_run(http, &req, 1);
    assert_int_equal(req.result, CR_ELIMIT);
    assert_int_equal(req.transport, CR_RETRY_TRANSPORT_TOO_LARGE);
    assert_non_null(strstr(req.error, "1000-byte cap"));
    assert_true(req.response.len <= 1000);
    cr_http_request_dispose(&req);
    cr_http_free(http);
}

static void test_http__timeout_after_sending(void **state)
{
    (void)state;
    struct cr_http *http = NULL;
    struct cr_http_options o = {.timeout_ms = 200};
    struct cr_http_request req;
    s_srv.delay_ms = 1500;
    assert_ok(cr_http_new(&http, &o));
    s_prepare(&req, s_server_url());
    uint64_t start = cr_now_ms();
    s_run(http, &req, 1);
    assert_true(cr_now_ms() - start < 1200);
    assert_int_equal(req.result, CR_ETIMEOUT);
    assert_int_equal(req.transport, CR_RETRY_TRANSPORT_TIMEOUT);
    assert_true(req.sent);
    cr_http_request_dispose(&req);
    cr_http_free(http);
}

static void test_http__dropped_connection_after_sending(void **state)
{
    (void)state;
    struct cr_http *http = NULL;
    struct cr_http_request req;
    s_srv.drop = true;
    assert_ok(cr_http_new(&http, NULL));
    s_prepare(&req, s_server_url());
    s_run(http, &req, 1);
    assert_int_equal(req.result, CR_EIO);
    assert_int_equal(req.transport, CR_RETRY_TRANSPORT_SEND_RECV);
    assert_true(req.sent);
    assert_true(req.error[0] != '\0');
    cr_http_request_dispose(&req);
    cr_http_free(http);
}

static void test_http__refused_connection_is_connect_phase(void **state)
{
    (void)state;
    struct cr_http *http = NULL;
    struct cr_http_request req;
    /* a port we bound and closed: nothing listens there */
    int fd = socket(AF_INET, SOCK_STREAM, 0);
    struct sockaddr_in a = {.sin_family = AF_INET, .sin_addr.s_addr = htonl(INADDR_LOOPBACK)};
    socklen_t alen = sizeof(a);
    assert_int_equal(bind(fd, (struct sockaddr *)&a, sizeof(a)), 0);
    assert_int_equal(getsockname(fd, (struct sockaddr *)&a, &alen), 0);
    close(fd);
    char url[64];
    snprintf(url, sizeof(url), "http://127.0.0.1:%d/", ntohs(a.sin_port));
    assert_ok(cr_http_new(&http, NULL));
    s_prepare(&req, url);
    s_run(http, &req, 1);
    assert_int_equal(req.result, CR_EIO);
    assert_int_equal(req.transport, CR_RETRY_TRANSPORT_CONNECT);
    assert_false(req.sent);
    cr_http_request_dispose(&req);
    cr_http_free(http);
}

static void test_http__only_http_and_https(void **state)
{
    (void)state;
    struct cr_http *http = NULL;
    struct cr_http_request req;
    assert_ok(cr_http_new(&http, NULL));
    s_prepare(&req, "file:///etc/passwd");
    s_run(http, &req, 1);
    assert_int_equal(req.result, CR_EIO);
    assert_int_equal(req.transport, CR_RETRY_TRANSPORT_FATAL);
    assert_int_equal(req.response.len, 0);
    cr_http_request_dispose(&req);
    cr_http_free(http);
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

#define S_TEST(fn) cmocka_unit_test_setup_teardown(fn, s_setup, s_teardown)

int main(void)
{
    const struct CMUnitTest tests[] = {
        S_TEST(test_http__post_reads_status_body_and_request_id),
        S_TEST(test_http__connections_are_reused),
        S_TEST(test_http__requests_run_concurrently_within_the_bound),
        S_TEST(test_http__response_cap_is_enforced),
        S_TEST(test_http__timeout_after_sending),
        S_TEST(test_http__dropped_connection_after_sending),
        S_TEST(test_http__refused_connection_is_connect_phase),
        S_TEST(test_http__only_http_and_https),
        S_TEST(test_http__header_injection_refused),
        S_TEST(test_http__free_with_requests_in_flight),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
