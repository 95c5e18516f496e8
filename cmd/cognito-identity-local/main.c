/* SPDX-License-Identifier: Apache-2.0 */
/*
 * cognito-identity-local: the emulator's entry point. Parses flags, starts the server,
 * prints the URL as the first stdout line (so scripts can start it with --port 0 and read
 * where it listens), then waits for SIGTERM/SIGINT and shuts down cleanly.
 */
#include <errno.h>
#include <getopt.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/resource.h>

#include "cmd/cognito-identity-local/token.h"
#include "cr_version.h"
#include "emulator/emulator.h"
#include "util/buf.h"
#include "util/error.h"

struct s_args {
    struct cr_emu_server_options server;
    long imds_port; /* --imds-port; -1 = no instance metadata listener */
    struct cr_emu_options opts;
    const char *faults[64];
    size_t n_faults;
    const char *faults_file;
    const char *quotas[64]; /* --quota rules, in order */
    const char *s3_buckets[64];
};

static void s_usage(FILE *f)
{
    fputs("usage: cognito-identity-local [options]\n"
          "\n"
          "A local emulator of the Amazon Cognito Identity API (JSON 1.1: the pool-management\n"
          "operations and the identity side, GetId, GetCredentialsForIdentity, ...) with STS\n"
          "(AssumeRole, AssumeRoleWithWebIdentity, GetCallerIdentity), the S3 object calls of\n"
          "a lock file (path-style, --s3-bucket), the IAM Identity Center portal and container\n"
          "credentials on the same port.\n"
          "Prints http://HOST:PORT on the first stdout line once it accepts connections.\n"
          "\n"
          "  --host ADDR          address to listen on (default 127.0.0.1)\n"
          "  --port N             port; 0 picks a free one (default 0)\n"
          "  --state FILE         keep state in FILE (JSON, rewritten atomically after each\n"
          "                       change); default: memory only\n"
          "  --region R           region when a request has no SigV4 scope (default us-east-1)\n"
          "  --account-id ID      account of pool ARNs (default 123456789012)\n"
          "  --credentials FILE   verify SigV4 against the keys in FILE, one per line:\n"
          "                       ACCESS_KEY_ID SECRET_ACCESS_KEY [ACCOUNT_ID]\n"
          "  --idp-keys FILE      verify login tokens of these issuers: {\"ISSUER\": JWKS}\n"
          "  --max-pools N        identity pools per account and region (default 1000)\n"
          "  --threads N          HTTP worker threads (default 4)\n"
          "  --max-connections N  open connections at most (default 1000)\n"
          "  --max-connections-per-client N\n"
          "                       connections one client address may hold (default 256)\n"
          "  --header-timeout-ms N\n"
          "                       a request line and headers must arrive within N ms of the\n"
          "                       connection (or of the previous answer on it); default 20000\n"
          "  --max-body-bytes N   request body cap, S3 objects included (default 1048576)\n"
          "  --s3-bucket NAME     an S3 bucket that exists (path-style PutObject, GetObject,\n"
          "                       HeadObject, DeleteObject with conditions; repeatable)\n"
          "  --fault SPEC         inject a fault: OP:key=value[,key=value...], OP may be '*';\n"
          "                       keys latency_ms, jitter_ms, throttle, error, drop, hang (rates\n"
          "                       0..1), hang_ms, count, after, type, status, message\n"
          "                       (repeatable)\n"
          "  --faults FILE        fault rules as JSON ([{\"operation\": ..., ...}])\n"
          "  --quotas PROFILE     request-rate quotas per account, region and operation:\n"
          "                       'aws' (the service's published rates, conservative where\n"
          "                       none is published) or 'none' (the default)\n"
          "  --quota OP=RPS[:BURST]\n"
          "                       limit OP (or '*': every operation) to RPS requests per\n"
          "                       second, bursts of BURST (default one second's worth);\n"
          "                       RPS may be 'unlimited'; a request over the rate gets\n"
          "                       TooManyRequestsException (repeatable; after --quotas)\n"
          "  --imds-port N        also serve EC2 instance metadata (IMDSv2) on N (0 = a free\n"
          "                       port); its URL is the second stdout line\n"
          "  --imds-role NAME     the instance profile's role (default cognito-identity-local)\n"
          "  --container-role NAME  the role of container credentials (/v2/credentials/ID,\n"
          "                       /v1/credentials; default cognito-identity-local-task)\n"
          "  --container-token T  the Authorization value container credentials require\n"
          "  --credentials-ttl S  lifetime of IMDS, container and SSO credentials (default 3600)\n"
          "  --sts-min-duration S lowest DurationSeconds STS accepts (default 900, as AWS;\n"
          "                       lower it to test credentials that expire during a run)\n"
          "  --debug              log one line per request to stderr\n"
          "  --help               this text\n"
          "  --version            the version (and the git commit it was built from)\n"
          "\n"
          "Control endpoints (loopback clients only): GET /_local/health,\n"
          "GET|POST /_local/faults, GET|POST /_local/quotas, GET /_local/requests[?since=N],\n"
          "GET /_local/state, POST /_local/reset, POST /_local/token, GET /_local/jwks,\n"
          "GET /_local/credentials/ACCESS_KEY_ID.\n"
          "\n"
          "cognito-identity-local token --issuer ISSUER [--claims JSON] mints a test login\n"
          "token from a running emulator (see `cognito-identity-local token --help`).\n"
          "See docs/emulator.md.\n",
          f);
}

static int s_number(unsigned long *out, const char *flag, const char *text, unsigned long min,
                    unsigned long max)
{
    char *end = NULL;
    errno = 0;
    unsigned long v = strtoul(text, &end, 10);
    if (errno != 0 || end == text || *end != '\0' || v < min || v > max || text[0] == '-') {
        fprintf(stderr, "cognito-identity-local: %s '%s': expected a number %lu..%lu\n", flag, text,
                min, max);
        return -1;
    }
    *out = v;
    return 0;
}

static int s_parse(struct s_args *a, int argc, char **argv)
{
    static const struct option longopts[] = {
        {"host", required_argument, 0, 'h'},
        {"port", required_argument, 0, 'p'},
        {"state", required_argument, 0, 's'},
        {"region", required_argument, 0, 'r'},
        {"account-id", required_argument, 0, 'a'},
        {"credentials", required_argument, 0, 'c'},
        {"idp-keys", required_argument, 0, 'k'},
        {"max-pools", required_argument, 0, 'm'},
        {"threads", required_argument, 0, 't'},
        {"max-connections", required_argument, 0, 'C'},
        {"max-connections-per-client", required_argument, 0, 'P'},
        {"header-timeout-ms", required_argument, 0, 'T'},
        {"max-body-bytes", required_argument, 0, 'b'},
        {"fault", required_argument, 0, 'f'},
        {"faults", required_argument, 0, 'F'},
        {"quotas", required_argument, 0, 'Q'},
        {"quota", required_argument, 0, 'q'},
        {"s3-bucket", required_argument, 0, 'B'},
        {"imds-port", required_argument, 0, 'I'},
        {"imds-role", required_argument, 0, 'R'},
        {"container-role", required_argument, 0, 'K'},
        {"container-token", required_argument, 0, 'O'},
        {"credentials-ttl", required_argument, 0, 'L'},
        {"sts-min-duration", required_argument, 0, 'D'},
        {"debug", no_argument, 0, 'd'},
        {"help", no_argument, 0, 'H'},
        {"version", no_argument, 0, 'V'},
        {0, 0, 0, 0}};
    unsigned long n;
    int c;
    while ((c = getopt_long(argc, argv, "", longopts, NULL)) != -1) {
        switch (c) {
        case 'h':
            a->server.host = optarg;
            break;
        case 'p':
            if (s_number(&n, "--port", optarg, 0, 65535) != 0)
                return 1;
            a->server.port = (unsigned)n;
            break;
        case 's':
            a->opts.state_path = optarg;
            break;
        case 'r':
            a->opts.region = optarg;
            break;
        case 'a':
            a->opts.account_id = optarg;
            break;
        case 'c':
            a->opts.credentials_path = optarg;
            break;
        case 'k':
            a->opts.idp_keys_path = optarg;
            break;
        case 'm':
            if (s_number(&n, "--max-pools", optarg, 1, 1000000) != 0)
                return 1;
            a->opts.max_pools = (unsigned)n;
            break;
        case 't':
            if (s_number(&n, "--threads", optarg, 1, 256) != 0)
                return 1;
            a->server.threads = (unsigned)n;
            break;
        case 'C':
            if (s_number(&n, "--max-connections", optarg, 1, 100000) != 0)
                return 1;
            a->server.max_connections = (unsigned)n;
            break;
        case 'P':
            if (s_number(&n, "--max-connections-per-client", optarg, 1, 100000) != 0)
                return 1;
            a->server.max_connections_per_client = (unsigned)n;
            break;
        case 'T':
            if (s_number(&n, "--header-timeout-ms", optarg, 100, 3600000) != 0)
                return 1;
            a->server.header_timeout_ms = (unsigned)n;
            break;
        case 'b':
            if (s_number(&n, "--max-body-bytes", optarg, 1, 1UL << 30) != 0)
                return 1;
            a->opts.max_body_bytes = n;
            break;
        case 'f':
            if (a->n_faults == sizeof(a->faults) / sizeof(a->faults[0])) {
                fprintf(stderr, "cognito-identity-local: too many --fault flags\n");
                return 1;
            }
            a->faults[a->n_faults++] = optarg;
            break;
        case 'F':
            a->faults_file = optarg;
            break;
        case 'Q':
            a->opts.quota_profile = optarg;
            break;
        case 'q':
            if (a->opts.n_quota_rules == sizeof(a->quotas) / sizeof(a->quotas[0])) {
                fprintf(stderr, "cognito-identity-local: too many --quota flags\n");
                return 1;
            }
            a->quotas[a->opts.n_quota_rules++] = optarg;
            a->opts.quota_rules = a->quotas;
            break;
        case 'B':
            if (a->opts.n_s3_buckets == sizeof(a->s3_buckets) / sizeof(a->s3_buckets[0])) {
                fprintf(stderr, "cognito-identity-local: too many --s3-bucket flags\n");
                return 1;
            }
            a->s3_buckets[a->opts.n_s3_buckets++] = optarg;
            a->opts.s3_buckets = a->s3_buckets;
            break;
        case 'I':
            if (s_number(&n, "--imds-port", optarg, 0, 65535) != 0)
                return 1;
            a->imds_port = (long)n;
            break;
        case 'R':
            a->opts.imds_role = optarg;
            break;
        case 'K':
            a->opts.container_role = optarg;
            break;
        case 'O':
            a->opts.container_token = optarg;
            break;
        case 'L':
            if (s_number(&n, "--credentials-ttl", optarg, 1, 43200) != 0)
                return 1;
            a->opts.credentials_ttl_s = (long)n;
            break;
        case 'D':
            if (s_number(&n, "--sts-min-duration", optarg, 1, 43200) != 0)
                return 1;
            a->opts.sts_min_duration_s = (long)n;
            break;
        case 'd':
            a->opts.debug = true;
            break;
        case 'H':
            s_usage(stdout);
            exit(0);
        case 'V':
            printf("cognito-identity-local %s\n", CR_VERSION_FULL);
            exit(0);
        default:
            s_usage(stderr);
            return 1;
        }
    }
    if (optind < argc) {
        fprintf(stderr, "cognito-identity-local: unexpected argument '%s'\n", argv[optind]);
        return 1;
    }
    return 0;
}

static int s_add_faults(struct cr_emu *emu, const struct s_args *a)
{
    struct cr_buf text = CR_BUF_INIT;
    int rc = 0;
    for (size_t i = 0; i < a->n_faults && rc == 0; i++)
        rc = cr_emu_add_faults(emu, a->faults[i]);
    if (rc == 0 && a->faults_file) {
        rc = cr_buf_read_file(&text, a->faults_file, 1024 * 1024);
        if (rc == 0)
            rc = cr_emu_add_faults(emu, cr_buf_cstr(&text));
        if (rc != 0)
            cr_error_prefix("%s", a->faults_file);
    }
    cr_buf_dispose(&text);
    return rc;
}

/*
 * Each connection is a file: raises the soft open-file limit to what --max-connections needs
 * (plus room for the state file, the pipes and libmicrohttpd's own), as far as the hard limit
 * allows; below that, the connection limit shrinks to fit and stderr says so (accept(2) would
 * otherwise fail with EMFILE and stop accepting everyone).
 */
static void s_fit_open_files(struct cr_emu_server_options *server)
{
    const rlim_t spare = 64;
    struct rlimit rl;
    unsigned want = server->max_connections ? server->max_connections : 1000;
    if (getrlimit(RLIMIT_NOFILE, &rl) != 0)
        return;
    if (rl.rlim_cur < want + spare) {
        rl.rlim_cur = rl.rlim_max == RLIM_INFINITY || rl.rlim_max >= want + spare ? want + spare
                                                                                  : rl.rlim_max;
        setrlimit(RLIMIT_NOFILE, &rl);
    }
    if (getrlimit(RLIMIT_NOFILE, &rl) != 0 || rl.rlim_cur >= want + spare || rl.rlim_cur <= spare)
        return;
    if (server->max_connections) /* asked for: say why it is not granted */
        fprintf(stderr,
                "cognito-identity-local: --max-connections %u: the open-file limit is %lu, so "
                "at most %lu\n",
                want, (unsigned long)rl.rlim_cur, (unsigned long)(rl.rlim_cur - spare));
    server->max_connections = (unsigned)(rl.rlim_cur - spare);
}

/* The instance metadata listener: --host, --imds-port, the main listener's limits. */
static int s_imds_start(struct cr_emu_server **out, struct cr_emu *emu, const struct s_args *a)
{
    struct cr_emu_server_options o = a->server;
    o.port = (unsigned)a->imds_port;
    return cr_emu_imds_start(out, emu, &o);
}

int main(int argc, char **argv)
{
    struct s_args a = {.imds_port = -1};
    struct cr_emu *emu = NULL;
    struct cr_emu_server *srv = NULL, *imds = NULL;
    sigset_t set;
    int sig = 0, status = 1;
    if (argc > 1 && strcmp(argv[1], "token") == 0)
        return cr_local_token_main(argc - 1, argv + 1);
    if (s_parse(&a, argc, argv) != 0)
        return 1;
    /* Worker threads inherit this mask, so only sigwait() below sees the signals. */
    signal(SIGPIPE, SIG_IGN);
    sigemptyset(&set);
    sigaddset(&set, SIGTERM);
    sigaddset(&set, SIGINT);
    pthread_sigmask(SIG_BLOCK, &set, NULL);
    s_fit_open_files(&a.server);
    if (cr_emu_new(&emu, &a.opts) != 0 || s_add_faults(emu, &a) != 0 ||
        cr_emu_server_start(&srv, emu, &a.server) != 0 ||
        (a.imds_port >= 0 && s_imds_start(&imds, emu, &a) != 0)) {
        fprintf(stderr, "cognito-identity-local: %s\n", cr_error_last());
        goto done;
    }
    printf("%s\n", cr_emu_server_url(srv));
    if (imds)
        printf("%s\n", cr_emu_server_url(imds));
    fflush(stdout);
    fprintf(stderr, "cognito-identity-local: listening on %s (region %s%s%s)\n",
            cr_emu_server_url(srv), a.opts.region ? a.opts.region : "us-east-1",
            a.opts.state_path ? ", state " : "", a.opts.state_path ? a.opts.state_path : "");
    sigwait(&set, &sig);
    fprintf(stderr, "cognito-identity-local: %s, shutting down\n",
            sig == SIGINT ? "SIGINT" : "SIGTERM");
    status = 0;
done:
    cr_emu_server_stop(imds);
    cr_emu_server_stop(srv); /* in-flight requests finish; each change was already saved */
    cr_emu_free(emu);
    return status;
}
