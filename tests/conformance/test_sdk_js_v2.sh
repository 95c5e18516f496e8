#!/usr/bin/env bash
# SPDX-License-Identifier: Apache-2.0
# Conformance: the AWS SDK for JavaScript v2 (npm `aws-sdk`) against cognito-identity-local.
# Starts one emulator without and one with SigV4 verification, then runs
# test_sdk_js_v2.js with node's built-in test runner.
. "$(dirname "$0")/lib.sh"
conf_run_node_tests test_sdk_js_v2.js aws-sdk
