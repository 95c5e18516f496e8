/* SPDX-License-Identifier: Apache-2.0 */
/*
 * Issue 9, item 5, the emulator's side: a web identity token never appears in an answer of
 * the emulator (a validation message used to quote it, and the AWS CLI prints messages
 * verbatim: a short token was printed whole); and with --credentials, STS
 * AssumeRoleWithWebIdentity hands out keys only for a token that verifies (keys given with
 * --idp-keys, or the emulator's own), else anyone could get keys the emulator then accepts.
 * In process, through the router.
 */
#include <stdlib.h>
#include <string.h>

#include "emulator/internal.h"
#include "emulator/jwt.h"
#include "tests/support/cr_test.h"
#include "tests/unit/test_emulator_call.h"
#include "util/buf.h"
#include "util/strutil.h"

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

/* Login tokens are secrets too: a Logins map that breaks a constraint (a token over 50,000
 * characters, more than 10 logins) is named in the ValidationException without its values. */
static void test_emulator_sts__login_tokens_not_echoed(void **state)
{
    struct cr_emu *emu = s_new();
    struct cr_buf body = CR_BUF_INIT, big = CR_BUF_INIT;
    for (int i = 0; i < 50001; i++)
        cr_buf_putc(&big, "QWXZ"[i % 4]);
    cr_buf_printf(&body,
                  "{\"IdentityPoolId\":\"us-east-1:00000000-0000-4000-8000-000000000000\","
                  "\"Logins\":{\"graph.facebook.com\":\"%s\"}}",
                  cr_buf_cstr(&big));
    struct test_emu_res r = test_emu_call(emu, "GetId", body.ptr, body.len, NULL);
    const char *msg = json_string_value(json_object_get(r.body, "message"));
    assert_int_equal(r.status, 400);
    assert_non_null(strstr(msg, "Value at 'logins.graph.facebook.com.member' failed to satisfy "
                                "constraint: Member must have length less than or equal to 50000"));
    assert_null(strstr(msg, "QWXZQWXZ"));
    json_decref(r.body);
    cr_buf_clear(&body);
    cr_buf_puts(&body, "{\"IdentityPoolId\":\"us-east-1:00000000-0000-4000-8000-000000000000\","
                       "\"Logins\":{");
    for (int i = 0; i < 11; i++)
        cr_buf_printf(&body, "%s\"provider%d.example\":\"SECRET-LOGIN-TOKEN-%d\"", i ? "," : "", i,
                      i);
    cr_buf_puts(&body, "}}");
    r = test_emu_call(emu, "GetId", body.ptr, body.len, NULL);
    msg = json_string_value(json_object_get(r.body, "message"));
    assert_int_equal(r.status, 400);
    assert_non_null(strstr(msg, "Value at 'logins' failed to satisfy constraint: Member must have "
                                "length less than or equal to 10"));
    assert_null(strstr(msg, "SECRET-LOGIN-TOKEN"));
    json_decref(r.body);
    cr_buf_dispose(&big);
    cr_buf_dispose(&body);
    cr_emu_free(emu);
}

/* ---- the guard ---- */

#define S_ISSUER "https://oidc.ci.example"

struct s_guard {
    struct cr_emu *emu;
    EVP_PKEY *key;   /* the issuer's key, given to the emulator with --idp-keys */
    EVP_PKEY *other; /* a key nobody gave it */
};

static int s_guard_setup(void **state)
{
    struct s_guard *g = calloc(1, sizeof(*g));
    struct cr_emu_options opts = {.credentials_path = cr_test_tmp_path("guard-credentials"),
                                  .idp_keys_path = cr_test_tmp_path("guard-idp-keys.json")};
    if (!g || cr__emu_rsa_generate(&g->key) != 0 || cr__emu_rsa_generate(&g->other) != 0)
        return -1;
    json_t *jwks = json_pack("{s:{s:[o]}}", S_ISSUER, "keys", cr__emu_jwk(g->key, "ci-1"));
    char *text = json_dumps(jwks, 0);
    int rc = cr_test_write_file(opts.credentials_path, "AKIDGUARD secret\n") ||
             cr_test_write_file(opts.idp_keys_path, text) || cr_emu_new(&g->emu, &opts);
    free(text);
    json_decref(jwks);
    *state = g;
    return rc ? -1 : 0;
}

static int s_guard_teardown(void **state)
{
    struct s_guard *g = *state;
    cr_emu_free(g->emu);
    EVP_PKEY_free(g->key);
    EVP_PKEY_free(g->other);
    free(g);
    return 0;
}

/* A JWT of claims (iss, and exp an hour ahead unless given) signed with key as kid. */
static char *s_jwt(EVP_PKEY *key, const char *kid, const char *iss, json_t *claims)
{
    char *token = NULL;
    if (!json_object_get(claims, "iss"))
        json_object_set_new(claims, "iss", json_string(iss));
    if (!json_object_get(claims, "exp"))
        json_object_set_new(claims, "exp", json_integer(cr_time_now() + 3600));
    assert_ok(cr__emu_jwt_sign(&token, key, kid, claims));
    json_decref(claims);
    return token;
}

/* AssumeRoleWithWebIdentity with token: the status; the body into body. */
static int s_assume(struct cr_emu *emu, struct cr_buf *body, const char *token)
{
    struct cr_buf form = CR_BUF_INIT;
    cr_buf_puts(&form, "Action=AssumeRoleWithWebIdentity&Version=2011-06-15&RoleArn=" S_ROLE
                       "&RoleSessionName=ci&WebIdentityToken=");
    cr_buf_puts(&form, token);
    int status = s_sts(emu, body, cr_buf_cstr(&form), false);
    cr_buf_dispose(&form);
    return status;
}

static size_t s_keys(struct cr_emu *emu)
{
    pthread_mutex_lock(&emu->aux_lock);
    size_t n = emu->keys.len;
    pthread_mutex_unlock(&emu->aux_lock);
    return n;
}

/* Refused: status 400, the code, a message that does not quote the token, no keys minted. */
static void s_refused(struct s_guard *g, const char *token, const char *code, const char *text)
{
    struct cr_buf body = CR_BUF_INIT;
    char want[96];
    size_t keys = s_keys(g->emu);
    assert_int_equal(s_assume(g->emu, &body, token), 400);
    snprintf(want, sizeof(want), "<Code>%s</Code>", code);
    if (!strstr(cr_buf_cstr(&body), want) || !strstr(cr_buf_cstr(&body), text))
        fail_msg("expected %s with '%s', got %s", code, text, cr_buf_cstr(&body));
    assert_null(strstr(cr_buf_cstr(&body), token));
    assert_int_equal(s_keys(g->emu), keys);
    cr_buf_dispose(&body);
}

static void s_accepted(struct s_guard *g, const char *token)
{
    struct cr_buf body = CR_BUF_INIT;
    size_t keys = s_keys(g->emu);
    if (s_assume(g->emu, &body, token) != 200)
        fail_msg("refused: %s", cr_buf_cstr(&body));
    assert_non_null(strstr(cr_buf_cstr(&body), "<AccessKeyId>ASIA"));
    assert_int_equal(s_keys(g->emu), keys + 1); /* registered: it verifies from now on */
    cr_buf_dispose(&body);
}

/* With --credentials, any token used to get keys: now only one that verifies does. */
static void test_emulator_sts__guard_refuses_unverifiable_tokens(void **state)
{
    struct s_guard *g = *state;
    char *t;
    s_refused(g, "any-token-at-all", "InvalidIdentityToken", "not a JSON Web Token");
    t = s_jwt(g->other, "x", "https://unknown.example", json_pack("{s:s}", "sub", "u"));
    s_refused(g, t, "InvalidIdentityToken",
              "No OpenIDConnect provider found in your account for https://unknown.example");
    free(t);
    /* the issuer is known, the key is not its */
    t = s_jwt(g->other, "ci-1", S_ISSUER, json_pack("{s:s}", "sub", "u"));
    s_refused(g, t, "InvalidIdentityToken", "could not be validated");
    free(t);
    /* its key, but the claims were changed after signing */
    t = s_jwt(g->key, "ci-1", S_ISSUER, json_pack("{s:s}", "sub", "user"));
    struct cr_emu_jwt jwt;
    struct cr_buf forged = CR_BUF_INIT;
    assert_ok(cr__emu_jwt_parse(&jwt, t));
    json_object_set_new(jwt.claims, "sub", json_string("admin"));
    char *claims = json_dumps(jwt.claims, JSON_COMPACT);
    cr_buf_put(&forged, t, (size_t)(strchr(t, '.') - t + 1));
    assert_ok(cr__emu_b64url_encode(&forged, claims, strlen(claims)));
    cr_buf_puts(&forged, strrchr(t, '.'));
    s_refused(g, cr_buf_cstr(&forged), "InvalidIdentityToken", "could not be validated");
    free(claims);
    cr__emu_jwt_dispose(&jwt);
    cr_buf_dispose(&forged);
    free(t);
    /* its key, expired */
    t = s_jwt(g->key, "ci-1", S_ISSUER,
              json_pack("{s:s, s:I}", "sub", "u", "exp", (json_int_t)cr_time_now() - 60));
    s_refused(g, t, "ExpiredTokenException", "Token expired");
    free(t);
}

static void test_emulator_sts__guard_accepts_verified_tokens(void **state)
{
    struct s_guard *g = *state;
    /* signed by a key given with --idp-keys for its issuer */
    char *t = s_jwt(g->key, "ci-1", S_ISSUER, json_pack("{s:s}", "sub", "repo:org/app"));
    s_accepted(g, t);
    free(t);
    /* minted by the emulator itself (POST /_local/token), any issuer */
    struct cr_emu_request req = {.method = "POST",
                                 .path = "/_local/token",
                                 .body = "{\"issuer\":\"https://token.actions.example\","
                                         "\"claims\":{\"sub\":\"repo:org/app\"}}",
                                 .loopback = true};
    req.body_len = strlen(req.body);
    struct cr_emu_response out;
    cr_emu_response_init(&out);
    assert_ok(cr_emu_handle(g->emu, &out, &req));
    assert_int_equal(out.status, 200);
    json_t *doc = json_loads(cr_buf_cstr(&out.body), 0, NULL);
    s_accepted(g, json_string_value(json_object_get(doc, "token")));
    json_decref(doc);
    cr_emu_response_dispose(&out);
}

/* Without --credentials nothing is verified: tests may still use simple strings. */
static void test_emulator_sts__no_guard_without_credentials(void **state)
{
    struct cr_emu *emu = s_new();
    struct cr_buf body = CR_BUF_INIT;
    assert_int_equal(s_assume(emu, &body, "any-token-at-all"), 200);
    cr_buf_dispose(&body);
    cr_emu_free(emu);
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_emulator_sts__short_token_not_echoed),
        cmocka_unit_test(test_emulator_sts__tokens_never_echoed_property),
        cmocka_unit_test(test_emulator_sts__login_tokens_not_echoed),
        cmocka_unit_test_setup_teardown(test_emulator_sts__guard_refuses_unverifiable_tokens,
                                        s_guard_setup, s_guard_teardown),
        cmocka_unit_test_setup_teardown(test_emulator_sts__guard_accepts_verified_tokens,
                                        s_guard_setup, s_guard_teardown),
        cmocka_unit_test(test_emulator_sts__no_guard_without_credentials),
    };
    return cmocka_run_group_tests(tests, cr_test_tmpdir_setup, cr_test_tmpdir_teardown);
}
