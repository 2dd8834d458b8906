#!/usr/bin/env bash
# `newsflow migrate` is safe to run twice and from several replicas at once: the advisory lock
# serialises them and each migration is applied and recorded exactly once.
source "$(dirname "$0")/lib.sh"
PG_URL=$(bash "$NF_SOURCE_DIR/deploy/local/pg.sh" start "$NF_WORK/pg")
export NEWSFLOW_PG_URL=$PG_URL
pids=()
for i in 1 2 3 4 5 6; do
    "$NF" migrate >"$NF_WORK/migrate.$i.log" 2>&1 &
    pids+=($!)
done
for pid in "${pids[@]}"; do wait "$pid" || nf_fail "a concurrent migrate failed: $(cat "$NF_WORK"/migrate.*.log)"; done
files=$(ls "$NF_SOURCE_DIR"/schemas/sql/[0-9][0-9][0-9]_*.sql | wc -l)
recorded=$(psql "$PG_URL" -XAtq -c "select count(*) from nf_schema_migrations")
[ "$recorded" -eq "$files" ] || nf_fail "$recorded migrations recorded, $files files"
total=0
for f in "$NF_WORK"/migrate.*.log; do
    n=$(sed -n 's/^migrations applied: \([0-9]*\).*/\1/p' "$f")
    total=$((total + n))
done
[ "$total" -eq "$files" ] || nf_fail "migrations applied $total times in all, expected $files"
out=$("$NF" migrate 2>/dev/null)
[ "$out" = "migrations applied: 0 (schema is up to date)" ] || nf_fail "second migrate: $out"
psql "$PG_URL" -XAtq -c "select 1 from articles, outbox, consumer_offsets, ingest_rejects, entities, mentions, content_hashes limit 1" >/dev/null \
    || nf_fail "tables missing"
# A bad connection string is a clear error, and the password is never printed.
out=$("$NF" migrate --pg-url "postgresql://app:hunter2@127.0.0.1:1/none" 2>&1) && nf_fail "migrate to a closed port succeeded"
case "$out" in *hunter2*) nf_fail "password printed: $out" ;; esac
nf_log "PASS"
