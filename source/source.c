/* SPDX-License-Identifier: Apache-2.0 */
/* Files and folders on disk (and standard input) -> struct cr_source_list. */
#include "source/source.h"

#include <dirent.h>
#include <errno.h>
#include <fcntl.h>
#include <limits.h>
#include <stdarg.h>
#include <stdbool.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>
#include <sys/stat.h>
#include <unistd.h>

#include "source/ignore.h"
#include "util/array.h"
#include "util/strmap.h"

void cr_source_list_init(struct cr_source_list *list)
{
    memset(list, 0, sizeof(*list));
}

void cr_source_list_dispose(struct cr_source_list *list)
{
    for (size_t i = 0; i < list->len; i++) {
        free(list->items[i].display_path);
        cr_buf_dispose(&list->items[i].bytes);
    }
    for (size_t i = 0; i < list->n_skips; i++) {
        free(list->skips[i].display_path);
        free(list->skips[i].reason);
    }
    free(list->items);
    free(list->skips);
    memset(list, 0, sizeof(*list));
}

static struct cr_source_file *s_push(struct cr_source_list *list)
{
    if (cr_array_reserve(&list->items, &list->cap, list->len, sizeof(*list->items), 16) != 0)
        return NULL;
    struct cr_source_file *f = &list->items[list->len];
    memset(f, 0, sizeof(*f));
    return f;
}

int cr_source_list_add(struct cr_source_list *out, const char *display_path, const char *bytes,
                       size_t len)
{
    struct cr_source_file *f = s_push(out);
    if (f == NULL)
        goto oom;
    f->display_path = strdup(display_path);
    if (f->display_path == NULL)
        goto oom;
    if (cr_buf_put(&f->bytes, bytes, len) != 0 || cr_buf_put(&f->bytes, "", 0) != 0) {
        free(f->display_path);
        cr_buf_dispose(&f->bytes);
        goto oom;
    }
    out->len++;
    return 0;
oom:
    cr_error_set("%s: out of memory", display_path);
    return CR_ENOMEM;
}

int cr_source_list_skip(struct cr_source_list *out, enum cr_source_skip_kind kind, bool named,
                        const char *display_path, const char *fmt, ...)
{
    struct cr_buf reason = CR_BUF_INIT;
    va_list ap;
    va_start(ap, fmt);
    cr_buf_vprintf(&reason, fmt, ap);
    va_end(ap);
    if (cr_buf_oom(&reason) || cr_array_reserve(&out->skips, &out->cap_skips, out->n_skips,
                                                sizeof(*out->skips), 8) != 0)
        goto oom;
    struct cr_source_skip *s = &out->skips[out->n_skips];
    s->display_path = strdup(display_path);
    if (s->display_path == NULL)
        goto oom;
    s->reason = cr_buf_detach(&reason);
    s->kind = kind;
    s->named = named;
    out->n_skips++;
    if (kind == CR_SOURCE_SKIP_UNREAD)
        out->skipped++;
    return 0;
oom:
    cr_buf_dispose(&reason);
    cr_error_set("%s: out of memory", display_path);
    return CR_ENOMEM;
}

/* State of one collect call. */
struct s_walk {
    struct cr_source_list *out;
    struct cr_strlist seen; /* real paths (or pipe names) already listed: each file once */
    size_t max_bytes;
    char root_real[PATH_MAX]; /* real path of the folder argument being walked */
    struct cr_ignore ig;
    struct cr_buf abs; /* real path, without the leading '/', of the folder being walked */
    char cwd[PATH_MAX];
    bool stdin_read;
};

/* Reads at most max + 1 bytes of fd into out: enough for the loader to see that the file is
 * over the limit without holding all of a huge file. */
static int s_read_fd(struct cr_buf *out, bool *out_truncated, int fd, const char *display,
                     size_t max)
{
    char chunk[65536];
    *out_truncated = false;
    while (!*out_truncated) {
        size_t want = max + 1 - out->len < sizeof(chunk) ? max + 1 - out->len : sizeof(chunk);
        ssize_t n = read(fd, chunk, want);
        if (n < 0 && errno == EINTR)
            continue;
        if (n < 0) {
            cr_error_set("%s: %s", display, strerror(errno));
            return CR_EIO;
        }
        if (n == 0)
            break;
        cr_buf_put(out, chunk, (size_t)n);
        *out_truncated = out->len > max;
    }
    cr_buf_put(out, "", 0);
    if (cr_buf_oom(out)) {
        cr_error_set("%s: out of memory", display);
        return CR_ENOMEM;
    }
    return 0;
}

/* Appends the file behind fd as display. */
static int s_add_fd(struct s_walk *w, int fd, const char *display)
{
    struct cr_source_file *f = s_push(w->out);
    char *name = f != NULL ? strdup(display) : NULL;
    if (name == NULL) {
        cr_error_set("%s: out of memory", display);
        return CR_ENOMEM;
    }
    f->display_path = name;
    int rc = s_read_fd(&f->bytes, &f->truncated, fd, display, w->max_bytes);
    if (rc != 0) {
        free(f->display_path);
        cr_buf_dispose(&f->bytes);
        return rc;
    }
    w->out->len++;
    return 0;
}

/* A path that names a descriptor this process already holds: a pipe there has its writer
 * (`<(...)` in a shell), so reading it ends, unlike a named pipe in a folder. */
static bool s_is_descriptor_path(const char *path)
{
    return strcmp(path, "/dev/stdin") == 0 || strncmp(path, "/dev/fd/", 8) == 0 ||
           strncmp(path, "/proc/self/fd/", 14) == 0;
}

/* "a named pipe (FIFO)" and the like, for a path that is neither a file nor a folder. */
static const char *s_file_kind(mode_t mode)
{
    if (S_ISFIFO(mode))
        return "a named pipe (FIFO)";
    if (S_ISCHR(mode))
        return "a character device";
    if (S_ISBLK(mode))
        return "a block device";
    if (S_ISSOCK(mode))
        return "a socket";
    return "not a regular file";
}

static int s_refuse_special(const char *path, mode_t mode, int fd)
{
    if (S_ISCHR(mode) && isatty(fd))
        cr_error_set("path '%s' is a terminal, not a file: name a manifest file or folder, or "
                     "pipe the manifests in (... | cognito-reconcile validate -)",
                     path);
    else if (S_ISFIFO(mode))
        cr_error_set("path '%s' is a named pipe (FIFO), not a file: reading it would wait for a "
                     "writer forever; name a manifest file or folder, or pipe it in with -",
                     path);
    else
        cr_error_set("path '%s' is %s, not a manifest file or folder", path, s_file_kind(mode));
    return CR_EINVALID;
}

/*
 * Reads one file. Opened without blocking and checked on the descriptor (not by name first,
 * which a swap could defeat): a named pipe would block open() and read() forever.
 * named: the path was given on the command line (then anything but a file is an error).
 */
static int s_read(struct s_walk *w, const char *fs_path, const char *display, bool named)
{
    int result = CR_EIO;
    struct stat st;
    char real[PATH_MAX];
    int fd = open(fs_path, O_RDONLY | O_NONBLOCK | O_NOCTTY | O_CLOEXEC);
    if (fd < 0) {
        cr_error_set("%s: %s", display, strerror(errno));
        return CR_EIO;
    }
    if (fstat(fd, &st) != 0) {
        cr_error_set("%s: %s", display, strerror(errno));
        goto done;
    }
    bool pipe_fd = S_ISFIFO(st.st_mode) && named && s_is_descriptor_path(fs_path);
    if (!S_ISREG(st.st_mode) && !pipe_fd) {
        result = named ? s_refuse_special(fs_path, st.st_mode, fd)
                       : cr_source_list_skip(w->out, CR_SOURCE_SKIP_UNREAD, false, display, "%s",
                                             s_file_kind(st.st_mode));
        goto done;
    }
    /* Each file once: by its real path, or by the name of a pipe (which has none). */
    const char *key = !pipe_fd && realpath(fs_path, real) != NULL ? real : display;
    if (cr_strlist_contains(&w->seen, key)) {
        result = 0;
        goto done;
    }
    if (cr_strlist_push(&w->seen, key) != 0) {
        cr_error_set("%s: out of memory", display);
        result = CR_ENOMEM;
        goto done;
    }
    /* The pipe's writer exists (the shell holds it): reading may wait for it, and ends. */
    if (pipe_fd && fcntl(fd, F_SETFL, fcntl(fd, F_GETFL) & ~O_NONBLOCK) != 0) {
        cr_error_set("%s: %s", display, strerror(errno));
        goto done;
    }
    result = s_add_fd(w, fd, display);
done:
    close(fd);
    return result;
}

static int s_read_stdin(struct s_walk *w)
{
    struct stat st;
    if (w->stdin_read) {
        cr_error_set("'-' (standard input) is named twice");
        return CR_EINVALID;
    }
    w->stdin_read = true;
    if (fstat(STDIN_FILENO, &st) != 0) {
        cr_error_set("standard input: %s", strerror(errno));
        return CR_EIO;
    }
    if (isatty(STDIN_FILENO)) {
        cr_error_set("'-' reads the manifests from standard input, but it is a terminal: pipe "
                     "them in (... | cognito-reconcile validate -) or name a file");
        return CR_EINVALID;
    }
    if (S_ISDIR(st.st_mode)) {
        cr_error_set("standard input is a folder, not a manifest stream");
        return CR_EINVALID;
    }
    return s_add_fd(w, STDIN_FILENO, CR_SOURCE_STDIN_NAME);
}

bool cr_source_is_manifest_name(const char *name)
{
    size_t n = strlen(name);
    return (n > 5 && strcmp(name + n - 5, ".yaml") == 0) ||
           (n > 4 && strcmp(name + n - 4, ".yml") == 0);
}

bool cr_source_is_manifest_name_other_case(const char *name)
{
    size_t n = strlen(name);
    bool yaml = (n > 5 && strcasecmp(name + n - 5, ".yaml") == 0) ||
                (n > 4 && strcasecmp(name + n - 4, ".yml") == 0);
    return yaml && !cr_source_is_manifest_name(name);
}

bool cr_source_is_hidden_name(const char *name)
{
    return name[0] == '.';
}

const char *cr_source_path_below(const char *path, const char *root)
{
    size_t n = strlen(root);
    while (n > 0 && root[n - 1] == '/')
        n--;
    if (n == 0)
        return path[0] == '/' ? path + 1 : path;
    if (strncmp(path, root, n) != 0 || (path[n] != '/' && path[n] != '\0'))
        return NULL;
    return path[n] == '/' ? path + n + 1 : path + n;
}

static int s_cmp_name(const void *a, const void *b)
{
    return strcmp(*(char *const *)a, *(char *const *)b);
}

static char *s_join(const char *dir, const char *name)
{
    size_t a = strlen(dir), b = strlen(name);
    bool slash = a > 0 && dir[a - 1] != '/';
    char *p = malloc(a + b + 2);
    if (p == NULL)
        return NULL;
    memcpy(p, dir, a);
    if (slash)
        p[a++] = '/';
    memcpy(p + a, name, b + 1);
    return p;
}

/* ---- ignore files and --exclude ---- */

/* Pushes fs_dir's .cognito-reconcile-ignore (if any) with base abs_dir. */
static int s_push_ignore_file(struct s_walk *w, const char *fs_dir, const char *display_dir,
                              const char *abs_dir)
{
    int result = CR_ENOMEM;
    struct stat st;
    struct cr_buf text = CR_BUF_INIT;
    bool truncated = false;
    char *fs_path = s_join(fs_dir, CR_IGNORE_FILE);
    char *display = strcmp(display_dir, ".") == 0 ? strdup(CR_IGNORE_FILE)
                                                  : s_join(display_dir, CR_IGNORE_FILE);
    int fd = -1;
    if (fs_path == NULL || display == NULL) {
        cr_error_set("%s: out of memory", display_dir);
        goto done;
    }
    fd = open(fs_path, O_RDONLY | O_NONBLOCK | O_NOCTTY | O_CLOEXEC);
    if (fd < 0 || fstat(fd, &st) != 0 || !S_ISREG(st.st_mode)) {
        /* None (or not a file): no patterns here. */
        result = fd < 0 && errno != ENOENT && errno != ENOTDIR ? CR_EIO : 0;
        if (result != 0)
            cr_error_set("%s: %s", display, strerror(errno));
        goto done;
    }
    result = s_read_fd(&text, &truncated, fd, display, CR_IGNORE_MAX_BYTES);
    if (result == 0 && truncated) {
        cr_error_set("%s: larger than the limit of %d bytes", display, CR_IGNORE_MAX_BYTES);
        result = CR_ELIMIT;
    }
    if (result == 0)
        result = cr_ignore_push_file(&w->ig, abs_dir, display, text.ptr, text.len);
done:
    if (fd >= 0)
        close(fd);
    cr_buf_dispose(&text);
    free(fs_path);
    free(display);
    return result;
}

/* The current folder as the walk writes paths (real, without the leading '/'). */
static const char *s_cwd_abs(const struct s_walk *w)
{
    return w->cwd[0] == '/' ? w->cwd + 1 : w->cwd;
}

/* The real path of the folder being walked, without the leading '/' ("" for the root). */
static const char *s_abs(const struct s_walk *w)
{
    return cr_buf_cstr(&w->abs);
}

/* Records path as excluded when a pattern names it; returns 1 then, 0 when it is kept. */
static int s_excluded(struct s_walk *w, const char *abs_path, bool is_dir, const char *display,
                      bool named)
{
    struct cr_ignore_hit hit;
    if (!cr_ignore_match(&w->ig, abs_path, is_dir, &hit))
        return 0;
    int rc = hit.line > 0 ? cr_source_list_skip(w->out, CR_SOURCE_SKIP_EXCLUDED, named, display,
                                                "excluded by %s:%u ('%s')", hit.origin,
                                                hit.line, hit.text)
                          : cr_source_list_skip(w->out, CR_SOURCE_SKIP_EXCLUDED, named, display,
                                                "excluded by --exclude '%s'", hit.text);
    return rc != 0 ? rc : 1;
}

/* The folder whose ignore file is the first to apply to abs_dir (all without the leading
 * '/'): the top of its git work tree, else the current folder when abs_dir is inside it,
 * else abs_dir itself. Written into out (PATH_MAX). */
static void s_project_root(char *out, const char *abs_dir, const char *cwd_abs)
{
    char probe[PATH_MAX];
    struct stat st;
    snprintf(out, PATH_MAX, "%s", abs_dir);
    for (;;) {
        int n = snprintf(probe, sizeof(probe), "/%s%s.git", out, out[0] != '\0' ? "/" : "");
        if (n > 0 && (size_t)n < sizeof(probe) && lstat(probe, &st) == 0)
            return;
        char *slash = strrchr(out, '/');
        if (out[0] == '\0')
            break;
        if (slash != NULL)
            *slash = '\0';
        else
            out[0] = '\0';
    }
    snprintf(out, PATH_MAX, "%s", cr_source_path_below(abs_dir, cwd_abs) != NULL ? cwd_abs : abs_dir);
}

/*
 * Loads the ignore files of the folders from the project root down to the parent of abs
 * (a folder argument, or a file's path), checking on the way that no folder between them
 * (nor abs itself) is excluded. Returns 1 when abs is excluded (recorded), 0, or an error.
 */
static int s_enter_ancestors(struct s_walk *w, const char *abs, bool is_dir, const char *display)
{
    char root[PATH_MAX], dir[PATH_MAX];
    char parent[PATH_MAX];
    snprintf(parent, sizeof(parent), "%s", abs);
    char *last = strrchr(parent, '/');
    if (last != NULL)
        *last = '\0';
    else
        parent[0] = '\0';
    s_project_root(root, is_dir ? abs : parent, s_cwd_abs(w));
    const char *rest = cr_source_path_below(abs, root);
    if (rest == NULL || rest[0] == '\0')
        return 0; /* abs is the root: the walk reads its ignore file */
    snprintf(dir, sizeof(dir), "%s", root);
    for (;;) {
        char fs_dir[PATH_MAX + 1];
        snprintf(fs_dir, sizeof(fs_dir), "/%s", dir);
        /* Shown relative to the current folder when below it, as PATH arguments are. */
        const char *below_cwd = cr_source_path_below(dir, s_cwd_abs(w));
        const char *shown = below_cwd == NULL ? fs_dir : below_cwd[0] != '\0' ? below_cwd : ".";
        int rc = s_push_ignore_file(w, fs_dir, shown, dir);
        if (rc != 0)
            return rc;
        const char *slash = strchr(rest, '/');
        size_t n = slash != NULL ? (size_t)(slash - rest) : strlen(rest);
        size_t dl = strlen(dir);
        snprintf(dir + dl, sizeof(dir) - dl, "%s%.*s", dl > 0 ? "/" : "", (int)n, rest);
        rc = s_excluded(w, dir, slash != NULL || is_dir, display, true);
        if (rc != 0 || slash == NULL)
            return rc;
        rest = slash + 1;
    }
}

/* ---- walking folders ---- */

static int s_walk_dir(struct s_walk *w, const char *fs_dir, const char *display_dir,
                      unsigned depth);

/* A symbolic link met in a folder: read when it points to a regular file inside the folder
 * argument (links to folders could loop; links out of it would read elsewhere). */
static int s_link(struct s_walk *w, const char *fs_path, const char *display, const char *name)
{
    char real[PATH_MAX];
    struct stat target;
    if (!cr_source_is_manifest_name(name))
        return 0;
    if (realpath(fs_path, real) == NULL || stat(real, &target) != 0 ||
        !S_ISREG(target.st_mode) || cr_source_path_below(real, w->root_real) == NULL)
        return cr_source_list_skip(w->out, CR_SOURCE_SKIP_UNREAD, false, display,
                                   "symbolic link not followed (points outside the folder, "
                                   "to a folder, or nowhere)");
    return s_read(w, fs_path, display, false);
}

/* One directory entry: a manifest file, a sub-folder, or something to skip. */
static int s_entry(struct s_walk *w, const char *fs_path, const char *display, const char *name,
                   unsigned depth)
{
    struct stat st;
    if (lstat(fs_path, &st) != 0) {
        cr_error_set("%s: %s", display, strerror(errno));
        return CR_EIO;
    }
    size_t mark = w->abs.len;
    if (w->abs.len > 0)
        cr_buf_putc(&w->abs, '/');
    cr_buf_puts(&w->abs, name);
    if (cr_buf_oom(&w->abs)) {
        cr_error_set("%s: out of memory", display);
        return CR_ENOMEM;
    }
    /* A link is a file to git and to the patterns, whatever it points to. */
    int rc = s_excluded(w, s_abs(w), S_ISDIR(st.st_mode), display, false);
    if (rc == 0 && S_ISDIR(st.st_mode))
        rc = s_walk_dir(w, fs_path, display, depth + 1);
    else if (rc == 0 && S_ISLNK(st.st_mode))
        rc = s_link(w, fs_path, display, name);
    else if (rc == 0 && cr_source_is_manifest_name(name))
        rc = s_read(w, fs_path, display, false);
    else if (rc == 0 && cr_source_is_manifest_name_other_case(name))
        rc = cr_source_list_skip(w->out, CR_SOURCE_SKIP_UNREAD, false, display,
                                 "not read: only names ending in .yaml or .yml are (the case "
                                 "matters; rename it)");
    w->abs.len = mark;
    w->abs.ptr[mark] = '\0';
    return rc < 0 ? rc : 0;
}

static int s_walk_dir(struct s_walk *w, const char *fs_dir, const char *display_dir, unsigned depth)
{
    int result = CR_ENOMEM;
    struct cr_strlist names = {0};
    size_t ignore_depth = w->ig.len;
    DIR *d = NULL;
    if (depth > CR_SOURCE_MAX_DEPTH) {
        cr_error_set("%s: folders nested deeper than %d levels", display_dir, CR_SOURCE_MAX_DEPTH);
        return CR_ELIMIT;
    }
    result = s_push_ignore_file(w, fs_dir, display_dir, s_abs(w));
    if (result != 0)
        return result;
    result = CR_ENOMEM;
    d = opendir(fs_dir);
    if (d == NULL) {
        cr_error_set("%s: %s", display_dir, strerror(errno));
        result = CR_EIO;
        goto done;
    }
    struct dirent *e;
    for (e = readdir(d); e != NULL; e = readdir(d)) {
        if (cr_source_is_hidden_name(e->d_name))
            continue;
        if (cr_strlist_push(&names, e->d_name) != 0) {
            cr_error_set("%s: out of memory", display_dir);
            goto done;
        }
    }
    if (names.len > 1) /* qsort must not see NULL, which an empty folder gives */
        qsort(names.items, names.len, sizeof(*names.items), s_cmp_name);
    for (size_t i = 0; i < names.len; i++) {
        char *fs_path = s_join(fs_dir, names.items[i]);
        /* "." as the folder argument shows paths relative to it ("pool.yaml"). */
        char *display = strcmp(display_dir, ".") == 0 ? strdup(names.items[i])
                                                      : s_join(display_dir, names.items[i]);
        int rc =
            (fs_path && display) ? s_entry(w, fs_path, display, names.items[i], depth) : CR_ENOMEM;
        if (rc == CR_ENOMEM && (!fs_path || !display))
            cr_error_set("%s: out of memory", display_dir);
        free(fs_path);
        free(display);
        if (rc != 0) {
            result = rc;
            goto done;
        }
    }
    result = 0;
done:
    if (d != NULL)
        closedir(d);
    cr_ignore_pop(&w->ig, ignore_depth);
    cr_strlist_dispose(&names);
    return result;
}

static int s_cmp_display(const void *a, const void *b)
{
    return strcmp(((const struct cr_source_file *)a)->display_path,
                  ((const struct cr_source_file *)b)->display_path);
}

void cr_source_list_sort(struct cr_source_list *list, size_t first)
{
    if (list->len - first > 1) /* qsort must not see NULL, which an empty list holds */
        qsort(list->items + first, list->len - first, sizeof(*list->items), s_cmp_display);
}

/* A file named on the command line: excluded, or read whatever its extension. */
static int s_collect_file(struct s_walk *w, const char *path)
{
    char dir_real[PATH_MAX];
    char dir[PATH_MAX];
    snprintf(dir, sizeof(dir), "%s", path);
    char *slash = strrchr(dir, '/');
    const char *base = slash != NULL ? slash + 1 : path;
    if (slash == dir)
        snprintf(dir, sizeof(dir), "/");
    else if (slash != NULL)
        *slash = '\0';
    else
        snprintf(dir, sizeof(dir), ".");
    /* A pipe behind /dev/fd has no folder of patterns; nor has anything realpath cannot see. */
    if (!s_is_descriptor_path(path) && realpath(dir, dir_real) != NULL) {
        char abs[PATH_MAX + 256];
        int n = snprintf(abs, sizeof(abs), "%s%s%s", dir_real + 1,
                         dir_real[1] != '\0' ? "/" : "", base);
        size_t depth = w->ig.len;
        int rc = n > 0 && (size_t)n < sizeof(abs) ? s_enter_ancestors(w, abs, false, path) : 0;
        cr_ignore_pop(&w->ig, depth);
        if (rc != 0)
            return rc < 0 ? rc : 0;
    }
    return s_read(w, path, path, true);
}

static int s_collect_one(struct s_walk *w, const char *path)
{
    struct stat st;
    if (strcmp(path, "-") == 0)
        return s_read_stdin(w);
    if (stat(path, &st) != 0) {
        if (errno == ENOENT || errno == ENOTDIR) {
            cr_error_set("path '%s' does not exist", path);
            return CR_ENOTFOUND;
        }
        cr_error_set("%s: %s", path, strerror(errno));
        return CR_EIO;
    }
    if (!S_ISDIR(st.st_mode))
        return s_collect_file(w, path);
    if (realpath(path, w->root_real) == NULL) {
        cr_error_set("%s: %s", path, strerror(errno));
        return CR_EIO;
    }
    size_t first = w->out->len;
    size_t depth = w->ig.len;
    cr_buf_clear(&w->abs);
    cr_buf_puts(&w->abs, w->root_real + 1);
    if (cr_buf_oom(&w->abs)) {
        cr_error_set("%s: out of memory", path);
        return CR_ENOMEM;
    }
    int rc = s_enter_ancestors(w, s_abs(w), true, path);
    if (rc == 0)
        rc = s_walk_dir(w, path, path, 0);
    cr_ignore_pop(&w->ig, depth);
    if (rc < 0)
        return rc;
    cr_source_list_sort(w->out, first);
    return 0;
}

/* --exclude patterns are relative to the current folder, like PATH arguments. */
static int s_add_excludes(struct s_walk *w, const struct cr_source_options *opts)
{
    if (getcwd(w->cwd, sizeof(w->cwd)) == NULL) {
        cr_error_set("cannot find the current folder: %s", strerror(errno));
        return CR_EIO;
    }
    for (size_t i = 0; opts != NULL && i < opts->n_excludes; i++) {
        int rc = cr_ignore_add_exclude(&w->ig, s_cwd_abs(w), opts->excludes[i]);
        if (rc != 0)
            return rc;
    }
    return 0;
}

int cr_source_collect(struct cr_source_list *out, const char *const *paths, size_t n,
                      const struct cr_source_options *opts)
{
    static const char *const here[] = {"."};
    struct s_walk *w = calloc(1, sizeof(*w));
    if (w == NULL) {
        cr_error_set("out of memory reading manifests");
        return CR_ENOMEM;
    }
    w->out = out;
    w->max_bytes =
        opts != NULL && opts->max_file_bytes ? opts->max_file_bytes : CR_SOURCE_MAX_FILE_BYTES;
    cr_ignore_init(&w->ig);
    if (n == 0) {
        paths = here;
        n = 1;
    }
    int result = s_add_excludes(w, opts);
    for (size_t i = 0; i < n && result == 0; i++)
        result = s_collect_one(w, paths[i]);
    cr_ignore_dispose(&w->ig);
    cr_buf_dispose(&w->abs);
    cr_strlist_dispose(&w->seen);
    free(w);
    return result;
}
