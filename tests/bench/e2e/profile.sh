#!/usr/bin/env bash
# Where the worker's CPU goes in (b), by thread and by kind: one `newsflow run --stop-at-end` of
# the benchmark's corpus under `perf record --call-graph dwarf`, then the samples counted per
# thread (pipeline, writer, enrichment pool, librdkafka and the rest) and per kind (page
# faults, munmap, malloc_trim, qsort, printf, other CPU) and the pipeline thread's top
# functions. The pipeline thread's loop (decide batch after batch) is the chain that bounds (b),
# so its samples are the ones to bring down.
#
#   tests/bench/e2e/profile.sh [N]     N articles (default 30000); needs perf (linux-perf)
#
# NF_BIN_DIR: the build to profile (default build/; build it with -g for source lines).
# NF_PROFILE_HZ: sampling frequency (default 999). Prints the sample counts; the perf data
# stays in the printed directory for `perf report -i`.
#
# NF_PROFILE_SYSTEM=1: the whole machine instead (`perf record -a`, no call graphs): the share of
# the busy samples taken by each PostgreSQL backend, the worker's threads by role (named
# nf-enrich-N and nf-writer; the pipeline thread is the main one), librdkafka's threads and the
# embedded broker, and how idle the cores were; then, from /proc/TID/schedstat read until the
# worker exits, how long each busy thread ran and how long it waited for a CPU (README
# "Performance", session 13).
set -euo pipefail
N=${1:-30000}
HZ=${NF_PROFILE_HZ:-999}
ROOT=$(cd "$(dirname "$0")/../../.." && pwd)
BIN=${NF_BIN_DIR:-$ROOT/build}
for b in "$BIN/newsflow" "$BIN/nf-broker" "$BIN/tests/nf-bench"; do
    [ -x "$b" ] || { echo "profile.sh: $b missing: cmake --build build first" >&2; exit 1; }
done
command -v perf >/dev/null || { echo "profile.sh: perf missing (apt-get install linux-perf)" >&2; exit 1; }
W=$(mktemp -d /tmp/nf-profile.XXXXXX)
chmod 755 "$W"
BROKER=
cleanup() {
    local rc=$?
    [ -n "$BROKER" ] && { kill "$BROKER" 2>/dev/null || true; wait "$BROKER" 2>/dev/null || true; }
    bash "$ROOT/deploy/local/pg.sh" stop "$W/pg" >/dev/null 2>&1 || true
    rm -rf "$W/pg" "$W/corpus.jsonl"
    exit $rc
}
trap cleanup EXIT

/usr/bin/python3 "$ROOT/tests/bench/e2e/gen_bench_corpus.py" --count "$N" --out "$W/corpus.jsonl" \
    2>"$W/gen.log"
PARTS=$(($(stat -c %s "$W/corpus.jsonl") / 3145728 + 4)) # the mock keeps ~5 MiB per partition
"$BIN/nf-broker" --bootstrap-file "$W/bootstrap" --topic "bench.raw:$PARTS" \
    --topic articles.enriched:32 --topic articles.dlq:4 >"$W/broker.log" 2>&1 &
BROKER=$!
for _ in $(seq 100); do [ -s "$W/bootstrap" ] && break; sleep 0.1; done
PG_URL=$(bash "$ROOT/deploy/local/pg.sh" start "$W/pg")
NEWSFLOW_BROKERS=$(cat "$W/bootstrap")
export NEWSFLOW_BROKERS NEWSFLOW_PG_URL=$PG_URL NEWSFLOW_HTTP_PORT=0
"$BIN/newsflow" migrate >/dev/null 2>&1
"$BIN/tests/nf-bench" publish "$NEWSFLOW_BROKERS" bench.raw "$W/corpus.jsonl" >/dev/null
if [ -n "${NF_PROFILE_SYSTEM:-}" ]; then
    # schedstat of every thread of the worker and of the PostgreSQL processes, read once a second
    # with builtins (so that the sampler itself hardly shows in the profile) and appended: a
    # thread's last reading counts, also for threads that ended before the worker (the pool's at
    # shutdown)
    : >"$W/sched.txt"
    (
        while [ ! -s "$W/worker.pid" ]; do sleep 0.05; done
        read -r WP <"$W/worker.pid"
        while kill -0 "$WP" 2>/dev/null; do
            pg=$(pgrep -x postgres || true)
            {
                for t in /proc/"$WP"/task/*; do
                    read -r c <"$t/comm" && read -r ss <"$t/schedstat" && echo "$c ${t##*/} $ss"
                done 2>/dev/null
                for pp in $pg; do
                    read -r ss <"/proc/$pp/schedstat" && echo "postgres $pp $ss"
                done 2>/dev/null
            } >>"$W/sched.txt"
            sleep 1
        done
    ) &
    MON=$!
    # shellcheck disable=SC2016 # $$ and $1 are the inner shell's
    perf record -q -a -F "$HZ" -o "$W/perf.data" -- env NEWSFLOW_GROUP_ID=profile \
        NEWSFLOW_INPUT_TOPIC=bench.raw sh -c 'echo $$ >"$1"; exec "$2" run --stop-at-end' sh \
        "$W/worker.pid" "$BIN/newsflow" >"$W/worker.log" 2>&1
    wait "$MON" || true
    perf script -i "$W/perf.data" -F comm,pid,tid 2>/dev/null >"$W/perf.txt"
    /usr/bin/python3 - "$W/perf.txt" "$(cat "$W/worker.pid")" "$BROKER" "$W/sched.txt" <<'EOF'
import collections, re, sys
path, worker, broker, sched = sys.argv[1:]
def role(pid, tid, comm):
    if pid == "0":
        return "idle"
    if pid == worker:
        if comm.startswith("nf-enrich"):
            return "worker: enrichment pool"
        if comm == "nf-writer":
            return "worker: writer thread"
        if comm.startswith("rdk:"):
            return "worker: librdkafka"
        return "worker: pipeline thread" if tid == worker else "worker: other"
    if pid == broker:
        return "embedded broker"
    if comm == "postgres":
        return "postgres backend " + pid
    return "other processes (perf, the sampler, the kernel)"
by = collections.Counter()
for line in open(path, errors="replace"):
    m = re.match(r"\s*(.*?)\s+(\d+)/(\d+)\s*$", line)
    if m:
        by[role(m.group(2), m.group(3), m.group(1).strip())] += 1
total = sum(by.values()) or 1
busy = (total - by["idle"]) or 1
backends = sorted((k for k in by if k.startswith("postgres ")), key=lambda k: -by[k])
for k in backends[2:]:  # the two busy backends by pid, the other server processes together
    by["postgres: other processes"] += by.pop(k)
print("system samples: %d, the cores %.0f%% idle; of the busy samples:" % (
    total, 100 * by["idle"] / total))
for k, v in sorted(by.items(), key=lambda kv: -kv[1]):
    if k != "idle":
        print("  %-48s %5.1f%%" % (k, 100 * v / busy))
print("running and waiting for a CPU (schedstat, seconds; threads that ran over 0.2 s):")
last = {}  # (comm, tid) -> (ran, waited): the counters only grow, the last reading is the total
for line in open(sched):
    f = line.split()
    if len(f) >= 5:
        last[f[0], f[1]] = (int(f[2]) / 1e9, int(f[3]) / 1e9)
rows = [(ran, waited, comm, tid) for (comm, tid), (ran, waited) in last.items() if ran > 0.2]
for ran, waited, comm, tid in sorted(rows, reverse=True):
    print("  %-12s %7s  ran %6.2f  waited %6.2f" % (comm, tid, ran, waited))
EOF
    echo "perf data: $W/perf.data (worker log: $W/worker.log)"
    exit 0
fi
NEWSFLOW_GROUP_ID=profile NEWSFLOW_INPUT_TOPIC=bench.raw \
    perf record -q -F "$HZ" --call-graph dwarf,16384 -o "$W/perf.data" -- \
    "$BIN/newsflow" run --stop-at-end >"$W/worker.log" 2>&1
perf script -i "$W/perf.data" -F comm,tid,ip,sym 2>/dev/null >"$W/perf.txt"
/usr/bin/python3 - "$W/perf.txt" <<'EOF'
import collections, sys
def samples(path):
    cur = None
    for line in open(path, errors="replace"):
        if line.strip() and not line[0].isspace():
            if cur:
                yield cur
            cur = []
        elif line.startswith("\t") and cur is not None:
            parts = line.split()
            cur.append(parts[1] if len(parts) > 1 else "?")
    if cur:
        yield cur
THREADS = [("pipeline", "nf_pipeline_run"), ("writer", "writer_main"), ("pool", "pool_main")]
def kind(syms):
    if "asm_exc_page_fault" in syms: return "pagefault"
    if any("munmap" in s for s in syms): return "munmap"
    if any("malloc_trim" in s for s in syms): return "trim"
    if any("qsort" in s or "msort" in s for s in syms): return "qsort"
    if any("printf" in s for s in syms): return "printf"
    return "cpu"
by = collections.Counter(); top = collections.Counter(); total = 0
for syms in samples(sys.argv[1]):
    total += 1
    th = next((t for t, f in THREADS if f in syms), "other")
    by[th, kind(syms)] += 1
    if th == "pipeline":
        top[syms[0]] += 1
print("worker samples: %d" % total)
for th in ["pipeline", "writer", "pool", "other"]:
    n = sum(v for (t, _), v in by.items() if t == th)
    print("  %-8s %6d  %s" % (th, n, ", ".join("%s %d" % (k, v) for (t, k), v in sorted(by.items()) if t == th)))
print("pipeline thread, top functions: " + ", ".join("%s %d" % kv for kv in top.most_common(12)))
EOF
echo "perf data: $W/perf.data (worker log: $W/worker.log)"
