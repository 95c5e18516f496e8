/* SPDX-License-Identifier: Apache-2.0 */
/*
 * The diff, told as a story: the manifest "mobile" and its live pool agree; each test changes
 * one thing on one side and reads the plan that results.
 */
#include "tests/unit/test_plan_fixture.h"

#include <stdio.h>

struct world {
    struct cr_desired_pool d;
    struct fx_live l;
    bool live_exists;
    struct cr_live_state live;
    struct cr_plan plan;
    struct cr_plan_options opts;
};

static int setup(void **state)
{
    struct world *w = calloc(1, sizeof(*w));
    assert_non_null(w);
    fx_desired(&w->d);
    fx_live_init(&w->l, FX_ID, "default", "mobile");
    w->live_exists = true;
    cr_live_state_init(&w->live);
    w->opts.stack = "default";
    w->opts.region = FX_REGION;
    *state = w;
    return 0;
}

static int teardown(void **state)
{
    struct world *w = *state;
    cr_desired_pool_dispose(&w->d);
    fx_live_dispose(&w->l);
    cr_live_state_dispose(&w->live);
    cr_plan_dispose(&w->plan);
    free(w);
    return 0;
}

/* Builds the live state from w->l (when it exists) and plans. */
static int plan(struct world *w)
{
    cr_live_state_dispose(&w->live);
    cr_live_state_init(&w->live);
    cr_plan_dispose(&w->plan);
    assert_ok(cr_live_state_add_region(&w->live, FX_REGION, FX_ACCOUNT));
    if (w->live_exists)
        fx_live_add(&w->live, &w->l);
    return cr_plan_build(&w->plan, &w->d, 1, &w->live, &w->opts);
}

/* Only op of the plan must be of kind; returns it. */
static const struct cr_plan_op *only_op(struct world *w, enum cr_plan_op_kind kind)
{
    assert_int_equal(w->plan.n_ops, 1);
    assert_int_equal(w->plan.ops[0].kind, kind);
    return &w->plan.ops[0];
}

static void test_diff__matching_live_state_plans_nothing(void **state)
{
    struct world *w = *state;
    assert_ok(plan(w));
    assert_true(cr_plan_is_empty(&w->plan));
    assert_int_equal(w->plan.n_pools, 1);
    assert_int_equal(w->plan.pools[0].action, CR_PLAN_NOOP);
    assert_string_equal(w->plan.pools[0].pool_id, FX_ID);
}

static void test_diff__missing_pool_is_created_with_every_tag_inside_create(void **state)
{
    struct world *w = *state;
    w->live_exists = false;
    assert_ok(plan(w));
    assert_int_equal(w->plan.pools[0].action, CR_PLAN_CREATE);
    assert_null(w->plan.pools[0].pool_id);
    assert_int_equal(w->plan.n_create, 1);
    /* Create, then roles, then one principal-tag call per provider of the managed section:
     * a new pool's maps are unset (UseDefaults true), the manifest wants the declared map
     * for the user pool and the others cleared (UseDefaults false) */
    assert_int_equal(w->plan.n_ops, 5);
    const struct cr_plan_op *create = fx_op(&w->plan, 0);
    assert_int_equal(create->kind, CR_PLAN_OP_CREATE);
    assert_true(create->params_pool.has_tags);
    assert_string_equal(cr_strmap_get(&create->params_pool.tags, CR_TAG_STACK), "default");
    assert_string_equal(cr_strmap_get(&create->params_pool.tags, CR_TAG_NAME), "mobile");
    assert_string_equal(cr_strmap_get(&create->params_pool.tags, "team"), "mobile");
    assert_int_equal(create->params_pool.allow_classic_flow, 0);
    fx_assert_change(create, "identityPoolName", NULL, "\"MobileApp Prod\"");
    assert_int_equal(fx_op(&w->plan, 1)->kind, CR_PLAN_OP_SET_ROLES);
    assert_null(fx_op(&w->plan, 1)->params_roles.pool_id); /* known after create */
    assert_int_equal(fx_op(&w->plan, 2)->kind, CR_PLAN_OP_SET_PRINCIPAL_TAGS);
    /* providers in sorted order: the OIDC provider ARN, the user pool, graph.facebook.com */
    assert_string_equal(fx_op(&w->plan, 2)->params_ptags.provider, FX_OIDC);
    assert_int_equal(fx_op(&w->plan, 2)->params_ptags.use_defaults, 0);
    fx_assert_change(fx_op(&w->plan, 2), "principalTagAttributeMaps[\"" FX_OIDC "\"].useDefaults",
                     "true", "false");
    assert_string_equal(fx_op(&w->plan, 3)->params_ptags.provider, FX_UP);
    assert_string_equal(cr_strmap_get(&fx_op(&w->plan, 3)->params_ptags.tags, "department"),
                        "custom:department");
    assert_string_equal(fx_op(&w->plan, 4)->params_ptags.provider, "graph.facebook.com");

    struct cr_buf body = CR_BUF_INIT;
    assert_ok(cr_plan_op_body(&body, &w->plan, fx_op(&w->plan, 1), NULL));
    assert_non_null(strstr(body.ptr, "\"IdentityPoolId\":\"" CR_PLAN_ID_AFTER_CREATE "\""));
    cr_buf_clear(&body);
    assert_ok(cr_plan_op_body(&body, &w->plan, fx_op(&w->plan, 1), "us-east-1:new"));
    assert_non_null(strstr(body.ptr, "\"IdentityPoolId\":\"us-east-1:new\""));
    cr_buf_dispose(&body);
}

static void test_diff__rename_is_an_in_place_update(void **state)
{
    struct world *w = *state;
    free(w->d.config.name);
    w->d.config.name = strdup("Mobile App");
    assert_ok(plan(w));
    const struct cr_plan_op *op = only_op(w, CR_PLAN_OP_UPDATE);
    assert_string_equal(op->params_pool.id, FX_ID); /* the pool id never changes */
    fx_assert_change(op, "identityPoolName", "\"MobileApp Prod\"", "\"Mobile App\"");
    assert_int_equal(op->n_changes, 1);
    /* the update sends the whole configuration, providers included */
    assert_int_equal(op->params_pool.n_cognito_identity_providers, 1);
    assert_int_equal(op->params_pool.open_id_connect_provider_arns.len, 1);
    assert_int_equal(w->plan.pools[0].action, CR_PLAN_UPDATE);
}

static void test_diff__each_pool_field_is_compared(void **state)
{
    struct world *w = *state;
    w->d.config.allow_unauthenticated = true;
    fx_set(&w->d.config.supported_login_providers, "graph.facebook.com", "999");
    fx_set(&w->d.config.supported_login_providers, "accounts.google.com", "123.apps");
    w->d.config.developer_provider_name = strdup("login.example.mobile");
    fx_push(&w->d.config.saml_provider_arns, "arn:aws:iam::123456789012:saml-provider/corp");
    w->d.config.cognito_identity_providers[0].server_side_token_check = 0;
    assert_ok(plan(w));
    const struct cr_plan_op *op = fx_op(&w->plan, 0);
    assert_int_equal(op->kind, CR_PLAN_OP_UPDATE);
    fx_assert_change(op, "allowUnauthenticatedIdentities", "false", "true");
    fx_assert_change(op, "supportedLoginProviders[\"graph.facebook.com\"]", "\"7346241598935552\"",
                     "\"999\"");
    fx_assert_change(op, "supportedLoginProviders[\"accounts.google.com\"]", NULL, "\"123.apps\"");
    fx_assert_change(op, "developerProviderName", NULL, "\"login.example.mobile\"");
    fx_assert_change(op, "samlProviderARNs", NULL,
                     "\"arn:aws:iam::123456789012:saml-provider/corp\"");
    fx_assert_change(op, "cognitoIdentityProviders[\"" FX_UPKEY "\"].serverSideTokenCheck", "true",
                     "false");
    assert_int_equal(op->n_changes, 6);
    assert_string_equal(op->params_pool.developer_provider_name, "login.example.mobile");
}

static void test_diff__removed_list_entries_and_providers_show_as_removals(void **state)
{
    struct world *w = *state;
    cr_strlist_dispose(&w->d.config.open_id_connect_provider_arns);
    cr_strmap_dispose(&w->d.config.supported_login_providers);
    /* the provider's map leaves the section with it */
    w->d.manage_principal_tags = false;
    w->d.manage_roles = false;
    fx_remove_provider(&w->d.config, FX_UP);
    assert_ok(plan(w));
    const struct cr_plan_op *op = only_op(w, CR_PLAN_OP_UPDATE);
    fx_assert_change(op, "openIdConnectProviderARNs", "\"" FX_OIDC "\"", NULL);
    fx_assert_change(op, "supportedLoginProviders[\"graph.facebook.com\"]", "\"7346241598935552\"",
                     NULL);
    fx_assert_change(op, "cognitoIdentityProviders[\"" FX_UPKEY "\"]",
                     "{\"serverSideTokenCheck\":true}", NULL);
    assert_int_equal(op->params_pool.n_cognito_identity_providers, 0);
}

static void test_diff__sets_are_order_insensitive_and_absent_means_false(void **state)
{
    struct world *w = *state;
    /* live lists in another order, a second provider, ServerSideTokenCheck absent = false */
    fx_push(&w->l.config.open_id_connect_provider_arns,
            "arn:aws:iam::123456789012:oidc-provider/a.example.com");
    fx_provider(&w->l.config, "cognito-idp.us-east-1.amazonaws.com/us-east-1_Zz", "client2", -1);
    fx_provider(&w->d.config, "cognito-idp.us-east-1.amazonaws.com/us-east-1_Zz", "client2", -1);
    struct cr_strlist *d_oidc = &w->d.config.open_id_connect_provider_arns;
    cr_strlist_dispose(d_oidc);
    fx_push(d_oidc, "arn:aws:iam::123456789012:oidc-provider/a.example.com");
    fx_push(d_oidc, FX_OIDC);
    /* the desired provider order is reversed before normalisation */
    struct cr_cognito_provider tmp = w->d.config.cognito_identity_providers[0];
    w->d.config.cognito_identity_providers[0] = w->d.config.cognito_identity_providers[1];
    w->d.config.cognito_identity_providers[1] = tmp;
    w->d.config.cognito_identity_providers[1].server_side_token_check = 1;
    assert_ok(cr_desired_normalise(&w->d));
    w->d.manage_principal_tags = false;
    assert_ok(plan(w));
    assert_true(cr_plan_is_empty(&w->plan));
}

static void test_diff__allow_classic_flow_has_three_live_states(void **state)
{
    struct world *w = *state;
    /* never set on the live pool (behaves as allowed) vs manifest absent (= false): change */
    w->l.config.allow_classic_flow = -1;
    assert_ok(plan(w));
    fx_assert_change(only_op(w, CR_PLAN_OP_UPDATE), "allowClassicFlow", "null", "false");
    assert_int_equal(w->plan.ops[0].params_pool.allow_classic_flow, 0);

    /* never set vs manifest true: the same behaviour, no call */
    w->d.config.allow_classic_flow = 1;
    assert_ok(plan(w));
    assert_true(cr_plan_is_empty(&w->plan));

    /* explicitly false vs manifest true: change */
    w->l.config.allow_classic_flow = 0;
    assert_ok(plan(w));
    fx_assert_change(only_op(w, CR_PLAN_OP_UPDATE), "allowClassicFlow", "false", "true");

    /* explicitly true vs manifest absent: change */
    w->l.config.allow_classic_flow = 1;
    w->d.config.allow_classic_flow = -1; /* as the manifest loader leaves it */
    assert_ok(cr_desired_normalise(&w->d));
    assert_int_equal(w->d.config.allow_classic_flow, 0);
    assert_ok(plan(w));
    fx_assert_change(only_op(w, CR_PLAN_OP_UPDATE), "allowClassicFlow", "true", "false");
}

static void test_diff__role_change_is_one_set_identity_pool_roles(void **state)
{
    struct world *w = *state;
    fx_set(&w->d.roles.roles, "authenticated", FX_ROLE("MobileAuth2"));
    assert_ok(plan(w));
    const struct cr_plan_op *op = only_op(w, CR_PLAN_OP_SET_ROLES);
    fx_assert_change(op, "roles.authenticated", "\"" FX_ROLE("MobileAuth") "\"",
                     "\"" FX_ROLE("MobileAuth2") "\"");
    assert_string_equal(op->params_roles.pool_id, FX_ID);
    /* SetIdentityPoolRoles replaces the attachment: the mapping is sent again */
    assert_int_equal(op->params_roles.n_mappings, 1);
}

static void test_diff__token_mapping_and_rule_order_are_compared(void **state)
{
    struct world *w = *state;
    /* a Token mapping for the OIDC provider is added */
    fx_mapping(&w->d.roles, "auth.example.com", "Token", "AuthenticatedRole");
    /* and the rules of the existing mapping get a second rule, then are swapped */
    fx_rule(&w->d.roles.mappings[0], "custom:tier", "StartsWith", "gold", FX_ROLE("MobileGold"));
    struct cr_cognito_rule tmp = w->d.roles.mappings[0].rules[0];
    w->d.roles.mappings[0].rules[0] = w->d.roles.mappings[0].rules[1];
    w->d.roles.mappings[0].rules[1] = tmp;
    assert_ok(cr_desired_normalise(&w->d));
    assert_ok(plan(w));
    const struct cr_plan_op *op = only_op(w, CR_PLAN_OP_SET_ROLES);
    fx_assert_change(op, "roleMappings[\"auth.example.com\"]", NULL,
                     "{\"type\":\"Token\",\"ambiguousRoleResolution\":\"AuthenticatedRole\"}");
    const struct cr_plan_change *c = fx_change(op, "roleMappings[\"" FX_UPKEY "\"]");
    assert_non_null(c);
    /* rules keep their order: the gold rule is first now */
    assert_true(strstr(c->after, "gold") < strstr(c->after, "paid"));
    assert_int_equal(op->n_changes, 2);
}

static void test_diff__removed_mapping_and_cleared_roles(void **state)
{
    struct world *w = *state;
    /* roles: {} and roleMappings: {} present means "exactly nothing" */
    cr_cognito_roles_dispose(&w->d.roles);
    assert_ok(plan(w));
    const struct cr_plan_op *op = only_op(w, CR_PLAN_OP_SET_ROLES);
    assert_int_equal(op->params_roles.roles.len, 0);
    assert_int_equal(op->params_roles.n_mappings, 0);
    fx_assert_change(op, "roles.unauthenticated", "\"" FX_ROLE("MobileGuest") "\"", NULL);
    assert_non_null(fx_change(op, "roleMappings[\"" FX_UPKEY "\"]"));
    struct cr_buf body = CR_BUF_INIT;
    assert_ok(cr_plan_op_body(&body, &w->plan, op, NULL));
    assert_string_equal(body.ptr,
                        "{\"IdentityPoolId\":\"" FX_ID "\",\"Roles\":{},\"RoleMappings\":{}}");
    cr_buf_dispose(&body);
}

static void test_diff__absent_sections_are_left_alone(void **state)
{
    struct world *w = *state;
    /* the live pool has roles, maps and tags the manifest no longer mentions */
    w->d.manage_roles = false;
    w->d.manage_principal_tags = false;
    w->d.manage_tags = false;
    cr_cognito_roles_dispose(&w->d.roles);
    cr_strmap_dispose(&w->d.tags);
    fx_set(&w->l.config.tags, "cost-center", "42");
    fx_set(&w->l.ptags[1].tags, "x", "y");
    assert_ok(plan(w));
    assert_true(cr_plan_is_empty(&w->plan));
}

static void test_diff__principal_tags_are_set_per_provider_and_cleared_when_undeclared(void **state)
{
    struct world *w = *state;
    /* the declared map changes; the login provider has a map set by hand (not declared) */
    fx_set(&w->d.principal_tags[0].tags, "team", "custom:team");
    w->d.principal_tags[0].use_defaults = 1;
    fx_set(&w->l.ptags[1].tags, "email", "email");
    assert_ok(plan(w));
    assert_int_equal(w->plan.n_ops, 2);
    const struct cr_plan_op *a = fx_op(&w->plan, 0), *b = fx_op(&w->plan, 1);
    assert_int_equal(a->kind, CR_PLAN_OP_SET_PRINCIPAL_TAGS);
    assert_int_equal(b->kind, CR_PLAN_OP_SET_PRINCIPAL_TAGS);
    /* providers in sorted order: the user pool, then graph.facebook.com */
    assert_string_equal(a->params_ptags.provider, FX_UP);
    fx_assert_change(a, "principalTagAttributeMaps[\"" FX_UP "\"].useDefaults", "false", "true");
    fx_assert_change(a, "principalTagAttributeMaps[\"" FX_UP "\"].principalTags[\"team\"]", NULL,
                     "\"custom:team\"");
    assert_string_equal(b->params_ptags.provider, "graph.facebook.com");
    /* clearing = UseDefaults false with an empty map */
    assert_int_equal(b->params_ptags.use_defaults, 0);
    assert_int_equal(b->params_ptags.tags.len, 0);
    fx_assert_change(b,
                     "principalTagAttributeMaps[\"graph.facebook.com\"].principalTags[\"email\"]",
                     "\"email\"", NULL);
}

static void test_diff__tags_added_changed_removed_then_ownership_kept(void **state)
{
    struct world *w = *state;
    fx_set(&w->d.tags, "owner", "alice"); /* added */
    fx_set(&w->d.tags, "env", "staging"); /* changed */
    cr_strmap_remove(&w->d.tags, "team"); /* removed */
    assert_ok(plan(w));
    assert_int_equal(w->plan.n_ops, 2);
    const struct cr_plan_op *tag = fx_op(&w->plan, 0), *untag = fx_op(&w->plan, 1);
    assert_int_equal(tag->kind, CR_PLAN_OP_TAG);
    assert_int_equal(tag->params_tags.len, 2);
    fx_assert_change(tag, "tags[\"env\"]", "\"prod\"", "\"staging\"");
    fx_assert_change(tag, "tags[\"owner\"]", NULL, "\"alice\"");
    assert_string_equal(tag->arn,
                        "arn:aws:cognito-identity:us-east-1:123456789012:identitypool/" FX_ID);
    assert_int_equal(untag->kind, CR_PLAN_OP_UNTAG);
    /* only the user tag: ownership tags are never removed */
    assert_int_equal(untag->params_untag.len, 1);
    assert_string_equal(untag->params_untag.items[0], "team");
}

static void test_diff__missing_ownership_tag_is_restored_even_if_tags_unmanaged(void **state)
{
    struct world *w = *state;
    w->d.manage_tags = false;
    /* someone removed the name tag; discovery still found it through metadata.id */
    cr_strmap_remove(&w->l.config.tags, CR_TAG_NAME);
    w->d.adopt_id = strdup(FX_ID);
    assert_ok(plan(w));
    const struct cr_plan_op *op = only_op(w, CR_PLAN_OP_TAG);
    assert_int_equal(op->params_tags.len, 1);
    assert_string_equal(cr_strmap_get(&op->params_tags, CR_TAG_NAME), "mobile");
    assert_true(w->plan.pools[0].adopted);
}

static void test_diff__revision_tag_is_written_only_with_other_changes(void **state)
{
    struct world *w = *state;
    w->opts.revision = "0123456789abcdef0123456789abcdef01234567";
    assert_ok(plan(w));
    assert_true(cr_plan_is_empty(&w->plan)); /* a new commit alone changes nothing */
    w->d.config.allow_unauthenticated = true;
    assert_ok(plan(w));
    assert_int_equal(w->plan.n_ops, 2);
    assert_int_equal(fx_op(&w->plan, 1)->kind, CR_PLAN_OP_TAG);
    assert_string_equal(cr_strmap_get(&fx_op(&w->plan, 1)->params_tags, CR_TAG_REVISION),
                        w->opts.revision);
}

/* Adds n user tags k00.. to the live pool (it has team, env and two ownership tags). */
static void s_live_user_tags(struct world *w, int n)
{
    char key[16];
    for (int i = 0; i < n; i++) {
        snprintf(key, sizeof(key), "k%02d", i);
        fx_set(&w->l.config.tags, key, "v");
    }
}

static void test_diff__untag_runs_first_when_tagging_first_would_pass_50_tags(void **state)
{
    struct world *w = *state;
    /* the pool: 48 user tags and the 2 ownership tags; the manifest says {b: "1"} */
    s_live_user_tags(w, 46);
    cr_strmap_dispose(&w->d.tags);
    fx_set(&w->d.tags, "b", "1");
    assert_ok(plan(w));
    assert_int_equal(w->plan.n_ops, 2);
    /* TagResource first would hold 51 tags for a moment, which the service refuses */
    assert_int_equal(fx_op(&w->plan, 0)->kind, CR_PLAN_OP_UNTAG);
    assert_int_equal(fx_op(&w->plan, 0)->params_untag.len, 48);
    assert_int_equal(fx_op(&w->plan, 1)->kind, CR_PLAN_OP_TAG);
    /* with room for the union, the usual order stays: TagResource, then UntagResource */
    cr_strmap_dispose(&w->l.config.tags);
    fx_set(&w->l.config.tags, CR_TAG_STACK, "default");
    fx_set(&w->l.config.tags, CR_TAG_NAME, "mobile");
    s_live_user_tags(w, 47); /* 49 + b = 50 */
    assert_ok(plan(w));
    assert_int_equal(fx_op(&w->plan, 0)->kind, CR_PLAN_OP_TAG);
    assert_int_equal(fx_op(&w->plan, 1)->kind, CR_PLAN_OP_UNTAG);
}

static void test_diff__a_pool_that_would_hold_more_than_50_tags_is_refused(void **state)
{
    struct world *w = *state;
    /* tags unmanaged: the 49 tags on an untagged pool stay and the ownership tags come on top */
    w->d.manage_tags = false;
    w->d.adopt_id = strdup(FX_ID);
    cr_strmap_dispose(&w->l.config.tags);
    s_live_user_tags(w, 49);
    assert_int_equal(plan(w), CR_EINVALID);
    assert_non_null(strstr(cr_error_last(), "pools/mobile.yaml:1:1: pool 'mobile'"));
    assert_non_null(strstr(cr_error_last(), "51 tags"));
    assert_non_null(strstr(cr_error_last(), "at most 50"));
    /* one tag fewer fits exactly */
    cr_strmap_remove(&w->l.config.tags, "k00");
    assert_ok(plan(w));
    assert_int_equal(fx_op(&w->plan, 0)->params_tags.len, 2);
}

static void test_diff__adopting_an_untagged_pool_adds_ownership_tags(void **state)
{
    struct world *w = *state;
    fx_live_dispose(&w->l);
    fx_live_init(&w->l, FX_ID, NULL, NULL);
    w->d.adopt_id = strdup(FX_ID);
    assert_ok(plan(w));
    const struct cr_plan_op *op = only_op(w, CR_PLAN_OP_TAG);
    assert_string_equal(cr_strmap_get(&op->params_tags, CR_TAG_STACK), "default");
    assert_string_equal(cr_strmap_get(&op->params_tags, CR_TAG_NAME), "mobile");
    assert_true(w->plan.pools[0].adopted);
    assert_int_equal(w->plan.pools[0].action, CR_PLAN_UPDATE);
}

static void test_diff__adopting_another_stacks_pool_is_refused(void **state)
{
    struct world *w = *state;
    fx_live_dispose(&w->l);
    fx_live_init(&w->l, FX_ID, "payments", "mobile");
    w->d.adopt_id = strdup(FX_ID);
    assert_int_equal(plan(w), CR_ECONFLICT);
    assert_non_null(strstr(cr_error_last(), "pools/mobile.yaml:1:1"));
    assert_non_null(strstr(cr_error_last(), "'payments'"));

    free(w->d.adopt_id);
    w->d.adopt_id = strdup("us-east-1:99999999-0000-0000-0000-000000000000");
    assert_int_equal(plan(w), CR_ENOTFOUND);
    assert_non_null(strstr(cr_error_last(), "metadata.id"));
}

static void test_diff__another_stacks_pool_with_the_same_name_is_untouched(void **state)
{
    struct world *w = *state;
    fx_live_dispose(&w->l);
    fx_live_init(&w->l, FX_ID, "payments", "mobile");
    w->opts.prune = true;
    assert_ok(plan(w));
    /* ours does not exist yet: it is created; theirs is neither updated nor pruned */
    assert_int_equal(w->plan.n_pools, 1);
    assert_int_equal(w->plan.pools[0].action, CR_PLAN_CREATE);
    for (size_t i = 0; i < w->plan.n_ops; i++)
        assert_int_not_equal(w->plan.ops[i].kind, CR_PLAN_OP_DELETE);
}

static void test_diff__two_owned_pools_with_one_name_are_ambiguous(void **state)
{
    struct world *w = *state;
    struct fx_live twin;
    fx_live_init(&twin, "us-east-1:22222222-2222-3333-4444-555555555555", "default", "mobile");
    cr_live_state_dispose(&w->live);
    cr_live_state_init(&w->live);
    fx_live_add(&w->live, &w->l);
    fx_live_add(&w->live, &twin);
    assert_int_equal(cr_plan_build(&w->plan, &w->d, 1, &w->live, &w->opts), CR_ECONFLICT);
    assert_non_null(strstr(cr_error_last(), "us-east-1:22222222"));
    fx_live_dispose(&twin);
}

static void test_diff__prune_deletes_owned_orphans_only_when_asked(void **state)
{
    struct world *w = *state;
    struct fx_live orphan, foreign;
    fx_live_init(&orphan, "us-east-1:33333333-2222-3333-4444-555555555555", "default", "legacy");
    fx_live_init(&foreign, "us-east-1:44444444-2222-3333-4444-555555555555", "payments", "legacy");
    cr_live_state_dispose(&w->live);
    cr_live_state_init(&w->live);
    fx_live_add(&w->live, &w->l);
    fx_live_add(&w->live, &orphan);
    fx_live_add(&w->live, &foreign);
    assert_ok(cr_plan_build(&w->plan, &w->d, 1, &w->live, &w->opts));
    assert_true(cr_plan_is_empty(&w->plan)); /* without --prune the orphan stays */
    cr_plan_dispose(&w->plan);
    w->opts.prune = true;
    assert_ok(cr_plan_build(&w->plan, &w->d, 1, &w->live, &w->opts));
    assert_int_equal(w->plan.n_ops, 1);
    assert_int_equal(w->plan.ops[0].kind, CR_PLAN_OP_DELETE);
    assert_int_equal(w->plan.n_delete, 1);
    const struct cr_plan_pool *p = &w->plan.pools[w->plan.ops[0].pool];
    assert_string_equal(p->name, "legacy");
    assert_string_equal(p->pool_id, orphan.config.id);
    fx_live_dispose(&orphan);
    fx_live_dispose(&foreign);
}

static void test_diff__changing_developer_provider_name_is_a_refused_replacement(void **state)
{
    struct world *w = *state;
    w->l.config.developer_provider_name = strdup("login.example.old");
    w->d.config.developer_provider_name = strdup("login.example.new");
    assert_int_equal(plan(w), CR_EREFUSED);
    assert_non_null(strstr(cr_error_last(), "pools/mobile.yaml:1:1"));
    assert_non_null(strstr(cr_error_last(), "'mobile'"));
    assert_non_null(strstr(cr_error_last(), "--allow-replace"));
    assert_int_equal(w->plan.n_ops, 0);

    w->opts.allow_replace = true;
    assert_ok(plan(w));
    assert_int_equal(w->plan.pools[0].action, CR_PLAN_REPLACE);
    assert_non_null(strstr(w->plan.pools[0].note, "identities"));
    assert_int_equal(fx_op(&w->plan, 0)->kind, CR_PLAN_OP_DELETE);
    assert_int_equal(fx_op(&w->plan, 1)->kind, CR_PLAN_OP_CREATE);
    assert_true(fx_op(&w->plan, 1)->replace);
    assert_int_equal(w->plan.n_create, 1);
    assert_int_equal(w->plan.n_delete, 1);
    assert_int_equal(w->plan.n_replace, 1);
    struct cr_buf body = CR_BUF_INIT;
    assert_ok(cr_plan_op_body(&body, &w->plan, fx_op(&w->plan, 0), NULL));
    assert_string_equal(body.ptr, "{\"IdentityPoolId\":\"" FX_ID "\"}");
    cr_buf_dispose(&body);
}

static void test_diff__replacing_an_adopted_pool_says_metadata_id_goes_stale(void **state)
{
    struct world *w = *state;
    w->l.config.developer_provider_name = strdup("login.example.old");
    w->d.config.developer_provider_name = strdup("login.example.new");
    w->d.adopt_id = strdup(FX_ID);
    w->opts.allow_replace = true;
    assert_ok(plan(w));
    assert_int_equal(w->plan.pools[0].action, CR_PLAN_REPLACE);
    /* the next plan would look for the deleted id: the plan says so beforehand */
    assert_non_null(strstr(w->plan.pools[0].note, "metadata.id"));
    assert_non_null(strstr(w->plan.pools[0].note, "remove it"));
}

static void test_diff__setting_a_developer_provider_name_once_is_in_place(void **state)
{
    struct world *w = *state;
    w->d.config.developer_provider_name = strdup("login.example.mobile");
    assert_ok(plan(w));
    only_op(w, CR_PLAN_OP_UPDATE);
}

static void test_diff__mapping_of_a_removed_provider_is_dropped_before_the_update(void **state)
{
    struct world *w = *state;
    /* The user pool provider goes away, and its role mapping with it. */
    fx_remove_provider(&w->d.config, FX_UP);
    cr_cognito_roles_dispose(&w->d.roles);
    fx_set(&w->d.roles.roles, "authenticated", FX_ROLE("MobileAuth"));
    fx_set(&w->d.roles.roles, "unauthenticated", FX_ROLE("MobileGuest"));
    w->d.manage_principal_tags = false;
    assert_ok(plan(w));
    assert_int_equal(w->plan.n_ops, 2);
    /* SetIdentityPoolRoles without the mapping runs first, while the provider still exists */
    assert_int_equal(fx_op(&w->plan, 0)->kind, CR_PLAN_OP_SET_ROLES);
    assert_int_equal(fx_op(&w->plan, 0)->params_roles.n_mappings, 0);
    assert_int_equal(fx_op(&w->plan, 1)->kind, CR_PLAN_OP_UPDATE);

    /* Now a new provider is added and mapped at the same time: a second roles call after */
    fx_provider(&w->d.config, "cognito-idp.us-east-1.amazonaws.com/us-east-1_New", "newclient", 0);
    fx_mapping(&w->d.roles, "cognito-idp.us-east-1.amazonaws.com/us-east-1_New:newclient", "Token",
               "Deny");
    assert_ok(plan(w));
    assert_int_equal(w->plan.n_ops, 3);
    assert_int_equal(fx_op(&w->plan, 0)->kind, CR_PLAN_OP_SET_ROLES);
    assert_int_equal(fx_op(&w->plan, 0)->params_roles.n_mappings, 0);
    assert_int_equal(fx_op(&w->plan, 1)->kind, CR_PLAN_OP_UPDATE);
    assert_int_equal(fx_op(&w->plan, 2)->kind, CR_PLAN_OP_SET_ROLES);
    assert_int_equal(fx_op(&w->plan, 2)->params_roles.n_mappings, 1);
    fx_assert_change(
        fx_op(&w->plan, 2),
        "roleMappings[\"cognito-idp.us-east-1.amazonaws.com/us-east-1_New:newclient\"]", NULL,
        "{\"type\":\"Token\",\"ambiguousRoleResolution\":\"Deny\"}");
}

static void test_diff__added_provider_is_mapped_after_the_update(void **state)
{
    struct world *w = *state;
    fx_provider(&w->d.config, "cognito-idp.us-east-1.amazonaws.com/us-east-1_New", "newclient", 0);
    fx_mapping(&w->d.roles, "cognito-idp.us-east-1.amazonaws.com/us-east-1_New:newclient", "Token",
               "Deny");
    assert_ok(cr_desired_normalise(&w->d));
    w->d.manage_principal_tags = false;
    assert_ok(plan(w));
    assert_int_equal(w->plan.n_ops, 2);
    assert_int_equal(fx_op(&w->plan, 0)->kind, CR_PLAN_OP_UPDATE);
    assert_int_equal(fx_op(&w->plan, 1)->kind, CR_PLAN_OP_SET_ROLES);
}

/* A provider the Update adds may have had a map when it was configured before (removed by
 * hand since): the service keeps it, unseen until the provider is back. So the map of a
 * provider being added is always written, even when the manifest wants the service default,
 * or apply would leave the old map and the next plan would not be empty. */
static void test_diff__added_provider_s_principal_tag_map_is_always_written(void **state)
{
    struct world *w = *state;
    const char *up = "cognito-idp.us-east-1.amazonaws.com/us-east-1_New";
    fx_provider(&w->d.config, up, "newclient", 0);
    fx_ptag(&w->d.principal_tags, &w->d.n_principal_tags, up, 1, NULL, NULL);
    assert_ok(cr_desired_normalise(&w->d));
    assert_ok(plan(w));
    assert_int_equal(w->plan.n_ops, 2);
    assert_int_equal(fx_op(&w->plan, 0)->kind, CR_PLAN_OP_UPDATE);
    const struct cr_plan_op *set = fx_op(&w->plan, 1);
    assert_int_equal(set->kind, CR_PLAN_OP_SET_PRINCIPAL_TAGS);
    assert_string_equal(set->params_ptags.provider, up);
    assert_int_equal(set->params_ptags.use_defaults, 1);
    assert_int_equal(set->params_ptags.tags.len, 0);
    assert_int_equal(set->n_changes, 1);

    /* once the provider is configured and its map reads as wanted, nothing is left to do */
    fx_provider(&w->l.config, up, "newclient", 0);
    fx_ptag(&w->l.ptags, &w->l.n_ptags, up, 1, NULL, NULL);
    assert_ok(plan(w));
    assert_int_equal(w->plan.n_ops, 0);
}

static void test_diff__fingerprint_follows_the_live_state(void **state)
{
    struct world *w = *state;
    assert_ok(plan(w));
    char before[65];
    memcpy(before, w->plan.pools[0].fingerprint, sizeof(before));
    assert_int_equal(strlen(before), 64);
    /* the same live state gives the same fingerprint, whatever the list order */
    fx_push(&w->l.config.saml_provider_arns, "arn:aws:iam::123456789012:saml-provider/b");
    fx_push(&w->l.config.saml_provider_arns, "arn:aws:iam::123456789012:saml-provider/a");
    fx_push(&w->d.config.saml_provider_arns, "arn:aws:iam::123456789012:saml-provider/a");
    fx_push(&w->d.config.saml_provider_arns, "arn:aws:iam::123456789012:saml-provider/b");
    assert_ok(plan(w));
    char with_saml[65];
    memcpy(with_saml, w->plan.pools[0].fingerprint, sizeof(with_saml));
    assert_string_not_equal(before, with_saml);
    char *tmp = w->l.config.saml_provider_arns.items[0];
    w->l.config.saml_provider_arns.items[0] = w->l.config.saml_provider_arns.items[1];
    w->l.config.saml_provider_arns.items[1] = tmp;
    assert_ok(plan(w));
    assert_string_equal(with_saml, w->plan.pools[0].fingerprint);
}

static void test_diff__duplicate_manifest_names_are_invalid(void **state)
{
    struct world *w = *state;
    struct cr_desired_pool two[2];
    fx_desired(&two[0]);
    fx_desired(&two[1]);
    free(two[1].source);
    two[1].source = strdup("pools/other.yaml:4:1");
    assert_ok(cr_live_state_add_region(&w->live, FX_REGION, FX_ACCOUNT));
    assert_int_equal(cr_plan_build(&w->plan, two, 2, &w->live, &w->opts), CR_EINVALID);
    assert_non_null(strstr(cr_error_last(), "pools/other.yaml:4:1"));
    assert_non_null(strstr(cr_error_last(), "pools/mobile.yaml:1:1"));
    cr_desired_pool_dispose(&two[0]);
    cr_desired_pool_dispose(&two[1]);
}

static void test_diff__the_first_repeated_name_is_reported_per_region(void **state)
{
    struct world *w = *state;
    enum { N = 5 };
    /* mobile, mobile@us-west-2 (fine), other, other (reported: the earliest repeat), mobile */
    static const char *const names[N] = {"mobile", "mobile", "other", "other", "mobile"};
    struct cr_desired_pool d[N];
    char src[64];
    for (size_t i = 0; i < N; i++) {
        fx_desired(&d[i]);
        free(d[i].name);
        d[i].name = strdup(names[i]);
        free(d[i].source);
        snprintf(src, sizeof(src), "pools/p%zu.yaml:1:1", i);
        d[i].source = strdup(src);
    }
    d[1].region = strdup("us-west-2");
    assert_ok(cr_live_state_add_region(&w->live, FX_REGION, FX_ACCOUNT));
    assert_ok(cr_live_state_add_region(&w->live, "us-west-2", FX_ACCOUNT));
    assert_int_equal(cr_plan_build(&w->plan, d, N, &w->live, &w->opts), CR_EINVALID);
    assert_non_null(strstr(cr_error_last(), "pools/p3.yaml:1:1: pool 'other' is also defined at "
                                            "pools/p2.yaml:1:1"));
    /* without the repeats, the same names in two regions plan fine */
    assert_ok(cr_plan_build(&w->plan, d, 3, &w->live, &w->opts));
    assert_int_equal(w->plan.n_create, 3);
    for (size_t i = 0; i < N; i++)
        cr_desired_pool_dispose(&d[i]);
}

static void test_diff__reserved_tag_keys_are_rejected(void **state)
{
    struct world *w = *state;
    fx_set(&w->d.tags, "cognito-reconcile:stack", "x");
    assert_int_equal(cr_desired_normalise(&w->d), CR_EINVALID);
    assert_non_null(strstr(cr_error_last(), "reserved"));
}

/* Each of a thousand pools is matched to its own live twin. How fast: bench/plan_scale (a
 * unit test makes no timing claims). */
static void test_diff__a_thousand_pools_half_of_them_renamed(void **state)
{
    enum { N = 1000 };
    struct cr_desired_pool *d = calloc(N, sizeof(*d));
    struct cr_live_state live;
    struct cr_plan plan;
    struct cr_plan_options opts = {.stack = "default", .region = FX_REGION};
    assert_non_null(d);
    cr_live_state_init(&live);
    assert_ok(cr_live_state_add_region(&live, FX_REGION, FX_ACCOUNT));
    for (int i = 0; i < N; i++) {
        char name[32], id[64];
        snprintf(name, sizeof(name), "pool-%04d", i);
        snprintf(id, sizeof(id), "us-east-1:%08d-2222-3333-4444-555555555555", i);
        fx_desired(&d[i]);
        free(d[i].name);
        d[i].name = strdup(name);
        struct fx_live l;
        fx_live_init(&l, id, "default", name);
        if (i % 2) /* every other pool was renamed by hand */
            l.config.name[0] = 'X';
        assert_ok(
            cr_live_state_add(NULL, &live, FX_REGION, &l.config, &l.roles, l.ptags, l.n_ptags));
        fx_live_dispose(&l);
    }
    assert_ok(cr_plan_build(&plan, d, N, &live, &opts));
    assert_int_equal(plan.n_update, N / 2);
    assert_int_equal(plan.n_ops, N / 2);
    cr_plan_dispose(&plan);
    cr_live_state_dispose(&live);
    for (int i = 0; i < N; i++)
        cr_desired_pool_dispose(&d[i]);
    free(d);
}

/* metadata.id lookups go through a sorted index: many adopted pools, listed in reverse, each
 * get their own pool (and only the ownership TagResource), and an id of another region is not
 * found. */
static void test_diff__many_pools_adopted_by_id_each_find_their_pool(void **state)
{
    enum { N = 200 };
    struct cr_desired_pool *d = calloc(N, sizeof(*d));
    struct cr_live_state live;
    struct cr_plan plan;
    struct cr_plan_options opts = {.stack = "default", .region = FX_REGION};
    char name[32], id[64];
    assert_non_null(d);
    cr_live_state_init(&live);
    assert_ok(cr_live_state_add_region(&live, FX_REGION, FX_ACCOUNT));
    for (int i = N - 1; i >= 0; i--) {
        snprintf(id, sizeof(id), "us-east-1:%08d-2222-3333-4444-555555555555", i * 7 % N);
        struct fx_live l;
        fx_live_init(&l, id, NULL, NULL); /* untagged: made by hand */
        assert_ok(
            cr_live_state_add(NULL, &live, FX_REGION, &l.config, &l.roles, l.ptags, l.n_ptags));
        fx_live_dispose(&l);
    }
    for (int i = 0; i < N; i++) {
        snprintf(name, sizeof(name), "pool-%04d", i);
        snprintf(id, sizeof(id), "us-east-1:%08d-2222-3333-4444-555555555555", i);
        fx_desired(&d[i]);
        free(d[i].name);
        d[i].name = strdup(name);
        d[i].adopt_id = strdup(id);
    }
    assert_ok(cr_plan_build(&plan, d, N, &live, &opts));
    assert_int_equal(plan.n_ops, N);
    for (int i = 0; i < N; i++) {
        assert_string_equal(plan.pools[i].pool_id, d[i].adopt_id);
        assert_true(plan.pools[i].adopted);
        assert_int_equal(plan.ops[plan.pools[i].first_op].kind, CR_PLAN_OP_TAG);
    }
    cr_plan_dispose(&plan);
    free(d[0].region);
    d[0].region = strdup("eu-west-1");
    assert_ok(cr_live_state_add_region(&live, "eu-west-1", FX_ACCOUNT));
    assert_int_equal(cr_plan_build(&plan, d, N, &live, &opts), CR_ENOTFOUND);
    assert_non_null(strstr(cr_error_last(), "is not an identity pool in eu-west-1"));
    cr_live_state_dispose(&live);
    for (int i = 0; i < N; i++)
        cr_desired_pool_dispose(&d[i]);
    free(d);
}

static void test_diff__pools_in_two_regions_are_matched_in_their_own_region(void **state)
{
    struct world *w = *state;
    struct cr_desired_pool eu;
    struct fx_live l_eu;
    fx_desired(&eu);
    eu.region = strdup("eu-west-1");
    /* the same logical name lives in both regions; only the EU one changes */
    fx_live_init(&l_eu, "eu-west-1:11111111-2222-3333-4444-555555555555", "default", "mobile");
    free(l_eu.config.name);
    l_eu.config.name = strdup("Old EU Name");
    cr_live_state_dispose(&w->live);
    cr_live_state_init(&w->live);
    fx_live_add(&w->live, &w->l);
    assert_ok(cr_live_state_add_region(&w->live, "eu-west-1", FX_ACCOUNT));
    assert_ok(cr_live_state_add(NULL, &w->live, "eu-west-1", &l_eu.config, &l_eu.roles, l_eu.ptags,
                                l_eu.n_ptags));
    struct cr_desired_pool both[2] = {w->d, eu};
    assert_ok(cr_plan_build(&w->plan, both, 2, &w->live, &w->opts));
    assert_int_equal(w->plan.regions.len, 2);
    assert_int_equal(w->plan.n_ops, 1);
    const struct cr_plan_pool *p = &w->plan.pools[w->plan.ops[0].pool];
    assert_string_equal(p->region, "eu-west-1");
    assert_string_equal(p->pool_id, l_eu.config.id);
    assert_int_equal(w->plan.pools[0].action, CR_PLAN_NOOP);
    cr_desired_pool_dispose(&eu);
    fx_live_dispose(&l_eu);
}

static void test_diff__a_region_that_was_not_read_is_an_error(void **state)
{
    struct world *w = *state;
    cr_live_state_dispose(&w->live);
    cr_live_state_init(&w->live); /* nothing listed anywhere */
    assert_int_equal(cr_plan_build(&w->plan, &w->d, 1, &w->live, &w->opts), CR_EINVALID);
    assert_non_null(strstr(cr_error_last(), "region us-east-1 was not read"));
}

static void test_diff__two_manifests_cannot_claim_one_pool(void **state)
{
    struct world *w = *state;
    /* "mobile" finds the pool by its name tag; "other" adopts the same pool by id */
    struct cr_desired_pool other;
    fx_desired(&other);
    free(other.name);
    other.name = strdup("other");
    free(other.source);
    other.source = strdup("pools/other.yaml:1:1");
    other.adopt_id = strdup(FX_ID);
    cr_live_state_dispose(&w->live);
    cr_live_state_init(&w->live);
    fx_live_add(&w->live, &w->l);
    struct cr_desired_pool both[2] = {w->d, other};
    assert_int_equal(cr_plan_build(&w->plan, both, 2, &w->live, &w->opts), CR_ECONFLICT);
    assert_non_null(strstr(cr_error_last(), "pools/other.yaml:1:1"));
    assert_non_null(strstr(cr_error_last(), "already claimed"));
    cr_desired_pool_dispose(&other);
}

#define T(name) cmocka_unit_test_setup_teardown(name, setup, teardown)

int main(void)
{
    const struct CMUnitTest tests[] = {
        T(test_diff__matching_live_state_plans_nothing),
        T(test_diff__missing_pool_is_created_with_every_tag_inside_create),
        T(test_diff__rename_is_an_in_place_update),
        T(test_diff__each_pool_field_is_compared),
        T(test_diff__removed_list_entries_and_providers_show_as_removals),
        T(test_diff__sets_are_order_insensitive_and_absent_means_false),
        T(test_diff__allow_classic_flow_has_three_live_states),
        T(test_diff__role_change_is_one_set_identity_pool_roles),
        T(test_diff__token_mapping_and_rule_order_are_compared),
        T(test_diff__removed_mapping_and_cleared_roles),
        T(test_diff__absent_sections_are_left_alone),
        T(test_diff__principal_tags_are_set_per_provider_and_cleared_when_undeclared),
        T(test_diff__tags_added_changed_removed_then_ownership_kept),
        T(test_diff__missing_ownership_tag_is_restored_even_if_tags_unmanaged),
        T(test_diff__revision_tag_is_written_only_with_other_changes),
        T(test_diff__untag_runs_first_when_tagging_first_would_pass_50_tags),
        T(test_diff__a_pool_that_would_hold_more_than_50_tags_is_refused),
        T(test_diff__adopting_an_untagged_pool_adds_ownership_tags),
        T(test_diff__adopting_another_stacks_pool_is_refused),
        T(test_diff__another_stacks_pool_with_the_same_name_is_untouched),
        T(test_diff__two_owned_pools_with_one_name_are_ambiguous),
        T(test_diff__prune_deletes_owned_orphans_only_when_asked),
        T(test_diff__changing_developer_provider_name_is_a_refused_replacement),
        T(test_diff__replacing_an_adopted_pool_says_metadata_id_goes_stale),
        T(test_diff__setting_a_developer_provider_name_once_is_in_place),
        T(test_diff__mapping_of_a_removed_provider_is_dropped_before_the_update),
        T(test_diff__added_provider_is_mapped_after_the_update),
        T(test_diff__added_provider_s_principal_tag_map_is_always_written),
        T(test_diff__fingerprint_follows_the_live_state),
        T(test_diff__duplicate_manifest_names_are_invalid),
        T(test_diff__the_first_repeated_name_is_reported_per_region),
        T(test_diff__reserved_tag_keys_are_rejected),
        T(test_diff__pools_in_two_regions_are_matched_in_their_own_region),
        T(test_diff__a_region_that_was_not_read_is_an_error),
        T(test_diff__two_manifests_cannot_claim_one_pool),
        cmocka_unit_test(test_diff__a_thousand_pools_half_of_them_renamed),
        cmocka_unit_test(test_diff__many_pools_adopted_by_id_each_find_their_pool),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
