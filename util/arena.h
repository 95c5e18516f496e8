/* SPDX-License-Identifier: Apache-2.0 */
#ifndef CR_UTIL_ARENA_H
#define CR_UTIL_ARENA_H
/*
 * A bump allocator: many small allocations freed in one call. A parsed manifest set and a
 * live-state snapshot each live in one arena.
 */
#include <stddef.h>

struct cr_arena_block;

struct cr_arena {
    struct cr_arena_block *head;
    size_t total; /* bytes handed out, for benchmarks */
};

/** Initialises an empty arena (no allocation). */
void cr_arena_init(struct cr_arena *arena);
/** Frees every block. Safe on a zeroed arena. */
void cr_arena_dispose(struct cr_arena *arena);
/** Zeroed memory aligned for any type, or NULL on out-of-memory. */
void *cr_arena_alloc(struct cr_arena *arena, size_t size);
/** Copy of the string (NULL in, NULL out). */
char *cr_arena_strdup(struct cr_arena *arena, const char *s);
/** Copy of len bytes plus a NUL. */
char *cr_arena_strndup(struct cr_arena *arena, const char *s, size_t len);

#endif
