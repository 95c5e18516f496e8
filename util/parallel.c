/* SPDX-License-Identifier: Apache-2.0 */
/* The parallel for of util/parallel.h: workers take the next index from a shared counter. */
#include "util/parallel.h"

#include <pthread.h>
#include <stdatomic.h>
#include <stdlib.h>

struct s_job {
    cr_parallel_fn *fn;
    void *ctx;
    size_t n;
    atomic_size_t next; /* the next index to run */
};

static void *s_worker(void *arg)
{
    struct s_job *job = arg;
    for (size_t i = atomic_fetch_add(&job->next, 1); i < job->n;
         i = atomic_fetch_add(&job->next, 1))
        job->fn(job->ctx, i);
    return NULL;
}

void cr_parallel_run(size_t n, size_t max_threads, cr_parallel_fn *fn, void *ctx)
{
    struct s_job job = {.fn = fn, .ctx = ctx, .n = n};
    atomic_init(&job.next, 0);
    size_t want = max_threads == 0 || max_threads > n ? n : max_threads;
    /* the caller is one of the workers: it also takes whatever threads that could not start
     * would have done */
    pthread_t *ids = want > 1 ? calloc(want - 1, sizeof(*ids)) : NULL;
    size_t started = 0;
    while (ids != NULL && started < want - 1 &&
           pthread_create(&ids[started], NULL, s_worker, &job) == 0)
        started++;
    s_worker(&job);
    for (size_t t = 0; t < started; t++)
        pthread_join(ids[t], NULL);
    free(ids);
}
