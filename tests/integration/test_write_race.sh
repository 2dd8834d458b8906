#!/usr/bin/env bash
# A decision that moves an article whose write has not committed yet (README "In run": a
# batch's decisions commit first, its articles are written by the writer on a second
# connection while the next batch is decided).
#   1. A psql session holds LOCK TABLE mentions IN SHARE MODE: a write inserting mentions waits.
#   2. s-002 (fr, 09:15) is published: its decision commits (story_of(s-002)), its write waits.
#   3. s-001 (en, 08:15, the same event) is published: its decision renames the story after
#      s-001, the earlier article, and moves s-002's fingerprints row. s-002 has no articles row
#      yet, so that decision has nothing to rewrite.
#   4. The lock goes. The write of s-002 must store and publish it in the renamed story (it
#      reads its decision again under a row lock at its end); as decided first it would keep a
#      story that no longer exists.
# shellcheck source=lib.sh
source "$(dirname "$0")/lib.sh"
nf_setup

export NEWSFLOW_GROUP_ID=write-race NEWSFLOW_LOG_LEVEL=info
FIX=$NF_SOURCE_DIR/tests/fixtures/samples.jsonl
grep '"id": *"s-001"' "$FIX" >"$NF_WORK/a1.jsonl"
grep '"id": *"s-002"' "$FIX" >"$NF_WORK/a2.jsonl"
[ "$(cat "$NF_WORK/a1.jsonl" "$NF_WORK/a2.jsonl" | wc -l)" -eq 2 ] || nf_fail "fixture lines not found"
S1=$(nf_story_of s-001)
S2=$(nf_story_of s-002)

nf_psql_session
nf_psql_do "BEGIN;"
nf_psql_do "LOCK TABLE mentions IN SHARE MODE;"
nf_psql_sync locked

# until CONDITION (SQL returning t): polls for up to 30 s
until_sql() {
    for _ in $(seq 600); do
        [ "$(nf_sql "$1")" = t ] && return 0
        kill -0 "$NF_WORKER_PID" 2>/dev/null || nf_fail "worker exited: $2"
        sleep 0.05
    done
    nf_fail "timed out: $2"
}

nf_worker_start
nf_publish "$NF_WORK/a2.jsonl"
until_sql "select exists (select 1 from fingerprints where article_id = 's-002')
           and exists (select 1 from pg_stat_activity where wait_event_type = 'Lock'
                       and wait_event = 'relation')" "s-002 decided, its write waiting"
[ "$(nf_sql "select story_id from fingerprints where article_id = 's-002'")" = "$S2" ] ||
    nf_fail "s-002 alone is not in $S2"
[ "$(nf_sql "select count(*) from articles")" -eq 0 ] || nf_fail "s-002 written through the lock"
nf_log "s-002 decided in $S2, its write waits on the mentions lock"

nf_publish "$NF_WORK/a1.jsonl"
until_sql "select story_id = '$S1' from fingerprints where article_id = 's-002'" \
    "s-001 decided, s-002 moved"
[ "$(nf_sql "select count(*) from articles")" -eq 0 ] || nf_fail "an article written through the lock"
nf_log "s-001 decided: s-002 moved to $S1 while not written; releasing the lock"
nf_psql_do "COMMIT;"
nf_psql_sync released

nf_wait_stored 2 || nf_fail "both articles not stored"
until_sql "select count(*) = 0 from outbox" "outbox drained"
kill -TERM "$NF_WORKER_PID"
wait "$NF_WORKER_PID" || nf_fail "worker exited with $?"

for id in s-001 s-002; do
    row=$(nf_sql "select story_id || ' ' || (enriched->>'story_id') from articles where id = '$id'")
    [ "$row" = "$S1 $S1" ] || nf_fail "$id stored as '$row', not in $S1"
done
[ "$(nf_sql "select enriched->>'revision' from articles where id = 's-002'")" = 1 ] ||
    nf_fail "s-002 was not rewritten as revision 1"
# The last record of s-002 downstream carries the renamed story.
nf_topic_dump articles.enriched '%k\t%s\n' >"$NF_WORK/out.tsv"
last=$(awk -F'\t' '$1 == "s-002"' "$NF_WORK/out.tsv" | tail -n 1 | cut -f2- |
    /usr/bin/python3 -c 'import json, sys; print(json.loads(sys.stdin.read())["story_id"])')
[ "$last" = "$S1" ] || nf_fail "the last record of s-002 downstream is in $last, not $S1"
nf_log "ok: s-002 stored and published in $S1 (its decision moved while its write waited)"
nf_log "PASS"
