/* SPDX-License-Identifier: Apache-2.0 */
/*
 * source/ignore.c: .cognito-reconcile-ignore and --exclude in gitignore syntax. Examples, and
 * a property test against git itself: random trees with random ignore files and --exclude
 * patterns, where the files we read must be exactly those `git ls-files --others
 * --exclude-per-directory=.cognito-reconcile-ignore --exclude=...` lists, each explicitly
 * named file must be excluded exactly when `git check-ignore` says it is ignored, and the
 * same tree committed and read with --git-ref must give the same files.
 */
#include <dirent.h>
#include <limits.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include "source/git.h"
#include "source/ignore.h"
#include "source/source.h"
#include "tests/support/cr_test.h"
#include "util/buf.h"
#include "util/strmap.h"

/* ---- examples ---- */

static void test_source_ignore__wildmatch(void **state)
{
    static const struct {
        const char *pattern, *path;
        bool match;
    } cases[] = {
        {"a/b", "a/b", true},          {"a/*", "a/b", true},         {"a/*", "a/b/c", false},
        {"**/b", "b", true},           {"**/b", "a/x/b", true},      {"a/**", "a", false},
        {"a/**", "a/b/c", true},       {"a/**/b", "a/b", true},      {"a/**/b", "a/x/y/b", true},
        {"a/**/b", "a/x/c", false},    {"*.yaml", "x.yaml", true},   {"a?c", "abc", true},
        {"a?c", "a/c", false},         {"[ab]/x", "b/x", true},      {"[!a]/x", "a/x", false},
        {"\\*a", "*a", true},          {"\\*a", "ba", false},        {"a**b/c", "axxb/c", true},
        {"a**b/c", "a/b/c", false},    {"*", ".hidden", true},       {"**", "a/b", true},
    };
    for (size_t i = 0; i < sizeof(cases) / sizeof(cases[0]); i++)
        if (cr_ignore__wildmatch(cases[i].pattern, cases[i].path) != cases[i].match)
            fail_msg("wildmatch('%s', '%s') should be %s", cases[i].pattern, cases[i].path,
                     cases[i].match ? "true" : "false");
}

static void test_source_ignore__file_syntax(void **state)
{
    static const char text[] = "\xEF\xBB\xBF# a comment\n"
                               "\n"
                               "*.tmp.yaml\r\n"
                               "ci/\n"
                               "/top.yaml   \n"
                               "\\#hash.yaml\n"
                               "\\!bang.yaml\n"
                               "keep/*\n"
                               "!keep/this.yaml\n";
    struct cr_ignore ig;
    struct cr_ignore_hit hit;
    cr_ignore_init(&ig);
    assert_ok(cr_ignore_push_file(&ig, "r", "r/.cognito-reconcile-ignore", text, strlen(text)));
    assert_int_equal(ig.files[0].len, 7);
    assert_true(cr_ignore_match(&ig, "r/a/b.tmp.yaml", false, &hit));
    assert_string_equal(hit.origin, "r/.cognito-reconcile-ignore");
    assert_int_equal(hit.line, 3);
    assert_string_equal(hit.text, "*.tmp.yaml");
    assert_true(cr_ignore_match(&ig, "r/x/ci", true, NULL));
    assert_false(cr_ignore_match(&ig, "r/x/ci", false, NULL)); /* a file named ci */
    assert_true(cr_ignore_match(&ig, "r/top.yaml", false, NULL));
    assert_false(cr_ignore_match(&ig, "r/sub/top.yaml", false, NULL)); /* anchored */
    assert_true(cr_ignore_match(&ig, "r/#hash.yaml", false, NULL));
    assert_true(cr_ignore_match(&ig, "r/!bang.yaml", false, NULL));
    assert_true(cr_ignore_match(&ig, "r/keep/other.yaml", false, NULL));
    assert_false(cr_ignore_match(&ig, "r/keep/this.yaml", false, NULL));
    assert_false(cr_ignore_match(&ig, "elsewhere/a.tmp.yaml", false, NULL)); /* not below r */
    /* --exclude wins over the files, and its unanchored patterns apply anywhere. */
    assert_ok(cr_ignore_add_exclude(&ig, "r", "this.yaml"));
    assert_true(cr_ignore_match(&ig, "r/keep/this.yaml", false, &hit));
    assert_string_equal(hit.origin, "--exclude");
    assert_true(cr_ignore_match(&ig, "elsewhere/this.yaml", false, NULL));
    assert_int_equal(cr_ignore_add_exclude(&ig, "r", "!"), CR_EINVALID);
    assert_non_null(strstr(cr_error_last(), "--exclude '!': not a pattern"));
    /* As git takes --exclude: literally, '#' included. */
    assert_ok(cr_ignore_add_exclude(&ig, "r", "#lit.yaml"));
    assert_true(cr_ignore_match(&ig, "r/#lit.yaml", false, NULL));
    cr_ignore_pop(&ig, 0);
    assert_false(cr_ignore_match(&ig, "r/a/b.tmp.yaml", false, NULL));
    cr_ignore_dispose(&ig);
}

/* ---- the property test against git ---- */

static int s_run(const char *cmd)
{
    int rc = system(cmd);
    return rc == 0 ? 0 : -1;
}

/* Runs cmd and returns its stdout split at NUL bytes into out (sorted). */
static void s_lines(struct cr_strlist *out, const char *cmd)
{
    FILE *p = popen(cmd, "r");
    assert_non_null(p);
    struct cr_buf all = CR_BUF_INIT;
    char chunk[4096];
    size_t n;
    while ((n = fread(chunk, 1, sizeof(chunk), p)) > 0)
        assert_ok(cr_buf_put(&all, chunk, n));
    pclose(p);
    for (size_t pos = 0; pos < all.len;) {
        size_t len = strlen(all.ptr + pos);
        assert_ok(cr_strlist_push(out, all.ptr + pos));
        pos += len + 1;
    }
    cr_buf_dispose(&all);
    cr_strlist_sort(out);
}

/* Files we would read: names ending in .yaml/.yml with no component starting with '.'. */
static bool s_readable(const char *path)
{
    if (path[0] == '.' || strstr(path, "/.") != NULL)
        return false;
    size_t n = strlen(path);
    return (n > 5 && strcmp(path + n - 5, ".yaml") == 0) ||
           (n > 4 && strcmp(path + n - 4, ".yml") == 0);
}

static void s_filter(struct cr_strlist *out, const struct cr_strlist *in)
{
    for (size_t i = 0; i < in->len; i++)
        if (s_readable(in->items[i]))
            assert_ok(cr_strlist_push(out, in->items[i]));
}

static const char *s_pick(unsigned *seed, const char *const *items, size_t n)
{
    return items[(size_t)rand_r(seed) % n];
}

#define S_PICK(seed, arr) s_pick(seed, arr, sizeof(arr) / sizeof(arr[0]))

/* A random pattern line in gitignore syntax. */
static void s_pattern(struct cr_buf *out, unsigned *seed)
{
    static const char *const parts[] = {"a",      "b",    "ab",     "c",      "*",
                                        "?",      "a*",   "*b",     "[ab]",   "[!a]*",
                                        "*.yaml", "x.yaml", "*.yml", "**",   "y.yml"};
    static const char *const specials[] = {"", "# comment", "\\#a", "\\!a", "a   ", "!",
                                           "/",  "x.yaml\\ ", "**/", "/**"};
    if (rand_r(seed) % 12 == 0) {
        assert_ok(cr_buf_puts(out, S_PICK(seed, specials)));
        return;
    }
    if (rand_r(seed) % 5 == 0)
        assert_ok(cr_buf_putc(out, '!'));
    if (rand_r(seed) % 4 == 0)
        assert_ok(cr_buf_putc(out, '/'));
    int n = 1 + rand_r(seed) % 3;
    for (int i = 0; i < n; i++)
        assert_ok(cr_buf_printf(out, "%s%s", i ? "/" : "", S_PICK(seed, parts)));
    if (rand_r(seed) % 4 == 0)
        assert_ok(cr_buf_putc(out, '/'));
}

/* A random tree of files below root; the folders made and the files (relative) in dirs and
 * files. */
static void s_tree(struct cr_strlist *dirs, struct cr_strlist *files_out, const char *root,
                   unsigned *seed)
{
    static const char *const folders[] = {"a", "b", "ab", "c", "x.yaml"};
    static const char *const files[] = {"x.yaml", "y.yml", "ab.yaml", "b.yaml", "a.yml", "c.txt"};
    char path[2 * PATH_MAX + 64], rel[PATH_MAX];
    assert_ok(cr_strlist_push(dirs, ""));
    int n = 4 + rand_r(seed) % 12;
    for (int i = 0; i < n; i++) {
        rel[0] = '\0';
        int depth = rand_r(seed) % 4;
        for (int d = 0; d < depth; d++) {
            size_t l = strlen(rel);
            snprintf(rel + l, sizeof(rel) - l, "%s/", S_PICK(seed, folders));
        }
        size_t l = strlen(rel);
        const char *name = S_PICK(seed, files);
        /* a file where a folder of the same name exists (or the other way) cannot be made */
        snprintf(path, sizeof(path), "%s/%s%s", root, rel, name);
        struct stat st;
        if (stat(path, &st) == 0)
            continue;
        if (cr_test_write_file(path, "x: 1\n") != 0)
            continue; /* a path component is a file already */
        char file_rel[PATH_MAX + 32];
        snprintf(file_rel, sizeof(file_rel), "%s%s", rel, name);
        assert_ok(cr_strlist_push(files_out, file_rel));
        for (size_t k = 0; k < l; k++) { /* every folder on the way */
            if (rel[k] != '/')
                continue;
            char pre[PATH_MAX];
            snprintf(pre, sizeof(pre), "%.*s", (int)k, rel);
            if (!cr_strlist_contains(dirs, pre))
                assert_ok(cr_strlist_push(dirs, pre));
        }
    }
}

static char *s_join_lines(const struct cr_strlist *l)
{
    struct cr_buf b = CR_BUF_INIT;
    for (size_t i = 0; i < l->len; i++)
        assert_ok(cr_buf_printf(&b, "  %s\n", l->items[i]));
    assert_ok(cr_buf_put(&b, "", 0));
    return cr_buf_detach(&b);
}

static void s_expect_same(const struct cr_strlist *ours, const struct cr_strlist *git, int round,
                          const char *what, const char *root, const struct cr_strlist *excludes)
{
    bool same = ours->len == git->len;
    for (size_t i = 0; same && i < ours->len; i++)
        same = strcmp(ours->items[i], git->items[i]) == 0; /* both sorted */
    if (same)
        return;
    char *a = s_join_lines(ours), *b = s_join_lines(git);
    char cmd[PATH_MAX + 200];
    snprintf(cmd, sizeof(cmd),
             "cd '%s' && for f in $(find . -name .cognito-reconcile-ignore); do echo \"== $f\"; "
             "cat \"$f\"; done >&2; find . -path ./.git -prune -o -print >&2",
             root);
    (void)!system(cmd);
    for (size_t i = 0; i < excludes->len; i++)
        print_error("--exclude '%s'\n", excludes->items[i]);
    fail_msg("round %d (%s): we read\n%sgit lists\n%s", round, what, a, b);
}

/* The display paths of a list (minus a prefix such as "HEAD:"), sorted. */
static void s_names(struct cr_strlist *out, const struct cr_source_list *list, const char *prefix)
{
    for (size_t i = 0; i < list->len; i++) {
        const char *p = list->items[i].display_path;
        if (strncmp(p, prefix, strlen(prefix)) == 0)
            p += strlen(prefix);
        assert_ok(cr_strlist_push(out, p));
    }
    cr_strlist_sort(out);
}

/* Empties root but for its .git. */
static void s_clean(const char *root)
{
    DIR *d = opendir(root);
    assert_non_null(d);
    char path[PATH_MAX];
    for (struct dirent *e = readdir(d); e != NULL; e = readdir(d)) {
        if (strcmp(e->d_name, ".") == 0 || strcmp(e->d_name, "..") == 0 ||
            strcmp(e->d_name, ".git") == 0)
            continue;
        snprintf(path, sizeof(path), "%s/%s", root, e->d_name);
        cr_test_rmtree(path);
    }
    closedir(d);
}

static void s_case(unsigned *seed, const char *root, int round)
{
    struct cr_strlist dirs = {0}, excludes = {0};
    struct cr_buf cmd = CR_BUF_INIT, text = CR_BUF_INIT;
    char path[PATH_MAX];
    struct cr_strlist files = {0};
    s_clean(root);
    s_tree(&dirs, &files, root, seed);
    /* ignore files in some folders, the same text as .gitignore for git check-ignore */
    for (size_t i = 0; i < dirs.len; i++) {
        if (rand_r(seed) % 3 == 0 && i > 0)
            continue;
        cr_buf_clear(&text);
        int lines = 1 + rand_r(seed) % 5;
        for (int k = 0; k < lines; k++) {
            s_pattern(&text, seed);
            assert_ok(cr_buf_putc(&text, '\n'));
        }
        const char *names[] = {".cognito-reconcile-ignore", ".gitignore"};
        for (int k = 0; k < 2; k++) {
            snprintf(path, sizeof(path), "%s/%s%s%s", root, dirs.items[i],
                     dirs.items[i][0] ? "/" : "", names[k]);
            assert_int_equal(cr_test_write_file(path, text.ptr), 0);
        }
    }
    int n_ex = rand_r(seed) % 3 == 0 ? 1 + rand_r(seed) % 2 : 0;
    for (int k = 0; k < n_ex; k++) {
        cr_buf_clear(&text);
        do {
            cr_buf_clear(&text);
            s_pattern(&text, seed);
        } while (text.len == 0 || strcmp(text.ptr, "!") == 0 || strcmp(text.ptr, "/") == 0);
        assert_ok(cr_strlist_push(&excludes, text.ptr));
    }

    /* git: the untracked files it does not ignore */
    cr_buf_printf(&cmd, "cd '%s' && git ls-files -z --others "
                        "--exclude-per-directory=.cognito-reconcile-ignore",
                  root);
    for (size_t k = 0; k < excludes.len; k++)
        cr_buf_printf(&cmd, " '--exclude=%s'", excludes.items[k]);
    struct cr_strlist git_all = {0}, git = {0}, ours = {0};
    s_lines(&git_all, cmd.ptr);
    s_filter(&git, &git_all);

    /* ours, from disk */
    char cwd[PATH_MAX];
    assert_non_null(getcwd(cwd, sizeof(cwd)));
    assert_int_equal(chdir(root), 0);
    struct cr_source_list list;
    cr_source_list_init(&list);
    struct cr_source_options opts = {.excludes = (const char *const *)excludes.items,
                                     .n_excludes = excludes.len};
    int rc = cr_source_collect(&list, NULL, 0, &opts);
    if (rc != 0)
        fail_msg("round %d: %s", round, cr_error_last());
    s_names(&ours, &list, "");
    cr_source_list_dispose(&list);
    s_expect_same(&ours, &git, round, "folder on disk", root, &excludes);

    /* every file named explicitly: read unless git check-ignore calls it ignored (only the
     * ignore files: check-ignore knows no command-line patterns) */
    if (excludes.len == 0) {
        struct cr_strlist named = {0};
        const struct cr_strlist checked = files;
        cr_buf_clear(&cmd);
        cr_buf_puts(&cmd, "printf '%s\\0'");
        for (size_t k = 0; k < checked.len; k++)
            if (s_readable(checked.items[k]))
                cr_buf_printf(&cmd, " '%s'", checked.items[k]);
        cr_buf_puts(&cmd, " | git check-ignore --no-index -z --stdin");
        struct cr_strlist ignored = {0}, expect = {0};
        s_lines(&ignored, cmd.ptr);
        for (size_t k = 0; k < checked.len; k++) {
            if (!s_readable(checked.items[k]))
                continue;
            if (!cr_strlist_contains(&ignored, checked.items[k]))
                assert_ok(cr_strlist_push(&expect, checked.items[k]));
            const char *one[] = {checked.items[k]};
            cr_source_list_init(&list);
            assert_ok(cr_source_collect(&list, one, 1, NULL));
            if (list.len == 1)
                assert_ok(cr_strlist_push(&named, checked.items[k]));

            cr_source_list_dispose(&list);
        }
        cr_strlist_sort(&expect);
        cr_strlist_sort(&named);
        s_expect_same(&named, &expect, round, "files named explicitly vs git check-ignore", root,
                      &excludes);
        cr_strlist_dispose(&named);
        cr_strlist_dispose(&ignored);
        cr_strlist_dispose(&expect);
    }

    /* ours, from the same tree committed: --git-ref reads the same files */
    if (round % 8 == 0) {
        /* committed, then out of the index again: ls-files --others lists untracked files */
        assert_int_equal(s_run("git add -A -f >/dev/null && git -c "
                               "user.name=t -c user.email=t@example.com -c maintenance.auto=0 "
                               "-c gc.auto=0 commit -qm case "
                               "--allow-empty && git read-tree --empty"),
                         0);
        struct cr_strlist from_git = {0};
        cr_source_list_init(&list);
        rc = cr_source_git_collect(&list, NULL, "HEAD", NULL, 0, &opts, NULL);
        if (rc != 0)
            fail_msg("round %d: %s", round, cr_error_last());
        s_names(&from_git, &list, "HEAD:");
        cr_source_list_dispose(&list);
        s_expect_same(&from_git, &ours, round, "--git-ref vs disk", root, &excludes);
        cr_strlist_dispose(&from_git);
    }
    assert_int_equal(chdir(cwd), 0);
    cr_strlist_dispose(&git_all);
    cr_strlist_dispose(&git);
    cr_strlist_dispose(&ours);
    cr_strlist_dispose(&dirs);
    cr_strlist_dispose(&files);
    cr_strlist_dispose(&excludes);
    cr_buf_dispose(&cmd);
    cr_buf_dispose(&text);
}

static void test_source_ignore__same_as_git(void **state)
{
    char *root = cr_test_tmpdir();
    char cmd[PATH_MAX + 64];
    assert_non_null(root);
    snprintf(cmd, sizeof(cmd), "git init -q '%s'", root);
    assert_int_equal(s_run(cmd), 0);
    unsigned seed = 0x5eed1u;
    const char *env = getenv("CR_TEST_SEED");
    if (env != NULL)
        seed = (unsigned)strtoul(env, NULL, 0);
    /* 60 rounds by default (each starts git three times); CR_TEST_ROUNDS for a longer run. */
    const char *rounds_env = getenv("CR_TEST_ROUNDS");
    int rounds = rounds_env != NULL ? atoi(rounds_env) : 60;
    for (int round = 0; round < rounds; round++)
        s_case(&seed, root, round);
    cr_test_rmtree(root);
    free(root);
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_source_ignore__wildmatch),
        cmocka_unit_test(test_source_ignore__file_syntax),
        cmocka_unit_test(test_source_ignore__same_as_git),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
