/* SPDX-License-Identifier: Apache-2.0 */
/*
 * Many accounts in one plan (docs/plan.md "Accounts"): each account is planned on its own
 * (a pool is found, named uniquely and pruned only in its account), the plans are joined with
 * the default account first, the saved plan records every account, and every renderer groups
 * the plan by account, then region. The live state of several accounts is gathered from one
 * state per account and region.
 */
#include <jansson.h>

#include "reconcile/junit.h"
#include "reconcile/render.h"
#include "reconcile/render_kit.h"
#include "tests/unit/test_plan_fixture.h"

#define DEV_ID  "us-east-1:22222222-2222-3333-4444-555555555555"
#define OLD_ID  "eu-west-1:33333333-2222-3333-4444-555555555555"
#define DEV_ACC "111111111111"
#define PRD_ACC "222222222222"

/* Adds l to state in account (NULL = the default) and region, the scope listed. */
static void s_add(struct cr_live_state *state, const char *account, const char *region,
                  const char *account_id, const struct fx_live *l)
{
    struct cr_live_pool *p = NULL;
    assert_ok(cr_live_state_add_scope(state, account, region, account_id));
    assert_ok(cr_live_state_add(&p, state, region, &l->config, &l->roles, l->ptags, l->n_ptags));
    assert_ok(cr_live_pool_set_account(state, p, account));
}

/*
 * The same pool name "web" in three accounts: unchanged in the default account, renamed in
 * dev, new in prod (eu-west-1), where the stack also owns "old", which no manifest names.
 */
struct s_world {
    struct cr_desired_pool d[3];
    struct cr_desired_account accounts[2];
    struct fx_live web, dev, old;
    struct cr_live_state live;
    struct cr_plan plan;
    struct cr_plan_options opts;
};

static void s_named(struct cr_desired_pool *d, const char *account, const char *region,
                    const char *source, const char *pool_name)
{
    fx_desired(d);
    free(d->name);
    d->name = strdup("web");
    d->account = account ? strdup(account) : NULL;
    d->region = strdup(region);
    free(d->source);
    d->source = strdup(source);
    free(d->config.name);
    d->config.name = strdup(pool_name);
}

static void s_account(struct cr_desired_account *a, const char *name, const char *id,
                      const char *profile, const char *region)
{
    memset(a, 0, sizeof(*a));
    a->name = strdup(name);
    a->account_id = strdup(id);
    a->profile = strdup(profile);
    a->region = region ? strdup(region) : NULL;
    a->source = strdup("accounts.yaml:1:1");
}

static struct s_world *s_world_new(void)
{
    struct s_world *w = calloc(1, sizeof(*w));
    assert_non_null(w);
    s_named(&w->d[0], NULL, FX_REGION, "pools/web.yaml:1:1", "MobileApp Prod");
    s_named(&w->d[1], "dev", FX_REGION, "pools/web.yaml:9:1", "Web Dev");
    s_named(&w->d[2], "prod", "eu-west-1", "pools/web.yaml:17:1", "Web Prod");
    s_account(&w->accounts[0], "dev", DEV_ACC, "dev", NULL);
    s_account(&w->accounts[1], "prod", PRD_ACC, "prod", "eu-west-1");
    fx_live_init(&w->web, FX_ID, "default", "web");
    fx_live_init(&w->dev, DEV_ID, "default", "web");
    fx_live_init(&w->old, OLD_ID, "default", "old");
    cr_live_state_init(&w->live);
    s_add(&w->live, NULL, FX_REGION, FX_ACCOUNT, &w->web);
    s_add(&w->live, "dev", FX_REGION, DEV_ACC, &w->dev);
    s_add(&w->live, "prod", "eu-west-1", PRD_ACC, &w->old);
    w->opts = (struct cr_plan_options){.stack = "default",
                                       .region = FX_REGION,
                                       .prune = true,
                                       .accounts = w->accounts,
                                       .n_accounts = 2,
                                       .default_account_id = FX_ACCOUNT};
    assert_ok(cr_plan_build(&w->plan, w->d, 3, &w->live, &w->opts));
    return w;
}

static void s_world_free(struct s_world *w)
{
    for (size_t i = 0; i < 3; i++)
        cr_desired_pool_dispose(&w->d[i]);
    for (size_t i = 0; i < 2; i++)
        cr_desired_account_dispose(&w->accounts[i]);
    fx_live_dispose(&w->web);
    fx_live_dispose(&w->dev);
    fx_live_dispose(&w->old);
    cr_live_state_dispose(&w->live);
    cr_plan_dispose(&w->plan);
    free(w);
}

static int setup(void **state)
{
    *state = s_world_new();
    return 0;
}

static int teardown(void **state)
{
    s_world_free(*state);
    return 0;
}

static void test_accounts__each_account_is_planned_on_its_own(void **state)
{
    struct s_world *w = *state;
    const struct cr_plan *p = &w->plan;
    /* the default account first, then the named ones by name, each contiguous */
    assert_int_equal(p->n_pools, 4);
    assert_null(p->pools[0].account);
    assert_int_equal(p->pools[0].action, CR_PLAN_NOOP); /* its "web", not dev's */
    assert_string_equal(p->pools[0].pool_id, FX_ID);
    assert_string_equal(p->pools[1].account, "dev");
    assert_int_equal(p->pools[1].action, CR_PLAN_UPDATE);
    assert_string_equal(p->pools[1].pool_id, DEV_ID);
    assert_string_equal(p->pools[2].account, "prod");
    assert_int_equal(p->pools[2].action, CR_PLAN_CREATE);
    assert_string_equal(p->pools[3].account, "prod");
    assert_int_equal(p->pools[3].action, CR_PLAN_DELETE);
    assert_string_equal(p->pools[3].pool_id, OLD_ID);
    assert_int_equal(p->n_create, 1);
    assert_int_equal(p->n_update, 1);
    assert_int_equal(p->n_delete, 1);
    /* the operations follow their pools after the join */
    size_t next = 0;
    for (size_t i = 0; i < p->n_pools; i++) {
        assert_int_equal(p->pools[i].first_op, next);
        for (size_t k = 0; k < p->pools[i].n_ops; k++)
            assert_int_equal(p->ops[next + k].pool, i);
        next += p->pools[i].n_ops;
    }
    assert_int_equal(next, p->n_ops);
    /* a tag call of dev's pool names dev's account in its ARN */
    for (size_t i = 0; i < p->n_ops; i++)
        if (p->ops[i].arn != NULL && p->ops[i].pool == 1)
            assert_non_null(strstr(p->ops[i].arn, ":" DEV_ACC ":"));
    /* what the plan covers, per account */
    assert_int_equal(p->n_accounts, 3);
    assert_null(p->accounts[0].account.name);
    assert_string_equal(p->accounts[0].account.account_id, FX_ACCOUNT);
    assert_string_equal(p->accounts[1].account.profile, "dev");
    assert_string_equal(p->accounts[2].account.account_id, PRD_ACC);
    assert_string_equal(p->accounts[2].regions.items[0], "eu-west-1");
    assert_int_equal(p->regions.len, 2);
    assert_ptr_equal(cr_plan_account_find(p, "prod"), &p->accounts[2]);
    assert_true(cr_plan_has_accounts(p));
    /* what a saved plan needs to check the stack again: scopes and every owned pool */
    assert_int_equal(p->listed.len, 3);
    assert_true(cr_strlist_contains(&p->listed, "prod/eu-west-1"));
    assert_true(cr_strlist_contains(&p->listed, "dev/us-east-1"));
    assert_true(cr_strlist_contains(&p->listed, FX_REGION));
    assert_int_equal(p->owned.len, 3);
    assert_int_equal(p->n_desired, 3);
    assert_string_equal(p->desired[2].account, "prod");
}

/* A pool of another account is never matched, updated or pruned from this one. */
static void test_accounts__a_pool_of_another_account_is_invisible(void **state)
{
    struct s_world *w = *state;
    struct cr_live_state live;
    struct cr_plan plan;
    cr_live_state_init(&live);
    /* only dev holds a "web"; the default account's region is listed and empty */
    assert_ok(cr_live_state_add_scope(&live, NULL, FX_REGION, FX_ACCOUNT));
    s_add(&live, "dev", FX_REGION, DEV_ACC, &w->dev);
    assert_ok(cr_plan_build(&plan, w->d, 1, &live, &w->opts));
    assert_int_equal(plan.n_pools, 2);
    assert_null(plan.pools[0].account);
    assert_int_equal(plan.pools[0].action, CR_PLAN_CREATE);
    /* dev's pool is pruned in dev, where no manifest names it, and nowhere else */
    assert_string_equal(plan.pools[1].account, "dev");
    assert_int_equal(plan.pools[1].action, CR_PLAN_DELETE);
    cr_plan_dispose(&plan);
    cr_live_state_dispose(&live);
}

static void test_accounts__names_are_unique_per_account(void **state)
{
    struct s_world *w = *state;
    struct cr_desired_pool twice[2];
    struct cr_plan plan;
    memcpy(&twice[0], &w->d[1], sizeof(twice[0])); /* shallow: borrowed, not disposed */
    memcpy(&twice[1], &w->d[1], sizeof(twice[1]));
    assert_int_equal(cr_plan_build(&plan, twice, 2, &w->live, &w->opts), CR_EINVALID);
    assert_non_null(strstr(cr_error_last(), "account 'dev': "));
    assert_int_equal(plan.n_pools, 0);
}

static void test_accounts__live_states_gather_and_split_by_account(void **state)
{
    struct s_world *w = *state;
    struct cr_live_state a, b, all, view;
    struct cr_live_pool *p = NULL;
    cr_live_state_init(&a);
    cr_live_state_init(&b);
    cr_live_state_init(&all);
    /* as two parallel reads leave them: one default scope, one of dev */
    assert_ok(cr_live_state_add_region(&a, FX_REGION, FX_ACCOUNT));
    assert_ok(cr_live_state_add(NULL, &a, FX_REGION, &w->web.config, NULL, NULL, 0));
    assert_ok(cr_live_state_add_scope(&b, "dev", FX_REGION, DEV_ACC));
    assert_ok(cr_live_state_add(&p, &b, FX_REGION, &w->dev.config, NULL, NULL, 0));
    assert_ok(cr_live_pool_set_account(&b, p, "dev"));
    assert_ok(cr_live_state_merge(&all, &a));
    assert_ok(cr_live_state_merge(&all, &b));
    assert_int_equal(a.len + b.len, 0);
    cr_live_state_dispose(&a);
    cr_live_state_dispose(&b); /* the merged pools' strings live in all's arena */
    assert_int_equal(all.len, 2);
    assert_null(all.pools[0]->account);
    assert_string_equal(all.pools[1]->account, "dev");
    assert_string_equal(all.pools[1]->region, FX_REGION);
    assert_true(cr_strlist_contains(&all.regions, "dev/" FX_REGION));
    assert_string_equal(cr_strmap_get(&all.account_ids, "dev/" FX_REGION), DEV_ACC);
    assert_string_equal(cr_strmap_get(&all.account_ids, FX_REGION), FX_ACCOUNT);
    struct cr_strlist names = {0};
    bool has_default = false;
    assert_ok(cr_live_state_accounts(&names, &has_default, &all));
    assert_true(has_default);
    assert_int_equal(names.len, 1);
    assert_string_equal(names.items[0], "dev");
    cr_strlist_dispose(&names);
    /* dev's view: its pool, its region and id keyed by plain region */
    assert_ok(cr_live_state_view(&view, &all, "dev"));
    assert_int_equal(view.len, 1);
    assert_ptr_equal(view.pools[0], all.pools[1]);
    assert_int_equal(view.regions.len, 1);
    assert_string_equal(view.regions.items[0], FX_REGION);
    assert_string_equal(cr_strmap_get(&view.account_ids, FX_REGION), DEV_ACC);
    cr_live_state_view_dispose(&view);
    assert_ok(cr_live_state_view(&view, &all, NULL));
    assert_int_equal(view.len, 1);
    assert_string_equal(cr_strmap_get(&view.account_ids, FX_REGION), FX_ACCOUNT);
    cr_live_state_view_dispose(&view);
    char key[CR_LIVE_SCOPE_MAX];
    assert_string_equal(cr_live_scope_key(key, NULL, "eu-west-1"), "eu-west-1");
    assert_string_equal(cr_live_scope_key(key, "prod", "eu-west-1"), "prod/eu-west-1");
    cr_live_state_dispose(&all);
}

static void s_saved(struct cr_buf *out, const struct cr_plan *plan)
{
    assert_ok(cr_plan_save_text(out, plan));
}

static void test_accounts__a_saved_plan_records_every_account(void **state)
{
    struct s_world *w = *state;
    struct cr_buf text = CR_BUF_INIT;
    struct cr_plan loaded, now;
    s_saved(&text, &w->plan);
    assert_ok(cr_plan_load_text(&loaded, text.ptr, text.len, "saved.json"));
    assert_int_equal(loaded.n_accounts, 3);
    assert_string_equal(loaded.accounts[1].account.name, "dev");
    assert_string_equal(loaded.accounts[1].account.account_id, DEV_ACC);
    assert_string_equal(loaded.accounts[2].account.region, "eu-west-1");
    assert_string_equal(loaded.accounts[0].account.account_id, FX_ACCOUNT);
    assert_string_equal(loaded.pools[3].account, "prod");
    assert_string_equal(loaded.desired[1].account, "dev");
    /* unchanged live state: it verifies, and is derived again call for call */
    assert_ok(cr_plan_verify(&loaded, &w->live));
    assert_ok(cr_plan_rederive(&now, &loaded, &w->live));
    char a[CR_PLAN_DIGEST_LEN + 1], b[CR_PLAN_DIGEST_LEN + 1];
    assert_ok(cr_plan_digest(a, &w->plan));
    assert_ok(cr_plan_digest(b, &now));
    assert_string_equal(a, b);
    assert_int_equal(now.n_accounts, 3); /* the saved accounts, for apply's clients */
    assert_string_equal(now.accounts[2].account.profile, "prod");
    cr_plan_dispose(&now);
    cr_plan_dispose(&loaded);

    /* a call moved to another account changes the digest: refused on load */
    json_t *doc = json_loadb(text.ptr, text.len, 0, NULL);
    json_t *ops = json_object_get(doc, "operations");
    json_object_set_new(json_array_get(ops, 0), "account", json_string("prod"));
    char *edited = json_dumps(doc, 0);
    assert_int_equal(cr_plan_load_text(&loaded, edited, strlen(edited), "e.json"), CR_EINVALID);
    assert_non_null(strstr(cr_error_last(), "digest"));
    free(edited);
    json_decref(doc);
    /* a pool in an account the plan does not list cannot be applied */
    doc = json_loadb(text.ptr, text.len, 0, NULL);
    json_array_remove(json_object_get(doc, "accounts"), 2);
    edited = json_dumps(doc, 0);
    assert_int_equal(cr_plan_load_text(&loaded, edited, strlen(edited), "e.json"), CR_EINVALID);
    assert_non_null(strstr(cr_error_last(), "does not list under accounts"));
    free(edited);
    json_decref(doc);
    cr_buf_dispose(&text);
}

/* A pool created meanwhile in one account makes the saved plan stale; the same in another
 * account's scope that the plan did not list does not concern it. */
static void test_accounts__the_inventory_is_checked_per_account(void **state)
{
    struct s_world *w = *state;
    struct fx_live extra;
    struct cr_plan loaded;
    struct cr_buf text = CR_BUF_INIT;
    s_saved(&text, &w->plan);
    assert_ok(cr_plan_load_text(&loaded, text.ptr, text.len, "saved.json"));
    fx_live_init(&extra, "us-east-1:44444444-2222-3333-4444-555555555555", "default", "api");
    s_add(&w->live, "staging", FX_REGION, "333333333333", &extra);
    assert_ok(cr_plan_verify(&loaded, &w->live));
    s_add(&w->live, "dev", FX_REGION, DEV_ACC, &extra);
    assert_int_equal(cr_plan_verify(&loaded, &w->live), CR_ECONFLICT);
    assert_non_null(strstr(cr_error_last(), "appeared"));
    fx_live_dispose(&extra);
    cr_plan_dispose(&loaded);
    cr_buf_dispose(&text);
}

static void s_golden(const char *name,
                     int (*render)(struct cr_buf *, const struct cr_plan *,
                                   const struct cr_render_options *),
                     const struct cr_plan *plan)
{
    struct cr_buf out = CR_BUF_INIT;
    assert_ok(render(&out, plan, NULL));
    fx_golden(name, &out);
    cr_buf_dispose(&out);
}

static void test_accounts__renderers_group_by_account_then_region(void **state)
{
    struct s_world *w = *state;
    struct cr_buf out = CR_BUF_INIT;
    s_golden("plan-accounts.txt", cr_render_text, &w->plan);
    s_golden("plan-accounts.md", cr_render_markdown, &w->plan);
    assert_ok(cr_render_json(&out, &w->plan));
    fx_golden("plan-accounts.json", &out);
    cr_buf_clear(&out);
    struct cr_junit_options jo = {.timestamp = "2026-01-01T00:00:00Z", .time_ms = 1234};
    assert_ok(cr_render_junit(&out, &w->plan, &jo));
    fx_golden("junit-accounts.xml", &out);
    cr_buf_dispose(&out);
    /* the groups every renderer walks */
    struct cr_render_groups groups;
    assert_ok(cr_render_groups(&groups, &w->plan, false));
    assert_true(groups.headed);
    assert_int_equal(groups.len, 3);
    assert_null(groups.items[0].account);
    assert_string_equal(groups.items[1].account, "dev");
    assert_string_equal(groups.items[2].region, "eu-west-1");
    assert_string_equal(groups.items[2].account_id, PRD_ACC);
    assert_int_equal(groups.items[2].n, 2);
    cr_render_groups_dispose(&groups);
}

/* The plan pool named "web" in account (NULL = the default). */
static size_t s_web_of(const struct cr_plan *plan, const char *account)
{
    for (size_t i = 0; i < plan->n_pools; i++) {
        const struct cr_plan_pool *p = &plan->pools[i];
        if (strcmp(p->name, "web") == 0 && p->action != CR_PLAN_DELETE &&
            (account ? p->account && strcmp(p->account, account) == 0 : p->account == NULL))
            return i;
    }
    fail_msg("no pool web in %s", account ? account : "the default account");
    return 0;
}

/* Access impact of pools of one name in several accounts: every renderer names each entry's
 * account (text in words, JSON "account", a Markdown column), as the operations do. */
static void test_accounts__access_impact_names_the_account(void **state)
{
    struct s_world *w = *state;
    struct cr_plan *plan = &w->plan;
    static const char *const accounts[] = {"dev", "prod", NULL};
    plan->access_checked = true;
    plan->access = calloc(3, sizeof(*plan->access));
    assert_non_null(plan->access);
    plan->n_access = 3;
    for (size_t i = 0; i < 3; i++) {
        char source[32];
        snprintf(source, sizeof(source), "t.yaml:%zu:7", 10 * i + 3);
        plan->access[i] = (struct cr_plan_access){
            s_web_of(plan, accounts[i]), strdup("t"), strdup("paid"), strdup(source),
            i == 1 ? NULL : strdup("role Auth"), strdup(i == 2 ? "role Auth" : "role Paid"),
            strdup("rule 1 matched"), i == 2 ? strdup("expected role Paid, got role Auth") : NULL};
    }
    struct cr_buf text = CR_BUF_INIT, md = CR_BUF_INIT, json = CR_BUF_INIT;
    assert_ok(cr_render_text(&text, plan, NULL));
    assert_ok(cr_render_markdown(&md, plan, NULL));
    assert_ok(cr_render_json(&json, plan));
    const char *x = cr_buf_cstr(&text);
    if (!strstr(x, "Access impact (IdentityPoolTest cases):\n"
                   "  ~ web (account dev): paid: role Auth \xe2\x86\x92 role Paid (t.yaml:3:7)\n"
                   "      rule 1 matched\n"
                   "  ~ web (account prod): paid: (no pool) \xe2\x86\x92 role Paid (t.yaml:13:7)\n"
                   "      rule 1 matched\n"
                   "  ! web (default account): paid (t.yaml:23:7)\n"
                   "      warning: the expectation fails: expected role Paid, got role Auth\n"))
        fail_msg("unexpected text:\n%s", x);
    x = cr_buf_cstr(&md);
    if (!strstr(x, "| Case | Account | Pool | Before | After | Expectation |\n"
                   "|---|---|---|---|---|---|\n"
                   "| paid (`t.yaml:3:7`) | `dev` | `web` | role Auth | **role Paid** | holds |\n"
                   "| paid (`t.yaml:13:7`) | `prod` | `web` | (no pool) | **role Paid** | holds |\n"
                   "| paid (`t.yaml:23:7`) | (default) | `web` | role Auth | role Auth | "
                   ":warning: fails: expected role Paid, got role Auth |\n"))
        fail_msg("unexpected Markdown:\n%s", x);
    json_t *doc = json_loads(cr_buf_cstr(&json), 0, NULL);
    json_t *cases = json_object_get(json_object_get(doc, "access_impact"), "cases");
    assert_int_equal(json_array_size(cases), 3);
    for (size_t i = 0; i < 3; i++) {
        json_t *c = json_array_get(cases, i);
        assert_string_equal(json_string_value(json_object_get(c, "pool")), "web");
        if (accounts[i])
            assert_string_equal(json_string_value(json_object_get(c, "account")), accounts[i]);
        else
            assert_true(json_is_null(json_object_get(c, "account")));
    }
    json_decref(doc);
    cr_buf_dispose(&text);
    cr_buf_dispose(&md);
    cr_buf_dispose(&json);
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test_setup_teardown(test_accounts__each_account_is_planned_on_its_own, setup,
                                        teardown),
        cmocka_unit_test_setup_teardown(test_accounts__a_pool_of_another_account_is_invisible,
                                        setup, teardown),
        cmocka_unit_test_setup_teardown(test_accounts__names_are_unique_per_account, setup,
                                        teardown),
        cmocka_unit_test_setup_teardown(test_accounts__live_states_gather_and_split_by_account,
                                        setup, teardown),
        cmocka_unit_test_setup_teardown(test_accounts__a_saved_plan_records_every_account, setup,
                                        teardown),
        cmocka_unit_test_setup_teardown(test_accounts__the_inventory_is_checked_per_account, setup,
                                        teardown),
        cmocka_unit_test_setup_teardown(test_accounts__access_impact_names_the_account, setup,
                                        teardown),
        cmocka_unit_test_setup_teardown(test_accounts__renderers_group_by_account_then_region,
                                        setup, teardown),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
