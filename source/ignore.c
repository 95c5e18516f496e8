/* SPDX-License-Identifier: Apache-2.0 */
/* gitignore patterns (.cognito-reconcile-ignore, --exclude): parsing and matching. */
#include "source/ignore.h"

#include <fnmatch.h>
#include <stdlib.h>
#include <string.h>

#include "source/source.h"
#include "util/array.h"

void cr_ignore_init(struct cr_ignore *ig)
{
    memset(ig, 0, sizeof(*ig));
}

static void s_list_dispose(struct cr_ignore_list *list)
{
    for (size_t i = 0; i < list->len; i++) {
        free(list->rules[i].pattern);
        free(list->rules[i].text);
    }
    free(list->rules);
    free(list->base);
    free(list->origin);
    memset(list, 0, sizeof(*list));
}

void cr_ignore_dispose(struct cr_ignore *ig)
{
    s_list_dispose(&ig->cmdline);
    cr_ignore_pop(ig, 0);
    free(ig->files);
    memset(ig, 0, sizeof(*ig));
}

void cr_ignore_pop(struct cr_ignore *ig, size_t depth)
{
    while (ig->len > depth)
        s_list_dispose(&ig->files[--ig->len]);
}

/* The length of line without trailing spaces that are not escaped (git's
 * trim_trailing_spaces: a space after a backslash stays). */
static size_t s_trim_trailing_spaces(const char *line, size_t n)
{
    size_t keep = 0;
    for (size_t i = 0; i < n; i++) {
        if (line[i] == '\\' && i + 1 < n) {
            i++;
            keep = i + 1;
        } else if (line[i] != ' ') {
            keep = i + 1;
        }
    }
    return keep;
}

/*
 * Parses one line into rule. Returns 1 when it holds a pattern, 0 for a blank line or a
 * comment, CR_ENOMEM. A command-line pattern (literal) is taken as written, as git takes
 * --exclude: no comment, and trailing spaces are part of it.
 */
static int s_parse_line(struct cr_ignore_rule *rule, const char *line, size_t n, unsigned lineno,
                        bool literal)
{
    memset(rule, 0, sizeof(*rule));
    if (!literal && n > 0 && line[n - 1] == '\r')
        n--;
    if (!literal && (n == 0 || line[0] == '#'))
        return 0;
    if (!literal)
        n = s_trim_trailing_spaces(line, n);
    const char *p = line;
    size_t len = n;
    if (len > 0 && p[0] == '!') {
        rule->negate = true;
        p++;
        len--;
    }
    if (len > 0 && p[len - 1] == '/') {
        rule->dir_only = true;
        len--;
    }
    /* A '/' left anywhere (leading or inside) anchors the pattern to its folder. */
    rule->anchored = memchr(p, '/', len) != NULL;
    if (len > 0 && p[0] == '/') {
        p++;
        len--;
    }
    if (len == 0)
        return 0;
    rule->pattern = strndup(p, len);
    rule->text = strndup(line, n);
    rule->line = lineno;
    if (rule->pattern == NULL || rule->text == NULL) {
        free(rule->pattern);
        free(rule->text);
        return CR_ENOMEM;
    }
    return 1;
}

static int s_add_rule(struct cr_ignore_list *list, const struct cr_ignore_rule *rule)
{
    if (cr_array_reserve(&list->rules, &list->cap, list->len, sizeof(*list->rules), 8) != 0)
        return CR_ENOMEM;
    list->rules[list->len++] = *rule;
    return 0;
}

/* Parses every line of text into list. */
static int s_parse_text(struct cr_ignore_list *list, const char *text, size_t len)
{
    unsigned lineno = 0;
    size_t pos = 0;
    /* A UTF-8 byte order mark is not part of the first pattern (git skips it too). */
    if (len >= 3 && memcmp(text, "\xEF\xBB\xBF", 3) == 0)
        pos = 3;
    while (pos < len) {
        const char *nl = memchr(text + pos, '\n', len - pos);
        size_t n = nl != NULL ? (size_t)(nl - (text + pos)) : len - pos;
        struct cr_ignore_rule rule;
        int rc = s_parse_line(&rule, text + pos, n, ++lineno, false);
        if (rc < 0)
            return rc;
        if (rc == 1 && s_add_rule(list, &rule) != 0) {
            free(rule.pattern);
            free(rule.text);
            return CR_ENOMEM;
        }
        pos += n + 1;
    }
    return 0;
}

static int s_list_init(struct cr_ignore_list *list, const char *base, const char *origin)
{
    memset(list, 0, sizeof(*list));
    list->base = strdup(base);
    list->origin = strdup(origin);
    return list->base != NULL && list->origin != NULL ? 0 : CR_ENOMEM;
}

int cr_ignore_add_exclude(struct cr_ignore *ig, const char *base, const char *pattern)
{
    struct cr_ignore_rule rule;
    if (ig->cmdline.origin == NULL) {
        if (s_list_init(&ig->cmdline, base, "--exclude") != 0)
            goto oom;
        ig->cmdline.floating = true;
    }
    int rc = s_parse_line(&rule, pattern, strlen(pattern), 0, true);
    if (rc < 0)
        goto oom;
    if (rc == 0 || strchr(pattern, '\n') != NULL) {
        if (rc == 1) {
            free(rule.pattern);
            free(rule.text);
        }
        cr_error_set("--exclude '%s': not a pattern (empty, or several lines)", pattern);
        return CR_EINVALID;
    }
    if (s_add_rule(&ig->cmdline, &rule) != 0) {
        free(rule.pattern);
        free(rule.text);
        goto oom;
    }
    return 0;
oom:
    cr_error_set("--exclude: out of memory");
    return CR_ENOMEM;
}

int cr_ignore_push_file(struct cr_ignore *ig, const char *base, const char *origin,
                        const char *text, size_t len)
{
    if (cr_array_reserve(&ig->files, &ig->cap, ig->len, sizeof(*ig->files), 8) != 0)
        goto oom;
    struct cr_ignore_list *list = &ig->files[ig->len];
    if (s_list_init(list, base, origin) != 0 || s_parse_text(list, text, len) != 0) {
        s_list_dispose(list);
        goto oom;
    }
    ig->len++;
    return 0;
oom:
    cr_error_set("%s: out of memory", origin);
    return CR_ENOMEM;
}

/* The components of one '/'-separated string, as (start, length) pairs. */
#define S_MAX_COMPONENTS 256

struct s_parts {
    const char *start[S_MAX_COMPONENTS];
    size_t len[S_MAX_COMPONENTS];
    size_t n;
};

/* Splits s at '/' (a '/' after a backslash in a pattern stays). False when too deep. */
static bool s_split(struct s_parts *out, const char *s, bool escapes)
{
    out->n = 0;
    const char *p = s;
    for (;;) {
        const char *q = p;
        while (*q != '\0' && *q != '/') {
            if (escapes && *q == '\\' && q[1] != '\0')
                q++;
            q++;
        }
        if (out->n == S_MAX_COMPONENTS)
            return false;
        out->start[out->n] = p;
        out->len[out->n++] = (size_t)(q - p);
        if (*q == '\0')
            return true;
        p = q + 1;
    }
}

static bool s_component_match(const char *pat, size_t plen, const char *text, size_t tlen)
{
    char p[1024], t[1024];
    if (plen >= sizeof(p) || tlen >= sizeof(t))
        return false;
    memcpy(p, pat, plen);
    p[plen] = '\0';
    memcpy(t, text, tlen);
    t[tlen] = '\0';
    /* Within one component, fnmatch(3) is gitignore's wildmatch: `*` and `?` match any
     * character (leading dots included: no FNM_PERIOD), `[...]` and `\` escapes alike. */
    return fnmatch(p, t, 0) == 0;
}

static bool s_is_double_star(const struct s_parts *p, size_t i)
{
    return p->len[i] == 2 && p->start[i][0] == '*' && p->start[i][1] == '*';
}

/* Pattern components [i..) against path components [j..). */
static bool s_match_from(const struct s_parts *pat, size_t i, const struct s_parts *path, size_t j)
{
    while (i < pat->n) {
        if (s_is_double_star(pat, i)) {
            /* A trailing double star matches everything inside, so at least one more
             * component; a leading or middle one, zero or more folders. */
            if (i + 1 == pat->n)
                return j < path->n;
            for (size_t k = j; k <= path->n; k++)
                if (s_match_from(pat, i + 1, path, k))
                    return true;
            return false;
        }
        if (j >= path->n ||
            !s_component_match(pat->start[i], pat->len[i], path->start[j], path->len[j]))
            return false;
        i++;
        j++;
    }
    return j == path->n;
}

bool cr_ignore__wildmatch(const char *pattern, const char *path)
{
    struct s_parts pat, text;
    if (!s_split(&pat, pattern, true) || !s_split(&text, path, false))
        return false;
    return s_match_from(&pat, 0, &text, 0);
}

static const char *s_basename(const char *path)
{
    const char *slash = strrchr(path, '/');
    return slash != NULL ? slash + 1 : path;
}

static bool s_rule_matches(const struct cr_ignore_list *list, const struct cr_ignore_rule *rule,
                           const char *path, bool is_dir)
{
    if (rule->dir_only && !is_dir)
        return false;
    const char *rest = cr_source_path_below(path, list->base);
    if (rest == NULL && !(list->floating && !rule->anchored))
        return false;
    if (rest != NULL && rest[0] == '\0')
        return false; /* the folder of the ignore file itself */
    if (!rule->anchored)
        return fnmatch(rule->pattern, s_basename(path), 0) == 0;
    return cr_ignore__wildmatch(rule->pattern, rest);
}

/* The last rule of list matching path, or NULL. */
static const struct cr_ignore_rule *s_last_match(const struct cr_ignore_list *list,
                                                 const char *path, bool is_dir)
{
    for (size_t i = list->len; i > 0; i--)
        if (s_rule_matches(list, &list->rules[i - 1], path, is_dir))
            return &list->rules[i - 1];
    return NULL;
}

bool cr_ignore_match(const struct cr_ignore *ig, const char *path, bool is_dir,
                     struct cr_ignore_hit *hit)
{
    const struct cr_ignore_list *list = &ig->cmdline;
    const struct cr_ignore_rule *rule = s_last_match(list, path, is_dir);
    for (size_t i = ig->len; rule == NULL && i > 0; i--) {
        list = &ig->files[i - 1];
        rule = s_last_match(list, path, is_dir);
    }
    if (rule == NULL || rule->negate)
        return false;
    if (hit != NULL) {
        hit->origin = list->origin;
        hit->line = rule->line;
        hit->text = rule->text;
    }
    return true;
}
