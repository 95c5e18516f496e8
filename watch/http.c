/* SPDX-License-Identifier: Apache-2.0 */
/*
 * The controller's endpoints over libmicrohttpd (one internal thread: the answers are small
 * and come from memory): GET /healthz, /readyz, /status, /metrics; POST /reconcile. Anything
 * else is 404 (405 for a known path with another method). With a control token, POST needs
 * "Authorization: Bearer <token>", compared in constant time; GETs expose no secret.
 */
#include <microhttpd.h>
#include <netinet/in.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>

#include "util/net.h"
#include "watch/internal.h"

#define S_MAX_BODY 4096 /* POST /reconcile takes no body; a little is read and dropped */

struct cr_watch_http {
    struct MHD_Daemon *daemon;
    struct cr_watch *w;
    unsigned port;
};

int cr_watch__parse_listen(char *host, size_t cap, unsigned *port, const char *listen)
{
    const char *colon = strrchr(listen, ':');
    const char *h = listen;
    size_t hlen = colon != NULL ? (size_t)(colon - listen) : 0;
    if (hlen >= 2 && listen[0] == '[' && listen[hlen - 1] == ']') {
        h = listen + 1;
        hlen -= 2;
    }
    char *end = NULL;
    unsigned long p = colon != NULL ? strtoul(colon + 1, &end, 10) : 0;
    if (colon == NULL || hlen == 0 || hlen >= cap || end == colon + 1 || *end != '\0' ||
        p > 65535) {
        cr_error_set("--listen '%s': expected HOST:PORT, e.g. 127.0.0.1:9464 or [::1]:9464",
                     listen);
        return CR_EINVALID;
    }
    memcpy(host, h, hlen);
    host[hlen] = '\0';
    *port = (unsigned)p;
    return 0;
}

static enum MHD_Result s_answer(struct MHD_Connection *conn, unsigned status, const char *type,
                                struct cr_buf *body)
{
    size_t len = body->len;
    char *text = cr_buf_detach(body);
    struct MHD_Response *r =
        MHD_create_response_from_buffer(len, text ? text : (char *)"", text ? MHD_RESPMEM_MUST_FREE
                                                                            : MHD_RESPMEM_PERSISTENT);
    if (r == NULL) {
        free(text);
        return MHD_NO;
    }
    MHD_add_response_header(r, "Content-Type", type);
    MHD_add_response_header(r, "Cache-Control", "no-store");
    if (status == 405)
        MHD_add_response_header(r, "Allow", "GET");
    if (status == 401)
        MHD_add_response_header(r, "WWW-Authenticate", "Bearer realm=\"cognito-reconcile\"");
    enum MHD_Result ret = MHD_queue_response(conn, status, r);
    MHD_destroy_response(r);
    return ret;
}

static enum MHD_Result s_text(struct MHD_Connection *conn, unsigned status, const char *text)
{
    struct cr_buf body = CR_BUF_INIT;
    cr_buf_puts(&body, text);
    return s_answer(conn, status, "text/plain; charset=utf-8", &body);
}

/* Equal without leaking where they differ through timing. */
static bool s_same_secret(const char *a, const char *b)
{
    size_t la = strlen(a), lb = strlen(b);
    unsigned char diff = la != lb;
    for (size_t i = 0; i < la; i++)
        diff |= (unsigned char)a[i] ^ (unsigned char)b[i % (lb ? lb : 1)];
    return diff == 0;
}

static bool s_authorized(struct cr_watch *w, struct MHD_Connection *conn)
{
    pthread_mutex_lock(&w->lock);
    const char *token = w->settings.control_token;
    bool ok = token == NULL || token[0] == '\0';
    if (!ok) {
        const char *h = MHD_lookup_connection_value(conn, MHD_HEADER_KIND, "Authorization");
        ok = h != NULL && strncmp(h, "Bearer ", 7) == 0 && s_same_secret(h + 7, token);
    }
    pthread_mutex_unlock(&w->lock);
    return ok;
}

static enum MHD_Result s_get(struct cr_watch_http *h, struct MHD_Connection *conn, const char *url)
{
    struct cr_buf body = CR_BUF_INIT;
    if (strcmp(url, "/healthz") == 0)
        return s_text(conn, 200, "ok\n");
    if (strcmp(url, "/readyz") == 0)
        return cr_watch_ready(h->w) ? s_text(conn, 200, "ready\n")
                                    : s_text(conn, 503, "not ready: no cycle succeeded yet\n");
    if (strcmp(url, "/status") == 0) {
        if (cr_watch_status_json(&body, h->w) != 0) {
            cr_buf_dispose(&body);
            return s_text(conn, 500, "out of memory\n");
        }
        return s_answer(conn, 200, "application/json", &body);
    }
    if (strcmp(url, "/metrics") == 0) {
        if (cr_watch_metrics_text(&body, h->w) != 0) {
            cr_buf_dispose(&body);
            return s_text(conn, 500, "out of memory\n");
        }
        return s_answer(conn, 200, "text/plain; version=0.0.4; charset=utf-8", &body);
    }
    return s_text(conn, 404, "not found: GET /healthz, /readyz, /status, /metrics; POST /reconcile\n");
}

static enum MHD_Result s_handler(void *cls, struct MHD_Connection *conn, const char *url,
                                 const char *method, const char *version, const char *upload,
                                 size_t *upload_size, void **con_cls)
{
    struct cr_watch_http *h = cls;
    static int s_marker;
    if (*con_cls == NULL) { /* headers only so far: wait for the body (if any) */
        *con_cls = &s_marker;
        return MHD_YES;
    }
    if (*upload_size > 0) {
        *upload_size = 0; /* read and dropped */
        return MHD_YES;
    }
    bool is_get = strcmp(method, "GET") == 0 || strcmp(method, "HEAD") == 0;
    if (strcmp(url, "/reconcile") == 0) {
        if (strcmp(method, "POST") != 0)
            return s_text(conn, 405, "POST /reconcile runs a cycle now\n");
        if (!s_authorized(h->w, conn))
            return s_text(conn, 401, "unauthorized: send Authorization: Bearer <control token>\n");
        cr_watch_trigger(h->w);
        cr_watch_log(h->w, "info", "reconcile_requested", NULL, NULL,
                     "POST /reconcile: a cycle runs now");
        struct cr_buf body = CR_BUF_INIT;
        cr_buf_puts(&body, "{\"accepted\": true}\n");
        return s_answer(conn, 202, "application/json", &body);
    }
    if (!is_get) {
        bool known = strcmp(url, "/healthz") == 0 || strcmp(url, "/readyz") == 0 ||
                     strcmp(url, "/status") == 0 || strcmp(url, "/metrics") == 0;
        return known ? s_text(conn, 405, "GET only\n") : s_text(conn, 404, "not found\n");
    }
    return s_get(h, conn, url);
}

int cr_watch_http_start(struct cr_watch_http **out, struct cr_watch *w, const char *listen)
{
    char host[128];
    unsigned port = 0;
    struct sockaddr_storage addr;
    socklen_t alen = 0;
    bool v6 = false;
    int rc = cr_watch__parse_listen(host, sizeof(host), &port, listen);
    if (rc == 0)
        rc = cr_net_address(&addr, &alen, &v6, host, port, "--listen");
    if (rc != 0)
        return rc;
    struct cr_watch_http *h = calloc(1, sizeof(*h));
    if (h == NULL) {
        cr_error_set("out of memory");
        return CR_ENOMEM;
    }
    h->w = w;
    /* epoll or poll, not select(): the command raises its open-files limit (every account and
     * region has its own connections), and select() cannot watch a socket numbered past
     * FD_SETSIZE (1,024), which would turn /healthz away while a large cycle runs */
    h->daemon = MHD_start_daemon(MHD_USE_AUTO_INTERNAL_THREAD | (v6 ? MHD_USE_IPv6 : 0), 0,
                                 NULL, NULL, s_handler, h, MHD_OPTION_SOCK_ADDR,
                                 (struct sockaddr *)&addr, MHD_OPTION_CONNECTION_TIMEOUT,
                                 (unsigned)10, MHD_OPTION_CONNECTION_LIMIT, (unsigned)64,
                                 MHD_OPTION_CONNECTION_MEMORY_LIMIT, (size_t)(S_MAX_BODY * 8),
                                 MHD_OPTION_END);
    if (h->daemon == NULL) {
        cr_error_set("--listen %s: cannot listen (address in use or not available)", listen);
        free(h);
        return CR_EIO;
    }
    const union MHD_DaemonInfo *info = MHD_get_daemon_info(h->daemon, MHD_DAEMON_INFO_BIND_PORT);
    h->port = info != NULL ? info->port : port;
    *out = h;
    return 0;
}

unsigned cr_watch_http_port(const struct cr_watch_http *h)
{
    return h->port;
}

void cr_watch_http_stop(struct cr_watch_http *h)
{
    if (h == NULL)
        return;
    MHD_stop_daemon(h->daemon);
    free(h);
}
