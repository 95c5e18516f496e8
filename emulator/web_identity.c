/* SPDX-License-Identifier: Apache-2.0 */
/*
 * Which keys verify a JWT, and the guard of STS AssumeRoleWithWebIdentity (issue 9, item 5).
 *
 * With --credentials the emulator refuses every unsigned or badly signed call, but
 * AssumeRoleWithWebIdentity is unsigned on AWS: whoever holds a valid web identity token gets
 * keys. If any token did, anyone could get keys that the emulator then accepts, and
 * --credentials would guard nothing. So with --credentials a web identity token must verify
 * as STS verifies it against the OpenID Connect provider's keys: an RS256 JWT whose issuer's
 * keys the emulator knows (given with --idp-keys, or its own: the test identity provider of
 * POST /_local/token, and Cognito Identity's OpenID tokens, which tokens.c checks), signed by
 * one of them and not expired. Otherwise the call is InvalidIdentityToken (or
 * ExpiredTokenException), with STS's messages, and never repeats the token. Without
 * --credentials tokens are not verified (tests may use simple strings).
 *
 * The audience is not checked: it is matched against the client ids of the IAM OIDC provider
 * on AWS, and the emulator has no IAM (choice).
 */
#include <stdio.h>
#include <string.h>

#include "emulator/internal.h"
#include "emulator/jwt.h"
#include "util/strutil.h"

int cr__emu_jwt_key_verify(struct cr_emu *emu, const struct cr_emu_jwt *jwt, const char *iss,
                           bool *known)
{
    struct cr_emu_signing_key *own = cr__emu_signing_key(emu, CR_EMU_KEY_IDP, NULL);
    const char *kid = json_string_value(json_object_get(jwt->header, "kid"));
    *known = false;
    if (own && kid && strcmp(kid, own->kid) == 0) {
        *known = true;
        return cr__emu_jwt_verify(jwt, own->pkey) == 0 ? 0 : CR_EAUTH;
    }
    for (size_t i = 0; iss && i < emu->n_idp_keys; i++) {
        const struct cr_emu_idp_key *k = &emu->idp_keys[i];
        if (strcmp(k->issuer, iss) != 0)
            continue;
        *known = true;
        if ((!kid || !k->kid || strcmp(kid, k->kid) == 0) && cr__emu_jwt_verify(jwt, k->pkey) == 0)
            return 0;
    }
    return *known ? CR_EAUTH : 0;
}

static int s_refuse(char code[64], char message[512], const char *c, const char *m)
{
    snprintf(code, 64, "%s", c);
    snprintf(message, 512, "%s", m);
    return CR_EAUTH;
}

/* STS's words for a token that fails verification. */
#define S_NOT_VALIDATED                                                                            \
    "The web identity token that was passed could not be validated by AWS. Get a new identity "    \
    "token from the identity provider and then retry the request."

/* The checks of a parsed token (state_lock held: the emulator's own key lives in the state). */
static int s_check(struct cr_emu *emu, const struct cr_emu_jwt *jwt, char code[64],
                   char message[512])
{
    const char *iss = json_string_value(json_object_get(jwt->claims, "iss"));
    const json_t *exp = json_object_get(jwt->claims, "exp");
    char text[512];
    bool known;
    int64_t now = cr_time_now();
    if (!iss || !iss[0])
        return s_refuse(code, message, "InvalidIdentityToken",
                        "The web identity token has no iss claim (its issuer).");
    if (strcmp(iss, CR_EMU_OPENID_ISSUER) == 0)
        return 0; /* Cognito Identity's own: cr__emu_web_identity_check verified it */
    int rc = cr__emu_jwt_key_verify(emu, jwt, iss, &known);
    if (!known) {
        snprintf(text, sizeof(text),
                 "No OpenIDConnect provider found in your account for %.200s (the emulator "
                 "verifies web identity tokens when --credentials is given: give it the "
                 "issuer's keys with --idp-keys, or use a token of POST /_local/token).",
                 iss);
        return s_refuse(code, message, "InvalidIdentityToken", text);
    }
    if (rc != 0)
        return s_refuse(code, message, "InvalidIdentityToken", S_NOT_VALIDATED);
    if (!json_is_number(exp))
        return s_refuse(code, message, "InvalidIdentityToken",
                        "The web identity token has no exp claim (its expiry).");
    if ((int64_t)json_number_value(exp) <= now) {
        snprintf(text, sizeof(text),
                 "Token expired: current date/time %lld must be before the expiration date/time "
                 "%lld",
                 (long long)now, (long long)json_number_value(exp));
        return s_refuse(code, message, "ExpiredTokenException", text);
    }
    return 0;
}

int cr__emu_web_identity_verify(struct cr_emu *emu, const char *token, char code[64],
                                char message[512])
{
    struct cr_emu_jwt jwt;
    int rc;
    if (cr__emu_jwt_parse(&jwt, token) != 0) {
        cr__emu_jwt_dispose(&jwt);
        return s_refuse(code, message, "InvalidIdentityToken",
                        "The web identity token is not a JSON Web Token (header.payload."
                        "signature, RS256).");
    }
    pthread_mutex_lock(&emu->state_lock);
    rc = s_check(emu, &jwt, code, message);
    pthread_mutex_unlock(&emu->state_lock);
    cr__emu_jwt_dispose(&jwt);
    return rc;
}
