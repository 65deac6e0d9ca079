#!/bin/sh
# Enforces the include direction of rig/'s folders (docs/architecture.md): each folder may include
# "rig/<folder>/..." headers only from itself and the folders its CMake library links; sim/
# includes nothing from rig/. Usage: check_includes.sh SOURCE_DIR. Exit 1 on any violation.
src=${1:?usage: check_includes.sh SOURCE_DIR}
fail=0

# allowed FOLDER: the rig/ folders FOLDER's files may include besides itself.
allowed() {
    case $1 in
        util) echo "" ;;
        fault) echo "" ;;
        fw) echo "util" ;;
        html) echo "" ;;
        offline) echo "util fault" ;;
        realtime) echo "util" ;;
        line) echo "util realtime fault" ;;
        dut) echo "util line fw" ;;
        bench) echo "util fault" ;;
        scenario) echo "util realtime fault offline line dut bench fw" ;;
        cli) echo "util realtime fault offline line dut bench scenario fw html" ;;
        manual) echo "util cli" ;;
        *) return 1 ;;
    esac
}

# includes_of DIR: "file:line:folder" for every #include "rig/<folder>/..." under DIR.
includes_of() {
    grep -rnE '^[[:space:]]*#[[:space:]]*include[[:space:]]+"rig/[a-z_0-9]+/' "$1" \
        --include='*.c' --include='*.h' |
        sed -E 's|^([^:]*:[0-9]+):.*"rig/([a-z_0-9]+)/.*|\1:\2|'
}

for dir in "$src"/rig/*/; do
    folder=$(basename "$dir")
    if ! rule=$(allowed "$folder"); then
        echo "note: rig/$folder/ has no include rule yet (add one to tests/layout/check_includes.sh)"
        continue
    fi
    for hit in $(includes_of "$dir"); do
        target=${hit##*:}
        where=${hit%:*}
        [ "$target" = "$folder" ] && continue
        ok=0
        for a in $rule; do [ "$a" = "$target" ] && ok=1; done
        if [ $ok -eq 0 ]; then
            echo "FAIL ${where#"$src"/}: rig/$folder/ may not include rig/$target/ (allowed: ${rule:-none})"
            fail=1
        fi
    done
done

for hit in $(grep -rnE '^[[:space:]]*#[[:space:]]*include[[:space:]]+"rig/' "$src/sim" \
        --include='*.c' --include='*.h' | cut -d: -f1,2); do
    echo "FAIL ${hit#"$src"/}: sim/ may not include rig/"
    fail=1
done

[ $fail -eq 0 ] && echo "include direction: ok"
exit $fail
