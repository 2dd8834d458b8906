#!/usr/bin/env bash
# Slow PostgreSQL: an ACCESS EXCLUSIVE lock held on `articles` for 12 s mid-stream (twice the
# group's 6 s session timeout). The worker
# blocks in its batch INSERT, its memory stays bounded (batch_max_bytes + the 16 MiB prefetch
# queue + dedup cache), the group does not evict it (librdkafka heartbeats from its own thread,
# max.poll.interval.ms is 300 s), then it catches up with exact counts.
source "$(dirname "$0")/lib.sh"
nf_setup
nf_corpus 12000 0.05 0
split -n l/2 -d "$NF_WORK/corpus.jsonl" "$NF_WORK/chunk."
nf_publish "$NF_WORK/chunk.00"
HTTP_PORT=$(/usr/bin/python3 -c 'import socket; s=socket.socket(); s.bind(("127.0.0.1",0)); print(s.getsockname()[1])')
metric() { curl -s "http://127.0.0.1:$HTTP_PORT/metrics" | awk -v m="$1" '$1 == m {print $2}'; }
NEWSFLOW_HTTP_PORT=$HTTP_PORT NEWSFLOW_HTTP_BIND=127.0.0.1 nf_worker_start --batch-max-messages 50 --shutdown-timeout-ms 10000
nf_wait_stored 1000
rebalances=$(metric newsflow_rebalances_total)
psql "$PG_URL" -Xq -o /dev/null -c "BEGIN; LOCK TABLE articles IN ACCESS EXCLUSIVE MODE; SELECT pg_sleep(12); COMMIT;" &
locker=$!
sleep 0.5
nf_publish "$NF_WORK/chunk.01"   # arrives while the worker is blocked
peak=0
for _ in $(seq 10); do
    rss=$(awk '/^VmRSS/ {print $2}' "/proc/$NF_WORKER_PID/status")
    [ "$rss" -gt "$peak" ] && peak=$rss
    kill -0 "$NF_WORKER_PID" || nf_fail "worker died during the lock"
    sleep 1
done
wait "$locker"
[ "$peak" -lt 262144 ] || nf_fail "RSS reached $peak KiB during the lock (bound 256 MiB)"
[ "$(metric newsflow_rebalances_total)" = "$rebalances" ] || nf_fail "the group rebalanced during the lock"
nf_log "lock held 12 s: peak RSS ${peak} KiB, no rebalance"
nf_wait_stored 10000

# SIGTERM while the worker is blocked in a locked INSERT: the hard bound still holds (exit 0:
# what was not committed is read again by the next owner).
# (the idle worker blocks on its 5-second outbox count, a SELECT the lock holds up)
psql "$PG_URL" -Xq -o /dev/null -c "BEGIN; LOCK TABLE outbox IN ACCESS EXCLUSIVE MODE; SELECT pg_sleep(20); COMMIT;" &
locker=$!
sleep 6
nf_sigterm_within 11000 "while blocked on a lock"   # the 10 s bound + the alarm's rounding
nf_log "SIGTERM while blocked on a lock: exit 0 after $NF_STOP_MS ms"
# end the locker now rather than waiting out its sleep (the server would hold the lock on)
nf_sql "select pg_terminate_backend(pid) from pg_stat_activity where query like '%LOCK TABLE outbox%' and pid <> pg_backend_pid()" >/dev/null
wait "$locker" || true
"$NF" run --stop-at-end >>"$NF_WORK/worker.log" 2>&1 || nf_fail "final run exited with $?"
nf_verify
nf_log "PASS"
