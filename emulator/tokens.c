/* SPDX-License-Identifier: Apache-2.0 */
/*
 * The keys that sign and verify tokens:
 * - "openid": signs Cognito Identity's OpenID tokens (GetOpenIdToken,
 *   GetOpenIdTokenForDeveloperIdentity), published as JWKS at /.well-known/jwks_uri like the
 *   service's, verified again by STS AssumeRoleWithWebIdentity (the classic flow);
 * - "idp": signs test login tokens minted by POST /_local/token (any issuer), so tests need
 *   no real identity provider;
 * - --idp-keys FILE: real issuers' public keys (JWKS per issuer), to verify their tokens.
 * The two signing keys are generated on first use and kept in the state document as PEM, so
 * tokens stay valid across restarts with --state (and a reset makes new ones).
 */
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "emulator/internal.h"
#include "emulator/jwt.h"
#include "util/strutil.h"

static const char *const s_use_names[] = {"openid", "idp"};

static void s_slot_clear(struct cr_emu_signing_key *slot)
{
    EVP_PKEY_free(slot->pkey);
    memset(slot, 0, sizeof(*slot));
}

/* Makes the cached slot hold the stored key k ({"kid","pem"}). */
static struct cr_emu_signing_key *s_slot_load(struct cr_emu_signing_key *slot, const json_t *k)
{
    const char *kid = json_string_value(json_object_get(k, "kid"));
    EVP_PKEY *pkey = NULL;
    if (slot->pkey && strcmp(slot->kid, kid) == 0)
        return slot;
    if (cr__emu_key_from_pem(&pkey, json_string_value(json_object_get(k, "pem"))) != 0) {
        cr_error_prefix("signing key '%s' of the state", kid);
        return NULL;
    }
    s_slot_clear(slot);
    snprintf(slot->kid, sizeof(slot->kid), "%s", kid);
    slot->pkey = pkey;
    return slot;
}

static struct cr_emu_signing_key *s_slot_generate(struct cr_emu *emu, enum cr_emu_key_use use)
{
    struct cr_emu_signing_key *slot = &emu->signing_keys[use];
    struct cr_buf pem = CR_BUF_INIT;
    EVP_PKEY *pkey = NULL;
    char kid[64], uuid[37];
    json_t *keys = json_object_get(emu->state, "signing_keys");
    if (!keys && json_object_set_new(emu->state, "signing_keys", json_object()) == 0)
        keys = json_object_get(emu->state, "signing_keys");
    cr__emu_uuid(uuid);
    snprintf(kid, sizeof(kid), "cognito-identity-local-%s-%.8s", s_use_names[use], uuid);
    if (!keys || cr__emu_rsa_generate(&pkey) != 0 || cr__emu_key_pem(&pem, pkey) != 0 ||
        json_object_set_new(keys, s_use_names[use],
                            json_pack("{s:s, s:s}", "kid", kid, "pem", cr_buf_cstr(&pem))) != 0) {
        EVP_PKEY_free(pkey);
        cr_buf_dispose_secure(&pem);
        if (!cr_error_last()[0])
            cr_error_set("out of memory");
        return NULL;
    }
    cr_buf_dispose_secure(&pem);
    s_slot_clear(slot);
    snprintf(slot->kid, sizeof(slot->kid), "%s", kid);
    slot->pkey = pkey;
    return slot;
}

struct cr_emu_signing_key *cr__emu_signing_key(struct cr_emu *emu, enum cr_emu_key_use use,
                                               bool *wrote)
{
    json_t *k = json_object_get(json_object_get(emu->state, "signing_keys"), s_use_names[use]);
    struct cr_emu_signing_key *slot;
    if (k)
        return s_slot_load(&emu->signing_keys[use], k);
    if (!wrote)
        return NULL;
    slot = s_slot_generate(emu, use);
    if (slot)
        *wrote = true;
    return slot;
}

void cr__emu_keys_cache_dispose(struct cr_emu *emu)
{
    for (size_t i = 0; i < sizeof(emu->signing_keys) / sizeof(emu->signing_keys[0]); i++)
        s_slot_clear(&emu->signing_keys[i]);
    for (size_t i = 0; i < emu->n_idp_keys; i++) {
        free(emu->idp_keys[i].issuer);
        free(emu->idp_keys[i].kid);
        EVP_PKEY_free(emu->idp_keys[i].pkey);
    }
    free(emu->idp_keys);
    emu->idp_keys = NULL;
    emu->n_idp_keys = 0;
}

int cr__emu_token_sign(char **out, struct cr_emu *emu, enum cr_emu_key_use use,
                       const json_t *claims, bool *wrote)
{
    struct cr_emu_signing_key *key = cr__emu_signing_key(emu, use, wrote);
    if (!key)
        return CR_ERROR;
    return cr__emu_jwt_sign(out, key->pkey, key->kid, claims);
}

json_t *cr__emu_jwks(struct cr_emu *emu, bool all, bool *wrote)
{
    json_t *keys = json_array();
    for (int use = CR_EMU_KEY_OPENID; keys && use <= (all ? CR_EMU_KEY_IDP : CR_EMU_KEY_OPENID);
         use++) {
        struct cr_emu_signing_key *key = cr__emu_signing_key(emu, use, wrote);
        json_t *jwk = key ? cr__emu_jwk(key->pkey, key->kid) : NULL;
        if (!jwk || json_array_append_new(keys, jwk) != 0) {
            json_decref(keys);
            return NULL;
        }
    }
    return keys ? json_pack("{s:o}", "keys", keys) : NULL;
}

/* ---- --idp-keys ---- */

static int s_idp_key_add(struct cr_emu *emu, const char *path, const char *issuer, size_t index,
                         const json_t *jwk)
{
    struct cr_emu_idp_key k = {0};
    struct cr_emu_idp_key *items;
    const char *kid = json_string_value(json_object_get(jwk, "kid"));
    if (cr__emu_key_from_jwk(&k.pkey, jwk) != 0) {
        cr_error_prefix("%s: issuer '%s': key %zu", path, issuer, index + 1);
        return CR_EINVALID;
    }
    items = realloc(emu->idp_keys, (emu->n_idp_keys + 1) * sizeof(*items));
    k.issuer = strdup(issuer);
    k.kid = kid ? strdup(kid) : NULL;
    if (!items || !k.issuer || (kid && !k.kid)) {
        if (items)
            emu->idp_keys = items;
        free(k.issuer);
        free(k.kid);
        EVP_PKEY_free(k.pkey);
        cr_error_set("out of memory");
        return CR_ENOMEM;
    }
    emu->idp_keys = items;
    emu->idp_keys[emu->n_idp_keys++] = k;
    return 0;
}

int cr__emu_idp_keys_load(struct cr_emu *emu, const char *path)
{
    json_error_t jerr;
    json_t *doc = json_load_file(path, JSON_REJECT_DUPLICATES, &jerr);
    const char *issuer;
    json_t *jwks;
    int rc = 0;
    if (!doc) {
        cr_error_set("%s:%d:%d: --idp-keys: %s", path, jerr.line, jerr.column, jerr.text);
        return errno == ENOENT ? CR_EIO : CR_EINVALID;
    }
    if (!json_is_object(doc)) {
        cr_error_set("%s: --idp-keys: expected {\"ISSUER\": {\"keys\": [JWK, ...]}, ...}", path);
        rc = CR_EINVALID;
    }
    json_object_foreach(doc, issuer, jwks)
    {
        json_t *keys = json_object_get(jwks, "keys");
        size_t i;
        json_t *jwk;
        if (rc == 0 && (!json_is_array(keys) || json_array_size(keys) == 0)) {
            cr_error_set("%s: issuer '%s': expected a JWKS {\"keys\": [JWK, ...]}", path, issuer);
            rc = CR_EINVALID;
        }
        json_array_foreach(keys, i, jwk)
        {
            if (rc == 0)
                rc = s_idp_key_add(emu, path, issuer, i, jwk);
        }
    }
    json_decref(doc);
    return rc;
}

/* ---- POST /_local/token ---- */

static int s_token_error(json_t **out, const char *message)
{
    *out = json_pack("{s:s, s:s}", "__type", "InvalidParameterException", "message", message);
    return 400;
}

/* Claims of a test token: the given ones, then iss, iat and exp (unless given). */
static json_t *s_token_claims(const json_t *req, const char **why)
{
    const json_t *claims = json_object_get(req, "claims");
    const json_t *expires = json_object_get(req, "expires_in");
    const char *issuer = json_string_value(json_object_get(req, "issuer"));
    json_int_t ttl = expires ? json_integer_value(expires) : 3600, now = cr_time_now();
    json_t *out;
    if (!issuer || !issuer[0]) {
        *why = "\"issuer\" (a non-empty string) is required";
        return NULL;
    }
    if ((claims && !json_is_object(claims)) || (expires && !json_is_integer(expires)) ||
        ttl < -31536000 || ttl > 31536000) {
        *why = "\"claims\" must be an object and \"expires_in\" an integer of seconds "
               "(-31536000..31536000)";
        return NULL;
    }
    out = claims ? json_deep_copy(claims) : json_object();
    if (out && (json_object_set_new(out, "iss", json_string(issuer)) != 0 ||
                (!json_object_get(out, "iat") &&
                 json_object_set_new(out, "iat", json_integer(now)) != 0) ||
                (!json_object_get(out, "exp") &&
                 json_object_set_new(out, "exp", json_integer(now + ttl)) != 0))) {
        json_decref(out);
        out = NULL;
    }
    if (!out)
        *why = "out of memory";
    return out;
}

int cr__emu_local_token(json_t **out, struct cr_emu *emu, const char *body, size_t len)
{
    const char *why = NULL;
    char *token = NULL;
    bool wrote = false;
    int rc, status;
    json_t *req = json_loadb(body ? body : "", len, JSON_REJECT_DUPLICATES, NULL);
    json_t *claims = json_is_object(req) ? s_token_claims(req, &why) : NULL;
    if (!claims) {
        status = s_token_error(out, why ? why : "the body must be a JSON object {\"issuer\", "
                                                "\"claims\", \"expires_in\"}");
        json_decref(req);
        return status;
    }
    pthread_mutex_lock(&emu->state_lock);
    rc = cr__emu_token_sign(&token, emu, CR_EMU_KEY_IDP, claims, &wrote);
    if (rc == 0 && wrote && emu->state_path)
        rc = cr__emu_persist_save(emu->state, emu->state_path);
    pthread_mutex_unlock(&emu->state_lock);
    if (rc != 0) {
        *out = json_pack("{s:s, s:s}", "__type", "InternalErrorException", "message",
                         cr_error_last());
        status = 500;
    } else {
        *out = json_pack("{s:s, s:O}", "token", token, "exp", json_object_get(claims, "exp"));
        status = 200;
    }
    free(token);
    json_decref(claims);
    json_decref(req);
    return status;
}

/* ---- STS: the classic flow ---- */

static int s_sts_refuse(char code[64], char message[512], const char *c, const char *m)
{
    snprintf(code, 64, "%s", c);
    snprintf(message, 512, "%s", m);
    return CR_EAUTH;
}

/* Any account's pool with this id (the token's audience). */
static json_t *s_pool_anywhere(struct cr_emu *emu, const char *pool_id)
{
    const char *key;
    json_t *part, *rec = NULL;
    json_object_foreach(json_object_get(emu->state, "partitions"), key, part)
    {
        if (!rec)
            rec = json_object_get(json_object_get(part, "pools"), pool_id ? pool_id : "");
    }
    return rec;
}

static int s_check_cognito_token(struct cr_emu *emu, const struct cr_emu_jwt *jwt, char code[64],
                                 char message[512])
{
    struct cr_emu_signing_key *key = cr__emu_signing_key(emu, CR_EMU_KEY_OPENID, NULL);
    const char *kid = json_string_value(json_object_get(jwt->header, "kid"));
    json_int_t exp = json_integer_value(json_object_get(jwt->claims, "exp"));
    const char *aud = json_string_value(json_object_get(jwt->claims, "aud"));
    json_t *rec;
    char text[512];
    if (!key || !kid || strcmp(kid, key->kid) != 0 || cr__emu_jwt_verify(jwt, key->pkey) != 0)
        return s_sts_refuse(code, message, "InvalidIdentityToken",
                            "The Cognito Identity token was not signed by this service "
                            "(its key is unknown or the signature is wrong).");
    if (exp <= cr_time_now()) {
        snprintf(text, sizeof(text),
                 "Token expired: current date/time %lld must be before the expiration date/time "
                 "%lld",
                 (long long)cr_time_now(), (long long)exp);
        return s_sts_refuse(code, message, "ExpiredTokenException", text);
    }
    rec = s_pool_anywhere(emu, aud);
    if (!rec) {
        snprintf(text, sizeof(text), "Identity pool '%s' (the token's audience) does not exist.",
                 aud ? aud : "");
        return s_sts_refuse(code, message, "InvalidIdentityToken", text);
    }
    /* an AllowClassicFlow never set behaves as allowed (aws-cli #7652) */
    if (json_is_false(json_object_get(json_object_get(rec, "pool"), "AllowClassicFlow"))) {
        snprintf(text, sizeof(text),
                 "Basic (classic) flow is not enabled for identity pool '%s', please use "
                 "enhanced flow.",
                 aud);
        return s_sts_refuse(code, message, "InvalidIdentityToken", text);
    }
    return 0;
}

int cr__emu_web_identity_check(struct cr_emu *emu, const char *token, char code[64],
                               char message[512])
{
    struct cr_emu_jwt jwt;
    int rc = 0;
    const char *iss;
    if (cr__emu_jwt_parse(&jwt, token) == 0) {
        iss = json_string_value(json_object_get(jwt.claims, "iss"));
        if (iss && strcmp(iss, CR_EMU_OPENID_ISSUER) == 0) {
            pthread_mutex_lock(&emu->state_lock);
            rc = s_check_cognito_token(emu, &jwt, code, message);
            pthread_mutex_unlock(&emu->state_lock);
        }
    }
    cr__emu_jwt_dispose(&jwt);
    return rc;
}
