/* SPDX-License-Identifier: Apache-2.0 */
#ifndef CR_CMD_LOCK_H
#define CR_CMD_LOCK_H
/*
 * The run lock on the command line (docs/locking.md): where its settings come from
 * (--lock > COGNITO_RECONCILE_LOCK, --no-lock), apply taking and holding it (the lease keeper,
 * and a thread that turns SIGINT/SIGTERM into a release and the conventional exit status),
 * plan and drift noting a held lock, and the exit status a run ends with.
 */
#include <stdbool.h>

#include "cmd/cognito-reconcile/cmd.h"
#include "reconcile/lock.h"

#define CR_CLI_LOCK_ENV "COGNITO_RECONCILE_LOCK"

struct cr_cli_lock;

/**
 * The lock settings of opts: --lock, else COGNITO_RECONCILE_LOCK (none with --no-lock). *what
 * names the URL's source for messages. out->url is NULL when no lock is configured. The URL is
 * checked (s3://BUCKET/KEY) so a typo fails before anything is read. Returns 0 or CR_EINVALID.
 */
int cr_cli_lock_settings(struct cr_lock_settings *out, const char **what,
                         const struct cr_cli_options *opts) CR_WARN_UNUSED;

/**
 * The S3 store of the configured lock (*out NULL when none is configured). default_region is
 * the run's (NULL or "" when it has none: then --lock-region is needed). Returns 0 or the
 * error (bad URL, no region, no credentials).
 */
int cr_cli_lock_store(struct cr_lock_store **out, const struct cr_cli_options *opts,
                      const char *default_region) CR_WARN_UNUSED;

/**
 * apply: takes the configured lock (waiting up to --lock-timeout), starts its keeper and the
 * signal thread. When no lock is configured *out holds no lease, only the signal thread (an
 * interrupted apply stops before its next write call and reports). A held lock: CR_ECONFLICT,
 * the message naming the holder and the force-unlock command. revision is recorded in the
 * lease.
 */
int cr_cli_lock_take(struct cr_cli_lock **out, const struct cr_cli_options *opts,
                     const char *default_region, const char *revision) CR_WARN_UNUSED;

/** plan, drift: says on stderr when the configured lock is held. Never fails. */
void cr_cli_lock_note(const struct cr_cli_options *opts, const char *default_region);

/** The write guard (cr_apply_options.guard): ctx is the struct cr_cli_lock (NULL: no lock). */
int cr_cli_lock_guard(void *ctx);

/** Marks the start of the write phase (NULL: no lock); fails when interrupted or lost. */
int cr_cli_lock_begin_writes(struct cr_cli_lock *lk) CR_WARN_UNUSED;

/**
 * Ends the run's hold: releases the lease, stops the keeper and the signal thread, frees lk
 * (NULL: returns status). Returns the exit status: 128 + the signal when interrupted, 1 when
 * the release failed (the lease was lost), else status.
 */
int cr_cli_lock_finish(struct cr_cli_lock *lk, int status);

#endif
