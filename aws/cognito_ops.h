/* SPDX-License-Identifier: Apache-2.0 */
#ifndef CR_AWS_COGNITO_OPS_H
#define CR_AWS_COGNITO_OPS_H
/*
 * The typed cognito-identity operations: one call each, through cr_aws_perform() of
 * aws/client.h. Each encodes its request (aws/cognito.h), performs it with retries, and
 * decodes the answer into out (which it overwrites; the caller disposes it on success).
 *
 * They return 0, CR_ENOTFOUND (ResourceNotFoundException), or the call's result as for
 * cr_aws_perform (CR_ESERVICE, CR_ETHROTTLED, CR_EAUTH, CR_EAMBIGUOUS, CR_EIO, CR_ETIMEOUT,
 * CR_ELIMIT, CR_ENOMEM), or CR_EINVALID for a request that cannot be encoded or an answer
 * that cannot be decoded. The message is "Op target: Type: message".
 */
#include "aws/cognito.h"
#include "util/error.h"
#include "util/strmap.h"

struct cr_aws_client;

/** CreateIdentityPool with desired (IdentityPoolTags when desired->has_tags); out = the pool.
 * Never retried after an ambiguous failure: CR_EAMBIGUOUS (look the pool up by its tags). */
int cr_cognito_create_pool(struct cr_aws_client *c, struct cr_cognito_pool *out,
                           const struct cr_cognito_pool *desired) CR_WARN_UNUSED;
/** UpdateIdentityPool with the full configuration of desired (desired->id required). */
int cr_cognito_update_pool(struct cr_aws_client *c, struct cr_cognito_pool *out,
                           const struct cr_cognito_pool *desired) CR_WARN_UNUSED;
/** DescribeIdentityPool. */
int cr_cognito_describe_pool(struct cr_aws_client *c, struct cr_cognito_pool *out,
                             const char *pool_id) CR_WARN_UNUSED;
/** DeleteIdentityPool. */
int cr_cognito_delete_pool(struct cr_aws_client *c, const char *pool_id) CR_WARN_UNUSED;
/** Every page of ListIdentityPools (MaxResults 60), concatenated into out (next_token NULL);
 * CR_ELIMIT after 10,000 pages. */
int cr_cognito_list_pools(struct cr_aws_client *c, struct cr_cognito_pool_page *out) CR_WARN_UNUSED;
/** GetIdentityPoolRoles. */
int cr_cognito_get_roles(struct cr_aws_client *c, struct cr_cognito_roles *out,
                         const char *pool_id) CR_WARN_UNUSED;
/** SetIdentityPoolRoles (replaces roles and mappings). */
int cr_cognito_set_roles(struct cr_aws_client *c,
                         const struct cr_cognito_roles *roles) CR_WARN_UNUSED;
/** GetPrincipalTagAttributeMap for one provider of the pool. */
int cr_cognito_get_principal_tags(struct cr_aws_client *c, struct cr_cognito_principal_tags *out,
                                  const char *pool_id, const char *provider) CR_WARN_UNUSED;
/** SetPrincipalTagAttributeMap. */
int cr_cognito_set_principal_tags(struct cr_aws_client *c,
                                  const struct cr_cognito_principal_tags *pt) CR_WARN_UNUSED;
/** TagResource (token bucket: 5/s by default). */
int cr_cognito_tag(struct cr_aws_client *c, const char *arn,
                   const struct cr_strmap *tags) CR_WARN_UNUSED;
/** UntagResource (token bucket: 5/s by default). */
int cr_cognito_untag(struct cr_aws_client *c, const char *arn,
                     const struct cr_strlist *keys) CR_WARN_UNUSED;
/** ListTagsForResource into out (token bucket: 10/s by default). */
int cr_cognito_list_tags(struct cr_aws_client *c, struct cr_strmap *out,
                         const char *arn) CR_WARN_UNUSED;

/** Whether the pool holds any identity: ListIdentities with MaxResults 1. */
int cr_cognito_has_identities(struct cr_aws_client *c, bool *out,
                              const char *pool_id) CR_WARN_UNUSED;

#endif
