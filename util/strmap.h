/* SPDX-License-Identifier: Apache-2.0 */
#ifndef CR_UTIL_STRMAP_H
#define CR_UTIL_STRMAP_H
/*
 * Small heap-owned string collections used across modules: an ordered string list and a
 * string->string map kept sorted by key (byte order), so equality and rendering are
 * deterministic.
 */
#include <stdbool.h>
#include <stddef.h>

#include "util/error.h"

struct cr_strlist {
    char **items;
    size_t len;
    size_t cap;
};

struct cr_strmap_entry {
    char *key;
    char *value;
};

struct cr_strmap {
    struct cr_strmap_entry *items; /* sorted by key */
    size_t len;
    size_t cap;
};

/** Appends a copy of s. Returns 0 or CR_ENOMEM. */
int cr_strlist_push(struct cr_strlist *list, const char *s) CR_WARN_UNUSED;
/** True if the list holds s. */
bool cr_strlist_contains(const struct cr_strlist *list, const char *s);
/** Sorts the list in byte order. */
void cr_strlist_sort(struct cr_strlist *list);
/** Equal as sets (order-insensitive, duplicates counted once). */
bool cr_strlist_set_equal(const struct cr_strlist *a, const struct cr_strlist *b);
/** Deep copy into out (which must be empty). */
int cr_strlist_copy(struct cr_strlist *out, const struct cr_strlist *src) CR_WARN_UNUSED;
/** Frees every item and the array. */
void cr_strlist_dispose(struct cr_strlist *list);

/** Sets key to a copy of value (replacing). Returns 0 or CR_ENOMEM. */
int cr_strmap_set(struct cr_strmap *map, const char *key, const char *value) CR_WARN_UNUSED;
/** Returns the value for key or NULL. Borrowed. */
const char *cr_strmap_get(const struct cr_strmap *map, const char *key);
/** Removes key if present; returns true if it was. */
bool cr_strmap_remove(struct cr_strmap *map, const char *key);
/** Same keys with the same values. */
bool cr_strmap_equal(const struct cr_strmap *a, const struct cr_strmap *b);
/** Deep copy into out (which must be empty). */
int cr_strmap_copy(struct cr_strmap *out, const struct cr_strmap *src) CR_WARN_UNUSED;
/** Frees every entry and the array. */
void cr_strmap_dispose(struct cr_strmap *map);

#endif
