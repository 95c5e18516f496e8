/* SPDX-License-Identifier: Apache-2.0 */
/*
 * Providers, logins and principal tags: which provider a Logins key names, the key role
 * mappings use for a login, the claims a token carries, and the session tags a provider's
 * attribute map gives.
 */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "access/access.h"
#include "access/internal.h"
#include "util/buf.h"

const char *cr_access_oidc_issuer(const char *arn)
{
    const char *p = arn ? strstr(arn, ":oidc-provider/") : NULL;
    if (!p || strncmp(arn, "arn:", 4) != 0 || p[15] == '\0')
        return NULL;
    return p + 15;
}

static void s_provider(struct cr_access_provider *out, enum cr_access_provider_kind kind,
                       const char *name, const char *app_id, const char *arn)
{
    out->kind = kind;
    out->name = name;
    out->app_id = app_id;
    out->arn = arn;
}

int cr_access_provider_find(struct cr_access_provider *out, const struct cr_cognito_pool *pool,
                            const char *key)
{
    memset(out, 0, sizeof(*out));
    if (!key || !pool)
        return CR_ENOTFOUND;
    /* the pool's own strings are borrowed, so the result outlives `key` */
    for (size_t i = 0; i < pool->supported_login_providers.len; i++) {
        const struct cr_strmap_entry *e = &pool->supported_login_providers.items[i];
        if (strcmp(e->key, key) == 0) {
            s_provider(out, CR_ACCESS_PROVIDER_SOCIAL, e->key, e->value, NULL);
            return 0;
        }
    }
    for (size_t i = 0; i < pool->n_cognito_identity_providers; i++) {
        const char *name = pool->cognito_identity_providers[i].provider_name;
        if (name && strcmp(name, key) == 0) {
            s_provider(out, CR_ACCESS_PROVIDER_USER_POOL, name, NULL, NULL);
            return 0;
        }
    }
    for (size_t i = 0; i < pool->open_id_connect_provider_arns.len; i++) {
        const char *arn = pool->open_id_connect_provider_arns.items[i];
        const char *issuer = cr_access_oidc_issuer(arn);
        if (issuer && strcmp(issuer, key) == 0) {
            s_provider(out, CR_ACCESS_PROVIDER_OIDC, issuer, NULL, arn);
            return 0;
        }
    }
    for (size_t i = 0; i < pool->saml_provider_arns.len; i++) {
        const char *arn = pool->saml_provider_arns.items[i];
        if (strcmp(arn, key) == 0) {
            s_provider(out, CR_ACCESS_PROVIDER_SAML, arn, NULL, arn);
            return 0;
        }
    }
    if (pool->developer_provider_name && strcmp(pool->developer_provider_name, key) == 0) {
        s_provider(out, CR_ACCESS_PROVIDER_DEVELOPER, pool->developer_provider_name, NULL, NULL);
        return 0;
    }
    return CR_ENOTFOUND;
}

bool cr_access_user_pool_client(const struct cr_cognito_pool *pool, const char *name,
                                const char *client_id)
{
    for (size_t i = 0; pool && name && client_id && i < pool->n_cognito_identity_providers; i++) {
        const struct cr_cognito_provider *p = &pool->cognito_identity_providers[i];
        if (p->provider_name && p->client_id && strcmp(p->provider_name, name) == 0 &&
            strcmp(p->client_id, client_id) == 0)
            return true;
    }
    return false;
}

/* The app clients configured for user pool `name`: how many, and the first one. */
static size_t s_clients(const struct cr_cognito_pool *pool, const char *name, const char **first)
{
    size_t n = 0;
    *first = NULL;
    for (size_t i = 0; i < pool->n_cognito_identity_providers; i++) {
        const struct cr_cognito_provider *p = &pool->cognito_identity_providers[i];
        if (p->provider_name && p->client_id && strcmp(p->provider_name, name) == 0) {
            if (n++ == 0)
                *first = p->client_id;
        }
    }
    return n;
}

/* The logins a pool accepts, for messages: "a, b:c, ...". */
static void s_logins_list(struct cr_buf *out, const struct cr_cognito_pool *pool)
{
    size_t n = 0;
    for (size_t i = 0; i < pool->supported_login_providers.len; i++)
        cr_buf_printf(out, "%s%s", n++ ? ", " : "", pool->supported_login_providers.items[i].key);
    for (size_t i = 0; i < pool->n_cognito_identity_providers; i++) {
        const struct cr_cognito_provider *p = &pool->cognito_identity_providers[i];
        cr_buf_printf(out, "%s%s%s%s", n++ ? ", " : "", p->provider_name ? p->provider_name : "",
                      p->client_id ? ":" : "", p->client_id ? p->client_id : "");
    }
    for (size_t i = 0; i < pool->open_id_connect_provider_arns.len; i++) {
        const char *issuer = cr_access_oidc_issuer(pool->open_id_connect_provider_arns.items[i]);
        if (issuer)
            cr_buf_printf(out, "%s%s", n++ ? ", " : "", issuer);
    }
    for (size_t i = 0; i < pool->saml_provider_arns.len; i++)
        cr_buf_printf(out, "%s%s", n++ ? ", " : "", pool->saml_provider_arns.items[i]);
    if (n == 0)
        cr_buf_puts(out, "none");
}

static int s_not_a_provider(const struct cr_cognito_pool *pool, const char *login)
{
    struct cr_buf list = CR_BUF_INIT;
    s_logins_list(&list, pool);
    cr_error_set("login '%s' is not a provider of the pool (its logins: %s)", login,
                 cr_buf_cstr(&list));
    cr_buf_dispose(&list);
    return CR_EINVALID;
}

/* A bare user-pool name: the one app client configured for it, if there is exactly one. */
static int s_bare_user_pool(const char **out_client, const struct cr_cognito_pool *pool,
                            const char *login)
{
    const char *first;
    size_t n = s_clients(pool, login, &first);
    if (n > 1) {
        cr_error_set("login '%s' names a user pool with %zu app clients: write '%s:CLIENT_ID'", login,
                     n, login);
        return CR_EINVALID;
    }
    *out_client = first;
    return 0;
}

int cr_access_login_parse(struct cr_access_provider *out, const char **out_client,
                          const struct cr_cognito_pool *pool, const char *login)
{
    *out_client = NULL;
    if (cr_access_provider_find(out, pool, login) == 0) {
        if (out->kind == CR_ACCESS_PROVIDER_USER_POOL)
            return s_bare_user_pool(out_client, pool, login);
        if (out->kind == CR_ACCESS_PROVIDER_DEVELOPER) {
            cr_error_set("login '%s' is the developer provider: developer identities get the "
                         "authenticated role and their principal tags from "
                         "GetOpenIdTokenForDeveloperIdentity, not from role mappings",
                         login);
            return CR_EINVALID;
        }
        return 0;
    }
    /* "ProviderName:ClientId": the provider name of a user pool holds no ':' before its
     * client, so try each configured user pool as a prefix. */
    for (size_t i = 0; i < pool->n_cognito_identity_providers; i++) {
        const struct cr_cognito_provider *p = &pool->cognito_identity_providers[i];
        size_t n = p->provider_name ? strlen(p->provider_name) : 0;
        if (n == 0 || strncmp(login, p->provider_name, n) != 0 || login[n] != ':')
            continue;
        if (!cr_access_user_pool_client(pool, p->provider_name, login + n + 1)) {
            cr_error_set("app client '%s' is not configured for user pool '%s' on the pool",
                         login + n + 1, p->provider_name);
            return CR_EINVALID;
        }
        s_provider(out, CR_ACCESS_PROVIDER_USER_POOL, p->provider_name, NULL, NULL);
        for (size_t k = 0; k < pool->n_cognito_identity_providers; k++) {
            const struct cr_cognito_provider *c = &pool->cognito_identity_providers[k];
            if (c->client_id && strcmp(c->provider_name, p->provider_name) == 0 &&
                strcmp(c->client_id, login + n + 1) == 0)
                *out_client = c->client_id;
        }
        return 0;
    }
    return s_not_a_provider(pool, login);
}

int cr_access_mapping_key(char **out, const struct cr_access_login *login)
{
    struct cr_buf key = CR_BUF_INIT;
    cr_buf_puts(&key, login->provider.name ? login->provider.name : "");
    if (login->provider.kind == CR_ACCESS_PROVIDER_USER_POOL && login->client_id)
        cr_buf_printf(&key, ":%s", login->client_id);
    if (cr_buf_oom(&key)) {
        cr_buf_dispose(&key);
        return CR_ENOMEM;
    }
    *out = cr_buf_detach(&key);
    return *out ? 0 : CR_ENOMEM;
}

/* Social providers that issue OpenID Connect ID tokens name themselves with https://. */
static bool s_oidc_social(const char *host)
{
    return strcmp(host, "accounts.google.com") == 0 || strcmp(host, "appleid.apple.com") == 0;
}

static int s_set_default(json_t *claims, const char *name, const char *value)
{
    if (!value || json_object_get(claims, name))
        return 0;
    return json_object_set_new(claims, name, json_string(value)) == 0 ? 0 : CR_ENOMEM;
}

int cr_access_login_claims(json_t *claims, const struct cr_access_provider *provider,
                           const char *client_id, const char *default_sub)
{
    struct cr_buf iss = CR_BUF_INIT;
    const char *aud = NULL;
    int rc;
    switch (provider->kind) {
    case CR_ACCESS_PROVIDER_USER_POOL:
    case CR_ACCESS_PROVIDER_OIDC:
        cr_buf_printf(&iss, "https://%s", provider->name);
        aud = provider->kind == CR_ACCESS_PROVIDER_USER_POOL ? client_id : NULL;
        break;
    case CR_ACCESS_PROVIDER_SOCIAL:
        cr_buf_printf(&iss, "%s%s", s_oidc_social(provider->name) ? "https://" : "",
                      provider->name);
        aud = provider->app_id;
        break;
    case CR_ACCESS_PROVIDER_SAML:
    case CR_ACCESS_PROVIDER_DEVELOPER:
    case CR_ACCESS_PROVIDER_NONE:
    default:
        break;
    }
    rc = cr_buf_oom(&iss) ? CR_ENOMEM : 0;
    if (rc == 0 && iss.len > 0)
        rc = s_set_default(claims, "iss", cr_buf_cstr(&iss));
    if (rc == 0)
        rc = s_set_default(claims, "aud", aud);
    if (rc == 0)
        rc = s_set_default(claims, "sub", default_sub);
    cr_buf_dispose(&iss);
    return rc;
}

/* ---- principal tags ---- */

#define S_SAML_NAMEID "http://schemas.xmlsoap.org/ws/2005/05/identity/claims/nameidentifier"
#define S_SAML_NAME   "http://schemas.xmlsoap.org/ws/2005/05/identity/claims/name"

/* Sets tag to the text of claim, when the claim has a value. 0 or CR_ENOMEM. */
static int s_tag_from_claim(struct cr_strmap *out, const char *tag, const json_t *claims,
                            const char *claim)
{
    struct cr_buf value = CR_BUF_INIT;
    int rc = 0;
    if (cr__access_claim_text(&value, json_object_get(claims, claim)))
        rc = cr_buf_oom(&value) ? CR_ENOMEM : cr_strmap_set(out, tag, cr_buf_cstr(&value));
    cr_buf_dispose(&value);
    return rc;
}

/*
 * The default mappings (developer guide, "Default provider mappings"): the client id
 * (aud) and the user id (sub; user_id for Login with Amazon; the name identifier for SAML)
 * under the tag keys the API calls "username and clientID" (tag names: choice, see
 * docs/emulator.md). A user pool's access token carries the client as client_id.
 */
static int s_default_tags(struct cr_strmap *out, const struct cr_access_provider *provider,
                          const json_t *claims)
{
    const char *user = "sub", *client = "aud";
    int rc;
    if (provider->kind == CR_ACCESS_PROVIDER_DEVELOPER)
        return 0; /* "DevAuth: not applicable": tags come with the developer's token */
    if (provider->kind == CR_ACCESS_PROVIDER_SAML) {
        rc = s_tag_from_claim(out, "username", claims, S_SAML_NAMEID);
        return rc == 0 ? s_tag_from_claim(out, "name", claims, S_SAML_NAME) : rc;
    }
    if (provider->kind == CR_ACCESS_PROVIDER_SOCIAL && strcmp(provider->name, "www.amazon.com") == 0)
        user = "user_id";
    if (provider->kind == CR_ACCESS_PROVIDER_USER_POOL && !json_object_get(claims, "aud"))
        client = "client_id";
    rc = s_tag_from_claim(out, "client", claims, client);
    return rc == 0 ? s_tag_from_claim(out, "username", claims, user) : rc;
}

/* Developer tokens carry their tags as STS does: {"principal_tags": {"k": ["v"]}} under
 * https://aws.amazon.com/tags. */
static int s_developer_tags(struct cr_strmap *out, const json_t *claims)
{
    const json_t *tags =
        json_object_get(json_object_get(claims, CR_ACCESS_TAGS_CLAIM), "principal_tags");
    const char *k;
    json_t *v;
    int rc = 0;
    json_object_foreach((json_t *)tags, k, v)
    {
        if (rc == 0)
            rc = s_tag_from_claim(out, k, tags, k);
    }
    return rc;
}

/* The attribute map set for a login's provider: by Logins key, OIDC also by ARN. */
static const struct cr_cognito_principal_tags *s_tag_map(const struct cr_access_pool *pool,
                                                         const struct cr_access_provider *p)
{
    for (size_t i = 0; i < pool->n_principal_tags; i++) {
        const char *name = pool->principal_tags[i].provider;
        if (name && (strcmp(name, p->name) == 0 || (p->arn && strcmp(name, p->arn) == 0)))
            return &pool->principal_tags[i];
    }
    return NULL;
}

int cr__access_login_tags(struct cr_strmap *out, const struct cr_access_pool *pool,
                          const struct cr_access_login *login)
{
    const struct cr_cognito_principal_tags *map = s_tag_map(pool, &login->provider);
    struct cr_strmap tags = {0};
    int rc = 0;
    if (login->provider.kind == CR_ACCESS_PROVIDER_DEVELOPER)
        rc = s_developer_tags(&tags, login->claims);
    /* No map set: attributes for access control are off for this provider. */
    if (rc == 0 && map && map->use_defaults == 1)
        rc = s_default_tags(&tags, &login->provider, login->claims);
    for (size_t i = 0; rc == 0 && map && i < map->tags.len; i++)
        rc = s_tag_from_claim(&tags, map->tags.items[i].key, login->claims,
                              map->tags.items[i].value);
    /* merge: what an earlier login set stays */
    for (size_t i = 0; rc == 0 && i < tags.len; i++) {
        if (!cr_strmap_get(out, tags.items[i].key))
            rc = cr_strmap_set(out, tags.items[i].key, tags.items[i].value);
    }
    cr_strmap_dispose(&tags);
    return rc;
}
