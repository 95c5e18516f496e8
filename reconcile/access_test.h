/* SPDX-License-Identifier: Apache-2.0 */
#ifndef CR_RECONCILE_ACCESS_TEST_H
#define CR_RECONCILE_ACCESS_TEST_H
/*
 * Unit tests for access (IdentityPoolTest documents, docs/testing.md): each case of a test
 * document resolved against a pool's configuration by access/ -- the module the emulator
 * answers GetCredentialsForIdentity with -- and compared with what the case expects.
 *
 * Offline, the configuration is the desired state of the manifests; `cognito-reconcile test
 * --endpoint-url` fills the same result from the deployed pool instead
 * (cr_access_case_observe), and plans compare the outcomes before and after a change.
 */
#include <jansson.h>
#include <stdbool.h>

#include "access/access.h"
#include "reconcile/desired.h"
#include "reconcile/live.h"
#include "reconcile/plan.h"
#include "schema/manifest.h"
#include "schema/model.h"
#include "util/error.h"

/** How a case came out. */
enum cr_access_case_status {
    CR_CASE_PASS,  /* the outcome is the expected one */
    CR_CASE_FAIL,  /* it is not (detail says how) */
    CR_CASE_ERROR, /* it could not be evaluated (detail says why): unmanaged roles, ... */
};

/** One evaluated case. Free with cr_access_case_dispose(). */
struct cr_access_case {
    const struct cr_model_test *test;     /* borrowed from the manifest set */
    const struct cr_model_test_case *tc;  /* borrowed */
    enum cr_access_case_status status;
    struct cr_access_result got;          /* the outcome: role (or refusal), tags, why */
    char *detail;                         /* FAIL, ERROR: one line; NULL for PASS */
};

/**
 * The claims a case's token carries: its claims (strings, numbers, booleans, lists) plus,
 * when absent, the provider's iss and aud and a sub unique to the case ("TEST/N", the test's
 * metadata.name and the 1-based case number), so the offline evaluation and a token minted
 * for a live run hold the same claims. New reference, or NULL (out of memory).
 */
json_t *cr_access_case_claims(const struct cr_model_test *t, const struct cr_model_test_case *tc,
                              const struct cr_access_provider *provider, const char *client_id);

/**
 * Evaluates a case offline against pool (the desired state of the test's target pool):
 * resolution by access/, then the comparison with the expectation. A pool whose roles (or,
 * when the case expects principal tags, whose principal-tag maps) the manifests do not manage
 * cannot tell: the case is an ERROR saying so. Returns 0 (the verdict is in out) or
 * CR_ENOMEM. out need not be initialised.
 */
int cr_access_case_eval(struct cr_access_case *out, const struct cr_desired_pool *pool,
                        const struct cr_model_test *t,
                        const struct cr_model_test_case *tc) CR_WARN_UNUSED;

/**
 * Compares out->got with the case's expectation and sets status and detail: the outcome
 * (role, or refused), the role ARN, the error type when one is expected, and the principal
 * tags as a whole when expected. Used for offline and live outcomes alike. 0 or CR_ENOMEM.
 */
int cr_access_case_judge(struct cr_access_case *out) CR_WARN_UNUSED;

/** Frees the case's result and detail and zeroes it. NULL is fine. */
void cr_access_case_dispose(struct cr_access_case *c);

/** "pass", "fail", "error". Static. */
const char *cr_access_case_status_name(enum cr_access_case_status status);

/**
 * One line for an outcome, as reports show it: "role MobilePaid", "denied
 * (NotAuthorizedException)", "no role (InvalidIdentityPoolConfigurationException)".
 * Appends to out (out-of-memory stays sticky in out).
 */
void cr_access_outcome_describe(struct cr_buf *out, const struct cr_access_result *r);

/**
 * The access impact of a plan (docs/testing.md): for each case of the set's tests whose pool
 * the plan covers (and whose roles the manifests manage), the outcome with the live
 * configuration (live) and with the planned one -- the desired configuration, roles and
 * principal-tag maps, the live ones where the manifests leave them alone -- both resolved by
 * access/. Appends to plan->access the cases whose outcome changes (all cases of a pool the
 * plan creates) and those whose planned outcome fails the expectation; sets
 * plan->access_checked when some planned pool has cases. 0 or CR_ENOMEM.
 */
int cr_access_impact(struct cr_plan *plan, const struct cr_manifest_set *set,
                     const struct cr_live_state *live) CR_WARN_UNUSED;

/** How many of plan->access fail their expectation. */
size_t cr_access_impact_failures(const struct cr_plan *plan);

#endif
