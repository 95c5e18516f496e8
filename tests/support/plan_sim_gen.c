/* SPDX-License-Identifier: Apache-2.0 */
/*
 * Random (live, desired) cases for the plan property tests (cr_sim_generate in
 * tests/support/plan_sim.h). Every case is within the API's limits and what `validate` accepts:
 * providers from a small universe of each kind, role mappings and principal-tag maps keyed the
 * way the manifests key them, at most 10 mappings of at most 25 rules, at most 50 tags on the
 * live pool and at most 50 once ownership tags are added.
 */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "schema/constraints.h"
#include "tests/support/plan_sim.h"

#define S_ACCOUNT  "123456789012"
#define S_REGION   "us-east-1"
#define S_REGION2  "eu-west-1"
#define S_REVISION "0123456789abcdef0123456789abcdef01234567"

/* splitmix64: small, seedable, good enough to draw cases */
struct s_rng {
    uint64_t state;
};

static uint64_t s_next(struct s_rng *r)
{
    uint64_t z = (r->state += 0x9e3779b97f4a7c15ull);
    z = (z ^ (z >> 30)) * 0xbf58476d1ce4e5b9ull;
    z = (z ^ (z >> 27)) * 0x94d049bb133111ebull;
    return z ^ (z >> 31);
}

static unsigned s_below(struct s_rng *r, unsigned n)
{
    return n ? (unsigned)(s_next(r) % n) : 0;
}

static bool s_chance(struct s_rng *r, unsigned percent)
{
    return s_below(r, 100) < percent;
}

/* ---- the universe of names ---- */

static const char *const s_logins[] = {"graph.facebook.com", "accounts.google.com",
                                       "www.amazon.com",     "api.twitter.com",
                                       "appleid.apple.com",  "login.example.org"};
static const char *const s_login_ids[] = {"7346241598935552", "123.apps", "amzn1.app.x"};
static const char *const s_user_pools[] = {"cognito-idp.us-east-1.amazonaws.com/us-east-1_PoolA",
                                           "cognito-idp.us-east-1.amazonaws.com/us-east-1_PoolB",
                                           "cognito-idp.us-east-1.amazonaws.com/us-east-1_PoolC"};
static const char *const s_clients[] = {"client1", "client2", "client3"};
static const char *const s_oidc[] = {"arn:aws:iam::123456789012:oidc-provider/a.example.com",
                                     "arn:aws:iam::123456789012:oidc-provider/b.example.com",
                                     "arn:aws:iam::123456789012:oidc-provider/c.example.com"};
static const char *const s_saml[] = {"arn:aws:iam::123456789012:saml-provider/corp",
                                     "arn:aws:iam::123456789012:saml-provider/partner"};
static const char *const s_pool_names[] = {"Pool One", "Pool Two", "Renamed Pool"};
static const char *const s_dev_names[] = {NULL, "login.dev.a", "login.dev.b"};
static const char *const s_claims[] = {"custom:tier", "email", "sub", "groups"};
static const char *const s_match[] = {"Equals", "Contains", "StartsWith", "NotEqual"};
static const char *const s_ambiguous[] = {"AuthenticatedRole", "Deny"};
static const char *const s_ptag_keys[] = {"dept", "team", "tier"};

#define S_N(a)         (sizeof(a) / sizeof((a)[0]))
#define S_N_LOGINS     S_N(s_logins)
#define S_N_USER_POOLS (S_N(s_user_pools) * S_N(s_clients))
#define S_N_OIDC       S_N(s_oidc)
#define S_N_SAML       S_N(s_saml)
#define S_N_ITEMS      (S_N_LOGINS + S_N_USER_POOLS + S_N_OIDC + S_N_SAML)

/* A pool configuration drawn as membership of each universe item plus its attributes, so a
 * desired configuration can be the live one with a few items flipped. */
struct s_shape {
    bool has[S_N_ITEMS];
    unsigned login_id[S_N_LOGINS];
    int token_check[S_N_USER_POOLS];
    unsigned name, dev;
    bool unauth;
    int classic;
};

static void s_shape_random(struct s_shape *s, struct s_rng *r)
{
    memset(s, 0, sizeof(*s));
    unsigned density = 10 + s_below(r, 30);
    for (size_t i = 0; i < S_N_ITEMS; i++)
        s->has[i] = s_chance(r, density);
    for (size_t i = 0; i < S_N_LOGINS; i++)
        s->login_id[i] = s_below(r, S_N(s_login_ids));
    for (size_t i = 0; i < S_N_USER_POOLS; i++)
        s->token_check[i] = (int)s_below(r, 2);
    s->name = s_below(r, S_N(s_pool_names));
    s->dev = s_chance(r, 60) ? 0 : 1 + s_below(r, 2);
    s->unauth = s_chance(r, 30);
    s->classic = (int)s_below(r, 3) - 1; /* live: never set, false, true */
}

/* The desired shape: often the live one with a few changes, sometimes unrelated. */
static void s_shape_mutate(struct s_shape *d, const struct s_shape *live, struct s_rng *r)
{
    if (s_chance(r, 25)) {
        s_shape_random(d, r);
    } else {
        *d = *live;
        unsigned flip = s_below(r, 25);
        for (size_t i = 0; i < S_N_ITEMS; i++)
            if (s_chance(r, flip))
                d->has[i] = !d->has[i];
        if (s_chance(r, 10))
            d->login_id[s_below(r, S_N_LOGINS)] = s_below(r, S_N(s_login_ids));
        if (s_chance(r, 10))
            d->token_check[s_below(r, S_N_USER_POOLS)] ^= 1;
        if (s_chance(r, 25))
            d->name = s_below(r, S_N(s_pool_names)); /* a rename */
        if (s_chance(r, 15))
            d->unauth = !d->unauth;
    }
    d->classic = (int)s_below(r, 2); /* a manifest says false (or nothing) or true */
    /* DeveloperProviderName: usually kept; set on a pool without one; rarely changed (a
     * replacement) */
    d->dev = live->dev;
    if (s_chance(r, 15))
        d->dev = live->dev == 0 ? 1 + s_below(r, 2) : s_below(r, 3);
}

static int s_config(struct cr_cognito_pool *c, const struct s_shape *s, const char *id)
{
    memset(c, 0, sizeof(*c));
    c->allow_classic_flow = s->classic;
    c->allow_unauthenticated = s->unauth;
    if ((id && !(c->id = strdup(id))) || !(c->name = strdup(s_pool_names[s->name])) ||
        (s_dev_names[s->dev] && !(c->developer_provider_name = strdup(s_dev_names[s->dev]))))
        return CR_ENOMEM;
    size_t k = 0;
    c->cognito_identity_providers = calloc(S_N_USER_POOLS, sizeof(*c->cognito_identity_providers));
    if (!c->cognito_identity_providers)
        return CR_ENOMEM;
    for (size_t i = 0; i < S_N_LOGINS; i++, k++)
        if (s->has[k] && cr_strmap_set(&c->supported_login_providers, s_logins[i],
                                       s_login_ids[s->login_id[i]]) < 0)
            return CR_ENOMEM;
    for (size_t i = 0; i < S_N_USER_POOLS; i++, k++) {
        if (!s->has[k])
            continue;
        struct cr_cognito_provider *p =
            &c->cognito_identity_providers[c->n_cognito_identity_providers++];
        p->provider_name = strdup(s_user_pools[i / S_N(s_clients)]);
        p->client_id = strdup(s_clients[i % S_N(s_clients)]);
        p->server_side_token_check = s->token_check[i];
        if (!p->provider_name || !p->client_id)
            return CR_ENOMEM;
    }
    for (size_t i = 0; i < S_N_OIDC; i++, k++)
        if (s->has[k] && cr_strlist_push(&c->open_id_connect_provider_arns, s_oidc[i]) < 0)
            return CR_ENOMEM;
    for (size_t i = 0; i < S_N_SAML; i++, k++)
        if (s->has[k] && cr_strlist_push(&c->saml_provider_arns, s_saml[i]) < 0)
            return CR_ENOMEM;
    return 0;
}

/* The names role mappings use for the providers of s (docs/plan.md): login keys,
 * "ProviderName:ClientId", OIDC issuer hosts, SAML ARNs. */
static int s_mapping_keys(struct cr_strlist *out, const struct s_shape *s)
{
    size_t k = 0;
    char key[256];
    for (size_t i = 0; i < S_N_LOGINS; i++, k++)
        if (s->has[k] && cr_strlist_push(out, s_logins[i]) < 0)
            return CR_ENOMEM;
    for (size_t i = 0; i < S_N_USER_POOLS; i++, k++) {
        snprintf(key, sizeof(key), "%s:%s", s_user_pools[i / S_N(s_clients)],
                 s_clients[i % S_N(s_clients)]);
        if (s->has[k] && cr_strlist_push(out, key) < 0)
            return CR_ENOMEM;
    }
    for (size_t i = 0; i < S_N_OIDC; i++, k++)
        if (s->has[k] && cr_strlist_push(out, strrchr(s_oidc[i], '/') + 1) < 0)
            return CR_ENOMEM;
    for (size_t i = 0; i < S_N_SAML; i++, k++)
        if (s->has[k] && cr_strlist_push(out, s_saml[i]) < 0)
            return CR_ENOMEM;
    return 0;
}

static char *s_fmt(const char *fmt, unsigned v)
{
    char buf[128];
    snprintf(buf, sizeof(buf), fmt, v);
    return strdup(buf);
}

static int s_mapping(struct cr_cognito_role_mapping *m, const char *key, struct s_rng *r)
{
    memset(m, 0, sizeof(*m));
    bool rules = s_chance(r, 60);
    m->provider = strdup(key);
    m->type = strdup(rules ? "Rules" : "Token");
    m->ambiguous_role_resolution = strdup(s_ambiguous[s_below(r, 2)]);
    if (!m->provider || !m->type || !m->ambiguous_role_resolution)
        return CR_ENOMEM;
    if (!rules)
        return 0;
    size_t n = s_chance(r, 10) ? 20 + s_below(r, 6) : 1 + s_below(r, 3); /* up to 25 */
    m->has_rules_configuration = true;
    m->rules = calloc(n, sizeof(*m->rules));
    if (!m->rules)
        return CR_ENOMEM;
    for (size_t i = 0; i < n; i++) {
        struct cr_cognito_rule *q = &m->rules[m->n_rules++];
        q->claim = strdup(s_claims[s_below(r, S_N(s_claims))]);
        q->match_type = strdup(s_match[s_below(r, S_N(s_match))]);
        q->value = s_fmt("v%u", s_below(r, 4));
        q->role_arn = s_fmt("arn:aws:iam::123456789012:role/Rule%u", s_below(r, 4));
        if (!q->claim || !q->match_type || !q->value || !q->role_arn)
            return CR_ENOMEM;
    }
    return 0;
}

/* Roles and mappings on keys (at most 10 mappings); base (may be NULL): mappings to keep
 * (those on keys) with some changed, so a desired attachment often resembles the live one. */
static int s_roles(struct cr_cognito_roles *out, const struct cr_strlist *keys,
                   const struct cr_cognito_roles *base, struct s_rng *r)
{
    memset(out, 0, sizeof(*out));
    if (base && s_chance(r, 60)) {
        if (cr_strmap_copy(&out->roles, &base->roles) < 0)
            return CR_ENOMEM;
    } else {
        if (s_chance(r, 70) &&
            cr_strmap_set(&out->roles, "authenticated",
                          s_chance(r, 50) ? "arn:aws:iam::123456789012:role/Auth1"
                                          : "arn:aws:iam::123456789012:role/Auth2") < 0)
            return CR_ENOMEM;
        if (s_chance(r, 40) && cr_strmap_set(&out->roles, "unauthenticated",
                                             "arn:aws:iam::123456789012:role/Guest") < 0)
            return CR_ENOMEM;
    }
    out->mappings = calloc(CR_LIMIT_ROLE_MAPPINGS + 1, sizeof(*out->mappings));
    if (!out->mappings)
        return CR_ENOMEM;
    unsigned density = s_below(r, 60);
    for (size_t i = 0; i < keys->len && out->n_mappings < CR_LIMIT_ROLE_MAPPINGS; i++) {
        const struct cr_cognito_role_mapping *old = NULL;
        for (size_t k = 0; base && k < base->n_mappings; k++)
            if (strcmp(base->mappings[k].provider, keys->items[i]) == 0)
                old = &base->mappings[k];
        struct cr_cognito_role_mapping *m = &out->mappings[out->n_mappings];
        if (old && s_chance(r, 70)) {
            struct cr_cognito_roles one = {.mappings = (struct cr_cognito_role_mapping *)old,
                                           .n_mappings = 1};
            struct cr_cognito_roles copy = {0};
            if (cr_cognito_roles_copy(&copy, &one) < 0)
                return CR_ENOMEM;
            *m = copy.mappings[0];
            free(copy.mappings);
            out->n_mappings++;
        } else if (s_chance(r, density)) {
            out->n_mappings++;
            if (s_mapping(m, keys->items[i], r) < 0)
                return CR_ENOMEM;
        }
    }
    return 0;
}

/* A principal-tag map for provider: use_defaults and up to 3 custom tags. */
static int s_ptag_map(struct cr_cognito_principal_tags *p, const char *provider, int use_defaults,
                      unsigned n_tags, struct s_rng *r)
{
    memset(p, 0, sizeof(*p));
    p->provider = strdup(provider);
    p->use_defaults = use_defaults;
    if (!p->provider)
        return CR_ENOMEM;
    for (unsigned i = 0; i < n_tags; i++) {
        char value[64];
        snprintf(value, sizeof(value), "custom:%s", s_ptag_keys[s_below(r, S_N(s_ptag_keys))]);
        if (cr_strmap_set(&p->tags, s_ptag_keys[s_below(r, S_N(s_ptag_keys))], value) < 0)
            return CR_ENOMEM;
    }
    return 0;
}

/* The maps a live pool holds: per principal-tag provider unset, cleared, default or custom. */
static int s_live_ptags(struct cr_cognito_principal_tags **out, size_t *n,
                        const struct cr_strlist *providers, struct s_rng *r)
{
    *n = 0;
    *out = calloc(providers->len + 1, sizeof(**out));
    if (!*out)
        return CR_ENOMEM;
    for (size_t i = 0; i < providers->len; i++) {
        unsigned kind = s_below(r, 100);
        if (kind < 40)
            continue;                                                                /* never set */
        int rc = kind < 55   ? s_ptag_map(&(*out)[*n], providers->items[i], 0, 0, r) /* cleared */
                 : kind < 70 ? s_ptag_map(&(*out)[*n], providers->items[i], 1, 0, r) /* default */
                             : s_ptag_map(&(*out)[*n], providers->items[i], (int)s_below(r, 2),
                                          1 + s_below(r, 3), r);
        (*n)++;
        if (rc < 0)
            return rc;
    }
    return 0;
}

/* The providers principal-tag maps name for a configuration (docs/plan.md). */
static int s_ptag_names(struct cr_strlist *out, const struct cr_cognito_pool *c)
{
    struct cr_desired_pool tmp;
    cr_desired_pool_init(&tmp);
    tmp.config = *c; /* borrowed */
    return cr_desired_principal_tag_providers(out, &tmp);
}

/* Declared maps of a managed section: some providers, often the live map again. */
static int s_desired_ptags(struct cr_desired_pool *d, const struct cr_cognito_principal_tags *live,
                           size_t n_live, struct s_rng *r)
{
    struct cr_strlist names = {0};
    int rc = s_ptag_names(&names, &d->config);
    d->principal_tags = calloc(names.len + 1, sizeof(*d->principal_tags));
    if (rc < 0 || !d->principal_tags) {
        cr_strlist_dispose(&names);
        return CR_ENOMEM;
    }
    for (size_t i = 0; rc == 0 && i < names.len; i++) {
        if (!s_chance(r, 45))
            continue;
        const struct cr_cognito_principal_tags *old = NULL;
        for (size_t k = 0; k < n_live; k++)
            if (strcmp(live[k].provider, names.items[i]) == 0)
                old = &live[k];
        struct cr_cognito_principal_tags *p = &d->principal_tags[d->n_principal_tags++];
        if (old && s_chance(r, 50)) {
            rc = s_ptag_map(p, old->provider, old->use_defaults, 0, r);
            if (rc == 0 && cr_strmap_copy(&p->tags, &old->tags) < 0)
                rc = CR_ENOMEM;
        } else {
            rc = s_ptag_map(p, names.items[i], (int)s_below(r, 2), s_below(r, 4), r);
        }
    }
    cr_strlist_dispose(&names);
    return rc;
}

/* ---- tags ---- */

static int s_tag_key(char out[16], unsigned i)
{
    return snprintf(out, 16, "k%02u", i);
}

/* n distinct user tags drawn from k00..k59. */
static int s_user_tags(struct cr_strmap *out, unsigned n, struct s_rng *r)
{
    unsigned order[60];
    for (unsigned i = 0; i < 60; i++)
        order[i] = i;
    for (unsigned i = 59; i > 0; i--) {
        unsigned j = s_below(r, i + 1), t = order[i];
        order[i] = order[j];
        order[j] = t;
    }
    for (unsigned i = 0; i < n && i < 60; i++) {
        char key[16], value[16];
        s_tag_key(key, order[i]);
        snprintf(value, sizeof(value), "v%u", s_below(r, 3));
        if (cr_strmap_set(out, key, value) < 0)
            return CR_ENOMEM;
    }
    return 0;
}

/* A tag count: small most of the time, near the limit often enough to test it. */
static unsigned s_tag_count(unsigned max, struct s_rng *r)
{
    unsigned n = s_chance(r, 55) ? s_below(r, 6) : max - (max < 6 ? max : s_below(r, 6));
    return n > max ? max : n;
}

/* Desired user tags: often the live ones with some kept, changed, dropped and added. */
static int s_desired_tags(struct cr_strmap *out, const struct cr_strmap *live_user, unsigned max,
                          struct s_rng *r)
{
    if (!live_user || s_chance(r, 35))
        return s_user_tags(out, s_tag_count(max, r), r);
    unsigned keep = s_below(r, 100);
    for (size_t i = 0; i < live_user->len && out->len < max; i++) {
        if (s_below(r, 100) >= keep)
            continue;
        const char *v = s_chance(r, 20) ? "changed" : live_user->items[i].value;
        if (cr_strmap_set(out, live_user->items[i].key, v) < 0)
            return CR_ENOMEM;
    }
    for (unsigned added = s_below(r, 4); added > 0 && out->len < max; added--) {
        char key[16];
        s_tag_key(key, s_below(r, 60));
        if (cr_strmap_set(out, key, "new") < 0)
            return CR_ENOMEM;
    }
    return 0;
}

/* ---- cases ---- */

enum s_scenario {
    S_EXISTING, /* owned by the stack, found by its name tag */
    S_CREATE,   /* no pool yet (maybe another stack's pool of the same name) */
    S_ADOPT,    /* metadata.id names a pool not (yet) tagged with this name */
};

struct s_gen {
    struct cr_sim_case *c;
    struct s_rng rng;
    unsigned next_id;
};

static int s_live_id(char out[80], struct s_gen *g, const char *region)
{
    return snprintf(out, 80, "%s:aaaaaaaa-0000-4000-8000-%012x", region, ++g->next_id);
}

/* Adds a pool no manifest claims: untagged (kind 0), another stack's "appN" (1), or an owned
 * orphan "orphanN" (2); kind -1 draws one. */
static int s_add_bystander(struct s_gen *g, const char *region, unsigned index, int kind)
{
    struct s_shape shape;
    struct cr_cognito_pool config;
    char id[80], name[32];
    s_shape_random(&shape, &g->rng);
    s_live_id(id, g, region);
    int rc = s_config(&config, &shape, id);
    if (kind < 0)
        kind = (int)s_below(&g->rng, 3);
    snprintf(name, sizeof(name), kind == 2 ? "orphan%u" : "app%u", index);
    if (rc == 0 && kind > 0)
        rc = cr_strmap_set(&config.tags, CR_TAG_STACK, kind == 1 ? "other" : "default") < 0 ||
                     cr_strmap_set(&config.tags, CR_TAG_NAME, name) < 0
                 ? CR_ENOMEM
                 : 0;
    if (rc == 0)
        rc = s_user_tags(&config.tags, s_below(&g->rng, 4), &g->rng);
    if (rc == 0)
        rc = cr_sim_add(NULL, &g->c->live, region, &config, NULL, NULL, 0);
    cr_cognito_pool_dispose(&config);
    return rc;
}

/* The live pool of a manifest in scenario sc, with its roles, maps and tags. */
static int s_add_live(struct s_gen *g, const struct cr_desired_pool *d, enum s_scenario sc,
                      const struct s_shape *shape, const struct s_shape *want, bool rev_tag,
                      char adopt_id[80])
{
    struct s_rng *r = &g->rng;
    struct cr_cognito_pool config;
    struct cr_cognito_roles roles = {0};
    struct cr_cognito_principal_tags *ptags = NULL;
    size_t n_ptags = 0;
    struct cr_strlist keys = {0}, want_keys = {0}, names = {0};
    char id[80];
    s_live_id(id, g, d->region);
    int rc = s_config(&config, shape, id);
    /* ownership: found by name, or adopted (untagged, or our stack under another name) */
    unsigned own = 0;
    if (rc == 0 && sc == S_EXISTING)
        own = 2;
    else if (rc == 0 && sc == S_ADOPT)
        own = s_below(r, 3);
    if (rc == 0 && own > 0 &&
        (cr_strmap_set(&config.tags, CR_TAG_STACK, "default") < 0 ||
         cr_strmap_set(&config.tags, CR_TAG_NAME, own == 2 ? d->name : "elsewhere") < 0))
        rc = CR_ENOMEM;
    if (rc == 0 && rev_tag &&
        cr_strmap_set(&config.tags, CR_TAG_REVISION, "fedcba9876543210fedcba9876543210fedcba98") <
            0)
        rc = CR_ENOMEM;
    /* user tags: at most 50 in all; when the manifest leaves tags alone, room for the
     * ownership tags the plan adds (validate's rule for manifests, applied to what is kept) */
    unsigned room = CR_LIMIT_TAGS - (unsigned)config.tags.len;
    if (!d->manage_tags)
        room = CR_LIMIT_TAGS - 2 - (rev_tag || g->c->opts.revision ? 1 : 0);
    if (rc == 0)
        rc = s_user_tags(&config.tags, s_tag_count(room, r), r);
    /* role mappings on the live providers; when the manifest leaves roles alone, only on
     * providers it keeps (removing a provider an unread mapping names is left to the
     * service: docs/plan.md) */
    if (rc == 0)
        rc = s_mapping_keys(&keys, shape);
    if (rc == 0 && !d->manage_roles) {
        rc = s_mapping_keys(&want_keys, want);
        size_t kept = 0;
        for (size_t i = 0; rc == 0 && i < keys.len; i++) {
            if (cr_strlist_contains(&want_keys, keys.items[i]))
                keys.items[kept++] = keys.items[i];
            else
                free(keys.items[i]);
        }
        keys.len = kept;
    }
    if (rc == 0)
        rc = s_roles(&roles, &keys, NULL, r);
    if (rc == 0)
        rc = s_ptag_names(&names, &config);
    if (rc == 0)
        rc = s_live_ptags(&ptags, &n_ptags, &names, r);
    if (rc == 0)
        rc = cr_sim_add(NULL, &g->c->live, d->region, &config, &roles, ptags, n_ptags);
    snprintf(adopt_id, 80, "%s", id);
    cr_cognito_pool_dispose(&config);
    cr_cognito_roles_dispose(&roles);
    for (size_t i = 0; i < n_ptags; i++)
        cr_cognito_principal_tags_dispose(&ptags[i]);
    free(ptags);
    cr_strlist_dispose(&keys);
    cr_strlist_dispose(&want_keys);
    cr_strlist_dispose(&names);
    return rc;
}

/* One manifest and the live pool it finds (if any). */
static int s_add_manifest(struct s_gen *g, size_t index)
{
    struct s_rng *r = &g->rng;
    struct cr_sim_case *c = g->c;
    struct cr_desired_pool *d = &c->desired[index];
    struct s_shape live, want;
    char name[32], source[64], adopt_id[80] = "";
    unsigned roll = s_below(r, 100);
    enum s_scenario sc = roll < 60 ? S_EXISTING : roll < 82 ? S_CREATE : S_ADOPT;
    cr_desired_pool_init(d);
    snprintf(name, sizeof(name), "app%zu", index);
    snprintf(source, sizeof(source), "gen/app%zu.yaml:1:1", index);
    s_shape_random(&live, r);
    s_shape_mutate(&want, &live, r);
    bool rev_tag = sc != S_CREATE && s_chance(r, 30);
    d->manage_roles = s_chance(r, 70);
    d->manage_principal_tags = s_chance(r, 60);
    d->manage_tags = s_chance(r, 75);
    if (!(d->name = strdup(name)) || !(d->source = strdup(source)) ||
        !(d->region = strdup(index > 0 && s_chance(r, 20) ? S_REGION2 : S_REGION)) ||
        s_config(&d->config, &want, NULL) < 0)
        return CR_ENOMEM;
    int rc = 0;
    if (sc == S_CREATE && s_chance(r, 30)) /* another stack's pool of the same name */
        rc = s_add_bystander(g, d->region, (unsigned)index, 1);
    if (rc == 0 && sc != S_CREATE)
        rc = s_add_live(g, d, sc, &live, &want, rev_tag, adopt_id);
    if (rc < 0)
        return rc;
    if (sc == S_ADOPT && !(d->adopt_id = strdup(adopt_id)))
        return CR_ENOMEM;
    const struct cr_sim_pool *lp = sc != S_CREATE ? cr_sim_find(&c->live, adopt_id) : NULL;
    struct cr_strlist keys = {0};
    rc = s_mapping_keys(&keys, &want);
    if (rc == 0 && d->manage_roles)
        rc = s_roles(&d->roles, &keys, lp ? &lp->roles : NULL, r);
    cr_strlist_dispose(&keys);
    if (rc == 0 && d->manage_principal_tags)
        rc = s_desired_ptags(d, lp ? lp->ptags : NULL, lp ? lp->n_ptags : 0, r);
    /* at most 50 tags once the ownership tags (and a revision tag) are on the pool */
    bool rev = c->opts.revision || (lp && cr_strmap_get(&lp->config.tags, CR_TAG_REVISION));
    unsigned max = CR_LIMIT_TAGS - 2 - (rev ? 1 : 0);
    struct cr_strmap live_user = {0};
    for (size_t i = 0; rc == 0 && lp && i < lp->config.tags.len; i++)
        if (strncmp(lp->config.tags.items[i].key, CR_TAG_PREFIX, strlen(CR_TAG_PREFIX)) != 0 &&
            cr_strmap_set(&live_user, lp->config.tags.items[i].key,
                          lp->config.tags.items[i].value) < 0)
            rc = CR_ENOMEM;
    if (rc == 0 && d->manage_tags)
        rc = s_desired_tags(&d->tags, lp ? &live_user : NULL, max, r);
    cr_strmap_dispose(&live_user);
    if (rc == 0)
        rc = cr_desired_normalise(d);
    /* a developerProviderName change of an existing pool is a replacement */
    if (rc == 0 && lp && lp->config.developer_provider_name &&
        (!d->config.developer_provider_name ||
         strcmp(lp->config.developer_provider_name, d->config.developer_provider_name) != 0) &&
        !c->opts.allow_replace)
        c->expect = CR_EREFUSED;
    return rc;
}

int cr_sim_generate(struct cr_sim_case *out, uint64_t seed)
{
    struct s_gen g = {.c = out, .rng = {seed}};
    memset(out, 0, sizeof(*out));
    cr_sim_init(&out->live);
    out->seed = seed;
    out->opts.stack = "default";
    out->opts.region = S_REGION;
    out->opts.revision = s_chance(&g.rng, 40) ? S_REVISION : NULL;
    out->opts.prune = s_chance(&g.rng, 30);
    out->opts.allow_replace = s_chance(&g.rng, 60);
    size_t n = 1 + (s_chance(&g.rng, 30) ? s_below(&g.rng, 3) : 0);
    out->desired = calloc(n, sizeof(*out->desired));
    int rc = out->desired ? 0 : CR_ENOMEM;
    if (rc == 0 && (cr_sim_add_region(&out->live, S_REGION, S_ACCOUNT) < 0 ||
                    cr_sim_add_region(&out->live, S_REGION2, S_ACCOUNT) < 0))
        rc = CR_ENOMEM;
    for (size_t i = 0; rc == 0 && i < n; i++) {
        out->n_desired = i + 1;
        rc = s_add_manifest(&g, i);
    }
    for (unsigned i = s_below(&g.rng, 3); rc == 0 && i > 0; i--)
        rc = s_add_bystander(&g, s_chance(&g.rng, 80) ? S_REGION : S_REGION2, 10 + i, -1);
    if (rc < 0) {
        if (rc == CR_ENOMEM)
            cr_error_set("out of memory generating case %#llx", (unsigned long long)seed);
        cr_sim_case_dispose(out);
    }
    return rc;
}

void cr_sim_case_dispose(struct cr_sim_case *c)
{
    if (!c)
        return;
    cr_sim_dispose(&c->live);
    for (size_t i = 0; c->desired && i < c->n_desired; i++)
        cr_desired_pool_dispose(&c->desired[i]);
    free(c->desired);
    memset(c, 0, sizeof(*c));
}

uint64_t cr_sim_env_u64(const char *name, uint64_t fallback)
{
    const char *v = getenv(name);
    return v && *v ? (uint64_t)strtoull(v, NULL, 0) : fallback;
}
