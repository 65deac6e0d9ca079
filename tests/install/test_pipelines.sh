#!/bin/sh
# test_pipelines.sh: the CI examples in docs/ci/ are usable as shipped. The YAML files parse
# and have the structure their engine needs (GitLab: a shard matrix on bench-tagged runners,
# JUnit artifacts; LAVA: a test definition and a job that points at it); every bmsrig option
# the GitLab, Jenkins and LAVA files use exists in that command's --help; and the LAVA test
# definition's steps, run as LAVA would (its params as environment variables, lava-test-case
# recording its arguments), drive the emulated bench and report each scenario and measurement;
# the Jenkinsfile's stages run without Jenkins (jenkins_dry_run.py: stash/unstash, sh steps with
# the real binary, junit/archiveArtifacts must name produced files).
# usage: test_pipelines.sh BMSRIG SOURCE_DIR EMU_DIR
set -u
BMSRIG=$1
SRC=$2
EMU=$3
CI="$SRC/docs/ci"
W=$(mktemp -d)
trap 'rm -rf "$W"' EXIT
fails=0
check() {
    desc=$1; shift
    if "$@"; then echo "ok: $desc"; else echo "FAILED: $desc"; fails=$((fails + 1)); fi
}
if ! python3 -c 'import yaml' 2>/dev/null; then
    echo "SKIP: python3-yaml is not installed (Debian: python3-yaml)"
    exit 77
fi

# 1. YAML structure
check "gitlab-ci.yml: parses; bench job is a matrix of shards on bench-tagged runners with JUnit reports" \
    python3 - "$CI/gitlab/gitlab-ci.yml" <<'PY'
import sys, yaml
d = yaml.safe_load(open(sys.argv[1]))
b = d["bench"]
shards = [m["SHARD"] for m in b["parallel"]["matrix"]]
assert len(shards) >= 2 and len(set(shards)) == len(shards), shards
n = {s.split("/")[1] for s in shards}
assert n == {str(len(shards))}, shards
assert "bmsrig-bench" in b["tags"] and "$BENCH" in b["tags"], b["tags"]
for job in ("virtual", "bench", "merge"):
    assert d[job]["artifacts"]["reports"]["junit"], job
    assert any("bmsrig" in line for line in d[job]["script"]), job
for name, job in d.items():
    if isinstance(job, dict) and "stage" in job:
        assert job["stage"] in d["stages"], (name, job["stage"])
PY
check "bmsrig-nightly.yaml: a LAVA test definition with params and steps" \
    python3 - "$CI/lava/bmsrig-nightly.yaml" <<'PY'
import sys, yaml
d = yaml.safe_load(open(sys.argv[1]))
assert d["metadata"]["format"] == "Lava-Test Test Definition 1.0"
assert d["metadata"]["name"]
for p in ("RIG", "LOCK_WAIT", "SHARD", "SCENARIOS", "OUT"):
    assert p in d["params"], p
assert d["run"]["steps"]
PY
check "job-template.yaml: deploy, boot, test; its definition path exists in the repository" \
    python3 - "$CI/lava/job-template.yaml" "$SRC" <<'PY'
import os, sys, yaml
d = yaml.safe_load(open(sys.argv[1]))
acts = [list(a)[0] for a in d["actions"]]
assert acts == ["deploy", "boot", "test"], acts
assert d["device_type"] and d["job_name"] and d["timeouts"]["job"]
for t in d["actions"][2]["test"]["definitions"]:
    assert os.path.isfile(os.path.join(sys.argv[2], t["path"])), t["path"]
    assert set(t["parameters"]) <= set(yaml.safe_load(open(os.path.join(sys.argv[2], t["path"])))["params"])
PY

# 2. every option the examples give bmsrig exists in that command's --help
"$BMSRIG" help run >"$W/help.run"
"$BMSRIG" help report >"$W/help.report"
for f in "$CI/gitlab/gitlab-ci.yml" "$CI/jenkins/Jenkinsfile" "$CI/lava/run-bmsrig.sh"; do
    grep -E 'bmsrig run|bmsrig report|^ *(set -- |\[ -n .*set -- )' "$f" >"$W/lines"
    while IFS= read -r line; do
        case $line in
            *"bmsrig report merge"*) help="$W/help.report"
                check "$(basename "$f"): 'report merge' is in bmsrig help report" grep -q "merge" "$help" ;;
            *) help="$W/help.run" ;;
        esac
        for opt in $(printf '%s\n' "$line" | grep -oE -- '(^| )--[a-z][a-z-]*' | tr -d ' '); do
            check "$(basename "$f"): $opt is an option of its command" grep -qE -- "(^| )$opt( |,|\$)" "$help"
        done
    done <"$W/lines"
done

# 2b. the Jenkinsfile's stages run as Jenkins would run them (tests/install/jenkins_dry_run.py):
# each stage in its own workspace, stash/unstash between them, every sh step after Build run
# with the real binary (stage/usr/bin/bmsrig stands for the install tree; reference-bench is
# the emulated bench), and what junit and archiveArtifacts name must have been produced.
mkdir -p "$W/jk/stash/stage/usr/bin" "$W/jk/scen"
cat >"$W/jk/stash/stage/usr/bin/bmsrig" <<SH
#!/bin/sh
for a; do shift; [ "\$a" = reference-bench ] && a=emulated; set -- "\$@" "\$a"; done
exec "$BMSRIG" "\$@"
SH
chmod +x "$W/jk/stash/stage/usr/bin/bmsrig"
for k in one two; do
    printf 'return scenario { name = "jenkins %s", run = function(t) t:power_on(); t:wait(0.3); t:measure("settle_s", 0.3, { max = 1, unit = "s" }) end }\n' $k >"$W/jk/scen/$k.lua"
done
jenkins_dry() { # jenkins_dry JENKINSFILE OUT
    rm -rf "$W/jk/root"
    BMSRIG_SCRIPTS_DIR="$W/jk/scen" LD_LIBRARY_PATH="$EMU" BMSRIG_LOCK_DIR="$W" \
        BMSRIG_EMU_LOG="$W/jk/emu.log" python3 "$SRC/tests/install/jenkins_dry_run.py" "$1" \
        "$W/jk/root" "$W/jk/stash" >"$2" 2>&1
}
jenkins_dry "$CI/jenkins/Jenkinsfile" "$W/jk/out"
rc=$?
grep -E '^(ok|FAILED|not run)' "$W/jk/out"
check "Jenkinsfile: every stage after Build runs here (exit $rc)" test "$rc" -eq 0
[ "$rc" -eq 0 ] || cat "$W/jk/out"
check "Jenkinsfile: both shards ran and were stashed" \
    test "$(grep -c '^ok: Run shard \[SHARD=[12]\]: stash shard-[12]' "$W/jk/out")" -eq 2
check "Jenkinsfile: the merge stage's junit step found the merged JUnit" \
    grep -q '^ok: Merge: junit out/junit.xml (1 files)' "$W/jk/out"
check "Jenkinsfile: the merged HTML report is archived" \
    sh -c "grep '^ok: Merge: archiveArtifacts' '$W/jk/out' | grep -q 'out/html/'"
sed 's/--lock-wait 1800/--lock-wiat 1800/' "$CI/jenkins/Jenkinsfile" >"$W/jk/bad-option"
jenkins_dry "$W/jk/bad-option" "$W/jk/bad.out"
check "the dry run can fail: a misspelt option in a sh step" \
    sh -c "test $? -ne 0 && grep -q '^FAILED (exit 2): Run shard' '$W/jk/bad.out'"
sed "s/unstash 'shard-2'/unstash 'shard-3'/" "$CI/jenkins/Jenkinsfile" >"$W/jk/bad-stash"
jenkins_dry "$W/jk/bad-stash" "$W/jk/bad2.out"
check "the dry run can fail: an unstash of something no stage stashed" \
    grep -q "^FAILED: Merge: unstash 'shard-3'" "$W/jk/bad2.out"

# 3. the LAVA definition's steps, run as LAVA runs them, on the emulated bench
mkdir -p "$W/bin" "$W/scen"
cat >"$W/bin/lava-test-case" <<'SH'
#!/bin/sh
printf '%s\n' "$*" >>"$LAVA_LOG"
SH
chmod +x "$W/bin/lava-test-case"
cat >"$W/scen/quick_pass.lua" <<'LUA'
return scenario { name = "lava: a passing measurement", tags = { "lava" },
  run = function(t) t:power_on(); t:wait(0.3); t:measure("settle_s", 0.3, { max = 1, unit = "s" }) end }
LUA
cat >"$W/scen/quick_fail.lua" <<'LUA'
return scenario { name = "lava: a failing measurement", tags = { "lava" },
  run = function(t) t:power_on(); t:wait(0.2); t:measure("volts", 12.5, { min = 20, unit = "V" }) end }
LUA
python3 - "$CI/lava/bmsrig-nightly.yaml" >"$W/steps.sh" <<'PY'
import shlex, sys, yaml
d = yaml.safe_load(open(sys.argv[1]))
for k, v in d["params"].items():   # LAVA exports params before the steps; the job may override
    print("%s=${%s-%s}; export %s" % (k, k, shlex.quote(str(v)), k))
for s in d["run"]["steps"]:
    print(s)
PY
(cd "$SRC" && PATH="$W/bin:$PATH" LAVA_LOG="$W/lava.log" BMSRIG="$BMSRIG" RIG=emulated \
    LOCK_WAIT=5 SCENARIOS="$W/scen" OUT="$W/out" LD_LIBRARY_PATH="$EMU" BMSRIG_LOCK_DIR="$W" \
    BMSRIG_EMU_LOG="$W/emu.log" sh -e "$W/steps.sh") >"$W/steps.out" 2>&1
rc=$?
check "the LAVA steps run (exit $rc)" test "$rc" -eq 0
[ "$rc" -eq 0 ] || cat "$W/steps.out"
cat "$W/lava.log" 2>/dev/null
check "the run targeted the emulated bench" sh -c "jq -e '.target == \"rig\"' '$W/out/report.json' >/dev/null"
check "lava-test-case: the passing scenario" grep -qx "quick_pass --result pass" "$W/lava.log"
check "lava-test-case: its measurement with value and unit" grep -qx "quick_pass.settle_s --result pass --measurement 0.3 --units s" "$W/lava.log"
check "lava-test-case: the failing scenario" grep -qx "quick_fail --result fail" "$W/lava.log"
check "lava-test-case: its failed measurement" grep -qx "quick_fail.volts --result fail --measurement 12.5 --units V" "$W/lava.log"
check "lava-test-case: the run itself failed with exit code 1" grep -qx "bmsrig-run --result fail --measurement 1 --units exit-code" "$W/lava.log"
check "JUnit kept for the job's artifacts" test -s "$W/out/junit.xml"

if [ "$fails" -ne 0 ]; then
    echo "$fails check(s) failed"
    exit 1
fi
echo "all pipeline checks passed"
