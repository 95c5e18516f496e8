/* SPDX-License-Identifier: Apache-2.0 */
#ifndef CR_RECONCILE_LIVE_H
#define CR_RECONCILE_LIVE_H
/*
 * The live state: what the service says about the pools a run cares about.
 *
 * The reader makes only the calls the plan needs (docs/plan.md "Reading live state"):
 * ListIdentityPools (every page) and DescribeIdentityPool for every pool when anything must
 * be discovered by its ownership tags (a pool without metadata.id, or --prune); otherwise
 * DescribeIdentityPool for the adopted ids only. GetIdentityPoolRoles only for pools whose
 * manifest manages roles; GetPrincipalTagAttributeMap only when principalTagAttributeMaps is
 * managed, for the providers the manifest manages that the live pool has configured. The calls
 * stream through cr_aws_stream(): each starts as soon as what it needs has arrived and the
 * client has room for it; accounts and regions are read at once (cr_live_read_all).
 *
 * A snapshot (struct cr_live_state) owns every pool it holds: each struct cr_live_pool is its
 * own heap allocation with the heap-owned cognito structs it carries (config, roles, maps), and
 * only small scratch strings (the pools' region names) live in the state's arena. One
 * cr_live_state_dispose() frees all of it.
 */
#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "aws/client.h"
#include "aws/cognito.h"
#include "reconcile/progress.h"
#include "util/arena.h"
#include "util/error.h"
#include "util/strmap.h"

#define CR_TAG_STACK    "cognito-reconcile:stack"
#define CR_TAG_NAME     "cognito-reconcile:name"
#define CR_TAG_REVISION "cognito-reconcile:revision"
#define CR_TAG_PREFIX   "cognito-reconcile:"
/* Set by CreateIdentityPool on every pool cognito-reconcile creates (never on adopted pools):
 * the twin rule deletes only pools that carry it (reconcile/twins.h). */
#define CR_TAG_CREATED_BY       "cognito-reconcile:created-by"
#define CR_TAG_CREATED_BY_VALUE "cognito-reconcile"

/** Whether a pool holds identities: read only for twins (reconcile/twins.h). */
enum cr_live_identities {
    CR_LIVE_IDENTITIES_UNKNOWN = 0, /* not read */
    CR_LIVE_IDENTITIES_NONE,
    CR_LIVE_IDENTITIES_SOME,
};

/** One pool as the service describes it. */
struct cr_live_pool {
    const char *account; /* the Account (metadata.account) it was read in; NULL = the default */
    const char *region;
    struct cr_cognito_pool config; /* DescribeIdentityPool; config.tags = IdentityPoolTags */
    /* ownership, parsed from config.tags (NULL when the tag is absent) */
    const char *stack;
    const char *name;
    const char *revision;
    const char *created_by; /* CR_TAG_CREATED_BY, NULL when absent */
    enum cr_live_identities identities;

    bool has_roles; /* GetIdentityPoolRoles was read */
    struct cr_cognito_roles roles;

    bool has_principal_tags; /* principal-tag maps were read (for the providers listed) */
    struct cr_cognito_principal_tags *principal_tags; /* sorted by provider */
    size_t n_principal_tags;
};

/** The longest scope key (cr_live_scope_key), NUL included. */
#define CR_LIVE_SCOPE_MAX 160

/**
 * All pools read, across the accounts and regions read. Disposed in one call. regions and
 * account_ids are keyed by scope: the region for the default account, "ACCOUNT/REGION" for a
 * named one (cr_live_scope_key), so a state of the default account alone is keyed by region.
 */
struct cr_live_state {
    struct cr_live_pool **pools; /* owned */
    size_t len;
    size_t cap;
    struct cr_strlist regions;    /* scopes whose pools were listed (discovery complete) */
    struct cr_strmap account_ids; /* scope -> account id, when known (for ARNs) */
    struct cr_arena arena;        /* scratch strings */
};

/**
 * What to read for one pool; built from a desired pool (cr_live_want_from_desired) or from a
 * saved plan. Strings are borrowed.
 */
struct cr_live_want {
    const char *name;    /* logical name (discovered by the cognito-reconcile:name tag) */
    const char *account; /* metadata.account; NULL = the default account */
    const char *region;  /* NULL = the client's region */
    const char *pool_id; /* describe this id directly (metadata.id, or a saved plan's pool) */
    bool roles;          /* read GetIdentityPoolRoles */
    bool principal_tags; /* read principal-tag maps for `providers` */
    const struct cr_strlist *providers; /* providers whose maps the manifest manages */
};

struct cr_aws_client;
struct cr_live_state;

/** More reading for one source, on its thread, once cr_live_read has filled its state (e.g. the
 * identities of twins): returns 0 or an error code with the message set. */
typedef int cr_live_after_read_fn(void *ctx, struct cr_live_state *state,
                                  struct cr_aws_client *client);

struct cr_live_read_options {
    const char *stack;          /* ownership stack (default "default") */
    const char *account;        /* the account the client reaches (an Account's name; NULL = the
                                   default): wants of other accounts are skipped, and the pools
                                   read and the scope listed are recorded as this account's */
    bool discover;              /* list and describe every pool even if every want has a pool_id
                                   (--prune, saved-plan verification of creates) */
    bool all_details;           /* export: read roles and every configured provider's map for every
                                   pool described */
    bool details_owned_only;    /* with all_details: only for pools of `stack` (export --stack) */
    const char *default_region; /* the region of wants whose region is NULL; NULL = such
                                   wants apply to every region read (more reads, same plan) */
    unsigned parallelism;       /* the client's --parallelism: the stream keeps twice this many
                                   calls queued or in flight; 0 = 16 */
    struct cr_progress *progress; /* counts pools listed (the total) and described; NULL = none
                                     (shared by the scopes read at once: thread-safe) */
    cr_live_after_read_fn *after_read; /* cr_live_read_all: then this, per source; may be NULL */
    void *after_read_ctx;
};

/** Zeroes a state (no allocation). */
void cr_live_state_init(struct cr_live_state *state);
/** Frees everything. Safe on a zeroed state. */
void cr_live_state_dispose(struct cr_live_state *state);

/**
 * Reads the live state of the client's region into state (which may already hold other
 * regions' pools: call once per region). Wants whose region is another region are skipped.
 * Discovery (List + Describe all) runs when a want has no pool_id or opts->discover.
 * A want's pool_id that does not exist: CR_ENOTFOUND naming the id. The account id is
 * resolved (cr_aws_client_account_id) only when a pool was found that tag calls may address.
 * Returns 0 or the first failing call's code (the message names the operation and pool).
 */
int cr_live_read(struct cr_live_state *state, struct cr_aws_client *client,
                 const struct cr_live_want *wants, size_t n_wants,
                 const struct cr_live_read_options *opts) CR_WARN_UNUSED;

/** One account and region to read in parallel with others (cr_live_read_all). */
struct cr_live_source {
    const char *account;          /* the account the client reaches; NULL = the default */
    struct cr_aws_client *client; /* borrowed; used by one thread only */
    /* results */
    int result;          /* 0, or the failure's code */
    char error[1024];    /* the failure's message */
    uint64_t elapsed_ms; /* how long this source took */
};

/**
 * Reads every source at once, each on a thread of its own with its own client (so each account
 * and region has its own connections, credentials and rate limits), with cr_live_read and
 * opts (whose account is replaced by each source's), then gathers what was read into state, in
 * source order. Returns 0, or the first failing source's code (in source order) with its
 * message; state then holds what the sources that succeeded read.
 */
int cr_live_read_all(struct cr_live_state *state, struct cr_live_source *sources, size_t n,
                     const struct cr_live_want *wants, size_t n_wants,
                     const struct cr_live_read_options *opts) CR_WARN_UNUSED;

/**
 * Adds a pool to the state (tests, saved-plan tools): deep-copies config (and roles /
 * principal tags when given), parses ownership tags. Returns the new pool via out (borrowed,
 * lives as long as state). region must not be NULL. Returns 0 or CR_ENOMEM.
 */
int cr_live_state_add(struct cr_live_pool **out, struct cr_live_state *state, const char *region,
                      const struct cr_cognito_pool *config, const struct cr_cognito_roles *roles,
                      const struct cr_cognito_principal_tags *ptags, size_t n_ptags) CR_WARN_UNUSED;

/**
 * The reader's cr_live_state_add: moves *config into the state instead of copying it (*config
 * is left zeroed, also on failure), no roles or maps yet. Returns 0 or CR_ENOMEM.
 */
int cr_live_state_take(struct cr_live_pool **out, struct cr_live_state *state, const char *region,
                       struct cr_cognito_pool *config) CR_WARN_UNUSED;

/** Decides whether a pool stays in the state (cr_live_state_retain). */
typedef bool cr_live_keep_fn(const struct cr_live_pool *pool, void *ctx);

/** Removes (and frees) the pools keep() rejects, keeping the others in their order. The
 * regions listed stay as they are. */
void cr_live_state_retain(struct cr_live_state *state, cr_live_keep_fn *keep, void *ctx);

/** Marks a region of the default account as fully listed (discovery complete) and records its
 * account id (may be NULL). Returns 0 or CR_ENOMEM. */
int cr_live_state_add_region(struct cr_live_state *state, const char *region,
                             const char *account_id) CR_WARN_UNUSED;

/** cr_live_state_add_region for a region of the named account (NULL = the default one). */
int cr_live_state_add_scope(struct cr_live_state *state, const char *account, const char *region,
                            const char *account_id) CR_WARN_UNUSED;

/** Records that pool (of state) was read in account (NULL = the default). 0 or CR_ENOMEM. */
int cr_live_pool_set_account(struct cr_live_state *state, struct cr_live_pool *pool,
                             const char *account) CR_WARN_UNUSED;

/** The scope key of a region of an account: "REGION", or "ACCOUNT/REGION". Returns out. */
const char *cr_live_scope_key(char out[CR_LIVE_SCOPE_MAX], const char *account, const char *region);

/**
 * Moves every pool, listed scope and account id of src into dst (src is left empty but
 * usable). Pools keep the account they were read in. Used to gather the states read in
 * parallel, one per account and region. Returns 0 or CR_ENOMEM (src then keeps what was not
 * moved; both stay disposable).
 */
int cr_live_state_merge(struct cr_live_state *dst, struct cr_live_state *src) CR_WARN_UNUSED;

/**
 * A view of one account of state: out borrows state's pools of that account (NULL = the
 * default account) and holds that account's listed regions and account ids keyed by plain
 * region, as a state of that account alone would be. Free it with cr_live_state_view_dispose
 * (never cr_live_state_dispose), before state. Returns 0 or CR_ENOMEM.
 */
int cr_live_state_view(struct cr_live_state *out, const struct cr_live_state *state,
                       const char *account) CR_WARN_UNUSED;

/** Frees what a view owns (not the pools it borrows). */
void cr_live_state_view_dispose(struct cr_live_state *view);

/** The named accounts state holds pools, listed scopes or account ids of, sorted, copied into
 * out; *has_default tells whether it holds anything of the default account. Returns 0 or
 * CR_ENOMEM. */
int cr_live_state_accounts(struct cr_strlist *out, bool *has_default,
                           const struct cr_live_state *state) CR_WARN_UNUSED;

/** The pool with that id, or NULL. Borrowed. */
const struct cr_live_pool *cr_live_find_id(const struct cr_live_state *state, const char *pool_id);

/** The principal-tag map read for provider, or NULL when it was not read. Borrowed. */
const struct cr_cognito_principal_tags *cr_live_principal_tags(const struct cr_live_pool *pool,
                                                               const char *provider);

/**
 * The fingerprint of a live pool (or of "no pool" when pool is NULL): the lowercase hex
 * SHA-256 (64 characters + NUL into out) of a canonical JSON of its configuration, tags,
 * roles (when read) and principal-tag maps (when read). Returns 0 or CR_ENOMEM.
 */
int cr_live_fingerprint(char out[65], const struct cr_live_pool *pool) CR_WARN_UNUSED;

#endif
