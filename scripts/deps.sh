#!/usr/bin/env bash
# SPDX-License-Identifier: Apache-2.0
# Installs the Debian packages a make target needs, when missing; nothing more.
#   scripts/deps.sh [PROFILE...]      PROFILE: cli, demo, install, package, test (default: test)
# cli      build the CLI alone (-DCR_BUILD_TESTS=OFF -DCR_BUILD_EMULATOR=OFF -DCR_BUILD_BENCH=OFF)
# demo     `make demo`: the CLI, the emulator, the AWS CLI the demo edits a pool with
# install  `make install`: both programs, their man pages (scdoc)
# package  `make package`: install + dpkg-shlibdeps and file (CPack's .deb dependencies)
# test     `make test`: everything, including the test toolchain (cmocka, clang, node, wrk,
#          lintian, pre-commit, zsh, fish, ...)
# As root: apt-get installs them. Otherwise: prints the exact command and stops.
# `scripts/deps.sh --list PROFILE` prints the profile's packages and installs nothing.
set -euo pipefail

# Each group once; a profile is a list of groups.
g_build=(build-essential cmake pkg-config git)
# libmicrohttpd: the emulator, and the endpoints of `cognito-reconcile watch`
g_runtime=(libyaml-dev libcurl4-openssl-dev libssl-dev libjansson-dev libgit2-dev libinih-dev
  libxml2-dev libmicrohttpd-dev)
g_emulator=(libmicrohttpd-dev)
g_docs=(scdoc)
g_demo=(awscli python3 curl)
g_package=(dpkg-dev file)
g_test=(clang libclang-rt-14-dev libcmocka-dev openssl libxml2-utils wrk python3-yaml python3-boto3 jq
  lintian pre-commit bash zsh fish groff-base man-db
  prometheus # promtool: test_watch_endpoints checks /metrics (about 45 s to install, 96 MB)
  systemd # systemd-analyze verify: test_watch_examples checks the example unit
  openssh-server) # sshd: test_watch_ssh serves a repository over ssh on loopback

profile_groups() {
  case $1 in
  cli) echo g_build g_runtime ;;
  demo) echo g_build g_runtime g_emulator g_demo ;;
  install) echo g_build g_runtime g_emulator g_docs ;;
  package) echo g_build g_runtime g_emulator g_docs g_package ;;
  test) echo g_build g_runtime g_emulator g_docs g_demo g_package g_test ;;
  *)
    echo "deps.sh: unknown profile '$1' (cli, demo, install, package, test)" >&2
    return 1
    ;;
  esac
}

list=0
if [ "${1:-}" = --list ]; then
  list=1
  shift
fi
[ $# -gt 0 ] || set -- test
packages=()
node=0
for profile in "$@"; do
  groups=$(profile_groups "$profile")
  for g in $groups; do
    declare -n group=$g
    packages+=("${group[@]}")
    unset -n group
  done
  [ "$profile" = test ] && node=1
done
# One line each, in order, without repeats.
mapfile -t packages < <(printf '%s\n' "${packages[@]}" | awk '!seen[$0]++')
if [ "$list" -eq 1 ]; then
  printf '%s\n' "${packages[@]}"
  [ "$node" -eq 1 ] && printf '%s\n' nodejs npm
  exit 0
fi

missing=()
for p in "${packages[@]}"; do
  dpkg-query -W -f='${Status}' "$p" 2>/dev/null | grep -q "install ok installed" || missing+=("$p")
done
# Node.js may come from another source (e.g. a nodejs build that bundles npm): only install
# Debian's when the commands are missing.
if [ "$node" -eq 1 ]; then
  command -v node >/dev/null 2>&1 || missing+=(nodejs)
  command -v npm >/dev/null 2>&1 || missing+=(npm)
fi
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
