/* SPDX-License-Identifier: Apache-2.0 */
#ifndef CR_AWS_XML_H
#define CR_AWS_XML_H
/*
 * Reading the small XML answers AWS sends (the query protocol of STS; S3 and STS error
 * bodies) with libxml2. Parsing is safe for untrusted bytes: no network, no DTD (a document
 * type declaration is refused, so no entity is ever declared or expanded), at most
 * CR_XML_MAX_BYTES of input and CR_XML_MAX_DEPTH levels of elements, and libxml2's copies
 * of the text are wiped when freed (an answer can hold a secret key). Elements are found by
 * local name in the answer's namespace (see cr_xml_parse). (Writing XML, the escaping, is
 * util/xml.h's.)
 *
 *     struct cr_xml_doc *doc = NULL;
 *     const struct cr_xml_node *creds;
 *     int rc = cr_xml_parse(&doc, body, len, "https://sts.amazonaws.com/doc/2011-06-15/");
 *     if (rc == 0 && cr_xml_find(&creds, cr_xml_top(doc), "Credentials"))
 *         rc = cr_xml_text(&key, creds, "AccessKeyId");
 *     cr_xml_free(doc);
 */
#include <stdbool.h>
#include <stddef.h>

#include "util/buf.h"
#include "util/error.h"

#define CR_XML_MAX_BYTES (1u << 20) /* an STS answer is a few KB; its cap is 1 MiB too */
#define CR_XML_MAX_DEPTH 32         /* AWS's answers nest 4 levels */

struct cr_xml_doc;  /* a parsed answer */
struct cr_xml_node; /* an element of it, or the whole document (cr_xml_top); borrowed */

/**
 * Parses len bytes of body (no NUL needed) into *out. Elements match a name when they are in
 * namespace ns or in none (STS answers carry xmlns="https://sts.amazonaws.com/doc/...";
 * emulators and S3 errors often none), so an element of any other namespace is never taken
 * for an answer's; ns NULL: any namespace. Returns 0; CR_EINVALID when the bytes are not
 * well-formed XML ("the answer is not well-formed XML: line L, column C: <reason> (libxml2
 * error N)", the reason in our words: libxml2's own messages quote names from the input,
 * which can be pieces of a secret), hold a document type declaration or nest deeper than
 * CR_XML_MAX_DEPTH; CR_ELIMIT over CR_XML_MAX_BYTES; CR_ENOMEM. *out is NULL on failure.
 */
int cr_xml_parse(struct cr_xml_doc **out, const char *body, size_t len,
                 const char *ns) CR_WARN_UNUSED;

/** Frees the document (wiping its text) and every node of it. Accepts NULL. */
void cr_xml_free(struct cr_xml_doc *doc);

/** The whole document as a scope for cr_xml_find and cr_xml_text (its root element included). */
const struct cr_xml_node *cr_xml_top(const struct cr_xml_doc *doc);

/**
 * The first element named tag (local name, in the document's namespace or none) below scope,
 * in document order at any depth, into *out. Returns false (and leaves *out) when none.
 */
bool cr_xml_find(const struct cr_xml_node **out, const struct cr_xml_node *scope, const char *tag);

/**
 * Appends the text of the first <tag> below scope (as cr_xml_find) to out: its character
 * data with entities and character references decoded, CDATA sections included, comments
 * left out; "" for an empty element. Returns 0; CR_EINVALID ("the answer has no <tag>
 * element", or "<tag> holds elements, not text"); CR_ENOMEM.
 */
int cr_xml_text(struct cr_buf *out, const struct cr_xml_node *scope,
                const char *tag) CR_WARN_UNUSED;

#endif
