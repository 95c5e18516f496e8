#!/usr/bin/env python3
# SPDX-License-Identifier: Apache-2.0
"""Checks (or adds) the SPDX licence line every source file of the repository carries.

usage: scripts/spdx.py [--fix] [--root DIR]

A source file is a tracked file (git ls-files; every file under DIR without git) that is code
or build logic: C (.c .h .inc), shell (.sh, or any file starting with a shebang), Python,
JavaScript (.js .mjs .cjs), Lua, CMake (CMakeLists.txt, .cmake), Makefile, scdoc (.scd),
fish/zsh/bash completion sources, and the CI/tool YAML files (*.yml, action.yml,
.pre-commit-hooks.yaml). Not sources: vendored material (tests/data/, with its own licence
files), fuzz corpora, manifests and test fixtures (*.yaml, *.json, *.txt, *.expected: data
whose line numbers tests assert), documentation (*.md).

The line must be the first line, or the second after a shebang or an scdoc preamble
("name(section)", which scdoc needs first), and read
"<comment> SPDX-License-Identifier: Apache-2.0 <end>" in the file's comment syntax.
Without --fix: prints every file lacking it as "PATH:1:1: ..." and exits 1 (0 when none).
With --fix: inserts the line (after the shebang, if any) and exits 0.
"""
import os
import subprocess
import sys

LICENSE = "Apache-2.0"
TAG = "SPDX-License-Identifier: " + LICENSE

# Folders whose files are not ours or not code.
EXCLUDED_DIRS = ("tests/data/", "tests/fuzz/corpus/", "tests/node_modules/")

C_STYLE = ("/* ", " */")
HASH = ("# ", "")
SLASHES = ("// ", "")
DASHES = ("-- ", "")
SEMI = ("; ", "")

BY_SUFFIX = {
    ".c": C_STYLE, ".h": C_STYLE, ".inc": C_STYLE,
    ".sh": HASH, ".bash": HASH, ".zsh": HASH, ".fish": HASH, ".py": HASH, ".cmake": HASH,
    ".yml": HASH,
    ".js": SLASHES, ".mjs": SLASHES, ".cjs": SLASHES,
    ".lua": DASHES,
    ".scd": SEMI,
}
BY_NAME = {
    "CMakeLists.txt": HASH, "Makefile": HASH, ".pre-commit-hooks.yaml": HASH,
    "action.yml": HASH, "action.yaml": HASH,
}


def tracked_files(root):
    """Tracked files (relative paths), or every file under root when it is not a git tree."""
    try:
        out = subprocess.run(["git", "-C", root, "ls-files", "-z"], check=True,
                             capture_output=True).stdout
        return [p for p in out.decode().split("\0") if p]
    except (OSError, subprocess.CalledProcessError):
        files = []
        for d, dirs, names in os.walk(root):
            dirs[:] = [x for x in dirs if x not in (".git", "node_modules") and
                       not x.startswith("build")]
            files += [os.path.relpath(os.path.join(d, n), root) for n in names]
        return sorted(files)


def comment_style(path, first_line):
    """The (open, close) comment pair for path, or None when it is not a source file."""
    if path.startswith(EXCLUDED_DIRS):
        return None
    name = os.path.basename(path)
    if name in BY_NAME:
        return BY_NAME[name]
    style = BY_SUFFIX.get(os.path.splitext(name)[1])
    if style is not None:
        return style
    if first_line.startswith(b"#!"):
        if b"node" in first_line:
            return SLASHES
        return HASH
    return None


def header_line(style):
    return style[0] + TAG + style[1]


def s_first_line_kept(first, style):
    """How many leading lines stay before the SPDX line: a shebang, an scdoc preamble."""
    return 1 if first.startswith(b"#!") or (style is SEMI and first.strip()) else 0


def check_one(full, style):
    """None when the file carries the line where it belongs; otherwise what is wrong."""
    with open(full, "rb") as f:
        lines = f.read().split(b"\n", 10)[:10]
    expected = header_line(style).encode()
    where = s_first_line_kept(lines[0] if lines else b"", style)
    if len(lines) > where and lines[where].rstrip(b"\r") == expected:
        return None
    for n, line in enumerate(lines):
        if b"SPDX-License-Identifier" in line:
            if line.rstrip(b"\r") != expected:
                return "SPDX line is not '%s'" % header_line(style)
            return "the SPDX line is line %d, not line %d" % (n + 1, where + 1)
    return "no '%s' line (line %d)" % (header_line(style), where + 1)


def fix_one(full, style):
    with open(full, "rb") as f:
        data = f.read()
    line = header_line(style).encode() + b"\n"
    if s_first_line_kept(data.split(b"\n", 1)[0], style):
        nl = data.find(b"\n")
        head, rest = (data, b"") if nl < 0 else (data[:nl + 1], data[nl + 1:])
        if nl < 0:
            head += b"\n"
        data = head + line + rest
    else:
        data = line + data
    mode = os.stat(full).st_mode
    with open(full, "wb") as f:
        f.write(data)
    os.chmod(full, mode)


def main(argv):
    fix = "--fix" in argv
    root = "."
    if "--root" in argv:
        root = argv[argv.index("--root") + 1]
    problems = 0
    checked = 0
    for rel in tracked_files(root):
        full = os.path.join(root, rel)
        if not os.path.isfile(full) or os.path.islink(full):
            continue
        with open(full, "rb") as f:
            first = f.readline()
        style = comment_style(rel, first)
        if style is None:
            continue
        checked += 1
        problem = check_one(full, style)
        if problem is None:
            continue
        if fix and problem.startswith("no "):
            fix_one(full, style)
            print("added: %s" % rel)
            continue
        print("%s:1:1: %s" % (rel, problem))
        problems += 1
    if checked == 0:
        print("spdx: no source file found under %s" % root, file=sys.stderr)
        return 1
    if problems:
        print("spdx: %d of %d source files lack the SPDX line" % (problems, checked),
              file=sys.stderr)
        return 1
    return 0


if __name__ == "__main__":
    sys.exit(main(sys.argv[1:]))
