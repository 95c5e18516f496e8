/* SPDX-License-Identifier: Apache-2.0 */
/*
 * Saved plans: `plan --out FILE` writes the plan with the fingerprint of every pool's live
 * state; `apply FILE` loads it, reads live state again and refuses when anything changed.
 */
#include <stdio.h>

#include <jansson.h>

#include "reconcile/render.h"
#include "tests/unit/test_plan_fixture.h"

static int setup(void **state)
{
    *state = fx_world_new();
    return 0;
}

static int teardown(void **state)
{
    fx_world_free(*state);
    return 0;
}

static char *save_to_tmp(const struct cr_plan *plan, char **dir)
{
    *dir = cr_test_tmpdir();
    assert_non_null(*dir);
    char *path = malloc(strlen(*dir) + 32);
    sprintf(path, "%s/plan.json", *dir);
    assert_ok(cr_plan_save(plan, path));
    return path;
}

static void test_plan__saved_plan_round_trips_exactly(void **state)
{
    struct fx_world *w = *state;
    char *dir = NULL;
    char *path = save_to_tmp(&w->plan, &dir);
    struct cr_plan loaded;
    assert_ok(cr_plan_load(&loaded, path));

    assert_int_equal(loaded.n_pools, w->plan.n_pools);
    assert_int_equal(loaded.n_ops, w->plan.n_ops);
    assert_int_equal(loaded.n_replace, 1);
    assert_string_equal(loaded.revision, w->opts.revision);
    /* every call's request body is the same after the round trip */
    for (size_t i = 0; i < loaded.n_ops; i++) {
        struct cr_buf a = CR_BUF_INIT, b = CR_BUF_INIT;
        assert_ok(cr_plan_op_body(&a, &w->plan, &w->plan.ops[i], NULL));
        assert_ok(cr_plan_op_body(&b, &loaded, &loaded.ops[i], NULL));
        assert_string_equal(a.ptr, b.ptr);
        cr_buf_dispose(&a);
        cr_buf_dispose(&b);
    }
    /* and it renders the same, text and JSON */
    struct cr_buf t1 = CR_BUF_INIT, t2 = CR_BUF_INIT;
    assert_ok(cr_render_text(&t1, &w->plan, NULL));
    assert_ok(cr_render_text(&t2, &loaded, NULL));
    assert_string_equal(t1.ptr, t2.ptr);
    cr_buf_clear(&t1);
    cr_buf_clear(&t2);
    assert_ok(cr_render_json(&t1, &w->plan));
    assert_ok(cr_render_json(&t2, &loaded));
    assert_string_equal(t1.ptr, t2.ptr);
    cr_buf_dispose(&t1);
    cr_buf_dispose(&t2);

    cr_plan_dispose(&loaded);
    cr_test_rmtree(dir);
    free(dir);
    free(path);
}

static void test_plan__unchanged_live_state_verifies(void **state)
{
    struct fx_world *w = *state;
    assert_ok(cr_plan_verify(&w->plan, &w->live));
}

static void test_plan__changed_pool_makes_the_saved_plan_stale(void **state)
{
    struct fx_world *w = *state;
    /* someone renames "mobile" by hand after the plan was made */
    struct cr_live_state now;
    cr_live_state_init(&now);
    free(w->mobile.config.name);
    w->mobile.config.name = strdup("Renamed By Hand");
    fx_live_add(&now, &w->mobile);
    fx_live_add(&now, &w->dev);
    fx_live_add(&now, &w->legacy);
    assert_int_equal(cr_plan_verify(&w->plan, &now), CR_ECONFLICT);
    assert_non_null(strstr(cr_error_last(), "pool 'mobile'"));
    assert_non_null(strstr(cr_error_last(), "run plan again"));
    cr_live_state_dispose(&now);
}

static void test_plan__pool_created_meanwhile_makes_the_saved_plan_stale(void **state)
{
    struct fx_world *w = *state;
    /* "web" was to be created; another apply created it in the meantime */
    struct fx_live web;
    fx_live_init(&web, "us-east-1:ffffffff-2222-3333-4444-555555555555", "default", "web");
    struct cr_live_state now;
    cr_live_state_init(&now);
    fx_live_add(&now, &w->mobile);
    fx_live_add(&now, &w->dev);
    fx_live_add(&now, &w->legacy);
    fx_live_add(&now, &web);
    assert_int_equal(cr_plan_verify(&w->plan, &now), CR_ECONFLICT);
    assert_non_null(strstr(cr_error_last(), "pool 'web'"));
    cr_live_state_dispose(&now);
    fx_live_dispose(&web);
}

static void test_plan__pool_deleted_meanwhile_makes_the_saved_plan_stale(void **state)
{
    struct fx_world *w = *state;
    struct cr_live_state now;
    cr_live_state_init(&now);
    fx_live_add(&now, &w->mobile);
    fx_live_add(&now, &w->dev); /* legacy is gone already */
    assert_int_equal(cr_plan_verify(&w->plan, &now), CR_ECONFLICT);
    assert_non_null(strstr(cr_error_last(), "pool 'legacy'"));
    cr_live_state_dispose(&now);
}

static void test_plan__wants_of_a_saved_plan_read_what_the_plan_read(void **state)
{
    struct fx_world *w = *state;
    struct cr_plan_wants wants;
    assert_ok(cr_plan_wants_from_plan(&wants, &w->plan));
    assert_int_equal(wants.len, 4);
    assert_string_equal(wants.items[0].name, "mobile");
    assert_string_equal(wants.items[0].pool_id, FX_ID);
    assert_true(wants.items[0].roles);
    assert_true(wants.items[0].principal_tags);
    assert_int_equal(wants.items[0].providers->len, 3);
    assert_null(wants.items[1].pool_id); /* web: looked for by its name tag */
    assert_false(wants.items[2].roles);  /* dev does not manage roles */
    cr_plan_wants_dispose(&wants);
}

static void expect_invalid(const char *text, const char *needle)
{
    struct cr_plan plan;
    assert_int_equal(cr_plan_load_text(&plan, text, strlen(text), "saved.json"), CR_EINVALID);
    if (!strstr(cr_error_last(), needle) || !strstr(cr_error_last(), "saved.json")) {
        print_error("message '%s' lacks '%s'\n", cr_error_last(), needle);
        fail();
    }
    assert_int_equal(plan.n_ops, 0);
}

static void test_plan__malformed_saved_plans_are_refused_by_member(void **state)
{
    expect_invalid("{\"format_version\": \"1\", \"stack\": ", "not valid JSON");
    expect_invalid("[]", "must be a JSON object");
    expect_invalid("{\"format_version\": \"2\"}", "format_version");
    expect_invalid("{\"format_version\": \"1\", \"stack\": \"default\", \"regions\": [], "
                   "\"pools\": [{\"name\": \"x\"}], \"operations\": []}",
                   "pools[0].region");
    expect_invalid("{\"format_version\":\"1\",\"stack\":\"s\",\"regions\":[],\"pools\":[{"
                   "\"name\":\"x\",\"region\":\"r\",\"pool_id\":null,\"identity_pool_name\":null,"
                   "\"source\":null,\"note\":null,\"adopted\":false,\"action\":\"create\","
                   "\"fingerprint\":\"abc\"}],\"operations\":[]}",
                   "fingerprint");
    expect_invalid("{\"format_version\": \"1\", \"stack\": \"s\", \"stack\": \"t\"}",
                   "not valid JSON"); /* duplicate keys */
}

/* Replaces op i's action and one parameter of a real saved plan, loads it, and returns the
 * result; the message must name the place once. */
static int s_load_altered(struct fx_world *w, const char *action, const char *param, json_t *value)
{
    struct cr_buf text = CR_BUF_INIT;
    struct cr_plan plan;
    assert_ok(cr_render_json(&text, &w->plan));
    json_t *doc = json_loadb(text.ptr, text.len, 0, NULL);
    assert_non_null(doc);
    json_t *op = NULL;
    size_t i;
    json_array_foreach(json_object_get(doc, "operations"), i, op)
    {
        if (strcmp(json_string_value(json_object_get(op, "action")), "tag") == 0)
            break;
    }
    assert_non_null(op);
    json_object_set_new(op, "action", json_string(action));
    json_object_set_new(json_object_get(op, "parameters"), param, value);
    char *altered = json_dumps(doc, 0);
    int rc = cr_plan_load_text(&plan, altered, strlen(altered), "saved.json");
    if (rc == 0)
        cr_plan_dispose(&plan);
    free(altered);
    json_decref(doc);
    cr_buf_dispose(&text);
    return rc;
}

static void test_plan__bad_parameters_name_the_member_once(void **state)
{
    struct fx_world *w = *state;
    assert_int_equal(s_load_altered(w, "untag", "TagKeys", json_string("team")), CR_EINVALID);
    assert_non_null(strstr(cr_error_last(), "TagKeys must be an array"));
    /* the place once: "saved.json: saved plan: operations[N]: ..." */
    const char *first = strstr(cr_error_last(), "saved plan");
    assert_non_null(first);
    assert_null(strstr(first + 1, "saved plan"));
    assert_int_equal(s_load_altered(w, "untag", "TagKeys", json_pack("[i]", 1)), CR_EINVALID);
    assert_non_null(strstr(cr_error_last(), "TagKeys must hold strings"));
    assert_int_equal(s_load_altered(w, "tag", "ResourceArn", json_integer(7)), CR_EINVALID);
    assert_non_null(strstr(cr_error_last(), "ResourceArn: must be a string"));
    /* a decoder's complaint gets the place prefixed */
    assert_int_equal(s_load_altered(w, "tag", "Tags", json_string("x")), CR_EINVALID);
    assert_non_null(strstr(cr_error_last(), "saved.json: saved plan: operations["));
}

static void test_plan__unwritable_and_missing_files_name_the_path(void **state)
{
    struct fx_world *w = *state;
    struct cr_plan plan;
    assert_int_equal(cr_plan_load(&plan, "/nonexistent/plan.json"), CR_ENOTFOUND);
    assert_non_null(strstr(cr_error_last(), "/nonexistent/plan.json"));
    assert_int_equal(cr_plan_save(&w->plan, "/nonexistent/dir/plan.json"), CR_EIO);
    assert_non_null(strstr(cr_error_last(), "/nonexistent/dir/plan.json"));
}

/* Every truncation and many single-byte corruptions of a real saved plan either load or are
 * refused with CR_EINVALID; none crashes or leaks (run under ASan in CI). */
static void test_plan__truncated_and_corrupted_plans_fail_cleanly(void **state)
{
    struct fx_world *w = *state;
    struct cr_buf text = CR_BUF_INIT;
    assert_ok(cr_render_json(&text, &w->plan));
    size_t loaded = 0, refused = 0;
    for (size_t len = 0; len < text.len; len += 61) {
        struct cr_plan plan;
        int rc = cr_plan_load_text(&plan, text.ptr, len, "cut.json");
        assert_int_equal(rc, CR_EINVALID);
        refused++;
    }
    char *copy = malloc(text.len + 1);
    assert_non_null(copy);
    const char junk[] = {'"', '}', '[', '0', 'x', ',', '\\', ':'};
    for (size_t at = 0; at < text.len; at += 37) {
        struct cr_plan plan;
        memcpy(copy, text.ptr, text.len + 1);
        copy[at] = junk[at % sizeof(junk)];
        int rc = cr_plan_load_text(&plan, copy, text.len, "bad.json");
        assert_true(rc == 0 || rc == CR_EINVALID);
        if (rc == 0) {
            loaded++;
            cr_plan_dispose(&plan);
        } else {
            refused++;
            assert_non_null(strstr(cr_error_last(), "bad.json"));
        }
    }
    print_message("corruptions: %zu loaded, %zu refused\n", loaded, refused);
    free(copy);
    cr_buf_dispose(&text);
}

#define T(name) cmocka_unit_test_setup_teardown(name, setup, teardown)

int main(void)
{
    const struct CMUnitTest tests[] = {
        T(test_plan__saved_plan_round_trips_exactly),
        T(test_plan__unchanged_live_state_verifies),
        T(test_plan__truncated_and_corrupted_plans_fail_cleanly),
        T(test_plan__changed_pool_makes_the_saved_plan_stale),
        T(test_plan__pool_created_meanwhile_makes_the_saved_plan_stale),
        T(test_plan__pool_deleted_meanwhile_makes_the_saved_plan_stale),
        T(test_plan__wants_of_a_saved_plan_read_what_the_plan_read),
        cmocka_unit_test(test_plan__malformed_saved_plans_are_refused_by_member),
        T(test_plan__unwritable_and_missing_files_name_the_path),
        T(test_plan__bad_parameters_name_the_member_once),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
