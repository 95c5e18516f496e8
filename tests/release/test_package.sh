#!/usr/bin/env bash
# SPDX-License-Identifier: Apache-2.0
# What `make package` built from the build tree (the release/package_build fixture, into
# BUILD/release-packages): a .deb and a .tar.gz (CPack).
# - the .deb's metadata (dpkg-deb -I): name, version from CMake, architecture, and a Depends
#   field that names exactly the packages owning the libraries the binaries link (computed
#   here independently: readelf NEEDED -> ldconfig -> dpkg -S), so it was computed, not typed;
# - its contents (dpkg-deb -c): everything cmake --install puts in place plus Debian's
#   copyright and changelog.gz, all below /usr, binaries stripped;
# - extracted (dpkg-deb -x), its programs, man pages and completion scripts work from there
#   (tests/release/release_lib.sh, as for make install);
# - lintian reports no error and no warning on it;
# - the .tar.gz unpacks into one top folder whose programs run.
set -euo pipefail
: "${CR_SOURCE_DIR:?run under ctest}" "${CR_BUILD_DIR:?run under ctest}"
T=$(mktemp -d "${TMPDIR:-/tmp}/cr-package.XXXXXX")
trap 'emu_stop; rm -rf "$T"' EXIT
. "$CR_SOURCE_DIR/tests/release/release_lib.sh"

PK=$CR_BUILD_DIR/release-packages
version=$(sed -n 's/^CMAKE_PROJECT_VERSION:STATIC=//p' "$CR_BUILD_DIR/CMakeCache.txt")
arch=$(dpkg --print-architecture)
deb=$PK/cognito-reconcile_${version}_$arch.deb
tgz=$PK/cognito-reconcile-$version-Linux-$(uname -m).tar.gz
[ -f "$deb" ] || fail "no $deb (got: $(ls "$PK"))"
[ -f "$tgz" ] || fail "no $tgz (got: $(ls "$PK"))"

# ---- metadata ----
field() { dpkg-deb -f "$deb" "$1"; }
[ "$(field Package)" = cognito-reconcile ] || fail "Package: $(field Package)"
[ "$(field Version)" = "$version" ] || fail "Version: $(field Version), expected $version"
[ "$(field Architecture)" = "$arch" ] || fail "Architecture: $(field Architecture)"
field Maintainer | grep -q '<.*@.*>' || fail "Maintainer without an address: $(field Maintainer)"
[ -n "$(field Description)" ] || fail "no Description"
# Depends: exactly the packages that own the shared libraries the two programs need.
dpkg-deb -x "$deb" "$T/x"
want=$(
    for bin in "$T"/x/usr/bin/*; do
        readelf -d "$bin" | sed -n 's/.*Shared library: \[\(.*\)\]/\1/p'
    done | sort -u | while read -r soname; do
        path=$(ldconfig -p | awk -v s="$soname" '$1 == s {print $NF; exit}')
        [ -n "$path" ] || { echo "?$soname"; continue; }
        # The path as ldconfig lists it, or its target; with /usr merged, dpkg may know the
        # file under /lib or under /usr/lib.
        pkg=
        for p in "$path" "$(readlink -f "$path")" "${path#/usr}" "/usr$path"; do
            pkg=$(dpkg -S "$p" 2>/dev/null | sed -n '1s/: .*//p' | sed 's/:.*//') && [ -n "$pkg" ] && break
        done
        echo "${pkg:-?$soname}"
    done | sort -u
)
case "$want" in *'?'*) fail "cannot find the package of a library: $want" ;; esac
have=$(field Depends | tr ',' '\n' | sed 's/^ *//; s/ .*//' | sort -u)
[ "$have" = "$want" ] ||
    fail "Depends names [$(echo $have)], the binaries need [$(echo $want)]"
echo "$have" | grep -q '^libgit2' || fail "Depends lacks libgit2: $have"
echo "$have" | grep -q '^libxml2$' || fail "Depends lacks libxml2 (aws/xml.c): $have"

# ---- contents ----
dpkg-deb -c "$deb" | awk '{print $NF}' | sed 's#^\./#/#' >"$T/contents"
if grep -v '^/usr/' "$T/contents" | grep -v '^/$' | grep -q .; then
    fail "files outside /usr: $(grep -v '^/usr/' "$T/contents")"
fi
for f in /usr/share/doc/cognito-reconcile/copyright /usr/share/doc/cognito-reconcile/changelog.gz; do
    grep -qx "$f" "$T/contents" || fail "the .deb lacks $f"
done
for bin in "$T"/x/usr/bin/*; do
    file "$bin" | grep -q ', stripped' || fail "$bin is not stripped: $(file "$bin")"
done
zcat "$T/x/usr/share/doc/cognito-reconcile/changelog.gz" | head -n 1 |
    grep -q "^cognito-reconcile ($version) " || fail "changelog.gz does not start with this version"

# ---- the extracted package works ----
check_installed_tree "$T/x" /usr

# ---- lintian ----
lintian --fail-on error,warning "$deb" >"$T/lintian.out" 2>&1 ||
    { cat "$T/lintian.out" >&2; fail "lintian reports errors or warnings"; }

# ---- the tarball ----
tar -xzf "$tgz" -C "$T"
top=$T/cognito-reconcile-$version-Linux-$(uname -m)
for f in bin/cognito-reconcile bin/cognito-identity-local share/man/man1/cognito-reconcile.1.gz \
    share/cognito-reconcile/identity-pool.schema.json; do
    [ -e "$top/$f" ] || fail "the tarball lacks $f"
done
"$top/bin/cognito-reconcile" --version | grep -q "^cognito-reconcile $version" ||
    fail "the tarball's cognito-reconcile --version"
"$top/bin/cognito-identity-local" --version | grep -q "^cognito-identity-local $version" ||
    fail "the tarball's cognito-identity-local --version"
echo "ok: the .deb (metadata, contents, extracted programs, lintian) and the .tar.gz"
