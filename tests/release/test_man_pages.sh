#!/usr/bin/env bash
# SPDX-License-Identifier: Apache-2.0
# The man pages cannot fall behind the programs (whoever adds an option must document it):
# - cognito-reconcile(1) has a "## NAME" section for every subcommand `cognito-reconcile --help`
#   lists, whose "Options:" line names exactly the options `cognito-reconcile NAME --help`
#   prints (the option table), and an entry in OPTIONS for every option of any subcommand,
#   and no entry for an option that no longer exists;
# - its ENVIRONMENT names every AWS_* / COGNITO_RECONCILE_* variable the code reads;
# - cognito-identity-local(1) documents exactly the options of `cognito-identity-local --help`;
# - cognito-reconcile-manifest(5) names every property of schema/identity-pool.schema.json.
# Reads the scdoc sources in docs/man/ and the built programs; renders nothing (that is
# release/test_install).
set -euo pipefail
: "${CR_SOURCE_DIR:?run under ctest}" "${CR_BIN_DIR:?run under ctest}"
T=$(mktemp -d "${TMPDIR:-/tmp}/cr-man.XXXXXX")
trap 'rm -rf "$T"' EXIT

CR="$CR_BIN_DIR/cognito-reconcile"
EMU="$CR_BIN_DIR/cognito-identity-local"
"$CR" --help >"$T/commands"
mkdir "$T/help"
awk '/^commands:/ {on = 1; next} on && /^  [a-z]/ {print $1} on && /^$/ {on = 0}' "$T/commands" \
    >"$T/command-names"
[ -s "$T/command-names" ] || { echo "FAIL: no command in 'cognito-reconcile --help'" >&2; exit 1; }
while read -r cmd; do
    "$CR" "$cmd" --help >"$T/help/$cmd"
done <"$T/command-names"
"$EMU" --help >"$T/emulator-help"

python3 - "$CR_SOURCE_DIR" "$T" <<'EOF'
import glob, json, os, re, sys

src, tmp = sys.argv[1], sys.argv[2]
failures = []

def fail(msg):
    failures.append(msg)

def read(path):
    with open(path, encoding="utf-8") as f:
        return f.read()

def help_options(text):
    """Options a --help text lists: lines "  --name ..." (the option table's rendering)."""
    return set(re.findall(r"^  (--[a-z][a-z0-9-]*)", text, re.M))

def sections(scd, level):
    """{heading: body} for the scdoc headings of one level ('#' or '##')."""
    out, name, body = {}, None, []
    for line in scd.splitlines():
        m = re.match(r"^(#+) (.*)$", line)
        if m and len(m.group(1)) <= len(level):
            if name is not None:
                out[name] = "\n".join(body)
            name, body = (m.group(2).strip(), []) if len(m.group(1)) == len(level) else (None, [])
            continue
        if name is not None:
            body.append(line)
    if name is not None:
        out[name] = "\n".join(body)
    return out

def bold_options(text):
    return set(re.findall(r"\*(--[a-z][a-z0-9-]*)\*", text))

def documented_entries(options_section):
    """Options with an entry (a definition line starting with *--...*) in an OPTIONS section."""
    found = set()
    for line in options_section.splitlines():
        if line.startswith("*--") or line.startswith("*-h*"):
            found |= bold_options(line)
    return found

# ---- cognito-reconcile(1) ----
page = "docs/man/cognito-reconcile.1.scd"
scd = read(os.path.join(src, page))
commands = read(os.path.join(tmp, "command-names")).split()
subsections = sections(sections(scd, "#").get("COMMANDS", ""), "##")
all_options = set()
for cmd in commands:
    want = help_options(read(os.path.join(tmp, "help", cmd)))
    all_options |= want
    body = subsections.get(cmd)
    if body is None:
        fail(f"{page}: no '## {cmd}' section under COMMANDS for the subcommand '{cmd}'")
        continue
    m = re.search(r"^Options:(.*?)(?:\n\n|\Z)", body, re.S | re.M)
    if m is None:
        fail(f"{page}: '## {cmd}' has no 'Options:' line")
        continue
    listed = bold_options(m.group(1))
    for opt in sorted(want - listed):
        fail(f"{page}: '## {cmd}' does not list {opt} (cognito-reconcile {cmd} --help has it)")
    for opt in sorted(listed - want):
        fail(f"{page}: '## {cmd}' lists {opt}, which 'cognito-reconcile {cmd} --help' does not have")
for cmd in sorted(set(subsections) - set(commands)):
    fail(f"{page}: '## {cmd}' documents a subcommand 'cognito-reconcile --help' does not list")
entries = documented_entries(sections(scd, "#").get("OPTIONS", ""))
for opt in sorted(all_options - entries):
    fail(f"{page}: OPTIONS has no entry for {opt}")
for opt in sorted(entries - all_options - {"--version"}):
    fail(f"{page}: OPTIONS documents {opt}, which no subcommand has")

# The environment variables the code reads (string literals in the CLI's folders).
env = set()
for folder in ("aws", "cmd/cognito-reconcile", "source", "reconcile", "util", "schema"):
    for path in glob.glob(os.path.join(src, folder, "*.[ch]")):
        env |= set(re.findall(r'"((?:AWS|COGNITO_RECONCILE)_[A-Z0-9_]+)"', read(path)))
        env |= set(re.findall(r'getenv\("([A-Z_]+)"\)', read(path)))
env -= {"HOME"}  # FILES: ~/.aws/...
if len(env) < 10:
    fail(f"found only {sorted(env)} as environment variables in the code: the scan is broken")
environment = sections(scd, "#").get("ENVIRONMENT", "")
for var in sorted(env):
    if f"*{var}*" not in environment:
        fail(f"{page}: ENVIRONMENT does not name {var}, which the code reads")

# ---- cognito-identity-local(1) ----
page = "docs/man/cognito-identity-local.1.scd"
scd = read(os.path.join(src, page))
want = help_options(read(os.path.join(tmp, "emulator-help")))
if len(want) < 5:
    fail(f"only {sorted(want)} found in cognito-identity-local --help: the parse is broken")
entries = documented_entries(sections(scd, "#").get("OPTIONS", ""))
for opt in sorted(want - entries):
    fail(f"{page}: OPTIONS has no entry for {opt} (cognito-identity-local --help has it)")
for opt in sorted(entries - want):
    fail(f"{page}: OPTIONS documents {opt}, which cognito-identity-local --help does not have")

# ---- cognito-reconcile-manifest(5) ----
page = "docs/man/cognito-reconcile-manifest.5.scd"
scd = read(os.path.join(src, page))
schema = json.loads(read(os.path.join(src, "schema", "identity-pool.schema.json")))
props = set()
def walk(node):
    if isinstance(node, dict):
        props.update(node.get("properties", {}).keys())
        for value in node.values():
            walk(value)
    elif isinstance(node, list):
        for value in node:
            walk(value)
walk(schema)
if len(props) < 20:
    fail(f"only {len(props)} properties found in the schema: the walk is broken")
for prop in sorted(props):
    if f"*{prop}*" not in scd:
        fail(f"{page}: the schema property '{prop}' is not documented (as *{prop}*)")
if schema.get("$id", "") not in scd:
    fail(f"{page}: does not give the schema's $id {schema.get('$id')}")

for f in failures:
    print("FAIL: " + f, file=sys.stderr)
if failures:
    sys.exit(1)
print(f"ok: {len(commands)} subcommands, {len(all_options)} options, {len(env)} environment "
      f"variables, the emulator's {len(want)} options and {len(props)} schema properties "
      "are documented")
EOF
