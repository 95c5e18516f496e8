/* SPDX-License-Identifier: Apache-2.0 */
/*
 * export: YAML manifests for pools that already exist, so a team can adopt them. Reads only;
 * the YAML goes to stdout (or --out FILE), progress to stderr.
 */
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "cmd/cognito-reconcile/session.h"
#include "reconcile/export.h"
#include "util/log.h"
#include "util/parallel.h"
#include "util/strutil.h"

static const char s_synopsis[] =
    "[options] [--all | --id POOL_ID... | --stack NAME] [--account NAME... PATH...]";
static const char s_description[] =
    "Writes manifests (one YAML document per pool) for existing pools of the region: every\n"
    "pool with --all, the given ids with --id, otherwise the pools owned by --stack.\n"
    "With --account NAME, the pools of that account (a kind: Account document read from\n"
    "PATH), each exported with metadata.account: NAME.\n"
    "Planning the exported manifests against the same live state shows no changes.";

static int s_write_output(const struct cr_cli_options *opts, const struct cr_buf *yaml)
{
    FILE *fp = stdout;
    if (opts->out_file != NULL) {
        fp = fopen(opts->out_file, "w");
        if (fp == NULL) {
            cr_error_set("%s: cannot open for writing: %s", opts->out_file, strerror(errno));
            return CR_EIO;
        }
    }
    bool ok = yaml->len == 0 || fwrite(yaml->ptr, 1, yaml->len, fp) == yaml->len;
    ok = (fp == stdout ? fflush(fp) : fclose(fp)) == 0 && ok;
    if (!ok) {
        cr_error_set("%s: write failed", opts->out_file ? opts->out_file : "stdout");
        return CR_EIO;
    }
    return 0;
}

/* Adds region to out unless it is there. */
static int s_add_region(struct cr_strlist *out, const char *region)
{
    if (cr_strlist_contains(out, region) || cr_strlist_push(out, region) == 0)
        return 0;
    cr_error_set("out of memory");
    return CR_ENOMEM;
}

/* The regions to read: each --id's own (a pool id is REGION:GUID), else the default region
 * (an --account's spec.region, else --region, AWS_REGION, ...), which only an id without a
 * region or no --id needs. */
static int s_export_regions(struct cr_strlist *out, const struct cr_cli_session *s,
                            const struct cr_desired_account *account)
{
    const struct cr_cli_options *opts = s->opts;
    bool need_default = opts->ids.len == 0;
    const char *fallback = account != NULL && account->region != NULL
                               ? account->region
                               : cr_buf_cstr(&s->default_region);
    char region[64];
    for (size_t i = 0; i < opts->ids.len; i++) {
        const char *id = opts->ids.items[i];
        size_t n = strcspn(id, ":");
        if (id[n] != ':' || n == 0 || n >= sizeof(region)) {
            need_default = true; /* the service says what is wrong with it */
            continue;
        }
        memcpy(region, id, n);
        region[n] = '\0';
        int rc = cr_cli_session_check_region(s, region);
        if (rc != 0) {
            cr_error_prefix("--id %s", id);
            return rc;
        }
        rc = s_add_region(out, region);
        if (rc != 0)
            return rc;
    }
    if (need_default && (fallback == NULL || fallback[0] == '\0')) {
        cr_error_set("export: no region (%s)", cr_buf_cstr(&s->region_error)
                                                   ? cr_buf_cstr(&s->region_error)
                                                   : "give --region");
        return CR_EINVALID;
    }
    int rc = need_default ? s_add_region(out, fallback) : 0;
    cr_strlist_sort(out);
    return rc;
}

/* The scopes to read: the default account's regions, or each --account's. */
static int s_export_scopes(struct cr_cli_session *s)
{
    const struct cr_cli_options *opts = s->opts;
    int rc = 0;
    for (size_t a = 0; rc == 0 && a < (opts->accounts.len ? opts->accounts.len : 1); a++) {
        const char *name = opts->accounts.len ? opts->accounts.items[a] : NULL;
        const struct cr_desired_account *account = cr_desired_set_account(&s->desired, name);
        struct cr_strlist regions = {0};
        if (name != NULL && account == NULL) {
            const char *names[64];
            size_t n = 0;
            for (size_t i = 0; i < s->desired.n_accounts && n < 64; i++)
                names[n++] = s->desired.accounts[i].name;
            const char *hint = cr_str_suggest(name, names, n);
            cr_error_set("export --account %s: no Account document of that name in the PATHs%s%s%s",
                         name, hint ? " (did you mean '" : "", hint ? hint : "", hint ? "'?)" : "");
            return CR_EINVALID;
        }
        rc = s_export_regions(&regions, s, account);
        for (size_t i = 0; rc == 0 && i < regions.len; i++)
            rc = cr_cli_session_add_scope(s, name, regions.items[i]);
        cr_strlist_dispose(&regions);
    }
    return rc;
}

/* Each scope read into a state of its own, on a thread of its own (cr_export_read). */
struct s_reads {
    struct cr_cli_session *s;
    const struct cr_export_options *eo;
    struct cr_live_state *states;
    int *rcs;
    char (*errors)[1024];
};

static void s_read_scope(void *ctx, size_t i)
{
    struct s_reads *r = ctx;
    struct cr_cli_scope *scope = &r->s->scopes[i];
    struct cr_live_state *state = &r->states[i];
    int rc = cr_export_read(state, scope->client, r->eo);
    for (size_t k = 0; rc == 0 && k < state->len; k++)
        rc = cr_live_pool_set_account(state, state->pools[k], scope->account);
    r->rcs[i] = rc;
    if (rc != 0)
        snprintf(r->errors[i], sizeof(r->errors[i]), "%s", cr_error_last());
}

/* Reads the selected pools of every account and region at once into s->live. */
static int s_read(struct cr_cli_session *s, const struct cr_export_options *eo)
{
    const struct cr_cli_options *opts = s->opts;
    char where[CR_LIVE_SCOPE_MAX];
    int result = 0;
    struct s_reads r = {s, eo, calloc(s->n_scopes + 1, sizeof(*r.states)),
                        calloc(s->n_scopes + 1, sizeof(*r.rcs)),
                        calloc(s->n_scopes + 1, sizeof(*r.errors))};
    if (r.states == NULL || r.rcs == NULL || r.errors == NULL) {
        cr_error_set("out of memory");
        result = CR_ENOMEM;
        goto done;
    }
    for (size_t i = 0; i < s->n_scopes; i++) {
        cr_live_state_init(&r.states[i]);
        cr_log_info("reading pools in %s (%s)...",
                    cr_live_scope_key(where, s->scopes[i].account, s->scopes[i].region),
                    opts->all       ? "all"
                    : opts->ids.len ? "by id"
                                    : "owned by the stack");
    }
    cr_parallel_run(s->n_scopes, 0, s_read_scope, &r);
    for (size_t i = 0; i < s->n_scopes && result == 0; i++)
        if (r.rcs[i] != 0) {
            cr_error_set("%s", r.errors[i]);
            result = r.rcs[i];
        }
    for (size_t i = 0; i < s->n_scopes && result == 0; i++)
        result = cr_live_state_merge(&s->live, &r.states[i]);
done:
    for (size_t i = 0; r.states != NULL && i < s->n_scopes; i++)
        cr_live_state_dispose(&r.states[i]);
    free(r.states);
    free(r.rcs);
    free(r.errors);
    return result;
}

static int s_run(const struct cr_cli_options *opts)
{
    int result = -1;
    struct cr_cli_session s;
    struct cr_buf yaml;
    size_t n = 0;
    cr_buf_init(&yaml);
    cr_cli_session_init(&s, opts);
    struct cr_export_options eo = {
        .stack = opts->stack,
        .all = opts->all,
        .ids = (const char *const *)opts->ids.items,
        .n_ids = opts->ids.len,
        .by_stack = !opts->all && opts->ids.len == 0,
    };
    int rc = cr_cli_session_resolve_region(&s);
    /* --account: the Account documents say how to reach the accounts (and which they are) */
    if (rc == 0 && opts->accounts.len > 0)
        rc = cr_cli_session_load(&s);
    if (rc == 0)
        rc = s_export_scopes(&s);
    if (rc == 0)
        rc = cr_cli_session_connect(&s);
    if (rc == 0)
        rc = cr_cli_session_guard(&s, false);
    if (rc == 0)
        rc = s_read(&s, &eo);
    if (rc == 0)
        rc = cr_export_write(&yaml, &n, &s.live, &eo);
    if (rc == 0)
        rc = s_write_output(opts, &yaml);
    if (rc != 0) {
        result = cr_cli_fail(rc);
        goto done;
    }
    cr_log_info("exported %zu pool%s", n, n == 1 ? "" : "s");
    result = CR_EXIT_OK;
done:
    cr_buf_dispose(&yaml);
    cr_cli_session_dispose(&s);
    return result;
}

/* export reads manifests only for --account (its Account documents): otherwise it refuses
 * PATHs; and --all with --id. */
static int s_main(const struct cr_cli_options *opts)
{
    if (opts->paths.len > 0 && opts->accounts.len == 0)
        return cr_cli_failf("export takes no PATH (got '%s') without --account; it writes "
                            "manifests to stdout or --out FILE",
                            opts->paths.items[0]);
    if (opts->accounts.len > 0 && opts->paths.len == 0)
        return cr_cli_failf("export --account needs the PATH of the kind: Account documents "
                            "that say how to reach the account");
    if (opts->all && opts->ids.len > 0)
        return cr_cli_failf("export: --all and --id exclude each other");
    return s_run(opts);
}

int cr_cmd_export(int argc, char **argv)
{
    return cr_cli_main(CR_CLI_EXPORT, argc, argv, s_synopsis, s_description, s_main);
}
