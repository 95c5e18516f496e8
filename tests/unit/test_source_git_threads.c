/* SPDX-License-Identifier: Apache-2.0 */
/*
 * source/git.c from a multithreaded caller: `cognito-reconcile watch` reads git while its HTTP
 * threads, the lock keeper and the reader's workers run. A child made by fork() alone gets a
 * copy of every lock as some other thread held it at that instant, and nobody in the child
 * will ever release it; any lock the reading path takes (the allocator's, a library's) can then
 * block the child forever. The reads must run in a freshly executed process instead.
 *
 * The fault is injected with an allocator of our own (below, in the plain build only): this
 * test program's malloc/free/calloc/realloc take one mutex that has no fork handler, as
 * GCC 12's ASan allocator or a library's lock has none. A thread holds that mutex while the
 * reads start. Under the sanitizers ASan's allocator is the lock and cannot be held on
 * purpose, so threads allocate without pause during the reads instead.
 *
 * And the reader process itself, as another user could see it: the fetch's token is not on
 * its command line nor in its environment, and killing it is reported as a crash.
 */
#define _GNU_SOURCE /* memmem */
#include "tests/unit/test_source_git_fixture.h"

#include <arpa/inet.h>
#include <ctype.h>
#include <dirent.h>
#include <limits.h>
#include <netinet/in.h>
#include <poll.h>
#include <pthread.h>
#include <semaphore.h>
#include <signal.h>
#include <stdatomic.h>
#include <stdint.h>
#include <sys/socket.h>
#include <time.h>
#include <unistd.h>

#include "source/git.h"
#include "util/buf.h"

#if defined(__SANITIZE_ADDRESS__)
#define T_OWN_ALLOCATOR 0
#elif defined(__has_feature)
#if __has_feature(address_sanitizer)
#define T_OWN_ALLOCATOR 0
#endif
#endif
#ifndef T_OWN_ALLOCATOR
#define T_OWN_ALLOCATOR 1
#endif

#define T_ROUNDS 6 /* reads while the allocator's lock is held by another thread */
#define T_CHURN_READS 12 /* reads while other threads allocate */
#define T_CHURNERS 3     /* the threads that allocate */
#define T_HOLD_NS 50000000L /* how long the holder keeps the lock each round: 50 ms */

#if T_OWN_ALLOCATOR
/* glibc's allocator under one lock of ours that no fork handler releases in a child. */
void *__libc_malloc(size_t size);
void *__libc_calloc(size_t n, size_t size);
void *__libc_realloc(void *p, size_t size);
void __libc_free(void *p);

static pthread_mutex_t t_heap_lock = PTHREAD_MUTEX_INITIALIZER;

void *malloc(size_t size)
{
    pthread_mutex_lock(&t_heap_lock);
    void *p = __libc_malloc(size);
    pthread_mutex_unlock(&t_heap_lock);
    return p;
}

void *calloc(size_t n, size_t size)
{
    pthread_mutex_lock(&t_heap_lock);
    void *p = __libc_calloc(n, size);
    pthread_mutex_unlock(&t_heap_lock);
    return p;
}

void *realloc(void *old, size_t size)
{
    pthread_mutex_lock(&t_heap_lock);
    void *p = __libc_realloc(old, size);
    pthread_mutex_unlock(&t_heap_lock);
    return p;
}

void free(void *p)
{
    pthread_mutex_lock(&t_heap_lock);
    __libc_free(p);
    pthread_mutex_unlock(&t_heap_lock);
}
#endif

#define POOL(name)                                                                                 \
    "apiVersion: cognito-reconcile/v1\nkind: IdentityPool\nmetadata: {name: " name "}\n"

struct t_env {
    char *dir;
    char git_dir[PATH_MAX];
    char c1[41], c2[41];
};

static int t_setup(void **state)
{
    struct t_env *env = calloc(1, sizeof(*env));
    git_libgit2_init();
    env->dir = cr_test_tmpdir();
    snprintf(env->git_dir, sizeof(env->git_dir), "%s/repo.git", env->dir);
    git_repository *repo = t_repo_init(env->git_dir, true);
    t_head(repo, "refs/heads/main");
    const struct t_file v1[] = {{"stacks/a.yaml", POOL("a"), 0}, {"stacks/b.yaml", POOL("b"), 0}};
    t_commit(repo, "HEAD", v1, 2, "c1", env->c1);
    const struct t_file v2[] = {{"stacks/a.yaml", POOL("a2"), 0}, {"stacks/b.yaml", POOL("b"), 0}};
    t_commit(repo, "HEAD", v2, 2, "c2", env->c2);
    t_ref(repo, "refs/tags/v1", env->c1);
    t_annotated_tag(repo, "v2", env->c2);
    git_repository_free(repo);
    *state = env;
    return 0;
}

static int t_teardown(void **state)
{
    struct t_env *env = *state;
    cr_test_rmtree(env->dir);
    free(env->dir);
    free(env);
    git_libgit2_shutdown();
    return 0;
}

/* One read of each kind the watch loop makes, each checked against the repository. */
static void t_reads(const struct t_env *env)
{
    struct cr_source_list list;
    struct cr_git_revision rev;
    const char *paths[] = {"stacks"};
    cr_source_list_init(&list);
    assert_ok(cr_source_git_collect(&list, env->git_dir, "main", paths, 1, NULL, &rev));
    assert_int_equal(list.len, 2);
    assert_string_equal(list.items[0].display_path, "main:stacks/a.yaml");
    assert_string_equal(cr_buf_cstr(&list.items[0].bytes), POOL("a2"));
    assert_string_equal(rev.id, env->c2);
    cr_source_list_dispose(&list);
    assert_ok(cr_source_git_resolve(&rev, env->git_dir, "v1"));
    assert_string_equal(rev.id, env->c1);
    assert_ok(cr_source_git_resolve(&rev, env->git_dir, "v2"));
    assert_string_equal(rev.id, env->c2);
    assert_ok(cr_source_git_check_ancestor(env->git_dir, env->c2, env->c1));
    assert_int_equal(cr_source_git_check_ancestor(env->git_dir, env->c1, env->c2), CR_EREFUSED);
}

#if T_OWN_ALLOCATOR
struct t_holder {
    sem_t go, held;
};

/* Each round: takes the allocator's lock, tells the reader, keeps it T_HOLD_NS, releases. */
static void *t_hold(void *arg)
{
    struct t_holder *h = arg;
    const struct timespec hold = {0, T_HOLD_NS};
    for (int i = 0; i < T_ROUNDS; i++) {
        while (sem_wait(&h->go) != 0)
            ;
        pthread_mutex_lock(&t_heap_lock);
        sem_post(&h->held);
        nanosleep(&hold, NULL);
        pthread_mutex_unlock(&t_heap_lock);
    }
    return NULL;
}

/* A read that starts while another thread holds the allocator's lock still completes: the
 * process doing the reading is not a copy of this one's locks. */
static void test_source_git_threads__reads_while_a_thread_holds_the_allocator_lock(void **state)
{
    struct t_env *env = *state;
    struct t_holder h;
    pthread_t thread;
    sem_init(&h.go, 0, 0);
    sem_init(&h.held, 0, 0);
    assert_int_equal(pthread_create(&thread, NULL, t_hold, &h), 0);
    for (int i = 0; i < T_ROUNDS; i++) {
        sem_post(&h.go);
        while (sem_wait(&h.held) != 0)
            ;
        /* the lock is held now, and stays held while the read starts */
        struct cr_git_revision rev;
        int rc = cr_source_git_resolve(&rev, env->git_dir, "main");
        if (rc != 0)
            print_error("round %d: %s\n", i, cr_error_last());
        assert_int_equal(rc, 0);
        assert_string_equal(rev.id, env->c2);
        t_reads(env);
    }
    pthread_join(thread, NULL);
    sem_destroy(&h.go);
    sem_destroy(&h.held);
}
#endif

static atomic_bool t_churning;

/* Allocates and frees without pause until told to stop (the watch process's other threads). */
static void *t_churn(void *arg)
{
    unsigned seed = (unsigned)(uintptr_t)arg;
    enum { SLOTS = 512 };
    void **slots = calloc(SLOTS, sizeof(*slots));
    while (slots != NULL && atomic_load(&t_churning)) {
        seed = seed * 1103515245u + 12345u;
        size_t i = (seed >> 8) % SLOTS;
        /* sizes of every class, now and then a large one (the allocator's global lists) */
        size_t size = (seed >> 16) % 16 == 0 ? 65536 + (seed >> 4) % (1 << 20)
                                              : 16 + (seed >> 12) % 8192;
        free(slots[i]);
        slots[i] = malloc(size);
    }
    for (size_t i = 0; slots != NULL && i < SLOTS; i++)
        free(slots[i]);
    free(slots);
    return NULL;
}

/* Reads repeated while other threads allocate all the time. */
static void test_source_git_threads__reads_while_threads_allocate(void **state)
{
    struct t_env *env = *state;
    pthread_t threads[T_CHURNERS];
    atomic_store(&t_churning, true);
    for (uintptr_t i = 0; i < T_CHURNERS; i++)
        assert_int_equal(pthread_create(&threads[i], NULL, t_churn, (void *)(i + 1)), 0);
    for (int i = 0; i < T_CHURN_READS; i++)
        t_reads(env);
    atomic_store(&t_churning, false);
    for (int i = 0; i < T_CHURNERS; i++)
        pthread_join(threads[i], NULL);
}

/* The pid of a child of this process (the git reader), or 0 when there is none. */
static pid_t t_child_pid(void)
{
    DIR *proc = opendir("/proc");
    struct dirent *e;
    pid_t found = 0;
    while (proc != NULL && found == 0 && (e = readdir(proc)) != NULL) {
        char path[300], text[512];
        if (!isdigit((unsigned char)e->d_name[0]))
            continue;
        snprintf(path, sizeof(path), "/proc/%s/stat", e->d_name);
        FILE *f = fopen(path, "r");
        if (f == NULL)
            continue;
        size_t n = fread(text, 1, sizeof(text) - 1, f);
        fclose(f);
        text[n] = '\0';
        /* "pid (comm) state ppid ...": comm may hold spaces, so from the last ')' */
        const char *end = strrchr(text, ')');
        char st;
        int ppid;
        if (end != NULL && sscanf(end + 1, " %c %d", &st, &ppid) == 2 && ppid == getpid())
            found = (pid_t)atoi(e->d_name);
    }
    if (proc != NULL)
        closedir(proc);
    return found;
}

struct t_watcher {
    int listener;           /* the remote: a socket that accepts and never answers */
    pid_t reader;           /* the git reader seen connected, 0 if none */
    struct cr_buf cmdline;  /* its /proc/PID/cmdline */
    struct cr_buf environ_; /* its /proc/PID/environ */
};

/* Waits (10 s at most) for the reader to connect to the remote, reads what /proc shows of it,
 * then kills it. */
static void *t_watch_and_kill(void *arg)
{
    struct t_watcher *w = arg;
    struct pollfd pfd = {.fd = w->listener, .events = POLLIN};
    if (poll(&pfd, 1, 10000) != 1)
        return NULL;
    w->reader = t_child_pid();
    if (w->reader == 0)
        return NULL;
    char path[64];
    snprintf(path, sizeof(path), "/proc/%d/cmdline", (int)w->reader);
    assert_ok(cr_buf_read_file(&w->cmdline, path, 1 << 20));
    snprintf(path, sizeof(path), "/proc/%d/environ", (int)w->reader);
    assert_ok(cr_buf_read_file(&w->environ_, path, 1 << 20));
    kill(w->reader, SIGKILL);
    return NULL;
}

/* A fetch with a token from a remote that never answers: the reader is another program (the
 * worker argument on its command line), the token is neither there nor in its environment,
 * and its death by a signal is reported as a crash. */
static void test_source_git_threads__reader_process_secrets_and_crash(void **state)
{
    struct t_env *env = *state;
    static const char token[] = "tok-3b1f9a-never-on-a-command-line";
    struct t_watcher w = {.cmdline = CR_BUF_INIT, .environ_ = CR_BUF_INIT};
    struct sockaddr_in addr = {.sin_family = AF_INET, .sin_addr.s_addr = htonl(INADDR_LOOPBACK)};
    socklen_t alen = sizeof(addr);
    char url[128], cache[PATH_MAX + 16];
    pthread_t thread;
    w.listener = socket(AF_INET, SOCK_STREAM, 0);
    assert_true(w.listener >= 0);
    assert_int_equal(bind(w.listener, (struct sockaddr *)&addr, sizeof(addr)), 0);
    assert_int_equal(listen(w.listener, 4), 0);
    assert_int_equal(getsockname(w.listener, (struct sockaddr *)&addr, &alen), 0);
    snprintf(url, sizeof(url), "http://127.0.0.1:%d/pools.git", ntohs(addr.sin_port));
    snprintf(cache, sizeof(cache), "%s/cache.git", env->dir);
    const struct cr_source_git_remote remote = {
        .url = url, .branch = "main", .cache_dir = cache, .username = "ci", .token = token};
    assert_int_equal(pthread_create(&thread, NULL, t_watch_and_kill, &w), 0);
    struct cr_git_revision rev;
    int rc = cr_source_git_fetch(&rev, &remote);
    pthread_join(thread, NULL);
    close(w.listener);
    assert_int_not_equal(w.reader, 0);
    assert_int_equal(rc, CR_EIO);
    assert_non_null(strstr(cr_error_last(), "crashed (signal 9)"));
    assert_null(strstr(cr_error_last(), token));
    assert_non_null(memmem(w.cmdline.ptr, w.cmdline.len, "--cognito-reconcile-git-worker", 30));
    assert_null(memmem(w.cmdline.ptr, w.cmdline.len, token, strlen(token)));
    assert_null(memmem(w.environ_.ptr, w.environ_.len, token, strlen(token)));
    cr_buf_dispose(&w.cmdline);
    cr_buf_dispose(&w.environ_);
}

int main(void)
{
    /* a read that is stuck fails the test within seconds instead of hanging it */
    setenv("COGNITO_RECONCILE_GIT_STALL_SECONDS", "5", 1);
    const struct CMUnitTest tests[] = {
#if T_OWN_ALLOCATOR
        cmocka_unit_test(test_source_git_threads__reads_while_a_thread_holds_the_allocator_lock),
#endif
        cmocka_unit_test(test_source_git_threads__reads_while_threads_allocate),
        cmocka_unit_test(test_source_git_threads__reader_process_secrets_and_crash),
    };
    return cmocka_run_group_tests(tests, t_setup, t_teardown);
}
