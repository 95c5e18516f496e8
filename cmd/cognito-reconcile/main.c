/* SPDX-License-Identifier: Apache-2.0 */
/* cognito-reconcile: declarative manager for Amazon Cognito identity pools. */
#include <stdio.h>
#include <string.h>
#include <sys/resource.h>

#include "cmd/cognito-reconcile/cmd.h"
#include "cr_version.h"
#include "util/strutil.h"

static const struct cr_command s_commands[] = {
    {"validate", "check manifests offline (no API call)", cr_cmd_validate},
    {"plan", "show the API calls apply would make", cr_cmd_plan},
    {"apply", "make the live state match the manifests (or apply a saved plan)", cr_cmd_apply},
    {"drift", "check the live state against the manifests (exit 2 on drift)", cr_cmd_drift},
    {"export", "write manifests for existing pools", cr_cmd_export},
    {"diff", "compare the manifests of two git revisions (offline, no credentials)", cr_cmd_diff},
    {"force-unlock", "release the run lock a killed apply left behind (docs/locking.md)",
     cr_cmd_force_unlock},
    {"watch", "follow a git branch and keep the pools in line with it (GitOps controller)",
     cr_cmd_watch},
    {"test", "check who gets which role: run IdentityPoolTest cases (offline, or --endpoint-url)",
     cr_cmd_test},
    {"completion", "print the shell completion script: bash, zsh or fish", cr_cmd_completion},
};

static void s_usage(FILE *out)
{
    fprintf(out, "usage: cognito-reconcile <command> [options] [PATH...]\n\ncommands:\n");
    for (size_t i = 0; i < sizeof(s_commands) / sizeof(s_commands[0]); i++)
        fprintf(out, "  %-12s %s\n", s_commands[i].name, s_commands[i].summary);
    fprintf(out, "\nrun 'cognito-reconcile help <command>' (or <command> --help) for its options.\n"
                 "exit status: 0 success and no changes, 1 error, 2 changes present.\n");
}

static int s_unknown_command(const char *name)
{
    if (name[0] == '-') { /* `cognito-reconcile --region X plan`, as the AWS CLI would take it */
        int rc = cr_cli_failf("'%s' before the command: options go after it, as in "
                              "'cognito-reconcile plan %s ...'",
                              name, name);
        s_usage(stderr);
        return rc;
    }
    const char *names[sizeof(s_commands) / sizeof(s_commands[0])];
    for (size_t i = 0; i < sizeof(s_commands) / sizeof(s_commands[0]); i++)
        names[i] = s_commands[i].name;
    const char *best = cr_str_suggest(name, names, sizeof(names) / sizeof(names[0]));
    if (best != NULL)
        fprintf(stderr, "error: unknown command '%s' (did you mean '%s'?)\n\n", name, best);
    else
        fprintf(stderr, "error: unknown command '%s'\n\n", name);
    s_usage(stderr);
    return CR_EXIT_ERROR;
}

static int s_help_command(const char *name)
{
    char help[] = "--help";
    for (size_t i = 0; i < sizeof(s_commands) / sizeof(s_commands[0]); i++) {
        if (strcmp(name, s_commands[i].name) != 0)
            continue;
        char *args[] = {(char *)s_commands[i].name, help, NULL};
        return s_commands[i].run(2, args);
    }
    return s_unknown_command(name);
}

const struct cr_command *cr_cmd_table(size_t *out_count)
{
    *out_count = sizeof(s_commands) / sizeof(s_commands[0]);
    return s_commands;
}

/* Every account and region is read and applied at once, each with up to --parallelism
 * connections: 3 accounts x 20 regions x 16 is more than the usual soft limit of 1,024 open
 * files. Raise the soft limit to the hard one, as the Go runtime and the JVM do; a failure
 * leaves the limit as it was (libcurl then reports which connection it could not open). */
static void s_raise_open_files(void)
{
    struct rlimit rl;
    if (getrlimit(RLIMIT_NOFILE, &rl) == 0 && rl.rlim_cur < rl.rlim_max) {
        rl.rlim_cur = rl.rlim_max;
        (void)setrlimit(RLIMIT_NOFILE, &rl);
    }
}

int main(int argc, char **argv)
{
    s_raise_open_files();
    if (argc < 2) {
        s_usage(stderr);
        return CR_EXIT_ERROR;
    }
    if (strcmp(argv[1], "--help") == 0 || strcmp(argv[1], "-h") == 0 ||
        (strcmp(argv[1], "help") == 0 && argc == 2)) {
        s_usage(stdout);
        return CR_EXIT_OK;
    }
    if (strcmp(argv[1], "help") == 0) /* `help CMD`: the command's own --help */
        return s_help_command(argv[2]);
    if (strcmp(argv[1], "--version") == 0 || strcmp(argv[1], "version") == 0) {
        printf("cognito-reconcile %s\n", CR_VERSION_FULL);
        return CR_EXIT_OK;
    }
    for (size_t i = 0; i < sizeof(s_commands) / sizeof(s_commands[0]); i++)
        if (strcmp(argv[1], s_commands[i].name) == 0)
            return s_commands[i].run(argc - 1, argv + 1);
    return s_unknown_command(argv[1]);
}
