/* SPDX-License-Identifier: Apache-2.0 */
/*
 * Plan and apply against cognito-identity-local (label integration): a pool is created with
 * every tag inside CreateIdentityPool, a second plan shows no changes and a second apply makes
 * no write call; updates happen in place; a failing call stops the run and a re-run converges;
 * an ambiguous CreateIdentityPool never makes a twin; a saved plan is refused once live state
 * changed; --prune deletes owned pools without manifests; the reader skips unmanaged sections.
 */
#include "tests/unit/test_plan_fixture.h"

#include <stdio.h>

#include "aws/client.h"
#include "reconcile/apply.h"
#include "reconcile/export.h"
#include "reconcile/render.h"
#include "tests/support/emulator_proc.h"

#define S_KEY    "AKIDRECONCILE0000001"
#define S_SECRET "reconcileSecretKey000000000000000000000"

static struct cr_emu_proc s_emu;
static char *s_dir;

static const char *s_getenv(void *ctx, const char *name)
{
    (void)ctx;
    if (strcmp(name, "AWS_ACCESS_KEY_ID") == 0)
        return S_KEY;
    if (strcmp(name, "AWS_SECRET_ACCESS_KEY") == 0)
        return S_SECRET;
    if (strcmp(name, "AWS_REGION") == 0)
        return FX_REGION;
    if (strcmp(name, "HOME") == 0 || strcmp(name, "AWS_CONFIG_FILE") == 0 ||
        strcmp(name, "AWS_SHARED_CREDENTIALS_FILE") == 0)
        return "/nonexistent-cr-integration";
    return NULL;
}

static const struct cr_aws_env s_env = {s_getenv, NULL, NULL, NULL};

static int s_group_setup(void **state)
{
    if (cr_emu_proc_start_with_keys(&s_emu, &s_dir, S_KEY " " S_SECRET " " FX_ACCOUNT "\n", NULL) !=
        0) {
        print_error("emulator: %s\n", cr_error_last());
        return -1;
    }
    return 0;
}

static int s_group_teardown(void **state)
{
    cr_emu_proc_stop(&s_emu);
    cr_test_rmtree(s_dir);
    free(s_dir);
    return 0;
}

struct world {
    struct cr_aws_client *client;
    struct cr_desired_pool d[2];
    size_t n;
    struct cr_plan_options opts;
    struct cr_plan plan;
    struct cr_apply_report report;
};

static int s_setup(void **state)
{
    struct world *w = calloc(1, sizeof(*w));
    struct cr_aws_options o = {0};
    if (!w || cr_emu_proc_reset(&s_emu) != 0)
        return -1;
    o.endpoint_url = s_emu.url;
    o.env = &s_env;
    o.retry_base_ms = 5;
    assert_ok(cr_aws_client_new(&w->client, &o));
    fx_desired(&w->d[0]);
    w->n = 1;
    w->opts.stack = "default";
    w->opts.region = FX_REGION;
    *state = w;
    return 0;
}

static int s_teardown(void **state)
{
    struct world *w = *state;
    for (size_t i = 0; i < 2; i++)
        cr_desired_pool_dispose(&w->d[i]);
    cr_plan_dispose(&w->plan);
    cr_apply_report_dispose(&w->report);
    cr_aws_client_free(w->client);
    free(w);
    return 0;
}

/* Renames manifest pool i (metadata.name). */
static void s_rename(struct world *w, size_t i, const char *name)
{
    free(w->d[i].name);
    w->d[i].name = strdup(name);
    assert_non_null(w->d[i].name);
}

/* A second manifest pool, the fixture's under another name. */
static void s_add_second(struct world *w, const char *name)
{
    fx_desired(&w->d[1]);
    s_rename(w, 1, name);
    w->n = 2;
}

/* Reads live state for the manifests and plans (into w->plan). */
static int s_plan(struct world *w)
{
    struct cr_plan_wants wants;
    struct cr_live_state live;
    struct cr_live_read_options ro = {.stack = w->opts.stack, .discover = w->opts.prune};
    cr_plan_dispose(&w->plan);
    cr_live_state_init(&live);
    assert_ok(cr_plan_wants_from_desired(&wants, w->d, w->n));
    int rc = cr_live_read(&live, w->client, wants.items, wants.len, &ro);
    if (rc == 0)
        rc = cr_plan_build(&w->plan, w->d, w->n, &live, &w->opts);
    cr_plan_wants_dispose(&wants);
    cr_live_state_dispose(&live);
    return rc;
}

static int s_apply(struct world *w)
{
    cr_apply_report_dispose(&w->report);
    return cr_apply(&w->report, &w->plan, &w->client, 1, NULL);
}

static void s_converged(struct world *w)
{
    assert_ok(s_plan(w));
    if (!cr_plan_is_empty(&w->plan)) {
        struct cr_buf text = CR_BUF_INIT;
        assert_ok(cr_render_text(&text, &w->plan, NULL));
        print_error("expected no changes, got:\n%s\n", text.ptr);
        cr_buf_dispose(&text);
        fail();
    }
    assert_ok(s_apply(w));
    assert_int_equal(w->report.write_calls, 0);
}

static void test_reconcile__create_then_nothing_left_to_do(void **state)
{
    struct world *w = *state;
    assert_ok(s_plan(w));
    assert_int_equal(w->plan.pools[0].action, CR_PLAN_CREATE);
    assert_ok(s_apply(w));
    assert_int_equal(w->report.n_done, w->plan.n_ops);
    assert_int_equal(w->report.n_failed, 0);
    const char *id = w->report.results[0].pool_id;
    assert_non_null(id);
    /* the later calls addressed the new pool */
    assert_string_equal(w->report.results[1].pool_id, id);

    /* the pool carries its ownership tags from birth */
    struct cr_cognito_pool got = {0};
    assert_ok(cr_cognito_describe_pool(w->client, &got, id));
    assert_string_equal(cr_strmap_get(&got.tags, CR_TAG_STACK), "default");
    assert_string_equal(cr_strmap_get(&got.tags, CR_TAG_NAME), "mobile");
    assert_string_equal(cr_strmap_get(&got.tags, "team"), "mobile");
    cr_cognito_pool_dispose(&got);

    s_converged(w);
    assert_int_equal(cr_emu_proc_count(&s_emu, "CreateIdentityPool"), 1);
}

static void test_reconcile__updates_happen_in_place_and_converge(void **state)
{
    struct world *w = *state;
    assert_ok(s_plan(w));
    assert_ok(s_apply(w));
    char *id = strdup(w->report.results[0].pool_id);

    /* rename, retag, new roles, drop the user pool provider and its mapping and map */
    free(w->d[0].config.name);
    w->d[0].config.name = strdup("Mobile Renamed");
    fx_set(&w->d[0].tags, "env", "staging");
    cr_strmap_remove(&w->d[0].tags, "team");
    fx_remove_provider(&w->d[0].config, FX_UP);
    cr_cognito_roles_dispose(&w->d[0].roles);
    fx_set(&w->d[0].roles.roles, "authenticated", FX_ROLE("Other"));
    for (size_t i = 0; i < w->d[0].n_principal_tags; i++)
        cr_cognito_principal_tags_dispose(&w->d[0].principal_tags[i]);
    w->d[0].n_principal_tags = 0;
    w->d[0].config.allow_classic_flow = 1;
    assert_ok(s_plan(w));
    assert_int_equal(w->plan.pools[0].action, CR_PLAN_UPDATE);
    /* the mapping of the removed provider goes first */
    assert_int_equal(w->plan.ops[0].kind, CR_PLAN_OP_SET_ROLES);
    assert_int_equal(w->plan.ops[1].kind, CR_PLAN_OP_UPDATE);
    assert_ok(s_apply(w));
    s_converged(w);
    assert_string_equal(w->plan.pools[0].pool_id, id); /* same pool */
    free(id);
}

/* The pool of issue 9: 48 user tags, then a manifest that says tags: {b: "1"}. TagResource
 * first would hold 51 tags; the service (here the emulator) refuses that every time. */
static void test_reconcile__a_pool_with_50_tags_takes_a_new_tag(void **state)
{
    struct world *w = *state;
    char key[16];
    for (int i = 0; i < 46; i++) { /* team, env, k00..k45 and the two ownership tags: 50 */
        snprintf(key, sizeof(key), "k%02d", i);
        fx_set(&w->d[0].tags, key, "v");
    }
    assert_ok(s_plan(w));
    assert_ok(s_apply(w));
    cr_strmap_dispose(&w->d[0].tags);
    fx_set(&w->d[0].tags, "b", "1");
    assert_ok(s_plan(w));
    assert_ok(s_apply(w));
    struct cr_cognito_pool got = {0};
    assert_ok(cr_cognito_describe_pool(w->client, &got, w->plan.pools[0].pool_id));
    assert_int_equal(got.tags.len, 3);
    assert_string_equal(cr_strmap_get(&got.tags, "b"), "1");
    cr_cognito_pool_dispose(&got);
    s_converged(w);
}

static void test_reconcile__failed_call_stops_the_run_and_a_rerun_converges(void **state)
{
    struct world *w = *state;
    s_add_second(w, "second");
    assert_ok(cr_emu_proc_faults(&s_emu, "[{\"operation\":\"SetIdentityPoolRoles\",\"count\":1,"
                                         "\"status\":400,\"type\":\"InvalidParameterException\","
                                         "\"message\":\"injected\"}]"));
    assert_ok(s_plan(w));
    assert_int_equal(s_apply(w), CR_ESERVICE);
    assert_non_null(strstr(cr_error_last(), "SetIdentityPoolRoles"));
    assert_non_null(strstr(cr_error_last(), "InvalidParameterException: injected"));
    /* one failure; calls already sent when it came finished, nothing else started: every op
     * is done, failed or not attempted, and within a pool nothing ran after a call that did
     * not succeed (its calls keep their order) */
    assert_int_equal(w->report.n_failed, 1);
    assert_int_equal(w->report.n_done + w->report.n_failed + w->report.n_not_attempted,
                     w->plan.n_ops);
    assert_in_range(w->report.n_not_attempted, 1, w->plan.n_ops);
    size_t failed = 0;
    for (size_t p = 0; p < w->plan.n_pools; p++) {
        bool stopped = false;
        for (size_t k = 0; k < w->plan.pools[p].n_ops; k++) {
            size_t i = w->plan.pools[p].first_op + k;
            enum cr_apply_status st = w->report.results[i].status;
            if (st == CR_APPLY_FAILED)
                failed = i;
            if (stopped && st != CR_APPLY_NOT_ATTEMPTED)
                fail_msg("pool %zu: op %zu ran after an earlier op of the pool did not", p, k);
            stopped = stopped || st != CR_APPLY_DONE;
        }
    }
    assert_int_equal(w->plan.ops[failed].kind, CR_PLAN_OP_SET_ROLES);
    assert_non_null(strstr(w->report.results[failed].error, "pool '"));

    /* the re-run finds the pools created by their tags, creates the others, finishes the job */
    size_t created = 0;
    for (size_t i = 0; i < w->report.n_results; i++)
        created += w->plan.ops[i].kind == CR_PLAN_OP_CREATE &&
                   w->report.results[i].status == CR_APPLY_DONE;
    assert_in_range(created, 1, 2);
    assert_ok(s_plan(w));
    assert_int_equal(w->plan.n_create, 2 - created);
    assert_ok(s_apply(w));
    s_converged(w);
    assert_int_equal(cr_emu_proc_count(&s_emu, "CreateIdentityPool"), 2);
}

/* Plans and applies one create whose answer the emulator loses: the pool is found by its tags,
 * exactly one CreateIdentityPool reached the service, one pool exists, and a re-plan is empty. */
static void s_apply_without_twin(struct world *w)
{
    assert_ok(s_plan(w));
    assert_ok(s_apply(w));
    assert_true(w->report.results[0].recovered);
    assert_int_equal(cr_emu_proc_count(&s_emu, "CreateIdentityPool"), 1);
    struct cr_cognito_pool_page page = {0};
    assert_ok(cr_cognito_list_pools(w->client, &page));
    assert_int_equal(page.len, 1);
    cr_cognito_pool_page_dispose(&page);
    s_converged(w);
}

static void test_reconcile__ambiguous_create_never_makes_a_twin(void **state)
{
    struct world *w = *state;
    /* the pool is created, then the answer is lost as a 500 */
    assert_ok(cr_emu_proc_faults(&s_emu, "[{\"operation\":\"CreateIdentityPool\",\"count\":1,"
                                         "\"after\":true}]"));
    s_apply_without_twin(w);
}

static void test_reconcile__dropped_create_never_makes_a_twin(void **state)
{
    struct world *w = *state;
    /* the pool is created, then the connection drops before the answer (as a timeout would) */
    assert_ok(cr_emu_proc_faults(&s_emu, "[{\"operation\":\"CreateIdentityPool\",\"count\":1,"
                                         "\"drop\":1,\"after\":true}]"));
    s_apply_without_twin(w);
}

static void test_reconcile__timed_out_create_never_makes_a_twin(void **state)
{
    struct world *w = *state;
    /* a client that gives up after 300 ms; the emulator creates the pool and answers never */
    struct cr_aws_options o = {0};
    cr_aws_client_free(w->client);
    o.endpoint_url = s_emu.url;
    o.env = &s_env;
    o.retry_base_ms = 5;
    o.timeout_ms = 300;
    assert_ok(cr_aws_client_new(&w->client, &o));
    assert_ok(cr_emu_proc_faults(&s_emu, "[{\"operation\":\"CreateIdentityPool\",\"count\":1,"
                                         "\"hang_ms\":1000,\"after\":true}]"));
    s_apply_without_twin(w);
}

static void test_reconcile__saved_plan_is_refused_after_a_hand_change(void **state)
{
    struct world *w = *state;
    assert_ok(s_plan(w));
    assert_ok(s_apply(w));
    w->d[0].config.allow_unauthenticated = true;
    assert_ok(s_plan(w));
    char path[4096];
    snprintf(path, sizeof(path), "%s/plan.json", s_dir);
    assert_ok(cr_plan_save(&w->plan, path));

    /* someone renames the pool in the console */
    struct cr_cognito_pool hand = {0}, out = {0};
    assert_ok(cr_cognito_describe_pool(w->client, &hand, w->plan.pools[0].pool_id));
    free(hand.name);
    hand.name = strdup("Renamed By Hand");
    assert_ok(cr_cognito_update_pool(w->client, &out, &hand));
    cr_cognito_pool_dispose(&hand);
    cr_cognito_pool_dispose(&out);

    struct cr_plan saved;
    struct cr_plan_wants wants;
    struct cr_live_state live;
    struct cr_live_read_options ro = {.stack = "default", .discover = true};
    assert_ok(cr_plan_load(&saved, path));
    assert_ok(cr_plan_wants_from_plan(&wants, &saved));
    cr_live_state_init(&live);
    assert_ok(cr_live_read(&live, w->client, wants.items, wants.len, &ro));
    assert_int_equal(cr_plan_verify(&saved, &live), CR_ECONFLICT);
    assert_non_null(strstr(cr_error_last(), "pool 'mobile'"));
    cr_live_state_dispose(&live);
    cr_plan_wants_dispose(&wants);

    /* an untouched saved plan verifies and applies */
    assert_ok(s_plan(w));
    assert_ok(cr_plan_save(&w->plan, path));
    cr_plan_dispose(&saved);
    assert_ok(cr_plan_load(&saved, path));
    assert_ok(cr_plan_wants_from_plan(&wants, &saved));
    cr_live_state_init(&live);
    assert_ok(cr_live_read(&live, w->client, wants.items, wants.len, &ro));
    assert_ok(cr_plan_verify(&saved, &live));
    cr_apply_report_dispose(&w->report);
    assert_ok(cr_apply(&w->report, &saved, &w->client, 1, NULL));
    s_converged(w);
    cr_live_state_dispose(&live);
    cr_plan_wants_dispose(&wants);
    cr_plan_dispose(&saved);
}

static void test_reconcile__prune_deletes_owned_pools_without_manifests(void **state)
{
    struct world *w = *state;
    s_add_second(w, "doomed");
    assert_ok(s_plan(w));
    assert_ok(s_apply(w));
    w->n = 1;
    assert_ok(s_plan(w));
    assert_true(cr_plan_is_empty(&w->plan)); /* not without --prune */
    w->opts.prune = true;
    assert_ok(s_plan(w));
    assert_int_equal(w->plan.n_delete, 1);
    assert_ok(s_apply(w));
    s_converged(w);
    struct cr_cognito_pool_page page = {0};
    assert_ok(cr_cognito_list_pools(w->client, &page));
    assert_int_equal(page.len, 1);
    cr_cognito_pool_page_dispose(&page);
}

static void test_reconcile__reader_makes_only_the_calls_the_plan_needs(void **state)
{
    struct world *w = *state;
    assert_ok(s_plan(w));
    assert_ok(s_apply(w));
    /* sections unmanaged: no roles or principal-tag reads */
    w->d[0].manage_roles = false;
    w->d[0].manage_principal_tags = false;
    assert_int_equal(cr_emu_proc_reset(&s_emu), 0);
    assert_ok(s_plan(w));
    assert_int_equal(w->plan.pools[0].action, CR_PLAN_CREATE); /* reset emptied the emulator */
    assert_int_equal(cr_emu_proc_count(&s_emu, "GetIdentityPoolRoles"), 0);
    assert_int_equal(cr_emu_proc_count(&s_emu, "GetPrincipalTagAttributeMap"), 0);
    assert_ok(s_apply(w));
    long before_roles = cr_emu_proc_count(&s_emu, "GetIdentityPoolRoles");
    s_converged(w);
    assert_int_equal(cr_emu_proc_count(&s_emu, "GetIdentityPoolRoles"), before_roles);
    /* the first plan listed no pool; the second described the one pool once */
    assert_int_equal(cr_emu_proc_count(&s_emu, "DescribeIdentityPool"), 1);
    assert_int_equal(cr_emu_proc_count(&s_emu, "ListIdentityPools"), 2);
}

static void test_reconcile__exported_manifests_plan_no_changes(void **state)
{
    struct world *w = *state;
    assert_ok(s_plan(w));
    assert_ok(s_apply(w));
    /* a console-made pool with nothing but a name, next to ours */
    struct cr_cognito_pool hand = {0}, made = {0};
    hand.name = strdup("Console Pool");
    hand.allow_classic_flow = -1;
    assert_ok(cr_cognito_create_pool(w->client, &made, &hand));

    struct cr_live_state live;
    struct cr_buf yaml = CR_BUF_INIT;
    struct cr_export_options eo = {.stack = "default", .all = true};
    cr_live_state_init(&live);
    assert_ok(cr_export_read(&live, w->client, &eo));
    assert_ok(cr_export_write(&yaml, NULL, &live, &eo));
    cr_live_state_dispose(&live);

    struct cr_manifest_input in = {"export.yaml", yaml.ptr, yaml.len};
    struct cr_manifest_set *set = NULL;
    assert_ok(cr_manifest_load_buffers(&set, &in, 1, NULL));
    for (size_t i = 0; i < w->n; i++)
        cr_desired_pool_dispose(&w->d[i]);
    struct cr_desired_set ds = {0};
    assert_ok(cr_desired_from_manifest(&ds, set));
    assert_int_equal(ds.len, 2);
    w->d[0] = ds.pools[0];
    w->d[1] = ds.pools[1];
    w->n = 2;
    free(ds.pools); /* the pools are now owned by the world */
    assert_int_equal(ds.n_accounts, 0);
    free(ds.accounts); /* (always allocated, empty here) */
    cr_manifest_set_free(set);
    cr_buf_dispose(&yaml);

    /* ours plans as nothing; the console pool only gets adopted (ownership tags) */
    assert_ok(s_plan(w));
    assert_int_equal(w->plan.n_ops, 1);
    assert_int_equal(w->plan.ops[0].kind, CR_PLAN_OP_TAG);
    assert_string_equal(w->plan.pools[w->plan.ops[0].pool].pool_id, made.id);
    assert_ok(s_apply(w));
    s_converged(w);
    cr_cognito_pool_dispose(&hand);
    cr_cognito_pool_dispose(&made);
}

static void test_reconcile__discovery_reads_every_page_once(void **state)
{
    struct world *w = *state;
    enum { N = 125 }; /* three ListIdentityPools pages of 60 */
    struct cr_aws_call calls[N];
    /* pages, not pacing (test_reconcile_parallel's): no rate limits, 375 calls in no time */
    struct cr_aws_options o = {
        .endpoint_url = s_emu.url, .env = &s_env, .retry_base_ms = 5, .rate_limits = "*=unlimited"};
    cr_aws_client_free(w->client);
    assert_ok(cr_aws_client_new(&w->client, &o));
    for (int i = 0; i < N; i++) {
        struct cr_cognito_pool p = {0};
        char name[32];
        snprintf(name, sizeof(name), "orphan-%03d", i);
        p.name = strdup(name);
        p.allow_classic_flow = 0;
        p.has_tags = true;
        fx_set(&p.tags, CR_TAG_STACK, "default");
        fx_set(&p.tags, CR_TAG_NAME, name);
        cr_aws_call_init(&calls[i], CR_OP_CREATE_IDENTITY_POOL);
        assert_ok(cr_cognito_encode_create(&calls[i].body, &p));
        cr_cognito_pool_dispose(&p);
    }
    assert_ok(cr_aws_perform(w->client, calls, N));
    for (int i = 0; i < N; i++)
        cr_aws_call_dispose(&calls[i]);
    long lists = cr_emu_proc_count(&s_emu, "ListIdentityPools");
    long describes = cr_emu_proc_count(&s_emu, "DescribeIdentityPool");

    /* no manifests, --prune: every owned pool on every page is found and deleted */
    w->n = 0;
    w->opts.prune = true;
    assert_ok(s_plan(w));
    assert_int_equal(w->plan.n_delete, N);
    assert_int_equal(cr_emu_proc_count(&s_emu, "ListIdentityPools") - lists, 3);
    assert_int_equal(cr_emu_proc_count(&s_emu, "DescribeIdentityPool") - describes, N);
    assert_ok(s_apply(w));
    assert_int_equal(w->report.n_done, N);
    s_converged(w);
}

static void test_reconcile__export_of_a_stack_reads_only_its_pools(void **state)
{
    struct world *w = *state;
    assert_ok(s_plan(w));
    assert_ok(s_apply(w));
    struct cr_cognito_pool hand = {0}, made = {0};
    hand.name = strdup("Console Pool");
    hand.allow_classic_flow = -1;
    assert_ok(cr_cognito_create_pool(w->client, &made, &hand));
    long roles_before = cr_emu_proc_count(&s_emu, "GetIdentityPoolRoles");

    struct cr_live_state live;
    struct cr_buf yaml = CR_BUF_INIT;
    struct cr_export_options eo = {.stack = "default", .by_stack = true};
    cr_live_state_init(&live);
    assert_ok(cr_export_read(&live, w->client, &eo));
    assert_ok(cr_export_write(&yaml, NULL, &live, &eo));
    /* the console pool is described (ownership is in its tags) but nothing more is read */
    assert_int_equal(cr_emu_proc_count(&s_emu, "GetIdentityPoolRoles") - roles_before, 1);
    assert_non_null(strstr(yaml.ptr, "name: mobile\n"));
    assert_null(strstr(yaml.ptr, "Console Pool"));
    cr_buf_dispose(&yaml);
    cr_live_state_dispose(&live);
    cr_cognito_pool_dispose(&hand);
    cr_cognito_pool_dispose(&made);
}

static bool s_is_write(const char *op)
{
    return strncmp(op, "Describe", 8) != 0 && strncmp(op, "List", 4) != 0 &&
           strncmp(op, "Get", 3) != 0;
}

static long s_last_seq(void)
{
    json_t *reqs = NULL;
    assert_ok(cr_emu_proc_requests(&s_emu, 0, &reqs));
    size_t n = json_array_size(reqs);
    long seq =
        n ? (long)json_integer_value(json_object_get(json_array_get(reqs, n - 1), "seq")) : 0;
    json_decref(reqs);
    return seq;
}

/* Applies w->plan and checks "honest plans": the write calls the emulator logged are exactly the
 * operations of the plan's JSON, one for one, in plan order within each pool. */
static void s_apply_matches_plan_json(struct world *w)
{
    struct cr_buf js = CR_BUF_INIT;
    assert_ok(cr_render_json(&js, &w->plan));
    json_t *doc = json_loadb(js.ptr, js.len, 0, NULL);
    assert_non_null(doc);
    json_t *ops = json_object_get(doc, "operations");
    assert_int_equal(json_array_size(ops), w->plan.n_ops);

    long mark = s_last_seq();
    assert_ok(s_apply(w));
    assert_int_equal(w->report.n_done, w->plan.n_ops);
    json_t *reqs = NULL;
    assert_ok(cr_emu_proc_requests(&s_emu, mark, &reqs));

    /* pair each logged write with the next unmatched plan operation of its pool */
    bool *used = calloc(w->plan.n_ops, sizeof(*used));
    assert_non_null(used);
    size_t writes = 0, idx;
    json_t *e;
    json_array_foreach(reqs, idx, e)
    {
        const char *op = json_string_value(json_object_get(e, "operation"));
        const char *pid = json_string_value(json_object_get(e, "pool_id"));
        if (!s_is_write(op))
            continue;
        writes++;
        assert_int_equal(json_integer_value(json_object_get(e, "status")), 200);
        assert_non_null(pid);
        size_t i = 0;
        while (i < w->plan.n_ops && (used[i] || strcmp(w->report.results[i].pool_id, pid) != 0))
            i++;
        if (i == w->plan.n_ops)
            fail_msg("%s on %s: not an operation of the plan", op, pid);
        /* the first pending operation of that pool, exactly as the JSON names it */
        assert_string_equal(json_string_value(json_object_get(json_array_get(ops, i), "operation")),
                            op);
        json_t *planned_id = json_object_get(json_array_get(ops, i), "pool_id");
        if (json_is_string(planned_id))
            assert_string_equal(json_string_value(planned_id), pid);
        used[i] = true;
    }
    assert_int_equal(writes, w->plan.n_ops);
    for (size_t i = 0; i < w->plan.n_ops; i++)
        assert_true(used[i]);
    free(used);
    json_decref(reqs);
    json_decref(doc);
    cr_buf_dispose(&js);
}

/* "Honest plans": the write calls apply makes, as the emulator logged them, are exactly the
 * operations of the plan's JSON, one for one, in plan order within each pool. */
static void test_reconcile__apply_makes_exactly_the_calls_of_the_plan_json(void **state)
{
    struct world *w = *state;
    s_add_second(w, "doomed");
    assert_ok(s_plan(w));
    assert_ok(s_apply(w));

    /* every kind of change at once: rename, tags changed and removed, a provider and its
     * mapping and principal-tag map removed, new roles, classic flow; one pool created, one
     * pruned */
    free(w->d[0].config.name);
    w->d[0].config.name = strdup("Mobile Renamed");
    fx_set(&w->d[0].tags, "env", "staging");
    cr_strmap_remove(&w->d[0].tags, "team");
    fx_remove_provider(&w->d[0].config, FX_UP);
    cr_cognito_roles_dispose(&w->d[0].roles);
    fx_set(&w->d[0].roles.roles, "authenticated", FX_ROLE("Other"));
    for (size_t i = 0; i < w->d[0].n_principal_tags; i++)
        cr_cognito_principal_tags_dispose(&w->d[0].principal_tags[i]);
    w->d[0].n_principal_tags = 0;
    fx_ptag(&w->d[0].principal_tags, &w->d[0].n_principal_tags, "graph.facebook.com", 0, "team",
            "aud");
    w->d[0].config.allow_classic_flow = 1;
    assert_ok(cr_desired_normalise(&w->d[0]));
    s_rename(w, 1, "fresh");
    w->opts.prune = true;
    assert_ok(s_plan(w));
    assert_int_equal(w->plan.n_create, 1);
    assert_int_equal(w->plan.n_delete, 1);
    assert_in_range(w->plan.n_ops, 8, SIZE_MAX);

    s_apply_matches_plan_json(w);
    s_converged(w);
}

/* The same for a replacement: Delete of the old pool, then Create and the new pool's calls. */
static void test_reconcile__replacement_makes_exactly_the_calls_of_the_plan_json(void **state)
{
    struct world *w = *state;
    w->d[0].config.developer_provider_name = strdup("login.example.old");
    assert_ok(s_plan(w));
    assert_ok(s_apply(w));
    char *old = strdup(w->report.results[0].pool_id);
    free(w->d[0].config.developer_provider_name);
    w->d[0].config.developer_provider_name = strdup("login.example.new");
    assert_int_equal(s_plan(w), CR_EREFUSED); /* identities would be destroyed */
    w->opts.allow_replace = true;
    assert_ok(s_plan(w));
    assert_int_equal(w->plan.pools[0].action, CR_PLAN_REPLACE);
    assert_int_equal(w->plan.ops[0].kind, CR_PLAN_OP_DELETE);
    assert_int_equal(w->plan.ops[1].kind, CR_PLAN_OP_CREATE);
    s_apply_matches_plan_json(w);
    s_converged(w);
    assert_string_not_equal(w->plan.pools[0].pool_id, old); /* a new pool */
    free(old);
}

/* Creates a pool with just a name and the given ownership tags (stack NULL: untagged). */
static char *s_make_pool(struct world *w, const char *pool_name, const char *stack,
                         const char *name)
{
    struct cr_cognito_pool p = {0}, made = {0};
    p.name = strdup(pool_name);
    p.allow_classic_flow = -1;
    if (stack) {
        p.has_tags = true;
        fx_set(&p.tags, CR_TAG_STACK, stack);
        fx_set(&p.tags, CR_TAG_NAME, name);
    }
    assert_ok(cr_cognito_create_pool(w->client, &made, &p));
    char *id = strdup(made.id);
    cr_cognito_pool_dispose(&p);
    cr_cognito_pool_dispose(&made);
    return id;
}

/* The reader matches described pools to manifests by metadata.id or by this stack's tags only:
 * another stack's pool of the same name gets no detail read and is not planned; reads per pool
 * are one Describe, one GetIdentityPoolRoles, one map per declared-and-configured provider. */
static void test_reconcile__reader_matches_by_id_or_own_stack_only(void **state)
{
    struct world *w = *state;
    char *theirs = s_make_pool(w, "Their Mobile", "other", "mobile");
    char *ours = s_make_pool(w, "Our Mobile", "default", "mobile");
    char *console = s_make_pool(w, "Console Pool", NULL, NULL);
    s_add_second(w, "adopted");
    w->d[1].adopt_id = strdup(console);
    long describes = cr_emu_proc_count(&s_emu, "DescribeIdentityPool");
    long roles = cr_emu_proc_count(&s_emu, "GetIdentityPoolRoles");
    long maps = cr_emu_proc_count(&s_emu, "GetPrincipalTagAttributeMap");
    assert_ok(s_plan(w));
    /* three pools listed and described (the adopted one once), details for ours and adopted */
    assert_int_equal(cr_emu_proc_count(&s_emu, "DescribeIdentityPool") - describes, 3);
    assert_int_equal(cr_emu_proc_count(&s_emu, "GetIdentityPoolRoles") - roles, 2);
    /* the pools have no providers configured yet: no map can be set, none is read */
    assert_int_equal(cr_emu_proc_count(&s_emu, "GetPrincipalTagAttributeMap") - maps, 0);
    assert_string_equal(w->plan.pools[0].pool_id, ours);
    assert_string_equal(w->plan.pools[1].pool_id, console);
    assert_true(w->plan.pools[1].adopted);
    for (size_t i = 0; i < w->plan.n_ops; i++)
        assert_string_not_equal(w->plan.pools[w->plan.ops[i].pool].pool_id, theirs);
    assert_ok(s_apply(w));

    /* now the three declared providers are configured on both: three maps each */
    maps = cr_emu_proc_count(&s_emu, "GetPrincipalTagAttributeMap");
    roles = cr_emu_proc_count(&s_emu, "GetIdentityPoolRoles");
    s_converged(w);
    assert_int_equal(cr_emu_proc_count(&s_emu, "GetPrincipalTagAttributeMap") - maps, 2 * 3);
    assert_int_equal(cr_emu_proc_count(&s_emu, "GetIdentityPoolRoles") - roles, 2);
    struct cr_cognito_pool got = {0};
    assert_ok(cr_cognito_describe_pool(w->client, &got, theirs));
    assert_string_equal(got.name, "Their Mobile");
    assert_string_equal(cr_strmap_get(&got.tags, CR_TAG_STACK), "other");
    cr_cognito_pool_dispose(&got);
    free(theirs);
    free(ours);
    free(console);
}

/* design §5: Delete (prune) comes last. A run whose create fails deletes nothing; the re-run
 * creates, then prunes. */
static void test_reconcile__prune_deletes_only_after_every_other_call_succeeded(void **state)
{
    struct world *w = *state;
    s_add_second(w, "doomed");
    assert_ok(s_plan(w));
    assert_ok(s_apply(w));
    /* "doomed" leaves the manifests, "fresh" arrives; its create fails once */
    s_rename(w, 1, "fresh");
    w->opts.prune = true;
    assert_ok(s_plan(w));
    assert_int_equal(w->plan.n_create, 1);
    assert_int_equal(w->plan.n_delete, 1);
    assert_ok(cr_emu_proc_faults(&s_emu, "[{\"operation\":\"CreateIdentityPool\",\"count\":1,"
                                         "\"status\":400,\"type\":\"LimitExceededException\","
                                         "\"message\":\"injected\"}]"));
    long deletes = cr_emu_proc_count(&s_emu, "DeleteIdentityPool");
    assert_int_equal(s_apply(w), CR_ESERVICE);
    assert_int_equal(cr_emu_proc_count(&s_emu, "DeleteIdentityPool"), deletes);
    size_t del = w->plan.pools[w->plan.ops[w->plan.n_ops - 1].pool].first_op;
    assert_int_equal(w->plan.ops[del].kind, CR_PLAN_OP_DELETE);
    assert_int_equal(w->report.results[del].status, CR_APPLY_NOT_ATTEMPTED);

    /* the re-run: the delete is the last call made */
    assert_ok(s_plan(w));
    long mark = s_last_seq();
    assert_ok(s_apply(w));
    json_t *reqs = NULL;
    assert_ok(cr_emu_proc_requests(&s_emu, mark, &reqs));
    const char *last = NULL;
    size_t idx;
    json_t *e;
    json_array_foreach(reqs, idx, e)
    {
        const char *op = json_string_value(json_object_get(e, "operation"));
        if (s_is_write(op))
            last = op;
    }
    assert_non_null(last);
    assert_string_equal(last, "DeleteIdentityPool");
    json_decref(reqs);
    s_converged(w);
}

#define T(name) cmocka_unit_test_setup_teardown(name, s_setup, s_teardown)

int main(void)
{
    const struct CMUnitTest tests[] = {
        T(test_reconcile__create_then_nothing_left_to_do),
        T(test_reconcile__updates_happen_in_place_and_converge),
        T(test_reconcile__a_pool_with_50_tags_takes_a_new_tag),
        T(test_reconcile__failed_call_stops_the_run_and_a_rerun_converges),
        T(test_reconcile__ambiguous_create_never_makes_a_twin),
        T(test_reconcile__dropped_create_never_makes_a_twin),
        T(test_reconcile__timed_out_create_never_makes_a_twin),
        T(test_reconcile__saved_plan_is_refused_after_a_hand_change),
        T(test_reconcile__prune_deletes_owned_pools_without_manifests),
        T(test_reconcile__reader_makes_only_the_calls_the_plan_needs),
        T(test_reconcile__exported_manifests_plan_no_changes),
        T(test_reconcile__discovery_reads_every_page_once),
        T(test_reconcile__export_of_a_stack_reads_only_its_pools),
        T(test_reconcile__apply_makes_exactly_the_calls_of_the_plan_json),
        T(test_reconcile__replacement_makes_exactly_the_calls_of_the_plan_json),
        T(test_reconcile__reader_matches_by_id_or_own_stack_only),
        T(test_reconcile__prune_deletes_only_after_every_other_call_succeeded),
    };
    return cmocka_run_group_tests(tests, s_group_setup, s_group_teardown);
}
