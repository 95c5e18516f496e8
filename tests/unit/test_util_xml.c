/* SPDX-License-Identifier: Apache-2.0 */
/*
 * util/xml.c: escaping for element content and attribute values, the characters XML 1.0
 * cannot hold, and a seeded property test: whatever the input, the output is well-formed
 * and an XML reader gets back the input (with U+FFFD for what XML cannot hold).
 */
#include "tests/support/cr_test.h"

#include <stdbool.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include "util/buf.h"
#include "util/strutil.h"
#include "util/xml.h"

#define FFFD "\xef\xbf\xbd"

static void s_assert_escapes(const char *in, enum cr_xml_context ctx, const char *want)
{
    struct cr_buf out = CR_BUF_INIT;
    cr_xml_escape(&out, in, ctx);
    assert_false(cr_buf_oom(&out));
    assert_string_equal(cr_buf_cstr(&out), want);
    cr_buf_dispose(&out);
}

static void test_util_xml__markup_characters(void **state)
{
    (void)state;
    s_assert_escapes("a<b>&\"c'd", CR_XML_TEXT, "a&lt;b&gt;&amp;\"c'd");
    s_assert_escapes("a<b>&\"c'd", CR_XML_ATTRIBUTE, "a&lt;b&gt;&amp;&quot;c&apos;d");
    s_assert_escapes("]]> <!-- x -->", CR_XML_TEXT, "]]&gt; &lt;!-- x --&gt;");
    s_assert_escapes("&amp;", CR_XML_TEXT, "&amp;amp;"); /* escaped again: text, not markup */
    s_assert_escapes("", CR_XML_ATTRIBUTE, "");
}

static void test_util_xml__line_breaks_survive_attribute_normalisation(void **state)
{
    (void)state;
    s_assert_escapes("tab\tnew\nline\rend", CR_XML_TEXT, "tab\tnew\nline\rend");
    s_assert_escapes("tab\tnew\nline\rend", CR_XML_ATTRIBUTE, "tab&#9;new&#10;line&#13;end");
}

static void test_util_xml__what_xml_cannot_hold_becomes_fffd(void **state)
{
    (void)state;
    s_assert_escapes("a\x01z\x1f", CR_XML_TEXT, "a" FFFD "z" FFFD);
    s_assert_escapes("\xef\xbf\xbe\xef\xbf\xbf", CR_XML_ATTRIBUTE, FFFD FFFD); /* U+FFFE/F */
    s_assert_escapes("x\xffy", CR_XML_TEXT, "x" FFFD "y");                     /* not UTF-8 */
    s_assert_escapes("\xe2\x86", CR_XML_TEXT, FFFD FFFD);                      /* truncated */
    s_assert_escapes("\xc0\xaf", CR_XML_TEXT, FFFD FFFD);                      /* overlong "/" */
    s_assert_escapes("\xed\xa0\x80", CR_XML_TEXT, FFFD FFFD FFFD);             /* a surrogate */
    /* valid UTF-8 is kept byte for byte, DEL and C1 controls included (XML 1.0 Char) */
    s_assert_escapes("\xe2\x86\x92 \xc3\xa9 \xf0\x9f\x98\x80 \x7f \xc2\x85", CR_XML_ATTRIBUTE,
                     "\xe2\x86\x92 \xc3\xa9 \xf0\x9f\x98\x80 \x7f \xc2\x85");
}

/* ---- property: a reader gets back what the model says ---- */

/* One piece of input and what an XML reader must read for it. */
struct piece {
    const char *in;
    const char *read;
};

static const struct piece s_pieces[] = {
    {"a", "a"},
    {" ", " "},
    {"<", "<"},
    {">", ">"},
    {"&", "&"},
    {"\"", "\""},
    {"'", "'"},
    {";", ";"},
    {"#", "#"},
    {"\t", "\t"},
    {"\n", "\n"},
    {"\r", "\r"},
    {"&amp;", "&amp;"},
    {"\xc3\xa9", "\xc3\xa9"},
    {"\xe2\x86\x92", "\xe2\x86\x92"},
    {"\xf0\x9f\x98\x80", "\xf0\x9f\x98\x80"},
    {"\x01", FFFD},
    {"\x1b", FFFD},
    {"\xff", FFFD},
    {"\xef\xbf\xbe", FFFD},
    {"\xe2\x86", FFFD FFFD},
};

/* Reads one reference at s ("&...;"); appends what it stands for. Returns its length, 0 if
 * it is not one this escaper writes. */
static size_t s_read_reference(struct cr_buf *out, const char *s)
{
    static const struct piece refs[] = {{"&amp;", "&"},   {"&lt;", "<"},   {"&gt;", ">"},
                                        {"&quot;", "\""}, {"&apos;", "'"}, {"&#9;", "\t"},
                                        {"&#10;", "\n"},  {"&#13;", "\r"}};
    for (size_t i = 0; i < sizeof(refs) / sizeof(refs[0]); i++) {
        size_t n = strlen(refs[i].in);
        if (strncmp(s, refs[i].in, n) == 0) {
            cr_buf_puts(out, refs[i].read);
            return n;
        }
    }
    return 0;
}

/* What a reader gets from escaped output; fails when the output is not well-formed for ctx. */
static void s_read(struct cr_buf *out, const char *xml, enum cr_xml_context ctx, uint32_t seed)
{
    if (!cr_utf8_valid(xml, strlen(xml)))
        fail_msg("seed %u: not UTF-8: \"%s\"", seed, xml);
    for (const char *s = xml; *s != '\0';) {
        unsigned char c = (unsigned char)*s;
        if (c == '&') {
            size_t n = s_read_reference(out, s);
            if (n == 0)
                fail_msg("seed %u: a bare '&' in \"%s\"", seed, xml);
            s += n;
            continue;
        }
        if (c == '<')
            fail_msg("seed %u: a raw '<' in \"%s\"", seed, xml);
        if (ctx == CR_XML_ATTRIBUTE &&
            (c == '"' || c == '\'' || c == '\t' || c == '\n' || c == '\r'))
            fail_msg("seed %u: a raw 0x%02x in the attribute \"%s\"", seed, c, xml);
        if (c < 0x20 && c != '\t' && c != '\n' && c != '\r')
            fail_msg("seed %u: the control 0x%02x in \"%s\"", seed, c, xml);
        cr_buf_putc(out, (char)c);
        s++;
    }
}

static void test_util_xml__a_reader_gets_the_input_back(void **state)
{
    (void)state;
    const size_t n_pieces = sizeof(s_pieces) / sizeof(s_pieces[0]);
    for (uint32_t seed0 = 1; seed0 <= 500; seed0++) {
        uint32_t seed = seed0 * 2654435761u;
        struct cr_buf in = CR_BUF_INIT, want = CR_BUF_INIT;
        size_t len = cr_test_random(&seed) % 24;
        for (size_t i = 0; i < len; i++) {
            const struct piece *p = &s_pieces[cr_test_random(&seed) % n_pieces];
            cr_buf_puts(&in, p->in);
            cr_buf_puts(&want, p->read);
        }
        enum cr_xml_context ctx = seed0 % 2 ? CR_XML_TEXT : CR_XML_ATTRIBUTE;
        struct cr_buf xml = CR_BUF_INIT, got = CR_BUF_INIT;
        cr_xml_escape(&xml, cr_buf_cstr(&in), ctx);
        s_read(&got, cr_buf_cstr(&xml), ctx, seed0);
        if (strcmp(cr_buf_cstr(&got), cr_buf_cstr(&want)) != 0)
            fail_msg("seed %u: read back \"%s\", want \"%s\" (escaped \"%s\")", seed0,
                     cr_buf_cstr(&got), cr_buf_cstr(&want), cr_buf_cstr(&xml));
        cr_buf_dispose(&in);
        cr_buf_dispose(&want);
        cr_buf_dispose(&xml);
        cr_buf_dispose(&got);
    }
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_util_xml__markup_characters),
        cmocka_unit_test(test_util_xml__line_breaks_survive_attribute_normalisation),
        cmocka_unit_test(test_util_xml__what_xml_cannot_hold_becomes_fffd),
        cmocka_unit_test(test_util_xml__a_reader_gets_the_input_back),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
