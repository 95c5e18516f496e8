#!/usr/bin/env python3
# SPDX-License-Identifier: Apache-2.0
"""Runs a GitHub composite action (action.yml) the way the Actions runner does, for tests.

usage: run_action.py ACTION_DIR WORKSPACE TEMP [NAME=VALUE ...]   (the action's inputs)

What the runner does and this does too:
- `${{ ... }}` expressions in a step's name, env and run, and in the action's outputs, are
  substituted before the step runs: inputs.* (with the defaults of action.yml; a missing
  required input is an error), github.action_path, github.workspace, runner.temp, env.*,
  steps.<id>.outputs.*. Any other expression is an error here, so the action cannot come to
  rely on something this harness does not model.
- Each `run` step with `shell: bash` is written to a file and run as
  `bash --noprofile --norc -eo pipefail FILE` in the workspace, with the environment of the
  job, what earlier steps appended to GITHUB_ENV, the step's own env, and PATH prefixed with
  what earlier steps appended to GITHUB_PATH (the latest first).
- Each step gets fresh GITHUB_OUTPUT, GITHUB_ENV, GITHUB_PATH and GITHUB_STEP_SUMMARY files,
  read afterwards with the runner's env-file syntax (NAME=value, or NAME<<DELIMITER lines).
  GITHUB_ACTION_PATH is the action's folder.
- A step without `if:` runs only while every earlier step succeeded (success()).
Prints one JSON document: {"outcome": "success"|"failure", "outputs": {...}, "summary":
"...", "stdout": "...", "steps": [{"id", "outcome", "exit_code"}]}. The steps' stderr passes
through.
"""
import json
import os
import re
import subprocess
import sys
import tempfile

import yaml

EXPR = re.compile(r"\$\{\{\s*(.*?)\s*\}\}")


class ActionError(Exception):
    pass


def parse_env_file(path):
    """The runner's env-file syntax: NAME=VALUE lines and NAME<<DELIM ... DELIM blocks."""
    out = {}
    with open(path, encoding="utf-8") as f:
        lines = f.read().split("\n")
    i = 0
    while i < len(lines):
        line = lines[i]
        i += 1
        if line == "":
            continue
        if "<<" in line and ("=" not in line or line.index("<<") < line.index("=")):
            name, delim = line.split("<<", 1)
            value = []
            while i < len(lines) and lines[i] != delim:
                value.append(lines[i])
                i += 1
            if i == len(lines):
                raise ActionError("%s: no closing %r for %s" % (path, delim, name))
            i += 1
            out[name] = "\n".join(value)
        elif "=" in line:
            name, value = line.split("=", 1)
            out[name] = value
        else:
            raise ActionError("%s: invalid line %r" % (path, line))
    return out


def main(argv):
    action_dir, workspace, temp = (os.path.abspath(a) for a in argv[1:4])
    given = dict(arg.split("=", 1) for arg in argv[4:])
    with open(os.path.join(action_dir, "action.yml"), encoding="utf-8") as f:
        action = yaml.safe_load(f)
    if action.get("runs", {}).get("using") != "composite":
        raise ActionError("action.yml: runs.using is not composite")
    inputs = {}
    for name, spec in (action.get("inputs") or {}).items():
        if name in given:
            inputs[name] = given.pop(name)
        elif spec.get("required") and "default" not in spec:
            raise ActionError("input '%s' is required" % name)
        else:
            inputs[name] = str(spec.get("default", ""))
    if given:
        raise ActionError("unknown inputs: %s" % ", ".join(sorted(given)))

    job_env = dict(os.environ)
    added_env, added_path, step_outputs = {}, [], {}
    summary, stdout_all, steps_done = [], [], []
    failed = False

    def evaluate(text):
        def one(m):
            expr = m.group(1)
            parts = expr.split(".")
            if parts[0] == "inputs" and len(parts) == 2 and parts[1] in inputs:
                return inputs[parts[1]]
            if expr == "github.action_path":
                return action_dir
            if expr == "github.workspace":
                return workspace
            if expr == "runner.temp":
                return temp
            if parts[0] == "env" and len(parts) == 2:
                return {**job_env, **added_env}.get(parts[1], "")
            if parts[0] == "steps" and len(parts) == 4 and parts[2] == "outputs":
                return step_outputs.get(parts[1], {}).get(parts[3], "")
            raise ActionError("unsupported expression ${{ %s }}" % expr)
        return EXPR.sub(one, str(text))

    for index, step in enumerate(action["runs"]["steps"]):
        step_id = step.get("id", "__step%d" % index)
        if "if" in step:
            raise ActionError("step %s: 'if' is not modelled here" % step_id)
        if failed:
            steps_done.append({"id": step_id, "outcome": "skipped", "exit_code": None})
            continue
        if "run" not in step:
            raise ActionError("step %s: only run steps are modelled" % step_id)
        if step.get("shell") != "bash":
            raise ActionError("step %s: shell must be bash (a composite step names its shell)"
                              % step_id)
        evaluate(step.get("name", ""))
        files = {}
        for var in ("GITHUB_OUTPUT", "GITHUB_ENV", "GITHUB_PATH", "GITHUB_STEP_SUMMARY"):
            fd, files[var] = tempfile.mkstemp(prefix=var.lower() + "-", dir=temp)
            os.close(fd)
        env = {**job_env, **added_env}
        env.update({k: evaluate(v) for k, v in (step.get("env") or {}).items()})
        env.update(files)
        env.update({"GITHUB_ACTION_PATH": action_dir, "GITHUB_WORKSPACE": workspace,
                    "RUNNER_TEMP": temp, "GITHUB_ACTIONS": "true", "CI": "true",
                    "RUNNER_OS": "Linux"})
        env["PATH"] = os.pathsep.join(list(reversed(added_path)) + [job_env["PATH"]])
        fd, script = tempfile.mkstemp(prefix="step-", suffix=".sh", dir=temp)
        with os.fdopen(fd, "w", encoding="utf-8") as f:
            f.write(evaluate(step["run"]))
        proc = subprocess.run(["bash", "--noprofile", "--norc", "-eo", "pipefail", script],
                              cwd=evaluate(step.get("working-directory", workspace)), env=env,
                              stdout=subprocess.PIPE, text=True)
        stdout_all.append(proc.stdout)
        sys.stderr.write(proc.stdout)
        step_outputs[step_id] = parse_env_file(files["GITHUB_OUTPUT"])
        added_env.update(parse_env_file(files["GITHUB_ENV"]))
        with open(files["GITHUB_PATH"], encoding="utf-8") as f:
            added_path += [line for line in f.read().split("\n") if line]
        with open(files["GITHUB_STEP_SUMMARY"], encoding="utf-8") as f:
            summary.append(f.read())
        ok = proc.returncode == 0
        steps_done.append({"id": step_id, "outcome": "success" if ok else "failure",
                           "exit_code": proc.returncode})
        failed = not ok

    outputs = {name: evaluate(spec.get("value", ""))
               for name, spec in (action.get("outputs") or {}).items()}
    json.dump({"outcome": "failure" if failed else "success", "outputs": outputs,
               "summary": "".join(summary), "stdout": "".join(stdout_all),
               "steps": steps_done}, sys.stdout, indent=1)
    return 0


if __name__ == "__main__":
    try:
        sys.exit(main(sys.argv))
    except ActionError as err:
        print("run_action: %s" % err, file=sys.stderr)
        sys.exit(2)
