/* SPDX-License-Identifier: Apache-2.0 */
#ifndef CR_AWS_COGNITO_H
#define CR_AWS_COGNITO_H
/*
 * Typed cognito-identity (2014-06-30) pool-management operations.
 *
 * Types mirror the API shapes. All strings are heap-owned by the struct and freed by its
 * dispose function. Tri-state booleans use int: -1 absent, 0 false, 1 true (the service
 * distinguishes an absent AllowClassicFlow from false).
 *
 * Encoders/decoders are pure (no I/O) so they are unit-tested and fuzzed; the calls go
 * through struct cr_aws_client (aws/client.h, aws/cognito_ops.h); error answers are read by
 * aws/request.h's cr_aws_error_decode(), as every AWS protocol's are.
 */
#include <stdbool.h>
#include <stddef.h>

#include "util/buf.h"
#include "util/error.h"
#include "util/strmap.h"

enum cr_cognito_op {
    CR_OP_CREATE_IDENTITY_POOL,
    CR_OP_UPDATE_IDENTITY_POOL,
    CR_OP_DESCRIBE_IDENTITY_POOL,
    CR_OP_DELETE_IDENTITY_POOL,
    CR_OP_LIST_IDENTITY_POOLS,
    CR_OP_GET_IDENTITY_POOL_ROLES,
    CR_OP_SET_IDENTITY_POOL_ROLES,
    CR_OP_GET_PRINCIPAL_TAG_ATTRIBUTE_MAP,
    CR_OP_SET_PRINCIPAL_TAG_ATTRIBUTE_MAP,
    CR_OP_TAG_RESOURCE,
    CR_OP_UNTAG_RESOURCE,
    CR_OP_LIST_TAGS_FOR_RESOURCE,
    CR_OP_LIST_IDENTITIES, /* only whether a pool holds any (twins, reconcile/twins.h) */
    CR_OP_COUNT
};

/** "CreateIdentityPool", ... Static string. */
const char *cr_cognito_op_name(enum cr_cognito_op op);
/** True for operations that change state. */
bool cr_cognito_op_is_write(enum cr_cognito_op op);
/** The operation named name ("TagResource"); CR_ENOTFOUND (no message) when none is. */
int cr_cognito_op_from_name(enum cr_cognito_op *out, const char *name) CR_WARN_UNUSED;

struct cr_cognito_provider {
    char *provider_name;
    char *client_id;
    int server_side_token_check; /* -1 absent, 0, 1 */
};

/** The IdentityPool shape (Create/Update/Describe). */
struct cr_cognito_pool {
    char *id; /* NULL before creation */
    char *name;
    bool allow_unauthenticated;
    int allow_classic_flow; /* -1 absent (never set), 0, 1 */
    struct cr_strmap supported_login_providers;
    char *developer_provider_name; /* NULL = unset */
    struct cr_strlist open_id_connect_provider_arns;
    struct cr_cognito_provider *cognito_identity_providers;
    size_t n_cognito_identity_providers;
    struct cr_strlist saml_provider_arns;
    bool has_tags; /* IdentityPoolTags present */
    struct cr_strmap tags;
};

struct cr_cognito_rule {
    char *claim;
    char *match_type; /* Equals | Contains | StartsWith | NotEqual */
    char *value;
    char *role_arn;
};

struct cr_cognito_role_mapping {
    char *provider;                  /* the RoleMappings key */
    char *type;                      /* Token | Rules */
    char *ambiguous_role_resolution; /* AuthenticatedRole | Deny | NULL */
    bool has_rules_configuration;
    struct cr_cognito_rule *rules;
    size_t n_rules;
};

/** GetIdentityPoolRoles output / SetIdentityPoolRoles input. */
struct cr_cognito_roles {
    char *pool_id;
    struct cr_strmap roles; /* authenticated / unauthenticated -> role ARN */
    struct cr_cognito_role_mapping *mappings;
    size_t n_mappings;
};

/** Get/SetPrincipalTagAttributeMap. */
struct cr_cognito_principal_tags {
    char *pool_id;
    char *provider;
    int use_defaults; /* -1 absent, 0, 1 */
    struct cr_strmap tags;
};

struct cr_cognito_pool_summary {
    char *id;
    char *name;
};

/** A page of ListIdentityPools. */
struct cr_cognito_pool_page {
    struct cr_cognito_pool_summary *items;
    size_t len;
    char *next_token; /* NULL on the last page */
};

/** Frees every member and resets the struct (allow_classic_flow back to -1). NULL is fine. */
void cr_cognito_pool_dispose(struct cr_cognito_pool *pool);
/** Frees every member, mappings included, and zeroes the struct. NULL is fine. */
void cr_cognito_roles_dispose(struct cr_cognito_roles *roles);
/** Frees one mapping's members (not m itself). NULL is fine. */
void cr_cognito_role_mapping_dispose(struct cr_cognito_role_mapping *m);
/** Frees every member (use_defaults back to -1). NULL is fine. */
void cr_cognito_principal_tags_dispose(struct cr_cognito_principal_tags *pt);
/** Frees the items and the token. NULL is fine. */
void cr_cognito_pool_page_dispose(struct cr_cognito_pool_page *page);
/** Deep copies into out (which must be zeroed). 0 or CR_ENOMEM (out is then disposed). */
int cr_cognito_pool_copy(struct cr_cognito_pool *out,
                         const struct cr_cognito_pool *src) CR_WARN_UNUSED;
/** Deep copies roles and mappings into out (which must be zeroed). 0 or CR_ENOMEM (out is
 * then disposed). */
int cr_cognito_roles_copy(struct cr_cognito_roles *out,
                          const struct cr_cognito_roles *src) CR_WARN_UNUSED;

/* ---- encoders: request bodies (JSON 1.1), appended to out. Members that are absent are
 * omitted. Each returns 0, CR_EINVALID (a string that is not UTF-8, a missing required
 * member; the message names it) or CR_ENOMEM. ---- */

/** CreateIdentityPool body (no IdentityPoolId; tags as IdentityPoolTags when has_tags). */
int cr_cognito_encode_create(struct cr_buf *out, const struct cr_cognito_pool *pool) CR_WARN_UNUSED;
/** UpdateIdentityPool body (the full configuration, IdentityPoolId included, no tags). */
int cr_cognito_encode_update(struct cr_buf *out, const struct cr_cognito_pool *pool) CR_WARN_UNUSED;
/** {"IdentityPoolId": id} for Describe/Delete/GetIdentityPoolRoles. */
int cr_cognito_encode_pool_id(struct cr_buf *out, const char *pool_id) CR_WARN_UNUSED;
/** ListIdentityPools: {"MaxResults": n, "NextToken": token} (no token on the first page). */
int cr_cognito_encode_list(struct cr_buf *out, int max_results,
                           const char *next_token) CR_WARN_UNUSED;
/** SetIdentityPoolRoles: Roles (required, {} clears) and RoleMappings (always sent). */
int cr_cognito_encode_set_roles(struct cr_buf *out,
                                const struct cr_cognito_roles *roles) CR_WARN_UNUSED;
/** GetPrincipalTagAttributeMap: IdentityPoolId and IdentityProviderName. */
int cr_cognito_encode_get_principal_tags(struct cr_buf *out, const char *pool_id,
                                         const char *provider) CR_WARN_UNUSED;
/** SetPrincipalTagAttributeMap: UseDefaults when not -1, PrincipalTags always. */
int cr_cognito_encode_set_principal_tags(struct cr_buf *out,
                                         const struct cr_cognito_principal_tags *pt) CR_WARN_UNUSED;
/** TagResource: ResourceArn and Tags. */
int cr_cognito_encode_tag(struct cr_buf *out, const char *arn,
                          const struct cr_strmap *tags) CR_WARN_UNUSED;
/** UntagResource: ResourceArn and TagKeys. */
int cr_cognito_encode_untag(struct cr_buf *out, const char *arn,
                            const struct cr_strlist *keys) CR_WARN_UNUSED;
/** ListTagsForResource: ResourceArn. */
int cr_cognito_encode_list_tags(struct cr_buf *out, const char *arn) CR_WARN_UNUSED;
/** ListIdentities: IdentityPoolId and MaxResults (1..60). */
int cr_cognito_encode_list_identities(struct cr_buf *out, const char *pool_id,
                                      int max_results) CR_WARN_UNUSED;

/* ---- decoders: tolerant (unknown members ignored, JSON null = absent, absent booleans
 * -1). Each fills out (overwritten, no need to zero it) and returns 0, or CR_EINVALID with a
 * message naming the member ("response member IdentityPool.AllowClassicFlow: expected a
 * boolean, got a string") on a body that is not the expected shape, not JSON or truncated;
 * out is then empty. CR_ENOMEM. ---- */

/** The IdentityPool shape (Create/Update/Describe answers); IdentityPoolId is required. */
int cr_cognito_decode_pool(struct cr_cognito_pool *out, const char *body,
                           size_t len) CR_WARN_UNUSED;
/** A ListIdentityPools page; an empty NextToken counts as the last page. */
int cr_cognito_decode_pool_page(struct cr_cognito_pool_page *out, const char *body,
                                size_t len) CR_WARN_UNUSED;
/** GetIdentityPoolRoles; mappings sorted by provider. */
int cr_cognito_decode_roles(struct cr_cognito_roles *out, const char *body,
                            size_t len) CR_WARN_UNUSED;
/** Get/SetPrincipalTagAttributeMap answers. */
int cr_cognito_decode_principal_tags(struct cr_cognito_principal_tags *out, const char *body,
                                     size_t len) CR_WARN_UNUSED;
/** ListTagsForResource: the Tags map (empty when absent). */
int cr_cognito_decode_tags(struct cr_strmap *out, const char *body, size_t len) CR_WARN_UNUSED;
/** ListIdentities: how many identities the page lists (0 when Identities is absent). */
int cr_cognito_decode_identity_count(size_t *out, const char *body, size_t len) CR_WARN_UNUSED;

/** Appends arn:{partition}:cognito-identity:{region}:{account}:identitypool/{id}.
 * CR_EINVALID when a part is missing, CR_ENOMEM. */
int cr_cognito_pool_arn(struct cr_buf *out, const char *region, const char *account_id,
                        const char *pool_id) CR_WARN_UNUSED;
/** The partition of a region ("aws", "aws-cn", "aws-us-gov", "aws-iso", ...: the table of
 * aws/config.h). Static string. */
const char *cr_aws_partition(const char *region);

#endif
