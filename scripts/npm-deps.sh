#!/usr/bin/env bash
# SPDX-License-Identifier: Apache-2.0
# Installs the test-only npm packages listed in tests/package.json (lock file pinned).
set -euo pipefail
cd "$(dirname "$0")/../tests"
[ -f package.json ] || exit 0
if [ -d node_modules ] && [ node_modules/.package-lock.json -nt package-lock.json ]; then
  exit 0
fi
if [ -f package-lock.json ]; then
  npm ci --no-audit --no-fund --loglevel=error
else
  npm install --no-audit --no-fund --loglevel=error
fi
