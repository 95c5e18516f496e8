/* SPDX-License-Identifier: Apache-2.0 */
/*
 * The two metadata services that hand a machine's role credentials to programs running on it:
 *
 * - EC2 instance metadata, version 2 only (on its own listener, --imds-port): a session token
 *   from PUT /latest/api/token (X-aws-ec2-metadata-token-ttl-seconds: 1..21600), then GET
 *   /latest/meta-data/iam/security-credentials/ (the role name) and .../ROLE (the
 *   credentials), each with X-aws-ec2-metadata-token. A GET without a valid token is 401, as
 *   on an instance whose metadata options say HttpTokens=required.
 * - Container credentials (ECS task roles at /v2/credentials/ID, EKS Pod Identity at
 *   /v1/credentials) on the main port, answering the Authorization header configured with
 *   --container-token (any, when none is configured, as ECS's relative URI needs none).
 *
 * Both mint credentials of the configured role (registered, so SigV4 with them verifies and
 * GetCallerIdentity names arn:aws:sts::ACCOUNT:assumed-role/ROLE/SESSION, the session being
 * the instance id or the task id) that live --credentials-ttl seconds. Each request mints a
 * fresh set (choice: the real services hand out the same set for a while and rotate it).
 */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>
#include <time.h>

#include "aws/cognito.h"
#include "emulator/internal.h"
#include "util/strutil.h"

#define S_IMDS_MAX_TTL_S   21600
#define S_IMDS_MAX_TOKENS  10000
#define S_IMDS_ROLE_PATH   "/latest/meta-data/iam/security-credentials/"
#define S_IMDS_TOKEN_PATH  "/latest/api/token"
#define S_TTL_HEADER       "X-aws-ec2-metadata-token-ttl-seconds"
#define S_TOKEN_HEADER     "X-aws-ec2-metadata-token"

void cr__emu_iso8601(char out[32], int64_t t)
{
    time_t tt = (time_t)t;
    struct tm tm;
    gmtime_r(&tt, &tm);
    strftime(out, 32, "%Y-%m-%dT%H:%M:%SZ", &tm);
}

int cr__emu_cred_error(struct cr_emu_response *out, int status, const char *type,
                       const char *message)
{
    json_t *doc = type ? json_pack("{s:s, s:s}", "message", message, "__type", type)
                       : json_pack("{s:s}", "message", message);
    out->status = status;
    out->content_type = "application/json";
    int rc = cr__emu_body_json(&out->body, doc);
    json_decref(doc);
    return rc;
}

enum cr_emu_cred_kind cr__emu_cred_route(const struct cr_emu_request *req, const char **op)
{
    const char *p = req->path;
    *op = NULL;
    if (req->imds) {
        *op = strcmp(p, S_IMDS_TOKEN_PATH) == 0  ? "IMDSToken"
              : strcmp(p, S_IMDS_ROLE_PATH) == 0 ? "IMDSRole"
              : strncmp(p, S_IMDS_ROLE_PATH, strlen(S_IMDS_ROLE_PATH)) == 0 ? "IMDSCredentials"
                                                                         : "IMDSMetadata";
        return CR_EMU_CRED_IMDS;
    }
    if (strncmp(p, "/v2/credentials/", 16) == 0 || strcmp(p, "/v1/credentials") == 0) {
        *op = "ContainerCredentials";
        return CR_EMU_CRED_CONTAINER;
    }
    if (strcmp(p, "/federation/credentials") == 0) {
        *op = "GetRoleCredentials";
        return CR_EMU_CRED_SSO;
    }
    return CR_EMU_CRED_NONE;
}

/* A text/plain answer (IMDS answers plain text; its errors are short HTML-free texts too). */
static int s_text(struct cr_emu_response *out, int status, const char *text)
{
    out->status = status;
    out->content_type = "text/plain";
    cr_buf_clear(&out->body);
    cr_buf_puts(&out->body, text);
    return cr_buf_oom(&out->body) ? CR_ENOMEM : 0;
}

/* Mints credentials of role `role` in the emulator's account for session, as a JSON object
 * in the metadata services' shape (AccessKeyId, SecretAccessKey, Token, Expiration); NULL
 * when out of memory. */
static json_t *s_role_credentials(struct cr_emu *emu, const char *role, const char *session)
{
    struct cr_emu_session ses;
    json_t *doc = NULL;
    if (cr__emu_session_mint(&ses, emu, emu->account_id, role, session, emu->credentials_ttl_s) ==
        0)
        doc = json_pack("{s:s, s:s, s:s, s:s}", "AccessKeyId", ses.key_id, "SecretAccessKey",
                        ses.secret, "Token", ses.token, "Expiration", ses.expiration);
    memset(&ses, 0, sizeof(ses)); /* secrets */
    return doc;
}

/* ---- IMDSv2 ---- */

/* A new session token valid ttl_s seconds (remembered under aux_lock). */
static int s_imds_token_new(struct cr_emu *emu, char out[80], long ttl_s)
{
    char a[37], b[37];
    int rc = 0;
    cr__emu_uuid(a);
    cr__emu_uuid(b);
    snprintf(out, 80, "AQAEA%.8s%.4s%.4s%.4s%.12s%.8s%.12sw==", a, a + 9, a + 14, a + 19,
             a + 24, b, b + 24);
    int64_t now = cr_time_now();
    pthread_mutex_lock(&emu->aux_lock);
    if (json_object_size(emu->imds_tokens) >= S_IMDS_MAX_TOKENS) {
        const char *k;
        json_t *v, *tmp;
        json_object_foreach_safe(emu->imds_tokens, tmp, k, v)
        {
            if (json_integer_value(v) <= now)
                json_object_del(emu->imds_tokens, k);
        }
    }
    if (json_object_size(emu->imds_tokens) >= S_IMDS_MAX_TOKENS ||
        json_object_set_new(emu->imds_tokens, out, json_integer(now + ttl_s)) != 0)
        rc = CR_ENOMEM;
    pthread_mutex_unlock(&emu->aux_lock);
    return rc;
}

static bool s_imds_token_ok(struct cr_emu *emu, const char *token)
{
    bool ok = false;
    if (!token)
        return false;
    pthread_mutex_lock(&emu->aux_lock);
    json_t *exp = json_object_get(emu->imds_tokens, token);
    ok = exp && json_integer_value(exp) > cr_time_now();
    pthread_mutex_unlock(&emu->aux_lock);
    return ok;
}

static int s_imds_put_token(struct cr_emu *emu, struct cr_emu_response *out,
                            const struct cr_emu_request *req)
{
    const char *ttl = cr__emu_header(req, S_TTL_HEADER);
    char *end = NULL, token[80];
    long ttl_s = ttl ? strtol(ttl, &end, 10) : 0;
    /* a token request relayed by a proxy is refused, so a misconfigured proxy on the
     * instance cannot hand tokens to other machines */
    if (cr__emu_header(req, "X-Forwarded-For"))
        return s_text(out, 403, "Forbidden");
    if (!ttl || !end || *end || ttl_s < 1 || ttl_s > S_IMDS_MAX_TTL_S)
        return s_text(out, 400, "Bad Request");
    if (s_imds_token_new(emu, token, ttl_s) != 0)
        return s_text(out, 500, "Internal Server Error");
    /* as EC2 answers: the TTL the token got */
    if (cr_emu_response_header(out, S_TTL_HEADER, "%ld", ttl_s) != 0)
        return CR_ENOMEM;
    return s_text(out, 200, token);
}

static int s_imds_get(struct cr_emu *emu, struct cr_emu_response *out,
                      const struct cr_emu_request *req)
{
    const char *p = req->path;
    size_t rlen = strlen(S_IMDS_ROLE_PATH);
    if (!s_imds_token_ok(emu, cr__emu_header(req, S_TOKEN_HEADER)))
        return s_text(out, 401, "Unauthorized");
    if (strcmp(p, "/latest/meta-data/instance-id") == 0)
        return s_text(out, 200, emu->instance_id);
    if (strcmp(p, S_IMDS_ROLE_PATH) == 0)
        return s_text(out, 200, emu->imds_role);
    if (strncmp(p, S_IMDS_ROLE_PATH, rlen) != 0 || strcmp(p + rlen, emu->imds_role) != 0)
        return s_text(out, 404, "Not Found");
    json_t *doc = s_role_credentials(emu, emu->imds_role, emu->instance_id);
    char now[32];
    cr__emu_iso8601(now, cr_time_now());
    if (doc && json_object_set_new(doc, "Code", json_string("Success")) == 0 &&
        json_object_set_new(doc, "LastUpdated", json_string(now)) == 0 &&
        json_object_set_new(doc, "Type", json_string("AWS-HMAC")) == 0) {
        out->status = 200;
        out->content_type = "text/plain"; /* as IMDS labels it, JSON or not */
        int rc = cr__emu_body_json(&out->body, doc);
        json_decref(doc);
        return rc;
    }
    json_decref(doc);
    return s_text(out, 500, "Internal Server Error");
}

int cr__emu_imds_handle(struct cr_emu *emu, struct cr_emu_response *out,
                        const struct cr_emu_request *req)
{
    const char *op = NULL;
    int rc;
    cr__emu_cred_route(req, &op);
    if (strcmp(req->path, S_IMDS_TOKEN_PATH) == 0)
        rc = strcmp(req->method, "PUT") == 0 ? s_imds_put_token(emu, out, req)
                                             : s_text(out, 405, "Method Not Allowed");
    else if (strcmp(req->method, "GET") == 0 || strcmp(req->method, "HEAD") == 0)
        rc = s_imds_get(emu, out, req);
    else
        rc = s_text(out, 405, "Method Not Allowed");
    if (out->status == 405)
        out->allow = strcmp(req->path, S_IMDS_TOKEN_PATH) == 0 ? "PUT" : "GET";
    cr__emu_log_add(emu, op, out->status, out->status == 200 ? NULL : cr_buf_cstr(&out->body),
                    NULL, NULL);
    return rc;
}

/* ---- container credentials ---- */

int cr__emu_container_handle(struct cr_emu *emu, struct cr_emu_response *out,
                             const struct cr_emu_request *req)
{
    const char *auth = cr__emu_header(req, "Authorization");
    const char *err = NULL;
    int rc;
    if (strcmp(req->method, "GET") != 0) {
        out->allow = "GET";
        rc = cr__emu_cred_error(out, 405, NULL, "method not allowed");
        err = "MethodNotAllowed";
    } else if (emu->container_token && !auth) {
        rc = cr__emu_cred_error(out, 401, NULL, "Authorization header is missing");
        err = "Unauthorized";
    } else if (emu->container_token && strcmp(auth, emu->container_token) != 0) {
        rc = cr__emu_cred_error(out, 401, NULL, "Authorization token is not valid");
        err = "Unauthorized";
    } else {
        json_t *doc = s_role_credentials(emu, emu->container_role, emu->task_id);
        char role_arn[300];
        snprintf(role_arn, sizeof(role_arn), "arn:%s:iam::%s:role/%s",
                 cr_aws_partition(emu->region), emu->account_id, emu->container_role);
        if (doc && json_object_set_new(doc, "RoleArn", json_string(role_arn)) == 0) {
            out->status = 200;
            out->content_type = "application/json";
            rc = cr__emu_body_json(&out->body, doc);
        } else {
            rc = cr__emu_cred_error(out, 500, NULL, "out of memory");
            err = "InternalError";
        }
        json_decref(doc);
    }
    cr__emu_log_add(emu, "ContainerCredentials", out->status, err, NULL, NULL);
    return rc;
}
