/* SPDX-License-Identifier: Apache-2.0 */
/*
 * The STS actions CI credentials need, on the emulator's own port (query protocol,
 * Version 2011-06-15): AssumeRoleWithWebIdentity (unsigned, as in AWS), AssumeRole and
 * GetCallerIdentity (both signed with service "sts"). Responses are XML in STS's shape, or JSON
 * when the client sends Accept: application/json. Credentials handed out are registered so
 * that later signed requests using them (with their session token) verify.
 *
 * A web identity token from another issuer is not verified (there is no identity provider to
 * ask); when it is a JWT its sub/aud/iss claims are echoed as AWS does. A Cognito Identity
 * token (the classic flow) is checked against the emulator's own key and pool (tokens.c).
 */
#include <ctype.h>
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>
#include <sys/random.h>
#include <time.h>

#include "aws/cognito.h"
#include "emulator/internal.h"
#include "emulator/jwt.h"
#include "util/strutil.h"
#include "util/xml.h"

#define CR_STS_NS "https://sts.amazonaws.com/doc/2011-06-15/"

struct s_form {
    json_t *params; /* name -> value */
};

/* application/x-www-form-urlencoded: '+' is a space, %XX a byte. */
static char *s_decode(const char *p, size_t len)
{
    char *out = malloc(len + 1);
    size_t n = 0;
    for (size_t i = 0; out && i < len; i++) {
        if (p[i] == '+') {
            out[n++] = ' ';
        } else if (p[i] == '%' && i + 2 < len && cr_hex_value(p[i + 1]) >= 0 &&
                   cr_hex_value(p[i + 2]) >= 0) {
            out[n++] = (char)(cr_hex_value(p[i + 1]) * 16 + cr_hex_value(p[i + 2]));
            i += 2;
        } else {
            out[n++] = p[i];
        }
    }
    if (out)
        out[n] = '\0';
    return out;
}

json_t *cr__emu_form_parse(const char *body, size_t len)
{
    json_t *params = json_object();
    size_t i = 0;
    while (params && i < len) {
        size_t end = i;
        while (end < len && body[end] != '&')
            end++;
        const char *eq = memchr(body + i, '=', end - i);
        size_t klen = eq ? (size_t)(eq - (body + i)) : end - i;
        char *k = s_decode(body + i, klen);
        char *v = eq ? s_decode(eq + 1, (size_t)(body + end - eq - 1)) : strdup("");
        if (k && v && k[0] && cr_utf8_valid(v, strlen(v)))
            json_object_set_new(params, k, json_string(v));
        free(k);
        free(v);
        i = end + 1;
    }
    return params;
}

/* Renders a JSON object of strings/objects as XML elements (member order kept). */
static void s_xml(struct cr_buf *out, const json_t *obj)
{
    const char *k;
    json_t *v;
    json_object_foreach((json_t *)obj, k, v)
    {
        cr_buf_printf(out, "<%s>", k);
        if (json_is_object(v))
            s_xml(out, v);
        else if (json_is_string(v))
            cr_xml_escape(out, json_string_value(v), CR_XML_TEXT);
        else if (json_is_integer(v))
            cr_buf_printf(out, "%lld", (long long)json_integer_value(v));
        cr_buf_printf(out, "</%s>", k);
    }
}

static bool s_wants_json(const struct cr_emu_request *req)
{
    const char *accept = cr__emu_header(req, "Accept");
    return accept && strstr(accept, "application/json") != NULL;
}

/* result: the members of <ActionResult>; Expiration keys are rendered per format. */
static int s_respond(struct cr_emu_response *out, const struct cr_emu_request *req,
                     const char *action, json_t *result)
{
    char name[96], res[96];
    snprintf(name, sizeof(name), "%sResponse", action);
    snprintf(res, sizeof(res), "%sResult", action);
    out->status = 200;
    cr_buf_clear(&out->body);
    if (s_wants_json(req)) {
        json_t *doc = json_pack("{s:{s:O, s:{s:s}}}", name, res, result, "ResponseMetadata",
                                "RequestId", out->request_id);
        int rc = cr__emu_body_json(&out->body, doc);
        out->content_type = "application/json";
        json_decref(doc);
        return rc;
    }
    out->content_type = "text/xml";
    cr_buf_printf(&out->body, "<%s xmlns=\"%s\">\n  <%s>", name, CR_STS_NS, res);
    s_xml(&out->body, result);
    cr_buf_printf(&out->body,
                  "</%s>\n  <ResponseMetadata>\n    <RequestId>%s</RequestId>\n"
                  "  </ResponseMetadata>\n</%s>\n",
                  res, out->request_id, name);
    return cr_buf_oom(&out->body) ? CR_ENOMEM : 0;
}

static int s_error(struct cr_emu_response *out, const struct cr_emu_request *req, int status,
                   const char *code, const char *message)
{
    out->status = status;
    cr_buf_clear(&out->body);
    if (s_wants_json(req)) {
        json_t *doc = json_pack("{s:{s:s, s:s, s:s}, s:s}", "Error", "Type",
                                status >= 500 ? "Receiver" : "Sender", "Code", code, "Message",
                                message, "RequestId", out->request_id);
        int rc = cr__emu_body_json(&out->body, doc);
        out->content_type = "application/json";
        json_decref(doc);
        return rc;
    }
    out->content_type = "text/xml";
    cr_buf_printf(&out->body,
                  "<ErrorResponse xmlns=\"%s\">\n  <Error>\n    <Type>%s</Type>\n"
                  "    <Code>%s</Code>\n    <Message>",
                  CR_STS_NS, status >= 500 ? "Receiver" : "Sender", code);
    cr_xml_escape(&out->body, message, CR_XML_TEXT);
    cr_buf_printf(&out->body,
                  "</Message>\n  </Error>\n  <RequestId>%s</RequestId>\n"
                  "</ErrorResponse>\n",
                  out->request_id);
    return cr_buf_oom(&out->body) ? CR_ENOMEM : 0;
}

static void s_random_chars(char *out, size_t n, const char *alphabet)
{
    unsigned char b[256];
    size_t alen = strlen(alphabet);
    if (n > sizeof(b) || getrandom(b, n, 0) != (ssize_t)n)
        memset(b, 7, sizeof(b));
    for (size_t i = 0; i < n; i++)
        out[i] = alphabet[b[i] % alen];
    out[n] = '\0';
}

#define S_UPPER "ABCDEFGHIJKLMNOPQRSTUVWXYZ234567"
#define S_B64   "ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789+/"

/* The claims of a JWT (header.payload.signature), or NULL when token is not one. */
static json_t *s_jwt_claims(const char *token)
{
    struct cr_emu_jwt jwt;
    json_t *claims = NULL;
    if (cr__emu_jwt_parse(&jwt, token) == 0)
        claims = json_incref(jwt.claims);
    cr__emu_jwt_dispose(&jwt);
    return claims;
}

static const char *s_claim(const json_t *claims, const char *name, const char *fallback)
{
    json_t *v = json_object_get(claims, name);
    if (json_is_array(v))
        v = json_array_get(v, 0);
    return json_is_string(v) ? json_string_value(v) : fallback;
}

bool cr__emu_role_arn(const char *arn, char account[16], char name[128])
{
    const char *p = strstr(arn, ":iam::");
    if (strncmp(arn, "arn:", 4) != 0 || !p || strlen(p + 6) < 13 || p[18] != ':' ||
        strncmp(p + 19, "role/", 5) != 0)
        return false;
    memcpy(account, p + 6, 12);
    account[12] = '\0';
    const char *last = strrchr(p + 19, '/');
    snprintf(name, 128, "%s", last + 1);
    return name[0] != '\0';
}

static void s_iso8601(char out[32], int64_t t)
{
    time_t tt = (time_t)t;
    struct tm tm;
    gmtime_r(&tt, &tm);
    strftime(out, 32, "%Y-%m-%dT%H:%M:%SZ", &tm);
}

/* Fresh temporary credentials for role/session, registered so that they verify. */
int cr__emu_session_mint(struct cr_emu_session *out, struct cr_emu *emu, const char *account,
                         const char *role, const char *session, long duration_s)
{
    int rc;
    out->expires = cr_time_now() + duration_s;
    memcpy(out->key_id, "ASIA", 4);
    s_random_chars(out->key_id + 4, 16, S_UPPER);
    s_random_chars(out->secret, 40, S_B64);
    s_random_chars(out->token, 160, S_B64);
    memcpy(out->role_id, "AROA", 4);
    s_random_chars(out->role_id + 4, 17, S_UPPER);
    snprintf(out->role_id + 21, sizeof(out->role_id) - 21, ":%s", session);
    snprintf(out->arn, sizeof(out->arn), "arn:%s:sts::%s:assumed-role/%s/%s",
             cr_aws_partition(emu->region), account, role, session);
    s_iso8601(out->expiration, out->expires);
    struct cr_emu_key key = {out->key_id, out->secret,  out->token,  (char *)account,
                             out->arn,    out->role_id, out->expires};
    pthread_mutex_lock(&emu->aux_lock);
    /* sessions do not pile up; an expired one is kept an hour, so it still gets
     * ExpiredTokenException rather than "invalid" */
    cr__emu_keys_prune(&emu->keys, cr_time_now() - 3600);
    rc = cr__emu_keys_add(&emu->keys, &key);
    pthread_mutex_unlock(&emu->aux_lock);
    return rc;
}

/* STS's RoleSessionName pattern [\w+=,.@-]* (ASCII \w). */
static bool s_session_name_ok(const char *s)
{
    for (; *s; s++) {
        if (!isalnum((unsigned char)*s) && !strchr("_+=,.@-", *s))
            return false;
    }
    return true;
}

/* A value the message must not repeat (a sensitive member: the web identity token). */
static const char S_SECRET[] = "";

/* Adds "Value ... at 'member' failed to satisfy constraint: sentence" to the list: the value
 * quoted, "null" when absent, and left out for S_SECRET, as AWS words a sensitive member
 * ("Value at 'password' failed to satisfy constraint: ..."). */
static void s_violation(struct cr_buf *list, size_t *n, const char *value, const char *member,
                        const char *sentence)
{
    cr_buf_puts(list, (*n)++ ? "; Value" : "Value");
    if (value == S_SECRET)
        cr_buf_puts(list, "");
    else if (value)
        cr_buf_printf(list, " '%s'", value);
    else
        cr_buf_puts(list, " null");
    cr_buf_printf(list, " at '%s' failed to satisfy constraint: %s", member, sentence);
}

/* secret: the value is never repeated in the message (issue 9.5: the CLI prints messages
 * verbatim, so a short token was printed whole). */
static void s_check_length(struct cr_buf *list, size_t *n, const char *v, const char *member,
                           size_t min, size_t max, bool secret)
{
    char sentence[96];
    size_t len = v ? strlen(v) : 0;
    if (!v) {
        s_violation(list, n, NULL, member, "Member must not be null");
        return;
    }
    if (len < min || len > max) {
        snprintf(sentence, sizeof(sentence), "Member must have length %s than or equal to %zu",
                 len < min ? "greater" : "less", len < min ? min : max);
        s_violation(list, n, secret ? S_SECRET : v, member, sentence);
    }
}

/* The role-chaining limit: a role assumed with a role's credentials lasts at most an hour. */
#define S_CHAINED_MAX_S 3600

/*
 * The parameter checks STS makes (the model's constraints of AssumeRoleWithWebIdentity, or of
 * AssumeRole when web_identity is false), reported together as ValidationError like the
 * service; true when acceptable (else out is set). chained: the caller is an assumed role.
 */
static bool s_assume_params_ok(struct cr_emu_response *out, struct cr_emu *emu,
                               const struct cr_emu_request *req, const json_t *params,
                               bool web_identity, bool chained, char account[16], char role[128],
                               long *duration_s)
{
    struct cr_buf list = CR_BUF_INIT;
    size_t n = 0;
    char *end = NULL, floor[80];
    const char *role_arn = json_string_value(json_object_get(params, "RoleArn"));
    const char *session = json_string_value(json_object_get(params, "RoleSessionName"));
    const char *jwt = json_string_value(json_object_get(params, "WebIdentityToken"));
    const char *dur = json_string_value(json_object_get(params, "DurationSeconds"));
    const char *external_id = json_string_value(json_object_get(params, "ExternalId"));
    *duration_s = 3600;
    s_check_length(&list, &n, role_arn, "roleArn", 20, 2048, false);
    s_check_length(&list, &n, session, "roleSessionName", 2, 64, false);
    if (session && !s_session_name_ok(session))
        s_violation(&list, &n, session, "roleSessionName",
                    "Member must satisfy regular expression pattern: [\\w+=,.@-]*");
    if (web_identity)
        s_check_length(&list, &n, jwt, "webIdentityToken", 4, 20000, true);
    if (!web_identity && external_id) {
        s_check_length(&list, &n, external_id, "externalId", 2, 1224, false);
        if (strspn(external_id, "abcdefghijklmnopqrstuvwxyzABCDEFGHIJKLMNOPQRSTUVWXYZ0123456789"
                                "_+=,.@:/-") != strlen(external_id))
            s_violation(&list, &n, external_id, "externalId",
                        "Member must satisfy regular expression pattern: [\\w+=,.@:\\/-]*");
    }
    if (dur) {
        errno = 0;
        *duration_s = strtol(dur, &end, 10);
        snprintf(floor, sizeof(floor), "Member must have value greater than or equal to %ld",
                 emu->sts_min_duration_s);
        if (errno != 0 || end == dur || *end != '\0')
            s_violation(&list, &n, dur, "durationSeconds", "Member must be an integer");
        else if (*duration_s < emu->sts_min_duration_s || *duration_s > 43200)
            s_violation(&list, &n, dur, "durationSeconds",
                        *duration_s < emu->sts_min_duration_s
                            ? floor
                            : "Member must have value less than or equal to 43200");
    }
    struct cr_buf msg = CR_BUF_INIT;
    if (n > 0)
        cr_buf_printf(&msg, "%zu validation error%s detected: %s", n, n == 1 ? "" : "s",
                      cr_buf_cstr(&list));
    else if (!cr__emu_role_arn(role_arn, account, role))
        cr_buf_puts(&msg, "Request ARN is invalid");
    else if (chained && *duration_s > S_CHAINED_MAX_S)
        cr_buf_puts(&msg, "The requested DurationSeconds exceeds the 1 hour session limit for "
                          "roles assumed by role chaining.");
    if (msg.len > 0)
        s_error(out, req, 400, "ValidationError", cr_buf_cstr(&msg));
    bool ok = msg.len == 0;
    cr_buf_dispose(&msg);
    cr_buf_dispose(&list);
    return ok;
}

static int s_assume(struct cr_emu *emu, struct cr_emu_response *out,
                    const struct cr_emu_request *req, const json_t *params)
{
    int rc;
    char account[16], role[128];
    long duration_s;
    char code[64], why[512];
    struct cr_emu_session ses;
    if (!s_assume_params_ok(out, emu, req, params, true, false, account, role, &duration_s))
        return 0;
    const char *session = json_string_value(json_object_get(params, "RoleSessionName"));
    const char *token = json_string_value(json_object_get(params, "WebIdentityToken"));
    /* a Cognito Identity token (the classic flow) must be ours, unexpired, and of a pool that
     * allows the classic flow */
    if (cr__emu_web_identity_check(emu, token, code, why) != 0)
        return s_error(out, req, 400, code, why);
    /* with --credentials, a token must verify, or anyone could get keys that then verify */
    if (emu->verify && cr__emu_web_identity_verify(emu, token, code, why) != 0)
        return s_error(out, req, 400, code, why);
    json_t *claims = s_jwt_claims(token);
    rc = cr__emu_session_mint(&ses, emu, account, role, session, duration_s);
    json_t *result = json_pack(
        "{s:s, s:s, s:{s:s, s:s}, s:{s:s, s:s, s:s, s:s}, s:s}", "SubjectFromWebIdentityToken",
        s_claim(claims, "sub", session), "Audience", s_claim(claims, "aud", "sts.amazonaws.com"),
        "AssumedRoleUser", "AssumedRoleId", ses.role_id, "Arn", ses.arn, "Credentials",
        "AccessKeyId", ses.key_id, "SecretAccessKey", ses.secret, "SessionToken", ses.token,
        "Expiration", ses.expiration, "Provider", s_claim(claims, "iss", "cognito-identity-local"));
    if (rc == 0 && result && s_wants_json(req))
        json_object_set_new(json_object_get(result, "Credentials"), "Expiration",
                            json_integer(ses.expires)); /* JSON protocol: epoch seconds */
    if (rc == 0 && result)
        rc = s_respond(out, req, "AssumeRoleWithWebIdentity", result);
    else
        rc = s_error(out, req, 500, "InternalFailure", "out of memory");
    json_decref(result);
    json_decref(claims);
    memset(&ses, 0, sizeof(ses)); /* secrets */
    return rc;
}

/* STS names the signature errors of the JSON services differently. */
static const char *s_sts_code(const char *type)
{
    static const char *const map[][2] = {
        {"UnrecognizedClientException", "InvalidClientTokenId"},
        {"MissingAuthenticationTokenException", "MissingAuthenticationToken"},
        {"IncompleteSignatureException", "IncompleteSignature"},
        {"ExpiredTokenException", "ExpiredToken"},
        {"InvalidSignatureException", "SignatureDoesNotMatch"},
    };
    for (size_t i = 0; i < sizeof(map) / sizeof(map[0]); i++) {
        if (strcmp(type, map[i][0]) == 0)
            return map[i][1];
    }
    return type;
}

static int s_caller_identity(struct cr_emu *emu, struct cr_emu_response *out,
                             const struct cr_emu_request *req)
{
    struct cr_emu_caller caller;
    struct cr_emu_auth_result auth;
    int rc;
    cr__emu_auth_check(&auth, &caller, emu, req, "sts");
    if (auth.status != 0)
        return s_error(out, req, 403, s_sts_code(auth.error_type), auth.message);
    json_t *result = json_pack("{s:s, s:s, s:s}", "UserId", caller.user_id, "Account",
                               caller.account_id, "Arn", caller.arn);
    rc = result ? s_respond(out, req, "GetCallerIdentity", result)
                : s_error(out, req, 500, "InternalFailure", "out of memory");
    json_decref(result);
    return rc;
}

/* AssumeRole: signed with the caller's credentials (any key the emulator knows, or any at all
 * without --credentials); a caller that is itself an assumed role is "role chaining". */
static int s_assume_role(struct cr_emu *emu, struct cr_emu_response *out,
                         const struct cr_emu_request *req, const json_t *params)
{
    struct cr_emu_caller caller;
    struct cr_emu_auth_result auth;
    char account[16], role[128];
    long duration_s;
    struct cr_emu_session ses;
    int rc;
    cr__emu_auth_check(&auth, &caller, emu, req, "sts");
    if (auth.status != 0)
        return s_error(out, req, 403, s_sts_code(auth.error_type), auth.message);
    bool chained = strstr(caller.arn, ":assumed-role/") != NULL;
    if (!s_assume_params_ok(out, emu, req, params, false, chained, account, role, &duration_s))
        return 0;
    const char *session = json_string_value(json_object_get(params, "RoleSessionName"));
    rc = cr__emu_session_mint(&ses, emu, account, role, session, duration_s);
    json_t *result = json_pack("{s:{s:s, s:s}, s:{s:s, s:s, s:s, s:s}}", "AssumedRoleUser",
                               "AssumedRoleId", ses.role_id, "Arn", ses.arn, "Credentials",
                               "AccessKeyId", ses.key_id, "SecretAccessKey", ses.secret,
                               "SessionToken", ses.token, "Expiration", ses.expiration);
    if (rc == 0 && result && s_wants_json(req))
        json_object_set_new(json_object_get(result, "Credentials"), "Expiration",
                            json_integer(ses.expires)); /* JSON protocol: epoch seconds */
    if (rc == 0 && result)
        rc = s_respond(out, req, "AssumeRole", result);
    else
        rc = s_error(out, req, 500, "InternalFailure", "out of memory");
    json_decref(result);
    memset(&ses, 0, sizeof(ses)); /* secrets */
    return rc;
}

/* The error code of an error response (XML <Code> or JSON "Code"), for the request log. */
static void s_error_code(char *out, size_t cap, const struct cr_emu_response *resp)
{
    const char *body = cr_buf_cstr(&resp->body);
    const char *p = strstr(body, "<Code>");
    size_t skip = 6;
    out[0] = '\0';
    if (resp->status == 200)
        return;
    if (!p) {
        p = strstr(body, "\"Code\":\"");
        skip = 8;
    }
    if (p)
        snprintf(out, cap, "%.*s", (int)strcspn(p + skip, "<\""), p + skip);
}

int cr__emu_sts_handle(struct cr_emu *emu, struct cr_emu_response *out,
                       const struct cr_emu_request *req)
{
    int rc;
    char msg[256], code[64];
    json_t *params = cr__emu_form_parse(req->body ? req->body : "", req->body_len);
    const char *action = json_string_value(json_object_get(params, "Action"));
    if (!params) {
        rc = s_error(out, req, 500, "InternalFailure", "out of memory");
    } else if (action && strcmp(action, "AssumeRoleWithWebIdentity") == 0) {
        rc = s_assume(emu, out, req, params);
    } else if (action && strcmp(action, "AssumeRole") == 0) {
        rc = s_assume_role(emu, out, req, params);
    } else if (action && strcmp(action, "GetCallerIdentity") == 0) {
        rc = s_caller_identity(emu, out, req);
    } else {
        snprintf(msg, sizeof(msg), "Could not find operation %s for version 2011-06-15",
                 action ? action : "(none)");
        rc = s_error(out, req, 400, "InvalidAction", msg);
    }
    s_error_code(code, sizeof(code), out);
    cr__emu_log_add(emu, action ? action : "sts:-", out->status, code, NULL, NULL);
    json_decref(params);
    return rc;
}
