/* SPDX-License-Identifier: Apache-2.0 */
/* source/git.c: manifests read from a git revision (libgit2), against real repositories. */
#include "tests/unit/test_source_git_fixture.h"

#include <limits.h>
#include <sys/stat.h>
#include <unistd.h>

#include "source/git.h"
#include "util/buf.h"

struct t_env {
    char *dir; /* temporary folder holding the repositories */
    char cwd[PATH_MAX];
    git_repository *repo; /* dir/work (non-bare) */
    char c1[41], c2[41], c3[41], side[41];
};

#define POOL(name)                                                                                 \
    "apiVersion: cognito-reconcile/v1\nkind: IdentityPool\nmetadata: {name: " name "}\n"

/*
 * History of dir/work (branch main):
 *   c1: stacks/a.yaml, stacks/b.yml, stacks/notes.txt, stacks/.hidden.yaml, stacks/sub/c.yaml,
 *       other/o.yaml, top.yaml
 *   c2: stacks/a.yaml renamed to stacks/z.yaml (same content), stacks/b.yml changed
 *   c3: stacks/sub/c.yaml deleted, README.md added
 *   side (branch "side", from c1): stacks/a.yaml changed
 * Tags: v1 (lightweight, c1), v2 (annotated, c2).
 */
static int t_setup(void **state)
{
    struct t_env *env = calloc(1, sizeof(*env));
    char path[PATH_MAX];
    git_libgit2_init();
    env->dir = cr_test_tmpdir();
    assert_non_null(getcwd(env->cwd, sizeof(env->cwd)));
    snprintf(path, sizeof(path), "%s/work", env->dir);
    env->repo = t_repo_init(path, false);
    t_head(env->repo, "refs/heads/main");
    const struct t_file v1[] = {
        {"stacks/a.yaml", POOL("a"), 0},     {"stacks/b.yml", POOL("b"), 0},
        {"stacks/notes.txt", "not yaml", 0}, {"stacks/.hidden.yaml", POOL("hidden"), 0},
        {"stacks/sub/c.yaml", POOL("c"), 0}, {"other/o.yaml", POOL("o"), 0},
        {"top.yaml", POOL("top"), 0},
    };
    t_commit(env->repo, "HEAD", v1, sizeof(v1) / sizeof(v1[0]), "c1", env->c1);
    const struct t_file v2[] = {
        {"stacks/z.yaml", POOL("a"), 0},     {"stacks/b.yml", POOL("b2"), 0},
        {"stacks/notes.txt", "not yaml", 0}, {"stacks/.hidden.yaml", POOL("hidden"), 0},
        {"stacks/sub/c.yaml", POOL("c"), 0}, {"other/o.yaml", POOL("o"), 0},
        {"top.yaml", POOL("top"), 0},
    };
    t_commit(env->repo, "HEAD", v2, sizeof(v2) / sizeof(v2[0]), "c2", env->c2);
    const struct t_file v3[] = {
        {"stacks/z.yaml", POOL("a"), 0},     {"stacks/b.yml", POOL("b2"), 0},
        {"stacks/notes.txt", "not yaml", 0}, {"stacks/.hidden.yaml", POOL("hidden"), 0},
        {"other/o.yaml", POOL("o"), 0},      {"top.yaml", POOL("top"), 0},
        {"README.md", "# hi\n", 0},
    };
    t_commit(env->repo, "HEAD", v3, sizeof(v3) / sizeof(v3[0]), "c3", env->c3);
    t_ref(env->repo, "refs/heads/side", env->c1);
    const struct t_file vs[] = {
        {"stacks/a.yaml", POOL("a-side"), 0},
        {"stacks/b.yml", POOL("b"), 0},
        {"other/o.yaml", POOL("o"), 0},
    };
    t_commit(env->repo, "refs/heads/side", vs, sizeof(vs) / sizeof(vs[0]), "side", env->side);
    t_ref(env->repo, "refs/tags/v1", env->c1);
    t_annotated_tag(env->repo, "v2", env->c2);
    assert_int_equal(chdir(path), 0);
    *state = env;
    return 0;
}

static int t_teardown(void **state)
{
    struct t_env *env = *state;
    assert_int_equal(chdir(env->cwd), 0);
    git_repository_free(env->repo);
    cr_test_rmtree(env->dir);
    free(env->dir);
    free(env);
    git_libgit2_shutdown();
    return 0;
}

/* The display paths of a list joined with ' '. */
static const char *t_names(const struct cr_source_list *list)
{
    static char text[4096];
    text[0] = '\0';
    for (size_t i = 0; i < list->len; i++) {
        if (i > 0)
            strcat(text, " ");
        strcat(text, list->items[i].display_path);
    }
    return text;
}

static int t_collect(struct cr_source_list *list, const char *git_dir, const char *rev,
                     const char *path, struct cr_git_revision *rev_out)
{
    const char *paths[] = {path};
    cr_source_list_init(list);
    return cr_source_git_collect(list, git_dir, rev, paths, path ? 1 : 0, NULL, rev_out);
}

static void test_source_git__folder_rules_at_head(void **state)
{
    struct t_env *env = *state;
    struct cr_source_list list;
    struct cr_git_revision rev;
    assert_ok(t_collect(&list, NULL, "HEAD", "stacks", &rev));
    /* Recursive, YAML names only, dot-names skipped, byte order of display paths. */
    assert_string_equal(t_names(&list), "HEAD:stacks/b.yml HEAD:stacks/z.yaml");
    assert_string_equal(cr_buf_cstr(&list.items[1].bytes), POOL("a"));
    assert_int_equal(list.items[1].bytes.len, strlen(POOL("a")));
    assert_string_equal(rev.id, env->c3);
    assert_int_equal(strlen(rev.short_id), CR_GIT_SHORT_HEX);
    assert_memory_equal(rev.short_id, env->c3, CR_GIT_SHORT_HEX);
    cr_source_list_dispose(&list);
}

static void test_source_git__no_path_reads_the_current_folder(void **state)
{
    (void)state;
    struct cr_source_list list;
    assert_ok(t_collect(&list, NULL, "HEAD~2", NULL, NULL));
    assert_string_equal(t_names(&list), "HEAD~2:other/o.yaml HEAD~2:stacks/a.yaml "
                                        "HEAD~2:stacks/b.yml HEAD~2:stacks/sub/c.yaml "
                                        "HEAD~2:top.yaml");
    cr_source_list_dispose(&list);
}

static void test_source_git__revisions_of_every_kind(void **state)
{
    struct t_env *env = *state;
    struct cr_source_list list;
    struct cr_git_revision rev;
    char short_c1[9];
    snprintf(short_c1, sizeof(short_c1), "%.8s", env->c1);
    const struct {
        const char *rev;
        const char *commit;
        const char *names;
    } cases[] = {
        {"HEAD~1", env->c2, "HEAD~1:stacks/b.yml HEAD~1:stacks/sub/c.yaml HEAD~1:stacks/z.yaml"},
        {"main", env->c3, "main:stacks/b.yml main:stacks/z.yaml"},
        {"side", env->side, "side:stacks/a.yaml side:stacks/b.yml"},
        {"v1", env->c1, "v1:stacks/a.yaml v1:stacks/b.yml v1:stacks/sub/c.yaml"},
        {"v2", env->c2, "v2:stacks/b.yml v2:stacks/sub/c.yaml v2:stacks/z.yaml"},
        {"refs/tags/v2", env->c2, NULL},
        {env->c1, env->c1, NULL},
        {short_c1, env->c1, NULL},
        {"main^", env->c2, NULL},
    };
    for (size_t i = 0; i < sizeof(cases) / sizeof(cases[0]); i++) {
        assert_ok(t_collect(&list, NULL, cases[i].rev, "stacks", &rev));
        assert_string_equal(rev.id, cases[i].commit);
        if (cases[i].names != NULL)
            assert_string_equal(t_names(&list), cases[i].names);
        cr_source_list_dispose(&list);
    }
    assert_ok(t_collect(&list, NULL, "side", "stacks/a.yaml", NULL));
    assert_string_equal(cr_buf_cstr(&list.items[0].bytes), POOL("a-side"));
    cr_source_list_dispose(&list);
    assert_ok(cr_source_git_resolve(&rev, NULL, "v2"));
    assert_string_equal(rev.id, env->c2);
}

static void test_source_git__renamed_and_deleted_files(void **state)
{
    (void)state;
    struct cr_source_list list;
    assert_ok(t_collect(&list, NULL, "v1", "stacks/a.yaml", NULL));
    assert_string_equal(t_names(&list), "v1:stacks/a.yaml");
    cr_source_list_dispose(&list);
    /* Renamed away at c2, deleted at c3: a clear error naming the path and the revision. */
    assert_int_equal(t_collect(&list, NULL, "HEAD", "stacks/a.yaml", NULL), CR_ENOTFOUND);
    assert_string_equal(cr_error_last(),
                        "path 'stacks/a.yaml' does not exist at git revision 'HEAD'");
    cr_source_list_dispose(&list);
    assert_int_equal(t_collect(&list, NULL, "main", "stacks/sub", NULL), CR_ENOTFOUND);
    assert_string_equal(cr_error_last(), "path 'stacks/sub' does not exist at git revision 'main'");
    cr_source_list_dispose(&list);
    assert_ok(t_collect(&list, NULL, "HEAD~1", "stacks/sub", NULL));
    assert_string_equal(t_names(&list), "HEAD~1:stacks/sub/c.yaml");
    cr_source_list_dispose(&list);
}

static void test_source_git__folder_without_manifests_is_empty(void **state)
{
    struct cr_source_list list;
    /* A folder with no manifest at all reads as nothing (not an error), like on disk. */
    const struct t_file none[] = {{"docs/README.md", "# docs", 0}, {"docs/a.json", "{}", 0}};
    t_commit(((struct t_env *)*state)->repo, "refs/heads/docs-only", none, 2, "docs", NULL);
    assert_ok(t_collect(&list, NULL, "docs-only", "docs", NULL));
    assert_int_equal(list.len, 0);
    assert_null(list.items);
    cr_source_list_dispose(&list);
}

static void test_source_git__explicit_file_any_extension_and_once(void **state)
{
    (void)state;
    struct cr_source_list list;
    const char *paths[] = {"stacks/notes.txt", "stacks", "./stacks/z.yaml", "top.yaml"};
    cr_source_list_init(&list);
    assert_ok(cr_source_git_collect(&list, NULL, "HEAD", paths, 4, NULL, NULL));
    /* In argument order; stacks/z.yaml is listed once (by the folder). */
    assert_string_equal(t_names(&list), "HEAD:stacks/notes.txt HEAD:stacks/b.yml "
                                        "HEAD:stacks/z.yaml HEAD:top.yaml");
    assert_string_equal(cr_buf_cstr(&list.items[0].bytes), "not yaml");
    cr_source_list_dispose(&list);
}

static void test_source_git__errors_are_clear(void **state)
{
    struct t_env *env = *state;
    struct cr_source_list list;
    assert_int_equal(t_collect(&list, NULL, "no-such-branch", "stacks", NULL), CR_ENOTFOUND);
    assert_string_equal(cr_error_last(),
                        "git revision 'no-such-branch' not found in the repository");
    cr_source_list_dispose(&list);
    assert_int_equal(t_collect(&list, NULL, "HEAD~10", "stacks", NULL), CR_ENOTFOUND);
    cr_source_list_dispose(&list);
    assert_int_equal(t_collect(&list, NULL, "HEAD^{tree}", "stacks", NULL), CR_EINVALID);
    assert_string_equal(cr_error_last(), "git revision 'HEAD^{tree}' names a tree, not a commit");
    cr_source_list_dispose(&list);
    assert_int_equal(t_collect(&list, NULL, "HEAD", "../elsewhere", NULL), CR_EINVALID);
    assert_string_equal(cr_error_last(), "path '../elsewhere' is outside the git repository");
    cr_source_list_dispose(&list);
    assert_int_equal(t_collect(&list, NULL, "HEAD", "/", NULL), CR_EINVALID);
    cr_source_list_dispose(&list);
    /* Not a repository: --git-dir, and discovery from a folder outside any repository. */
    char plain[PATH_MAX];
    snprintf(plain, sizeof(plain), "%s/plain", env->dir);
    assert_int_equal(mkdir(plain, 0700), 0);
    assert_int_equal(t_collect(&list, plain, "HEAD", NULL, NULL), CR_ENOTFOUND);
    assert_non_null(strstr(cr_error_last(), "not a git repository"));
    assert_non_null(strstr(cr_error_last(), plain));
    cr_source_list_dispose(&list);
    /* Discovery stops at GIT_CEILING_DIRECTORIES, as git's does. */
    assert_int_equal(setenv("GIT_CEILING_DIRECTORIES", env->dir, 1), 0);
    assert_int_equal(chdir(plain), 0);
    int rc = t_collect(&list, NULL, "HEAD", NULL, NULL);
    cr_source_list_dispose(&list);
    assert_int_equal(rc, CR_ENOTFOUND);
    assert_non_null(strstr(cr_error_last(), "not a git repository (or any of the parent"));
    snprintf(plain, sizeof(plain), "%s/work/stacks", env->dir);
    mkdir(plain, 0700); /* the work tree is not checked out: commits were written directly */
    assert_int_equal(chdir(plain), 0); /* work/.git is above the ceiling "work" */
    snprintf(plain, sizeof(plain), "%s/work", env->dir);
    assert_int_equal(setenv("GIT_CEILING_DIRECTORIES", plain, 1), 0);
    assert_int_equal(t_collect(&list, NULL, "HEAD", NULL, NULL), CR_ENOTFOUND);
    cr_source_list_dispose(&list);
    assert_int_equal(unsetenv("GIT_CEILING_DIRECTORIES"), 0);
    /* GIT_DIR names the repository wherever the current folder is. */
    snprintf(plain, sizeof(plain), "%s/work/.git", env->dir);
    assert_int_equal(setenv("GIT_DIR", plain, 1), 0);
    assert_int_equal(chdir(env->dir), 0);
    assert_ok(t_collect(&list, NULL, "v1", "other", NULL));
    assert_string_equal(t_names(&list), "v1:other/o.yaml");
    cr_source_list_dispose(&list);
    assert_int_equal(unsetenv("GIT_DIR"), 0);
    snprintf(plain, sizeof(plain), "%s/work", env->dir);
    assert_int_equal(chdir(plain), 0);
}

static void test_source_git__cwd_inside_the_work_tree_and_dirty_files(void **state)
{
    struct t_env *env = *state;
    struct cr_source_list list;
    char path[PATH_MAX];
    /* A dirty checkout: files on disk that no commit has. */
    snprintf(path, sizeof(path), "%s/work/stacks/dirty.yaml", env->dir);
    assert_int_equal(cr_test_write_file(path, POOL("dirty")), 0);
    snprintf(path, sizeof(path), "%s/work/stacks/z.yaml", env->dir);
    assert_int_equal(cr_test_write_file(path, "edited on disk"), 0);
    snprintf(path, sizeof(path), "%s/work/stacks", env->dir);
    assert_int_equal(chdir(path), 0);
    /* Relative paths start at the current folder, like `git show REV:./path`. */
    assert_ok(t_collect(&list, NULL, "HEAD", NULL, NULL));
    assert_string_equal(t_names(&list), "HEAD:stacks/b.yml HEAD:stacks/z.yaml");
    assert_string_equal(cr_buf_cstr(&list.items[1].bytes), POOL("a"));
    cr_source_list_dispose(&list);
    assert_ok(t_collect(&list, NULL, "HEAD", "../other", NULL));
    assert_string_equal(t_names(&list), "HEAD:other/o.yaml");
    cr_source_list_dispose(&list);
    assert_int_equal(t_collect(&list, NULL, "HEAD", "missing.yaml", NULL), CR_ENOTFOUND);
    assert_string_equal(cr_error_last(), "path 'missing.yaml' ('stacks/missing.yaml' in the "
                                         "repository) does not exist at git revision 'HEAD'");
    cr_source_list_dispose(&list);
    /* An absolute path inside the work tree. */
    snprintf(path, sizeof(path), "%s/work/other/", env->dir);
    assert_ok(t_collect(&list, NULL, "HEAD", path, NULL));
    assert_string_equal(t_names(&list), "HEAD:other/o.yaml");
    cr_source_list_dispose(&list);
    assert_int_equal(t_collect(&list, NULL, "HEAD", "../../work/top.yaml", NULL), CR_EINVALID);
    cr_source_list_dispose(&list);
    snprintf(path, sizeof(path), "%s/work", env->dir);
    assert_int_equal(chdir(path), 0);
}

static void test_source_git__bare_repository(void **state)
{
    struct t_env *env = *state;
    struct cr_source_list list;
    struct cr_git_revision rev;
    char bare[PATH_MAX];
    char c1[41];
    snprintf(bare, sizeof(bare), "%s/bare.git", env->dir);
    git_repository *repo = t_repo_init(bare, true);
    t_head(repo, "refs/heads/main");
    const struct t_file v1[] = {{"pools/p.yaml", POOL("p"), 0}, {"pools/q.yaml", POOL("q"), 0}};
    t_commit(repo, "HEAD", v1, 2, "bare", c1);
    git_repository_free(repo);
    /* Paths are relative to the repository root (no work tree). */
    assert_ok(t_collect(&list, bare, "main", "pools", &rev));
    assert_string_equal(t_names(&list), "main:pools/p.yaml main:pools/q.yaml");
    assert_string_equal(rev.id, c1);
    cr_source_list_dispose(&list);
    assert_ok(t_collect(&list, bare, "main", NULL, NULL));
    assert_int_equal(list.len, 2);
    cr_source_list_dispose(&list);
    /* --git-dir on a work tree's .git folder and on the work tree itself. */
    char dotgit[PATH_MAX];
    snprintf(dotgit, sizeof(dotgit), "%s/work/.git", env->dir);
    assert_ok(t_collect(&list, dotgit, "v1", "other", &rev));
    assert_string_equal(rev.id, env->c1);
    cr_source_list_dispose(&list);
}

static void test_source_git__symlinks_and_submodules(void **state)
{
    struct t_env *env = *state;
    struct cr_source_list list;
    char dir[PATH_MAX];
    snprintf(dir, sizeof(dir), "%s/links", env->dir);
    git_repository *repo = t_repo_init(dir, false);
    const struct t_file files[] = {
        {"m/a.yaml", POOL("a"), 0},
        {"m/alias.yaml", "a.yaml", T_LINK},                  /* inside: read once, as alias */
        {"m/deep/up.yaml", "../a.yaml", T_LINK},             /* inside via ..: already read */
        {"m/deep/own.yml", "../../common/s.yaml", T_LINK},   /* outside the folder: skipped */
        {"m/etc.yaml", "/etc/passwd", T_LINK},               /* absolute: skipped */
        {"m/escape.yaml", "../../../../etc/passwd", T_LINK}, /* above the root: skipped */
        {"m/dir.yaml", "deep", T_LINK},                      /* a folder: skipped */
        {"m/gone.yaml", "nothing.yaml", T_LINK},             /* dangling: skipped */
        {"m/notes", "a.yaml", T_LINK},                       /* not a manifest name: ignored */
        {"m/vendor", "0123456789abcdef0123456789abcdef01234567", T_SUBMODULE},
        {"m/z.yaml", POOL("z"), 0},
        {"common/s.yaml", POOL("s"), 0},
        {"top-link.yaml", "common/s.yaml", T_LINK},
        {"out-link.yaml", "../outside.yaml", T_LINK},
    };
    t_commit(repo, "HEAD", files, sizeof(files) / sizeof(files[0]), "links", NULL);
    git_repository_free(repo);
    /* Nothing on disk: the links resolve in the tree, never in the file system. */
    assert_ok(t_collect(&list, dir, "HEAD", "m", NULL));
    assert_string_equal(t_names(&list), "HEAD:m/a.yaml HEAD:m/z.yaml");
    assert_int_equal(list.skipped, 6); /* own, etc, escape, dir, gone and the submodule */
    cr_source_list_dispose(&list);
    /* Named explicitly, a link may point anywhere inside the repository. */
    assert_ok(t_collect(&list, dir, "HEAD", "top-link.yaml", NULL));
    assert_string_equal(t_names(&list), "HEAD:top-link.yaml");
    assert_string_equal(cr_buf_cstr(&list.items[0].bytes), POOL("s"));
    cr_source_list_dispose(&list);
    assert_int_equal(t_collect(&list, dir, "HEAD", "out-link.yaml", NULL), CR_EINVALID);
    assert_string_equal(cr_error_last(), "HEAD:out-link.yaml: symbolic link not followed "
                                         "(points outside the repository)");
    cr_source_list_dispose(&list);
    assert_int_equal(t_collect(&list, dir, "HEAD", "m/vendor", NULL), CR_EINVALID);
    assert_non_null(strstr(cr_error_last(), "is a submodule"));
    cr_source_list_dispose(&list);
    /* The link that points at a file the folder also holds is listed once, by the path met
     * first in tree order; alone it is read under its own name. */
    assert_ok(t_collect(&list, dir, "HEAD", "m/alias.yaml", NULL));
    assert_string_equal(t_names(&list), "HEAD:m/alias.yaml");
    assert_string_equal(cr_buf_cstr(&list.items[0].bytes), POOL("a"));
    cr_source_list_dispose(&list);
}

static void test_source_git__size_cap(void **state)
{
    struct t_env *env = *state;
    struct cr_source_list list;
    char dir[PATH_MAX];
    snprintf(dir, sizeof(dir), "%s/big", env->dir);
    git_repository *repo = t_repo_init(dir, true);
    char *big = malloc(CR_SOURCE_MAX_FILE_BYTES + 2);
    memset(big, '#', CR_SOURCE_MAX_FILE_BYTES + 1);
    big[CR_SOURCE_MAX_FILE_BYTES + 1] = '\0';
    const struct t_file files[] = {{"big.yaml", big, 0}};
    t_commit(repo, "HEAD", files, 1, "big", NULL);
    free(big);
    git_repository_free(repo);
    assert_int_equal(t_collect(&list, dir, "HEAD", NULL, NULL), CR_ELIMIT);
    /* The size comes from the object's header: named with the path, the blob never read. */
    char want[256];
    snprintf(want, sizeof(want), "HEAD:big.yaml: file is %d bytes, larger than the limit of %d "
             "bytes (not read)", CR_SOURCE_MAX_FILE_BYTES + 1, CR_SOURCE_MAX_FILE_BYTES);
    assert_string_equal(cr_error_last(), want);
    cr_source_list_dispose(&list);
}

static void test_source_git__empty_repository(void **state)
{
    struct t_env *env = *state;
    struct cr_source_list list;
    char dir[PATH_MAX];
    snprintf(dir, sizeof(dir), "%s/empty", env->dir);
    git_repository_free(t_repo_init(dir, false));
    assert_int_equal(t_collect(&list, dir, "HEAD", NULL, NULL), CR_ENOTFOUND);
    assert_string_equal(cr_error_last(), "git revision 'HEAD' not found in the repository");
    cr_source_list_dispose(&list);
}

/* Truncates the loose object hex of the repository at git_dir to half its size. */
static void t_truncate_object(const char *git_dir, const char *hex)
{
    char path[PATH_MAX];
    struct stat st;
    snprintf(path, sizeof(path), "%s/objects/%.2s/%s", git_dir, hex, hex + 2);
    assert_int_equal(stat(path, &st), 0);
    assert_int_equal(chmod(path, 0644), 0);
    assert_int_equal(truncate(path, st.st_size / 2), 0);
}

static void test_source_git__truncated_objects_fail_fast(void **state)
{
    struct t_env *env = *state;
    struct cr_source_list list;
    char dir[PATH_MAX], blob_hex[41], commit_hex[41];
    snprintf(dir, sizeof(dir), "%s/corrupt.git", env->dir);
    git_repository *repo = t_repo_init(dir, true);
    const struct t_file files[] = {{"a.yaml", POOL("a") POOL("padding-so-the-blob-is-long"), 0}};
    t_commit(repo, "HEAD", files, 1, "one", commit_hex);
    git_oid id;
    t_git_ok(git_blob_create_from_buffer(&id, repo, files[0].content, strlen(files[0].content)),
             "blob");
    git_oid_tostr(blob_hex, sizeof(blob_hex), &id);
    git_repository_free(repo);
    setenv("COGNITO_RECONCILE_GIT_STALL_SECONDS", "2", 1);
    /* A truncated blob: libgit2 1.5 loops forever inflating it (libgit2 #7342). The message
     * says the watchdog stopped the read (a hang would end at ctest's timeout instead). */
    t_truncate_object(dir, blob_hex);
    assert_int_equal(t_collect(&list, dir, "HEAD", NULL, NULL), CR_EIO);
    assert_string_equal(cr_error_last(), "git revision 'HEAD': reading HEAD:a.yaml made no "
                                         "progress for 2 s: the repository looks corrupt (run "
                                         "git fsck)");
    assert_int_equal(list.len, 0);
    cr_source_list_dispose(&list);
    /* A truncated commit: the same, from the first object read. */
    t_truncate_object(dir, commit_hex);
    assert_int_equal(t_collect(&list, dir, "HEAD", NULL, NULL), CR_EIO);
    assert_non_null(strstr(cr_error_last(), "reading the commit HEAD made no progress for 2 s"));
    cr_source_list_dispose(&list);
    struct cr_git_revision rev;
    assert_int_equal(cr_source_git_resolve(&rev, dir, "HEAD"), CR_EIO);
    assert_int_equal(cr_source_git_check_ancestor(dir, commit_hex, commit_hex), CR_EIO);
    assert_non_null(strstr(cr_error_last(), "git history: reading commit "));
    unsetenv("COGNITO_RECONCILE_GIT_STALL_SECONDS");
}

static void test_source_git__ancestor_check(void **state)
{
    struct t_env *env = *state;
    /* Forward or equal: allowed. */
    assert_ok(cr_source_git_check_ancestor(NULL, env->c3, env->c1));
    assert_ok(cr_source_git_check_ancestor(NULL, env->c2, env->c2));
    /* An older commit than the one recorded: a rewind. */
    assert_int_equal(cr_source_git_check_ancestor(NULL, env->c1, env->c3), CR_EREFUSED);
    char want[128];
    snprintf(want, sizeof(want), "commit %.12s does not descend from %.12s", env->c1, env->c3);
    assert_string_equal(cr_error_last(), want);
    /* Diverged branches: neither descends from the other. */
    assert_int_equal(cr_source_git_check_ancestor(NULL, env->side, env->c2), CR_EREFUSED);
    assert_int_equal(cr_source_git_check_ancestor(NULL, env->c3, env->side), CR_EREFUSED);
    /* A recorded commit this repository does not have, or a tag value that is no id. */
    assert_int_equal(
        cr_source_git_check_ancestor(NULL, env->c3, "0123456789abcdef0123456789abcdef01234567"),
        CR_ENOTFOUND);
    assert_string_equal(cr_error_last(), "commit 0123456789ab is not in this repository");
    assert_int_equal(cr_source_git_check_ancestor(NULL, env->c3, "main"), CR_ENOTFOUND);
    assert_string_equal(cr_error_last(), "'main' is not a full git commit id");
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_source_git__folder_rules_at_head),
        cmocka_unit_test(test_source_git__no_path_reads_the_current_folder),
        cmocka_unit_test(test_source_git__revisions_of_every_kind),
        cmocka_unit_test(test_source_git__renamed_and_deleted_files),
        cmocka_unit_test(test_source_git__folder_without_manifests_is_empty),
        cmocka_unit_test(test_source_git__explicit_file_any_extension_and_once),
        cmocka_unit_test(test_source_git__errors_are_clear),
        cmocka_unit_test(test_source_git__cwd_inside_the_work_tree_and_dirty_files),
        cmocka_unit_test(test_source_git__bare_repository),
        cmocka_unit_test(test_source_git__symlinks_and_submodules),
        cmocka_unit_test(test_source_git__size_cap),
        cmocka_unit_test(test_source_git__empty_repository),
        cmocka_unit_test(test_source_git__ancestor_check),
        cmocka_unit_test(test_source_git__truncated_objects_fail_fast),
    };
    return cmocka_run_group_tests(tests, t_setup, t_teardown);
}
