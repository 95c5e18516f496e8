/* SPDX-License-Identifier: Apache-2.0 */
#ifndef CR_UTIL_PARALLEL_H
#define CR_UTIL_PARALLEL_H
/*
 * A parallel for: runs fn(ctx, i) for every i in [0, n), each on a thread of its own, at most
 * max_threads at a time, and returns once all are done. For work that waits on the network
 * (one account and region per thread: each with its own client, credentials and rate limits),
 * not for CPU work. fn must not share unsynchronised state between indexes; the error message
 * of a thread (cr_error_set is thread-local) is the caller's to carry back through ctx.
 */
#include <stddef.h>

/** One unit of work; i is its index. */
typedef void cr_parallel_fn(void *ctx, size_t i);

/**
 * Runs fn(ctx, 0) ... fn(ctx, n - 1), at most max_threads (0 = n) at a time. n == 1 runs on
 * the caller's thread. When a thread cannot be started, its work runs on the caller's thread
 * instead, so every index runs exactly once whatever happens.
 */
void cr_parallel_run(size_t n, size_t max_threads, cr_parallel_fn *fn, void *ctx);

#endif
