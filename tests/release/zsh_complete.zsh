# SPDX-License-Identifier: Apache-2.0
# Prints, one per line, the words zsh's completion system offers for a command line, as an
# interactive zsh would at <TAB>:  zsh -f zsh_complete.zsh FPATH_DIR 'cognito-reconcile pl'
# It starts a real interactive zsh on a pseudo-terminal (zsh/zpty) with FPATH_DIR first in
# $fpath and compinit run, wraps compadd to print each match it is given, types the line and
# a TAB, and reads the matches back. Run it from the folder file names should come from.
zmodload zsh/zpty || exit 2
fdir=$1 line=$2
zpty z zsh -f -i || exit 2
zpty -w z "PS1=''; fpath=(${(q)fdir} \$fpath); autoload -Uz compinit; compinit -u -D"
zpty -w z "zstyle ':completion:*' list-grouped false; zstyle ':completion:*' insert-tab false"
# The markers are assembled at run time, so the echo of these lines never contains them.
zpty -w z 'compadd() {
  if [[ ${@[1,(i)(-|--)]} == *-(O|A|D)\ * ]]; then builtin compadd "$@"; return; fi
  local -a __hits; builtin compadd -O __hits "$@"
  (( $#__hits )) && print -rl -- "<""m>"${^__hits}
  builtin compadd "$@"
}'
zpty -w z '__cr_done() { print -r -- "<""done>"; exit }; comppostfuncs=(__cr_done)'
zpty -w z "$line"$'\t'
integer n=0
while zpty -r -t z out || { sleep 0.05; (( ++n < 200 )) }; do
  [[ -z $out ]] && continue
  out=${out//$'\r'/}
  for l in ${(f)out}; do
    [[ $l == *'<m>'* ]] && print -r -- "${l#*<m>}"
    [[ $l == *'<done>'* ]] && { zpty -d z; exit 0; }
  done
  out=
done
zpty -d z
exit 1
