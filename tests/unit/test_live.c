/* SPDX-License-Identifier: Apache-2.0 */
/* The live snapshot: ownership parsed from tags, lookups, and fingerprints that depend on
 * what the service holds, not on the order it lists it in. */
#include "tests/unit/test_plan_fixture.h"

static void test_live__ownership_comes_from_the_tags(void **state)
{
    struct cr_live_state live;
    struct fx_live l;
    struct cr_live_pool *p = NULL;
    cr_live_state_init(&live);
    fx_live_init(&l, FX_ID, "payments", "web");
    fx_set(&l.config.tags, CR_TAG_REVISION, "abc");
    assert_ok(cr_live_state_add(&p, &live, FX_REGION, &l.config, NULL, NULL, 0));
    assert_string_equal(p->stack, "payments");
    assert_string_equal(p->name, "web");
    assert_string_equal(p->revision, "abc");
    assert_string_equal(p->region, FX_REGION);
    assert_false(p->has_roles);
    assert_false(p->has_principal_tags);
    assert_ptr_equal(cr_live_find_id(&live, FX_ID), p);
    assert_null(cr_live_find_id(&live, "us-east-1:00000000-0000-0000-0000-000000000000"));
    /* regions are recorded once, with their account id */
    assert_ok(cr_live_state_add_region(&live, FX_REGION, FX_ACCOUNT));
    assert_ok(cr_live_state_add_region(&live, FX_REGION, NULL));
    assert_int_equal(live.regions.len, 1);
    assert_string_equal(cr_strmap_get(&live.account_ids, FX_REGION), FX_ACCOUNT);
    fx_live_dispose(&l);
    cr_live_state_dispose(&live);
}

static void test_live__take_moves_the_config_and_matches_add(void **state)
{
    struct cr_live_state live;
    struct fx_live l;
    struct cr_cognito_pool moved = {0};
    struct cr_live_pool *added = NULL, *taken = NULL;
    char fp_added[65], fp_taken[65];
    cr_live_state_init(&live);
    fx_live_init(&l, FX_ID, "payments", "web");
    assert_ok(cr_live_state_add(&added, &live, FX_REGION, &l.config, NULL, NULL, 0));
    assert_ok(cr_cognito_pool_copy(&moved, &l.config));
    char *id = moved.id;
    assert_ok(cr_live_state_take(&taken, &live, FX_REGION, &moved));
    /* moved, not copied: the caller's struct is emptied, the state holds its strings */
    assert_null(moved.id);
    assert_int_equal(moved.tags.len, 0);
    assert_ptr_equal(taken->config.id, id);
    assert_string_equal(taken->stack, "payments");
    assert_string_equal(taken->name, "web");
    assert_string_equal(taken->region, FX_REGION);
    assert_false(taken->has_roles);
    assert_int_equal(live.len, 2);
    assert_ok(cr_live_fingerprint(fp_added, added));
    assert_ok(cr_live_fingerprint(fp_taken, taken));
    assert_string_equal(fp_taken, fp_added);
    cr_cognito_pool_dispose(&moved); /* a no-op on the emptied struct */
    fx_live_dispose(&l);
    cr_live_state_dispose(&live);
}

/* Regions read apart are merged: pools move (their region string with them, as src's arena
 * goes), regions and account ids follow, and a region with no pool merges too. */
static void test_live__merge_moves_pools_regions_and_empty_regions(void **state)
{
    (void)state;
    struct cr_live_state dst, src, empty;
    struct fx_live l;
    struct cr_live_pool *p = NULL;
    cr_live_state_init(&dst);
    cr_live_state_init(&src);
    cr_live_state_init(&empty);
    fx_live_init(&l, FX_ID, "payments", "web");
    assert_ok(cr_live_state_add(&p, &src, FX_REGION, &l.config, NULL, NULL, 0));
    assert_ok(cr_live_state_add_region(&src, FX_REGION, FX_ACCOUNT));
    assert_ok(cr_live_state_add_region(&empty, "eu-west-1", NULL));
    assert_ok(cr_live_state_merge(&dst, &empty)); /* no pool, no array */
    assert_ok(cr_live_state_merge(&dst, &src));
    assert_int_equal(src.len, 0);
    cr_live_state_dispose(&src);
    cr_live_state_dispose(&empty);
    assert_int_equal(dst.len, 1);
    assert_ptr_equal(cr_live_find_id(&dst, FX_ID), p);
    assert_string_equal(p->region, FX_REGION); /* dst's copy: src is gone */
    assert_int_equal(dst.regions.len, 2);
    assert_string_equal(cr_strmap_get(&dst.account_ids, FX_REGION), FX_ACCOUNT);
    fx_live_dispose(&l);
    cr_live_state_dispose(&dst);
}

/* Merging a read of many pools into an empty state (one account's or region's read into the
 * run's): every pool moves, whatever the number (the array grows past its doubling step). */
static void test_live__merge_moves_many_pools(void **state)
{
    (void)state;
    enum { N = 100 };
    struct cr_live_state dst, src;
    struct fx_live l[N];
    char ids[N][64];
    cr_live_state_init(&dst);
    cr_live_state_init(&src);
    for (int i = 0; i < N; i++) {
        struct cr_live_pool *p = NULL;
        snprintf(ids[i], sizeof(ids[i]), "us-east-1:11111111-2222-3333-4444-%012d", i);
        fx_live_init(&l[i], ids[i], "default", "web");
        assert_ok(cr_live_state_add(&p, &src, FX_REGION, &l[i].config, NULL, NULL, 0));
    }
    assert_ok(cr_live_state_add_region(&src, FX_REGION, FX_ACCOUNT));
    assert_ok(cr_live_state_merge(&dst, &src));
    assert_int_equal(src.len, 0);
    cr_live_state_dispose(&src);
    assert_int_equal(dst.len, N);
    for (int i = 0; i < N; i++) {
        assert_non_null(cr_live_find_id(&dst, ids[i]));
        fx_live_dispose(&l[i]);
    }
    cr_live_state_dispose(&dst);
}

static void test_live__principal_tags_are_found_by_provider(void **state)
{
    struct cr_live_state live;
    struct fx_live l;
    struct cr_live_pool *p = NULL;
    cr_live_state_init(&live);
    fx_live_init(&l, FX_ID, "default", "mobile");
    assert_ok(cr_live_state_add(&p, &live, FX_REGION, &l.config, &l.roles, l.ptags, l.n_ptags));
    assert_true(p->has_roles);
    assert_true(p->has_principal_tags);
    const struct cr_cognito_principal_tags *pt = cr_live_principal_tags(p, FX_UP);
    assert_non_null(pt);
    assert_string_equal(cr_strmap_get(&pt->tags, "department"), "custom:department");
    assert_null(cr_live_principal_tags(p, "accounts.google.com"));
    fx_live_dispose(&l);
    cr_live_state_dispose(&live);
}

static void fingerprint_of(char out[65], const struct fx_live *l)
{
    struct cr_live_state live;
    struct cr_live_pool *p = NULL;
    cr_live_state_init(&live);
    assert_ok(cr_live_state_add(&p, &live, FX_REGION, &l->config, &l->roles, l->ptags, l->n_ptags));
    assert_ok(cr_live_fingerprint(out, p));
    cr_live_state_dispose(&live);
}

static void test_live__fingerprint_ignores_listing_order_but_not_content(void **state)
{
    struct fx_live a, b;
    char fa[65], fb[65], none[65], none2[65];
    fx_live_init(&a, FX_ID, "default", "mobile");
    fx_live_init(&b, FX_ID, "default", "mobile");
    fx_provider(&a.config, "cognito-idp.us-east-1.amazonaws.com/us-east-1_Zz", "c2", 0);
    /* b lists the same providers and maps in another order */
    struct cr_cognito_provider first = b.config.cognito_identity_providers[0];
    fx_provider(&b.config, "cognito-idp.us-east-1.amazonaws.com/us-east-1_Zz", "c2", 0);
    b.config.cognito_identity_providers[0] = b.config.cognito_identity_providers[1];
    b.config.cognito_identity_providers[1] = first;
    struct cr_cognito_principal_tags t = b.ptags[0];
    b.ptags[0] = b.ptags[2];
    b.ptags[2] = t;
    fingerprint_of(fa, &a);
    fingerprint_of(fb, &b);
    assert_string_equal(fa, fb);
    assert_int_equal(strlen(fa), 64);

    /* one tag value differs: another fingerprint */
    fx_set(&b.config.tags, "env", "staging");
    fingerprint_of(fb, &b);
    assert_string_not_equal(fa, fb);

    /* "no pool" has a fingerprint of its own, always the same */
    assert_ok(cr_live_fingerprint(none, NULL));
    assert_ok(cr_live_fingerprint(none2, NULL));
    assert_string_equal(none, none2);
    assert_string_not_equal(none, fa);

    /* an unset AllowClassicFlow is not the same as false */
    a.config.allow_classic_flow = -1;
    fingerprint_of(fb, &a);
    assert_string_not_equal(fa, fb);
    fx_live_dispose(&a);
    fx_live_dispose(&b);
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_live__ownership_comes_from_the_tags),
        cmocka_unit_test(test_live__take_moves_the_config_and_matches_add),
        cmocka_unit_test(test_live__merge_moves_pools_regions_and_empty_regions),
        cmocka_unit_test(test_live__merge_moves_many_pools),
        cmocka_unit_test(test_live__principal_tags_are_found_by_provider),
        cmocka_unit_test(test_live__fingerprint_ignores_listing_order_but_not_content),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
