/* SPDX-License-Identifier: Apache-2.0 */
#ifndef CR_SOURCE_IGNORE_H
#define CR_SOURCE_IGNORE_H
/*
 * Paths to leave out of a run: `.cognito-reconcile-ignore` files and `--exclude` patterns,
 * both in gitignore syntax and with git's rules (gitignore(5)), so that what a user checks
 * with `git check-ignore` is what we do; tests/unit/test_source_ignore.c compares the two
 * on random trees.
 *
 * - Blank lines match nothing; `#` starts a comment; `\#` and `\!` are literal; trailing
 *   spaces are dropped unless escaped (`\ `); a trailing CR is dropped (CRLF files).
 * - `!` re-includes what an earlier pattern excluded; but nothing below an excluded folder
 *   can be re-included (the walker never enters it).
 * - A trailing `/` matches folders only. A pattern with a `/` at the start or in the middle
 *   is anchored: matched against the path below the folder of its ignore file; otherwise it
 *   is matched against the last component at any depth.
 * - `*` and `?` do not match `/`; `[...]` as in fnmatch(3); `**` as a whole component
 *   matches across folders: leading (`**` then `/`) in any folder, in the middle zero or more
 *   folders, trailing (`/` then `**`) everything inside.
 * - Precedence: --exclude patterns first (git's command-line patterns), then the ignore file
 *   of the deepest folder up to the shallowest; within one source the last matching line
 *   wins, and the first source with a matching line decides.
 *
 * Paths and bases are written the same way: components joined with '/', no leading or
 * trailing slash ("" is the root). source.c uses real absolute paths without the leading
 * slash; git.c uses paths in the repository.
 */
#include <stdbool.h>
#include <stddef.h>

#include "util/error.h"

#define CR_IGNORE_FILE      ".cognito-reconcile-ignore"
#define CR_IGNORE_MAX_BYTES (1024 * 1024) /* an ignore file larger than this is an error */

/** One pattern line, parsed. */
struct cr_ignore_rule {
    char *pattern; /* without '!', the trailing '/' and a leading '/'; heap */
    char *text;    /* the line as written (for messages); heap */
    unsigned line; /* 1-based line in its file; 0 for --exclude */
    bool negate;
    bool dir_only;
    bool anchored;
};

/** The patterns of one ignore file, or the --exclude patterns. */
struct cr_ignore_list {
    char *base;   /* folder the patterns are relative to; heap */
    char *origin; /* display path of the ignore file, or "--exclude"; heap */
    bool floating; /* --exclude: unanchored patterns also match paths outside base */
    struct cr_ignore_rule *rules;
    size_t len;
    size_t cap;
};

/** The patterns in force while walking: --exclude, and a stack of ignore files. */
struct cr_ignore {
    struct cr_ignore_list cmdline;
    struct cr_ignore_list *files; /* shallowest first */
    size_t len;
    size_t cap;
};

/** Which line excluded a path (borrowed from the struct cr_ignore). */
struct cr_ignore_hit {
    const char *origin;
    unsigned line;
    const char *text;
};

/** Initialises an empty set of patterns (no allocation). */
void cr_ignore_init(struct cr_ignore *ig);

/** Frees every list. Safe on an initialised or zeroed struct. */
void cr_ignore_dispose(struct cr_ignore *ig);

/**
 * Adds one --exclude pattern (gitignore syntax, one line, taken as written like git's
 * --exclude: `#` and trailing spaces are part of it) relative to base (the folder relative
 * PATH arguments start from). Unanchored patterns also apply to paths outside base.
 * Returns 0, CR_EINVALID for a pattern that is empty (also "!" or "/") or holds a newline
 * (the message names it), or CR_ENOMEM.
 */
int cr_ignore_add_exclude(struct cr_ignore *ig, const char *base, const char *pattern) CR_WARN_UNUSED;

/**
 * Pushes the patterns of an ignore file found in folder base; origin is its display path
 * (for messages, copied). Returns 0 or CR_ENOMEM. The stack depth before the call is what
 * cr_ignore_pop() takes to remove it again.
 */
int cr_ignore_push_file(struct cr_ignore *ig, const char *base, const char *origin,
                        const char *text, size_t len) CR_WARN_UNUSED;

/** Removes the ignore files pushed after the stack had depth entries. */
void cr_ignore_pop(struct cr_ignore *ig, size_t depth);

/**
 * Whether path (a file, or a folder when is_dir) is left out. The folders above path are not
 * checked here: the walker does not enter excluded folders. hit (may be NULL) receives the
 * deciding line when the answer is true.
 */
bool cr_ignore_match(const struct cr_ignore *ig, const char *path, bool is_dir,
                     struct cr_ignore_hit *hit);

/**
 * gitignore's wildcard match of one anchored pattern against a path (both '/'-separated):
 * `*`, `?`, `[...]` within a component, `**` components across them. Exposed for tests.
 */
bool cr_ignore__wildmatch(const char *pattern, const char *path);

#endif
