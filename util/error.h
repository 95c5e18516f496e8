/* SPDX-License-Identifier: Apache-2.0 */
#ifndef CR_UTIL_ERROR_H
#define CR_UTIL_ERROR_H
/*
 * Error codes and the thread-local "last error" message.
 *
 * Fallible functions return int: 0 on success, a negative CR_E* code on failure. Whoever
 * detects the failure sets the message once with cr_error_set(); callers pass the code up.
 */

#define CR_WARN_UNUSED __attribute__((warn_unused_result))
#define CR_PRINTF(a, b) __attribute__((format(printf, a, b)))

enum cr_error_code {
    CR_OK = 0,
    CR_ERROR = -1,      /* anything not listed below */
    CR_ENOTFOUND = -2,  /* a resource (pool, file, ref, profile) does not exist */
    CR_EINVALID = -3,   /* bad input: manifest, argument, request */
    CR_ETHROTTLED = -4, /* throttled after all retries */
    CR_EAUTH = -5,      /* missing or rejected credentials */
    CR_ENOMEM = -6,     /* out of memory */
    CR_EIO = -7,        /* file or network I/O */
    CR_ETIMEOUT = -8,   /* a deadline passed */
    CR_EAMBIGUOUS = -9, /* a non-idempotent call may or may not have happened */
    CR_ESERVICE = -10,  /* the service answered with an error (the call's error.type) */
    CR_ECONFLICT = -11, /* state changed underneath us (stale plan, ownership) */
    CR_ELIMIT = -12,    /* a quota or size limit */
    CR_EREFUSED = -13,  /* a safety rule refused the action (replace, rewind, prompt) */
};

/** Sets the calling thread's last error message (printf-style). */
void cr_error_set(const char *fmt, ...) CR_PRINTF(1, 2);

/** Prefixes the calling thread's last error message with more context ("ctx: old"). */
void cr_error_prefix(const char *fmt, ...) CR_PRINTF(1, 2);

/** Returns the calling thread's last error message ("" when none). Borrowed. */
const char *cr_error_last(void);

/** Clears the calling thread's last error message. */
void cr_error_clear(void);

/** A short name for an error code ("not found", "invalid", ...). Static string. */
const char *cr_error_name(int code);

#endif
