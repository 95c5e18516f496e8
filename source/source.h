/* SPDX-License-Identifier: Apache-2.0 */
#ifndef CR_SOURCE_SOURCE_H
#define CR_SOURCE_SOURCE_H
/*
 * Where manifests come from. A source turns the PATH arguments of a command into a list of
 * (display path, bytes) pairs in a stable order; schema/ parses the bytes and shows the
 * display path in every message. Today: files and folders on disk. A git revision (libgit2)
 * plugs into the same list type: it fills struct cr_source_list from a tree instead of the
 * file system, with the same folder rules.
 *
 * Folder rules: recursive; only *.yaml and *.yml; names starting with '.' (such as .git)
 * are skipped; symbolic links are followed only when they point inside the folder given on
 * the command line, and never into folders (no cycles); the files of one folder argument
 * come in byte order of their display paths. A file named explicitly is read whatever its
 * extension. The same file reached twice is listed once.
 */
#include <stdbool.h>
#include <stddef.h>

#include "util/buf.h"
#include "util/error.h"

#define CR_SOURCE_MAX_FILE_BYTES (16 * 1024 * 1024) /* hard cap per file */
#define CR_SOURCE_MAX_DEPTH      64                 /* folders nested deeper: CR_ELIMIT */

/** One manifest file. */
struct cr_source_file {
    char *display_path; /* as the user wrote it, joined with '/' below folders; heap */
    struct cr_buf bytes;
    bool truncated; /* over the cap: bytes hold only its first cap + 1 bytes */
};

/** Why a path was not read. */
enum cr_source_skip_kind {
    /* It might hold manifests but was not read: a symbolic link not followed, a submodule,
     * something that is not a regular file, a *.YAML name (the extension is case-sensitive).
     * plan/apply refuse --prune when any such path was met (docs/cli.md). */
    CR_SOURCE_SKIP_UNREAD,
    /* Left out on purpose, by --exclude or a .cognito-reconcile-ignore line. */
    CR_SOURCE_SKIP_EXCLUDED,
};

/** A path met but not read, and why (for --verbose and the --prune check). */
struct cr_source_skip {
    char *display_path; /* heap */
    char *reason;       /* one lowercase phrase: "symbolic link not followed (...)"; heap */
    enum cr_source_skip_kind kind;
    bool named; /* the path was named on the command line (not met inside a folder) */
};

/** The files of one run, in order. Caller-owned: cr_source_list_dispose(). */
struct cr_source_list {
    struct cr_source_file *items;
    size_t len;
    size_t cap;
    size_t skipped; /* skips of kind CR_SOURCE_SKIP_UNREAD */
    struct cr_source_skip *skips; /* every path met and not read, in walking order */
    size_t n_skips;
    size_t cap_skips;
};

/** How to collect. Zero (or a NULL pointer) means the defaults. */
struct cr_source_options {
    size_t max_file_bytes;       /* cap per file; 0 = CR_SOURCE_MAX_FILE_BYTES */
    const char *const *excludes; /* --exclude patterns (gitignore syntax, source/ignore.h) */
    size_t n_excludes;
};

/** Display path of standard input ("-" on the command line). */
#define CR_SOURCE_STDIN_NAME "<stdin>"

/** Initialises an empty list (no allocation). */
void cr_source_list_init(struct cr_source_list *list);

/** Frees every file and the array. Safe on an initialised or zeroed list. */
void cr_source_list_dispose(struct cr_source_list *list);

/**
 * Appends the files named by paths (files or folders) to out, in argument order and, inside
 * each folder, in byte order. n == 0 reads the current folder ".".
 *
 * "-" reads standard input (shown as CR_SOURCE_STDIN_NAME). A path that is not a regular file
 * or a folder is refused with the reason (a named pipe would block forever, a terminal is not
 * a file), except a pipe reached through a descriptor the process already holds
 * (/dev/stdin, /dev/fd/N, /proc/self/fd/N: `<(...)` in a shell), which is read to its end.
 *
 * Paths that --exclude or a .cognito-reconcile-ignore file name are left out (source/ignore.h):
 * the ignore files of every folder walked, and of the folders above each argument up to the
 * top of its git work tree (the nearest folder holding .git), else up to the current folder
 * when the argument is inside it. --exclude patterns are relative to the current folder.
 *
 * opts may be NULL. max_file_bytes caps each file: a file over the cap is still listed,
 * with only its first max_file_bytes + 1 bytes and `truncated` set, so the loader reports it
 * ("larger than the limit") along with every other problem of the run instead of the run
 * stopping at it; memory stays bounded by the cap.
 * Returns 0; CR_ENOTFOUND when a path does not exist ("path 'x' does not exist");
 * CR_EINVALID for a path that is neither a file nor a folder, "-" given twice, or a bad
 * --exclude pattern; CR_ELIMIT for folders nested too deep or an ignore file over
 * CR_IGNORE_MAX_BYTES; CR_EIO when a file or folder cannot be read; CR_ENOMEM. On failure
 * out keeps what was appended before (dispose it either way).
 */
int cr_source_collect(struct cr_source_list *out, const char *const *paths, size_t n,
                      const struct cr_source_options *opts) CR_WARN_UNUSED;

/** Records a path met and not read (display path and the formatted reason are copied).
 * Returns 0 or CR_ENOMEM. */
int cr_source_list_skip(struct cr_source_list *out, enum cr_source_skip_kind kind, bool named,
                        const char *display_path, const char *fmt, ...) CR_PRINTF(5, 6)
    CR_WARN_UNUSED;

/** The folder rules shared by every source: whether a name that is not read as a manifest
 * (cr_source_is_manifest_name false) looks like one written with another case ("a.YAML"). */
bool cr_source_is_manifest_name_other_case(const char *name);

/** Appends one in-memory file (used by tests and by other sources such as git). The
 * display path and bytes are copied. Returns 0 or CR_ENOMEM. */
int cr_source_list_add(struct cr_source_list *out, const char *display_path, const char *bytes,
                       size_t len) CR_WARN_UNUSED;

/** The folder rules shared by every source: whether an entry named name (no '/') found while
 * walking a folder is read as a manifest (*.yaml or *.yml). */
bool cr_source_is_manifest_name(const char *name);

/** The folder rules shared by every source: whether an entry named name is skipped while
 * walking a folder (names starting with '.', such as .git). */
bool cr_source_is_hidden_name(const char *name);

/** The folder rules shared by every source: the rest of path below root ("" for root itself),
 * or NULL when path is outside root (a symbolic link there is not followed). Both are written
 * the same way (both absolute, or both without the leading slash), already resolved; a root
 * of "" or "/" holds every path. */
const char *cr_source_path_below(const char *path, const char *root);

/** Sorts list->items[first..len) in byte order of their display paths (the files of one
 * folder argument: "a.yaml" before "a/b.yaml"). */
void cr_source_list_sort(struct cr_source_list *list, size_t first);

#endif
