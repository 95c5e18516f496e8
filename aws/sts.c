/* SPDX-License-Identifier: Apache-2.0 */
/*
 * AWS STS through the generic request path (aws/request.h). STS speaks the query protocol: a
 * form-encoded POST ("Action=...&Version=2011-06-15") answered with XML by default, read with
 * aws/xml.h (libxml2); JSON answers (Accept: application/json) with jansson.
 */
#include "aws/sts.h"

#include <ctype.h>
#include <stdbool.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>

#include <jansson.h>

#include "aws/json.h"
#include "aws/retry.h"
#include "aws/sigv4.h"
#include "aws/xml.h"

#define S_VERSION            "2011-06-15"
#define S_NAMESPACE          "https://sts.amazonaws.com/doc/" S_VERSION "/"
#define S_MAX_RESPONSE       (1u << 20)
#define S_DEFAULT_CONNECT_MS 5000
#define S_DEFAULT_TIMEOUT_MS 15000
#define S_FORM               "application/x-www-form-urlencoded; charset=utf-8"

/* ---- answer parsing ---- */

static bool s_is_json(const char *body, size_t len)
{
    size_t i = 0;
    while (i < len && isspace((unsigned char)body[i]))
        i++;
    return i < len && body[i] == '{';
}

static int s_parse_credentials_xml(struct cr_aws_credentials *out, const char *op,
                                   const char *body, size_t len)
{
    struct cr_xml_doc *doc = NULL;
    const struct cr_xml_node *creds = NULL;
    struct cr_buf exp = CR_BUF_INIT;
    int result = cr_xml_parse(&doc, body, len, S_NAMESPACE);
    if (result == 0 && !cr_xml_find(&creds, cr_xml_top(doc), "Credentials")) {
        cr_error_set("the answer has no <Credentials> element");
        result = CR_EINVALID;
    }
    if (result == 0)
        result = cr_xml_text(&out->access_key_id, creds, "AccessKeyId");
    if (result == 0)
        result = cr_xml_text(&out->secret_access_key, creds, "SecretAccessKey");
    if (result == 0)
        result = cr_xml_text(&out->session_token, creds, "SessionToken");
    if (result == 0)
        result = cr_xml_text(&exp, creds, "Expiration");
    if (result < 0) {
        cr_error_prefix("sts %s", op);
        goto done;
    }
    if (cr_sigv4_parse_date(&out->expiration_s, cr_buf_cstr(&exp)) < 0) {
        cr_error_set("sts %s: Expiration '%s' is not an ISO 8601 date", op, cr_buf_cstr(&exp));
        result = CR_EINVALID;
        goto done;
    }
    result = 0;
done:
    cr_buf_dispose(&exp);
    cr_xml_free(doc);
    return result;
}

static const char *s_json_str(json_t *obj, const char *key)
{
    return json_string_value(json_object_get(obj, key));
}

static int s_parse_credentials_json(struct cr_aws_credentials *out, const char *op,
                                    const char *body, size_t len)
{
    int result = CR_EINVALID;
    json_error_t jerr;
    char response[96], res[96];
    snprintf(response, sizeof(response), "%sResponse", op);
    snprintf(res, sizeof(res), "%sResult", op);
    json_t *root = json_loadb(body, len, 0, &jerr);
    json_t *c = json_object_get(json_object_get(json_object_get(root, response), res),
                                "Credentials");
    if (!root) {
        char reason[JSON_ERROR_TEXT_LENGTH];
        cr_error_set("sts %s: invalid JSON at line %d: %s", op, jerr.line,
                     cr_json_error_reason(reason, sizeof(reason), &jerr));
        goto done;
    }
    const char *akid = s_json_str(c, "AccessKeyId"), *secret = s_json_str(c, "SecretAccessKey");
    const char *token = s_json_str(c, "SessionToken");
    json_t *exp = json_object_get(c, "Expiration");
    if (!akid || !secret || !token || !exp) {
        cr_error_set("sts %s: the answer lacks %s.Credentials.%s", op, res,
                     !akid     ? "AccessKeyId"
                     : !secret ? "SecretAccessKey"
                     : !token  ? "SessionToken"
                               : "Expiration");
        goto done;
    }
    if (json_is_number(exp)) {
        out->expiration_s = (int64_t)json_number_value(exp);
    } else if (!json_is_string(exp) ||
               cr_sigv4_parse_date(&out->expiration_s, json_string_value(exp)) < 0) {
        cr_error_set("sts %s: Expiration is neither epoch seconds nor an ISO 8601 date", op);
        goto done;
    }
    result = cr_aws_credentials_set(out, akid, secret, token, out->expiration_s);
done:
    json_decref(root);
    return result;
}

/* The Credentials of an AssumeRole* answer of operation op. */
static int s_parse_credentials(struct cr_aws_credentials *out, const char *op, const char *body,
                               size_t len)
{
    int rc = s_is_json(body, len) ? s_parse_credentials_json(out, op, body, len)
                                  : s_parse_credentials_xml(out, op, body, len);
    if (rc == 0 && (!out->access_key_id.len || !out->secret_access_key.len)) {
        cr_error_set("sts %s: the answer has empty credentials", op);
        rc = CR_EINVALID;
    }
    if (rc < 0)
        cr_aws_credentials_dispose(out);
    return rc;
}

int cr_sts_parse_credentials(struct cr_aws_credentials *out, const char *body, size_t len)
{
    return s_parse_credentials(out, "AssumeRoleWithWebIdentity", body, len);
}

int cr_sts_parse_account(struct cr_buf *out, const char *body, size_t len)
{
    int result = CR_EINVALID;
    json_t *root = NULL;
    if (!s_is_json(body, len)) {
        struct cr_xml_doc *doc = NULL;
        result = cr_xml_parse(&doc, body, len, S_NAMESPACE);
        if (result == 0)
            result = cr_xml_text(out, cr_xml_top(doc), "Account");
        if (result < 0)
            cr_error_prefix("sts GetCallerIdentity");
        cr_xml_free(doc);
        return result;
    }
    root = json_loadb(body, len, 0, NULL);
    const char *account =
        s_json_str(json_object_get(json_object_get(root, "GetCallerIdentityResponse"),
                                   "GetCallerIdentityResult"),
                   "Account");
    if (!account)
        account = s_json_str(root, "Account"); /* the awsJson flavour */
    if (!account) {
        cr_error_set("sts GetCallerIdentity: the answer has no Account");
        goto done;
    }
    result = 0;
    if (cr_buf_puts(out, account) < 0) {
        cr_error_set("sts GetCallerIdentity: out of memory");
        result = CR_ENOMEM;
    }
done:
    json_decref(root);
    return result;
}

void cr_sts_parse_error(struct cr_buf *code, struct cr_buf *message, const char *body, size_t len)
{
    struct cr_aws_error e;
    cr_aws_error_decode(&e, 0, body, len);
    if (!e.type[0])
        return; /* no error code: not an STS error answer (an HTML page from a proxy) */
    cr_buf_puts(code, e.type);
    cr_buf_puts(message, e.message);
}

/* ---- endpoint ---- */

#define S_GLOBAL_ENDPOINT "https://sts.amazonaws.com"

/* The regions whose STS calls go to the global endpoint with sts_regional_endpoints = legacy
 * (botocore's LEGACY_GLOBAL_STS_REGIONS). */
static const char *const s_legacy_global_regions[] = {
    "ap-northeast-1", "ap-south-1",   "ap-southeast-1", "ap-southeast-2",
    "aws-global",     "ca-central-1", "eu-central-1",   "eu-north-1",
    "eu-west-1",      "eu-west-2",    "eu-west-3",      "sa-east-1",
    "us-east-1",      "us-east-2",    "us-west-1",      "us-west-2",
};

/* sts_regional_endpoints: true for legacy, false for regional (the default). */
static int s_legacy_mode(bool *legacy, const struct cr_aws_config *cfg,
                         const struct cr_aws_env *env)
{
    const char *from = "AWS_STS_REGIONAL_ENDPOINTS";
    const char *v = cr_aws_env_get(env, from);
    if (!v && cfg) {
        from = "sts_regional_endpoints";
        v = cr_aws_config_get(cfg, from);
    }
    *legacy = v && strcasecmp(v, "legacy") == 0;
    if (v && !*legacy && strcasecmp(v, "regional") != 0) {
        cr_error_set("%s '%s': expected legacy or regional", from, v);
        return CR_EINVALID;
    }
    return 0;
}

int cr_sts_endpoint(struct cr_buf *out, const struct cr_aws_config *cfg,
                    const struct cr_aws_env *env, const char *region)
{
    char regional[128];
    bool legacy = false;
    const char *r = region ? region : "us-east-1";
    int rc = s_legacy_mode(&legacy, cfg, env);
    size_t start = out->len;
    if (rc == 0)
        rc = cr_aws_config_endpoint(out, cfg, env, "sts", "STS", r, NULL);
    if (rc < 0 || !legacy)
        return rc;
    /* only where the rules gave the plain regional endpoint: not an override, FIPS or
     * dual-stack */
    snprintf(regional, sizeof(regional), "https://sts.%s.amazonaws.com", r);
    for (size_t i = 0; i < sizeof(s_legacy_global_regions) / sizeof(s_legacy_global_regions[0]);
         i++) {
        if (strcmp(r, s_legacy_global_regions[i]) == 0 &&
            strcmp(cr_buf_cstr(out) + start, regional) == 0) {
            out->len = start; /* the regional URL appended above is replaced */
            out->ptr[start] = '\0';
            if (cr_buf_puts(out, S_GLOBAL_ENDPOINT) < 0) {
                cr_error_set("out of memory resolving the STS endpoint");
                return CR_ENOMEM;
            }
            break;
        }
    }
    return 0;
}

const char *cr_sts_signing_region(const char *endpoint, const char *region)
{
    size_t n = strlen(S_GLOBAL_ENDPOINT);
    if (endpoint && strncmp(endpoint, S_GLOBAL_ENDPOINT, n) == 0 &&
        (endpoint[n] == '\0' || strcmp(endpoint + n, "/") == 0))
        return "us-east-1";
    return region ? region : "us-east-1";
}

/* ---- calls ---- */

/* STS's own transient error: the identity provider could not be reached (botocore and the
 * Go SDK retry it); the rest as for any request. */
static enum cr_retry_decision s_sts_retry(void *ctx, const struct cr_aws_request *req,
                                          const struct cr_retry_outcome *outcome)
{
    if (outcome->error_type && strcmp(outcome->error_type, "IDPCommunicationError") == 0)
        return CR_RETRY_TRANSIENT;
    return cr_retry_decide(outcome, false);
}

/* The message and code of an STS answer that is not a success: STS refusing is an
 * authentication failure for us (a bad token, an unknown key), throttling stays throttling,
 * a server-side failure is an I/O error. Transport failures keep the request's message. */
static int s_failure(const struct cr_aws_request *req, const char *op, int rc)
{
    if (!req->status || rc == CR_ELIMIT || rc == CR_ENOMEM || rc == CR_EINVALID)
        return rc;
    const char *code = req->error.type[0] ? req->error.type : "HTTP error";
    bool has_message = req->error.type[0] && req->error.message[0];
    if (rc != CR_ETHROTTLED)
        rc = req->status >= 500 || strcmp(code, "IDPCommunicationError") == 0 ? CR_EIO : CR_EAUTH;
    struct cr_buf line = CR_BUF_INIT;
    cr_buf_printf(&line, "sts %s: %s (HTTP %ld): %s", op, code, req->status,
                  has_message ? req->error.message : "no message");
    if (req->attempts > 1)
        cr_buf_printf(&line, " (after %u attempts)", req->attempts);
    cr_error_set("%s", cr_buf_oom(&line) ? "sts: out of memory" : line.ptr);
    cr_buf_dispose(&line);
    return rc;
}

/* A transport of the call's own, when the caller has none to share. */
static int s_own_transport(struct cr_aws_transport **out, const struct cr_sts_options *opts)
{
    struct cr_aws_transport_options topts = {
        .env = opts->env,
        .max_connections = 1,
        .ca_bundle = opts->ca_bundle,
        .debug = opts->debug,
    };
    return cr_aws_transport_new(out, &topts);
}

/* One STS call: POST the form body to the endpoint, signed with creds when given (the web
 * identity exchange is unsigned: the token is the proof). The answer's body goes to out. */
static int s_call(struct cr_buf *out, const char *op, const struct cr_sts_options *opts,
                  const char *body, const struct cr_aws_credentials *creds,
                  struct cr_aws_credentials_provider *provider)
{
    struct cr_aws_transport *own = NULL, *t = opts->transport;
    struct cr_http_header headers[] = {{"Content-Type", S_FORM}};
    struct cr_aws_request req;
    char name[512];
    int rc;
    cr_aws_request_init(&req);
    if (!opts->endpoint || !*opts->endpoint) {
        cr_error_set("sts %s: no endpoint", op);
        return CR_EINVALID;
    }
    if (!t) {
        rc = s_own_transport(&own, opts);
        if (rc < 0)
            return rc;
        t = own;
    }
    /* the endpoint in the name: --debug and transport errors say where STS was */
    snprintf(name, sizeof(name), "sts %s %s", op, opts->endpoint);
    req.name = name;
    req.method = "POST";
    req.url = opts->endpoint;
    req.headers = headers;
    req.header_count = 1;
    req.body = body;
    req.body_len = strlen(body);
    req.connect_timeout_ms =
        opts->connect_timeout_ms ? opts->connect_timeout_ms : S_DEFAULT_CONNECT_MS;
    req.timeout_ms = opts->timeout_ms ? opts->timeout_ms : S_DEFAULT_TIMEOUT_MS;
    req.max_response_bytes = S_MAX_RESPONSE;
    req.retry = s_sts_retry;
    if (creds || provider)
        req.sign = (struct cr_aws_signing){
            .service = "sts",
            .region = cr_sts_signing_region(opts->endpoint, opts->region),
            .provider = provider,
            .credentials = creds,
        };
    rc = cr_aws_request_run(t, &req);
    if (rc < 0)
        rc = s_failure(&req, op, rc);
    if (rc == 0 && cr_buf_put(out, req.response.ptr, req.response.len) < 0) {
        cr_error_set("sts %s: out of memory", op);
        rc = CR_ENOMEM;
    }
    /* the answer of AssumeRoleWithWebIdentity holds keys */
    cr_buf_dispose_secure(&req.response);
    cr_aws_request_dispose(&req);
    cr_aws_transport_free(own);
    return rc;
}

/* Appends "&key=value" to a form body, the value percent-encoded. */
static void s_form_param(struct cr_buf *out, const char *key, const char *value)
{
    cr_buf_printf(out, "&%s=", key);
    /* out of memory is sticky in out and checked by the caller */
    if (cr_sigv4__uri_encode(out, cr_span_from(value), false) < 0)
        return;
}

int cr_sts_assume_role_with_web_identity(struct cr_aws_credentials *out,
                                         const struct cr_sts_options *opts, const char *role_arn,
                                         const char *session_name, const char *token)
{
    int result = 0;
    struct cr_buf body = CR_BUF_INIT, answer = CR_BUF_INIT;
    cr_buf_puts(&body, "Action=AssumeRoleWithWebIdentity&Version=" S_VERSION);
    s_form_param(&body, "RoleArn", role_arn);
    s_form_param(&body, "RoleSessionName", session_name);
    s_form_param(&body, "WebIdentityToken", token);
    if (cr_buf_oom(&body)) {
        cr_error_set("sts AssumeRoleWithWebIdentity: out of memory");
        result = CR_ENOMEM;
        goto done;
    }
    /* An unsigned call: the web identity token is the proof. */
    result = s_call(&answer, "AssumeRoleWithWebIdentity", opts, cr_buf_cstr(&body), NULL, NULL);
    if (result == 0)
        result = cr_sts_parse_credentials(out, cr_buf_cstr(&answer), answer.len);
done:
    cr_buf_dispose_secure(&body);
    cr_buf_dispose_secure(&answer);
    return result;
}

int cr_sts_get_caller_identity(struct cr_buf *out, const struct cr_sts_options *opts,
                               const struct cr_aws_credentials *creds)
{
    struct cr_buf answer = CR_BUF_INIT;
    int rc = s_call(&answer, "GetCallerIdentity", opts,
                    "Action=GetCallerIdentity&Version=" S_VERSION, creds, NULL);
    if (rc == 0)
        rc = cr_sts_parse_account(out, cr_buf_cstr(&answer), answer.len);
    cr_buf_dispose(&answer);
    return rc;
}

int cr_sts_assume_role(struct cr_aws_credentials *out, const struct cr_sts_options *opts,
                       struct cr_aws_credentials_provider *base,
                       const struct cr_sts_assume_role_params *params)
{
    int result = 0;
    char duration[16];
    struct cr_buf body = CR_BUF_INIT, answer = CR_BUF_INIT;
    cr_buf_puts(&body, "Action=AssumeRole&Version=" S_VERSION);
    s_form_param(&body, "RoleArn", params->role_arn);
    s_form_param(&body, "RoleSessionName", params->session_name);
    if (params->external_id)
        s_form_param(&body, "ExternalId", params->external_id);
    if (params->duration_s) {
        snprintf(duration, sizeof(duration), "%u", params->duration_s);
        s_form_param(&body, "DurationSeconds", duration);
    }
    if (cr_buf_oom(&body)) {
        cr_error_set("sts AssumeRole: out of memory");
        result = CR_ENOMEM;
        goto done;
    }
    /* Signed with the base credentials; the request path renews them once if STS calls them
     * expired. */
    result = s_call(&answer, "AssumeRole", opts, cr_buf_cstr(&body), NULL, base);
    if (result == 0)
        result = s_parse_credentials(out, "AssumeRole", cr_buf_cstr(&answer), answer.len);
done:
    cr_buf_dispose(&body);
    cr_buf_dispose_secure(&answer);
    return result;
}
