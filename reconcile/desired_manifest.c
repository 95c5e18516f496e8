/* SPDX-License-Identifier: Apache-2.0 */
/* Manifest model (schema/) -> desired state. The model is validated; this only converts. */
#include <stdlib.h>
#include <string.h>

#include "reconcile/desired.h"
#include "util/buf.h"
#include "util/strutil.h"

static int s_map(struct cr_strmap *out, const struct cr_model_map *m)
{
    for (size_t i = 0; i < m->len; i++)
        if (cr_strmap_set(out, m->items[i].key.value,
                          m->items[i].value.value ? m->items[i].value.value : "") < 0)
            return CR_ENOMEM;
    return 0;
}

static int s_list(struct cr_strlist *out, const struct cr_model_list *l)
{
    for (size_t i = 0; i < l->len; i++)
        if (l->items[i].value && cr_strlist_push(out, l->items[i].value) < 0)
            return CR_ENOMEM;
    return 0;
}

static int s_config(struct cr_cognito_pool *c, const struct cr_model_pool *m)
{
    bool oom = false;
    c->name = cr_strdup_null(m->identity_pool_name.value, &oom);
    c->allow_unauthenticated = m->allow_unauthenticated_identities.value == CR_TRI_TRUE;
    /* absent stays -1 here; cr_desired_normalise() turns it into false (docs/plan.md) */
    c->allow_classic_flow = m->allow_classic_flow.value;
    c->developer_provider_name = cr_strdup_null(m->developer_provider_name.value, &oom);
    if (oom || s_map(&c->supported_login_providers, &m->supported_login_providers) < 0 ||
        s_list(&c->open_id_connect_provider_arns, &m->open_id_connect_provider_arns) < 0 ||
        s_list(&c->saml_provider_arns, &m->saml_provider_arns) < 0)
        return CR_ENOMEM;
    if (m->n_cognito_identity_providers) {
        c->cognito_identity_providers =
            calloc(m->n_cognito_identity_providers, sizeof(*c->cognito_identity_providers));
        if (!c->cognito_identity_providers)
            return CR_ENOMEM;
        c->n_cognito_identity_providers = m->n_cognito_identity_providers;
        for (size_t i = 0; i < m->n_cognito_identity_providers; i++) {
            const struct cr_model_provider *p = &m->cognito_identity_providers[i];
            struct cr_cognito_provider *q = &c->cognito_identity_providers[i];
            q->provider_name = cr_strdup_null(p->provider_name.value, &oom);
            q->client_id = cr_strdup_null(p->client_id.value, &oom);
            q->server_side_token_check = p->server_side_token_check.value;
        }
    }
    return oom ? CR_ENOMEM : 0;
}

static int s_roles(struct cr_cognito_roles *r, const struct cr_model_pool *m)
{
    bool oom = false;
    if (s_map(&r->roles, &m->roles) < 0)
        return CR_ENOMEM;
    if (!m->n_role_mappings)
        return 0;
    r->mappings = calloc(m->n_role_mappings, sizeof(*r->mappings));
    if (!r->mappings)
        return CR_ENOMEM;
    r->n_mappings = m->n_role_mappings;
    for (size_t i = 0; i < m->n_role_mappings; i++) {
        const struct cr_model_role_mapping *mm = &m->role_mappings[i];
        struct cr_cognito_role_mapping *q = &r->mappings[i];
        q->provider = cr_strdup_null(mm->provider.value, &oom);
        q->type = cr_strdup_null(mm->type.value, &oom);
        q->ambiguous_role_resolution = cr_strdup_null(mm->ambiguous_role_resolution.value, &oom);
        q->has_rules_configuration = mm->has_rules_configuration || mm->n_rules > 0;
        if (!mm->n_rules)
            continue;
        q->rules = calloc(mm->n_rules, sizeof(*q->rules));
        if (!q->rules)
            return CR_ENOMEM;
        q->n_rules = mm->n_rules;
        for (size_t k = 0; k < mm->n_rules; k++) {
            q->rules[k].claim = cr_strdup_null(mm->rules[k].claim.value, &oom);
            q->rules[k].match_type = cr_strdup_null(mm->rules[k].match_type.value, &oom);
            q->rules[k].value = cr_strdup_null(mm->rules[k].value.value, &oom);
            q->rules[k].role_arn = cr_strdup_null(mm->rules[k].role_arn.value, &oom);
        }
    }
    return oom ? CR_ENOMEM : 0;
}

static int s_ptags(struct cr_desired_pool *d, const struct cr_model_pool *m)
{
    if (!m->n_principal_tag_maps)
        return 0;
    d->principal_tags = calloc(m->n_principal_tag_maps, sizeof(*d->principal_tags));
    if (!d->principal_tags)
        return CR_ENOMEM;
    d->n_principal_tags = m->n_principal_tag_maps;
    for (size_t i = 0; i < m->n_principal_tag_maps; i++) {
        const struct cr_model_principal_tags *p = &m->principal_tag_maps[i];
        struct cr_cognito_principal_tags *q = &d->principal_tags[i];
        bool oom = false;
        q->provider = cr_strdup_null(p->provider.value, &oom);
        q->use_defaults = p->use_defaults.value;
        if (oom || s_map(&q->tags, &p->principal_tags) < 0)
            return CR_ENOMEM;
    }
    return 0;
}

static int s_pool(struct cr_desired_pool *d, const struct cr_model_pool *m,
                  const struct cr_manifest_set *set)
{
    struct cr_buf src = CR_BUF_INIT;
    bool oom = false;
    const struct cr_model_account *account = cr_manifest_set_account(set, m->account.value);
    const char *region = m->region.value ? m->region.value : m->id_region;
    if (!region && account)
        region = account->region.value;
    cr_desired_pool_init(d);
    cr_buf_printf(&src, "%s:%u:%u", m->file ? m->file : "(manifest)", m->loc.line, m->loc.column);
    d->source = cr_buf_detach(&src);
    d->name = cr_strdup_null(m->name.value, &oom);
    d->account = cr_strdup_null(m->account.value, &oom);
    d->region = cr_strdup_null(region, &oom);
    d->adopt_id = cr_strdup_null(m->id.value, &oom);
    d->manage_roles = m->manage_roles;
    d->manage_principal_tags = m->manage_principal_tags;
    d->manage_tags = m->manage_tags;
    if (oom || !d->source || s_config(&d->config, m) < 0 ||
        (m->manage_roles && s_roles(&d->roles, m) < 0) ||
        (m->manage_principal_tags && s_ptags(d, m) < 0) ||
        (m->manage_tags && s_map(&d->tags, &m->tags) < 0)) {
        cr_error_set("out of memory converting manifests");
        return CR_ENOMEM;
    }
    return cr_desired_normalise(d);
}

static int s_accounts(struct cr_desired_set *out, const struct cr_manifest_set *set)
{
    out->accounts = calloc(set->n_accounts ? set->n_accounts : 1, sizeof(*out->accounts));
    if (!out->accounts)
        goto oom;
    for (size_t i = 0; i < set->n_accounts; i++) {
        const struct cr_model_account *m = set->accounts[i];
        struct cr_desired_account *a = &out->accounts[i];
        struct cr_buf src = CR_BUF_INIT;
        bool oom = false;
        out->n_accounts = i + 1;
        cr_buf_printf(&src, "%s:%u:%u", m->file ? m->file : "(manifest)", m->loc.line,
                      m->loc.column);
        a->source = cr_buf_detach(&src);
        a->name = cr_strdup_null(m->name.value, &oom);
        a->account_id = cr_strdup_null(m->account_id.value, &oom);
        a->profile = cr_strdup_null(m->profile.value, &oom);
        a->role_arn = cr_strdup_null(m->role_arn.value, &oom);
        a->external_id = cr_strdup_null(m->external_id.value, &oom);
        a->session_name = cr_strdup_null(m->session_name.value, &oom);
        a->region = cr_strdup_null(m->region.value, &oom);
        if (oom || !a->source)
            goto oom;
    }
    return 0;
oom:
    cr_error_set("out of memory converting manifests");
    return CR_ENOMEM;
}

int cr_desired_from_manifest(struct cr_desired_set *out, const struct cr_manifest_set *set)
{
    int result = CR_ENOMEM;
    memset(out, 0, sizeof(*out));
    if (set->n_diagnostics) {
        cr_error_set("%s:%u:%u: %s (%zu problem(s) in the manifests)", set->diagnostics[0].file,
                     set->diagnostics[0].line, set->diagnostics[0].column,
                     set->diagnostics[0].message, set->n_diagnostics);
        return CR_EINVALID;
    }
    out->pools = calloc(set->n_pools ? set->n_pools : 1, sizeof(*out->pools));
    if (!out->pools) {
        cr_error_set("out of memory converting manifests");
        goto done;
    }
    for (size_t i = 0; i < set->n_pools; i++) {
        out->len = i + 1;
        result = s_pool(&out->pools[i], set->pools[i], set);
        if (result < 0)
            goto done;
    }
    result = s_accounts(out, set);
done:
    if (result < 0)
        cr_desired_set_dispose(out);
    return result;
}
