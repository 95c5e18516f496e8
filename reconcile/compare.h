/* SPDX-License-Identifier: Apache-2.0 */
#ifndef CR_RECONCILE_COMPARE_H
#define CR_RECONCILE_COMPARE_H
/*
 * Comparison of two desired states (the manifests of revision A and of revision B), for
 * `cognito-reconcile diff`: which pools are added, changed, replaced or removed, field by
 * field. A pure function like the diff (cr_plan_build): no I/O, no git, no AWS; tested with
 * hand-built desired sets (tests/unit/test_compare.c).
 *
 * The fields and their order are the plan's own: A becomes a live-like snapshot (each pool
 * as the service would hold it after applying A) and B is planned against it (prune on,
 * replacements allowed); the plan's field-level changes, merged per pool, are the
 * comparison. A pool only in A is removed: its fields come from the reverse plan (A planned
 * against a snapshot of B). Pools match by metadata.name, account and region; metadata.id is
 * compared as a field. Ownership tags never appear. A section a side leaves unmanaged compares as
 * empty, so a section that becomes managed shows every entry.
 */
#include <stdbool.h>
#include <stddef.h>

#include "reconcile/desired.h"
#include "reconcile/plan.h"
#include "util/error.h"

/** What happened to a pool between A and B. */
enum cr_compare_status {
    CR_COMPARE_ADDED,    /* only in B */
    CR_COMPARE_CHANGED,  /* in both, some field differs (changed in place) */
    CR_COMPARE_REPLACED, /* in both, developerProviderName changed: the pool is replaced */
    CR_COMPARE_REMOVED,  /* only in A */
};
#define CR_COMPARE_N_STATUS 4

/** One pool that differs. Every string is owned by the comparison. */
struct cr_compare_pool {
    char *name;    /* metadata.name */
    char *account; /* metadata.account, or NULL for the default account */
    char *region;  /* metadata.region, or the default region of the options */
    enum cr_compare_status status;
    char *from_source;              /* A's "file:line:column", NULL when added */
    char *to_source;                /* B's "file:line:column", NULL when removed */
    bool moved;                     /* in both, and the document's place (file or line) differs */
    char *note;                     /* why a replacement is one (the plan's note), else NULL */
    struct cr_plan_change *changes; /* before = A's value, after = B's; NULL = absent */
    size_t n_changes;
};

/** The pools that differ, in the plan's order: B's pools as given, then A's removed ones. */
struct cr_compare {
    struct cr_compare_pool *pools;
    size_t n_pools;
    size_t counts[CR_COMPARE_N_STATUS]; /* pools per status */
};

struct cr_compare_options {
    /* Region of pools without metadata.region: a region name, or a label such as
     * "(default region)" (only matched, never called). Required. */
    const char *region;
    /* The revision names A's and B's sources start with ("REV:file:line:column"), stripped
     * before `moved` compares places; NULL when the sources carry none. */
    const char *from_rev;
    const char *to_rev;
};

/**
 * Compares desired state A (from) with B (to) into out. Neither set is changed. Returns 0,
 * CR_EINVALID (two pools of one side share name, account and region: the message names them) or
 * CR_ENOMEM. On failure out is left empty (disposable).
 */
int cr_compare_build(struct cr_compare *out, const struct cr_desired_set *from,
                     const struct cr_desired_set *to,
                     const struct cr_compare_options *opts) CR_WARN_UNUSED;

/** Frees everything the comparison holds and zeroes it. Safe on a zeroed comparison. */
void cr_compare_dispose(struct cr_compare *cmp);

/** True when any pool differs. */
bool cr_compare_differs(const struct cr_compare *cmp);

#endif
