/* SPDX-License-Identifier: Apache-2.0 */
/*
 * A git revision (libgit2) -> struct cr_source_list, with the folder rules of source.c.
 *
 * Every read of the repository runs in a child process under a watchdog (s_guarded below).
 * Why: libgit2 trusts the object database. A truncated loose object makes libgit2 1.5 loop
 * forever inside git_odb_read (its zlib drain loop treats Z_BUF_ERROR as "try again", with no
 * input left to give: libgit2 issue #7342), and other corruptions can crash it. Checking
 * objects ourselves first would mean re-implementing the object database (loose and packed,
 * deltas) and would still only cover the faults we thought of. Instead the child does the
 * whole read and streams its results (files, skips, the commit, the outcome) over a socket,
 * announcing each object before it asks libgit2 for it; the parent kills the child when no
 * byte has arrived for CR_GIT_STALL_MS (COGNITO_RECONCILE_GIT_STALL_SECONDS overrides it) and
 * reports "the repository looks corrupt (run git fsck)" naming the object being read. A crash
 * of the child is reported the same way. Time is then bounded whatever happens inside
 * libgit2, and the parent's memory never holds libgit2 state.
 *
 * The child is a new program, not a bare fork: `cognito-reconcile watch` reads git while its
 * HTTP threads, the lock keeper and the reader's workers run, and a fork() of a threaded
 * process copies every lock as some other thread held it at that instant; libgit2's first
 * malloc (or a lock of OpenSSL's) then waits forever in the child. It did: GCC 12's ASan
 * allocator has no fork handler, and the watch tests hung. So s_spawn starts a worker with
 * posix_spawn (nothing of ours runs between the clone and the exec), and sends it the job
 * (the kind, the repository, the revision, the paths and options, the remote and its
 * credentials) as records over a socket pair, never in argv or the environment; the worker
 * answers with the records above, on the same socket.
 *
 * The worker is the running program itself, /proc/self/exe started with the argument
 * --cognito-reconcile-git-worker=1, caught by a constructor in this file (s_worker_entry)
 * before main() runs. Why not a helper in /usr/libexec/cognito-reconcile/: the unit and
 * integration tests are programs of their own that link this library and call
 * cr_source_git_* directly; with /proc/self/exe each of them is its own worker, in the build
 * tree as installed, under ASan as without, with no path compiled in and none to find.
 * /proc/self/exe also names the program that is running even after a package upgrade has
 * replaced the file, so parent and worker always speak the same records. It needs /proc
 * (Linux; a container without /proc fails with "cannot start a process (/proc/self/exe)").
 *
 * Sizes are checked before reading: git_odb_read_header gives a blob's size from its header
 * (the loose object's first bytes, or the pack entry), so a 1 GB blob is refused without
 * being inflated.
 */
#define _GNU_SOURCE /* posix_spawn_file_actions_addclosefrom_np, explicit_bzero */
#include "source/git.h"

#include <errno.h>
#include <fcntl.h>
#include <git2.h>
#include <limits.h>
#include <poll.h>
#include <signal.h>
#include <spawn.h>
#include <stdarg.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>
#include <sys/types.h>
#include <sys/wait.h>
#include <unistd.h>

#include "source/ignore.h"
#include "util/buf.h"
#include "util/strmap.h"
#include "util/spawn.h"
#include "util/strutil.h"

/* State of one collect call. */
struct s_walk {
    struct cr_source_list *out;
    git_repository *repo;
    git_tree *root;         /* tree of the commit */
    const char *rev;        /* as the user wrote it, for display paths and messages */
    const char *scope;      /* repository path of the folder argument being walked */
    struct cr_strlist seen; /* repository paths of the blobs read (each file once) */
    size_t max_bytes;
    struct cr_ignore ig;
};

static void s_progress(const char *fmt, ...) CR_PRINTF(1, 2);

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
    s_progress("the repository");
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
    s_progress("the commit %s", rev);
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

/*
 * The size of the blob oid from its header, without inflating it. Returns 0, CR_ELIMIT when
 * it is over max (the message names the path and both sizes), or CR_EIO.
 */
static int s_blob_size(size_t *out, struct s_walk *w, const git_oid *oid, const char *display,
                       size_t max)
{
    git_odb *odb = NULL;
    size_t size = 0;
    git_object_t type = GIT_OBJECT_INVALID;
    int result = CR_EIO;
    if (git_repository_odb(&odb, w->repo) != 0 || git_odb_read_header(&size, &type, odb, oid) != 0) {
        cr_error_set("%s: cannot read the file from git: %s", display, s_git_message());
        goto done;
    }
    if (type != GIT_OBJECT_BLOB) {
        cr_error_set("%s: the object is not a file (the repository looks corrupt: run git fsck)",
                     display);
        goto done;
    }
    if (size > max) {
        cr_error_set("%s: file is %zu bytes, larger than the limit of %zu bytes (not read)",
                     display, size, max);
        result = CR_ELIMIT;
        goto done;
    }
    *out = size;
    result = 0;
done:
    git_odb_free(odb);
    return result;
}

/* Reads the blob oid (checked to be at most max bytes) into out. */
static int s_blob_bytes(struct cr_buf *out, struct s_walk *w, const git_oid *oid,
                        const char *display, size_t max)
{
    git_blob *blob = NULL;
    size_t size = 0;
    s_progress("%s", display);
    int result = s_blob_size(&size, w, oid, display, max);
    if (result != 0)
        return result;
    if (git_blob_lookup(&blob, w->repo, oid) != 0) {
        cr_error_set("%s: cannot read the file from git: %s", display, s_git_message());
        return CR_EIO;
    }
    cr_buf_put(out, git_blob_rawcontent(blob), (size_t)git_blob_rawsize(blob));
    cr_buf_put(out, "", 0);
    git_blob_free(blob);
    return cr_buf_oom(out) ? s_oom(display) : 0;
}

/* Reads one blob as "REV:display_path"; blob_path (where the bytes live) lists it once. */
static int s_read_blob(struct s_walk *w, const git_oid *oid, const char *blob_path,
                       const char *display_path)
{
    int result = CR_ENOMEM;
    struct cr_buf display = CR_BUF_INIT, bytes = CR_BUF_INIT;
    if (cr_strlist_contains(&w->seen, blob_path))
        return 0;
    cr_buf_printf(&display, "%s:%s", w->rev, display_path);
    if (cr_buf_oom(&display) || cr_strlist_push(&w->seen, blob_path) != 0) {
        s_oom(w->rev);
        goto done;
    }
    result = s_blob_bytes(&bytes, w, oid, display.ptr, w->max_bytes);
    if (result == 0)
        result = cr_source_list_add(w->out, display.ptr, bytes.ptr, bytes.len);
done:
    cr_buf_dispose(&bytes);
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
    git_tree_entry *target = NULL;
    struct cr_buf text = CR_BUF_INIT, resolved = CR_BUF_INIT, display = CR_BUF_INIT;
    *why = "points outside the folder";
    cr_buf_printf(&display, "%s:%s", w->rev, link_path);
    if (cr_buf_oom(&display)) {
        s_oom(link_path);
        goto done;
    }
    /* A link's target is a path: PATH_MAX bounds any sane one. */
    result = s_blob_bytes(&text, w, git_tree_entry_id(entry), display.ptr, PATH_MAX);
    if (result != 0)
        goto done;
    result = CR_ENOMEM;
    const char *slash = strrchr(link_path, '/');
    if (slash != NULL)
        cr_buf_put(&resolved, link_path, (size_t)(slash - link_path));
    if (cr_buf_oom(&resolved)) {
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
    cr_buf_dispose(&text);
    cr_buf_dispose(&resolved);
    cr_buf_dispose(&display);
    return result;
}

/* Records a path of the revision that was met and not read. */
static int s_skip(struct s_walk *w, enum cr_source_skip_kind kind, bool named, const char *path,
                  const char *reason)
{
    struct cr_buf display = CR_BUF_INIT;
    cr_buf_printf(&display, "%s:%s", w->rev, path);
    int rc = cr_buf_oom(&display) ? s_oom(path)
                                  : cr_source_list_skip(w->out, kind, named, display.ptr, "%s",
                                                        reason);
    cr_buf_dispose(&display);
    return rc;
}

/* Pushes the .cognito-reconcile-ignore of folder dir ("" the root) if the revision has one. */
static int s_push_ignore_file(struct s_walk *w, const char *dir)
{
    int result = CR_ENOMEM;
    git_tree_entry *entry = NULL;
    struct cr_buf path = CR_BUF_INIT, display = CR_BUF_INIT, text = CR_BUF_INIT;
    cr_buf_printf(&path, "%s%s%s", dir, dir[0] != '\0' ? "/" : "", CR_IGNORE_FILE);
    cr_buf_printf(&display, "%s:%s", w->rev, cr_buf_cstr(&path));
    if (cr_buf_oom(&path) || cr_buf_oom(&display)) {
        s_oom(dir);
        goto done;
    }
    result = 0;
    if (git_tree_entry_bypath(&entry, w->root, path.ptr) != 0)
        goto done; /* none here */
    git_filemode_t mode = git_tree_entry_filemode(entry);
    if (mode != GIT_FILEMODE_BLOB && mode != GIT_FILEMODE_BLOB_EXECUTABLE)
        goto done;
    result = s_blob_bytes(&text, w, git_tree_entry_id(entry), display.ptr, CR_IGNORE_MAX_BYTES);
    if (result == 0)
        result = cr_ignore_push_file(&w->ig, dir, display.ptr, text.ptr, text.len);
done:
    git_tree_entry_free(entry);
    cr_buf_dispose(&path);
    cr_buf_dispose(&display);
    cr_buf_dispose(&text);
    return result;
}

/* Records path as excluded when a pattern names it; returns 1 then, 0 when it is kept. */
static int s_excluded(struct s_walk *w, const char *path, bool is_dir, bool named)
{
    struct cr_ignore_hit hit;
    struct cr_buf reason = CR_BUF_INIT;
    if (!cr_ignore_match(&w->ig, path, is_dir, &hit))
        return 0;
    if (hit.line > 0)
        cr_buf_printf(&reason, "excluded by %s:%u ('%s')", hit.origin, hit.line, hit.text);
    else
        cr_buf_printf(&reason, "excluded by --exclude '%s'", hit.text);
    int rc = cr_buf_oom(&reason)
                 ? s_oom(path)
                 : s_skip(w, CR_SOURCE_SKIP_EXCLUDED, named, path, reason.ptr);
    cr_buf_dispose(&reason);
    return rc != 0 ? rc : 1;
}

/*
 * Loads the ignore files of the folders from the repository root down to the parent of
 * path (a folder or file argument), checking that no folder on the way (nor path itself) is
 * excluded. Returns 1 when path is excluded (recorded), 0, or an error.
 */
static int s_enter_ancestors(struct s_walk *w, const char *path, bool is_dir)
{
    struct cr_buf dir = CR_BUF_INIT;
    int rc = 0;
    const char *rest = path;
    while (rc == 0) {
        rc = s_push_ignore_file(w, cr_buf_cstr(&dir));
        if (rc != 0)
            break;
        const char *slash = strchr(rest, '/');
        size_t n = slash != NULL ? (size_t)(slash - rest) : strlen(rest);
        if (dir.len > 0)
            cr_buf_putc(&dir, '/');
        cr_buf_put(&dir, rest, n);
        if (cr_buf_oom(&dir)) {
            rc = s_oom(path);
            break;
        }
        rc = s_excluded(w, dir.ptr, slash != NULL || is_dir, true);
        if (slash == NULL)
            break;
        rest = slash + 1;
    }
    cr_buf_dispose(&dir);
    return rc;
}

static int s_walk_tree(struct s_walk *w, const git_tree *tree, const char *dir, unsigned depth);

/* A blob met in a folder. */
static int s_entry_blob(struct s_walk *w, const git_tree_entry *entry, const char *path)
{
    const char *name = git_tree_entry_name(entry);
    if (cr_source_is_manifest_name(name))
        return s_read_blob(w, git_tree_entry_id(entry), path, path);
    if (cr_source_is_manifest_name_other_case(name))
        return s_skip(w, CR_SOURCE_SKIP_UNREAD, false, path,
                      "not read: only names ending in .yaml or .yml are (the case matters; "
                      "rename it)");
    return 0;
}

/* One entry of a folder: a manifest, a sub-folder, or something to skip. */
static int s_entry(struct s_walk *w, const git_tree_entry *entry, const char *path, unsigned depth)
{
    const char *why = NULL;
    char reason[128];
    int rc = 0;
    switch (git_tree_entry_filemode(entry)) {
    case GIT_FILEMODE_TREE: {
        git_tree *sub = NULL;
        s_progress("%s:%s", w->rev, path);
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
        return s_entry_blob(w, entry, path);
    case GIT_FILEMODE_LINK:
        if (!cr_source_is_manifest_name(git_tree_entry_name(entry)))
            return 0;
        rc = s_follow_link(w, entry, path, w->scope, &why);
        if (rc != 0)
            return rc < 0 ? rc : 0;
        snprintf(reason, sizeof(reason), "symbolic link not followed (%s)", why);
        return s_skip(w, CR_SOURCE_SKIP_UNREAD, false, path, reason);
    case GIT_FILEMODE_COMMIT:
        /* A submodule's files belong to another repository (and another revision). */
        return s_skip(w, CR_SOURCE_SKIP_UNREAD, false, path,
                      "submodule not read (its files belong to another repository)");
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
    size_t ignore_depth = w->ig.len;
    int result = s_push_ignore_file(w, dir);
    size_t count = git_tree_entrycount(tree);
    for (size_t i = 0; i < count && result == 0; i++) {
        const git_tree_entry *entry = git_tree_entry_byindex(tree, i);
        const char *name = git_tree_entry_name(entry);
        if (cr_source_is_hidden_name(name))
            continue;
        cr_buf_clear(&path);
        cr_buf_printf(&path, "%s%s%s", dir, dir[0] != '\0' ? "/" : "", name);
        if (cr_buf_oom(&path)) {
            result = s_oom(dir);
            break;
        }
        /* Submodules are folders in a checkout, and patterns see them so; links are files. */
        git_filemode_t mode = git_tree_entry_filemode(entry);
        result = s_excluded(w, path.ptr, mode == GIT_FILEMODE_TREE || mode == GIT_FILEMODE_COMMIT,
                            false);
        if (result == 0)
            result = s_entry(w, entry, path.ptr, depth);
        else if (result == 1)
            result = 0;
    }
    cr_ignore_pop(&w->ig, ignore_depth);
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
                     strcmp(why, "points outside the folder") == 0
                         ? "points outside the repository"
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
    size_t ignore_depth = w->ig.len;
    if (repo_path[0] == '\0') {
        w->scope = "";
        result = s_walk_tree(w, w->root, "", 0);
        goto sort;
    }
    if (git_tree_entry_bypath(&entry, w->root, repo_path) != 0)
        return s_not_found(w, user_path, repo_path);
    bool is_dir = git_tree_entry_filemode(entry) == GIT_FILEMODE_TREE;
    result = s_enter_ancestors(w, repo_path, is_dir);
    if (result != 0)
        goto done; /* excluded (1), or an error */
    if (!is_dir) {
        result = s_collect_file(w, entry, user_path, repo_path);
        goto done;
    }
    s_progress("%s:%s", w->rev, repo_path);
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
    cr_ignore_pop(&w->ig, ignore_depth);
    git_tree_free(tree);
    git_tree_entry_free(entry);
    return result < 0 ? result : 0;
}

static int s_collect_paths(struct s_walk *w, const char *const *paths, size_t n,
                           const struct cr_source_options *opts)
{
    static const char *const here[] = {"."};
    struct cr_buf prefix = CR_BUF_INIT, repo_path = CR_BUF_INIT;
    int result = s_cwd_prefix(&prefix, w->repo);
    if (result != 0) {
        s_oom("current folder");
        goto done;
    }
    /* --exclude patterns start where relative paths do: the current folder. */
    for (size_t i = 0; opts != NULL && i < opts->n_excludes && result == 0; i++)
        result = cr_ignore_add_exclude(&w->ig, cr_buf_cstr(&prefix),
                                       opts->excludes[i]);
    if (n == 0) {
        paths = here;
        n = 1;
    }
    for (size_t i = 0; i < n && result == 0; i++) {
        if (strcmp(paths[i], "-") == 0) {
            cr_error_set("'-' (standard input) cannot be read at a git revision: drop --git-ref, "
                         "or name the files");
            result = CR_EINVALID;
            break;
        }
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

/* ---- the jobs, run in the guarded child ---- */

/* What a job reads and what it gives back. */
struct s_job {
    enum { S_JOB_COLLECT, S_JOB_RESOLVE, S_JOB_ANCESTOR, S_JOB_FETCH } kind;
    const char *git_dir;
    const char *rev;
    const char *const *paths;
    size_t n;
    const struct cr_source_options *opts;
    const char *commit;   /* S_JOB_ANCESTOR */
    const char *recorded; /* S_JOB_ANCESTOR */
    const struct cr_source_git_remote *remote; /* S_JOB_FETCH */
    int stall_ms;                              /* the watchdog's limit; 0 = s_stall_ms() */
    /* results */
    struct cr_source_list *out;
    struct cr_git_revision *rev_out;
};

static int s_job_collect(struct s_job *job)
{
    int result;
    git_commit *commit = NULL;
    struct s_walk w = {.out = job->out, .rev = job->rev};
    w.max_bytes = job->opts != NULL && job->opts->max_file_bytes ? job->opts->max_file_bytes
                                                                  : CR_SOURCE_MAX_FILE_BYTES;
    cr_ignore_init(&w.ig);
    result = s_open(&w.repo, job->git_dir);
    if (result != 0)
        goto done;
    result = s_resolve(&commit, w.repo, job->rev);
    if (result != 0)
        goto done;
    s_progress("the tree of %s", job->rev);
    if (git_commit_tree(&w.root, commit) != 0) {
        cr_error_set("git revision '%s': cannot read its tree: %s", job->rev, s_git_message());
        result = CR_EIO;
        goto done;
    }
    s_fill_revision(job->rev_out, commit);
    result = s_collect_paths(&w, job->paths, job->n, job->opts);
done:
    cr_ignore_dispose(&w.ig);
    cr_strlist_dispose(&w.seen);
    git_tree_free(w.root);
    git_commit_free(commit);
    git_repository_free(w.repo);
    return result;
}

static int s_job_resolve(struct s_job *job)
{
    git_repository *repo = NULL;
    git_commit *commit = NULL;
    int result = s_open(&repo, job->git_dir);
    if (result == 0)
        result = s_resolve(&commit, repo, job->rev);
    if (result == 0)
        s_fill_revision(job->rev_out, commit);
    git_commit_free(commit);
    git_repository_free(repo);
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
    s_progress("commit %.12s", hex);
    if (git_commit_lookup(&commit, repo, out) != 0) {
        cr_error_set("commit %.*s is not in this repository", CR_GIT_SHORT_HEX, hex);
        return CR_ENOTFOUND;
    }
    git_commit_free(commit);
    return 0;
}

static int s_job_ancestor(struct s_job *job)
{
    git_repository *repo = NULL;
    git_oid new_id, old_id;
    int result = s_open(&repo, job->git_dir);
    if (result == 0)
        result = s_lookup_id(&new_id, repo, job->commit);
    if (result == 0)
        result = s_lookup_id(&old_id, repo, job->recorded);
    if (result != 0 || git_oid_equal(&new_id, &old_id))
        goto done;
    s_progress("the history between %.12s and %.12s", job->commit, job->recorded);
    int rc = git_graph_descendant_of(repo, &new_id, &old_id);
    if (rc < 0) {
        cr_error_set("cannot compare commits %.*s and %.*s: %s", CR_GIT_SHORT_HEX, job->commit,
                     CR_GIT_SHORT_HEX, job->recorded, s_git_message());
        result = CR_EIO;
    } else if (rc == 0) {
        cr_error_set("commit %.*s does not descend from %.*s", CR_GIT_SHORT_HEX, job->commit,
                     CR_GIT_SHORT_HEX, job->recorded);
        result = CR_EREFUSED;
    }
done:
    git_repository_free(repo);
    return result;
}

/* ---- fetching a remote branch into the cache (the child's side) ---- */

struct s_fetch {
    const struct cr_source_git_remote *remote;
    unsigned tries; /* credential callbacks: libgit2 asks again after a refusal */
    bool auth_asked;
};

/* libgit2 asks for credentials when the server wants them: a token for http(s), a key (or the
 * agent) for ssh. A second request for the same kind means the first was refused: stop. */
static int s_credentials(git_credential **out, const char *url, const char *user_from_url,
                         unsigned int allowed, void *payload)
{
    struct s_fetch *f = payload;
    const struct cr_source_git_remote *r = f->remote;
    f->auth_asked = true;
    if (++f->tries > 1)
        return GIT_EUSER;
    const char *user = user_from_url != NULL && user_from_url[0] != '\0' ? user_from_url : NULL;
    if ((allowed & GIT_CREDENTIAL_USERPASS_PLAINTEXT) && r->token != NULL)
        return git_credential_userpass_plaintext_new(out, r->username ? r->username : "git",
                                                     r->token);
    if ((allowed & GIT_CREDENTIAL_SSH_KEY) && r->ssh_key != NULL)
        return git_credential_ssh_key_new(out, user ? user : "git", NULL, r->ssh_key,
                                          r->ssh_passphrase);
    if (allowed & GIT_CREDENTIAL_SSH_KEY)
        return git_credential_ssh_key_from_agent(out, user ? user : "git");
    if (allowed & GIT_CREDENTIAL_USERNAME)
        return git_credential_username_new(out, user ? user : "git");
    return GIT_EUSER;
}

/* Every batch of objects received is progress for the watchdog. */
static int s_transfer(const git_indexer_progress *stats, void *payload)
{
    (void)payload;
    s_progress("fetching: %u of %u objects, %zu bytes", stats->received_objects,
               stats->total_objects, stats->received_bytes);
    return 0;
}

static int s_sideband(const char *str, int len, void *payload)
{
    (void)payload;
    s_progress("fetching: %.*s", len > 200 ? 200 : len, str);
    return 0;
}

static int s_open_cache(git_repository **out, const char *dir)
{
    s_progress("the cache %s", dir);
    if (git_repository_open_bare(out, dir) == 0)
        return 0;
    if (git_repository_init(out, dir, 1) == 0)
        return 0;
    cr_error_set("git cache '%s': cannot create a repository: %s", dir, s_git_message());
    return CR_EIO;
}

/* The fetch's failure, worded for the user (libgit2's text, and what kind of failure). */
static int s_fetch_error(const struct s_fetch *f, int rc)
{
    const struct cr_source_git_remote *r = f->remote;
    if (rc == GIT_EUSER || rc == GIT_EAUTH || (f->auth_asked && f->tries > 1)) {
        cr_error_set("git fetch %s (branch %s): the remote refused the credentials%s", r->url,
                     r->branch,
                     r->token == NULL && r->ssh_key == NULL
                         ? " (none given: set a token or an ssh key, docs/watch.md)"
                         : "");
        return CR_EAUTH;
    }
    const git_error *e = git_error_last();
    if (rc == GIT_ECERTIFICATE && e != NULL && e->klass == GIT_ERROR_SSH) {
        /* libgit2 looks the host up in $HOME/.ssh/known_hosts (with [host]:port for a port
         * other than 22) and refuses a host missing from it or a key that differs */
        const char *home = getenv("HOME");
        cr_error_set("git fetch %s (branch %s): %s: the server's host key is missing from "
                     "%s/.ssh/known_hosts or differs from it (docs/watch.md)",
                     r->url, r->branch, s_git_message(),
                     home != NULL && home[0] != '\0' ? home : "~");
        return CR_EIO;
    }
    cr_error_set("git fetch %s (branch %s): %s", r->url, r->branch, s_git_message());
    return CR_EIO;
}

static int s_job_fetch(struct s_job *job)
{
    const struct cr_source_git_remote *r = job->remote;
    git_repository *repo = NULL;
    git_remote *remote = NULL;
    git_reference *ref = NULL;
    git_commit *commit = NULL;
    struct cr_buf refspec = CR_BUF_INIT, local = CR_BUF_INIT;
    struct s_fetch f = {.remote = r};
    int result = s_open_cache(&repo, r->cache_dir);
    if (result != 0)
        goto done;
    /* ours only: refs/cognito-reconcile/<branch>, forced (a force-push is followed; the
     * rewind check decides whether applying it is allowed) */
    cr_buf_printf(&refspec, "+refs/heads/%s:refs/cognito-reconcile/%s", r->branch, r->branch);
    cr_buf_printf(&local, "refs/cognito-reconcile/%s", r->branch);
    if (cr_buf_oom(&refspec) || cr_buf_oom(&local)) {
        result = s_oom("git fetch");
        goto done;
    }
    s_progress("connecting to %s", r->url);
    if (git_remote_create_anonymous(&remote, repo, r->url) != 0) {
        cr_error_set("git fetch %s: %s", r->url, s_git_message());
        result = CR_EINVALID;
        goto done;
    }
    git_fetch_options fo;
    git_fetch_options_init(&fo, GIT_FETCH_OPTIONS_VERSION);
    fo.callbacks.credentials = s_credentials;
    fo.callbacks.transfer_progress = s_transfer;
    fo.callbacks.sideband_progress = s_sideband;
    fo.callbacks.payload = &f;
    fo.download_tags = GIT_REMOTE_DOWNLOAD_TAGS_NONE;
    /* a branch deleted on the remote drops our copy of it: the lookup below then fails,
     * instead of reconciling a commit no branch holds any more */
    fo.prune = GIT_FETCH_PRUNE;
    char *specs[] = {refspec.ptr};
    git_strarray list = {specs, 1};
    int rc = git_remote_fetch(remote, &list, &fo, "cognito-reconcile watch");
    if (rc != 0) {
        result = s_fetch_error(&f, rc);
        goto done;
    }
    s_progress("the commit of %s", local.ptr);
    if (git_reference_lookup(&ref, repo, local.ptr) != 0 ||
        git_reference_peel((git_object **)&commit, ref, GIT_OBJECT_COMMIT) != 0) {
        cr_error_set("git fetch %s: the remote has no branch '%s'", r->url, r->branch);
        result = CR_ENOTFOUND;
        goto done;
    }
    s_fill_revision(job->rev_out, commit);
    result = 0;
done:
    git_commit_free(commit);
    git_reference_free(ref);
    git_remote_free(remote);
    git_repository_free(repo);
    cr_buf_dispose(&refspec);
    cr_buf_dispose(&local);
    return result;
}

static int s_job_run(struct s_job *job)
{
    git_libgit2_init();
    int rc;
    switch (job->kind) {
    case S_JOB_COLLECT:
        rc = s_job_collect(job);
        break;
    case S_JOB_RESOLVE:
        rc = s_job_resolve(job);
        break;
    case S_JOB_FETCH:
        rc = s_job_fetch(job);
        break;
    case S_JOB_ANCESTOR:
    default:
        rc = s_job_ancestor(job);
        break;
    }
    git_libgit2_shutdown();
    return rc;
}

/* ---- the worker: a fresh process runs the job and streams records, timed by the parent ---- */

/*
 * Records on the channel (a socket pair): one type byte, a 4-byte length (host order: both
 * ends are this program), the payload.
 * From the worker to the parent:
 *   'P' progress: what is about to be read ("main:stacks/a.yaml")
 *   'F' file: 1 byte truncated, the display path, NUL, the bytes
 *   'S' skip: 1 byte kind ('0' + enum), 1 byte named, the display path, NUL, the reason
 *   'R' revision: the 40-hex commit id
 *   'E' end: the return code as decimal text, NUL, the error message
 * From the parent to the worker, before anything else (the job; then the parent shuts its
 * side for writing), each a string sent with its NUL, a field left out when it is NULL:
 *   'k' kind ('0' + enum s_job.kind)   'g' git_dir   'r' rev   'p' a path (each, in order)
 *   'm' max_file_bytes (decimal)       'x' an --exclude pattern (each, in order)
 *   'c' commit   'o' recorded          (the ancestor check)
 *   'u' url  'b' branch  'd' cache_dir  'n' username  't' token  's' ssh_key  'w' ssh_passphrase
 * Secrets (the token, the passphrase) travel only on this channel: never in argv (anyone on
 * the machine can read /proc/PID/cmdline) nor in the environment.
 */
#define S_WORKER_EXE  "/proc/self/exe"
#define S_WORKER_NAME "cognito-reconcile-git-reader" /* argv[0]: what ps shows */
#define S_WORKER_ARG  "--cognito-reconcile-git-worker=1" /* 1: the version of the records */
#define S_WORKER_FD   3 /* the channel, in the worker */
#define S_JOB_MAX     (64u << 20) /* bytes of one job the worker accepts */

static int s_channel = -1; /* the channel, in the worker only */
static bool s_is_worker;   /* this process is a worker (set before anything else runs) */

static void s_head(char head[5], char type, size_t len)
{
    uint32_t n = (uint32_t)len;
    head[0] = type;
    memcpy(head + 1, &n, 4);
}

/* The next whole record of bytes from *pos: true with its type, payload and length. */
static bool s_next(const struct cr_buf *bytes, size_t *pos, char *type, const char **p,
                   size_t *len)
{
    uint32_t n;
    if (bytes->len - *pos < 5)
        return false;
    memcpy(&n, bytes->ptr + *pos + 1, 4);
    if (bytes->len - *pos - 5 < n)
        return false;
    *type = bytes->ptr[*pos];
    *p = bytes->ptr + *pos + 5;
    *len = n;
    *pos += 5 + (size_t)n;
    return true;
}

static void s_send(char type, const void *a, size_t alen, const void *b, size_t blen)
{
    if (s_channel < 0)
        return;
    char head[5];
    s_head(head, type, alen + blen);
    const void *parts[3] = {head, a, b};
    size_t sizes[3] = {5, alen, blen};
    for (int i = 0; i < 3; i++) {
        const char *p = parts[i];
        size_t left = sizes[i];
        while (left > 0) {
            ssize_t n = write(s_channel, p, left);
            if (n < 0 && errno == EINTR)
                continue;
            if (n <= 0)
                _exit(3); /* the parent is gone */
            p += n;
            left -= (size_t)n;
        }
    }
}

static void s_progress(const char *fmt, ...)
{
    char text[512];
    va_list ap;
    if (s_channel < 0)
        return;
    va_start(ap, fmt);
    vsnprintf(text, sizeof(text), fmt, ap);
    va_end(ap);
    s_send('P', text, strlen(text), NULL, 0);
}

static void s_send_end(int rc)
{
    char code[32];
    int n = snprintf(code, sizeof(code), "%d", rc);
    s_send('E', code, (size_t)n + 1, cr_error_last(), strlen(cr_error_last()));
}

/* The worker's side of a job: runs it and sends what it found and how it ended. */
static void s_child(struct s_job *job)
{
    struct cr_source_list list;
    struct cr_git_revision rev;
    char head[2];
    cr_source_list_init(&list);
    memset(&rev, 0, sizeof(rev));
    job->out = &list;
    job->rev_out = &rev;
    int rc = s_job_run(job);
    for (size_t i = 0; i < list.len; i++) {
        head[0] = list.items[i].truncated ? '1' : '0';
        struct cr_buf payload = CR_BUF_INIT;
        cr_buf_put(&payload, head, 1);
        cr_buf_put(&payload, list.items[i].display_path, strlen(list.items[i].display_path) + 1);
        if (cr_buf_oom(&payload))
            _exit(4);
        s_send('F', payload.ptr, payload.len, list.items[i].bytes.ptr, list.items[i].bytes.len);
        cr_buf_dispose(&payload);
    }
    for (size_t i = 0; i < list.n_skips; i++) {
        const struct cr_source_skip *s = &list.skips[i];
        head[0] = (char)('0' + s->kind);
        head[1] = s->named ? '1' : '0';
        struct cr_buf payload = CR_BUF_INIT;
        cr_buf_put(&payload, head, 2);
        cr_buf_put(&payload, s->display_path, strlen(s->display_path) + 1);
        if (cr_buf_oom(&payload))
            _exit(4);
        s_send('S', payload.ptr, payload.len, s->reason, strlen(s->reason));
        cr_buf_dispose(&payload);
    }
    if (rev.id[0] != '\0')
        s_send('R', rev.id, strlen(rev.id), NULL, 0);
    s_send_end(rc);
    cr_source_list_dispose(&list);
}

/* ---- the job on the channel ---- */

static void s_put_field(struct cr_buf *out, char type, const char *s)
{
    char head[5];
    if (s == NULL)
        return;
    s_head(head, type, strlen(s) + 1);
    cr_buf_put(out, head, 5);
    cr_buf_put(out, s, strlen(s) + 1);
}

/* The parent's side: job as records (see above). */
static int s_job_encode(struct cr_buf *out, const struct s_job *job)
{
    char text[32];
    snprintf(text, sizeof(text), "%d", (int)job->kind);
    s_put_field(out, 'k', text);
    s_put_field(out, 'g', job->git_dir);
    s_put_field(out, 'r', job->rev);
    for (size_t i = 0; i < job->n; i++)
        s_put_field(out, 'p', job->paths[i]);
    if (job->opts != NULL) {
        snprintf(text, sizeof(text), "%zu", job->opts->max_file_bytes);
        s_put_field(out, 'm', text);
        for (size_t i = 0; i < job->opts->n_excludes; i++)
            s_put_field(out, 'x', job->opts->excludes[i]);
    }
    s_put_field(out, 'c', job->commit);
    s_put_field(out, 'o', job->recorded);
    const struct cr_source_git_remote *r = job->remote;
    if (r != NULL) {
        s_put_field(out, 'u', r->url);
        s_put_field(out, 'b', r->branch);
        s_put_field(out, 'd', r->cache_dir);
        s_put_field(out, 'n', r->username);
        s_put_field(out, 't', r->token);
        s_put_field(out, 's', r->ssh_key);
        s_put_field(out, 'w', r->ssh_passphrase);
    }
    return cr_buf_oom(out) ? CR_ENOMEM : 0;
}

/* The worker's copy of a job: every string points into the bytes received. */
struct s_worker_job {
    struct s_job job;
    struct cr_source_options opts;
    struct cr_source_git_remote remote;
    const char **paths;
    const char **excludes;
};

/* Fills w from the records of bytes (which must outlive it). */
static int s_job_decode(struct s_worker_job *w, const struct cr_buf *bytes)
{
    size_t pos = 0, len = 0, n_paths = 0, n_excludes = 0;
    const char *p = NULL;
    char type = 0;
    int kind = -1;
    while (s_next(bytes, &pos, &type, &p, &len)) {
        if (len == 0 || p[len - 1] != '\0')
            goto bad;
        n_paths += type == 'p';
        n_excludes += type == 'x';
    }
    if (pos != bytes->len)
        goto bad;
    w->paths = calloc(n_paths + 1, sizeof(*w->paths));
    w->excludes = calloc(n_excludes + 1, sizeof(*w->excludes));
    if (w->paths == NULL || w->excludes == NULL)
        return s_oom("git job");
    w->job.paths = w->paths;
    w->job.opts = &w->opts;
    w->opts.excludes = w->excludes;
    const struct {
        char type;
        const char **to;
    } fields[] = {
        {'g', &w->job.git_dir},     {'r', &w->job.rev},           {'c', &w->job.commit},
        {'o', &w->job.recorded},    {'u', &w->remote.url},        {'b', &w->remote.branch},
        {'d', &w->remote.cache_dir}, {'n', &w->remote.username},  {'t', &w->remote.token},
        {'s', &w->remote.ssh_key},  {'w', &w->remote.ssh_passphrase},
    };
    for (pos = 0; s_next(bytes, &pos, &type, &p, &len);) {
        size_t f = 0;
        if (type == 'k')
            kind = len == 2 && p[0] >= '0' && p[0] <= '0' + S_JOB_FETCH ? p[0] - '0' : -1;
        else if (type == 'p')
            w->paths[w->job.n++] = p;
        else if (type == 'x')
            w->excludes[w->opts.n_excludes++] = p;
        else if (type == 'm')
            w->opts.max_file_bytes = (size_t)strtoull(p, NULL, 10);
        else {
            while (f < sizeof(fields) / sizeof(fields[0]) && fields[f].type != type)
                f++;
            if (f == sizeof(fields) / sizeof(fields[0]))
                goto bad;
            *fields[f].to = p;
        }
    }
    w->job.kind = kind;
    w->job.remote = &w->remote;
    switch (kind) {
    case S_JOB_COLLECT:
    case S_JOB_RESOLVE:
        if (w->job.rev != NULL)
            return 0;
        break;
    case S_JOB_ANCESTOR:
        if (w->job.commit != NULL && w->job.recorded != NULL)
            return 0;
        break;
    case S_JOB_FETCH:
        if (w->remote.url != NULL && w->remote.branch != NULL && w->remote.cache_dir != NULL)
            return 0;
        break;
    default:
        break;
    }
bad:
    cr_error_set("the git reader received a malformed job (a different version of the program?)");
    return CR_EINVALID;
}

/* The worker: reads the job from fd until the parent shuts its side, runs it, answers. */
static int s_worker(int fd)
{
    struct cr_buf in;
    struct s_worker_job w;
    char chunk[4096];
    int rc = 0;
    cr_buf_init_limit(&in, S_JOB_MAX);
    memset(&w, 0, sizeof(w));
    for (;;) {
        ssize_t n = read(fd, chunk, sizeof(chunk));
        if (n < 0 && errno == EINTR)
            continue;
        if (n < 0) {
            cr_error_set("the git reader cannot read its job: %s", strerror(errno));
            rc = CR_EIO;
        }
        if (n <= 0)
            break;
        if (cr_buf_put(&in, chunk, (size_t)n) != 0) {
            rc = s_oom("git job");
            break;
        }
    }
    explicit_bzero(chunk, sizeof(chunk));
    s_channel = fd;
    if (rc == 0)
        rc = s_job_decode(&w, &in);
    if (rc == 0)
        s_child(&w.job);
    else
        s_send_end(rc);
    free(w.paths);
    free(w.excludes);
    cr_buf_dispose_secure(&in);
    close(fd);
    return 0;
}

/*
 * Every program that links this file is its own git reader: started by s_spawn as
 * "/proc/self/exe --cognito-reconcile-git-worker=1", it runs the job on S_WORKER_FD and exits
 * before its main() starts (glibc calls the constructors of the program with main's
 * arguments). So cognito-reconcile, and every test program that calls cr_source_git_*, needs
 * nothing else installed or found.
 */
__attribute__((constructor)) static void s_worker_entry(int argc, char **argv, char **envp)
{
    (void)envp;
    if (argc == 2 && argv != NULL && argv[1] != NULL && strcmp(argv[1], S_WORKER_ARG) == 0) {
        s_is_worker = true;
        exit(s_worker(S_WORKER_FD));
    }
}

#if defined(__SANITIZE_ADDRESS__)
/*
 * Under LeakSanitizer (make sanitize) the worker's exit is checked for leaks like any
 * program's, but libgit2 1.5 leaks on its own paths a fetch takes: git_regexp_match returns on
 * "no match" without freeing its PCRE2 match data (fixed in libgit2 1.6, libgit2 PR #6382),
 * and its ssh transport leaves libssh2's known-hosts list and some of its own buffers
 * allocated. They die with the worker (one process per read), so in the worker only (LSan
 * asks for the suppressions at its first leak check, the worker's exit) memory allocated
 * inside libgit2, libssh2 or PCRE2 is not reported: what this file allocates itself still is,
 * a libgit2 object it forgot to free is not (as under the fork before). Any other program,
 * a test that uses libgit2 itself included, is checked in full. The list of suppressions used
 * is not printed either: the worker's standard error is the caller's, where
 * `watch --log-format json` writes JSON only.
 */
const char *__lsan_default_suppressions(void);
const char *__lsan_default_suppressions(void)
{
    return s_is_worker ? "leak:libgit2.so\nleak:libssh2.so\nleak:libpcre2-8.so\n" : "";
}

const char *__lsan_default_options(void);
const char *__lsan_default_options(void)
{
    return "print_suppressions=0";
}
#endif

/* ---- the parent's side: start the worker, send the job, time the answers ---- */

/* How long the worker may go without sending anything: COGNITO_RECONCILE_GIT_STALL_SECONDS,
 * else the job's default. */
static int s_stall_ms(int fallback_ms)
{
    const char *env = getenv("COGNITO_RECONCILE_GIT_STALL_SECONDS");
    char *end = NULL;
    long s = env != NULL ? strtol(env, &end, 10) : 0;
    if (env != NULL && end != env && *end == '\0' && s >= 1 && s <= 3600)
        return (int)(s * 1000);
    return fallback_ms;
}

/* The payload of the last 'P' record in bytes (what the worker was reading), or "". */
static void s_last_progress(char *out, size_t cap, const struct cr_buf *bytes)
{
    size_t pos = 0, len = 0;
    const char *p = NULL;
    char type = 0;
    out[0] = '\0';
    while (s_next(bytes, &pos, &type, &p, &len))
        if (type == 'P')
            snprintf(out, cap, "%.*s", (int)len, p);
}

/* One 'F' or 'S' record into the job's list. */
static int s_decode_entry(struct s_job *job, char type, const char *p, size_t len)
{
    size_t head = type == 'F' ? 1 : 2;
    if (job->out == NULL || len < head)
        return 0;
    size_t name_len = strnlen(p + head, len - head);
    size_t off = head + name_len + 1;
    if (off > len)
        return 0;
    if (type == 'S')
        return cr_source_list_skip(job->out, (enum cr_source_skip_kind)(p[0] - '0'), p[1] == '1',
                                   p + head, "%.*s", (int)(len - off), p + off);
    if (cr_source_list_add(job->out, p + head, p + off, len - off) != 0)
        return CR_ENOMEM;
    job->out->items[job->out->len - 1].truncated = p[0] == '1';
    return 0;
}

/* Decodes the records into the job's results; returns the worker's code (its message set). */
static int s_decode(struct s_job *job, const struct cr_buf *bytes)
{
    size_t pos = 0, len = 0;
    const char *p = NULL;
    char type = 0;
    while (s_next(bytes, &pos, &type, &p, &len)) {
        if (type == 'F' || type == 'S') {
            if (s_decode_entry(job, type, p, len) != 0)
                return CR_ENOMEM;
        } else if (type == 'R' && job->rev_out != NULL && len == CR_GIT_OID_HEX) {
            memcpy(job->rev_out->id, p, CR_GIT_OID_HEX);
            job->rev_out->id[CR_GIT_OID_HEX] = '\0';
            memcpy(job->rev_out->short_id, p, CR_GIT_SHORT_HEX);
            job->rev_out->short_id[CR_GIT_SHORT_HEX] = '\0';
        } else if (type == 'E') {
            size_t code_len = strnlen(p, len);
            int rc = atoi(p);
            if (rc != 0 && code_len < len)
                cr_error_set("%.*s", (int)(len - code_len - 1), p + code_len + 1);
            return rc;
        }
    }
    return CR_ERROR; /* no end record: the caller reports how the worker ended */
}

/*
 * Starts the worker (see the top of this file) with its end of a new socket pair as
 * S_WORKER_FD; *fd gets the parent's end. posix_spawn (glibc: clone + exec, running nothing
 * of this program in between) is safe while other threads hold locks: the worker is a new
 * program, not a copy of this one's memory. Its standard input and output are /dev/null
 * (nothing it prints can mix with the records), standard error is this process's
 * (sanitizer reports), every other descriptor is closed, signals are back to their defaults
 * and unblocked.
 */
static int s_spawn(pid_t *pid, int *fd, const char *what)
{
    int sv[2];
    posix_spawn_file_actions_t fa;
    posix_spawnattr_t attr;
    char *argv[] = {(char *)S_WORKER_NAME, (char *)S_WORKER_ARG, NULL};
    if (socketpair(AF_UNIX, SOCK_STREAM | SOCK_CLOEXEC, 0, sv) != 0) {
        cr_error_set("%s: cannot create a pipe: %s", what, strerror(errno));
        return CR_EIO;
    }
    int rc = cr_spawnattr_init_clean(&attr);
    if (rc != 0) {
        close(sv[0]);
        close(sv[1]);
        cr_error_set("%s: cannot start a process (%s): %s", what, S_WORKER_EXE, strerror(rc));
        return CR_EIO;
    }
    posix_spawn_file_actions_init(&fa);
    /* first the channel: sv[1] may be 0 or 1 when those were closed */
    rc = posix_spawn_file_actions_adddup2(&fa, sv[1], S_WORKER_FD);
    if (rc == 0)
        rc = posix_spawn_file_actions_addopen(&fa, STDIN_FILENO, "/dev/null", O_RDONLY, 0);
    if (rc == 0)
        rc = posix_spawn_file_actions_addopen(&fa, STDOUT_FILENO, "/dev/null", O_WRONLY, 0);
    if (rc == 0)
        rc = posix_spawn_file_actions_addclosefrom_np(&fa, S_WORKER_FD + 1);
    if (rc == 0)
        rc = posix_spawn(pid, S_WORKER_EXE, &fa, &attr, argv, environ);
    posix_spawn_file_actions_destroy(&fa);
    posix_spawnattr_destroy(&attr);
    close(sv[1]);
    if (rc != 0) {
        close(sv[0]);
        cr_error_set("%s: cannot start a process (%s): %s", what, S_WORKER_EXE, strerror(rc));
        return CR_EIO;
    }
    *fd = sv[0];
    return 0;
}

/* Sends the job and shuts the parent's side for writing. Returns 0, CR_ETIMEOUT when the
 * worker takes nothing for stall_ms, or CR_EIO when it is gone (its exit status says why). */
static int s_send_job(int fd, const struct cr_buf *job, int stall_ms)
{
    size_t off = 0;
    while (off < job->len) {
        ssize_t n = send(fd, job->ptr + off, job->len - off, MSG_NOSIGNAL | MSG_DONTWAIT);
        if (n > 0) {
            off += (size_t)n;
            continue;
        }
        if (n < 0 && errno == EINTR)
            continue;
        if (n == 0 || (errno != EAGAIN && errno != EWOULDBLOCK))
            return CR_EIO;
        struct pollfd pfd = {.fd = fd, .events = POLLOUT};
        if (poll(&pfd, 1, stall_ms) == 0)
            return CR_ETIMEOUT;
    }
    shutdown(fd, SHUT_WR);
    return 0;
}

/* Reads the worker's records until it closes the channel or stalls. Returns 0 or
 * CR_ETIMEOUT. */
static int s_drain(struct cr_buf *bytes, int fd, int stall_ms)
{
    char chunk[65536];
    for (;;) {
        struct pollfd pfd = {.fd = fd, .events = POLLIN};
        int ready = poll(&pfd, 1, stall_ms);
        if (ready < 0 && errno == EINTR)
            continue;
        if (ready == 0)
            return CR_ETIMEOUT;
        ssize_t n = read(fd, chunk, sizeof(chunk));
        if (n < 0 && errno == EINTR)
            continue;
        if (n <= 0)
            return 0;
        if (cr_buf_put(bytes, chunk, (size_t)n) != 0)
            return CR_ENOMEM;
    }
}

/* Runs job in a worker process under the watchdog (see the top of this file). */
static int s_guarded(struct s_job *job, const char *what)
{
    int result = CR_EIO;
    int fd = -1;
    int status = 0;
    pid_t pid = -1;
    char reading[512];
    struct cr_buf bytes = CR_BUF_INIT, request = CR_BUF_INIT;
    int stall_ms = s_stall_ms(job->stall_ms ? job->stall_ms : CR_GIT_STALL_MS);
    if (s_job_encode(&request, job) != 0) {
        result = s_oom(what);
        goto done;
    }
    result = s_spawn(&pid, &fd, what);
    if (result != 0)
        goto done;
    int drained = s_send_job(fd, &request, stall_ms);
    if (drained != CR_ETIMEOUT)
        drained = s_drain(&bytes, fd, stall_ms);
    close(fd);
    if (drained == CR_ETIMEOUT)
        kill(pid, SIGKILL);
    while (waitpid(pid, &status, 0) < 0 && errno == EINTR)
        ;
    s_last_progress(reading, sizeof(reading), &bytes);
    if (drained == CR_ETIMEOUT && job->kind == S_JOB_FETCH) {
        cr_error_set("%s: %s made no progress for %d s: the remote or the network stalled", what,
                     reading[0] != '\0' ? reading : "the fetch", stall_ms / 1000);
        result = CR_EIO;
        goto done;
    }
    if (drained == CR_ETIMEOUT) {
        cr_error_set("%s: reading %s made no progress for %d s: the repository looks corrupt "
                     "(run git fsck)",
                     what, reading[0] != '\0' ? reading : "the repository", stall_ms / 1000);
        result = CR_EIO;
        goto done;
    }
    if (drained == CR_ENOMEM) {
        result = s_oom(what);
        goto done;
    }
    result = s_decode(job, &bytes);
    /* The answer counts only from a worker that ended well: one that crashed after it (or,
     * under the sanitizers, found a leak at exit) is reported, not trusted. */
    if (result == CR_ERROR || !(WIFEXITED(status) && WEXITSTATUS(status) == 0)) {
        if (WIFSIGNALED(status))
            cr_error_set("%s: reading %s crashed (signal %d): the repository looks corrupt (run "
                         "git fsck)",
                         what, reading[0] != '\0' ? reading : "the repository", WTERMSIG(status));
        else
            cr_error_set("%s: reading %s failed (exit status %d)", what,
                         reading[0] != '\0' ? reading : "the repository", WEXITSTATUS(status));
        result = CR_EIO;
    }
done:
    cr_buf_dispose(&bytes);
    cr_buf_dispose_secure(&request);
    return result;
}

/* ---- public ---- */

int cr_source_git_collect(struct cr_source_list *out, const char *git_dir, const char *rev,
                          const char *const *paths, size_t n,
                          const struct cr_source_options *opts, struct cr_git_revision *rev_out)
{
    char what[256];
    struct s_job job = {.kind = S_JOB_COLLECT, .git_dir = git_dir, .rev = rev, .paths = paths,
                        .n = n, .opts = opts, .out = out, .rev_out = rev_out};
    snprintf(what, sizeof(what), "git revision '%s'", rev);
    return s_guarded(&job, what);
}

int cr_source_git_resolve(struct cr_git_revision *out, const char *git_dir, const char *rev)
{
    char what[256];
    struct s_job job = {.kind = S_JOB_RESOLVE, .git_dir = git_dir, .rev = rev, .rev_out = out};
    snprintf(what, sizeof(what), "git revision '%s'", rev);
    return s_guarded(&job, what);
}

int cr_source_git_fetch(struct cr_git_revision *out, const struct cr_source_git_remote *remote)
{
    char what[512];
    struct s_job job = {.kind = S_JOB_FETCH, .remote = remote, .rev_out = out,
                        .stall_ms = CR_GIT_FETCH_STALL_MS};
    memset(out, 0, sizeof(*out));
    snprintf(what, sizeof(what), "git fetch %s (branch %s)", remote->url, remote->branch);
    int rc = s_guarded(&job, what);
    if (rc == 0 && out->id[0] == '\0') {
        cr_error_set("%s: no commit came back", what);
        rc = CR_EIO;
    }
    return rc;
}

int cr_source_git_check_ancestor(const char *git_dir, const char *commit, const char *recorded)
{
    struct s_job job = {.kind = S_JOB_ANCESTOR, .git_dir = git_dir, .commit = commit,
                        .recorded = recorded};
    return s_guarded(&job, "git history");
}
