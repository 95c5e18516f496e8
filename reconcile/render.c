/* SPDX-License-Identifier: Apache-2.0 */
/* Plan renderers: text, JSON, Markdown. Deterministic output (golden tests). */
#include "reconcile/render.h"

#include <stdlib.h>
#include <string.h>

#include <jansson.h>

#include "reconcile/render_kit.h"

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

/* "plan digest: sha256:...", which apply --expect-digest pins (docs/plan.md "Saved plans"). */
static int s_digest_line(struct cr_buf *out, const struct cr_plan *plan, bool markdown)
{
    char digest[CR_PLAN_DIGEST_LEN + 1];
    int rc = cr_plan_digest(digest, plan);
    if (rc == 0)
        cr_buf_printf(out, markdown ? "plan digest: `%s`\n\n" : "plan digest: %s\n", digest);
    return rc;
}

/* The pool was last applied from another commit than the one this plan comes from. */
static bool s_other_revision(const struct cr_plan *plan, const struct cr_plan_pool *p)
{
    return plan->revision && p->live_revision && strcmp(plan->revision, p->live_revision) != 0;
}

/* A never-set AllowClassicFlow reads as null; say what that means (aws-cli #7652). The map of
 * a provider being added is null too: unreadable until the provider is back (docs/plan.md). */
static const char *s_unset_note(const struct cr_plan_change *c)
{
    if (!c->before || strcmp(c->before, "null") != 0)
        return "";
    if (strcmp(c->path, "allowClassicFlow") == 0)
        return " (never set: allowed)";
    if (strncmp(c->path, "principalTagAttributeMaps", 25) == 0)
        return " (provider being added: a map it kept from before is replaced)";
    return "";
}

static void s_text_pool(struct cr_buf *out, bool color, const struct cr_plan *plan,
                        const struct cr_plan_pool *p)
{
    enum cr_render_kind kind = cr_render_kind_of_action(p->action);
    cr_render_head(out, color, kind, cr_render_verb(kind));
    cr_buf_printf(out, " identity pool \"%s\"", p->name);
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
        cr_buf_printf(out, "    %s%s%s\n", cr_render_ansi(color, CR_ANSI_CYAN),
                      cr_cognito_op_name(cr_plan_op_api(op->kind)),
                      cr_render_ansi(color, CR_ANSI_RESET));
        for (size_t i = 0; i < op->n_changes; i++)
            cr_render_change_text(out, color, "      ", &op->changes[i],
                                  s_unset_note(&op->changes[i]));
    }
    cr_buf_puts(out, "\n");
}

/* With several accounts, what the plan does in each, under the summary. */
static void s_account_summaries(struct cr_buf *out, const struct cr_plan *plan, const char *indent)
{
    if (!cr_plan_has_accounts(plan) || plan->n_accounts < 2)
        return;
    for (size_t i = 0; i < plan->n_accounts; i++) {
        const struct cr_desired_account *a = &plan->accounts[i].account;
        struct cr_render_counts c;
        cr_render_account_counts(&c, plan, a->name);
        cr_buf_printf(out, "%s%s%s", indent, a->name ? "account " : "default account",
                      a->name ? a->name : "");
        if (a->account_id)
            cr_buf_printf(out, " (%s)", a->account_id);
        cr_buf_printf(out, ": %zu to create, %zu to update, %zu to delete", c.create, c.update,
                      c.del);
        if (c.replace)
            cr_buf_printf(out, " (%zu replaced)", c.replace);
        cr_buf_puts(out, "\n");
    }
}

/* ---- access impact (docs/testing.md): test cases whose outcome the plan changes ---- */

static bool s_access_changed(const struct cr_plan_access *a)
{
    return a->before == NULL || strcmp(a->before, a->after) != 0;
}

static void s_access_counts(const struct cr_plan *plan, size_t *changed, size_t *failing)
{
    *changed = *failing = 0;
    for (size_t i = 0; i < plan->n_access; i++) {
        *changed += s_access_changed(&plan->access[i]);
        *failing += plan->access[i].failure != NULL;
    }
}

/* "Access: 2 cases change, 1 expectation fails." */
static void s_access_summary(struct cr_buf *out, const struct cr_plan *plan)
{
    size_t changed, failing;
    s_access_counts(plan, &changed, &failing);
    cr_buf_printf(out, "Access: %zu case%s change%s, %zu expectation%s fail%s.", changed,
                  changed == 1 ? "" : "s", changed == 1 ? "s" : "", failing,
                  failing == 1 ? "" : "s", failing == 1 ? "s" : "");
}

/* The pool of an access impact entry: its name, and its account when the plan spans several
 * ("web (account prod)", "web (default account)"), as pools of one name may be in each. */
static void s_access_pool_text(struct cr_buf *out, const struct cr_plan *plan,
                               const struct cr_plan_access *a)
{
    const struct cr_plan_pool *p = &plan->pools[a->pool];
    cr_buf_puts(out, p->name);
    if (!cr_plan_has_accounts(plan))
        return;
    if (p->account)
        cr_buf_printf(out, " (account %s)", p->account);
    else
        cr_buf_puts(out, " (default account)");
}

static void s_text_access(struct cr_buf *out, bool color, const struct cr_plan *plan)
{
    if (plan->n_access == 0)
        return;
    cr_buf_printf(out, "%sAccess impact%s (IdentityPoolTest cases):\n",
                  cr_render_ansi(color, CR_ANSI_BOLD), cr_render_ansi(color, CR_ANSI_RESET));
    for (size_t i = 0; i < plan->n_access; i++) {
        const struct cr_plan_access *a = &plan->access[i];
        bool changed = s_access_changed(a);
        cr_buf_printf(out, "  %s%s%s ", cr_render_ansi(color, changed ? CR_ANSI_YELLOW : CR_ANSI_RED),
                      changed ? "~" : "!", cr_render_ansi(color, CR_ANSI_RESET));
        s_access_pool_text(out, plan, a);
        cr_buf_printf(out, ": %s", a->name);
        if (changed)
            cr_buf_printf(out, ": %s \xe2\x86\x92 %s", a->before ? a->before : "(no pool)", a->after);
        cr_buf_printf(out, " (%s)\n", a->source);
        if (changed && a->why)
            cr_buf_printf(out, "      %s\n", a->why);
        if (a->failure)
            cr_buf_printf(out, "      %swarning%s: the expectation fails: %s\n",
                          cr_render_ansi(color, CR_ANSI_RED), cr_render_ansi(color, CR_ANSI_RESET),
                          a->failure);
    }
    cr_buf_puts(out, "  ");
    s_access_summary(out, plan);
    cr_buf_puts(out, "\n\n");
}

int cr_render_text(struct cr_buf *out, const struct cr_plan *plan,
                   const struct cr_render_options *opts)
{
    bool color = opts && opts->color;
    bool drift = opts && opts->drift;
    struct cr_render_groups groups;
    if (cr_render_groups(&groups, plan, true) != 0)
        return CR_ENOMEM;
    if (!cr_plan_is_empty(plan))
        cr_buf_printf(out, "%s for stack \"%s\":\n\n",
                      drift ? "Live state differs from the manifests"
                            : "cognito-reconcile will make these calls",
                      plan->stack);
    for (size_t g = 0; g < groups.len; g++) {
        if (groups.headed) {
            cr_buf_printf(out, "%sIn ", cr_render_ansi(color, CR_ANSI_BOLD));
            cr_render_group_title(out, plan, &groups.items[g], false);
            cr_buf_puts(out, ":\n");
            cr_render_ansi_end_line(out, color);
            cr_buf_puts(out, "\n");
        }
        for (size_t i = 0; i < groups.items[g].n; i++)
            s_text_pool(out, color, plan, &plan->pools[groups.items[g].pools[i]]);
    }
    cr_render_groups_dispose(&groups);
    s_text_access(out, color, plan);
    cr_buf_puts(out, cr_render_ansi(color, CR_ANSI_BOLD));
    s_summary(out, plan, drift);
    cr_render_ansi_end_line(out, color);
    if (!cr_plan_is_empty(plan))
        s_account_summaries(out, plan, "  ");
    if (!drift && s_digest_line(out, plan, false) < 0)
        return CR_ENOMEM;
    if (cr_buf_oom(out)) {
        cr_error_set("out of memory rendering the plan");
        return CR_ENOMEM;
    }
    return 0;
}

/* ---- JSON ---- */

static json_t *s_json_pool(const struct cr_plan_pool *p)
{
    json_t *providers = json_array();
    for (size_t i = 0; i < p->providers.len; i++)
        json_array_append_new(providers, json_string(p->providers.items[i]));
    return json_pack(
        "{s:s, s:o, s:s, s:o, s:o, s:o, s:s, s:b, s:o, s:o, s:s, s:{s:o, s:b, s:b, s:o}}", "name",
        p->name, "account", cr_render_json_str_or_null(p->account), "region", p->region, "pool_id",
        cr_render_json_str_or_null(p->pool_id), "identity_pool_name",
        cr_render_json_str_or_null(p->identity_pool_name), "source",
        cr_render_json_str_or_null(p->source), "action", cr_plan_action_name(p->action), "adopted",
        p->adopted, "note", cr_render_json_str_or_null(p->note), "live_revision",
        cr_render_json_str_or_null(p->live_revision), "fingerprint", p->fingerprint, "reads",
        "adopt_id", cr_render_json_str_or_null(p->adopt_id), "roles", p->read_roles,
        "principal_tags", p->read_principal_tags, "providers", providers);
}

static json_t *s_json_op(const struct cr_plan *plan, size_t index)
{
    const struct cr_plan_op *op = &plan->ops[index];
    const struct cr_plan_pool *p = &plan->pools[op->pool];
    struct cr_buf body = CR_BUF_INIT;
    json_t *params = NULL, *changes = NULL, *o = NULL;
    if (cr_plan_op_body(&body, plan, op, NULL) < 0)
        goto done;
    params = json_loadb(body.ptr, body.len, 0, NULL);
    changes = cr_render_json_changes(op->changes, op->n_changes);
    if (!params || !changes)
        goto done;
    o = json_pack("{s:I, s:I, s:s, s:o, s:s, s:o, s:s, s:s, s:b, s:O, s:O}", "index",
                  (json_int_t)index, "pool_index", (json_int_t)op->pool, "pool", p->name, "account",
                  cr_render_json_str_or_null(p->account), "region", p->region, "pool_id",
                  cr_render_json_str_or_null(cr_plan_op_pool_id(plan, op)), "action",
                  cr_plan_op_kind_name(op->kind), "operation",
                  cr_cognito_op_name(cr_plan_op_api(op->kind)), "replace", op->replace,
                  "parameters", params, "changes", changes);
done:
    cr_buf_dispose(&body);
    json_decref(params);
    json_decref(changes);
    return o;
}

/* One account the plan covers: which, how it is reached, its regions and what happens there. */
static json_t *s_json_account(const struct cr_plan *plan, const struct cr_plan_account *pa)
{
    const struct cr_desired_account *a = &pa->account;
    struct cr_render_counts c;
    json_t *regions = json_array();
    for (size_t i = 0; regions && i < pa->regions.len; i++)
        json_array_append_new(regions, json_string(pa->regions.items[i]));
    cr_render_account_counts(&c, plan, a->name);
    return json_pack("{s:o, s:o, s:o, s:o, s:o, s:o, s:o, s:o, s:{s:I, s:I, s:I, s:I}}", "name",
                     cr_render_json_str_or_null(a->name), "account_id",
                     cr_render_json_str_or_null(a->account_id), "profile",
                     cr_render_json_str_or_null(a->profile), "role_arn",
                     cr_render_json_str_or_null(a->role_arn), "external_id",
                     cr_render_json_str_or_null(a->external_id), "session_name",
                     cr_render_json_str_or_null(a->session_name), "region",
                     cr_render_json_str_or_null(a->region), "regions", regions, "summary", "create",
                     (json_int_t)c.create, "update", (json_int_t)c.update, "delete",
                     (json_int_t)c.del, "replace", (json_int_t)c.replace);
}

static json_t *s_json_doc(const struct cr_plan *plan)
{
    json_t *regions = json_array(), *pools = json_array(), *ops = json_array();
    json_t *accounts = json_array();
    for (size_t i = 0; regions && i < plan->regions.len; i++)
        json_array_append_new(regions, json_string(plan->regions.items[i]));
    for (size_t i = 0; accounts && i < plan->n_accounts; i++) {
        json_t *a = s_json_account(plan, &plan->accounts[i]);
        if (!a || json_array_append_new(accounts, a) < 0)
            goto fail;
    }
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
    char digest[CR_PLAN_DIGEST_LEN + 1];
    if (!ops || cr_plan_digest_ops(digest, ops) < 0)
        goto fail;
    return json_pack("{s:s, s:s, s:o, s:o, s:o, s:{s:I, s:I, s:I, s:I, s:b}, s:s, s:o, s:o}",
                     "format_version", "1", "stack", plan->stack, "revision",
                     cr_render_json_str_or_null(plan->revision), "regions", regions, "accounts",
                     accounts, "summary", "create", (json_int_t)plan->n_create, "update",
                     (json_int_t)plan->n_update, "delete", (json_int_t)plan->n_delete, "replace",
                     (json_int_t)plan->n_replace, "changes", !cr_plan_is_empty(plan), "digest",
                     digest, "pools", pools, "operations", ops);
fail:
    json_decref(regions);
    json_decref(accounts);
    json_decref(pools);
    json_decref(ops);
    return NULL;
}

/* "access_impact": {"changed": n, "failing": n, "cases": [{"pool", "account", "test", "case", "source",
 * "before", "after", "decided_by", "changed", "failure"}]} */
static json_t *s_json_access(const struct cr_plan *plan)
{
    size_t changed, failing;
    json_t *cases = json_array();
    s_access_counts(plan, &changed, &failing);
    for (size_t i = 0; cases && i < plan->n_access; i++) {
        const struct cr_plan_access *a = &plan->access[i];
        json_t *o = json_pack("{s:s, s:o, s:s, s:s, s:s, s:o, s:s, s:o, s:b, s:o}", "pool",
                              plan->pools[a->pool].name, "account",
                              cr_render_json_str_or_null(plan->pools[a->pool].account), "test",
                              a->test, "case", a->name,
                              "source", a->source, "before", cr_render_json_str_or_null(a->before),
                              "after", a->after, "decided_by", cr_render_json_str_or_null(a->why),
                              "changed", s_access_changed(a), "failure",
                              cr_render_json_str_or_null(a->failure));
        if (!o || json_array_append_new(cases, o) < 0) {
            json_decref(cases);
            return NULL;
        }
    }
    return cases ? json_pack("{s:I, s:I, s:o}", "changed", (json_int_t)changed, "failing",
                             (json_int_t)failing, "cases", cases)
                 : NULL;
}

json_t *cr_render_json_doc(const struct cr_plan *plan)
{
    json_t *doc = s_json_doc(plan);
    if (doc && plan->access_checked &&
        json_object_set_new(doc, "access_impact", s_json_access(plan)) < 0) {
        json_decref(doc);
        doc = NULL;
    }
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

static void s_md_pool(struct cr_buf *out, const struct cr_plan *plan, const struct cr_plan_pool *p,
                      const char *level)
{
    size_t fence = 3;
    cr_buf_printf(out, "%s %s ", level, cr_render_verb(cr_render_kind_of_action(p->action)));
    cr_render_md_code(out, p->name, false);
    cr_buf_printf(out, " (%s)\n\n", p->pool_id ? p->pool_id : p->region);
    if (p->note)
        cr_buf_printf(out, "> **%s**\n\n", p->note);
    if (p->adopted)
        cr_buf_printf(out, "> adopted: ownership tags are added (stack `%s`)\n\n", plan->stack);
    if (s_other_revision(plan, p))
        cr_buf_printf(out, "> last applied from revision `%.12s` (this plan: `%.12s`)\n\n",
                      p->live_revision, plan->revision);
    for (size_t k = 0; k < p->n_ops; k++) {
        const struct cr_plan_op *op = &plan->ops[p->first_op + k];
        size_t len = cr_render_md_fence_len(op->changes, op->n_changes);
        fence = len > fence ? len : fence;
    }
    cr_render_md_fence(out, fence, "diff");
    for (size_t k = 0; k < p->n_ops; k++) {
        const struct cr_plan_op *op = &plan->ops[p->first_op + k];
        cr_buf_printf(out, "@@ %s @@\n", cr_cognito_op_name(cr_plan_op_api(op->kind)));
        for (size_t i = 0; i < op->n_changes; i++)
            cr_render_change_md(out, &op->changes[i], s_unset_note(&op->changes[i]));
    }
    cr_render_md_fence(out, fence, "");
    cr_buf_puts(out, "\n");
}

/* A Markdown cell naming an account: `prod`, or (default). */
static void s_md_account(struct cr_buf *out, const char *account)
{
    if (account)
        cr_render_md_code(out, account, true);
    else
        cr_buf_puts(out, "(default)");
}

/* One summary row per changed pool: [account,] pool, region, action, calls. */
static void s_md_row(struct cr_buf *out, const struct cr_plan *plan, const struct cr_plan_pool *p,
                     bool accounts)
{
    enum cr_render_kind kind = cr_render_kind_of_action(p->action);
    cr_buf_puts(out, "| ");
    if (accounts) {
        s_md_account(out, p->account);
        cr_buf_puts(out, " | ");
    }
    cr_render_md_code(out, p->name, true);
    cr_buf_puts(out, " | ");
    cr_render_md_text(out, p->region);
    cr_buf_printf(out, " | %s %s | ", cr_render_symbol(kind), cr_render_verb(kind));
    for (size_t k = 0; k < p->n_ops; k++)
        cr_buf_printf(out, "%s%s", k ? ", " : "",
                      cr_cognito_op_name(cr_plan_op_api(plan->ops[p->first_op + k].kind)));
    cr_buf_puts(out, " |\n");
}

/* The summary table, then a section per changed pool, grouped by account and region. */
static int s_md_body(struct cr_buf *out, const struct cr_plan *plan)
{
    struct cr_render_groups groups;
    bool accounts = cr_plan_has_accounts(plan);
    if (cr_render_groups(&groups, plan, true) != 0)
        return CR_ENOMEM;
    cr_buf_puts(out, accounts
                         ? "| Account | Pool | Region | Action | Calls |\n|---|---|---|---|---|\n"
                         : "| Pool | Region | Action | Calls |\n|---|---|---|---|\n");
    for (size_t g = 0; g < groups.len; g++)
        for (size_t i = 0; i < groups.items[g].n; i++)
            s_md_row(out, plan, &plan->pools[groups.items[g].pools[i]], accounts);
    cr_buf_puts(out, "\n");
    for (size_t g = 0; g < groups.len; g++) {
        if (groups.headed) {
            cr_buf_puts(out, "### In ");
            cr_render_group_title(out, plan, &groups.items[g], true);
            cr_buf_puts(out, "\n\n");
        }
        for (size_t i = 0; i < groups.items[g].n; i++)
            s_md_pool(out, plan, &plan->pools[groups.items[g].pools[i]],
                      groups.headed ? "####" : "###");
    }
    cr_render_groups_dispose(&groups);
    return 0;
}

/* "### Access impact": one row per case whose outcome changes or whose expectation fails. */
static void s_md_access(struct cr_buf *out, const struct cr_plan *plan)
{
    if (plan->n_access == 0)
        return;
    cr_buf_puts(out, "### Access impact\n\n");
    s_access_summary(out, plan);
    bool accounts = cr_plan_has_accounts(plan);
    cr_buf_puts(out, accounts ? "\n\n| Case | Account | Pool | Before | After | Expectation |\n"
                                "|---|---|---|---|---|---|\n"
                              : "\n\n| Case | Pool | Before | After | Expectation |\n"
                                "|---|---|---|---|---|\n");
    for (size_t i = 0; i < plan->n_access; i++) {
        const struct cr_plan_access *a = &plan->access[i];
        cr_buf_puts(out, "| ");
        cr_render_md_text(out, a->name);
        cr_buf_puts(out, " (");
        cr_render_md_code(out, a->source, true);
        cr_buf_puts(out, ") | ");
        if (accounts) {
            s_md_account(out, plan->pools[a->pool].account);
            cr_buf_puts(out, " | ");
        }
        cr_render_md_code(out, plan->pools[a->pool].name, true);
        cr_buf_puts(out, " | ");
        cr_render_md_text(out, a->before ? a->before : "(no pool)");
        cr_buf_puts(out, " | ");
        if (s_access_changed(a))
            cr_buf_puts(out, "**");
        cr_render_md_text(out, a->after);
        if (s_access_changed(a))
            cr_buf_puts(out, "**");
        cr_buf_puts(out, a->failure ? " | :warning: fails: " : " | holds");
        if (a->failure)
            cr_render_md_text(out, a->failure);
        cr_buf_puts(out, " |\n");
    }
    cr_buf_puts(out, "\n");
}

int cr_render_markdown(struct cr_buf *out, const struct cr_plan *plan,
                       const struct cr_render_options *opts)
{
    bool drift = opts && opts->drift;
    cr_buf_printf(out, "## cognito-reconcile %s: stack ", drift ? "drift" : "plan");
    cr_render_md_code(out, plan->stack, false);
    cr_buf_puts(out, "\n\n");
    if (plan->revision) {
        cr_buf_puts(out, "Revision ");
        cr_render_md_code(out, plan->revision, false);
        cr_buf_puts(out, ".\n\n");
    }
    cr_buf_puts(out, "**");
    s_summary(out, plan, drift);
    out->len--; /* drop the newline inside the bold */
    out->ptr[out->len] = '\0';
    cr_buf_puts(out, "**\n\n");
    if (!drift && s_digest_line(out, plan, true) < 0)
        return CR_ENOMEM;
    size_t before = out->len;
    if (!cr_plan_is_empty(plan))
        s_account_summaries(out, plan, "- ");
    if (out->len > before)
        cr_buf_puts(out, "\n");
    if (!cr_plan_is_empty(plan) && s_md_body(out, plan) != 0)
        return CR_ENOMEM;
    s_md_access(out, plan);
    if (cr_buf_oom(out)) {
        cr_error_set("out of memory rendering the plan as Markdown");
        return CR_ENOMEM;
    }
    return 0;
}
