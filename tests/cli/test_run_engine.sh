#!/bin/sh
# test_run_engine.sh: `bmsrig run` end to end on small inline scenarios that need no model:
# verdicts and exit codes, file:line and tracebacks, the sandbox, the instruction budget, the
# scenario-time limit, skips, selection, and the three report formats (JUnit checked against
# tests/data/junit-10.xsd with xmllint, JSON with jq, TAP by its grammar).
# usage: test_run_engine.sh BMSRIG SOURCE_DIR
set -u
. "$(dirname "$0")/lib.sh"
lib_init "$1"
SRC=$2
# expect_rc WANT DESCRIPTION -- args...: `bmsrig run args...` exits WANT (output in W/out, W/err)
expect_rc() {
    want=$1; desc=$2; shift 3
    expect_exit "$want" "$desc" "$BMSRIG" run "$@"
}

mkdir -p "$W/s"
cat >"$W/s/pass.lua" <<'LUA'
return scenario {
  name = "passes: time & <xml> \"quotes\" # hash",
  tags = { "infra", "smoke" },
  run = function(t)
    t:log("hello", 42)
    t:wait(1.5)
    local dt = t:expect("two seconds reached", function() return t:now() >= 2.0 end, { within = 1 })
    t:measure("dt", dt, { min = 0.4, max = 0.6, unit = "s" })
    t:expect("true throughout", function() return true end, { ["for"] = 0.25 })
    t:expect("window", function() return t:now() >= 3.0 end, { after = 0.2, within = 1 })
    local f = t:output("note.txt"); f:write("written\n"); f:close()
    assert(not pcall(t.output, t, "../escape.txt"))
  end,
}
LUA
cat >"$W/s/sandbox.lua" <<'LUA'
return scenario {
  name = "sandbox holds",
  tags = { "infra" },
  run = function(t)
    assert(os == nil and io == nil and debug == nil and package == nil and coroutine == nil)
    assert(string.dump == nil and dofile == nil and loadfile == nil)
    local f, err = load("\27Lua", "bin", "b")
    assert(f == nil and err:find("binary"), err)
    assert(load("return 1 + 1")() == 2)
    assert(not pcall(require, "../../etc/passwd"))
  end,
}
LUA
mkdir -p "$W/s/lib"
cat >"$W/s/lib/helper.lua" <<'LUA'
local M = {}
function M.twice(x) return 2 * x end
return M
LUA
cat >"$W/s/uses_lib.lua" <<'LUA'
local helper = require "helper"
return scenario { name = "uses a lib helper", tags = { "infra" },
  run = function(t) assert(helper.twice(21) == 42); assert(require("helper") == helper) end }
LUA
expect_rc 0 "passing scenarios" -- "$W/s" --junit "$W/j.xml" --json "$W/r.json" --trace "$W/tr"
check "progress line names the scenario" has "pass .*passes: time" "$W/out"
check "summary counts (lib/ is not a scenario folder)" has "3 scenarios: 3 passed, 0 failed" "$W/out"
expect_rc 2 "--list with an empty selection exits 2 like run" -- "$W/s" --list --filter "no such scenario"
check "--list with an empty selection says why" has "no scenario selected" "$W/err"
expect_rc 0 "one passing scenario" -- "$W/s/pass.lua" --trace "$W/tr1"
check "summary of one reads '1 scenario' (singular)" has "^1 scenario: 1 passed, 0 failed, 0 errors, 0 skipped" "$W/out"
expect_rc 0 "passing scenarios again (for the reports below)" -- "$W/s" --junit "$W/j.xml" --json "$W/r.json" --trace "$W/tr"
check "JUnit validates against junit-10.xsd" xmllint --noout --schema "$SRC/tests/data/junit-10.xsd" "$W/j.xml"
check "JUnit carries the measurement as a property" has 'name="measure.dt"' "$W/j.xml"
"$BMSRIG" run "$W/s/pass.lua" --tap --trace "$W/trt" >"$W/tap.out" 2>/dev/null
check "TAP escapes '#' in a description" has '^ok 1 - passes: time & <xml> "quotes" \\# hash$' "$W/tap.out"
check "JSON parses and is complete" sh -c "jq -e '.complete == true and .counts.pass == 3' '$W/r.json' >/dev/null"
check "JSON has versions and seed" sh -c "jq -e '(.bmsrig_version|length) > 0 and (.lua_version|test(\"Lua 5.4\")) and (.libftdi_version|length) > 0 and .seed == 1' '$W/r.json' >/dev/null"
check "JSON measurement with limits and verdict" sh -c "jq -e '.scenarios[] | select(.name|test(\"passes\")) | .measurements[0] | .name == \"dt\" and .min == 0.4 and .max == 0.6 and .unit == \"s\" and .verdict == \"pass\" and (.value > 0.49 and .value < 0.51)' '$W/r.json' >/dev/null"
check "JSON expectations recorded" sh -c "jq -e '[.scenarios[] | select(.name|test(\"passes\")) | .expectations[] | select(.verdict == \"pass\")] | length == 3' '$W/r.json' >/dev/null"
check "t:output wrote into the trace folder" has written "$W/tr/note.txt"
check "no file escaped the output folder" test ! -e "$W/escape.txt"

cat >"$W/fail.lua" <<'LUA'
return scenario {
  name = "expectation fails",
  run = function(t)
    t:wait(0.5)
    t:expect("never true", function() return false end, { within = 0.3 })
  end,
}
LUA
expect_rc 1 "failed expectation" -- "$W/fail.lua" --junit "$W/jf.xml" --tap
check "failure names file:line, expectation and time" has "fail.lua:5: never true: still false after 0.300 s (t=0.800 s" "$W/err"
check "TAP version line (13 by default)" sh -c "head -1 '$W/out' | grep -qx 'TAP version 13'"
check "TAP plan" sh -c "sed -n 2p '$W/out' | grep -qx '1..1'"
check "TAP not ok line" has "^not ok 1 - expectation fails" "$W/out"
check "TAP YAML block" sh -c "grep -q '^  ---' '$W/out' && grep -q '^  \.\.\.' '$W/out'"
check "JUnit failure validates" xmllint --noout --schema "$SRC/tests/data/junit-10.xsd" "$W/jf.xml"
check "JUnit failure element with message" has '<failure type="fail" message=".*never true' "$W/jf.xml"

# Control characters in names and messages cannot break a report: in TAP lines CR becomes a
# space and C0/C1 controls and U+2028/2029 a '?'; in YAML and JSON strings they are \u escapes;
# in JUnit C1 characters are character references. No raw CR, C1 or LS/PS byte is written.
cat >"$W/ctl.lua" <<'LUA'
return scenario {
  name = "ctl\rnot ok 2 - forged\u{85}nel\u{9b}csi\u{2028}ls\27[2Kesc",
  run = function(t) t:fail("bad\rnot ok 3 - forged\u{85}...\u{85}---\u{9b}x\u{2029}y") end,
}
LUA
expect_rc 1 "scenario with control characters" -- "$W/ctl.lua" --tap --json "$W/ctl.json" --junit "$W/ctl.xml"
no_raw_ctl() { ! LC_ALL=C grep -qP '\r|\xC2[\x80-\x9F]|\xE2\x80[\xA8\xA9]' "$1"; }
check "TAP: no raw CR, C1 or LS/PS byte" no_raw_ctl "$W/out"
check "TAP: exactly one test line" test "$(grep -cE '^(not )?ok ' "$W/out")" -eq 1
check "TAP: the test line with CR as a space and controls as '?'" has '^not ok 1 - ctl not ok 2 - forged?nel?csi?ls?\[2Kesc$' "$W/out"
check "TAP: YAML message keeps them as escapes" has '^  message: ".*bad\\rnot ok 3 - forged\\u0085\.\.\.\\u0085---\\u009bx\\u2029y"$' "$W/out"
check "JSON: no raw CR, C1 or LS/PS byte" no_raw_ctl "$W/ctl.json"
check "JSON: the name round-trips exactly" sh -c "jq -e '.scenarios[0].name == \"ctl\\rnot ok 2 - forged\\u0085nel\\u009bcsi\\u2028ls\\u001b[2Kesc\"' '$W/ctl.json' >/dev/null"
check "JUnit: no raw CR, C1 or LS/PS byte" no_raw_ctl "$W/ctl.xml"
check "JUnit: C1 characters as references" has 'forged&#x85;nel&#x9b;csi' "$W/ctl.xml"
check "JUnit with control characters validates" xmllint --noout --schema "$SRC/tests/data/junit-10.xsd" "$W/ctl.xml"

cat >"$W/caught.lua" <<'LUA'
return scenario { name = "caught failure", run = function(t)
  local ok = pcall(t.expect, t, "never", function() return false end, { within = 0.1 })
  assert(not ok)
end }
LUA
expect_rc 1 "a failed expectation caught with pcall still fails the scenario" -- "$W/caught.lua"
check "the caught failure is the message" has "caught.lua:2: never: still false after 0.100 s" "$W/out"

cat >"$W/measure.lua" <<'LUA'
return scenario { name = "measurement out of limits", run = function(t)
  t:measure("volts", 3.0, { min = 3.5, unit = "V" })
end }
LUA
expect_rc 1 "measurement outside its limits fails the scenario" -- "$W/measure.lua"
check "measurement failure named" has "measurement volts = 3 V outside >= 3.5" "$W/out"

cat >"$W/error.lua" <<'LUA'
return scenario {
  name = "runtime error",
  run = function(t)
    local x = nil
    return x.field
  end,
}
LUA
expect_rc 2 "Lua runtime error is a script error" -- "$W/error.lua" --json "$W/e.json"
check "error has file:line" has "error.lua:5: attempt to index a nil value" "$W/out"
check "error has a traceback" has "stack traceback" "$W/out"
check "JSON verdict error" sh -c "jq -e '.scenarios[0].verdict == \"error\"' '$W/e.json' >/dev/null"

# A bad argument to the scenario API is placed at the script's line, not inside the prelude.
printf 'return scenario { name = "badarg",\n  run = function(t)\n    t:group("x")\n  end }\n' >"$W/badarg.lua"
expect_rc 2 "bad argument to the API is a script error" -- "$W/badarg.lua"
check "bad argument has the script's file:line" has "badarg.lua:3: bad argument #1" "$W/out"

printf 'return scenario { name = "x" run = 1 }\n' >"$W/syntax.lua"
expect_rc 2 "syntax error" -- "$W/syntax.lua"
check "syntax error has file:line" has "syntax.lua:1:" "$W/out"

printf 'return scenario { name = "x", bogus = 1, run = function(t) end }\n' >"$W/decl.lua"
expect_rc 2 "unknown declaration field" -- "$W/decl.lua"
check "declaration error names the field and line" has "decl.lua:1: scenario: unknown field 'bogus'" "$W/out"

# A report that cannot be written is not a pass.
printf 'return scenario { name = "ok", run = function(t) t:wait(0.01) end }\n' >"$W/ok.lua"
expect_rc 0 "a passing scenario with a writable report" -- "$W/ok.lua" --junit "$W/ok.xml"
expect_rc 2 "--junit into a missing directory" -- "$W/ok.lua" --junit "$W/no/such/dir/j.xml"
check "the unwritable report is named" has "no/such/dir/j.xml" "$W/err"
expect_rc 2 "--json into a missing directory" -- "$W/ok.lua" --json "$W/no/such/dir/r.json"

printf 'return scenario { name = "x", ambient_c = 0/0, run = function(t) t:wait(1) end }\n' >"$W/ambient.lua"
expect_rc 2 "a NaN ambient_c is refused (it made every cell temperature NaN)" -- "$W/ambient.lua"
check "ambient_c error names the field and line" has "ambient.lua:1: scenario: ambient_c must be in -40 .. 85 C" "$W/out"

# Declarations are read raw: a metatable that raises or loops cannot crash or hang the engine
# (it was a Lua panic, exit 134, when the C side read fields through __index).
printf 'return scenario { name = "mt", pack = setmetatable({}, {__index = function() error("boom") end}), run = function(t) t:wait(0.1) end }\n' >"$W/mt.lua"
expect_rc 0 "a declaration sub-table whose __index raises is read raw" -- "$W/mt.lua"
printf 'return scenario(setmetatable({ name = "mt2", run = function(t) t:wait(0.1) end }, {__index = function() while true do end end}))\n' >"$W/mt2.lua"
expect_rc 0 "a declaration whose __index loops is read raw" -- "$W/mt2.lua"
printf 'return scenario { name = "deep", pack = { a = { b = { c = { d = {} } } } }, run = function(t) end }\n' >"$W/deep.lua"
expect_rc 2 "over-nested declaration tables are refused" -- "$W/deep.lua"
check "nesting error names the line" has "deep.lua:1: scenario: declaration tables nest too deep" "$W/out"

# A report path that is a symbolic link is written through, not replaced by a regular file.
ln -s "$W/real.json" "$W/link.json"
expect_rc 0 "--json through a symbolic link" -- "$W/mt.lua" --json "$W/link.json"
check "the symbolic link is still a link" test -L "$W/link.json"
check "its target holds the report" grep -q '"format": "bmsrig-report-1"' "$W/real.json"

printf 'return 42\n' >"$W/noreturn.lua"
expect_rc 2 "file without scenario{}" -- "$W/noreturn.lua"

cat >"$W/budget.lua" <<'LUA'
return scenario { name = "runaway loop", run = function(t)
  while true do pcall(function() while true do end end) end
end }
LUA
expect_rc 2 "instruction budget stops a runaway loop, even one hidden in pcall" -- "$W/budget.lua"
check "budget message" has "instruction budget" "$W/out"

cat >"$W/gc.lua" <<'LUA'
return scenario { name = "finalizer loop", run = function(t)
  setmetatable({}, { __gc = function() while true do end end })
  collectgarbage()
end }
LUA
timeout -s KILL 60 "$BMSRIG" run "$W/gc.lua" >"$W/out" 2>"$W/err"
check "a __gc finalizer cannot escape the instruction budget (exit $?, wanted 2)" test $? -eq 2
check "finalizer refusal names the line" has "gc.lua:2: setmetatable: __gc" "$W/out"

printf 'return scenario { name = "caf\\195\\169 bad \\255 byte", run = function(t) t:log("del \\127 \\200") error("msg \\255\\254 \\237\\160\\128") end }\n' >"$W/utf8.lua"
expect_rc 2 "scenario with malformed UTF-8 in its strings" -- "$W/utf8.lua" --junit "$W/u.xml" --json "$W/u.json"
check "JUnit is well-formed despite malformed UTF-8" xmllint --noout "$W/u.xml"
check "JSON is valid UTF-8 despite malformed UTF-8" sh -c "iconv -f UTF-8 -t UTF-8 '$W/u.json' >/dev/null"
check "well-formed UTF-8 kept, malformed bytes replaced" sh -c "jq -e '.scenarios[0].name == \"caf\\u00e9 bad ? byte\"' '$W/u.json' >/dev/null"

cat >"$W/logbomb.lua" <<'LUA'
return scenario { name = "log bomb", run = function(t)
  local s = string.rep("x", 1 << 20)
  for i = 1, 100 do t:log(s) end
end }
LUA
expect_rc 2 "logs held in C memory are capped too (the Lua memory cap does not see them)" -- "$W/logbomb.lua"
check "log cap message" has "too much recorded" "$W/out"

cat >"$W/mem.lua" <<'LUA'
return scenario { name = "memory bomb", run = function(t)
  local big = {}
  for i = 1, 1e9 do big[i] = string.rep("x", 4096) .. i end
end }
LUA
expect_rc 2 "memory cap stops a memory bomb" -- "$W/mem.lua"
check "memory error names the file and the limit" has "mem.lua: not enough memory (the limit is 256 MiB per scenario)" "$W/out"
check "memory error traceback has the line" has "mem.lua:3:" "$W/out"

cat >"$W/timeout.lua" <<'LUA'
return scenario { name = "too long", timeout = 5, run = function(t) t:wait(3600) end }
LUA
expect_rc 1 "scenario-time limit" -- "$W/timeout.lua"
check "time limit message" has "scenario time limit of 5.0 s reached" "$W/out"

cat >"$W/forever.lua" <<'LUA'
return scenario { name = "waits forever", timeout = 2, run = function(t) t:wait(math.huge) end }
LUA
# issue 16: an infinite wait is refused at the call (it once waited one tick, then the whole limit)
expect_rc 2 "t:wait(math.huge) is an argument error at the call" -- "$W/forever.lua"
check "forever: names the call's line and the limit" has "forever.lua:1: wait: seconds must be a number of seconds in 0..604800" "$W/out"

cat >"$W/nanopt.lua" <<'LUA'
return scenario { name = "NaN hold", run = function(t)
  t:expect("briefly true", function() return t:now() < 0.01 end, { ["for"] = 0/0 })
end }
LUA
expect_rc 2 "a NaN expectation option is refused (for = NaN skipped the hold and passed)" -- "$W/nanopt.lua"
check "NaN option message" has "nanopt.lua:2: expect: 'for' must be a number of seconds in 0..604800" "$W/out"

printf 'return scenario { name = "NaN limit", timeout = 0/0, run = function(t) t:wait(3600) end }\n' >"$W/nantimeout.lua"
expect_rc 2 "a NaN timeout is refused (it disabled the time limit)" -- "$W/nantimeout.lua"
check "NaN timeout message" has "nantimeout.lua:1: scenario: 'timeout' must be > 0 s" "$W/out"

cat >"$W/failskip.lua" <<'LUA'
return scenario { name = "caught failure then skip", run = function(t)
  pcall(t.expect, t, "never", function() return false end)
  t:skip("changed my mind")
end }
LUA
expect_rc 1 "a caught failed expectation is not hidden by a later skip" -- "$W/failskip.lua"
check "caught-then-skip message is the expectation" has "failskip.lua:2: never" "$W/out"

mkdir -p "$W/esc/out"
cat >"$W/esc/escape.lua" <<'LUA'
return scenario { name = "rewrites string.match", run = function(t)
  string.match = function() return true end
  type = function() return "string" end
  local f = t:output("../escaped.txt")
  f:write("outside\n"); f:close()
end }
LUA
expect_rc 2 "t:output keeps its name check when the script rewrites string.match" -- "$W/esc/escape.lua" --trace "$W/esc/out"
check "no file written outside the output folder via string.match" test ! -e "$W/esc/escaped.txt"

cat >"$W/measskip.lua" <<'LUA'
return scenario { name = "bad measurement then skip", run = function(t)
  t:measure("x", 5, { max = 1 })
  t:skip("changed my mind")
end }
LUA
expect_rc 1 "a measurement outside its limits is not hidden by a later skip" -- "$W/measskip.lua"
check "measurement-then-skip message" has "measurement x = 5" "$W/out"

cat >"$W/skip.lua" <<'LUA'
return scenario { name = "skips", run = function(t) t:skip("needs a bench with a heater") end }
LUA
expect_rc 0 "skip is not a failure" -- "$W/skip.lua" --tap
check "TAP SKIP directive with the reason" has "^ok 1 - skips # SKIP needs a bench with a heater" "$W/out"

cat >"$W/needs.lua" <<'LUA'
return scenario { name = "needs a bench", needs = { "real_controller" }, run = function(t) error("must not run") end }
LUA
expect_rc 0 "a need the target cannot meet is a skip" -- "$W/needs.lua" --tap
check "skip names the missing capability" has "^ok 1 - needs a bench # SKIP target virtual cannot provide 'real_controller'" "$W/out"
cat >"$W/needs_bad.lua" <<'LUA'
return scenario { name = "typo", needs = { "real_controler" }, run = function(t) end }
LUA
expect_rc 2 "an unknown capability is a script error" -- "$W/needs_bad.lua"
check "unknown capability named with the line" has "needs_bad.lua:1: scenario: needs: unknown capability 'real_controler'" "$W/out"
cat >"$W/needs_ok.lua" <<'LUA'
return scenario { name = "virtual needs", needs = { "virtual_controller", "link_faults" }, run = function(t) t:wait(0.1) end }
LUA
expect_rc 0 "needs the virtual target meets" -- "$W/needs_ok.lua"

mkdir -p "$W/dup"
cp "$W/s/pass.lua" "$W/dup/pass.lua"
expect_rc 2 "--trace refuses two files of the same name" -- "$W/s" "$W/dup" --trace "$W/trd"
check "the collision is named" has "would write the same trace files" "$W/err"

expect_rc 0 "--list" -- "$W/s" --list
check "--list shows name and tags" has "passes: time.*infra,smoke" "$W/out"
expect_rc 0 "--tags selects" -- "$W/s" --tags smoke --list
check "--tags kept only the tagged one" sh -c "[ \$(wc -l < '$W/out') -eq 1 ]"
expect_rc 0 "--filter selects" -- "$W/s" --filter 'sandbox*' --list
check "--filter kept only the match" sh -c "[ \$(wc -l < '$W/out') -eq 1 ] && grep -q sandbox '$W/out'"
expect_rc 0 "--filter takes a plain substring of the name" -- "$W/s" --filter 'xml> "quo' --list
check "--filter substring selects the scenario whose name holds it" has "pass.lua" "$W/out"
check "--filter substring selects only that one" sh -c "! grep -q sandbox.lua '$W/out'"
expect_rc 2 "--filter glob is whole-name: 'xml' alone with a glob char matches nothing" -- "$W/s" --filter 'xml*' --list
expect_rc 2 "nothing selected" -- "$W/s" --tags nosuchtag
expect_rc 2 "unknown option" -- --bogus
expect_rc 2 "bad seed" -- --seed abc "$W/s"
expect_rc 2 "missing path" -- "$W/nonexistent"
expect_rc 2 "-j with --realtime" -- -j 2 --realtime "$W/s"
expect_rc 2 "--target rig without --rig" -- --target rig "$W/skip.lua"
expect_rc 0 "parallel run" -- -j 2 "$W/s" "$W/skip.lua" --trace "$W/tr2"

# Real time: a 0.5 s scenario takes about 0.5 s of wall time, with overruns counted.
cat >"$W/rt.lua" <<'LUA'
return scenario { name = "real time", run = function(t) t:wait(0.5) end }
LUA
expect_rc 0 "real-time clock" -- --realtime "$W/rt.lua" --json "$W/rt.json"
check "real time took >= 0.5 s of wall time" sh -c "jq -e '.scenarios[0].wall_s >= 0.49 and .scenarios[0].wall_s < 5 and .clock == \"realtime\" and (.scenarios[0].overruns|type) == \"number\"' '$W/rt.json' >/dev/null"

# Interrupt: SIGINT during a real-time run -> exit 4, reports marked incomplete.
cat >"$W/long.lua" <<'LUA'
return scenario { name = "long", run = function(t) t:wait(30) end }
LUA
"$BMSRIG" run --realtime "$W/long.lua" --json "$W/int.json" --junit "$W/int.xml" >"$W/out" 2>&1 &
pid=$!
sleep 1
kill -INT $pid
wait $pid
rc=$?
check "SIGINT gives exit 4 (got $rc)" test "$rc" -eq 4
check "interrupted JSON is marked incomplete" sh -c "jq -e '.complete == false and .scenarios[0].verdict == \"not-run\"' '$W/int.json' >/dev/null"
check "interrupted JUnit still validates" xmllint --noout --schema "$SRC/tests/data/junit-10.xsd" "$W/int.xml"

# Replay CSVs are read whole line by line: a comment or a row longer than any fixed buffer keeps
# its line number (it used to be split into pieces that were parsed as rows of their own), and
# an empty field is not merged away.
mkdir -p "$W/rp"
long=$(awk 'BEGIN { while (n++ < 1100) printf "0" }')
printf 't_s,current_a\n# %s\n0,1\n1,2\n' "$long" >"$W/rp/long_comment.csv"
printf 't_s,current_a\n0,1\n2,%sabc\n3,1\n' "$long" >"$W/rp/long_bad.csv"
printf 't_s,current_a\n0,1\n2,,5\n' >"$W/rp/empty_field.csv"
printf 't_s,current_a\n0,%s5\n' "$long" >"$W/rp/long_ok.csv"
cat >"$W/rp/replay_lines.lua" <<'LUA'
return scenario {
  name = "replay: long lines and empty fields",
  run = function(t)
    t:replay("long_comment.csv")
    t:replay("long_ok.csv")
    local ok, err = pcall(t.replay, t, "long_bad.csv")
    assert(not ok and err:find("long_bad.csv:3: column 2: '000", 1, true), err)
    ok, err = pcall(t.replay, t, "empty_field.csv")
    assert(not ok and err:find("empty_field.csv:3: column 2: '' is not a number", 1, true), err)
  end,
}
LUA
expect_rc 0 "replay keeps long lines whole and refuses empty fields" -- "$W/rp/replay_lines.lua"

finish
