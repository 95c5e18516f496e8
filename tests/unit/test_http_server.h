/* SPDX-License-Identifier: Apache-2.0 */
#ifndef CR_TESTS_UNIT_TEST_HTTP_SERVER_H
#define CR_TESTS_UNIT_TEST_HTTP_SERVER_H
/*
 * A tiny canned-response HTTP/1.1 server for the transport and client unit tests: loopback,
 * free port, keep-alive, a thread per connection, all joined in teardown. Replies come from
 * a script (status, body, extra headers, delay, drop) and then from defaults; a gate and a hang
 * let tests observe concurrency and timeouts without measuring time; every request is recorded
 * (method, target, headers, body). A HEAD request is answered without a body. Included by
 * test_http.c, test_aws_client.c and test_aws_request.c (static functions; one server per test
 * executable).
 */
#include <arpa/inet.h>
#include <errno.h>
#include <netinet/in.h>
#include <poll.h>
#include <pthread.h>
#include <stdatomic.h>
#include <stdbool.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>
#include <sys/socket.h>
#include <time.h>
#include <unistd.h>

#include "util/buf.h"

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
    bool hang; /* never answer: hold each connection until the client closes it */
    /* > 0: hold every request until this many have been in flight at once (then let all
     * through), so a test sees concurrency without timing it; after 5 s the gate opens for
     * good (a safety net: the test's assertion on max_concurrent then fails) */
    atomic_int gate;
    /* scripted replies, consumed in order (then the defaults above apply) */
    struct s_reply {
        int status;
        const char *body;
        int delay_ms;
        bool drop;
        const char *headers; /* extra header lines, each ending in \r\n; NULL = none */
    } script[32];
    int script_len;
    atomic_int script_pos;
    /* the X-Amz-Date and X-Amz-Target of each request, in arrival order */
    char dates[64][32];
    char targets[64][96];
    char authorizations[64][256];
    char last_target[128];
    char last_body[256];
    /* every request in arrival order: its head (request line and headers) and body */
    char heads[64][4096];
    char bodies[64][1024];
    size_t body_lens[64];
    pthread_mutex_t lock;
    pthread_cond_t gate_open;
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

/* Reads one request; returns false when the client closed. *head is set when it is a HEAD. */
static bool s_read_request(int fd, char *buf, size_t cap, bool *head)
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
    int slot = atomic_load(&s_srv.n_requests);
    for (char *p = buf; slot < 64 && p < end; p = strchr(p, '\n') + 1) {
        if (strncasecmp(p, "X-Amz-Date:", 11) == 0)
            sscanf(p + 11, " %31[^\r\n]", s_srv.dates[slot]);
        if (strncasecmp(p, "X-Amz-Target:", 13) == 0)
            sscanf(p + 13, " %95[^\r\n]", s_srv.targets[slot]);
        if (strncasecmp(p, "Authorization:", 14) == 0)
            sscanf(p + 14, " %255[^\r\n]", s_srv.authorizations[slot]);
    }
    *head = strncmp(buf, "HEAD ", 5) == 0;
    size_t have = len - (size_t)(end + 4 - buf);
    char body[1024];
    size_t kept = have < sizeof(body) ? have : sizeof(body);
    memcpy(body, end + 4, kept);
    while (have < want) {
        if (!s_wait_readable(fd))
            return false;
        char tmp[4096];
        ssize_t n = recv(fd, tmp, sizeof(tmp), 0);
        if (n <= 0)
            return false;
        size_t take = sizeof(body) - kept < (size_t)n ? sizeof(body) - kept : (size_t)n;
        memcpy(body + kept, tmp, take);
        kept += take;
        have += (size_t)n;
    }
    pthread_mutex_lock(&s_srv.lock);
    snprintf(s_srv.last_body, sizeof(s_srv.last_body), "%.*s", (int)kept, body);
    if (slot < 64) {
        snprintf(s_srv.heads[slot], sizeof(s_srv.heads[slot]), "%.*s", (int)(end + 2 - buf), buf);
        memcpy(s_srv.bodies[slot], body, kept < sizeof(s_srv.bodies[slot]) ? kept : 1023);
        s_srv.body_lens[slot] = kept < sizeof(s_srv.bodies[slot]) ? kept : 1023;
    }
    pthread_mutex_unlock(&s_srv.lock);
    return true;
}

static void s_answer(int fd, int id, const struct s_reply *r, bool head_only)
{
    char head[2048];
    char *body = NULL;
    size_t body_len = s_srv.body_len;
    int status = r ? r->status : s_srv.status;
    if (r) {
        body = strdup(r->body ? r->body : "{}");
        body_len = strlen(body);
    } else if (body_len) {
        body = malloc(body_len);
        memset(body, 'x', body_len);
    } else {
        body = strdup("{\"ok\":true}");
        body_len = strlen(body);
    }
    int n = snprintf(head, sizeof(head),
                     "HTTP/1.1 %d Status\r\nContent-Type: application/x-amz-json-1.1\r\n"
                     "x-amzn-RequestId: req-%d\r\n%sContent-Length: %zu\r\n\r\n",
                     status, id, r && r->headers ? r->headers : "", body_len);
    if (head_only)
        body_len = 0; /* a HEAD answer has the length of the body it does not send */
    /* one send: head and body in two segments would meet Nagle and delayed ACK (40 ms) */
    char *all = malloc((size_t)n + body_len);
    memcpy(all, head, (size_t)n);
    memcpy(all + n, body, body_len);
    ssize_t rc = send(fd, all, (size_t)n + body_len, MSG_NOSIGNAL);
    (void)rc;
    free(all);
    free(body);
}

/* Waits for the gate (see s_server.gate) after this request raised max_concurrent. */
static void s_pass_gate(void)
{
    struct timespec until;
    clock_gettime(CLOCK_REALTIME, &until);
    until.tv_sec += 5;
    pthread_mutex_lock(&s_srv.lock);
    pthread_cond_broadcast(&s_srv.gate_open);
    while (atomic_load(&s_srv.max_concurrent) < atomic_load(&s_srv.gate) &&
           !atomic_load(&s_srv.stop))
        if (pthread_cond_timedwait(&s_srv.gate_open, &s_srv.lock, &until) == ETIMEDOUT)
            atomic_store(&s_srv.gate, 0);
    pthread_mutex_unlock(&s_srv.lock);
}

/* Holds a connection without answering until the client closes it (or the server stops). */
static void s_hold(int fd)
{
    char tmp[4096];
    while (s_wait_readable(fd) && recv(fd, tmp, sizeof(tmp), 0) > 0)
        ;
}

static void *s_conn_main(void *arg)
{
    struct s_conn *c = arg;
    char *buf = malloc(65536);
    bool head_only = false;
    while (s_read_request(c->fd, buf, 65536, &head_only)) {
        int id = atomic_fetch_add(&s_srv.n_requests, 1) + 1;
        int pos = atomic_fetch_add(&s_srv.script_pos, 1);
        const struct s_reply *r = pos < s_srv.script_len ? &s_srv.script[pos] : NULL;
        int delay_ms = r ? r->delay_ms : s_srv.delay_ms;
        bool drop = r ? r->drop : s_srv.drop;
        int now = atomic_fetch_add(&s_srv.concurrent, 1) + 1;
        int max = atomic_load(&s_srv.max_concurrent);
        while (now > max && !atomic_compare_exchange_weak(&s_srv.max_concurrent, &max, now))
            ;
        if (atomic_load(&s_srv.gate) > 0)
            s_pass_gate();
        if (s_srv.hang) {
            s_hold(c->fd);
            atomic_fetch_sub(&s_srv.concurrent, 1);
            break;
        }
        if (delay_ms)
            usleep((useconds_t)delay_ms * 1000);
        atomic_fetch_sub(&s_srv.concurrent, 1);
        if (drop)
            break;
        s_answer(c->fd, id, r, head_only);
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
    pthread_cond_init(&s_srv.gate_open, NULL);
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
    pthread_cond_destroy(&s_srv.gate_open);
    return 0;
}

static char s_url[64];

static inline const char *s_server_url(void)
{
    snprintf(s_url, sizeof(s_url), "http://127.0.0.1:%d/", s_srv.port);
    return s_url;
}

/* Queues a scripted reply. */
static inline void s_script(int status, const char *body, int delay_ms, bool drop)
{
    struct s_reply r = {status, body, delay_ms, drop, NULL};
    s_srv.script[s_srv.script_len++] = r;
}

/* Queues a scripted reply with extra header lines ("ETag: \"x\"\r\n..."). */
static inline void s_script_headers(int status, const char *body, const char *headers)
{
    struct s_reply r = {status, body, 0, false, headers};
    s_srv.script[s_srv.script_len++] = r;
}

/* Runs fn(ctx) with stderr redirected to a temporary file; returns the file's text (heap). */
static inline char *s_capture_stderr(void (*fn)(void *), void *ctx)
{
    char path[] = "/tmp/cr-test-stderr-XXXXXX";
    int fd = mkstemp(path);
    assert_true(fd >= 0);
    fflush(stderr);
    int saved = dup(STDERR_FILENO);
    dup2(fd, STDERR_FILENO);
    fn(ctx);
    fflush(stderr);
    dup2(saved, STDERR_FILENO);
    close(saved);
    close(fd);
    struct cr_buf text = CR_BUF_INIT;
    assert_ok(cr_buf_read_file(&text, path, 1 << 20));
    unlink(path);
    return cr_buf_detach(&text);
}

#endif
