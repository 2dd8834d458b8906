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
awk -v a="$start" -v b="$end" 'BEGIN { printf "throughput: 10000 messages in %.2f s = %.0f articles/s (group join included)\n", b - a, 10000 / (b - a) }' >&2

# A second run over the same topic changes nothing: offsets come from PostgreSQL.
before=$(nf_sql "select count(*), max(ingested_at) from articles")
"$NF" run --stop-at-end >>"$NF_WORK/worker.log" 2>&1 || nf_fail "second run exited with $?"
after=$(nf_sql "select count(*), max(ingested_at) from articles")
[ "$before" = "$after" ] || nf_fail "second run changed articles: $before -> $after"
nf_log "PASS"
