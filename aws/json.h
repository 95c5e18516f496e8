/* SPDX-License-Identifier: Apache-2.0 */
#ifndef CR_AWS_JSON_H
#define CR_AWS_JSON_H
/*
 * Small jansson helpers shared by the cognito-identity decoders and the emulator's request
 * validation, so both name a JSON value's type the same way in their error messages; and
 * the way our code learns that jansson ran out of memory.
 */
#include <jansson.h>
#include <stddef.h>

/** "an object", "an array", "a string", "a number", "a boolean" or "null": the type of v as
 * used in "expected X, got Y" messages. Static string. */
const char *cr_json_type_name(const json_t *v);

/**
 * How many of jansson's allocations have failed on the calling thread so far. jansson 2.14
 * does not always say so itself: its lexer drops characters it cannot store and then reports
 * a syntax error (or none), and its dumper ignores a failed append of an object key. Compare
 * the count before and after a parse to tell "out of memory" from "bad input". The first call
 * routes jansson's allocations through a counting malloc (process-wide, once).
 */
unsigned long cr_json_alloc_failures(void);

/**
 * jansson's message for a failed parse without the piece of input it quotes (" near '...'":
 * up to 20 characters of the text, which in an answer carrying credentials may be the secret
 * key or the session token): "premature end of input", "unable to decode byte 0x80". For
 * messages about any text that may hold a secret. Writes at most cap bytes to buf (cap > 0);
 * returns buf.
 */
const char *cr_json_error_reason(char *buf, size_t cap, const json_error_t *err);

/* ---- test-visible ---- */

/** The allocator behind the counting one (NULL = malloc), so tests can fail allocations. */
typedef void *cr_json_malloc_fn(size_t size);
void cr_json__set_malloc(cr_json_malloc_fn *fn);

#endif
