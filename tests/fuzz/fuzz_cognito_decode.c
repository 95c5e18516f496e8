/* SPDX-License-Identifier: Apache-2.0 */
/*
 * libFuzzer target: every response decoder of aws/ on the same input: the cognito-identity
 * decoders, the STS answer readers (AssumeRoleWithWebIdentity, GetCallerIdentity, errors:
 * XML through libxml2 (aws/xml.h) or JSON) and the Authorization header and date
 * parsers the emulator applies to client input. They read untrusted bytes, so none may crash,
 * leak or read out of bounds; a successful decode must also survive a copy and re-encode.
 */
#include <stddef.h>
#include <stdint.h>
#include <string.h>

#include "aws/cognito.h"
#include "aws/credentials.h"
#include "aws/request.h"
#include "aws/sigv4.h"
#include "aws/sts.h"
#include "util/buf.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

static void s_pool(const char *body, size_t len)
{
    struct cr_cognito_pool pool, copy = {0};
    if (cr_cognito_decode_pool(&pool, body, len) != 0)
        return;
    struct cr_buf out = CR_BUF_INIT;
    if (cr_cognito_pool_copy(&copy, &pool) == 0) {
        /* decoded strings may hold bytes jansson rejects on output: errors are fine */
        (void)cr_cognito_encode_update(&out, &copy);
        cr_buf_clear(&out);
        (void)cr_cognito_encode_create(&out, &copy);
        cr_cognito_pool_dispose(&copy);
    }
    cr_buf_dispose(&out);
    cr_cognito_pool_dispose(&pool);
}

static void s_roles(const char *body, size_t len)
{
    struct cr_cognito_roles roles, copy = {0};
    if (cr_cognito_decode_roles(&roles, body, len) != 0)
        return;
    struct cr_buf out = CR_BUF_INIT;
    if (cr_cognito_roles_copy(&copy, &roles) == 0) {
        (void)cr_cognito_encode_set_roles(&out, &copy);
        cr_cognito_roles_dispose(&copy);
    }
    cr_buf_dispose(&out);
    cr_cognito_roles_dispose(&roles);
}

/* STS answers are not NUL-terminated on the wire: the readers get exactly len bytes. */
static void s_sts(const char *body, size_t len)
{
    struct cr_aws_credentials creds;
    cr_aws_credentials_init(&creds);
    if (cr_sts_parse_credentials(&creds, body, len) == 0 && !creds.access_key_id.len)
        __builtin_trap(); /* success promises non-empty credentials */
    cr_aws_credentials_dispose(&creds);
    struct cr_buf account = CR_BUF_INIT, code = CR_BUF_INIT, message = CR_BUF_INIT;
    (void)cr_sts_parse_account(&account, body, len);
    cr_sts_parse_error(&code, &message, body, len);
    cr_buf_dispose(&account);
    cr_buf_dispose(&code);
    cr_buf_dispose(&message);
}

/* The text parsers take C strings: feed the input up to its first NUL. */
static void s_text(const char *body, size_t len)
{
    struct cr_buf text = CR_BUF_INIT;
    if (cr_buf_put(&text, body, strnlen(body, len)) < 0 || cr_buf_oom(&text))
        goto done;
    struct cr_sigv4_authorization auth;
    (void)cr_sigv4_parse_authorization(&auth, cr_buf_cstr(&text));
    int64_t t = 0;
    (void)cr_sigv4_parse_date(&t, cr_buf_cstr(&text));
done:
    cr_buf_dispose(&text);
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
    const char *body = (const char *)data;
    s_pool(body, size);
    s_roles(body, size);

    struct cr_cognito_pool_page page;
    if (cr_cognito_decode_pool_page(&page, body, size) == 0)
        cr_cognito_pool_page_dispose(&page);

    struct cr_cognito_principal_tags pt;
    if (cr_cognito_decode_principal_tags(&pt, body, size) == 0) {
        struct cr_buf out = CR_BUF_INIT;
        (void)cr_cognito_encode_set_principal_tags(&out, &pt);
        cr_buf_dispose(&out);
        cr_cognito_principal_tags_dispose(&pt);
    }

    struct cr_strmap tags;
    if (cr_cognito_decode_tags(&tags, body, size) == 0)
        cr_strmap_dispose(&tags);

    struct cr_aws_error err;
    cr_aws_error_decode(&err, 400, body, size);
    /* the decoded error must be NUL-terminated within its arrays */
    if (strnlen(err.type, sizeof(err.type)) == sizeof(err.type) ||
        strnlen(err.message, sizeof(err.message)) == sizeof(err.message))
        __builtin_trap();

    s_sts(body, size);
    s_text(body, size);
    return 0;
}
