/* SPDX-License-Identifier: Apache-2.0 */
/* libFuzzer target: YAML bytes -> manifest loader + validator. Any input must give either a
 * valid set or diagnostics with positions, never a crash, leak or unbounded work. */
#include <stddef.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include "schema/manifest.h"
#include "util/buf.h"
#include "util/strutil.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
    struct cr_manifest_options opts;
    cr_manifest_options_init(&opts);
    opts.default_region = "us-east-1";
    /* The size varies the reserved tag count and whether a second copy of the input is
     * loaded as another file (exercising the checks across files); the bytes stay the
     * file as written, so the seed corpus is plain YAML. */
    opts.reserved_tags = (unsigned)(size % 4);
    struct cr_manifest_input in[2] = {{"a.yaml", (const char *)data, size},
                                      {"b.yaml", (const char *)data, size}};
    struct cr_manifest_set *set = NULL;
    int rc = cr_manifest_load_buffers(&set, in, (size / 4) % 2 ? 2 : 1, &opts);
    if (rc != 0 && rc != CR_EINVALID)
        abort(); /* only out-of-memory could get here, and libFuzzer's limit aborts first */
    if ((rc == 0) != (set->n_diagnostics == 0))
        abort();
    struct cr_buf line = CR_BUF_INIT;
    for (size_t i = 0; i < set->n_diagnostics; i++) {
        const struct cr_diagnostic *d = &set->diagnostics[i];
        if (d->line == 0 || d->column == 0 || d->message[0] == '\0' ||
            strchr(d->message, '\n') != NULL)
            abort(); /* every problem has a position and is one line */
        if (!cr_utf8_valid(d->message, strlen(d->message)) ||
            !cr_utf8_valid(d->path, strlen(d->path)))
            abort(); /* JSON output needs valid UTF-8 */
        cr_buf_clear(&line);
        if (cr_diagnostic_format(&line, d) != 0)
            abort();
    }
    cr_buf_dispose(&line);
    cr_manifest_set_free(set);
    return 0;
}
