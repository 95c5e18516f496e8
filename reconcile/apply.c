/* SPDX-License-Identifier: Apache-2.0 */
/*
 * Apply: runs a plan's calls, pools in parallel (round k = the k-th call of every pool), calls
 * of one pool in order, and stops after the first round with a failure (docs/plan.md
 * "Apply"). Pools pruned by the plan are deleted last, in a second phase that runs only when
 * every other call succeeded (design §5's order: a failed run destroys nothing). CreateIdentityPool
 * has no idempotency token, so an ambiguous failure is followed by a lookup of the pool by its
 * ownership tags before any second attempt.
 */
#include "reconcile/apply.h"

#include <stdlib.h>
#include <string.h>

#include "reconcile/live.h"
#include "util/buf.h"
#include "util/log.h"

/* Where one pool stands during the run. */
struct s_cursor {
    struct cr_aws_client *client;
    size_t next;   /* ops done so far (index relative to first_op) */
    char *pool_id; /* the id the next call addresses (NULL until a create answers) */
    bool stopped;  /* a call of its account failed: nothing more is sent for it */
};

struct s_run {
    const struct cr_plan *plan;
    struct cr_apply_report *report;
    const struct cr_apply_options *opts;
    struct s_cursor *cursors;
    bool prune_phase; /* false: every pool but the pruned ones; true: the pruned ones */
    int first_error;
    char *first_message;
};

void cr_apply_report_dispose(struct cr_apply_report *report)
{
    if (!report)
        return;
    for (size_t i = 0; i < report->n_results; i++) {
        free(report->results[i].error);
        free(report->results[i].pool_id);
    }
    free(report->results);
    memset(report, 0, sizeof(*report));
}

static bool s_same(const char *a, const char *b)
{
    return (!a && !b) || (a && b && strcmp(a, b) == 0);
}

static struct cr_aws_client *s_client_for(struct cr_aws_client *const *clients, size_t n,
                                          const struct cr_apply_options *opts,
                                          const struct cr_plan_pool *pool)
{
    for (size_t i = 0; i < n; i++) {
        const char *account = opts && opts->client_accounts ? opts->client_accounts[i] : NULL;
        if (s_same(account, pool->account) &&
            strcmp(cr_aws_client_region(clients[i]), pool->region) == 0)
            return clients[i];
    }
    return NULL;
}

/* A failure stops its account: the pools of other accounts are another world (their own
 * credentials, pools and quotas), so they go on, and the report shows both. */
static void s_stop_account(struct s_run *run, const char *account)
{
    for (size_t p = 0; p < run->plan->n_pools; p++)
        if (s_same(run->plan->pools[p].account, account))
            run->cursors[p].stopped = true;
}

static void s_progress(struct s_run *run, size_t op_index)
{
    if (run->opts && run->opts->progress)
        run->opts->progress(run->opts->progress_user, run->plan, op_index,
                            &run->report->results[op_index]);
}

/* Records a failure of op i with the service's words, naming the call and the pool. */
static void s_fail(struct s_run *run, size_t i, int code, const struct cr_aws_call *call,
                   const char *target)
{
    const struct cr_plan_op *op = &run->plan->ops[i];
    const struct cr_plan_pool *p = &run->plan->pools[op->pool];
    struct cr_buf msg = CR_BUF_INIT;
    const char *api = cr_cognito_op_name(cr_plan_op_api(op->kind));
    struct cr_buf what = CR_BUF_INIT;
    /* aws/ describes a call from its own result (transport failures included); without a
     * call (a safe-create lookup failed) the last error names what went wrong */
    if (call && cr_aws_call_describe(&what, call) == 0 && what.len)
        cr_buf_printf(&msg, "pool '%s': %s", p->name, what.ptr);
    else
        cr_buf_printf(&msg, "pool '%s': %s %s: %s (%s)", p->name, api, target, cr_error_name(code),
                      cr_error_last());
    cr_buf_dispose(&what);
    struct cr_apply_result *r = &run->report->results[i];
    r->status = CR_APPLY_FAILED;
    r->code = code;
    r->error = cr_buf_detach(&msg);
    run->report->n_failed++;
    s_stop_account(run, p->account);
    if (run->first_error == 0) {
        run->first_error = code;
        run->first_message = r->error ? strdup(r->error) : NULL;
    }
}

/* The guard refused the next round (rc < 0): the whole run stops, every account (the lock is
 * lost or a signal came), with the guard's code and message. */
static bool s_refused(struct s_run *run, int rc)
{
    if (rc >= 0)
        return false;
    if (run->first_error == 0) {
        run->first_error = rc;
        run->first_message = strdup(cr_error_last());
    }
    for (size_t p = 0; p < run->plan->n_pools; p++)
        run->cursors[p].stopped = true;
    return true;
}

static void s_done(struct s_run *run, size_t i, const char *pool_id)
{
    struct cr_apply_result *r = &run->report->results[i];
    r->status = CR_APPLY_DONE;
    r->pool_id = pool_id ? strdup(pool_id) : NULL;
    run->report->n_done++;
}

/* After an ambiguous CreateIdentityPool: is there a pool with this name that carries our
 * stack and name tags? (ListIdentityPools + DescribeIdentityPool of the same-named ones.) */
static int s_find_created(char **out, struct cr_aws_client *client, const struct cr_plan *plan,
                          const struct cr_plan_op *op)
{
    struct cr_cognito_pool_page page = {0};
    const char *name = plan->pools[op->pool].name;
    *out = NULL;
    int rc = cr_cognito_list_pools(client, &page);
    for (size_t i = 0; rc == 0 && !*out && i < page.len; i++) {
        if (!page.items[i].name || !op->params_pool.name ||
            strcmp(page.items[i].name, op->params_pool.name) != 0)
            continue;
        struct cr_cognito_pool pool = {0};
        rc = cr_cognito_describe_pool(client, &pool, page.items[i].id);
        const char *stack = cr_strmap_get(&pool.tags, CR_TAG_STACK);
        const char *tag_name = cr_strmap_get(&pool.tags, CR_TAG_NAME);
        if (rc == 0 && stack && tag_name && strcmp(stack, plan->stack) == 0 &&
            strcmp(tag_name, name) == 0) {
            *out = strdup(pool.id);
            if (!*out)
                rc = CR_ENOMEM;
        }
        if (rc == CR_ENOTFOUND || (rc == CR_ESERVICE && !*out))
            rc = 0; /* deleted meanwhile: not ours anyway */
        cr_cognito_pool_dispose(&pool);
    }
    cr_cognito_pool_page_dispose(&page);
    return rc;
}

/*
 * The safe create: look first, create only when our pool is not there; bounded attempts.
 * Returns 0 with *out_id set, or the failure.
 */
static int s_recover_create(char **out_id, bool *recovered, struct s_run *run, size_t i,
                            struct cr_aws_client *client)
{
    const struct cr_plan_op *op = &run->plan->ops[i];
    unsigned attempts =
        run->opts && run->opts->max_create_attempts ? run->opts->max_create_attempts : 3;
    int rc = CR_EAMBIGUOUS;
    for (unsigned a = 1; a < attempts; a++) {
        rc = s_find_created(out_id, client, run->plan, op);
        if (rc < 0)
            return rc;
        if (*out_id) {
            *recovered = true;
            cr_log_info("pool '%s': CreateIdentityPool answered ambiguously; found the pool %s "
                        "by its ownership tags",
                        run->plan->pools[op->pool].name, *out_id);
            return 0;
        }
        struct cr_cognito_pool created = {0};
        rc = cr_cognito_create_pool(client, &created, &op->params_pool);
        if (rc == 0) {
            *out_id = created.id;
            created.id = NULL; /* now owned by the caller */
        }
        cr_cognito_pool_dispose(&created);
        if (rc != CR_EAMBIGUOUS)
            return rc;
    }
    /* one last look: the final attempt may have created it */
    if (s_find_created(out_id, client, run->plan, op) == 0 && *out_id) {
        *recovered = true;
        return 0;
    }
    return rc;
}

/* The id a CreateIdentityPool answer carries. */
static int s_created_id(char **out, const struct cr_aws_call *call)
{
    struct cr_cognito_pool pool = {0};
    int rc = cr_cognito_decode_pool(&pool, call->response.ptr, call->response.len);
    *out = pool.id;
    pool.id = NULL; /* now owned by the caller */
    cr_cognito_pool_dispose(&pool);
    return rc;
}

/* Handles the answer of op i (pool cursor c). */
static void s_settle(struct s_run *run, size_t i, struct s_cursor *c, struct cr_aws_call *call)
{
    const struct cr_plan_op *op = &run->plan->ops[i];
    const char *target = c->pool_id ? c->pool_id : run->plan->pools[op->pool].name;
    char *new_id = NULL;
    int rc = call->result;
    bool recovered = false;
    if (op->kind == CR_PLAN_OP_CREATE) {
        if (rc == CR_EAMBIGUOUS)
            rc = s_recover_create(&new_id, &recovered, run, i, c->client);
        else if (rc == 0)
            rc = s_created_id(&new_id, call);
        if (rc == 0) {
            free(c->pool_id);
            c->pool_id = new_id; /* now owned by the cursor: later calls address it */
            s_done(run, i, c->pool_id);
            run->report->results[i].recovered = recovered;
            return;
        }
        free(new_id);
        s_fail(run, i, rc, rc == call->result ? call : NULL, target);
        return;
    }
    /* Deleting a pool that is already gone reaches the desired state. */
    if (rc < 0 && !(op->kind == CR_PLAN_OP_DELETE && call->result == CR_ESERVICE &&
                    strcmp(call->error.type, "ResourceNotFoundException") == 0)) {
        s_fail(run, i, rc, call, target);
        return;
    }
    s_done(run, i, c->pool_id);
    if (op->kind == CR_PLAN_OP_DELETE) {
        free(c->pool_id);
        c->pool_id = NULL;
    }
}

/* One round: the next call of every pool whose region is served by client. */
static int s_round_client(struct s_run *run, struct cr_aws_client *client, bool *any)
{
    const struct cr_plan *plan = run->plan;
    size_t n = 0;
    size_t *index = calloc(plan->n_pools ? plan->n_pools : 1, sizeof(*index));
    struct cr_aws_call *calls = calloc(plan->n_pools ? plan->n_pools : 1, sizeof(*calls));
    int result = CR_ENOMEM;
    if (!index || !calls)
        goto done;
    for (size_t p = 0; p < plan->n_pools; p++) {
        struct s_cursor *c = &run->cursors[p];
        if (c->client != client || c->stopped || c->next >= plan->pools[p].n_ops ||
            (plan->pools[p].action == CR_PLAN_DELETE) != run->prune_phase)
            continue;
        size_t i = plan->pools[p].first_op + c->next;
        cr_aws_call_init(&calls[n], cr_plan_op_api(plan->ops[i].kind));
        result = cr_plan_op_body(&calls[n].body, plan, &plan->ops[i], c->pool_id);
        if (result < 0)
            goto done;
        index[n++] = i;
    }
    *any = *any || n > 0;
    if (n && run->opts && run->opts->guard && s_refused(run, run->opts->guard(run->opts->guard_ctx)))
        n = 0; /* nothing of this round is sent */
    for (size_t k = 0; k < n; k++)
        s_progress(run, index[k]);
    if (n)
        (void)!cr_aws_perform(client, calls, n); /* each call's result is settled below */
    for (size_t k = 0; k < n; k++) {
        size_t i = index[k];
        struct s_cursor *c = &run->cursors[plan->ops[i].pool];
        s_settle(run, i, c, &calls[k]);
        c->next++;
        s_progress(run, i);
    }
    result = 0;
done:
    for (size_t k = 0; calls && k < plan->n_pools; k++)
        cr_aws_call_dispose(&calls[k]);
    free(calls);
    free(index);
    if (result == CR_ENOMEM)
        cr_error_set("out of memory applying the plan");
    return result;
}

static unsigned long s_write_calls(struct cr_aws_client *const *clients, size_t n)
{
    unsigned long total = 0;
    for (size_t i = 0; i < n; i++)
        for (int op = 0; op < CR_OP_COUNT; op++)
            if (cr_cognito_op_is_write((enum cr_cognito_op)op))
                total += cr_aws_client_request_count(clients[i], (enum cr_cognito_op)op);
    return total;
}

static int s_cursors(struct s_run *run, struct cr_aws_client *const *clients, size_t n_clients,
                     const struct cr_apply_options *opts)
{
    const struct cr_plan *plan = run->plan;
    run->cursors = calloc(plan->n_pools ? plan->n_pools : 1, sizeof(*run->cursors));
    if (!run->cursors) {
        cr_error_set("out of memory applying the plan");
        return CR_ENOMEM;
    }
    for (size_t p = 0; p < plan->n_pools; p++) {
        struct s_cursor *c = &run->cursors[p];
        if (!plan->pools[p].n_ops)
            continue;
        c->client = s_client_for(clients, n_clients, opts, &plan->pools[p]);
        if (!c->client) {
            char label[96];
            cr_error_set("pool '%s': no client for region %s of %s", plan->pools[p].name,
                         plan->pools[p].region,
                         cr_plan_account_label(label, plan->pools[p].account));
            return CR_EINVALID;
        }
        if (!plan->pools[p].pool_id)
            continue; /* created by the plan: the create's answer gives the id */
        c->pool_id = strdup(plan->pools[p].pool_id);
        if (!c->pool_id) {
            cr_error_set("out of memory applying the plan");
            return CR_ENOMEM;
        }
    }
    return 0;
}

/* Rounds until every pool of the phase is done or stopped by a failure in its account; each
 * round makes progress, so at most max(n_ops per pool) rounds run. */
static int s_phase(struct s_run *run, struct cr_aws_client *const *clients, size_t n_clients)
{
    int result = 0;
    for (bool any = true; any && result == 0;) {
        any = false;
        for (size_t k = 0; k < n_clients && result == 0; k++)
            result = s_round_client(run, clients[k], &any);
    }
    return result;
}

int cr_apply(struct cr_apply_report *out, const struct cr_plan *plan,
             struct cr_aws_client *const *clients, size_t n_clients,
             const struct cr_apply_options *opts)
{
    struct s_run run = {.plan = plan, .report = out, .opts = opts};
    int result = CR_ENOMEM;
    unsigned long writes_before = s_write_calls(clients, n_clients);
    memset(out, 0, sizeof(*out));
    out->results = calloc(plan->n_ops ? plan->n_ops : 1, sizeof(*out->results));
    out->n_results = plan->n_ops;
    if (!out->results) {
        cr_error_set("out of memory applying the plan");
        goto done;
    }
    result = s_cursors(&run, clients, n_clients, opts);
    if (result < 0)
        goto done;
    result = s_phase(&run, clients, n_clients);
    if (result == 0) {
        /* pruning last, in the accounts where everything else succeeded (stopped ones skip) */
        run.prune_phase = true;
        result = s_phase(&run, clients, n_clients);
    }
    if (result < 0)
        goto done;
    result = run.first_error;
    if (result < 0)
        cr_error_set("%s", run.first_message ? run.first_message : "apply failed");
done:
    out->n_not_attempted = out->n_results - out->n_done - out->n_failed;
    out->write_calls = s_write_calls(clients, n_clients) - writes_before;
    for (size_t p = 0; run.cursors && p < plan->n_pools; p++)
        free(run.cursors[p].pool_id);
    free(run.cursors);
    free(run.first_message);
    return result;
}
