#!/bin/sh
# test_html_merge.sh: `bmsrig report merge --html DIR` joins the HTML reports of a run's shards
# (`run --shard K/N --html DIR`): the library run in 3 shards and merged gives one index that
# lists every scenario once, the same rows and the same scenario pages (byte for byte) as one
# unsharded run, every link in every page resolves to a file, the merged JUnit links the merged
# pages and the merged JSON keeps every verdict. Shards of other runs, a shard twice, a non-empty
# DIR, missing traces and two scenarios whose traces share a name are refused (exit 2) with
# nothing written.
# usage: test_html_merge.sh BMSRIG SOURCE_DIR
set -u
. "$(dirname "$0")/../cli/lib.sh"
lib_init "$1"
SRC=$2
lib="$SRC/scripts"
cd "$W" || exit 1

# the index's scenario rows (one per page), and its links
rows() { grep '^<tr><td><a href=' "$1"; }
pages_of() { rows "$1" | sed 's/^<tr><td><a href="\([^"]*\)".*/\1/' | sort; }
# every href in DIR's pages that is not an anchor resolves to a file (relative to DIR)
links_resolve() {
    for page in "$1"/*.html; do
        grep -o 'href="[^"#][^"]*"' "$page" | sed 's/^href="//; s/"$//' | while read -r h; do
            [ -f "$1/$h" ] || { echo "  $page: href $h does not resolve"; echo x; }
        done
    done | grep -q x && return 1
    return 0
}

"$BMSRIG" run -q -j2 --seed 7 --html full "$lib" >/dev/null 2>&1
rc=$?
check "the unsharded run: exit 0 or 1 (got $rc)" test $rc -le 1
check "run --html writes its report.json" jqe '.format == "bmsrig-report-1"' full/report.json
for k in 1 2 3; do
    "$BMSRIG" run -q -j2 --seed 7 --shard $k/3 --html s$k "$lib" >/dev/null 2>&1
done
"$BMSRIG" report merge --html merged --junit merged.xml --json merged.json s1 s2 s3 >out 2>err
rc=$?
check "merge --html of 3 shard folders: exit 0 (got $rc)" test $rc -eq 0
cat err
check "... saying how many pages" has "merged/index.html: [0-9]* scenario pages" out
total=$(jq .counts.total full/report.json)
pages_of full/index.html >full.pages
pages_of merged/index.html >merged.pages
check "the merged index has a page for every scenario ($(wc -l <merged.pages) of $total)" \
    test "$(wc -l <merged.pages)" -eq "$total"
check "... each once" test -z "$(uniq -d merged.pages)"
check "... the unsharded run's scenarios" cmp -s full.pages merged.pages
rows full/index.html >full.rows
rows merged/index.html >merged.rows
check "the merged index rows (verdict, expectations, measurements) are the unsharded run's" \
    cmp -s full.rows merged.rows
same=0
while read -r p; do cmp -s "full/$p" "merged/$p" && same=$((same + 1)); done <merged.pages
check "every scenario page is the unsharded run's, byte for byte ($same of $total)" \
    test "$same" -eq "$total"
check "every link in the merged pages resolves to a file" links_resolve merged
check "(and in a shard's)" links_resolve s2
check "the merged index opens with the counts of the whole run" \
    has "<li>$total scenarios: $(jq .counts.pass full/report.json) passed" merged/index.html
check "... and names the three shards" \
    test "$(grep -c '<li>merged from s[123]: shard [123]/3' merged/index.html)" -eq 3
jq -S '[.scenarios[] | {file, name, verdict, seed}]' full/report.json >full.v
jq -S '[.scenarios[] | {file, name, verdict, seed}]' merged.json >merged.v
check "the merged JSON: the unsharded run's scenarios and verdicts" cmp -s full.v merged.v
check "merged/report.json is the merged JSON" \
    test "$(jq -S 'del(.merged_from)' merged.json)" = "$(jq -S 'del(.merged_from)' merged/report.json)"
check "the merged JSON names the merged traces" \
    jqe '[.scenarios[] | select(.trace) | .trace.signals | startswith("merged/traces/")] | all' merged.json
n_links=0
for h in $(grep -o 'name="html" value="[^"]*"' merged.xml | sed 's/.*value="//; s/"$//'); do
    [ -f "$h" ] && n_links=$((n_links + 1))
done
check "the merged JUnit links each scenario's merged page ($n_links of $total)" test "$n_links" -eq "$total"
"$BMSRIG" report merge --html m2 s1/report.json s2/report.json s3/report.json >/dev/null 2>&1
check "merge --html of the shards' JSON reports (traces where they name them): the same pages" \
    sh -c 'for p in $(cat merged.pages); do cmp -s "merged/$p" "m2/$p" || exit 1; done'

cp merged/index.html merged.index
"$BMSRIG" report merged >/dev/null 2>&1
check "'report DIR' on the merged folder rebuilds the same index, merged-from lines included" \
    cmp -s merged.index merged/index.html
check "... which has the three merged-from lines" \
    test "$(grep -c '<li>merged from s[123]: shard [123]/3' merged/index.html)" -eq 3

# refusals: nothing is written
expect_exit 2 "a shard twice is refused" "$BMSRIG" report merge --html x s1 s1 s2
check "... naming the scenario in two inputs" has "is in more than one input" "$W/err"
"$BMSRIG" run -q --seed 8 --filter "*cut*" --html other "$lib" >/dev/null 2>&1
expect_exit 2 "a shard of another run (another seed) is refused" \
    "$BMSRIG" report merge --html x s1 other s3
check "... saying why" has "not shards of one run" "$W/err"
check "nothing written on refusal" test ! -e x
mkdir nonempty && : >nonempty/keep
expect_exit 2 "a non-empty --html folder is refused" "$BMSRIG" report merge --html nonempty s1 s2 s3
check "... saying so" has "is not empty" "$W/err"
check "... and left as it was" sh -c 'test "$(ls nonempty)" = keep'
cp -r s3 s3cut
rm s3cut/traces/*.signals.csv
cp s3cut/report.json s3cut.json
rm -r s3/traces
expect_exit 2 "a shard whose traces are gone is refused" "$BMSRIG" report merge --html x s1 s2 s3cut
check "... naming the missing trace" has "signals.csv is not in s3cut/traces" "$W/err"
check "nothing written on refusal" test ! -e x
mkdir -p dup/a dup/b
printf 'return scenario { name = "one", run = function(t) t:power_on() end }\n' >dup/a/same.lua
printf 'return scenario { name = "two", run = function(t) t:power_on() end }\n' >dup/b/same.lua
"$BMSRIG" run -q --shard 1/2 --html d1 dup >/dev/null 2>&1
"$BMSRIG" run -q --shard 2/2 --html d2 dup >/dev/null 2>&1
expect_exit 2 "two scenarios whose traces share a name are refused" "$BMSRIG" report merge --html x d1 d2
check "... naming both" has "dup/a/same.lua (d[12]) and dup/b/same.lua (d[12]) have traces of one name" "$W/err"
"$BMSRIG" report --help >rhelp
check "report --help documents merge --html" has "\-\-html DIR" rhelp
finish
