#!/usr/bin/env bash
# SPDX-License-Identifier: Apache-2.0
# A leading watcher renews short-lived credentials for as long as it runs: its lease keeper's
# S3 client keeps one credentials provider for the whole run, fed by a credential_process
# helper whose credentials live 2 seconds (renewed about every second). Over some 15 renewals
# the credential sets in memory (the renewal's --debug line counts them) stay a handful: a
# renewal gives up the provider's old set, the last request signed with it frees and wipes it.
# (Until this was fixed every set was kept until the provider went: one more per renewal.)
# The resident set size is printed and must not grow by more than 4 MiB; a set is a few
# hundred bytes, so RSS alone could not see this leak in seconds: the count does.
. "$CR_SOURCE_DIR/tests/integration/cli_lib.sh"
cli_setup --s3-bucket locks
. "$CR_SOURCE_DIR/tests/integration/watch_lib.sh"
repo_init
commit_file envs/web.yaml "$(pool_yaml web)" "web" >/dev/null

# the helper: the same key, a new token and a 2-second expiry on every run (counted)
cat >"$T/helper.sh" <<EOF
#!/bin/sh
n=\$(( \$(wc -l <"$T/helper.runs") + 1 ))
echo run >>"$T/helper.runs"
printf '{"Version": 1, "AccessKeyId": "%s", "SecretAccessKey": "%s", "SessionToken": "tok-%s", "Expiration": "%s"}\n' \
    "$TEST_KEY" "$TEST_SECRET" "\$n" "\$(date -u -d '+2 seconds' +%Y-%m-%dT%H:%M:%SZ)"
EOF
chmod +x "$T/helper.sh"
: >"$T/helper.runs"
printf '[profile rot]\nregion = us-east-1\ncredential_process = %s\n' "$T/helper.sh" >"$T/aws-config"
unset AWS_ACCESS_KEY_ID AWS_SECRET_ACCESS_KEY
export AWS_PROFILE=rot

renewals() { grep -c "aws credentials: renewed (credential_process of profile 'rot')" "$T/s.err" || true; }
renewals_at_least() { [ "$(renewals)" -ge "$1" ]; }
rss_kib() { sed -n 's/^VmRSS:[[:space:]]*\([0-9]*\) kB/\1/p' "/proc/${W_PID[s]}/status"; }
leader() { field_is s 'd["lease"]["leader"]' true; }

step "a leader with 2-second credentials: renewed every second, a handful of sets in memory"
ASAN_OPTIONS="${ASAN_OPTIONS:+$ASAN_OPTIONS:}quarantine_size_mb=0:thread_local_quarantine_size_kb=0" \
    watch_start s --git-url "file://$T/remote.git" --interval 200ms --debug \
    --lock s3://locks/identity/prod.lock --lock-endpoint-url "$EMU_URL" --lock-lease 2s envs
wait_for 30 "s leads" leader
wait_for 30 "3 renewals" renewals_at_least 3
rss_start=$(rss_kib)
wait_for 60 "15 renewals" renewals_at_least 15
rss_end=$(rss_kib)
echo "RSS after 3 renewals: ${rss_start} KiB; after $(renewals): ${rss_end} KiB"
echo "credential_process runs: $(wc -l <"$T/helper.runs")"
most=$(sed -n 's/.*aws credentials: renewed .*; \([0-9]*\) credential sets in memory.*/\1/p' "$T/s.err" |
    sort -n | tail -1)
echo "most credential sets in memory after a renewal: $most"
[ -n "$most" ] || fail "no renewal line counted the sets in memory"
# the keeper's provider (one set) and a cycle's providers with a request each in flight
[ "$most" -le 6 ] || fail "$most credential sets in memory after $(renewals) renewals"
[ "$rss_end" -le $((rss_start + 4096)) ] || fail "memory grew from ${rss_start} KiB to ${rss_end} KiB"
expect_not_in "$T/s.err" "$TEST_SECRET"
expect_not_in "$T/s.err" "tok-1"
[ "$(status_field s 'd["cycles"]["success"] > 0')" = true ] || fail "no cycle succeeded"
watch_stop s
[ "$W_RC" = 0 ] || fail "exit status $W_RC after SIGTERM"
echo "PASS"
