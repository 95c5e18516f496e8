/* SPDX-License-Identifier: Apache-2.0 */
/*
 * HTTP with libmicrohttpd: an internal polling thread per pool member
 * (MHD_OPTION_THREAD_POOL_SIZE), keep-alive (MHD's HTTP/1.1 default), a timeout for slow
 * clients and a connection limit. Bodies are read into a capped buffer; a body over the cap
 * is answered 413 without being kept. Everything else is emulator/router.c's business.
 *
 * Injected latency must not hold a worker thread (the real service overlaps slow calls), so
 * a delayed request is suspended (MHD_suspend_connection) and a timer thread resumes it when
 * its time has come; MHD then calls the handler again and the request is finished.
 *
 * Slow clients (issue 9: 1,100 connections sending one header line every 10 s held every
 * connection until they gave up) are bounded twice: libmicrohttpd refuses a client address
 * more than max_connections_per_client connections (MHD_OPTION_PER_IP_CONNECTION_LIMIT,
 * counted across the pool), and the timer thread also enforces a request-head deadline,
 * which libmicrohttpd lacks (its timeout is for inactivity, and a trickle of lines is
 * activity): every connection is tracked from MHD_CONNECTION_NOTIFY_STARTED to _CLOSED, a
 * head is awaited from the connection's start or from the end of the previous request until
 * the handler first sees the request, and a connection still awaiting at the deadline gets
 * shutdown(2), so libmicrohttpd reads end-of-file and closes it itself. The fd stays valid
 * while we hold the lock: libmicrohttpd notifies _CLOSED (which takes the lock) before it
 * closes the socket.
 *
 * Stopping drains (cr_emu_server_stop): the listening socket is closed first
 * (MHD_quiesce_daemon), the timer resumes every held request at once, and the stop waits,
 * bounded, until every request received whole has been answered (its completion notified,
 * which libmicrohttpd does once the response is written) before MHD_stop_daemon closes the
 * connections. Stopping the daemon right after resuming lost answers: the workers had not yet
 * called the handler again when their connections were closed.
 */
#include <arpa/inet.h>
#include <pthread.h>
#include <time.h>
#include <microhttpd.h>
#include <netinet/in.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>
#include <unistd.h>

#include "emulator/internal.h"
#include "util/array.h"
#include "util/net.h"

#define CR_EMU_CONNECTION_TIMEOUT_S         30 /* inactivity */
#define CR_EMU_DEFAULT_THREADS              4
#define CR_EMU_DEFAULT_CONNECTIONS          1000
#define CR_EMU_DEFAULT_CONNECTIONS_PER_PEER 256
#define CR_EMU_DEFAULT_HEADER_TIMEOUT_MS    20000
#define CR_EMU_DRAIN_MS                     5000 /* stop waits this long for answers */

/* One open connection (MHD's socket context), for the request-head deadline and
 * GET /_local/connections. */
struct s_conn {
    struct s_conn *prev, *next;
    int fd;
    char client[INET6_ADDRSTRLEN]; /* the peer's address ("?" when MHD did not say) */
    uint64_t head_since_ms; /* awaiting a request head since then (monotonic); 0 = not */
    bool cut;               /* shut down at the deadline, waiting for MHD to close it */
};

struct s_timer_entry {
    uint64_t due_ms; /* CLOCK_MONOTONIC */
    struct MHD_Connection *conn;
};

struct cr_emu_server {
    struct MHD_Daemon *daemon;
    struct cr_emu *emu;
    bool imds; /* the instance metadata listener */
    unsigned port;
    char url[128];
    /* resumes suspended (delayed) connections */
    pthread_t timer;
    bool timer_started;
    pthread_mutex_t lock;
    pthread_cond_t cond;
    bool stopping;
    struct s_timer_entry *items;
    size_t len, cap;
    struct s_conn *conns; /* every open connection (lock) */
    unsigned header_timeout_ms;
    unsigned per_client_limit;
    size_t answering;       /* requests received whole and not yet answered (lock) */
    pthread_cond_t drained; /* signalled when answering drops to 0 */
};

/* Per-request state (MHD's con_cls). */
struct s_req {
    struct cr_buf body;
    bool too_large;
    struct cr_emu_pending *pending; /* set once prepared (before any delay) */
    bool drop_on_resume;            /* a "hang" fault: close once the hold is over */
    bool answering;                 /* counted in srv->answering */
};

static uint64_t s_mono_ms(void)
{
    struct timespec ts;
    clock_gettime(CLOCK_MONOTONIC, &ts);
    return (uint64_t)ts.tv_sec * 1000u + (uint64_t)ts.tv_nsec / 1000000u;
}

/* Shuts down the connections whose request head is overdue; returns when the next one is due
 * (UINT64_MAX: none awaited). srv->lock held. */
static uint64_t s_cut_slow_heads(struct cr_emu_server *srv, uint64_t now)
{
    uint64_t next = UINT64_MAX;
    for (struct s_conn *c = srv->conns; c; c = c->next) {
        if (!c->head_since_ms || c->cut)
            continue;
        uint64_t due = c->head_since_ms + srv->header_timeout_ms;
        if (due > now) {
            next = due < next ? due : next;
            continue;
        }
        shutdown(c->fd, SHUT_RDWR); /* MHD reads end-of-file and closes the connection */
        c->cut = true;
    }
    return next;
}

static void *s_timer_main(void *arg)
{
    struct cr_emu_server *srv = arg;
    pthread_mutex_lock(&srv->lock);
    while (!srv->stopping) {
        uint64_t now = s_mono_ms(), next = s_cut_slow_heads(srv, now);
        for (size_t i = 0; i < srv->len;) {
            if (srv->items[i].due_ms <= now) {
                MHD_resume_connection(srv->items[i].conn);
                srv->items[i] = srv->items[--srv->len];
                continue;
            }
            if (srv->items[i].due_ms < next)
                next = srv->items[i].due_ms;
            i++;
        }
        if (next == UINT64_MAX) {
            pthread_cond_wait(&srv->cond, &srv->lock);
            continue;
        }
        struct timespec ts = {(time_t)(next / 1000u), (long)(next % 1000u) * 1000000L};
        pthread_cond_timedwait(&srv->cond, &srv->lock, &ts);
    }
    /* shutting down: let every delayed request finish now */
    for (size_t i = 0; i < srv->len; i++)
        MHD_resume_connection(srv->items[i].conn);
    srv->len = 0;
    pthread_mutex_unlock(&srv->lock);
    return NULL;
}

/* Suspends conn for delay_ms; false when the timer could not take it (then no delay). */
static bool s_delay(struct cr_emu_server *srv, struct MHD_Connection *conn, uint32_t delay_ms)
{
    bool ok = false;
    pthread_mutex_lock(&srv->lock);
    bool room = cr_array_reserve(&srv->items, &srv->cap, srv->len, sizeof(*srv->items), 64) == 0;
    if (room && !srv->stopping) {
        MHD_suspend_connection(conn);
        srv->items[srv->len++] = (struct s_timer_entry){s_mono_ms() + delay_ms, conn};
        pthread_cond_signal(&srv->cond);
        ok = true;
    }
    pthread_mutex_unlock(&srv->lock);
    return ok;
}

/* The client address of conn as text into buf (INET6_ADDRSTRLEN bytes); "?" if unknown. */
static void s_client_text(char *buf, struct MHD_Connection *conn)
{
    const union MHD_ConnectionInfo *info =
        MHD_get_connection_info(conn, MHD_CONNECTION_INFO_CLIENT_ADDRESS);
    const struct sockaddr *sa = info ? info->client_addr : NULL;
    const void *ip = NULL;
    if (sa && sa->sa_family == AF_INET)
        ip = &((const struct sockaddr_in *)sa)->sin_addr;
    else if (sa && sa->sa_family == AF_INET6)
        ip = &((const struct sockaddr_in6 *)sa)->sin6_addr;
    if (!ip || !inet_ntop(sa->sa_family, ip, buf, INET6_ADDRSTRLEN))
        snprintf(buf, INET6_ADDRSTRLEN, "?");
}

/* GET /_local/connections (cr_emu.connections): how many connections the server holds, in
 * all and by client address, and the per-client limit. A connection counts from the moment
 * libmicrohttpd keeps it (one it refuses never does) until it is closed. */
static json_t *s_connections_json(void *arg)
{
    struct cr_emu_server *srv = arg;
    json_t *clients = json_object(), *doc = NULL;
    json_int_t open = 0;
    bool ok = clients != NULL;
    pthread_mutex_lock(&srv->lock);
    for (struct s_conn *c = srv->conns; c && ok; c = c->next) {
        json_int_t had = json_integer_value(json_object_get(clients, c->client));
        ok = json_object_set_new(clients, c->client, json_integer(had + 1)) == 0;
        open++;
    }
    pthread_mutex_unlock(&srv->lock);
    doc = ok ? json_object() : NULL;
    if (doc && (json_object_set_new(doc, "open", json_integer(open)) != 0 ||
                json_object_set_new(doc, "per_client_limit",
                                    json_integer((json_int_t)srv->per_client_limit)) != 0 ||
                json_object_set(doc, "clients", clients) != 0)) {
        json_decref(doc);
        doc = NULL;
    }
    json_decref(clients);
    return doc;
}

/* Tracks a connection from its start to its close (MHD_OPTION_NOTIFY_CONNECTION). */
static void s_notify_connection(void *cls, struct MHD_Connection *conn, void **socket_context,
                                enum MHD_ConnectionNotificationCode code)
{
    struct cr_emu_server *srv = cls;
    struct s_conn *c = *socket_context;
    if (code == MHD_CONNECTION_NOTIFY_STARTED) {
        const union MHD_ConnectionInfo *info =
            MHD_get_connection_info(conn, MHD_CONNECTION_INFO_CONNECTION_FD);
        c = info ? calloc(1, sizeof(*c)) : NULL;
        if (!c)
            return; /* untracked: only the inactivity timeout applies to it */
        c->fd = info->connect_fd;
        s_client_text(c->client, conn);
        pthread_mutex_lock(&srv->lock);
        c->head_since_ms = s_mono_ms();
        c->next = srv->conns;
        if (srv->conns)
            srv->conns->prev = c;
        srv->conns = c;
        pthread_cond_signal(&srv->cond); /* the timer's next deadline may be this one */
        pthread_mutex_unlock(&srv->lock);
        *socket_context = c;
        return;
    }
    if (!c)
        return;
    pthread_mutex_lock(&srv->lock);
    if (c->prev)
        c->prev->next = c->next;
    else
        srv->conns = c->next;
    if (c->next)
        c->next->prev = c->prev;
    pthread_mutex_unlock(&srv->lock);
    free(c);
    *socket_context = NULL;
}

/* The connection's request head has arrived (awaiting false), or the next one is awaited
 * from now (true: a request was answered on a kept-alive connection). */
static void s_awaiting_head(struct cr_emu_server *srv, struct MHD_Connection *conn, bool awaiting)
{
    const union MHD_ConnectionInfo *info =
        MHD_get_connection_info(conn, MHD_CONNECTION_INFO_SOCKET_CONTEXT);
    struct s_conn *c = info ? info->socket_context : NULL;
    if (!c)
        return;
    pthread_mutex_lock(&srv->lock);
    c->head_since_ms = awaiting ? s_mono_ms() : 0;
    if (awaiting)
        pthread_cond_signal(&srv->cond);
    pthread_mutex_unlock(&srv->lock);
}

/* Every header of the request: the array is sized by a first count, so none is dropped (a
 * dropped signed header would fail SigV4; the total is bounded by MHD's memory limit, which
 * answers 431 past it). */
struct s_headers {
    struct cr_sigv4_header *items;
    size_t len;
    size_t cap;
};

static enum MHD_Result s_collect_header(void *cls, enum MHD_ValueKind kind, const char *key,
                                        const char *value)
{
    struct s_headers *h = cls;
    if (h->len < h->cap) {
        h->items[h->len].name = key;
        h->items[h->len].value = value ? value : "";
        h->len++;
    }
    return MHD_YES;
}

static int s_headers_read(struct s_headers *out, struct MHD_Connection *conn)
{
    int n = MHD_get_connection_values(conn, MHD_HEADER_KIND, NULL, NULL);
    out->len = 0;
    out->cap = n > 0 ? (size_t)n : 0;
    out->items = calloc(out->cap ? out->cap : 1, sizeof(*out->items));
    if (!out->items)
        return CR_ENOMEM;
    MHD_get_connection_values(conn, MHD_HEADER_KIND, s_collect_header, out);
    return 0;
}

/* MHD hands out the query decoded; rebuild a canonical raw query (SigV4 re-canonicalises
 * anyway, and the control endpoints only read since=N). */
static enum MHD_Result s_collect_arg(void *cls, enum MHD_ValueKind kind, const char *key,
                                     const char *value)
{
    struct cr_buf *q = cls;
    if (q->len > 0)
        cr_buf_putc(q, '&');
    if (cr_sigv4__uri_encode(q, cr_span_from(key), false) != 0)
        return MHD_NO;
    cr_buf_putc(q, '=');
    if (value && cr_sigv4__uri_encode(q, cr_span_from(value), false) != 0)
        return MHD_NO;
    return MHD_YES;
}

static bool s_is_loopback(struct MHD_Connection *conn)
{
    const union MHD_ConnectionInfo *info =
        MHD_get_connection_info(conn, MHD_CONNECTION_INFO_CLIENT_ADDRESS);
    const struct sockaddr *sa = info ? info->client_addr : NULL;
    if (!sa)
        return false;
    if (sa->sa_family == AF_INET) {
        const struct sockaddr_in *in = (const struct sockaddr_in *)sa;
        return (ntohl(in->sin_addr.s_addr) >> 24) == 127;
    }
    if (sa->sa_family == AF_INET6) {
        const struct sockaddr_in6 *in6 = (const struct sockaddr_in6 *)sa;
        if (IN6_IS_ADDR_LOOPBACK(&in6->sin6_addr))
            return true;
        return IN6_IS_ADDR_V4MAPPED(&in6->sin6_addr) && in6->sin6_addr.s6_addr[12] == 127;
    }
    return false;
}

static enum MHD_Result s_send(struct MHD_Connection *conn, struct cr_emu_response *resp)
{
    enum MHD_Result ret;
    const char *name, *value;
    size_t len = resp->body.len;
    char *body = cr_buf_detach(&resp->body); /* handed to MHD, which frees it: no copy */
    struct MHD_Response *r =
        body ? MHD_create_response_from_buffer(len, body, MHD_RESPMEM_MUST_FREE) : NULL;
    if (!r) {
        free(body);
        return MHD_NO;
    }
    if (resp->content_type)
        MHD_add_response_header(r, "Content-Type", resp->content_type);
    MHD_add_response_header(r,
                            resp->request_id_header ? resp->request_id_header : "x-amzn-RequestId",
                            resp->request_id);
    for (size_t pos = 0; cr_emu_response_next_header(resp, &pos, &name, &value);)
        MHD_add_response_header(r, name, value);
    if (resp->status == 405)
        MHD_add_response_header(r, "Allow", resp->allow ? resp->allow : "POST");
    ret = MHD_queue_response(conn, (unsigned)resp->status, r);
    MHD_destroy_response(r);
    return ret;
}

static enum MHD_Result s_dispatch(struct cr_emu_server *srv, struct MHD_Connection *conn,
                                  const char *url, const char *method, struct s_req *rq)
{
    struct s_headers headers = {0};
    struct cr_buf query = CR_BUF_INIT;
    struct cr_emu_response resp;
    enum MHD_Result ret = MHD_NO;
    if (s_headers_read(&headers, conn) != 0)
        return MHD_NO;
    MHD_get_connection_values(conn, MHD_GET_ARGUMENT_KIND, s_collect_arg, &query);
    struct cr_emu_request req = {
        .method = method,
        .path = url,
        .query = query.len ? query.ptr : NULL,
        .headers = headers.items,
        .n_headers = headers.len,
        .body = rq->body.ptr,
        .body_len = rq->body.len,
        .body_too_large = rq->too_large,
        .loopback = s_is_loopback(conn),
        .imds = srv->imds,
    };
    if (!rq->pending) {
        if (cr_emu_prepare(&rq->pending, srv->emu, &req) != 0) {
            ret = MHD_NO;
            goto done;
        }
        uint32_t delay_ms = cr_emu_pending_delay_ms(rq->pending);
        if (delay_ms && s_delay(srv, conn, delay_ms)) {
            ret = MHD_YES; /* the handler runs again once resumed */
            goto done;
        }
    }
    cr_emu_response_init(&resp);
    if (cr_emu_finish(srv->emu, &resp, &req, rq->pending) == 0 && !resp.drop)
        ret = s_send(conn, &resp);
    if (resp.drop && resp.hang_ms && s_delay(srv, conn, resp.hang_ms)) {
        rq->drop_on_resume = true; /* hold the connection, answer nothing, then close */
        ret = MHD_YES;
    }
    /* resp.drop: MHD_NO closes the connection without a response (fault injection). */
    cr_emu_response_dispose(&resp);
done:
    cr_buf_dispose(&query);
    free(headers.items);
    return ret;
}

/* The request has arrived whole and is being answered: stopping waits for its answer. */
static void s_answer_begins(struct cr_emu_server *srv, struct s_req *rq)
{
    if (rq->answering)
        return;
    pthread_mutex_lock(&srv->lock);
    srv->answering++;
    pthread_mutex_unlock(&srv->lock);
    rq->answering = true;
}

static enum MHD_Result s_handler(void *cls, struct MHD_Connection *conn, const char *url,
                                 const char *method, const char *version, const char *upload_data,
                                 size_t *upload_data_size, void **con_cls)
{
    struct cr_emu_server *srv = cls;
    struct s_req *rq = *con_cls;
    if (!rq) {
        const char *cl = MHD_lookup_connection_value(conn, MHD_HEADER_KIND, "Content-Length");
        s_awaiting_head(srv, conn, false); /* the whole head is here: the deadline is met */
        rq = calloc(1, sizeof(*rq));
        if (!rq)
            return MHD_NO;
        cr_buf_init_limit(&rq->body, srv->emu->max_body_bytes);
        rq->too_large = cl && strtoull(cl, NULL, 10) > srv->emu->max_body_bytes;
        *con_cls = rq;
        if (rq->too_large) { /* answer now rather than read a body we will not keep */
            s_answer_begins(srv, rq);
            return s_dispatch(srv, conn, url, method, rq);
        }
        return MHD_YES;
    }
    if (*upload_data_size > 0) {
        if (!rq->too_large && cr_buf_put(&rq->body, upload_data, *upload_data_size) != 0) {
            rq->too_large = true;
            cr_buf_dispose(&rq->body);
        }
        *upload_data_size = 0;
        return MHD_YES;
    }
    if (rq->drop_on_resume)
        return MHD_NO;
    s_answer_begins(srv, rq);
    return s_dispatch(srv, conn, url, method, rq);
}

static void s_completed(void *cls, struct MHD_Connection *conn, void **con_cls,
                        enum MHD_RequestTerminationCode toe)
{
    struct cr_emu_server *srv = cls;
    struct s_req *rq = *con_cls;
    s_awaiting_head(srv, conn, true); /* a kept-alive connection waits for its next head */
    if (!rq)
        return;
    if (rq->answering) { /* answered (or given up: the connection closed) */
        pthread_mutex_lock(&srv->lock);
        if (--srv->answering == 0)
            pthread_cond_broadcast(&srv->drained);
        pthread_mutex_unlock(&srv->lock);
    }
    cr_buf_dispose(&rq->body);
    cr_emu_pending_free(rq->pending);
    free(rq);
    *con_cls = NULL;
}

static int s_timer_start(struct cr_emu_server *srv)
{
    pthread_condattr_t attr;
    pthread_mutex_init(&srv->lock, NULL);
    pthread_condattr_init(&attr);
    pthread_condattr_setclock(&attr, CLOCK_MONOTONIC);
    pthread_cond_init(&srv->cond, &attr);
    pthread_cond_init(&srv->drained, &attr);
    pthread_condattr_destroy(&attr);
    if (pthread_create(&srv->timer, NULL, s_timer_main, srv) != 0) {
        pthread_cond_destroy(&srv->cond);
        pthread_cond_destroy(&srv->drained);
        pthread_mutex_destroy(&srv->lock);
        return -1;
    }
    srv->timer_started = true;
    return 0;
}

/* Stops the timer thread (which resumes every delayed request); the lock stays for
 * libmicrohttpd's closing notifications until s_timer_dispose. */
static void s_timer_stop(struct cr_emu_server *srv)
{
    if (!srv->timer_started)
        return;
    pthread_mutex_lock(&srv->lock);
    srv->stopping = true;
    pthread_cond_signal(&srv->cond);
    pthread_mutex_unlock(&srv->lock);
    pthread_join(srv->timer, NULL);
    srv->timer_started = false;
}

/* Waits until every request received whole has been answered, at most CR_EMU_DRAIN_MS (a
 * client that does not read a large answer cannot hold the stop forever). */
static void s_drain(struct cr_emu_server *srv)
{
    uint64_t deadline = s_mono_ms() + CR_EMU_DRAIN_MS;
    struct timespec ts = {(time_t)(deadline / 1000u), (long)(deadline % 1000u) * 1000000L};
    pthread_mutex_lock(&srv->lock);
    while (srv->answering > 0 && s_mono_ms() < deadline)
        pthread_cond_timedwait(&srv->drained, &srv->lock, &ts);
    pthread_mutex_unlock(&srv->lock);
}

/* After the daemon stopped (no notification can come any more). */
static void s_timer_dispose(struct cr_emu_server *srv)
{
    while (srv->conns) { /* connections libmicrohttpd did not report closed */
        struct s_conn *c = srv->conns;
        srv->conns = c->next;
        free(c);
    }
    pthread_cond_destroy(&srv->cond);
    pthread_cond_destroy(&srv->drained);
    pthread_mutex_destroy(&srv->lock);
    free(srv->items);
}

static unsigned s_or(unsigned v, unsigned fallback)
{
    return v ? v : fallback;
}

static int s_start(struct cr_emu_server **out, struct cr_emu *emu,
                   const struct cr_emu_server_options *opts, bool imds)
{
    struct sockaddr_storage addr;
    socklen_t alen;
    bool v6;
    const union MHD_DaemonInfo *info;
    const char *host = opts->host ? opts->host : "127.0.0.1";
    int rc;
    if (opts->port > 65535) {
        cr_error_set("--port %u: must be 0..65535", opts->port);
        return CR_EINVALID;
    }
    rc = cr_net_address(&addr, &alen, &v6, host, opts->port, "--host");
    if (rc != 0)
        return rc;
    struct cr_emu_server *srv = calloc(1, sizeof(*srv));
    if (!srv) {
        cr_error_set("out of memory");
        return CR_ENOMEM;
    }
    srv->emu = emu;
    srv->imds = imds;
    srv->header_timeout_ms = s_or(opts->header_timeout_ms, CR_EMU_DEFAULT_HEADER_TIMEOUT_MS);
    srv->per_client_limit =
        s_or(opts->max_connections_per_client, CR_EMU_DEFAULT_CONNECTIONS_PER_PEER);
    if (s_timer_start(srv) != 0) {
        free(srv);
        cr_error_set("cannot start the timer thread");
        return CR_ERROR;
    }
    emu->connections = s_connections_json; /* before any worker thread can read it */
    emu->connections_arg = srv;
    srv->daemon = MHD_start_daemon(
        MHD_USE_AUTO_INTERNAL_THREAD | MHD_ALLOW_SUSPEND_RESUME | (v6 ? MHD_USE_IPv6 : 0), 0, NULL,
        NULL, s_handler, srv, MHD_OPTION_SOCK_ADDR, (struct sockaddr *)&addr,
        MHD_OPTION_THREAD_POOL_SIZE, s_or(opts->threads, CR_EMU_DEFAULT_THREADS),
        MHD_OPTION_CONNECTION_TIMEOUT, (unsigned)CR_EMU_CONNECTION_TIMEOUT_S,
        MHD_OPTION_CONNECTION_LIMIT, s_or(opts->max_connections, CR_EMU_DEFAULT_CONNECTIONS),
        MHD_OPTION_PER_IP_CONNECTION_LIMIT, srv->per_client_limit,
        MHD_OPTION_LISTEN_BACKLOG_SIZE, (unsigned)512, MHD_OPTION_NOTIFY_COMPLETED, s_completed,
        srv, MHD_OPTION_NOTIFY_CONNECTION, s_notify_connection, srv, MHD_OPTION_END);
    if (!srv->daemon) {
        emu->connections = NULL;
        cr_error_set("cannot listen on %s port %u (address in use or not available)", host,
                     opts->port);
        s_timer_stop(srv);
        s_timer_dispose(srv);
        free(srv);
        return CR_EIO;
    }
    info = MHD_get_daemon_info(srv->daemon, MHD_DAEMON_INFO_BIND_PORT);
    srv->port = info ? info->port : opts->port;
    snprintf(srv->url, sizeof(srv->url), v6 ? "http://[%s]:%u" : "http://%s:%u", host, srv->port);
    *out = srv;
    return 0;
}

int cr_emu_server_start(struct cr_emu_server **out, struct cr_emu *emu,
                        const struct cr_emu_server_options *opts)
{
    return s_start(out, emu, opts, false);
}

int cr_emu_imds_start(struct cr_emu_server **out, struct cr_emu *emu,
                      const struct cr_emu_server_options *opts)
{
    struct cr_emu_server_options o = *opts;
    o.threads = 2; /* a handful of requests per credentials fetch */
    return s_start(out, emu, &o, true);
}

unsigned cr_emu_server_port(const struct cr_emu_server *server)
{
    return server->port;
}

const char *cr_emu_server_url(const struct cr_emu_server *server)
{
    return server->url;
}

void cr_emu_server_stop(struct cr_emu_server *server)
{
    if (!server)
        return;
    /* no new connections; those open may still send requests, which are answered too */
    MHD_socket listener = MHD_quiesce_daemon(server->daemon);
    s_timer_stop(server); /* resumes held requests: answered now, hangs closed */
    s_drain(server);
    MHD_stop_daemon(server->daemon);
    if (server->emu->connections_arg == server)
        server->emu->connections = NULL; /* no worker thread is left to read it */
    if (listener != MHD_INVALID_SOCKET)
        close(listener); /* after the stop: the workers no longer poll it */
    s_timer_dispose(server);
    free(server);
}
