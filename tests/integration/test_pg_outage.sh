#!/usr/bin/env bash
# PostgreSQL faults mid-stream: (1) the server stopped for 10 s: the worker keeps its group
# membership (no rebalance), reports not ready and in backoff, then resumes; (2) its connection
# killed with pg_terminate_backend several times; (3) SIGTERM while PostgreSQL is down: exit 0
# within the bound. Then every count is exact: nothing lost, nothing doubled.
source "$(dirname "$0")/lib.sh"
nf_setup
nf_corpus 8000 0.05 0
nf_publish "$NF_WORK/corpus.jsonl"
HTTP_PORT=$(/usr/bin/python3 -c 'import socket; s=socket.socket(); s.bind(("127.0.0.1",0)); print(s.getsockname()[1])')
metric() { curl -s "http://127.0.0.1:$HTTP_PORT/metrics" | awk -v m="$1" '$1 == m {print $2}'; }
stored() { nf_sql "select count(*) from articles" 2>/dev/null || echo 0; }
wait_stored() { for _ in $(seq 600); do [ "$(stored)" -ge "$1" ] && return 0; sleep 0.05; done; nf_fail "stuck below $1 rows"; }

NEWSFLOW_HTTP_PORT=$HTTP_PORT NEWSFLOW_HTTP_BIND=127.0.0.1 nf_worker_start --batch-max-messages 50 \
    --backoff-max-ms 2000 --shutdown-timeout-ms 10000
wait_stored 1500
rebalances=$(metric newsflow_rebalances_total)
bash "$NF_SOURCE_DIR/deploy/local/pg.sh" pause "$NF_WORK/pg"
t0=$(date +%s)
sleep 3
ready=$(curl -s -o /dev/null -w '%{http_code}' "http://127.0.0.1:$HTTP_PORT/readyz")
[ "$ready" = 503 ] || nf_fail "/readyz is $ready while PostgreSQL is down"
sleep 7
kill -0 "$NF_WORKER_PID" || nf_fail "worker died while PostgreSQL was down"
[ "$(metric newsflow_backoff_active)" = 1 ] || nf_fail "not in backoff while PostgreSQL is down"
retries=$(metric newsflow_postgres_retries_total)
[ "$retries" -ge 3 ] || nf_fail "only $retries retries in 10 s"
[ "$(metric newsflow_rebalances_total)" = "$rebalances" ] || nf_fail "the group rebalanced during the outage"
bash "$NF_SOURCE_DIR/deploy/local/pg.sh" resume "$NF_WORK/pg"
nf_log "PostgreSQL down $(( $(date +%s) - t0 )) s: $retries retries, no rebalance, /readyz 503; resumed"
wait_stored $(( $(stored) + 500 ))
[ "$(curl -s -o /dev/null -w '%{http_code}' "http://127.0.0.1:$HTTP_PORT/readyz")" = 200 ] || sleep 6
[ "$(curl -s -o /dev/null -w '%{http_code}' "http://127.0.0.1:$HTTP_PORT/readyz")" = 200 ] || nf_fail "not ready after the outage"

# (2) connections killed under the worker's feet.
for i in 1 2 3; do
    n=$(stored)
    nf_sql "select count(pg_terminate_backend(pid)) from pg_stat_activity where application_name = 'newsflow'" >/dev/null
    wait_stored $((n + 200))
done
nf_log "connection killed 3 times, the worker reconnected each time"

# (3) SIGTERM while PostgreSQL is down: bounded, clean exit.
bash "$NF_SOURCE_DIR/deploy/local/pg.sh" pause "$NF_WORK/pg"
sleep 2
nf_sigterm_within 10000 "during the outage"
nf_log "SIGTERM during an outage: exit 0 after $NF_STOP_MS ms"
bash "$NF_SOURCE_DIR/deploy/local/pg.sh" resume "$NF_WORK/pg"
"$NF" run --stop-at-end >>"$NF_WORK/worker.log" 2>&1 || nf_fail "final run exited with $?"
nf_verify
nf_log "PASS"
