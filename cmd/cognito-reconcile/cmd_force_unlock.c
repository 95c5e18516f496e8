/* SPDX-License-Identifier: Apache-2.0 */
/*
 * force-unlock ID: deletes the run lock only if it is the lease with that id (If-Match the
 * ETag read), after a "yes" on a terminal or with --force, and says whose it was
 * (docs/locking.md). Like Terraform's force-unlock.
 */
#include <stdio.h>
#include <string.h>
#include <time.h>
#include <unistd.h>

#include "cmd/cognito-reconcile/lock.h"
#include "cmd/cognito-reconcile/session.h"
#include "util/log.h"

static const char s_synopsis[] = "[options] ID";
static const char s_description[] =
    "Releases the run lock that a killed or lost apply left behind: deletes the lock object\n"
    "only if it holds the lease ID (printed by the apply that fails to take the lock), and\n"
    "says whose it was. The lock is --lock s3://BUCKET/KEY, else COGNITO_RECONCILE_LOCK.\n"
    "An apply that still runs notices at its next renewal and stops before its next write.";

static int64_t s_now_ms(void)
{
    struct timespec ts;
    clock_gettime(CLOCK_REALTIME, &ts);
    return (int64_t)ts.tv_sec * 1000 + ts.tv_nsec / 1000000;
}

/* Shows the lease and asks on the terminal; true only for exactly "yes". */
static bool s_confirm(const struct cr_lock_lease *lease, const char *where)
{
    struct cr_buf who = CR_BUF_INIT;
    char line[64];
    bool ok = false;
    if (cr_lock_lease_describe(&who, lease, s_now_ms()) == 0) {
        fprintf(stderr,
                "The lock %s is held by %s.\nIf that run still writes, overlapping applies may "
                "make twin pools.\nDo you really want to force-unlock? Only 'yes' will be "
                "accepted.\n  Enter a value: ",
                where, who.ptr);
        fflush(stderr);
        if (fgets(line, sizeof(line), stdin) != NULL) {
            line[strcspn(line, "\r\n")] = '\0';
            ok = strcmp(line, "yes") == 0;
        }
    }
    cr_buf_dispose(&who);
    return ok;
}

static int s_main(const struct cr_cli_options *opts)
{
    int result = CR_EXIT_ERROR;
    struct cr_cli_session s;
    struct cr_lock_store *store = NULL;
    struct cr_lock_lease lease = {0};
    struct cr_lock_settings settings;
    const char *what = NULL;
    cr_cli_session_init(&s, opts);
    if (opts->paths.len != 1) {
        result = cr_cli_failf("force-unlock takes one lease ID (got %zu arguments); the apply "
                              "that cannot take the lock prints it",
                              opts->paths.len);
        goto done;
    }
    const char *id = opts->paths.items[0];
    int rc = cr_cli_lock_settings(&settings, &what, opts);
    if (rc == 0 && !settings.url) {
        cr_error_set("force-unlock: which lock? give --lock s3://BUCKET/KEY or set %s",
                     CR_CLI_LOCK_ENV);
        rc = CR_EINVALID;
    }
    if (rc == 0 && !opts->force && isatty(STDIN_FILENO) != 1) {
        cr_error_set("force-unlock needs confirmation but stdin is not a terminal; pass --force");
        rc = CR_EREFUSED;
    }
    if (rc == 0)
        rc = cr_cli_session_resolve_region(&s);
    if (rc == 0)
        rc = cr_cli_lock_store(&store, opts, cr_buf_cstr(&s.default_region));
    if (rc == 0 && !opts->force) {
        rc = cr_lock_read(&lease, store);
        bool named = rc == 0 && (lease.valid ? strcmp(lease.id, id) == 0 : true);
        if (named && !s_confirm(&lease, store->where)) {
            result = cr_cli_failf("force-unlock cancelled: nothing was deleted");
            goto done;
        }
    }
    if (rc == 0)
        rc = cr_lock_force_unlock(&lease, store, id, s_now_ms());
    if (rc != 0) {
        result = cr_cli_fail(rc);
        goto done;
    }
    struct cr_buf who = CR_BUF_INIT;
    if (cr_lock_lease_describe(&who, &lease, s_now_ms()) == 0)
        printf("Released the lock %s, held by %s.\n", store->where, who.ptr);
    cr_buf_dispose(&who);
    result = CR_EXIT_OK;
done:
    cr_lock_lease_dispose(&lease);
    cr_lock_store_free(store);
    cr_cli_session_dispose(&s);
    return result;
}

int cr_cmd_force_unlock(int argc, char **argv)
{
    return cr_cli_main(CR_CLI_FORCE_UNLOCK, argc, argv, s_synopsis, s_description, s_main);
}
