#!/usr/bin/env bash
# Memory over time: `newsflow run` with default settings under a steady load, its RSS sampled.
#
#   tests/bench/e2e/soak.sh [MINUTES] [RATE]     default 10 minutes at 400 articles/s
#
# A news stream is published, paced at RATE/s: gen_bench_corpus.py writes 20,000 articles (20 days
# of published_at) again and again, each time with other events, new ids and 20 days later,
# while one worker consumes it; every 30 s prints the worker's RSS (VmRSS) and the rows stored
# so far; at the end the minimum and maximum RSS after the first minute. The mock
# broker keeps ~5 MiB per partition, so the raw topic has 64 partitions (a backlog of ~2 min).
set -euo pipefail
MINUTES=${1:-10}
RATE=${2:-400}
ROOT=$(cd "$(dirname "$0")/../../.." && pwd)
BIN=${NF_BIN_DIR:-$ROOT/build}
W=$(mktemp -d /tmp/nf-soak.XXXXXX)
chmod 755 "$W"
PIDS=()
LOOP_PID=
cleanup() {
    # The publisher loop first, then the worker and the broker. The loop's current child
    # (nf-bench or the generator) is stopped first and waited for: once the loop's shell is
    # gone its children are no longer found by their parent, and a publisher still running
    # when the broker stops prints librdkafka's connection errors.
    if [ -n "$LOOP_PID" ]; then
        kill -STOP "$LOOP_PID" 2>/dev/null || true # no new child from here on
        local kids
        kids=$(pgrep -P "$LOOP_PID" || true)
        kill "$LOOP_PID" 2>/dev/null || true
        kill -CONT "$LOOP_PID" 2>/dev/null || true
        wait "$LOOP_PID" 2>/dev/null || true
        for k in $kids; do # reparented now, and reaped by init once they exit
            kill "$k" 2>/dev/null || true
            for _ in $(seq 100); do kill -0 "$k" 2>/dev/null || break; sleep 0.1; done
        done
    fi
    for ((i = ${#PIDS[@]} - 1; i >= 0; i--)); do
        kill "${PIDS[i]}" 2>/dev/null || true
        wait "${PIDS[i]}" 2>/dev/null || true
    done
    bash "$ROOT/deploy/local/pg.sh" stop "$W/pg" >/dev/null 2>&1 || true
    rm -rf "$W"
}
trap cleanup EXIT
"$BIN/nf-broker" --bootstrap-file "$W/bootstrap" --topic bench.raw:64 --topic articles.enriched:32 \
    --topic articles.dlq:4 >"$W/broker.log" 2>&1 &
PIDS+=($!)
for _ in $(seq 100); do [ -s "$W/bootstrap" ] && break; sleep 0.1; done
BROKERS=$(cat "$W/bootstrap")
PG_URL=$(bash "$ROOT/deploy/local/pg.sh" start "$W/pg")
export NEWSFLOW_BROKERS=$BROKERS NEWSFLOW_PG_URL=$PG_URL NEWSFLOW_HTTP_PORT=0 NEWSFLOW_LOG_LEVEL=warn
export NEWSFLOW_INPUT_TOPIC=bench.raw
"$BIN/newsflow" migrate >/dev/null
"$BIN/newsflow" run >"$W/worker.log" 2>&1 &
WPID=$!
PIDS+=($WPID)
(
    k=0
    while :; do
        k=$((k + 1))
        # the stream goes on: new events (seed), new ids, published_at 20 days later each time
        /usr/bin/python3 "$ROOT/tests/bench/e2e/gen_bench_corpus.py" --count 20000 --seed "$k" \
            --prefix "s$k" --start "$(date -u -d "2026-03-02 + $(((k - 1) * 20)) days" +%F)" \
            --out "$W/loop.jsonl" 2>/dev/null
        "$BIN/tests/nf-bench" publish "$BROKERS" bench.raw "$W/loop.jsonl" "$RATE" >/dev/null
    done
) &
LOOP_PID=$!
echo "minute  rss_mib  stored"
: >"$W/rss"
end=$(($(date +%s) + MINUTES * 60))
start=$(date +%s)
while [ "$(date +%s)" -lt "$end" ]; do
    sleep 30
    kill -0 "$WPID" 2>/dev/null || { echo "soak.sh: the worker died" >&2; tail "$W/worker.log" >&2; exit 1; }
    rss=$(awk '/VmRSS/ { printf "%.0f", $2 / 1024 }' "/proc/$WPID/status")
    t=$(awk -v s="$start" -v n="$(date +%s)" 'BEGIN { printf "%.1f", (n - s) / 60 }')
    printf '%6s  %7s  %s\n' "$t" "$rss" "$(psql "$PG_URL" -XAtqc 'select count(*) from articles')"
    awk -v t="$t" 'BEGIN { exit !(t >= 1) }' && echo "$rss" >>"$W/rss"
done
sort -n "$W/rss" | awk 'NR == 1 { min = $1 } { max = $1 } END { printf "RSS after the first minute: min %d MiB, max %d MiB\n", min, max }'
