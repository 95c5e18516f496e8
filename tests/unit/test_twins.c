/* SPDX-License-Identifier: Apache-2.0 */
/*
 * The twin rule (reconcile/twins.h) without a server: which pool keeps a name, which losers may
 * be deleted, the remediation message; and, seeded, that the rule never deletes the pool with
 * the smallest id whatever subset of the twins a run sees and in whatever order.
 */
#include <stdlib.h>
#include <string.h>

#include "reconcile/twins.h"
#include "tests/unit/test_plan_fixture.h"

/* A live pool of stack "default" named "web" in us-east-1 with the given id. */
static struct cr_live_pool *s_pool(struct cr_live_state *st, const char *id, bool created,
                                   enum cr_live_identities identities)
{
    struct cr_cognito_pool cfg = {0};
    struct cr_live_pool *l = NULL;
    cfg.id = (char *)id;
    cfg.name = "Web";
    cfg.allow_classic_flow = -1;
    assert_ok(cr_strmap_set(&cfg.tags, CR_TAG_STACK, "default"));
    assert_ok(cr_strmap_set(&cfg.tags, CR_TAG_NAME, "web"));
    if (created)
        assert_ok(cr_strmap_set(&cfg.tags, CR_TAG_CREATED_BY, CR_TAG_CREATED_BY_VALUE));
    assert_ok(cr_strmap_set(&cfg.tags, "team", "mobile"));
    cfg.has_tags = true;
    assert_ok(cr_live_state_add(&l, st, "us-east-1", &cfg, NULL, NULL, 0));
    cr_strmap_dispose(&cfg.tags);
    l->identities = identities;
    return l;
}

static void test_twins__the_smallest_id_or_metadata_id_keeps_the_name(void **state)
{
    (void)state;
    struct cr_live_state st;
    cr_live_state_init(&st);
    const struct cr_live_pool *p[3] = {
        s_pool(&st, "us-east-1:c0000000-0000-0000-0000-000000000000", true, 0),
        s_pool(&st, "us-east-1:0a000000-0000-0000-0000-000000000000", true, 0),
        s_pool(&st, "us-east-1:b0000000-0000-0000-0000-000000000000", true, 0)};
    assert_int_equal(cr_twins_keeper(p, 3, NULL), 1);
    assert_int_equal(cr_twins_keeper(p, 3, p[2]->config.id), 2);
    assert_int_equal(cr_twins_keeper(p, 3, "us-east-1:not-one-of-them"), 1);
    assert_int_equal(cr_twins_keeper(p, 1, NULL), 0);
    cr_live_state_dispose(&st);
}

static void test_twins__only_empty_pools_cognito_reconcile_created_may_go(void **state)
{
    (void)state;
    struct cr_live_state st;
    cr_live_state_init(&st);
    const struct cr_live_pool *made = s_pool(&st, "us-east-1:1", true, CR_LIVE_IDENTITIES_NONE);
    const struct cr_live_pool *used = s_pool(&st, "us-east-1:2", true, CR_LIVE_IDENTITIES_SOME);
    const struct cr_live_pool *unread = s_pool(&st, "us-east-1:3", true, 0);
    const struct cr_live_pool *adopted = s_pool(&st, "us-east-1:4", false, CR_LIVE_IDENTITIES_NONE);
    assert_null(cr_twins_blocker(made));
    assert_string_equal(cr_twins_blocker(used), "it holds identities");
    assert_string_equal(cr_twins_blocker(unread), "whether it holds identities was not read");
    assert_string_equal(cr_twins_blocker(adopted),
                        "cognito-reconcile did not create it (no cognito-reconcile:created-by tag)");
    char *note = cr_twins_note("default", made);
    assert_string_equal(note, "twin of us-east-1:1: both carry the name tag 'web' of stack "
                              "'default'; this one was created by cognito-reconcile and holds no "
                              "identities, and us-east-1:1 keeps the name");
    free(note);
    cr_live_state_dispose(&st);
}

static void test_twins__the_message_gives_the_commands_both_ways(void **state)
{
    (void)state;
    struct cr_live_state st;
    struct cr_buf b = CR_BUF_INIT;
    cr_live_state_init(&st);
    const struct cr_live_pool *p[2] = {
        s_pool(&st, "us-east-1:bbbb", true, CR_LIVE_IDENTITIES_SOME),
        s_pool(&st, "us-east-1:aaaa", true, CR_LIVE_IDENTITIES_NONE)};
    assert_ok(cr_twins_describe(&b, "stacks/web.yaml:1:1", "default", "web", p, 2,
                                cr_twins_keeper(p, 2, NULL), "123456789012"));
    assert_string_equal(
        b.ptr,
        "stacks/web.yaml:1:1: pool 'web' (stack 'default', us-east-1): identity pools "
        "us-east-1:bbbb and us-east-1:aaaa all claim it by their cognito-reconcile:name tag: "
        "twins, left by applies that ran at the same time without a lock (docs/locking.md). The "
        "rule keeps us-east-1:aaaa (the smallest id); us-east-1:bbbb is not deleted "
        "automatically: it holds identities; resolve it by hand, then run plan again.\n"
        "  To keep us-east-1:aaaa, delete the others (their identities are lost):\n"
        "    aws cognito-identity delete-identity-pool --region us-east-1 --identity-pool-id "
        "us-east-1:bbbb\n"
        "  Or, to keep the other one, remove the ownership tags of us-east-1:aaaa (it stays, "
        "unmanaged):\n"
        "    aws cognito-identity untag-resource --region us-east-1 --resource-arn "
        "arn:aws:cognito-identity:us-east-1:123456789012:identitypool/us-east-1:aaaa --tag-keys "
        "cognito-reconcile:created-by cognito-reconcile:name cognito-reconcile:stack");
    /* without the account id, the command asks STS for it */
    cr_buf_clear(&b);
    assert_ok(cr_twins_describe(&b, NULL, "default", "web", p, 2, 0, NULL));
    assert_non_null(strstr(b.ptr, "The rule keeps us-east-1:bbbb (named by metadata.id)"));
    assert_non_null(strstr(b.ptr, "--resource-arn \"arn:aws:cognito-identity:us-east-1:$(aws sts "
                                  "get-caller-identity --query Account --output text):identitypool/"
                                  "us-east-1:bbbb\""));
    assert_int_equal(strncmp(b.ptr, "pool 'web'", 10), 0);
    cr_buf_dispose(&b);
    cr_live_state_dispose(&st);
}

/* Seeded: n twins, each run sees a random subset in a random order; the pool with the
 * smallest id of all is never a loser in a view that contains it, and two views with the same
 * pools reach the same keeper. */
static void test_twins__property_the_smallest_id_is_never_deleted(void **state)
{
    (void)state;
    uint32_t seed = 9041u;
    for (unsigned k = 0; k < 2000; k++) {
        struct cr_live_state st;
        cr_live_state_init(&st);
        unsigned n = 2 + cr_test_random(&seed) % 6;
        const struct cr_live_pool *all[8], *view[8], *shuffled[8];
        const struct cr_live_pool *min = NULL;
        for (unsigned i = 0; i < n; i++) {
            char id[64];
            snprintf(id, sizeof(id), "us-east-1:%08x-0000-4000-8000-%012u", cr_test_random(&seed),
                     i);
            all[i] = s_pool(&st, id, true, CR_LIVE_IDENTITIES_NONE);
            if (!min || strcmp(all[i]->config.id, min->config.id) < 0)
                min = all[i];
        }
        size_t m = 0;
        for (unsigned i = 0; i < n; i++)
            if (all[i] == min || cr_test_random(&seed) % 2)
                view[m++] = all[i];
        memcpy(shuffled, view, m * sizeof(*view));
        for (size_t i = m; i > 1; i--) {
            size_t j = cr_test_random(&seed) % i;
            const struct cr_live_pool *t = shuffled[i - 1];
            shuffled[i - 1] = shuffled[j];
            shuffled[j] = t;
        }
        if (view[cr_twins_keeper(view, m, NULL)] != min ||
            shuffled[cr_twins_keeper(shuffled, m, NULL)] != min)
            fail_msg("case %u: the smallest id %s is not kept", k, min->config.id);
        cr_live_state_dispose(&st);
    }
}

/* ---- the plan proposes the rule's resolution ---- */

#define FX_TWIN_A "us-east-1:0aaaaaaa-0000-4000-8000-000000000000"
#define FX_TWIN_B "us-east-1:bbbbbbbb-0000-4000-8000-000000000000"

/* Two live twins of "mobile" (both made by cognito-reconcile) and the manifest. */
static void s_twin_world(struct cr_live_state *live, struct cr_desired_pool *d,
                         enum cr_live_identities b_identities, bool b_created)
{
    const char *ids[] = {FX_TWIN_B, FX_TWIN_A}; /* listed in the order the service lists them */
    cr_live_state_init(live);
    fx_desired(d);
    for (int i = 0; i < 2; i++) {
        struct fx_live l;
        fx_live_init(&l, ids[i], "default", "mobile");
        if (i == 1 || b_created)
            fx_set(&l.config.tags, CR_TAG_CREATED_BY, CR_TAG_CREATED_BY_VALUE);
        fx_live_add(live, &l);
        fx_live_dispose(&l);
    }
    for (size_t i = 0; i < live->len; i++)
        live->pools[i]->identities = strcmp(live->pools[i]->config.id, FX_TWIN_B) == 0
                                         ? b_identities
                                         : CR_LIVE_IDENTITIES_NONE;
}

static void test_twins__a_plan_deletes_the_twin_the_rule_does_not_keep(void **state)
{
    (void)state;
    struct cr_live_state live;
    struct cr_desired_pool d;
    struct cr_plan plan;
    for (int prune = 0; prune < 2; prune++) {
        s_twin_world(&live, &d, CR_LIVE_IDENTITIES_NONE, true);
        struct cr_plan_options o = {.stack = "default", .region = FX_REGION, .prune = prune};
        assert_ok(cr_plan_build(&plan, &d, 1, &live, &o));
        assert_int_equal(plan.n_pools, 2); /* the keeper (no change) and the twin, once */
        assert_string_equal(plan.pools[0].pool_id, FX_TWIN_A);
        assert_int_equal(plan.pools[0].action, CR_PLAN_NOOP);
        assert_string_equal(plan.pools[1].pool_id, FX_TWIN_B);
        assert_string_equal(plan.pools[1].name, "mobile");
        assert_int_equal(plan.pools[1].action, CR_PLAN_DELETE);
        assert_string_equal(plan.pools[1].note,
                            "twin of " FX_TWIN_A ": both carry the name tag 'mobile' of stack "
                            "'default'; this one was created by cognito-reconcile and holds no "
                            "identities, and " FX_TWIN_A " keeps the name");
        assert_int_equal(plan.n_ops, 1);
        assert_int_equal(fx_op(&plan, 0)->kind, CR_PLAN_OP_DELETE);
        assert_int_equal(plan.n_delete, 1);
        cr_plan_dispose(&plan);
        cr_desired_pool_dispose(&d);
        cr_live_state_dispose(&live);
    }
}

static void test_twins__a_plan_stops_on_twins_it_may_not_delete(void **state)
{
    (void)state;
    struct cr_live_state live;
    struct cr_desired_pool d;
    struct cr_plan plan;
    struct cr_plan_options o = {.stack = "default", .region = FX_REGION};
    static const struct {
        enum cr_live_identities identities;
        bool created;
        const char *why;
    } cases[] = {
        {CR_LIVE_IDENTITIES_SOME, true, FX_TWIN_B " is not deleted automatically: it holds "
                                                  "identities"},
        {CR_LIVE_IDENTITIES_NONE, false, "cognito-reconcile did not create it"},
        {CR_LIVE_IDENTITIES_UNKNOWN, true, "whether it holds identities was not read"},
    };
    for (size_t i = 0; i < sizeof(cases) / sizeof(cases[0]); i++) {
        s_twin_world(&live, &d, cases[i].identities, cases[i].created);
        assert_int_equal(cr_plan_build(&plan, &d, 1, &live, &o), CR_ECONFLICT);
        const char *msg = cr_error_last();
        if (!strstr(msg, cases[i].why) ||
            !strstr(msg, "pools/mobile.yaml:1:1: pool 'mobile' (stack 'default', us-east-1): "
                         "identity pools " FX_TWIN_A " and " FX_TWIN_B " all claim it") ||
            !strstr(msg, "aws cognito-identity delete-identity-pool --region us-east-1 "
                         "--identity-pool-id " FX_TWIN_B) ||
            !strstr(msg, "--resource-arn arn:aws:cognito-identity:us-east-1:123456789012:"
                         "identitypool/" FX_TWIN_A))
            fail_msg("case %zu: %s", i, msg);
        cr_desired_pool_dispose(&d);
        cr_live_state_dispose(&live);
    }
}

/* Every pool cognito-reconcile creates carries the mark, unless its tags leave no room. */
static void test_twins__creates_carry_the_created_by_mark_when_it_fits(void **state)
{
    (void)state;
    struct cr_live_state live;
    struct cr_desired_pool d;
    struct cr_plan plan;
    struct cr_plan_options o = {.stack = "default", .region = FX_REGION};
    cr_live_state_init(&live);
    assert_ok(cr_live_state_add_region(&live, FX_REGION, FX_ACCOUNT));
    fx_desired(&d);
    assert_ok(cr_plan_build(&plan, &d, 1, &live, &o));
    const struct cr_plan_op *op = fx_op(&plan, 0);
    assert_int_equal(op->kind, CR_PLAN_OP_CREATE);
    assert_string_equal(cr_strmap_get(&op->params_pool.tags, CR_TAG_CREATED_BY),
                        CR_TAG_CREATED_BY_VALUE);
    fx_assert_change(op, "tags[\"cognito-reconcile:created-by\"]", NULL, "\"cognito-reconcile\"");
    cr_plan_dispose(&plan);
    /* 48 user tags + stack + name = 50: no room, created without it (still valid) */
    for (int i = 0; i < 46; i++) {
        char k[8];
        snprintf(k, sizeof(k), "k%02d", i);
        fx_set(&d.tags, k, "v");
    }
    assert_int_equal(d.tags.len, 48);
    assert_ok(cr_plan_build(&plan, &d, 1, &live, &o));
    op = fx_op(&plan, 0);
    assert_null(cr_strmap_get(&op->params_pool.tags, CR_TAG_CREATED_BY));
    assert_int_equal(op->params_pool.tags.len, 50);
    cr_plan_dispose(&plan);
    cr_desired_pool_dispose(&d);
    cr_live_state_dispose(&live);
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_twins__the_smallest_id_or_metadata_id_keeps_the_name),
        cmocka_unit_test(test_twins__only_empty_pools_cognito_reconcile_created_may_go),
        cmocka_unit_test(test_twins__the_message_gives_the_commands_both_ways),
        cmocka_unit_test(test_twins__property_the_smallest_id_is_never_deleted),
        cmocka_unit_test(test_twins__a_plan_deletes_the_twin_the_rule_does_not_keep),
        cmocka_unit_test(test_twins__a_plan_stops_on_twins_it_may_not_delete),
        cmocka_unit_test(test_twins__creates_carry_the_created_by_mark_when_it_fits),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
