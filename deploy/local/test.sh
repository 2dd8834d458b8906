#!/usr/bin/env bash
# The README's second command (and CI's): install what is missing, check formatting, then build
# and run every test (unit + integration) twice: a normal build, and a sanitize build
# (AddressSanitizer + UndefinedBehaviorSanitizer).
set -euo pipefail
ROOT=$(cd "$(dirname "$0")/../.." && pwd)
cd "$ROOT"
bash deploy/local/deps.sh

echo "== clang-format check"
clang-format --dry-run --Werror worker/*.c include/newsflow/*.h tests/unit/*.c tests/tools/*.c deploy/local/*.c \
    tests/bench/e2e/*.c

run_suite() { # build-dir build-type
    echo "== $2 build in $1"
    cmake -S . -B "$1" -DCMAKE_BUILD_TYPE="$2" >/dev/null
    cmake --build "$1" -j"$(nproc)" >/dev/null
    ctest --test-dir "$1" --output-on-failure --timeout 900
}
run_suite build-test RelWithDebInfo
ASAN_OPTIONS=detect_leaks=1:abort_on_error=1 UBSAN_OPTIONS=print_stacktrace=1:halt_on_error=1 \
    LSAN_OPTIONS=suppressions=$ROOT/tests/lsan.supp \
    run_suite build-sanitize sanitize
echo "== libFuzzer targets (clang, ASan + UBSan), ${NF_FUZZ_SECONDS:-15} s each"
CC=clang cmake -S . -B build-fuzz -DNF_FUZZ=ON -DCMAKE_BUILD_TYPE=RelWithDebInfo >/dev/null
cmake --build build-fuzz -j"$(nproc)" >/dev/null
bash tests/fuzz/run.sh build-fuzz "${NF_FUZZ_SECONDS:-15}"
echo "== all tests passed (normal and sanitize builds, fuzzing)"
