/* SPDX-License-Identifier: Apache-2.0 */
#ifndef CR_AWS_XML_H
#define CR_AWS_XML_H
/*
 * Reading leaf elements out of the small XML answers AWS sends (the query protocol of STS, S3
 * and STS error bodies): find <Tag>...</Tag> and decode its character data. Not an XML
 * parser: no attributes on the elements looked for, no CDATA, no namespace prefixes; the
 * documents are AWS's own, and anything else is reported as missing. (Writing XML, the
 * escaping, is util/xml.h's.)
 */
#include <stdbool.h>

#include "util/buf.h"
#include "util/error.h"
#include "util/span.h"

/** The content of the first <tag>...</tag> within in (tag without attributes). */
bool cr_xml_find(struct cr_span *out, struct cr_span in, const char *tag);

/**
 * Appends the decoded text of the first <tag> within scope to out: the five predefined
 * entities and character references (&#N; &#xH;, as UTF-8). Returns 0; CR_EINVALID ("the
 * answer has no <tag> element", or a malformed entity); CR_ENOMEM.
 */
int cr_xml_text(struct cr_buf *out, struct cr_span scope, const char *tag) CR_WARN_UNUSED;

#endif
