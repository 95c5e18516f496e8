#!/usr/bin/env bash
# SPDX-License-Identifier: Apache-2.0
# SIGINT/SIGTERM of an apply that holds no lock (docs/cli.md "apply"), as in a CI job that is
# cancelled or a Ctrl-C at a terminal. Before the first write call the run ends at once with
# 130/143 and nothing changed; during the writes the calls in flight finish, no further call
# is made, the report lists what was done and what was not attempted, the status is 130/143;
# the next apply converges. Asserted on the emulator's request log, its calls delayed so that
# the signal lands inside the phase under test.
. "$CR_SOURCE_DIR/tests/integration/cli_lib.sh"
cli_setup
BG_PID=""
stop_bg() {
    [ -n "$BG_PID" ] && kill -9 "$BG_PID" 2>/dev/null
    cli_cleanup
}
trap stop_bg EXIT
bg_apply() { # bg_apply NAME ARGS...
    local name=$1
    shift
    "$CR" apply --endpoint-url "$EMU_URL" --auto-approve "$@" >"$T/$name.out" 2>"$T/$name.err" \
        </dev/null &
    BG_PID=$!
}
bg_wait() { # bg_wait STATUS NAME
    local rc=0
    wait "$BG_PID" || rc=$?
    BG_PID=""
    [ "$rc" -eq "$1" ] || { cat "$T/$2.err" >&2; fail "apply '$2' exited $rc, expected $1"; }
}
for n in 1 2 3 4; do pool_yaml "p$n" >"$T/m/p$n.yaml"; done
run_cr 0 apply "$T/m" --auto-approve
rename_all() { sed -i "s/identityPoolName: .*/identityPoolName: $1/" "$T"/m/p*.yaml; }

step "SIGTERM while reading: exit 143, nothing changed"
rename_all Second
emu_faults '[{"operation":"DescribeIdentityPool","latency_ms":1500}]'
mark=$(log_mark)
bg_apply read "$T/m"
wait_said "the read" "$T/read.err" "reading live state"
kill -TERM "$BG_PID"
bg_wait 143 read
expect_in "$T/read.err" "interrupted (SIGTERM)"
expect_in "$T/read.err" "nothing was changed"
expect_writes "$mark" ""

step "SIGINT during the writes: the call in flight finishes, nothing more, the report, exit 130"
emu_faults '[{"operation":"UpdateIdentityPool","latency_ms":1500}]'
mark=$(log_mark)
bg_apply int "$T/m" --parallelism 1
wait_said "the writes" "$T/int.err" "applying 4 calls"
kill -INT "$BG_PID"
bg_wait 130 int
expect_in "$T/int.err" "interrupted (SIGINT): stopping once the calls in flight have answered"
expect_in "$T/int.err" "error: interrupted (SIGINT): stopped before the next write call"
expect_in "$T/int.err" "not attempted (3):"
expect_in "$T/int.err" "succeeded (1):"
expect_writes "$mark" "UpdateIdentityPool"
emu_faults '[]'
run_cr 2 plan "$T/m" --detailed-exitcode
run_cr 0 apply "$T/m" --auto-approve
run_cr 0 plan "$T/m" --detailed-exitcode

echo "PASS: apply signals without a lock"
