/* SPDX-License-Identifier: Apache-2.0 */
#include "aws/quotas.h"

#include <string.h>

#include "util/strutil.h"

/*
 * Published: "Quotas in Amazon Cognito", table "Amazon Cognito identity pools (federated
 * identities) API operation request rate quotas" (default quota in RPS; the minimum over
 * Regions, adjustable). Not published (the management operations and the developer-identity
 * ones): the user pools' control-plane categories of the same page are the closest published
 * figures (UserPoolRead, UserPoolUpdate, UserPoolResourceUpdate: 15 RPS), so reads and writes
 * of pools, roles and principal-tag maps get 15; list and lookup calls get the 5 RPS of the
 * one published identity-pool list call (ListIdentities), which the API reference calls
 * "low-throughput control plane operations" (LookupDeveloperIdentity). docs/emulator.md.
 */
static const struct cr_quota s_table[] = {
    {"CreateIdentityPool", 15, false},
    {"DeleteIdentities", 10, true},
    {"DeleteIdentityPool", 15, false},
    {"DescribeIdentity", 5, false},
    {"DescribeIdentityPool", 15, false},
    {"GetCredentialsForIdentity", 200, true},
    {"GetId", 25, true},
    {"GetIdentityPoolRoles", 15, false},
    {"GetOpenIdToken", 200, true},
    {"GetOpenIdTokenForDeveloperIdentity", 50, true},
    {"GetPrincipalTagAttributeMap", 15, false},
    {"ListIdentities", 5, true},
    {"ListIdentityPools", 5, false},
    {"ListTagsForResource", 10, true},
    {"LookupDeveloperIdentity", 5, false},
    {"MergeDeveloperIdentities", 5, false},
    {"SetIdentityPoolRoles", 15, false},
    {"SetPrincipalTagAttributeMap", 15, false},
    {"TagResource", 5, true},
    {"UnlinkDeveloperIdentity", 5, false},
    {"UnlinkIdentity", 5, false},
    {"UntagResource", 5, true},
    {"UpdateIdentityPool", 15, false},
};

#define S_COUNT (sizeof(s_table) / sizeof(s_table[0]))

const struct cr_quota *cr_quota_table(size_t *n)
{
    *n = S_COUNT;
    return s_table;
}

const struct cr_quota *cr_quota_find(const char *operation)
{
    for (size_t i = 0; operation && i < S_COUNT; i++)
        if (strcmp(s_table[i].operation, operation) == 0)
            return &s_table[i];
    return NULL;
}

const char *cr_quota_suggest(const char *operation)
{
    const char *names[S_COUNT];
    for (size_t i = 0; i < S_COUNT; i++)
        names[i] = s_table[i].operation;
    return operation ? cr_str_suggest(operation, names, S_COUNT) : NULL;
}
