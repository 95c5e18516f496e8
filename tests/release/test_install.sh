#!/usr/bin/env bash
# SPDX-License-Identifier: Apache-2.0
# `make install PREFIX=... DESTDIR=...` gives a working installation: into a scratch DESTDIR
# with PREFIX=/usr (what the .deb uses) the installed programs run (--version with the
# version and commit; the installed emulator and CLI plan together), every man page renders
# with man -l and groff without a warning, and the bash, zsh and fish completion scripts,
# loaded by the real shells from where they were installed, complete subcommands, options,
# --output values and file names (tests/release/release_lib.sh). A second install with
# PREFIX=/usr/local puts zsh's script in site-functions (Debian's zsh looks there for
# /usr/local). The build tree is up to date when ctest runs, so make builds nothing.
set -euo pipefail
: "${CR_SOURCE_DIR:?run under ctest}" "${CR_BUILD_DIR:?run under ctest}"
T=$(mktemp -d "${TMPDIR:-/tmp}/cr-install.XXXXXX")
trap 'emu_stop; rm -rf "$T"' EXIT
. "$CR_SOURCE_DIR/tests/release/release_lib.sh"

install_into() { # DESTDIR PREFIX
    make -C "$CR_SOURCE_DIR" --no-print-directory install BUILD="$CR_BUILD_DIR" \
        PREFIX="$2" DESTDIR="$1" >"$T/install.log" 2>&1 ||
        { cat "$T/install.log" >&2; fail "make install PREFIX=$2 DESTDIR=$1 failed"; }
    # Every installed file is below PREFIX, and there below DESTDIR.
    local f
    while IFS= read -r f; do
        case $f in "$2"/*) ;; *) fail "installed outside PREFIX $2: $f" ;; esac
        [ -e "$1$f" ] || fail "the install manifest names $f, but $1$f does not exist"
    done <"$CR_BUILD_DIR/install_manifest.txt"
}

install_into "$T/root" /usr
check_installed_tree "$T/root" /usr

install_into "$T/local" /usr/local
[ -f "$T/local/usr/local/share/zsh/site-functions/_cognito-reconcile" ] ||
    fail "PREFIX=/usr/local: no share/zsh/site-functions/_cognito-reconcile"
[ ! -e "$T/local/usr/local/share/zsh/vendor-completions" ] ||
    fail "PREFIX=/usr/local: zsh script in vendor-completions, which zsh does not read there"
"$T/local/usr/local/bin/cognito-reconcile" --version >/dev/null || fail "/usr/local binary"
echo "ok: make install gives working programs, man pages and completions"
