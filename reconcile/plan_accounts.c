/* SPDX-License-Identifier: Apache-2.0 */
/*
 * Plans across accounts (docs/plan.md "Accounts"). An account is a separate world: its pools
 * are found by their ownership tags in it, its names are unique in it, --prune deletes only
 * what it holds. So cr_plan_build splits the desired pools and the live state by account
 * (metadata.account; the default account for pools without one), plans each account with the
 * pure diff of diff.c as if it were the only one, and joins the plans: the default account
 * first, then the named ones by name, each account's pools contiguous. Pure: no I/O.
 */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "reconcile/plan.h"
#include "util/strutil.h"

static bool s_same(const char *a, const char *b)
{
    return (!a && !b) || (a && b && strcmp(a, b) == 0);
}

static int s_oom(void)
{
    cr_error_set("out of memory planning across accounts");
    return CR_ENOMEM;
}

const char *cr_plan_account_label(char buf[96], const char *account)
{
    if (!account)
        return "the default account";
    snprintf(buf, 96, "account '%s'", account);
    return buf;
}

const struct cr_plan_account *cr_plan_account_find(const struct cr_plan *plan, const char *account)
{
    for (size_t i = 0; i < plan->n_accounts; i++)
        if (s_same(plan->accounts[i].account.name, account))
            return &plan->accounts[i];
    return NULL;
}

bool cr_plan_has_accounts(const struct cr_plan *plan)
{
    for (size_t i = 0; i < plan->n_accounts; i++)
        if (plan->accounts[i].account.name)
            return true;
    for (size_t i = 0; i < plan->n_pools; i++)
        if (plan->pools[i].account)
            return true;
    return false;
}

/* The named accounts desired or live pools are in (sorted), and whether the default is used. */
static int s_account_names(struct cr_strlist *names, bool *has_default,
                           const struct cr_desired_pool *desired, size_t n,
                           const struct cr_live_state *live)
{
    if (cr_live_state_accounts(names, has_default, live) < 0)
        return CR_ENOMEM;
    for (size_t i = 0; i < n; i++) {
        const char *a = desired[i].account;
        if (!a)
            *has_default = true;
        else if (!cr_strlist_contains(names, a) && cr_strlist_push(names, a) < 0)
            return s_oom();
    }
    cr_strlist_sort(names);
    return 0;
}

/* The plan's record of one account: how to reach it (from opts) and the regions covered. */
static int s_record_account(struct cr_plan *out, const char *name,
                            const struct cr_plan_options *opts, const struct cr_strlist *regions)
{
    struct cr_plan_account *grown =
        realloc(out->accounts, (out->n_accounts + 1) * sizeof(*out->accounts));
    if (!grown)
        return s_oom();
    out->accounts = grown;
    struct cr_plan_account *entry = &out->accounts[out->n_accounts];
    memset(entry, 0, sizeof(*entry));
    out->n_accounts++;
    const struct cr_desired_account *doc = NULL;
    for (size_t i = 0; name && i < opts->n_accounts; i++)
        if (s_same(opts->accounts[i].name, name))
            doc = &opts->accounts[i];
    if (doc && cr_desired_account_copy(&entry->account, doc) < 0)
        return CR_ENOMEM;
    bool oom = false;
    if (!doc) {
        entry->account.name = cr_strdup_null(name, &oom);
        entry->account.account_id = cr_strdup_null(name ? NULL : opts->default_account_id, &oom);
    }
    if (oom || cr_strlist_copy(&entry->regions, regions) < 0)
        return s_oom();
    return 0;
}

/* What the account's plan was computed from (docs/plan.md "Saved plans"), joined: its desired
 * pools, the regions it listed (as the live state's scope keys, "ACCOUNT/REGION") and its
 * stack's pools there. */
static int s_join_inputs(struct cr_plan *out, struct cr_plan *part, const char *account)
{
    char key[CR_LIVE_SCOPE_MAX];
    struct cr_desired_pool *desired =
        realloc(out->desired, (out->n_desired + part->n_desired + 1) * sizeof(*desired));
    if (!desired)
        return s_oom();
    out->desired = desired;
    for (size_t i = 0; i < part->n_desired; i++) {
        out->desired[out->n_desired++] = part->desired[i];
        cr_desired_pool_init(&part->desired[i]); /* now owned by out */
    }
    for (size_t i = 0; i < part->listed.len; i++) {
        cr_live_scope_key(key, account, part->listed.items[i]);
        if (!cr_strlist_contains(&out->listed, key) && cr_strlist_push(&out->listed, key) < 0)
            return s_oom();
    }
    cr_strlist_sort(&out->listed);
    for (size_t i = 0; i < part->owned.len; i++)
        if (cr_strmap_set(&out->owned, part->owned.items[i].key, part->owned.items[i].value) < 0)
            return s_oom();
    out->prune = part->prune;
    out->allow_replace = part->allow_replace;
    return 0;
}

/* Appends part's pools and operations to out (they move: part is left without them), marking
 * the pools with their account; sums the counts and regions. */
static int s_join(struct cr_plan *out, struct cr_plan *part, const char *account)
{
    struct cr_plan_pool *pools =
        realloc(out->pools, (out->n_pools + part->n_pools + 1) * sizeof(*pools));
    if (pools)
        out->pools = pools;
    struct cr_plan_op *ops = realloc(out->ops, (out->n_ops + part->n_ops + 1) * sizeof(*ops));
    if (ops)
        out->ops = ops;
    if (!pools || !ops)
        return s_oom();
    for (size_t i = 0; i < part->n_pools; i++) {
        bool oom = false;
        char *name = cr_strdup_null(account, &oom);
        if (oom)
            return s_oom(); /* the pools before i moved already; part keeps the rest */
        struct cr_plan_pool *p = &out->pools[out->n_pools++];
        *p = part->pools[i];
        memset(&part->pools[i], 0, sizeof(part->pools[i])); /* now owned by out */
        p->account = name;
        p->first_op += out->n_ops;
    }
    size_t pool_offset = out->n_pools - part->n_pools;
    for (size_t i = 0; i < part->n_ops; i++) {
        out->ops[out->n_ops] = part->ops[i];
        memset(&part->ops[i], 0, sizeof(part->ops[i])); /* now owned by out */
        out->ops[out->n_ops++].pool += pool_offset;
    }
    out->n_create += part->n_create;
    out->n_update += part->n_update;
    out->n_delete += part->n_delete;
    out->n_replace += part->n_replace;
    for (size_t i = 0; i < part->regions.len; i++)
        if (!cr_strlist_contains(&out->regions, part->regions.items[i]) &&
            cr_strlist_push(&out->regions, part->regions.items[i]) < 0)
            return s_oom();
    cr_strlist_sort(&out->regions);
    return s_join_inputs(out, part, account);
}

/* Plans one account and joins it to out. */
static int s_plan_account(struct cr_plan *out, const char *account,
                          const struct cr_desired_pool *desired, size_t n,
                          const struct cr_live_state *live, const struct cr_plan_options *opts)
{
    char label[96];
    struct cr_plan part;
    struct cr_live_state view;
    size_t k = 0;
    struct cr_desired_pool *mine = calloc(n ? n : 1, sizeof(*mine));
    cr_plan_init(&part);
    int result = mine ? cr_live_state_view(&view, live, account) : s_oom();
    if (result < 0) {
        free(mine);
        return result;
    }
    for (size_t i = 0; i < n; i++)
        if (s_same(desired[i].account, account))
            mine[k++] = desired[i]; /* shallow: borrowed, never disposed here */
    result = cr_plan__build_account(&part, mine, k, &view, opts);
    if (result < 0 && account)
        cr_error_prefix("%s", cr_plan_account_label(label, account));
    if (result == 0)
        result = s_record_account(out, account, opts, &part.regions);
    if (result == 0)
        result = s_join(out, &part, account);
    cr_plan_dispose(&part);
    cr_live_state_view_dispose(&view);
    free(mine);
    return result;
}

int cr_plan_build(struct cr_plan *out, const struct cr_desired_pool *desired, size_t n_desired,
                  const struct cr_live_state *live, const struct cr_plan_options *opts)
{
    struct cr_strlist names = {0};
    bool has_default = false;
    int result = s_account_names(&names, &has_default, desired, n_desired, live);
    if (result == 0 && names.len == 0) {
        /* one account: the diff itself, and its record */
        cr_strlist_dispose(&names);
        result = cr_plan__build_account(out, desired, n_desired, live, opts);
        if (result == 0 && (has_default || out->regions.len > 0))
            result = s_record_account(out, NULL, opts, &out->regions);
        if (result < 0)
            cr_plan_dispose(out);
        return result;
    }
    cr_plan_init(out);
    out->stack = strdup(opts->stack ? opts->stack : "default");
    out->revision = opts->revision ? strdup(opts->revision) : NULL;
    if (result == 0 && (!out->stack || (opts->revision && !out->revision)))
        result = s_oom();
    if (result == 0 && has_default)
        result = s_plan_account(out, NULL, desired, n_desired, live, opts);
    for (size_t i = 0; result == 0 && i < names.len; i++)
        result = s_plan_account(out, names.items[i], desired, n_desired, live, opts);
    cr_strlist_dispose(&names);
    if (result < 0)
        cr_plan_dispose(out);
    return result;
}
