/* SPDX-License-Identifier: Apache-2.0 */
#ifndef CR_RECONCILE_JUNIT_H
#define CR_RECONCILE_JUNIT_H
/*
 * JUnit XML for `drift --output junit`, so CI systems (GitHub Actions test reporters,
 * GitLab's `artifacts:reports:junit`, Jenkins) show drift natively: one <testcase> per pool
 * the plan looked at; a pool whose live state matches its manifest passes, any other gets a
 * <failure> whose text is the field-level diff. Everything is XML-escaped; characters XML 1.0
 * cannot hold are replaced by U+FFFD. Output is deterministic unless a timestamp is given.
 */
#include "reconcile/plan.h"
#include "util/buf.h"
#include "util/error.h"

struct cr_junit_options {
    const char *suite;     /* <testsuite name>; NULL = "cognito-reconcile drift" */
    const char *timestamp; /* ISO 8601 start time for <testsuite timestamp>, NULL = none */
    unsigned long time_ms; /* run time for the time attributes (seconds with 3 decimals) */
};

/**
 * Renders plan (built for drift: live compared with the manifests) as a JUnit XML document:
 * <testsuites><testsuite> with properties stack (and revision), one <testcase
 * classname="cognito-reconcile.STACK.REGION" name="POOL" file="FILE"> per pool, a
 * <failure type="drift|missing|unmanaged|replace" message="..."> when the pool drifted.
 * opts may be NULL. Returns 0 or CR_ENOMEM.
 */
int cr_render_junit(struct cr_buf *out, const struct cr_plan *plan,
                    const struct cr_junit_options *opts) CR_WARN_UNUSED;

#endif
