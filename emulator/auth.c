/* SPDX-License-Identifier: Apache-2.0 */
/*
 * Who is calling, and (with --credentials) whether the SigV4 signature is right. The
 * signature itself is checked by aws/sigv4.h; this file maps outcomes to the errors AWS's
 * JSON services return (all HTTP 400):
 *   no Authorization header      MissingAuthenticationTokenException
 *   unparsable header / no date  IncompleteSignatureException
 *   unknown key or session token UnrecognizedClientException
 *   expired session credentials  ExpiredTokenException
 *   wrong scope service, skew, signature mismatch  InvalidSignatureException
 * Without --credentials every request is accepted; the region still comes from the
 * credential scope when there is one.
 */
#include <ctype.h>
#include <stdarg.h>
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "emulator/internal.h"
#include "util/array.h"
#include "util/strutil.h"

#define CR_EMU_MAX_SKEW_S 300

int cr__emu_keys_add(struct cr_emu_keys *keys, const struct cr_emu_key *key)
{
    struct cr_emu_key k = {cr_strdup_null(key->access_key_id, NULL),
                           cr_strdup_null(key->secret, NULL),
                           cr_strdup_null(key->session_token, NULL),
                           cr_strdup_null(key->account_id, NULL),
                           cr_strdup_null(key->arn, NULL),
                           cr_strdup_null(key->user_id, NULL),
                           key->expires};
    if (cr_array_reserve(&keys->items, &keys->cap, keys->len, sizeof(*keys->items), 8) != 0)
        goto oom;
    if (!k.access_key_id || !k.secret || !k.account_id || !k.arn || !k.user_id ||
        (key->session_token && !k.session_token))
        goto oom;
    keys->items[keys->len++] = k;
    return 0;
oom:
    free(k.access_key_id), free(k.secret), free(k.session_token), free(k.account_id), free(k.arn),
        free(k.user_id);
    cr_error_set("out of memory");
    return CR_ENOMEM;
}

static void s_key_dispose(struct cr_emu_key *k)
{
    if (k->secret)
        memset(k->secret, 0, strlen(k->secret));
    if (k->session_token)
        memset(k->session_token, 0, strlen(k->session_token));
    free(k->access_key_id), free(k->secret), free(k->session_token), free(k->account_id),
        free(k->arn), free(k->user_id);
}

void cr__emu_keys_prune(struct cr_emu_keys *keys, int64_t now)
{
    size_t kept = 0;
    for (size_t i = 0; i < keys->len; i++) {
        if (keys->items[i].expires && keys->items[i].expires <= now) {
            s_key_dispose(&keys->items[i]);
            continue;
        }
        keys->items[kept++] = keys->items[i];
    }
    keys->len = kept;
}

void cr__emu_keys_dispose(struct cr_emu_keys *keys)
{
    for (size_t i = 0; i < keys->len; i++)
        s_key_dispose(&keys->items[i]);
    free(keys->items);
    memset(keys, 0, sizeof(*keys));
}

static bool s_account_ok(const char *s)
{
    size_t n = strlen(s);
    for (size_t i = 0; i < n; i++) {
        if (!isdigit((unsigned char)s[i]))
            return false;
    }
    return n == 12;
}

/* One "KEY SECRET [ACCOUNT]" line (already stripped of comments). */
static int s_load_line(struct cr_emu_keys *keys, char *line, const char *path, int lineno,
                       const char *default_account)
{
    char *save = NULL, arn[128], uid[160];
    char *id = strtok_r(line, " \t\r\n", &save);
    char *secret = strtok_r(NULL, " \t\r\n", &save);
    char *account = strtok_r(NULL, " \t\r\n", &save);
    if (!id)
        return 0;
    if (!secret || strtok_r(NULL, " \t\r\n", &save) || (account && !s_account_ok(account))) {
        cr_error_set("%s:%d: expected ACCESS_KEY_ID SECRET_ACCESS_KEY [ACCOUNT_ID (12 digits)]",
                     path, lineno);
        return CR_EINVALID;
    }
    account = account ? account : (char *)default_account;
    snprintf(arn, sizeof(arn), "arn:aws:iam::%s:user/cognito-identity-local", account);
    snprintf(uid, sizeof(uid), "AIDA%.60s", strlen(id) > 4 ? id + 4 : id);
    struct cr_emu_key k = {id, secret, NULL, account, arn, uid, 0};
    return cr__emu_keys_add(keys, &k);
}

int cr__emu_keys_load(struct cr_emu_keys *keys, const char *path, const char *default_account)
{
    int result = CR_EIO, lineno = 0;
    char line[4096];
    FILE *f = fopen(path, "r");
    if (!f) {
        cr_error_set("%s: cannot read the credentials file: %s", path, strerror(errno));
        return CR_EIO;
    }
    while (fgets(line, sizeof(line), f)) {
        char *hash = strchr(line, '#');
        lineno++;
        if (hash)
            *hash = '\0';
        result = s_load_line(keys, line, path, lineno, default_account);
        if (result != 0)
            goto done;
    }
    result = 0;
    if (keys->len == 0) {
        cr_error_set("%s: no access keys (lines ACCESS_KEY_ID SECRET_ACCESS_KEY [ACCOUNT_ID])",
                     path);
        result = CR_EINVALID;
    }
done:
    fclose(f);
    return result;
}

static void s_deny(struct cr_emu_auth_result *out, enum cr_emu_auth_reason reason, const char *type,
                   const char *fmt, ...) CR_PRINTF(4, 5);

static void s_deny(struct cr_emu_auth_result *out, enum cr_emu_auth_reason reason, const char *type,
                   const char *fmt, ...)
{
    va_list ap;
    out->status = 400;
    out->reason = reason;
    snprintf(out->error_type, sizeof(out->error_type), "%s", type);
    va_start(ap, fmt);
    vsnprintf(out->message, sizeof(out->message), fmt, ap);
    va_end(ap);
}

/* The reason aws/sigv4 gave, without its "sigv4: " prefix: the client reads it as the
 * service's message. */
static const char *s_sigv4_reason(void)
{
    const char *m = cr_error_last();
    return strncmp(m, "sigv4: ", 7) == 0 ? m + 7 : m;
}

/* AWS's own wording for a request outside the 5-minute window. */
static bool s_check_skew(struct cr_emu_auth_result *out, const char *amz_date, int64_t now)
{
    int64_t t;
    char a[CR_SIGV4_DATE_LEN + 1], b[CR_SIGV4_DATE_LEN + 1];
    if (!amz_date || cr_sigv4_parse_date(&t, amz_date) != 0) {
        s_deny(out, CR_EMU_AUTH_MALFORMED, "IncompleteSignatureException",
               "Authorization header requires existence of either a 'X-Amz-Date' or a 'Date' "
               "header.");
        return false;
    }
    cr_sigv4_format_date(a, now);
    if (t < now - CR_EMU_MAX_SKEW_S) {
        cr_sigv4_format_date(b, now - CR_EMU_MAX_SKEW_S);
        s_deny(out, CR_EMU_AUTH_SKEW, "InvalidSignatureException",
               "Signature expired: %s is now earlier than %s (%s - 5 min.)", amz_date, b, a);
        return false;
    }
    if (t > now + CR_EMU_MAX_SKEW_S) {
        cr_sigv4_format_date(b, now + CR_EMU_MAX_SKEW_S);
        s_deny(out, CR_EMU_AUTH_SKEW, "InvalidSignatureException",
               "Signature not yet current: %s is still later than %s (%s + 5 min.)", amz_date, b,
               a);
        return false;
    }
    return true;
}

/* Finds the key and copies what verification needs while aux_lock is held. */
static bool s_lookup(struct cr_emu_auth_result *out, struct cr_emu_caller *caller,
                     struct cr_emu *emu, struct cr_span key_id, const char *token,
                     struct cr_buf *secret)
{
    bool found = false, ok = false;
    pthread_mutex_lock(&emu->aux_lock);
    for (size_t i = 0; i < emu->keys.len && !found; i++) {
        struct cr_emu_key *k = &emu->keys.items[i];
        if (!cr_span_eq_str(key_id, k->access_key_id))
            continue;
        found = true;
        if ((k->session_token || token) &&
            (!k->session_token || !token || strcmp(k->session_token, token) != 0))
            break;
        if (k->expires && k->expires <= cr_time_now()) {
            s_deny(out, CR_EMU_AUTH_EXPIRED, "ExpiredTokenException",
                   "The security token included in the request is expired");
            break;
        }
        cr_buf_puts(secret, k->secret);
        snprintf(caller->account_id, sizeof(caller->account_id), "%s", k->account_id);
        snprintf(caller->arn, sizeof(caller->arn), "%s", k->arn);
        snprintf(caller->user_id, sizeof(caller->user_id), "%s", k->user_id);
        ok = true;
    }
    pthread_mutex_unlock(&emu->aux_lock);
    if (!ok && out->status == 0)
        s_deny(out, CR_EMU_AUTH_UNKNOWN_KEY, "UnrecognizedClientException",
               "The security token included in the request is invalid.");
    return ok;
}

/* The caller a known access key stands for, without checking anything (no verification). */
static void s_identify(struct cr_emu_caller *caller, struct cr_emu *emu, struct cr_span key_id)
{
    pthread_mutex_lock(&emu->aux_lock);
    for (size_t i = 0; i < emu->keys.len; i++) {
        struct cr_emu_key *k = &emu->keys.items[i];
        if (!cr_span_eq_str(key_id, k->access_key_id))
            continue;
        snprintf(caller->account_id, sizeof(caller->account_id), "%s", k->account_id);
        snprintf(caller->arn, sizeof(caller->arn), "%s", k->arn);
        snprintf(caller->user_id, sizeof(caller->user_id), "%s", k->user_id);
        break;
    }
    pthread_mutex_unlock(&emu->aux_lock);
}

static void s_verify(struct cr_emu_auth_result *out, struct cr_emu_caller *caller,
                     struct cr_emu *emu, const struct cr_emu_request *req,
                     const struct cr_sigv4_authorization *auth, const char *service)
{
    struct cr_buf secret = CR_BUF_INIT;
    char svc[64];
    struct cr_sigv4_request sreq = {req->method,    req->path,
                                    req->query,     req->headers,
                                    req->n_headers, cr_span_of(req->body, req->body_len)};
    bool s3 = strcmp(service, "s3") == 0;
    struct cr_sigv4_verify_options opts = {
        .now_s = cr_time_now(),
        .max_skew_s = -1,
        /* S3 signs the path as sent (no dot-segment removal, encoded once) and the
         * X-Amz-Content-Sha256 value instead of the body (s_s3_payload_ok checked it). */
        .no_normalize_path = s3,
        .payload_from_header = s3,
    };
    snprintf(svc, sizeof(svc), "%.*s", (int)auth->service.len, auth->service.ptr);
    if (strcmp(svc, service) != 0) {
        s_deny(out, CR_EMU_AUTH_SCOPE, "InvalidSignatureException",
               "Credential should be scoped to correct service: '%s'.", service);
        return;
    }
    if (!s_check_skew(out, cr__emu_header(req, "X-Amz-Date"), opts.now_s))
        return;
    if (!s_lookup(out, caller, emu, auth->access_key_id,
                  cr__emu_header(req, "X-Amz-Security-Token"), &secret))
        goto done;
    int rc = cr_sigv4_verify(&sreq, auth, cr_buf_cstr(&secret), &opts);
    if (rc == CR_EINVALID)
        s_deny(out, CR_EMU_AUTH_MALFORMED, "IncompleteSignatureException", "%s", s_sigv4_reason());
    else if (rc != 0)
        s_deny(out, CR_EMU_AUTH_SIGNATURE, "InvalidSignatureException",
               "The request signature we calculated does not match the signature you provided. "
               "Check your AWS Secret Access Key and signing method. Consult the service "
               "documentation for details.");
done:
    cr_buf_dispose_secure(&secret);
}

static bool s_hex64(const char *s)
{
    size_t n = 0;
    while (s[n] && cr_hex_value(s[n]) >= 0)
        n++;
    return n == CR_SIGV4_HEX_LEN && s[n] == '\0';
}

/*
 * S3 signs X-Amz-Content-Sha256 (the hex SHA-256 of the body, or UNSIGNED-PAYLOAD) instead
 * of hashing the body itself. Like S3 it checks a hex value against the body received
 * whether or not signatures are verified (it is the upload's integrity check), refuses
 * values it does not know, and requires the header on signed requests. aws-chunked uploads
 * (STREAMING-...) are not emulated: neither the AWS CLI nor the SDKs send them over http.
 */
static bool s_s3_payload_ok(struct cr_emu_auth_result *out, const struct cr_emu_request *req,
                            bool signed_request)
{
    char hex[CR_SIGV4_HEX_LEN + 1];
    const char *v = cr__emu_header(req, "X-Amz-Content-Sha256");
    if (!v && signed_request)
        s_deny(out, CR_EMU_AUTH_PAYLOAD_MISSING, "InvalidRequest",
               "Missing required header for this request: x-amz-content-sha256");
    if (!v || strcmp(v, CR_SIGV4_UNSIGNED_PAYLOAD) == 0)
        return out->status == 0;
    if (strncmp(v, "STREAMING-", 10) == 0) {
        s_deny(out, CR_EMU_AUTH_PAYLOAD_STREAMING, "NotImplemented",
               "A header you provided implies functionality that is not implemented: "
               "aws-chunked uploads (x-amz-content-sha256: %.64s) are not emulated.",
               v);
        return false;
    }
    if (!s_hex64(v)) {
        s_deny(out, CR_EMU_AUTH_PAYLOAD_INVALID, "InvalidArgument",
               "x-amz-content-sha256 must be UNSIGNED-PAYLOAD or a valid sha256 value.");
        return false;
    }
    /* (should libcrypto fail, the body cannot be shown to match: refused the same way) */
    if (cr_sigv4_sha256_hex(hex, cr_span_of(req->body, req->body_len)) != 0 ||
        strcmp(hex, v) != 0) {
        s_deny(out, CR_EMU_AUTH_PAYLOAD_MISMATCH, "XAmzContentSHA256Mismatch",
               "The provided 'x-amz-content-sha256' header does not match what was computed.");
        return false;
    }
    return true;
}

void cr__emu_auth_check(struct cr_emu_auth_result *out, struct cr_emu_caller *caller,
                        struct cr_emu *emu, const struct cr_emu_request *req, const char *service)
{
    struct cr_sigv4_authorization auth;
    const char *header = cr__emu_header(req, "Authorization");
    bool parsed = header && cr_sigv4_parse_authorization(&auth, header) == 0;
    memset(out, 0, sizeof(*out));
    memset(caller, 0, sizeof(*caller));
    snprintf(caller->account_id, sizeof(caller->account_id), "%s", emu->account_id);
    snprintf(caller->region, sizeof(caller->region), "%s", emu->region);
    snprintf(caller->arn, sizeof(caller->arn), "arn:aws:iam::%s:user/cognito-identity-local",
             emu->account_id);
    snprintf(caller->user_id, sizeof(caller->user_id), "AIDACOGNITOIDENTITYLOCAL");
    caller->anonymous = header == NULL;
    if (parsed && auth.region.len > 0 && auth.region.len < sizeof(caller->region))
        snprintf(caller->region, sizeof(caller->region), "%.*s", (int)auth.region.len,
                 auth.region.ptr);
    if (strcmp(service, "s3") == 0 && !s_s3_payload_ok(out, req, emu->verify && header))
        return;
    if (!emu->verify) {
        /* no verification, but a key the emulator handed out still says who is calling
         * (GetCallerIdentity with IMDS, container or SSO credentials names their role) */
        if (parsed)
            s_identify(caller, emu, auth.access_key_id);
        return;
    }
    if (!header) {
        s_deny(out, CR_EMU_AUTH_MISSING, "MissingAuthenticationTokenException",
               "Missing Authentication Token");
        return;
    }
    if (!parsed) {
        s_deny(out, CR_EMU_AUTH_MALFORMED, "IncompleteSignatureException", "%s", s_sigv4_reason());
        return;
    }
    s_verify(out, caller, emu, req, &auth, service);
}
