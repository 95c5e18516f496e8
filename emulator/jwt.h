/* SPDX-License-Identifier: Apache-2.0 */
#ifndef CR_EMULATOR_JWT_H
#define CR_EMULATOR_JWT_H
/*
 * JSON Web Tokens for the emulator (RFC 7519, RS256 only: what Cognito user pools, Cognito
 * Identity and the OIDC providers it trusts sign with): base64url, parsing, signing and
 * verification with OpenSSL, keys as PEM (kept in the state file) and as JWK (published as
 * JWKS; read from --idp-keys). Emulator-internal; used by its unit tests.
 */
#include <jansson.h>
#include <openssl/evp.h>
#include <stddef.h>

#include "util/buf.h"
#include "util/error.h"

/** Appends the unpadded base64url (RFC 4648 section 5) of data to out. 0 or CR_ENOMEM. */
int cr__emu_b64url_encode(struct cr_buf *out, const void *data, size_t len) CR_WARN_UNUSED;

/** Appends the bytes of unpadded (or padded) base64url text to out. CR_EINVALID when s holds
 * another character or an impossible length; CR_ENOMEM. */
int cr__emu_b64url_decode(struct cr_buf *out, const char *s, size_t len) CR_WARN_UNUSED;

/** A parsed compact JWS. */
struct cr_emu_jwt {
    json_t *header;     /* {"alg": ..., "kid": ...} */
    json_t *claims;     /* the payload object */
    char *signing_input; /* "header.payload" as received */
    struct cr_buf signature;
};

/**
 * Parses header.payload.signature whose header and payload are JSON objects. Returns 0,
 * CR_EINVALID (not a JWT; no message: callers word their own) or CR_ENOMEM. out is always
 * initialised and must be disposed.
 */
int cr__emu_jwt_parse(struct cr_emu_jwt *out, const char *token) CR_WARN_UNUSED;
/** Frees a parsed token. */
void cr__emu_jwt_dispose(struct cr_emu_jwt *jwt);

/** RS256-signs claims under a header {"kid", "alg": "RS256", "typ": "JWT"}. *out is a heap
 * string. 0, CR_ENOMEM or CR_ERROR (OpenSSL failed; message set). */
int cr__emu_jwt_sign(char **out, EVP_PKEY *key, const char *kid, const json_t *claims) CR_WARN_UNUSED;

/** Checks the RS256 signature of jwt with key: 0, or CR_EAUTH (wrong algorithm or signature). */
int cr__emu_jwt_verify(const struct cr_emu_jwt *jwt, EVP_PKEY *key) CR_WARN_UNUSED;

/** A fresh 2048-bit RSA key. 0 or CR_ERROR. */
int cr__emu_rsa_generate(EVP_PKEY **out) CR_WARN_UNUSED;
/** The private key as PEM (PKCS#8) appended to out. 0 or CR_ERROR. */
int cr__emu_key_pem(struct cr_buf *out, EVP_PKEY *key) CR_WARN_UNUSED;
/** Reads a PEM private key. 0 or CR_EINVALID. */
int cr__emu_key_from_pem(EVP_PKEY **out, const char *pem) CR_WARN_UNUSED;
/** The public JWK of an RSA key: {"kty":"RSA","kid","use":"sig","alg":"RS256","n","e"}.
 * New reference, or NULL (out of memory, not RSA). */
json_t *cr__emu_jwk(EVP_PKEY *key, const char *kid);
/** An RSA public key from a JWK (kty RSA, n, e). 0 or CR_EINVALID (message names what is
 * wrong). */
int cr__emu_key_from_jwk(EVP_PKEY **out, const json_t *jwk) CR_WARN_UNUSED;

#endif
