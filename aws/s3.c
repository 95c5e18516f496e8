/* SPDX-License-Identifier: Apache-2.0 */
/*
 * S3 object calls for the lock file (aws/s3.h) on the generic request path: addressing, the
 * conditional headers, S3's answers mapped to error codes, the bucket-region redirect.
 */
#include "aws/s3.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "aws/credentials.h"
#include "aws/request.h"
#include "util/strutil.h"

#define S_DEFAULT_TIMEOUT_MS 30000u

struct cr_s3_client {
    struct cr_s3_location loc;
    struct cr_aws_config cfg;
    struct cr_aws_env env;
    bool has_env;
    struct cr_buf region;
    struct cr_buf endpoint; /* a custom endpoint, or empty for AWS */
    bool fips, dual_stack;
    struct cr_buf url;
    struct cr_aws_transport *transport;
    struct cr_aws_credentials_provider *creds;
    bool debug;
};

/* ---- locations ---- */

void cr_s3_location_dispose(struct cr_s3_location *loc)
{
    if (!loc)
        return;
    free(loc->bucket);
    free(loc->key);
    memset(loc, 0, sizeof(*loc));
}

static bool s_bucket_ok(const char *b, size_t n)
{
    if (n < 3 || n > 63)
        return false;
    for (size_t i = 0; i < n; i++) {
        char c = b[i];
        bool alnum = (c >= 'a' && c <= 'z') || (c >= '0' && c <= '9');
        if (!alnum && c != '.' && c != '-')
            return false;
        if (!alnum && (i == 0 || i + 1 == n))
            return false;
        if (c == '.' && (b[i + 1] == '.' || b[i - 1] == '-' || b[i + 1] == '-'))
            return false;
    }
    return true;
}

static bool s_key_ok(const char *k)
{
    size_t n = strlen(k);
    if (n == 0 || n > 1024 || k[0] == '/')
        return false;
    for (size_t i = 0; i < n; i++) {
        char c = k[i];
        bool ok = (c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z') || (c >= '0' && c <= '9') ||
                  strchr("-._~/", c) != NULL;
        if (!ok)
            return false;
    }
    /* "." and ".." segments would be normalised away by some clients */
    return strstr(k, "//") == NULL && strstr(k, "/./") == NULL && strstr(k, "/../") == NULL &&
           strncmp(k, "./", 2) != 0 && strncmp(k, "../", 3) != 0 && strcmp(k, ".") != 0 &&
           strcmp(k, "..") != 0 && (n < 2 || strcmp(k + n - 2, "/.") != 0) &&
           (n < 3 || strcmp(k + n - 3, "/..") != 0);
}

int cr_s3_location_parse(struct cr_s3_location *out, const char *url, const char *what)
{
    memset(out, 0, sizeof(*out));
    if (!url || strncmp(url, "s3://", 5) != 0) {
        cr_error_set("%s '%s': expected s3://BUCKET/KEY", what, url ? url : "");
        return CR_EINVALID;
    }
    const char *b = url + 5, *slash = strchr(b, '/');
    if (!slash || !s_bucket_ok(b, (size_t)(slash - b))) {
        cr_error_set("%s '%s': the bucket name must be 3 to 63 lower-case letters, digits, dots "
                     "and hyphens, starting and ending with a letter or digit%s",
                     what, url, slash ? "" : ", followed by /KEY");
        return CR_EINVALID;
    }
    if (!s_key_ok(slash + 1)) {
        cr_error_set("%s '%s': the key must be 1 to 1024 letters, digits and - . _ ~ / (a path "
                     "such as locks/prod.json, no empty, '.' or '..' segment)",
                     what, url);
        return CR_EINVALID;
    }
    out->bucket = strndup(b, (size_t)(slash - b));
    out->key = strdup(slash + 1);
    if (!out->bucket || !out->key) {
        cr_s3_location_dispose(out);
        cr_error_set("out of memory");
        return CR_ENOMEM;
    }
    return 0;
}

int cr_s3__url(struct cr_buf *out, const struct cr_s3_location *loc, const char *endpoint,
               const char *region, bool fips, bool dual_stack)
{
    cr_buf_clear(out);
    if (endpoint && *endpoint) {
        size_t n = strlen(endpoint);
        while (n > 0 && endpoint[n - 1] == '/')
            n--;
        cr_buf_printf(out, "%.*s/%s/%s", (int)n, endpoint, loc->bucket, loc->key);
    } else {
        const struct cr_aws_partition_info *p = cr_aws_config_partition(region);
        char host[160];
        snprintf(host, sizeof(host), "s3%s%s.%s.%s", fips ? "-fips" : "",
                 dual_stack ? ".dualstack" : "", region, p->dns_suffix);
        if (strchr(loc->bucket, '.'))
            cr_buf_printf(out, "https://%s/%s/%s", host, loc->bucket, loc->key);
        else
            cr_buf_printf(out, "https://%s.%s/%s", loc->bucket, host, loc->key);
    }
    if (cr_buf_oom(out)) {
        cr_error_set("out of memory");
        return CR_ENOMEM;
    }
    return 0;
}

/* ---- the client ---- */

static const struct cr_aws_env *s_env(const struct cr_s3_client *c)
{
    return c->has_env ? &c->env : NULL;
}

/* Endpoint: the explicit one, else AWS_ENDPOINT_URL_S3 > AWS_ENDPOINT_URL > the profile's,
 * else AWS's (FIPS and dual-stack as configured). Never cognito-identity's --endpoint-url. */
static int s_resolve_endpoint(struct cr_s3_client *c, const struct cr_s3_options *o)
{
    const char *from = NULL;
    char env_name[64];
    int rc = cr_aws_config_bool(&c->fips, &c->cfg, s_env(c), "AWS_USE_FIPS_ENDPOINT",
                                "use_fips_endpoint");
    if (rc == 0)
        rc = cr_aws_config_bool(&c->dual_stack, &c->cfg, s_env(c), "AWS_USE_DUALSTACK_ENDPOINT",
                                "use_dualstack_endpoint");
    if (rc < 0)
        return rc;
    const char *url = cr_aws_config_configured_endpoint(
        &from, env_name, sizeof(env_name), &c->cfg, s_env(c), "S3", o->endpoint_url,
        o->endpoint_name ? o->endpoint_name : "--lock-endpoint-url");
    if (!url)
        return 0;
    rc = cr_aws_config_validate_endpoint(url, from);
    if (rc < 0)
        return rc;
    c->fips = c->dual_stack = false; /* a custom endpoint is taken as it is */
    if (cr_buf_puts(&c->endpoint, url) < 0) {
        cr_error_set("out of memory");
        return CR_ENOMEM;
    }
    return 0;
}

int cr_s3_client_new(struct cr_s3_client **out, const struct cr_s3_location *loc,
                     const struct cr_s3_options *opts)
{
    int rc = CR_ENOMEM;
    struct cr_s3_client *c = calloc(1, sizeof(*c));
    *out = NULL;
    if (!c) {
        cr_error_set("out of memory");
        return CR_ENOMEM;
    }
    cr_aws_config_init(&c->cfg);
    if (opts->env) {
        c->env = *opts->env;
        c->has_env = true;
    }
    c->debug = opts->debug;
    c->loc.bucket = strdup(loc->bucket);
    c->loc.key = strdup(loc->key);
    if (!c->loc.bucket || !c->loc.key) {
        cr_error_set("out of memory");
        goto done;
    }
    rc = cr_aws_config_load(&c->cfg, s_env(c), opts->profile);
    if (rc == 0)
        rc = cr_aws_config_region(&c->region, &c->cfg, s_env(c), opts->region);
    if (rc < 0) {
        cr_error_prefix("the lock's bucket needs a region (--lock-region)");
        goto done;
    }
    rc = s_resolve_endpoint(c, opts);
    if (rc == 0)
        rc = cr_s3__url(&c->url, &c->loc, cr_buf_cstr(&c->endpoint), cr_buf_cstr(&c->region),
                        c->fips, c->dual_stack);
    if (rc < 0)
        goto done;
    const char *ca_bundle = NULL;
    rc = cr_aws_config_ca_bundle_checked(&ca_bundle, &c->cfg, s_env(c));
    if (rc < 0)
        goto done;
    struct cr_aws_transport_options topts = {
        .env = s_env(c),
        .max_connections = 2,
        .timeout_ms = opts->timeout_ms ? opts->timeout_ms : S_DEFAULT_TIMEOUT_MS,
        .max_response_bytes = 1u << 20, /* a lease is a few hundred bytes */
        .ca_bundle = ca_bundle,
        .debug = opts->debug,
    };
    rc = cr_aws_transport_new(&c->transport, &topts);
    if (rc < 0)
        goto done;
    struct cr_aws_credentials_options copts = {
        .profile = opts->profile,
        .region = cr_buf_cstr(&c->region),
        .env = s_env(c),
        .transport = c->transport,
    };
    rc = cr_aws_credentials_provider_new(&c->creds, &copts);
    if (rc < 0)
        goto done;
    *out = c;
    c = NULL; /* now the caller's */
done:
    cr_s3_client_free(c);
    return rc;
}

void cr_s3_client_free(struct cr_s3_client *c)
{
    if (!c)
        return;
    cr_aws_credentials_provider_free(c->creds);
    cr_aws_transport_free(c->transport); /* after the provider, which borrows it */
    cr_aws_config_dispose(&c->cfg);
    cr_s3_location_dispose(&c->loc);
    cr_buf_dispose(&c->region);
    cr_buf_dispose(&c->endpoint);
    cr_buf_dispose(&c->url);
    free(c);
}

const char *cr_s3_client_url(const struct cr_s3_client *c)
{
    return cr_buf_cstr(&c->url);
}

const char *cr_s3_client_region(const struct cr_s3_client *c)
{
    return cr_buf_cstr(&c->region);
}

/* ---- calls ---- */

/* 412 is an answer, not a failure to retry; 409 ConditionalRequestConflict means S3 did not
 * act (a conflicting write was in flight), so even an at-most-once write is sent again. */
static enum cr_retry_decision s_retry(void *ctx, const struct cr_aws_request *req,
                                      const struct cr_retry_outcome *outcome)
{
    (void)ctx;
    if (outcome->transport == CR_RETRY_TRANSPORT_OK && outcome->http_status == 412)
        return CR_RETRY_FAIL;
    if (outcome->transport == CR_RETRY_TRANSPORT_OK && outcome->http_status == 409 &&
        outcome->error_type && strcmp(outcome->error_type, "ConditionalRequestConflict") == 0)
        return CR_RETRY_TRANSIENT;
    return cr_retry_decide(outcome, req->at_most_once);
}

/* Moves to the region a bucket says it is in; true when it changed. */
static bool s_follow_region(struct cr_s3_client *c, const struct cr_aws_request *req)
{
    const char *region = cr_aws_request_header(req, "x-amz-bucket-region");
    if (!region || !*region || strcmp(region, cr_buf_cstr(&c->region)) == 0 ||
        strlen(region) > 64 || strspn(region, "abcdefghijklmnopqrstuvwxyz0123456789-") !=
                                   strlen(region))
        return false;
    struct cr_buf url = CR_BUF_INIT;
    if (cr_s3__url(&url, &c->loc, cr_buf_cstr(&c->endpoint), region, c->fips, c->dual_stack) < 0) {
        cr_buf_dispose(&url);
        return false;
    }
    cr_buf_dispose(&c->url);
    c->url = url;
    cr_buf_clear(&c->region);
    cr_buf_puts(&c->region, region);
    if (c->debug)
        cr_aws_debug_line(true, "s3: the bucket answered from another region; now signing for it");
    return !cr_buf_oom(&c->region);
}

/* One call: method, condition, body; the answer's body and ETag when asked for. A failure's
 * message is the request path's ("s3 PutObject s3://b/k: PreconditionFailed: ..."). */
static int s_call(struct cr_s3_client *c, const char *op, const char *method,
                  const struct cr_s3_condition *cond, const char *body, size_t len,
                  struct cr_buf *resp, struct cr_buf *etag)
{
    static const struct cr_s3_condition none;
    struct cr_http_header h[3];
    size_t nh = 0;
    int rc = 0;
    char name[1200];
    cond = cond ? cond : &none;
    snprintf(name, sizeof(name), "s3 %s s3://%s/%s", op, c->loc.bucket, c->loc.key);
    if (cond->if_none_match)
        h[nh++] = (struct cr_http_header){"If-None-Match", "*"};
    if (cond->if_match)
        h[nh++] = (struct cr_http_header){"If-Match", cond->if_match};
    if (body)
        h[nh++] = (struct cr_http_header){"Content-Type", "application/json"};
    for (int attempt = 0; attempt < 2; attempt++) {
        struct cr_aws_request req;
        cr_aws_request_init(&req);
        req.name = name;
        req.method = method;
        req.url = cr_buf_cstr(&c->url);
        req.headers = h;
        req.header_count = nh;
        req.body = body;
        req.body_len = len;
        req.sign = (struct cr_aws_signing){.service = "s3",
                                           .region = cr_buf_cstr(&c->region),
                                           .provider = c->creds,
                                           .content_sha256 = true,
                                           .no_normalize_path = true};
        req.at_most_once = strcmp(method, "GET") != 0 && (cond->if_none_match || cond->if_match);
        req.retry = s_retry;
        rc = cr_aws_request_run(c->transport, &req);
        bool moved = rc != 0 && attempt == 0 &&
                     (req.status == 301 || req.status == 400 || req.status == 403) &&
                     s_follow_region(c, &req);
        if (!moved && rc == 0) {
            const char *tag = cr_aws_request_header(&req, "ETag");
            if (etag && tag)
                rc = cr_buf_puts(etag, tag);
            if (rc == 0 && resp && req.response.len)
                rc = cr_buf_put(resp, req.response.ptr, req.response.len);
            if (rc < 0)
                cr_error_set("out of memory");
        } else if (!moved && req.status == 412) {
            rc = CR_ECONFLICT;
        } else if (!moved && req.status == 404 && strcmp(req.error.type, "NoSuchKey") == 0) {
            rc = CR_ENOTFOUND;
        }
        cr_aws_request_dispose(&req);
        if (!moved)
            break;
    }
    return rc;
}

int cr_s3_put(struct cr_s3_client *c, struct cr_buf *etag, const char *body, size_t len,
              const struct cr_s3_condition *cond)
{
    return s_call(c, "PutObject", "PUT", cond, body, len, NULL, etag);
}

int cr_s3_get(struct cr_s3_client *c, struct cr_buf *body, struct cr_buf *etag)
{
    return s_call(c, "GetObject", "GET", NULL, NULL, 0, body, etag);
}

int cr_s3_delete(struct cr_s3_client *c, const struct cr_s3_condition *cond)
{
    return s_call(c, "DeleteObject", "DELETE", cond, NULL, 0, NULL, NULL);
}
