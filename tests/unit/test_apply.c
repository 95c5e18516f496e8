/* SPDX-License-Identifier: Apache-2.0 */
/*
 * Apply without a server: what it refuses before sending anything. (Calls against the
 * emulator are in tests/integration/test_reconcile_apply.c.)
 */
#include "reconcile/apply.h"
#include "tests/unit/test_plan_fixture.h"

static const char *s_getenv(void *ctx, const char *name)
{
    if (strcmp(name, "AWS_ACCESS_KEY_ID") == 0)
        return "AKIDUNITAPPLY0000001";
    if (strcmp(name, "AWS_SECRET_ACCESS_KEY") == 0)
        return "unitApplySecret000000000000000000000000";
    if (strcmp(name, "HOME") == 0 || strcmp(name, "AWS_CONFIG_FILE") == 0 ||
        strcmp(name, "AWS_SHARED_CREDENTIALS_FILE") == 0)
        return "/nonexistent-cr-unit";
    return NULL;
}

static const struct cr_aws_env s_env = {s_getenv, NULL, NULL, NULL};

/* A client for region that must never be used: its endpoint refuses connections. */
static struct cr_aws_client *s_client(const char *region)
{
    struct cr_aws_options o = {0};
    struct cr_aws_client *c = NULL;
    o.region = region;
    o.endpoint_url = "http://127.0.0.1:1";
    o.env = &s_env;
    o.max_attempts = 1;
    assert_ok(cr_aws_client_new(&c, &o));
    return c;
}

static void test_apply__an_empty_plan_sends_nothing(void **state)
{
    struct cr_plan plan;
    struct cr_apply_report report;
    struct cr_aws_client *c = s_client(FX_REGION);
    cr_plan_init(&plan);
    assert_ok(cr_apply(&report, &plan, &c, 1, NULL));
    assert_int_equal(report.n_results, 0);
    assert_int_equal(report.write_calls, 0);
    cr_apply_report_dispose(&report);
    cr_aws_client_free(c);
}

static void test_apply__a_region_without_client_is_refused_before_any_call(void **state)
{
    struct fx_world *w = fx_world_new();
    struct cr_apply_report report;
    struct cr_aws_client *c = s_client("eu-west-1");
    assert_int_equal(cr_apply(&report, &w->plan, &c, 1, NULL), CR_EINVALID);
    assert_non_null(strstr(cr_error_last(), "no client for region us-east-1"));
    assert_int_equal(report.n_not_attempted, w->plan.n_ops);
    assert_int_equal(report.n_done, 0);
    assert_int_equal(report.write_calls, 0);
    cr_apply_report_dispose(&report);
    cr_aws_client_free(c);
    fx_world_free(w);
}

static void s_count(void *user, const struct cr_plan *plan, size_t op_index,
                    const struct cr_apply_result *result)
{
    int *calls = user;
    calls[result->status]++;
}

static void test_apply__an_unreachable_service_fails_the_first_round_only(void **state)
{
    struct fx_world *w = fx_world_new();
    struct cr_apply_report report;
    struct cr_aws_client *c = s_client(FX_REGION);
    int seen[3] = {0};
    struct cr_apply_options opts = {.progress = s_count, .progress_user = seen};
    int rc = cr_apply(&report, &w->plan, &c, 1, &opts);
    assert_true(rc < 0);
    /* round 1 is the first call of each of the three pools not pruned (the pruned one's
     * Delete waits for everything else to succeed); nothing after it was sent */
    size_t pruned = 0;
    for (size_t p = 0; p < w->plan.n_pools; p++)
        pruned += w->plan.pools[p].action == CR_PLAN_DELETE;
    assert_int_equal(w->plan.n_pools - pruned, 3);
    assert_int_equal(report.n_failed + report.n_done, 3);
    assert_int_equal(report.n_not_attempted, w->plan.n_ops - 3);
    assert_int_equal(seen[CR_APPLY_NOT_ATTEMPTED], 3); /* announced before the round */
    assert_int_equal(seen[CR_APPLY_FAILED], (int)report.n_failed);
    for (size_t i = 0; i < report.n_results; i++)
        if (report.results[i].status == CR_APPLY_FAILED)
            assert_non_null(strstr(report.results[i].error, "pool '"));
    cr_apply_report_dispose(&report);
    cr_aws_client_free(c);
    fx_world_free(w);
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_apply__an_empty_plan_sends_nothing),
        cmocka_unit_test(test_apply__a_region_without_client_is_refused_before_any_call),
        cmocka_unit_test(test_apply__an_unreachable_service_fails_the_first_round_only),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
