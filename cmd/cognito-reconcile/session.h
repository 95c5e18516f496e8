/* SPDX-License-Identifier: Apache-2.0 */
#ifndef CR_CMD_SESSION_H
#define CR_CMD_SESSION_H
/*
 * The pipeline plan, apply and drift share: manifests -> desired state -> one client per
 * account and region (a "scope") -> the wrong-account guard -> live state (every scope read
 * at once) -> plan -> rendering. Each stage is a function so a command runs the stages it
 * needs, in order, and stops at the first failure (which cr_cli_fail reports).
 */
#include <stdbool.h>
#include <stdio.h>

#include "aws/client.h"
#include "cmd/cognito-reconcile/cmd.h"
#include "reconcile/desired.h"
#include "reconcile/live.h"
#include "reconcile/plan.h"
#include "reconcile/progress.h"
#include "reconcile/target.h"
#include "source/git.h"
#include "source/source.h"
#include "util/buf.h"

struct cr_manifest_set;
struct cr_cli_lock;

/** One account and region of a run, with a client of its own (its credentials, connections
 * and rate limits). */
struct cr_cli_scope {
    char *account; /* an Account's name; NULL = the default account (the command line's chain) */
    char *region;
    const struct cr_desired_account *config; /* the Account document; NULL for the default */
    struct cr_aws_client *client;            /* after cr_cli_session_connect */
    /* a roleArn account's first scope: the role's credentials, assumed with the base chain's
     * (owned; the account's other scopes borrow them through their clients) */
    struct cr_aws_credentials_provider *role_credentials;
};

/** One run's state. Initialise with cr_cli_session_init, free with cr_cli_session_dispose. */
struct cr_cli_session {
    const struct cr_cli_options *opts; /* borrowed */
    struct cr_buf default_region;      /* resolved from --region / AWS config; "" if none */
    struct cr_buf region_error;        /* why there is no default region */
    struct cr_manifest_set *manifests;
    struct cr_source_list unread;    /* paths met and not read (skips only, no files) */
    struct cr_targets targets;       /* --target: borrowed from opts */
    struct cr_git_revision revision; /* the commit read with --git-ref; id "" from disk */
    struct cr_desired_set desired;
    struct cr_strlist regions; /* regions of the desired pools, sorted */
    /* the accounts of the run: the Account documents (desired.accounts) or a saved plan's */
    const struct cr_desired_account *accounts;
    size_t n_accounts;
    const char *default_account_id; /* the id the default account must be: --account-id, or a
                                       saved plan's record; NULL = not checked */
    struct cr_buf resolved_default_id; /* the default account's id once the guard read it */
    struct cr_desired_account *plan_accounts; /* a saved plan's named accounts, copied */
    size_t n_plan_accounts;
    struct cr_buf plan_default_id; /* a saved plan's record of the default account's id */
    struct cr_cli_scope *scopes;       /* sorted: the default account first, then by name */
    size_t n_scopes;
    /* the run's base chain (the command line's credentials), which roleArn accounts assume
     * their roles with: the default account's client's, else one of the session's own */
    struct cr_aws_credentials_provider *base_credentials;
    bool own_base_credentials;
    struct cr_aws_client **clients; /* the scopes' clients, in scope order (for cr_apply) */
    const char **client_accounts;   /* and their accounts */
    size_t n_clients;
    struct cr_live_state live;
    struct cr_plan plan;
    uint64_t started_ms;
    struct cr_cli_lock *lock; /* apply's run lock while held (cmd/cognito-reconcile/lock.h) */
    struct cr_progress progress; /* reads and applies longer than 2 s, on stderr */
};

/** Initialises s for opts (borrowed; must outlive s). No allocation. */
void cr_cli_session_init(struct cr_cli_session *s, const struct cr_cli_options *opts);
/** Frees everything s holds. */
void cr_cli_session_dispose(struct cr_cli_session *s);

/**
 * Resolves the default region without any network call (--region > AWS_REGION >
 * AWS_DEFAULT_REGION > the profile's region). Not finding one is not an error here: it is
 * one only for a pool that needs it (cr_cli_session_load) or for export.
 * Returns 0, or CR_EINVALID for a malformed AWS config file.
 */
int cr_cli_session_resolve_region(struct cr_cli_session *s) CR_WARN_UNUSED;

/**
 * Refuses a region the partitions of this build do not list (cr_aws_config_check_region),
 * unless --region-check=off. Makes no call. Returns 0 or CR_EINVALID ("unknown region
 * 'us-esat-1' (did you mean 'us-east-1'?)"); callers prefix where the region came from.
 */
int cr_cli_session_check_region(const struct cr_cli_session *s,
                                const char *region) CR_WARN_UNUSED;

/**
 * Loads and validates the manifests of opts->paths, prints every diagnostic to stderr
 * ("file:line:column: message") and converts them into the desired state, each pool's region
 * resolved. Makes no network call. Returns 0, CR_EINVALID (diagnostics printed; the last
 * error summarises them), or another code with the last error set.
 */
int cr_cli_session_load(struct cr_cli_session *s) CR_WARN_UNUSED;

/**
 * Adds the scope (account, region) to connect (once; account NULL = the default account). A
 * named account must be one of s->accounts. Returns 0, CR_EINVALID (an unknown account) or
 * CR_ENOMEM.
 */
int cr_cli_session_add_scope(struct cr_cli_session *s, const char *account,
                             const char *region) CR_WARN_UNUSED;

/**
 * Creates one client per scope: an Account's scopes sign with its profile's credentials, the
 * default account's with the command line's (--profile, AWS_PROFILE, the environment...).
 * Returns 0 or the failing client's code (credentials, bad endpoint), naming the account.
 */
int cr_cli_session_connect(struct cr_cli_session *s) CR_WARN_UNUSED;

/**
 * For a saved plan in s->plan: takes its accounts (how to reach them, the ids they must be: the
 * default account's too when the plan recorded it, which --account-id may not contradict), adds
 * a scope for every account and region it covers, and connects them (cr_cli_session_connect).
 * Returns 0, CR_EINVALID (--account-id differs from the plan's record) or connect's code.
 */
int cr_cli_session_connect_plan(struct cr_cli_session *s) CR_WARN_UNUSED;

/**
 * The wrong-account guard, before any read or write: reads the caller identity (STS
 * GetCallerIdentity) of every scope whose account id is known (an Account's accountId;
 * --account-id or a saved plan for the default account), and of the default account's scopes
 * when named accounts are in the run too, or when resolve_all (plan --out pins every account).
 * A mismatch stops the whole run: "account prod expects 222222222222, credentials are for
 * 111111111111 (profile dev)"; so does a default account that is one of the named ones.
 * Returns 0, CR_EREFUSED (a mismatch; every one is printed) or the STS call's code.
 */
int cr_cli_session_guard(struct cr_cli_session *s, bool resolve_all) CR_WARN_UNUSED;

/**
 * The run lock, once connected and before the live state is read (docs/locking.md): apply
 * takes the configured lock into s->lock (cr_cli_lock_finish releases it); plan and drift
 * only say when it is held. Returns 0 or the failure (a held lock: CR_ECONFLICT).
 */
int cr_cli_session_lock(struct cr_cli_session *s) CR_WARN_UNUSED;

/**
 * Reads the live state of every scope (account and region) at once, one thread each, for the
 * given wants (discover: list and describe every pool, for --prune and saved plans). Prints
 * progress and, per scope, the number of API calls per operation to stderr (not with
 * --quiet). Returns 0 or the first failing call's code.
 */
int cr_cli_session_read(struct cr_cli_session *s, const struct cr_live_want *wants, size_t n,
                        bool discover) CR_WARN_UNUSED;

/**
 * The --prune safety check, after cr_cli_session_load and before any call: plan and apply
 * refuse --prune when no manifest was read, or when a path that may hold manifests was not
 * read (a link not followed, *.YAML, a submodule: s->unread), since every pool those would
 * have declared would be deleted; the refusal lists what was not read. --allow-empty-prune
 * lets it through. Returns 0 or CR_EREFUSED.
 */
int cr_cli_session_check_prune(const struct cr_cli_session *s) CR_WARN_UNUSED;

/**
 * The whole read side for manifests: load, connect to every account and region the manifests
 * (and, with --prune, each account's default region) use, check the accounts, read the live
 * state, build the plan into s->plan.
 * drift: show replacements instead of refusing them, and do not record the git revision
 * (drift only compares). Returns 0 or the failing stage's code.
 */
int cr_cli_session_plan(struct cr_cli_session *s, bool drift) CR_WARN_UNUSED;

struct cr_apply_report;
struct cr_apply_options;
struct cr_twins_report;

/**
 * The write side, once s->plan is built, for apply and each cycle of watch: apply's rewind
 * check (unless --allow-rewind; a revision must not overwrite pools a newer commit applied,
 * docs/gitops.md), the start of the lock's write phase (s->lock, when apply holds one), the
 * plan's calls (reconcile/apply.h, with ao's progress and write guard) through every connected
 * client, then, when pools were created, the twin check (docs/locking.md; deletions under the
 * same guard). out and twins receive their reports in every case; *calls_failed says whether
 * the plan's calls themselves failed (not the twin check). Returns 0 or the first failure.
 */
int cr_cli_session_apply(struct cr_cli_session *s, struct cr_apply_report *out,
                         struct cr_twins_report *twins, bool *calls_failed,
                         const struct cr_apply_options *ao) CR_WARN_UNUSED;

/**
 * Renders s->plan in opts->output to fp (colour decided by cr_cli_use_color for text).
 * drift switches the wording. Returns 0 or CR_ENOMEM / CR_EIO.
 */
int cr_cli_session_render(struct cr_cli_session *s, FILE *fp, bool drift) CR_WARN_UNUSED;

/**
 * The access test cases the planned configuration fails (plan->access, docs/testing.md): one
 * "warning: FILE:LINE:COL: test 'T', case 'C': ..." line each on stderr; with --require-tests
 * they are errors and the result is CR_EREFUSED (message set). 0 otherwise.
 */
int cr_cli_session_check_access(const struct cr_cli_session *s) CR_WARN_UNUSED;

/** The aws client options for region from the command line. */
void cr_cli_aws_options(struct cr_aws_options *out, const struct cr_cli_options *opts,
                        const char *region);

/** "account 'prod'" or "the default account" for a scope's messages; buf holds 96 bytes. */
const char *cr_cli_scope_label(char buf[96], const struct cr_cli_scope *scope);

#endif
