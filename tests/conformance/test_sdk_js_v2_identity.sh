#!/usr/bin/env bash
# SPDX-License-Identifier: Apache-2.0
# Conformance: the AWS SDK for JavaScript v2's AWS.CognitoIdentityCredentials provider (npm
# `aws-sdk`) against cognito-identity-local's identity side; see test_sdk_js_v2_identity.js.
. "$(dirname "$0")/lib.sh"
conf_run_node_tests test_sdk_js_v2_identity.js aws-sdk
