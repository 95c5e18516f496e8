/* SPDX-License-Identifier: Apache-2.0 */
#ifndef CR_TESTS_TEST_SOURCE_GIT_FIXTURE_H
#define CR_TESTS_TEST_SOURCE_GIT_FIXTURE_H
/*
 * Builds real git repositories for tests with libgit2 only: trees are written straight into
 * the object database from a list of (path, content, mode), so a commit can hold symbolic
 * links and submodule entries without touching the file system, and the work tree (when
 * there is one) can differ from every commit (a dirty checkout).
 *
 *   git_repository *repo = t_repo_init(dir, false);
 *   struct t_file v1[] = {{"pools/a.yaml", "...", 0}, {"link.yaml", "pools/a.yaml", T_LINK}};
 *   t_commit(repo, "refs/heads/main", v1, 2, "first", out_hex);
 */
#include <git2.h>
#include <stdbool.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "tests/support/cr_test.h"

#define T_LINK      GIT_FILEMODE_LINK
#define T_SUBMODULE GIT_FILEMODE_COMMIT /* content: the gitlink's 40-hex commit id */

struct t_file {
    const char *path;
    const char *content;
    git_filemode_t mode; /* 0 = regular file */
};

static void t_git_ok(int rc, const char *what)
{
    if (rc < 0) {
        const git_error *e = git_error_last();
        print_error("%s: libgit2 error %d: %s\n", what, rc, e && e->message ? e->message : "?");
        fail();
    }
}

static git_repository *t_repo_init(const char *path, bool bare)
{
    git_repository *repo = NULL;
    t_git_ok(git_repository_init(&repo, path, bare), "git_repository_init");
    return repo;
}

/* The tree of the files below prefix ("" or "dir/"). */
static void t_tree(git_oid *out, git_repository *repo, const struct t_file *files, size_t n,
                   const char *prefix)
{
    git_treebuilder *tb = NULL;
    size_t plen = strlen(prefix);
    t_git_ok(git_treebuilder_new(&tb, repo, NULL), "git_treebuilder_new");
    for (size_t i = 0; i < n; i++) {
        const char *path = files[i].path;
        if (strncmp(path, prefix, plen) != 0)
            continue;
        const char *rest = path + plen;
        const char *slash = strchr(rest, '/');
        git_oid id;
        if (slash == NULL) {
            git_filemode_t mode = files[i].mode ? files[i].mode : GIT_FILEMODE_BLOB;
            if (mode == GIT_FILEMODE_COMMIT)
                t_git_ok(git_oid_fromstr(&id, files[i].content), "git_oid_fromstr");
            else
                t_git_ok(git_blob_create_from_buffer(&id, repo, files[i].content,
                                                     strlen(files[i].content)),
                         "git_blob_create_from_buffer");
            t_git_ok(git_treebuilder_insert(NULL, tb, rest, &id, mode), "treebuilder_insert");
            continue;
        }
        char name[256], sub[1024];
        snprintf(name, sizeof(name), "%.*s", (int)(slash - rest), rest);
        if (git_treebuilder_get(tb, name) != NULL)
            continue; /* this folder was built already */
        snprintf(sub, sizeof(sub), "%s%s/", prefix, name);
        t_tree(&id, repo, files, n, sub);
        t_git_ok(git_treebuilder_insert(NULL, tb, name, &id, GIT_FILEMODE_TREE),
                 "treebuilder_insert tree");
    }
    t_git_ok(git_treebuilder_write(out, tb), "git_treebuilder_write");
    git_treebuilder_free(tb);
}

/*
 * Commits the files as the whole tree on top of ref's current commit (if any), moving ref
 * ("HEAD" moves the current branch). hex_out (41 bytes, may be NULL) gets the commit id.
 */
static void t_commit(git_repository *repo, const char *ref, const struct t_file *files, size_t n,
                     const char *message, char *hex_out)
{
    static git_time_t clock = 1700000000;
    git_signature *sig = NULL;
    git_oid tree_id, commit_id, parent_id;
    git_tree *tree = NULL;
    git_commit *parent = NULL;
    t_tree(&tree_id, repo, files, n, "");
    t_git_ok(git_tree_lookup(&tree, repo, &tree_id), "git_tree_lookup");
    t_git_ok(git_signature_new(&sig, "Test", "test@example.com", clock++, 0), "signature");
    if (git_reference_name_to_id(&parent_id, repo, ref) == 0)
        t_git_ok(git_commit_lookup(&parent, repo, &parent_id), "git_commit_lookup");
    const git_commit *parents[1] = {parent};
    t_git_ok(git_commit_create(&commit_id, repo, ref, sig, sig, NULL, message, tree, parent ? 1 : 0,
                               parents),
             "git_commit_create");
    if (hex_out != NULL)
        git_oid_tostr(hex_out, 41, &commit_id);
    git_commit_free(parent);
    git_tree_free(tree);
    git_signature_free(sig);
}

/* A branch (refs/heads/name) or lightweight tag (refs/tags/name) at commit hex. */
static void t_ref(git_repository *repo, const char *refname, const char *hex)
{
    git_oid id;
    git_reference *ref = NULL;
    t_git_ok(git_oid_fromstr(&id, hex), "git_oid_fromstr");
    t_git_ok(git_reference_create(&ref, repo, refname, &id, 1, "test"), "reference_create");
    git_reference_free(ref);
}

/* An annotated tag at commit hex. */
static void t_annotated_tag(git_repository *repo, const char *name, const char *hex)
{
    git_oid id, tag_id;
    git_object *target = NULL;
    git_signature *sig = NULL;
    t_git_ok(git_oid_fromstr(&id, hex), "git_oid_fromstr");
    t_git_ok(git_object_lookup(&target, repo, &id, GIT_OBJECT_COMMIT), "object_lookup");
    t_git_ok(git_signature_new(&sig, "Test", "test@example.com", 1700000000, 0), "signature");
    t_git_ok(git_tag_create(&tag_id, repo, name, target, sig, "release", 1), "git_tag_create");
    git_signature_free(sig);
    git_object_free(target);
}

/* Points HEAD at refs/heads/name (a symbolic ref, even before the branch exists). */
static void t_head(git_repository *repo, const char *refname)
{
    t_git_ok(git_repository_set_head(repo, refname), "git_repository_set_head");
}

#endif
