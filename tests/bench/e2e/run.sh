#!/usr/bin/env bash
# End-to-end benchmark of newsflow against the pipe's own ceiling, side by side in one run.
#
#   tests/bench/e2e/run.sh [N]          N articles (default 100000); build first (build/)
#
# Environment: NF_BENCH_RUNS (repeats of a and b, medians reported; default 3; 0: neither, for
# a latency run at NF_BENCH_LATENCY_RATE), NF_BENCH_LATENCY_S (length of the paced latency run,
# default 20), NF_BENCH_LATENCY_RATE (articles/s of the latency run instead of half of (b')'s
# rate: runs of two builds compare at one rate), NF_BIN_DIR (default build),
# NF_BENCH_WORKER_ENV (extra NEWSFLOW_*=value settings for the worker, space separated),
# NF_BENCH_LAT_DUMP (a file: id and Kafka timestamp of every article of the latency run, its
# output records in FILE.out, the worker log in FILE.worker.log, PostgreSQL's in FILE.pg.log),
# NF_BENCH_PG_LOG_MS (PostgreSQL logs statements slower than this many ms, checkpoints and
# autovacuum runs, with millisecond timestamps), NF_BENCH_CORPUS (gen_bench_corpus.py --kind: `stories`, the default, a news stream of
# distinct events in published_at order; `templates`, the worst case of every article about the
# same two events at random dates).
#
# One embedded broker (nf-broker) and one throwaway PostgreSQL 15 (deploy/local/pg.sh), then:
#  (WAL warm-up: about one run's WAL written and dropped, so that runs recycle segments)
#  (a) ceiling: nf-bench ceiling reads every partition of the raw topic and COPYs the values into
#      a jsonb table (no enrichment, no group, one COPY per 5000 messages);
#  (b) `newsflow run --stop-at-end` from an empty group until every article is stored and
#      published (outbox empty);
#  (c) `newsflow enrich` on the same corpus file (CPU only), with its per-stage time split;
#  then a latency run: the worker keeps running while nf-bench publishes at half of (b)'s
#  rate; latency = PostgreSQL commit time of each row (track_commit_timestamp) minus its Kafka
#  timestamp. Peak RSS from /usr/bin/time -v. Exits non-zero if (b) lost or doubled anything.
set -euo pipefail
N=${1:-100000}
RUNS=${NF_BENCH_RUNS:-3}
if [ "$RUNS" -eq 0 ] && [ -z "${NF_BENCH_LATENCY_RATE:-}" ]; then
    echo "run.sh: NF_BENCH_RUNS=0 needs NF_BENCH_LATENCY_RATE (no (b) to take half of)" >&2
    exit 2
fi
LAT_S=${NF_BENCH_LATENCY_S:-20}
ROOT=$(cd "$(dirname "$0")/../../.." && pwd)
BIN=${NF_BIN_DIR:-$ROOT/build}
NF=$BIN/newsflow
for b in "$NF" "$BIN/nf-broker" "$BIN/tests/nf-bench"; do
    [ -x "$b" ] || { echo "run.sh: $b missing: cmake --build build first" >&2; exit 1; }
done
W=$(mktemp -d /tmp/nf-bench.XXXXXX)
chmod 755 "$W"
PIDS=()
cleanup() {
    local rc=$?
    for pid in "${PIDS[@]}"; do kill "$pid" 2>/dev/null || true; wait "$pid" 2>/dev/null || true; done
    bash "$ROOT/deploy/local/pg.sh" stop "$W/pg" >/dev/null 2>&1 || true
    if [ "$rc" -ne 0 ]; then
        for f in "$W"/*.log; do [ -f "$f" ] && { echo "--- tail of $f"; tail -n 20 "$f"; }; done >&2
    fi
    rm -rf "$W"
    exit $rc
}
trap cleanup EXIT
say() { printf '[%s] %s\n' "$(date +%T)" "$*" >&2; }
now_ns() { date +%s%N; }

# --- corpus
/usr/bin/python3 "$ROOT/tests/bench/e2e/gen_bench_corpus.py" --count "$N" --out "$W/corpus.jsonl" \
    --kind "${NF_BENCH_CORPUS:-stories}" \
    2>"$W/gen.log"
cat "$W/gen.log" >&2
VALID=$(sed -n 's/.* valid \([0-9]*\) .*/\1/p' "$W/gen.log")
BAD=$((N - VALID))
BYTES=$(stat -c %s "$W/corpus.jsonl")
# The mock broker keeps only ~5 MiB per partition: aim at <= 3 MiB each.
PARTS=$((BYTES / 3145728 + 4))

# --- broker and PostgreSQL
"$BIN/nf-broker" --bootstrap-file "$W/bootstrap" --topic "bench.raw:$PARTS" --topic bench.paced:16 --topic bench.paced.out:16 \
    --topic articles.enriched:32 --topic articles.dlq:4 >"$W/broker.log" 2>&1 &
BROKER_PID=$!
PIDS+=("$BROKER_PID")
for _ in $(seq 100); do [ -s "$W/bootstrap" ] && break; sleep 0.1; done
BROKERS=$(cat "$W/bootstrap")
PG_URL=$(bash "$ROOT/deploy/local/pg.sh" start "$W/pg")
sql() { psql "$PG_URL" -XAtq -v ON_ERROR_STOP=1 -c "$1"; }
# Commit timestamps of rows, for the latency run (needs a restart).
sql "ALTER SYSTEM SET track_commit_timestamp = on"
if [ -n "${NF_BENCH_PG_LOG_MS:-}" ]; then # slow statements, checkpoints, autovacuum: for the dump
    sql "ALTER SYSTEM SET log_min_duration_statement = ${NF_BENCH_PG_LOG_MS}"
    sql "ALTER SYSTEM SET log_autovacuum_min_duration = 0"
    sql "ALTER SYSTEM SET log_checkpoints = on"
    sql "ALTER SYSTEM SET log_line_prefix = '%m [%p] '"
fi
bash "$ROOT/deploy/local/pg.sh" pause "$W/pg"
bash "$ROOT/deploy/local/pg.sh" resume "$W/pg"
export NEWSFLOW_BROKERS=$BROKERS NEWSFLOW_PG_URL=$PG_URL NEWSFLOW_HTTP_PORT=0 NEWSFLOW_LOG_LEVEL=warn
# shellcheck disable=SC2086,SC2163 # NAME=VALUE pairs, split on purpose
[ -n "${NF_BENCH_WORKER_ENV:-}" ] && export ${NF_BENCH_WORKER_ENV}
"$NF" migrate >/dev/null
sql "CREATE TABLE bench_ceiling (doc jsonb NOT NULL)"
# A server fresh from initdb has no WAL segment files to recycle: its first runs create them,
# sparse (wal_init_zero is off), and the backends' first writes into them cost the kernel block
# allocation, which a server that has been running pays no more (it renames old segments for
# reuse). Without this warm-up a new server's first (b) at N = 100,000 cost 1.8-2.8 s more
# PostgreSQL system CPU than with it (README "Performance", session 20). So about one run's WAL
# (12 KB per article, at most 1 GB) is written once and dropped before anything is measured:
# every run of (a) and (b), the first included, then writes into recycled segments.
WARM_ROWS=$((N * 6))
[ "$WARM_ROWS" -lt 32768 ] && WARM_ROWS=32768
[ "$WARM_ROWS" -gt 500000 ] && WARM_ROWS=500000
sql "CREATE TABLE bench_wal_warmup AS SELECT repeat('x', 2000) AS v FROM generate_series(1, $WARM_ROWS)"
sql "DROP TABLE bench_wal_warmup"
sql "CHECKPOINT" && sql "CHECKPOINT"
# Before each measured phase: write back what earlier phases left dirty in the page cache. The
# server runs with fsync off, so its WAL and table writes (GBs per run of (b), 1 GB of WAL
# warm-up) stay dirty until the kernel's flusher takes them 30 s later (vm.dirty_expire_centisecs),
# in whatever phase runs then: measured in session 22, 1.6 GB written back in 0.7 s in the middle
# of the latency run, PostgreSQL's writes blocked on it (I/O pressure "full"), COMMITs of 70-130 ms
# and a 600 ms stall that alone set the p99. A phase is measured against its own writes only.
settle() { sync; }
reset_tables() {
    sql "TRUNCATE articles, mentions, entities, content_hashes, outbox, ingest_rejects, consumer_offsets, bench_ceiling, fingerprints, fingerprint_keys, stories"
}
say "broker $BROKERS ($PARTS partitions), postgres ready; publishing $N articles"
if [ "$RUNS" -gt 0 ]; then
    "$BIN/tests/nf-bench" publish "$BROKERS" bench.raw "$W/corpus.jsonl" >"$W/publish.log"
    cat "$W/publish.log" >&2
fi

# rss_kb FILE: peak RSS from a /usr/bin/time -v report; cpu_s FILE: user + system seconds.
rss_kb() { sed -n 's/.*Maximum resident set size (kbytes): //p' "$1"; }
cpu_s() { awk -F': ' '/User time|System time/ { s += $2 } END { printf "%.2f", s }' "$1"; }
# CPU seconds used so far by the broker, and by the whole PostgreSQL server: the postmaster,
# its live processes (checkpointer, walwriter, ...) and its children that have exited (the
# worker's backends, once it disconnects, and autovacuum's; a child's time is added to its
# parent's cutime/cstime when it is reaped). 0 when /proc cannot tell.
TICKS=$(getconf CLK_TCK)
proc_ticks() { # PID [with_children]: utime + stime (+ cutime + cstime)
    awk -v c="${2:-0}" '{ sub(/^.*\) /, ""); t = $12 + $13; if (c) t += $14 + $15; print t }' \
        "/proc/$1/stat" 2>/dev/null || echo 0
}
tree_cpu() { # PID [with_children]: seconds of PID (with its reaped children) and its live children
    local t child
    t=$(proc_ticks "$1" "${2:-0}")
    for child in $(pgrep -P "$1"); do t=$((t + $(proc_ticks "$child"))); done
    awk -v t="$t" -v hz="$TICKS" 'BEGIN { printf "%.3f", t / hz }'
}
broker_cpu() { tree_cpu "$BROKER_PID"; } # $! may be the subshell that runs nf-broker
pg_cpu() {
    local pm
    pm=$(head -n 1 "$W/pg/data/postmaster.pid" 2>/dev/null) || { echo 0; return; }
    tree_cpu "$pm" 1
}
# After the worker exits, its backends finish on their own: wait (at most 5 s) until none is left,
# so that their CPU is in the postmaster's cutime.
backends_gone() {
    for _ in $(seq 50); do
        [ "$(sql "select count(*) from pg_stat_activity where backend_type = 'client backend'
                  and pid <> pg_backend_pid()")" -eq 0 ] && return
        sleep 0.1
    done
}
: >"$W/cpu_b.tsv" # run, PostgreSQL CPU s, broker CPU s of (b)
RES=$W/results.tsv # kind run seconds rss_kb cpu_s
: >"$RES"
: >"$W/chains.tsv"
: >"$W/pg_split.tsv"
echo 0 >"$W/pg_bytes"

for run in $(seq "$RUNS"); do
    reset_tables
    settle
    say "run $run/$RUNS: (a) ceiling"
    /usr/bin/time -v -o "$W/time_a" "$BIN/tests/nf-bench" ceiling "$BROKERS" bench.raw "$PG_URL" \
        >"$W/ceiling.out" 2>"$W/ceiling.log"
    secs=$(sed -n 's/.*seconds=//p' "$W/ceiling.out")
    printf 'a\t%s\t%s\t%s\t%s\n' "$run" "$secs" "$(rss_kb "$W/time_a")" "$(cpu_s "$W/time_a")" >>"$RES"
    sed 's/^/    /' "$W/ceiling.out" >&2

    reset_tables
    settle
    say "run $run/$RUNS: (b) newsflow run --stop-at-end"
    # PostgreSQL logs the duration of every statement of (b) (a few per batch): its write cost.
    # Without their parameters: printing the batch's binary arrays as text was ~5% of the
    # backend's CPU (array_out in a perf profile), a cost of the measurement, not of newsflow.
    sql "ALTER SYSTEM SET log_parameter_max_length = 0"
    sql "ALTER SYSTEM SET log_min_duration_statement = 0" && sql "SELECT pg_reload_conf()" >/dev/null
    pg_log_from=$(stat -c %s "$W/pg/log")
    pg0=$(pg_cpu)
    br0=$(broker_cpu)
    t0=$(now_ns)
    NEWSFLOW_GROUP_ID=bench-$run NEWSFLOW_INPUT_TOPIC=bench.raw NEWSFLOW_LOG_LEVEL=info \
        /usr/bin/time -v -o "$W/time_b" "$NF" run --stop-at-end >"$W/worker_b.log" 2>&1
    grep '"pipeline thread time split' "$W/worker_b.log" | sed 's/^/    /' >&2 || true
    cat "$W/worker_b.log" >>"$W/worker.log"
    secs=$(awk -v a="$t0" -v b="$(now_ns)" 'BEGIN { printf "%.3f", (b - a) / 1e9 }')
    backends_gone
    printf '%s\t%s\t%s\n' "$run" "$(awk -v a="$pg0" -v b="$(pg_cpu)" 'BEGIN { printf "%.3f", b - a }')" \
        "$(awk -v a="$br0" -v b="$(broker_cpu)" 'BEGIN { printf "%.3f", b - a }')" >>"$W/cpu_b.tsv"
    printf 'b\t%s\t%s\t%s\t%s\n' "$run" "$secs" "$(rss_kb "$W/time_b")" "$(cpu_s "$W/time_b")" >>"$RES"
    # From the worker's log: the same run without its start-up and consumer-group join (the
    # ceiling has neither), i.e. from the first assignment to the exit; and the two chains of
    # batches (the pipeline thread's time deciding and its waits for the writer, which make most
    # of b', and the writer thread's busy time).
    read -r join deciding waiting writing < <(/usr/bin/python3 -c '
import datetime, json, sys
ts, last = {}, {}
for line in open(sys.argv[1]):
    try:
        d = json.loads(line)
    except ValueError:
        continue
    if not isinstance(d, dict):
        continue
    ts.setdefault(d.get("msg"), d.get("ts"))
    last.update(d)
t = lambda k: datetime.datetime.fromisoformat(ts[k].replace("Z", "+00:00")).timestamp()
print("%.3f %s %s %s" % (t("partitions assigned") - t("worker started"),
                         last.get("dedup_lookup", "0"), last.get("store_commit", "0"),
                         last.get("writes", "0")))' "$W/worker_b.log")
    printf '%s\t%s\t%s\n' "$deciding" "$waiting" "$writing" >>"$W/chains.tsv"
    printf 'j\t%s\t%s\t%s\t%s\n' "$run" "$(awk -v s="$secs" -v j="$join" 'BEGIN { printf "%.3f", s - j }')" \
        "$(rss_kb "$W/time_b")" "$(cpu_s "$W/time_b")" >>"$RES"
    sql "ALTER SYSTEM RESET log_parameter_max_length"
    sql "ALTER SYSTEM RESET log_min_duration_statement" && sql "SELECT pg_reload_conf()" >/dev/null
    tail -c +"$((pg_log_from + 1))" "$W/pg/log" | /usr/bin/python3 -c '
import collections, re, sys
total = collections.Counter()
for line in sys.stdin:
    m = re.search(r"duration: ([0-9.]+) ms +(statement|parse [^:]*|bind [^:]*|execute [^:]*): (.*)", line)
    if m:
        sql = m.group(3)
        kind = ("write: copy staging" if sql.startswith("COPY") else
                "write: articles+outbox" if "INSERT INTO articles" in sql else
                "write: rejects+outbox" if "INSERT INTO ingest_rejects" in sql else
                "write: offsets" if "INSERT INTO consumer_offsets" in sql else
                "write: recheck decisions" if "FOR SHARE" in sql else
                "decide: lock moving" if "FOR NO KEY UPDATE" in sql else
                "decide: rewrite moved" if "FROM fingerprints f WHERE a.id = ANY" in sql else
                "dedup locks" if "advisory" in sql else
                "dedup lookup" if "content_hashes" in sql else
                "decide: candidate ids" if "FROM fingerprint_keys" in sql else
                "decide: candidate fingerprints" if "SELECT article_id, fp FROM" in sql else
                "decide: candidate state" if "s.first_t, s.version" in sql else
                "decide: stored" if "f.article_id = ANY" in sql else
                "decide: story versions" if "v.seen" in sql else
                "decide: insert fingerprints" if "INSERT INTO fingerprints" in sql else
                "decide: insert keys" if "INSERT INTO fingerprint_keys" in sql else
                "decide: insert stories" if "INSERT INTO stories" in sql else
                "decide: corrections" if "UPDATE fingerprints" in sql or "merged_into" in sql else
                "decide: story counts" if "UPDATE stories" in sql else
                "outbox delete" if sql.startswith("DELETE FROM outbox") else
                "commit" if sql.startswith("COMMIT") else
                "begin" if sql.startswith("BEGIN") else "other")
        total[kind] += float(m.group(1))
for kind, ms in total.items():
    print("%s\t%s\t%.1f" % (sys.argv[1], kind, ms))' "$run" >>"$W/pg_split.tsv"
    sql "select pg_total_relation_size('articles') + pg_total_relation_size('content_hashes')
            + pg_total_relation_size('mentions') + pg_total_relation_size('entities')" >"$W/pg_bytes"
    stored=$(sql "select count(*) from articles")
    rejects=$(sql "select count(*) from ingest_rejects")
    outbox=$(sql "select count(*) from outbox")
    say "    stored $stored (expected $VALID), rejects $rejects (expected $BAD), outbox $outbox, $secs s"
    if [ "$stored" -ne "$VALID" ] || [ "$rejects" -ne "$BAD" ] || [ "$outbox" -ne 0 ]; then
        echo "run.sh: FAIL: newsflow did not store/publish exactly the corpus" >&2
        exit 1
    fi
done

say "(c) newsflow enrich"
t0=$(now_ns)
/usr/bin/time -v -o "$W/time_c" "$NF" enrich --input "$W/corpus.jsonl" >/dev/null 2>"$W/enrich.log"
secs=$(awk -v a="$t0" -v b="$(now_ns)" 'BEGIN { printf "%.3f", (b - a) / 1e9 }')
printf 'c\t1\t%s\t%s\t%s\n' "$secs" "$(rss_kb "$W/time_c")" "$(cpu_s "$W/time_c")" >>"$RES"
grep '"enrich summary"' "$W/enrich.log" >"$W/enrich.summary"

# --- latency at half of (b)'s median rate, or at NF_BENCH_LATENCY_RATE
RATE=${NF_BENCH_LATENCY_RATE:-$(awk -F'\t' -v n="$N" '$1 == "j" { print n / $3 }' "$RES" | sort -g |
    awk '{ v[NR] = $1 } END { m = (NR % 2) ? v[(NR + 1) / 2] : (v[NR / 2] + v[NR / 2 + 1]) / 2; printf "%d", m / 2 }')}
LAT_N=$((RATE * LAT_S))
[ "$LAT_N" -le "$N" ] || LAT_N=$N
[ "$LAT_N" -ge 1 ] || LAT_N=1
head -n 50 "$W/corpus.jsonl" >"$W/warmup.jsonl"
sed -n "51,$((50 + LAT_N))p" "$W/corpus.jsonl" >"$W/paced.jsonl"
LAT_N=$(wc -l <"$W/paced.jsonl")
reset_tables
settle
say "latency: $LAT_N articles at $RATE/s into a running worker"
NEWSFLOW_GROUP_ID=bench-latency NEWSFLOW_INPUT_TOPIC=bench.paced NEWSFLOW_OUTPUT_TOPIC=bench.paced.out \
    /usr/bin/time -v -o "$W/time_l" \
    "$NF" run >>"$W/worker.log" 2>&1 &
LPID=$!
PIDS+=("$LPID")
# Warm-up: 50 articles, stored before the paced run starts, so the group join and the first
# fetches are not counted as latency.
processed() { sql "select coalesce(sum(next_offset), 0) from consumer_offsets where group_id = 'bench-latency'"; }
"$BIN/tests/nf-bench" publish "$BROKERS" bench.paced "$W/warmup.jsonl" >"$W/paced.log"
for _ in $(seq 600); do [ "$(processed)" -ge 50 ] && break; sleep 0.1; done
sleep 1
PACED_FROM=$(date +%s.%N)
"$BIN/tests/nf-bench" publish "$BROKERS" bench.paced "$W/paced.jsonl" "$RATE" >>"$W/paced.log"
for _ in $(seq 600); do [ "$(processed)" -ge $((LAT_N + 50)) ] && break; sleep 0.1; done
# SIGTERM the worker itself (its parent, /usr/bin/time, then writes its report).
kill -TERM "$(pgrep -P "$LPID")" 2>/dev/null || kill -TERM "$LPID"
wait "$LPID" || true
# Latency of an article = the Kafka timestamp of its first record on the output topic (produced
# right after the commit that stored it) minus the Kafka timestamp of its input message. Not the
# commit timestamp of its row: a row revised later (a late article moved its story) carries the
# commit time of its last revision.
kcat -C -b "$BROKERS" -t bench.paced.out -o beginning -e -q -f '%k\t%T\n' >"$W/paced_out.tsv"
psql "$PG_URL" -XAtq -v ON_ERROR_STOP=1 >"$W/latency.tsv" <<SQL
CREATE TEMP TABLE out_ts (id text, ts_ms bigint);
\copy out_ts FROM '$W/paced_out.tsv'
SELECT round((percentile_cont(0.5) within group (order by l) * 1000)::numeric, 1),
       round((percentile_cont(0.99) within group (order by l) * 1000)::numeric, 1),
       round((max(l) * 1000)::numeric, 1), count(*), sum(revised)
FROM (SELECT extract(epoch from to_timestamp(min(o.ts_ms) / 1000.0) - a.kafka_timestamp) AS l,
             (max(coalesce((a.enriched->>'revision')::int, 0)) > 0)::int AS revised
      FROM articles a JOIN out_ts o ON o.id = a.id
      WHERE a.kafka_topic = 'bench.paced' AND a.kafka_timestamp >= to_timestamp($PACED_FROM)
      GROUP BY a.id, a.kafka_timestamp) t;
SQL
sed -i 's/|/\t/g' "$W/latency.tsv"
if [ -n "${NF_BENCH_LAT_DUMP:-}" ]; then # every row: id, Kafka timestamp; output records; worker log
    sql "select id, extract(epoch from kafka_timestamp) from articles
         where kafka_topic = 'bench.paced' order by 2" | tr '|' '\t' >"$NF_BENCH_LAT_DUMP"
    cp "$W/paced_out.tsv" "$NF_BENCH_LAT_DUMP.out"
    cp "$W/worker.log" "$NF_BENCH_LAT_DUMP.worker.log"
    cp "$W/pg/log" "$NF_BENCH_LAT_DUMP.pg.log"
fi
LAT_RSS=$(rss_kb "$W/time_l")

# --- report
/usr/bin/python3 - "$RES" "$W/enrich.summary" "$W/latency.tsv" "$N" "$BYTES" "$PARTS" "$RATE" \
    "$LAT_RSS" "$(nproc)" "$W/pg_split.tsv" "$(cat "$W/pg_bytes")" "$VALID" "$W/chains.tsv" \
    "$(sed -n 's/^model name[[:space:]]*: //p' /proc/cpuinfo | head -n 1)" \
    "${NF_BENCH_LATENCY_RATE:-}" "$W/cpu_b.tsv" <<'EOF'
import json, statistics, sys
res, summary, latency, n, nbytes, parts, rate, lat_rss, cores, pg_split, pg_bytes, valid, \
    chains, cpu_model, fixed_rate, cpu_b = sys.argv[1:]
n, nbytes = int(n), int(nbytes)
rows = [l.rstrip("\n").split("\t") for l in open(res) if l.strip()]
def med(kind, col):
    return statistics.median(float(r[col]) for r in rows if r[0] == kind)
runs = sum(1 for r in rows if r[0] == "a")
mb = nbytes / 1e6
print("newsflow end-to-end benchmark: %d articles, %.1f MB (%.0f B/article), raw topic of %s "
      "partitions, %s cores (%s), %s" % (n, mb, nbytes / n, parts, cores,
                                         cpu_model or "CPU model unknown",
                                         "median of %d run(s)" % runs if runs else
                                         "(a) and (b) not run"))
print("%-34s %11s %8s %8s %8s %10s" % ("", "articles/s", "MB/s", "wall s", "CPU s", "peak RSS"))
labels = {"a": "(a) ceiling: Kafka -> COPY jsonb", "b": "(b) newsflow run (exactly-once)",
          "j": "(b') the same, after the group join", "c": "(c) newsflow enrich (1 thread)"}
for k in "abjc" if runs else "c":
    s = med(k, 2)
    print("%-34s %11.0f %8.1f %8.2f %8.2f %7.0f MiB" % (labels[k], n / s, mb / s, s, med(k, 4),
                                                       med(k, 3) / 1024))
if runs:
    ratio = med("a", 2) / med("b", 2)
    print("ratio b/a = %.2f (goal >= 0.50); per run: %s" % (ratio, ", ".join(
        "%.2f" % (float(a[2]) / float(b[2]))
        for a, b in zip([r for r in rows if r[0] == "a"], [r for r in rows if r[0] == "b"]))))
    print("ratio b'/a = %.2f (the run without its start-up and group join)" % (
        med("a", 2) / med("j", 2)))
cpu_c = med("c", 4)
print("enrich: %.1f MB/s per CPU-second (goal >= 20), %.1f us CPU per article" % (
    mb / cpu_c, cpu_c / n * 1e6))
if runs:
    print("newsflow run: %.1f us CPU per article (worker process only; PostgreSQL not counted)" % (
        med("b", 4) / n * 1e6))
    split = {}
    for line in open(pg_split):
        r, kind, ms = line.rstrip("\n").split("\t")
        split.setdefault(kind, []).append(float(ms))
    pg_us = {k: statistics.median(v) * 1000 / n for k, v in split.items()}
    print("PostgreSQL statement time in (b), per article: total %.0f us = %s" % (
        sum(pg_us.values()), ", ".join("%s %.0f" % kv for kv in sorted(pg_us.items(),
                                                                       key=lambda kv: -kv[1]))))
    # Decisions run one after another on the pipeline thread's connection; writes on the writer's,
    # overlapping the next decision (COMMIT, BEGIN and the rest are not told apart).
    print("  of which decisions (serial) %.0f us, writes (overlapped with the next decision) "
          "%.0f us" % (
        sum(v for k, v in pg_us.items() if k.startswith("decide:") or k == "dedup locks"),
        sum(v for k, v in pg_us.items() if k.startswith("write:"))))
    ch = [l.split() for l in open(chains) if l.strip()]
    if ch:
        deciding, waiting, writing = (statistics.median(float(c[i]) for c in ch) for i in range(3))
        print("chains of (b): the pipeline thread decided for %.2f s and waited %.2f s for the "
              "writer; the writer thread wrote for %.2f s (its lock waits included)" % (
                  deciding, waiting, writing))
    # The CPU bound of (b): every process it keeps busy, per article, against the cores. With the
    # cores never idle and no group join, (b) could not go faster than this.
    cb = [l.split() for l in open(cpu_b) if l.strip()]
    pg_cpu_s = statistics.median(float(c[1]) for c in cb) if cb else 0
    if pg_cpu_s > 0:
        w_us = med("b", 4) / n * 1e6
        pg_cpu_us = pg_cpu_s / n * 1e6
        br_us = statistics.median(float(c[2]) for c in cb) / n * 1e6
        bound = int(cores) / ((w_us + pg_cpu_us + br_us) / 1e6)
        print("CPU of (b) per article: worker %.0f us + PostgreSQL %.0f us (all its processes) + "
              "broker %.0f us = %.0f us; on %s cores never idle that is at most %.0f articles/s "
              "(b/a <= %.2f)" % (w_us, pg_cpu_us, br_us, w_us + pg_cpu_us + br_us, cores, bound,
                                 bound / (n / med("a", 2))))
    print("PostgreSQL storage after (b): %.1f KB per stored article (articles, content_hashes, "
          "mentions, entities with indexes and TOAST)" % (int(pg_bytes) / int(valid) / 1024))
st = json.loads(open(summary).read())["stage_seconds"]
tot = sum(st.values()) or 1
print("stage split of (c): " + ", ".join("%s %.0f%% (%.1f us)" % (k, 100 * v / tot, v / n * 1e6)
                                         for k, v in st.items()))
lat = open(latency).read().split()
if len(lat) == 5 and lat[3] != "0":
    print("latency Kafka timestamp -> PostgreSQL commit, read at the first downstream record "
          "(commit + produce) at %s articles/s (%s): p50 %s ms, p99 %s ms, max %s ms over "
          "%s articles, %s of them revised later (goal p99 <= 250 ms); worker peak RSS %.0f MiB"
          % (rate, "NF_BENCH_LATENCY_RATE" if fixed_rate else "half of b'", lat[0], lat[1],
             lat[2], lat[3], lat[4], int(lat_rss or 0) / 1024))
else:
    print("latency: no rows measured")
EOF
