/* SPDX-License-Identifier: Apache-2.0 */
#ifndef CR_SCHEMA_YAML_H
#define CR_SCHEMA_YAML_H
/*
 * Internal to schema/: libyaml events -> a small node tree with 1-based line:column on every
 * node, defended against hostile input (size, NUL bytes, invalid UTF-8, nesting depth,
 * alias count, duplicate keys, complex keys, undefined or recursive aliases). Exposed with
 * cr_yaml__ names for the unit tests and the fuzzer.
 */
#include <stdbool.h>
#include <stddef.h>

#include "schema/model.h"
#include "util/arena.h"
#include "util/error.h"

enum cr_ynode_kind {
    CR_YNODE_SCALAR,
    CR_YNODE_SEQ,
    CR_YNODE_MAP,
};

struct cr_ynode {
    enum cr_ynode_kind kind;
    struct cr_loc loc;
    const char *tag; /* explicit tag ("tag:yaml.org,2002:str", "!foo"), or NULL */
    /* scalar */
    const char *value;
    size_t len;
    bool plain; /* plain style: subject to implicit typing (null, booleans, numbers) */
    /* sequence: items[0..n); mapping: keys items[i] (scalars), values values[i] */
    struct cr_ynode **items;
    struct cr_ynode **values;
    size_t n;
    size_t weight; /* nodes in the subtree with aliases expanded (saturating) */
};

/** Limits for one parse (the manifest options supply them). */
struct cr_yaml_limits {
    size_t max_bytes;
    unsigned max_depth;
    unsigned max_aliases; /* per document */
    size_t max_weight;    /* nodes per document with aliases expanded (0: no limit) */
};

/** Receives problems; msg is one line. */
typedef void cr_yaml_error_fn(void *ctx, struct cr_loc loc, const char *msg);
/** Receives each complete document (root may be NULL for an empty document). */
typedef int cr_yaml_document_fn(void *ctx, size_t index, struct cr_loc loc,
                                const struct cr_ynode *root);

/**
 * Parses every document of bytes, allocating nodes in arena (which may be freed right after
 * the call: callbacks must copy what they keep). Each complete document goes to on_doc; each
 * problem to on_error, after which parsing of the file stops (a YAML error cannot be
 * recovered from) -- except duplicate keys, which are reported and parsing continues.
 * Returns 0 (also when problems were reported), CR_ENOMEM, or what on_doc returned.
 */
int cr_yaml__parse(struct cr_arena *arena, const char *bytes, size_t len,
                   const struct cr_yaml_limits *limits, cr_yaml_document_fn *on_doc,
                   cr_yaml_error_fn *on_error, void *ctx) CR_WARN_UNUSED;

/**
 * Writes user text into out (cap >= 16) for a one-line message: at most 64 characters, then
 * "..."; quotes, backslashes and control bytes escaped; cut only between characters, so
 * valid UTF-8 in gives valid UTF-8 out. Returns out.
 */
const char *cr_yaml__quote(char *out, size_t cap, const char *s, size_t len);
/** cr_yaml__quote with another limit than 64 characters. */
const char *cr_yaml__quote_n(char *out, size_t cap, const char *s, size_t len, size_t max_chars);

/* YAML 1.2 core-schema resolution of plain scalars. */
/** True for null, Null, NULL, ~ and the empty plain scalar. */
bool cr_yaml__is_null(const struct cr_ynode *node);
/** 1 for true/True/TRUE, 0 for false/False/FALSE, -1 otherwise (plain scalars only). */
int cr_yaml__bool_value(const struct cr_ynode *node);
/** True for a plain scalar that the core schema reads as an integer or a float. */
bool cr_yaml__is_number(const struct cr_ynode *node);

#endif
