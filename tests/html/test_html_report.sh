#!/bin/sh
# test_html_report.sh: `bmsrig run --html` on the wire-cut demo scenario (and on one that sets and
# clears faults: their bands, lines and table), then the page rendered
# in headless Chromium: it must load with no console error, its DOM must hold the plots, and the
# screenshot must show content in every band of the page (non-grey pixels: the plot lines).
# usage: test_html_report.sh BMSRIG SOURCE_DIR
set -u
BMSRIG=$1
SRC=$2
CHROMIUM=${CHROMIUM:-/usr/bin/chromium}
dir=$(mktemp -d)
trap 'rm -rf "$dir"' EXIT
fail() { echo "FAIL: $*"; exit 1; }

mkdir -p "$dir/ci"
"$BMSRIG" run -q --html "$dir/html" --junit "$dir/ci/junit.xml" "$SRC/scripts/comm/bms_tx_cut_riding.lua" \
    || fail "run --html exited $?"
# the JUnit testcase links its page, relative to the JUnit file, and the link resolves
href=$(sed -n 's/.*<property name="html" value="\([^"]*\)".*/\1/p' "$dir/ci/junit.xml")
[ "$href" = "../html/bms_tx_cut_riding.html" ] || fail "JUnit html property is '$href'"
[ -s "$dir/ci/$href" ] || fail "the JUnit link $href does not reach the page"
grep -q "HTML report: ../html/bms_tx_cut_riding.html" "$dir/ci/junit.xml" || fail "no page line in system-out"
page="$dir/html/bms_tx_cut_riding.html"
[ -s "$dir/html/index.html" ] || fail "no index.html"
[ -s "$page" ] || fail "no scenario page"
grep -q 'href="bms_tx_cut_riding.html"' "$dir/html/index.html" || fail "index does not link the page"
# self-contained: no script, stylesheet or image fetched from anywhere
if grep -Eq '(src|href)="(https?:)?//' "$dir/html"/*.html; then fail "a page fetches from the network"; fi
# the wire cut shows: faulted replies counted, fault marks drawn
grep -q 'changed by a fault' "$page" || fail "no bus summary"
grep -q 'class="mark fault"' "$page" || fail "no fault mark on the plots"
# verdict, expectations, measurements: from the traces' events file, on the page and the index
grep -q '<span class="verdict pass">PASS</span> BMS TX cut while riding: error 21 in 5.1-5.4 s, cleared on reconnect' "$page" \
    || fail "no verdict banner with the full name"
met=$(grep -c '<td class="pass">met</td>' "$page")
[ "$met" -eq 3 ] || fail "$met expectations listed as met, expected 3"
grep -q '<td>error21_after_s</td><td>5\.[0-9]*</td><td>s</td><td>5.1</td><td>5.4</td><td class="pass">within</td>' "$page" \
    || fail "the measurement with its limits is missing"
grep -q 'class="band pass"' "$page" || fail "no expectation window drawn on the plots"
grep -q '>BMS TX cut while riding: error 21 in 5.1-5.4 s, cleared on reconnect</a></td><td class="pass">pass</td><td>3/3</td>' "$dir/html/index.html" \
    || fail "the index lacks the full name, verdict or expectations"
grep -q 'error21_after_s = 5\.[0-9]* s \[5.1 .. 5.4\] pass' "$dir/html/index.html" || fail "the index lacks the measurement"
# the demo's own fault (bms_tx open at 14 s, cleared at the reconnect) is drawn as set by the
# scenario: a purple band from its set to its clear on every plot, and a row of the Faults table
grep -q '<h2>Faults</h2>' "$page" || fail "no Faults table on the demo page"
grep -Eq '<rect class="band inject" data-t0="14\.[0-9]*" data-t1="19\.[0-9]*"' "$page" \
    || fail "no band for the demo's bms_tx fault from its set to its clear"

# A scenario that sets and clears a pack fault and a line fault, and leaves one set at the end.
cp "$SRC/tests/data/faults.lua" "$dir/faults.lua"
"$BMSRIG" run -q --html "$dir/fhtml" "$dir/faults.lua" || fail "run --html of the fault scenario exited $?"
fpage="$dir/fhtml/faults.html"
grep -q '<p>5 set or cleared by the scenario' "$fpage" || fail "the Faults table does not count 5 rows"
for row in \
    '<tr class="fault-set"><td>1.000</td><td>set</td><td>cell_short</td><td>group 4 cell 1</td><td>0.5 ohm</td><td>3.000</td>' \
    '<tr class="fault-set"><td>1.500</td><td>set</td><td>bms_tx</td><td></td><td>1</td><td>2.500</td>' \
    '<tr class="fault-clear"><td>2.500</td><td>clear</td><td>bms_tx</td>' \
    '<tr class="fault-clear"><td>3.000</td><td>clear</td><td>cell_short</td><td>group 4 cell 1</td><td>none</td>' \
    '<tr class="fault-set"><td>3.000</td><td>set</td><td>ntc</td><td>ntc 1</td><td>open</td><td>the end</td>'; do
    grep -qF "$row" "$fpage" || fail "Faults table row missing: $row"
done
# every plot with marks (all but the bus timeline) carries each fault's band and lines
fplots=$(grep -c '<svg class="plot' "$fpage")
for band in 'data-t0="1.000000" data-t1="3.000000"' 'data-t0="1.500000" data-t1="2.500000"' \
            'data-t0="3.000000" data-t1="4.000000"'; do
    nb=$(grep -c "<rect class=\"band inject\" $band" "$fpage")
    [ "$nb" -eq $((fplots - 1)) ] || fail "band $band on $nb plots, expected $((fplots - 1))"
done
nl=$(grep -o '<line class="mark inject" data-t="[0-9.]*"' "$fpage" | wc -l)
[ "$nl" -eq $((5 * (fplots - 1))) ] || fail "$nl fault lines, expected 5 on each of $((fplots - 1)) plots"
grep -q '<title>1.500 s: bms_tx set: 1</title>' "$fpage" || fail "no hover label on the bms_tx line"
grep -q '<title>3.000 s: cell_short group 4 cell 1 cleared (none)</title>' "$fpage" \
    || fail "no hover label where the short is mended"
if grep -q '<line class="mark inject" data-t="4.000000"' "$fpage"; then
    fail "a line at the end for the fault still set (it has only a band)"
fi

# `report DIR` rebuilds the same pages from the traces
cp "$page" "$dir/first.html"
"$BMSRIG" report "$dir/html" >/dev/null || fail "report exited $?"

# A folder whose DIR/traces path does not fit is refused up front, not cut short.
long="$dir/$(printf 'q%.0s' $(seq 250))"; for i in $(seq 16); do long="$long/$(printf 'q%.0s' $(seq 250))"; done
rc=0; "$BMSRIG" run -q --html "$long" "$SRC/scripts/comm/bms_tx_cut_riding.lua" >/dev/null 2>"$dir/long.err" || rc=$?
[ "$rc" -eq 2 ] || fail "run --html with a too-long folder exited $rc, wanted 2"
grep -q "html: the folder's path is too long" "$dir/long.err" || fail "no too-long message for --html"
cmp -s "$page" "$dir/first.html" || fail "report DIR did not rebuild the same page"

if [ ! -x "$CHROMIUM" ]; then
    echo "SKIP: $CHROMIUM not installed (Debian package chromium, scripts/install-deps)"
    exit 0
fi
profile="$dir/profile"
run_chromium() {
    timeout 90 "$CHROMIUM" --headless=new --no-sandbox --disable-gpu --no-first-run \
        --user-data-dir="$profile" --enable-logging=stderr --v=0 "$@"
}
run_chromium --window-size=1200,2400 --screenshot="$dir/shot.png" "file://$page" \
    >"$dir/shot.out" 2>"$dir/shot.err" || fail "chromium screenshot exited $?"
[ -s "$dir/shot.png" ] || fail "no screenshot"
if grep -E 'CONSOLE|Uncaught|Not allowed to load' "$dir/shot.err"; then
    fail "console messages while loading the page"
fi
run_chromium --dump-dom "file://$page" >"$dir/dom.html" 2>"$dir/dom.err" \
    || fail "chromium --dump-dom exited $?"
plots=$(grep -c '<svg class="plot' "$dir/dom.html")
[ "$plots" -ge 9 ] || fail "the rendered page holds $plots plots, expected 9"
if grep -q 'no data' "$dir/dom.html"; then fail "a plot says 'no data'"; fi
python3 "$SRC/tests/html/png_content.py" "$dir/shot.png" 2000 4 || fail "blank screenshot band"
# Zoom: the page's script redraws every plot for the window in the address (#t=A-B), as a drag
# across a plot does: axis labels, lines (one point set per pixel column) and the bus lanes.
run_chromium --dump-dom "file://$page#t=10-12" >"$dir/zoom.html" 2>"$dir/zoom.err" \
    || fail "chromium --dump-dom (zoomed) exited $?"
if grep -E 'CONSOLE|Uncaught' "$dir/zoom.err"; then fail "console messages while zooming"; fi
grep -q 'id="zoom-state">zoomed to 10.000 s .. 12.000 s' "$dir/zoom.html" || fail "zoom state not shown"
zl=$(grep -c 'class="axis tlo"[^>]*>10.000 s<' "$dir/zoom.html")
[ "$zl" -ge 9 ] || fail "$zl plots relabelled 10.000 s after zooming, expected 9"
grep -q 'class="axis thi"[^>]*>12.000 s<' "$dir/zoom.html" || fail "no plot ends at 12.000 s"
if grep -q 'class="axis tlo"[^>]*>0.001 s<' "$dir/zoom.html"; then fail "a plot kept the whole-run axis"; fi
grep -q 'data-col="pack_v" d="M60.0 ' "$dir/zoom.html" || fail "the pack voltage line was not redrawn from the window's start"
bars=$(sed -n '/<g class="frames">/,/<\/g>/p' "$dir/zoom.html" | grep -o '<rect' | wc -l)
# 2 s of polls every 209.5 ms, requests and replies: about 19 frames
[ "$bars" -ge 15 ] && [ "$bars" -le 24 ] || fail "the zoomed bus timeline holds $bars frames, expected about 19"
size=$(wc -c <"$page")
[ "$size" -lt 1000000 ] || fail "the page is $size bytes"
# keep the screenshot for a person to look at
mkdir -p "${SHOT_DIR:-.}" && cp "$dir/shot.png" "${SHOT_DIR:-.}/html_report_screenshot.png"
echo "PASS: page, DOM ($plots plots) and screenshot"
