#!/bin/sh
# test_run_terminal.sh: `bmsrig run`'s human-readable output (progress lines, messages,
# summary, --list, -v log lines) and `bmsrig bms --scenario`'s verdict lines never passes a scenario's name or message to the terminal raw:
# ESC, BEL, CR, other C0 controls and C1 controls (U+009B CSI) are neutralised, as in the TAP
# descriptions, while the readable rest of the name survives.
# usage: test_run_terminal.sh BMSRIG
set -u
. "$(dirname "$0")/lib.sh"
lib_init "$1"
# clean FILE: no ESC, BEL, CR, C1 CSI (C2 9B) or NEL (C2 85) byte anywhere in FILE.
clean() {
    test "$(tr -d -c '\033\007\015' <"$1" | wc -c)" -eq 0 &&
        ! LC_ALL=C grep -q "$(printf '\302\233')" "$1" &&
        ! LC_ALL=C grep -q "$(printf '\302\205')" "$1"
}

# Names and messages full of terminal controls: OSC title, clear screen, CR overwrite, CSI.
cat >"$W/fail.lua" <<'LUA'
return scenario {
  name = "evil\27]0;pwned\7\r\27[2J name \194\155" .. "31m end",
  run = function(t)
    t:log("log \27[31m red \r over")
    t:fail("message \27[31m red \r over \194\133 nel")
  end,
}
LUA
cat >"$W/err.lua" <<'LUA'
return scenario {
  name = "error \27[1A up",
  run = function(t) error("boom \27]0;title\7 \r\27[K") end,
}
LUA
cat >"$W/ok.lua" <<'LUA'
return scenario { name = "plain ok \27[5m blink", run = function(t) t:wait(0.1) end }
LUA

# The control case: the files really hold the controls (the check can fail).
printf 'x\033[2Jy\r\n' >"$W/dirty"
check "the check itself sees ESC and CR in a dirty file" not clean "$W/dirty"

"$BMSRIG" run "$W/fail.lua" "$W/err.lua" "$W/ok.lua" >"$W/out" 2>"$W/errout"
rc=$?
check "run exits 2 (an error scenario) (got $rc)" test "$rc" -eq 2
check "progress and summary (stdout) carry no terminal controls" clean "$W/out"
check "stderr carries none either" clean "$W/errout"
check "the readable part of the name survives" grep -qF "evil?]0;pwned? ?[2J name ?31m end" "$W/out"
check "the failure message is shown, neutralised" grep -qF "message ?[31m red   over ? nel" "$W/out"
check "the error message (traceback kept on its lines) is shown" grep -qF "boom ?]0;title?  ?[K" "$W/out"
check "summary lists all three" test "$(grep -c -E '^(evil|error|plain ok)' "$W/out")" -ge 3

"$BMSRIG" run --tap "$W/fail.lua" "$W/err.lua" "$W/ok.lua" >"$W/tap" 2>"$W/errout"
check "--tap: progress on stderr carries no terminal controls" clean "$W/errout"
check "--tap: TAP on stdout neither" clean "$W/tap"

"$BMSRIG" -v run "$W/fail.lua" >"$W/out" 2>"$W/errout"
check "-v: log lines on stderr carry no terminal controls" clean "$W/errout"
check "-v: the log line is there" grep -qF "log ?[31m red   over" "$W/errout"

"$BMSRIG" run --list "$W/fail.lua" "$W/err.lua" "$W/ok.lua" >"$W/out" 2>"$W/errout"
check "--list carries no terminal controls" clean "$W/out"
check "--list: one line per scenario" test "$(wc -l <"$W/out")" -eq 3

# A file found in a directory can carry controls in its own name: a file whose loading the
# watchdog writes off is reported by path (stderr) and listed by path (--list), neutralised too.
mkdir -p "$W/dir"
evil="$W/dir/$(printf 'stuck\033]0;pwned\007\r.lua')"
cat >"$evil" <<'LUA'
string.find(string.rep("a", 100000), string.rep("a*", 150) .. "b")
return scenario { name = "never loads", run = function(t) end }
LUA
timeout -s KILL 20 "$BMSRIG" run -q --watchdog 0.2 "$W/dir" >"$W/out" 2>"$W/errout"
check "stuck load: stderr carries no terminal controls" clean "$W/errout"
check "stuck load: the path is named, neutralised" grep -qF "stuck?]0;pwned? .lua" "$W/errout"
timeout -s KILL 20 "$BMSRIG" run --list --watchdog 0.2 "$W/dir" >"$W/out" 2>"$W/errout"
check "stuck load --list: stdout carries no terminal controls" clean "$W/out"
check "stuck load --list: stderr neither" clean "$W/errout"
rm -f "$evil"

# `bmsrig bms --scenario` prints its verdict, expectations and message the same way (no
# controller needed: the scenario fails at once).
cat >"$W/bmsfail.lua" <<'LUA'
return scenario {
  name = "bms \27]0;pwned\7\r\27[2J name",
  run = function(t)
    t:measure("m\27[31m\nscenario forged: pass after 0.000 s (0 tick overruns)", 1, { unit = "V\r", max = 0 })
    t:fail("bms message \27[31m red \r over \194\155" .. "1m\nscenario forged: pass after 0.000 s")
  end,
}
LUA
timeout -s KILL 20 "$BMSRIG" bms --pty --dut-wait 0 --scenario "$W/bmsfail.lua" >"$W/out" 2>"$W/errout"
rc=$?
check "bms --scenario: exit 1 (got $rc)" test "$rc" -eq 1
check "bms --scenario: stdout carries no terminal controls" clean "$W/out"
check "bms --scenario: stderr neither" clean "$W/errout"
check "bms --scenario: the verdict line names the scenario, neutralised" \
    grep -qF "scenario bms ?]0;pwned? ?[2J name: fail" "$W/out"
check "bms --scenario: neither a measurement's name nor a message can forge a verdict line" \
    test "$(grep -c '^scenario ' "$W/out")" -eq 1
check "bms --scenario: the message is shown, neutralised" grep -qF "bms message ?[31m red   over ?1m" "$W/out"

finish
