#!/usr/bin/env bash
# The pipeline run with the worker killed with SIGKILL twice in the middle and restarted:
# the same exact counts (no row lost, none doubled), and the outbox drained.
source "$(dirname "$0")/lib.sh"
nf_setup
nf_corpus 10000 0.05 0
nf_publish "$NF_WORK/corpus.jsonl"

# Small batches so that the kills land in the middle of the run.
for kill_at in 2000 5500; do
    nf_worker_start --batch-max-messages 50
    for _ in $(seq 600); do
        n=$(nf_sql "select count(*) from articles")
        [ "$n" -ge "$kill_at" ] && break
        kill -0 "$NF_WORKER_PID" 2>/dev/null || nf_fail "worker died before the kill"
        sleep 0.05
    done
    kill -9 "$NF_WORKER_PID"
    wait "$NF_WORKER_PID" 2>/dev/null || true
    nf_log "SIGKILL at $(nf_sql "select count(*) from articles") stored articles, outbox $(nf_sql "select count(*) from outbox")"
done
"$NF" run --stop-at-end --batch-max-messages 50 >>"$NF_WORK/worker.log" 2>&1 || nf_fail "final run exited with $?"
nf_verify
nf_log "PASS"
