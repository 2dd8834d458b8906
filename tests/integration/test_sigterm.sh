#!/usr/bin/env bash
# SIGTERM during a run: exit 0 within the bound; a restart continues with nothing lost.
source "$(dirname "$0")/lib.sh"
nf_setup
nf_corpus 6000 0.05 0
nf_publish "$NF_WORK/corpus.jsonl"
BOUND_S=10
nf_worker_start --batch-max-messages 50 --shutdown-timeout-ms $((BOUND_S * 1000))
for _ in $(seq 600); do
    [ "$(nf_sql "select count(*) from articles")" -ge 1500 ] && break
    sleep 0.05
done
nf_sigterm_within $((BOUND_S * 1000)) "mid-run"
elapsed_ms=$NF_STOP_MS
grep -q '"worker stopped"' "$NF_WORK/worker.log" || nf_fail "no clean stop in the log"
nf_log "SIGTERM: exit 0 after ${elapsed_ms} ms with $(nf_sql "select count(*) from articles") articles stored"
"$NF" run --stop-at-end >>"$NF_WORK/worker.log" 2>&1 || nf_fail "restart exited with $?"
nf_verify
nf_log "PASS"
