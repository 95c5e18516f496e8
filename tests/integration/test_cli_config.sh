#!/usr/bin/env bash
# SPDX-License-Identifier: Apache-2.0
# --config FILE (docs/cli.md "Configuration file"): keys are the long option names, the command
# line wins (a list given on the command line replaces the file's, PATH arguments replace
# `paths`), a key another subcommand takes is ignored, and every mistake names file:line:column
# before any API call.
. "$CR_SOURCE_DIR/tests/integration/cli_lib.sh"
cli_setup

mkdir -p "$T/m/prod" "$T/m/dev" "$T/m/drafts"
pool_yaml web >"$T/m/prod/web.yaml"
pool_yaml dev >"$T/m/dev/dev.yaml"
pool_yaml draft >"$T/m/prod/draft.yaml"
cfg="$T/cr.yaml"

step "the file's options and paths are used"
cat >"$cfg" <<EOF
# SPDX-License-Identifier: Apache-2.0
stack: from-file
paths: [$T/m/prod]
exclude:
  - draft.yaml
output: json
auto-approve: true     # apply's: plan ignores it
all: true              # export's: plan ignores it
EOF
run_cr 0 plan --config "$cfg"
[ "$(json_get "$T/out" 'd["stack"]')" = from-file ] || fail "stack: $(json_get "$T/out" 'd["stack"]')"
[ "$(json_get "$T/out" '[p["name"] for p in d["pools"]]')" = '["web"]' ] ||
    fail "pools: $(json_get "$T/out" '[p["name"] for p in d["pools"]]')"

step "the command line wins: options, lists and PATH arguments"
run_cr 0 plan --config="$cfg" --stack cli "$T/m/dev"
[ "$(json_get "$T/out" 'd["stack"]')" = cli ] || fail "stack from the command line"
[ "$(json_get "$T/out" '[p["name"] for p in d["pools"]]')" = '["dev"]' ] || fail "paths"
run_cr 0 plan --config "$cfg" --exclude web.yaml
[ "$(json_get "$T/out" '[p["name"] for p in d["pools"]]')" = '["draft"]' ] ||
    fail "--exclude did not replace the file's list: $(json_get "$T/out" '[p["name"] for p in d["pools"]]')"

step "a flag set to false, and a scalar for a repeatable option"
cat >"$cfg" <<EOF
paths: $T/m/prod
prune: false
exclude: draft.yaml
output: json
EOF
run_cr 0 plan --config "$cfg"
[ "$(json_get "$T/out" '[p["name"] for p in d["pools"]]')" = '["web"]' ] || fail "scalar exclude"

step "mistakes name file:line:column; nothing is read from AWS"
mark=$(log_mark)
refused() { # refused FILE_TEXT MESSAGE: plan with that file fails with MESSAGE
    printf '%s' "$1" >"$cfg"
    run_cr 1 plan --config "$cfg" "$T/m/prod"
    expect_in "$T/err" "$2"
}
refused $'stack: x\nstak: y\n' "$cfg:2:1: unknown option 'stak' (did you mean 'stack'?)"
refused $'paths: [.]\nparallelism: 0\n' \
    "$cfg:2:1: --parallelism: expected a whole number from 1 to 256, got '0'"
refused $'prune: maybe\n' "$cfg:1:1: expected true or false, got 'maybe'"
refused $'stack: [a, b]\n' "$cfg:1:1: 'stack' takes one value, not a list"
refused $'stack:\n  name: x\n' "$cfg:2:3: expected a value or a list of values (options do not nest)"
refused $'stack: a\nregion: b\nstack: c\n' "$cfg:3:1: key 'stack' appears twice (first at line 1)"
refused $'stack: "unterminated\n' "$cfg:"
refused $'- stack\n' "$cfg:1:1: expected a mapping of option names to values"
refused $'config: other.yaml\n' "'config' cannot be set in the configuration file"
refused $'a: &x 1\nstack: *x\n' "aliases are not supported in the configuration file"
run_cr 1 plan --config "$T/missing.yaml" "$T/m/prod"
expect_in "$T/err" "--config '$T/missing.yaml': cannot open"
[ "$(ops_since "$mark" all | wc -l)" -eq 0 ] || fail "a refused configuration made API calls"

step "an empty file is an empty configuration; validate reads it too"
: >"$cfg"
run_cr 0 validate --config "$cfg" "$T/m/prod"
printf 'paths: [%s]\nstack: v\n' "$T/m/prod" >"$cfg"
run_cr 0 validate --config "$cfg"
expect_in "$T/out" "2 pools"
echo "PASS"
