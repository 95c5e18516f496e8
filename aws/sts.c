/* SPDX-License-Identifier: Apache-2.0 */
/*
 * AWS STS over one libcurl easy handle per call. STS speaks the query protocol: a form-encoded
 * POST ("Action=...&Version=2011-06-15") answered with XML by default. No XML library is in
 * our dependencies, so answers are read with a small extractor that only looks for the
 * handful of leaf elements we need and decodes the five predefined entities and character
 * references; JSON answers (Accept: application/json) are read with jansson.
 */
#include "aws/sts.h"

#include <ctype.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include <curl/curl.h>
#include <jansson.h>

#include "aws/http.h"
#include "aws/sigv4.h"
#include "util/log.h"
#include "util/strutil.h"

#define S_VERSION            "2011-06-15"
#define S_MAX_RESPONSE       (1u << 20)
#define S_ATTEMPTS           3
#define S_DEFAULT_CONNECT_MS 5000
#define S_DEFAULT_TIMEOUT_MS 15000

/* ---- answer parsing ---- */

static bool s_is_json(const char *body, size_t len)
{
    size_t i = 0;
    while (i < len && isspace((unsigned char)body[i]))
        i++;
    return i < len && body[i] == '{';
}

/* Decodes XML character data: &amp; &lt; &gt; &quot; &apos; and &#N; / &#xH; (ASCII range
 * and beyond, as UTF-8). */
static int s_xml_decode(struct cr_buf *out, const char *p, size_t len)
{
    static const struct {
        const char *name;
        char c;
    } ents[] = {{"amp;", '&'}, {"lt;", '<'}, {"gt;", '>'}, {"quot;", '"'}, {"apos;", '\''}};
    for (size_t i = 0; i < len; i++) {
        if (p[i] != '&') {
            cr_buf_putc(out, p[i]);
            continue;
        }
        const char *semi = memchr(p + i, ';', len - i);
        bool done = false;
        for (size_t k = 0; semi && k < sizeof(ents) / sizeof(ents[0]) && !done; k++) {
            size_t n = strlen(ents[k].name);
            if ((size_t)(semi - (p + i)) == n && memcmp(p + i + 1, ents[k].name, n) == 0) {
                cr_buf_putc(out, ents[k].c);
                i += n;
                done = true;
            }
        }
        if (!done && semi && p[i + 1] == '#') {
            char *end = NULL;
            bool hex = p[i + 2] == 'x' || p[i + 2] == 'X';
            unsigned long cp = strtoul(p + i + (hex ? 3 : 2), &end, hex ? 16 : 10);
            if (end == semi && cp > 0 && cp < 0x110000) {
                char u[4];
                size_t n = cp < 0x80 ? 1 : cp < 0x800 ? 2 : cp < 0x10000 ? 3 : 4;
                if (n == 1)
                    u[0] = (char)cp;
                else {
                    for (size_t b = n - 1; b > 0; b--, cp >>= 6)
                        u[b] = (char)(0x80 | (cp & 0x3f));
                    u[0] = (char)((n == 2 ? 0xc0 : n == 3 ? 0xe0 : 0xf0) | cp);
                }
                cr_buf_put(out, u, n);
                i = (size_t)(semi - p);
                done = true;
            }
        }
        if (!done) {
            cr_error_set("sts: malformed XML entity in the answer");
            return CR_EINVALID;
        }
    }
    return cr_buf_oom(out) ? CR_ENOMEM : 0;
}

/* memmem() is a GNU extension; this is the portable few lines. */
static const char *s_memfind(const char *hay, size_t hlen, const char *needle, size_t nlen)
{
    for (size_t i = 0; nlen <= hlen && i <= hlen - nlen; i++) {
        if (memcmp(hay + i, needle, nlen) == 0)
            return hay + i;
    }
    return NULL;
}

/* Finds the first element <tag>...</tag> (no attributes on it, as in STS answers) within
 * [p, p+len) and returns its content span. */
static bool s_xml_find(struct cr_span *out, const char *p, size_t len, const char *tag)
{
    char open[96], close[96];
    int on = snprintf(open, sizeof(open), "<%s>", tag);
    int cn = snprintf(close, sizeof(close), "</%s>", tag);
    const char *end = p + len;
    const char *s = s_memfind(p, len, open, (size_t)on);
    if (!s)
        return false;
    s += on;
    const char *e = s_memfind(s, (size_t)(end - s), close, (size_t)cn);
    if (!e)
        return false;
    *out = cr_span_of(s, (size_t)(e - s));
    return true;
}

static int s_xml_text(struct cr_buf *out, struct cr_span scope, const char *tag)
{
    struct cr_span v;
    if (!s_xml_find(&v, scope.ptr, scope.len, tag)) {
        cr_error_set("sts: the answer has no <%s> element", tag);
        return CR_EINVALID;
    }
    return s_xml_decode(out, v.ptr, v.len);
}

static int s_parse_credentials_xml(struct cr_aws_credentials *out, const char *body, size_t len)
{
    int result = CR_EINVALID;
    struct cr_span creds;
    struct cr_buf exp = CR_BUF_INIT;
    if (!s_xml_find(&creds, body, len, "Credentials")) {
        cr_error_set("sts AssumeRoleWithWebIdentity: the answer has no <Credentials> element");
        goto done;
    }
    if (s_xml_text(&out->access_key_id, creds, "AccessKeyId") < 0 ||
        s_xml_text(&out->secret_access_key, creds, "SecretAccessKey") < 0 ||
        s_xml_text(&out->session_token, creds, "SessionToken") < 0 ||
        s_xml_text(&exp, creds, "Expiration") < 0)
        goto done;
    if (cr_sigv4_parse_date(&out->expiration_s, cr_buf_cstr(&exp)) < 0) {
        cr_error_set("sts AssumeRoleWithWebIdentity: Expiration '%s' is not an ISO 8601 date",
                     cr_buf_cstr(&exp));
        goto done;
    }
    result = 0;
done:
    cr_buf_dispose(&exp);
    return result;
}

static const char *s_json_str(json_t *obj, const char *key)
{
    return json_string_value(json_object_get(obj, key));
}

static int s_parse_credentials_json(struct cr_aws_credentials *out, const char *body, size_t len)
{
    int result = CR_EINVALID;
    json_error_t jerr;
    json_t *root = json_loadb(body, len, 0, &jerr);
    json_t *c =
        json_object_get(json_object_get(json_object_get(root, "AssumeRoleWithWebIdentityResponse"),
                                        "AssumeRoleWithWebIdentityResult"),
                        "Credentials");
    if (!root) {
        cr_error_set("sts AssumeRoleWithWebIdentity: invalid JSON at line %d: %s", jerr.line,
                     jerr.text);
        goto done;
    }
    const char *akid = s_json_str(c, "AccessKeyId"), *secret = s_json_str(c, "SecretAccessKey");
    const char *token = s_json_str(c, "SessionToken");
    json_t *exp = json_object_get(c, "Expiration");
    if (!akid || !secret || !token || !exp) {
        cr_error_set("sts AssumeRoleWithWebIdentity: the answer lacks "
                     "AssumeRoleWithWebIdentityResult.Credentials.%s",
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
        cr_error_set("sts AssumeRoleWithWebIdentity: Expiration is neither epoch seconds nor "
                     "an ISO 8601 date");
        goto done;
    }
    if (cr_aws_credentials_set(out, akid, secret, token, out->expiration_s) < 0) {
        result = CR_ENOMEM;
        goto done;
    }
    result = 0;
done:
    json_decref(root);
    return result;
}

int cr_sts_parse_credentials(struct cr_aws_credentials *out, const char *body, size_t len)
{
    int rc = s_is_json(body, len) ? s_parse_credentials_json(out, body, len)
                                  : s_parse_credentials_xml(out, body, len);
    if (rc == 0 && (!out->access_key_id.len || !out->secret_access_key.len)) {
        cr_error_set("sts AssumeRoleWithWebIdentity: the answer has empty credentials");
        rc = CR_EINVALID;
    }
    if (rc < 0)
        cr_aws_credentials_dispose(out);
    return rc;
}

int cr_sts_parse_account(struct cr_buf *out, const char *body, size_t len)
{
    int result = CR_EINVALID;
    json_t *root = NULL;
    if (!s_is_json(body, len)) {
        struct cr_span all = cr_span_of(body, len);
        if (s_xml_text(out, all, "Account") < 0) {
            cr_error_set("sts GetCallerIdentity: the answer has no <Account> element");
            return CR_EINVALID;
        }
        return 0;
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
    result = cr_buf_puts(out, account) < 0 ? CR_ENOMEM : 0;
done:
    json_decref(root);
    return result;
}

void cr_sts_parse_error(struct cr_buf *code, struct cr_buf *message, const char *body, size_t len)
{
    if (!s_is_json(body, len)) {
        struct cr_span err, all = cr_span_of(body, len);
        if (!s_xml_find(&err, body, len, "Error"))
            err = all;
        char saved[512];
        snprintf(saved, sizeof(saved), "%s", cr_error_last());
        if (s_xml_text(code, err, "Code") < 0)
            cr_buf_clear(code);
        if (s_xml_text(message, err, "Message") < 0)
            cr_buf_clear(message);
        cr_error_set("%s", saved);
        return;
    }
    json_t *root = json_loadb(body, len, 0, NULL);
    json_t *e = json_object_get(root, "Error");
    const char *c = e ? s_json_str(e, "Code") : s_json_str(root, "__type");
    const char *m = e ? s_json_str(e, "Message") : s_json_str(root, "message");
    if (!m && !e)
        m = s_json_str(root, "Message");
    if (c) {
        const char *hash = strrchr(c, '#');
        cr_buf_puts(code, hash ? hash + 1 : c);
    }
    if (m)
        cr_buf_puts(message, m);
    json_decref(root);
}

/* ---- endpoint ---- */

int cr_sts_endpoint(struct cr_buf *out, const struct cr_aws_config *cfg,
                    const struct cr_aws_env *env, const char *region)
{
    return cr_aws_config_endpoint(out, cfg, env, "sts", "STS", region ? region : "us-east-1", NULL);
}

/* ---- HTTP ---- */

struct s_http {
    const char *op; /* "AssumeRoleWithWebIdentity" */
    const char *endpoint;
    struct cr_buf host; /* Host header value we sign and send */
    struct cr_buf path; /* the endpoint's path ("/" when none), as curl requests it */
    long status;
    struct cr_buf response;
    bool final; /* the last failure cannot change by retrying (certificate, bad URL) */
};

static size_t s_write(char *ptr, size_t size, size_t n, void *user)
{
    struct cr_buf *b = user;
    if (cr_buf_put(b, ptr, size * n) < 0)
        return 0; /* makes curl fail with CURLE_WRITE_ERROR: the answer is too large */
    return size * n;
}

/* "host[:port]" as curl sends it (the port only when it is not the scheme's default), and
 * the path curl requests, so the signature covers what goes on the wire. */
static int s_host_and_path(struct cr_buf *out, struct cr_buf *out_path, const char *endpoint)
{
    int result = CR_EINVALID;
    CURLU *u = curl_url();
    char *host = NULL, *port = NULL, *scheme = NULL, *path = NULL;
    if (!u || curl_url_set(u, CURLUPART_URL, endpoint, 0) != CURLUE_OK ||
        curl_url_get(u, CURLUPART_HOST, &host, 0) != CURLUE_OK ||
        curl_url_get(u, CURLUPART_SCHEME, &scheme, 0) != CURLUE_OK) {
        cr_error_set("sts: endpoint '%s' is not a URL", endpoint);
        goto done;
    }
    cr_buf_puts(out, host);
    if (curl_url_get(u, CURLUPART_PORT, &port, 0) == CURLUE_OK &&
        !(strcmp(scheme, "https") == 0 && strcmp(port, "443") == 0) &&
        !(strcmp(scheme, "http") == 0 && strcmp(port, "80") == 0))
        cr_buf_printf(out, ":%s", port);
    if (curl_url_get(u, CURLUPART_PATH, &path, 0) != CURLUE_OK || !path || !*path)
        cr_buf_puts(out_path, "/");
    else
        cr_buf_puts(out_path, path);
    result = cr_buf_oom(out) || cr_buf_oom(out_path) ? CR_ENOMEM : 0;
done:
    curl_free(path);
    curl_free(host);
    curl_free(port);
    curl_free(scheme);
    curl_url_cleanup(u);
    return result;
}

/* Transport failures worth another attempt, as aws/http.c classifies them: the network may
 * recover; a certificate that fails verification or a malformed URL will not. */
static int s_curl_result(CURLcode cc, const char *op, const char *endpoint, const char *errbuf)
{
    const char *why = errbuf[0] ? errbuf : curl_easy_strerror(cc);
    if (cc == CURLE_OPERATION_TIMEDOUT) {
        cr_error_set("sts %s %s: timed out: %s", op, endpoint, why);
        return CR_ETIMEOUT;
    }
    cr_error_set("sts %s %s: %s", op, endpoint, why);
    return CR_EIO;
}

/* One POST; extra holds already formatted header lines. */
static int s_post_once(struct s_http *h, const struct cr_sts_options *opts, const char *body,
                       struct curl_slist *headers)
{
    int result = CR_EIO;
    char errbuf[CURL_ERROR_SIZE] = "";
    if (cr_http_global_init() < 0)
        return CR_ERROR;
    CURL *curl = curl_easy_init();
    if (!curl) {
        cr_error_set("sts %s: cannot create a curl handle", h->op);
        return CR_ENOMEM;
    }
    cr_buf_clear(&h->response);
    h->response.oom = false;
    h->response.too_large = false;
    curl_easy_setopt(curl, CURLOPT_URL, h->endpoint);
    curl_easy_setopt(curl, CURLOPT_PROTOCOLS_STR, "http,https");
    curl_easy_setopt(curl, CURLOPT_POST, 1L);
    curl_easy_setopt(curl, CURLOPT_POSTFIELDS, body);
    curl_easy_setopt(curl, CURLOPT_POSTFIELDSIZE, (long)strlen(body));
    curl_easy_setopt(curl, CURLOPT_HTTPHEADER, headers);
    curl_easy_setopt(curl, CURLOPT_SSL_VERIFYPEER, 1L);
    curl_easy_setopt(curl, CURLOPT_SSL_VERIFYHOST, 2L);
    if (opts->ca_bundle)
        curl_easy_setopt(curl, CURLOPT_CAINFO, opts->ca_bundle);
    curl_easy_setopt(curl, CURLOPT_NOSIGNAL, 1L);
    curl_easy_setopt(
        curl, CURLOPT_CONNECTTIMEOUT_MS,
        (long)(opts->connect_timeout_ms ? opts->connect_timeout_ms : S_DEFAULT_CONNECT_MS));
    curl_easy_setopt(curl, CURLOPT_TIMEOUT_MS,
                     (long)(opts->timeout_ms ? opts->timeout_ms : S_DEFAULT_TIMEOUT_MS));
    curl_easy_setopt(curl, CURLOPT_WRITEFUNCTION, s_write);
    curl_easy_setopt(curl, CURLOPT_WRITEDATA, &h->response);
    curl_easy_setopt(curl, CURLOPT_ERRORBUFFER, errbuf);
    curl_easy_setopt(curl, CURLOPT_USERAGENT, "cognito-reconcile");
    uint64_t start_ms = cr_now_ms();
    CURLcode cc = curl_easy_perform(curl);
    if (cc == CURLE_WRITE_ERROR && cr_buf_error(&h->response) == CR_ELIMIT) {
        cr_error_set("sts %s %s: the answer is larger than %u bytes", h->op, h->endpoint,
                     S_MAX_RESPONSE);
        result = CR_ELIMIT;
        goto done;
    }
    if (cc == CURLE_OUT_OF_MEMORY || (cc == CURLE_WRITE_ERROR && cr_buf_oom(&h->response))) {
        cr_error_set("sts %s %s: out of memory receiving the answer", h->op, h->endpoint);
        result = CR_ENOMEM;
        goto done;
    }
    if (cc != CURLE_OK) {
        result = s_curl_result(cc, h->op, h->endpoint, errbuf);
        h->final = cr_http_curl_transport(cc) == CR_RETRY_TRANSPORT_FATAL;
        goto done;
    }
    curl_easy_getinfo(curl, CURLINFO_RESPONSE_CODE, &h->status);
    /* --debug: the call, never its body (the web identity token) nor the answer (keys) */
    cr_log_debug("sts %s %s status=%ld duration_ms=%llu", h->op, h->endpoint, h->status,
                 (unsigned long long)(cr_now_ms() - start_ms));
    result = 0;
done:
    curl_easy_cleanup(curl);
    return result;
}

/* Maps a non-200 answer to an error code and message. */
static int s_http_error(const struct s_http *h)
{
    struct cr_buf code = CR_BUF_INIT, msg = CR_BUF_INIT;
    int rc;
    cr_sts_parse_error(&code, &msg, cr_buf_cstr(&h->response), h->response.len);
    const char *c = code.len ? cr_buf_cstr(&code) : "HTTP error";
    if (strcmp(c, "Throttling") == 0 || strcmp(c, "ThrottlingException") == 0 || h->status == 429)
        rc = CR_ETHROTTLED;
    else if (h->status >= 500 || strcmp(c, "IDPCommunicationError") == 0)
        rc = CR_EIO;
    else
        rc = CR_EAUTH;
    cr_error_set("sts %s: %s (HTTP %ld): %s", h->op, c, h->status,
                 msg.len ? cr_buf_cstr(&msg) : "no message");
    cr_buf_dispose(&code);
    cr_buf_dispose(&msg);
    return rc;
}

/* POSTs with a few bounded retries on throttling, 5xx and connection failures. sign (may be
 * NULL) adds SigV4 headers for each attempt (the date changes between attempts). */
typedef int s_sign_fn(struct curl_slist **headers, const struct s_http *h,
                      const struct cr_sts_options *opts, const char *body, const void *ctx);

static int s_post(struct s_http *h, const struct cr_sts_options *opts, const char *body,
                  s_sign_fn *sign, const void *sign_ctx)
{
    int rc = CR_EIO;
    for (unsigned attempt = 1; attempt <= S_ATTEMPTS; attempt++) {
        struct curl_slist *headers = NULL, *tmp = NULL;
        struct cr_buf host = CR_BUF_INIT;
        cr_buf_printf(&host, "Host: %s", cr_buf_cstr(&h->host));
        const char *fixed[] = {cr_buf_cstr(&host),
                               "Content-Type: application/x-www-form-urlencoded; charset=utf-8",
                               "Expect:"};
        rc = 0;
        for (size_t i = 0; i < 3 && rc == 0; i++) {
            tmp = curl_slist_append(headers, fixed[i]);
            rc = tmp ? 0 : CR_ENOMEM;
            headers = tmp ? tmp : headers;
        }
        if (rc == 0 && sign)
            rc = sign(&headers, h, opts, body, sign_ctx);
        if (rc == 0)
            rc = s_post_once(h, opts, body, headers);
        curl_slist_free_all(headers);
        cr_buf_dispose(&host);
        if (rc == 0 && h->status == 200)
            return 0;
        if (rc == 0)
            rc = s_http_error(h);
        if ((rc != CR_EIO && rc != CR_ETHROTTLED && rc != CR_ETIMEOUT) || h->final)
            return rc;
        if (attempt < S_ATTEMPTS) {
            cr_log_debug("sts %s: attempt %u failed (%s), retrying", h->op, attempt,
                         cr_error_last());
            struct timespec ts = {0, (long)(200000000L << (attempt - 1))};
            nanosleep(&ts, NULL);
        }
    }
    return rc;
}

static void s_form_param(struct cr_buf *out, const char *key, const char *value)
{
    cr_buf_printf(out, "&%s=", key);
    /* out of memory is sticky in out and checked by the caller */
    if (cr_sigv4__uri_encode(out, cr_span_from(value), false) < 0)
        return;
}

static int s_http_init(struct s_http *h, const char *op, const struct cr_sts_options *opts)
{
    memset(h, 0, sizeof(*h));
    h->op = op;
    h->endpoint = opts->endpoint;
    cr_buf_init_limit(&h->response, S_MAX_RESPONSE);
    if (!opts->endpoint || !*opts->endpoint) {
        cr_error_set("sts %s: no endpoint", op);
        return CR_EINVALID;
    }
    return s_host_and_path(&h->host, &h->path, opts->endpoint);
}

static void s_http_dispose(struct s_http *h)
{
    cr_buf_dispose(&h->host);
    cr_buf_dispose(&h->path);
    cr_buf_dispose_secure(&h->response);
}

int cr_sts_assume_role_with_web_identity(struct cr_aws_credentials *out,
                                         const struct cr_sts_options *opts, const char *role_arn,
                                         const char *session_name, const char *token)
{
    int result = CR_ENOMEM, rc;
    struct s_http h;
    struct cr_buf body = CR_BUF_INIT;
    rc = s_http_init(&h, "AssumeRoleWithWebIdentity", opts);
    if (rc < 0) {
        result = rc;
        goto done;
    }
    cr_buf_puts(&body, "Action=AssumeRoleWithWebIdentity&Version=" S_VERSION);
    s_form_param(&body, "RoleArn", role_arn);
    s_form_param(&body, "RoleSessionName", session_name);
    s_form_param(&body, "WebIdentityToken", token);
    if (cr_buf_oom(&body)) {
        cr_error_set("sts AssumeRoleWithWebIdentity: out of memory");
        goto done;
    }
    /* An unsigned call: the web identity token is the proof. */
    rc = s_post(&h, opts, cr_buf_cstr(&body), NULL, NULL);
    if (rc == 0)
        rc = cr_sts_parse_credentials(out, cr_buf_cstr(&h.response), h.response.len);
    result = rc;
done:
    cr_buf_dispose_secure(&body);
    s_http_dispose(&h);
    return result;
}

static int s_sign_caller_identity(struct curl_slist **headers, const struct s_http *h,
                                  const struct cr_sts_options *opts, const char *body,
                                  const void *ctx)
{
    const struct cr_aws_credentials *creds = ctx;
    int result = CR_ENOMEM, rc;
    struct cr_sigv4_signed sig;
    struct cr_sigv4_header in[] =
        {
            {"Host", cr_buf_cstr(&h->host)},
            {"Content-Type", "application/x-www-form-urlencoded; charset=utf-8"},
        },
                           add[4];
    struct cr_sigv4_request req = {"POST", cr_buf_cstr(&h->path), "", in, 2, cr_span_from(body)};
    struct cr_sigv4_params params = {
        .access_key_id = cr_buf_cstr(&creds->access_key_id),
        .secret_access_key = cr_buf_cstr(&creds->secret_access_key),
        .session_token = cr_buf_cstr(&creds->session_token),
        .region = opts->region ? opts->region : "us-east-1",
        .service = "sts",
        .time_s = cr_aws_env_now(opts->env),
        .normalize_path = true,
    };
    cr_sigv4_signed_init(&sig);
    rc = cr_sigv4_sign_headers(&sig, &req, &params, NULL);
    if (rc < 0) {
        result = rc;
        goto done;
    }
    size_t n = cr_sigv4_signed_headers(&sig, add);
    for (size_t i = 0; i < n; i++) {
        struct cr_buf line = CR_BUF_INIT;
        cr_buf_printf(&line, "%s: %s", add[i].name, add[i].value);
        struct curl_slist *tmp = cr_buf_oom(&line) ? NULL : curl_slist_append(*headers, line.ptr);
        cr_buf_dispose_secure(&line);
        if (!tmp)
            goto done;
        *headers = tmp;
    }
    result = 0;
done:
    cr_sigv4_signed_dispose(&sig);
    return result;
}

int cr_sts_get_caller_identity(struct cr_buf *out, const struct cr_sts_options *opts,
                               const struct cr_aws_credentials *creds)
{
    int rc;
    struct s_http h;
    rc = s_http_init(&h, "GetCallerIdentity", opts);
    if (rc == 0)
        rc = s_post(&h, opts, "Action=GetCallerIdentity&Version=" S_VERSION, s_sign_caller_identity,
                    creds);
    if (rc == 0)
        rc = cr_sts_parse_account(out, cr_buf_cstr(&h.response), h.response.len);
    s_http_dispose(&h);
    return rc;
}
