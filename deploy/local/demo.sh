#!/usr/bin/env bash
# The README's first command: install what is missing, build, start the embedded broker and a
# throwaway PostgreSQL, publish the bundled sample articles, run the worker until they are all
# consumed, print a summary of what was stored and published, clean up.
set -euo pipefail
ROOT=$(cd "$(dirname "$0")/../.." && pwd)
BUILD=${NF_BUILD_DIR:-$ROOT/build}
SAMPLES=${1:-$ROOT/tests/fixtures/samples.jsonl}

bash "$ROOT/deploy/local/deps.sh"
echo "== building ($BUILD)"
cmake -S "$ROOT" -B "$BUILD" -DCMAKE_BUILD_TYPE=RelWithDebInfo >/dev/null
cmake --build "$BUILD" -j"$(nproc)" --target newsflow nf-broker >/dev/null

WORK=$(mktemp -d /tmp/newsflow-demo.XXXXXX)
chmod 755 "$WORK"
BROKER_PID=
cleanup() {
    [ -n "$BROKER_PID" ] && kill "$BROKER_PID" 2>/dev/null || true
    bash "$ROOT/deploy/local/pg.sh" stop "$WORK/pg" >/dev/null 2>&1 || true
    rm -rf "$WORK"
}
trap cleanup EXIT

echo "== starting the embedded Kafka broker and a throwaway PostgreSQL 15"
"$BUILD/nf-broker" --bootstrap-file "$WORK/bootstrap" >"$WORK/broker.log" 2>&1 &
BROKER_PID=$!
for _ in $(seq 100); do [ -s "$WORK/bootstrap" ] && break; sleep 0.1; done
export NEWSFLOW_BROKERS=$(cat "$WORK/bootstrap")
export NEWSFLOW_PG_URL=$(bash "$ROOT/deploy/local/pg.sh" start "$WORK/pg")
export NEWSFLOW_KAFKA_SESSION_TIMEOUT_MS=6000
"$BUILD/newsflow" migrate 2>/dev/null

echo "== publishing $(wc -l <"$SAMPLES") sample messages to articles.raw"
kcat -P -b "$NEWSFLOW_BROKERS" -t articles.raw -X sticky.partitioning.linger.ms=0 -l "$SAMPLES"

echo "== running: newsflow run --stop-at-end (worker log: JSON lines on stderr, in $WORK/worker.log)"
start=$(date +%s.%N)
"$BUILD/newsflow" run --stop-at-end 2>"$WORK/worker.log"
end=$(date +%s.%N)

sql() { psql "$NEWSFLOW_PG_URL" -XAtq -F ' ' -c "$1"; }
count_topic() { kcat -C -b "$NEWSFLOW_BROKERS" -t "$1" -e -q -f '.\n' | wc -l; }
echo
echo "================ newsflow demo summary ================"
printf 'messages consumed      %s (sum of the offsets stored in PostgreSQL)\n' "$(sql "select coalesce(sum(next_offset), 0) from consumer_offsets")"
printf 'articles stored        %s\n' "$(sql "select count(*) from articles")"
echo   'by language (code script: count)'
sql "select '  ' || lang_code || ' ' || lang_script || ': ' || count(*) from articles group by lang_code, lang_script order by count(*) desc, lang_script"
echo   'dedup'
sql "select '  ' || dedup_status || ': ' || count(*) from articles group by dedup_status order by 1"
sql "select '    ' || id || ' duplicates ' || duplicate_of from articles where duplicate_of is not null order by id"
printf 'stories                %s\n' "$(sql "select count(distinct story_id) from articles")"
printf 'rejected               %s\n' "$(sql "select count(*) from ingest_rejects")"
sql "select '  ' || reason || ': ' || count(*) from ingest_rejects group by reason order by reason"
# A revision is a record republished because a later article changed a stored one (an earlier
# copy became its original, or its story merged into another): it carries "revision" >= 1.
# The topic is read once: an enriched record is one line of JSON.
kcat -C -b "$NEWSFLOW_BROKERS" -t articles.enriched -e -q -f '%s\n' >"$WORK/downstream.jsonl"
printf 'published downstream   %s messages on articles.enriched (%s of them revisions of stored articles)\n' \
    "$(wc -l <"$WORK/downstream.jsonl")" "$(grep -c '"revision"' "$WORK/downstream.jsonl" || true)"
printf 'dead-letter queue      %s messages on articles.dlq\n' "$(count_topic articles.dlq)"
printf 'outbox rows left       %s\n' "$(sql "select count(*) from outbox")"
printf 'time taken             %s s (worker start to exit, group join included)\n' "$(awk -v a="$start" -v b="$end" 'BEGIN { printf "%.2f", b - a }')"
echo "======================================================="
