#!/usr/bin/env bash
# SPDX-License-Identifier: Apache-2.0
# bench/validate: `cognito-reconcile validate` on 10,000 pools across 100 files, against a
# baseline that only parses the same files with libyaml (events, no tree, no checks).
# Prints wall time, CPU time and peak RSS of both and the ratios; fails if validate misses its
# targets: under 1 s and under 100 MiB peak.   usage: bench/validate/run.sh BUILD_DIR [POOLS FILES]
# The 1 s target is judged on CPU time (user + system, all threads): it does not grow when other
# work shares the cores, and on an idle machine it is at least the wall time of the part that
# runs on one core, so it is the stricter and the reproducible judge. Wall time is printed too.
set -euo pipefail
build=$(cd "${1:?usage: run.sh BUILD_DIR [POOLS FILES]}" && pwd)
pools=${2:-10000}
files=${3:-100}
here=$(cd "$(dirname "$0")" && pwd)
cli="$build/cmd/cognito-reconcile"
baseline="$build/bench/validate/bench_yaml_baseline"
wrapper="$build/bench/validate/bench_peak_rss"
for bin in "$cli" "$baseline" "$wrapper"; do
    [ -x "$bin" ] || { echo "bench/validate: $bin is not built" >&2; exit 1; }
done
tmp=$(mktemp -d "${TMPDIR:-/tmp}/cr-bench-validate-XXXXXX")
trap 'rm -rf "$tmp"' EXIT
python3 "$here/gen.py" "$tmp/manifests" "$pools" "$files" >/dev/null
bytes=$(cat "$tmp"/manifests/*.yaml | wc -c)
cat "$tmp"/manifests/*.yaml >/dev/null # warm the page cache for both runs

# measure NAME CMD... -> sets ms, kb and cpu_ms (the run of 3 with the least CPU time: its wall
# time, peak RSS and user+system CPU time)
measure() {
    local name=$1 best_ms= best_kb= best_cpu= i out
    shift
    for i in 1 2 3; do
        if [ -x /usr/bin/time ]; then
            if ! /usr/bin/time -o "$tmp/time" -f "%U %S %e %M" "$@" >/dev/null 2>"$tmp/err"; then
                echo "bench/validate: $name failed:" >&2
                cat "$tmp/err" >&2
                exit 1
            fi
            read -r u sy e kb < <(tail -1 "$tmp/time")
            ms=$(awk -v s="$e" 'BEGIN { printf "%d", s * 1000 }')
            cpu=$(awk -v u="$u" -v s="$sy" 'BEGIN { printf "%d", (u + s) * 1000 }')
        else
            out=$("$wrapper" "$@" 2>&1 >/dev/null | tail -1) || {
                echo "bench/validate: $name failed: $out" >&2; exit 1; }
            ms=$(printf '%s' "$out" | sed 's/.*wall_ms=\([0-9]*\).*/\1/')
            kb=$(printf '%s' "$out" | sed 's/.*peak_rss_kb=\([0-9]*\).*/\1/')
            cpu=$(printf '%s' "$out" | sed 's/.*cpu_ms=\([0-9]*\).*/\1/')
        fi
        if [ -z "$best_cpu" ] || [ "$cpu" -lt "$best_cpu" ]; then
            best_ms=$ms best_kb=$kb best_cpu=$cpu
        fi
    done
    ms=$best_ms kb=$best_kb cpu_ms=$best_cpu
}

measure validate "$cli" validate "$tmp/manifests"
v_ms=$ms v_kb=$kb v_cpu=$cpu_ms
measure baseline "$baseline" "$tmp"/manifests/*.yaml
b_ms=$ms b_kb=$kb b_cpu=$cpu_ms
"$cli" validate "$tmp/manifests" # prints "validated N pools in M files"

ratio=$(awk -v a="$v_ms" -v b="$b_ms" 'BEGIN { if (b < 1) b = 1; printf "%.1f", a / b }')
printf 'input:     %d pools in %d files, %d bytes\n' "$pools" "$files" "$bytes"
printf 'validate:  %5d ms wall  %5d ms CPU  peak RSS %6.1f MiB\n' "$v_ms" "$v_cpu" \
    "$(awk -v k="$v_kb" 'BEGIN{print k/1024}')"
printf 'baseline:  %5d ms wall  %5d ms CPU  peak RSS %6.1f MiB  (libyaml events only)\n' \
    "$b_ms" "$b_cpu" "$(awk -v k="$b_kb" 'BEGIN{print k/1024}')"
printf 'ratio:     validate / baseline = %sx wall, %sx CPU\n' "$ratio" \
    "$(awk -v a="$v_cpu" -v b="$b_cpu" 'BEGIN { if (b < 1) b = 1; printf "%.1f", a / b }')"
printf 'machine:   %s cores, load average %s\n' "$(nproc)" "$(cut -d' ' -f1-3 /proc/loadavg)"
printf 'judged on: CPU time (%d ms; wall %d ms depends on the load of the machine)\n' \
    "$v_cpu" "$v_ms"
status=0
[ "$v_cpu" -lt 1000 ] || { echo "bench/validate: over the 1 s target (CPU time)" >&2; status=1; }
[ "$v_kb" -lt $((100 * 1024)) ] || { echo "bench/validate: over the 100 MiB target" >&2; status=1; }
[ $status -eq 0 ] && echo "targets:   under 1 s CPU and under 100 MiB: met"
exit $status
