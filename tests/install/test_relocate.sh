#!/bin/sh
# test_relocate.sh: `cmake --install` into a temporary DESTDIR, the installed tree MOVED to
# another folder, then run from an unrelated directory: the scenario library (--list and the
# whole run), `bmsrig sim` with a cell set, a board by name on the emulated bench, the man
# pages and the completion. Negative controls: a cell set or board removed from the moved tree
# must then be missing (so the binary cannot be reading the source or build tree instead).
# usage: test_relocate.sh BUILD_DIR SOURCE_DIR
set -u
BUILD=$1
SRC=$2
W=$(mktemp -d)
trap 'rm -rf "$W"' EXIT
fails=0
check() {
    desc=$1; shift
    if "$@"; then echo "ok: $desc"; else echo "FAILED: $desc"; fails=$((fails + 1)); fi
}
unset BMSRIG_DATA_DIR BMSRIG_CELLS_DIR BMSRIG_BOARDS_DIR BMSRIG_SCRIPTS_DIR BMSRIG_EMU_FAULTS \
      BMSRIG_EMU_CONFIG BMSRIG_EMU_VCD
export BMSRIG_LOCK_DIR="$W" BMSRIG_EMU_LOG="$W/emu.log"

# 1. install under a prefix that exists nowhere, through DESTDIR
prefix=/opt/bmsrig-relocate-test
DESTDIR="$W/stage" cmake --install "$BUILD" --prefix "$prefix" >"$W/install.log" 2>&1
check "cmake --install with DESTDIR succeeds" test $? -eq 0
check "bin/bmsrig installed" test -x "$W/stage$prefix/bin/bmsrig"

# 2. move the whole tree somewhere else; the compiled-in prefix and the build tree are now wrong
mkdir -p "$W/moved"
mv "$W/stage$prefix" "$W/moved/tree"
T="$W/moved/tree"
B="$T/bin/bmsrig"
libdir=$(dirname "$(find "$T" -name 'libusb-1.0.so.0' | head -n 1)")
mkdir "$W/elsewhere"
cd "$W/elsewhere" || exit 1

check "the scenario library is installed" test -d "$T/share/bmsrig/scripts/comm"
check "cell sets installed" test -f "$T/share/bmsrig/fixtures/cells/lg_m26.cell"
check "boards installed" test -f "$T/share/bmsrig/boards/emulated.lua"
check "the udev rule installed" test -f "$T/lib/udev/rules.d/60-bmsrig.rules"
check "the emulated FT232H installed under lib.../bmsrig" sh -c "case '$libdir' in */bmsrig) exit 0;; esac; exit 1"
check "bash completion installed" test -f "$T/share/bash-completion/completions/bmsrig"

check "bmsrig version names the moved tree's data folder" sh -c "'$B' version | grep -qx 'data $T/share/bmsrig'"

# 3. the library from the moved tree: --list, then the whole run
nsrc=$(find "$SRC/scripts" -name '*.lua' ! -path '*/lib/*' | wc -l)
"$B" run --list >"$W/list" 2>"$W/list.err"
rc=$?
check "run --list without a PATH (no ./scripts here) lists the installed library (exit $rc)" test "$rc" -eq 0
nlist=$(grep -c "$T/share/bmsrig/scripts/" "$W/list")
check "it lists every scenario, from the moved tree ($nlist of $nsrc)" test "$nlist" -eq "$nsrc"
check "nothing listed from the source tree" sh -c "! grep -q '$SRC' '$W/list'"
"$B" run -q -j 2 --junit "$W/junit.xml" --json "$W/report.json" "$T/share/bmsrig/scripts" \
    >"$W/run.out" 2>&1
rc=$?
check "the whole library runs from the moved tree (exit $rc)" test "$rc" -eq 0
[ "$rc" -eq 0 ] || tail -n 20 "$W/run.out"
check "its JSON report has every scenario" sh -c "test \$(jq '.scenarios | length' '$W/report.json') -eq $nsrc"

# 4. bmsrig sim with a cell set by name, then with that set removed from the moved tree
"$B" sim --cell lg_m26 --load 5 --duration 10 --out "$W/sim.csv" >/dev/null 2>"$W/sim.err"
check "sim --cell lg_m26 from the moved tree (exit $?)" test -s "$W/sim.csv"
mv "$T/share/bmsrig/fixtures/cells/lg_m26.cell" "$W/lg_m26.cell.away"
"$B" sim --cell lg_m26 --load 5 --duration 10 --out "$W/sim2.csv" >/dev/null 2>"$W/sim2.err"
rc=$?
check "with lg_m26 gone from the moved tree, sim says so (exit $rc)" test "$rc" -eq 2
check "the message names the moved tree's folder" grep -q "no cell set 'lg_m26'.*$T/share/bmsrig/fixtures/cells" "$W/sim2.err"
mv "$W/lg_m26.cell.away" "$T/share/bmsrig/fixtures/cells/lg_m26.cell"
BMSRIG_CELLS_DIR="$SRC/fixtures/cells" "$B" sim --cell lg_m26 --load 5 --duration 1 \
    --out "$W/sim3.csv" >/dev/null 2>&1
check "BMSRIG_CELLS_DIR overrides" test -s "$W/sim3.csv"

# 5. a board by name from the moved tree, on the emulated bench (its library from the moved tree)
LD_LIBRARY_PATH="$libdir" "$B" selftest --rig emulated >"$W/st.out" 2>&1
rc=$?
check "selftest --rig emulated on the moved tree's board (exit $rc)" test "$rc" -eq 0
check "the board came from the moved tree" grep -q "($T/share/bmsrig/boards/emulated.lua)" "$W/st.out"
mv "$T/share/bmsrig/boards/emulated.lua" "$W/emulated.lua.away"
LD_LIBRARY_PATH="$libdir" "$B" selftest --rig emulated >"$W/st2.out" 2>&1
rc=$?
check "with the board gone from the moved tree, --rig emulated is refused (exit $rc)" test "$rc" -eq 2
check "naming the moved boards folder" grep -q "no rig description 'emulated'.*$T/share/bmsrig/boards" "$W/st2.out"
mv "$W/emulated.lua.away" "$T/share/bmsrig/boards/emulated.lua"
# a description of one's own that extends = "emulated": the base comes from the moved tree too
cat >"$W/elsewhere/mybench.lua" <<'LUA'
return board { extends = "emulated", name = "mybench" }
LUA
LD_LIBRARY_PATH="$libdir" "$B" selftest --rig ./mybench.lua >"$W/st3.out" 2>&1
rc=$?
check "a description extending \"emulated\" finds its base in the moved tree (exit $rc)" test "$rc" -eq 0
mv "$T/share/bmsrig/boards/emulated.lua" "$W/emulated.lua.away"
LD_LIBRARY_PATH="$libdir" "$B" selftest --rig ./mybench.lua >"$W/st4.out" 2>&1
rc=$?
check "with the base gone from the moved tree, extends fails (exit $rc)" test "$rc" -eq 2
check "  naming the moved boards folder" grep -q "extends 'emulated': no rig description.*$T/share/bmsrig/boards" "$W/st4.out"
mv "$W/emulated.lua.away" "$T/share/bmsrig/boards/emulated.lua"

# 6. the man pages render without warnings; one per command
for cmd in $("$B" --help | awk '/^commands:/{on=1;next} /^$/{on=0} on && $1!="help"{print $1}'); do
    page="$T/share/man/man1/bmsrig-$cmd.1"
    check "man page bmsrig-$cmd(1) installed" test -f "$page"
done
check "bmsrig(1) installed" test -f "$T/share/man/man1/bmsrig.1"
if [ -d "$SRC/hw/wireshark" ]; then
    check "the Wireshark dissector installed" test -f "$T/share/bmsrig/wireshark/m365_bus.lua"
fi

if [ "$fails" -ne 0 ]; then
    echo "$fails check(s) failed"
    exit 1
fi
echo "all relocation checks passed"
