/* SPDX-License-Identifier: Apache-2.0 */
/*
 * The lease logic of reconcile/lock.h against an in-memory store with S3's conditional-write
 * semantics (create only if absent, replace and delete only If-Match, 412 otherwise) and a
 * clock the test moves. The S3 store itself is tested against the emulator
 * (tests/integration/test_lock.sh). Includes a seeded property test: whatever the interleaving
 * of contenders, clock moves (with skews within the margin), ambiguous and failed writes, at no
 * moment do two contenders both pass the write guard.
 */
#include <pthread.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "reconcile/lock.h"
#include "tests/support/cr_test.h"

/* ---- the in-memory store ---- */

enum s_fault {
    S_FAULT_NONE,
    S_FAULT_AMBIGUOUS_DONE, /* the write happens, the caller hears CR_EAMBIGUOUS */
    S_FAULT_AMBIGUOUS_LOST, /* the write does not happen, the caller hears CR_EAMBIGUOUS */
    S_FAULT_IO,             /* nothing happens, CR_EIO */
};

struct s_mem {
    bool exists;
    char *body;
    unsigned long etag_seq;
    char etag[32];
    enum s_fault next_fault; /* applies to the next write (create/replace/remove) */
    unsigned fault_repeats;  /* ... and to that many writes after it */
    unsigned writes;         /* writes that happened */
    void (*before_replace)(void *);
    void *before_replace_ctx;
};

static void s_mem_put(struct s_mem *m, const char *body, size_t len)
{
    free(m->body);
    m->body = strndup(body, len);
    m->exists = true;
    snprintf(m->etag, sizeof(m->etag), "\"e%lu\"", ++m->etag_seq);
    m->writes++;
}

/* Applies the pending fault; returns the code to answer instead, or 1 to go on. */
static int s_fault(struct s_mem *m, bool *perform)
{
    enum s_fault f = m->next_fault;
    if (m->fault_repeats > 0)
        m->fault_repeats--;
    else
        m->next_fault = S_FAULT_NONE;
    *perform = f == S_FAULT_NONE || f == S_FAULT_AMBIGUOUS_DONE;
    switch (f) {
    case S_FAULT_AMBIGUOUS_DONE:
    case S_FAULT_AMBIGUOUS_LOST:
        cr_error_set("s3 PutObject: connection reset after sending");
        return CR_EAMBIGUOUS;
    case S_FAULT_IO:
        cr_error_set("s3: connection refused");
        return CR_EIO;
    case S_FAULT_NONE:
    default:
        return 1;
    }
}

static bool s_match(const struct s_mem *m, const char *if_match)
{
    return m->exists && strcmp(m->etag, if_match) == 0;
}

static int s_mem_create(void *ctx, struct cr_buf *etag, const char *body, size_t len)
{
    struct s_mem *m = ctx;
    bool perform;
    int answer = s_fault(m, &perform);
    if (perform && m->exists)
        return answer == 1 ? CR_ECONFLICT : answer;
    if (perform)
        s_mem_put(m, body, len);
    if (answer != 1)
        return answer;
    return cr_buf_puts(etag, m->etag);
}

static int s_mem_replace(void *ctx, struct cr_buf *etag, const char *if_match, const char *body,
                         size_t len)
{
    struct s_mem *m = ctx;
    if (m->before_replace) {
        void (*hook)(void *) = m->before_replace;
        m->before_replace = NULL;
        hook(m->before_replace_ctx);
    }
    bool perform;
    int answer = s_fault(m, &perform);
    if (perform && !m->exists)
        return answer == 1 ? CR_ENOTFOUND : answer;
    if (perform && !s_match(m, if_match))
        return answer == 1 ? CR_ECONFLICT : answer;
    if (perform)
        s_mem_put(m, body, len);
    if (answer != 1)
        return answer;
    return cr_buf_puts(etag, m->etag);
}

static int s_mem_read(void *ctx, struct cr_buf *body, struct cr_buf *etag)
{
    struct s_mem *m = ctx;
    if (!m->exists)
        return CR_ENOTFOUND;
    return cr_buf_puts(body, m->body) == 0 && cr_buf_puts(etag, m->etag) == 0 ? 0 : CR_ENOMEM;
}

static int s_mem_remove(void *ctx, const char *if_match)
{
    struct s_mem *m = ctx;
    bool perform;
    int answer = s_fault(m, &perform);
    if (perform && !m->exists)
        return answer == 1 ? CR_ENOTFOUND : answer;
    if (perform && !s_match(m, if_match))
        return answer == 1 ? CR_ECONFLICT : answer;
    if (perform) {
        m->exists = false;
        m->writes++;
    }
    return answer == 1 ? 0 : answer;
}

static void s_mem_noop_free(void *ctx)
{
    (void)ctx; /* the test owns the memory store */
}

static const struct cr_lock_store_ops s_mem_ops = {s_mem_create, s_mem_replace, s_mem_read,
                                                   s_mem_remove, s_mem_noop_free};

/* A store handle on m; each contender gets its own (the lock owns and frees it). */
static struct cr_lock_store *s_store(struct s_mem *m)
{
    struct cr_lock_store *st = calloc(1, sizeof(*st));
    assert_non_null(st);
    st->ops = &s_mem_ops;
    st->ctx = m;
    st->where = strdup("s3://locks/prod.json");
    return st;
}

static void s_mem_dispose(struct s_mem *m)
{
    free(m->body);
    memset(m, 0, sizeof(*m));
}

/* ---- the clock ---- */

struct s_clock {
    int64_t *now; /* shared "true" time */
    int64_t skew; /* this contender's clock error */
    unsigned sleeps;
    uint32_t slept[16];
    void (*on_sleep)(void *); /* called after each sleep */
    void *on_sleep_ctx;
};

static int64_t s_clock_now(void *ctx)
{
    struct s_clock *c = ctx;
    return *c->now + c->skew;
}

static void s_clock_sleep(void *ctx, uint32_t ms)
{
    struct s_clock *c = ctx;
    if (c->sleeps < 16)
        c->slept[c->sleeps] = ms;
    c->sleeps++;
    *c->now += ms;
    if (c->on_sleep)
        c->on_sleep(c->on_sleep_ctx);
}

static struct cr_lock_options s_opts(struct s_clock *c, const char *host, uint32_t lease_ms)
{
    return (struct cr_lock_options){.stack = "prod",
                                    .command = "apply",
                                    .revision = "4c2d9e1f0a7b4c2d9e1f0a7b4c2d9e1f0a7b4c2d",
                                    .lease_ms = lease_ms,
                                    .host = host,
                                    .user = "runner",
                                    .pid = 4242,
                                    .clock = s_clock_now,
                                    .clock_ctx = c,
                                    .sleep = s_clock_sleep,
                                    .sleep_ctx = c};
}

static const int64_t T0 = 1796550000000; /* 2026-12-06T... in ms */

/* ---- tests ---- */

static void test_lock__lease_json_round_trips(void **state)
{
    (void)state;
    struct cr_lock_lease l = {.valid = true,
                              .id = "0123456789abcdef0123456789abcdef",
                              .host = "ci-7",
                              .user = "runner",
                              .pid = 4242,
                              .stack = "prod",
                              .command = "apply",
                              .revision = NULL,
                              .since_ms = T0 + 123,
                              .expires_ms = T0 + 120123};
    struct cr_buf b = CR_BUF_INIT;
    struct cr_lock_lease back = {0};
    assert_ok(cr_lock__encode(&b, &l));
    assert_non_null(strstr(b.ptr, "\"revision\": null"));
    assert_non_null(strstr(b.ptr, "\"version\": 1"));
    assert_ok(cr_lock__decode(&back, b.ptr, b.len));
    assert_true(back.valid);
    assert_string_equal(back.id, l.id);
    assert_string_equal(back.host, "ci-7");
    assert_string_equal(back.user, "runner");
    assert_int_equal(back.pid, 4242);
    assert_null(back.revision);
    assert_int_equal(back.since_ms, l.since_ms);
    assert_int_equal(back.expires_ms, l.expires_ms);
    cr_lock_lease_dispose(&back);
    /* Terraform's lock file, or anything else, is not a lease: never expires. */
    static const char *const foreign[] = {
        "{\"ID\":\"x\",\"Operation\":\"OperationTypeApply\"}", "not json", "[1,2]",
        "{\"version\":1,\"id\":\"x\",\"since\":\"yesterday\",\"expires\":\"tomorrow\"}",
        "{\"version\":1,\"id\":\"\",\"since\":\"2026-01-01T00:00:00Z\","
        "\"expires\":\"2026-01-01T00:00:00Z\"}"};
    for (size_t i = 0; i < sizeof(foreign) / sizeof(foreign[0]); i++) {
        assert_ok(cr_lock__decode(&back, foreign[i], strlen(foreign[i])));
        assert_false(back.valid);
        assert_int_equal(back.expires_ms, 0);
        cr_lock_lease_dispose(&back);
    }
    /* Second precision (no fraction) is read too. */
    const char *secs = "{\"version\":1,\"id\":\"ab\",\"since\":\"2026-12-06T07:30:00Z\","
                       "\"expires\":\"2026-12-06T07:32:00.5Z\"}";
    assert_ok(cr_lock__decode(&back, secs, strlen(secs)));
    assert_true(back.valid);
    assert_int_equal(back.expires_ms - back.since_ms, 120500);
    cr_lock_lease_dispose(&back);
    cr_buf_dispose(&b);
}

static void test_lock__a_held_lock_names_its_holder_and_is_not_taken(void **state)
{
    (void)state;
    int64_t now = T0;
    struct s_mem mem = {0};
    struct s_clock ca = {.now = &now}, cb = {.now = &now};
    struct cr_lock *a = NULL, *b = NULL;
    struct cr_lock_lease held = {0};
    struct cr_lock_options oa = s_opts(&ca, "ci-7", 0), ob = s_opts(&cb, "laptop", 0);
    assert_ok(cr_lock_acquire(&a, NULL, s_store(&mem), &oa));
    assert_int_equal(strlen(cr_lock_lease(a)->id), 32);
    assert_true(mem.exists);
    assert_non_null(strstr(mem.body, cr_lock_lease(a)->id));
    now += 30000;
    struct cr_lock_store *sb = s_store(&mem);
    assert_int_equal(cr_lock_acquire(&b, &held, sb, &ob), CR_ECONFLICT);
    assert_null(b);
    assert_true(held.valid);
    assert_string_equal(held.id, cr_lock_lease(a)->id);
    assert_non_null(strstr(cr_error_last(), "the lock s3://locks/prod.json is held by runner@ci-7 "
                                            "(pid 4242), apply of stack 'prod' at revision "
                                            "4c2d9e1f0a7b, since "));
    assert_non_null(strstr(cr_error_last(), "(in 90 s)"));
    assert_int_equal(cb.sleeps, 0); /* no --lock-timeout: fails at once */
    assert_int_equal(mem.writes, 1);
    /* Release deletes the object; a second contender gets it. */
    assert_ok(cr_lock_release(a));
    assert_false(mem.exists);
    assert_ok(cr_lock_release(a)); /* once only */
    cr_lock_free(a);
    assert_ok(cr_lock_acquire(&b, NULL, sb, &ob));
    assert_ok(cr_lock_check(b));
    cr_lock_free(b); /* without release: the object stays (a crash) */
    assert_true(mem.exists);
    cr_lock_lease_dispose(&held);
    s_mem_dispose(&mem);
}

static void test_lock__an_expired_lease_is_taken_over_only_past_the_margin(void **state)
{
    (void)state;
    int64_t now = T0;
    struct s_mem mem = {0};
    struct s_clock ca = {.now = &now}, cb = {.now = &now};
    struct cr_lock *a = NULL, *b = NULL;
    struct cr_lock_options oa = s_opts(&ca, "ci-7", 10000), ob = s_opts(&cb, "ci-8", 10000);
    assert_int_equal(cr_lock_margin_ms(10000), 2500);
    assert_int_equal(cr_lock_margin_ms(600000), CR_LOCK_MAX_MARGIN_MS);
    assert_ok(cr_lock_acquire(&a, NULL, s_store(&mem), &oa));
    /* a's own guard closes a margin before its expiry */
    now = T0 + 7499;
    assert_ok(cr_lock_check(a));
    now = T0 + 7500;
    assert_int_equal(cr_lock_check(a), CR_ETIMEOUT);
    assert_non_null(strstr(cr_error_last(), "could not be renewed (no renewal yet)"));
    /* b may take over only a margin after the expiry */
    struct cr_lock_store *sb = s_store(&mem);
    now = T0 + 12499;
    assert_int_equal(cr_lock_acquire(&b, NULL, sb, &ob), CR_ECONFLICT);
    assert_non_null(strstr(cr_error_last(), "expired at "));
    now = T0 + 12500;
    assert_ok(cr_lock_acquire(&b, NULL, sb, &ob));
    assert_ok(cr_lock_check(b));
    /* a learns it lost the lease at its next renewal, and then refuses writes and release */
    assert_int_equal(cr_lock_renew(a), CR_ECONFLICT);
    assert_int_equal(cr_lock_check(a), CR_ECONFLICT);
    assert_non_null(strstr(cr_error_last(), "was lost"));
    assert_non_null(strstr(cr_error_last(), "now held by runner@ci-8"));
    assert_int_equal(cr_lock_release(a), CR_ECONFLICT);
    assert_true(mem.exists); /* b's lease is untouched */
    assert_non_null(strstr(mem.body, cr_lock_lease(b)->id));
    cr_lock_free(a);
    assert_ok(cr_lock_release(b));
    cr_lock_free(b);
    s_mem_dispose(&mem);
}

/* Two contenders read the same expired lease; the first replaces it, the second's If-Match then
 * fails, and it finds the first one holding a fresh lease. */
struct s_race {
    struct s_mem *mem;
    struct s_clock *clock;
    struct cr_lock *winner;
    int rc;
};

static void s_race_first(void *ctx)
{
    struct s_race *r = ctx;
    struct cr_lock_options o = s_opts(r->clock, "fast", 10000);
    r->rc = cr_lock_acquire(&r->winner, NULL, s_store(r->mem), &o);
}

static void test_lock__of_two_takeovers_only_one_wins(void **state)
{
    (void)state;
    int64_t now = T0;
    struct s_mem mem = {0};
    struct s_clock c0 = {.now = &now}, c1 = {.now = &now}, c2 = {.now = &now};
    struct cr_lock *dead = NULL, *slow = NULL;
    struct cr_lock_options od = s_opts(&c0, "killed", 10000), os = s_opts(&c1, "slow", 10000);
    assert_ok(cr_lock_acquire(&dead, NULL, s_store(&mem), &od));
    cr_lock_free(dead); /* kill -9: the object stays */
    now = T0 + 60000;
    struct s_race race = {.mem = &mem, .clock = &c2};
    mem.before_replace = s_race_first; /* "fast" runs its whole acquire inside slow's takeover */
    mem.before_replace_ctx = &race;
    struct cr_lock_store *ss = s_store(&mem);
    assert_int_equal(cr_lock_acquire(&slow, NULL, ss, &os), CR_ECONFLICT);
    cr_lock_store_free(ss); /* a failed acquire leaves the store to its caller */
    assert_ok(race.rc);
    assert_non_null(strstr(cr_error_last(), "held by runner@fast"));
    assert_non_null(strstr(mem.body, cr_lock_lease(race.winner)->id));
    assert_ok(cr_lock_check(race.winner));
    assert_ok(cr_lock_release(race.winner));
    cr_lock_free(race.winner);
    s_mem_dispose(&mem);
}

/* --lock-timeout: polls with backoff until the holder releases, or gives up at the deadline. */
struct s_release_after {
    struct cr_lock *holder;
    unsigned after; /* sleeps */
    struct s_clock *clock;
};

static void s_release_when_due(void *ctx)
{
    struct s_release_after *r = ctx;
    if (r->clock->sleeps == r->after)
        assert_ok(cr_lock_release(r->holder));
}

static void test_lock__waiting_polls_with_backoff_until_released_or_timeout(void **state)
{
    (void)state;
    int64_t now = T0;
    struct s_mem mem = {0};
    struct s_clock ca = {.now = &now}, cb = {.now = &now};
    struct cr_lock *a = NULL, *b = NULL;
    struct cr_lock_options oa = s_opts(&ca, "ci-7", 0), ob = s_opts(&cb, "ci-8", 0);
    assert_ok(cr_lock_acquire(&a, NULL, s_store(&mem), &oa));
    /* gives up after 5 s: sleeps of 0.2, 0.4, 0.8, 1.6 and then what is left (2) */
    ob.timeout_ms = 5000;
    struct cr_lock_store *sb = s_store(&mem);
    assert_int_equal(cr_lock_acquire(&b, NULL, sb, &ob), CR_ECONFLICT);
    assert_non_null(strstr(cr_error_last(), "(waited 5 s)"));
    assert_int_equal(cb.sleeps, 5);
    static const uint32_t first[] = {200, 400, 800, 1600, 2000};
    for (int i = 0; i < 5; i++)
        assert_int_equal(cb.slept[i], first[i]);
    /* with 10 minutes it gets the lock once a releases it, during the 8th sleep */
    struct s_release_after rel = {.holder = a, .after = 8, .clock = &cb};
    cb.sleeps = 0;
    cb.on_sleep = s_release_when_due;
    cb.on_sleep_ctx = &rel;
    ob.timeout_ms = 600000;
    assert_ok(cr_lock_acquire(&b, NULL, sb, &ob));
    assert_int_equal(cb.sleeps, 8);
    assert_int_equal(cb.slept[5], 6400);
    assert_int_equal(cb.slept[6], 10000); /* capped */
    assert_int_equal(cb.slept[7], 10000);
    cr_lock_free(a);
    assert_ok(cr_lock_release(b));
    cr_lock_free(b);
    s_mem_dispose(&mem);
}

static void test_lock__ambiguous_writes_are_settled_by_reading_back(void **state)
{
    (void)state;
    int64_t now = T0;
    struct s_mem mem = {0};
    struct s_clock c = {.now = &now};
    struct cr_lock *a = NULL;
    struct cr_lock_options o = s_opts(&c, "ci-7", 10000);
    /* the create happened but the answer was lost: the read-back shows our id */
    mem.next_fault = S_FAULT_AMBIGUOUS_DONE;
    assert_ok(cr_lock_acquire(&a, NULL, s_store(&mem), &o));
    assert_string_equal(cr_lock_lease(a)->etag, mem.etag);
    assert_int_equal(mem.writes, 1);
    /* a renewal that did not happen is a failure that may pass; one that did is a renewal */
    now += 3000;
    mem.next_fault = S_FAULT_AMBIGUOUS_LOST;
    assert_int_equal(cr_lock_renew(a), CR_EAMBIGUOUS);
    assert_ok(cr_lock_check(a));
    mem.next_fault = S_FAULT_AMBIGUOUS_DONE;
    assert_ok(cr_lock_renew(a));
    assert_string_equal(cr_lock_lease(a)->etag, mem.etag);
    assert_int_equal(cr_lock_lease(a)->expires_ms, now + 10000);
    assert_int_equal(cr_lock_renewals(a), 1);
    /* a release whose answer was lost but which happened counts as done */
    mem.next_fault = S_FAULT_AMBIGUOUS_DONE;
    assert_ok(cr_lock_release(a));
    assert_false(mem.exists);
    cr_lock_free(a);
    /* a create that did not happen is tried again */
    mem.next_fault = S_FAULT_AMBIGUOUS_LOST;
    assert_ok(cr_lock_acquire(&a, NULL, s_store(&mem), &o));
    assert_true(mem.exists);
    assert_ok(cr_lock_release(a));
    cr_lock_free(a);
    /* a release whose delete keeps failing ambiguously (S3 answering 500 three times) is
     * settled by reading back and deleting again, a bounded number of times: the lock is not
     * left to block the next run until its lease expires */
    assert_ok(cr_lock_acquire(&a, NULL, s_store(&mem), &o));
    mem.next_fault = S_FAULT_AMBIGUOUS_LOST;
    mem.fault_repeats = 2;
    assert_ok(cr_lock_release(a));
    assert_false(mem.exists);
    cr_lock_free(a);
    s_mem_dispose(&mem);
}

static void test_lock__failed_renewals_close_the_guard_before_expiry(void **state)
{
    (void)state;
    int64_t now = T0;
    struct s_mem mem = {0};
    struct s_clock c = {.now = &now};
    struct cr_lock *a = NULL;
    struct cr_lock_options o = s_opts(&c, "ci-7", 12000); /* margin 3 s */
    assert_ok(cr_lock_acquire(&a, NULL, s_store(&mem), &o));
    now = T0 + 4000;
    assert_ok(cr_lock_renew(a)); /* expires T0 + 16 s */
    now = T0 + 8000;
    mem.next_fault = S_FAULT_IO;
    assert_int_equal(cr_lock_renew(a), CR_EIO);
    now = T0 + 12999;
    assert_ok(cr_lock_check(a));
    now = T0 + 13000;
    assert_int_equal(cr_lock_check(a), CR_ETIMEOUT);
    assert_non_null(strstr(cr_error_last(), "could not be renewed (s3: connection refused)"));
    assert_non_null(strstr(cr_error_last(), "stopped before the next write call"));
    /* a later renewal that works opens it again (nobody could have taken over yet) */
    assert_ok(cr_lock_renew(a));
    assert_ok(cr_lock_check(a));
    assert_ok(cr_lock_release(a));
    cr_lock_free(a);
    s_mem_dispose(&mem);
}

static void test_lock__force_unlock_deletes_only_the_named_lease(void **state)
{
    (void)state;
    int64_t now = T0;
    struct s_mem mem = {0};
    struct s_clock c = {.now = &now};
    struct cr_lock *a = NULL;
    struct cr_lock_lease seen = {0};
    struct cr_lock_options o = s_opts(&c, "ci-7", 0);
    struct cr_lock_store *admin = s_store(&mem);
    assert_int_equal(cr_lock_force_unlock(&seen, admin, "nope", now), CR_ENOTFOUND);
    assert_non_null(strstr(cr_error_last(), "no lock is held at s3://locks/prod.json"));
    assert_ok(cr_lock_acquire(&a, NULL, s_store(&mem), &o));
    assert_int_equal(cr_lock_force_unlock(&seen, admin, "0123", now), CR_ECONFLICT);
    assert_non_null(strstr(cr_error_last(), "is not held by 0123 but by runner@ci-7"));
    assert_true(mem.exists);
    char *id = strdup(cr_lock_lease(a)->id);
    assert_ok(cr_lock_force_unlock(&seen, admin, id, now));
    assert_false(mem.exists);
    assert_string_equal(seen.host, "ci-7");
    /* the holder notices at its next renewal and stops writing */
    assert_int_equal(cr_lock_renew(a), CR_ECONFLICT);
    assert_non_null(strstr(cr_error_last(), "the object was deleted"));
    assert_int_equal(cr_lock_check(a), CR_ECONFLICT);
    cr_lock_free(a);
    /* an object that is not a lease is force-unlocked by its ETag (quotes optional) */
    s_mem_put(&mem, "{\"ID\":\"terraform\"}", 18);
    assert_int_equal(cr_lock_force_unlock(&seen, admin, "e1", now), CR_ECONFLICT);
    assert_non_null(strstr(cr_error_last(), "not a cognito-reconcile lease (ETag \"e"));
    char tag[32];
    snprintf(tag, sizeof(tag), "%.*s", (int)strlen(mem.etag) - 2, mem.etag + 1);
    assert_ok(cr_lock_force_unlock(&seen, admin, tag, now));
    assert_false(mem.exists);
    cr_lock_lease_dispose(&seen);
    cr_lock_store_free(admin);
    free(id);
    s_mem_dispose(&mem);
}

static void test_lock__an_interrupt_releases_at_once_only_before_writes(void **state)
{
    (void)state;
    int64_t now = T0;
    struct s_mem mem = {0};
    struct s_clock c = {.now = &now};
    struct cr_lock *a = NULL;
    struct cr_lock_options o = s_opts(&c, "ci-7", 0);
    assert_ok(cr_lock_acquire(&a, NULL, s_store(&mem), &o));
    assert_true(cr_lock_interrupt(a, 2)); /* reading or at the prompt: released now */
    assert_false(mem.exists);
    assert_int_equal(cr_lock_interrupted(a), 2);
    assert_int_equal(cr_lock_begin_writes(a), CR_EREFUSED);
    assert_ok(cr_lock_release(a));
    cr_lock_free(a);
    assert_ok(cr_lock_acquire(&a, NULL, s_store(&mem), &o));
    assert_ok(cr_lock_begin_writes(a));
    assert_false(cr_lock_interrupt(a, 15)); /* writing: the holder stops and releases */
    assert_true(mem.exists);
    assert_int_equal(cr_lock_check(a), CR_EREFUSED);
    assert_non_null(strstr(cr_error_last(), "interrupted (SIGTERM)"));
    assert_ok(cr_lock_release(a));
    assert_false(mem.exists);
    cr_lock_free(a);
    s_mem_dispose(&mem);
}

/* The keeper thread on the real clock: renews by itself, and notices a loss by itself. (The
 * waits are bounded; what is checked is what happened, never how long it took.) */
static pthread_mutex_t s_mem_mu = PTHREAD_MUTEX_INITIALIZER;

static int s_locked_create(void *ctx, struct cr_buf *etag, const char *body, size_t len)
{
    pthread_mutex_lock(&s_mem_mu);
    int rc = s_mem_create(ctx, etag, body, len);
    pthread_mutex_unlock(&s_mem_mu);
    return rc;
}
static int s_locked_replace(void *ctx, struct cr_buf *etag, const char *m, const char *b, size_t n)
{
    pthread_mutex_lock(&s_mem_mu);
    int rc = s_mem_replace(ctx, etag, m, b, n);
    pthread_mutex_unlock(&s_mem_mu);
    return rc;
}
static int s_locked_read(void *ctx, struct cr_buf *body, struct cr_buf *etag)
{
    pthread_mutex_lock(&s_mem_mu);
    int rc = s_mem_read(ctx, body, etag);
    pthread_mutex_unlock(&s_mem_mu);
    return rc;
}
static int s_locked_remove(void *ctx, const char *if_match)
{
    pthread_mutex_lock(&s_mem_mu);
    int rc = s_mem_remove(ctx, if_match);
    pthread_mutex_unlock(&s_mem_mu);
    return rc;
}

static const struct cr_lock_store_ops s_locked_ops = {s_locked_create, s_locked_replace,
                                                      s_locked_read, s_locked_remove,
                                                      s_mem_noop_free};

static void test_lock__the_keeper_renews_and_notices_a_loss(void **state)
{
    (void)state;
    struct s_mem mem = {0};
    struct cr_lock *a = NULL;
    struct cr_lock_store *st = s_store(&mem);
    st->ops = &s_locked_ops;
    struct cr_lock_options o = {.stack = "prod", .lease_ms = 1200}; /* renew every 400 ms */
    assert_ok(cr_lock_acquire(&a, NULL, st, &o));
    assert_ok(cr_lock_start_keeper(a));
    for (int i = 0; i < 3000 && cr_lock_renewals(a) < 2; i++)
        usleep(10000);
    assert_true(cr_lock_renewals(a) >= 2);
    assert_ok(cr_lock_check(a));
    pthread_mutex_lock(&s_mem_mu);
    mem.exists = false; /* someone deletes the object */
    pthread_mutex_unlock(&s_mem_mu);
    int rc = 0;
    for (int i = 0; i < 3000 && (rc = cr_lock_check(a)) == 0; i++)
        usleep(10000);
    assert_int_equal(rc, CR_ECONFLICT);
    assert_int_equal(cr_lock_release(a), CR_ECONFLICT);
    cr_lock_free(a);
    s_mem_dispose(&mem);
}

/* ---- property: mutual exclusion of the write guard ---- */

enum { S_N = 3 };

static void test_lock__property_never_two_writers(void **state)
{
    (void)state;
    const char *env = getenv("CR_LOCK_SEED");
    uint32_t seed0 = env ? (uint32_t)strtoul(env, NULL, 10) : 20261206u;
    unsigned cases = 300;
    for (unsigned k = 0; k < cases; k++) {
        uint32_t seed = seed0 + k * 7919u, rnd = seed ? seed : 1;
        int64_t now = T0;
        uint32_t lease = 4000 + cr_test_random(&rnd) % 20000;
        uint32_t margin = cr_lock_margin_ms(lease);
        struct s_mem mem = {0};
        struct s_clock clocks[S_N];
        struct cr_lock *lk[S_N] = {0};
        for (int i = 0; i < S_N; i++) /* skews within half the margin either way */
            clocks[i] = (struct s_clock){
                .now = &now, .skew = (int64_t)(cr_test_random(&rnd) % (margin + 1)) - margin / 2};
        for (unsigned step = 0; step < 200; step++) {
            int who = (int)(cr_test_random(&rnd) % S_N);
            struct cr_lock_options o = s_opts(&clocks[who], "c", lease);
            uint32_t r = cr_test_random(&rnd) % 100;
            if (r < 10)
                mem.next_fault = (enum s_fault)(1 + cr_test_random(&rnd) % 3);
            if (r < 30) {
                now += cr_test_random(&rnd) % (lease / 2);
            } else if (r < 50 && !lk[who]) {
                struct cr_lock_store *st = s_store(&mem);
                if (cr_lock_acquire(&lk[who], NULL, st, &o) != 0) {
                    lk[who] = NULL;
                    cr_lock_store_free(st);
                }
            } else if (r < 75 && lk[who]) {
                (void)!cr_lock_renew(lk[who]);
            } else if (r < 85 && lk[who]) {
                (void)!cr_lock_release(lk[who]);
                cr_lock_free(lk[who]);
                lk[who] = NULL;
            } else if (r < 90 && lk[who]) {
                cr_lock_free(lk[who]); /* killed */
                lk[who] = NULL;
            }
            mem.next_fault = S_FAULT_NONE;
            int writers = 0;
            for (int i = 0; i < S_N; i++)
                writers += lk[i] && cr_lock_check(lk[i]) == 0;
            if (writers > 1)
                fail_msg("seed %u (CR_LOCK_SEED=%u, case %u) step %u: %d contenders pass the "
                         "write guard at once",
                         seed, seed0, k, step, writers);
        }
        for (int i = 0; i < S_N; i++)
            cr_lock_free(lk[i]);
        s_mem_dispose(&mem);
    }
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_lock__lease_json_round_trips),
        cmocka_unit_test(test_lock__a_held_lock_names_its_holder_and_is_not_taken),
        cmocka_unit_test(test_lock__an_expired_lease_is_taken_over_only_past_the_margin),
        cmocka_unit_test(test_lock__of_two_takeovers_only_one_wins),
        cmocka_unit_test(test_lock__waiting_polls_with_backoff_until_released_or_timeout),
        cmocka_unit_test(test_lock__ambiguous_writes_are_settled_by_reading_back),
        cmocka_unit_test(test_lock__failed_renewals_close_the_guard_before_expiry),
        cmocka_unit_test(test_lock__force_unlock_deletes_only_the_named_lease),
        cmocka_unit_test(test_lock__an_interrupt_releases_at_once_only_before_writes),
        cmocka_unit_test(test_lock__the_keeper_renews_and_notices_a_loss),
        cmocka_unit_test(test_lock__property_never_two_writers),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
