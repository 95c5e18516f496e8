/* SPDX-License-Identifier: Apache-2.0 */
/*
 * The option parser shared by every subcommand: one table says which options exist, what
 * they take and which verbs accept them, so `--help`, error messages and parsing agree.
 */
#include <errno.h>
#include <stddef.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "aws/ratelimit.h"
#include "aws/s3.h"
#include "cmd/cognito-reconcile/cmd.h"
#include "cmd/cognito-reconcile/config.h"
#include "reconcile/live.h"
#include "schema/constraints.h"
#include "util/duration.h"
#include "util/log.h"
#include "util/strutil.h"

enum s_kind {
    S_FLAG,
    S_STRING,
    S_UINT,
    S_SECONDS,
    S_OUTPUT,
    S_LIST,
    S_RATE,
    S_DURATION, /* "30s", "10m": milliseconds */
    S_LEASE,    /* a duration of 1 s to 1 h */
    S_S3_URL,   /* s3://BUCKET/KEY */
    S_OFF_SWITCH, /* "on" or "off": a bool that is true for off */
    S_INTERVAL,   /* watch --interval: milliseconds, 100ms to 24h */
};

struct s_option {
    const char *name;    /* "--region" */
    const char *metavar; /* value placeholder for --help; NULL for flags */
    unsigned verbs;      /* CR_CLI_* mask of the verbs that accept it */
    enum s_kind kind;
    size_t offset; /* of the member in struct cr_cli_options */
    const char *help;
};

#define S_AWS    (CR_CLI_PLAN | CR_CLI_APPLY | CR_CLI_DRIFT | CR_CLI_EXPORT | CR_CLI_WATCH)
#define S_DIFF   (CR_CLI_PLAN | CR_CLI_APPLY | CR_CLI_DRIFT)
#define S_ALL    (CR_CLI_VALIDATE | S_AWS | CR_CLI_DIFF | CR_CLI_FORCE_UNLOCK | CR_CLI_TEST)
#define S_LOCK   (S_DIFF | CR_CLI_FORCE_UNLOCK | CR_CLI_WATCH)
#define S_RECON  (S_DIFF | CR_CLI_WATCH) /* what plans: plan, apply, drift, watch */
#define S_READ   (S_DIFF | CR_CLI_VALIDATE | CR_CLI_TEST) /* read manifests from disk or --git-ref */
#define S_OFF(m) offsetof(struct cr_cli_options, m)

static const struct s_option s_options[] = {
    {"--region", "REGION",
     S_AWS | CR_CLI_VALIDATE | CR_CLI_DIFF | CR_CLI_FORCE_UNLOCK | CR_CLI_TEST, S_STRING,
     S_OFF(region), "AWS region for manifests without metadata.region (default: AWS config)"},
    {"--profile", "NAME", S_AWS | CR_CLI_FORCE_UNLOCK | CR_CLI_TEST, S_STRING, S_OFF(profile),
     "named profile from the AWS config/credentials files"},
    {"--endpoint-url", "URL", S_AWS | CR_CLI_TEST, S_STRING, S_OFF(endpoint_url),
     "cognito-identity endpoint (e.g. a local emulator); test: run the cases against the pools "
     "deployed there (a cognito-identity-local, which mints the login tokens)"},
    {"--region-check", "on|off", S_AWS, S_OFF_SWITCH, S_OFF(region_check_off),
     "refuse regions this build does not know, before any call (default on; off for a region "
     "AWS opened since)"},
    {"--account-id", "ACCOUNT_ID", S_AWS, S_STRING, S_OFF(account_id),
     "the AWS account (12 digits) the credentials must be for, checked before any call for "
     "pools without metadata.account"},
    {"--stack", "NAME", S_AWS | CR_CLI_VALIDATE | CR_CLI_DIFF | CR_CLI_TEST, S_STRING,
     S_OFF(stack),
     "ownership stack: only pools tagged with it are managed (default: default)"},
    {"--output", "FORMAT", S_DIFF | CR_CLI_VALIDATE | CR_CLI_DIFF | CR_CLI_TEST, S_OUTPUT,
     S_OFF(output), "text, json or markdown (default: text); drift and test also junit"},
    {"--parallelism", "N", S_AWS, S_UINT, S_OFF(parallelism),
     "API calls in flight at once, 1-256 (default: 8)"},
    {"--timeout", "SECONDS", S_AWS | CR_CLI_FORCE_UNLOCK | CR_CLI_TEST, S_SECONDS,
     S_OFF(timeout_s),
     "give up on one API call attempt after SECONDS, 1-3600 (default: 30); retried when safe"},
    {"--rate-limit", "SPEC", S_AWS, S_RATE, S_OFF(rate_limits),
     "per-operation call rate: Op=RATE[:BURST],... (e.g. TagResource=2,*=20); repeatable, later "
     "entries win; also COGNITO_RECONCILE_RATE_LIMITS"},
    {"--prune", NULL, S_RECON, S_FLAG, S_OFF(prune),
     "delete owned pools that are no longer in the manifests"},
    {"--allow-empty-prune", NULL, S_RECON, S_FLAG, S_OFF(allow_empty_prune),
     "let --prune go ahead when no manifest was read, or when paths that may hold manifests were "
     "not read (links not followed, *.YAML): it then deletes their pools"},
    {"--target", "NAME", S_RECON, S_LIST, S_OFF(targets),
     "only the pools whose metadata.name matches NAME (a glob such as 'web-*'; repeatable): "
     "the others are neither changed, compared nor pruned"},
    {"--allow-replace", NULL, S_RECON, S_FLAG, S_OFF(allow_replace),
     "allow replacing a pool (destroys its identities) when an immutable field changes"},
    {"--require-tests", NULL, CR_CLI_PLAN | CR_CLI_APPLY, S_FLAG, S_OFF(require_tests),
     "an IdentityPoolTest case that the planned configuration fails is an error (exit 1, "
     "nothing applied), not a warning"},
    {"--auto-approve", NULL, CR_CLI_APPLY, S_FLAG, S_OFF(auto_approve),
     "apply without asking for confirmation"},
    {"--detailed-exitcode", NULL, CR_CLI_PLAN, S_FLAG, S_OFF(detailed_exitcode),
     "exit 2 when the plan has changes, 0 when it has none"},
    {"--out", "FILE", CR_CLI_PLAN | CR_CLI_EXPORT, S_STRING, S_OFF(out_file),
     "plan: save the plan to FILE for `apply FILE`; export: write YAML to FILE"},
    {"--all", NULL, CR_CLI_EXPORT, S_FLAG, S_OFF(all),
     "export every pool in the region, owned or not"},
    {"--id", "POOL_ID", CR_CLI_EXPORT, S_LIST, S_OFF(ids), "export this pool (repeatable)"},
    {"--account", "NAME", CR_CLI_EXPORT, S_LIST, S_OFF(accounts),
     "export the pools of this account (a kind: Account document in PATH; repeatable)"},
    /* Sources from git (design §6, docs/gitops.md): cmd/cognito-reconcile/sources.c reads them. */
    {"--git-ref", "REV", S_READ, S_STRING, S_OFF(git_ref),
     "read the manifests from this git revision (branch, tag, commit, HEAD~2), not the "
     "working tree"},
    {"--git-dir", "DIR", S_READ | CR_CLI_DIFF, S_STRING, S_OFF(git_dir),
     "the git repository (default: the one containing the current folder)"},
    {"--expect-digest", "DIGEST", CR_CLI_APPLY, S_STRING, S_OFF(expect_digest),
     "apply only the plan whose digest is DIGEST (sha256:..., printed by plan): the reviewed one"},
    {"--allow-rewind", NULL, CR_CLI_APPLY | CR_CLI_WATCH, S_FLAG, S_OFF(allow_rewind),
     "apply even when a pool was last applied from a revision this one does not descend from"},
    {"--from", "REV", CR_CLI_DIFF, S_STRING, S_OFF(diff_from), "diff: the old revision"},
    {"--to", "REV", CR_CLI_DIFF, S_STRING, S_OFF(diff_to),
     "diff: the new revision (default: HEAD)"},
    /* The run lock (docs/locking.md): cmd/cognito-reconcile/lock.c. */
    {"--lock", "URL", S_LOCK, S_S3_URL, S_OFF(lock.url),
     "apply holds a lease in this S3 object (s3://BUCKET/KEY) so applies never overlap; plan "
     "and drift only say when it is held; also COGNITO_RECONCILE_LOCK"},
    {"--lock-timeout", "DURATION", CR_CLI_APPLY, S_DURATION, S_OFF(lock.timeout_ms),
     "wait up to DURATION for a held lock (30s, 10m, 1h; default 0s: fail at once, naming the "
     "holder)"},
    {"--lock-lease", "DURATION", CR_CLI_APPLY | CR_CLI_WATCH, S_LEASE, S_OFF(lock.lease_ms),
     "lease length, renewed every third of it; a killed run's lock is taken over once it "
     "expired (default 2m, 1s to 1h)"},
    {"--lock-region", "REGION", S_LOCK, S_STRING, S_OFF(lock.region),
     "region of the lock's bucket (default: the default region)"},
    {"--lock-endpoint-url", "URL", S_LOCK, S_STRING, S_OFF(lock.endpoint_url),
     "S3 endpoint for the lock, path-style (e.g. the local emulator); else AWS_ENDPOINT_URL_S3, "
     "AWS_ENDPOINT_URL; --endpoint-url is cognito-identity's only"},
    {"--no-lock", NULL, S_RECON, S_FLAG, S_OFF(no_lock),
     "ignore the lock COGNITO_RECONCILE_LOCK configures (applies may then overlap)"},
    {"--force", NULL, CR_CLI_FORCE_UNLOCK, S_FLAG, S_OFF(force),
     "force-unlock without asking for confirmation"},
    /* watch: the GitOps controller (docs/watch.md, cmd/cognito-reconcile/cmd_watch.c). */
    {"--git-url", "URL", CR_CLI_WATCH, S_STRING, S_OFF(git_url),
     "the repository to follow: file://, git://, http(s):// or ssh:// (required)"},
    {"--git-branch", "BRANCH", CR_CLI_WATCH, S_STRING, S_OFF(git_branch),
     "the branch to follow (default: main)"},
    {"--cache-dir", "DIR", CR_CLI_WATCH, S_STRING, S_OFF(cache_dir),
     "where the fetched repository is kept (default: under $XDG_CACHE_HOME or ~/.cache)"},
    {"--interval", "DURATION", CR_CLI_WATCH, S_INTERVAL, S_OFF(interval_ms),
     "fetch and reconcile every DURATION, 100ms to 24h (default: 5m)"},
    {"--drift", "MODE", CR_CLI_WATCH, S_STRING, S_OFF(drift_mode),
     "repair (default: apply what differs) or report (plan only, never write)"},
    {"--listen", "ADDR", CR_CLI_WATCH, S_STRING, S_OFF(listen),
     "HTTP endpoints (/healthz, /readyz, /status, /metrics, POST /reconcile) on HOST:PORT "
     "(default: 127.0.0.1:9464; none: no server)"},
    {"--control-token", "TOKEN", CR_CLI_WATCH, S_STRING, S_OFF(control_token),
     "POST /reconcile needs 'Authorization: Bearer TOKEN' (better: COGNITO_RECONCILE_CONTROL_TOKEN, "
     "which ps does not show)"},
    {"--notify", "URL", CR_CLI_WATCH, S_STRING, S_OFF(notify_url),
     "POST a JSON event (applied, drift, failures, lease changes) to this webhook"},
    {"--log-format", "FORMAT", CR_CLI_WATCH, S_STRING, S_OFF(log_format),
     "text (default) or json: one JSON object per line on stderr"},
    {"--git-username", "NAME", CR_CLI_WATCH, S_STRING, S_OFF(git_username),
     "user name sent with the token to an http(s) remote (default: git)"},
    {"--git-token-file", "FILE", CR_CLI_WATCH, S_STRING, S_OFF(git_token_file),
     "read the http(s) token or password from FILE (else COGNITO_RECONCILE_GIT_TOKEN)"},
    {"--git-ssh-key", "FILE", CR_CLI_WATCH, S_STRING, S_OFF(git_ssh_key),
     "private key for an ssh remote (else the ssh agent); the host must be in "
     "~/.ssh/known_hosts"},
    /* Which files are manifests (docs/manifests.md): cmd/cognito-reconcile/sources.c. */
    {"--exclude", "GLOB", S_READ | CR_CLI_WATCH | CR_CLI_DIFF, S_LIST, S_OFF(excludes),
     "leave out paths matching GLOB (gitignore syntax, relative to the current folder; "
     "repeatable); .cognito-reconcile-ignore files work the same way"},
    {"--verbose", NULL, S_READ | CR_CLI_WATCH | CR_CLI_DIFF, S_FLAG, S_OFF(verbose),
     "list the files that were skipped (not manifests, not read) or excluded, and why"},
    {"--config", "FILE", S_ALL, S_STRING, S_OFF(config_file),
     "read options from this YAML file (keys are the long option names: 'stack: prod'); the "
     "command line wins"},
    {"--debug", NULL, S_ALL, S_FLAG, S_OFF(debug), "log every API call (redacted) to stderr"},
    {"--quiet", NULL, S_AWS, S_FLAG, S_OFF(quiet),
     "no progress and no per-call lines on stderr (errors and warnings still)"},
    {"--no-color", NULL, S_ALL, S_FLAG, S_OFF(no_color), "never colour the output"},
    {"--help", NULL, S_ALL, S_FLAG, S_OFF(help), "show this help"},
};

#define S_N_OPTIONS (sizeof(s_options) / sizeof(s_options[0]))

static const char *s_verb_name(enum cr_cli_verb verb)
{
    switch (verb) {
    case CR_CLI_VALIDATE:
        return "validate";
    case CR_CLI_PLAN:
        return "plan";
    case CR_CLI_APPLY:
        return "apply";
    case CR_CLI_DRIFT:
        return "drift";
    case CR_CLI_EXPORT:
        return "export";
    case CR_CLI_DIFF:
        return "diff";
    case CR_CLI_FORCE_UNLOCK:
        return "force-unlock";
    case CR_CLI_WATCH:
        return "watch";
    case CR_CLI_TEST:
        return "test";
    default:
        return "?";
    }
}

const char *cr_cli_output_name(enum cr_cli_output output)
{
    switch (output) {
    case CR_CLI_OUTPUT_TEXT:
        return "text";
    case CR_CLI_OUTPUT_JSON:
        return "json";
    case CR_CLI_OUTPUT_MARKDOWN:
        return "markdown";
    case CR_CLI_OUTPUT_JUNIT:
        return "junit";
    default:
        return "?";
    }
}

void cr_cli_options_init(struct cr_cli_options *opts, enum cr_cli_verb verb)
{
    memset(opts, 0, sizeof(*opts));
    opts->verb = verb;
    opts->stack = CR_CLI_DEFAULT_STACK;
    opts->parallelism = CR_CLI_DEFAULT_PARALLELISM;
    opts->output = CR_CLI_OUTPUT_TEXT;
}

void cr_cli_options_dispose(struct cr_cli_options *opts)
{
    free(opts->rate_limits);
    opts->rate_limits = NULL;
    cr_strlist_dispose(&opts->ids);
    cr_strlist_dispose(&opts->accounts);
    cr_strlist_dispose(&opts->excludes);
    cr_strlist_dispose(&opts->targets);
    cr_strlist_dispose(&opts->paths);
    cr_strlist_dispose(&opts->config_values);
}

static const struct s_option *s_find(const char *name, size_t name_len)
{
    for (size_t i = 0; i < S_N_OPTIONS; i++)
        if (strlen(s_options[i].name) == name_len &&
            strncmp(s_options[i].name, name, name_len) == 0)
            return &s_options[i];
    return NULL;
}

static int s_unknown(const char *arg, size_t name_len, enum cr_cli_verb verb)
{
    char name[128];
    const char *candidates[S_N_OPTIONS];
    size_t n = 0;
    snprintf(name, sizeof(name), "%.*s", (int)name_len, arg);
    for (size_t i = 0; i < S_N_OPTIONS; i++)
        if (s_options[i].verbs & verb)
            candidates[n++] = s_options[i].name;
    const char *best = cr_str_suggest(name, candidates, n);
    if (best != NULL)
        cr_error_set("%s: unknown option '%s' (did you mean '%s'?)", s_verb_name(verb), name, best);
    else
        cr_error_set("%s: unknown option '%s' (see 'cognito-reconcile %s --help')",
                     s_verb_name(verb), name, s_verb_name(verb));
    return CR_EINVALID;
}

static int s_parse_uint(unsigned *out, const char *name, const char *value, unsigned max)
{
    char *end = NULL;
    errno = 0;
    unsigned long v = strtoul(value, &end, 10);
    if (value[0] < '0' || value[0] > '9' || *end != '\0' || errno != 0 || v < 1 || v > max) {
        cr_error_set("%s: expected a whole number from 1 to %u, got '%s'", name, max, value);
        return CR_EINVALID;
    }
    *out = (unsigned)v;
    return 0;
}

/* A duration in milliseconds: "30s", "10m", "1h30m", "500ms", or a bare number of seconds (as
 * Terraform's -lock-timeout takes Go durations). min_ms..max_ms. */
static int s_parse_duration(uint32_t *out, const char *name, const char *value, uint32_t min_ms,
                            uint32_t max_ms)
{
    static const struct {
        const char *unit;
        uint64_t ms;
    } units[] = {{"ms", 1}, {"s", 1000}, {"m", 60000}, {"h", 3600000}};
    uint64_t total = 0;
    const char *p = value;
    do {
        char *end = NULL;
        errno = 0;
        unsigned long long n = strtoull(p, &end, 10);
        size_t k = 0, len = 0;
        for (; end != p && k < sizeof(units) / sizeof(units[0]); k++) {
            len = strlen(units[k].unit);
            if (strncmp(end, units[k].unit, len) == 0) /* "ms" is tried before "m" */
                break;
        }
        bool unitless = end != p && *end == '\0' && p == value;
        if (end == p || p[0] < '0' || p[0] > '9' || errno != 0 || n > max_ms ||
            (k == sizeof(units) / sizeof(units[0]) && !unitless))
            goto bad;
        total += unitless ? n * 1000 : n * units[k].ms;
        p = unitless ? end : end + len;
        if (total > max_ms)
            goto bad;
    } while (*p != '\0');
    if (total < min_ms)
        goto bad;
    *out = (uint32_t)total;
    return 0;
bad:
    cr_error_set("%s: expected a duration from %.3gs to %.3gh such as 30s, 10m or 1h30m, got '%s'",
                 name, min_ms / 1000.0, max_ms / 3600000.0, value);
    return CR_EINVALID;
}

static int s_parse_output(enum cr_cli_output *out, const char *name, const char *value,
                          enum cr_cli_verb verb)
{
    static const char *const names[] = {"text", "json", "markdown", "junit"};
    for (size_t i = 0; i < sizeof(names) / sizeof(names[0]); i++) {
        if (strcmp(value, names[i]) != 0)
            continue;
        if ((enum cr_cli_output)i == CR_CLI_OUTPUT_JUNIT && verb != CR_CLI_DRIFT &&
            verb != CR_CLI_TEST) {
            cr_error_set("%s: --output junit is only for drift and test", s_verb_name(verb));
            return CR_EINVALID;
        }
        if ((enum cr_cli_output)i == CR_CLI_OUTPUT_MARKDOWN &&
            (verb == CR_CLI_VALIDATE || verb == CR_CLI_TEST)) {
            cr_error_set("%s writes text, json%s, not markdown", s_verb_name(verb),
                         verb == CR_CLI_TEST ? " or junit" : "");
            return CR_EINVALID;
        }
        *out = (enum cr_cli_output)i;
        return 0;
    }
    const char *best = cr_str_suggest(value, names, sizeof(names) / sizeof(names[0]));
    cr_error_set("%s: unknown format '%s' (expected text, json, markdown or junit%s%s%s)", name,
                 value, best ? "; did you mean '" : "", best ? best : "", best ? "'?" : "");
    return CR_EINVALID;
}

/* Checks one --rate-limit spec now (a usage error, before any work) and appends it. */
static int s_add_rate_limit(char **joined, const char *name, const char *value)
{
    double rates[CR_OP_COUNT] = {0}, bursts[CR_OP_COUNT] = {0};
    int rc = cr_ratelimit_parse_spec(rates, bursts, value, name);
    if (rc < 0)
        return rc;
    size_t old = *joined != NULL ? strlen(*joined) : 0;
    char *grown = realloc(*joined, old + strlen(value) + 2);
    if (grown == NULL) {
        cr_error_set("out of memory");
        return CR_ENOMEM;
    }
    snprintf(grown + old, strlen(value) + 2, "%s%s", old > 0 ? "," : "", value);
    *joined = grown;
    return 0;
}

static int s_store(struct cr_cli_options *opts, const struct s_option *opt, const char *value)
{
    char *member = (char *)opts + opt->offset;
    if ((opt->kind == S_STRING || opt->kind == S_S3_URL) && value[0] == '\0') {
        cr_error_set("%s: the value must not be empty", opt->name);
        return CR_EINVALID;
    }
    switch (opt->kind) {
    case S_FLAG:
        *(bool *)member = true;
        return 0;
    case S_STRING:
        if (opt->offset == S_OFF(stack)) {
            /* written as a tag value: what the service would refuse is refused here, before
             * anything is read or planned (with the config file's position when from there) */
            const char *bad = !cr_utf8_valid(value, strlen(value))
                                  ? "not valid UTF-8"
                                  : cr_constraint_check_string(cr_shape_find("TagValueType"),
                                                               value, strlen(value));
            if (bad != NULL) {
                cr_error_set("%s: the stack is the value of the tag " CR_TAG_STACK ": %s",
                             opt->name, bad);
                return CR_EINVALID;
            }
        }
        *(const char **)member = value;
        return 0;
    case S_S3_URL: {
        struct cr_s3_location loc;
        int rc = cr_s3_location_parse(&loc, value, opt->name);
        cr_s3_location_dispose(&loc);
        if (rc == 0)
            *(const char **)member = value;
        return rc;
    }
    case S_UINT:
        return s_parse_uint((unsigned *)member, opt->name, value, CR_CLI_MAX_PARALLELISM);
    case S_SECONDS:
        return s_parse_uint((unsigned *)member, opt->name, value, 3600);
    case S_DURATION:
        return s_parse_duration((uint32_t *)member, opt->name, value, 0, 24u * 3600000u);
    case S_LEASE:
        return s_parse_duration((uint32_t *)member, opt->name, value, CR_LOCK_MIN_LEASE_MS,
                                3600000u);
    case S_INTERVAL:
        return cr_duration_parse((uint64_t *)member, value, opt->name, 100, 24u * 3600000u);
    case S_OUTPUT:
        return s_parse_output((enum cr_cli_output *)member, opt->name, value, opts->verb);
    case S_RATE:
        return s_add_rate_limit((char **)member, opt->name, value);
    case S_OFF_SWITCH:
        if (strcmp(value, "on") != 0 && strcmp(value, "off") != 0) {
            cr_error_set("%s: expected on or off, got '%s'", opt->name, value);
            return CR_EINVALID;
        }
        *(bool *)member = strcmp(value, "off") == 0;
        return 0;
    case S_LIST:
        if (cr_strlist_push((struct cr_strlist *)member, value) != 0) {
            cr_error_set("out of memory");
            return CR_ENOMEM;
        }
        return 0;
    default:
        cr_error_set("%s: internal error: unknown option kind", opt->name);
        return CR_ERROR;
    }
}

/* One option at argv[*i]; advances *i past a separate value. */
static int s_parse_one(struct cr_cli_options *opts, int argc, char **argv, int *i)
{
    const char *arg = argv[*i];
    const char *eq = strchr(arg, '=');
    size_t name_len = eq ? (size_t)(eq - arg) : strlen(arg);
    const struct s_option *opt =
        strcmp(arg, "-h") == 0 ? s_find("--help", 6) : s_find(arg, name_len);
    if (opt == NULL || !(opt->verbs & opts->verb)) {
        if (opt != NULL) {
            cr_error_set("%s: option '%s' does not apply to %s", s_verb_name(opts->verb), opt->name,
                         s_verb_name(opts->verb));
            return CR_EINVALID;
        }
        return s_unknown(arg, name_len, opts->verb);
    }
    if (opt->metavar == NULL) {
        if (eq != NULL) {
            cr_error_set("%s: this option takes no value (got '%s')", opt->name, arg);
            return CR_EINVALID;
        }
        return s_store(opts, opt, "");
    }
    if (eq != NULL)
        return s_store(opts, opt, eq + 1);
    if (*i + 1 >= argc) {
        cr_error_set("%s: missing value (%s %s)", opt->name, opt->name, opt->metavar);
        return CR_EINVALID;
    }
    *i += 1;
    return s_store(opts, opt, argv[*i]);
}

/* ---- --config FILE (cmd/cognito-reconcile/config.h) ---- */

/* Environment variables that stand for an option: set, they win over the file's key (the
 * order is command line > environment > configuration file > default). */
static const struct {
    const char *key;
    const char *env;
} s_env_keys[] = {
    {"rate-limit", "COGNITO_RECONCILE_RATE_LIMITS"},
    {"control-token", "COGNITO_RECONCILE_CONTROL_TOKEN"},
};

static bool s_env_overrides(const char *key)
{
    for (size_t i = 0; i < sizeof(s_env_keys) / sizeof(s_env_keys[0]); i++) {
        const char *v = strcmp(key, s_env_keys[i].key) == 0 ? getenv(s_env_keys[i].env) : NULL;
        if (v != NULL && v[0] != '\0')
            return true;
    }
    return false;
}

/* A flag's value in the file: YAML's true/false. */
static int s_config_flag(bool *out, const char *value)
{
    static const char *const yes[] = {"true", "True", "TRUE"};
    static const char *const no[] = {"false", "False", "FALSE"};
    for (size_t i = 0; i < 3; i++) {
        if (strcmp(value, yes[i]) == 0 || strcmp(value, no[i]) == 0) {
            *out = strcmp(value, yes[i]) == 0;
            return 0;
        }
    }
    cr_error_set("expected true or false, got '%s'", value);
    return CR_EINVALID;
}

/* The key unknown to every subcommand: the message suggests the closest option name. */
static int s_config_unknown(const struct cr_cli_config_entry *e)
{
    const char *names[S_N_OPTIONS + 1];
    size_t n = 0;
    for (size_t i = 0; i < S_N_OPTIONS; i++)
        if (strcmp(s_options[i].name, "--config") != 0 && strcmp(s_options[i].name, "--help") != 0)
            names[n++] = s_options[i].name + 2;
    names[n++] = "paths";
    const char *best = cr_str_suggest(e->key, names, n);
    cr_error_set("unknown option '%s'%s%s%s", e->key, best ? " (did you mean '" : "",
                 best ? best : "", best ? "'?)" : " (keys are the long option names)");
    return CR_EINVALID;
}

/* One value of an option, copied into opts (values are borrowed like argv's). */
static int s_config_store(struct cr_cli_options *opts, const struct s_option *opt,
                          const char *value)
{
    if (cr_strlist_push(&opts->config_values, value) != 0) {
        cr_error_set("out of memory");
        return CR_ENOMEM;
    }
    const char *copy = opts->config_values.items[opts->config_values.len - 1];
    if (opt->kind == S_FLAG)
        return s_config_flag((bool *)((char *)opts + opt->offset), copy);
    return s_store(opts, opt, copy);
}

static int s_config_entry(struct cr_cli_options *opts, const struct cr_cli_config_entry *e,
                          bool *from_config)
{
    if (strcmp(e->key, "paths") == 0) {
        for (size_t i = 0; i < e->values.len; i++)
            if (cr_strlist_push(&opts->paths, e->values.items[i]) != 0) {
                cr_error_set("out of memory");
                return CR_ENOMEM;
            }
        return 0;
    }
    char name[128];
    snprintf(name, sizeof(name), "--%s", e->key);
    const struct s_option *opt = s_find(name, strlen(name));
    if (opt == NULL)
        return s_config_unknown(e);
    if (strcmp(e->key, "config") == 0 || strcmp(e->key, "help") == 0) {
        cr_error_set("'%s' cannot be set in the configuration file", e->key);
        return CR_EINVALID;
    }
    if (!(opt->verbs & opts->verb)) /* one file serves every subcommand: not this one's */
        return 0;
    if (s_env_overrides(e->key))
        return 0;
    bool repeatable = opt->kind == S_LIST || opt->kind == S_RATE;
    if (e->is_list && !repeatable) {
        cr_error_set("'%s' takes one value, not a list", e->key);
        return CR_EINVALID;
    }
    for (size_t i = 0; i < e->values.len; i++) {
        int rc = s_config_store(opts, opt, e->values.items[i]);
        if (rc != 0)
            return rc;
    }
    from_config[opt - s_options] = true;
    return 0;
}

/* Reads the file --config names (if any) into out, before the command line is parsed. */
static int s_load_config(struct cr_cli_options *out, int argc, char **argv, bool *from_config,
                         bool *paths_from_config)
{
    const char *path = NULL;
    for (int i = 1; i < argc && strcmp(argv[i], "--") != 0; i++) {
        if (strncmp(argv[i], "--config=", 9) == 0)
            path = argv[i] + 9;
        else if (strcmp(argv[i], "--config") == 0 && i + 1 < argc)
            path = argv[++i];
    }
    if (path == NULL || path[0] == '\0')
        return 0; /* a missing or empty value is reported by the command-line pass */
    struct cr_cli_config cfg = {0};
    int rc = cr_cli_config_read(&cfg, path);
    for (size_t i = 0; rc == 0 && i < cfg.len; i++) {
        rc = s_config_entry(out, &cfg.entries[i], from_config);
        if (rc == CR_EINVALID)
            cr_error_prefix("%s:%u:%u", path, cfg.entries[i].line, cfg.entries[i].column);
    }
    *paths_from_config = out->paths.len > 0;
    cr_cli_config_dispose(&cfg);
    return rc;
}

/* The command line gives a repeatable option the file gave too: the command line's values
 * replace the file's. */
static void s_forget_config_values(struct cr_cli_options *opts, const struct s_option *opt)
{
    char *member = (char *)opts + opt->offset;
    if (opt->kind == S_LIST) {
        cr_strlist_dispose((struct cr_strlist *)member);
    } else if (opt->kind == S_RATE) {
        free(*(char **)member);
        *(char **)member = NULL;
    }
}

int cr_cli_options_parse(struct cr_cli_options *out, int argc, char **argv)
{
    bool only_paths = false;
    bool from_config[S_N_OPTIONS] = {0};
    bool paths_from_config = false;
    int rc = s_load_config(out, argc, argv, from_config, &paths_from_config);
    if (rc != 0)
        return rc;
    for (int i = 1; i < argc; i++) {
        const char *arg = argv[i];
        if (!only_paths && strcmp(arg, "--") == 0) {
            only_paths = true;
            continue;
        }
        if (!only_paths && arg[0] == '-' && arg[1] != '\0') {
            const char *eq = strchr(arg, '=');
            const struct s_option *opt = s_find(arg, eq ? (size_t)(eq - arg) : strlen(arg));
            if (opt != NULL && from_config[opt - s_options]) {
                s_forget_config_values(out, opt);
                from_config[opt - s_options] = false;
            }
            rc = s_parse_one(out, argc, argv, &i);
            if (rc != 0)
                return rc;
            continue;
        }
        if (paths_from_config) { /* PATH arguments replace the file's paths */
            cr_strlist_dispose(&out->paths);
            paths_from_config = false;
        }
        if (cr_strlist_push(&out->paths, arg) != 0) {
            cr_error_set("out of memory");
            return CR_ENOMEM;
        }
    }
    /* "-": the manifests come from standard input, which then cannot answer apply's prompt. */
    if (out->verb == CR_CLI_APPLY && cr_strlist_contains(&out->paths, "-") && !out->auto_approve &&
        !out->help) {
        cr_error_set("apply -: standard input holds the manifests, so it cannot also answer the "
                     "confirmation prompt; review them with plan - and pass --auto-approve, or "
                     "save the plan (plan - --out plan.json) and apply that");
        return CR_EINVALID;
    }
    if (out->no_lock && out->lock.url && !out->help) {
        cr_error_set("--lock and --no-lock contradict each other");
        return CR_EINVALID;
    }
    if (out->account_id != NULL &&
        (strlen(out->account_id) != 12 || strspn(out->account_id, "0123456789") != 12)) {
        cr_error_set("--account-id: '%s' is not an AWS account id (12 digits)", out->account_id);
        return CR_EINVALID;
    }
    /* No PATH reads the current folder: run from the wrong one (or with an empty $VAR for
     * the path in a CI script) and --prune would delete every pool the stack owns. */
    if (out->prune && out->paths.len == 0 && !out->help) {
        cr_error_set("--prune needs an explicit PATH: without one the current folder is read, "
                     "and from the wrong folder --prune deletes every pool of stack '%s' "
                     "(write . for the current folder)",
                     out->stack);
        return CR_EINVALID;
    }
    return 0;
}

/* "  --name VALUE           help text" with the help wrapped to 100 columns. */
static void s_print_wrapped(FILE *fp, const char *left, const char *help)
{
    enum { INDENT = 25, WIDTH = 100 };
    fprintf(fp, "  %-22s ", left);
    size_t col = INDENT;
    const char *p = help;
    while (*p != '\0') {
        size_t word = strcspn(p, " ");
        if (col > INDENT && col + 1 + word > WIDTH) {
            fprintf(fp, "\n%*s", INDENT, "");
            col = INDENT;
        } else if (col > INDENT) {
            fputc(' ', fp);
            col++;
        }
        fprintf(fp, "%.*s", (int)word, p);
        col += word;
        p += word;
        p += strspn(p, " ");
    }
    fputc('\n', fp);
}

/* "text, json or markdown (default: text)": the formats verb's --output takes, asked from the
 * parser itself so the help cannot list one it refuses. */
static void s_output_help(char *out, size_t cap, enum cr_cli_verb verb)
{
    static const char *const names[] = {"text", "json", "markdown", "junit"};
    const char *ok[4];
    size_t n = 0;
    for (size_t i = 0; i < sizeof(names) / sizeof(names[0]); i++) {
        enum cr_cli_output parsed;
        if (s_parse_output(&parsed, "--output", names[i], verb) == 0)
            ok[n++] = names[i];
    }
    cr_error_clear();
    size_t len = 0;
    out[0] = '\0';
    for (size_t i = 0; i < n && len < cap; i++)
        len += (size_t)snprintf(out + len, cap - len, "%s%s", i == 0 ? "" : i + 1 == n ? " or " : ", ",
                                ok[i]);
    if (len < cap)
        snprintf(out + len, cap - len, " (default: text)");
}

void cr_cli_options_usage(FILE *fp, enum cr_cli_verb verb, const char *synopsis,
                          const char *description)
{
    char formats[128];
    fprintf(fp, "usage: cognito-reconcile %s %s\n\n%s\n\noptions:\n", s_verb_name(verb), synopsis,
            description);
    for (size_t i = 0; i < S_N_OPTIONS; i++) {
        const struct s_option *opt = &s_options[i];
        if (!(opt->verbs & verb))
            continue;
        char left[64];
        snprintf(left, sizeof(left), "%s%s%s", opt->name, opt->metavar ? " " : "",
                 opt->metavar ? opt->metavar : "");
        if (opt->kind == S_OUTPUT)
            s_output_help(formats, sizeof(formats), verb);
        s_print_wrapped(fp, left, opt->kind == S_OUTPUT ? formats : opt->help);
    }
    fprintf(fp, "\nexit status: 0 success and no changes, 1 error, 2 changes present\n"
                "(plan --detailed-exitcode, drift).\n");
}

bool cr_cli_use_color(const struct cr_cli_options *opts, FILE *fp)
{
    if (opts->no_color)
        return false;
    const char *no_color = getenv("NO_COLOR");
    if (no_color != NULL && no_color[0] != '\0')
        return false;
    const char *term = getenv("TERM");
    if (term != NULL && strcmp(term, "dumb") == 0)
        return false;
    return isatty(fileno(fp)) == 1;
}

int cr_cli_main(enum cr_cli_verb verb, int argc, char **argv, const char *synopsis,
                const char *description, cr_cli_run_fn run)
{
    int result = CR_EXIT_ERROR;
    struct cr_cli_options opts;
    cr_cli_options_init(&opts, verb);
    int rc = cr_cli_options_parse(&opts, argc, argv);
    if (rc != 0) {
        result = cr_cli_fail(rc);
        goto done;
    }
    if (opts.help) {
        cr_cli_options_usage(stdout, verb, synopsis, description);
        result = CR_EXIT_OK;
        goto done;
    }
    cr_log_set_debug(opts.debug);
    result = run(&opts);
done:
    cr_cli_options_dispose(&opts);
    return result;
}

/* ---- the table, read by `completion` (cmd_completion.c) ---- */

size_t cr_cli_option_count(void)
{
    return S_N_OPTIONS;
}

void cr_cli_option_get(struct cr_cli_option_info *out, size_t index)
{
    const struct s_option *opt = &s_options[index];
    out->name = opt->name;
    out->metavar = opt->metavar;
    out->help = opt->help;
    out->verbs = opt->verbs;
    out->repeatable = opt->kind == S_LIST || opt->kind == S_RATE;
    out->is_output = opt->kind == S_OUTPUT;
}

const char *cr_cli_verb_name(enum cr_cli_verb verb)
{
    return s_verb_name(verb);
}
