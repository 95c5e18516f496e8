/* SPDX-License-Identifier: Apache-2.0 */
#ifndef CR_WATCH_WATCH_H
#define CR_WATCH_WATCH_H
/*
 * The GitOps controller of `cognito-reconcile watch` (docs/watch.md): follows a branch of a
 * remote repository and keeps the pools in line with it.
 *
 * A loop on one thread: fetch the branch into the cache (source/git.h, under the watchdog),
 * then run a cycle on the commit (the caller's cycle function: validate, plan, apply or report,
 * through the same pipeline as plan/apply/drift), every interval and whenever the branch
 * moves or POST /reconcile asks. A commit whose manifests are invalid is remembered and
 * skipped: the last good revision is reconciled instead until the branch moves on. Failures
 * back off with jitter (never longer than the interval); the loop never ends on a bad cycle.
 * With lease operations (a lock), only the holder runs cycles; the others wait as standby
 * and try to take the lease every third of the poll period.
 *
 * HTTP (libmicrohttpd, watch/http.c): GET /healthz, /readyz, /status (JSON), /metrics
 * (Prometheus text format 0.0.4), POST /reconcile (bearer token when one is set).
 * Notifications (watch/notify.c): JSON events POSTed to a webhook through aws/request.h.
 *
 * Thread-safety: cr_watch_run() on one thread; cr_watch_stop(), cr_watch_trigger(),
 * cr_watch_request_reload() from any thread (a signal thread); the HTTP handlers read the
 * state under the controller's lock.
 */
#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "source/git.h"
#include "util/buf.h"
#include "util/error.h"
#include "util/strmap.h"

#define CR_WATCH_DEFAULT_INTERVAL_MS (5u * 60u * 1000u)
#define CR_WATCH_DEFAULT_LISTEN      "127.0.0.1:9464"
#define CR_WATCH_DEFAULT_BRANCH      "main"
#define CR_WATCH_RETRY_BASE_MS       1000u

enum cr_watch_drift_mode {
    CR_WATCH_REPAIR = 0, /* plan, then apply what differs */
    CR_WATCH_REPORT,     /* plan only: drift counted and reported, nothing written */
};

/** What the controller is told; strings borrowed, and must outlive the run (or the next
 * reload that replaces them). */
struct cr_watch_settings {
    struct cr_source_git_remote remote; /* url, branch, cache_dir, credentials */
    uint64_t interval_ms;               /* between cycles; 0 = CR_WATCH_DEFAULT_INTERVAL_MS */
    uint64_t retry_base_ms;             /* first backoff after a failure; 0 = 1 s */
    enum cr_watch_drift_mode drift;
    const char *listen;        /* "HOST:PORT" ("[::1]:9464"); NULL = no HTTP server */
    const char *control_token; /* POST needs "Authorization: Bearer <it>"; NULL = none */
    const char *notify_url;    /* webhook; NULL = none */
    const char *stack;         /* for status, events and the lease */
    const char *lock_url;      /* for status ("s3://..."); NULL = no lock */
    bool json_logs;            /* events as JSON lines on stderr */
    uint64_t standby_poll_ms;  /* standby: how often to try the lease; 0 = 2 s */
};

enum cr_watch_outcome {
    CR_WATCH_SUCCESS = 0, /* the cycle ran to the end (report mode: drift counted) */
    CR_WATCH_INVALID,     /* the revision's manifests are invalid: nothing was written */
    CR_WATCH_FAILED,      /* fetch, credentials, an API call, a refused rewind: retried */
    CR_WATCH_OUTCOMES
};

/** One cycle, filled in by the cycle function. */
struct cr_watch_cycle {
    /* in */
    const char *revision;  /* full commit id to reconcile */
    const char *git_dir;   /* the cache repository holding it */
    bool new_revision;     /* not the revision the last successful cycle reconciled */
    enum cr_watch_drift_mode drift;
    /* out */
    enum cr_watch_outcome outcome;
    size_t planned;            /* calls the plan held */
    size_t written;            /* calls made (repair) */
    struct cr_strlist drifted; /* pools (names) that differed from the manifests */
    struct cr_buf message;     /* why it was invalid or failed (diagnostics included) */
};

/** Runs one cycle (on the controller's thread). */
typedef void cr_watch_cycle_fn(void *ctx, struct cr_watch_cycle *cycle);

/** The lease (a lock shared by replicas): NULL ops = no lock, always the leader. */
struct cr_watch_lease_ops {
    /* Tries once to take the lease. 0: held now. CR_ECONFLICT: someone else holds it (holder
     * receives who). Other: an error (message set). */
    int (*acquire)(void *ctx, struct cr_buf *holder);
    /* 0 while the lease is still ours and safe to write under; else lost. */
    int (*check)(void *ctx);
    /* Gives the lease up (stop, or lost). */
    void (*release)(void *ctx);
    /* The write guard for the cycle: also reached through check. */
    void *ctx;
};

/** Re-reads the configuration (SIGHUP), on the controller's thread between cycles: fills
 * out (strings must live until the next reload). Returns 0 or an error (the old settings stay). */
typedef int cr_watch_reload_fn(void *ctx, struct cr_watch_settings *out);

struct cr_watch;

/**
 * Creates a controller. settings are copied (their strings borrowed). Starts the HTTP server
 * when settings->listen is set (the message names the address when it cannot listen) and the
 * notifier when notify_url is set. Returns 0, CR_EINVALID (bad listen address), CR_EIO (cannot
 * listen) or CR_ENOMEM.
 */
int cr_watch_new(struct cr_watch **out, const struct cr_watch_settings *settings,
                 cr_watch_cycle_fn *cycle, void *cycle_ctx,
                 const struct cr_watch_lease_ops *lease) CR_WARN_UNUSED;

/** Sets the function that re-reads the configuration on cr_watch_request_reload(). */
void cr_watch_set_reload(struct cr_watch *w, cr_watch_reload_fn *fn, void *ctx);

/** Runs the loop until cr_watch_stop(); releases the lease before returning. Returns 0. */
int cr_watch_run(struct cr_watch *w);

/** Asks the loop to end after the current cycle (any thread, async-signal context excluded). */
void cr_watch_stop(struct cr_watch *w);
/** True once cr_watch_stop() was called (a cycle's write guard stops before its next call). */
bool cr_watch_stopping(struct cr_watch *w);
/** Asks for a cycle now (POST /reconcile). */
void cr_watch_trigger(struct cr_watch *w);
/** Asks the loop to re-read the configuration before its next cycle (SIGHUP). */
void cr_watch_request_reload(struct cr_watch *w);

/** The port the HTTP server listens on (0 without one). */
unsigned cr_watch_port(const struct cr_watch *w);

/** Writes the state as JSON (GET /status). Returns 0 or CR_ENOMEM. */
int cr_watch_status_json(struct cr_buf *out, struct cr_watch *w) CR_WARN_UNUSED;
/** Writes the metrics in the Prometheus text format 0.0.4 (GET /metrics). */
int cr_watch_metrics_text(struct cr_buf *out, struct cr_watch *w) CR_WARN_UNUSED;
/** True once a cycle succeeded (GET /readyz). */
bool cr_watch_ready(struct cr_watch *w);

/**
 * Logs one event (a JSON line with --log-format json, else text) with the current revision:
 * event names such as "cycle_started", "applied"; pool and operation may be NULL.
 */
void cr_watch_log(struct cr_watch *w, const char *level, const char *event, const char *pool,
                  const char *operation, const char *fmt, ...) CR_PRINTF(6, 7);

/** Stops the server and the notifier and frees everything. Accepts NULL. */
void cr_watch_free(struct cr_watch *w);

/**
 * The default cache folder for a remote: $XDG_CACHE_HOME (else ~/.cache)/cognito-reconcile/
 * git/<host-and-path>-<12 hex of the URL's SHA-256>.git. Returns 0, CR_EINVALID (no HOME nor
 * XDG_CACHE_HOME) or CR_ENOMEM.
 */
int cr_watch_default_cache_dir(struct cr_buf *out, const char *url) CR_WARN_UNUSED;

/** url without any user:password@ part, for messages, status and metrics. */
int cr_watch_redact_url(struct cr_buf *out, const char *url) CR_WARN_UNUSED;

#endif
