/* SPDX-License-Identifier: Apache-2.0 */
/*
 * Error codes to exit statuses and stderr text: the only place that does this (STYLE.md).
 * Modules set one message at the place of failure; here it gets an "error: " prefix and,
 * for the failures a user can act on, one line saying what to do next.
 */
#include <stdarg.h>
#include <stdbool.h>
#include <stdio.h>
#include <string.h>

#include "aws/cognito.h"
#include "cmd/cognito-reconcile/cmd.h"
#include "schema/manifest.h"
#include "util/buf.h"
#include "util/log.h"

/* True for the failure of an API call ("ListIdentityPools: ...", "sts ..."): CR_EIO is also a
 * file the command could not write, where advice about the network would mislead. */
static bool s_is_call_error(const char *msg)
{
    if (strncmp(msg, "sts", 3) == 0)
        return true;
    for (int op = 0; op < CR_OP_COUNT; op++) {
        const char *name = cr_cognito_op_name((enum cr_cognito_op)op);
        size_t n = strlen(name);
        if (strncmp(msg, name, n) == 0 && (msg[n] == ':' || msg[n] == ' '))
            return true;
    }
    return false;
}

static const char *s_hint(int code, const char *msg)
{
    switch (code) {
    case CR_EAUTH:
        if (s_is_call_error(msg)) /* found, sent, and refused by the service */
            return "the service rejected the credentials: --debug shows where they came from "
                   "(credentials=...); check the key id, the secret and the clock";
        /* the other credential errors say themselves what to do (run aws sso login, fix
         * the profile, the helper's stderr): a generic hint would contradict them */
        if (strncmp(msg, "no AWS credentials (--profile given", 35) == 0)
            return "give the profile keys (aws_access_key_id, aws_secret_access_key), a role "
                   "(role_arn with source_profile or credential_source), IAM Identity Center "
                   "settings or credential_process; docs/credentials.md lists every source";
        if (strncmp(msg, "no AWS credentials", 18) == 0)
            return "set AWS_ACCESS_KEY_ID and AWS_SECRET_ACCESS_KEY, or name a profile with "
                   "--profile or AWS_PROFILE; docs/credentials.md lists every source";
        return NULL;
    case CR_ETHROTTLED:
        return "the service kept throttling: retry later or lower --parallelism";
    case CR_ETIMEOUT:
    case CR_EIO:
        return s_is_call_error(msg)
                   ? "check the network and the endpoint (--endpoint-url, AWS_ENDPOINT_URL)"
                   : NULL;
    default:
        return NULL;
    }
}

int cr_cli_fail(int code)
{
    const char *msg = cr_error_last();
    if (msg == NULL || msg[0] == '\0')
        msg = cr_error_name(code);
    fprintf(stderr, "error: %s\n", msg);
    const char *hint = s_hint(code, msg);
    if (hint != NULL)
        fprintf(stderr, "hint: %s\n", hint);
    return CR_EXIT_ERROR;
}

int cr_cli_failf(const char *fmt, ...)
{
    va_list ap;
    va_start(ap, fmt);
    fputs("error: ", stderr);
    vfprintf(stderr, fmt, ap);
    fputc('\n', stderr);
    va_end(ap);
    return CR_EXIT_ERROR;
}

/* One "file:line:column: [warning: ]message" line per entry, to stderr. */
static int s_print_diags(const struct cr_diagnostic *diags, size_t n, bool warning)
{
    int result = 0;
    struct cr_buf line;
    cr_buf_init(&line);
    for (size_t i = 0; i < n; i++) {
        struct cr_diagnostic d = diags[i];
        char message[1100];
        snprintf(message, sizeof(message), "%s%s", warning ? "warning: " : "", d.message);
        d.message = message;
        cr_buf_clear(&line);
        if (cr_diagnostic_format(&line, &d) != 0 || cr_buf_oom(&line)) {
            cr_error_set("out of memory formatting diagnostics");
            result = CR_ENOMEM;
            goto done;
        }
        cr_log_info("%s", cr_buf_cstr(&line)); /* through the log: watch may write JSON lines */
    }
done:
    cr_buf_dispose(&line);
    return result;
}

int cr_cli_print_diagnostics(const struct cr_manifest_set *set)
{
    int rc = s_print_diags(set->diagnostics, set->n_diagnostics, false);
    if (rc == 0 && set->truncated)
        cr_log_info("(more problems not shown)");
    return rc;
}

int cr_cli_print_warnings(const struct cr_manifest_set *set)
{
    return s_print_diags(set->warnings, set->n_warnings, true);
}
