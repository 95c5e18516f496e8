/* SPDX-License-Identifier: Apache-2.0 */
/*
 * Export: live pools become manifests that plan as "no changes" against the same live state
 * (owned pools), or as the adoption's ownership tags only (pools not yet ours).
 */
#include <stdio.h>

#include "reconcile/export.h"
#include "reconcile/render.h"
#include "tests/unit/test_plan_fixture.h"

struct world {
    struct fx_live owned, untagged, odd;
    struct cr_live_state live;
    struct cr_buf yaml;
};

static int setup(void **state)
{
    struct world *w = calloc(1, sizeof(*w));
    assert_non_null(w);
    /* ours, with every section; its AllowClassicFlow was never set */
    fx_live_init(&w->owned, FX_ID, "default", "mobile");
    w->owned.config.allow_classic_flow = -1;
    fx_set(&w->owned.config.tags, "cost-center", "0042");
    w->owned.config.developer_provider_name = strdup("login.example.mobile");
    /* someone else's console pool: no tags, no roles */
    fx_live_init(&w->untagged, "us-east-1:22222222-2222-3333-4444-555555555555", NULL, NULL);
    w->untagged.config.name[0] = 'X';
    cr_cognito_roles_dispose(&w->untagged.roles);
    cr_strmap_dispose(&w->untagged.config.tags);
    /* a name that needs deriving and a principal-tag map left at the service default */
    fx_live_init(&w->odd, "us-east-1:33333333-2222-3333-4444-555555555555", NULL, NULL);
    free(w->odd.config.name);
    w->odd.config.name = strdup("  Legacy  App+2 ");
    w->odd.ptags[1].use_defaults = 1;
    cr_live_state_init(&w->live);
    fx_live_add(&w->live, &w->owned);
    fx_live_add(&w->live, &w->untagged);
    fx_live_add(&w->live, &w->odd);
    *state = w;
    return 0;
}

static int teardown(void **state)
{
    struct world *w = *state;
    fx_live_dispose(&w->owned);
    fx_live_dispose(&w->untagged);
    fx_live_dispose(&w->odd);
    cr_live_state_dispose(&w->live);
    cr_buf_dispose(&w->yaml);
    free(w);
    return 0;
}

/* Loads the exported YAML and plans it against the same live state. */
static void plan_export(struct world *w, struct cr_plan *plan)
{
    struct cr_manifest_input in = {"export.yaml", w->yaml.ptr, w->yaml.len};
    struct cr_manifest_set *set = NULL;
    struct cr_desired_set desired = {0};
    struct cr_plan_options opts = {.stack = "default", .region = FX_REGION};
    int rc = cr_manifest_load_buffers(&set, &in, 1, NULL);
    if (rc != 0 && set) {
        for (size_t i = 0; i < set->n_diagnostics; i++)
            print_error("%s:%u:%u: %s\n", set->diagnostics[i].file, set->diagnostics[i].line,
                        set->diagnostics[i].column, set->diagnostics[i].message);
    }
    assert_ok(rc);
    assert_ok(cr_desired_from_manifest(&desired, set));
    assert_ok(cr_plan_build(plan, desired.pools, desired.len, &w->live, &opts));
    cr_desired_set_dispose(&desired);
    cr_manifest_set_free(set);
}

static void test_export__all_pools_round_trip_through_a_plan(void **state)
{
    struct world *w = *state;
    struct cr_export_options opts = {.stack = "default", .all = true};
    size_t n = 0;
    assert_ok(cr_export_write(&w->yaml, &n, &w->live, &opts));
    assert_int_equal(n, 3);
    /* the golden file shows: the name tag is the logical name, others are derived from
     * IdentityPoolName (mobile, legacy-app-2, xobileapp-prod); numbers that are strings stay
     * strings (cost-center: "0042") */
    fx_golden("export.yaml", &w->yaml);

    struct cr_plan plan;
    plan_export(w, &plan);
    assert_int_equal(plan.n_pools, 3);
    for (size_t i = 0; i < plan.n_pools; i++) {
        const struct cr_plan_pool *p = &plan.pools[i];
        if (strcmp(p->name, "mobile") == 0) {
            /* ours: nothing to do */
            assert_int_equal(p->n_ops, 0);
            continue;
        }
        /* not ours yet: adopted by id, and the only call adds the ownership tags */
        assert_true(p->adopted);
        assert_int_equal(p->n_ops, 1);
        const struct cr_plan_op *op = &plan.ops[p->first_op];
        assert_int_equal(op->kind, CR_PLAN_OP_TAG);
        assert_int_equal(op->params_tags.len, 2);
        assert_string_equal(cr_strmap_get(&op->params_tags, CR_TAG_NAME), p->name);
    }
    cr_plan_dispose(&plan);
}

static void test_export__by_stack_and_by_id_select_pools(void **state)
{
    struct world *w = *state;
    struct cr_export_options by_stack = {.stack = "default", .by_stack = true};
    size_t n = 0;
    assert_ok(cr_export_write(&w->yaml, &n, &w->live, &by_stack));
    assert_int_equal(n, 1);
    assert_non_null(strstr(w->yaml.ptr, "name: mobile\n"));
    assert_null(strstr(w->yaml.ptr, "legacy"));
    assert_null(strstr(w->yaml.ptr, "\n  id: ")); /* owned: no metadata.id needed */

    cr_buf_clear(&w->yaml);
    const char *ids[] = {"us-east-1:33333333-2222-3333-4444-555555555555"};
    struct cr_export_options by_id = {.stack = "default", .ids = ids, .n_ids = 1};
    assert_ok(cr_export_write(&w->yaml, &n, &w->live, &by_id));
    assert_int_equal(n, 1);
    assert_null(strstr(w->yaml.ptr, "name: mobile\n"));
    assert_non_null(strstr(w->yaml.ptr, "id: us-east-1:33333333-2222-3333-4444-555555555555"));
    /* its login provider's map is at the service default: listed, so it plans equal */
    assert_non_null(strstr(w->yaml.ptr, "graph.facebook.com:\n      useDefaults: true"));
}

/* Exports the one owned pool l by stack and plans the YAML against it: no change. */
static void s_round_trip_one(struct world *w, const struct fx_live *l)
{
    struct cr_live_state live;
    cr_live_state_init(&live);
    fx_live_add(&live, l);
    struct cr_live_state saved = w->live;
    w->live = live;
    struct cr_export_options opts = {.stack = "default", .by_stack = true};
    size_t n = 0;
    cr_buf_clear(&w->yaml);
    assert_ok(cr_export_write(&w->yaml, &n, &w->live, &opts));
    assert_int_equal(n, 1);
    struct cr_plan plan;
    plan_export(w, &plan);
    assert_int_equal(plan.n_pools, 1);
    if (plan.pools[0].n_ops != 0)
        fail_msg("the export planned %zu calls:\n%.*s", plan.pools[0].n_ops, (int)w->yaml.len,
                 w->yaml.ptr);
    cr_plan_dispose(&plan);
    w->live = saved;
    cr_live_state_dispose(&live);
}

/* Tag keys and values (no pattern: any text) and a pool name that plain YAML would read as
 * something else (a number, a boolean, null) or fold, come back exactly: the owned pool's
 * export plans no change. */
static void test_export__tricky_strings_round_trip(void **state)
{
    struct world *w = *state;
    static const char *const values[] = {
        "", " ", "a ", " a", "null", "Null", "~", "true", "FALSE", "no", "123", "-0", "0o17",
        "0x1F", "1e3", "+1.5E-3", ".5", "5.", ".inf", "-.Inf", "+.INF", ".nan", ".NaN", "inf",
        "nan", "-", "- a", "a: b", "a:b", "#c", "a #c", "'q'", "\"dq\"", "*x", "&x", "!x", "%x",
        "@x", "`x", "|", ">", "a\nb", "a\tb", "\xe2\x80\xa8", "\xc2\x85", "\x7f", "\x01", "a\\b",
        "{a}", "[a]", ",", "? a", "---", "...", "\xef\xbb\xbf", "a\r\nb", "  two  ", "\n", "\r",
    };
    const size_t n_values = sizeof(values) / sizeof(values[0]);
    char key[16];
    /* as tag values (keys k00...), then as tag keys, 48 at a time */
    for (int as_keys = 0; as_keys <= 1; as_keys++) {
        for (size_t first = 0; first < n_values; first += 48) {
            struct fx_live l;
            fx_live_init(&l, FX_ID, "default", "mobile");
            cr_strmap_dispose(&l.config.tags);
            fx_set(&l.config.tags, CR_TAG_STACK, "default");
            fx_set(&l.config.tags, CR_TAG_NAME, "mobile");
            for (size_t i = first; i < n_values && i < first + 48; i++) {
                snprintf(key, sizeof(key), "k%02zu", i);
                if (!as_keys)
                    fx_set(&l.config.tags, key, values[i]);
                else if (values[i][0] != '\0')
                    fx_set(&l.config.tags, values[i], "v");
            }
            free(l.config.name);
            l.config.name = strdup(first == 0 ? "1e3" : "0o17");
            s_round_trip_one(w, &l);
            fx_live_dispose(&l);
        }
    }
}

/* Names derived from long pool names (up to 128 characters) stay valid metadata.names: at most
 * 63 characters, the "-2" of a second pool of the same name included. */
static void test_export__derived_names_are_at_most_63_characters(void **state)
{
    struct world *w = *state;
    char long_name[129];
    memset(long_name, 'M', 128);
    long_name[128] = '\0';
    struct cr_live_state live;
    cr_live_state_init(&live);
    struct fx_live l[2];
    for (int i = 0; i < 2; i++) {
        fx_live_init(&l[i], i ? "us-east-1:44444444-2222-3333-4444-555555555555" : FX_ID, NULL,
                     NULL);
        free(l[i].config.name);
        l[i].config.name = strdup(long_name);
        fx_live_add(&live, &l[i]);
    }
    struct cr_live_state saved = w->live;
    w->live = live;
    struct cr_export_options opts = {.stack = "default", .all = true};
    size_t n = 0;
    assert_ok(cr_export_write(&w->yaml, &n, &w->live, &opts));
    assert_int_equal(n, 2);
    struct cr_plan plan;
    plan_export(w, &plan); /* loads and validates the names */
    assert_int_equal(plan.n_pools, 2);
    assert_int_equal(strlen(plan.pools[0].name), 63);
    assert_int_equal(strlen(plan.pools[1].name), 63);
    assert_string_not_equal(plan.pools[0].name, plan.pools[1].name);
    cr_plan_dispose(&plan);
    w->live = saved;
    cr_live_state_dispose(&live);
    for (int i = 0; i < 2; i++)
        fx_live_dispose(&l[i]);
}

/* Role mappings a manifest cannot hold (the service keeps them): one of a provider an Update
 * removed, one naming an OIDC provider by its ARN, a Token mapping with rules. The export
 * still validates (they are left out or rewritten), and its plan is the one call that
 * repairs them. */
static void test_export__role_mappings_a_manifest_cannot_hold(void **state)
{
    struct world *w = *state;
    struct fx_live l;
    fx_live_init(&l, FX_ID, "default", "mobile");
    fx_mapping(&l.roles, "accounts.google.com", "Token", "Deny"); /* not configured */
    fx_mapping(&l.roles, FX_OIDC, "Token", "AuthenticatedRole");  /* by ARN */
    struct cr_cognito_role_mapping *m =
        fx_mapping(&l.roles, "graph.facebook.com", "Token", "Deny"); /* with rules */
    fx_rule(m, "aud", "Equals", "x", FX_ROLE("Other"));
    struct cr_live_state live;
    cr_live_state_init(&live);
    fx_live_add(&live, &l);
    struct cr_live_state saved = w->live;
    w->live = live;
    struct cr_export_options opts = {.stack = "default", .by_stack = true};
    size_t n = 0;
    assert_ok(cr_export_write(&w->yaml, &n, &w->live, &opts));
    assert_null(strstr(w->yaml.ptr, "accounts.google.com"));
    assert_non_null(strstr(w->yaml.ptr, "    " FX_OIDC_HOST ":\n"));
    struct cr_plan plan;
    plan_export(w, &plan); /* loads: the manifest validates */
    assert_int_equal(plan.n_ops, 1);
    assert_int_equal(plan.ops[0].kind, CR_PLAN_OP_SET_ROLES);
    cr_plan_dispose(&plan);
    w->live = saved;
    cr_live_state_dispose(&live);
    fx_live_dispose(&l);
}

#define T(name) cmocka_unit_test_setup_teardown(name, setup, teardown)

int main(void)
{
    const struct CMUnitTest tests[] = {
        T(test_export__all_pools_round_trip_through_a_plan),
        T(test_export__by_stack_and_by_id_select_pools),
        T(test_export__tricky_strings_round_trip),
        T(test_export__derived_names_are_at_most_63_characters),
        T(test_export__role_mappings_a_manifest_cannot_hold),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
