/* SPDX-License-Identifier: Apache-2.0 */
#ifndef CR_SCHEMA_MODEL_H
#define CR_SCHEMA_MODEL_H
/*
 * The manifest model (format cognito-reconcile/v1, design.md section 3) as C structs.
 *
 * Every node remembers where it came from: `loc` is the 1-based line:column of the value,
 * `key_loc` the line:column of the mapping key that introduced it (0:0 for list items and
 * absent nodes). The file is the pool's `file` (its display path).
 *
 * All memory (strings, arrays, the pools themselves) lives in the arena of the owning
 * struct cr_manifest_set (schema/manifest.h) and is freed with it in one call. Strings are
 * NUL-terminated; `len` is their byte length (YAML strings cannot hold NUL: the loader
 * rejects NUL bytes).
 *
 * Presence: a string with value == NULL, a boolean with value CR_TRI_ABSENT and a collection
 * with present == false were not written in the manifest. Pool fields (everything
 * UpdateIdentityPool takes) are always fully managed: absent means the API default (empty
 * list or map, false). roles+roleMappings, principalTagAttributeMaps and tags are sections:
 * absent means unmanaged (left alone), present -- even empty -- means exactly this.
 */
#include <stdbool.h>
#include <stddef.h>

/** 1-based line and column; 0:0 = not in the file (absent, or added by the tool). */
struct cr_loc {
    unsigned line;
    unsigned column;
};

/** Three states of an optional boolean: the service treats an absent AllowClassicFlow
 * differently from false (aws-cli #7652). */
enum cr_tristate {
    CR_TRI_ABSENT = -1,
    CR_TRI_FALSE = 0,
    CR_TRI_TRUE = 1,
};

/** A string scalar. value == NULL: absent. */
struct cr_model_str {
    const char *value;
    size_t len;
    struct cr_loc loc;
    struct cr_loc key_loc;
};

/** A boolean scalar; value is an enum cr_tristate. */
struct cr_model_bool {
    int value;
    struct cr_loc loc;
    struct cr_loc key_loc;
};

/** One entry of a string-to-string map: key.loc is where the key is written. */
struct cr_model_entry {
    struct cr_model_str key;
    struct cr_model_str value;
};

/** A string-to-string map in manifest order (keys unique: duplicates are load errors). */
struct cr_model_map {
    struct cr_model_entry *items;
    size_t len;
    bool present;
    struct cr_loc loc;
    struct cr_loc key_loc;
};

/** A list of strings in manifest order. */
struct cr_model_list {
    struct cr_model_str *items;
    size_t len;
    bool present;
    struct cr_loc loc;
    struct cr_loc key_loc;
};

/** spec.cognitoIdentityProviders[] (API CognitoIdentityProvider). */
struct cr_model_provider {
    struct cr_model_str provider_name; /* cognito-idp.REGION.amazonaws.com/USERPOOLID */
    struct cr_model_str client_id;
    struct cr_model_bool server_side_token_check;
    struct cr_loc loc;
};

/** spec.roleMappings[...].rulesConfiguration.rules[] (API MappingRule). */
struct cr_model_rule {
    struct cr_model_str claim;
    struct cr_model_str match_type; /* Equals | Contains | StartsWith | NotEqual */
    struct cr_model_str value;
    struct cr_model_str role_arn; /* written roleARN */
    struct cr_loc loc;
};

/** One entry of spec.roleMappings (API RoleMapping, keyed by identity provider). */
struct cr_model_role_mapping {
    struct cr_model_str provider;                  /* the map key */
    struct cr_model_str type;                      /* Token | Rules */
    struct cr_model_str ambiguous_role_resolution; /* AuthenticatedRole | Deny */
    bool has_rules_configuration;
    struct cr_loc rules_configuration_loc;
    bool has_rules; /* rulesConfiguration.rules written */
    struct cr_loc rules_loc;
    struct cr_model_rule *rules; /* evaluation order: first match wins */
    size_t n_rules;
    struct cr_loc loc;
};

/** One entry of spec.principalTagAttributeMaps (Get/SetPrincipalTagAttributeMap). */
struct cr_model_principal_tags {
    struct cr_model_str provider; /* the map key: IdentityProviderName */
    struct cr_model_bool use_defaults;
    struct cr_model_map principal_tags; /* tag key -> token claim */
    struct cr_loc loc;
};

/** One IdentityPool document. */
struct cr_model_pool {
    const char *file;  /* display path */
    size_t file_index; /* order in which the file was added to the set */
    size_t document;   /* 0-based index of the YAML document in the file */
    struct cr_loc loc; /* the document's root mapping */

    struct cr_model_str api_version; /* cognito-reconcile/v1 */
    struct cr_model_str kind;        /* IdentityPool */

    /* metadata */
    struct cr_model_str name;   /* logical name, unique per stack, account and region */
    struct cr_model_str region; /* optional; default from the account, then --region / AWS config */
    struct cr_model_str account; /* optional: the metadata.name of a kind: Account document */
    struct cr_model_str id;      /* optional: adopt this pool (REGION:GUID) */
    const char *id_region;       /* the REGION part of id, or NULL */

    /* spec: pool fields (UpdateIdentityPool), always fully managed */
    struct cr_model_str identity_pool_name;
    struct cr_model_bool allow_unauthenticated_identities; /* required */
    struct cr_model_bool allow_classic_flow;               /* three states */
    struct cr_model_str developer_provider_name;           /* immutable once set */
    struct cr_model_map supported_login_providers;
    bool has_cognito_identity_providers;
    struct cr_loc cognito_identity_providers_loc;
    struct cr_model_provider *cognito_identity_providers;
    size_t n_cognito_identity_providers;
    struct cr_model_list open_id_connect_provider_arns; /* openIdConnectProviderARNs */
    struct cr_model_list saml_provider_arns;            /* samlProviderARNs */

    /* section roles + roleMappings (SetIdentityPoolRoles): managed when either is written */
    bool manage_roles;
    struct cr_model_map roles; /* authenticated / unauthenticated -> role ARN */
    bool has_role_mappings;
    struct cr_loc role_mappings_loc;
    struct cr_model_role_mapping *role_mappings;
    size_t n_role_mappings;

    /* section principalTagAttributeMaps: managed when written */
    bool manage_principal_tags;
    struct cr_loc principal_tags_loc;
    struct cr_model_principal_tags *principal_tag_maps;
    size_t n_principal_tag_maps;

    /* section tags (user tags; the ownership tags are added by the tool) */
    bool manage_tags;
    struct cr_model_map tags;
};

/**
 * One Account document: an AWS account that pools name in metadata.account, the id it must
 * be and how to reach it. Modelled on Terraform's aws provider: metadata.name is the provider
 * alias, accountId the one entry of allowed_account_ids, profile / roleArn (+ externalId,
 * sessionName) its profile and assume_role block, region its region.
 */
struct cr_model_account {
    const char *file;  /* display path */
    size_t file_index; /* order in which the file was added to the set */
    size_t document;   /* 0-based index of the YAML document in the file */
    struct cr_loc loc; /* the document's root mapping */

    struct cr_model_str api_version; /* cognito-reconcile/v1 */
    struct cr_model_str kind;        /* Account */

    struct cr_model_str name;         /* metadata.name: what pools write in metadata.account */
    struct cr_model_str account_id;   /* spec.accountId: 12 digits, checked before any write */
    struct cr_model_str profile;      /* spec.profile: a profile of the AWS config files */
    struct cr_model_str role_arn;     /* spec.roleArn: assumed with the default chain's keys */
    struct cr_model_str external_id;  /* spec.externalId: with roleArn only */
    struct cr_model_str session_name; /* spec.sessionName: with roleArn only */
    struct cr_model_str region;       /* spec.region: for its pools without metadata.region */
    struct cr_loc spec_loc;           /* where spec starts (for "give profile or roleArn") */
};

/* ---- kind: IdentityPoolTest (unit tests for access, docs/testing.md) ---- */

/** What YAML makes of a claim value: a string, or a plain number or boolean. */
enum cr_model_claim_kind {
    CR_CLAIM_STRING,
    CR_CLAIM_NUMBER,
    CR_CLAIM_BOOL,
};

/** One claim value: its text as written ("paid", "3", "true") and its kind. */
struct cr_model_claim_value {
    enum cr_model_claim_kind kind;
    struct cr_model_str text;
};

/** One claim of a test case's token (spec.cases[].claims): a value, or a list of values. */
struct cr_model_claim {
    struct cr_model_str name; /* the map key */
    bool is_list;
    struct cr_model_claim_value value; /* !is_list */
    struct cr_model_claim_value *items; /* is_list */
    size_t n_items;
    struct cr_loc loc; /* the value */
};

/** spec.cases[].expect: a role, or denied: true, or an error type; principal tags. */
struct cr_model_test_expect {
    struct cr_model_str role;
    struct cr_model_bool denied;
    struct cr_model_str error; /* NotAuthorizedException | InvalidIdentityPoolConfigurationException */
    struct cr_model_map principal_tags;
    struct cr_loc loc;
};

/** One case of spec.cases. */
struct cr_model_test_case {
    struct cr_model_str name;
    struct cr_model_str login; /* a role-mapping key: ProviderName:ClientId, or the Logins key */
    struct cr_model_bool unauthenticated;
    bool has_claims;
    struct cr_model_claim *claims;
    size_t n_claims;
    struct cr_model_str custom_role_arn; /* customRoleArn */
    bool has_expect;
    struct cr_model_test_expect expect;
    struct cr_loc loc;
};

/** One IdentityPoolTest document. */
struct cr_model_test {
    const char *file;
    size_t file_index;
    size_t document;
    struct cr_loc loc;
    struct cr_model_str name;   /* metadata.name */
    struct cr_model_str region; /* metadata.region: the pool's region (optional) */
    struct cr_model_str account; /* metadata.account: the pool's Account (optional) */
    struct cr_model_str pool;   /* spec.pool: metadata.name of a pool of the manifests */
    bool has_cases;
    struct cr_loc cases_loc;
    struct cr_model_test_case *cases;
    size_t n_cases;
    const struct cr_model_pool *target; /* the pool spec.pool names, once the set is finished */
};

/** The value for key in map, or NULL. Borrowed. */
const char *cr_model_map_get(const struct cr_model_map *map, const char *key);

/** True if the list holds s. */
bool cr_model_list_contains(const struct cr_model_list *list, const char *s);

/** The region the pool lives in: metadata.region, else the region of metadata.id, else
 * default_region (may be NULL). Borrowed. */
const char *cr_model_pool_region(const struct cr_model_pool *pool, const char *default_region);

/**
 * True if arn is an IAM ARN of the given resource type in a known partition:
 * arn:{aws,aws-cn,aws-us-gov}:iam::<12 digits>:<type>/<non-empty rest without whitespace>.
 * On success *out_rest (if not NULL) points at the rest inside arn (borrowed). The one ARN
 * parser of the manifest rules: validate, reconcile and the emulator should share it.
 */
bool cr_model_iam_arn(const char *arn, const char *type, const char **out_rest);

/** The provider host of an OIDC provider ARN ("arn:aws:iam::123456789012:oidc-provider/
 * auth.example.com" -> "auth.example.com", the key role mappings use), or NULL if arn is not
 * one. Borrowed from arn. */
const char *cr_model_oidc_host(const char *arn);

#endif
