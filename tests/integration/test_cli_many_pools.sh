#!/usr/bin/env bash
# SPDX-License-Identifier: Apache-2.0
# A stack larger than the first growth step of the live state's arrays (16): after apply
# creates 40 pools in two regions, plan and drift read them all back (the per-region
# reads merged into one state) and find nothing to do, and export writes each region's. A merge that kept only part of the
# pools, or refused them, fails here.
. "$CR_SOURCE_DIR/tests/integration/cli_lib.sh"
cli_setup

N=40
for i in $(seq 1 $N); do
    region=us-east-1
    [ $((i % 2)) -eq 0 ] && region=eu-west-1
    pool_yaml "p$i" | sed "s/region: us-east-1/region: $region/" >"$T/m/p$i.yaml"
done

step "apply creates $N pools in two regions"
run_cr 0 apply "$T/m" --auto-approve --quiet
expect_in "$T/out" "$N created"

step "plan, drift and export read all $N back"
run_cr 0 plan "$T/m" --detailed-exitcode --quiet
expect_in "$T/out" "No changes."
run_cr 0 drift "$T/m" --quiet
for region in us-east-1 eu-west-1; do
    run_cr 0 export --region "$region" --quiet
    count=$(grep -c '^kind: IdentityPool' "$T/out" || true)
    [ "$count" -eq $((N / 2)) ] || fail "export --region $region wrote $count pools, expected $((N / 2))"
done
echo "PASS"
