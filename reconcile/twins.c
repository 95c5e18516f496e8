/* SPDX-License-Identifier: Apache-2.0 */
/*
 * Twins (reconcile/twins.h): the rule that picks the pool keeping a name, why a loser may not
 * be deleted, the messages with their remediation, and apply's check after its calls.
 */
#include "reconcile/twins.h"

#include <errno.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include "util/log.h"
#include "util/strutil.h"

size_t cr_twins_keeper(const struct cr_live_pool *const *pools, size_t n, const char *adopt_id)
{
    size_t keeper = 0;
    for (size_t i = 0; i < n; i++) {
        const char *id = pools[i]->config.id ? pools[i]->config.id : "";
        if (adopt_id && strcmp(id, adopt_id) == 0)
            return i;
        const char *best = pools[keeper]->config.id ? pools[keeper]->config.id : "";
        if (strcmp(id, best) < 0)
            keeper = i;
    }
    return keeper;
}

static bool s_same(const char *a, const char *b)
{
    return (!a && !b) || (a && b && strcmp(a, b) == 0);
}

static bool s_made_by_cognito_reconcile(const struct cr_live_pool *l)
{
    return l->created_by && strcmp(l->created_by, CR_TAG_CREATED_BY_VALUE) == 0;
}

const char *cr_twins_blocker(const struct cr_live_pool *loser)
{
    if (!s_made_by_cognito_reconcile(loser))
        return "cognito-reconcile did not create it (no " CR_TAG_CREATED_BY " tag)";
    switch (loser->identities) {
    case CR_LIVE_IDENTITIES_NONE:
        return NULL;
    case CR_LIVE_IDENTITIES_SOME:
        return "it holds identities";
    case CR_LIVE_IDENTITIES_UNKNOWN:
    default:
        return "whether it holds identities was not read";
    }
}

/* The pool's ARN, or a shell expression for it when the account id is unknown. */
static int s_arn(struct cr_buf *out, const struct cr_live_pool *l, const char *account_id)
{
    if (account_id)
        return cr_cognito_pool_arn(out, l->region, account_id, l->config.id);
    return cr_buf_printf(out,
                         "\"arn:%s:cognito-identity:%s:$(aws sts get-caller-identity --query "
                         "Account --output text):identitypool/%s\"",
                         cr_aws_partition(l->region), l->region, l->config.id) < 0
               ? CR_ENOMEM
               : 0;
}

/* "\n    aws cognito-identity untag-resource ..." removing every ownership tag of l. */
static int s_untag_command(struct cr_buf *out, const struct cr_live_pool *l, const char *account_id)
{
    cr_buf_printf(out, "\n    aws cognito-identity untag-resource --region %s --resource-arn ",
                  l->region);
    int rc = s_arn(out, l, account_id);
    if (rc < 0)
        return rc;
    cr_buf_puts(out, " --tag-keys");
    for (size_t i = 0; i < l->config.tags.len; i++)
        if (strncmp(l->config.tags.items[i].key, CR_TAG_PREFIX, strlen(CR_TAG_PREFIX)) == 0)
            cr_buf_printf(out, " %s", l->config.tags.items[i].key);
    return cr_buf_error(out);
}

int cr_twins_describe(struct cr_buf *out, const char *where, const char *stack, const char *name,
                      const struct cr_live_pool *const *pools, size_t n, size_t keeper,
                      const char *account_id)
{
    const struct cr_live_pool *k = pools[keeper];
    bool smallest = keeper == cr_twins_keeper(pools, n, NULL);
    cr_buf_printf(out, "%s%spool '%s' (stack '%s', %s): identity pools", where ? where : "",
                  where ? ": " : "", name, stack, k->region);
    for (size_t i = 0; i < n; i++)
        cr_buf_printf(out, "%s %s", i == 0 ? "" : i + 1 == n ? " and" : ",", pools[i]->config.id);
    cr_buf_printf(out,
                  " all claim it by their %s tag: twins, left by applies that ran at the same "
                  "time without a lock (docs/locking.md). The rule keeps %s (%s); ",
                  CR_TAG_NAME, k->config.id, smallest ? "the smallest id" : "named by metadata.id");
    for (size_t i = 0; i < n; i++) {
        const char *why = i == keeper ? NULL : cr_twins_blocker(pools[i]);
        if (why)
            cr_buf_printf(out, "%s is not deleted automatically: %s; ", pools[i]->config.id, why);
    }
    cr_buf_printf(out, "resolve it by hand, then run plan again.\n  To keep %s, delete the "
                       "others (their identities are lost):",
                  k->config.id);
    for (size_t i = 0; i < n; i++)
        if (i != keeper)
            cr_buf_printf(out,
                          "\n    aws cognito-identity delete-identity-pool --region %s "
                          "--identity-pool-id %s",
                          pools[i]->region, pools[i]->config.id);
    cr_buf_printf(out, "\n  Or, to keep %s, remove the ownership tags of %s (it stays, unmanaged):",
                  n == 2 ? "the other one" : "another one",
                  n == 2 ? k->config.id : "every pool but that one, e.g.");
    if (n > 2)
        cr_buf_printf(out, " %s", k->config.id);
    int rc = s_untag_command(out, k, account_id);
    return rc < 0 ? rc : cr_buf_error(out);
}

char *cr_twins_note(const char *stack, const struct cr_live_pool *keeper)
{
    struct cr_buf b = CR_BUF_INIT;
    cr_buf_printf(&b,
                  "twin of %s: both carry the name tag '%s' of stack '%s'; this one was created by "
                  "cognito-reconcile and holds no identities, and %s keeps the name",
                  keeper->config.id, keeper->name ? keeper->name : "", stack, keeper->config.id);
    if (cr_buf_oom(&b)) {
        cr_buf_dispose(&b);
        return NULL;
    }
    return cr_buf_detach(&b);
}

/* ---- reading identities (plan) ---- */

/* Pools of stack in region, sorted by account, name tag, then id: twins become neighbours. */
static int s_cmp_claim(const void *a, const void *b)
{
    const struct cr_live_pool *x = *(const struct cr_live_pool *const *)a;
    const struct cr_live_pool *y = *(const struct cr_live_pool *const *)b;
    int c = strcmp(x->account ? x->account : "", y->account ? y->account : "");
    if (c == 0 && !s_same(x->account, y->account))
        c = x->account ? 1 : -1; /* (the default account before an account named "") */
    if (c == 0)
        c = strcmp(x->name, y->name);
    return c ? c : strcmp(x->config.id ? x->config.id : "", y->config.id ? y->config.id : "");
}

/* Do two pools of one stack and region claim one name in one account? */
static bool s_twins(const struct cr_live_pool *x, const struct cr_live_pool *y)
{
    return strcmp(x->name, y->name) == 0 && s_same(x->account, y->account);
}

/* The pools of state (region, stack) that carry a name tag, sorted (s_cmp_claim). */
static struct cr_live_pool **s_claims(size_t *n, const struct cr_live_state *state,
                                      const char *region, const char *stack)
{
    struct cr_live_pool **v = calloc(state->len ? state->len : 1, sizeof(*v));
    *n = 0;
    for (size_t i = 0; v && i < state->len; i++) {
        struct cr_live_pool *l = state->pools[i];
        if (l->stack && l->name && l->config.id && strcmp(l->stack, stack) == 0 &&
            strcmp(l->region, region) == 0)
            v[(*n)++] = l;
    }
    if (v)
        qsort(v, *n, sizeof(*v), s_cmp_claim);
    else
        cr_error_set("out of memory");
    return v;
}

int cr_twins_read_identities(struct cr_live_state *state, struct cr_aws_client *client,
                             const char *stack)
{
    size_t n = 0;
    struct cr_live_pool **v = s_claims(&n, state, cr_aws_client_region(client), stack);
    int rc = v ? 0 : CR_ENOMEM;
    for (size_t i = 0; rc == 0 && i < n; i++) {
        bool twin = (i > 0 && s_twins(v[i], v[i - 1])) || (i + 1 < n && s_twins(v[i], v[i + 1]));
        bool some = false;
        if (!twin)
            continue;
        rc = cr_cognito_has_identities(client, &some, v[i]->config.id);
        if (rc == 0)
            v[i]->identities = some ? CR_LIVE_IDENTITIES_SOME : CR_LIVE_IDENTITIES_NONE;
        else if (rc != CR_ENOMEM && rc != CR_ENOTFOUND) /* (not found: deleted meanwhile) */
            cr_log_info("warning: twin %s: %s; it is not deleted without knowing",
                        v[i]->config.id, cr_error_last());
        if (rc != CR_ENOMEM) /* unknown stays unknown: the plan then reports the twins */
            rc = 0;
    }
    free(v);
    return rc;
}

/* ---- apply's check ---- */

void cr_twins_report_dispose(struct cr_twins_report *report)
{
    if (!report)
        return;
    for (size_t i = 0; i < report->len; i++) {
        struct cr_twin_finding *f = &report->items[i];
        free(f->name);
        free(f->account);
        free(f->region);
        free(f->keeper_id);
        free(f->loser_id);
        free(f->reason);
    }
    free(report->items);
    memset(report, 0, sizeof(*report));
}

/* What the check knows in one account and region. */
struct s_check {
    struct cr_twins_report *out;
    const struct cr_plan *plan;
    const struct cr_twins_check_options *opts;
    struct cr_aws_client *client;
    const char *account; /* NULL = the default account */
    const char *region;
    struct cr_live_state seen; /* the pools that appeared since the live read, described */
    struct cr_buf left;        /* the message for the losers left */
    /* the losers another run made (that run deletes them in its own check, if still going),
     * with their keepers */
    const struct cr_live_pool **waiting;
    size_t n_waiting;
    const char **listed; /* the ids listed now, sorted (a pool of the live read may be gone) */
    size_t n_listed;
};

static int s_cmp_str(const void *a, const void *b)
{
    return strcmp(*(const char *const *)a, *(const char *const *)b);
}

static bool s_listed(const struct s_check *k, const char *id)
{
    return bsearch(&id, k->listed, k->n_listed, sizeof(*k->listed), s_cmp_str) != NULL;
}

static unsigned long s_calls(const struct cr_aws_client *c)
{
    unsigned long n = 0;
    for (int op = 0; op < CR_OP_COUNT; op++)
        n += cr_aws_client_request_count(c, (enum cr_cognito_op)op);
    return n;
}

/* Does the plan create (or replace) pp in the check's account and region? */
static bool s_created_in(const struct s_check *k, const struct cr_plan_pool *pp)
{
    return (pp->action == CR_PLAN_CREATE || pp->action == CR_PLAN_REPLACE) &&
           s_same(pp->account, k->account) && strcmp(pp->region, k->region) == 0;
}

/* Did every call the plan makes in the check's account succeed? */
static bool s_account_complete(const struct s_check *k)
{
    const struct cr_apply_report *rep = k->opts->applied;
    for (size_t i = 0; rep && i < k->plan->n_ops; i++)
        if (s_same(k->plan->pools[k->plan->ops[i].pool].account, k->account) &&
            (i >= rep->n_results || rep->results[i].status != CR_APPLY_DONE))
            return false;
    return true;
}

static bool s_created_here(const struct s_check *k, const char *id)
{
    const struct cr_apply_report *rep = k->opts->applied;
    for (size_t i = 0; rep && i < rep->n_results && i < k->plan->n_ops; i++)
        if (k->plan->ops[i].kind == CR_PLAN_OP_CREATE && rep->results[i].status == CR_APPLY_DONE &&
            rep->results[i].pool_id && strcmp(rep->results[i].pool_id, id) == 0)
            return true;
    return false;
}

/* Describes, all at once, the listed pools the live read did not know. */
static int s_describe_new(struct s_check *k, const struct cr_cognito_pool_page *page)
{
    struct cr_aws_call *calls = calloc(page->len ? page->len : 1, sizeof(*calls));
    size_t n = 0;
    int rc = calls ? 0 : CR_ENOMEM;
    for (size_t i = 0; rc == 0 && i < page->len; i++) {
        if (!page->items[i].id || cr_live_find_id(k->opts->before, page->items[i].id))
            continue;
        cr_aws_call_init(&calls[n], CR_OP_DESCRIBE_IDENTITY_POOL);
        rc = cr_cognito_encode_pool_id(&calls[n++].body, page->items[i].id);
    }
    if (rc == 0 && n)
        (void)!cr_aws_perform(k->client, calls, n); /* each call's result is looked at below */
    for (size_t i = 0; rc == 0 && i < n; i++) {
        struct cr_cognito_pool pool = {0};
        if (calls[i].result == CR_ESERVICE &&
            strcmp(calls[i].error.type, "ResourceNotFoundException") == 0)
            continue; /* deleted meanwhile */
        rc = calls[i].result;
        if (rc < 0) {
            struct cr_buf msg = CR_BUF_INIT;
            if (cr_aws_call_describe(&msg, &calls[i]) == 0)
                cr_error_set("twin check: %s", msg.ptr);
            cr_buf_dispose(&msg);
            break;
        }
        rc = cr_cognito_decode_pool(&pool, calls[i].response.ptr, calls[i].response.len);
        if (rc == 0)
            rc = cr_live_state_take(NULL, &k->seen, k->region, &pool);
        cr_cognito_pool_dispose(&pool);
    }
    for (size_t i = 0; i < n; i++)
        cr_aws_call_dispose(&calls[i]);
    free(calls);
    if (rc == CR_ENOMEM)
        cr_error_set("out of memory");
    return rc;
}

static int s_add_finding(struct s_check *k, const struct cr_live_pool *keeper,
                         const struct cr_live_pool *loser, enum cr_twin_outcome outcome,
                         const char *reason)
{
    struct cr_twins_report *r = k->out;
    struct cr_twin_finding *grown = realloc(r->items, (r->len + 1) * sizeof(*grown));
    if (!grown) {
        cr_error_set("out of memory");
        return CR_ENOMEM;
    }
    r->items = grown;
    struct cr_twin_finding *f = &r->items[r->len++];
    bool oom = false;
    memset(f, 0, sizeof(*f));
    f->name = cr_strdup_null(loser->name, &oom);
    f->account = cr_strdup_null(k->account, &oom);
    f->region = cr_strdup_null(loser->region, &oom);
    f->keeper_id = cr_strdup_null(keeper->config.id, &oom);
    f->loser_id = cr_strdup_null(loser->config.id, &oom);
    f->reason = cr_strdup_null(reason, &oom);
    f->outcome = outcome;
    f->created_here = s_created_here(k, loser->config.id);
    if (outcome == CR_TWIN_DELETED)
        r->n_deleted++;
    else if (outcome == CR_TWIN_LEFT)
        r->n_left++;
    else
        r->n_deleted_by_other++;
    if (oom) {
        cr_error_set("out of memory");
        return CR_ENOMEM;
    }
    return 0;
}

/* A loser of the rule: deleted when it holds no identities (returns 0), else 1. */
static int s_delete_loser(struct s_check *k, const struct cr_live_pool *keeper,
                        struct cr_live_pool *loser)
{
    bool some = false;
    int rc = cr_cognito_has_identities(k->client, &some, loser->config.id);
    if (rc == CR_ENOTFOUND)
        return 0; /* gone already */
    if (rc == CR_ENOMEM)
        return rc;
    if (rc < 0) { /* e.g. not allowed to list identities: never delete without knowing */
        cr_log_info("warning: twin %s: %s; it is not deleted without knowing", loser->config.id,
                    cr_error_last());
        return 1;
    }
    loser->identities = some ? CR_LIVE_IDENTITIES_SOME : CR_LIVE_IDENTITIES_NONE;
    if (some) /* someone signed in already: the user decides */
        return 1;
    rc = k->opts->guard ? k->opts->guard(k->opts->guard_ctx) : 0;
    if (rc == 0)
        rc = cr_cognito_delete_pool(k->client, loser->config.id);
    if (rc == CR_ENOTFOUND)
        rc = 0;
    return rc < 0 ? rc : s_add_finding(k, keeper, loser, CR_TWIN_DELETED, NULL);
}

/* The id of the check's account, for ARNs: as the live read learnt it, else as the plan pins
 * it, else NULL. */
static const char *s_account_id(const struct s_check *k)
{
    char key[CR_LIVE_SCOPE_MAX];
    const char *id =
        cr_strmap_get(&k->opts->before->account_ids, cr_live_scope_key(key, k->account, k->region));
    const struct cr_plan_account *a = cr_plan_account_find(k->plan, k->account);
    return id ? id : a ? a->account.account_id : NULL;
}

/* Records a loser that stays, with the remediation (cr_twins_describe) for its group; in a
 * named account, the message starts with it ("account 'prod': "), as the plan's do. */
static int s_leave(struct s_check *k, const struct cr_live_pool *const *group, size_t n,
                   size_t keeper, const struct cr_live_pool *loser)
{
    struct cr_buf why = CR_BUF_INIT;
    char label[96];
    if (k->account)
        cr_buf_printf(&why, "%s: ", cr_plan_account_label(label, k->account));
    int rc = cr_twins_describe(&why, NULL, k->plan->stack, loser->name, group, n, keeper,
                               s_account_id(k));
    if (rc == 0)
        rc = s_add_finding(k, group[keeper], loser, CR_TWIN_LEFT, why.ptr);
    if (rc == 0)
        cr_buf_printf(&k->left, "%s%s", k->left.len ? "\n" : "", why.ptr);
    cr_buf_dispose(&why);
    return rc;
}

/* The pools of the stack (seen now, or in the live read) that carry name, at most max. */
static size_t s_group(const struct cr_live_pool **group, size_t max, const struct s_check *k,
                      const char *name)
{
    size_t n = 0;
    for (size_t i = 0; i < k->seen.len && n < max; i++) {
        const struct cr_live_pool *l = k->seen.pools[i];
        if (l->stack && l->name && strcmp(l->stack, k->plan->stack) == 0 &&
            strcmp(l->name, name) == 0)
            group[n++] = l;
    }
    for (size_t i = 0; i < k->opts->before->len && n < max; i++) {
        const struct cr_live_pool *l = k->opts->before->pools[i];
        if (l->stack && l->name && s_same(l->account, k->account) &&
            strcmp(l->region, k->region) == 0 && strcmp(l->stack, k->plan->stack) == 0 &&
            strcmp(l->name, name) == 0 && s_listed(k, l->config.id)) /* (a replaced pool is gone) */
            group[n++] = l;
    }
    return n;
}

/* The twins of one name the plan created, as seen now: this run's losers are deleted at once;
 * another run's wait for that run (s_wait_others); the rest stay, reported. */
static int s_settle_name(struct s_check *k, const char *name)
{
    const struct cr_live_pool *group[64];
    size_t n = s_group(group, 64, k, name);
    if (n < 2)
        return 0;
    size_t keeper = cr_twins_keeper(group, n, NULL);
    int rc = 0;
    for (size_t i = 0; rc == 0 && i < n; i++) {
        struct cr_live_pool *loser = (struct cr_live_pool *)group[i];
        if (i == keeper)
            continue;
        if (!s_made_by_cognito_reconcile(loser)) {
            rc = s_leave(k, group, n, keeper, loser);
        } else if (s_created_here(k, loser->config.id)) {
            rc = s_delete_loser(k, group[keeper], loser);
            if (rc == 1)
                rc = s_leave(k, group, n, keeper, loser);
        } else {
            const struct cr_live_pool **grown =
                realloc(k->waiting, (k->n_waiting + 2) * sizeof(*grown));
            if (!grown) {
                cr_error_set("out of memory");
                return CR_ENOMEM;
            }
            k->waiting = grown;
            k->waiting[k->n_waiting++] = group[keeper];
            k->waiting[k->n_waiting++] = loser;
        }
    }
    return rc;
}

/* Is the pool still there? (DescribeIdentityPool; ResourceNotFound: no) */
static int s_exists(bool *out, struct s_check *k, const char *id)
{
    struct cr_cognito_pool pool = {0};
    int rc = cr_cognito_describe_pool(k->client, &pool, id);
    cr_cognito_pool_dispose(&pool);
    *out = rc == 0;
    return rc == CR_ENOTFOUND ? 0 : rc;
}

/*
 * The losers another run made: that run deletes them in its own check if it is still going,
 * so wait for that a little (describing them after 0.05, 0.1, 0.2 ... s, up to wait_ms); then
 * delete those still there (the run that made them ended before it could see ours), as the
 * next plan would.
 */
static int s_wait_others(struct s_check *k)
{
    uint32_t bound = k->opts->wait_ms ? k->opts->wait_ms : 500, waited = 0, step = 50;
    size_t open = k->n_waiting / 2;
    bool *gone = calloc(open ? open : 1, sizeof(*gone));
    int rc = gone ? 0 : CR_ENOMEM;
    while (rc == 0 && open > 0 && waited < bound) {
        uint32_t ms = step < bound - waited ? step : bound - waited;
        struct timespec ts = {.tv_sec = ms / 1000, .tv_nsec = (long)(ms % 1000) * 1000000L};
        while (nanosleep(&ts, &ts) != 0 && errno == EINTR)
            ;
        waited += ms;
        step *= 2;
        for (size_t w = 0; rc == 0 && w < k->n_waiting / 2; w++) {
            bool there = true;
            if (gone[w])
                continue;
            rc = s_exists(&there, k, k->waiting[2 * w + 1]->config.id);
            if (rc == 0 && !there) {
                gone[w] = true;
                open--;
                rc = s_add_finding(k, k->waiting[2 * w], k->waiting[2 * w + 1],
                                   CR_TWIN_DELETED_BY_OTHER, NULL);
            }
        }
    }
    for (size_t w = 0; rc == 0 && w < k->n_waiting / 2; w++) {
        if (gone[w])
            continue;
        struct cr_live_pool *loser = (struct cr_live_pool *)k->waiting[2 * w + 1];
        rc = s_delete_loser(k, k->waiting[2 * w], loser);
        if (rc == 1) { /* identities: the user decides */
            const struct cr_live_pool *group[64];
            size_t n = s_group(group, 64, k, loser->name);
            rc = s_leave(k, group, n, cr_twins_keeper(group, n, NULL), loser);
        }
    }
    if (rc == CR_ENOMEM)
        cr_error_set("out of memory");
    free(gone);
    return rc;
}

/* One account and region: list, describe what is new, settle each name the plan created
 * there. */
static int s_check_region(struct s_check *k)
{
    struct cr_cognito_pool_page page = {0};
    int rc = cr_cognito_list_pools(k->client, &page);
    if (rc < 0)
        cr_error_prefix("twin check");
    if (rc == 0)
        rc = s_describe_new(k, &page);
    k->listed = rc == 0 ? calloc(page.len ? page.len : 1, sizeof(*k->listed)) : NULL;
    for (size_t i = 0; k->listed && i < page.len; i++)
        if (page.items[i].id)
            k->listed[k->n_listed++] = page.items[i].id;
    if (k->listed)
        qsort(k->listed, k->n_listed, sizeof(*k->listed), s_cmp_str);
    else if (rc == 0) {
        cr_error_set("out of memory");
        rc = CR_ENOMEM;
    }
    for (size_t p = 0; rc == 0 && p < k->plan->n_pools; p++)
        if (s_created_in(k, &k->plan->pools[p]))
            rc = s_settle_name(k, k->plan->pools[p].name);
    if (rc == 0)
        rc = s_wait_others(k);
    free(k->listed); /* (borrowed the page's ids) */
    k->listed = NULL;
    cr_cognito_pool_page_dispose(&page);
    return rc;
}

int cr_twins_check_after_apply(struct cr_twins_report *out, const struct cr_plan *plan,
                               struct cr_aws_client *const *clients, size_t n_clients,
                               const struct cr_twins_check_options *opts)
{
    int rc = 0;
    memset(out, 0, sizeof(*out));
    struct cr_buf left = CR_BUF_INIT;
    for (size_t c = 0; rc == 0 && c < n_clients; c++) {
        struct s_check k = {.out = out,
                            .plan = plan,
                            .opts = opts,
                            .client = clients[c],
                            .account = opts->client_accounts ? opts->client_accounts[c] : NULL,
                            .region = cr_aws_client_region(clients[c])};
        bool created = false;
        for (size_t p = 0; p < plan->n_pools; p++)
            created = created || s_created_in(&k, &plan->pools[p]);
        if (!created || !s_account_complete(&k))
            continue;
        unsigned long before = s_calls(k.client);
        cr_live_state_init(&k.seen);
        k.left = left;
        rc = s_check_region(&k);
        left = k.left;
        out->calls += s_calls(k.client) - before;
        cr_live_state_dispose(&k.seen);
        free(k.waiting);
    }
    if (rc == 0 && out->n_left) {
        cr_error_set("%zu twin pool%s left (applies ran at the same time without a lock; "
                     "docs/locking.md):\n%s",
                     out->n_left, out->n_left == 1 ? "" : "s", left.ptr ? left.ptr : "");
        rc = CR_ECONFLICT;
    }
    cr_buf_dispose(&left);
    return rc;
}
