/* SPDX-License-Identifier: Apache-2.0 */
#ifndef CR_TEST_PLAN_FIXTURE_H
#define CR_TEST_PLAN_FIXTURE_H
/*
 * A small world shared by the diff, render and saved-plan tests: the manifest "mobile" and a
 * live pool that matches it exactly, so each test changes one thing and reads the plan.
 */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "reconcile/desired.h"
#include "reconcile/live.h"
#include "reconcile/plan.h"
#include "tests/support/cr_test.h"

#define FX_REGION    "us-east-1"
#define FX_ACCOUNT   "123456789012"
#define FX_ID        "us-east-1:11111111-2222-3333-4444-555555555555"
#define FX_UP        "cognito-idp.us-east-1.amazonaws.com/us-east-1_Ab12Cd34"
#define FX_CLIENT    "6lhlkkfbfb4q5kpp90urffae"
#define FX_UPKEY     FX_UP ":" FX_CLIENT
#define FX_OIDC      "arn:aws:iam::123456789012:oidc-provider/auth.example.com"
#define FX_OIDC_HOST "auth.example.com"
#define FX_ROLE(x)   "arn:aws:iam::123456789012:role/" x

/* Compares text with tests/data/golden/<name> (or rewrites it with CR_UPDATE_GOLDEN=1). */
static inline void fx_golden(const char *name, const struct cr_buf *text)
{
    char rel[256];
    snprintf(rel, sizeof(rel), "tests/data/golden/%s", name);
    const char *path = cr_test_source_path(rel);
    const char *update = getenv("CR_UPDATE_GOLDEN");
    if (update && strcmp(update, "1") == 0) {
        assert_int_equal(cr_test_write_file(path, cr_buf_cstr(text)), 0);
        return;
    }
    struct cr_buf want = CR_BUF_INIT;
    assert_ok(cr_buf_read_file(&want, path, 1 << 20));
    if (strcmp(cr_buf_cstr(&want), cr_buf_cstr(text)) != 0) {
        print_error("%s differs from the golden file %s (CR_UPDATE_GOLDEN=1 rewrites it); "
                    "got:\n%s\n",
                    name, path, cr_buf_cstr(text));
        cr_buf_dispose(&want);
        fail();
    }
    cr_buf_dispose(&want);
}

static inline void fx_set(struct cr_strmap *m, const char *k, const char *v)
{
    assert_ok(cr_strmap_set(m, k, v));
}

static inline void fx_push(struct cr_strlist *l, const char *s)
{
    assert_ok(cr_strlist_push(l, s));
}

static inline void fx_provider(struct cr_cognito_pool *p, const char *name, const char *client,
                               int sstc)
{
    p->cognito_identity_providers =
        realloc(p->cognito_identity_providers,
                (p->n_cognito_identity_providers + 1) * sizeof(*p->cognito_identity_providers));
    assert_non_null(p->cognito_identity_providers);
    struct cr_cognito_provider *q =
        &p->cognito_identity_providers[p->n_cognito_identity_providers++];
    q->provider_name = strdup(name);
    q->client_id = strdup(client);
    q->server_side_token_check = sstc;
}

static inline void fx_remove_provider(struct cr_cognito_pool *p, const char *name)
{
    size_t kept = 0;
    for (size_t i = 0; i < p->n_cognito_identity_providers; i++) {
        struct cr_cognito_provider *q = &p->cognito_identity_providers[i];
        if (strcmp(q->provider_name, name) == 0) {
            free(q->provider_name);
            free(q->client_id);
        } else {
            p->cognito_identity_providers[kept++] = *q;
        }
    }
    p->n_cognito_identity_providers = kept;
}

/* A role mapping; rules given as claim/value/role triples (matchType Equals). */
static inline struct cr_cognito_role_mapping *fx_mapping(struct cr_cognito_roles *r,
                                                         const char *provider, const char *type,
                                                         const char *ambiguous)
{
    r->mappings = realloc(r->mappings, (r->n_mappings + 1) * sizeof(*r->mappings));
    assert_non_null(r->mappings);
    struct cr_cognito_role_mapping *m = &r->mappings[r->n_mappings++];
    memset(m, 0, sizeof(*m));
    m->provider = strdup(provider);
    m->type = strdup(type);
    m->ambiguous_role_resolution = ambiguous ? strdup(ambiguous) : NULL;
    return m;
}

static inline void fx_rule(struct cr_cognito_role_mapping *m, const char *claim, const char *match,
                           const char *value, const char *role)
{
    m->has_rules_configuration = true;
    m->rules = realloc(m->rules, (m->n_rules + 1) * sizeof(*m->rules));
    assert_non_null(m->rules);
    struct cr_cognito_rule *r = &m->rules[m->n_rules++];
    r->claim = strdup(claim);
    r->match_type = strdup(match);
    r->value = strdup(value);
    r->role_arn = strdup(role);
}

static inline void fx_roles(struct cr_cognito_roles *r)
{
    fx_set(&r->roles, "authenticated", FX_ROLE("MobileAuth"));
    fx_set(&r->roles, "unauthenticated", FX_ROLE("MobileGuest"));
    struct cr_cognito_role_mapping *m = fx_mapping(r, FX_UPKEY, "Rules", "Deny");
    fx_rule(m, "custom:tier", "Equals", "paid", FX_ROLE("MobilePaid"));
}

static inline void fx_ptag(struct cr_cognito_principal_tags **arr, size_t *n, const char *provider,
                           int use_defaults, const char *key, const char *value)
{
    *arr = realloc(*arr, (*n + 1) * sizeof(**arr));
    assert_non_null(*arr);
    struct cr_cognito_principal_tags *p = &(*arr)[(*n)++];
    memset(p, 0, sizeof(*p));
    p->provider = strdup(provider);
    p->use_defaults = use_defaults;
    if (key)
        fx_set(&p->tags, key, value);
}

/* The pool configuration both sides share. */
static inline void fx_config(struct cr_cognito_pool *c, const char *id)
{
    c->id = id ? strdup(id) : NULL;
    c->name = strdup("MobileApp Prod");
    c->allow_unauthenticated = false;
    c->allow_classic_flow = 0;
    fx_set(&c->supported_login_providers, "graph.facebook.com", "7346241598935552");
    fx_provider(c, FX_UP, FX_CLIENT, 1);
    fx_push(&c->open_id_connect_provider_arns, FX_OIDC);
}

/* metadata.name "mobile", every section managed. */
static inline void fx_desired(struct cr_desired_pool *d)
{
    cr_desired_pool_init(d);
    d->name = strdup("mobile");
    d->source = strdup("pools/mobile.yaml:1:1");
    fx_config(&d->config, NULL);
    d->manage_roles = true;
    fx_roles(&d->roles);
    d->manage_principal_tags = true;
    fx_ptag(&d->principal_tags, &d->n_principal_tags, FX_UP, 0, "department", "custom:department");
    d->manage_tags = true;
    fx_set(&d->tags, "team", "mobile");
    fx_set(&d->tags, "env", "prod");
    assert_ok(cr_desired_normalise(d));
}

/* The live side, as the reader would leave it after reading for fx_desired. */
struct fx_live {
    struct cr_cognito_pool config;
    struct cr_cognito_roles roles;
    struct cr_cognito_principal_tags *ptags;
    size_t n_ptags;
};

static inline void fx_live_init(struct fx_live *l, const char *id, const char *stack,
                                const char *name)
{
    memset(l, 0, sizeof(*l));
    fx_config(&l->config, id);
    l->config.has_tags = true;
    if (stack)
        fx_set(&l->config.tags, CR_TAG_STACK, stack);
    if (name)
        fx_set(&l->config.tags, CR_TAG_NAME, name);
    fx_set(&l->config.tags, "team", "mobile");
    fx_set(&l->config.tags, "env", "prod");
    l->roles.pool_id = strdup(id);
    fx_roles(&l->roles);
    /* the maps of every provider the manifest manages: the declared one, and the cleared
     * maps of the login and OIDC providers */
    fx_ptag(&l->ptags, &l->n_ptags, FX_UP, 0, "department", "custom:department");
    fx_ptag(&l->ptags, &l->n_ptags, "graph.facebook.com", -1, NULL, NULL);
    fx_ptag(&l->ptags, &l->n_ptags, FX_OIDC, 0, NULL, NULL);
}

static inline void fx_live_dispose(struct fx_live *l)
{
    cr_cognito_pool_dispose(&l->config);
    cr_cognito_roles_dispose(&l->roles);
    for (size_t i = 0; i < l->n_ptags; i++)
        cr_cognito_principal_tags_dispose(&l->ptags[i]);
    free(l->ptags);
}

/* Adds l to state (region us-east-1 listed, account id known). */
static inline void fx_live_add(struct cr_live_state *state, const struct fx_live *l)
{
    assert_ok(cr_live_state_add_region(state, FX_REGION, FX_ACCOUNT));
    assert_ok(
        cr_live_state_add(NULL, state, FX_REGION, &l->config, &l->roles, l->ptags, l->n_ptags));
}

static inline const struct cr_plan_op *fx_op(const struct cr_plan *plan, size_t i)
{
    if (i >= plan->n_ops)
        fail_msg("op %zu asked, the plan has %zu", i, plan->n_ops);
    return &plan->ops[i];
}

/* The change at path among changes[0..n) (first match), or NULL. */
static inline const struct cr_plan_change *fx_change_in(const struct cr_plan_change *changes,
                                                        size_t n, const char *path)
{
    for (size_t i = 0; i < n; i++)
        if (strcmp(changes[i].path, path) == 0)
            return &changes[i];
    return NULL;
}

/* The change at path in op (first match), or NULL. */
static inline const struct cr_plan_change *fx_change(const struct cr_plan_op *op, const char *path)
{
    return fx_change_in(op->changes, op->n_changes, path);
}

/* The change at path among changes[0..n) is before -> after (NULL: the side is absent). */
static inline void fx_assert_change_in(const struct cr_plan_change *changes, size_t n,
                                       const char *path, const char *before, const char *after)
{
    const struct cr_plan_change *c = fx_change_in(changes, n, path);
    if (!c) {
        print_error("no change at %s\n", path);
        fail();
    }
    if (before)
        assert_string_equal(c->before, before);
    else
        assert_null(c->before);
    if (after)
        assert_string_equal(c->after, after);
    else
        assert_null(c->after);
}

static inline void fx_assert_change(const struct cr_plan_op *op, const char *path,
                                    const char *before, const char *after)
{
    fx_assert_change_in(op->changes, op->n_changes, path, before, after);
}

/*
 * A world of four pools: "mobile" is renamed and retagged, "web" is new, "dev" changes its
 * developer provider (replacement), "legacy" is owned but named by no manifest (pruned).
 */
struct fx_world {
    struct cr_desired_pool d[3];
    struct fx_live mobile, dev, legacy;
    struct cr_live_state live;
    struct cr_plan plan;
    struct cr_plan_options opts;
};

static inline struct fx_world *fx_world_new(void)
{
    struct fx_world *w = calloc(1, sizeof(*w));
    assert_non_null(w);
    /* mobile: renamed, a tag changes, guest role changes */
    fx_desired(&w->d[0]);
    free(w->d[0].config.name);
    w->d[0].config.name = strdup("Mobile App");
    fx_set(&w->d[0].tags, "env", "production");
    fx_set(&w->d[0].roles.roles, "unauthenticated", FX_ROLE("MobileGuest2"));
    fx_live_init(&w->mobile, FX_ID, "default", "mobile");
    fx_set(&w->mobile.config.tags, CR_TAG_REVISION, "fedcba9876543210fedcba9876543210fedcba98");

    /* web: does not exist yet */
    fx_desired(&w->d[1]);
    free(w->d[1].name);
    w->d[1].name = strdup("web");
    free(w->d[1].source);
    w->d[1].source = strdup("pools/web.yaml:1:1");
    free(w->d[1].config.name);
    w->d[1].config.name = strdup("Web");

    /* dev: developerProviderName changes (allowed by --allow-replace) */
    fx_desired(&w->d[2]);
    free(w->d[2].name);
    w->d[2].name = strdup("dev");
    free(w->d[2].source);
    w->d[2].source = strdup("pools/dev.yaml:1:1");
    w->d[2].manage_roles = false;
    w->d[2].manage_principal_tags = false;
    w->d[2].config.developer_provider_name = strdup("login.example.new");
    fx_live_init(&w->dev, "us-east-1:dddddddd-2222-3333-4444-555555555555", "default", "dev");
    w->dev.config.developer_provider_name = strdup("login.example.old");

    /* legacy: owned, no manifest */
    fx_live_init(&w->legacy, "us-east-1:eeeeeeee-2222-3333-4444-555555555555", "default", "legacy");

    cr_live_state_init(&w->live);
    fx_live_add(&w->live, &w->mobile);
    fx_live_add(&w->live, &w->dev);
    fx_live_add(&w->live, &w->legacy);
    w->opts = (struct cr_plan_options){.stack = "default",
                                       .region = FX_REGION,
                                       .revision = "0123456789abcdef0123456789abcdef01234567",
                                       .prune = true,
                                       .allow_replace = true};
    assert_ok(cr_plan_build(&w->plan, w->d, 3, &w->live, &w->opts));
    return w;
}

static inline void fx_world_free(struct fx_world *w)
{
    for (size_t i = 0; i < 3; i++)
        cr_desired_pool_dispose(&w->d[i]);
    fx_live_dispose(&w->mobile);
    fx_live_dispose(&w->dev);
    fx_live_dispose(&w->legacy);
    cr_live_state_dispose(&w->live);
    cr_plan_dispose(&w->plan);
    free(w);
}

#endif
