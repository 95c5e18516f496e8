#!/usr/bin/env bash
# SPDX-License-Identifier: Apache-2.0
# Build profiles and dependencies by need:
# - scripts/deps.sh: the cli profile is the build tools and the CLI's runtime libraries; demo
#   adds the emulator's library and the AWS CLI but none of the test toolchain (cmocka, clang,
#   node, wrk, ...); test holds every other profile.
# - CMake with pkg-config seeing every installed library except cmocka (a copy of the .pc
#   files without it; libmicrohttpd is a runtime library of the CLI: watch's endpoints): -DCR_BUILD_TESTS=OFF -DCR_BUILD_EMULATOR=OFF
#   -DCR_BUILD_BENCH=OFF configures; the default profile refuses, naming cmocka; the demo's
#   profile (emulator, no tests) configures when only cmocka is missing.
# - The CLI links only its runtime libraries (ELF NEEDED of the built program).
# - -Werror is on by default and off with -DCR_WERROR=OFF (compile_commands.json).
# - `make install` into a tree `make demo` configured (no tests, no man pages) builds the two
#   programs without cmocka and installs them with their man pages.
# - `make demo` on a built tree prints the story, not the build (no make chatter).
# (The CLI-only profile is built for real by release/test_github_action's install from source.)
set -euo pipefail
: "${CR_SOURCE_DIR:?run under ctest}" "${CR_BUILD_DIR:?run under ctest}" "${CR_BIN_DIR:?run under ctest}"
T=$(mktemp -d "${TMPDIR:-/tmp}/cr-profiles.XXXXXX")
trap 'rm -rf "$T"' EXIT
fail() { echo "FAIL: $*" >&2; exit 1; }
SRC=$CR_SOURCE_DIR

# ---- scripts/deps.sh profiles ----
for p in cli demo install package test; do
    bash "$SRC/scripts/deps.sh" --list "$p" | sort >"$T/deps-$p" || fail "deps.sh --list $p"
done
runtime="libyaml-dev libcurl4-openssl-dev libssl-dev libjansson-dev libgit2-dev libinih-dev libxml2-dev libmicrohttpd-dev"
for pkg in $runtime cmake pkg-config; do
    grep -qx "$pkg" "$T/deps-cli" || fail "deps.sh cli lacks $pkg"
done
# the runtime libraries and the four build tools (build-essential cmake pkg-config git), no more
[ "$(wc -l <"$T/deps-cli")" -le $(($(echo $runtime | wc -w) + 4)) ] || fail "deps.sh cli installs more than the build tools and runtime libraries: $(cat "$T/deps-cli")"
grep -qx libmicrohttpd-dev "$T/deps-demo" || fail "deps.sh demo lacks the emulator's libmicrohttpd-dev"
grep -qx awscli "$T/deps-demo" || fail "deps.sh demo lacks the AWS CLI the demo uses"
for pkg in libcmocka-dev clang libclang-rt-14-dev nodejs npm wrk lintian pre-commit; do
    for p in cli demo install; do
        if grep -qx "$pkg" "$T/deps-$p"; then fail "deps.sh $p installs the test tool $pkg"; fi
    done
    grep -qx "$pkg" "$T/deps-test" || fail "deps.sh test lacks $pkg"
done
for p in cli demo install package; do
    extra=$(comm -23 "$T/deps-$p" "$T/deps-test")
    [ -z "$extra" ] || fail "deps.sh test lacks what $p needs: $extra"
done
if bash "$SRC/scripts/deps.sh" nosuchprofile 2>"$T/err"; then fail "deps.sh took an unknown profile"; fi
grep -q "unknown profile 'nosuchprofile'" "$T/err" || fail "deps.sh: $(cat "$T/err")"

# ---- CMake profiles, with pkg-config blind to the test-only libraries ----
pcdir() { # DIR MODULE...: every .pc file pkg-config knows, except those of MODULE...
    local dir=$1 d m
    shift
    mkdir -p "$dir"
    for d in $(pkg-config --variable pc_path pkg-config | tr : ' '); do
        [ -d "$d" ] && find "$d" -maxdepth 1 -name '*.pc' -exec cp -n {} "$dir/" \;
    done
    for m in "$@"; do rm -f "$dir/$m.pc"; done
}
pcdir "$T/pc-runtime" cmocka
pcdir "$T/pc-demo" cmocka
[ -e "$T/pc-runtime/libgit2.pc" ] && [ ! -e "$T/pc-runtime/cmocka.pc" ] || fail "pkg-config copy"
cli_only=(-DCR_BUILD_TESTS=OFF -DCR_BUILD_EMULATOR=OFF -DCR_BUILD_BENCH=OFF)
PKG_CONFIG_LIBDIR=$T/pc-runtime cmake -S "$SRC" -B "$T/cli" "${cli_only[@]}" >"$T/cli.log" 2>&1 ||
    { cat "$T/cli.log" >&2; fail "the CLI-only profile needs more than the runtime libraries"; }
grep -q '"cognito-identity-local"\|cognito-identity-local:' "$T/cli/Makefile" &&
    fail "the CLI-only profile still builds the emulator"
if PKG_CONFIG_LIBDIR=$T/pc-runtime cmake -S "$SRC" -B "$T/full" >"$T/full.log" 2>&1; then
    fail "the default profile configured without cmocka"
fi
grep -q cmocka "$T/full.log" || { cat "$T/full.log" >&2; fail "the refusal does not name cmocka"; }
if cmake -S "$SRC" -B "$T/bad" -DCR_BUILD_EMULATOR=OFF >"$T/bad.log" 2>&1; then
    fail "tests without the emulator configured"
fi
grep -q "CR_BUILD_TESTS=ON needs CR_BUILD_EMULATOR=ON" "$T/bad.log" || fail "$(cat "$T/bad.log")"
PKG_CONFIG_LIBDIR=$T/pc-demo cmake -S "$SRC" -B "$T/demo" -DCR_BUILD_TESTS=OFF \
    -DCR_BUILD_BENCH=OFF -DCR_BUILD_DOCS=OFF >"$T/demo.log" 2>&1 ||
    { cat "$T/demo.log" >&2; fail "the demo profile needs cmocka"; }

# make install from the demo's tree: turns the man pages on, builds without cmocka.
(cd "$SRC" && PKG_CONFIG_LIBDIR=$T/pc-demo make install BUILD="$T/demo" PREFIX=/usr \
    DESTDIR="$T/stage" JOBS=2) >"$T/install.log" 2>&1 ||
    { tail -n 40 "$T/install.log" >&2; fail "make install in the demo's build tree"; }
[ -f "$T/stage/usr/share/man/man1/cognito-reconcile.1.gz" ] || fail "make install left the man pages out"
grep -q '^CR_BUILD_TESTS:BOOL=OFF' "$T/demo/CMakeCache.txt" || fail "make install turned the tests on"
"$T/stage/usr/bin/cognito-identity-local" --version >/dev/null || fail "installed emulator"
"$T/stage/usr/bin/cognito-reconcile" validate "$SRC/examples/minimal" >/dev/null 2>&1 ||
    fail "the installed CLI does not validate examples/minimal"

# -Werror: on by default, off on request.
grep -q -- '-Werror' "$T/cli/compile_commands.json" || fail "-Werror is not on by default"
cmake -S "$SRC" -B "$T/cli" -DCR_WERROR=OFF >/dev/null 2>&1 || fail "reconfigure with CR_WERROR=OFF"
if grep -q -- '-Werror' "$T/cli/compile_commands.json"; then fail "-DCR_WERROR=OFF keeps -Werror"; fi
grep -q -- '-Wall' "$T/cli/compile_commands.json" || fail "-DCR_WERROR=OFF dropped the warnings too"

# ---- the CLI links its runtime libraries only ----
readelf -d "$CR_BIN_DIR/cognito-reconcile" | sed -n 's/.*Shared library: \[\(.*\)\]/\1/p' >"$T/needed"
grep -q '^libgit2' "$T/needed" || fail "readelf shows no libgit2 for the CLI: $(cat "$T/needed")"
while read -r lib; do
    case $lib in
    libyaml-0.so.* | libcurl.so.* | libcrypto.so.* | libjansson.so.* | libgit2.so.* | libinih.so.* | \
        libxml2.so.* | libmicrohttpd.so.* | \
        libc.so.* | libm.so.* | libpthread.so.* | libasan.so.* | libubsan.so.* | libstdc++.so.* | \
        libgcc_s.so.* | ld-linux*) ;;
    *) fail "cognito-reconcile needs $lib, which is not one of its runtime libraries" ;;
    esac
done <"$T/needed"

# ---- make demo: the story, not the build ----
if [ -x /usr/bin/aws ] || command -v aws >/dev/null; then
    (cd "$SRC" && make demo BUILD="$CR_BUILD_DIR") >"$T/demo.out" 2>&1 ||
        { cat "$T/demo.out" >&2; fail "make demo"; }
    if grep -E "Entering directory|Leaving directory|Building C object|Linking C" "$T/demo.out"; then
        fail "make demo prints the build"
    fi
    [ "$(sed -n 1p "$T/demo.out")" = "building cognito-reconcile and cognito-identity-local (log: $CR_BUILD_DIR/demo-build.log)" ] ||
        fail "make demo's first line: $(sed -n 1p "$T/demo.out")"
    grep -q "demo complete" "$T/demo.out" || fail "make demo did not complete"
fi
echo "ok: profiles, dependencies by need, -Werror option, quiet make demo"
