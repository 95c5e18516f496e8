/* SPDX-License-Identifier: Apache-2.0 */
/* XML 1.0 escaping (https://www.w3.org/TR/xml/#charsets, #AVNormalize). */
#include "util/xml.h"

#include <stdbool.h>
#include <stdint.h>
#include <string.h>

#include "util/strutil.h"

#define S_REPLACEMENT "\xef\xbf\xbd" /* U+FFFD */

/* The reference for one code point, or NULL when it is written as it is. */
static const char *s_reference(uint32_t cp, bool attribute)
{
    switch (cp) {
    case '&':
        return "&amp;";
    case '<':
        return "&lt;";
    case '>':
        return "&gt;";
    case '"':
        return attribute ? "&quot;" : NULL;
    case '\'':
        return attribute ? "&apos;" : NULL;
    case '\t':
        return attribute ? "&#9;" : NULL;
    case '\n':
        return attribute ? "&#10;" : NULL;
    case '\r':
        return attribute ? "&#13;" : NULL;
    default:
        /* XML 1.0 Char: no other C0 control, no U+FFFE or U+FFFF. */
        return cp < 0x20 || cp == 0xFFFE || cp == 0xFFFF ? S_REPLACEMENT : NULL;
    }
}

void cr_xml_escape(struct cr_buf *out, const char *s, enum cr_xml_context ctx)
{
    size_t len = strlen(s);
    size_t i = 0;
    while (i < len) {
        uint32_t cp = 0;
        size_t n = cr_utf8_decode(s + i, len - i, &cp);
        if (n == 0) {
            cr_buf_puts(out, S_REPLACEMENT);
            i++;
            continue;
        }
        const char *ref = s_reference(cp, ctx == CR_XML_ATTRIBUTE);
        if (ref != NULL)
            cr_buf_puts(out, ref);
        else
            cr_buf_put(out, s + i, n);
        i += n;
    }
}
