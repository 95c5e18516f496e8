/* SPDX-License-Identifier: Apache-2.0 */
#include "aws/http.h"

#include <curl/curl.h>
#include <pthread.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>

#include "util/array.h"
#include "util/strutil.h"

#define S_DEFAULT_CONNECTIONS        8
#define S_DEFAULT_CONNECT_TIMEOUT_MS 5000
#define S_DEFAULT_TIMEOUT_MS         30000
#define S_DEFAULT_MAX_RESPONSE       (8u * 1024 * 1024)
#define S_MAX_HEADER_BYTES           (64u * 1024) /* every header of one answer together */

struct cr_http {
    CURLM *multi;
    struct cr_http_options opts;
    char user_agent[128];
    char *ca_bundle;
    /* idle easy handles kept for reuse (their buffers and settings stay allocated) */
    CURL **idle;
    size_t n_idle;
    size_t cap_idle;
    /* handles inside the multi handle, so free can detach them */
    CURL **active;
    size_t cap_active;
    unsigned in_flight;
    unsigned long connections;
    struct cr_http_request *done_head;
    struct cr_http_request *done_tail;
};

static pthread_once_t s_global_once = PTHREAD_ONCE_INIT;
static CURLcode s_global_rc = CURLE_OK;

static void s_global_init(void)
{
    s_global_rc = curl_global_init(CURL_GLOBAL_DEFAULT);
}

int cr_http_global_init(void)
{
    pthread_once(&s_global_once, s_global_init);
    if (s_global_rc != CURLE_OK) {
        cr_error_set("libcurl initialisation failed: %s", curl_easy_strerror(s_global_rc));
        return CR_ERROR;
    }
    return 0;
}

/* Out of memory, reported where it is detected. */
static int s_oom(const char *what)
{
    cr_error_set("out of memory %s", what);
    return CR_ENOMEM;
}

int cr_http_new(struct cr_http **out, const struct cr_http_options *opts)
{
    int result = CR_ENOMEM;
    struct cr_http *http = NULL;
    *out = NULL;
    result = cr_http_global_init();
    if (result < 0)
        goto done;
    result = s_oom("creating the HTTP transport");
    http = calloc(1, sizeof(*http));
    if (!http)
        goto done;
    if (opts)
        http->opts = *opts;
    if (!http->opts.max_connections)
        http->opts.max_connections = S_DEFAULT_CONNECTIONS;
    if (!http->opts.connect_timeout_ms)
        http->opts.connect_timeout_ms = S_DEFAULT_CONNECT_TIMEOUT_MS;
    if (!http->opts.timeout_ms)
        http->opts.timeout_ms = S_DEFAULT_TIMEOUT_MS;
    if (!http->opts.max_response_bytes)
        http->opts.max_response_bytes = S_DEFAULT_MAX_RESPONSE;
    snprintf(http->user_agent, sizeof(http->user_agent), "%s",
             http->opts.user_agent ? http->opts.user_agent : "cognito-reconcile");
    http->opts.user_agent = NULL;
    if (http->opts.ca_bundle) {
        http->ca_bundle = strdup(http->opts.ca_bundle);
        if (!http->ca_bundle)
            goto done;
    }
    http->opts.ca_bundle = NULL;
    http->multi = curl_multi_init();
    if (!http->multi)
        goto done;
    /* At most max_connections at once, and keep that many open between calls so the next
     * batch reuses them instead of paying TCP+TLS again. */
    curl_multi_setopt(http->multi, CURLMOPT_MAX_TOTAL_CONNECTIONS,
                      (long)http->opts.max_connections);
    curl_multi_setopt(http->multi, CURLMOPT_MAXCONNECTS, (long)http->opts.max_connections);
    *out = http;
    http = NULL; /* now owned by the caller */
    result = 0;
done:
    cr_http_free(http);
    return result;
}

void cr_http_free(struct cr_http *http)
{
    if (!http)
        return;
    for (unsigned i = 0; i < http->in_flight; i++) {
        curl_multi_remove_handle(http->multi, http->active[i]);
        curl_easy_cleanup(http->active[i]);
    }
    free(http->active);
    free(http->ca_bundle);
    for (size_t i = 0; i < http->n_idle; i++)
        curl_easy_cleanup(http->idle[i]);
    free(http->idle);
    if (http->multi)
        curl_multi_cleanup(http->multi);
    free(http);
}

void cr_http_request_init(struct cr_http_request *req)
{
    memset(req, 0, sizeof(*req));
}

void cr_http_request_dispose(struct cr_http_request *req)
{
    if (!req)
        return;
    cr_buf_dispose(&req->response);
    cr_buf_dispose(&req->response_headers);
    if (req->slist) {
        curl_slist_free_all(req->slist);
        req->slist = NULL;
    }
}

unsigned cr_http_in_flight(const struct cr_http *http)
{
    return http->in_flight;
}

unsigned long cr_http_connections_opened(const struct cr_http *http)
{
    return http->connections;
}

static size_t s_on_body(char *data, size_t size, size_t nmemb, void *ctx)
{
    struct cr_http_request *req = ctx;
    size_t n = size * nmemb;
    /* the cap protects us from a hostile or broken endpoint: refuse the bytes, which makes
     * libcurl abort the transfer with CURLE_WRITE_ERROR; s_classify tells the cap (CR_ELIMIT)
     * from memory running out (CR_ENOMEM) */
    if (cr_buf_put(&req->response, data, n) < 0)
        return 0;
    return n;
}

/* A new answer begins (an interim 100 Continue, then the final one): forget what came before,
 * so only the final answer's headers are kept. */
static void s_reset_headers(struct cr_http_request *req)
{
    cr_buf_dispose(&req->response_headers);
    cr_buf_init_limit(&req->response_headers, S_MAX_HEADER_BYTES);
    req->request_id[0] = '\0';
    req->date[0] = '\0';
}

/* Keeps "name\0value\0", the value trimmed of surrounding blanks and the line end. */
static int s_keep_header(struct cr_http_request *req, const char *line, size_t n)
{
    const char *colon = memchr(line, ':', n);
    /* not a header line (the blank line that ends them); a NUL would break the name\0value\0
     * framing, so such a line is not kept either (libcurl refuses most of them already) */
    if (!colon || colon == line || memchr(line, '\0', n))
        return 0;
    const char *v = colon + 1, *end = line + n;
    while (v < end && (*v == ' ' || *v == '\t'))
        v++;
    while (end > v && (end[-1] == '\r' || end[-1] == '\n' || end[-1] == ' ' || end[-1] == '\t'))
        end--;
    cr_buf_put(&req->response_headers, line, (size_t)(colon - line));
    cr_buf_putc(&req->response_headers, '\0');
    cr_buf_put(&req->response_headers, v, (size_t)(end - v));
    return cr_buf_putc(&req->response_headers, '\0');
}

static size_t s_on_header(char *data, size_t size, size_t nmemb, void *ctx)
{
    struct cr_http_request *req = ctx;
    size_t n = size * nmemb;
    if (n >= 5 && strncmp(data, "HTTP/", 5) == 0) {
        s_reset_headers(req);
        return n;
    }
    /* a folded continuation line (obsolete, RFC 7230 3.2.4) is not a header of its own */
    if (n && (data[0] == ' ' || data[0] == '\t'))
        return n;
    /* headers past S_MAX_HEADER_BYTES abort the transfer (CURLE_WRITE_ERROR), as the body cap */
    if (s_keep_header(req, data, n) < 0)
        return 0;
    const char *id = cr_http_response_header(req, "x-amzn-RequestId");
    if (!id)
        id = cr_http_response_header(req, "x-amz-request-id");
    snprintf(req->request_id, sizeof(req->request_id), "%s", id ? id : "");
    const char *date = cr_http_response_header(req, "Date");
    snprintf(req->date, sizeof(req->date), "%s", date ? date : "");
    return n;
}

const char *cr_http_header_find(const struct cr_buf *headers, const char *name)
{
    const char *p = headers->ptr, *end = headers->ptr + headers->len;
    while (p && p < end) {
        const char *value = p + strlen(p) + 1;
        if (value >= end)
            return NULL;
        if (strcasecmp(p, name) == 0)
            return value;
        p = value + strlen(value) + 1;
    }
    return NULL;
}

const char *cr_http_response_header(const struct cr_http_request *req, const char *name)
{
    return cr_http_header_find(&req->response_headers, name);
}

static CURL *s_take_easy(struct cr_http *http)
{
    if (http->n_idle)
        return http->idle[--http->n_idle];
    return curl_easy_init();
}

static void s_give_easy(struct cr_http *http, CURL *easy)
{
    /* no room to keep it for reuse: a later request makes a new one */
    if (cr_array_reserve(&http->idle, &http->cap_idle, http->n_idle, sizeof(*http->idle), 8) != 0) {
        curl_easy_cleanup(easy);
        return;
    }
    http->idle[http->n_idle++] = easy;
}

static bool s_has_header(const struct cr_http_request *req, const char *name)
{
    for (size_t i = 0; i < req->header_count; i++)
        if (strcasecmp(req->headers[i].name, name) == 0)
            return true;
    return false;
}

/* Appends one header line ("Name: value", or libcurl's "Name;" for an empty value) to *list.
 * value NULL: "Name:", which tells libcurl not to send a header of its own by that name. */
static int s_append_header(struct curl_slist **list, struct cr_buf *line, const char *name,
                           const char *value)
{
    cr_buf_clear(line);
    if (!value)
        cr_buf_printf(line, "%s:", name);
    else if (value[0])
        cr_buf_printf(line, "%s: %s", name, value);
    else
        cr_buf_printf(line, "%s;", name);
    struct curl_slist *next = cr_buf_oom(line) ? NULL : curl_slist_append(*list, line->ptr);
    if (!next)
        return s_oom("building HTTP headers");
    *list = next;
    return 0;
}

static int s_build_headers(struct curl_slist **out, const struct cr_http_request *req)
{
    int result = 0;
    struct cr_buf line = CR_BUF_INIT;
    struct curl_slist *list = NULL;
    for (size_t i = 0; i < req->header_count && result == 0; i++) {
        const struct cr_http_header *h = &req->headers[i];
        if (!h->name[0] || strpbrk(h->name, "\r\n:") || strpbrk(h->value, "\r\n")) {
            cr_error_set("HTTP header '%s': name or value contains a line break or colon", h->name);
            result = CR_EINVALID;
            goto done;
        }
        result = s_append_header(&list, &line, h->name, h->value);
    }
    /* no "Expect: 100-continue" round trip for our small bodies */
    if (result == 0)
        result = s_append_header(&list, &line, "Expect", NULL);
    /* libcurl labels a body as a form unless told otherwise: a body without a Content-Type
     * of the caller's goes without one (and unsigned headers never travel) */
    if (result == 0 && !s_has_header(req, "Content-Type"))
        result = s_append_header(&list, &line, "Content-Type", NULL);
    if (result < 0)
        goto done;
    *out = list;
    list = NULL;
done:
    curl_slist_free_all(list);
    cr_buf_dispose_secure(&line); /* it held the Authorization header */
    return result;
}

/* The method's libcurl set-up; GET and HEAD carry no body. */
static CURLcode s_set_method(CURL *e, const struct cr_http_request *req, const char *method)
{
    CURLcode rc = CURLE_OK;
    if (strcmp(method, "GET") == 0)
        return curl_easy_setopt(e, CURLOPT_HTTPGET, 1L);
    if (strcmp(method, "HEAD") == 0)
        return curl_easy_setopt(e, CURLOPT_NOBODY, 1L);
    /* POST, PUT and DELETE send the body given (an empty one for PUT and POST, so a
     * Content-Length: 0 goes out); libcurl's POST machinery carries it for all three */
    if (strcmp(method, "DELETE") == 0 && !req->body_len)
        return curl_easy_setopt(e, CURLOPT_CUSTOMREQUEST, "DELETE");
    rc |= curl_easy_setopt(e, CURLOPT_POST, 1L);
    rc |= curl_easy_setopt(e, CURLOPT_POSTFIELDS, req->body ? req->body : "");
    rc |= curl_easy_setopt(e, CURLOPT_POSTFIELDSIZE_LARGE, (curl_off_t)req->body_len);
    if (strcmp(method, "POST") != 0)
        rc |= curl_easy_setopt(e, CURLOPT_CUSTOMREQUEST, method);
    return rc;
}

/* GET, PUT, POST, DELETE or HEAD, and no body on GET or HEAD. */
static int s_check_method(const struct cr_http_request *req, const char *method)
{
    static const char *const known[] = {"GET", "PUT", "POST", "DELETE", "HEAD"};
    bool ok = false;
    for (size_t i = 0; i < sizeof(known) / sizeof(known[0]); i++)
        ok = ok || strcmp(method, known[i]) == 0;
    if (!ok) {
        cr_error_set("HTTP method '%s': only GET, PUT, POST, DELETE and HEAD are sent", method);
        return CR_EINVALID;
    }
    if (req->body_len && (strcmp(method, "GET") == 0 || strcmp(method, "HEAD") == 0)) {
        cr_error_set("HTTP %s %s: a %s request carries no body", method, req->url, method);
        return CR_EINVALID;
    }
    return 0;
}

static int s_configure(struct cr_http *http, CURL *e, struct cr_http_request *req)
{
    CURLcode rc = CURLE_OK;
    /* rc |= keeps the set-up linear; any failure shows as non-zero */
    rc |= curl_easy_setopt(e, CURLOPT_URL, req->url);
    rc |= curl_easy_setopt(e, CURLOPT_PROTOCOLS_STR, "http,https");
    rc |= curl_easy_setopt(e, CURLOPT_REDIR_PROTOCOLS_STR, "http,https");
    rc |= curl_easy_setopt(e, CURLOPT_FOLLOWLOCATION, 0L);
    rc |= curl_easy_setopt(e, CURLOPT_SSL_VERIFYPEER, 1L);
    rc |= curl_easy_setopt(e, CURLOPT_SSL_VERIFYHOST, 2L);
    /* AWS_CA_BUNDLE replaces the trust store, as in the AWS CLI: the bundle is the only CA
     * file and libcurl's default CA folder (/etc/ssl/certs on Debian) is dropped, so the
     * system's authorities are no longer trusted; verification itself never changes */
    if (http->ca_bundle) {
        rc |= curl_easy_setopt(e, CURLOPT_CAINFO, http->ca_bundle);
        rc |= curl_easy_setopt(e, CURLOPT_CAPATH, NULL);
    }
    rc |= curl_easy_setopt(e, CURLOPT_NOSIGNAL, 1L);
    rc |= curl_easy_setopt(
        e, CURLOPT_CONNECTTIMEOUT_MS,
        (long)(req->connect_timeout_ms ? req->connect_timeout_ms : http->opts.connect_timeout_ms));
    rc |= curl_easy_setopt(e, CURLOPT_TIMEOUT_MS,
                           (long)(req->timeout_ms ? req->timeout_ms : http->opts.timeout_ms));
    rc |= curl_easy_setopt(e, CURLOPT_MAXFILESIZE_LARGE, (curl_off_t)req->response.limit);
    rc |= curl_easy_setopt(e, CURLOPT_USERAGENT, http->user_agent);
    rc |= s_set_method(e, req, req->method ? req->method : "POST");
    rc |= curl_easy_setopt(e, CURLOPT_HTTPHEADER, (struct curl_slist *)req->slist);
    rc |= curl_easy_setopt(e, CURLOPT_ERRORBUFFER, req->error);
    rc |= curl_easy_setopt(e, CURLOPT_WRITEFUNCTION, s_on_body);
    rc |= curl_easy_setopt(e, CURLOPT_WRITEDATA, req);
    rc |= curl_easy_setopt(e, CURLOPT_HEADERFUNCTION, s_on_header);
    rc |= curl_easy_setopt(e, CURLOPT_HEADERDATA, req);
    rc |= curl_easy_setopt(e, CURLOPT_PRIVATE, req);
    /* libcurl retries a request once on a reused connection that died before answering
     * (lib/transfer.c Curl_retry_request); only reused connections, so a fresh one is never
     * re-sent behind our back */
    rc |= curl_easy_setopt(e, CURLOPT_FRESH_CONNECT, req->fresh_connection ? 1L : 0L);
    if (rc != CURLE_OK) {
        cr_error_set("libcurl refused the options for %s", req->url);
        return CR_ERROR;
    }
    return 0;
}

int cr_http_start(struct cr_http *http, struct cr_http_request *req)
{
    int result = CR_ENOMEM;
    CURL *easy = NULL;
    result = s_check_method(req, req->method ? req->method : "POST");
    if (result < 0)
        return result;
    cr_buf_dispose(&req->response);
    cr_buf_init_limit(&req->response, req->max_response_bytes ? req->max_response_bytes
                                                              : http->opts.max_response_bytes);
    s_reset_headers(req);
    if (req->slist) {
        curl_slist_free_all(req->slist);
        req->slist = NULL;
    }
    req->result = 0;
    req->transport = CR_RETRY_TRANSPORT_OK;
    req->sent = false;
    req->status = 0;
    req->error[0] = '\0';
    req->duration_ms = 0;
    req->next_done = NULL;
    req->owner = http;
    struct curl_slist *slist = NULL;
    result = s_build_headers(&slist, req);
    if (result < 0)
        goto done;
    req->slist = slist;
    if (cr_array_reserve(&http->active, &http->cap_active, http->in_flight, sizeof(*http->active),
                         16) != 0) {
        result = s_oom("starting an HTTP request");
        goto done;
    }
    easy = s_take_easy(http);
    if (!easy) {
        result = s_oom("starting an HTTP request");
        goto done;
    }
    curl_easy_reset(easy);
    result = s_configure(http, easy, req);
    if (result < 0)
        goto done;
    if (curl_multi_add_handle(http->multi, easy) != CURLM_OK) {
        cr_error_set("libcurl refused a new transfer for %s", req->url);
        result = CR_ERROR;
        goto done;
    }
    req->easy = easy;
    http->active[http->in_flight++] = easy;
    easy = NULL; /* now owned by the multi handle */
    result = 0;
done:
    if (easy)
        s_give_easy(http, easy);
    return result;
}

enum cr_retry_transport cr_http_curl_transport(int curl_code)
{
    switch ((CURLcode)curl_code) {
    case CURLE_OK:
        return CR_RETRY_TRANSPORT_OK;
    case CURLE_FILESIZE_EXCEEDED:
        return CR_RETRY_TRANSPORT_TOO_LARGE;
    case CURLE_OPERATION_TIMEDOUT:
        return CR_RETRY_TRANSPORT_TIMEOUT;
    case CURLE_COULDNT_RESOLVE_HOST:
    case CURLE_COULDNT_RESOLVE_PROXY:
    case CURLE_COULDNT_CONNECT:
    case CURLE_SSL_CONNECT_ERROR:
        return CR_RETRY_TRANSPORT_CONNECT;
    case CURLE_SEND_ERROR:
    case CURLE_RECV_ERROR:
    case CURLE_GOT_NOTHING:
    case CURLE_PARTIAL_FILE:
    case CURLE_HTTP2:
    case CURLE_HTTP2_STREAM:
        return CR_RETRY_TRANSPORT_SEND_RECV;
    default:
        /* certificate problems, unsupported protocol, bad URL: retrying cannot help */
        return CR_RETRY_TRANSPORT_FATAL;
    }
}

/* Appends text to req->error (truncated at its size). */
static void s_error_append(struct cr_http_request *req, const char *fmt, ...) CR_PRINTF(2, 3);

static void s_error_append(struct cr_http_request *req, const char *fmt, ...)
{
    size_t n = strlen(req->error);
    va_list ap;
    if (n + 1 >= sizeof(req->error))
        return;
    va_start(ap, fmt);
    vsnprintf(req->error + n, sizeof(req->error) - n, fmt, ap);
    va_end(ap);
}

/* A variable as libcurl reads it: the lower-case name, then (except http_proxy, which CGI
 * programs can have set by a request header) the upper-case one. */
static const char *s_proxy_var(const char *lower, const char **name)
{
    char upper[32];
    const char *v = getenv(lower);
    *name = lower;
    if ((!v || !*v) && strcmp(lower, "http_proxy") != 0) {
        size_t i = 0;
        for (; lower[i] && i + 1 < sizeof(upper); i++)
            upper[i] = (char)(lower[i] >= 'a' && lower[i] <= 'z' ? lower[i] - 32 : lower[i]);
        upper[i] = '\0';
        v = getenv(upper);
        *name = lower[0] == 'h' ? (lower[4] == 's' ? "HTTPS_PROXY" : "HTTP_PROXY")
                : lower[0] == 'a' ? "ALL_PROXY"
                                  : "NO_PROXY";
    }
    return v && *v ? v : NULL;
}

/* Does NO_PROXY exempt host (libcurl's rule: "*", or host equal to or under an entry)? */
static bool s_no_proxy(const char *host)
{
    const char *name = NULL, *list = s_proxy_var("no_proxy", &name);
    size_t hlen = strlen(host);
    while (list && *list) {
        size_t n = strcspn(list, ", ");
        const char *entry = list;
        if (n && entry[0] == '.') {
            entry++;
            n--;
        }
        if ((n == 1 && entry[0] == '*') ||
            (n && n <= hlen && strncasecmp(host + hlen - n, entry, n) == 0 &&
             (n == hlen || host[hlen - n - 1] == '.')))
            return true;
        list += strcspn(list, ", ");
        list += strspn(list, ", ");
    }
    return false;
}

/* The proxy libcurl takes from the environment for url, as scheme://host[:port] (never a
 * user or password), and the variable it came from; false when none applies. */
static bool s_env_proxy(char *out, size_t cap, const char **var, const char *url)
{
    CURLU *u = curl_url(), *p = curl_url();
    char *scheme = NULL, *host = NULL, *pscheme = NULL, *phost = NULL, *pport = NULL;
    bool found = false;
    if (u && p && curl_url_set(u, CURLUPART_URL, url, 0) == CURLUE_OK &&
        curl_url_get(u, CURLUPART_SCHEME, &scheme, 0) == CURLUE_OK &&
        curl_url_get(u, CURLUPART_HOST, &host, 0) == CURLUE_OK && !s_no_proxy(host)) {
        const char *proxy = s_proxy_var(strcmp(scheme, "https") == 0 ? "https_proxy" : "http_proxy",
                                        var);
        if (!proxy)
            proxy = s_proxy_var("all_proxy", var);
        if (proxy &&
            curl_url_set(p, CURLUPART_URL, proxy, CURLU_GUESS_SCHEME) == CURLUE_OK &&
            curl_url_get(p, CURLUPART_SCHEME, &pscheme, 0) == CURLUE_OK &&
            curl_url_get(p, CURLUPART_HOST, &phost, 0) == CURLUE_OK) {
            curl_url_get(p, CURLUPART_PORT, &pport, 0);
            snprintf(out, cap, "%s://%s%s%s", pscheme, phost, pport ? ":" : "",
                     pport ? pport : "");
            found = true;
        }
    }
    curl_free(scheme);
    curl_free(host);
    curl_free(pscheme);
    curl_free(phost);
    curl_free(pport);
    curl_url_cleanup(u);
    curl_url_cleanup(p);
    return found;
}

/* What was in use when a transfer failed in a way the user fixes by configuration: the
 * certificates trusted (a TLS failure) or the proxy (a failure to reach or use it). */
static void s_explain_failure(const struct cr_http *http, struct cr_http_request *req, CURL *e,
                              CURLcode code)
{
    char proxy[512];
    const char *var = NULL;
    bool via_proxy = s_env_proxy(proxy, sizeof(proxy), &var, req->url);
    switch (code) {
    case CURLE_PEER_FAILED_VERIFICATION:
    case CURLE_SSL_CACERT_BADFILE:
    case CURLE_SSL_CERTPROBLEM:
    case CURLE_SSL_ISSUER_ERROR:
    case CURLE_SSL_CONNECT_ERROR: {
        char *system = NULL;
        curl_easy_getinfo(e, CURLINFO_CAINFO, &system);
        if (http->ca_bundle)
            s_error_append(req, " (TLS: trusted is only AWS_CA_BUNDLE / ca_bundle %s, which "
                                "replaces the system store",
                           http->ca_bundle);
        else
            s_error_append(req, " (TLS: trusted is the system store%s%s%s; for a private CA or "
                                "a TLS-inspecting proxy, set AWS_CA_BUNDLE or ca_bundle to its "
                                "PEM file",
                           system ? " (" : "", system ? system : "", system ? ")" : "");
        if (via_proxy)
            s_error_append(req, "; through the proxy %s from %s", proxy, var);
        s_error_append(req, ")");
        break;
    }
    case CURLE_COULDNT_RESOLVE_PROXY:
    case CURLE_PROXY:
    case CURLE_COULDNT_CONNECT:
    case CURLE_RECV_ERROR:
    case CURLE_SEND_ERROR:
    case CURLE_GOT_NOTHING:
        if (via_proxy)
            s_error_append(req, " (through the proxy %s from %s: check it, or exempt the host "
                                "with NO_PROXY)",
                           proxy, var);
        break;
    default:
        break;
    }
}

/* Maps a libcurl result to our codes and to what aws/retry needs to know. */
static void s_classify(const struct cr_http *http, struct cr_http_request *req, CURL *e,
                       CURLcode code)
{
    curl_off_t pretransfer = 0;
    long request_size = 0;
    curl_easy_getinfo(e, CURLINFO_PRETRANSFER_TIME_T, &pretransfer);
    curl_easy_getinfo(e, CURLINFO_REQUEST_SIZE, &request_size);
    /* once libcurl reached the transfer phase the request bytes may be on the wire */
    req->sent = pretransfer > 0 || request_size > 0;
    /* our callbacks abort with CURLE_WRITE_ERROR when the body or the headers pass their cap,
     * or memory runs out */
    int body_rc = cr_buf_error(&req->response);
    if (body_rc == 0)
        body_rc = cr_buf_error(&req->response_headers);
    req->transport = code == CURLE_WRITE_ERROR && body_rc == CR_ELIMIT
                         ? CR_RETRY_TRANSPORT_TOO_LARGE
                         : cr_http_curl_transport(code);
    req->result = CR_EIO;
    if (code != CURLE_OK && !req->error[0])
        snprintf(req->error, sizeof(req->error), "%s", curl_easy_strerror(code));
    if (code != CURLE_OK)
        s_explain_failure(http, req, e, code);
    if (code == CURLE_OUT_OF_MEMORY || (code == CURLE_WRITE_ERROR && body_rc == CR_ENOMEM)) {
        snprintf(req->error, sizeof(req->error), "out of memory receiving the response");
        req->result = CR_ENOMEM;
        return;
    }
    switch (req->transport) {
    case CR_RETRY_TRANSPORT_OK:
        req->result = 0;
        break;
    case CR_RETRY_TRANSPORT_TOO_LARGE:
        snprintf(req->error, sizeof(req->error),
                 "response larger than the %zu-byte cap (max_response_bytes)", req->response.limit);
        req->result = CR_ELIMIT;
        break;
    case CR_RETRY_TRANSPORT_TIMEOUT:
        req->result = CR_ETIMEOUT;
        break;
    case CR_RETRY_TRANSPORT_CONNECT:
        req->sent = false;
        break;
    default:
        break;
    }
}

static void s_finish(struct cr_http *http, CURL *e, CURLcode code)
{
    struct cr_http_request *req = NULL;
    curl_easy_getinfo(e, CURLINFO_PRIVATE, (char **)&req);
    curl_multi_remove_handle(http->multi, e);
    for (unsigned i = 0; i < http->in_flight; i++) {
        if (http->active[i] == e) {
            http->active[i] = http->active[--http->in_flight];
            break;
        }
    }
    long connects = 0;
    curl_off_t total_us = 0;
    curl_easy_getinfo(e, CURLINFO_NUM_CONNECTS, &connects);
    curl_easy_getinfo(e, CURLINFO_TOTAL_TIME_T, &total_us);
    http->connections += (unsigned long)connects;
    if (req) {
        curl_easy_getinfo(e, CURLINFO_RESPONSE_CODE, &req->status);
        req->duration_ms = (uint64_t)total_us / 1000;
        s_classify(http, req, e, code);
        req->easy = NULL;
        if (http->done_tail)
            http->done_tail->next_done = req;
        else
            http->done_head = req;
        http->done_tail = req;
    }
    s_give_easy(http, e);
}

static int s_perform(struct cr_http *http)
{
    int running = 0;
    CURLMcode mc = curl_multi_perform(http->multi, &running);
    if (mc != CURLM_OK) {
        cr_error_set("libcurl: %s", curl_multi_strerror(mc));
        return CR_ERROR;
    }
    CURLMsg *msg;
    int left = 0;
    for (;;) {
        msg = curl_multi_info_read(http->multi, &left);
        if (!msg)
            break;
        if (msg->msg == CURLMSG_DONE)
            s_finish(http, msg->easy_handle, msg->data.result);
    }
    return 0;
}

int cr_http_poll(struct cr_http *http, uint32_t max_wait_ms)
{
    if (s_perform(http) < 0)
        return CR_ERROR;
    if (http->done_head || max_wait_ms == 0)
        return 0;
    /* curl_multi_poll sleeps the full timeout when there is nothing to wait on, which is
     * what a caller waiting out a backoff wants */
    CURLMcode mc = curl_multi_poll(http->multi, NULL, 0, (int)max_wait_ms, NULL);
    if (mc != CURLM_OK) {
        cr_error_set("libcurl: %s", curl_multi_strerror(mc));
        return CR_ERROR;
    }
    return s_perform(http);
}

struct cr_http_request *cr_http_next_done(struct cr_http *http)
{
    struct cr_http_request *req = http->done_head;
    if (!req)
        return NULL;
    http->done_head = req->next_done;
    if (!http->done_head)
        http->done_tail = NULL;
    req->next_done = NULL;
    return req;
}

void cr_http_cancel(struct cr_http *http, struct cr_http_request *req)
{
    /* finished but not collected: unlink it from the done queue */
    struct cr_http_request **link = &http->done_head;
    struct cr_http_request *prev = NULL;
    while (*link && *link != req) {
        prev = *link;
        link = &(*link)->next_done;
    }
    if (*link) {
        *link = req->next_done;
        if (http->done_tail == req)
            http->done_tail = prev;
        req->next_done = NULL;
    }
    if (!req->easy)
        return;
    CURL *e = req->easy;
    curl_multi_remove_handle(http->multi, e);
    for (unsigned i = 0; i < http->in_flight; i++) {
        if (http->active[i] == e) {
            http->active[i] = http->active[--http->in_flight];
            break;
        }
    }
    req->easy = NULL;
    s_give_easy(http, e);
}
