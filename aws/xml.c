/* SPDX-License-Identifier: Apache-2.0 */
/* Leaf elements of AWS's XML answers; see aws/xml.h for what this is not. */
#include "aws/xml.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>

/* Appends code point cp (< 0x110000) as UTF-8. */
static void s_put_utf8(struct cr_buf *out, unsigned long cp)
{
    char u[4];
    size_t n = cp < 0x80 ? 1 : cp < 0x800 ? 2 : cp < 0x10000 ? 3 : 4;
    if (n == 1) {
        u[0] = (char)cp;
    } else {
        for (size_t b = n - 1; b > 0; b--, cp >>= 6)
            u[b] = (char)(0x80 | (cp & 0x3f));
        u[0] = (char)((n == 2 ? 0xc0 : n == 3 ? 0xe0 : 0xf0) | cp);
    }
    cr_buf_put(out, u, n);
}

/* Decodes one entity at p[0] == '&' (within [p, end)); returns the bytes it took, 0 when it
 * is not one we know. */
static size_t s_entity(struct cr_buf *out, const char *p, const char *end)
{
    static const struct {
        const char *name;
        char c;
    } ents[] = {{"amp;", '&'}, {"lt;", '<'}, {"gt;", '>'}, {"quot;", '"'}, {"apos;", '\''}};
    const char *semi = memchr(p, ';', (size_t)(end - p));
    if (!semi)
        return 0;
    size_t len = (size_t)(semi - p); /* without the ';' */
    for (size_t k = 0; k < sizeof(ents) / sizeof(ents[0]); k++) {
        size_t n = strlen(ents[k].name);
        if (len == n && memcmp(p + 1, ents[k].name, n) == 0) {
            cr_buf_putc(out, ents[k].c);
            return len + 1;
        }
    }
    if (len < 3 || p[1] != '#')
        return 0;
    bool hex = p[2] == 'x' || p[2] == 'X';
    char *stop = NULL;
    unsigned long cp = strtoul(p + (hex ? 3 : 2), &stop, hex ? 16 : 10);
    if (stop != semi || cp == 0 || cp >= 0x110000)
        return 0;
    s_put_utf8(out, cp);
    return len + 1;
}

static int s_decode(struct cr_buf *out, const char *p, size_t len)
{
    const char *end = p + len;
    while (p < end) {
        if (*p != '&') {
            cr_buf_putc(out, *p++);
            continue;
        }
        size_t used = s_entity(out, p, end);
        if (!used) {
            cr_error_set("malformed XML entity in the answer");
            return CR_EINVALID;
        }
        p += used;
    }
    if (cr_buf_oom(out)) {
        cr_error_set("out of memory reading an XML answer");
        return CR_ENOMEM;
    }
    return 0;
}

/* memmem() is a GNU extension; this is the portable few lines. */
static const char *s_memfind(const char *hay, size_t hlen, const char *needle, size_t nlen)
{
    for (size_t i = 0; nlen <= hlen && i <= hlen - nlen; i++) {
        if (memcmp(hay + i, needle, nlen) == 0)
            return hay + i;
    }
    return NULL;
}

bool cr_xml_find(struct cr_span *out, struct cr_span in, const char *tag)
{
    char open[96], close[96];
    int on = snprintf(open, sizeof(open), "<%s>", tag);
    int cn = snprintf(close, sizeof(close), "</%s>", tag);
    if (on <= 0 || cn <= 0 || (size_t)cn >= sizeof(close))
        return false;
    const char *end = in.ptr + in.len;
    const char *s = s_memfind(in.ptr, in.len, open, (size_t)on);
    if (!s)
        return false;
    s += on;
    const char *e = s_memfind(s, (size_t)(end - s), close, (size_t)cn);
    if (!e)
        return false;
    *out = cr_span_of(s, (size_t)(e - s));
    return true;
}

int cr_xml_text(struct cr_buf *out, struct cr_span scope, const char *tag)
{
    struct cr_span v;
    if (!cr_xml_find(&v, scope, tag)) {
        cr_error_set("the answer has no <%s> element", tag);
        return CR_EINVALID;
    }
    return s_decode(out, v.ptr, v.len);
}
