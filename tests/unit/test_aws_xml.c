/* SPDX-License-Identifier: Apache-2.0 */
/*
 * aws/xml.c, AWS's XML answers through libxml2: text with entities, character references,
 * CDATA and comments; namespaces as STS uses them; and hostile documents, each with its exact
 * outcome: entity bombs and external entities (a DOCTYPE is refused before anything in it is
 * read, so no file is read and no connection made), undeclared entities, deep nesting, every
 * truncation of an answer, oversized input. Seeded property: whatever util/xml.h writes, this
 * reader reads back. Plus: libxml2 never writes to stderr (its messages can quote an answer's
 * secrets), and parsing from many threads at once (the first parse initialises libxml2).
 */
#include "tests/support/cr_test.h"

#include <arpa/inet.h>
#include <errno.h>
#include <fcntl.h>
#include <netinet/in.h>
#include <pthread.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>
#include <sys/stat.h>
#include <unistd.h>

#include "aws/xml.h"
#include "util/buf.h"
#include "util/xml.h"

#define STS_NS "https://sts.amazonaws.com/doc/2011-06-15/"

static const char *s_answer = "<?xml version=\"1.0\" encoding=\"UTF-8\"?>\n"
                              "<GetCallerIdentityResponse xmlns=\"" STS_NS "\">\n"
                              "  <GetCallerIdentityResult>\n"
                              "    <Arn>arn:aws:iam::123456789012:user/x</Arn>\n"
                              "    <UserId>AIDA</UserId>\n"
                              "    <Account>123456789012</Account>\n"
                              "  </GetCallerIdentityResult>\n"
                              "  <ResponseMetadata><RequestId>r-1</RequestId></ResponseMetadata>\n"
                              "</GetCallerIdentityResponse>\n";

/* The text of the first <tag> of body read with namespace ns into out ("" first); returns the
 * result of parse or read, whichever failed. */
static int s_text(struct cr_buf *out, const char *body, size_t len, const char *ns, const char *tag)
{
    struct cr_xml_doc *doc = NULL;
    cr_buf_clear(out);
    int rc = cr_xml_parse(&doc, body, len, ns);
    if (rc == 0)
        rc = cr_xml_text(out, cr_xml_top(doc), tag);
    else
        assert_null(doc);
    cr_xml_free(doc);
    return rc;
}

/* body must read as want (NULL: must fail with code and exactly message). */
static void s_expect(const char *body, const char *ns, const char *tag, const char *want, int code,
                     const char *message)
{
    struct cr_buf out = CR_BUF_INIT;
    int rc = s_text(&out, body, strlen(body), ns, tag);
    if (want) {
        if (rc != 0)
            fail_msg("%s: failed (%d): %s", body, rc, cr_error_last());
        assert_string_equal(cr_buf_cstr(&out), want);
    } else {
        if (rc != code)
            fail_msg("%s: rc %d (want %d), text '%s', error '%s'", body, rc, code,
                     cr_buf_cstr(&out), cr_error_last());
        assert_string_equal(cr_error_last(), message);
    }
    cr_buf_dispose(&out);
}

static void test_aws_xml__reads_an_sts_answer(void **state)
{
    struct cr_xml_doc *doc = NULL;
    const struct cr_xml_node *result = NULL, *meta = NULL;
    struct cr_buf out = CR_BUF_INIT;
    assert_ok(cr_xml_parse(&doc, s_answer, strlen(s_answer), STS_NS));
    assert_true(cr_xml_find(&result, cr_xml_top(doc), "GetCallerIdentityResult"));
    assert_ok(cr_xml_text(&out, result, "Account"));
    assert_string_equal(cr_buf_cstr(&out), "123456789012");
    cr_buf_clear(&out);
    /* the root element is part of the document's scope, not of its own */
    assert_true(cr_xml_find(&meta, cr_xml_top(doc), "GetCallerIdentityResponse"));
    assert_false(cr_xml_find(&meta, result, "GetCallerIdentityResult"));
    /* scoped: RequestId is not below the Result */
    assert_int_equal(cr_xml_text(&out, result, "RequestId"), CR_EINVALID);
    assert_string_equal(cr_error_last(), "the answer has no <RequestId> element");
    assert_ok(cr_xml_text(&out, cr_xml_top(doc), "RequestId"));
    assert_string_equal(cr_buf_cstr(&out), "r-1");
    cr_buf_dispose(&out);
    cr_xml_free(doc);
    cr_xml_free(NULL);
}

static void test_aws_xml__text_entities_cdata_comments(void **state)
{
    s_expect("<Error><Message>Token &lt;expired&gt; &amp; gone &quot;x&quot; &apos;y&apos;"
             "</Message></Error>",
             NULL, "Message", "Token <expired> & gone \"x\" 'y'", 0, NULL);
    s_expect("<M>&amp;amp; &amp;lt;</M>", NULL, "M", "&amp; &lt;", 0, NULL); /* decoded once */
    s_expect("<M>&#65;&#x42;&#x1F600;&#233;</M>", NULL, "M", "AB\xf0\x9f\x98\x80\xc3\xa9", 0, NULL);
    s_expect("<M><![CDATA[a <b> & c]]></M>", NULL, "M", "a <b> & c", 0, NULL);
    s_expect("<M>x<![CDATA[<y>&amp;]]>z</M>", NULL, "M", "x<y>&amp;z", 0, NULL);
    s_expect("<M>a<!-- not text -->b<?pi also not?>c</M>", NULL, "M", "abc", 0, NULL);
    s_expect("<M>  spaced\n  out  </M>", NULL, "M", "  spaced\n  out  ", 0, NULL);
    s_expect("<R><M></M></R>", NULL, "M", "", 0, NULL);
    s_expect("<R><M/></R>", NULL, "M", "", 0, NULL);
    s_expect("<R><M>a<b>inner</b>c</M></R>", NULL, "M", NULL, CR_EINVALID,
             "<M> holds elements, not text");
    s_expect("<R><N>x</N></R>", NULL, "M", NULL, CR_EINVALID, "the answer has no <M> element");
    /* another encoding, declared: read as UTF-8 */
    s_expect("<?xml version=\"1.0\" encoding=\"ISO-8859-1\"?><M>caf\xe9</M>", NULL, "M",
             "caf\xc3\xa9", 0, NULL);
}

static void test_aws_xml__namespaces(void **state)
{
    /* STS's namespace, or none (emulators, S3 errors) */
    s_expect(s_answer, STS_NS, "Account", "123456789012", 0, NULL);
    s_expect("<R><Account>1</Account></R>", STS_NS, "Account", "1", 0, NULL);
    s_expect("<s:R xmlns:s=\"" STS_NS "\"><s:Account>2</s:Account></s:R>", STS_NS, "Account", "2",
             0, NULL);
    /* an element of another namespace is never taken for STS's */
    s_expect("<R xmlns=\"" STS_NS "\"><o:Account xmlns:o=\"urn:other\">666</o:Account>"
             "<Account>3</Account></R>",
             STS_NS, "Account", "3", 0, NULL);
    s_expect("<R xmlns=\"urn:not-sts\"><Account>666</Account></R>", STS_NS, "Account", NULL,
             CR_EINVALID, "the answer has no <Account> element");
    s_expect("<R xmlns=\"" STS_NS "\"><Account xmlns=\"urn:other\">666</Account></R>", STS_NS,
             "Account", NULL, CR_EINVALID, "the answer has no <Account> element");
    /* ns NULL (an error body of any service): any namespace */
    s_expect("<R xmlns=\"urn:other\"><Code>X</Code></R>", NULL, "Code", "X", 0, NULL);
    /* a prefix nobody declared is not well-formed */
    s_expect("<R><x:Account>1</x:Account></R>", STS_NS, "Account", NULL, CR_EINVALID,
             "the answer is not well-formed XML: line 1, column 14: a namespace prefix nobody "
             "declared (libxml2 error 201)");
}

/* A loopback port that counts connection attempts: an answer naming http://127.0.0.1:PORT/
 * must never make the parser connect. */
static int s_listener(int *port)
{
    struct sockaddr_in a = {.sin_family = AF_INET, .sin_addr.s_addr = htonl(INADDR_LOOPBACK)};
    socklen_t alen = sizeof(a);
    int fd = socket(AF_INET, SOCK_STREAM | SOCK_NONBLOCK, 0);
    assert_true(fd >= 0);
    assert_int_equal(bind(fd, (struct sockaddr *)&a, sizeof(a)), 0);
    assert_int_equal(listen(fd, 8), 0);
    assert_int_equal(getsockname(fd, (struct sockaddr *)&a, &alen), 0);
    *port = ntohs(a.sin_port);
    return fd;
}

static void test_aws_xml__hostile_documents(void **state)
{
    static const char dtd[] = "the answer is refused as XML: it has a document type "
                              "declaration (<!DOCTYPE ...>), which AWS answers never have";
    char body[2048], secret_path[1024];
    int port = 0, lfd = s_listener(&port);
    char *dir = cr_test_tmpdir();
    snprintf(secret_path, sizeof(secret_path), "%s/secret.txt", dir);
    assert_int_equal(cr_test_write_file(secret_path, "TOP-SECRET-FILE"), 0);

    /* billion laughs: refused at the DOCTYPE, before a single entity is declared */
    s_expect("<?xml version=\"1.0\"?>\n<!DOCTYPE lolz [\n"
             " <!ENTITY lol \"lol\">\n"
             " <!ENTITY lol2 \"&lol;&lol;&lol;&lol;&lol;&lol;&lol;&lol;&lol;&lol;\">\n"
             " <!ENTITY lol3 \"&lol2;&lol2;&lol2;&lol2;&lol2;&lol2;&lol2;&lol2;&lol2;&lol2;\">\n"
             " <!ENTITY lol4 \"&lol3;&lol3;&lol3;&lol3;&lol3;&lol3;&lol3;&lol3;&lol3;&lol3;\">\n"
             " <!ENTITY lol5 \"&lol4;&lol4;&lol4;&lol4;&lol4;&lol4;&lol4;&lol4;&lol4;&lol4;\">\n"
             " <!ENTITY lol6 \"&lol5;&lol5;&lol5;&lol5;&lol5;&lol5;&lol5;&lol5;&lol5;&lol5;\">\n"
             " <!ENTITY lol7 \"&lol6;&lol6;&lol6;&lol6;&lol6;&lol6;&lol6;&lol6;&lol6;&lol6;\">\n"
             " <!ENTITY lol8 \"&lol7;&lol7;&lol7;&lol7;&lol7;&lol7;&lol7;&lol7;&lol7;&lol7;\">\n"
             " <!ENTITY lol9 \"&lol8;&lol8;&lol8;&lol8;&lol8;&lol8;&lol8;&lol8;&lol8;&lol8;\">\n"
             "]>\n<Error><Code>Throttling</Code><Message>&lol9;</Message></Error>",
             NULL, "Message", NULL, CR_EINVALID, dtd);
    /* an external entity naming a local file, and one naming a loopback URL */
    snprintf(body, sizeof(body),
             "<!DOCTYPE R [<!ENTITY xxe SYSTEM \"file://%s\">]><R><AccessKeyId>&xxe;"
             "</AccessKeyId></R>",
             secret_path);
    s_expect(body, STS_NS, "AccessKeyId", NULL, CR_EINVALID, dtd);
    snprintf(body, sizeof(body),
             "<!DOCTYPE R [<!ENTITY net SYSTEM \"http://127.0.0.1:%d/e\">]><R><M>&net;</M></R>",
             port);
    s_expect(body, NULL, "M", NULL, CR_EINVALID, dtd);
    /* an external DTD subset (no internal one), and a parameter entity */
    snprintf(body, sizeof(body), "<!DOCTYPE R SYSTEM \"http://127.0.0.1:%d/r.dtd\"><R><M>x</M></R>",
             port);
    s_expect(body, NULL, "M", NULL, CR_EINVALID, dtd);
    snprintf(body, sizeof(body),
             "<!DOCTYPE R [<!ENTITY %% p SYSTEM \"http://127.0.0.1:%d/p\"> %%p;]><R><M>x</M></R>",
             port);
    s_expect(body, NULL, "M", NULL, CR_EINVALID, dtd);
    /* nothing connected to the listener */
    assert_int_equal(accept(lfd, NULL, NULL), -1);
    assert_true(errno == EAGAIN || errno == EWOULDBLOCK);
    /* an entity nobody declared is not well-formed (it used to be "malformed XML entity") */
    s_expect("<Credentials><AccessKeyId>A&bogus;</AccessKeyId></Credentials>", STS_NS,
             "AccessKeyId", NULL, CR_EINVALID,
             "the answer is not well-formed XML: line 1, column 35: an entity nobody declared "
             "(libxml2 error 26)");
    s_expect("<M>&#0;</M>", NULL, "M", NULL, CR_EINVALID,
             "the answer is not well-formed XML: line 1, column 8: a character XML does not "
             "allow (libxml2 error 9)");
    s_expect("<M>a & b</M>", NULL, "M", NULL, CR_EINVALID,
             "the answer is not well-formed XML: line 1, column 7: a '<' or '&' without a name "
             "after it (libxml2 error 68)");
    /* XInclude is not processed: the include stays an element */
    snprintf(body, sizeof(body),
             "<R xmlns:xi=\"http://www.w3.org/2001/XInclude\"><M><xi:include href=\"%s\" "
             "parse=\"text\"/></M></R>",
             secret_path);
    s_expect(body, NULL, "M", NULL, CR_EINVALID, "<M> holds elements, not text");
    /* two roots, text outside the root, a mismatched tag */
    s_expect("<M>1</M><M>2</M>", NULL, "M", NULL, CR_EINVALID,
             "the answer is not well-formed XML: line 1, column 9: content after the root "
             "element (libxml2 error 5)");
    s_expect("<Error><Code>X</Message></Error>", NULL, "Code", NULL, CR_EINVALID,
             "the answer is not well-formed XML: line 1, column 25: an end tag that does not "
             "match its start tag (libxml2 error 76)");
    close(lfd);
    cr_test_rmtree(dir);
    free(dir);
}

/* n nested <a>, the innermost holding "x". */
static char *s_nested(int n)
{
    struct cr_buf b = CR_BUF_INIT;
    for (int i = 0; i < n; i++)
        cr_buf_puts(&b, "<a>");
    cr_buf_puts(&b, "x");
    for (int i = 0; i < n; i++)
        cr_buf_puts(&b, "</a>");
    assert_false(cr_buf_oom(&b));
    return cr_buf_detach(&b);
}

static void test_aws_xml__depth_and_size_are_capped(void **state)
{
    char *ok = s_nested(CR_XML_MAX_DEPTH), *deep = s_nested(CR_XML_MAX_DEPTH + 1);
    char *deeper = s_nested(100000); /* 700 KB: within the size cap */
    s_expect(ok, NULL, "a", NULL, CR_EINVALID, "<a> holds elements, not text");
    struct cr_buf out = CR_BUF_INIT;
    struct cr_xml_doc *doc = NULL;
    assert_ok(cr_xml_parse(&doc, ok, strlen(ok), NULL));
    cr_xml_free(doc);
    static const char refused[] = "the answer is refused as XML: its elements nest deeper than "
                                  "32 levels";
    s_expect(deep, NULL, "a", NULL, CR_EINVALID, refused);
    s_expect(deeper, NULL, "a", NULL, CR_EINVALID, refused);
    free(ok);
    free(deep);
    free(deeper);

    /* exactly the cap is read; one byte more is a limit error, read no further */
    char *big = malloc(CR_XML_MAX_BYTES + 2);
    assert_non_null(big);
    memcpy(big, "<M>", 3);
    memset(big + 3, 'x', CR_XML_MAX_BYTES - 7);
    memcpy(big + CR_XML_MAX_BYTES - 4, "</M>", 5);
    assert_int_equal(strlen(big), CR_XML_MAX_BYTES);
    assert_ok(s_text(&out, big, CR_XML_MAX_BYTES, NULL, "M"));
    assert_int_equal(out.len, CR_XML_MAX_BYTES - 7);
    memcpy(big + CR_XML_MAX_BYTES - 4, " </M>", 6);
    assert_int_equal(s_text(&out, big, CR_XML_MAX_BYTES + 1, NULL, "M"), CR_ELIMIT);
    assert_string_equal(cr_error_last(),
                        "the answer is 1048577 bytes, more than the 1048576 bytes read as XML");
    free(big);
    assert_int_equal(s_text(&out, "", 0, NULL, "M"), CR_EINVALID);
    assert_string_equal(cr_error_last(), "the answer is empty, not XML");
    assert_int_equal(s_text(&out, NULL, 0, NULL, "M"), CR_EINVALID);
    cr_buf_dispose(&out);
}

/* Every cut of an answer before the end of its root element is refused; from there on (only
 * the trailing newline is missing) it reads. The reader gets exactly len bytes, no NUL. */
static void test_aws_xml__every_truncation_is_refused(void **state)
{
    size_t full = strlen(s_answer), complete = full - 1; /* without the last "\n" */
    struct cr_buf out = CR_BUF_INIT;
    for (size_t len = 0; len <= full; len++) {
        char *copy = malloc(len ? len : 1);
        assert_non_null(copy);
        memcpy(copy, s_answer, len);
        int rc = s_text(&out, copy, len, STS_NS, "Account");
        free(copy);
        if (len >= complete ? rc != 0 : rc != CR_EINVALID)
            fail_msg("cut after %zu bytes: rc %d (%s)", len, rc, cr_error_last());
        if (len >= complete)
            assert_string_equal(cr_buf_cstr(&out), "123456789012");
    }
    assert_int_equal(s_text(&out, s_answer, 200, STS_NS, "Account"), CR_EINVALID);
    assert_string_equal(cr_error_last(),
                        "the answer is not well-formed XML: line 5, column 8: an element that is "
                        "never closed (the answer ends early) (libxml2 error 77)");
    cr_buf_dispose(&out);
}

/* ---- property: what util/xml.h writes, this reads back ---- */

static const char *const s_pieces[] = {
    "a",
    " ",
    "<",
    ">",
    "&",
    "\"",
    "'",
    ";",
    "#",
    "]]>",
    "\t",
    "\n",
    "&amp;",
    "&#65;",
    "\xc3\xa9",
    "\xe2\x86\x92",
    "\xf0\x9f\x98\x80",
    "<![CDATA[",
    "<!--",
    "<?x?>",
    "<a/>",
};

static void test_aws_xml__reads_back_what_util_xml_writes(void **state)
{
    const size_t n_pieces = sizeof(s_pieces) / sizeof(s_pieces[0]);
    for (uint32_t seed0 = 1; seed0 <= 500; seed0++) {
        uint32_t seed = seed0 * 2654435761u;
        struct cr_buf in = CR_BUF_INIT, body = CR_BUF_INIT, got = CR_BUF_INIT;
        size_t len = cr_test_random(&seed) % 24;
        for (size_t i = 0; i < len; i++)
            cr_buf_puts(&in, s_pieces[cr_test_random(&seed) % n_pieces]);
        cr_buf_puts(&body, "<ErrorResponse xmlns=\"" STS_NS "\"><Error><Message>");
        cr_xml_escape(&body, cr_buf_cstr(&in), CR_XML_TEXT);
        cr_buf_puts(&body, "</Message></Error></ErrorResponse>");
        int rc = s_text(&got, body.ptr, body.len, STS_NS, "Message");
        if (rc != 0 || strcmp(cr_buf_cstr(&got), cr_buf_cstr(&in)) != 0)
            fail_msg("seed %u: rc %d read \"%s\", want \"%s\" (body %s)", seed0, rc,
                     cr_buf_cstr(&got), cr_buf_cstr(&in), cr_buf_cstr(&body));
        cr_buf_dispose(&in);
        cr_buf_dispose(&body);
        cr_buf_dispose(&got);
    }
}

/* libxml2's own error printing is off: a message of it could quote an answer's secret. */
static void test_aws_xml__nothing_is_written_to_stderr(void **state)
{
    char *dir = cr_test_tmpdir(), path[1024];
    snprintf(path, sizeof(path), "%s/stderr", dir);
    int saved = dup(STDERR_FILENO), fd = open(path, O_WRONLY | O_CREAT | O_TRUNC, 0600);
    assert_true(saved >= 0 && fd >= 0);
    fflush(stderr);
    dup2(fd, STDERR_FILENO);
    static const char *const bad[] = {
        "<R><SecretAccessKey>wJalr&bogus;</SecretAccessKey></R>",
        "<R><SecretAccessKey>wJalr</Secret></R>",
        "<!DOCTYPE R [<!ENTITY e \"wJalr\">]><R>&e;</R>",
        "<R><x:SecretAccessKey>wJalr</x:SecretAccessKey></R>",
        "<R>\x01wJalr</R>",
        "<?xml version=\"1.0\" encoding=\"no-such-encoding\"?><R>wJalr</R>",
    };
    struct cr_buf out = CR_BUF_INIT;
    for (size_t i = 0; i < sizeof(bad) / sizeof(bad[0]); i++)
        assert_int_equal(s_text(&out, bad[i], strlen(bad[i]), NULL, "R"), CR_EINVALID);
    cr_buf_dispose(&out);
    fflush(stderr);
    dup2(saved, STDERR_FILENO);
    close(saved);
    close(fd);
    struct stat st;
    assert_int_equal(stat(path, &st), 0);
    assert_int_equal(st.st_size, 0);
    cr_test_rmtree(dir);
    free(dir);
}

/* A message about a damaged answer never quotes it: libxml2's own messages name elements,
 * entities and prefixes of the input, which in a cut or mutated STS answer can be pieces of
 * the secret key (the marker here stands for one). */
static void test_aws_xml__messages_never_quote_the_answer(void **state)
{
    static const char *const bad[] = {
        "<R><wJalrSECRET",
        "<R><wJalrSECRET a=1></R>",
        "<R>&wJalrSECRET;</R>",
        "<R><wJalrSECRET></R>",
        "<R></wJalrSECRET>",
        "<R><wJalrSECRET:K>1</wJalrSECRET:K></R>",
        "<R wJalrSECRET=\"1\" wJalrSECRET=\"2\"/>",
        "<R wJalrSECRET></R>",
        "<R><K>wJalrSECRET</K></R><wJalrSECRET/>",
        "<R><!-- wJalrSECRET",
        "<R><![CDATA[wJalrSECRET",
        "<?xml version=\"1.0\" encoding=\"wJalrSECRET\"?><R/>",
    };
    struct cr_buf out = CR_BUF_INIT;
    for (size_t i = 0; i < sizeof(bad) / sizeof(bad[0]); i++) {
        int rc = s_text(&out, bad[i], strlen(bad[i]), NULL, "K");
        if (rc != CR_EINVALID || strstr(cr_error_last(), "wJalr"))
            fail_msg("%s: rc %d: %s", bad[i], rc, cr_error_last());
        assert_non_null(strstr(cr_error_last(), "the answer is not well-formed XML: line 1"));
    }
    cr_buf_dispose(&out);
}

/* Answers are read on several threads at once (credentials renewed while calls run); the
 * first parse of the process initialises libxml2, so the threads start together. */
static pthread_barrier_t s_barrier;

static void *s_reader(void *arg)
{
    struct cr_buf out = CR_BUF_INIT;
    int *failures = arg;
    pthread_barrier_wait(&s_barrier);
    for (int i = 0; i < 300; i++) {
        if (s_text(&out, s_answer, strlen(s_answer), STS_NS, "Account") != 0 ||
            strcmp(cr_buf_cstr(&out), "123456789012") != 0)
            (*failures)++;
    }
    cr_buf_dispose(&out);
    return NULL;
}

static void test_aws_xml__threads(void **state)
{
    pthread_t t[4];
    int failures[4] = {0};
    pthread_barrier_init(&s_barrier, NULL, 4);
    for (int i = 0; i < 4; i++)
        assert_int_equal(pthread_create(&t[i], NULL, s_reader, &failures[i]), 0);
    for (int i = 0; i < 4; i++) {
        pthread_join(t[i], NULL);
        assert_int_equal(failures[i], 0);
    }
    pthread_barrier_destroy(&s_barrier);
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_aws_xml__threads), /* first: it initialises libxml2 */
        cmocka_unit_test(test_aws_xml__reads_an_sts_answer),
        cmocka_unit_test(test_aws_xml__text_entities_cdata_comments),
        cmocka_unit_test(test_aws_xml__namespaces),
        cmocka_unit_test(test_aws_xml__hostile_documents),
        cmocka_unit_test(test_aws_xml__depth_and_size_are_capped),
        cmocka_unit_test(test_aws_xml__every_truncation_is_refused),
        cmocka_unit_test(test_aws_xml__reads_back_what_util_xml_writes),
        cmocka_unit_test(test_aws_xml__nothing_is_written_to_stderr),
        cmocka_unit_test(test_aws_xml__messages_never_quote_the_answer),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
