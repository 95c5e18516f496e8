/* SPDX-License-Identifier: Apache-2.0 */
/*
 * AWS's XML answers through libxml2 (aws/xml.h). The parser gets no network (XML_PARSE_NONET),
 * no entity substitution (XML_PARSE_NOENT is not set) and no DTD: the SAX hook for a
 * DOCTYPE stops the parse before any declaration in it is read, so neither an external
 * entity nor an entity bomb can be defined, and a reference to an undeclared entity is a
 * well-formedness error. The element hooks count the depth and stop past CR_XML_MAX_DEPTH.
 * libxml2 allocates through s_free/s_realloc, which wipe what they release: the parser's
 * copy of the input and the text nodes hold the secret key of an STS answer.
 */
#include "aws/xml.h"

#include <malloc.h>
#include <pthread.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <libxml/parser.h>
#include <libxml/tree.h>
#include <openssl/crypto.h>

#define S_STR_(x) #x
#define S_STR(x)  S_STR_(x)

struct cr_xml_doc {
    xmlDocPtr doc;
    char *ns; /* elements of this namespace (or of none) match; NULL: any */
};

/* ---- libxml2's memory: wiped when released ---- */

static void s_free(void *p)
{
    if (!p)
        return;
    OPENSSL_cleanse(p, malloc_usable_size(p));
    free(p);
}

static void *s_realloc(void *p, size_t n)
{
    if (!p)
        return malloc(n);
    size_t old = malloc_usable_size(p);
    void *q = malloc(n ? n : 1);
    if (!q)
        return NULL; /* p stays valid, as realloc(3) leaves it */
    memcpy(q, p, old < n ? old : n);
    s_free(p);
    return q;
}

static char *s_strdup(const char *s)
{
    size_t n = strlen(s) + 1;
    char *p = malloc(n);
    if (p)
        memcpy(p, s, n);
    return p;
}

static pthread_once_t s_once = PTHREAD_ONCE_INIT;

/* Once per process, before libxml2 allocates anything (xmlInitParser is not safe to race). */
static void s_init(void)
{
    xmlMemSetup(s_free, malloc, s_realloc, s_strdup);
    xmlInitParser();
}

/* ---- parsing ---- */

/* What the SAX hooks need (the parser context's _private). */
struct s_parse {
    const char *refused; /* why the hooks stopped the parse; NULL while they have not */
    unsigned depth;
    startElementNsSAX2Func start; /* libxml2's tree builders */
    endElementNsSAX2Func end;
};

static void s_stop(xmlParserCtxtPtr ctxt, const char *why)
{
    struct s_parse *p = ctxt->_private;
    p->refused = why;
    xmlStopParser(ctxt);
}

static void s_doctype(void *ctx, const xmlChar *name, const xmlChar *external_id,
                      const xmlChar *system_id)
{
    s_stop(ctx, "it has a document type declaration (<!DOCTYPE ...>), which AWS answers never "
                "have");
}

static void s_start(void *ctx, const xmlChar *localname, const xmlChar *prefix, const xmlChar *uri,
                    int nb_namespaces, const xmlChar **namespaces, int nb_attributes,
                    int nb_defaulted, const xmlChar **attributes)
{
    xmlParserCtxtPtr ctxt = ctx;
    struct s_parse *p = ctxt->_private;
    if (++p->depth > CR_XML_MAX_DEPTH) {
        s_stop(ctxt, "its elements nest deeper than " S_STR(CR_XML_MAX_DEPTH) " levels");
        return;
    }
    p->start(ctx, localname, prefix, uri, nb_namespaces, namespaces, nb_attributes, nb_defaulted,
             attributes);
}

static void s_end(void *ctx, const xmlChar *localname, const xmlChar *prefix, const xmlChar *uri)
{
    xmlParserCtxtPtr ctxt = ctx;
    struct s_parse *p = ctxt->_private;
    p->depth--;
    p->end(ctx, localname, prefix, uri);
}

/* What libxml2's error codes mean, in our words. Its own messages are never shown: they quote
 * names from the input ("Couldn't find end of Start Tag <name>", "Entity '<name>' not
 * defined"), which in a damaged answer can be pieces of a secret key or session token. */
static const struct {
    int code;
    const char *what;
} s_reasons[] = {
    {XML_ERR_DOCUMENT_EMPTY, "no element"},
    {XML_ERR_DOCUMENT_END, "content after the root element"},
    {XML_ERR_EXTRA_CONTENT, "content after the root element"},
    {XML_ERR_INVALID_HEX_CHARREF, "a malformed character reference"},
    {XML_ERR_INVALID_DEC_CHARREF, "a malformed character reference"},
    {XML_ERR_INVALID_CHARREF, "a character reference to a character XML does not allow"},
    {XML_ERR_INVALID_CHAR, "a character XML does not allow"},
    {XML_ERR_ENTITYREF_SEMICOL_MISSING, "an entity reference without its ';'"},
    {XML_ERR_UNDECLARED_ENTITY, "an entity nobody declared"},
    {XML_WAR_UNDECLARED_ENTITY, "an entity nobody declared"},
    {XML_ERR_NAME_REQUIRED, "a '<' or '&' without a name after it"},
    {XML_ERR_UNSUPPORTED_ENCODING, "an encoding libxml2 cannot read"},
    {XML_ERR_INVALID_ENCODING, "bytes that are not in the declared encoding"},
    {XML_ERR_STRING_NOT_CLOSED, "an unterminated quoted value"},
    {XML_ERR_LT_IN_ATTRIBUTE, "a '<' in an attribute value"},
    {XML_ERR_ATTRIBUTE_NOT_STARTED, "an attribute value without quotes"},
    {XML_ERR_ATTRIBUTE_WITHOUT_VALUE, "an attribute without a value"},
    {XML_ERR_ATTRIBUTE_REDEFINED, "an attribute given twice"},
    {XML_ERR_COMMENT_NOT_FINISHED, "an unterminated comment"},
    {XML_ERR_CDATA_NOT_FINISHED, "an unterminated CDATA section"},
    {XML_ERR_GT_REQUIRED, "a tag that is not closed with '>'"},
    {XML_ERR_LTSLASH_REQUIRED, "an element that is never closed"},
    {XML_ERR_TAG_NAME_MISMATCH, "an end tag that does not match its start tag"},
    {XML_ERR_TAG_NOT_FINISHED, "an element that is never closed (the answer ends early)"},
    {XML_ERR_NOT_WELL_BALANCED, "unbalanced tags"},
    {XML_NS_ERR_UNDEFINED_NAMESPACE, "a namespace prefix nobody declared"},
};

/* The message of a parse that failed (the context's last error): "line L, column C: <what>
 * (libxml2 error N)", never a piece of the input. */
static void s_parse_error(xmlParserCtxtPtr ctxt)
{
    const xmlError *e = xmlCtxtGetLastError(ctxt);
    int code = e ? e->code : ctxt->errNo;
    const char *what = "malformed";
    for (size_t i = 0; i < sizeof(s_reasons) / sizeof(s_reasons[0]); i++) {
        if (s_reasons[i].code == code)
            what = s_reasons[i].what;
    }
    cr_error_set("the answer is not well-formed XML: line %d, column %d: %s (libxml2 error %d)",
                 e ? e->line : 0, e ? e->int2 : 0, what, code);
}

int cr_xml_parse(struct cr_xml_doc **out, const char *body, size_t len, const char *ns)
{
    int result = CR_ENOMEM;
    struct s_parse p = {0};
    struct cr_xml_doc *d = NULL;
    xmlParserCtxtPtr ctxt = NULL;
    *out = NULL;
    if (len > CR_XML_MAX_BYTES) {
        cr_error_set("the answer is %zu bytes, more than the %u bytes read as XML", len,
                     CR_XML_MAX_BYTES);
        return CR_ELIMIT;
    }
    if (!body || len == 0) {
        cr_error_set("the answer is empty, not XML");
        return CR_EINVALID;
    }
    pthread_once(&s_once, s_init);
    d = calloc(1, sizeof(*d));
    if (!d || (ns && !(d->ns = strdup(ns))))
        goto done;
    ctxt = xmlNewParserCtxt();
    if (!ctxt)
        goto done;
    ctxt->_private = &p;
    p.start = ctxt->sax->startElementNs;
    p.end = ctxt->sax->endElementNs;
    ctxt->sax->startElementNs = s_start;
    ctxt->sax->endElementNs = s_end;
    ctxt->sax->internalSubset = s_doctype;
    /* no XML_PARSE_NOENT, DTDLOAD, DTDATTR, XINCLUDE or HUGE; CDATA read as text */
    ctxt->myDoc = xmlCtxtReadMemory(ctxt, body, (int)len, NULL, NULL,
                                    XML_PARSE_NONET | XML_PARSE_NOCDATA | XML_PARSE_NOERROR |
                                        XML_PARSE_NOWARNING);
    if (p.refused) {
        cr_error_set("the answer is refused as XML: %s", p.refused);
        result = CR_EINVALID;
        goto done;
    }
    if (ctxt->errNo == XML_ERR_NO_MEMORY)
        goto done;
    if (!ctxt->wellFormed || !ctxt->nsWellFormed || !ctxt->myDoc) {
        s_parse_error(ctxt);
        result = CR_EINVALID;
        goto done;
    }
    d->doc = ctxt->myDoc;
    ctxt->myDoc = NULL;
    d->doc->_private = d;
    *out = d;
    d = NULL;
    result = 0;
done:
    if (result == CR_ENOMEM)
        cr_error_set("out of memory reading an XML answer");
    if (ctxt) {
        xmlFreeDoc(ctxt->myDoc); /* a failed parse's partial tree */
        ctxt->myDoc = NULL;
        xmlFreeParserCtxt(ctxt);
    }
    cr_xml_free(d);
    return result;
}

void cr_xml_free(struct cr_xml_doc *doc)
{
    if (!doc)
        return;
    xmlFreeDoc(doc->doc);
    free(doc->ns);
    free(doc);
}

/* ---- reading ---- */

const struct cr_xml_node *cr_xml_top(const struct cr_xml_doc *doc)
{
    return (const struct cr_xml_node *)doc->doc; /* libxml2's documents are nodes too */
}

static bool s_matches(const xmlNode *n, const char *tag)
{
    if (n->type != XML_ELEMENT_NODE || strcmp((const char *)n->name, tag) != 0)
        return false;
    const struct cr_xml_doc *d = n->doc->_private;
    return !d->ns || !n->ns || (n->ns->href && strcmp((const char *)n->ns->href, d->ns) == 0);
}

/* The node after n in document order within top's subtree, NULL at its end. */
static const xmlNode *s_next(const xmlNode *n, const xmlNode *top)
{
    if (n->type == XML_ELEMENT_NODE && n->children)
        return n->children;
    for (; n && n != top; n = n->parent) {
        if (n->next)
            return n->next;
    }
    return NULL;
}

bool cr_xml_find(const struct cr_xml_node **out, const struct cr_xml_node *scope, const char *tag)
{
    const xmlNode *top = (const xmlNode *)scope;
    for (const xmlNode *n = top->children; n; n = s_next(n, top)) {
        if (s_matches(n, tag)) {
            *out = (const struct cr_xml_node *)n;
            return true;
        }
    }
    return false;
}

int cr_xml_text(struct cr_buf *out, const struct cr_xml_node *scope, const char *tag)
{
    const struct cr_xml_node *found = NULL;
    if (!cr_xml_find(&found, scope, tag)) {
        cr_error_set("the answer has no <%s> element", tag);
        return CR_EINVALID;
    }
    for (const xmlNode *c = ((const xmlNode *)found)->children; c; c = c->next) {
        if (c->type == XML_TEXT_NODE || c->type == XML_CDATA_SECTION_NODE) {
            cr_buf_puts(out, (const char *)c->content);
        } else if (c->type != XML_COMMENT_NODE && c->type != XML_PI_NODE) {
            cr_error_set("<%s> holds elements, not text", tag);
            return CR_EINVALID;
        }
    }
    int rc = cr_buf_error(out);
    if (rc == CR_ELIMIT)
        cr_error_set("the text of <%s> is longer than its buffer's limit", tag);
    else if (rc)
        cr_error_set("out of memory reading an XML answer");
    return rc;
}
