/* SPDX-License-Identifier: Apache-2.0 */
#ifndef CR_UTIL_STRUTIL_H
#define CR_UTIL_STRUTIL_H
#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

/** Levenshtein distance between a and b (for "did you mean" suggestions). */
size_t cr_str_edit_distance(const char *a, const char *b);

/** The candidate closest to word within a small distance, or NULL. Borrowed. */
const char *cr_str_suggest(const char *word, const char *const *candidates, size_t n);

/** True if the bytes are valid UTF-8 (no overlongs, no surrogates, <= U+10FFFF). */
bool cr_utf8_valid(const char *s, size_t len);

/** Decodes one UTF-8 code point at s (len bytes left); returns its length or 0 if invalid. */
size_t cr_utf8_decode(const char *s, size_t len, uint32_t *out);

/** Number of code points in valid UTF-8 text. */
size_t cr_utf8_length(const char *s, size_t len);

/** The value of the hex digit c (0-9, a-f, A-F), or -1 if c is not one. */
int cr_hex_value(char c);

/**
 * strdup that keeps NULL: NULL for NULL, else a heap copy of s (the caller frees it). When
 * the copy cannot be allocated it returns NULL and sets *oom to true (oom may be NULL when
 * the caller checks `s && !copy` itself), so a run of copies is checked once.
 */
char *cr_strdup_null(const char *s, bool *oom);

/** Monotonic clock in milliseconds. */
uint64_t cr_now_ms(void);

/** Wall clock in seconds since the epoch. */
int64_t cr_time_now(void);

#endif
