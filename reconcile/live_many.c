/* SPDX-License-Identifier: Apache-2.0 */
/*
 * Reading many accounts and regions at once (docs/plan.md "Accounts"): one thread per account
 * and region, each with its own client, into a state of its own; the states are gathered in
 * source order afterwards, so the result does not depend on which thread finished first.
 */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include "reconcile/live.h"
#include "util/parallel.h"

struct s_read {
    struct cr_live_source *sources;
    struct cr_live_state *states; /* one per source */
    const struct cr_live_want *wants;
    size_t n_wants;
    const struct cr_live_read_options *opts;
};

static uint64_t s_now_ms(void)
{
    struct timespec ts;
    clock_gettime(CLOCK_MONOTONIC, &ts);
    return (uint64_t)ts.tv_sec * 1000u + (uint64_t)ts.tv_nsec / 1000000u;
}

static void s_read_one(void *ctx, size_t i)
{
    struct s_read *r = ctx;
    struct cr_live_source *src = &r->sources[i];
    struct cr_live_read_options o = *r->opts;
    uint64_t t0 = s_now_ms();
    o.account = src->account;
    src->result = cr_live_read(&r->states[i], src->client, r->wants, r->n_wants, &o);
    if (src->result == 0 && o.after_read != NULL)
        src->result = o.after_read(o.after_read_ctx, &r->states[i], src->client);
    if (src->result != 0)
        snprintf(src->error, sizeof(src->error), "%s", cr_error_last());
    src->elapsed_ms = s_now_ms() - t0;
}

int cr_live_read_all(struct cr_live_state *state, struct cr_live_source *sources, size_t n,
                     const struct cr_live_want *wants, size_t n_wants,
                     const struct cr_live_read_options *opts)
{
    static const struct cr_live_read_options defaults = {.stack = "default"};
    struct s_read r = {sources, calloc(n ? n : 1, sizeof(*r.states)), wants, n_wants,
                       opts ? opts : &defaults};
    int result = 0;
    if (!r.states) {
        cr_error_set("out of memory reading %zu accounts and regions", n);
        return CR_ENOMEM;
    }
    for (size_t i = 0; i < n; i++) {
        cr_live_state_init(&r.states[i]);
        sources[i].result = 0;
        sources[i].error[0] = '\0';
    }
    /* all at once, as apply does: a cap would read a stack of more accounts x regions than
     * threads in waves, each as slow as a whole region's read (bench/scale, 3 x 10) */
    cr_parallel_run(n, 0, s_read_one, &r);
    const char *first = NULL; /* the first failure's message */
    for (size_t i = 0; i < n; i++) {
        if (result == 0 && sources[i].result != 0) {
            result = sources[i].result;
            first = sources[i].error;
        }
        if (sources[i].result == 0 && cr_live_state_merge(state, &r.states[i]) < 0 && result == 0)
            result = CR_ENOMEM; /* the message is merge's */
        cr_live_state_dispose(&r.states[i]);
    }
    if (first)
        cr_error_set("%s", first);
    free(r.states);
    return result;
}
