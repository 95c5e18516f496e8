/* SPDX-License-Identifier: Apache-2.0 */
/* JUnit XML for drift (one testcase per pool). Deterministic: golden tests. */
#include "reconcile/junit.h"

#include <string.h>

#include "aws/cognito.h"
#include "reconcile/render_kit.h"
#include "util/xml.h"

/* name="escaped value" with a leading space. */
static void s_attr(struct cr_buf *out, const char *name, const char *value)
{
    cr_buf_printf(out, " %s=\"", name);
    cr_xml_escape(out, value, CR_XML_ATTRIBUTE);
    cr_buf_putc(out, '"');
}

static void s_time(struct cr_buf *out, unsigned long ms)
{
    cr_buf_printf(out, " time=\"%lu.%03lu\"", ms / 1000, ms % 1000);
}

/* "file" of "file:line:column" (the source of a desired pool). */
static void s_file_attr(struct cr_buf *out, const char *source)
{
    const char *end = source + strlen(source);
    for (int colons = 0; end > source && colons < 2; end--)
        if (end[-1] == ':')
            colons++;
    if (end == source)
        return;
    struct cr_buf file = CR_BUF_INIT;
    cr_buf_put(&file, source, (size_t)(end - source));
    s_attr(out, "file", cr_buf_cstr(&file));
    cr_buf_dispose(&file);
}

static const char *s_failure_type(enum cr_plan_action action)
{
    switch (action) {
    case CR_PLAN_CREATE:
        return "missing";
    case CR_PLAN_DELETE:
        return "unmanaged";
    case CR_PLAN_REPLACE:
        return "replace";
    case CR_PLAN_UPDATE:
    case CR_PLAN_NOOP:
    default:
        return "drift";
    }
}

static size_t s_changes(const struct cr_plan *plan, const struct cr_plan_pool *p)
{
    size_t n = 0;
    for (size_t k = 0; k < p->n_ops; k++)
        n += plan->ops[p->first_op + k].n_changes;
    return n;
}

/* One line saying what is wrong with the pool. */
static void s_message(struct cr_buf *msg, const struct cr_plan *plan, const struct cr_plan_pool *p)
{
    size_t n = s_changes(plan, p);
    switch (p->action) {
    case CR_PLAN_CREATE:
        cr_buf_printf(msg, "pool '%s' does not exist in %s (declared at %s)", p->name, p->region,
                      p->source ? p->source : "?");
        break;
    case CR_PLAN_DELETE:
        cr_buf_printf(msg, "pool '%s' (%s) is owned by stack '%s' but no manifest names it",
                      p->name, p->pool_id ? p->pool_id : "?", plan->stack);
        break;
    case CR_PLAN_REPLACE:
        cr_buf_printf(msg, "pool '%s' (%s): %s", p->name, p->pool_id ? p->pool_id : "?",
                      p->note ? p->note : "only a replacement would match the manifest");
        break;
    case CR_PLAN_UPDATE:
    case CR_PLAN_NOOP:
    default:
        cr_buf_printf(msg, "pool '%s' (%s) differs from its manifest: %zu field%s", p->name,
                      p->pool_id ? p->pool_id : "?", n, n == 1 ? "" : "s");
        break;
    }
}

/* The failure text: each call the repair would make, with its field-level changes. */
static void s_details(struct cr_buf *text, const struct cr_plan *plan, const struct cr_plan_pool *p)
{
    if (p->source)
        cr_buf_printf(text, "manifest: %s\n", p->source);
    if (p->note)
        cr_buf_printf(text, "note: %s\n", p->note);
    for (size_t k = 0; k < p->n_ops; k++) {
        const struct cr_plan_op *op = &plan->ops[p->first_op + k];
        cr_buf_printf(text, "%s\n", cr_cognito_op_name(cr_plan_op_api(op->kind)));
        for (size_t i = 0; i < op->n_changes; i++)
            cr_render_change_text(text, false, "  ", &op->changes[i], NULL);
    }
}

static void s_testcase(struct cr_buf *out, const struct cr_plan *plan, const struct cr_plan_pool *p)
{
    struct cr_buf cls = CR_BUF_INIT, msg = CR_BUF_INIT, text = CR_BUF_INIT;
    if (p->account)
        cr_buf_printf(&cls, "cognito-reconcile.%s.%s.%s", plan->stack, p->account, p->region);
    else
        cr_buf_printf(&cls, "cognito-reconcile.%s.%s", plan->stack, p->region);
    cr_buf_puts(out, "    <testcase");
    s_attr(out, "classname", cr_buf_cstr(&cls));
    s_attr(out, "name", p->name);
    if (p->source)
        s_file_attr(out, p->source);
    cr_buf_puts(out, " time=\"0.000\"");
    if (p->action == CR_PLAN_NOOP || p->n_ops == 0) {
        cr_buf_puts(out, "/>\n");
        goto done;
    }
    s_message(&msg, plan, p);
    s_details(&text, plan, p);
    cr_buf_puts(out, ">\n      <failure");
    s_attr(out, "type", s_failure_type(p->action));
    s_attr(out, "message", cr_buf_cstr(&msg));
    cr_buf_puts(out, ">");
    cr_xml_escape(out, cr_buf_cstr(&text), CR_XML_TEXT);
    cr_buf_puts(out, "</failure>\n    </testcase>\n");
done:
    if (cr_buf_oom(&cls) || cr_buf_oom(&msg) || cr_buf_oom(&text))
        out->oom = true;
    cr_buf_dispose(&cls);
    cr_buf_dispose(&msg);
    cr_buf_dispose(&text);
}

static size_t s_failures(const struct cr_plan *plan, const size_t *pools, size_t n)
{
    size_t failures = 0;
    for (size_t i = 0; i < n; i++) {
        const struct cr_plan_pool *p = &plan->pools[pools ? pools[i] : i];
        if (p->action != CR_PLAN_NOOP && p->n_ops > 0)
            failures++;
    }
    return failures;
}

/* One <testsuite> of the pools given (all of them when pools is NULL). */
static void s_suite(struct cr_buf *out, const struct cr_plan *plan, const char *name,
                    const size_t *pools, size_t n, unsigned long ms,
                    const struct cr_junit_options *opts)
{
    size_t failures = s_failures(plan, pools, n);
    cr_buf_puts(out, "  <testsuite");
    s_attr(out, "name", name);
    cr_buf_printf(out, " tests=\"%zu\" failures=\"%zu\" errors=\"0\" skipped=\"0\"", n, failures);
    s_time(out, ms);
    if (opts && opts->timestamp)
        s_attr(out, "timestamp", opts->timestamp);
    cr_buf_puts(out, ">\n    <properties>\n      <property name=\"stack\"");
    s_attr(out, "value", plan->stack ? plan->stack : "default");
    cr_buf_puts(out, "/>\n");
    if (plan->revision) {
        cr_buf_puts(out, "      <property name=\"revision\"");
        s_attr(out, "value", plan->revision);
        cr_buf_puts(out, "/>\n");
    }
    cr_buf_puts(out, "    </properties>\n");
    for (size_t i = 0; i < n; i++)
        s_testcase(out, plan, &plan->pools[pools ? pools[i] : i]);
    cr_buf_puts(out, "  </testsuite>\n");
}

int cr_render_junit(struct cr_buf *out, const struct cr_plan *plan,
                    const struct cr_junit_options *opts)
{
    const char *suite = opts && opts->suite ? opts->suite : "cognito-reconcile drift";
    unsigned long ms = opts ? opts->time_ms : 0;
    struct cr_render_groups groups;
    if (cr_render_groups(&groups, plan, false) != 0)
        return CR_ENOMEM;
    cr_buf_puts(out, "<?xml version=\"1.0\" encoding=\"UTF-8\"?>\n<testsuites");
    s_attr(out, "name", "cognito-reconcile");
    cr_buf_printf(out, " tests=\"%zu\" failures=\"%zu\" errors=\"0\"", plan->n_pools,
                  s_failures(plan, NULL, plan->n_pools));
    s_time(out, ms);
    cr_buf_puts(out, ">\n");
    if (!groups.headed) {
        s_suite(out, plan, suite, NULL, plan->n_pools, ms, opts);
    } else {
        /* a suite per account and region, so CI shows where the drift is; the run's time is
         * the whole report's */
        for (size_t g = 0; g < groups.len; g++) {
            struct cr_buf name = CR_BUF_INIT;
            cr_buf_printf(&name, "%s: ", suite);
            cr_render_group_title(&name, plan, &groups.items[g], false);
            s_suite(out, plan, cr_buf_cstr(&name) ? cr_buf_cstr(&name) : suite,
                    groups.items[g].pools, groups.items[g].n, 0, opts);
            out->oom = out->oom || cr_buf_oom(&name);
            cr_buf_dispose(&name);
        }
    }
    cr_buf_puts(out, "</testsuites>\n");
    cr_render_groups_dispose(&groups);
    if (cr_buf_oom(out)) {
        cr_error_set("out of memory rendering the JUnit report");
        return CR_ENOMEM;
    }
    return 0;
}
