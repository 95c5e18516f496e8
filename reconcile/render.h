/* SPDX-License-Identifier: Apache-2.0 */
#ifndef CR_RECONCILE_RENDER_H
#define CR_RECONCILE_RENDER_H
/*
 * Plan renderers: text (like Terraform's), JSON (machine-readable, "format_version": "1",
 * every call with its exact request parameters) and Markdown (a pull-request comment); and
 * the same three for a comparison of two revisions (render_compare.c). Renderers write into
 * a buffer; the caller prints it. Output is deterministic (golden tests in
 * tests/data/golden/). Words, colours and escapes come from reconcile/render_kit.h.
 */
#include <stdbool.h>

#include <jansson.h>

#include "reconcile/compare.h"
#include "reconcile/plan.h"
#include "util/buf.h"
#include "util/error.h"

struct cr_render_options {
    bool color; /* ANSI colours in text output; the caller decides (terminal, NO_COLOR) */
    bool drift; /* wording for `drift`: "Drift: ..." instead of "Plan: ..." */
};

/**
 * Text: one block per pool with changes ("+ create", "~ update", "- delete", "-/+ replace"),
 * the calls it makes and their field-level changes ("before → after"), then the summary line
 * "Plan: 1 to create, 2 to update, 0 to delete." or "No changes. Live state matches the
 * manifests." opts may be NULL (no colour). Returns 0 or CR_ENOMEM.
 */
int cr_render_text(struct cr_buf *out, const struct cr_plan *plan,
                   const struct cr_render_options *opts) CR_WARN_UNUSED;

/**
 * JSON: {"format_version":"1","stack":...,"revision":...,"regions":[...],
 * "summary":{"create":n,"update":n,"delete":n,"replace":n,"changes":bool},
 * "pools":[{"name","region","pool_id","source","action","fingerprint",...}],
 * "operations":[{"pool","region","pool_id","action","operation":"UpdateIdentityPool",
 * "parameters":{exact request members},"changes":[{"path","before","after"}]}]}
 * followed by a newline. Returns 0 or CR_ENOMEM.
 */
int cr_render_json(struct cr_buf *out, const struct cr_plan *plan) CR_WARN_UNUSED;

/**
 * The document cr_render_json() prints, as a jansson value (a new reference; also the saved-plan
 * format, and the "plan" member of `apply --output json`). NULL on out-of-memory (error set).
 */
json_t *cr_render_json_doc(const struct cr_plan *plan) CR_WARN_UNUSED;

/**
 * Markdown for a pull-request comment: a heading, a summary table (pool, region, action,
 * calls) and a ```diff block per changed pool. Returns 0 or CR_ENOMEM.
 */
int cr_render_markdown(struct cr_buf *out, const struct cr_plan *plan,
                       const struct cr_render_options *opts) CR_WARN_UNUSED;

/* ---- comparison of two revisions (`diff`) ---- */

/** One side of a comparison, for headings. Borrowed strings. */
struct cr_render_revision {
    const char *name;     /* as the user wrote it: "v1", "HEAD" */
    const char *commit;   /* the full commit id */
    const char *short_id; /* the abbreviated commit id */
};

/**
 * Text: "Manifest changes from A (abc123) to B (def456):", one block per pool
 * ("+ added", "~ changed", "-/+ replaced", "- removed" identity pool "NAME" in REGION
 * (SOURCE, was SOURCE when moved), the plan's note, then each field "before → after"), and
 * "Diff: n added, n changed, n replaced, n removed."; or "No differences between A (abc123)
 * and B (def456)." opts may be NULL (no colour; drift is ignored). Returns 0 or CR_ENOMEM.
 */
int cr_render_compare_text(struct cr_buf *out, const struct cr_compare *cmp,
                           const struct cr_render_revision *from,
                           const struct cr_render_revision *to,
                           const struct cr_render_options *opts) CR_WARN_UNUSED;

/**
 * JSON: {"format_version":"1","from":{"revision","commit"},"to":{...},
 * "summary":{"added","changed","replaced","removed","differences":bool},
 * "pools":[{"name","region","status","from_source","to_source","note",
 * "changes":[{"path","before","after"}]}]} and a newline. Returns 0 or CR_ENOMEM.
 */
int cr_render_compare_json(struct cr_buf *out, const struct cr_compare *cmp,
                           const struct cr_render_revision *from,
                           const struct cr_render_revision *to) CR_WARN_UNUSED;

/**
 * Markdown for a pull-request comment: a heading, a table (pool, region, change, number of
 * fields), a ```diff block per pool, the summary line. Returns 0 or CR_ENOMEM.
 */
int cr_render_compare_markdown(struct cr_buf *out, const struct cr_compare *cmp,
                               const struct cr_render_revision *from,
                               const struct cr_render_revision *to) CR_WARN_UNUSED;

#endif
