#!/usr/bin/env bash
# SPDX-License-Identifier: Apache-2.0
# Property test read back by an independent reader: for each seed, random pools are made in
# the emulator with boto3 in two regions (the stack's, another stack's, unowned; some changed by hand
# afterwards), random manifests are written, apply --prune runs, and boto3 reads every pool
# back and compares it with what the manifests and the state before say (a model in
# prop_boto3.py, not our reader). Then plan --detailed-exitcode exits 0 and a second apply
# makes no write call; the stack's export plans only repairs, an unowned pool's export only its
# adoption. CR_PROP_BOTO3_SEEDS="1 2 3 ..." runs other seeds (a failure names its
# seed).
. "$CR_SOURCE_DIR/tests/integration/cli_lib.sh"
/usr/bin/python3 -c 'import boto3, yaml' 2>/dev/null || fail "python3-boto3 and python3-yaml are needed (scripts/deps.sh test)"
cli_setup

SEEDS=${CR_PROP_BOTO3_SEEDS:-"4 5 14 17 1 2"}
step "seeds $SEEDS: apply converges, boto3 reads the desired state back, nothing left to do"
/usr/bin/python3 "$CR_SOURCE_DIR/tests/integration/prop_boto3.py" "$CR" "$EMU_URL" "$T" $SEEDS ||
    fail "the property failed (seeds above)"
echo "PASS"
