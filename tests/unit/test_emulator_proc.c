/* SPDX-License-Identifier: Apache-2.0 */
/*
 * The test harness's emulator child (tests/support/emulator_proc.c) dies with the test that
 * started it: a crashed test must not leave an emulator holding ctest's output open.
 */
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/wait.h>
#include <time.h>
#include <unistd.h>

#include "tests/support/cr_test.h"
#include "tests/support/emulator_proc.h"

/* Running or sleeping; a zombie (killed, not yet reaped by its new parent) counts as dead. */
static bool s_alive(pid_t pid)
{
    char path[64], stat[512];
    snprintf(path, sizeof(path), "/proc/%d/stat", (int)pid);
    FILE *fp = fopen(path, "r");
    if (fp == NULL)
        return false;
    size_t n = fread(stat, 1, sizeof(stat) - 1, fp);
    fclose(fp);
    stat[n] = '\0';
    const char *paren = strrchr(stat, ')');
    return paren != NULL && paren[1] == ' ' && paren[2] != 'Z' && paren[2] != 'X';
}

/* A child process starts an emulator, reports its pid, then aborts as a failing test would. */
static void test_emulator_proc__dies_with_a_crashed_test(void **state)
{
    (void)state;
    int fds[2];
    assert_int_equal(pipe(fds), 0);
    pid_t test = fork();
    assert_true(test >= 0);
    if (test == 0) {
        close(fds[0]);
        struct cr_emu_proc emu;
        if (cr_emu_proc_start(&emu, NULL) != 0)
            _exit(2);
        pid_t pid = emu.pid;
        if (write(fds[1], &pid, sizeof(pid)) != (ssize_t)sizeof(pid))
            _exit(3);
        abort();
    }
    close(fds[1]);
    pid_t emu_pid = 0;
    assert_int_equal(read(fds[0], &emu_pid, sizeof(emu_pid)), (ssize_t)sizeof(emu_pid));
    close(fds[0]);
    int status = 0;
    assert_int_equal(waitpid(test, &status, 0), test);
    assert_true(WIFSIGNALED(status));
    /* The emulator was re-parented (to init or a subreaper) and killed by the kernel; wait
     * for the signal to land. Bounded: 10 s. */
    bool alive = true;
    for (int i = 0; i < 1000 && alive; i++) {
        alive = s_alive(emu_pid);
        if (alive) {
            struct timespec ts = {0, 10 * 1000 * 1000};
            nanosleep(&ts, NULL);
        }
    }
    if (alive)
        kill(emu_pid, SIGKILL);
    assert_false(alive);
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_emulator_proc__dies_with_a_crashed_test),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
