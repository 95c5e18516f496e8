/* SPDX-License-Identifier: Apache-2.0 */
/*
 * Comparison of two desired states through the plan (compare.h says how). Pure: the only
 * inputs are the two sets and the options.
 */
#include "reconcile/compare.h"

#include <jansson.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "reconcile/live.h"
#include "util/array.h"
#include "util/strutil.h"

#define S_STACK   "compare"      /* owner of the snapshots' pools; never shown */
#define S_ACCOUNT "000000000000" /* account of the snapshots' ARNs; never shown */

static int s_oom(void)
{
    cr_error_set("out of memory comparing manifests");
    return CR_ENOMEM;
}

static const char *s_region_of(const struct cr_compare_options *opts,
                               const struct cr_desired_pool *p)
{
    return p->region != NULL ? p->region : opts->region;
}

static bool s_same(const char *a, const char *b)
{
    return (a == NULL && b == NULL) || (a != NULL && b != NULL && strcmp(a, b) == 0);
}

static const struct cr_desired_pool *s_find(const struct cr_desired_set *set, const char *name,
                                            const char *account, const char *region,
                                            const struct cr_compare_options *opts)
{
    for (size_t i = 0; i < set->len; i++)
        if (strcmp(set->pools[i].name, name) == 0 && s_same(set->pools[i].account, account) &&
            strcmp(s_region_of(opts, &set->pools[i]), region) == 0)
            return &set->pools[i];
    return NULL;
}

/* Names match pools: each name may appear once per account and region on each side. */
static int s_check_unique(const struct cr_desired_set *set, const struct cr_compare_options *opts)
{
    for (size_t i = 0; i < set->len; i++) {
        const struct cr_desired_pool *p = &set->pools[i];
        const struct cr_desired_pool *first =
            s_find(set, p->name, p->account, s_region_of(opts, p), opts);
        if (first == p)
            continue;
        cr_error_set("%s: duplicate pool name '%s' in %s%s%sregion %s (also defined at %s)",
                     p->source ? p->source : "?", p->name, p->account ? "account " : "",
                     p->account ? p->account : "", p->account ? ", " : "", s_region_of(opts, p),
                     first->source ? first->source : "?");
        return CR_EINVALID;
    }
    return 0;
}

/* ---- the snapshot: desired pools as the service would hold them ---- */

/* The pool's configuration as the service would hold it: a made-up id, the ownership tags. */
static int s_snapshot_config(struct cr_cognito_pool *out, const struct cr_desired_pool *p,
                             const char *region, size_t index)
{
    char id[128];
    if (cr_cognito_pool_copy(out, &p->config) != 0)
        return CR_ENOMEM;
    snprintf(id, sizeof(id), "%s:00000000-0000-4000-8000-%012zu", region, index);
    free(out->id);
    out->id = strdup(id);
    out->has_tags = true;
    cr_strmap_dispose(&out->tags);
    if (out->id == NULL || (p->manage_tags && cr_strmap_copy(&out->tags, &p->tags) != 0) ||
        cr_strmap_set(&out->tags, CR_TAG_STACK, S_STACK) != 0 ||
        cr_strmap_set(&out->tags, CR_TAG_NAME, p->name) != 0)
        return CR_ENOMEM;
    return 0;
}

/* The principal-tag maps the service holds after applying p: each declared map, and a
 * cleared one (UseDefaults false, no tags) for every other provider of a managed section
 * (docs/plan.md "Principal tags"); none when the section is unmanaged (every map reads as
 * unset). The maps borrow the strings of p and of providers. *out is freed by the caller. */
static int s_snapshot_ptags(struct cr_cognito_principal_tags **out, size_t *n,
                            struct cr_strlist *providers, const struct cr_desired_pool *p)
{
    *out = NULL;
    *n = 0;
    if (p->manage_principal_tags && cr_desired_principal_tag_providers(providers, p) != 0)
        return CR_ENOMEM;
    /* never NULL: an empty array is "read, no maps" for cr_live_state_add */
    *out = calloc(providers->len + 1, sizeof(**out));
    if (*out == NULL)
        return CR_ENOMEM;
    for (size_t i = 0; i < providers->len; i++) {
        struct cr_cognito_principal_tags *m = &(*out)[i];
        m->provider = providers->items[i];
        m->use_defaults = 0;
        for (size_t k = 0; k < p->n_principal_tags; k++)
            if (strcmp(p->principal_tags[k].provider, m->provider) == 0)
                *m = p->principal_tags[k];
    }
    *n = providers->len;
    return 0;
}

static int s_snapshot_pool(struct cr_live_state *live, const struct cr_desired_pool *p,
                           size_t index, const struct cr_compare_options *opts)
{
    static const struct cr_cognito_roles no_roles = {0};
    struct cr_cognito_pool config = {0};
    struct cr_strlist providers = {0};
    struct cr_cognito_principal_tags *ptags = NULL;
    size_t n_ptags = 0;
    const char *region = s_region_of(opts, p);
    int result = s_snapshot_config(&config, p, region, index);
    if (result == 0)
        result = s_snapshot_ptags(&ptags, &n_ptags, &providers, p);
    /* An unmanaged roles section reads as empty: one that becomes managed shows every entry. */
    struct cr_live_pool *added = NULL;
    if (result == 0)
        result = cr_live_state_add(&added, live, region, &config,
                                   p->manage_roles ? &p->roles : &no_roles, ptags, n_ptags);
    if (result == 0)
        result = cr_live_pool_set_account(live, added, p->account);
    if (result == 0)
        result = cr_live_state_add_scope(live, p->account, region, S_ACCOUNT);
    free(ptags); /* the maps borrowed */
    cr_strlist_dispose(&providers);
    cr_cognito_pool_dispose(&config);
    return result;
}

/* Plans `to` against a snapshot of `from` (prune on, replacements allowed). Pools match by
 * name, account and region only: `to` is planned without its metadata.id (shallow copies that
 * borrow everything else). */
static int s_plan_between(struct cr_plan *out, const struct cr_desired_set *from,
                          const struct cr_desired_set *to, const struct cr_compare_options *opts)
{
    struct cr_live_state live;
    struct cr_desired_pool *view = calloc(to->len + 1, sizeof(*view));
    int result = view != NULL ? 0 : CR_ENOMEM;
    cr_live_state_init(&live);
    for (size_t i = 0; i < from->len && result == 0; i++)
        result = s_snapshot_pool(&live, &from->pools[i], i, opts);
    for (size_t i = 0; i < to->len && result == 0; i++) {
        view[i] = to->pools[i];
        view[i].adopt_id = NULL;
        result = cr_live_state_add_scope(&live, to->pools[i].account,
                                         s_region_of(opts, &to->pools[i]), S_ACCOUNT);
    }
    if (result == CR_ENOMEM)
        result = s_oom();
    if (result == 0) {
        struct cr_plan_options popts = {
            .stack = S_STACK, .region = opts->region, .prune = true, .allow_replace = true};
        result = cr_plan_build(out, view, to->len, &live, &popts);
    }
    free(view); /* the copies borrowed: nothing else to free */
    cr_live_state_dispose(&live);
    return result;
}

/* ---- plan -> per-pool field changes ---- */

static bool s_is_ownership_path(const char *path)
{
    static const char prefix[] = "tags[\"" CR_TAG_PREFIX;
    return strncmp(path, prefix, sizeof(prefix) - 1) == 0;
}

static void s_change_dispose(struct cr_plan_change *c)
{
    free(c->path);
    free(c->before);
    free(c->after);
}

/* The comparison pool while it is built (changes grow). */
struct s_pool {
    struct cr_compare_pool *p;
    size_t cap;
};

/* Records before -> after at path. A path seen before keeps its first before and takes the
 * new after (a roles call before and after an Update; a replaced pool's old value, then its
 * new one). */
static int s_add_change(struct s_pool *b, const char *path, const char *before, const char *after)
{
    struct cr_compare_pool *p = b->p;
    if (s_is_ownership_path(path))
        return 0;
    for (size_t i = 0; i < p->n_changes; i++) {
        if (strcmp(p->changes[i].path, path) != 0)
            continue;
        bool oom = false;
        char *copy = cr_strdup_null(after, &oom);
        if (oom)
            return CR_ENOMEM;
        free(p->changes[i].after);
        p->changes[i].after = copy;
        return 0;
    }
    if (cr_array_reserve(&p->changes, &b->cap, p->n_changes, sizeof(*p->changes), 8) != 0)
        return CR_ENOMEM;
    struct cr_plan_change *n = &p->changes[p->n_changes++];
    bool oom = false; /* every member is set, NULL or owned, so the change can be disposed */
    n->path = cr_strdup_null(path, &oom);
    n->before = cr_strdup_null(before, &oom);
    n->after = cr_strdup_null(after, &oom);
    return oom ? CR_ENOMEM : 0;
}

/* Drops changes whose two sides ended up equal (set, then set back). */
static void s_drop_unchanged(struct cr_compare_pool *p)
{
    size_t kept = 0;
    for (size_t i = 0; i < p->n_changes; i++) {
        if (s_same(p->changes[i].before, p->changes[i].after))
            s_change_dispose(&p->changes[i]);
        else
            p->changes[kept++] = p->changes[i];
    }
    p->n_changes = kept;
}

/* The field changes of the pool pp of a plan (none when pp is NULL). swap: the reverse
 * plan's, which goes from B to A. */
static int s_add_plan_changes(struct s_pool *b, const struct cr_plan *plan,
                              const struct cr_plan_pool *pp, bool swap)
{
    for (size_t k = 0; pp != NULL && k < pp->n_ops; k++) {
        const struct cr_plan_op *op = &plan->ops[pp->first_op + k];
        for (size_t i = 0; i < op->n_changes; i++) {
            const struct cr_plan_change *c = &op->changes[i];
            int rc =
                s_add_change(b, c->path, swap ? c->after : c->before, swap ? c->before : c->after);
            if (rc != 0)
                return rc;
        }
    }
    s_drop_unchanged(b->p);
    return 0;
}

/* A string as compact JSON text (how changes hold values); NULL stays NULL. */
static bool s_json_text(char **out, const char *s)
{
    json_t *j = s != NULL ? json_string(s) : NULL;
    *out = j != NULL ? json_dumps(j, JSON_ENCODE_ANY | JSON_COMPACT) : NULL;
    json_decref(j);
    return s == NULL || *out != NULL;
}

/* metadata.id is not a pool field, so the plan cannot see it: compared here. */
static int s_add_adopt_change(struct s_pool *b, const struct cr_desired_set *from,
                              const struct cr_desired_set *to,
                              const struct cr_compare_options *opts)
{
    const struct cr_desired_pool *a = s_find(from, b->p->name, b->p->account, b->p->region, opts);
    const struct cr_desired_pool *z = s_find(to, b->p->name, b->p->account, b->p->region, opts);
    const char *before = a != NULL ? a->adopt_id : NULL, *after = z != NULL ? z->adopt_id : NULL;
    char *bj = NULL, *aj = NULL;
    if (s_same(before, after))
        return 0;
    int rc = s_json_text(&bj, before) && s_json_text(&aj, after)
                 ? s_add_change(b, "metadata.id", bj, aj)
                 : CR_ENOMEM;
    free(bj);
    free(aj);
    return rc;
}

/* ---- the comparison ---- */

/* The two plans a comparison reads. */
struct s_plans {
    struct cr_plan forward; /* to planned against a snapshot of from */
    struct cr_plan reverse; /* from planned against a snapshot of to: removed pools' fields */
};

static enum cr_compare_status s_status_of(enum cr_plan_action action)
{
    switch (action) {
    case CR_PLAN_CREATE:
        return CR_COMPARE_ADDED;
    case CR_PLAN_REPLACE:
        return CR_COMPARE_REPLACED;
    case CR_PLAN_DELETE:
        return CR_COMPARE_REMOVED;
    case CR_PLAN_UPDATE:
    case CR_PLAN_NOOP:
    default:
        return CR_COMPARE_CHANGED;
    }
}

static const struct cr_plan_pool *s_find_plan_pool(const struct cr_plan *plan,
                                                   const struct cr_plan_pool *pp)
{
    for (size_t i = 0; i < plan->n_pools; i++)
        if (strcmp(plan->pools[i].name, pp->name) == 0 &&
            s_same(plan->pools[i].account, pp->account) &&
            strcmp(plan->pools[i].region, pp->region) == 0)
            return &plan->pools[i];
    return NULL;
}

/* "file:line:column" without the "REV:" prefix. */
static const char *s_place(const char *source, const char *rev)
{
    size_t n = rev != NULL ? strlen(rev) : 0;
    return n > 0 && strncmp(source, rev, n) == 0 && source[n] == ':' ? source + n + 1 : source;
}

static bool s_moved(const struct cr_compare_pool *p, const struct cr_compare_options *opts)
{
    return p->from_source != NULL && p->to_source != NULL &&
           strcmp(s_place(p->from_source, opts->from_rev), s_place(p->to_source, opts->to_rev)) !=
               0;
}

/* Name, region, status, sources and note of the forward plan's pool pp. */
static int s_pool_head(struct cr_compare_pool *p, const struct cr_plan_pool *pp,
                       const struct cr_desired_set *from, const struct cr_compare_options *opts)
{
    const struct cr_desired_pool *old = s_find(from, pp->name, pp->account, pp->region, opts);
    p->status = s_status_of(pp->action);
    bool oom = false; /* every member is set, NULL or owned, so the pool can be disposed */
    p->name = cr_strdup_null(pp->name, &oom);
    p->account = cr_strdup_null(pp->account, &oom);
    p->region = cr_strdup_null(pp->region, &oom);
    p->note = cr_strdup_null(p->status == CR_COMPARE_REPLACED ? pp->note : NULL, &oom);
    p->from_source =
        cr_strdup_null(p->status != CR_COMPARE_ADDED && old != NULL ? old->source : NULL, &oom);
    p->to_source = cr_strdup_null(p->status != CR_COMPARE_REMOVED ? pp->source : NULL, &oom);
    p->moved = s_moved(p, opts);
    return oom ? CR_ENOMEM : 0;
}

/* The field changes of the forward plan's pool pp. They are what applying B changes on the
 * pools of A: a removed pool's fields come from the reverse plan (which creates it), and a
 * replacement lists the old pool's fields (reverse create) merged with the new one's. */
static int s_pool_changes(struct s_pool *b, const struct s_plans *plans,
                          const struct cr_plan_pool *pp, const struct cr_desired_set *from,
                          const struct cr_desired_set *to, const struct cr_compare_options *opts)
{
    const struct cr_plan_pool *rp = s_find_plan_pool(&plans->reverse, pp);
    int rc = s_add_adopt_change(b, from, to, opts);
    if (rc == 0 && b->p->status != CR_COMPARE_ADDED && b->p->status != CR_COMPARE_CHANGED)
        rc = s_add_plan_changes(b, &plans->reverse, rp, true);
    if (rc == 0 && b->p->status != CR_COMPARE_REMOVED)
        rc = s_add_plan_changes(b, &plans->forward, pp, false);
    return rc;
}

static void s_pool_dispose(struct cr_compare_pool *p)
{
    for (size_t i = 0; i < p->n_changes; i++)
        s_change_dispose(&p->changes[i]);
    free(p->changes);
    free(p->name);
    free(p->account);
    free(p->region);
    free(p->from_source);
    free(p->to_source);
    free(p->note);
    memset(p, 0, sizeof(*p));
}

/* One comparison pool per forward-plan pool that differs. */
static int s_collect(struct cr_compare *out, const struct s_plans *plans,
                     const struct cr_desired_set *from, const struct cr_desired_set *to,
                     const struct cr_compare_options *opts)
{
    out->pools = calloc(plans->forward.n_pools + 1, sizeof(*out->pools));
    if (out->pools == NULL)
        return s_oom();
    for (size_t i = 0; i < plans->forward.n_pools; i++) {
        const struct cr_plan_pool *pp = &plans->forward.pools[i];
        struct s_pool b = {.p = &out->pools[out->n_pools++], .cap = 0};
        int rc = s_pool_head(b.p, pp, from, opts);
        if (rc == 0)
            rc = s_pool_changes(&b, plans, pp, from, to, opts);
        if (rc != 0)
            return s_oom();
        if (b.p->status == CR_COMPARE_CHANGED && b.p->n_changes == 0) {
            s_pool_dispose(b.p); /* the same in both (or only moved) */
            out->n_pools--;
            continue;
        }
        out->counts[b.p->status]++;
    }
    return 0;
}

int cr_compare_build(struct cr_compare *out, const struct cr_desired_set *from,
                     const struct cr_desired_set *to, const struct cr_compare_options *opts)
{
    struct s_plans plans;
    memset(out, 0, sizeof(*out));
    cr_plan_init(&plans.forward);
    cr_plan_init(&plans.reverse);
    int result = s_check_unique(from, opts);
    if (result == 0)
        result = s_check_unique(to, opts);
    if (result == 0)
        result = s_plan_between(&plans.forward, from, to, opts);
    if (result == 0)
        result = s_plan_between(&plans.reverse, to, from, opts);
    if (result == 0)
        result = s_collect(out, &plans, from, to, opts);
    if (result != 0)
        cr_compare_dispose(out);
    cr_plan_dispose(&plans.forward);
    cr_plan_dispose(&plans.reverse);
    return result;
}

void cr_compare_dispose(struct cr_compare *cmp)
{
    for (size_t i = 0; i < cmp->n_pools; i++)
        s_pool_dispose(&cmp->pools[i]);
    free(cmp->pools);
    memset(cmp, 0, sizeof(*cmp));
}

bool cr_compare_differs(const struct cr_compare *cmp)
{
    return cmp->n_pools > 0;
}
