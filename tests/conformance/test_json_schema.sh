#!/usr/bin/env bash
# SPDX-License-Identifier: Apache-2.0
# The editor JSON Schema (schema/identity-pool.schema.json, draft 2020-12) checked with Ajv:
# every example and valid fixture validates; every invalid fixture is rejected, except the
# few whose problem only `cognito-reconcile validate` can see (listed below with the reason).
set -euo pipefail
root=${CR_SOURCE_DIR:-$(cd "$(dirname "$0")/../.." && pwd)}
modules="$root/tests/node_modules"
if ! command -v node >/dev/null 2>&1; then
    echo "test_json_schema: node is not installed (needed for Ajv)" >&2
    exit 1
fi
if [ ! -d "$modules/ajv" ] || [ ! -d "$modules/yaml" ]; then
    echo "test_json_schema: $modules has no ajv/yaml: run 'make npm' (scripts/npm-deps.sh) first" >&2
    exit 1
fi
# Checks beyond one value, which JSON Schema cannot express:
c_only=(
    034-role-mapping-unknown-provider      # keys must be providers configured on the pool
    046-principal-tags-unknown-provider    # same
    080-role-mapping-user-pool-without-client # same
    081-principal-tags-oidc-host           # same
    055-metadata-name-duplicate            # across documents
    059-metadata-id-adopted-twice          # across documents
    058-metadata-id-region-mismatch        # compares two fields
    064-invalid-utf8                       # node decodes bad bytes to U+FFFD before the schema
    066-complex-key                        # the yaml package turns [a, b] into the key "a,b"
    084-account-unknown-reference          # metadata.account names an Account of the run
    085-account-duplicate-name             # across documents
    089-account-role-in-other-account      # compares two fields
    091-pool-name-duplicate-in-account     # across documents
    092-account-id-twice                   # across documents
    095-account-id-region-mismatch         # compares two documents
    084-test-unknown-pool-suggestion       # spec.pool must name a pool of the manifests
    085-test-login-not-a-provider          # a login must be a provider of that pool
    086-test-login-user-pool-without-client # same
    094-test-duplicate-case-name           # unique by one property of the items
    100-test-pool-in-two-regions           # across documents
    101-test-pool-in-two-accounts          # across documents
    102-test-pool-not-in-account           # across documents
)
invalid=()
for f in "$root"/tests/data/manifests/invalid/*.yaml; do
    name=$(basename "$f" .yaml)
    skip=0
    for c in "${c_only[@]}"; do [ "$c" = "$name" ] && skip=1; done
    [ $skip -eq 0 ] && invalid+=("$f")
done
# The examples' manifests (examples/kubernetes and examples/systemd hold other YAML: watch's
# deployments; test_watch_examples checks those)
examples=()
for f in "$root"/examples/*/*.yaml; do
    if grep -q '^apiVersion: cognito-reconcile/' "$f"; then examples+=("$f"); fi
done
[ ${#examples[@]} -ge 5 ] || { echo "test_json_schema: only ${#examples[@]} example manifests" >&2; exit 1; }
valid=("${examples[@]}" "$root"/tests/data/manifests/valid/*.yaml)
[ ${#invalid[@]} -ge 50 ] || { echo "test_json_schema: only ${#invalid[@]} invalid fixtures" >&2; exit 1; }
node "$root/tests/conformance/json_schema/validate.js" "$root/schema/identity-pool.schema.json" \
    --valid "${valid[@]}" --invalid "${invalid[@]}"

# The command agrees with the schema and with the fixtures: every valid file exits 0, every
# invalid fixture exits 1 printing exactly its .expected lines (then the summary), and the
# JSON output carries the same diagnostics.
cli=${CR_BIN_DIR:-$root/build/cmd}/cognito-reconcile
if [ ! -x "$cli" ]; then
    echo "test_json_schema: $cli is not built" >&2
    exit 1
fi
tmp=$(mktemp -d)
trap 'rm -rf "$tmp"' EXIT
mkdir -p "$tmp/json"
cd "$root"
failures=0
# An example folder is read as one set (its tests name pools of other files); a fixture alone.
mapfile -t example_dirs < <(printf '%s\n' "${examples[@]#"$root"/}" | xargs -n1 dirname | sort -u)
for f in "${example_dirs[@]}" tests/data/manifests/valid/*.yaml; do
    if ! "$cli" validate "$f" >"$tmp/out" 2>"$tmp/err"; then
        echo "FAIL validate $f: exit $?" >&2
        cat "$tmp/err" >&2
        failures=$((failures + 1))
    fi
done
for f in tests/data/manifests/invalid/*.yaml; do
    status=0
    "$cli" validate "$f" >"$tmp/out" 2>"$tmp/err" || status=$?
    n=$(wc -l <"${f%.yaml}.expected")
    if [ "$status" -ne 1 ] || ! head -n "$n" "$tmp/err" | cmp -s - "${f%.yaml}.expected" ||
        ! tail -n 1 "$tmp/err" | grep -Eq '^[0-9]+ errors? in 1 file$'; then
        echo "FAIL validate $f (exit $status):" >&2
        diff "${f%.yaml}.expected" "$tmp/err" >&2 || true
        failures=$((failures + 1))
        continue
    fi
    status=0
    "$cli" validate --output json "$f" >"$tmp/json/$(basename "$f" .yaml).json" 2>/dev/null ||
        status=$?
    if [ "$status" -ne 1 ]; then
        echo "FAIL validate --output json $f: exit $status" >&2
        failures=$((failures + 1))
    fi
done
# One node process compares every JSON document with its .expected lines.
node -e '
    const fs = require("fs");
    const path = require("path");
    const [jsonDir, fixtureDir] = process.argv.slice(1);
    let bad = 0;
    for (const name of fs.readdirSync(jsonDir)) {
        const doc = JSON.parse(fs.readFileSync(path.join(jsonDir, name), "utf8"));
        const expected = path.join(fixtureDir, name.replace(/\.json$/, ".expected"));
        const want = fs.readFileSync(expected, "utf8").split("\n").filter(Boolean);
        const got = doc.diagnostics.map(d => `${d.file}:${d.line}:${d.column}: ${d.message}`);
        const ok = doc.format_version === "1" && doc.valid === false &&
                   JSON.stringify(got) === JSON.stringify(want) &&
                   doc.diagnostics.every(d => typeof d.path === "string");
        if (!ok) {
            console.error(`FAIL validate --output json ${name}: ${JSON.stringify(got)}`);
            bad++;
        }
    }
    process.exit(bad ? 1 : 0);' "$tmp/json" tests/data/manifests/invalid || failures=$((failures + 1))
echo "validate command: $failures failures over the examples and fixtures"
[ "$failures" -eq 0 ]
