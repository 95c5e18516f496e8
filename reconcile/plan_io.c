/* SPDX-License-Identifier: Apache-2.0 */
/*
 * Saved plans: the JSON document of cr_render_json() (format_version "1") written to a file
 * with what the plan was computed from (its desired pools and options, the pools of the stack
 * it saw), and read back. The parameters are the exact request bodies; loading decodes them
 * with the aws/ decoders and checks that they encode back to the same bytes and that the
 * recorded digest is theirs. docs/plan.md "Saved plans" defines the digest.
 */
#include <ctype.h>
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>
#include <unistd.h>

#include <jansson.h>

#include "aws/sigv4.h"
#include "reconcile/plan.h"
#include "reconcile/render.h"
#include "reconcile/render_kit.h"
#include "util/buf.h"

#define MAX_PLAN_BYTES (64u * 1024u * 1024u)

/* ---- the digest ---- */

/* A string as jq prints it: \" \\ \b \f \n \r \t, other control characters and DEL as
 * \u00xx (lowercase hex), everything else (UTF-8 included) as it is. */
static void s_canon_string(struct cr_buf *out, const char *s, size_t len)
{
    cr_buf_putc(out, '"');
    for (size_t i = 0; i < len; i++) {
        unsigned char c = (unsigned char)s[i];
        const char *esc = c == '"'    ? "\\\""
                          : c == '\\' ? "\\\\"
                          : c == '\b' ? "\\b"
                          : c == '\f' ? "\\f"
                          : c == '\n' ? "\\n"
                          : c == '\r' ? "\\r"
                          : c == '\t' ? "\\t"
                                      : NULL;
        if (esc)
            cr_buf_puts(out, esc);
        else if (c < 0x20 || c == 0x7f)
            cr_buf_printf(out, "\\u%04x", c);
        else
            cr_buf_putc(out, (char)c);
    }
    cr_buf_putc(out, '"');
}

static int s_cmp_str(const void *a, const void *b)
{
    return strcmp(*(const char *const *)a, *(const char *const *)b);
}

/* The compact JSON text of v with every object's keys sorted (jq -cS). */
static int s_canon(struct cr_buf *out, const json_t *v)
{
    size_t i;
    const char *key;
    json_t *item;
    switch (json_typeof(v)) {
    case JSON_OBJECT: {
        const char **keys = calloc(json_object_size(v) + 1, sizeof(*keys));
        size_t n = 0;
        if (!keys)
            return CR_ENOMEM;
        json_object_foreach((json_t *)v, key, item) keys[n++] = key;
        qsort(keys, n, sizeof(*keys), s_cmp_str);
        int rc = 0;
        cr_buf_putc(out, '{');
        for (i = 0; rc == 0 && i < n; i++) {
            cr_buf_puts(out, i ? "," : "");
            s_canon_string(out, keys[i], strlen(keys[i]));
            cr_buf_putc(out, ':');
            rc = s_canon(out, json_object_get(v, keys[i]));
        }
        cr_buf_putc(out, '}');
        free(keys);
        return rc;
    }
    case JSON_ARRAY:
        cr_buf_putc(out, '[');
        json_array_foreach((json_t *)v, i, item)
        {
            cr_buf_puts(out, i ? "," : "");
            int rc = s_canon(out, item);
            if (rc < 0)
                return rc;
        }
        cr_buf_putc(out, ']');
        return 0;
    case JSON_STRING:
        s_canon_string(out, json_string_value(v), json_string_length(v));
        return 0;
    case JSON_INTEGER:
        cr_buf_printf(out, "%" JSON_INTEGER_FORMAT, json_integer_value(v));
        return 0;
    case JSON_TRUE:
    case JSON_FALSE:
    case JSON_NULL:
        cr_buf_puts(out, json_is_true(v) ? "true" : json_is_false(v) ? "false" : "null");
        return 0;
    case JSON_REAL:
    default:
        /* request bodies hold no fractions; jq and jansson would print them differently */
        cr_error_set("plan digest: a number that is not an integer");
        return CR_EINVALID;
    }
}

/* The members of an operation the digest covers. */
static const char *const s_digest_members[] = {"action",  "pool",    "account",   "region",
                                               "pool_id", "replace", "parameters"};

/* {action, pool, account, region, pool_id, replace, parameters} of operation i, as jq builds it (a
 * member the operation lacks is null). */
static int s_pick(json_t **out, const json_t *op, size_t i)
{
    *out = NULL;
    if (!json_is_object(op)) {
        cr_error_set("plan digest: operations[%zu] must be an object", i);
        return CR_EINVALID;
    }
    json_t *o = json_object();
    for (size_t k = 0; o && k < sizeof(s_digest_members) / sizeof(*s_digest_members); k++) {
        json_t *m = json_object_get(op, s_digest_members[k]);
        if (json_object_set_new(o, s_digest_members[k], m ? json_incref(m) : json_null()) < 0) {
            json_decref(o);
            o = NULL;
        }
    }
    *out = o;
    return o ? 0 : CR_ENOMEM;
}

int cr_plan_digest_ops(char out[CR_PLAN_DIGEST_LEN + 1], const struct json_t *operations)
{
    struct cr_buf text = CR_BUF_INIT;
    json_t *picked = json_array();
    size_t i;
    json_t *op;
    int rc = picked ? 0 : CR_ENOMEM;
    if (rc == 0 && !json_is_array(operations)) {
        cr_error_set("plan digest: operations must be an array");
        rc = CR_EINVALID;
    }
    json_array_foreach((json_t *)operations, i, op)
    {
        json_t *o = NULL;
        if (rc == 0)
            rc = s_pick(&o, op, i);
        if (rc == 0 && json_array_append_new(picked, o) < 0)
            rc = CR_ENOMEM;
    }
    if (rc == 0)
        rc = s_canon(&text, picked);
    if (rc == 0 && cr_buf_oom(&text))
        rc = CR_ENOMEM;
    if (rc == 0) {
        memcpy(out, CR_PLAN_DIGEST_PREFIX, sizeof(CR_PLAN_DIGEST_PREFIX) - 1);
        rc = cr_sigv4_sha256_hex(out + sizeof(CR_PLAN_DIGEST_PREFIX) - 1,
                                 (struct cr_span){text.ptr ? text.ptr : "", text.len});
    }
    if (rc == CR_ENOMEM)
        cr_error_set("out of memory computing the plan digest");
    json_decref(picked);
    cr_buf_dispose(&text);
    return rc;
}

int cr_plan_digest(char out[CR_PLAN_DIGEST_LEN + 1], const struct cr_plan *plan)
{
    json_t *doc = cr_render_json_doc(plan); /* carries the digest of its operations */
    const char *digest = json_string_value(json_object_get(doc, "digest"));
    if (!digest) {
        json_decref(doc);
        cr_error_set("out of memory computing the plan digest");
        return CR_ENOMEM;
    }
    snprintf(out, CR_PLAN_DIGEST_LEN + 1, "%s", digest);
    json_decref(doc);
    return 0;
}

bool cr_plan_digest_valid(const char *s)
{
    size_t n = sizeof(CR_PLAN_DIGEST_PREFIX) - 1;
    if (!s || strncmp(s, CR_PLAN_DIGEST_PREFIX, n) != 0 || strlen(s) != CR_PLAN_DIGEST_LEN)
        return false;
    for (const char *p = s + n; *p; p++)
        if (!isxdigit((unsigned char)*p))
            return false;
    return true;
}

bool cr_plan_digest_equal(const char *a, const char *b)
{
    return cr_plan_digest_valid(a) && cr_plan_digest_valid(b) && strcasecmp(a, b) == 0;
}

/* ---- saving ---- */

/* A request body of the aws/ encoders as a JSON object, without its IdentityPoolId (the
 * desired state has none). */
static json_t *s_body_json(const struct cr_buf *body, int rc)
{
    json_t *o = rc == 0 ? json_loadb(body->ptr, body->len, 0, NULL) : NULL;
    if (o)
        json_object_del(o, "IdentityPoolId");
    return o;
}

static json_t *s_desired_json(const struct cr_desired_pool *d)
{
    struct cr_buf body = CR_BUF_INIT;
    json_t *config = s_body_json(&body, cr_cognito_encode_create(&body, &d->config));
    json_t *roles = json_null(), *ptags = json_null(), *tags = json_null();
    if (d->manage_roles) {
        cr_buf_clear(&body);
        json_decref(roles);
        roles = s_body_json(&body, cr_cognito_encode_set_roles(&body, &d->roles));
    }
    if (d->manage_principal_tags) {
        json_decref(ptags);
        ptags = json_array();
        for (size_t i = 0; ptags && i < d->n_principal_tags; i++) {
            cr_buf_clear(&body);
            json_array_append_new(ptags, s_body_json(&body, cr_cognito_encode_set_principal_tags(
                                                                &body, &d->principal_tags[i])));
        }
    }
    if (d->manage_tags) {
        json_decref(tags);
        tags = json_object();
        for (size_t i = 0; tags && i < d->tags.len; i++)
            json_object_set_new(tags, d->tags.items[i].key, json_string(d->tags.items[i].value));
    }
    cr_buf_dispose(&body);
    if (!config || !roles || !ptags || !tags) {
        json_decref(config);
        json_decref(roles);
        json_decref(ptags);
        json_decref(tags);
        return NULL;
    }
    return json_pack("{s:s, s:o, s:s, s:o, s:o, s:o, s:o, s:o, s:o}", "name", d->name, "account",
                     cr_render_json_str_or_null(d->account), "region", d->region ? d->region : "",
                     "adopt_id", cr_render_json_str_or_null(d->adopt_id), "source",
                     cr_render_json_str_or_null(d->source), "config", config, "roles", roles,
                     "principal_tags", ptags, "tags", tags);
}

/* What the plan was computed from: options, desired pools, listed regions, the stack's pools. */
static int s_save_inputs(json_t *doc, const struct cr_plan *plan)
{
    json_t *desired = json_array(), *listed = json_array(), *owned = json_array();
    json_t *targets = json_array();
    int rc = desired && listed && owned && targets ? 0 : CR_ENOMEM;
    for (size_t i = 0; rc == 0 && i < plan->targets.len; i++)
        if (json_array_append_new(targets, json_string(plan->targets.items[i])) < 0)
            rc = CR_ENOMEM;
    for (size_t i = 0; rc == 0 && i < plan->n_desired; i++) {
        json_t *d = s_desired_json(&plan->desired[i]);
        if (!d || json_array_append_new(desired, d) < 0)
            rc = CR_ENOMEM;
    }
    for (size_t i = 0; rc == 0 && i < plan->listed.len; i++)
        if (json_array_append_new(listed, json_string(plan->listed.items[i])) < 0)
            rc = CR_ENOMEM;
    for (size_t i = 0; rc == 0 && i < plan->owned.len; i++)
        if (json_array_append_new(owned,
                                  json_pack("{s:s, s:s}", "pool_id", plan->owned.items[i].key,
                                            "name", plan->owned.items[i].value)) < 0)
            rc = CR_ENOMEM;
    if (rc == 0 &&
        (json_object_set_new(doc, "options",
                             json_pack("{s:b, s:b, s:O}", "prune", plan->prune, "allow_replace",
                                       plan->allow_replace, "targets", targets)) < 0 ||
         json_object_set(doc, "desired", desired) < 0 ||
         json_object_set(doc, "listed_regions", listed) < 0 ||
         json_object_set(doc, "owned", owned) < 0))
        rc = CR_ENOMEM;
    json_decref(desired);
    json_decref(listed);
    json_decref(owned);
    json_decref(targets);
    return rc;
}

int cr_plan_save_text(struct cr_buf *out, const struct cr_plan *plan)
{
    json_t *doc = cr_render_json_doc(plan);
    char *text = doc && s_save_inputs(doc, plan) == 0 ? json_dumps(doc, JSON_INDENT(2)) : NULL;
    int rc = text && cr_buf_puts(out, text) == 0 && cr_buf_putc(out, '\n') == 0 ? 0 : CR_ENOMEM;
    if (rc < 0)
        cr_error_set("out of memory rendering the plan");
    free(text);
    json_decref(doc);
    return rc;
}

int cr_plan_save(const struct cr_plan *plan, const char *path)
{
    int result = CR_EIO;
    struct cr_buf tmp = CR_BUF_INIT, text = CR_BUF_INIT;
    FILE *fp = NULL;
    if (cr_plan_save_text(&text, plan) < 0) {
        cr_error_prefix("%s", path);
        return CR_ENOMEM;
    }
    cr_buf_printf(&tmp, "%s.tmp.%ld", path, (long)getpid());
    if (cr_buf_oom(&tmp)) {
        result = CR_ENOMEM;
        goto done;
    }
    /* temporary file + rename: a reader never sees half a plan */
    fp = fopen(tmp.ptr, "w");
    if (!fp) {
        cr_error_set("%s: cannot write the plan: %s", path, strerror(errno));
        goto done;
    }
    bool written = fwrite(text.ptr, 1, text.len, fp) == text.len;
    if (fclose(fp) != 0 || !written) {
        cr_error_set("%s: cannot write the plan (disk full?)", path);
        unlink(tmp.ptr);
        goto done;
    }
    if (rename(tmp.ptr, path) < 0) {
        cr_error_set("%s: cannot write the plan (rename failed)", path);
        unlink(tmp.ptr);
        goto done;
    }
    result = 0;
done:
    cr_buf_dispose(&tmp);
    cr_buf_dispose(&text);
    return result;
}

/* ---- loading ---- */

struct s_load {
    const char *name; /* file name for messages */
    struct cr_plan *plan;
};

static int s_bad(const struct s_load *ld, const char *member, const char *why)
{
    cr_error_set("%s: saved plan: %s: %s", ld->name, member, why);
    return CR_EINVALID;
}

/* s_bad with the last error as the reason (copied: it is the buffer being written). */
static int s_bad_last(const struct s_load *ld, const char *member)
{
    char why[1024];
    snprintf(why, sizeof(why), "%s", cr_error_last());
    return s_bad(ld, member, why);
}

static int s_oom_loading(void)
{
    cr_error_set("out of memory loading a saved plan");
    return CR_ENOMEM;
}

/* A string member (NULL allowed when nullable); copies into *out. */
static int s_str(char **out, const struct s_load *ld, json_t *obj, const char *key,
                 const char *where, bool nullable)
{
    json_t *v = json_object_get(obj, key);
    char member[160];
    snprintf(member, sizeof(member), "%s.%s", where, key);
    *out = NULL;
    if ((!v || json_is_null(v)) && nullable)
        return 0;
    if (!json_is_string(v))
        return s_bad(ld, member, nullable ? "must be a string or null" : "must be a string");
    *out = strdup(json_string_value(v));
    return *out ? 0 : s_oom_loading();
}

static int s_bool(bool *out, const struct s_load *ld, json_t *obj, const char *key,
                  const char *where)
{
    json_t *v = json_object_get(obj, key);
    if (!json_is_boolean(v)) {
        char member[160];
        snprintf(member, sizeof(member), "%s.%s", where, key);
        return s_bad(ld, member, "must be true or false");
    }
    *out = json_is_true(v);
    return 0;
}

static int s_action(enum cr_plan_action *out, const char *name)
{
    for (int a = CR_PLAN_NOOP; a <= CR_PLAN_DELETE; a++)
        if (strcmp(cr_plan_action_name((enum cr_plan_action)a), name) == 0) {
            *out = (enum cr_plan_action)a;
            return 0;
        }
    return CR_EINVALID;
}

static int s_kind(enum cr_plan_op_kind *out, const char *name)
{
    for (int k = CR_PLAN_OP_CREATE; k <= CR_PLAN_OP_DELETE; k++)
        if (strcmp(cr_plan_op_kind_name((enum cr_plan_op_kind)k), name) == 0) {
            *out = (enum cr_plan_op_kind)k;
            return 0;
        }
    return CR_EINVALID;
}

/* pools[i].reads: what to read again to verify the fingerprint. */
static int s_load_reads(struct cr_plan_pool *p, const struct s_load *ld, json_t *reads,
                        const char *where)
{
    if (!json_is_object(reads))
        return s_bad(ld, where, "must be an object");
    int rc = s_str(&p->adopt_id, ld, reads, "adopt_id", where, true);
    rc = rc < 0 ? rc : s_bool(&p->read_roles, ld, reads, "roles", where);
    rc = rc < 0 ? rc : s_bool(&p->read_principal_tags, ld, reads, "principal_tags", where);
    if (rc < 0)
        return rc;
    json_t *providers = json_object_get(reads, "providers");
    if (!json_is_array(providers))
        return s_bad(ld, where, "providers must be an array");
    for (size_t k = 0; k < json_array_size(providers); k++) {
        json_t *v = json_array_get(providers, k);
        if (!json_is_string(v))
            return s_bad(ld, where, "providers must hold strings");
        if (cr_strlist_push(&p->providers, json_string_value(v)) < 0)
            return CR_ENOMEM;
    }
    return 0;
}

static int s_load_pool(struct cr_plan_pool *p, const struct s_load *ld, json_t *o, size_t i)
{
    char where[64], where_reads[80];
    char *action = NULL, *fp = NULL;
    int rc;
    snprintf(where, sizeof(where), "pools[%zu]", i);
    snprintf(where_reads, sizeof(where_reads), "pools[%zu].reads", i);
    if (!json_is_object(o))
        return s_bad(ld, where, "must be an object");
    /* each step runs only while the previous ones succeeded */
    rc = s_str(&p->name, ld, o, "name", where, false);
    rc = rc < 0 ? rc : s_str(&p->account, ld, o, "account", where, true);
    rc = rc < 0 ? rc : s_str(&p->region, ld, o, "region", where, false);
    rc = rc < 0 ? rc : s_str(&p->pool_id, ld, o, "pool_id", where, true);
    rc = rc < 0 ? rc : s_str(&p->identity_pool_name, ld, o, "identity_pool_name", where, true);
    rc = rc < 0 ? rc : s_str(&p->source, ld, o, "source", where, true);
    rc = rc < 0 ? rc : s_str(&p->note, ld, o, "note", where, true);
    rc = rc < 0 ? rc : s_str(&p->live_revision, ld, o, "live_revision", where, true);
    rc = rc < 0 ? rc : s_bool(&p->adopted, ld, o, "adopted", where);
    rc = rc < 0 ? rc : s_str(&action, ld, o, "action", where, false);
    rc = rc < 0 ? rc : s_str(&fp, ld, o, "fingerprint", where, false);
    if (rc < 0)
        goto done;
    if (s_action(&p->action, action) < 0) {
        rc = s_bad(ld, where, "unknown action");
        goto done;
    }
    if (strlen(fp) != 64 || strspn(fp, "0123456789abcdef") != 64) {
        rc = s_bad(ld, where, "fingerprint must be 64 lowercase hex digits");
        goto done;
    }
    memcpy(p->fingerprint, fp, 65);
    rc = s_load_reads(p, ld, json_object_get(o, "reads"), where_reads);
done:
    free(action);
    free(fp);
    return rc;
}

/* UntagResource's parameters: ResourceArn and TagKeys (strings). Messages name the member. */
static int s_load_untag(struct cr_plan_op *op, const struct s_load *ld, json_t *params,
                        const char *where)
{
    json_t *keys = json_object_get(params, "TagKeys");
    int rc = s_str(&op->arn, ld, params, "ResourceArn", where, false);
    if (rc == 0 && !json_is_array(keys))
        rc = s_bad(ld, where, "TagKeys must be an array");
    for (size_t i = 0; rc == 0 && i < json_array_size(keys); i++) {
        json_t *k = json_array_get(keys, i);
        if (!json_is_string(k))
            rc = s_bad(ld, where, "TagKeys must hold strings");
        else if (cr_strlist_push(&op->params_untag, json_string_value(k)) < 0)
            rc = s_oom_loading();
    }
    return rc;
}

/* The other kinds' parameters, with the aws/ decoders (the request shapes share the member
 * names of the responses they decode). Their messages get the place prefixed here. */
static int s_decode_params(struct cr_plan_op *op, const char *text, size_t len)
{
    int rc = 0;
    switch (op->kind) {
    case CR_PLAN_OP_CREATE:
    case CR_PLAN_OP_UPDATE:
        rc = cr_cognito_decode_pool(&op->params_pool, text, len);
        if (rc == 0 && op->kind == CR_PLAN_OP_CREATE) {
            free(op->params_pool.id);
            op->params_pool.id = NULL;
        }
        break;
    case CR_PLAN_OP_SET_ROLES:
        rc = cr_cognito_decode_roles(&op->params_roles, text, len);
        break;
    case CR_PLAN_OP_SET_PRINCIPAL_TAGS:
        rc = cr_cognito_decode_principal_tags(&op->params_ptags, text, len);
        break;
    case CR_PLAN_OP_TAG:
        rc = cr_cognito_decode_tags(&op->params_tags, text, len);
        break;
    case CR_PLAN_OP_UNTAG:
    case CR_PLAN_OP_DELETE:
    default:
        break;
    }
    return rc;
}

/* Decodes an op's request parameters. */
static int s_load_params(struct cr_plan_op *op, const struct s_load *ld, json_t *params,
                         const char *where)
{
    if (op->kind == CR_PLAN_OP_UNTAG)
        return s_load_untag(op, ld, params, where);
    int rc =
        op->kind == CR_PLAN_OP_TAG ? s_str(&op->arn, ld, params, "ResourceArn", where, false) : 0;
    if (rc < 0)
        return rc;
    rc = CR_ENOMEM;
    char *text = NULL;
    json_t *copy = json_deep_copy(params);
    if (!copy)
        goto done;
    /* a created pool's id is not known yet: the decoder wants one */
    if (op->kind == CR_PLAN_OP_CREATE && !json_object_get(copy, "IdentityPoolId") &&
        json_object_set_new(copy, "IdentityPoolId", json_string(CR_PLAN_ID_AFTER_CREATE)) < 0)
        goto done;
    text = json_dumps(copy, JSON_COMPACT);
    if (!text)
        goto done;
    rc = s_decode_params(op, text, strlen(text));
    if (rc < 0 && rc != CR_ENOMEM)
        cr_error_prefix("%s: saved plan: %s", ld->name, where);
done:
    if (rc == CR_ENOMEM)
        s_oom_loading();
    free(text);
    json_decref(copy);
    return rc;
}

static int s_load_changes(struct cr_plan_op *op, const struct s_load *ld, json_t *changes,
                          const char *where)
{
    if (!json_is_array(changes))
        return s_bad(ld, where, "changes must be an array");
    size_t n = json_array_size(changes);
    op->changes = calloc(n ? n : 1, sizeof(*op->changes));
    if (!op->changes)
        return CR_ENOMEM;
    for (size_t i = 0; i < n; i++) {
        json_t *c = json_array_get(changes, i);
        json_t *path = json_object_get(c, "path");
        json_t *before = json_object_get(c, "before"), *after = json_object_get(c, "after");
        if (!json_is_string(path) || (!before && !after))
            return s_bad(ld, where, "each change needs a path and a before or after value");
        struct cr_plan_change *ch = &op->changes[op->n_changes++];
        ch->path = strdup(json_string_value(path));
        ch->before = before ? json_dumps(before, JSON_COMPACT | JSON_ENCODE_ANY) : NULL;
        ch->after = after ? json_dumps(after, JSON_COMPACT | JSON_ENCODE_ANY) : NULL;
        if (!ch->path || (before && !ch->before) || (after && !ch->after))
            return CR_ENOMEM;
    }
    return 0;
}

static int s_load_op(struct cr_plan_op *op, const struct s_load *ld, json_t *o, size_t i)
{
    char where[64];
    char *kind = NULL;
    bool replace = false;
    int rc;
    snprintf(where, sizeof(where), "operations[%zu]", i);
    json_t *pool_index = json_object_get(o, "pool_index");
    if (!json_is_object(o) || !json_is_integer(pool_index) || json_integer_value(pool_index) < 0 ||
        (size_t)json_integer_value(pool_index) >= ld->plan->n_pools)
        return s_bad(ld, where, "must be an object with a valid pool_index");
    op->pool = (size_t)json_integer_value(pool_index);
    rc = s_str(&kind, ld, o, "action", where, false);
    rc = rc < 0 ? rc : s_bool(&replace, ld, o, "replace", where);
    if (rc < 0)
        goto done;
    op->replace = replace;
    if (s_kind(&op->kind, kind) < 0) {
        rc = s_bad(ld, where, "unknown action");
        goto done;
    }
    json_t *params = json_object_get(o, "parameters");
    if (!json_is_object(params)) {
        rc = s_bad(ld, where, "parameters must be an object");
        goto done;
    }
    rc = s_load_params(op, ld, params, where);
    if (rc < 0)
        goto done;
    rc = s_load_changes(op, ld, json_object_get(o, "changes"), where);
done:
    free(kind);
    return rc;
}

/* Operations must come grouped by pool, in pool order (as cr_plan_build makes them). */
static int s_link_ops(struct cr_plan *plan, const struct s_load *ld)
{
    for (size_t i = 0; i < plan->n_ops; i++) {
        struct cr_plan_pool *p = &plan->pools[plan->ops[i].pool];
        if (i > 0 && plan->ops[i].pool < plan->ops[i - 1].pool)
            return s_bad(ld, "operations", "not grouped by pool in pool order");
        if (p->n_ops == 0)
            p->first_op = i;
        p->n_ops++;
    }
    return 0;
}

static int s_load_counts(struct cr_plan *plan, const struct s_load *ld, json_t *summary)
{
    size_t *fields[] = {&plan->n_create, &plan->n_update, &plan->n_delete, &plan->n_replace};
    const char *names[] = {"create", "update", "delete", "replace"};
    for (size_t i = 0; i < 4; i++) {
        json_t *v = json_object_get(summary, names[i]);
        if (!json_is_integer(v) || json_integer_value(v) < 0)
            return s_bad(ld, "summary", "create/update/delete/replace must be counts");
        *fields[i] = (size_t)json_integer_value(v);
    }
    return 0;
}

/* An array of strings into list; member names it in messages. */
static int s_load_strings(struct cr_strlist *list, const struct s_load *ld, json_t *arr,
                          const char *member)
{
    if (!json_is_array(arr))
        return s_bad(ld, member, "must be an array of strings");
    for (size_t i = 0; i < json_array_size(arr); i++) {
        json_t *v = json_array_get(arr, i);
        if (!json_is_string(v))
            return s_bad(ld, member, "must hold strings");
        if (cr_strlist_push(list, json_string_value(v)) < 0)
            return s_oom_loading();
    }
    return 0;
}

/* Decodes a desired pool's member (an object in the shape of a request body) with an aws/
 * decoder; the pool id the decoders want is added. */
static int s_decode_member(void *out, const struct s_load *ld, json_t *v, const char *where,
                           int (*decode)(void *, const char *, size_t))
{
    json_t *copy = json_deep_copy(v);
    char *text = NULL;
    int rc = CR_ENOMEM;
    if (!json_is_object(v))
        rc = s_bad(ld, where, "must be an object");
    else if (copy && json_object_set_new(copy, "IdentityPoolId", json_string("x")) == 0 &&
             (text = json_dumps(copy, JSON_COMPACT)) != NULL)
        rc = decode(out, text, strlen(text));
    if (rc == CR_ENOMEM)
        s_oom_loading();
    else if (rc < 0 && json_is_object(v))
        cr_error_prefix("%s: saved plan: %s", ld->name, where);
    free(text);
    json_decref(copy);
    return rc;
}

static int s_decode_pool_v(void *out, const char *text, size_t len)
{
    return cr_cognito_decode_pool(out, text, len);
}

static int s_decode_roles_v(void *out, const char *text, size_t len)
{
    return cr_cognito_decode_roles(out, text, len);
}

static int s_decode_ptags_v(void *out, const char *text, size_t len)
{
    return cr_cognito_decode_principal_tags(out, text, len);
}

/* The managed sections of a desired pool: null = unmanaged. */
static int s_load_sections(struct cr_desired_pool *d, const struct s_load *ld, json_t *o,
                           const char *where)
{
    char member[96];
    int rc = 0;
    json_t *roles = json_object_get(o, "roles"), *ptags = json_object_get(o, "principal_tags");
    json_t *tags = json_object_get(o, "tags");
    snprintf(member, sizeof(member), "%s.roles", where);
    d->manage_roles = roles && !json_is_null(roles);
    if (d->manage_roles)
        rc = s_decode_member(&d->roles, ld, roles, member, s_decode_roles_v);
    snprintf(member, sizeof(member), "%s.principal_tags", where);
    d->manage_principal_tags = ptags && !json_is_null(ptags);
    if (rc == 0 && d->manage_principal_tags && !json_is_array(ptags))
        rc = s_bad(ld, member, "must be an array or null");
    d->principal_tags = calloc(json_array_size(ptags) + 1, sizeof(*d->principal_tags));
    if (rc == 0 && !d->principal_tags)
        rc = s_oom_loading();
    for (size_t i = 0; rc == 0 && i < json_array_size(ptags); i++) {
        d->n_principal_tags = i + 1;
        rc = s_decode_member(&d->principal_tags[i], ld, json_array_get(ptags, i), member,
                             s_decode_ptags_v);
    }
    snprintf(member, sizeof(member), "%s.tags", where);
    d->manage_tags = tags && !json_is_null(tags);
    const char *k;
    json_t *v;
    if (rc == 0 && d->manage_tags && !json_is_object(tags))
        rc = s_bad(ld, member, "must be an object or null");
    json_object_foreach(d->manage_tags && rc == 0 ? tags : NULL, k, v)
    {
        if (rc == 0 && !json_is_string(v))
            rc = s_bad(ld, member, "values must be strings");
        else if (rc == 0 && cr_strmap_set(&d->tags, k, json_string_value(v)) < 0)
            rc = s_oom_loading();
    }
    return rc;
}

/* desired[i]: what one manifest asked for when the plan was made. */
static int s_load_desired(struct cr_desired_pool *d, const struct s_load *ld, json_t *o, size_t i)
{
    char where[48], member[64];
    snprintf(where, sizeof(where), "desired[%zu]", i);
    snprintf(member, sizeof(member), "%s.config", where);
    cr_desired_pool_init(d);
    if (!json_is_object(o))
        return s_bad(ld, where, "must be an object");
    int rc = s_str(&d->name, ld, o, "name", where, false);
    rc = rc < 0 ? rc : s_str(&d->account, ld, o, "account", where, true);
    rc = rc < 0 ? rc : s_str(&d->region, ld, o, "region", where, false);
    rc = rc < 0 ? rc : s_str(&d->adopt_id, ld, o, "adopt_id", where, true);
    rc = rc < 0 ? rc : s_str(&d->source, ld, o, "source", where, true);
    if (rc == 0) {
        struct cr_cognito_pool config;
        rc = s_decode_member(&config, ld, json_object_get(o, "config"), member, s_decode_pool_v);
        if (rc == 0) {
            cr_cognito_pool_dispose(&d->config);
            d->config = config;
            free(d->config.id);
            d->config.id = NULL;
            d->config.has_tags = false;
            cr_strmap_dispose(&d->config.tags);
        }
    }
    rc = rc < 0 ? rc : s_load_sections(d, ld, o, where);
    if (rc == 0 && cr_desired_normalise(d) < 0)
        return s_bad_last(ld, where);
    return rc;
}

/* What the plan was computed from (cr_plan_save's "options", "desired", "listed_regions",
 * "owned"), which apply needs to compute it again. */
static int s_load_inputs(struct cr_plan *plan, const struct s_load *ld, json_t *root)
{
    json_t *options = json_object_get(root, "options"), *desired = json_object_get(root, "desired");
    json_t *owned = json_object_get(root, "owned");
    if (!desired)
        return s_bad(ld, "desired",
                     "missing: the plan does not record the manifests it was computed from (saved "
                     "by an older cognito-reconcile?), so apply cannot check it; run plan --out "
                     "again");
    if (!json_is_object(options) || !json_is_array(desired) || !json_is_array(owned))
        return s_bad(ld, "plan", "options must be an object, desired and owned arrays");
    int rc = s_bool(&plan->prune, ld, options, "prune", "options");
    rc = rc < 0 ? rc : s_bool(&plan->allow_replace, ld, options, "allow_replace", "options");
    rc = rc < 0 ? rc
                : s_load_strings(&plan->targets, ld, json_object_get(options, "targets"),
                                 "options.targets");
    rc = rc < 0 ? rc
                : s_load_strings(&plan->listed, ld, json_object_get(root, "listed_regions"),
                                 "listed_regions");
    for (size_t i = 0; rc == 0 && i < json_array_size(owned); i++) {
        json_t *o = json_array_get(owned, i);
        json_t *id = json_object_get(o, "pool_id"), *name = json_object_get(o, "name");
        if (!json_is_string(id) || !json_is_string(name))
            rc = s_bad(ld, "owned", "each entry needs a pool_id and a name (strings)");
        else if (cr_strmap_set(&plan->owned, json_string_value(id), json_string_value(name)) < 0)
            rc = s_oom_loading();
    }
    plan->desired = calloc(json_array_size(desired) + 1, sizeof(*plan->desired));
    if (rc == 0 && !plan->desired)
        rc = s_oom_loading();
    for (size_t i = 0; rc == 0 && i < json_array_size(desired); i++) {
        plan->n_desired = i + 1;
        rc = s_load_desired(&plan->desired[i], ld, json_array_get(desired, i), i);
    }
    return rc;
}

/*
 * The file must be self-consistent: its "digest" is the digest of its "operations" as written,
 * and each operation is exactly what cognito-reconcile renders for the call it loaded as (so
 * what apply sends is what the digest covers).
 */
static int s_check_digest(struct cr_plan *plan, const struct s_load *ld, json_t *root)
{
    char raw[CR_PLAN_DIGEST_LEN + 1];
    const char *recorded = json_string_value(json_object_get(root, "digest"));
    json_t *ops = json_object_get(root, "operations");
    if (!cr_plan_digest_valid(recorded))
        return s_bad(ld, "digest", "must be \"sha256:\" and 64 hex digits");
    int rc = cr_plan_digest_ops(raw, ops);
    if (rc == CR_EINVALID)
        return s_bad_last(ld, "operations");
    if (rc < 0)
        return rc;
    if (!cr_plan_digest_equal(recorded, raw)) {
        char why[256];
        snprintf(why, sizeof(why),
                 "%s is not the digest of the operations (%s): they were edited after the plan "
                 "was made",
                 recorded, raw);
        return s_bad(ld, "digest", why);
    }
    json_t *doc = cr_render_json_doc(plan);
    json_t *again = json_object_get(doc, "operations");
    rc = doc ? 0 : CR_ENOMEM;
    for (size_t i = 0; rc == 0 && i < json_array_size(ops); i++) {
        json_t *a = NULL, *b = NULL;
        struct cr_buf x = CR_BUF_INIT, y = CR_BUF_INIT;
        rc = s_pick(&a, json_array_get(ops, i), i);
        rc = rc < 0 ? rc : s_pick(&b, json_array_get(again, i), i);
        rc = rc < 0 ? rc : s_canon(&x, a);
        rc = rc < 0 ? rc : s_canon(&y, b);
        if (rc == 0 && strcmp(cr_buf_cstr(&x), cr_buf_cstr(&y)) != 0) {
            char member[48];
            snprintf(member, sizeof(member), "operations[%zu]", i);
            rc = s_bad(ld, member,
                       "not what cognito-reconcile sends for this call (its parameters, pool or "
                       "pool_id were edited)");
        }
        json_decref(a);
        json_decref(b);
        cr_buf_dispose(&x);
        cr_buf_dispose(&y);
    }
    json_decref(doc);
    return rc;
}

/* accounts[i]: which account, the id it must be and how to reach it. */
static int s_load_account(struct cr_plan_account *a, const struct s_load *ld, json_t *o, size_t i)
{
    char where[64];
    struct cr_desired_account *d = &a->account;
    snprintf(where, sizeof(where), "accounts[%zu]", i);
    if (!json_is_object(o))
        return s_bad(ld, where, "must be an object");
    int rc = s_str(&d->name, ld, o, "name", where, true);
    rc = rc < 0 ? rc : s_str(&d->account_id, ld, o, "account_id", where, true);
    rc = rc < 0 ? rc : s_str(&d->profile, ld, o, "profile", where, true);
    rc = rc < 0 ? rc : s_str(&d->role_arn, ld, o, "role_arn", where, true);
    rc = rc < 0 ? rc : s_str(&d->external_id, ld, o, "external_id", where, true);
    rc = rc < 0 ? rc : s_str(&d->session_name, ld, o, "session_name", where, true);
    rc = rc < 0 ? rc : s_str(&d->region, ld, o, "region", where, true);
    if (rc < 0)
        return rc;
    if (d->account_id && (strlen(d->account_id) != 12 || strspn(d->account_id, "0123456789") != 12))
        return s_bad(ld, where, "account_id must be 12 digits or null");
    if (d->name && (!d->account_id || (!d->profile == !d->role_arn)))
        return s_bad(ld, where, "a named account needs its account_id and a profile or a role_arn");
    char member[80];
    snprintf(member, sizeof(member), "%s.regions", where);
    return s_load_strings(&a->regions, ld, json_object_get(o, "regions"), member);
}

/* "accounts": every account the plan covers, once each, every pool's among them. */
static int s_load_accounts(struct cr_plan *plan, const struct s_load *ld, json_t *accounts)
{
    if (!json_is_array(accounts))
        return s_bad(ld, "accounts", "must be an array");
    plan->accounts = calloc(json_array_size(accounts) + 1, sizeof(*plan->accounts));
    if (!plan->accounts)
        return s_oom_loading();
    for (size_t i = 0; i < json_array_size(accounts); i++) {
        plan->n_accounts = i + 1;
        int rc = s_load_account(&plan->accounts[i], ld, json_array_get(accounts, i), i);
        if (rc < 0)
            return rc;
        for (size_t j = 0; j < i; j++)
            if (cr_plan_account_find(plan, plan->accounts[i].account.name) != &plan->accounts[i])
                return s_bad(ld, "accounts", "an account is listed twice");
    }
    for (size_t i = 0; i < plan->n_pools; i++)
        if (plan->pools[i].account && !cr_plan_account_find(plan, plan->pools[i].account)) {
            char where[64];
            snprintf(where, sizeof(where), "pools[%zu].account", i);
            return s_bad(ld, where, "names an account the plan does not list under accounts");
        }
    return 0;
}

static int s_load_doc(struct cr_plan *plan, const struct s_load *ld, json_t *root)
{
    int rc;
    json_t *version = json_object_get(root, "format_version");
    if (!json_is_string(version) || strcmp(json_string_value(version), "1") != 0)
        return s_bad(ld, "format_version", "must be \"1\" (a plan from another version?)");
    rc = s_str(&plan->stack, ld, root, "stack", "plan", false);
    rc = rc < 0 ? rc : s_str(&plan->revision, ld, root, "revision", "plan", true);
    if (rc < 0)
        return rc;
    json_t *regions = json_object_get(root, "regions");
    json_t *pools = json_object_get(root, "pools");
    json_t *ops = json_object_get(root, "operations");
    if (!json_is_array(regions) || !json_is_array(pools) || !json_is_array(ops))
        return s_bad(ld, "plan", "regions, pools and operations must be arrays");
    rc = s_load_strings(&plan->regions, ld, regions, "regions");
    if (rc < 0)
        return rc;
    plan->pools = calloc(json_array_size(pools) + 1, sizeof(*plan->pools));
    plan->ops = calloc(json_array_size(ops) + 1, sizeof(*plan->ops));
    if (!plan->pools || !plan->ops)
        return CR_ENOMEM;
    for (size_t i = 0; i < json_array_size(pools); i++) {
        plan->n_pools = i + 1;
        rc = s_load_pool(&plan->pools[i], ld, json_array_get(pools, i), i);
        if (rc < 0)
            return rc;
    }
    for (size_t i = 0; i < json_array_size(ops); i++) {
        plan->n_ops = i + 1;
        rc = s_load_op(&plan->ops[i], ld, json_array_get(ops, i), i);
        if (rc < 0)
            return rc;
    }
    rc = s_link_ops(plan, ld);
    rc = rc < 0 ? rc : s_load_accounts(plan, ld, json_object_get(root, "accounts"));
    rc = rc < 0 ? rc : s_load_counts(plan, ld, json_object_get(root, "summary"));
    rc = rc < 0 ? rc : s_load_inputs(plan, ld, root);
    return rc < 0 ? rc : s_check_digest(plan, ld, root);
}

int cr_plan_load_text(struct cr_plan *out, const char *text, size_t len, const char *name)
{
    struct s_load ld = {.name = name, .plan = out};
    json_error_t err;
    cr_plan_init(out);
    json_t *root = json_loadb(text, len, JSON_REJECT_DUPLICATES, &err);
    if (!root) {
        cr_error_set("%s:%d:%d: saved plan is not valid JSON: %s", name, err.line, err.column,
                     err.text);
        return CR_EINVALID;
    }
    int rc = json_is_object(root) ? s_load_doc(out, &ld, root)
                                  : s_bad(&ld, "plan", "must be a JSON object");
    if (rc == CR_ENOMEM)
        cr_error_set("%s: out of memory loading the saved plan", name);
    if (rc < 0)
        cr_plan_dispose(out);
    json_decref(root);
    return rc;
}

int cr_plan_load(struct cr_plan *out, const char *path)
{
    struct cr_buf text = CR_BUF_INIT;
    cr_plan_init(out);
    int rc = cr_buf_read_file(&text, path, MAX_PLAN_BYTES);
    if (rc < 0) {
        cr_error_prefix("saved plan %s", path);
        cr_buf_dispose(&text);
        return rc;
    }
    rc = cr_plan_load_text(out, text.ptr ? text.ptr : "", text.len, path);
    cr_buf_dispose(&text);
    return rc;
}
