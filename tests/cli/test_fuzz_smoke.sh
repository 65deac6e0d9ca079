#!/bin/sh
# test_fuzz_smoke.sh: tests/fuzz/run-smoke (part of `make check`) must fail when a fuzz target
# fails or when there is no target at all. Run from the source tree (it reads fixtures/captures).
set -u
. "$(dirname "$0")/lib.sh"
lib_init --no-bmsrig
mkdir -p "$W/crash/tests/fuzz" "$W/good/tests/fuzz" "$W/none/tests/fuzz"
printf '#!/bin/sh\necho "ERROR: AddressSanitizer: heap-buffer-overflow"\nexit 1\n' \
    >"$W/crash/tests/fuzz/fuzz_fake"
printf '#!/bin/sh\necho "Done 1 runs"\nexit 0\n' >"$W/good/tests/fuzz/fuzz_fake"
chmod +x "$W/crash/tests/fuzz/fuzz_fake" "$W/good/tests/fuzz/fuzz_fake"
sh tests/fuzz/run-smoke "$W/crash" >/dev/null 2>&1
check "a crashing fuzz target fails the smoke run" test $? -ne 0
sh tests/fuzz/run-smoke "$W/none" >/dev/null 2>&1
check "no fuzz target at all fails the smoke run" test $? -ne 0
sh tests/fuzz/run-smoke "$W/good" >/dev/null 2>&1
check "a clean fuzz target passes" test $? -eq 0
finish
