#!/usr/bin/env bash
# SPDX-License-Identifier: Apache-2.0
# cognito-reconcile watch following a branch over ssh:// (issue 15: "credentials from the usual
# places (an SSH key file, ...)"). Debian's real sshd (openssh-server, scripts/deps.sh) runs as
# a child on 127.0.0.1 on a free port, in the foreground, with a throwaway host key, its own
# config (-f) and an AuthorizedKeysFile holding a client key made here with ssh-keygen; it
# serves a bare repository through git-upload-pack. Proven:
# - --git-ssh-key FILE: the pool is created from the branch, and a later commit is applied;
# - a key the server does not accept: refused, /status and the log name the remote, no hang;
# - the host key is checked against ~/.ssh/known_hosts (docs/watch.md): a host missing from it,
#   and a host whose key differs, are refused naming the remote, and nothing is written;
# - no private key material in any output.
# Skipped (exit 77) only when the libgit2 the tool links was built without ssh support.
. "$CR_SOURCE_DIR/tests/integration/cli_lib.sh"
cli_setup
. "$CR_SOURCE_DIR/tests/integration/watch_lib.sh"
repo_init

SSHD=/usr/sbin/sshd # sshd re-executes itself: an absolute path
[ -x "$SSHD" ] || fail "$SSHD missing: scripts/deps.sh installs openssh-server"
# GIT_FEATURE_SSH (1 << 2) of git_libgit2_features(), asked of the libgit2 the tool links.
libgit2=$(ldd "$CR" | sed -n 's/.*libgit2[^ ]* => \([^ ]*\) .*/\1/p' | head -1)
[ -n "$libgit2" ] || fail "$CR does not link libgit2"
features=$("$PY" -S -c 'import ctypes, sys; print(ctypes.CDLL(sys.argv[1]).git_libgit2_features())' "$libgit2")
if [ $((features & 4)) -eq 0 ]; then
    echo "SKIP: $libgit2 was built without ssh support (git_libgit2_features() = $features)"
    exit 77
fi

failed_at_least() { [ "$(status_field "$1" 'd["cycles"]["failed"]')" -ge "$2" ]; }

step "sshd on loopback: throwaway host key, its own config and authorized keys"
S="$T/sshd"
mkdir -p "$S" "$T/home/.ssh"
ssh-keygen -q -t ed25519 -N '' -C watch-test-host -f "$S/host_key"
ssh-keygen -q -t ed25519 -N '' -C watch-test-other-host -f "$S/other_host_key"
ssh-keygen -q -t ed25519 -N '' -C watch-test-client -f "$T/client_key"
ssh-keygen -q -t ed25519 -N '' -C watch-test-stranger -f "$T/wrong_key"
cp "$T/client_key.pub" "$S/authorized_keys"
# As root, sshd needs its privilege separation directory (the package makes it at boot, which
# a container never has); it is the system's, so it stays.
if [ "$(id -u)" -eq 0 ] && [ ! -d /run/sshd ]; then
    mkdir -p /run/sshd
    chmod 755 /run/sshd
fi
user=$(id -un)
port=""
for _ in 1 2 3 4 5; do
    port=$("$PY" -S -c 'import socket; s=socket.socket(); s.bind(("127.0.0.1",0)); print(s.getsockname()[1])')
    cat >"$S/sshd_config" <<EOF
ListenAddress 127.0.0.1
Port $port
HostKey $S/host_key
PidFile none
AuthorizedKeysFile $S/authorized_keys
AllowUsers $user
PermitRootLogin prohibit-password
PubkeyAuthentication yes
PasswordAuthentication no
KbdInteractiveAuthentication no
UsePAM no
StrictModes no
PrintMotd no
MaxAuthTries 3
LogLevel VERBOSE
EOF
    "$SSHD" -D -e -f "$S/sshd_config" 2>"$S/log" &
    sshd=$!
    WATCH_PIDS="$WATCH_PIDS $sshd"
    ok=0
    for i in $(seq 1 50); do # listening: a connection is accepted
        if "$PY" -S -c 'import socket, sys; socket.create_connection(("127.0.0.1", int(sys.argv[1])), 1).close()' \
            "$port" 2>/dev/null; then ok=1; break; fi
        kill -0 "$sshd" 2>/dev/null || break
        sleep 0.1
    done
    [ $ok -eq 1 ] && break
    kill "$sshd" 2>/dev/null || true # the port was taken meanwhile: another one
    wait "$sshd" 2>/dev/null || true
    port=""
done
[ -n "$port" ] || fail "sshd did not start: $(cat "$S/log")"
url="ssh://$user@127.0.0.1:$port$T/remote.git"
# The watchers' home: ~/.ssh/known_hosts is where libgit2 looks for the host key. No agent.
export HOME="$T/home"
unset SSH_AUTH_SOCK SSH_AGENT_PID
known_hosts() { # known_hosts PUBKEY_FILE: the one line for [127.0.0.1]:PORT
    printf '[127.0.0.1]:%s %s\n' "$port" "$(cut -d' ' -f1,2 "$1")" >"$HOME/.ssh/known_hosts"
}
known_hosts "$S/host_key.pub"
# The same key, the same host key, through OpenSSH's own client: the server is set up right.
GIT_SSH_COMMAND="ssh -F none -i $T/client_key -o IdentitiesOnly=yes -o BatchMode=yes -o UserKnownHostsFile=$HOME/.ssh/known_hosts" \
    git ls-remote "$url" >/dev/null 2>"$T/ls-remote.err" ||
    fail "OpenSSH's client cannot fetch over $url: $(cat "$T/ls-remote.err"; tail -5 "$S/log")"

step "--git-ssh-key: the branch is followed over ssh, a commit applied"
c1=$(commit_file envs/prod/web.yaml "$(manifest Web)" "web")
watch_start a --git-url "$url" --git-ssh-key "$T/client_key" --interval 1s envs/prod
wait_for 30 "the pool created over ssh" name_is Web
wait_for 10 "revision $c1 in /status" field_is a 'd["revision"]' "$c1"
c2=$(commit_file envs/prod/web.yaml "$(manifest "Web Two")" "rename")
wait_for 30 "the rename applied over ssh" name_is "Web Two"
wait_for 10 "revision $c2 in /status" field_is a 'd["revision"]' "$c2"
watch_stop a
[ "$W_RC" = 0 ] || fail "watch exited $W_RC on SIGTERM, not 0"
grep -q "Accepted publickey for $user" "$S/log" || fail "sshd did not log the key's login"

step "a key the server does not accept: refused naming the remote, retried, no hang"
mark=$(log_mark)
watch_start b --git-url "$url" --git-ssh-key "$T/wrong_key" --interval 1s envs/prod
wait_for 30 "a refused fetch" failed_at_least b 1
status_field b 'd["last_cycle"]["message"]' >"$T/why"
expect_in "$T/why" "git fetch $url (branch main): the remote refused the credentials"
echo "refused: $(cat "$T/why")"
wait_for 30 "the next cycle refused too (the watcher goes on)" failed_at_least b 2
[ "$(watch_get b /readyz)" = 503 ] || fail "/readyz is not 503 without a good fetch"
expect_in "$T/b.err" "git fetch $url (branch main): the remote refused the credentials"
watch_stop b
[ "$W_RC" = 0 ] || fail "watch exited $W_RC on SIGTERM, not 0"
[ "$(writes_since "$mark")" -eq 0 ] || fail "write calls without a fetch: $(ops_since "$mark")"

step "host key checking: a host missing from known_hosts is refused"
: >"$HOME/.ssh/known_hosts"
accepted() { grep -c "Accepted publickey" "$S/log" || true; }
logins=$(accepted) # the host key is checked before any key is offered
c3=$(commit_file envs/prod/web.yaml "$(manifest "Web Three")" "unknown host")
mark=$(log_mark)
watch_start c --git-url "$url" --git-ssh-key "$T/client_key" --interval 1s envs/prod
wait_for 30 "a refused fetch" failed_at_least c 1
status_field c 'd["last_cycle"]["message"]' >"$T/why"
expect_in "$T/why" "git fetch $url (branch main): "
expect_in "$T/why" "host key"
expect_in "$T/why" "$HOME/.ssh/known_hosts"
echo "refused: $(cat "$T/why")"
watch_stop c

step "host key checking: a host whose key changed is refused"
known_hosts "$S/other_host_key.pub"
watch_start d --git-url "$url" --git-ssh-key "$T/client_key" --interval 1s envs/prod
wait_for 30 "a refused fetch" failed_at_least d 1
status_field d 'd["last_cycle"]["message"]' >"$T/why"
expect_in "$T/why" "git fetch $url (branch main): "
expect_in "$T/why" "host key"
expect_in "$T/why" "$HOME/.ssh/known_hosts"
echo "refused: $(cat "$T/why")"
watch_stop d
name_is "Web Two" || fail "a commit was applied from a host whose key is not known"
[ "$(writes_since "$mark")" -eq 0 ] || fail "write calls from an unchecked host: $(ops_since "$mark")"
[ "$(accepted)" -eq "$logins" ] || fail "a client logged in to a host whose key is not known"

step "the right host key again: the waiting commit is applied"
known_hosts "$S/host_key.pub"
watch_start e --git-url "$url" --git-ssh-key "$T/client_key" --interval 1s envs/prod
wait_for 30 "the commit applied" name_is "Web Three"
wait_for 10 "revision $c3 in /status" field_is e 'd["revision"]' "$c3"
watch_stop e

step "no key material in any output"
for key in "$T/client_key" "$T/wrong_key"; do
    # every base64 line of the private key
    sed '1d;$d' "$key" >"$T/key-lines"
    if grep -qFf "$T/key-lines" "$T"/*.err "$T"/*.out "$T"/*.http 2>/dev/null; then
        fail "private key material of $(basename "$key") was printed"
    fi
done
kill "$sshd"
wait "$sshd" 2>/dev/null || true
echo "PASS"
