/* SPDX-License-Identifier: Apache-2.0 */
/* source/: files and folders -> (display path, bytes) in a stable order. */
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
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
    assert_ok(cr_source_collect(&list, paths, 1, NULL));
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
    assert_ok(cr_source_collect(&list, paths, 2, NULL));
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
    int rc = cr_source_collect(&list, NULL, 0, NULL);
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
    assert_int_equal(cr_source_collect(&list, paths, 1, NULL), CR_ENOTFOUND);
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
    assert_ok(cr_source_collect(&list, paths, 1, &(struct cr_source_options){.max_file_bytes = 4}));
    assert_int_equal(list.len, 1);
    assert_true(list.items[0].truncated);
    assert_int_equal(list.items[0].bytes.len, 5); /* cap + 1: enough to see it is over */
    assert_int_equal(list.items[0].bytes.ptr[5], '\0');
    cr_source_list_dispose(&list);
    /* At or under the cap: whole and not truncated. */
    cr_source_list_init(&list);
    assert_ok(cr_source_collect(&list, paths, 1, NULL));
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
    assert_ok(cr_source_collect(&list, paths, 1, NULL));
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

/* Paths met and not read: each listed with its kind and reason. */
static void test_source__skips_are_listed(void **state)
{
    char *root = cr_test_tmpdir();
    char path[4096];
    assert_non_null(root);
    snprintf(path, sizeof(path), "%s/ok.yaml", root);
    assert_int_equal(cr_test_write_file(path, "ok"), 0);
    snprintf(path, sizeof(path), "%s/UPPER.YAML", root);
    assert_int_equal(cr_test_write_file(path, "upper"), 0);
    snprintf(path, sizeof(path), "%s/pipe.yaml", root);
    assert_int_equal(mkfifo(path, 0600), 0);
    snprintf(path, sizeof(path), "%s/old/x.yaml", root);
    assert_int_equal(cr_test_write_file(path, "old"), 0);
    snprintf(path, sizeof(path), "%s/.cognito-reconcile-ignore", root);
    assert_int_equal(cr_test_write_file(path, "old/\n"), 0);
    struct cr_source_list list;
    cr_source_list_init(&list);
    const char *paths[] = {root};
    /* The FIFO in the folder is not opened (it would block): listed, like the other two. */
    assert_ok(cr_source_collect(&list, paths, 1, NULL));
    assert_int_equal(list.len, 1);
    assert_int_equal(list.n_skips, 3);
    assert_int_equal(list.skipped, 2); /* UPPER.YAML and the FIFO; old/ is excluded */
    const char *want[][2] = {{"UPPER.YAML", "not read: only names ending in .yaml or .yml are"},
                             {"old", "excluded by "},
                             {"pipe.yaml", "a named pipe (FIFO)"}};
    for (size_t i = 0; i < 3; i++) {
        snprintf(path, sizeof(path), "%s/%s", root, want[i][0]);
        assert_string_equal(list.skips[i].display_path, path);
        assert_non_null(strstr(list.skips[i].reason, want[i][1]));
        assert_false(list.skips[i].named);
    }
    assert_int_equal(list.skips[1].kind, CR_SOURCE_SKIP_EXCLUDED);
    cr_source_list_dispose(&list);
    /* Named on the command line: the FIFO is an error at once; an excluded file is listed. */
    snprintf(path, sizeof(path), "%s/pipe.yaml", root);
    const char *fifo[] = {path};
    cr_source_list_init(&list);
    assert_int_equal(cr_source_collect(&list, fifo, 1, NULL), CR_EINVALID);
    assert_non_null(strstr(cr_error_last(), "is a named pipe (FIFO), not a file"));
    cr_source_list_dispose(&list);
    /* From the folder (outside a git work tree the ignore files count from the current
     * folder down): a file in an excluded folder, named explicitly; --exclude. */
    char cwd[4096];
    assert_non_null(getcwd(cwd, sizeof(cwd)));
    assert_int_equal(chdir(root), 0);
    const char *old[] = {"old/x.yaml"};
    cr_source_list_init(&list);
    int rc = cr_source_collect(&list, old, 1, NULL);
    size_t len = list.len, n_skips = list.n_skips;
    bool named = n_skips == 1 && list.skips[0].named;
    bool why = n_skips == 1 &&
               strcmp(list.skips[0].reason,
                      "excluded by .cognito-reconcile-ignore:1 ('old/')") == 0;
    cr_source_list_dispose(&list);
    const char *here[] = {"."};
    const char *ex[] = {"ok.yaml"};
    struct cr_source_options opts = {.excludes = ex, .n_excludes = 1};
    cr_source_list_init(&list);
    int rc2 = cr_source_collect(&list, here, 1, &opts);
    assert_int_equal(chdir(cwd), 0);
    assert_ok(rc);
    assert_int_equal(len, 0);
    assert_true(named && why);
    assert_ok(rc2);
    assert_int_equal(list.len, 0);
    assert_string_equal(list.skips[1].reason, "excluded by --exclude 'ok.yaml'");
    cr_source_list_dispose(&list);
    cr_test_rmtree(root);
    free(root);
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
        cmocka_unit_test(test_source__skips_are_listed),
    };
    return cmocka_run_group_tests(tests, s_setup, s_teardown);
}
