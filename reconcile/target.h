/* SPDX-License-Identifier: Apache-2.0 */
#ifndef CR_RECONCILE_TARGET_H
#define CR_RECONCILE_TARGET_H
/*
 * --target NAME (repeatable; Terraform's -target): limits plan, apply and drift to the pools
 * whose logical name (metadata.name, the cognito-reconcile:name tag) matches one of the
 * patterns, fnmatch(3) globs ("web", "web-*", "*-prod"). It filters the plan's inputs, so
 * cr_plan_build sees only the targeted pools: the others are neither created, changed,
 * compared nor, with --prune, deleted.
 *
 *   cr_target_desired(&desired, ...)          after loading: only targeted manifests
 *   ... read the live state for them ...
 *   cr_target_live(&live, ...)                 before cr_plan_build: only targeted pools of
 *                                              the stack (others' pools stay for the checks)
 */
#include <stdbool.h>
#include <stddef.h>

#include "reconcile/desired.h"
#include "reconcile/live.h"
#include "util/error.h"

/** The patterns of --target. n == 0: no targeting (everything is targeted). */
struct cr_targets {
    const char *const *patterns;
    size_t n;
};

/** True when name matches one of the patterns, or when there are none. */
bool cr_target_match(const struct cr_targets *targets, const char *name);

/**
 * Keeps in set only the pools targets name (in order), freeing the others. With prune false
 * every pattern must match a kept pool: a target that matches nothing does nothing, and is
 * more likely a typo (with prune it may name a pool of the stack no manifest declares any
 * more: cr_target_live checks it once the live state is read).
 * Returns 0, or CR_ENOTFOUND naming the first pattern that matches no manifest (with the
 * closest name when there is one), before any API call.
 */
int cr_target_desired(struct cr_desired_set *set, const struct cr_targets *targets,
                      bool prune) CR_WARN_UNUSED;

/**
 * Removes from live the pools of stack whose name no target matches, so the plan neither
 * matches nor prunes them. Pools that are not the stack's stay (the ownership checks need
 * them), and so does a pool a targeted manifest adopts by metadata.id whatever its name.
 * desired: the targeted pools (after cr_target_desired).
 * Returns 0, or CR_ENOTFOUND naming a pattern that matches neither a targeted manifest nor a
 * pool of the stack.
 */
int cr_target_live(struct cr_live_state *live, const struct cr_targets *targets,
                   const char *stack, const struct cr_desired_pool *desired,
                   size_t n_desired) CR_WARN_UNUSED;

#endif
