#!/bin/sh
# test_help.sh BMSRIG: --help, help CMD and version tell the truth and exit as documented.
set -u
bin=$1
fail=0
check() { desc=$1; shift; if "$@"; then echo "ok - $desc"; else echo "not ok - $desc"; fail=1; fi; }

out=$("$bin" --help); rc=$?
check "--help exits 0" test $rc -eq 0
# Every command --help lists must answer its own help.
for cmd in $(printf '%s\n' "$out" | awk '/^commands:/{on=1;next} /^$/{on=0} on && $1!="help"{print $1}'); do
    "$bin" help "$cmd" | grep -q "^usage: bmsrig $cmd"
    check "help $cmd shows its usage" test $? -eq 0
    "$bin" "$cmd" --help | grep -q "^usage: bmsrig $cmd"
    check "$cmd --help shows its usage" test $? -eq 0
done
"$bin" nosuchcommand >/dev/null 2>&1
check "unknown command exits 2" test $? -eq 2
"$bin" >/dev/null 2>&1
check "no command exits 2" test $? -eq 2
ver=$("$bin" version)
check "version names libftdi1" sh -c "printf '%s' \"\$1\" | grep -q '^libftdi1 1\.'" _ "$ver"
check "version names lua 5.4" sh -c "printf '%s' \"\$1\" | grep -q '^lua 5\.4'" _ "$ver"
exit $fail
