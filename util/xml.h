/* SPDX-License-Identifier: Apache-2.0 */
#ifndef CR_UTIL_XML_H
#define CR_UTIL_XML_H
/*
 * XML 1.0 escaping, the one used by every XML document we write: the JUnit drift report
 * (reconcile/junit.c) and the emulator's STS answers (emulator/sts.c).
 */
#include "util/buf.h"

/** Where escaped text goes. */
enum cr_xml_context {
    CR_XML_TEXT,      /* element content: & < > escaped, quotes and line breaks kept */
    CR_XML_ATTRIBUTE, /* a quoted attribute value: also " ' and tab, LF, CR as references */
};

/**
 * Appends s (NUL-terminated, meant to be UTF-8) to out, escaped for ctx. In attributes, tab,
 * LF and CR become character references so parsers keep them (attribute-value normalisation
 * would turn them into spaces). Code points XML 1.0 cannot hold (controls other than tab, LF
 * and CR, U+FFFE, U+FFFF) and bytes that are not valid UTF-8 become U+FFFD: the document
 * parses whatever s holds. Out-of-memory is recorded in out (cr_buf_oom).
 */
void cr_xml_escape(struct cr_buf *out, const char *s, enum cr_xml_context ctx);

#endif
