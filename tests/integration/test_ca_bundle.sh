#!/usr/bin/env bash
# SPDX-License-Identifier: Apache-2.0
# AWS_CA_BUNDLE (and the profile's ca_bundle) replaces the trust store, as in the AWS CLI
# (docs/aws-client.md, Transport). The test runs in a private mount namespace (unshare -m, or
# -rm without root) where /etc/ssl/certs, the system store libcurl and the AWS CLI read, is a
# folder holding one test authority, SYS; a second one, BUNDLE, is only in a PEM file. Two
# TLS front ends (Python's ssl) forward to the emulator: one with a certificate signed by SYS,
# one signed by BUNDLE. Then, for cognito-reconcile plan and the AWS CLI alike:
#   no bundle:                   SYS's server accepted, BUNDLE's refused (the control);
#   AWS_CA_BUNDLE=BUNDLE's CA:   SYS's server refused (the system store is not added), BUNDLE's
#                                accepted; the same with ca_bundle in the profile;
#   a bundle that is not there:  refused, never a fall-back to the system store;
#   a missing file, a folder, a file without a PEM certificate (text, DER), in AWS_CA_BUNDLE
#   or the profile: one error saying what is wrong and what to do, before any call.
# Skipped (77) only where no mount namespace can be made.
set -euo pipefail
: "${CR_SOURCE_DIR:?run under ctest (CR_SOURCE_DIR unset)}"

if [ "${CR_CA_BUNDLE_NS:-}" != 1 ]; then
    for ns in "unshare -m" "unshare -rm"; do
        if $ns true 2>/dev/null; then
            exec env CR_CA_BUNDLE_NS=1 $ns bash "$0" "$@"
        fi
    done
    echo "SKIP: no mount namespace (unshare -m / -rm refused) to give the test its own system trust store"
    exit 77
fi

. "$CR_SOURCE_DIR/tests/integration/cli_lib.sh"
cli_setup
PROXY_PID=""
stop_proxy() {
    if [ -n "$PROXY_PID" ]; then
        kill -TERM "$PROXY_PID" 2>/dev/null || true
        wait "$PROXY_PID" 2>/dev/null || true
        PROXY_PID=""
    fi
    exec 8<&- 2>/dev/null || true
    cli_cleanup
}
trap stop_proxy EXIT

step "two authorities and a server certificate from each (127.0.0.1)"
C=$T/ca
mkdir -p "$C" "$T/certs"
for ca in sys bundle; do
    openssl req -x509 -newkey ec -pkeyopt ec_paramgen_curve:P-256 -nodes -days 2 \
        -subj "/CN=cognito-reconcile test $ca CA" -keyout "$C/$ca-ca.key" -out "$C/$ca-ca.pem" \
        2>/dev/null || fail "openssl: the $ca CA"
    openssl req -x509 -newkey ec -pkeyopt ec_paramgen_curve:P-256 -nodes -days 2 \
        -subj "/CN=127.0.0.1" -addext "subjectAltName=IP:127.0.0.1" \
        -CA "$C/$ca-ca.pem" -CAkey "$C/$ca-ca.key" -keyout "$C/$ca-srv.key" -out "$C/$ca-srv.pem" \
        2>/dev/null || fail "openssl: the server certificate of the $ca CA"
done
# the system store as Debian lays it out: the bundle file and hashed links in one folder
cp "$C/sys-ca.pem" "$T/certs/sys-ca.pem"
cp "$C/sys-ca.pem" "$T/certs/ca-certificates.crt"
openssl rehash "$T/certs" || fail "openssl rehash"
mount --bind "$T/certs" /etc/ssl/certs || fail "mount --bind over /etc/ssl/certs"
openssl verify "$C/sys-srv.pem" >/dev/null || fail "the system store does not trust SYS"
if openssl verify "$C/bundle-srv.pem" >/dev/null 2>&1; then fail "the system store trusts BUNDLE"; fi

step "TLS front ends forwarding to the emulator"
mkfifo "$T/proxy-out"
"$PY" -S - "${EMU_URL#http://}" "$C/sys-srv.pem" "$C/sys-srv.key" \
    "$C/bundle-srv.pem" "$C/bundle-srv.key" >"$T/proxy-out" 2>"$T/proxy-err" <<'EOF' &
import http.client, http.server, ssl, sys, threading
upstream = sys.argv[1]

class Forward(http.server.BaseHTTPRequestHandler):
    protocol_version = "HTTP/1.1"

    def relay(self):
        body = self.rfile.read(int(self.headers.get("Content-Length") or 0))
        up = http.client.HTTPConnection(upstream, timeout=30)
        up.putrequest(self.command, self.path, skip_host=True, skip_accept_encoding=True)
        for k, v in self.headers.items():
            up.putheader(k, v)
        up.endheaders(body)
        r = up.getresponse()
        data = r.read()
        self.send_response(r.status)
        for k, v in r.getheaders():
            if k.lower() not in ("content-length", "connection", "transfer-encoding", "date", "server"):
                self.send_header(k, v)
        self.send_header("Content-Length", str(len(data)))
        self.end_headers()
        self.wfile.write(data)
        up.close()

    do_GET = do_POST = do_PUT = do_DELETE = do_HEAD = relay

    def log_message(self, *args):
        pass

servers = []
for cert, key in zip(sys.argv[2::2], sys.argv[3::2]):
    ctx = ssl.SSLContext(ssl.PROTOCOL_TLS_SERVER)
    ctx.load_cert_chain(cert, key)
    s = http.server.ThreadingHTTPServer(("127.0.0.1", 0), Forward)
    s.daemon_threads = True
    s.socket = ctx.wrap_socket(s.socket, server_side=True)
    servers.append(s)
print(" ".join(str(s.server_address[1]) for s in servers), flush=True)
for s in servers[1:]:
    threading.Thread(target=s.serve_forever, daemon=True).start()
servers[0].serve_forever()
EOF
PROXY_PID=$!
exec 8<"$T/proxy-out"
read -r -t 10 SYS_PORT BUNDLE_PORT <&8 || fail "the TLS front ends did not start: $(cat "$T/proxy-err")"
SYS_URL=https://127.0.0.1:$SYS_PORT
BUNDLE_URL=https://127.0.0.1:$BUNDLE_PORT
pool_yaml tls >"$T/m/pool.yaml"

# outcome CMD URL: "ok" when the call through the front end was answered, "refused" when the
# certificate was refused; anything else fails the test. $T/out and $T/err keep the output.
outcome() {
    local rc=0
    case $1 in
    cr) "$CR" plan --endpoint-url "$2" "$T/m/pool.yaml" >"$T/out" 2>"$T/err" </dev/null || rc=$? ;;
    aws) AWS_MAX_ATTEMPTS=1 "$AWS_CLI" --endpoint-url "$2" --region us-east-1 --output json \
        cognito-identity list-identity-pools --max-results 1 >"$T/out" 2>"$T/err" </dev/null || rc=$? ;;
    esac
    if [ "$rc" -eq 0 ]; then
        echo ok
    elif grep -qiE 'certificate|SSL' "$T/err"; then
        echo refused
    else
        fail "$1 against $2 exited $rc without a certificate error"
    fi
}

# expect CASE SYS BUNDLE: how both clients fare against SYS's and BUNDLE's servers.
expect() {
    local who got
    for who in cr aws; do
        got=$(outcome "$who" "$SYS_URL")
        [ "$got" = "$2" ] || fail "$1: $who against SYS's certificate: $got, expected $2"
        got=$(outcome "$who" "$BUNDLE_URL")
        [ "$got" = "$3" ] || fail "$1: $who against BUNDLE's certificate: $got, expected $3"
    done
}

step "no bundle: the system store (SYS) only"
expect "no bundle" ok refused
mark=$(log_mark)
outcome cr "$SYS_URL" >/dev/null
[ "$(ops_since "$mark" all | grep -c ListIdentityPools)" -ge 1 ] ||
    fail "the plan through the front end never reached the emulator"

step "AWS_CA_BUNDLE replaces the system store"
export AWS_CA_BUNDLE=$C/bundle-ca.pem
expect "AWS_CA_BUNDLE" refused ok
outcome cr "$SYS_URL" >/dev/null
expect_in "$T/err" "trusted is only AWS_CA_BUNDLE / ca_bundle $C/bundle-ca.pem, which replaces the system store"

step "ca_bundle in the profile replaces it too; AWS_CA_BUNDLE wins over it"
unset AWS_CA_BUNDLE
printf '[default]\nca_bundle = %s\n' "$C/bundle-ca.pem" >"$AWS_CONFIG_FILE"
expect "profile ca_bundle" refused ok
export AWS_CA_BUNDLE=$C/sys-ca.pem
expect "AWS_CA_BUNDLE over the profile" ok refused
unset AWS_CA_BUNDLE
: >"$AWS_CONFIG_FILE"

step "a bundle that is not there: refused, no fall-back to the system store"
export AWS_CA_BUNDLE=$T/no-such-bundle.pem
rc=0
mark=$(log_mark)
"$CR" plan --endpoint-url "$SYS_URL" "$T/m/pool.yaml" >"$T/out" 2>"$T/err" </dev/null || rc=$?
[ "$rc" -ne 0 ] || fail "a missing AWS_CA_BUNDLE file let the call through"
[ -z "$(ops_since "$mark" all)" ] || fail "a call reached the emulator with a missing bundle"
expect_in "$T/err" "$T/no-such-bundle.pem"
sed "s/^/    missing bundle: /" "$T/err"
unset AWS_CA_BUNDLE

# bad_bundle WHAT MESSAGE: apply (straight to the emulator, plain http, which a bundle does not
# concern: any call would go through) is refused with exactly MESSAGE, before any call.
bad_bundle() {
    local rc=0 mark
    mark=$(log_mark)
    "$CR" apply --auto-approve --endpoint-url "$EMU_URL" "$T/m/pool.yaml" >"$T/out" 2>"$T/err" </dev/null || rc=$?
    [ "$rc" -eq 1 ] || fail "$1: apply exited $rc, expected 1"
    [ -z "$(ops_since "$mark" all)" ] || fail "$1: calls reached the emulator: $(ops_since "$mark" all | tr '\n' ' ')"
    [ "$(cat "$T/err")" = "$2" ] || fail "$1: expected '$2', got '$(cat "$T/err")'"
}
hint="(set it to a PEM file of CA certificates, or unset it to use the system trust store)"
step "a CA bundle that cannot be used: what is wrong and what to do, before any call"
mkdir -p "$T/a-folder"
export AWS_CA_BUNDLE=$T/no-such-bundle.pem
bad_bundle "missing file" "error: AWS_CA_BUNDLE '$T/no-such-bundle.pem' cannot be read: No such file or directory $hint"
export AWS_CA_BUNDLE=$T/a-folder
bad_bundle "a folder" "error: AWS_CA_BUNDLE '$T/a-folder' cannot be read: Is a directory $hint"
export AWS_CA_BUNDLE=$T/m/pool.yaml
bad_bundle "not PEM" "error: AWS_CA_BUNDLE '$T/m/pool.yaml' holds no PEM certificate: no -----BEGIN CERTIFICATE----- block $hint"
openssl x509 -in "$C/bundle-ca.pem" -outform DER -out "$T/bundle-ca.der"
export AWS_CA_BUNDLE=$T/bundle-ca.der
bad_bundle "DER, not PEM" "error: AWS_CA_BUNDLE '$T/bundle-ca.der' holds no PEM certificate: no -----BEGIN CERTIFICATE----- block $hint"
unset AWS_CA_BUNDLE
printf '[default]\nca_bundle = %s\n' "$T/no-such-bundle.pem" >"$AWS_CONFIG_FILE"
bad_bundle "the profile's" "error: ca_bundle '$T/no-such-bundle.pem' of profile 'default' ($AWS_CONFIG_FILE) cannot be read: No such file or directory (set it to a PEM file of CA certificates, or remove it to use the system trust store)"
: >"$AWS_CONFIG_FILE"
# the control: a good bundle lets the same apply through
export AWS_CA_BUNDLE=$C/bundle-ca.pem
"$CR" apply --auto-approve --endpoint-url "$EMU_URL" "$T/m/pool.yaml" >"$T/out" 2>"$T/err" </dev/null ||
    fail "apply with a good bundle: $(cat "$T/err")"
unset AWS_CA_BUNDLE

echo "PASS"
