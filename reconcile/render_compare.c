/* SPDX-License-Identifier: Apache-2.0 */
/* Renderers of a comparison of two revisions (`diff`): text, JSON, Markdown. Deterministic. */
#include "reconcile/render.h"

#include <stdlib.h>

#include <jansson.h>

#include "reconcile/render_kit.h"

/* The statuses in the order the summary and the JSON list them. */
static const enum cr_compare_status s_statuses[CR_COMPARE_N_STATUS] = {
    CR_COMPARE_ADDED, CR_COMPARE_CHANGED, CR_COMPARE_REPLACED, CR_COMPARE_REMOVED};

static enum cr_render_kind s_kind(enum cr_compare_status status)
{
    switch (status) {
    case CR_COMPARE_ADDED:
        return CR_RENDER_ADD;
    case CR_COMPARE_REPLACED:
        return CR_RENDER_REPLACE;
    case CR_COMPARE_REMOVED:
        return CR_RENDER_REMOVE;
    case CR_COMPARE_CHANGED:
    default:
        return CR_RENDER_CHANGE;
    }
}

static const char *s_status(enum cr_compare_status status)
{
    return cr_render_status(s_kind(status));
}

static int s_done(const struct cr_buf *out)
{
    if (!cr_buf_oom(out))
        return 0;
    cr_error_set("out of memory rendering the diff");
    return CR_ENOMEM;
}

/* "Diff: 1 added, 0 changed, 0 replaced, 2 removed.\n" */
static void s_summary(struct cr_buf *out, const struct cr_compare *cmp)
{
    cr_buf_puts(out, "Diff:");
    for (size_t i = 0; i < CR_COMPARE_N_STATUS; i++)
        cr_buf_printf(out, "%s %zu %s", i > 0 ? "," : "", cmp->counts[s_statuses[i]],
                      s_status(s_statuses[i]));
    cr_buf_puts(out, ".\n");
}

/* ---- text ---- */

static void s_text_pool(struct cr_buf *out, const struct cr_compare_pool *p, bool color)
{
    const char *source = p->to_source != NULL ? p->to_source : p->from_source;
    cr_render_head(out, color, s_kind(p->status), s_status(p->status));
    cr_buf_printf(out, " identity pool \"%s\" in %s%s%s", p->name, p->account ? p->account : "",
                  p->account ? "/" : "", p->region);
    if (source != NULL)
        cr_buf_printf(out, " (%s", source);
    if (p->moved)
        cr_buf_printf(out, ", was %s", p->from_source);
    cr_buf_puts(out, source != NULL ? ")\n" : "\n");
    if (p->note != NULL)
        cr_buf_printf(out, "    # %s\n", p->note);
    for (size_t i = 0; i < p->n_changes; i++)
        cr_render_change_text(out, color, "    ", &p->changes[i], NULL);
    cr_buf_puts(out, "\n");
}

int cr_render_compare_text(struct cr_buf *out, const struct cr_compare *cmp,
                           const struct cr_render_revision *from,
                           const struct cr_render_revision *to,
                           const struct cr_render_options *opts)
{
    bool color = opts != NULL && opts->color;
    if (!cr_compare_differs(cmp)) {
        cr_buf_printf(out, "No differences between %s (%s) and %s (%s).\n", from->name,
                      from->short_id, to->name, to->short_id);
        return s_done(out);
    }
    cr_buf_printf(out, "Manifest changes from %s (%s) to %s (%s):\n\n", from->name, from->short_id,
                  to->name, to->short_id);
    for (size_t i = 0; i < cmp->n_pools; i++)
        s_text_pool(out, &cmp->pools[i], color);
    cr_buf_puts(out, cr_render_ansi(color, CR_ANSI_BOLD));
    s_summary(out, cmp);
    cr_render_ansi_end_line(out, color);
    return s_done(out);
}

/* ---- JSON ---- */

static json_t *s_json_pool(const struct cr_compare_pool *p)
{
    return json_pack("{s:s, s:o, s:s, s:s, s:o, s:o, s:o, s:o}", "name", p->name, "account",
                     cr_render_json_str_or_null(p->account), "region", p->region, "status",
                     s_status(p->status), "from_source", cr_render_json_str_or_null(p->from_source),
                     "to_source", cr_render_json_str_or_null(p->to_source), "note",
                     cr_render_json_str_or_null(p->note), "changes",
                     cr_render_json_changes(p->changes, p->n_changes));
}

static json_t *s_json_doc(const struct cr_compare *cmp, const struct cr_render_revision *from,
                          const struct cr_render_revision *to)
{
    json_t *pools = json_array();
    for (size_t i = 0; pools != NULL && i < cmp->n_pools; i++) {
        if (json_array_append_new(pools, s_json_pool(&cmp->pools[i])) != 0) {
            json_decref(pools);
            return NULL;
        }
    }
    return json_pack("{s:s, s:{s:s, s:s}, s:{s:s, s:s}, s:{s:I, s:I, s:I, s:I, s:b}, s:o}",
                     "format_version", "1", "from", "revision", from->name, "commit", from->commit,
                     "to", "revision", to->name, "commit", to->commit, "summary", "added",
                     (json_int_t)cmp->counts[CR_COMPARE_ADDED], "changed",
                     (json_int_t)cmp->counts[CR_COMPARE_CHANGED], "replaced",
                     (json_int_t)cmp->counts[CR_COMPARE_REPLACED], "removed",
                     (json_int_t)cmp->counts[CR_COMPARE_REMOVED], "differences",
                     cr_compare_differs(cmp), "pools", pools);
}

int cr_render_compare_json(struct cr_buf *out, const struct cr_compare *cmp,
                           const struct cr_render_revision *from,
                           const struct cr_render_revision *to)
{
    json_t *doc = s_json_doc(cmp, from, to);
    char *text = doc != NULL ? json_dumps(doc, JSON_INDENT(2) | JSON_PRESERVE_ORDER) : NULL;
    if (text != NULL)
        cr_buf_printf(out, "%s\n", text);
    else
        out->oom = true;
    free(text);
    json_decref(doc);
    return s_done(out);
}

/* ---- Markdown ---- */

static void s_md_pool(struct cr_buf *out, const struct cr_compare_pool *p)
{
    size_t fence = cr_render_md_fence_len(p->changes, p->n_changes);
    cr_buf_printf(out, "#### %s ", s_status(p->status));
    cr_render_md_code(out, p->name, false);
    cr_buf_printf(out, " (%s%s%s)\n\n", p->account ? p->account : "", p->account ? "/" : "",
                  p->region);
    if (p->note != NULL)
        cr_buf_printf(out, "> %s\n\n", p->note);
    cr_render_md_fence(out, fence, "diff");
    /* GitHub colours "-" and "+" lines: a change is shown as both. */
    for (size_t i = 0; i < p->n_changes; i++)
        cr_render_change_md(out, &p->changes[i], NULL);
    cr_render_md_fence(out, fence, "");
    cr_buf_puts(out, "\n");
}

static void s_md_table(struct cr_buf *out, const struct cr_compare *cmp)
{
    cr_buf_puts(out, "| Pool | Region | Change | Fields |\n|---|---|---|---|\n");
    for (size_t i = 0; i < cmp->n_pools; i++) {
        const struct cr_compare_pool *p = &cmp->pools[i];
        cr_buf_puts(out, "| ");
        cr_render_md_text(out, p->name);
        cr_buf_puts(out, " | ");
        if (p->account != NULL) {
            cr_render_md_text(out, p->account);
            cr_buf_putc(out, '/');
        }
        cr_render_md_text(out, p->region);
        cr_buf_printf(out, " | %s | %zu |\n", s_status(p->status), p->n_changes);
    }
    cr_buf_puts(out, "\n");
}

int cr_render_compare_markdown(struct cr_buf *out, const struct cr_compare *cmp,
                               const struct cr_render_revision *from,
                               const struct cr_render_revision *to)
{
    cr_buf_puts(out, "### cognito-reconcile diff: ");
    cr_render_md_code(out, from->name, false);
    cr_buf_puts(out, " \xe2\x86\x92 ");
    cr_render_md_code(out, to->name, false);
    cr_buf_puts(out, "\n\nFrom ");
    cr_render_md_code(out, from->short_id, false);
    cr_buf_puts(out, " to ");
    cr_render_md_code(out, to->short_id, false);
    cr_buf_puts(out, ".\n\n");
    if (!cr_compare_differs(cmp)) {
        cr_buf_puts(out, "No differences in the identity pool manifests.\n");
        return s_done(out);
    }
    s_md_table(out, cmp);
    for (size_t i = 0; i < cmp->n_pools; i++)
        s_md_pool(out, &cmp->pools[i]);
    s_summary(out, cmp);
    return s_done(out);
}
