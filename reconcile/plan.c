/* SPDX-License-Identifier: Apache-2.0 */
/* Plan objects: lifetime, names, request bodies, wants and fingerprint verification. */
#include "reconcile/plan.h"

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

/* The id an op addresses: the caller's (a create's result), the plan's, or the placeholder. */
static const char *s_op_pool_id(const struct cr_plan *plan, const struct cr_plan_op *op,
                                const char *pool_id)
{
    if (pool_id)
        return pool_id;
    const struct cr_plan_pool *pool = &plan->pools[op->pool];
    /* The ops after a replacement's Delete address the new pool. */
    if (pool->pool_id && !(op->replace && op->kind != CR_PLAN_OP_DELETE))
        return pool->pool_id;
    return CR_PLAN_ID_AFTER_CREATE;
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
        if (l->stack && l->name && strcmp(l->stack, plan->stack) == 0 &&
            strcmp(l->name, p->name) == 0 && strcmp(l->region, p->region) == 0)
            return l;
    }
    return NULL;
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
        if (strcmp(now, p->fingerprint) != 0) {
            cr_error_set("pool '%s' (%s): live state changed since the plan was made "
                         "(fingerprint %.12s, now %.12s); run plan again",
                         p->name, p->pool_id ? p->pool_id : p->region, p->fingerprint, now);
            return CR_ECONFLICT;
        }
    }
    return 0;
}
