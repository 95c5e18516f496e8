/* SPDX-License-Identifier: Apache-2.0 */
#ifndef CR_RECONCILE_DESIRED_H
#define CR_RECONCILE_DESIRED_H
/*
 * The desired state of identity pools: what the manifests say, normalised so the diff
 * compares like with like (docs/plan.md "Normalisation").
 *
 * - Pool fields (everything UpdateIdentityPool takes) are always managed: an optional field
 *   absent from the manifest is its API default (empty list/map, false). allowClassicFlow
 *   absent from the manifest is false, so config.allow_classic_flow is always 0 or 1 here
 *   (the live side may be -1: see docs/plan.md "allowClassicFlow").
 * - roles+roleMappings, principalTagAttributeMaps and tags are sections: absent means
 *   unmanaged (left alone), present (even empty) means exactly this.
 *
 * Every string is heap-owned by the struct and freed by cr_desired_pool_dispose().
 */
#include <stdbool.h>
#include <stddef.h>

#include "aws/cognito.h"
#include "schema/manifest.h"
#include "util/error.h"
#include "util/strmap.h"

/**
 * An AWS account pools may live in (a kind: Account document): the id it must be (checked
 * before any write) and how to reach it: a profile, or a role assumed with the credentials of
 * the default chain. Every string is heap-owned; NULL = not given.
 */
struct cr_desired_account {
    char *name;         /* metadata.name: what pools write in metadata.account */
    char *account_id;   /* spec.accountId: 12 digits */
    char *profile;      /* spec.profile */
    char *role_arn;     /* spec.roleArn */
    char *external_id;  /* spec.externalId (with role_arn) */
    char *session_name; /* spec.sessionName (with role_arn) */
    char *region;       /* spec.region: the region of its pools without metadata.region */
    char *source;       /* "file:line:column" of the document; may be NULL */
};

/** Frees the account's strings and zeroes it. Safe on a zeroed account. */
void cr_desired_account_dispose(struct cr_desired_account *account);
/** Deep-copies src into out (zeroed first). Returns 0 or CR_ENOMEM (out left disposed). */
int cr_desired_account_copy(struct cr_desired_account *out,
                            const struct cr_desired_account *src) CR_WARN_UNUSED;

/** The normalised desired state of one identity pool. */
struct cr_desired_pool {
    char *name;     /* metadata.name: the logical name, kept in the cognito-reconcile:name tag */
    char *account;  /* metadata.account (an Account's name), or NULL for the default account */
    char *region;   /* metadata.region (else the id's, else the account's), or NULL for the
                       default region */
    char *adopt_id; /* metadata.id: adopt this existing pool, or NULL to discover by tag */
    char *source;   /* "file:line:column" of the document, for messages; may be NULL */

    /* The pool configuration (config.id is NULL, config.has_tags is false: user tags are
     * in `tags` below and ownership tags are added by the plan). */
    struct cr_cognito_pool config;

    bool manage_roles;             /* roles and/or roleMappings present in the manifest */
    struct cr_cognito_roles roles; /* roles.pool_id is NULL; mappings sorted by provider */

    bool manage_principal_tags;                       /* principalTagAttributeMaps present */
    struct cr_cognito_principal_tags *principal_tags; /* declared maps, sorted by provider;
                                                         pool_id NULL; use_defaults 0 or 1 */
    size_t n_principal_tags;

    bool manage_tags;      /* tags present */
    struct cr_strmap tags; /* user tags (never a cognito-reconcile:* key) */
};

/** A list of desired pools (what one run of plan/apply manages) and the accounts they name. */
struct cr_desired_set {
    struct cr_desired_pool *pools;
    size_t len;
    struct cr_desired_account *accounts; /* the Account documents, in manifest order */
    size_t n_accounts;
};

/** The account named name, or NULL (also for name NULL: the default account). Borrowed. */
const struct cr_desired_account *cr_desired_set_account(const struct cr_desired_set *set,
                                                        const char *name);

/** Zeroes a desired pool and sets config.allow_classic_flow to 0 (the API default). */
void cr_desired_pool_init(struct cr_desired_pool *pool);
/** Frees everything the pool holds and zeroes it. Safe on a zeroed pool. */
void cr_desired_pool_dispose(struct cr_desired_pool *pool);
/** Frees every pool and account of the set and the arrays. Safe on a zeroed set. */
void cr_desired_set_dispose(struct cr_desired_set *set);

/**
 * Converts every pool of a loaded, valid manifest set (in set order) into out, normalised
 * (cr_desired_normalise), and every Account document into out->accounts. source is
 * "file:line:column" of each document; account is metadata.account; region is metadata.region,
 * else the region part of metadata.id, else the account's spec.region, else NULL (the default
 * region).
 * Returns 0, CR_EINVALID (the set has diagnostics or a reserved tag key; the message names
 * the place) or CR_ENOMEM. On failure out is left empty.
 */
int cr_desired_from_manifest(struct cr_desired_set *out,
                             const struct cr_manifest_set *set) CR_WARN_UNUSED;

/**
 * Brings a hand-built desired pool into normal form: sorts role mappings and declared
 * principal-tag maps by provider, sorts the provider ARN lists, orders
 * cognitoIdentityProviders by providerName then clientId, and turns absent tri-states into
 * their API defaults (allowClassicFlow and serverSideTokenCheck false, useDefaults false).
 * cr_desired_from_manifest() calls it; tests that build pools by hand call it too.
 * Returns 0, or CR_EINVALID when the pool has no name or a ownership tag key
 * ("cognito-reconcile:...") appears among its user tags (the message names the source).
 */
int cr_desired_normalise(struct cr_desired_pool *pool) CR_WARN_UNUSED;

/**
 * The provider identifiers configured on a pool configuration, as role-mapping and
 * principal-tag keys name them: each cognito provider's "providerName" and
 * "providerName:clientId", each supportedLoginProviders key, each OIDC ARN and its host part
 * ("oidc-provider/HOST" -> HOST), each SAML ARN. Appends to out (sorted, no duplicates).
 * Returns 0 or CR_ENOMEM.
 */
int cr_desired_provider_keys(struct cr_strlist *out,
                             const struct cr_cognito_pool *config) CR_WARN_UNUSED;

/**
 * The providers whose principal-tag maps a pool's manifest manages: each cognito provider's
 * providerName, each supportedLoginProviders key, each OIDC provider's ARN (role
 * mappings name it by issuer host; principal-tag maps by ARN, as schema/ validates), each SAML ARN,
 * plus any declared map's provider. Appends to out (sorted, no duplicates). Returns 0 or CR_ENOMEM.
 */
int cr_desired_principal_tag_providers(struct cr_strlist *out,
                                       const struct cr_desired_pool *pool) CR_WARN_UNUSED;

#endif
