/* SPDX-License-Identifier: Apache-2.0 */
/*
 * reconcile/compare.c: two desired states (revision A's manifests, revision B's) compared
 * without git, files or a binary. The examples build A and B by hand from the "mobile" pool of
 * test_plan_fixture.h and change one thing; the property test draws random pairs and checks
 * that compare(A, B) and compare(B, A) are mirror images and compare(A, A) is empty.
 */
#include "tests/unit/test_plan_fixture.h"

#include <stdint.h>

#include "reconcile/compare.h"

#define REGION2 "eu-west-1"

struct sides {
    struct cr_desired_set a, b;
    struct cr_compare cmp;
    struct cr_compare_options opts;
};

static int setup(void **state)
{
    struct sides *s = calloc(1, sizeof(*s));
    assert_non_null(s);
    s->opts = (struct cr_compare_options){.region = FX_REGION, .from_rev = "v1", .to_rev = "v2"};
    *state = s;
    return 0;
}

static int teardown(void **state)
{
    struct sides *s = *state;
    cr_desired_set_dispose(&s->a);
    cr_desired_set_dispose(&s->b);
    cr_compare_dispose(&s->cmp);
    free(s);
    return 0;
}

static struct cr_desired_pool *s_slot(struct cr_desired_set *set)
{
    set->pools = realloc(set->pools, (set->len + 1) * sizeof(*set->pools));
    assert_non_null(set->pools);
    return &set->pools[set->len++];
}

static void s_place(struct cr_desired_pool *d, const char *name, const char *region,
                    const char *source)
{
    free(d->name);
    free(d->region);
    free(d->source);
    d->name = strdup(name);
    d->region = region ? strdup(region) : NULL;
    d->source = strdup(source);
}

/* Appends a pool named "Plain" with every section unmanaged to set. */
static struct cr_desired_pool *s_empty(struct cr_desired_set *set, const char *name,
                                       const char *region, const char *source)
{
    struct cr_desired_pool *d = s_slot(set);
    cr_desired_pool_init(d);
    s_place(d, name, region, source);
    d->config.name = strdup("Plain");
    return d;
}

/* Appends the fixture's "mobile" pool (every section managed) under another name. */
static struct cr_desired_pool *s_mobile(struct cr_desired_set *set, const char *name,
                                        const char *region, const char *source)
{
    struct cr_desired_pool *d = s_slot(set);
    fx_desired(d);
    s_place(d, name, region, source);
    return d;
}

/* A and B each hold "mobile" (us-east-1, v1:/v2:pools/mobile.yaml:1:1), the same. */
static void s_both_mobile(struct sides *s)
{
    s_mobile(&s->a, "mobile", FX_REGION, "v1:pools/mobile.yaml:1:1");
    s_mobile(&s->b, "mobile", FX_REGION, "v2:pools/mobile.yaml:1:1");
}

static void s_compare(struct sides *s)
{
    cr_compare_dispose(&s->cmp);
    assert_ok(cr_compare_build(&s->cmp, &s->a, &s->b, &s->opts));
}

static const struct cr_plan_change *s_change(const struct cr_compare_pool *p, const char *path)
{
    return fx_change_in(p->changes, p->n_changes, path);
}

/* The change at path is before -> after (NULL: absent side). */
static void s_assert_change(const struct cr_compare_pool *p, const char *path, const char *before,
                            const char *after)
{
    fx_assert_change_in(p->changes, p->n_changes, path, before, after);
}

/* The comparison has exactly one pool, with this status; returns it. */
static const struct cr_compare_pool *s_only(const struct sides *s, enum cr_compare_status status)
{
    assert_int_equal(s->cmp.n_pools, 1);
    assert_int_equal(s->cmp.pools[0].status, status);
    assert_int_equal(s->cmp.counts[status], 1);
    assert_true(cr_compare_differs(&s->cmp));
    return &s->cmp.pools[0];
}

static void test_compare__identical_sets_are_empty(void **state)
{
    struct sides *s = *state;
    s_both_mobile(s);
    s_empty(&s->a, "plain", NULL, "v1:pools/plain.yaml:1:1");
    s_empty(&s->b, "plain", NULL, "v2:pools/plain.yaml:1:1");
    s_compare(s);
    assert_false(cr_compare_differs(&s->cmp));
    assert_int_equal(s->cmp.n_pools, 0);
    for (size_t i = 0; i < CR_COMPARE_N_STATUS; i++)
        assert_int_equal(s->cmp.counts[i], 0);
}

static void test_compare__a_new_pool_is_added_with_every_field(void **state)
{
    struct sides *s = *state;
    s_mobile(&s->b, "mobile", FX_REGION, "v2:pools/mobile.yaml:1:1");
    s_compare(s);
    const struct cr_compare_pool *p = s_only(s, CR_COMPARE_ADDED);
    assert_string_equal(p->name, "mobile");
    assert_string_equal(p->region, FX_REGION);
    assert_null(p->from_source);
    assert_string_equal(p->to_source, "v2:pools/mobile.yaml:1:1");
    assert_false(p->moved);
    assert_null(p->note);
    s_assert_change(p, "identityPoolName", NULL, "\"MobileApp Prod\"");
    s_assert_change(p, "tags[\"team\"]", NULL, "\"mobile\"");
    s_assert_change(p, "roles.authenticated", NULL, "\"" FX_ROLE("MobileAuth") "\"");
    /* a new pool's undeclared principal-tag maps start at the service default */
    s_assert_change(p, "principalTagAttributeMaps[\"graph.facebook.com\"].useDefaults", "true",
                    "false");
    for (size_t i = 0; i < p->n_changes; i++) {
        if (strstr(p->changes[i].path, "].useDefaults") == NULL)
            assert_null(p->changes[i].before);
        /* ownership tags are the tool's, not the manifest's */
        assert_null(strstr(p->changes[i].path, "cognito-reconcile:"));
    }
}

static void test_compare__a_dropped_pool_is_removed_with_every_field(void **state)
{
    struct sides *s = *state;
    s_mobile(&s->a, "mobile", FX_REGION, "v1:pools/mobile.yaml:1:1");
    s_compare(s);
    const struct cr_compare_pool *p = s_only(s, CR_COMPARE_REMOVED);
    assert_string_equal(p->from_source, "v1:pools/mobile.yaml:1:1");
    assert_null(p->to_source);
    assert_null(p->note); /* the plan's note speaks of --prune: not shown */
    s_assert_change(p, "identityPoolName", "\"MobileApp Prod\"", NULL);
    s_assert_change(p, "tags[\"env\"]", "\"prod\"", NULL);
    s_assert_change(p, "principalTagAttributeMaps[\"graph.facebook.com\"].useDefaults", "false",
                    "true");
    for (size_t i = 0; i < p->n_changes; i++)
        if (strstr(p->changes[i].path, "].useDefaults") == NULL)
            assert_null(p->changes[i].after);
}

static void test_compare__a_changed_field_is_the_only_change(void **state)
{
    struct sides *s = *state;
    s_both_mobile(s);
    free(s->b.pools[0].config.name);
    s->b.pools[0].config.name = strdup("Mobile App"); /* a rename: in place */
    s_compare(s);
    const struct cr_compare_pool *p = s_only(s, CR_COMPARE_CHANGED);
    assert_int_equal(p->n_changes, 1);
    s_assert_change(p, "identityPoolName", "\"MobileApp Prod\"", "\"Mobile App\"");
    assert_false(p->moved); /* same file and line; only the revision differs */
}

static void test_compare__section_changes_are_field_by_field(void **state)
{
    struct sides *s = *state;
    s_both_mobile(s);
    struct cr_desired_pool *b = &s->b.pools[0];
    fx_set(&b->tags, "env", "production");
    assert_true(cr_strmap_remove(&b->tags, "team"));
    fx_set(&b->roles.roles, "unauthenticated", FX_ROLE("Guest2"));
    s_compare(s);
    const struct cr_compare_pool *p = s_only(s, CR_COMPARE_CHANGED);
    assert_int_equal(p->n_changes, 3);
    s_assert_change(p, "tags[\"env\"]", "\"prod\"", "\"production\"");
    s_assert_change(p, "tags[\"team\"]", "\"mobile\"", NULL);
    s_assert_change(p, "roles.unauthenticated", "\"" FX_ROLE("MobileGuest") "\"",
                    "\"" FX_ROLE("Guest2") "\"");
}

static void test_compare__a_section_that_becomes_managed_shows_every_entry(void **state)
{
    struct sides *s = *state;
    s_both_mobile(s);
    s->a.pools[0].manage_tags = false;
    cr_strmap_dispose(&s->a.pools[0].tags);
    s_compare(s);
    const struct cr_compare_pool *p = s_only(s, CR_COMPARE_CHANGED);
    assert_int_equal(p->n_changes, 2);
    s_assert_change(p, "tags[\"env\"]", NULL, "\"prod\"");
    s_assert_change(p, "tags[\"team\"]", NULL, "\"mobile\"");
}

/* Apply leaves an unmanaged section alone, so a section that becomes unmanaged is no
 * difference (docs/gitops.md). */
static void test_compare__a_section_that_becomes_unmanaged_is_no_difference(void **state)
{
    struct sides *s = *state;
    s_both_mobile(s);
    s->b.pools[0].manage_roles = false;
    cr_cognito_roles_dispose(&s->b.pools[0].roles);
    s->b.pools[0].manage_principal_tags = false;
    s_compare(s);
    assert_false(cr_compare_differs(&s->cmp));
}

static void test_compare__a_moved_document_is_marked_only_with_changes(void **state)
{
    struct sides *s = *state;
    s_both_mobile(s);
    free(s->b.pools[0].source);
    s->b.pools[0].source = strdup("v2:pools/apps/mobile.yaml:7:1");
    s_compare(s);
    assert_false(cr_compare_differs(&s->cmp)); /* moved, nothing else: no difference */

    s->b.pools[0].config.allow_unauthenticated = true;
    s_compare(s);
    const struct cr_compare_pool *p = s_only(s, CR_COMPARE_CHANGED);
    assert_true(p->moved);
    assert_string_equal(p->from_source, "v1:pools/mobile.yaml:1:1");
    assert_string_equal(p->to_source, "v2:pools/apps/mobile.yaml:7:1");
    s_assert_change(p, "allowUnauthenticatedIdentities", "false", "true");

    /* another line of the same file is a move too */
    free(s->b.pools[0].source);
    s->b.pools[0].source = strdup("v2:pools/mobile.yaml:9:1");
    s_compare(s);
    assert_true(s_only(s, CR_COMPARE_CHANGED)->moved);
}

static void test_compare__a_region_change_removes_and_adds(void **state)
{
    struct sides *s = *state;
    s_both_mobile(s);
    free(s->b.pools[0].region);
    s->b.pools[0].region = strdup(REGION2);
    s_compare(s);
    assert_int_equal(s->cmp.n_pools, 2);
    assert_int_equal(s->cmp.counts[CR_COMPARE_ADDED], 1);
    assert_int_equal(s->cmp.counts[CR_COMPARE_REMOVED], 1);
    /* B's pools first, then A's removed ones */
    assert_int_equal(s->cmp.pools[0].status, CR_COMPARE_ADDED);
    assert_string_equal(s->cmp.pools[0].region, REGION2);
    assert_int_equal(s->cmp.pools[1].status, CR_COMPARE_REMOVED);
    assert_string_equal(s->cmp.pools[1].region, FX_REGION);
}

static void test_compare__pools_without_a_region_take_the_default(void **state)
{
    struct sides *s = *state;
    s->opts.region = "(default region)";
    s_empty(&s->a, "plain", NULL, "v1:pools/plain.yaml:1:1");
    s_empty(&s->b, "plain", NULL, "v2:pools/plain.yaml:1:1");
    s->b.pools[0].config.allow_classic_flow = 1;
    s_empty(&s->b, "plain", REGION2, "v2:pools/plain.yaml:9:1"); /* another pool */
    s_compare(s);
    assert_int_equal(s->cmp.n_pools, 2);
    assert_int_equal(s->cmp.pools[0].status, CR_COMPARE_CHANGED);
    assert_string_equal(s->cmp.pools[0].region, "(default region)");
    s_assert_change(&s->cmp.pools[0], "allowClassicFlow", "false", "true");
    assert_int_equal(s->cmp.pools[1].status, CR_COMPARE_ADDED);
    assert_string_equal(s->cmp.pools[1].region, REGION2);
}

static void test_compare__a_developer_provider_change_is_a_replacement(void **state)
{
    struct sides *s = *state;
    s_both_mobile(s);
    s->a.pools[0].config.developer_provider_name = strdup("login.old");
    s->b.pools[0].config.developer_provider_name = strdup("login.new");
    s_compare(s);
    const struct cr_compare_pool *p = s_only(s, CR_COMPARE_REPLACED);
    assert_non_null(p->note);
    assert_non_null(strstr(p->note, "cannot change in place"));
    /* the pool is deleted and created, but only what differs is shown */
    assert_int_equal(p->n_changes, 1);
    s_assert_change(p, "developerProviderName", "\"login.old\"", "\"login.new\"");
}

static void test_compare__metadata_id_is_a_field(void **state)
{
    struct sides *s = *state;
    s_both_mobile(s);
    s->b.pools[0].adopt_id = strdup(FX_ID);
    s_compare(s);
    const struct cr_compare_pool *p = s_only(s, CR_COMPARE_CHANGED);
    assert_int_equal(p->n_changes, 1);
    s_assert_change(p, "metadata.id", NULL, "\"" FX_ID "\"");
    /* the input is not changed (the plan ran on copies without metadata.id) */
    assert_string_equal(s->b.pools[0].adopt_id, FX_ID);
}

static void test_compare__a_name_twice_in_a_region_is_invalid(void **state)
{
    struct sides *s = *state;
    s_empty(&s->b, "web", NULL, "v2:a.yaml:1:1");
    s_empty(&s->b, "web", FX_REGION, "v2:b.yaml:4:1");
    assert_int_equal(cr_compare_build(&s->cmp, &s->a, &s->b, &s->opts), CR_EINVALID);
    assert_string_equal(cr_error_last(), "v2:b.yaml:4:1: duplicate pool name 'web' in region "
                                         "us-east-1 (also defined at v2:a.yaml:1:1)");
    assert_int_equal(s->cmp.n_pools, 0);
}

/* ---- property: compare(A, B) and compare(B, A) are mirror images ---- */

static bool s_coin(uint32_t *seed)
{
    return cr_test_random(seed) % 2 == 0;
}

static const char *s_pick(uint32_t *seed, const char *const *options, size_t n)
{
    return options[cr_test_random(seed) % n];
}

#define PICK(seed, ...)                                                                            \
    s_pick(seed, (const char *const[]){__VA_ARGS__},                                               \
           sizeof((const char *const[]){__VA_ARGS__}) / sizeof(const char *))

/* A random pool from a small space, so that A and B often agree on a field. */
static void s_random_pool(struct cr_desired_set *set, const char *name, const char *region,
                          const char *rev, uint32_t *seed)
{
    char source[64];
    snprintf(source, sizeof(source), "%s:pools/%s.yaml:%u:1", rev, name,
             1 + cr_test_random(seed) % 2);
    struct cr_desired_pool *d = s_empty(set, name, region, source);
    struct cr_cognito_pool *c = &d->config;
    free(c->name);
    c->name = strdup(PICK(seed, "X", "Y"));
    c->allow_unauthenticated = s_coin(seed);
    c->allow_classic_flow = s_coin(seed);
    const char *dev = PICK(seed, NULL, "login.a", "login.b");
    c->developer_provider_name = dev ? strdup(dev) : NULL;
    bool facebook = s_coin(seed), user_pool = s_coin(seed);
    if (facebook)
        fx_set(&c->supported_login_providers, "graph.facebook.com", PICK(seed, "1", "2"));
    if (user_pool)
        fx_provider(c, FX_UP, FX_CLIENT, s_coin(seed));
    if (s_coin(seed))
        fx_push(&c->open_id_connect_provider_arns, FX_OIDC);
    if (cr_test_random(seed) % 3 == 0)
        d->adopt_id = strdup(PICK(seed, FX_ID, "us-east-1:99999999-2222-3333-4444-555555555555"));
    d->manage_tags = s_coin(seed);
    d->manage_roles = s_coin(seed);
    d->manage_principal_tags = s_coin(seed);
    if (d->manage_tags) {
        fx_set(&d->tags, "team", PICK(seed, "a", "b"));
        if (s_coin(seed))
            fx_set(&d->tags, "env", "x");
    }
    if (d->manage_roles) {
        fx_set(&d->roles.roles, "authenticated", PICK(seed, FX_ROLE("A"), FX_ROLE("B")));
        if (user_pool && s_coin(seed))
            fx_rule(fx_mapping(&d->roles, FX_UPKEY, "Rules", "Deny"), "custom:tier", "Equals",
                    PICK(seed, "paid", "free"), FX_ROLE("Paid"));
    }
    if (d->manage_principal_tags && user_pool && s_coin(seed))
        fx_ptag(&d->principal_tags, &d->n_principal_tags, FX_UP, s_coin(seed), "department",
                PICK(seed, "custom:department", "custom:dept"));
    assert_ok(cr_desired_normalise(d));
}

/* A random set: each of three names in each of two regions, or not; the default region
 * written as no region or as its name. */
static void s_random_set(struct cr_desired_set *set, const char *rev, uint32_t *seed)
{
    static const char *const names[] = {"a", "b", "c"};
    for (size_t i = 0; i < 3; i++) {
        if (cr_test_random(seed) % 5 < 3)
            s_random_pool(set, names[i], PICK(seed, NULL, FX_REGION), rev, seed);
        if (cr_test_random(seed) % 5 < 2)
            s_random_pool(set, names[i], REGION2, rev, seed);
    }
}

static const struct cr_desired_pool *s_find_desired(const struct cr_desired_set *set,
                                                    const struct cr_compare_pool *p)
{
    for (size_t i = 0; i < set->len; i++)
        if (strcmp(set->pools[i].name, p->name) == 0 &&
            strcmp(set->pools[i].region ? set->pools[i].region : FX_REGION, p->region) == 0)
            return &set->pools[i];
    return NULL;
}

static const struct cr_compare_pool *s_find_pool(const struct cr_compare *cmp,
                                                 const struct cr_compare_pool *p)
{
    for (size_t i = 0; i < cmp->n_pools; i++)
        if (strcmp(cmp->pools[i].name, p->name) == 0 &&
            strcmp(cmp->pools[i].region, p->region) == 0)
            return &cmp->pools[i];
    return NULL;
}

static bool s_str_eq(const char *a, const char *b)
{
    return (a == NULL && b == NULL) || (a != NULL && b != NULL && strcmp(a, b) == 0);
}

/* The developer provider name cannot change once set: the model of a replacement. */
static bool s_model_replaces(const struct cr_desired_pool *from, const struct cr_desired_pool *to)
{
    const char *a = from->config.developer_provider_name, *b = to->config.developer_provider_name;
    return a != NULL && !s_str_eq(a, b);
}

static enum cr_compare_status s_mirror_status(enum cr_compare_status s)
{
    return s == CR_COMPARE_ADDED     ? CR_COMPARE_REMOVED
           : s == CR_COMPARE_REMOVED ? CR_COMPARE_ADDED
                                     : s;
}

static void s_print_changes(const char *title, const struct cr_compare_pool *p)
{
    print_message("%s (%s):\n", title,
                  p == NULL                          ? "not listed"
                  : p->status == CR_COMPARE_REPLACED ? "replaced"
                                                     : "changed");
    for (size_t i = 0; p != NULL && i < p->n_changes; i++)
        print_message("  %s: %s -> %s\n", p->changes[i].path,
                      p->changes[i].before ? p->changes[i].before : "(absent)",
                      p->changes[i].after ? p->changes[i].after : "(absent)");
}

/* p (of compare(A, B)) and q (of compare(B, A)) hold the same changes, sides swapped. */
static void s_assert_mirror_changes(const struct cr_compare_pool *p,
                                    const struct cr_compare_pool *q, uint32_t seed)
{
    bool mirror = p->n_changes == q->n_changes;
    for (size_t i = 0; mirror && i < p->n_changes; i++) {
        const struct cr_plan_change *c = &p->changes[i];
        const struct cr_plan_change *m = s_change(q, c->path);
        mirror = m != NULL && s_str_eq(c->before, m->after) && s_str_eq(c->after, m->before);
    }
    if (mirror)
        return;
    s_print_changes("from A to B", p);
    s_print_changes("from B to A", q);
    fail_msg("seed %u: pool %s/%s: the changes are not mirror images", seed, p->name, p->region);
}

/* Does pool d manage the field at path? Pool fields and metadata.id always; a section's
 * entries when the section is managed; a principal-tag map when the section is managed and
 * names the provider. */
static bool s_manages(const struct cr_desired_pool *d, const char *path)
{
    if (strncmp(path, "roles.", 6) == 0 || strncmp(path, "roleMappings[", 13) == 0)
        return d->manage_roles;
    if (strncmp(path, "tags[", 5) == 0)
        return d->manage_tags;
    if (strncmp(path, "principalTagAttributeMaps[", 26) != 0)
        return true;
    struct cr_strlist providers = {0};
    bool named = false;
    assert_ok(cr_desired_principal_tag_providers(&providers, d));
    for (size_t i = 0; i < providers.len; i++) {
        char key[512];
        snprintf(key, sizeof(key), "principalTagAttributeMaps[\"%s\"].", providers.items[i]);
        named = named || strncmp(path, key, strlen(key)) == 0;
    }
    cr_strlist_dispose(&providers);
    return d->manage_principal_tags && named;
}

/*
 * p: the pool in compare(A, B) (NULL: not listed), q: in compare(B, A). A field both
 * revisions manage changes the same way in both, sides swapped. A field only one revision
 * manages shows only on the way to that revision (docs/gitops.md: a section that becomes
 * managed shows its entries; one that becomes unmanaged shows nothing, apply leaves it).
 */
static void s_assert_one_way(const struct cr_compare_pool *p, const struct cr_compare_pool *q,
                             const struct cr_desired_pool *da, const struct cr_desired_pool *db,
                             uint32_t seed)
{
    for (size_t i = 0; p != NULL && i < p->n_changes; i++) {
        const struct cr_plan_change *c = &p->changes[i];
        const struct cr_plan_change *m = q != NULL ? s_change(q, c->path) : NULL;
        bool both = s_manages(da, c->path) && s_manages(db, c->path);
        bool ok = both ? m != NULL && s_str_eq(c->before, m->after) && s_str_eq(c->after, m->before)
                       : m == NULL && s_manages(db, c->path);
        if (ok)
            continue;
        s_print_changes("one way", p);
        s_print_changes("the other way", q);
        fail_msg("seed %u: pool %s/%s: %s (%s) does not mirror", seed, da->name, p->region, c->path,
                 both ? "managed on both sides" : "managed on one side");
    }
}

static void s_assert_mirror(const struct cr_compare *ab, const struct cr_compare *ba,
                            const struct cr_desired_set *a, const struct cr_desired_set *b,
                            uint32_t seed)
{
    const struct cr_compare *sides[2] = {ab, ba};
    for (size_t side = 0; side < 2; side++) {
        const struct cr_compare *one = sides[side], *other = sides[1 - side];
        const struct cr_desired_set *from = side == 0 ? a : b, *to = side == 0 ? b : a;
        for (size_t i = 0; i < one->n_pools; i++) {
            const struct cr_compare_pool *p = &one->pools[i], *q = s_find_pool(other, p);
            const struct cr_desired_pool *df = s_find_desired(from, p), *dt = s_find_desired(to, p);
            if (p->status == CR_COMPARE_ADDED || p->status == CR_COMPARE_REMOVED) {
                /* a pool on one side only: the same fields, sides swapped */
                assert_int_equal(p->status == CR_COMPARE_ADDED, df == NULL);
                if (q == NULL || q->status != s_mirror_status(p->status))
                    fail_msg("seed %u: pool %s/%s is %s one way only", seed, p->name, p->region,
                             p->status == CR_COMPARE_ADDED ? "added" : "removed");
                s_assert_mirror_changes(p, q, seed);
                continue;
            }
            assert_non_null(df);
            assert_non_null(dt);
            /* replaced exactly where the model says; a replacement lists both pools' fields */
            if ((p->status == CR_COMPARE_REPLACED) != s_model_replaces(df, dt))
                fail_msg("seed %u: pool %s/%s is %s", seed, p->name, p->region,
                         p->status == CR_COMPARE_REPLACED ? "replaced" : "changed in place");
            if (p->status == CR_COMPARE_REPLACED || (q && q->status == CR_COMPARE_REPLACED))
                continue;
            if (!s_str_eq(p->from_source, df->source) || !s_str_eq(p->to_source, dt->source))
                fail_msg("seed %u: pool %s/%s: sources %s and %s, want %s and %s", seed, p->name,
                         p->region, p->from_source, p->to_source, df->source, dt->source);
            s_assert_one_way(p, q, df, dt, seed);
        }
    }
    assert_int_equal(ab->counts[CR_COMPARE_ADDED], ba->counts[CR_COMPARE_REMOVED]);
    assert_int_equal(ab->counts[CR_COMPARE_REMOVED], ba->counts[CR_COMPARE_ADDED]);
}

static void test_compare__mirror_images_and_self_is_empty(void **state)
{
    (void)state;
    struct cr_compare_options ab_opts = {.region = FX_REGION, .from_rev = "v1", .to_rev = "v2"};
    struct cr_compare_options ba_opts = {.region = FX_REGION, .from_rev = "v2", .to_rev = "v1"};
    size_t differing = 0;
    for (uint32_t seed0 = 1; seed0 <= 300; seed0++) {
        uint32_t seed = seed0 * 2654435761u;
        struct cr_desired_set a = {0}, b = {0};
        struct cr_compare ab, ba, aa;
        s_random_set(&a, "v1", &seed);
        s_random_set(&b, "v2", &seed);
        assert_ok(cr_compare_build(&aa, &a, &a, &ab_opts));
        if (cr_compare_differs(&aa))
            fail_msg("seed %u: A differs from itself (%s)", seed0, aa.pools[0].name);
        assert_ok(cr_compare_build(&ab, &a, &b, &ab_opts));
        assert_ok(cr_compare_build(&ba, &b, &a, &ba_opts));
        s_assert_mirror(&ab, &ba, &a, &b, seed0);
        differing += ab.n_pools;
        cr_compare_dispose(&aa);
        cr_compare_dispose(&ab);
        cr_compare_dispose(&ba);
        cr_desired_set_dispose(&a);
        cr_desired_set_dispose(&b);
    }
    /* the generator does exercise differences */
    if (differing < 300)
        fail_msg("only %zu differing pools in 300 cases", differing);
}

#define T(name) cmocka_unit_test_setup_teardown(name, setup, teardown)

/* Pools match by account too: the same name in two accounts is two pools; moving a pool to
 * another account removes it from one and adds it to the other. */
static void test_compare__pools_match_by_account(void **state)
{
    struct sides *s = *state;
    s_mobile(&s->a, "web", FX_REGION, "v1:pools/web.yaml:1:1")->account = strdup("dev");
    s_mobile(&s->a, "web", FX_REGION, "v1:pools/web.yaml:9:1")->account = strdup("prod");
    s_mobile(&s->b, "web", FX_REGION, "v2:pools/web.yaml:1:1")->account = strdup("dev");
    s_mobile(&s->b, "web", FX_REGION, "v2:pools/web.yaml:9:1")->account = strdup("prod");
    s_compare(s);
    assert_int_equal(s->cmp.n_pools, 0);
    /* prod's web moves to staging */
    free(s->b.pools[1].account);
    s->b.pools[1].account = strdup("staging");
    s_compare(s);
    assert_int_equal(s->cmp.n_pools, 2);
    assert_int_equal(s->cmp.counts[CR_COMPARE_ADDED], 1);
    assert_int_equal(s->cmp.counts[CR_COMPARE_REMOVED], 1);
    for (size_t i = 0; i < s->cmp.n_pools; i++) {
        const struct cr_compare_pool *p = &s->cmp.pools[i];
        assert_string_equal(p->account, p->status == CR_COMPARE_ADDED ? "staging" : "prod");
    }
    /* a name twice in one account is refused; once per account is fine */
    free(s->b.pools[1].account);
    s->b.pools[1].account = strdup("dev");
    cr_compare_dispose(&s->cmp);
    assert_int_equal(cr_compare_build(&s->cmp, &s->a, &s->b, &s->opts), CR_EINVALID);
    assert_non_null(strstr(cr_error_last(), "duplicate pool name 'web' in account dev, region"));
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test_setup_teardown(test_compare__pools_match_by_account, setup, teardown),
        T(test_compare__identical_sets_are_empty),
        T(test_compare__a_new_pool_is_added_with_every_field),
        T(test_compare__a_dropped_pool_is_removed_with_every_field),
        T(test_compare__a_changed_field_is_the_only_change),
        T(test_compare__section_changes_are_field_by_field),
        T(test_compare__a_section_that_becomes_managed_shows_every_entry),
        T(test_compare__a_section_that_becomes_unmanaged_is_no_difference),
        T(test_compare__a_moved_document_is_marked_only_with_changes),
        T(test_compare__a_region_change_removes_and_adds),
        T(test_compare__pools_without_a_region_take_the_default),
        T(test_compare__a_developer_provider_change_is_a_replacement),
        T(test_compare__metadata_id_is_a_field),
        T(test_compare__a_name_twice_in_a_region_is_invalid),
        cmocka_unit_test(test_compare__mirror_images_and_self_is_empty),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
