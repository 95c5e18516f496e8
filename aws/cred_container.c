/* SPDX-License-Identifier: Apache-2.0 */
/*
 * Container credentials, as the AWS SDKs read them (botocore's ContainerProvider):
 *   AWS_CONTAINER_CREDENTIALS_RELATIVE_URI  ECS: http://169.254.170.2 + the relative URI;
 *   AWS_CONTAINER_CREDENTIALS_FULL_URI      any URL: https anywhere, plain http only to a
 *                                           loopback address, the ECS agent (169.254.170.2)
 *                                           or EKS Pod Identity (169.254.170.23,
 *                                           [fd00:ec2::23]);
 *   AWS_CONTAINER_AUTHORIZATION_TOKEN_FILE  the Authorization header, read on every fetch
 *                                           (EKS rotates it); else
 *   AWS_CONTAINER_AUTHORIZATION_TOKEN       the Authorization header.
 * The answer is {"AccessKeyId", "SecretAccessKey", "Token", "Expiration", ...}.
 */
#include <arpa/inet.h>
#include <ctype.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>

#include <curl/curl.h>

#include "aws/cred_internal.h"
#include "util/strutil.h"

#define S_ECS_HOST        "http://169.254.170.2"
#define S_ATTEMPT_MS      2000
#define S_MAX_RESPONSE    (64u * 1024u)
#define S_MAX_TOKEN_BYTES (16u * 1024u)
#define S_WHAT            "container credentials"

static const char *const s_allowed_hosts[] = {"169.254.170.2", "169.254.170.23",
                                              "[fd00:ec2::23]", "localhost"};

static int s_oom(void)
{
    cr_error_set(S_WHAT ": out of memory");
    return CR_ENOMEM;
}

static bool s_loopback(const char *host)
{
    unsigned char a[16];
    char inner[64];
    size_t n = strlen(host);
    if (inet_pton(AF_INET, host, a) == 1)
        return a[0] == 127;
    if (n > 2 && n < sizeof(inner) && host[0] == '[' && host[n - 1] == ']') {
        memcpy(inner, host + 1, n - 2);
        inner[n - 2] = '\0';
        return inet_pton(AF_INET6, inner, a) == 1 && memcmp(a, &in6addr_loopback, 16) == 0;
    }
    return false;
}

/* Plain http only to the agents or this machine; https anywhere (the SDKs' rule). */
static int s_check_url(const char *url)
{
    CURLU *u = curl_url();
    char *scheme = NULL, *host = NULL;
    int rc = CR_EINVALID;
    if (!u)
        return s_oom();
    if (curl_url_set(u, CURLUPART_URL, url, 0) != CURLUE_OK ||
        curl_url_get(u, CURLUPART_SCHEME, &scheme, 0) != CURLUE_OK ||
        curl_url_get(u, CURLUPART_HOST, &host, 0) != CURLUE_OK) {
        cr_error_set("AWS_CONTAINER_CREDENTIALS_FULL_URI '%s' is not a URL", url);
        goto done;
    }
    if (strcasecmp(scheme, "https") == 0 || s_loopback(host)) {
        rc = 0;
        goto done;
    }
    for (size_t i = 0; i < sizeof(s_allowed_hosts) / sizeof(s_allowed_hosts[0]); i++) {
        if (strcasecmp(scheme, "http") == 0 && strcasecmp(host, s_allowed_hosts[i]) == 0) {
            rc = 0;
            goto done;
        }
    }
    cr_error_set("AWS_CONTAINER_CREDENTIALS_FULL_URI '%s': plain http is allowed only to a "
                 "loopback address, 169.254.170.2 (ECS), 169.254.170.23 or [fd00:ec2::23] (EKS "
                 "Pod Identity); use https for host '%s'",
                 url, host);
done:
    curl_free(scheme);
    curl_free(host);
    curl_url_cleanup(u);
    return rc;
}

int cr_aws__container_resolve(struct cr_aws__container *out, bool *found,
                              const struct cr_aws_env *env)
{
    const char *relative = cr_aws_env_get(env, "AWS_CONTAINER_CREDENTIALS_RELATIVE_URI");
    const char *full = cr_aws_env_get(env, "AWS_CONTAINER_CREDENTIALS_FULL_URI");
    bool oom = false;
    memset(out, 0, sizeof(*out));
    *found = relative || full;
    if (!*found)
        return 0;
    if (relative) {
        if (relative[0] != '/') {
            cr_error_set("AWS_CONTAINER_CREDENTIALS_RELATIVE_URI '%s' must start with '/'",
                         relative);
            return CR_EINVALID;
        }
        cr_buf_printf(&out->url, "%s%s", S_ECS_HOST, relative);
    } else {
        int rc = s_check_url(full);
        if (rc < 0)
            return rc;
        cr_buf_puts(&out->url, full);
    }
    out->token_file =
        cr_strdup_null(cr_aws_env_get(env, "AWS_CONTAINER_AUTHORIZATION_TOKEN_FILE"), &oom);
    out->token = out->token_file ? NULL
                                 : cr_strdup_null(
                                       cr_aws_env_get(env, "AWS_CONTAINER_AUTHORIZATION_TOKEN"),
                                       &oom);
    return oom || cr_buf_oom(&out->url) ? s_oom() : 0;
}

/* The Authorization value: the token file's content (trailing blanks removed) or the token. */
static int s_authorization(struct cr_buf *out, const struct cr_aws__container *c)
{
    if (c->token_file) {
        int rc = cr_buf_read_file(out, c->token_file, S_MAX_TOKEN_BYTES);
        if (rc < 0) {
            cr_error_prefix(S_WHAT ": AWS_CONTAINER_AUTHORIZATION_TOKEN_FILE");
            return CR_EAUTH;
        }
        while (out->len && isspace((unsigned char)out->ptr[out->len - 1]))
            out->ptr[--out->len] = '\0';
    } else if (c->token && cr_buf_puts(out, c->token) < 0) {
        return s_oom();
    }
    if (out->len && strpbrk(cr_buf_cstr(out), "\r\n")) {
        cr_error_set(S_WHAT ": the authorization token has a line break (%s)",
                     c->token_file ? "AWS_CONTAINER_AUTHORIZATION_TOKEN_FILE"
                                   : "AWS_CONTAINER_AUTHORIZATION_TOKEN");
        return CR_EAUTH;
    }
    return 0;
}

int cr_aws__container_fetch(struct cr_aws_credentials *out, const struct cr_aws__container *c,
                            const struct cr_aws__fetch_ctx *ctx)
{
    struct cr_buf auth = CR_BUF_INIT;
    struct cr_aws_request req;
    struct cr_http_header headers[2] = {{"Accept", "application/json"}, {"Authorization", ""}};
    /* botocore: 3 attempts, 2 s each */
    struct cr_retry_policy policy = {3, 200, 1000, 3000};
    cr_aws_request_init(&req);
    int rc = s_authorization(&auth, c);
    if (rc < 0)
        goto done;
    headers[1].value = cr_buf_cstr(&auth);
    req.name = S_WHAT;
    req.method = "GET";
    req.url = cr_buf_cstr(&c->url);
    req.headers = headers;
    req.header_count = auth.len ? 2 : 1;
    req.connect_timeout_ms = S_ATTEMPT_MS;
    req.timeout_ms = S_ATTEMPT_MS;
    req.max_response_bytes = S_MAX_RESPONSE;
    req.policy = &policy;
    rc = cr_aws_request_run(ctx->transport, &req);
    if (rc == CR_ESERVICE && req.status >= 400 && req.status < 500)
        rc = CR_EAUTH; /* the agent refused: a token problem, not something to retry */
    if (rc == 0) {
        json_t *doc = json_loadb(req.response.ptr ? req.response.ptr : "", req.response.len, 0,
                                 NULL);
        rc = cr_aws__credentials_from_json(out, doc, "Token", true, S_WHAT);
        json_decref(doc);
    }
done:
    cr_buf_dispose_secure(&auth);
    cr_buf_dispose_secure(&req.response);
    cr_aws_request_dispose(&req);
    return rc;
}

void cr_aws__container_dispose(struct cr_aws__container *c)
{
    cr_buf_dispose(&c->url);
    free(c->token);
    free(c->token_file);
    memset(c, 0, sizeof(*c));
}
