/* SPDX-License-Identifier: Apache-2.0 */
/* libyaml events -> struct cr_ynode trees, with positions and hostile-input defences. */
#include "schema/yaml.h"

#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <yaml.h>

#include "schema/manifest.h"
#include "util/array.h"
#include "util/strutil.h"

struct s_frame {
    struct cr_ynode *node;
    struct cr_ynode **tmp; /* children; for a mapping key, value, key, value, ... */
    size_t n;
    size_t cap;
    const char *anchor;
};

struct s_anchor {
    const char *name;
    struct cr_ynode *node;
};

struct s_builder {
    struct cr_arena *arena;
    const struct cr_yaml_limits *limits;
    const char *bytes;
    size_t len;
    cr_yaml_error_fn *on_error;
    void *ctx;
    struct s_frame *frames;
    size_t depth;
    struct s_anchor *anchors;
    size_t n_anchors;
    size_t cap_anchors;
    unsigned aliases;
    struct cr_ynode *root;
    bool failed; /* a problem that stops the parse was reported */
    int rc;      /* CR_ENOMEM */
};

static struct cr_loc s_loc(yaml_mark_t mark)
{
    struct cr_loc loc = {(unsigned)mark.line + 1, (unsigned)mark.column + 1};
    return loc;
}

static void s_fail(struct s_builder *b, struct cr_loc loc, const char *msg)
{
    b->on_error(b->ctx, loc, msg);
    b->failed = true;
}

/* Line and column (1-based, in characters) of a byte offset. */
static struct cr_loc s_loc_of_offset(const char *bytes, size_t len, size_t offset)
{
    struct cr_loc loc = {1, 1};
    for (size_t i = 0; i < offset && i < len; i++) {
        if (bytes[i] == '\n') {
            loc.line++;
            loc.column = 1;
        } else if (((unsigned char)bytes[i] & 0xC0) != 0x80) {
            loc.column++;
        }
    }
    return loc;
}

/* The byte at a 1-based line:column (characters), or -1. */
static int s_byte_at(const char *bytes, size_t len, struct cr_loc loc)
{
    size_t i = 0;
    for (unsigned line = 1; line < loc.line && i < len; i++)
        if (bytes[i] == '\n')
            line++;
    for (unsigned col = 1; col < loc.column && i < len; col++) {
        uint32_t cp = 0;
        size_t n = cr_utf8_decode(bytes + i, len - i, &cp);
        i += n ? n : 1;
    }
    return i < len ? (unsigned char)bytes[i] : -1;
}

/* NUL bytes and invalid UTF-8 are refused before libyaml sees the text, with a position. */
/* True if none of the 8 bytes at p is NUL or has the high bit set (plain ASCII text). */
static bool s_ascii8(const char *p)
{
    const uint64_t ones = 0x0101010101010101u, highs = 0x8080808080808080u;
    uint64_t w;
    memcpy(&w, p, sizeof(w));
    return (w & highs) == 0 && ((w - ones) & ~w & highs) == 0;
}

static bool s_precheck(struct s_builder *b)
{
    size_t i = 0;
    while (i < b->len) {
        /* Eight bytes at a time while the text is ASCII without NUL: nearly every manifest. */
        while (i + 8 <= b->len && s_ascii8(b->bytes + i))
            i += 8;
        if (i >= b->len)
            break;
        uint32_t cp = 0;
        unsigned char c = (unsigned char)b->bytes[i];
        if (c != 0 && c < 0x80) { /* the common case: printable ASCII, one byte */
            i++;
            continue;
        }
        if (c == 0) {
            s_fail(b, s_loc_of_offset(b->bytes, b->len, i), "NUL byte in file");
            return false;
        }
        size_t n = cr_utf8_decode(b->bytes + i, b->len - i, &cp);
        if (n == 0) {
            char msg[96];
            snprintf(msg, sizeof(msg), "invalid UTF-8 (byte 0x%02X at offset %zu)",
                     (unsigned char)b->bytes[i], i);
            s_fail(b, s_loc_of_offset(b->bytes, b->len, i), msg);
            return false;
        }
        i += n;
    }
    return true;
}

/* True if the text just before offset on its line is a run of more than 1024 characters
 * without ':': a key too long for libyaml's simple keys. */
static bool s_long_key_before(const struct s_builder *b, size_t offset)
{
    size_t run = 0;
    if (offset > b->len)
        return false;
    for (size_t i = offset; i > 0 && run <= 1024; i--) {
        char c = b->bytes[i - 1];
        if (c == '\n' || c == ':')
            break;
        run++;
    }
    return run > 1024;
}

static void s_parser_error(struct s_builder *b, const yaml_parser_t *parser)
{
    char msg[512];
    struct cr_loc loc;
    if (parser->error == YAML_READER_ERROR) {
        loc = s_loc_of_offset(b->bytes, b->len, parser->problem_offset);
        snprintf(msg, sizeof(msg), "invalid YAML: %s",
                 parser->problem ? parser->problem : "unreadable input");
        s_fail(b, loc, msg);
        return;
    }
    if (parser->error == YAML_MEMORY_ERROR) {
        b->rc = CR_ENOMEM;
        b->failed = true;
        return;
    }
    loc = s_loc(parser->problem_mark);
    if (s_byte_at(b->bytes, b->len, loc) == '\t') {
        s_fail(b, loc, "tab character in indentation (YAML allows only spaces)");
        return;
    }
    if (parser->context != NULL)
        snprintf(msg, sizeof(msg), "invalid YAML: %s %s (started at line %u, column %u)",
                 parser->problem ? parser->problem : "syntax error", parser->context,
                 (unsigned)parser->context_mark.line + 1,
                 (unsigned)parser->context_mark.column + 1);
    else
        snprintf(msg, sizeof(msg), "invalid YAML: %s",
                 parser->problem ? parser->problem : "syntax error");
    /* libyaml gives up on an implicit key after 1024 characters (YAML 1.2 §7.4.1.1) and says
     * only that it found no ':': name the real cause. */
    if (s_long_key_before(b, parser->problem_mark.index)) {
        size_t n = strlen(msg);
        snprintf(msg + n, sizeof(msg) - n,
                 "; a key longer than 1024 characters must be written as '? key'");
    }
    s_fail(b, loc, msg);
}

/* A node with extra bytes after it (a scalar keeps its value there: one arena allocation per
 * scalar instead of two, which the benchmark's million scalars notice). */
static struct cr_ynode *s_node(struct s_builder *b, enum cr_ynode_kind kind, yaml_mark_t mark,
                               const yaml_char_t *tag, size_t extra)
{
    if (extra > SIZE_MAX - sizeof(struct cr_ynode)) {
        b->rc = CR_ENOMEM;
        return NULL;
    }
    struct cr_ynode *node = cr_arena_alloc(b->arena, sizeof(*node) + extra);
    if (node == NULL) {
        b->rc = CR_ENOMEM;
        return NULL;
    }
    node->kind = kind;
    node->loc = s_loc(mark);
    if (tag != NULL) {
        node->tag = cr_arena_strdup(b->arena, (const char *)tag);
        if (node->tag == NULL)
            b->rc = CR_ENOMEM;
    }
    return node;
}

static int s_remember_anchor(struct s_builder *b, const char *name, struct cr_ynode *node)
{
    if (name == NULL)
        return 0;
    if (cr_array_reserve(&b->anchors, &b->cap_anchors, b->n_anchors, sizeof(*b->anchors), 8) != 0)
        return CR_ENOMEM;
    b->anchors[b->n_anchors].name = name;
    b->anchors[b->n_anchors].node = node;
    b->n_anchors++;
    return 0;
}

/* Hangs a finished node under the open collection (or makes it the document root). */
static void s_attach(struct s_builder *b, struct cr_ynode *node)
{
    if (b->depth == 0) {
        b->root = node;
        return;
    }
    struct s_frame *f = &b->frames[b->depth - 1];
    if (f->node->kind == CR_YNODE_MAP && f->n % 2 == 0 && node->kind != CR_YNODE_SCALAR) {
        s_fail(b, node->loc, "mapping keys must be plain strings, not lists or mappings");
        return;
    }
    if (cr_array_reserve(&f->tmp, &f->cap, f->n, sizeof(*f->tmp), 8) != 0) {
        b->rc = CR_ENOMEM;
        return;
    }
    f->tmp[f->n++] = node;
}

static void s_scalar(struct s_builder *b, const yaml_event_t *ev)
{
    size_t len = ev->data.scalar.length;
    struct cr_ynode *node =
        s_node(b, CR_YNODE_SCALAR, ev->start_mark, ev->data.scalar.tag, len + 1);
    if (node == NULL)
        return;
    char *value = (char *)(node + 1); /* zeroed by the arena: NUL-terminated */
    memcpy(value, ev->data.scalar.value, len);
    node->value = value;
    node->len = len;
    node->plain = ev->data.scalar.style == YAML_PLAIN_SCALAR_STYLE;
    node->weight = 1;
    /* "\0" escapes in double-quoted scalars decode to NUL: no API string can hold one. */
    if (memchr(node->value, '\0', node->len) != NULL) {
        s_fail(b, node->loc, "NUL character in a string");
        return;
    }
    const char *anchor = NULL;
    if (ev->data.scalar.anchor != NULL) {
        anchor = cr_arena_strdup(b->arena, (const char *)ev->data.scalar.anchor);
        if (anchor == NULL || s_remember_anchor(b, anchor, node) != 0) {
            b->rc = CR_ENOMEM;
            return;
        }
    }
    s_attach(b, node);
}

static void s_open(struct s_builder *b, const yaml_event_t *ev, enum cr_ynode_kind kind)
{
    const yaml_char_t *tag =
        kind == CR_YNODE_MAP ? ev->data.mapping_start.tag : ev->data.sequence_start.tag;
    const yaml_char_t *anchor =
        kind == CR_YNODE_MAP ? ev->data.mapping_start.anchor : ev->data.sequence_start.anchor;
    if (b->depth >= b->limits->max_depth) {
        char msg[96];
        snprintf(msg, sizeof(msg), "nesting deeper than %u levels", b->limits->max_depth);
        s_fail(b, s_loc(ev->start_mark), msg);
        return;
    }
    struct cr_ynode *node = s_node(b, kind, ev->start_mark, tag, 0);
    if (node == NULL)
        return;
    struct s_frame *f = &b->frames[b->depth++];
    f->node = node;
    f->n = 0;
    f->anchor = NULL;
    if (anchor != NULL) {
        f->anchor = cr_arena_strdup(b->arena, (const char *)anchor);
        if (f->anchor == NULL)
            b->rc = CR_ENOMEM;
    }
}

/* qsort has no context argument: the keys being sorted are reached through this. */
static _Thread_local struct cr_ynode *const *s_sort_keys;

static int s_key_cmp(const void *x, const void *y)
{
    size_t a = *(const size_t *)x, b = *(const size_t *)y;
    int c = strcmp(s_sort_keys[a]->value, s_sort_keys[b]->value);
    if (c != 0)
        return c;
    return (a > b) - (a < b);
}

/* Reports duplicate keys (the later ones) and drops them, keeping the first. */
static void s_report_duplicate(struct s_builder *b, const struct cr_ynode *key,
                               const struct cr_ynode *first)
{
    char msg[400], q[300];
    snprintf(msg, sizeof(msg), "duplicate key '%s' (first defined at line %u, column %u)",
             cr_yaml__quote(q, sizeof(q), key->value, key->len), first->loc.line,
             first->loc.column);
    b->on_error(b->ctx, key->loc, msg);
}

/* Small mappings (nearly all of a manifest): pairwise, no allocation. */
static void s_dedupe_small(struct s_builder *b, struct cr_ynode *map)
{
    size_t w = 0;
    for (size_t i = 0; i < map->n; i++) {
        size_t j = 0;
        while (j < w &&
               (map->items[j]->len != map->items[i]->len ||
                memcmp(map->items[j]->value, map->items[i]->value, map->items[i]->len) != 0))
            j++;
        if (j < w) {
            s_report_duplicate(b, map->items[i], map->items[j]);
            continue;
        }
        map->items[w] = map->items[i];
        map->values[w] = map->values[i];
        w++;
    }
    map->n = w;
}

static int s_dedupe(struct s_builder *b, struct cr_ynode *map)
{
    if (map->n < 2)
        return 0;
    if (map->n <= 16) {
        s_dedupe_small(b, map);
        return 0;
    }
    int result = CR_ENOMEM;
    size_t *order = malloc(map->n * sizeof(*order));
    bool *drop = calloc(map->n, sizeof(*drop));
    if (order == NULL || drop == NULL)
        goto done;
    for (size_t i = 0; i < map->n; i++)
        order[i] = i;
    s_sort_keys = map->items;
    qsort(order, map->n, sizeof(*order), s_key_cmp);
    size_t first = order[0];
    for (size_t i = 1; i < map->n; i++) {
        const struct cr_ynode *key = map->items[order[i]];
        if (strcmp(key->value, map->items[first]->value) != 0) {
            first = order[i];
            continue;
        }
        s_report_duplicate(b, key, map->items[first]);
        drop[order[i]] = true;
    }
    size_t w = 0;
    for (size_t i = 0; i < map->n; i++) {
        if (drop[i])
            continue;
        map->items[w] = map->items[i];
        map->values[w] = map->values[i];
        w++;
    }
    map->n = w;
    result = 0;
done:
    free(order);
    free(drop);
    return result;
}

/* 1 + the children's weights (an alias counts its whole target), saturating: what walking
 * the tree would cost, so a small file cannot make the converter do unbounded work. */
static size_t s_weight(const struct cr_ynode *node)
{
    const size_t cap = (size_t)-1 / 4;
    size_t w = 1;
    for (size_t i = 0; i < node->n; i++) {
        w += node->items[i]->weight;
        if (node->kind == CR_YNODE_MAP)
            w += node->values[i]->weight;
        if (w > cap)
            return cap;
    }
    return w;
}

static void s_close(struct s_builder *b)
{
    struct s_frame *f = &b->frames[--b->depth];
    struct cr_ynode *node = f->node;
    if (node->kind == CR_YNODE_MAP) {
        node->n = f->n / 2;
        /* Keys and values in one allocation: [n + 1 keys][n + 1 values]. */
        node->items = cr_arena_alloc(b->arena, 2 * (node->n + 1) * sizeof(*node->items));
        node->values = node->items != NULL ? node->items + node->n + 1 : NULL;
        if (node->items == NULL) {
            b->rc = CR_ENOMEM;
            goto done;
        }
        for (size_t i = 0; i < node->n; i++) {
            node->items[i] = f->tmp[2 * i];
            node->values[i] = f->tmp[2 * i + 1];
        }
        if (s_dedupe(b, node) != 0) {
            b->rc = CR_ENOMEM;
            goto done;
        }
    } else {
        node->n = f->n;
        node->items = cr_arena_alloc(b->arena, (node->n + 1) * sizeof(*node->items));
        if (node->items == NULL) {
            b->rc = CR_ENOMEM;
            goto done;
        }
        if (f->n > 0)
            memcpy(node->items, f->tmp, f->n * sizeof(*node->items));
    }
    node->weight = s_weight(node);
    if (s_remember_anchor(b, f->anchor, node) != 0) {
        b->rc = CR_ENOMEM;
        goto done;
    }
    s_attach(b, node);
done:
    /* f->tmp stays allocated for the next collection at this depth (fewer mallocs). */
    f->n = 0;
}

static void s_alias(struct s_builder *b, const yaml_event_t *ev)
{
    const char *name = (const char *)ev->data.alias.anchor;
    char msg[256];
    if (++b->aliases > b->limits->max_aliases) {
        snprintf(msg, sizeof(msg), "too many aliases in one document (more than %u)",
                 b->limits->max_aliases);
        s_fail(b, s_loc(ev->start_mark), msg);
        return;
    }
    /* Anchors are registered when their node is complete, so an alias inside its own anchor
     * (a cycle) is not found here. The latest definition of a name wins. */
    for (size_t i = b->n_anchors; i > 0; i--) {
        if (strcmp(b->anchors[i - 1].name, name) == 0) {
            s_attach(b, b->anchors[i - 1].node);
            return;
        }
    }
    snprintf(msg, sizeof(msg), "alias '*%.80s' refers to no complete anchor before it", name);
    s_fail(b, s_loc(ev->start_mark), msg);
}

static void s_reset_document(struct s_builder *b)
{
    b->depth = 0;
    b->n_anchors = 0;
    b->aliases = 0;
    b->root = NULL;
}

/* One event; returns false when parsing must stop. */
static bool s_event(struct s_builder *b, const yaml_event_t *ev, size_t *doc_index,
                    struct cr_loc *doc_loc, cr_yaml_document_fn *on_doc, int *doc_rc)
{
    switch (ev->type) {
    case YAML_DOCUMENT_START_EVENT:
        s_reset_document(b);
        *doc_loc = s_loc(ev->start_mark);
        break;
    case YAML_DOCUMENT_END_EVENT:
        if (b->root != NULL && b->limits->max_weight > 0 &&
            b->root->weight > b->limits->max_weight) {
            char msg[160];
            snprintf(msg, sizeof(msg), "document expands to more than %zu nodes through aliases",
                     b->limits->max_weight);
            s_fail(b, b->root->loc, msg);
            return false;
        }
        *doc_rc = on_doc(b->ctx, (*doc_index)++, *doc_loc, b->root);
        s_reset_document(b);
        if (*doc_rc != 0)
            return false;
        break;
    case YAML_SCALAR_EVENT:
        s_scalar(b, ev);
        break;
    case YAML_SEQUENCE_START_EVENT:
        s_open(b, ev, CR_YNODE_SEQ);
        break;
    case YAML_MAPPING_START_EVENT:
        s_open(b, ev, CR_YNODE_MAP);
        break;
    case YAML_SEQUENCE_END_EVENT:
    case YAML_MAPPING_END_EVENT:
        s_close(b);
        break;
    case YAML_ALIAS_EVENT:
        s_alias(b, ev);
        break;
    case YAML_STREAM_END_EVENT:
        return false;
    default:
        break;
    }
    return !b->failed && b->rc == 0;
}

/* Feeds every event of the stream to the builder; returns CR_ENOMEM, the first non-zero
 * return of on_doc, or 0 (syntax errors are reported through on_error, not returned). */
static int s_run(struct s_builder *b, yaml_parser_t *parser, cr_yaml_document_fn *on_doc)
{
    size_t doc_index = 0;
    struct cr_loc doc_loc = {1, 1};
    int doc_rc = 0;
    for (;;) {
        yaml_event_t ev;
        if (!yaml_parser_parse(parser, &ev)) {
            s_parser_error(b, parser);
            break;
        }
        bool more = s_event(b, &ev, &doc_index, &doc_loc, on_doc, &doc_rc);
        yaml_event_delete(&ev);
        if (!more)
            break;
    }
    return b->rc != 0 ? b->rc : doc_rc;
}

int cr_yaml__parse(struct cr_arena *arena, const char *bytes, size_t len,
                   const struct cr_yaml_limits *limits, cr_yaml_document_fn *on_doc,
                   cr_yaml_error_fn *on_error, void *ctx)
{
    int result = CR_ENOMEM;
    yaml_parser_t parser;
    bool parser_ready = false;
    struct s_builder b = {.arena = arena,
                          .limits = limits,
                          .bytes = bytes,
                          .len = len,
                          .on_error = on_error,
                          .ctx = ctx};
    struct cr_loc doc_loc = {1, 1};

    if (len > limits->max_bytes) {
        char msg[128];
        /* No size in the message: a source may hand over only the first bytes of a file
         * much larger than this (source.h, truncated). */
        snprintf(msg, sizeof(msg), "file is larger than the limit of %zu bytes", limits->max_bytes);
        on_error(ctx, doc_loc, msg);
        result = 0;
        goto done;
    }
    if (!s_precheck(&b)) {
        result = 0;
        goto done;
    }
    b.frames = calloc(limits->max_depth + 1, sizeof(*b.frames));
    if (b.frames == NULL || !yaml_parser_initialize(&parser))
        goto done;
    parser_ready = true;
    /* With the encoding forced below libyaml would keep a UTF-8 byte order mark as text. */
    if (len >= 3 && memcmp(bytes, "\xEF\xBB\xBF", 3) == 0) {
        bytes += 3;
        len -= 3;
        b.bytes = bytes;
        b.len = len;
    }
    yaml_parser_set_input_string(&parser, (const unsigned char *)bytes, len);
    yaml_parser_set_encoding(&parser, YAML_UTF8_ENCODING);
    result = s_run(&b, &parser, on_doc);
done:
    for (size_t i = 0; b.frames != NULL && i <= limits->max_depth; i++)
        free(b.frames[i].tmp);
    free(b.frames);
    free(b.anchors);
    if (parser_ready)
        yaml_parser_delete(&parser);
    return result;
}

const char *cr_yaml__quote(char *out, size_t cap, const char *s, size_t len)
{
    return cr_yaml__quote_n(out, cap, s, len, 64);
}

const char *cr_yaml__quote_n(char *out, size_t cap, const char *s, size_t len, size_t max_chars)
{
    size_t w = 0, chars = 0;
    for (size_t i = 0; i < len; i++) {
        unsigned char c = (unsigned char)s[i];
        bool lead = (c & 0xC0) != 0x80;
        /* At a character boundary: room for the widest character (4 bytes, or a 4-byte
         * escape), "..." and the NUL, else stop here. */
        if (lead && (++chars > max_chars || w + 8 >= cap)) {
            memcpy(out + w, "...", 3);
            w += 3;
            break;
        }
        if (c == '"' || c == '\\' || c == '\'') {
            out[w++] = '\\';
            out[w++] = (char)c;
        } else if (c < 0x20 || c == 0x7F) {
            w += (size_t)snprintf(out + w, cap - w, "\\x%02X", c);
        } else {
            out[w++] = (char)c;
        }
    }
    out[w] = '\0';
    return out;
}

/* ---- YAML 1.2 core schema ---- */

static bool s_is(const struct cr_ynode *n, const char *s)
{
    return n->len == strlen(s) && memcmp(n->value, s, n->len) == 0;
}

static bool s_untyped(const struct cr_ynode *n)
{
    return n->kind == CR_YNODE_SCALAR && n->plain && n->tag == NULL;
}

bool cr_yaml__is_null(const struct cr_ynode *node)
{
    if (node->kind != CR_YNODE_SCALAR)
        return false;
    if (node->tag != NULL && strcmp(node->tag, "tag:yaml.org,2002:null") == 0)
        return true;
    return s_untyped(node) && (node->len == 0 || s_is(node, "~") || s_is(node, "null") ||
                               s_is(node, "Null") || s_is(node, "NULL"));
}

int cr_yaml__bool_value(const struct cr_ynode *node)
{
    bool typed = node->kind == CR_YNODE_SCALAR && node->tag != NULL &&
                 strcmp(node->tag, "tag:yaml.org,2002:bool") == 0;
    if (!s_untyped(node) && !typed)
        return -1;
    if (s_is(node, "true") || s_is(node, "True") || s_is(node, "TRUE"))
        return 1;
    if (s_is(node, "false") || s_is(node, "False") || s_is(node, "FALSE"))
        return 0;
    return -1;
}

static size_t s_digits(const char *s, size_t len, size_t i, const char *set)
{
    size_t start = i;
    while (i < len && strchr(set, s[i]) != NULL && s[i] != '\0')
        i++;
    return i - start;
}

bool cr_yaml__is_number(const struct cr_ynode *node)
{
    if (!s_untyped(node) || node->len == 0)
        return false;
    const char *s = node->value;
    size_t len = node->len, i = 0;
    static const char dec[] = "0123456789";
    if (len > 2 && s[0] == '0' && s[1] == 'o')
        return s_digits(s, len, 2, "01234567") == len - 2;
    if (len > 2 && s[0] == '0' && s[1] == 'x')
        return s_digits(s, len, 2, "0123456789abcdefABCDEF") == len - 2;
    if (s_is(node, ".nan") || s_is(node, ".NaN") || s_is(node, ".NAN"))
        return true;
    if (s[i] == '+' || s[i] == '-')
        i++;
    const char *rest = s + i;
    size_t rlen = len - i;
    if ((rlen == 4 && (memcmp(rest, ".inf", 4) == 0 || memcmp(rest, ".Inf", 4) == 0 ||
                       memcmp(rest, ".INF", 4) == 0)))
        return true;
    /* [-+]? ( \. [0-9]+ | [0-9]+ ( \. [0-9]* )? ) ( [eE] [-+]? [0-9]+ )? */
    size_t whole = s_digits(s, len, i, dec);
    i += whole;
    size_t frac = 0;
    bool dot = i < len && s[i] == '.';
    if (dot) {
        i++;
        frac = s_digits(s, len, i, dec);
        i += frac;
    }
    if (whole == 0 && frac == 0)
        return false;
    if (i < len && (s[i] == 'e' || s[i] == 'E')) {
        i++;
        if (i < len && (s[i] == '+' || s[i] == '-'))
            i++;
        size_t exp = s_digits(s, len, i, dec);
        if (exp == 0)
            return false;
        i += exp;
    }
    return i == len;
}

bool cr_manifest_plain_reads_as_string(const char *s, size_t len)
{
    const struct cr_ynode node = {.kind = CR_YNODE_SCALAR, .value = s, .len = len, .plain = true};
    return !cr_yaml__is_null(&node) && cr_yaml__bool_value(&node) < 0 &&
           !cr_yaml__is_number(&node);
}
