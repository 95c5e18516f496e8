# SPDX-License-Identifier: Apache-2.0
# Shell helpers for tests that need cognito-identity-local. Source this file:
#
#   . "$CR_SOURCE_DIR/tests/support/emulator.sh"
#   emu_start [--state FILE] [--credentials FILE] ...   # sets EMU_URL and EMU_PID
#   trap emu_stop EXIT
#   emu_faults '[{"operation":"DescribeIdentityPool","throttle":1,"count":2}]'
#   emu_requests            # JSON {"requests":[...],"last_seq":N} on stdout
#   emu_count CreateIdentityPool   # how many calls of that operation were logged
#   emu_reset
#
# The binary is $CR_BIN_DIR/cognito-identity-local. Every wait is bounded.

EMU_URL=""
EMU_IMDS_URL="" # with --imds-port: the instance metadata listener (the second stdout line)
EMU_PID=""
EMU_DIR=""

# emu_start [extra args...]: starts on a free loopback port, waits (10 s max) for the URL.
emu_start() {
    local bin="${CR_BIN_DIR:-.}/cognito-identity-local"
    if [ ! -x "$bin" ]; then
        echo "emu_start: $bin not found (build the cognito-identity-local target)" >&2
        return 1
    fi
    EMU_DIR=$(mktemp -d "${TMPDIR:-/tmp}/cr-emu-XXXXXX") || return 1
    mkfifo "$EMU_DIR/out" || return 1
    "$bin" --port 0 "$@" >"$EMU_DIR/out" 2>"$EMU_DIR/stderr" &
    EMU_PID=$!
    # Keep the fifo open on our side (fd 9) so the emulator never writes to a closed pipe.
    exec 9<"$EMU_DIR/out"
    if ! IFS= read -r -t 10 EMU_URL <&9; then
        echo "emu_start: no URL from $bin within 10 s; its stderr:" >&2
        cat "$EMU_DIR/stderr" >&2
        emu_stop
        return 1
    fi
    case "$EMU_URL" in
        http://*) ;;
        *) echo "emu_start: unexpected first line '$EMU_URL'" >&2; emu_stop; return 1 ;;
    esac
    case " $* " in
        *" --imds-port "*)
            if ! IFS= read -r -t 10 EMU_IMDS_URL <&9; then
                echo "emu_start: no IMDS URL (second line) within 10 s" >&2
                emu_stop
                return 1
            fi
            export EMU_IMDS_URL ;;
    esac
    export EMU_URL EMU_PID
}

# emu_stop: SIGTERM, wait up to 5 s, then SIGKILL. Safe to call twice.
emu_stop() {
    if [ -n "$EMU_PID" ]; then
        kill -TERM "$EMU_PID" 2>/dev/null
        local i=0
        while kill -0 "$EMU_PID" 2>/dev/null && [ $i -lt 50 ]; do
            sleep 0.1
            i=$((i + 1))
        done
        kill -KILL "$EMU_PID" 2>/dev/null || true
        wait "$EMU_PID" 2>/dev/null || true
        EMU_PID=""
    fi
    { exec 9<&-; } 2>/dev/null || true # (a bare exec 2>/dev/null would silence the caller for good)
    if [ -n "$EMU_DIR" ]; then
        rm -rf "$EMU_DIR"
        EMU_DIR=""
    fi
    return 0
}

# emu_stderr: what the emulator wrote to stderr so far.
emu_stderr() {
    [ -n "$EMU_DIR" ] && cat "$EMU_DIR/stderr"
}

# emu_faults JSON: replaces the fault rules.
emu_faults() {
    curl -sf --max-time 10 -X POST -H 'Content-Type: application/json' \
        --data "$1" "$EMU_URL/_local/faults" >/dev/null
}

# emu_requests [SINCE]: the request log as JSON on stdout.
emu_requests() {
    curl -sf --max-time 10 "$EMU_URL/_local/requests?since=${1:-0}"
}

# emu_count OP: number of logged calls of OP.
emu_count() {
    emu_requests | python3 -c 'import json,sys; op=sys.argv[1]; print(sum(1 for e in json.load(sys.stdin)["requests"] if e["operation"]==op))' "$1"
}

# emu_token ISSUER [CLAIMS_JSON]: prints a web identity / login token of ISSUER signed by the
# emulator's own test identity provider (POST /_local/token), which it verifies even with
# --credentials.
emu_token() {
    curl -sf --max-time 10 -X POST -H 'Content-Type: application/json' \
        --data "{\"issuer\":\"$1\",\"claims\":${2:-{\}}}" "$EMU_URL/_local/token" |
        python3 -c 'import json,sys; print(json.load(sys.stdin)["token"])'
}

# emu_reset: clears state, faults and the log.
emu_reset() {
    curl -sf --max-time 10 -X POST "$EMU_URL/_local/reset" >/dev/null
}

# emu_call OP JSON: one unsigned JSON 1.1 call; prints the body, returns 0 on HTTP 200.
emu_call() {
    local out code
    out=$(curl -s --max-time 30 -w '\n%{http_code}' -X POST \
        -H 'Content-Type: application/x-amz-json-1.1' \
        -H "X-Amz-Target: AWSCognitoIdentityService.$1" --data "${2:-{\}}" "$EMU_URL/")
    code=${out##*$'\n'}
    printf '%s\n' "${out%$'\n'*}"
    [ "$code" = 200 ]
}
