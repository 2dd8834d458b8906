#!/usr/bin/env bash
# Dedup and story benchmark: quality on the committed fixture, then cost and memory with 10^4,
# 10^5 and 10^6 articles in the window (each in its own process, so RSS is its own).
#   tests/bench/dedup/run.sh [BUILD_DIR]
set -euo pipefail
src=$(cd "$(dirname "$0")/../../.." && pwd)
build=${1:-$src/build}
bench=$build/tests/bench_dedup
[ -x "$bench" ] || { echo "build first: cmake --build $build --target bench_dedup" >&2; exit 1; }
"$bench" quality "$src/tests/fixtures/stories/stories.jsonl" "$src/tests/fixtures/stories/truth.tsv"
echo
echo "index cost with N articles in the window (synthetic stream, 100,000 timed articles after the window is full):"
echo "| articles in window | articles/s | index key lookups/s | µs per article | ratio to 10^4 | peak RSS MiB | index MiB |"
echo "|---|---|---|---|---|---|---|"
base=""
for n in 10000 100000 1000000; do
    read -r size aps lps us rss idx held < <("$bench" scale "$n")
    [ -n "$base" ] || base=$us
    ratio=$(awk -v a="$us" -v b="$base" 'BEGIN { printf "%.2f", a / b }')
    printf '| %s | %s | %s | %s | %s | %s | %s |\n' "$size" "$aps" "$lps" "$us" "$ratio" "$rss" "$idx"
done
