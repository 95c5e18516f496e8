/* SPDX-License-Identifier: Apache-2.0 */
#ifndef CR_SCHEMA_MANIFEST_INTERNAL_H
#define CR_SCHEMA_MANIFEST_INTERNAL_H
/* Internal to schema/: the state shared by the loader (manifest.c) and the validator
 * (validate.c) while one file is processed. */
#include <stdbool.h>
#include <stddef.h>

#include "schema/manifest.h"
#include "schema/yaml.h"

#define CR_MANIFEST_PATH_MAX   1024 /* bytes of a rendered field path */
#define CR_MANIFEST_PATH_DEPTH 96   /* segments kept (YAML nesting stops at 64) */

/** One step of a field path: .name, [index] or ["key"]. */
struct cr_mpath_seg {
    enum { CR_MPATH_FIELD, CR_MPATH_INDEX, CR_MPATH_KEY } kind;
    const char *text; /* FIELD: the name; KEY: the key bytes (borrowed, live while pushed) */
    size_t n;         /* INDEX: the index; KEY: the key length */
};

/*
 * The field path is a stack of segments rendered to text only when a diagnostic is recorded:
 * nearly every node of a valid manifest is entered and left without an error, so building
 * (and quoting) the text eagerly cost more than the checks themselves (bench/validate).
 */
struct cr_mctx {
    struct cr_manifest_set *set;
    const char *file;  /* display path, in the set's arena */
    size_t file_index; /* order of the file in the set */
    /* Discovery (which documents are ours): see s_classify in manifest.c. */
    size_t file_mark;   /* set->n_diagnostics when the file started */
    size_t doc_mark;    /* set->n_diagnostics when the current document started */
    size_t ours;        /* documents of the file recognised as ours */
    size_t documents;   /* documents of the file, ours or not */
    char foreign[160];  /* what the first document that is not ours was, for the skip note */
    struct cr_mpath_seg path[CR_MANIFEST_PATH_DEPTH];
    size_t depth; /* segments pushed; those past CR_MANIFEST_PATH_DEPTH are not rendered */
    int rc;       /* sticky CR_ENOMEM */
};

/** Records a diagnostic at loc with the current field path; msg is used as is. */
void cr_manifest__diag(struct cr_mctx *ctx, struct cr_loc loc, const char *fmt, ...)
    CR_PRINTF(3, 4);

/** Records a diagnostic whose message is "<current path>: msg" (just msg at the root). */
void cr_manifest__field_diag(struct cr_mctx *ctx, struct cr_loc loc, const char *fmt, ...)
    CR_PRINTF(3, 4);

/** Appends ".name" (or "name" at the root) to the path; returns the depth to restore. name
 * is borrowed: it must live until the matching cr_manifest__path_pop(). */
size_t cr_manifest__path_field(struct cr_mctx *ctx, const char *name);
/** Appends "[i]". */
size_t cr_manifest__path_index(struct cr_mctx *ctx, size_t i);
/** Appends ["key"] (escaped and long keys shortened when rendered; key is borrowed). */
size_t cr_manifest__path_key(struct cr_mctx *ctx, const char *key, size_t len);
/** Restores the path to an earlier depth. */
void cr_manifest__path_pop(struct cr_mctx *ctx, size_t depth);

/** Renders the first depth segments of the path into out (NUL-terminated, cut to cap);
 * returns the length written. */
size_t cr_manifest__path_render(const struct cr_mctx *ctx, size_t depth, char *out, size_t cap);

/** Writes a quotable, shortened form of user text into out (for messages). */
const char *cr_manifest__quote(char *out, size_t cap, const char *s, size_t len);

/* ---- conversion helpers (manifest.c), shared by the converters of every kind ---- */

/** How a mapping key is converted: a string, a boolean, a map or list of strings, or by a
 * function of the kind's converter. */
enum cr_mfield_kind {
    CR_MFIELD_STR,
    CR_MFIELD_BOOL,
    CR_MFIELD_MAP,
    CR_MFIELD_LIST,
    CR_MFIELD_FN,
};

/** Converts a custom field: obj is the struct being filled, key and val the YAML nodes. */
typedef void cr_mfield_fn(struct cr_mctx *ctx, void *obj, const struct cr_ynode *key,
                          const struct cr_ynode *val);

/** One key of a mapping: where its value goes (offset into the struct) or who converts it. */
struct cr_mfield {
    const char *key;
    enum cr_mfield_kind kind;
    size_t offset;
    bool required;
    cr_mfield_fn *custom;
    const char *why; /* appended to the missing-key message */
};

#define CR_MFIELD(name, kind, type, member, req)                                                   \
    {                                                                                              \
        name, kind, offsetof(type, member), req, NULL, NULL                                        \
    }
#define CR_MFIELD_CUSTOM(name, fn, req)                                                            \
    {                                                                                              \
        name, CR_MFIELD_FN, 0, req, fn, NULL                                                       \
    }

/** Converts the mapping val into obj by the field table: unknown keys (with "did you mean"),
 * missing required ones, wrong types become diagnostics. False when val is not a mapping. */
bool cr_manifest__struct(struct cr_mctx *ctx, void *obj, const struct cr_ynode *val,
                         const struct cr_mfield *fields, size_t n);
/** A string scalar into out (not null, not a boolean or number unless quoted). */
bool cr_manifest__str(struct cr_mctx *ctx, struct cr_model_str *out, const struct cr_ynode *key,
                      const struct cr_ynode *val);
/** A mapping key (non-empty, not null) as a string. */
bool cr_manifest__key(struct cr_mctx *ctx, struct cr_model_str *out, const struct cr_ynode *key);
/** True when val is a mapping (CR_YNODE_MAP) or a list (CR_YNODE_SEQ); reports otherwise. */
bool cr_manifest__expect(struct cr_mctx *ctx, const struct cr_ynode *val, enum cr_ynode_kind kind);
/** "a mapping", "null", "the number 3", "the string \"x\"" for messages. */
const char *cr_manifest__describe(const struct cr_ynode *node, char *buf, size_t cap);

/** Converts one document of a kind of ours (its apiVersion and kind already checked) into the
 * set; problems become diagnostics. Returns 0 or CR_ENOMEM. */
typedef int cr_manifest_convert_fn(struct cr_mctx *ctx, size_t index, const struct cr_ynode *root);

/** One document kind cognito-reconcile reads (schema/kinds.c holds the table). */
struct cr_manifest_kind {
    const char *name; /* the `kind` value: "IdentityPool" */
    cr_manifest_convert_fn *convert;
};

/** The kinds of ours, one line each in schema/kinds.c. */
extern const struct cr_manifest_kind cr_manifest__kinds[];
extern const size_t cr_manifest__n_kinds;

/** The kind named name, or NULL. */
const struct cr_manifest_kind *cr_manifest__kind_find(const char *name, size_t len);

/** kind: IdentityPool (manifest.c). */
int cr_manifest__convert_pool(struct cr_mctx *ctx, size_t index, const struct cr_ynode *root);

/** kind: Account (manifest.c). */
int cr_manifest__convert_account(struct cr_mctx *ctx, size_t index, const struct cr_ynode *root);

/** Validates one converted Account document on its own (validate.c). */
void cr_manifest__validate_account(struct cr_mctx *ctx, const struct cr_model_account *account);

/** Records a warning of the set (not an error) at file:loc with the field path given. */
int cr_manifest__warn(struct cr_manifest_set *set, const char *file, size_t file_index,
                      struct cr_loc loc, const char *path, const char *fmt, ...) CR_PRINTF(6, 7);
/** kind: IdentityPoolTest (testdoc.c). */
int cr_manifest__convert_test(struct cr_mctx *ctx, size_t index, const struct cr_ynode *root);

/** Adds a converted test document to the set (testdoc.c; the parallel loader merges with it
 * too). 0 or CR_ENOMEM. */
int cr_manifest__push_test(struct cr_manifest_set *set, struct cr_model_test *test);

/** Checks the test documents against the pools of the set (testdoc.c): spec.pool names a pool,
 * each login a provider of it that role mappings can key, roles are role ARNs. 0 or
 * CR_ENOMEM. */
int cr_manifest__validate_tests(struct cr_manifest_set *set);

/** Reports (at key's position) when key is not a role-mapping key of the pool: a
 * SupportedLoginProviders key, ProviderName:ClientId of a user pool, an OIDC issuer, a SAML
 * ARN (validate.c). */
void cr_manifest__check_role_key(struct cr_mctx *ctx, const struct cr_model_pool *pool,
                                 const struct cr_model_str *key);

/** Reports when v is not an IAM role ARN of the API's ARNString shape (validate.c). */
void cr_manifest__check_role_arn(struct cr_mctx *ctx, const struct cr_model_str *v);

/** Checks a string map against an API map shape ("PrincipalTags"): count, keys, values. */
void cr_manifest__check_map(struct cr_mctx *ctx, const struct cr_model_map *map, const char *shape);

/** Validates one converted pool on its own: constraints, limits, cross-references. */
void cr_manifest__validate_pool(struct cr_mctx *ctx, const struct cr_model_pool *pool);

/** Checks across the documents of the set: unique metadata.name per account and region,
 * unique ids, Account references, names and ids (validate.c). */
int cr_manifest__validate_set(struct cr_manifest_set *set);

#endif
