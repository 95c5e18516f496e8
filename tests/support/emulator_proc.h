/* SPDX-License-Identifier: Apache-2.0 */
#ifndef CR_TESTS_SUPPORT_EMULATOR_PROC_H
#define CR_TESTS_SUPPORT_EMULATOR_PROC_H
/*
 * Runs cognito-identity-local as a child process for tests: started on a free loopback
 * port (--port 0; the URL is read from its first stdout line with a bounded wait), driven
 * through its loopback control endpoints, stopped by PID (SIGTERM, bounded wait, SIGKILL).
 *
 * The binary is $CR_BIN_DIR/cognito-identity-local (the environment variable wins over the
 * CR_BIN_DIR macro set at build time).
 *
 *   struct cr_emu_proc emu;
 *   assert_ok(cr_emu_proc_start(&emu, NULL));                 // or {"--state", path, NULL}
 *   assert_ok(cr_emu_proc_faults(&emu, "[{\"operation\":\"DescribeIdentityPool\","
 *                                      "\"throttle\":1,\"count\":2}]"));
 *   ... point the client at emu.url ...
 *   cr_emu_proc_stop(&emu);
 */
#include <jansson.h>
#include <stdbool.h>
#include <sys/types.h>

#include "util/buf.h"

struct cr_emu_proc {
    pid_t pid;     /* 0 when not running */
    char url[128]; /* "http://127.0.0.1:PORT" */
    unsigned port;
    int stdout_fd; /* kept open so the child never writes to a closed pipe */
};

/**
 * Starts the emulator with `--port 0` plus extra_args (NULL-terminated; NULL for none) and
 * waits up to 10 s for its URL. Returns 0, or -1 with cr_error_set (binary missing, exited
 * early — its status is reported — or no URL in time).
 */
int cr_emu_proc_start(struct cr_emu_proc *out, const char *const *extra_args);

/** Like cr_emu_proc_start, but the child's stderr goes to stderr_path (for assertions). */
int cr_emu_proc_start_logged(struct cr_emu_proc *out, const char *const *extra_args,
                             const char *stderr_path);

/**
 * Starts the emulator with `--credentials FILE`, FILE holding keys (its format: one
 * "ACCESS_KEY SECRET ACCOUNT_ID" line per key) in a new temporary folder put in *dir (the
 * caller removes it with cr_test_rmtree and frees it, also after a failure), then extra_args
 * (NULL-terminated, at most 12; NULL for none). Returns 0, or -1 with cr_error_set.
 */
int cr_emu_proc_start_with_keys(struct cr_emu_proc *out, char **dir, const char *keys,
                                const char *const *extra_args);

/** SIGTERM, wait up to 5 s, then SIGKILL. Returns the exit status (or -1 if killed). */
int cr_emu_proc_stop(struct cr_emu_proc *emu);

/** SIGKILL now (crash tests) and reap. */
void cr_emu_proc_kill9(struct cr_emu_proc *emu);

/** Replaces the fault rules (POST /_local/faults with this JSON). Returns 0 or -1. */
int cr_emu_proc_faults(const struct cr_emu_proc *emu, const char *json);

/**
 * A web identity / login token of issuer with claims (a JSON object text; NULL = {}), signed
 * by the emulator's own test identity-provider key (POST /_local/token), so it verifies even
 * with --credentials. Appends it to out. Returns 0 or -1.
 */
int cr_emu_proc_token(const struct cr_emu_proc *emu, const char *issuer, const char *claims,
                      struct cr_buf *out);

/** Clears state, faults and the request log (POST /_local/reset). Returns 0 or -1. */
int cr_emu_proc_reset(const struct cr_emu_proc *emu);

/**
 * The request log entries with seq > since (GET /_local/requests?since=N): *out is the
 * "requests" array (new reference; entries have seq, operation, status, and error,
 * pool_id, region when known). Returns 0 or -1.
 */
int cr_emu_proc_requests(const struct cr_emu_proc *emu, long since, json_t **out);

/** Number of logged calls of operation op (all of them when op is NULL); -1 on failure. */
long cr_emu_proc_count(const struct cr_emu_proc *emu, const char *op);

/**
 * One unsigned JSON 1.1 call (POST / with X-Amz-Target AWSCognitoIdentityService.op).
 * *status gets the HTTP status (0 when the connection was dropped), response the body.
 * Returns 0 when an HTTP response arrived (whatever its status), -1 otherwise.
 */
int cr_emu_proc_call(const struct cr_emu_proc *emu, const char *op, const char *body, long *status,
                     struct cr_buf *response);

#endif
