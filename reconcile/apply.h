/* SPDX-License-Identifier: Apache-2.0 */
#ifndef CR_RECONCILE_APPLY_H
#define CR_RECONCILE_APPLY_H
/*
 * Apply: executes a plan's calls. Calls of one pool run in order; pools run in parallel,
 * streamed (a pool's next call starts as soon as its previous one answered, within the
 * client's parallelism and rates, pools earlier in the plan first), every account and region
 * at once. The first failure stops the run in its account (accounts fail on their own: the
 * others run to the end, their pruning included): calls already sent finish, nothing else of
 * that account starts; the report says what succeeded, what failed (with the service's error)
 * and what was not attempted; running plan/apply again converges.
 *
 * CreateIdentityPool is never sent twice blindly: after an ambiguous failure (timeout,
 * reset, 5xx) apply lists the pools, describes those with the same IdentityPoolName and
 * adopts one carrying our stack and name tags; only if there is none does it create again.
 *
 * Confirmation prompts are the caller's job.
 */
#include <stdbool.h>
#include <stddef.h>

#include "aws/client.h"
#include "reconcile/plan.h"
#include "reconcile/progress.h"
#include "util/error.h"

enum cr_apply_status {
    CR_APPLY_NOT_ATTEMPTED = 0,
    CR_APPLY_DONE,
    CR_APPLY_FAILED,
};

/** The outcome of one plan operation (same index as plan->ops). */
struct cr_apply_result {
    enum cr_apply_status status;
    int code;       /* 0, or the failure's CR_E* code */
    char *error;    /* the failure's message ("UpdateIdentityPool us-east-1:...: Type: msg") */
    char *pool_id;  /* the pool id the call addressed (a create's new id), or NULL */
    bool recovered; /* a create found its pool after an ambiguous failure */
};

struct cr_apply_report {
    struct cr_apply_result *results; /* plan->n_ops entries */
    size_t n_results;
    size_t n_done, n_failed, n_not_attempted;
    unsigned long write_calls; /* write requests sent (attempts included) */
};

/**
 * Called as operations run: with CR_APPLY_NOT_ATTEMPTED (code 0) just before an operation is
 * sent, and with CR_APPLY_DONE or CR_APPLY_FAILED once it ended -- these in plan order (the
 * pruned pools' deletes last), each only after every operation before it was reported or
 * will never run, so the output stays grouped per pool and in plan order. Calls come from the
 * regions' threads, one at a time. result is borrowed for the call.
 */
typedef void (*cr_apply_progress_fn)(void *user, const struct cr_plan *plan, size_t op_index,
                                     const struct cr_apply_result *result);

/** Asked before write calls are sent (the run lock's guard, docs/locking.md): 0 lets them
 * go; an error code (message set) stops the run before them. */
typedef int (*cr_apply_guard_fn)(void *ctx);

struct cr_apply_options {
    unsigned max_create_attempts; /* CreateIdentityPool tries after ambiguous failures; 0 = 3 */
    /* the account each client reaches (an Account's name; NULL entries: the default account),
     * parallel to cr_apply's clients; NULL = every client is the default account's */
    const char *const *client_accounts;
    cr_apply_progress_fn progress; /* may be NULL */
    void *progress_user;
    /* Asked right before each call goes out (all of apply's calls are writes), after its wait
     * for the operation's rate, and before each retry; a refusal ends the run there as a
     * failure (the refusal's code and message; calls not sent are not attempted, calls
     * already sent finish). Called from the regions' threads: thread-safe. May be NULL. */
    cr_apply_guard_fn guard;
    void *guard_ctx;
    unsigned parallelism;      /* the clients' --parallelism (calls kept queued: twice this);
                                  0 = 8 */
    struct cr_progress *meter; /* counts the operations that ended; NULL = none */
};

/** Frees the report's strings and array. Safe on a zeroed report. */
void cr_apply_report_dispose(struct cr_apply_report *report);

/**
 * Executes plan. clients holds one client per account and region the plan touches (matched by
 * opts->client_accounts and cr_aws_client_region). out receives the report in every case (also
 * on failure). A failure stops the calls of its account only: the other accounts' calls go on.
 * Returns 0 when every call succeeded; otherwise the first failure's code (the message names
 * the operation, the pool and the service's error), CR_EINVALID when no client serves an
 * account and region of the plan (nothing is then sent).
 */
int cr_apply(struct cr_apply_report *out, const struct cr_plan *plan,
             struct cr_aws_client *const *clients, size_t n_clients,
             const struct cr_apply_options *opts) CR_WARN_UNUSED;

#endif
