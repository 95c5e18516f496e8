/* SPDX-License-Identifier: Apache-2.0 */
/*
 * The read side shared by plan, apply and drift: manifests -> desired -> clients -> live ->
 * plan -> rendering. Validation happens before any client exists, so invalid manifests never
 * cause an API call (not even a read).
 */
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include "aws/config.h"
#include "cmd/cognito-reconcile/lock.h"
#include "cmd/cognito-reconcile/session.h"
#include "cmd/cognito-reconcile/sources.h"
#include "reconcile/apply.h"
#include "reconcile/junit.h"
#include "reconcile/render.h"
#include "reconcile/target.h"
#include "reconcile/twins.h"
#include "schema/manifest.h"
#include "util/log.h"
#include "util/strutil.h"

void cr_cli_session_init(struct cr_cli_session *s, const struct cr_cli_options *opts)
{
    memset(s, 0, sizeof(*s));
    s->opts = opts;
    s->targets.patterns = (const char *const *)opts->targets.items;
    s->targets.n = opts->targets.len;
    cr_buf_init(&s->default_region);
    cr_buf_init(&s->region_error);
    cr_live_state_init(&s->live);
    cr_plan_init(&s->plan);
    cr_source_list_init(&s->unread);
    s->started_ms = cr_now_ms();
}

void cr_cli_session_dispose(struct cr_cli_session *s)
{
    (void)cr_cli_lock_finish(s->lock, CR_EXIT_ERROR); /* normally released by the command */
    s->lock = NULL;
    cr_plan_dispose(&s->plan);
    cr_live_state_dispose(&s->live);
    /* the last first: the clients of other regions borrow the first one's credentials */
    for (size_t i = s->n_clients; i-- > 0;)
        cr_aws_client_free(s->clients[i]);
    free(s->clients);
    s->clients = NULL;
    s->n_clients = 0;
    cr_strlist_dispose(&s->regions);
    cr_desired_set_dispose(&s->desired);
    cr_manifest_set_free(s->manifests);
    s->manifests = NULL;
    cr_source_list_dispose(&s->unread);
    cr_buf_dispose(&s->default_region);
    cr_buf_dispose(&s->region_error);
}

void cr_cli_aws_options(struct cr_aws_options *out, const struct cr_cli_options *opts,
                        const char *region)
{
    memset(out, 0, sizeof(*out));
    out->region = region;
    out->profile = opts->profile;
    out->endpoint_url = opts->endpoint_url;
    out->parallelism = opts->parallelism;
    out->debug = opts->debug;
    out->rate_limits = opts->rate_limits;
    out->timeout_ms = opts->timeout_s * 1000u;
}

int cr_cli_session_resolve_region(struct cr_cli_session *s)
{
    int result = -1;
    struct cr_aws_config cfg;
    cr_aws_config_init(&cfg);
    cr_buf_clear(&s->default_region);
    int rc = cr_aws_config_load(&cfg, NULL, s->opts->profile);
    if (rc != 0) {
        result = rc;
        goto done;
    }
    const char *from = NULL;
    rc = cr_aws_config_region_from(&s->default_region, &from, &cfg, NULL, s->opts->region);
    if (rc == 0 && !s->opts->region_check_off &&
        cr_aws_config_check_region(cr_buf_cstr(&s->default_region)) != 0) {
        cr_error_prefix("%s", from);
        rc = CR_EINVALID;
    }
    if (rc != 0 && s->opts->region != NULL) {
        result = rc; /* --region itself is malformed or unknown */
        goto done;
    }
    if (rc != 0) {
        /* Only an error for a pool that needs the default region (or for export). */
        cr_buf_clear(&s->default_region);
        cr_buf_clear(&s->region_error);
        cr_buf_puts(&s->region_error, cr_error_last());
        cr_error_clear();
    }
    result = 0;
done:
    cr_aws_config_dispose(&cfg);
    return result;
}

int cr_cli_session_check_region(const struct cr_cli_session *s, const char *region)
{
    return s->opts->region_check_off ? 0 : cr_aws_config_check_region(region);
}

/* Prints the diagnostics and sums them up as the error cr_cli_fail reports. */
static int s_print_diagnostics(const struct cr_manifest_set *set)
{
    int rc = cr_cli_print_diagnostics(set);
    if (rc != 0)
        return rc;
    cr_error_set("%zu problem%s in %zu file%s; nothing was read from or sent to AWS",
                 set->n_diagnostics, set->n_diagnostics == 1 ? "" : "s",
                 cr_manifest_set_files_with_errors(set),
                 cr_manifest_set_files_with_errors(set) == 1 ? "" : "s");
    return CR_EINVALID;
}

/* Gives every desired pool its region: metadata.region, else the default region. */
static int s_resolve_pool_regions(struct cr_cli_session *s)
{
    const char *fallback = cr_buf_cstr(&s->default_region);
    for (size_t i = 0; i < s->desired.len; i++) {
        struct cr_desired_pool *p = &s->desired.pools[i];
        if (p->region == NULL) {
            if (fallback == NULL || fallback[0] == '\0') {
                cr_error_set("%s: pool '%s' has no metadata.region and there is no default "
                             "region (%s)",
                             p->source ? p->source : "(manifest)", p->name,
                             cr_buf_cstr(&s->region_error) ? cr_buf_cstr(&s->region_error)
                                                           : "give --region");
                return CR_EINVALID;
            }
            p->region = strdup(fallback);
            if (p->region == NULL) {
                cr_error_set("out of memory");
                return CR_ENOMEM;
            }
        } else if (cr_cli_session_check_region(s, p->region) != 0) {
            cr_error_prefix("%s: pool '%s': metadata.region", p->source ? p->source : "(manifest)",
                            p->name);
            return CR_EINVALID;
        }
        if (!cr_strlist_contains(&s->regions, p->region) &&
            cr_strlist_push(&s->regions, p->region) != 0) {
            cr_error_set("out of memory");
            return CR_ENOMEM;
        }
    }
    cr_strlist_sort(&s->regions);
    return 0;
}

int cr_cli_session_load(struct cr_cli_session *s)
{
    struct cr_cli_options o = *s->opts; /* shallow: only the default region differs */
    const char *region = cr_buf_cstr(&s->default_region);
    o.region = region != NULL && region[0] != '\0' ? region : NULL;
    unsigned reserved =
        o.git_ref != NULL ? CR_MANIFEST_RESERVED_TAGS_GIT : CR_MANIFEST_RESERVED_TAGS;
    int rc = cr_cmd_read_sources(&s->manifests, &s->revision, &s->unread, &o, reserved);
    if (s->revision.id[0] != '\0')
        cr_log_info("Reading manifests from git revision %s (%s)", o.git_ref, s->revision.short_id);
    if (rc == CR_EINVALID && s->manifests != NULL && s->manifests->n_diagnostics > 0)
        return s_print_diagnostics(s->manifests);
    if (rc != 0)
        return rc;
    rc = cr_desired_from_manifest(&s->desired, s->manifests);
    if (rc == 0)
        rc = cr_target_desired(&s->desired, &s->targets, s->opts->prune);
    if (rc != 0)
        return rc;
    return s_resolve_pool_regions(s);
}

int cr_cli_session_connect(struct cr_cli_session *s, const struct cr_strlist *regions)
{
    struct cr_aws_client **clients = calloc(regions->len ? regions->len : 1, sizeof(*clients));
    if (clients == NULL) {
        cr_error_set("out of memory");
        return CR_ENOMEM;
    }
    s->clients = clients;
    for (size_t i = 0; i < regions->len; i++) {
        struct cr_aws_options aws;
        cr_cli_aws_options(&aws, s->opts, regions->items[i]);
        /* The credentials chain once for the run: the first client resolves it (after its
         * own settings are checked, so a bad option still fails before any call) and the
         * clients of the other regions sign with it: one assume-role, one credential_process
         * run, one IMDS or SSO exchange, however many regions the manifests use. */
        if (i > 0)
            aws.credentials = cr_aws_client_credentials(s->clients[0]);
        int rc = cr_aws_client_new(&s->clients[i], &aws);
        if (rc != 0)
            return rc;
        s->n_clients = i + 1;
    }
    return 0;
}

/* "ListIdentityPools 2, DescribeIdentityPool 40" for the calls a client made so far. */
static void s_call_counts(struct cr_buf *out, unsigned long *total,
                          const struct cr_aws_client *client)
{
    *total = 0;
    for (int op = 0; op < CR_OP_COUNT; op++) {
        unsigned long n = cr_aws_client_request_count(client, (enum cr_cognito_op)op);
        if (n == 0)
            continue;
        cr_buf_printf(out, "%s%s %lu", *total ? ", " : "", cr_cognito_op_name(op), n);
        *total += n;
    }
}

static size_t s_pools_in(const struct cr_live_state *live, const char *region)
{
    size_t n = 0;
    for (size_t i = 0; i < live->len; i++)
        if (live->pools[i]->region != NULL && strcmp(live->pools[i]->region, region) == 0)
            n++;
    return n;
}

int cr_cli_session_lock(struct cr_cli_session *s)
{
    const char *region = cr_buf_cstr(&s->default_region);
    struct cr_lock_settings settings;
    const char *what = NULL;
    int rc = cr_cli_lock_settings(&settings, &what, s->opts); /* a bad URL fails every verb */
    if (rc < 0 || !settings.url)
        return rc;
    if (s->opts->verb != CR_CLI_APPLY) {
        cr_cli_lock_note(s->opts, region);
        return 0;
    }
    return cr_cli_lock_take(&s->lock, s->opts, region,
                            s->revision.id[0] ? s->revision.id : s->plan.revision);
}

int cr_cli_session_read(struct cr_cli_session *s, const struct cr_live_want *wants, size_t n,
                        bool discover)
{
    const char *fallback = cr_buf_cstr(&s->default_region);
    struct cr_live_read_options ro = {
        .stack = s->opts->stack,
        .discover = discover,
        .default_region = fallback != NULL && fallback[0] != '\0' ? fallback : NULL,
        .parallelism = s->opts->parallelism,
    };
    for (size_t i = 0; i < s->n_clients; i++) {
        struct cr_aws_client *client = s->clients[i];
        const char *region = cr_aws_client_region(client);
        uint64_t t0 = cr_now_ms();
        cr_log_info("reading live state in %s (%s)...", region, cr_aws_client_endpoint(client));
        int rc = cr_live_read(&s->live, client, wants, n, &ro);
        if (rc == 0) /* twins need to say whether they hold identities (docs/locking.md) */
            rc = cr_twins_read_identities(&s->live, client, s->opts->stack);
        if (rc != 0)
            return rc;
        struct cr_buf counts;
        unsigned long total = 0;
        cr_buf_init(&counts);
        s_call_counts(&counts, &total, client);
        size_t pools = s_pools_in(&s->live, region);
        cr_log_info("read %zu pool%s in %s: %lu API call%s (%s) in %.2f s", pools,
                    pools == 1 ? "" : "s", region, total, total == 1 ? "" : "s",
                    cr_buf_cstr(&counts) ? cr_buf_cstr(&counts) : "none",
                    (double)(cr_now_ms() - t0) / 1000.0);
        cr_buf_dispose(&counts);
    }
    return 0;
}

/* The regions to read: those of the manifests, and with --prune the default region too (an
 * empty manifest folder with --prune still prunes the stack there). */
static int s_plan_regions(struct cr_cli_session *s)
{
    const char *fallback = cr_buf_cstr(&s->default_region);
    if (!s->opts->prune || fallback == NULL || fallback[0] == '\0' ||
        cr_strlist_contains(&s->regions, fallback))
        return 0;
    if (cr_strlist_push(&s->regions, fallback) != 0) {
        cr_error_set("out of memory");
        return CR_ENOMEM;
    }
    cr_strlist_sort(&s->regions);
    return 0;
}

/* A folder with no manifest is legal (with --prune it tears the stack down) but is more often
 * a wrong path: say so on stderr. */
static void s_warn_if_empty(const struct cr_cli_session *s)
{
    if (s->manifests != NULL && s->manifests->n_pools > 0)
        return;
    const struct cr_cli_options *o = s->opts;
    cr_log_info("warning: no manifest found in %s%s: %s", o->paths.len ? o->paths.items[0] : ".",
                o->paths.len > 1 ? " and the other paths" : "",
                o->prune ? "--prune plans to delete every pool of the stack"
                         : "nothing is managed");
}

/* Like Terraform's -target warning: the plan covers only part of the stack. */
static void s_note_targets(const struct cr_cli_session *s)
{
    struct cr_buf names = CR_BUF_INIT;
    for (size_t i = 0; i < s->targets.n; i++)
        cr_buf_printf(&names, "%s%s", i ? ", " : "", s->targets.patterns[i]);
    if (s->targets.n > 0)
        cr_log_info("note: --target %s: only the pools named so are planned; the rest of stack "
                    "'%s' is left out of this plan",
                    cr_buf_cstr(&names), s->opts->stack);
    cr_buf_dispose(&names);
}

int cr_cli_session_check_prune(const struct cr_cli_session *s)
{
    const struct cr_cli_options *o = s->opts;
    bool changes = o->verb == CR_CLI_PLAN || o->verb == CR_CLI_APPLY; /* drift only reports */
    if (!o->prune || o->allow_empty_prune || !changes)
        return 0;
    size_t read = s->manifests != NULL ? s->manifests->n_pools : 0; /* before --target */
    if (read > 0 && s->unread.skipped == 0)
        return 0;
    for (size_t i = 0; i < s->unread.n_skips; i++)
        if (s->unread.skips[i].kind == CR_SOURCE_SKIP_UNREAD)
            cr_log_info("not read %s: %s", s->unread.skips[i].display_path,
                        s->unread.skips[i].reason);
    if (read == 0)
        cr_error_set("--prune refused: no manifest was read from %s%s, so the plan would delete "
                     "every pool of stack '%s'; check the path (--verbose lists what was skipped), "
                     "or pass --allow-empty-prune to tear the stack down",
                     o->paths.len ? o->paths.items[0] : ".",
                     o->paths.len > 1 ? " and the other paths" : "", o->stack);
    else
        cr_error_set("--prune refused: %zu path%s that may hold manifests %s not read (listed "
                     "above), and --prune would delete the pools they declare; fix or rename "
                     "them, or pass --allow-empty-prune",
                     s->unread.skipped, s->unread.skipped == 1 ? "" : "s",
                     s->unread.skipped == 1 ? "was" : "were");
    return CR_EREFUSED;
}

int cr_cli_session_plan(struct cr_cli_session *s, bool drift)
{
    int result = -1;
    struct cr_plan_wants wants = {0};
    int rc = cr_cli_session_resolve_region(s);
    if (rc == 0)
        rc = cr_cli_session_load(s);
    if (rc == 0)
        s_warn_if_empty(s);
    if (rc == 0)
        rc = cr_cli_session_check_prune(s);
    if (rc == 0)
        rc = s_plan_regions(s);
    if (rc == 0)
        rc = cr_cli_session_connect(s, &s->regions);
    if (rc == 0)
        rc = cr_cli_session_lock(s);
    if (rc == 0)
        rc = cr_plan_wants_from_desired(&wants, s->desired.pools, s->desired.len);
    if (rc == 0)
        /* a saved plan records every pool of the stack it saw, so apply notices one created
         * meanwhile: plan --out lists and describes the regions (docs/plan.md "Saved plans") */
        rc = cr_cli_session_read(s, wants.items, wants.len,
                                 s->opts->prune || s->opts->out_file != NULL);
    if (rc == 0)
        rc = cr_target_live(&s->live, &s->targets, s->opts->stack, s->desired.pools,
                            s->desired.len);
    if (rc != 0) {
        result = rc;
        goto done;
    }
    s_note_targets(s);
    const char *fallback = cr_buf_cstr(&s->default_region);
    struct cr_plan_options po = {
        .stack = s->opts->stack,
        .region = fallback != NULL && fallback[0] != '\0' ? fallback : NULL,
        .revision = !drift && s->revision.id[0] != '\0' ? s->revision.id : NULL,
        .prune = s->opts->prune,
        .allow_replace = drift || s->opts->allow_replace,
    };
    result = cr_plan_build(&s->plan, s->desired.pools, s->desired.len, &s->live, &po);
    /* a saved plan records the targets its inputs were limited to (apply FILE limits again) */
    for (size_t i = 0; result == 0 && i < s->targets.n; i++)
        if (cr_strlist_push(&s->plan.targets, s->targets.patterns[i]) < 0) {
            cr_error_set("out of memory");
            result = CR_ENOMEM;
        }
done:
    cr_plan_wants_dispose(&wants);
    return result;
}

/* Before reporting success, an apply that created pools looks for twins of them made by a run
 * at the same time, and deletes the ones it made that the twin rule does not keep
 * (reconcile/twins.h). Returns 0 or CR_ECONFLICT naming the twins left. */
static int s_check_twins(struct cr_cli_session *s, struct cr_twins_report *twins,
                         const struct cr_apply_report *rep, const struct cr_apply_options *ao)
{
    if (s->plan.n_create == 0)
        return 0;
    struct cr_twins_check_options o = {
        .before = &s->live, .applied = rep, .guard = ao->guard, .guard_ctx = ao->guard_ctx};
    int rc = cr_twins_check_after_apply(twins, &s->plan, s->clients, s->n_clients, &o);
    for (size_t i = 0; i < twins->len; i++) {
        const struct cr_twin_finding *f = &twins->items[i];
        if (f->outcome == CR_TWIN_DELETED && f->created_here)
            cr_log_info("twin check: pool '%s': deleted %s, which this run created at the same "
                        "time as another run created %s; %s keeps the name (docs/locking.md)",
                        f->name, f->loser_id, f->keeper_id, f->keeper_id);
        else if (f->outcome == CR_TWIN_DELETED)
            cr_log_info("twin check: pool '%s': deleted %s, which another run created at the same "
                        "time and did not delete (it ended before it saw %s); %s keeps the name "
                        "(docs/locking.md)",
                        f->name, f->loser_id, f->keeper_id, f->keeper_id);
        else if (f->outcome == CR_TWIN_DELETED_BY_OTHER)
            cr_log_info("twin check: pool '%s': %s, which another run created at the same time, "
                        "was deleted by that run; %s keeps the name (docs/locking.md)",
                        f->name, f->loser_id, f->keeper_id);
    }
    cr_log_debug("twin check: %lu API call%s", twins->calls, twins->calls == 1 ? "" : "s");
    return rc;
}

int cr_cli_session_apply(struct cr_cli_session *s, struct cr_apply_report *out,
                         struct cr_twins_report *twins, bool *calls_failed,
                         const struct cr_apply_options *ao)
{
    *calls_failed = false;
    /* An old pipeline run must not overwrite what a newer commit applied (docs/gitops.md). */
    int rc = s->opts->allow_rewind ? 0 : cr_cmd_check_rewind(&s->plan, &s->live, s->opts->git_dir);
    if (rc == 0)
        rc = cr_cli_lock_begin_writes(s->lock);
    if (rc != 0)
        return rc;
    cr_log_info("applying %zu call%s...", s->plan.n_ops, s->plan.n_ops == 1 ? "" : "s");
    rc = cr_apply(out, &s->plan, s->clients, s->n_clients, ao);
    *calls_failed = rc != 0;
    if (rc == 0)
        rc = s_check_twins(s, twins, out, ao);
    return rc;
}

/* drift --output junit: stamped now, timed since the session started. */
static int s_render_junit(struct cr_buf *out, const struct cr_cli_session *s)
{
    char stamp[32];
    time_t now = time(NULL);
    struct tm tm;
    strftime(stamp, sizeof(stamp), "%Y-%m-%dT%H:%M:%SZ", gmtime_r(&now, &tm));
    struct cr_junit_options jo = {.timestamp = stamp,
                                  .time_ms = (unsigned long)(cr_now_ms() - s->started_ms)};
    return cr_render_junit(out, &s->plan, &jo);
}

int cr_cli_session_render(struct cr_cli_session *s, FILE *fp, bool drift)
{
    int result = -1;
    struct cr_buf out;
    cr_buf_init(&out);
    struct cr_render_options ro = {.color = cr_cli_use_color(s->opts, fp), .drift = drift};
    int rc;
    switch (s->opts->output) {
    case CR_CLI_OUTPUT_JSON:
        rc = cr_render_json(&out, &s->plan);
        break;
    case CR_CLI_OUTPUT_MARKDOWN:
        ro.color = false;
        rc = cr_render_markdown(&out, &s->plan, &ro);
        break;
    case CR_CLI_OUTPUT_JUNIT:
        rc = s_render_junit(&out, s);
        break;
    case CR_CLI_OUTPUT_TEXT:
    default:
        rc = cr_render_text(&out, &s->plan, &ro);
        break;
    }
    if (rc != 0) {
        result = rc;
        goto done;
    }
    if (out.len > 0 && fwrite(out.ptr, 1, out.len, fp) != out.len) {
        cr_error_set("writing the plan to stdout failed");
        result = CR_EIO;
        goto done;
    }
    fflush(fp);
    result = 0;
done:
    cr_buf_dispose(&out);
    return result;
}
