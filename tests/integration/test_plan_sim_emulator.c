/* SPDX-License-Identifier: Apache-2.0 */
/*
 * The plan simulator against the real emulator (label integration): for a sample of the
 * property test's seeded cases, the case's live pools are made in cognito-identity-local
 * through the API, read back with the real reader (cr_live_read) and planned; the plan must be
 * the one planned from the simulator's read (same calls, same fingerprints), cr_apply() must
 * succeed against the emulator, and the emulator's end state must equal the simulator's
 * (cr_sim_canonical), so the model the property test trusts is the service the emulator is.
 *
 * CR_PLAN_SIM_SEED / CR_PLAN_SIM_EMU_CASES choose other cases; failures print the seed.
 */
#include "tests/unit/test_plan_fixture.h"

#include <inttypes.h>

#include "aws/client.h"
#include "reconcile/apply.h"
#include "reconcile/render.h"
#include "tests/support/emulator_proc.h"
#include "tests/support/plan_sim.h"
#include "tests/unit/test_aws_env.h"

#define S_KEY    "AKIDPLANSIM000000001"
#define S_SECRET "planSimSecretKey0000000000000000000000"

static struct cr_emu_proc s_emu;

/* Credentials for the emulator; HOME and the AWS files point nowhere (~/.aws is never read). */
static struct fake_env s_vars;
static struct cr_aws_env s_env;

static int s_group_setup(void **state)
{
    (void)state;
    s_set(&s_vars, "AWS_ACCESS_KEY_ID", S_KEY);
    s_set(&s_vars, "AWS_SECRET_ACCESS_KEY", S_SECRET);
    s_set(&s_vars, "HOME", "/nonexistent-cr-integration");
    s_set(&s_vars, "AWS_CONFIG_FILE", "/nonexistent-cr-integration/config");
    s_set(&s_vars, "AWS_SHARED_CREDENTIALS_FILE", "/nonexistent-cr-integration/credentials");
    s_env = (struct cr_aws_env){s_getenv, &s_vars, NULL, NULL};
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

/* One client per region the generator uses (the region is the SigV4 scope's). */
struct s_clients {
    struct cr_aws_client *items[2];
    size_t n;
};

static void s_clients_open(struct s_clients *c, const struct cr_sim *sim)
{
    memset(c, 0, sizeof(*c));
    for (size_t i = 0; i < sim->accounts.len && i < 2; i++) {
        struct cr_aws_options o = {0};
        o.region = sim->accounts.items[i].key;
        o.endpoint_url = s_emu.url;
        o.env = &s_env;
        o.retry_base_ms = 5;
        o.rate_limits = "*=unlimited"; /* the emulator has no quota to respect */
        assert_ok(cr_aws_client_new(&c->items[c->n++], &o));
    }
}

static void s_clients_close(struct s_clients *c)
{
    for (size_t i = 0; i < c->n; i++)
        cr_aws_client_free(c->items[i]);
}

static struct cr_aws_client *s_client(const struct s_clients *c, const char *region)
{
    for (size_t i = 0; i < c->n; i++)
        if (strcmp(cr_aws_client_region(c->items[i]), region) == 0)
            return c->items[i];
    fail_msg("no client for %s", region);
    return NULL;
}

/*
 * Makes the case's pools in the emulator (Create with the configuration and tags, then roles
 * and the stored principal-tag maps) and renames them in the case to the ids the emulator
 * gave, metadata.id included.
 */
static void s_seed_emulator(struct cr_sim_case *c, const struct s_clients *cl,
                            struct cr_strlist *ids)
{
    for (size_t i = 0; i < c->live.len; i++) {
        struct cr_sim_pool *p = c->live.pools[i];
        struct cr_aws_client *client = s_client(cl, p->region);
        struct cr_cognito_pool made = {0};
        assert_ok(cr_cognito_create_pool(client, &made, &p->config));
        for (size_t k = 0; k < c->n_desired; k++)
            if (c->desired[k].adopt_id && strcmp(c->desired[k].adopt_id, p->config.id) == 0) {
                free(c->desired[k].adopt_id);
                c->desired[k].adopt_id = strdup(made.id);
            }
        free(p->config.id);
        p->config.id = made.id;
        made.id = NULL;
        cr_cognito_pool_dispose(&made);
        assert_ok(cr_strlist_push(ids, p->config.id));
        if (p->roles.roles.len || p->roles.n_mappings) {
            p->roles.pool_id = p->config.id;
            assert_ok(cr_cognito_set_roles(client, &p->roles));
            p->roles.pool_id = NULL;
        }
        for (size_t k = 0; k < p->n_ptags; k++) {
            p->ptags[k].pool_id = p->config.id;
            assert_ok(cr_cognito_set_principal_tags(client, &p->ptags[k]));
            p->ptags[k].pool_id = NULL;
        }
    }
}

/* Reads every pool of the emulator as a simulator state (each configured provider's map as
 * GetPrincipalTagAttributeMap answers it). */
static void s_read_emulator(struct cr_sim *out, const struct cr_sim *regions,
                            const struct s_clients *cl)
{
    cr_sim_init(out);
    for (size_t r = 0; r < regions->accounts.len; r++) {
        const char *region = regions->accounts.items[r].key;
        struct cr_aws_client *client = s_client(cl, region);
        struct cr_cognito_pool_page page = {0};
        assert_ok(cr_sim_add_region(out, region, regions->accounts.items[r].value));
        assert_ok(cr_cognito_list_pools(client, &page));
        for (size_t i = 0; i < page.len; i++) {
            struct cr_cognito_pool config = {0};
            struct cr_cognito_roles roles = {0};
            struct cr_strlist names = {0};
            struct cr_desired_pool tmp;
            assert_ok(cr_cognito_describe_pool(client, &config, page.items[i].id));
            assert_ok(cr_cognito_get_roles(client, &roles, config.id));
            cr_desired_pool_init(&tmp);
            tmp.config = config; /* borrowed */
            assert_ok(cr_desired_principal_tag_providers(&names, &tmp));
            struct cr_cognito_principal_tags *maps = calloc(names.len + 1, sizeof(*maps));
            assert_non_null(maps);
            for (size_t k = 0; k < names.len; k++)
                assert_ok(
                    cr_cognito_get_principal_tags(client, &maps[k], config.id, names.items[k]));
            assert_ok(cr_sim_add(NULL, out, region, &config, &roles, maps, names.len));
            for (size_t k = 0; k < names.len; k++)
                cr_cognito_principal_tags_dispose(&maps[k]);
            free(maps);
            cr_strlist_dispose(&names);
            cr_cognito_roles_dispose(&roles);
            cr_cognito_pool_dispose(&config);
        }
        cr_cognito_pool_page_dispose(&page);
    }
}

/* The live state as cognito-reconcile reads it from the emulator (discovery in every region). */
static int s_read_live(struct cr_live_state *live, const struct cr_sim_case *c,
                       const struct s_clients *cl)
{
    struct cr_plan_wants wants;
    struct cr_live_read_options ro = {.stack = "default", .discover = true};
    int rc = cr_plan_wants_from_desired(&wants, c->desired, c->n_desired);
    for (size_t i = 0; rc == 0 && i < cl->n; i++)
        rc = cr_live_read(live, cl->items[i], wants.items, wants.len, &ro);
    cr_plan_wants_dispose(&wants);
    return rc;
}

static void s_expect_same_text(const struct cr_sim_case *c, const char *what, const char *want,
                               const char *got)
{
    if (strcmp(want, got) == 0)
        return;
    fprintf(stderr,
            "case seed %#" PRIx64 ": %s differ (rerun it alone: CR_PLAN_SIM_SEED=%#" PRIx64
            " CR_PLAN_SIM_EMU_CASES=1)\n--- simulator:\n%s\n--- emulator:\n%s\n",
            c->seed, what, c->seed, want, got);
    fail();
}

static void s_run_case(uint64_t seed, size_t *applied)
{
    struct cr_sim_case c;
    struct s_clients cl;
    struct cr_strlist ids = {0};
    struct cr_live_state sim_live, emu_live;
    struct cr_plan sim_plan, emu_plan;
    struct cr_sim sim_after, emu_after;
    struct cr_apply_report report = {0};
    struct cr_buf a = CR_BUF_INIT, b = CR_BUF_INIT;
    assert_ok(cr_emu_proc_reset(&s_emu));
    assert_ok(cr_sim_generate(&c, seed));
    s_clients_open(&cl, &c.live);
    s_seed_emulator(&c, &cl, &ids);
    cr_live_state_init(&sim_live);
    cr_live_state_init(&emu_live);
    cr_plan_init(&sim_plan);
    cr_plan_init(&emu_plan);
    cr_sim_init(&sim_after);
    cr_sim_init(&emu_after);

    /* the simulator reads what the real reader reads, so both plan the same calls */
    assert_ok(cr_sim_read(&sim_live, &c.live, c.desired, c.n_desired, "default"));
    assert_ok(s_read_live(&emu_live, &c, &cl));
    int rc = cr_plan_build(&sim_plan, c.desired, c.n_desired, &sim_live, &c.opts);
    assert_int_equal(cr_plan_build(&emu_plan, c.desired, c.n_desired, &emu_live, &c.opts), rc);
    assert_int_equal(rc, c.expect);
    if (rc == 0) {
        assert_ok(cr_render_json(&a, &sim_plan));
        assert_ok(cr_render_json(&b, &emu_plan));
        s_expect_same_text(&c, "the plans", a.ptr, b.ptr);

        /* the same plan applied to both ends in the same state */
        assert_ok(cr_sim_copy(&sim_after, &c.live));
        assert_ok(cr_sim_apply(&sim_after, &sim_plan));
        rc = cr_apply(&report, &emu_plan, cl.items, cl.n, NULL);
        if (rc != 0)
            fail_msg("case seed %#" PRIx64 ": apply failed on the emulator: %s", seed,
                     cr_error_last());
        s_read_emulator(&emu_after, &c.live, &cl);
        cr_buf_clear(&a);
        cr_buf_clear(&b);
        assert_ok(cr_sim_canonical(&a, &sim_after, &ids));
        assert_ok(cr_sim_canonical(&b, &emu_after, &ids));
        s_expect_same_text(&c, "the end states", a.ptr, b.ptr);
        (*applied)++;
    }
    cr_buf_dispose(&a);
    cr_buf_dispose(&b);
    cr_apply_report_dispose(&report);
    cr_sim_dispose(&sim_after);
    cr_sim_dispose(&emu_after);
    cr_plan_dispose(&sim_plan);
    cr_plan_dispose(&emu_plan);
    cr_live_state_dispose(&sim_live);
    cr_live_state_dispose(&emu_live);
    cr_strlist_dispose(&ids);
    s_clients_close(&cl);
    cr_sim_case_dispose(&c);
}

static void test_plan_sim_emulator__simulator_and_emulator_agree(void **state)
{
    (void)state;
    uint64_t base = cr_sim_env_u64("CR_PLAN_SIM_SEED", CR_SIM_SEED);
    uint64_t n = cr_sim_env_u64("CR_PLAN_SIM_EMU_CASES", 150);
    size_t applied = 0;
    for (uint64_t i = 0; i < n; i++)
        s_run_case(base + i, &applied);
    print_message("%zu of %" PRIu64 " cases applied to both and compared\n", applied, n);
    assert_true(n < 10 || applied > n / 2);
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_plan_sim_emulator__simulator_and_emulator_agree),
    };
    return cmocka_run_group_tests(tests, s_group_setup, s_group_teardown);
}
