/* SPDX-License-Identifier: Apache-2.0 */
/*
 * Every plan is valid call by call. The plan simulator (tests/support/plan_sim.h) is tested
 * first on its own (it must reject what the service rejects), then used as the oracle of a
 * seeded property test: thousands of random (live, desired) cases within the API's limits,
 * each planned, applied call by call to the model with every intermediate state checked, the
 * end state compared with the manifests, and planned again (no changes left); for one case in
 * four, its plan saved, loaded and computed again from what the file records gives the same
 * calls and digest.
 *
 * CR_PLAN_SIM_SEED=0x... CR_PLAN_SIM_CASES=N run other cases; a failure prints the seed of the
 * failing case (rerun it alone with CR_PLAN_SIM_SEED=<seed> CR_PLAN_SIM_CASES=1).
 */
#include "tests/unit/test_plan_fixture.h"

#include <inttypes.h>

#include "reconcile/render.h"
#include "schema/constraints.h"
#include "tests/support/plan_sim.h"

#define S_ARN_PREFIX "arn:aws:cognito-identity:us-east-1:" FX_ACCOUNT ":identitypool/"

/* A simulator holding the fixture's live pool (every section as fx_live_init has it). */
static void s_world(struct cr_sim *sim, struct fx_live *l)
{
    cr_sim_init(sim);
    fx_live_init(l, FX_ID, "default", "mobile");
    assert_ok(cr_sim_add_region(sim, FX_REGION, FX_ACCOUNT));
    assert_ok(cr_sim_add(NULL, sim, FX_REGION, &l->config, &l->roles, l->ptags, l->n_ptags));
}

static int s_call(struct cr_sim *sim, enum cr_cognito_op op, const char *body)
{
    return cr_sim_call(sim, NULL, op, FX_REGION, body);
}

static void s_expect_rejected(struct cr_sim *sim, enum cr_cognito_op op, const char *body,
                              const char *why)
{
    assert_int_equal(s_call(sim, op, body), CR_EINVALID);
    if (!strstr(cr_error_last(), why)) {
        print_error("rejection '%s' lacks '%s'\n", cr_error_last(), why);
        fail();
    }
}

/* The tags of the simulated pool with n user tags k00..k(n-1) and the two ownership tags. */
static void s_fill_tags(struct cr_sim *sim, size_t n)
{
    char body[8192];
    int at =
        snprintf(body, sizeof(body), "{\"ResourceArn\":\"%s%s\",\"Tags\":{", S_ARN_PREFIX, FX_ID);
    for (size_t i = 0; i < n; i++)
        at += snprintf(body + at, sizeof(body) - (size_t)at, "%s\"k%02zu\":\"v\"", i ? "," : "", i);
    snprintf(body + at, sizeof(body) - (size_t)at, "}}");
    assert_ok(s_call(sim, CR_OP_TAG_RESOURCE, body));
}

static void test_plan_sim__tag_limit_holds_after_every_call(void **state)
{
    (void)state;
    struct cr_sim sim;
    struct fx_live l;
    s_world(&sim, &l);
    /* the fixture pool has team, env and the two ownership tags: 46 more make 50 */
    s_fill_tags(&sim, 46);
    assert_int_equal(cr_sim_find(&sim, FX_ID)->config.tags.len, 50);
    s_expect_rejected(&sim, CR_OP_TAG_RESOURCE,
                      "{\"ResourceArn\":\"" S_ARN_PREFIX FX_ID "\",\"Tags\":{\"b\":\"1\"}}",
                      "at most 50 tags");
    /* replacing a value is no new tag; untagging first makes room */
    assert_ok(s_call(&sim, CR_OP_TAG_RESOURCE,
                     "{\"ResourceArn\":\"" S_ARN_PREFIX FX_ID "\",\"Tags\":{\"k00\":\"w\"}}"));
    assert_ok(s_call(&sim, CR_OP_UNTAG_RESOURCE,
                     "{\"ResourceArn\":\"" S_ARN_PREFIX FX_ID "\",\"TagKeys\":[\"k01\"]}"));
    assert_ok(s_call(&sim, CR_OP_TAG_RESOURCE,
                     "{\"ResourceArn\":\"" S_ARN_PREFIX FX_ID "\",\"Tags\":{\"b\":\"1\"}}"));
    assert_ok(s_call(&sim, CR_OP_UNTAG_RESOURCE,
                     "{\"ResourceArn\":\"" S_ARN_PREFIX FX_ID "\",\"TagKeys\":[\"k02\"]}"));
    s_expect_rejected(&sim, CR_OP_TAG_RESOURCE,
                      "{\"ResourceArn\":\"" S_ARN_PREFIX FX_ID "\",\"Tags\":{\"aws:x\":\"1\"}}",
                      "reserved prefix");
    s_expect_rejected(&sim, CR_OP_TAG_RESOURCE,
                      "{\"ResourceArn\":\"" S_ARN_PREFIX "us-east-1:nope\",\"Tags\":{}}",
                      "ResourceNotFoundException");
    fx_live_dispose(&l);
    cr_sim_dispose(&sim);
}

static void test_plan_sim__update_that_strands_a_mapping_is_caught(void **state)
{
    (void)state;
    struct cr_sim sim;
    struct fx_live l;
    s_world(&sim, &l);
    /* The fixture maps the user pool; an Update without it leaves the mapping stranded. */
    s_expect_rejected(&sim, CR_OP_UPDATE_IDENTITY_POOL,
                      "{\"IdentityPoolId\":\"" FX_ID "\",\"IdentityPoolName\":\"x\","
                      "\"AllowUnauthenticatedIdentities\":false}",
                      "left with a role mapping");
    /* dropping the mapping first makes the same Update valid */
    assert_ok(s_call(&sim, CR_OP_SET_IDENTITY_POOL_ROLES,
                     "{\"IdentityPoolId\":\"" FX_ID "\",\"Roles\":{},\"RoleMappings\":{}}"));
    assert_ok(s_call(&sim, CR_OP_UPDATE_IDENTITY_POOL,
                     "{\"IdentityPoolId\":\"" FX_ID "\",\"IdentityPoolName\":\"x\","
                     "\"AllowUnauthenticatedIdentities\":false}"));
    const struct cr_sim_pool *p = cr_sim_find(&sim, FX_ID);
    assert_int_equal(p->config.n_cognito_identity_providers, 0); /* replaced, not merged */
    assert_int_equal(p->config.allow_classic_flow, 0);           /* set before: back to false */
    assert_int_equal(p->config.tags.len, 4);                     /* tags kept */
    /* a mapping of a provider the pool does not have, and the other mapping rules */
    s_expect_rejected(&sim, CR_OP_SET_IDENTITY_POOL_ROLES,
                      "{\"IdentityPoolId\":\"" FX_ID "\",\"Roles\":{},\"RoleMappings\":{"
                      "\"graph.facebook.com\":{\"Type\":\"Token\",\"AmbiguousRoleResolution\":"
                      "\"Deny\"}}}",
                      "not a configured provider");
    fx_live_dispose(&l);
    cr_sim_dispose(&sim);
}

static void test_plan_sim__mapping_and_principal_tag_rules(void **state)
{
    (void)state;
    struct cr_sim sim;
    struct fx_live l;
    s_world(&sim, &l);
    s_expect_rejected(&sim, CR_OP_SET_IDENTITY_POOL_ROLES,
                      "{\"IdentityPoolId\":\"" FX_ID "\",\"Roles\":{},\"RoleMappings\":{\"" FX_UPKEY
                      "\":{\"Type\":\"Token\"}}}",
                      "AmbiguousRoleResolution must be specified");
    s_expect_rejected(&sim, CR_OP_SET_IDENTITY_POOL_ROLES,
                      "{\"IdentityPoolId\":\"" FX_ID "\",\"Roles\":{},\"RoleMappings\":{\"" FX_UPKEY
                      "\":{\"Type\":\"Rules\",\"AmbiguousRoleResolution\":\"Deny\"}}}",
                      "RulesConfiguration must be specified");
    /* a user pool maps as ProviderName:ClientId, its principal tags go by ProviderName */
    s_expect_rejected(&sim, CR_OP_SET_IDENTITY_POOL_ROLES,
                      "{\"IdentityPoolId\":\"" FX_ID "\",\"Roles\":{},\"RoleMappings\":{\"" FX_UP
                      "\":{\"Type\":\"Token\",\"AmbiguousRoleResolution\":\"Deny\"}}}",
                      "not a configured provider");
    s_expect_rejected(&sim, CR_OP_SET_PRINCIPAL_TAG_ATTRIBUTE_MAP,
                      "{\"IdentityPoolId\":\"" FX_ID "\",\"IdentityProviderName\":\"" FX_UPKEY
                      "\",\"UseDefaults\":false,\"PrincipalTags\":{}}",
                      "not a configured provider");
    assert_ok(s_call(&sim, CR_OP_SET_PRINCIPAL_TAG_ATTRIBUTE_MAP,
                     "{\"IdentityPoolId\":\"" FX_ID "\",\"IdentityProviderName\":\"" FX_UP
                     "\",\"PrincipalTags\":{\"a\":\"b\"}}"));
    const struct cr_sim_pool *p = cr_sim_find(&sim, FX_ID);
    assert_string_equal(p->ptags[1].provider, FX_UP); /* sorted: the OIDC ARN comes first */
    assert_int_equal(p->ptags[1].use_defaults, 0);    /* omitted UseDefaults: false */
    assert_string_equal(cr_strmap_get(&p->ptags[1].tags, "a"), "b");
    /* 26 rules: over the documented limit (the model allows 400) */
    struct cr_buf body = CR_BUF_INIT;
    cr_buf_puts(&body,
                "{\"IdentityPoolId\":\"" FX_ID "\",\"Roles\":{},\"RoleMappings\":{\"" FX_UPKEY
                "\":{\"Type\":\"Rules\",\"AmbiguousRoleResolution\":\"Deny\","
                "\"RulesConfiguration\":{\"Rules\":[");
    for (int i = 0; i < CR_LIMIT_RULES_PER_MAPPING + 1; i++)
        cr_buf_printf(&body,
                      "%s{\"Claim\":\"c\",\"MatchType\":\"Equals\",\"Value\":\"v\","
                      "\"RoleARN\":\"" FX_ROLE("R") "\"}",
                      i ? "," : "");
    cr_buf_puts(&body, "]}}}}");
    s_expect_rejected(&sim, CR_OP_SET_IDENTITY_POOL_ROLES, body.ptr, "at most 25 rules");
    cr_buf_dispose(&body);
    fx_live_dispose(&l);
    cr_sim_dispose(&sim);
}

static void test_plan_sim__requests_are_checked_against_the_constraint_table(void **state)
{
    (void)state;
    struct cr_sim sim;
    struct fx_live l;
    s_world(&sim, &l);
    char name[200];
    memset(name, 'n', 129);
    name[129] = '\0';
    char body[512];
    snprintf(body, sizeof(body),
             "{\"IdentityPoolName\":\"%s\",\"AllowUnauthenticatedIdentities\":false}", name);
    s_expect_rejected(&sim, CR_OP_CREATE_IDENTITY_POOL, body, "length less than or equal to 128");
    s_expect_rejected(&sim, CR_OP_CREATE_IDENTITY_POOL, "{\"IdentityPoolName\":\"x\"}",
                      "AllowUnauthenticatedIdentities");
    s_expect_rejected(&sim, CR_OP_CREATE_IDENTITY_POOL,
                      "{\"IdentityPoolName\":\"x\",\"AllowUnauthenticatedIdentities\":false,"
                      "\"Bogus\":1}",
                      "'Bogus' is not in the CreateIdentityPoolInput shape");
    s_expect_rejected(&sim, CR_OP_CREATE_IDENTITY_POOL,
                      "{\"IdentityPoolName\":\"x\",\"AllowUnauthenticatedIdentities\":\"no\"}",
                      "SerializationException");
    assert_ok(s_call(&sim, CR_OP_UPDATE_IDENTITY_POOL,
                     "{\"IdentityPoolId\":\"" FX_ID "\",\"IdentityPoolName\":\"MobileApp Prod\","
                     "\"AllowUnauthenticatedIdentities\":false,\"DeveloperProviderName\":\"a\","
                     "\"CognitoIdentityProviders\":[{\"ProviderName\":\"" FX_UP "\","
                     "\"ClientId\":\"" FX_CLIENT "\"}]}"));
    /* the developer provider name stays once set */
    s_expect_rejected(&sim, CR_OP_UPDATE_IDENTITY_POOL,
                      "{\"IdentityPoolId\":\"" FX_ID "\",\"IdentityPoolName\":\"MobileApp Prod\","
                      "\"AllowUnauthenticatedIdentities\":false,\"DeveloperProviderName\":\"b\","
                      "\"CognitoIdentityProviders\":[{\"ProviderName\":\"" FX_UP "\","
                      "\"ClientId\":\"" FX_CLIENT "\"}]}",
                      "cannot be changed once it is set");
    fx_live_dispose(&l);
    cr_sim_dispose(&sim);
}

/* ---- plans against the model ---- */

struct s_run {
    struct cr_live_state live;
    struct cr_plan plan;
    struct cr_sim after;
};

static void s_run_dispose(struct s_run *r)
{
    cr_live_state_dispose(&r->live);
    cr_plan_dispose(&r->plan);
    cr_sim_dispose(&r->after);
}

/* Prints what a failing case planned, with its seed. */
static void s_report(const struct cr_sim_case *c, const struct cr_plan *plan, const char *what)
{
    struct cr_buf text = CR_BUF_INIT;
    char *why = strdup(cr_error_last());
    if (plan)
        (void)!cr_render_text(&text, plan, NULL);
    /* stderr directly: cmocka's messages are cut at a few hundred bytes */
    fprintf(stderr,
            "case seed %#" PRIx64 ": %s: %s\n(rerun it alone: CR_PLAN_SIM_SEED=%#" PRIx64
            " CR_PLAN_SIM_CASES=1)\n%s\n",
            c->seed, what, why ? why : "?", c->seed, text.ptr ? text.ptr : "");
    free(why);
    cr_buf_dispose(&text);
}

/* What the property test saw, so a generator that stopped producing a situation is noticed. */
struct s_seen {
    size_t cases, refused, ops, creates, replaces, prunes, roles_before_update, untag_first,
        at_tag_limit, ptag_calls;
};

static void s_count(struct s_seen *seen, const struct cr_plan *plan, const struct cr_sim *after)
{
    for (size_t i = 0; i < plan->n_ops; i++) {
        const struct cr_plan_op *op = &plan->ops[i];
        const struct cr_plan_pool *p = &plan->pools[op->pool];
        seen->ops++;
        seen->creates += op->kind == CR_PLAN_OP_CREATE;
        seen->ptag_calls += op->kind == CR_PLAN_OP_SET_PRINCIPAL_TAGS;
        if (op->kind == CR_PLAN_OP_SET_ROLES && i + 1 < p->first_op + p->n_ops &&
            plan->ops[i + 1].kind == CR_PLAN_OP_UPDATE)
            seen->roles_before_update++;
        if (op->kind == CR_PLAN_OP_UNTAG && i + 1 < p->first_op + p->n_ops &&
            plan->ops[i + 1].kind == CR_PLAN_OP_TAG)
            seen->untag_first++;
    }
    for (size_t i = 0; i < plan->n_pools; i++) {
        seen->replaces += plan->pools[i].action == CR_PLAN_REPLACE;
        seen->prunes += plan->pools[i].action == CR_PLAN_DELETE;
    }
    for (size_t i = 0; i < after->len; i++)
        seen->at_tag_limit += after->pools[i]->config.tags.len == CR_LIMIT_TAGS;
}

/* The case's plan saved and loaded back is computed again from what it records and the same
 * live state into the same calls and digest (what apply FILE checks). */
static bool s_saved_plan_round_trips(const struct cr_sim_case *c, struct s_run *r)
{
    struct cr_buf text = CR_BUF_INIT;
    struct cr_plan loaded, again;
    char a[CR_PLAN_DIGEST_LEN + 1], b[CR_PLAN_DIGEST_LEN + 1];
    bool ok = false;
    cr_plan_init(&loaded);
    cr_plan_init(&again);
    if (cr_plan_save_text(&text, &r->plan) != 0 ||
        cr_plan_load_text(&loaded, text.ptr, text.len, "case.json") != 0 ||
        cr_plan_verify(&loaded, &r->live) != 0 || cr_plan_rederive(&again, &loaded, &r->live) != 0)
        s_report(c, &r->plan, "the saved plan does not check out");
    else if (cr_plan_digest(a, &r->plan) != 0 || cr_plan_digest(b, &again) != 0 ||
             strcmp(a, b) != 0)
        s_report(c, &r->plan, "the saved plan's digest changed");
    else
        ok = true;
    cr_plan_dispose(&loaded);
    cr_plan_dispose(&again);
    cr_buf_dispose(&text);
    return ok;
}

/*
 * One case: plan, apply to the model (every call and state checked), compare the end state
 * with the manifests, plan again (nothing left). Returns false after reporting a failure.
 */
static bool s_check_case(struct s_seen *seen, uint64_t seed)
{
    struct cr_sim_case c;
    struct s_run r;
    bool ok = false;
    memset(&r, 0, sizeof(r));
    cr_live_state_init(&r.live);
    cr_sim_init(&r.after);
    if (cr_sim_generate(&c, seed) != 0) {
        print_error("case seed %#" PRIx64 ": generating failed: %s\n", seed, cr_error_last());
        return false;
    }
    seen->cases++;
    int rc = cr_sim_read(&r.live, &c.live, c.desired, c.n_desired, "default");
    if (rc == 0)
        rc = cr_plan_build(&r.plan, c.desired, c.n_desired, &r.live, &c.opts);
    if (rc != c.expect) {
        s_report(&c, rc == 0 ? &r.plan : NULL,
                 rc == 0 ? "planned, expected a refusal" : "planning failed");
        goto done;
    }
    if (rc != 0) {
        seen->refused++;
        ok = true;
        goto done;
    }
    if (cr_sim_copy(&r.after, &c.live) != 0 || cr_sim_apply(&r.after, &r.plan) != 0) {
        s_report(&c, &r.plan, "a call is invalid when it is made");
        goto done;
    }
    if (cr_sim_check_end(&r.after, &c.live, &r.plan, c.desired, c.n_desired, &c.opts) != 0) {
        s_report(&c, &r.plan, "the end state is not what the manifests say");
        goto done;
    }
    s_count(seen, &r.plan, &r.after);
    if (seed % 4 == 0 && !s_saved_plan_round_trips(&c, &r)) /* a quarter: it costs as much */
        goto done;
    /* after apply, plan shows no changes (once metadata.id of a replaced pool is removed, as
     * the plan's note asks) */
    for (size_t i = 0; i < r.plan.n_pools; i++)
        for (size_t k = 0; r.plan.pools[i].action == CR_PLAN_REPLACE && k < c.n_desired; k++)
            if (strcmp(c.desired[k].name, r.plan.pools[i].name) == 0) {
                free(c.desired[k].adopt_id);
                c.desired[k].adopt_id = NULL;
            }
    cr_plan_dispose(&r.plan);
    cr_live_state_dispose(&r.live);
    cr_live_state_init(&r.live);
    rc = cr_sim_read(&r.live, &r.after, c.desired, c.n_desired, "default");
    if (rc == 0)
        rc = cr_plan_build(&r.plan, c.desired, c.n_desired, &r.live, &c.opts);
    if (rc == 0 && !cr_plan_is_empty(&r.plan))
        cr_error_set("%zu calls left", r.plan.n_ops);
    if (rc != 0 || !cr_plan_is_empty(&r.plan)) {
        s_report(&c, rc == 0 ? &r.plan : NULL, "a second plan is not empty");
        goto done;
    }
    ok = true;
done:
    s_run_dispose(&r);
    cr_sim_case_dispose(&c);
    return ok;
}

static void test_plan_sim__every_plan_is_valid_call_by_call(void **state)
{
    (void)state;
    uint64_t base = cr_sim_env_u64("CR_PLAN_SIM_SEED", CR_SIM_SEED);
    uint64_t n = cr_sim_env_u64("CR_PLAN_SIM_CASES", 4000);
    struct s_seen seen = {0};
    size_t failures = 0;
    for (uint64_t i = 0; i < n && failures < 3; i++)
        if (!s_check_case(&seen, base + i))
            failures++;
    print_message("%zu cases (%zu refused replacements): %zu calls, %zu creates, %zu replaced, "
                  "%zu pruned, %zu roles-before-update, %zu untag-before-tag, %zu pools at 50 "
                  "tags, %zu principal-tag calls\n",
                  seen.cases, seen.refused, seen.ops, seen.creates, seen.replaces, seen.prunes,
                  seen.roles_before_update, seen.untag_first, seen.at_tag_limit, seen.ptag_calls);
    assert_int_equal(failures, 0);
    /* the generator still reaches the situations this test is about */
    if (n >= 1000) {
        assert_true(seen.refused > 0 && seen.creates > n / 10 && seen.replaces > 0 &&
                    seen.prunes > 0 && seen.roles_before_update > 0 && seen.untag_first > 0 &&
                    seen.at_tag_limit > 0 && seen.ptag_calls > n / 10);
    }
}

/* The issue's case: 48 user tags and a manifest with tags {b: "1"}. */
static void test_plan_sim__a_full_pool_gets_its_new_tag_without_passing_50(void **state)
{
    (void)state;
    struct cr_sim sim;
    struct fx_live l;
    struct cr_desired_pool d;
    struct cr_live_state live;
    struct cr_plan plan;
    s_world(&sim, &l);
    s_fill_tags(&sim, 46); /* team, env, k00..k45 and the two ownership tags: 50 */
    fx_desired(&d);
    cr_strmap_dispose(&d.tags);
    fx_set(&d.tags, "b", "1");
    cr_live_state_init(&live);
    assert_ok(cr_sim_read(&live, &sim, &d, 1, "default"));
    struct cr_plan_options opts = {.stack = "default", .region = FX_REGION};
    assert_ok(cr_plan_build(&plan, &d, 1, &live, &opts));
    assert_int_equal(plan.n_ops, 2);
    struct cr_sim before;
    assert_ok(cr_sim_copy(&before, &sim));
    assert_ok(cr_sim_apply(&sim, &plan));
    assert_ok(cr_sim_check_end(&sim, &before, &plan, &d, 1, &opts));
    assert_int_equal(cr_sim_find(&sim, FX_ID)->config.tags.len, 3);
    cr_sim_dispose(&before);
    cr_plan_dispose(&plan);
    cr_live_state_dispose(&live);
    cr_desired_pool_dispose(&d);
    fx_live_dispose(&l);
    cr_sim_dispose(&sim);
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_plan_sim__tag_limit_holds_after_every_call),
        cmocka_unit_test(test_plan_sim__update_that_strands_a_mapping_is_caught),
        cmocka_unit_test(test_plan_sim__mapping_and_principal_tag_rules),
        cmocka_unit_test(test_plan_sim__requests_are_checked_against_the_constraint_table),
        cmocka_unit_test(test_plan_sim__a_full_pool_gets_its_new_tag_without_passing_50),
        cmocka_unit_test(test_plan_sim__every_plan_is_valid_call_by_call),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
