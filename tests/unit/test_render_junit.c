/*
 * reconcile/junit.c: JUnit XML for drift. The world of test_plan_fixture.h ("mobile"
 * drifted, "web" missing, "dev" needs a replacement, "legacy" unmanaged) against a golden
 * file, a passing pool, and escaping of everything a pool may hold.
 */
#include <stdio.h>

#include "reconcile/junit.h"
#include "tests/unit/test_plan_fixture.h"
#include "util/buf.h"

static size_t count(const char *hay, const char *needle)
{
    size_t n = 0;
    for (const char *p = strstr(hay, needle); p; p = strstr(p + 1, needle))
        n++;
    return n;
}

static void test_render_junit__drifted_world(void **state)
{
    struct fx_world *w = fx_world_new();
    struct cr_buf out = CR_BUF_INIT;
    struct cr_junit_options opts = {.suite = NULL, .time_ms = 1234};
    assert_ok(cr_render_junit(&out, &w->plan, &opts));
    fx_golden("junit_drift.xml", &out);
    const char *x = cr_buf_cstr(&out);
    assert_int_equal(count(x, "<testcase "), 4);
    assert_int_equal(count(x, "<failure "), 4);
    assert_non_null(strstr(x, "<testsuites name=\"cognito-reconcile\" tests=\"4\" failures=\"4\" "
                              "errors=\"0\" time=\"1.234\">"));
    assert_non_null(strstr(x, "type=\"missing\""));
    assert_non_null(strstr(x, "type=\"unmanaged\""));
    assert_non_null(strstr(x, "type=\"replace\""));
    assert_non_null(strstr(x, "file=\"pools/mobile.yaml\""));
    /* The field-level diff is in the failure text, escaped. */
    assert_non_null(
        strstr(x, "  ~ identityPoolName: \"MobileApp Prod\" \xe2\x86\x92 \"Mobile App\"\n"));
    assert_null(strstr(x, "timestamp="));
    cr_buf_dispose(&out);
    fx_world_free(w);
}

static void test_render_junit__passing_pool_and_timestamp(void **state)
{
    struct cr_desired_pool d;
    struct fx_live l;
    struct cr_live_state live;
    struct cr_plan plan;
    struct cr_buf out = CR_BUF_INIT;
    fx_desired(&d);
    fx_live_init(&l, FX_ID, "default", "mobile");
    cr_live_state_init(&live);
    fx_live_add(&live, &l);
    struct cr_plan_options popts = {.stack = "default", .region = FX_REGION};
    assert_ok(cr_plan_build(&plan, &d, 1, &live, &popts));
    struct cr_junit_options opts = {.suite = "nightly drift", .timestamp = "2026-11-27T01:00:00Z"};
    assert_ok(cr_render_junit(&out, &plan, &opts));
    const char *x = cr_buf_cstr(&out);
    assert_non_null(strstr(x, "<testsuite name=\"nightly drift\" tests=\"1\" failures=\"0\" "
                              "errors=\"0\" skipped=\"0\" time=\"0.000\" "
                              "timestamp=\"2026-11-27T01:00:00Z\">"));
    assert_non_null(strstr(x, "<testcase classname=\"cognito-reconcile.default.us-east-1\" "
                              "name=\"mobile\" file=\"pools/mobile.yaml\" time=\"0.000\"/>\n"));
    assert_null(strstr(x, "<failure"));
    cr_buf_dispose(&out);
    cr_plan_dispose(&plan);
    cr_live_state_dispose(&live);
    fx_live_dispose(&l);
    cr_desired_pool_dispose(&d);
}

static void test_render_junit__escapes_everything(void **state)
{
    struct cr_desired_pool d;
    struct fx_live l;
    struct cr_live_state live;
    struct cr_plan plan;
    struct cr_buf out = CR_BUF_INIT;
    fx_desired(&d);
    free(d.name);
    d.name = strdup("a<b>&\"c'd");
    free(d.source);
    d.source = strdup("dir/<x>&\xff.yaml:3:7");
    free(d.config.name);
    d.config.name = strdup("]]> <!-- \x01\x1f tab\tnew\nline end");
    fx_live_init(&l, FX_ID, "st&ck", "a<b>&\"c'd");
    cr_live_state_init(&live);
    fx_live_add(&live, &l);
    struct cr_plan_options popts = {.stack = "st&ck", .region = FX_REGION};
    assert_ok(cr_plan_build(&plan, &d, 1, &live, &popts));
    assert_ok(cr_render_junit(&out, &plan, NULL));
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
    cr_plan_dispose(&plan);
    cr_live_state_dispose(&live);
    fx_live_dispose(&l);
    cr_desired_pool_dispose(&d);
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
