/* SPDX-License-Identifier: Apache-2.0 */
/*
 * plan: what apply would do. Exit 0 (or 2 with --detailed-exitcode when there are changes),
 * 1 on any error; invalid manifests stop before any API call.
 */
#include <stdio.h>
#include <string.h>

#include "cmd/cognito-reconcile/session.h"
#include "util/log.h"

static const char s_synopsis[] = "[options] PATH...";
static const char s_description[] =
    "Reads the manifests (files or folders) and the live state of the pools they manage, and\n"
    "shows the API calls apply would make, and the plan's digest. With --out FILE the plan\n"
    "is saved for `cognito-reconcile apply FILE [--expect-digest DIGEST]`, which refuses it\n"
    "if the live state changes meanwhile or the file was edited.";

static int s_run(const struct cr_cli_options *opts)
{
    /* apply tells a saved plan from manifests by its name: another name would be read as
     * manifests there, found to hold none, and "applied" as an empty plan */
    size_t n = opts->out_file != NULL ? strlen(opts->out_file) : 0;
    if (opts->out_file != NULL && (n <= 5 || strcmp(opts->out_file + n - 5, ".json") != 0))
        return cr_cli_failf("--out %s: a saved plan's name must end in .json (apply FILE "
                            "reads any other name as manifests)",
                            opts->out_file);
    int result = -1;
    struct cr_cli_session s;
    cr_cli_session_init(&s, opts);
    int rc = cr_cli_session_plan(&s, false);
    if (rc == 0)
        rc = cr_cli_session_render(&s, stdout, false);
    if (rc == 0)
        rc = cr_cli_session_check_access(&s);
    if (rc == 0 && opts->out_file != NULL) {
        char digest[CR_PLAN_DIGEST_LEN + 1];
        rc = cr_plan_save(&s.plan, opts->out_file);
        if (rc == 0)
            rc = cr_plan_digest(digest, &s.plan);
        if (rc == 0)
            cr_log_info("saved the plan to %s; apply it with: cognito-reconcile apply %s "
                        "--expect-digest %s",
                        opts->out_file, opts->out_file, digest);
    }
    if (rc != 0) {
        result = cr_cli_fail(rc);
        goto done;
    }
    result = opts->detailed_exitcode && !cr_plan_is_empty(&s.plan) ? CR_EXIT_CHANGES : CR_EXIT_OK;
done:
    cr_cli_session_dispose(&s);
    return result;
}

int cr_cmd_plan(int argc, char **argv)
{
    return cr_cli_main(CR_CLI_PLAN, argc, argv, s_synopsis, s_description, s_run);
}
