#!/bin/sh
# test_help.sh BMSRIG: --help, help CMD and version tell the truth and exit as documented.
set -u
. "$(dirname "$0")/lib.sh"
lib_init "$1"

out=$("$BMSRIG" --help); rc=$?
check "--help exits 0" test $rc -eq 0
# Every command --help lists must answer its own help.
for cmd in $(printf '%s\n' "$out" | awk '/^commands:/{on=1;next} /^$/{on=0} on && $1!="help"{print $1}'); do
    "$BMSRIG" help "$cmd" | grep -q "^usage: bmsrig $cmd"
    check "help $cmd shows its usage" test $? -eq 0
    "$BMSRIG" "$cmd" --help | grep -q "^usage: bmsrig $cmd"
    check "$cmd --help shows its usage" test $? -eq 0
done
"$BMSRIG" nosuchcommand >/dev/null 2>&1
check "unknown command exits 2" test $? -eq 2
"$BMSRIG" >/dev/null 2>&1
check "no command exits 2" test $? -eq 2
# Whole-number options refuse fractions instead of truncating them, and name the option.
"$BMSRIG" run -j 1.5 >/dev/null 2>"${TMPDIR:-/tmp}/bmsrig_help_$$"; rc=$?
check "run -j 1.5 exits 2" test $rc -eq 2
check "run -j 1.5 names -j" grep -q "^bmsrig run: -j: '1.5' is not a whole number" "${TMPDIR:-/tmp}/bmsrig_help_$$"
"$BMSRIG" sim --seed 1.5 --load 1 --duration 1 --out /dev/null >/dev/null 2>"${TMPDIR:-/tmp}/bmsrig_help_$$"; rc=$?
check "sim --seed 1.5 exits 2 naming --seed" sh -c "test $rc -eq 2 && grep -q -- \"--seed: '1.5' is not a whole number\" \"\$1\"" _ "${TMPDIR:-/tmp}/bmsrig_help_$$"
"$BMSRIG" bms --pty --baud 115200.7 >/dev/null 2>"${TMPDIR:-/tmp}/bmsrig_help_$$"; rc=$?
check "bms --baud 115200.7 exits 2 naming --baud" sh -c "test $rc -eq 2 && grep -q -- \"--baud: '115200.7' is not a whole number\" \"\$1\"" _ "${TMPDIR:-/tmp}/bmsrig_help_$$"
"$BMSRIG" esc --bms-port /dev/null --throttle 2 >/dev/null 2>"${TMPDIR:-/tmp}/bmsrig_help_$$"; rc=$?
check "esc --throttle 2 exits 2 naming --throttle" sh -c "test $rc -eq 2 && grep -q -- \"--throttle: '2' is not a number in 0..1\" \"\$1\"" _ "${TMPDIR:-/tmp}/bmsrig_help_$$"
rm -f "${TMPDIR:-/tmp}/bmsrig_help_$$"
ver=$("$BMSRIG" version)
check "version names libftdi1" sh -c "printf '%s' \"\$1\" | grep -q '^libftdi1 1\.'" _ "$ver"
check "version names lua 5.4" sh -c "printf '%s' \"\$1\" | grep -q '^lua 5\.4'" _ "$ver"
# -v works after the command name as before it, and every command's help lists it.
"$BMSRIG" help run | grep -q '^  -v           more diagnostics on stderr'
check "help run lists -v" test $? -eq 0
"$BMSRIG" decode --help | grep -q '^  -v   '
check "decode --help lists -v" test $? -eq 0
printf '55AA0322011010B9FF\n' | "$BMSRIG" decode -v - >/dev/null 2>&1
check "decode -v (after the command) is accepted" test $? -eq 0
printf '55AA0322011010B9FF\n' | "$BMSRIG" -v decode - >/dev/null 2>&1
check "-v decode (before the command) is accepted" test $? -eq 0
"$BMSRIG" run -v --list --filter 'no such scenario' >/dev/null 2>&1
check "run -v reaches run's own checks (an empty --list exits 2, not 'unknown option')" test $? -eq 2
"$BMSRIG" run --list -v --filter 'no such scenario' 2>&1 | grep -q "unknown option"
check "run --list -v is not an unknown option" test $? -ne 0
# With -v, piped output and diagnostics keep their order: the run's header line (stdout) comes
# before the scenario's log line (stderr), which comes before its result line (stdout).
tmpd=$(mktemp -d)
printf 'return scenario { name = "logs", run = function(t) t:log("hello from the scenario") end }\n' >"$tmpd/lo.lua"
"$BMSRIG" run -v "$tmpd/lo.lua" >"$tmpd/out" 2>&1
order=$(grep -n -e '^bmsrig run: 1 scenario' -e 'hello from the scenario' -e '^\[  1/1\] pass' "$tmpd/out" | cut -d: -f1 | tr '\n' ' ')
check "run -v piped: header, log line, result in that order ($order)" sh -c "printf '%s' '$order' | awk '{ exit !(NF == 3 && \$1 < \$2 && \$2 < \$3) }'"
rm -rf "$tmpd"
finish
