/* SPDX-License-Identifier: Apache-2.0 */
/* Desired state: normal form and the provider keys manifests may name. */
#include "reconcile/desired.h"

#include <stdlib.h>
#include <string.h>

#include "reconcile/live.h"
#include "schema/model.h"
#include "util/strutil.h"

void cr_desired_pool_init(struct cr_desired_pool *pool)
{
    memset(pool, 0, sizeof(*pool));
    pool->config.allow_classic_flow = 0;
}

void cr_desired_pool_dispose(struct cr_desired_pool *pool)
{
    if (!pool)
        return;
    free(pool->name);
    free(pool->account);
    free(pool->region);
    free(pool->adopt_id);
    free(pool->source);
    cr_cognito_pool_dispose(&pool->config);
    cr_cognito_roles_dispose(&pool->roles);
    for (size_t i = 0; i < pool->n_principal_tags; i++)
        cr_cognito_principal_tags_dispose(&pool->principal_tags[i]);
    free(pool->principal_tags);
    cr_strmap_dispose(&pool->tags);
    memset(pool, 0, sizeof(*pool));
}

void cr_desired_set_dispose(struct cr_desired_set *set)
{
    if (!set)
        return;
    for (size_t i = 0; i < set->len; i++)
        cr_desired_pool_dispose(&set->pools[i]);
    free(set->pools);
    for (size_t i = 0; i < set->n_accounts; i++)
        cr_desired_account_dispose(&set->accounts[i]);
    free(set->accounts);
    memset(set, 0, sizeof(*set));
}

void cr_desired_account_dispose(struct cr_desired_account *account)
{
    if (!account)
        return;
    free(account->name);
    free(account->account_id);
    free(account->profile);
    free(account->role_arn);
    free(account->external_id);
    free(account->session_name);
    free(account->region);
    free(account->source);
    memset(account, 0, sizeof(*account));
}

int cr_desired_account_copy(struct cr_desired_account *out, const struct cr_desired_account *src)
{
    bool oom = false;
    out->name = cr_strdup_null(src->name, &oom);
    out->account_id = cr_strdup_null(src->account_id, &oom);
    out->profile = cr_strdup_null(src->profile, &oom);
    out->role_arn = cr_strdup_null(src->role_arn, &oom);
    out->external_id = cr_strdup_null(src->external_id, &oom);
    out->session_name = cr_strdup_null(src->session_name, &oom);
    out->region = cr_strdup_null(src->region, &oom);
    out->source = cr_strdup_null(src->source, &oom);
    if (!oom)
        return 0;
    cr_desired_account_dispose(out);
    cr_error_set("out of memory copying account '%s'", src->name ? src->name : "?");
    return CR_ENOMEM;
}

const struct cr_desired_account *cr_desired_set_account(const struct cr_desired_set *set,
                                                        const char *name)
{
    for (size_t i = 0; name && i < set->n_accounts; i++)
        if (set->accounts[i].name && strcmp(set->accounts[i].name, name) == 0)
            return &set->accounts[i];
    return NULL;
}

static int s_cmp_provider(const void *a, const void *b)
{
    const struct cr_cognito_provider *x = a, *y = b;
    int c =
        strcmp(x->provider_name ? x->provider_name : "", y->provider_name ? y->provider_name : "");
    if (c != 0)
        return c;
    return strcmp(x->client_id ? x->client_id : "", y->client_id ? y->client_id : "");
}

static int s_cmp_mapping(const void *a, const void *b)
{
    const struct cr_cognito_role_mapping *x = a, *y = b;
    return strcmp(x->provider ? x->provider : "", y->provider ? y->provider : "");
}

static int s_cmp_ptags(const void *a, const void *b)
{
    const struct cr_cognito_principal_tags *x = a, *y = b;
    return strcmp(x->provider ? x->provider : "", y->provider ? y->provider : "");
}

static const char *s_where(const struct cr_desired_pool *pool)
{
    return pool->source ? pool->source : "(manifest)";
}

int cr_desired_normalise(struct cr_desired_pool *pool)
{
    if (!pool->name || !*pool->name) {
        cr_error_set("%s: identity pool has no metadata.name", s_where(pool));
        return CR_EINVALID;
    }
    for (size_t i = 0; i < pool->tags.len; i++) {
        if (strncmp(pool->tags.items[i].key, CR_TAG_PREFIX, strlen(CR_TAG_PREFIX)) == 0) {
            cr_error_set("%s: pool '%s': tag key '%s' is reserved for ownership tags",
                         s_where(pool), pool->name, pool->tags.items[i].key);
            return CR_EINVALID;
        }
    }
    struct cr_cognito_pool *c = &pool->config;
    /* Absent = the API default (design §3): false for every boolean. */
    if (c->allow_classic_flow < 0)
        c->allow_classic_flow = 0;
    for (size_t i = 0; i < c->n_cognito_identity_providers; i++)
        if (c->cognito_identity_providers[i].server_side_token_check < 0)
            c->cognito_identity_providers[i].server_side_token_check = 0;
    if (c->n_cognito_identity_providers > 1)
        qsort(c->cognito_identity_providers, c->n_cognito_identity_providers,
              sizeof(*c->cognito_identity_providers), s_cmp_provider);
    cr_strlist_sort(&c->open_id_connect_provider_arns);
    cr_strlist_sort(&c->saml_provider_arns);
    c->has_tags = false;
    if (pool->roles.n_mappings > 1)
        qsort(pool->roles.mappings, pool->roles.n_mappings, sizeof(*pool->roles.mappings),
              s_cmp_mapping);
    for (size_t i = 0; i < pool->n_principal_tags; i++)
        if (pool->principal_tags[i].use_defaults < 0)
            pool->principal_tags[i].use_defaults = 0;
    if (pool->n_principal_tags > 1)
        qsort(pool->principal_tags, pool->n_principal_tags, sizeof(*pool->principal_tags),
              s_cmp_ptags);
    return 0;
}

static int s_push_unique(struct cr_strlist *out, const char *s)
{
    if (!s || !*s || cr_strlist_contains(out, s))
        return 0;
    return cr_strlist_push(out, s);
}

int cr_desired_provider_keys(struct cr_strlist *out, const struct cr_cognito_pool *config)
{
    int rc = 0;
    for (size_t i = 0; rc == 0 && i < config->n_cognito_identity_providers; i++) {
        const struct cr_cognito_provider *p = &config->cognito_identity_providers[i];
        rc = s_push_unique(out, p->provider_name);
        if (rc == 0 && p->provider_name && p->client_id) {
            size_t n = strlen(p->provider_name) + strlen(p->client_id) + 2;
            char *key = malloc(n);
            if (!key)
                return CR_ENOMEM;
            memcpy(key, p->provider_name, strlen(p->provider_name));
            key[strlen(p->provider_name)] = ':';
            strcpy(key + strlen(p->provider_name) + 1, p->client_id);
            rc = s_push_unique(out, key);
            free(key);
        }
    }
    for (size_t i = 0; rc == 0 && i < config->supported_login_providers.len; i++)
        rc = s_push_unique(out, config->supported_login_providers.items[i].key);
    for (size_t i = 0; rc == 0 && i < config->open_id_connect_provider_arns.len; i++) {
        const char *arn = config->open_id_connect_provider_arns.items[i];
        rc = s_push_unique(out, arn);
        if (rc == 0)
            rc = s_push_unique(out, cr_model_oidc_host(arn) /* validate's own parser */);
    }
    for (size_t i = 0; rc == 0 && i < config->saml_provider_arns.len; i++)
        rc = s_push_unique(out, config->saml_provider_arns.items[i]);
    if (rc < 0) {
        cr_error_set("out of memory listing providers");
        return rc;
    }
    cr_strlist_sort(out);
    return 0;
}

int cr_desired_principal_tag_providers(struct cr_strlist *out, const struct cr_desired_pool *pool)
{
    const struct cr_cognito_pool *c = &pool->config;
    int rc = 0;
    for (size_t i = 0; rc == 0 && i < c->n_cognito_identity_providers; i++)
        rc = s_push_unique(out, c->cognito_identity_providers[i].provider_name);
    for (size_t i = 0; rc == 0 && i < c->supported_login_providers.len; i++)
        rc = s_push_unique(out, c->supported_login_providers.items[i].key);
    /* OIDC providers by ARN here (role mappings use the issuer host): the form schema/
     * validation accepts for principalTagAttributeMaps keys */
    for (size_t i = 0; rc == 0 && i < c->open_id_connect_provider_arns.len; i++)
        rc = s_push_unique(out, c->open_id_connect_provider_arns.items[i]);
    for (size_t i = 0; rc == 0 && i < c->saml_provider_arns.len; i++)
        rc = s_push_unique(out, c->saml_provider_arns.items[i]);
    for (size_t i = 0; rc == 0 && i < pool->n_principal_tags; i++)
        rc = s_push_unique(out, pool->principal_tags[i].provider);
    if (rc < 0) {
        cr_error_set("out of memory listing providers");
        return rc;
    }
    cr_strlist_sort(out);
    return 0;
}
