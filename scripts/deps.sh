#!/usr/bin/env bash
# SPDX-License-Identifier: Apache-2.0
# Installs the Debian packages the build and the test suite need, when missing.
# As root: apt-get installs them. Otherwise: prints the exact command and stops.
set -euo pipefail

packages=(build-essential cmake pkg-config clang libclang-rt-14-dev
  libyaml-dev libcurl4-openssl-dev libssl-dev libjansson-dev libgit2-dev libcmocka-dev
  libmicrohttpd-dev libinih-dev awscli curl git python3 openssl libxml2-utils wrk)

missing=()
for p in "${packages[@]}"; do
  dpkg-query -W -f='${Status}' "$p" 2>/dev/null | grep -q "install ok installed" || missing+=("$p")
done
# Node.js may come from another source (e.g. a nodejs build that bundles npm): only install
# Debian's when the commands are missing.
command -v node >/dev/null 2>&1 || missing+=(nodejs)
command -v npm >/dev/null 2>&1 || missing+=(npm)
[ ${#missing[@]} -eq 0 ] && exit 0

if [ "$(id -u)" -ne 0 ]; then
  echo "missing Debian packages; run:" >&2
  echo "  sudo apt-get update && sudo apt-get install -y ${missing[*]}" >&2
  exit 1
fi
echo "installing: ${missing[*]}" >&2
export DEBIAN_FRONTEND=noninteractive
apt-get update -qq
apt-get install -y -qq "${missing[@]}" >/dev/null
