/* SPDX-License-Identifier: Apache-2.0 */
#ifndef CR_UTIL_ARRAY_H
#define CR_UTIL_ARRAY_H
/*
 * Growing a plain C array held as (pointer, length, capacity): the one place that doubles
 * the capacity and checks the multiplication, so callers keep their own typed fields.
 */
#include <stddef.h>

#include "util/error.h"

/**
 * Makes room for one more element of size bytes in the array whose pointer is at items
 * (for example &set->pools) holding len elements in *cap slots: when full, the array grows
 * to twice *cap, or to first_cap when it has none, doubled again while that still does not
 * hold len + 1 (so a bulk move of len elements into a fresh array reserves them all with
 * one call). Sets no error message (the caller names
 * the operation). Returns 0, or CR_ENOMEM leaving the array and *cap unchanged.
 */
int cr_array_reserve(void *items, size_t *cap, size_t len, size_t size,
                     size_t first_cap) CR_WARN_UNUSED;

#endif
