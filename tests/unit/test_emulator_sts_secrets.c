/* SPDX-License-Identifier: Apache-2.0 */
/*
 * Issue 9, item 5, the emulator's side: a web identity token never appears in an answer of
 * the emulator (a validation message used to quote it, and the AWS CLI prints messages
 * verbatim: a short token was printed whole). In process, through the router.
 */
#include <stdlib.h>
#include <string.h>

#include "emulator/internal.h"
#include "tests/support/cr_test.h"
#include "util/buf.h"

#define S_ROLE "arn%3Aaws%3Aiam%3A%3A444455556666%3Arole%2FDeploy"

static struct cr_emu *s_new(void)
{
    struct cr_emu *emu = NULL;
    struct cr_emu_options opts = {0};
    assert_ok(cr_emu_new(&emu, &opts));
    return emu;
}

/* POSTs an STS form; the answer's status, its body into body. */
static int s_sts(struct cr_emu *emu, struct cr_buf *body, const char *form, bool json)
{
    struct cr_sigv4_header h[2] = {{"Content-Type", "application/x-www-form-urlencoded"},
                                   {"Accept", "application/json"}};
    struct cr_emu_request req = {.method = "POST",
                                 .path = "/",
                                 .headers = h,
                                 .n_headers = json ? 2 : 1,
                                 .body = form,
                                 .body_len = strlen(form),
                                 .loopback = true};
    struct cr_emu_response out;
    cr_emu_response_init(&out);
    assert_ok(cr_emu_handle(emu, &out, &req));
    cr_buf_clear(body);
    cr_buf_puts(body, cr_buf_cstr(&out.body));
    int status = out.status;
    cr_emu_response_dispose(&out);
    return status;
}

/* A short token is a validation error that names the member, never the value (AWS words
 * sensitive members so: "Value at 'password' failed to satisfy constraint: ..."). */
static void test_emulator_sts__short_token_not_echoed(void **state)
{
    struct cr_emu *emu = s_new();
    struct cr_buf body = CR_BUF_INIT;
    for (int json = 0; json < 2; json++) {
        assert_int_equal(s_sts(emu, &body,
                               "Action=AssumeRoleWithWebIdentity&Version=2011-06-15&RoleArn=" S_ROLE
                               "&RoleSessionName=ci&WebIdentityToken=s3c",
                               json),
                         400);
        assert_null(strstr(cr_buf_cstr(&body), "s3c"));
        assert_non_null(strstr(cr_buf_cstr(&body),
                               "1 validation error detected: Value at 'webIdentityToken' failed "
                               "to satisfy constraint: Member must have length greater than or "
                               "equal to 4"));
    }
    cr_buf_dispose(&body);
    cr_emu_free(emu);
}

/* Seeded: short tokens (3 characters) and long ones (over 20,000), alone and with other
 * violations, in XML and JSON answers: the token's text is never in the answer. (Short tokens
 * are of letters no message or request id has, so that finding them means quoting them.) */
static void test_emulator_sts__tokens_never_echoed_property(void **state)
{
    struct cr_emu *emu = s_new();
    struct cr_buf body = CR_BUF_INIT, form = CR_BUF_INIT, token = CR_BUF_INIT;
    unsigned seed = 20261206u;
    const char alphabet[] = "QWXZ";
    for (int i = 0; i < 60; i++) {
        seed = seed * 1103515245u + 12345u;
        size_t len = i % 2 ? 3 : 20001 + seed % 100;
        cr_buf_clear(&token);
        for (size_t k = 0; k < len; k++) {
            seed = seed * 1103515245u + 12345u;
            cr_buf_putc(&token, alphabet[(seed >> 16) % (sizeof(alphabet) - 1)]);
        }
        cr_buf_clear(&form);
        cr_buf_printf(&form,
                      "Action=AssumeRoleWithWebIdentity&Version=2011-06-15%s%s"
                      "&WebIdentityToken=%s",
                      i % 3 ? "&RoleArn=" S_ROLE : "", i % 4 ? "&RoleSessionName=ci" : "",
                      cr_buf_cstr(&token));
        assert_int_equal(s_sts(emu, &body, cr_buf_cstr(&form), i % 5 == 0), 400);
        /* the whole token, and for long ones any 12 characters of it */
        const char *t = cr_buf_cstr(&token);
        char piece[13];
        snprintf(piece, sizeof(piece), "%s", len > 12 ? t + len / 2 : t);
        if (strstr(cr_buf_cstr(&body), t) || strstr(cr_buf_cstr(&body), piece))
            fail_msg("case %d (token of %zu characters): the answer quotes it: %.300s", i, len,
                     cr_buf_cstr(&body));
        assert_non_null(strstr(cr_buf_cstr(&body), "Value at 'webIdentityToken'"));
    }
    cr_buf_dispose(&token);
    cr_buf_dispose(&form);
    cr_buf_dispose(&body);
    cr_emu_free(emu);
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_emulator_sts__short_token_not_echoed),
        cmocka_unit_test(test_emulator_sts__tokens_never_echoed_property),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
