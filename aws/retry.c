/* SPDX-License-Identifier: Apache-2.0 */
#include "aws/retry.h"

#include <errno.h>
#include <stdlib.h>
#include <string.h>

void cr_retry_policy_default(struct cr_retry_policy *out)
{
    out->max_attempts = 5;
    out->base_ms = 100;
    out->cap_ms = 5000;
    out->max_total_ms = 20000;
}

static bool s_is(const char *type, const char *name)
{
    return type && strcmp(type, name) == 0;
}

bool cr_retry_is_throttle(enum cr_cognito_op op, const char *error_type)
{
    /* LimitExceededException on CreateIdentityPool means the account's pool quota is reached
     * (cognito-identity model docs); waiting does not change that. */
    if (op == CR_OP_CREATE_IDENTITY_POOL && s_is(error_type, "LimitExceededException"))
        return false;
    return cr_retry_is_throttle_type(error_type);
}

bool cr_retry_is_throttle_type(const char *error_type)
{
    if (!error_type || !*error_type)
        return false;
    return s_is(error_type, "LimitExceededException") ||
           s_is(error_type, "TooManyRequestsException") ||
           s_is(error_type, "ThrottlingException") || s_is(error_type, "Throttling") ||
           s_is(error_type, "ThrottledException") || s_is(error_type, "RequestLimitExceeded") ||
           s_is(error_type, "RequestThrottled") || s_is(error_type, "RequestThrottledException") ||
           s_is(error_type, "SlowDown");
}

bool cr_retry_is_auth_error(const char *error_type)
{
    static const char *const types[] = {
        "NotAuthorizedException",
        "UnrecognizedClientException",
        "InvalidSignatureException",
        "IncompleteSignature",
        "IncompleteSignatureException",
        "MissingAuthenticationToken",
        "MissingAuthenticationTokenException",
        "ExpiredTokenException",
        "ExpiredToken",
        "InvalidClientTokenId",
        "SignatureDoesNotMatch",
        "AccessDeniedException",
        "AccessDenied",
        "AuthFailure",
        "RequestExpired",
    };
    for (size_t i = 0; i < sizeof(types) / sizeof(types[0]); i++)
        if (s_is(error_type, types[i]))
            return true;
    return false;
}

bool cr_retry_is_clock_skew(const char *error_type, const char *message)
{
    if (s_is(error_type, "RequestTimeTooSkewed") || s_is(error_type, "RequestExpired") ||
        s_is(error_type, "RequestInTheFuture"))
        return true;
    if (!message || !(s_is(error_type, "InvalidSignatureException") ||
                      s_is(error_type, "AuthFailure") || s_is(error_type, "SignatureDoesNotMatch")))
        return false;
    /* the wording of the service's skew check (also what cognito-identity-local says) */
    return strstr(message, "Signature expired") || strstr(message, "Signature not yet current");
}

static bool s_is_transient_type(const char *error_type)
{
    /* ConcurrentModificationException: another writer raced us; design.md section 7 retries
     * it. InternalErrorException / ServiceUnavailable also come with 5xx, but a proxy may
     * rewrite the status. */
    return s_is(error_type, "ConcurrentModificationException") ||
           s_is(error_type, "InternalErrorException") || s_is(error_type, "InternalFailure") ||
           s_is(error_type, "ServiceUnavailable") ||
           s_is(error_type, "ServiceUnavailableException");
}

static enum cr_retry_decision s_classify_response(const struct cr_retry_outcome *o,
                                                  bool at_most_once, bool throttled)
{
    if (o->http_status >= 200 && o->http_status < 300)
        return CR_RETRY_SUCCESS;
    /* a throttled request was rejected before it did anything: safe for Create too */
    if (throttled || o->http_status == 429)
        return CR_RETRY_THROTTLED;
    if (o->http_status >= 500 || s_is_transient_type(o->error_type)) {
        /* ConcurrentModificationException says the write was refused, but a 5xx may come
         * after the request was acted on */
        if (at_most_once && !s_is(o->error_type, "ConcurrentModificationException"))
            return CR_RETRY_AMBIGUOUS;
        return CR_RETRY_TRANSIENT;
    }
    return CR_RETRY_FAIL;
}

static enum cr_retry_decision s_decide(const struct cr_retry_outcome *outcome, bool at_most_once,
                                       bool throttled)
{
    switch (outcome->transport) {
    case CR_RETRY_TRANSPORT_OK:
        return s_classify_response(outcome, at_most_once, throttled);
    case CR_RETRY_TRANSPORT_CONNECT:
        return CR_RETRY_TRANSIENT;
    case CR_RETRY_TRANSPORT_SEND_RECV:
    case CR_RETRY_TRANSPORT_TIMEOUT:
        if (at_most_once && outcome->sent)
            return CR_RETRY_AMBIGUOUS;
        return CR_RETRY_TRANSIENT;
    case CR_RETRY_TRANSPORT_TOO_LARGE:
        /* the server answered, so the request happened, but the answer is unusable */
        return at_most_once ? CR_RETRY_AMBIGUOUS : CR_RETRY_FAIL;
    case CR_RETRY_TRANSPORT_FATAL:
    default:
        return CR_RETRY_FAIL;
    }
}

enum cr_retry_decision cr_retry_decide(const struct cr_retry_outcome *outcome, bool at_most_once)
{
    return s_decide(outcome, at_most_once, cr_retry_is_throttle_type(outcome->error_type));
}

enum cr_retry_decision cr_retry_classify(enum cr_cognito_op op,
                                         const struct cr_retry_outcome *outcome)
{
    return s_decide(outcome, op == CR_OP_CREATE_IDENTITY_POOL,
                    cr_retry_is_throttle(op, outcome->error_type));
}

uint32_t cr_retry_backoff_ms(const struct cr_retry_policy *policy, unsigned attempt, double unit)
{
    uint64_t ceiling = policy->base_ms;
    /* base * 2^(attempt-1), stopping at the cap before it can overflow */
    for (unsigned i = 1; i < attempt && ceiling < policy->cap_ms; i++)
        ceiling *= 2;
    if (ceiling > policy->cap_ms)
        ceiling = policy->cap_ms;
    if (!(unit >= 0.0))
        unit = 0.0;
    if (unit >= 1.0)
        unit = 0.999999;
    return (uint32_t)(unit * (double)(ceiling + 1));
}

bool cr_retry_allowed(const struct cr_retry_policy *policy, unsigned attempts, uint64_t waited_ms,
                      uint32_t next_wait_ms)
{
    if (attempts >= policy->max_attempts)
        return false;
    return waited_ms + next_wait_ms <= policy->max_total_ms;
}

/* ---- the retry mode and attempts ---- */

const char *cr_retry_mode_name(enum cr_retry_mode mode)
{
    return mode == CR_RETRY_MODE_ADAPTIVE ? "adaptive" : "standard";
}

static int s_mode(enum cr_retry_mode *out, const char *text, const char *what)
{
    if (strcmp(text, "adaptive") == 0) {
        *out = CR_RETRY_MODE_ADAPTIVE;
        return 0;
    }
    if (strcmp(text, "standard") == 0 || strcmp(text, "legacy") == 0) {
        *out = CR_RETRY_MODE_STANDARD;
        return 0;
    }
    cr_error_set("%s: '%s' is not a retry mode (standard, adaptive or legacy)", what, text);
    return CR_EINVALID;
}

static int s_attempts(unsigned *out, const char *text, const char *what)
{
    char *end = NULL;
    errno = 0;
    long v = strtol(text, &end, 10);
    if (errno || end == text || *end || v < 1 || v > 100) {
        cr_error_set("%s: '%s' is not a number of attempts (1 to 100)", what, text);
        return CR_EINVALID;
    }
    *out = (unsigned)v;
    return 0;
}

/* The environment variable when set and not empty, else the profile's setting (from names
 * the one used). */
static const char *s_setting(const char **from, const struct cr_aws_config *cfg,
                             const struct cr_aws_env *env, const char *var, const char *key,
                             const char *key_what)
{
    const char *v = cr_aws_env_get(env, var);
    if (v && *v) {
        *from = var;
        return v;
    }
    v = cfg ? cr_aws_config_get(cfg, key) : NULL;
    if (v)
        *from = key_what;
    return v;
}

int cr_retry_settings_resolve(struct cr_retry_settings *out, const struct cr_aws_config *cfg,
                              const struct cr_aws_env *env, unsigned default_attempts)
{
    *out =
        (struct cr_retry_settings){CR_RETRY_MODE_ADAPTIVE, default_attempts, "default", "default"};
    const char *mode = s_setting(&out->mode_from, cfg, env, "AWS_RETRY_MODE", "retry_mode",
                                 "retry_mode in the AWS config profile");
    const char *attempts = s_setting(&out->attempts_from, cfg, env, "AWS_MAX_ATTEMPTS",
                                     "max_attempts", "max_attempts in the AWS config profile");
    if (mode && s_mode(&out->mode, mode, out->mode_from) < 0)
        return CR_EINVALID;
    if (attempts && s_attempts(&out->max_attempts, attempts, out->attempts_from) < 0)
        return CR_EINVALID;
    return 0;
}
