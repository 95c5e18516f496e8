/* SPDX-License-Identifier: Apache-2.0 */
/*
 * validate: check manifests offline (pre-commit). Reads files and folders through source/,
 * loads and validates them with schema/, prints every problem as file:line:column: message.
 * Exit 0 when valid, 1 otherwise.
 */
#include <jansson.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "cmd/cognito-reconcile/cmd.h"
#include "cmd/cognito-reconcile/sources.h"
#include "schema/constraints.h"
#include "schema/manifest.h"
#include "util/buf.h"
#include "util/log.h"

static const char s_synopsis[] = "[options] [PATH...]";
static const char s_description[] =
    "Checks IdentityPool and Account manifests (and IdentityPoolTest documents) without\n"
    "calling AWS: YAML syntax, unknown and duplicate keys, types, every API constraint\n"
    "(lengths, patterns, enums, limits), provider and account references, ARNs, and\n"
    "metadata.name unique per stack, account and region. PATH is a file or a\n"
    "folder (read recursively: *.yaml, *.yml), or - for standard input; no PATH reads the\n"
    "current folder. Other YAML (CI pipelines, Kubernetes objects, Helm values) is skipped\n"
    "and counted; --exclude and .cognito-reconcile-ignore leave paths out. Every problem is\n"
    "printed as file:line:column: message. Exit status 0 when all manifests are valid, 1\n"
    "otherwise.";

/* Why the stack name cannot be used, or NULL: it becomes the value of the
 * cognito-reconcile:stack tag, so the TagValueType constraints of the table apply. */
static const char *s_stack_problem(const char *stack)
{
    if (stack == NULL || stack[0] == '\0')
        return "Member must have length greater than or equal to 1";
    return cr_constraint_check_string(cr_shape_find("TagValueType"), stack, strlen(stack));
}

static const char *s_plural(size_t n)
{
    return n == 1 ? "" : "s";
}

static int s_print_text(const struct cr_manifest_set *set, const struct cr_source_list *skips,
                        const struct cr_cli_options *opts)
{
    if (cr_cli_print_diagnostics(set) != 0 || cr_cli_print_warnings(set) != 0)
        return cr_cli_fail(CR_ENOMEM);
    if (set->n_diagnostics == 0) {
        /* "validated 6 pools in 5 files; skipped 2 files that are not cognito-reconcile
         * manifests; 1 path not read" (--verbose lists both) */
        printf("validated %zu pool%s", set->n_pools, s_plural(set->n_pools));
        if (set->n_accounts > 0)
            printf("%s %zu account%s", set->n_tests > 0 ? "," : " and", set->n_accounts,
                   s_plural(set->n_accounts));
        if (set->n_tests > 0) {
            size_t cases = 0;
            for (size_t i = 0; i < set->n_tests; i++)
                cases += set->tests[i]->n_cases;
            printf(" and %zu test%s (%zu case%s)", set->n_tests, s_plural(set->n_tests), cases,
                   s_plural(cases));
        }
        printf(" in %zu file%s", set->n_files, s_plural(set->n_files));
        if (set->n_skipped == 1)
            printf("; skipped 1 file that is not a cognito-reconcile manifest");
        else if (set->n_skipped > 1)
            printf("; skipped %zu files that are not cognito-reconcile manifests", set->n_skipped);
        if (skips->skipped > 0)
            printf("; %zu path%s not read", skips->skipped, s_plural(skips->skipped));
        if ((set->n_skipped > 0 || skips->skipped > 0) && !opts->verbose)
            printf(" (--verbose lists them)");
        printf("\n");
        return CR_EXIT_OK;
    }
    size_t files = cr_manifest_set_files_with_errors(set);
    fprintf(stderr, "%zu error%s in %zu file%s%s\n", set->n_diagnostics,
            set->n_diagnostics == 1 ? "" : "s", files, files == 1 ? "" : "s",
            set->truncated ? " (stopped counting: too many errors)" : "");
    return CR_EXIT_ERROR;
}

/* A JSON string of text; bytes that are not UTF-8 (a file name can hold any) become '?'. */
static json_t *s_json_text(const char *text)
{
    json_t *j = json_string(text);
    if (j != NULL)
        return j;
    char *copy = strdup(text);
    if (copy == NULL)
        return NULL;
    for (size_t i = 0; copy[i] != '\0'; i++)
        if ((unsigned char)copy[i] >= 0x80)
            copy[i] = '?';
    j = json_string(copy);
    free(copy);
    return j;
}

static json_t *s_diag_json(const char *file, unsigned line, unsigned column, const char *path,
                           const char *message)
{
    return json_pack("{s:o, s:i, s:i, s:o, s:o}", "file", s_json_text(file), "line",
                     (json_int_t)line, "column", (json_int_t)column, "path", s_json_text(path),
                     "message", s_json_text(message));
}

/* "skipped": the files that are not manifests; "not_read": the paths left out (excluded, or
 * not read: a link not followed, *.YAML). */
static int s_json_skips(json_t *doc, const struct cr_manifest_set *set,
                        const struct cr_source_list *skips)
{
    json_t *skipped = json_array(), *not_read = json_array();
    for (size_t i = 0; set != NULL && skipped != NULL && i < set->n_skipped; i++)
        json_array_append_new(skipped, json_pack("{s:o, s:o}", "file",
                                                 s_json_text(set->skipped[i].file), "reason",
                                                 s_json_text(set->skipped[i].reason)));
    for (size_t i = 0; skips != NULL && not_read != NULL && i < skips->n_skips; i++) {
        const struct cr_source_skip *k = &skips->skips[i];
        json_array_append_new(
            not_read, json_pack("{s:o, s:s, s:o}", "path", s_json_text(k->display_path), "kind",
                                k->kind == CR_SOURCE_SKIP_EXCLUDED ? "excluded" : "unread",
                                "reason", s_json_text(k->reason)));
    }
    int rc = skipped != NULL && not_read != NULL && json_object_set(doc, "skipped", skipped) == 0 &&
                     json_object_set(doc, "not_read", not_read) == 0
                 ? 0
                 : CR_ENOMEM;
    json_decref(skipped);
    json_decref(not_read);
    return rc;
}

/* {"format_version":"1","valid":bool,"pools":N,"tests":N,"files":N,"diagnostics":[...],"skipped":[...],
 * "not_read":[...]} on stdout. set may be NULL when the sources could not be read (error then
 * holds the message). */
static int s_print_json(const struct cr_manifest_set *set, const struct cr_source_list *skips,
                        const char *error_file, const char *error)
{
    int status = CR_EXIT_ERROR;
    json_t *diags = json_array(), *warnings = json_array();
    json_t *doc = NULL;
    if (diags == NULL || warnings == NULL)
        goto done;
    for (size_t i = 0; set != NULL && i < set->n_warnings; i++) {
        const struct cr_diagnostic *w = &set->warnings[i];
        json_array_append_new(warnings,
                              s_diag_json(w->file, w->line, w->column, w->path, w->message));
    }
    if (error != NULL)
        json_array_append_new(diags, s_diag_json(error_file, 0, 0, "", error));
    for (size_t i = 0; set != NULL && i < set->n_diagnostics; i++) {
        const struct cr_diagnostic *d = &set->diagnostics[i];
        json_array_append_new(diags, s_diag_json(d->file, d->line, d->column, d->path, d->message));
    }
    bool valid = error == NULL && set != NULL && set->n_diagnostics == 0;
    doc = json_pack("{s:s, s:b, s:i, s:i, s:i, s:i, s:b, s:O, s:O}", "format_version", "1",
                    "valid", valid, "pools", (json_int_t)(set ? set->n_pools : 0),
                    "accounts", (json_int_t)(set ? set->n_accounts : 0), "tests",
                    (json_int_t)(set ? set->n_tests : 0), "files",
                    (json_int_t)(set ? set->n_files : 0), "truncated",
                    set != NULL && set->truncated, "diagnostics", diags, "warnings", warnings);
    if (doc == NULL || s_json_skips(doc, set, skips) != 0)
        goto done;
    char *text = json_dumps(doc, JSON_INDENT(2) | JSON_PRESERVE_ORDER);
    if (text != NULL) {
        printf("%s\n", text);
        free(text);
        status = valid ? CR_EXIT_OK : CR_EXIT_ERROR;
    }
done:
    json_decref(doc);
    json_decref(diags);
    json_decref(warnings);
    return status;
}

/* The options validate refuses; false with *out_status set (the message printed). */
static bool s_options_ok(const struct cr_cli_options *opts, int *out_status)
{
    if (opts->output == CR_CLI_OUTPUT_JUNIT) {
        *out_status = cr_cli_failf("--output junit is only for drift");
        return false;
    }
    if (opts->output != CR_CLI_OUTPUT_TEXT && opts->output != CR_CLI_OUTPUT_JSON) {
        *out_status =
            cr_cli_failf("validate writes text or json, not %s", cr_cli_output_name(opts->output));
        return false;
    }
    const char *why = s_stack_problem(opts->stack);
    if (why != NULL) {
        *out_status = cr_cli_failf("--stack: %s (it becomes the value of a tag)", why);
        return false;
    }
    return true;
}

static int s_run(const struct cr_cli_options *opts)
{
    int status = CR_EXIT_ERROR;
    struct cr_manifest_set *set = NULL;
    struct cr_source_list skips;
    cr_source_list_init(&skips);
    if (!s_options_ok(opts, &status))
        return status;
    unsigned reserved =
        opts->git_ref != NULL ? CR_MANIFEST_RESERVED_TAGS_GIT : CR_MANIFEST_RESERVED_TAGS;
    int rc = cr_cmd_read_sources(&set, NULL, &skips, opts, reserved);
    /* CR_EINVALID means the set holds diagnostics; without a set it is a plain failure. */
    if ((rc != 0 && rc != CR_EINVALID) || set == NULL) {
        if (rc == 0)
            rc = CR_ERROR;
        if (opts->output == CR_CLI_OUTPUT_JSON) {
            const char *file = opts->paths.len > 0 ? opts->paths.items[0] : ".";
            s_print_json(NULL, NULL, file, cr_error_last());
        }
        status = cr_cli_fail(rc);
        goto done;
    }
    if (opts->output == CR_CLI_OUTPUT_JSON)
        status = s_print_json(set, &skips, NULL, NULL);
    else
        status = s_print_text(set, &skips, opts);
done:
    cr_source_list_dispose(&skips);
    cr_manifest_set_free(set);
    return status;
}

int cr_cmd_validate(int argc, char **argv)
{
    return cr_cli_main(CR_CLI_VALIDATE, argc, argv, s_synopsis, s_description, s_run);
}
