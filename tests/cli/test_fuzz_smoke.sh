#!/bin/sh
# test_fuzz_smoke.sh: tests/fuzz/run-smoke (part of `make check`) must fail when a fuzz target
# fails or when there is no target at all. Run from the source tree (it reads fixtures/captures).
set -u
fail=0
check() { desc=$1; shift; if "$@"; then echo "ok - $desc"; else echo "not ok - $desc"; fail=1; fi; }
tmp=$(mktemp -d)
trap 'rm -rf "$tmp"' EXIT
mkdir -p "$tmp/crash/tests/fuzz" "$tmp/good/tests/fuzz" "$tmp/none/tests/fuzz"
printf '#!/bin/sh\necho "ERROR: AddressSanitizer: heap-buffer-overflow"\nexit 1\n' \
    >"$tmp/crash/tests/fuzz/fuzz_fake"
printf '#!/bin/sh\necho "Done 1 runs"\nexit 0\n' >"$tmp/good/tests/fuzz/fuzz_fake"
chmod +x "$tmp/crash/tests/fuzz/fuzz_fake" "$tmp/good/tests/fuzz/fuzz_fake"
sh tests/fuzz/run-smoke "$tmp/crash" >/dev/null 2>&1
check "a crashing fuzz target fails the smoke run" test $? -ne 0
sh tests/fuzz/run-smoke "$tmp/none" >/dev/null 2>&1
check "no fuzz target at all fails the smoke run" test $? -ne 0
sh tests/fuzz/run-smoke "$tmp/good" >/dev/null 2>&1
check "a clean fuzz target passes" test $? -eq 0
exit $fail
