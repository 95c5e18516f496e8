/* SPDX-License-Identifier: Apache-2.0 */
#ifndef CR_RECONCILE_PLAN_H
#define CR_RECONCILE_PLAN_H
/*
 * The plan: the ordered API calls that turn the live state into the desired state.
 *
 * cr_plan_build() is a pure function (desired, live -> plan) with no I/O: it is tested
 * without any server. docs/plan.md explains normalisation, the order of operations, the
 * allowClassicFlow and principal-tag choices, ownership and saved plans.
 *
 * Per pool the operations are, in order: Create -> Update -> SetIdentityPoolRoles ->
 * SetPrincipalTagAttributeMap (one per provider) -> TagResource -> UntagResource -> Delete.
 * One exception keeps every call valid when it is made: when the Update removes a provider
 * that a live role mapping references, a SetIdentityPoolRoles without that mapping runs
 * before the Update (and, if the desired mappings also name a provider the Update adds, a
 * second SetIdentityPoolRoles with the full desired roles runs after it); and when the tags
 * TagResource adds on top of the live ones would pass 50, UntagResource runs before it. A
 * replacement is Delete then Create then the Create's follow-ups.
 */
#include <stdbool.h>
#include <stddef.h>

#include "aws/cognito.h"
#include "reconcile/desired.h"
#include "reconcile/live.h"
#include "util/error.h"
#include "util/strmap.h"

/** Shown where a pool id is only known once CreateIdentityPool has answered. */
#define CR_PLAN_ID_AFTER_CREATE "(known after create)"

/** A plan digest, "sha256:" and 64 lowercase hex digits (docs/plan.md "Saved plans"). */
#define CR_PLAN_DIGEST_PREFIX "sha256:"
#define CR_PLAN_DIGEST_LEN    (sizeof(CR_PLAN_DIGEST_PREFIX) - 1 + 64)

enum cr_plan_op_kind {
    CR_PLAN_OP_CREATE,             /* CreateIdentityPool (ownership + user tags included) */
    CR_PLAN_OP_UPDATE,             /* UpdateIdentityPool (the full desired configuration) */
    CR_PLAN_OP_SET_ROLES,          /* SetIdentityPoolRoles */
    CR_PLAN_OP_SET_PRINCIPAL_TAGS, /* SetPrincipalTagAttributeMap (one provider) */
    CR_PLAN_OP_TAG,                /* TagResource */
    CR_PLAN_OP_UNTAG,              /* UntagResource */
    CR_PLAN_OP_DELETE,             /* DeleteIdentityPool (prune, or first half of a replace) */
};

/** What happens to a pool as a whole. */
enum cr_plan_action {
    CR_PLAN_NOOP,    /* live matches desired */
    CR_PLAN_CREATE,  /* no live pool: created */
    CR_PLAN_UPDATE,  /* changed in place (any of update/roles/principal tags/tags) */
    CR_PLAN_REPLACE, /* developerProviderName changed: deleted and created (identities lost) */
    CR_PLAN_DELETE,  /* owned, no manifest, --prune */
};

/** One field-level change, for renderers. Values are compact JSON text; NULL = absent. */
struct cr_plan_change {
    char *path;   /* "identityPoolName", "tags[\"team\"]", "roleMappings[\"...\"]", ... */
    char *before; /* NULL: added */
    char *after;  /* NULL: removed */
};

/** One API call. Exactly one parameter member is used, by kind. */
struct cr_plan_op {
    enum cr_plan_op_kind kind;
    size_t pool;  /* index into plan->pools */
    bool replace; /* part of a replacement */

    struct cr_cognito_pool params_pool;            /* CREATE (tags in .tags), UPDATE; .id NULL for
                                                      CREATE, and for the ops of created pools */
    struct cr_cognito_roles params_roles;          /* SET_ROLES (.pool_id NULL for created pools) */
    struct cr_cognito_principal_tags params_ptags; /* SET_PRINCIPAL_TAGS */
    struct cr_strmap params_tags;                  /* TAG */
    struct cr_strlist params_untag;                /* UNTAG: tag keys, sorted */
    char *arn;                                     /* TAG/UNTAG: the pool ARN */

    struct cr_plan_change *changes; /* what this call changes (empty for DELETE) */
    size_t n_changes;
};

/** One pool the plan looked at (desired ones in input order, then pruned ones by name). */
struct cr_plan_pool {
    char *name;    /* logical name */
    char *account; /* metadata.account (an Account's name); NULL = the default account */
    char *region;  /* resolved region */
    char *pool_id; /* live id, or NULL when the pool is created */
    char *source;  /* "file:line:column" of the manifest document, NULL for pruned pools */
    char *identity_pool_name; /* IdentityPoolName (desired, or live for deletes) */
    enum cr_plan_action action;
    bool adopted;         /* metadata.id named a pool not yet tagged as ours */
    char *note;           /* why (replace: the developerProviderName change), or NULL */
    char *live_revision;  /* the live pool's cognito-reconcile:revision tag, or NULL */
    char fingerprint[65]; /* cr_live_fingerprint of the live pool seen (or of "no pool") */

    /* What the reader must read to verify the fingerprint again (saved plans). */
    char *adopt_id; /* metadata.id */
    bool read_roles;
    bool read_principal_tags;
    struct cr_strlist providers;

    size_t first_op; /* this pool's operations are ops[first_op .. first_op + n_ops) */
    size_t n_ops;
};

/** An account a plan covers: which one, how to reach it (so a saved plan can be applied), and
 * the regions of it the plan covers. */
struct cr_plan_account {
    struct cr_desired_account account; /* name NULL: the default account (the command line's
                                          credentials); account_id: the id every call's
                                          credentials must be for, NULL when not pinned */
    struct cr_strlist regions;         /* sorted */
};

/**
 * A test case of a planned pool as the plan affects it (access impact, docs/testing.md): its
 * outcome with the live configuration and with the planned one, and whether the planned one
 * still meets the case's expectation. Strings are owned; an outcome reads "role NAME",
 * "denied (NotAuthorizedException)", with ", tags {k=v, ...}" when the credentials carry tags.
 */
struct cr_plan_access {
    size_t pool;   /* index into plan->pools */
    char *test;    /* the IdentityPoolTest's metadata.name */
    char *name;    /* the case's name */
    char *source;  /* "file:line:column" of the case */
    char *before;  /* the outcome now; NULL when the plan creates the pool */
    char *after;   /* the outcome once the plan is applied */
    char *why;     /* how after was decided (the rule), or NULL */
    char *failure; /* after does not meet the expectation: what differs; NULL when it does */
};

struct cr_plan {
    char *stack;
    char *revision;                   /* git commit recorded in the revision tag, or NULL */
    struct cr_strlist regions;        /* regions the plan covers (in any account), sorted */
    struct cr_plan_account *accounts; /* the default account first (when covered), then the
                                         named ones by name; pools of one account are
                                         contiguous in `pools`, in this order */
    size_t n_accounts;
    struct cr_plan_pool *pools;
    size_t n_pools;
    struct cr_plan_op *ops;
    size_t n_ops;
    /* summary (a replacement counts as one create and one delete, like Terraform) */
    size_t n_create, n_update, n_delete, n_replace;

    /* What the plan was computed from, so a saved plan can be computed again and compared
     * (docs/plan.md "Saved plans"). */
    bool prune, allow_replace;       /* the options it was made with */
    struct cr_strlist targets;       /* --target patterns it was limited to (set by the caller
                                        that filtered the inputs: reconcile/target.h) */
    struct cr_desired_pool *desired; /* the desired pools, normalised, regions resolved */
    size_t n_desired;
    struct cr_strlist listed; /* regions whose every pool was listed (sorted) */
    struct cr_strmap owned;   /* there: id -> name tag ("" when none) of each pool of the stack */

    /* Access impact (reconcile/access_test.h, cr_access_impact): filled after the build when the
     * manifests have test cases for planned pools; not part of saved plans or the digest. */
    bool access_checked;           /* some planned pool has test cases */
    struct cr_plan_access *access; /* the cases whose outcome changes or fails, in test order */
    size_t n_access;
};

struct cr_plan_options {
    const char *stack;  /* ownership stack; NULL = "default" */
    const char *region; /* the default region, for pools without metadata.region */
    /* the Account documents (recorded in the plan for the accounts it covers), and the id of
     * the default account when it is known (--account-id, or the caller identity) */
    const struct cr_desired_account *accounts;
    size_t n_accounts;
    const char *default_account_id;
    const char *revision; /* git commit for the revision tag, or NULL */
    bool prune;           /* delete owned pools that no manifest names */
    bool allow_replace;   /* permit replacements (developerProviderName changes) */
};

/** Zeroes a plan. */
void cr_plan_init(struct cr_plan *plan);
/** Frees everything the plan holds. Safe on a zeroed plan. */
void cr_plan_dispose(struct cr_plan *plan);

/**
 * Builds the plan that takes live to desired, account by account: the desired pools and the
 * live pools of each account (metadata.account; the default account for pools without one)
 * are planned on their own (names are unique, pools are found and pruned, per account), and
 * the plans are joined, the default account first, then the others by name. Pure: no I/O.
 * Returns 0, or:
 * - CR_EREFUSED: a replacement without opts->allow_replace (the message names the pool, its
 *   file:line:column and the developerProviderName change);
 * - CR_ECONFLICT: two live pools of the stack carry the same name tag, an adopted pool belongs
 *   to another stack, or two manifests claim one pool;
 * - CR_ENOTFOUND: metadata.id names a pool that is not in live;
 * - CR_EINVALID: two desired pools share name and region, or a pool would hold more than 50
 *   tags once applied (the message names the pool, its file:line:column and the count);
 *   CR_ENOMEM.
 * On failure out is left disposed.
 */
int cr_plan_build(struct cr_plan *out, const struct cr_desired_pool *desired, size_t n_desired,
                  const struct cr_live_state *live,
                  const struct cr_plan_options *opts) CR_WARN_UNUSED;

/** cr_plan_build for the pools of one account (the pure diff, reconcile/diff.c): desired and
 * live hold that account's pools only, live keyed by plain regions. */
int cr_plan__build_account(struct cr_plan *out, const struct cr_desired_pool *desired,
                           size_t n_desired, const struct cr_live_state *live,
                           const struct cr_plan_options *opts) CR_WARN_UNUSED;

/** The plan's entry for account (NULL = the default), or NULL. Borrowed. */
const struct cr_plan_account *cr_plan_account_find(const struct cr_plan *plan, const char *account);

/** "account 'prod'" or "the default account", for messages. Static or borrowed string in
 * buf. */
const char *cr_plan_account_label(char buf[96], const char *account);

/** True when the plan covers a named account (a kind: Account document). */
bool cr_plan_has_accounts(const struct cr_plan *plan);

/** True when the plan makes no call. */
bool cr_plan_is_empty(const struct cr_plan *plan);

/** The id an op addresses as the plan knows it: the pool's id, or NULL for the calls of a pool
 * the plan creates (also the calls after a replacement's Delete). Borrowed. */
const char *cr_plan_op_pool_id(const struct cr_plan *plan, const struct cr_plan_op *op);

/** The API operation an op calls. */
enum cr_cognito_op cr_plan_op_api(enum cr_plan_op_kind kind);
/** "create", "update", "set_roles", "set_principal_tags", "tag", "untag", "delete". */
const char *cr_plan_op_kind_name(enum cr_plan_op_kind kind);
/** "no-op", "create", "update", "replace", "delete". */
const char *cr_plan_action_name(enum cr_plan_action action);

/**
 * The exact request body of an op (JSON 1.1). pool_id replaces the op's pool id (the id a
 * CreateIdentityPool returned) when not NULL; otherwise a created pool's id is shown as
 * CR_PLAN_ID_AFTER_CREATE. Returns 0 or CR_ENOMEM.
 */
int cr_plan_op_body(struct cr_buf *out, const struct cr_plan *plan, const struct cr_plan_op *op,
                    const char *pool_id) CR_WARN_UNUSED;

/* ---- what to read for a plan (the live reader's input) ---- */

/** Owns the providers lists that the wants borrow. */
struct cr_plan_wants {
    struct cr_live_want *items;
    size_t len;
    struct cr_strlist *providers; /* one per item */
};

/** The wants of desired pools. The wants borrow desired's strings. Returns 0 or CR_ENOMEM. */
int cr_plan_wants_from_desired(struct cr_plan_wants *out, const struct cr_desired_pool *desired,
                               size_t n) CR_WARN_UNUSED;
/** The wants of a (saved) plan's pools. The wants borrow plan's strings. 0 or CR_ENOMEM. */
int cr_plan_wants_from_plan(struct cr_plan_wants *out, const struct cr_plan *plan) CR_WARN_UNUSED;
void cr_plan_wants_dispose(struct cr_plan_wants *wants);

/* ---- saved plans (plan --out FILE, apply FILE) ---- */

/**
 * Writes the plan as JSON to path, atomically (temporary file + rename): the document of
 * cr_render_json (format_version "1", stack, revision, regions, pools with their fingerprints,
 * operations with their exact request parameters, the digest) and what it was computed from:
 * "options" (prune, allow_replace, targets), "desired" (each desired pool: name, region, adopt_id,
 * source, config, roles, principal_tags, tags; null = unmanaged), "listed_regions" and
 * "owned". Returns 0 or CR_EIO naming the path.
 */
int cr_plan_save(const struct cr_plan *plan, const char *path) CR_WARN_UNUSED;

/** The text cr_plan_save writes, appended to out. Returns 0 or CR_ENOMEM. */
int cr_plan_save_text(struct cr_buf *out, const struct cr_plan *plan) CR_WARN_UNUSED;

/**
 * Loads a saved plan into out. The file must be self-consistent: its "digest" is the digest of
 * its "operations", and every operation's parameters are exactly what cognito-reconcile sends
 * for them. Returns 0, CR_EIO (unreadable), or CR_EINVALID naming the file and the member that
 * is missing, malformed or inconsistent (also for an unknown format_version, or a plan saved
 * without its desired state by an older version).
 */
int cr_plan_load(struct cr_plan *out, const char *path) CR_WARN_UNUSED;

/** As cr_plan_load() from text in memory; `name` is used in messages. */
int cr_plan_load_text(struct cr_plan *out, const char *text, size_t len,
                      const char *name) CR_WARN_UNUSED;

/**
 * Compares the live state read again (with discovery, for the plan's desired pools) with what
 * the plan saw: every pool's fingerprint, and in every region it listed the pools of its stack
 * (id and name tag). Returns 0 when nothing changed, or CR_ECONFLICT naming the first pool
 * that changed, appeared or went away since the plan was made ("pool 'web' (us-east-1:...):
 * live state changed since the plan was made (...); run plan again").
 */
int cr_plan_verify(const struct cr_plan *plan, const struct cr_live_state *live) CR_WARN_UNUSED;

/**
 * Computes a saved plan again from what it records (its desired pools, stack, revision, prune
 * and allow-replace) and the live state read now (already limited to saved->targets), and compares
 * the two operation by operation: the same pools with the same ids and actions, the same calls in
 * the same order with the same request bodies. On success out holds the plan computed now (the one
 * to apply; it has the saved plan's digest). Otherwise out is left disposed and the result is the
 * planning error (prefixed), or CR_ECONFLICT naming the first pool or operation that differs. Pure:
 * no I/O.
 */
int cr_plan_rederive(struct cr_plan *out, const struct cr_plan *saved,
                     const struct cr_live_state *live) CR_WARN_UNUSED;

/* ---- the plan digest (docs/plan.md "Saved plans" defines it exactly) ---- */

struct json_t;

/**
 * The digest of a plan's JSON "operations" array: SHA-256 of the compact JSON text, keys
 * sorted and escaped as `jq -jcS` prints it, of
 * [.operations[] | {action, pool, account, region, pool_id, replace, parameters}].
 * Writes CR_PLAN_DIGEST_LEN characters and a NUL into out. Returns 0, CR_EINVALID (not an
 * array of objects, or a JSON number that is not an integer) or CR_ENOMEM.
 */
int cr_plan_digest_ops(char out[CR_PLAN_DIGEST_LEN + 1],
                       const struct json_t *operations) CR_WARN_UNUSED;

/** The digest of a plan: cr_plan_digest_ops of its JSON rendering's operations. Returns 0 or
 * CR_ENOMEM. */
int cr_plan_digest(char out[CR_PLAN_DIGEST_LEN + 1], const struct cr_plan *plan) CR_WARN_UNUSED;

/** True if s is a well-formed digest ("sha256:" and 64 hex digits, any case). */
bool cr_plan_digest_valid(const char *s);

/** True if the two digests are the same (hex digits compared without case). */
bool cr_plan_digest_equal(const char *a, const char *b);

#endif
