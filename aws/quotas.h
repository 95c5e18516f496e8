/* SPDX-License-Identifier: Apache-2.0 */
#ifndef CR_AWS_QUOTAS_H
#define CR_AWS_QUOTAS_H
/*
 * The cognito-identity request-rate quotas: one table, used by the client as its default
 * per-operation pacing (aws/ratelimit.h) and by cognito-identity-local as its `--quotas aws`
 * profile, so what the emulator enforces and what the client expects cannot drift apart.
 *
 * A quota is requests per second per AWS account and per Region, per operation ("Amazon
 * Cognito applies each identity pool quota to a single operation"; Quotas in Amazon Cognito,
 * developer guide, "identity pools (federated identities) API operation request rate
 * quotas"). AWS publishes figures for nine operations; the others are our conservative
 * choices (published = false), explained in docs/emulator.md "Request-rate quotas".
 */
#include <stdbool.h>
#include <stddef.h>

/** One operation's request-rate quota. */
struct cr_quota {
    const char *operation; /* API name: "DescribeIdentityPool" */
    double rate;           /* requests per second, per account and Region */
    bool published;        /* true: AWS's default quota; false: our choice */
};

/** Every cognito-identity operation (all 23 of the API), in the API reference's order. *n
 * receives the count. Static. */
const struct cr_quota *cr_quota_table(size_t *n);

/** The quota of an operation by API name, or NULL for a name that is not an operation.
 * Static. */
const struct cr_quota *cr_quota_find(const char *operation);

/** The closest operation name to a misspelt one (for "did you mean"), or NULL. Static. */
const char *cr_quota_suggest(const char *operation);

#endif
