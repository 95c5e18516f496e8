/* SPDX-License-Identifier: Apache-2.0 */
/* The emulator over real HTTP (in-process server on a free loopback port, libcurl client):
 * keep-alive, robustness, injected latency that overlaps, SigV4 verification, STS. */
#include <arpa/inet.h>
#include <curl/curl.h>
#include <netinet/in.h>
#include <poll.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>
#include <unistd.h>

#include "tests/unit/test_emulator_call.h"

#include "aws/xml.h"
#include "util/strutil.h"

struct s_server {
    struct cr_emu *emu;
    struct cr_emu_server *srv;
    char host[64];
};

static void s_start(struct s_server *s, const char *credentials, unsigned threads)
{
    struct cr_emu_options opts = {.credentials_path = credentials};
    memset(s, 0, sizeof(*s));
    assert_ok(cr_emu_new(&s->emu, &opts));
    struct cr_emu_server_options server = {.threads = threads};
    assert_ok(cr_emu_server_start(&s->srv, s->emu, &server));
    snprintf(s->host, sizeof(s->host), "127.0.0.1:%u", cr_emu_server_port(s->srv));
}

static void s_stop(struct s_server *s)
{
    cr_emu_server_stop(s->srv);
    cr_emu_free(s->emu);
}

struct s_resp {
    long status;
    CURLcode rc;
    struct cr_buf body;
    struct cr_buf headers;
};

static size_t s_write(char *p, size_t size, size_t n, void *user)
{
    return cr_buf_put(user, p, size * n) == 0 ? size * n : 0;
}

static CURL *s_easy(const char *url, const char *method, const char *body, size_t len,
                    struct curl_slist *hl, struct s_resp *r)
{
    CURL *c = curl_easy_init();
    curl_easy_setopt(c, CURLOPT_URL, url);
    curl_easy_setopt(c, CURLOPT_CUSTOMREQUEST, method);
    if (body) {
        curl_easy_setopt(c, CURLOPT_POSTFIELDS, body);
        curl_easy_setopt(c, CURLOPT_POSTFIELDSIZE, (long)len);
    }
    curl_easy_setopt(c, CURLOPT_HTTPHEADER, hl);
    curl_easy_setopt(c, CURLOPT_WRITEFUNCTION, s_write);
    curl_easy_setopt(c, CURLOPT_WRITEDATA, &r->body);
    curl_easy_setopt(c, CURLOPT_HEADERFUNCTION, s_write);
    curl_easy_setopt(c, CURLOPT_HEADERDATA, &r->headers);
    curl_easy_setopt(c, CURLOPT_TIMEOUT_MS, 20000L);
    curl_easy_setopt(c, CURLOPT_NOSIGNAL, 1L);
    return c;
}

static void s_resp_dispose(struct s_resp *r)
{
    cr_buf_dispose(&r->body);
    cr_buf_dispose(&r->headers);
}

/* One unsigned JSON 1.1 call on handle c (or a fresh one). */
static void s_op(struct s_resp *r, struct s_server *s, CURL *reuse, const char *op,
                 const char *body)
{
    char url[128], target[128];
    struct curl_slist *hl = curl_slist_append(NULL, "Content-Type: application/x-amz-json-1.1");
    snprintf(url, sizeof(url), "%s/", cr_emu_server_url(s->srv));
    snprintf(target, sizeof(target), "X-Amz-Target: AWSCognitoIdentityService.%s", op);
    hl = curl_slist_append(hl, target);
    memset(r, 0, sizeof(*r));
    CURL *c = reuse ? reuse : s_easy(url, "POST", body, strlen(body), hl, r);
    if (reuse) {
        curl_easy_setopt(c, CURLOPT_POSTFIELDS, body);
        curl_easy_setopt(c, CURLOPT_POSTFIELDSIZE, (long)strlen(body));
        curl_easy_setopt(c, CURLOPT_HTTPHEADER, hl);
        curl_easy_setopt(c, CURLOPT_WRITEDATA, &r->body);
        curl_easy_setopt(c, CURLOPT_HEADERDATA, &r->headers);
    }
    r->rc = curl_easy_perform(c);
    curl_easy_getinfo(c, CURLINFO_RESPONSE_CODE, &r->status);
    if (!reuse)
        curl_easy_cleanup(c);
    curl_slist_free_all(hl);
}

/* METHOD /_local/NAME on a fresh connection. */
static void s_control(struct s_resp *r, struct s_server *s, const char *method, const char *name)
{
    char url[160];
    snprintf(url, sizeof(url), "%s/_local/%s", cr_emu_server_url(s->srv), name);
    memset(r, 0, sizeof(*r));
    CURL *c = s_easy(url, method, NULL, 0, NULL, r);
    r->rc = curl_easy_perform(c);
    curl_easy_getinfo(c, CURLINFO_RESPONSE_CODE, &r->status);
    curl_easy_cleanup(c);
}

static void test_emulator__http_keep_alive_and_headers(void **state)
{
    struct s_server s;
    struct s_resp r;
    char url[128];
    s_start(&s, NULL, 2);
    snprintf(url, sizeof(url), "%s/", cr_emu_server_url(s.srv));
    struct s_resp dummy = {0};
    CURL *c = s_easy(url, "POST", NULL, 0, NULL, &dummy);
    for (int i = 0; i < 3; i++) {
        long connects = -1;
        s_op(&r, &s, c, "ListIdentityPools", "{\"MaxResults\":5}");
        assert_int_equal(r.rc, CURLE_OK);
        assert_int_equal(r.status, 200);
        assert_string_equal(cr_buf_cstr(&r.body), "{\"IdentityPools\":[]}");
        assert_non_null(
            strstr(cr_buf_cstr(&r.headers), "Content-Type: application/x-amz-json-1.1"));
        const char *rid = strstr(cr_buf_cstr(&r.headers), "x-amzn-RequestId: ");
        assert_non_null(rid);
        assert_int_equal(strcspn(rid + 18, "\r\n"), 36);
        curl_easy_getinfo(c, CURLINFO_NUM_CONNECTS, &connects);
        assert_int_equal(connects, i == 0 ? 1 : 0); /* the connection was reused */
        s_resp_dispose(&r);
    }
    curl_easy_cleanup(c);
    s_resp_dispose(&dummy);
    s_stop(&s);
}

/* Every header reaches the router, however many come before X-Amz-Target (a client or proxy
 * may add dozens; a dropped signed header would also break SigV4). */
static void test_emulator__http_many_headers_none_dropped(void **state)
{
    struct s_server s;
    struct s_resp r = {0};
    char url[128], line[64];
    s_start(&s, NULL, 2);
    snprintf(url, sizeof(url), "%s/", cr_emu_server_url(s.srv));
    struct curl_slist *hl = NULL;
    for (int i = 0; i < 200; i++) {
        snprintf(line, sizeof(line), "X-Filler-%03d: %d", i, i);
        hl = curl_slist_append(hl, line);
    }
    hl = curl_slist_append(hl, "Content-Type: application/x-amz-json-1.1");
    hl = curl_slist_append(hl, "X-Amz-Target: AWSCognitoIdentityService.ListIdentityPools");
    const char *body = "{\"MaxResults\":5}";
    CURL *c = s_easy(url, "POST", body, strlen(body), hl, &r);
    assert_int_equal(curl_easy_perform(c), CURLE_OK);
    curl_easy_getinfo(c, CURLINFO_RESPONSE_CODE, &r.status);
    assert_int_equal(r.status, 200);
    assert_string_equal(cr_buf_cstr(&r.body), "{\"IdentityPools\":[]}");
    curl_easy_cleanup(c);
    curl_slist_free_all(hl);
    s_resp_dispose(&r);
    s_stop(&s);
}

static void test_emulator__http_robustness(void **state)
{
    struct s_server s;
    struct s_resp r = {0};
    char url[128];
    s_start(&s, NULL, 2);
    /* 2 MiB body: 413 with a JSON error, and the server keeps serving */
    size_t big_len = 2 * 1024 * 1024;
    char *big = malloc(big_len);
    memset(big, ' ', big_len);
    snprintf(url, sizeof(url), "%s/", cr_emu_server_url(s.srv));
    CURL *c = s_easy(url, "POST", big, big_len, NULL, &r);
    assert_int_equal(curl_easy_perform(c), CURLE_OK);
    curl_easy_getinfo(c, CURLINFO_RESPONSE_CODE, &r.status);
    assert_int_equal(r.status, 413);
    assert_non_null(strstr(cr_buf_cstr(&r.body), "RequestEntityTooLargeException"));
    curl_easy_cleanup(c);
    s_resp_dispose(&r);
    free(big);

    memset(&r, 0, sizeof(r));
    c = s_easy(url, "GET", NULL, 0, NULL, &r);
    assert_int_equal(curl_easy_perform(c), CURLE_OK);
    curl_easy_getinfo(c, CURLINFO_RESPONSE_CODE, &r.status);
    assert_int_equal(r.status, 405);
    curl_easy_cleanup(c);
    s_resp_dispose(&r);

    s_op(&r, &s, NULL, "DescribeIdentityPool", "{\"IdentityPoolId\":\"us-east-1:0a\"");
    assert_int_equal(r.status, 400);
    assert_non_null(strstr(cr_buf_cstr(&r.body), "SerializationException"));
    s_resp_dispose(&r);
    s_op(&r, &s, NULL, "Nope", "{}");
    assert_non_null(strstr(cr_buf_cstr(&r.body), "UnknownOperationException"));
    s_resp_dispose(&r);

    /* a dropped connection: no response at all */
    assert_ok(cr_emu_add_faults(s.emu, "ListIdentityPools:drop=1,count=1"));
    s_op(&r, &s, NULL, "ListIdentityPools", "{\"MaxResults\":5}");
    assert_int_equal(r.rc, CURLE_GOT_NOTHING);
    s_resp_dispose(&r);
    s_op(&r, &s, NULL, "ListIdentityPools", "{\"MaxResults\":5}");
    assert_int_equal(r.status, 200);
    s_resp_dispose(&r);
    s_stop(&s);
}

/* n identical calls at once on n connections, driven by one curl multi handle. */
struct s_batch {
    CURLM *m;
    CURL *easy[128];
    struct s_resp r[128];
    struct curl_slist *hl;
    int n;
};

static void s_batch_start(struct s_batch *b, struct s_server *s, int n, const char *op,
                          const char *body)
{
    char url[128], target[128];
    memset(b, 0, sizeof(*b));
    b->m = curl_multi_init();
    b->n = n;
    b->hl = curl_slist_append(NULL, "Content-Type: application/x-amz-json-1.1");
    snprintf(url, sizeof(url), "%s/", cr_emu_server_url(s->srv));
    snprintf(target, sizeof(target), "X-Amz-Target: AWSCognitoIdentityService.%s", op);
    b->hl = curl_slist_append(b->hl, target);
    for (int i = 0; i < n; i++) {
        b->easy[i] = s_easy(url, "POST", body, strlen(body), b->hl, &b->r[i]);
        curl_multi_add_handle(b->m, b->easy[i]);
    }
}

/* One turn of the multi handle (waiting up to wait_ms for activity); returns how many calls
 * are still running. */
static int s_batch_turn_ms(struct s_batch *b, int wait_ms)
{
    int running = 0;
    curl_multi_perform(b->m, &running);
    if (running && wait_ms)
        curl_multi_poll(b->m, NULL, 0, wait_ms, NULL);
    return running;
}

static int s_batch_turn(struct s_batch *b)
{
    return s_batch_turn_ms(b, 100);
}

/* Runs the batch to its end (bounded) and checks every status (want_status -1: any). */
static void s_batch_finish(struct s_batch *b, long want_status)
{
    for (int turns = 0; s_batch_turn(b) && turns < 3000; turns++)
        ;
    for (int i = 0; i < b->n; i++) {
        long status = 0;
        curl_easy_getinfo(b->easy[i], CURLINFO_RESPONSE_CODE, &status);
        if (want_status >= 0)
            assert_int_equal(status, want_status);
        curl_multi_remove_handle(b->m, b->easy[i]);
        curl_easy_cleanup(b->easy[i]);
        s_resp_dispose(&b->r[i]);
    }
    curl_slist_free_all(b->hl);
    curl_multi_cleanup(b->m);
}

static void s_parallel(struct s_server *s, int n, const char *op, const char *body,
                       long want_status)
{
    struct s_batch b;
    s_batch_start(&b, s, n, op, body);
    s_batch_finish(&b, want_status);
}

/* How many fault rules are in force (a rule with a count disappears when it has fired). */
static size_t s_fault_rules(struct s_server *s)
{
    pthread_mutex_lock(&s->emu->aux_lock);
    size_t n = s->emu->faults.len;
    pthread_mutex_unlock(&s->emu->aux_lock);
    return n;
}

/* Starts a server of the given threads with one fault rule for ListIdentityPools whose count
 * is n (e.g. "latency_ms=600000,count=8"), and n such calls at once; returns when the
 * server has taken all n in (the rule's count ran out). */
static void s_hold(struct s_server *s, struct s_batch *b, unsigned threads, const char *fault,
                   int n)
{
    char rule[128];
    snprintf(rule, sizeof(rule), "ListIdentityPools:%s", fault);
    s_start(s, NULL, threads);
    assert_ok(cr_emu_add_faults(s->emu, rule));
    s_batch_start(b, s, n, "ListIdentityPools", "{\"MaxResults\":5}");
    for (int turns = 0; s_fault_rules(s) > 0 && turns < 6000; turns++)
        s_batch_turn_ms(b, 10);
    assert_int_equal(s_fault_rules(s), 0);
}

/* Injected latency suspends a request instead of holding a worker thread: 16 calls delayed
 * ten minutes on a 2-thread server are all taken in at once (the rule's count of 16 runs
 * out while none has been answered), and another call is answered while they wait. Nothing
 * is timed: the delay outlasts the test, so only a free thread can answer. Stopping the
 * server answers the 16 at once. */
static void test_emulator__http_latency_overlaps(void **state)
{
    struct s_server s;
    struct s_batch b;
    struct s_resp r;
    s_hold(&s, &b, 2, "latency_ms=600000,count=16", 16);
    assert_int_equal(s_batch_turn(&b), 16);
    s_op(&r, &s, NULL, "ListIdentityPools", "{\"MaxResults\":5}");
    assert_int_equal(r.status, 200);
    s_resp_dispose(&r);
    assert_int_equal(s_batch_turn(&b), 16); /* still held */
    s_stop(&s);
    s_batch_finish(&b, 200);
}

/* Stopping the server answers the requests it holds for injected latency (emulator.h:
 * in-flight requests finish). Each round holds 8 calls on a 2-thread server and stops it while
 * the client is not even reading; all 8 must come back 200 with their body. 60 rounds (under
 * a second): when stop closed the connections right after resuming them, the first few rounds
 * already lost an answer (status 0) in 20 runs out of 20. */
static void test_emulator__http_stop_answers_held_requests(void **state)
{
    for (int round = 0; round < 60; round++) {
        struct s_server s;
        struct s_batch b;
        s_hold(&s, &b, 2, "latency_ms=600000,count=8", 8);
        assert_int_equal(s_batch_turn_ms(&b, 0), 8); /* all held */
        s_stop(&s);
        for (int turns = 0; s_batch_turn_ms(&b, 10) && turns < 6000; turns++)
            ;
        for (int i = 0; i < b.n; i++) {
            long status = 0;
            curl_easy_getinfo(b.easy[i], CURLINFO_RESPONSE_CODE, &status);
            if (status != 200)
                fail_msg("round %d: call %d got status %ld", round, i, status);
            assert_non_null(strstr(cr_buf_cstr(&b.r[i].body), "\"IdentityPools\":[]"));
        }
        s_batch_finish(&b, 200);
    }
}

/* A call held by a hang fault when the server stops gets a clean close at once (libcurl:
 * "empty reply from server"), not a wait until its own timeout (20 s here). */
static void test_emulator__http_stop_closes_hung_requests(void **state)
{
    struct s_server s;
    struct s_batch b;
    s_hold(&s, &b, 1, "hang_ms=600000,count=1", 1);
    s_stop(&s);
    CURLMsg *msg = NULL;
    int left = 0;
    for (int turns = 0; !msg && turns < 600; turns++) {
        s_batch_turn(&b);
        msg = curl_multi_info_read(b.m, &left);
    }
    assert_non_null(msg);
    assert_int_equal(msg->msg, CURLMSG_DONE);
    assert_int_equal(msg->data.result, CURLE_GOT_NOTHING);
    s_batch_finish(&b, 0);
}

/* A hang holds the connection and never answers, so the client can only time out (the hold
 * outlasts the test); the single worker thread stays free meanwhile, and the pool was created
 * once (after=1: the operation ran before the hang). */
static void test_emulator__http_hang_looks_like_a_timeout(void **state)
{
    struct s_server s;
    struct s_resp r;
    char url[128];
    s_start(&s, NULL, 1);
    assert_ok(cr_emu_add_faults(s.emu, "CreateIdentityPool:hang_ms=600000,after=1,count=1"));
    snprintf(url, sizeof(url), "%s/", cr_emu_server_url(s.srv));
    const char *body = "{\"IdentityPoolName\":\"a\",\"AllowUnauthenticatedIdentities\":true}";
    struct curl_slist *hl = curl_slist_append(NULL, "Content-Type: application/x-amz-json-1.1");
    hl = curl_slist_append(hl, "X-Amz-Target: AWSCognitoIdentityService.CreateIdentityPool");
    memset(&r, 0, sizeof(r));
    CURL *c = s_easy(url, "POST", body, strlen(body), hl, &r);
    curl_easy_setopt(c, CURLOPT_TIMEOUT_MS, 150L);
    assert_int_equal(curl_easy_perform(c), CURLE_OPERATION_TIMEDOUT);
    curl_easy_cleanup(c);
    curl_slist_free_all(hl);
    s_resp_dispose(&r);
    s_op(&r, &s, NULL, "ListIdentityPools", "{\"MaxResults\":5}");
    assert_int_equal(r.status, 200);
    json_t *doc = json_loads(cr_buf_cstr(&r.body), 0, NULL);
    assert_int_equal(json_array_size(json_object_get(doc, "IdentityPools")), 1);
    json_decref(doc);
    s_resp_dispose(&r);
    s_stop(&s);
}

/* A client that sends half a request and stalls does not hold up others (1 worker thread):
 * the call is answered while all eight stalled connections are still open and unanswered
 * (the server would only drop them after its 30 s idle timeout), and GET /_local/connections
 * counts them. */
static void test_emulator__http_slow_client_does_not_block(void **state)
{
    struct s_server s;
    struct s_resp r;
    s_start(&s, NULL, 1);
    int fds[8];
    for (int i = 0; i < 8; i++) {
        struct sockaddr_in sa = {.sin_family = AF_INET,
                                 .sin_port = htons(cr_emu_server_port(s.srv))};
        inet_pton(AF_INET, "127.0.0.1", &sa.sin_addr);
        fds[i] = socket(AF_INET, SOCK_STREAM, 0);
        assert_int_equal(connect(fds[i], (struct sockaddr *)&sa, sizeof(sa)), 0);
        const char *partial = i % 2 ? "POST / HTTP/1.1\r\nHost: x\r\nContent-Length: 100\r\n\r\n{"
                                    : "POST / HTTP/1.1\r\nHost: x\r\nX-Amz-Tar";
        assert_true(write(fds[i], partial, strlen(partial)) > 0);
    }
    /* the server holds the eight (one worker accepts in order, so all eight before this
     * request) and this request's own connection, and says so by client address */
    s_control(&r, &s, "GET", "connections");
    assert_int_equal(r.status, 200);
    json_t *doc = json_loads(cr_buf_cstr(&r.body), 0, NULL);
    assert_non_null(doc);
    assert_int_equal(json_integer_value(json_object_get(doc, "open")), 9);
    assert_int_equal(json_integer_value(json_object_get(doc, "per_client_limit")), 256);
    assert_int_equal(json_object_size(json_object_get(doc, "clients")), 1);
    assert_int_equal(
        json_integer_value(json_object_get(json_object_get(doc, "clients"), "127.0.0.1")), 9);
    json_decref(doc);
    s_resp_dispose(&r);
    s_control(&r, &s, "POST", "connections"); /* read-only */
    assert_int_equal(r.status, 405);
    assert_non_null(strstr(cr_buf_cstr(&r.headers), "Allow: GET"));
    s_resp_dispose(&r);
    s_op(&r, &s, NULL, "ListIdentityPools", "{\"MaxResults\":5}");
    assert_int_equal(r.status, 200);
    s_resp_dispose(&r);
    for (int i = 0; i < 8; i++) {
        /* nothing to read: neither an answer nor the end of the connection */
        struct pollfd p = {.fd = fds[i], .events = POLLIN};
        assert_int_equal(poll(&p, 1, 0), 0);
        close(fds[i]); /* truncated requests: the server just forgets them */
    }
    s_op(&r, &s, NULL, "ListIdentityPools", "{\"MaxResults\":5}");
    assert_int_equal(r.status, 200);
    s_resp_dispose(&r);
    s_stop(&s);
}

static void test_emulator__http_many_connections(void **state)
{
    struct s_server s;
    s_start(&s, NULL, 2);
    s_parallel(&s, 100, "DescribeIdentityPool", "{\"IdentityPoolId\":\"us-east-1:0a\"}", 400);
    s_parallel(&s, 100, "ListIdentityPools", "{\"MaxResults\":5}", 200);
    s_stop(&s);
}

/* ---- SigV4 ---- */

struct s_signer {
    const char *key;
    const char *secret;
    const char *token;
    const char *region;
    const char *service;
    int64_t skew_s;
};

/* POSTs body to the server signed as sg says; extra_ct overrides the content type. */
static void s_signed(struct s_resp *r, struct s_server *s, const struct s_signer *sg,
                     const char *target, const char *content_type, const char *body,
                     const char *accept)
{
    struct cr_sigv4_header h[5] = {{"Host", s->host}, {"Content-Type", content_type}};
    size_t nh = 2;
    if (target)
        h[nh++] = (struct cr_sigv4_header){"X-Amz-Target", target};
    struct cr_sigv4_request req = {"POST", "/", NULL, h, nh, cr_span_from(body)};
    struct cr_sigv4_params p = {.access_key_id = sg->key,
                                .secret_access_key = sg->secret,
                                .session_token = sg->token,
                                .region = sg->region,
                                .service = sg->service,
                                .time_s = cr_time_now() + sg->skew_s,
                                .normalize_path = true};
    struct cr_sigv4_signed out;
    struct cr_sigv4_header add[4];
    struct curl_slist *hl = NULL;
    char line[2048], url[128];
    cr_sigv4_signed_init(&out);
    assert_ok(cr_sigv4_sign_headers(&out, &req, &p, NULL));
    size_t nadd = cr_sigv4_signed_headers(&out, add);
    for (size_t i = 1; i < nh; i++) {
        snprintf(line, sizeof(line), "%s: %s", h[i].name, h[i].value);
        hl = curl_slist_append(hl, line);
    }
    for (size_t i = 0; i < nadd; i++) {
        snprintf(line, sizeof(line), "%s: %s", add[i].name, add[i].value);
        hl = curl_slist_append(hl, line);
    }
    if (accept) {
        snprintf(line, sizeof(line), "Accept: %s", accept);
        hl = curl_slist_append(hl, line);
    }
    snprintf(url, sizeof(url), "%s/", cr_emu_server_url(s->srv));
    memset(r, 0, sizeof(*r));
    CURL *c = s_easy(url, "POST", body, strlen(body), hl, r);
    r->rc = curl_easy_perform(c);
    curl_easy_getinfo(c, CURLINFO_RESPONSE_CODE, &r->status);
    curl_easy_cleanup(c);
    curl_slist_free_all(hl);
    cr_sigv4_signed_dispose(&out);
}

static void s_cognito(struct s_resp *r, struct s_server *s, const struct s_signer *sg)
{
    s_signed(r, s, sg, "AWSCognitoIdentityService.ListIdentityPools", "application/x-amz-json-1.1",
             "{\"MaxResults\":5}", NULL);
}

static void s_expect_type(struct s_resp *r, long status, const char *type, const char *msg)
{
    json_t *doc = json_loads(cr_buf_cstr(&r->body), 0, NULL);
    const char *t = json_string_value(json_object_get(doc, "__type"));
    const char *m = json_string_value(json_object_get(doc, "message"));
    if (r->status != status || !t || strcmp(t, type) != 0 || (msg && (!m || !strstr(m, msg))))
        fail_msg("want %ld %s (%s), got %ld %s", status, type, msg ? msg : "", r->status,
                 cr_buf_cstr(&r->body));
    json_decref(doc);
    s_resp_dispose(r);
}

static char *s_credentials_file(char **dir)
{
    *dir = cr_test_tmpdir();
    char *path = malloc(4096);
    snprintf(path, 4096, "%s/keys", *dir);
    assert_int_equal(cr_test_write_file(path, "# test keys\n"
                                              "AKIDLOCAL wJalrXUtnFEMI/K7MDENG 111122223333\n"
                                              "AKIDOTHER secret2\n"),
                     0);
    return path;
}

static void test_emulator__http_sigv4_verification(void **state)
{
    struct s_server s;
    struct s_resp r;
    char *dir, *keys = s_credentials_file(&dir);
    s_start(&s, keys, 2);
    struct s_signer good = {"AKIDLOCAL", "wJalrXUtnFEMI/K7MDENG", NULL,
                            "eu-west-1", "cognito-identity",      0};
    s_cognito(&r, &s, &good);
    assert_int_equal(r.status, 200);
    s_resp_dispose(&r);

    struct s_signer bad = good;
    bad.secret = "wrong";
    s_cognito(&r, &s, &bad);
    s_expect_type(&r, 400, "InvalidSignatureException",
                  "The request signature we calculated does not match the signature you "
                  "provided. Check your AWS Secret Access Key and signing method. Consult the "
                  "service documentation for details.");
    bad = good;
    bad.key = "AKIDNOPE";
    s_cognito(&r, &s, &bad);
    s_expect_type(&r, 400, "UnrecognizedClientException",
                  "The security token included in the request is invalid.");
    bad = good;
    bad.skew_s = -600;
    s_cognito(&r, &s, &bad);
    s_expect_type(&r, 400, "InvalidSignatureException", "Signature expired: ");
    bad = good;
    bad.skew_s = 600;
    s_cognito(&r, &s, &bad);
    s_expect_type(&r, 400, "InvalidSignatureException", "Signature not yet current: ");
    bad = good;
    bad.service = "sts";
    s_cognito(&r, &s, &bad);
    s_expect_type(&r, 400, "InvalidSignatureException",
                  "Credential should be scoped to correct service: 'cognito-identity'.");
    bad = good;
    bad.token = "made-up";
    s_cognito(&r, &s, &bad);
    s_expect_type(&r, 400, "UnrecognizedClientException", NULL);

    s_op(&r, &s, NULL, "ListIdentityPools", "{\"MaxResults\":5}");
    s_expect_type(&r, 400, "MissingAuthenticationTokenException", "Missing Authentication Token");

    /* the account of the key and the region of the scope decide where pools live */
    s_signed(&r, &s, &good, "AWSCognitoIdentityService.CreateIdentityPool",
             "application/x-amz-json-1.1",
             "{\"IdentityPoolName\":\"a\",\"AllowUnauthenticatedIdentities\":true}", NULL);
    assert_int_equal(r.status, 200);
    assert_non_null(strstr(cr_buf_cstr(&r.body), "\"IdentityPoolId\":\"eu-west-1:"));
    s_resp_dispose(&r);
    struct s_signer other = {"AKIDOTHER", "secret2", NULL, "eu-west-1", "cognito-identity", 0};
    s_cognito(&r, &s, &other);
    assert_string_equal(cr_buf_cstr(&r.body), "{\"IdentityPools\":[]}"); /* other account */
    s_resp_dispose(&r);

    /* a malformed Authorization gets aws/sigv4's reason, without its module prefix */
    struct test_emu_res incomplete = test_emu_call(
        s.emu, "ListIdentityPools", "{}", 2,
        "AWS4-HMAC-SHA256 Credential=AKIDLOCAL/20260101/eu-west-1/cognito-identity/aws4_request");
    const char *message = json_string_value(json_object_get(incomplete.body, "message"));
    assert_int_equal(incomplete.status, 400);
    assert_string_equal(json_string_value(json_object_get(incomplete.body, "__type")),
                        "IncompleteSignatureException");
    if (!message || strncmp(message, "Authorization header has no ", 28) != 0)
        fail_msg("message: %s", message ? message : "(none)");
    json_decref(incomplete.body);
    s_stop(&s);
    cr_test_rmtree(dir);
    free(dir);
    free(keys);
}

/* The text of the first <name> of an STS answer (heap), as a client reads it (aws/xml.h). */
static char *s_xml(const char *xml, const char *name)
{
    struct cr_xml_doc *doc = NULL;
    struct cr_buf text = CR_BUF_INIT;
    assert_ok(cr_xml_parse(&doc, xml, strlen(xml), "https://sts.amazonaws.com/doc/2011-06-15/"));
    assert_ok(cr_xml_text(&text, cr_xml_top(doc), name));
    cr_xml_free(doc);
    return cr_buf_detach(&text);
}

static void test_emulator__http_sts(void **state)
{
    struct s_server s;
    struct s_resp r;
    char *dir, *keys = s_credentials_file(&dir);
    s_start(&s, keys, 2);
    struct s_signer none = {"x", "y", NULL, "us-east-1", "sts", 0};
    /* a token the emulator verifies (with --credentials it verifies web identity tokens):
     * signed by its test identity provider, {"sub":"repo:org/app","aud":"sts.amazonaws.com",
     * "iss":"https://token.example"} */
    const char *mint = "{\"issuer\":\"https://token.example\",\"claims\":{\"sub\":"
                       "\"repo:org/app\",\"aud\":\"sts.amazonaws.com\"}}";
    struct cr_emu_request mint_req = {.method = "POST",
                                      .path = "/_local/token",
                                      .body = mint,
                                      .body_len = strlen(mint),
                                      .loopback = true};
    struct cr_emu_response minted;
    cr_emu_response_init(&minted);
    assert_ok(cr_emu_handle(s.emu, &minted, &mint_req));
    json_t *jwt = json_loads(cr_buf_cstr(&minted.body), 0, NULL);
    char form[4096];
    snprintf(form, sizeof(form),
             "Action=AssumeRoleWithWebIdentity&Version=2011-06-15&RoleArn=arn%%3Aaws%%3Aiam%%3A%%3A"
             "444455556666%%3Arole%%2Fci%%2FDeploy&RoleSessionName=gha-run&WebIdentityToken=%s",
             json_string_value(json_object_get(jwt, "token")));
    json_decref(jwt);
    cr_emu_response_dispose(&minted);
    int64_t before = cr_time_now();
    s_signed(&r, &s, &none, NULL, "application/x-www-form-urlencoded; charset=utf-8", form, NULL);
    int64_t after = cr_time_now();
    assert_int_equal(r.status, 200);
    const char *xml = cr_buf_cstr(&r.body);
    assert_non_null(strstr(xml, "<AssumeRoleWithWebIdentityResponse xmlns=\"https://sts."
                                "amazonaws.com/doc/2011-06-15/\">"));
    assert_non_null(strstr(xml, "<SubjectFromWebIdentityToken>repo:org/app<"));
    assert_non_null(strstr(xml, "<Provider>https://token.example</Provider>"));
    assert_non_null(
        strstr(xml, "<Arn>arn:aws:sts::444455556666:assumed-role/Deploy/gha-run</Arn>"));
    assert_non_null(strstr(xml, "<ResponseMetadata>"));
    char *key = s_xml(xml, "AccessKeyId"), *secret = s_xml(xml, "SecretAccessKey");
    char *token = s_xml(xml, "SessionToken"), *exp = s_xml(xml, "Expiration");
    assert_memory_equal(key, "ASIA", 4);
    int64_t t;
    assert_ok(cr_sigv4_parse_date(&t, exp));
    /* an hour (the default DurationSeconds) after the moment of the call, whenever it ran */
    assert_in_range(t, before + 3600, after + 3600);
    s_resp_dispose(&r);

    /* the fresh credentials verify (with their token) ... */
    struct s_signer sess = {key, secret, token, "us-east-1", "cognito-identity", 0};
    s_cognito(&r, &s, &sess);
    assert_int_equal(r.status, 200);
    s_resp_dispose(&r);
    /* ... not without it */
    sess.token = NULL;
    s_cognito(&r, &s, &sess);
    s_expect_type(&r, 400, "UnrecognizedClientException", NULL);
    sess.token = token;

    sess.service = "sts";
    s_signed(&r, &s, &sess, NULL, "application/x-www-form-urlencoded",
             "Action=GetCallerIdentity&Version=2011-06-15", NULL);
    assert_int_equal(r.status, 200);
    assert_non_null(strstr(cr_buf_cstr(&r.body), "<Account>444455556666</Account>"));
    s_resp_dispose(&r);
    struct s_signer base = {"AKIDLOCAL", "wJalrXUtnFEMI/K7MDENG", NULL, "us-east-1", "sts", 0};
    s_signed(&r, &s, &base, NULL, "application/x-www-form-urlencoded",
             "Action=GetCallerIdentity&Version=2011-06-15", "application/json");
    assert_int_equal(r.status, 200);
    json_t *doc = json_loads(cr_buf_cstr(&r.body), 0, NULL);
    json_t *res = json_object_get(json_object_get(doc, "GetCallerIdentityResponse"),
                                  "GetCallerIdentityResult");
    assert_string_equal(json_string_value(json_object_get(res, "Account")), "111122223333");
    json_decref(doc);
    s_resp_dispose(&r);

    s_signed(&r, &s, &none, NULL, "application/x-www-form-urlencoded",
             "Action=AssumeRoleWithWebIdentity&Version=2011-06-15&RoleSessionName=x1"
             "&WebIdentityToken=abcd",
             NULL);
    assert_int_equal(r.status, 400);
    assert_non_null(strstr(cr_buf_cstr(&r.body), "<Code>ValidationError</Code>"));
    assert_non_null(strstr(cr_buf_cstr(&r.body), "Value null at 'roleArn'"));
    s_resp_dispose(&r);
    s_signed(&r, &s, &none, NULL, "application/x-www-form-urlencoded",
             "Action=AssumeRoleWithWebIdentity&Version=2011-06-15&DurationSeconds=5", NULL);
    assert_int_equal(r.status, 400);
    assert_non_null(strstr(cr_buf_cstr(&r.body),
                           "4 validation errors detected: Value null at 'roleArn' failed to "
                           "satisfy constraint: Member must not be null; Value null at "
                           "'roleSessionName'"));
    assert_non_null(strstr(cr_buf_cstr(&r.body),
                           "Value '5' at 'durationSeconds' failed to satisfy constraint: Member "
                           "must have value greater than or equal to 900"));
    s_resp_dispose(&r);
    s_signed(&r, &s, &none, NULL, "application/x-www-form-urlencoded",
             "Action=AssumeRoleWithWebIdentity&RoleArn=arn%3Aaws%3Aiam%3A%3A444455556666%3Arole%2FR"
             "&RoleSessionName=bad+name%21&WebIdentityToken=abcd",
             NULL);
    assert_non_null(strstr(cr_buf_cstr(&r.body),
                           "1 validation error detected: Value 'bad name!' at 'roleSessionName' "
                           "failed to satisfy constraint: Member must satisfy regular expression "
                           "pattern: [\\w+=,.@-]*"));
    s_resp_dispose(&r);
    /* an error message that repeats the request is XML-escaped (util/xml.c) */
    s_signed(&r, &s, &none, NULL, "application/x-www-form-urlencoded", "Action=%3Cx%26y%3E%01",
             NULL);
    assert_int_equal(r.status, 400);
    assert_non_null(strstr(cr_buf_cstr(&r.body), "<Message>Could not find operation "
                                                 "&lt;x&amp;y&gt;\xef\xbf\xbd for version"));
    s_resp_dispose(&r);
    s_signed(&r, &s, &none, NULL, "application/x-www-form-urlencoded", "Action=Nope", NULL);
    assert_int_equal(r.status, 400);
    assert_non_null(strstr(cr_buf_cstr(&r.body), "<Code>InvalidAction</Code>"));
    s_resp_dispose(&r);
    /* the request log names the STS error code */
    json_t *last = s.emu->log[(s.emu->log_head + s.emu->log_len - 1) % CR_EMU_LOG_CAP];
    assert_string_equal(json_string_value(json_object_get(last, "error")), "InvalidAction");
    assert_string_equal(json_string_value(json_object_get(last, "operation")), "Nope");
    free(key), free(secret), free(token), free(exp);
    s_stop(&s);
    cr_test_rmtree(dir);
    free(dir);
    free(keys);
}

int main(void)
{
    curl_global_init(CURL_GLOBAL_DEFAULT);
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_emulator__http_keep_alive_and_headers),
        cmocka_unit_test(test_emulator__http_robustness),
        cmocka_unit_test(test_emulator__http_many_headers_none_dropped),
        cmocka_unit_test(test_emulator__http_latency_overlaps),
        cmocka_unit_test(test_emulator__http_hang_looks_like_a_timeout),
        cmocka_unit_test(test_emulator__http_stop_answers_held_requests),
        cmocka_unit_test(test_emulator__http_stop_closes_hung_requests),
        cmocka_unit_test(test_emulator__http_slow_client_does_not_block),
        cmocka_unit_test(test_emulator__http_many_connections),
        cmocka_unit_test(test_emulator__http_sigv4_verification),
        cmocka_unit_test(test_emulator__http_sts),
    };
    int rc = cmocka_run_group_tests(tests, NULL, NULL);
    curl_global_cleanup();
    return rc;
}
