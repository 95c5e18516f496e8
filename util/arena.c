/* SPDX-License-Identifier: Apache-2.0 */
#include "util/arena.h"

#include <stdalign.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#define CR_ARENA_BLOCK 65536

struct cr_arena_block {
    struct cr_arena_block *next;
    size_t used;
    size_t size;
    alignas(max_align_t) unsigned char data[];
};

void cr_arena_init(struct cr_arena *arena)
{
    arena->head = NULL;
    arena->total = 0;
}

void cr_arena_dispose(struct cr_arena *arena)
{
    struct cr_arena_block *b = arena->head;
    while (b) {
        struct cr_arena_block *next = b->next;
        free(b);
        b = next;
    }
    arena->head = NULL;
    arena->total = 0;
}

void *cr_arena_alloc(struct cr_arena *arena, size_t size)
{
    const size_t align = alignof(max_align_t);
    if (size > SIZE_MAX - align)
        return NULL;
    size = (size + align - 1) & ~(align - 1);
    struct cr_arena_block *b = arena->head;
    if (!b || b->size - b->used < size) {
        size_t bsize = size > CR_ARENA_BLOCK ? size : CR_ARENA_BLOCK;
        b = malloc(sizeof(*b) + bsize);
        if (!b)
            return NULL;
        b->size = bsize;
        b->used = 0;
        b->next = arena->head;
        arena->head = b;
    }
    void *p = b->data + b->used;
    b->used += size;
    arena->total += size;
    memset(p, 0, size);
    return p;
}

char *cr_arena_strndup(struct cr_arena *arena, const char *s, size_t len)
{
    char *p = cr_arena_alloc(arena, len + 1);
    if (!p)
        return NULL;
    memcpy(p, s, len);
    p[len] = '\0';
    return p;
}

char *cr_arena_strdup(struct cr_arena *arena, const char *s)
{
    return s ? cr_arena_strndup(arena, s, strlen(s)) : NULL;
}
