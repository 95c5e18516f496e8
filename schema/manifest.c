/* SPDX-License-Identifier: Apache-2.0 */
/* Manifest sets, diagnostics, and the YAML tree -> struct cr_model_pool conversion (types,
 * unknown and missing keys). Value constraints live in validate.c. */
#include "schema/manifest.h"

#include <ctype.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <pthread.h>
#include <string.h>
#include <unistd.h>

#include "schema/manifest_internal.h"
#include "schema/yaml.h"
#include "util/array.h"
#include "util/strutil.h"

/* ---- diagnostics and paths ---- */

/* A message cut by the buffer may end inside a UTF-8 sequence: drop the partial character,
 * so the text stays valid UTF-8 (JSON output requires it). */
static void s_trim_utf8(char *msg)
{
    size_t len = strlen(msg), start = len;
    while (start > 0 && ((unsigned char)msg[start - 1] & 0xC0) == 0x80)
        start--;
    if (start == 0)
        return;
    unsigned char lead = (unsigned char)msg[start - 1];
    size_t need = lead >= 0xF0 ? 4 : lead >= 0xE0 ? 3 : lead >= 0xC0 ? 2 : 1;
    if (len - (start - 1) < need)
        msg[start - 1] = '\0';
}

static void s_vdiag(struct cr_mctx *ctx, struct cr_loc loc, bool prefix, const char *fmt,
                    va_list ap)
{
    struct cr_manifest_set *set = ctx->set;
    char msg[1024], path[CR_MANIFEST_PATH_MAX];
    size_t off = 0;
    size_t path_len = cr_manifest__path_render(ctx, ctx->depth, path, sizeof(path));
    if (prefix && path_len > 0)
        off = (size_t)snprintf(msg, sizeof(msg), "%s: ", path);
    if (off < sizeof(msg))
        vsnprintf(msg + off, sizeof(msg) - off, fmt, ap);
    s_trim_utf8(msg);
    if (set->n_diagnostics >= set->opts.max_diagnostics) {
        set->truncated = true;
        return;
    }
    if (cr_array_reserve(&set->diagnostics, &set->cap_diagnostics, set->n_diagnostics,
                         sizeof(*set->diagnostics), 16) != 0) {
        ctx->rc = CR_ENOMEM;
        return;
    }
    struct cr_diagnostic *d = &set->diagnostics[set->n_diagnostics];
    d->file = ctx->file;
    d->line = loc.line;
    d->column = loc.column;
    d->file_index = ctx->file_index;
    d->path = cr_arena_strndup(&set->arena, path, path_len);
    d->message = cr_arena_strdup(&set->arena, msg);
    if (d->path == NULL || d->message == NULL) {
        ctx->rc = CR_ENOMEM;
        return;
    }
    set->n_diagnostics++;
}

void cr_manifest__diag(struct cr_mctx *ctx, struct cr_loc loc, const char *fmt, ...)
{
    va_list ap;
    va_start(ap, fmt);
    s_vdiag(ctx, loc, false, fmt, ap);
    va_end(ap);
}

void cr_manifest__field_diag(struct cr_mctx *ctx, struct cr_loc loc, const char *fmt, ...)
{
    va_list ap;
    va_start(ap, fmt);
    s_vdiag(ctx, loc, true, fmt, ap);
    va_end(ap);
}

int cr_manifest__warn(struct cr_manifest_set *set, const char *file, size_t file_index,
                      struct cr_loc loc, const char *path, const char *fmt, ...)
{
    char msg[1024];
    va_list ap;
    va_start(ap, fmt);
    vsnprintf(msg, sizeof(msg), fmt, ap);
    va_end(ap);
    s_trim_utf8(msg);
    if (cr_array_reserve(&set->warnings, &set->cap_warnings, set->n_warnings,
                         sizeof(*set->warnings), 4) != 0)
        return CR_ENOMEM;
    struct cr_diagnostic *w = &set->warnings[set->n_warnings];
    *w = (struct cr_diagnostic){file, loc.line, loc.column, cr_arena_strdup(&set->arena, path),
                                cr_arena_strdup(&set->arena, msg), file_index};
    if (w->path == NULL || w->message == NULL)
        return CR_ENOMEM;
    set->n_warnings++;
    return 0;
}

static size_t s_path_push(struct cr_mctx *ctx, int kind, const char *text, size_t n)
{
    size_t old = ctx->depth;
    if (ctx->depth < CR_MANIFEST_PATH_DEPTH) {
        ctx->path[ctx->depth].kind = kind;
        ctx->path[ctx->depth].text = text;
        ctx->path[ctx->depth].n = n;
    }
    ctx->depth++;
    return old;
}

size_t cr_manifest__path_field(struct cr_mctx *ctx, const char *name)
{
    return s_path_push(ctx, CR_MPATH_FIELD, name, 0);
}

size_t cr_manifest__path_index(struct cr_mctx *ctx, size_t i)
{
    return s_path_push(ctx, CR_MPATH_INDEX, NULL, i);
}

size_t cr_manifest__path_key(struct cr_mctx *ctx, const char *key, size_t len)
{
    return s_path_push(ctx, CR_MPATH_KEY, key, len);
}

void cr_manifest__path_pop(struct cr_mctx *ctx, size_t depth)
{
    ctx->depth = depth;
}

/* Appends text to out[*len..cap), cutting it at the end of the buffer. */
static void s_put(char *out, size_t cap, size_t *len, const char *text)
{
    size_t n = strlen(text);
    if (*len + n >= cap)
        n = cap - 1 - *len;
    memcpy(out + *len, text, n);
    *len += n;
    out[*len] = '\0';
}

size_t cr_manifest__path_render(const struct cr_mctx *ctx, size_t depth, char *out, size_t cap)
{
    size_t len = 0;
    char text[210];
    out[0] = '\0';
    if (depth > CR_MANIFEST_PATH_DEPTH)
        depth = CR_MANIFEST_PATH_DEPTH;
    for (size_t i = 0; i < depth; i++) {
        const struct cr_mpath_seg *seg = &ctx->path[i];
        switch (seg->kind) {
        case CR_MPATH_INDEX:
            snprintf(text, sizeof(text), "[%zu]", seg->n);
            break;
        case CR_MPATH_KEY:
            memcpy(text, "[\"", 2);
            cr_manifest__quote(text + 2, sizeof(text) - 4, seg->text, seg->n);
            memcpy(text + strlen(text), "\"]", 3);
            break;
        case CR_MPATH_FIELD:
        default:
            snprintf(text, sizeof(text), "%s%s", i > 0 ? "." : "", seg->text);
            break;
        }
        s_put(out, cap, &len, text);
    }
    return len;
}

const char *cr_manifest__quote(char *out, size_t cap, const char *s, size_t len)
{
    return cr_yaml__quote(out, cap, s, len);
}

/* ---- conversion helpers ---- */

static const char *s_describe(const struct cr_ynode *node, char *buf, size_t cap)
{
    char q[100];
    if (node->kind == CR_YNODE_MAP)
        return "a mapping";
    if (node->kind == CR_YNODE_SEQ)
        return "a list";
    if (cr_yaml__is_null(node))
        return "null";
    if (cr_yaml__bool_value(node) >= 0)
        snprintf(buf, cap, "the boolean %s", node->value);
    else if (cr_yaml__is_number(node))
        snprintf(buf, cap, "the number %s",
                 cr_manifest__quote(q, sizeof(q), node->value, node->len));
    else
        snprintf(buf, cap, "the string \"%s\"",
                 cr_manifest__quote(q, sizeof(q), node->value, node->len));
    return buf;
}

static bool s_tag_ok(struct cr_mctx *ctx, const struct cr_ynode *node, const char *allowed)
{
    if (node->tag == NULL || strcmp(node->tag, allowed) == 0 || strcmp(node->tag, "!") == 0)
        return true;
    char q[100];
    cr_manifest__field_diag(ctx, node->loc, "unsupported YAML tag '%s'",
                            cr_manifest__quote(q, sizeof(q), node->tag, strlen(node->tag)));
    return false;
}

static bool s_str(struct cr_mctx *ctx, struct cr_model_str *out, const struct cr_ynode *key,
                  const struct cr_ynode *val)
{
    char d[160], q[100];
    if (val->kind != CR_YNODE_SCALAR || cr_yaml__is_null(val)) {
        cr_manifest__field_diag(ctx, val->loc, "expected a string, got %s",
                                s_describe(val, d, sizeof(d)));
        return false;
    }
    if (!s_tag_ok(ctx, val, "tag:yaml.org,2002:str"))
        return false;
    if (cr_yaml__bool_value(val) >= 0 || cr_yaml__is_number(val)) {
        cr_manifest__field_diag(ctx, val->loc, "expected a string, got %s (quote it: \"%s\")",
                                s_describe(val, d, sizeof(d)),
                                cr_manifest__quote(q, sizeof(q), val->value, val->len));
        return false;
    }
    out->value = cr_arena_strndup(&ctx->set->arena, val->value, val->len);
    if (out->value == NULL) {
        ctx->rc = CR_ENOMEM;
        return false;
    }
    out->len = val->len;
    out->loc = val->loc;
    if (key != NULL)
        out->key_loc = key->loc;
    return true;
}

static bool s_is_yaml11_bool(const struct cr_ynode *val)
{
    static const char *const words[] = {"yes", "no", "on", "off", "y", "n"};
    if (val->kind != CR_YNODE_SCALAR || !val->plain)
        return false;
    for (size_t i = 0; i < sizeof(words) / sizeof(words[0]); i++)
        if (strlen(words[i]) == val->len && strncasecmp(words[i], val->value, val->len) == 0)
            return true;
    return false;
}

static bool s_bool(struct cr_mctx *ctx, struct cr_model_bool *out, const struct cr_ynode *key,
                   const struct cr_ynode *val)
{
    char d[160];
    int v = cr_yaml__bool_value(val);
    if (v >= 0) {
        out->value = v ? CR_TRI_TRUE : CR_TRI_FALSE;
        out->loc = val->loc;
        out->key_loc = key->loc;
        return true;
    }
    if (s_is_yaml11_bool(val))
        cr_manifest__field_diag(ctx, val->loc,
                                "expected true or false, got '%s' (YAML 1.1 spellings such as "
                                "yes/no/on/off are not booleans here)",
                                val->value);
    else if (val->kind == CR_YNODE_SCALAR && !val->plain &&
             (strcmp(val->value, "true") == 0 || strcmp(val->value, "false") == 0))
        cr_manifest__field_diag(ctx, val->loc,
                                "expected true or false, got the string \"%s\" (remove the "
                                "quotes)",
                                val->value);
    else
        cr_manifest__field_diag(ctx, val->loc, "expected true or false, got %s",
                                s_describe(val, d, sizeof(d)));
    return false;
}

static bool s_expect(struct cr_mctx *ctx, const struct cr_ynode *val, enum cr_ynode_kind kind)
{
    char d[160];
    if (val->kind == kind)
        return s_tag_ok(ctx, val,
                        kind == CR_YNODE_MAP ? "tag:yaml.org,2002:map" : "tag:yaml.org,2002:seq");
    const char *want = kind == CR_YNODE_MAP ? "a mapping" : "a list";
    const char *hint = "";
    if (cr_yaml__is_null(val))
        hint = kind == CR_YNODE_MAP ? " (write {} for an empty mapping)"
                                    : " (write [] for an empty list)";
    cr_manifest__field_diag(ctx, val->loc, "expected %s, got %s%s", want,
                            s_describe(val, d, sizeof(d)), hint);
    return false;
}

/* A map key as a string: keys must be non-empty and not null. */
static bool s_key(struct cr_mctx *ctx, struct cr_model_str *out, const struct cr_ynode *key)
{
    if (cr_yaml__is_null(key)) {
        cr_manifest__field_diag(ctx, key->loc, "empty or null key");
        return false;
    }
    out->value = cr_arena_strndup(&ctx->set->arena, key->value, key->len);
    if (out->value == NULL) {
        ctx->rc = CR_ENOMEM;
        return false;
    }
    out->len = key->len;
    out->loc = key->loc;
    out->key_loc = key->loc;
    return true;
}

static void s_map_of_str(struct cr_mctx *ctx, struct cr_model_map *out, const struct cr_ynode *key,
                         const struct cr_ynode *val)
{
    if (!s_expect(ctx, val, CR_YNODE_MAP))
        return;
    out->present = true;
    out->loc = val->loc;
    out->key_loc = key->loc;
    out->items = cr_arena_alloc(&ctx->set->arena, (val->n + 1) * sizeof(*out->items));
    if (out->items == NULL) {
        ctx->rc = CR_ENOMEM;
        return;
    }
    for (size_t i = 0; i < val->n; i++) {
        struct cr_model_entry *e = &out->items[out->len];
        size_t mark = cr_manifest__path_key(ctx, val->items[i]->value, val->items[i]->len);
        bool ok = s_key(ctx, &e->key, val->items[i]) &&
                  s_str(ctx, &e->value, val->items[i], val->values[i]);
        cr_manifest__path_pop(ctx, mark);
        if (ok)
            out->len++;
    }
}

static void s_list_of_str(struct cr_mctx *ctx, struct cr_model_list *out,
                          const struct cr_ynode *key, const struct cr_ynode *val)
{
    if (!s_expect(ctx, val, CR_YNODE_SEQ))
        return;
    out->present = true;
    out->loc = val->loc;
    out->key_loc = key->loc;
    out->items = cr_arena_alloc(&ctx->set->arena, (val->n + 1) * sizeof(*out->items));
    if (out->items == NULL) {
        ctx->rc = CR_ENOMEM;
        return;
    }
    for (size_t i = 0; i < val->n; i++) {
        size_t mark = cr_manifest__path_index(ctx, i);
        if (s_str(ctx, &out->items[out->len], NULL, val->items[i]))
            out->len++;
        cr_manifest__path_pop(ctx, mark);
    }
}

/* ---- structures: a table of keys per mapping ---- */

#define S_MAX_FIELDS 16

/* "unknown key 'q' in <path>" for a key no field of this mapping has (no close name). */
static void s_unknown_in(struct cr_mctx *ctx, struct cr_loc loc, const char *q, size_t depth)
{
    char where[CR_MANIFEST_PATH_MAX];
    cr_manifest__path_render(ctx, depth, where, sizeof(where));
    cr_manifest__diag(ctx, loc, "unknown key '%s' in %s", q, where);
}

/* Converts the mapping val into obj by the field table; reports unknown and missing keys. */
/* Reports key k, which no field of fields[n] has, with a close field name when there is one;
 * returns the index of that suggested field, or n. */
static size_t s_unknown_key(struct cr_mctx *ctx, const struct cr_ynode *k,
                            const struct cr_mfield *fields, size_t n)
{
    const char *names[S_MAX_FIELDS];
    char q[100];
    for (size_t f = 0; f < n; f++)
        names[f] = fields[f].key;
    const char *hint = cr_str_suggest(k->value, names, n);
    cr_manifest__quote(q, sizeof(q), k->value, k->len);
    size_t mark = cr_manifest__path_field(ctx, q);
    if (hint != NULL)
        cr_manifest__diag(ctx, k->loc, "unknown key '%s' (did you mean '%s'?)", q, hint);
    else if (mark > 0)
        s_unknown_in(ctx, k->loc, q, mark);
    else
        cr_manifest__diag(ctx, k->loc, "unknown key '%s'", q);
    cr_manifest__path_pop(ctx, mark);
    size_t f = 0;
    while (hint != NULL && f < n && names[f] != hint)
        f++;
    return hint != NULL ? f : n;
}

/* Converts the value of one known field into its slot of obj. */
static void s_field_value(struct cr_mctx *ctx, void *obj, const struct cr_mfield *field,
                          const struct cr_ynode *k, const struct cr_ynode *v)
{
    void *slot = (char *)obj + field->offset;
    size_t mark = cr_manifest__path_field(ctx, field->key);
    switch (field->kind) {
    case CR_MFIELD_STR:
        s_str(ctx, slot, k, v);
        break;
    case CR_MFIELD_BOOL:
        s_bool(ctx, slot, k, v);
        break;
    case CR_MFIELD_MAP:
        s_map_of_str(ctx, slot, k, v);
        break;
    case CR_MFIELD_LIST:
        s_list_of_str(ctx, slot, k, v);
        break;
    case CR_MFIELD_FN:
    default:
        field->custom(ctx, obj, k, v);
        break;
    }
    cr_manifest__path_pop(ctx, mark);
}

static bool s_struct(struct cr_mctx *ctx, void *obj, const struct cr_ynode *val,
                     const struct cr_mfield *fields, size_t n)
{
    /* seen: written, or misspelt with a "did you mean" naming it (one mistake, one message:
     * no "missing required key" for the field the typo was meant to be). */
    bool seen[S_MAX_FIELDS] = {false};
    if (!s_expect(ctx, val, CR_YNODE_MAP))
        return false;
    for (size_t i = 0; i < val->n; i++) {
        const struct cr_ynode *k = val->items[i], *v = val->values[i];
        size_t f = 0;
        while (f < n && strcmp(fields[f].key, k->value) != 0)
            f++;
        if (f == n) {
            size_t meant = s_unknown_key(ctx, k, fields, n);
            if (meant < n)
                seen[meant] = true;
            continue;
        }
        seen[f] = true;
        s_field_value(ctx, obj, &fields[f], k, v);
    }
    for (size_t f = 0; f < n; f++)
        if (fields[f].required && !seen[f])
            cr_manifest__field_diag(ctx, val->loc, "missing required key '%s'%s", fields[f].key,
                                    fields[f].why ? fields[f].why : "");
    return true;
}

/* The conversion helpers, for the converters of the other kinds (manifest_internal.h). */

const char *cr_manifest__describe(const struct cr_ynode *node, char *buf, size_t cap)
{
    return s_describe(node, buf, cap);
}

bool cr_manifest__str(struct cr_mctx *ctx, struct cr_model_str *out, const struct cr_ynode *key,
                      const struct cr_ynode *val)
{
    return s_str(ctx, out, key, val);
}

bool cr_manifest__expect(struct cr_mctx *ctx, const struct cr_ynode *val, enum cr_ynode_kind kind)
{
    return s_expect(ctx, val, kind);
}

bool cr_manifest__key(struct cr_mctx *ctx, struct cr_model_str *out, const struct cr_ynode *key)
{
    return s_key(ctx, out, key);
}

bool cr_manifest__struct(struct cr_mctx *ctx, void *obj, const struct cr_ynode *val,
                         const struct cr_mfield *fields, size_t n)
{
    return s_struct(ctx, obj, val, fields, n);
}

/* ---- cognitoIdentityProviders ---- */

static const struct cr_mfield s_provider_fields[] = {
    CR_MFIELD("providerName", CR_MFIELD_STR, struct cr_model_provider, provider_name, true),
    CR_MFIELD("clientId", CR_MFIELD_STR, struct cr_model_provider, client_id, true),
    CR_MFIELD("serverSideTokenCheck", CR_MFIELD_BOOL, struct cr_model_provider, server_side_token_check,
            false),
};

static void s_providers(struct cr_mctx *ctx, void *obj, const struct cr_ynode *key,
                        const struct cr_ynode *val)
{
    struct cr_model_pool *pool = obj;
    if (!s_expect(ctx, val, CR_YNODE_SEQ))
        return;
    pool->has_cognito_identity_providers = true;
    pool->cognito_identity_providers_loc = val->loc;
    pool->cognito_identity_providers =
        cr_arena_alloc(&ctx->set->arena, (val->n + 1) * sizeof(struct cr_model_provider));
    if (pool->cognito_identity_providers == NULL) {
        ctx->rc = CR_ENOMEM;
        return;
    }
    for (size_t i = 0; i < val->n; i++) {
        struct cr_model_provider *p = &pool->cognito_identity_providers[i];
        p->server_side_token_check.value = CR_TRI_ABSENT;
        p->loc = val->items[i]->loc;
        size_t mark = cr_manifest__path_index(ctx, i);
        s_struct(ctx, p, val->items[i], s_provider_fields,
                 sizeof(s_provider_fields) / sizeof(s_provider_fields[0]));
        cr_manifest__path_pop(ctx, mark);
    }
    pool->n_cognito_identity_providers = val->n;
}

/* ---- roleMappings ---- */

static const struct cr_mfield s_rule_fields[] = {
    CR_MFIELD("claim", CR_MFIELD_STR, struct cr_model_rule, claim, true),
    CR_MFIELD("matchType", CR_MFIELD_STR, struct cr_model_rule, match_type, true),
    CR_MFIELD("value", CR_MFIELD_STR, struct cr_model_rule, value, true),
    CR_MFIELD("roleARN", CR_MFIELD_STR, struct cr_model_rule, role_arn, true),
};

static void s_rules(struct cr_mctx *ctx, void *obj, const struct cr_ynode *key,
                    const struct cr_ynode *val)
{
    struct cr_model_role_mapping *m = obj;
    if (!s_expect(ctx, val, CR_YNODE_SEQ))
        return;
    m->has_rules = true;
    m->rules_loc = val->loc;
    m->rules = cr_arena_alloc(&ctx->set->arena, (val->n + 1) * sizeof(*m->rules));
    if (m->rules == NULL) {
        ctx->rc = CR_ENOMEM;
        return;
    }
    for (size_t i = 0; i < val->n; i++) {
        m->rules[i].loc = val->items[i]->loc;
        size_t mark = cr_manifest__path_index(ctx, i);
        s_struct(ctx, &m->rules[i], val->items[i], s_rule_fields,
                 sizeof(s_rule_fields) / sizeof(s_rule_fields[0]));
        cr_manifest__path_pop(ctx, mark);
    }
    m->n_rules = val->n;
}

static const struct cr_mfield s_rules_configuration_fields[] = {
    CR_MFIELD_CUSTOM("rules", s_rules, true),
};

static void s_rules_configuration(struct cr_mctx *ctx, void *obj, const struct cr_ynode *key,
                                  const struct cr_ynode *val)
{
    struct cr_model_role_mapping *m = obj;
    /* Written, even if malformed: the type checks then do not add "needs rules" noise. */
    m->rules_configuration_loc = val->loc;
    m->has_rules_configuration = true;
    s_struct(ctx, m, val, s_rules_configuration_fields, 1);
}

static const struct cr_mfield s_role_mapping_fields[] = {
    CR_MFIELD("type", CR_MFIELD_STR, struct cr_model_role_mapping, type, true),
    {"ambiguousRoleResolution", CR_MFIELD_STR,
     offsetof(struct cr_model_role_mapping, ambiguous_role_resolution), true, NULL,
     " (the service requires it for Token and Rules mappings: AuthenticatedRole or Deny)"},
    CR_MFIELD_CUSTOM("rulesConfiguration", s_rules_configuration, false),
};

/* How one provider-keyed mapping of structs is stored (roleMappings,
 * principalTagAttributeMaps): entry size, where the key and the value's position go. */
struct s_keyed {
    size_t size;
    size_t provider_offset; /* struct cr_model_str: the map key */
    size_t loc_offset;      /* struct cr_loc: where the entry's value starts */
    const struct cr_mfield *fields;
    size_t n_fields;
    void (*init)(void *entry); /* before conversion; NULL when zeroed is right */
};

/* Converts a mapping of provider -> struct into an arena array; keys that are not usable
 * strings are reported and left out. Returns the array (NULL on CR_ENOMEM, set in ctx). */
static void *s_keyed_entries(struct cr_mctx *ctx, const struct cr_ynode *val,
                             const struct s_keyed *how, size_t *out_n)
{
    *out_n = 0;
    char *items = cr_arena_alloc(&ctx->set->arena, (val->n + 1) * how->size);
    if (items == NULL) {
        ctx->rc = CR_ENOMEM;
        return NULL;
    }
    for (size_t i = 0; i < val->n; i++) {
        char *entry = items + *out_n * how->size;
        size_t mark = cr_manifest__path_key(ctx, val->items[i]->value, val->items[i]->len);
        if (s_key(ctx, (struct cr_model_str *)(entry + how->provider_offset), val->items[i])) {
            if (how->init != NULL)
                how->init(entry);
            memcpy(entry + how->loc_offset, &val->values[i]->loc, sizeof(struct cr_loc));
            s_struct(ctx, entry, val->values[i], how->fields, how->n_fields);
            (*out_n)++;
        }
        cr_manifest__path_pop(ctx, mark);
    }
    return items;
}

static const struct s_keyed s_role_mappings_keyed = {
    sizeof(struct cr_model_role_mapping),
    offsetof(struct cr_model_role_mapping, provider),
    offsetof(struct cr_model_role_mapping, loc),
    s_role_mapping_fields,
    sizeof(s_role_mapping_fields) / sizeof(s_role_mapping_fields[0]),
    NULL,
};

static void s_role_mappings(struct cr_mctx *ctx, void *obj, const struct cr_ynode *key,
                            const struct cr_ynode *val)
{
    struct cr_model_pool *pool = obj;
    if (!s_expect(ctx, val, CR_YNODE_MAP))
        return;
    pool->has_role_mappings = true;
    pool->role_mappings_loc = val->loc;
    pool->role_mappings = s_keyed_entries(ctx, val, &s_role_mappings_keyed, &pool->n_role_mappings);
}

/* ---- principalTagAttributeMaps ---- */

static const struct cr_mfield s_principal_tag_fields[] = {
    CR_MFIELD("useDefaults", CR_MFIELD_BOOL, struct cr_model_principal_tags, use_defaults, false),
    CR_MFIELD("principalTags", CR_MFIELD_MAP, struct cr_model_principal_tags, principal_tags, false),
};

static void s_principal_tags_init(void *entry)
{
    struct cr_model_principal_tags *pt = entry;
    pt->use_defaults.value = CR_TRI_ABSENT;
}

static const struct s_keyed s_principal_tags_keyed = {
    sizeof(struct cr_model_principal_tags),
    offsetof(struct cr_model_principal_tags, provider),
    offsetof(struct cr_model_principal_tags, loc),
    s_principal_tag_fields,
    sizeof(s_principal_tag_fields) / sizeof(s_principal_tag_fields[0]),
    s_principal_tags_init,
};

static void s_principal_tags(struct cr_mctx *ctx, void *obj, const struct cr_ynode *key,
                             const struct cr_ynode *val)
{
    struct cr_model_pool *pool = obj;
    if (!s_expect(ctx, val, CR_YNODE_MAP))
        return;
    pool->manage_principal_tags = true;
    pool->principal_tags_loc = val->loc;
    pool->principal_tag_maps =
        s_keyed_entries(ctx, val, &s_principal_tags_keyed, &pool->n_principal_tag_maps);
}

/* ---- the document ---- */

static const struct cr_mfield s_metadata_fields[] = {
    CR_MFIELD("name", CR_MFIELD_STR, struct cr_model_pool, name, true),
    CR_MFIELD("region", CR_MFIELD_STR, struct cr_model_pool, region, false),
    CR_MFIELD("id", CR_MFIELD_STR, struct cr_model_pool, id, false),
    CR_MFIELD("account", CR_MFIELD_STR, struct cr_model_pool, account, false),
};

static const struct cr_mfield s_spec_fields[] = {
    CR_MFIELD("identityPoolName", CR_MFIELD_STR, struct cr_model_pool, identity_pool_name, true),
    CR_MFIELD("allowUnauthenticatedIdentities", CR_MFIELD_BOOL, struct cr_model_pool,
            allow_unauthenticated_identities, true),
    CR_MFIELD("allowClassicFlow", CR_MFIELD_BOOL, struct cr_model_pool, allow_classic_flow, false),
    CR_MFIELD("developerProviderName", CR_MFIELD_STR, struct cr_model_pool, developer_provider_name, false),
    CR_MFIELD("supportedLoginProviders", CR_MFIELD_MAP, struct cr_model_pool, supported_login_providers,
            false),
    CR_MFIELD_CUSTOM("cognitoIdentityProviders", s_providers, false),
    CR_MFIELD("openIdConnectProviderARNs", CR_MFIELD_LIST, struct cr_model_pool,
            open_id_connect_provider_arns, false),
    CR_MFIELD("samlProviderARNs", CR_MFIELD_LIST, struct cr_model_pool, saml_provider_arns, false),
    CR_MFIELD("roles", CR_MFIELD_MAP, struct cr_model_pool, roles, false),
    CR_MFIELD_CUSTOM("roleMappings", s_role_mappings, false),
    CR_MFIELD_CUSTOM("principalTagAttributeMaps", s_principal_tags, false),
    CR_MFIELD("tags", CR_MFIELD_MAP, struct cr_model_pool, tags, false),
};

static void s_metadata(struct cr_mctx *ctx, void *obj, const struct cr_ynode *key,
                       const struct cr_ynode *val)
{
    s_struct(ctx, obj, val, s_metadata_fields,
             sizeof(s_metadata_fields) / sizeof(s_metadata_fields[0]));
}

static void s_spec(struct cr_mctx *ctx, void *obj, const struct cr_ynode *key,
                   const struct cr_ynode *val)
{
    struct cr_model_pool *pool = obj;
    s_struct(ctx, obj, val, s_spec_fields, sizeof(s_spec_fields) / sizeof(s_spec_fields[0]));
    pool->manage_roles = pool->roles.present || pool->has_role_mappings;
    pool->manage_tags = pool->tags.present;
}

/* apiVersion and kind were checked by s_header_ok before the document was converted: here
 * they are only stored. */
static void s_api_version(struct cr_mctx *ctx, void *obj, const struct cr_ynode *key,
                          const struct cr_ynode *val)
{
    struct cr_model_pool *pool = obj;
    s_str(ctx, &pool->api_version, key, val);
}

static void s_kind(struct cr_mctx *ctx, void *obj, const struct cr_ynode *key,
                   const struct cr_ynode *val)
{
    struct cr_model_pool *pool = obj;
    s_str(ctx, &pool->kind, key, val);
}

static const struct cr_mfield s_root_fields[] = {
    CR_MFIELD_CUSTOM("apiVersion", s_api_version, true),
    CR_MFIELD_CUSTOM("kind", s_kind, true),
    CR_MFIELD_CUSTOM("metadata", s_metadata, true),
    CR_MFIELD_CUSTOM("spec", s_spec, true),
};

static int s_push_pool(struct cr_manifest_set *set, struct cr_model_pool *pool)
{
    int rc = cr_array_reserve(&set->pools, &set->cap_pools, set->n_pools, sizeof(*set->pools), 16);
    if (rc == 0)
        set->pools[set->n_pools++] = pool;
    return rc;
}

static int s_push_account(struct cr_manifest_set *set, struct cr_model_account *account)
{
    int rc = cr_array_reserve(&set->accounts, &set->cap_accounts, set->n_accounts,
                              sizeof(*set->accounts), 4);
    if (rc == 0)
        set->accounts[set->n_accounts++] = account;
    return rc;
}

/* A document must be a mapping; reports and returns false otherwise. */
static bool s_document_is_map(struct cr_mctx *ctx, struct cr_loc loc, const struct cr_ynode *root)
{
    char d[160];
    if (root == NULL || cr_yaml__is_null(root)) {
        cr_manifest__diag(ctx, loc, "empty YAML document (expected an IdentityPool manifest)");
        return false;
    }
    if (root->kind != CR_YNODE_MAP) {
        cr_manifest__diag(ctx, root->loc,
                          "expected a mapping with apiVersion, kind, metadata and spec, got %s",
                          s_describe(root, d, sizeof(d)));
        return false;
    }
    return true;
}

/* ---- discovery: which documents are ours ---- */

/* The value of key in the mapping node, or NULL. */
static const struct cr_ynode *s_get(const struct cr_ynode *map, const char *key)
{
    if (map == NULL || map->kind != CR_YNODE_MAP)
        return NULL;
    for (size_t i = 0; i < map->n; i++)
        if (strcmp(map->items[i]->value, key) == 0)
            return map->values[i];
    return NULL;
}

static bool s_is_text(const struct cr_ynode *node)
{
    return node != NULL && node->kind == CR_YNODE_SCALAR && !cr_yaml__is_null(node);
}

/* An apiVersion that is ours or a near miss of it: "cognito-reconcile/v1", "cognito-reconcil/v1",
 * "Cognito-Reconcile/v1", "cognito-reconcile-v1". */
static bool s_near_our_api(const struct cr_ynode *api)
{
    static const char ours[] = "cognito-reconcile";
    char lower[64];
    if (!s_is_text(api) || api->len >= sizeof(lower))
        return false;
    for (size_t i = 0; i <= api->len; i++)
        lower[i] = (char)tolower((unsigned char)api->value[i]);
    char *slash = strchr(lower, '/');
    if (slash != NULL)
        *slash = '\0';
    else if (cr_str_edit_distance(lower, CR_MANIFEST_API_VERSION) <= 3)
        return true;
    return cr_str_edit_distance(lower, ours) <= 3;
}

/* An apiVersion of another API group: "group/version" (Kubernetes' form) not close to ours. */
static bool s_foreign_api(const struct cr_ynode *api)
{
    if (!s_is_text(api))
        return false;
    const char *slash = memchr(api->value, '/', api->len);
    return slash != NULL && slash > api->value && slash < api->value + api->len - 1 &&
           !s_near_our_api(api);
}

/*
 * Whether a mapping document is ours: apiVersion ours (or a near miss), or clearly meant to be
 * (a kind of ours, or spec.identityPoolName) without another group's apiVersion. A kind of
 * ours under another group's apiVersion (Crossplane's IdentityPool) is someone else's.
 */
static bool s_is_ours(const struct cr_ynode *root)
{
    const struct cr_ynode *api = s_get(root, "apiVersion");
    const struct cr_ynode *kind = s_get(root, "kind");
    if (s_near_our_api(api))
        return true;
    bool meant = (s_is_text(kind) && cr_manifest__kind_find(kind->value, kind->len) != NULL) ||
                 s_get(s_get(root, "spec"), "identityPoolName") != NULL;
    return meant && !s_foreign_api(api);
}

/* Notes what the first document of the file that is not ours was (for the skip reason). */
static void s_note_foreign(struct cr_mctx *ctx, const struct cr_ynode *root)
{
    char a[80], k[80];
    const struct cr_ynode *api = s_get(root, "apiVersion");
    const struct cr_ynode *kind = s_get(root, "kind");
    if (ctx->foreign[0] != '\0')
        return;
    if (s_is_text(api) && s_is_text(kind))
        snprintf(ctx->foreign, sizeof(ctx->foreign), "apiVersion '%s', kind '%s'",
                 cr_manifest__quote(a, sizeof(a), api->value, api->len),
                 cr_manifest__quote(k, sizeof(k), kind->value, kind->len));
    else if (s_is_text(kind))
        snprintf(ctx->foreign, sizeof(ctx->foreign), "kind '%s'",
                 cr_manifest__quote(k, sizeof(k), kind->value, kind->len));
    else if (s_is_text(api))
        snprintf(ctx->foreign, sizeof(ctx->foreign), "apiVersion '%s'",
                 cr_manifest__quote(a, sizeof(a), api->value, api->len));
    else
        snprintf(ctx->foreign, sizeof(ctx->foreign), "no apiVersion or kind");
}

/* Whether the text of a file that could not be read as documents of ours mentions ours. */
static bool s_mentions_ours(const char *bytes, size_t len)
{
    static const char *const words[] = {"cognito-reconcile/", "identityPoolName"};
    for (size_t pos = 0; pos < len; pos++) {
        const char *p = bytes + pos;
        size_t left = len - pos;
        for (size_t w = 0; w < sizeof(words) / sizeof(words[0]); w++)
            if (left >= strlen(words[w]) && memcmp(p, words[w], strlen(words[w])) == 0)
                return true;
        if (left < 5 || memcmp(p, "kind:", 5) != 0)
            continue;
        size_t q = 5;
        while (q < left && (p[q] == ' ' || p[q] == '\t' || p[q] == '"' || p[q] == '\''))
            q++;
        for (size_t k = 0; k < cr_manifest__n_kinds; k++) {
            const char *name = cr_manifest__kinds[k].name;
            size_t n = strlen(name);
            if (left - q >= n && memcmp(p + q, name, n) == 0 &&
                (left - q == n || !isalnum((unsigned char)p[q + n])))
                return true;
        }
    }
    return false;
}

/* apiVersion and kind decide the schema of the rest: checks them first; NULL (reported) when
 * they are missing or not ours, and the rest is then not read. */
static const struct cr_manifest_kind *s_header_ok(struct cr_mctx *ctx, const struct cr_ynode *root)
{
    size_t before = ctx->set->n_diagnostics;
    struct cr_model_str api = {0}, kind = {0};
    bool has_api = false, has_kind = false;
    char q[100];
    for (size_t i = 0; i < root->n; i++) {
        const char *key = root->items[i]->value;
        bool is_api = strcmp(key, "apiVersion") == 0;
        if (!is_api && strcmp(key, "kind") != 0)
            continue;
        *(is_api ? &has_api : &has_kind) = true;
        const struct cr_ynode *val = root->values[i];
        size_t mark = cr_manifest__path_field(ctx, key);
        s_str(ctx, is_api ? &api : &kind, root->items[i], val);
        cr_manifest__path_pop(ctx, mark);
    }
    if (api.value != NULL && strcmp(api.value, CR_MANIFEST_API_VERSION) != 0)
        cr_manifest__diag(ctx, api.loc, "unsupported apiVersion '%s' (expected '%s')",
                          cr_manifest__quote(q, sizeof(q), api.value, api.len),
                          CR_MANIFEST_API_VERSION);
    const struct cr_manifest_kind *found =
        kind.value != NULL ? cr_manifest__kind_find(kind.value, kind.len) : NULL;
    if (kind.value != NULL && found == NULL) {
        char expected[256] = "";
        for (size_t k = 0; k < cr_manifest__n_kinds; k++)
            snprintf(expected + strlen(expected), sizeof(expected) - strlen(expected), "%s'%s'",
                     k == 0 ? "" : k + 1 == cr_manifest__n_kinds ? " or " : ", ",
                     cr_manifest__kinds[k].name);
        cr_manifest__diag(ctx, kind.loc, "unsupported kind '%s' (expected %s)",
                          cr_manifest__quote(q, sizeof(q), kind.value, kind.len), expected);
    }
    if (ctx->set->n_diagnostics == before && api.value != NULL && found != NULL)
        return found;
    /* Written but wrong was reported above; only an absent key is "missing". */
    if (!has_api)
        cr_manifest__diag(ctx, root->loc, "missing required key 'apiVersion'");
    if (!has_kind)
        cr_manifest__diag(ctx, root->loc, "missing required key 'kind'");
    return NULL;
}

int cr_manifest__convert_pool(struct cr_mctx *ctx, size_t index, const struct cr_ynode *root)
{
    struct cr_model_pool *pool = cr_arena_alloc(&ctx->set->arena, sizeof(*pool));
    if (pool == NULL)
        return CR_ENOMEM;
    pool->file = ctx->file;
    pool->file_index = ctx->file_index;
    pool->document = index;
    pool->loc = root->loc;
    pool->allow_unauthenticated_identities.value = CR_TRI_ABSENT;
    pool->allow_classic_flow.value = CR_TRI_ABSENT;
    s_struct(ctx, pool, root, s_root_fields, sizeof(s_root_fields) / sizeof(s_root_fields[0]));
    if (ctx->rc != 0)
        return ctx->rc;
    const char *colon = pool->id.value ? strchr(pool->id.value, ':') : NULL;
    if (colon != NULL && colon > pool->id.value) {
        pool->id_region =
            cr_arena_strndup(&ctx->set->arena, pool->id.value, (size_t)(colon - pool->id.value));
        if (pool->id_region == NULL)
            return CR_ENOMEM;
    }
    cr_manifest__validate_pool(ctx, pool);
    if (ctx->rc != 0)
        return ctx->rc;
    return s_push_pool(ctx->set, pool);
}

/* ---- kind: Account ---- */

static const struct cr_mfield s_account_metadata_fields[] = {
    CR_MFIELD("name", CR_MFIELD_STR, struct cr_model_account, name, true),
};

static const struct cr_mfield s_account_spec_fields[] = {
    CR_MFIELD("accountId", CR_MFIELD_STR, struct cr_model_account, account_id, true),
    CR_MFIELD("profile", CR_MFIELD_STR, struct cr_model_account, profile, false),
    CR_MFIELD("roleArn", CR_MFIELD_STR, struct cr_model_account, role_arn, false),
    CR_MFIELD("externalId", CR_MFIELD_STR, struct cr_model_account, external_id, false),
    CR_MFIELD("sessionName", CR_MFIELD_STR, struct cr_model_account, session_name, false),
    CR_MFIELD("region", CR_MFIELD_STR, struct cr_model_account, region, false),
};

static void s_account_metadata(struct cr_mctx *ctx, void *obj, const struct cr_ynode *key,
                               const struct cr_ynode *val)
{
    s_struct(ctx, obj, val, s_account_metadata_fields,
             sizeof(s_account_metadata_fields) / sizeof(s_account_metadata_fields[0]));
}

static void s_account_spec(struct cr_mctx *ctx, void *obj, const struct cr_ynode *key,
                           const struct cr_ynode *val)
{
    struct cr_model_account *account = obj;
    account->spec_loc = val->loc;
    s_struct(ctx, obj, val, s_account_spec_fields,
             sizeof(s_account_spec_fields) / sizeof(s_account_spec_fields[0]));
}

static const struct cr_mfield s_account_root_fields[] = {
    CR_MFIELD("apiVersion", CR_MFIELD_STR, struct cr_model_account, api_version, true),
    CR_MFIELD("kind", CR_MFIELD_STR, struct cr_model_account, kind, true),
    CR_MFIELD_CUSTOM("metadata", s_account_metadata, true),
    CR_MFIELD_CUSTOM("spec", s_account_spec, true),
};

int cr_manifest__convert_account(struct cr_mctx *ctx, size_t index, const struct cr_ynode *root)
{
    struct cr_model_account *account = cr_arena_alloc(&ctx->set->arena, sizeof(*account));
    if (account == NULL)
        return CR_ENOMEM;
    account->file = ctx->file;
    account->file_index = ctx->file_index;
    account->document = index;
    account->loc = root->loc;
    s_struct(ctx, account, root, s_account_root_fields,
             sizeof(s_account_root_fields) / sizeof(s_account_root_fields[0]));
    if (ctx->rc != 0)
        return ctx->rc;
    cr_manifest__validate_account(ctx, account);
    if (ctx->rc != 0)
        return ctx->rc;
    return s_push_account(ctx->set, account);
}

static int s_document(struct cr_mctx *ctx, size_t index, struct cr_loc loc,
                      const struct cr_ynode *root)
{
    ctx->documents++;
    if (root != NULL && root->kind == CR_YNODE_MAP && !s_is_ours(root)) {
        /* Someone else's YAML: its problems (a duplicate key) are not ours to report. */
        ctx->set->n_diagnostics = ctx->doc_mark;
        s_note_foreign(ctx, root);
        return 0;
    }
    if (!s_document_is_map(ctx, loc, root))
        return ctx->rc;
    ctx->ours++;
    const struct cr_manifest_kind *kind = s_header_ok(ctx, root);
    if (kind == NULL)
        return ctx->rc;
    return kind->convert(ctx, index, root);
}

static int s_on_document(void *vctx, size_t index, struct cr_loc loc, const struct cr_ynode *root)
{
    struct cr_mctx *ctx = vctx;
    int rc = s_document(ctx, index, loc, root);
    ctx->doc_mark = ctx->set->n_diagnostics;
    return rc;
}

static void s_on_error(void *vctx, struct cr_loc loc, const char *msg)
{
    cr_manifest__diag(vctx, loc, "%s", msg);
}

/* ---- the set ---- */

void cr_manifest_options_init(struct cr_manifest_options *opts)
{
    memset(opts, 0, sizeof(*opts));
    opts->reserved_tags = CR_MANIFEST_RESERVED_TAGS;
    opts->max_file_bytes = CR_MANIFEST_MAX_FILE_BYTES;
    opts->max_diagnostics = CR_MANIFEST_MAX_DIAGNOSTICS;
}

int cr_manifest_set_new(struct cr_manifest_set **out, const struct cr_manifest_options *opts)
{
    int result = CR_ENOMEM;
    struct cr_manifest_set *set = calloc(1, sizeof(*set));
    *out = NULL;
    if (set == NULL)
        goto done;
    cr_arena_init(&set->arena);
    if (opts != NULL)
        set->opts = *opts;
    else
        cr_manifest_options_init(&set->opts);
    if (set->opts.max_file_bytes == 0)
        set->opts.max_file_bytes = CR_MANIFEST_MAX_FILE_BYTES;
    if (set->opts.max_diagnostics == 0)
        set->opts.max_diagnostics = CR_MANIFEST_MAX_DIAGNOSTICS;
    if (set->opts.default_region != NULL) {
        set->opts.default_region = cr_arena_strdup(&set->arena, set->opts.default_region);
        if (set->opts.default_region == NULL)
            goto done;
    }
    *out = set;
    set = NULL; /* now owned by the caller */
    result = 0;
done:
    if (result != 0)
        cr_error_set("out of memory creating a manifest set");
    cr_manifest_set_free(set);
    return result;
}

static int s_push_skip(struct cr_manifest_set *set, const struct cr_manifest_skip *skip)
{
    int rc = cr_array_reserve(&set->skipped, &set->cap_skipped, set->n_skipped,
                              sizeof(*set->skipped), 8);
    if (rc == 0)
        set->skipped[set->n_skipped++] = *skip;
    return rc;
}

/*
 * After the last document of a file: it counts as a manifest file when it held a document of
 * ours, or problems that may be ours (see cr_manifest_set_add); otherwise its problems are
 * dropped and it is recorded as skipped, with the reason.
 */
static int s_file_done(struct cr_mctx *ctx, const char *bytes, size_t len)
{
    struct cr_manifest_set *set = ctx->set;
    char reason[1400];
    bool problems = set->n_diagnostics > ctx->file_mark;
    if (ctx->ours > 0 || (problems && s_mentions_ours(bytes, len))) {
        set->n_files++;
        return 0;
    }
    if (ctx->foreign[0] != '\0') {
        snprintf(reason, sizeof(reason), "not a cognito-reconcile manifest (%s)", ctx->foreign);
    } else if (problems) {
        const struct cr_diagnostic *d = &set->diagnostics[ctx->file_mark];
        snprintf(reason, sizeof(reason),
                 "not a cognito-reconcile manifest: not YAML documents we can read (%u:%u: %s), "
                 "and nothing in it mentions cognito-reconcile",
                 d->line, d->column, d->message);
    } else {
        snprintf(reason, sizeof(reason), "not a cognito-reconcile manifest: no YAML document");
    }
    set->n_diagnostics = ctx->file_mark;
    struct cr_manifest_skip skip = {ctx->file, cr_arena_strdup(&set->arena, reason),
                                    ctx->file_index};
    if (skip.reason == NULL || s_push_skip(set, &skip) != 0)
        return CR_ENOMEM;
    return 0;
}

/* Adds one file whose order in the set is file_index (the parallel loader gives each worker
 * a shard set but keeps the files' global order). */
static int s_add_indexed(struct cr_manifest_set *set, size_t file_index, const char *display_path,
                         const char *bytes, size_t len);

int cr_manifest_set_add(struct cr_manifest_set *set, const char *display_path, const char *bytes,
                        size_t len)
{
    return s_add_indexed(set, set->n_files, display_path, bytes, len);
}

static int s_add_indexed(struct cr_manifest_set *set, size_t file_index, const char *display_path,
                         const char *bytes, size_t len)
{
    int result = CR_ENOMEM;
    if (set->finished) {
        /* The checks across documents already ran; running them again would repeat them. */
        cr_error_set("%s: added to a manifest set after cr_manifest_set_finish()", display_path);
        return CR_ERROR;
    }
    struct cr_arena scratch; /* the YAML tree: freed once the pools are converted */
    struct cr_mctx *ctx = calloc(1, sizeof(*ctx));
    cr_arena_init(&scratch);
    if (ctx == NULL)
        goto done;
    ctx->set = set;
    ctx->file_index = file_index;
    ctx->file_mark = ctx->doc_mark = set->n_diagnostics;
    ctx->file = cr_arena_strdup(&set->arena, display_path);
    if (ctx->file == NULL)
        goto done;
    struct cr_yaml_limits limits = {set->opts.max_file_bytes, CR_MANIFEST_MAX_DEPTH,
                                    CR_MANIFEST_MAX_ALIASES, CR_MANIFEST_MAX_NODES};
    int rc = cr_yaml__parse(&scratch, bytes, len, &limits, s_on_document, s_on_error, ctx);
    if (rc != 0 || ctx->rc != 0)
        goto done;
    if (s_file_done(ctx, bytes, len) != 0)
        goto done;
    result = 0;
done:
    if (result != 0)
        cr_error_set("%s: out of memory loading manifests", display_path);
    cr_arena_dispose(&scratch);
    free(ctx);
    return result;
}

static bool s_diag_after(const struct cr_diagnostic *a, const struct cr_diagnostic *b)
{
    if (a->file_index != b->file_index)
        return a->file_index > b->file_index;
    if (a->line != b->line)
        return a->line > b->line;
    return a->column > b->column;
}

int cr_manifest_set_finish(struct cr_manifest_set *set)
{
    if (!set->finished) {
        if (cr_manifest__validate_set(set) != 0) {
            cr_error_set("out of memory validating manifests");
            return CR_ENOMEM;
        }
        set->finished = true;
    }
    /* A stable insertion sort: diagnostics at the same place keep their detection order,
     * and the list is short (at most max_diagnostics) and mostly sorted already. */
    size_t n = set->n_diagnostics;
    for (size_t i = 1; i < n; i++) {
        struct cr_diagnostic t = set->diagnostics[i];
        size_t j = i;
        while (j > 0 && s_diag_after(&set->diagnostics[j - 1], &t)) {
            set->diagnostics[j] = set->diagnostics[j - 1];
            j--;
        }
        set->diagnostics[j] = t;
    }
    for (size_t i = 1; i < set->n_warnings; i++) {
        struct cr_diagnostic t = set->warnings[i];
        size_t j = i;
        while (j > 0 && s_diag_after(&set->warnings[j - 1], &t)) {
            set->warnings[j] = set->warnings[j - 1];
            j--;
        }
        set->warnings[j] = t;
    }
    /* The parallel loader merges skips shard by shard: back to file order. */
    for (size_t i = 1; i < set->n_skipped; i++) {
        struct cr_manifest_skip t = set->skipped[i];
        size_t j = i;
        while (j > 0 && set->skipped[j - 1].file_index > t.file_index) {
            set->skipped[j] = set->skipped[j - 1];
            j--;
        }
        set->skipped[j] = t;
    }
    /* Workers each keep max_diagnostics; the set keeps the first ones in file order. */
    if (n > set->opts.max_diagnostics) {
        n = set->n_diagnostics = set->opts.max_diagnostics;
        set->truncated = true;
    }
    if (n == 0)
        return 0;
    const struct cr_diagnostic *d = &set->diagnostics[0];
    if (n == 1)
        cr_error_set("%s:%u:%u: %s", d->file, d->line, d->column, d->message);
    else
        cr_error_set("%s:%u:%u: %s (and %zu more)", d->file, d->line, d->column, d->message, n - 1);
    return CR_EINVALID;
}

/* ---- loading many files on several threads ---- */

#define S_PARALLEL_MIN_BYTES (256 * 1024) /* below this a thread costs more than it saves */
#define S_MAX_THREADS        8

struct s_shard_job {
    struct cr_manifest_set *set; /* the worker's own set */
    const struct cr_manifest_input *inputs;
    size_t n;
    size_t first;
    size_t step;
    int rc;
    char error[512];
};

static void *s_shard_run(void *arg)
{
    struct s_shard_job *job = arg;
    /* Static partitioning (every step-th file) keeps the result independent of timing. */
    for (size_t i = job->first; i < job->n && job->rc == 0; i += job->step) {
        const struct cr_manifest_input *in = &job->inputs[i];
        job->rc = s_add_indexed(job->set, i, in->display_path, in->bytes, in->len);
        if (job->rc != 0)
            snprintf(job->error, sizeof(job->error), "%s", cr_error_last());
    }
    return NULL;
}

/* Moves a worker's pools, diagnostics and arena into the main set. */
static int s_merge(struct cr_manifest_set *set, struct cr_manifest_set *shard)
{
    struct cr_arena *arenas =
        realloc(set->extra_arenas, (set->n_extra_arenas + 1) * sizeof(*arenas));
    if (arenas == NULL)
        return CR_ENOMEM;
    set->extra_arenas = arenas;
    set->extra_arenas[set->n_extra_arenas++] = shard->arena;
    cr_arena_init(&shard->arena); /* now owned by set */
    for (size_t i = 0; i < shard->n_pools; i++)
        if (s_push_pool(set, shard->pools[i]) != 0)
            return CR_ENOMEM;
    for (size_t i = 0; i < shard->n_tests; i++)
        if (cr_manifest__push_test(set, shard->tests[i]) != 0)
            return CR_ENOMEM;
    for (size_t i = 0; i < shard->n_diagnostics; i++) {
        if (cr_array_reserve(&set->diagnostics, &set->cap_diagnostics, set->n_diagnostics,
                             sizeof(*set->diagnostics), 16) != 0)
            return CR_ENOMEM;
        set->diagnostics[set->n_diagnostics++] = shard->diagnostics[i];
    }
    for (size_t i = 0; i < shard->n_skipped; i++)
        if (s_push_skip(set, &shard->skipped[i]) != 0)
            return CR_ENOMEM;
    for (size_t i = 0; i < shard->n_accounts; i++)
        if (s_push_account(set, shard->accounts[i]) != 0)
            return CR_ENOMEM;
    set->truncated = set->truncated || shard->truncated;
    set->n_files += shard->n_files;
    return 0;
}

static int s_pool_order(const void *x, const void *y)
{
    const struct cr_model_pool *a = *(const struct cr_model_pool *const *)x;
    const struct cr_model_pool *b = *(const struct cr_model_pool *const *)y;
    if (a->file_index != b->file_index)
        return a->file_index < b->file_index ? -1 : 1;
    return (a->document > b->document) - (a->document < b->document);
}

static int s_account_order(const void *x, const void *y)
{
    const struct cr_model_account *a = *(const struct cr_model_account *const *)x;
    const struct cr_model_account *b = *(const struct cr_model_account *const *)y;
    if (a->file_index != b->file_index)
        return a->file_index < b->file_index ? -1 : 1;
    return (a->document > b->document) - (a->document < b->document);
}

static int s_test_order(const void *x, const void *y)
{
    const struct cr_model_test *a = *(const struct cr_model_test *const *)x;
    const struct cr_model_test *b = *(const struct cr_model_test *const *)y;
    if (a->file_index != b->file_index)
        return a->file_index < b->file_index ? -1 : 1;
    return (a->document > b->document) - (a->document < b->document);
}

static unsigned s_thread_count(const struct cr_manifest_options *opts,
                               const struct cr_manifest_input *inputs, size_t n)
{
    size_t bytes = 0;
    for (size_t i = 0; i < n; i++)
        bytes += inputs[i].len;
    if (n < 2 || bytes < S_PARALLEL_MIN_BYTES)
        return 1;
    long cpus = sysconf(_SC_NPROCESSORS_ONLN);
    unsigned t =
        opts != NULL && opts->threads > 0 ? opts->threads : (cpus > 0 ? (unsigned)cpus : 1);
    if (t > S_MAX_THREADS)
        t = S_MAX_THREADS;
    return t > n ? (unsigned)n : t;
}

static int s_load_parallel(struct cr_manifest_set *set, const struct cr_manifest_input *inputs,
                           size_t n, unsigned threads)
{
    int result = CR_ENOMEM;
    struct s_shard_job jobs[S_MAX_THREADS];
    pthread_t ids[S_MAX_THREADS];
    unsigned started = 0;
    memset(jobs, 0, sizeof(jobs));
    for (unsigned t = 0; t < threads; t++) {
        jobs[t] = (struct s_shard_job){.inputs = inputs, .n = n, .first = t, .step = threads};
        if (cr_manifest_set_new(&jobs[t].set, &set->opts) != 0)
            goto done;
    }
    for (; started < threads; started++)
        if (pthread_create(&ids[started], NULL, s_shard_run, &jobs[started]) != 0)
            break;
    /* A thread that could not start is done here, in order, by the caller's thread. */
    for (unsigned t = started; t < threads; t++)
        s_shard_run(&jobs[t]);
    for (unsigned t = 0; t < started; t++)
        pthread_join(ids[t], NULL);
    for (unsigned t = 0; t < threads; t++) {
        if (jobs[t].rc != 0) {
            cr_error_set("%s", jobs[t].error);
            result = jobs[t].rc;
            goto done;
        }
    }
    for (unsigned t = 0; t < threads; t++)
        if (s_merge(set, jobs[t].set) != 0)
            goto done;
    if (set->n_pools > 1)
        qsort(set->pools, set->n_pools, sizeof(*set->pools), s_pool_order);
    if (set->n_accounts > 1)
        qsort(set->accounts, set->n_accounts, sizeof(*set->accounts), s_account_order);
    if (set->n_tests > 1)
        qsort(set->tests, set->n_tests, sizeof(*set->tests), s_test_order);
    result = 0;
done:
    if (result == CR_ENOMEM)
        cr_error_set("out of memory loading manifests");
    for (unsigned t = 0; t < threads; t++)
        cr_manifest_set_free(jobs[t].set);
    return result;
}

int cr_manifest_load_buffers(struct cr_manifest_set **out, const struct cr_manifest_input *inputs,
                             size_t n, const struct cr_manifest_options *opts)
{
    int result = CR_ENOMEM;
    struct cr_manifest_set *set = NULL;
    *out = NULL;
    result = cr_manifest_set_new(&set, opts);
    if (result != 0)
        goto done;
    unsigned threads = s_thread_count(opts, inputs, n);
    if (threads > 1) {
        result = s_load_parallel(set, inputs, n, threads);
        if (result != 0)
            goto done;
    } else {
        for (size_t i = 0; i < n; i++) {
            result =
                cr_manifest_set_add(set, inputs[i].display_path, inputs[i].bytes, inputs[i].len);
            if (result != 0)
                goto done;
        }
    }
    result = cr_manifest_set_finish(set);
    if (result == 0 || result == CR_EINVALID) {
        *out = set;
        set = NULL; /* now owned by the caller */
    }
done:
    cr_manifest_set_free(set);
    return result;
}

void cr_manifest_set_free(struct cr_manifest_set *set)
{
    if (set == NULL)
        return;
    cr_arena_dispose(&set->arena);
    for (size_t i = 0; i < set->n_extra_arenas; i++)
        cr_arena_dispose(&set->extra_arenas[i]);
    free(set->extra_arenas);
    free(set->pools);
    free(set->diagnostics);
    free(set->skipped);
    free(set->accounts);
    free(set->warnings);
    free(set->tests);
    free(set);
}

size_t cr_manifest_set_files_with_errors(const struct cr_manifest_set *set)
{
    size_t count = 0;
    for (size_t i = 0; i < set->n_diagnostics; i++) {
        bool seen = false;
        for (size_t j = 0; j < i && !seen; j++)
            seen = set->diagnostics[j].file_index == set->diagnostics[i].file_index;
        count += !seen;
    }
    return count;
}

int cr_diagnostic_format(struct cr_buf *out, const struct cr_diagnostic *diag)
{
    if (diag->line == 0)
        return cr_buf_printf(out, "%s: %s", diag->file, diag->message);
    return cr_buf_printf(out, "%s:%u:%u: %s", diag->file, diag->line, diag->column, diag->message);
}

const struct cr_model_account *cr_manifest_set_account(const struct cr_manifest_set *set,
                                                       const char *name)
{
    for (size_t i = 0; name != NULL && i < set->n_accounts; i++)
        if (set->accounts[i]->name.value != NULL && strcmp(set->accounts[i]->name.value, name) == 0)
            return set->accounts[i];
    return NULL;
}

const char *cr_manifest_pool_region(const struct cr_manifest_set *set,
                                    const struct cr_model_pool *pool)
{
    const struct cr_model_account *account = cr_manifest_set_account(set, pool->account.value);
    if (pool->region.value == NULL && pool->id_region == NULL && account != NULL &&
        account->region.value != NULL)
        return account->region.value;
    return cr_model_pool_region(pool, set->opts.default_region);
}

const struct cr_model_pool *cr_manifest_set_find(const struct cr_manifest_set *set,
                                                 const char *name, const char *region)
{
    for (size_t i = 0; i < set->n_pools; i++) {
        const struct cr_model_pool *p = set->pools[i];
        const char *r = cr_model_pool_region(p, set->opts.default_region);
        if (p->name.value == NULL || strcmp(p->name.value, name) != 0)
            continue;
        if ((r == NULL && region == NULL) ||
            (r != NULL && region != NULL && strcmp(r, region) == 0))
            return p;
    }
    return NULL;
}
