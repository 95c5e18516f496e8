#!/usr/bin/env bash
# SPDX-License-Identifier: Apache-2.0
# Conformance: the AWS SDK for JavaScript v3's fromCognitoIdentityPool (npm
# `@aws-sdk/credential-providers`, `@aws-sdk/client-sts`) against cognito-identity-local's
# identity side; see test_sdk_js_v3_identity.mjs.
. "$(dirname "$0")/lib.sh"
conf_run_node_tests test_sdk_js_v3_identity.mjs @aws-sdk/credential-providers @aws-sdk/client-sts \
  @aws-sdk/client-cognito-identity
