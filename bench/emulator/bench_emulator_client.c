/* SPDX-License-Identifier: Apache-2.0 */
/*
 * A small keep-alive load generator (libcurl multi) for bench/emulator/run.sh when wrk is
 * not installed: N connections, each re-sending the same request as soon as its answer
 * arrives, for a fixed time. Prints "requests/s: X errors: E".
 *
 * usage: bench_emulator_client URL SECONDS CONNECTIONS [POOL_ID]
 *   with POOL_ID: POST / DescribeIdentityPool; without: GET URL (the baseline).
 */
#include <curl/curl.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#define S_MAX_CONNECTIONS 256

static double s_now(void)
{
    struct timespec ts;
    clock_gettime(CLOCK_MONOTONIC, &ts);
    return (double)ts.tv_sec + (double)ts.tv_nsec / 1e9;
}

static size_t s_discard(char *p, size_t size, size_t n, void *user)
{
    return size * n;
}

static CURL *s_handle(const char *url, const char *body, struct curl_slist *hl)
{
    CURL *c = curl_easy_init();
    curl_easy_setopt(c, CURLOPT_URL, url);
    curl_easy_setopt(c, CURLOPT_WRITEFUNCTION, s_discard);
    curl_easy_setopt(c, CURLOPT_NOSIGNAL, 1L);
    if (body) {
        curl_easy_setopt(c, CURLOPT_POSTFIELDS, body);
        curl_easy_setopt(c, CURLOPT_HTTPHEADER, hl);
    }
    return c;
}

int main(int argc, char **argv)
{
    char url[512], body[256];
    struct curl_slist *hl = NULL;
    CURL *easy[S_MAX_CONNECTIONS];
    if (argc < 4) {
        fprintf(stderr, "usage: %s URL SECONDS CONNECTIONS [POOL_ID]\n", argv[0]);
        return 2;
    }
    double seconds = atof(argv[2]);
    int n = atoi(argv[3]);
    if (n < 1 || n > S_MAX_CONNECTIONS || seconds <= 0) {
        fprintf(stderr, "bench_emulator_client: 1..%d connections, SECONDS > 0\n",
                S_MAX_CONNECTIONS);
        return 2;
    }
    const char *pool = argc > 4 ? argv[4] : NULL;
    snprintf(url, sizeof(url), "%s", argv[1]);
    if (pool) {
        snprintf(body, sizeof(body), "{\"IdentityPoolId\":\"%s\"}", pool);
        hl = curl_slist_append(hl, "Content-Type: application/x-amz-json-1.1");
        hl = curl_slist_append(hl, "X-Amz-Target: AWSCognitoIdentityService.DescribeIdentityPool");
        hl = curl_slist_append(hl, "Expect:");
    }
    curl_global_init(CURL_GLOBAL_DEFAULT);
    CURLM *m = curl_multi_init();
    curl_multi_setopt(m, CURLMOPT_MAXCONNECTS, (long)n);
    for (int i = 0; i < n; i++) {
        easy[i] = s_handle(url, pool ? body : NULL, hl);
        curl_multi_add_handle(m, easy[i]);
    }
    long done = 0, errors = 0;
    double start = s_now(), end = start + seconds;
    int running = 0;
    while (s_now() < end) {
        curl_multi_perform(m, &running);
        int left;
        for (CURLMsg *msg = curl_multi_info_read(m, &left); msg;
             msg = curl_multi_info_read(m, &left)) {
            if (msg->msg != CURLMSG_DONE)
                continue;
            long status = 0;
            curl_easy_getinfo(msg->easy_handle, CURLINFO_RESPONSE_CODE, &status);
            if (msg->data.result != CURLE_OK || status != 200)
                errors++;
            done++;
            /* re-add: libcurl keeps the connection in the multi's pool (keep-alive) */
            curl_multi_remove_handle(m, msg->easy_handle);
            curl_multi_add_handle(m, msg->easy_handle);
        }
        curl_multi_poll(m, NULL, 0, 50, NULL);
    }
    double elapsed = s_now() - start;
    printf("requests/s: %.0f errors: %ld\n", (double)done / elapsed, errors);
    for (int i = 0; i < n; i++) {
        curl_multi_remove_handle(m, easy[i]);
        curl_easy_cleanup(easy[i]);
    }
    curl_multi_cleanup(m);
    curl_slist_free_all(hl);
    curl_global_cleanup();
    return errors == 0 ? 0 : 1;
}
