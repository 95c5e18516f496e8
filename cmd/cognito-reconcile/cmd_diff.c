/* SPDX-License-Identifier: Apache-2.0 */
/*
 * diff: compares the manifests of two git revisions, for code review. Offline: no
 * credentials, no network, no AWS configuration needed.
 *
 * The "from" manifests become a live-like snapshot (each pool as the service would hold it
 * after applying them, owned by the stack) and the "to" manifests are planned against it
 * with the reconcile diff machinery (cr_plan_build, pure); the plan's field-level changes,
 * merged per pool, are the diff. Pools match by metadata.name and region. A pool only in
 * "from" is removed: its fields come from the reverse plan (to -> from). Exit status: 0 no
 * differences, 2 differences, 1 error.
 */
#include <jansson.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "aws/config.h"
#include "cmd/cognito-reconcile/cmd.h"
#include "cmd/cognito-reconcile/sources.h"
#include "reconcile/desired.h"
#include "reconcile/live.h"
#include "reconcile/plan.h"
#include "schema/manifest.h"
#include "util/array.h"
#include "util/buf.h"
#include "util/log.h"
#include "util/strutil.h"

#define S_ACCOUNT        "000000000000" /* ARNs of the snapshot; never shown */
#define S_DEFAULT_REGION "(default region)"

static const char s_synopsis[] = "--from REV [--to REV] [options] [PATH...]";
static const char s_description[] =
    "Compares the IdentityPool manifests of two git revisions without calling AWS: pools\n"
    "added, removed, changed (field by field) or replaced, matched by metadata.name and\n"
    "region. PATH (files or folders, default: the current folder) is read at both\n"
    "revisions from the repository containing the current folder, or --git-dir. --to\n"
    "defaults to HEAD. The working tree is not read. Exit status: 0 no differences,\n"
    "2 differences, 1 error.";

enum s_status { S_ADDED, S_CHANGED, S_REPLACED, S_REMOVED, S_N_STATUS };

struct s_change {
    char *path;
    char *before; /* compact JSON, NULL = absent */
    char *after;
};

struct s_pool {
    const char *name;   /* borrowed from a plan */
    const char *region; /* borrowed from a plan */
    enum s_status status;
    const char *from_source; /* borrowed: "REV:file:line:column", NULL when added */
    const char *to_source;   /* NULL when removed */
    const char *note;        /* the plan's note (why replaced) */
    struct s_change *changes;
    size_t n_changes, cap_changes;
};

struct s_side {
    const char *rev; /* as the user wrote it */
    struct cr_git_revision commit;
    struct cr_manifest_set *set;
    struct cr_desired_set desired;
    char **adopt_ids; /* metadata.id of desired.pools[i] (moved out of it), or NULL */
};

struct s_diff {
    struct s_side from, to;
    const char *stack;
    const char *region;     /* the default region, or S_DEFAULT_REGION */
    struct cr_plan forward; /* to planned against from */
    struct cr_plan reverse; /* from planned against to (fields of removed pools) */
    struct s_pool *pools;
    size_t n_pools;
    size_t counts[S_N_STATUS]; /* pools per status */
};

/* ---- loading one revision ---- */

static int s_load_side(struct s_side *side, const struct cr_cli_options *opts)
{
    struct cr_cli_options at = *opts; /* shallow: only git_ref differs */
    at.git_ref = side->rev;
    int rc = cr_cmd_load_sources(&side->set, &side->commit, &at, CR_MANIFEST_RESERVED_TAGS_GIT);
    if (rc == CR_EINVALID && side->set != NULL) {
        if (cr_cli_print_diagnostics(side->set) != 0)
            return CR_ENOMEM;
        cr_error_set("the manifests at git revision '%s' are not valid (%zu error%s)", side->rev,
                     side->set->n_diagnostics, side->set->n_diagnostics == 1 ? "" : "s");
        return rc;
    }
    if (rc != 0)
        return rc;
    rc = cr_desired_from_manifest(&side->desired, side->set);
    if (rc != 0)
        return rc;
    /* Pools match by name and region only: metadata.id is compared as a field. */
    side->adopt_ids = calloc(side->desired.len + 1, sizeof(*side->adopt_ids));
    if (side->adopt_ids == NULL) {
        cr_error_set("out of memory comparing revisions");
        return CR_ENOMEM;
    }
    for (size_t i = 0; i < side->desired.len; i++) {
        side->adopt_ids[i] = side->desired.pools[i].adopt_id;
        side->desired.pools[i].adopt_id = NULL; /* now owned by adopt_ids */
    }
    return 0;
}

/* ---- the snapshot: desired pools as the service would hold them ---- */

static const char *s_region_of(const struct s_diff *d, const struct cr_desired_pool *p)
{
    return p->region != NULL ? p->region : d->region;
}

static int s_snapshot_pool(struct cr_live_state *live, const struct s_diff *d,
                           const struct cr_desired_pool *p, size_t index)
{
    static const struct cr_cognito_principal_tags none = {0};
    static const struct cr_cognito_roles no_roles = {0};
    struct cr_cognito_pool config = {0};
    char id[128];
    const char *region = s_region_of(d, p);
    int result = cr_cognito_pool_copy(&config, &p->config);
    if (result != 0)
        goto done;
    snprintf(id, sizeof(id), "%s:00000000-0000-4000-8000-%012zu", region, index);
    free(config.id);
    config.id = strdup(id);
    config.has_tags = true;
    cr_strmap_dispose(&config.tags);
    result = CR_ENOMEM;
    if (config.id == NULL || (p->manage_tags && cr_strmap_copy(&config.tags, &p->tags) != 0) ||
        cr_strmap_set(&config.tags, CR_TAG_STACK, d->stack) != 0 ||
        cr_strmap_set(&config.tags, CR_TAG_NAME, p->name) != 0)
        goto done;
    /* Unmanaged sections read as empty: a section that becomes managed shows every entry. */
    result = cr_live_state_add(NULL, live, region, &config, p->manage_roles ? &p->roles : &no_roles,
                               p->manage_principal_tags && p->n_principal_tags ? p->principal_tags
                                                                               : &none,
                               p->manage_principal_tags ? p->n_principal_tags : 0);
    if (result == 0)
        result = cr_live_state_add_region(live, region, S_ACCOUNT);
done:
    if (result == CR_ENOMEM)
        cr_error_set("out of memory comparing revisions");
    cr_cognito_pool_dispose(&config);
    return result;
}

/* Plans `to` against a snapshot of `from` (prune on, replacements allowed). */
static int s_plan_between(struct cr_plan *out, const struct s_diff *d,
                          const struct cr_desired_set *from, const struct cr_desired_set *to)
{
    struct cr_live_state live;
    int result = 0;
    cr_live_state_init(&live);
    for (size_t i = 0; i < from->len && result == 0; i++)
        result = s_snapshot_pool(&live, d, &from->pools[i], i);
    for (size_t i = 0; i < to->len && result == 0; i++)
        result = cr_live_state_add_region(&live, s_region_of(d, &to->pools[i]), S_ACCOUNT);
    if (result == 0) {
        struct cr_plan_options popts = {
            .stack = d->stack, .region = d->region, .prune = true, .allow_replace = true};
        result = cr_plan_build(out, to->pools, to->len, &live, &popts);
    }
    cr_live_state_dispose(&live);
    return result;
}

/* ---- plan -> per-pool field changes ---- */

static bool s_is_ownership_path(const char *path)
{
    static const char prefix[] = "tags[\"" CR_TAG_PREFIX;
    return strncmp(path, prefix, sizeof(prefix) - 1) == 0;
}

static bool s_same(const char *a, const char *b)
{
    return (a == NULL && b == NULL) || (a != NULL && b != NULL && strcmp(a, b) == 0);
}

/* Records one change; a path seen before keeps its first "before" and takes the new
 * "after" (a roles call before and after an Update). swap: a removed pool's fields. */
static int s_add_change(struct s_pool *p, const struct cr_plan_change *c, bool swap)
{
    const char *before = swap ? c->after : c->before;
    const char *after = swap ? c->before : c->after;
    if (s_is_ownership_path(c->path))
        return 0;
    for (size_t i = 0; i < p->n_changes; i++) {
        if (strcmp(p->changes[i].path, c->path) != 0)
            continue;
        char *copy = cr_strdup_null(after, NULL);
        if (after != NULL && copy == NULL)
            return CR_ENOMEM;
        free(p->changes[i].after);
        p->changes[i].after = copy;
        return 0;
    }
    if (cr_array_reserve(&p->changes, &p->cap_changes, p->n_changes, sizeof(*p->changes), 8) != 0)
        return CR_ENOMEM;
    struct s_change *n = &p->changes[p->n_changes];
    n->path = strdup(c->path);
    n->before = cr_strdup_null(before, NULL);
    n->after = cr_strdup_null(after, NULL);
    p->n_changes++;
    if (n->path == NULL || (before && !n->before) || (after && !n->after))
        return CR_ENOMEM;
    return 0;
}

static int s_add_plan_changes(struct s_pool *out, const struct cr_plan *plan,
                              const struct cr_plan_pool *pp, bool swap)
{
    for (size_t k = 0; k < pp->n_ops; k++) {
        const struct cr_plan_op *op = &plan->ops[pp->first_op + k];
        for (size_t i = 0; i < op->n_changes; i++)
            if (s_add_change(out, &op->changes[i], swap) != 0)
                return CR_ENOMEM;
    }
    size_t kept = 0;
    for (size_t i = 0; i < out->n_changes; i++) {
        struct s_change *c = &out->changes[i];
        if (s_same(c->before, c->after)) {
            free(c->path);
            free(c->before);
            free(c->after);
            continue;
        }
        out->changes[kept++] = *c;
    }
    out->n_changes = kept;
    return 0;
}

static const struct cr_desired_pool *s_find(const struct s_diff *d,
                                            const struct cr_desired_set *set, const char *name,
                                            const char *region)
{
    for (size_t i = 0; i < set->len; i++)
        if (strcmp(set->pools[i].name, name) == 0 &&
            strcmp(s_region_of(d, &set->pools[i]), region) == 0)
            return &set->pools[i];
    return NULL;
}

static const struct cr_plan_pool *s_find_plan_pool(const struct cr_plan *plan, const char *name,
                                                   const char *region)
{
    for (size_t i = 0; i < plan->n_pools; i++)
        if (strcmp(plan->pools[i].name, name) == 0 && strcmp(plan->pools[i].region, region) == 0)
            return &plan->pools[i];
    return NULL;
}

/* A string as compact JSON text (how plan changes hold values); NULL stays NULL. */
static char *s_jstr(const char *s)
{
    if (s == NULL)
        return NULL;
    json_t *j = json_string(s);
    char *text = j != NULL ? json_dumps(j, JSON_ENCODE_ANY | JSON_COMPACT) : NULL;
    json_decref(j);
    return text;
}

static const char *s_adopt_id(const struct s_diff *d, const struct s_side *side, const char *name,
                              const char *region)
{
    const struct cr_desired_pool *p = s_find(d, &side->desired, name, region);
    return p != NULL ? side->adopt_ids[p - side->desired.pools] : NULL;
}

/* metadata.id is not a pool field, so the plan cannot see it: compared here. */
static int s_add_adopt_change(struct s_pool *p, const struct s_diff *d)
{
    const char *a = s_adopt_id(d, &d->from, p->name, p->region);
    const char *b = s_adopt_id(d, &d->to, p->name, p->region);
    if (s_same(a, b))
        return 0;
    struct cr_plan_change c = {.path = "metadata.id", .before = s_jstr(a), .after = s_jstr(b)};
    int rc = (a && !c.before) || (b && !c.after) ? CR_ENOMEM : s_add_change(p, &c, false);
    free(c.before);
    free(c.after);
    return rc;
}

static enum s_status s_status_of(enum cr_plan_action action)
{
    switch (action) {
    case CR_PLAN_CREATE:
        return S_ADDED;
    case CR_PLAN_REPLACE:
        return S_REPLACED;
    case CR_PLAN_DELETE:
        return S_REMOVED;
    case CR_PLAN_UPDATE:
    case CR_PLAN_NOOP:
    default:
        return S_CHANGED;
    }
}

/* The changes of one pool of the forward plan. */
static int s_pool_changes(struct s_pool *p, const struct s_diff *d, const struct cr_plan_pool *pp)
{
    const struct cr_plan_pool *rp = s_find_plan_pool(&d->reverse, p->name, p->region);
    int rc = s_add_adopt_change(p, d);
    if (rc != 0)
        return rc;
    switch (p->status) {
    case S_REMOVED:
        /* The reverse plan creates it: its fields, before and after swapped. */
        return rp != NULL ? s_add_plan_changes(p, &d->reverse, rp, true) : 0;
    case S_REPLACED:
        /* Both plans delete and create: old fields from the reverse create, new ones from
         * the forward create, merged per field into before -> after. */
        rc = rp != NULL ? s_add_plan_changes(p, &d->reverse, rp, true) : 0;
        return rc != 0 ? rc : s_add_plan_changes(p, &d->forward, pp, false);
    case S_ADDED:
    case S_CHANGED:
    default:
        return s_add_plan_changes(p, &d->forward, pp, false);
    }
}

static void s_pool_dispose(struct s_pool *p)
{
    for (size_t i = 0; i < p->n_changes; i++) {
        free(p->changes[i].path);
        free(p->changes[i].before);
        free(p->changes[i].after);
    }
    free(p->changes);
}

static int s_build(struct s_diff *d)
{
    int rc = s_plan_between(&d->forward, d, &d->from.desired, &d->to.desired);
    if (rc == 0)
        rc = s_plan_between(&d->reverse, d, &d->to.desired, &d->from.desired);
    if (rc != 0)
        return rc;
    d->pools = calloc(d->forward.n_pools + 1, sizeof(*d->pools));
    if (d->pools == NULL)
        goto oom;
    for (size_t i = 0; i < d->forward.n_pools; i++) {
        const struct cr_plan_pool *pp = &d->forward.pools[i];
        struct s_pool *p = &d->pools[d->n_pools];
        const struct cr_desired_pool *old = s_find(d, &d->from.desired, pp->name, pp->region);
        p->name = pp->name;
        p->region = pp->region;
        p->status = s_status_of(pp->action);
        p->note = p->status == S_REPLACED ? pp->note : NULL; /* others speak of --prune */
        p->from_source = p->status != S_ADDED && old != NULL ? old->source : NULL;
        p->to_source = p->status != S_REMOVED ? pp->source : NULL;
        if (s_pool_changes(p, d, pp) != 0) {
            s_pool_dispose(p);
            goto oom;
        }
        if (p->status == S_CHANGED && p->n_changes == 0) {
            s_pool_dispose(p);
            memset(p, 0, sizeof(*p));
            continue;
        }
        d->counts[p->status]++;
        d->n_pools++;
    }
    return 0;
oom:
    cr_error_set("out of memory comparing revisions");
    return CR_ENOMEM;
}

/* ---- renderers ---- */

#define C_RESET  "\033[0m"
#define C_BOLD   "\033[1m"
#define C_GREEN  "\033[32m"
#define C_YELLOW "\033[33m"
#define C_RED    "\033[31m"

static const char *s_status_name(enum s_status s)
{
    switch (s) {
    case S_ADDED:
        return "added";
    case S_REPLACED:
        return "replaced";
    case S_REMOVED:
        return "removed";
    case S_CHANGED:
    default:
        return "changed";
    }
}

static const char *s_status_symbol(enum s_status s)
{
    switch (s) {
    case S_ADDED:
        return "+";
    case S_REPLACED:
        return "-/+";
    case S_REMOVED:
        return "-";
    case S_CHANGED:
    default:
        return "~";
    }
}

static const char *s_status_color(enum s_status s)
{
    switch (s) {
    case S_ADDED:
        return C_GREEN;
    case S_REPLACED:
    case S_REMOVED:
        return C_RED;
    case S_CHANGED:
    default:
        return C_YELLOW;
    }
}

static bool s_differs(const struct s_diff *d)
{
    return d->n_pools > 0;
}

static void s_summary(struct cr_buf *out, const struct s_diff *d)
{
    cr_buf_printf(out, "Diff: %zu added, %zu changed, %zu replaced, %zu removed.\n",
                  d->counts[S_ADDED], d->counts[S_CHANGED], d->counts[S_REPLACED],
                  d->counts[S_REMOVED]);
}

/* "file:line:column" without the "REV:" prefix. */
static const char *s_place(const char *source, const char *rev)
{
    size_t n = strlen(rev);
    return strncmp(source, rev, n) == 0 && source[n] == ':' ? source + n + 1 : source;
}

/* The pool's document moved (another file, or another line) between the revisions. */
static bool s_moved(const struct s_diff *d, const struct s_pool *p)
{
    return p->from_source != NULL && p->to_source != NULL &&
           strcmp(s_place(p->from_source, d->from.rev), s_place(p->to_source, d->to.rev)) != 0;
}

static void s_text_pool(struct cr_buf *out, const struct s_diff *d, const struct s_pool *p,
                        bool color)
{
    const char *on = color ? s_status_color(p->status) : "";
    const char *bold = color ? C_BOLD : "", *off = color ? C_RESET : "";
    const char *source = p->to_source != NULL ? p->to_source : p->from_source;
    cr_buf_printf(out, "%s%s%s %s%s identity pool \"%s\" in %s", bold, on,
                  s_status_symbol(p->status), s_status_name(p->status), off, p->name, p->region);
    if (source != NULL)
        cr_buf_printf(out, " (%s", source);
    if (s_moved(d, p))
        cr_buf_printf(out, ", was %s", p->from_source);
    cr_buf_puts(out, source != NULL ? ")\n" : "\n");
    if (p->note != NULL)
        cr_buf_printf(out, "    # %s\n", p->note);
    for (size_t i = 0; i < p->n_changes; i++) {
        const struct s_change *c = &p->changes[i];
        if (c->before == NULL)
            cr_buf_printf(out, "    %s+%s %s: %s\n", color ? C_GREEN : "", off, c->path, c->after);
        else if (c->after == NULL)
            cr_buf_printf(out, "    %s-%s %s: %s\n", color ? C_RED : "", off, c->path, c->before);
        else
            cr_buf_printf(out, "    %s~%s %s: %s \xe2\x86\x92 %s\n", color ? C_YELLOW : "", off,
                          c->path, c->before, c->after);
    }
    cr_buf_puts(out, "\n");
}

static void s_render_text(struct cr_buf *out, const struct s_diff *d, bool color)
{
    if (!s_differs(d)) {
        cr_buf_printf(out, "No differences between %s (%s) and %s (%s).\n", d->from.rev,
                      d->from.commit.short_id, d->to.rev, d->to.commit.short_id);
        return;
    }
    cr_buf_printf(out, "Manifest changes from %s (%s) to %s (%s):\n\n", d->from.rev,
                  d->from.commit.short_id, d->to.rev, d->to.commit.short_id);
    for (size_t i = 0; i < d->n_pools; i++)
        s_text_pool(out, d, &d->pools[i], color);
    if (color)
        cr_buf_puts(out, C_BOLD);
    s_summary(out, d);
    if (color) {
        out->len--; /* the reset goes before the newline */
        cr_buf_puts(out, C_RESET "\n");
    }
}

/* A change value is compact JSON text: embedded as a value. */
static json_t *s_value(const char *text)
{
    json_t *v = json_loads(text, JSON_DECODE_ANY, NULL);
    return v != NULL ? v : json_string(text);
}

static json_t *s_jstr_or_null(const char *s)
{
    return s != NULL ? json_string(s) : json_null();
}

static json_t *s_json_pool(const struct s_pool *p)
{
    json_t *changes = json_array();
    for (size_t i = 0; changes != NULL && i < p->n_changes; i++) {
        json_t *c = json_pack("{s:s}", "path", p->changes[i].path);
        /* An absent side has no member (null is a value). */
        if (c != NULL && p->changes[i].before != NULL)
            json_object_set_new(c, "before", s_value(p->changes[i].before));
        if (c != NULL && p->changes[i].after != NULL)
            json_object_set_new(c, "after", s_value(p->changes[i].after));
        json_array_append_new(changes, c);
    }
    return json_pack("{s:s, s:s, s:s, s:o, s:o, s:o, s:o}", "name", p->name, "region", p->region,
                     "status", s_status_name(p->status), "from_source",
                     s_jstr_or_null(p->from_source), "to_source", s_jstr_or_null(p->to_source),
                     "note", s_jstr_or_null(p->note), "changes", changes);
}

static int s_render_json(struct cr_buf *out, const struct s_diff *d)
{
    int result = CR_ENOMEM;
    json_t *pools = json_array();
    for (size_t i = 0; pools != NULL && i < d->n_pools; i++)
        json_array_append_new(pools, s_json_pool(&d->pools[i]));
    json_t *doc = json_pack(
        "{s:s, s:{s:s, s:s}, s:{s:s, s:s}, s:{s:i, s:i, s:i, s:i, s:b}, s:o}", "format_version",
        "1", "from", "revision", d->from.rev, "commit", d->from.commit.id, "to", "revision",
        d->to.rev, "commit", d->to.commit.id, "summary", "added", (json_int_t)d->counts[S_ADDED],
        "changed", (json_int_t)d->counts[S_CHANGED], "replaced", (json_int_t)d->counts[S_REPLACED],
        "removed", (json_int_t)d->counts[S_REMOVED], "differences", s_differs(d), "pools", pools);
    char *text = doc != NULL ? json_dumps(doc, JSON_INDENT(2) | JSON_PRESERVE_ORDER) : NULL;
    if (text != NULL) {
        cr_buf_printf(out, "%s\n", text);
        result = 0;
    }
    free(text);
    json_decref(doc);
    return result;
}

/* Markdown table cells: pipes and newlines would break the row. */
static void s_md_cell(struct cr_buf *out, const char *s)
{
    for (; *s != '\0'; s++) {
        if (*s == '|' || *s == '\\' || *s == '`' || *s == '*' || *s == '_' || *s == '<')
            cr_buf_putc(out, '\\');
        cr_buf_putc(out, *s == '\n' ? ' ' : *s);
    }
}

/* A code fence longer than any run of backticks in the pool's values. */
static size_t s_fence_len(const struct s_pool *p)
{
    size_t longest = 0;
    for (size_t i = 0; i < p->n_changes; i++) {
        const char *texts[] = {p->changes[i].path, p->changes[i].before, p->changes[i].after};
        for (size_t t = 0; t < 3; t++) {
            size_t run = 0;
            for (const char *s = texts[t]; s != NULL && *s != '\0'; s++) {
                run = *s == '`' ? run + 1 : 0;
                longest = run > longest ? run : longest;
            }
        }
    }
    return longest >= 3 ? longest + 1 : 3;
}

static void s_md_pool(struct cr_buf *out, const struct s_pool *p)
{
    size_t fence = s_fence_len(p);
    cr_buf_printf(out, "#### %s `%s` (%s)\n\n", s_status_name(p->status), p->name, p->region);
    if (p->note != NULL)
        cr_buf_printf(out, "> %s\n\n", p->note);
    for (size_t i = 0; i < fence; i++)
        cr_buf_putc(out, '`');
    cr_buf_puts(out, "diff\n");
    for (size_t i = 0; i < p->n_changes; i++) {
        const struct s_change *c = &p->changes[i];
        /* GitHub colours "-" and "+" lines: a change is shown as both. */
        if (c->before != NULL)
            cr_buf_printf(out, "- %s: %s\n", c->path, c->before);
        if (c->after != NULL)
            cr_buf_printf(out, "+ %s: %s\n", c->path, c->after);
    }
    for (size_t i = 0; i < fence; i++)
        cr_buf_putc(out, '`');
    cr_buf_puts(out, "\n\n");
}

static void s_render_markdown(struct cr_buf *out, const struct s_diff *d)
{
    cr_buf_printf(out, "### cognito-reconcile diff: `%s` \xe2\x86\x92 `%s`\n\n", d->from.rev,
                  d->to.rev);
    cr_buf_printf(out, "From `%s` to `%s`.\n\n", d->from.commit.short_id, d->to.commit.short_id);
    if (!s_differs(d)) {
        cr_buf_puts(out, "No differences in the identity pool manifests.\n");
        return;
    }
    cr_buf_puts(out, "| Pool | Region | Change | Fields |\n|---|---|---|---|\n");
    for (size_t i = 0; i < d->n_pools; i++) {
        const struct s_pool *p = &d->pools[i];
        cr_buf_puts(out, "| ");
        s_md_cell(out, p->name);
        cr_buf_puts(out, " | ");
        s_md_cell(out, p->region);
        cr_buf_printf(out, " | %s | %zu |\n", s_status_name(p->status), p->n_changes);
    }
    cr_buf_puts(out, "\n");
    for (size_t i = 0; i < d->n_pools; i++)
        s_md_pool(out, &d->pools[i]);
    s_summary(out, d);
}

/* ---- the command ---- */

static void s_diff_dispose(struct s_diff *d)
{
    struct s_side *sides[] = {&d->from, &d->to};
    for (size_t s = 0; s < 2; s++) {
        for (size_t i = 0; sides[s]->adopt_ids != NULL && i < sides[s]->desired.len; i++)
            free(sides[s]->adopt_ids[i]);
        free(sides[s]->adopt_ids);
        cr_desired_set_dispose(&sides[s]->desired);
        cr_manifest_set_free(sides[s]->set);
    }
    for (size_t i = 0; i < d->n_pools; i++)
        s_pool_dispose(&d->pools[i]);
    free(d->pools);
    cr_plan_dispose(&d->forward);
    cr_plan_dispose(&d->reverse);
}

/*
 * The default region for pools without metadata.region: --region, AWS_REGION,
 * AWS_DEFAULT_REGION, then the profile's (files only: no network). Only a name for matching
 * here, so a missing or unreadable AWS config is not an error: the label S_DEFAULT_REGION.
 */
static void s_default_region(struct cr_buf *out, const struct cr_cli_options *opts)
{
    struct cr_aws_config cfg;
    cr_aws_config_init(&cfg);
    int rc = cr_aws_config_load(&cfg, NULL, NULL);
    if (rc != 0)
        cr_log_debug("diff: AWS config not read (%s)", cr_error_last());
    if (cr_aws_config_region(out, rc == 0 ? &cfg : NULL, NULL, opts->region) != 0) {
        cr_buf_clear(out);
        cr_buf_puts(out, S_DEFAULT_REGION);
    }
    cr_error_clear();
    cr_aws_config_dispose(&cfg);
}

static int s_render(struct cr_buf *out, const struct s_diff *d, const struct cr_cli_options *opts)
{
    switch (opts->output) {
    case CR_CLI_OUTPUT_JSON:
        return s_render_json(out, d);
    case CR_CLI_OUTPUT_MARKDOWN:
        s_render_markdown(out, d);
        break;
    case CR_CLI_OUTPUT_TEXT:
    default:
        s_render_text(out, d, cr_cli_use_color(opts, stdout));
        break;
    }
    if (cr_buf_oom(out)) {
        cr_error_set("out of memory rendering the diff");
        return CR_ENOMEM;
    }
    return 0;
}

static int s_run(const struct cr_cli_options *opts)
{
    int status = CR_EXIT_ERROR;
    struct s_diff d;
    struct cr_buf out = CR_BUF_INIT, region = CR_BUF_INIT;
    memset(&d, 0, sizeof(d));
    d.from.rev = opts->diff_from;
    d.to.rev = opts->diff_to != NULL ? opts->diff_to : "HEAD";
    d.stack = opts->stack != NULL ? opts->stack : CR_CLI_DEFAULT_STACK;
    s_default_region(&region, opts);
    d.region = cr_buf_oom(&region) ? S_DEFAULT_REGION : cr_buf_cstr(&region);
    int rc = s_load_side(&d.from, opts);
    if (rc == 0)
        rc = s_load_side(&d.to, opts);
    if (rc == 0)
        rc = s_build(&d);
    if (rc == 0)
        rc = s_render(&out, &d, opts);
    if (rc != 0) {
        status = cr_cli_fail(rc);
        goto done;
    }
    fwrite(out.ptr, 1, out.len, stdout);
    fflush(stdout);
    status = s_differs(&d) ? CR_EXIT_CHANGES : CR_EXIT_OK;
done:
    cr_buf_dispose(&out);
    s_diff_dispose(&d);
    cr_buf_dispose(&region);
    return status;
}

/* The options diff needs beyond parsing, then the comparison. */
static int s_checked_run(const struct cr_cli_options *opts)
{
    if (opts->diff_from == NULL)
        return cr_cli_failf("diff: --from REV is required (the old revision)");
    if (opts->output != CR_CLI_OUTPUT_TEXT && opts->output != CR_CLI_OUTPUT_JSON &&
        opts->output != CR_CLI_OUTPUT_MARKDOWN)
        return cr_cli_failf("diff writes text, json or markdown, not %s",
                            cr_cli_output_name(opts->output));
    return s_run(opts);
}

int cr_cmd_diff(int argc, char **argv)
{
    return cr_cli_main(CR_CLI_DIFF, argc, argv, s_synopsis, s_description, s_checked_run);
}
