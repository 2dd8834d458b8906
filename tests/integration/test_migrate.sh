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
# An upgrade keeps what a database already holds: one at migration 005 (the SQL files applied
# by hand and recorded) with articles linked to stories, then `newsflow migrate`. 006 moves each
# article's story onto its fingerprints row; article_stories reads the same as before.
psql "$PG_URL" -XAtq -v ON_ERROR_STOP=1 -c "CREATE DATABASE upgrade" >/dev/null
UP_URL=${PG_URL%/*}/upgrade
psql "$UP_URL" -XAtq -v ON_ERROR_STOP=1 -c "CREATE TABLE nf_schema_migrations (name text PRIMARY KEY,
    applied_at timestamptz NOT NULL DEFAULT now())" >/dev/null
for f in "$NF_SOURCE_DIR"/schemas/sql/00[1-5]_*.sql; do
    psql "$UP_URL" -XAtq -v ON_ERROR_STOP=1 -f "$f" >/dev/null || nf_fail "applying $f by hand"
    psql "$UP_URL" -XAtq -v ON_ERROR_STOP=1 -c "INSERT INTO nf_schema_migrations VALUES ('$(basename "$f")')"
done
psql "$UP_URL" -XAtq -v ON_ERROR_STOP=1 >/dev/null <<'SQL' || nf_fail "seeding the 005 database"
INSERT INTO stories (id, first_article, first_t)
    SELECT 'story:' || g, 'a' || g, g FROM generate_series(1, 30) g;
INSERT INTO fingerprints (article_id, t, lang, exact_key, fp, dup_status)
    SELECT 'a' || g, g, 'en', 'k' || g, '\x00', 'unique' FROM generate_series(1, 90) g;
INSERT INTO article_stories (article_id, story_id)
    SELECT 'a' || g, 'story:' || (1 + g % 30) FROM generate_series(1, 90) g;
SQL
before=$(psql "$UP_URL" -XAtq -c "select string_agg(article_id || '=' || story_id, ',' order by article_id) from article_stories")
NEWSFLOW_PG_URL=$UP_URL "$NF" migrate >"$NF_WORK/upgrade.log" 2>&1 || nf_fail "upgrade: $(cat "$NF_WORK/upgrade.log")"
after=$(psql "$UP_URL" -XAtq -c "select string_agg(article_id || '=' || story_id, ',' order by article_id) from article_stories")
[ -n "$before" ] && [ "$before" = "$after" ] || nf_fail "article_stories changed by the upgrade"
[ "$(psql "$UP_URL" -XAtq -c "select count(*) from fingerprints where story_id is null")" = 0 ] ||
    nf_fail "fingerprints left without their story"
[ "$(psql "$UP_URL" -XAtq -c "select relkind from pg_class where relname = 'article_stories'")" = v ] ||
    nf_fail "article_stories is not a view after 006"
# A bad connection string is a clear error, and the password is never printed.
out=$("$NF" migrate --pg-url "postgresql://app:hunter2@127.0.0.1:1/none" 2>&1) && nf_fail "migrate to a closed port succeeded"
case "$out" in *hunter2*) nf_fail "password printed: $out" ;; esac
nf_log "PASS"
