/* SPDX-License-Identifier: Apache-2.0 */
#ifndef CR_AWS_CRED_INTERNAL_H
#define CR_AWS_CRED_INTERNAL_H
/*
 * The credential sources behind aws/credentials.h, one file each: credential_process
 * (cred_process.c), IAM Identity Center (cred_sso.c), container credentials
 * (cred_container.c), EC2 instance metadata (cred_imds.c). STS AssumeRole and
 * AssumeRoleWithWebIdentity are in aws/sts.h. For aws/ and its unit tests only.
 *
 * Each source has settings read once from the environment and the profile (`_resolve`), and a
 * fetch that can be repeated for refreshes (`_fetch`); fetches fill empty credentials and set
 * cr_error_set() on failure with a message that names the source and what to do.
 */
#include <jansson.h>
#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "aws/config.h"
#include "aws/credentials.h"
#include "aws/request.h"
#include "util/buf.h"
#include "util/error.h"

/** What a fetch needs from the provider. */
struct cr_aws__fetch_ctx {
    const struct cr_aws_env *env;        /* environment and clock */
    struct cr_aws_transport *transport;  /* for HTTP sources; borrowed */
    uint32_t connect_timeout_ms;         /* 0 = the source's default */
    uint32_t timeout_ms;                 /* 0 = the source's default */
};

/* ---- shared ---- */

/**
 * Parses a time as the credential sources write them: ISO 8601 / RFC 3339 in UTC or with an
 * offset ("2026-01-02T03:04:05Z", "...05.123Z", "...05+00:00", "...05UTC" as older AWS CLIs
 * wrote SSO caches). Returns 0 or CR_EINVALID (no message set).
 */
int cr_aws__parse_time(int64_t *out, const char *text) CR_WARN_UNUSED;

/**
 * Fills out (empty) from a JSON credentials object: AccessKeyId, SecretAccessKey, the session
 * token member token_key ("Token" for IMDS and containers, "SessionToken" for
 * credential_process; optional when !expiration_required) and Expiration (ISO 8601; required
 * when expiration_required). what prefixes messages ("container credentials"). Returns 0,
 * CR_EINVALID naming the missing or malformed member, CR_ENOMEM.
 */
int cr_aws__credentials_from_json(struct cr_aws_credentials *out, const json_t *doc,
                                  const char *token_key, bool expiration_required,
                                  const char *what) CR_WARN_UNUSED;

/* ---- credential_process (cred_process.c) ---- */

/**
 * Splits a command line the way the AWS CLI does (POSIX shell words, no expansion): blanks
 * separate words; '...' keeps everything literally; "..." keeps everything but \" \\ \$ \`;
 * a backslash outside quotes escapes the next character. Returns 0 with a NULL-terminated
 * argv (free with cr_aws__argv_free), or CR_EINVALID for an unterminated quote or an empty
 * command ("credential_process: ..."), CR_ENOMEM.
 */
int cr_aws__process_split(char ***out, const char *command) CR_WARN_UNUSED;
/** Frees an argv from cr_aws__process_split. Accepts NULL. */
void cr_aws__argv_free(char **argv);

/**
 * Reads the helper's output: a JSON object with "Version": 1, AccessKeyId, SecretAccessKey,
 * optional SessionToken and Expiration (ISO 8601). Fills out (empty). Returns 0 or
 * CR_EAUTH with a message naming what is wrong (never the secret), CR_ENOMEM.
 */
int cr_aws__process_parse(struct cr_aws_credentials *out, const char *text,
                          size_t len) CR_WARN_UNUSED;

/**
 * Runs command (split as above, run without a shell, PATH searched, stdin inherited) and
 * reads its stdout (at most 64 KiB) as cr_aws__process_parse does. A helper still running
 * after timeout_ms is killed. Returns 0; CR_EAUTH when it cannot start, exits non-zero (the
 * message carries the start of its stderr), is killed, or prints something unusable;
 * CR_ETIMEOUT; CR_ENOMEM.
 */
int cr_aws__process_fetch(struct cr_aws_credentials *out, const char *command,
                          uint32_t timeout_ms) CR_WARN_UNUSED;

/* ---- IAM Identity Center (cred_sso.c) ---- */

struct cr_aws__sso {
    char *profile;      /* for messages and `aws sso login --profile` */
    char *session_name; /* sso_session; NULL for a legacy profile with sso_start_url */
    char *start_url;
    char *region; /* sso_region: where the portal is */
    char *account_id;
    char *role_name;
    struct cr_buf cache_file; /* ~/.aws/sso/cache/<sha1 of session name or start URL>.json */
    struct cr_buf endpoint;   /* AWS_ENDPOINT_URL_SSO > ... > https://portal.sso.REGION.... */
};

/**
 * Reads the profile's IAM Identity Center settings (sso_account_id / sso_role_name, from the
 * profile or its [sso-session NAME] section). *found is false when the profile does not use
 * it. Returns 0, or CR_EINVALID naming the missing or conflicting setting (cfg's sso_session
 * map is loaded as a side effect), CR_ENOMEM.
 */
int cr_aws__sso_resolve(struct cr_aws__sso *out, bool *found, struct cr_aws_config *cfg,
                        const struct cr_aws_env *env) CR_WARN_UNUSED;
/**
 * Reads the access token `aws sso login` cached and exchanges it at the portal
 * (GetRoleCredentials). A missing, unreadable or expired token, or one the portal refuses, is
 * CR_EAUTH telling the user to run `aws sso login --profile NAME`. Other failures as for any
 * request (CR_EIO, CR_ETIMEOUT, CR_ETHROTTLED).
 */
int cr_aws__sso_fetch(struct cr_aws_credentials *out, const struct cr_aws__sso *sso,
                      const struct cr_aws__fetch_ctx *ctx) CR_WARN_UNUSED;
void cr_aws__sso_dispose(struct cr_aws__sso *sso);

/* ---- container credentials (cred_container.c) ---- */

struct cr_aws__container {
    struct cr_buf url;  /* full URL */
    char *token;        /* AWS_CONTAINER_AUTHORIZATION_TOKEN, or NULL */
    char *token_file;   /* AWS_CONTAINER_AUTHORIZATION_TOKEN_FILE (read on every fetch), or NULL */
};

/**
 * Reads AWS_CONTAINER_CREDENTIALS_RELATIVE_URI (on http://169.254.170.2) or
 * AWS_CONTAINER_CREDENTIALS_FULL_URI and the authorization settings. *found is false when
 * neither URI is set. A full URI over plain http must name a loopback address, the ECS
 * (169.254.170.2) or EKS Pod Identity (169.254.170.23, fd00:ec2::23) agent; anything else is
 * CR_EINVALID naming the host and the allowed ones.
 */
int cr_aws__container_resolve(struct cr_aws__container *out, bool *found,
                              const struct cr_aws_env *env) CR_WARN_UNUSED;
/** GET the credentials (3 attempts, 2 s each by default). CR_EAUTH for a refusal or an answer
 * without credentials, else as for any request. */
int cr_aws__container_fetch(struct cr_aws_credentials *out, const struct cr_aws__container *c,
                            const struct cr_aws__fetch_ctx *ctx) CR_WARN_UNUSED;
void cr_aws__container_dispose(struct cr_aws__container *c);

/* ---- EC2 instance metadata, IMDSv2 (cred_imds.c) ---- */

struct cr_aws__imds {
    struct cr_buf endpoint; /* "http://169.254.169.254" (no trailing slash) */
    uint32_t timeout_ms;    /* per attempt; AWS_METADATA_SERVICE_TIMEOUT (s); default 1000 */
    unsigned attempts;      /* AWS_METADATA_SERVICE_NUM_ATTEMPTS; default 2 (one retry) */
    bool v1_disabled;       /* AWS_EC2_METADATA_V1_DISABLED: no token-less fallback */
    struct cr_buf token;    /* the session token, reused until it expires */
    int64_t token_expires;
    char role[256];         /* the instance profile's role, once known */
};

/**
 * Reads the IMDS settings: AWS_EC2_METADATA_DISABLED (=true: *enabled false),
 * AWS_EC2_METADATA_SERVICE_ENDPOINT / ec2_metadata_service_endpoint,
 * AWS_EC2_METADATA_SERVICE_ENDPOINT_MODE / ec2_metadata_service_endpoint_mode (IPv4, IPv6),
 * the timeout and attempts. Returns 0 or CR_EINVALID naming the bad setting.
 */
int cr_aws__imds_resolve(struct cr_aws__imds *out, bool *enabled, const struct cr_aws_config *cfg,
                         const struct cr_aws_env *env) CR_WARN_UNUSED;
/**
 * The token (PUT /latest/api/token), the role name, then its credentials. *absent is set when
 * there is no instance metadata service to ask (no answer within the timeout, connection
 * refused) or the instance has no role: the chain goes on. Returns 0, or the error (with
 * *absent false: a service that answered wrongly; with *absent true: why it is absent).
 */
int cr_aws__imds_fetch(struct cr_aws_credentials *out, struct cr_aws__imds *imds,
                       const struct cr_aws__fetch_ctx *ctx, bool *absent) CR_WARN_UNUSED;
void cr_aws__imds_dispose(struct cr_aws__imds *imds);

#endif
