/* SPDX-License-Identifier: Apache-2.0 */
#include "util/error.h"

#include <stdarg.h>
#include <stdio.h>
#include <string.h>

#define CR_ERROR_MAX 4096

static _Thread_local char s_last[CR_ERROR_MAX];

void cr_error_set(const char *fmt, ...)
{
    va_list ap;
    va_start(ap, fmt);
    vsnprintf(s_last, sizeof(s_last), fmt, ap);
    va_end(ap);
}

void cr_error_prefix(const char *fmt, ...)
{
    char prefix[CR_ERROR_MAX];
    char old[CR_ERROR_MAX];
    va_list ap;
    va_start(ap, fmt);
    vsnprintf(prefix, sizeof(prefix), fmt, ap);
    va_end(ap);
    memcpy(old, s_last, sizeof(old));
    if (old[0] == '\0') {
        snprintf(s_last, sizeof(s_last), "%s", prefix);
        return;
    }
    /* truncation of an over-long message is acceptable */
    size_t n = strlen(prefix);
    if (n > CR_ERROR_MAX - 3)
        n = CR_ERROR_MAX - 3;
    memcpy(s_last, prefix, n);
    memcpy(s_last + n, ": ", 2);
    size_t rest = CR_ERROR_MAX - n - 3;
    size_t olen = strlen(old);
    if (olen > rest)
        olen = rest;
    memcpy(s_last + n + 2, old, olen);
    s_last[n + 2 + olen] = '\0';
}

const char *cr_error_last(void)
{
    return s_last;
}

void cr_error_clear(void)
{
    s_last[0] = '\0';
}

const char *cr_error_name(int code)
{
    switch (code) {
    case CR_OK: return "ok";
    case CR_ENOTFOUND: return "not found";
    case CR_EINVALID: return "invalid";
    case CR_ETHROTTLED: return "throttled";
    case CR_EAUTH: return "authentication";
    case CR_ENOMEM: return "out of memory";
    case CR_EIO: return "i/o";
    case CR_ETIMEOUT: return "timeout";
    case CR_EAMBIGUOUS: return "ambiguous";
    case CR_ESERVICE: return "service error";
    case CR_ECONFLICT: return "conflict";
    case CR_ELIMIT: return "limit";
    case CR_EREFUSED: return "refused";
    default: return "error";
    }
}
