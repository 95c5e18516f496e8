/* SPDX-License-Identifier: Apache-2.0 */
/*
 * Saved plans: `plan --out FILE` writes the plan with the fingerprint of every pool's live
 * state, the manifests it was computed from and the stack's pools it saw; `apply FILE` loads
 * it, reads live state again and refuses when anything changed, when a pool of the stack
 * appeared, or when the saved calls are not what the recorded manifests give (an edited
 * file). The digest pins a reviewed plan.
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

/* ---- what a saved plan records, and edits of it ---- */

/* The text cr_plan_save writes for plan. */
static void s_saved_text(struct cr_buf *out, const struct cr_plan *plan)
{
    char *dir = NULL;
    char *path = save_to_tmp(plan, &dir);
    assert_ok(cr_buf_read_file(out, path, 1 << 24));
    cr_test_rmtree(dir);
    free(dir);
    free(path);
}

static void test_plan__saved_plan_records_its_manifests_and_digest(void **state)
{
    struct fx_world *w = *state;
    struct cr_buf text = CR_BUF_INIT;
    struct cr_plan loaded;
    char a[CR_PLAN_DIGEST_LEN + 1], b[CR_PLAN_DIGEST_LEN + 1], c[CR_PLAN_DIGEST_LEN + 1];
    s_saved_text(&text, &w->plan);
    assert_ok(cr_plan_load_text(&loaded, text.ptr, text.len, "saved.json"));
    assert_int_equal(loaded.n_desired, 3);
    assert_string_equal(loaded.desired[0].name, "mobile");
    assert_string_equal(loaded.desired[0].region, FX_REGION); /* resolved */
    assert_string_equal(loaded.desired[0].config.name, "Mobile App");
    assert_true(loaded.desired[0].manage_roles && loaded.desired[0].manage_tags);
    assert_false(loaded.desired[2].manage_roles); /* dev leaves roles alone */
    assert_true(loaded.prune && loaded.allow_replace);
    assert_int_equal(loaded.listed.len, 1);
    assert_int_equal(loaded.owned.len, 3); /* mobile, dev and legacy */
    assert_string_equal(cr_strmap_get(&loaded.owned, FX_ID), "mobile");
    /* the digest: the same for the plan, the file's operations and the loaded plan */
    json_t *doc = json_loadb(text.ptr, text.len, 0, NULL);
    assert_ok(cr_plan_digest(a, &w->plan));
    assert_ok(cr_plan_digest_ops(b, json_object_get(doc, "operations")));
    assert_ok(cr_plan_digest(c, &loaded));
    assert_string_equal(a, b);
    assert_string_equal(a, c);
    assert_string_equal(json_string_value(json_object_get(doc, "digest")), a);
    assert_true(cr_plan_digest_valid(a));
    json_decref(doc);
    /* computed again from what it records and the same live state: the same plan */
    struct cr_plan now;
    assert_ok(cr_plan_rederive(&now, &loaded, &w->live));
    assert_ok(cr_plan_digest(c, &now));
    assert_string_equal(a, c);
    cr_plan_dispose(&now);
    cr_plan_dispose(&loaded);
    cr_buf_dispose(&text);
}

static void test_plan__digest_covers_the_calls_and_nothing_else(void **state)
{
    (void)state;
    char a[CR_PLAN_DIGEST_LEN + 1], b[CR_PLAN_DIGEST_LEN + 1];
    /* member order, whitespace and the members outside the definition do not count */
    json_t *x = json_loads("[{\"action\":\"tag\",\"pool\":\"p\",\"region\":\"r\",\"pool_id\":null,"
                           "\"replace\":false,\"parameters\":{\"A\":\"1\",\"B\":[true,1]},"
                           "\"index\":0,\"changes\":[]}]",
                           0, NULL);
    json_t *y = json_loads("[ {\"parameters\": {\"B\": [true, 1], \"A\": \"1\"}, \"replace\": "
                           "false, \"pool_id\": null, \"region\": \"r\", \"pool\": \"p\", "
                           "\"action\": \"tag\", \"operation\": \"TagResource\"} ]",
                           0, NULL);
    assert_ok(cr_plan_digest_ops(a, x));
    assert_ok(cr_plan_digest_ops(b, y));
    assert_string_equal(a, b);
    /* every covered member counts */
    static const char *const members[] = {"action", "pool",    "account",
                                          "region", "pool_id", "replace"};
    for (size_t i = 0; i < sizeof(members) / sizeof(*members); i++) {
        json_t *z = json_deep_copy(y);
        json_object_set_new(json_array_get(z, 0), members[i], json_string("other"));
        assert_ok(cr_plan_digest_ops(b, z));
        assert_string_not_equal(a, b);
        json_decref(z);
    }
    json_object_set_new(json_object_get(json_array_get(y, 0), "parameters"), "A", json_string("2"));
    assert_ok(cr_plan_digest_ops(b, y));
    assert_string_not_equal(a, b);
    /* a fraction has no one canonical text: refused */
    json_object_set_new(json_object_get(json_array_get(y, 0), "parameters"), "A", json_real(0.5));
    assert_int_equal(cr_plan_digest_ops(b, y), CR_EINVALID);
    assert_true(
        cr_plan_digest_equal("sha256:"
                             "ABCDEF0123456789abcdef0123456789abcdef0123456789abcdef0123456789",
                             "sha256:"
                             "abcdef0123456789abcdef0123456789abcdef0123456789abcdef0123456789"));
    assert_false(cr_plan_digest_valid("sha256:abc"));
    assert_false(
        cr_plan_digest_valid("md5:"
                             "abcdef0123456789abcdef0123456789abcdef0123456789abcdef0123456789"));
    json_decref(x);
    json_decref(y);
}

/* The operation of the saved plan with this action, of pool `pool`. */
static json_t *s_find_op(json_t *doc, const char *action, const char *pool)
{
    size_t i;
    json_t *op;
    json_array_foreach(json_object_get(doc, "operations"), i, op)
    {
        if (strcmp(json_string_value(json_object_get(op, "action")), action) == 0 &&
            strcmp(json_string_value(json_object_get(op, "pool")), pool) == 0)
            return op;
    }
    fail_msg("no %s operation for pool %s", action, pool);
    return NULL;
}

enum s_edit {
    S_RENAME,         /* the Update renames the pool to something else */
    S_DEVELOPER_NAME, /* the Update sets a DeveloperProviderName (unchangeable afterwards) */
    S_OWNERSHIP,      /* the TagResource moves the pool to another stack */
    S_DROP,           /* an operation is removed */
    S_EXTRA_MEMBER,   /* a parameter the encoder never writes */
};

static void s_edit(json_t *doc, enum s_edit edit)
{
    json_t *update = s_find_op(doc, "update", "mobile");
    json_t *params = json_object_get(update, "parameters");
    json_t *tag = s_find_op(doc, "tag", "mobile");
    size_t i;
    json_t *op;
    switch (edit) {
    case S_RENAME:
        json_object_set_new(params, "IdentityPoolName", json_string("Evil Twin"));
        break;
    case S_DEVELOPER_NAME:
        json_object_set_new(params, "DeveloperProviderName", json_string("login.attacker"));
        break;
    case S_OWNERSHIP:
        json_object_set_new(json_object_get(json_object_get(tag, "parameters"), "Tags"),
                            CR_TAG_STACK, json_string("other"));
        break;
    case S_DROP:
        json_array_foreach(json_object_get(doc, "operations"), i, op)
        {
            if (op == tag)
                break;
        }
        json_array_remove(json_object_get(doc, "operations"), i);
        break;
    case S_EXTRA_MEMBER:
    default:
        json_object_set_new(params, "Bogus", json_true());
        break;
    }
}

/* The saved plan of the world with one edit; fix_digest: the editor also recomputes the
 * recorded digest (anyone can). Loads it into out; returns cr_plan_load_text's result. */
static int s_load_edited(struct cr_plan *out, struct fx_world *w, enum s_edit edit, bool fix_digest)
{
    struct cr_buf text = CR_BUF_INIT;
    char digest[CR_PLAN_DIGEST_LEN + 1];
    s_saved_text(&text, &w->plan);
    json_t *doc = json_loadb(text.ptr, text.len, 0, NULL);
    assert_non_null(doc);
    s_edit(doc, edit);
    if (fix_digest) {
        assert_ok(cr_plan_digest_ops(digest, json_object_get(doc, "operations")));
        json_object_set_new(doc, "digest", json_string(digest));
    }
    char *edited = json_dumps(doc, JSON_INDENT(2));
    int rc = cr_plan_load_text(out, edited, strlen(edited), "edited.json");
    free(edited);
    json_decref(doc);
    cr_buf_dispose(&text);
    return rc;
}

/* An edited file whose digest was recomputed loads, its live state has not changed, and
 * yet apply refuses it: its calls are not what its manifests give. */
static void s_expect_rederive_refuses(struct fx_world *w, enum s_edit edit, const char *needle)
{
    struct cr_plan edited, now;
    assert_ok(s_load_edited(&edited, w, edit, true));
    assert_ok(cr_plan_verify(&edited, &w->live));
    assert_int_equal(cr_plan_rederive(&now, &edited, &w->live), CR_ECONFLICT);
    if (!strstr(cr_error_last(), needle) || !strstr(cr_error_last(), "run plan again")) {
        print_error("message '%s' lacks '%s'\n", cr_error_last(), needle);
        fail();
    }
    assert_int_equal(now.n_ops, 0);
    cr_plan_dispose(&edited);
}

static void test_plan__edited_calls_are_refused_before_any_write(void **state)
{
    struct fx_world *w = *state;
    s_expect_rederive_refuses(w, S_RENAME, "\"IdentityPoolName\":\"Evil Twin\"");
    s_expect_rederive_refuses(w, S_DEVELOPER_NAME, "login.attacker");
    s_expect_rederive_refuses(w, S_OWNERSHIP, "\"cognito-reconcile:stack\":\"other\"");
    s_expect_rederive_refuses(w, S_DROP, "pool 'mobile': 2 calls, not 3");
}

static void test_plan__an_edit_without_the_digest_is_refused_on_load(void **state)
{
    struct fx_world *w = *state;
    struct cr_plan edited;
    assert_int_equal(s_load_edited(&edited, w, S_RENAME, false), CR_EINVALID);
    assert_non_null(strstr(cr_error_last(), "edited.json: saved plan: digest"));
    assert_non_null(strstr(cr_error_last(), "edited after the plan was made"));
    /* a member cognito-reconcile never sends is not part of what it applies: refused even
     * with the digest recomputed */
    assert_int_equal(s_load_edited(&edited, w, S_EXTRA_MEMBER, true), CR_EINVALID);
    assert_non_null(strstr(cr_error_last(), "operations[0]: not what cognito-reconcile sends"));
}

/* Someone who edits the recorded manifests and the calls consistently (and the digest) gets
 * past the re-derivation; the digest pin is what catches that. */
static void test_plan__a_consistent_edit_changes_the_digest(void **state)
{
    struct fx_world *w = *state;
    struct cr_buf text = CR_BUF_INIT;
    struct cr_plan edited, now;
    char reviewed[CR_PLAN_DIGEST_LEN + 1], digest[CR_PLAN_DIGEST_LEN + 1];
    assert_ok(cr_plan_digest(reviewed, &w->plan));
    s_saved_text(&text, &w->plan);
    json_t *doc = json_loadb(text.ptr, text.len, 0, NULL);
    json_t *d0 = json_array_get(json_object_get(doc, "desired"), 0);
    json_object_set_new(json_object_get(d0, "config"), "IdentityPoolName",
                        json_string("Evil Twin"));
    s_edit(doc, S_RENAME);
    assert_ok(cr_plan_digest_ops(digest, json_object_get(doc, "operations")));
    json_object_set_new(doc, "digest", json_string(digest));
    char *out = json_dumps(doc, 0);
    assert_ok(cr_plan_load_text(&edited, out, strlen(out), "edited.json"));
    assert_ok(cr_plan_rederive(&now, &edited, &w->live));
    assert_ok(cr_plan_digest(digest, &now));
    assert_false(cr_plan_digest_equal(digest, reviewed)); /* --expect-digest refuses it */
    cr_plan_dispose(&now);
    cr_plan_dispose(&edited);
    free(out);
    json_decref(doc);
    cr_buf_dispose(&text);
}

/* The live state of the world with one more pool tagged (stack, name), or with mobile's name
 * tag changed. */
static int s_verify_with_pool(struct fx_world *w, const char *stack, const char *name,
                              const char *mobile_name)
{
    struct fx_live extra;
    struct cr_live_state now;
    cr_live_state_init(&now);
    fx_live_init(&extra, "us-east-1:99999999-2222-3333-4444-555555555555", stack, name);
    if (mobile_name)
        fx_set(&w->mobile.config.tags, CR_TAG_NAME, mobile_name);
    fx_live_add(&now, &w->mobile);
    fx_live_add(&now, &w->dev);
    fx_live_add(&now, &w->legacy);
    if (stack)
        fx_live_add(&now, &extra);
    int rc = cr_plan_verify(&w->plan, &now);
    cr_live_state_dispose(&now);
    fx_live_dispose(&extra);
    return rc;
}

static void test_plan__a_pool_of_the_stack_created_meanwhile_makes_the_plan_stale(void **state)
{
    struct fx_world *w = *state;
    /* an unrelated pool of another stack does not matter */
    assert_ok(s_verify_with_pool(w, "other", "mobile", NULL));
    /* a new pool of the stack does, whatever its name */
    assert_int_equal(s_verify_with_pool(w, "default", "intruder", NULL), CR_ECONFLICT);
    assert_non_null(strstr(cr_error_last(), "us-east-1:99999999"));
    assert_non_null(strstr(cr_error_last(), "appeared since the plan was made"));
    /* one that claims a name the plan manages */
    assert_int_equal(s_verify_with_pool(w, "default", "mobile", NULL), CR_ECONFLICT);
    assert_non_null(strstr(cr_error_last(), "(name tag 'mobile') appeared"));
}

static void test_plan__a_retagged_pool_of_the_stack_makes_the_plan_stale(void **state)
{
    struct fx_world *w = *state;
    /* legacy (pruned) keeps its fingerprint check; the inventory sees a name tag change too */
    assert_int_equal(s_verify_with_pool(w, NULL, NULL, "renamed"), CR_ECONFLICT);
    assert_non_null(strstr(cr_error_last(), "'mobile'"));
}

/* Every truncation and many single-byte corruptions of a real saved plan either load or are
 * refused with CR_EINVALID; none crashes or leaks (run under ASan in CI). */
static void test_plan__truncated_and_corrupted_plans_fail_cleanly(void **state)
{
    struct fx_world *w = *state;
    struct cr_buf text = CR_BUF_INIT;
    s_saved_text(&text, &w->plan);
    size_t loaded = 0, refused = 0;
    for (size_t len = 0; len + 1 < text.len; len += 61) { /* the final newline is no JSON */
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
        T(test_plan__saved_plan_records_its_manifests_and_digest),
        cmocka_unit_test(test_plan__digest_covers_the_calls_and_nothing_else),
        T(test_plan__edited_calls_are_refused_before_any_write),
        T(test_plan__an_edit_without_the_digest_is_refused_on_load),
        T(test_plan__a_consistent_edit_changes_the_digest),
        T(test_plan__a_pool_of_the_stack_created_meanwhile_makes_the_plan_stale),
        T(test_plan__a_retagged_pool_of_the_stack_makes_the_plan_stale),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
