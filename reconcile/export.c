/* SPDX-License-Identifier: Apache-2.0 */
/*
 * Export: live pools -> YAML manifests (format v1) through libyaml's emitter. The output is
 * written so that loading it and planning against the same live state shows no changes for
 * pools the stack owns (docs/plan.md "Export"): every section is written (so it is managed),
 * allowClassicFlow is always explicit, and principal-tag maps that are not cleared are listed.
 */
#include "reconcile/export.h"

#include <ctype.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <yaml.h>

#include "reconcile/desired.h"
#include "schema/manifest.h"
#include "schema/model.h"
#include "util/log.h"

/* ---- reading ---- */

/* Whether a pool id ("eu-west-1:0b6f...") names region. */
static bool s_id_in_region(const char *id, const char *region)
{
    size_t n = strlen(region);
    return strncmp(id, region, n) == 0 && id[n] == ':';
}

int cr_export_read(struct cr_live_state *state, struct cr_aws_client *client,
                   const struct cr_export_options *opts)
{
    const char *region = cr_aws_client_region(client);
    struct cr_live_want *wants = calloc(opts->n_ids ? opts->n_ids : 1, sizeof(*wants));
    /* export --stack reads roles and maps of the stack's pools only */
    struct cr_live_read_options ro = {.stack = opts->stack,
                                      .discover = opts->all || opts->by_stack,
                                      .all_details = true,
                                      .details_owned_only =
                                          opts->by_stack && !opts->all && opts->n_ids == 0};
    int result = CR_ENOMEM;
    if (!wants) {
        cr_error_set("out of memory preparing the export");
        goto done;
    }
    size_t n_wants = 0;
    for (size_t i = 0; i < opts->n_ids; i++) {
        /* an id names its region: described by that region's client only (a client of another
         * region would only be told there is no such pool). An id without one is described
         * everywhere, and the service says what is wrong with it. */
        const char *id = opts->ids[i];
        if (strchr(id, ':') != NULL && !s_id_in_region(id, region))
            continue;
        wants[n_wants].name = id;
        wants[n_wants].pool_id = id;
        n_wants++;
    }
    result = cr_live_read(state, client, wants, n_wants, &ro);
    if (result < 0)
        goto done;
    for (size_t i = 0; i < opts->n_ids; i++) {
        const struct cr_live_pool *p = cr_live_find_id(state, opts->ids[i]);
        if (!p && s_id_in_region(opts->ids[i], region)) {
            cr_error_set("export: DescribeIdentityPool %s: no such identity pool in %s",
                         opts->ids[i], region);
            result = CR_ENOTFOUND;
            goto done;
        }
    }
    result = 0;
done:
    free(wants);
    return result;
}

/* ---- choosing pools and names ---- */

static const char *s_stack(const struct cr_export_options *opts)
{
    return opts->stack ? opts->stack : "default";
}

static bool s_selected(const struct cr_live_pool *p, const struct cr_export_options *opts)
{
    if (opts->all)
        return true;
    if (opts->by_stack && p->stack && strcmp(p->stack, s_stack(opts)) == 0)
        return true;
    for (size_t i = 0; i < opts->n_ids; i++)
        if (strcmp(opts->ids[i], p->config.id) == 0)
            return true;
    return false;
}

struct s_entry {
    const struct cr_live_pool *pool;
    char name[160];
};

/* "MobileApp Prod" -> "mobileapp-prod": lowercase, other runs become one '-'; at most
 * max characters (max < cap). */
static void s_derive_name(char *out, size_t cap, size_t max, const char *pool_name)
{
    size_t n = 0;
    bool dash = false;
    for (const char *s = pool_name ? pool_name : ""; *s; s++) {
        unsigned char c = (unsigned char)*s;
        if (!isalnum(c)) {
            dash = true;
            continue;
        }
        size_t need = dash && n > 0 ? 2 : 1;
        if (n + need > max || n + need >= cap)
            break;
        if (need == 2)
            out[n++] = '-';
        out[n++] = (char)tolower(c);
        dash = false;
    }
    if (n == 0)
        n = (size_t)snprintf(out, cap, "pool");
    out[n] = '\0';
}

static bool s_same_account(const char *a, const char *b)
{
    return (!a && !b) || (a && b && strcmp(a, b) == 0);
}

/* Names are unique per account (metadata.name is: docs/manifests.md). */
static bool s_taken(const struct s_entry *e, size_t n, const char *account, const char *name)
{
    for (size_t i = 0; i < n; i++)
        if (strcmp(e[i].name, name) == 0 && s_same_account(e[i].pool->account, account))
            return true;
    return false;
}

/* The default account's pools first, then each account's, by name. */
static int s_cmp_entry(const void *a, const void *b)
{
    const struct s_entry *x = a, *y = b;
    const char *ax = x->pool->account, *ay = y->pool->account;
    if (!ax != !ay)
        return ax ? 1 : -1;
    int c = ax ? strcmp(ax, ay) : 0;
    c = c ? c : strcmp(x->name, y->name);
    return c ? c : strcmp(x->pool->config.id, y->pool->config.id);
}

/* Named pools first keep their tag; the others get a derived, unique name. */
static size_t s_entries(struct s_entry *out, const struct cr_live_state *state,
                        const struct cr_export_options *opts)
{
    size_t n = 0;
    for (size_t i = 0; i < state->len; i++) {
        const struct cr_live_pool *p = state->pools[i];
        if (s_selected(p, opts) && p->name && !s_taken(out, n, p->account, p->name)) {
            out[n].pool = p;
            snprintf(out[n++].name, sizeof(out[0].name), "%s", p->name);
        }
    }
    for (size_t i = 0; i < state->len; i++) {
        const struct cr_live_pool *p = state->pools[i];
        bool done = false;
        for (size_t k = 0; k < n && !done; k++)
            done = out[k].pool == p;
        if (done || !s_selected(p, opts))
            continue;
        char base[140], suffix[16] = "";
        for (unsigned k = 1; k == 1 || s_taken(out, n, p->account, out[n].name); k++) {
            if (k > 1)
                snprintf(suffix, sizeof(suffix), "-%u", k);
            /* a valid metadata.name, "-2" included */
            s_derive_name(base, sizeof(base), CR_MANIFEST_NAME_MAX - strlen(suffix),
                          p->config.name);
            snprintf(out[n].name, sizeof(out[0].name), "%s%s", base, suffix);
        }
        out[n++].pool = p;
    }
    qsort(out, n, sizeof(*out), s_cmp_entry);
    return n;
}

/* ---- emitting ---- */

struct s_emit {
    yaml_emitter_t emitter;
    yaml_event_t event;
    bool failed;
};

static int s_write(void *data, unsigned char *buffer, size_t size)
{
    return cr_buf_put(data, buffer, size) == 0;
}

static void s_emit(struct s_emit *e)
{
    if (!e->failed && !yaml_emitter_emit(&e->emitter, &e->event))
        e->failed = true;
}

/* Plain scalars that would read as something other than a string are quoted: in manifests
 * (the YAML 1.2 core schema: `.inf`, `0o17`), and in YAML 1.1 tools (`yes`, `on`, `inf`). */
static bool s_ambiguous(const char *s)
{
    static const char *const words[] = {"true", "false", "yes", "no",   "on",
                                        "off",  "y",     "n",   "null", "~"};
    char *end = NULL;
    if (!cr_manifest_plain_reads_as_string(s, strlen(s)))
        return true;
    for (size_t i = 0; i < sizeof(words) / sizeof(words[0]); i++)
        if (strcasecmp(s, words[i]) == 0)
            return true;
    (void)strtod(s, &end);
    return end && *end == '\0';
}

static void s_str(struct s_emit *e, const char *s)
{
    yaml_scalar_style_t style =
        s_ambiguous(s) ? YAML_DOUBLE_QUOTED_SCALAR_STYLE : YAML_ANY_SCALAR_STYLE;
    if (e->failed || !yaml_scalar_event_initialize(&e->event, NULL, NULL, (yaml_char_t *)s,
                                                   (int)strlen(s), 1, 1, style)) {
        e->failed = true;
        return;
    }
    s_emit(e);
}

static void s_bool(struct s_emit *e, bool v)
{
    const char *s = v ? "true" : "false";
    if (e->failed || !yaml_scalar_event_initialize(&e->event, NULL, NULL, (yaml_char_t *)s,
                                                   (int)strlen(s), 1, 1, YAML_PLAIN_SCALAR_STYLE)) {
        e->failed = true;
        return;
    }
    s_emit(e);
}

static void s_map_start(struct s_emit *e, bool flow)
{
    if (e->failed ||
        !yaml_mapping_start_event_initialize(
            &e->event, NULL, NULL, 1, flow ? YAML_FLOW_MAPPING_STYLE : YAML_BLOCK_MAPPING_STYLE)) {
        e->failed = true;
        return;
    }
    s_emit(e);
}

static void s_map_end(struct s_emit *e)
{
    if (e->failed || !yaml_mapping_end_event_initialize(&e->event)) {
        e->failed = true;
        return;
    }
    s_emit(e);
}

static void s_seq_start(struct s_emit *e)
{
    if (e->failed || !yaml_sequence_start_event_initialize(&e->event, NULL, NULL, 1,
                                                           YAML_BLOCK_SEQUENCE_STYLE)) {
        e->failed = true;
        return;
    }
    s_emit(e);
}

static void s_seq_end(struct s_emit *e)
{
    if (e->failed || !yaml_sequence_end_event_initialize(&e->event)) {
        e->failed = true;
        return;
    }
    s_emit(e);
}

static void s_kv(struct s_emit *e, const char *k, const char *v)
{
    s_str(e, k);
    s_str(e, v);
}

/* A string map; flow style when empty ({}). skip_ours drops the ownership tags. */
static void s_strmap(struct s_emit *e, const char *key, const struct cr_strmap *m, bool skip_ours)
{
    size_t n = 0;
    for (size_t i = 0; i < m->len; i++)
        n += !(skip_ours && strncmp(m->items[i].key, CR_TAG_PREFIX, strlen(CR_TAG_PREFIX)) == 0);
    s_str(e, key);
    s_map_start(e, n == 0);
    for (size_t i = 0; i < m->len; i++)
        if (!(skip_ours && strncmp(m->items[i].key, CR_TAG_PREFIX, strlen(CR_TAG_PREFIX)) == 0))
            s_kv(e, m->items[i].key, m->items[i].value);
    s_map_end(e);
}

static void s_strlist(struct s_emit *e, const char *key, const struct cr_strlist *l)
{
    if (!l->len)
        return;
    struct cr_strlist sorted = {0};
    if (cr_strlist_copy(&sorted, l) < 0) {
        e->failed = true;
        return;
    }
    cr_strlist_sort(&sorted);
    s_str(e, key);
    s_seq_start(e);
    for (size_t i = 0; i < sorted.len; i++)
        s_str(e, sorted.items[i]);
    s_seq_end(e);
    cr_strlist_dispose(&sorted);
}

static void s_providers(struct s_emit *e, const struct cr_cognito_pool *c)
{
    if (!c->n_cognito_identity_providers)
        return;
    s_str(e, "cognitoIdentityProviders");
    s_seq_start(e);
    for (size_t i = 0; i < c->n_cognito_identity_providers; i++) {
        const struct cr_cognito_provider *p = &c->cognito_identity_providers[i];
        s_map_start(e, false);
        s_kv(e, "providerName", p->provider_name ? p->provider_name : "");
        s_kv(e, "clientId", p->client_id ? p->client_id : "");
        s_str(e, "serverSideTokenCheck");
        s_bool(e, p->server_side_token_check == 1);
        s_map_end(e);
    }
    s_seq_end(e);
}

/* Equal strings, NULL equal only to NULL. */
static bool s_str_eq(const char *a, const char *b)
{
    return a == b || (a && b && strcmp(a, b) == 0);
}

/* key: the provider as a manifest names it (m->provider, or an OIDC provider's host). */
static void s_mapping(struct s_emit *e, const char *key, const struct cr_cognito_role_mapping *m)
{
    s_str(e, key);
    s_map_start(e, false);
    s_kv(e, "type", m->type ? m->type : "");
    if (m->ambiguous_role_resolution)
        s_kv(e, "ambiguousRoleResolution", m->ambiguous_role_resolution);
    /* rules of a Token mapping mean nothing, and a manifest cannot hold them */
    if (m->n_rules && s_str_eq(m->type, "Rules")) {
        s_str(e, "rulesConfiguration");
        s_map_start(e, false);
        s_str(e, "rules");
        s_seq_start(e);
        for (size_t i = 0; i < m->n_rules; i++) {
            const struct cr_cognito_rule *r = &m->rules[i];
            s_map_start(e, false);
            s_kv(e, "claim", r->claim ? r->claim : "");
            s_kv(e, "matchType", r->match_type ? r->match_type : "");
            s_kv(e, "value", r->value ? r->value : "");
            s_kv(e, "roleARN", r->role_arn ? r->role_arn : "");
            s_map_end(e);
        }
        s_seq_end(e);
        s_map_end(e);
    }
    s_map_end(e);
}

static bool s_has_mapping(const struct cr_cognito_roles *r, const char *provider)
{
    for (size_t i = 0; i < r->n_mappings; i++)
        if (s_str_eq(r->mappings[i].provider, provider))
            return true;
    return false;
}

/*
 * The key a manifest gives the mapping of provider (validate's rule: a login provider, an OIDC
 * provider's host, a SAML ARN, "providerName:clientId"), or NULL when the pool does not have
 * that provider any more (an Update removed it and left the mapping, which the service then
 * refuses in every SetIdentityPoolRoles that keeps it). An OIDC provider named by its ARN
 * (the service takes both) is written by its host.
 */
static const char *s_mapping_key(const struct cr_live_pool *p, const char *provider)
{
    const struct cr_cognito_pool *c = &p->config;
    if (!provider)
        return NULL;
    if (cr_strmap_get(&c->supported_login_providers, provider) ||
        cr_strlist_contains(&c->saml_provider_arns, provider))
        return provider;
    for (size_t i = 0; i < c->open_id_connect_provider_arns.len; i++) {
        const char *arn = c->open_id_connect_provider_arns.items[i];
        const char *host = cr_model_oidc_host(arn);
        if (s_str_eq(host, provider))
            return provider;
        if (strcmp(arn, provider) == 0 && host && !s_has_mapping(&p->roles, host))
            return host;
    }
    for (size_t i = 0; i < c->n_cognito_identity_providers; i++) {
        const struct cr_cognito_provider *up = &c->cognito_identity_providers[i];
        size_t n = up->provider_name ? strlen(up->provider_name) : 0;
        if (n && up->client_id && strncmp(provider, up->provider_name, n) == 0 &&
            provider[n] == ':' && strcmp(provider + n + 1, up->client_id) == 0)
            return provider;
    }
    return NULL;
}

/* Role mappings a manifest cannot hold are left out or rewritten, each with a warning on
 * stderr: the plan of the exported manifests then shows the SetIdentityPoolRoles that
 * repairs them. */
static void s_roles(struct s_emit *e, const struct cr_live_pool *p)
{
    s_strmap(e, "roles", &p->roles.roles, false);
    if (!p->roles.n_mappings)
        return;
    s_str(e, "roleMappings");
    s_map_start(e, false);
    for (size_t i = 0; i < p->roles.n_mappings; i++) {
        const struct cr_cognito_role_mapping *m = &p->roles.mappings[i];
        const char *key = s_mapping_key(p, m->provider);
        const char *prov = m->provider ? m->provider : "";
        if (!key) {
            cr_log_info("warning: %s: the role mapping of '%s' is left out: the pool has no "
                        "such provider any more (the next apply removes the mapping)",
                        p->config.id, prov);
            continue;
        }
        if (strcmp(key, prov) != 0)
            cr_log_info("warning: %s: the role mapping of '%s' is written under the provider's "
                        "host '%s', as manifests name OIDC providers in role mappings",
                        p->config.id, prov, key);
        if (m->n_rules && !s_str_eq(m->type, "Rules"))
            cr_log_info("warning: %s: the rules of the %s role mapping of '%s' are left out "
                        "(rules apply to type Rules only)",
                        p->config.id, m->type ? m->type : "untyped", prov);
        s_mapping(e, key, m);
    }
    s_map_end(e);
}

/* Maps that are not cleared (UseDefaults false, no tags) are listed; the plan clears the
 * rest of a managed section, so a cleared map needs no entry. */
static void s_ptags(struct s_emit *e, const struct cr_live_pool *p)
{
    size_t n = 0;
    for (size_t i = 0; i < p->n_principal_tags; i++)
        n += p->principal_tags[i].use_defaults == 1 || p->principal_tags[i].tags.len;
    s_str(e, "principalTagAttributeMaps");
    s_map_start(e, n == 0);
    for (size_t i = 0; i < p->n_principal_tags; i++) {
        const struct cr_cognito_principal_tags *pt = &p->principal_tags[i];
        if (!(pt->use_defaults == 1 || pt->tags.len))
            continue;
        s_str(e, pt->provider ? pt->provider : "");
        s_map_start(e, false);
        s_str(e, "useDefaults");
        s_bool(e, pt->use_defaults == 1);
        s_strmap(e, "principalTags", &pt->tags, false);
        s_map_end(e);
    }
    s_map_end(e);
}

static void s_spec(struct s_emit *e, const struct cr_live_pool *p)
{
    const struct cr_cognito_pool *c = &p->config;
    s_str(e, "spec");
    s_map_start(e, false);
    s_kv(e, "identityPoolName", c->name ? c->name : "");
    s_str(e, "allowUnauthenticatedIdentities");
    s_bool(e, c->allow_unauthenticated);
    /* never set behaves as allowed (aws-cli #7652): written as true, which plans as equal */
    s_str(e, "allowClassicFlow");
    s_bool(e, c->allow_classic_flow != 0);
    if (c->developer_provider_name)
        s_kv(e, "developerProviderName", c->developer_provider_name);
    if (c->supported_login_providers.len)
        s_strmap(e, "supportedLoginProviders", &c->supported_login_providers, false);
    s_providers(e, c);
    s_strlist(e, "openIdConnectProviderARNs", &c->open_id_connect_provider_arns);
    s_strlist(e, "samlProviderARNs", &c->saml_provider_arns);
    if (p->has_roles)
        s_roles(e, p);
    if (p->has_principal_tags)
        s_ptags(e, p);
    s_strmap(e, "tags", &c->tags, true);
    s_map_end(e);
}

static void s_document(struct s_emit *e, const struct s_entry *en,
                       const struct cr_export_options *opts)
{
    const struct cr_live_pool *p = en->pool;
    bool owned = p->stack && strcmp(p->stack, s_stack(opts)) == 0 && p->name &&
                 strcmp(p->name, en->name) == 0;
    if (!yaml_document_start_event_initialize(&e->event, NULL, NULL, NULL, 0)) {
        e->failed = true;
        return;
    }
    s_emit(e);
    s_map_start(e, false);
    s_kv(e, "apiVersion", "cognito-reconcile/v1");
    s_kv(e, "kind", "IdentityPool");
    s_str(e, "metadata");
    s_map_start(e, false);
    s_kv(e, "name", en->name);
    if (p->account)
        s_kv(e, "account", p->account);
    s_kv(e, "region", p->region);
    /* not ours yet: the manifest adopts the pool by id (its first plan adds our tags) */
    if (!owned)
        s_kv(e, "id", p->config.id);
    s_map_end(e);
    s_spec(e, p);
    s_map_end(e);
    if (!e->failed && !yaml_document_end_event_initialize(&e->event, 1))
        e->failed = true;
    s_emit(e);
}

int cr_export_write(struct cr_buf *out, size_t *n_pools, const struct cr_live_state *state,
                    const struct cr_export_options *opts)
{
    struct s_emit e = {0};
    if (n_pools)
        *n_pools = 0;
    struct s_entry *entries = calloc(state->len ? state->len : 1, sizeof(*entries));
    int result = CR_ENOMEM;
    if (!entries || !yaml_emitter_initialize(&e.emitter)) {
        cr_error_set("out of memory starting the YAML emitter");
        free(entries);
        return CR_ENOMEM;
    }
    size_t n = s_entries(entries, state, opts);
    yaml_emitter_set_output(&e.emitter, s_write, out);
    yaml_emitter_set_unicode(&e.emitter, 1);
    yaml_emitter_set_width(&e.emitter, -1); /* never fold long ARNs */
    if (!yaml_stream_start_event_initialize(&e.event, YAML_UTF8_ENCODING))
        e.failed = true;
    s_emit(&e);
    for (size_t i = 0; i < n && !e.failed; i++)
        s_document(&e, &entries[i], opts);
    if (!e.failed && !yaml_stream_end_event_initialize(&e.event))
        e.failed = true;
    s_emit(&e);
    if (!e.failed && !yaml_emitter_flush(&e.emitter))
        e.failed = true;
    if (e.failed) {
        cr_error_set("export: YAML emitter: %s",
                     e.emitter.problem ? e.emitter.problem : "out of memory");
        result = cr_buf_oom(out) ? CR_ENOMEM : CR_ERROR;
    } else {
        result = 0;
        if (n_pools)
            *n_pools = n;
    }
    yaml_emitter_delete(&e.emitter);
    free(entries);
    return result;
}
