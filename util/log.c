/* SPDX-License-Identifier: Apache-2.0 */
#include "util/log.h"

#include <stdarg.h>
#include <stdatomic.h>
#include <stdio.h>

static atomic_bool s_debug;
static cr_log_sink_fn *s_sink;
static void *s_sink_ctx;

void cr_log_set_sink(cr_log_sink_fn *fn, void *ctx)
{
    s_sink_ctx = ctx;
    s_sink = fn;
}

bool cr_log_has_sink(void)
{
    return s_sink != NULL;
}

void cr_log_set_debug(bool on)
{
    atomic_store(&s_debug, on);
}

bool cr_log_debug_enabled(void)
{
    return atomic_load(&s_debug);
}

static void s_write(const char *prefix, const char *fmt, va_list ap)
{
    char line[8192];
    vsnprintf(line, sizeof(line), fmt, ap);
    if (s_sink != NULL) {
        s_sink(s_sink_ctx, prefix[0] != '\0', line);
        return;
    }
    /* one fputs per line so lines from several threads do not interleave */
    char out[8300];
    snprintf(out, sizeof(out), "%s%s\n", prefix, line);
    fputs(out, stderr);
}

void cr_log_debug(const char *fmt, ...)
{
    if (!cr_log_debug_enabled())
        return;
    va_list ap;
    va_start(ap, fmt);
    s_write("debug: ", fmt, ap);
    va_end(ap);
}

void cr_log_info(const char *fmt, ...)
{
    va_list ap;
    va_start(ap, fmt);
    s_write("", fmt, ap);
    va_end(ap);
}
