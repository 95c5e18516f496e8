/* SPDX-License-Identifier: Apache-2.0 */
/*
 * EC2 instance metadata credentials, IMDSv2 (botocore's InstanceMetadataFetcher, the Go SDK's
 * feature/ec2/imds):
 *   PUT  /latest/api/token  X-aws-ec2-metadata-token-ttl-seconds: 21600   -> session token
 *   GET  /latest/meta-data/iam/security-credentials/       (X-aws-ec2-metadata-token) -> role
 *   GET  /latest/meta-data/iam/security-credentials/ROLE   -> {"Code": "Success",
 *        "AccessKeyId", "SecretAccessKey", "Token", "Expiration", ...}
 * A token request answered 403, 404 or 405 (an old or locked-down IMDS) falls back to
 * token-less IMDSv1 requests unless AWS_EC2_METADATA_V1_DISABLED is true. Every attempt has a
 * short deadline (1 s) and a failed connection is tried once more, but a deadline that passes
 * is not retried: off EC2 (a laptop, a CI runner elsewhere) nothing answers at
 * 169.254.169.254, and the chain must say "no credentials" within about a second.
 */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>

#include "aws/cred_internal.h"
#include "util/strutil.h"

#define S_DEFAULT_ENDPOINT      "http://169.254.169.254"
#define S_DEFAULT_ENDPOINT_IPV6 "http://[fd00:ec2::254]"
#define S_TOKEN_PATH            "/latest/api/token"
#define S_ROLE_PATH             "/latest/meta-data/iam/security-credentials/"
#define S_TOKEN_TTL             "21600"
#define S_TOKEN_TTL_S           21600
#define S_MAX_RESPONSE          (64u * 1024u)

static int s_oom(void)
{
    cr_error_set("EC2 instance metadata: out of memory");
    return CR_ENOMEM;
}

/* A number setting: the variable, else the profile key, else fallback. */
static int s_number(long *out, const struct cr_aws_config *cfg, const struct cr_aws_env *env,
                    const char *var, const char *key, long fallback, long max)
{
    const char *v = cr_aws_env_get(env, var);
    const char *from = var;
    char *end = NULL;
    if (!v) {
        v = cr_aws_config_get(cfg, key);
        from = key;
    }
    *out = fallback;
    if (!v)
        return 0;
    long n = strtol(v, &end, 10);
    if (*end || end == v || n < 1 || n > max) {
        cr_error_set("%s '%s': expected a whole number from 1 to %ld", from, v, max);
        return CR_EINVALID;
    }
    *out = n;
    return 0;
}

int cr_aws__imds_resolve(struct cr_aws__imds *out, bool *enabled, const struct cr_aws_config *cfg,
                         const struct cr_aws_env *env)
{
    bool disabled = false;
    long timeout_s = 1, attempts = 2;
    memset(out, 0, sizeof(*out));
    *enabled = false;
    int rc = cr_aws_config_bool(&disabled, NULL, env, "AWS_EC2_METADATA_DISABLED", NULL);
    if (rc == 0)
        rc = cr_aws_config_bool(&out->v1_disabled, cfg, env, "AWS_EC2_METADATA_V1_DISABLED",
                                "ec2_metadata_v1_disabled");
    if (rc == 0)
        rc = s_number(&timeout_s, cfg, env, "AWS_METADATA_SERVICE_TIMEOUT",
                      "metadata_service_timeout", 1, 60);
    if (rc == 0)
        rc = s_number(&attempts, cfg, env, "AWS_METADATA_SERVICE_NUM_ATTEMPTS",
                      "metadata_service_num_attempts", 2, 10);
    if (rc < 0 || disabled)
        return rc;
    out->timeout_ms = (uint32_t)timeout_s * 1000u;
    out->attempts = (unsigned)attempts;
    const char *endpoint = cr_aws_env_get(env, "AWS_EC2_METADATA_SERVICE_ENDPOINT");
    const char *from = "AWS_EC2_METADATA_SERVICE_ENDPOINT";
    if (!endpoint) {
        endpoint = cr_aws_config_get(cfg, "ec2_metadata_service_endpoint");
        from = "ec2_metadata_service_endpoint";
    }
    if (endpoint) {
        rc = cr_aws_config_validate_endpoint(endpoint, from);
        if (rc < 0)
            return rc;
    } else {
        const char *mode = cr_aws_env_get(env, "AWS_EC2_METADATA_SERVICE_ENDPOINT_MODE");
        from = "AWS_EC2_METADATA_SERVICE_ENDPOINT_MODE";
        if (!mode) {
            mode = cr_aws_config_get(cfg, "ec2_metadata_service_endpoint_mode");
            from = "ec2_metadata_service_endpoint_mode";
        }
        if (mode && strcasecmp(mode, "ipv4") != 0 && strcasecmp(mode, "ipv6") != 0) {
            cr_error_set("%s '%s': expected IPv4 or IPv6", from, mode);
            return CR_EINVALID;
        }
        endpoint = mode && strcasecmp(mode, "ipv6") == 0 ? S_DEFAULT_ENDPOINT_IPV6
                                                         : S_DEFAULT_ENDPOINT;
    }
    cr_buf_puts(&out->endpoint, endpoint);
    while (out->endpoint.len && out->endpoint.ptr[out->endpoint.len - 1] == '/')
        out->endpoint.ptr[--out->endpoint.len] = '\0';
    *enabled = true;
    return cr_buf_oom(&out->endpoint) ? s_oom() : 0;
}

/* IMDS's own rule: a deadline that passed is not retried (nothing is listening, or it is
 * overloaded: either way waiting again does not help the chain), 404 is final; the rest as
 * for any request (connection failures and 5xx once more). */
static enum cr_retry_decision s_retry(void *ctx, const struct cr_aws_request *req,
                                      const struct cr_retry_outcome *outcome)
{
    if (outcome->transport == CR_RETRY_TRANSPORT_TIMEOUT)
        return CR_RETRY_FAIL;
    return cr_retry_decide(outcome, false);
}

/* One request to IMDS; the answer's body in req (the caller disposes it). */
static int s_request(struct cr_aws_request *req, struct cr_aws__imds *imds,
                     const struct cr_aws__fetch_ctx *ctx, const char *method, const char *path,
                     const char *name, struct cr_buf *url, struct cr_http_header *header)
{
    struct cr_retry_policy policy = {imds->attempts, 100, 400, 1000};
    cr_buf_clear(url);
    cr_buf_printf(url, "%s%s", cr_buf_cstr(&imds->endpoint), path);
    if (cr_buf_oom(url))
        return s_oom();
    req->name = name;
    req->method = method;
    req->url = cr_buf_cstr(url);
    req->headers = header;
    req->header_count = header->name ? 1 : 0;
    req->connect_timeout_ms = imds->timeout_ms;
    req->timeout_ms = imds->timeout_ms;
    req->max_response_bytes = S_MAX_RESPONSE;
    req->policy = &policy;
    req->retry = s_retry;
    return cr_aws_request_run(ctx->transport, req);
}

/* A session token (kept until shortly before it expires); empty when IMDSv1 answers
 * without one. *absent when nothing answered at all. */
static int s_token(struct cr_aws__imds *imds, const struct cr_aws__fetch_ctx *ctx, bool *absent)
{
    struct cr_aws_request req;
    struct cr_buf url = CR_BUF_INIT;
    struct cr_http_header ttl = {"X-aws-ec2-metadata-token-ttl-seconds", S_TOKEN_TTL};
    int64_t now = cr_aws_env_now(ctx->env);
    if (imds->token.len && now < imds->token_expires - 60)
        return 0;
    cr_buf_dispose_secure(&imds->token);
    cr_aws_request_init(&req);
    int rc = s_request(&req, imds, ctx, "PUT", S_TOKEN_PATH, "imds PUT " S_TOKEN_PATH, &url, &ttl);
    if (rc < 0 && req.status == 0 && rc != CR_ENOMEM) {
        *absent = true; /* off EC2: the message says what happened ("timed out", refused) */
    } else if (rc < 0 && (req.status == 403 || req.status == 404 || req.status == 405)) {
        if (imds->v1_disabled) {
            cr_error_set("EC2 instance metadata: the token request was refused (HTTP %ld) and "
                         "AWS_EC2_METADATA_V1_DISABLED forbids token-less requests",
                         req.status);
            rc = CR_EAUTH;
        } else {
            rc = 0; /* IMDSv1 */
        }
    } else if (rc == 0) {
        if (cr_buf_put(&imds->token, req.response.ptr, req.response.len) < 0)
            rc = s_oom();
        imds->token_expires = now + S_TOKEN_TTL_S;
    }
    cr_buf_dispose_secure(&req.response);
    cr_aws_request_dispose(&req);
    cr_buf_dispose(&url);
    return rc;
}

/* A GET with the session token; a 401 (token expired early, IMDS restarted) fetches a new
 * token and tries once more. */
static int s_get(struct cr_buf *out, struct cr_aws__imds *imds, const struct cr_aws__fetch_ctx *ctx,
                 const char *path, long *status, bool *absent)
{
    int rc = 0;
    for (int round = 0; round < 2; round++) {
        struct cr_aws_request req;
        struct cr_buf url = CR_BUF_INIT;
        rc = s_token(imds, ctx, absent);
        if (rc < 0)
            return rc;
        struct cr_http_header h = {imds->token.len ? "X-aws-ec2-metadata-token" : NULL,
                                   cr_buf_cstr(&imds->token)};
        cr_aws_request_init(&req);
        rc = s_request(&req, imds, ctx, "GET", path, "imds GET " S_ROLE_PATH "...", &url, &h);
        *status = req.status;
        if (rc == 0 && cr_buf_put(out, req.response.ptr, req.response.len) < 0)
            rc = s_oom();
        cr_buf_dispose_secure(&req.response);
        cr_aws_request_dispose(&req);
        cr_buf_dispose(&url);
        if (rc == 0 || *status != 401 || !imds->token.len)
            break;
        cr_buf_dispose_secure(&imds->token); /* refused: a fresh token, once */
    }
    return rc;
}

/* The instance profile's role name: the first line of the listing. */
static int s_role(struct cr_aws__imds *imds, const struct cr_aws__fetch_ctx *ctx, bool *absent)
{
    struct cr_buf body = CR_BUF_INIT;
    long status = 0;
    int rc = s_get(&body, imds, ctx, S_ROLE_PATH, &status, absent);
    if (rc < 0 && status == 404) {
        cr_error_set("the instance has no IAM role (instance profile) attached");
        *absent = true;
    } else if (rc < 0 && status == 0 && !*absent && rc != CR_ENOMEM) {
        *absent = true;
    } else if (rc == 0) {
        size_t n = strcspn(cr_buf_cstr(&body) ? cr_buf_cstr(&body) : "", "\r\n");
        if (n == 0 || n >= sizeof(imds->role) || memchr(body.ptr, '/', n)) {
            cr_error_set("EC2 instance metadata: the role listing is not a role name");
            rc = CR_EINVALID;
        } else {
            memcpy(imds->role, body.ptr, n);
            imds->role[n] = '\0';
        }
    }
    cr_buf_dispose(&body);
    return rc;
}

int cr_aws__imds_fetch(struct cr_aws_credentials *out, struct cr_aws__imds *imds,
                       const struct cr_aws__fetch_ctx *ctx, bool *absent)
{
    struct cr_buf body = CR_BUF_INIT, path = CR_BUF_INIT;
    long status = 0;
    json_t *doc = NULL;
    *absent = false;
    /* the role is looked up every time: an instance's profile can be replaced while it runs */
    int rc = s_role(imds, ctx, absent);
    if (rc < 0) {
        if (*absent)
            cr_error_prefix("%s", cr_buf_cstr(&imds->endpoint));
        goto done;
    }
    cr_buf_printf(&path, "%s%s", S_ROLE_PATH, imds->role);
    rc = cr_buf_oom(&path) ? s_oom() : s_get(&body, imds, ctx, cr_buf_cstr(&path), &status, absent);
    if (rc < 0)
        goto done;
    doc = json_loadb(body.ptr ? body.ptr : "", body.len, 0, NULL);
    const char *code = json_string_value(json_object_get(doc, "Code"));
    if (code && strcmp(code, "Success") != 0) {
        cr_error_set("EC2 instance metadata: credentials of role %s: %s: %s", imds->role, code,
                     json_string_value(json_object_get(doc, "Message"))
                         ? json_string_value(json_object_get(doc, "Message"))
                         : "no message");
        rc = CR_EAUTH;
        goto done;
    }
    rc = cr_aws__credentials_from_json(out, doc, "Token", true, "EC2 instance metadata");
done:
    json_decref(doc);
    cr_buf_dispose_secure(&body);
    cr_buf_dispose(&path);
    return rc;
}

void cr_aws__imds_dispose(struct cr_aws__imds *imds)
{
    cr_buf_dispose(&imds->endpoint);
    cr_buf_dispose_secure(&imds->token);
    memset(imds, 0, sizeof(*imds));
}
