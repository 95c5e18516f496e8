/* SPDX-License-Identifier: Apache-2.0 */
/*
 * The credentials chain, in the AWS CLI v2's order (botocore's create_credential_resolver and
 * ProfileProviderBuilder), one link at a time until one has credentials:
 *
 *   1. environment variables (not with an explicit --profile);
 *   2. assume role: the profile's role_arn with source_profile (a chain of profiles, loops
 *      refused) or credential_source (Environment, Ec2InstanceMetadata, EcsContainer);
 *   3. web identity (AWS_WEB_IDENTITY_TOKEN_FILE / AWS_ROLE_ARN, else the profile's);
 *   4. IAM Identity Center (sso_session or legacy sso_start_url profiles);
 *   5. the credentials file's static keys;
 *   6. credential_process;
 *   7. the config file's static keys;
 *   8. container credentials (ECS, EKS Pod Identity);
 *   9. EC2 instance metadata (IMDSv2).
 *
 * A source profile (the profile a role is assumed from) is resolved by links 3-7 only (or 2
 * again when it has a role_arn and no keys), as botocore does. Temporary credentials of every
 * source are renewed before they expire.
 */
#include "aws/credentials.h"

#include <ctype.h>
#include <pthread.h>
#include <stdatomic.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>

#include "aws/cred_internal.h"
#include "aws/request.h"
#include "aws/sts.h"
#include "util/log.h"
#include "util/strutil.h"

#define S_DEFAULT_REFRESH_S   300
#define S_DEFAULT_PROCESS_MS  60000
#define S_MAX_TOKEN_BYTES     (64u * 1024u)
#define S_REFRESH_RETRY_S     30 /* after a failed early refresh, wait before trying again */
#define S_MAX_CHAIN           16 /* profiles in one source_profile chain */
#define S_DEFAULT_SESSION_FMT "cognito-reconcile-%lld"

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

/* ---- shared by the sources (aws/cred_internal.h) ---- */

static int s_digits(const char **p, int n)
{
    int v = 0;
    for (int i = 0; i < n; i++, (*p)++) {
        if (!isdigit((unsigned char)**p))
            return -1;
        v = v * 10 + (**p - '0');
    }
    return v;
}

/* Days since 1970-01-01 of a civil date (proleptic Gregorian). */
static int64_t s_days(int64_t y, int m, int d)
{
    y -= m <= 2;
    int64_t era = (y >= 0 ? y : y - 399) / 400;
    int64_t yoe = y - era * 400;
    int64_t doy = (153 * (m + (m > 2 ? -3 : 9)) + 2) / 5 + d - 1;
    int64_t doe = yoe * 365 + yoe / 4 - yoe / 100 + doy;
    return era * 146097 + doe - 719468;
}

int cr_aws__parse_time(int64_t *out, const char *text)
{
    const char *p = text;
    int y = s_digits(&p, 4), mo = (*p == '-' ? p++, s_digits(&p, 2) : -1);
    int d = (*p == '-' ? p++, s_digits(&p, 2) : -1);
    if (y < 0 || mo < 1 || mo > 12 || d < 1 || d > 31 || (*p != 'T' && *p != 't' && *p != ' '))
        return CR_EINVALID;
    p++;
    int h = s_digits(&p, 2), mi = (*p == ':' ? p++, s_digits(&p, 2) : -1);
    int s = (*p == ':' ? p++, s_digits(&p, 2) : -1);
    if (h < 0 || h > 23 || mi < 0 || mi > 59 || s < 0 || s > 60)
        return CR_EINVALID;
    if (*p == '.') { /* fractions of a second are dropped */
        p++;
        if (!isdigit((unsigned char)*p))
            return CR_EINVALID;
        while (isdigit((unsigned char)*p))
            p++;
    }
    int64_t offset = 0;
    if (*p == 'Z' || *p == 'z') {
        p++;
    } else if (strcmp(p, "UTC") == 0) {
        p += 3;
    } else if (*p == '+' || *p == '-') {
        int sign = *p++ == '-' ? -1 : 1;
        int oh = s_digits(&p, 2), om = (*p == ':' ? p++, s_digits(&p, 2) : s_digits(&p, 2));
        if (oh < 0 || oh > 23 || om < 0 || om > 59)
            return CR_EINVALID;
        offset = sign * (oh * 3600 + om * 60);
    } else {
        return CR_EINVALID; /* a time without a zone is ambiguous */
    }
    if (*p)
        return CR_EINVALID;
    *out = s_days(y, mo, d) * 86400 + h * 3600 + mi * 60 + s - offset;
    return 0;
}

int cr_aws__credentials_from_json(struct cr_aws_credentials *out, const json_t *doc,
                                  const char *token_key, bool expiration_required,
                                  const char *what)
{
    const char *akid = json_string_value(json_object_get(doc, "AccessKeyId"));
    const char *secret = json_string_value(json_object_get(doc, "SecretAccessKey"));
    const char *token = json_string_value(json_object_get(doc, token_key));
    const json_t *exp = json_object_get(doc, "Expiration");
    int64_t expiration = 0;
    if (!json_is_object(doc)) {
        cr_error_set("%s: the answer is not a JSON object", what);
        return CR_EINVALID;
    }
    const char *missing = !akid || !*akid         ? "AccessKeyId"
                          : !secret || !*secret   ? "SecretAccessKey"
                          : expiration_required && !token ? token_key
                          : expiration_required && !exp   ? "Expiration"
                                                          : NULL;
    if (missing) {
        cr_error_set("%s: the answer has no %s", what, missing);
        return CR_EINVALID;
    }
    if (exp && (!json_is_string(exp) ||
                cr_aws__parse_time(&expiration, json_string_value(exp)) < 0)) {
        cr_error_set("%s: Expiration is not an ISO 8601 time (like 2026-01-02T03:04:05Z)", what);
        return CR_EINVALID;
    }
    return cr_aws_credentials_set(out, akid, secret, token, expiration);
}

/* ---- the provider ---- */

enum s_kind {
    S_NONE,
    S_ENV,
    S_WEB_IDENTITY,
    S_ASSUME_ROLE,
    S_SSO,
    S_STATIC,
    S_PROCESS,
    S_CONTAINER,
    S_IMDS,
};

/* The profiles a source_profile chain went through, for loops and messages. */
struct s_chain {
    const char *names[S_MAX_CHAIN];
    size_t n;
};

struct cr_aws_credentials_provider {
    /* settings */
    struct cr_aws_env env;
    bool has_env;
    char *profile;     /* --profile or a source profile; NULL = AWS_PROFILE, else "default" */
    bool no_env;       /* the credential variables are not read (explicit profile, source) */
    bool source_only;  /* a source profile: links 2-7 only, and it must have credentials */
    char *region;
    uint32_t refresh_before_s;
    uint32_t connect_timeout_ms, timeout_ms, process_timeout_ms;
    struct cr_aws_transport *transport;     /* for the network sources: the caller's, or own */
    struct cr_aws_transport *own_transport; /* made on first use when the caller gave none */
    char *ca_bundle; /* AWS_CA_BUNDLE / ca_bundle, for a transport of our own */
    cr_aws_web_identity_fetch_fn *fetch;
    void *fetch_ctx;

    /* what was found */
    enum s_kind kind;
    struct cr_aws_credentials current;
    int64_t fetched_at;     /* when current was obtained (env clock) */
    unsigned fetches;
    int64_t next_refresh_s; /* no early refresh attempt before this time */
    bool rejected;          /* the service called the current credentials expired */
    struct cr_buf source;   /* "assume role ... via profile ci, source profile base <- ..." */
    /* One provider may sign for the clients of several threads (the regions and accounts of a
     * run read at once): acquire, reject and share take the lock, and acquire hands out a
     * reference to a copy of the current credentials (struct s_set), made once per fetch. */
    pthread_mutex_t lock;
    struct s_set *set; /* the current set, NULL until acquired after a fetch */

    /* per source, kept for refreshes */
    char *role_arn, *token_file, *session_name; /* web identity; role_arn also assume role */
    char *external_id;                          /* assume role */
    char *role_profile;                         /* assume role: the profile with role_arn */
    uint32_t duration_s;
    struct cr_aws_credentials_provider *base; /* assume role: where the signing keys come from */
    bool own_base;
    struct cr_buf sts_endpoint;
    char *command; /* credential_process */
    struct cr_aws__sso sso;
    struct cr_aws__container container;
    struct cr_aws__imds imds;
};

static const struct cr_aws_env *s_env(const struct cr_aws_credentials_provider *p)
{
    return p->has_env ? &p->env : NULL;
}

static int s_oom(void)
{
    cr_error_set("aws credentials: out of memory");
    return CR_ENOMEM;
}

/* Sets the description of the source ("environment", "profile 'x' (credentials file)"). */
static int s_describe(struct cr_aws_credentials_provider *p, const char *fmt, ...)
    CR_PRINTF(2, 3);

static int s_describe(struct cr_aws_credentials_provider *p, const char *fmt, ...)
{
    va_list ap;
    cr_buf_clear(&p->source);
    va_start(ap, fmt);
    cr_buf_vprintf(&p->source, fmt, ap);
    va_end(ap);
    return cr_buf_oom(&p->source) ? s_oom() : 0;
}

/* The transport for the network sources: the caller's, else one of the provider's own. */
static int s_transport(struct cr_aws_credentials_provider *p)
{
    if (p->transport)
        return 0;
    struct cr_aws_transport_options topts = {
        .env = s_env(p),
        .max_connections = 2,
        .ca_bundle = p->ca_bundle, /* AWS_CA_BUNDLE / ca_bundle, as the client's transport */
    };
    int rc = cr_aws_transport_new(&p->own_transport, &topts);
    p->transport = p->own_transport;
    return rc;
}

/* The CA bundle a transport of our own trusts (AWS_CA_BUNDLE, else ca_bundle of the first
 * profile of the chain that sets one), checked before anything connects. */
static int s_ca_bundle(struct cr_aws_credentials_provider *p, const struct cr_aws_config *cfg)
{
    const char *path = NULL;
    bool oom = false;
    if (p->ca_bundle)
        return 0;
    int rc = cr_aws_config_ca_bundle_checked(&path, cfg, s_env(p));
    if (rc < 0)
        return rc;
    p->ca_bundle = cr_strdup_null(path, &oom);
    return oom ? s_oom() : 0;
}

static struct cr_aws__fetch_ctx s_fetch_ctx(const struct cr_aws_credentials_provider *p)
{
    struct cr_aws__fetch_ctx ctx = {s_env(p), p->transport, p->connect_timeout_ms, p->timeout_ms};
    return ctx;
}

/* The credential variables, unless this chain does not read them (an explicit --profile, as
 * botocore's create_credential_resolver: "an explicitly provided profile will negate an
 * EnvProvider", and its web identity provider gets disable_env_vars; a source profile). */
static const char *s_cred_env(const struct cr_aws_credentials_provider *p, const char *name)
{
    return p->no_env ? NULL : cr_aws_env_get(s_env(p), name);
}

/* ---- 1. environment ---- */

/* The keys in AWS_ACCESS_KEY_ID etc.; read even with --profile when a profile names them as
 * its credential_source (force). */
static int s_env_credentials(struct cr_aws_credentials_provider *p, bool force, bool *found)
{
    const struct cr_aws_env *env = s_env(p);
    const char *akid = force ? cr_aws_env_get(env, "AWS_ACCESS_KEY_ID")
                             : s_cred_env(p, "AWS_ACCESS_KEY_ID");
    const char *secret = force ? cr_aws_env_get(env, "AWS_SECRET_ACCESS_KEY")
                               : s_cred_env(p, "AWS_SECRET_ACCESS_KEY");
    const char *token = force ? cr_aws_env_get(env, "AWS_SESSION_TOKEN")
                              : s_cred_env(p, "AWS_SESSION_TOKEN");
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
    int rc = s_describe(p, "environment");
    /* Environment credentials cannot be refreshed; any expiry is the caller's business. */
    return rc < 0 ? rc : cr_aws_credentials_set(&p->current, akid, secret, token, 0);
}

/* ---- 3. web identity ---- */

/* Reads the token file: the OIDC token, surrounding whitespace removed. */
static int s_read_token(struct cr_buf *out, const char *path, const char *what)
{
    int rc = cr_buf_read_file(out, path, S_MAX_TOKEN_BYTES);
    if (rc < 0) {
        cr_error_prefix("%s", what);
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
        cr_error_set("%s %s is empty", what, path);
        return CR_EAUTH;
    }
    return 0;
}

static struct cr_sts_options s_sts_options(const struct cr_aws_credentials_provider *p)
{
    struct cr_sts_options opts = {
        .endpoint = cr_buf_cstr(&p->sts_endpoint),
        .region = p->region,
        .connect_timeout_ms = p->connect_timeout_ms,
        .timeout_ms = p->timeout_ms,
        .transport = p->transport,
    };
    return opts;
}

static int s_sts_fetch(void *ctx, struct cr_aws_credentials *out, const char *role_arn,
                       const char *session_name, const char *token)
{
    struct cr_aws_credentials_provider *p = ctx;
    int rc = s_transport(p);
    if (rc < 0)
        return rc;
    struct cr_sts_options opts = s_sts_options(p);
    return cr_sts_assume_role_with_web_identity(out, &opts, role_arn, session_name, token);
}

/* One AssumeRoleWithWebIdentity with the current token file content. */
static int s_web_identity_fetch(struct cr_aws_credentials_provider *p,
                                struct cr_aws_credentials *out)
{
    struct cr_buf token = CR_BUF_INIT;
    int rc = s_read_token(&token, p->token_file, "web identity token file");
    if (rc == 0)
        rc = p->fetch(p->fetch_ctx, out, p->role_arn, p->session_name, cr_buf_cstr(&token));
    cr_buf_dispose_secure(&token);
    return rc;
}

/* A session name: the configured one, else cognito-reconcile-<unix time> (botocore:
 * botocore-session-<time>). */
static char *s_session_name(const struct cr_aws_credentials_provider *p, const char *configured,
                            bool *oom)
{
    char generated[64];
    if (configured)
        return cr_strdup_null(configured, oom);
    snprintf(generated, sizeof(generated), S_DEFAULT_SESSION_FMT,
             (long long)cr_aws_env_now(s_env(p)));
    return cr_strdup_null(generated, oom);
}

/* The STS endpoint for calls on behalf of cfg's profile. */
static int s_sts_endpoint(struct cr_aws_credentials_provider *p, const struct cr_aws_config *cfg)
{
    cr_buf_clear(&p->sts_endpoint);
    return cr_sts_endpoint(&p->sts_endpoint, cfg, s_env(p), p->region);
}

/* Web identity: each setting from its variable, else from the profile (botocore's
 * AssumeRoleWithWebIdentityProvider). */
static int s_web_identity(struct cr_aws_credentials_provider *p, const struct cr_aws_config *cfg,
                          bool *found)
{
    const char *file = s_cred_env(p, "AWS_WEB_IDENTITY_TOKEN_FILE");
    const char *arn = s_cred_env(p, "AWS_ROLE_ARN");
    const char *name = s_cred_env(p, "AWS_ROLE_SESSION_NAME");
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
    *found = true;
    p->kind = S_WEB_IDENTITY;
    bool oom = false;
    p->role_arn = cr_strdup_null(arn, &oom);
    p->token_file = cr_strdup_null(file, &oom);
    p->session_name = s_session_name(p, name, &oom);
    if (oom)
        return s_oom();
    int rc = s_describe(p, "web identity (%s)", arn);
    if (rc == 0 && !p->fetch) {
        rc = s_sts_endpoint(p, cfg);
        p->fetch = s_sts_fetch;
        p->fetch_ctx = p;
    }
    return rc;
}

/* ---- 5, 7. static keys ---- */

/* The keys of one of the two files (botocore's SharedCredentialProvider / ConfigProvider). */
static int s_static_keys(struct cr_aws_credentials_provider *p, const struct cr_aws_config *cfg,
                         bool credentials_file, bool *found)
{
    const struct cr_strmap *m = credentials_file ? &cfg->credentials : &cfg->config;
    const char *path = cr_buf_cstr(credentials_file ? &cfg->credentials_path : &cfg->config_path);
    const char *akid = cr_strmap_get(m, "aws_access_key_id");
    const char *secret = cr_strmap_get(m, "aws_secret_access_key");
    const char *token = cr_strmap_get(m, "aws_session_token");
    const char *profile = cr_buf_cstr(&cfg->profile);
    *found = false;
    akid = akid && *akid ? akid : NULL;
    secret = secret && *secret ? secret : NULL;
    if (!token || !*token)
        token = cr_strmap_get(m, "aws_security_token"); /* the older name */
    if (!akid && !secret)
        return 0;
    if (!akid || !secret) {
        cr_error_set("incomplete AWS credentials in profile '%s' (%s): aws_access_key_id and "
                     "aws_secret_access_key must both be set",
                     profile, path);
        return CR_EAUTH;
    }
    *found = true;
    p->kind = S_STATIC;
    int rc = s_describe(p, "profile '%s' (%s file)", profile,
                        credentials_file ? "credentials" : "config");
    return rc < 0 ? rc : cr_aws_credentials_set(&p->current, akid, secret, token, 0);
}

static bool s_has_static(const struct cr_aws_config *cfg)
{
    return cr_aws_config_get(cfg, "aws_access_key_id") ||
           cr_aws_config_get(cfg, "aws_secret_access_key");
}

/* ---- 6. credential_process ---- */

static int s_process(struct cr_aws_credentials_provider *p, const struct cr_aws_config *cfg,
                     bool *found)
{
    const char *command = cr_aws_config_get(cfg, "credential_process");
    *found = command != NULL;
    if (!command)
        return 0;
    p->kind = S_PROCESS;
    p->command = cr_strdup_null(command, NULL);
    if (!p->command)
        return s_oom();
    return s_describe(p, "credential_process of profile '%s'", cr_buf_cstr(&cfg->profile));
}

/* ---- 4. IAM Identity Center ---- */

static int s_sso(struct cr_aws_credentials_provider *p, struct cr_aws_config *cfg, bool *found)
{
    int rc = cr_aws__sso_resolve(&p->sso, found, cfg, s_env(p));
    if (rc < 0 || !*found)
        return rc;
    p->kind = S_SSO;
    return s_describe(p, "IAM Identity Center, profile '%s' (account %s, role %s%s%s)",
                      p->sso.profile, p->sso.account_id, p->sso.role_name,
                      p->sso.session_name ? ", sso-session " : "",
                      p->sso.session_name ? p->sso.session_name : "");
}

/* ---- 8, 9. container and instance metadata ---- */

static int s_container(struct cr_aws_credentials_provider *p, bool *found)
{
    int rc = cr_aws__container_resolve(&p->container, found, s_env(p));
    if (rc < 0 || !*found)
        return rc;
    p->kind = S_CONTAINER;
    return s_describe(p, "container credentials (%s)", cr_buf_cstr(&p->container.url));
}

/* IMDS answers or not: *found says whether credentials came (they are fetched here, since
 * whether there is an instance metadata service at all is only known by asking). */
static int s_imds(struct cr_aws_credentials_provider *p, const struct cr_aws_config *cfg,
                  bool *found, struct cr_buf *why_not)
{
    bool enabled = false, absent = false;
    struct cr_aws__fetch_ctx ctx;
    *found = false;
    int rc = cr_aws__imds_resolve(&p->imds, &enabled, cfg, s_env(p));
    if (rc < 0)
        return rc;
    if (!enabled) {
        cr_buf_puts(why_not, "EC2 instance metadata (disabled by AWS_EC2_METADATA_DISABLED)");
        return cr_buf_oom(why_not) ? s_oom() : 0;
    }
    rc = s_transport(p);
    if (rc < 0)
        return rc;
    ctx = s_fetch_ctx(p);
    rc = cr_aws__imds_fetch(&p->current, &p->imds, &ctx, &absent);
    /* whatever went wrong, IMDS has no credentials for us and the chain goes on (botocore's
     * InstanceMetadataProvider); the reason goes into the "no credentials" message */
    if (rc < 0 && rc != CR_ENOMEM) {
        cr_buf_printf(why_not, "EC2 instance metadata (%s)", cr_error_last());
        cr_error_clear();
        return cr_buf_oom(why_not) ? s_oom() : 0;
    }
    if (rc < 0)
        return rc;
    *found = true;
    p->kind = S_IMDS;
    return s_describe(p, "EC2 instance metadata (role %s)", p->imds.role);
}

/* ---- 2. assume role ---- */

static int s_provider_alloc(struct cr_aws_credentials_provider **out,
                            const struct cr_aws_credentials_provider *parent, const char *profile);
static int s_resolve(struct cr_aws_credentials_provider *p, struct s_chain *chain,
                     const char *parent);
static int s_first_fetch(struct cr_aws_credentials_provider *p);
static int s_fetch(struct cr_aws_credentials_provider *p, struct cr_aws_credentials *out);

/* A role needs a base: credential_source names one of three sources. */
static int s_credential_source(struct cr_aws_credentials_provider *base, const char *source,
                               const char *profile)
{
    bool found = false;
    int rc;
    struct cr_buf why = CR_BUF_INIT;
    if (strcasecmp(source, "Environment") == 0) {
        rc = s_env_credentials(base, true, &found);
    } else if (strcasecmp(source, "EcsContainer") == 0) {
        rc = s_container(base, &found);
    } else if (strcasecmp(source, "Ec2InstanceMetadata") == 0) {
        rc = s_imds(base, NULL, &found, &why);
    } else {
        cr_error_set("profile '%s': credential_source '%s' is not valid (Environment, "
                     "Ec2InstanceMetadata or EcsContainer)",
                     profile, source);
        return CR_EINVALID;
    }
    if (rc == 0 && !found) {
        cr_error_set("profile '%s': credential_source %s has no credentials%s%s%s", profile,
                     source, why.len ? " (" : "", cr_buf_cstr(&why) ? cr_buf_cstr(&why) : "",
                     why.len ? ")" : "");
        rc = CR_EAUTH;
    }
    if (rc == 0)
        rc = s_first_fetch(base);
    cr_buf_dispose(&why);
    return rc;
}

/* The role settings of the profile (botocore's AssumeRoleProvider._get_role_config). */
static int s_role_settings(struct cr_aws_credentials_provider *p, const struct cr_aws_config *cfg)
{
    const char *profile = cr_buf_cstr(&cfg->profile);
    const char *duration = cr_aws_config_get(cfg, "duration_seconds");
    char *end = NULL;
    bool oom = false;
    if (cr_aws_config_get(cfg, "mfa_serial")) {
        cr_error_set("profile '%s' assumes its role with an MFA code (mfa_serial), which "
                     "cognito-reconcile does not prompt for: run `aws configure "
                     "export-credentials --profile %s --format env` and use the exported "
                     "variables",
                     profile, profile);
        return CR_EAUTH;
    }
    if (duration) {
        unsigned long v = strtoul(duration, &end, 10);
        if (!isdigit((unsigned char)duration[0]) || *end || v == 0 || v > 43200) {
            cr_error_set("profile '%s': duration_seconds '%s' is not a number of seconds "
                         "(900 to 43200)",
                         profile, duration);
            return CR_EINVALID;
        }
        p->duration_s = (uint32_t)v;
    }
    p->role_arn = cr_strdup_null(cr_aws_config_get(cfg, "role_arn"), &oom);
    p->role_profile = cr_strdup_null(profile, &oom);
    p->external_id = cr_strdup_null(cr_aws_config_get(cfg, "external_id"), &oom);
    p->session_name = s_session_name(p, cr_aws_config_get(cfg, "role_session_name"), &oom);
    return oom ? s_oom() : 0;
}

/* role_arn in the profile: the base credentials from source_profile (a chain) or
 * credential_source, then STS AssumeRole. */
static int s_assume_role(struct cr_aws_credentials_provider *p, const struct cr_aws_config *cfg,
                         struct s_chain *chain)
{
    const char *profile = cr_buf_cstr(&cfg->profile);
    const char *source_profile = cr_aws_config_get(cfg, "source_profile");
    const char *credential_source = cr_aws_config_get(cfg, "credential_source");
    int rc;
    if (source_profile && credential_source) {
        cr_error_set("profile '%s' has both source_profile and credential_source: keep one",
                     profile);
        return CR_EINVALID;
    }
    if (!source_profile && !credential_source) {
        cr_error_set("profile '%s' has role_arn but neither source_profile nor "
                     "credential_source: say where the credentials to assume the role come from",
                     profile);
        return CR_EINVALID;
    }
    rc = s_role_settings(p, cfg);
    if (rc == 0)
        rc = s_sts_endpoint(p, cfg);
    if (rc == 0)
        rc = s_transport(p);
    if (rc == 0)
        rc = s_provider_alloc(&p->base, p, source_profile);
    if (rc < 0)
        return rc;
    p->own_base = true;
    p->kind = S_ASSUME_ROLE;
    if (credential_source) {
        rc = s_credential_source(p->base, credential_source, profile);
        if (rc == 0)
            rc = s_describe(p, "assume role %s via profile %s, credential source %s <- %s",
                            p->role_arn, profile, credential_source,
                            cr_buf_cstr(&p->base->source));
        return rc;
    }
    p->base->no_env = true;
    p->base->source_only = true;
    rc = s_resolve(p->base, chain, profile);
    if (rc == 0)
        rc = s_describe(p, "assume role %s via profile %s, source profile %s <- %s", p->role_arn,
                        profile, source_profile, cr_buf_cstr(&p->base->source));
    return rc;
}

/* ---- the chain ---- */

static int s_missing_profile(const struct cr_aws_credentials_provider *p,
                             const struct cr_aws_config *cfg, const char *parent)
{
    if (parent)
        cr_error_set("source_profile '%s' of profile '%s' is in neither %s%s nor %s%s",
                     cr_buf_cstr(&cfg->profile), parent, cr_buf_cstr(&cfg->credentials_path),
                     cfg->credentials_found ? "" : " (not found)", cr_buf_cstr(&cfg->config_path),
                     cfg->config_found ? "" : " (not found)");
    else
        cr_error_set("AWS profile '%s' (from %s) is in neither %s%s nor %s%s",
                     cr_buf_cstr(&cfg->profile), p->profile ? "--profile" : "AWS_PROFILE",
                     cr_buf_cstr(&cfg->credentials_path),
                     cfg->credentials_found ? "" : " (not found)", cr_buf_cstr(&cfg->config_path),
                     cfg->config_found ? "" : " (not found)");
    return CR_EAUTH;
}

/* A source_profile chain may come back to a profile only when a profile names itself and has
 * keys (botocore's _validate_source_profile); anything else is a loop, named in full. */
static int s_chain_enter(struct s_chain *chain, const struct cr_aws_config *cfg,
                         const char *parent)
{
    const char *name = cr_buf_cstr(&cfg->profile);
    bool seen = false;
    for (size_t i = 0; i < chain->n; i++)
        seen = seen || strcmp(chain->names[i], name) == 0;
    if (seen && !(parent && strcmp(name, parent) == 0 && s_has_static(cfg))) {
        struct cr_buf path = CR_BUF_INIT;
        for (size_t i = 0; i < chain->n; i++)
            cr_buf_printf(&path, "%s -> ", chain->names[i]);
        cr_buf_puts(&path, name);
        cr_error_set("source_profile loop: %s (each profile's role is assumed with the "
                     "credentials of the next)",
                     cr_buf_cstr(&path) ? cr_buf_cstr(&path) : name);
        cr_buf_dispose(&path);
        return CR_EINVALID;
    }
    if (chain->n == S_MAX_CHAIN) {
        cr_error_set("source_profile chain longer than %d profiles at profile '%s'", S_MAX_CHAIN,
                     name);
        return CR_EINVALID;
    }
    chain->names[chain->n++] = cr_buf_cstr(&cfg->profile);
    return 0;
}

/* Profile settings of sources we do not implement, so the error can say so. */
static const char *s_unsupported_source(const struct cr_aws_config *cfg)
{
    if (cr_aws_config_get(cfg, "login_session"))
        return "login_session (`aws login`)";
    return NULL;
}

static void s_none_error(const struct cr_aws_credentials_provider *p,
                         const struct cr_aws_config *cfg, const struct cr_buf *imds_why)
{
    struct cr_buf msg = CR_BUF_INIT;
    /* with --profile only the profile was consulted (s_cred_env) */
    if (p->no_env)
        cr_buf_puts(&msg, "no AWS credentials (--profile given: credential environment "
                          "variables are not read, as in the AWS CLI): tried ");
    else
        cr_buf_puts(&msg, "no AWS credentials: tried environment variables (AWS_ACCESS_KEY_ID), "
                          "web identity (AWS_ROLE_ARN/AWS_WEB_IDENTITY_TOKEN_FILE), ");
    cr_buf_printf(&msg, "profile '%s' in %s%s and %s%s", cr_buf_cstr(&cfg->profile),
                  cr_buf_cstr(&cfg->credentials_path), cfg->credentials_found ? "" : " (not found)",
                  cr_buf_cstr(&cfg->config_path), cfg->config_found ? "" : " (not found)");
    cr_buf_puts(&msg, ", container credentials (AWS_CONTAINER_CREDENTIALS_RELATIVE_URI/"
                      "FULL_URI not set)");
    if (imds_why->len)
        cr_buf_printf(&msg, ", %s", cr_buf_cstr(imds_why));
    cr_error_set("%s", cr_buf_oom(&msg) ? "no AWS credentials" : msg.ptr);
    cr_buf_dispose(&msg);
}

/* Links 3-7, then (outside a source profile) 8-9; "found" when one of them has credentials. */
static int s_profile_links(struct cr_aws_credentials_provider *p, struct cr_aws_config *cfg,
                           bool *found, struct cr_buf *imds_why)
{
    int rc = s_web_identity(p, cfg, found);
    if (rc == 0 && !*found)
        rc = s_sso(p, cfg, found);
    if (rc == 0 && !*found)
        rc = s_static_keys(p, cfg, true, found);
    if (rc == 0 && !*found)
        rc = s_process(p, cfg, found);
    if (rc == 0 && !*found)
        rc = s_static_keys(p, cfg, false, found);
    if (rc == 0 && !*found && s_unsupported_source(cfg)) {
        cr_error_set("profile '%s' gets its credentials from %s, which cognito-reconcile does "
                     "not support: run `aws configure export-credentials --profile %s --format "
                     "env` and use the exported variables",
                     cr_buf_cstr(&cfg->profile), s_unsupported_source(cfg),
                     cr_buf_cstr(&cfg->profile));
        return CR_EAUTH;
    }
    if (rc < 0 || *found || p->source_only)
        return rc;
    rc = s_container(p, found);
    if (rc == 0 && !*found)
        rc = s_imds(p, cfg, found, imds_why);
    return rc;
}

/* Fetches the first credentials of a source whose link only found settings, and records
 * them as the provider's. */
static int s_first_fetch(struct cr_aws_credentials_provider *p)
{
    int rc = 0;
    if (!p->current.access_key_id.len)
        rc = s_fetch(p, &p->current);
    if (rc < 0)
        return rc;
    p->fetches++;
    p->fetched_at = cr_aws_env_now(s_env(p));
    p->current.source = cr_buf_cstr(&p->source);
    return 0;
}

/* Walks the chain once for p's profile; parent is the profile whose source_profile this is
 * (NULL at the top). */
static int s_resolve(struct cr_aws_credentials_provider *p, struct s_chain *chain,
                     const char *parent)
{
    int rc;
    struct cr_aws_config cfg;
    struct cr_buf imds_why = CR_BUF_INIT;
    bool found = false;
    cr_aws_config_init(&cfg);
    /* The files first: a profile named by --profile or AWS_PROFILE that is in neither file is
     * an error even when the environment holds keys, as the AWS CLI says "The config profile
     * (x) could not be found": a misspelt profile must not fall back to other credentials. */
    rc = cr_aws_config_load(&cfg, s_env(p), p->profile);
    if (rc == 0 && (cfg.profile_from_user || parent) && !cfg.profile_found)
        rc = s_missing_profile(p, &cfg, parent);
    if (rc == 0)
        rc = s_chain_enter(chain, &cfg, parent);
    if (rc == 0)
        rc = s_env_credentials(p, false, &found);
    if (rc < 0 || found)
        goto done;
    if (!p->region) {
        struct cr_buf region = CR_BUF_INIT;
        /* STS needs some region; the chain must not fail for lack of one. */
        if (cr_aws_config_region(&region, &cfg, s_env(p), NULL) == 0)
            p->region = cr_buf_detach(&region);
        cr_buf_dispose(&region);
        cr_error_clear();
    }
    rc = s_ca_bundle(p, &cfg);
    if (rc < 0)
        goto done;
    /* a role of the profile, unless it is a web identity role (link 3 takes those); in a
     * source profile, static keys win over its role (botocore) */
    if (cr_aws_config_get(&cfg, "role_arn") &&
        !cr_aws_config_get(&cfg, "web_identity_token_file") && !(parent && s_has_static(&cfg))) {
        rc = s_assume_role(p, &cfg, chain);
        found = rc == 0;
    }
    if (rc == 0 && !found)
        rc = s_profile_links(p, &cfg, &found, &imds_why);
    if (rc == 0 && !found && parent) {
        cr_error_set("source_profile '%s' of profile '%s' has no credentials: give it "
                     "aws_access_key_id and aws_secret_access_key, credential_process, "
                     "web_identity_token_file, IAM Identity Center settings or a role_arn of "
                     "its own",
                     cr_buf_cstr(&cfg.profile), parent);
        rc = CR_EAUTH;
    } else if (rc == 0 && !found) {
        s_none_error(p, &cfg, &imds_why);
        rc = CR_EAUTH;
    }
done:
    if (rc == 0)
        rc = s_first_fetch(p);
    /* the chain's names point into cfg, which goes now: this level is done */
    if (chain->n && cfg.profile.ptr && chain->names[chain->n - 1] == cfg.profile.ptr)
        chain->n--;
    cr_buf_dispose(&imds_why);
    cr_aws_config_dispose(&cfg);
    return rc;
}

/* ---- fetching and refreshing ---- */

static int s_fetch(struct cr_aws_credentials_provider *p, struct cr_aws_credentials *out)
{
    struct cr_aws__fetch_ctx ctx;
    bool absent = false;
    int rc = 0;
    if (p->kind != S_WEB_IDENTITY && p->kind != S_PROCESS)
        rc = s_transport(p);
    if (rc < 0)
        return rc;
    ctx = s_fetch_ctx(p);
    switch (p->kind) {
    case S_WEB_IDENTITY:
        return s_web_identity_fetch(p, out);
    case S_ASSUME_ROLE: {
        struct cr_sts_options opts = s_sts_options(p);
        struct cr_sts_assume_role_params params = {p->role_arn, p->session_name, p->external_id,
                                                   p->duration_s};
        rc = cr_sts_assume_role(out, &opts, p->base, &params);
        if (rc < 0)
            cr_error_prefix("assume role %s%s%s", p->role_arn,
                            p->role_profile ? " via profile " : "",
                            p->role_profile ? p->role_profile : "");
        return rc;
    }
    case S_SSO:
        return cr_aws__sso_fetch(out, &p->sso, &ctx);
    case S_PROCESS:
        rc = cr_aws__process_fetch(out, p->command, p->process_timeout_ms);
        if (rc < 0)
            cr_error_prefix("%s", cr_buf_cstr(&p->source));
        return rc;
    case S_CONTAINER:
        return cr_aws__container_fetch(out, &p->container, &ctx);
    case S_IMDS:
        return cr_aws__imds_fetch(out, &p->imds, &ctx, &absent);
    default:
        cr_error_set("aws credentials: %s cannot be fetched again", cr_buf_cstr(&p->source));
        return CR_EAUTH;
    }
}

static bool s_renewable(const struct cr_aws_credentials_provider *p)
{
    return p->kind != S_ENV && p->kind != S_STATIC && p->kind != S_NONE;
}

static int s_get(struct cr_aws_credentials_provider *p, const struct cr_aws_credentials **out);

/* ---- the sets acquire hands out ---- */

/* One set of credentials as acquire hands it out: the provider holds a reference while it is
 * the current set, each caller one until it releases it; the last release wipes the secrets
 * and frees it. So a set a thread signs with is never changed or freed by another thread's
 * renewal, and a renewed-away set lives only as long as someone still reads it. */
struct s_set {
    struct cr_aws_credentials creds; /* what callers see; release finds the set from it */
    atomic_uint refs;
};

static atomic_size_t s_live_sets; /* sets in memory, process-wide (tests) */

size_t cr_aws__credentials_live_sets(void)
{
    return atomic_load(&s_live_sets);
}

static void s_set_release(struct s_set *set)
{
    if (!set || atomic_fetch_sub(&set->refs, 1) != 1)
        return;
    cr_aws_credentials_dispose(&set->creds); /* wipes the secret key and the token */
    free(set);
    atomic_fetch_sub(&s_live_sets, 1);
}

void cr_aws_credentials_release(const struct cr_aws_credentials *creds)
{
    if (creds)
        s_set_release((struct s_set *)(void *)((char *)(uintptr_t)creds -
                                                 offsetof(struct s_set, creds)));
}

/* The set of the current credentials, made on first demand after each fetch (p->lock held). */
static int s_current_set(struct cr_aws_credentials_provider *p)
{
    if (p->set)
        return 0;
    struct s_set *set = calloc(1, sizeof(*set));
    if (!set)
        return s_oom();
    const struct cr_aws_credentials *c = &p->current;
    if (cr_aws_credentials_set(
            &set->creds, cr_buf_cstr(&c->access_key_id), cr_buf_cstr(&c->secret_access_key),
            c->session_token.len ? cr_buf_cstr(&c->session_token) : NULL, c->expiration_s) < 0) {
        cr_aws_credentials_dispose(&set->creds);
        free(set);
        return s_oom();
    }
    set->creds.source = c->source;
    atomic_init(&set->refs, 1); /* the provider's */
    atomic_fetch_add(&s_live_sets, 1);
    p->set = set;
    return 0;
}

int cr_aws_credentials_provider_acquire(struct cr_aws_credentials_provider *p,
                                        const struct cr_aws_credentials **out)
{
    const struct cr_aws_credentials *unused = NULL;
    *out = NULL;
    pthread_mutex_lock(&p->lock);
    int rc = s_get(p, &unused);
    if (rc == 0)
        rc = s_current_set(p);
    if (rc == 0) {
        atomic_fetch_add(&p->set->refs, 1); /* the caller's */
        *out = &p->set->creds;
    }
    pthread_mutex_unlock(&p->lock);
    return rc;
}

static int s_get(struct cr_aws_credentials_provider *p, const struct cr_aws_credentials **out)
{
    int64_t now = cr_aws_env_now(s_env(p));
    int64_t exp = p->current.expiration_s;
    struct cr_aws_credentials fresh;
    *out = &p->current;
    if (!s_renewable(p) || (exp == 0 && !p->rejected))
        return 0;
    /* Renew ahead of expiry so no request is signed with credentials that lapse in flight:
     * refresh_before_s before, or half their lifetime for credentials shorter than that. */
    int64_t window = (exp - p->fetched_at) / 2;
    if (window > (int64_t)p->refresh_before_s || window < 0)
        window = (int64_t)p->refresh_before_s;
    if (!p->rejected && now < exp - window)
        return 0;
    /* Still valid after a failed refresh: do not ask again on every request. */
    if (!p->rejected && now < exp && now < p->next_refresh_s)
        return 0;
    p->rejected = false; /* one renewal per rejection, whatever the source answers */
    cr_aws_credentials_init(&fresh);
    int rc = s_fetch(p, &fresh);
    if (rc < 0) {
        cr_aws_credentials_dispose(&fresh);
        if (exp && now < exp) {
            int64_t wait = (exp - now) / 2;
            p->next_refresh_s = now + (wait < 1 ? 1 : wait > S_REFRESH_RETRY_S ? S_REFRESH_RETRY_S
                                                                                : wait);
            cr_log_debug("aws credentials: refresh failed, keeping credentials valid for %llds "
                         "more: %s",
                         (long long)(exp - now), cr_error_last());
            return 0;
        }
        cr_error_prefix("aws credentials (%s) expired and could not be refreshed",
                        cr_buf_cstr(&p->source));
        return rc;
    }
    cr_aws_credentials_dispose(&p->current);
    p->current = fresh; /* now owned by the provider */
    s_set_release(p->set); /* the old set lives on only while a caller still holds it */
    p->set = NULL;
    p->current.source = cr_buf_cstr(&p->source);
    p->fetches++;
    p->fetched_at = now;
    cr_log_debug("aws credentials: renewed (%s), valid for %llds; %zu credential sets in memory",
                 cr_buf_cstr(&p->source),
                 (long long)(p->current.expiration_s ? p->current.expiration_s - now : 0),
                 cr_aws__credentials_live_sets());
    return 0;
}

bool cr_aws_credentials_provider_reject(struct cr_aws_credentials_provider *p)
{
    if (!s_renewable(p))
        return false;
    pthread_mutex_lock(&p->lock);
    p->rejected = true;
    pthread_mutex_unlock(&p->lock);
    return true;
}

void cr_aws_credentials_provider_share(struct cr_aws_credentials_provider *p)
{
    for (; p; p = p->own_base ? p->base : NULL) {
        pthread_mutex_lock(&p->lock);
        if (p->transport != p->own_transport)
            p->transport = NULL; /* the next call that needs one makes the provider's own */
        pthread_mutex_unlock(&p->lock);
    }
}

int cr_aws_credentials_provider_expired_advice(const struct cr_aws_credentials_provider *p,
                                               struct cr_buf *out)
{
    const char *source = cr_aws_credentials_provider_source(p);
    if (p->kind == S_ENV)
        cr_buf_puts(out, "credentials from the environment: export fresh AWS_ACCESS_KEY_ID, "
                         "AWS_SECRET_ACCESS_KEY and AWS_SESSION_TOKEN");
    else if (p->kind == S_STATIC)
        cr_buf_printf(out, "credentials from %s: replace its aws_session_token and keys with "
                           "fresh ones",
                      source);
    else if (p->kind == S_SSO)
        cr_buf_printf(out, "credentials from %s, renewed and refused again: run `aws sso login "
                           "--profile %s`, and check this machine's clock",
                      source, p->sso.profile);
    else
        cr_buf_printf(out, "credentials from %s, renewed and refused again: check this "
                           "machine's clock, then that source",
                      source);
    return cr_buf_oom(out) ? s_oom() : 0;
}

const char *cr_aws_credentials_provider_source(const struct cr_aws_credentials_provider *p)
{
    return cr_buf_cstr(&p->source) ? cr_buf_cstr(&p->source) : "";
}

unsigned cr_aws_credentials_provider_fetch_count(const struct cr_aws_credentials_provider *p)
{
    return p->fetches;
}

/* ---- construction ---- */

/* A provider with parent's settings (or opts' when parent is NULL) for profile. */
static int s_provider_alloc(struct cr_aws_credentials_provider **out,
                            const struct cr_aws_credentials_provider *parent, const char *profile)
{
    bool oom = false;
    struct cr_aws_credentials_provider *p = calloc(1, sizeof(*p));
    *out = p;
    if (!p)
        return s_oom();
    pthread_mutex_init(&p->lock, NULL);
    if (parent) {
        p->env = parent->env;
        p->has_env = parent->has_env;
        p->region = cr_strdup_null(parent->region, &oom);
        p->ca_bundle = cr_strdup_null(parent->ca_bundle, &oom);
        p->refresh_before_s = parent->refresh_before_s;
        p->connect_timeout_ms = parent->connect_timeout_ms;
        p->timeout_ms = parent->timeout_ms;
        p->process_timeout_ms = parent->process_timeout_ms;
        p->transport = parent->transport;
        /* the test hook for web identity applies down the chain */
        if (parent->fetch != s_sts_fetch) {
            p->fetch = parent->fetch;
            p->fetch_ctx = parent->fetch_ctx;
        }
    }
    p->profile = cr_strdup_null(profile && *profile ? profile : NULL, &oom);
    return oom ? s_oom() : 0;
}

static void s_apply_options(struct cr_aws_credentials_provider *p,
                            const struct cr_aws_credentials_options *opts, bool *oom)
{
    if (opts->env) {
        p->env = *opts->env;
        p->has_env = true;
    }
    p->region = cr_strdup_null(opts->region && *opts->region ? opts->region : NULL, oom);
    p->refresh_before_s = opts->refresh_before_s ? opts->refresh_before_s : S_DEFAULT_REFRESH_S;
    p->connect_timeout_ms = opts->connect_timeout_ms;
    p->timeout_ms = opts->timeout_ms;
    p->process_timeout_ms =
        opts->process_timeout_ms ? opts->process_timeout_ms : S_DEFAULT_PROCESS_MS;
    p->transport = opts->transport;
}

int cr_aws__credentials_provider_new_with(struct cr_aws_credentials_provider **out,
                                          const struct cr_aws_credentials_options *opts,
                                          cr_aws_web_identity_fetch_fn *fetch, void *fetch_ctx)
{
    static const struct cr_aws_credentials_options none;
    struct cr_aws_credentials_provider *p = NULL;
    struct s_chain chain = {{0}, 0};
    bool oom = false;
    *out = NULL;
    if (!opts)
        opts = &none;
    int result = s_provider_alloc(&p, NULL, opts->profile);
    if (result < 0)
        goto done;
    s_apply_options(p, opts, &oom);
    p->no_env = p->profile != NULL;
    p->fetch = fetch;
    p->fetch_ctx = fetch_ctx;
    result = oom ? s_oom() : s_resolve(p, &chain, NULL);
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

int cr_aws_credentials_provider_new_assume_role(struct cr_aws_credentials_provider **out,
                                                struct cr_aws_credentials_provider *base,
                                                const struct cr_aws_assume_role *role,
                                                const struct cr_aws_credentials_options *opts)
{
    static const struct cr_aws_credentials_options none;
    struct cr_aws_credentials_provider *p = NULL;
    struct cr_aws_config cfg;
    bool oom = false;
    *out = NULL;
    if (!opts)
        opts = &none;
    if (!role || !role->role_arn || !*role->role_arn) {
        cr_error_set("assume role: no role ARN");
        return CR_EINVALID;
    }
    cr_aws_config_init(&cfg);
    int result = s_provider_alloc(&p, NULL, opts->profile);
    if (result < 0)
        goto done;
    s_apply_options(p, opts, &oom);
    p->kind = S_ASSUME_ROLE;
    p->base = base;
    p->role_arn = cr_strdup_null(role->role_arn, &oom);
    p->external_id = cr_strdup_null(role->external_id, &oom);
    p->session_name = s_session_name(p, role->session_name, &oom);
    p->duration_s = role->duration_s;
    if (oom) {
        result = s_oom();
        goto done;
    }
    /* the profile only tells where STS is (endpoint_url, FIPS) and which CA bundle to trust */
    result = cr_aws_config_load(&cfg, s_env(p), opts->profile);
    if (result == 0)
        result = s_sts_endpoint(p, &cfg);
    if (result == 0)
        result = s_ca_bundle(p, &cfg);
    if (result == 0)
        result = s_describe(p, "assume role %s <- %s", p->role_arn,
                            cr_aws_credentials_provider_source(base));
    if (result == 0)
        result = s_first_fetch(p);
    if (result < 0)
        goto done;
    *out = p;
    p = NULL;
done:
    cr_aws_config_dispose(&cfg);
    cr_aws_credentials_provider_free(p);
    return result;
}

void cr_aws_credentials_provider_free(struct cr_aws_credentials_provider *p)
{
    if (!p)
        return;
    cr_aws_credentials_dispose(&p->current);
    s_set_release(p->set);
    pthread_mutex_destroy(&p->lock);
    if (p->own_base)
        cr_aws_credentials_provider_free(p->base);
    free(p->profile);
    free(p->region);
    free(p->role_arn);
    free(p->token_file);
    free(p->session_name);
    free(p->external_id);
    free(p->role_profile);
    free(p->command);
    free(p->ca_bundle);
    cr_aws__sso_dispose(&p->sso);
    cr_aws__container_dispose(&p->container);
    cr_aws__imds_dispose(&p->imds);
    cr_buf_dispose(&p->sts_endpoint);
    cr_buf_dispose(&p->source);
    cr_aws_transport_free(p->own_transport);
    free(p);
}
