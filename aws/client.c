/* SPDX-License-Identifier: Apache-2.0 */
#include "aws/client.h"

#include <curl/curl.h>
#include <jansson.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "aws/credentials.h"
#include "aws/http.h"
#include "aws/ratelimit.h"
#include "aws/redact.h"
#include "aws/retry.h"
#include "aws/sigv4.h"
#include "aws/sts.h"
#include "util/log.h"
#include "util/strutil.h"

#define S_DEFAULT_PARALLELISM        8
#define S_DEFAULT_MAX_RETRY_MS       20000
#define S_DEFAULT_CONNECT_TIMEOUT_MS 5000
#define S_DEFAULT_TIMEOUT_MS         30000
#define S_DEFAULT_MAX_RESPONSE       (8u * 1024 * 1024)
#define S_LIST_PAGE_SIZE             60
#define S_LIST_MAX_PAGES             10000
#define S_SERVICE                    "cognito-identity"
#define S_TARGET_PREFIX              "AWSCognitoIdentityService."

struct cr_aws_client {
    struct cr_aws_env env;
    bool has_env;
    struct cr_aws_config cfg;
    struct cr_buf region;
    struct cr_buf endpoint; /* as resolved (what the user configured) */
    struct cr_buf url;      /* normalised, with a path: what we POST to */
    struct cr_buf host;     /* Host header value: host[:port] */
    struct cr_buf path;     /* path for signing */
    bool custom_endpoint;   /* --endpoint-url given: STS goes there too */
    struct cr_aws_credentials_provider *creds;
    struct cr_sigv4_key_cache key_cache;
    struct cr_http *http;
    struct cr_retry_policy policy;
    struct cr_ratelimit buckets[CR_OP_COUNT];
    unsigned parallelism;
    uint32_t connect_timeout_ms;
    uint32_t timeout_ms;
    bool debug;
    bool debug_headers;
    unsigned long requests[CR_OP_COUNT];
    struct cr_buf account_id;
    cr_aws_random_fn *random;
    void *random_ctx;
    uint64_t rng;           /* xorshift64* state for the default jitter source */
    int64_t clock_offset_s; /* server time - our time, learnt from a skew error */
};

/* ---- small helpers ---- */

static const struct cr_aws_env *s_env(const struct cr_aws_client *c)
{
    return c->has_env ? &c->env : NULL;
}

static bool s_debug_on(const struct cr_aws_client *c)
{
    return c->debug || cr_log_debug_enabled();
}

/* Writes one "debug: ..." line to stderr (one fputs, so parallel writers do not interleave). */
static void s_debug_line(const struct cr_aws_client *c, const char *line)
{
    if (!s_debug_on(c))
        return;
    struct cr_buf out = CR_BUF_INIT;
    cr_buf_puts(&out, "debug: aws ");
    if (cr_redact_text(&out, line, strlen(line)) == 0 && cr_buf_putc(&out, '\n') == 0)
        fputs(out.ptr, stderr);
    cr_buf_dispose(&out);
}

static double s_default_random(void *ctx)
{
    struct cr_aws_client *c = ctx;
    /* xorshift64*: plenty for jitter, which only needs to de-synchronise clients */
    c->rng ^= c->rng >> 12;
    c->rng ^= c->rng << 25;
    c->rng ^= c->rng >> 27;
    uint64_t r = c->rng * 0x2545F4914F6CDD1DULL;
    return (double)(r >> 11) / (double)(1ULL << 53);
}

static void s_seed(struct cr_aws_client *c)
{
    uint64_t seed = 0;
    if (getentropy(&seed, sizeof(seed)) != 0 || seed == 0)
        seed = cr_now_ms() ^ ((uint64_t)getpid() << 32) ^ 0x9E3779B97F4A7C15ULL;
    c->rng = seed ? seed : 1;
}

void cr_aws__client_set_random(struct cr_aws_client *client, cr_aws_random_fn *fn, void *ctx)
{
    client->random = fn ? fn : s_default_random;
    client->random_ctx = fn ? ctx : client;
}

unsigned long cr_aws__client_connections(const struct cr_aws_client *client)
{
    return cr_http_connections_opened(client->http);
}

/* ---- creation ---- */

/* Splits the endpoint URL into what we POST to, the Host header and the signing path, with
 * libcurl's own URL parser so the Host we sign is the host libcurl connects to. */
static int s_parse_endpoint(struct cr_aws_client *c)
{
    int result = CR_EINVALID;
    CURLU *u = curl_url();
    char *host = NULL, *port = NULL, *path = NULL, *url = NULL;
    if (!u) {
        result = CR_ENOMEM;
        cr_error_set("out of memory parsing the endpoint URL");
        goto done;
    }
    if (curl_url_set(u, CURLUPART_URL, cr_buf_cstr(&c->endpoint), 0) != CURLUE_OK ||
        curl_url_get(u, CURLUPART_HOST, &host, 0) != CURLUE_OK ||
        curl_url_get(u, CURLUPART_PATH, &path, 0) != CURLUE_OK ||
        curl_url_get(u, CURLUPART_URL, &url, 0) != CURLUE_OK) {
        cr_error_set("endpoint '%s': not a valid URL", cr_buf_cstr(&c->endpoint));
        goto done;
    }
    /* only an explicit port belongs in Host (libcurl sends it the same way) */
    if (curl_url_get(u, CURLUPART_PORT, &port, 0) != CURLUE_OK)
        port = NULL;
    cr_buf_puts(&c->host, host);
    if (port)
        cr_buf_printf(&c->host, ":%s", port);
    cr_buf_puts(&c->path, path && *path ? path : "/");
    cr_buf_puts(&c->url, url);
    if (cr_buf_oom(&c->host) || cr_buf_oom(&c->path) || cr_buf_oom(&c->url)) {
        result = CR_ENOMEM;
        cr_error_set("out of memory parsing the endpoint URL");
        goto done;
    }
    result = 0;
done:
    curl_free(host);
    curl_free(port);
    curl_free(path);
    curl_free(url);
    curl_url_cleanup(u);
    return result;
}

static void s_apply_options(struct cr_aws_client *c, const struct cr_aws_options *o)
{
    c->parallelism = o->parallelism ? o->parallelism : S_DEFAULT_PARALLELISM;
    c->connect_timeout_ms =
        o->connect_timeout_ms ? o->connect_timeout_ms : S_DEFAULT_CONNECT_TIMEOUT_MS;
    c->timeout_ms = o->timeout_ms ? o->timeout_ms : S_DEFAULT_TIMEOUT_MS;
    cr_retry_policy_default(&c->policy);
    if (o->max_attempts)
        c->policy.max_attempts = o->max_attempts;
    c->policy.max_total_ms = o->max_retry_ms ? o->max_retry_ms : S_DEFAULT_MAX_RETRY_MS;
    if (o->retry_base_ms)
        c->policy.base_ms = o->retry_base_ms;
    if (o->retry_cap_ms)
        c->policy.cap_ms = o->retry_cap_ms;
    c->debug = o->debug;
    c->debug_headers = o->debug_headers;
    if (o->env) {
        c->env = *o->env;
        c->has_env = true;
    }
    c->custom_endpoint = o->endpoint_url && *o->endpoint_url;
}

/* Logs the operations that are rate limited, so --debug shows what a specification did. */
static void s_debug_rates(const struct cr_aws_client *c)
{
    struct cr_buf line = CR_BUF_INIT;
    cr_buf_puts(&line, "rate limits:");
    for (int op = 0; op < CR_OP_COUNT; op++) {
        const struct cr_ratelimit *rl = &c->buckets[op];
        if (cr_ratelimit_is_limited(rl))
            cr_buf_printf(&line, " %s=%g:%g", cr_cognito_op_name((enum cr_cognito_op)op),
                          rl->rate_per_second, rl->burst);
    }
    if (!cr_buf_oom(&line))
        s_debug_line(c, line.ptr);
    cr_buf_dispose(&line);
}

/* Token buckets: defaults < COGNITO_RECONCILE_RATE_LIMITS < opts->rate_limits < the arrays. */
static int s_init_buckets(struct cr_aws_client *c, const struct cr_aws_options *o)
{
    double rates[CR_OP_COUNT] = {0}, bursts[CR_OP_COUNT] = {0};
    int rc = cr_ratelimit_parse_spec(rates, bursts, cr_aws_env_get(s_env(c), CR_RATELIMIT_ENV),
                                     CR_RATELIMIT_ENV);
    if (rc < 0)
        return rc;
    rc = cr_ratelimit_parse_spec(rates, bursts, o->rate_limits, "--rate-limit");
    if (rc < 0)
        return rc;
    uint64_t now = cr_now_ms();
    for (int op = 0; op < CR_OP_COUNT; op++) {
        double rate = o->rate_per_second[op] != 0 ? o->rate_per_second[op] : rates[op];
        double burst = o->rate_burst[op] != 0 ? o->rate_burst[op] : bursts[op];
        if (rate == 0)
            rate = cr_ratelimit_default_rate((enum cr_cognito_op)op);
        cr_ratelimit_init(&c->buckets[op], rate > 0 ? rate : 0, burst, now);
    }
    s_debug_rates(c);
    return 0;
}

/* Where region, endpoint and credentials came from (names only, never a key), for --debug. */
static void s_debug_setup(const struct cr_aws_client *c)
{
    struct cr_buf line = CR_BUF_INIT;
    cr_buf_printf(&line, "client region=%s endpoint=%s profile=%s credentials=%s",
                  cr_buf_cstr(&c->region), cr_buf_cstr(&c->url), cr_buf_cstr(&c->cfg.profile),
                  cr_aws_credentials_provider_source(c->creds));
    if (!cr_buf_oom(&line))
        s_debug_line(c, line.ptr);
    cr_buf_dispose(&line);
}

/* The credentials chain, with the client's environment and timeouts for STS. */
static int s_credentials_new(struct cr_aws_client *c, const struct cr_aws_options *opts)
{
    struct cr_aws_credentials_options copts = {
        .profile = opts->profile,
        .region = cr_buf_cstr(&c->region),
        .env = s_env(c),
        .connect_timeout_ms = c->connect_timeout_ms,
        .timeout_ms = c->timeout_ms,
    };
    return cr_aws_credentials_provider_new(&c->creds, &copts);
}

/* The libcurl multi transport. TLS verification is always on (aws/http.c has no switch). */
static int s_transport_new(struct cr_aws_client *c, const struct cr_aws_options *opts)
{
    struct cr_http_options hopts = {
        .ca_bundle = cr_aws_config_ca_bundle(&c->cfg, s_env(c)), /* a private CA, still verified */
        .max_connections = c->parallelism,
        .connect_timeout_ms = c->connect_timeout_ms,
        .timeout_ms = c->timeout_ms,
        .max_response_bytes =
            opts->max_response_bytes ? opts->max_response_bytes : S_DEFAULT_MAX_RESPONSE,
    };
    return cr_http_new(&c->http, &hopts);
}

int cr_aws_client_new(struct cr_aws_client **out, const struct cr_aws_options *opts)
{
    static const struct cr_aws_options none;
    int result = CR_ENOMEM;
    struct cr_aws_client *c = calloc(1, sizeof(*c));
    *out = NULL;
    if (!opts)
        opts = &none;
    if (!c) {
        cr_error_set("out of memory creating the AWS client");
        goto done;
    }
    cr_aws_config_init(&c->cfg);
    cr_sigv4_key_cache_init(&c->key_cache);
    s_apply_options(c, opts);
    result = s_init_buckets(c, opts);
    if (result < 0)
        goto done;
    s_seed(c);
    cr_aws__client_set_random(c, NULL, NULL);
    result = cr_aws_config_load(&c->cfg, s_env(c), opts->profile);
    if (result < 0)
        goto done;
    result = cr_aws_config_region(&c->region, &c->cfg, s_env(c), opts->region);
    if (result < 0)
        goto done;
    result = cr_aws_config_endpoint(&c->endpoint, &c->cfg, s_env(c), S_SERVICE, "COGNITO_IDENTITY",
                                    cr_buf_cstr(&c->region), opts->endpoint_url);
    if (result < 0)
        goto done;
    result = s_parse_endpoint(c);
    if (result < 0)
        goto done;
    result = s_credentials_new(c, opts);
    if (result < 0)
        goto done;
    s_debug_setup(c);
    result = s_transport_new(c, opts);
    if (result < 0)
        goto done;
    *out = c;
    c = NULL; /* now owned by the caller */
    result = 0;
done:
    cr_aws_client_free(c);
    return result;
}

void cr_aws_client_free(struct cr_aws_client *client)
{
    if (!client)
        return;
    cr_http_free(client->http);
    cr_aws_credentials_provider_free(client->creds);
    cr_sigv4_key_cache_dispose(&client->key_cache);
    cr_aws_config_dispose(&client->cfg);
    cr_buf_dispose(&client->region);
    cr_buf_dispose(&client->endpoint);
    cr_buf_dispose(&client->url);
    cr_buf_dispose(&client->host);
    cr_buf_dispose(&client->path);
    cr_buf_dispose(&client->account_id);
    free(client);
}

const char *cr_aws_client_region(const struct cr_aws_client *client)
{
    return cr_buf_cstr(&client->region);
}

const char *cr_aws_client_endpoint(const struct cr_aws_client *client)
{
    return cr_buf_cstr(&client->endpoint);
}

unsigned long cr_aws_client_request_count(const struct cr_aws_client *client, enum cr_cognito_op op)
{
    if ((int)op < 0 || op >= CR_OP_COUNT)
        return 0;
    return client->requests[op];
}

/* STS goes where the user pointed us: with --endpoint-url (an emulator) the same endpoint
 * unless AWS_ENDPOINT_URL_STS says otherwise; else the standard STS resolution. */
static int s_sts_endpoint(struct cr_buf *out, struct cr_aws_client *c)
{
    if (c->custom_endpoint && !cr_aws_env_get(s_env(c), "AWS_ENDPOINT_URL_STS")) {
        if (cr_buf_puts(out, cr_buf_cstr(&c->endpoint)) < 0) {
            cr_error_set("out of memory resolving the STS endpoint");
            return CR_ENOMEM;
        }
        return 0;
    }
    return cr_sts_endpoint(out, &c->cfg, s_env(c), cr_buf_cstr(&c->region));
}

int cr_aws_client_account_id(struct cr_aws_client *client, const char **out)
{
    int result = 0;
    struct cr_buf endpoint = CR_BUF_INIT;
    struct cr_buf account = CR_BUF_INIT;
    const struct cr_aws_credentials *creds = NULL;
    *out = NULL;
    if (client->account_id.len) {
        *out = cr_buf_cstr(&client->account_id);
        goto done;
    }
    result = s_sts_endpoint(&endpoint, client);
    if (result < 0)
        goto done;
    result = cr_aws_credentials_provider_get(client->creds, &creds);
    if (result < 0)
        goto done;
    struct cr_sts_options sopts = {
        .endpoint = cr_buf_cstr(&endpoint),
        .region = cr_buf_cstr(&client->region),
        .connect_timeout_ms = client->connect_timeout_ms,
        .timeout_ms = client->timeout_ms,
        .env = s_env(client),
        .ca_bundle = cr_aws_config_ca_bundle(&client->cfg, s_env(client)),
    };
    result = cr_sts_get_caller_identity(&account, &sopts, creds);
    if (result < 0)
        goto done;
    cr_buf_dispose(&client->account_id);
    client->account_id = account;
    cr_buf_init(&account); /* now owned by the client */
    *out = cr_buf_cstr(&client->account_id);
    result = 0;
done:
    cr_buf_dispose(&endpoint);
    cr_buf_dispose(&account);
    return result;
}

/* ---- calls ---- */

void cr_aws_call_init(struct cr_aws_call *call, enum cr_cognito_op op)
{
    memset(call, 0, sizeof(*call));
    call->op = op;
}

void cr_aws_call_dispose(struct cr_aws_call *call)
{
    if (!call)
        return;
    cr_buf_dispose(&call->body);
    cr_buf_dispose(&call->response);
}

/* The call's subject for messages: pool id, ARN or pool name from the request body. */
static void s_call_target(struct cr_buf *out, const struct cr_aws_call *call)
{
    static const char *const members[] = {"IdentityPoolId", "ResourceArn", "IdentityPoolName"};
    json_t *root = json_loadb(call->body.ptr ? call->body.ptr : "", call->body.len, 0, NULL);
    for (size_t i = 0; i < 3; i++) {
        const char *v = json_string_value(json_object_get(root, members[i]));
        if (v && *v) {
            cr_buf_printf(out, i == 2 ? " '%s'" : " %s", v);
            break;
        }
    }
    json_decref(root);
}

int cr_aws_call_describe(struct cr_buf *out, const struct cr_aws_call *call)
{
    cr_buf_puts(out, cr_cognito_op_name(call->op));
    s_call_target(out, call);
    cr_buf_puts(out, ": ");
    if (call->result == CR_EAMBIGUOUS)
        cr_buf_puts(out, "outcome unknown (the pool may or may not have been created; look it "
                         "up by its tags before retrying): ");
    if (call->error.type[0])
        cr_buf_printf(out, "%s: ", call->error.type);
    else if (call->http_status && call->result == CR_ESERVICE)
        cr_buf_printf(out, "HTTP %ld: ", call->http_status);
    cr_buf_puts(out, call->error.message[0] ? call->error.message : cr_error_name(call->result));
    if (call->attempts > 1)
        cr_buf_printf(out, " (after %u attempts)", call->attempts);
    return cr_buf_oom(out) ? CR_ENOMEM : 0;
}

/* One call's progress through the perform loop. */
struct s_slot {
    struct cr_aws_call *call;
    struct cr_http_request req;
    struct cr_sigv4_signed sig;
    struct cr_http_header headers[8];
    char target[96];
    bool skew_retried; /* one immediate re-sign after a clock-skew correction */
    bool renewed;      /* one immediate re-send with renewed credentials after ExpiredToken */
    bool pending;      /* waiting to (re)start */
    bool done;
    uint64_t not_before_ms;
    uint64_t waited_ms;
};

static void s_fail_call(struct s_slot *slot, int code, const char *message)
{
    slot->call->result = code;
    snprintf(slot->call->error.message, sizeof(slot->call->error.message), "%s", message);
    slot->done = true;
    slot->pending = false;
}

/* Signs a fresh attempt (new X-Amz-Date every time) and fills slot->headers. */
static int s_sign(struct cr_aws_client *c, struct s_slot *slot, size_t *n_headers)
{
    const struct cr_aws_credentials *creds = NULL;
    int rc = cr_aws_credentials_provider_get(c->creds, &creds);
    if (rc < 0)
        return rc;
    snprintf(slot->target, sizeof(slot->target), S_TARGET_PREFIX "%s",
             cr_cognito_op_name(slot->call->op));
    struct cr_http_header *h = slot->headers;
    h[0] = (struct cr_http_header){"Host", cr_buf_cstr(&c->host)};
    h[1] = (struct cr_http_header){"Content-Type", "application/x-amz-json-1.1"};
    h[2] = (struct cr_http_header){"X-Amz-Target", slot->target};
    struct cr_sigv4_header sh[3] = {
        {h[0].name, h[0].value}, {h[1].name, h[1].value}, {h[2].name, h[2].value}};
    struct cr_sigv4_request req = {
        .method = "POST",
        .path = cr_buf_cstr(&c->path),
        .headers = sh,
        .header_count = 3,
        .body = cr_span_of(slot->call->body.ptr ? slot->call->body.ptr : "", slot->call->body.len),
    };
    struct cr_sigv4_params params = {
        .access_key_id = cr_buf_cstr(&creds->access_key_id),
        .secret_access_key = cr_buf_cstr(&creds->secret_access_key),
        .session_token = creds->session_token.len ? cr_buf_cstr(&creds->session_token) : NULL,
        .region = cr_buf_cstr(&c->region),
        .service = S_SERVICE,
        .time_s = cr_aws_env_now(s_env(c)) + c->clock_offset_s,
        .normalize_path = true,
    };
    cr_sigv4_signed_dispose(&slot->sig);
    cr_sigv4_signed_init(&slot->sig);
    rc = cr_sigv4_sign_headers(&slot->sig, &req, &params, &c->key_cache);
    if (rc < 0)
        return rc;
    struct cr_sigv4_header added[4];
    size_t n = cr_sigv4_signed_headers(&slot->sig, added);
    for (size_t i = 0; i < n && i < 4; i++)
        h[3 + i] = (struct cr_http_header){added[i].name, added[i].value};
    *n_headers = 3 + (n < 4 ? n : 4);
    return 0;
}

static void s_debug_headers(struct cr_aws_client *c, const struct s_slot *slot, size_t n)
{
    if (!s_debug_on(c) || !c->debug_headers)
        return;
    struct cr_buf line = CR_BUF_INIT;
    cr_buf_printf(&line, "%s attempt=%u >", cr_cognito_op_name(slot->call->op),
                  slot->call->attempts);
    for (size_t i = 0; i < n; i++) {
        cr_buf_puts(&line, i ? " | " : " ");
        if (cr_redact_header(&line, slot->headers[i].name, slot->headers[i].value) < 0)
            break;
    }
    if (!cr_buf_oom(&line))
        s_debug_line(c, line.ptr);
    cr_buf_dispose(&line);
}

/* Starts one attempt. A failure here (no credentials, libcurl refusing) ends the call. */
static int s_start(struct cr_aws_client *c, struct s_slot *slot)
{
    size_t n = 0;
    int rc = s_sign(c, slot, &n);
    if (rc < 0) {
        s_fail_call(slot, rc, cr_error_last());
        return rc;
    }
    slot->call->attempts++;
    c->requests[slot->call->op]++;
    slot->req.url = cr_buf_cstr(&c->url);
    slot->req.headers = slot->headers;
    slot->req.header_count = n;
    slot->req.body = slot->call->body.ptr ? slot->call->body.ptr : "";
    slot->req.body_len = slot->call->body.len;
    slot->req.user = slot;
    /* CreateIdentityPool has no idempotency token: never let libcurl re-send it */
    slot->req.fresh_connection = slot->call->op == CR_OP_CREATE_IDENTITY_POOL;
    s_debug_headers(c, slot, n);
    rc = cr_http_start(c->http, &slot->req);
    if (rc < 0) {
        s_fail_call(slot, rc, cr_error_last());
        return rc;
    }
    slot->pending = false;
    return 0;
}

static void s_debug_attempt(struct cr_aws_client *c, const struct s_slot *slot,
                            enum cr_retry_decision d, uint32_t backoff_ms)
{
    if (!s_debug_on(c))
        return;
    const struct cr_aws_call *call = slot->call;
    const struct cr_http_request *r = &slot->req;
    char line[1024];
    int n = snprintf(line, sizeof(line), "%s attempt=%u status=%ld duration_ms=%llu request_id=%s",
                     cr_cognito_op_name(call->op), call->attempts, r->status,
                     (unsigned long long)r->duration_ms, r->request_id[0] ? r->request_id : "-");
    if (n > 0 && (size_t)n < sizeof(line) && call->error.type[0])
        n += snprintf(line + n, sizeof(line) - (size_t)n, " error=%s", call->error.type);
    if (n > 0 && (size_t)n < sizeof(line) && r->error[0])
        n += snprintf(line + n, sizeof(line) - (size_t)n, " transport=\"%s\"", r->error);
    if (n > 0 && (size_t)n < sizeof(line) && (d == CR_RETRY_THROTTLED || d == CR_RETRY_TRANSIENT) &&
        backoff_ms != UINT32_MAX)
        snprintf(line + n, sizeof(line) - (size_t)n, " retry_in_ms=%u", backoff_ms);
    s_debug_line(c, line);
}

/* The final result code of a call that will not be retried again. */
static int s_final_code(const struct cr_aws_call *call, const struct cr_http_request *r,
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
        return r->result; /* CR_EIO, CR_ETIMEOUT, CR_ELIMIT */
    if (cr_retry_is_auth_error(call->error.type) || r->status == 401 || r->status == 403)
        return cr_retry_is_throttle(call->op, call->error.type) ? CR_ETHROTTLED : CR_EAUTH;
    return CR_ESERVICE;
}

/* Moves the finished attempt's body into the call (swap, no copy). */
static void s_take_response(struct cr_aws_call *call, struct cr_http_request *r)
{
    struct cr_buf tmp = call->response;
    call->response = r->response;
    r->response = tmp;
    cr_buf_clear(&r->response);
}

/*
 * A request signed with a clock too far from the server's is refused ("Signature expired").
 * Like the AWS SDKs, learn the offset from the answer's Date header and sign again at once;
 * once per call, so a server with a wrong clock cannot make us loop. Returns true when the
 * call should be re-sent now.
 */
static bool s_correct_skew(struct cr_aws_client *c, struct s_slot *slot)
{
    const struct cr_http_request *r = &slot->req;
    if (slot->skew_retried || !r->date[0] ||
        !cr_retry_is_clock_skew(slot->call->error.type, slot->call->error.message) ||
        slot->call->attempts >= c->policy.max_attempts)
        return false;
    time_t server = curl_getdate(r->date, NULL);
    if (server < 0)
        return false;
    int64_t offset = (int64_t)server - cr_aws_env_now(s_env(c));
    char line[256];
    snprintf(line, sizeof(line), "%s: clock skew: server time is %+lld s from ours; signing again",
             cr_cognito_op_name(slot->call->op), (long long)offset);
    s_debug_line(c, line);
    c->clock_offset_s = offset;
    slot->skew_retried = true;
    return true;
}

/*
 * Temporary credentials the service calls expired (ExpiredTokenException) although our clock
 * said they had time left: renew them and send again at once, once per call. The request was
 * refused before any work, so this is safe for CreateIdentityPool too. Environment or profile
 * keys cannot be renewed: the error stands. Returns true when the call should be re-sent now.
 */
static bool s_renew_expired(struct cr_aws_client *c, struct s_slot *slot)
{
    const char *type = slot->call->error.type;
    if (slot->renewed || slot->call->attempts >= c->policy.max_attempts ||
        !(strcmp(type, "ExpiredTokenException") == 0 || strcmp(type, "ExpiredToken") == 0) ||
        !cr_aws_credentials_provider_reject(c->creds))
        return false;
    char line[160];
    snprintf(line, sizeof(line), "%s: credentials expired early; renewing them and sending again",
             cr_cognito_op_name(slot->call->op));
    s_debug_line(c, line);
    slot->renewed = true;
    return true;
}

/* Decides what happens after an attempt: done, or pending again with a "not before" time so
 * the backoff never blocks the other calls in flight. */
static void s_after_attempt(struct cr_aws_client *c, struct s_slot *slot, uint64_t now_ms)
{
    struct cr_aws_call *call = slot->call;
    struct cr_http_request *r = &slot->req;
    call->http_status = r->status;
    snprintf(call->request_id, sizeof(call->request_id), "%s", r->request_id);
    memset(&call->error, 0, sizeof(call->error));
    call->error.http_status = r->status;
    bool ok = r->result == 0 && r->status >= 200 && r->status < 300;
    if (r->result == 0 && !ok)
        cr_cognito_decode_error(&call->error, r->status, r->response.ptr, r->response.len);
    else if (r->result < 0)
        snprintf(call->error.message, sizeof(call->error.message), "%s", r->error);
    struct cr_retry_outcome outcome = {
        .transport = r->transport,
        .sent = r->sent,
        .http_status = r->status,
        .error_type = call->error.type,
    };
    enum cr_retry_decision d = cr_retry_classify(call->op, &outcome);
    if (d == CR_RETRY_THROTTLED || d == CR_RETRY_TRANSIENT) {
        uint32_t wait = cr_retry_backoff_ms(&c->policy, call->attempts, c->random(c->random_ctx));
        if (cr_retry_allowed(&c->policy, call->attempts, slot->waited_ms, wait)) {
            s_debug_attempt(c, slot, d, wait);
            slot->waited_ms += wait;
            slot->not_before_ms = now_ms + wait;
            slot->pending = true;
            return;
        }
    }
    s_debug_attempt(c, slot, d, UINT32_MAX);
    if (d == CR_RETRY_FAIL && (s_correct_skew(c, slot) || s_renew_expired(c, slot))) {
        slot->not_before_ms = now_ms;
        slot->pending = true;
        return;
    }
    call->result = s_final_code(call, r, d);
    s_take_response(call, r);
    slot->done = true;
}

static void s_reset_call(struct cr_aws_call *call)
{
    call->result = 0;
    call->http_status = 0;
    call->attempts = 0;
    call->request_id[0] = '\0';
    memset(&call->error, 0, sizeof(call->error));
    cr_buf_clear(&call->response);
}

/* Starts every pending call whose time has come, within the parallelism bound and the
 * operation's token bucket. Returns the earliest time a pending call wants to start. */
static uint64_t s_start_ready(struct cr_aws_client *c, struct s_slot *slots, size_t n,
                              size_t *first, size_t *remaining)
{
    uint64_t now = cr_now_ms();
    uint64_t wake = UINT64_MAX;
    /* finished calls never start again: skip the done prefix, so a batch of thousands costs
     * O(parallelism + waiting) per turn instead of O(n) */
    while (*first < n && slots[*first].done)
        (*first)++;
    for (size_t i = *first; i < n; i++) {
        struct s_slot *s = &slots[i];
        /* at the bound nothing can start; a completion wakes the loop */
        if (cr_http_in_flight(c->http) >= c->parallelism)
            return UINT64_MAX;
        if (!s->pending)
            continue;
        if (s->not_before_ms > now) {
            wake = s->not_before_ms < wake ? s->not_before_ms : wake;
            continue;
        }
        uint64_t wait = cr_ratelimit_try_acquire(&c->buckets[s->call->op], now);
        if (wait) {
            s->not_before_ms = now + wait;
            wake = s->not_before_ms < wake ? s->not_before_ms : wake;
            continue;
        }
        if (s_start(c, s) < 0)
            (*remaining)--;
    }
    return wake;
}

static uint32_t s_poll_wait(struct cr_aws_client *c, uint64_t wake)
{
    uint64_t now = cr_now_ms();
    /* with transfers running, completion wakes us; the bound keeps timers serviced */
    uint64_t wait = 1000;
    if (wake != UINT64_MAX)
        wait = wake > now ? wake - now : 0;
    if (wait > 1000)
        wait = 1000;
    return (uint32_t)wait;
}

int cr_aws_perform(struct cr_aws_client *client, struct cr_aws_call *calls, size_t n)
{
    int result = CR_ENOMEM;
    struct s_slot *slots = n ? calloc(n, sizeof(*slots)) : NULL;
    size_t remaining = n;
    size_t first = 0;
    if (n && !slots) {
        cr_error_set("out of memory starting %zu calls", n);
        goto done;
    }
    for (size_t i = 0; i < n; i++) {
        slots[i].call = &calls[i];
        slots[i].pending = true;
        cr_http_request_init(&slots[i].req);
        cr_sigv4_signed_init(&slots[i].sig);
        s_reset_call(&calls[i]);
    }
    while (remaining > 0) {
        uint64_t wake = s_start_ready(client, slots, n, &first, &remaining);
        if (remaining == 0)
            break;
        if (cr_http_poll(client->http, s_poll_wait(client, wake)) < 0) {
            for (size_t i = 0; i < n; i++)
                if (!slots[i].done)
                    s_fail_call(&slots[i], CR_EIO, cr_error_last());
            result = CR_EIO;
            goto done;
        }
        struct cr_http_request *r;
        for (r = cr_http_next_done(client->http); r; r = cr_http_next_done(client->http)) {
            struct s_slot *s = r->user;
            s_after_attempt(client, s, cr_now_ms());
            if (s->done)
                remaining--;
        }
    }
    result = 0;
    for (size_t i = 0; i < n; i++) {
        if (calls[i].result == 0)
            continue;
        struct cr_buf msg = CR_BUF_INIT;
        if (cr_aws_call_describe(&msg, &calls[i]) == 0)
            cr_error_set("%s", msg.ptr);
        cr_buf_dispose(&msg);
        result = calls[i].result;
        break;
    }
done:
    for (size_t i = 0; slots && i < n; i++) {
        cr_http_cancel(client->http, &slots[i].req);
        cr_http_request_dispose(&slots[i].req);
        cr_sigv4_signed_dispose(&slots[i].sig);
    }
    free(slots);
    return result;
}

/* ---- one-call helpers ---- */

/* Runs one call; ResourceNotFoundException becomes CR_ENOTFOUND (the message is kept). */
static int s_one(struct cr_aws_client *c, struct cr_aws_call *call)
{
    int rc = cr_aws_perform(c, call, 1);
    if (rc == CR_ESERVICE && strcmp(call->error.type, "ResourceNotFoundException") == 0)
        return CR_ENOTFOUND;
    return rc;
}

/* Prefixes a decoder's message with the operation so it names the place. */
static int s_decoded(int rc, enum cr_cognito_op op)
{
    if (rc < 0)
        cr_error_prefix("%s", cr_cognito_op_name(op));
    return rc;
}

static int s_pool_call(struct cr_aws_client *c, struct cr_cognito_pool *out, enum cr_cognito_op op,
                       const struct cr_cognito_pool *pool, const char *pool_id)
{
    int result = CR_ENOMEM;
    struct cr_aws_call call;
    cr_aws_call_init(&call, op);
    if (op == CR_OP_CREATE_IDENTITY_POOL)
        result = cr_cognito_encode_create(&call.body, pool);
    else if (op == CR_OP_UPDATE_IDENTITY_POOL)
        result = cr_cognito_encode_update(&call.body, pool);
    else
        result = cr_cognito_encode_pool_id(&call.body, pool_id);
    if (result < 0)
        goto done;
    result = s_one(c, &call);
    if (result < 0 || !out)
        goto done;
    result = s_decoded(cr_cognito_decode_pool(out, call.response.ptr, call.response.len), op);
done:
    cr_aws_call_dispose(&call);
    return result;
}

int cr_cognito_create_pool(struct cr_aws_client *c, struct cr_cognito_pool *out,
                           const struct cr_cognito_pool *desired)
{
    return s_pool_call(c, out, CR_OP_CREATE_IDENTITY_POOL, desired, NULL);
}

int cr_cognito_update_pool(struct cr_aws_client *c, struct cr_cognito_pool *out,
                           const struct cr_cognito_pool *desired)
{
    return s_pool_call(c, out, CR_OP_UPDATE_IDENTITY_POOL, desired, NULL);
}

int cr_cognito_describe_pool(struct cr_aws_client *c, struct cr_cognito_pool *out,
                             const char *pool_id)
{
    return s_pool_call(c, out, CR_OP_DESCRIBE_IDENTITY_POOL, NULL, pool_id);
}

int cr_cognito_delete_pool(struct cr_aws_client *c, const char *pool_id)
{
    return s_pool_call(c, NULL, CR_OP_DELETE_IDENTITY_POOL, NULL, pool_id);
}

/* Appends a page's items to out, taking ownership of their strings. */
static int s_append_page(struct cr_cognito_pool_page *out, struct cr_cognito_pool_page *page)
{
    if (!page->len)
        return 0;
    /* out->len + page->len items must not wrap size_t when multiplied by the item size */
    size_t max = SIZE_MAX / sizeof(*out->items);
    struct cr_cognito_pool_summary *items = NULL;
    if (page->len <= max && out->len <= max - page->len)
        items = realloc(out->items, (out->len + page->len) * sizeof(*items));
    if (!items) {
        cr_error_set("out of memory listing identity pools");
        return CR_ENOMEM;
    }
    out->items = items;
    memcpy(out->items + out->len, page->items, page->len * sizeof(*items));
    out->len += page->len;
    page->len = 0; /* now owned by out */
    return 0;
}

int cr_cognito_list_pools(struct cr_aws_client *c, struct cr_cognito_pool_page *out)
{
    int result = 0;
    struct cr_cognito_pool_page page = {0};
    char *token = NULL;
    memset(out, 0, sizeof(*out));
    for (unsigned pages = 0;; pages++) {
        if (pages == S_LIST_MAX_PAGES) {
            cr_error_set("ListIdentityPools: more than %d pages; stopping (the service keeps "
                         "returning NextToken)",
                         S_LIST_MAX_PAGES);
            result = CR_ELIMIT;
            goto done;
        }
        struct cr_aws_call call;
        cr_aws_call_init(&call, CR_OP_LIST_IDENTITY_POOLS);
        result = cr_cognito_encode_list(&call.body, S_LIST_PAGE_SIZE, token);
        if (result == 0)
            result = s_one(c, &call);
        if (result == 0)
            result =
                s_decoded(cr_cognito_decode_pool_page(&page, call.response.ptr, call.response.len),
                          CR_OP_LIST_IDENTITY_POOLS);
        cr_aws_call_dispose(&call);
        if (result < 0)
            goto done;
        result = s_append_page(out, &page);
        if (result < 0)
            goto done;
        free(token);
        token = page.next_token;
        page.next_token = NULL; /* now owned by token */
        cr_cognito_pool_page_dispose(&page);
        if (!token)
            break;
        if (token && c->debug)
            s_debug_line(c, "ListIdentityPools: following NextToken");
    }
    result = 0;
done:
    free(token);
    cr_cognito_pool_page_dispose(&page);
    if (result < 0)
        cr_cognito_pool_page_dispose(out);
    return result;
}

int cr_cognito_get_roles(struct cr_aws_client *c, struct cr_cognito_roles *out, const char *pool_id)
{
    struct cr_aws_call call;
    cr_aws_call_init(&call, CR_OP_GET_IDENTITY_POOL_ROLES);
    int result = cr_cognito_encode_pool_id(&call.body, pool_id);
    if (result == 0)
        result = s_one(c, &call);
    if (result == 0)
        result =
            s_decoded(cr_cognito_decode_roles(out, call.response.ptr, call.response.len), call.op);
    cr_aws_call_dispose(&call);
    return result;
}

int cr_cognito_set_roles(struct cr_aws_client *c, const struct cr_cognito_roles *roles)
{
    struct cr_aws_call call;
    cr_aws_call_init(&call, CR_OP_SET_IDENTITY_POOL_ROLES);
    int result = cr_cognito_encode_set_roles(&call.body, roles);
    if (result == 0)
        result = s_one(c, &call);
    cr_aws_call_dispose(&call);
    return result;
}

int cr_cognito_get_principal_tags(struct cr_aws_client *c, struct cr_cognito_principal_tags *out,
                                  const char *pool_id, const char *provider)
{
    struct cr_aws_call call;
    cr_aws_call_init(&call, CR_OP_GET_PRINCIPAL_TAG_ATTRIBUTE_MAP);
    int result = cr_cognito_encode_get_principal_tags(&call.body, pool_id, provider);
    if (result == 0)
        result = s_one(c, &call);
    if (result == 0)
        result = s_decoded(
            cr_cognito_decode_principal_tags(out, call.response.ptr, call.response.len), call.op);
    cr_aws_call_dispose(&call);
    return result;
}

int cr_cognito_set_principal_tags(struct cr_aws_client *c,
                                  const struct cr_cognito_principal_tags *pt)
{
    struct cr_aws_call call;
    cr_aws_call_init(&call, CR_OP_SET_PRINCIPAL_TAG_ATTRIBUTE_MAP);
    int result = cr_cognito_encode_set_principal_tags(&call.body, pt);
    if (result == 0)
        result = s_one(c, &call);
    cr_aws_call_dispose(&call);
    return result;
}

int cr_cognito_tag(struct cr_aws_client *c, const char *arn, const struct cr_strmap *tags)
{
    struct cr_aws_call call;
    cr_aws_call_init(&call, CR_OP_TAG_RESOURCE);
    int result = cr_cognito_encode_tag(&call.body, arn, tags);
    if (result == 0)
        result = s_one(c, &call);
    cr_aws_call_dispose(&call);
    return result;
}

int cr_cognito_untag(struct cr_aws_client *c, const char *arn, const struct cr_strlist *keys)
{
    struct cr_aws_call call;
    cr_aws_call_init(&call, CR_OP_UNTAG_RESOURCE);
    int result = cr_cognito_encode_untag(&call.body, arn, keys);
    if (result == 0)
        result = s_one(c, &call);
    cr_aws_call_dispose(&call);
    return result;
}

int cr_cognito_list_tags(struct cr_aws_client *c, struct cr_strmap *out, const char *arn)
{
    struct cr_aws_call call;
    cr_aws_call_init(&call, CR_OP_LIST_TAGS_FOR_RESOURCE);
    int result = cr_cognito_encode_list_tags(&call.body, arn);
    if (result == 0)
        result = s_one(c, &call);
    if (result == 0)
        result =
            s_decoded(cr_cognito_decode_tags(out, call.response.ptr, call.response.len), call.op);
    cr_aws_call_dispose(&call);
    return result;
}
