/* SPDX-License-Identifier: Apache-2.0 */
/*
 * apply: plan and execute (after a "yes" on a terminal, or --auto-approve), or execute a plan
 * saved by `plan --out FILE` once the live state is verified unchanged since then.
 * Progress goes to stderr, one line per operation; a failure stops the run and the report
 * says what succeeded, what failed and what was not attempted.
 */
#include <jansson.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include "cmd/cognito-reconcile/lock.h"
#include "cmd/cognito-reconcile/session.h"
#include "cmd/cognito-reconcile/sources.h"
#include "reconcile/apply.h"
#include "reconcile/render.h"
#include "reconcile/target.h"
#include "reconcile/twins.h"
#include "util/log.h"

static const char s_synopsis[] = "[options] PATH...  |  apply [options] PLAN.json";
static const char s_description[] =
    "With manifest paths: plans, shows the plan and asks for confirmation on the terminal\n"
    "(only 'yes' is accepted; without a terminal --auto-approve is required), then makes\n"
    "the calls. With a plan saved by `plan --out PLAN.json`: re-reads the live state,\n"
    "refuses if it changed since the plan was made or if the saved calls are not what the\n"
    "plan's recorded manifests give, otherwise makes exactly the saved calls.\n"
    "--expect-digest sha256:... applies only the plan with that digest (plan prints it).";

static const char s_prompt[] = "Do you want to perform these actions? Only 'yes' will be accepted";

/* A single *.json regular file is a saved plan; manifests are YAML. */
static bool s_is_saved_plan(const struct cr_cli_options *opts)
{
    if (opts->paths.len != 1)
        return false;
    const char *p = opts->paths.items[0];
    size_t n = strlen(p);
    struct stat st;
    return n > 5 && strcmp(p + n - 5, ".json") == 0 && stat(p, &st) == 0 && S_ISREG(st.st_mode);
}

/* Pool ids learnt while applying (what a CreateIdentityPool returned), by plan pool index, so
 * the lines about a created pool's later calls name it. */
struct s_ids {
    char **by_pool;
    size_t n;
    bool quiet; /* --quiet: no line per call (the failure summary still prints) */
};

static void s_ids_dispose(struct s_ids *ids)
{
    for (size_t i = 0; i < ids->n; i++)
        free(ids->by_pool[i]);
    free(ids->by_pool);
    ids->by_pool = NULL;
    ids->n = 0;
}

static const char *s_op_pool_id(const struct cr_plan *plan, size_t i,
                                const struct cr_apply_result *r, const struct s_ids *ids)
{
    if (r != NULL && r->pool_id != NULL)
        return r->pool_id;
    size_t p = plan->ops[i].pool;
    if (ids != NULL && p < ids->n && ids->by_pool[p] != NULL)
        return ids->by_pool[p];
    const char *id = plan->pools[p].pool_id;
    return id != NULL ? id : CR_PLAN_ID_AFTER_CREATE;
}

/* One line per operation as it ends (stderr, so stdout stays the plan); starts under --debug. */
static void s_progress(void *user, const struct cr_plan *plan, size_t i,
                       const struct cr_apply_result *r)
{
    struct s_ids *ids = user;
    const struct cr_plan_op *op = &plan->ops[i];
    if (r->pool_id != NULL && op->pool < ids->n && ids->by_pool[op->pool] == NULL)
        ids->by_pool[op->pool] = strdup(r->pool_id); /* NULL on OOM: the line says "known after" */
    const struct cr_plan_pool *pool = &plan->pools[op->pool];
    const char *api = cr_cognito_op_name(cr_plan_op_api(op->kind));
    if (ids->quiet)
        return;
    switch (r->status) {
    case CR_APPLY_NOT_ATTEMPTED:
        cr_log_debug("[%zu/%zu] %s %s: starting", i + 1, plan->n_ops, api, pool->name);
        break;
    case CR_APPLY_DONE:
        cr_log_info("[%zu/%zu] %s %s (%s): done%s", i + 1, plan->n_ops, api, pool->name,
                    s_op_pool_id(plan, i, r, ids),
                    r->recovered ? " (found the pool after an ambiguous failure; no twin made)"
                                 : "");
        break;
    case CR_APPLY_FAILED:
    default:
        cr_log_info("[%zu/%zu] %s %s (%s): FAILED: %s", i + 1, plan->n_ops, api, pool->name,
                    s_op_pool_id(plan, i, r, ids), r->error ? r->error : cr_error_name(r->code));
        break;
    }
}

static bool s_same_account(const char *a, const char *b)
{
    return (a == NULL && b == NULL) || (a != NULL && b != NULL && strcmp(a, b) == 0);
}

/* How many calls of account (every account when all) ended with st. */
static size_t s_count_status(const struct cr_plan *plan, const struct cr_apply_report *rep,
                             bool all, const char *account, enum cr_apply_status st)
{
    size_t n = 0;
    for (size_t i = 0; i < rep->n_results && i < plan->n_ops; i++)
        if (rep->results[i].status == st &&
            (all || s_same_account(plan->pools[plan->ops[i].pool].account, account)))
            n++;
    return n;
}

/* The calls of one account (every account when all): what succeeded, failed, was not tried. */
static void s_print_outcomes(const struct cr_plan *plan, const struct cr_apply_report *rep,
                             const struct s_ids *ids, bool all, const char *account,
                             const char *indent)
{
    static const char *const titles[] = {"not attempted", "succeeded", "failed"};
    static const enum cr_apply_status order[] = {CR_APPLY_DONE, CR_APPLY_FAILED,
                                                 CR_APPLY_NOT_ATTEMPTED};
    for (size_t k = 0; k < 3; k++) {
        enum cr_apply_status st = order[k];
        fprintf(stderr, "%s%s (%zu):\n", indent, titles[st],
                s_count_status(plan, rep, all, account, st));
        for (size_t i = 0; i < rep->n_results && i < plan->n_ops; i++) {
            const struct cr_apply_result *r = &rep->results[i];
            const struct cr_plan_pool *pool = &plan->pools[plan->ops[i].pool];
            if (r->status != st || (!all && !s_same_account(pool->account, account)))
                continue;
            fprintf(stderr, "%s  %s %s (%s, %s)%s%s\n", indent,
                    cr_cognito_op_name(cr_plan_op_api(plan->ops[i].kind)), pool->name, pool->region,
                    s_op_pool_id(plan, i, r, ids), st == CR_APPLY_FAILED ? ": " : "",
                    st == CR_APPLY_FAILED ? (r->error ? r->error : cr_error_name(r->code)) : "");
        }
    }
}

/* After a failure: what succeeded, what failed, what was not attempted (stderr); with several
 * accounts, account by account, since a failure stops only its own account. */
static void s_print_failure(const struct cr_plan *plan, const struct cr_apply_report *rep,
                            const struct s_ids *ids)
{
    if (!cr_plan_has_accounts(plan)) {
        fprintf(stderr, "\napply stopped at the first failure:\n");
        s_print_outcomes(plan, rep, ids, true, NULL, "  ");
    } else {
        size_t failed = 0;
        for (size_t a = 0; a < plan->n_accounts; a++)
            failed += s_count_status(plan, rep, false, plan->accounts[a].account.name,
                                     CR_APPLY_FAILED) > 0;
        fprintf(stderr, "\napply failed in %zu of %zu accounts; the others went on:\n", failed,
                plan->n_accounts);
        for (size_t a = 0; a < plan->n_accounts; a++) {
            const struct cr_desired_account *acc = &plan->accounts[a].account;
            bool bad = s_count_status(plan, rep, false, acc->name, CR_APPLY_FAILED) > 0;
            fprintf(stderr, "  %s%s", acc->name ? "account " : "default account",
                    acc->name ? acc->name : "");
            if (acc->account_id)
                fprintf(stderr, " (%s)", acc->account_id);
            fprintf(stderr, ": %s\n", bad ? "FAILED" : "complete");
            s_print_outcomes(plan, rep, ids, false, acc->name, "    ");
        }
    }
    fprintf(stderr, "run apply again to converge: it re-reads the live state and makes only "
                    "the calls still needed.\n");
}

static const char *s_status_name(enum cr_apply_status st)
{
    switch (st) {
    case CR_APPLY_DONE:
        return "done";
    case CR_APPLY_FAILED:
        return "failed";
    case CR_APPLY_NOT_ATTEMPTED:
    default:
        return "not_attempted";
    }
}

/* The twin check's findings (docs/locking.md) as JSON. */
static json_t *s_twins_json(const struct cr_twins_report *twins)
{
    json_t *a = json_array();
    for (size_t i = 0; a && twins && i < twins->len; i++) {
        const struct cr_twin_finding *f = &twins->items[i];
        json_t *o =
            json_pack("{s:s, s:o, s:s, s:s, s:s, s:s, s:b}", "pool", f->name, "account",
                      f->account ? json_string(f->account) : json_null(), "region", f->region,
                      "keeper_id", f->keeper_id, "twin_id", f->loser_id, "outcome",
                      f->outcome == CR_TWIN_DELETED            ? "deleted"
                      : f->outcome == CR_TWIN_DELETED_BY_OTHER ? "deleted_by_other_run"
                                                               : "left",
                      "created_by_this_run", f->created_here);
        if (o && f->reason)
            json_object_set_new(o, "reason", json_string(f->reason));
        json_array_append_new(a, o);
    }
    return a;
}

/* --output json: one document holding the plan and the outcome of every operation. */
static int s_print_json(struct cr_cli_session *s, const struct cr_apply_report *rep,
                        const struct s_ids *ids, const char *status,
                        const struct cr_twins_report *twins)
{
    int result = -1;
    json_t *doc = NULL;
    json_t *plan = cr_render_json_doc(&s->plan); /* the document plan prints, not re-parsed */
    if (plan == NULL)
        return CR_ENOMEM;
    json_t *ops = json_array();
    json_t *twin_list = s_twins_json(twins);
    doc = json_pack("{s:s, s:o, s:{s:s, s:o, s:I, s:o}}", "format_version", "1", "plan", plan,
                    "apply", "status", status, "operations", ops ? ops : json_null(), "write_calls",
                    (json_int_t)rep->write_calls, "twins", twin_list ? twin_list : json_null());
    for (size_t i = 0; doc != NULL && ops != NULL && i < rep->n_results && i < s->plan.n_ops; i++) {
        const struct cr_apply_result *r = &rep->results[i];
        const struct cr_plan_pool *pool = &s->plan.pools[s->plan.ops[i].pool];
        json_t *o = json_pack(
            "{s:I, s:s, s:s, s:o, s:s, s:s, s:s}", "index", (json_int_t)i, "operation",
            cr_cognito_op_name(cr_plan_op_api(s->plan.ops[i].kind)), "pool", pool->name, "account",
            pool->account ? json_string(pool->account) : json_null(), "region", pool->region,
            "pool_id", s_op_pool_id(&s->plan, i, r, ids), "status", s_status_name(r->status));
        if (o != NULL && r->error != NULL)
            json_object_set_new(o, "error", json_string(r->error));
        json_array_append_new(ops, o);
    }
    /* each account's outcome: a failure stops its own account only */
    json_t *accounts = json_array();
    for (size_t a = 0; doc != NULL && accounts != NULL && a < s->plan.n_accounts; a++) {
        const char *name = s->plan.accounts[a].account.name;
        size_t failed = s_count_status(&s->plan, rep, false, name, CR_APPLY_FAILED);
        json_array_append_new(
            accounts,
            json_pack(
                "{s:o, s:s, s:I, s:I, s:I}", "name", name ? json_string(name) : json_null(),
                "status", failed ? "failed" : "complete", "done",
                (json_int_t)s_count_status(&s->plan, rep, false, name, CR_APPLY_DONE), "failed",
                (json_int_t)failed, "not_attempted",
                (json_int_t)s_count_status(&s->plan, rep, false, name, CR_APPLY_NOT_ATTEMPTED)));
    }
    if (doc != NULL && accounts != NULL)
        json_object_set_new(json_object_get(doc, "apply"), "accounts", accounts);
    else
        json_decref(accounts);
    if (doc == NULL || json_dumpf(doc, stdout, JSON_INDENT(2) | JSON_SORT_KEYS) != 0) {
        cr_error_set("writing the apply report failed");
        result = CR_EIO;
        goto done;
    }
    fputc('\n', stdout);
    result = 0;
done:
    json_decref(doc);
    return result;
}

static void s_print_summary(const struct cr_cli_session *s, const struct cr_apply_report *rep)
{
    const struct cr_plan *p = &s->plan;
    if (s->opts->output == CR_CLI_OUTPUT_MARKDOWN) {
        printf("\n### Apply complete\n\n%zu created, %zu updated, %zu deleted, %zu replaced: "
               "%zu call%s made.\n",
               p->n_create, p->n_update, p->n_delete, p->n_replace, rep->n_done,
               rep->n_done == 1 ? "" : "s");
        return;
    }
    printf("\nApply complete! %zu created, %zu updated, %zu deleted, %zu replaced "
           "(%zu call%s).\n",
           p->n_create, p->n_update, p->n_delete, p->n_replace, rep->n_done,
           rep->n_done == 1 ? "" : "s");
}

/* Executes s->plan with every connected client and reports the outcome. */
static int s_execute(struct cr_cli_session *s)
{
    int result = -1;
    struct cr_apply_report rep = {0};
    struct cr_twins_report twins = {0};
    struct s_ids ids = {.by_pool = calloc(s->plan.n_pools ? s->plan.n_pools : 1, sizeof(char *)),
                        .n = s->plan.n_pools};
    struct cr_apply_options ao = {.progress = s_progress,
                                  .progress_user = &ids,
                                  .guard = cr_cli_lock_guard,
                                  .guard_ctx = s->lock};
    int rc;
    if (ids.by_pool == NULL) {
        ids.n = 0;
        cr_error_set("out of memory");
        result = cr_cli_fail(CR_ENOMEM);
        goto done;
    }
    bool calls_failed = false;
    ids.quiet = s->opts->quiet;
    rc = cr_cli_session_apply(s, &rep, &twins, &calls_failed, &ao);
    if (rc != 0 && rep.n_results == 0) { /* refused before any call (a rewind, the lock) */
        result = cr_cli_fail(rc);
        goto done;
    }
    if (s->opts->output == CR_CLI_OUTPUT_JSON &&
        s_print_json(s, &rep, &ids, rc == 0 ? "complete" : "failed", &twins) != 0)
        rc = rc != 0 ? rc : CR_EIO;
    if (rc != 0) {
        result = cr_cli_fail(rc);
        if (calls_failed)
            s_print_failure(&s->plan, &rep, &ids);
        goto done;
    }
    if (s->opts->output != CR_CLI_OUTPUT_JSON)
        s_print_summary(s, &rep);
    result = CR_EXIT_OK;
done:
    s_ids_dispose(&ids);
    cr_twins_report_dispose(&twins);
    cr_apply_report_dispose(&rep);
    return result;
}

/* Asks on the terminal; true only for exactly "yes". */
static bool s_confirm(void)
{
    char line[64];
    fprintf(stderr, "\n%s.\n  Enter a value: ", s_prompt);
    fflush(stderr);
    if (fgets(line, sizeof(line), stdin) == NULL)
        return false;
    line[strcspn(line, "\r\n")] = '\0';
    return strcmp(line, "yes") == 0;
}

static int s_render_plan(struct cr_cli_session *s)
{
    if (s->opts->output == CR_CLI_OUTPUT_JSON)
        return 0; /* the plan is part of the final JSON document */
    return cr_cli_session_render(s, stdout, false);
}

/* --expect-digest: the plan about to be applied must be the one that was reviewed (its digest
 * is printed by plan in every output, the pull-request comment included). */
static int s_check_digest(const struct cr_cli_session *s)
{
    char digest[CR_PLAN_DIGEST_LEN + 1];
    const char *want = s->opts->expect_digest;
    if (want == NULL)
        return 0;
    int rc = cr_plan_digest(digest, &s->plan);
    if (rc != 0)
        return rc;
    if (cr_plan_digest_equal(digest, want))
        return 0;
    cr_error_set("the plan's digest is %s, not %s (--expect-digest): this is not the plan that was "
                 "reviewed; nothing was changed",
                 digest, want);
    return CR_ECONFLICT;
}

/* Once the plan is in s (rc: how getting it went): shows it, checks --expect-digest, stops when
 * it makes no call (the JSON document still says "complete"), asks when ask, then executes.
 * Returns the exit status. */
static int s_finish(struct cr_cli_session *s, int rc, bool ask)
{
    if (rc == 0)
        rc = s_render_plan(s);
    if (rc == 0)
        rc = s_check_digest(s);
    if (rc == 0)
        rc = cr_cli_session_check_access(s);
    if (rc != 0)
        return cr_cli_fail(rc);
    if (cr_plan_is_empty(&s->plan)) {
        struct cr_apply_report empty = {0};
        if (s->opts->output == CR_CLI_OUTPUT_JSON)
            rc = s_print_json(s, &empty, NULL, "complete", NULL);
        return rc == 0 ? CR_EXIT_OK : cr_cli_fail(rc);
    }
    if (ask && !s_confirm())
        return cr_cli_failf("apply cancelled: nothing was changed");
    return s_execute(s);
}

static int s_apply_manifests(const struct cr_cli_options *opts)
{
    struct cr_cli_session s;
    cr_cli_session_init(&s, opts);
    int result = s_finish(&s, cr_cli_session_plan(&s, false), !opts->auto_approve);
    result = cr_cli_lock_finish(s.lock, result);
    s.lock = NULL;
    cr_cli_session_dispose(&s);
    return result;
}

static int s_check_saved_plan_options(const struct cr_cli_options *opts, const struct cr_plan *p)
{
    if (opts->prune || opts->allow_replace || opts->targets.len > 0) {
        cr_error_set("apply %s: --prune, --allow-replace and --target are decided when the plan "
                     "is made (plan ... --out FILE); they cannot change a saved plan",
                     opts->paths.items[0]);
        return CR_EINVALID;
    }
    if (strcmp(opts->stack, p->stack ? p->stack : CR_CLI_DEFAULT_STACK) != 0 &&
        strcmp(opts->stack, CR_CLI_DEFAULT_STACK) != 0) {
        cr_error_set("apply %s: the plan is for stack '%s', not '%s'", opts->paths.items[0],
                     p->stack ? p->stack : CR_CLI_DEFAULT_STACK, opts->stack);
        return CR_EINVALID;
    }
    /* plan --out resolves and records every account's id; the digest does not cover it, so
     * a file without one would silently skip the wrong-account guard */
    for (size_t i = 0; i < p->n_accounts; i++)
        if (p->accounts[i].account.account_id == NULL) {
            cr_error_set("%s: saved plan: accounts[%zu].account_id: missing (plan --out always "
                         "records it, for the wrong-account guard): the file was edited; run "
                         "plan --out again",
                         opts->paths.items[0], i);
            return CR_EINVALID;
        }
    return 0;
}

/*
 * Reads the live state again (listing and describing every pool of the plan's regions) and
 * checks the saved plan in s->plan against it: nothing it saw changed (fingerprints, the
 * stack's pools), and its operations are exactly those its recorded manifests give with the
 * live state now. On success s->plan is the plan computed now, which has the same calls and
 * digest. Nothing is written before this passes (docs/plan.md "Saved plans").
 */
static int s_verify_saved(struct cr_cli_session *s, const char *path)
{
    struct cr_plan_wants wants = {0};
    struct cr_plan now;
    cr_plan_init(&now);
    cr_log_info("verifying that the live state still matches %s...", path);
    int rc = s_check_digest(s); /* before any call: a wrong file is refused offline */
    if (rc == 0)
        rc = cr_cli_session_connect_plan(s);
    /* before any read: every account must be the one the plan was made for */
    if (rc == 0)
        rc = cr_cli_session_guard(s, false);
    if (rc == 0)
        rc = cr_cli_session_lock(s);
    if (rc == 0)
        rc = cr_plan_wants_from_desired(&wants, s->plan.desired, s->plan.n_desired);
    if (rc == 0)
        rc = cr_cli_session_read(s, wants.items, wants.len, true);
    /* the pools the plan was limited to (--target when it was made) */
    struct cr_targets targets = {(const char *const *)s->plan.targets.items, s->plan.targets.len};
    if (rc == 0)
        rc = cr_target_live(&s->live, &targets, s->plan.stack, s->plan.desired, s->plan.n_desired);
    if (rc == 0)
        rc = cr_plan_verify(&s->plan, &s->live);
    if (rc == 0)
        rc = cr_plan_rederive(&now, &s->plan, &s->live);
    if (rc == 0) {
        cr_plan_dispose(&s->plan);
        s->plan = now; /* now owned by the session */
    }
    cr_plan_wants_dispose(&wants);
    return rc;
}

static int s_apply_saved(const struct cr_cli_options *cli)
{
    int result = -1;
    const char *path = cli->paths.items[0];
    struct cr_plan loaded;
    struct cr_cli_options opts = *cli; /* shallow: the stack comes from the plan */
    struct cr_cli_session s;
    cr_plan_init(&loaded);
    cr_cli_session_init(&s, &opts);
    int rc = cr_plan_load(&loaded, path);
    if (rc == 0)
        rc = s_check_saved_plan_options(cli, &loaded);
    if (rc != 0) {
        result = cr_cli_fail(rc);
        goto done;
    }
    opts.stack = loaded.stack ? loaded.stack : CR_CLI_DEFAULT_STACK;
    s.plan = loaded; /* now owned by the session */
    cr_plan_init(&loaded);
    result = s_finish(&s, s_verify_saved(&s, path), false); /* saving it was the review */
    result = cr_cli_lock_finish(s.lock, result);
    s.lock = NULL;
done:
    cr_cli_session_dispose(&s);
    cr_plan_dispose(&loaded);
    return result;
}

/* A mistyped path is reported as such, not as the missing terminal that comes next. (With
 * --git-ref the paths are inside the revision: the loader checks them there.) */
static int s_check_paths_exist(const struct cr_cli_options *opts)
{
    struct stat st;
    for (size_t i = 0; opts->git_ref == NULL && i < opts->paths.len; i++) {
        const char *p = opts->paths.items[i];
        size_t n = strlen(p);
        if (strcmp(p, "-") != 0 && stat(p, &st) != 0) /* "-": standard input */
            return cr_cli_failf("path '%s' does not exist%s", p,
                                n > 5 && strcmp(p + n - 5, ".json") == 0
                                    ? " (a saved plan is the file written by plan --out FILE)"
                                    : "");
    }
    return CR_EXIT_OK;
}

static int s_main(const struct cr_cli_options *opts)
{
    if (opts->expect_digest != NULL && !cr_plan_digest_valid(opts->expect_digest))
        return cr_cli_failf("--expect-digest: '%s' is not a plan digest (\"sha256:\" and 64 hex "
                            "digits, as plan prints it)",
                            opts->expect_digest);
    if (s_is_saved_plan(opts))
        return s_apply_saved(opts);
    if (s_check_paths_exist(opts) != CR_EXIT_OK)
        return CR_EXIT_ERROR;
    /* The JSON plan is only printed with the outcome: a prompt would ask about a plan never
     * shown (Terraform refuses -json without -auto-approve too). */
    if (!opts->auto_approve && opts->output == CR_CLI_OUTPUT_JSON)
        return cr_cli_failf(
            "apply --output json needs --auto-approve (or a saved plan): the "
            "plan is printed with the outcome, so it cannot be reviewed at a prompt");
    /* Refuse before any API call: without a terminal nobody can answer the prompt. */
    if (!opts->auto_approve && isatty(STDIN_FILENO) != 1)
        return cr_cli_failf("apply needs confirmation but stdin is not a terminal; review the "
                            "plan and pass --auto-approve, or apply a saved plan (plan --out "
                            "FILE, then apply FILE)");
    return s_apply_manifests(opts);
}

int cr_cmd_apply(int argc, char **argv)
{
    return cr_cli_main(CR_CLI_APPLY, argc, argv, s_synopsis, s_description, s_main);
}
