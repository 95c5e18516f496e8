/*
 * libFuzzer target: every cognito-identity response decoder on the same input. The decoders
 * read untrusted network bytes, so none may crash, leak or read out of bounds; a successful
 * decode must also survive a copy and re-encode.
 */
#include <stddef.h>
#include <stdint.h>
#include <string.h>

#include "aws/cognito.h"

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

    struct cr_cognito_error err;
    cr_cognito_decode_error(&err, 400, body, size);
    /* the decoded error must be NUL-terminated within its arrays */
    if (strnlen(err.type, sizeof(err.type)) == sizeof(err.type) ||
        strnlen(err.message, sizeof(err.message)) == sizeof(err.message))
        __builtin_trap();
    return 0;
}
