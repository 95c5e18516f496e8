/* SPDX-License-Identifier: Apache-2.0 */
#ifndef CR_UTIL_LOG_H
#define CR_UTIL_LOG_H
/* Logging to stderr. Debug lines only with --debug. Callers redact secrets before logging. */
#include <stdbool.h>

#include "util/error.h"

/** Turns debug logging on or off (process-wide). */
void cr_log_set_debug(bool on);
/** True when debug logging is on. */
bool cr_log_debug_enabled(void);
/** Writes "debug: ..." to stderr when debug logging is on. */
void cr_log_debug(const char *fmt, ...) CR_PRINTF(1, 2);
/** Writes a progress or warning line to stderr. */
void cr_log_info(const char *fmt, ...) CR_PRINTF(1, 2);

/**
 * Where lines go instead of stderr (cognito-reconcile watch --log-format json wraps each in a
 * JSON object): fn(ctx, debug, line) gets every line, without its "debug: " prefix or newline,
 * from any thread. NULL restores stderr. Set it before other threads log.
 */
typedef void cr_log_sink_fn(void *ctx, bool debug, const char *line);
void cr_log_set_sink(cr_log_sink_fn *fn, void *ctx);
/** True while a sink takes the lines (what writes to stderr by itself should then keep quiet). */
bool cr_log_has_sink(void);

#endif
