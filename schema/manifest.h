/* SPDX-License-Identifier: Apache-2.0 */
#ifndef CR_SCHEMA_MANIFEST_H
#define CR_SCHEMA_MANIFEST_H
/*
 * Loading and validating manifests: YAML bytes (with a display path) -> struct
 * cr_model_pool, with every problem collected as a diagnostic (file, line, column, field
 * path, message) rather than stopping at the first one.
 *
 * schema/ takes bytes, not paths: where the bytes come from (files, folders, a git revision)
 * is source/'s job, and cmd/ wires the two.
 *
 * Typical use:
 *
 *   struct cr_manifest_options opts;
 *   cr_manifest_options_init(&opts);
 *   struct cr_manifest_set *set = NULL;
 *   int rc = cr_manifest_load_buffers(&set, inputs, n, &opts);
 *   if (rc == CR_EINVALID)   // set->diagnostics holds every problem, sorted
 *       ...
 *   cr_manifest_set_free(set);
 */
#include <stdbool.h>
#include <stddef.h>

#include "schema/model.h"
#include "util/arena.h"
#include "util/buf.h"
#include "util/error.h"

#define CR_MANIFEST_API_VERSION       "cognito-reconcile/v1"
#define CR_MANIFEST_KIND              "IdentityPool"
#define CR_MANIFEST_KIND_ACCOUNT      "Account"
#define CR_MANIFEST_KIND_TEST         "IdentityPoolTest"
#define CR_MANIFEST_MAX_FILE_BYTES    (1024 * 1024) /* larger files are refused */
#define CR_MANIFEST_MAX_DEPTH         64            /* YAML nesting */
#define CR_MANIFEST_MAX_ALIASES       100           /* alias uses per document */
#define CR_MANIFEST_MAX_NODES         1000000       /* per document, aliases expanded */
#define CR_MANIFEST_MAX_DIAGNOSTICS   1000          /* per set; then "too many errors" */
#define CR_MANIFEST_OWNERSHIP_PREFIX  "cognito-reconcile:"
#define CR_MANIFEST_RESERVED_TAGS     2 /* cognito-reconcile:stack and :name */
#define CR_MANIFEST_RESERVED_TAGS_GIT 3 /* ... and :revision when applied from git */

/** Knobs for loading and validation. Initialise with cr_manifest_options_init(). */
struct cr_manifest_options {
    /** Region for pools without metadata.region (NULL: unknown; names are then unique
     * across all pools without a region). Borrowed for the call; the set keeps a copy. */
    const char *default_region;
    /** Ownership tags the tool adds to every pool, counted against the 50-tag limit:
     * CR_MANIFEST_RESERVED_TAGS, or CR_MANIFEST_RESERVED_TAGS_GIT with a git revision. */
    unsigned reserved_tags;
    size_t max_file_bytes;  /* CR_MANIFEST_MAX_FILE_BYTES */
    size_t max_diagnostics; /* CR_MANIFEST_MAX_DIAGNOSTICS */
    /** Threads for cr_manifest_load_buffers (files are parsed in parallel when there are
     * several and they are large enough): 0 = one per online CPU (at most 8), 1 = none.
     * The result does not depend on it. */
    unsigned threads;
};

/** One problem in the manifests. All strings live in the set's arena. */
struct cr_diagnostic {
    const char *file;    /* display path */
    unsigned line;       /* 1-based; 0 for whole-file problems that have no position */
    unsigned column;     /* 1-based */
    const char *path;    /* field path, e.g. spec.roleMappings["x"].type; "" if none */
    const char *message; /* one line, names the field: "spec.identityPoolName: Member ..." */
    size_t file_index;   /* order in which the file was added (for sorting) */
};

/** One input file: bytes and the path to show in messages. Both borrowed. */
struct cr_manifest_input {
    const char *display_path;
    const char *bytes;
    size_t len;
};

/** A file of the run that holds no cognito-reconcile manifest (other YAML: CI pipelines,
 * Kubernetes objects, Helm values), and so was left out. Strings live in the set's arena. */
struct cr_manifest_skip {
    const char *file;   /* display path */
    const char *reason; /* "no cognito-reconcile document (apiVersion 'apps/v1', kind 'Deployment')" */
    size_t file_index;  /* order in which the file was added */
};

/** A loaded set of manifests. Everything lives in `arena` (pools, strings, diagnostics'
 * text) except the two growable arrays; all freed by cr_manifest_set_free(). */
struct cr_manifest_set {
    struct cr_arena arena;
    struct cr_manifest_options opts; /* default_region points into the arena */
    struct cr_model_pool **pools;    /* in file order, then document order */
    size_t n_pools;
    size_t cap_pools;
    struct cr_model_test **tests; /* IdentityPoolTest documents, in file and document order */
    size_t n_tests;
    size_t cap_tests;
    struct cr_diagnostic *diagnostics; /* sorted by file order, line, column after finish */
    size_t n_diagnostics;
    size_t cap_diagnostics;
    struct cr_model_account **accounts; /* kind: Account documents, in file then document order */
    size_t n_accounts;
    size_t cap_accounts;
    struct cr_diagnostic *warnings; /* not errors (an Account no pool names); sorted after finish */
    size_t n_warnings;
    size_t cap_warnings;
    size_t n_files; /* files holding manifests of ours (or problems that may be ours) */
    struct cr_manifest_skip *skipped; /* files that are not ours, in file order after finish */
    size_t n_skipped;
    size_t cap_skipped;
    bool truncated; /* more diagnostics than opts.max_diagnostics */
    bool finished;
    struct cr_arena *extra_arenas; /* the parallel loader's worker arenas, owned */
    size_t n_extra_arenas;
};

/** Fills opts with the defaults (no default region, 2 reserved tags, 1 MiB, 1000). */
void cr_manifest_options_init(struct cr_manifest_options *opts);

/**
 * Creates an empty set. opts may be NULL (defaults).
 * Returns 0 or CR_ENOMEM. The caller frees *out with cr_manifest_set_free().
 */
int cr_manifest_set_new(struct cr_manifest_set **out,
                        const struct cr_manifest_options *opts) CR_WARN_UNUSED;

/**
 * Parses one file (one or more YAML documents) into the set and validates each document of
 * ours on its own (types, unknown keys, API constraints, limits, provider cross-references).
 * Problems become diagnostics, not return codes.
 *
 * Discovery: a document is ours when its apiVersion starts with "cognito-reconcile/" (or is a
 * near miss of it, such as "cognito-reconcil/v1"), or when it is clearly meant to be ours (a
 * kind of ours, or spec.identityPoolName) and has no apiVersion of another API group
 * (missing, not a string, or without a group: "v1"). Other documents are left alone. A file
 * with no document of ours is skipped (set->skipped, with the reason) unless it has problems
 * that may be ours: a file that is not valid YAML, or holds an empty document or one that is
 * not a mapping, is reported when its text mentions "cognito-reconcile/", identityPoolName
 * or `kind: <a kind of ours>`, and skipped otherwise (a Helm template is not YAML).
 *
 * Returns 0, CR_ENOMEM, or CR_ERROR when the set is already finished (add every file first,
 * then call cr_manifest_set_finish once).
 */
int cr_manifest_set_add(struct cr_manifest_set *set, const char *display_path, const char *bytes,
                        size_t len) CR_WARN_UNUSED;

/**
 * Runs the checks across documents (metadata.name unique per account and region, pool ids
 * adopted once, metadata.account names an Account document, Account names and ids unique; an
 * Account no pool names is a warning) and sorts the diagnostics and warnings. Returns 0 when
 * the set is valid, CR_EINVALID when it has diagnostics (the last error then names the first
 * one and the count), or CR_ENOMEM.
 */
int cr_manifest_set_finish(struct cr_manifest_set *set) CR_WARN_UNUSED;

/**
 * new + add for each input + finish. On CR_EINVALID *out is still set so the caller can
 * report set->diagnostics; on other failures *out is NULL. Free with cr_manifest_set_free().
 */
int cr_manifest_load_buffers(struct cr_manifest_set **out, const struct cr_manifest_input *inputs,
                             size_t n, const struct cr_manifest_options *opts) CR_WARN_UNUSED;

/** Number of document kinds of ours ("IdentityPool", ...): schema/kinds.c. */
size_t cr_manifest_kind_count(void);

/** The i-th kind of ours, or NULL past the end. Static string. */
const char *cr_manifest_kind_name(size_t i);

/** The longest metadata.name (of a pool or an account). */
#define CR_MANIFEST_NAME_MAX 63

/** True when s is a valid metadata.name: 1 to 63 of a-z, 0-9 and '-', not starting with '-'. */
bool cr_manifest_name_valid(const char *s);

/**
 * True when the text s[0..len), written as a plain (unquoted) YAML scalar, reads back as that
 * string in manifests (YAML 1.2 core schema): false for null, booleans, integers and floats
 * (`~`, `True`, `0o17`, `.inf`, `1e3`, ...), which a writer of manifests must quote.
 */
bool cr_manifest_plain_reads_as_string(const char *s, size_t len);

/** Frees the set and everything in it. Accepts NULL. */
void cr_manifest_set_free(struct cr_manifest_set *set);

/** Number of distinct files with at least one diagnostic. */
size_t cr_manifest_set_files_with_errors(const struct cr_manifest_set *set);

/** Appends "file:line:column: message" (or "file: message" when line is 0) to out. */
int cr_diagnostic_format(struct cr_buf *out, const struct cr_diagnostic *diag) CR_WARN_UNUSED;

/** The Account document named name, or NULL. Borrowed. */
const struct cr_model_account *cr_manifest_set_account(const struct cr_manifest_set *set,
                                                       const char *name);

/**
 * The region a pool lives in: metadata.region, else the region of metadata.id, else its
 * account's spec.region, else the set's default region (may be NULL). Borrowed.
 */
const char *cr_manifest_pool_region(const struct cr_manifest_set *set,
                                    const struct cr_model_pool *pool);

/** The pool with metadata.name == name in region (see cr_model_pool_region), or NULL. */
const struct cr_model_pool *cr_manifest_set_find(const struct cr_manifest_set *set,
                                                 const char *name, const char *region);

#endif
