/* SPDX-License-Identifier: Apache-2.0 */
#ifndef CR_TESTS_SUPPORT_PLAN_SIM_H
#define CR_TESTS_SUPPORT_PLAN_SIM_H
/*
 * The plan simulator (tests only): a model of the identity pools the cognito-identity service
 * holds, which applies a plan call by call exactly as cr_apply() sends it (the same request
 * bodies, from cr_plan_op_body, in apply's order) and checks every call, and the state after
 * it, against the service's rules:
 *
 * - the request against its operation's input shape in the one constraint table
 *   (schema/constraints.h): types, required members, lengths, patterns, enums, list and map
 *   sizes, and no member the API does not define;
 * - the semantic rules of docs/service-behaviour.md as the emulator enforces them
 *   (docs/emulator.md): the pool exists, role-mapping keys and principal-tag providers are
 *   configured on the pool, AmbiguousRoleResolution is given, a Rules mapping has 1..25 rules,
 *   at most 10 mappings, at most 50 tags and no aws: key, at most 50 user-pool providers,
 *   DeveloperProviderName never changes once set;
 * - the state after every call as a whole: every role mapping names a provider the pool has.
 *   (The service takes an UpdateIdentityPool that strands a mapping, but then rejects every
 *   roles call that keeps it; a plan must never leave a pool so: docs/plan.md.)
 *
 * Calls change the model as the emulator changes its state: UpdateIdentityPool replaces the
 * whole configuration, keeps an omitted DeveloperProviderName and resets a set but omitted
 * AllowClassicFlow to false; SetIdentityPoolRoles replaces roles and mappings; principal-tag
 * maps are kept per provider name, also when the provider is removed (unseen until it is added
 * again); TagResource merges, UntagResource ignores absent keys.
 *
 * Besides applying, it reads like cr_live_read() (cr_sim_read), checks an end state against
 * the manifests (cr_sim_check_end), renders a canonical form to compare with the emulator
 * (cr_sim_canonical) and draws random (live, desired) cases within the API's limits for the
 * property tests (cr_sim_generate). It links reconcile/ and schema/, not the emulator.
 */
#include <stddef.h>
#include <stdint.h>

#include "aws/cognito.h"
#include "reconcile/desired.h"
#include "reconcile/live.h"
#include "reconcile/plan.h"
#include "util/buf.h"
#include "util/strmap.h"

/** One identity pool as the service holds it. */
struct cr_sim_pool {
    char *region;
    struct cr_cognito_pool config;           /* config.id set; config.tags = IdentityPoolTags */
    struct cr_cognito_roles roles;           /* roles.pool_id NULL */
    struct cr_cognito_principal_tags *ptags; /* maps set by a call, by provider name, sorted;
                                                a configured provider without one reads as the
                                                default (UseDefaults true, no tags) */
    size_t n_ptags;
};

/** The service: pools of every region, and the account id of each region (for ARNs). */
struct cr_sim {
    struct cr_sim_pool **pools; /* in creation order */
    size_t len, cap;
    struct cr_strmap accounts; /* region -> account id; these regions are listed by reads */
    unsigned long created;     /* pools created so far (new ids count up) */
};

/** Zeroes a simulator. */
void cr_sim_init(struct cr_sim *sim);
/** Frees every pool. Safe on a zeroed simulator. */
void cr_sim_dispose(struct cr_sim *sim);
/** Deep copy of src into out (initialised here). Returns 0 or CR_ENOMEM. */
int cr_sim_copy(struct cr_sim *out, const struct cr_sim *src) CR_WARN_UNUSED;

/**
 * Adds a region (listed by every read) with its account id. Returns 0 or CR_ENOMEM.
 */
int cr_sim_add_region(struct cr_sim *sim, const char *region, const char *account) CR_WARN_UNUSED;

/**
 * Adds a pool as it exists (config.id must be set; config.tags are its tags; roles and ptags
 * may be NULL). The pool must be valid as a whole (the same rules as after a call): otherwise
 * CR_EINVALID naming the rule. Returns 0, CR_EINVALID or CR_ENOMEM. *out (may be NULL) is
 * borrowed from sim.
 */
int cr_sim_add(struct cr_sim_pool **out, struct cr_sim *sim, const char *region,
               const struct cr_cognito_pool *config, const struct cr_cognito_roles *roles,
               const struct cr_cognito_principal_tags *ptags, size_t n_ptags) CR_WARN_UNUSED;

/** The pool with this id, or NULL. Borrowed. */
const struct cr_sim_pool *cr_sim_find(const struct cr_sim *sim, const char *id);

/**
 * One API call with its JSON 1.1 request body, in region. Returns 0 (the model changed as
 * the service would change; *created_id, when not NULL, receives a CreateIdentityPool's new
 * id, heap-owned), or CR_EINVALID when the service would reject the call or the call leaves
 * the pool invalid (the message says which rule), or CR_ENOMEM.
 */
int cr_sim_call(struct cr_sim *sim, char **created_id, enum cr_cognito_op op, const char *region,
                const char *body) CR_WARN_UNUSED;

/**
 * Applies plan as cr_apply() would (each pool's calls in order, the ids a create returns used
 * by the calls after it, pruned pools last). Returns 0, or the first failing call's code with
 * the message "operation N (Api, pool 'name'): <why>".
 */
int cr_sim_apply(struct cr_sim *sim, const struct cr_plan *plan) CR_WARN_UNUSED;

/**
 * The live state cr_live_read() would return for these desired pools with discovery (every
 * pool of every region described; roles and principal-tag maps of the pools a manifest
 * claims, as its wants say). out must be initialised. Returns 0 or CR_ENOMEM.
 */
int cr_sim_read(struct cr_live_state *out, const struct cr_sim *sim,
                const struct cr_desired_pool *desired, size_t n_desired,
                const char *stack) CR_WARN_UNUSED;

/**
 * Checks that after (the state once plan was applied to before) is what the manifests ask
 * for, independently of the diff: each desired pool exists once (found by its ownership tags),
 * in place unless it had to be replaced, with the desired configuration, roles, principal-tag
 * maps and tags (unmanaged sections unchanged); pruned pools are gone only with opts->prune;
 * every other pool is untouched. Returns 0 or CR_EINVALID naming the first difference.
 */
int cr_sim_check_end(const struct cr_sim *after, const struct cr_sim *before,
                     const struct cr_plan *plan, const struct cr_desired_pool *desired,
                     size_t n_desired, const struct cr_plan_options *opts) CR_WARN_UNUSED;

/**
 * A canonical JSON text of every pool: sorted by region and ownership tags, configuration,
 * tags, roles and the principal-tag map each configured provider reads as (stored maps of
 * removed providers are not visible). Ids of pools not in keep_ids are written as "(new)", so
 * two services that created the same pools under other ids compare equal. Returns 0 or
 * CR_ENOMEM.
 */
int cr_sim_canonical(struct cr_buf *out, const struct cr_sim *sim,
                     const struct cr_strlist *keep_ids) CR_WARN_UNUSED;

/* ---- random cases for property tests ---- */

/** A (live, desired) case within the API's limits. */
struct cr_sim_case {
    uint64_t seed;
    struct cr_sim live;              /* the service before the plan */
    struct cr_desired_pool *desired; /* normalised, regions resolved */
    size_t n_desired;
    struct cr_plan_options opts; /* strings are static */
    int expect;                  /* cr_plan_build's result: 0, or CR_EREFUSED when a
                                    replacement is needed without allow_replace */
};

/**
 * Draws the case of seed (deterministic): one to three manifests and up to two unrelated
 * pools; pools created, updated in place, adopted, replaced, pruned or left alone; random
 * subsets of every kind of provider (so providers disappear while mappings name them), roles
 * and mappings with up to 25 rules, principal-tag maps unset, cleared, default or custom,
 * AllowClassicFlow in its three live states, renames, and tag counts up to the 50-tag limit
 * (many cases at 45..50). Returns 0 or CR_ENOMEM.
 */
int cr_sim_generate(struct cr_sim_case *out, uint64_t seed) CR_WARN_UNUSED;

/** Frees a case. Safe on a zeroed case. */
void cr_sim_case_dispose(struct cr_sim_case *c);

/** The first case seed the property tests run by default (CR_PLAN_SIM_SEED overrides it). */
#define CR_SIM_SEED 0x5eed0001u

/** An environment variable as a number (0x... hex, 0... octal, decimal), or fallback. */
uint64_t cr_sim_env_u64(const char *name, uint64_t fallback);

#endif
