/* SPDX-License-Identifier: Apache-2.0 */
/* source/: files and folders -> (display path, bytes) in a stable order. */
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "source/source.h"
#include "tests/support/cr_test.h"

struct s_fixture {
    char *root;
    char *outside;
};

static int s_setup(void **state)
{
    struct s_fixture *f = calloc(1, sizeof(*f));
    char path[4096];
    f->root = cr_test_tmpdir();
    f->outside = cr_test_tmpdir();
    if (f->root == NULL || f->outside == NULL)
        return -1;
    static const char *const files[] = {
        "b.yaml",    "a.yml",          "a/z.yaml", "a/b/deep.yaml",
        "notes.txt", ".hidden/x.yaml", "a.yaml",   "c/readme.md",
    };
    for (size_t i = 0; i < sizeof(files) / sizeof(files[0]); i++) {
        snprintf(path, sizeof(path), "%s/%s", f->root, files[i]);
        if (cr_test_write_file(path, files[i]) != 0)
            return -1;
    }
    snprintf(path, sizeof(path), "%s/secret.yaml", f->outside);
    if (cr_test_write_file(path, "outside") != 0)
        return -1;
    /* A link out of the tree (not followed) and a link inside it (a file read once). */
    char link[4096];
    snprintf(link, sizeof(link), "%s/out.yaml", f->root);
    if (symlink(path, link) != 0)
        return -1;
    snprintf(path, sizeof(path), "%s/b.yaml", f->root);
    snprintf(link, sizeof(link), "%s/c/link.yaml", f->root);
    if (symlink(path, link) != 0)
        return -1;
    /* A folder link back up the tree would loop if followed. */
    snprintf(link, sizeof(link), "%s/a/loop", f->root);
    if (symlink(f->root, link) != 0)
        return -1;
    *state = f;
    return 0;
}

static int s_teardown(void **state)
{
    struct s_fixture *f = *state;
    cr_test_rmtree(f->root);
    cr_test_rmtree(f->outside);
    free(f->root);
    free(f->outside);
    free(f);
    return 0;
}

static void test_source__folder_recursive_sorted(void **state)
{
    struct s_fixture *f = *state;
    struct cr_source_list list;
    cr_source_list_init(&list);
    const char *paths[] = {f->root};
    assert_ok(cr_source_collect(&list, paths, 1, 0));
    static const char *const want[] = {"a.yaml", "a.yml", "a/b/deep.yaml", "a/z.yaml", "b.yaml"};
    assert_int_equal(list.len, 5);
    for (size_t i = 0; i < list.len; i++) {
        char expect[4200];
        snprintf(expect, sizeof(expect), "%s/%s", f->root, want[i]);
        assert_string_equal(list.items[i].display_path, expect);
        assert_string_equal(cr_buf_cstr(&list.items[i].bytes), want[i]);
    }
    /* out.yaml points outside: skipped and counted; c/link.yaml is b.yaml again: once. */
    assert_int_equal(list.skipped, 1);
    cr_source_list_dispose(&list);
}

static void test_source__explicit_file_any_extension(void **state)
{
    struct s_fixture *f = *state;
    char path[4200];
    snprintf(path, sizeof(path), "%s/notes.txt", f->root);
    struct cr_source_list list;
    cr_source_list_init(&list);
    const char *paths[] = {path, path};
    assert_ok(cr_source_collect(&list, paths, 2, 0));
    assert_int_equal(list.len, 1);
    assert_string_equal(list.items[0].display_path, path);
    assert_string_equal(cr_buf_cstr(&list.items[0].bytes), "notes.txt");
    cr_source_list_dispose(&list);
}

static void test_source__current_folder_relative_paths(void **state)
{
    struct s_fixture *f = *state;
    char cwd[4096];
    assert_non_null(getcwd(cwd, sizeof(cwd)));
    char sub[4200];
    snprintf(sub, sizeof(sub), "%s/a", f->root);
    assert_int_equal(chdir(sub), 0);
    struct cr_source_list list;
    cr_source_list_init(&list);
    int rc = cr_source_collect(&list, NULL, 0, 0);
    assert_int_equal(chdir(cwd), 0);
    assert_ok(rc);
    assert_int_equal(list.len, 2);
    assert_string_equal(list.items[0].display_path, "b/deep.yaml");
    assert_string_equal(list.items[1].display_path, "z.yaml");
    cr_source_list_dispose(&list);
}

static void test_source__missing_path_is_clear(void **state)
{
    struct cr_source_list list;
    cr_source_list_init(&list);
    const char *paths[] = {"/nonexistent/manifests"};
    assert_int_equal(cr_source_collect(&list, paths, 1, 0), CR_ENOTFOUND);
    assert_string_equal(cr_error_last(), "path '/nonexistent/manifests' does not exist");
    assert_int_equal(list.len, 0);
    cr_source_list_dispose(&list);
}

static void test_source__size_cap(void **state)
{
    struct s_fixture *f = *state;
    char path[4200];
    snprintf(path, sizeof(path), "%s/a/z.yaml", f->root);
    struct cr_source_list list;
    cr_source_list_init(&list);
    const char *paths[] = {path};
    /* Listed, not fatal: the loader reports it with the other problems of the run. */
    assert_ok(cr_source_collect(&list, paths, 1, 4));
    assert_int_equal(list.len, 1);
    assert_true(list.items[0].truncated);
    assert_int_equal(list.items[0].bytes.len, 5); /* cap + 1: enough to see it is over */
    assert_int_equal(list.items[0].bytes.ptr[5], '\0');
    cr_source_list_dispose(&list);
    /* At or under the cap: whole and not truncated. */
    cr_source_list_init(&list);
    assert_ok(cr_source_collect(&list, paths, 1, 0));
    assert_int_equal(list.len, 1);
    assert_false(list.items[0].truncated);
    assert_in_range(list.items[0].bytes.len, 5, SIZE_MAX);
    cr_source_list_dispose(&list);
}

static void test_source__empty_folder(void **state)
{
    char *empty = cr_test_tmpdir();
    assert_non_null(empty);
    struct cr_source_list list;
    cr_source_list_init(&list);
    const char *paths[] = {empty};
    /* An empty manifest folder is how a stack is torn down (apply --prune): not an error. */
    assert_ok(cr_source_collect(&list, paths, 1, 0));
    assert_int_equal(list.len, 0);
    cr_source_list_dispose(&list);
    cr_test_rmtree(empty);
    free(empty);
}

static void test_source__in_memory_files(void **state)
{
    struct cr_source_list list;
    cr_source_list_init(&list);
    assert_ok(cr_source_list_add(&list, "rev:pool.yaml", "a: 1\n", 5));
    assert_int_equal(list.len, 1);
    assert_string_equal(list.items[0].display_path, "rev:pool.yaml");
    assert_int_equal(list.items[0].bytes.len, 5);
    cr_source_list_dispose(&list);
    cr_source_list_dispose(&list); /* safe twice */
}

static void test_source__shared_folder_rules(void **state)
{
    assert_true(cr_source_is_manifest_name("pool.yaml"));
    assert_true(cr_source_is_manifest_name("pool.yml"));
    assert_false(cr_source_is_manifest_name(".yaml"));
    assert_false(cr_source_is_manifest_name("pool.yaml.bak"));
    assert_false(cr_source_is_manifest_name("readme.md"));
    assert_true(cr_source_is_hidden_name(".git"));
    assert_false(cr_source_is_hidden_name("a.yaml"));
    assert_string_equal(cr_source_path_below("/r/a/b.yaml", "/r"), "a/b.yaml");
    assert_string_equal(cr_source_path_below("/r", "/r/"), "");
    assert_null(cr_source_path_below("/rx/b.yaml", "/r"));
    assert_null(cr_source_path_below("/b.yaml", "/r"));
    assert_string_equal(cr_source_path_below("/b.yaml", "/"), "b.yaml");
    assert_string_equal(cr_source_path_below("stacks/a.yaml", ""), "stacks/a.yaml");
    assert_null(cr_source_path_below("other/a.yaml", "stacks"));

    struct cr_source_list list;
    cr_source_list_init(&list);
    cr_source_list_sort(&list, 0); /* empty: items is NULL */
    assert_ok(cr_source_list_add(&list, "z.yaml", "", 0));
    assert_ok(cr_source_list_add(&list, "a/b.yaml", "", 0));
    assert_ok(cr_source_list_add(&list, "a.yaml", "", 0));
    cr_source_list_sort(&list, 1); /* the first item stays */
    assert_string_equal(list.items[0].display_path, "z.yaml");
    assert_string_equal(list.items[1].display_path, "a.yaml");
    assert_string_equal(list.items[2].display_path, "a/b.yaml");
    cr_source_list_dispose(&list);
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_source__folder_recursive_sorted),
        cmocka_unit_test(test_source__explicit_file_any_extension),
        cmocka_unit_test(test_source__current_folder_relative_paths),
        cmocka_unit_test(test_source__missing_path_is_clear),
        cmocka_unit_test(test_source__size_cap),
        cmocka_unit_test(test_source__empty_folder),
        cmocka_unit_test(test_source__in_memory_files),
        cmocka_unit_test(test_source__shared_folder_rules),
    };
    return cmocka_run_group_tests(tests, s_setup, s_teardown);
}
