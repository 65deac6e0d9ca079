#!/bin/sh
# test_deb.sh: builds the Debian package (debian/, debhelper compat 13, dh + cmake) in a
# temporary copy of the source (so neither the source nor the build tree gets build products),
# then: lintian finds no error, the package holds the command, its data, the emulated FT232H,
# the udev rule, the man pages and the completion, it depends on the Debian runtime libraries,
# the compiler saw dpkg-buildflags and no -Werror, and the unpacked package works from a
# scratch root (the scenario library, a cell set, the emulated bench by board name).
# usage: test_deb.sh SOURCE_DIR
set -u
SRC=$1
for tool in dpkg-buildpackage dh lintian fakeroot; do
    if ! command -v "$tool" >/dev/null 2>&1; then
        echo "SKIP: $tool not installed (Debian: dpkg-dev, debhelper, lintian, fakeroot)"
        exit 77
    fi
done
W=$(mktemp -d)
trap 'rm -rf "$W"' EXIT
fails=0
check() {
    desc=$1; shift
    if "$@"; then echo "ok: $desc"; else echo "FAILED: $desc"; fails=$((fails + 1)); fi
}

# 1. a copy of the sources: what git tracks or would track (no build trees, no out/)
mkdir "$W/bmsrig"
if git -C "$SRC" rev-parse --git-dir >/dev/null 2>&1; then
    (cd "$SRC" && git ls-files -z --cached --others --exclude-standard |
        xargs -0 sh -c 'for f; do [ -e "$f" ] && printf "%s\0" "$f"; done' _ |
        tar --null -T - -cf -) | tar -xf - -C "$W/bmsrig"
else
    (cd "$SRC" && tar --exclude='./build*' --exclude=./out -cf - .) | tar -xf - -C "$W/bmsrig"
fi
check "the copy has debian/rules" test -x "$W/bmsrig/debian/rules"

# 2. the package build (binary only, unsigned)
(cd "$W/bmsrig" && DEB_BUILD_OPTIONS="nocheck parallel=2" dpkg-buildpackage -us -uc -b) \
    >"$W/build.log" 2>&1
rc=$?
check "dpkg-buildpackage -us -uc -b (exit $rc)" test "$rc" -eq 0
[ "$rc" -eq 0 ] || { tail -n 40 "$W/build.log"; exit 1; }
deb=$(ls "$W"/bmsrig_*.deb | head -n 1)
changes=$(ls "$W"/bmsrig_*.changes | head -n 1)
check "a .deb was made" test -f "$deb"

# 3. flags: dpkg-buildflags reached the compiler, -Werror did not
cc_lines=$(grep -E '(cc|gcc).* -c .*rig/' "$W/build.log")
check "the compile lines are in the log (verbose build)" test -n "$cc_lines"
check "they carry dpkg-buildflags' hardening (-fstack-protector-strong, _FORTIFY_SOURCE)" \
    sh -c "printf '%s\n' \"\$1\" | grep -q -- '-fstack-protector-strong' && printf '%s\n' \"\$1\" | grep -q -- '-D_FORTIFY_SOURCE=2'" _ "$cc_lines"
check "and no -Werror (dpkg-buildflags' own -Werror=format-security aside)" \
    sh -c "! printf '%s\n' \"\$1\" | grep -qE -- '-Werror( |\$)'" _ "$cc_lines"

# 4. lintian: no error (warnings are printed for the record)
lintian --fail-on error --tag-display-limit 0 "$changes" >"$W/lintian.out" 2>&1
rc=$?
cat "$W/lintian.out"
check "lintian --fail-on error passes (exit $rc)" test "$rc" -eq 0

# 5. contents and dependencies
dpkg-deb --contents "$deb" | awk '{ print $6 }' | sed 's|^\./|/|' >"$W/contents"
for f in /usr/bin/bmsrig /usr/share/bmsrig/boards/emulated.lua \
         /usr/share/bmsrig/fixtures/cells/lg_m26.cell /usr/share/bmsrig/scripts/comm/bms_tx_cut_riding.lua \
         /usr/share/man/man1/bmsrig.1.gz /usr/share/man/man1/bmsrig-run.1.gz \
         /usr/share/bash-completion/completions/bmsrig /usr/share/doc/bmsrig/copyright; do
    check "the package has $f" grep -qx "$f" "$W/contents"
done
check "the package has the udev rule" grep -q '/udev/rules.d/60-bmsrig.rules$' "$W/contents"
check "the package has the emulated FT232H in a private folder" grep -q '/bmsrig/libusb-1.0.so.0$' "$W/contents"
check "nothing from the source or build tree paths" sh -c "! grep -q '$W/bmsrig' '$W/contents'"
depends=$(dpkg-deb -f "$deb" Depends)
echo "Depends: $depends"
for lib in libftdi1-2 liblua5.4-0 libunicorn2 libc6; do
    check "Depends names $lib" sh -c "printf '%s' \"\$1\" | grep -q '$lib'" _ "$depends"
done

# 6. the unpacked package, from a scratch root and an unrelated directory
dpkg-deb -x "$deb" "$W/root"
R="$W/root"
mkdir "$W/elsewhere"
cd "$W/elsewhere" || exit 1
unset BMSRIG_DATA_DIR BMSRIG_CELLS_DIR BMSRIG_BOARDS_DIR BMSRIG_SCRIPTS_DIR
n=$("$R/usr/bin/bmsrig" run --list "$R/usr/share/bmsrig/scripts" 2>/dev/null | grep -c "$R/usr/share/bmsrig/scripts/")
nsrc=$(find "$SRC/scripts" -name '*.lua' ! -path '*/lib/*' | wc -l)
check "the packaged library lists every scenario ($n of $nsrc)" test "$n" -eq "$nsrc"
"$R/usr/bin/bmsrig" sim --cell lg_m26 --load 5 --duration 5 --out "$W/sim.csv" >/dev/null 2>&1
check "the packaged bmsrig sim finds its cell set" test -s "$W/sim.csv"
emu=$(dirname "$(find "$R" -name libusb-1.0.so.0 | head -n 1)")
BMSRIG_LOCK_DIR="$W" BMSRIG_EMU_LOG="$W/emu.log" LD_LIBRARY_PATH="$emu" \
    "$R/usr/bin/bmsrig" selftest --rig emulated >"$W/st.out" 2>&1
rc=$?
check "the packaged selftest --rig emulated passes (exit $rc)" test "$rc" -eq 0
check "  on the packaged board" grep -q "($R/usr/share/bmsrig/boards/emulated.lua)" "$W/st.out"

if [ "$fails" -ne 0 ]; then
    echo "$fails check(s) failed"
    exit 1
fi
echo "all package checks passed"
