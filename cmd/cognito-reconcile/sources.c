/* SPDX-License-Identifier: Apache-2.0 */
/*
 * Manifest sources for every command (disk or a git revision) and apply's rewind check.
 * The git work itself is source/git.c (libgit2); this file only chooses and words errors.
 */
#include "cmd/cognito-reconcile/sources.h"

#include <stdlib.h>
#include <string.h>

#include "schema/manifest.h"
#include "util/buf.h"
#include "util/log.h"

int cr_cmd_collect_sources(struct cr_source_list *out, struct cr_git_revision *rev_out,
                           const struct cr_cli_options *opts)
{
    const char *const *paths = (const char *const *)opts->paths.items;
    struct cr_source_options so = {
        .excludes = (const char *const *)opts->excludes.items,
        .n_excludes = opts->excludes.len,
    };
    if (rev_out != NULL)
        memset(rev_out, 0, sizeof(*rev_out));
    if (opts->git_ref == NULL && opts->git_dir != NULL) {
        cr_error_set("--git-dir needs --git-ref (the revision to read the manifests from)");
        return CR_EINVALID;
    }
    if (opts->git_ref == NULL)
        return cr_source_collect(out, paths, opts->paths.len, &so);
    return cr_source_git_collect(out, opts->git_dir, opts->git_ref, paths, opts->paths.len, &so,
                                 rev_out);
}

/* Keeps only the skips of files (the bytes are not needed once loaded). */
static void s_keep_skips(struct cr_source_list *out, struct cr_source_list *files)
{
    out->skips = files->skips;
    out->n_skips = files->n_skips;
    out->cap_skips = files->cap_skips;
    out->skipped = files->skipped;
    files->skips = NULL;
    files->n_skips = files->cap_skips = files->skipped = 0;
}

/* What was left out: with --verbose (or --debug) every path and why; otherwise only a path
 * named on the command line that a pattern excludes (naming it and reading nothing would
 * surprise), and a count of the paths not read. */
static void s_report_skips(const struct cr_cli_options *opts, const struct cr_source_list *files,
                           const struct cr_manifest_set *set)
{
    bool all = opts->verbose || opts->debug;
    for (size_t i = 0; i < files->n_skips; i++) {
        const struct cr_source_skip *k = &files->skips[i];
        if (all || k->named)
            cr_log_info("%s %s: %s", k->kind == CR_SOURCE_SKIP_EXCLUDED ? "excluded" : "not read",
                        k->display_path, k->reason);
    }
    for (size_t i = 0; all && set != NULL && i < set->n_skipped; i++)
        cr_log_info("skipped %s: %s", set->skipped[i].file, set->skipped[i].reason);
}

int cr_cmd_read_sources(struct cr_manifest_set **out, struct cr_git_revision *rev_out,
                        struct cr_source_list *skips_out, const struct cr_cli_options *opts,
                        unsigned reserved_tags)
{
    int result;
    struct cr_source_list files;
    struct cr_manifest_input *inputs = NULL;
    struct cr_manifest_options mopts;
    *out = NULL;
    cr_source_list_init(&files);
    result = cr_cmd_collect_sources(&files, rev_out, opts);
    if (result == CR_EINVALID)
        result = CR_ERROR; /* to callers CR_EINVALID means "*out holds diagnostics" */
    if (result != 0)
        goto done;
    inputs = calloc(files.len + 1, sizeof(*inputs));
    if (inputs == NULL) {
        cr_error_set("out of memory loading manifests");
        result = CR_ENOMEM;
        goto done;
    }
    for (size_t i = 0; i < files.len; i++) {
        inputs[i].display_path = files.items[i].display_path;
        inputs[i].bytes = cr_buf_cstr(&files.items[i].bytes);
        inputs[i].len = files.items[i].bytes.len;
    }
    cr_manifest_options_init(&mopts);
    mopts.default_region = opts->region;
    mopts.reserved_tags = reserved_tags;
    result = cr_manifest_load_buffers(out, inputs, files.len, &mopts);
    s_report_skips(opts, &files, *out);
    if (skips_out != NULL)
        s_keep_skips(skips_out, &files);
done:
    free(inputs);
    cr_source_list_dispose(&files);
    return result;
}

int cr_cmd_load_sources(struct cr_manifest_set **out, struct cr_git_revision *rev_out,
                        const struct cr_cli_options *opts, unsigned reserved_tags)
{
    return cr_cmd_read_sources(out, rev_out, NULL, opts, reserved_tags);
}

static bool s_changes_pool(enum cr_plan_action action)
{
    switch (action) {
    case CR_PLAN_UPDATE:
    case CR_PLAN_REPLACE:
    case CR_PLAN_DELETE:
        return true;
    case CR_PLAN_NOOP:
    case CR_PLAN_CREATE:
    default:
        return false;
    }
}

/* One pool whose recorded revision differs from the plan's. */
static int s_check_pool(const struct cr_plan *plan, const struct cr_plan_pool *p,
                        const char *recorded, const char *git_dir, bool *repo_checked)
{
    if (!*repo_checked) {
        /* Errors about the repository itself (not one, or without the plan's commit) are
         * reported as they are, before any pool is blamed. */
        struct cr_git_revision rev;
        int rc = cr_source_git_resolve(&rev, git_dir, plan->revision);
        if (rc != 0) {
            cr_error_prefix("rewind check (pool '%s' was last applied from revision %.12s)",
                            p->name, recorded);
            return rc;
        }
        *repo_checked = true;
    }
    int rc = cr_source_git_check_ancestor(git_dir, plan->revision, recorded);
    if (rc == CR_EREFUSED) {
        cr_error_set("pool '%s' (%s) was last applied from revision %.12s, and revision %.12s "
                     "does not descend from it: applying would roll the pool back (an older "
                     "pipeline run?); apply a newer revision, or pass --allow-rewind",
                     p->name, p->pool_id, recorded, plan->revision);
        return CR_EREFUSED;
    }
    if (rc == CR_ENOTFOUND) {
        cr_error_set("pool '%s' (%s) was last applied from revision %.12s, which this "
                     "repository does not have (a shallow clone? fetch the full history), so "
                     "a rewind cannot be ruled out; pass --allow-rewind to apply anyway",
                     p->name, p->pool_id, recorded);
        return CR_EREFUSED;
    }
    return rc;
}

int cr_cmd_check_rewind(const struct cr_plan *plan, const struct cr_live_state *live,
                        const char *git_dir)
{
    bool repo_checked = false;
    if (plan->revision == NULL)
        return 0;
    for (size_t i = 0; i < plan->n_pools; i++) {
        const struct cr_plan_pool *p = &plan->pools[i];
        if (!s_changes_pool(p->action) || p->pool_id == NULL)
            continue;
        const struct cr_live_pool *l = cr_live_find_id(live, p->pool_id);
        if (l == NULL || l->revision == NULL || strcmp(l->revision, plan->revision) == 0)
            continue;
        int rc = s_check_pool(plan, p, l->revision, git_dir, &repo_checked);
        if (rc != 0)
            return rc;
    }
    return 0;
}
