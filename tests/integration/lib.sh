# Shared helpers of the integration tests: a real Kafka protocol peer (nf-broker, librdkafka's
# mock cluster) and a real PostgreSQL 15 server, both throwaway, both on loopback.
# Source it; call nf_setup first. Everything started is stopped by the EXIT trap.
set -euo pipefail

: "${NF_SOURCE_DIR:=$(cd "$(dirname "${BASH_SOURCE[0]}")/../.." && pwd)}"
: "${NF_BIN_DIR:=$NF_SOURCE_DIR/build}"
NF=$NF_BIN_DIR/newsflow
NF_WORK=$(mktemp -d /tmp/nf-test.XXXXXX)
chmod 755 "$NF_WORK"
NF_PIDS=()

nf_log() { printf '[%s] %s\n' "$(date +%T)" "$*" >&2; }
nf_fail() { nf_log "FAIL: $*"; exit 1; }

nf_cleanup() {
    local rc=$?
    for pid in "${NF_PIDS[@]}"; do kill -9 "$pid" 2>/dev/null || true; wait "$pid" 2>/dev/null || true; done
    [ -d "$NF_WORK/pg" ] && bash "$NF_SOURCE_DIR/deploy/local/pg.sh" stop "$NF_WORK/pg" >/dev/null 2>&1 || true
    if [ "$rc" -ne 0 ] && [ -d "$NF_WORK" ]; then
        for f in "$NF_WORK"/*.log; do [ -f "$f" ] && { echo "--- tail of $f"; tail -n 30 "$f"; }; done >&2
    fi
    if [ -n "${NF_KEEP_WORK:-}" ]; then echo "work directory kept: $NF_WORK" >&2; else rm -rf "$NF_WORK"; fi
    exit $rc
}
trap nf_cleanup EXIT

# Starts the embedded broker and a throwaway PostgreSQL; exports BROKERS and PG_URL.
nf_setup() {
    "$NF_BIN_DIR/nf-broker" --bootstrap-file "$NF_WORK/bootstrap" --control "$NF_WORK/broker.ctl" \
        >"$NF_WORK/broker.log" 2>&1 &
    NF_PIDS+=($!)
    for _ in $(seq 100); do [ -s "$NF_WORK/bootstrap" ] && break; sleep 0.1; done
    [ -s "$NF_WORK/bootstrap" ] || nf_fail "broker did not start"
    BROKERS=$(cat "$NF_WORK/bootstrap")
    PG_URL=$(bash "$NF_SOURCE_DIR/deploy/local/pg.sh" start "$NF_WORK/pg")
    export BROKERS PG_URL
    export NEWSFLOW_BROKERS=$BROKERS NEWSFLOW_PG_URL=$PG_URL
    # No HTTP server unless a test asks for one (several workers may run at once).
    export NEWSFLOW_HTTP_PORT=${NEWSFLOW_HTTP_PORT:-0}
    # Fast group rebalances after a kill: the dead member's session expires in 6 s.
    export NEWSFLOW_KAFKA_SESSION_TIMEOUT_MS=6000 NEWSFLOW_KAFKA_HEARTBEAT_INTERVAL_MS=500
    "$NF" migrate >/dev/null
    nf_log "broker $BROKERS, postgres ready"
}

nf_sql() { psql "$PG_URL" -XAtq -v ON_ERROR_STOP=1 -c "$1"; }

# nf_story_of ID: the story id named after article ID ("story:" + 16 hex of sha256(ID)).
nf_story_of() { nf_sql "select 'story:' || left(encode(sha256(convert_to('$1', 'UTF8')), 'hex'), 16)"; }

# A second PostgreSQL session that holds what a test sends it (locks, an open transaction):
# nf_psql_session starts it, nf_psql_do sends a statement, nf_psql_sync NAME waits until the
# session has run everything sent so far (and fails the test on an ERROR).
nf_psql_session() {
    coproc PSQL { psql "$PG_URL" -XAtq -v ON_ERROR_STOP=1 2>&1; }
    NF_PIDS+=($PSQL_PID)
}
nf_psql_do() { echo "$1" >&"${PSQL[1]}"; }
nf_psql_sync() {
    echo "SELECT 'sync-$1';" >&"${PSQL[1]}"
    local line
    while read -r -t 30 line <&"${PSQL[0]}"; do
        [ "$line" = "sync-$1" ] && return 0
        [[ "$line" == *ERROR* ]] && nf_fail "psql session: $line"
    done
    nf_fail "psql session did not answer"
}

# nf_broker_ctl "down 2": a fault for the embedded broker (see deploy/local/nf_broker.c).
nf_broker_ctl() { echo "$1" >"$NF_WORK/broker.ctl"; nf_log "broker fault: $1"; }

# nf_wait_stored N: wait (at most 60 s) until PostgreSQL holds N articles.
nf_wait_stored() {
    for _ in $(seq 1200); do
        [ "$(nf_sql "select count(*) from articles" 2>/dev/null || echo 0)" -ge "$1" ] && return 0
        kill -0 "$NF_WORKER_PID" 2>/dev/null || nf_fail "worker died while waiting for $1 rows"
        sleep 0.05
    done
    nf_fail "stuck below $1 stored articles"
}

# nf_corpus COUNT BAD_RATIO TOO_LARGE: writes $NF_WORK/corpus.jsonl and expected.tsv
nf_corpus() {
    /usr/bin/python3 "$NF_SOURCE_DIR/tests/fixtures/gen_corpus.py" --count "$1" --bad-ratio "$2" \
        --too-large "${3:-0}" --seed 7 --out "$NF_WORK/corpus.jsonl" --expect "$NF_WORK/expected.tsv" \
        2>/dev/null
}

# Publishes a JSONL file, one message per line, without keys. Sticky partitioning is off so the
# lines spread over all partitions: the mock broker keeps only ~5 MiB per partition, and a
# partition that overflows drops its oldest messages (like retention) before they are read.
nf_publish() {
    kcat -P -b "$BROKERS" -t "${2:-articles.raw}" -X message.max.bytes=2000000 \
        -X sticky.partitioning.linger.ms=0 -l "$1"
}

# nf_topic_dump TOPIC FORMAT: consume a topic from start to end (kcat -f format).
nf_topic_dump() { kcat -C -b "$BROKERS" -t "$1" -e -q -X message.max.bytes=2000000 -f "$2"; }

# nf_sigterm_within BOUND_MS WHAT: SIGTERM the worker, require exit 0 within BOUND_MS; sets
# NF_STOP_MS to how long it took.
nf_sigterm_within() {
    local t0 rc=0
    t0=$(date +%s%N)
    kill -TERM "$NF_WORKER_PID"
    wait "$NF_WORKER_PID" || rc=$?
    NF_STOP_MS=$(( ($(date +%s%N) - t0) / 1000000 ))
    [ "$rc" -eq 0 ] || nf_fail "exit code $rc after SIGTERM $2"
    [ "$NF_STOP_MS" -le "$1" ] || nf_fail "SIGTERM $2 took $NF_STOP_MS ms (bound $1 ms)"
}

# Starts `newsflow run` in the background; its pid in NF_WORKER_PID, log in $NF_WORK/worker.log.
nf_worker_start() {
    "$NF" run "$@" >>"$NF_WORK/worker.log" 2>&1 &
    NF_WORKER_PID=$!
    NF_PIDS+=($NF_WORKER_PID)
}

# Checks the delivery guarantees against the corpus: exactly one row per valid distinct id,
# rejects = the bad lines with their reasons (PostgreSQL and DLQ), every valid id downstream,
# stored offsets = partition end offsets, empty outbox.
nf_verify() {
    local exp=$NF_WORK/expected.tsv
    awk -F'\t' '$3=="ok"{print $2}' "$exp" | LC_ALL=C sort -u >"$NF_WORK/valid_ids"
    local valid bad_total stored
    valid=$(wc -l <"$NF_WORK/valid_ids")
    bad_total=$(awk -F'\t' '$3!="ok"' "$exp" | wc -l)
    stored=$(nf_sql "select count(*) from articles")
    nf_sql "select id from articles" | LC_ALL=C sort >"$NF_WORK/stored_ids"
    # The fault suite's table (tests/integration/faults/run.sh) reads these counts.
    if [ -n "${NF_RESULTS:-}" ]; then
        local missing extra dlq_n down_n rej_n
        missing=$(LC_ALL=C comm -23 "$NF_WORK/valid_ids" "$NF_WORK/stored_ids" | wc -l)
        extra=$(LC_ALL=C comm -13 "$NF_WORK/valid_ids" "$NF_WORK/stored_ids" | wc -l)
        rej_n=$(nf_sql "select count(*) from ingest_rejects")
        dlq_n=$(nf_topic_dump articles.dlq '%h\n' | grep -o 'source_partition=[0-9]*\|source_offset=[0-9]*' | paste -d' ' - - | sort -u | wc -l)
        down_n=$(nf_topic_dump articles.enriched '%k\n' | wc -l)
        printf '%s\t%s\t%s\t%s\t%s\t%s\t%s\t%s\t%s\n' "${NF_SCENARIO:-$(basename "$0" .sh)}" \
            "$(wc -l <"$NF_WORK/corpus.jsonl")" "$valid" "$stored" "$missing" "$extra" \
            "$bad_total/$rej_n/$dlq_n" "$((down_n - valid))" \
            "$(nf_sql "select count(*) from outbox")" >>"$NF_RESULTS"
    fi
    [ "$stored" -eq "$valid" ] || nf_fail "articles: $stored rows, expected $valid distinct valid ids"
    cmp -s "$NF_WORK/valid_ids" "$NF_WORK/stored_ids" || nf_fail "stored ids differ from the valid ids"

    awk -F'\t' '$3!="ok"{print $3}' "$exp" | LC_ALL=C sort | uniq -c | awk '{print $2, $1}' >"$NF_WORK/exp_reasons"
    nf_sql "select reason || ' ' || count(*) from ingest_rejects group by reason order by reason" \
        | LC_ALL=C sort >"$NF_WORK/db_reasons"
    diff "$NF_WORK/exp_reasons" "$NF_WORK/db_reasons" >&2 || nf_fail "ingest_rejects reasons differ"

    # DLQ: distinct source positions, reasons as expected, payloads = the bad lines, byte for byte.
    # (kcat prints headers as k=v,k=v; a detail may hold commas, the numeric fields cannot.)
    nf_topic_dump articles.dlq '%h\n' >"$NF_WORK/dlq_headers"
    local dlq_distinct
    awk '{ p=""; o=""; n=split($0, kv, ","); for (i=1;i<=n;i++) { if (kv[i] ~ /^source_partition=/) p=kv[i]; if (kv[i] ~ /^source_offset=/) o=kv[i] } print p, o }' \
        "$NF_WORK/dlq_headers" | sort -u >"$NF_WORK/dlq_positions"
    dlq_distinct=$(wc -l <"$NF_WORK/dlq_positions")
    [ "$dlq_distinct" -eq "$bad_total" ] || nf_fail "DLQ: $dlq_distinct distinct positions, expected $bad_total"
    grep -o 'reason=[a-z_0-9]*' "$NF_WORK/dlq_headers" | sed 's/reason=//' | LC_ALL=C sort | uniq -c | awk '{print $2, $1}' >"$NF_WORK/dlq_reasons"
    # duplicates in the DLQ (at-least-once) may inflate counts: compare only when no duplicate
    if [ "$(wc -l <"$NF_WORK/dlq_headers")" -eq "$bad_total" ]; then
        diff "$NF_WORK/exp_reasons" "$NF_WORK/dlq_reasons" >&2 || nf_fail "DLQ reasons differ"
    fi
    awk -F'\t' 'NR==FNR { if ($3 != "ok") bad[$1] = 1; next } (FNR in bad)' "$exp" "$NF_WORK/corpus.jsonl" \
        | LC_ALL=C sort -u >"$NF_WORK/bad_lines"
    nf_topic_dump articles.dlq '%s\n' | LC_ALL=C sort -u >"$NF_WORK/dlq_payloads"
    cmp -s "$NF_WORK/bad_lines" "$NF_WORK/dlq_payloads" || nf_fail "DLQ payloads are not the bad lines"

    # Downstream: every valid id at least once, nothing else.
    nf_topic_dump articles.enriched '%k\n' | LC_ALL=C sort -u >"$NF_WORK/published_ids"
    cmp -s "$NF_WORK/valid_ids" "$NF_WORK/published_ids" || nf_fail "downstream ids differ from the valid ids: $(LC_ALL=C comm -23 "$NF_WORK/valid_ids" "$NF_WORK/published_ids" | wc -l) missing, $(LC_ALL=C comm -13 "$NF_WORK/valid_ids" "$NF_WORK/published_ids" | wc -l) unexpected; outbox holds $(nf_sql "select count(*) from outbox") rows"

    # Offsets: the stored next offset of each partition is its end offset.
    nf_topic_dump articles.raw '%p\n' | sort -n | uniq -c | awk '{print $2, $1}' >"$NF_WORK/end_offsets"
    nf_sql "select partition || ' ' || next_offset from consumer_offsets where topic = 'articles.raw' order by partition" \
        >"$NF_WORK/stored_offsets"
    diff "$NF_WORK/end_offsets" "$NF_WORK/stored_offsets" >&2 || nf_fail "stored offsets differ from end offsets"

    local outbox
    outbox=$(nf_sql "select count(*) from outbox")
    [ "$outbox" -eq 0 ] || nf_fail "outbox holds $outbox rows"
    nf_log "verified: $stored articles, $bad_total rejects (DLQ + ingest_rejects), offsets, outbox empty"
}
