/* SPDX-License-Identifier: Apache-2.0 */
/*
 * --notify URL: every event is POSTed as one JSON document (docs/watch.md "Notifications") by
 * a thread of its own, so a slow or dead webhook never delays a cycle. The request goes
 * through aws/request.h unsigned, with its retries (5xx, 429, connection failures: backoff
 * with jitter), TLS verification and redacted --debug lines; the URL (a Slack-style webhook
 * URL is a secret) is never logged: the request is named "notify webhook". A bounded queue:
 * when the webhook cannot keep up, the oldest events are dropped and counted.
 */
#include <pthread.h>
#include <stdlib.h>
#include <string.h>

#include "aws/request.h"
#include "util/log.h"
#include "watch/internal.h"

#define S_QUEUE 64

struct cr_watch_notifier {
    pthread_t thread;
    pthread_mutex_t lock;
    pthread_cond_t cond;
    bool stopping;
    char *url;
    struct cr_aws_transport *transport;
    json_t *queue[S_QUEUE];
    size_t head, len;
    unsigned long dropped, sent, failed, seq;
};

static void s_post(struct cr_watch_notifier *n, json_t *event)
{
    char *body = json_dumps(event, JSON_COMPACT | JSON_SORT_KEYS);
    const char *type = json_string_value(json_object_get(event, "event"));
    if (body == NULL)
        return;
    struct cr_http_header headers[] = {{"Content-Type", "application/json"},
                                       {"User-Agent", "cognito-reconcile-watch"}};
    struct cr_retry_policy policy = {.max_attempts = 4, .base_ms = 500, .cap_ms = 5000,
                                     .max_total_ms = 15000};
    struct cr_aws_request req;
    cr_aws_request_init(&req);
    req.name = "notify webhook";
    req.method = "POST";
    req.url = n->url;
    req.headers = headers;
    req.header_count = 2;
    req.body = body;
    req.body_len = strlen(body);
    req.policy = &policy;
    req.timeout_ms = 10000;
    int rc = cr_aws_request_run(n->transport, &req);
    pthread_mutex_lock(&n->lock);
    if (rc == 0)
        n->sent++;
    else
        n->failed++;
    pthread_mutex_unlock(&n->lock);
    if (rc != 0)
        cr_log_info("watch: notification '%s' not delivered: %s", type ? type : "?",
                    cr_error_last());
    cr_aws_request_dispose(&req);
    free(body);
}

static void *s_main(void *arg)
{
    struct cr_watch_notifier *n = arg;
    pthread_mutex_lock(&n->lock);
    for (;;) {
        while (n->len == 0 && !n->stopping)
            pthread_cond_wait(&n->cond, &n->lock);
        if (n->len == 0)
            break; /* stopping, and everything queued was sent */
        json_t *event = n->queue[n->head];
        n->head = (n->head + 1) % S_QUEUE;
        n->len--;
        pthread_mutex_unlock(&n->lock);
        s_post(n, event);
        json_decref(event);
        pthread_mutex_lock(&n->lock);
    }
    pthread_mutex_unlock(&n->lock);
    return NULL;
}

int cr_watch_notifier_new(struct cr_watch_notifier **out, const char *url)
{
    if (strncmp(url, "https://", 8) != 0 && strncmp(url, "http://", 7) != 0) {
        cr_error_set("--notify: expected an http:// or https:// URL");
        return CR_EINVALID;
    }
    struct cr_watch_notifier *n = calloc(1, sizeof(*n));
    if (n == NULL || (n->url = strdup(url)) == NULL) {
        free(n);
        cr_error_set("out of memory");
        return CR_ENOMEM;
    }
    struct cr_aws_transport_options to = {.max_connections = 1};
    int rc = cr_aws_transport_new(&n->transport, &to);
    if (rc != 0) {
        free(n->url);
        free(n);
        return rc;
    }
    pthread_mutex_init(&n->lock, NULL);
    pthread_cond_init(&n->cond, NULL);
    if (pthread_create(&n->thread, NULL, s_main, n) != 0) {
        cr_aws_transport_free(n->transport);
        pthread_cond_destroy(&n->cond);
        pthread_mutex_destroy(&n->lock);
        free(n->url);
        free(n);
        cr_error_set("cannot start the notification thread");
        return CR_ERROR;
    }
    *out = n;
    return 0;
}

void cr_watch_notify(struct cr_watch_notifier *n, json_t *event)
{
    pthread_mutex_lock(&n->lock);
    json_object_set_new(event, "id", json_integer((json_int_t)++n->seq));
    if (n->len == S_QUEUE) { /* the webhook cannot keep up: the oldest event goes */
        json_decref(n->queue[n->head]);
        n->head = (n->head + 1) % S_QUEUE;
        n->len--;
        n->dropped++;
    }
    n->queue[(n->head + n->len) % S_QUEUE] = event;
    n->len++;
    pthread_cond_signal(&n->cond);
    pthread_mutex_unlock(&n->lock);
}

void cr_watch_notifier_free(struct cr_watch_notifier *n)
{
    if (n == NULL)
        return;
    pthread_mutex_lock(&n->lock);
    n->stopping = true;
    pthread_cond_signal(&n->cond);
    pthread_mutex_unlock(&n->lock);
    pthread_join(n->thread, NULL);
    for (size_t i = 0; i < n->len; i++)
        json_decref(n->queue[(n->head + i) % S_QUEUE]);
    cr_aws_transport_free(n->transport);
    pthread_cond_destroy(&n->cond);
    pthread_mutex_destroy(&n->lock);
    free(n->url);
    free(n);
}
