/* SPDX-License-Identifier: Apache-2.0 */
/*
 * --target (reconcile/target.c): the plan's inputs filtered to the targeted pools. Told like
 * test_diff.c on a small stack, then a seeded property: planning with targets gives exactly
 * the part of the full plan that concerns the targeted pools.
 */
#include "tests/unit/test_plan_fixture.h"

#include "reconcile/target.h"

#define ID(n) "us-east-1:" n "0000000-2222-3333-4444-555555555555"

/* The stack: manifests web, web-admin, api, mobile (mobile adopts an untagged pool by id);
 * live: web and api (both edited by hand), web-admin missing, legacy-a and legacy-b owned
 * but in no manifest, another stack's "web", and the untagged pool. */
struct world {
    struct cr_desired_set desired;
    struct fx_live live_pools[6];
    size_t n_live;
    struct cr_live_state live;
    struct cr_plan plan;
    struct cr_plan_options opts;
};

static void s_desired(struct cr_desired_set *set, const char *name, const char *adopt)
{
    set->pools = realloc(set->pools, (set->len + 1) * sizeof(*set->pools));
    assert_non_null(set->pools);
    struct cr_desired_pool *d = &set->pools[set->len++];
    fx_desired(d);
    free(d->name);
    d->name = strdup(name);
    d->adopt_id = adopt ? strdup(adopt) : NULL;
}

static void s_live(struct world *w, const char *id, const char *stack, const char *name,
                   bool edited)
{
    struct fx_live *l = &w->live_pools[w->n_live++];
    fx_live_init(l, id, stack, name);
    if (edited) {
        free(l->config.name);
        l->config.name = strdup("Edited By Hand");
    }
}

/* (Re)builds the live state from the world's pools. */
static void s_read(struct world *w)
{
    cr_live_state_dispose(&w->live);
    cr_live_state_init(&w->live);
    assert_ok(cr_live_state_add_region(&w->live, FX_REGION, FX_ACCOUNT));
    for (size_t i = 0; i < w->n_live; i++)
        fx_live_add(&w->live, &w->live_pools[i]);
}

static int setup(void **state)
{
    struct world *w = calloc(1, sizeof(*w));
    assert_non_null(w);
    s_desired(&w->desired, "web", NULL);
    s_desired(&w->desired, "web-admin", NULL);
    s_desired(&w->desired, "api", NULL);
    s_desired(&w->desired, "mobile", ID("5"));
    s_live(w, ID("1"), "default", "web", true);
    s_live(w, ID("2"), "default", "api", true);
    s_live(w, ID("3"), "default", "legacy-a", false);
    s_live(w, ID("4"), "default", "legacy-b", false);
    s_live(w, ID("6"), "payments", "web", false);
    s_live(w, ID("5"), NULL, NULL, false);
    cr_live_state_init(&w->live);
    s_read(w);
    w->opts.stack = "default";
    w->opts.region = FX_REGION;
    *state = w;
    return 0;
}

static int teardown(void **state)
{
    struct world *w = *state;
    cr_desired_set_dispose(&w->desired);
    for (size_t i = 0; i < w->n_live; i++)
        fx_live_dispose(&w->live_pools[i]);
    cr_live_state_dispose(&w->live);
    cr_plan_dispose(&w->plan);
    free(w);
    return 0;
}

/* Targets the world, then plans; returns the first failing code. */
static int s_plan(struct world *w, const char *const *patterns, size_t n)
{
    struct cr_targets t = {patterns, n};
    cr_plan_dispose(&w->plan);
    int rc = cr_target_desired(&w->desired, &t, w->opts.prune);
    if (rc == 0)
        rc = cr_target_live(&w->live, &t, w->opts.stack, w->desired.pools, w->desired.len);
    if (rc == 0)
        rc = cr_plan_build(&w->plan, w->desired.pools, w->desired.len, &w->live, &w->opts);
    return rc;
}

/* "name:action" of every pool of the plan, space-separated. */
static const char *s_pools(const struct cr_plan *plan)
{
    static char text[1024];
    text[0] = '\0';
    for (size_t i = 0; i < plan->n_pools; i++)
        snprintf(text + strlen(text), sizeof(text) - strlen(text), "%s%s:%s", i ? " " : "",
                 plan->pools[i].name, cr_plan_action_name(plan->pools[i].action));
    return text;
}

static void test_target__globs_match_logical_names(void **state)
{
    static const char *const p[] = {"web", "*-prod", "api-?"};
    struct cr_targets t = {p, 3};
    assert_true(cr_target_match(&t, "web"));
    assert_false(cr_target_match(&t, "web-admin"));
    assert_true(cr_target_match(&t, "mobile-prod"));
    assert_true(cr_target_match(&t, "api-1"));
    assert_false(cr_target_match(&t, "api-12"));
    assert_false(cr_target_match(&t, NULL));
    struct cr_targets none = {NULL, 0};
    assert_true(cr_target_match(&none, "anything"));
}

static void test_target__no_target_plans_the_whole_stack(void **state)
{
    struct world *w = *state;
    w->opts.prune = true;
    assert_ok(s_plan(w, NULL, 0));
    assert_string_equal(s_pools(&w->plan), "web:update web-admin:create api:update "
                                           "mobile:update legacy-a:delete legacy-b:delete");
}

static void test_target__only_targeted_pools_are_planned(void **state)
{
    struct world *w = *state;
    static const char *const p[] = {"web*"};
    assert_ok(s_plan(w, p, 1));
    /* api was edited by hand too, but is not targeted: not compared, not changed */
    assert_string_equal(s_pools(&w->plan), "web:update web-admin:create");
    for (size_t i = 0; i < w->plan.n_ops; i++) {
        const struct cr_plan_pool *pool = &w->plan.pools[w->plan.ops[i].pool];
        assert_true(strcmp(pool->name, "web") == 0 || strcmp(pool->name, "web-admin") == 0);
    }
    /* another stack's "web" is still seen (and left alone): only our pools are filtered */
    assert_non_null(cr_live_find_id(&w->live, ID("6")));
    assert_null(cr_live_find_id(&w->live, ID("2")));
}

static void test_target__prune_deletes_only_targeted_pools(void **state)
{
    struct world *w = *state;
    static const char *const p[] = {"legacy-a", "web"};
    w->opts.prune = true;
    assert_ok(s_plan(w, p, 2));
    assert_string_equal(s_pools(&w->plan), "web:update legacy-a:delete");
    assert_int_equal(w->plan.n_delete, 1);
}

static void test_target__adopted_pool_is_kept_whatever_its_name(void **state)
{
    struct world *w = *state;
    static const char *const p[] = {"mobile"};
    w->opts.prune = true;
    assert_ok(s_plan(w, p, 1));
    /* the untagged pool mobile adopts by metadata.id: found, tagged, nothing pruned */
    assert_string_equal(s_pools(&w->plan), "mobile:update");
    assert_true(w->plan.pools[0].adopted);
    assert_string_equal(w->plan.pools[0].pool_id, ID("5"));
}

static void test_target__a_target_that_matches_nothing_is_an_error(void **state)
{
    struct world *w = *state;
    static const char *const typo[] = {"web", "wbe-admin"};
    /* without --prune: decided from the manifests, before the live state is read */
    struct cr_targets t = {typo, 2};
    assert_int_equal(cr_target_desired(&w->desired, &t, false), CR_ENOTFOUND);
    assert_string_equal(cr_error_last(), "--target 'wbe-admin' matches no pool in the manifests "
                                         "(did you mean 'web-admin'?)");
    assert_int_equal(w->desired.len, 4); /* untouched on failure */
    /* with --prune a target may name a pool no manifest declares; not one that is nowhere */
    static const char *const gone[] = {"legacy-c"};
    w->opts.prune = true;
    assert_int_equal(s_plan(w, gone, 1), CR_ENOTFOUND);
    assert_string_equal(cr_error_last(),
                        "--target 'legacy-c' matches no pool in the manifests nor among the "
                        "pools of stack 'default' (did you mean 'legacy-a'?)");
}

/* ---- property: a targeted plan is the full plan's part for the targeted pools ---- */

/* "name:action:op op op" per pool, for the pools whose name targets match. */
static void s_part(struct cr_buf *out, const struct cr_plan *plan, const struct cr_targets *t)
{
    cr_buf_clear(out);
    for (size_t i = 0; i < plan->n_pools; i++) {
        const struct cr_plan_pool *p = &plan->pools[i];
        if (!cr_target_match(t, p->name))
            continue;
        assert_ok(cr_buf_printf(out, "%s:%s:", p->name, cr_plan_action_name(p->action)));
        for (size_t k = 0; k < p->n_ops; k++)
            assert_ok(cr_buf_printf(out, " %s",
                                    cr_plan_op_kind_name(plan->ops[p->first_op + k].kind)));
        assert_ok(cr_buf_putc(out, '\n'));
    }
    assert_ok(cr_buf_put(out, "", 0));
}

static void test_target__targeted_plan_is_the_full_plans_part(void **state)
{
    static const char *const names[] = {"a", "b", "c", "ab", "ba", "web", "web-1", "web-2"};
    static const char *const globs[] = {"a",   "b*",  "*a", "web-*", "?",
                                        "w*b", "c",   "*",  "ab",    "web"};
    enum { N = sizeof(names) / sizeof(names[0]) };
    unsigned seed = 424242u;
    struct cr_buf want = CR_BUF_INIT, got = CR_BUF_INIT;
    for (int round = 0; round < 200; round++) {
        struct world w = {0};
        char ids[N][64];
        /* each name: in the manifests, live (edited or not), both, or neither */
        for (size_t i = 0; i < N; i++) {
            unsigned r = (unsigned)rand_r(&seed) % 5;
            snprintf(ids[i], sizeof(ids[i]), "us-east-1:%08zx-2222-3333-4444-555555555555", i);
            if (r == 0 || r == 1 || r == 2)
                s_desired(&w.desired, names[i], NULL);
            if ((r == 1 || r == 2 || r == 3) && w.n_live < 6)
                s_live(&w, ids[i], rand_r(&seed) % 4 ? "default" : "payments", names[i],
                       r == 2);
        }
        w.opts.stack = "default";
        w.opts.region = FX_REGION;
        w.opts.prune = rand_r(&seed) % 2;
        const char *pick[3];
        size_t n_pick = 1 + (size_t)rand_r(&seed) % 3;
        for (size_t k = 0; k < n_pick; k++)
            pick[k] = globs[(size_t)rand_r(&seed) % (sizeof(globs) / sizeof(globs[0]))];
        struct cr_targets t = {pick, n_pick};

        /* the full plan's part */
        cr_live_state_init(&w.live);
        s_read(&w);
        assert_ok(cr_plan_build(&w.plan, w.desired.pools, w.desired.len, &w.live, &w.opts));
        s_part(&want, &w.plan, &t);
        /* the targeted plan */
        int rc = s_plan(&w, pick, n_pick);
        if (rc == CR_ENOTFOUND) {
            /* only when a target matches no manifest and (with --prune) no pool of ours */
            bool some_unused = false;
            for (size_t k = 0; k < n_pick; k++) {
                struct cr_targets one = {&pick[k], 1};
                bool used = false;
                /* (with --prune the desired set is already filtered: it kept every match) */
                for (size_t j = 0; j < w.desired.len; j++)
                    used = used || cr_target_match(&one, w.desired.pools[j].name);
                for (size_t i = 0; w.opts.prune && i < w.n_live; i++) {
                    const char *stack = cr_strmap_get(&w.live_pools[i].config.tags, CR_TAG_STACK);
                    const char *name = cr_strmap_get(&w.live_pools[i].config.tags, CR_TAG_NAME);
                    used = used || (stack && strcmp(stack, "default") == 0 &&
                                    cr_target_match(&one, name));
                }
                some_unused = some_unused || !used;
            }
            assert_true(some_unused);
        } else {
            assert_ok(rc);
            s_part(&got, &w.plan, &t);
            if (strcmp(cr_buf_cstr(&want), cr_buf_cstr(&got)) != 0)
                fail_msg("round %d (prune %d, target %s%s%s): full plan's part\n%s\ntargeted "
                         "plan\n%s",
                         round, w.opts.prune, pick[0], n_pick > 1 ? " ..." : "", "",
                         cr_buf_cstr(&want), cr_buf_cstr(&got));
            /* and nothing else */
            for (size_t i = 0; i < w.plan.n_pools; i++)
                assert_true(cr_target_match(&t, w.plan.pools[i].name));
        }
        cr_desired_set_dispose(&w.desired);
        for (size_t i = 0; i < w.n_live; i++)
            fx_live_dispose(&w.live_pools[i]);
        cr_live_state_dispose(&w.live);
        cr_plan_dispose(&w.plan);
    }
    cr_buf_dispose(&want);
    cr_buf_dispose(&got);
}

#define T(fn) cmocka_unit_test_setup_teardown(fn, setup, teardown)

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_target__globs_match_logical_names),
        T(test_target__no_target_plans_the_whole_stack),
        T(test_target__only_targeted_pools_are_planned),
        T(test_target__prune_deletes_only_targeted_pools),
        T(test_target__adopted_pool_is_kept_whatever_its_name),
        T(test_target__a_target_that_matches_nothing_is_an_error),
        cmocka_unit_test(test_target__targeted_plan_is_the_full_plans_part),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
