#!/bin/sh
# test_manual.sh: the generated man pages and bash completion agree with the binary's --help:
# one page per command of `bmsrig --help`, each rendering without a groff warning, each naming
# every option its --help lists; the completion offers every command, and for each command
# every option its --help lists (extracted here independently of rig/manual), plus the
# sub-words of bench and report.
# usage: test_manual.sh BMSRIG MANUAL_DIR
set -u
BMSRIG=$1
MAN=$2
W=$(mktemp -d)
trap 'rm -rf "$W"' EXIT
fails=0
check() {
    desc=$1; shift
    if "$@"; then echo "ok: $desc"; else echo "FAILED: $desc"; fails=$((fails + 1)); fi
}
# options_of CMD: the option words of the lines of `bmsrig help CMD` that start (after an
# indent of 2 to 4, an option item's) with '-': "  -j N, --jobs N  ..." gives -j and --jobs.
options_of() {
    "$BMSRIG" help "$1" | awk '/^(  |   |    )-/ {
        n = split($0, w, /  +/); spec = w[2]
        m = split(spec, alt, /, /)
        for (i = 1; i <= m; i++) { split(alt[i], t, /[ =[]/); if (t[1] ~ /^-/) print t[1] }
    }' | sort -u
}
# complete_words LINE: what the completion offers for the last word of LINE (bash, as typed).
complete_words() {
    bash -c '. "$1"; shift; COMP_WORDS=("$@"); COMP_CWORD=$(($# - 1)); _bmsrig; printf "%s\n" "${COMPREPLY[@]}"' \
        _ "$MAN/bash-completion/bmsrig" "$@"
}

commands=$("$BMSRIG" --help | awk '/^commands:/{on=1;next} /^$/{on=0} on && $1!="help"{print $1}')
check "bmsrig --help lists commands" test -n "$commands"
check "bmsrig(1) renders without warnings" sh -c "LC_ALL=C.UTF-8 MANWIDTH=100 man --warnings -l '$MAN/man1/bmsrig.1' 2>'$W/w' >/dev/null && ! test -s '$W/w'"
offered=$(complete_words bmsrig "")
for cmd in $commands; do
    page="$MAN/man1/bmsrig-$cmd.1"
    check "bmsrig-$cmd(1) exists" test -f "$page"
    LC_ALL=C.UTF-8 MANWIDTH=200 man --warnings -l "$page" >"$W/page" 2>"$W/warn"
    check "bmsrig-$cmd(1) renders without warnings" sh -c "! test -s '$W/warn'"
    [ -s "$W/warn" ] && cat "$W/warn"
    check "bmsrig(1) refers to bmsrig-$cmd(1)" grep -q "bmsrig-$cmd" "$MAN/man1/bmsrig.1"
    check "the completion offers '$cmd' as a command" sh -c "printf '%s\n' '$offered' | grep -qx '$cmd'"
    opts=$(options_of "$cmd")
    missing_page="" missing_comp=""
    comp=$(complete_words bmsrig "$cmd" -)
    for o in $opts; do
        grep -q -- "$o" "$W/page" || missing_page="$missing_page $o"
        printf '%s\n' "$comp" | grep -qx -- "$o" || missing_comp="$missing_comp $o"
    done
    check "bmsrig-$cmd(1) names every option of its --help${missing_page:+ (missing:$missing_page)}" test -z "$missing_page"
    check "'bmsrig $cmd -<TAB>' offers every option of its --help${missing_comp:+ (missing:$missing_comp)}" test -z "$missing_comp"
done
check "'bmsrig run --ta<TAB>' gives --target --tap --tap-version --tags" \
    test "$(complete_words bmsrig run --ta | sort | tr '\n' ' ')" = "--tags --tap --tap-version --target "
check "'bmsrig bench <TAB>' gives its targets" \
    test "$(complete_words bmsrig bench "" | sort | tr '\n' ' ')" = "bms engine firmware mpsse sim "
check "'bmsrig report <TAB>' gives html" test "$(complete_words bmsrig report "")" = "html"
check "'bmsrig help r<TAB>' gives the commands starting with r" \
    test "$(complete_words bmsrig help r | sort | tr '\n' ' ')" = "report run "
check "'bmsrig -<TAB>' gives the global options" \
    test "$(complete_words bmsrig - | sort | tr '\n' ' ')" = "--help --version -v "

if [ "$fails" -ne 0 ]; then
    echo "$fails check(s) failed"
    exit 1
fi
echo "all manual checks passed"
