/* SPDX-License-Identifier: Apache-2.0 */
/*
 * Against cognito-identity-local (label integration), observed through its request log, never
 * timed: the live reader streams (describes start while later pages are still being listed; a
 * slow call does not hold the others back); apply runs pools in parallel yet reports in plan
 * order, keeps each pool's calls in order, asks the write guard right before each call and
 * only then, and after a failure or a refusal starts nothing new; the client
 * paces to the quota (the adaptive mode finds a lower one in a few throttles, the standard one
 * does not) and clients of one account and region share their buckets.
 */
#include "tests/unit/test_plan_fixture.h"

#include <pthread.h>
#include <stdio.h>

#include "aws/client.h"
#include "reconcile/apply.h"
#include "reconcile/live.h"
#include "tests/support/emulator_proc.h"

#define S_POOLS 6

static struct cr_emu_proc s_emu;
static const char *s_retry_mode; /* AWS_RETRY_MODE for the next client; NULL = unset */

static const char *s_getenv(void *ctx, const char *name)
{
    (void)ctx;
    if (strcmp(name, "AWS_ACCESS_KEY_ID") == 0)
        return "AKIDPARALLEL00000001";
    if (strcmp(name, "AWS_SECRET_ACCESS_KEY") == 0)
        return "parallelSecretKey0000000000000000000000";
    if (strcmp(name, "AWS_RETRY_MODE") == 0)
        return s_retry_mode;
    if (strcmp(name, "HOME") == 0 || strcmp(name, "AWS_CONFIG_FILE") == 0 ||
        strcmp(name, "AWS_SHARED_CREDENTIALS_FILE") == 0)
        return "/nonexistent-cr-integration";
    return NULL;
}

static const struct cr_aws_env s_env = {s_getenv, NULL, NULL, NULL};

static int s_group_setup(void **state)
{
    (void)state;
    if (cr_emu_proc_start(&s_emu, NULL) != 0) {
        print_error("emulator: %s\n", cr_error_last());
        return -1;
    }
    return 0;
}

static int s_group_teardown(void **state)
{
    (void)state;
    cr_emu_proc_stop(&s_emu);
    return 0;
}

static int s_setup(void **state)
{
    (void)state;
    s_retry_mode = NULL;
    return cr_emu_proc_reset(&s_emu);
}

/* A client of the emulator; rate_limits NULL = the defaults (the quota table). */
static struct cr_aws_client *s_client(unsigned parallelism, const char *rate_limits)
{
    struct cr_aws_options o = {0};
    struct cr_aws_client *c = NULL;
    o.region = FX_REGION;
    o.endpoint_url = s_emu.url;
    o.env = &s_env;
    o.parallelism = parallelism;
    o.rate_limits = rate_limits;
    o.retry_base_ms = 5;
    o.retry_cap_ms = 50;
    assert_ok(cr_aws_client_new(&c, &o));
    return c;
}

/* POST /_local/quotas, as a benchmark or a test does. */
static void s_quotas(const char *json)
{
    char cmd[512];
    snprintf(cmd, sizeof(cmd),
             "curl -sf --max-time 10 -X POST -H 'Content-Type: application/json' --data '%s' "
             "%s/_local/quotas >/dev/null",
             json, s_emu.url);
    assert_int_equal(system(cmd), 0);
}

/* n pools named "p<i>" straight through the API (no pacing: the emulator has no quota yet). */
static void s_seed(size_t n)
{
    for (size_t i = 0; i < n; i++) {
        char body[128];
        long status = 0;
        struct cr_buf out = CR_BUF_INIT;
        snprintf(body, sizeof(body),
                 "{\"IdentityPoolName\":\"p%zu\",\"AllowUnauthenticatedIdentities\":false}", i);
        assert_ok(cr_emu_proc_call(&s_emu, "CreateIdentityPool", body, &status, &out));
        assert_int_equal(status, 200);
        cr_buf_dispose(&out);
    }
}

/* The request log, and the position (index) of entries in it. */
static json_t *s_log(void)
{
    json_t *log = NULL;
    assert_ok(cr_emu_proc_requests(&s_emu, 0, &log));
    return log;
}

static const char *s_op_at(json_t *log, size_t i)
{
    return json_string_value(json_object_get(json_array_get(log, i), "operation"));
}

/* Index of the k-th entry (from 0) of operation op, or SIZE_MAX. */
static size_t s_nth(json_t *log, const char *op, size_t k)
{
    for (size_t i = 0; i < json_array_size(log); i++)
        if (strcmp(s_op_at(log, i), op) == 0 && k-- == 0)
            return i;
    return SIZE_MAX;
}

/* ---- streaming reads ---- */

/* Three pages, each slow: pools of page 1 are described before page 2 has even answered. */
static void test_parallel__describes_start_while_pages_are_still_listed(void **state)
{
    (void)state;
    s_seed(150);
    assert_ok(cr_emu_proc_faults(&s_emu, "[{\"operation\":\"ListIdentityPools\","
                                         "\"latency_ms\":1000}]"));
    struct cr_aws_client *c = s_client(8, "*=unlimited");
    struct cr_live_state live;
    cr_live_state_init(&live);
    struct cr_live_read_options ro = {.stack = "default", .discover = true, .parallelism = 8};
    assert_ok(cr_live_read(&live, c, NULL, 0, &ro));
    assert_int_equal(live.len, 150);
    /* listing order is kept, whatever order the answers came in */
    for (size_t i = 0; i < live.len; i++) {
        char want[32];
        snprintf(want, sizeof(want), "p%zu", i);
        assert_string_equal(live.pools[i]->config.name, want);
    }
    json_t *log = s_log();
    size_t page2 = s_nth(log, "ListIdentityPools", 1), page3 = s_nth(log, "ListIdentityPools", 2);
    assert_true(page2 != SIZE_MAX && page3 != SIZE_MAX);
    /* the log records an answer when it is sent: every page-1 pool (60) was described before
     * page 2 answered, and page-2 pools before page 3 */
    assert_in_range(s_nth(log, "DescribeIdentityPool", 59), 0, page2);
    assert_in_range(s_nth(log, "DescribeIdentityPool", 119), page2, page3);
    json_decref(log);
    cr_live_state_dispose(&live);
    cr_aws_client_free(c);
}

/* One describe takes 3 s: the others, and the detail reads of the pools they describe, do
 * not wait for it (no rounds). */
static void test_parallel__a_slow_call_holds_nothing_back(void **state)
{
    (void)state;
    s_seed(40);
    assert_ok(cr_emu_proc_faults(&s_emu, "[{\"operation\":\"DescribeIdentityPool\","
                                         "\"latency_ms\":3000,\"count\":1}]"));
    struct cr_aws_client *c = s_client(4, "*=unlimited");
    struct cr_live_state live;
    cr_live_state_init(&live);
    /* export's reads: GetIdentityPoolRoles for every pool described */
    struct cr_live_read_options ro = {
        .stack = "default", .discover = true, .all_details = true, .parallelism = 4};
    assert_ok(cr_live_read(&live, c, NULL, 0, &ro));
    assert_int_equal(live.len, 40);
    json_t *log = s_log();
    size_t slow = SIZE_MAX, describes_before = 0, roles_before = 0;
    for (size_t i = 0; i < json_array_size(log); i++) {
        if (strcmp(s_op_at(log, i), "DescribeIdentityPool") == 0)
            describes_before++;
        if (strcmp(s_op_at(log, i), "GetIdentityPoolRoles") == 0)
            roles_before++;
        if (i == s_nth(log, "DescribeIdentityPool", 39))
            slow = i; /* the slow one answers last */
    }
    assert_true(slow != SIZE_MAX);
    /* everything else was read while it was held: 39 describes and 39 roles before it */
    size_t roles_then = 0;
    for (size_t i = 0; i < slow; i++)
        roles_then += strcmp(s_op_at(log, i), "GetIdentityPoolRoles") == 0;
    assert_int_equal(describes_before, 40);
    assert_int_equal(roles_then, 39);
    assert_int_equal(roles_before, 40);
    json_decref(log);
    cr_live_state_dispose(&live);
    cr_aws_client_free(c);
}

/* ---- parallel apply ---- */

struct s_world {
    struct cr_desired_pool d[S_POOLS];
    struct cr_plan plan;
    struct cr_apply_report report;
    size_t order[64]; /* ops as the progress callback reported them (done or failed) */
    size_t n_order;
};

static void s_record(void *user, const struct cr_plan *plan, size_t i,
                     const struct cr_apply_result *r)
{
    struct s_world *w = user;
    (void)plan;
    if (r->status != CR_APPLY_NOT_ATTEMPTED && w->n_order < 64)
        w->order[w->n_order++] = i;
}

/* S_POOLS fixture pools "p0".. (each: CreateIdentityPool, SetIdentityPoolRoles,
 * SetPrincipalTagAttributeMap), planned against an empty region. */
static void s_world(struct s_world *w, struct cr_aws_client *c)
{
    struct cr_plan_wants wants;
    struct cr_live_state live;
    struct cr_plan_options po = {.stack = "default", .region = FX_REGION};
    memset(w, 0, sizeof(*w));
    for (size_t i = 0; i < S_POOLS; i++) {
        fx_desired(&w->d[i]);
        free(w->d[i].name);
        w->d[i].name = malloc(32);
        assert_non_null(w->d[i].name);
        snprintf(w->d[i].name, 32, "p%zu", i);
    }
    cr_live_state_init(&live);
    assert_ok(cr_plan_wants_from_desired(&wants, w->d, S_POOLS));
    struct cr_live_read_options ro = {.stack = "default"};
    assert_ok(cr_live_read(&live, c, wants.items, wants.len, &ro));
    assert_ok(cr_plan_build(&w->plan, w->d, S_POOLS, &live, &po));
    assert_in_range(w->plan.n_ops, 3 * S_POOLS, 64); /* Create, SetRoles, SetPTags, ... each */
    cr_plan_wants_dispose(&wants);
    cr_live_state_dispose(&live);
}

static void s_world_dispose(struct s_world *w)
{
    for (size_t i = 0; i < S_POOLS; i++)
        cr_desired_pool_dispose(&w->d[i]);
    cr_plan_dispose(&w->plan);
    cr_apply_report_dispose(&w->report);
}

/* Log position of pool_id's call of op, or SIZE_MAX. */
static size_t s_pos(json_t *log, const char *op, const char *pool_id)
{
    for (size_t i = 0; i < json_array_size(log); i++) {
        json_t *e = json_array_get(log, i);
        const char *id = json_string_value(json_object_get(e, "pool_id"));
        if (strcmp(s_op_at(log, i), op) == 0 && id && strcmp(id, pool_id) == 0)
            return i;
    }
    return SIZE_MAX;
}

static void test_parallel__apply_runs_pools_at_once_and_reports_in_plan_order(void **state)
{
    (void)state;
    struct cr_aws_client *c = s_client(8, "*=unlimited");
    struct s_world w;
    s_world(&w, c);
    /* the first create the service gets is slow: the other pools go on meanwhile */
    assert_ok(cr_emu_proc_faults(&s_emu, "[{\"operation\":\"CreateIdentityPool\","
                                         "\"latency_ms\":2500,\"count\":1}]"));
    struct cr_apply_options ao = {.progress = s_record, .progress_user = &w, .parallelism = 8};
    assert_ok(cr_apply(&w.report, &w.plan, &c, 1, &ao));
    assert_int_equal(w.report.n_done, w.plan.n_ops);
    /* reported in plan order (grouped per pool), whatever order the answers came in */
    assert_int_equal(w.n_order, w.plan.n_ops);
    for (size_t k = 0; k < w.n_order; k++)
        assert_int_equal(w.order[k], k);
    json_t *log = s_log();
    /* the slow one: the create answered last (the log is in answer order); which pool's
     * create reached the service first is up to the scheduler */
    size_t slow = 0;
    for (size_t p = 0; p < S_POOLS; p++) {
        const char *id = w.report.results[w.plan.pools[p].first_op].pool_id;
        assert_non_null(id);
        const char *slow_id = w.report.results[w.plan.pools[slow].first_op].pool_id;
        if (s_pos(log, "CreateIdentityPool", id) > s_pos(log, "CreateIdentityPool", slow_id))
            slow = p;
    }
    const char *slow_id = w.report.results[w.plan.pools[slow].first_op].pool_id;
    /* parallel: every other pool was done with before the slow create answered */
    for (size_t p = 0; p < S_POOLS; p++) {
        const char *id = w.report.results[w.plan.pools[p].first_op].pool_id;
        if (p != slow)
            assert_in_range(s_pos(log, "SetPrincipalTagAttributeMap", id), 0,
                            s_pos(log, "CreateIdentityPool", slow_id));
    }
    /* and each pool's calls in their order */
    for (size_t p = 0; p < S_POOLS; p++) {
        const char *id = w.report.results[w.plan.pools[p].first_op].pool_id;
        size_t roles = s_pos(log, "SetIdentityPoolRoles", id);
        assert_in_range(roles, 0, s_pos(log, "SetPrincipalTagAttributeMap", id));
        assert_true(roles != SIZE_MAX);
    }
    json_decref(log);
    s_world_dispose(&w);
    cr_aws_client_free(c);
}

/* One call at a time: after the failure nothing else is sent, and the rest is "not attempted"
 * -- the failed call is the last the service saw. */
static void test_parallel__after_a_failure_nothing_new_starts(void **state)
{
    (void)state;
    struct cr_aws_client *c = s_client(1, "*=unlimited");
    struct s_world w;
    s_world(&w, c);
    long before = cr_emu_proc_count(&s_emu, NULL);
    assert_ok(cr_emu_proc_faults(&s_emu, "[{\"operation\":\"SetIdentityPoolRoles\",\"count\":1,"
                                         "\"status\":400,\"type\":\"InvalidParameterException\","
                                         "\"message\":\"injected\"}]"));
    struct cr_apply_options ao = {.progress = s_record, .progress_user = &w, .parallelism = 1};
    assert_int_equal(cr_apply(&w.report, &w.plan, &c, 1, &ao), CR_ESERVICE);
    assert_int_equal(w.report.n_failed, 1);
    assert_in_range(w.report.n_not_attempted, 1, w.plan.n_ops);
    json_t *log = s_log();
    size_t n = json_array_size(log);
    assert_string_equal(s_op_at(log, n - 1), "SetIdentityPoolRoles");
    assert_string_equal(json_string_value(json_object_get(json_array_get(log, n - 1), "error")),
                        "InvalidParameterException");
    /* every call the service saw is reported done or failed, nothing else */
    assert_int_equal((long)n - before, (long)(w.report.n_done + w.report.n_failed));
    /* reported in plan order: the ops that ran, ascending */
    for (size_t k = 1; k < w.n_order; k++)
        assert_in_range(w.order[k], w.order[k - 1] + 1, w.plan.n_ops);
    json_decref(log);
    s_world_dispose(&w);
    cr_aws_client_free(c);
}

/* A run lock's write guard stand-in: counts the asks (from the region's thread) and refuses
 * every ask after the first `allow`, as a lock whose lease was lost does. */
struct s_guard {
    pthread_mutex_t mu;
    long asks, allow;
};

static int s_guard_ask(void *ctx)
{
    struct s_guard *g = ctx;
    pthread_mutex_lock(&g->mu);
    long n = ++g->asks;
    pthread_mutex_unlock(&g->mu);
    if (n <= g->allow)
        return 0;
    cr_error_set("the lock was lost (test guard, ask %ld)", n);
    return CR_ECONFLICT;
}

/* The emulator's write calls since `before` (its log counted from the start). */
static long s_writes_since(long before)
{
    json_t *log = s_log();
    long n = 0;
    for (size_t i = (size_t)before; i < json_array_size(log); i++) {
        enum cr_cognito_op op;
        if (cr_cognito_op_from_name(&op, s_op_at(log, i)) == 0 && cr_cognito_op_is_write(op))
            n++;
    }
    json_decref(log);
    return n;
}

/* Plans the fixture world and applies it at parallelism 8 with calls waiting for their rate
 * (40/s each operation) under a guard allowing `allow` asks; *writes: the calls the service
 * saw. Returns cr_apply's result. */
static int s_guarded_apply(struct s_world *w, struct s_guard *g, long allow, long *writes)
{
    struct cr_aws_client *c = s_client(8, "*=40");
    s_world(w, c);
    long before = cr_emu_proc_count(&s_emu, NULL);
    pthread_mutex_init(&g->mu, NULL);
    g->asks = 0;
    g->allow = allow;
    struct cr_apply_options ao = {.guard = s_guard_ask, .guard_ctx = g, .parallelism = 8};
    int rc = cr_apply(&w->report, &w->plan, &c, 1, &ao);
    *writes = s_writes_since(before);
    pthread_mutex_destroy(&g->mu);
    cr_aws_client_free(c);
    return rc;
}

/* Asked right before each call goes out and only then: as many asks as calls the service saw,
 * with calls waiting for their rate in between. */
static void test_parallel__the_guard_is_asked_before_each_call(void **state)
{
    (void)state;
    struct s_world w;
    struct s_guard g;
    long writes = 0;
    assert_ok(s_guarded_apply(&w, &g, 1000, &writes));
    assert_int_equal(w.report.n_done, w.plan.n_ops);
    assert_int_equal(writes, (long)w.plan.n_ops);
    assert_int_equal(g.asks, (long)w.plan.n_ops);
    s_world_dispose(&w);
}

/* Refused at the sixth call: the five before it went out and are done, nothing else reached
 * the service (not the calls already queued for their rate either), the run fails with the
 * guard's words and the rest is "not attempted". */
static void test_parallel__a_refusing_guard_stops_the_run_before_its_call(void **state)
{
    (void)state;
    struct s_world w;
    struct s_guard g;
    long writes = 0;
    assert_int_equal(s_guarded_apply(&w, &g, 5, &writes), CR_ECONFLICT);
    assert_non_null(strstr(cr_error_last(), "the lock was lost (test guard, ask 6)"));
    assert_int_equal(writes, 5);
    assert_int_equal(g.asks, 6); /* the queued calls were not sent, and not asked about */
    assert_int_equal(w.report.n_done, 5);
    assert_int_equal(w.report.n_failed, 0);
    assert_int_equal(w.report.n_not_attempted, w.plan.n_ops - 5);
    s_world_dispose(&w);
}

/* ---- pacing to the quota ---- */

/* The throttled share of calls the emulator saw since its quotas were set. */
static double s_throttled_share(long *throttled)
{
    json_t *log = s_log();
    long t = 0, n = 0;
    for (size_t i = 0; i < json_array_size(log); i++) {
        if (strcmp(s_op_at(log, i), "DescribeIdentityPool") != 0)
            continue;
        n++;
        t += json_is_true(json_object_get(json_array_get(log, i), "throttled"));
    }
    json_decref(log);
    *throttled = t;
    return n ? (double)t / (double)n : 0.0;
}

#define S_NO_POOL "us-east-1:00000000-0000-0000-0000-000000000000"

/* 120 describes through a client told 120/s, against a service allowing 20/s. (Of a pool that
 * does not exist: ResourceNotFound is cheap, and it is the rate that counts.) */
static double s_paced_run(const char *mode, long *throttled)
{
    s_retry_mode = mode;
    assert_ok(cr_emu_proc_reset(&s_emu));
    s_quotas("{\"quota\":[\"DescribeIdentityPool=20:20\"]}");
    struct cr_aws_client *c = s_client(8, "DescribeIdentityPool=120");
    struct cr_aws_call calls[120];
    for (size_t i = 0; i < 120; i++) {
        cr_aws_call_init(&calls[i], CR_OP_DESCRIBE_IDENTITY_POOL);
        assert_ok(cr_cognito_encode_pool_id(&calls[i].body, S_NO_POOL));
    }
    (void)!cr_aws_perform(c, calls, 120);
    for (size_t i = 0; i < 120; i++) {
        /* answered (not found), or still throttled after every attempt */
        if (calls[i].result == CR_ESERVICE)
            assert_string_equal(calls[i].error.type, "ResourceNotFoundException");
        else
            assert_int_equal(calls[i].result, CR_ETHROTTLED);
        cr_aws_call_dispose(&calls[i]);
    }
    cr_aws_client_free(c);
    double share = s_throttled_share(throttled);
    print_message("AWS_RETRY_MODE=%s: %ld throttled, %.1f%% of the attempts\n",
                  mode ? mode : "(unset: adaptive)", *throttled, share * 100);
    return share;
}

static void test_parallel__adaptive_mode_finds_a_lower_quota(void **state)
{
    (void)state;
    long t_adaptive = 0, t_standard = 0;
    double adaptive = s_paced_run(NULL, &t_adaptive);
    double standard = s_paced_run("standard", &t_standard);
    /* told six times the quota: the fixed rate bounces off it all along; the adaptive rate
     * finds it after a few cuts */
    assert_true(standard >= 0.3);
    assert_true(adaptive <= 0.2);
    assert_in_range((unsigned long)t_adaptive, 1, (unsigned long)t_standard / 2);
}

/* Two clients of one account and region, each told the quota, in two threads: their calls
 * share one bucket, so together they stay within it. */
struct s_pair {
    struct cr_aws_client *c;
    const char *id;
};

static void *s_describe_20(void *arg)
{
    struct s_pair *p = arg;
    struct cr_aws_call calls[20];
    for (size_t i = 0; i < 20; i++) {
        cr_aws_call_init(&calls[i], CR_OP_DESCRIBE_IDENTITY_POOL);
        if (cr_cognito_encode_pool_id(&calls[i].body, p->id) != 0)
            abort();
    }
    (void)!cr_aws_perform(p->c, calls, 20);
    for (size_t i = 0; i < 20; i++)
        cr_aws_call_dispose(&calls[i]);
    return NULL;
}

static void test_parallel__clients_of_one_scope_share_the_quota(void **state)
{
    (void)state;
    s_retry_mode = "standard"; /* fixed rates: sharing alone keeps them in */
    struct cr_aws_client *a = s_client(4, "DescribeIdentityPool=10");
    struct cr_aws_client *b = s_client(4, "DescribeIdentityPool=10");
    s_quotas("{\"quota\":[\"DescribeIdentityPool=10:3\"]}");
    struct s_pair pa = {a, S_NO_POOL}, pb = {b, S_NO_POOL};
    pthread_t ta, tb;
    assert_int_equal(pthread_create(&ta, NULL, s_describe_20, &pa), 0);
    assert_int_equal(pthread_create(&tb, NULL, s_describe_20, &pb), 0);
    pthread_join(ta, NULL);
    pthread_join(tb, NULL);
    long throttled = 0;
    s_throttled_share(&throttled);
    assert_int_equal(throttled, 0);
    assert_int_equal(cr_emu_proc_count(&s_emu, "DescribeIdentityPool"), 40);
    cr_aws_client_free(a);
    cr_aws_client_free(b);
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test_setup(test_parallel__describes_start_while_pages_are_still_listed,
                               s_setup),
        cmocka_unit_test_setup(test_parallel__a_slow_call_holds_nothing_back, s_setup),
        cmocka_unit_test_setup(test_parallel__apply_runs_pools_at_once_and_reports_in_plan_order,
                               s_setup),
        cmocka_unit_test_setup(test_parallel__after_a_failure_nothing_new_starts, s_setup),
        cmocka_unit_test_setup(test_parallel__the_guard_is_asked_before_each_call, s_setup),
        cmocka_unit_test_setup(test_parallel__a_refusing_guard_stops_the_run_before_its_call,
                               s_setup),
        cmocka_unit_test_setup(test_parallel__adaptive_mode_finds_a_lower_quota, s_setup),
        cmocka_unit_test_setup(test_parallel__clients_of_one_scope_share_the_quota, s_setup),
    };
    return cmocka_run_group_tests(tests, s_group_setup, s_group_teardown);
}
