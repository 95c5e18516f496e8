/* SPDX-License-Identifier: Apache-2.0 */
/*
 * Routing: JSON 1.1 operations by X-Amz-Target, STS (query protocol) by form content type,
 * and the loopback-only /_local control endpoints. Also the request log and the pieces of
 * every response (request id, error bodies).
 */
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>
#include <sys/random.h>
#include <time.h>

#include "aws/json.h"
#include "emulator/internal.h"
#include "schema/constraints.h"
#include "util/log.h"
#include "util/strutil.h"

#define CR_EMU_TARGET_PREFIX "AWSCognitoIdentityService."
#define CR_EMU_JSON_TYPE     "application/x-amz-json-1.1"

struct s_op {
    const char *name;
    cr_emu_op_fn fn;
    bool write;
};

static const struct s_op s_ops[] = {
    {"CreateIdentityPool", cr__emu_op_create_pool, true},
    {"UpdateIdentityPool", cr__emu_op_update_pool, true},
    {"DescribeIdentityPool", cr__emu_op_describe_pool, false},
    {"DeleteIdentityPool", cr__emu_op_delete_pool, true},
    {"ListIdentityPools", cr__emu_op_list_pools, false},
    {"GetIdentityPoolRoles", cr__emu_op_get_roles, false},
    {"SetIdentityPoolRoles", cr__emu_op_set_roles, true},
    {"GetPrincipalTagAttributeMap", cr__emu_op_get_principal_tags, false},
    {"SetPrincipalTagAttributeMap", cr__emu_op_set_principal_tags, true},
    {"TagResource", cr__emu_op_tag, true},
    {"UntagResource", cr__emu_op_untag, true},
    {"ListTagsForResource", cr__emu_op_list_tags, false},
    /* the identity side */
    {"GetId", cr__emu_op_get_id, true},
    {"GetCredentialsForIdentity", cr__emu_op_get_credentials, true},
    {"GetOpenIdToken", cr__emu_op_get_open_id_token, true},
    {"GetOpenIdTokenForDeveloperIdentity", cr__emu_op_get_token_for_developer, true},
    {"LookupDeveloperIdentity", cr__emu_op_lookup_developer, false},
    {"MergeDeveloperIdentities", cr__emu_op_merge_developer, true},
    {"UnlinkDeveloperIdentity", cr__emu_op_unlink_developer, true},
    {"UnlinkIdentity", cr__emu_op_unlink_identity, true},
    {"DescribeIdentity", cr__emu_op_describe_identity, false},
    {"ListIdentities", cr__emu_op_list_identities, false},
    {"DeleteIdentities", cr__emu_op_delete_identities, true},
};

const char *cr__emu_header(const struct cr_emu_request *req, const char *name)
{
    for (size_t i = 0; i < req->n_headers; i++) {
        if (strcasecmp(req->headers[i].name, name) == 0)
            return req->headers[i].value;
    }
    return NULL;
}

void cr__emu_uuid(char out[37])
{
    unsigned char b[16];
    if (getrandom(b, sizeof(b), 0) != (ssize_t)sizeof(b)) {
        /* getrandom on Linux does not fail for 16 bytes once the pool is seeded; fall back
         * to the clock so a request id is still produced. */
        uint64_t t = cr_now_ms();
        for (size_t i = 0; i < sizeof(b); i++)
            b[i] = (unsigned char)(t >> (8 * (i % 8))) ^ (unsigned char)i;
    }
    b[6] = (unsigned char)((b[6] & 0x0f) | 0x40);
    b[8] = (unsigned char)((b[8] & 0x3f) | 0x80);
    snprintf(out, 37, "%02x%02x%02x%02x-%02x%02x-%02x%02x-%02x%02x-%02x%02x%02x%02x%02x%02x", b[0],
             b[1], b[2], b[3], b[4], b[5], b[6], b[7], b[8], b[9], b[10], b[11], b[12], b[13],
             b[14], b[15]);
}

double cr__emu_random01(void)
{
    uint64_t v = 0;
    if (getrandom(&v, sizeof(v), 0) != (ssize_t)sizeof(v))
        v = cr_now_ms() * 6364136223846793005ull;
    return (double)(v >> 11) / 9007199254740992.0;
}

void cr_emu_response_init(struct cr_emu_response *resp)
{
    memset(resp, 0, sizeof(*resp));
    cr_buf_init(&resp->headers);
    cr_buf_init(&resp->body);
    resp->content_type = CR_EMU_JSON_TYPE;
    cr__emu_uuid(resp->request_id);
}

void cr_emu_response_dispose(struct cr_emu_response *resp)
{
    cr_buf_dispose(&resp->headers);
    cr_buf_dispose(&resp->body);
}

int cr_emu_response_header(struct cr_emu_response *resp, const char *name, const char *fmt, ...)
{
    va_list ap;
    cr_buf_put(&resp->headers, name, strlen(name) + 1);
    va_start(ap, fmt);
    cr_buf_vprintf(&resp->headers, fmt, ap);
    va_end(ap);
    cr_buf_putc(&resp->headers, '\0');
    return cr_buf_oom(&resp->headers) ? CR_ENOMEM : 0;
}

bool cr_emu_response_next_header(const struct cr_emu_response *resp, size_t *pos, const char **name,
                                 const char **value)
{
    if (*pos >= resp->headers.len)
        return false;
    *name = resp->headers.ptr + *pos;
    *value = *name + strlen(*name) + 1;
    *pos = (size_t)(*value + strlen(*value) + 1 - resp->headers.ptr);
    return true;
}

static int s_dump_to_buf(const char *chunk, size_t size, void *data)
{
    return cr_buf_put(data, chunk, size) == 0 ? 0 : -1;
}

int cr__emu_body_json(struct cr_buf *out, const json_t *doc)
{
    cr_buf_clear(out);
    if (!doc ||
        json_dump_callback(doc, s_dump_to_buf, out, JSON_COMPACT | JSON_PRESERVE_ORDER) != 0 ||
        cr_buf_oom(out)) {
        cr_error_set("out of memory");
        return CR_ENOMEM;
    }
    return 0;
}

static int s_set_json(struct cr_emu_response *out, int status, json_t *doc)
{
    out->status = status;
    return cr__emu_body_json(&out->body, doc);
}

static int s_error(struct cr_emu_response *out, int status, const char *type, const char *msg)
{
    json_t *doc = json_pack("{s:s, s:s}", "__type", type, "message", msg);
    int rc = s_set_json(out, status, doc);
    out->content_type = CR_EMU_JSON_TYPE;
    json_decref(doc);
    return rc;
}

json_t *cr__emu_member(const json_t *obj, const char *name)
{
    json_t *v = json_object_get(obj, name);
    return json_is_null(v) ? NULL : v;
}

const char *cr__emu_input_str(const struct cr_emu_call *call, const char *name)
{
    return json_string_value(cr__emu_member(call->input, name));
}

int cr__emu_oom(struct cr_emu_call *call)
{
    return cr__emu_fail(call, 500, "InternalErrorException", "out of memory");
}

int cr__emu_fail(struct cr_emu_call *call, int status, const char *type, const char *fmt, ...)
{
    va_list ap;
    call->status = status;
    snprintf(call->error_type, sizeof(call->error_type), "%s", type);
    cr_buf_clear(&call->message);
    va_start(ap, fmt);
    cr_buf_vprintf(&call->message, fmt, ap);
    va_end(ap);
    return CR_ESERVICE;
}

/* Appends an entry {seq, operation, status, time_ms, error?, ...extra} to the ring (a ring:
 * appending is O(1) however long the emulator runs). extra is stolen (NULL = none);
 * resource names the object of the call in the --debug line. */
static void s_log(struct cr_emu *emu, const char *op, int status, const char *error_type,
                  json_t *extra, const char *resource)
{
    struct timespec now;
    clock_gettime(CLOCK_REALTIME, &now);
    if (!cr_utf8_valid(op, strlen(op)))
        op = "-"; /* a raw X-Amz-Target: json_pack would refuse it and the entry be lost */
    pthread_mutex_lock(&emu->aux_lock);
    json_t *e = json_pack("{s:I, s:s, s:i, s:I}", "seq", (json_int_t)++emu->log_seq, "operation",
                          op, "status", status, "time_ms",
                          (json_int_t)now.tv_sec * 1000 + now.tv_nsec / 1000000);
    if (e && error_type && error_type[0])
        json_object_set_new(e, "error", json_string(error_type));
    if (e && error_type &&
        (strcmp(error_type, "TooManyRequestsException") == 0 || strcmp(error_type, "SlowDown") == 0))
        json_object_set_new(e, "throttled", json_true()); /* benchmarks count these */
    if (e && extra)
        json_object_update(e, extra);
    if (e) {
        if (emu->log_len == CR_EMU_LOG_CAP) {
            json_decref(emu->log[emu->log_head]);
            emu->log[emu->log_head] = e;
            emu->log_head = (emu->log_head + 1) % CR_EMU_LOG_CAP;
        } else {
            emu->log[(emu->log_head + emu->log_len++) % CR_EMU_LOG_CAP] = e;
        }
    }
    pthread_mutex_unlock(&emu->aux_lock);
    json_decref(extra);
    if (emu->debug)
        cr_log_info("cognito-identity-local: %s %d %s %s", op, status,
                    error_type && error_type[0] ? error_type : "-", resource ? resource : "");
}

/* Sets key to the string value when it is a non-empty UTF-8 string (json_string refuses
 * anything else, and an entry must not be lost for it). */
static void s_log_field(json_t *extra, const char *key, const char *value)
{
    if (extra && value && value[0])
        json_object_set_new(extra, key, json_string(value));
}

void cr__emu_log_add(struct cr_emu *emu, const char *op, int status, const char *error_type,
                     const char *pool_id, const char *region)
{
    json_t *extra = json_object();
    s_log_field(extra, "pool_id", pool_id);
    s_log_field(extra, "region", region);
    s_log(emu, op, status, error_type, extra, pool_id);
}

void cr__emu_log_add_s3(struct cr_emu *emu, const char *op, int status, const char *error_code,
                        const char *bucket, const char *key)
{
    json_t *extra = json_object();
    s_log_field(extra, "bucket", bucket);
    s_log_field(extra, "key", key);
    s_log(emu, op, status, error_code, extra, key ? key : bucket);
}

void cr__emu_log_clear(struct cr_emu *emu)
{
    for (size_t i = 0; i < emu->log_len; i++)
        json_decref(emu->log[(emu->log_head + i) % CR_EMU_LOG_CAP]);
    emu->log_head = 0;
    emu->log_len = 0;
    emu->log_seq = 0;
}

/* ---- control endpoints ---- */

static int s_local_requests(struct cr_emu *emu, struct cr_emu_response *out, const char *query)
{
    long since = 0;
    char *end = NULL;
    const char *p = query ? strstr(query, "since=") : NULL;
    if (p) {
        since = strtol(p + 6, &end, 10);
        if (end == p + 6 || (*end != '\0' && *end != '&') || since < 0)
            return s_error(out, 400, "InvalidParameterException",
                           "since: expected a non-negative request sequence number");
    }
    json_t *list = json_array();
    pthread_mutex_lock(&emu->aux_lock);
    for (size_t i = 0; list && i < emu->log_len; i++) {
        json_t *e = emu->log[(emu->log_head + i) % CR_EMU_LOG_CAP];
        if (json_integer_value(json_object_get(e, "seq")) > since)
            json_array_append(list, e);
    }
    json_t *doc = json_pack("{s:o, s:I}", "requests", list, "last_seq", (json_int_t)emu->log_seq);
    pthread_mutex_unlock(&emu->aux_lock);
    int rc = s_set_json(out, 200, doc);
    json_decref(doc);
    return rc;
}

static int s_local_faults(struct cr_emu *emu, struct cr_emu_response *out,
                          const struct cr_emu_request *req)
{
    int rc;
    if (strcmp(req->method, "POST") == 0) {
        struct cr_emu_faults parsed = {0};
        char *text = strndup(req->body ? req->body : "", req->body_len);
        rc = text ? cr__emu_faults_parse(&parsed, text) : CR_ENOMEM;
        free(text);
        if (rc != 0) {
            cr__emu_faults_dispose(&parsed);
            return s_error(out, 400, "InvalidFaultsException", cr_error_last());
        }
        /* POST replaces the whole rule set, so a test states exactly what is in force. */
        pthread_mutex_lock(&emu->aux_lock);
        cr__emu_faults_dispose(&emu->faults);
        emu->faults = parsed;
        pthread_mutex_unlock(&emu->aux_lock);
    }
    pthread_mutex_lock(&emu->aux_lock);
    json_t *doc = json_pack("{s:o}", "faults", cr__emu_faults_json(&emu->faults));
    pthread_mutex_unlock(&emu->aux_lock);
    rc = s_set_json(out, 200, doc);
    json_decref(doc);
    return rc;
}

static int s_local_quotas(struct cr_emu *emu, struct cr_emu_response *out,
                          const struct cr_emu_request *req)
{
    if (strcmp(req->method, "POST") == 0) {
        struct cr_emu_quota_config parsed;
        if (cr__emu_quota_parse_json(&parsed, req->body, req->body_len) != 0)
            return s_error(out, 400, "InvalidQuotasException", cr_error_last());
        /* POST replaces what is enforced, as for faults */
        cr__emu_quotas_set(&emu->quotas, &parsed);
    }
    json_t *doc = cr__emu_quotas_json(&emu->quotas);
    int rc = s_set_json(out, 200, doc);
    json_decref(doc);
    return rc;
}

static int s_local_reset(struct cr_emu *emu, struct cr_emu_response *out)
{
    int rc = 0;
    json_t *fresh = cr__emu_state_empty();
    if (!fresh)
        return s_error(out, 500, "InternalErrorException", "out of memory");
    pthread_mutex_lock(&emu->state_lock);
    json_decref(emu->state);
    emu->state = fresh;
    rc = cr__emu_s3_create_buckets(emu); /* the --s3-bucket buckets exist again, empty */
    if (rc == 0 && emu->state_path)
        rc = cr__emu_persist_save(emu->state, emu->state_path);
    pthread_mutex_unlock(&emu->state_lock);
    pthread_mutex_lock(&emu->aux_lock);
    cr__emu_faults_dispose(&emu->faults);
    cr__emu_log_clear(emu);
    pthread_mutex_unlock(&emu->aux_lock);
    cr__emu_quotas_set(&emu->quotas, &emu->quotas_initial); /* the quotas it started with */
    if (rc != 0)
        return s_error(out, 500, "InternalErrorException", cr_error_last());
    json_t *doc = json_pack("{s:b}", "reset", 1);
    rc = s_set_json(out, 200, doc);
    json_decref(doc);
    return rc;
}

/* POST /_local/token: a test login token signed by the emulator's identity-provider key. */
static int s_local_token(struct cr_emu *emu, struct cr_emu_response *out,
                         const struct cr_emu_request *req)
{
    json_t *doc = NULL;
    int status = cr__emu_local_token(&doc, emu, req->body, req->body_len);
    int rc = s_set_json(out, status, doc);
    json_decref(doc);
    return rc;
}

/* The public signing keys: the OpenID one (GET /.well-known/jwks_uri, as the service
 * publishes it), or both (GET /_local/jwks). Keys are made on first use. */
static int s_jwks(struct cr_emu *emu, struct cr_emu_response *out, bool all)
{
    bool wrote = false;
    int rc = 0;
    pthread_mutex_lock(&emu->state_lock);
    json_t *doc = cr__emu_jwks(emu, all, &wrote);
    if (doc && wrote && emu->state_path)
        rc = cr__emu_persist_save(emu->state, emu->state_path);
    pthread_mutex_unlock(&emu->state_lock);
    out->content_type = "application/json";
    if (!doc || rc != 0) {
        json_decref(doc);
        return s_error(out, 500, "InternalErrorException", cr_error_last());
    }
    rc = s_set_json(out, 200, doc);
    json_decref(doc);
    return rc;
}

/* GET /_local/credentials/KEY: whom GetCredentialsForIdentity gave the access key to (role,
 * identity, principal tags), which AWS shows nowhere but in policy evaluation. */
static int s_local_credentials(struct cr_emu *emu, struct cr_emu_response *out, const char *key)
{
    int rc;
    pthread_mutex_lock(&emu->aux_lock);
    json_t *doc = json_deep_copy(json_object_get(emu->sessions, key));
    pthread_mutex_unlock(&emu->aux_lock);
    if (!doc)
        return s_error(out, 404, "ResourceNotFoundException",
                       "no unexpired credentials from GetCredentialsForIdentity have that access "
                       "key id");
    rc = s_set_json(out, 200, doc);
    json_decref(doc);
    return rc;
}

/* GET /_local/connections: the HTTP server's open connections by client address. */
static int s_local_connections(struct cr_emu *emu, struct cr_emu_response *out)
{
    if (!emu->connections)
        return s_error(out, 404, "NotFoundException",
                       "connections are counted by the HTTP server, which is not running");
    json_t *doc = emu->connections(emu->connections_arg);
    if (!doc)
        return s_error(out, 500, "InternalErrorException", "out of memory");
    int rc = s_set_json(out, 200, doc);
    json_decref(doc);
    return rc;
}

static int s_local(struct cr_emu *emu, struct cr_emu_response *out,
                   const struct cr_emu_request *req)
{
    const char *p = req->path + strlen("/_local/");
    bool get = strcmp(req->method, "GET") == 0, post = strcmp(req->method, "POST") == 0;
    out->content_type = "application/json";
    if (!req->loopback)
        return s_error(out, 403, "AccessDeniedException",
                       "control endpoints accept loopback clients only");
    if (strcmp(p, "health") == 0 && get) {
        cr_buf_puts(&out->body, "{\"status\":\"ok\"}");
        out->status = 200;
        return 0;
    }
    if (strcmp(p, "state") == 0 && get) {
        pthread_mutex_lock(&emu->state_lock);
        int rc = s_set_json(out, 200, emu->state);
        pthread_mutex_unlock(&emu->state_lock);
        return rc;
    }
    if (strcmp(p, "requests") == 0 && get)
        return s_local_requests(emu, out, req->query);
    if (strcmp(p, "faults") == 0 && (get || post))
        return s_local_faults(emu, out, req);
    if (strcmp(p, "quotas") == 0 && (get || post))
        return s_local_quotas(emu, out, req);
    if (strcmp(p, "reset") == 0 && post)
        return s_local_reset(emu, out);
    if (strcmp(p, "token") == 0 && post)
        return s_local_token(emu, out, req);
    if (strcmp(p, "jwks") == 0 && get)
        return s_jwks(emu, out, true);
    if (strcmp(p, "connections") == 0 && get)
        return s_local_connections(emu, out);
    if (strncmp(p, "credentials/", 12) == 0 && get)
        return s_local_credentials(emu, out, p + 12);
    if (strcmp(p, "sso/tokens") == 0 && post)
        return cr__emu_sso_register(emu, out, req);
    if (strcmp(p, "health") == 0 || strcmp(p, "requests") == 0 || strcmp(p, "faults") == 0 ||
        strcmp(p, "reset") == 0 || strcmp(p, "state") == 0 || strcmp(p, "quotas") == 0 ||
        strcmp(p, "token") == 0 || strcmp(p, "jwks") == 0 || strcmp(p, "sso/tokens") == 0 ||
        strcmp(p, "connections") == 0) {
        out->allow = strcmp(p, "faults") == 0 || strcmp(p, "quotas") == 0 ? "GET, POST"
                     : strcmp(p, "reset") == 0 || strcmp(p, "token") == 0 ||
                             strcmp(p, "sso/tokens") == 0
                         ? "POST"
                         : "GET";
        return s_error(out, 405, "MethodNotAllowedException", "method not allowed");
    }
    return s_error(out, 404, "NotFoundException", "no such control endpoint");
}

/* ---- JSON 1.1 operations ---- */

static const struct s_op *s_find_op(const char *target)
{
    size_t plen = strlen(CR_EMU_TARGET_PREFIX);
    if (!target || strncmp(target, CR_EMU_TARGET_PREFIX, plen) != 0)
        return NULL;
    for (size_t i = 0; i < sizeof(s_ops) / sizeof(s_ops[0]); i++) {
        if (strcmp(target + plen, s_ops[i].name) == 0)
            return &s_ops[i];
    }
    return NULL;
}

/* Parses the body: empty means {}; anything but a JSON object is a SerializationException. */
static json_t *s_parse_body(struct cr_emu_call *call, const struct cr_emu_request *req)
{
    json_error_t jerr;
    json_t *doc;
    if (req->body_len == 0)
        return json_object();
    if (!cr_utf8_valid(req->body, req->body_len)) {
        cr__emu_fail(call, 400, "SerializationException", "Request body is not valid UTF-8");
        return NULL;
    }
    doc = json_loadb(req->body, req->body_len, JSON_REJECT_DUPLICATES, &jerr);
    if (!doc) {
        char why[sizeof(jerr.text)]; /* the reason only: never the body's text (a token) */
        cr__emu_fail(call, 400, "SerializationException",
                     "Could not parse the request body as JSON at line %d column %d: %s", jerr.line,
                     jerr.column, cr_json_error_reason(why, sizeof(why), &jerr));
        return NULL;
    }
    if (!json_is_object(doc)) {
        json_decref(doc);
        cr__emu_fail(call, 400, "SerializationException",
                     "Start of structure or map expected: the request body must be a JSON object");
        return NULL;
    }
    return doc;
}

static void s_sleep_ms(uint32_t ms)
{
    struct timespec ts = {ms / 1000, (long)(ms % 1000) * 1000000L};
    while (nanosleep(&ts, &ts) != 0) {
    }
}

/* After a failed save, puts back the state the file still holds (the one from before the
 * call), so a call answered 500 changed nothing. Runs under the state lock. */
static void s_restore_saved(struct cr_emu *emu, const char *op)
{
    json_t *saved = NULL;
    if (cr__emu_persist_load(&saved, emu->state_path) != 0) {
        cr_log_info("cognito-identity-local: %s: the change stays in memory: %s", op,
                    cr_error_last());
        return;
    }
    json_decref(emu->state);
    emu->state = saved;
}

int cr__emu_state_commit(struct cr_emu *emu, const char *op)
{
    if (!emu->state_path || cr__emu_persist_save(emu->state, emu->state_path) == 0)
        return 0;
    cr_log_info("cognito-identity-local: %s: %s", op, cr_error_last());
    s_restore_saved(emu, op);
    return CR_EIO;
}

/* Runs the operation under the state lock and persists a change. */
static void s_run_op(struct cr_emu_call *call, const struct s_op *op)
{
    struct cr_emu *emu = call->emu;
    pthread_mutex_lock(&emu->state_lock);
    if (cr__emu_validate(call) == 0 && op->fn(call) == 0 && op->write && call->wrote &&
        cr__emu_state_commit(emu, op->name) != 0) {
        json_decref(call->output);
        call->output = NULL;
        cr__emu_fail(call, 500, "InternalErrorException", "The state could not be saved.");
    }
    pthread_mutex_unlock(&emu->state_lock);
}

/* How the request log names a fault's outcome. */
static const char *s_fault_name(const struct cr_emu_fault_action *a)
{
    if (a->kind == CR_EMU_FAULT_DROP)
        return "drop";
    if (a->kind == CR_EMU_FAULT_HANG)
        return "hang";
    return a->type;
}

static int s_fault_response(struct cr_emu_response *out, const struct cr_emu_fault_action *a)
{
    if (a->kind == CR_EMU_FAULT_DROP || a->kind == CR_EMU_FAULT_HANG) {
        out->drop = true;
        out->hang_ms = a->kind == CR_EMU_FAULT_HANG ? a->hang_ms : 0;
        out->status = 0;
        return 0;
    }
    return s_error(out, a->status, a->type, a->message);
}

static int s_finish_call(struct cr_emu_response *out, struct cr_emu_call *call)
{
    if (call->error_type[0])
        return s_error(out, call->status, call->error_type, cr_buf_cstr(&call->message));
    if (cr_buf_oom(&call->message) || !call->output)
        return s_error(out, 500, "InternalErrorException", "out of memory");
    return s_set_json(out, 200, call->output);
}

/* Everything decided before the (possibly delayed) operation runs. */
struct cr_emu_pending {
    bool json_op; /* POST / without a form body: a JSON 1.1 operation (a form body is STS) */
    bool jwks;    /* GET /.well-known/jwks_uri: the OpenID signing keys */
    bool s3;      /* any other path outside /_local/: S3 (path-style) */
    const char *s3_op; /* PutObject, ...; NULL = not emulated */
    enum cr_emu_cred_kind cred;  /* a credential endpoint (IMDS, container, SSO portal) */
    const char *cred_op;         /* its operation name, for faults */
    const struct s_op *op;
    struct cr_emu_caller caller;
    struct cr_emu_auth_result auth;
    bool throttled; /* over the request-rate quota (quota.c) */
    struct cr_emu_fault_action fault;
};

/* STS: a form body. A request naming a cognito-identity target is JSON 1.1 whatever its
 * content type (plain `curl -d` sends a form content type). */
static bool s_is_form(const struct cr_emu_request *req, const char *target)
{
    const char *ct = cr__emu_header(req, "Content-Type");
    if (target && strncmp(target, CR_EMU_TARGET_PREFIX, strlen(CR_EMU_TARGET_PREFIX)) == 0)
        return false;
    return ct && strncasecmp(ct, "application/x-www-form-urlencoded", 33) == 0;
}

int cr_emu_prepare(struct cr_emu_pending **out, struct cr_emu *emu,
                   const struct cr_emu_request *req)
{
    struct cr_emu_pending *p = calloc(1, sizeof(*p));
    if (!p) {
        cr_error_set("out of memory");
        return CR_ENOMEM;
    }
    const char *target = cr__emu_header(req, "X-Amz-Target");
    p->json_op = strcmp(req->path, "/") == 0 && strcmp(req->method, "POST") == 0 &&
                 !req->body_too_large && !s_is_form(req, target);
    p->op = p->json_op ? s_find_op(target) : NULL;
    /* GET /.well-known/jwks_uri is the OpenID keys (".well-known" is no valid bucket name). */
    p->jwks = strcmp(req->path, "/.well-known/jwks_uri") == 0 && strcmp(req->method, "GET") == 0;
    p->cred = cr__emu_cred_route(req, &p->cred_op);
    if (p->cred != CR_EMU_CRED_NONE) { /* unsigned endpoints: faults apply to every call */
        pthread_mutex_lock(&emu->aux_lock);
        cr__emu_faults_decide(&p->fault, &emu->faults, p->cred_op, NULL, cr__emu_random01);
        pthread_mutex_unlock(&emu->aux_lock);
    }
    /* the credential endpoints' paths come before S3's path-style buckets */
    p->s3 = !p->jwks && p->cred == CR_EMU_CRED_NONE && cr__emu_s3_request(req);
    p->s3_op = p->s3 ? cr__emu_s3_operation_of(req) : NULL;
    if (p->op || p->s3) {
        cr__emu_auth_check(&p->auth, &p->caller, emu, req, p->s3 ? "s3" : "cognito-identity");
        /* The operations the model marks "authtype": "none" (GetId, ...) are public: without
         * an Authorization header they need no signature. A signature, when sent, is checked
         * as usual (choice). */
        if (p->op && p->auth.status != 0 && p->caller.anonymous &&
            cr_operation_find(p->op->name) && cr_operation_find(p->op->name)->unsigned_auth)
            memset(&p->auth, 0, sizeof(p->auth));
        /* Quotas (cognito-identity's; S3 has none per operation) and faults apply to
         * authenticated calls only (a refused signature takes no token), and a throttled call
         * neither runs nor uses up a fault's count. */
        if (p->auth.status == 0 && p->op)
            p->throttled = !cr__emu_quotas_admit(&emu->quotas, p->caller.account_id,
                                                 p->caller.region, p->op->name);
        if (p->auth.status == 0 && !p->throttled && (p->op || p->s3_op)) {
            pthread_mutex_lock(&emu->aux_lock);
            cr__emu_faults_decide(&p->fault, &emu->faults, p->op ? p->op->name : p->s3_op,
                                  p->caller.account_id, cr__emu_random01);
            pthread_mutex_unlock(&emu->aux_lock);
        }
    }
    *out = p;
    return 0;
}

uint32_t cr_emu_pending_delay_ms(const struct cr_emu_pending *pending)
{
    return pending ? pending->fault.delay_ms : 0;
}

void cr_emu_pending_free(struct cr_emu_pending *pending)
{
    free(pending);
}

static int s_json_op(struct cr_emu *emu, struct cr_emu_response *out,
                     const struct cr_emu_request *req, const struct cr_emu_pending *p)
{
    int rc;
    const char *target = cr__emu_header(req, "X-Amz-Target");
    const struct s_op *op = p->op;
    const struct cr_emu_fault_action *fault = &p->fault;
    struct cr_emu_call call = {.emu = emu, .caller = &p->caller};
    if (!op) {
        rc = s_error(out, 400, "UnknownOperationException",
                     target ? "The requested operation is not recognized by the service."
                            : "Missing X-Amz-Target header.");
        cr__emu_log_add(emu, target ? target : "-", 400, "UnknownOperationException", NULL, NULL);
        return rc;
    }
    call.op = op->name;
    if (p->auth.status != 0) {
        rc = s_error(out, p->auth.status, p->auth.error_type, p->auth.message);
        cr__emu_log_add(emu, op->name, p->auth.status, p->auth.error_type, NULL, p->caller.region);
        return rc;
    }
    if (p->throttled) {
        /* what the service answers over a quota (JSON 1.1: 400, not 429) */
        rc = s_error(out, 400, "TooManyRequestsException", "Rate exceeded");
        cr__emu_log_add(emu, op->name, 400, "TooManyRequestsException", NULL, p->caller.region);
        return rc;
    }
    if (fault->kind != CR_EMU_FAULT_NONE && !fault->after) {
        rc = s_fault_response(out, fault);
        cr__emu_log_add(emu, op->name, out->status, s_fault_name(fault), NULL, p->caller.region);
        return rc;
    }
    call.input = s_parse_body(&call, req);
    if (call.input)
        s_run_op(&call, op);
    if (fault->kind != CR_EMU_FAULT_NONE) /* "after": the operation happened, then it fails */
        rc = s_fault_response(out, fault);
    else
        rc = s_finish_call(out, &call);
    cr__emu_log_add(emu, op->name, out->status,
                    fault->kind != CR_EMU_FAULT_NONE ? s_fault_name(fault) : call.error_type,
                    call.pool_id, p->caller.region);
    json_decref(call.input);
    json_decref(call.output);
    cr_buf_dispose(&call.message);
    return rc;
}

/* IMDS, container credentials, the SSO portal: after their injected fault, if any. They
 * answer loopback clients only (choice: the real ones are link-local or behind a login). */
static int s_credential_endpoint(struct cr_emu *emu, struct cr_emu_response *out,
                                 const struct cr_emu_request *req,
                                 const struct cr_emu_pending *p)
{
    int rc;
    if (!req->loopback && p->cred != CR_EMU_CRED_SSO)
        return cr__emu_cred_error(out, 403, NULL, "credential endpoints answer loopback only");
    if (p->fault.kind != CR_EMU_FAULT_NONE && !p->fault.after) {
        rc = s_fault_response(out, &p->fault);
        cr__emu_log_add(emu, p->cred_op, out->status, s_fault_name(&p->fault), NULL, NULL);
        return rc;
    }
    rc = p->cred == CR_EMU_CRED_IMDS        ? cr__emu_imds_handle(emu, out, req)
         : p->cred == CR_EMU_CRED_CONTAINER ? cr__emu_container_handle(emu, out, req)
                                            : cr__emu_sso_handle(emu, out, req);
    if (rc == 0 && p->fault.kind != CR_EMU_FAULT_NONE) /* "after": handled, then it fails */
        rc = s_fault_response(out, &p->fault);
    return rc;
}

int cr_emu_finish(struct cr_emu *emu, struct cr_emu_response *out, const struct cr_emu_request *req,
                  const struct cr_emu_pending *pending)
{
    char msg[128];
    if (pending->cred != CR_EMU_CRED_NONE)
        return s_credential_endpoint(emu, out, req, pending);
    if (strncmp(req->path, "/_local/", 8) == 0)
        return s_local(emu, out, req);
    if (pending->s3)
        return cr__emu_s3_handle(emu, out, req, pending->s3_op, &pending->auth, &pending->fault);
    if (pending->jwks)
        return s_jwks(emu, out, false);
    if (strcmp(req->path, "/") != 0)
        return s_error(out, 404, "NotFoundException", "Not Found: only POST / is served.");
    if (strcmp(req->method, "POST") != 0)
        return s_error(out, 405, "MethodNotAllowedException",
                       "Method Not Allowed: the API takes POST / only.");
    if (req->body_too_large) {
        snprintf(msg, sizeof(msg), "Request body is larger than %zu bytes.", emu->max_body_bytes);
        cr__emu_log_add(emu, "-", 413, "RequestEntityTooLargeException", NULL, NULL);
        return s_error(out, 413, "RequestEntityTooLargeException", msg);
    }
    if (!pending->json_op) /* POST / with a form body (decided by cr_emu_prepare) */
        return cr__emu_sts_handle(emu, out, req);
    return s_json_op(emu, out, req, pending);
}

int cr_emu_handle(struct cr_emu *emu, struct cr_emu_response *out, const struct cr_emu_request *req)
{
    struct cr_emu_pending *pending = NULL;
    int rc = cr_emu_prepare(&pending, emu, req);
    if (rc != 0)
        return rc;
    if (pending->fault.delay_ms)
        s_sleep_ms(pending->fault.delay_ms);
    rc = cr_emu_finish(emu, out, req, pending);
    if (out->hang_ms)
        s_sleep_ms(out->hang_ms);
    cr_emu_pending_free(pending);
    return rc;
}
