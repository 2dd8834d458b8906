#!/usr/bin/env bash
# The pipeline run with the worker killed with SIGKILL in the middle and restarted, again and
# again: the same exact counts (no row lost, none doubled), and the outbox drained.
# CI: NF_KILLS=2 kills at fixed points of 10,000 articles. The fault suite's full form:
# NF_KILLS=50 NF_ARTICLES=20000 NF_RANDOM_KILLS=1: each kill comes after a random amount of
# progress (or a random 0.5-12 s when the worker is still joining the group), so kills land in
# group joins, batches, commits and outbox replays alike.
source "$(dirname "$0")/lib.sh"
KILLS=${NF_KILLS:-2}
ARTICLES=${NF_ARTICLES:-10000}
nf_setup
nf_corpus "$ARTICLES" 0.05 0
nf_publish "$NF_WORK/corpus.jsonl"
RANDOM=7
# Small batches so that the kills land in the middle of the run.
for k in $(seq "$KILLS"); do
    nf_worker_start --batch-max-messages 50
    if [ -n "${NF_RANDOM_KILLS:-}" ]; then
        target=$(( $(nf_sql "select count(*) from articles") + 20 + RANDOM % (2 * ARTICLES / KILLS) ))
        deadline=$(( $(date +%s%N) / 1000000 + 500 + RANDOM % 11500 ))
        while [ "$(nf_sql "select count(*) from articles")" -lt "$target" ] &&
            [ $(( $(date +%s%N) / 1000000 )) -lt "$deadline" ]; do
            sleep 0.05
        done
    else
        kill_at=$((ARTICLES * k / (KILLS + 1)))
        for _ in $(seq 600); do
            n=$(nf_sql "select count(*) from articles")
            [ "$n" -ge "$kill_at" ] && break
            kill -0 "$NF_WORKER_PID" 2>/dev/null || nf_fail "worker died before the kill"
            sleep 0.05
        done
    fi
    kill -0 "$NF_WORKER_PID" 2>/dev/null || nf_fail "worker exited on its own before kill $k"
    kill -9 "$NF_WORKER_PID"
    wait "$NF_WORKER_PID" 2>/dev/null || true
    nf_log "SIGKILL $k at $(nf_sql "select count(*) from articles") stored articles, outbox $(nf_sql "select count(*) from outbox")"
done
"$NF" run --stop-at-end --batch-max-messages 50 >>"$NF_WORK/worker.log" 2>&1 || nf_fail "final run exited with $?"
nf_verify
nf_log "PASS"
