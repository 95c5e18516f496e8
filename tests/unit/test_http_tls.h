/* SPDX-License-Identifier: Apache-2.0 */
#ifndef CR_TESTS_UNIT_TEST_HTTP_TLS_H
#define CR_TESTS_UNIT_TEST_HTTP_TLS_H
/*
 * A TLS endpoint for the certificate-verification tests of aws/http and aws/sts: a self-signed
 * certificate for 127.0.0.1 made with the openssl command line tool, served by
 * `openssl s_server -rev` on a free loopback port. -rev echoes lines back, which is not HTTP,
 * so a trusted request fails after the handshake, never with a certificate error. Tests skip
 * when the tool is not installed. Included by test_http.c and test_credentials_sts.c (static
 * functions).
 */
#include <arpa/inet.h>
#include <fcntl.h>
#include <netinet/in.h>
#include <signal.h>
#include <stdbool.h>
#include <stdio.h>
#include <stdlib.h>
#include <sys/socket.h>
#include <sys/wait.h>
#include <unistd.h>

struct s_tls_server {
    pid_t pid; /* 0 when not running */
    char *dir; /* temporary folder of the certificate and key */
    int port;
    char cert[1024]; /* the certificate, also the CA bundle that trusts it */
    char key[1024];
};

/* A free loopback port (bound and released; the small race is acceptable in a test). */
static int s_free_port(void)
{
    int fd = socket(AF_INET, SOCK_STREAM, 0);
    struct sockaddr_in a = {.sin_family = AF_INET, .sin_addr.s_addr = htonl(INADDR_LOOPBACK)};
    socklen_t alen = sizeof(a);
    assert_true(fd >= 0);
    assert_int_equal(bind(fd, (struct sockaddr *)&a, sizeof(a)), 0);
    assert_int_equal(getsockname(fd, (struct sockaddr *)&a, &alen), 0);
    close(fd);
    return ntohs(a.sin_port);
}

static bool s_can_connect(int port)
{
    struct sockaddr_in a = {.sin_family = AF_INET,
                            .sin_addr.s_addr = htonl(INADDR_LOOPBACK),
                            .sin_port = htons((uint16_t)port)};
    int fd = socket(AF_INET, SOCK_STREAM, 0);
    bool ok = fd >= 0 && connect(fd, (struct sockaddr *)&a, sizeof(a)) == 0;
    if (fd >= 0)
        close(fd);
    return ok;
}

/* Skips the test when the openssl tool is missing; otherwise writes cert.pem and key.pem in a
 * new temporary folder, starts s_server (ending by itself after naccept connections when
 * naccept > 0) and waits, bounded, until it accepts connections. */
static void s_tls_server_start(struct s_tls_server *out, int naccept)
{
    if (system("openssl version >/dev/null 2>&1") != 0)
        skip();
    char cmd[4096], accept[32], count[16];
    out->pid = 0;
    out->dir = cr_test_tmpdir();
    snprintf(out->cert, sizeof(out->cert), "%s/cert.pem", out->dir);
    snprintf(out->key, sizeof(out->key), "%s/key.pem", out->dir);
    snprintf(cmd, sizeof(cmd),
             "openssl req -x509 -newkey ec -pkeyopt ec_paramgen_curve:prime256v1 -nodes -keyout %s "
             "-out %s -days 1 "
             "-subj /CN=localhost -addext subjectAltName=IP:127.0.0.1 >/dev/null 2>&1",
             out->key, out->cert);
    assert_int_equal(system(cmd), 0);
    out->port = s_free_port();
    snprintf(accept, sizeof(accept), "127.0.0.1:%d", out->port);
    snprintf(count, sizeof(count), "%d", naccept);
    pid_t pid = fork();
    assert_true(pid >= 0);
    if (pid == 0) {
        int devnull = open("/dev/null", O_RDWR);
        dup2(devnull, STDOUT_FILENO);
        dup2(devnull, STDERR_FILENO);
        if (naccept > 0)
            execlp("openssl", "openssl", "s_server", "-accept", accept, "-cert", out->cert, "-key",
                   out->key, "-rev", "-quiet", "-naccept", count, (char *)NULL);
        else
            execlp("openssl", "openssl", "s_server", "-accept", accept, "-cert", out->cert, "-key",
                   out->key, "-rev", "-quiet", (char *)NULL);
        _exit(127);
    }
    out->pid = pid;
    for (int i = 0; i < 200 && !s_can_connect(out->port); i++)
        usleep(20000);
}

/* Stops the server started by s_tls_server_start and removes its folder (a no-op for what
 * is not there). */
static void s_tls_server_stop(struct s_tls_server *srv)
{
    if (srv->pid > 0) {
        kill(srv->pid, SIGTERM);
        waitpid(srv->pid, NULL, 0);
        srv->pid = 0;
    }
    if (srv->dir) {
        cr_test_rmtree(srv->dir);
        free(srv->dir);
        srv->dir = NULL;
    }
}

#endif
