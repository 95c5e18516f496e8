/* SPDX-License-Identifier: Apache-2.0 */
#ifndef CR_SOURCE_GIT_H
#define CR_SOURCE_GIT_H
/*
 * Manifests read straight from a git revision (libgit2), into the same struct
 * cr_source_list the file collector fills, so schema/ and every command work unchanged.
 *
 * The tree of the commit REV names is read; the working tree and the index are never
 * consulted (a dirty checkout does not matter). Folder rules are those of source.h:
 * recursive, only *.yaml and *.yml, names starting with '.' skipped, files of one folder
 * argument in byte order of their display paths, a file reached twice listed once, a file
 * named explicitly read whatever its extension. Specific to trees:
 * - a symbolic link (mode 120000) is followed only when its target, resolved inside the tree
 *   of REV, is a regular file inside the folder argument (a file argument's link may point
 *   anywhere inside the repository); any other link is skipped and counted in
 *   list->skipped, never read from the file system;
 * - a submodule (gitlink, mode 160000) is skipped and counted in list->skipped: its content
 *   is another repository's;
 * - .cognito-reconcile-ignore files and --exclude patterns apply as on disk (source/ignore.h),
 *   the ignore files read from the tree of REV (from the repository root down), never from
 *   disk; --exclude patterns are relative to where relative paths start (below).
 *
 * Every read runs in a child process under a watchdog (this program started afresh, never a
 * bare fork, so callers may have other threads; source/git.c): a repository that makes
 * libgit2 hang or crash (a truncated object) fails within CR_GIT_STALL_MS of silence with
 * "the repository looks corrupt (run git fsck)"; COGNITO_RECONCILE_GIT_STALL_SECONDS (1-3600)
 * changes the limit. A blob's size is read from its header first: one over the cap is
 * refused without being inflated.
 *
 * Paths are relative to the current folder when it is inside the repository's work tree
 * (like `git show REV:./path`), otherwise (a bare repository, or --git-dir elsewhere) to the
 * repository root. Display paths are "REV:path/in/repo.yaml" with REV as the user wrote it
 * and the path from the repository root, so a message reads
 * "main:stacks/prod/web.yaml:12:7: ..." and `git show main:stacks/prod/web.yaml` opens it.
 */
#include <stdbool.h>
#include <stddef.h>

#include "source/source.h"
#include "util/error.h"

#define CR_GIT_OID_HEX   40 /* SHA-1 commit ids */
#define CR_GIT_SHORT_HEX 12
#define CR_GIT_STALL_MS  10000 /* the watchdog's limit for a read that sends nothing */
#define CR_GIT_FETCH_STALL_MS 60000 /* ... and for a fetch (a server may pack for a while) */

/** The commit a revision named. */
struct cr_git_revision {
    char id[CR_GIT_OID_HEX + 1];         /* full commit id, lowercase hex */
    char short_id[CR_GIT_SHORT_HEX + 1]; /* the first CR_GIT_SHORT_HEX characters */
};

/**
 * Appends the manifests named by paths (files or folders; n == 0 reads the current folder)
 * as they are in the commit rev names, to out.
 *
 * git_dir: the repository (its work tree, its .git folder, or a bare repository); NULL
 * discovers the repository containing the current folder, like git does.
 * rev: any revision libgit2 parses (branch, tag, full or short id, "HEAD~2", "origin/main",
 * "v1.2^{commit}"); annotated tags are peeled to their commit.
 * rev_out (may be NULL) receives the commit.
 *
 * opts (may be NULL): the per-file cap (default CR_SOURCE_MAX_FILE_BYTES) and --exclude
 * patterns.
 *
 * Returns 0; CR_ENOTFOUND for a folder that is not a repository, an unknown revision, or a
 * path missing at that revision (the message names the path and the revision); CR_EINVALID
 * for a revision that is ambiguous or does not name a commit, a path outside the repository,
 * or "-"; CR_ELIMIT for a file over the cap (the message names it and its size) or folders
 * nested too deep; CR_EIO for a repository that cannot be read, hangs or crashes libgit2;
 * CR_ENOMEM. On failure out keeps what was appended before (dispose it either way).
 */
int cr_source_git_collect(struct cr_source_list *out, const char *git_dir, const char *rev,
                          const char *const *paths, size_t n,
                          const struct cr_source_options *opts,
                          struct cr_git_revision *rev_out) CR_WARN_UNUSED;

/**
 * Resolves rev to its commit without reading any tree. Same repository rules and codes as
 * cr_source_git_collect().
 */
int cr_source_git_resolve(struct cr_git_revision *out, const char *git_dir,
                          const char *rev) CR_WARN_UNUSED;

/**
 * The rewind check of apply: may `commit` (a full id) overwrite what `recorded` (the full
 * id a pool's cognito-reconcile:revision tag holds) applied? Yes when they are equal or
 * commit descends from recorded (git_graph_descendant_of).
 * Returns 0 when it may; CR_EREFUSED when recorded is not an ancestor of commit (the message
 * says so, with both short ids); CR_ENOTFOUND when recorded is not a commit of the
 * repository (or not a commit id at all); CR_ENOTFOUND / CR_EIO for the repository as
 * cr_source_git_collect(); CR_ENOMEM.
 */
int cr_source_git_check_ancestor(const char *git_dir, const char *commit,
                                 const char *recorded) CR_WARN_UNUSED;

/** A branch of a remote repository, fetched into a local cache (cr_source_git_fetch). */
struct cr_source_git_remote {
    const char *url;       /* file://, git://, http(s)://, ssh://, or scp-like user@host:path */
    const char *branch;    /* "main": fetched as refs/heads/<branch> */
    const char *cache_dir; /* the bare repository kept between fetches; created when missing */
    /* http(s) credentials, sent only when the server asks (401): username (NULL = "git") and a
     * token or password (NULL = none). Never logged. */
    const char *username;
    const char *token;
    /* ssh: the private key file (NULL = the ssh agent); the user is the URL's (else "git").
     * The server's host key must be in ~/.ssh/known_hosts (libgit2 checks it). */
    const char *ssh_key;
    const char *ssh_passphrase; /* NULL = none; never logged */
};

/**
 * Fetches remote->branch of remote->url into the bare repository remote->cache_dir (made on
 * first use; later fetches transfer only new objects, with full history, so the rewind check
 * can walk it) and resolves it to its commit, in a child process under the watchdog: a fetch
 * that makes no progress for COGNITO_RECONCILE_GIT_STALL_SECONDS (default 60 s for a fetch)
 * is killed. The remote is not recorded in the cache's configuration (an anonymous remote),
 * so one cache folder per URL (the caller's choice) is all that ties them.
 *
 * Afterwards cr_source_git_collect(out, remote->cache_dir, out->id, ...) reads the commit.
 * Returns 0; CR_ENOTFOUND (no such branch on the remote); CR_EAUTH (credentials missing or
 * refused); CR_EIO (the remote cannot be reached, a transfer failed or stalled, the cache
 * cannot be written); CR_ENOMEM. The message names the URL and the branch, never a secret.
 */
int cr_source_git_fetch(struct cr_git_revision *out,
                        const struct cr_source_git_remote *remote) CR_WARN_UNUSED;

#endif
