/* SPDX-License-Identifier: Apache-2.0 */
/*
 * Apply: runs a plan's calls (docs/plan.md "Apply and failures"). Pools are independent, so
 * their calls run in parallel, streamed (cr_aws_stream): a pool's next call starts as soon as
 * its previous one answered and the client has room for it (--parallelism, the operation's
 * rate), pools earlier in the plan first; the calls of one pool keep their order. Regions run
 * at once, one thread each; so do accounts (docs/plan.md "Accounts"): every account and region
 * has its own client and stream. The first failure stops its account: calls already sent
 * finish, nothing else of that account starts, the other accounts go on; a refusal of the
 * run lock's guard stops every account. Pools pruned by the plan are deleted last, in a second
 * phase, in the accounts where every other call succeeded (design §5's order: a failed run
 * destroys nothing).
 * CreateIdentityPool has no idempotency token, so an ambiguous failure is followed by a
 * lookup of the pool by its ownership tags before any second attempt.
 *
 * The scheduling (which call next, s_next; what an answer means, s_answer) is one piece; what
 * a single answer does to the run (s_settle, the safe create) is another.
 */
#include "reconcile/apply.h"

#include <pthread.h>
#include <stdio.h>
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
    bool busy;     /* a call of this pool is in flight */
    bool stopped;  /* a call of its account failed, or the guard refused: nothing more is sent
                      for it (under the run's lock) */
};

struct s_run {
    const struct cr_plan *plan;
    struct cr_apply_report *report;
    const struct cr_apply_options *opts;
    struct s_cursor *cursors;
    bool prune_phase;     /* false: every pool but the pruned ones; true: the pruned ones */
    pthread_mutex_t lock; /* the report's counters, the first failure, the reporting below */
    int first_error;
    char *first_message;
    bool halted; /* the guard refused: every account stopped */
    size_t *order; /* ops in the order they are reported: the plan's, pruned pools last */
    size_t n_order, reported;
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

/* A failure stops its account (lock held): the pools of other accounts are another world
 * (their own credentials, pools and quotas), so they go on, and the report shows both. */
static void s_stop_account(struct s_run *run, const char *account)
{
    for (size_t p = 0; p < run->plan->n_pools; p++)
        if (s_same(run->plan->pools[p].account, account))
            run->cursors[p].stopped = true;
}

static void s_callback(struct s_run *run, size_t op_index)
{
    if (run->opts && run->opts->progress)
        run->opts->progress(run->opts->progress_user, run->plan, op_index,
                            &run->report->results[op_index]);
}

/* Reports the ops that ended, in plan order (lock held): an op is reported once every op
 * before it in the order was reported or will never run, so the output is grouped per pool
 * and in plan order whatever order the answers came in. flush: the phase is over, so ops not
 * attempted are passed over. */
static void s_report_ready(struct s_run *run, bool flush)
{
    while (run->reported < run->n_order) {
        size_t i = run->order[run->reported];
        if (run->report->results[i].status == CR_APPLY_NOT_ATTEMPTED && !flush)
            return;
        if (run->report->results[i].status != CR_APPLY_NOT_ATTEMPTED)
            s_callback(run, i);
        run->reported++;
    }
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
    pthread_mutex_lock(&run->lock);
    r->status = CR_APPLY_FAILED;
    r->code = code;
    r->error = cr_buf_detach(&msg);
    run->report->n_failed++;
    s_stop_account(run, p->account);
    if (run->first_error == 0) {
        run->first_error = code;
        run->first_message = r->error ? strdup(r->error) : NULL;
    }
    s_report_ready(run, false);
    pthread_mutex_unlock(&run->lock);
    if (run->opts && run->opts->meter)
        cr_progress_add(run->opts->meter, 1, 0, false);
}

/* The guard (the run lock's, docs/locking.md) refused the next call (rc < 0): the whole run
 * stops, every account (the lock is lost or a signal came), with the guard's code and
 * message. */
static bool s_refused(struct s_run *run, int rc)
{
    if (rc >= 0)
        return false;
    pthread_mutex_lock(&run->lock);
    if (run->first_error == 0) {
        run->first_error = rc;
        run->first_message = strdup(cr_error_last());
    }
    for (size_t p = 0; p < run->plan->n_pools; p++)
        run->cursors[p].stopped = true;
    run->halted = true;
    pthread_mutex_unlock(&run->lock);
    return true;
}

static void s_done(struct s_run *run, size_t i, const char *pool_id, bool recovered)
{
    struct cr_apply_result *r = &run->report->results[i];
    pthread_mutex_lock(&run->lock);
    r->status = CR_APPLY_DONE;
    r->pool_id = pool_id ? strdup(pool_id) : NULL;
    r->recovered = recovered;
    run->report->n_done++;
    s_report_ready(run, false);
    pthread_mutex_unlock(&run->lock);
    if (run->opts && run->opts->meter)
        cr_progress_add(run->opts->meter, 1, 0, false);
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
            s_done(run, i, c->pool_id, recovered);
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
    s_done(run, i, c->pool_id, false);
    if (op->kind == CR_PLAN_OP_DELETE) {
        free(c->pool_id);
        c->pool_id = NULL;
    }
}

/* ---- scheduling: one region's stream ---- */

/* One region's share of a phase: its pools in plan order. */
struct s_sched {
    struct s_run *run;
    struct cr_aws_client *client;
    size_t *pools; /* plan indices of this region's pools in this phase, plan order */
    size_t n_pools;
    size_t first; /* pools[..first) have no call left */
    int result;   /* CR_ENOMEM and the like: the run could not go on */
    char error[1024];
    pthread_t thread;
    bool started;
};

/* One call in flight. */
struct s_flight {
    struct cr_aws_call call;
    size_t op; /* index into plan->ops */
    struct s_run *run;
    unsigned asked; /* times s_gate was asked: attempts about to go out */
    bool refused;   /* s_gate stopped it */
};

/* Whether pool p's account stopped (a failure in it, or the guard's refusal). */
static bool s_stopped(struct s_run *run, size_t p)
{
    pthread_mutex_lock(&run->lock);
    bool stop = run->cursors[p].stopped;
    pthread_mutex_unlock(&run->lock);
    return stop;
}

/* cr_aws_gate_fn, asked right before each attempt of a call goes out (after its wait for the
 * rate): every call is a write, so the guard (the run lock's, thread-safe) is asked each
 * time; and once its account's run stopped (a failure there, or the guard's refusal: every
 * account), a call not sent yet stays unsent (retries of one already sent go on: what was
 * sent finishes). */
static int s_gate(void *ctx)
{
    struct s_flight *f = ctx;
    struct s_run *run = f->run;
    if (f->asked++ == 0 && s_stopped(run, run->plan->ops[f->op].pool)) {
        f->refused = true;
        cr_error_set("not sent: its account's run stopped");
        return CR_EREFUSED;
    }
    if (!run->opts || !run->opts->guard)
        return 0;
    int rc = run->opts->guard(run->opts->guard_ctx);
    if (s_refused(run, rc))
        f->refused = true;
    return rc < 0 ? rc : 0;
}

/* cr_aws_next_fn: the next call of the first pool (in plan order) that has one and none in
 * flight; nothing once a call of this account failed (a stream serves one account and
 * region). */
static int s_next(void *ctx, struct cr_aws_call **out)
{
    struct s_sched *s = ctx;
    struct s_run *run = s->run;
    const struct cr_plan *plan = run->plan;
    *out = NULL;
    if (s->n_pools && s_stopped(run, s->pools[0]))
        return 0;
    while (s->first < s->n_pools &&
           run->cursors[s->pools[s->first]].next >= plan->pools[s->pools[s->first]].n_ops &&
           !run->cursors[s->pools[s->first]].busy)
        s->first++;
    for (size_t k = s->first; k < s->n_pools; k++) {
        size_t p = s->pools[k];
        struct s_cursor *c = &run->cursors[p];
        if (c->busy || c->next >= plan->pools[p].n_ops)
            continue;
        size_t i = plan->pools[p].first_op + c->next;
        struct s_flight *f = calloc(1, sizeof(*f));
        if (!f) {
            cr_error_set("out of memory applying the plan");
            return CR_ENOMEM;
        }
        cr_aws_call_init(&f->call, cr_plan_op_api(plan->ops[i].kind));
        f->call.user = f;
        f->call.gate = s_gate;
        f->call.gate_ctx = f;
        f->op = i;
        f->run = run;
        int rc = cr_plan_op_body(&f->call.body, plan, &plan->ops[i], c->pool_id);
        if (rc < 0) {
            cr_aws_call_dispose(&f->call);
            free(f);
            return rc;
        }
        c->busy = true;
        pthread_mutex_lock(&run->lock);
        s_callback(run, i); /* "starting" (not attempted yet) */
        pthread_mutex_unlock(&run->lock);
        *out = &f->call;
        return 0;
    }
    return 0;
}

/* cr_aws_done_fn: settles an answer. A failure is recorded and drains the stream: calls
 * already sent finish and are reported, calls not sent yet come back unsent (attempts 0) and
 * stay "not attempted". */
static int s_answer(void *ctx, struct cr_aws_call *call)
{
    struct s_sched *s = ctx;
    struct s_flight *f = call->user;
    size_t pool = s->run->plan->ops[f->op].pool;
    struct s_cursor *c = &s->run->cursors[pool];
    /* drained, or stopped by s_gate before its first attempt */
    bool unsent = call->attempts == 0 && (call->result == CR_EREFUSED || f->refused);
    if (!unsent) {
        s_settle(s->run, f->op, c, call);
        c->next++;
    }
    c->busy = false;
    cr_aws_call_dispose(&f->call);
    free(f);
    return s_stopped(s->run, pool) ? CR_AWS_STREAM_DRAIN : 0;
}

/* How many calls a region keeps queued or in flight: its parallelism, and as many again
 * waiting for their operation's rate (so a call whose bucket has a token never waits behind
 * calls whose bucket has none). */
static size_t s_window(const struct s_run *run)
{
    unsigned p = run->opts && run->opts->parallelism ? run->opts->parallelism : 8;
    return 2 * (size_t)p;
}

static void *s_sched_main(void *arg)
{
    struct s_sched *s = arg;
    s->result = cr_aws_stream(s->client, s_window(s->run), s_next, s_answer, s);
    if (s->result < 0)
        snprintf(s->error, sizeof(s->error), "%s", cr_error_last());
    return NULL;
}

/* The pools of phase served by client, in plan order. */
static int s_sched_pools(struct s_sched *s)
{
    const struct cr_plan *plan = s->run->plan;
    s->pools = calloc(plan->n_pools ? plan->n_pools : 1, sizeof(*s->pools));
    if (!s->pools) {
        cr_error_set("out of memory applying the plan");
        return CR_ENOMEM;
    }
    for (size_t p = 0; p < plan->n_pools; p++)
        if (s->run->cursors[p].client == s->client && plan->pools[p].n_ops &&
            !s->run->cursors[p].stopped &&
            (plan->pools[p].action == CR_PLAN_DELETE) == s->run->prune_phase)
            s->pools[s->n_pools++] = p;
    return 0;
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

/* One phase: every region's stream at once (one thread each; the first region runs on this
 * thread), until each has no call left or the run stopped. Returns 0, or a code that ended a
 * stream (out of memory): failed calls are recorded in the report instead. */
static int s_phase(struct s_run *run, struct cr_aws_client *const *clients, size_t n_clients)
{
    int result = 0;
    struct s_sched *s = calloc(n_clients ? n_clients : 1, sizeof(*s));
    if (!s) {
        cr_error_set("out of memory applying the plan");
        return CR_ENOMEM;
    }
    for (size_t k = 0; k < n_clients && result == 0; k++) {
        s[k].run = run;
        s[k].client = clients[k];
        result = s_sched_pools(&s[k]);
    }
    for (size_t k = 1; k < n_clients && result == 0; k++)
        s[k].started = s[k].n_pools && pthread_create(&s[k].thread, NULL, s_sched_main, &s[k]) == 0;
    for (size_t k = 0; k < n_clients && result == 0; k++)
        if (!s[k].started && s[k].n_pools)
            s_sched_main(&s[k]); /* the first region, or one no thread could be made for */
    for (size_t k = 0; k < n_clients; k++) {
        if (s[k].started)
            pthread_join(s[k].thread, NULL);
        if (result == 0 && s[k].result < 0) {
            result = s[k].result;
            cr_error_set("%s", s[k].error);
        }
        free(s[k].pools);
    }
    free(s);
    pthread_mutex_lock(&run->lock);
    s_report_ready(run, true);
    pthread_mutex_unlock(&run->lock);
    return result;
}

/* The reporting order: the plan's, pruned pools' ops last (they run in the second phase). */
static int s_order(struct s_run *run)
{
    const struct cr_plan *plan = run->plan;
    run->order = calloc(plan->n_ops ? plan->n_ops : 1, sizeof(*run->order));
    if (!run->order) {
        cr_error_set("out of memory applying the plan");
        return CR_ENOMEM;
    }
    for (int prune = 0; prune < 2; prune++)
        for (size_t i = 0; i < plan->n_ops; i++)
            if ((plan->pools[plan->ops[i].pool].action == CR_PLAN_DELETE) == (prune == 1))
                run->order[run->n_order++] = i;
    return 0;
}

int cr_apply(struct cr_apply_report *out, const struct cr_plan *plan,
             struct cr_aws_client *const *clients, size_t n_clients,
             const struct cr_apply_options *opts)
{
    struct s_run run = {.plan = plan, .report = out, .opts = opts};
    int result = CR_ENOMEM;
    pthread_mutex_init(&run.lock, NULL);
    unsigned long writes_before = s_write_calls(clients, n_clients);
    memset(out, 0, sizeof(*out));
    out->results = calloc(plan->n_ops ? plan->n_ops : 1, sizeof(*out->results));
    out->n_results = plan->n_ops;
    if (!out->results) {
        cr_error_set("out of memory applying the plan");
        goto done;
    }
    result = s_cursors(&run, clients, n_clients, opts);
    if (result == 0)
        result = s_order(&run);
    if (result < 0)
        goto done;
    result = s_phase(&run, clients, n_clients);
    if (result == 0 && !run.halted) {
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
    free(run.order);
    pthread_mutex_destroy(&run.lock);
    return result;
}
