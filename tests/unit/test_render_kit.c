/* SPDX-License-Identifier: Apache-2.0 */
/*
 * reconcile/render_kit.c: the vocabulary every renderer shares, ANSI only when colour is on,
 * change lines, JSON changes, and the Markdown escapes (examples, then seeded properties: a
 * CommonMark reader gets back exactly the text that was written).
 */
#include "tests/support/cr_test.h"

#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include "reconcile/render_kit.h"
#include "util/buf.h"

#define ARROW " \xe2\x86\x92 "

static void test_render_kit__one_vocabulary(void **state)
{
    (void)state;
    static const struct {
        enum cr_render_kind kind;
        const char *symbol, *color, *verb, *status;
    } want[] = {
        {CR_RENDER_KEEP, " ", "", "keep", "unchanged"},
        {CR_RENDER_ADD, "+", CR_ANSI_GREEN, "create", "added"},
        {CR_RENDER_CHANGE, "~", CR_ANSI_YELLOW, "update", "changed"},
        {CR_RENDER_REPLACE, "-/+", CR_ANSI_RED, "replace", "replaced"},
        {CR_RENDER_REMOVE, "-", CR_ANSI_RED, "delete", "removed"},
    };
    for (size_t i = 0; i < sizeof(want) / sizeof(want[0]); i++) {
        assert_string_equal(cr_render_symbol(want[i].kind), want[i].symbol);
        assert_string_equal(cr_render_color(want[i].kind), want[i].color);
        assert_string_equal(cr_render_verb(want[i].kind), want[i].verb);
        assert_string_equal(cr_render_status(want[i].kind), want[i].status);
    }
    assert_int_equal(cr_render_kind_of_action(CR_PLAN_NOOP), CR_RENDER_KEEP);
    assert_int_equal(cr_render_kind_of_action(CR_PLAN_CREATE), CR_RENDER_ADD);
    assert_int_equal(cr_render_kind_of_action(CR_PLAN_UPDATE), CR_RENDER_CHANGE);
    assert_int_equal(cr_render_kind_of_action(CR_PLAN_REPLACE), CR_RENDER_REPLACE);
    assert_int_equal(cr_render_kind_of_action(CR_PLAN_DELETE), CR_RENDER_REMOVE);
    struct cr_plan_change add = {"p", NULL, "1"}, del = {"p", "1", NULL}, mod = {"p", "1", "2"};
    assert_int_equal(cr_render_kind_of_change(&add), CR_RENDER_ADD);
    assert_int_equal(cr_render_kind_of_change(&del), CR_RENDER_REMOVE);
    assert_int_equal(cr_render_kind_of_change(&mod), CR_RENDER_CHANGE);
}

static void test_render_kit__ansi_only_when_colour_is_on(void **state)
{
    (void)state;
    struct cr_buf out = CR_BUF_INIT;
    struct cr_plan_change mod = {"identityPoolName", "\"a\"", "\"b\""};
    assert_string_equal(cr_render_ansi(false, CR_ANSI_BOLD), "");
    assert_string_equal(cr_render_ansi(true, CR_ANSI_BOLD), CR_ANSI_BOLD);

    cr_render_head(&out, false, CR_RENDER_REPLACE, "replaced");
    cr_render_change_text(&out, false, "  ", &mod, NULL);
    cr_buf_puts(&out, "summary\n");
    cr_render_ansi_end_line(&out, false);
    assert_string_equal(cr_buf_cstr(&out),
                        "-/+ replaced  ~ identityPoolName: \"a\"" ARROW "\"b\"\nsummary\n");

    cr_buf_clear(&out);
    cr_render_head(&out, true, CR_RENDER_ADD, "create");
    cr_render_change_text(&out, true, "  ", &mod, NULL);
    cr_buf_puts(&out, CR_ANSI_BOLD "summary\n");
    cr_render_ansi_end_line(&out, true);
    assert_string_equal(cr_buf_cstr(&out), CR_ANSI_BOLD CR_ANSI_GREEN
                        "+ create" CR_ANSI_RESET "  " CR_ANSI_YELLOW "~" CR_ANSI_RESET
                        " identityPoolName: \"a\"" ARROW "\"b\"\n" CR_ANSI_BOLD
                        "summary" CR_ANSI_RESET "\n");
    /* a line without a newline gets the reset at its end */
    cr_buf_clear(&out);
    cr_buf_puts(&out, "x");
    cr_render_ansi_end_line(&out, true);
    assert_string_equal(cr_buf_cstr(&out), "x" CR_ANSI_RESET);
    cr_buf_dispose(&out);
}

static void test_render_kit__change_lines(void **state)
{
    (void)state;
    struct cr_buf out = CR_BUF_INIT;
    struct cr_plan_change add = {"tags[\"env\"]", NULL, "\"prod\""};
    struct cr_plan_change del = {"tags[\"old\"]", "\"x\"", NULL};
    struct cr_plan_change mod = {"allowClassicFlow", "null", "false"};
    cr_render_change_text(&out, false, "    ", &add, " (ignored)");
    cr_render_change_text(&out, false, "    ", &del, " (ignored)");
    cr_render_change_text(&out, false, "    ", &mod, " (never set: allowed)");
    assert_string_equal(cr_buf_cstr(&out),
                        "    + tags[\"env\"]: \"prod\"\n"
                        "    - tags[\"old\"]: \"x\"\n"
                        "    ~ allowClassicFlow: null (never set: allowed)" ARROW "false\n");
    cr_buf_clear(&out);
    cr_render_change_md(&out, &add, NULL);
    cr_render_change_md(&out, &del, NULL);
    cr_render_change_md(&out, &mod, " (note)");
    assert_string_equal(cr_buf_cstr(&out), "+ tags[\"env\"]: \"prod\"\n"
                                           "- tags[\"old\"]: \"x\"\n"
                                           "- allowClassicFlow: null (note)\n"
                                           "+ allowClassicFlow: false\n");
    cr_buf_dispose(&out);
}

static void test_render_kit__json_changes_embed_values(void **state)
{
    (void)state;
    struct cr_plan_change changes[] = {
        {"a", NULL, "{\"k\":[1,true]}"},
        {"b", "null", NULL},
        {"c", "not json", "\"s\""},
    };
    json_t *arr = cr_render_json_changes(changes, 3);
    assert_non_null(arr);
    char *text = json_dumps(arr, JSON_COMPACT);
    assert_string_equal(text, "[{\"path\":\"a\",\"after\":{\"k\":[1,true]}},"
                              "{\"path\":\"b\",\"before\":null},"
                              "{\"path\":\"c\",\"before\":\"not json\",\"after\":\"s\"}]");
    free(text);
    json_decref(arr);
    json_t *none = cr_render_json_str_or_null(NULL), *some = cr_render_json_str_or_null("x");
    assert_true(json_is_null(none));
    assert_string_equal(json_string_value(some), "x");
    json_decref(none);
    json_decref(some);
}

static void s_assert_md(const char *got_from, const char *want, int mode)
{
    struct cr_buf out = CR_BUF_INIT;
    if (mode == 0)
        cr_render_md_text(&out, got_from);
    else
        cr_render_md_code(&out, got_from, mode == 2);
    assert_string_equal(cr_buf_cstr(&out), want);
    cr_buf_dispose(&out);
}

static void test_render_kit__markdown_escapes(void **state)
{
    (void)state;
    /* text: everything that opens markup or ends a cell is escaped; lines are joined */
    s_assert_md("a|b\nc\rd", "a\\|b c d", 0);
    s_assert_md("`x` *y* _z_ <b> [l](u) ~~s~~ &lt; \\",
                "\\`x\\` \\*y\\* \\_z\\_ \\<b> \\[l\\](u) \\~\\~s\\~\\~ \\&lt; \\\\", 0);
    s_assert_md("us-east-1 (default region)", "us-east-1 (default region)", 0);
    /* code spans: a longer delimiter than any backtick run inside, padding where needed */
    s_assert_md("mobile", "`mobile`", 1);
    s_assert_md("a`b", "``a`b``", 1);
    s_assert_md("a``b`", "``` a``b` ```", 1);
    s_assert_md("`", "`` ` ``", 1);
    s_assert_md(" a ", "`  a  `", 1);
    s_assert_md("  ", "`  `", 1);
    s_assert_md("", "` `", 1);
    s_assert_md("a|b\nc", "`a|b c`", 1);
    s_assert_md("a|b\nc", "`a\\|b c`", 2);
}

static void test_render_kit__fences_outlast_backtick_runs(void **state)
{
    (void)state;
    struct cr_plan_change plain[] = {{"p", "\"x\"", NULL}};
    struct cr_plan_change ticks[] = {{"p", NULL, "\"``\""}, {"q", "\"a```b\"", "\"`````\""}};
    assert_int_equal(cr_render_md_fence_len(plain, 1), 3);
    assert_int_equal(cr_render_md_fence_len(ticks, 1), 3);
    assert_int_equal(cr_render_md_fence_len(ticks, 2), 6);
    assert_int_equal(cr_render_md_fence_len(NULL, 0), 3);
    struct cr_buf out = CR_BUF_INIT;
    cr_render_md_fence(&out, 4, "diff");
    cr_render_md_fence(&out, 0, "");
    assert_string_equal(cr_buf_cstr(&out), "````diff\n```\n");
    cr_buf_dispose(&out);
}

/* ---- properties: a Markdown reader gets back the text ---- */

/* A random string over characters that matter to Markdown. */
static void s_random_text(struct cr_buf *out, uint32_t *seed)
{
    static const char alphabet[] = "ab `|\n\\*_<[]~&-";
    size_t len = cr_test_random(seed) % 12;
    for (size_t i = 0; i < len; i++)
        cr_buf_putc(out, alphabet[cr_test_random(seed) % (sizeof(alphabet) - 1)]);
}

/* What the text should read as: line breaks are spaces. */
static void s_expected(struct cr_buf *out, const char *s)
{
    for (; *s != '\0'; s++)
        cr_buf_putc(out, *s == '\n' ? ' ' : *s);
}

/* Reads a code span as CommonMark 6.1 and GFM tables do; fails on a malformed one. */
static void s_read_code(struct cr_buf *out, const char *md, bool in_table, uint32_t seed)
{
    size_t open = strspn(md, "`"), len = strlen(md);
    if (open == 0 || len < 2 * open + 1 || strspn(md + len - open, "`") != open ||
        md[len - open - 1] == '`')
        fail_msg("seed %u: not one code span: \"%s\"", seed, md);
    /* the first run of exactly `open` backticks after the opening closes the span */
    for (size_t i = open; i < len - open;) {
        size_t run = strspn(md + i, "`");
        if (run == open)
            fail_msg("seed %u: the span closes early at %zu: \"%s\"", seed, i, md);
        i += run > 0 ? run : 1;
    }
    struct cr_buf content = CR_BUF_INIT;
    cr_buf_put(&content, md + open, len - 2 * open);
    const char *c = cr_buf_cstr(&content);
    size_t n = content.len;
    if (n >= 2 && c[0] == ' ' && c[n - 1] == ' ' && strspn(c, " ") != n) {
        c++;
        n -= 2;
    }
    for (size_t i = 0; i < n; i++) {
        if (c[i] == '\n')
            fail_msg("seed %u: a line break in \"%s\"", seed, md);
        if (in_table && c[i] == '|' && (i == 0 || c[i - 1] != '\\'))
            fail_msg("seed %u: an unescaped '|' ends the cell: \"%s\"", seed, md);
        if (in_table && c[i] == '\\' && i + 1 < n && c[i + 1] == '|')
            continue; /* GFM: "\|" in a cell is "|", also inside code */
        cr_buf_putc(out, c[i]);
    }
    cr_buf_dispose(&content);
}

/* Reads escaped text: a backslash before ASCII punctuation is dropped; nothing else may be
 * markup. */
static void s_read_text(struct cr_buf *out, const char *md, uint32_t seed)
{
    for (const char *s = md; *s != '\0'; s++) {
        if (*s == '\\' && s[1] != '\0' && strchr("\\`*_<[]~&|", s[1]) != NULL) {
            cr_buf_putc(out, *++s);
            continue;
        }
        if (strchr("\\`*_<[]~&|\n", *s) != NULL)
            fail_msg("seed %u: unescaped '%c' in \"%s\"", seed, *s, md);
        cr_buf_putc(out, *s);
    }
}

static void test_render_kit__markdown_reads_back(void **state)
{
    (void)state;
    for (uint32_t seed0 = 1; seed0 <= 600; seed0++) {
        uint32_t seed = seed0 * 2654435761u;
        struct cr_buf in = CR_BUF_INIT, want = CR_BUF_INIT, md = CR_BUF_INIT, got = CR_BUF_INIT;
        s_random_text(&in, &seed);
        s_expected(&want, cr_buf_cstr(&in));
        int mode = (int)(seed0 % 3);
        if (mode == 0) {
            cr_render_md_text(&md, cr_buf_cstr(&in));
            s_read_text(&got, cr_buf_cstr(&md), seed0);
        } else if (in.len > 0) {
            cr_render_md_code(&md, cr_buf_cstr(&in), mode == 2);
            s_read_code(&got, cr_buf_cstr(&md), mode == 2, seed0);
        }
        if (strcmp(cr_buf_cstr(&got), mode != 0 && in.len == 0 ? "" : cr_buf_cstr(&want)) != 0)
            fail_msg("seed %u: \"%s\" written as \"%s\" reads \"%s\"", seed0, cr_buf_cstr(&in),
                     cr_buf_cstr(&md), cr_buf_cstr(&got));
        cr_buf_dispose(&in);
        cr_buf_dispose(&want);
        cr_buf_dispose(&md);
        cr_buf_dispose(&got);
    }
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_render_kit__one_vocabulary),
        cmocka_unit_test(test_render_kit__ansi_only_when_colour_is_on),
        cmocka_unit_test(test_render_kit__change_lines),
        cmocka_unit_test(test_render_kit__json_changes_embed_values),
        cmocka_unit_test(test_render_kit__markdown_escapes),
        cmocka_unit_test(test_render_kit__fences_outlast_backtick_runs),
        cmocka_unit_test(test_render_kit__markdown_reads_back),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
