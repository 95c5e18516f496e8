# SPDX-License-Identifier: Apache-2.0
# Shared by the tests of `cognito-reconcile watch` (tests/integration/test_watch_*.sh). Source it
# after cli_lib.sh's cli_setup. Every watcher it starts is stopped by PID at exit.
#   repo_init                      # $T/remote.git (bare) and $T/work, branch main, no commit
#   commit_file PATH TEXT MSG      # writes $T/work/PATH, commits, pushes; prints the commit id
#   watch_start NAME ARGS...       # starts a watcher (stderr in $T/NAME.err), sets W_PORT[NAME]
#   watch_get NAME PATH            # GET on its endpoints into $T/NAME.http, prints the status
#   wait_for SECONDS DESC CMD...   # polls CMD (0.1 s apart) until it succeeds, or fails the test
#                                  # (CMD is a command: $(...) in its arguments is run once only)
#   status_field NAME PYEXPR       # evaluates PYEXPR on its /status JSON (d)
#   manifest NAME [EXTRA_LINE]     # the manifest of pool web, identityPoolName NAME
#   name_is NAME                   # the live pool web is called NAME (for wait_for)

declare -A W_PID W_PORT
WATCH_PIDS=""

watch_cleanup() {
    local rc=$? pid name
    if [ "$rc" -ne 0 ]; then
        for name in "${!W_PID[@]}"; do
            printf -- '--- watcher %s (last lines of stderr) ---\n' "$name" >&2
            grep -v "^Reading\|^reading\|^read " "$T/$name.err" | tail -n 25 >&2 || true
        done
    fi
    for pid in $WATCH_PIDS; do
        kill -9 "$pid" 2>/dev/null || true
    done
    cli_cleanup
}
trap watch_cleanup EXIT

repo_init() {
    git init -q --bare -b main "$T/remote.git"
    git init -q -b main "$T/work"
    git -C "$T/work" remote add origin "$T/remote.git"
    git -C "$T/work" config user.email watch@test
    git -C "$T/work" config user.name watch-test
}

commit_file() {
    mkdir -p "$(dirname "$T/work/$1")"
    printf '%s' "$2" >"$T/work/$1"
    git -C "$T/work" add -A
    git -C "$T/work" commit -qm "$3"
    git -C "$T/work" push -q origin main 2>/dev/null
    git -C "$T/work" rev-parse HEAD
}

# watch_start NAME ARGS...: cognito-reconcile watch ARGS (--endpoint-url, a loopback --listen
# on a free port, a cache of its own), waits for its "listening" line.
watch_start() {
    local name=$1 i port=""
    shift
    # made before the child opens it: the first look for the port must not race its redirection
    # (sed on a missing file, under set -e and pipefail, would end the test without a word)
    : >"$T/$name.err"
    "$CR" watch --endpoint-url "$EMU_URL" --listen 127.0.0.1:0 --cache-dir "$T/cache-$name" \
        "$@" >"$T/$name.out" 2>"$T/$name.err" </dev/null &
    W_PID[$name]=$!
    WATCH_PIDS="$WATCH_PIDS $!"
    for i in $(seq 1 100); do
        port=$(sed -n 's/.*listening on http:[^ "]*:\([0-9][0-9]*\).*/\1/p' "$T/$name.err" | head -1)
        [ -n "$port" ] && break
        kill -0 "${W_PID[$name]}" 2>/dev/null || break
        sleep 0.1
    done
    [ -n "$port" ] || fail "watcher $name did not start: $(cat "$T/$name.err")"
    W_PORT[$name]=$port
}

# watch_stop NAME [SIGNAL]: signals it (TERM by default), waits; its exit status in W_RC.
# (Not in $(...): a subshell cannot wait for this shell's children.)
watch_stop() {
    W_RC=0
    kill "-${2:-TERM}" "${W_PID[$1]}"
    wait "${W_PID[$1]}" || W_RC=$?
}

# http_is NAME PATH CODE: GET answers CODE (for wait_for).
http_is() {
    [ "$(watch_get "$1" "$2")" = "$3" ]
}

# field_is NAME PYEXPR VALUE: status_field gives VALUE (for wait_for).
field_is() {
    [ "$(status_field "$1" "$2")" = "$3" ]
}

watch_get() {
    curl -s --max-time 10 -o "$T/$1.http" -w '%{http_code}' "http://127.0.0.1:${W_PORT[$1]}$2"
}

status_field() {
    watch_get "$1" /status >/dev/null
    "$PY" -S -c '
import json, sys
d = json.load(open(sys.argv[1]))
v = eval(sys.argv[2])
print(json.dumps(v, sort_keys=True) if not isinstance(v, str) else v)' "$T/$1.http" "$2"
}

wait_for() {
    local limit=$1 desc=$2 i
    shift 2
    for i in $(seq 1 $((limit * 10))); do
        if "$@" >/dev/null 2>&1; then return 0; fi
        sleep 0.1
    done
    fail "waited ${limit} s for: $desc"
}

manifest() { # manifest DISPLAY_NAME [EXTRA_SPEC_LINE]
    printf 'apiVersion: cognito-reconcile/v1\nkind: IdentityPool\nmetadata:\n  name: web\n  region: us-east-1\nspec:\n  identityPoolName: %s\n  allowUnauthenticatedIdentities: false\n%s' "$1" "${2:-}"
}
pool_name() { # the live IdentityPoolName of the pool named web
    local id
    id=$(pool_id_of web)
    [ -n "$id" ] || return 1
    describe "$id" "$T/desc.json"
    json_get "$T/desc.json" 'd["IdentityPoolName"]'
}
name_is() { [ "$(pool_name)" = "$1" ]; }
