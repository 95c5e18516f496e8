/* SPDX-License-Identifier: Apache-2.0 */
/*
 * Fault injection rules (curl's test server takes per-test instructions the same way).
 *
 * A rule matches one operation (or "*"). Each request of that operation is delayed by
 * latency_ms plus a uniform jitter in [0, jitter_ms], then fails with the first effect whose
 * rate roll succeeds, in the order drop, hang, throttle, error. A hang holds the answer for
 * hang_ms and then closes the connection without one: what a client sees when the service
 * times out (unlike a plain drop, which HTTP clients may silently retry on a reused
 * connection). A rule with a count fires that many
 * more times (a request it delays or fails counts once) and then disappears, so tests can
 * say "the next 2 DescribeIdentityPool calls throttle". A rule with an account applies to the
 * requests of that account only (the caller's, from its access key), so a test can break one
 * account of a multi-account run. Rules for the exact operation are consulted before "*"
 * rules; the first rule that fires decides.
 */
#include <ctype.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "emulator/internal.h"
#include "schema/constraints.h"
#include "util/array.h"
#include "util/strutil.h"

static void s_fault_defaults(struct cr_emu_fault *f)
{
    memset(f, 0, sizeof(*f));
    f->count = -1;
    f->status = 500;
    f->hang_ms = 30000;
    snprintf(f->type, sizeof(f->type), "InternalErrorException");
}

static int s_push(struct cr_emu_faults *faults, const struct cr_emu_fault *f)
{
    if (cr_array_reserve(&faults->items, &faults->cap, faults->len, sizeof(*faults->items), 8)) {
        cr_error_set("out of memory");
        return CR_ENOMEM;
    }
    faults->items[faults->len++] = *f;
    return 0;
}

static int s_rate(double *out, const char *key, double v)
{
    if (!(v >= 0.0 && v <= 1.0)) {
        cr_error_set("fault '%s': rate must be between 0 and 1", key);
        return CR_EINVALID;
    }
    *out = v;
    return 0;
}

static int s_ms(uint32_t *out, const char *key, double v)
{
    if (!(v >= 0.0 && v <= 600000.0)) {
        cr_error_set("fault '%s': must be between 0 and 600000 ms", key);
        return CR_EINVALID;
    }
    *out = (uint32_t)v;
    return 0;
}

/* One key=value (both from a flag spec and from JSON, numbers given as double). */
static int s_set(struct cr_emu_fault *f, const char *key, double num, const char *str)
{
    if (strcmp(key, "latency_ms") == 0 || strcmp(key, "latency") == 0)
        return s_ms(&f->latency_ms, key, num);
    if (strcmp(key, "jitter_ms") == 0 || strcmp(key, "jitter") == 0)
        return s_ms(&f->jitter_ms, key, num);
    if (strcmp(key, "throttle") == 0)
        return s_rate(&f->throttle, key, num);
    if (strcmp(key, "error") == 0 || strcmp(key, "5xx") == 0)
        return s_rate(&f->error, key, num);
    if (strcmp(key, "drop") == 0)
        return s_rate(&f->drop, key, num);
    if (strcmp(key, "hang") == 0)
        return s_rate(&f->hang, key, num);
    if (strcmp(key, "hang_ms") == 0) {
        if (f->hang == 0.0)
            f->hang = 1.0; /* giving a duration asks for the hang */
        return s_ms(&f->hang_ms, key, num);
    }
    if (strcmp(key, "after") == 0) {
        f->after = num != 0.0;
        return 0;
    }
    if (strcmp(key, "count") == 0) {
        if (!(num >= 1.0 && num <= 1e9)) {
            cr_error_set("fault 'count': must be a positive integer");
            return CR_EINVALID;
        }
        f->count = (long)num;
        return 0;
    }
    if (strcmp(key, "status") == 0) {
        if (!(num >= 400.0 && num <= 599.0)) {
            cr_error_set("fault 'status': must be 400..599");
            return CR_EINVALID;
        }
        f->status = (int)num;
        return 0;
    }
    if (strcmp(key, "type") == 0 && str) {
        snprintf(f->type, sizeof(f->type), "%s", str);
        return 0;
    }
    if (strcmp(key, "message") == 0 && str) {
        snprintf(f->message, sizeof(f->message), "%s", str);
        return 0;
    }
    if (strcmp(key, "account") == 0) {
        if (!str || strlen(str) != 12 || strspn(str, "0123456789") != 12) {
            cr_error_set("fault 'account': must be a 12-digit account id (quoted in JSON)");
            return CR_EINVALID;
        }
        snprintf(f->account, sizeof(f->account), "%s", str);
        return 0;
    }
    cr_error_set("fault: unknown key '%s' (latency_ms, jitter_ms, throttle, error, drop, hang, "
                 "hang_ms, count, after, type, status, message, account)",
                 key);
    return CR_EINVALID;
}

/* The credential endpoints' operations (emulator/metadata.c, sso.c): faults name them one by
 * one; "*" means the API's operations and leaves them alone, so a test that throttles
 * everything still gets its credentials. */
static const char *const s_credential_ops[] = {"IMDSToken",          "IMDSRole",
                                               "IMDSCredentials",    "IMDSMetadata",
                                               "ContainerCredentials", "GetRoleCredentials"};

static bool s_credential_op(const char *name)
{
    for (size_t i = 0; i < sizeof(s_credential_ops) / sizeof(s_credential_ops[0]); i++) {
        if (strcmp(name, s_credential_ops[i]) == 0)
            return true;
    }
    return false;
}

/* A rule for an operation that does not exist would never fire: a test would pass for the
 * wrong reason, so refuse it (with a suggestion for a typo). */
static int s_check_operation(const char *name, const char *where)
{
    size_t n, n_s3, len = 0;
    const struct cr_operation *ops = cr_operation_all(&n);
    const char *const *s3 = cr__emu_s3_operations(&n_s3);
    const char *names[64];
    if (strcmp(name, "*") == 0 || cr_operation_find(name) || cr__emu_s3_operation(name) ||
        s_credential_op(name))
        return 0;
    for (size_t i = 0; i < n && len < 48; i++)
        names[len++] = ops[i].name;
    for (size_t i = 0; i < n_s3 && len < 48; i++)
        names[len++] = s3[i];
    for (size_t i = 0; i < sizeof(s_credential_ops) / sizeof(s_credential_ops[0]); i++)
        names[len++] = s_credential_ops[i];
    const char *hint = cr_str_suggest(name, names, len);
    cr_error_set("%s: unknown operation '%s'%s%s%s", where, name, hint ? " (did you mean '" : "",
                 hint ? hint : "", hint ? "'?)" : "");
    return CR_EINVALID;
}

/* With a count and no rate given, the rule fires every time until the count runs out. */
static void s_finish(struct cr_emu_fault *f)
{
    if (f->count > 0 && f->throttle == 0.0 && f->error == 0.0 && f->drop == 0.0 && f->hang == 0.0 &&
        f->latency_ms == 0 && f->jitter_ms == 0)
        f->error = 1.0;
}

static int s_parse_json_rule(struct cr_emu_fault *f, json_t *rule, size_t index)
{
    const char *key;
    json_t *v;
    s_fault_defaults(f);
    if (!json_is_object(rule)) {
        cr_error_set("faults[%zu]: expected an object", index);
        return CR_EINVALID;
    }
    json_object_foreach(rule, key, v)
    {
        if (strcmp(key, "operation") == 0 && json_is_string(v)) {
            snprintf(f->operation, sizeof(f->operation), "%s", json_string_value(v));
            continue;
        }
        double num = json_is_boolean(v) ? (json_is_true(v) ? 1.0 : 0.0) : json_number_value(v);
        if (!json_is_number(v) && !json_is_boolean(v) && !json_is_string(v)) {
            cr_error_set("faults[%zu].%s: expected a number, boolean or string", index, key);
            return CR_EINVALID;
        }
        if (s_set(f, key, num, json_string_value(v)) != 0) {
            cr_error_prefix("faults[%zu]", index);
            return CR_EINVALID;
        }
    }
    if (f->operation[0] == '\0') {
        cr_error_set("faults[%zu]: 'operation' (a name or \"*\") is required", index);
        return CR_EINVALID;
    }
    char where[64];
    snprintf(where, sizeof(where), "faults[%zu].operation", index);
    if (s_check_operation(f->operation, where) != 0)
        return CR_EINVALID;
    s_finish(f);
    return 0;
}

static int s_parse_json(struct cr_emu_faults *faults, const char *spec)
{
    int result = CR_EINVALID;
    json_error_t jerr;
    json_t *doc = json_loads(spec, JSON_REJECT_DUPLICATES, &jerr);
    json_t *rules = json_is_object(doc) ? json_object_get(doc, "faults") : doc;
    size_t i;
    json_t *rule;
    struct cr_emu_fault f;
    if (!doc) {
        cr_error_set("faults: invalid JSON at %d:%d: %s", jerr.line, jerr.column, jerr.text);
        goto done;
    }
    if (!json_is_array(rules)) {
        cr_error_set("faults: expected an array of rules or {\"faults\": [...]}");
        goto done;
    }
    json_array_foreach(rules, i, rule)
    {
        if (s_parse_json_rule(&f, rule, i) != 0)
            goto done;
        if (s_push(faults, &f) != 0) {
            result = CR_ENOMEM;
            goto done;
        }
    }
    result = 0;
done:
    json_decref(doc);
    return result;
}

/* `Op:key=value,key=value` */
static int s_parse_flag(struct cr_emu_faults *faults, const char *spec)
{
    struct cr_emu_fault f;
    char buf[1024];
    char *save = NULL;
    const char *colon = strchr(spec, ':');
    s_fault_defaults(&f);
    if (!colon || colon == spec || (size_t)(colon - spec) >= sizeof(f.operation) ||
        strlen(colon + 1) >= sizeof(buf)) {
        cr_error_set("fault '%s': expected OPERATION:key=value[,key=value...]", spec);
        return CR_EINVALID;
    }
    memcpy(f.operation, spec, (size_t)(colon - spec));
    f.operation[colon - spec] = '\0';
    if (s_check_operation(f.operation, "operation") != 0) {
        cr_error_prefix("fault '%s'", spec);
        return CR_EINVALID;
    }
    snprintf(buf, sizeof(buf), "%s", colon + 1);
    for (char *tok = strtok_r(buf, ",", &save); tok; tok = strtok_r(NULL, ",", &save)) {
        char *eq = strchr(tok, '=');
        char *end = NULL;
        if (!eq) {
            cr_error_set("fault '%s': '%s' is not key=value", spec, tok);
            return CR_EINVALID;
        }
        *eq = '\0';
        double num = strtod(eq + 1, &end);
        if (strcmp(eq + 1, "true") == 0)
            num = 1.0;
        else if (end == eq + 1 || *end != '\0')
            num = -1.0; /* not a number: only type/message accept it */
        if (s_set(&f, tok, num, eq + 1) != 0) {
            cr_error_prefix("fault '%s'", spec);
            return CR_EINVALID;
        }
    }
    s_finish(&f);
    return s_push(faults, &f);
}

int cr__emu_faults_parse(struct cr_emu_faults *faults, const char *spec)
{
    const char *p = spec;
    while (isspace((unsigned char)*p))
        p++;
    if (*p == '[' || *p == '{')
        return s_parse_json(faults, spec);
    return s_parse_flag(faults, spec);
}

static bool s_roll(double rate, double (*rnd01)(void))
{
    if (rate <= 0.0)
        return false;
    return rate >= 1.0 || rnd01() < rate;
}

/* Applies rule f to the action; true when it fired. */
static bool s_apply(struct cr_emu_fault_action *out, const struct cr_emu_fault *f,
                    double (*rnd01)(void))
{
    bool fired = false;
    if (f->latency_ms || f->jitter_ms) {
        out->delay_ms = f->latency_ms + (uint32_t)(rnd01() * (double)(f->jitter_ms + 1));
        fired = true;
    }
    if (s_roll(f->drop, rnd01))
        out->kind = CR_EMU_FAULT_DROP;
    else if (s_roll(f->hang, rnd01))
        out->kind = CR_EMU_FAULT_HANG;
    else if (s_roll(f->throttle, rnd01))
        out->kind = CR_EMU_FAULT_THROTTLE;
    else if (s_roll(f->error, rnd01))
        out->kind = CR_EMU_FAULT_ERROR;
    if (out->kind == CR_EMU_FAULT_NONE)
        return fired;
    out->after = f->after;
    out->hang_ms = f->hang_ms;
    out->status = out->kind == CR_EMU_FAULT_THROTTLE ? 400 : f->status;
    snprintf(out->type, sizeof(out->type), "%s",
             out->kind == CR_EMU_FAULT_THROTTLE ? "TooManyRequestsException" : f->type);
    snprintf(out->message, sizeof(out->message), "%s",
             f->message[0]                        ? f->message
             : out->kind == CR_EMU_FAULT_THROTTLE ? "Rate exceeded"
                                                  : "An internal error occurred (injected fault).");
    return true;
}

void cr__emu_faults_decide(struct cr_emu_fault_action *out, struct cr_emu_faults *faults,
                           const char *op, const char *account, double (*rnd01)(void))
{
    memset(out, 0, sizeof(*out));
    for (int pass = 0; pass < 2; pass++) {
        for (size_t i = 0; i < faults->len; i++) {
            struct cr_emu_fault *f = &faults->items[i];
            if (f->account[0] != '\0' && (account == NULL || strcmp(f->account, account) != 0))
                continue;
            bool exact = strcmp(f->operation, op) == 0;
            if (pass == 0 ? !exact : strcmp(f->operation, "*") != 0 || s_credential_op(op))
                continue;
            if (!s_apply(out, f, rnd01))
                continue;
            if (f->count > 0 && --f->count == 0) {
                memmove(f, f + 1, (faults->len - i - 1) * sizeof(*f));
                faults->len--;
            }
            return;
        }
    }
}

json_t *cr__emu_faults_json(const struct cr_emu_faults *faults)
{
    json_t *arr = json_array();
    for (size_t i = 0; arr && i < faults->len; i++) {
        const struct cr_emu_fault *f = &faults->items[i];
        json_t *o = json_pack("{s:s, s:i, s:i, s:f, s:f, s:f, s:b, s:s, s:i}", "operation",
                              f->operation, "latency_ms", (int)f->latency_ms, "jitter_ms",
                              (int)f->jitter_ms, "throttle", f->throttle, "error", f->error, "drop",
                              f->drop, "after", f->after, "type", f->type, "status", f->status);
        if (o && f->count >= 0)
            json_object_set_new(o, "count", json_integer(f->count));
        if (o && f->message[0])
            json_object_set_new(o, "message", json_string(f->message));
        if (o && f->account[0])
            json_object_set_new(o, "account", json_string(f->account));
        if (!o || json_array_append_new(arr, o) != 0) {
            json_decref(arr);
            return NULL;
        }
    }
    return arr;
}

void cr__emu_faults_dispose(struct cr_emu_faults *faults)
{
    free(faults->items);
    memset(faults, 0, sizeof(*faults));
}
