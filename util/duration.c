/* SPDX-License-Identifier: Apache-2.0 */
#include "util/duration.h"

#include <stdbool.h>
#include <stdio.h>
#include <string.h>

struct s_unit {
    const char *name;
    uint64_t ms;
};

/* "ms" before "m": the longest unit that matches wins. */
static const struct s_unit s_units[] = {{"ms", 1}, {"s", 1000}, {"m", 60000}, {"h", 3600000}};
#define S_N_UNITS (sizeof(s_units) / sizeof(s_units[0]))
#define S_MAX_MS  (UINT64_C(1) << 52) /* far beyond any limit, and no overflow below it */

/* One "<digits><unit>" at *p; advances *p. A bare number is allowed only as the whole text. */
static bool s_term(uint64_t *out, const char **p, bool whole)
{
    uint64_t n = 0;
    const char *s = *p;
    if (*s < '0' || *s > '9')
        return false;
    for (; *s >= '0' && *s <= '9'; s++) {
        n = n * 10 + (uint64_t)(*s - '0');
        if (n > S_MAX_MS)
            return false;
    }
    if (*s == '\0' && whole) {
        *out = n * 1000;
        *p = s;
        return true;
    }
    for (size_t k = 0; k < S_N_UNITS; k++) {
        size_t len = strlen(s_units[k].name);
        if (strncmp(s, s_units[k].name, len) != 0)
            continue;
        /* "m" must not swallow the "m" of "ms" */
        if (len == 1 && s[0] == 'm' && s[1] == 's')
            continue;
        *out = n * s_units[k].ms;
        *p = s + len;
        return true;
    }
    return false;
}

static void s_range(char *out, size_t cap, uint64_t ms)
{
    cr_duration_format(out, cap, ms);
}

int cr_duration_parse(uint64_t *out_ms, const char *text, const char *name, uint64_t min_ms,
                      uint64_t max_ms)
{
    uint64_t total = 0;
    const char *p = text != NULL ? text : "";
    bool ok = *p != '\0';
    while (ok && *p != '\0') {
        uint64_t term = 0;
        ok = s_term(&term, &p, p == text);
        total += term;
        ok = ok && total <= S_MAX_MS;
    }
    if (ok && total >= min_ms && total <= max_ms) {
        *out_ms = total;
        return 0;
    }
    char lo[32], hi[32];
    s_range(lo, sizeof(lo), min_ms);
    s_range(hi, sizeof(hi), max_ms);
    cr_error_set("%s: expected a duration from %s to %s such as 30s, 5m or 1h30m, got '%s'", name,
                 lo, hi, text != NULL ? text : "");
    return CR_EINVALID;
}

const char *cr_duration_format(char *out, size_t cap, uint64_t ms)
{
    size_t len = 0;
    out[0] = '\0';
    if (ms == 0) {
        snprintf(out, cap, "0s");
        return out;
    }
    for (size_t k = S_N_UNITS; k-- > 0 && len < cap;) {
        uint64_t n = ms / s_units[k].ms;
        if (n == 0)
            continue;
        len += (size_t)snprintf(out + len, cap - len, "%llu%s", (unsigned long long)n,
                                s_units[k].name);
        ms -= n * s_units[k].ms;
    }
    return out;
}
