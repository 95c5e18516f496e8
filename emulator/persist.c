/* SPDX-License-Identifier: Apache-2.0 */
/*
 * The state file. A write never leaves a half-written file under the real name: the new
 * content goes to a temporary file in the same folder, which is fsync'ed and renamed over
 * the old one (rename(2) is atomic within a file system), then the folder is fsync'ed so the
 * rename itself survives a crash. kill -9 at any moment leaves either the old or the new
 * state (and at worst a stray temporary file).
 */
#include <errno.h>
#include <fcntl.h>
#include <libgen.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "emulator/internal.h"

#define CR_EMU_STATE_MAX_BYTES (256u * 1024u * 1024u)

int cr__emu_persist_load(json_t **out, const char *path)
{
    int result = CR_EINVALID;
    json_error_t jerr;
    json_t *doc = NULL;
    if (access(path, F_OK) != 0) {
        cr_error_set("%s: %s", path, strerror(errno));
        return errno == ENOENT ? CR_ENOTFOUND : CR_EIO;
    }
    doc = json_load_file(path, JSON_REJECT_DUPLICATES, &jerr);
    if (!doc) {
        cr_error_set("%s:%d:%d: state file is not valid JSON: %s", path, jerr.line, jerr.column,
                     jerr.text);
        goto done;
    }
    if (cr__emu_state_check(doc) != 0) {
        cr_error_prefix("%s", path);
        goto done;
    }
    *out = doc;
    doc = NULL; /* now owned by the caller */
    result = 0;
done:
    json_decref(doc);
    return result;
}

static int s_write_all(int fd, const char *p, size_t len)
{
    while (len > 0) {
        ssize_t n = write(fd, p, len);
        if (n < 0 && errno == EINTR)
            continue;
        if (n < 0)
            return -1;
        p += n;
        len -= (size_t)n;
    }
    return 0;
}

static int s_fsync_dir(const char *path)
{
    int rc;
    char *copy = strdup(path);
    if (!copy)
        return -1;
    int fd = open(dirname(copy), O_RDONLY | O_DIRECTORY);
    free(copy);
    if (fd < 0)
        return -1;
    rc = fsync(fd);
    close(fd);
    return rc;
}

int cr__emu_persist_save(const json_t *state, const char *path)
{
    int result = CR_EIO;
    int fd = -1;
    char *text = NULL;
    struct cr_buf tmp = CR_BUF_INIT;
    /* One fixed name: there is one writer (under the state lock), and a temp file left by a
     * kill -9 is simply overwritten by the next write. */
    if (cr_buf_printf(&tmp, "%s.tmp", path) != 0) {
        result = CR_ENOMEM;
        goto done;
    }
    text = json_dumps(state, JSON_INDENT(1) | JSON_PRESERVE_ORDER);
    if (!text) {
        cr_error_set("%s: cannot serialise the state", path);
        result = CR_ENOMEM;
        goto done;
    }
    fd = open(tmp.ptr, O_WRONLY | O_CREAT | O_TRUNC | O_CLOEXEC, 0600);
    if (fd < 0 || s_write_all(fd, text, strlen(text)) != 0 || s_write_all(fd, "\n", 1) != 0 ||
        fsync(fd) != 0) {
        cr_error_set("%s: cannot write the state: %s", tmp.ptr, strerror(errno));
        goto done;
    }
    if (close(fd) != 0) {
        fd = -1;
        cr_error_set("%s: cannot write the state: %s", tmp.ptr, strerror(errno));
        goto done;
    }
    fd = -1;
    if (rename(tmp.ptr, path) != 0) {
        cr_error_set("%s: cannot replace the state file: %s", path, strerror(errno));
        goto done;
    }
    if (s_fsync_dir(path) != 0) {
        cr_error_set("%s: cannot sync the folder: %s", path, strerror(errno));
        goto done;
    }
    result = 0;
done:
    if (fd >= 0)
        close(fd);
    if (result != 0 && tmp.ptr)
        unlink(tmp.ptr);
    free(text);
    cr_buf_dispose(&tmp);
    return result;
}
