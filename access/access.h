/* SPDX-License-Identifier: Apache-2.0 */
#ifndef CR_ACCESS_ACCESS_H
#define CR_ACCESS_ACCESS_H
/*
 * Who gets which role: the role resolution of cognito-identity's identity side
 * (GetCredentialsForIdentity), as pure functions of a pool's configuration and a login. The
 * emulator answers GetCredentialsForIdentity with it and `cognito-reconcile test` evaluates
 * test cases with it, so the two cannot disagree.
 *
 * The rules (docs/testing.md "Resolution"; developer guide "Role-based access control"):
 * - no login: the unauthenticated role, if the pool allows unauthenticated identities;
 * - a login whose provider has no role mapping: the authenticated role;
 * - a Token mapping: CustomRoleArn if it is among cognito:roles (else refused), else
 *   cognito:preferred_role, else AmbiguousRoleResolution;
 * - a Rules mapping: the first rule (in order) whose claim matches (Equals, Contains,
 *   StartsWith, NotEqual; a missing claim matches nothing, NotEqual included); a
 *   CustomRoleArn must be the role of a matching rule (else refused); no match:
 *   AmbiguousRoleResolution (AuthenticatedRole, or Deny);
 * - principal tags: the provider's attribute map, its defaults when UseDefaults is true.
 *
 * Nothing here does I/O, reads a clock or allocates outside the result. Claims are jansson
 * values; the pool is described with aws/cognito.h's types (borrowed).
 */
#include <jansson.h>
#include <stdbool.h>
#include <stddef.h>

#include "aws/cognito.h"
#include "util/error.h"
#include "util/strmap.h"

/** The Logins key of developer-authenticated tokens (GetOpenIdTokenForDeveloperIdentity). */
#define CR_ACCESS_COGNITO_IDENTITY_LOGIN "cognito-identity.amazonaws.com"

/** The claim holding session tags in a token, as STS reads it; developer tokens carry their
 * principal tags there: {"principal_tags": {"KEY": ["VALUE"]}}. */
#define CR_ACCESS_TAGS_CLAIM "https://aws.amazon.com/tags"

/** What kind of identity provider a Logins key names. */
enum cr_access_provider_kind {
    CR_ACCESS_PROVIDER_NONE = 0,  /* not a provider of the pool */
    CR_ACCESS_PROVIDER_USER_POOL, /* CognitoIdentityProviders: cognito-idp.REGION.amazonaws.com/ID */
    CR_ACCESS_PROVIDER_OIDC,      /* OpenIdConnectProviderARNs, named by the issuer (ARN host part) */
    CR_ACCESS_PROVIDER_SAML,      /* SamlProviderARNs, named by the ARN */
    CR_ACCESS_PROVIDER_SOCIAL,    /* SupportedLoginProviders (graph.facebook.com, ...) */
    CR_ACCESS_PROVIDER_DEVELOPER, /* the pool's DeveloperProviderName */
};

/** A provider configured on a pool. Strings are borrowed from the pool configuration. */
struct cr_access_provider {
    enum cr_access_provider_kind kind;
    const char *name;   /* the Logins key */
    const char *app_id; /* SOCIAL: the app id (the SupportedLoginProviders value) */
    const char *arn;    /* OIDC, SAML: the provider ARN */
};

/** One login as resolution sees it (all borrowed). */
struct cr_access_login {
    struct cr_access_provider provider;
    const char *client_id; /* USER_POOL: the app client the token was issued to; else NULL */
    const json_t *claims;  /* the token's claims (a JSON object), or NULL for none */
};

/** A pool as resolution sees it (all borrowed). */
struct cr_access_pool {
    const struct cr_cognito_pool *config;
    const struct cr_cognito_roles *roles; /* NULL: no roles and no mappings set */
    const struct cr_cognito_principal_tags *principal_tags; /* the maps set, any order */
    size_t n_principal_tags;
};

/** One GetCredentialsForIdentity. */
struct cr_access_request {
    const struct cr_access_login *logins; /* n_logins == 0: an unauthenticated identity */
    size_t n_logins;
    const char *custom_role_arn; /* NULL: none */
};

/** How resolution decided. */
enum cr_access_outcome {
    CR_ACCESS_GRANTED,  /* role_arn is the role */
    CR_ACCESS_DENIED,   /* NotAuthorizedException */
    CR_ACCESS_NO_ROLE,  /* InvalidIdentityPoolConfigurationException: the role that applies is unset */
};

/** Which rule of the resolution decided (for explanations and plans' access impact). */
enum cr_access_via {
    CR_ACCESS_VIA_UNAUTHENTICATED,         /* roles.unauthenticated */
    CR_ACCESS_VIA_UNAUTHENTICATED_OFF,     /* the pool does not allow unauthenticated identities */
    CR_ACCESS_VIA_AUTHENTICATED,           /* no role mapping applies: roles.authenticated */
    CR_ACCESS_VIA_TOKEN_CUSTOM,            /* Token: CustomRoleArn is among cognito:roles */
    CR_ACCESS_VIA_TOKEN_CUSTOM_REFUSED,    /* Token: CustomRoleArn is not among cognito:roles */
    CR_ACCESS_VIA_TOKEN_PREFERRED,         /* Token: cognito:preferred_role */
    CR_ACCESS_VIA_RULE,                    /* Rules: the first matching rule */
    CR_ACCESS_VIA_RULE_CUSTOM,             /* Rules: CustomRoleArn is a matching rule's role */
    CR_ACCESS_VIA_RULE_CUSTOM_REFUSED,     /* Rules: CustomRoleArn is no matching rule's role */
    CR_ACCESS_VIA_AMBIGUOUS_AUTHENTICATED, /* AmbiguousRoleResolution AuthenticatedRole */
    CR_ACCESS_VIA_AMBIGUOUS_DENY,          /* AmbiguousRoleResolution Deny */
};

/** The outcome of one resolution. Heap strings are freed by cr_access_result_dispose(). */
struct cr_access_result {
    enum cr_access_outcome outcome;
    enum cr_access_via via;
    char *role_arn;         /* GRANTED: the role; else NULL */
    const char *error_type; /* refused: "NotAuthorizedException" or
                               "InvalidIdentityPoolConfigurationException" (static); else NULL */
    char *message;          /* refused: the service's message; else NULL */
    char *mapping_key;      /* the role mapping that decided (its RoleMappings key), or NULL */
    size_t rule;            /* VIA_RULE, VIA_RULE_CUSTOM: the 1-based rule; else 0 */
    char *explanation;      /* one line: rule 2 of roleMappings["k"] matched custom:tier Equals paid */
    struct cr_strmap principal_tags; /* session tags: tag key -> value */
};

/**
 * Finds the provider of pool that the Logins key `key` names: a SupportedLoginProviders
 * key, a user pool's ProviderName, an OIDC provider's issuer (the ARN's part after
 * "oidc-provider/"), a SAML provider's ARN, or the DeveloperProviderName. Returns 0, or
 * CR_ENOTFOUND (no message set) when the pool has no such provider.
 */
int cr_access_provider_find(struct cr_access_provider *out, const struct cr_cognito_pool *pool,
                            const char *key) CR_WARN_UNUSED;

/** True if client_id is an app client configured for the user pool `name` on pool. */
bool cr_access_user_pool_client(const struct cr_cognito_pool *pool, const char *name,
                                const char *client_id);

/** The issuer of an OIDC provider ARN (the part after "oidc-provider/"), or NULL. Borrowed. */
const char *cr_access_oidc_issuer(const char *arn);

/**
 * Parses a login as role mappings and test documents write it: "ProviderName:ClientId" for a
 * user pool (or the bare ProviderName when the pool configures exactly one app client for
 * it), the Logins key for every other provider. On success *out_client is the app client
 * (borrowed from the pool; NULL for other providers). Returns 0, or CR_EINVALID with a
 * message naming what is wrong (no location: the caller prefixes one).
 */
int cr_access_login_parse(struct cr_access_provider *out, const char **out_client,
                          const struct cr_cognito_pool *pool, const char *login) CR_WARN_UNUSED;

/**
 * The claims a token of this provider carries besides those given: `iss` (https:// + the
 * user pool or OIDC issuer, or the social provider's host), `aud` (the app client or social
 * app id; not for OIDC and SAML: IAM holds their audiences) and `sub` (default_sub) when
 * absent from claims. Adds them to claims (an object) without replacing what is there.
 * Returns 0 or CR_ENOMEM.
 */
int cr_access_login_claims(json_t *claims, const struct cr_access_provider *provider,
                           const char *client_id, const char *default_sub) CR_WARN_UNUSED;

/** The key role mappings use for a login: "ProviderName:ClientId" for a user pool, else the
 * Logins key. Returns 0 or CR_ENOMEM; *out is heap-allocated. */
int cr_access_mapping_key(char **out, const struct cr_access_login *login) CR_WARN_UNUSED;

/**
 * True if the rule matches the claims: Equals (a value equals), StartsWith, Contains
 * (substring), NotEqual (the claim exists and no value equals). A string claim is one value;
 * an array has one value per string, number or boolean element; a number or boolean is its
 * JSON text; an object or null has no value (as if absent).
 */
bool cr_access_rule_matches(const struct cr_cognito_rule *rule, const json_t *claims);

/**
 * Resolves which role the request gets, and its principal tags. With several logins, the
 * first by role-mapping key (byte order) that has a role mapping decides; principal tags are
 * those of every login, merged in that order (the first wins on a key). Returns 0 (the
 * outcome is in out, refusals included) or CR_ENOMEM. out need not be initialised.
 */
int cr_access_resolve(struct cr_access_result *out, const struct cr_access_pool *pool,
                      const struct cr_access_request *req) CR_WARN_UNUSED;

/** Frees the result's strings and tags and zeroes it. NULL is fine. */
void cr_access_result_dispose(struct cr_access_result *r);

/** The role name of an IAM role ARN (the part after the last '/'). Borrowed from arn. */
const char *cr_access_role_name(const char *arn);

/** "role", "denied" or "no role" for an outcome. Static. */
const char *cr_access_outcome_name(enum cr_access_outcome outcome);

#endif
