/* SPDX-License-Identifier: Apache-2.0 */
/* Files and folders on disk -> struct cr_source_list. */
#include "source/source.h"

#include <dirent.h>
#include <errno.h>
#include <limits.h>
#include <stdbool.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>

#include "util/array.h"
#include "util/log.h"
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
    free(list->items);
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

/* State of one collect call: the real paths already listed, to list each file once. */
struct s_walk {
    struct cr_source_list *out;
    struct cr_strlist seen;
    size_t max_bytes;
    char root_real[PATH_MAX]; /* real path of the folder argument being walked */
};

/* Reads at most max + 1 bytes of fs_path into out: enough for the loader to see that the file
 * is over the limit without holding all of a huge file. */
static int s_read_capped(struct cr_buf *out, bool *out_truncated, const char *fs_path,
                         const char *display, size_t max)
{
    int result = CR_EIO;
    char chunk[65536];
    FILE *f = fopen(fs_path, "rb");
    if (f == NULL) {
        cr_error_set("%s: %s", display, strerror(errno));
        return CR_EIO;
    }
    *out_truncated = false;
    while (!*out_truncated) {
        size_t want = max + 1 - out->len < sizeof(chunk) ? max + 1 - out->len : sizeof(chunk);
        size_t n = fread(chunk, 1, want, f);
        if (n == 0)
            break;
        cr_buf_put(out, chunk, n);
        *out_truncated = out->len > max;
    }
    if (ferror(f)) {
        cr_error_set("%s: read error", display);
        goto done;
    }
    cr_buf_put(out, "", 0);
    if (cr_buf_oom(out)) {
        cr_error_set("%s: out of memory", display);
        result = CR_ENOMEM;
        goto done;
    }
    result = 0;
done:
    fclose(f);
    return result;
}

static int s_read(struct s_walk *w, const char *fs_path, const char *display)
{
    char real[PATH_MAX];
    if (realpath(fs_path, real) == NULL) {
        cr_error_set("%s: %s", display, strerror(errno));
        return CR_EIO;
    }
    if (cr_strlist_contains(&w->seen, real))
        return 0;
    if (cr_strlist_push(&w->seen, real) != 0) {
        cr_error_set("%s: out of memory", display);
        return CR_ENOMEM;
    }
    struct cr_source_file *f = s_push(w->out);
    if (f == NULL) {
        cr_error_set("%s: out of memory", display);
        return CR_ENOMEM;
    }
    f->display_path = strdup(display);
    if (f->display_path == NULL) {
        cr_error_set("%s: out of memory", display);
        return CR_ENOMEM;
    }
    int rc = s_read_capped(&f->bytes, &f->truncated, fs_path, display, w->max_bytes);
    if (rc != 0) {
        free(f->display_path);
        cr_buf_dispose(&f->bytes);
        return rc;
    }
    w->out->len++;
    return 0;
}

bool cr_source_is_manifest_name(const char *name)
{
    size_t n = strlen(name);
    return (n > 5 && strcmp(name + n - 5, ".yaml") == 0) ||
           (n > 4 && strcmp(name + n - 4, ".yml") == 0);
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

static int s_walk_dir(struct s_walk *w, const char *fs_dir, const char *display_dir,
                      unsigned depth);

/* One directory entry: a manifest file, a sub-folder, or something to skip. */
static int s_entry(struct s_walk *w, const char *fs_path, const char *display, const char *name,
                   unsigned depth)
{
    struct stat st;
    if (lstat(fs_path, &st) != 0) {
        cr_error_set("%s: %s", display, strerror(errno));
        return CR_EIO;
    }
    if (S_ISLNK(st.st_mode)) {
        char real[PATH_MAX];
        struct stat target;
        /* Links into the tree are fine (files only: following folder links could loop);
         * links out of it are not followed, so a folder argument never reads elsewhere. */
        if (realpath(fs_path, real) == NULL || stat(real, &target) != 0 ||
            !S_ISREG(target.st_mode) || cr_source_path_below(real, w->root_real) == NULL) {
            if (cr_source_is_manifest_name(name)) {
                w->out->skipped++;
                cr_log_debug("%s: symbolic link not followed (points outside the folder or "
                             "to a folder)",
                             display);
            }
            return 0;
        }
        return cr_source_is_manifest_name(name) ? s_read(w, fs_path, display) : 0;
    }
    if (S_ISDIR(st.st_mode))
        return s_walk_dir(w, fs_path, display, depth + 1);
    if (S_ISREG(st.st_mode) && cr_source_is_manifest_name(name))
        return s_read(w, fs_path, display);
    return 0;
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

static int s_walk_dir(struct s_walk *w, const char *fs_dir, const char *display_dir, unsigned depth)
{
    int result = CR_ENOMEM;
    struct cr_strlist names = {0};
    DIR *d = NULL;
    if (depth > CR_SOURCE_MAX_DEPTH) {
        cr_error_set("%s: folders nested deeper than %d levels", display_dir, CR_SOURCE_MAX_DEPTH);
        return CR_ELIMIT;
    }
    d = opendir(fs_dir);
    if (d == NULL) {
        cr_error_set("%s: %s", display_dir, strerror(errno));
        return CR_EIO;
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
    closedir(d);
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

static int s_collect_one(struct s_walk *w, const char *path)
{
    struct stat st;
    if (stat(path, &st) != 0) {
        if (errno == ENOENT || errno == ENOTDIR) {
            cr_error_set("path '%s' does not exist", path);
            return CR_ENOTFOUND;
        }
        cr_error_set("%s: %s", path, strerror(errno));
        return CR_EIO;
    }
    if (!S_ISDIR(st.st_mode))
        return s_read(w, path, path);
    if (realpath(path, w->root_real) == NULL) {
        cr_error_set("%s: %s", path, strerror(errno));
        return CR_EIO;
    }
    size_t first = w->out->len;
    int rc = s_walk_dir(w, path, path, 0);
    if (rc != 0)
        return rc;
    cr_source_list_sort(w->out, first);
    return 0;
}

int cr_source_collect(struct cr_source_list *out, const char *const *paths, size_t n,
                      size_t max_file_bytes)
{
    static const char *const here[] = {"."};
    int result = 0;
    struct s_walk *w = calloc(1, sizeof(*w));
    if (w == NULL) {
        cr_error_set("out of memory reading manifests");
        return CR_ENOMEM;
    }
    w->out = out;
    w->max_bytes = max_file_bytes ? max_file_bytes : CR_SOURCE_MAX_FILE_BYTES;
    if (n == 0) {
        paths = here;
        n = 1;
    }
    for (size_t i = 0; i < n && result == 0; i++)
        result = s_collect_one(w, paths[i]);
    cr_strlist_dispose(&w->seen);
    free(w);
    return result;
}
