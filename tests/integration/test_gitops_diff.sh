#!/usr/bin/env bash
# SPDX-License-Identifier: Apache-2.0
# `diff --from A --to B`: the manifests of two git revisions compared offline (no credentials,
# no AWS config, no network), against golden files; errors at a revision carry REV:path
# positions; a bare repository, a dirty work tree, a sub-folder, symbolic links and a
# submodule in the manifest folder. The fixture repository is built with the git CLI with
# fixed dates, in a temporary folder.
set -euo pipefail
: "${CR_SOURCE_DIR:?run under ctest}" "${CR_BIN_DIR:?run under ctest}"
CR="$CR_BIN_DIR/cognito-reconcile"
GOLDEN="$CR_SOURCE_DIR/tests/data/golden"
T=$(mktemp -d "${TMPDIR:-/tmp}/cr-gitops-diff.XXXXXX")
trap 'rm -rf "$T"' EXIT
STEP=""
fail() {
    echo "FAIL [$STEP]: $*" >&2
    [ -f "$T/out" ] && { echo "--- stdout ---" >&2; head -c 4000 "$T/out" >&2; }
    [ -f "$T/err" ] && { echo "--- stderr ---" >&2; head -c 4000 "$T/err" >&2; }
    exit 1
}
step() { STEP="$*"; echo "== $*"; }

# No credentials and no AWS configuration at all: diff must not need them.
unset AWS_ACCESS_KEY_ID AWS_SECRET_ACCESS_KEY AWS_SESSION_TOKEN AWS_PROFILE AWS_ROLE_ARN \
    AWS_WEB_IDENTITY_TOKEN_FILE AWS_REGION AWS_DEFAULT_REGION AWS_ENDPOINT_URL
export HOME="$T/home" AWS_CONFIG_FILE="$T/none/config" AWS_SHARED_CREDENTIALS_FILE="$T/none/creds"
export NO_COLOR=1 AWS_EC2_METADATA_DISABLED=true
mkdir -p "$HOME"
export GIT_CONFIG_NOSYSTEM=1 GIT_AUTHOR_NAME=Test GIT_AUTHOR_EMAIL=test@example.com
export GIT_COMMITTER_NAME=Test GIT_COMMITTER_EMAIL=test@example.com
n=0
commit() { # commit MESSAGE [git commit options]
    n=$((n + 1))
    GIT_AUTHOR_DATE="2026-01-0${n}T12:00:00Z" GIT_COMMITTER_DATE="2026-01-0${n}T12:00:00Z" \
        git -C "$R" commit -q -m "$@"
}

# run STATUS ARGS...: cognito-reconcile with stdout/stderr in $T/out, $T/err.
run() {
    local want=$1 rc=0
    shift
    "$CR" "$@" >"$T/out" 2>"$T/err" || rc=$?
    [ "$rc" -eq "$want" ] || fail "cognito-reconcile $* exited $rc, expected $want"
}
# Replaces the commit ids of v1 and v2 (full, then short) so golden files are stable.
ids() {
    sed -e "s/$V1/<v1>/g; s/$V2/<v2>/g; s/${V1:0:12}/<v1-short>/g; s/${V2:0:12}/<v2-short>/g" "$1"
}
golden() {
    local name=$1 file=$2
    if [ "${CR_UPDATE_GOLDEN:-}" = 1 ]; then
        ids "$file" >"$GOLDEN/$name"
        return
    fi
    ids "$file" | diff -u "$GOLDEN/$name" - >"$T/golden.diff" ||
        { cat "$T/golden.diff" >&2; fail "output differs from $GOLDEN/$name (CR_UPDATE_GOLDEN=1 rewrites it)"; }
}
expect_in() { grep -qF -- "$2" "$1" || fail "'$2' not in $1"; }

pool() { # pool NAME REGION then spec lines on stdin
    printf 'apiVersion: cognito-reconcile/v1\nkind: IdentityPool\nmetadata:\n  name: %s\n  region: %s\n' "$1" "$2"
    [ -n "${3:-}" ] && printf '  id: %s\n' "$3"
    printf 'spec:\n'
    cat
}

step "a repository with history"
R="$T/repo"
git init -q -b main "$R"
mkdir -p "$R/stacks/team" "$R/secrets"
pool web us-east-1 >"$R/stacks/web.yaml" <<'EOF'
  identityPoolName: Web
  allowUnauthenticatedIdentities: false
  supportedLoginProviders: {accounts.google.com: "123-abc.apps.googleusercontent.com"}
  principalTagAttributeMaps:
    accounts.google.com: {useDefaults: false, principalTags: {team: "custom:team"}}
  tags: {team: web}
EOF
pool old eu-west-1 >"$R/stacks/team/old.yaml" <<'EOF'
  identityPoolName: Old
  allowUnauthenticatedIdentities: false
  developerProviderName: login.old
EOF
pool dev us-east-1 >"$R/stacks/dev.yml" <<'EOF'
  identityPoolName: Dev
  allowUnauthenticatedIdentities: false
  developerProviderName: login.dev
EOF
pool same us-east-1 >"$R/stacks/same.yaml" <<'EOF'
  identityPoolName: Same
  allowUnauthenticatedIdentities: true
EOF
echo "not a manifest" >"$R/stacks/README.md"
echo "broken: [" >"$R/stacks/.hidden.yaml"   # dot-names are skipped
pool secret us-east-1 >"$R/secrets/s.yaml" <<'EOF'
  identityPoolName: Secret
  allowUnauthenticatedIdentities: false
EOF
ln -s ../secrets/s.yaml "$R/stacks/outside.yaml"   # outside the folder: not followed
ln -s /etc/passwd "$R/stacks/abs.yaml"             # absolute: not followed
git -C "$R" add -A
# A submodule (gitlink) inside the manifest folder: skipped.
git -C "$R" update-index --add --cacheinfo 160000,0123456789abcdef0123456789abcdef01234567,stacks/vendor
commit "v1"
git -C "$R" tag v1
V1=$(git -C "$R" rev-parse v1)

git -C "$R" mv stacks/web.yaml stacks/web-app.yaml
pool web us-east-1 >"$R/stacks/web-app.yaml" <<'EOF'
  identityPoolName: Web App
  allowUnauthenticatedIdentities: true
  supportedLoginProviders: {accounts.google.com: "123-abc.apps.googleusercontent.com"}
  roles: {authenticated: "arn:aws:iam::123456789012:role/WebAuth"}
  principalTagAttributeMaps:
    accounts.google.com: {useDefaults: false, principalTags: {team: "custom:group", tier: "custom:tier"}}
  tags: {team: web, env: "prod <&> \"quoted\""}
EOF
sed -i 's/login.dev$/login.dev2/' "$R/stacks/dev.yml"
git -C "$R" rm -q stacks/team/old.yaml
mkdir -p "$R/stacks/team"
pool new us-east-1 us-east-1:0b6f1d2e-aaaa-4bbb-8ccc-0123456789ab >"$R/stacks/team/new.yaml" <<'EOF'
  identityPoolName: New
  allowUnauthenticatedIdentities: false
EOF
git -C "$R" add -A
commit "v2"
git -C "$R" tag -a -m "release 2" v2
V2=$(git -C "$R" rev-parse 'v2^{commit}')

git -C "$R" checkout -q -b broken
sed -i 's/allowUnauthenticatedIdentities: true/allowUnauthenticatedIdentities: maybe/' "$R/stacks/web-app.yaml"
git -C "$R" commit -q -am "broken"
git -C "$R" checkout -q main
cd "$R"

step "text, JSON and Markdown against golden files (exit 2: differences)"
run 2 diff --from v1 --to v2 stacks
golden diff_v1_v2.txt "$T/out"
run 2 diff --from v1 --to v2 stacks --output json
golden diff_v1_v2.json "$T/out"
run 2 diff --from v1 --to v2 stacks --output markdown
golden diff_v1_v2.md "$T/out"
[ ! -s "$T/err" ] || fail "diff wrote to stderr: $(cat "$T/err")"

step "no differences: exit 0; --to defaults to HEAD"
run 0 diff --from v2 stacks
expect_in "$T/out" "No differences between v2 ("
run 0 diff --from main --to v2 --output json
expect_in "$T/out" '"differences": false'

step "the working tree is not read (a dirty checkout does not matter)"
echo "garbage: [" >"$R/stacks/web-app.yaml"
pool extra us-east-1 >"$R/stacks/extra.yaml" <<'EOF'
  identityPoolName: Extra
  allowUnauthenticatedIdentities: false
EOF
run 2 diff --from v1 --to v2 stacks
golden diff_v1_v2.txt "$T/out"
git -C "$R" checkout -q -- stacks && rm -f "$R/stacks/extra.yaml"

step "paths are relative to the current folder; display paths to the repository root"
cd "$R/stacks"
run 2 diff --from v1 --to v2
golden diff_v1_v2.txt "$T/out"
run 2 diff --from v1 --to v2 .
golden diff_v1_v2.txt "$T/out"
cd "$R"

step "a bare repository through --git-dir"
git clone -q --bare "$R" "$T/bare.git"
cd "$T"
run 2 diff --git-dir "$T/bare.git" --from v1 --to v2 stacks
golden diff_v1_v2.txt "$T/out"
cd "$R"

step "validate --git-ref: links outside the folder and the submodule are not read"
run 0 validate --git-ref v1 stacks
expect_in "$T/out" "validated 4 pools in 4 files; 3 paths not read (--verbose lists them)"
run 0 validate --git-ref v1 --verbose stacks
expect_in "$T/err" "not read v1:stacks/outside.yaml: symbolic link not followed (points outside the folder)"
expect_in "$T/err" "not read v1:stacks/abs.yaml: symbolic link not followed"
expect_in "$T/err" "not read v1:stacks/vendor: submodule not read"
run 0 validate --git-ref v1 stacks/outside.yaml
expect_in "$T/out" "validated 1 pool in 1 file"   # named explicitly: inside the repository

step "validate --git-ref reserves a third ownership tag (revision): 48 user tags no longer fit"
git -C "$R" checkout -q -b many v2
{
    pool many us-east-1 <<'EOF'
  identityPoolName: Many
  allowUnauthenticatedIdentities: false
  tags:
EOF
    for i in $(seq 1 48); do printf '    k%02d: v\n' "$i"; done
} >"$R/stacks/many.yaml"
git -C "$R" add -A
commit "many tags"
git -C "$R" checkout -q main
git -C "$R" show many:stacks/many.yaml >"$T/many.yaml"
run 0 validate "$T/many.yaml"
run 1 validate --git-ref many stacks/many.yaml
expect_in "$T/err" "many:stacks/many.yaml:10:5: spec.tags: 48 tags plus the 3 ownership tags"

step "a pool without metadata.region: --region, the environment, or a label (no config needed)"
git -C "$R" checkout -q -b noregion v2
printf 'apiVersion: cognito-reconcile/v1\nkind: IdentityPool\nmetadata: {name: nr}\nspec:\n  identityPoolName: NR\n  allowUnauthenticatedIdentities: false\n' >"$R/stacks/nr.yaml"
git -C "$R" add -A
commit "no region"
git -C "$R" checkout -q main
run 2 diff --from v2 --to noregion stacks
expect_in "$T/out" '+ added identity pool "nr" in (default region) (noregion:stacks/nr.yaml:1:1)'
expect_in "$T/out" 'Diff: 1 added, 0 changed, 0 replaced, 0 removed.'
run 2 diff --from noregion --to v2 stacks
expect_in "$T/out" 'Diff: 0 added, 0 changed, 0 replaced, 1 removed.'
AWS_REGION=eu-west-2 run 2 diff --from v2 --to noregion stacks
expect_in "$T/out" '+ added identity pool "nr" in eu-west-2'
run 2 diff --from v2 --to noregion --region us-west-1 stacks
expect_in "$T/out" '+ added identity pool "nr" in us-west-1'

step "principal-tag maps: undeclared providers compare equal; sections follow the plan rules"
git -C "$R" checkout -q -b ptags v2
pool pt us-east-1 >"$R/stacks/pt.yaml" <<'EOF'
  identityPoolName: PT
  allowUnauthenticatedIdentities: false
  supportedLoginProviders: {accounts.google.com: "1", graph.facebook.com: "2"}
  principalTagAttributeMaps:
    accounts.google.com: {useDefaults: false, principalTags: {team: "custom:team"}}
EOF
git -C "$R" add -A
commit "pt"
git -C "$R" tag ptags-1
sed -i 's/identityPoolName: PT$/identityPoolName: PT2/' "$R/stacks/pt.yaml"
commit "pt renamed" -a
git -C "$R" tag ptags-2
sed -i '/principalTagAttributeMaps:/,$d' "$R/stacks/pt.yaml"
commit "pt leaves principal tags alone" -a
git -C "$R" checkout -q main
# graph.facebook.com has no declared map: cleared at both revisions, so no difference
run 2 diff --from ptags-1 --to ptags-2 stacks
expect_in "$T/out" '~ changed identity pool "pt" in us-east-1 (ptags-2:stacks/pt.yaml:1:1)'
expect_in "$T/out" '    ~ identityPoolName: "PT" → "PT2"'
[ "$(grep -c '^    ' "$T/out")" = 1 ] || fail "more than the one field differs"
# a section that becomes unmanaged is no difference (apply leaves it alone); one that becomes
# managed shows its entries
run 0 diff --from ptags-2 --to ptags stacks
expect_in "$T/out" "No differences between ptags-2 ("
run 2 diff --from ptags --to ptags-2 stacks
expect_in "$T/out" '    + principalTagAttributeMaps["accounts.google.com"].principalTags["team"]: "custom:team"'

step "errors name the revision and the place"
run 1 diff --from v1 --to broken stacks
expect_in "$T/err" "broken:stacks/web-app.yaml:8:35: spec.allowUnauthenticatedIdentities: expected true or false"
expect_in "$T/err" "the manifests at git revision 'broken' are not valid (1 error)"
run 1 diff --from no-such-tag stacks
expect_in "$T/err" "git revision 'no-such-tag' not found in the repository"
run 1 diff --from v1 --to v2 stacks/team/old.yaml
expect_in "$T/err" "path 'stacks/team/old.yaml' does not exist at git revision 'v2'"
run 1 diff --to v2 stacks
expect_in "$T/err" "--from REV is required"
run 1 validate --git-dir "$R" stacks
expect_in "$T/err" "--git-dir needs --git-ref"
run 1 validate --git-ref 'HEAD^{tree}' stacks
expect_in "$T/err" "git revision 'HEAD^{tree}' names a tree, not a commit"
run 1 diff --from v1 --output junit
expect_in "$T/err" "--output junit is only for drift"
mkdir -p "$T/plain"
cd "$T/plain"
GIT_CEILING_DIRECTORIES="$T" run 1 diff --from v1   # discovery honours git's environment
expect_in "$T/err" "not a git repository"
run 1 diff --git-dir "$T/plain" --from v1
expect_in "$T/err" "--git-dir '$T/plain': not a git repository"
cd "$R"
echo "PASS"
