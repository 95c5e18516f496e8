/* SPDX-License-Identifier: Apache-2.0 */
#include "aws/redact.h"

#include <ctype.h>
#include <stdint.h>
#include <string.h>
#include <strings.h>

/* Out of memory, reported where it is detected. */
static int s_oom(void)
{
    cr_error_set("redacting a log line: out of memory");
    return CR_ENOMEM;
}

bool cr_redact_header_is_secret(const char *name)
{
    static const char *const secret[] = {
        "authorization",
        "proxy-authorization",
        "x-amz-security-token",
        "cookie",
        "set-cookie",
        "x-amz-credential",
        "x-amz-signature",
        "x-amz-sso_bearer_token",   /* SSO portal GetRoleCredentials */
        "x-aws-ec2-metadata-token", /* IMDSv2 session token */
    };
    if (!name)
        return false;
    for (size_t i = 0; i < sizeof(secret) / sizeof(secret[0]); i++)
        if (strcasecmp(name, secret[i]) == 0)
            return true;
    return false;
}

int cr_redact_header(struct cr_buf *out, const char *name, const char *value)
{
    cr_buf_puts(out, name);
    cr_buf_puts(out, ": ");
    if (cr_redact_header_is_secret(name))
        cr_buf_puts(out, CR_REDACTED);
    else if (value && cr_redact_text(out, value, strlen(value)) < 0)
        return CR_ENOMEM; /* the message is set */
    return cr_buf_oom(out) ? s_oom() : 0;
}

/* Parameter names whose value is secret, lower case. Longer names first is not needed: each
 * position is tried against every name and the value ends at the same delimiter. */
static const char *const s_keys[] = {
    "signature",
    "x-amz-credential",
    "x-amz-security-token",
    "credential",
    "secretaccesskey",
    "secret_access_key",
    "sessiontoken",
    "session_token",
    "\"token",
    "secretkey",
    "securitytoken",
    "security_token",
    "webidentitytoken", /* the OIDC token in an AssumeRoleWithWebIdentity form or JSON body */
    "x-amz-sso_bearer_token",
    "x-aws-ec2-metadata-token",
    "\"accesstoken", /* the SSO token cache and CreateToken answers */
};

static bool s_match_ci(const char *text, size_t len, size_t at, const char *key)
{
    size_t n = strlen(key);
    if (at + n > len)
        return false;
    for (size_t i = 0; i < n; i++)
        if (tolower((unsigned char)text[at + i]) != key[i])
            return false;
    return true;
}

/* After a key: optional closing quote, spaces, '=' or ':', spaces, optional opening quote.
 * Returns the offset where the value starts, or SIZE_MAX if this is not a key=value. */
static size_t s_value_start(const char *text, size_t len, size_t i)
{
    if (i < len && text[i] == '"')
        i++;
    while (i < len && text[i] == ' ')
        i++;
    if (i >= len || (text[i] != '=' && text[i] != ':'))
        return SIZE_MAX;
    i++;
    while (i < len && text[i] == ' ')
        i++;
    if (i < len && text[i] == '"')
        i++;
    return i;
}

static bool s_is_value_end(char c)
{
    return c == '&' || c == ',' || c == '"' || c == ';' || c == '\'' || c == '}' ||
           isspace((unsigned char)c);
}

int cr_redact_text(struct cr_buf *out, const char *text, size_t len)
{
    size_t i = 0;
    while (i < len) {
        size_t value = SIZE_MAX;
        for (size_t k = 0; k < sizeof(s_keys) / sizeof(s_keys[0]) && value == SIZE_MAX; k++) {
            /* only at the start of a word, so "NoSignature" style words are left alone */
            if (i > 0 && isalnum((unsigned char)text[i - 1]) && s_keys[k][0] != '"')
                continue;
            if (s_match_ci(text, len, i, s_keys[k]))
                value = s_value_start(text, len, i + strlen(s_keys[k]));
        }
        if (value == SIZE_MAX) {
            cr_buf_putc(out, text[i++]);
            continue;
        }
        cr_buf_put(out, text + i, value - i);
        cr_buf_puts(out, CR_REDACTED);
        i = value;
        while (i < len && !s_is_value_end(text[i]))
            i++;
    }
    return cr_buf_oom(out) ? s_oom() : 0;
}
