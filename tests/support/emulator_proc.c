/* SPDX-License-Identifier: Apache-2.0 */
/* Starting, driving and stopping cognito-identity-local from C tests (see emulator_proc.h). */
#include "tests/support/emulator_proc.h"

#include <curl/curl.h>
#include <errno.h>
#include <fcntl.h>
#include <poll.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/prctl.h>
#include <sys/wait.h>
#include <time.h>
#include <unistd.h>

#include "tests/support/cr_test.h"
#include "util/error.h"
#include "util/strutil.h"

#ifndef CR_BIN_DIR
#define CR_BIN_DIR "."
#endif

#define S_START_TIMEOUT_MS 10000
#define S_STOP_TIMEOUT_MS  5000
#define S_MAX_ARGS         64

static void s_sleep_ms(long ms)
{
    struct timespec ts = {ms / 1000, (ms % 1000) * 1000000L};
    nanosleep(&ts, NULL);
}

static const char *s_binary(char *buf, size_t cap)
{
    const char *dir = getenv("CR_BIN_DIR");
    snprintf(buf, cap, "%s/cognito-identity-local", dir && dir[0] ? dir : CR_BIN_DIR);
    return buf;
}

static void s_exec_child(int out_fd, const char *const *extra, const char *stderr_path,
                         const char *bin)
{
    const char *argv[S_MAX_ARGS + 4] = {bin, "--port", "0"};
    size_t n = 3;
    for (size_t i = 0; extra && extra[i] && n < S_MAX_ARGS; i++)
        argv[n++] = extra[i];
    argv[n] = NULL;
    /* A test that crashes (an assertion under ASan, a signal) must not leave its emulator
     * running: the orphan would keep ctest's output pipe open and hang the run until the
     * test's timeout. The kernel kills the emulator when the test process dies. */
    pid_t parent = getppid();
    if (prctl(PR_SET_PDEATHSIG, SIGKILL) != 0 || getppid() != parent)
        _exit(126);
    dup2(out_fd, STDOUT_FILENO);
    if (stderr_path) {
        int fd = open(stderr_path, O_WRONLY | O_CREAT | O_TRUNC, 0600);
        if (fd >= 0)
            dup2(fd, STDERR_FILENO);
    }
    execv(bin, (char *const *)argv);
    fprintf(stderr, "exec %s: %s\n", bin, strerror(errno));
    _exit(127);
}

/* Reads the first line (the URL) with a deadline; the child's death ends the wait early. */
static int s_read_url(struct cr_emu_proc *emu)
{
    char line[128];
    size_t len = 0;
    uint64_t deadline = cr_now_ms() + S_START_TIMEOUT_MS;
    while (len < sizeof(line) - 1) {
        struct pollfd p = {emu->stdout_fd, POLLIN, 0};
        uint64_t now = cr_now_ms();
        if (now >= deadline || poll(&p, 1, (int)(deadline - now)) <= 0)
            break;
        ssize_t r = read(emu->stdout_fd, line + len, 1);
        if (r <= 0)
            break;
        if (line[len] == '\n') {
            line[len] = '\0';
            snprintf(emu->url, sizeof(emu->url), "%s", line);
            const char *colon = strrchr(line, ':');
            emu->port = colon ? (unsigned)strtoul(colon + 1, NULL, 10) : 0;
            return strncmp(line, "http://", 7) == 0 && emu->port ? 0 : -1;
        }
        len++;
    }
    return -1;
}

int cr_emu_proc_start_logged(struct cr_emu_proc *out, const char *const *extra_args,
                             const char *stderr_path)
{
    char bin[4096];
    int fds[2];
    memset(out, 0, sizeof(*out));
    out->stdout_fd = -1;
    s_binary(bin, sizeof(bin));
    if (access(bin, X_OK) != 0) {
        cr_error_set("%s: %s (build the cognito-identity-local target)", bin, strerror(errno));
        return -1;
    }
    if (pipe(fds) != 0) {
        cr_error_set("pipe: %s", strerror(errno));
        return -1;
    }
    pid_t pid = fork();
    if (pid < 0) {
        cr_error_set("fork: %s", strerror(errno));
        close(fds[0]);
        close(fds[1]);
        return -1;
    }
    if (pid == 0) {
        close(fds[0]);
        s_exec_child(fds[1], extra_args, stderr_path, bin);
    }
    close(fds[1]);
    out->pid = pid;
    out->stdout_fd = fds[0];
    if (s_read_url(out) != 0) {
        int st = cr_emu_proc_stop(out);
        cr_error_set("%s did not print its URL within %d ms (exit status %d)", bin,
                     S_START_TIMEOUT_MS, st);
        return -1;
    }
    return 0;
}

int cr_emu_proc_start(struct cr_emu_proc *out, const char *const *extra_args)
{
    return cr_emu_proc_start_logged(out, extra_args, NULL);
}

int cr_emu_proc_start_with_keys(struct cr_emu_proc *out, char **dir, const char *keys,
                                const char *const *extra_args)
{
    char path[4096];
    const char *args[16] = {"--credentials", path};
    size_t n = 2;
    for (size_t i = 0; extra_args && extra_args[i]; i++) {
        if (n + 1 >= sizeof(args) / sizeof(args[0])) {
            cr_error_set("cr_emu_proc_start_with_keys: more than 12 extra arguments");
            return -1;
        }
        args[n++] = extra_args[i];
    }
    args[n] = NULL;
    *dir = cr_test_tmpdir();
    if (!*dir) {
        cr_error_set("cr_emu_proc_start_with_keys: no temporary folder");
        return -1;
    }
    snprintf(path, sizeof(path), "%s/keys", *dir);
    if (cr_test_write_file(path, keys) != 0) {
        cr_error_set("cr_emu_proc_start_with_keys: cannot write %s", path);
        return -1;
    }
    return cr_emu_proc_start(out, args);
}

static int s_reap(struct cr_emu_proc *emu, long timeout_ms)
{
    int st = 0;
    uint64_t deadline = cr_now_ms() + (uint64_t)timeout_ms;
    for (;;) {
        pid_t r = waitpid(emu->pid, &st, WNOHANG);
        if (r == emu->pid)
            return WIFEXITED(st) ? WEXITSTATUS(st) : -1;
        if (r < 0)
            return -1;
        if (cr_now_ms() >= deadline)
            return -2;
        s_sleep_ms(10);
    }
}

static void s_close(struct cr_emu_proc *emu)
{
    if (emu->stdout_fd >= 0)
        close(emu->stdout_fd);
    emu->stdout_fd = -1;
    emu->pid = 0;
}

int cr_emu_proc_stop(struct cr_emu_proc *emu)
{
    int st;
    if (emu->pid <= 0)
        return -1;
    kill(emu->pid, SIGTERM);
    st = s_reap(emu, S_STOP_TIMEOUT_MS);
    if (st == -2) {
        kill(emu->pid, SIGKILL);
        s_reap(emu, S_STOP_TIMEOUT_MS);
        st = -1;
    }
    s_close(emu);
    return st;
}

void cr_emu_proc_kill9(struct cr_emu_proc *emu)
{
    if (emu->pid <= 0)
        return;
    kill(emu->pid, SIGKILL);
    s_reap(emu, S_STOP_TIMEOUT_MS);
    s_close(emu);
}

static size_t s_write_cb(char *ptr, size_t size, size_t nmemb, void *user)
{
    struct cr_buf *b = user;
    return cr_buf_put(b, ptr, size * nmemb) == 0 ? size * nmemb : 0;
}

/* One HTTP exchange; headers NULL-terminated "Name: value" strings. */
static int s_http(const char *url, const char *method, const char *body, const char *const *headers,
                  long *status, struct cr_buf *response)
{
    int result = -1;
    struct curl_slist *hl = NULL;
    CURL *curl = curl_easy_init();
    if (!curl) {
        cr_error_set("curl_easy_init failed");
        return -1;
    }
    for (size_t i = 0; headers && headers[i]; i++)
        hl = curl_slist_append(hl, headers[i]);
    curl_easy_setopt(curl, CURLOPT_URL, url);
    curl_easy_setopt(curl, CURLOPT_CUSTOMREQUEST, method);
    if (body)
        curl_easy_setopt(curl, CURLOPT_POSTFIELDS, body);
    curl_easy_setopt(curl, CURLOPT_HTTPHEADER, hl);
    curl_easy_setopt(curl, CURLOPT_WRITEFUNCTION, s_write_cb);
    curl_easy_setopt(curl, CURLOPT_WRITEDATA, response);
    curl_easy_setopt(curl, CURLOPT_TIMEOUT_MS, 30000L);
    curl_easy_setopt(curl, CURLOPT_NOSIGNAL, 1L);
    CURLcode rc = curl_easy_perform(curl);
    *status = 0;
    if (rc != CURLE_OK) {
        cr_error_set("%s %s: %s", method, url, curl_easy_strerror(rc));
        goto done;
    }
    curl_easy_getinfo(curl, CURLINFO_RESPONSE_CODE, status);
    result = 0;
done:
    curl_slist_free_all(hl);
    curl_easy_cleanup(curl);
    return result;
}

static int s_control(const struct cr_emu_proc *emu, const char *method, const char *path,
                     const char *body, struct cr_buf *response)
{
    char url[512];
    long status = 0;
    static const char *const headers[] = {"Content-Type: application/json", NULL};
    snprintf(url, sizeof(url), "%s%s", emu->url, path);
    if (s_http(url, method, body, headers, &status, response) != 0)
        return -1;
    if (status != 200) {
        cr_error_set("%s %s: HTTP %ld: %s", method, path, status, cr_buf_cstr(response));
        return -1;
    }
    return 0;
}

int cr_emu_proc_faults(const struct cr_emu_proc *emu, const char *json)
{
    struct cr_buf resp = CR_BUF_INIT;
    int rc = s_control(emu, "POST", "/_local/faults", json, &resp);
    cr_buf_dispose(&resp);
    return rc;
}

int cr_emu_proc_token(const struct cr_emu_proc *emu, const char *issuer, const char *claims,
                      struct cr_buf *out)
{
    struct cr_buf resp = CR_BUF_INIT;
    json_t *req = json_pack("{s:s, s:o}", "issuer", issuer, "claims",
                            json_loads(claims ? claims : "{}", 0, NULL));
    char *body = req ? json_dumps(req, JSON_COMPACT) : NULL;
    json_t *doc = NULL;
    int rc = body ? s_control(emu, "POST", "/_local/token", body, &resp) : -1;
    if (rc == 0)
        doc = json_loads(cr_buf_cstr(&resp), 0, NULL);
    const char *token = json_string_value(json_object_get(doc, "token"));
    if (rc == 0 && !token) {
        cr_error_set("POST /_local/token: no token in %s", cr_buf_cstr(&resp));
        rc = -1;
    }
    if (rc == 0)
        cr_buf_puts(out, token);
    json_decref(doc);
    json_decref(req);
    free(body);
    cr_buf_dispose(&resp);
    return rc;
}

int cr_emu_proc_reset(const struct cr_emu_proc *emu)
{
    struct cr_buf resp = CR_BUF_INIT;
    int rc = s_control(emu, "POST", "/_local/reset", "", &resp);
    cr_buf_dispose(&resp);
    return rc;
}

int cr_emu_proc_requests(const struct cr_emu_proc *emu, long since, json_t **out)
{
    int result = -1;
    char path[64];
    json_t *doc = NULL;
    struct cr_buf resp = CR_BUF_INIT;
    snprintf(path, sizeof(path), "/_local/requests?since=%ld", since);
    if (s_control(emu, "GET", path, NULL, &resp) != 0)
        goto done;
    doc = json_loads(cr_buf_cstr(&resp), 0, NULL);
    if (!json_is_array(json_object_get(doc, "requests"))) {
        cr_error_set("GET %s: unexpected body: %s", path, cr_buf_cstr(&resp));
        goto done;
    }
    *out = json_incref(json_object_get(doc, "requests"));
    result = 0;
done:
    json_decref(doc);
    cr_buf_dispose(&resp);
    return result;
}

long cr_emu_proc_count(const struct cr_emu_proc *emu, const char *op)
{
    json_t *list = NULL, *e;
    size_t i;
    long n = 0;
    if (cr_emu_proc_requests(emu, 0, &list) != 0)
        return -1;
    json_array_foreach(list, i, e)
    {
        const char *name = json_string_value(json_object_get(e, "operation"));
        if (!op || (name && strcmp(name, op) == 0))
            n++;
    }
    json_decref(list);
    return n;
}

int cr_emu_proc_call(const struct cr_emu_proc *emu, const char *op, const char *body, long *status,
                     struct cr_buf *response)
{
    char target[160], url[256];
    const char *headers[] = {"Content-Type: application/x-amz-json-1.1", target, NULL};
    snprintf(target, sizeof(target), "X-Amz-Target: AWSCognitoIdentityService.%s", op);
    snprintf(url, sizeof(url), "%s/", emu->url);
    return s_http(url, "POST", body ? body : "{}", headers, status, response);
}
