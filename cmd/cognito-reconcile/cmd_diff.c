/* SPDX-License-Identifier: Apache-2.0 */
/*
 * diff: compares the manifests of two git revisions, for code review. Offline: no
 * credentials, no network, no AWS configuration needed.
 *
 * This file loads each revision's manifests (cr_cmd_load_sources), hands the two desired
 * states to the comparison (reconcile/compare.h, pure), and prints it with the renderer the
 * options choose (reconcile/render.h). Exit status: 0 no differences, 2 differences, 1 error.
 */
#include <stdio.h>
#include <string.h>

#include "aws/config.h"
#include "cmd/cognito-reconcile/cmd.h"
#include "cmd/cognito-reconcile/sources.h"
#include "reconcile/compare.h"
#include "reconcile/desired.h"
#include "reconcile/render.h"
#include "schema/manifest.h"
#include "util/buf.h"
#include "util/log.h"

#define S_DEFAULT_REGION "(default region)"

static const char s_synopsis[] = "--from REV [--to REV] [options] [PATH...]";
static const char s_description[] =
    "Compares the IdentityPool manifests of two git revisions without calling AWS: pools\n"
    "added, removed, changed (field by field) or replaced, matched by metadata.name and\n"
    "region. PATH (files or folders, default: the current folder) is read at both\n"
    "revisions from the repository containing the current folder, or --git-dir. --to\n"
    "defaults to HEAD. The working tree is not read. Exit status: 0 no differences,\n"
    "2 differences, 1 error.";

struct s_side {
    const char *rev; /* as the user wrote it */
    struct cr_git_revision commit;
    struct cr_manifest_set *set;
    struct cr_desired_set desired;
};

/* ---- loading one revision ---- */

static int s_load_side(struct s_side *side, const struct cr_cli_options *opts)
{
    struct cr_cli_options at = *opts; /* shallow: only git_ref differs */
    at.git_ref = side->rev;
    int rc = cr_cmd_load_sources(&side->set, &side->commit, &at, CR_MANIFEST_RESERVED_TAGS_GIT);
    if (rc == CR_EINVALID && side->set != NULL) {
        if (cr_cli_print_diagnostics(side->set) != 0)
            return CR_ENOMEM;
        cr_error_set("the manifests at git revision '%s' are not valid (%zu error%s)", side->rev,
                     side->set->n_diagnostics, side->set->n_diagnostics == 1 ? "" : "s");
        return rc;
    }
    if (rc != 0)
        return rc;
    return cr_desired_from_manifest(&side->desired, side->set);
}

static void s_side_dispose(struct s_side *side)
{
    cr_desired_set_dispose(&side->desired);
    cr_manifest_set_free(side->set);
}

/*
 * The default region for pools without metadata.region: --region, AWS_REGION,
 * AWS_DEFAULT_REGION, then the profile's (files only: no network). Only a name for matching
 * here, so a missing or unreadable AWS config is not an error: the label S_DEFAULT_REGION.
 */
static void s_default_region(struct cr_buf *out, const struct cr_cli_options *opts)
{
    struct cr_aws_config cfg;
    cr_aws_config_init(&cfg);
    int rc = cr_aws_config_load(&cfg, NULL, NULL);
    if (rc != 0)
        cr_log_debug("diff: AWS config not read (%s)", cr_error_last());
    if (cr_aws_config_region(out, rc == 0 ? &cfg : NULL, NULL, opts->region) != 0) {
        cr_buf_clear(out);
        cr_buf_puts(out, S_DEFAULT_REGION);
    }
    cr_error_clear();
    cr_aws_config_dispose(&cfg);
}

static int s_render(struct cr_buf *out, const struct cr_compare *cmp, const struct s_side *from,
                    const struct s_side *to, const struct cr_cli_options *opts)
{
    struct cr_render_revision a = {from->rev, from->commit.id, from->commit.short_id};
    struct cr_render_revision b = {to->rev, to->commit.id, to->commit.short_id};
    struct cr_render_options ro = {.color = cr_cli_use_color(opts, stdout)};
    switch (opts->output) {
    case CR_CLI_OUTPUT_JSON:
        return cr_render_compare_json(out, cmp, &a, &b);
    case CR_CLI_OUTPUT_MARKDOWN:
        return cr_render_compare_markdown(out, cmp, &a, &b);
    case CR_CLI_OUTPUT_TEXT:
    default:
        return cr_render_compare_text(out, cmp, &a, &b, &ro);
    }
}

static int s_run(const struct cr_cli_options *opts)
{
    int status = CR_EXIT_ERROR;
    struct s_side from = {.rev = opts->diff_from}, to = {.rev = opts->diff_to};
    struct cr_compare cmp = {0};
    struct cr_buf out = CR_BUF_INIT, region = CR_BUF_INIT;
    if (to.rev == NULL)
        to.rev = "HEAD";
    s_default_region(&region, opts);
    struct cr_compare_options copts = {.region = cr_buf_oom(&region) ? S_DEFAULT_REGION
                                                                     : cr_buf_cstr(&region),
                                       .from_rev = from.rev,
                                       .to_rev = to.rev};
    int rc = s_load_side(&from, opts);
    if (rc == 0)
        rc = s_load_side(&to, opts);
    if (rc == 0)
        rc = cr_compare_build(&cmp, &from.desired, &to.desired, &copts);
    if (rc == 0)
        rc = s_render(&out, &cmp, &from, &to, opts);
    if (rc != 0) {
        status = cr_cli_fail(rc);
        goto done;
    }
    fwrite(out.ptr, 1, out.len, stdout);
    fflush(stdout);
    status = cr_compare_differs(&cmp) ? CR_EXIT_CHANGES : CR_EXIT_OK;
done:
    cr_buf_dispose(&out);
    cr_compare_dispose(&cmp);
    s_side_dispose(&from);
    s_side_dispose(&to);
    cr_buf_dispose(&region);
    return status;
}

/* The options diff needs beyond parsing, then the comparison. */
static int s_checked_run(const struct cr_cli_options *opts)
{
    if (opts->diff_from == NULL)
        return cr_cli_failf("diff: --from REV is required (the old revision)");
    if (opts->output != CR_CLI_OUTPUT_TEXT && opts->output != CR_CLI_OUTPUT_JSON &&
        opts->output != CR_CLI_OUTPUT_MARKDOWN)
        return cr_cli_failf("diff writes text, json or markdown, not %s",
                            cr_cli_output_name(opts->output));
    return s_run(opts);
}

int cr_cmd_diff(int argc, char **argv)
{
    return cr_cli_main(CR_CLI_DIFF, argc, argv, s_synopsis, s_description, s_checked_run);
}
