#!/usr/bin/env bash
# SPDX-License-Identifier: Apache-2.0
# Inputs that must not hang or exhaust (issue 9, part 4): a FIFO named on the command line is
# refused, `-` reads standard input, `<(...)` and /dev/stdin work; --prune is refused when no
# manifest (or not every manifest) was read; a huge blob at --git-ref is refused from its
# header with little memory; a truncated object makes the run fail saying the repository
# looks corrupt. Commands that used to hang run under a generous `timeout` (60 s), only so
# that a hang fails this test instead of stalling the suite; no timing decides pass or fail
# (docs/architecture.md): the messages show which path stopped the command.
. "$CR_SOURCE_DIR/tests/integration/cli_lib.sh"
cli_setup
export GIT_CONFIG_NOSYSTEM=1 GIT_AUTHOR_NAME=Test GIT_AUTHOR_EMAIL=test@example.com
export GIT_COMMITTER_NAME=Test GIT_COMMITTER_EMAIL=test@example.com

# within SECONDS STATUS ARGS...: like run_cr, under a hang guard.
within() {
    local limit=$1 want=$2 rc=0
    shift 2
    local extra=()
    case "${1:-}" in
        plan | apply | drift) extra=(--endpoint-url "$EMU_URL") ;;
    esac
    timeout "$limit" "$CR" "$1" "${extra[@]}" "${@:2}" >"$T/out" 2>"$T/err" </dev/null || rc=$?
    [ "$rc" -ne 124 ] || fail "'cognito-reconcile $*' still running after $limit s"
    [ "$rc" -eq "$want" ] || fail "'cognito-reconcile $*' exited $rc, expected $want"
}

step "a FIFO named on the command line is refused at once, not waited on"
mkfifo "$T/pipe.yaml"
within 60 1 validate "$T/pipe.yaml"
expect_in "$T/err" "path '$T/pipe.yaml' is a named pipe (FIFO), not a file"
within 60 1 plan "$T/pipe.yaml"
expect_in "$T/err" "is a named pipe (FIFO)"
within 60 1 validate /dev/null
expect_in "$T/err" "path '/dev/null' is a character device, not a manifest file or folder"

step "- reads standard input; <(...) and /dev/stdin work"
pool_yaml app >"$T/app.yaml"
rc=0
timeout 60 "$CR" validate - <"$T/app.yaml" >"$T/out" 2>"$T/err" || rc=$?
[ $rc -eq 0 ] || fail "validate - exited $rc"
expect_in "$T/out" "validated 1 pool in 1 file"
sed 's/identityPoolName/identityPoolNam/' "$T/app.yaml" | timeout 60 "$CR" validate - >"$T/out" 2>"$T/err" && fail "a broken manifest on stdin passed"
expect_in "$T/err" "<stdin>:7:3: unknown key 'identityPoolNam' (did you mean 'identityPoolName'?)"
timeout 60 "$CR" validate <(pool_yaml sub) >"$T/out" 2>"$T/err" || fail "validate <(...) failed: $(cat "$T/err")"
expect_in "$T/out" "validated 1 pool in 1 file"
timeout 60 "$CR" validate /dev/stdin <"$T/app.yaml" >"$T/out" 2>"$T/err" || fail "validate /dev/stdin failed"
pool_yaml app | timeout 60 "$CR" validate - - >"$T/out" 2>"$T/err" && fail "- twice passed"
expect_in "$T/err" "'-' (standard input) is named twice"
pool_yaml app | timeout 60 "$CR" validate --git-ref HEAD - >"$T/out" 2>"$T/err" && fail "- with --git-ref passed"
expect_in "$T/err" "cannot be read at a git revision"

step "plan - and apply - --auto-approve; apply - alone cannot prompt"
mark=$(log_mark)
rc=0
pool_yaml piped | timeout 60 "$CR" plan - --endpoint-url "$EMU_URL" --detailed-exitcode >"$T/out" 2>"$T/err" || rc=$?
[ $rc -eq 2 ] || fail "plan - exited $rc: $(cat "$T/err")"
expect_in "$T/out" "piped"
pool_yaml piped | timeout 60 "$CR" apply - --endpoint-url "$EMU_URL" >"$T/out" 2>"$T/err" && fail "apply - without --auto-approve passed"
expect_in "$T/err" "apply -: standard input holds the manifests, so it cannot also answer the confirmation prompt"
expect_writes "$mark" ""
pool_yaml piped | timeout 60 "$CR" apply - --endpoint-url "$EMU_URL" --auto-approve >"$T/out" 2>"$T/err" || fail "apply - --auto-approve failed: $(cat "$T/err")"
[ -n "$(pool_id_of piped)" ] || fail "apply - did not create the pool"

step "--prune with no manifest read (*.YAML, links out of the folder) is refused, with the list"
mkdir -p "$T/upper" "$T/elsewhere" "$T/links"
pool_yaml piped >"$T/upper/piped.YAML"
pool_yaml piped >"$T/elsewhere/piped.yaml"
ln -s "$T/elsewhere/piped.yaml" "$T/links/piped.yaml"
mark=$(log_mark)
for dir in upper links; do
    within 60 1 apply "$T/$dir" --auto-approve --prune
    expect_in "$T/err" "--prune refused: no manifest was read from $T/$dir"
    expect_in "$T/err" "pass --allow-empty-prune"
    within 60 1 plan "$T/$dir" --prune
done
expect_in "$T/err" "not read $T/links/piped.yaml: symbolic link not followed"
within 60 1 plan "$T/upper" --prune
expect_in "$T/err" "not read $T/upper/piped.YAML: not read: only names ending in .yaml or .yml are"
[ "$(ops_since "$mark" all | wc -l)" -eq 0 ] || fail "the refused --prune made API calls: $(ops_since "$mark" all | tr '\n' ' ')"
[ -n "$(pool_id_of piped)" ] || fail "the pool was deleted"

step "--prune with some paths not read is refused too; a FIFO in a folder is not read"
pool_yaml other >"$T/upper/other.yaml"
mkfifo "$T/upper/fifo.yaml"
within 60 1 plan "$T/upper" --prune
expect_in "$T/err" "--prune refused: 2 paths that may hold manifests were not read"
expect_in "$T/err" "not read $T/upper/fifo.yaml: a named pipe (FIFO)"
within 60 0 plan "$T/upper"   # without --prune: fine, and validate says what it left out
within 60 0 validate "$T/upper"
expect_in "$T/out" "validated 1 pool in 1 file; 2 paths not read (--verbose lists them)"
within 60 2 drift "$T/upper" --prune   # drift only reports: not refused

step "--allow-empty-prune goes ahead (tearing the stack down is a choice)"
mkdir -p "$T/empty"
within 60 2 plan "$T/empty" --prune --allow-empty-prune --detailed-exitcode
expect_in "$T/out" "piped"
within 60 0 apply "$T/upper" --auto-approve --prune --allow-empty-prune
[ -z "$(pool_id_of piped)" ] || fail "--allow-empty-prune did not prune"

step "a huge blob at --git-ref: refused from its header, with little memory"
R="$T/repo"
git init -q "$R"
pool_yaml small >"$R/small.yaml"
git -C "$R" add small.yaml
big=$(head -c $((128 * 1024 * 1024)) /dev/zero | git -C "$R" hash-object -w --stdin)
git -C "$R" update-index --add --cacheinfo "100644,$big,big.yaml"
git -C "$R" commit -qm big
cd "$R"
# Peak memory of cognito-reconcile and its children, from the kernel's accounting.
"$PY" -S - "$CR" "$T" <<'EOF' || fail "the 128 MiB blob: $(cat "$T/err")"
import resource, subprocess, sys
cr, t = sys.argv[1], sys.argv[2]
with open(t + "/out", "w") as out, open(t + "/err", "w") as err:
    rc = subprocess.run([cr, "validate", "--git-ref", "HEAD", "."], stdout=out, stderr=err, timeout=60).returncode
peak_kib = resource.getrusage(resource.RUSAGE_CHILDREN).ru_maxrss
print("exit %d, peak %d KiB" % (rc, peak_kib))
sys.exit(0 if rc == 1 and peak_kib < 64 * 1024 else 1)
EOF
expect_in "$T/err" "HEAD:big.yaml: file is 134217728 bytes, larger than the limit of 16777216 bytes (not read)"

step "a truncated commit object: the watchdog stops the read, the repository looks corrupt"
commit=$(git -C "$R" rev-parse HEAD)
obj="$R/.git/objects/${commit:0:2}/${commit:2}"
chmod u+w "$obj"
head -c $(($(stat -c %s "$obj") / 2)) "$obj" >"$T/half" && cat "$T/half" >"$obj"
COGNITO_RECONCILE_GIT_STALL_SECONDS=2 within 60 1 validate --git-ref HEAD .
expect_in "$T/err" "the repository looks corrupt (run git fsck)"
expect_in "$T/err" "git revision 'HEAD': reading the commit HEAD made no progress for 2 s"
COGNITO_RECONCILE_GIT_STALL_SECONDS=2 within 60 1 plan --git-ref HEAD .
expect_in "$T/err" "the repository looks corrupt (run git fsck)"
echo "PASS"
