/* SPDX-License-Identifier: Apache-2.0 */
/*
 * The credentials chain, in botocore's order for the sources we support: environment
 * variables, then web identity (AWS_WEB_IDENTITY_TOKEN_FILE / AWS_ROLE_ARN, each falling back
 * to the profile's web_identity_token_file / role_arn), then static keys of the profile in
 * the shared credentials file and the config file.
 */
#include "aws/credentials.h"

#include <ctype.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "aws/sts.h"
#include "util/log.h"
#include "util/strutil.h"

#define S_DEFAULT_REFRESH_S 300
#define S_MAX_TOKEN_BYTES   (64u * 1024u)
#define S_REFRESH_RETRY_S   30 /* after a failed early refresh, wait before trying again */

/* ---- credentials ---- */

void cr_aws_credentials_init(struct cr_aws_credentials *creds)
{
    memset(creds, 0, sizeof(*creds));
}

void cr_aws_credentials_dispose(struct cr_aws_credentials *creds)
{
    if (!creds)
        return;
    cr_buf_dispose(&creds->access_key_id);
    cr_buf_dispose_secure(&creds->secret_access_key);
    cr_buf_dispose_secure(&creds->session_token);
    cr_aws_credentials_init(creds);
}

int cr_aws_credentials_set(struct cr_aws_credentials *creds, const char *access_key_id,
                           const char *secret_access_key, const char *session_token,
                           int64_t expiration_s)
{
    cr_buf_puts(&creds->access_key_id, access_key_id);
    cr_buf_puts(&creds->secret_access_key, secret_access_key);
    if (session_token && *session_token)
        cr_buf_puts(&creds->session_token, session_token);
    creds->expiration_s = expiration_s;
    if (cr_buf_oom(&creds->access_key_id) || cr_buf_oom(&creds->secret_access_key) ||
        cr_buf_oom(&creds->session_token)) {
        cr_error_set("aws credentials: out of memory");
        return CR_ENOMEM;
    }
    return 0;
}

bool cr_aws_credentials_temporary(const struct cr_aws_credentials *creds)
{
    return creds->session_token.len > 0;
}

/* ---- the provider ---- */

enum s_kind { S_NONE, S_ENV, S_WEB_IDENTITY, S_PROFILE };

struct cr_aws_credentials_provider {
    struct cr_aws_env env;
    bool has_env;
    char *profile;
    char *region;
    uint32_t refresh_before_s;
    uint32_t connect_timeout_ms, timeout_ms;
    struct cr_aws_transport *transport;     /* for STS: the caller's, or own_transport */
    struct cr_aws_transport *own_transport; /* made on first use when the caller gave none */
    cr_aws_web_identity_fetch_fn *fetch;
    void *fetch_ctx;

    enum s_kind kind;
    struct cr_aws_credentials current;
    unsigned fetches;
    int64_t next_refresh_s; /* no early refresh attempt before this time */
    bool rejected;          /* the service called the current credentials expired */
    /* web identity, kept for refreshes */
    char *role_arn, *token_file, *session_name;
    char *ca_bundle; /* for STS: AWS_CA_BUNDLE / ca_bundle, as the client's transport */
    struct cr_buf sts_endpoint;
    char source[160];
};

static const struct cr_aws_env *s_env(const struct cr_aws_credentials_provider *p)
{
    return p->has_env ? &p->env : NULL;
}

/* An explicit --profile turns the credential variables off, as in the AWS CLI (botocore's
 * create_credential_resolver: "an explicitly provided profile will negate an EnvProvider",
 * and its web identity provider then gets disable_env_vars); AWS_PROFILE does not. */
static const char *s_cred_env(const struct cr_aws_credentials_provider *p, const char *name)
{
    return p->profile ? NULL : cr_aws_env_get(s_env(p), name);
}

static int s_env_credentials(struct cr_aws_credentials_provider *p, bool *found)
{
    const char *akid = s_cred_env(p, "AWS_ACCESS_KEY_ID");
    const char *secret = s_cred_env(p, "AWS_SECRET_ACCESS_KEY");
    const char *token = s_cred_env(p, "AWS_SESSION_TOKEN");
    *found = false;
    if (!akid && !secret)
        return 0;
    if (!akid || !secret) {
        cr_error_set("incomplete AWS credentials in the environment: %s is set but %s is not",
                     akid ? "AWS_ACCESS_KEY_ID" : "AWS_SECRET_ACCESS_KEY",
                     akid ? "AWS_SECRET_ACCESS_KEY" : "AWS_ACCESS_KEY_ID");
        return CR_EAUTH;
    }
    *found = true;
    p->kind = S_ENV;
    snprintf(p->source, sizeof(p->source), "environment");
    /* Environment credentials cannot be refreshed; any expiry is the caller's business. */
    return cr_aws_credentials_set(&p->current, akid, secret, token, 0);
}

/* Reads the token file: the OIDC token, surrounding whitespace removed. */
static int s_read_token(struct cr_buf *out, const char *path)
{
    int rc = cr_buf_read_file(out, path, S_MAX_TOKEN_BYTES);
    if (rc < 0) {
        cr_error_prefix("web identity token file (AWS_WEB_IDENTITY_TOKEN_FILE)");
        return CR_EAUTH;
    }
    while (out->len && isspace((unsigned char)out->ptr[out->len - 1]))
        out->ptr[--out->len] = '\0';
    size_t lead = 0;
    while (lead < out->len && isspace((unsigned char)out->ptr[lead]))
        lead++;
    memmove(out->ptr, out->ptr + lead, out->len - lead + 1);
    out->len -= lead;
    if (out->len == 0) {
        cr_error_set("web identity token file %s is empty", path);
        return CR_EAUTH;
    }
    return 0;
}

/* The transport for STS: the caller's, else one of the provider's own, made once. */
static int s_transport(struct cr_aws_credentials_provider *p)
{
    if (p->transport)
        return 0;
    struct cr_aws_transport_options topts = {
        .env = s_env(p),
        .max_connections = 1,
        .ca_bundle = p->ca_bundle, /* AWS_CA_BUNDLE / ca_bundle, as the client's transport */
    };
    int rc = cr_aws_transport_new(&p->own_transport, &topts);
    p->transport = p->own_transport;
    return rc;
}

static int s_sts_fetch(void *ctx, struct cr_aws_credentials *out, const char *role_arn,
                       const char *session_name, const char *token)
{
    struct cr_aws_credentials_provider *p = ctx;
    int rc = s_transport(p);
    if (rc < 0)
        return rc;
    struct cr_sts_options opts = {
        .endpoint = cr_buf_cstr(&p->sts_endpoint),
        .region = p->region,
        .connect_timeout_ms = p->connect_timeout_ms,
        .timeout_ms = p->timeout_ms,
        .transport = p->transport,
    };
    return cr_sts_assume_role_with_web_identity(out, &opts, role_arn, session_name, token);
}

/* One AssumeRoleWithWebIdentity with the current token file content. */
static int s_web_identity_fetch(struct cr_aws_credentials_provider *p,
                                struct cr_aws_credentials *out)
{
    struct cr_buf token = CR_BUF_INIT;
    int rc = s_read_token(&token, p->token_file);
    if (rc == 0)
        rc = p->fetch(p->fetch_ctx, out, p->role_arn, p->session_name, cr_buf_cstr(&token));
    cr_buf_dispose_secure(&token);
    if (rc == 0)
        p->fetches++;
    return rc;
}

/* Web identity: each setting from its variable, else from the profile (botocore's
 * AssumeRoleWithWebIdentityProvider). */
static int s_web_identity(struct cr_aws_credentials_provider *p, const struct cr_aws_config *cfg,
                          bool *found)
{
    const struct cr_aws_env *env = s_env(p);
    const char *file = s_cred_env(p, "AWS_WEB_IDENTITY_TOKEN_FILE");
    const char *arn = s_cred_env(p, "AWS_ROLE_ARN");
    const char *name = s_cred_env(p, "AWS_ROLE_SESSION_NAME");
    char generated[64];
    *found = false;
    if (!file)
        file = cr_aws_config_get(cfg, "web_identity_token_file");
    if (!file)
        return 0;
    if (!arn)
        arn = cr_aws_config_get(cfg, "role_arn");
    if (!name)
        name = cr_aws_config_get(cfg, "role_session_name");
    if (!arn) {
        cr_error_set("web identity token file %s is set but no role: set AWS_ROLE_ARN or "
                     "role_arn in profile '%s'",
                     file, cr_buf_cstr(&cfg->profile));
        return CR_EAUTH;
    }
    if (!name) {
        snprintf(generated, sizeof(generated), "cognito-reconcile-%lld",
                 (long long)cr_aws_env_now(env));
        name = generated;
    }
    *found = true;
    p->kind = S_WEB_IDENTITY;
    snprintf(p->source, sizeof(p->source), "web identity (%.120s)", arn);
    bool oom = false;
    p->role_arn = cr_strdup_null(arn, &oom);
    p->token_file = cr_strdup_null(file, &oom);
    p->session_name = cr_strdup_null(name, &oom);
    p->ca_bundle = cr_strdup_null(cr_aws_config_ca_bundle(cfg, env), &oom);
    if (oom) {
        cr_error_set("aws credentials: out of memory");
        return CR_ENOMEM;
    }
    if (!p->fetch) {
        int rc = cr_sts_endpoint(&p->sts_endpoint, cfg, env, p->region);
        if (rc < 0)
            return rc;
        p->fetch = s_sts_fetch;
        p->fetch_ctx = p;
    }
    return s_web_identity_fetch(p, &p->current);
}

/* Profile settings for sources we do not implement, so the error can say so. */
static const char *s_unsupported_source(const struct cr_aws_config *cfg)
{
    static const struct {
        const char *key, *what;
    } keys[] = {
        {"sso_session", "sso_session (IAM Identity Center)"},
        {"sso_start_url", "sso_start_url (IAM Identity Center)"},
        {"credential_process", "credential_process"},
        {"source_profile", "role_arn with source_profile"},
        {"credential_source", "role_arn with credential_source"},
    };
    for (size_t i = 0; i < sizeof(keys) / sizeof(keys[0]); i++) {
        if (cr_aws_config_get(cfg, keys[i].key))
            return keys[i].what;
    }
    return NULL;
}

static int s_profile_credentials(struct cr_aws_credentials_provider *p,
                                 const struct cr_aws_config *cfg, bool *found)
{
    const char *akid = cr_aws_config_get(cfg, "aws_access_key_id");
    const char *secret = cr_aws_config_get(cfg, "aws_secret_access_key");
    const char *token = cr_aws_config_get(cfg, "aws_session_token");
    const char *profile = cr_buf_cstr(&cfg->profile);
    const char *unsupported = s_unsupported_source(cfg);
    *found = false;
    if (!token)
        token = cr_aws_config_get(cfg, "aws_security_token"); /* the older name */
    if (unsupported && (!akid || !secret)) {
        cr_error_set("profile '%s' gets credentials from %s, which cognito-reconcile does not "
                     "support: export them with `aws configure export-credentials --profile "
                     "%s --format env` or use environment variables",
                     profile, unsupported, profile);
        return CR_EAUTH;
    }
    if (!akid && !secret)
        return 0;
    if (!akid || !secret) {
        cr_error_set("incomplete AWS credentials in profile '%s' (%s or %s): "
                     "aws_access_key_id and aws_secret_access_key must both be set",
                     profile, cr_buf_cstr(&cfg->credentials_path), cr_buf_cstr(&cfg->config_path));
        return CR_EAUTH;
    }
    *found = true;
    p->kind = S_PROFILE;
    bool in_creds = cr_strmap_get(&cfg->credentials, "aws_access_key_id") != NULL;
    snprintf(p->source, sizeof(p->source), "profile '%.60s' (%s file)", profile,
             in_creds ? "credentials" : "config");
    return cr_aws_credentials_set(&p->current, akid, secret, token, 0);
}

static int s_missing_profile(const struct cr_aws_credentials_provider *p,
                             const struct cr_aws_config *cfg)
{
    cr_error_set("AWS profile '%s' (from %s) is in neither %s%s nor %s%s",
                 cr_buf_cstr(&cfg->profile), p->profile ? "--profile" : "AWS_PROFILE",
                 cr_buf_cstr(&cfg->credentials_path), cfg->credentials_found ? "" : " (not found)",
                 cr_buf_cstr(&cfg->config_path), cfg->config_found ? "" : " (not found)");
    return CR_EAUTH;
}

static void s_none_error(const struct cr_aws_credentials_provider *p,
                         const struct cr_aws_config *cfg)
{
    /* with --profile only the profile was consulted (s_cred_env) */
    const char *tried = p->profile ? "no AWS credentials in"
                                   : "no AWS credentials: tried "
                                     "environment variables (AWS_ACCESS_KEY_ID), web identity "
                                     "(AWS_ROLE_ARN/AWS_WEB_IDENTITY_TOKEN_FILE),";
    const char *note = p->profile ? " (--profile given: credential environment variables are "
                                    "not read, as in the AWS CLI)"
                                  : "";
    cr_error_set("%s profile '%s' in %s%s and %s%s%s", tried, cr_buf_cstr(&cfg->profile),
                 cr_buf_cstr(&cfg->credentials_path), cfg->credentials_found ? "" : " (not found)",
                 cr_buf_cstr(&cfg->config_path), cfg->config_found ? "" : " (not found)", note);
}

/* Walks the chain once; the first source that has credentials wins. */
static int s_resolve(struct cr_aws_credentials_provider *p)
{
    int result = -1, rc;
    struct cr_aws_config cfg;
    bool found = false;
    cr_aws_config_init(&cfg);
    /* The files first: a profile named by --profile or AWS_PROFILE that is in neither file is
     * an error even when the environment holds keys, as the AWS CLI says "The config profile
     * (x) could not be found": a misspelt profile must not fall back to other credentials. */
    rc = cr_aws_config_load(&cfg, s_env(p), p->profile);
    if (rc == 0 && cfg.profile_from_user && !cfg.profile_found)
        rc = s_missing_profile(p, &cfg);
    if (rc == 0)
        rc = s_env_credentials(p, &found);
    if (rc < 0 || found) {
        result = rc;
        goto done;
    }
    if (!p->region) {
        struct cr_buf region = CR_BUF_INIT;
        /* STS needs some region; the chain must not fail for lack of one. */
        if (cr_aws_config_region(&region, &cfg, s_env(p), NULL) == 0)
            p->region = cr_buf_detach(&region);
        cr_buf_dispose(&region);
        cr_error_clear();
    }
    rc = s_web_identity(p, &cfg, &found);
    if (rc == 0 && !found)
        rc = s_profile_credentials(p, &cfg, &found);
    if (rc == 0 && !found) {
        s_none_error(p, &cfg);
        rc = CR_EAUTH;
    }
    result = rc;
done:
    if (result == 0)
        p->current.source = p->source;
    if (result == 0 && p->kind != S_WEB_IDENTITY)
        p->fetches++;
    cr_aws_config_dispose(&cfg);
    return result;
}

int cr_aws__credentials_provider_new_with(struct cr_aws_credentials_provider **out,
                                          const struct cr_aws_credentials_options *opts,
                                          cr_aws_web_identity_fetch_fn *fetch, void *fetch_ctx)
{
    int result = CR_ENOMEM;
    struct cr_aws_credentials_options none = {0};
    struct cr_aws_credentials_provider *p = calloc(1, sizeof(*p));
    bool oom = false;
    *out = NULL;
    if (!opts)
        opts = &none;
    if (!p) {
        cr_error_set("aws credentials: out of memory");
        goto done;
    }
    if (opts->env) {
        p->env = *opts->env;
        p->has_env = true;
    }
    p->profile = cr_strdup_null(opts->profile && *opts->profile ? opts->profile : NULL, &oom);
    p->region = cr_strdup_null(opts->region && *opts->region ? opts->region : NULL, &oom);
    if (oom) {
        cr_error_set("aws credentials: out of memory");
        goto done;
    }
    p->refresh_before_s = opts->refresh_before_s ? opts->refresh_before_s : S_DEFAULT_REFRESH_S;
    p->connect_timeout_ms = opts->connect_timeout_ms;
    p->timeout_ms = opts->timeout_ms;
    p->transport = opts->transport;
    p->fetch = fetch;
    p->fetch_ctx = fetch_ctx;
    result = s_resolve(p);
    if (result < 0)
        goto done;
    *out = p;
    p = NULL; /* now owned by the caller */
done:
    cr_aws_credentials_provider_free(p);
    return result;
}

int cr_aws_credentials_provider_new(struct cr_aws_credentials_provider **out,
                                    const struct cr_aws_credentials_options *opts)
{
    return cr_aws__credentials_provider_new_with(out, opts, NULL, NULL);
}

void cr_aws_credentials_provider_free(struct cr_aws_credentials_provider *p)
{
    if (!p)
        return;
    cr_aws_credentials_dispose(&p->current);
    free(p->profile);
    free(p->region);
    free(p->role_arn);
    free(p->token_file);
    free(p->session_name);
    free(p->ca_bundle);
    cr_buf_dispose(&p->sts_endpoint);
    cr_aws_transport_free(p->own_transport);
    free(p);
}

int cr_aws_credentials_provider_get(struct cr_aws_credentials_provider *p,
                                    const struct cr_aws_credentials **out)
{
    int64_t now = cr_aws_env_now(s_env(p));
    int64_t exp = p->current.expiration_s;
    struct cr_aws_credentials fresh;
    *out = &p->current;
    /* Only web identity credentials can be renewed; refresh ahead of expiry so no request
     * is signed with credentials that lapse in flight. */
    if (p->kind != S_WEB_IDENTITY || exp == 0 ||
        (!p->rejected && now < exp - (int64_t)p->refresh_before_s))
        return 0;
    /* Still valid after a failed refresh: do not ask STS again on every request. */
    if (!p->rejected && now < exp && now < p->next_refresh_s)
        return 0;
    p->rejected = false; /* one renewal per rejection, whatever STS answers */
    cr_aws_credentials_init(&fresh);
    int rc = s_web_identity_fetch(p, &fresh);
    if (rc < 0) {
        cr_aws_credentials_dispose(&fresh);
        if (now < exp) {
            p->next_refresh_s = now + S_REFRESH_RETRY_S;
            cr_log_debug("aws credentials: refresh failed, keeping credentials valid for %llds "
                         "more: %s",
                         (long long)(exp - now), cr_error_last());
            return 0;
        }
        cr_error_prefix("aws credentials expired and could not be refreshed");
        return rc;
    }
    cr_aws_credentials_dispose(&p->current);
    p->current = fresh; /* now owned by the provider */
    p->current.source = p->source;
    return 0;
}

bool cr_aws_credentials_provider_reject(struct cr_aws_credentials_provider *p)
{
    if (p->kind != S_WEB_IDENTITY)
        return false;
    p->rejected = true;
    return true;
}

const char *cr_aws_credentials_provider_source(const struct cr_aws_credentials_provider *p)
{
    return p->source;
}

unsigned cr_aws_credentials_provider_fetch_count(const struct cr_aws_credentials_provider *p)
{
    return p->fetches;
}
