/* SPDX-License-Identifier: Apache-2.0 */
/*
 * drift: the nightly check. Like plan, but the exit status always says whether the live
 * state matches the manifests: 0 in sync, 2 drift, 1 error. Replacements are shown, not
 * refused, since drift never changes anything.
 */
#include <stdio.h>

#include "cmd/cognito-reconcile/session.h"
#include "util/log.h"

static const char s_synopsis[] = "[options] PATH...";
static const char s_description[] =
    "Compares the live state with the manifests and reports every difference (a pool edited\n"
    "by hand, a missing pool, changed tags). Exits 2 when there is drift, 0 when there is\n"
    "none, 1 on error, whatever the options: made for a scheduled CI job.";

static int s_run(const struct cr_cli_options *opts)
{
    int result = -1;
    struct cr_cli_session s;
    cr_cli_session_init(&s, opts);
    int rc = cr_cli_session_plan(&s, true);
    if (rc == 0)
        rc = cr_cli_session_render(&s, stdout, true);
    if (rc != 0) {
        result = cr_cli_fail(rc);
        goto done;
    }
    if (cr_plan_is_empty(&s.plan)) {
        result = CR_EXIT_OK;
        goto done;
    }
    size_t n = 0;
    for (size_t i = 0; i < s.plan.n_pools; i++)
        if (s.plan.pools[i].action != CR_PLAN_NOOP)
            n++;
    cr_log_info("drift: %zu pool%s differ%s from the manifests (exit status 2)", n,
                n == 1 ? "" : "s", n == 1 ? "s" : "");
    result = CR_EXIT_CHANGES;
done:
    cr_cli_session_dispose(&s);
    return result;
}

int cr_cmd_drift(int argc, char **argv)
{
    return cr_cli_main(CR_CLI_DRIFT, argc, argv, s_synopsis, s_description, s_run);
}
