/* SPDX-License-Identifier: Apache-2.0 */
#ifndef CR_UTIL_SPAN_H
#define CR_UTIL_SPAN_H
#include <stdbool.h>
#include <stddef.h>
#include <string.h>

/** A non-owning view of bytes; passed by value. */
struct cr_span {
    const char *ptr;
    size_t len;
};

static inline struct cr_span cr_span_from(const char *s)
{
    struct cr_span sp = {s, s ? strlen(s) : 0};
    return sp;
}

static inline struct cr_span cr_span_of(const char *p, size_t len)
{
    struct cr_span sp = {p, len};
    return sp;
}

static inline bool cr_span_eq(struct cr_span a, struct cr_span b)
{
    return a.len == b.len && (a.len == 0 || memcmp(a.ptr, b.ptr, a.len) == 0);
}

static inline bool cr_span_eq_str(struct cr_span a, const char *s)
{
    return cr_span_eq(a, cr_span_from(s));
}

#endif
