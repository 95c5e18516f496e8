/* SPDX-License-Identifier: Apache-2.0 */
/*
 * The IAM Identity Center (SSO) portal's GetRoleCredentials, as the sso-2019-06-10 model
 * describes it (REST-JSON): GET /federation/credentials?role_name=R&account_id=A with the
 * access token in the x-amz-sso_bearer_token header, answered with
 * {"roleCredentials": {accessKeyId, secretAccessKey, sessionToken, expiration (epoch ms)}}.
 *
 * There is no browser sign-in here: tests register access tokens (what `aws sso login` would
 * have written to ~/.aws/sso/cache) with POST /_local/sso/tokens
 *   {"accessToken": "...", "user": "alice@example.com", "expiresInSeconds": 28800,
 *    "assignments": [{"accountId": "111122223333", "roleName": "AdministratorAccess"}]}
 * (assignments optional: without them every account and role is allowed).
 *
 * The credentials belong to the role IAM Identity Center creates for a permission set,
 * AWSReservedSSO_<permission set>_<16 hex digits>, with the user as session name, so
 * GetCallerIdentity answers arn:aws:sts::ACCOUNT:assumed-role/AWSReservedSSO_..._.../alice.
 */
#include <openssl/evp.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "emulator/internal.h"
#include "util/strutil.h"

#define S_DEFAULT_SESSION_S 28800 /* the default Identity Center session: 8 hours */
#define S_MAX_TOKENS        1000
#define S_TYPE_PREFIX       "com.amazonaws.switchboard.portal#"

/* The portal's error body: {"message", "__type": "com.amazonaws.switchboard.portal#Type"}. */
static int s_error(struct cr_emu_response *out, int status, const char *type, const char *message)
{
    char full[128];
    snprintf(full, sizeof(full), "%s%s", S_TYPE_PREFIX, type);
    return cr__emu_cred_error(out, status, full, message);
}

/* The permission set's role name: a stable 16-hex-digit suffix per account and set. */
static void s_reserved_role(char out[128], const char *account, const char *role_name)
{
    unsigned char md[EVP_MAX_MD_SIZE];
    unsigned int mdlen = 0;
    char in[256];
    int n = snprintf(in, sizeof(in), "%s/%s", account, role_name);
    if (!EVP_Digest(in, (size_t)n, md, &mdlen, EVP_sha256(), NULL))
        memset(md, 0, 8);
    snprintf(out, 128, "AWSReservedSSO_%.64s_%02x%02x%02x%02x%02x%02x%02x%02x", role_name, md[0],
             md[1], md[2], md[3], md[4], md[5], md[6], md[7]);
}

/* True when the token's assignments (if any) include account/role. */
static bool s_assigned(const json_t *assignments, const char *account, const char *role)
{
    size_t i;
    json_t *a;
    if (!assignments)
        return true;
    json_array_foreach(assignments, i, a)
    {
        if (strcmp(json_string_value(json_object_get(a, "accountId")), account) == 0 &&
            strcmp(json_string_value(json_object_get(a, "roleName")), role) == 0)
            return true;
    }
    return false;
}

/* Looks the token up; copies its user and decides the assignment under aux_lock. */
static int s_check_token(struct cr_emu *emu, const char *token, const char *account,
                         const char *role, char user[65])
{
    int status = 401;
    pthread_mutex_lock(&emu->aux_lock);
    json_t *t = token ? json_object_get(emu->sso_tokens, token) : NULL;
    if (t && json_integer_value(json_object_get(t, "expires")) > cr_time_now()) {
        snprintf(user, 65, "%s", json_string_value(json_object_get(t, "user")));
        status = s_assigned(json_object_get(t, "assignments"), account, role) ? 200 : 403;
    }
    pthread_mutex_unlock(&emu->aux_lock);
    return status;
}

static bool s_account_ok(const char *a)
{
    return a && strlen(a) == 12 && strspn(a, "0123456789") == 12;
}

static int s_get_role_credentials(struct cr_emu *emu, struct cr_emu_response *out,
                                  const struct cr_emu_request *req, const char **err)
{
    char user[65] = "", role[128];
    struct cr_emu_session ses;
    json_t *q = cr__emu_form_parse(req->query ? req->query : "", req->query ? strlen(req->query)
                                                                             : 0);
    const char *role_name = json_string_value(json_object_get(q, "role_name"));
    const char *account = json_string_value(json_object_get(q, "account_id"));
    const char *token = cr__emu_header(req, "x-amz-sso_bearer_token");
    int rc, status;
    *err = NULL;
    if (!q) {
        *err = "InternalError";
        return s_error(out, 500, "InternalError", "out of memory");
    }
    if (!role_name || !*role_name || !s_account_ok(account)) {
        *err = "InvalidRequestException";
        rc = s_error(out, 400, "InvalidRequestException",
                     !role_name || !*role_name ? "role_name is required"
                                               : "account_id must be a 12-digit account id");
        goto done;
    }
    status = s_check_token(emu, token, account, role_name, user);
    if (status != 200) {
        *err = status == 401 ? "UnauthorizedException" : "ForbiddenException";
        rc = s_error(out, status, *err,
                     status == 401 ? "Session token not found or invalid" : "No access");
        goto done;
    }
    s_reserved_role(role, account, role_name);
    rc = cr__emu_session_mint(&ses, emu, account, role, user, emu->credentials_ttl_s);
    json_t *doc = rc == 0 ? json_pack("{s:{s:s, s:s, s:s, s:I}}", "roleCredentials",
                                      "accessKeyId", ses.key_id, "secretAccessKey", ses.secret,
                                      "sessionToken", ses.token, "expiration",
                                      (json_int_t)ses.expires * 1000)
                          : NULL;
    memset(&ses, 0, sizeof(ses)); /* secrets */
    if (doc) {
        out->status = 200;
        out->content_type = "application/json";
        rc = cr__emu_body_json(&out->body, doc);
    } else {
        *err = "InternalError";
        rc = s_error(out, 500, "InternalError", "out of memory");
    }
    json_decref(doc);
done:
    json_decref(q);
    return rc;
}

int cr__emu_sso_handle(struct cr_emu *emu, struct cr_emu_response *out,
                       const struct cr_emu_request *req)
{
    const char *err = NULL;
    int rc;
    if (strcmp(req->method, "GET") != 0) {
        out->allow = "GET";
        err = "MethodNotAllowed";
        rc = s_error(out, 405, err, "GetRoleCredentials is GET /federation/credentials");
    } else {
        rc = s_get_role_credentials(emu, out, req, &err);
    }
    cr__emu_log_add(emu, "GetRoleCredentials", out->status, err, NULL, NULL);
    return rc;
}

/* Checks a registration document; NULL when fine, else what is wrong. */
static const char *s_registration_problem(const json_t *doc)
{
    const json_t *tok = json_object_get(doc, "accessToken");
    const json_t *user = json_object_get(doc, "user");
    const json_t *ttl = json_object_get(doc, "expiresInSeconds");
    const json_t *asg = json_object_get(doc, "assignments");
    size_t i;
    json_t *a;
    if (!json_is_object(doc))
        return "expected a JSON object {\"accessToken\", \"user\", \"expiresInSeconds\"?, "
               "\"assignments\"?}";
    if (!json_is_string(tok) || json_string_length(tok) < 1 || json_string_length(tok) > 4096)
        return "accessToken: expected a string of 1 to 4096 characters";
    if (user && (!json_is_string(user) || json_string_length(user) < 2 ||
                 json_string_length(user) > 64))
        return "user: expected a session name of 2 to 64 characters";
    if (ttl && (!json_is_integer(ttl) || json_integer_value(ttl) < -86400 ||
                json_integer_value(ttl) > 7 * 86400))
        return "expiresInSeconds: expected an integer (negative: already expired)";
    if (asg && !json_is_array(asg))
        return "assignments: expected an array of {\"accountId\", \"roleName\"}";
    json_array_foreach(asg, i, a)
    {
        if (!s_account_ok(json_string_value(json_object_get(a, "accountId"))) ||
            !json_is_string(json_object_get(a, "roleName")))
            return "assignments: each entry needs accountId (12 digits) and roleName";
    }
    return NULL;
}

int cr__emu_sso_register(struct cr_emu *emu, struct cr_emu_response *out,
                         const struct cr_emu_request *req)
{
    json_t *doc = req->body_len ? json_loadb(req->body, req->body_len, 0, NULL) : NULL;
    const char *problem = s_registration_problem(doc);
    int rc = 0;
    if (problem) {
        json_decref(doc);
        return cr__emu_cred_error(out, 400, "InvalidParameterException", problem);
    }
    const char *user = json_string_value(json_object_get(doc, "user"));
    json_t *ttl = json_object_get(doc, "expiresInSeconds");
    json_int_t expires =
        cr_time_now() + (ttl ? json_integer_value(ttl) : (json_int_t)S_DEFAULT_SESSION_S);
    json_t *entry = json_pack("{s:s, s:I}", "user", user ? user : "cognito-identity-local",
                              "expires", expires);
    if (entry && json_object_get(doc, "assignments"))
        json_object_set(entry, "assignments", json_object_get(doc, "assignments"));
    pthread_mutex_lock(&emu->aux_lock);
    if (!entry || json_object_size(emu->sso_tokens) >= S_MAX_TOKENS ||
        json_object_set(emu->sso_tokens, json_string_value(json_object_get(doc, "accessToken")),
                        entry) != 0)
        rc = CR_ELIMIT;
    pthread_mutex_unlock(&emu->aux_lock);
    json_decref(entry);
    json_decref(doc);
    if (rc != 0)
        return cr__emu_cred_error(out, 400, "LimitExceededException",
                                  "at most 1000 SSO access tokens can be registered");
    out->status = 200;
    out->content_type = "application/json";
    cr_buf_puts(&out->body, "{\"registered\":true}");
    return cr_buf_oom(&out->body) ? CR_ENOMEM : 0;
}
