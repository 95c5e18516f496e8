/* SPDX-License-Identifier: Apache-2.0 */
/* A git revision (libgit2) -> struct cr_source_list, with the folder rules of source.c. */
#include "source/git.h"

#include <errno.h>
#include <git2.h>
#include <limits.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "util/buf.h"
#include "util/log.h"
#include "util/strmap.h"

/* State of one collect call. */
struct s_walk {
    struct cr_source_list *out;
    git_repository *repo;
    git_tree *root;         /* tree of the commit */
    const char *rev;        /* as the user wrote it, for display paths and messages */
    const char *scope;      /* repository path of the folder argument being walked */
    struct cr_strlist seen; /* repository paths of the blobs read (each file once) */
    size_t max_bytes;
};

static const char *s_git_message(void)
{
    const git_error *e = git_error_last();
    return e != NULL && e->message != NULL ? e->message : "unknown libgit2 error";
}

static int s_oom(const char *what)
{
    cr_error_set("%s: out of memory", what);
    return CR_ENOMEM;
}

/* git_dir NULL: the repository containing the current folder (searching upwards). */
static int s_open(git_repository **out, const char *git_dir)
{
    /* Discovery honours git's environment (GIT_DIR, GIT_WORK_TREE, GIT_CEILING_DIRECTORIES)
     * and searches upwards from the current folder, exactly as the git CLI does. */
    int rc = git_dir != NULL
                 ? git_repository_open_ext(out, git_dir, GIT_REPOSITORY_OPEN_NO_SEARCH, NULL)
                 : git_repository_open_ext(out, NULL, GIT_REPOSITORY_OPEN_FROM_ENV, NULL);
    if (rc == 0)
        return 0;
    if (rc == GIT_ENOTFOUND && git_dir != NULL) {
        cr_error_set("--git-dir '%s': not a git repository", git_dir);
        return CR_ENOTFOUND;
    }
    if (rc == GIT_ENOTFOUND) {
        char cwd[PATH_MAX];
        cr_error_set("not a git repository (or any of the parent folders): %s",
                     getcwd(cwd, sizeof(cwd)) != NULL ? cwd : ".");
        return CR_ENOTFOUND;
    }
    cr_error_set("%s: cannot open the git repository: %s", git_dir ? git_dir : ".",
                 s_git_message());
    return CR_EIO;
}

static const char *s_object_kind(git_object_t type)
{
    switch (type) {
    case GIT_OBJECT_TREE:
        return "a tree";
    case GIT_OBJECT_BLOB:
        return "a file";
    case GIT_OBJECT_TAG:
        return "a tag";
    default:
        return "an object";
    }
}

static int s_resolve(git_commit **out, git_repository *repo, const char *rev)
{
    git_object *obj = NULL;
    int rc = git_revparse_single(&obj, repo, rev);
    if (rc == GIT_ENOTFOUND || rc == GIT_EUNBORNBRANCH) {
        cr_error_set("git revision '%s' not found in the repository", rev);
        return CR_ENOTFOUND;
    }
    if (rc == GIT_EAMBIGUOUS) {
        cr_error_set("git revision '%s' is ambiguous (give more characters of the id)", rev);
        return CR_EINVALID;
    }
    if (rc != 0) {
        cr_error_set("git revision '%s': %s", rev, s_git_message());
        return rc == GIT_EINVALIDSPEC ? CR_EINVALID : CR_ENOTFOUND;
    }
    git_object_t type = git_object_type(obj);
    rc = git_object_peel((git_object **)out, obj, GIT_OBJECT_COMMIT);
    git_object_free(obj);
    if (rc != 0) {
        cr_error_set("git revision '%s' names %s, not a commit", rev, s_object_kind(type));
        return CR_EINVALID;
    }
    return 0;
}

static void s_fill_revision(struct cr_git_revision *out, const git_commit *commit)
{
    if (out == NULL)
        return;
    git_oid_tostr(out->id, sizeof(out->id), git_commit_id(commit));
    memcpy(out->short_id, out->id, CR_GIT_SHORT_HEX);
    out->short_id[CR_GIT_SHORT_HEX] = '\0';
}

/*
 * Appends the components of rel to path (a repository path, "" = root), resolving "." and
 * "..". Returns 0, or CR_EINVALID when ".." climbs above the root.
 */
static int s_path_append(struct cr_buf *path, const char *rel)
{
    const char *p = rel;
    while (*p != '\0') {
        const char *end = strchr(p, '/');
        size_t n = end != NULL ? (size_t)(end - p) : strlen(p);
        if (n == 2 && p[0] == '.' && p[1] == '.') {
            if (path->len == 0)
                return CR_EINVALID;
            char *slash = strrchr(path->ptr, '/');
            path->len = slash != NULL ? (size_t)(slash - path->ptr) : 0;
            path->ptr[path->len] = '\0';
        } else if (n > 0 && !(n == 1 && p[0] == '.')) {
            if (path->len > 0)
                cr_buf_putc(path, '/');
            cr_buf_put(path, p, n);
        }
        p += n;
        while (*p == '/')
            p++;
    }
    return cr_buf_oom(path) ? CR_ENOMEM : 0;
}

/*
 * Where the current folder is inside the work tree ("sub/dir", "" at the top or when it is
 * outside, or for a bare repository): relative paths start there, like git's.
 */
static int s_cwd_prefix(struct cr_buf *out, git_repository *repo)
{
    char cwd[PATH_MAX], root[PATH_MAX];
    const char *workdir = git_repository_workdir(repo);
    if (workdir == NULL || getcwd(cwd, sizeof(cwd)) == NULL || realpath(workdir, root) == NULL)
        return 0;
    const char *rest = cr_source_path_below(cwd, root);
    return rest != NULL ? s_path_append(out, rest) : 0;
}

/* The repository path a command-line path names. */
static int s_repo_path(struct cr_buf *out, git_repository *repo, const char *prefix,
                       const char *user_path)
{
    int rc = 0;
    if (user_path[0] == '/') {
        /* Lexically (the path may be gone from the work tree but present at REV). */
        const char *workdir = git_repository_workdir(repo);
        char root[PATH_MAX];
        struct cr_buf norm = CR_BUF_INIT;
        char real[PATH_MAX];
        /* Through symbolic links when it exists on disk, else lexically (a path deleted from
         * the work tree may still exist at REV). No leading slash in norm: "/a/../b" -> "b". */
        rc = s_path_append(&norm, realpath(user_path, real) != NULL ? real : user_path);
        const char *rest = NULL;
        if (rc == 0 && workdir != NULL && realpath(workdir, root) != NULL)
            rest = cr_source_path_below(cr_buf_cstr(&norm), root + 1);
        if (rc == 0)
            rc = rest != NULL ? s_path_append(out, rest) : CR_EINVALID;
        cr_buf_dispose(&norm);
    } else {
        rc = s_path_append(out, prefix);
        if (rc == 0)
            rc = s_path_append(out, user_path);
    }
    if (rc == CR_EINVALID)
        cr_error_set("path '%s' is outside the git repository", user_path);
    else if (rc == CR_ENOMEM)
        s_oom(user_path);
    return rc;
}

/* Reads one blob as "REV:display_path"; blob_path (where the bytes live) lists it once. */
static int s_read_blob(struct s_walk *w, const git_oid *oid, const char *blob_path,
                       const char *display_path)
{
    int result = CR_ENOMEM;
    git_blob *blob = NULL;
    struct cr_buf display = CR_BUF_INIT;
    if (cr_strlist_contains(&w->seen, blob_path))
        return 0;
    cr_buf_printf(&display, "%s:%s", w->rev, display_path);
    if (cr_buf_oom(&display) || cr_strlist_push(&w->seen, blob_path) != 0) {
        s_oom(w->rev);
        goto done;
    }
    if (git_blob_lookup(&blob, w->repo, oid) != 0) {
        cr_error_set("%s: cannot read the file from git: %s", display.ptr, s_git_message());
        result = CR_EIO;
        goto done;
    }
    git_object_size_t size = git_blob_rawsize(blob);
    if (size > (git_object_size_t)w->max_bytes) {
        cr_error_set("%s: file is larger than the limit of %zu bytes", display.ptr, w->max_bytes);
        result = CR_ELIMIT;
        goto done;
    }
    result = cr_source_list_add(w->out, display.ptr, git_blob_rawcontent(blob), (size_t)size);
done:
    git_blob_free(blob);
    cr_buf_dispose(&display);
    return result;
}

/*
 * A symbolic link at link_path: its target, resolved in the tree of the revision (never on
 * disk), is read when it is a regular file inside scope. Returns 1 when read, 0 when not
 * followed (*why says why), or a negative code.
 */
static int s_follow_link(struct s_walk *w, const git_tree_entry *entry, const char *link_path,
                         const char *scope, const char **why)
{
    int result = CR_ENOMEM;
    git_blob *blob = NULL;
    git_tree_entry *target = NULL;
    struct cr_buf text = CR_BUF_INIT, resolved = CR_BUF_INIT;
    *why = "points outside the folder";
    if (git_blob_lookup(&blob, w->repo, git_tree_entry_id(entry)) != 0) {
        cr_error_set("%s:%s: cannot read the symbolic link: %s", w->rev, link_path,
                     s_git_message());
        result = CR_EIO;
        goto done;
    }
    cr_buf_put(&text, git_blob_rawcontent(blob), (size_t)git_blob_rawsize(blob));
    const char *slash = strrchr(link_path, '/');
    if (slash != NULL)
        cr_buf_put(&resolved, link_path, (size_t)(slash - link_path));
    if (cr_buf_oom(&text) || cr_buf_oom(&resolved)) {
        s_oom(link_path);
        goto done;
    }
    result = 0;
    /* An absolute target, or one climbing out of the repository, is outside by definition. */
    if (text.len == 0 || text.ptr[0] == '/' || memchr(text.ptr, '\0', text.len) != NULL)
        goto done;
    int rc = s_path_append(&resolved, text.ptr);
    if (rc == CR_ENOMEM) {
        result = s_oom(link_path);
        goto done;
    }
    if (rc != 0 || resolved.len == 0 || cr_source_path_below(resolved.ptr, scope) == NULL)
        goto done;
    if (git_tree_entry_bypath(&target, w->root, resolved.ptr) != 0) {
        *why = "points to a path missing at this revision";
        goto done;
    }
    git_filemode_t mode = git_tree_entry_filemode(target);
    if (mode != GIT_FILEMODE_BLOB && mode != GIT_FILEMODE_BLOB_EXECUTABLE) {
        *why = "points to a folder, a link or a submodule";
        goto done;
    }
    result = s_read_blob(w, git_tree_entry_id(target), resolved.ptr, link_path);
    if (result == 0)
        result = 1;
done:
    git_tree_entry_free(target);
    git_blob_free(blob);
    cr_buf_dispose(&text);
    cr_buf_dispose(&resolved);
    return result;
}

static int s_walk_tree(struct s_walk *w, const git_tree *tree, const char *dir, unsigned depth);

/* One entry of a folder: a manifest, a sub-folder, or something to skip. */
static int s_entry(struct s_walk *w, const git_tree_entry *entry, const char *path, unsigned depth)
{
    const char *name = git_tree_entry_name(entry);
    const char *why = NULL;
    int rc = 0;
    switch (git_tree_entry_filemode(entry)) {
    case GIT_FILEMODE_TREE: {
        git_tree *sub = NULL;
        if (git_tree_lookup(&sub, w->repo, git_tree_entry_id(entry)) != 0) {
            cr_error_set("%s:%s: cannot read the folder: %s", w->rev, path, s_git_message());
            return CR_EIO;
        }
        rc = s_walk_tree(w, sub, path, depth + 1);
        git_tree_free(sub);
        return rc;
    }
    case GIT_FILEMODE_BLOB:
    case GIT_FILEMODE_BLOB_EXECUTABLE:
        return cr_source_is_manifest_name(name)
                   ? s_read_blob(w, git_tree_entry_id(entry), path, path)
                   : 0;
    case GIT_FILEMODE_LINK:
        if (!cr_source_is_manifest_name(name))
            return 0;
        rc = s_follow_link(w, entry, path, w->scope, &why);
        if (rc == 0) {
            w->out->skipped++;
            cr_log_debug("%s:%s: symbolic link not followed (%s)", w->rev, path, why);
        }
        return rc < 0 ? rc : 0;
    case GIT_FILEMODE_COMMIT:
        /* A submodule's files belong to another repository (and another revision). */
        w->out->skipped++;
        cr_log_debug("%s:%s: submodule skipped", w->rev, path);
        return 0;
    default:
        return 0;
    }
}

static int s_walk_tree(struct s_walk *w, const git_tree *tree, const char *dir, unsigned depth)
{
    if (depth > CR_SOURCE_MAX_DEPTH) {
        cr_error_set("%s:%s: folders nested deeper than %d levels", w->rev, dir,
                     CR_SOURCE_MAX_DEPTH);
        return CR_ELIMIT;
    }
    struct cr_buf path = CR_BUF_INIT;
    int result = 0;
    size_t count = git_tree_entrycount(tree);
    for (size_t i = 0; i < count && result == 0; i++) {
        const git_tree_entry *entry = git_tree_entry_byindex(tree, i);
        const char *name = git_tree_entry_name(entry);
        if (cr_source_is_hidden_name(name))
            continue;
        cr_buf_clear(&path);
        cr_buf_printf(&path, "%s%s%s", dir, dir[0] != '\0' ? "/" : "", name);
        result = cr_buf_oom(&path) ? s_oom(dir) : s_entry(w, entry, path.ptr, depth);
    }
    cr_buf_dispose(&path);
    return result;
}

static int s_not_found(const struct s_walk *w, const char *user_path, const char *repo_path)
{
    if (strcmp(user_path, repo_path) == 0)
        cr_error_set("path '%s' does not exist at git revision '%s'", user_path, w->rev);
    else
        cr_error_set("path '%s' ('%s' in the repository) does not exist at git revision '%s'",
                     user_path, repo_path, w->rev);
    return CR_ENOTFOUND;
}

/* A path named on the command line that is not a folder. */
static int s_collect_file(struct s_walk *w, const git_tree_entry *entry, const char *user_path,
                          const char *repo_path)
{
    const char *why = NULL;
    int rc;
    switch (git_tree_entry_filemode(entry)) {
    case GIT_FILEMODE_BLOB:
    case GIT_FILEMODE_BLOB_EXECUTABLE:
        return s_read_blob(w, git_tree_entry_id(entry), repo_path, repo_path);
    case GIT_FILEMODE_LINK:
        /* Named explicitly: the target may be anywhere in the tree, never on disk. */
        rc = s_follow_link(w, entry, repo_path, "", &why);
        if (rc != 0)
            return rc < 0 ? rc : 0;
        cr_error_set("%s:%s: symbolic link not followed (%s)", w->rev, repo_path,
                     strcmp(why, "points outside the folder") == 0 ? "points outside the repository"
                                                                   : why);
        return CR_EINVALID;
    case GIT_FILEMODE_COMMIT:
        cr_error_set("path '%s' is a submodule at git revision '%s' (its files belong to "
                     "another repository)",
                     user_path, w->rev);
        return CR_EINVALID;
    default:
        return s_not_found(w, user_path, repo_path);
    }
}

static int s_collect_one(struct s_walk *w, const char *user_path, const char *repo_path)
{
    git_tree_entry *entry = NULL;
    git_tree *tree = NULL;
    int result;
    size_t first = w->out->len;
    if (repo_path[0] == '\0') {
        w->scope = "";
        result = s_walk_tree(w, w->root, "", 0);
        goto sort;
    }
    if (git_tree_entry_bypath(&entry, w->root, repo_path) != 0)
        return s_not_found(w, user_path, repo_path);
    if (git_tree_entry_filemode(entry) != GIT_FILEMODE_TREE) {
        result = s_collect_file(w, entry, user_path, repo_path);
        goto done;
    }
    if (git_tree_lookup(&tree, w->repo, git_tree_entry_id(entry)) != 0) {
        cr_error_set("%s:%s: cannot read the folder: %s", w->rev, repo_path, s_git_message());
        result = CR_EIO;
        goto done;
    }
    w->scope = repo_path;
    result = s_walk_tree(w, tree, repo_path, 0);
sort:
    /* Byte order of the display paths across the whole folder, as source.c does (git's own
     * tree order sorts a folder "a" as "a/", which differs). */
    if (result == 0)
        cr_source_list_sort(w->out, first);
done:
    git_tree_free(tree);
    git_tree_entry_free(entry);
    return result;
}

static int s_collect_paths(struct s_walk *w, const char *const *paths, size_t n)
{
    static const char *const here[] = {"."};
    struct cr_buf prefix = CR_BUF_INIT, repo_path = CR_BUF_INIT;
    int result = s_cwd_prefix(&prefix, w->repo);
    if (result != 0) {
        s_oom("current folder");
        goto done;
    }
    if (n == 0) {
        paths = here;
        n = 1;
    }
    for (size_t i = 0; i < n && result == 0; i++) {
        cr_buf_clear(&repo_path);
        result = s_repo_path(&repo_path, w->repo, cr_buf_cstr(&prefix), paths[i]);
        if (result == 0)
            result = s_collect_one(w, paths[i], cr_buf_cstr(&repo_path));
    }
done:
    cr_buf_dispose(&prefix);
    cr_buf_dispose(&repo_path);
    return result;
}

int cr_source_git_collect(struct cr_source_list *out, const char *git_dir, const char *rev,
                          const char *const *paths, size_t n, struct cr_git_revision *rev_out)
{
    int result;
    git_commit *commit = NULL;
    struct s_walk w = {.out = out, .rev = rev, .max_bytes = CR_SOURCE_MAX_FILE_BYTES};
    git_libgit2_init();
    result = s_open(&w.repo, git_dir);
    if (result != 0)
        goto done;
    result = s_resolve(&commit, w.repo, rev);
    if (result != 0)
        goto done;
    if (git_commit_tree(&w.root, commit) != 0) {
        cr_error_set("git revision '%s': cannot read its tree: %s", rev, s_git_message());
        result = CR_EIO;
        goto done;
    }
    s_fill_revision(rev_out, commit);
    result = s_collect_paths(&w, paths, n);
done:
    cr_strlist_dispose(&w.seen);
    git_tree_free(w.root);
    git_commit_free(commit);
    git_repository_free(w.repo);
    git_libgit2_shutdown();
    return result;
}

int cr_source_git_resolve(struct cr_git_revision *out, const char *git_dir, const char *rev)
{
    git_repository *repo = NULL;
    git_commit *commit = NULL;
    git_libgit2_init();
    int result = s_open(&repo, git_dir);
    if (result == 0)
        result = s_resolve(&commit, repo, rev);
    if (result == 0)
        s_fill_revision(out, commit);
    git_commit_free(commit);
    git_repository_free(repo);
    git_libgit2_shutdown();
    return result;
}

/* A full commit id that names a commit of repo. */
static int s_lookup_id(git_oid *out, git_repository *repo, const char *hex)
{
    git_commit *commit = NULL;
    if (strlen(hex) != CR_GIT_OID_HEX || git_oid_fromstr(out, hex) != 0) {
        cr_error_set("'%s' is not a full git commit id", hex);
        return CR_ENOTFOUND;
    }
    if (git_commit_lookup(&commit, repo, out) != 0) {
        cr_error_set("commit %.*s is not in this repository", CR_GIT_SHORT_HEX, hex);
        return CR_ENOTFOUND;
    }
    git_commit_free(commit);
    return 0;
}

int cr_source_git_check_ancestor(const char *git_dir, const char *commit, const char *recorded)
{
    git_repository *repo = NULL;
    git_oid new_id, old_id;
    git_libgit2_init();
    int result = s_open(&repo, git_dir);
    if (result == 0)
        result = s_lookup_id(&new_id, repo, commit);
    if (result == 0)
        result = s_lookup_id(&old_id, repo, recorded);
    if (result != 0 || git_oid_equal(&new_id, &old_id))
        goto done;
    int rc = git_graph_descendant_of(repo, &new_id, &old_id);
    if (rc < 0) {
        cr_error_set("cannot compare commits %.*s and %.*s: %s", CR_GIT_SHORT_HEX, commit,
                     CR_GIT_SHORT_HEX, recorded, s_git_message());
        result = CR_EIO;
    } else if (rc == 0) {
        cr_error_set("commit %.*s does not descend from %.*s", CR_GIT_SHORT_HEX, commit,
                     CR_GIT_SHORT_HEX, recorded);
        result = CR_EREFUSED;
    }
done:
    git_repository_free(repo);
    git_libgit2_shutdown();
    return result;
}
