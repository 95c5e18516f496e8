/* SPDX-License-Identifier: Apache-2.0 */
/*
 * `cognito-identity-local token`: asks a running emulator (POST /_local/token) for a login
 * token of any issuer, signed by the emulator's test identity-provider key, so a test needs
 * no real user pool, OpenID Connect provider or SAML IdP. Prints the token on stdout.
 */
#include "cmd/cognito-identity-local/token.h"

#include <curl/curl.h>
#include <errno.h>
#include <getopt.h>
#include <jansson.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "util/buf.h"

static void s_usage(FILE *f)
{
    fputs("usage: cognito-identity-local token --issuer ISSUER [--claims JSON]\n"
          "                                    [--expires-in SECONDS] [--endpoint-url URL]\n"
          "\n"
          "Mints a login token (a JWT signed by the emulator's test identity-provider key)\n"
          "from the emulator at URL and prints it. The emulator verifies its own tokens, so\n"
          "they work in Logins like tokens of a real user pool or OpenID Connect provider:\n"
          "  --issuer https://cognito-idp.us-east-1.amazonaws.com/us-east-1_Ab12Cd34\n"
          "  --claims '{\"sub\":\"u1\",\"aud\":\"APP_CLIENT_ID\",\"custom:tier\":\"paid\"}'\n"
          "\n"
          "  --issuer ISSUER      the iss claim (required)\n"
          "  --claims JSON        the other claims, a JSON object (default {})\n"
          "  --expires-in S       exp = now + S seconds (default 3600; negative: expired)\n"
          "  --endpoint-url URL   the emulator (default $AWS_ENDPOINT_URL_COGNITO_IDENTITY,\n"
          "                       then $AWS_ENDPOINT_URL)\n",
          f);
}

static size_t s_collect(char *data, size_t size, size_t n, void *userdata)
{
    return cr_buf_put(userdata, data, size * n) == 0 ? size * n : 0;
}

/* POSTs body to URL/_local/token; the answer goes to out. Returns the HTTP status or -1. */
static long s_post(struct cr_buf *out, const char *base, const char *body)
{
    struct cr_buf url = CR_BUF_INIT;
    struct curl_slist *headers = curl_slist_append(NULL, "Content-Type: application/json");
    CURL *curl = curl_easy_init();
    long status = -1;
    cr_buf_printf(&url, "%s%s_local/token", base,
                  base[0] && base[strlen(base) - 1] == '/' ? "" : "/");
    if (curl && headers && !cr_buf_oom(&url)) {
        curl_easy_setopt(curl, CURLOPT_URL, cr_buf_cstr(&url));
        curl_easy_setopt(curl, CURLOPT_HTTPHEADER, headers);
        curl_easy_setopt(curl, CURLOPT_POSTFIELDS, body);
        curl_easy_setopt(curl, CURLOPT_WRITEFUNCTION, s_collect);
        curl_easy_setopt(curl, CURLOPT_WRITEDATA, out);
        curl_easy_setopt(curl, CURLOPT_TIMEOUT_MS, 30000L);
        curl_easy_setopt(curl, CURLOPT_NOPROXY, "*"); /* the emulator is local */
        CURLcode rc = curl_easy_perform(curl);
        if (rc == CURLE_OK)
            curl_easy_getinfo(curl, CURLINFO_RESPONSE_CODE, &status);
        else
            fprintf(stderr, "cognito-identity-local token: %s: %s\n", cr_buf_cstr(&url),
                    curl_easy_strerror(rc));
    }
    curl_easy_cleanup(curl);
    curl_slist_free_all(headers);
    cr_buf_dispose(&url);
    return status;
}

struct s_token_args {
    const char *issuer, *claims, *url;
    long expires_in;
};

static int s_parse(struct s_token_args *a, int argc, char **argv)
{
    static const struct option longopts[] = {{"issuer", required_argument, 0, 'i'},
                                             {"claims", required_argument, 0, 'c'},
                                             {"expires-in", required_argument, 0, 'e'},
                                             {"endpoint-url", required_argument, 0, 'u'},
                                             {"help", no_argument, 0, 'h'},
                                             {0, 0, 0, 0}};
    char *end = NULL;
    int c;
    optind = 1;
    while ((c = getopt_long(argc, argv, "", longopts, NULL)) != -1) {
        switch (c) {
        case 'i':
            a->issuer = optarg;
            break;
        case 'c':
            a->claims = optarg;
            break;
        case 'e':
            errno = 0;
            a->expires_in = strtol(optarg, &end, 10);
            if (errno != 0 || end == optarg || *end != '\0') {
                fprintf(stderr, "cognito-identity-local token: --expires-in '%s': expected "
                                "seconds\n",
                        optarg);
                return 1;
            }
            break;
        case 'u':
            a->url = optarg;
            break;
        case 'h':
            s_usage(stdout);
            exit(0);
        default:
            s_usage(stderr);
            return 1;
        }
    }
    if (optind < argc || !a->issuer) {
        fprintf(stderr, "cognito-identity-local token: %s\n",
                optind < argc ? "unexpected argument" : "--issuer is required");
        s_usage(stderr);
        return 1;
    }
    return 0;
}

/* The request body; NULL (message printed) when --claims is not a JSON object. */
static char *s_body(const struct s_token_args *a)
{
    json_error_t jerr;
    json_t *claims = a->claims ? json_loads(a->claims, JSON_REJECT_DUPLICATES, &jerr) : json_object();
    char *text = NULL;
    if (!json_is_object(claims)) {
        fprintf(stderr, "cognito-identity-local token: --claims: %s\n",
                claims ? "expected a JSON object" : jerr.text);
    } else {
        json_t *req = json_pack("{s:s, s:O, s:I}", "issuer", a->issuer, "claims", claims,
                                "expires_in", (json_int_t)a->expires_in);
        text = req ? json_dumps(req, JSON_COMPACT) : NULL;
        json_decref(req);
    }
    json_decref(claims);
    return text;
}

int cr_local_token_main(int argc, char **argv)
{
    struct s_token_args a = {.expires_in = 3600};
    struct cr_buf answer = CR_BUF_INIT;
    char *body = NULL;
    json_t *doc = NULL;
    int status = 1;
    long http;
    if (s_parse(&a, argc, argv) != 0)
        return 1;
    if (!a.url)
        a.url = getenv("AWS_ENDPOINT_URL_COGNITO_IDENTITY");
    if (!a.url)
        a.url = getenv("AWS_ENDPOINT_URL");
    if (!a.url) {
        fprintf(stderr, "cognito-identity-local token: no emulator: give --endpoint-url URL "
                        "(the first line cognito-identity-local printed)\n");
        return 1;
    }
    body = s_body(&a);
    if (!body)
        goto done;
    http = s_post(&answer, a.url, body);
    doc = json_loadb(cr_buf_cstr(&answer), answer.len, 0, NULL);
    if (http == 200 && json_is_string(json_object_get(doc, "token"))) {
        printf("%s\n", json_string_value(json_object_get(doc, "token")));
        status = 0;
    } else if (http > 0) {
        fprintf(stderr, "cognito-identity-local token: HTTP %ld: %s\n", http,
                json_string_value(json_object_get(doc, "message"))
                    ? json_string_value(json_object_get(doc, "message"))
                    : "not a token answer (is URL a cognito-identity-local?)");
    }
done:
    json_decref(doc);
    free(body);
    cr_buf_dispose(&answer);
    return status;
}
