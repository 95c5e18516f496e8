#!/usr/bin/env bash
# SPDX-License-Identifier: Apache-2.0
# The deployment examples of cognito-reconcile watch stay true to the program
# (docs/watch.md "Deployment examples"): examples/kubernetes/watch.yaml parses (python3-yaml)
# and its Deployment runs several replicas sharing one lock, with arguments that are real
# options of `watch`, probes on /healthz and /readyz at the port --listen gives, the secrets
# from the Secret, the cache on a writable volume; examples/systemd/ passes
# `systemd-analyze verify` and its configuration file is one `watch` accepts.
set -euo pipefail
: "${CR_SOURCE_DIR:?run under ctest}" "${CR_BIN_DIR:?run under ctest}"
CR="$CR_BIN_DIR/cognito-reconcile"
T=$(mktemp -d "${TMPDIR:-/tmp}/cr-watch-examples.XXXXXX")
trap 'rm -rf "$T"' EXIT
fail() { echo "FAIL: $*" >&2; exit 1; }
EX="$CR_SOURCE_DIR/examples"

"$CR" watch --help >"$T/help"
sed -n 's/^  \(--[a-z-]*\).*/\1/p' "$T/help" >"$T/options"
grep -qx -- --git-url "$T/options" || fail "watch --help lists no --git-url"
default_listen=$(sed -n 's/.*(default: \([0-9.]*:[0-9]*\); none: no server).*/\1/p' "$T/help" | tr -d '\n')
[ -z "$default_listen" ] && default_listen=$(tr '\n' ' ' <"$T/help" | sed -n 's/.*(default: \([0-9.]*:[0-9]*\);.*/\1/p')
[ -n "$default_listen" ] || fail "no default --listen in watch --help"

echo "== kubernetes"
/usr/bin/python3 - "$EX/kubernetes/watch.yaml" "$T/options" "${default_listen##*:}" <<'EOF' || fail "examples/kubernetes/watch.yaml"
import sys, yaml
path, options_file, default_port = sys.argv[1], sys.argv[2], int(sys.argv[3])
options = set(open(options_file).read().split())
docs = [d for d in yaml.safe_load_all(open(path)) if d]
by_kind = {}
for d in docs:
    by_kind.setdefault(d["kind"], []).append(d)
problems = []
def check(cond, msg):
    if not cond:
        problems.append(msg)

dep = by_kind["Deployment"][0]
check(dep["spec"]["replicas"] >= 2, "replicas: the example shows the standby (2 or more)")
pod = dep["spec"]["template"]["spec"]
c = pod["containers"][0]
args = c["args"]
check(args[0] == "watch", "the container runs watch: %r" % args[:1])
flags = {}
for a in args[1:]:
    if a.startswith("--"):
        name, _, value = a.partition("=")
        check(name in options, "%s is not an option of watch" % name)
        check(value != "", "%s: write --opt=VALUE (one list item per option)" % name)
        flags[name] = value
for required in ("--git-url", "--lock", "--listen", "--cache-dir"):
    check(required in flags, "no %s" % required)
check(flags.get("--lock", "").startswith("s3://"), "--lock is an s3:// URL")
# one Deployment, one args list: every replica runs with the same --lock, so they share it
port = int(flags.get("--listen", ":0").rsplit(":", 1)[1])
check(port == default_port, "--listen port %d differs from the program's default %d" % (port, default_port))
check(not flags.get("--listen", "").startswith("127."), "in a pod the probes need a non-loopback --listen")
live, ready = c["livenessProbe"]["httpGet"], c["readinessProbe"]["httpGet"]
check(live["path"] == "/healthz" and live["port"] == port, "livenessProbe: %r" % live)
check(ready["path"] == "/readyz" and ready["port"] == port, "readinessProbe: %r" % ready)
check(any(p["containerPort"] == port for p in c["ports"]), "containerPort")
# secrets: the control token from the Secret (the endpoints listen beyond loopback), the git
# token as a file of the Secret's volume
secret = by_kind["Secret"][0]["metadata"]["name"]
env = {e["name"]: e for e in c.get("env", [])}
ref = env.get("COGNITO_RECONCILE_CONTROL_TOKEN", {}).get("valueFrom", {}).get("secretKeyRef", {})
check(ref.get("name") == secret and ref.get("key") in by_kind["Secret"][0]["stringData"],
      "COGNITO_RECONCILE_CONTROL_TOKEN from the Secret")
check("--control-token" not in flags, "the control token belongs in the Secret, not the args")
vols = {v["name"]: v for v in pod["volumes"]}
mounts = {m["mountPath"]: m["name"] for m in c["volumeMounts"]}
tok = flags.get("--git-token-file", "")
tok_mount = [m for m in mounts if tok.startswith(m.rstrip("/") + "/")]
check(tok_mount and vols[mounts[tok_mount[0]]].get("secret", {}).get("secretName") == secret,
      "--git-token-file is not a file of the Secret's volume")
cache = flags.get("--cache-dir", "")
check(cache in mounts and "emptyDir" in vols[mounts[cache]], "--cache-dir is not a writable volume")
check(c["securityContext"].get("readOnlyRootFilesystem") is True, "readOnlyRootFilesystem")
sa = by_kind["ServiceAccount"][0]["metadata"]["name"]
check(pod["serviceAccountName"] == sa, "the pod runs as the example's service account")
check(pod.get("terminationGracePeriodSeconds", 30) >= 60, "give the cycle time to finish on SIGTERM")
for p in problems:
    print("examples/kubernetes/watch.yaml: " + p, file=sys.stderr)
sys.exit(1 if problems else 0)
EOF

echo "== systemd"
unit=cognito-reconcile-watch.service
sed "s#/usr/bin/cognito-reconcile#$CR#g; s#/etc/cognito-reconcile/watch.yaml#$EX/systemd/watch.yaml#g" \
    "$EX/systemd/$unit" >"$T/$unit"
if command -v systemd-analyze >/dev/null; then
    systemd-analyze verify "$T/$unit" >"$T/verify" 2>&1 || fail "systemd-analyze verify: $(cat "$T/verify")"
    [ ! -s "$T/verify" ] || fail "systemd-analyze verify warns: $(cat "$T/verify")"
else
    fail "systemd-analyze missing (Debian package systemd)"
fi
exec_start=$(sed -n 's/^ExecStart=//p' "$T/$unit")
set -- $exec_start
[ "$1" = "$CR" ] && [ "$2" = watch ] || fail "ExecStart does not run cognito-reconcile watch: $exec_start"
shift 2
for a in "$@"; do
    case $a in --*) grep -qx -- "${a%%=*}" "$T/options" || fail "ExecStart: $a is not an option of watch" ;; esac
done
grep -qx 'ExecReload=/bin/kill -HUP $MAINPID' "$T/$unit" || fail "reload is not SIGHUP"
grep -qx 'KillSignal=SIGTERM' "$T/$unit" || fail "stop is not SIGTERM"
grep -qx 'Restart=on-failure' "$T/$unit" || fail "Restart=on-failure"
# the configuration file is one watch accepts (parsed, then --help stops before any work)
"$CR" watch "$@" --help >/dev/null 2>"$T/config.err" || fail "watch rejects the example's options: $(cat "$T/config.err")"
"$CR" watch --config "$EX/systemd/watch.yaml" --help >/dev/null 2>"$T/config.err" ||
    fail "examples/systemd/watch.yaml: $(cat "$T/config.err")"
echo "PASS"
