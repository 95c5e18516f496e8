/* SPDX-License-Identifier: Apache-2.0 */
#ifndef CR_RECONCILE_RENDER_H
#define CR_RECONCILE_RENDER_H
/*
 * Plan renderers: text (like Terraform's), JSON (machine-readable, "format_version": "1",
 * every call with its exact request parameters) and Markdown (a pull-request comment).
 * Renderers write into a buffer; the caller prints it. Output is deterministic (golden tests
 * in tests/data/golden/).
 */
#include <stdbool.h>

#include <jansson.h>

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

#endif
