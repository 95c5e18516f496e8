#!/usr/bin/env bash
# SPDX-License-Identifier: Apache-2.0
# The steps of the GitHub composite action (action.yml), run by the runner with bash:
#   github-action.sh install   CR_DEB: a .deb to use; else cognito-reconcile from PATH; else a
#                              build of the CLI alone from this repository ($GITHUB_ACTION_PATH).
#                              Puts the program's folder on $GITHUB_PATH; output `version`.
#   github-action.sh run       CR_COMMAND (validate|plan|apply|drift), CR_PATHS, CR_STACK,
#                              CR_REGION, CR_ARGS (split at white space), CR_SUMMARY.
#                              Outputs exit-code, has-changes, report; the report goes to
#                              $GITHUB_STEP_SUMMARY; file:line:col diagnostics become ::error
#                              annotations. The step fails only on exit status 1.
# It speaks only the runner's file protocol (GITHUB_OUTPUT, GITHUB_PATH, GITHUB_STEP_SUMMARY).
set -euo pipefail

die() {
    echo "::error title=cognito-reconcile::$*"
    exit 1
}

# output NAME VALUE: one step output (the value is a single line here).
output() {
    printf '%s=%s\n' "$1" "$2" >>"${GITHUB_OUTPUT:?not run by a GitHub runner}"
}

as_root() {
    if [ "$(id -u)" -eq 0 ]; then
        "$@"
    elif command -v sudo >/dev/null; then
        sudo "$@"
    else
        die "need root to run: $*"
    fi
}

# The packages a .deb depends on that are not installed (first alternative of each).
missing_dependencies() {
    dpkg-deb -f "$1" Depends | tr ',' '\n' | sed 's/|.*//; s/(.*//; s/^ *//; s/ *$//' |
        while read -r pkg; do
            [ -n "$pkg" ] || continue
            dpkg-query -W -f='${Status}' "$pkg" 2>/dev/null | grep -q "install ok installed" ||
                echo "$pkg"
        done
}

install_from_deb() {
    local deb=$1 dir=${RUNNER_TEMP:-/tmp}/cognito-reconcile
    [ -f "$deb" ] || die "deb: '$deb' is not a file"
    local missing
    missing=$(missing_dependencies "$deb")
    if [ -n "$missing" ]; then
        echo "installing the libraries the package needs: $missing"
        as_root apt-get update -qq
        # shellcheck disable=SC2086
        as_root env DEBIAN_FRONTEND=noninteractive apt-get install -y -qq $missing
    fi
    # Unpacked, not installed: no root needed when the libraries are there already.
    rm -rf "$dir"
    dpkg-deb -x "$deb" "$dir"
    BIN=$dir/usr/bin
}

install_from_source() {
    local src=${GITHUB_ACTION_PATH:?} build=${RUNNER_TEMP:-/tmp}/cognito-reconcile-build
    echo "building cognito-reconcile from $src (the CLI alone)"
    if ! "$src/scripts/deps.sh" cli 2>/dev/null; then
        as_root "$src/scripts/deps.sh" cli
    fi
    cmake -S "$src" -B "$build" -DCMAKE_BUILD_TYPE=Release -DCR_BUILD_TESTS=OFF \
        -DCR_BUILD_EMULATOR=OFF -DCR_BUILD_BENCH=OFF -DCR_BUILD_DOCS=OFF -DCR_WERROR=OFF >/dev/null
    cmake --build "$build" -j "$(nproc)" --target cognito-reconcile >"$build/build.log" 2>&1 ||
        { cat "$build/build.log"; die "the build failed"; }
    BIN=$build/cmd
}

do_install() {
    BIN=
    if [ -n "${CR_DEB:-}" ]; then
        install_from_deb "$CR_DEB"
    elif command -v cognito-reconcile >/dev/null; then
        BIN=$(dirname "$(command -v cognito-reconcile)")
    else
        install_from_source
    fi
    [ -x "$BIN/cognito-reconcile" ] || die "no cognito-reconcile in $BIN"
    echo "$BIN" >>"${GITHUB_PATH:?not run by a GitHub runner}"
    local version
    version=$("$BIN/cognito-reconcile" --version)
    echo "$version ($BIN)"
    output version "$version"
}

# Turns "file:line:col: message" lines into annotations on the pull request's files.
annotate() {
    sed -n -E 's/^(error: )?([^: ]+):([0-9]+):([0-9]+): (.*)$/::error file=\2,line=\3,col=\4::\5/p' "$1"
}

do_run() {
    local command=${CR_COMMAND:-}
    case $command in
    validate | plan | apply | drift) ;;
    *) die "command: '$command' is not one of validate, plan, apply, drift" ;;
    esac
    local -a paths extra cmd
    set -f # split at white space, never expand globs
    # shellcheck disable=SC2206
    paths=(${CR_PATHS:-.})
    # shellcheck disable=SC2206
    extra=(${CR_ARGS:-})
    set +f
    cmd=(cognito-reconcile "$command" --stack "${CR_STACK:-default}")
    [ -z "${CR_REGION:-}" ] || cmd+=(--region "$CR_REGION")
    case $command in
    validate) ;;
    plan) cmd+=(--output markdown --detailed-exitcode) ;;
    apply) cmd+=(--output markdown --auto-approve) ;;
    drift) cmd+=(--output markdown) ;;
    esac
    cmd+=("${extra[@]}" -- "${paths[@]}")

    local dir=${RUNNER_TEMP:-/tmp} report
    report=$dir/cognito-reconcile-$command.md
    echo "+ ${cmd[*]}"
    local rc=0
    NO_COLOR=1 "${cmd[@]}" >"$report" 2>"$dir/cognito-reconcile-$command.err" || rc=$?
    cat "$report"
    cat "$dir/cognito-reconcile-$command.err" >&2
    annotate "$dir/cognito-reconcile-$command.err"

    output exit-code "$rc"
    output has-changes "$([ "$rc" -eq 2 ] && echo true || echo false)"
    output report "$report"
    if [ "${CR_SUMMARY:-true}" = true ] && [ -n "${GITHUB_STEP_SUMMARY:-}" ]; then
        {
            printf '### cognito-reconcile %s (stack %s)\n\n' "$command" "${CR_STACK:-default}"
            if [ "$command" = validate ] || [ "$rc" -eq 1 ]; then
                # validate prints text; an error's explanation is on stderr.
                printf '```\n'
                cat "$report" "$dir/cognito-reconcile-$command.err"
                printf '```\n'
            else
                cat "$report"
            fi
            printf '\nexit status %d\n' "$rc"
        } >>"$GITHUB_STEP_SUMMARY"
    fi
    [ "$rc" -ne 1 ] || die "cognito-reconcile $command failed (exit status 1)"
}

case ${1:-} in
install) do_install ;;
run) do_run ;;
*)
    echo "usage: $0 install|run (the steps of action.yml)" >&2
    exit 2
    ;;
esac
