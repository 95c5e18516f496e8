#!/usr/bin/env bash
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
)
invalid=()
for f in "$root"/tests/data/manifests/invalid/*.yaml; do
    name=$(basename "$f" .yaml)
    skip=0
    for c in "${c_only[@]}"; do [ "$c" = "$name" ] && skip=1; done
    [ $skip -eq 0 ] && invalid+=("$f")
done
valid=("$root"/examples/*/*.yaml "$root"/tests/data/manifests/valid/*.yaml)
[ ${#invalid[@]} -ge 50 ] || { echo "test_json_schema: only ${#invalid[@]} invalid fixtures" >&2; exit 1; }
node "$root/tests/conformance/json_schema/validate.js" "$root/schema/identity-pool.schema.json" \
    --valid "${valid[@]}" --invalid "${invalid[@]}"
