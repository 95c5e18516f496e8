/* SPDX-License-Identifier: Apache-2.0 */
/*
 * Apply across accounts against cognito-identity-local (label integration), two accounts (dev,
 * prod) of one region, each with its own keys:
 *   - apply's twin check after its creates (reconcile/twins.h) looks for twins per account and
 *     region, with that account's client, never across accounts. Each account creates "mobile";
 *     a run at the same time left a second "mobile" in each. The check settles each account on
 *     its own: prod's loser (made by cognito-reconcile, empty) is deleted with prod's client,
 *     dev's (made by hand) is reported once, in dev's name and with dev's ARN; the same name in
 *     the other account is never a twin; an account whose calls failed is not checked; and the
 *     plan of each account proposes only its own twin's deletion;
 *   - the write guard (the run lock's, docs/locking.md) stops every account at once: a failed
 *     call stops only its own account, but a refusal of the guard ends the run.
 */
#include "tests/unit/test_plan_fixture.h"

#include <stdio.h>

#include "aws/client.h"
#include "aws/cognito_ops.h"
#include "reconcile/apply.h"
#include "reconcile/twins.h"
#include "tests/support/emulator_proc.h"

#define DEV_KEY    "AKIDTWINSDEV00000001"
#define DEV_SECRET "twinsDevSecretKey0000000000000000000000"
#define DEV_ID     "111111111111"
#define PRD_KEY    "AKIDTWINSPROD0000001"
#define PRD_SECRET "twinsProdSecretKey000000000000000000000"
#define PRD_ID     "222222222222"

static struct cr_emu_proc s_emu;
static char *s_dir;

/* The environment of one account's client: its keys, no profile files. */
struct s_keys {
    const char *key, *secret;
};

static const char *s_getenv(void *ctx, const char *name)
{
    const struct s_keys *k = ctx;
    if (strcmp(name, "AWS_ACCESS_KEY_ID") == 0)
        return k->key;
    if (strcmp(name, "AWS_SECRET_ACCESS_KEY") == 0)
        return k->secret;
    if (strcmp(name, "AWS_REGION") == 0)
        return FX_REGION;
    if (strcmp(name, "HOME") == 0 || strcmp(name, "AWS_CONFIG_FILE") == 0 ||
        strcmp(name, "AWS_SHARED_CREDENTIALS_FILE") == 0)
        return "/nonexistent-cr-integration";
    return NULL;
}

static const struct s_keys s_dev_keys = {DEV_KEY, DEV_SECRET};
static const struct s_keys s_prd_keys = {PRD_KEY, PRD_SECRET};
static const struct cr_aws_env s_dev_env = {s_getenv, (void *)&s_dev_keys, NULL, NULL};
static const struct cr_aws_env s_prd_env = {s_getenv, (void *)&s_prd_keys, NULL, NULL};

static int s_group_setup(void **state)
{
    (void)state;
    if (cr_emu_proc_start_with_keys(&s_emu, &s_dir,
                                    DEV_KEY " " DEV_SECRET " " DEV_ID "\n" PRD_KEY " " PRD_SECRET
                                            " " PRD_ID "\n",
                                    NULL) != 0) {
        print_error("emulator: %s\n", cr_error_last());
        return -1;
    }
    return 0;
}

static int s_group_teardown(void **state)
{
    (void)state;
    cr_emu_proc_stop(&s_emu);
    cr_test_rmtree(s_dir);
    free(s_dir);
    return 0;
}

/* Two accounts of one region, "mobile" desired in each. */
struct world {
    struct cr_aws_client *clients[2]; /* dev, prod */
    const char *client_accounts[2];
    struct cr_desired_account accounts[2];
    struct cr_desired_pool d[2];
    struct cr_live_state live;
    struct cr_plan plan;
    struct cr_apply_report report;
};

static void s_account(struct cr_desired_account *a, const char *name, const char *id)
{
    memset(a, 0, sizeof(*a));
    a->name = strdup(name);
    a->account_id = strdup(id);
    a->profile = strdup(name);
    a->source = strdup("accounts.yaml:1:1");
}

static int s_setup(void **state)
{
    struct world *w = calloc(1, sizeof(*w));
    if (!w || cr_emu_proc_reset(&s_emu) != 0)
        return -1;
    const struct cr_aws_env *envs[2] = {&s_dev_env, &s_prd_env};
    static const char *const names[2] = {"dev", "prod"};
    for (int i = 0; i < 2; i++) {
        struct cr_aws_options o = {.endpoint_url = s_emu.url, .env = envs[i], .retry_base_ms = 5};
        assert_ok(cr_aws_client_new(&w->clients[i], &o));
        w->client_accounts[i] = names[i];
        s_account(&w->accounts[i], names[i], i == 0 ? DEV_ID : PRD_ID);
        fx_desired(&w->d[i]);
        w->d[i].account = strdup(names[i]);
    }
    cr_live_state_init(&w->live);
    cr_plan_init(&w->plan);
    *state = w;
    return 0;
}

static int s_teardown(void **state)
{
    struct world *w = *state;
    for (int i = 0; i < 2; i++) {
        cr_desired_pool_dispose(&w->d[i]);
        cr_desired_account_dispose(&w->accounts[i]);
        cr_aws_client_free(w->clients[i]);
    }
    cr_live_state_dispose(&w->live);
    cr_plan_dispose(&w->plan);
    cr_apply_report_dispose(&w->report);
    free(w);
    return 0;
}

static int s_read_twins(void *stack, struct cr_live_state *state, struct cr_aws_client *client)
{
    return cr_twins_read_identities(state, client, stack);
}

/* Reads both accounts at once (one source each) and plans into w->plan, as the CLI does. */
static int s_plan(struct world *w)
{
    struct cr_plan_wants wants;
    struct cr_live_source src[2] = {{.account = "dev", .client = w->clients[0]},
                                    {.account = "prod", .client = w->clients[1]}};
    /* each account's twins say whether they hold identities, read on its thread, as the CLI's
     * read does */
    struct cr_live_read_options ro = {.stack = "default",
                                      .discover = true,
                                      .after_read = s_read_twins,
                                      .after_read_ctx = "default"};
    struct cr_plan_options po = {
        .stack = "default", .region = FX_REGION, .accounts = w->accounts, .n_accounts = 2};
    cr_plan_dispose(&w->plan);
    cr_live_state_dispose(&w->live);
    cr_live_state_init(&w->live);
    assert_ok(cr_plan_wants_from_desired(&wants, w->d, 2));
    int rc = cr_live_read_all(&w->live, src, 2, wants.items, wants.len, &ro);
    cr_plan_wants_dispose(&wants);
    return rc == 0 ? cr_plan_build(&w->plan, w->d, 2, &w->live, &po) : rc;
}

/* A "mobile" of stack default made by another run (created_by) or by hand, in one account,
 * whose id sorts after keeper_id (so the rule keeps ours): pools that sort before it are made
 * and deleted again (keeper_id is in the lower half: each try has at least an even chance;
 * bounded). Returns its id (owned). */
static char *s_twin_after(struct cr_aws_client *c, const char *keeper_id, bool created_by)
{
    for (int attempt = 0; attempt < 64; attempt++) {
        struct cr_cognito_pool want = {0}, got = {0};
        want.name = "MobileApp Prod";
        want.allow_classic_flow = -1;
        want.has_tags = true;
        assert_ok(cr_strmap_set(&want.tags, CR_TAG_STACK, "default"));
        assert_ok(cr_strmap_set(&want.tags, CR_TAG_NAME, "mobile"));
        if (created_by)
            assert_ok(cr_strmap_set(&want.tags, CR_TAG_CREATED_BY, CR_TAG_CREATED_BY_VALUE));
        assert_ok(cr_cognito_create_pool(c, &got, &want));
        cr_strmap_dispose(&want.tags);
        char *id = strdup(got.id);
        cr_cognito_pool_dispose(&got);
        assert_non_null(id);
        if (strcmp(id, keeper_id) > 0)
            return id;
        assert_ok(cr_cognito_delete_pool(c, id));
        free(id);
    }
    fail_msg("64 pools in a row sorted before %s", keeper_id);
    return NULL;
}

/* The ids of the pools of one account's client (sorted by the service: as listed). */
static size_t s_count(struct cr_aws_client *c, const char *id)
{
    struct cr_cognito_pool_page page = {0};
    size_t n = 0;
    assert_ok(cr_cognito_list_pools(c, &page));
    for (size_t i = 0; i < page.len; i++)
        n += id == NULL || strcmp(page.items[i].id, id) == 0;
    cr_cognito_pool_page_dispose(&page);
    return n;
}

/* The id the plan's create of account returned. */
static const char *s_created(const struct world *w, const char *account)
{
    for (size_t i = 0; i < w->plan.n_ops; i++) {
        const struct cr_plan_pool *p = &w->plan.pools[w->plan.ops[i].pool];
        if (w->plan.ops[i].kind == CR_PLAN_OP_CREATE && strcmp(p->account, account) == 0)
            return w->report.results[i].pool_id;
    }
    fail_msg("no create in account %s", account);
    return NULL;
}

static void test_reconcile_accounts__the_twin_check_keeps_to_each_account(void **state)
{
    struct world *w = *state;
    struct cr_apply_options ao = {.client_accounts = w->client_accounts};
    char *dev_ours = NULL, *prd_ours = NULL;
    /* ids are random: ours are made again until both sort in the lower half, so that a twin
     * made after them sorts after them within a few tries (s_twin_after) */
    for (int attempt = 0; attempt < 64 && !dev_ours; attempt++) {
        assert_ok(s_plan(w));
        assert_int_equal(w->plan.n_create, 2);
        cr_apply_report_dispose(&w->report);
        assert_ok(cr_apply(&w->report, &w->plan, w->clients, 2, &ao));
        const char *dev = s_created(w, "dev"), *prd = s_created(w, "prod");
        if (strcmp(dev, FX_REGION ":8") < 0 && strcmp(prd, FX_REGION ":8") < 0) {
            dev_ours = strdup(dev);
            prd_ours = strdup(prd);
        } else {
            assert_ok(cr_cognito_delete_pool(w->clients[0], dev));
            assert_ok(cr_cognito_delete_pool(w->clients[1], prd));
        }
    }
    assert_non_null(dev_ours);
    assert_non_null(prd_ours);
    /* the same name in both accounts, one pool each: no twins anywhere */
    struct cr_twins_report twins = {0};
    struct cr_twins_check_options o = {
        .before = &w->live, .applied = &w->report, .client_accounts = w->client_accounts};
    assert_ok(cr_twins_check_after_apply(&twins, &w->plan, w->clients, 2, &o));
    assert_int_equal(twins.len, 0);
    cr_twins_report_dispose(&twins);

    /* a run at the same time left a twin in each account: in dev made by hand, in prod by
     * cognito-reconcile (and that run ended before it saw ours) */
    char *dev_twin = s_twin_after(w->clients[0], dev_ours, false);
    char *prd_twin = s_twin_after(w->clients[1], prd_ours, true);
    o.wait_ms = 50;
    long deletes = cr_emu_proc_count(&s_emu, "DeleteIdentityPool");
    assert_int_equal(cr_twins_check_after_apply(&twins, &w->plan, w->clients, 2, &o), CR_ECONFLICT);
    /* one finding per account, each in its own account */
    assert_int_equal(twins.len, 2);
    assert_int_equal(twins.n_left, 1);
    assert_int_equal(twins.n_deleted, 1);
    for (size_t i = 0; i < twins.len; i++) {
        const struct cr_twin_finding *f = &twins.items[i];
        bool dev = strcmp(f->account, "dev") == 0;
        assert_true(dev || strcmp(f->account, "prod") == 0);
        assert_string_equal(f->keeper_id, dev ? dev_ours : prd_ours);
        assert_string_equal(f->loser_id, dev ? dev_twin : prd_twin);
        assert_int_equal(f->outcome, dev ? CR_TWIN_LEFT : CR_TWIN_DELETED);
        assert_false(f->created_here);
        if (dev) {
            const char *want_arn = "arn:aws:cognito-identity:us-east-1:" DEV_ID ":identitypool/";
            if (strncmp(f->reason, "account 'dev': pool 'mobile' (stack 'default', us-east-1)",
                        57) != 0 ||
                !strstr(f->reason, want_arn) || strstr(f->reason, PRD_ID) ||
                !strstr(f->reason, "cognito-reconcile did not create it"))
                fail_msg("dev's twin: %s", f->reason);
        }
    }
    const char *msg = cr_error_last();
    if (!strstr(msg, "1 twin pool left") || !strstr(msg, "account 'dev'") ||
        strstr(msg, "account 'prod'"))
        fail_msg("%s", msg);
    /* prod's twin was deleted with prod's client; dev's stays; ours stay in both */
    assert_int_equal(cr_emu_proc_count(&s_emu, "DeleteIdentityPool"), deletes + 1);
    assert_int_equal(s_count(w->clients[1], prd_twin), 0);
    assert_int_equal(s_count(w->clients[0], dev_twin), 1);
    assert_int_equal(s_count(w->clients[0], dev_ours), 1);
    assert_int_equal(s_count(w->clients[1], prd_ours), 1);
    assert_int_equal(s_count(w->clients[0], prd_ours), 0); /* (isolation) */
    cr_twins_report_dispose(&twins);

    /* an account whose calls failed is left to its next plan: with dev's create marked failed,
     * only prod is looked at (and has nothing left) */
    size_t dev_op = 0;
    while (strcmp(w->plan.pools[w->plan.ops[dev_op].pool].account, "dev") != 0)
        dev_op++;
    w->report.results[dev_op].status = CR_APPLY_FAILED;
    long lists = cr_emu_proc_count(&s_emu, "ListIdentityPools");
    assert_ok(cr_twins_check_after_apply(&twins, &w->plan, w->clients, 2, &o));
    assert_int_equal(twins.len, 0);
    assert_int_equal(cr_emu_proc_count(&s_emu, "ListIdentityPools"), lists + 1);
    w->report.results[dev_op].status = CR_APPLY_DONE;
    cr_twins_report_dispose(&twins);

    /* the next plan settles dev's twin in dev alone: it may not delete it (made by hand), so it
     * stops with dev's remediation; prod plans nothing */
    assert_int_equal(s_plan(w), CR_ECONFLICT);
    msg = cr_error_last();
    if (strncmp(msg, "account 'dev': ", 15) != 0 || !strstr(msg, dev_twin) ||
        !strstr(msg, ":" DEV_ID ":identitypool/") || strstr(msg, prd_ours))
        fail_msg("%s", msg);
    /* once the hand-made twin carries the mark, the plan deletes it, in dev */
    struct cr_strmap mark = {0};
    struct cr_buf arn = CR_BUF_INIT;
    assert_ok(cr_strmap_set(&mark, CR_TAG_CREATED_BY, CR_TAG_CREATED_BY_VALUE));
    assert_ok(cr_cognito_pool_arn(&arn, FX_REGION, DEV_ID, dev_twin));
    assert_ok(cr_cognito_tag(w->clients[0], arn.ptr, &mark));
    cr_strmap_dispose(&mark);
    cr_buf_dispose(&arn);
    assert_ok(s_plan(w));
    assert_int_equal(w->plan.n_ops, 1);
    assert_int_equal(w->plan.ops[0].kind, CR_PLAN_OP_DELETE);
    const struct cr_plan_pool *gone = &w->plan.pools[w->plan.ops[0].pool];
    assert_string_equal(gone->account, "dev");
    assert_string_equal(gone->pool_id, dev_twin);
    free(dev_ours);
    free(prd_ours);
    free(dev_twin);
    free(prd_twin);
}

/* A guard that lets `allowed` rounds go, then refuses every one (as a lost lease would). */
struct s_guard {
    int asked, allowed;
};

static int s_guard(void *ctx)
{
    struct s_guard *g = ctx;
    if (g->asked++ < g->allowed)
        return 0;
    cr_error_set("the lock's lease was lost: stopped before the next write call");
    return CR_EREFUSED;
}

static void test_reconcile_accounts__a_refused_guard_stops_every_account(void **state)
{
    struct world *w = *state;
    assert_ok(s_plan(w));
    assert_int_equal(w->plan.n_create, 2);
    size_t per_account = w->plan.n_ops / 2;
    assert_true(per_account >= 2);
    /* two calls are let through, then the guard refuses */
    struct s_guard g = {.allowed = 2};
    struct cr_apply_options ao = {
        .client_accounts = w->client_accounts, .guard = s_guard, .guard_ctx = &g};
    long creates = cr_emu_proc_count(&s_emu, "CreateIdentityPool");
    long all = cr_emu_proc_count(&s_emu, NULL);
    assert_int_equal(cr_apply(&w->report, &w->plan, w->clients, 2, &ao), CR_EREFUSED);
    assert_string_equal(cr_error_last(),
                        "the lock's lease was lost: stopped before the next write call");
    assert_int_equal(g.asked, 3); /* never asked again once it refused */
    assert_int_equal(w->report.n_done, 2);
    assert_int_equal(w->report.n_failed, 0);
    assert_int_equal(w->report.n_not_attempted, w->plan.n_ops - 2);
    /* the guard is asked per call as it goes out, so which two went depends on the accounts'
     * timing (both creates, or one create and its pool's next call); a pool's order holds:
     * a call done means the calls of its pool before it were done */
    long creates_done = 0;
    for (size_t i = 0; i < w->plan.n_ops; i++) {
        if (w->report.results[i].status != CR_APPLY_DONE)
            continue;
        creates_done += w->plan.ops[i].kind == CR_PLAN_OP_CREATE;
        for (size_t j = 0; j < i; j++)
            if (w->plan.ops[j].pool == w->plan.ops[i].pool)
                assert_int_equal(w->report.results[j].status, CR_APPLY_DONE);
    }
    assert_true(creates_done >= 1); /* the first call of either account is its create */
    assert_int_equal(cr_emu_proc_count(&s_emu, "CreateIdentityPool"), creates + creates_done);
    assert_int_equal(cr_emu_proc_count(&s_emu, NULL), all + 2);
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test_setup_teardown(
            test_reconcile_accounts__the_twin_check_keeps_to_each_account, s_setup, s_teardown),
        cmocka_unit_test_setup_teardown(
            test_reconcile_accounts__a_refused_guard_stops_every_account, s_setup, s_teardown),
    };
    return cmocka_run_group_tests(tests, s_group_setup, s_group_teardown);
}
