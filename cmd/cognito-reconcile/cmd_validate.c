/* validate: placeholder until the schema module lands (replaced by the schema work). */
#include <stdio.h>

#include "cmd/cognito-reconcile/cmd.h"

int cr_cmd_validate(int argc, char **argv)
{
    (void)argc, (void)argv;
    fprintf(stderr, "cognito-reconcile: validate is being built\n");
    return CR_EXIT_ERROR;
}
