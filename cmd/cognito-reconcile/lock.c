/* SPDX-License-Identifier: Apache-2.0 */
/*
 * The run lock on the command line (cmd/cognito-reconcile/lock.h, docs/locking.md).
 *
 * While apply holds the lock, SIGINT and SIGTERM are blocked in every thread but one, which
 * waits for them (sigwait): the first signal before the write phase releases the lease and
 * exits at once (128 + signal); during the write phase it makes the write guard refuse, so
 * apply stops before its next call, reports, releases and exits 128 + signal; a second signal
 * exits at once and leaves the lease to expire (calls may still be in flight).
 *
 * An apply without a lock gets the same signal thread, holding no lease: a signal before the
 * write phase exits at once (nothing was changed), one during it stops apply before its next
 * call (the report says what was done), a second one exits at once.
 */
#include "cmd/cognito-reconcile/lock.h"

#include <pthread.h>
#include <signal.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include <unistd.h>

#include "aws/s3.h"
#include "util/log.h"

struct cr_cli_lock {
    pthread_mutex_t mu;
    struct cr_lock *lock; /* under mu: NULL while it is being taken (or with no lease) */
    int pending;          /* under mu: a signal that came while it was being taken */
    char *url;            /* NULL: no lock is configured, only the signals are handled */
    bool writing;         /* under mu, with no lease: the write phase began */
    int interrupted;      /* under mu, with no lease: the signal that stops the writes */
    pthread_t signals;
    bool signals_running;
    sigset_t old_mask; /* the main thread's mask before the lock blocked SIGINT/SIGTERM */
    volatile sig_atomic_t stopping;
};

int cr_cli_lock_settings(struct cr_lock_settings *out, const char **what,
                         const struct cr_cli_options *opts)
{
    *out = opts->lock;
    *what = "--lock";
    if (opts->no_lock) {
        out->url = NULL;
        return 0;
    }
    if (!out->url) {
        const char *env = getenv(CR_CLI_LOCK_ENV);
        out->url = env && *env ? env : NULL;
        *what = CR_CLI_LOCK_ENV;
    }
    if (!out->url)
        return 0;
    struct cr_s3_location loc;
    int rc = cr_s3_location_parse(&loc, out->url, *what);
    cr_s3_location_dispose(&loc);
    return rc;
}

int cr_cli_lock_store(struct cr_lock_store **out, const struct cr_cli_options *opts,
                      const char *default_region)
{
    struct cr_lock_settings settings;
    const char *what = NULL;
    *out = NULL;
    int rc = cr_cli_lock_settings(&settings, &what, opts);
    if (rc < 0 || !settings.url)
        return rc;
    struct cr_s3_options base = {
        .region = default_region && *default_region ? default_region : NULL,
        .profile = opts->profile,
        .timeout_ms = opts->timeout_s * 1000u,
        .debug = opts->debug,
    };
    return cr_lock_store_s3_new(out, &settings, what, &base);
}

/* The message of a lock held by someone else, with what to do about it. */
static void s_held_hint(const struct cr_lock_lease *held, const char *url)
{
    char *msg = strdup(cr_error_last());
    if (!msg)
        return;
    if (held->valid)
        cr_error_set("%s\n  wait for that run (--lock-timeout 10m), or, if it is gone:\n"
                     "    cognito-reconcile force-unlock %s --lock %s",
                     msg, held->id, url);
    else
        cr_error_set("%s\n  it is not a lease and never expires; if nothing uses it:\n"
                     "    cognito-reconcile force-unlock %s --lock %s",
                     msg, held->etag ? held->etag : "ETAG", url);
    free(msg);
}

/* One write(2) of a message: safe right before _exit. */
static void s_say(const char *fmt, ...) CR_PRINTF(1, 2);
static void s_say(const char *fmt, ...)
{
    char line[1024];
    va_list ap;
    va_start(ap, fmt);
    int n = vsnprintf(line, sizeof(line), fmt, ap);
    va_end(ap);
    if (n > 0)
        (void)!write(STDERR_FILENO, line, (size_t)n < sizeof(line) ? (size_t)n : sizeof(line) - 1);
}

/* A signal to an apply that holds no lease: the first stops it (at once before the writes,
 * before the next call during them), a second exits at once. */
static void s_unlocked_signal(struct cr_cli_lock *cl, int sig, unsigned count)
{
    const char *name = sig == SIGINT ? "SIGINT" : "SIGTERM";
    pthread_mutex_lock(&cl->mu);
    bool writing = cl->writing;
    if (!cl->interrupted)
        cl->interrupted = sig;
    pthread_mutex_unlock(&cl->mu);
    if (!writing) {
        s_say("\ninterrupted (%s): nothing was changed\n", name);
        _exit(128 + sig);
    }
    if (count == 1) {
        s_say("\ninterrupted (%s): stopping once the calls in flight have answered (a second "
              "signal exits at once)\n",
              name);
        return;
    }
    s_say("\ninterrupted again (%s): exiting at once; calls may still be in flight (run apply "
          "again to converge)\n",
          name);
    _exit(128 + sig);
}

static void *s_signal_thread(void *arg)
{
    struct cr_cli_lock *cl = arg;
    sigset_t set;
    sigemptyset(&set);
    sigaddset(&set, SIGINT);
    sigaddset(&set, SIGTERM);
    sigaddset(&set, SIGUSR1);
    unsigned count = 0;
    for (;;) {
        int sig = 0;
        if (sigwait(&set, &sig) != 0)
            continue;
        if (sig == SIGUSR1) {
            if (cl->stopping)
                return NULL;
            continue;
        }
        const char *name = sig == SIGINT ? "SIGINT" : "SIGTERM";
        if (!cl->url) {
            s_unlocked_signal(cl, sig, ++count);
            continue;
        }
        pthread_mutex_lock(&cl->mu);
        struct cr_lock *lock = cl->lock;
        if (!lock) /* still taking it: the taker (or its wait) ends the run */
            cl->pending = sig;
        pthread_mutex_unlock(&cl->mu);
        if (!lock)
            continue;
        if (++count == 1 && cr_lock_interrupt(lock, sig)) {
            s_say("\ninterrupted (%s): released the lock %s; nothing was changed\n", name,
                  cl->url);
            _exit(128 + sig);
        }
        if (count == 1) {
            s_say("\ninterrupted (%s): stopping once the calls in flight have answered; the "
                  "lock is released then (a second signal exits at once and leaves it held)\n",
                  name);
            continue;
        }
        s_say("\ninterrupted again (%s): exiting at once; calls may still be in flight, so the "
              "lock %s stays held until its lease expires, or: cognito-reconcile force-unlock "
              "%s --lock %s\n",
              name, cl->url, cr_lock_lease(lock)->id, cl->url);
        _exit(128 + sig);
    }
}

/* Blocks SIGINT/SIGTERM here (every thread started later inherits it) and starts the thread
 * that waits for them. */
static int s_start_signals(struct cr_cli_lock *cl)
{
    sigset_t set;
    sigemptyset(&set);
    sigaddset(&set, SIGINT);
    sigaddset(&set, SIGTERM);
    sigaddset(&set, SIGUSR1);
    pthread_sigmask(SIG_BLOCK, &set, &cl->old_mask);
    int rc = pthread_create(&cl->signals, NULL, s_signal_thread, cl);
    if (rc != 0) {
        pthread_sigmask(SIG_SETMASK, &cl->old_mask, NULL);
        cr_error_set("cannot start the signal thread: %s", strerror(rc));
        return CR_ERROR;
    }
    cl->signals_running = true;
    return 0;
}

static void s_stop_signals(struct cr_cli_lock *cl)
{
    if (!cl->signals_running)
        return;
    cl->stopping = 1;
    pthread_kill(cl->signals, SIGUSR1);
    pthread_join(cl->signals, NULL);
    cl->signals_running = false;
    pthread_sigmask(SIG_SETMASK, &cl->old_mask, NULL); /* a signal still pending acts now */
}

/* The wait between polls of a held lock: in slices, so that a signal ends it at once (no
 * lease is held while waiting). */
static void s_sleep(void *ctx, uint32_t ms)
{
    struct cr_cli_lock *cl = ctx;
    for (uint32_t slept = 0; slept < ms; slept += 50) {
        pthread_mutex_lock(&cl->mu);
        int sig = cl->pending;
        pthread_mutex_unlock(&cl->mu);
        if (sig) {
            s_say("\ninterrupted (%s) while waiting for the lock %s; nothing was changed\n",
                  sig == SIGINT ? "SIGINT" : "SIGTERM", cl->url);
            _exit(128 + sig);
        }
        struct timespec ts = {.tv_sec = 0, .tv_nsec = (ms - slept < 50 ? ms - slept : 50) * 1000000L};
        nanosleep(&ts, NULL);
    }
}

/* After the lease was taken: the lock becomes the signal thread's to release; a signal that
 * came meanwhile releases it now. Returns that signal, or 0. */
static int s_hand_over(struct cr_cli_lock *cl, struct cr_lock *lock)
{
    pthread_mutex_lock(&cl->mu);
    cl->lock = lock;
    int sig = cl->pending;
    pthread_mutex_unlock(&cl->mu);
    if (sig && cr_lock_interrupt(lock, sig))
        s_say("\ninterrupted (%s): released the lock %s; nothing was changed\n",
              sig == SIGINT ? "SIGINT" : "SIGTERM", cl->url);
    return sig;
}

/* No lock configured: the signal thread alone, so that an interrupted apply reports. */
static int s_signals_only(struct cr_cli_lock **out)
{
    struct cr_cli_lock *cl = calloc(1, sizeof(*cl));
    if (!cl) {
        cr_error_set("out of memory");
        return CR_ENOMEM;
    }
    pthread_mutex_init(&cl->mu, NULL);
    int rc = s_start_signals(cl);
    if (rc < 0) {
        pthread_mutex_destroy(&cl->mu);
        free(cl);
        return rc;
    }
    *out = cl;
    return 0;
}

int cr_cli_lock_take(struct cr_cli_lock **out, const struct cr_cli_options *opts,
                     const char *default_region, const char *revision)
{
    struct cr_lock_store *store = NULL;
    struct cr_lock_lease held = {0};
    struct cr_cli_lock *cl = NULL;
    *out = NULL;
    int rc = cr_cli_lock_store(&store, opts, default_region);
    if (rc < 0)
        return rc;
    if (!store)
        return s_signals_only(out);
    cl = calloc(1, sizeof(*cl));
    cl->url = cl ? strdup(store->where) : NULL;
    if (!cl || !cl->url) {
        free(cl);
        cl = NULL;
        cr_error_set("out of memory");
        rc = CR_ENOMEM;
        goto fail;
    }
    pthread_mutex_init(&cl->mu, NULL);
    struct cr_lock_options lo = {
        .stack = opts->stack,
        .command = cr_cli_verb_name(opts->verb),
        .revision = revision && *revision ? revision : NULL,
        .lease_ms = opts->lock.lease_ms,
        .timeout_ms = opts->lock.timeout_ms,
        .sleep = s_sleep,
        .sleep_ctx = cl,
    };
    /* signals wait for the thread from before the lease exists, so none can end the run
     * between taking the lease and being ready to release it */
    rc = s_start_signals(cl);
    if (rc < 0)
        goto fail;
    cr_log_info("taking the lock %s...", store->where);
    struct cr_lock *lock = NULL;
    rc = cr_lock_acquire(&lock, &held, store, &lo);
    if (rc == CR_ECONFLICT && held.etag)
        s_held_hint(&held, store->where);
    cr_lock_lease_dispose(&held);
    if (rc < 0)
        goto fail;
    store = NULL; /* now owned by the lock */
    if (s_hand_over(cl, lock)) {
        s_stop_signals(cl);
        _exit(128 + cr_lock_interrupted(lock));
    }
    cr_log_info("holding the lock %s (lease %s)", cl->url, cr_lock_lease(lock)->id);
    rc = cr_lock_start_keeper(lock);
    if (rc < 0) {
        (void)!cr_lock_release(lock);
        goto fail;
    }
    *out = cl;
    return 0;
fail:
    cr_lock_store_free(store);
    if (cl) {
        s_stop_signals(cl);
        pthread_mutex_lock(&cl->mu);
        int sig = cl->pending;
        pthread_mutex_unlock(&cl->mu);
        cr_lock_free(cl->lock);
        pthread_mutex_destroy(&cl->mu);
        free(cl->url);
        free(cl);
        if (sig) /* interrupted while taking it, and nothing is held */
            _exit(128 + sig);
    }
    return rc;
}

void cr_cli_lock_note(const struct cr_cli_options *opts, const char *default_region)
{
    struct cr_lock_store *store = NULL;
    struct cr_lock_lease lease = {0};
    int rc = cr_cli_lock_store(&store, opts, default_region);
    if (rc == 0 && store)
        rc = cr_lock_read(&lease, store);
    if (rc == 0 && store) {
        struct cr_buf who = CR_BUF_INIT;
        struct timespec ts;
        clock_gettime(CLOCK_REALTIME, &ts);
        if (cr_lock_lease_describe(&who, &lease, (int64_t)ts.tv_sec * 1000 + ts.tv_nsec / 1000000) ==
            0)
            cr_log_info("note: the lock %s is held by %s: an apply may be changing pools while "
                        "this %s reads them",
                        store->where, who.ptr, cr_cli_verb_name(opts->verb));
        cr_buf_dispose(&who);
    } else if (rc < 0 && rc != CR_ENOTFOUND) {
        cr_log_info("warning: could not read the lock (%s)", cr_error_last());
    }
    cr_error_clear();
    cr_lock_lease_dispose(&lease);
    cr_lock_store_free(store);
}

/* With no lease: the signal that stopped the writes, or 0. */
static int s_unlocked_interrupted(struct cr_cli_lock *cl)
{
    pthread_mutex_lock(&cl->mu);
    int sig = cl->interrupted;
    pthread_mutex_unlock(&cl->mu);
    if (sig)
        cr_error_set("interrupted (%s): stopped before the next write call",
                     sig == SIGINT ? "SIGINT" : "SIGTERM");
    return sig;
}

int cr_cli_lock_guard(void *ctx)
{
    struct cr_cli_lock *cl = ctx;
    if (cl && !cl->url)
        return s_unlocked_interrupted(cl) ? CR_EREFUSED : 0;
    return cl ? cr_lock_check(cl->lock) : 0;
}

int cr_cli_lock_begin_writes(struct cr_cli_lock *lk)
{
    if (lk && !lk->url) {
        pthread_mutex_lock(&lk->mu);
        lk->writing = true;
        pthread_mutex_unlock(&lk->mu);
        return 0;
    }
    return lk ? cr_lock_begin_writes(lk->lock) : 0;
}

int cr_cli_lock_finish(struct cr_cli_lock *lk, int status)
{
    if (!lk)
        return status;
    if (!lk->url) {
        s_stop_signals(lk);
        int sig = lk->interrupted; /* the signal thread has ended */
        pthread_mutex_destroy(&lk->mu);
        free(lk);
        return sig ? 128 + sig : status;
    }
    int rc = cr_lock_release(lk->lock);
    int sig = cr_lock_interrupted(lk->lock);
    if (rc == 0)
        cr_log_info("released the lock %s", lk->url);
    else if (status == CR_EXIT_OK)
        status = cr_cli_fail(rc); /* the run succeeded, but wrote without a valid lease */
    else
        cr_log_info("warning: %s", cr_error_last());
    s_stop_signals(lk);
    cr_lock_free(lk->lock);
    pthread_mutex_destroy(&lk->mu);
    free(lk->url);
    free(lk);
    return sig ? 128 + sig : status;
}
