#!/usr/bin/env bash
# SPDX-License-Identifier: Apache-2.0
# Conformance: the AWS SDK for JavaScript v3 (npm `@aws-sdk/client-s3`) against the emulator's
# S3 subset: the conditional writes and deletes a lock file needs (IfNoneMatch, IfMatch),
# their races, injected 409/503 answers and signing. Starts one emulator without and one with
# SigV4 verification, each with the bucket tf-locks, and runs test_sdk_js_v3_s3.mjs.
. "$(dirname "$0")/lib.sh"
export EMU_BUCKET=tf-locks
CONF_EMU_FLAGS=(--s3-bucket "$EMU_BUCKET")
conf_run_node_tests test_sdk_js_v3_s3.mjs @aws-sdk/client-s3
