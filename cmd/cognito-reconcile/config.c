/* SPDX-License-Identifier: Apache-2.0 */
/*
 * The configuration file's YAML (libyaml events): a flat mapping of option names to scalars or
 * sequences of scalars. Anything else is refused with its position, so a typo in the shape
 * of the file is as clear as a typo in a manifest.
 */
#include "cmd/cognito-reconcile/config.h"

#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <yaml.h>

#include "util/buf.h"

struct s_reader {
    yaml_parser_t parser;
    const char *path;
    struct cr_cli_config *out;
};

static int s_oom(void)
{
    cr_error_set("out of memory reading the configuration file");
    return CR_ENOMEM;
}

static int s_at(const struct s_reader *r, const yaml_mark_t *mark, const char *what)
{
    cr_error_set("%s:%zu:%zu: %s", r->path, mark->line + 1, mark->column + 1, what);
    return CR_EINVALID;
}

static int s_next(struct s_reader *r, yaml_event_t *ev)
{
    if (yaml_parser_parse(&r->parser, ev))
        return 0;
    cr_error_set("%s:%zu:%zu: %s", r->path, r->parser.problem_mark.line + 1,
                 r->parser.problem_mark.column + 1,
                 r->parser.problem ? r->parser.problem : "YAML syntax error");
    return CR_EINVALID;
}

/* The value of one key: a scalar, or a sequence of scalars. */
static int s_value(struct s_reader *r, struct cr_cli_config_entry *e)
{
    yaml_event_t ev;
    int rc = s_next(r, &ev);
    if (rc != 0)
        return rc;
    if (ev.type == YAML_SCALAR_EVENT) {
        rc = cr_strlist_push(&e->values, (const char *)ev.data.scalar.value) ? s_oom() : 0;
        yaml_event_delete(&ev);
        return rc;
    }
    if (ev.type != YAML_SEQUENCE_START_EVENT) {
        rc = s_at(r, &ev.start_mark,
                  ev.type == YAML_ALIAS_EVENT
                      ? "aliases are not supported in the configuration file"
                      : "expected a value or a list of values (options do not nest)");
        yaml_event_delete(&ev);
        return rc;
    }
    yaml_event_delete(&ev);
    e->is_list = true;
    for (;;) {
        rc = s_next(r, &ev);
        if (rc != 0)
            return rc;
        if (ev.type == YAML_SEQUENCE_END_EVENT) {
            yaml_event_delete(&ev);
            return 0;
        }
        if (ev.type != YAML_SCALAR_EVENT) {
            rc = s_at(r, &ev.start_mark, "expected a plain value in this list");
            yaml_event_delete(&ev);
            return rc;
        }
        rc = cr_strlist_push(&e->values, (const char *)ev.data.scalar.value) ? s_oom() : 0;
        yaml_event_delete(&ev);
        if (rc != 0)
            return rc;
    }
}

static int s_entry(struct s_reader *r, const yaml_event_t *key)
{
    struct cr_cli_config *c = r->out;
    const char *name = (const char *)key->data.scalar.value;
    for (size_t i = 0; i < c->len; i++)
        if (strcmp(c->entries[i].key, name) == 0) {
            char msg[256];
            snprintf(msg, sizeof(msg), "key '%s' appears twice (first at line %u)", name,
                     c->entries[i].line);
            return s_at(r, &key->start_mark, msg);
        }
    struct cr_cli_config_entry *grown = realloc(c->entries, (c->len + 1) * sizeof(*grown));
    if (grown == NULL)
        return s_oom();
    c->entries = grown;
    struct cr_cli_config_entry *e = &c->entries[c->len++];
    memset(e, 0, sizeof(*e));
    e->line = (unsigned)key->start_mark.line + 1;
    e->column = (unsigned)key->start_mark.column + 1;
    e->key = strdup(name);
    if (e->key == NULL)
        return s_oom();
    return s_value(r, e);
}

/* The top-level mapping, up to its end. */
static int s_mapping(struct s_reader *r)
{
    for (;;) {
        yaml_event_t ev;
        int rc = s_next(r, &ev);
        if (rc != 0)
            return rc;
        if (ev.type == YAML_MAPPING_END_EVENT) {
            yaml_event_delete(&ev);
            return 0;
        }
        if (ev.type != YAML_SCALAR_EVENT)
            rc = s_at(r, &ev.start_mark, "expected an option name as the key");
        else
            rc = s_entry(r, &ev);
        yaml_event_delete(&ev);
        if (rc != 0)
            return rc;
    }
}

/* stream start, [document start, mapping | empty scalar, document end], stream end */
static int s_document(struct s_reader *r)
{
    yaml_event_t ev;
    int rc = 0;
    bool docs = false;
    for (;;) {
        rc = s_next(r, &ev);
        if (rc != 0)
            return rc;
        yaml_event_type_t type = ev.type;
        if (type == YAML_STREAM_END_EVENT) {
            yaml_event_delete(&ev);
            return 0;
        }
        if (type == YAML_DOCUMENT_START_EVENT && docs)
            rc = s_at(r, &ev.start_mark, "the configuration is one YAML document ('---' starts a second)");
        else if (type == YAML_DOCUMENT_START_EVENT)
            docs = true;
        else if (type == YAML_MAPPING_START_EVENT)
            rc = s_mapping(r);
        else if (type == YAML_SCALAR_EVENT && ev.data.scalar.length != 0)
            rc = s_at(r, &ev.start_mark, "expected a mapping of option names to values");
        else if (type == YAML_SEQUENCE_START_EVENT || type == YAML_ALIAS_EVENT)
            rc = s_at(r, &ev.start_mark, "expected a mapping of option names to values");
        yaml_event_delete(&ev);
        if (rc != 0)
            return rc;
    }
}

static int s_slurp(struct cr_buf *out, const char *path)
{
    FILE *fp = fopen(path, "rb");
    if (fp == NULL) {
        cr_error_set("--config '%s': cannot open: %s", path, strerror(errno));
        return CR_ENOTFOUND;
    }
    char chunk[8192];
    size_t n;
    int rc = 0;
    while (rc == 0 && (n = fread(chunk, 1, sizeof(chunk), fp)) > 0) {
        if (out->len + n > CR_CLI_CONFIG_MAX_BYTES) {
            cr_error_set("--config '%s': larger than %u bytes", path, CR_CLI_CONFIG_MAX_BYTES);
            rc = CR_ELIMIT;
        } else if (cr_buf_put(out, chunk, n) != 0) {
            rc = s_oom();
        }
    }
    if (rc == 0 && ferror(fp)) {
        cr_error_set("--config '%s': cannot read: %s", path, strerror(errno));
        rc = CR_EIO;
    }
    fclose(fp);
    return rc;
}

int cr_cli_config_read(struct cr_cli_config *out, const char *path)
{
    struct cr_buf bytes = CR_BUF_INIT;
    struct s_reader r = {.path = path, .out = out};
    int result = s_slurp(&bytes, path);
    if (result != 0)
        goto done;
    out->path = strdup(path);
    if (out->path == NULL) {
        result = s_oom();
        goto done;
    }
    if (!yaml_parser_initialize(&r.parser)) {
        result = s_oom();
        goto done;
    }
    yaml_parser_set_input_string(&r.parser, (const unsigned char *)(bytes.ptr ? bytes.ptr : ""),
                                 bytes.len);
    result = s_document(&r);
    yaml_parser_delete(&r.parser);
done:
    cr_buf_dispose(&bytes);
    return result;
}

void cr_cli_config_dispose(struct cr_cli_config *cfg)
{
    for (size_t i = 0; i < cfg->len; i++) {
        free(cfg->entries[i].key);
        cr_strlist_dispose(&cfg->entries[i].values);
    }
    free(cfg->entries);
    free(cfg->path);
    memset(cfg, 0, sizeof(*cfg));
}
