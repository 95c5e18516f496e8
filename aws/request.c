/* SPDX-License-Identifier: Apache-2.0 */
/*
 * The generic request path (aws/request.h): per request, URL -> Host and signing path, SigV4
 * per attempt, the shared retry policy with a backoff that never blocks the other requests,
 * clock-skew correction, renewal of credentials the service calls expired, one redacted debug
 * line per attempt. Attempts go through aws/http.c's libcurl multi transport.
 */
#include "aws/request.h"

#include <ctype.h>
#include <jansson.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>
#include <unistd.h>

#include <curl/curl.h>

#include "aws/credentials.h"
#include "aws/redact.h"
#include "aws/stats.h"
#include "aws/sigv4.h"
#include "aws/xml.h"
#include "util/log.h"
#include "util/strutil.h"

#define S_DEFAULT_CONNECTIONS 8
#define S_KEY_CACHES          4 /* signing keys kept: one per (service, region) in use */
#define S_POLL_MAX_MS         1000

struct cr_aws_transport {
    struct cr_aws_env env;
    bool has_env;
    struct cr_http *http;
    struct cr_retry_policy policy;
    unsigned parallelism;
    bool debug;
    bool debug_headers;
    int64_t clock_offset_s; /* server time - our time, learnt from a skew error */
    struct cr_sigv4_key_cache keys[S_KEY_CACHES];
    unsigned next_key;
    cr_aws_random_fn *random;
    void *random_ctx;
    uint64_t rng; /* xorshift64* state for the default jitter source */
};

/* ---- logging ---- */

static bool s_debug_on(bool debug)
{
    return debug || cr_log_debug_enabled();
}

void cr_aws_debug_line(bool debug, const char *line)
{
    if (!s_debug_on(debug))
        return;
    struct cr_buf out = CR_BUF_INIT;
    cr_buf_puts(&out, "debug: aws ");
    /* one fputs, so parallel writers do not interleave */
    if (cr_redact_text(&out, line, strlen(line)) == 0 && cr_buf_putc(&out, '\n') == 0)
        fputs(out.ptr, stderr);
    cr_buf_dispose(&out);
}

/* ---- the transport ---- */

static double s_default_random(void *ctx)
{
    struct cr_aws_transport *t = ctx;
    /* xorshift64*: plenty for jitter, which only needs to de-synchronise clients */
    t->rng ^= t->rng >> 12;
    t->rng ^= t->rng << 25;
    t->rng ^= t->rng >> 27;
    uint64_t r = t->rng * 0x2545F4914F6CDD1DULL;
    return (double)(r >> 11) / (double)(1ULL << 53);
}

static void s_seed(struct cr_aws_transport *t)
{
    uint64_t seed = 0;
    if (getentropy(&seed, sizeof(seed)) != 0 || seed == 0)
        seed = cr_now_ms() ^ ((uint64_t)getpid() << 32) ^ 0x9E3779B97F4A7C15ULL;
    t->rng = seed ? seed : 1;
}

void cr_aws__transport_set_random(struct cr_aws_transport *t, cr_aws_random_fn *fn, void *ctx)
{
    t->random = fn ? fn : s_default_random;
    t->random_ctx = fn ? ctx : t;
}

int cr_aws_transport_new(struct cr_aws_transport **out, const struct cr_aws_transport_options *opts)
{
    static const struct cr_aws_transport_options none;
    int result = 0;
    struct cr_aws_transport *t = calloc(1, sizeof(*t));
    *out = NULL;
    if (!opts)
        opts = &none;
    if (!t) {
        cr_error_set("out of memory creating the AWS transport");
        return CR_ENOMEM;
    }
    if (opts->env) {
        t->env = *opts->env;
        t->has_env = true;
    }
    t->policy = opts->policy;
    if (!t->policy.max_attempts)
        cr_retry_policy_default(&t->policy);
    t->parallelism = opts->max_connections ? opts->max_connections : S_DEFAULT_CONNECTIONS;
    t->debug = opts->debug;
    t->debug_headers = opts->debug_headers;
    for (size_t i = 0; i < S_KEY_CACHES; i++)
        cr_sigv4_key_cache_init(&t->keys[i]);
    s_seed(t);
    cr_aws__transport_set_random(t, NULL, NULL);
    struct cr_http_options hopts = {
        .max_connections = t->parallelism,
        .connect_timeout_ms = opts->connect_timeout_ms,
        .timeout_ms = opts->timeout_ms,
        .max_response_bytes = opts->max_response_bytes,
        .ca_bundle = opts->ca_bundle, /* replaces the trust store; never fewer checks */
    };
    result = cr_http_new(&t->http, &hopts);
    if (result < 0)
        goto done;
    *out = t;
    t = NULL; /* now owned by the caller */
done:
    cr_aws_transport_free(t);
    return result;
}

void cr_aws_transport_free(struct cr_aws_transport *t)
{
    if (!t)
        return;
    cr_http_free(t->http);
    for (size_t i = 0; i < S_KEY_CACHES; i++)
        cr_sigv4_key_cache_dispose(&t->keys[i]);
    free(t);
}

const struct cr_aws_env *cr_aws_transport_env(const struct cr_aws_transport *t)
{
    return t->has_env ? &t->env : NULL;
}

int64_t cr_aws_transport_clock_offset(const struct cr_aws_transport *t)
{
    return t->clock_offset_s;
}

unsigned long cr_aws_transport_connections(const struct cr_aws_transport *t)
{
    return cr_http_connections_opened(t->http);
}

/* The key cache for (service, region): the one already holding it, else a free one, else
 * the next in turn (the cache itself checks date and secret, so a wrong pick only costs a
 * derivation). */
static struct cr_sigv4_key_cache *s_key_cache(struct cr_aws_transport *t, const char *service,
                                              const char *region)
{
    for (size_t i = 0; i < S_KEY_CACHES; i++) {
        struct cr_sigv4_key_cache *k = &t->keys[i];
        if (k->valid && strcmp(k->service, service) == 0 && strcmp(k->region, region) == 0)
            return k;
    }
    for (size_t i = 0; i < S_KEY_CACHES; i++) {
        if (!t->keys[i].valid)
            return &t->keys[i];
    }
    return &t->keys[t->next_key++ % S_KEY_CACHES];
}

/* ---- errors ---- */

/* Copies printable ASCII of a body we cannot read (an HTML error page) so the message stays
 * one readable line; runs of whitespace become one space. */
static void s_snippet(char *dst, size_t cap, const char *body, size_t len)
{
    size_t n = 0;
    bool space = false;
    for (size_t i = 0; i < len && n + 4 < cap; i++) {
        unsigned char c = (unsigned char)body[i];
        if (isspace(c)) {
            space = n > 0;
            continue;
        }
        if (c < 0x20 || c > 0x7e)
            continue;
        if (space)
            dst[n++] = ' ';
        space = false;
        dst[n++] = (char)c;
    }
    dst[n] = '\0';
}

/* Sets the type: "aws.protocols#ThrottlingException:http://..." -> "ThrottlingException". */
static void s_set_type(struct cr_aws_error *out, const char *type)
{
    const char *hash = strrchr(type, '#');
    snprintf(out->type, sizeof(out->type), "%s", hash ? hash + 1 : type);
    char *colon = strchr(out->type, ':');
    if (colon)
        *colon = '\0';
}

static const char *s_json_str(json_t *obj, const char *key)
{
    return json_string_value(json_object_get(obj, key));
}

/* JSON 1.0/1.1, REST-JSON and the query protocol's JSON flavour. */
static bool s_decode_json(struct cr_aws_error *out, const char *body, size_t len)
{
    json_t *root = json_loadb(body, len, 0, NULL);
    if (!json_is_object(root)) {
        json_decref(root);
        return false;
    }
    json_t *e = json_object_get(root, "Error");
    json_t *scope = json_is_object(e) ? e : root;
    const char *type = s_json_str(scope, "__type");
    if (!type)
        type = s_json_str(scope, "code");
    if (!type)
        type = s_json_str(scope, "Code");
    const char *msg = s_json_str(scope, "message");
    if (!msg)
        msg = s_json_str(scope, "Message");
    if (type)
        s_set_type(out, type);
    if (msg)
        snprintf(out->message, sizeof(out->message), "%s", msg);
    json_decref(root);
    return true;
}

/* <ErrorResponse><Error><Code>..</Code><Message>..</Message></Error> (STS) and
 * <Error><Code>..</Code>..</Error> (S3), of any service's namespace. A body that is not
 * well-formed XML, or has no <Code>, is not decoded (the caller quotes it instead). */
static bool s_decode_xml(struct cr_aws_error *out, const char *body, size_t len)
{
    struct cr_xml_doc *doc = NULL;
    struct cr_buf text = CR_BUF_INIT;
    /* the reader sets a message when the body is not XML; this is a best effort */
    char saved[512];
    snprintf(saved, sizeof(saved), "%s", cr_error_last());
    if (cr_xml_parse(&doc, body, len, NULL) == 0) {
        const struct cr_xml_node *scope = cr_xml_top(doc);
        cr_xml_find(&scope, scope, "Error"); /* else the whole document */
        if (cr_xml_text(&text, scope, "Code") == 0)
            s_set_type(out, cr_buf_cstr(&text));
        cr_buf_clear(&text);
        if (out->type[0] && cr_xml_text(&text, scope, "Message") == 0)
            snprintf(out->message, sizeof(out->message), "%s", cr_buf_cstr(&text));
    }
    cr_xml_free(doc);
    cr_buf_dispose(&text);
    cr_error_set("%s", saved);
    return out->type[0] != '\0';
}

void cr_aws_error_decode(struct cr_aws_error *out, long http_status, const char *body, size_t len)
{
    memset(out, 0, sizeof(*out));
    out->http_status = http_status;
    if (!body)
        len = 0;
    size_t i = 0;
    while (i < len && isspace((unsigned char)body[i]))
        i++;
    if (i < len && body[i] == '{' && s_decode_json(out, body, len))
        return;
    if (i < len && body[i] == '<' && s_decode_xml(out, body, len))
        return;
    char snip[200];
    s_snippet(snip, sizeof(snip), body ? body : "", len);
    if (len)
        snprintf(out->message, sizeof(out->message), "HTTP %ld with a non-JSON body: %s",
                 http_status, snip);
    else
        snprintf(out->message, sizeof(out->message), "HTTP %ld with an empty body", http_status);
}

/* ---- requests ---- */

void cr_aws_request_init(struct cr_aws_request *req)
{
    memset(req, 0, sizeof(*req));
}

void cr_aws_request_dispose(struct cr_aws_request *req)
{
    if (!req)
        return;
    cr_buf_dispose(&req->response);
    cr_buf_dispose(&req->response_headers);
}

const char *cr_aws_request_header(const struct cr_aws_request *req, const char *name)
{
    return cr_http_header_find(&req->response_headers, name);
}

/* The request's name for logs and messages: its own, or "METHOD URL". */
static void s_name(char *out, size_t cap, const struct cr_aws_request *req)
{
    if (req->name && *req->name)
        snprintf(out, cap, "%s", req->name);
    else
        snprintf(out, cap, "%s %s", req->method ? req->method : "?", req->url ? req->url : "?");
}

static bool s_is_transport_failure(int result)
{
    return result == CR_EIO || result == CR_ETIMEOUT || result == CR_ELIMIT ||
           result == CR_ENOMEM || result == CR_EINVALID;
}

int cr_aws_request_describe(struct cr_buf *out, const struct cr_aws_request *req)
{
    struct cr_buf line = CR_BUF_INIT;
    char name[512];
    s_name(name, sizeof(name), req);
    cr_buf_printf(&line, "%s: ", name);
    if (req->result == CR_EAMBIGUOUS)
        cr_buf_puts(&line, "outcome unknown (the request may have been acted on; find out before "
                           "sending it again): ");
    if (req->error.type[0])
        cr_buf_printf(&line, "%s: ", req->error.type);
    else if (req->status && !s_is_transport_failure(req->result))
        cr_buf_printf(&line, "HTTP %ld: ", req->status);
    cr_buf_puts(&line, req->error.message[0] ? req->error.message : cr_error_name(req->result));
    if (req->attempts > 1)
        cr_buf_printf(&line, " (after %u attempts)", req->attempts);
    /* a service may quote what we sent back at us: never a token or key in a message */
    int rc = cr_buf_oom(&line) ? CR_ENOMEM : cr_redact_text(out, line.ptr, line.len);
    cr_buf_dispose(&line);
    if (rc < 0)
        cr_error_set("out of memory describing a failed request");
    return rc;
}

/* ---- one request's progress through the perform loop ---- */

struct s_batch {
    size_t remaining; /* requests of one cr_aws_perform_requests() call not done yet */
};

struct s_slot {
    struct cr_aws_request *req;
    struct s_batch *batch;
    struct cr_http_request http;
    struct cr_sigv4_signed sig;
    /* the provider's set sig was made with (its session token is a header that goes out),
     * released when the slot signs again or goes; NULL for fixed credentials */
    const struct cr_aws_credentials *held;
    struct cr_http_header *headers;  /* what goes out: the caller's, Host, the signer's */
    struct cr_sigv4_header *to_sign; /* the caller's and Host, as the signer takes them */
    size_t n_to_sign;
    struct cr_buf url, host, path, query;
    const struct cr_retry_policy *policy;
    char name[512];
    bool skew_retried; /* one immediate re-sign after a clock-skew correction */
    bool renewed;      /* one immediate re-send with renewed credentials after ExpiredToken */
    bool pending;      /* waiting to (re)start */
    bool done;
    uint64_t not_before_ms;
    uint64_t waited_ms;
    uint64_t sent_ms; /* when the bucket let the current attempt through */
};

static void s_slot_done(struct s_slot *slot)
{
    slot->done = true;
    slot->pending = false;
    slot->batch->remaining--;
}

/* Ends a request before or between attempts with code and the current error message. */
static void s_slot_fail(struct s_slot *slot, int code)
{
    slot->req->result = code;
    snprintf(slot->req->error.message, sizeof(slot->req->error.message), "%s", cr_error_last());
    s_slot_done(slot);
}

static bool s_has_header(const struct cr_aws_request *req, const char *name)
{
    for (size_t i = 0; i < req->header_count; i++)
        if (req->headers[i].name && strcasecmp(req->headers[i].name, name) == 0)
            return true;
    return false;
}

/* Splits the URL with libcurl's own parser, so the Host and path we sign are the ones libcurl
 * sends: Host is host[:port] with the port only when it is not the scheme's default (as
 * libcurl writes it), the path as in the URL ("/" when none), the query raw. */
static int s_parse_url(struct s_slot *slot)
{
    int result = CR_EINVALID;
    const char *url = slot->req->url ? slot->req->url : "";
    CURLU *u = curl_url();
    char *scheme = NULL, *host = NULL, *port = NULL, *path = NULL, *query = NULL, *full = NULL;
    if (!u) {
        cr_error_set("out of memory parsing URL");
        return CR_ENOMEM;
    }
    if (curl_url_set(u, CURLUPART_URL, url, 0) != CURLUE_OK ||
        curl_url_get(u, CURLUPART_SCHEME, &scheme, 0) != CURLUE_OK ||
        curl_url_get(u, CURLUPART_HOST, &host, 0) != CURLUE_OK ||
        curl_url_get(u, CURLUPART_URL, &full, 0) != CURLUE_OK) {
        cr_error_set("URL '%s' is not valid", url);
        goto done;
    }
    if (strcmp(scheme, "https") != 0 && strcmp(scheme, "http") != 0) {
        cr_error_set("URL '%s': only http and https URLs are used", url);
        goto done;
    }
    cr_buf_puts(&slot->host, host);
    if (curl_url_get(u, CURLUPART_PORT, &port, 0) == CURLUE_OK &&
        !(strcmp(scheme, "https") == 0 && strcmp(port, "443") == 0) &&
        !(strcmp(scheme, "http") == 0 && strcmp(port, "80") == 0))
        cr_buf_printf(&slot->host, ":%s", port);
    if (curl_url_get(u, CURLUPART_PATH, &path, 0) != CURLUE_OK || !path || !*path)
        cr_buf_puts(&slot->path, "/");
    else
        cr_buf_puts(&slot->path, path);
    if (curl_url_get(u, CURLUPART_QUERY, &query, 0) == CURLUE_OK && query)
        cr_buf_puts(&slot->query, query);
    cr_buf_puts(&slot->url, full);
    if (cr_buf_oom(&slot->host) || cr_buf_oom(&slot->path) || cr_buf_oom(&slot->query) ||
        cr_buf_oom(&slot->url)) {
        cr_error_set("out of memory parsing URL");
        result = CR_ENOMEM;
        goto done;
    }
    result = 0;
done:
    curl_free(scheme);
    curl_free(host);
    curl_free(port);
    curl_free(path);
    curl_free(query);
    curl_free(full);
    curl_url_cleanup(u);
    return result;
}

/* The parts of a slot that do not change between attempts: URL, the headers to sign. */
static int s_slot_prepare(struct cr_aws_transport *t, struct s_slot *slot)
{
    const struct cr_aws_request *req = slot->req;
    bool add_host = !s_has_header(req, "Host");
    size_t n = req->header_count + (add_host ? 1 : 0);
    int rc = s_parse_url(slot);
    if (rc < 0)
        return rc;
    /* room for the caller's headers, Host, and the four the signer adds */
    slot->headers = calloc(n + 4, sizeof(*slot->headers));
    slot->to_sign = calloc(n ? n : 1, sizeof(*slot->to_sign));
    if (!slot->headers || !slot->to_sign) {
        cr_error_set("out of memory preparing the request");
        return CR_ENOMEM;
    }
    for (size_t i = 0; i < req->header_count; i++) {
        slot->headers[i] = req->headers[i];
        slot->to_sign[i] = (struct cr_sigv4_header){req->headers[i].name, req->headers[i].value};
    }
    if (add_host) {
        slot->headers[n - 1] = (struct cr_http_header){"Host", cr_buf_cstr(&slot->host)};
        slot->to_sign[n - 1] = (struct cr_sigv4_header){"Host", cr_buf_cstr(&slot->host)};
    }
    slot->n_to_sign = n;
    slot->policy = req->policy ? req->policy : &t->policy;
    return 0;
}

/* The credentials to sign with: the provider's current ones (refreshed when due), held by the
 * slot from now on, or fixed ones. */
static int s_credentials(struct s_slot *slot, const struct cr_aws_credentials **out)
{
    const struct cr_aws_signing *s = &slot->req->sign;
    if (s->provider) {
        int rc = cr_aws_credentials_provider_acquire(s->provider, out);
        if (rc < 0)
            return rc;
        cr_aws_credentials_release(slot->held); /* the last attempt's, which is over */
        slot->held = *out;
        return 0;
    }
    if (!s->credentials) {
        cr_error_set("no credentials to sign with");
        return CR_EINVALID;
    }
    *out = s->credentials;
    return 0;
}

/* Signs a fresh attempt (a new X-Amz-Date every time). Returns how many headers go out. */
static int s_sign(struct cr_aws_transport *t, struct s_slot *slot, size_t *n_headers)
{
    const struct cr_aws_request *req = slot->req;
    const struct cr_aws_signing *s = &req->sign;
    const struct cr_aws_credentials *creds = NULL;
    *n_headers = slot->n_to_sign;
    if (!s->service)
        return 0;
    int rc = s_credentials(slot, &creds);
    if (rc < 0)
        return rc;
    struct cr_sigv4_request sreq = {
        .method = req->method,
        .path = cr_buf_cstr(&slot->path),
        .query = cr_buf_cstr(&slot->query),
        .headers = slot->to_sign,
        .header_count = slot->n_to_sign,
        .body = cr_span_of(req->body ? req->body : "", req->body_len),
    };
    struct cr_sigv4_params params = {
        .access_key_id = cr_buf_cstr(&creds->access_key_id),
        .secret_access_key = cr_buf_cstr(&creds->secret_access_key),
        .session_token = creds->session_token.len ? cr_buf_cstr(&creds->session_token) : NULL,
        .region = s->region,
        .service = s->service,
        .time_s = cr_aws_env_now(cr_aws_transport_env(t)) + t->clock_offset_s,
        .normalize_path = !s->no_normalize_path,
        .add_content_sha256 = s->content_sha256,
        .unsigned_payload = s->unsigned_payload,
    };
    cr_sigv4_signed_dispose(&slot->sig);
    cr_sigv4_signed_init(&slot->sig);
    rc = cr_sigv4_sign_headers(&slot->sig, &sreq, &params,
                               s_key_cache(t, s->service, s->region ? s->region : ""));
    if (rc < 0)
        return rc;
    struct cr_sigv4_header added[4];
    size_t n = cr_sigv4_signed_headers(&slot->sig, added);
    for (size_t i = 0; i < n; i++)
        slot->headers[slot->n_to_sign + i] = (struct cr_http_header){added[i].name, added[i].value};
    *n_headers = slot->n_to_sign + n;
    return 0;
}

static void s_debug_headers(const struct cr_aws_transport *t, const struct s_slot *slot, size_t n)
{
    if (!s_debug_on(t->debug) || !t->debug_headers)
        return;
    struct cr_buf line = CR_BUF_INIT;
    cr_buf_printf(&line, "%s attempt=%u > %s %s", slot->name, slot->req->attempts,
                  slot->req->method, cr_buf_cstr(&slot->url));
    for (size_t i = 0; i < n; i++) {
        cr_buf_puts(&line, " | ");
        if (cr_redact_header(&line, slot->headers[i].name, slot->headers[i].value) < 0)
            break;
    }
    if (!cr_buf_oom(&line))
        cr_aws_debug_line(true, line.ptr);
    cr_buf_dispose(&line);
}

/* Starts one attempt. A failure here (no credentials, a request that cannot be sent) ends the
 * request. */
static void s_start(struct cr_aws_transport *t, struct s_slot *slot)
{
    struct cr_aws_request *req = slot->req;
    size_t n = 0;
    /* the caller's last word before the attempt goes out (apply's run lock) */
    int rc = req->gate ? req->gate(req->gate_ctx) : 0;
    if (rc < 0) {
        s_slot_fail(slot, rc);
        return;
    }
    /* signing may renew credentials through a nested perform on this transport */
    rc = s_sign(t, slot, &n);
    if (rc < 0) {
        s_slot_fail(slot, rc);
        return;
    }
    req->attempts++;
    slot->http.method = req->method;
    slot->http.url = cr_buf_cstr(&slot->url);
    slot->http.headers = slot->headers;
    slot->http.header_count = n;
    slot->http.body = req->body;
    slot->http.body_len = req->body_len;
    slot->http.connect_timeout_ms = req->connect_timeout_ms;
    slot->http.timeout_ms = req->timeout_ms;
    slot->http.max_response_bytes = req->max_response_bytes;
    slot->http.user = slot;
    /* libcurl re-sends a request on its own when a reused connection died before answering:
     * a request that must arrive at most once never rides a reused connection */
    slot->http.fresh_connection = req->at_most_once;
    s_debug_headers(t, slot, n);
    rc = cr_http_start(t->http, &slot->http);
    if (rc < 0) {
        s_slot_fail(slot, rc);
        return;
    }
    slot->pending = false;
}

static void s_debug_attempt(const struct cr_aws_transport *t, const struct s_slot *slot,
                            enum cr_retry_decision d, uint32_t backoff_ms)
{
    if (!s_debug_on(t->debug))
        return;
    const struct cr_aws_request *req = slot->req;
    const struct cr_http_request *r = &slot->http;
    struct cr_buf line = CR_BUF_INIT;
    cr_buf_printf(&line, "%s attempt=%u status=%ld duration_ms=%llu request_id=%s", slot->name,
                  req->attempts, r->status, (unsigned long long)r->duration_ms,
                  r->request_id[0] ? r->request_id : "-");
    if (req->error.type[0])
        cr_buf_printf(&line, " error=%s", req->error.type);
    if (r->error[0])
        cr_buf_printf(&line, " transport=\"%s\"", r->error);
    if ((d == CR_RETRY_THROTTLED || d == CR_RETRY_TRANSIENT) && backoff_ms != UINT32_MAX)
        cr_buf_printf(&line, " retry_in_ms=%u", backoff_ms);
    if (!cr_buf_oom(&line))
        cr_aws_debug_line(true, line.ptr);
    cr_buf_dispose(&line);
}

/* The final result of a request that will not be tried again. */
static int s_final_code(const struct cr_aws_request *req, const struct cr_http_request *r,
                        enum cr_retry_decision d)
{
    switch (d) {
    case CR_RETRY_SUCCESS:
        return 0;
    case CR_RETRY_AMBIGUOUS:
        return CR_EAMBIGUOUS;
    case CR_RETRY_THROTTLED:
        return CR_ETHROTTLED;
    default:
        break;
    }
    if (r->result < 0)
        return r->result; /* CR_EIO, CR_ETIMEOUT, CR_ELIMIT, CR_ENOMEM */
    if (cr_retry_is_auth_error(req->error.type) || r->status == 401 || r->status == 403)
        return cr_retry_is_throttle_type(req->error.type) ? CR_ETHROTTLED : CR_EAUTH;
    return CR_ESERVICE;
}

/* Moves the finished attempt's body and headers into the request (swaps, no copies). */
static void s_take_response(struct cr_aws_request *req, struct cr_http_request *r)
{
    struct cr_buf tmp = req->response;
    req->response = r->response;
    r->response = tmp;
    cr_buf_clear(&r->response);
    tmp = req->response_headers;
    req->response_headers = r->response_headers;
    r->response_headers = tmp;
}

/*
 * A request signed with a clock too far from the server's is refused ("Signature expired").
 * Like the AWS SDKs, learn the offset from the answer's Date header and sign again at once;
 * once per request, so a server with a wrong clock cannot make us loop. Every later signature
 * on this transport uses the offset. Returns true when the request should be re-sent now.
 */
static bool s_correct_skew(struct cr_aws_transport *t, struct s_slot *slot)
{
    const struct cr_http_request *r = &slot->http;
    const struct cr_aws_request *req = slot->req;
    if (!req->sign.service || slot->skew_retried || !r->date[0] ||
        !cr_retry_is_clock_skew(req->error.type, req->error.message) ||
        req->attempts >= slot->policy->max_attempts)
        return false;
    time_t server = curl_getdate(r->date, NULL);
    if (server < 0)
        return false;
    int64_t offset = (int64_t)server - cr_aws_env_now(cr_aws_transport_env(t));
    char line[640];
    snprintf(line, sizeof(line), "%s: clock skew: server time is %+lld s from ours; signing again",
             slot->name, (long long)offset);
    cr_aws_debug_line(t->debug, line);
    t->clock_offset_s = offset;
    slot->skew_retried = true;
    return true;
}

/*
 * Temporary credentials the service calls expired (ExpiredToken) although our clock said they
 * had time left: renew them and send again at once, once per request. The request was refused
 * before any work, so this is safe for at-most-once requests too. Keys that cannot be renewed
 * (environment, profile): the error stands. Returns true when the request should be re-sent.
 */
static bool s_renew_expired(struct cr_aws_transport *t, struct s_slot *slot)
{
    const struct cr_aws_request *req = slot->req;
    const char *type = req->error.type;
    if (!req->sign.service || !req->sign.provider || slot->renewed ||
        req->attempts >= slot->policy->max_attempts ||
        !(strcmp(type, "ExpiredTokenException") == 0 || strcmp(type, "ExpiredToken") == 0) ||
        !cr_aws_credentials_provider_reject(req->sign.provider))
        return false;
    char line[640];
    snprintf(line, sizeof(line), "%s: credentials expired early; renewing them and sending again",
             slot->name);
    cr_aws_debug_line(t->debug, line);
    slot->renewed = true;
    return true;
}

/* Credentials the service still calls expired in the end (renewing did not help, or they
 * cannot be renewed here): the message says which source to refresh. */
static void s_expired_advice(struct cr_aws_request *req)
{
    const char *type = req->error.type;
    if (!req->sign.provider ||
        !(strcmp(type, "ExpiredTokenException") == 0 || strcmp(type, "ExpiredToken") == 0))
        return;
    struct cr_buf advice = CR_BUF_INIT;
    if (cr_aws_credentials_provider_expired_advice(req->sign.provider, &advice) == 0) {
        size_t n = strlen(req->error.message);
        snprintf(req->error.message + n, sizeof(req->error.message) - n, " (%s)",
                 cr_buf_cstr(&advice));
    }
    cr_buf_dispose(&advice);
}

/* What one attempt tells: the status, the service's error (body, else x-amzn-ErrorType), or
 * the transport's failure. */
static void s_read_attempt(struct cr_aws_request *req, const struct cr_http_request *r)
{
    req->status = r->status;
    snprintf(req->request_id, sizeof(req->request_id), "%s", r->request_id);
    memset(&req->error, 0, sizeof(req->error));
    req->error.http_status = r->status;
    bool ok = r->result == 0 && r->status >= 200 && r->status < 300;
    if (r->result < 0) {
        snprintf(req->error.message, sizeof(req->error.message), "%s", r->error);
        return;
    }
    if (ok)
        return;
    cr_aws_error_decode(&req->error, r->status, r->response.ptr, r->response.len);
    const char *header_type = cr_http_response_header(r, "x-amzn-ErrorType");
    if (!req->error.type[0] && header_type)
        s_set_type(&req->error, header_type);
}

/* Decides what happens after an attempt: done, or pending again with a "not before" time so
 * the backoff never blocks the other requests in flight. */
static void s_after_attempt(struct cr_aws_transport *t, struct s_slot *slot, uint64_t now_ms)
{
    struct cr_aws_request *req = slot->req;
    struct cr_http_request *r = &slot->http;
    s_read_attempt(req, r);
    struct cr_retry_outcome outcome = {
        .transport = r->transport,
        .sent = r->sent,
        .http_status = r->status,
        .error_type = req->error.type,
    };
    enum cr_retry_decision d = req->retry ? req->retry(req->retry_ctx, req, &outcome)
                                          : cr_retry_decide(&outcome, req->at_most_once);
    cr_aws_stats_record(slot->name, r->result < 0 ? 0 : r->status, d == CR_RETRY_THROTTLED);
    /* the bucket learns how its rate fared (adaptive mode lowers it after a throttle) */
    if (req->bucket && r->result == 0)
        cr_ratelimit_observe(req->bucket, d == CR_RETRY_THROTTLED, slot->sent_ms, now_ms);
    if (d == CR_RETRY_THROTTLED || d == CR_RETRY_TRANSIENT) {
        uint32_t wait = cr_retry_backoff_ms(slot->policy, req->attempts, t->random(t->random_ctx));
        if (cr_retry_allowed(slot->policy, req->attempts, slot->waited_ms, wait)) {
            s_debug_attempt(t, slot, d, wait);
            slot->waited_ms += wait;
            slot->not_before_ms = now_ms + wait;
            slot->pending = true;
            return;
        }
    }
    s_debug_attempt(t, slot, d, UINT32_MAX);
    if (d == CR_RETRY_FAIL && (s_correct_skew(t, slot) || s_renew_expired(t, slot))) {
        slot->not_before_ms = now_ms;
        slot->pending = true;
        return;
    }
    req->result = s_final_code(req, r, d);
    s_expired_advice(req);
    s_take_response(req, r);
    s_slot_done(slot);
}

/* Starts every pending request of this batch whose time has come, within the parallelism
 * bound and its token bucket. Returns the earliest time a pending request wants to start. */
static uint64_t s_start_ready(struct cr_aws_transport *t, struct s_slot *slots, size_t n,
                              size_t *first)
{
    uint64_t now = cr_now_ms();
    uint64_t wake = UINT64_MAX;
    /* finished requests never start again: skip the done prefix, so a batch of thousands
     * costs O(parallelism + waiting) per turn instead of O(n) */
    while (*first < n && slots[*first].done)
        (*first)++;
    for (size_t i = *first; i < n; i++) {
        struct s_slot *s = &slots[i];
        /* at the bound nothing can start; a completion wakes the loop */
        if (cr_http_in_flight(t->http) >= t->parallelism)
            return UINT64_MAX;
        if (!s->pending)
            continue;
        if (s->not_before_ms > now) {
            wake = s->not_before_ms < wake ? s->not_before_ms : wake;
            continue;
        }
        uint64_t wait = s->req->bucket ? cr_ratelimit_try_acquire(s->req->bucket, now) : 0;
        s->sent_ms = now;
        if (wait) {
            s->not_before_ms = now + wait;
            wake = s->not_before_ms < wake ? s->not_before_ms : wake;
            continue;
        }
        s_start(t, s);
        now = cr_now_ms(); /* signing may have waited on a nested renewal */
    }
    return wake;
}

static uint32_t s_poll_wait(uint64_t wake)
{
    uint64_t now = cr_now_ms();
    /* with transfers running, completion wakes us; the bound keeps timers serviced */
    uint64_t wait = S_POLL_MAX_MS;
    if (wake != UINT64_MAX)
        wait = wake > now ? wake - now : 0;
    return (uint32_t)(wait > S_POLL_MAX_MS ? S_POLL_MAX_MS : wait);
}

static void s_reset_outputs(struct cr_aws_request *req)
{
    req->result = 0;
    req->status = 0;
    req->attempts = 0;
    req->request_id[0] = '\0';
    memset(&req->error, 0, sizeof(req->error));
    cr_buf_clear(&req->response);
    cr_buf_dispose(&req->response_headers);
}

static void s_slot_dispose(struct cr_aws_transport *t, struct s_slot *slot)
{
    cr_http_cancel(t->http, &slot->http); /* a no-op unless the loop stopped early */
    cr_http_request_dispose(&slot->http);
    cr_sigv4_signed_dispose(&slot->sig);
    cr_aws_credentials_release(slot->held);
    slot->held = NULL;
    free(slot->headers);
    free(slot->to_sign);
    cr_buf_dispose(&slot->url);
    cr_buf_dispose(&slot->host);
    cr_buf_dispose(&slot->path);
    cr_buf_dispose(&slot->query);
}

/* Drives the transport until every request of batch is done. Completions of requests of
 * other (outer) batches are handled too: they share the connections. */
static int s_run(struct cr_aws_transport *t, struct s_slot *slots, size_t n, struct s_batch *batch)
{
    size_t first = 0;
    while (batch->remaining > 0) {
        uint64_t wake = s_start_ready(t, slots, n, &first);
        if (batch->remaining == 0)
            break;
        if (cr_http_poll(t->http, s_poll_wait(wake)) < 0) {
            for (size_t i = 0; i < n; i++)
                if (!slots[i].done)
                    s_slot_fail(&slots[i], CR_EIO);
            return CR_EIO;
        }
        struct cr_http_request *r;
        for (r = cr_http_next_done(t->http); r; r = cr_http_next_done(t->http))
            s_after_attempt(t, r->user, cr_now_ms());
    }
    return 0;
}

int cr_aws_perform_requests(struct cr_aws_transport *t, struct cr_aws_request *reqs, size_t n)
{
    int result = 0;
    struct s_batch batch = {n};
    struct s_slot *slots = n ? calloc(n, sizeof(*slots)) : NULL;
    if (n && !slots) {
        cr_error_set("out of memory starting %zu requests", n);
        for (size_t i = 0; i < n; i++)
            reqs[i].result = CR_ENOMEM;
        return CR_ENOMEM;
    }
    for (size_t i = 0; i < n; i++) {
        struct s_slot *s = &slots[i];
        s->req = &reqs[i];
        s->batch = &batch;
        s->pending = true;
        cr_http_request_init(&s->http);
        cr_sigv4_signed_init(&s->sig);
        s_reset_outputs(&reqs[i]);
        s_name(s->name, sizeof(s->name), &reqs[i]);
        int rc = s_slot_prepare(t, s);
        if (rc < 0)
            s_slot_fail(s, rc);
    }
    result = s_run(t, slots, n, &batch);
    for (size_t i = 0; result == 0 && i < n; i++) {
        if (reqs[i].result == 0)
            continue;
        struct cr_buf msg = CR_BUF_INIT;
        if (cr_aws_request_describe(&msg, &reqs[i]) == 0)
            cr_error_set("%s", msg.ptr);
        cr_buf_dispose(&msg);
        result = reqs[i].result;
    }
    for (size_t i = 0; i < n; i++)
        s_slot_dispose(t, &slots[i]);
    free(slots);
    return result;
}

int cr_aws_request_run(struct cr_aws_transport *t, struct cr_aws_request *req)
{
    return cr_aws_perform_requests(t, req, 1);
}

/* ---- a stream: requests handed out one at a time ---- */

/* One stream's window: slots[i] holds a request of the caller's while active[i]. */
struct s_window {
    struct s_slot *slots;
    bool *active;
    size_t n;
    struct s_batch batch;
    bool draining; /* done() said CR_AWS_STREAM_DRAIN: nothing new goes out */
};

/* Draining: requests not sent yet never will be; they end unsent. */
static void s_window_unsend(struct s_window *w)
{
    for (size_t i = 0; i < w->n; i++) {
        struct s_slot *s = &w->slots[i];
        if (w->active[i] && s->pending && !s->done && s->req->attempts == 0) {
            cr_error_set("%s: not sent: the stream stopped first", s->name);
            s_slot_fail(s, CR_EREFUSED);
        }
    }
}

/* Fills the free slots from next(); *exhausted when next() had nothing to send now. */
static int s_window_fill(struct cr_aws_transport *t, struct s_window *w,
                         cr_aws_next_request_fn *next, void *ctx, bool *exhausted)
{
    *exhausted = false;
    for (size_t i = 0; i < w->n; i++) {
        if (w->active[i])
            continue;
        struct cr_aws_request *req = NULL;
        int rc = next(ctx, &req);
        if (rc < 0)
            return rc;
        if (!req) {
            *exhausted = true;
            return 0;
        }
        struct s_slot *s = &w->slots[i];
        memset(s, 0, sizeof(*s));
        s->req = req;
        s->batch = &w->batch;
        s->pending = true;
        w->batch.remaining++;
        w->active[i] = true;
        cr_http_request_init(&s->http);
        cr_sigv4_signed_init(&s->sig);
        s_reset_outputs(req);
        s_name(s->name, sizeof(s->name), req);
        rc = s_slot_prepare(t, s);
        if (rc < 0)
            s_slot_fail(s, rc);
    }
    return 0;
}

/* Hands every finished request to done(). Completions may also have been handled by a nested
 * run inside a callback (it drives the shared transport), so every slot is looked at. */
static int s_window_deliver(struct cr_aws_transport *t, struct s_window *w,
                            cr_aws_done_request_fn *done, void *ctx, bool *any)
{
    for (size_t i = 0; i < w->n; i++) {
        if (!w->active[i] || !w->slots[i].done)
            continue;
        struct cr_aws_request *req = w->slots[i].req;
        s_slot_dispose(t, &w->slots[i]);
        w->active[i] = false;
        *any = true;
        int rc = done(ctx, req);
        if (rc < 0)
            return rc;
        if (rc == CR_AWS_STREAM_DRAIN && !w->draining) {
            w->draining = true;
            s_window_unsend(w);
        }
    }
    return 0;
}

int cr_aws_perform_stream(struct cr_aws_transport *t, size_t window, cr_aws_next_request_fn *next,
                          cr_aws_done_request_fn *done, void *ctx)
{
    int result = 0;
    struct s_window w = {.n = window ? window : 1};
    w.slots = calloc(w.n, sizeof(*w.slots));
    w.active = calloc(w.n, sizeof(*w.active));
    if (!w.slots || !w.active) {
        cr_error_set("out of memory starting a stream of requests");
        result = CR_ENOMEM;
        goto done;
    }
    for (;;) {
        bool exhausted = w.draining, any = false;
        if (!w.draining)
            result = s_window_fill(t, &w, next, ctx, &exhausted);
        /* requests that failed before sending are done already: deliver before waiting */
        if (result == 0)
            result = s_window_deliver(t, &w, done, ctx, &any);
        if (result < 0)
            break;
        if (any)
            continue; /* done() may have made new work ready */
        if (w.batch.remaining == 0 && exhausted)
            break; /* nothing in flight, nothing to send */
        size_t first = 0;
        uint64_t wake = s_start_ready(t, w.slots, w.n, &first);
        if (cr_http_poll(t->http, s_poll_wait(wake)) < 0) {
            result = CR_EIO;
            break;
        }
        struct cr_http_request *r;
        for (r = cr_http_next_done(t->http); r; r = cr_http_next_done(t->http))
            s_after_attempt(t, r->user, cr_now_ms());
        result = s_window_deliver(t, &w, done, ctx, &any);
        if (result < 0)
            break;
    }
done:
    /* stopped early: the requests still held are cancelled, never passed to done() */
    for (size_t i = 0; w.active && i < w.n; i++)
        if (w.active[i])
            s_slot_dispose(t, &w.slots[i]);
    free(w.slots);
    free(w.active);
    return result;
}
