/* SPDX-License-Identifier: Apache-2.0 */
#ifndef CR_RECONCILE_TWINS_H
#define CR_RECONCILE_TWINS_H
/*
 * Twins: two or more live pools of one stack that claim one logical name (same region, stack
 * tag and name tag). Two applies of the same manifests that run at once without a lock both
 * see no pool and both create one; CreateIdentityPool has no idempotency token, so nothing on
 * the service side stops them (docs/locking.md).
 *
 * One deterministic rule, which every run that sees the same pools reaches on its own:
 *   - the keeper is the pool that metadata.id names, else the pool with the smallest id (byte
 *     order);
 *   - every other pool (a loser) may be deleted when cognito-reconcile created it (it carries
 *     the tag cognito-reconcile:created-by) and it holds no identities (ListIdentities with
 *     MaxResults 1 answered none);
 *   - otherwise nothing is deleted and the twins are reported with the commands that resolve
 *     them by hand.
 * Whoever runs the rule and whatever subset of the twins it sees, the pool with the smallest id
 * of all is kept by everyone who sees it, so the rule never deletes every twin.
 *
 * Twins are looked for in one account and region at a time, never across accounts: pools of
 * one name in two accounts (kind Account, metadata.account) are two pools, not twins.
 *
 * Who applies it:
 *   - apply, after its calls (cr_twins_check_after_apply): it lists the region again, describes
 *     the pools that appeared since its live read, and deletes the deletable losers: its own at
 *     once, another run's after giving that run a moment to delete it itself (it may still be
 *     configuring it); a loser it may not delete fails the apply (exit 1) with the remediation;
 *   - plan (reconcile/diff.c, through cr_twins_keeper / cr_twins_blocker): a later plan
 *     proposes the deletion of every deletable loser as an ordinary DeleteIdentityPool, so the
 *     next apply heals the stack; twins it may not delete stop the plan with the remediation.
 */
#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "aws/client.h"
#include "reconcile/apply.h"
#include "reconcile/live.h"
#include "reconcile/plan.h"
#include "util/buf.h"
#include "util/error.h"

/**
 * The keeper among n (>= 1) pools that claim one name: the pool whose id is adopt_id when one
 * does, else the smallest id. Pure; the same answer whatever the order of pools.
 */
size_t cr_twins_keeper(const struct cr_live_pool *const *pools, size_t n, const char *adopt_id);

/**
 * Why a loser may not be deleted automatically ("it holds identities", "cognito-reconcile did
 * not create it (no cognito-reconcile:created-by tag)", "whether it holds identities was not
 * read"), or NULL when it may be. Static string.
 */
const char *cr_twins_blocker(const struct cr_live_pool *loser);

/**
 * Appends the message for twins that may not all be resolved automatically: which pools claim
 * the name, which one the rule keeps, why each other one stays, and the exact commands (AWS
 * CLI) that resolve it by hand either way. account_id may be NULL (the ARN is then spelled
 * with $(aws sts get-caller-identity ...)). where is the manifest's file:line:column or NULL.
 * Returns 0 or CR_ENOMEM.
 */
int cr_twins_describe(struct cr_buf *out, const char *where, const char *stack, const char *name,
                      const struct cr_live_pool *const *pools, size_t n, size_t keeper,
                      const char *account_id) CR_WARN_UNUSED;

/**
 * The plan's note on the deletion of a loser: "twin of us-east-1:...: both carry the name tag
 * 'web' of stack 'default'; created by cognito-reconcile and holds no identities, so the pool
 * with the smallest id keeps the name". Returns a new string or NULL (out of memory).
 */
char *cr_twins_note(const char *stack, const struct cr_live_pool *keeper);

/**
 * Reads, for every pool of stack in state that shares its region and name tag with another
 * (a twin), whether it holds identities (ListIdentities, MaxResults 1) and records it in
 * pool->identities. Pools of the client's region only; pools of one name in two accounts are
 * not twins (state is normally one account's: cr_live_read's, or a cr_live_state_view). No call
 * when there are no twins. A call that fails (a role not allowed cognito-identity:ListIdentities)
 * leaves the pool's identities unknown, with a warning on stderr: such a twin is then reported,
 * never deleted. Returns 0 or CR_ENOMEM.
 */
int cr_twins_read_identities(struct cr_live_state *state, struct cr_aws_client *client,
                             const char *stack) CR_WARN_UNUSED;

/* ---- apply's check after its calls ---- */

enum cr_twin_outcome {
    CR_TWIN_DELETED,          /* a loser deleted by this run (created_here says whose it was) */
    CR_TWIN_DELETED_BY_OTHER, /* a loser another run created, deleted by that run meanwhile */
    CR_TWIN_LEFT,             /* a loser still there (see reason) */
};

/** One loser the check found. */
struct cr_twin_finding {
    char *name;    /* logical name */
    char *account; /* the Account (metadata.account) it is in; NULL = the default account */
    char *region;
    char *keeper_id; /* the pool that keeps the name */
    char *loser_id;
    enum cr_twin_outcome outcome;
    bool created_here; /* this run created the loser */
    char *reason;      /* CR_TWIN_LEFT: why, with the remediation; NULL otherwise */
};

struct cr_twins_report {
    struct cr_twin_finding *items;
    size_t len;
    size_t n_deleted, n_deleted_by_other, n_left;
    unsigned long calls; /* API calls the check made */
};

/** Frees the report. Safe on a zeroed report. */
void cr_twins_report_dispose(struct cr_twins_report *report);

/** Decides, before each write call of the check (its DeleteIdentityPool), whether it may be
 * made (the lock's guard, docs/locking.md); returns 0 or an error code with the message set. */
typedef int cr_twins_guard_fn(void *ctx);

struct cr_twins_check_options {
    const struct cr_live_state *before;    /* the live state the plan was made from */
    const struct cr_apply_report *applied; /* what apply did (the ids its creates returned) */
    /* the account each client reaches (an Account's name; NULL entries: the default account),
     * parallel to the clients; NULL = every client is the default account's */
    const char *const *client_accounts;
    cr_twins_guard_fn *guard;              /* may be NULL */
    void *guard_ctx;
    uint32_t wait_ms; /* how long to wait for another run to delete its twins; 0 = 500 */
};

/**
 * After apply made plan's calls: for every account and region where the plan created a pool
 * and every call of that account succeeded (an account whose calls failed is left to its next
 * plan), lists the pools again with that account's client, describes those that are neither in
 * opts->before nor already known, and looks for twins of the names the plan created there, among
 * that account's pools only. Losers this run created that hold no identities are
 * deleted (DeleteIdentityPool) at once. A loser another run of cognito-reconcile created is
 * first left to that run, which deletes it in its own check if it is still going (so it is
 * never deleted under the feet of a run still configuring it): this one waits up to
 * opts->wait_ms for that, then deletes it itself if it holds no identities (that run ended
 * before it could see ours). Any other loser (identities, not made by cognito-reconcile) is
 * reported. out receives the findings in every case. Returns 0 when no twin is left,
 * CR_ECONFLICT when one is (the message names each with its remediation), or the code of a
 * failed call.
 */
int cr_twins_check_after_apply(struct cr_twins_report *out, const struct cr_plan *plan,
                               struct cr_aws_client *const *clients, size_t n_clients,
                               const struct cr_twins_check_options *opts) CR_WARN_UNUSED;

#endif
