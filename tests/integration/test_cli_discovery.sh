#!/usr/bin/env bash
# SPDX-License-Identifier: Apache-2.0
# Which files are manifests (issue 10): a repository mixing our manifests with other YAML
# (CI pipelines, Kubernetes objects, Helm values and templates) validates and plans; the
# other files are skipped and counted, listed with --verbose; a document meant to be ours
# with a broken apiVersion is still an error at its position; --exclude and
# .cognito-reconcile-ignore leave paths out, the same on disk and at --git-ref; and
# `validate examples/` succeeds.
. "$CR_SOURCE_DIR/tests/integration/cli_lib.sh"
cli_setup
export GIT_CONFIG_NOSYSTEM=1 GIT_AUTHOR_NAME=Test GIT_AUTHOR_EMAIL=test@example.com
export GIT_COMMITTER_NAME=Test GIT_COMMITTER_EMAIL=test@example.com

step "validate examples/ (stack folders and CI pipelines side by side)"
run_cr 0 validate "$CR_SOURCE_DIR/examples"
expect_in "$T/out" "validated 6 pools and 1 test (11 cases) in 6 files; skipped 4 files that are not cognito-reconcile manifests (--verbose lists them)"
run_cr 0 validate "$CR_SOURCE_DIR/examples" --verbose
expect_in "$T/err" "examples/ci/github-actions.yml: not a cognito-reconcile manifest (no apiVersion or kind)"
expect_in "$T/err" "examples/ci/gitlab-ci.yml: not a cognito-reconcile manifest"
expect_not_in "$T/out" "(--verbose lists them)"

step "a mixed repository: other YAML is skipped, counted and listed"
R="$T/repo"
mkdir -p "$R"
git -C "$R" init -q
mkdir -p "$R/stacks" && pool_yaml web >"$R/stacks/web.yaml"
pool_yaml api >"$R/stacks/api.yml"
mkdir -p "$R/k8s" "$R/.github/workflows" "$R/charts/app/templates"
cat >"$R/k8s/deploy.yaml" <<'EOF'
apiVersion: apps/v1
kind: Deployment
metadata: {name: web}
spec:
  replicas: 2
---
apiVersion: v1
kind: Service
metadata: {name: web}
EOF
cat >"$R/ci.yml" <<'EOF'
on: push
jobs:
  plan: {runs-on: ubuntu-latest, steps: [{run: cognito-reconcile plan stacks}]}
EOF
printf 'replicaCount: 1\nimage: {repository: nginx}\n' >"$R/charts/app/values.yaml"
# A Helm template is not YAML before rendering; this one even mentions our field.
cat >"$R/charts/app/templates/pool.yaml" <<'EOF'
apiVersion: v1
kind: ConfigMap
data:
{{- range .Values.pools }}
  identityPoolName: {{ .name }}
{{- end }}
EOF
cd "$R"
run_cr 1 validate .
expect_in "$T/err" "charts/app/templates/pool.yaml:5:3: invalid YAML"
expect_in "$T/err" "1 error in 1 file"

step ".cognito-reconcile-ignore leaves the templates out (gitignore syntax)"
printf '# Helm templates are not YAML\ncharts/*/templates/\n' >"$R/.cognito-reconcile-ignore"
run_cr 0 validate .
expect_in "$T/out" "validated 2 pools in 2 files; skipped 3 files that are not cognito-reconcile manifests"
run_cr 0 validate . --verbose
expect_in "$T/err" "excluded charts/app/templates: excluded by .cognito-reconcile-ignore:2 ('charts/*/templates/')"
expect_in "$T/err" "skipped k8s/deploy.yaml: not a cognito-reconcile manifest (apiVersion 'apps/v1', kind 'Deployment')"
expect_in "$T/err" "skipped ci.yml: not a cognito-reconcile manifest (no apiVersion or kind)"
expect_in "$T/err" "skipped charts/app/values.yaml: not a cognito-reconcile manifest (no apiVersion or kind)"
run_cr 0 validate . --output json
json_get "$T/out" 'd["pools"] == 2 and d["files"] == 2 and len(d["skipped"]) == 3 and d["not_read"][0]["kind"] == "excluded"' >"$T/ok"
[ "$(cat "$T/ok")" = true ] || fail "validate --output json: $(cat "$T/out")"

step "--exclude (repeatable) drops paths the same way"
run_cr 0 validate . --exclude k8s/ --exclude ci.yml
expect_in "$T/out" "validated 2 pools in 2 files; skipped 1 file that is not a cognito-reconcile manifest"
run_cr 0 validate . --exclude 'stacks/api.yml'
expect_in "$T/out" "validated 1 pool in 1 file"
run_cr 1 validate . --exclude '!'
expect_in "$T/err" "--exclude '!': not a pattern"
# A file named on the command line that a pattern excludes: said so, not silently dropped.
run_cr 0 validate charts/app/templates/pool.yaml stacks/web.yaml
expect_in "$T/err" "excluded charts/app/templates/pool.yaml: excluded by .cognito-reconcile-ignore:2"
expect_in "$T/out" "validated 1 pool in 1 file"

step "the same at --git-ref: ignore files read from the revision, never from disk"
git -C "$R" add -A && git -C "$R" commit -qm one
run_cr 0 validate --git-ref HEAD .
expect_in "$T/out" "validated 2 pools in 2 files; skipped 3 files that are not cognito-reconcile manifests"
run_cr 0 validate --git-ref HEAD . --exclude k8s/ --exclude ci.yml
expect_in "$T/out" "validated 2 pools in 2 files; skipped 1 file"
rm "$R/.cognito-reconcile-ignore" # only on disk: the revision still has it
run_cr 0 validate --git-ref HEAD .
run_cr 1 validate .
expect_in "$T/err" "charts/app/templates/pool.yaml:5:3: invalid YAML"
git -C "$R" checkout -q -- .cognito-reconcile-ignore

step "a document meant to be ours with a broken apiVersion is an error at its position"
cat >"$R/stacks/typo.yaml" <<'EOF'
apiVersion: cognito-reconcil/v1
kind: IdentityPool
metadata: {name: typo}
spec: {identityPoolName: Typo, allowUnauthenticatedIdentities: false}
EOF
cat >"$R/stacks/noversion.yaml" <<'EOF'
kind: IdentityPool
metadata: {name: nov}
spec: {identityPoolName: Nov, allowUnauthenticatedIdentities: false}
EOF
run_cr 1 validate stacks
expect_in "$T/err" "stacks/noversion.yaml:1:1: missing required key 'apiVersion'"
expect_in "$T/err" "stacks/typo.yaml:1:13: unsupported apiVersion 'cognito-reconcil/v1' (expected 'cognito-reconcile/v1')"
rm "$R/stacks/typo.yaml" "$R/stacks/noversion.yaml"

step "plan reads the mixed repository: only our pools, nothing else planned"
run_cr 2 plan . --detailed-exitcode --output json
json_get "$T/out" 'sorted(p["name"] for p in d["pools"])' >"$T/names"
[ "$(cat "$T/names")" = '["api", "web"]' ] || fail "planned pools: $(cat "$T/names")"
run_cr 0 apply . --auto-approve --verbose
expect_in "$T/err" "skipped k8s/deploy.yaml"
run_cr 0 plan . --detailed-exitcode
echo "PASS"
