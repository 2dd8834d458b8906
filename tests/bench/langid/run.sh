#!/usr/bin/env bash
# The language-identification benchmark: newsflow vs CLD2 vs libexttextcat on the held-out UDHR
# sentences and paragraphs (tests/bench/langid/data, written by worker/tools/langid/regenerate.sh).
#   tests/bench/langid/run.sh [BUILD_DIR]      (default build; configured and built if needed)
set -euo pipefail
cd "$(dirname "$0")/../../.."
build=${1:-build}
deploy/local/deps.sh
[ -f "$build/CMakeCache.txt" ] || cmake -S . -B "$build" -DCMAKE_BUILD_TYPE=RelWithDebInfo >/dev/null
cmake --build "$build" -j"$(nproc)" --target nf-bench-langid >/dev/null
exec "$build/tests/nf-bench-langid" tests/bench/langid/data/test_sentences.tsv \
    tests/bench/langid/data/test_paragraphs.tsv
