/* SPDX-License-Identifier: Apache-2.0 */
#ifndef CR_AWS_STS_H
#define CR_AWS_STS_H
/*
 * The AWS STS calls we need, made through the generic request path (aws/request.h) in the
 * query protocol (POST form body, XML answer; JSON answers are understood too):
 *   AssumeRoleWithWebIdentity (unsigned) for web-identity credentials,
 *   AssumeRole (SigV4 with a base provider's credentials) for roles of profiles, and
 *   GetCallerIdentity (SigV4, service "sts") for the account id.
 * Retries, clock, --debug log and TLS verification are the transport's (one policy for every
 * AWS call of a run); STS's IDPCommunicationError counts as transient, as in the AWS SDKs.
 */
#include <stddef.h>
#include <stdint.h>

#include "aws/config.h"
#include "aws/credentials.h"
#include "aws/request.h"
#include "util/buf.h"
#include "util/error.h"

/** Where and how long. */
struct cr_sts_options {
    const char *endpoint;        /* "https://sts.us-east-1.amazonaws.com" (no path needed) */
    const char *region;          /* signing region for GetCallerIdentity */
    uint32_t connect_timeout_ms; /* 0 = 5000 */
    uint32_t timeout_ms;         /* per attempt; 0 = 15000 */
    /* The transport to go through (its retry policy, clock, debug log and connections);
     * borrowed. NULL: a transport of the call's own, from the three members below. */
    struct cr_aws_transport *transport;
    const struct cr_aws_env *env; /* without a transport: clock for signing; NULL = time() */
    const char *ca_bundle;        /* without a transport: the trusted CAs (PEM;
                                     cr_aws_config_ca_bundle); NULL = the system store.
                                     Verification is always on. */
    bool debug;                   /* without a transport: log each attempt (redacted) */
};

/**
 * Resolves the STS endpoint: AWS_ENDPOINT_URL_STS > AWS_ENDPOINT_URL > profile endpoint_url >
 * https://sts[-fips].{region}.{dnsSuffix}; but with sts_regional_endpoints = legacy
 * (AWS_STS_REGIONAL_ENDPOINTS, else the profile's) the regions botocore lists as legacy
 * (us-east-1, eu-west-1, ... 16 of them) use the global https://sts.amazonaws.com when no
 * override, FIPS or dual-stack applies. regional is the default, as in the AWS CLI v2.
 * Appends to out. Returns 0 or CR_EINVALID (a bad URL, or a setting other than legacy or
 * regional, naming where it came from).
 */
int cr_sts_endpoint(struct cr_buf *out, const struct cr_aws_config *cfg,
                    const struct cr_aws_env *env, const char *region) CR_WARN_UNUSED;

/** The region to sign an STS call to endpoint for: us-east-1 for the global endpoint
 * (https://sts.amazonaws.com), else region (NULL: us-east-1). Borrowed or static. */
const char *cr_sts_signing_region(const char *endpoint, const char *region);

/**
 * Calls AssumeRoleWithWebIdentity and fills out (empty) with the temporary credentials.
 * Returns 0; CR_EAUTH when STS refuses (the message carries the STS error code, status and
 * message, e.g. "sts AssumeRoleWithWebIdentity: InvalidIdentityToken (HTTP 400): ..."),
 * CR_ETHROTTLED, CR_EIO (connection, TLS, 5xx, IDPCommunicationError after the retries),
 * CR_ETIMEOUT, CR_ELIMIT (an answer past 1 MiB), CR_EINVALID (an answer we cannot read),
 * CR_ENOMEM. The token is sent only in the body and never logged.
 */
int cr_sts_assume_role_with_web_identity(struct cr_aws_credentials *out,
                                         const struct cr_sts_options *opts, const char *role_arn,
                                         const char *session_name,
                                         const char *token) CR_WARN_UNUSED;

/** What AssumeRole asks for. */
struct cr_sts_assume_role_params {
    const char *role_arn;
    const char *session_name;
    const char *external_id; /* NULL = none */
    uint32_t duration_s;     /* 0 = STS's default (3600) */
};

/**
 * Calls AssumeRole signed with base's credentials (renewed once by the request path when STS
 * calls them expired) and fills out (empty). Returns as
 * cr_sts_assume_role_with_web_identity (CR_EAUTH: "sts AssumeRole: AccessDenied (HTTP 403):
 * ...").
 */
int cr_sts_assume_role(struct cr_aws_credentials *out, const struct cr_sts_options *opts,
                       struct cr_aws_credentials_provider *base,
                       const struct cr_sts_assume_role_params *params) CR_WARN_UNUSED;

/**
 * Calls GetCallerIdentity signed with creds; appends the 12-digit Account to out.
 * Returns as cr_sts_assume_role_with_web_identity (CR_EAUTH for rejected credentials).
 */
int cr_sts_get_caller_identity(struct cr_buf *out, const struct cr_sts_options *opts,
                               const struct cr_aws_credentials *creds) CR_WARN_UNUSED;

/**
 * Reads an AssumeRoleWithWebIdentity answer body, XML (Expiration ISO 8601) or JSON
 * (Expiration epoch seconds, or an ISO string). Fills out (empty). Returns 0 or CR_EINVALID
 * naming the missing element.
 */
int cr_sts_parse_credentials(struct cr_aws_credentials *out, const char *body,
                             size_t len) CR_WARN_UNUSED;

/** Reads a GetCallerIdentity answer (XML or JSON); appends Account to out. */
int cr_sts_parse_account(struct cr_buf *out, const char *body, size_t len) CR_WARN_UNUSED;

/**
 * Reads an STS error answer (XML <ErrorResponse><Error><Code>/<Message>, or JSON
 * {"Error":{"Code","Message"}} / {"__type","message"}) into code and message (appended;
 * both empty when the answer carries no error code). cr_aws_error_decode() underneath.
 */
void cr_sts_parse_error(struct cr_buf *code, struct cr_buf *message, const char *body, size_t len);

#endif
