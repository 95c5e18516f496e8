#!/usr/bin/env bash
# SPDX-License-Identifier: Apache-2.0
# Help and docs that are true (issue 10): `help CMD` prints the subcommand's help; each
# subcommand's --help lists only the --output formats it takes (asked from the parser, which
# refuses the others); every relative link and file reference in README.md and docs/ names a
# file inside the repository that exists; the options the docs table lists are the program's.
set -euo pipefail
: "${CR_SOURCE_DIR:?run under ctest}" "${CR_BIN_DIR:?run under ctest}"
CR="$CR_BIN_DIR/cognito-reconcile"
T=$(mktemp -d "${TMPDIR:-/tmp}/cr-help.XXXXXX")
trap 'rm -rf "$T"' EXIT
fail() { echo "FAIL: $*" >&2; exit 1; }

echo "== help CMD is CMD --help"
for cmd in validate plan apply drift export diff completion; do
    "$CR" help "$cmd" >"$T/a" || fail "help $cmd exited $?"
    "$CR" "$cmd" --help >"$T/b" || fail "$cmd --help exited $?"
    cmp -s "$T/a" "$T/b" || fail "help $cmd differs from $cmd --help"
    grep -q "^usage: cognito-reconcile $cmd" "$T/a" || fail "help $cmd: no usage line"
done
"$CR" help >"$T/a" && grep -q "cognito-reconcile help <command>" "$T/a" || fail "help alone"
rc=0; "$CR" help valdate >"$T/a" 2>&1 || rc=$?
[ $rc -eq 1 ] && grep -q "unknown command 'valdate' (did you mean 'validate'?)" "$T/a" ||
    fail "help of an unknown command: exit $rc"

echo "== --help lists exactly the formats --output takes"
for cmd in validate plan apply drift diff; do
    listed=$("$CR" "$cmd" --help | sed -n 's/^  --output FORMAT *//p' | sed 's/ (default: text)//; s/,//g; s/ or / /')
    for f in text json markdown junit; do
        ok=0; "$CR" "$cmd" --output "$f" --help >/dev/null 2>&1 || ok=$?
        case " $listed " in
            *" $f "*) [ $ok -eq 0 ] || fail "$cmd --help lists $f, which it refuses" ;;
            *) [ $ok -ne 0 ] || fail "$cmd takes --output $f, which its --help does not list ($listed)" ;;
        esac
    done
done
"$CR" validate --help | grep -q -- "--output FORMAT        text or json (default: text)" ||
    fail "validate --help: $("$CR" validate --help | grep -- --output)"

echo "== docs name only files inside the repository"
/usr/bin/python3 -S - "$CR_SOURCE_DIR" <<'EOF' || fail "docs point at missing or outside files"
import os, re, sys
root = os.path.realpath(sys.argv[1])
bad = []
docs = [os.path.join(root, "README.md")] + [
    os.path.join(root, "docs", f) for f in sorted(os.listdir(os.path.join(root, "docs")))
    if f.endswith(".md")]
for doc in docs:
    text = open(doc, encoding="utf-8").read()
    # Markdown links to files, and `$schema=` lines of manifest snippets (relative to the doc
    # unless the text says which folder they sit in).
    for target in re.findall(r"\]\(([^)\s]+)\)", text):
        if re.match(r"[a-z]+:|#", target):
            continue
        path = os.path.realpath(os.path.join(os.path.dirname(doc), target.split("#")[0]))
        if not path.startswith(root + os.sep) or not os.path.exists(path):
            bad.append("%s: link %s" % (os.path.relpath(doc, root), target))
    # Repository paths in backquotes: folders of the project that must exist. (docs/style.md
    # cites files of other projects, libgit2 or curl, by their own paths: not ours.)
    if doc.endswith("style.md"):
        continue
    for ref in re.findall(r"`((?:docs|tests|schema|source|reconcile|aws|util|emulator|cmd|examples|bench|scripts|cmake|packaging)/[\w./-]+)`", text):
        if not os.path.exists(os.path.join(root, ref.rstrip("/.,"))):
            bad.append("%s: %s" % (os.path.relpath(doc, root), ref))
for b in bad:
    print(b, file=sys.stderr)
sys.exit(1 if bad else 0)
EOF

echo "== the options table of docs/cli.md is the program's"
for opt in $(sed -n 's/^| `\(--[a-z-]*\).*/\1/p' "$CR_SOURCE_DIR/docs/cli.md" | sort -u); do
    found=0
    for cmd in validate plan apply drift export diff force-unlock watch; do
        help=$("$CR" "$cmd" --help) # (grep -q on a pipe would cut the help short: SIGPIPE)
        grep -q -- "^  $opt\b" <<<"$help" && found=1
    done
    [ $found -eq 1 ] || [ "$opt" = --version ] || fail "docs/cli.md lists $opt, which no command takes"
done
echo "PASS"
