/* SPDX-License-Identifier: Apache-2.0 */
#include "aws/ratelimit.h"

#include <math.h>
#include <stdlib.h>
#include <string.h>

#include "aws/quotas.h"
#include "util/strutil.h"

double cr_ratelimit_default_rate(enum cr_cognito_op op)
{
    const struct cr_quota *q = cr_quota_find(cr_cognito_op_name(op));
    return q ? q->rate : 0.0;
}

void cr_ratelimit_init(struct cr_ratelimit *rl, double rate_per_second, double burst,
                       uint64_t now_ms)
{
    memset(rl, 0, sizeof(*rl));
    rl->rate_per_second = rate_per_second > 0 ? rate_per_second : 0;
    rl->current = rl->rate_per_second;
    rl->burst = burst >= 1.0 ? burst : 1.0;
    rl->tokens = rl->burst;
    rl->last_ms = now_ms;
}

static void s_lock(struct cr_ratelimit *rl)
{
    if (rl->lock)
        pthread_mutex_lock(rl->lock);
}

static void s_unlock(struct cr_ratelimit *rl)
{
    if (rl->lock)
        pthread_mutex_unlock(rl->lock);
}

void cr_ratelimit_set_adaptive(struct cr_ratelimit *rl, uint64_t now_ms)
{
    s_lock(rl);
    rl->adaptive = true;
    cr_adaptive_init(&rl->control, rl->rate_per_second, now_ms);
    s_unlock(rl);
}

bool cr_ratelimit_is_limited(const struct cr_ratelimit *rl)
{
    return rl->current > 0;
}

/* Tokens flow at the current rate since last_ms (an unlimited bucket stays full). */
static void s_refill(struct cr_ratelimit *rl, uint64_t now_ms)
{
    if (now_ms <= rl->last_ms)
        return;
    rl->tokens += (double)(now_ms - rl->last_ms) * rl->current / 1000.0;
    if (rl->tokens > rl->burst || rl->current <= 0)
        rl->tokens = rl->burst;
    rl->last_ms = now_ms;
}

uint64_t cr_ratelimit_try_acquire(struct cr_ratelimit *rl, uint64_t now_ms)
{
    uint64_t ms = 0;
    s_lock(rl);
    s_refill(rl, now_ms);
    /* a small epsilon absorbs floating-point drift so 200 ms at 5/s yields exactly a token */
    if (rl->current <= 0 || rl->tokens >= 1.0 - 1e-9) {
        rl->tokens = rl->tokens >= 1.0 ? rl->tokens - 1.0 : 0;
        if (rl->adaptive)
            cr_adaptive_sent(&rl->control, now_ms);
        goto done;
    }
    double wait = (1.0 - rl->tokens) * 1000.0 / rl->current;
    ms = (uint64_t)wait;
    if ((double)ms < wait)
        ms++; /* round up: waking early would find no token */
    ms = ms < 1 ? 1 : ms;
done:
    s_unlock(rl);
    return ms;
}

void cr_ratelimit_observe(struct cr_ratelimit *rl, bool throttled, uint64_t sent_ms,
                          uint64_t now_ms)
{
    s_lock(rl);
    if (rl->adaptive && cr_adaptive_answer(&rl->control, throttled, sent_ms, now_ms)) {
        s_refill(rl, now_ms); /* the tokens so far at the old rate, the rest at the new */
        rl->current = cr_adaptive_rate(&rl->control);
        if (rl->current > 0 && rl->tokens > 1.0)
            rl->tokens = 1.0; /* after a throttle, no burst: pace at once */
    }
    s_unlock(rl);
}

double cr_ratelimit_rate(struct cr_ratelimit *rl)
{
    s_lock(rl);
    double r = rl->current;
    s_unlock(rl);
    return r;
}

/* ---- buckets shared per scope ---- */

struct cr_pacer {
    struct cr_pacer *next;
    char *scope;
    unsigned users;
    pthread_mutex_t lock;
    struct cr_ratelimit buckets[CR_OP_COUNT];
};

static pthread_mutex_t s_pacers_lock = PTHREAD_MUTEX_INITIALIZER;
static struct cr_pacer *s_pacers;

int cr_pacer_get(struct cr_pacer **out, const char *scope, const double rates[CR_OP_COUNT],
                 const double bursts[CR_OP_COUNT], bool adaptive, uint64_t now_ms)
{
    int result = 0;
    pthread_mutex_lock(&s_pacers_lock);
    struct cr_pacer *p = s_pacers;
    while (p && strcmp(p->scope, scope) != 0)
        p = p->next;
    if (!p) {
        p = calloc(1, sizeof(*p));
        char *copy = p ? strdup(scope) : NULL;
        if (!copy) {
            free(p);
            cr_error_set("out of memory setting up rate limits");
            result = CR_ENOMEM;
            goto done;
        }
        p->scope = copy;
        pthread_mutex_init(&p->lock, NULL);
        for (int op = 0; op < CR_OP_COUNT; op++) {
            struct cr_ratelimit *rl = &p->buckets[op];
            cr_ratelimit_init(rl, rates[op] > 0 ? rates[op] : 0, bursts[op], now_ms);
            if (adaptive)
                cr_ratelimit_set_adaptive(rl, now_ms);
            rl->lock = &p->lock; /* from now on shared */
        }
        p->next = s_pacers;
        s_pacers = p;
    }
    p->users++;
    *out = p;
done:
    pthread_mutex_unlock(&s_pacers_lock);
    return result;
}

struct cr_ratelimit *cr_pacer_bucket(struct cr_pacer *pacer, enum cr_cognito_op op)
{
    return &pacer->buckets[op];
}

unsigned cr_pacer_users(const struct cr_pacer *pacer)
{
    return pacer->users;
}

void cr_pacer_release(struct cr_pacer *pacer)
{
    if (!pacer)
        return;
    pthread_mutex_lock(&s_pacers_lock);
    if (--pacer->users == 0) {
        struct cr_pacer **link = &s_pacers;
        while (*link != pacer)
            link = &(*link)->next;
        *link = pacer->next;
        pthread_mutex_destroy(&pacer->lock);
        free(pacer->scope);
        free(pacer);
    }
    pthread_mutex_unlock(&s_pacers_lock);
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
