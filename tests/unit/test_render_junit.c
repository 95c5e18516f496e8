/* SPDX-License-Identifier: Apache-2.0 */
/*
 * reconcile/junit.c: JUnit XML for drift. The world of test_plan_fixture.h ("mobile"
 * drifted, "web" missing, "dev" needs a replacement, "legacy" unmanaged) against a golden
 * file, a passing pool, and escaping of everything a pool may hold.
 */
#include <stdio.h>

#include "reconcile/junit.h"
#include "tests/unit/test_plan_fixture.h"
#include "util/buf.h"

/* One manifest pool d (already filled) planned against its live twin in stack. */
struct one {
    struct cr_desired_pool d;
    struct fx_live l;
    struct cr_live_state live;
    struct cr_plan plan;
};

static void s_one_plan(struct one *o, const char *stack)
{
    fx_live_init(&o->l, FX_ID, stack, o->d.name);
    cr_live_state_init(&o->live);
    fx_live_add(&o->live, &o->l);
    struct cr_plan_options popts = {.stack = stack, .region = FX_REGION};
    assert_ok(cr_plan_build(&o->plan, &o->d, 1, &o->live, &popts));
}

static void s_one_dispose(struct one *o)
{
    cr_plan_dispose(&o->plan);
    cr_live_state_dispose(&o->live);
    fx_live_dispose(&o->l);
    cr_desired_pool_dispose(&o->d);
}

static void test_render_junit__drifted_world(void **state)
{
    struct fx_world *w = fx_world_new();
    struct cr_buf out = CR_BUF_INIT;
    struct cr_junit_options opts = {.suite = NULL, .time_ms = 1234};
    assert_ok(cr_render_junit(&out, &w->plan, &opts));
    /* four failing cases (missing, unmanaged, replace, the field-level diff escaped in the
     * failure text), no timestamp unless given: all in the golden file */
    fx_golden("junit_drift.xml", &out);
    cr_buf_dispose(&out);
    fx_world_free(w);
}

static void test_render_junit__passing_pool_and_timestamp(void **state)
{
    struct one o;
    struct cr_buf out = CR_BUF_INIT;
    fx_desired(&o.d);
    assert_string_equal(o.d.name, "mobile");
    s_one_plan(&o, "default");
    struct cr_junit_options opts = {.suite = "nightly drift", .timestamp = "2026-11-27T01:00:00Z"};
    assert_ok(cr_render_junit(&out, &o.plan, &opts));
    const char *x = cr_buf_cstr(&out);
    assert_non_null(strstr(x, "<testsuite name=\"nightly drift\" tests=\"1\" failures=\"0\" "
                              "errors=\"0\" skipped=\"0\" time=\"0.000\" "
                              "timestamp=\"2026-11-27T01:00:00Z\">"));
    assert_non_null(strstr(x, "<testcase classname=\"cognito-reconcile.default.us-east-1\" "
                              "name=\"mobile\" file=\"pools/mobile.yaml\" time=\"0.000\"/>\n"));
    assert_null(strstr(x, "<failure"));
    cr_buf_dispose(&out);
    s_one_dispose(&o);
}

static void test_render_junit__escapes_everything(void **state)
{
    struct one o;
    struct cr_buf out = CR_BUF_INIT;
    fx_desired(&o.d);
    free(o.d.name);
    o.d.name = strdup("a<b>&\"c'd");
    free(o.d.source);
    o.d.source = strdup("dir/<x>&\xff.yaml:3:7");
    free(o.d.config.name);
    o.d.config.name = strdup("]]> <!-- \x01\x1f tab\tnew\nline end");
    s_one_plan(&o, "st&ck");
    assert_ok(cr_render_junit(&out, &o.plan, NULL));
    const char *x = cr_buf_cstr(&out);
    assert_non_null(strstr(x, "name=\"a&lt;b&gt;&amp;&quot;c&apos;d\""));
    assert_non_null(strstr(x, "classname=\"cognito-reconcile.st&amp;ck.us-east-1\""));
    assert_non_null(strstr(x, "file=\"dir/&lt;x&gt;&amp;\xef\xbf\xbd.yaml\""));
    assert_non_null(strstr(x, "<property name=\"stack\" value=\"st&amp;ck\"/>"));
    /* No raw markup, control characters or invalid UTF-8 survive. */
    assert_null(strstr(x, "]]>"));
    assert_null(strstr(x, "<!--"));
    assert_null(strchr(x, '\x01'));
    assert_null(strchr(x, '\x1f'));
    assert_null(strchr(x, '\xff'));
    /* The change values are JSON text, so their own escapes stay as they are. */
    assert_non_null(strstr(x, "]]&gt; &lt;!-- \\u0001\\u001F tab\\tnew\\nline"));
    cr_buf_dispose(&out);
    s_one_dispose(&o);
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_render_junit__drifted_world),
        cmocka_unit_test(test_render_junit__passing_pool_and_timestamp),
        cmocka_unit_test(test_render_junit__escapes_everything),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
