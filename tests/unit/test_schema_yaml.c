/* SPDX-License-Identifier: Apache-2.0 */
/* schema/yaml.c: the node tree, positions, limits and YAML 1.2 core-schema typing. */
#include <stdlib.h>
#include <string.h>

#include "schema/yaml.h"
#include "tests/support/cr_test.h"
#include "util/strutil.h"

struct s_capture {
    char errors[8][256];
    struct cr_loc error_locs[8];
    size_t n_errors;
    size_t n_docs;
    const struct cr_ynode *roots[8];
};

static void s_on_error(void *ctx, struct cr_loc loc, const char *msg)
{
    struct s_capture *c = ctx;
    if (c->n_errors < 8) {
        snprintf(c->errors[c->n_errors], sizeof(c->errors[0]), "%s", msg);
        c->error_locs[c->n_errors] = loc;
    }
    c->n_errors++;
}

static int s_on_doc(void *ctx, size_t index, struct cr_loc loc, const struct cr_ynode *root)
{
    struct s_capture *c = ctx;
    if (c->n_docs < 8)
        c->roots[c->n_docs] = root;
    c->n_docs++;
    return 0;
}

static const struct cr_yaml_limits s_limits = {1 << 20, 64, 100, 1000000};

static void s_parse(struct cr_arena *arena, struct s_capture *c, const char *text)
{
    memset(c, 0, sizeof(*c));
    assert_ok(cr_yaml__parse(arena, text, strlen(text), &s_limits, s_on_doc, s_on_error, c));
}

static void test_schema_yaml__tree_and_positions(void **state)
{
    struct cr_arena arena;
    struct s_capture c;
    cr_arena_init(&arena);
    s_parse(&arena, &c, "a: 1\nb:\n  - x\n  - 'y'\n---\n{k: v}\n");
    assert_int_equal(c.n_errors, 0);
    assert_int_equal(c.n_docs, 2);
    const struct cr_ynode *root = c.roots[0];
    assert_int_equal(root->kind, CR_YNODE_MAP);
    assert_int_equal(root->n, 2);
    assert_string_equal(root->items[1]->value, "b");
    const struct cr_ynode *seq = root->values[1];
    assert_int_equal(seq->kind, CR_YNODE_SEQ);
    assert_int_equal(seq->n, 2);
    assert_int_equal(seq->items[1]->loc.line, 4);
    assert_int_equal(seq->items[1]->loc.column, 5);
    assert_true(seq->items[0]->plain);
    assert_false(seq->items[1]->plain);
    assert_int_equal(c.roots[1]->loc.line, 6);
    cr_arena_dispose(&arena);
}

static void test_schema_yaml__duplicate_keys_keep_first(void **state)
{
    struct cr_arena arena;
    struct s_capture c;
    cr_arena_init(&arena);
    s_parse(&arena, &c, "a: 1\nb: 2\na: 3\na: 4\n");
    assert_int_equal(c.n_errors, 2);
    assert_string_equal(c.errors[0], "duplicate key 'a' (first defined at line 1, column 1)");
    assert_int_equal(c.error_locs[0].line, 3);
    assert_int_equal(c.error_locs[1].line, 4);
    assert_int_equal(c.roots[0]->n, 2);
    assert_string_equal(c.roots[0]->values[0]->value, "1");
    cr_arena_dispose(&arena);
}

static void test_schema_yaml__aliases_share_nodes(void **state)
{
    struct cr_arena arena;
    struct s_capture c;
    cr_arena_init(&arena);
    s_parse(&arena, &c, "a: &x [1, 2]\nb: *x\n");
    assert_int_equal(c.n_errors, 0);
    assert_ptr_equal(c.roots[0]->values[0], c.roots[0]->values[1]);
    s_parse(&arena, &c, "a: &x [*x]\n");
    assert_int_equal(c.n_errors, 1);
    assert_string_equal(c.errors[0], "alias '*x' refers to no complete anchor before it");
    cr_arena_dispose(&arena);
}

static void test_schema_yaml__core_schema_typing(void **state)
{
    struct cr_arena arena;
    struct s_capture c;
    cr_arena_init(&arena);
    s_parse(&arena, &c,
            "[~, null, '', true, False, yes, 'true', 12, -3.5e2, 0x1F, 0o17, .inf, .NaN, 1.2.3, "
            "12a, !!str 5, !!bool true, \"\"]\n");
    const struct cr_ynode *s = c.roots[0];
    assert_int_equal(s->n, 18);
    assert_true(cr_yaml__is_null(s->items[0]));
    assert_true(cr_yaml__is_null(s->items[1]));
    assert_false(cr_yaml__is_null(s->items[2])); /* quoted empty string */
    assert_int_equal(cr_yaml__bool_value(s->items[3]), 1);
    assert_int_equal(cr_yaml__bool_value(s->items[4]), 0);
    assert_int_equal(cr_yaml__bool_value(s->items[5]), -1); /* YAML 1.1 only */
    assert_int_equal(cr_yaml__bool_value(s->items[6]), -1); /* quoted */
    for (int i = 7; i <= 12; i++)
        assert_true(cr_yaml__is_number(s->items[i]));
    assert_false(cr_yaml__is_number(s->items[13]));
    assert_false(cr_yaml__is_number(s->items[14]));
    assert_false(cr_yaml__is_number(s->items[15])); /* !!str */
    assert_int_equal(cr_yaml__bool_value(s->items[16]), 1);
    assert_false(cr_yaml__is_null(s->items[17]));
    cr_arena_dispose(&arena);
}

static void test_schema_yaml__syntax_error_after_good_document(void **state)
{
    struct cr_arena arena;
    struct s_capture c;
    cr_arena_init(&arena);
    s_parse(&arena, &c, "a: 1\n---\nb: [\n");
    assert_int_equal(c.n_docs, 1); /* the first document still arrives */
    assert_int_equal(c.n_errors, 1);
    assert_int_equal(c.error_locs[0].line, 4);
    s_parse(&arena, &c, "a:\n\t- b\n");
    assert_int_equal(c.n_errors, 1);
    assert_string_equal(c.errors[0], "tab character in indentation (YAML allows only spaces)");
    assert_int_equal(c.error_locs[0].line, 2);
    assert_int_equal(c.error_locs[0].column, 1);
    cr_arena_dispose(&arena);
}

static void test_schema_yaml__multibyte_columns(void **state)
{
    struct cr_arena arena;
    struct s_capture c;
    cr_arena_init(&arena);
    s_parse(&arena, &c, "\xc3\xa9\xc3\xa9: x\n");
    assert_int_equal(c.roots[0]->values[0]->loc.column, 5); /* characters, not bytes */
    memset(&c, 0, sizeof(c));
    assert_ok(cr_yaml__parse(&arena, "ab\xc3\xa9\x01", 5, &s_limits, s_on_doc, s_on_error, &c));
    assert_int_equal(c.n_errors, 1);
    assert_int_equal(c.error_locs[0].column, 4);
    cr_arena_dispose(&arena);
}

static void test_schema_yaml__alias_expansion_is_bounded(void **state)
{
    /* 100 aliases of a 20,001-node list: 2 million nodes if walked, from a small text. */
    struct cr_arena arena;
    struct s_capture c;
    char *text = malloc(200000);
    size_t w = 0;
    cr_arena_init(&arena);
    w += (size_t)sprintf(text + w, "big: &big [");
    for (int i = 0; i < 20000; i++)
        w += (size_t)sprintf(text + w, "%sx", i ? "," : "");
    w += (size_t)sprintf(text + w, "]\nuse: [");
    for (int i = 0; i < 99; i++)
        w += (size_t)sprintf(text + w, "%s*big", i ? ", " : "");
    w += (size_t)sprintf(text + w, "]\n");
    s_parse(&arena, &c, text);
    assert_int_equal(c.n_errors, 1);
    assert_string_equal(c.errors[0], "document expands to more than 1000000 nodes through aliases");
    assert_int_equal(c.n_docs, 0);
    cr_arena_dispose(&arena);
    free(text);
}

static void test_schema_yaml__quote_is_one_line_utf8(void **state)
{
    char out[40];
    /* 30 three-byte characters do not fit in 40 bytes: cut between characters. */
    char text[91];
    for (int i = 0; i < 30; i++)
        memcpy(text + 3 * i, "\xe6\x97\xa5", 3);
    text[90] = '\0';
    cr_yaml__quote(out, sizeof(out), text, 90);
    assert_true(cr_utf8_valid(out, strlen(out)));
    assert_non_null(strstr(out, "..."));
    assert_string_equal(cr_yaml__quote(out, sizeof(out), "a\nb'c\\", 6), "a\\x0Ab\\'c\\\\");
    char big[200];
    memset(big, 'x', 100);
    cr_yaml__quote(out, sizeof(out), big, 100);
    assert_true(strlen(out) < sizeof(out));
}

/* The byte pre-check reads eight bytes at a time: a NUL or a bad UTF-8 byte at every offset
 * (inside a word, at a word boundary, in the short tail) is still found, at its position. */
static void test_schema_yaml__precheck_every_offset(void **state)
{
    static const char bad[][3] = {{'\0'}, {(char)0xFF}, {(char)0xC3}};
    static const char *const want[] = {"NUL byte in file", "invalid UTF-8", "invalid UTF-8"};
    char text[64];
    for (size_t k = 0; k < 3; k++) {
        for (size_t at = 5; at < 30; at++) {
            struct cr_arena arena;
            struct s_capture c;
            memset(text, 'x', sizeof(text));
            memcpy(text, "a: ", 3);
            text[3 + 20] = '\n'; /* line 2 starts at offset 24 */
            text[at] = bad[k][0];
            size_t len = 31;
            cr_arena_init(&arena);
            memset(&c, 0, sizeof(c));
            assert_ok(cr_yaml__parse(&arena, text, len, &s_limits, s_on_doc, s_on_error, &c));
            assert_int_equal(c.n_errors, 1);
            assert_non_null(strstr(c.errors[0], want[k]));
            assert_int_equal(c.error_locs[0].line, at < 24 ? 1 : 2);
            assert_int_equal(c.error_locs[0].column, at < 24 ? at + 1 : at - 23);
            cr_arena_dispose(&arena);
        }
    }
    /* Valid multi-byte text passes, whatever its alignment. */
    for (size_t at = 3; at < 20; at++) {
        struct cr_arena arena;
        struct s_capture c;
        memset(text, 'x', sizeof(text));
        memcpy(text, "a: ", 3);
        memcpy(text + at, "\xC3\xA9", 2);
        cr_arena_init(&arena);
        memset(&c, 0, sizeof(c));
        assert_ok(cr_yaml__parse(&arena, text, 25, &s_limits, s_on_doc, s_on_error, &c));
        assert_int_equal(c.n_errors, 0);
        cr_arena_dispose(&arena);
    }
}

/* A key over libyaml's 1024-character simple-key limit gets a message naming that limit. */
static void test_schema_yaml__long_key_names_the_limit(void **state)
{
    struct cr_arena arena;
    struct s_capture c;
    char text[1200];
    memset(text, 'k', sizeof(text));
    memcpy(text + 1100, ": v\n", 5);
    cr_arena_init(&arena);
    s_parse(&arena, &c, text);
    assert_int_equal(c.n_errors, 1);
    assert_non_null(strstr(c.errors[0], "longer than 1024 characters"));
    assert_int_equal(c.error_locs[0].line, 1);
    cr_arena_dispose(&arena);
    /* A short key that lacks its ':' is not told about the limit. */
    s_parse(&arena, &c, "a: 1\nkey\nb: 2\n");
    assert_int_equal(c.n_errors, 1);
    assert_null(strstr(c.errors[0], "1024"));
    cr_arena_dispose(&arena);
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_schema_yaml__tree_and_positions),
        cmocka_unit_test(test_schema_yaml__duplicate_keys_keep_first),
        cmocka_unit_test(test_schema_yaml__aliases_share_nodes),
        cmocka_unit_test(test_schema_yaml__core_schema_typing),
        cmocka_unit_test(test_schema_yaml__syntax_error_after_good_document),
        cmocka_unit_test(test_schema_yaml__multibyte_columns),
        cmocka_unit_test(test_schema_yaml__alias_expansion_is_bounded),
        cmocka_unit_test(test_schema_yaml__quote_is_one_line_utf8),
        cmocka_unit_test(test_schema_yaml__precheck_every_offset),
        cmocka_unit_test(test_schema_yaml__long_key_names_the_limit),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
