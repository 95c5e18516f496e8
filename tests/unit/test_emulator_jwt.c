/* SPDX-License-Identifier: Apache-2.0 */
/* JWTs in the emulator: base64url, RS256 sign/verify, PEM and JWK round trips, refusals. */
#include "tests/support/cr_test.h"

#include <stdlib.h>
#include <string.h>

#include "emulator/jwt.h"

static EVP_PKEY *s_key;

static int setup(void **state)
{
    return cr__emu_rsa_generate(&s_key) == 0 ? 0 : -1;
}

static int teardown(void **state)
{
    EVP_PKEY_free(s_key);
    return 0;
}

static void test_emulator_jwt__base64url_round_trips(void **state)
{
    unsigned seed = 7;
    unsigned char data[300];
    for (size_t len = 0; len < sizeof(data); len++) {
        struct cr_buf enc = CR_BUF_INIT, dec = CR_BUF_INIT;
        for (size_t i = 0; i < len; i++) {
            seed = seed * 1103515245u + 12345u;
            data[i] = (unsigned char)(seed >> 16);
        }
        assert_ok(cr__emu_b64url_encode(&enc, data, len));
        /* the URL-safe alphabet, no padding (RFC 7515 section 2) */
        assert_int_equal(strcspn(cr_buf_cstr(&enc), "+/="), enc.len);
        assert_int_equal(enc.len, (len * 8 + 5) / 6);
        assert_ok(cr__emu_b64url_decode(&dec, enc.ptr ? enc.ptr : "", enc.len));
        assert_int_equal(dec.len, len);
        if (len)
            assert_memory_equal(dec.ptr, data, len);
        cr_buf_dispose(&enc);
        cr_buf_dispose(&dec);
    }
}

static void test_emulator_jwt__base64url_refuses_garbage(void **state)
{
    struct cr_buf out = CR_BUF_INIT;
    assert_int_equal(cr__emu_b64url_decode(&out, "ab+c", 4), CR_EINVALID); /* standard alphabet */
    assert_int_equal(cr__emu_b64url_decode(&out, "abcde", 5), CR_EINVALID); /* impossible length */
    assert_int_equal(cr__emu_b64url_decode(&out, "ab c", 4), CR_EINVALID);
    assert_int_equal(cr__emu_b64url_decode(&out, "aGl", 3), CR_EINVALID); /* not canonical */
    assert_int_equal(cr__emu_b64url_decode(&out, "aGk", 3), 0);
    cr_buf_clear(&out);
    assert_ok(cr__emu_b64url_decode(&out, "aGk=", 4)); /* padding is tolerated */
    assert_string_equal(cr_buf_cstr(&out), "hi");
    cr_buf_dispose(&out);
}

static char *s_sign(const char *claims_json)
{
    char *token = NULL;
    json_t *claims = json_loads(claims_json, 0, NULL);
    assert_ok(cr__emu_jwt_sign(&token, s_key, "k1", claims));
    json_decref(claims);
    return token;
}

static void test_emulator_jwt__sign_parse_verify(void **state)
{
    struct cr_emu_jwt jwt;
    char *token = s_sign("{\"sub\":\"u1\",\"custom:tier\":\"paid\"}");
    assert_ok(cr__emu_jwt_parse(&jwt, token));
    assert_string_equal(json_string_value(json_object_get(jwt.header, "alg")), "RS256");
    assert_string_equal(json_string_value(json_object_get(jwt.header, "kid")), "k1");
    assert_string_equal(json_string_value(json_object_get(jwt.claims, "custom:tier")), "paid");
    assert_int_equal(jwt.signature.len, 256); /* RSA-2048 */
    assert_ok(cr__emu_jwt_verify(&jwt, s_key));
    cr__emu_jwt_dispose(&jwt);
    free(token);
}

static void test_emulator_jwt__tampering_is_caught(void **state)
{
    struct cr_emu_jwt jwt;
    EVP_PKEY *other = NULL;
    char *token = s_sign("{\"sub\":\"u1\",\"custom:tier\":\"free\"}");
    char *forged = s_sign("{\"sub\":\"u1\",\"custom:tier\":\"paid\"}");
    /* the payload of one with the signature of the other */
    char mixed[4096];
    snprintf(mixed, sizeof(mixed), "%.*s%s", (int)(strrchr(token, '.') - token), token,
             strrchr(forged, '.'));
    assert_ok(cr__emu_jwt_parse(&jwt, mixed));
    assert_int_equal(cr__emu_jwt_verify(&jwt, s_key), CR_EAUTH);
    cr__emu_jwt_dispose(&jwt);
    /* the right token, another key */
    assert_ok(cr__emu_rsa_generate(&other));
    assert_ok(cr__emu_jwt_parse(&jwt, token));
    assert_int_equal(cr__emu_jwt_verify(&jwt, other), CR_EAUTH);
    /* "alg": "none" is never accepted, whatever the signature */
    json_object_set_new(jwt.header, "alg", json_string("none"));
    assert_int_equal(cr__emu_jwt_verify(&jwt, s_key), CR_EAUTH);
    cr__emu_jwt_dispose(&jwt);
    EVP_PKEY_free(other);
    free(token);
    free(forged);
}

static void test_emulator_jwt__parse_refuses_non_tokens(void **state)
{
    static const char *const bad[] = {
        "", "abc", "a.b", "a.b.c.d", "eyJhbGciOiJSUzI1NiJ9.e30", /* two parts */
        "eyJhbGciOiJSUzI1NiJ9.bm90IGpzb24.c2ln",                 /* payload not JSON */
        "WyJhIl0.e30.c2ln",                                       /* header an array */
        "eyJhbGciOiJSUzI1NiJ9.e30.c2l+",                          /* signature not base64url */
    };
    for (size_t i = 0; i < sizeof(bad) / sizeof(bad[0]); i++) {
        struct cr_emu_jwt jwt;
        if (cr__emu_jwt_parse(&jwt, bad[i]) != CR_EINVALID)
            fail_msg("'%s' parsed as a JWT", bad[i]);
        cr__emu_jwt_dispose(&jwt);
    }
}

static void test_emulator_jwt__pem_and_jwk_round_trip(void **state)
{
    struct cr_buf pem = CR_BUF_INIT;
    EVP_PKEY *again = NULL, *pub = NULL;
    struct cr_emu_jwt jwt;
    char *token = s_sign("{\"sub\":\"u1\"}");
    assert_ok(cr__emu_key_pem(&pem, s_key));
    assert_non_null(strstr(cr_buf_cstr(&pem), "BEGIN PRIVATE KEY"));
    assert_ok(cr__emu_key_from_pem(&again, cr_buf_cstr(&pem)));
    json_t *jwk = cr__emu_jwk(again, "k1");
    assert_non_null(jwk);
    assert_string_equal(json_string_value(json_object_get(jwk, "e")), "AQAB");
    assert_null(json_object_get(jwk, "d")); /* public only */
    assert_ok(cr__emu_key_from_jwk(&pub, jwk));
    assert_ok(cr__emu_jwt_parse(&jwt, token));
    assert_ok(cr__emu_jwt_verify(&jwt, pub));
    cr__emu_jwt_dispose(&jwt);
    EVP_PKEY *bad = NULL;
    assert_int_equal(cr__emu_key_from_pem(&bad, "not a key"), CR_EINVALID);
    assert_null(bad);
    json_object_set_new(jwk, "kty", json_string("EC"));
    EVP_PKEY *none = NULL;
    assert_int_equal(cr__emu_key_from_jwk(&none, jwk), CR_EINVALID);
    assert_null(none);
    EVP_PKEY_free(again);
    EVP_PKEY_free(pub);
    json_decref(jwk);
    cr_buf_dispose_secure(&pem);
    free(token);
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_emulator_jwt__base64url_round_trips),
        cmocka_unit_test(test_emulator_jwt__base64url_refuses_garbage),
        cmocka_unit_test(test_emulator_jwt__sign_parse_verify),
        cmocka_unit_test(test_emulator_jwt__tampering_is_caught),
        cmocka_unit_test(test_emulator_jwt__parse_refuses_non_tokens),
        cmocka_unit_test(test_emulator_jwt__pem_and_jwk_round_trip),
    };
    return cmocka_run_group_tests(tests, setup, teardown);
}
