#!/usr/bin/env bash
# SPDX-License-Identifier: Apache-2.0
# A fresh clone, with nothing beside it, builds and passes the unit suite: the committed HEAD
# of the source repository is fetched into an empty scratch folder (so uncommitted or
# untracked files, build trees, node_modules and anything next to the repository are absent),
# configured with the defaults (tests on; no benchmarks, which the unit suite does not run),
# built with -j2, and `ctest -L unit` runs there. Nothing of the clone's configuration may point
# back into this source tree.
set -euo pipefail
: "${CR_SOURCE_DIR:?run under ctest}"
T=$(mktemp -d "${TMPDIR:-/tmp}/cr-clean-clone.XXXXXX")
trap 'rm -rf "$T"' EXIT
fail() { echo "FAIL: $*" >&2; exit 1; }
# The suite's own variables must not reach the clone's tests.
unset CR_BUILD_DIR CR_BIN_DIR CR_TEST_DATA_DIR
SRC=$CR_SOURCE_DIR
unset CR_SOURCE_DIR

head=$(git -C "$SRC" rev-parse HEAD) || fail "$SRC is not a git work tree"
C=$T/cognito-reconcile
git init -q "$C"
git -C "$C" fetch -q --depth 1 "file://$(git -C "$SRC" rev-parse --absolute-git-dir)" "$head" ||
    fail "cannot fetch HEAD of $SRC"
git -C "$C" checkout -q FETCH_HEAD
[ "$(ls -A "$T")" = cognito-reconcile ] || fail "something beside the clone: $(ls -A "$T")"
[ ! -e "$C/build" ] && [ ! -e "$C/tests/node_modules" ] || fail "a build tree or node_modules came along"

cmake -S "$C" -B "$C/build" -DCR_BUILD_BENCH=OFF >"$T/configure.log" 2>&1 ||
    { cat "$T/configure.log" >&2; fail "configure of the clean clone"; }
cmake --build "$C/build" -j 2 >"$T/build.log" 2>&1 ||
    { tail -n 60 "$T/build.log" >&2; fail "build of the clean clone"; }
if grep -rlF -- "$SRC" "$C/build/CMakeCache.txt" "$C/build/compile_commands.json" >/dev/null; then
    fail "the clone's build refers to $SRC"
fi
ctest --test-dir "$C/build" -L unit -j 2 --output-on-failure >"$T/ctest.log" 2>&1 ||
    { tail -n 80 "$T/ctest.log" >&2; fail "the unit suite failed in the clean clone"; }
summary=$(grep -E '^[0-9]+% tests passed' "$T/ctest.log")
case $summary in
"100% tests passed, 0 tests failed out of "*) ;;
*) fail "unexpected ctest summary: $summary" ;;
esac
n=${summary##* }
[ "$n" -ge 30 ] || fail "only $n unit tests ran in the clone"
echo "ok: commit $head builds from a clean clone and passes its $n unit tests"
