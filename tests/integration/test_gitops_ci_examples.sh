#!/usr/bin/env bash
# SPDX-License-Identifier: Apache-2.0
# examples/ci (issue 6): the GitHub Actions and GitLab CI files parse as YAML, have the jobs
# the issue asks for (plan on review with a Markdown body, apply on the main branch with OIDC
# credentials and --git-ref, a scheduled drift job with a JUnit report that fails on exit 2),
# and every cognito-reconcile command in them uses a verb and options that the built binary
# accepts for that verb (so the examples cannot drift from the CLI). The GitHub workflow runs
# the project's action (action.yml): its `with:` keys must be inputs of action.yml, its
# command one the action takes, its args options of that command. Both serialise their applies
# with the CI system's own means (GitHub `concurrency:` that never cancels a running apply,
# GitLab `resource_group:`) and configure the run lock with a URL the program accepts
# (docs/locking.md). Offline, no emulator.
set -euo pipefail
: "${CR_SOURCE_DIR:?run under ctest}" "${CR_BIN_DIR:?run under ctest}"
CR="$CR_BIN_DIR/cognito-reconcile"
PY=/usr/bin/python3
[ -x "$PY" ] || PY=$(command -v python3)
T=$(mktemp -d "${TMPDIR:-/tmp}/cr-ci-examples.XXXXXX")
trap 'rm -rf "$T"' EXIT

for verb in validate plan apply drift export diff; do
    "$CR" "$verb" --help >"$T/help-$verb" 2>&1 || { echo "FAIL: $verb --help" >&2; exit 1; }
done

"$PY" - "$CR_SOURCE_DIR/examples/ci" "$T" "$CR_SOURCE_DIR/action.yml" "$CR" <<'EOF'
import re, shlex, subprocess, sys, yaml

ci, helps, action_file, cr = sys.argv[1], sys.argv[2], sys.argv[3], sys.argv[4]
failures = []

def fail(msg):
    failures.append(msg)

def options_of(verb):
    with open(f"{helps}/help-{verb}") as f:
        return set(re.findall(r"^\s+(--[a-z][a-z-]*)", f.read(), re.M))

def commands(text):
    """Every cognito-reconcile invocation in a shell snippet, continuation lines joined."""
    text = text.replace("\\\n", " ")
    for line in text.splitlines():
        for m in re.finditer(r"cognito-reconcile\s+([^|;&>]*)", line):
            yield m.group(1)

def check_commands(where, scripts):
    seen = []
    for script in scripts:
        for cmd in commands(script):
            words = shlex.split(cmd, posix=True)
            if not words or words[0].startswith("-"):
                continue
            verb = words[0]
            try:
                known = options_of(verb)
            except FileNotFoundError:
                fail(f"{where}: unknown verb in 'cognito-reconcile {cmd.strip()}'")
                continue
            for w in words[1:]:
                opt = w.split("=", 1)[0]
                if opt.startswith("--") and opt not in known:
                    fail(f"{where}: 'cognito-reconcile {verb}' has no option {opt}")
            seen.append((verb, words[1:]))
    return seen

def has(seen, verb, *opts):
    return any(v == verb and all(o in args for o in opts) for v, args in seen)

with open(action_file) as f:
    action_inputs = set(yaml.safe_load(f)["inputs"])
# What the action adds to each command (scripts/github-action.sh; release/test_github_action
# checks that it does): the Markdown report, and plan's detailed exit code, apply's approval.
ACTION_ADDS = {"validate": [], "plan": ["--output", "markdown", "--detailed-exitcode"],
               "apply": ["--output", "markdown", "--auto-approve"],
               "drift": ["--output", "markdown"]}

def action_commands(where, job):
    """The cognito-reconcile commands the project's action runs in a job's steps."""
    seen = []
    for step in job.get("steps", []) or []:
        if not str(step.get("uses", "")).startswith("cognito-reconcile/cognito-reconcile@"):
            continue
        given = step.get("with", {}) or {}
        for key in sorted(set(given) - action_inputs):
            fail(f"{where}: the action has no input '{key}'")
        verb = given.get("command")
        if verb not in ACTION_ADDS:
            fail(f"{where}: the action does not run '{verb}'")
            continue
        words = [verb, "--stack", str(given.get("stack", "default"))]
        words += shlex.split(str(given.get("args", ""))) + ACTION_ADDS[verb]
        seen += check_commands(f"{where} (action)", ["cognito-reconcile " + shlex.join(words)])
    return seen

def scripts_of(job, key):
    out = []
    for item in job.get(key, []) or []:
        if isinstance(item, str):
            out.append(item)
        elif isinstance(item, dict) and isinstance(item.get("run"), str):
            out.append(item["run"])
    return out

# ---- GitHub Actions
with open(f"{ci}/github-actions.yml") as f:
    gh = yaml.safe_load(f)
on = gh.get(True, gh.get("on"))  # YAML 1.1 reads the key `on` as true
if "pull_request" not in on: fail("github: no pull_request trigger")
if "main" not in on.get("push", {}).get("branches", []): fail("github: no push to main")
if not on.get("schedule"): fail("github: no schedule (nightly drift)")
jobs = gh["jobs"]
all_gh = []
for name, job in jobs.items():
    seen = check_commands(f"github job {name}", scripts_of(job, "steps"))
    seen += action_commands(f"github job {name}", job)
    all_gh += seen
    if name in ("apply", "drift") and job.get("permissions", {}).get("id-token") != "write":
        fail(f"github job {name}: no id-token: write (OIDC)")
if not has(all_gh, "plan", "--output", "markdown"): fail("github: no Markdown plan")
if not has(all_gh, "diff", "--from", "--to"): fail("github: no diff --from --to")
if not has(all_gh, "apply", "--git-ref", "--auto-approve"): fail("github: no apply --git-ref")
if not has(all_gh, "drift", "--output", "junit"): fail("github: no drift --output junit")
if any("--allow-rewind" in args for _, args in all_gh): fail("github: apply must not --allow-rewind")
apply_job = jobs.get("apply", {})
conc = apply_job.get("concurrency") or gh.get("concurrency") or {}
if not isinstance(conc, dict) or not conc.get("group"):
    fail("github: the apply job has no concurrency group")
elif conc.get("cancel-in-progress") is not False:
    fail("github: the apply job's concurrency must not cancel an apply in progress")

def check_lock(where, url):
    """The lock URL must be one the program accepts (its parser checks it before --help)."""
    if not url:
        fail(f"{where}: COGNITO_RECONCILE_LOCK is not configured (docs/locking.md)")
        return
    rc = subprocess.run([cr, "apply", "--lock", url, "--help"], capture_output=True).returncode
    if rc != 0:
        fail(f"{where}: COGNITO_RECONCILE_LOCK '{url}' is refused by cognito-reconcile")

check_lock("github", (gh.get("env") or {}).get("COGNITO_RECONCILE_LOCK"))
drift_text = yaml.dump(jobs.get("drift", {}))
if "'2'" not in drift_text and '"2"' not in drift_text and "has-changes == 'true'" not in drift_text:
    fail("github: drift does not fail on exit 2 (has-changes)")

# ---- GitLab CI
with open(f"{ci}/gitlab-ci.yml") as f:
    gl = yaml.safe_load(f)
all_gl = []
for name, job in gl.items():
    if not isinstance(job, dict):
        continue
    all_gl += check_commands(f"gitlab job {name}",
                             scripts_of(job, "script") + scripts_of(job, "before_script"))
if not has(all_gl, "plan", "--output", "markdown"): fail("gitlab: no Markdown plan")
if not has(all_gl, "apply", "--git-ref", "--auto-approve"): fail("gitlab: no apply --git-ref")
if not has(all_gl, "drift", "--output", "junit"): fail("gitlab: no drift --output junit")
if any("--allow-rewind" in args for _, args in all_gl): fail("gitlab: apply must not --allow-rewind")
if gl.get("drift", {}).get("artifacts", {}).get("reports", {}).get("junit") != "drift.xml":
    fail("gitlab: drift.xml is not a JUnit report artifact")
if not (gl.get("apply") or {}).get("resource_group"):
    fail("gitlab: the apply job has no resource_group")
check_lock("gitlab", (gl.get("variables") or {}).get("COGNITO_RECONCILE_LOCK"))
template = gl.get(".cognito-reconcile", {})
if "id_tokens" not in template: fail("gitlab: no id_tokens (OIDC)")

for msg in failures:
    print("FAIL:", msg, file=sys.stderr)
print(f"checked {len(all_gh)} GitHub and {len(all_gl)} GitLab cognito-reconcile commands")
sys.exit(1 if failures else 0)
EOF
echo "PASS: CI examples"
