/* SPDX-License-Identifier: Apache-2.0 */
#include "aws/ratelimit.h"

#include <math.h>
#include <stdlib.h>
#include <string.h>

#include "util/strutil.h"

double cr_ratelimit_default_rate(enum cr_cognito_op op)
{
    /* published quotas (service-behaviour.md "Quotas"); other rates are unpublished */
    switch (op) {
    case CR_OP_TAG_RESOURCE:
    case CR_OP_UNTAG_RESOURCE:
    case CR_OP_LIST_IDENTITIES:
        return 5.0;
    case CR_OP_LIST_TAGS_FOR_RESOURCE:
        return 10.0;
    default:
        return 0.0;
    }
}

void cr_ratelimit_init(struct cr_ratelimit *rl, double rate_per_second, double burst,
                       uint64_t now_ms)
{
    rl->rate_per_second = rate_per_second > 0 ? rate_per_second : 0;
    rl->burst = burst >= 1.0 ? burst : 1.0;
    rl->tokens = rl->burst;
    rl->last_ms = now_ms;
}

bool cr_ratelimit_is_limited(const struct cr_ratelimit *rl)
{
    return rl->rate_per_second > 0;
}

static void s_refill(struct cr_ratelimit *rl, uint64_t now_ms)
{
    if (now_ms <= rl->last_ms)
        return;
    rl->tokens += (double)(now_ms - rl->last_ms) * rl->rate_per_second / 1000.0;
    if (rl->tokens > rl->burst)
        rl->tokens = rl->burst;
    rl->last_ms = now_ms;
}

uint64_t cr_ratelimit_try_acquire(struct cr_ratelimit *rl, uint64_t now_ms)
{
    if (!cr_ratelimit_is_limited(rl))
        return 0;
    s_refill(rl, now_ms);
    /* a small epsilon absorbs floating-point drift so 200 ms at 5/s yields exactly a token */
    if (rl->tokens >= 1.0 - 1e-9) {
        rl->tokens -= 1.0;
        if (rl->tokens < 0)
            rl->tokens = 0;
        return 0;
    }
    double wait = (1.0 - rl->tokens) * 1000.0 / rl->rate_per_second;
    uint64_t ms = (uint64_t)wait;
    if ((double)ms < wait)
        ms++; /* round up: waking early would find no token */
    return ms < 1 ? 1 : ms;
}

/* ---- user-facing specification ---- */

#define S_SPEC_MAX 10000.0

/* A number in (0, S_SPEC_MAX], the whole of text. */
static bool s_parse_number(double *out, const char *text, double min)
{
    char *end = NULL;
    if (!*text)
        return false;
    double v = strtod(text, &end);
    if (*end || !isfinite(v) || v < min || v <= 0 || v > S_SPEC_MAX)
        return false;
    *out = v;
    return true;
}

/* One `Operation=RATE[:BURST]` entry (modified in place) into rates/bursts. */
static int s_parse_entry(double *rates, double *bursts, char *entry, const char *what)
{
    char *eq = strchr(entry, '=');
    if (!eq) {
        cr_error_set("%s: '%s': expected Operation=RATE[:BURST]", what, entry);
        return CR_EINVALID;
    }
    *eq = '\0';
    char *rate_text = eq + 1, *burst_text = strchr(rate_text, ':');
    if (burst_text)
        *burst_text++ = '\0';
    enum cr_cognito_op op = CR_OP_COUNT;
    if (strcmp(entry, "*") != 0 && cr_cognito_op_from_name(&op, entry) < 0) {
        const char *names[CR_OP_COUNT];
        for (int i = 0; i < CR_OP_COUNT; i++)
            names[i] = cr_cognito_op_name((enum cr_cognito_op)i);
        const char *hint = cr_str_suggest(entry, names, CR_OP_COUNT);
        cr_error_set("%s: unknown operation '%s'%s%s%s", what, entry,
                     hint ? " (did you mean '" : "", hint ? hint : "", hint ? "'?)" : "");
        return CR_EINVALID;
    }
    double rate = -1, burst = 0;
    if (strcmp(rate_text, "unlimited") != 0 && !s_parse_number(&rate, rate_text, 0)) {
        cr_error_set("%s: %s: rate '%s' is not a number of calls per second in (0, 10000] or "
                     "'unlimited'",
                     what, entry, rate_text);
        return CR_EINVALID;
    }
    if (burst_text && !s_parse_number(&burst, burst_text, 1)) {
        cr_error_set("%s: %s: burst '%s' is not a number in [1, 10000]", what, entry, burst_text);
        return CR_EINVALID;
    }
    for (int i = 0; i < CR_OP_COUNT; i++) {
        if (op != CR_OP_COUNT && (int)op != i)
            continue;
        rates[i] = rate;
        bursts[i] = burst;
    }
    return 0;
}

int cr_ratelimit_parse_spec(double rates[CR_OP_COUNT], double bursts[CR_OP_COUNT], const char *spec,
                            const char *what)
{
    int result = 0;
    char *copy = NULL;
    double r[CR_OP_COUNT], b[CR_OP_COUNT];
    if (!spec || !*spec)
        goto done;
    copy = strdup(spec);
    if (!copy) {
        result = CR_ENOMEM;
        cr_error_set("%s: out of memory", what);
        goto done;
    }
    memcpy(r, rates, sizeof(r));
    memcpy(b, bursts, sizeof(b));
    char *save = NULL;
    for (char *e = strtok_r(copy, ",", &save); e; e = strtok_r(NULL, ",", &save)) {
        while (*e == ' ')
            e++;
        size_t len = strlen(e);
        while (len && e[len - 1] == ' ')
            e[--len] = '\0';
        result = s_parse_entry(r, b, e, what);
        if (result < 0)
            goto done;
    }
    memcpy(rates, r, sizeof(r));
    memcpy(bursts, b, sizeof(b));
done:
    free(copy);
    return result;
}
