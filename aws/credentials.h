/* SPDX-License-Identifier: Apache-2.0 */
#ifndef CR_AWS_CREDENTIALS_H
#define CR_AWS_CREDENTIALS_H
/*
 * AWS credentials, found in the AWS CLI v2's order (docs/credentials.md has the details):
 *   1. environment: AWS_ACCESS_KEY_ID + AWS_SECRET_ACCESS_KEY (+ AWS_SESSION_TOKEN), not read
 *      with an explicit profile;
 *   2. assume role: the profile's role_arn with source_profile (a chain of profiles) or
 *      credential_source (Environment, Ec2InstanceMetadata, EcsContainer) -> STS AssumeRole;
 *   3. web identity: AWS_ROLE_ARN + AWS_WEB_IDENTITY_TOKEN_FILE, else the profile's role_arn +
 *      web_identity_token_file -> STS AssumeRoleWithWebIdentity (GitHub Actions OIDC);
 *   4. IAM Identity Center: the token `aws sso login` cached -> the portal's GetRoleCredentials;
 *   5. the credentials file's aws_access_key_id / aws_secret_access_key (/ aws_session_token);
 *   6. credential_process;
 *   7. the config file's keys;
 *   8. container credentials (ECS, EKS Pod Identity);
 *   9. EC2 instance metadata (IMDSv2).
 * Temporary credentials of every source are renewed before they expire.
 *
 * A provider is self-contained: several can live in one process, each for its own profile
 * (opts.profile) or for a role assumed from another provider
 * (cr_aws_credentials_provider_new_assume_role), e.g. one per account of a multi-account run.
 *
 * Secrets live in buffers wiped on dispose (and a set acquire handed out, on its last release)
 * and are never logged.
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
    uint32_t process_timeout_ms;  /* credential_process is killed after this; 0 = 60000 */
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
 * /root/.aws/credentials and /root/.aws/config, container credentials (...), EC2 instance
 * metadata (...)"; CR_EAUTH also when a source is half set (AWS_ACCESS_KEY_ID without
 * AWS_SECRET_ACCESS_KEY), refuses (STS, the SSO portal, a failing credential_process) or needs
 * the user (an expired SSO session: "run `aws sso login --profile dev`"); CR_EINVALID for a
 * malformed shared file or profile (a source_profile loop, both source_profile and
 * credential_source); CR_EIO / CR_ETIMEOUT when a source cannot be reached; CR_ENOMEM.
 */
int cr_aws_credentials_provider_new(struct cr_aws_credentials_provider **out,
                                    const struct cr_aws_credentials_options *opts) CR_WARN_UNUSED;

/** A role to assume with another provider's credentials. */
struct cr_aws_assume_role {
    const char *role_arn;     /* required */
    const char *session_name; /* NULL = "cognito-reconcile-<unix time>" */
    const char *external_id;  /* NULL = none */
    uint32_t duration_s;      /* 0 = STS's default (one hour) */
};

/**
 * Creates a provider of the role's credentials, obtained with STS AssumeRole signed by base's
 * and renewed before they expire. base is borrowed: it must outlive the new provider (several
 * roles may share one base). opts gives the environment, region, transport and timeouts; its
 * profile only says where STS is (endpoint_url, FIPS) and which CA bundle to trust. The role
 * is assumed once here, so a refusal fails now. Returns as cr_aws_credentials_provider_new()
 * (CR_EAUTH for "sts AssumeRole: AccessDenied ...", CR_EINVALID without a role ARN).
 */
int cr_aws_credentials_provider_new_assume_role(struct cr_aws_credentials_provider **out,
                                                struct cr_aws_credentials_provider *base,
                                                const struct cr_aws_assume_role *role,
                                                const struct cr_aws_credentials_options *opts)
    CR_WARN_UNUSED;

/** Frees the provider, wiping the credentials. Accepts NULL. */
void cr_aws_credentials_provider_free(struct cr_aws_credentials_provider *p);

/**
 * Prepares a provider to sign for clients on several threads: its own calls (refreshes: STS,
 * IMDS, ...) stop using the transport it was given (a client's, which belongs to that
 * client's thread) and use one of the provider's own, made when first needed. acquire and
 * reject are safe from any thread. cr_aws_client_new calls it for
 * cr_aws_options.credentials.
 */
void cr_aws_credentials_provider_share(struct cr_aws_credentials_provider *p);

/**
 * Acquires the current credentials through out, refreshing them first when they are temporary
 * and expire within refresh_before_s (by the env clock). *out is a reference to a set no
 * refresh changes: it stays valid, on any thread, until the caller gives it back with
 * cr_aws_credentials_release() (after the last use of its strings, e.g. once the request
 * signed with it went out), even after a renewal or cr_aws_credentials_provider_free().
 * The provider keeps only the current set; a renewal drops its reference to the old one, which
 * is wiped and freed by its last release, so a process that renews for ever (watch) holds one
 * set per provider plus one per caller still reading one. On a failed refresh the old
 * credentials are kept while still unexpired (the refresh is retried at most every 30 s; the
 * error is returned only once they have expired).
 * Returns 0, or the error of the refresh (see _new) with *out NULL (nothing to release).
 */
int cr_aws_credentials_provider_acquire(struct cr_aws_credentials_provider *p,
                                        const struct cr_aws_credentials **out) CR_WARN_UNUSED;

/**
 * Gives back a set from cr_aws_credentials_provider_acquire(); the last reference wipes its
 * secret key and session token and frees it. Accepts NULL. Only for sets acquire handed out.
 */
void cr_aws_credentials_release(const struct cr_aws_credentials *creds);

/**
 * Tells the provider that the service refused the current credentials as expired
 * (ExpiredTokenException), e.g. because the local clock runs behind the service's and the
 * early refresh came too late. Credentials the provider can renew (every source but the
 * environment and static profile keys) are then fetched again by the next
 * cr_aws_credentials_provider_acquire(), once per call of this function. Returns true when that
 * will happen, false for credentials that cannot be renewed, which are left as they are.
 */
bool cr_aws_credentials_provider_reject(struct cr_aws_credentials_provider *p);

/**
 * Which source supplied the credentials, for --debug: "environment", "web identity (ARN)",
 * "profile 'x' (credentials file)", "assume role ARN via profile ci, source profile base <-
 * profile 'base' (credentials file)", "IAM Identity Center, profile 'dev' (account A, role
 * R)", "credential_process of profile 'x'", "container credentials (URL)", "EC2 instance
 * metadata (role R)". Never a secret. Borrowed.
 */
const char *cr_aws_credentials_provider_source(const struct cr_aws_credentials_provider *p);

/**
 * What to do when the service calls the credentials expired in the end (after the one
 * renewal cr_aws_credentials_provider_reject() allows, or for keys that cannot be renewed):
 * appends e.g. "credentials from the environment: export fresh AWS_ACCESS_KEY_ID, ..." or
 * "credentials from <source>, renewed and refused again: check this machine's clock, then
 * that source" to out. Returns 0 or CR_ENOMEM.
 */
int cr_aws_credentials_provider_expired_advice(const struct cr_aws_credentials_provider *p,
                                               struct cr_buf *out) CR_WARN_UNUSED;

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

/** Sets acquire made that are still in memory (held by a provider or a caller), process-wide,
 * for tests of their lifetime. */
size_t cr_aws__credentials_live_sets(void);

#endif
