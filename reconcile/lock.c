/* SPDX-License-Identifier: Apache-2.0 */
/*
 * The run lock: a lease in one object of a store with conditional writes (reconcile/lock.h,
 * docs/locking.md). Two mutexes: `mu` guards the lease state and is held only briefly (the
 * write guard reads it before every write call), `store_mu` serialises the store calls, which
 * may take as long as a request's timeout (the keeper renews, a signal thread releases).
 */
#include "reconcile/lock.h"

#include <errno.h>
#include <inttypes.h>
#include <jansson.h>
#include <pthread.h>
#include <pwd.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/random.h>
#include <time.h>
#include <unistd.h>

#include "util/log.h"
#include "util/strutil.h"

enum { S_MAX_RACES = 10, S_POLL_FIRST_MS = 200, S_POLL_MAX_MS = 10000 };

struct cr_lock {
    struct cr_lock_store *store;
    struct cr_lock_lease lease; /* ours: etag and expires_ms change with renewals (under mu) */
    uint32_t lease_ms;
    uint32_t margin_ms;
    cr_lock_clock_fn *clock;
    void *clock_ctx;

    pthread_mutex_t mu;
    pthread_mutex_t store_mu;
    pthread_cond_t wake; /* the keeper's sleep (CLOCK_MONOTONIC) */
    bool lost;
    char *lost_why;     /* why cr_lock_check fails after a loss */
    char *renew_error;  /* the last failed renewal, until one succeeds */
    int interrupted;    /* the signal, or 0 */
    bool writing;       /* cr_lock_begin_writes was called */
    bool released;      /* the object was deleted (or the lease given up) */
    bool stop;          /* the keeper must end */
    unsigned long renewals;
    bool keeper_running;
    pthread_t keeper;
};

/* ---- leases: JSON and time ---- */

void cr_lock_lease_dispose(struct cr_lock_lease *lease)
{
    if (!lease)
        return;
    free(lease->etag);
    free(lease->id);
    free(lease->host);
    free(lease->user);
    free(lease->stack);
    free(lease->command);
    free(lease->revision);
    memset(lease, 0, sizeof(*lease));
}

/* "2026-12-06T07:30:00.123Z" (UTC) into out[32]. */
static void s_time_text(char out[32], int64_t ms)
{
    time_t secs = (time_t)(ms / 1000);
    struct tm tm;
    gmtime_r(&secs, &tm);
    size_t n = strftime(out, 32, "%Y-%m-%dT%H:%M:%S", &tm);
    snprintf(out + n, 32 - n, ".%03dZ", (int)(ms % 1000));
}

/* Parses RFC 3339 UTC ("...Z", fraction optional); false when it is not that. */
static bool s_time_parse(int64_t *out, const char *s)
{
    struct tm tm;
    memset(&tm, 0, sizeof(tm));
    const char *p = s ? strptime(s, "%Y-%m-%dT%H:%M:%S", &tm) : NULL;
    if (!p)
        return false;
    int64_t frac = 0;
    if (*p == '.') {
        int64_t scale = 100;
        for (p++; *p >= '0' && *p <= '9'; p++, scale /= 10)
            frac += scale * (*p - '0');
    }
    if (strcmp(p, "Z") != 0)
        return false;
    *out = (int64_t)timegm(&tm) * 1000 + frac;
    return true;
}

int cr_lock__encode(struct cr_buf *out, const struct cr_lock_lease *lease)
{
    char since[32], expires[32];
    s_time_text(since, lease->since_ms);
    s_time_text(expires, lease->expires_ms);
    json_t *doc = json_pack("{s:i, s:s, s:{s:s, s:s, s:I}, s:s, s:s, s:s?, s:s, s:s}", "version",
                            CR_LOCK_VERSION, "id", lease->id, "who", "host", lease->host, "user",
                            lease->user, "pid", (json_int_t)lease->pid, "stack", lease->stack,
                            "command", lease->command, "revision", lease->revision, "since", since,
                            "expires", expires);
    char *text = doc ? json_dumps(doc, JSON_INDENT(2) | JSON_PRESERVE_ORDER) : NULL;
    json_decref(doc);
    int rc = text && cr_buf_puts(out, text) == 0 && cr_buf_putc(out, '\n') == 0 ? 0 : CR_ENOMEM;
    free(text);
    if (rc < 0)
        cr_error_set("out of memory writing the lock lease");
    return rc;
}

static char *s_dup_member(json_t *obj, const char *key, bool *oom)
{
    json_t *v = json_object_get(obj, key);
    return json_is_string(v) ? cr_strdup_null(json_string_value(v), oom) : NULL;
}

int cr_lock__decode(struct cr_lock_lease *out, const char *body, size_t len)
{
    char *etag = out->etag;
    out->etag = NULL;
    cr_lock_lease_dispose(out);
    out->etag = etag;
    json_t *doc = json_loadb(body, len, JSON_REJECT_DUPLICATES, NULL);
    json_t *who = json_object_get(doc, "who");
    bool oom = false;
    if (!json_is_object(doc) || json_integer_value(json_object_get(doc, "version")) < 1) {
        json_decref(doc);
        return 0; /* not a lease: valid stays false */
    }
    out->id = s_dup_member(doc, "id", &oom);
    out->host = s_dup_member(who, "host", &oom);
    out->user = s_dup_member(who, "user", &oom);
    out->pid = (long)json_integer_value(json_object_get(who, "pid"));
    out->stack = s_dup_member(doc, "stack", &oom);
    out->command = s_dup_member(doc, "command", &oom);
    out->revision = s_dup_member(doc, "revision", &oom);
    bool times = s_time_parse(&out->since_ms, json_string_value(json_object_get(doc, "since"))) &&
                 s_time_parse(&out->expires_ms, json_string_value(json_object_get(doc, "expires")));
    out->valid = !oom && out->id && out->id[0] && times;
    if (!out->valid)
        out->expires_ms = 0;
    json_decref(doc);
    if (oom) {
        cr_error_set("out of memory reading the lock lease");
        return CR_ENOMEM;
    }
    return 0;
}

int cr_lock_lease_describe(struct cr_buf *out, const struct cr_lock_lease *lease, int64_t now_ms)
{
    if (!lease->valid) {
        cr_buf_printf(out, "an object that is not a cognito-reconcile lease (ETag %s)",
                      lease->etag ? lease->etag : "unknown");
        return cr_buf_error(out);
    }
    char since[32], expires[32];
    s_time_text(since, lease->since_ms);
    s_time_text(expires, lease->expires_ms);
    cr_buf_printf(out, "%s@%s (pid %ld), %s of stack '%s'", lease->user ? lease->user : "?",
                  lease->host ? lease->host : "?", lease->pid,
                  lease->command ? lease->command : "?", lease->stack ? lease->stack : "?");
    if (lease->revision)
        cr_buf_printf(out, " at revision %.12s", lease->revision);
    cr_buf_printf(out, ", since %s, lease %s ", since, lease->id);
    int64_t left = lease->expires_ms - now_ms;
    if (left >= 0)
        cr_buf_printf(out, "expires at %s (in %" PRId64 " s)", expires, (left + 999) / 1000);
    else
        cr_buf_printf(out, "expired at %s (%" PRId64 " s ago)", expires, -left / 1000);
    return cr_buf_error(out);
}

/* ---- the store ---- */

void cr_lock_store_free(struct cr_lock_store *store)
{
    if (!store)
        return;
    if (store->ops && store->ops->free)
        store->ops->free(store->ctx);
    free(store->where);
    free(store);
}

int cr_lock_read(struct cr_lock_lease *out, struct cr_lock_store *store)
{
    struct cr_buf body = CR_BUF_INIT, etag = CR_BUF_INIT;
    cr_lock_lease_dispose(out);
    int rc = store->ops->read(store->ctx, &body, &etag);
    if (rc == 0) {
        out->etag = cr_buf_detach(&etag);
        rc = out->etag ? cr_lock__decode(out, body.ptr ? body.ptr : "", body.len) : CR_ENOMEM;
    } else if (rc == CR_ENOTFOUND) {
        cr_error_set("no lock is held at %s", store->where);
    }
    cr_buf_dispose(&body);
    cr_buf_dispose(&etag);
    return rc;
}

/* ETags compare without their quotes (and without a W/ prefix). */
static bool s_etag_eq(const char *a, const char *b)
{
    if (!a || !b)
        return false;
    if (strncmp(a, "W/", 2) == 0)
        a += 2;
    if (strncmp(b, "W/", 2) == 0)
        b += 2;
    size_t la = strlen(a), lb = strlen(b);
    if (la >= 2 && a[0] == '"' && a[la - 1] == '"')
        a++, la -= 2;
    if (lb >= 2 && b[0] == '"' && b[lb - 1] == '"')
        b++, lb -= 2;
    return la == lb && strncmp(a, b, la) == 0;
}

int cr_lock_force_unlock(struct cr_lock_lease *out, struct cr_lock_store *store, const char *id,
                         int64_t now_ms)
{
    int rc = cr_lock_read(out, store);
    if (rc < 0)
        return rc;
    bool match = out->valid ? strcmp(out->id, id) == 0 : s_etag_eq(out->etag, id);
    if (!match) {
        struct cr_buf who = CR_BUF_INIT;
        rc = cr_lock_lease_describe(&who, out, now_ms);
        cr_error_set("%s is not held by %s but by %s; nothing was deleted", store->where, id,
                     rc == 0 ? who.ptr : "?");
        cr_buf_dispose(&who);
        return CR_ECONFLICT;
    }
    rc = store->ops->remove(store->ctx, out->etag);
    if (rc == CR_ECONFLICT)
        cr_error_set("%s changed while it was being unlocked (renewed or taken over); nothing "
                     "was deleted: read it again",
                     store->where);
    else if (rc == CR_ENOTFOUND)
        cr_error_set("%s was released meanwhile", store->where);
    return rc;
}

/* ---- holding ---- */

uint32_t cr_lock_margin_ms(uint32_t lease_ms)
{
    uint32_t m = lease_ms / 4;
    return m < CR_LOCK_MAX_MARGIN_MS ? m : CR_LOCK_MAX_MARGIN_MS;
}

static int64_t s_real_clock(void *ctx)
{
    (void)ctx;
    struct timespec ts;
    clock_gettime(CLOCK_REALTIME, &ts);
    return (int64_t)ts.tv_sec * 1000 + ts.tv_nsec / 1000000;
}

static void s_real_sleep(void *ctx, uint32_t ms)
{
    (void)ctx;
    struct timespec ts = {.tv_sec = ms / 1000, .tv_nsec = (long)(ms % 1000) * 1000000L};
    while (nanosleep(&ts, &ts) != 0 && errno == EINTR)
        ;
}

static int64_t s_now(const struct cr_lock *lk)
{
    return lk->clock(lk->clock_ctx);
}

/* A random lease id: 32 hex digits. */
static int s_random_id(char **out)
{
    unsigned char b[16];
    if (getrandom(b, sizeof(b), 0) != (ssize_t)sizeof(b)) {
        cr_error_set("no random bytes for the lock lease id: %s", strerror(errno));
        return CR_ERROR;
    }
    char *id = malloc(33);
    if (!id) {
        cr_error_set("out of memory");
        return CR_ENOMEM;
    }
    for (size_t i = 0; i < sizeof(b); i++)
        snprintf(id + 2 * i, 3, "%02x", b[i]);
    *out = id;
    return 0;
}

/* Our lease from the options (who defaults to this process). */
static int s_lease_init(struct cr_lock_lease *l, const struct cr_lock_options *opts)
{
    char host[256] = "", uid[32], buf[1024];
    const char *user = opts->user;
    if (!opts->host && gethostname(host, sizeof(host) - 1) != 0)
        snprintf(host, sizeof(host), "unknown-host");
    if (!user) { /* a container's uid may have no entry in the user database */
        struct passwd pw, *res = NULL;
        snprintf(uid, sizeof(uid), "uid %u", (unsigned)geteuid());
        user = getpwuid_r(geteuid(), &pw, buf, sizeof(buf), &res) == 0 && res ? res->pw_name : uid;
    }
    bool oom = false;
    l->host = cr_strdup_null(opts->host ? opts->host : host, &oom);
    l->user = cr_strdup_null(user, &oom);
    l->pid = opts->pid ? opts->pid : (long)getpid();
    l->stack = cr_strdup_null(opts->stack ? opts->stack : "default", &oom);
    l->command = cr_strdup_null(opts->command ? opts->command : "apply", &oom);
    l->revision = cr_strdup_null(opts->revision, &oom);
    if (oom) {
        cr_error_set("out of memory");
        return CR_ENOMEM;
    }
    l->valid = true;
    return s_random_id(&l->id);
}

/* The body of our lease with a new expiry from now. */
static int s_body(struct cr_buf *out, struct cr_lock *lk, int64_t now, int64_t *expires)
{
    struct cr_lock_lease l = lk->lease;
    l.expires_ms = now + lk->lease_ms;
    *expires = l.expires_ms;
    cr_buf_clear(out);
    return cr_lock__encode(out, &l);
}

/*
 * After an ambiguous write of body: read the object back. 0 when it holds exactly body (etag
 * set: the write happened); CR_EAMBIGUOUS when it still holds our lease as it was (it did not:
 * try again); CR_ECONFLICT when another lease holds it; CR_ENOTFOUND when it is gone.
 */
static int s_read_back(struct cr_lock *lk, struct cr_buf *etag, const struct cr_buf *body)
{
    struct cr_buf got = CR_BUF_INIT, tag = CR_BUF_INIT;
    int rc = lk->store->ops->read(lk->store->ctx, &got, &tag);
    if (rc == 0) {
        struct cr_lock_lease seen = {0};
        rc = cr_lock__decode(&seen, got.ptr ? got.ptr : "", got.len);
        bool ours = rc == 0 && seen.valid && strcmp(seen.id, lk->lease.id) == 0;
        if (rc == 0 && ours && got.len == body->len && memcmp(got.ptr, body->ptr, got.len) == 0) {
            cr_buf_clear(etag);
            rc = cr_buf_puts(etag, tag.ptr ? tag.ptr : "");
        } else if (rc == 0) {
            rc = ours ? CR_EAMBIGUOUS : CR_ECONFLICT;
        }
        cr_lock_lease_dispose(&seen);
    }
    cr_buf_dispose(&got);
    cr_buf_dispose(&tag);
    return rc;
}

static void s_set_str(char **slot, const char *text)
{
    free(*slot);
    *slot = strdup(text);
}

/* Records the loss of the lease (under mu), naming who holds the object now if it can. */
static void s_mark_lost(struct cr_lock *lk, const char *how)
{
    struct cr_lock_lease now = {0};
    struct cr_buf msg = CR_BUF_INIT;
    int rc = cr_lock_read(&now, lk->store);
    cr_buf_printf(&msg, "the lock %s was lost: lease %s %s", lk->store->where, lk->lease.id, how);
    if (rc == 0) {
        cr_buf_puts(&msg, "; it is now held by ");
        (void)!cr_lock_lease_describe(&msg, &now, s_now(lk));
    } else if (rc == CR_ENOTFOUND) {
        cr_buf_puts(&msg, "; the lock object is gone (force-unlocked?)");
    }
    cr_lock_lease_dispose(&now);
    pthread_mutex_lock(&lk->mu);
    lk->lost = true;
    s_set_str(&lk->lost_why, msg.ptr ? msg.ptr : "the lock was lost");
    pthread_mutex_unlock(&lk->mu);
    cr_buf_dispose(&msg);
}

/* Writes our lease with a new expiry: create (take), replace if_match (take over, renew).
 * On success lk->lease.etag / expires_ms are the new ones. */
static int s_write(struct cr_lock *lk, const char *if_match)
{
    struct cr_buf body = CR_BUF_INIT, etag = CR_BUF_INIT;
    int64_t expires = 0;
    int rc = s_body(&body, lk, s_now(lk), &expires);
    if (rc == 0)
        rc = if_match ? lk->store->ops->replace(lk->store->ctx, &etag, if_match, body.ptr, body.len)
                      : lk->store->ops->create(lk->store->ctx, &etag, body.ptr, body.len);
    if (rc == CR_EAMBIGUOUS)
        rc = s_read_back(lk, &etag, &body);
    if (rc == 0) {
        char *tag = cr_buf_detach(&etag);
        if (!tag) {
            cr_error_set("out of memory");
            rc = CR_ENOMEM;
        } else {
            pthread_mutex_lock(&lk->mu);
            free(lk->lease.etag);
            lk->lease.etag = tag;
            lk->lease.expires_ms = expires;
            pthread_mutex_unlock(&lk->mu);
        }
    }
    cr_buf_dispose(&body);
    cr_buf_dispose(&etag);
    return rc;
}

static struct cr_lock *s_new(struct cr_lock_store *store, const struct cr_lock_options *opts)
{
    struct cr_lock *lk = calloc(1, sizeof(*lk));
    if (!lk) {
        cr_error_set("out of memory");
        return NULL;
    }
    lk->store = store;
    lk->lease_ms = opts->lease_ms ? opts->lease_ms : CR_LOCK_DEFAULT_LEASE_MS;
    if (lk->lease_ms < CR_LOCK_MIN_LEASE_MS)
        lk->lease_ms = CR_LOCK_MIN_LEASE_MS;
    lk->margin_ms = cr_lock_margin_ms(lk->lease_ms);
    lk->clock = opts->clock ? opts->clock : s_real_clock;
    lk->clock_ctx = opts->clock_ctx;
    pthread_condattr_t ca;
    pthread_condattr_init(&ca);
    pthread_condattr_setclock(&ca, CLOCK_MONOTONIC);
    pthread_cond_init(&lk->wake, &ca);
    pthread_condattr_destroy(&ca);
    pthread_mutex_init(&lk->mu, NULL);
    pthread_mutex_init(&lk->store_mu, NULL);
    return lk;
}

static void s_destroy(struct cr_lock *lk, bool free_store)
{
    if (!lk)
        return;
    if (free_store)
        cr_lock_store_free(lk->store);
    cr_lock_lease_dispose(&lk->lease);
    free(lk->lost_why);
    free(lk->renew_error);
    pthread_cond_destroy(&lk->wake);
    pthread_mutex_destroy(&lk->mu);
    pthread_mutex_destroy(&lk->store_mu);
    free(lk);
}

/* The message for a lock still held when we stop waiting. */
static void s_held_message(struct cr_lock *lk, const struct cr_lock_lease *holder, int64_t waited)
{
    struct cr_buf who = CR_BUF_INIT;
    (void)!cr_lock_lease_describe(&who, holder, s_now(lk));
    cr_error_set("the lock %s is held by %s (waited %" PRId64 " s)", lk->store->where,
                 who.ptr ? who.ptr : "?", waited / 1000);
    cr_buf_dispose(&who);
}

/* The object exists: take it over when its lease expired beyond the margin. Returns 0 (ours
 * now), 1 (try again at once: it changed meanwhile), CR_ECONFLICT (held: *holder says by whom)
 * or the store's error. */
static int s_try_takeover(struct cr_lock *lk, struct cr_lock_lease *holder)
{
    int rc = cr_lock_read(holder, lk->store);
    if (rc == CR_ENOTFOUND)
        return 1; /* released meanwhile */
    if (rc < 0)
        return rc;
    int64_t now = s_now(lk);
    if (!holder->valid || holder->expires_ms == 0 ||
        now < holder->expires_ms + (int64_t)lk->margin_ms)
        return CR_ECONFLICT;
    rc = s_write(lk, holder->etag);
    if (rc == CR_ECONFLICT || rc == CR_ENOTFOUND)
        return 1; /* someone else renewed, took over or released first */
    if (rc == 0) {
        struct cr_buf who = CR_BUF_INIT;
        (void)!cr_lock_lease_describe(&who, holder, now);
        cr_log_info("took over the expired lock %s from %s", lk->store->where,
                    who.ptr ? who.ptr : "?");
        cr_buf_dispose(&who);
    }
    return rc;
}

int cr_lock_acquire(struct cr_lock **out, struct cr_lock_lease *held, struct cr_lock_store *store,
                    const struct cr_lock_options *opts)
{
    struct cr_lock_lease holder = {0};
    struct cr_lock *lk = s_new(store, opts);
    cr_lock_sleep_fn *sleep_fn = opts->sleep ? opts->sleep : s_real_sleep;
    int rc = lk ? s_lease_init(&lk->lease, opts) : CR_ENOMEM;
    int64_t start = lk ? s_now(lk) : 0;
    uint32_t poll = S_POLL_FIRST_MS;
    bool announced = false;
    *out = NULL;
    for (unsigned races = 0; rc == 0;) {
        lk->lease.since_ms = s_now(lk);
        rc = s_write(lk, NULL);
        if (rc == 0)
            break;
        if (rc == CR_EAMBIGUOUS || rc == CR_ENOTFOUND) {
            rc = ++races < S_MAX_RACES ? 0 : CR_ECONFLICT; /* try again */
            if (rc < 0)
                cr_error_set("the lock %s keeps changing; giving up", store->where);
            continue;
        }
        if (rc != CR_ECONFLICT)
            break;
        rc = s_try_takeover(lk, &holder);
        if (rc == 1) {
            rc = ++races < S_MAX_RACES ? 0 : CR_ECONFLICT;
            if (rc < 0)
                cr_error_set("the lock %s keeps changing; giving up", store->where);
            continue;
        }
        if (rc != CR_ECONFLICT)
            break;
        int64_t waited = s_now(lk) - start;
        if (waited >= (int64_t)opts->timeout_ms) {
            s_held_message(lk, &holder, waited);
            break;
        }
        if (!announced) {
            announced = true;
            struct cr_buf who = CR_BUF_INIT;
            (void)!cr_lock_lease_describe(&who, &holder, s_now(lk));
            cr_log_info("waiting for the lock %s, held by %s", store->where,
                        who.ptr ? who.ptr : "?");
            cr_buf_dispose(&who);
        }
        int64_t left = (int64_t)opts->timeout_ms - waited;
        sleep_fn(opts->sleep_ctx, (uint32_t)(left < poll ? left : poll));
        poll = poll * 2 < S_POLL_MAX_MS ? poll * 2 : S_POLL_MAX_MS;
        rc = 0;
        races = 0;
    }
    if (rc == 0) {
        *out = lk;
        cr_lock_lease_dispose(&holder);
        return 0;
    }
    if (held && rc == CR_ECONFLICT && holder.etag) {
        cr_lock_lease_dispose(held);
        *held = holder;
    } else {
        cr_lock_lease_dispose(&holder);
    }
    s_destroy(lk, false);
    return rc;
}

const struct cr_lock_lease *cr_lock_lease(const struct cr_lock *lk)
{
    return &lk->lease;
}

unsigned long cr_lock_renewals(const struct cr_lock *lk)
{
    pthread_mutex_lock((pthread_mutex_t *)&lk->mu);
    unsigned long n = lk->renewals;
    pthread_mutex_unlock((pthread_mutex_t *)&lk->mu);
    return n;
}

int cr_lock_renew(struct cr_lock *lk)
{
    pthread_mutex_lock(&lk->store_mu);
    pthread_mutex_lock(&lk->mu);
    bool lost = lk->lost, released = lk->released;
    char *etag = lk->lease.etag ? strdup(lk->lease.etag) : NULL;
    pthread_mutex_unlock(&lk->mu);
    int rc = 0;
    if (lost) {
        cr_error_set("%s", lk->lost_why);
        rc = CR_ECONFLICT;
    } else if (!released) {
        rc = etag ? s_write(lk, etag) : CR_ENOMEM;
        if (rc == CR_ECONFLICT || rc == CR_ENOTFOUND) {
            s_mark_lost(lk, rc == CR_ENOTFOUND ? "could not be renewed: the object was deleted"
                                               : "could not be renewed: the object changed");
            cr_error_set("%s", lk->lost_why);
            rc = CR_ECONFLICT;
        }
        pthread_mutex_lock(&lk->mu);
        if (rc == 0) {
            lk->renewals++;
            free(lk->renew_error);
            lk->renew_error = NULL;
        } else if (rc != CR_ECONFLICT) {
            s_set_str(&lk->renew_error, cr_error_last());
        }
        pthread_mutex_unlock(&lk->mu);
    }
    free(etag);
    pthread_mutex_unlock(&lk->store_mu);
    return rc;
}

/* The guard's verdict, under mu. */
static int s_check_locked(struct cr_lock *lk)
{
    if (lk->interrupted) {
        cr_error_set("interrupted (%s): stopped before the next write call",
                     lk->interrupted == SIGINT    ? "SIGINT"
                     : lk->interrupted == SIGTERM ? "SIGTERM"
                                                  : "signal");
        return CR_EREFUSED;
    }
    if (lk->lost) {
        cr_error_set("%s; stopped before the next write call", lk->lost_why);
        return CR_ECONFLICT;
    }
    if (lk->released) {
        cr_error_set("the lock %s was released; no more write calls", lk->store->where);
        return CR_EREFUSED;
    }
    int64_t now = s_now(lk);
    if (now >= lk->lease.expires_ms - (int64_t)lk->margin_ms) {
        char expires[32];
        s_time_text(expires, lk->lease.expires_ms);
        cr_error_set("the lease %s on the lock %s could not be renewed (%s) and expires at %s: "
                     "stopped before the next write call, so that no write follows another "
                     "run's takeover",
                     lk->lease.id, lk->store->where,
                     lk->renew_error ? lk->renew_error : "no renewal yet", expires);
        return CR_ETIMEOUT;
    }
    return 0;
}

int cr_lock_check(struct cr_lock *lk)
{
    pthread_mutex_lock(&lk->mu);
    int rc = s_check_locked(lk);
    pthread_mutex_unlock(&lk->mu);
    return rc;
}

int cr_lock_begin_writes(struct cr_lock *lk)
{
    pthread_mutex_lock(&lk->mu);
    int rc = s_check_locked(lk);
    if (rc == 0)
        lk->writing = true;
    pthread_mutex_unlock(&lk->mu);
    return rc;
}

/* The keeper: renews every third of the lease, and retries a failed renewal every tenth (at
 * least every 200 ms), until stopped or the lease is lost. */
static void *s_keeper(void *arg)
{
    struct cr_lock *lk = arg;
    uint32_t every = lk->lease_ms / 3, retry = lk->lease_ms / 10 > 200 ? lk->lease_ms / 10 : 200;
    uint32_t wait = every;
    pthread_mutex_lock(&lk->mu);
    while (!lk->stop && !lk->lost && !lk->released) {
        struct timespec due;
        clock_gettime(CLOCK_MONOTONIC, &due);
        due.tv_sec += wait / 1000;
        due.tv_nsec += (long)(wait % 1000) * 1000000L;
        if (due.tv_nsec >= 1000000000L) {
            due.tv_sec++;
            due.tv_nsec -= 1000000000L;
        }
        int w = 0;
        while (!lk->stop && w != ETIMEDOUT)
            w = pthread_cond_timedwait(&lk->wake, &lk->mu, &due);
        if (lk->stop)
            break;
        pthread_mutex_unlock(&lk->mu);
        int rc = cr_lock_renew(lk);
        if (rc == 0)
            cr_log_debug("renewed the lock lease %s", lk->lease.id);
        else if (rc == CR_ECONFLICT)
            cr_log_info("error: %s", cr_error_last());
        else
            cr_log_info("warning: could not renew the lock lease (%s); trying again",
                        cr_error_last());
        wait = rc == 0 ? every : retry;
        pthread_mutex_lock(&lk->mu);
    }
    pthread_mutex_unlock(&lk->mu);
    return NULL;
}

int cr_lock_start_keeper(struct cr_lock *lk)
{
    sigset_t all, old;
    sigfillset(&all);
    /* the keeper never takes the process's signals: they go to the thread that waits for them */
    pthread_sigmask(SIG_BLOCK, &all, &old);
    int rc = pthread_create(&lk->keeper, NULL, s_keeper, lk);
    pthread_sigmask(SIG_SETMASK, &old, NULL);
    if (rc != 0) {
        cr_error_set("cannot start the lock keeper thread: %s", strerror(rc));
        return CR_ERROR;
    }
    lk->keeper_running = true;
    return 0;
}

static void s_stop_keeper(struct cr_lock *lk)
{
    if (!lk->keeper_running)
        return;
    pthread_mutex_lock(&lk->mu);
    lk->stop = true;
    pthread_cond_broadcast(&lk->wake);
    pthread_mutex_unlock(&lk->mu);
    pthread_join(lk->keeper, NULL);
    lk->keeper_running = false;
}

/* How many times a release reads back and deletes again after ambiguous deletes. */
#define S_REMOVE_ROUNDS 5

/* Deletes the object if it still holds our lease (store_mu held by the caller). */
static int s_remove_ours(struct cr_lock *lk)
{
    pthread_mutex_lock(&lk->mu);
    char *etag = lk->lease.etag ? strdup(lk->lease.etag) : NULL;
    pthread_mutex_unlock(&lk->mu);
    if (!etag) {
        cr_error_set("out of memory");
        return CR_ENOMEM;
    }
    int rc = lk->store->ops->remove(lk->store->ctx, etag);
    /* Did it happen? Read back; still ours: delete again (the delete is conditional, so
     * sending it again is safe), a few times, or a store answering 500 now and then leaves
     * the lock to block every run until its lease expires. */
    for (unsigned round = 0; rc == CR_EAMBIGUOUS && round < S_REMOVE_ROUNDS; round++) {
        struct cr_lock_lease now = {0};
        rc = cr_lock_read(&now, lk->store);
        if (rc == CR_ENOTFOUND)
            rc = 0;
        else if (rc == 0 && s_etag_eq(now.etag, etag))
            rc = lk->store->ops->remove(lk->store->ctx, etag);
        else if (rc == 0)
            rc = CR_ECONFLICT;
        cr_lock_lease_dispose(&now);
    }
    if (rc == CR_ECONFLICT || rc == CR_ENOTFOUND) {
        s_mark_lost(lk, rc == CR_ENOTFOUND ? "was released by someone else"
                                           : "was replaced by another lease");
        cr_error_set("%s", lk->lost_why);
        rc = CR_ECONFLICT;
    }
    free(etag);
    return rc;
}

bool cr_lock_interrupt(struct cr_lock *lk, int signo)
{
    pthread_mutex_lock(&lk->mu);
    if (!lk->interrupted)
        lk->interrupted = signo;
    bool writing = lk->writing, done = lk->released || lk->lost;
    if (!writing)
        lk->released = true; /* no renewal from now on */
    pthread_cond_broadcast(&lk->wake);
    pthread_mutex_unlock(&lk->mu);
    if (writing)
        return false;
    if (!done) {
        pthread_mutex_lock(&lk->store_mu);
        int rc = s_remove_ours(lk);
        pthread_mutex_unlock(&lk->store_mu);
        if (rc < 0)
            cr_log_info("warning: %s", cr_error_last());
    }
    return true;
}

int cr_lock_interrupted(const struct cr_lock *lk)
{
    pthread_mutex_lock((pthread_mutex_t *)&lk->mu);
    int sig = lk->interrupted;
    pthread_mutex_unlock((pthread_mutex_t *)&lk->mu);
    return sig;
}

int cr_lock_release(struct cr_lock *lk)
{
    s_stop_keeper(lk);
    pthread_mutex_lock(&lk->mu);
    bool released = lk->released, lost = lk->lost;
    lk->released = true;
    pthread_mutex_unlock(&lk->mu);
    if (lost) {
        cr_error_set("%s", lk->lost_why);
        return CR_ECONFLICT;
    }
    if (released)
        return 0;
    pthread_mutex_lock(&lk->store_mu);
    int rc = s_remove_ours(lk);
    pthread_mutex_unlock(&lk->store_mu);
    return rc;
}

void cr_lock_free(struct cr_lock *lk)
{
    if (!lk)
        return;
    s_stop_keeper(lk);
    s_destroy(lk, true);
}
