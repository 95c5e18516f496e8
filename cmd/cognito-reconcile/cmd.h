/* SPDX-License-Identifier: Apache-2.0 */
#ifndef CR_CMD_H
#define CR_CMD_H
/*
 * Subcommands. Each returns the process exit status: 0 success (no changes), 1 error,
 * 2 changes present (plan --detailed-exitcode, drift). Only cmd/ maps error codes to exit
 * statuses and stderr text.
 */
#include <stdbool.h>
#include <stdint.h>
#include <stdio.h>

#include "reconcile/lock.h"
#include "util/error.h"
#include "util/strmap.h"

enum { CR_EXIT_OK = 0, CR_EXIT_ERROR = 1, CR_EXIT_CHANGES = 2 };

struct cr_command {
    const char *name;
    const char *summary;
    int (*run)(int argc, char **argv); /* argv[0] is the subcommand name */
};

int cr_cmd_validate(int argc, char **argv);
int cr_cmd_plan(int argc, char **argv);
int cr_cmd_apply(int argc, char **argv);
int cr_cmd_drift(int argc, char **argv);
int cr_cmd_export(int argc, char **argv);
int cr_cmd_diff(int argc, char **argv);
int cr_cmd_completion(int argc, char **argv);
int cr_cmd_force_unlock(int argc, char **argv);
int cr_cmd_watch(int argc, char **argv);
int cr_cmd_test(int argc, char **argv);

/** The subcommands (main.c), in the order `--help` lists them; *out_count is set. */
const struct cr_command *cr_cmd_table(size_t *out_count);

/* ---- options.c: the one option parser shared by every subcommand ---- */

/** The subcommand an option list is parsed for; decides which options are accepted. */
enum cr_cli_verb {
    CR_CLI_VALIDATE = 1 << 0,
    CR_CLI_PLAN = 1 << 1,
    CR_CLI_APPLY = 1 << 2,
    CR_CLI_DRIFT = 1 << 3,
    CR_CLI_EXPORT = 1 << 4,
    CR_CLI_DIFF = 1 << 5,
    CR_CLI_FORCE_UNLOCK = 1 << 6,
    CR_CLI_WATCH = 1 << 7,
    CR_CLI_TEST = 1 << 8,
};

enum cr_cli_output {
    CR_CLI_OUTPUT_TEXT,
    CR_CLI_OUTPUT_JSON,
    CR_CLI_OUTPUT_MARKDOWN,
    CR_CLI_OUTPUT_JUNIT, /* drift and test */
};

#define CR_CLI_DEFAULT_STACK       "default"
#define CR_CLI_DEFAULT_PARALLELISM 8u
#define CR_CLI_MAX_PARALLELISM     256u

/** Everything the command line says. Strings are borrowed from argv. */
struct cr_cli_options {
    enum cr_cli_verb verb;
    const char *region;       /* --region */
    const char *profile;      /* --profile */
    const char *endpoint_url; /* --endpoint-url */
    bool region_check_off;    /* --region-check=off: accept regions this build does not know */
    const char *account_id;   /* --account-id: the account of pools without metadata.account */
    const char *stack;        /* --stack; "default" unless given */
    enum cr_cli_output output;
    unsigned parallelism; /* --parallelism; CR_CLI_DEFAULT_PARALLELISM unless given */
    char *rate_limits;    /* --rate-limit specs joined with ',' (later entries win); owned */
    unsigned timeout_s;   /* --timeout: per-attempt HTTP timeout in seconds; 0 = the client's 30 */
    bool prune;
    bool allow_replace;
    bool auto_approve;
    bool detailed_exitcode;
    bool require_tests; /* --require-tests: a failing access test case is an error */
    const char *out_file; /* --out */
    bool debug;
    bool quiet; /* --quiet: no progress or per-call lines on stderr (errors and warnings stay) */
    bool no_color;
    bool help;
    /* export */
    bool all;              /* --all */
    struct cr_strlist ids; /* --id (repeatable); owned */
    struct cr_strlist accounts; /* --account NAME (repeatable); owned */
    /* git sources (design §6): filled by --git-ref / --git-dir */
    const char *git_ref;
    const char *git_dir;
    bool allow_rewind;         /* apply: --allow-rewind */
    const char *expect_digest; /* apply: --expect-digest sha256:... */
    const char *diff_from;     /* diff: --from */
    const char *diff_to;       /* diff: --to */
    /* which files are read (docs/manifests.md "Where manifests come from") */
    struct cr_strlist excludes; /* --exclude GLOB (repeatable, gitignore syntax); owned */
    bool verbose;               /* --verbose: list the files skipped or excluded */
    bool allow_empty_prune;     /* --allow-empty-prune: prune although nothing (or not all) was read */
    struct cr_strlist targets;  /* --target NAME (repeatable, globs): only these pools; owned */
    /* the run lock (docs/locking.md): --lock, --lock-region, --lock-endpoint-url,
     * --lock-timeout, --lock-lease; COGNITO_RECONCILE_LOCK fills lock.url when --lock is not
     * given (cr_cli_lock_settings) */
    struct cr_lock_settings lock;
    bool no_lock; /* --no-lock: ignore the configured lock */
    bool force;   /* force-unlock: --force (no prompt) */
    /* watch (docs/watch.md) */
    const char *git_url;        /* --git-url */
    const char *git_branch;     /* --git-branch; NULL = main */
    const char *cache_dir;      /* --cache-dir; NULL = under $XDG_CACHE_HOME */
    uint64_t interval_ms;       /* --interval; 0 = 5 min */
    const char *drift_mode;     /* --drift repair|report */
    const char *listen;         /* --listen HOST:PORT, or "none" */
    const char *control_token;  /* --control-token (else COGNITO_RECONCILE_CONTROL_TOKEN) */
    const char *notify_url;     /* --notify */
    const char *log_format;     /* --log-format text|json */
    const char *git_username;   /* --git-username */
    const char *git_token_file; /* --git-token-file (else COGNITO_RECONCILE_GIT_TOKEN) */
    const char *git_ssh_key;    /* --git-ssh-key */
    /* --config FILE (docs/cli.md "Configuration file"): values read from it are owned here */
    const char *config_file;
    struct cr_strlist config_values;
    /* positional arguments (manifest files/folders, or a saved plan for apply); owned */
    struct cr_strlist paths;
};

/** Zeroes opts and sets the defaults (stack "default", parallelism 8, text output). */
void cr_cli_options_init(struct cr_cli_options *opts, enum cr_cli_verb verb);
/** Frees the lists held by opts. */
void cr_cli_options_dispose(struct cr_cli_options *opts);

/**
 * Parses argv (argv[0] is the subcommand name) into out, which must have been initialised
 * with cr_cli_options_init for the verb. Accepts `--opt VALUE`, `--opt=VALUE` and `--` to
 * end options. Returns 0, or CR_EINVALID for an unknown option, an option the verb does
 * not take, a missing or malformed value (the message names the option and suggests the
 * closest known one).
 */
int cr_cli_options_parse(struct cr_cli_options *out, int argc, char **argv) CR_WARN_UNUSED;

/** Prints the verb's usage and the options it accepts. */
void cr_cli_options_usage(FILE *fp, enum cr_cli_verb verb, const char *synopsis,
                          const char *description);

/** What a verb does once its options are parsed (and valid); returns the exit status. */
typedef int (*cr_cli_run_fn)(const struct cr_cli_options *opts);

/**
 * The entry every verb shares: parses argv for verb (a usage error exits 1 with the message),
 * prints the usage for --help (exit 0), turns --debug on, then returns run(opts).
 */
int cr_cli_main(enum cr_cli_verb verb, int argc, char **argv, const char *synopsis,
                const char *description, cr_cli_run_fn run);

/** One row of the option table, for generated help: shell completion, docs checks. */
struct cr_cli_option_info {
    const char *name;    /* "--region" */
    const char *metavar; /* "REGION"; NULL for a flag */
    const char *help;
    unsigned verbs;  /* mask of the enum cr_cli_verb values that accept it */
    bool repeatable; /* every occurrence counts (--id, --rate-limit) */
    bool is_output;  /* takes a cr_cli_output name */
};

/** The number of rows in the option table. */
size_t cr_cli_option_count(void);
/** Fills *out with row index (< cr_cli_option_count()); the strings are static. */
void cr_cli_option_get(struct cr_cli_option_info *out, size_t index);
/** "validate", "plan", ... for one verb; "?" for a value that is not a verb. Static string. */
const char *cr_cli_verb_name(enum cr_cli_verb verb);

/** "text", "json", "markdown", "junit". Static string. */
const char *cr_cli_output_name(enum cr_cli_output output);

/**
 * True when text output to fp should be coloured: fp is a terminal, NO_COLOR is unset or
 * empty, TERM is not "dumb", and --no-color was not given.
 */
bool cr_cli_use_color(const struct cr_cli_options *opts, FILE *fp);

struct cr_manifest_set;

/* ---- report.c: error codes to exit statuses and stderr text ---- */

/**
 * Prints the last error (cr_error_last) for code to stderr as "error: ..." with a hint
 * where one helps (credentials, stale plan, refused replacement) and returns the exit
 * status for it (CR_EXIT_ERROR).
 */
int cr_cli_fail(int code);

/** Prints "error: <formatted message>" to stderr and returns CR_EXIT_ERROR. */
int cr_cli_failf(const char *fmt, ...) CR_PRINTF(1, 2);

/**
 * Prints every diagnostic of set to stderr, one "file:line:column: message" line each, and a
 * last line when the set stopped collecting them. Returns 0, or CR_ENOMEM (error set).
 */
int cr_cli_print_diagnostics(const struct cr_manifest_set *set) CR_WARN_UNUSED;

/**
 * Prints every warning of set (an Account no pool names) to stderr, one "file:line:column:
 * warning: message" line each. Returns 0, or CR_ENOMEM (error set).
 */
int cr_cli_print_warnings(const struct cr_manifest_set *set) CR_WARN_UNUSED;

#endif
