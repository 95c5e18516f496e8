/* SPDX-License-Identifier: Apache-2.0 */
/*
 * The cognito-identity client (aws/client.h): settings resolved once, token buckets, and
 * cr_aws_perform(), which turns calls into requests of the generic path (aws/request.h).
 */
#include "aws/client.h"

#include <curl/curl.h>
#include <jansson.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "aws/credentials.h"
#include "aws/ratelimit.h"
#include "aws/redact.h"
#include "aws/retry.h"
#include "aws/sts.h"
#include "util/strutil.h"

#define S_DEFAULT_PARALLELISM        8
#define S_DEFAULT_MAX_ATTEMPTS       5
#define S_DEFAULT_MAX_RETRY_MS       20000
#define S_DEFAULT_CONNECT_TIMEOUT_MS 5000
#define S_DEFAULT_TIMEOUT_MS         30000
#define S_DEFAULT_MAX_RESPONSE       (8u * 1024 * 1024)
#define S_SERVICE                    "cognito-identity"
#define S_TARGET_PREFIX              "AWSCognitoIdentityService."

struct cr_aws_client {
    struct cr_aws_env env;
    bool has_env;
    struct cr_aws_config cfg;
    struct cr_buf region;
    struct cr_buf endpoint; /* as resolved (what the user configured) */
    struct cr_buf url;      /* normalised by libcurl's parser: what we POST to */
    bool custom_endpoint;   /* --endpoint-url given: STS goes there too */
    struct cr_aws_credentials_provider *creds;
    bool own_creds; /* creds was resolved here (not cr_aws_options.credentials) */
    struct cr_aws_transport *transport;
    double rates[CR_OP_COUNT], bursts[CR_OP_COUNT]; /* as configured */
    struct cr_pacer *pacer; /* the buckets, shared by the clients of one account and region */
    struct cr_retry_settings retry; /* AWS_RETRY_MODE, AWS_MAX_ATTEMPTS, the profile's */
    bool debug;
    uint32_t connect_timeout_ms; /* also for STS, as the cognito-identity calls */
    uint32_t timeout_ms;
    unsigned long requests[CR_OP_COUNT];
    struct cr_buf account_id;
};

/* ---- small helpers ---- */

static const struct cr_aws_env *s_env(const struct cr_aws_client *c)
{
    return c->has_env ? &c->env : NULL;
}

void cr_aws_client_log(const struct cr_aws_client *client, const char *line)
{
    cr_aws_debug_line(client->debug, line);
}

void cr_aws__client_set_random(struct cr_aws_client *client, cr_aws_random_fn *fn, void *ctx)
{
    cr_aws__transport_set_random(client->transport, fn, ctx);
}

unsigned long cr_aws__client_connections(const struct cr_aws_client *client)
{
    return cr_aws_transport_connections(client->transport);
}

/* ---- creation ---- */

/* The endpoint as libcurl's URL parser writes it back (a path added), the URL we POST to. */
static int s_normalise_endpoint(struct cr_aws_client *c)
{
    int result = CR_EINVALID;
    CURLU *u = curl_url();
    char *url = NULL;
    if (!u) {
        cr_error_set("out of memory parsing the endpoint URL");
        return CR_ENOMEM;
    }
    if (curl_url_set(u, CURLUPART_URL, cr_buf_cstr(&c->endpoint), 0) != CURLUE_OK ||
        curl_url_get(u, CURLUPART_URL, &url, 0) != CURLUE_OK) {
        cr_error_set("endpoint '%s': not a valid URL", cr_buf_cstr(&c->endpoint));
        goto done;
    }
    if (cr_buf_puts(&c->url, url) < 0) {
        cr_error_set("out of memory parsing the endpoint URL");
        result = CR_ENOMEM;
        goto done;
    }
    result = 0;
done:
    curl_free(url);
    curl_url_cleanup(u);
    return result;
}

static void s_apply_options(struct cr_aws_client *c, const struct cr_aws_options *o)
{
    c->debug = o->debug;
    c->connect_timeout_ms =
        o->connect_timeout_ms ? o->connect_timeout_ms : S_DEFAULT_CONNECT_TIMEOUT_MS;
    c->timeout_ms = o->timeout_ms ? o->timeout_ms : S_DEFAULT_TIMEOUT_MS;
    if (o->env) {
        c->env = *o->env;
        c->has_env = true;
    }
    c->custom_endpoint = o->endpoint_url && *o->endpoint_url;
}

/* Logs the operations that are rate limited and the retry mode, so --debug shows what the
 * settings did. */
static void s_debug_rates(const struct cr_aws_client *c)
{
    struct cr_buf line = CR_BUF_INIT;
    cr_buf_puts(&line, "rate limits:");
    for (int op = 0; op < CR_OP_COUNT; op++)
        if (c->rates[op] > 0)
            cr_buf_printf(&line, " %s=%g:%g", cr_cognito_op_name((enum cr_cognito_op)op),
                          c->rates[op], c->bursts[op]);
    cr_buf_printf(&line, "; retry mode %s (%s), at most %u attempts (%s)",
                  cr_retry_mode_name(c->retry.mode), c->retry.mode_from, c->retry.max_attempts,
                  c->retry.attempts_from);
    if (!cr_buf_oom(&line))
        cr_aws_client_log(c, line.ptr);
    cr_buf_dispose(&line);
}

/* The rates: defaults (aws/quotas.h) < COGNITO_RECONCILE_RATE_LIMITS < opts->rate_limits < the
 * arrays. Checked before anything else, so a bad specification fails first. */
static int s_rates(struct cr_aws_client *c, const struct cr_aws_options *o)
{
    double rates[CR_OP_COUNT] = {0}, bursts[CR_OP_COUNT] = {0};
    int rc = cr_ratelimit_parse_spec(rates, bursts, cr_aws_env_get(s_env(c), CR_RATELIMIT_ENV),
                                     CR_RATELIMIT_ENV);
    if (rc < 0)
        return rc;
    rc = cr_ratelimit_parse_spec(rates, bursts, o->rate_limits, "--rate-limit");
    if (rc < 0)
        return rc;
    for (int op = 0; op < CR_OP_COUNT; op++) {
        double rate = o->rate_per_second[op] != 0 ? o->rate_per_second[op] : rates[op];
        double burst = o->rate_burst[op] != 0 ? o->rate_burst[op] : bursts[op];
        if (rate == 0)
            rate = cr_ratelimit_default_rate((enum cr_cognito_op)op);
        c->rates[op] = rate > 0 ? rate : 0;
        c->bursts[op] = burst >= 1 ? burst : CR_RATELIMIT_DEFAULT_BURST;
    }
    return 0;
}

/* The buckets, shared with every other client of the same scope: the quota is per account and
 * region, so two clients of one (same endpoint, region and credentials) pace together. Clients
 * told different rates or retry modes keep their own (each gets what it asked for). */
static int s_pacer(struct cr_aws_client *c)
{
    struct cr_buf scope = CR_BUF_INIT;
    cr_buf_printf(&scope, "%s|%s|%s|%s|%s", cr_buf_cstr(&c->url), cr_buf_cstr(&c->region),
                  cr_buf_cstr(&c->cfg.profile) ? cr_buf_cstr(&c->cfg.profile) : "",
                  cr_aws_credentials_provider_source(c->creds), cr_retry_mode_name(c->retry.mode));
    for (int op = 0; op < CR_OP_COUNT; op++)
        cr_buf_printf(&scope, "|%g:%g", c->rates[op], c->bursts[op]);
    int rc = cr_buf_oom(&scope)
                 ? CR_ENOMEM
                 : cr_pacer_get(&c->pacer, scope.ptr, c->rates, c->bursts,
                                c->retry.mode == CR_RETRY_MODE_ADAPTIVE, cr_now_ms());
    if (rc == CR_ENOMEM)
        cr_error_set("out of memory setting up rate limits");
    cr_buf_dispose(&scope);
    if (rc == 0)
        s_debug_rates(c);
    return rc;
}

/* Where region, endpoint and credentials came from (names only, never a key), for --debug. */
static void s_debug_setup(const struct cr_aws_client *c)
{
    struct cr_buf line = CR_BUF_INIT;
    cr_buf_printf(&line, "client region=%s endpoint=%s profile=%s credentials=%s",
                  cr_buf_cstr(&c->region), cr_buf_cstr(&c->url), cr_buf_cstr(&c->cfg.profile),
                  cr_aws_credentials_provider_source(c->creds));
    if (!cr_buf_oom(&line))
        cr_aws_client_log(c, line.ptr);
    cr_buf_dispose(&line);
}

/* The shared transport: one retry policy, one clock, one debug log for every call of the run.
 * TLS verification is always on (aws/http.c has no switch). */
static int s_transport_new(struct cr_aws_client *c, const struct cr_aws_options *o)
{
    const char *ca_bundle = NULL;
    int rc = cr_aws_config_ca_bundle_checked(&ca_bundle, &c->cfg, s_env(c));
    if (rc < 0)
        return rc;
    struct cr_aws_transport_options topts = {
        .env = s_env(c),
        .max_connections = o->parallelism ? o->parallelism : S_DEFAULT_PARALLELISM,
        .connect_timeout_ms = c->connect_timeout_ms,
        .timeout_ms = c->timeout_ms,
        .max_response_bytes =
            o->max_response_bytes ? o->max_response_bytes : S_DEFAULT_MAX_RESPONSE,
        .ca_bundle = ca_bundle, /* a private CA, still verified */
        .debug = o->debug,
        .debug_headers = o->debug_headers,
    };
    cr_retry_policy_default(&topts.policy);
    topts.policy.max_attempts = o->max_attempts ? o->max_attempts : c->retry.max_attempts;
    topts.policy.max_total_ms = o->max_retry_ms ? o->max_retry_ms : S_DEFAULT_MAX_RETRY_MS;
    if (o->retry_base_ms)
        topts.policy.base_ms = o->retry_base_ms;
    if (o->retry_cap_ms)
        topts.policy.cap_ms = o->retry_cap_ms;
    return cr_aws_transport_new(&c->transport, &topts);
}

/* The credentials chain; its STS calls go through the client's transport. */
static int s_credentials_new(struct cr_aws_client *c, const struct cr_aws_options *opts)
{
    struct cr_aws_credentials_options copts = {
        .profile = opts->profile,
        .region = cr_buf_cstr(&c->region),
        .env = s_env(c),
        .connect_timeout_ms = c->connect_timeout_ms,
        .timeout_ms = c->timeout_ms,
        .transport = c->transport,
    };
    if (opts->credentials) {
        c->creds = opts->credentials;
        cr_aws_credentials_provider_share(c->creds); /* other clients, other threads */
        return 0;
    }
    c->own_creds = true;
    return cr_aws_credentials_provider_new(&c->creds, &copts);
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
    s_apply_options(c, opts);
    result = s_rates(c, opts);
    if (result < 0)
        goto done;
    result = cr_aws_config_load(&c->cfg, s_env(c), opts->profile);
    if (result < 0)
        goto done;
    result = cr_retry_settings_resolve(&c->retry, &c->cfg, s_env(c), S_DEFAULT_MAX_ATTEMPTS);
    if (result < 0)
        goto done;
    result = cr_aws_config_region(&c->region, &c->cfg, s_env(c), opts->region);
    if (result < 0)
        goto done;
    result = cr_aws_config_endpoint(&c->endpoint, &c->cfg, s_env(c), S_SERVICE, "COGNITO_IDENTITY",
                                    cr_buf_cstr(&c->region), opts->endpoint_url);
    if (result < 0)
        goto done;
    result = s_normalise_endpoint(c);
    if (result < 0)
        goto done;
    result = s_transport_new(c, opts);
    if (result < 0)
        goto done;
    result = s_credentials_new(c, opts);
    if (result < 0)
        goto done;
    result = s_pacer(c);
    if (result < 0)
        goto done;
    s_debug_setup(c);
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
    cr_pacer_release(client->pacer);
    if (client->own_creds)
        cr_aws_credentials_provider_free(client->creds);
    cr_aws_transport_free(client->transport); /* after the provider, which borrows it */
    cr_aws_config_dispose(&client->cfg);
    cr_buf_dispose(&client->region);
    cr_buf_dispose(&client->endpoint);
    cr_buf_dispose(&client->url);
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

struct cr_aws_transport *cr_aws_client_transport(const struct cr_aws_client *client)
{
    return client->transport;
}

struct cr_aws_credentials_provider *cr_aws_client_credentials(const struct cr_aws_client *client)
{
    return client->creds;
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
    result = cr_aws_credentials_provider_acquire(client->creds, &creds);
    if (result < 0)
        goto done;
    struct cr_sts_options sopts = {
        .endpoint = cr_buf_cstr(&endpoint),
        .region = cr_buf_cstr(&client->region),
        .connect_timeout_ms = client->connect_timeout_ms,
        .timeout_ms = client->timeout_ms,
        .transport = client->transport,
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
    cr_aws_credentials_release(creds);
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
    struct cr_buf line = CR_BUF_INIT;
    cr_buf_puts(&line, cr_cognito_op_name(call->op));
    s_call_target(&line, call);
    cr_buf_puts(&line, ": ");
    if (call->result == CR_EAMBIGUOUS)
        cr_buf_puts(&line, "outcome unknown (the pool may or may not have been created; look it "
                           "up by its tags before retrying): ");
    if (call->error.type[0])
        cr_buf_printf(&line, "%s: ", call->error.type);
    else if (call->http_status && call->result == CR_ESERVICE)
        cr_buf_printf(&line, "HTTP %ld: ", call->http_status);
    cr_buf_puts(&line, call->error.message[0] ? call->error.message : cr_error_name(call->result));
    if (call->attempts > 1)
        cr_buf_printf(&line, " (after %u attempts)", call->attempts);
    /* a service may quote what it was sent: never a token or key in a message */
    int rc = cr_buf_oom(&line) ? CR_ENOMEM : cr_redact_text(out, line.ptr, line.len);
    cr_buf_dispose(&line);
    if (rc < 0)
        cr_error_set("out of memory describing a failed call");
    return rc;
}

/* What a call's request points to besides the call: its headers. */
struct s_call_headers {
    struct cr_http_header headers[2];
    char target[96];
};

static enum cr_retry_decision s_classify(void *ctx, const struct cr_aws_request *req,
                                         const struct cr_retry_outcome *outcome)
{
    const struct cr_aws_call *call = ctx;
    /* CreateIdentityPool is at most once, and its LimitExceededException is the pool quota */
    return cr_retry_classify(call->op, outcome);
}

/* A cognito-identity call as a request of the generic path (POST /, JSON 1.1, X-Amz-Target,
 * SigV4 for cognito-identity) with the retry decision of its operation. */
static void s_to_request(struct cr_aws_request *req, struct s_call_headers *h,
                         struct cr_aws_client *c, struct cr_aws_call *call)
{
    cr_aws_request_init(req);
    snprintf(h->target, sizeof(h->target), S_TARGET_PREFIX "%s", cr_cognito_op_name(call->op));
    h->headers[0] = (struct cr_http_header){"Content-Type", "application/x-amz-json-1.1"};
    h->headers[1] = (struct cr_http_header){"X-Amz-Target", h->target};
    req->name = cr_cognito_op_name(call->op);
    req->method = "POST";
    req->url = cr_buf_cstr(&c->url);
    req->headers = h->headers;
    req->header_count = 2;
    req->body = call->body.ptr ? call->body.ptr : "";
    req->body_len = call->body.len;
    req->sign = (struct cr_aws_signing){
        .service = S_SERVICE,
        .region = cr_buf_cstr(&c->region),
        .provider = c->creds,
    };
    /* CreateIdentityPool has no idempotency token: never re-sent blindly */
    req->at_most_once = call->op == CR_OP_CREATE_IDENTITY_POOL;
    req->bucket = cr_pacer_bucket(c->pacer, call->op);
    req->retry = s_classify;
    req->retry_ctx = call;
    req->gate = call->gate;
    req->gate_ctx = call->gate_ctx;
}

/* Moves a finished request's outputs into its call (the body is swapped, not copied). */
static void s_from_request(struct cr_aws_client *c, struct cr_aws_call *call,
                           struct cr_aws_request *req)
{
    struct cr_buf tmp = call->response;
    call->result = req->result;
    call->http_status = req->status;
    call->response = req->response;
    req->response = tmp;
    call->error = req->error;
    call->attempts = req->attempts;
    snprintf(call->request_id, sizeof(call->request_id), "%s", req->request_id);
    c->requests[call->op] += req->attempts;
}

int cr_aws_perform(struct cr_aws_client *client, struct cr_aws_call *calls, size_t n)
{
    int result = 0;
    struct cr_aws_request *reqs = n ? calloc(n, sizeof(*reqs)) : NULL;
    struct s_call_headers *headers = n ? calloc(n, sizeof(*headers)) : NULL;
    if (n && (!reqs || !headers)) {
        cr_error_set("out of memory starting %zu calls", n);
        for (size_t i = 0; i < n; i++)
            calls[i].result = CR_ENOMEM;
        result = CR_ENOMEM;
        goto done;
    }
    for (size_t i = 0; i < n; i++) {
        cr_buf_clear(&calls[i].response);
        s_to_request(&reqs[i], &headers[i], client, &calls[i]);
    }
    /* each call's result is settled from its request below, whatever the batch returns */
    (void)!cr_aws_perform_requests(client->transport, reqs, n);
    for (size_t i = 0; i < n; i++) {
        s_from_request(client, &calls[i], &reqs[i]);
        cr_aws_request_dispose(&reqs[i]);
    }
    for (size_t i = 0; i < n && result == 0; i++) {
        if (calls[i].result == 0)
            continue;
        struct cr_buf msg = CR_BUF_INIT;
        if (cr_aws_call_describe(&msg, &calls[i]) == 0)
            cr_error_set("%s", msg.ptr);
        cr_buf_dispose(&msg);
        result = calls[i].result;
    }
done:
    free(reqs);
    free(headers);
    return result;
}

/* ---- streams of calls ---- */

/* A call on its way through a stream: the request made of it and what the request points to. */
struct s_streamed {
    struct cr_aws_request req;
    struct s_call_headers headers;
    struct cr_aws_call *call;
    struct s_streamed *prev, *next; /* in the stream's list of requests held */
};

struct s_stream {
    struct cr_aws_client *client;
    cr_aws_next_call_fn *next;
    cr_aws_done_call_fn *done;
    void *ctx;
    struct s_streamed *held; /* handed to the transport, not back yet */
};

static void s_unhold(struct s_stream *st, struct s_streamed *w)
{
    if (w->prev)
        w->prev->next = w->next;
    else
        st->held = w->next;
    if (w->next)
        w->next->prev = w->prev;
}

static int s_stream_next(void *ctx, struct cr_aws_request **out)
{
    struct s_stream *st = ctx;
    struct cr_aws_call *call = NULL;
    *out = NULL;
    int rc = st->next(st->ctx, &call);
    if (rc < 0 || !call)
        return rc;
    struct s_streamed *w = calloc(1, sizeof(*w));
    if (!w) {
        cr_error_set("out of memory starting a call");
        return CR_ENOMEM;
    }
    w->call = call;
    cr_buf_clear(&call->response);
    s_to_request(&w->req, &w->headers, st->client, call);
    w->req.user = w;
    w->next = st->held;
    if (st->held)
        st->held->prev = w;
    st->held = w;
    *out = &w->req;
    return 0;
}

static int s_stream_done(void *ctx, struct cr_aws_request *req)
{
    struct s_stream *st = ctx;
    struct s_streamed *w = req->user;
    struct cr_aws_call *call = w->call;
    s_unhold(st, w);
    s_from_request(st->client, call, &w->req);
    cr_aws_request_dispose(&w->req);
    free(w);
    return st->done(st->ctx, call);
}

int cr_aws_stream(struct cr_aws_client *client, size_t window, cr_aws_next_call_fn *next,
                  cr_aws_done_call_fn *done, void *ctx)
{
    struct s_stream st = {client, next, done, ctx, NULL};
    int rc = cr_aws_perform_stream(client->transport, window, s_stream_next, s_stream_done, &st);
    /* stopped early: the transport cancelled the requests still held (their calls stay the
     * caller's); their wrappers are ours */
    while (st.held) {
        struct s_streamed *w = st.held;
        s_unhold(&st, w);
        cr_aws_request_dispose(&w->req);
        free(w);
    }
    return rc;
}
