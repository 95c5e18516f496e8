/* SPDX-License-Identifier: Apache-2.0 */
#ifndef CR_CMD_SOURCES_H
#define CR_CMD_SOURCES_H
/*
 * Where a command's manifests come from: the files and folders on disk, or the same paths
 * at a git revision (--git-ref REV [--git-dir DIR]); and the rewind check apply makes when
 * it applies a revision (docs/gitops.md).
 */
#include "cmd/cognito-reconcile/cmd.h"
#include "reconcile/live.h"
#include "reconcile/plan.h"
#include "source/git.h"
#include "source/source.h"

struct cr_manifest_set;

/**
 * Appends the files of opts->paths to out: from opts->git_ref (in opts->git_dir, or the
 * repository containing the current folder) when set, otherwise from disk; --exclude patterns
 * and .cognito-reconcile-ignore files apply either way. rev_out (may be
 * NULL) receives the commit read; its id is "" when the files came from disk.
 * Returns 0, CR_EINVALID for --git-dir without --git-ref, or the code of
 * cr_source_git_collect() / cr_source_collect() with the last error set.
 */
int cr_cmd_collect_sources(struct cr_source_list *out, struct cr_git_revision *rev_out,
                           const struct cr_cli_options *opts) CR_WARN_UNUSED;

/**
 * cr_cmd_collect_sources() then schema/: loads and validates the manifests with
 * opts->region as the default region and reserved_tags ownership tags counted against the
 * tag limit (CR_MANIFEST_RESERVED_TAGS_GIT with a revision). Returns 0; CR_EINVALID with
 * *out set (its diagnostics say why; the caller prints them and frees *out); another code
 * with the last error set and *out NULL (a bad --git-ref/--git-dir or path that
 * cr_cmd_collect_sources() calls invalid comes back as CR_ERROR). Makes no network call.
 */
int cr_cmd_load_sources(struct cr_manifest_set **out, struct cr_git_revision *rev_out,
                        const struct cr_cli_options *opts, unsigned reserved_tags) CR_WARN_UNUSED;

/**
 * cr_cmd_load_sources() that also hands back the paths met and not read (skips_out, may be
 * NULL: an initialised list that receives only skips, no files), for the --prune check and
 * the summaries. Either way the skipped paths are reported on stderr: all of them, and the
 * files that are not manifests (set->skipped), with --verbose or --debug; otherwise only
 * paths named on the command line that --exclude or an ignore file leaves out.
 */
int cr_cmd_read_sources(struct cr_manifest_set **out, struct cr_git_revision *rev_out,
                        struct cr_source_list *skips_out, const struct cr_cli_options *opts,
                        unsigned reserved_tags) CR_WARN_UNUSED;

/**
 * The rewind check of apply: refuses when a pool the plan changes (update, replace, delete)
 * carries a cognito-reconcile:revision that plan->revision does not descend from (an old
 * pipeline run must not overwrite a newer apply), or one the repository does not have.
 * The repository (git_dir, or discovered from the current folder) is opened only when a
 * changed pool carries a revision other than plan->revision. Does nothing when
 * plan->revision is NULL (applied from files).
 * Returns 0; CR_EREFUSED naming the pool, both commits and --allow-rewind; or the
 * repository's error (CR_ENOTFOUND, CR_EIO).
 */
int cr_cmd_check_rewind(const struct cr_plan *plan, const struct cr_live_state *live,
                        const char *git_dir) CR_WARN_UNUSED;

#endif
