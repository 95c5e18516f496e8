/* SPDX-License-Identifier: Apache-2.0 */
#ifndef CR_AWS_CREDENTIALS_H
#define CR_AWS_CREDENTIALS_H
/*
 * AWS credentials, found in the AWS CLI's order:
 *   1. environment: AWS_ACCESS_KEY_ID + AWS_SECRET_ACCESS_KEY (+ AWS_SESSION_TOKEN);
 *   2. web identity: AWS_ROLE_ARN + AWS_WEB_IDENTITY_TOKEN_FILE (+ AWS_ROLE_SESSION_NAME)
 *      -> STS AssumeRoleWithWebIdentity (GitHub Actions OIDC);
 *   3. the shared files for the profile: aws_access_key_id / aws_secret_access_key /
 *      aws_session_token (credentials file first, then config file), or role_arn +
 *      web_identity_token_file (+ role_session_name) in the profile -> STS.
 * Temporary credentials (from STS) are refreshed before they expire.
 *
 * Secrets live in buffers wiped on dispose and are never logged.
 */
#include <stdbool.h>
#include <stdint.h>

#include "aws/config.h"
#include "util/buf.h"
#include "util/error.h"

/** One set of credentials. */
struct cr_aws_credentials {
    struct cr_buf access_key_id;
    struct cr_buf secret_access_key; /* secret */
    struct cr_buf session_token;     /* secret; empty when not temporary */
    int64_t expiration_s;            /* epoch seconds; 0 = does not expire */
    const char *source;              /* "environment", "web identity (ROLE_ARN)", "profile 'x'
                                        (credentials file)"; borrowed from the provider,
                                        NULL for credentials made elsewhere */
};

/** Initialises empty credentials (no allocation). */
void cr_aws_credentials_init(struct cr_aws_credentials *creds);
/** Wipes and frees. Safe on initialised credentials. */
void cr_aws_credentials_dispose(struct cr_aws_credentials *creds);
/**
 * Fills creds (which must be empty) with copies of the strings. session_token may be NULL.
 * Returns 0 or CR_ENOMEM.
 */
int cr_aws_credentials_set(struct cr_aws_credentials *creds, const char *access_key_id,
                           const char *secret_access_key, const char *session_token,
                           int64_t expiration_s) CR_WARN_UNUSED;
/** True when a session token is present. */
bool cr_aws_credentials_temporary(const struct cr_aws_credentials *creds);

/** How the provider is set up. NULL/0 members mean the default. */
struct cr_aws_credentials_options {
    const char *profile;          /* --profile; NULL = AWS_PROFILE, else "default" */
    const char *region;           /* region for the STS endpoint; NULL = resolve (config.h);
                                     STS falls back to us-east-1 when none is configured */
    const struct cr_aws_env *env; /* NULL = the process environment and clock */
    uint32_t refresh_before_s;    /* refresh temporary credentials this long before they
                                     expire; 0 = 300 */
    uint32_t connect_timeout_ms;  /* STS call; 0 = 5000 */
    uint32_t timeout_ms;          /* STS call; 0 = 15000 */
    /* The transport for the provider's own calls (STS), borrowed: it must outlive the
     * provider. NULL: the provider makes one when it first needs it (with env and the
     * profile's ca_bundle / AWS_CA_BUNDLE). */
    struct cr_aws_transport *transport;
};

struct cr_aws_credentials_provider;
struct cr_aws_transport;

/**
 * Creates a provider and resolves credentials once (so a missing configuration fails here).
 * Returns 0; CR_EAUTH when no source has credentials, with one sentence naming every source
 * tried, e.g. "no AWS credentials: tried environment variables (AWS_ACCESS_KEY_ID), web
 * identity (AWS_ROLE_ARN/AWS_WEB_IDENTITY_TOKEN_FILE), profile 'default' in
 * /root/.aws/credentials and /root/.aws/config"; CR_EAUTH also when a source is half set
 * (AWS_ACCESS_KEY_ID without AWS_SECRET_ACCESS_KEY) or STS refuses the token; CR_EINVALID
 * for a malformed shared file; CR_EIO / CR_ETIMEOUT when STS cannot be reached; CR_ENOMEM.
 */
int cr_aws_credentials_provider_new(struct cr_aws_credentials_provider **out,
                                    const struct cr_aws_credentials_options *opts) CR_WARN_UNUSED;

/** Frees the provider, wiping the credentials. Accepts NULL. */
void cr_aws_credentials_provider_free(struct cr_aws_credentials_provider *p);

/**
 * Returns current credentials through out, refreshing them first when they are temporary
 * and expire within refresh_before_s (by the env clock). The pointer is borrowed and stays
 * valid until the next call to get or free. On a failed refresh the old credentials are kept
 * while still unexpired (the refresh is retried at most every 30 s; the error is returned
 * only once they have expired).
 * Returns 0 or the error of the refresh (see _new).
 */
int cr_aws_credentials_provider_get(struct cr_aws_credentials_provider *p,
                                    const struct cr_aws_credentials **out) CR_WARN_UNUSED;

/**
 * Tells the provider that the service refused the current credentials as expired
 * (ExpiredTokenException), e.g. because the local clock runs behind the service's and the
 * early refresh came too late. Temporary credentials the provider can renew (web identity)
 * are then fetched again by the next cr_aws_credentials_provider_get(), once per call of this
 * function. Returns true when that will happen, false for credentials that cannot be renewed
 * (environment, profile keys), which are left as they are.
 */
bool cr_aws_credentials_provider_reject(struct cr_aws_credentials_provider *p);

/** Which source supplied the credentials ("environment", "web identity (arn)", ...). Borrowed. */
const char *cr_aws_credentials_provider_source(const struct cr_aws_credentials_provider *p);

/** How many times credentials were fetched (1 after _new; refreshes add one). */
unsigned cr_aws_credentials_provider_fetch_count(const struct cr_aws_credentials_provider *p);

/* ---- test-visible ---- */

/**
 * Replaces the web-identity fetch (the STS call) with fn, for tests of refresh timing.
 * fn fills out (empty) and returns 0 or an error code.
 */
typedef int cr_aws_web_identity_fetch_fn(void *ctx, struct cr_aws_credentials *out,
                                         const char *role_arn, const char *session_name,
                                         const char *token);
/** Like _new, but the web identity STS call goes through fetch (NULL = real STS). */
int cr_aws__credentials_provider_new_with(struct cr_aws_credentials_provider **out,
                                          const struct cr_aws_credentials_options *opts,
                                          cr_aws_web_identity_fetch_fn *fetch,
                                          void *fetch_ctx) CR_WARN_UNUSED;

#endif
