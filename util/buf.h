/* SPDX-License-Identifier: Apache-2.0 */
#ifndef CR_UTIL_BUF_H
#define CR_UTIL_BUF_H
/*
 * A growable byte buffer, always NUL-terminated once anything was added. A failed append is
 * sticky: a run of appends is checked once with cr_buf_oom() (did any fail?) or
 * cr_buf_error() (why: CR_ENOMEM, or CR_ELIMIT past the buffer's limit, as curl's dynbuf
 * tells CURLE_TOO_LARGE from CURLE_OUT_OF_MEMORY).
 */
#include <stdarg.h>
#include <stdbool.h>
#include <stddef.h>

#include "util/error.h"
#include "util/span.h"

struct cr_buf {
    char *ptr;
    size_t len;
    size_t cap;
    size_t limit;   /* 0 = unlimited; otherwise appends past it fail (network input) */
    bool oom;       /* sticky: an append failed (out of memory or past the limit) */
    bool too_large; /* sticky: the failure was the limit (CR_ELIMIT), not memory */
};

#define CR_BUF_INIT {0}

/** Initialises an empty buffer (no allocation). */
void cr_buf_init(struct cr_buf *buf);
/** Initialises an empty buffer that refuses to grow past limit bytes. */
void cr_buf_init_limit(struct cr_buf *buf, size_t limit);
/** Frees the memory. Safe on a zeroed buffer. */
void cr_buf_dispose(struct cr_buf *buf);
/** Wipes the bytes (secrets) and frees the memory. */
void cr_buf_dispose_secure(struct cr_buf *buf);
/** Empties the buffer, keeping its memory. */
void cr_buf_clear(struct cr_buf *buf);
/**
 * Appends bytes. Returns 0, CR_ELIMIT (the buffer's limit would be passed; nothing is
 * appended) or CR_ENOMEM. Sets no message: the caller names what it was building. After a
 * failure every append fails with the same code.
 */
int cr_buf_put(struct cr_buf *buf, const void *data, size_t len);
/** Appends a NUL-terminated string. Returns as cr_buf_put(). */
int cr_buf_puts(struct cr_buf *buf, const char *s);
/** Appends one byte. Returns as cr_buf_put(). */
int cr_buf_putc(struct cr_buf *buf, char c);
/** Appends printf-formatted text. Returns as cr_buf_put(). */
int cr_buf_printf(struct cr_buf *buf, const char *fmt, ...) CR_PRINTF(2, 3);
/** cr_buf_printf() with a va_list. */
int cr_buf_vprintf(struct cr_buf *buf, const char *fmt, va_list ap);
/** Appends a span. Returns as cr_buf_put(). */
int cr_buf_put_span(struct cr_buf *buf, struct cr_span sp);
/** True once any append has failed (out of memory or past the limit). */
bool cr_buf_oom(const struct cr_buf *buf);
/** Why appends fail: 0 (none has), CR_ELIMIT or CR_ENOMEM. */
int cr_buf_error(const struct cr_buf *buf);
/** Returns the text ("" for an empty buffer); borrowed. */
const char *cr_buf_cstr(const struct cr_buf *buf);
/** Hands the heap string to the caller (never NULL unless oom) and resets the buffer. */
char *cr_buf_detach(struct cr_buf *buf);
/** Reads a whole file into buf. Returns 0, CR_ENOTFOUND, CR_ELIMIT (larger than max_bytes),
 * CR_EIO or CR_ENOMEM, with a message naming the file. */
int cr_buf_read_file(struct cr_buf *buf, const char *path, size_t max_bytes) CR_WARN_UNUSED;

#endif
