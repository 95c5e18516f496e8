/* SPDX-License-Identifier: Apache-2.0 */
/*
 * Request-rate quotas, enforced like the service: one token bucket per account, Region and
 * operation ("each identity pool quota applies to a single operation ... the aggregate rate of
 * all requests ... in your AWS account in one Region", Quotas in Amazon Cognito). A request
 * over the rate is refused before it does anything with TooManyRequestsException "Rate
 * exceeded" (HTTP 400, as the JSON 1.1 services answer throttling), and a refused request
 * takes no token.
 *
 * The rates come from a profile ("none", or "aws": the table of aws/quotas.h, the same one the
 * client paces itself by) optionally scaled, with `OP=RPS[:BURST]` rules on top. A bucket holds
 * one second of requests (RPS tokens, at least 1) unless a rule says otherwise: AWS does not
 * publish the burst, and a client pacing evenly at the quota must not be refused for network
 * jitter (choice, docs/emulator.md).
 */
#include <jansson.h>
#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "emulator/internal.h"
#include "util/array.h"
#include "util/strutil.h"

#define S_MAX_RATE 100000.0

static double s_default_burst(double rate)
{
    return rate >= 1.0 ? rate : 1.0;
}

static size_t s_index(const struct cr_quota *q)
{
    size_t n;
    return (size_t)(q - cr_quota_table(&n));
}

int cr__emu_quota_profile(struct cr_emu_quota_config *c, const char *profile, double scale)
{
    size_t n;
    const struct cr_quota *table = cr_quota_table(&n);
    if (!(scale > 0.0 && scale <= 1000.0)) {
        cr_error_set("quota scale %g: expected a number in (0, 1000]", scale);
        return CR_EINVALID;
    }
    bool aws = profile && strcmp(profile, "aws") == 0;
    if (!aws && !(profile && strcmp(profile, "none") == 0)) {
        cr_error_set("unknown quota profile '%s' (profiles: aws, none)", profile ? profile : "");
        return CR_EINVALID;
    }
    memset(c, 0, sizeof(*c));
    snprintf(c->profile, sizeof(c->profile), "%s", profile);
    c->scale = scale;
    for (size_t i = 0; aws && i < n && i < CR_EMU_QUOTA_OPS; i++) {
        c->rate[i] = table[i].rate * scale;
        c->burst[i] = s_default_burst(c->rate[i]);
    }
    return 0;
}

/* A number in (0, S_MAX_RATE], the whole of text. */
static bool s_number(double *out, const char *text)
{
    char *end = NULL;
    double v = *text ? strtod(text, &end) : 0.0;
    if (!*text || *end || !isfinite(v) || v <= 0.0 || v > S_MAX_RATE)
        return false;
    *out = v;
    return true;
}

/* The operation of a rule ("*" = every one): sets [*first, *end) in the table. */
static int s_rule_ops(size_t *first, size_t *end, const char *name, const char *spec)
{
    size_t n;
    cr_quota_table(&n);
    if (strcmp(name, "*") == 0) {
        *first = 0;
        *end = n;
        return 0;
    }
    const struct cr_quota *q = cr_quota_find(name);
    if (!q) {
        const char *hint = cr_quota_suggest(name);
        cr_error_set("quota '%s': unknown operation '%s'%s%s%s", spec, name,
                     hint ? " (did you mean '" : "", hint ? hint : "", hint ? "'?)" : "");
        return CR_EINVALID;
    }
    *first = s_index(q);
    *end = *first + 1;
    return 0;
}

int cr__emu_quota_rule(struct cr_emu_quota_config *c, const char *spec)
{
    char buf[160];
    size_t first, end;
    const char *eq = strchr(spec, '=');
    if (!eq || eq == spec || strlen(spec) >= sizeof(buf)) {
        cr_error_set("quota '%s': expected OPERATION=RPS[:BURST] (OPERATION may be '*')", spec);
        return CR_EINVALID;
    }
    snprintf(buf, sizeof(buf), "%s", spec);
    buf[eq - spec] = '\0';
    char *rate_text = buf + (eq - spec) + 1, *burst_text = strchr(rate_text, ':');
    if (burst_text)
        *burst_text++ = '\0';
    if (s_rule_ops(&first, &end, buf, spec) != 0)
        return CR_EINVALID;
    double rate = 0.0, burst = 0.0;
    bool unlimited = strcmp(rate_text, "unlimited") == 0;
    if (!unlimited && !s_number(&rate, rate_text)) {
        cr_error_set("quota '%s': rate '%s' is not a number of requests per second in (0, %g] "
                     "or 'unlimited'",
                     spec, rate_text, S_MAX_RATE);
        return CR_EINVALID;
    }
    if (burst_text && (unlimited || !s_number(&burst, burst_text) || burst < 1.0)) {
        cr_error_set("quota '%s': burst '%s' is not a number of requests in [1, %g]", spec,
                     burst_text, S_MAX_RATE);
        return CR_EINVALID;
    }
    for (size_t i = first; i < end && i < CR_EMU_QUOTA_OPS; i++) {
        c->rate[i] = rate;
        c->burst[i] = burst_text ? burst : s_default_burst(rate);
    }
    if (c->n_rules < CR_EMU_QUOTA_RULES)
        snprintf(c->rules[c->n_rules++], sizeof(c->rules[0]), "%s", spec);
    return 0;
}

/* {"profile": "aws"|"none", "scale": F, "quota": ["OP=RPS[:BURST]", ...]}: every member
 * optional (profile "none", scale 1, no rules). */
static int s_parse_json_doc(struct cr_emu_quota_config *c, json_t *doc)
{
    const char *key;
    json_t *v;
    if (!json_is_object(doc)) {
        cr_error_set("quotas: expected {\"profile\": \"aws\"|\"none\", \"scale\": N, \"quota\": "
                     "[\"OPERATION=RPS[:BURST]\", ...]}");
        return CR_EINVALID;
    }
    json_object_foreach(doc, key, v)
    {
        if (strcmp(key, "profile") != 0 && strcmp(key, "scale") != 0 && strcmp(key, "quota") != 0) {
            cr_error_set("quotas: unknown member '%s' (profile, scale, quota)", key);
            return CR_EINVALID;
        }
    }
    json_t *profile = json_object_get(doc, "profile"), *scale = json_object_get(doc, "scale");
    json_t *rules = json_object_get(doc, "quota");
    if ((profile && !json_is_string(profile)) || (scale && !json_is_number(scale)) ||
        (rules && !json_is_array(rules))) {
        cr_error_set("quotas: profile must be a string, scale a number, quota an array of "
                     "\"OPERATION=RPS[:BURST]\" strings");
        return CR_EINVALID;
    }
    if (cr__emu_quota_profile(c, profile ? json_string_value(profile) : "none",
                              scale ? json_number_value(scale) : 1.0) != 0)
        return CR_EINVALID;
    size_t i;
    json_array_foreach(rules, i, v)
    {
        if (!json_is_string(v)) {
            cr_error_set("quotas: quota[%zu]: expected a string OPERATION=RPS[:BURST]", i);
            return CR_EINVALID;
        }
        if (cr__emu_quota_rule(c, json_string_value(v)) != 0)
            return CR_EINVALID;
    }
    return 0;
}

int cr__emu_quota_parse_json(struct cr_emu_quota_config *c, const char *text, size_t len)
{
    json_error_t jerr;
    json_t *doc = json_loadb(text ? text : "", len, JSON_REJECT_DUPLICATES, &jerr);
    if (!doc) {
        cr_error_set("quotas: invalid JSON at %d:%d: %s", jerr.line, jerr.column, jerr.text);
        return CR_EINVALID;
    }
    int rc = s_parse_json_doc(c, doc);
    json_decref(doc);
    return rc;
}

static uint64_t s_clock_default(void *ctx)
{
    (void)ctx;
    return cr_now_ms();
}

void cr__emu_quotas_init(struct cr_emu_quotas *q)
{
    memset(q, 0, sizeof(*q));
    pthread_mutex_init(&q->lock, NULL);
    (void)!cr__emu_quota_profile(&q->config, "none", 1.0); /* a known profile: cannot fail */
    q->clock_ms = s_clock_default;
}

void cr__emu_quotas_dispose(struct cr_emu_quotas *q)
{
    free(q->buckets);
    q->buckets = NULL;
    q->len = q->cap = 0;
    pthread_mutex_destroy(&q->lock);
}

void cr__emu_quotas_set(struct cr_emu_quotas *q, const struct cr_emu_quota_config *c)
{
    pthread_mutex_lock(&q->lock);
    q->config = *c;
    q->len = 0; /* new rates: every bucket starts full again, counters from zero */
    pthread_mutex_unlock(&q->lock);
}

/* The bucket of (account, region, op), created full on first use; NULL when out of memory. */
static struct cr_emu_quota_bucket *s_bucket(struct cr_emu_quotas *q, const char *account,
                                            const char *region, size_t op, uint64_t now)
{
    for (size_t i = 0; i < q->len; i++) {
        struct cr_emu_quota_bucket *b = &q->buckets[i];
        if (b->op == op && strcmp(b->region, region) == 0 && strcmp(b->account, account) == 0)
            return b;
    }
    if (cr_array_reserve(&q->buckets, &q->cap, q->len, sizeof(*q->buckets), 32) != 0)
        return NULL;
    struct cr_emu_quota_bucket *b = &q->buckets[q->len++];
    memset(b, 0, sizeof(*b));
    snprintf(b->account, sizeof(b->account), "%s", account);
    snprintf(b->region, sizeof(b->region), "%s", region);
    b->op = op;
    cr_ratelimit_init(&b->bucket, q->config.rate[op], q->config.burst[op], now);
    return b;
}

bool cr__emu_quotas_admit(struct cr_emu_quotas *q, const char *account, const char *region,
                          const char *operation)
{
    const struct cr_quota *op = cr_quota_find(operation);
    bool admit = true;
    if (!op || s_index(op) >= CR_EMU_QUOTA_OPS)
        return true;
    size_t i = s_index(op);
    pthread_mutex_lock(&q->lock);
    if (q->config.rate[i] > 0.0) {
        uint64_t now = q->clock_ms(q->clock_ctx);
        struct cr_emu_quota_bucket *b =
            s_bucket(q, account ? account : "", region ? region : "", i, now);
        /* out of memory for a new bucket: serve rather than refuse (the quota is a model) */
        admit = !b || cr_ratelimit_try_acquire(&b->bucket, now) == 0;
        if (b && admit)
            b->allowed++;
        else if (b)
            b->throttled++;
    }
    pthread_mutex_unlock(&q->lock);
    return admit;
}

/* The operations with a rate, as [{"operation","rate","burst","published"}]. */
static json_t *s_rates_json(const struct cr_emu_quota_config *c)
{
    size_t n;
    const struct cr_quota *table = cr_quota_table(&n);
    json_t *arr = json_array();
    for (size_t i = 0; arr && i < n && i < CR_EMU_QUOTA_OPS; i++) {
        if (c->rate[i] <= 0.0)
            continue;
        json_array_append_new(arr, json_pack("{s:s, s:f, s:f, s:b}", "operation",
                                             table[i].operation, "rate", c->rate[i], "burst",
                                             c->burst[i], "published", table[i].published));
    }
    return arr;
}

json_t *cr__emu_quotas_json(struct cr_emu_quotas *q)
{
    size_t n;
    const struct cr_quota *table = cr_quota_table(&n);
    json_t *buckets = json_array(), *rules = json_array();
    pthread_mutex_lock(&q->lock);
    for (size_t i = 0; buckets && i < q->len; i++) {
        const struct cr_emu_quota_bucket *b = &q->buckets[i];
        json_array_append_new(
            buckets, json_pack("{s:s, s:s, s:s, s:I, s:I}", "account", b->account, "region",
                               b->region, "operation", table[b->op].operation, "allowed",
                               (json_int_t)b->allowed, "throttled", (json_int_t)b->throttled));
    }
    for (size_t i = 0; rules && i < q->config.n_rules; i++)
        json_array_append_new(rules, json_string(q->config.rules[i]));
    json_t *doc = json_pack("{s:s, s:f, s:o, s:o, s:o}", "profile", q->config.profile, "scale",
                            q->config.scale, "quota", rules, "rates", s_rates_json(&q->config),
                            "buckets", buckets);
    pthread_mutex_unlock(&q->lock);
    return doc;
}
