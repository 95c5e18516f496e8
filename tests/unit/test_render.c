/* SPDX-License-Identifier: Apache-2.0 */
/*
 * Renderers against golden files (tests/data/golden/). The world: "mobile" is renamed and
 * retagged, "web" is new, "dev" changes its developer provider (replacement), "legacy" is
 * owned but named by no manifest (pruned). CR_UPDATE_GOLDEN=1 rewrites the golden files.
 */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "reconcile/render.h"
#include "tests/unit/test_plan_fixture.h"
#include "util/buf.h"

static int setup(void **state)
{
    *state = fx_world_new();
    return 0;
}

static int teardown(void **state)
{
    fx_world_free(*state);
    return 0;
}

static void test_render__text(void **state)
{
    struct fx_world *w = *state;
    struct cr_buf out = CR_BUF_INIT;
    assert_ok(cr_render_text(&out, &w->plan, NULL));
    fx_golden("plan.txt", &out);
    cr_buf_dispose(&out);
}

static void test_render__text_colour_only_when_asked(void **state)
{
    struct fx_world *w = *state;
    struct cr_buf out = CR_BUF_INIT;
    struct cr_render_options opts = {.color = true};
    assert_ok(cr_render_text(&out, &w->plan, &opts));
    fx_golden("plan-color.txt", &out);
    cr_buf_dispose(&out);
}

static void test_render__json(void **state)
{
    struct fx_world *w = *state;
    struct cr_buf out = CR_BUF_INIT;
    assert_ok(cr_render_json(&out, &w->plan));
    fx_golden("plan.json", &out);
    cr_buf_dispose(&out);
}

static void test_render__markdown(void **state)
{
    struct fx_world *w = *state;
    struct cr_buf out = CR_BUF_INIT;
    assert_ok(cr_render_markdown(&out, &w->plan, NULL));
    fx_golden("plan.md", &out);
    cr_buf_dispose(&out);
}

static void test_render__no_changes(void **state)
{
    struct cr_plan empty;
    struct cr_live_state live;
    struct cr_desired_pool d;
    struct fx_live l;
    struct cr_plan_options opts = {.stack = "default", .region = FX_REGION};
    fx_desired(&d);
    fx_live_init(&l, FX_ID, "default", "mobile");
    cr_live_state_init(&live);
    fx_live_add(&live, &l);
    assert_ok(cr_plan_build(&empty, &d, 1, &live, &opts));
    struct cr_buf text = CR_BUF_INIT, md = CR_BUF_INIT, json = CR_BUF_INIT;
    assert_ok(cr_render_text(&text, &empty, NULL));
    /* the digest of no operations: sha256 of "[]" (echo -n '[]' | sha256sum) */
    assert_string_equal(
        text.ptr, "No changes. Live state matches the manifests.\nplan digest: "
                  "sha256:4f53cda18c2baa0c0354bb5f9a3ecbe5ed12ab4d8e11ba873c2f11161202b945\n");
    struct cr_render_options drift = {.drift = true};
    cr_buf_clear(&text);
    assert_ok(cr_render_text(&text, &empty, &drift));
    assert_string_equal(text.ptr, "No drift. Live state matches the manifests.\n");
    assert_ok(cr_render_markdown(&md, &empty, NULL));
    fx_golden("no-changes.md", &md);
    assert_ok(cr_render_json(&json, &empty));
    fx_golden("no-changes.json", &json);
    cr_buf_dispose(&text);
    cr_buf_dispose(&md);
    cr_buf_dispose(&json);
    cr_plan_dispose(&empty);
    cr_live_state_dispose(&live);
    fx_live_dispose(&l);
    cr_desired_pool_dispose(&d);
}

/* drift wording, and an adopted pool (console-made, no tags) with a pool-name change */
static void test_render__drift_of_an_adopted_pool(void **state)
{
    struct cr_plan plan;
    struct cr_live_state live;
    struct cr_desired_pool d;
    struct fx_live l;
    struct cr_plan_options opts = {.stack = "payments", .region = FX_REGION};
    fx_desired(&d);
    d.adopt_id = strdup(FX_ID);
    d.manage_roles = false;
    d.manage_principal_tags = false;
    d.manage_tags = false;
    fx_live_init(&l, FX_ID, NULL, NULL);
    free(l.config.name);
    l.config.name = strdup("Changed In Console");
    l.config.allow_classic_flow = -1;
    cr_live_state_init(&live);
    fx_live_add(&live, &l);
    assert_ok(cr_plan_build(&plan, &d, 1, &live, &opts));
    struct cr_buf text = CR_BUF_INIT, md = CR_BUF_INIT;
    struct cr_render_options drift = {.drift = true};
    assert_ok(cr_render_text(&text, &plan, &drift));
    fx_golden("drift-adopted.txt", &text);
    assert_ok(cr_render_markdown(&md, &plan, &drift));
    fx_golden("drift-adopted.md", &md);
    cr_buf_dispose(&text);
    cr_buf_dispose(&md);
    cr_plan_dispose(&plan);
    cr_live_state_dispose(&live);
    fx_live_dispose(&l);
    cr_desired_pool_dispose(&d);
}

/* Names from live tags and values from manifests cannot break the Markdown: a pool name with
 * a pipe and a backtick stays one code span in one cell, a value with a run of backticks
 * gets a longer fence (reconcile/render_kit.c). */
static void test_render__markdown_survives_hostile_names_and_values(void **state)
{
    (void)state;
    struct cr_plan plan;
    struct cr_live_state live;
    struct cr_desired_pool d;
    struct fx_live mobile, orphan;
    struct cr_plan_options opts = {.stack = "default", .region = FX_REGION, .prune = true};
    fx_desired(&d);
    fx_set(&d.tags, "env", "a```b");
    fx_live_init(&mobile, FX_ID, "default", "mobile");
    fx_live_init(&orphan, "us-east-1:eeeeeeee-2222-3333-4444-555555555555", "default", "a|b`c\nd");
    cr_live_state_init(&live);
    fx_live_add(&live, &mobile);
    fx_live_add(&live, &orphan);
    assert_ok(cr_plan_build(&plan, &d, 1, &live, &opts));
    struct cr_buf md = CR_BUF_INIT;
    assert_ok(cr_render_markdown(&md, &plan, NULL));
    const char *x = cr_buf_cstr(&md);
    if (!strstr(x, "| ``a\\|b`c d`` | us-east-1 | - delete | DeleteIdentityPool |\n") ||
        !strstr(x, "### delete ``a|b`c d`` (us-east-1:eeeeeeee-") ||
        !strstr(x, "````diff\n@@ TagResource @@\n- tags[\"env\"]: \"prod\"\n"
                   "+ tags[\"env\"]: \"a```b\"\n````\n"))
        fail_msg("unexpected Markdown:\n%s", x);
    cr_buf_dispose(&md);
    cr_plan_dispose(&plan);
    cr_live_state_dispose(&live);
    fx_live_dispose(&mobile);
    fx_live_dispose(&orphan);
    cr_desired_pool_dispose(&d);
}

/* The access impact section (docs/testing.md) in the three renderers: a changed case shows
 * before -> after and the deciding rule, a failing one its warning; a case name with a pipe
 * and backticks stays in its Markdown cell; JSON carries both, and counts them. */
static void test_render__access_impact(void **state)
{
    (void)state;
    struct cr_plan plan;
    struct cr_live_state live;
    struct cr_desired_pool d;
    struct fx_live mobile;
    struct cr_plan_options opts = {.stack = "default", .region = FX_REGION};
    fx_desired(&d);
    fx_live_init(&mobile, FX_ID, "default", "mobile");
    cr_live_state_init(&live);
    fx_live_add(&live, &mobile);
    assert_ok(cr_plan_build(&plan, &d, 1, &live, &opts));
    plan.access_checked = true;
    plan.access = calloc(2, sizeof(*plan.access));
    assert_non_null(plan.access);
    plan.n_access = 2;
    plan.access[0] = (struct cr_plan_access){0, strdup("t"), strdup("paid | `users`"),
                                             strdup("t.yaml:12:7"), strdup("role Paid"),
                                             strdup("role Auth"), strdup("no rule matched"),
                                             strdup("expected role Paid, got role Auth")};
    plan.access[1] = (struct cr_plan_access){0, strdup("t"), strdup("guests"), strdup("t.yaml:20:7"),
                                             strdup("role Guest"), strdup("role Guest"), NULL,
                                             strdup("expected denied, got role Guest")};
    struct cr_buf text = CR_BUF_INIT, md = CR_BUF_INIT, json = CR_BUF_INIT;
    assert_ok(cr_render_text(&text, &plan, NULL));
    assert_ok(cr_render_markdown(&md, &plan, NULL));
    assert_ok(cr_render_json(&json, &plan));
    const char *x = cr_buf_cstr(&text);
    if (!strstr(x, "Access impact (IdentityPoolTest cases):\n"
                   "  ~ mobile: paid | `users`: role Paid \xe2\x86\x92 role Auth (t.yaml:12:7)\n"
                   "      no rule matched\n"
                   "      warning: the expectation fails: expected role Paid, got role Auth\n"
                   "  ! mobile: guests (t.yaml:20:7)\n"
                   "      warning: the expectation fails: expected denied, got role Guest\n"
                   "  Access: 1 case changes, 2 expectations fail.\n"))
        fail_msg("unexpected text:\n%s", x);
    x = cr_buf_cstr(&md);
    if (!strstr(x, "| paid \\| \\`users\\` (`t.yaml:12:7`) | `mobile` | role Paid | **role Auth** | "
                   ":warning: fails: expected role Paid, got role Auth |\n") ||
        !strstr(x, "| guests (`t.yaml:20:7`) | `mobile` | role Guest | role Guest | :warning: fails: "))
        fail_msg("unexpected Markdown:\n%s", x);
    json_t *doc = json_loads(cr_buf_cstr(&json), 0, NULL);
    json_t *a = json_object_get(doc, "access_impact");
    assert_int_equal(json_integer_value(json_object_get(a, "changed")), 1);
    assert_int_equal(json_integer_value(json_object_get(a, "failing")), 2);
    json_t *c = json_array_get(json_object_get(a, "cases"), 1);
    assert_true(json_is_false(json_object_get(c, "changed")));
    assert_true(json_is_null(json_object_get(c, "decided_by")));
    assert_string_equal(json_string_value(json_object_get(c, "case")), "guests");
    assert_true(json_is_null(json_object_get(c, "account"))); /* one account: null, as for operations */
    json_decref(doc);
    cr_buf_dispose(&text);
    cr_buf_dispose(&md);
    cr_buf_dispose(&json);
    cr_plan_dispose(&plan);
    cr_live_state_dispose(&live);
    fx_live_dispose(&mobile);
    cr_desired_pool_dispose(&d);
}

#define T(name) cmocka_unit_test_setup_teardown(name, setup, teardown)

int main(void)
{
    const struct CMUnitTest tests[] = {
        T(test_render__text),
        T(test_render__text_colour_only_when_asked),
        T(test_render__json),
        T(test_render__markdown),
        cmocka_unit_test(test_render__no_changes),
        cmocka_unit_test(test_render__drift_of_an_adopted_pool),
        cmocka_unit_test(test_render__markdown_survives_hostile_names_and_values),
        cmocka_unit_test(test_render__access_impact),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
