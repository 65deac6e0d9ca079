#!/bin/sh
# test_help_options.sh BMSRIG SOURCE_DIR: `--help` and the option tables agree, both ways. Every
# long option a command's getopt table accepts (rig/cli/*.c `struct option` tables) is in that
# command's help, and every option the help lists at the start of an option line is accepted:
# `bmsrig CMD --opt` never answers "unknown option".
set -u
. "$(dirname "$0")/lib.sh"
lib_init "$1"
SRC=$2
cd "$W" || exit 1

command_of() { # the command a source file's option table belongs to
    case $(basename "$1" .c) in
        run_options) echo run ;;
        bench_*) echo bench ;;
        cmd_*) basename "$1" .c | sed 's/^cmd_//' ;;
        *) echo "" ;;
    esac
}
tables=0
for f in $(grep -l 'struct option' "$SRC"/rig/cli/*.c); do
    cmd=$(command_of "$f")
    [ -n "$cmd" ] || { echo "FAILED: $f: an option table of no known command"; fails=$((fails + 1)); continue; }
    "$BMSRIG" help "$cmd" >"help.$cmd" 2>&1
    # the table's entries: { "name", no_argument|required_argument|optional_argument, ...
    sed -n 's/.*{ *"\([a-z][a-z0-9-]*\)", *\(no\|required\|optional\)_argument.*/\1/p' "$f" |
        sort -u >"opts"
    tables=$((tables + 1))
    while read -r o; do
        check "$cmd: --$o ($(basename "$f")) is in 'bmsrig help $cmd'" \
            grep -qE -- "(^|[^a-z-])--$o([^a-z-]|\$)" "help.$cmd"
    done <opts
done
check "option tables found ($tables)" test "$tables" -ge 8
for cmd in $("$BMSRIG" --help | awk '/^commands:/{on=1;next} /^$/{on=0} on && $1!="help"{print $1}'); do
    "$BMSRIG" help "$cmd" >"help.$cmd" 2>&1
    for o in $(grep -oE '^ {2,}--[a-z][a-z0-9-]*' "help.$cmd" | tr -d ' ' | sort -u); do
        timeout 5 "$BMSRIG" "$cmd" "$o" x </dev/null >out 2>&1
        check "$cmd: $o, listed in its help, is accepted" not grep -qiE "unknown option|unrecognized option" out
    done
done
finish
