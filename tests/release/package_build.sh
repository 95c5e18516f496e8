#!/usr/bin/env bash
# SPDX-License-Identifier: Apache-2.0
# The ctest fixture release/package_build: `make package` into BUILD/release-packages, the
# .deb and .tar.gz that release/test_package and release/test_github_action check. (The build
# tree is up to date when ctest runs, so make only packages.)
set -euo pipefail
: "${CR_SOURCE_DIR:?run under ctest}" "${CR_BUILD_DIR:?run under ctest}"
out=$CR_BUILD_DIR/release-packages
rm -rf "$out"
log=$(mktemp "${TMPDIR:-/tmp}/cr-package-build.XXXXXX")
trap 'rm -f "$log"' EXIT
if ! (cd "$CR_SOURCE_DIR" && make package BUILD="$CR_BUILD_DIR" PACKAGES="$out") >"$log" 2>&1; then
    cat "$log" >&2
    echo "FAIL: make package" >&2
    exit 1
fi
ls "$out"/*.deb "$out"/*.tar.gz
