/* SPDX-License-Identifier: Apache-2.0 */
#ifndef CR_WATCH_INTERNAL_H
#define CR_WATCH_INTERNAL_H
/* The controller's state, shared by the files of watch/ (and their unit tests); not for other folders. */
#include <jansson.h>
#include <pthread.h>

#include "watch/watch.h"

#define CR_WATCH_HIST_BUCKETS 12

/** The last cycle, as /status shows it. */
struct cr_watch_last {
    enum cr_watch_outcome outcome;
    bool ran;
    char revision[CR_GIT_OID_HEX + 1];
    int64_t started_ms, finished_ms; /* epoch */
    uint64_t duration_ms;
    size_t planned, written;
    struct cr_buf message;
};

struct cr_watch_http;
struct cr_watch_notifier;

struct cr_watch {
    pthread_mutex_t lock;
    pthread_cond_t cond; /* CLOCK_MONOTONIC */
    struct cr_watch_settings settings;
    cr_watch_cycle_fn *cycle;
    void *cycle_ctx;
    struct cr_watch_lease_ops lease;
    bool has_lease;
    cr_watch_reload_fn *reload;
    void *reload_ctx;
    bool stopping, triggered, reload_requested;
    struct cr_watch_http *http;
    struct cr_watch_notifier *notifier;
    /* state (under lock) */
    char head[CR_GIT_OID_HEX + 1];    /* the branch's commit at the last fetch */
    char applied[CR_GIT_OID_HEX + 1]; /* the revision of the last successful cycle */
    char invalid[CR_GIT_OID_HEX + 1]; /* the last revision found invalid ("" = none) */
    struct cr_buf invalid_message;
    bool ready;
    bool leader;
    struct cr_buf holder; /* who holds the lease when we do not */
    struct cr_watch_last last;
    int64_t next_run_ms;     /* epoch */
    uint64_t next_mono_ms;   /* monotonic */
    unsigned failures;       /* in a row */
    struct cr_strlist drifted;
    unsigned long cycles[CR_WATCH_OUTCOMES];
    unsigned long drift_cycles;   /* cycles that found drift */
    unsigned long lease_changes;  /* gained + lost */
    int64_t last_success_ms;      /* epoch; 0 = never */
    unsigned long hist[CR_WATCH_HIST_BUCKETS + 1]; /* cycle durations, cumulative at render */
    double hist_sum_s;
    unsigned long hist_count;
    uint64_t rng;
    struct cr_buf url_redacted;
};

/** The upper bounds (seconds) of the cycle-duration histogram's buckets. */
extern const double cr_watch_hist_bounds[CR_WATCH_HIST_BUCKETS];

/* ---- http.c ---- */
int cr_watch_http_start(struct cr_watch_http **out, struct cr_watch *w,
                        const char *listen) CR_WARN_UNUSED;
unsigned cr_watch_http_port(const struct cr_watch_http *h);
void cr_watch_http_stop(struct cr_watch_http *h);
/** Parses "HOST:PORT" / "[V6]:PORT" (port 0 = any free one). */
int cr_watch__parse_listen(char *host, size_t cap, unsigned *port, const char *listen) CR_WARN_UNUSED;

/* ---- notify.c ---- */
int cr_watch_notifier_new(struct cr_watch_notifier **out, const char *url) CR_WARN_UNUSED;
/** Queues event (stolen) for the webhook; never blocks on the network. */
void cr_watch_notify(struct cr_watch_notifier *n, json_t *event);
/** Sends what is queued (bounded wait), stops the thread, frees. Accepts NULL. */
void cr_watch_notifier_free(struct cr_watch_notifier *n);

/* ---- metrics.c ---- */
/** The metrics text; the caller holds w->lock. */
int cr_watch__metrics_locked(struct cr_buf *out, const struct cr_watch *w) CR_WARN_UNUSED;

/** Epoch milliseconds. */
int64_t cr_watch__now_ms(void);
/** "2026-12-06T07:30:00.123Z" */
void cr_watch__iso(char out[32], int64_t epoch_ms);

#endif
