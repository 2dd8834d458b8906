#!/usr/bin/env bash
# 10,000 fixture articles, 5% bad, through the real Kafka protocol and a real PostgreSQL:
# exactly one row per valid distinct id, the DLQ holds exactly the bad ones with their reasons,
# every valid id is published downstream, stored offsets equal the partitions' end offsets.
source "$(dirname "$0")/lib.sh"
nf_setup
nf_corpus 10000 0.05 2
nf_publish "$NF_WORK/corpus.jsonl"
start=$(date +%s.%N)
"$NF" run --stop-at-end >"$NF_WORK/worker.log" 2>&1 || nf_fail "worker exited with $?"
end=$(date +%s.%N)
nf_verify
awk -v a="$start" -v b="$end" 'BEGIN { printf "throughput: 10000 messages in %.2f s = %.0f msg/s, process start to exit (group join included)\n", b - a, 10000 / (b - a) }' >&2
# Steady state: from the partition assignment to the stop, from the worker's own log timestamps.
/usr/bin/python3 - "$NF_WORK/worker.log" <<'PY' >&2
import json, sys, datetime
ts = {}
for line in open(sys.argv[1], encoding="utf-8", errors="replace"):
    try:
        rec = json.loads(line)
    except ValueError:
        continue
    if rec.get("msg") in ("partitions assigned", "worker stopped"):
        ts.setdefault(rec["msg"], datetime.datetime.fromisoformat(rec["ts"].replace("Z", "+00:00")))
secs = (ts["worker stopped"] - ts["partitions assigned"]).total_seconds()
print("throughput: 10000 messages in %.2f s = %.0f msg/s, assignment to stop" % (secs, 10000 / secs))
PY

# A second run over the same topic changes nothing: offsets come from PostgreSQL.
before=$(nf_sql "select count(*), max(ingested_at) from articles")
"$NF" run --stop-at-end >>"$NF_WORK/worker.log" 2>&1 || nf_fail "second run exited with $?"
after=$(nf_sql "select count(*), max(ingested_at) from articles")
[ "$before" = "$after" ] || nf_fail "second run changed articles: $before -> $after"
nf_log "PASS"
