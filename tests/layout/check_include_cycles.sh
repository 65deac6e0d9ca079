#!/bin/sh
# Fails on an include cycle among rig/'s modules (docs/architecture.md). A module is NAME.c with
# NAME.h in one folder; a folder-private header NAME_internal.h belongs to module NAME. Module A
# depends on module B when a file of A includes "rig/<folder>/B.h". Any cycle (a.c includes b.h,
# b.c includes a.h, or a longer ring) is reported with its members; tsort finds it.
# Usage: check_include_cycles.sh SOURCE_DIR. Exit 1 on a cycle.
src=${1:?usage: check_include_cycles.sh SOURCE_DIR}
cd "$src" || exit 2

edges=$(mktemp) || exit 2
trap 'rm -f "$edges"' EXIT
# Every module is a node (a self-pair), even one that includes nothing from rig/.
find rig -name '*.c' -o -name '*.h' | sed -E 's#^(.*)$#\1 \1#' > "$edges"
[ -s "$edges" ] || { echo "FAIL: no sources under $src/rig"; exit 1; }
# "FILE INCLUDED" for every #include "rig/<folder>/NAME.h".
grep -rE --include='*.c' --include='*.h' \
    '^[[:space:]]*#[[:space:]]*include[[:space:]]+"rig/[a-z_0-9]+/[^"]+\.h"' rig |
    sed -E 's#^([^:]+):.*"(rig/[^"]+)".*#\1 \2#' >> "$edges"
# Files -> modules: rig/FOLDER/NAME.{c,h} -> FOLDER/NAME (NAME_internal.h -> FOLDER/NAME);
# a module including its own header is no edge.
sed -Ei 's#rig/##g; s#\.(c|h)( |$)#\2#g; s#_internal( |$)#\1#g' "$edges"
sort -u -o "$edges" "$edges"

if ! out=$(tsort "$edges" 2>&1 >/dev/null); then
    echo "FAIL: include cycle among rig/ modules:"
    echo "$out" | sed -n 's/^tsort: //p' | grep -v 'input contains a loop' | sort -u | sed 's/^/  member: /'
    # the edges inside the cycle, for the reader
    members=$(echo "$out" | sed -n 's/^tsort: \([a-z_0-9]*\/[a-z_0-9]*\)$/\1/p' | sort -u)
    for a in $members; do
        for b in $members; do
            [ "$a" != "$b" ] && grep -qx "$a $b" "$edges" && echo "  $a includes $b"
        done
    done
    exit 1
fi
echo "include cycles among rig/ modules: none ($(awk '$1 != $2' "$edges" | wc -l) module dependencies)"
exit 0
