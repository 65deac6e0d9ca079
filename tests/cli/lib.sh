# tests/cli/lib.sh: the helpers every tests/cli/test_*.sh shares (sourced, POSIX sh). One output
# dialect: "ok: WHAT" or "FAILED: WHAT" per assertion, "SKIP: WHY" for a skip (exit 77, which
# the CTest registers as SKIP_RETURN_CODE), and a count at the end.
#
#   . "$(dirname "$0")/lib.sh"
#   lib_init BMSRIG             BMSRIG = the bmsrig binary (refused unless executable);
#                               W = a fresh temporary folder, removed on exit
#   lib_init --no-bmsrig        the same for a test that runs no bmsrig
#   at_exit() { ...; }          optional, define it in the test: runs on exit before W goes
#                               (stop a server, kill background processes)
#   check WHAT CMD...           one assertion: CMD's exit status
#   expect_exit WANT WHAT CMD...
#                               runs CMD (stdout W/out, stderr W/err); asserts its exit code;
#                               on a mismatch shows both outputs
#   expect_exit_within WANT MAX_MS WHAT CMD...
#                               the same, and CMD must end within MAX_MS milliseconds
#   has PATTERN FILE            grep -q -- PATTERN FILE
#   jqe FILTER FILE             jq -e FILTER FILE, quietly
#   not CMD...                  CMD's status inverted
#   now_ms                      wall clock in milliseconds
#   relays_on LOG               relays left on (1) at the end of an emulated-bench log
#   skip WHY                    prints "SKIP: WHY" and exits 77 (only where a tool cannot exist)
#   finish                      exits 0 if every check passed, else prints the count, exits 1
# A test's own helpers stay in the test; a helper two tests need belongs here.

fails=0
W=
BMSRIG=

lib_init() {
    if [ "${1:-}" = "--no-bmsrig" ]; then
        BMSRIG=
    else
        BMSRIG=${1:?usage: $0 BMSRIG ...}
        if [ ! -x "$BMSRIG" ]; then
            echo "FAILED: $BMSRIG is not an executable bmsrig"
            exit 1
        fi
    fi
    W=$(mktemp -d) || { echo "FAILED: no temporary folder"; exit 1; }
    trap lib_exit EXIT
    trap 'exit 130' INT
    trap 'exit 143' TERM
}

lib_exit() {
    if command -v at_exit >/dev/null 2>&1; then
        at_exit
    fi
    [ -n "$W" ] && rm -rf "$W"
}

check() {
    desc=$1; shift
    if "$@"; then echo "ok: $desc"; else echo "FAILED: $desc"; fails=$((fails + 1)); fi
}

expect_exit() {
    want=$1; desc=$2; shift 2
    "$@" >"$W/out" 2>"$W/err"
    got=$?
    if [ "$got" -eq "$want" ]; then
        echo "ok: $desc (exit $got)"
    else
        echo "FAILED: $desc: exit $got, wanted $want"
        cat "$W/out" "$W/err"
        fails=$((fails + 1))
    fi
}

expect_exit_within() {
    want=$1; max_ms=$2; desc=$3; shift 3
    t0=$(now_ms)
    "$@" >"$W/out" 2>"$W/err"
    got=$?
    el=$(($(now_ms) - t0))
    if [ "$got" -eq "$want" ] && [ "$el" -le "$max_ms" ]; then
        echo "ok: $desc (exit $got in $el ms)"
    else
        echo "FAILED: $desc: exit $got in $el ms, wanted $want within $max_ms ms"
        cat "$W/out" "$W/err"
        fails=$((fails + 1))
    fi
}

has() { grep -q -- "$1" "$2"; }
jqe() { jq -e "$1" "$2" >/dev/null; }
not() { ! "$@"; }
now_ms() { echo $(($(date +%s%N) / 1000000)); }
relays_on() { awk '$2 == "relay" { r[$3] = $4 } END { for (k in r) if (r[k] == 1) print k }' "$1"; }

skip() {
    echo "SKIP: $*"
    exit 77
}

finish() {
    if [ "$fails" -eq 0 ]; then
        echo "all checks passed"
        exit 0
    fi
    echo "$fails check(s) failed"
    exit 1
}
