/* SPDX-License-Identifier: Apache-2.0 */
/*
 * The diff: desired + live -> plan. Pure (no I/O). docs/plan.md describes the rules this
 * file follows; comments cite them.
 */
#include "reconcile/plan.h"
#include "reconcile/twins.h"

#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <jansson.h>

#include "schema/constraints.h"
#include "util/array.h"
#include "util/buf.h"
#include "util/strutil.h"

/* ---- change lists ---- */

struct s_changes {
    struct cr_plan_change *items;
    size_t len, cap;
    bool oom;
};

static void s_changes_dispose(struct s_changes *ch)
{
    for (size_t i = 0; i < ch->len; i++) {
        free(ch->items[i].path);
        free(ch->items[i].before);
        free(ch->items[i].after);
    }
    free(ch->items);
    memset(ch, 0, sizeof(*ch));
}

/* Takes ownership of before/after (heap JSON text or NULL). */
static void s_change(struct s_changes *ch, char *before, char *after, const char *fmt, ...)
    CR_PRINTF(4, 5);
static void s_change(struct s_changes *ch, char *before, char *after, const char *fmt, ...)
{
    struct cr_buf path = CR_BUF_INIT;
    va_list ap;
    va_start(ap, fmt);
    cr_buf_vprintf(&path, fmt, ap);
    va_end(ap);
    if (cr_array_reserve(&ch->items, &ch->cap, ch->len, sizeof(*ch->items), 8) < 0)
        goto oom;
    if (cr_buf_oom(&path) || (!before && !after))
        goto oom;
    ch->items[ch->len].path = cr_buf_detach(&path);
    ch->items[ch->len].before = before;
    ch->items[ch->len].after = after;
    ch->len++;
    return;
oom:
    ch->oom = true;
    cr_buf_dispose(&path);
    free(before);
    free(after);
}

/* ---- JSON text for values and keys ---- */

static char *s_dump(json_t *v)
{
    char *text = v ? json_dumps(v, JSON_COMPACT | JSON_ENCODE_ANY) : NULL;
    json_decref(v);
    return text;
}

static char *s_jstr(const char *s)
{
    return s ? s_dump(json_string(s)) : NULL;
}

static char *s_jbool(int v)
{
    return strdup(v < 0 ? "null" : v ? "true" : "false");
}

/* A map key inside a path: always quoted, so keys with dots or brackets stay readable. */
struct s_key {
    char text[1100];
};

static struct s_key s_key(const char *k)
{
    struct s_key out;
    char *q = s_jstr(k ? k : "");
    snprintf(out.text, sizeof(out.text), "[%s]", q ? q : "\"?\"");
    free(q);
    return out;
}

static json_t *s_mapping_json(const struct cr_cognito_role_mapping *m)
{
    json_t *o = json_object();
    json_object_set_new(o, "type", json_string(m->type ? m->type : ""));
    if (m->ambiguous_role_resolution)
        json_object_set_new(o, "ambiguousRoleResolution",
                            json_string(m->ambiguous_role_resolution));
    if (m->has_rules_configuration) {
        json_t *rules = json_array();
        for (size_t i = 0; i < m->n_rules; i++)
            json_array_append_new(rules,
                                  json_pack("{s:s?,s:s?,s:s?,s:s?}", "claim", m->rules[i].claim,
                                            "matchType", m->rules[i].match_type, "value",
                                            m->rules[i].value, "roleARN", m->rules[i].role_arn));
        json_object_set_new(o, "rulesConfiguration", json_pack("{s:o}", "rules", rules));
    }
    return o;
}

/* ---- comparisons (design §5: sets order-insensitive, rules ordered, absent = default) ---- */

static bool s_str_eq(const char *a, const char *b)
{
    if (!a || !b)
        return a == b;
    return strcmp(a, b) == 0;
}

/* AllowClassicFlow: live -1 ("never set") behaves as allowed (aws-cli #7652), so it equals a
 * desired true and differs from a desired false. Desired is always 0 or 1 (absent = false). */
static bool s_classic_flow_eq(int desired, int live)
{
    if (live < 0)
        return desired == 1;
    return desired == live;
}

/* Boxed booleans (ServerSideTokenCheck, UseDefaults): absent means false. */
static int s_bool_default(int v)
{
    return v < 0 ? 0 : v;
}

static const struct cr_cognito_provider *s_find_provider(const struct cr_cognito_pool *c,
                                                         const struct cr_cognito_provider *p)
{
    for (size_t i = 0; i < c->n_cognito_identity_providers; i++) {
        const struct cr_cognito_provider *q = &c->cognito_identity_providers[i];
        if (s_str_eq(q->provider_name, p->provider_name) && s_str_eq(q->client_id, p->client_id))
            return q;
    }
    return NULL;
}

static char *s_provider_key(const struct cr_cognito_provider *p)
{
    struct cr_buf b = CR_BUF_INIT;
    cr_buf_printf(&b, "%s:%s", p->provider_name ? p->provider_name : "",
                  p->client_id ? p->client_id : "");
    return cr_buf_detach(&b);
}

static void s_diff_map(struct s_changes *ch, const char *what, const struct cr_strmap *before,
                       const struct cr_strmap *after)
{
    for (size_t i = 0; i < after->len; i++) {
        const char *old = before ? cr_strmap_get(before, after->items[i].key) : NULL;
        if (!s_str_eq(old, after->items[i].value))
            s_change(ch, s_jstr(old), s_jstr(after->items[i].value), "%s%s", what,
                     s_key(after->items[i].key).text);
    }
    for (size_t i = 0; before && i < before->len; i++)
        if (!cr_strmap_get(after, before->items[i].key))
            s_change(ch, s_jstr(before->items[i].value), NULL, "%s%s", what,
                     s_key(before->items[i].key).text);
}

static void s_diff_set(struct s_changes *ch, const char *what, const struct cr_strlist *before,
                       const struct cr_strlist *after)
{
    for (size_t i = 0; i < after->len; i++)
        if (!before || !cr_strlist_contains(before, after->items[i]))
            s_change(ch, NULL, s_jstr(after->items[i]), "%s", what);
    for (size_t i = 0; before && i < before->len; i++)
        if (!cr_strlist_contains(after, before->items[i]))
            s_change(ch, s_jstr(before->items[i]), NULL, "%s", what);
}

static void s_diff_providers(struct s_changes *ch, const struct cr_cognito_pool *before,
                             const struct cr_cognito_pool *after)
{
    for (size_t i = 0; i < after->n_cognito_identity_providers; i++) {
        const struct cr_cognito_provider *p = &after->cognito_identity_providers[i];
        const struct cr_cognito_provider *q = before ? s_find_provider(before, p) : NULL;
        char *key = s_provider_key(p);
        int want = s_bool_default(p->server_side_token_check);
        if (!q)
            s_change(ch, NULL, s_dump(json_pack("{s:b}", "serverSideTokenCheck", want)),
                     "cognitoIdentityProviders%s", s_key(key).text);
        else if (s_bool_default(q->server_side_token_check) != want)
            s_change(ch, s_jbool(s_bool_default(q->server_side_token_check)), s_jbool(want),
                     "cognitoIdentityProviders%s.serverSideTokenCheck", s_key(key).text);
        free(key);
    }
    for (size_t i = 0; before && i < before->n_cognito_identity_providers; i++) {
        const struct cr_cognito_provider *q = &before->cognito_identity_providers[i];
        if (s_find_provider(after, q))
            continue;
        char *key = s_provider_key(q);
        s_change(ch,
                 s_dump(json_pack("{s:b}", "serverSideTokenCheck",
                                  s_bool_default(q->server_side_token_check))),
                 NULL, "cognitoIdentityProviders%s", s_key(key).text);
        free(key);
    }
}

/* Every UpdateIdentityPool field; before NULL = a pool being created (everything is new). */
static void s_diff_config(struct s_changes *ch, const struct cr_cognito_pool *before,
                          const struct cr_cognito_pool *after)
{
    if (!before || !s_str_eq(before->name, after->name))
        s_change(ch, before ? s_jstr(before->name) : NULL, s_jstr(after->name), "identityPoolName");
    if (!before || before->allow_unauthenticated != after->allow_unauthenticated)
        s_change(ch, before ? s_jbool(before->allow_unauthenticated) : NULL,
                 s_jbool(after->allow_unauthenticated), "allowUnauthenticatedIdentities");
    if (!before || !s_classic_flow_eq(after->allow_classic_flow, before->allow_classic_flow))
        s_change(ch, before ? s_jbool(before->allow_classic_flow) : NULL,
                 s_jbool(after->allow_classic_flow), "allowClassicFlow");
    if (!s_str_eq(before ? before->developer_provider_name : NULL, after->developer_provider_name))
        s_change(ch, before ? s_jstr(before->developer_provider_name) : NULL,
                 s_jstr(after->developer_provider_name), "developerProviderName");
    s_diff_map(ch, "supportedLoginProviders", before ? &before->supported_login_providers : NULL,
               &after->supported_login_providers);
    s_diff_providers(ch, before, after);
    s_diff_set(ch, "openIdConnectProviderARNs",
               before ? &before->open_id_connect_provider_arns : NULL,
               &after->open_id_connect_provider_arns);
    s_diff_set(ch, "samlProviderARNs", before ? &before->saml_provider_arns : NULL,
               &after->saml_provider_arns);
}

static const struct cr_cognito_role_mapping *s_find_mapping(const struct cr_cognito_roles *r,
                                                            const char *provider)
{
    for (size_t i = 0; i < r->n_mappings; i++)
        if (s_str_eq(r->mappings[i].provider, provider))
            return &r->mappings[i];
    return NULL;
}

static bool s_mapping_eq(const struct cr_cognito_role_mapping *a,
                         const struct cr_cognito_role_mapping *b)
{
    if (!s_str_eq(a->type, b->type) ||
        !s_str_eq(a->ambiguous_role_resolution, b->ambiguous_role_resolution) ||
        a->n_rules != b->n_rules)
        return false;
    /* Rules are evaluated in order: the order is part of the value. */
    for (size_t i = 0; i < a->n_rules; i++) {
        const struct cr_cognito_rule *x = &a->rules[i], *y = &b->rules[i];
        if (!s_str_eq(x->claim, y->claim) || !s_str_eq(x->match_type, y->match_type) ||
            !s_str_eq(x->value, y->value) || !s_str_eq(x->role_arn, y->role_arn))
            return false;
    }
    return true;
}

/* Field-level changes between two role attachments; before NULL = nothing attached. */
static void s_diff_roles(struct s_changes *ch, const struct cr_cognito_roles *before,
                         const struct cr_cognito_roles *after)
{
    const struct cr_strmap *b = before ? &before->roles : NULL;
    for (size_t i = 0; i < after->roles.len; i++) {
        const char *old = b ? cr_strmap_get(b, after->roles.items[i].key) : NULL;
        if (!s_str_eq(old, after->roles.items[i].value))
            s_change(ch, s_jstr(old), s_jstr(after->roles.items[i].value), "roles.%s",
                     after->roles.items[i].key);
    }
    for (size_t i = 0; b && i < b->len; i++)
        if (!cr_strmap_get(&after->roles, b->items[i].key))
            s_change(ch, s_jstr(b->items[i].value), NULL, "roles.%s", b->items[i].key);
    for (size_t i = 0; i < after->n_mappings; i++) {
        const struct cr_cognito_role_mapping *m = &after->mappings[i];
        const struct cr_cognito_role_mapping *o =
            before ? s_find_mapping(before, m->provider) : NULL;
        if (!o || !s_mapping_eq(o, m))
            s_change(ch, o ? s_dump(s_mapping_json(o)) : NULL, s_dump(s_mapping_json(m)),
                     "roleMappings%s", s_key(m->provider).text);
    }
    for (size_t i = 0; before && i < before->n_mappings; i++)
        if (!s_find_mapping(after, before->mappings[i].provider))
            s_change(ch, s_dump(s_mapping_json(&before->mappings[i])), NULL, "roleMappings%s",
                     s_key(before->mappings[i].provider).text);
}

static bool s_roles_eq(const struct cr_cognito_roles *a, const struct cr_cognito_roles *b)
{
    if (!cr_strmap_equal(&a->roles, &b->roles) || a->n_mappings != b->n_mappings)
        return false;
    for (size_t i = 0; i < a->n_mappings; i++) {
        const struct cr_cognito_role_mapping *o = s_find_mapping(b, a->mappings[i].provider);
        if (!o || !s_mapping_eq(&a->mappings[i], o))
            return false;
    }
    return true;
}

/* ---- the plan under construction ---- */

/* A live pool of our stack, indexed by region and name tag (matching is a binary search,
 * so planning stays linear-logarithmic in the number of pools). */
struct s_owned {
    const struct cr_live_pool *pool;
    size_t index; /* in live->pools */
};

struct s_ctx {
    struct cr_plan *plan;
    const struct cr_plan_options *opts;
    const struct cr_live_state *live;
    const char *stack;
    size_t ops_cap;
    struct s_owned *owned; /* sorted by region, name, id */
    size_t n_owned;
    struct s_owned *by_id; /* every live pool with an id, sorted by id (metadata.id lookups) */
    size_t n_by_id;
    /* the twins the pool being planned keeps its name from (reconcile/twins.h): owned[] range */
    size_t twins_first, twins_end;
};

/* Appends a zeroed op for pool; takes ownership of ch's items. NULL on out-of-memory. */
static struct cr_plan_op *s_op(struct s_ctx *ctx, enum cr_plan_op_kind kind, size_t pool,
                               struct s_changes *ch)
{
    struct cr_plan *plan = ctx->plan;
    if (ch && ch->oom)
        return NULL;
    if (cr_array_reserve(&plan->ops, &ctx->ops_cap, plan->n_ops, sizeof(*plan->ops), 16) < 0)
        return NULL;
    struct cr_plan_op *op = &plan->ops[plan->n_ops++];
    memset(op, 0, sizeof(*op));
    op->kind = kind;
    op->pool = pool;
    if (ch) {
        op->changes = ch->items;
        op->n_changes = ch->len;
        memset(ch, 0, sizeof(*ch)); /* now owned by op */
    }
    plan->pools[pool].n_ops++;
    return op;
}

static int s_oom(void)
{
    cr_error_set("out of memory building the plan");
    return CR_ENOMEM;
}

static const char *s_where(const struct cr_desired_pool *d)
{
    return d->source ? d->source : "(manifest)";
}

static bool s_is_ownership_key(const char *key)
{
    return strncmp(key, CR_TAG_PREFIX, strlen(CR_TAG_PREFIX)) == 0;
}

static int s_arn(char **out, struct s_ctx *ctx, const char *region, const char *pool_id)
{
    const char *account = cr_strmap_get(&ctx->live->account_ids, region);
    struct cr_buf b = CR_BUF_INIT;
    if (!account) {
        cr_error_set("region %s: account id unknown (needed for the ARN of pool %s)", region,
                     pool_id);
        return CR_EINVALID;
    }
    int rc = cr_cognito_pool_arn(&b, region, account, pool_id);
    if (rc < 0) {
        cr_buf_dispose(&b);
        return rc;
    }
    *out = cr_buf_detach(&b);
    return *out ? 0 : s_oom();
}

/* Ownership tags every pool of ours carries (design §4). */
static int s_ownership_tags(struct cr_strmap *out, struct s_ctx *ctx,
                            const struct cr_desired_pool *d)
{
    if (cr_strmap_set(out, CR_TAG_STACK, ctx->stack) < 0 ||
        cr_strmap_set(out, CR_TAG_NAME, d->name) < 0 ||
        (ctx->opts->revision && cr_strmap_set(out, CR_TAG_REVISION, ctx->opts->revision) < 0))
        return s_oom();
    return 0;
}

static bool s_roles_empty(const struct cr_cognito_roles *r)
{
    return r->roles.len == 0 && r->n_mappings == 0;
}

static int s_copy_ptags(struct cr_cognito_principal_tags *out,
                        const struct cr_cognito_principal_tags *src, const char *provider)
{
    out->provider = strdup(provider);
    out->use_defaults = src ? s_bool_default(src->use_defaults) : 0;
    if (!out->provider || (src && cr_strmap_copy(&out->tags, &src->tags) < 0))
        return s_oom();
    return 0;
}

static void s_diff_ptags(struct s_changes *ch, const char *provider,
                         const struct cr_cognito_principal_tags *before,
                         const struct cr_cognito_principal_tags *after)
{
    /* before NULL: a map never set, which reads as the service default (UseDefaults true, no
     * custom tags; docs/plan.md "Principal tags") */
    int b = before ? s_bool_default(before->use_defaults) : 1;
    int a = s_bool_default(after->use_defaults);
    struct s_key k = s_key(provider);
    if (a != b)
        s_change(ch, s_jbool(b), s_jbool(a), "principalTagAttributeMaps%s.useDefaults", k.text);
    struct cr_strmap empty = {0};
    const struct cr_strmap *bt = before ? &before->tags : &empty;
    for (size_t i = 0; i < after->tags.len; i++) {
        const char *old = cr_strmap_get(bt, after->tags.items[i].key);
        if (!s_str_eq(old, after->tags.items[i].value))
            s_change(ch, s_jstr(old), s_jstr(after->tags.items[i].value),
                     "principalTagAttributeMaps%s.principalTags%s", k.text,
                     s_key(after->tags.items[i].key).text);
    }
    for (size_t i = 0; i < bt->len; i++)
        if (!cr_strmap_get(&after->tags, bt->items[i].key))
            s_change(ch, s_jstr(bt->items[i].value), NULL,
                     "principalTagAttributeMaps%s.principalTags%s", k.text,
                     s_key(bt->items[i].key).text);
}

static const struct cr_cognito_principal_tags *s_declared(const struct cr_desired_pool *d,
                                                          const char *provider)
{
    for (size_t i = 0; i < d->n_principal_tags; i++)
        if (s_str_eq(d->principal_tags[i].provider, provider))
            return &d->principal_tags[i];
    return NULL;
}

/* A pool holds at most 50 tags, ours included (design §3): a plan whose end state would hold
 * more can never be applied, so it is refused with the counts. */
static int s_check_tag_count(const struct cr_desired_pool *d, size_t n_tags)
{
    if (n_tags <= CR_LIMIT_TAGS)
        return 0;
    cr_error_set("%s: pool '%s' would hold %zu tags after apply (its user tags and the "
                 "cognito-reconcile:* tags); an identity pool can have at most %d: remove %zu",
                 s_where(d), d->name, n_tags, CR_LIMIT_TAGS, n_tags - CR_LIMIT_TAGS);
    return CR_EINVALID;
}

/* ---- operations of one pool ---- */

/* Principal-tag maps; l NULL for a pool being created (every map unset). */
static int s_plan_ptags(struct s_ctx *ctx, size_t pi, const struct cr_desired_pool *d,
                        const struct cr_live_pool *l, const struct cr_strlist *live_keys,
                        bool replace)
{
    /* the providers of d's managed section, listed once by s_pool_fill */
    const struct cr_strlist *providers = &ctx->plan->pools[pi].providers;
    struct s_changes ch = {0};
    int result = CR_ENOMEM;
    for (size_t i = 0; i < providers->len; i++) {
        const char *p = providers->items[i];
        struct cr_cognito_principal_tags cleared = {.use_defaults = 0};
        const struct cr_cognito_principal_tags *want = s_declared(d, p);
        /* A provider's map not named in a managed section is cleared (docs/plan.md). */
        if (!want)
            want = &cleared;
        /* A provider the live pool does not have yet is compared as unset, and its map is
         * written whatever it is: one configured before and removed since has kept its old
         * map, unseen until the Update adds it back (docs/plan.md). */
        bool adding = l && !cr_strlist_contains(live_keys, p);
        const struct cr_cognito_principal_tags *have =
            l && !adding ? cr_live_principal_tags(l, p) : NULL;
        s_diff_ptags(&ch, p, have, want);
        if (ch.len == 0 && adding)
            s_change(&ch, strdup("null"), s_jbool(s_bool_default(want->use_defaults)),
                     "principalTagAttributeMaps%s.useDefaults", s_key(p).text);
        if (ch.len == 0)
            continue;
        struct cr_plan_op *op = s_op(ctx, CR_PLAN_OP_SET_PRINCIPAL_TAGS, pi, &ch);
        if (!op || s_copy_ptags(&op->params_ptags, want, p) < 0)
            goto done;
        op->replace = replace;
        if (!l)
            continue; /* a created pool: the id comes from CreateIdentityPool */
        op->params_ptags.pool_id = strdup(l->config.id);
        if (!op->params_ptags.pool_id)
            goto done;
    }
    result = ch.oom ? CR_ENOMEM : 0;
done:
    if (result < 0)
        s_oom();
    s_changes_dispose(&ch);
    return result;
}

/*
 * CreateIdentityPool carries every tag (ownership included) in IdentityPoolTags, so a pool we
 * create is never untagged, even if a later call fails. carry: the user tags a replaced pool
 * had when the manifest does not manage tags (kept across the replacement).
 */
static int s_plan_create(struct s_ctx *ctx, size_t pi, const struct cr_desired_pool *d,
                         const struct cr_strmap *carry, bool replace)
{
    struct s_changes ch = {0};
    struct cr_strmap tags = {0};
    int result = CR_ENOMEM;
    s_diff_config(&ch, NULL, &d->config);
    if (s_ownership_tags(&tags, ctx, d) < 0)
        goto done;
    const struct cr_strmap *user = d->manage_tags ? &d->tags : carry;
    for (size_t i = 0; user && i < user->len; i++)
        if (!s_is_ownership_key(user->items[i].key) &&
            cr_strmap_set(&tags, user->items[i].key, user->items[i].value) < 0)
            goto done;
    result = s_check_tag_count(d, tags.len); /* a replaced pool's kept tags and ours */
    if (result < 0)
        goto done;
    /* The mark that cognito-reconcile made the pool: only such twins are ever deleted
     * (reconcile/twins.h). Not reserved by validation: a pool whose tags leave no room for it
     * is created without it, and its twins are then reported rather than healed. */
    if (tags.len < CR_LIMIT_TAGS &&
        cr_strmap_set(&tags, CR_TAG_CREATED_BY, CR_TAG_CREATED_BY_VALUE) < 0) {
        result = CR_ENOMEM;
        goto done;
    }
    result = CR_ENOMEM;
    s_diff_map(&ch, "tags", NULL, &tags);
    struct cr_plan_op *op = s_op(ctx, CR_PLAN_OP_CREATE, pi, &ch);
    if (!op)
        goto done;
    op->replace = replace;
    if (cr_cognito_pool_copy(&op->params_pool, &d->config) < 0)
        goto done;
    free(op->params_pool.id);
    op->params_pool.id = NULL;
    op->params_pool.has_tags = true;
    cr_strmap_dispose(&op->params_pool.tags);
    op->params_pool.tags = tags;
    memset(&tags, 0, sizeof(tags)); /* now owned by op */

    if (d->manage_roles && !s_roles_empty(&d->roles)) {
        s_diff_roles(&ch, NULL, &d->roles);
        op = s_op(ctx, CR_PLAN_OP_SET_ROLES, pi, &ch);
        if (!op || cr_cognito_roles_copy(&op->params_roles, &d->roles) < 0)
            goto done;
        op->replace = replace;
    }
    /* A new pool's maps are all unset (the service default): every provider of a managed
     * section whose desired map differs from that gets a call. */
    if (d->manage_principal_tags) {
        result = s_plan_ptags(ctx, pi, d, NULL, NULL, replace);
        if (result < 0)
            goto done;
    }
    result = 0;
done:
    if (result == CR_ENOMEM)
        s_oom();
    s_changes_dispose(&ch);
    cr_strmap_dispose(&tags);
    return result;
}

/* The role attachment with only the mappings whose provider `config` has configured. */
static int s_roles_restricted(struct cr_cognito_roles *out, const struct cr_cognito_roles *src,
                              const struct cr_strlist *keys)
{
    if (cr_cognito_roles_copy(out, src) < 0)
        return CR_ENOMEM;
    size_t kept = 0;
    for (size_t i = 0; i < out->n_mappings; i++) {
        if (cr_strlist_contains(keys, out->mappings[i].provider))
            out->mappings[kept++] = out->mappings[i];
        else
            cr_cognito_role_mapping_dispose(&out->mappings[i]);
    }
    out->n_mappings = kept;
    return 0;
}

static int s_set_roles_op(struct s_ctx *ctx, size_t pi, const struct cr_cognito_roles *before,
                          const struct cr_cognito_roles *after, const char *pool_id)
{
    struct s_changes ch = {0};
    s_diff_roles(&ch, before, after);
    struct cr_plan_op *op = s_op(ctx, CR_PLAN_OP_SET_ROLES, pi, &ch);
    s_changes_dispose(&ch);
    if (!op || cr_cognito_roles_copy(&op->params_roles, after) < 0)
        return s_oom();
    free(op->params_roles.pool_id);
    op->params_roles.pool_id = strdup(pool_id);
    return op->params_roles.pool_id ? 0 : s_oom();
}

/*
 * Roles of an existing pool. Returns via *after_update the attachment still to set after the
 * UpdateIdentityPool (or NULL). When the Update removes a provider that a live mapping names,
 * SetIdentityPoolRoles must drop that mapping first (service-behaviour.md: a kept mapping of
 * a removed provider is rejected), so the roles call moves before the Update; if the desired
 * mappings also name a provider the Update adds, a second call after the Update completes it.
 */
static int s_plan_roles_before(struct s_ctx *ctx, size_t pi, const struct cr_desired_pool *d,
                               const struct cr_live_pool *l, bool updating,
                               const struct cr_strlist *desired_keys,
                               const struct cr_strlist *live_keys, struct cr_cognito_roles *pre,
                               bool *pre_done, bool *after_update)
{
    *after_update = false;
    *pre_done = false;
    if (!d->manage_roles || s_roles_eq(&l->roles, &d->roles))
        return 0;
    bool drops_removed = false;
    for (size_t i = 0; updating && i < l->roles.n_mappings; i++)
        if (!cr_strlist_contains(desired_keys, l->roles.mappings[i].provider))
            drops_removed = true;
    if (!drops_removed) {
        *after_update = true;
        return 0;
    }
    if (s_roles_restricted(pre, &d->roles, live_keys) < 0)
        return s_oom();
    int rc = s_set_roles_op(ctx, pi, &l->roles, pre, l->config.id);
    *pre_done = rc == 0;
    if (rc == 0)
        *after_update = pre->n_mappings != d->roles.n_mappings;
    return rc;
}

/*
 * TagResource then UntagResource. Ownership tags are ensured whether or not the manifest
 * manages tags, and are never removed; the revision tag is written only when the pool changes
 * for another reason, so a new commit alone does not make every pool "changed".
 */
/* The tags TagResource must set: ownership tags that differ, and (when managed) user tags
 * that are missing or differ. */
static int s_tags_to_set(struct cr_strmap *add, struct s_ctx *ctx, const struct cr_desired_pool *d,
                         const struct cr_strmap *have)
{
    const char *own[][2] = {{CR_TAG_STACK, ctx->stack}, {CR_TAG_NAME, d->name}};
    for (size_t i = 0; i < 2; i++)
        if (!s_str_eq(cr_strmap_get(have, own[i][0]), own[i][1]) &&
            cr_strmap_set(add, own[i][0], own[i][1]) < 0)
            return CR_ENOMEM;
    for (size_t i = 0; d->manage_tags && i < d->tags.len; i++)
        if (!s_str_eq(cr_strmap_get(have, d->tags.items[i].key), d->tags.items[i].value) &&
            cr_strmap_set(add, d->tags.items[i].key, d->tags.items[i].value) < 0)
            return CR_ENOMEM;
    return 0;
}

/* The user tags UntagResource removes (never an ownership tag), sorted. */
static int s_tags_to_remove(struct cr_strlist *remove, const struct cr_desired_pool *d,
                            const struct cr_strmap *have)
{
    for (size_t i = 0; d->manage_tags && i < have->len; i++)
        if (!s_is_ownership_key(have->items[i].key) &&
            !cr_strmap_get(&d->tags, have->items[i].key) &&
            cr_strlist_push(remove, have->items[i].key) < 0)
            return CR_ENOMEM;
    cr_strlist_sort(remove);
    return 0;
}

/* Appends a TagResource (add != NULL) or UntagResource op; takes over *add or *remove. */
static int s_tag_op(struct s_ctx *ctx, size_t pi, const struct cr_live_pool *l,
                    struct cr_strmap *add, struct cr_strlist *remove)
{
    const struct cr_strmap *have = &l->config.tags;
    struct s_changes ch = {0};
    size_t n = add ? add->len : remove->len;
    for (size_t i = 0; i < n; i++) {
        const char *key = add ? add->items[i].key : remove->items[i];
        s_change(&ch, s_jstr(cr_strmap_get(have, key)), add ? s_jstr(add->items[i].value) : NULL,
                 "tags%s", s_key(key).text);
    }
    struct cr_plan_op *op = s_op(ctx, add ? CR_PLAN_OP_TAG : CR_PLAN_OP_UNTAG, pi, &ch);
    s_changes_dispose(&ch);
    if (!op)
        return s_oom();
    if (add) {
        op->params_tags = *add;
        memset(add, 0, sizeof(*add)); /* now owned by op */
    } else {
        op->params_untag = *remove;
        memset(remove, 0, sizeof(*remove)); /* now owned by op */
    }
    return s_arn(&op->arn, ctx, l->region, l->config.id);
}

static int s_plan_tags(struct s_ctx *ctx, size_t pi, const struct cr_desired_pool *d,
                       const struct cr_live_pool *l, bool adopted)
{
    struct cr_strmap add = {0};
    struct cr_strlist remove = {0};
    int result = CR_ENOMEM;
    if (s_tags_to_set(&add, ctx, d, &l->config.tags) < 0 ||
        s_tags_to_remove(&remove, d, &l->config.tags) < 0)
        goto done;
    bool changed = ctx->plan->pools[pi].n_ops > 0 || add.len || remove.len || adopted;
    if (changed && ctx->opts->revision && !s_str_eq(l->revision, ctx->opts->revision) &&
        cr_strmap_set(&add, CR_TAG_REVISION, ctx->opts->revision) < 0)
        goto done;
    /* Each call must be valid when it is made: when the tags added on top of the live ones
     * would pass the limit, UntagResource makes room first. */
    size_t new_keys = 0;
    for (size_t i = 0; i < add.len; i++)
        new_keys += cr_strmap_get(&l->config.tags, add.items[i].key) == NULL;
    result = s_check_tag_count(d, l->config.tags.len + new_keys - remove.len);
    if (result < 0)
        goto done;
    bool untag_first = l->config.tags.len + new_keys > CR_LIMIT_TAGS;
    if (untag_first && remove.len)
        result = s_tag_op(ctx, pi, l, NULL, &remove);
    if (result == 0 && add.len)
        result = s_tag_op(ctx, pi, l, &add, NULL);
    if (result == 0 && remove.len)
        result = s_tag_op(ctx, pi, l, NULL, &remove);
done:
    if (result == CR_ENOMEM)
        s_oom();
    cr_strmap_dispose(&add);
    cr_strlist_dispose(&remove);
    return result;
}

/* UpdateIdentityPool replaces the whole configuration: send all of it, with
 * DeveloperProviderName (kept by the service when omitted, but sent anyway). */
static int s_update_op(struct s_ctx *ctx, size_t pi, const struct cr_desired_pool *d,
                       const struct cr_live_pool *l, struct s_changes *ch)
{
    struct cr_plan_op *op = s_op(ctx, CR_PLAN_OP_UPDATE, pi, ch);
    if (!op || cr_cognito_pool_copy(&op->params_pool, &d->config) < 0)
        return s_oom();
    free(op->params_pool.id);
    op->params_pool.id = strdup(l->config.id);
    op->params_pool.has_tags = false;
    return op->params_pool.id ? 0 : s_oom();
}

/* The section reads the plan relies on happened (a saved plan's wants, a reader bug). */
static int s_check_read(const struct cr_desired_pool *d, const struct cr_live_pool *l)
{
    if ((d->manage_roles && !l->has_roles) ||
        (d->manage_principal_tags && !l->has_principal_tags)) {
        cr_error_set("%s: pool '%s' (%s): roles or principal-tag maps were not read", s_where(d),
                     d->name, l->config.id);
        return CR_EINVALID;
    }
    return 0;
}

/* An existing pool: Update, roles, principal tags, tags (each only when something differs). */
static int s_plan_existing(struct s_ctx *ctx, size_t pi, const struct cr_desired_pool *d,
                           const struct cr_live_pool *l, bool adopted)
{
    struct s_changes ch = {0};
    struct cr_strlist desired_keys = {0}, live_keys = {0};
    struct cr_cognito_roles pre = {0};
    bool roles_after = false, pre_done = false;
    int result = s_check_read(d, l);
    if (result < 0)
        goto done;
    result = CR_ENOMEM;
    if (cr_desired_provider_keys(&desired_keys, &d->config) < 0 ||
        cr_desired_provider_keys(&live_keys, &l->config) < 0)
        goto done;
    s_diff_config(&ch, &l->config, &d->config);
    bool updating = ch.len > 0;
    result = s_plan_roles_before(ctx, pi, d, l, updating, &desired_keys, &live_keys, &pre,
                                 &pre_done, &roles_after);
    if (result < 0)
        goto done;
    if (updating) {
        result = s_update_op(ctx, pi, d, l, &ch);
        if (result < 0)
            goto done;
    }
    if (roles_after) {
        result = s_set_roles_op(ctx, pi, pre_done ? &pre : &l->roles, &d->roles, l->config.id);
        if (result < 0)
            goto done;
    }
    if (d->manage_principal_tags) {
        result = s_plan_ptags(ctx, pi, d, l, &live_keys, false);
        if (result < 0)
            goto done;
    }
    result = s_plan_tags(ctx, pi, d, l, adopted);
done:
    if (result == CR_ENOMEM)
        s_oom();
    s_changes_dispose(&ch);
    cr_strlist_dispose(&desired_keys);
    cr_strlist_dispose(&live_keys);
    cr_cognito_roles_dispose(&pre);
    return result;
}

/* Changing a developerProviderName once set (or removing it) cannot be done in place. */
static bool s_needs_replace(const struct cr_desired_pool *d, const struct cr_live_pool *l)
{
    return l->config.developer_provider_name &&
           !s_str_eq(l->config.developer_provider_name, d->config.developer_provider_name);
}

static int s_plan_replace(struct s_ctx *ctx, size_t pi, const struct cr_desired_pool *d,
                          const struct cr_live_pool *l)
{
    struct cr_plan_pool *pool = &ctx->plan->pools[pi];
    struct cr_buf note = CR_BUF_INIT;
    cr_buf_printf(
        &note,
        "developerProviderName \"%s\" \xe2\x86\x92 %s%s%s cannot change in place: the pool is "
        "deleted and created again, destroying all its identities",
        l->config.developer_provider_name, d->config.developer_provider_name ? "\"" : "",
        d->config.developer_provider_name ? d->config.developer_provider_name : "(none)",
        d->config.developer_provider_name ? "\"" : "");
    /* metadata.id pins the old id, which the next plan would look for in vain */
    if (d->adopt_id)
        cr_buf_printf(&note, "; metadata.id then names the deleted pool: remove it (the new pool "
                             "carries the ownership tags)");
    if (cr_buf_oom(&note)) {
        cr_buf_dispose(&note);
        return s_oom();
    }
    if (!ctx->opts->allow_replace) {
        cr_error_set("%s: pool '%s' (%s): %s; refused without --allow-replace", s_where(d), d->name,
                     l->config.id, cr_buf_cstr(&note));
        cr_buf_dispose(&note);
        return CR_EREFUSED;
    }
    pool->note = cr_buf_detach(&note);
    struct cr_plan_op *op = s_op(ctx, CR_PLAN_OP_DELETE, pi, NULL);
    if (!op)
        return s_oom();
    op->replace = true;
    return s_plan_create(ctx, pi, d, &l->config.tags, true);
}

static int s_cmp_key(const char *region, const char *name, const struct cr_live_pool *l)
{
    int c = strcmp(region, l->region);
    return c ? c : strcmp(name, l->name);
}

static int s_cmp_owned(const void *a, const void *b)
{
    const struct cr_live_pool *x = ((const struct s_owned *)a)->pool;
    const struct cr_live_pool *y = ((const struct s_owned *)b)->pool;
    int c = s_cmp_key(x->region, x->name, y);
    return c ? c : strcmp(x->config.id ? x->config.id : "", y->config.id ? y->config.id : "");
}

static int s_index_owned(struct s_ctx *ctx)
{
    const struct cr_live_state *live = ctx->live;
    ctx->owned = calloc(live->len ? live->len : 1, sizeof(*ctx->owned));
    if (!ctx->owned)
        return s_oom();
    for (size_t i = 0; i < live->len; i++) {
        const struct cr_live_pool *l = live->pools[i];
        if (l->stack && l->name && strcmp(l->stack, ctx->stack) == 0)
            ctx->owned[ctx->n_owned++] = (struct s_owned){l, i};
    }
    qsort(ctx->owned, ctx->n_owned, sizeof(*ctx->owned), s_cmp_owned);
    return 0;
}

static int s_cmp_id(const void *a, const void *b)
{
    const struct s_owned *x = a, *y = b;
    int c = strcmp(x->pool->config.id, y->pool->config.id);
    return c ? c : (x->index < y->index ? -1 : x->index > y->index);
}

/* Every live pool by id, so adopting 1,000 pools by metadata.id is not 1,000 passes over the
 * live state. */
static int s_index_ids(struct s_ctx *ctx)
{
    const struct cr_live_state *live = ctx->live;
    ctx->by_id = calloc(live->len ? live->len : 1, sizeof(*ctx->by_id));
    if (!ctx->by_id)
        return s_oom();
    for (size_t i = 0; i < live->len; i++)
        if (live->pools[i]->config.id)
            ctx->by_id[ctx->n_by_id++] = (struct s_owned){live->pools[i], i};
    qsort(ctx->by_id, ctx->n_by_id, sizeof(*ctx->by_id), s_cmp_id);
    return 0;
}

/* The first live pool with this id in ctx->by_id, or n_by_id. */
static size_t s_lower_bound_id(const struct s_ctx *ctx, const char *id)
{
    size_t lo = 0, hi = ctx->n_by_id;
    while (lo < hi) {
        size_t mid = lo + (hi - lo) / 2;
        if (strcmp(ctx->by_id[mid].pool->config.id, id) < 0)
            lo = mid + 1;
        else
            hi = mid;
    }
    return lo;
}

/* The first owned pool with this region and name tag, or n_owned. */
static size_t s_lower_bound(const struct s_ctx *ctx, const char *region, const char *name)
{
    size_t lo = 0, hi = ctx->n_owned;
    while (lo < hi) {
        size_t mid = lo + (hi - lo) / 2;
        if (s_cmp_key(region, name, ctx->owned[mid].pool) > 0)
            lo = mid + 1;
        else
            hi = mid;
    }
    return lo;
}

/* metadata.id: the pool with that id, if it may be adopted. */
static int s_match_id(const struct cr_live_pool **out, size_t *index, bool *adopted,
                      struct s_ctx *ctx, const struct cr_desired_pool *d, const char *region)
{
    for (size_t k = s_lower_bound_id(ctx, d->adopt_id);
         k < ctx->n_by_id && !*out && strcmp(ctx->by_id[k].pool->config.id, d->adopt_id) == 0;
         k++) {
        if (strcmp(ctx->by_id[k].pool->region, region) == 0) {
            *out = ctx->by_id[k].pool;
            *index = ctx->by_id[k].index;
        }
    }
    const struct cr_live_pool *l = *out;
    if (!l) {
        cr_error_set("%s: pool '%s': metadata.id '%s' is not an identity pool in %s", s_where(d),
                     d->name, d->adopt_id, region);
        return CR_ENOTFOUND;
    }
    if (l->stack && strcmp(l->stack, ctx->stack) != 0) {
        cr_error_set("%s: pool '%s': metadata.id '%s' belongs to stack '%s' (tag %s), not "
                     "'%s'; refusing to adopt it",
                     s_where(d), d->name, d->adopt_id, l->stack, CR_TAG_STACK, ctx->stack);
        return CR_ECONFLICT;
    }
    *adopted = !l->stack || !l->name || strcmp(l->name, d->name) != 0;
    return 0;
}

/*
 * Twins (reconcile/twins.h): owned[first, end) all carry the name tag of d. The rule's keeper
 * is the match; the other pools are deleted by the plan (s_plan_twins) when the rule allows,
 * else the plan stops with the remediation.
 */
static int s_match_twins(const struct cr_live_pool **out, size_t *index, struct s_ctx *ctx,
                         const struct cr_desired_pool *d, size_t first, size_t end)
{
    size_t n = end - first;
    const struct cr_live_pool **group = calloc(n, sizeof(*group));
    if (!group)
        return s_oom();
    for (size_t k = 0; k < n; k++)
        group[k] = ctx->owned[first + k].pool;
    size_t keeper = cr_twins_keeper(group, n, NULL);
    int result = 0;
    for (size_t k = 0; result == 0 && k < n; k++)
        if (k != keeper && cr_twins_blocker(group[k]))
            result = CR_ECONFLICT;
    if (result < 0) {
        struct cr_buf msg = CR_BUF_INIT;
        result = cr_twins_describe(&msg, s_where(d), ctx->stack, d->name, group, n, keeper,
                                   cr_strmap_get(&ctx->live->account_ids, group[keeper]->region));
        if (result == 0) {
            cr_error_set("%s", msg.ptr);
            result = CR_ECONFLICT;
        } else {
            s_oom();
        }
        cr_buf_dispose(&msg);
    } else {
        *out = group[keeper];
        *index = ctx->owned[first + keeper].index;
        ctx->twins_first = first;
        ctx->twins_end = end;
    }
    free(group);
    return result;
}

/*
 * Finds the live pool a desired pool manages (design §4) and its index in live, or NULL when
 * it must be created. A pool of another stack never matches by name.
 */
static int s_match(const struct cr_live_pool **out, size_t *index, bool *adopted, struct s_ctx *ctx,
                   const struct cr_desired_pool *d, const char *region)
{
    *out = NULL;
    *adopted = false;
    if (d->adopt_id) {
        int rc = s_match_id(out, index, adopted, ctx, d, region);
        if (rc < 0)
            return rc;
    }
    if (!cr_strlist_contains(&ctx->live->regions, region)) {
        if (d->adopt_id)
            return 0;
        cr_error_set("%s: pool '%s': the live state of region %s was not read", s_where(d), d->name,
                     region);
        return CR_EINVALID;
    }
    size_t first = s_lower_bound(ctx, region, d->name), end = first;
    while (end < ctx->n_owned && s_cmp_key(region, d->name, ctx->owned[end].pool) == 0)
        end++;
    if (!d->adopt_id && end - first > 1)
        return s_match_twins(out, index, ctx, d, first, end);
    for (size_t k = first; k < end; k++) {
        const struct cr_live_pool *l = ctx->owned[k].pool;
        if (l == *out)
            continue;
        if (*out) {
            cr_error_set("%s: pool '%s' (stack '%s', %s): identity pools %s and %s both claim "
                         "it%s; remove the %s tag from one",
                         s_where(d), d->name, ctx->stack, region, (*out)->config.id, l->config.id,
                         d->adopt_id ? " (metadata.id and the name tag)" : " by their name tag",
                         CR_TAG_NAME);
            return CR_ECONFLICT;
        }
        *out = l;
        *index = ctx->owned[k].index;
    }
    return 0;
}

static int s_pool_fill(struct cr_plan_pool *p, const struct cr_desired_pool *d, const char *region,
                       const struct cr_live_pool *l)
{
    bool oom = false;
    p->name = cr_strdup_null(d->name, &oom);
    p->region = cr_strdup_null(region, &oom);
    p->source = cr_strdup_null(d->source, &oom);
    p->adopt_id = cr_strdup_null(d->adopt_id, &oom);
    p->pool_id = l ? cr_strdup_null(l->config.id, &oom) : NULL;
    p->live_revision = l ? cr_strdup_null(l->revision, &oom) : NULL;
    p->identity_pool_name = cr_strdup_null(d->config.name, &oom);
    p->read_roles = d->manage_roles;
    p->read_principal_tags = d->manage_principal_tags;
    if (oom ||
        (d->manage_principal_tags && cr_desired_principal_tag_providers(&p->providers, d) < 0))
        return s_oom();
    return cr_live_fingerprint(p->fingerprint, l);
}

/* A whole-pool deletion (prune, a twin): its own plan entry with one DeleteIdentityPool. */
static int s_plan_delete(struct s_ctx *ctx, const struct cr_live_pool *l, const char *note)
{
    size_t pi = ctx->plan->n_pools++;
    struct cr_plan_pool *p = &ctx->plan->pools[pi];
    bool oom = false;
    p->name = cr_strdup_null(l->name ? l->name : l->config.id, &oom);
    p->region = cr_strdup_null(l->region, &oom);
    p->pool_id = cr_strdup_null(l->config.id, &oom);
    p->live_revision = cr_strdup_null(l->revision, &oom);
    p->identity_pool_name = cr_strdup_null(l->config.name, &oom);
    p->action = CR_PLAN_DELETE;
    p->first_op = ctx->plan->n_ops;
    p->note = cr_strdup_null(note, &oom);
    if (oom || !s_op(ctx, CR_PLAN_OP_DELETE, pi, NULL))
        return s_oom();
    return cr_live_fingerprint(p->fingerprint, l);
}

static int s_cmp_prune(const void *a, const void *b)
{
    const struct cr_live_pool *x = *(const struct cr_live_pool *const *)a;
    const struct cr_live_pool *y = *(const struct cr_live_pool *const *)b;
    int c = strcmp(x->region, y->region);
    if (c == 0)
        c = strcmp(x->name ? x->name : "", y->name ? y->name : "");
    if (c == 0)
        c = strcmp(x->config.id ? x->config.id : "", y->config.id ? y->config.id : "");
    return c;
}

/* --prune: owned pools that no manifest names are deleted (design §5). */
static int s_plan_prune(struct s_ctx *ctx, const bool *claimed)
{
    const struct cr_live_state *live = ctx->live;
    const struct cr_live_pool **orphans = calloc(live->len ? live->len : 1, sizeof(*orphans));
    size_t n = 0;
    if (!orphans)
        return s_oom();
    for (size_t i = 0; i < live->len; i++) {
        const struct cr_live_pool *l = live->pools[i];
        if (!claimed[i] && l->stack && strcmp(l->stack, ctx->stack) == 0 &&
            cr_strlist_contains(&live->regions, l->region))
            orphans[n++] = l;
    }
    qsort(orphans, n, sizeof(*orphans), s_cmp_prune);
    int result = 0;
    for (size_t i = 0; result == 0 && i < n; i++)
        result = s_plan_delete(ctx, orphans[i], "owned by the stack, named by no manifest (--prune)");
    free(orphans);
    return result;
}

/* The twins the rule deletes (every one but the match, s_match_twins), claimed so that
 * --prune does not plan them again. */
static int s_plan_twins(struct s_ctx *ctx, const struct cr_live_pool *keeper, bool *claimed)
{
    int result = 0;
    for (size_t k = ctx->twins_first; result == 0 && k < ctx->twins_end; k++) {
        const struct cr_live_pool *l = ctx->owned[k].pool;
        if (l == keeper)
            continue;
        char *note = cr_twins_note(ctx->stack, keeper);
        result = note ? s_plan_delete(ctx, l, note) : s_oom();
        claimed[ctx->owned[k].index] = true;
        free(note);
    }
    ctx->twins_first = ctx->twins_end = 0;
    return result;
}

static int s_plan_desired(struct s_ctx *ctx, const struct cr_desired_pool *d, const char *region,
                          bool *claimed)
{
    const struct cr_live_pool *l = NULL;
    size_t index = 0;
    bool adopted = false;
    int rc = s_match(&l, &index, &adopted, ctx, d, region);
    if (rc < 0)
        return rc;
    if (l && claimed[index]) {
        cr_error_set("%s: pool '%s': identity pool %s is already claimed by another manifest",
                     s_where(d), d->name, l->config.id);
        return CR_ECONFLICT;
    }
    if (l)
        claimed[index] = true;
    size_t pi = ctx->plan->n_pools++;
    struct cr_plan_pool *p = &ctx->plan->pools[pi];
    rc = s_pool_fill(p, d, region, l);
    if (rc < 0)
        return rc;
    p->first_op = ctx->plan->n_ops;
    p->adopted = adopted;
    if (!l) {
        p->action = CR_PLAN_CREATE;
        return s_plan_create(ctx, pi, d, NULL, false);
    }
    if (s_needs_replace(d, l)) {
        p->action = CR_PLAN_REPLACE;
        rc = s_plan_replace(ctx, pi, d, l);
    } else {
        rc = s_plan_existing(ctx, pi, d, l, adopted);
        p->action = p->n_ops ? CR_PLAN_UPDATE : CR_PLAN_NOOP;
    }
    return rc < 0 ? rc : s_plan_twins(ctx, l, claimed);
}

static void s_count(struct cr_plan *plan)
{
    for (size_t i = 0; i < plan->n_pools; i++) {
        switch (plan->pools[i].action) {
        case CR_PLAN_CREATE:
            plan->n_create++;
            break;
        case CR_PLAN_UPDATE:
            plan->n_update++;
            break;
        case CR_PLAN_DELETE:
            plan->n_delete++;
            break;
        case CR_PLAN_REPLACE:
            plan->n_replace++;
            plan->n_create++;
            plan->n_delete++;
            break;
        case CR_PLAN_NOOP:
        default:
            break;
        }
    }
}

/* A desired pool's (region, name), sortable: duplicates become neighbours. */
struct s_name_key {
    const char *region;
    const char *name;
    size_t i; /* index into desired */
};

static int s_name_key_cmp(const void *a, const void *b)
{
    const struct s_name_key *x = a, *y = b;
    int c = strcmp(x->region, y->region);
    if (c == 0)
        c = strcmp(x->name, y->name);
    return c ? c : (x->i < y->i ? -1 : x->i > y->i);
}

/* metadata.name is unique per region: names the earliest document that repeats one (sorted,
 * not pairwise: 1,000 pools were half a million comparisons). */
static int s_check_unique(const struct cr_desired_pool *desired, size_t n,
                          const char *const *regions)
{
    size_t dup = n, first = 0;
    struct s_name_key *keys = calloc(n ? n : 1, sizeof(*keys));
    if (!keys)
        return s_oom();
    for (size_t i = 0; i < n; i++)
        keys[i] = (struct s_name_key){regions[i], desired[i].name, i};
    qsort(keys, n, sizeof(*keys), s_name_key_cmp);
    for (size_t k = 1, start = 0; k < n; k++) {
        if (strcmp(keys[k].region, keys[start].region) != 0 ||
            strcmp(keys[k].name, keys[start].name) != 0)
            start = k;
        else if (k == start + 1 && keys[k].i < dup) { /* the second of its group */
            dup = keys[k].i;
            first = keys[start].i;
        }
    }
    free(keys);
    if (dup == n)
        return 0;
    cr_error_set("%s: pool '%s' is also defined at %s (metadata.name must be unique per stack and "
                 "region)",
                 s_where(&desired[dup]), desired[dup].name, s_where(&desired[first]));
    return CR_EINVALID;
}

/* Each desired pool's region: metadata.region, else the default. */
static int s_resolve_regions(const char **regions, const struct cr_desired_pool *desired, size_t n,
                             const char *default_region)
{
    for (size_t i = 0; i < n; i++) {
        regions[i] = desired[i].region ? desired[i].region : default_region;
        if (!regions[i] || !desired[i].name) {
            cr_error_set("%s: pool '%s': no region (set metadata.region or --region)",
                         s_where(&desired[i]), desired[i].name ? desired[i].name : "?");
            return CR_EINVALID;
        }
    }
    return 0;
}

/* The regions the plan covers: its pools' and those whose pools were listed. */
static int s_plan_regions(struct cr_plan *plan, const struct cr_live_state *live)
{
    for (size_t i = 0; i < plan->n_pools; i++)
        if (!cr_strlist_contains(&plan->regions, plan->pools[i].region) &&
            cr_strlist_push(&plan->regions, plan->pools[i].region) < 0)
            return s_oom();
    for (size_t i = 0; i < live->regions.len; i++)
        if (!cr_strlist_contains(&plan->regions, live->regions.items[i]) &&
            cr_strlist_push(&plan->regions, live->regions.items[i]) < 0)
            return s_oom();
    cr_strlist_sort(&plan->regions);
    return 0;
}

/* A copy of a desired pool for the plan to keep, with its resolved region. */
static int s_desired_copy(struct cr_desired_pool *out, const struct cr_desired_pool *d,
                          const char *region)
{
    bool oom = false;
    cr_desired_pool_init(out);
    out->name = cr_strdup_null(d->name, &oom);
    out->account = cr_strdup_null(d->account, &oom);
    out->region = cr_strdup_null(region, &oom);
    out->adopt_id = cr_strdup_null(d->adopt_id, &oom);
    out->source = cr_strdup_null(d->source, &oom);
    out->manage_roles = d->manage_roles;
    out->manage_principal_tags = d->manage_principal_tags;
    out->manage_tags = d->manage_tags;
    out->principal_tags = calloc(d->n_principal_tags + 1, sizeof(*out->principal_tags));
    if (oom || !out->principal_tags || cr_cognito_pool_copy(&out->config, &d->config) < 0 ||
        cr_cognito_roles_copy(&out->roles, &d->roles) < 0 ||
        cr_strmap_copy(&out->tags, &d->tags) < 0)
        return s_oom();
    for (size_t i = 0; i < d->n_principal_tags; i++) {
        out->n_principal_tags = i + 1;
        if (s_copy_ptags(&out->principal_tags[i], &d->principal_tags[i],
                         d->principal_tags[i].provider) < 0)
            return CR_ENOMEM;
    }
    return 0;
}

/*
 * What the plan was computed from, kept in it so that a saved plan can be computed again and
 * compared (docs/plan.md "Saved plans"): the options, the desired pools, the regions listed
 * and, there, every pool of the stack with its name tag.
 */
static int s_keep_inputs(struct s_ctx *ctx, const struct cr_desired_pool *desired, size_t n,
                         const char *const *regions)
{
    struct cr_plan *plan = ctx->plan;
    const struct cr_live_state *live = ctx->live;
    plan->prune = ctx->opts->prune;
    plan->allow_replace = ctx->opts->allow_replace;
    plan->desired = calloc(n ? n : 1, sizeof(*plan->desired));
    if (!plan->desired)
        return s_oom();
    for (size_t i = 0; i < n; i++) {
        plan->n_desired = i + 1;
        if (s_desired_copy(&plan->desired[i], &desired[i], regions[i]) < 0)
            return CR_ENOMEM;
    }
    if (cr_strlist_copy(&plan->listed, &live->regions) < 0)
        return s_oom();
    cr_strlist_sort(&plan->listed);
    for (size_t i = 0; i < live->len; i++) {
        const struct cr_live_pool *l = live->pools[i];
        if (l->stack && strcmp(l->stack, ctx->stack) == 0 && l->config.id &&
            cr_strlist_contains(&plan->listed, l->region) &&
            cr_strmap_set(&plan->owned, l->config.id, l->name ? l->name : "") < 0)
            return s_oom();
    }
    return 0;
}

int cr_plan__build_account(struct cr_plan *out, const struct cr_desired_pool *desired,
                           size_t n_desired, const struct cr_live_state *live,
                           const struct cr_plan_options *opts)
{
    struct s_ctx ctx = {.plan = out, .opts = opts, .live = live};
    const char **regions = calloc(n_desired ? n_desired : 1, sizeof(*regions));
    bool *claimed = calloc(live->len ? live->len : 1, sizeof(*claimed));
    int result = CR_ENOMEM;
    cr_plan_init(out);
    ctx.stack = opts->stack ? opts->stack : "default";
    out->stack = strdup(ctx.stack);
    out->revision = opts->revision ? strdup(opts->revision) : NULL;
    out->pools = calloc(n_desired + live->len + 1, sizeof(*out->pools));
    if (!regions || !claimed || !out->stack || !out->pools || (opts->revision && !out->revision)) {
        s_oom();
        goto done;
    }
    result = s_resolve_regions(regions, desired, n_desired, opts->region);
    if (result == 0)
        result = s_check_unique(desired, n_desired, regions);
    if (result == 0)
        result = s_index_owned(&ctx);
    if (result == 0)
        result = s_index_ids(&ctx);
    for (size_t i = 0; result == 0 && i < n_desired; i++)
        result = s_plan_desired(&ctx, &desired[i], regions[i], claimed);
    if (result == 0 && opts->prune)
        result = s_plan_prune(&ctx, claimed);
    if (result == 0)
        result = s_plan_regions(out, live);
    if (result == 0)
        result = s_keep_inputs(&ctx, desired, n_desired, regions);
    if (result == 0)
        s_count(out);
done:
    if (result < 0)
        cr_plan_dispose(out);
    free(regions);
    free(claimed);
    free(ctx.owned);
    free(ctx.by_id);
    return result;
}
