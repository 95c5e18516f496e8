/* SPDX-License-Identifier: Apache-2.0 */
/* The API constraint table (generated) and the checks that apply it. */
#include "schema/constraints.h"

#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include "util/strutil.h"

#include "schema/constraints_table.inc"

const struct cr_shape *cr_shape_all(size_t *out)
{
    *out = SH_COUNT;
    return s_shapes;
}

static int s_shape_cmp(const void *key, const void *elem)
{
    return strcmp((const char *)key, ((const struct cr_shape *)elem)->name);
}

/* Callers name shapes with string literals, a few dozen of them, once per field checked:
 * a small cache keyed by the name's address turns the binary search (about seven strcmp)
 * into one strcmp that confirms the hit. Per thread, as the loader runs shards in threads. */
#define S_CACHE_SLOTS 64
static _Thread_local struct {
    const char *name;
    const struct cr_shape *shape;
} s_cache[S_CACHE_SLOTS];

const struct cr_shape *cr_shape_find(const char *name)
{
    if (name == NULL)
        return NULL;
    size_t slot = ((uintptr_t)name >> 3) % S_CACHE_SLOTS;
    if (s_cache[slot].name == name && strcmp(s_cache[slot].shape->name, name) == 0)
        return s_cache[slot].shape;
    /* The generator emits the shapes sorted by name in byte order. */
    const struct cr_shape *shape =
        bsearch(name, s_shapes, SH_COUNT, sizeof(s_shapes[0]), s_shape_cmp);
    if (shape != NULL) {
        s_cache[slot].name = name;
        s_cache[slot].shape = shape;
    }
    return shape;
}

const struct cr_member *cr_shape_member(const struct cr_shape *shape, const char *name)
{
    if (shape == NULL || name == NULL)
        return NULL;
    for (size_t i = 0; i < shape->n_members; i++)
        if (strcmp(shape->members[i].name, name) == 0)
            return &shape->members[i];
    return NULL;
}

const struct cr_operation *cr_operation_all(size_t *out)
{
    *out = sizeof(s_operations) / sizeof(s_operations[0]);
    return s_operations;
}

const struct cr_operation *cr_operation_find(const char *name)
{
    if (name == NULL)
        return NULL;
    for (size_t i = 0; i < sizeof(s_operations) / sizeof(s_operations[0]); i++)
        if (strcmp(s_operations[i].name, name) == 0)
            return &s_operations[i];
    return NULL;
}

const char *cr_shape_kind_name(enum cr_shape_kind kind)
{
    switch (kind) {
    case CR_SHAPE_STRING:
        return "string";
    case CR_SHAPE_BOOLEAN:
        return "boolean";
    case CR_SHAPE_INTEGER:
        return "integer";
    case CR_SHAPE_LIST:
        return "list";
    case CR_SHAPE_MAP:
        return "map";
    case CR_SHAPE_STRUCTURE:
        return "structure";
    case CR_SHAPE_TIMESTAMP:
        return "timestamp";
    default:
        return "unknown";
    }
}

/* ---- patterns: Java-style regexes without UNICODE_CHARACTER_CLASS, so \w and \s are ASCII */

static bool s_is_word(unsigned char c)
{
    return (c >= 'A' && c <= 'Z') || (c >= 'a' && c <= 'z') || (c >= '0' && c <= '9') || c == '_';
}

static bool s_is_space(unsigned char c)
{
    /* Java \s: [ \t\n\x0B\f\r] */
    return c == ' ' || c == '\t' || c == '\n' || c == '\v' || c == '\f' || c == '\r';
}

/* True if s is non-empty and every byte is a word character or one of extra. */
static bool s_all_word_or(const char *s, size_t len, const char *extra, bool space)
{
    if (len == 0)
        return false;
    for (size_t i = 0; i < len; i++) {
        unsigned char c = (unsigned char)s[i];
        if (s_is_word(c) || (space && s_is_space(c)))
            continue;
        if (c == '\0' || strchr(extra, c) == NULL)
            return false;
    }
    return true;
}

/* [\w-]+:[0-9a-f-]+ — the prefix cannot hold ':', so the first ':' splits the value. */
static bool s_pool_id(const char *s, size_t len)
{
    const char *colon = memchr(s, ':', len);
    if (colon == NULL)
        return false;
    size_t head = (size_t)(colon - s);
    if (!s_all_word_or(s, head, "-", false) || head + 1 >= len)
        return false;
    for (size_t i = head + 1; i < len; i++) {
        char c = s[i];
        if (!((c >= '0' && c <= '9') || (c >= 'a' && c <= 'f') || c == '-'))
            return false;
    }
    return true;
}

static bool s_non_space(const char *s, size_t len)
{
    if (len == 0)
        return false;
    for (size_t i = 0; i < len; i++)
        if (s_is_space((unsigned char)s[i]))
            return false;
    return true;
}

/* Code points outside \p{L}\p{M}\p{S}\p{N}\p{P}: controls (Cc), format characters (Cf),
 * separators (Z*), surrogates and private use (Co), noncharacters. */
static bool s_claim_code_point(uint32_t cp)
{
    if (cp <= 0x20 || (cp >= 0x7F && cp <= 0xA0) || cp == 0xAD)
        return false;
    if (cp == 0x1680 || cp == 0x180E || (cp >= 0x2000 && cp <= 0x200F) ||
        (cp >= 0x2028 && cp <= 0x202F) || (cp >= 0x205F && cp <= 0x206F) || cp == 0x3000 ||
        cp == 0xFEFF || (cp >= 0xFFF9 && cp <= 0xFFFB))
        return false;
    if ((cp >= 0xD800 && cp <= 0xDFFF) || (cp >= 0xE000 && cp <= 0xF8FF) || cp >= 0xF0000)
        return false;
    if ((cp & 0xFFFE) == 0xFFFE || (cp >= 0xFDD0 && cp <= 0xFDEF))
        return false;
    return true;
}

static bool s_claim_name(const char *s, size_t len)
{
    if (len == 0)
        return false;
    size_t i = 0;
    while (i < len) {
        uint32_t cp = 0;
        size_t n = cr_utf8_decode(s + i, len - i, &cp);
        if (n == 0 || !s_claim_code_point(cp))
            return false;
        i += n;
    }
    return true;
}

/* \d+ with Java's ASCII \d. */
static bool s_digits(const char *s, size_t len)
{
    if (len == 0)
        return false;
    for (size_t i = 0; i < len; i++)
        if (s[i] < '0' || s[i] > '9')
            return false;
    return true;
}

bool cr_pattern_matches(enum cr_pattern pattern, const char *s, size_t len)
{
    switch (pattern) {
    case CR_PATTERN_NONE:
        return true;
    case CR_PATTERN_POOL_NAME:
        return s_all_word_or(s, len, "+=,.@-", true);
    case CR_PATTERN_PROVIDER_ID:
        return s_all_word_or(s, len, ".;_/-", false);
    case CR_PATTERN_DEVELOPER_NAME:
        return s_all_word_or(s, len, "._-", false);
    case CR_PATTERN_USER_POOL_NAME:
        return s_all_word_or(s, len, "._:/-", false);
    case CR_PATTERN_CLIENT_ID:
        return s_all_word_or(s, len, "_", false);
    case CR_PATTERN_POOL_ID:
        return s_pool_id(s, len);
    case CR_PATTERN_ROLE_TYPE:
        return (len == 13 && memcmp(s, "authenticated", 13) == 0) ||
               (len == 15 && memcmp(s, "unauthenticated", 15) == 0);
    case CR_PATTERN_NON_SPACE:
        return s_non_space(s, len);
    case CR_PATTERN_CLAIM_NAME:
        return s_claim_name(s, len);
    case CR_PATTERN_DIGITS:
        return s_digits(s, len);
    default:
        return false;
    }
}

/* ---- checks ---- */

size_t cr_constraint_string_length(const char *s, size_t len)
{
    size_t i = 0;
    /* Eight bytes at a time while none has the high bit: most values are ASCII. */
    for (uint64_t w; i + 8 <= len; i += 8) {
        memcpy(&w, s + i, sizeof(w));
        if ((w & 0x8080808080808080u) != 0)
            break;
    }
    while (i < len && (unsigned char)s[i] < 0x80)
        i++;
    if (i == len) /* ASCII: one character per byte */
        return len;
    if (!cr_utf8_valid(s, len))
        return len;
    return cr_utf8_length(s, len);
}

size_t cr_constraint_check_string_all(const char **out, size_t cap, const struct cr_shape *shape,
                                      const char *s, size_t len)
{
    size_t n = 0;
    const char *found[4];
    size_t chars = cr_constraint_string_length(s, len);
    if (shape->has_min && (long long)chars < shape->min)
        found[n++] = shape->msg_min;
    if (shape->has_max && (long long)chars > shape->max)
        found[n++] = shape->msg_max;
    if (shape->pattern_id != CR_PATTERN_NONE && !cr_pattern_matches(shape->pattern_id, s, len))
        found[n++] = shape->msg_pattern;
    if (shape->n_enum > 0) {
        bool ok = false;
        for (size_t i = 0; i < shape->n_enum && !ok; i++)
            ok = strlen(shape->enum_values[i]) == len && memcmp(shape->enum_values[i], s, len) == 0;
        if (!ok)
            found[n++] = shape->msg_enum;
    }
    for (size_t i = 0; i < n && i < cap; i++)
        out[i] = found[i];
    return n;
}

const char *cr_constraint_check_string(const struct cr_shape *shape, const char *s, size_t len)
{
    const char *first = NULL;
    if (cr_constraint_check_string_all(&first, 1, shape, s, len) == 0)
        return NULL;
    return first;
}

const char *cr_constraint_check_count(const struct cr_shape *shape, size_t n)
{
    if (shape->has_min && (long long)n < shape->min)
        return shape->msg_min;
    if (shape->has_max && (long long)n > shape->max)
        return shape->msg_max;
    return NULL;
}

const char *cr_constraint_check_integer(const struct cr_shape *shape, long long value)
{
    if (shape->has_min && value < shape->min)
        return shape->msg_min;
    if (shape->has_max && value > shape->max)
        return shape->msg_max;
    return NULL;
}
