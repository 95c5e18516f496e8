/* SPDX-License-Identifier: Apache-2.0 */
/* The render toolkit: one vocabulary, one ANSI switch, one set of Markdown escapes. */
#include "reconcile/render_kit.h"

#include <stdlib.h>
#include <string.h>

#define S_ARROW " \xe2\x86\x92 " /* " → " */

/* One row per kind: how every renderer shows it. */
struct s_word {
    const char *symbol;
    const char *color;
    const char *verb;
    const char *status;
};

static const struct s_word s_words[] = {
    [CR_RENDER_KEEP] = {" ", "", "keep", "unchanged"},
    [CR_RENDER_ADD] = {"+", CR_ANSI_GREEN, "create", "added"},
    [CR_RENDER_CHANGE] = {"~", CR_ANSI_YELLOW, "update", "changed"},
    [CR_RENDER_REPLACE] = {"-/+", CR_ANSI_RED, "replace", "replaced"},
    [CR_RENDER_REMOVE] = {"-", CR_ANSI_RED, "delete", "removed"},
};

static const struct s_word *s_word(enum cr_render_kind kind)
{
    size_t i = (size_t)kind;
    return i < sizeof(s_words) / sizeof(s_words[0]) ? &s_words[i] : &s_words[CR_RENDER_KEEP];
}

enum cr_render_kind cr_render_kind_of_action(enum cr_plan_action action)
{
    switch (action) {
    case CR_PLAN_CREATE:
        return CR_RENDER_ADD;
    case CR_PLAN_UPDATE:
        return CR_RENDER_CHANGE;
    case CR_PLAN_REPLACE:
        return CR_RENDER_REPLACE;
    case CR_PLAN_DELETE:
        return CR_RENDER_REMOVE;
    case CR_PLAN_NOOP:
    default:
        return CR_RENDER_KEEP;
    }
}

enum cr_render_kind cr_render_kind_of_change(const struct cr_plan_change *change)
{
    if (change->before == NULL)
        return CR_RENDER_ADD;
    if (change->after == NULL)
        return CR_RENDER_REMOVE;
    return CR_RENDER_CHANGE;
}

const char *cr_render_symbol(enum cr_render_kind kind)
{
    return s_word(kind)->symbol;
}

const char *cr_render_color(enum cr_render_kind kind)
{
    return s_word(kind)->color;
}

const char *cr_render_verb(enum cr_render_kind kind)
{
    return s_word(kind)->verb;
}

const char *cr_render_status(enum cr_render_kind kind)
{
    return s_word(kind)->status;
}

/* ---- groups ---- */

static bool s_same(const char *a, const char *b)
{
    return (a == NULL && b == NULL) || (a != NULL && b != NULL && strcmp(a, b) == 0);
}

/* The group of (account, region) in out, added (empty) when new; NULL on out-of-memory. */
static struct cr_render_group *s_group(struct cr_render_groups *out, size_t *cap,
                                       const char *account, const char *region)
{
    for (size_t i = 0; i < out->len; i++)
        if (s_same(out->items[i].account, account) && s_same(out->items[i].region, region))
            return &out->items[i];
    if (out->len == *cap) {
        size_t n = *cap ? *cap * 2 : 4;
        struct cr_render_group *grown = realloc(out->items, n * sizeof(*grown));
        if (grown == NULL)
            return NULL;
        out->items = grown;
        *cap = n;
    }
    struct cr_render_group *g = &out->items[out->len++];
    memset(g, 0, sizeof(*g));
    g->account = account;
    g->region = region;
    return g;
}

/* The position of account among the plan's accounts (unknown ones last, by name). */
static size_t s_account_rank(const struct cr_plan *plan, const char *account)
{
    for (size_t i = 0; i < plan->n_accounts; i++)
        if (s_same(plan->accounts[i].account.name, account))
            return i;
    return plan->n_accounts;
}

static _Thread_local const struct cr_plan *s_sort_plan;

static int s_group_cmp(const void *x, const void *y)
{
    const struct cr_render_group *a = x, *b = y;
    size_t ra = s_account_rank(s_sort_plan, a->account),
           rb = s_account_rank(s_sort_plan, b->account);
    if (ra != rb)
        return ra < rb ? -1 : 1;
    int c = strcmp(a->account ? a->account : "", b->account ? b->account : "");
    return c != 0 ? c : strcmp(a->region ? a->region : "", b->region ? b->region : "");
}

int cr_render_groups(struct cr_render_groups *out, const struct cr_plan *plan, bool changed_only)
{
    size_t cap = 0;
    memset(out, 0, sizeof(*out));
    for (size_t i = 0; i < plan->n_pools; i++) {
        const struct cr_plan_pool *p = &plan->pools[i];
        if (changed_only && p->n_ops == 0)
            continue;
        struct cr_render_group *g = s_group(out, &cap, p->account, p->region);
        size_t *pools = g != NULL ? realloc(g->pools, (g->n + 1) * sizeof(*pools)) : NULL;
        if (pools == NULL) {
            cr_render_groups_dispose(out);
            cr_error_set("out of memory grouping the plan by account and region");
            return CR_ENOMEM;
        }
        g->pools = pools;
        g->pools[g->n++] = i;
    }
    s_sort_plan = plan;
    if (out->len > 1)
        qsort(out->items, out->len, sizeof(*out->items), s_group_cmp);
    for (size_t i = 0; i < out->len; i++) {
        const struct cr_plan_account *a = cr_plan_account_find(plan, out->items[i].account);
        out->items[i].account_id = a != NULL ? a->account.account_id : NULL;
    }
    out->headed = out->len > 1 || cr_plan_has_accounts(plan);
    return 0;
}

void cr_render_groups_dispose(struct cr_render_groups *groups)
{
    for (size_t i = 0; i < groups->len; i++)
        free(groups->items[i].pools);
    free(groups->items);
    memset(groups, 0, sizeof(*groups));
}

void cr_render_group_title(struct cr_buf *out, const struct cr_plan *plan,
                           const struct cr_render_group *group, bool code)
{
    if (cr_plan_has_accounts(plan)) {
        if (group->account == NULL) {
            cr_buf_puts(out, "default account");
        } else {
            cr_buf_puts(out, "account ");
            if (code)
                cr_render_md_code(out, group->account, false);
            else
                cr_buf_puts(out, group->account);
        }
        if (group->account_id != NULL)
            cr_buf_printf(out, " (%s)", group->account_id);
        cr_buf_puts(out, ", ");
    }
    cr_buf_puts(out, "region ");
    if (code)
        cr_render_md_code(out, group->region ? group->region : "", false);
    else
        cr_buf_puts(out, group->region ? group->region : "");
}

void cr_render_account_counts(struct cr_render_counts *out, const struct cr_plan *plan,
                              const char *account)
{
    memset(out, 0, sizeof(*out));
    for (size_t i = 0; i < plan->n_pools; i++) {
        if (!s_same(plan->pools[i].account, account))
            continue;
        switch (plan->pools[i].action) {
        case CR_PLAN_CREATE:
            out->create++;
            break;
        case CR_PLAN_UPDATE:
            out->update++;
            break;
        case CR_PLAN_DELETE:
            out->del++;
            break;
        case CR_PLAN_REPLACE:
            out->replace++;
            out->create++;
            out->del++;
            break;
        case CR_PLAN_NOOP:
        default:
            break;
        }
    }
}

/* ---- ANSI ---- */

const char *cr_render_ansi(bool color, const char *code)
{
    return color ? code : "";
}

void cr_render_head(struct cr_buf *out, bool color, enum cr_render_kind kind, const char *word)
{
    cr_buf_printf(out, "%s%s%s %s%s", cr_render_ansi(color, CR_ANSI_BOLD),
                  cr_render_ansi(color, cr_render_color(kind)), cr_render_symbol(kind), word,
                  cr_render_ansi(color, CR_ANSI_RESET));
}

void cr_render_ansi_end_line(struct cr_buf *out, bool color)
{
    if (!color)
        return;
    bool newline = out->len > 0 && out->ptr[out->len - 1] == '\n';
    if (newline)
        out->ptr[--out->len] = '\0';
    cr_buf_puts(out, CR_ANSI_RESET);
    if (newline)
        cr_buf_putc(out, '\n');
}

/* ---- field-level changes ---- */

void cr_render_change_text(struct cr_buf *out, bool color, const char *indent,
                           const struct cr_plan_change *change, const char *note)
{
    enum cr_render_kind kind = cr_render_kind_of_change(change);
    cr_buf_printf(out, "%s%s%s%s %s: ", indent, cr_render_ansi(color, cr_render_color(kind)),
                  cr_render_symbol(kind), cr_render_ansi(color, CR_ANSI_RESET), change->path);
    switch (kind) {
    case CR_RENDER_ADD:
        cr_buf_printf(out, "%s\n", change->after);
        break;
    case CR_RENDER_REMOVE:
        cr_buf_printf(out, "%s\n", change->before);
        break;
    default:
        cr_buf_printf(out, "%s%s" S_ARROW "%s\n", change->before, note ? note : "", change->after);
        break;
    }
}

void cr_render_change_md(struct cr_buf *out, const struct cr_plan_change *change, const char *note)
{
    if (change->before != NULL)
        cr_buf_printf(out, "- %s: %s%s\n", change->path, change->before, note ? note : "");
    if (change->after != NULL)
        cr_buf_printf(out, "+ %s: %s\n", change->path, change->after);
}

/* ---- JSON ---- */

json_t *cr_render_json_str_or_null(const char *s)
{
    return s != NULL ? json_string(s) : json_null();
}

/* A change value is compact JSON text: embedded as a value (as a string if it is not JSON). */
static json_t *s_json_value(const char *text)
{
    json_t *v = json_loads(text, JSON_DECODE_ANY, NULL);
    return v != NULL ? v : json_string(text);
}

/* Sets member key to the value of text; 0 or -1. */
static int s_json_set_value(json_t *obj, const char *key, const char *text)
{
    if (text == NULL)
        return 0;
    json_t *v = s_json_value(text);
    return v != NULL ? json_object_set_new(obj, key, v) : -1;
}

json_t *cr_render_json_changes(const struct cr_plan_change *changes, size_t n)
{
    json_t *arr = json_array();
    for (size_t i = 0; arr != NULL && i < n; i++) {
        json_t *c = json_pack("{s:s}", "path", changes[i].path);
        if (c == NULL || s_json_set_value(c, "before", changes[i].before) != 0 ||
            s_json_set_value(c, "after", changes[i].after) != 0 ||
            json_array_append_new(arr, c) != 0) {
            json_decref(c);
            json_decref(arr);
            return NULL;
        }
    }
    return arr;
}

/* ---- Markdown ---- */

void cr_render_md_text(struct cr_buf *out, const char *s)
{
    for (; s != NULL && *s != '\0'; s++) {
        if (*s == '\n' || *s == '\r') {
            cr_buf_putc(out, ' ');
            continue;
        }
        if (strchr("\\`*_<[]~&|", *s) != NULL)
            cr_buf_putc(out, '\\');
        cr_buf_putc(out, *s);
    }
}

/* The longest run of backticks in s (NULL: 0). */
static size_t s_backtick_run(const char *s)
{
    size_t longest = 0, run = 0;
    for (; s != NULL && *s != '\0'; s++) {
        run = *s == '`' ? run + 1 : 0;
        longest = run > longest ? run : longest;
    }
    return longest;
}

static void s_backticks(struct cr_buf *out, size_t n)
{
    for (size_t i = 0; i < n; i++)
        cr_buf_putc(out, '`');
}

void cr_render_md_code(struct cr_buf *out, const char *s, bool in_table)
{
    size_t len = strlen(s);
    size_t ticks = s_backtick_run(s) + 1;
    if (len == 0) {
        cr_buf_puts(out, "` `"); /* a code span cannot be empty: one space */
        return;
    }
    /* CommonMark strips one space from each side when both are spaces (unless all are):
     * padding keeps them, and keeps a backtick at either end from joining the delimiter. */
    static const char spaces[] = " \n\r"; /* line breaks are written as spaces */
    bool first_space = strchr(spaces, s[0]) != NULL,
         last_space = strchr(spaces, s[len - 1]) != NULL;
    bool pad =
        s[0] == '`' || s[len - 1] == '`' || (first_space && last_space && strspn(s, spaces) != len);
    s_backticks(out, ticks);
    if (pad)
        cr_buf_putc(out, ' ');
    for (; *s != '\0'; s++) {
        if (*s == '\n' || *s == '\r')
            cr_buf_putc(out, ' ');
        else if (*s == '|' && in_table)
            cr_buf_puts(out, "\\|");
        else
            cr_buf_putc(out, *s);
    }
    if (pad)
        cr_buf_putc(out, ' ');
    s_backticks(out, ticks);
}

size_t cr_render_md_fence_len(const struct cr_plan_change *changes, size_t n)
{
    size_t longest = 0;
    for (size_t i = 0; i < n; i++) {
        const char *texts[] = {changes[i].path, changes[i].before, changes[i].after};
        for (size_t t = 0; t < sizeof(texts) / sizeof(texts[0]); t++) {
            size_t run = s_backtick_run(texts[t]);
            longest = run > longest ? run : longest;
        }
    }
    return longest >= 3 ? longest + 1 : 3;
}

void cr_render_md_fence(struct cr_buf *out, size_t len, const char *info)
{
    s_backticks(out, len < 3 ? 3 : len);
    cr_buf_printf(out, "%s\n", info);
}
