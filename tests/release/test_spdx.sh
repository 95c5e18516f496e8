#!/usr/bin/env bash
# SPDX-License-Identifier: Apache-2.0
# Every tracked source file carries the Apache-2.0 SPDX line (scripts/spdx.py), LICENSE is the
# Apache License 2.0 and NOTICE names every vendored folder under tests/data/ with its licence
# files. The checker itself is tested on a scratch repository: it must name the files that
# lack the line (or carry it in the wrong place) and --fix must insert it after a shebang,
# keeping the file's mode.
set -euo pipefail
: "${CR_SOURCE_DIR:?run under ctest}"
SRC=$CR_SOURCE_DIR
PY=$(command -v python3)
T=$(mktemp -d "${TMPDIR:-/tmp}/cr-spdx.XXXXXX")
trap 'rm -rf "$T"' EXIT
fail() { echo "FAIL: $*" >&2; exit 1; }

# ---- the repository ----
if ! "$PY" "$SRC/scripts/spdx.py" --root "$SRC" >"$T/repo.out" 2>&1; then
    cat "$T/repo.out" >&2
    fail "source files without the SPDX line (run scripts/spdx.py --fix)"
fi
grep -q '^ *Apache License$' "$SRC/LICENSE" && grep -q 'Version 2.0, January 2004' "$SRC/LICENSE" ||
    fail "LICENSE is not the Apache License 2.0"
for dir in "$SRC"/tests/data/*/; do
    name=tests/data/$(basename "$dir")
    # Vendored folders carry their own LICENSE/NOTICE; our own fixtures (golden, manifests) don't.
    ls "$dir" | grep -qiE '^(LICENSE|NOTICE)' || continue
    grep -q "^$name/" "$SRC/NOTICE" || fail "NOTICE does not name $name/"
    for lic in "$dir"/LICENSE* "$dir"/NOTICE*; do
        [ -e "$lic" ] || continue
        grep -q "$name/$(basename "$lic")" "$SRC/NOTICE" || fail "NOTICE does not point to $name/$(basename "$lic")"
    done
done

# ---- the checker, on a scratch repository ----
R=$T/repo
mkdir -p "$R/src" "$R/tests/data/vendor" "$R/examples"
git -C "$R" init -q
printf '/* SPDX-License-Identifier: Apache-2.0 */\nint a;\n' >"$R/src/good.c"
printf 'int b;\n' >"$R/src/bad.c"
printf '#!/bin/sh\necho hi\n' >"$R/src/run"
chmod 755 "$R/src/run"
printf '#!/bin/sh\n# a comment\n# SPDX-License-Identifier: Apache-2.0\n' >"$R/src/late.sh"
printf '/* SPDX-License-Identifier: MIT */\nint c;\n' >"$R/src/mit.c"
printf 'cmake_minimum_required(VERSION 3.20)\n' >"$R/CMakeLists.txt"
printf 'int vendored;\n' >"$R/tests/data/vendor/v.c"
printf 'kind: IdentityPool\n' >"$R/examples/pool.yaml"
printf 'not tracked\n' >"$R/src/untracked.c"
git -C "$R" add src/good.c src/bad.c src/run src/late.sh src/mit.c CMakeLists.txt \
    tests/data/vendor/v.c examples/pool.yaml
rc=0
"$PY" "$SRC/scripts/spdx.py" --root "$R" >"$T/check.out" 2>&1 || rc=$?
[ "$rc" -eq 1 ] || { cat "$T/check.out" >&2; fail "checker exit $rc on a tree with bad files, expected 1"; }
for f in src/bad.c src/run src/late.sh src/mit.c CMakeLists.txt; do
    grep -q "^$f:1:1: " "$T/check.out" || { cat "$T/check.out" >&2; fail "checker did not name $f"; }
done
for f in src/good.c tests/data/vendor/v.c examples/pool.yaml src/untracked.c; do
    if grep -q "^$f:" "$T/check.out"; then cat "$T/check.out" >&2; fail "checker named $f"; fi
done
grep -q '5 of 6 source files' "$T/check.out" || { cat "$T/check.out" >&2; fail "wrong count"; }

"$PY" "$SRC/scripts/spdx.py" --root "$R" --fix >"$T/fix.out" 2>&1 || true
[ "$(sed -n 1p "$R/src/run")" = '#!/bin/sh' ] || fail "--fix moved the shebang"
[ "$(sed -n 2p "$R/src/run")" = '# SPDX-License-Identifier: Apache-2.0' ] || fail "--fix: no line 2 in src/run"
[ "$(stat -c %a "$R/src/run")" = 755 ] || fail "--fix changed the mode of src/run"
[ "$(sed -n 1p "$R/src/bad.c")" = '/* SPDX-License-Identifier: Apache-2.0 */' ] || fail "--fix: src/bad.c"
[ "$(sed -n 2p "$R/src/bad.c")" = 'int b;' ] || fail "--fix lost the content of src/bad.c"
# A wrong licence is reported, never rewritten.
grep -q 'MIT' "$R/src/mit.c" || fail "--fix rewrote another licence"
rc=0
"$PY" "$SRC/scripts/spdx.py" --root "$R" >"$T/after.out" 2>&1 || rc=$?
[ "$rc" -eq 1 ] && grep -q '^src/mit.c:1:1: SPDX line is not' "$T/after.out" &&
    grep -q '^src/late.sh:1:1: the SPDX line is line 3, not line 2' "$T/after.out" &&
    [ "$(grep -c ':1:1:' "$T/after.out")" -eq 2 ] ||
    { cat "$T/after.out" >&2; fail "after --fix only mit.c and late.sh should remain (rc $rc)"; }
echo "ok: every source file carries the SPDX line; the checker finds and fixes missing ones"
