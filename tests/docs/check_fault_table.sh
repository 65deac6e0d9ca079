#!/bin/sh
# check_fault_table.sh BMSRIG DOC...: each DOC's fault list (the lines between the markers
# "<!-- fault table: bmsrig faults --markdown -->" and "<!-- end of fault table -->") must be
# exactly `bmsrig faults --markdown`, the fault table (rig/fault/fault_table.c); a drift prints
# the difference and fails. Then proves that it can fail: a copy of the first DOC with one of
# its rows changed must be reported. Exit 1 on any failure.
set -u
bin=$1
shift
tmp=$(mktemp -d)
trap 'rm -rf "$tmp"' EXIT
fail=0
begin='<!-- fault table: bmsrig faults --markdown -->'
end='<!-- end of fault table -->'

"$bin" faults --markdown >"$tmp/table.md" || { echo "not ok - bmsrig faults --markdown failed"; exit 1; }

# section DOC: the lines between the markers (fails if the markers are missing)
section() {
    awk -v b="$begin" -v e="$end" '$0 == b { on = 1; seen = 1; next } $0 == e { on = 0; next }
        on { print } END { exit seen ? 0 : 1 }' "$1"
}

# same DOC: 0 if DOC's section equals the table, else prints the diff
same() {
    if ! section "$1" >"$tmp/section.md"; then
        echo "# $1 has no '$begin' marker"
        return 1
    fi
    diff -u "$tmp/section.md" "$tmp/table.md" | sed 's/^/# /'
    cmp -s "$tmp/section.md" "$tmp/table.md"
}

for doc in "$@"; do
    if same "$doc"; then
        echo "ok - $doc: fault list = bmsrig faults --markdown"
    else
        echo "not ok - $doc: fault list differs from the fault table (regenerate it with" \
             "'bmsrig faults --markdown')"
        fail=1
    fi
done

# the check can fail: a row of the first doc changed, and a row dropped
sed 's/^| `bms_tx`\(.*\)| on\/off/| `bms_tx`\1| sometimes/' "$1" >"$tmp/changed.md"
grep -v '^| `moisture`' "$1" >"$tmp/dropped.md"
for copy in changed dropped; do
    if cmp -s "$1" "$tmp/$copy.md"; then
        echo "not ok - self-check: the $copy copy equals the doc (the sed found nothing)"
        fail=1
    elif same "$tmp/$copy.md" >/dev/null; then
        echo "not ok - self-check: a doc with a $copy row passed"
        fail=1
    else
        echo "ok - self-check: a doc with a $copy row is reported"
    fi
done
exit $fail
