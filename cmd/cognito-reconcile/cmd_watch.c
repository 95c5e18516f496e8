/* SPDX-License-Identifier: Apache-2.0 */
/*
 * watch: the GitOps controller (docs/watch.md). The loop, the fetch cache, the endpoints and
 * the notifications are watch/'s; this file wires them to the command line and gives the loop
 * its cycle: the same pipeline as apply (--drift repair) or drift (--drift report), through
 * session.c's stages, on the fetched commit read with the --git-ref rules (revision tag,
 * rewind check).
 *
 * Signals: SIGINT/SIGTERM end the loop after the current cycle (the lease is released, exit
 * 0); SIGHUP re-reads the configuration file. They are blocked in every thread and taken by
 * one thread with sigwait(), so nothing runs in a signal handler.
 */
#include <errno.h>
#include <pthread.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include <unistd.h>

#include "cmd/cognito-reconcile/lock.h"
#include "cmd/cognito-reconcile/session.h"
#include "reconcile/apply.h"
#include "reconcile/twins.h"
#include "util/log.h"
#include "watch/watch.h"

static const char s_synopsis[] = "--git-url URL [options] [PATH...]";
static const char s_description[] =
    "Follows a branch of a git repository and keeps the pools in line with it: fetches the\n"
    "branch every --interval (and on POST /reconcile), validates the manifests of PATH in the\n"
    "fetched commit, plans, and applies (--drift repair) or only reports (--drift report).\n"
    "An invalid commit is skipped: the last good revision stays applied. With --lock, only\n"
    "the replica holding the lease writes. Endpoints: GET /healthz, /readyz, /status,\n"
    "/metrics (Prometheus), POST /reconcile. SIGTERM: finish the cycle, release, exit 0;\n"
    "SIGHUP: re-read --config.";

#define S_TOKEN_ENV   "COGNITO_RECONCILE_GIT_TOKEN"
#define S_CONTROL_ENV "COGNITO_RECONCILE_CONTROL_TOKEN"

/* The command line as given, for SIGHUP (options are parsed again, the file re-read). */
static int s_argc;
static char **s_argv;

/* One generation of options and what was derived from them. */
struct s_gen {
    struct cr_cli_options opts;
    bool parsed;
    struct cr_buf cache_dir;
    struct cr_buf token; /* wiped on dispose */
    struct cr_watch_settings settings;
};

struct s_ctx {
    struct s_gen gens[2]; /* the current one, and the one before (still borrowed until swap) */
    size_t cur;
    struct cr_watch *w;
    struct cr_lock *lock; /* the lease, while this replica leads */
};

static void s_gen_dispose(struct s_gen *g)
{
    if (g->parsed)
        cr_cli_options_dispose(&g->opts);
    cr_buf_dispose(&g->cache_dir);
    cr_buf_dispose_secure(&g->token);
    memset(g, 0, sizeof(*g));
}

/* The token for an http(s) remote: --git-token-file, else COGNITO_RECONCILE_GIT_TOKEN. */
static int s_read_token(struct cr_buf *out, const char *file)
{
    if (file == NULL) {
        const char *env = getenv(S_TOKEN_ENV);
        if (env != NULL && env[0] != '\0' && cr_buf_puts(out, env) != 0)
            return CR_ENOMEM;
        return 0;
    }
    FILE *fp = fopen(file, "rb");
    if (fp == NULL) {
        cr_error_set("--git-token-file '%s': cannot open: %s", file, strerror(errno));
        return CR_ENOTFOUND;
    }
    char chunk[1024];
    size_t n;
    while ((n = fread(chunk, 1, sizeof(chunk), fp)) > 0 && out->len < 65536)
        cr_buf_put(out, chunk, n);
    memset(chunk, 0, sizeof(chunk));
    fclose(fp);
    while (out->len > 0 && (out->ptr[out->len - 1] == '\n' || out->ptr[out->len - 1] == '\r'))
        out->ptr[--out->len] = '\0'; /* a Kubernetes Secret file may end with a newline */
    if (out->len == 0) {
        cr_error_set("--git-token-file '%s': the file is empty", file);
        return CR_EINVALID;
    }
    return cr_buf_oom(out) ? CR_ENOMEM : 0;
}

/* The checks a watch command line needs beyond the parser's, and its settings. */
static int s_settings(struct s_gen *g)
{
    const struct cr_cli_options *o = &g->opts;
    struct cr_watch_settings *st = &g->settings;
    if (o->git_url == NULL) {
        cr_error_set("watch needs --git-url URL (the repository to follow)");
        return CR_EINVALID;
    }
    memset(st, 0, sizeof(*st));
    if (o->drift_mode != NULL && strcmp(o->drift_mode, "repair") != 0 &&
        strcmp(o->drift_mode, "report") != 0) {
        cr_error_set("--drift: expected repair or report, got '%s'", o->drift_mode);
        return CR_EINVALID;
    }
    if (o->log_format != NULL && strcmp(o->log_format, "text") != 0 &&
        strcmp(o->log_format, "json") != 0) {
        cr_error_set("--log-format: expected text or json, got '%s'", o->log_format);
        return CR_EINVALID;
    }
    int rc = o->cache_dir != NULL ? (cr_buf_puts(&g->cache_dir, o->cache_dir) ? CR_ENOMEM : 0)
                                  : cr_watch_default_cache_dir(&g->cache_dir, o->git_url);
    if (rc == 0)
        rc = s_read_token(&g->token, o->git_token_file);
    if (rc != 0)
        return rc;
    st->remote.url = o->git_url;
    st->remote.branch = o->git_branch ? o->git_branch : CR_WATCH_DEFAULT_BRANCH;
    st->remote.cache_dir = g->cache_dir.ptr;
    st->remote.username = o->git_username;
    st->remote.token = g->token.len ? g->token.ptr : NULL;
    st->remote.ssh_key = o->git_ssh_key;
    st->interval_ms = o->interval_ms;
    st->drift = o->drift_mode && strcmp(o->drift_mode, "report") == 0 ? CR_WATCH_REPORT
                                                                        : CR_WATCH_REPAIR;
    st->listen = o->listen == NULL ? CR_WATCH_DEFAULT_LISTEN
                 : strcmp(o->listen, "none") == 0 ? NULL
                                                  : o->listen;
    st->control_token = o->control_token ? o->control_token : getenv(S_CONTROL_ENV);
    if (st->control_token != NULL && st->control_token[0] == '\0')
        st->control_token = NULL;
    st->notify_url = o->notify_url;
    st->json_logs = o->log_format != NULL && strcmp(o->log_format, "json") == 0;
    st->stack = o->stack;
    struct cr_lock_settings lock;
    const char *what = NULL;
    rc = cr_cli_lock_settings(&lock, &what, o); /* --lock, else COGNITO_RECONCILE_LOCK */
    if (rc != 0)
        return rc;
    st->lock_url = lock.url;
    if (lock.url != NULL) { /* a standby tries a third of a lease apart (2 s at most) */
        uint32_t lease = lock.lease_ms ? lock.lease_ms : CR_LOCK_DEFAULT_LEASE_MS;
        st->standby_poll_ms = lease / 3 < 2000 ? lease / 3 : 2000;
    }
    /* short intervals (tests) retry sooner */
    st->retry_base_ms = o->interval_ms && o->interval_ms < 4000 ? o->interval_ms / 4 : 0;
    return 0;
}

/* Parses the command line (and --config) into g. */
static int s_parse(struct s_gen *g)
{
    cr_cli_options_init(&g->opts, CR_CLI_WATCH);
    g->parsed = true;
    cr_buf_init(&g->cache_dir);
    cr_buf_init(&g->token);
    int rc = cr_cli_options_parse(&g->opts, s_argc, s_argv);
    return rc != 0 ? rc : s_settings(g);
}

/* ---- the cycle: session.c's stages on the fetched commit ---- */

struct s_progress {
    struct cr_watch *w;
    size_t done;
};

static void s_op_progress(void *user, const struct cr_plan *plan, size_t i,
                          const struct cr_apply_result *r)
{
    struct s_progress *p = user;
    const struct cr_plan_op *op = &plan->ops[i];
    const char *api = cr_cognito_op_name(cr_plan_op_api(op->kind));
    const char *pool = plan->pools[op->pool].name;
    if (r->status == CR_APPLY_DONE) {
        p->done++;
        cr_watch_log(p->w, "info", "operation_done", pool, api, "[%zu/%zu] %s %s (%s): done",
                     i + 1, plan->n_ops, api, pool, r->pool_id ? r->pool_id : "");
    } else if (r->status == CR_APPLY_FAILED) {
        cr_watch_log(p->w, "error", "operation_failed", pool, api, "[%zu/%zu] %s %s: FAILED: %s",
                     i + 1, plan->n_ops, api, pool, r->error ? r->error : cr_error_name(r->code));
    }
}

/* The manifests' problems, one per line, for /status and the notification. */
static void s_diagnostics(struct cr_buf *out, const struct cr_manifest_set *set)
{
    cr_buf_printf(out, "%s", cr_error_last());
    for (size_t i = 0; set != NULL && i < set->n_diagnostics && i < 20; i++) {
        cr_buf_putc(out, '\n');
        if (cr_diagnostic_format(out, &set->diagnostics[i]) != 0)
            break;
    }
}

/* The write guard of a cycle's calls (and of the twin check): the lease must still be ours,
 * and SIGTERM stops the cycle before its next call. */
static int s_write_guard(void *ctx_ptr)
{
    struct s_ctx *ctx = ctx_ptr;
    if (cr_watch_stopping(ctx->w)) {
        cr_error_set("stopping (SIGTERM/SIGINT): the cycle ends before its next write call");
        return CR_EREFUSED;
    }
    return ctx->lock != NULL ? cr_lock_check(ctx->lock) : 0;
}

/* ---- the lease (--lock): watch/watch.h's lease operations on reconcile/lock.h ---- */

static int64_t s_epoch_ms(void)
{
    struct timespec ts;
    clock_gettime(CLOCK_REALTIME, &ts);
    return (int64_t)ts.tv_sec * 1000 + ts.tv_nsec / 1000000;
}

/* One try, no waiting (timeout 0): a standby tries again at its next poll. */
static int s_lease_acquire(void *ctx_ptr, struct cr_buf *holder)
{
    struct s_ctx *ctx = ctx_ptr;
    const struct cr_cli_options *o = &ctx->gens[ctx->cur].opts;
    struct cr_cli_session s;
    struct cr_lock_store *store = NULL;
    struct cr_lock_lease held = {0};
    cr_cli_session_init(&s, o);
    int rc = cr_cli_session_resolve_region(&s); /* the bucket's default region */
    if (rc == 0)
        rc = cr_cli_lock_store(&store, o, cr_buf_cstr(&s.default_region));
    struct cr_lock_options lo = {.stack = o->stack, .command = "watch",
                                 .lease_ms = o->lock.lease_ms, .timeout_ms = 0};
    if (rc == 0)
        rc = cr_lock_acquire(&ctx->lock, &held, store, &lo);
    if (rc == 0) {
        store = NULL; /* now owned by the lock */
        rc = cr_lock_start_keeper(ctx->lock);
        if (rc != 0) {
            (void)!cr_lock_release(ctx->lock);
            cr_lock_free(ctx->lock);
            ctx->lock = NULL;
        }
    } else if (rc == CR_ECONFLICT && held.etag != NULL &&
               cr_lock_lease_describe(holder, &held, s_epoch_ms()) != 0) {
        rc = CR_ENOMEM;
    }
    cr_lock_lease_dispose(&held);
    cr_lock_store_free(store);
    cr_cli_session_dispose(&s);
    return rc;
}

static int s_lease_check(void *ctx_ptr)
{
    struct s_ctx *ctx = ctx_ptr;
    return ctx->lock != NULL ? cr_lock_check(ctx->lock) : CR_ECONFLICT;
}

static void s_lease_release(void *ctx_ptr)
{
    struct s_ctx *ctx = ctx_ptr;
    if (ctx->lock == NULL)
        return;
    if (cr_lock_release(ctx->lock) != 0) /* lost meanwhile: nothing of ours to delete */
        cr_error_clear();
    cr_lock_free(ctx->lock);
    ctx->lock = NULL;
}

static void s_cycle(void *ctx_ptr, struct cr_watch_cycle *c)
{
    struct s_ctx *ctx = ctx_ptr;
    struct cr_cli_options o = ctx->gens[ctx->cur].opts; /* shallow: the revision differs */
    struct cr_apply_report rep = {0};
    struct cr_twins_report twins = {0};
    struct s_progress progress = {.w = ctx->w};
    struct cr_cli_session s;
    bool report = c->drift == CR_WATCH_REPORT;
    o.verb = report ? CR_CLI_DRIFT : CR_CLI_APPLY;
    o.git_ref = c->revision;
    o.git_dir = c->git_dir;
    o.output = CR_CLI_OUTPUT_TEXT;
    o.no_lock = true; /* the controller holds the lease across cycles; a cycle takes none */
    cr_cli_session_init(&s, &o);
    int rc = cr_cli_session_plan(&s, report);
    if (rc != 0 && s.clients == NULL && rc != CR_ENOMEM && rc != CR_EIO) {
        /* refused before any client existed: the commit itself (manifests, a path it lacks,
         * --prune with nothing read) is wrong; retrying cannot help until it changes */
        c->outcome = CR_WATCH_INVALID;
        s_diagnostics(&c->message, s.manifests);
        goto done;
    }
    if (rc == 0) {
        c->planned = s.plan.n_ops;
        for (size_t i = 0; i < s.plan.n_pools; i++)
            if (s.plan.pools[i].action != CR_PLAN_NOOP &&
                cr_strlist_push(&c->drifted, s.plan.pools[i].name) != 0)
                rc = CR_ENOMEM;
    }
    if (rc == 0 && !report && !cr_plan_is_empty(&s.plan)) {
        struct cr_apply_options ao = {.progress = s_op_progress,
                                      .progress_user = &progress,
                                      .guard = s_write_guard,
                                      .guard_ctx = ctx};
        bool calls_failed = false;
        rc = cr_cli_session_apply(&s, &rep, &twins, &calls_failed, &ao);
        c->written = progress.done;
    }
    if (rc != 0) {
        c->outcome = CR_WATCH_FAILED;
        cr_buf_puts(&c->message, cr_error_last());
        goto done;
    }
    c->outcome = CR_WATCH_SUCCESS;
done:
    cr_twins_report_dispose(&twins);
    cr_apply_report_dispose(&rep);
    cr_cli_session_dispose(&s);
}

/* SIGHUP: parse everything again into the other generation. */
static int s_reload(void *ctx_ptr, struct cr_watch_settings *out)
{
    struct s_ctx *ctx = ctx_ptr;
    size_t next = 1 - ctx->cur;
    s_gen_dispose(&ctx->gens[next]); /* the one before the current: no longer borrowed */
    int rc = s_parse(&ctx->gens[next]);
    if (rc != 0) {
        s_gen_dispose(&ctx->gens[next]);
        return rc;
    }
    cr_log_set_debug(ctx->gens[next].opts.debug);
    ctx->cur = next;
    *out = ctx->gens[next].settings;
    return 0;
}

/* ---- signals ---- */

struct s_signals {
    pthread_t thread;
    struct cr_watch *w;
    bool running;
};

/* The signals the signal thread takes (SIGUSR1: the command is ending). */
static void s_signal_set(sigset_t *set)
{
    sigemptyset(set);
    sigaddset(set, SIGINT);
    sigaddset(set, SIGTERM);
    sigaddset(set, SIGHUP);
    sigaddset(set, SIGUSR1);
}

static void *s_signal_main(void *arg)
{
    struct s_signals *sg = arg;
    sigset_t set;
    s_signal_set(&set);
    for (;;) {
        int sig = 0;
        if (sigwait(&set, &sig) != 0)
            continue;
        if (sig == SIGUSR1)
            return NULL; /* the command is ending */
        if (sig == SIGHUP) {
            cr_watch_log(sg->w, "info", "reload_requested", NULL, NULL,
                         "SIGHUP: re-reading the configuration before the next cycle");
            cr_watch_request_reload(sg->w);
            continue;
        }
        cr_watch_log(sg->w, "info", "stopping", NULL, NULL,
                     "%s: stopping after the current cycle", sig == SIGINT ? "SIGINT" : "SIGTERM");
        cr_watch_stop(sg->w);
    }
}

static void s_block_signals(void)
{
    sigset_t set;
    s_signal_set(&set);
    pthread_sigmask(SIG_BLOCK, &set, NULL); /* inherited by every thread started later */
}

static int s_main(const struct cr_cli_options *first)
{
    (void)first; /* parsed again into a generation the loop can replace on SIGHUP */
    int result = CR_EXIT_ERROR;
    struct s_ctx ctx;
    struct s_signals sg = {0};
    memset(&ctx, 0, sizeof(ctx));
    int rc = s_parse(&ctx.gens[0]);
    if (rc != 0) {
        result = cr_cli_fail(rc);
        goto done;
    }
    s_block_signals();
    const struct cr_watch_settings *st = &ctx.gens[0].settings;
    struct cr_watch_lease_ops lease = {
        .acquire = s_lease_acquire, .check = s_lease_check, .release = s_lease_release, .ctx = &ctx};
    rc = cr_watch_new(&ctx.w, st, s_cycle, &ctx, st->lock_url != NULL ? &lease : NULL);
    if (rc != 0) {
        result = cr_cli_fail(rc);
        goto done;
    }
    cr_watch_set_reload(ctx.w, s_reload, &ctx);
    if (st->listen != NULL) /* the port chosen for :0 is in the line (tests read it) */
        cr_watch_log(ctx.w, "info", "listening", NULL, NULL, "listening on http://%.*s:%u",
                     (int)(strrchr(st->listen, ':') - st->listen), st->listen,
                     cr_watch_port(ctx.w));
    sg.w = ctx.w;
    if (pthread_create(&sg.thread, NULL, s_signal_main, &sg) != 0) {
        result = cr_cli_failf("cannot start the signal thread");
        goto done;
    }
    sg.running = true;
    (void)cr_watch_run(ctx.w);
    result = CR_EXIT_OK;
done:
    if (sg.running) {
        pthread_kill(sg.thread, SIGUSR1);
        pthread_join(sg.thread, NULL);
    }
    cr_watch_free(ctx.w);
    s_gen_dispose(&ctx.gens[0]);
    s_gen_dispose(&ctx.gens[1]);
    return result;
}

int cr_cmd_watch(int argc, char **argv)
{
    s_argc = argc;
    s_argv = argv;
    return cr_cli_main(CR_CLI_WATCH, argc, argv, s_synopsis, s_description, s_main);
}
