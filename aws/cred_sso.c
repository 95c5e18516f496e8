/* SPDX-License-Identifier: Apache-2.0 */
/*
 * IAM Identity Center (AWS SSO) profiles, as the AWS CLI v2 reads them (botocore's
 * SSOProvider): a profile with sso_account_id / sso_role_name, its sso_start_url and
 * sso_region either in the profile (legacy) or in the [sso-session NAME] section its
 * sso_session names. `aws sso login` caches the access token in
 * ~/.aws/sso/cache/<sha1 hex of the session name, or of the start URL>.json
 * ({"accessToken": ..., "expiresAt": "2026-01-02T03:04:05Z", ...}); we read it (never write
 * it, never start a browser sign-in) and exchange it at the portal:
 *   GET https://portal.sso.{region}.amazonaws.com/federation/credentials
 *       ?role_name=R&account_id=A   with header x-amz-sso_bearer_token: TOKEN
 * for {"roleCredentials": {accessKeyId, secretAccessKey, sessionToken, expiration (ms)}}.
 */
#include <ctype.h>
#include <openssl/evp.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "aws/cred_internal.h"
#include "aws/sigv4.h"
#include "util/strutil.h"

#define S_MAX_CACHE_BYTES (64u * 1024u)
#define S_MAX_RESPONSE    (64u * 1024u)

static const char *const s_settings[] = {"sso_start_url", "sso_region", "sso_account_id",
                                         "sso_role_name"};

static int s_oom(void)
{
    cr_error_set("IAM Identity Center: out of memory");
    return CR_ENOMEM;
}

/* The value of key for the profile, merged with its sso-session: a key in both must agree. */
static int s_setting(const char **out, const struct cr_aws_config *cfg, const char *key)
{
    const char *mine = cr_aws_config_get(cfg, key);
    const char *shared = cfg->sso_session_found ? cr_strmap_get(&cfg->sso_session, key) : NULL;
    shared = shared && *shared ? shared : NULL;
    if (mine && shared && strcmp(mine, shared) != 0) {
        cr_error_set("profile '%s': %s is '%s' there but '%s' in its sso-session '%s'",
                     cr_buf_cstr(&cfg->profile), key, mine, shared,
                     cr_aws_config_get(cfg, "sso_session"));
        return CR_EINVALID;
    }
    *out = mine ? mine : shared;
    return 0;
}

static bool s_region_ok(const char *r)
{
    size_t n = strlen(r);
    for (size_t i = 0; i < n; i++) {
        if (!isalnum((unsigned char)r[i]) && r[i] != '-')
            return false;
    }
    return n > 0 && n < 64;
}

/* ~/.aws/sso/cache/<sha1 hex of key>.json, the file `aws sso login` writes. */
static int s_cache_file(struct cr_buf *out, const struct cr_aws_env *env, const char *key)
{
    unsigned char md[EVP_MAX_MD_SIZE];
    unsigned int n = 0;
    const char *home = cr_aws_env_get(env, "HOME");
    if (!EVP_Digest(key, strlen(key), md, &n, EVP_sha1(), NULL)) {
        cr_error_set("IAM Identity Center: SHA-1 failed");
        return CR_ERROR;
    }
    cr_buf_printf(out, "%s/.aws/sso/cache/", home ? home : ".");
    for (unsigned int i = 0; i < n; i++)
        cr_buf_printf(out, "%02x", md[i]);
    cr_buf_puts(out, ".json");
    return cr_buf_oom(out) ? s_oom() : 0;
}

int cr_aws__sso_resolve(struct cr_aws__sso *out, bool *found, struct cr_aws_config *cfg,
                        const struct cr_aws_env *env)
{
    const char *v[4] = {0};
    const char *session = cr_aws_config_get(cfg, "sso_session");
    const char *profile = cr_buf_cstr(&cfg->profile);
    struct cr_buf missing = CR_BUF_INIT;
    bool oom = false;
    int rc = 0;
    memset(out, 0, sizeof(*out));
    *found = cr_aws_config_get(cfg, "sso_account_id") || cr_aws_config_get(cfg, "sso_role_name");
    if (!*found)
        return 0;
    if (session) {
        rc = cr_aws_config_load_sso_session(cfg, session);
        if (rc < 0)
            return rc;
        if (!cfg->sso_session_found) {
            cr_error_set("profile '%s': its sso_session '%s' has no [sso-session %s] section in "
                         "%s",
                         profile, session, session, cr_buf_cstr(&cfg->config_path));
            return CR_EINVALID;
        }
    }
    for (size_t i = 0; i < 4 && rc == 0; i++) {
        rc = s_setting(&v[i], cfg, s_settings[i]);
        if (rc == 0 && !v[i])
            cr_buf_printf(&missing, "%s%s", missing.len ? ", " : "", s_settings[i]);
    }
    if (rc == 0 && missing.len) {
        cr_error_set("profile '%s' uses IAM Identity Center but lacks %s (run `aws configure "
                     "sso --profile %s`)",
                     profile, cr_buf_cstr(&missing), profile);
        rc = CR_EINVALID;
    } else if (rc == 0 && !s_region_ok(v[1])) {
        cr_error_set("profile '%s': sso_region '%s' is not a region name", profile, v[1]);
        rc = CR_EINVALID;
    }
    cr_buf_dispose(&missing);
    if (rc < 0)
        return rc;
    out->profile = cr_strdup_null(profile, &oom);
    out->session_name = cr_strdup_null(session, &oom);
    out->start_url = cr_strdup_null(v[0], &oom);
    out->region = cr_strdup_null(v[1], &oom);
    out->account_id = cr_strdup_null(v[2], &oom);
    out->role_name = cr_strdup_null(v[3], &oom);
    if (oom)
        return s_oom();
    rc = s_cache_file(&out->cache_file, env, session ? session : v[0]);
    if (rc == 0)
        rc = cr_aws_config_endpoint(&out->endpoint, cfg, env, "portal.sso", "SSO", v[1], NULL);
    return rc;
}

/* "run `aws sso login --profile dev`": what the user does about any token problem. */
static int s_login_error(const struct cr_aws__sso *sso, const char *problem)
{
    cr_error_set("IAM Identity Center session of profile '%s' %s: run `aws sso login --profile "
                 "%s`",
                 sso->profile, problem, sso->profile);
    return CR_EAUTH;
}

/* The cached access token, checked against the clock. */
static int s_load_token(struct cr_buf *out, const struct cr_aws__sso *sso,
                        const struct cr_aws_env *env)
{
    struct cr_buf text = CR_BUF_INIT, problem = CR_BUF_INIT;
    json_t *doc = NULL;
    int64_t expires = 0;
    int rc = cr_buf_read_file(&text, cr_buf_cstr(&sso->cache_file), S_MAX_CACHE_BYTES);
    if (rc == CR_ENOMEM)
        goto done;
    if (rc < 0) {
        cr_buf_printf(&problem, "has no cached token (%s: %s)", cr_buf_cstr(&sso->cache_file),
                      cr_error_last());
        goto done;
    }
    doc = json_loadb(text.ptr ? text.ptr : "", text.len, 0, NULL);
    const char *token = json_string_value(json_object_get(doc, "accessToken"));
    const char *at = json_string_value(json_object_get(doc, "expiresAt"));
    if (!token || !*token || !at) {
        cr_buf_printf(&problem, "has an unusable token cache %s (no accessToken or expiresAt)",
                      cr_buf_cstr(&sso->cache_file));
    } else if (cr_aws__parse_time(&expires, at) < 0) {
        cr_buf_printf(&problem, "has a token cache %s whose expiresAt '%s' is not a time",
                      cr_buf_cstr(&sso->cache_file), at);
    } else if (expires <= cr_aws_env_now(env)) {
        cr_buf_printf(&problem, "expired at %s (token cached in %s)", at,
                      cr_buf_cstr(&sso->cache_file));
    } else if (cr_buf_puts(out, token) < 0) {
        rc = s_oom();
    }
done:
    if (problem.len)
        rc = s_login_error(sso, cr_buf_cstr(&problem));
    else if (cr_buf_oom(&problem))
        rc = s_oom();
    json_decref(doc);
    cr_buf_dispose_secure(&text);
    cr_buf_dispose(&problem);
    return rc;
}

/* Reads {"roleCredentials": {...}} (expiration in epoch milliseconds). */
static int s_parse(struct cr_aws_credentials *out, const struct cr_buf *body)
{
    json_t *doc = json_loadb(body->ptr ? body->ptr : "", body->len, 0, NULL);
    json_t *c = json_object_get(doc, "roleCredentials");
    const char *akid = json_string_value(json_object_get(c, "accessKeyId"));
    const char *secret = json_string_value(json_object_get(c, "secretAccessKey"));
    const char *token = json_string_value(json_object_get(c, "sessionToken"));
    json_t *exp = json_object_get(c, "expiration");
    int rc;
    if (!akid || !*akid || !secret || !*secret || !token || !json_is_number(exp)) {
        cr_error_set("sso GetRoleCredentials: the answer lacks roleCredentials.%s",
                     !akid || !*akid       ? "accessKeyId"
                     : !secret || !*secret ? "secretAccessKey"
                     : !token              ? "sessionToken"
                                           : "expiration");
        rc = CR_EINVALID;
    } else {
        rc = cr_aws_credentials_set(out, akid, secret, token,
                                    (int64_t)(json_number_value(exp) / 1000.0));
    }
    json_decref(doc);
    return rc;
}

int cr_aws__sso_fetch(struct cr_aws_credentials *out, const struct cr_aws__sso *sso,
                      const struct cr_aws__fetch_ctx *ctx)
{
    struct cr_buf token = CR_BUF_INIT, url = CR_BUF_INIT;
    struct cr_aws_request req;
    int rc = s_load_token(&token, sso, ctx->env);
    cr_aws_request_init(&req);
    if (rc < 0)
        goto done;
    cr_buf_printf(&url, "%s/federation/credentials?account_id=", cr_buf_cstr(&sso->endpoint));
    rc = cr_sigv4__uri_encode(&url, cr_span_from(sso->account_id), false);
    if (rc == 0) {
        cr_buf_puts(&url, "&role_name=");
        rc = cr_sigv4__uri_encode(&url, cr_span_from(sso->role_name), false);
    }
    if (rc < 0 || cr_buf_oom(&url)) {
        rc = s_oom();
        goto done;
    }
    struct cr_http_header headers[] = {{"x-amz-sso_bearer_token", cr_buf_cstr(&token)},
                                       {"Accept", "application/json"}};
    req.name = "sso GetRoleCredentials";
    req.method = "GET";
    req.url = cr_buf_cstr(&url);
    req.headers = headers;
    req.header_count = 2;
    req.connect_timeout_ms = ctx->connect_timeout_ms;
    req.timeout_ms = ctx->timeout_ms;
    req.max_response_bytes = S_MAX_RESPONSE;
    rc = cr_aws_request_run(ctx->transport, &req);
    if (rc < 0 && (req.status == 401 || strcmp(req.error.type, "UnauthorizedException") == 0)) {
        rc = s_login_error(sso, "was refused by the portal (expired or signed out)");
    } else if (rc < 0 && req.status == 403) {
        cr_error_set("IAM Identity Center: the user of profile '%s' has no access to role %s in "
                     "account %s (%s)",
                     sso->profile, sso->role_name, sso->account_id, req.error.message);
        rc = CR_EAUTH;
    } else if (rc == 0) {
        rc = s_parse(out, &req.response);
    }
done:
    cr_buf_dispose_secure(&token);
    cr_buf_dispose(&url);
    cr_buf_dispose_secure(&req.response);
    cr_aws_request_dispose(&req);
    return rc;
}

void cr_aws__sso_dispose(struct cr_aws__sso *sso)
{
    free(sso->profile);
    free(sso->session_name);
    free(sso->start_url);
    free(sso->region);
    free(sso->account_id);
    free(sso->role_name);
    cr_buf_dispose(&sso->cache_file);
    cr_buf_dispose(&sso->endpoint);
    memset(sso, 0, sizeof(*sso));
}
