/* SPDX-License-Identifier: Apache-2.0 */
/* Plan objects: lifetime, names, request bodies, wants, and the checks of a saved plan
 * (fingerprints, the stack's pools, re-derivation). */
#include "reconcile/plan.h"

#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

void cr_plan_init(struct cr_plan *plan)
{
    memset(plan, 0, sizeof(*plan));
}

static void s_op_dispose(struct cr_plan_op *op)
{
    cr_cognito_pool_dispose(&op->params_pool);
    cr_cognito_roles_dispose(&op->params_roles);
    cr_cognito_principal_tags_dispose(&op->params_ptags);
    cr_strmap_dispose(&op->params_tags);
    cr_strlist_dispose(&op->params_untag);
    free(op->arn);
    for (size_t i = 0; i < op->n_changes; i++) {
        free(op->changes[i].path);
        free(op->changes[i].before);
        free(op->changes[i].after);
    }
    free(op->changes);
}

static void s_pool_dispose(struct cr_plan_pool *pool)
{
    free(pool->name);
    free(pool->account);
    free(pool->region);
    free(pool->pool_id);
    free(pool->source);
    free(pool->identity_pool_name);
    free(pool->note);
    free(pool->live_revision);
    free(pool->adopt_id);
    cr_strlist_dispose(&pool->providers);
}

void cr_plan_dispose(struct cr_plan *plan)
{
    if (!plan)
        return;
    for (size_t i = 0; i < plan->n_ops; i++)
        s_op_dispose(&plan->ops[i]);
    free(plan->ops);
    for (size_t i = 0; i < plan->n_pools; i++)
        s_pool_dispose(&plan->pools[i]);
    free(plan->pools);
    free(plan->stack);
    free(plan->revision);
    cr_strlist_dispose(&plan->regions);
    for (size_t i = 0; plan->desired && i < plan->n_desired; i++)
        cr_desired_pool_dispose(&plan->desired[i]);
    free(plan->desired);
    cr_strlist_dispose(&plan->listed);
    cr_strlist_dispose(&plan->targets);
    cr_strmap_dispose(&plan->owned);
    for (size_t i = 0; i < plan->n_accounts; i++) {
        cr_desired_account_dispose(&plan->accounts[i].account);
        cr_strlist_dispose(&plan->accounts[i].regions);
    }
    free(plan->accounts);
    for (size_t i = 0; i < plan->n_access; i++) {
        struct cr_plan_access *a = &plan->access[i];
        free(a->test);
        free(a->name);
        free(a->source);
        free(a->before);
        free(a->after);
        free(a->why);
        free(a->failure);
    }
    free(plan->access);
    memset(plan, 0, sizeof(*plan));
}

bool cr_plan_is_empty(const struct cr_plan *plan)
{
    return plan->n_ops == 0;
}

enum cr_cognito_op cr_plan_op_api(enum cr_plan_op_kind kind)
{
    switch (kind) {
    case CR_PLAN_OP_CREATE:
        return CR_OP_CREATE_IDENTITY_POOL;
    case CR_PLAN_OP_UPDATE:
        return CR_OP_UPDATE_IDENTITY_POOL;
    case CR_PLAN_OP_SET_ROLES:
        return CR_OP_SET_IDENTITY_POOL_ROLES;
    case CR_PLAN_OP_SET_PRINCIPAL_TAGS:
        return CR_OP_SET_PRINCIPAL_TAG_ATTRIBUTE_MAP;
    case CR_PLAN_OP_TAG:
        return CR_OP_TAG_RESOURCE;
    case CR_PLAN_OP_UNTAG:
        return CR_OP_UNTAG_RESOURCE;
    case CR_PLAN_OP_DELETE:
        return CR_OP_DELETE_IDENTITY_POOL;
    default:
        return CR_OP_COUNT;
    }
}

const char *cr_plan_op_kind_name(enum cr_plan_op_kind kind)
{
    switch (kind) {
    case CR_PLAN_OP_CREATE:
        return "create";
    case CR_PLAN_OP_UPDATE:
        return "update";
    case CR_PLAN_OP_SET_ROLES:
        return "set_roles";
    case CR_PLAN_OP_SET_PRINCIPAL_TAGS:
        return "set_principal_tags";
    case CR_PLAN_OP_TAG:
        return "tag";
    case CR_PLAN_OP_UNTAG:
        return "untag";
    case CR_PLAN_OP_DELETE:
        return "delete";
    default:
        return "unknown";
    }
}

const char *cr_plan_action_name(enum cr_plan_action action)
{
    switch (action) {
    case CR_PLAN_NOOP:
        return "no-op";
    case CR_PLAN_CREATE:
        return "create";
    case CR_PLAN_UPDATE:
        return "update";
    case CR_PLAN_REPLACE:
        return "replace";
    case CR_PLAN_DELETE:
        return "delete";
    default:
        return "unknown";
    }
}

const char *cr_plan_op_pool_id(const struct cr_plan *plan, const struct cr_plan_op *op)
{
    const struct cr_plan_pool *pool = &plan->pools[op->pool];
    /* The ops after a replacement's Delete address the new pool. */
    if (pool->pool_id && !(op->replace && op->kind != CR_PLAN_OP_DELETE))
        return pool->pool_id;
    return NULL;
}

/* The id an op addresses: the caller's (a create's result), the plan's, or the placeholder. */
static const char *s_op_pool_id(const struct cr_plan *plan, const struct cr_plan_op *op,
                                const char *pool_id)
{
    const char *known = cr_plan_op_pool_id(plan, op);
    return pool_id ? pool_id : known ? known : CR_PLAN_ID_AFTER_CREATE;
}

int cr_plan_op_body(struct cr_buf *out, const struct cr_plan *plan, const struct cr_plan_op *op,
                    const char *pool_id)
{
    const char *id = s_op_pool_id(plan, op, pool_id);
    struct cr_cognito_pool pool = op->params_pool; /* shallow: only the id differs */
    struct cr_cognito_roles roles = op->params_roles;
    struct cr_cognito_principal_tags ptags = op->params_ptags;
    switch (op->kind) {
    case CR_PLAN_OP_CREATE:
        return cr_cognito_encode_create(out, &op->params_pool);
    case CR_PLAN_OP_UPDATE:
        pool.id = (char *)id;
        return cr_cognito_encode_update(out, &pool);
    case CR_PLAN_OP_SET_ROLES:
        roles.pool_id = (char *)id;
        return cr_cognito_encode_set_roles(out, &roles);
    case CR_PLAN_OP_SET_PRINCIPAL_TAGS:
        ptags.pool_id = (char *)id;
        return cr_cognito_encode_set_principal_tags(out, &ptags);
    case CR_PLAN_OP_TAG:
        return cr_cognito_encode_tag(out, op->arn, &op->params_tags);
    case CR_PLAN_OP_UNTAG:
        return cr_cognito_encode_untag(out, op->arn, &op->params_untag);
    case CR_PLAN_OP_DELETE:
        return cr_cognito_encode_pool_id(out, id);
    default:
        cr_error_set("plan operation %d: unknown kind", (int)op->kind);
        return CR_EINVALID;
    }
}

/* ---- wants ---- */

void cr_plan_wants_dispose(struct cr_plan_wants *wants)
{
    if (!wants)
        return;
    for (size_t i = 0; wants->providers && i < wants->len; i++)
        cr_strlist_dispose(&wants->providers[i]);
    free(wants->providers);
    free(wants->items);
    memset(wants, 0, sizeof(*wants));
}

static int s_wants_alloc(struct cr_plan_wants *out, size_t n)
{
    memset(out, 0, sizeof(*out));
    out->items = calloc(n ? n : 1, sizeof(*out->items));
    out->providers = calloc(n ? n : 1, sizeof(*out->providers));
    out->len = n;
    if (!out->items || !out->providers) {
        cr_plan_wants_dispose(out);
        cr_error_set("out of memory listing what to read");
        return CR_ENOMEM;
    }
    return 0;
}

int cr_plan_wants_from_desired(struct cr_plan_wants *out, const struct cr_desired_pool *desired,
                               size_t n)
{
    int result = s_wants_alloc(out, n);
    for (size_t i = 0; result == 0 && i < n; i++) {
        const struct cr_desired_pool *d = &desired[i];
        struct cr_live_want *w = &out->items[i];
        w->name = d->name;
        w->account = d->account;
        w->region = d->region;
        w->pool_id = d->adopt_id;
        w->roles = d->manage_roles;
        w->principal_tags = d->manage_principal_tags;
        w->providers = &out->providers[i];
        if (d->manage_principal_tags)
            result = cr_desired_principal_tag_providers(&out->providers[i], d);
    }
    if (result < 0)
        cr_plan_wants_dispose(out);
    return result;
}

int cr_plan_wants_from_plan(struct cr_plan_wants *out, const struct cr_plan *plan)
{
    int result = s_wants_alloc(out, plan->n_pools);
    for (size_t i = 0; result == 0 && i < plan->n_pools; i++) {
        const struct cr_plan_pool *p = &plan->pools[i];
        struct cr_live_want *w = &out->items[i];
        w->name = p->name;
        w->account = p->account;
        w->region = p->region;
        /* A pool the plan replaces or deletes is read by its id; one it creates is looked
         * for by its name tag (it must still not exist). */
        w->pool_id = p->pool_id;
        w->roles = p->read_roles;
        w->principal_tags = p->read_principal_tags;
        w->providers = &p->providers;
    }
    return result;
}

/* ---- saved-plan verification ---- */

/* The live pool a plan pool was computed against, found the way cr_plan_build found it. */
static const struct cr_live_pool *s_find_live(const struct cr_plan *plan,
                                              const struct cr_plan_pool *p,
                                              const struct cr_live_state *live)
{
    if (p->pool_id)
        return cr_live_find_id(live, p->pool_id);
    for (size_t i = 0; i < live->len; i++) {
        const struct cr_live_pool *l = live->pools[i];
        bool same_account =
            p->account ? l->account && strcmp(l->account, p->account) == 0 : !l->account;
        if (l->stack && l->name && strcmp(l->stack, plan->stack) == 0 &&
            strcmp(l->name, p->name) == 0 && strcmp(l->region, p->region) == 0 && same_account)
            return l;
    }
    return NULL;
}

static int s_inventory_changed(const struct cr_plan *plan, const char *id, const char *what)
{
    cr_error_set("pool %s of stack '%s' %s since the plan was made; run plan again", id,
                 plan->stack, what);
    return CR_ECONFLICT;
}

/* In every region the plan listed, the pools of its stack are the same, with the same name
 * tags: a pool created meanwhile (or retagged to claim a name) makes the saved plan stale. */
static int s_verify_inventory(const struct cr_plan *plan, const struct cr_live_state *live)
{
    struct cr_strmap now = {0};
    int rc = 0;
    for (size_t i = 0; rc == 0 && i < plan->listed.len; i++)
        if (!cr_strlist_contains(&live->regions, plan->listed.items[i])) {
            cr_error_set("region %s: its pools were not listed again; cannot check the saved plan",
                         plan->listed.items[i]);
            rc = CR_EINVALID;
        }
    for (size_t i = 0; rc == 0 && i < live->len; i++) {
        const struct cr_live_pool *l = live->pools[i];
        char scope[CR_LIVE_SCOPE_MAX];
        if (l->stack && strcmp(l->stack, plan->stack) == 0 &&
            cr_strlist_contains(&plan->listed, cr_live_scope_key(scope, l->account, l->region)) &&
            cr_strmap_set(&now, l->config.id, l->name ? l->name : "") < 0)
            rc = CR_ENOMEM;
    }
    for (size_t i = 0; rc == 0 && i < now.len; i++) {
        const char *was = cr_strmap_get(&plan->owned, now.items[i].key);
        char what[512];
        if (!was) {
            snprintf(what, sizeof(what), "(name tag '%.300s') appeared", now.items[i].value);
            rc = s_inventory_changed(plan, now.items[i].key, what);
        } else if (strcmp(was, now.items[i].value) != 0) {
            snprintf(what, sizeof(what), "changed its name tag from '%.200s' to '%.200s'", was,
                     now.items[i].value);
            rc = s_inventory_changed(plan, now.items[i].key, what);
        }
    }
    for (size_t i = 0; rc == 0 && i < plan->owned.len; i++)
        if (!cr_strmap_get(&now, plan->owned.items[i].key))
            rc = s_inventory_changed(plan, plan->owned.items[i].key, "went away");
    if (rc == CR_ENOMEM)
        cr_error_set("out of memory checking the saved plan");
    cr_strmap_dispose(&now);
    return rc;
}

int cr_plan_verify(const struct cr_plan *plan, const struct cr_live_state *live)
{
    for (size_t i = 0; i < plan->n_pools; i++) {
        const struct cr_plan_pool *p = &plan->pools[i];
        const struct cr_live_pool *l = s_find_live(plan, p, live);
        char now[65];
        int rc = cr_live_fingerprint(now, l);
        if (rc < 0)
            return rc;
        if (strcmp(now, p->fingerprint) != 0 && !l && p->pool_id) {
            cr_error_set("pool '%s' (%s) was deleted since the plan was made; run plan again",
                         p->name, p->pool_id);
            return CR_ECONFLICT;
        }
        if (strcmp(now, p->fingerprint) != 0) {
            cr_error_set("pool '%s' (%s): live state changed since the plan was made "
                         "(fingerprint %.12s, now %.12s); run plan again",
                         p->name, p->pool_id ? p->pool_id : p->region, p->fingerprint, now);
            return CR_ECONFLICT;
        }
    }
    return s_verify_inventory(plan, live);
}

/* ---- re-deriving a saved plan ---- */

static bool s_same(const char *a, const char *b)
{
    return (!a || !b) ? a == b : strcmp(a, b) == 0;
}

static int s_differs(const char *fmt, ...) CR_PRINTF(1, 2);
static int s_differs(const char *fmt, ...)
{
    char msg[1500];
    va_list ap;
    va_start(ap, fmt);
    vsnprintf(msg, sizeof(msg), fmt, ap);
    va_end(ap);
    cr_error_set("saved plan: %s; it is not what its recorded manifests and the live state give, "
                 "so it was edited or is stale: run plan again",
                 msg);
    return CR_ECONFLICT;
}

/* The pools: same names, regions, ids, actions and number of calls. */
static int s_compare_pools(const struct cr_plan *saved, const struct cr_plan *now)
{
    if (saved->n_pools != now->n_pools)
        return s_differs("it covers %zu pools, not %zu", saved->n_pools, now->n_pools);
    for (size_t i = 0; i < saved->n_pools; i++) {
        const struct cr_plan_pool *a = &saved->pools[i], *b = &now->pools[i];
        if (!s_same(a->name, b->name) || !s_same(a->region, b->region) ||
            !s_same(a->account, b->account))
            return s_differs("pool %zu is '%s' in %s%s%s, not '%s' in %s%s%s", i, a->name,
                             a->account ? a->account : "", a->account ? "/" : "", a->region,
                             b->name, b->account ? b->account : "", b->account ? "/" : "",
                             b->region);
        if (!s_same(a->pool_id, b->pool_id) || a->action != b->action)
            return s_differs("pool '%s' (%s): %s, not %s (%s)", a->name,
                             a->pool_id ? a->pool_id : "new", cr_plan_action_name(a->action),
                             cr_plan_action_name(b->action), b->pool_id ? b->pool_id : "new");
        if (a->n_ops != b->n_ops)
            return s_differs("pool '%s': %zu calls, not %zu", a->name, a->n_ops, b->n_ops);
    }
    return 0;
}

/* Operation i of both plans: kind, replacement flag and the exact request body. */
static int s_compare_op(const struct cr_plan *saved, const struct cr_plan *now, size_t i)
{
    const struct cr_plan_op *a = &saved->ops[i], *b = &now->ops[i];
    const char *api = cr_cognito_op_name(cr_plan_op_api(a->kind));
    const char *pool = saved->pools[a->pool].name;
    struct cr_buf x = CR_BUF_INIT, y = CR_BUF_INIT;
    int rc = 0;
    if (a->pool != b->pool || a->kind != b->kind || a->replace != b->replace)
        rc = s_differs("operation %zu is %s of pool '%s', not %s of pool '%s'", i, api, pool,
                       cr_cognito_op_name(cr_plan_op_api(b->kind)), now->pools[b->pool].name);
    if (rc == 0 &&
        (cr_plan_op_body(&x, saved, a, NULL) < 0 || cr_plan_op_body(&y, now, b, NULL) < 0))
        rc = CR_ENOMEM;
    if (rc == 0 && strcmp(cr_buf_cstr(&x), cr_buf_cstr(&y)) != 0)
        rc = s_differs("operation %zu (%s, pool '%s') sends %.400s%s instead of %.400s%s", i, api,
                       pool, cr_buf_cstr(&x), x.len > 400 ? "..." : "", cr_buf_cstr(&y),
                       y.len > 400 ? "..." : "");
    if (rc == CR_ENOMEM)
        cr_error_set("out of memory comparing the saved plan");
    cr_buf_dispose(&x);
    cr_buf_dispose(&y);
    return rc;
}

/* The saved plan's accounts (how to reach them, their ids) replace the ones recorded now. */
static int s_copy_accounts(struct cr_plan *out, const struct cr_plan *saved)
{
    for (size_t i = 0; i < out->n_accounts; i++) {
        cr_desired_account_dispose(&out->accounts[i].account);
        cr_strlist_dispose(&out->accounts[i].regions);
    }
    free(out->accounts);
    out->n_accounts = 0;
    out->accounts = calloc(saved->n_accounts + 1, sizeof(*out->accounts));
    if (!out->accounts)
        return CR_ENOMEM;
    for (size_t i = 0; i < saved->n_accounts; i++) {
        out->n_accounts = i + 1;
        if (cr_desired_account_copy(&out->accounts[i].account, &saved->accounts[i].account) < 0 ||
            cr_strlist_copy(&out->accounts[i].regions, &saved->accounts[i].regions) < 0)
            return CR_ENOMEM;
    }
    return 0;
}

int cr_plan_rederive(struct cr_plan *out, const struct cr_plan *saved,
                     const struct cr_live_state *live)
{
    struct cr_plan_options opts = {
        .stack = saved->stack,
        .revision = saved->revision,
        .prune = saved->prune,
        .allow_replace = saved->allow_replace,
    };
    int rc = cr_plan_build(out, saved->desired, saved->n_desired, live, &opts);
    if (rc < 0) {
        cr_error_prefix("planning the saved plan's manifests again");
        return rc;
    }
    if (cr_strlist_copy(&out->targets, &saved->targets) < 0 || s_copy_accounts(out, saved) < 0) {
        cr_plan_dispose(out);
        cr_error_set("out of memory comparing the saved plan");
        return CR_ENOMEM;
    }
    rc = s_compare_pools(saved, out);
    if (rc == 0 && saved->n_ops != out->n_ops) /* each pool has as many: cannot happen */
        rc = s_differs("%zu calls, not %zu", saved->n_ops, out->n_ops);
    for (size_t i = 0; rc == 0 && i < saved->n_ops; i++)
        rc = s_compare_op(saved, out, i);
    if (rc < 0)
        cr_plan_dispose(out);
    return rc;
}
