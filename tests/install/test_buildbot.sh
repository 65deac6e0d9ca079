#!/bin/sh
# test_buildbot.sh: a real Buildbot fleet on loopback: Debian's buildbot master with the
# example docs/ci/buildbot/master.cfg and two buildbot-workers (each a "bench"), a change sent
# with `buildbot sendchange`; each worker runs its shard of the scenario library on the virtual
# target and uploads JUnit, JSON and its HTML folder to the master. Checks: both builds
# uploaded their reports, the shards are disjoint and together are the whole library, and
# `bmsrig report merge` joins them into one report (JSON, JUnit, and HTML with a page per
# scenario whose links all resolve). All daemons are this test's own and are stopped by their pid files.
# usage: test_buildbot.sh BMSRIG SOURCE_DIR
set -u
BMSRIG=$1
SRC=$2
for tool in buildbot buildbot-worker; do
    if ! command -v "$tool" >/dev/null 2>&1; then
        echo "SKIP: $tool not installed (Debian: buildbot, buildbot-worker)"
        exit 77
    fi
done
W=$(mktemp -d)
stop_all() {
    for w in bench-a bench-b; do
        [ -f "$W/$w/twistd.pid" ] && buildbot-worker stop "$W/$w" >/dev/null 2>&1
    done
    [ -f "$W/master/twistd.pid" ] && buildbot stop "$W/master" >/dev/null 2>&1
    rm -rf "$W"
}
trap stop_all EXIT
fails=0
check() {
    desc=$1; shift
    if "$@"; then echo "ok: $desc"; else echo "FAILED: $desc"; fails=$((fails + 1)); fi
}

port=$(/usr/bin/python3 -c 'import socket; s = socket.socket(); s.bind(("127.0.0.1", 0)); print(s.getsockname()[1])')
export BMSRIG_BB_PORT="$port" BMSRIG_BB_INTERFACE=127.0.0.1 \
       BMSRIG_BB_WORKERS="bench-a:pw-a bench-b:pw-b" BMSRIG_BB_BMSRIG="$BMSRIG" \
       BMSRIG_BB_SCRIPTS="$SRC/scripts" BMSRIG_BB_RESULTS="$W/results" \
       BMSRIG_BB_CHANGE="change:pw-change" BMSRIG_BB_NIGHTLY="" BMSRIG_BB_ARGS="-j 1"
buildbot create-master -r "$W/master" >"$W/create.log" 2>&1
cp "$SRC/docs/ci/buildbot/master.cfg" "$W/master/master.cfg"
buildbot checkconfig "$W/master" >"$W/checkconfig.log" 2>&1
rc=$?
check "buildbot checkconfig accepts docs/ci/buildbot/master.cfg (exit $rc)" test "$rc" -eq 0
[ "$rc" -eq 0 ] || cat "$W/checkconfig.log"
# the default start timeout is 10 s; a loaded 2-core host took 13 s to load the master once
buildbot start --start_timeout=120 "$W/master" >"$W/start.log" 2>&1
rc=$?
check "the master starts on 127.0.0.1:$port (exit $rc)" test "$rc" -eq 0
[ "$rc" -eq 0 ] || { cat "$W/start.log"; tail -n 30 "$W/master/twistd.log"; exit 1; }
for w in bench-a bench-b; do
    pw=pw-${w#bench-}
    buildbot-worker create-worker "$W/$w" "127.0.0.1:$port" "$w" "$pw" >/dev/null 2>&1 &&
        buildbot-worker start "$W/$w" >"$W/$w.start.log" 2>&1
    check "worker $w starts" test $? -eq 0
done
# Wait until both workers are attached, then send the change that starts the builds.
i=0
while [ "$(grep -c 'worker .* attaching\|attached to' "$W/master/twistd.log" 2>/dev/null)" -lt 2 ] && [ $i -lt 300 ]; do
    sleep 0.1; i=$((i + 1))
done
buildbot sendchange --master "127.0.0.1:$port" --auth change:pw-change --who fleet-test \
    --branch main --revision test-1 --comments "nightly from test_buildbot.sh" scripts >"$W/send.log" 2>&1
check "buildbot sendchange is accepted" test $? -eq 0

# Wait for both builds' uploads (a build uploads report.json last).
i=0
while { [ ! -s "$W/results/bench-a/report.json" ] || [ ! -s "$W/results/bench-b/report.json" ]; } && [ $i -lt 900 ]; do
    sleep 0.1; i=$((i + 1))
done
for w in bench-a bench-b; do
    check "$w uploaded its JUnit report" test -s "$W/results/$w/junit.xml"
    check "$w uploaded its JSON report" test -s "$W/results/$w/report.json"
done
if [ -s "$W/results/bench-a/report.json" ] && [ -s "$W/results/bench-b/report.json" ]; then
    jq -r '.scenarios[].file' "$W/results/bench-a/report.json" | sort >"$W/a.files"
    jq -r '.scenarios[].file' "$W/results/bench-b/report.json" | sort >"$W/b.files"
    find "$SRC/scripts" -name '*.lua' ! -path '*/lib/*' | sort >"$W/all.files"
    check "each shard ran part of the library ($(wc -l <"$W/a.files") + $(wc -l <"$W/b.files"))" \
        sh -c "test -s '$W/a.files' && test -s '$W/b.files'"
    check "the shards are disjoint" test -z "$(comm -12 "$W/a.files" "$W/b.files")"
    sort -m "$W/a.files" "$W/b.files" >"$W/union.files"
    check "together they are the whole library ($(wc -l <"$W/all.files") scenarios)" cmp -s "$W/union.files" "$W/all.files"
    check "both builds passed" sh -c "jq -e '.counts.fail == 0 and .counts.error == 0' '$W/results/bench-a/report.json' '$W/results/bench-b/report.json' >/dev/null"
    "$BMSRIG" report merge --junit "$W/merged.xml" --json "$W/merged.json" \
        "$W/results/bench-a/report.json" "$W/results/bench-b/report.json" >"$W/merge.log" 2>&1
    rc=$?
    check "bmsrig report merge joins the shards (exit $rc)" test "$rc" -eq 0
    check "the merged JSON has every scenario" sh -c "test \"\$(jq '.scenarios | length' '$W/merged.json' 2>/dev/null)\" = \"$(wc -l <"$W/all.files" | tr -d ' ')\""
    "$BMSRIG" report merge --html "$W/merged-html" "$W/results/bench-a/html" \
        "$W/results/bench-b/html" >"$W/merge-html.log" 2>&1
    rc=$?
    check "bmsrig report merge --html joins the uploaded HTML folders (exit $rc)" test "$rc" -eq 0
    pages=$(grep -c '^<tr><td><a href=' "$W/merged-html/index.html" 2>/dev/null)
    check "the merged index has a page per scenario ($pages)" test "$pages" = "$(wc -l <"$W/all.files" | tr -d ' ')"
    dangling=$(cd "$W/merged-html" 2>/dev/null && grep -oh 'href="[^"#][^"]*"' ./*.html |
        sed 's/^href="//; s/"$//' | sort -u | while read -r h; do [ -f "$h" ] || echo "$h"; done)
    check "every link of the merged pages resolves${dangling:+ (not: $dangling)}" test -z "$dangling"
else
    tail -n 40 "$W/master/twistd.log"
fi

if [ "$fails" -ne 0 ]; then
    echo "$fails check(s) failed"
    exit 1
fi
echo "all buildbot fleet checks passed"
