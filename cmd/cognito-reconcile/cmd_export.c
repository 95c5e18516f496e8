/* SPDX-License-Identifier: Apache-2.0 */
/*
 * export: YAML manifests for pools that already exist, so a team can adopt them. Reads only;
 * the YAML goes to stdout (or --out FILE), progress to stderr.
 */
#include <errno.h>
#include <stdio.h>
#include <string.h>

#include "cmd/cognito-reconcile/session.h"
#include "reconcile/export.h"
#include "util/log.h"

static const char s_synopsis[] = "[options] [--all | --id POOL_ID... | --stack NAME]";
static const char s_description[] =
    "Writes manifests (one YAML document per pool) for existing pools of the region: every\n"
    "pool with --all, the given ids with --id, otherwise the pools owned by --stack.\n"
    "Planning the exported manifests against the same live state shows no changes.";

static int s_write_output(const struct cr_cli_options *opts, const struct cr_buf *yaml)
{
    FILE *fp = stdout;
    if (opts->out_file != NULL) {
        fp = fopen(opts->out_file, "w");
        if (fp == NULL) {
            cr_error_set("%s: cannot open for writing: %s", opts->out_file, strerror(errno));
            return CR_EIO;
        }
    }
    bool ok = yaml->len == 0 || fwrite(yaml->ptr, 1, yaml->len, fp) == yaml->len;
    ok = (fp == stdout ? fflush(fp) : fclose(fp)) == 0 && ok;
    if (!ok) {
        cr_error_set("%s: write failed", opts->out_file ? opts->out_file : "stdout");
        return CR_EIO;
    }
    return 0;
}

/* Adds region to out unless it is there. */
static int s_add_region(struct cr_strlist *out, const char *region)
{
    if (cr_strlist_contains(out, region) || cr_strlist_push(out, region) == 0)
        return 0;
    cr_error_set("out of memory");
    return CR_ENOMEM;
}

/* The regions to read: each --id's own (a pool id is REGION:GUID), else the default region
 * (--region, AWS_REGION, ...), which only an id without a region or no --id needs. */
static int s_export_regions(struct cr_strlist *out, const struct cr_cli_session *s)
{
    const struct cr_cli_options *opts = s->opts;
    bool need_default = opts->ids.len == 0;
    char region[64];
    for (size_t i = 0; i < opts->ids.len; i++) {
        const char *id = opts->ids.items[i];
        size_t n = strcspn(id, ":");
        if (id[n] != ':' || n == 0 || n >= sizeof(region)) {
            need_default = true; /* the service says what is wrong with it */
            continue;
        }
        memcpy(region, id, n);
        region[n] = '\0';
        int rc = cr_cli_session_check_region(s, region);
        if (rc != 0) {
            cr_error_prefix("--id %s", id);
            return rc;
        }
        rc = s_add_region(out, region);
        if (rc != 0)
            return rc;
    }
    if (need_default && (cr_buf_cstr(&s->default_region) == NULL || s->default_region.len == 0)) {
        cr_error_set("export: no region (%s)", cr_buf_cstr(&s->region_error)
                                                   ? cr_buf_cstr(&s->region_error)
                                                   : "give --region");
        return CR_EINVALID;
    }
    int rc = need_default ? s_add_region(out, cr_buf_cstr(&s->default_region)) : 0;
    cr_strlist_sort(out);
    return rc;
}

/* Reads the selected pools of every region into s->live. */
static int s_read(struct cr_cli_session *s, const struct cr_export_options *eo)
{
    const struct cr_cli_options *opts = s->opts;
    for (size_t i = 0; i < s->n_clients; i++) {
        cr_log_info("reading pools in %s (%s)...", cr_aws_client_region(s->clients[i]),
                    opts->all       ? "all"
                    : opts->ids.len ? "by id"
                                    : "owned by the stack");
        int rc = cr_export_read(&s->live, s->clients[i], eo);
        if (rc != 0)
            return rc;
    }
    return 0;
}

static int s_run(const struct cr_cli_options *opts)
{
    int result = -1;
    struct cr_cli_session s;
    struct cr_strlist regions = {0};
    struct cr_buf yaml;
    size_t n = 0;
    cr_buf_init(&yaml);
    cr_cli_session_init(&s, opts);
    struct cr_export_options eo = {
        .stack = opts->stack,
        .all = opts->all,
        .ids = (const char *const *)opts->ids.items,
        .n_ids = opts->ids.len,
        .by_stack = !opts->all && opts->ids.len == 0,
    };
    int rc = cr_cli_session_resolve_region(&s);
    if (rc == 0)
        rc = s_export_regions(&regions, &s);
    for (size_t i = 0; rc == 0 && i < regions.len; i++)
        rc = cr_cli_session_add_scope(&s, NULL, regions.items[i]);
    if (rc == 0)
        rc = cr_cli_session_connect(&s);
    if (rc == 0)
        rc = cr_cli_session_guard(&s, false);
    if (rc == 0)
        rc = s_read(&s, &eo);
    if (rc == 0)
        rc = cr_export_write(&yaml, &n, &s.live, &eo);
    if (rc == 0)
        rc = s_write_output(opts, &yaml);
    if (rc != 0) {
        result = cr_cli_fail(rc);
        goto done;
    }
    cr_log_info("exported %zu pool%s", n, n == 1 ? "" : "s");
    result = CR_EXIT_OK;
done:
    cr_buf_dispose(&yaml);
    cr_strlist_dispose(&regions);
    cr_cli_session_dispose(&s);
    return result;
}

/* export reads no manifests: it refuses PATHs, and --all with --id. */
static int s_main(const struct cr_cli_options *opts)
{
    if (opts->paths.len > 0)
        return cr_cli_failf("export takes no PATH (got '%s'); it writes manifests to stdout "
                            "or --out FILE",
                            opts->paths.items[0]);
    if (opts->all && opts->ids.len > 0)
        return cr_cli_failf("export: --all and --id exclude each other");
    return s_run(opts);
}

int cr_cmd_export(int argc, char **argv)
{
    return cr_cli_main(CR_CLI_EXPORT, argc, argv, s_synopsis, s_description, s_main);
}
