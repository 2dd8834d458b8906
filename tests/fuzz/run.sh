#!/usr/bin/env bash
# Runs every libFuzzer target for a fixed time with ASan + UBSan, seeded from the fixtures
# (sample lines, poison messages, config lines), and prints executions per target.
#   tests/fuzz/run.sh BUILD_DIR SECONDS_PER_TARGET
# BUILD_DIR is configured with CC=clang -DNF_FUZZ=ON. A crash, leak or sanitizer report fails it
# and leaves the reproducer in the printed directory.
set -euo pipefail
ROOT=$(cd "$(dirname "$0")/../.." && pwd)
BUILD=$1
SECONDS_PER=${2:-20}
WORK=$(mktemp -d /tmp/nf-fuzz.XXXXXX)
trap 'rm -rf "$WORK"' EXIT
mkdir -p "$WORK/seeds/text" "$WORK/seeds/config"
i=0
while IFS= read -r line; do
    printf '%s' "$line" >"$WORK/seeds/text/sample.$i"
    i=$((i + 1))
done <"$ROOT/tests/fixtures/samples.jsonl"
/usr/bin/python3 "$ROOT/tests/fixtures/poison.py" "$WORK/poison" --no-huge 2>/dev/null
# Entity seeds: the annotated set's articles as "title\nbody" (8 languages, 3 scripts).
mkdir -p "$WORK/seeds/entities"
/usr/bin/python3 - "$ROOT/tests/fixtures/entities/annotated.jsonl" "$WORK/seeds/entities" <<'PY'
import json, sys
for n, line in enumerate(open(sys.argv[1], encoding="utf-8")):
    d = json.loads(line)
    if "body" in d:
        open("%s/%s" % (sys.argv[2], d["id"]), "w", encoding="utf-8").write(d["title"] + "\n" + d["body"])
PY
cp "$WORK"/seeds/text/* "$WORK/seeds/entities/"
cp "$WORK"/poison/*.msg "$WORK/seeds/text/"
printf 'brokers = a:9092\nbatch_max_messages = 10\nkafka.security.protocol = SSL\n# c\n' >"$WORK/seeds/config/1"
printf 'pg_url = postgresql://u:pw@h/db\nstop_at_end = yes\n' >"$WORK/seeds/config/2"
printf '%-24s %12s %8s\n' target executions seconds
for target in article json normalize langid chain entities config; do
    seeds=$WORK/seeds/text
    [ "$target" = config ] && seeds=$WORK/seeds/config
    [ "$target" = entities ] && seeds=$WORK/seeds/entities
    mkdir -p "$WORK/corpus.$target" "$WORK/crash.$target"
    log=$WORK/$target.log
    if ! "$BUILD/tests/fuzz_$target" -max_total_time="$SECONDS_PER" -max_len=65536 -timeout=10 \
        -rss_limit_mb=2048 -print_final_stats=1 -artifact_prefix="$WORK/crash.$target/" \
        "$WORK/corpus.$target" "$seeds" >"$log" 2>&1; then
        tail -n 40 "$log" >&2
        keep=/tmp/nf-fuzz-crash-$target-$$
        cp -r "$WORK/crash.$target" "$keep"
        echo "FAIL: fuzz_$target (reproducer in $keep)" >&2
        exit 1
    fi
    runs=$(sed -n 's/^stat::number_of_executed_units: *//p' "$log")
    printf '%-24s %12s %8s\n' "fuzz_$target" "$runs" "$SECONDS_PER"
done
