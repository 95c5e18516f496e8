/* SPDX-License-Identifier: Apache-2.0 */
/*
 * JWTs with OpenSSL: RS256 (RSASSA-PKCS1-v1_5 with SHA-256, RFC 7518 section 3.3) through
 * EVP_DigestSign/EVP_DigestVerify, base64url through EVP_EncodeBlock/EVP_DecodeBlock with
 * the alphabet translated (RFC 4648 section 5), JWK n/e as big-endian unsigned integers
 * (RFC 7518 section 6.3.1).
 */
#include "emulator/jwt.h"

#include <openssl/bn.h>
#include <openssl/core_names.h>
#include <openssl/err.h>
#include <openssl/param_build.h>
#include <openssl/pem.h>
#include <stdlib.h>
#include <string.h>

int cr__emu_b64url_encode(struct cr_buf *out, const void *data, size_t len)
{
    size_t cap = 4 * ((len + 2) / 3) + 1;
    unsigned char *tmp;
    int n;
    if (len > (1u << 28))
        return CR_ENOMEM;
    tmp = malloc(cap);
    if (!tmp)
        return CR_ENOMEM;
    n = EVP_EncodeBlock(tmp, data, (int)len);
    while (n > 0 && tmp[n - 1] == '=')
        n--;
    for (int i = 0; i < n; i++)
        tmp[i] = tmp[i] == '+' ? '-' : tmp[i] == '/' ? '_' : tmp[i];
    cr_buf_put(out, tmp, (size_t)n);
    free(tmp);
    return cr_buf_oom(out) ? CR_ENOMEM : 0;
}

/* The 6-bit value of a base64url character, or -1. */
static int s_b64url_value(char c)
{
    if (c >= 'A' && c <= 'Z')
        return c - 'A';
    if (c >= 'a' && c <= 'z')
        return c - 'a' + 26;
    if (c >= '0' && c <= '9')
        return c - '0' + 52;
    return c == '-' ? 62 : c == '_' ? 63 : -1;
}

int cr__emu_b64url_decode(struct cr_buf *out, const char *s, size_t len)
{
    int result = CR_EINVALID;
    unsigned char *in = NULL, *raw = NULL;
    size_t pad, n;
    while (len > 0 && s[len - 1] == '=')
        len--;
    if (len % 4 == 1 || len > (1u << 28))
        return CR_EINVALID;
    pad = (4 - len % 4) % 4;
    in = malloc(len + pad + 1);
    raw = malloc(len + pad + 1);
    if (!in || !raw) {
        result = CR_ENOMEM;
        goto done;
    }
    for (size_t i = 0; i < len; i++) {
        char c = s[i];
        if (s_b64url_value(c) < 0)
            goto done;
        in[i] = (unsigned char)(c == '-' ? '+' : c == '_' ? '/' : c);
    }
    /* canonical only: the bits after the last whole byte are zero, so a token has one
     * encoding and a changed character always changes the bytes (RFC 4648 section 3.5) */
    if ((len % 4 == 2 && (s_b64url_value(s[len - 1]) & 0x0f) != 0) ||
        (len % 4 == 3 && (s_b64url_value(s[len - 1]) & 0x03) != 0))
        goto done;
    memset(in + len, '=', pad);
    /* EVP_DecodeBlock counts the padding as zero bytes: take them off. */
    int got = EVP_DecodeBlock(raw, in, (int)(len + pad));
    if (got < 0 || (size_t)got < pad)
        goto done;
    n = (size_t)got - pad;
    result = cr_buf_put(out, raw, n) == 0 ? 0 : CR_ENOMEM;
done:
    free(in);
    free(raw);
    return result;
}

/* ---- parse, sign, verify ---- */

static json_t *s_decode_json(const char *s, size_t len)
{
    struct cr_buf raw = CR_BUF_INIT;
    json_t *doc = NULL;
    if (cr__emu_b64url_decode(&raw, s, len) == 0)
        doc = json_loadb(raw.ptr ? raw.ptr : "", raw.len, JSON_REJECT_DUPLICATES, NULL);
    cr_buf_dispose(&raw);
    if (doc && !json_is_object(doc)) {
        json_decref(doc);
        doc = NULL;
    }
    return doc;
}

int cr__emu_jwt_parse(struct cr_emu_jwt *out, const char *token)
{
    const char *a, *b;
    memset(out, 0, sizeof(*out));
    a = token ? strchr(token, '.') : NULL;
    b = a ? strchr(a + 1, '.') : NULL;
    if (!b || strchr(b + 1, '.'))
        return CR_EINVALID;
    out->header = s_decode_json(token, (size_t)(a - token));
    out->claims = s_decode_json(a + 1, (size_t)(b - a - 1));
    if (!out->header || !out->claims ||
        cr__emu_b64url_decode(&out->signature, b + 1, strlen(b + 1)) != 0)
        return CR_EINVALID;
    out->signing_input = strndup(token, (size_t)(b - token));
    return out->signing_input ? 0 : CR_ENOMEM;
}

void cr__emu_jwt_dispose(struct cr_emu_jwt *jwt)
{
    json_decref(jwt->header);
    json_decref(jwt->claims);
    free(jwt->signing_input);
    cr_buf_dispose(&jwt->signature);
    memset(jwt, 0, sizeof(*jwt));
}

static int s_openssl_error(const char *what)
{
    char reason[256];
    ERR_error_string_n(ERR_get_error(), reason, sizeof(reason));
    ERR_clear_error();
    cr_error_set("%s: %s", what, reason);
    return CR_ERROR;
}

static int s_rs256(struct cr_buf *sig, EVP_PKEY *key, const char *data, size_t len)
{
    int result = CR_ERROR;
    size_t n = 0;
    unsigned char *raw = NULL;
    EVP_MD_CTX *ctx = EVP_MD_CTX_new();
    if (!ctx || EVP_DigestSignInit(ctx, NULL, EVP_sha256(), NULL, key) != 1 ||
        EVP_DigestSign(ctx, NULL, &n, (const unsigned char *)data, len) != 1) {
        result = s_openssl_error("RS256 signing");
        goto done;
    }
    raw = malloc(n);
    if (!raw) {
        result = CR_ENOMEM;
        goto done;
    }
    if (EVP_DigestSign(ctx, raw, &n, (const unsigned char *)data, len) != 1) {
        result = s_openssl_error("RS256 signing");
        goto done;
    }
    result = cr__emu_b64url_encode(sig, raw, n);
done:
    free(raw);
    EVP_MD_CTX_free(ctx);
    return result;
}

static int s_segment(struct cr_buf *out, const json_t *doc)
{
    char *text = json_dumps(doc, JSON_COMPACT | JSON_PRESERVE_ORDER);
    int rc = text ? cr__emu_b64url_encode(out, text, strlen(text)) : CR_ENOMEM;
    free(text);
    return rc;
}

int cr__emu_jwt_sign(char **out, EVP_PKEY *key, const char *kid, const json_t *claims)
{
    struct cr_buf token = CR_BUF_INIT;
    json_t *header = json_pack("{s:s, s:s, s:s}", "kid", kid, "alg", "RS256", "typ", "JWT");
    int rc = header ? s_segment(&token, header) : CR_ENOMEM;
    if (rc == 0 && cr_buf_putc(&token, '.') == 0)
        rc = s_segment(&token, claims);
    if (rc == 0) {
        size_t input_len = token.len;
        cr_buf_putc(&token, '.');
        rc = s_rs256(&token, key, token.ptr, input_len);
    }
    json_decref(header);
    if (rc == 0 && cr_buf_oom(&token))
        rc = CR_ENOMEM;
    if (rc != 0) {
        cr_buf_dispose(&token);
        return rc;
    }
    *out = cr_buf_detach(&token);
    return 0;
}

int cr__emu_jwt_verify(const struct cr_emu_jwt *jwt, EVP_PKEY *key)
{
    const char *alg = json_string_value(json_object_get(jwt->header, "alg"));
    int ok = 0;
    EVP_MD_CTX *ctx;
    if (!alg || strcmp(alg, "RS256") != 0 || !key)
        return CR_EAUTH; /* never "none", never an HMAC keyed with a public key */
    ctx = EVP_MD_CTX_new();
    if (ctx && EVP_DigestVerifyInit(ctx, NULL, EVP_sha256(), NULL, key) == 1)
        ok = EVP_DigestVerify(ctx, (const unsigned char *)jwt->signature.ptr, jwt->signature.len,
                              (const unsigned char *)jwt->signing_input,
                              strlen(jwt->signing_input)) == 1;
    EVP_MD_CTX_free(ctx);
    ERR_clear_error();
    return ok ? 0 : CR_EAUTH;
}

/* ---- keys ---- */

int cr__emu_rsa_generate(EVP_PKEY **out)
{
    *out = EVP_PKEY_Q_keygen(NULL, NULL, "RSA", (size_t)2048);
    return *out ? 0 : s_openssl_error("RSA key generation");
}

int cr__emu_key_pem(struct cr_buf *out, EVP_PKEY *key)
{
    char *data = NULL;
    BIO *bio = BIO_new(BIO_s_mem());
    int rc = CR_ERROR;
    if (bio && PEM_write_bio_PrivateKey(bio, key, NULL, NULL, 0, NULL, NULL) == 1) {
        long n = BIO_get_mem_data(bio, &data);
        rc = n > 0 && cr_buf_put(out, data, (size_t)n) == 0 ? 0 : CR_ENOMEM;
    } else {
        rc = s_openssl_error("writing a PEM key");
    }
    BIO_free(bio);
    return rc;
}

int cr__emu_key_from_pem(EVP_PKEY **out, const char *pem)
{
    BIO *bio = BIO_new_mem_buf(pem, -1);
    *out = bio ? PEM_read_bio_PrivateKey(bio, NULL, NULL, NULL) : NULL;
    BIO_free(bio);
    if (!*out) {
        ERR_clear_error();
        cr_error_set("not a PEM private key");
        return CR_EINVALID;
    }
    return 0;
}

static json_t *s_bn_b64url(EVP_PKEY *key, const char *param)
{
    BIGNUM *bn = NULL;
    struct cr_buf text = CR_BUF_INIT;
    unsigned char *raw = NULL;
    json_t *v = NULL;
    if (EVP_PKEY_get_bn_param(key, param, &bn) == 1) {
        int n = BN_num_bytes(bn);
        raw = malloc((size_t)n + 1);
        if (raw && BN_bn2bin(bn, raw) == n && cr__emu_b64url_encode(&text, raw, (size_t)n) == 0)
            v = json_string(cr_buf_cstr(&text));
    }
    ERR_clear_error();
    BN_free(bn);
    free(raw);
    cr_buf_dispose(&text);
    return v;
}

json_t *cr__emu_jwk(EVP_PKEY *key, const char *kid)
{
    json_t *n = s_bn_b64url(key, OSSL_PKEY_PARAM_RSA_N);
    json_t *e = s_bn_b64url(key, OSSL_PKEY_PARAM_RSA_E);
    if (!n || !e) {
        json_decref(n);
        json_decref(e);
        return NULL;
    }
    return json_pack("{s:s, s:s, s:s, s:s, s:o, s:o}", "kty", "RSA", "kid", kid, "use", "sig",
                     "alg", "RS256", "n", n, "e", e);
}

static BIGNUM *s_b64url_bn(const json_t *v)
{
    struct cr_buf raw = CR_BUF_INIT;
    BIGNUM *bn = NULL;
    const char *s = json_string_value(v);
    if (s && cr__emu_b64url_decode(&raw, s, strlen(s)) == 0 && raw.len > 0)
        bn = BN_bin2bn((const unsigned char *)raw.ptr, (int)raw.len, NULL);
    cr_buf_dispose(&raw);
    return bn;
}

int cr__emu_key_from_jwk(EVP_PKEY **out, const json_t *jwk)
{
    int result = CR_EINVALID;
    const char *kty = json_string_value(json_object_get(jwk, "kty"));
    BIGNUM *n = s_b64url_bn(json_object_get(jwk, "n"));
    BIGNUM *e = s_b64url_bn(json_object_get(jwk, "e"));
    OSSL_PARAM_BLD *bld = NULL;
    OSSL_PARAM *params = NULL;
    EVP_PKEY_CTX *ctx = NULL;
    *out = NULL;
    if (!kty || strcmp(kty, "RSA") != 0 || !n || !e) {
        cr_error_set("a key needs \"kty\": \"RSA\" and base64url \"n\" and \"e\"");
        goto done;
    }
    bld = OSSL_PARAM_BLD_new();
    if (!bld || OSSL_PARAM_BLD_push_BN(bld, OSSL_PKEY_PARAM_RSA_N, n) != 1 ||
        OSSL_PARAM_BLD_push_BN(bld, OSSL_PKEY_PARAM_RSA_E, e) != 1)
        goto fail;
    params = OSSL_PARAM_BLD_to_param(bld);
    ctx = EVP_PKEY_CTX_new_from_name(NULL, "RSA", NULL);
    if (!params || !ctx || EVP_PKEY_fromdata_init(ctx) != 1 ||
        EVP_PKEY_fromdata(ctx, out, EVP_PKEY_PUBLIC_KEY, params) != 1)
        goto fail;
    result = 0;
    goto done;
fail:
    s_openssl_error("not a usable RSA key");
done:
    EVP_PKEY_CTX_free(ctx);
    OSSL_PARAM_free(params);
    OSSL_PARAM_BLD_free(bld);
    BN_free(n);
    BN_free(e);
    return result;
}
