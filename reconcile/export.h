/* SPDX-License-Identifier: Apache-2.0 */
#ifndef CR_RECONCILE_EXPORT_H
#define CR_RECONCILE_EXPORT_H
/*
 * Export: YAML manifests (format v1) for existing pools, so a team can adopt what it has.
 * Exporting and then planning against the same live state shows no changes for pools the
 * stack owns; a pool that is not yet ours is exported with metadata.id, and its first plan
 * only adds the ownership tags (docs/plan.md "Export").
 */
#include <stdbool.h>
#include <stddef.h>

#include "aws/client.h"
#include "reconcile/live.h"
#include "util/buf.h"
#include "util/error.h"

struct cr_export_options {
    const char *stack;      /* the stack the manifests are for (default "default") */
    bool all;               /* every pool of the region */
    const char *const *ids; /* these pool ids */
    size_t n_ids;
    bool by_stack; /* the pools owned by `stack` */
};

/**
 * Reads what export needs from the client's region into state: the selected pools with
 * their tags, roles and every configured provider's principal-tag map.
 * Returns 0, CR_ENOTFOUND for an id that does not exist, or the failing call's code.
 */
int cr_export_read(struct cr_live_state *state, struct cr_aws_client *client,
                   const struct cr_export_options *opts) CR_WARN_UNUSED;

/**
 * Writes one YAML document per selected pool of state (sorted by logical name) to out, and
 * their number to *n_pools (may be NULL). metadata.name is the cognito-reconcile:name tag, or
 * a name derived from IdentityPoolName (lowercase, runs of other characters as '-', made
 * unique with -2, -3...).
 * Returns 0, CR_ENOMEM or CR_ERROR (emitter failure, with libyaml's message).
 */
int cr_export_write(struct cr_buf *out, size_t *n_pools, const struct cr_live_state *state,
                    const struct cr_export_options *opts) CR_WARN_UNUSED;

#endif
