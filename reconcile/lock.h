/* SPDX-License-Identifier: Apache-2.0 */
#ifndef CR_RECONCILE_LOCK_H
#define CR_RECONCILE_LOCK_H
/*
 * The run lock (docs/locking.md): a lease held in one object of a store that has conditional
 * writes, as Terraform's S3 backend holds its lock file. The object is JSON:
 *
 *   {"version": 1, "id": "<32 hex digits, random>",
 *    "who": {"host": "ci-7", "user": "runner", "pid": 4242},
 *    "stack": "default", "command": "apply", "revision": "<commit>" | null,
 *    "since": "2026-12-06T07:30:00.000Z", "expires": "2026-12-06T07:32:00.000Z"}
 *
 * - acquire: create the object only if absent (S3: PutObject If-None-Match: *). If it exists,
 *   read it (GetObject) to name the holder; when the holder's lease expired more than a safety
 *   margin ago, take it over by replacing exactly what was read (PutObject If-Match: its ETag),
 *   so of two contenders only one takes over. Otherwise wait (timeout_ms, polling with
 *   backoff) or fail at once naming the holder.
 * - renew: a keeper thread replaces the object with a later expiry every third of the lease
 *   (If-Match: our ETag). A renewal refused (412 / 404) means the lease was lost (taken over,
 *   force-unlocked): from then on cr_lock_check() fails, so the caller stops before its next
 *   write call. If renewals keep failing for other reasons (network), cr_lock_check() fails
 *   once the lease is within the safety margin of its expiry: a holder never writes after
 *   another run could take over.
 * - release: delete the object only if it is still ours (DeleteObject If-Match: our ETag).
 * - force-unlock: delete the object only if it is the lease with the given id (or, for an
 *   object that is not a lease, the given ETag), If-Match the ETag read.
 * An ambiguous write (timeout, reset, 5xx after sending) is resolved by reading the object
 * back: the random lease id says whether the write happened.
 *
 * The store is an interface, so the lease logic is tested with an in-memory store and a clock
 * the test moves (tests/unit/test_lock.c); cr_lock_store_s3_new() is the S3 one.
 */
#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "util/buf.h"
#include "util/error.h"

#define CR_LOCK_DEFAULT_LEASE_MS 120000u /* 2 min, renewed every 40 s */
#define CR_LOCK_MIN_LEASE_MS     1000u
#define CR_LOCK_MAX_MARGIN_MS    30000u /* safety margin: lease/4, at most 30 s */
#define CR_LOCK_VERSION          1

/** What the command line (or a configuration file) says about the lock. */
struct cr_lock_settings {
    const char *url;          /* s3://BUCKET/KEY; NULL = no lock */
    const char *region;       /* the bucket's region; NULL = the run's default region */
    const char *endpoint_url; /* S3 endpoint; NULL = AWS_ENDPOINT_URL_S3 > AWS_ENDPOINT_URL >
                                 the profile's endpoint_url > AWS (docs/locking.md) */
    uint32_t timeout_ms;      /* wait this long for a held lock; 0 = fail at once */
    uint32_t lease_ms;        /* lease length; 0 = CR_LOCK_DEFAULT_LEASE_MS */
};

/** A lease as stored (or as far as a foreign object could be read: see `valid`). */
struct cr_lock_lease {
    bool valid;   /* the object is a lease this program can read */
    char *etag;   /* the object's ETag as the store gave it (quotes kept) */
    char *id;     /* lease id */
    char *host;
    char *user;
    long pid;
    char *stack;
    char *command;
    char *revision; /* NULL when not applied from git */
    int64_t since_ms;   /* epoch milliseconds */
    int64_t expires_ms; /* epoch milliseconds; 0 = never (not a lease) */
};

/** Frees the lease's strings. Safe on a zeroed lease. */
void cr_lock_lease_dispose(struct cr_lock_lease *lease);

/**
 * Appends one line naming the holder: "alice@ci-7 (pid 4242), apply of stack 'default' at
 * revision 4c2d9e1f0a7b, since 2026-12-06T07:30:00Z, lease 1f3a... expires at ...Z (in 95 s)",
 * now_ms being the reader's clock. Returns 0 or CR_ENOMEM.
 */
int cr_lock_lease_describe(struct cr_buf *out, const struct cr_lock_lease *lease,
                           int64_t now_ms) CR_WARN_UNUSED;

/* ---- the store ---- */

/**
 * One object with conditional writes. Every operation returns 0 or:
 * CR_ECONFLICT (a precondition failed: the object exists for create, another ETag for replace
 * or remove), CR_ENOTFOUND (no object: read, replace and remove), CR_EAMBIGUOUS (a write that
 * may have happened), or another code (CR_EIO, CR_EAUTH, ...; message set). ETags are returned
 * as the store gives them. The lock calls a store from one thread at a time.
 */
struct cr_lock_store_ops {
    int (*create)(void *ctx, struct cr_buf *etag, const char *body, size_t len);
    int (*replace)(void *ctx, struct cr_buf *etag, const char *if_match, const char *body,
                   size_t len);
    int (*read)(void *ctx, struct cr_buf *body, struct cr_buf *etag);
    int (*remove)(void *ctx, const char *if_match);
    void (*free)(void *ctx);
};

struct cr_lock_store {
    const struct cr_lock_store_ops *ops;
    void *ctx;
    char *where; /* "s3://bucket/key", for messages; owned */
};

/** Frees the store (ops->free) and its name. Accepts NULL. */
void cr_lock_store_free(struct cr_lock_store *store);

/**
 * Reads the lock object: out->valid false (with etag set) for an object that is not a lease.
 * Returns 0, CR_ENOTFOUND (no lock held) or the store's error.
 */
int cr_lock_read(struct cr_lock_lease *out, struct cr_lock_store *store) CR_WARN_UNUSED;

/**
 * force-unlock: deletes the lock object only when it is the lease with that id (or, for an
 * object that is not a lease, the object with that ETag, quotes optional), with If-Match its
 * ETag. out receives what was deleted (or found instead). Returns 0, CR_ENOTFOUND (no lock),
 * CR_ECONFLICT (another lease holds it now; the message names it) or the store's error.
 */
int cr_lock_force_unlock(struct cr_lock_lease *out, struct cr_lock_store *store, const char *id,
                         int64_t now_ms) CR_WARN_UNUSED;

struct cr_s3_options;

/**
 * The store for settings->url on S3 (s3://BUCKET/KEY; aws/s3.h): settings->region and
 * settings->endpoint_url over base (profile, default region, environment, timeout, debug).
 * what names the URL's source in messages ("--lock", "COGNITO_RECONCILE_LOCK"). Makes no call.
 * Returns 0, CR_EINVALID (a malformed URL, no region, a bad endpoint), CR_EAUTH (no
 * credentials) or CR_ENOMEM.
 */
int cr_lock_store_s3_new(struct cr_lock_store **out, const struct cr_lock_settings *settings,
                         const char *what, const struct cr_s3_options *base) CR_WARN_UNUSED;

/* ---- holding the lock ---- */

/** Epoch milliseconds. */
typedef int64_t cr_lock_clock_fn(void *ctx);
/** Waits ms milliseconds (between polls of a held lock). */
typedef void cr_lock_sleep_fn(void *ctx, uint32_t ms);

struct cr_lock_options {
    const char *stack;    /* recorded in the lease */
    const char *command;  /* "apply" */
    const char *revision; /* git commit, or NULL */
    uint32_t lease_ms;    /* 0 = CR_LOCK_DEFAULT_LEASE_MS */
    uint32_t timeout_ms;  /* wait for a held lock; 0 = fail at once */
    /* who holds it; NULL/0 = this process (host name, user name, pid) */
    const char *host;
    const char *user;
    long pid;
    /* tests: NULL = the real clock and nanosleep */
    cr_lock_clock_fn *clock;
    void *clock_ctx;
    cr_lock_sleep_fn *sleep;
    void *sleep_ctx;
};

struct cr_lock;

/**
 * Takes the lock: on success *out holds it (the store is then owned by the lock, freed by
 * cr_lock_free). When another lease holds it past the wait: CR_ECONFLICT with the holder and
 * the force-unlock command in the message, and *held (if not NULL) receives that lease; the
 * store stays the caller's. Other failures: the store's error.
 */
int cr_lock_acquire(struct cr_lock **out, struct cr_lock_lease *held, struct cr_lock_store *store,
                    const struct cr_lock_options *opts) CR_WARN_UNUSED;

/** The lease as held (id, expiry of the last renewal). Borrowed. */
const struct cr_lock_lease *cr_lock_lease(const struct cr_lock *lk);

/** The safety margin of a lease length: lease/4, at most CR_LOCK_MAX_MARGIN_MS. */
uint32_t cr_lock_margin_ms(uint32_t lease_ms);

/**
 * One renewal (what the keeper does every third of the lease). Returns 0; CR_ECONFLICT when
 * the lease was lost (from then on cr_lock_check fails); or the store's error for a failure
 * that may pass (the lease is kept and the next renewal tries again).
 */
int cr_lock_renew(struct cr_lock *lk) CR_WARN_UNUSED;

/** Starts the keeper thread that renews the lease. Returns 0 or CR_ERROR. */
int cr_lock_start_keeper(struct cr_lock *lk) CR_WARN_UNUSED;

/** Renewals that succeeded so far (keeper and direct calls). */
unsigned long cr_lock_renewals(const struct cr_lock *lk);

/**
 * May a write call be made now? 0 while the lease is ours and valid beyond the safety margin;
 * otherwise CR_ECONFLICT (lost: taken over or force-unlocked, naming who holds it now),
 * CR_ETIMEOUT (not renewed in time: the last renewal error is named) or CR_EREFUSED
 * (interrupted by a signal), with the message set. Thread-safe.
 */
int cr_lock_check(struct cr_lock *lk) CR_WARN_UNUSED;

/** cr_lock_check() that also marks the start of the write phase (cr_lock_interrupt). */
int cr_lock_begin_writes(struct cr_lock *lk) CR_WARN_UNUSED;

/**
 * From another thread (the one that receives SIGINT/SIGTERM): marks the run interrupted, so
 * cr_lock_check() fails from now on. When the write phase has not begun, also releases the
 * lease and returns true: the caller may end the process at once. Otherwise returns false: the
 * holder stops before its next write call and releases the lease itself.
 */
bool cr_lock_interrupt(struct cr_lock *lk, int signo);

/** The signal cr_lock_interrupt() recorded, or 0. */
int cr_lock_interrupted(const struct cr_lock *lk);

/**
 * Stops the keeper and deletes the lock object if it is still ours (If-Match our ETag).
 * Returns 0 (also when an interrupt released it already), CR_ECONFLICT when the lease was
 * lost meanwhile (another lease holds the object, or it is gone), or the store's error.
 */
int cr_lock_release(struct cr_lock *lk) CR_WARN_UNUSED;

/** Stops the keeper (without releasing) and frees everything, the store included. Accepts NULL. */
void cr_lock_free(struct cr_lock *lk);

/* ---- test-visible ---- */

/** The lease body as stored (JSON). Returns 0 or CR_ENOMEM. */
int cr_lock__encode(struct cr_buf *out, const struct cr_lock_lease *lease) CR_WARN_UNUSED;
/** Parses a lease body; out->valid false for anything else. Returns 0 or CR_ENOMEM. */
int cr_lock__decode(struct cr_lock_lease *out, const char *body, size_t len) CR_WARN_UNUSED;

#endif
