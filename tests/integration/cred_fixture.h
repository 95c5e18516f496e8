/* SPDX-License-Identifier: Apache-2.0 */
#ifndef CR_TESTS_INTEGRATION_CRED_FIXTURE_H
#define CR_TESTS_INTEGRATION_CRED_FIXTURE_H
/*
 * An emulator in this process (main port and IMDS listener, SigV4 verified against one static
 * key, container credentials behind a token) and a fake environment pointing the credential
 * chain at it, for the tests of the credential sources (integration) and their comparison
 * with the AWS CLI (conformance). Include after tests/support/cr_test.h.
 */
#include <curl/curl.h>
#include <openssl/evp.h>
#include <stdlib.h>
#include <string.h>

#include "aws/credentials.h"
#include "aws/request.h"
#include "emulator/emulator.h"
#include "tests/unit/test_aws_env.h"
#include "util/buf.h"
#include "util/strutil.h"

#define S_KEY      "AKIDCREDSOURCES00001"
#define S_SECRET   "credSourcesTestSecret0000000000000000000"
#define S_ACCOUNT  "111122223333"
#define S_ROLE     "arn:aws:iam::222233334444:role/deploy"
#define S_ROLE2    "arn:aws:iam::555566667777:role/admin"
#define S_ECS_AUTH "ecs-agent-token-0123"

struct fixture {
    char *dir;
    char config[4096], credentials[4096], home[4096];
    struct cr_emu *emu;
    struct cr_emu_server *srv, *imds;
    struct fake_env vars;
    struct cr_aws_env env;
    struct cr_aws_credentials_options opts;
    char imds_url[128], ecs_url[256], ecs_token_file[4096];
};

static inline int64_t s_real_clock(void *ctx)
{
    (void)ctx;
    return cr_time_now();
}

static inline int s_setup(void **state)
{
    struct fixture *f = calloc(1, sizeof(*f));
    char keys[4096];
    f->dir = cr_test_tmpdir();
    snprintf(keys, sizeof(keys), "%s/emu-keys", f->dir);
    snprintf(f->home, sizeof(f->home), "%s/home", f->dir);
    snprintf(f->ecs_token_file, sizeof(f->ecs_token_file), "%s/ecs-token", f->dir);
    if (cr_test_write_file(keys, S_KEY " " S_SECRET " " S_ACCOUNT "\n") != 0 ||
        cr_test_write_file(f->ecs_token_file, S_ECS_AUTH "\n") != 0)
        return -1;
    struct cr_emu_options eo = {.credentials_path = keys,
                                .account_id = S_ACCOUNT,
                                .container_token = S_ECS_AUTH,
                                .imds_role = "ci-runner",
                                .container_role = "task-role",
                                .credentials_ttl_s = 1800,
                                .sts_min_duration_s = 1};
    struct cr_emu_server_options so = {.host = "127.0.0.1"};
    if (cr_emu_new(&f->emu, &eo) != 0 || cr_emu_server_start(&f->srv, f->emu, &so) != 0 ||
        cr_emu_imds_start(&f->imds, f->emu, &so) != 0) {
        print_error("emulator: %s\n", cr_error_last());
        return -1;
    }
    snprintf(f->imds_url, sizeof(f->imds_url), "%s", cr_emu_server_url(f->imds));
    snprintf(f->ecs_url, sizeof(f->ecs_url), "%s/v2/credentials/task-1",
             cr_emu_server_url(f->srv));
    s_set_aws_files(&f->vars, f->dir, f->config, f->credentials, sizeof(f->config));
    s_set(&f->vars, "HOME", f->home);
    s_set(&f->vars, "AWS_ENDPOINT_URL_STS", cr_emu_server_url(f->srv));
    s_set(&f->vars, "AWS_ENDPOINT_URL_SSO", cr_emu_server_url(f->srv));
    s_set(&f->vars, "AWS_REGION", "us-east-1");
    f->env = s_fake_env(&f->vars);
    f->env.clock = s_real_clock; /* the emulator checks expiry against the real clock */
    f->opts.env = &f->env;
    *state = f;
    return 0;
}

static inline int s_teardown(void **state)
{
    struct fixture *f = *state;
    cr_emu_server_stop(f->imds);
    cr_emu_server_stop(f->srv);
    cr_emu_free(f->emu);
    cr_test_rmtree(f->dir);
    free(f->dir);
    free(f);
    return 0;
}

static inline void s_files(struct fixture *f, const char *config, const char *credentials)
{
    assert_int_equal(cr_test_write_file(f->config, config), 0);
    assert_int_equal(cr_test_write_file(f->credentials, credentials), 0);
}

/* GetCallerIdentity signed with p's credentials; the ARN it answers goes to arn. */
static inline void s_caller(struct fixture *f, struct cr_aws_credentials_provider *p, char arn[512])
{
    struct cr_aws_transport *t = NULL;
    struct cr_aws_request req;
    struct cr_http_header h[] = {{"Content-Type", "application/x-www-form-urlencoded"}};
    assert_ok(cr_aws_transport_new(&t, NULL));
    cr_aws_request_init(&req);
    req.method = "POST";
    req.url = cr_emu_server_url(f->srv);
    req.headers = h;
    req.header_count = 1;
    req.body = "Action=GetCallerIdentity&Version=2011-06-15";
    req.body_len = strlen(req.body);
    req.sign = (struct cr_aws_signing){.service = "sts", .region = "us-east-1", .provider = p};
    assert_ok(cr_aws_request_run(t, &req));
    const char *a = strstr(cr_buf_cstr(&req.response), "<Arn>");
    const char *b = a ? strstr(a, "</Arn>") : NULL;
    assert_non_null(b);
    snprintf(arn, 512, "%.*s", (int)(b - a - 5), a + 5);
    cr_aws_request_dispose(&req);
    cr_aws_transport_free(t);
}

/* How many calls of op the emulator logged (GET /_local/requests). */
static inline long s_count(struct fixture *f, const char *op)
{
    char url[256], needle[96], *body = NULL;
    size_t len = 0;
    long n = 0;
    snprintf(url, sizeof(url), "%s/_local/requests", cr_emu_server_url(f->srv));
    CURL *c = curl_easy_init();
    FILE *mem = open_memstream(&body, &len);
    curl_easy_setopt(c, CURLOPT_URL, url);
    curl_easy_setopt(c, CURLOPT_WRITEDATA, mem);
    assert_int_equal(curl_easy_perform(c), CURLE_OK);
    curl_easy_cleanup(c);
    fclose(mem);
    snprintf(needle, sizeof(needle), "\"operation\":\"%s\"", op);
    for (const char *p = body; (p = strstr(p, needle)); p++)
        n++;
    free(body);
    return n;
}

/* POSTs body to the emulator's control endpoint path. */
static inline void s_control(struct fixture *f, const char *path, const char *body)
{
    char url[256];
    snprintf(url, sizeof(url), "%s%s", cr_emu_server_url(f->srv), path);
    CURL *c = curl_easy_init();
    FILE *devnull = fopen("/dev/null", "w");
    long status = 0;
    curl_easy_setopt(c, CURLOPT_URL, url);
    curl_easy_setopt(c, CURLOPT_POSTFIELDS, body);
    curl_easy_setopt(c, CURLOPT_WRITEDATA, devnull);
    assert_int_equal(curl_easy_perform(c), CURLE_OK);
    curl_easy_getinfo(c, CURLINFO_RESPONSE_CODE, &status);
    assert_int_equal(status, 200);
    curl_easy_cleanup(c);
    fclose(devnull);
}

/* Writes the token cache `aws sso login` would: ~/.aws/sso/cache/<sha1(key)>.json. */
static inline void s_sso_cache(struct fixture *f, const char *key, const char *token, const char *at)
{
    unsigned char md[EVP_MAX_MD_SIZE];
    unsigned int n = 0;
    char path[4096], text[1024];
    assert_true(EVP_Digest(key, strlen(key), md, &n, EVP_sha1(), NULL));
    int len = snprintf(path, sizeof(path), "%s/.aws/sso/cache/", f->home);
    for (unsigned int i = 0; i < n; i++)
        len += snprintf(path + len, sizeof(path) - (size_t)len, "%02x", md[i]);
    snprintf(path + len, sizeof(path) - (size_t)len, ".json");
    snprintf(text, sizeof(text),
             "{\"startUrl\": \"https://corp.awsapps.com/start\", \"region\": \"eu-west-1\", "
             "\"accessToken\": \"%s\", \"expiresAt\": \"%s\"}",
             token, at);
    assert_int_equal(cr_test_write_file(path, text), 0);
}

#endif
