/* SPDX-License-Identifier: Apache-2.0 */
/* Plan renderers: text, JSON, Markdown. Deterministic output (golden tests). */
#include "reconcile/render.h"

#include <stdlib.h>
#include <string.h>

#include <jansson.h>

#define C_RESET  "\033[0m"
#define C_BOLD   "\033[1m"
#define C_GREEN  "\033[32m"
#define C_YELLOW "\033[33m"
#define C_RED    "\033[31m"
#define C_CYAN   "\033[36m"

struct s_style {
    bool color;
};

static const char *s_c(const struct s_style *st, const char *code)
{
    return st->color ? code : "";
}

static const char *s_action_symbol(enum cr_plan_action a)
{
    switch (a) {
    case CR_PLAN_CREATE:
        return "+";
    case CR_PLAN_UPDATE:
        return "~";
    case CR_PLAN_DELETE:
        return "-";
    case CR_PLAN_REPLACE:
        return "-/+";
    case CR_PLAN_NOOP:
    default:
        return " ";
    }
}

static const char *s_action_color(enum cr_plan_action a)
{
    switch (a) {
    case CR_PLAN_CREATE:
        return C_GREEN;
    case CR_PLAN_UPDATE:
        return C_YELLOW;
    case CR_PLAN_DELETE:
    case CR_PLAN_REPLACE:
        return C_RED;
    case CR_PLAN_NOOP:
    default:
        return "";
    }
}

static const char *s_action_verb(enum cr_plan_action a)
{
    switch (a) {
    case CR_PLAN_CREATE:
        return "create";
    case CR_PLAN_UPDATE:
        return "update";
    case CR_PLAN_DELETE:
        return "delete";
    case CR_PLAN_REPLACE:
        return "replace";
    case CR_PLAN_NOOP:
    default:
        return "keep";
    }
}

static void s_summary(struct cr_buf *out, const struct cr_plan *plan, bool drift)
{
    if (cr_plan_is_empty(plan)) {
        cr_buf_puts(out, drift ? "No drift. Live state matches the manifests.\n"
                               : "No changes. Live state matches the manifests.\n");
        return;
    }
    cr_buf_printf(out, "%s: %zu to create, %zu to update, %zu to delete", drift ? "Drift" : "Plan",
                  plan->n_create, plan->n_update, plan->n_delete);
    if (plan->n_replace)
        cr_buf_printf(out, " (%zu replaced)", plan->n_replace);
    cr_buf_puts(out, ".\n");
}

/* The pool was last applied from another commit than the one this plan comes from. */
static bool s_other_revision(const struct cr_plan *plan, const struct cr_plan_pool *p)
{
    return plan->revision && p->live_revision && strcmp(plan->revision, p->live_revision) != 0;
}

/* A never-set AllowClassicFlow reads as null; say what that means (aws-cli #7652). */
static const char *s_unset_note(const struct cr_plan_change *c)
{
    if (c->before && strcmp(c->path, "allowClassicFlow") == 0 && strcmp(c->before, "null") == 0)
        return " (never set: allowed)";
    return "";
}

/* "+ path: after", "- path: before", "~ path: before → after" */
static void s_text_change(struct cr_buf *out, const struct s_style *st,
                          const struct cr_plan_change *c, const char *indent)
{
    if (!c->before)
        cr_buf_printf(out, "%s%s+%s %s: %s\n", indent, s_c(st, C_GREEN), s_c(st, C_RESET), c->path,
                      c->after);
    else if (!c->after)
        cr_buf_printf(out, "%s%s-%s %s: %s\n", indent, s_c(st, C_RED), s_c(st, C_RESET), c->path,
                      c->before);
    else
        cr_buf_printf(out, "%s%s~%s %s: %s%s \xe2\x86\x92 %s\n", indent, s_c(st, C_YELLOW),
                      s_c(st, C_RESET), c->path, c->before, s_unset_note(c), c->after);
}

static void s_text_pool(struct cr_buf *out, const struct s_style *st, const struct cr_plan *plan,
                        const struct cr_plan_pool *p)
{
    cr_buf_printf(out, "%s%s%s %s%s identity pool \"%s\"", s_c(st, C_BOLD),
                  s_c(st, s_action_color(p->action)), s_action_symbol(p->action),
                  s_action_verb(p->action), s_c(st, C_RESET), p->name);
    if (p->pool_id)
        cr_buf_printf(out, " %s", p->pool_id);
    else
        cr_buf_printf(out, " in %s", p->region);
    if (p->source)
        cr_buf_printf(out, " (%s)", p->source);
    cr_buf_puts(out, "\n");
    if (p->adopted)
        cr_buf_printf(out, "    # adopted: ownership tags are added (stack \"%s\")\n", plan->stack);
    if (p->note)
        cr_buf_printf(out, "    # %s\n", p->note);
    if (s_other_revision(plan, p))
        cr_buf_printf(out, "    # last applied from revision %.12s (this plan: %.12s)\n",
                      p->live_revision, plan->revision);
    for (size_t k = 0; k < p->n_ops; k++) {
        const struct cr_plan_op *op = &plan->ops[p->first_op + k];
        cr_buf_printf(out, "    %s%s%s\n", s_c(st, C_CYAN),
                      cr_cognito_op_name(cr_plan_op_api(op->kind)), s_c(st, C_RESET));
        for (size_t i = 0; i < op->n_changes; i++)
            s_text_change(out, st, &op->changes[i], "      ");
    }
    cr_buf_puts(out, "\n");
}

int cr_render_text(struct cr_buf *out, const struct cr_plan *plan,
                   const struct cr_render_options *opts)
{
    struct s_style st = {.color = opts && opts->color};
    bool drift = opts && opts->drift;
    if (!cr_plan_is_empty(plan))
        cr_buf_printf(out, "%s for stack \"%s\":\n\n",
                      drift ? "Live state differs from the manifests"
                            : "cognito-reconcile will make these calls",
                      plan->stack);
    for (size_t i = 0; i < plan->n_pools; i++)
        if (plan->pools[i].n_ops)
            s_text_pool(out, &st, plan, &plan->pools[i]);
    if (st.color)
        cr_buf_puts(out, C_BOLD);
    s_summary(out, plan, drift);
    if (st.color) {
        out->len--; /* keep the newline after the reset */
        cr_buf_puts(out, C_RESET "\n");
    }
    if (cr_buf_oom(out)) {
        cr_error_set("out of memory rendering the plan");
        return CR_ENOMEM;
    }
    return 0;
}

/* ---- JSON ---- */

static json_t *s_jstr_or_null(const char *s)
{
    return s ? json_string(s) : json_null();
}

/* A change value is compact JSON text; embed it as a value. */
static json_t *s_value(const char *text)
{
    json_t *v = json_loads(text, JSON_DECODE_ANY, NULL);
    return v ? v : json_string(text);
}

static json_t *s_json_pool(const struct cr_plan_pool *p)
{
    json_t *providers = json_array();
    for (size_t i = 0; i < p->providers.len; i++)
        json_array_append_new(providers, json_string(p->providers.items[i]));
    return json_pack("{s:s, s:s, s:o, s:o, s:o, s:s, s:b, s:o, s:o, s:s, s:{s:o, s:b, s:b, s:o}}",
                     "name", p->name, "region", p->region, "pool_id", s_jstr_or_null(p->pool_id),
                     "identity_pool_name", s_jstr_or_null(p->identity_pool_name), "source",
                     s_jstr_or_null(p->source), "action", cr_plan_action_name(p->action), "adopted",
                     p->adopted, "note", s_jstr_or_null(p->note), "live_revision",
                     s_jstr_or_null(p->live_revision), "fingerprint", p->fingerprint, "reads",
                     "adopt_id", s_jstr_or_null(p->adopt_id), "roles", p->read_roles,
                     "principal_tags", p->read_principal_tags, "providers", providers);
}

static json_t *s_json_op(const struct cr_plan *plan, size_t index)
{
    const struct cr_plan_op *op = &plan->ops[index];
    const struct cr_plan_pool *p = &plan->pools[op->pool];
    struct cr_buf body = CR_BUF_INIT;
    json_t *params = NULL, *changes = json_array(), *o = NULL;
    if (cr_plan_op_body(&body, plan, op, NULL) < 0)
        goto done;
    params = json_loadb(body.ptr, body.len, 0, NULL);
    if (!params || !changes)
        goto done;
    /* An absent side (added / removed) has no member; JSON null is a value (the never-set
     * AllowClassicFlow). */
    for (size_t i = 0; i < op->n_changes; i++) {
        const struct cr_plan_change *c = &op->changes[i];
        json_t *change = json_pack("{s:s}", "path", c->path);
        if (c->before)
            json_object_set_new(change, "before", s_value(c->before));
        if (c->after)
            json_object_set_new(change, "after", s_value(c->after));
        json_array_append_new(changes, change);
    }
    o = json_pack(
        "{s:I, s:I, s:s, s:s, s:o, s:s, s:s, s:b, s:O, s:O}", "index", (json_int_t)index,
        "pool_index", (json_int_t)op->pool, "pool", p->name, "region", p->region, "pool_id",
        s_jstr_or_null(p->pool_id && !(op->replace && op->kind != CR_PLAN_OP_DELETE) ? p->pool_id
                                                                                     : NULL),
        "action", cr_plan_op_kind_name(op->kind), "operation",
        cr_cognito_op_name(cr_plan_op_api(op->kind)), "replace", op->replace, "parameters", params,
        "changes", changes);
done:
    cr_buf_dispose(&body);
    json_decref(params);
    json_decref(changes);
    return o;
}

static json_t *s_json_doc(const struct cr_plan *plan)
{
    json_t *regions = json_array(), *pools = json_array(), *ops = json_array();
    for (size_t i = 0; regions && i < plan->regions.len; i++)
        json_array_append_new(regions, json_string(plan->regions.items[i]));
    for (size_t i = 0; pools && i < plan->n_pools; i++) {
        json_t *p = s_json_pool(&plan->pools[i]);
        if (!p || json_array_append_new(pools, p) < 0)
            goto fail;
    }
    for (size_t i = 0; ops && i < plan->n_ops; i++) {
        json_t *o = s_json_op(plan, i);
        if (!o || json_array_append_new(ops, o) < 0)
            goto fail;
    }
    return json_pack("{s:s, s:s, s:o, s:o, s:{s:I, s:I, s:I, s:I, s:b}, s:o, s:o}",
                     "format_version", "1", "stack", plan->stack, "revision",
                     s_jstr_or_null(plan->revision), "regions", regions, "summary", "create",
                     (json_int_t)plan->n_create, "update", (json_int_t)plan->n_update, "delete",
                     (json_int_t)plan->n_delete, "replace", (json_int_t)plan->n_replace, "changes",
                     !cr_plan_is_empty(plan), "pools", pools, "operations", ops);
fail:
    json_decref(regions);
    json_decref(pools);
    json_decref(ops);
    return NULL;
}

json_t *cr_render_json_doc(const struct cr_plan *plan)
{
    json_t *doc = s_json_doc(plan);
    if (!doc)
        cr_error_set("out of memory rendering the plan as JSON");
    return doc;
}

int cr_render_json(struct cr_buf *out, const struct cr_plan *plan)
{
    json_t *doc = cr_render_json_doc(plan);
    char *text = doc ? json_dumps(doc, JSON_INDENT(2)) : NULL;
    int result = CR_ENOMEM;
    if (text && cr_buf_puts(out, text) == 0 && cr_buf_putc(out, '\n') == 0)
        result = 0;
    else
        cr_error_set("out of memory rendering the plan as JSON");
    free(text);
    json_decref(doc);
    return result;
}

/* ---- Markdown ---- */

static void s_md_cell(struct cr_buf *out, const char *s)
{
    for (; s && *s; s++) {
        if (*s == '|')
            cr_buf_puts(out, "\\|");
        else if (*s == '\n')
            cr_buf_putc(out, ' ');
        else
            cr_buf_putc(out, *s);
    }
}

static void s_md_pool(struct cr_buf *out, const struct cr_plan *plan, const struct cr_plan_pool *p)
{
    cr_buf_printf(out, "### %s `%s` (%s)\n\n", s_action_verb(p->action), p->name,
                  p->pool_id ? p->pool_id : p->region);
    if (p->note)
        cr_buf_printf(out, "> **%s**\n\n", p->note);
    if (p->adopted)
        cr_buf_printf(out, "> adopted: ownership tags are added (stack `%s`)\n\n", plan->stack);
    if (s_other_revision(plan, p))
        cr_buf_printf(out, "> last applied from revision `%.12s` (this plan: `%.12s`)\n\n",
                      p->live_revision, plan->revision);
    cr_buf_puts(out, "```diff\n");
    for (size_t k = 0; k < p->n_ops; k++) {
        const struct cr_plan_op *op = &plan->ops[p->first_op + k];
        cr_buf_printf(out, "@@ %s @@\n", cr_cognito_op_name(cr_plan_op_api(op->kind)));
        for (size_t i = 0; i < op->n_changes; i++) {
            const struct cr_plan_change *c = &op->changes[i];
            if (c->before)
                cr_buf_printf(out, "- %s: %s%s\n", c->path, c->before, s_unset_note(c));
            if (c->after)
                cr_buf_printf(out, "+ %s: %s\n", c->path, c->after);
        }
    }
    cr_buf_puts(out, "```\n\n");
}

int cr_render_markdown(struct cr_buf *out, const struct cr_plan *plan,
                       const struct cr_render_options *opts)
{
    bool drift = opts && opts->drift;
    cr_buf_printf(out, "## cognito-reconcile %s: stack `%s`\n\n", drift ? "drift" : "plan",
                  plan->stack);
    if (plan->revision)
        cr_buf_printf(out, "Revision `%s`.\n\n", plan->revision);
    cr_buf_puts(out, "**");
    s_summary(out, plan, drift);
    out->len--; /* drop the newline inside the bold */
    out->ptr[out->len] = '\0';
    cr_buf_puts(out, "**\n\n");
    if (!cr_plan_is_empty(plan)) {
        cr_buf_puts(out, "| Pool | Region | Action | Calls |\n|---|---|---|---|\n");
        for (size_t i = 0; i < plan->n_pools; i++) {
            const struct cr_plan_pool *p = &plan->pools[i];
            if (!p->n_ops)
                continue;
            cr_buf_puts(out, "| `");
            s_md_cell(out, p->name);
            cr_buf_printf(out, "` | %s | %s %s | ", p->region, s_action_symbol(p->action),
                          s_action_verb(p->action));
            for (size_t k = 0; k < p->n_ops; k++)
                cr_buf_printf(out, "%s%s", k ? ", " : "",
                              cr_cognito_op_name(cr_plan_op_api(plan->ops[p->first_op + k].kind)));
            cr_buf_puts(out, " |\n");
        }
        cr_buf_puts(out, "\n");
        for (size_t i = 0; i < plan->n_pools; i++)
            if (plan->pools[i].n_ops)
                s_md_pool(out, plan, &plan->pools[i]);
    }
    if (cr_buf_oom(out)) {
        cr_error_set("out of memory rendering the plan as Markdown");
        return CR_ENOMEM;
    }
    return 0;
}
