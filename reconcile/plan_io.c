/* SPDX-License-Identifier: Apache-2.0 */
/*
 * Saved plans: the JSON document of cr_render_json() (format_version "1") written to a file
 * and read back. The parameters are the exact request bodies; loading decodes them with the
 * aws/ decoders, so a saved plan applies exactly the calls that were shown.
 */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include <jansson.h>

#include "reconcile/plan.h"
#include "reconcile/render.h"
#include "util/buf.h"

#define MAX_PLAN_BYTES (64u * 1024u * 1024u)

int cr_plan_save(const struct cr_plan *plan, const char *path)
{
    int result = CR_EIO;
    struct cr_buf tmp = CR_BUF_INIT;
    json_t *doc = cr_render_json_doc(plan);
    if (!doc) {
        cr_error_set("%s: out of memory rendering the plan", path);
        return CR_ENOMEM;
    }
    cr_buf_printf(&tmp, "%s.tmp.%ld", path, (long)getpid());
    if (cr_buf_oom(&tmp)) {
        result = CR_ENOMEM;
        goto done;
    }
    /* temporary file + rename: a reader never sees half a plan */
    if (json_dump_file(doc, tmp.ptr, JSON_INDENT(2)) < 0) {
        cr_error_set("%s: cannot write the plan", path);
        goto done;
    }
    if (rename(tmp.ptr, path) < 0) {
        cr_error_set("%s: cannot write the plan (rename failed)", path);
        unlink(tmp.ptr);
        goto done;
    }
    result = 0;
done:
    json_decref(doc);
    cr_buf_dispose(&tmp);
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
    for (size_t i = 0; i < json_array_size(regions); i++) {
        json_t *r = json_array_get(regions, i);
        if (!json_is_string(r))
            return s_bad(ld, "regions", "must hold strings");
        if (cr_strlist_push(&plan->regions, json_string_value(r)) < 0)
            return CR_ENOMEM;
    }
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
    if (rc < 0)
        return rc;
    return s_load_counts(plan, ld, json_object_get(root, "summary"));
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
