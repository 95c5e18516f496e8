/* SPDX-License-Identifier: Apache-2.0 */
#include "util/buf.h"

#include <errno.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>

void cr_buf_init(struct cr_buf *buf)
{
    memset(buf, 0, sizeof(*buf));
}

void cr_buf_init_limit(struct cr_buf *buf, size_t limit)
{
    cr_buf_init(buf);
    buf->limit = limit;
}

void cr_buf_dispose(struct cr_buf *buf)
{
    if (!buf)
        return;
    free(buf->ptr);
    buf->ptr = NULL;
    buf->len = buf->cap = 0;
    buf->oom = false;
    buf->too_large = false;
}

void cr_buf_dispose_secure(struct cr_buf *buf)
{
    if (!buf)
        return;
    if (buf->ptr) {
        /* volatile pointer so the compiler cannot drop the wipe of memory about to be freed */
        volatile char *p = buf->ptr;
        for (size_t i = 0; i < buf->cap; i++)
            p[i] = 0;
    }
    cr_buf_dispose(buf);
}

void cr_buf_clear(struct cr_buf *buf)
{
    buf->len = 0;
    if (buf->ptr)
        buf->ptr[0] = '\0';
}

/* Marks the buffer failed; code is CR_ENOMEM or CR_ELIMIT. */
static int s_fail(struct cr_buf *buf, int code)
{
    buf->oom = true;
    buf->too_large = code == CR_ELIMIT;
    return code;
}

static int s_grow(struct cr_buf *buf, size_t extra)
{
    if (buf->oom)
        return cr_buf_error(buf);
    if (buf->limit && (extra > buf->limit || buf->len > buf->limit - extra))
        return s_fail(buf, CR_ELIMIT);
    if (extra > SIZE_MAX - buf->len - 1)
        return s_fail(buf, CR_ENOMEM);
    size_t need = buf->len + extra + 1;
    if (need <= buf->cap)
        return 0;
    size_t cap = buf->cap ? buf->cap : 64;
    while (cap < need)
        cap = cap > SIZE_MAX / 2 ? need : cap * 2;
    char *p = realloc(buf->ptr, cap);
    if (!p)
        return s_fail(buf, CR_ENOMEM);
    buf->ptr = p;
    buf->cap = cap;
    return 0;
}

int cr_buf_put(struct cr_buf *buf, const void *data, size_t len)
{
    int rc = s_grow(buf, len);
    if (rc < 0)
        return rc;
    if (len)
        memcpy(buf->ptr + buf->len, data, len);
    buf->len += len;
    buf->ptr[buf->len] = '\0';
    return 0;
}

int cr_buf_puts(struct cr_buf *buf, const char *s)
{
    return cr_buf_put(buf, s, strlen(s));
}

int cr_buf_putc(struct cr_buf *buf, char c)
{
    return cr_buf_put(buf, &c, 1);
}

int cr_buf_put_span(struct cr_buf *buf, struct cr_span sp)
{
    return cr_buf_put(buf, sp.ptr, sp.len);
}

int cr_buf_vprintf(struct cr_buf *buf, const char *fmt, va_list ap)
{
    va_list ap2;
    va_copy(ap2, ap);
    int n = vsnprintf(NULL, 0, fmt, ap2);
    va_end(ap2);
    /* vsnprintf fails only for a length past INT_MAX: too much to hold */
    int rc = n < 0 ? s_fail(buf, CR_ENOMEM) : s_grow(buf, (size_t)n);
    if (rc < 0)
        return rc;
    vsnprintf(buf->ptr + buf->len, (size_t)n + 1, fmt, ap);
    buf->len += (size_t)n;
    return 0;
}

int cr_buf_printf(struct cr_buf *buf, const char *fmt, ...)
{
    va_list ap;
    va_start(ap, fmt);
    int rc = cr_buf_vprintf(buf, fmt, ap);
    va_end(ap);
    return rc;
}

bool cr_buf_oom(const struct cr_buf *buf)
{
    return buf->oom;
}

int cr_buf_error(const struct cr_buf *buf)
{
    if (!buf->oom)
        return 0;
    return buf->too_large ? CR_ELIMIT : CR_ENOMEM;
}

const char *cr_buf_cstr(const struct cr_buf *buf)
{
    return buf->ptr ? buf->ptr : "";
}

char *cr_buf_detach(struct cr_buf *buf)
{
    if (buf->oom)
        return NULL;
    char *p = buf->ptr;
    if (!p)
        p = calloc(1, 1);
    buf->ptr = NULL;
    buf->len = buf->cap = 0;
    return p;
}

int cr_buf_read_file(struct cr_buf *buf, const char *path, size_t max_bytes)
{
    int result = CR_EIO;
    FILE *f = fopen(path, "rb");
    if (!f) {
        cr_error_set("%s: %s", path, strerror(errno));
        return errno == ENOENT ? CR_ENOTFOUND : CR_EIO;
    }
    char chunk[65536];
    size_t n;
    while ((n = fread(chunk, 1, sizeof(chunk), f)) > 0) {
        if (buf->len + n > max_bytes) {
            cr_error_set("%s: file is larger than the limit of %zu bytes", path, max_bytes);
            result = CR_ELIMIT;
            goto done;
        }
        if (cr_buf_put(buf, chunk, n) < 0) {
            cr_error_set("%s: out of memory", path);
            result = CR_ENOMEM;
            goto done;
        }
    }
    if (ferror(f)) {
        cr_error_set("%s: read error", path);
        goto done;
    }
    if (!buf->ptr)
        cr_buf_put(buf, "", 0);
    result = 0;
done:
    fclose(f);
    return result;
}
