/* SPDX-License-Identifier: Apache-2.0 */
/*
 * The read side shared by plan, apply and drift: manifests -> desired -> one client per
 * account and region -> the wrong-account guard -> live (all at once) -> plan -> rendering.
 * Validation happens before any client exists, so invalid manifests never cause an API call
 * (not even a read); the guard runs before any read, so a run with the wrong credentials reads
 * and writes nothing.
 */
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <time.h>
#include <unistd.h>

#include "aws/config.h"
#include "cmd/cognito-reconcile/lock.h"
#include "aws/credentials.h"
#include "cmd/cognito-reconcile/session.h"
#include "cmd/cognito-reconcile/sources.h"
#include "reconcile/apply.h"
#include "reconcile/junit.h"
#include "reconcile/render.h"
#include "reconcile/access_test.h"
#include "reconcile/target.h"
#include "reconcile/twins.h"
#include "schema/manifest.h"
#include "util/log.h"
#include "util/parallel.h"
#include "util/strutil.h"

void cr_cli_session_init(struct cr_cli_session *s, const struct cr_cli_options *opts)
{
    memset(s, 0, sizeof(*s));
    s->opts = opts;
    s->targets.patterns = (const char *const *)opts->targets.items;
    s->targets.n = opts->targets.len;
    cr_buf_init(&s->default_region);
    cr_buf_init(&s->region_error);
    cr_buf_init(&s->resolved_default_id);
    cr_buf_init(&s->plan_default_id);
    s->default_account_id = opts->account_id;
    cr_live_state_init(&s->live);
    cr_plan_init(&s->plan);
    cr_source_list_init(&s->unread);
    s->started_ms = cr_now_ms();
    /* a live line on a terminal, unless --debug writes lines of its own there; none when the
     * log lines go to a sink (watch --log-format json: stderr holds JSON objects only) */
    cr_progress_init(&s->progress, opts->quiet || cr_log_has_sink() ? NULL : stderr,
                     isatty(fileno(stderr)) == 1 && !opts->debug, NULL);
}

void cr_cli_session_dispose(struct cr_cli_session *s)
{
    cr_progress_dispose(&s->progress);
    (void)cr_cli_lock_finish(s->lock, CR_EXIT_ERROR); /* normally released by the command */
    s->lock = NULL;
    cr_plan_dispose(&s->plan);
    cr_live_state_dispose(&s->live);
    /* the clients first (the last first: the other regions of an account borrow its first
     * one's credentials), then the roles' credentials they signed with, then the base chain
     * the roles were assumed with */
    for (size_t i = s->n_scopes; i-- > 0;)
        cr_aws_client_free(s->scopes[i].client);
    for (size_t i = 0; i < s->n_scopes; i++) {
        cr_aws_credentials_provider_free(s->scopes[i].role_credentials);
        free(s->scopes[i].account);
        free(s->scopes[i].region);
    }
    if (s->own_base_credentials)
        cr_aws_credentials_provider_free(s->base_credentials);
    s->base_credentials = NULL;
    s->own_base_credentials = false;
    free(s->scopes);
    s->scopes = NULL;
    s->n_scopes = 0;
    free(s->clients);
    free(s->client_accounts);
    s->clients = NULL;
    s->client_accounts = NULL;
    s->n_clients = 0;
    cr_buf_dispose(&s->resolved_default_id);
    cr_buf_dispose(&s->plan_default_id);
    for (size_t i = 0; i < s->n_plan_accounts; i++)
        cr_desired_account_dispose(&s->plan_accounts[i]);
    free(s->plan_accounts);
    s->plan_accounts = NULL;
    s->n_plan_accounts = 0;
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
    /* (export reads Account documents alone: that no pool names them is no news there) */
    if (s->opts->verb != CR_CLI_EXPORT && cr_cli_print_warnings(s->manifests) != 0)
        return CR_ENOMEM;
    rc = cr_desired_from_manifest(&s->desired, s->manifests);
    if (rc == 0)
        rc = cr_target_desired(&s->desired, &s->targets, s->opts->prune);
    if (rc != 0)
        return rc;
    s->accounts = s->desired.accounts;
    s->n_accounts = s->desired.n_accounts;
    return s_resolve_pool_regions(s);
}

const char *cr_cli_scope_label(char buf[96], const struct cr_cli_scope *scope)
{
    return cr_plan_account_label(buf, scope->account);
}

static int s_oom(void)
{
    cr_error_set("out of memory");
    return CR_ENOMEM;
}

static const struct cr_desired_account *s_account_config(const struct cr_cli_session *s,
                                                         const char *name)
{
    for (size_t i = 0; name != NULL && i < s->n_accounts; i++)
        if (s->accounts[i].name != NULL && strcmp(s->accounts[i].name, name) == 0)
            return &s->accounts[i];
    return NULL;
}

static bool s_same(const char *a, const char *b)
{
    return (a == NULL && b == NULL) || (a != NULL && b != NULL && strcmp(a, b) == 0);
}

int cr_cli_session_add_scope(struct cr_cli_session *s, const char *account, const char *region)
{
    const struct cr_desired_account *config = s_account_config(s, account);
    if (account != NULL && config == NULL) {
        cr_error_set("account '%s' is not defined (no kind: Account document names it)", account);
        return CR_EINVALID;
    }
    for (size_t i = 0; i < s->n_scopes; i++)
        if (s_same(s->scopes[i].account, account) && strcmp(s->scopes[i].region, region) == 0)
            return 0;
    struct cr_cli_scope *grown = realloc(s->scopes, (s->n_scopes + 1) * sizeof(*grown));
    if (grown == NULL)
        return s_oom();
    s->scopes = grown;
    struct cr_cli_scope *scope = &s->scopes[s->n_scopes];
    bool oom = false;
    *scope =
        (struct cr_cli_scope){cr_strdup_null(account, &oom), strdup(region), config, NULL, NULL};
    if (oom || scope->region == NULL) {
        free(scope->account);
        free(scope->region);
        return s_oom();
    }
    s->n_scopes++;
    return 0;
}

/* The default account first, then the named ones by name; regions sorted within each. */
static int s_scope_cmp(const void *x, const void *y)
{
    const struct cr_cli_scope *a = x, *b = y;
    if ((a->account == NULL) != (b->account == NULL))
        return a->account == NULL ? -1 : 1;
    int c = a->account != NULL ? strcmp(a->account, b->account) : 0;
    return c != 0 ? c : strcmp(a->region, b->region);
}

/* The run's base chain, for assuming roles: the default account's (its client resolved it
 * already: scopes are sorted with the default account first), else resolved here once, with
 * the command line's settings. */
static int s_base_credentials(struct cr_aws_credentials_provider **out, struct cr_cli_session *s,
                              const char *region)
{
    if (s->base_credentials == NULL && s->n_scopes > 0 && s->scopes[0].account == NULL &&
        s->scopes[0].client != NULL)
        s->base_credentials = cr_aws_client_credentials(s->scopes[0].client);
    if (s->base_credentials == NULL) {
        struct cr_aws_credentials_options o = {.profile = s->opts->profile, .region = region};
        int rc = cr_aws_credentials_provider_new(&s->base_credentials, &o);
        if (rc != 0)
            return rc;
        s->own_base_credentials = true;
    }
    cr_aws_credentials_provider_share(s->base_credentials); /* roles renew on their threads */
    *out = s->base_credentials;
    return 0;
}

/* A roleArn account's credentials: STS AssumeRole (the regional endpoint of the account's
 * first region, or AWS_ENDPOINT_URL_STS) signed with the base chain, renewed before expiry. */
static int s_assume_role(struct cr_cli_session *s, struct cr_cli_scope *scope)
{
    struct cr_aws_credentials_provider *base = NULL;
    int rc = s_base_credentials(&base, s, scope->region);
    if (rc != 0) {
        cr_error_prefix("the default credentials, to assume role %s", scope->config->role_arn);
        return rc;
    }
    struct cr_aws_assume_role role = {.role_arn = scope->config->role_arn,
                                      .session_name = scope->config->session_name,
                                      .external_id = scope->config->external_id};
    struct cr_aws_credentials_options o = {.profile = s->opts->profile, .region = scope->region};
    return cr_aws_credentials_provider_new_assume_role(&scope->role_credentials, base, &role, &o);
}

/* The client of one scope: an Account's profile or role, or the command line's credentials.
 * The credentials chain runs once per account: the first scope of an account (scopes are
 * sorted by account) resolves it, after its own settings are checked (for a role: assumes it),
 * and the account's other regions sign with it (one assume-role, one credential_process run,
 * however many regions). */
static int s_connect_scope(struct cr_cli_session *s, struct cr_cli_scope *scope)
{
    char label[96];
    struct cr_aws_options aws;
    int rc = 0;
    cr_cli_aws_options(&aws, s->opts, scope->region);
    if (scope->config != NULL && scope->config->profile != NULL)
        aws.profile = scope->config->profile;
    for (const struct cr_cli_scope *o = s->scopes; o < scope; o++)
        if (o->client != NULL && s_same(o->account, scope->account)) {
            aws.credentials = cr_aws_client_credentials(o->client);
            break;
        }
    if (aws.credentials == NULL && scope->config != NULL && scope->config->role_arn != NULL) {
        rc = s_assume_role(s, scope);
        aws.credentials = scope->role_credentials;
    }
    if (rc == 0)
        rc = cr_aws_client_new(&scope->client, &aws);
    if (rc != 0 && scope->account != NULL)
        cr_error_prefix("%s (%s)", cr_cli_scope_label(label, scope),
                        scope->config->source ? scope->config->source : "?");
    return rc;
}

int cr_cli_session_connect(struct cr_cli_session *s)
{
    if (s->n_scopes > 1)
        qsort(s->scopes, s->n_scopes, sizeof(*s->scopes), s_scope_cmp);
    s->clients = calloc(s->n_scopes + 1, sizeof(*s->clients));
    s->client_accounts = calloc(s->n_scopes + 1, sizeof(*s->client_accounts));
    if (s->clients == NULL || s->client_accounts == NULL)
        return s_oom();
    for (size_t i = 0; i < s->n_scopes; i++) {
        int rc = s_connect_scope(s, &s->scopes[i]);
        if (rc != 0)
            return rc;
        s->clients[i] = s->scopes[i].client;
        s->client_accounts[i] = s->scopes[i].account;
        s->n_clients = i + 1;
    }
    return 0;
}

/* The saved plan's accounts, copied: the plan is replaced by its re-derivation while the
 * clients live on. */
static int s_take_plan_accounts(struct cr_cli_session *s)
{
    const struct cr_plan *plan = &s->plan;
    s->plan_accounts = calloc(plan->n_accounts + 1, sizeof(*s->plan_accounts));
    if (s->plan_accounts == NULL)
        return s_oom();
    for (size_t i = 0; i < plan->n_accounts; i++) {
        const struct cr_desired_account *a = &plan->accounts[i].account;
        if (a->name == NULL) {
            if (a->account_id != NULL && cr_buf_puts(&s->plan_default_id, a->account_id) != 0)
                return s_oom();
            continue;
        }
        if (cr_desired_account_copy(&s->plan_accounts[s->n_plan_accounts], a) != 0)
            return CR_ENOMEM;
        s->n_plan_accounts++;
    }
    s->accounts = s->plan_accounts;
    s->n_accounts = s->n_plan_accounts;
    return 0;
}

int cr_cli_session_connect_plan(struct cr_cli_session *s)
{
    int rc = s_take_plan_accounts(s);
    const char *recorded = s->plan_default_id.len > 0 ? cr_buf_cstr(&s->plan_default_id) : NULL;
    if (rc == 0 && recorded != NULL && s->opts->account_id != NULL &&
        strcmp(recorded, s->opts->account_id) != 0) {
        cr_error_set("--account-id %s: the saved plan was made for account %s", s->opts->account_id,
                     recorded);
        return CR_EINVALID;
    }
    if (recorded != NULL)
        s->default_account_id = recorded;
    for (size_t i = 0; rc == 0 && i < s->plan.n_accounts; i++) {
        const struct cr_plan_account *a = &s->plan.accounts[i];
        for (size_t r = 0; rc == 0 && r < a->regions.len; r++)
            rc = cr_cli_session_add_scope(s, a->account.name, a->regions.items[r]);
    }
    return rc == 0 ? cr_cli_session_connect(s) : rc;
}

/* ---- the wrong-account guard ---- */

struct s_identity {
    const char *id; /* the caller's account id (borrowed from the client) */
    int rc;
    char error[1024];
};

struct s_identities {
    struct cr_cli_session *s;
    struct s_identity *items; /* one per scope */
    const bool *wanted;
};

static void s_identify(void *ctx, size_t i)
{
    struct s_identities *ids = ctx;
    if (!ids->wanted[i])
        return;
    ids->items[i].rc = cr_aws_client_account_id(ids->s->scopes[i].client, &ids->items[i].id);
    if (ids->items[i].rc != 0)
        snprintf(ids->items[i].error, sizeof(ids->items[i].error), "%s", cr_error_last());
}

/* Where a scope's credentials come from, for the guard's message: "profile dev", or the
 * chain's own description of its source. */
static void s_credentials_of(struct cr_buf *out, const struct cr_cli_session *s,
                             const struct cr_cli_scope *scope)
{
    if (scope->config != NULL && scope->config->profile != NULL)
        cr_buf_printf(out, "profile %s", scope->config->profile);
    else if (scope->config != NULL && scope->config->role_arn != NULL)
        cr_buf_puts(out,
                    cr_aws_credentials_provider_source(cr_aws_client_credentials(scope->client)));
    else if (s->opts->profile != NULL)
        cr_buf_printf(out, "profile %s", s->opts->profile);
    else
        cr_buf_puts(out, cr_aws_credentials_provider_source(
                             cr_aws_client_credentials(scope->client)));
}

/* The id a scope's account must be, or NULL. */
static const char *s_expected_id(const struct cr_cli_session *s, const struct cr_cli_scope *scope)
{
    return scope->config != NULL ? scope->config->account_id : s->default_account_id;
}

/* One mismatch, printed; the first becomes the error. */
static int s_mismatch(const struct cr_cli_session *s, const struct cr_cli_scope *scope,
                      const char *expected, const char *actual, bool first)
{
    struct cr_buf from = CR_BUF_INIT, msg = CR_BUF_INIT;
    s_credentials_of(&from, s, scope);
    if (scope->account != NULL)
        cr_buf_printf(&msg, "account %s", scope->account);
    else
        cr_buf_puts(&msg, s->opts->account_id != NULL ? "--account-id"
                                                      : "the saved plan's default account");
    cr_buf_printf(&msg, " expects %s, credentials are for %s (%s)", expected, actual,
                  cr_buf_cstr(&from) ? cr_buf_cstr(&from) : "?");
    if (first)
        cr_error_set("%s; nothing was read or changed", cr_buf_cstr(&msg));
    else
        cr_log_info("error: %s", cr_buf_cstr(&msg));
    cr_buf_dispose(&from);
    cr_buf_dispose(&msg);
    return CR_EREFUSED;
}

/* Pools without metadata.account must not live in an account that has its own Account
 * document: the two would manage (and --prune) each other's pools. */
static int s_check_default_overlap(struct cr_cli_session *s, const struct s_identity *ids)
{
    for (size_t i = 0; i < s->n_scopes; i++) {
        if (s->scopes[i].account != NULL || ids[i].id == NULL)
            continue;
        if (s->resolved_default_id.len == 0 && cr_buf_puts(&s->resolved_default_id, ids[i].id) != 0)
            return s_oom();
        for (size_t k = 0; k < s->n_accounts; k++) {
            const struct cr_desired_account *a = &s->accounts[k];
            if (a->name == NULL || !s_same(a->account_id, ids[i].id))
                continue;
            struct cr_buf from = CR_BUF_INIT;
            s_credentials_of(&from, s, &s->scopes[i]);
            cr_error_set("pools without metadata.account use credentials for %s (%s), which is "
                         "account '%s' (%s): give those pools metadata.account: %s, or use "
                         "other credentials; nothing was read or changed",
                         ids[i].id, cr_buf_cstr(&from) ? cr_buf_cstr(&from) : "?", a->name,
                         a->source ? a->source : "?", a->name);
            cr_buf_dispose(&from);
            return CR_EREFUSED;
        }
    }
    return 0;
}

int cr_cli_session_guard(struct cr_cli_session *s, bool resolve_all)
{
    int result = 0;
    bool named = false;
    for (size_t i = 0; i < s->n_scopes; i++)
        named = named || s->scopes[i].account != NULL;
    struct s_identity *items = calloc(s->n_scopes + 1, sizeof(*items));
    bool *wanted = calloc(s->n_scopes + 1, sizeof(*wanted));
    if (items == NULL || wanted == NULL) {
        result = s_oom();
        goto done;
    }
    size_t n_wanted = 0;
    for (size_t i = 0; i < s->n_scopes; i++) {
        wanted[i] = s_expected_id(s, &s->scopes[i]) != NULL || resolve_all ||
                    (named && s->scopes[i].account == NULL);
        n_wanted += wanted[i];
    }
    if (n_wanted == 0)
        goto done;
    /* one STS GetCallerIdentity per scope, all at once */
    struct s_identities ids = {s, items, wanted};
    cr_parallel_run(s->n_scopes, 0, s_identify, &ids);
    for (size_t i = 0; i < s->n_scopes && result == 0; i++)
        if (wanted[i] && items[i].rc != 0) {
            char label[96];
            cr_error_set("%s: %s", cr_cli_scope_label(label, &s->scopes[i]), items[i].error);
            result = items[i].rc;
        }
    /* every mismatch, once per account, so one run shows everything to fix */
    for (size_t i = 0; i < s->n_scopes && (result == 0 || result == CR_EREFUSED); i++) {
        const char *expected = s_expected_id(s, &s->scopes[i]);
        bool reported = i > 0 && s_same(s->scopes[i - 1].account, s->scopes[i].account) &&
                        items[i - 1].id != NULL && s_same(items[i - 1].id, items[i].id);
        if (expected != NULL && items[i].id != NULL && strcmp(expected, items[i].id) != 0 &&
            !reported)
            result = s_mismatch(s, &s->scopes[i], expected, items[i].id, result == 0);
    }
    if (result == 0)
        result = s_check_default_overlap(s, items);
done:
    free(items);
    free(wanted);
    return result;
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

static size_t s_pools_in(const struct cr_live_state *live, const struct cr_cli_scope *scope)
{
    size_t n = 0;
    for (size_t i = 0; i < live->len; i++)
        if (live->pools[i]->region != NULL && strcmp(live->pools[i]->region, scope->region) == 0 &&
            s_same(live->pools[i]->account, scope->account))
            n++;
    return n;
}

int cr_cli_session_lock(struct cr_cli_session *s)
{
    const char *region = cr_buf_cstr(&s->default_region);
    struct cr_lock_settings settings;
    const char *what = NULL;
    int rc = cr_cli_lock_settings(&settings, &what, s->opts); /* a bad URL fails every verb */
    /* apply without a lock still gets the signal thread (an interrupted apply reports); a
     * watch cycle (--git-url is watch's alone) does not: the controller handles signals */
    if (rc < 0 || (!settings.url && (s->opts->verb != CR_CLI_APPLY || s->opts->git_url != NULL)))
        return rc;
    if (s->opts->verb != CR_CLI_APPLY) {
        cr_cli_lock_note(s->opts, region);
        return 0;
    }
    return cr_cli_lock_take(&s->lock, s->opts, region,
                            s->revision.id[0] ? s->revision.id : s->plan.revision);
}

/* On a scope's thread, with its own state: the twins there (reconcile/twins.h). */
static int s_read_twins(void *stack, struct cr_live_state *state, struct cr_aws_client *client)
{
    return cr_twins_read_identities(state, client, stack);
}

/* A read of several accounts and regions failed: every failed one is named (the first is
 * the error, the others are printed), so the message says which account and region it was. */
static void s_read_failures(const struct cr_cli_session *s, const struct cr_live_source *sources)
{
    char where[CR_LIVE_SCOPE_MAX];
    bool first = true;
    for (size_t i = 0; i < s->n_scopes; i++) {
        if (sources[i].result == 0)
            continue;
        cr_live_scope_key(where, s->scopes[i].account, s->scopes[i].region);
        if (first)
            cr_error_set("reading %s: %s", where, sources[i].error);
        else
            cr_log_info("error: reading %s: %s", where, sources[i].error);
        first = false;
    }
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
        .progress = &s->progress,
        /* twins need to say whether they hold identities (docs/locking.md) */
        .after_read = s_read_twins,
        .after_read_ctx = (void *)s->opts->stack,
    };
    char where[CR_LIVE_SCOPE_MAX];
    struct cr_live_source *sources = calloc(s->n_scopes + 1, sizeof(*sources));
    if (sources == NULL)
        return s_oom();
    for (size_t i = 0; i < s->n_scopes; i++) {
        sources[i].account = s->scopes[i].account;
        sources[i].client = s->scopes[i].client;
        if (!s->opts->quiet)
            cr_log_info("reading live state in %s (%s)...",
                        cr_live_scope_key(where, s->scopes[i].account, s->scopes[i].region),
                        cr_aws_client_endpoint(s->scopes[i].client));
    }
    /* every account and region at once: each has its own client, credentials and quotas */
    cr_progress_begin(&s->progress, "reading live state", "pools", (unsigned)s->n_scopes);
    int rc = cr_live_read_all(&s->live, sources, s->n_scopes, wants, n, &ro);
    cr_progress_end(&s->progress);
    if (rc != 0 && s->n_scopes > 1)
        s_read_failures(s, sources);
    for (size_t i = 0; rc == 0 && i < s->n_scopes && !s->opts->quiet; i++) {
        struct cr_buf counts;
        unsigned long total = 0;
        cr_buf_init(&counts);
        s_call_counts(&counts, &total, s->scopes[i].client);
        size_t pools = s_pools_in(&s->live, &s->scopes[i]);
        cr_log_info("read %zu pool%s in %s: %lu API call%s (%s) in %.2f s", pools,
                    pools == 1 ? "" : "s",
                    cr_live_scope_key(where, s->scopes[i].account, s->scopes[i].region), total,
                    total == 1 ? "" : "s", cr_buf_cstr(&counts) ? cr_buf_cstr(&counts) : "none",
                    (double)sources[i].elapsed_ms / 1000.0);
        cr_buf_dispose(&counts);
    }
    free(sources);
    return rc;
}

/* The default account is in the run when a pool has no metadata.account, or when there is no
 * Account document at all (an empty folder with --prune still prunes the stack there). */
static bool s_default_in_use(const struct cr_cli_session *s)
{
    if (s->n_accounts == 0)
        return true;
    for (size_t i = 0; i < s->desired.len; i++)
        if (s->desired.pools[i].account == NULL)
            return true;
    return false;
}

/* The accounts and regions to read: those of the manifests, and with --prune each account's
 * default region too (its spec.region, else the default region), so pools of the stack that
 * no manifest names any more are found there. */
static int s_plan_scopes(struct cr_cli_session *s)
{
    const char *fallback = cr_buf_cstr(&s->default_region);
    bool has_fallback = fallback != NULL && fallback[0] != '\0';
    int rc = 0;
    for (size_t i = 0; rc == 0 && i < s->desired.len; i++)
        rc = cr_cli_session_add_scope(s, s->desired.pools[i].account, s->desired.pools[i].region);
    if (!s->opts->prune)
        return rc;
    if (rc == 0 && has_fallback && s_default_in_use(s))
        rc = cr_cli_session_add_scope(s, NULL, fallback);
    for (size_t i = 0; rc == 0 && i < s->n_accounts; i++) {
        const char *region = s->accounts[i].region ? s->accounts[i].region : fallback;
        if (region != NULL && region[0] != '\0')
            rc = cr_cli_session_add_scope(s, s->accounts[i].name, region);
    }
    return rc;
}

/* A file named on the command line (or standard input) that holds no manifest of ours is an
 * error, as kubectl's "no objects passed to apply": other YAML is skipped in folders only.
 * Without this, a saved plan given under another name, or on standard input, was skipped and
 * "applied" as an empty plan. */
static int s_check_named_files(const struct cr_cli_session *s)
{
    const struct cr_cli_options *o = s->opts;
    struct stat st;
    for (size_t i = 0; o->git_ref == NULL && s->manifests != NULL && i < o->paths.len; i++) {
        const char *p = o->paths.items[i];
        bool is_stdin = strcmp(p, "-") == 0;
        if (!is_stdin && (stat(p, &st) != 0 || !S_ISREG(st.st_mode)))
            continue;
        const char *shown = is_stdin ? "<stdin>" : p;
        for (size_t k = 0; k < s->manifests->n_skipped; k++) {
            const struct cr_manifest_skip *skip = &s->manifests->skipped[k];
            if (strcmp(skip->file, shown) != 0)
                continue;
            cr_error_set("%s: %s, and a file named on the command line must hold one; a saved "
                         "plan (plan --out FILE.json) is applied with apply FILE.json; nothing "
                         "was read from or sent to AWS",
                         shown, skip->reason);
            return CR_EINVALID;
        }
    }
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
        rc = s_check_named_files(s);
    if (rc == 0)
        s_warn_if_empty(s);
    if (rc == 0)
        rc = cr_cli_session_check_prune(s);
    if (rc == 0)
        rc = s_plan_scopes(s);
    if (rc == 0)
        rc = cr_cli_session_connect(s);
    /* plan --out pins every account's id in the saved plan, so apply checks them all */
    if (rc == 0)
        rc = cr_cli_session_guard(s, s->opts->out_file != NULL);
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
        rc =
            cr_target_live(&s->live, &s->targets, s->opts->stack, s->desired.pools, s->desired.len);
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
        .accounts = s->accounts,
        .n_accounts = s->n_accounts,
        .default_account_id = s->default_account_id != NULL ? s->default_account_id
                                                            : cr_buf_cstr(&s->resolved_default_id),
    };
    if (po.default_account_id != NULL && po.default_account_id[0] == '\0')
        po.default_account_id = NULL;
    result = cr_plan_build(&s->plan, s->desired.pools, s->desired.len, &s->live, &po);
    /* who gains and loses access: the test cases of the planned pools (docs/testing.md) */
    if (result == 0 && !drift)
        result = cr_access_impact(&s->plan, s->manifests, &s->live);
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
 * (reconcile/twins.h), in each account whose calls all succeeded. Returns 0 or CR_ECONFLICT
 * naming the twins left. */
static int s_check_twins(struct cr_cli_session *s, struct cr_twins_report *twins,
                         const struct cr_apply_report *rep, const struct cr_apply_options *ao)
{
    if (s->plan.n_create == 0 && s->plan.n_replace == 0)
        return 0;
    struct cr_twins_check_options o = {.before = &s->live,
                                       .applied = rep,
                                       .client_accounts = s->client_accounts,
                                       .guard = ao->guard,
                                       .guard_ctx = ao->guard_ctx};
    int rc = cr_twins_check_after_apply(twins, &s->plan, s->clients, s->n_clients, &o);
    for (size_t i = 0; i < twins->len; i++) {
        const struct cr_twin_finding *f = &twins->items[i];
        char where[128] = "";
        if (f->account)
            snprintf(where, sizeof(where), " (account '%s')", f->account);
        if (f->outcome == CR_TWIN_DELETED && f->created_here)
            cr_log_info("twin check: pool '%s'%s: deleted %s, which this run created at the same "
                        "time as another run created %s; %s keeps the name (docs/locking.md)",
                        f->name, where, f->loser_id, f->keeper_id, f->keeper_id);
        else if (f->outcome == CR_TWIN_DELETED)
            cr_log_info("twin check: pool '%s'%s: deleted %s, which another run created at the "
                        "same time and did not delete (it ended before it saw %s); %s keeps the "
                        "name (docs/locking.md)",
                        f->name, where, f->loser_id, f->keeper_id, f->keeper_id);
        else if (f->outcome == CR_TWIN_DELETED_BY_OTHER)
            cr_log_info("twin check: pool '%s'%s: %s, which another run created at the same "
                        "time, was deleted by that run; %s keeps the name (docs/locking.md)",
                        f->name, where, f->loser_id, f->keeper_id);
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
    if (!s->opts->quiet)
        cr_log_info("applying %zu call%s...", s->plan.n_ops, s->plan.n_ops == 1 ? "" : "s");
    /* pools in parallel, --parallelism per account and region; the calls that ended count as
     * progress */
    struct cr_apply_options o = *ao;
    o.client_accounts = s->client_accounts; /* each client's account (accounts fail alone) */
    o.parallelism = o.parallelism ? o.parallelism : s->opts->parallelism;
    o.meter = o.meter ? o.meter : &s->progress;
    cr_progress_begin(&s->progress, "applying", "calls", 0);
    cr_progress_add(&s->progress, 0, s->plan.n_ops, false);
    rc = cr_apply(out, &s->plan, s->clients, s->n_clients, &o);
    cr_progress_end(&s->progress);
    *calls_failed = rc != 0;
    if (rc == 0) {
        rc = s_check_twins(s, twins, out, ao);
    } else if (out->n_done > 0 && cr_plan_has_accounts(&s->plan)) {
        /* the accounts that completed are checked all the same (their results are reported
         * with the failed one's); the failure stays the run's error */
        char *failure = strdup(cr_error_last());
        if (s_check_twins(s, twins, out, ao) != 0)
            cr_log_info("error: %s", cr_error_last());
        cr_error_set("%s", failure ? failure : "out of memory");
        free(failure);
    }
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

int cr_cli_session_check_access(const struct cr_cli_session *s)
{
    size_t failing = cr_access_impact_failures(&s->plan);
    for (size_t i = 0; i < s->plan.n_access; i++) {
        const struct cr_plan_access *a = &s->plan.access[i];
        if (a->failure)
            cr_log_info("%s: %s: test '%s', case '%s': the planned configuration fails it: %s",
                        s->opts->require_tests ? "error" : "warning", a->source, a->test, a->name,
                        a->failure);
    }
    if (failing == 0 || !s->opts->require_tests)
        return 0;
    cr_error_set("%zu access test case%s fail%s with this plan (--require-tests)%s", failing,
                 failing == 1 ? "" : "s", failing == 1 ? "s" : "",
                 s->opts->verb == CR_CLI_APPLY ? ": nothing was changed" : "");
    return CR_EREFUSED;
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
