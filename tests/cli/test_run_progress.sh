#!/bin/sh
# test_run_progress.sh: `bmsrig run --progress`: a start line per scenario and, in a long
# real-time scenario, a line every S seconds with its scenario time and last command (a fault
# injected at 1 s shows as such); none by default when stderr is not a terminal; on by default
# on a terminal (script(1) gives the run one), off there with --no-progress or -q; bad values
# are exit 2.
# usage: test_run_progress.sh BMSRIG
set -u
BMSRIG=$1
W=$(mktemp -d)
trap 'rm -rf "$W"' EXIT
fails=0
check() {
    desc=$1; shift
    if "$@"; then echo "ok: $desc"; else echo "FAILED: $desc"; fails=$((fails + 1)); fi
}
cat >"$W/long.lua" <<'LUA'
return scenario { name = "long real-time: a cut at 1 s", tags = { "x" },
  run = function(t) t:power_on(); t:wait(1); t:fault("bms_tx", "open"); t:wait(1.6) end }
LUA
cat >"$W/quick.lua" <<'LUA'
return scenario { name = "quick virtual", run = function(t) t:power_on(); t:wait(1) end }
LUA

"$BMSRIG" run --realtime --progress=0.5 "$W/long.lua" >"$W/out" 2>"$W/err"
rc=$?
cat "$W/err"
check "a real-time run with --progress=0.5 passes (exit $rc)" test "$rc" -eq 0
check "one start line" test "$(grep -c '^\[  1/1\] start     long real-time: a cut at 1 s$' "$W/err")" -eq 1
n=$(grep -c '^\[  1/1\] running ' "$W/err")
check "a running line about every 0.5 s of the 2.6 s ($n)" sh -c "test $n -ge 3 && test $n -le 6"
check "before 1 s the last command is power on" grep -qE '^\[  1/1\] running +0\.[0-9]+ s sim .*: last power on at 0\.000 s$' "$W/err"
check "after 1 s it is the injected fault, at 1.000 s" grep -qE '^\[  1/1\] running +(1\.[1-9]|2\.)[0-9]* s sim .*: last fault bms_tx 1 at 1\.000 s$' "$W/err"
check "the scenario time grows from line to line" sh -c "awk '/ running / { t = \$4 + 0; if (t <= last) bad = 1; last = t } END { exit bad }' '$W/err'"
check "the progress lines stay off stdout" sh -c "! grep -q ' running \| start ' '$W/out'"

"$BMSRIG" run --realtime "$W/long.lua" >"$W/out2" 2>"$W/err2"
check "stderr not a terminal, no --progress: no start or running lines" sh -c "! grep -qE '\] (start|running) ' '$W/err2' '$W/out2'"

if command -v script >/dev/null 2>&1; then
    script -q -c "'$BMSRIG' run '$W/quick.lua'" /dev/null >"$W/tty" 2>&1
    check "on a terminal: a start line by default" grep -q 'start     quick virtual' "$W/tty"
    script -q -c "'$BMSRIG' run --no-progress '$W/quick.lua'" /dev/null >"$W/tty2" 2>&1
    check "on a terminal with --no-progress: none" sh -c "! grep -q 'start     quick' '$W/tty2'"
    check "  (the run itself still printed its result)" grep -q 'pass .*quick virtual' "$W/tty2"
    script -q -c "'$BMSRIG' run -q '$W/quick.lua'" /dev/null >"$W/tty3" 2>&1
    check "on a terminal with -q: none" sh -c "! grep -q 'start     quick' '$W/tty3'"
else
    echo "note: script(1) missing (util-linux): the terminal default is not checked"
fi

"$BMSRIG" run -j 2 --progress "$W/quick.lua" "$W/long.lua" >/dev/null 2>"$W/err3"
check "-j 2 --progress: a start line per scenario" test "$(grep -cE '^\[  [12]/2\] start ' "$W/err3")" -eq 2
"$BMSRIG" run --progress=0 "$W/quick.lua" >/dev/null 2>&1
check "--progress=0 is bad input" test $? -eq 2
"$BMSRIG" run --progress=soon "$W/quick.lua" >/dev/null 2>&1
check "--progress=soon is bad input" test $? -eq 2

if [ "$fails" -ne 0 ]; then
    echo "$fails check(s) failed"
    exit 1
fi
echo "all progress checks passed"
