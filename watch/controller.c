/* SPDX-License-Identifier: Apache-2.0 */
/*
 * The controller loop (watch/watch.h): lease, fetch, cycle, schedule. Decisions are taken
 * under the lock and the slow work (fetch, the cycle) runs outside it, so /status and
 * /metrics answer while a cycle runs.
 */
#include <inttypes.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include <unistd.h>

#include "aws/sigv4.h"
#include "util/duration.h"
#include "util/log.h"
#include "util/strutil.h"
#include "watch/internal.h"

const double cr_watch_hist_bounds[CR_WATCH_HIST_BUCKETS] = {0.1, 0.25, 0.5, 1,   2.5, 5,
                                                            10,  30,   60,  120, 300, 600};

static const char *const s_outcome_names[CR_WATCH_OUTCOMES] = {"success", "invalid", "failed"};

int64_t cr_watch__now_ms(void)
{
    struct timespec ts;
    clock_gettime(CLOCK_REALTIME, &ts);
    return (int64_t)ts.tv_sec * 1000 + ts.tv_nsec / 1000000;
}

void cr_watch__iso(char out[32], int64_t epoch_ms)
{
    time_t s = (time_t)(epoch_ms / 1000);
    struct tm tm;
    char day[24];
    gmtime_r(&s, &tm);
    strftime(day, sizeof(day), "%Y-%m-%dT%H:%M:%S", &tm);
    snprintf(out, 32, "%s.%03dZ", day, (int)(epoch_ms % 1000));
}

static uint64_t s_mono_ms(void)
{
    struct timespec ts;
    clock_gettime(CLOCK_MONOTONIC, &ts);
    return (uint64_t)ts.tv_sec * 1000u + (uint64_t)ts.tv_nsec / 1000000u;
}

/* xorshift64*: the backoff's jitter (seeded from the clock and the pid; not a secret). */
static double s_random(struct cr_watch *w)
{
    w->rng ^= w->rng >> 12;
    w->rng ^= w->rng << 25;
    w->rng ^= w->rng >> 27;
    return (double)((w->rng * UINT64_C(2685821657736338717)) >> 11) / 9007199254740992.0;
}

/* ---- logging: text, or one JSON object per line ---- */

static void s_json_line(const char *level, const char *event, const char *revision,
                        const char *pool, const char *operation, const char *message)
{
    char now[32];
    cr_watch__iso(now, cr_watch__now_ms());
    json_t *o = json_pack("{s:s, s:s, s:s}", "time", now, "level", level, "event", event);
    if (o == NULL)
        return;
    if (revision != NULL && revision[0] != '\0')
        json_object_set_new(o, "revision", json_string(revision));
    if (pool != NULL)
        json_object_set_new(o, "pool", json_string(pool));
    if (operation != NULL)
        json_object_set_new(o, "operation", json_string(operation));
    if (message != NULL)
        json_object_set_new(o, "message", json_string(message));
    char *text = json_dumps(o, JSON_COMPACT | JSON_ENSURE_ASCII);
    json_decref(o);
    if (text == NULL)
        return;
    size_t n = strlen(text);
    text[n] = '\n'; /* one write per line: lines of several threads never interleave */
    (void)!write(STDERR_FILENO, text, n + 1);
    free(text);
}

/* util/log's lines (progress of the pipeline) while --log-format json is on. */
static void s_log_sink(void *ctx, bool debug, const char *line)
{
    struct cr_watch *w = ctx;
    char revision[CR_GIT_OID_HEX + 1];
    pthread_mutex_lock(&w->lock);
    memcpy(revision, w->applied, sizeof(revision));
    pthread_mutex_unlock(&w->lock);
    s_json_line(debug ? "debug" : "info", "log", revision, NULL, NULL, line);
}

void cr_watch_log(struct cr_watch *w, const char *level, const char *event, const char *pool,
                  const char *operation, const char *fmt, ...)
{
    char message[4096];
    va_list ap;
    va_start(ap, fmt);
    vsnprintf(message, sizeof(message), fmt, ap);
    va_end(ap);
    if (!w->settings.json_logs) {
        char line[4200];
        int n = snprintf(line, sizeof(line), "watch: %s\n", message);
        (void)!write(STDERR_FILENO, line, n > 0 && (size_t)n < sizeof(line) ? (size_t)n : 0);
        return;
    }
    char revision[CR_GIT_OID_HEX + 1];
    pthread_mutex_lock(&w->lock);
    memcpy(revision, w->applied, sizeof(revision));
    pthread_mutex_unlock(&w->lock);
    s_json_line(level, event, revision, pool, operation, message);
}

/* ---- notifications ---- */

/* Sends one event to the webhook (when configured). Takes the lock itself. */
static void s_event(struct cr_watch *w, const char *event, const char *revision,
                    const char *message)
{
    if (w->notifier == NULL)
        return;
    char now[32];
    cr_watch__iso(now, cr_watch__now_ms());
    pthread_mutex_lock(&w->lock);
    json_t *pools = json_array();
    for (size_t i = 0; pools != NULL && i < w->drifted.len; i++)
        json_array_append_new(pools, json_string(w->drifted.items[i]));
    json_t *o = json_pack(
        "{s:s, s:s, s:s, s:s, s:s, s:s?, s:s?, s:o?, s:I, s:I}", "event", event, "time", now,
        "stack", w->settings.stack ? w->settings.stack : "default", "url",
        cr_buf_cstr(&w->url_redacted) ? cr_buf_cstr(&w->url_redacted) : "", "branch",
        w->settings.remote.branch, "revision", revision && revision[0] ? revision : NULL,
        "message", message, "drifted_pools", pools, "calls_planned", (json_int_t)w->last.planned,
        "calls_made", (json_int_t)w->last.written);
    if (o != NULL && w->has_lease)
        json_object_set_new(o, "leader", json_boolean(w->leader));
    pthread_mutex_unlock(&w->lock);
    if (o != NULL)
        cr_watch_notify(w->notifier, o);
}

/* ---- lifecycle ---- */

int cr_watch_redact_url(struct cr_buf *out, const char *url)
{
    const char *scheme = strstr(url, "://");
    const char *start = scheme != NULL ? scheme + 3 : url;
    const char *slash = strchr(start, '/');
    const char *at = strchr(start, '@');
    if (scheme != NULL && at != NULL && (slash == NULL || at < slash)) {
        cr_buf_put(out, url, (size_t)(start - url));
        cr_buf_puts(out, at + 1);
    } else {
        cr_buf_puts(out, url);
    }
    return cr_buf_oom(out) ? CR_ENOMEM : 0;
}

int cr_watch_default_cache_dir(struct cr_buf *out, const char *url)
{
    const char *xdg = getenv("XDG_CACHE_HOME");
    const char *home = getenv("HOME");
    char hash[CR_SIGV4_HEX_LEN + 1];
    struct cr_buf clean = CR_BUF_INIT;
    if ((xdg == NULL || xdg[0] != '/') && (home == NULL || home[0] == '\0')) {
        cr_error_set("--cache-dir: neither XDG_CACHE_HOME nor HOME is set; give --cache-dir DIR");
        return CR_EINVALID;
    }
    int rc = cr_watch_redact_url(&clean, url);
    if (rc == 0)
        rc = cr_sigv4_sha256_hex(hash, cr_span_from(url));
    if (rc != 0) {
        cr_buf_dispose(&clean);
        return rc;
    }
    if (xdg != NULL && xdg[0] == '/')
        cr_buf_printf(out, "%s/cognito-reconcile/git/", xdg);
    else
        cr_buf_printf(out, "%s/.cache/cognito-reconcile/git/", home);
    /* a readable name from the host and path, then the hash that makes it unique */
    const char *p = strstr(clean.ptr, "://");
    p = p != NULL ? p + 3 : clean.ptr;
    size_t n = 0;
    for (; *p != '\0' && n < 64; p++, n++)
        cr_buf_putc(out, (*p >= 'a' && *p <= 'z') || (*p >= 'A' && *p <= 'Z') ||
                                 (*p >= '0' && *p <= '9') || *p == '.' || *p == '-'
                             ? *p
                             : '_');
    cr_buf_printf(out, "-%.12s.git", hash);
    cr_buf_dispose(&clean);
    if (cr_buf_oom(out)) {
        cr_error_set("out of memory");
        return CR_ENOMEM;
    }
    return 0;
}

int cr_watch_new(struct cr_watch **out, const struct cr_watch_settings *settings,
                 cr_watch_cycle_fn *cycle, void *cycle_ctx, const struct cr_watch_lease_ops *lease)
{
    struct cr_watch *w = calloc(1, sizeof(*w));
    if (w == NULL) {
        cr_error_set("out of memory");
        return CR_ENOMEM;
    }
    pthread_condattr_t attr;
    pthread_mutex_init(&w->lock, NULL);
    pthread_condattr_init(&attr);
    pthread_condattr_setclock(&attr, CLOCK_MONOTONIC);
    pthread_cond_init(&w->cond, &attr);
    pthread_condattr_destroy(&attr);
    w->settings = *settings;
    w->cycle = cycle;
    w->cycle_ctx = cycle_ctx;
    if (lease != NULL && lease->acquire != NULL) {
        w->lease = *lease;
        w->has_lease = true;
    } else {
        w->leader = true;
    }
    w->rng = (uint64_t)cr_watch__now_ms() * 2654435761u ^ (uint64_t)getpid() << 32 ^ 0x9e3779b97f4a7c15u;
    cr_buf_init(&w->invalid_message);
    cr_buf_init(&w->holder);
    cr_buf_init(&w->last.message);
    cr_buf_init(&w->url_redacted);
    int rc = cr_watch_redact_url(&w->url_redacted, settings->remote.url);
    if (rc == 0 && settings->notify_url != NULL)
        rc = cr_watch_notifier_new(&w->notifier, settings->notify_url);
    if (rc == 0 && settings->listen != NULL)
        rc = cr_watch_http_start(&w->http, w, settings->listen);
    if (rc != 0) {
        cr_watch_free(w);
        return rc;
    }
    if (settings->json_logs)
        cr_log_set_sink(s_log_sink, w);
    *out = w;
    return 0;
}

void cr_watch_set_reload(struct cr_watch *w, cr_watch_reload_fn *fn, void *ctx)
{
    w->reload = fn;
    w->reload_ctx = ctx;
}

unsigned cr_watch_port(const struct cr_watch *w)
{
    return w->http != NULL ? cr_watch_http_port(w->http) : 0;
}

static void s_flag(struct cr_watch *w, bool *flag)
{
    pthread_mutex_lock(&w->lock);
    *flag = true;
    pthread_cond_broadcast(&w->cond);
    pthread_mutex_unlock(&w->lock);
}

void cr_watch_stop(struct cr_watch *w)
{
    s_flag(w, &w->stopping);
}

void cr_watch_trigger(struct cr_watch *w)
{
    s_flag(w, &w->triggered);
}

void cr_watch_request_reload(struct cr_watch *w)
{
    s_flag(w, &w->reload_requested);
}

bool cr_watch_stopping(struct cr_watch *w)
{
    pthread_mutex_lock(&w->lock);
    bool stopping = w->stopping;
    pthread_mutex_unlock(&w->lock);
    return stopping;
}

bool cr_watch_ready(struct cr_watch *w)
{
    pthread_mutex_lock(&w->lock);
    bool ready = w->ready;
    pthread_mutex_unlock(&w->lock);
    return ready;
}

void cr_watch_free(struct cr_watch *w)
{
    if (w == NULL)
        return;
    if (w->settings.json_logs)
        cr_log_set_sink(NULL, NULL);
    cr_watch_http_stop(w->http);
    cr_watch_notifier_free(w->notifier);
    cr_buf_dispose(&w->invalid_message);
    cr_buf_dispose(&w->holder);
    cr_buf_dispose(&w->last.message);
    cr_buf_dispose(&w->url_redacted);
    cr_strlist_dispose(&w->drifted);
    pthread_cond_destroy(&w->cond);
    pthread_mutex_destroy(&w->lock);
    free(w);
}

/* ---- the loop ---- */

static uint64_t s_interval(const struct cr_watch *w)
{
    return w->settings.interval_ms ? w->settings.interval_ms : CR_WATCH_DEFAULT_INTERVAL_MS;
}

static uint64_t s_poll(const struct cr_watch *w)
{
    return w->settings.standby_poll_ms ? w->settings.standby_poll_ms : 2000;
}

/* Re-reads the configuration when SIGHUP asked; the old settings stay on failure. */
static void s_maybe_reload(struct cr_watch *w)
{
    pthread_mutex_lock(&w->lock);
    bool asked = w->reload_requested;
    w->reload_requested = false;
    pthread_mutex_unlock(&w->lock);
    if (!asked || w->reload == NULL)
        return;
    struct cr_watch_settings next = w->settings;
    int rc = w->reload(w->reload_ctx, &next);
    if (rc != 0) {
        cr_watch_log(w, "error", "reload_failed", NULL, NULL,
                     "configuration not reloaded (the running one stays): %s", cr_error_last());
        return;
    }
    pthread_mutex_lock(&w->lock);
    /* the server, the notifier and the log format keep what they started with */
    next.listen = w->settings.listen;
    next.notify_url = w->settings.notify_url;
    next.json_logs = w->settings.json_logs;
    next.lock_url = w->settings.lock_url;
    w->settings = next;
    w->triggered = true; /* the new configuration is applied at once */
    pthread_mutex_unlock(&w->lock);
    cr_watch_log(w, "info", "reloaded", NULL, NULL,
                 "configuration reloaded (--listen, --notify, --log-format and --lock need a "
                 "restart)");
}

/* With a lease: keep it or try to take it. Returns true when this replica leads. */
static bool s_lead(struct cr_watch *w)
{
    if (!w->has_lease)
        return true;
    if (w->leader) {
        if (w->lease.check(w->lease.ctx) == 0)
            return true;
        cr_watch_log(w, "warn", "lease_lost", NULL, NULL, "lost the lease: %s; standing by",
                     cr_error_last());
        w->lease.release(w->lease.ctx);
        pthread_mutex_lock(&w->lock);
        w->leader = false;
        w->lease_changes++;
        pthread_mutex_unlock(&w->lock);
        s_event(w, "lease_lost", NULL, cr_error_last());
        return false;
    }
    struct cr_buf holder = CR_BUF_INIT;
    int rc = w->lease.acquire(w->lease.ctx, &holder);
    pthread_mutex_lock(&w->lock);
    cr_buf_clear(&w->holder);
    if (rc == 0) {
        w->leader = true;
        w->lease_changes++;
        w->triggered = true; /* a new leader reconciles at once */
    } else {
        cr_buf_puts(&w->holder, rc == CR_ECONFLICT && holder.ptr ? holder.ptr : cr_error_last());
    }
    bool first_standby = rc != 0 && w->last_success_ms == 0 && !w->last.ran;
    pthread_mutex_unlock(&w->lock);
    if (rc == 0) {
        cr_watch_log(w, "info", "lease_gained", NULL, NULL, "holding the lease %s: leading",
                     w->settings.lock_url ? w->settings.lock_url : "");
        s_event(w, "lease_gained", NULL, NULL);
    } else if (first_standby) {
        cr_watch_log(w, "info", "standby", NULL, NULL, "standing by: %s",
                     holder.ptr ? holder.ptr : cr_error_last());
    }
    cr_buf_dispose(&holder);
    return rc == 0;
}

/* Waits until the monotonic time due_ms, a trigger or the stop. */
static void s_wait(struct cr_watch *w, uint64_t due_ms)
{
    pthread_mutex_lock(&w->lock);
    while (!w->stopping && !w->triggered && !w->reload_requested && s_mono_ms() < due_ms) {
        struct timespec ts = {(time_t)(due_ms / 1000u), (long)(due_ms % 1000u) * 1000000L};
        pthread_cond_timedwait(&w->cond, &w->lock, &ts);
    }
    pthread_mutex_unlock(&w->lock);
}

/* Chooses the revision to reconcile; returns false when there is none (the head is invalid
 * and nothing was ever applied). */
static bool s_target(struct cr_watch *w, char target[CR_GIT_OID_HEX + 1])
{
    pthread_mutex_lock(&w->lock);
    bool ok = true;
    if (w->invalid[0] != '\0' && strcmp(w->head, w->invalid) == 0) {
        /* skipped until the branch moves: the last good revision stays reconciled */
        ok = w->applied[0] != '\0';
        memcpy(target, w->applied, CR_GIT_OID_HEX + 1);
    } else {
        memcpy(target, w->head, CR_GIT_OID_HEX + 1);
    }
    pthread_mutex_unlock(&w->lock);
    return ok;
}

/* The events and log lines of a finished cycle. */
static void s_report(struct cr_watch *w, const struct cr_watch_cycle *c, size_t ndrift,
                     bool drift_changed, bool new_failure)
{
    const char *rev = c->revision;
    const char *msg = cr_buf_cstr(&c->message);
    switch (c->outcome) {
    case CR_WATCH_SUCCESS:
        if (c->new_revision && c->drift == CR_WATCH_REPAIR) {
            cr_watch_log(w, "info", "applied", NULL, NULL, "revision %.12s applied: %zu call%s",
                         rev, c->written, c->written == 1 ? "" : "s");
            s_event(w, "applied", rev, NULL);
        } else if (ndrift > 0 && c->drift == CR_WATCH_REPAIR) {
            cr_watch_log(w, "warn", "drift_repaired", NULL, NULL,
                         "drift in %zu pool%s repaired: %zu call%s", ndrift,
                         ndrift == 1 ? "" : "s", c->written, c->written == 1 ? "" : "s");
            s_event(w, "drift_repaired", rev, NULL);
        } else if (ndrift > 0 && drift_changed) {
            cr_watch_log(w, "warn", "drift_found", NULL, NULL,
                         "drift in %zu pool%s (report only: nothing changed)", ndrift,
                         ndrift == 1 ? "" : "s");
            s_event(w, "drift_found", rev, NULL);
        }
        break;
    case CR_WATCH_INVALID:
        cr_watch_log(w, "error", "revision_invalid", NULL, NULL,
                     "revision %.12s is invalid and skipped (nothing written): %s", rev, msg);
        if (new_failure)
            s_event(w, "cycle_failed", rev, msg);
        break;
    case CR_WATCH_FAILED:
    default:
        cr_watch_log(w, "error", "cycle_failed", NULL, NULL, "cycle failed: %s", msg);
        if (new_failure)
            s_event(w, "cycle_failed", rev[0] ? rev : NULL, msg);
        break;
    }
}

/* Records the cycle's outcome and schedules the next one. Returns whether the failure (if it
 * is one) is new: a different message than the last cycle's. */
static bool s_record(struct cr_watch *w, struct cr_watch_cycle *c, int64_t started_ms,
                     uint64_t duration_ms, bool *drift_changed)
{
    pthread_mutex_lock(&w->lock);
    bool new_failure = c->outcome != CR_WATCH_SUCCESS &&
                       (w->last.outcome == CR_WATCH_SUCCESS || !w->last.ran ||
                        strcmp(cr_buf_cstr(&w->last.message) ? cr_buf_cstr(&w->last.message) : "",
                               cr_buf_cstr(&c->message) ? cr_buf_cstr(&c->message) : "") != 0);
    w->last.ran = true;
    w->last.outcome = c->outcome;
    snprintf(w->last.revision, sizeof(w->last.revision), "%s", c->revision);
    w->last.started_ms = started_ms;
    w->last.finished_ms = cr_watch__now_ms();
    w->last.duration_ms = duration_ms;
    w->last.planned = c->planned;
    w->last.written = c->written;
    cr_buf_clear(&w->last.message);
    cr_buf_puts(&w->last.message, cr_buf_cstr(&c->message) ? cr_buf_cstr(&c->message) : "");
    w->cycles[c->outcome]++;
    double s = (double)duration_ms / 1000.0;
    size_t b = 0;
    while (b < CR_WATCH_HIST_BUCKETS && s > cr_watch_hist_bounds[b])
        b++;
    w->hist[b]++;
    w->hist_sum_s += s;
    w->hist_count++;
    uint64_t delay = s_interval(w);
    *drift_changed = false;
    if (c->outcome == CR_WATCH_SUCCESS) {
        *drift_changed = !cr_strlist_set_equal(&w->drifted, &c->drifted);
        cr_strlist_dispose(&w->drifted);
        w->drifted = c->drifted; /* now owned by the controller */
        memset(&c->drifted, 0, sizeof(c->drifted));
        if (w->drifted.len > 0)
            w->drift_cycles++;
        memcpy(w->applied, c->revision, sizeof(w->applied));
        if (strcmp(w->head, c->revision) == 0) /* the branch moved past an invalid commit */
            w->invalid[0] = '\0';
        w->ready = true;
        w->failures = 0;
        w->last_success_ms = w->last.finished_ms;
    } else if (c->outcome == CR_WATCH_INVALID) {
        memcpy(w->invalid, c->revision, sizeof(w->invalid));
        cr_buf_clear(&w->invalid_message);
        cr_buf_puts(&w->invalid_message, cr_buf_cstr(&c->message) ? cr_buf_cstr(&c->message) : "");
        /* the last good revision is reconciled again right away (drift repair goes on) */
        delay = w->applied[0] != '\0' ? 0 : delay;
    } else {
        /* transient: exponential backoff with jitter, never longer than the interval */
        uint64_t base = w->settings.retry_base_ms ? w->settings.retry_base_ms : CR_WATCH_RETRY_BASE_MS;
        unsigned n = w->failures < 20 ? w->failures : 20;
        uint64_t backoff = base << n;
        backoff = backoff < delay ? backoff : delay;
        delay = backoff / 2 + (uint64_t)(s_random(w) * (double)(backoff / 2));
        w->failures++;
    }
    w->next_mono_ms = s_mono_ms() + delay;
    w->next_run_ms = cr_watch__now_ms() + (int64_t)delay;
    pthread_mutex_unlock(&w->lock);
    return new_failure;
}

/* One cycle: fetch, choose the revision, run the cycle function, record. */
static void s_cycle(struct cr_watch *w)
{
    struct cr_watch_cycle c;
    struct cr_git_revision rev;
    char target[CR_GIT_OID_HEX + 1] = "";
    memset(&c, 0, sizeof(c));
    cr_buf_init(&c.message);
    int64_t started = cr_watch__now_ms();
    uint64_t t0 = s_mono_ms();
    pthread_mutex_lock(&w->lock);
    struct cr_watch_settings st = w->settings;
    w->triggered = false;
    pthread_mutex_unlock(&w->lock);
    c.drift = st.drift;
    c.git_dir = st.remote.cache_dir;
    c.revision = target;
    int rc = cr_source_git_fetch(&rev, &st.remote);
    if (rc != 0) {
        c.outcome = CR_WATCH_FAILED;
        cr_buf_puts(&c.message, cr_error_last());
    } else {
        pthread_mutex_lock(&w->lock);
        bool moved = strcmp(w->head, rev.id) != 0;
        memcpy(w->head, rev.id, sizeof(w->head));
        pthread_mutex_unlock(&w->lock);
        if (moved)
            cr_watch_log(w, "info", "fetched", NULL, NULL, "branch %s is at %.12s",
                         st.remote.branch, rev.id);
        if (!s_target(w, target)) {
            c.outcome = CR_WATCH_INVALID;
            pthread_mutex_lock(&w->lock);
            cr_buf_puts(&c.message, cr_buf_cstr(&w->invalid_message));
            pthread_mutex_unlock(&w->lock);
            memcpy(target, rev.id, sizeof(target));
        } else {
            pthread_mutex_lock(&w->lock);
            c.new_revision = strcmp(target, w->applied) != 0;
            pthread_mutex_unlock(&w->lock);
            w->cycle(w->cycle_ctx, &c);
        }
    }
    bool drift_changed = false;
    size_t ndrift = c.drifted.len; /* s_record takes the list */
    bool new_failure = s_record(w, &c, started, s_mono_ms() - t0, &drift_changed);
    s_report(w, &c, ndrift, drift_changed, new_failure);
    cr_buf_dispose(&c.message);
    cr_strlist_dispose(&c.drifted);
}

int cr_watch_run(struct cr_watch *w)
{
    char interval[32];
    pthread_mutex_lock(&w->lock);
    w->triggered = true; /* the first cycle runs at once */
    pthread_mutex_unlock(&w->lock);
    cr_watch_log(w, "info", "started", NULL, NULL, "watching %s branch %s every %s (%s)",
                 cr_buf_cstr(&w->url_redacted), w->settings.remote.branch,
                 cr_duration_format(interval, sizeof(interval), s_interval(w)),
                 w->settings.drift == CR_WATCH_REPORT ? "drift report" : "drift repair");
    for (;;) {
        pthread_mutex_lock(&w->lock);
        bool stop = w->stopping;
        pthread_mutex_unlock(&w->lock);
        if (stop)
            break;
        s_maybe_reload(w);
        bool lead = s_lead(w);
        pthread_mutex_lock(&w->lock);
        bool due = lead && (w->triggered || s_mono_ms() >= w->next_mono_ms);
        pthread_mutex_unlock(&w->lock);
        if (due)
            s_cycle(w);
        uint64_t wake = lead ? w->next_mono_ms : s_mono_ms() + s_poll(w);
        if (w->has_lease && lead && wake > s_mono_ms() + s_poll(w))
            wake = s_mono_ms() + s_poll(w); /* notice a lost lease while idle */
        s_wait(w, wake);
    }
    if (w->has_lease && w->leader) {
        w->lease.release(w->lease.ctx);
        pthread_mutex_lock(&w->lock);
        w->leader = false;
        pthread_mutex_unlock(&w->lock);
        cr_watch_log(w, "info", "lease_released", NULL, NULL, "released the lease");
        s_event(w, "lease_lost", NULL, "released on shutdown");
    }
    cr_watch_log(w, "info", "stopped", NULL, NULL, "stopped");
    return 0;
}

/* ---- /status ---- */

static json_t *s_last_json(const struct cr_watch *w)
{
    if (!w->last.ran)
        return json_null();
    char started[32], finished[32];
    cr_watch__iso(started, w->last.started_ms);
    cr_watch__iso(finished, w->last.finished_ms);
    return json_pack("{s:s, s:s, s:s, s:s, s:f, s:I, s:I, s:s?}", "result",
                     s_outcome_names[w->last.outcome], "revision", w->last.revision, "started",
                     started, "finished", finished, "duration_seconds",
                     (double)w->last.duration_ms / 1000.0, "calls_planned",
                     (json_int_t)w->last.planned, "calls_made", (json_int_t)w->last.written,
                     "message", w->last.message.len ? w->last.message.ptr : NULL);
}

static json_t *s_status_locked(const struct cr_watch *w)
{
    char next[32] = "";
    json_t *drifted = json_array();
    for (size_t i = 0; drifted != NULL && i < w->drifted.len; i++)
        json_array_append_new(drifted, json_string(w->drifted.items[i]));
    if (w->next_run_ms)
        cr_watch__iso(next, w->next_run_ms);
    json_t *invalid = w->invalid[0] == '\0'
                          ? json_null()
                          : json_pack("{s:s, s:s}", "revision", w->invalid, "message",
                                      cr_buf_cstr(&w->invalid_message) ? w->invalid_message.ptr : "");
    json_t *lease = json_null();
    if (w->has_lease)
        lease = json_pack("{s:s?, s:b, s:s?}", "lock", w->settings.lock_url, "leader", w->leader,
                          "holder", !w->leader && w->holder.len ? w->holder.ptr : NULL);
    return json_pack(
        "{s:s, s:s, s:s, s:s, s:s?, s:s?, s:o, s:s?, s:o, s:o, s:o, s:b, s:{s:I, s:I, s:I}}",
        "format_version", "1", "url", cr_buf_cstr(&w->url_redacted), "branch",
        w->settings.remote.branch, "drift_mode",
        w->settings.drift == CR_WATCH_REPORT ? "report" : "repair", "revision",
        w->applied[0] ? w->applied : NULL, "head", w->head[0] ? w->head : NULL, "last_cycle",
        s_last_json(w), "next_run", next[0] && w->leader ? next : NULL, "drifted_pools",
        drifted ? drifted : json_array(), "invalid_revision", invalid, "lease",
        lease ? lease : json_null(), "ready", w->ready, "cycles", "success",
        (json_int_t)w->cycles[CR_WATCH_SUCCESS], "invalid",
        (json_int_t)w->cycles[CR_WATCH_INVALID], "failed", (json_int_t)w->cycles[CR_WATCH_FAILED]);
}

int cr_watch_status_json(struct cr_buf *out, struct cr_watch *w)
{
    pthread_mutex_lock(&w->lock);
    json_t *doc = s_status_locked(w);
    pthread_mutex_unlock(&w->lock);
    char *text = doc != NULL ? json_dumps(doc, JSON_INDENT(2) | JSON_SORT_KEYS) : NULL;
    json_decref(doc);
    int rc = text != NULL ? cr_buf_puts(out, text) : CR_ENOMEM;
    if (rc == 0)
        rc = cr_buf_putc(out, '\n');
    free(text);
    if (rc != 0) {
        cr_error_set("out of memory writing the status");
        return CR_ENOMEM;
    }
    return 0;
}

int cr_watch_metrics_text(struct cr_buf *out, struct cr_watch *w)
{
    pthread_mutex_lock(&w->lock);
    int rc = cr_watch__metrics_locked(out, w);
    pthread_mutex_unlock(&w->lock);
    return rc;
}
