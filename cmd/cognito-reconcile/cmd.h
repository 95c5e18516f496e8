#ifndef CR_CMD_H
#define CR_CMD_H
/*
 * Subcommands. Each returns the process exit status: 0 success (no changes), 1 error,
 * 2 changes present (plan --detailed-exitcode, drift). Only cmd/ maps error codes to exit
 * statuses and stderr text.
 */

enum { CR_EXIT_OK = 0, CR_EXIT_ERROR = 1, CR_EXIT_CHANGES = 2 };

struct cr_command {
    const char *name;
    const char *summary;
    int (*run)(int argc, char **argv); /* argv[0] is the subcommand name */
};

int cr_cmd_validate(int argc, char **argv);

#endif
