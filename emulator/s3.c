/* SPDX-License-Identifier: Apache-2.0 */
/*
 * The S3 protocol, path-style (http://127.0.0.1:PORT/BUCKET/KEY), for the four operations a
 * lock file needs: PutObject, GetObject, HeadObject, DeleteObject (the store and the
 * conditions are s3_objects.c's).
 *
 * Routing: every path other than "/" outside /_local/ is S3. cognito-identity (JSON 1.1)
 * and STS (query) are POSTs to "/", and no bucket can be called "_local" (bucket names have
 * no '_'), so the three never overlap. Requests are signed with the service name "s3"
 * (auth.c checks X-Amz-Content-Sha256 and signs the path as sent).
 *
 * Answers are S3's: errors are <Error><Code/><Message/>...<RequestId/><HostId/></Error>
 * (application/xml; a HEAD error has no body), with x-amz-request-id and x-amz-id-2 headers.
 */
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>

#include "emulator/internal.h"
#include "util/strutil.h"
#include "util/xml.h"

#define S_XML_DECL "<?xml version=\"1.0\" encoding=\"UTF-8\"?>\n"

static const char *const s_operations[] = {"PutObject", "GetObject", "HeadObject", "DeleteObject"};

const char *const *cr__emu_s3_operations(size_t *n)
{
    *n = sizeof(s_operations) / sizeof(s_operations[0]);
    return s_operations;
}

bool cr__emu_s3_operation(const char *name)
{
    for (size_t i = 0; i < sizeof(s_operations) / sizeof(s_operations[0]); i++) {
        if (strcmp(name, s_operations[i]) == 0)
            return true;
    }
    return false;
}

bool cr__emu_s3_request(const struct cr_emu_request *req)
{
    return req->path[0] == '/' && req->path[1] != '\0' && strncmp(req->path, "/_local/", 8) != 0;
}

/* The SDKs add x-id=<Operation> to every S3 request; any other query parameter names a
 * subresource or variant (versionId, acl, uploads, ...) that is not emulated. */
static bool s_query_ok(const char *query)
{
    while (query && *query) {
        size_t len = strcspn(query, "&");
        if (len > 0 && strncmp(query, "x-id=", 5) != 0)
            return false;
        query += len + (query[len] == '&');
    }
    return true;
}

const char *cr__emu_s3_operation_of(const struct cr_emu_request *req)
{
    const char *slash = strchr(req->path + 1, '/');
    if (!slash || slash[1] == '\0' || !s_query_ok(req->query))
        return NULL; /* bucket-level (ListObjects, ...) or a subresource */
    if (strcmp(req->method, "PUT") == 0)
        return "PutObject";
    if (strcmp(req->method, "GET") == 0)
        return "GetObject";
    if (strcmp(req->method, "HEAD") == 0)
        return "HeadObject";
    if (strcmp(req->method, "DELETE") == 0)
        return "DeleteObject";
    return NULL;
}

int cr__emu_s3_fail(struct cr_emu_s3_call *call, int status, const char *code, const char *message,
                    ...)
{
    va_list ap;
    const char *name;
    call->out->status = status;
    snprintf(call->code, sizeof(call->code), "%s", code);
    cr_buf_clear(&call->error);
    cr_buf_puts(&call->error, "<Message>");
    cr_xml_escape(&call->error, message, CR_XML_TEXT);
    cr_buf_puts(&call->error, "</Message>");
    va_start(ap, message);
    while ((name = va_arg(ap, const char *)) != NULL) {
        const char *value = va_arg(ap, const char *);
        cr_buf_printf(&call->error, "<%s>", name);
        cr_xml_escape(&call->error, value ? value : "", CR_XML_TEXT);
        cr_buf_printf(&call->error, "</%s>", name);
    }
    va_end(ap);
    return CR_ESERVICE;
}

/* S3's ids: a 16-digit upper-case hex request id and a longer base64-looking host id. */
static void s_ids(struct cr_emu_response *out, char host_id[80])
{
    char a[37], b[37];
    size_t n = 0;
    cr__emu_uuid(a);
    cr__emu_uuid(b);
    for (const char *p = a; *p && n < 16; p++) {
        if (*p != '-')
            out->request_id[n++] = (char)(*p >= 'a' ? *p - 'a' + 'A' : *p);
    }
    out->request_id[n] = '\0';
    snprintf(host_id, 80, "%.8s%.4s%.4s%.4s%.12s%.8s=", b, b + 9, b + 14, b + 19, b + 24, a + 24);
    out->request_id_header = "x-amz-request-id";
}

/* Renders call's error (or leaves a success answer alone). */
static int s_render(struct cr_emu_s3_call *call, const char *host_id)
{
    struct cr_emu_response *out = call->out;
    cr_emu_response_header(out, "x-amz-id-2", "%s", host_id);
    if (!call->code[0])
        return cr_buf_oom(&out->headers) ? CR_ENOMEM : 0;
    cr_buf_clear(&out->body);
    out->content_type = "application/xml";
    if (!call->head) /* a HEAD answer has no body: the status says it all */
        cr_buf_printf(&out->body,
                      S_XML_DECL "<Error><Code>%s</Code>%s<RequestId>%s</RequestId>"
                                 "<HostId>%s</HostId></Error>",
                      call->code, cr_buf_cstr(&call->error), out->request_id, host_id);
    if (out->status == 405)
        out->allow = "GET, HEAD, PUT, DELETE";
    return cr_buf_oom(&out->body) || cr_buf_oom(&call->error) || cr_buf_oom(&out->headers)
               ? CR_ENOMEM
               : 0;
}

/* The access key id of the request, for InvalidAccessKeyId's detail. */
static void s_access_key(char out[128], const struct cr_emu_request *req)
{
    struct cr_sigv4_authorization auth;
    const char *header = cr__emu_header(req, "Authorization");
    out[0] = '\0';
    if (header && cr_sigv4_parse_authorization(&auth, header) == 0)
        snprintf(out, 128, "%.*s", (int)auth.access_key_id.len, auth.access_key_id.ptr);
}

/* How S3 names each authentication failure (its status codes and messages). */
static void s_auth_error(struct cr_emu_s3_call *call, const struct cr_emu_auth_result *auth)
{
    char key_id[128];
    switch (auth->reason) {
    case CR_EMU_AUTH_MISSING:
        cr__emu_s3_fail(call, 403, "AccessDenied", "Access Denied", NULL);
        break;
    case CR_EMU_AUTH_UNKNOWN_KEY:
        if (cr__emu_header(call->req, "X-Amz-Security-Token")) {
            cr__emu_s3_fail(call, 400, "InvalidToken",
                            "The provided token is malformed or otherwise invalid.", NULL);
            break;
        }
        s_access_key(key_id, call->req);
        cr__emu_s3_fail(call, 403, "InvalidAccessKeyId",
                        "The AWS Access Key Id you provided does not exist in our records.",
                        "AWSAccessKeyId", key_id, NULL);
        break;
    case CR_EMU_AUTH_EXPIRED:
        cr__emu_s3_fail(call, 400, "ExpiredToken", "The provided token has expired.", NULL);
        break;
    case CR_EMU_AUTH_SKEW:
        cr__emu_s3_fail(call, 403, "RequestTimeTooSkewed",
                        "The difference between the request time and the current time is too "
                        "large.",
                        NULL);
        break;
    case CR_EMU_AUTH_SIGNATURE:
        cr__emu_s3_fail(call, 403, "SignatureDoesNotMatch",
                        "The request signature we calculated does not match the signature you "
                        "provided. Check your key and signing method.",
                        NULL);
        break;
    case CR_EMU_AUTH_SCOPE:
        cr__emu_s3_fail(call, 400, "AuthorizationHeaderMalformed",
                        "The authorization header is malformed; the credential must be scoped "
                        "to the service 's3'.",
                        NULL);
        break;
    case CR_EMU_AUTH_PAYLOAD_STREAMING:
        cr__emu_s3_fail(call, 501, auth->error_type, auth->message, NULL);
        break;
    case CR_EMU_AUTH_PAYLOAD_MISSING:
    case CR_EMU_AUTH_PAYLOAD_INVALID:
    case CR_EMU_AUTH_PAYLOAD_MISMATCH:
        cr__emu_s3_fail(call, 400, auth->error_type, auth->message, NULL);
        break;
    case CR_EMU_AUTH_MALFORMED:
    default: {
        char msg[600];
        snprintf(msg, sizeof(msg), "The authorization header is malformed; %s", auth->message);
        cr__emu_s3_fail(call, 400, "AuthorizationHeaderMalformed", msg, NULL);
        break;
    }
    }
}

/* An injected fault in S3's words: throttling is 503 SlowDown, the default error
 * InternalError; a named type and status are used as given. */
static void s_fault_error(struct cr_emu_s3_call *call, const struct cr_emu_fault_action *a)
{
    if (a->kind == CR_EMU_FAULT_DROP || a->kind == CR_EMU_FAULT_HANG) {
        call->out->drop = true;
        call->out->hang_ms = a->kind == CR_EMU_FAULT_HANG ? a->hang_ms : 0;
        call->out->status = 0;
        snprintf(call->code, sizeof(call->code), "%s",
                 a->kind == CR_EMU_FAULT_DROP ? "drop" : "hang");
        return;
    }
    if (a->kind == CR_EMU_FAULT_THROTTLE) {
        cr__emu_s3_fail(call, 503, "SlowDown", "Please reduce your request rate.", NULL);
        return;
    }
    if (strcmp(a->type, "InternalErrorException") == 0) {
        cr__emu_s3_fail(call, a->status, "InternalError",
                        "We encountered an internal error. Please try again.", NULL);
        return;
    }
    cr__emu_s3_fail(call, a->status, a->type, a->message, NULL);
}

/* Splits the path (libmicrohttpd hands it over percent-decoded) into bucket and key, both
 * in one allocation at *bucket. Returns 0, CR_EINVALID when the key is not UTF-8 (no key can
 * have that name), or CR_ENOMEM. */
static int s_split_path(char **bucket, const char **key, const char *path)
{
    char *copy = strdup(path + 1); /* without the leading '/' */
    if (!copy)
        return CR_ENOMEM;
    char *slash = strchr(copy, '/');
    if (slash)
        *slash = '\0';
    *bucket = copy;
    *key = slash ? slash + 1 : "";
    return cr_utf8_valid(*key, strlen(*key)) ? 0 : CR_EINVALID;
}

/* Runs the operation under the state lock and persists a change; with an "after" fault the
 * operation happens and the client then sees the fault. */
static void s_run(struct cr_emu_s3_call *call, const struct cr_emu_fault_action *fault)
{
    int (*fn)(struct cr_emu_s3_call *) = strcmp(call->op, "PutObject") == 0 ? cr__emu_s3_put_object
                                         : strcmp(call->op, "DeleteObject") == 0
                                             ? cr__emu_s3_delete_object
                                             : cr__emu_s3_get_object;
    struct cr_emu *emu = call->emu;
    bool failed = false;
    pthread_mutex_lock(&emu->state_lock);
    if (fn(call) == 0 && call->wrote)
        failed = cr__emu_state_commit(emu, call->op) != 0;
    pthread_mutex_unlock(&emu->state_lock);
    if (!failed && fault->kind == CR_EMU_FAULT_NONE)
        return;
    cr_buf_clear(&call->out->body);
    cr_buf_clear(&call->out->headers);
    if (failed)
        cr__emu_s3_fail(call, 500, "InternalError", "The state could not be saved.", NULL);
    else
        s_fault_error(call, fault);
}

/* The checks every request passes before its operation, in S3's order: who is calling, is
 * the request one we emulate, is its body acceptable. True when the operation may run. */
static bool s_admit(struct cr_emu_s3_call *call, const struct cr_emu_auth_result *auth,
                    const char *method)
{
    char size[32], max[32];
    const struct cr_emu_request *req = call->req;
    if (auth->status != 0) {
        s_auth_error(call, auth);
        return false;
    }
    if (!cr__emu_s3_bucket_exists(call->emu, call->bucket)) {
        cr__emu_s3_fail(call, 404, "NoSuchBucket", "The specified bucket does not exist",
                        "BucketName", call->bucket, NULL);
        return false;
    }
    if (!call->op && strcmp(method, "GET") != 0 && strcmp(method, "HEAD") != 0 &&
        strcmp(method, "PUT") != 0 && strcmp(method, "DELETE") != 0) {
        cr__emu_s3_fail(call, 405, "MethodNotAllowed",
                        "The specified method is not allowed against this resource.", "Method",
                        method, "ResourceType", call->key[0] ? "OBJECT" : "BUCKET", NULL);
        return false;
    }
    if (!call->op) {
        cr__emu_s3_fail(call, 501, "NotImplemented",
                        "A header you provided implies functionality that is not implemented: "
                        "the emulator has PutObject, GetObject, HeadObject and DeleteObject on "
                        "path-style keys only.",
                        NULL);
        return false;
    }
    if (strlen(call->key) > CR_EMU_S3_MAX_KEY_BYTES) {
        cr__emu_s3_fail(call, 400, "KeyTooLongError", "Your key is too long", NULL);
        return false;
    }
    if (req->body_too_large) {
        snprintf(size, sizeof(size), "%s",
                 cr__emu_header(req, "Content-Length") ? cr__emu_header(req, "Content-Length")
                                                       : "unknown");
        snprintf(max, sizeof(max), "%zu", call->emu->max_body_bytes);
        cr__emu_s3_fail(call, 400, "EntityTooLarge",
                        "Your proposed upload exceeds the maximum allowed size", "ProposedSize",
                        size, "MaxSizeAllowed", max, NULL);
        return false;
    }
    return true;
}

int cr__emu_s3_handle(struct cr_emu *emu, struct cr_emu_response *out,
                      const struct cr_emu_request *req, const char *op,
                      const struct cr_emu_auth_result *auth,
                      const struct cr_emu_fault_action *fault)
{
    char host_id[80], *bucket = NULL;
    struct cr_emu_s3_call call = {.emu = emu, .req = req, .out = out, .op = op, .key = ""};
    int rc = 0;
    call.head = strcmp(req->method, "HEAD") == 0;
    cr_buf_init(&call.error);
    s_ids(out, host_id);
    out->content_type = NULL;
    rc = s_split_path(&bucket, &call.key, req->path);
    call.bucket = bucket ? bucket : "";
    if (rc == CR_ENOMEM)
        cr__emu_s3_fail(&call, 500, "InternalError", "out of memory", NULL);
    else if (rc != 0)
        cr__emu_s3_fail(&call, 400, "InvalidURI", "Couldn't parse the specified URI.", NULL);
    else if (!s_admit(&call, auth, req->method))
        ; /* refused: call holds the error */
    else if (fault->kind != CR_EMU_FAULT_NONE && !fault->after)
        s_fault_error(&call, fault);
    else
        s_run(&call, fault);
    rc = out->drop ? 0 : s_render(&call, host_id);
    cr__emu_log_add_s3(emu, op ? op : "-", out->status, call.code, call.bucket,
                       call.key[0] ? call.key : NULL);
    cr_buf_dispose(&call.error);
    free(bucket);
    return rc;
}
