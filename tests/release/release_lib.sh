# SPDX-License-Identifier: Apache-2.0
# Shared by the tests of installed trees (release/test_install: `make install DESTDIR=`,
# release/test_package: the extracted .deb). Source it after setting T (a scratch folder).
#
#   check_installed_tree ROOT PREFIX   # everything below, for the tree ROOT/PREFIX
#
# Checks that the files are where the shells, man and editors look; runs the installed
# programs (--version with the version and commit of the source tree; the emulator started
# from ROOT, the CLI planning against it); renders every man page with man -l and groff
# without a warning; loads each completion script in the real bash, zsh and fish and checks
# the words they offer.

: "${CR_SOURCE_DIR:?run under ctest}" "${CR_BIN_DIR:?run under ctest}" "${T:?set T first}"
. "$CR_SOURCE_DIR/tests/support/emulator.sh"

fail() {
    echo "FAIL: $*" >&2
    exit 1
}

# The version CMake configured and, in a git work tree, the commit --version must name.
expected_version() {
    local version
    version=$(sed -n 's/^CMAKE_PROJECT_VERSION:STATIC=//p' "$CR_BUILD_DIR/CMakeCache.txt")
    [ -n "$version" ] || fail "no CMAKE_PROJECT_VERSION in $CR_BUILD_DIR/CMakeCache.txt"
    local commit
    if commit=$(git -C "$CR_SOURCE_DIR" rev-parse --short=12 HEAD 2>/dev/null); then
        printf '%s (git %s' "$version" "$commit"
    else
        printf '%s' "$version"
    fi
}

check_files() { # ROOT PREFIX ZSH_DIR
    local p=$1$2
    local f
    for f in bin/cognito-reconcile bin/cognito-identity-local; do
        [ -x "$p/$f" ] || fail "$p/$f is not an installed executable"
    done
    for f in share/man/man1/cognito-reconcile.1.gz share/man/man1/cognito-identity-local.1.gz \
        share/man/man5/cognito-reconcile-manifest.5.gz \
        share/bash-completion/completions/cognito-reconcile \
        "$3/_cognito-reconcile" share/fish/vendor_completions.d/cognito-reconcile.fish \
        share/cognito-reconcile/identity-pool.schema.json \
        share/doc/cognito-reconcile/LICENSE share/doc/cognito-reconcile/NOTICE; do
        [ -f "$p/$f" ] || fail "$p/$f is missing"
    done
    # The installed completion scripts are what the program prints.
    local shell
    for shell in bash zsh fish; do
        case $shell in
        bash) f=share/bash-completion/completions/cognito-reconcile ;;
        zsh) f=$3/_cognito-reconcile ;;
        fish) f=share/fish/vendor_completions.d/cognito-reconcile.fish ;;
        esac
        "$p/bin/cognito-reconcile" completion "$shell" | cmp -s - "$p/$f" ||
            fail "$p/$f differs from 'cognito-reconcile completion $shell'"
    done
    # The schema is the source's, with its stable $id.
    cmp -s "$CR_SOURCE_DIR/schema/identity-pool.schema.json" \
        "$p/share/cognito-reconcile/identity-pool.schema.json" || fail "installed schema differs"
    grep -q '"\$id": "https://cognito-reconcile.github.io/schema/v1/identity-pool.schema.json"' \
        "$p/share/cognito-reconcile/identity-pool.schema.json" || fail "schema \$id"
}

check_programs() { # ROOT PREFIX
    local bin=$1$2/bin want
    want=$(expected_version)
    local prog out
    for prog in cognito-reconcile cognito-identity-local; do
        out=$("$bin/$prog" --version) || fail "$bin/$prog --version failed"
        case "$out" in
        "$prog $want"*) ;;
        *) fail "$bin/$prog --version printed '$out', expected '$prog $want...'" ;;
        esac
    done
    # The installed emulator and CLI work together (nothing from the build tree is used).
    CR_BIN_DIR=$bin emu_start || fail "the installed emulator did not start"
    local rc=0
    (
        cd "$CR_SOURCE_DIR"
        export AWS_ACCESS_KEY_ID=AKIDINSTALLTEST AWS_SECRET_ACCESS_KEY=install/test/secret
        export AWS_REGION=us-east-1 AWS_CONFIG_FILE=/dev/null AWS_SHARED_CREDENTIALS_FILE=/dev/null
        "$bin/cognito-reconcile" validate examples/minimal >"$T/validate.out" 2>&1 &&
            "$bin/cognito-reconcile" plan examples/minimal --endpoint-url "$EMU_URL" \
                --detailed-exitcode >"$T/plan.out" 2>&1
    ) || rc=$?
    emu_stop
    [ "$rc" -eq 2 ] || { cat "$T/validate.out" "$T/plan.out" >&2; fail "installed plan exited $rc, expected 2"; }
    grep -q CreateIdentityPool "$T/plan.out" || fail "the installed plan does not create the pool"
    # A read from git runs in the git reader, the installed program itself started again
    # (source/git.c): it must work from wherever the package put the program.
    local repo=$T/git-read
    mkdir -p "$repo" && git -C "$repo" init -q && cp "$CR_SOURCE_DIR"/examples/minimal/*.yaml "$repo/" &&
        git -C "$repo" add . && git -C "$repo" -c user.name=t -c user.email=t@example.com commit -qm one ||
        fail "cannot make a git repository in $repo"
    out=$(cd "$repo" && "$bin/cognito-reconcile" validate --git-ref HEAD 2>&1) ||
        fail "installed validate --git-ref HEAD failed: $out"
    [ "$out" = "validated 1 pool in 1 file" ] || fail "installed validate --git-ref HEAD printed '$out'"
}

check_man_pages() { # ROOT PREFIX
    local man=$1$2/share/man page name
    for page in "$man"/man1/cognito-reconcile.1.gz "$man"/man1/cognito-identity-local.1.gz \
        "$man"/man5/cognito-reconcile-manifest.5.gz; do
        name=$(basename "$page" .gz)
        MANWIDTH=80 man --warnings -l "$page" >"$T/$name.txt" 2>"$T/$name.err" ||
            fail "man -l $page failed: $(cat "$T/$name.err")"
        [ ! -s "$T/$name.err" ] || fail "man --warnings -l $page: $(cat "$T/$name.err")"
        zcat "$page" | groff -man -Tutf8 -ww -z 2>"$T/$name.groff"
        [ ! -s "$T/$name.groff" ] || fail "groff -ww on $page: $(cat "$T/$name.groff")"
        grep -q "^NAME" "$T/$name.txt" || fail "$page renders without a NAME section"
    done
    grep -q "cognito-reconcile - declarative manager" "$T/cognito-reconcile.1.txt" ||
        fail "cognito-reconcile(1) has no NAME line"
    # man finds them by name in the installed tree (section folders right).
    for name in cognito-reconcile cognito-identity-local cognito-reconcile-manifest; do
        man --manpath="$man" -w "$name" >/dev/null 2>&1 || fail "man -w $name finds nothing in $man"
    done
}

# ---- completion in the real shells ----

# comp_bash FILE LINE: the words bash's completion function offers for LINE.
comp_bash() {
    bash --norc --noprofile -c '
        source "$1" || exit 2
        read -ra COMP_WORDS <<<"$2"
        [[ $2 == *" " ]] && COMP_WORDS+=("")
        COMP_CWORD=$((${#COMP_WORDS[@]} - 1)) COMP_LINE=$2 COMP_POINT=${#2}
        complete -p cognito-reconcile >/dev/null || exit 3
        _cognito_reconcile cognito-reconcile "${COMP_WORDS[COMP_CWORD]}" "${COMP_WORDS[COMP_CWORD-1]}"
        printf "%s\n" "${COMPREPLY[@]}"' bash "$1" "$2"
}

# comp_zsh DIR LINE: what an interactive zsh with DIR in $fpath offers at <TAB>.
comp_zsh() {
    zsh -f "$CR_SOURCE_DIR/tests/release/zsh_complete.zsh" "$1" "$2"
}

# comp_fish DIR LINE: what fish offers with DIR in $fish_complete_path.
comp_fish() {
    fish --no-config -c 'set -p fish_complete_path $argv[1]; complete -C $argv[2]' "$1" "$2" |
        cut -f1
}

# expect_words SHELL LINE GOT_FILE WORD...: the offered words are exactly WORD... (a trailing
# "/" or "=" that a shell adds is ignored).
expect_words() {
    local shell=$1 line=$2 got=$3
    shift 3
    local want
    want=$(printf '%s\n' "$@" | sort -u)
    local have
    have=$(sed 's#[/=]$##' "$got" | sed '/^$/d' | sort -u)
    [ "$have" = "$want" ] ||
        fail "$shell: '$line<TAB>' offers [$(echo $have)], expected [$(echo $want)]"
}

# expect_has SHELL LINE GOT_FILE WORD: WORD is among the offered words.
expect_has() {
    sed 's#[/=]$##' "$3" | grep -qxF -- "$4" ||
        fail "$1: '$2<TAB>' offers [$(echo $(cat "$3"))], not '$4'"
}

check_completions() { # ROOT PREFIX ZSH_DIR
    local p=$1$2
    local bash_file=$p/share/bash-completion/completions/cognito-reconcile
    local zsh_dir=$p/$3 fish_dir=$p/share/fish/vendor_completions.d
    local work=$T/completion-cwd
    mkdir -p "$work/stacks"
    : >"$work/plan.json"
    local shell verb line
    for shell in bash zsh fish; do
        local src
        case $shell in
        bash) src=$bash_file ;;
        zsh) src=$zsh_dir ;;
        fish) src=$fish_dir ;;
        esac
        # The installed program on PATH, as after installing (fish loads completions only
        # for commands it finds).
        c() {
            (cd "$work" && PATH="$p/bin:$PATH" "comp_$shell" "$src" "$1") >"$T/got" 2>"$T/got.err" ||
                true
        }
        line="cognito-reconcile pl"
        c "$line"
        expect_words "$shell" "$line" "$T/got" plan
        line="cognito-reconcile plan --out"
        c "$line"
        expect_words "$shell" "$line" "$T/got" --out --output
        # Every subcommand offers exactly the options its --help lists (the option table).
        for verb in validate plan apply drift export diff; do
            line="cognito-reconcile $verb --"
            c "$line"
            # shellcheck disable=SC2046
            expect_words "$shell" "$line" "$T/got" \
                $("$p/bin/cognito-reconcile" "$verb" --help | sed -n 's/^  \(--[a-z][a-z0-9-]*\).*/\1/p')
        done
        line="cognito-reconcile drift --output "
        c "$line"
        expect_words "$shell" "$line" "$T/got" text json markdown junit
        line="cognito-reconcile validate --output "
        c "$line"
        expect_words "$shell" "$line" "$T/got" text json
        line="cognito-reconcile completion "
        c "$line"
        expect_words "$shell" "$line" "$T/got" bash zsh fish
        # A value nothing can guess offers nothing (not file names); REV offers revisions.
        line="cognito-reconcile plan --region "
        c "$line"
        expect_words "$shell" "$line" "$T/got"
        line="cognito-reconcile plan --git-ref "
        c "$line"
        expect_has "$shell" "$line" "$T/got" HEAD
        # File paths for PATH and FILE arguments.
        line="cognito-reconcile plan st"
        c "$line"
        expect_has "$shell" "$line" "$T/got" stacks
        line="cognito-reconcile plan --out pl"
        c "$line"
        expect_has "$shell" "$line" "$T/got" plan.json
    done
}

check_installed_tree() { # ROOT PREFIX
    local zsh_dir=share/zsh/site-functions
    [ "$2" = /usr ] && zsh_dir=share/zsh/vendor-completions
    check_files "$1" "$2" "$zsh_dir"
    check_programs "$1" "$2"
    check_man_pages "$1" "$2"
    check_completions "$1" "$2" "$zsh_dir"
}
