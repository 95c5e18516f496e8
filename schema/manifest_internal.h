#ifndef CR_SCHEMA_MANIFEST_INTERNAL_H
#define CR_SCHEMA_MANIFEST_INTERNAL_H
/* Internal to schema/: the state shared by the loader (manifest.c) and the validator
 * (validate.c) while one file is processed. */
#include <stddef.h>

#include "schema/manifest.h"

#define CR_MANIFEST_PATH_MAX 1024

struct cr_mctx {
    struct cr_manifest_set *set;
    const char *file;  /* display path, in the set's arena */
    size_t file_index; /* order of the file in the set */
    char path[CR_MANIFEST_PATH_MAX];
    size_t path_len;
    int rc; /* sticky CR_ENOMEM */
};

/** Records a diagnostic at loc with the current field path; msg is used as is. */
void cr_manifest__diag(struct cr_mctx *ctx, struct cr_loc loc, const char *fmt, ...)
    CR_PRINTF(3, 4);

/** Records a diagnostic whose message is "<current path>: msg" (just msg at the root). */
void cr_manifest__field_diag(struct cr_mctx *ctx, struct cr_loc loc, const char *fmt, ...)
    CR_PRINTF(3, 4);

/** Appends ".name" (or "name" at the root) to the path; returns the length to restore. */
size_t cr_manifest__path_field(struct cr_mctx *ctx, const char *name);
/** Appends "[i]". */
size_t cr_manifest__path_index(struct cr_mctx *ctx, size_t i);
/** Appends ["key"] (escaped, long keys shortened). */
size_t cr_manifest__path_key(struct cr_mctx *ctx, const char *key, size_t len);
/** Restores the path to an earlier length. */
void cr_manifest__path_pop(struct cr_mctx *ctx, size_t len);

/** Writes a quotable, shortened form of user text into out (for messages). */
const char *cr_manifest__quote(char *out, size_t cap, const char *s, size_t len);

/** Validates one converted pool on its own: constraints, limits, cross-references. */
void cr_manifest__validate_pool(struct cr_mctx *ctx, const struct cr_model_pool *pool);

/** Checks across the pools of the set: unique metadata.name per region, unique ids. */
int cr_manifest__validate_set(struct cr_manifest_set *set);

#endif
