#!/bin/sh
# test_run_esc_figures.sh BMSRIG SOURCE_DIR: a scenario chooses the virtual controller's figure
# set (issue 16): `esc = { model =, figures = "recorded" | "emulated" }`. The two library
# scenarios pass with their own set and fail with the other (each window comes from its own
# figures: 589 / 573 ms first request, 209.53 / 210.0 ms polls, 501 / 500 boot tries); a bad
# field, type or name is a script error naming the declaration's file:line.
set -u
. "$(dirname "$0")/lib.sh"
lib_init "$1"
SRC_DIR=$2
LIB=$SRC_DIR/scripts/comm

for set in recorded emulated; do
    expect_exit 0 "library figures_${set}_timing passes with its own figures" \
        "$BMSRIG" run --json "$W/$set.json" "$LIB/figures_${set}_timing.lua"
    check "... all four of its measurements inside their windows" \
        jqe '[.scenarios[0].measurements[] | select(.verdict == "pass")] | length == 4' "$W/$set.json"
done
# the other set: the same script with the declaration swapped fails on its windows
sed 's/figures = "recorded"/figures = "emulated"/' "$LIB/figures_recorded_timing.lua" >"$W/rec_swapped.lua"
sed 's/figures = "emulated"/figures = "recorded"/' "$LIB/figures_emulated_timing.lua" >"$W/emu_swapped.lua"
for f in rec_swapped emu_swapped; do
    expect_exit 1 "$f: the other figure set fails the windows" \
        "$BMSRIG" run --json "$W/$f.json" "$W/$f.lua"
    check "... on all four measurements" \
        jqe '[.scenarios[0].measurements[] | select(.verdict == "fail")] | length == 4' "$W/$f.json"
done
# without a declaration: recorded, as the model's default
cat >"$W/default.lua" <<'LUA'
return scenario { name = "default figures", run = function(t)
  t:power_on()
  t:expect("a first request", function() return t:esc().boot_requests > 0 end, { within = 1 })
  t:measure("first_request_s", t:now(), { min = 0.588, max = 0.590 })
end }
LUA
expect_exit 0 "no esc declaration: the recorded figures (first request at 589 ms)" \
    "$BMSRIG" run "$W/default.lua"
sed 's/name = "default figures",/name = "default figures", esc = "pro2",/' "$W/default.lua" >"$W/pro2.lua"
expect_exit 0 "esc = \"pro2\" (the string form) still works" "$BMSRIG" run "$W/pro2.lua"

# bad declarations: script errors (exit 2) naming file:line and the field
bad() {   # bad NAME DECL MESSAGE
    printf 'return scenario { name = "bad",\n  %s,\n  run = function(t) end }\n' "$2" >"$W/$1.lua"
    expect_exit 2 "$1: $2 refused" "$BMSRIG" run "$W/$1.lua"
    check "... with file:line and '$3'" grep -q "$1.lua:[0-9][0-9]*: scenario: .*$3" "$W/out" "$W/err"
}
bad figname 'esc = { figures = "emulatd" }' "esc.figures 'emulatd': not a figure set"
bad figtype 'esc = { figures = 1 }' "esc.figures: unknown field or wrong type"
bad field 'esc = { params = "emulated" }' "esc.params: unknown field or wrong type (esc fields: model, figures)"
bad model 'esc = { model = "m366" }' "esc.model 'm366': not a controller model"
bad type 'esc = 5' "field 'esc' must be a string or table, got number"
finish
