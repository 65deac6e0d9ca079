#!/bin/sh
# test_run_tap_prove.sh: `bmsrig run --tap` read by a real TAP consumer, prove (Test::Harness):
# a passing run (with a skip, measurements and a '#' in a name) is PASS, a run with a failed
# expectation and a script error is FAIL with two of three failed; the default version line
# is 13 (what Debian 12's Test::Harness 3.44 accepts), --tap-version 14 writes 14, other
# values are a usage error; the faults a scenario set and cleared (and, with --suppress-faults,
# those kept off) are in its YAML block as TAP::Parser reads it.
# usage: test_run_tap_prove.sh BMSRIG
set -u
. "$(dirname "$0")/lib.sh"
lib_init "$1"
command -v prove >/dev/null || skip "prove (perl's Test::Harness) is not installed"

mkdir -p "$W/good" "$W/bad"
cat >"$W/good/a.lua" <<'LUA'
return scenario { name = "measures # with a hash", run = function(t)
  t:wait(0.5)
  t:measure("dt", 0.5, { min = 0.4, max = 0.6, unit = "s" })
end }
LUA
cat >"$W/good/b.lua" <<'LUA'
return scenario { name = "skips", run = function(t) t:skip("needs a heater") end }
LUA
cp "$W/good/a.lua" "$W/bad/a.lua"
cat >"$W/bad/fail.lua" <<'LUA'
return scenario { name = "expectation fails", run = function(t)
  t:expect("never", function() return false end, { within = 0.1 })
end }
LUA
cat >"$W/bad/err.lua" <<'LUA'
return scenario { name = "script error", run = function(t) error("boom") end }
LUA

# 1. Passing run: version 13 by default, and prove says PASS.
"$BMSRIG" run --tap "$W/good" >"$W/good.tap" 2>"$W/err"
check "passing run exits 0" test $? -eq 0
check "default version line is TAP version 13" sh -c "head -1 '$W/good.tap' | grep -qx 'TAP version 13'"
prove -v -e cat "$W/good.tap" >"$W/prove.out" 2>&1
rc=$?
check "prove accepts the passing run (exit $rc)" test "$rc" -eq 0
check "prove: Result: PASS" has "^Result: PASS" "$W/prove.out"
# Test::Harness's own parser (what prove uses) on the same stream: version, plan, the skip.
perl -MTAP::Parser -e '
    my $p = TAP::Parser->new({ source => $ARGV[0] });
    while (my $r = $p->next) { }
    printf "version=%d planned=%d passed=%d skipped=%d parse_errors=%d\n",
        $p->version, $p->tests_planned, scalar($p->passed), scalar($p->skipped),
        scalar($p->parse_errors);
    print "parse error: $_\n" for $p->parse_errors;
' "$W/good.tap" >"$W/parser.out" 2>&1
check "TAP::Parser: version 13, 2 planned, 2 passed, 1 skipped, no parse errors" \
    has "^version=13 planned=2 passed=2 skipped=1 parse_errors=0$" "$W/parser.out"
[ "$fails" -eq 0 ] || cat "$W/good.tap" "$W/prove.out" "$W/parser.out"

# 2. Failing run: prove says FAIL and names tests the failed expectation and the error.
"$BMSRIG" run --tap "$W/bad" >"$W/bad.tap" 2>"$W/err"
check "failing run with a script error exits 2" test $? -eq 2
prove -e cat "$W/bad.tap" >"$W/prove.out" 2>&1
rc=$?
check "prove rejects the failing run (exit $rc)" test "$rc" -ne 0
check "prove: Result: FAIL" has "^Result: FAIL" "$W/prove.out"
check "prove: 2 of 3 subtests failed" has "Failed 2/3 subtests" "$W/prove.out"
check "prove: the failed tests are listed" sh -c "grep -Eq 'Failed tests?: +[0-9]+-?,? ?[0-9]+' '$W/prove.out'"

# 2b. Faults in the YAML diagnostics: each set and clear the engine applied, and with
# --suppress-faults each it kept off, as TAP::Parser reads the blocks.
mkdir -p "$W/faults"
cat >"$W/faults/f.lua" <<'LUA'
return scenario { name = "cuts and restores the line", run = function(t)
  t:power_on()
  t:wait(0.2)
  t:fault("bms_tx", 1)
  t:wait(0.3)
  t:clear("bms_tx")
  t:wait(0.1)
end }
LUA
yaml_faults() {
    perl -MTAP::Parser -e '
        my $p = TAP::Parser->new({ source => $ARGV[0] });
        while (my $r = $p->next) {
            next unless $r->is_yaml;
            for my $k ("faults", "faults_suppressed") {
                print "$k $_->{action} $_->{name} $_->{t_s}\n" for @{ $r->data->{$k} || [] };
            }
        }
        print "parse_errors=", scalar($p->parse_errors), "\n";
    ' "$1"
}
"$BMSRIG" run --tap "$W/faults" >"$W/f.tap" 2>/dev/null
prove -e cat "$W/f.tap" >"$W/prove.out" 2>&1
check "prove accepts a run with faults in its YAML (exit $?)" has "^Result: PASS" "$W/prove.out"
yaml_faults "$W/f.tap" >"$W/f.out" 2>&1
check "TAP::Parser reads the applied faults from the YAML block (set at 0.2 s, clear at 0.5 s)" \
    sh -c "printf 'faults set bms_tx 0.2\nfaults clear bms_tx 0.5\nparse_errors=0\n' | cmp -s - '$W/f.out'"
[ "$fails" -eq 0 ] || cat "$W/f.tap" "$W/f.out"
"$BMSRIG" run --tap --suppress-faults "$W/faults" >"$W/fs.tap" 2>/dev/null
yaml_faults "$W/fs.tap" >"$W/fs.out" 2>&1
check "--suppress-faults: the YAML lists the faults it kept off, and none as applied" \
    sh -c "printf 'faults_suppressed set bms_tx 0.2\nfaults_suppressed clear bms_tx 0.5\nparse_errors=0\n' | cmp -s - '$W/fs.out'"

# 3. --tap-version.
"$BMSRIG" run --tap-version 14 "$W/good" >"$W/v14.tap" 2>/dev/null
check "--tap-version 14 writes TAP version 14 (and implies --tap)" \
    sh -c "head -1 '$W/v14.tap' | grep -qx 'TAP version 14'"
check "--tap-version 14: the rest of the stream is the same" \
    sh -c "tail -n +2 '$W/v14.tap' | sed '/wall_s/d' >'$W/a'; tail -n +2 '$W/good.tap' | sed '/wall_s/d' >'$W/b'; cmp -s '$W/a' '$W/b'"
"$BMSRIG" run --tap-version 12 "$W/good" >"$W/out" 2>"$W/err"
check "--tap-version 12 is a usage error (exit $?)" test $? -eq 2
check "--tap-version 12: the message says why" has "'12' is not 13 or 14" "$W/err"
"$BMSRIG" run --help >"$W/help" 2>&1
check "--help documents --tap-version" has "^  --tap-version 13|14" "$W/help"

finish
