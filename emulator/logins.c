/* SPDX-License-Identifier: Apache-2.0 */
/*
 * Login tokens: what the service checks before a login counts (developer guide,
 * "authentication flow": the token is valid and from the configured provider, not expired,
 * issued to the configured app). Errors are NotAuthorizedException with the service's
 * messages where they are published (amazon-cognito-identity-js #40, #68, amplify-js #2067).
 *
 * - a user pool (cognito-idp.REGION.amazonaws.com/ID): an ID token, a JWT whose iss is
 *   https://KEY, whose aud is an app client configured for that user pool, not expired, with
 *   a sub (the user); access tokens carry no aud and are refused, as on AWS;
 * - an OpenID Connect provider (KEY = the issuer host): a JWT with iss https://KEY, not
 *   expired, with a sub; its audiences live in IAM, which the emulator does not have, so aud
 *   is not checked (choice);
 * - a SAML provider (KEY = its ARN): the emulator reads no SAML; a JWT whose claims stand for
 *   the assertion's attributes (iss = the ARN when present), the user being sub or the
 *   nameidentifier claim (choice);
 * - a social provider (graph.facebook.com, accounts.google.com, www.amazon.com, ...): a JWT
 *   is decoded (its aud must be the configured app id, exp is checked); an opaque token is
 *   the user's id, as the API documents ("provider_name": "provider_user_identifier");
 * - the developer provider (GetOpenIdTokenForDeveloperIdentity only): the user identifier;
 * - cognito-identity.amazonaws.com (GetCredentialsForIdentity, GetOpenIdToken): an OpenID
 *   token this emulator issued, for the identity it names.
 * Signatures are verified when the issuer's keys are known: tokens minted by /_local/token
 * (the emulator's test key) and issuers given with --idp-keys; other tokens are decoded
 * without verification (there is no identity provider to ask).
 */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "emulator/internal.h"
#include "emulator/jwt.h"
#include "util/strutil.h"

#define S_NOT_SUPPORTED "Token is not from a supported provider of this identity pool."
#define S_SAML_NAMEID   "http://schemas.xmlsoap.org/ws/2005/05/identity/claims/nameidentifier"

static int s_refuse(struct cr_emu_call *call, const char *message)
{
    return cr__emu_fail(call, 400, "NotAuthorizedException", "%s", message);
}

static int s_missing(struct cr_emu_call *call, const char *claim)
{
    return cr__emu_fail(call, 400, "NotAuthorizedException",
                        "Invalid login token. Missing a required claim: %s", claim);
}

static int s_oom(struct cr_emu_call *call)
{
    return cr__emu_fail(call, 500, "InternalErrorException", "out of memory");
}

/* Verifies the signature when the issuer's key is known (cr__emu_jwt_key_verify: the
 * emulator's test key by kid, or --idp-keys for the issuer). 0 also when no key is known. */
static int s_signature(struct cr_emu_call *call, const struct cr_emu_jwt *jwt, const char *iss)
{
    bool known;
    if (cr__emu_jwt_key_verify(call->emu, jwt, iss, &known) != 0)
        return s_refuse(call, "Invalid login token. Invalid signature.");
    return 0;
}

/* exp, when the token has one, must lie ahead (a user pool token must have one). */
static int s_expiry(struct cr_emu_call *call, const json_t *claims, bool required)
{
    const json_t *exp = json_object_get(claims, "exp");
    long long now = (long long)cr_time_now();
    if (!exp)
        return required ? s_missing(call, "exp") : 0;
    if (!json_is_number(exp) || (long long)json_number_value(exp) <= now)
        return cr__emu_fail(call, 400, "NotAuthorizedException",
                            "Invalid login token. Token expired: %lld >= %lld", now,
                            (long long)json_number_value(exp));
    return 0;
}

static int s_required(struct cr_emu_call *call, const json_t *claims, const char *name,
                      const char **out)
{
    *out = json_string_value(json_object_get(claims, name));
    if (!*out || !(*out)[0])
        return s_missing(call, name);
    return 0;
}

/* iss must be https://KEY (or KEY itself, as SAML and some social tokens write it). */
static int s_issuer(struct cr_emu_call *call, const json_t *claims, const char *key, bool optional)
{
    const char *iss = json_string_value(json_object_get(claims, "iss"));
    if (!iss && optional)
        return 0;
    if (iss && (strcmp(iss, key) == 0 || (strncmp(iss, "https://", 8) == 0 &&
                                           strcmp(iss + 8, key) == 0)))
        return 0;
    return s_refuse(call, "Invalid login token. Issuer doesn't match providerName");
}

/* A JWT login of a user pool, an OIDC provider or SAML (as a JWT): checks and the user. */
static int s_jwt_login(struct cr_emu_call *call, struct cr_emu_login *l,
                       const struct cr_emu_pool_view *pool, const struct cr_emu_jwt *jwt)
{
    const struct cr_access_provider *p = &l->access.provider;
    const char *iss = json_string_value(json_object_get(jwt->claims, "iss"));
    const char *user = NULL, *aud = NULL;
    if (s_issuer(call, jwt->claims, l->key, p->kind == CR_ACCESS_PROVIDER_SAML) != 0 ||
        s_signature(call, jwt, iss) != 0 ||
        s_expiry(call, jwt->claims, p->kind == CR_ACCESS_PROVIDER_USER_POOL) != 0)
        return CR_ESERVICE;
    if (p->kind == CR_ACCESS_PROVIDER_USER_POOL) {
        if (s_required(call, jwt->claims, "aud", &aud) != 0)
            return CR_ESERVICE;
        if (!cr_access_user_pool_client(&pool->config, l->key, aud))
            return s_refuse(call, S_NOT_SUPPORTED);
        /* borrowed from the login's own copy of the claims */
        l->access.client_id = json_string_value(json_object_get(l->claims, "aud"));
    }
    if (p->kind == CR_ACCESS_PROVIDER_SAML && !json_object_get(jwt->claims, "sub"))
        user = json_string_value(json_object_get(jwt->claims, S_SAML_NAMEID));
    if (!user && s_required(call, jwt->claims, "sub", &user) != 0)
        return CR_ESERVICE;
    l->user = strdup(user);
    return l->user ? 0 : s_oom(call);
}

/* A social login: a JWT (decoded and checked) or an opaque token (the user's id). */
static int s_social_login(struct cr_emu_call *call, struct cr_emu_login *l, const char *token,
                          const struct cr_emu_jwt *jwt, bool is_jwt)
{
    const char *aud = is_jwt ? json_string_value(json_object_get(jwt->claims, "aud")) : NULL;
    const char *user = token;
    if (is_jwt) {
        if (aud && l->access.provider.app_id && strcmp(aud, l->access.provider.app_id) != 0)
            return s_refuse(call, S_NOT_SUPPORTED);
        if (s_signature(call, jwt, json_string_value(json_object_get(jwt->claims, "iss"))) != 0 ||
            s_expiry(call, jwt->claims, false) != 0 ||
            s_required(call, jwt->claims, "sub", &user) != 0)
            return CR_ESERVICE;
    } else if (json_object_set_new(l->claims, "sub", json_string(token)) != 0 ||
               (strcmp(l->key, "www.amazon.com") == 0 &&
                json_object_set_new(l->claims, "user_id", json_string(token)) != 0)) {
        return s_oom(call);
    }
    l->user = strdup(user);
    return l->user ? 0 : s_oom(call);
}

/* cognito-identity.amazonaws.com: an OpenID token of this emulator for this pool. */
static int s_openid_login(struct cr_emu_call *call, struct cr_emu_login *l,
                          const struct cr_emu_pool_view *pool, const struct cr_emu_jwt *jwt,
                          bool is_jwt)
{
    struct cr_emu_signing_key *key = cr__emu_signing_key(call->emu, CR_EMU_KEY_OPENID, NULL);
    const char *kid = is_jwt ? json_string_value(json_object_get(jwt->header, "kid")) : NULL;
    const char *aud = is_jwt ? json_string_value(json_object_get(jwt->claims, "aud")) : NULL;
    const char *sub = NULL;
    if (!is_jwt || !key || !kid || strcmp(kid, key->kid) != 0 ||
        cr__emu_jwt_verify(jwt, key->pkey) != 0)
        return s_refuse(call, "Invalid login token. Invalid signature.");
    if (s_issuer(call, jwt->claims, "cognito-identity.amazonaws.com", false) != 0 ||
        s_expiry(call, jwt->claims, true) != 0 || s_required(call, jwt->claims, "sub", &sub) != 0)
        return CR_ESERVICE;
    if (!aud || strcmp(aud, pool->id) != 0)
        return s_refuse(call, S_NOT_SUPPORTED);
    l->access.provider.kind = CR_ACCESS_PROVIDER_DEVELOPER;
    l->access.provider.name = CR_ACCESS_COGNITO_IDENTITY_LOGIN;
    l->identity_id = strdup(sub);
    l->user = strdup(sub);
    return l->identity_id && l->user ? 0 : s_oom(call);
}

static int s_one(struct cr_emu_call *call, struct cr_emu_login *l,
                 const struct cr_emu_pool_view *pool, const char *token,
                 enum cr_emu_logins_mode mode)
{
    struct cr_emu_jwt jwt;
    int rc = CR_ESERVICE;
    bool is_jwt = cr__emu_jwt_parse(&jwt, token) == 0;
    l->claims = is_jwt ? json_deep_copy(jwt.claims) : json_object();
    if (!l->claims) {
        rc = s_oom(call);
        goto done;
    }
    if (mode == CR_EMU_LOGINS_TOKEN && strcmp(l->key, CR_ACCESS_COGNITO_IDENTITY_LOGIN) == 0) {
        rc = s_openid_login(call, l, pool, &jwt, is_jwt);
        goto done;
    }
    if (cr_access_provider_find(&l->access.provider, &pool->config, l->key) != 0 ||
        (l->access.provider.kind == CR_ACCESS_PROVIDER_DEVELOPER && mode != CR_EMU_LOGINS_DEVELOPER)) {
        /* a developer provider name is accepted from the developer's own (signed) call only
         * (developer guide: "they cannot use your developer provider name ... in GetId") */
        rc = s_refuse(call, S_NOT_SUPPORTED);
        goto done;
    }
    switch (l->access.provider.kind) {
    case CR_ACCESS_PROVIDER_DEVELOPER:
        l->user = strdup(token);
        rc = l->user ? 0 : s_oom(call);
        break;
    case CR_ACCESS_PROVIDER_SOCIAL:
        rc = s_social_login(call, l, token, &jwt, is_jwt);
        break;
    case CR_ACCESS_PROVIDER_USER_POOL:
    case CR_ACCESS_PROVIDER_OIDC:
    case CR_ACCESS_PROVIDER_SAML:
        rc = is_jwt ? s_jwt_login(call, l, pool, &jwt)
                    : s_refuse(call, "Invalid login token. Not a valid OpenId Connect identity token.");
        break;
    case CR_ACCESS_PROVIDER_NONE:
    default:
        rc = s_refuse(call, S_NOT_SUPPORTED);
        break;
    }
done:
    cr__emu_jwt_dispose(&jwt);
    return rc;
}

int cr__emu_logins_check(struct cr_emu_logins *out, struct cr_emu_call *call,
                         const struct cr_emu_pool_view *pool, const json_t *logins,
                         enum cr_emu_logins_mode mode)
{
    const char *key;
    json_t *token;
    memset(out, 0, sizeof(*out));
    out->items = calloc(json_object_size(logins) + 1, sizeof(*out->items));
    if (!out->items)
        return s_oom(call);
    json_object_foreach((json_t *)logins, key, token)
    {
        struct cr_emu_login *l = &out->items[out->len++];
        l->key = strdup(key);
        if (!l->key)
            return s_oom(call);
        if (s_one(call, l, pool, json_string_value(token), mode) != 0)
            return CR_ESERVICE;
        /* claims resolution reads: the provider's iss/aud/sub when the token lacks them */
        if (cr_access_login_claims(l->claims, &l->access.provider, l->access.client_id, l->user) !=
            0)
            return s_oom(call);
        l->access.claims = l->claims;
    }
    return 0;
}

void cr__emu_logins_dispose(struct cr_emu_logins *logins)
{
    for (size_t i = 0; i < logins->len; i++) {
        free(logins->items[i].key);
        free(logins->items[i].user);
        free(logins->items[i].identity_id);
        json_decref(logins->items[i].claims);
    }
    free(logins->items);
    memset(logins, 0, sizeof(*logins));
}
