/* SPDX-License-Identifier: Apache-2.0 */
/* --target: the plan's inputs limited to the pools whose logical name matches a pattern. */
#include "reconcile/target.h"

#include <fnmatch.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "util/strutil.h"

static bool s_match_one(const char *pattern, const char *name)
{
    return name != NULL && fnmatch(pattern, name, 0) == 0;
}

bool cr_target_match(const struct cr_targets *targets, const char *name)
{
    if (targets == NULL || targets->n == 0)
        return true;
    for (size_t i = 0; i < targets->n; i++)
        if (s_match_one(targets->patterns[i], name))
            return true;
    return false;
}

/* "--target 'x' matches no pool in the manifests (did you mean 'y'?)", names from candidates. */
static int s_no_match(const char *pattern, const char *const *names, size_t n, const char *where)
{
    const char *best = cr_str_suggest(pattern, names, n);
    cr_error_set("--target '%s' matches no pool %s%s%s%s", pattern, where,
                 best != NULL ? " (did you mean '" : "", best != NULL ? best : "",
                 best != NULL ? "'?)" : "");
    return CR_ENOTFOUND;
}

int cr_target_desired(struct cr_desired_set *set, const struct cr_targets *targets, bool prune)
{
    if (targets == NULL || targets->n == 0)
        return 0;
    const char **names = calloc(set->len + 1, sizeof(*names));
    if (names == NULL) {
        cr_error_set("out of memory");
        return CR_ENOMEM;
    }
    for (size_t i = 0; i < set->len; i++)
        names[i] = set->pools[i].name;
    for (size_t t = 0; !prune && t < targets->n; t++) {
        bool used = false;
        for (size_t i = 0; !used && i < set->len; i++)
            used = s_match_one(targets->patterns[t], set->pools[i].name);
        if (!used) {
            int rc = s_no_match(targets->patterns[t], names, set->len, "in the manifests");
            free(names);
            return rc;
        }
    }
    free(names);
    size_t kept = 0;
    for (size_t i = 0; i < set->len; i++) {
        if (cr_target_match(targets, set->pools[i].name))
            set->pools[kept++] = set->pools[i];
        else
            cr_desired_pool_dispose(&set->pools[i]);
    }
    set->len = kept;
    return 0;
}

struct s_live_filter {
    const struct cr_targets *targets;
    const char *stack;
    const struct cr_desired_pool *desired;
    size_t n_desired;
};

static bool s_adopted(const struct s_live_filter *f, const char *id)
{
    for (size_t i = 0; id != NULL && i < f->n_desired; i++)
        if (f->desired[i].adopt_id != NULL && strcmp(f->desired[i].adopt_id, id) == 0)
            return true;
    return false;
}

static bool s_ours(const struct cr_live_pool *pool, const char *stack)
{
    return pool->stack != NULL && strcmp(pool->stack, stack) == 0;
}

static bool s_keep(const struct cr_live_pool *pool, void *ctx)
{
    const struct s_live_filter *f = ctx;
    return !s_ours(pool, f->stack) || cr_target_match(f->targets, pool->name) ||
           s_adopted(f, pool->config.id);
}

int cr_target_live(struct cr_live_state *live, const struct cr_targets *targets,
                   const char *stack, const struct cr_desired_pool *desired, size_t n_desired)
{
    if (targets == NULL || targets->n == 0)
        return 0;
    struct s_live_filter f = {targets, stack ? stack : "default", desired, n_desired};
    const char **names = calloc(n_desired + live->len + 1, sizeof(*names));
    size_t n_names = 0;
    if (names == NULL) {
        cr_error_set("out of memory");
        return CR_ENOMEM;
    }
    for (size_t i = 0; i < n_desired; i++)
        names[n_names++] = desired[i].name;
    for (size_t i = 0; i < live->len; i++)
        if (s_ours(live->pools[i], f.stack) && live->pools[i]->name != NULL)
            names[n_names++] = live->pools[i]->name;
    int result = 0;
    for (size_t t = 0; result == 0 && t < targets->n; t++) {
        bool used = false;
        for (size_t i = 0; !used && i < n_names; i++)
            used = s_match_one(targets->patterns[t], names[i]);
        if (!used) {
            char where[320];
            snprintf(where, sizeof(where), "in the manifests nor among the pools of stack '%s'",
                     f.stack);
            result = s_no_match(targets->patterns[t], names, n_names, where);
        }
    }
    free(names);
    if (result == 0)
        cr_live_state_retain(live, s_keep, &f);
    return result;
}
