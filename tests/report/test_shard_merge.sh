#!/bin/sh
# test_shard_merge.sh: `bmsrig run --shard K/N` and `bmsrig report merge OUT IN...`. The shards
# of a selection partition it (every scenario in exactly one shard, sizes within one), the split
# does not depend on how the paths are given, bad spellings exit 2 naming the option; merging
# the shards' JSON gives the whole run's scenarios and counts (JSON, JUnit valid against
# junit-10.xsd, TAP), and duplicates, shards of different runs, JUnit inputs, a broken input
# and a bad OUT are refused with exit 2.
# usage: test_shard_merge.sh BMSRIG SOURCE_DIR
set -u
. "$(dirname "$0")/../cli/lib.sh"
lib_init "$1"
SRC=$2
lib="$SRC/scripts"

list() { "$BMSRIG" run --list "$@" | grep -v '^  ' | cut -f1; }
list "$lib" | sort >"$W/all"
total=$(wc -l <"$W/all")
check "the library lists scenarios ($total)" test "$total" -ge 10
for n in 1 2 3 5; do
    k=1
    : >"$W/union"
    sizes=""
    while [ $k -le $n ]; do
        list --shard "$k/$n" "$lib" >"$W/shard$k"
        cat "$W/shard$k" >>"$W/union"
        sizes="$sizes $(wc -l <"$W/shard$k")"
        k=$((k + 1))
    done
    sort "$W/union" >"$W/union.sorted"
    check "--shard K/$n: the shards together are the selection, each scenario once" \
        cmp -s "$W/all" "$W/union.sorted"
    min=$(echo $sizes | tr ' ' '\n' | sort -n | head -1)
    max=$(echo $sizes | tr ' ' '\n' | sort -n | tail -1)
    check "--shard K/$n: sizes within one of each other ($sizes)" test $((max - min)) -le 1
done
list --shard 2/3 "$lib" >"$W/a"
list --shard 2/3 "$lib" >"$W/b"
check "the same shard twice: the same scenarios" cmp -s "$W/a" "$W/b"
list --shard 2/3 "$lib/thermal" "$lib/comm" "$lib/charge" "$lib/controller" "$lib/pack" \
    "$lib/fit" | sort >"$W/c"
list --shard 2/3 "$lib/fit" "$lib/pack" "$lib/controller" "$lib/charge" "$lib/comm" \
    "$lib/thermal" | sort >"$W/d"
check "the split does not depend on the order the paths are given" cmp -s "$W/c" "$W/d"
# by name order (bytewise, as strcmp): shard 1/N holds the first name, shard 2/N the second
"$BMSRIG" run --list "$lib" | grep -v '^  ' | LC_ALL=C sort -t "$(printf '\t')" -k2,2 -k1,1 |
    cut -f1 >"$W/by_name"
list --shard 1/4 "$lib" >"$W/e1"
list --shard 2/4 "$lib" >"$W/e2"
check "shard 1/4 holds the first scenario by name" grep -qxF "$(sed -n 1p "$W/by_name")" "$W/e1"
check "shard 2/4 holds the second" grep -qxF "$(sed -n 2p "$W/by_name")" "$W/e2"
check "shard 1/4 holds the fifth" grep -qxF "$(sed -n 5p "$W/by_name")" "$W/e1"
list --filter '*cut*' "$lib" | sort >"$W/fc"
list --shard 1/2 --filter '*cut*' "$lib" | sort >"$W/f"
check "--shard applies after --filter: shard 1/2 is a non-empty part of the filtered selection" \
    sh -c "test -s '$W/f' && test -z \"\$(comm -23 '$W/f' '$W/fc')\" && ! cmp -s '$W/f' '$W/fc'"

for bad in 0/3 4/3 3 a/b 1/0 -1/2 1/2/3 " 1/2" 1/3x 1/10001; do
    "$BMSRIG" run --list --shard "$bad" "$lib" >/dev/null 2>"$W/err"
    rc=$?
    check "--shard '$bad': exit 2 (got $rc)" test $rc -eq 2
    check "--shard '$bad': the message names --shard and K/N" has "--shard: '$bad' is not K/N" "$W/err"
done
mkdir -p "$W/one"
cp "$lib/comm/bms_line_cut.lua" "$W/one/" 2>/dev/null || cp "$(ls "$lib"/comm/*.lua | head -1)" "$W/one/"
"$BMSRIG" run -q --shard 2/2 "$W/one" >/dev/null 2>"$W/err"
check "an empty shard (2 of 2 for one scenario): exit 2" test $? -eq 2
check "... saying the shard is empty" has "no scenario in this shard" "$W/err"
"$BMSRIG" run --help >"$W/help"
check "run --help documents --shard K/N" has "^  --shard K/N " "$W/help"

# Merge: three shards of a small selection equal the whole run.
sel="--seed 5 --filter *cut*"
for k in 1 2 3; do "$BMSRIG" run -q $sel --shard $k/3 --json "$W/s$k.json" "$lib" >/dev/null 2>&1; done
"$BMSRIG" run -q $sel --json "$W/full.json" "$lib" >/dev/null 2>&1
"$BMSRIG" report merge "$W/merged.json" "$W/s1.json" "$W/s2.json" "$W/s3.json" >"$W/mout"
check "merge: exit 0" test $? -eq 0
check "merge: the summary line counts the scenarios" has "scenarios from 3 reports" "$W/mout"
jq -S '[.scenarios[] | del(.wall_s)]' "$W/merged.json" >"$W/ms"
jq -S '[.scenarios[] | del(.wall_s)]' "$W/full.json" >"$W/fs"
check "merge: the scenarios (verdicts, seeds, results) are the whole run's" cmp -s "$W/ms" "$W/fs"
check "merge: counts add up to the whole run's" \
    test "$(jq -c .counts "$W/merged.json")" = "$(jq -c .counts "$W/full.json")"
check "merge: total = sum of the shards' totals" \
    test "$(jq -s 'map(.counts.total) | add' "$W/s1.json" "$W/s2.json" "$W/s3.json")" = "$(jq .counts.total "$W/merged.json")"
check "merge: merged_from lists the three shards" \
    jqe '[.merged_from[].shard] == ["1/3", "2/3", "3/3"] and (has("shard") | not)' "$W/merged.json"
check "merge: the DUT firmware version and its source are the whole run's ($(jq -c .dut "$W/full.json"))" \
    test "$(jq -c .dut "$W/merged.json")" = "$(jq -c .dut "$W/full.json")"
# --suppress-faults: the faults the engine kept off survive the merge
for k in 1 2; do
    "$BMSRIG" run -q $sel --suppress-faults --shard $k/2 --json "$W/u$k.json" "$lib" >/dev/null 2>&1
done
"$BMSRIG" run -q $sel --suppress-faults --json "$W/ufull.json" "$lib" >/dev/null 2>&1
check "--suppress-faults: the whole run lists faults kept off" \
    jqe '[.scenarios[] | (.faults_suppressed // []) | length] | add > 0' "$W/ufull.json"
"$BMSRIG" report merge "$W/umerged.json" "$W/u1.json" "$W/u2.json" >/dev/null
jq -S '[.scenarios[] | del(.wall_s)]' "$W/umerged.json" >"$W/ums"
jq -S '[.scenarios[] | del(.wall_s)]' "$W/ufull.json" >"$W/ufs"
check "--suppress-faults merge: the scenarios, faults kept off included, are the whole run's" \
    cmp -s "$W/ums" "$W/ufs"
"$BMSRIG" report merge "$W/merged.xml" "$W/s3.json" "$W/s1.json" "$W/s2.json" >/dev/null
check "merge to JUnit: valid junit-10.xsd" xmllint --noout --schema "$SRC/tests/data/junit-10.xsd" "$W/merged.xml"
check "merge to JUnit: one testsuite per scenario" \
    test "$(grep -c '<testsuite ' "$W/merged.xml")" = "$(jq .counts.total "$W/full.json")"
"$BMSRIG" report merge "$W/merged.tap" "$W/s1.json" "$W/s2.json" "$W/s3.json" >/dev/null
check "merge to TAP: the plan covers every scenario" \
    grep -qx "1..$(jq .counts.total "$W/full.json")" "$W/merged.tap"
"$BMSRIG" report merge --junit "$W/o.xml" --json "$W/o.json" --tap "$W/o.tap" \
    "$W/s1.json" "$W/s2.json" "$W/s3.json" >/dev/null
check "merge --junit/--json/--tap: the same reports as the OUT form (JUnit from inputs in another order)" \
    sh -c "cmp -s '$W/o.xml' '$W/merged.xml' && cmp -s '$W/o.tap' '$W/merged.tap' &&
           test \"\$(jq -S 'del(.merged_from)' '$W/o.json')\" = \"\$(jq -S 'del(.merged_from)' '$W/merged.json')\""
expect_exit 2 "merge: an unknown option is refused" "$BMSRIG" report merge --xml "$W/x.xml" "$W/s1.json"
expect_exit 2 "merge: --junit FILE without an input is refused" "$BMSRIG" report merge --junit "$W/x.xml"
# failures survive a merge
cat >"$W/one/zz_fails.lua" <<'LUA'
return scenario { name = "zz fails",
  run = function(t) t:expect("never", function() return false end, { within = 0.1 }) end }
LUA
"$BMSRIG" run -q --shard 1/2 --json "$W/f1.json" "$W/one" >/dev/null 2>&1
"$BMSRIG" run -q --shard 2/2 --json "$W/f2.json" "$W/one" >/dev/null 2>&1
"$BMSRIG" report merge "$W/fm.json" "$W/f1.json" "$W/f2.json" >/dev/null
check "merge: a failed scenario stays failed, counted" jqe '.counts.fail == 1 and .counts.pass == 1' "$W/fm.json"

expect_exit 2 "merge: the same shard twice is refused" "$BMSRIG" report merge "$W/x.json" "$W/s1.json" "$W/s1.json"
check "... naming the duplicate scenario" has "is in more than one input" "$W/err"
"$BMSRIG" run -q --seed 6 --filter '*cut*' --shard 2/3 --json "$W/other.json" "$lib" >/dev/null 2>&1
expect_exit 2 "merge: shards of runs with different seeds are refused" "$BMSRIG" report merge "$W/x.json" "$W/s1.json" "$W/other.json"
check "... saying why" has "not shards of one run" "$W/err"
expect_exit 2 "merge: a JUnit input is refused" "$BMSRIG" report merge "$W/x.json" "$W/merged.xml"
check "... saying to merge the JSON" has "reads the shards' JSON reports" "$W/err"
printf '{"format": "bmsrig-report-1", "seed": 5,' >"$W/cut.json"
expect_exit 2 "merge: a cut JSON input is refused" "$BMSRIG" report merge "$W/x.json" "$W/cut.json"
check "... naming the file" has "cut.json: not JSON" "$W/err"
jq '.counts.total = 99' "$W/s1.json" >"$W/edited.json"
expect_exit 2 "merge: an input whose counts disagree with its scenarios is refused" \
    "$BMSRIG" report merge "$W/x.json" "$W/edited.json"
jq 'del(.scenarios[0].seed)' "$W/s1.json" >"$W/noseed.json"
expect_exit 2 "merge: a scenario without its seed is refused" "$BMSRIG" report merge "$W/x.json" "$W/noseed.json"
check "... naming the key" has "scenarios\[0\].seed" "$W/err"
# numbers the JSON grammar refuses (a fraction or an exponent without digits, a lone sign, a
# leading zero), and ones it takes
for bad in '1.' '1.e5' '2e' '2e+' '-' '01'; do
    sed "s/\"wall_s\": [0-9.e+-]*/\"wall_s\": $bad/" "$W/s1.json" >"$W/badnum.json"
    expect_exit 2 "merge: wall_s $bad is not a JSON number" "$BMSRIG" report merge "$W/x.json" "$W/badnum.json"
done
for good in '1.5' '1e5' '2E-3' '0'; do
    sed "s/\"wall_s\": [0-9.e+-]*/\"wall_s\": $good/" "$W/s1.json" >"$W/goodnum.json"
    expect_exit 0 "merge: wall_s $good is a JSON number" "$BMSRIG" report merge "$W/g.json" "$W/goodnum.json"
    rm -f "$W/g.json"
done
expect_exit 2 "merge: OUT must be .json, .xml or .tap" "$BMSRIG" report merge "$W/x.txt" "$W/s1.json"
expect_exit 2 "merge: no input" "$BMSRIG" report merge "$W/x.json"
check "merge: nothing written on refusal" sh -c "test ! -e '$W/x.json' && test ! -e '$W/x.xml'"
"$BMSRIG" report --help >"$W/rhelp"
check "report --help documents merge" has "merge OUT IN" "$W/rhelp"
finish
