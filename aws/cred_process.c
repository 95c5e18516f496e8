/* SPDX-License-Identifier: Apache-2.0 */
/*
 * credential_process: a helper program whose stdout is the credentials, as the AWS CLI runs
 * it (botocore's ProcessProvider): the command line split into words like a POSIX shell
 * would (shlex.split: quotes and backslashes, no expansion), run without a shell, stdin
 * inherited (a helper may prompt on the terminal), stdout read as
 *   {"Version": 1, "AccessKeyId": ..., "SecretAccessKey": ..., "SessionToken": ...,
 *    "Expiration": "2026-01-02T03:04:05Z"}
 * and a non-zero exit reported with the helper's stderr. Unlike the AWS CLI we also bound its
 * run time, so a hung helper cannot hang a CI job.
 */
#define _GNU_SOURCE /* pipe2 */
#include <ctype.h>
#include <errno.h>
#include <fcntl.h>
#include <poll.h>
#include <signal.h>
#include <spawn.h>
#include <stdbool.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/wait.h>
#include <unistd.h>

#include "aws/cred_internal.h"
#include "aws/json.h"
#include "aws/redact.h"
#include "util/spawn.h"
#include "util/strutil.h"

#define S_MAX_STDOUT (64u * 1024u)
#define S_MAX_STDERR 2048u
#define S_WHAT       "credential_process"

extern char **environ;

/* ---- splitting ---- */

static int s_push(char ***argv, size_t *n, struct cr_buf *word)
{
    char **grown = realloc(*argv, (*n + 2) * sizeof(**argv));
    if (!grown)
        return CR_ENOMEM;
    *argv = grown;
    (*argv)[*n] = cr_buf_detach(word);
    if (!(*argv)[*n])
        (*argv)[*n] = strdup("");
    (*argv)[++*n] = NULL;
    return (*argv)[*n - 1] ? 0 : CR_ENOMEM;
}

int cr_aws__process_split(char ***out, const char *command)
{
    char **argv = NULL;
    size_t n = 0;
    struct cr_buf word = CR_BUF_INIT;
    bool in_word = false;
    char quote = 0;
    int rc = 0;
    *out = NULL;
    for (const char *p = command; *p && rc == 0; p++) {
        if (quote == '\'') {
            if (*p == '\'')
                quote = 0;
            else
                cr_buf_putc(&word, *p);
        } else if (quote == '"') {
            if (*p == '"')
                quote = 0;
            else if (*p == '\\' && (p[1] == '"' || p[1] == '\\'))
                cr_buf_putc(&word, *++p);
            else
                cr_buf_putc(&word, *p);
        } else if (*p == ' ' || *p == '\t' || *p == '\n' || *p == '\r') {
            if (in_word)
                rc = s_push(&argv, &n, &word);
            in_word = false;
        } else {
            in_word = true;
            if (*p == '\'' || *p == '"')
                quote = *p;
            else if (*p == '\\' && p[1])
                cr_buf_putc(&word, *++p);
            else
                cr_buf_putc(&word, *p);
        }
    }
    if (rc == 0 && in_word && !quote)
        rc = s_push(&argv, &n, &word);
    if (rc == 0 && cr_buf_oom(&word))
        rc = CR_ENOMEM;
    if (rc == 0 && quote) {
        cr_error_set(S_WHAT ": unterminated %s quote in the command",
                     quote == '"' ? "double" : "single");
        rc = CR_EINVALID;
    } else if (rc == 0 && n == 0) {
        cr_error_set(S_WHAT ": the command is empty");
        rc = CR_EINVALID;
    } else if (rc == CR_ENOMEM) {
        cr_error_set(S_WHAT ": out of memory");
    }
    cr_buf_dispose(&word);
    if (rc < 0) {
        cr_aws__argv_free(argv);
        return rc;
    }
    *out = argv;
    return 0;
}

void cr_aws__argv_free(char **argv)
{
    for (size_t i = 0; argv && argv[i]; i++)
        free(argv[i]);
    free(argv);
}

/* ---- the answer ---- */

int cr_aws__process_parse(struct cr_aws_credentials *out, const char *text, size_t len)
{
    json_error_t jerr;
    json_t *doc = json_loadb(text, len, 0, &jerr);
    int rc;
    if (!doc) {
        /* never the text itself: it is meant to hold a secret key */
        char reason[JSON_ERROR_TEXT_LENGTH];
        cr_error_set(S_WHAT ": the helper's output is not JSON (line %d: %s)", jerr.line,
                     cr_json_error_reason(reason, sizeof(reason), &jerr));
        return CR_EAUTH;
    }
    json_t *version = json_object_get(doc, "Version");
    if (!json_is_integer(version) || json_integer_value(version) != 1) {
        cr_error_set(S_WHAT ": the helper's output has %s, but only \"Version\": 1 is supported",
                     version ? "another \"Version\"" : "no \"Version\"");
        rc = CR_EAUTH;
    } else {
        rc = cr_aws__credentials_from_json(out, doc, "SessionToken", false,
                                           S_WHAT ": the helper's output");
        if (rc == CR_EINVALID)
            rc = CR_EAUTH;
    }
    json_decref(doc);
    return rc;
}

/* ---- running ---- */

struct s_run {
    pid_t pid;
    int out_fd, err_fd;
    struct cr_buf out, err;
    bool out_too_large;
    bool timed_out;
    int status;
};

static int s_spawn(struct s_run *r, char **argv)
{
    int out_pipe[2] = {-1, -1}, err_pipe[2] = {-1, -1};
    posix_spawn_file_actions_t fa;
    posix_spawnattr_t attr;
    int rc = -1;
    if (pipe2(out_pipe, O_CLOEXEC) != 0 || pipe2(err_pipe, O_CLOEXEC) != 0) {
        rc = errno;
        goto done;
    }
    /* no signal blocked or ignored: apply's threads block SIGINT/SIGTERM (one thread takes
     * them), and a helper inheriting that would not stop on Ctrl-C */
    rc = cr_spawnattr_init_clean(&attr);
    if (rc != 0)
        goto done;
    posix_spawn_file_actions_init(&fa);
    posix_spawn_file_actions_adddup2(&fa, out_pipe[1], STDOUT_FILENO);
    posix_spawn_file_actions_adddup2(&fa, err_pipe[1], STDERR_FILENO);
    rc = posix_spawnp(&r->pid, argv[0], &fa, &attr, argv, environ);
    posix_spawn_file_actions_destroy(&fa);
    posix_spawnattr_destroy(&attr);
done:
    if (out_pipe[1] >= 0)
        close(out_pipe[1]);
    if (err_pipe[1] >= 0)
        close(err_pipe[1]);
    r->out_fd = out_pipe[0];
    r->err_fd = err_pipe[0];
    return rc;
}

/* Appends what fd has to buf up to cap (more is read and dropped); false at end of file. */
static bool s_drain(int fd, struct cr_buf *buf, size_t cap, bool *too_large)
{
    char chunk[4096];
    ssize_t got = read(fd, chunk, sizeof(chunk));
    if (got < 0 && (errno == EINTR || errno == EAGAIN))
        return true;
    if (got <= 0)
        return false;
    size_t room = buf->len < cap ? cap - buf->len : 0;
    cr_buf_put(buf, chunk, (size_t)got < room ? (size_t)got : room);
    if ((size_t)got > room && too_large)
        *too_large = true;
    return true;
}

/* Reads both pipes until the helper closes them or the deadline passes, then reaps it. */
static void s_collect(struct s_run *r, uint32_t timeout_ms)
{
    uint64_t deadline = cr_now_ms() + timeout_ms;
    bool out_open = true, err_open = true;
    while (out_open || err_open) {
        uint64_t now = cr_now_ms();
        if (now >= deadline) {
            r->timed_out = true;
            kill(r->pid, SIGKILL);
            break;
        }
        struct pollfd fds[2] = {{out_open ? r->out_fd : -1, POLLIN, 0},
                                {err_open ? r->err_fd : -1, POLLIN, 0}};
        int n = poll(fds, 2, (int)(deadline - now));
        if (n < 0 && errno != EINTR)
            break;
        if (n <= 0)
            continue;
        if (out_open && fds[0].revents)
            out_open = s_drain(r->out_fd, &r->out, S_MAX_STDOUT, &r->out_too_large);
        if (err_open && fds[1].revents)
            err_open = s_drain(r->err_fd, &r->err, S_MAX_STDERR, NULL);
    }
    while (waitpid(r->pid, &r->status, 0) < 0 && errno == EINTR) {
    }
}

/* A secret access key is 40 characters of base64, session tokens are longer. */
#define S_KEY_LIKE_RUN 40

static bool s_is_key_char(char c)
{
    return isalnum((unsigned char)c) || c == '+' || c == '/' || c == '=';
}

/* Appends text to out with every run of S_KEY_LIKE_RUN or more base64 characters (a bare key
 * or token, which cr_redact_text() cannot tell by a name before it) replaced. */
static void s_mask_key_like(struct cr_buf *out, const char *text, size_t len)
{
    size_t i = 0;
    while (i < len) {
        size_t run = 0;
        while (i + run < len && s_is_key_char(text[i + run]))
            run++;
        if (run >= S_KEY_LIKE_RUN)
            cr_buf_puts(out, CR_REDACTED);
        else
            cr_buf_put(out, text + i, run);
        i += run;
        if (i < len)
            cr_buf_putc(out, text[i++]);
    }
}

/* The start of the helper's stderr, on one line, secrets redacted (named ones and bare
 * key-like runs): appended to msg. */
static void s_stderr_excerpt(struct cr_buf *msg, const struct cr_buf *err)
{
    struct cr_buf flat = CR_BUF_INIT, named = CR_BUF_INIT;
    for (size_t i = 0; i < err->len; i++) {
        char c = err->ptr[i];
        cr_buf_putc(&flat, c == '\n' || c == '\r' || c == '\t' ? ' ' : c);
    }
    while (flat.len && flat.ptr[flat.len - 1] == ' ')
        flat.ptr[--flat.len] = '\0';
    if (flat.len) {
        cr_buf_puts(msg, ": ");
        if (cr_redact_text(&named, flat.ptr, flat.len) < 0)
            cr_buf_puts(msg, "(stderr not shown)");
        else
            s_mask_key_like(msg, named.ptr, named.len);
    } else {
        cr_buf_puts(msg, " (no output on stderr)");
    }
    cr_buf_dispose_secure(&flat);
    cr_buf_dispose_secure(&named);
}

/* The error of a helper that did not give credentials. */
static int s_failed(const struct s_run *r, const char *prog, uint32_t timeout_ms)
{
    struct cr_buf msg = CR_BUF_INIT;
    int rc = CR_EAUTH;
    if (r->timed_out) {
        cr_buf_printf(&msg, "'%s' did not finish within %u ms and was killed", prog, timeout_ms);
        rc = CR_ETIMEOUT;
    } else if (WIFSIGNALED(r->status)) {
        cr_buf_printf(&msg, "'%s' was killed by signal %d", prog, WTERMSIG(r->status));
        s_stderr_excerpt(&msg, &r->err);
    } else {
        cr_buf_printf(&msg, "'%s' exited with status %d", prog, WEXITSTATUS(r->status));
        s_stderr_excerpt(&msg, &r->err);
    }
    cr_error_set(S_WHAT ": %s", cr_buf_oom(&msg) ? "the helper failed" : msg.ptr);
    cr_buf_dispose(&msg);
    return rc;
}

int cr_aws__process_fetch(struct cr_aws_credentials *out, const char *command, uint32_t timeout_ms)
{
    char **argv = NULL;
    struct s_run r = {.pid = -1, .out_fd = -1, .err_fd = -1};
    int rc = cr_aws__process_split(&argv, command);
    if (rc < 0)
        return rc;
    cr_buf_init(&r.out);
    cr_buf_init(&r.err);
    int err = s_spawn(&r, argv);
    if (err != 0) {
        cr_error_set(S_WHAT ": cannot run '%s': %s", argv[0], strerror(err));
        rc = CR_EAUTH;
        goto done;
    }
    s_collect(&r, timeout_ms);
    if (r.timed_out || !WIFEXITED(r.status) || WEXITSTATUS(r.status) != 0) {
        rc = s_failed(&r, argv[0], timeout_ms);
    } else if (r.out_too_large) {
        cr_error_set(S_WHAT ": '%s' wrote more than %u bytes", argv[0], S_MAX_STDOUT);
        rc = CR_EAUTH;
    } else if (cr_buf_oom(&r.out)) {
        cr_error_set(S_WHAT ": out of memory");
        rc = CR_ENOMEM;
    } else {
        rc = cr_aws__process_parse(out, r.out.ptr ? r.out.ptr : "", r.out.len);
    }
done:
    if (r.out_fd >= 0)
        close(r.out_fd);
    if (r.err_fd >= 0)
        close(r.err_fd);
    cr_buf_dispose_secure(&r.out);
    cr_buf_dispose(&r.err);
    cr_aws__argv_free(argv);
    return rc;
}
