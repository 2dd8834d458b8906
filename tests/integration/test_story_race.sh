#!/usr/bin/env bash
# A story that moves while a worker decides (README "Dedup and stories", the decisions' locks).
#
# The worker reads its candidates under its index-key locks, then locks their stories; a story
# that another transaction changed in between must not be used as read. This test plays that
# other transaction (a replica merging the story into an earlier one) at exactly that moment:
#   1. s-001 (en) is stored: its story is S = story_of(s-001).
#   2. A psql session takes every story lock and holds it.
#   3. s-002 (fr, the same event) is published; the worker reads s-001 as a candidate in S and
#      waits on the story locks.
#   4. The session merges S into W, a story whose first article is earlier, the way a replica
#      does (stories.merged_into, fingerprints.story_id, articles), and commits.
#   5. The worker must see the merge: s-002 joins W. Deciding on what it read first would put
#      s-002 in S, a story merged away.
# shellcheck source=lib.sh
source "$(dirname "$0")/lib.sh"
nf_setup

export NEWSFLOW_GROUP_ID=race NEWSFLOW_LOG_LEVEL=info
FIX=$NF_SOURCE_DIR/tests/fixtures/samples.jsonl
grep '"id": *"s-001"' "$FIX" >"$NF_WORK/a1.jsonl"
grep '"id": *"s-002"' "$FIX" >"$NF_WORK/a2.jsonl"
[ "$(cat "$NF_WORK/a1.jsonl" "$NF_WORK/a2.jsonl" | wc -l)" -eq 2 ] || nf_fail "fixture lines not found"

nf_publish "$NF_WORK/a1.jsonl"
"$NF" run --stop-at-end >>"$NF_WORK/worker.log" 2>&1 || nf_fail "first run failed"
S=$(nf_sql "select story_id from articles where id = 's-001'")
[ -n "$S" ] || nf_fail "s-001 not stored"
nf_log "s-001 stored in $S"

# W: named after an earlier article, as the story ids are ("story:" + 16 hex of its sha256).
W=$(nf_story_of r-000)
T0=$(nf_sql "select first_t - 3600 from stories where id = '$S'")

# The other transaction: every story lock (the worker's LOCK_BASE | TAG_STORY << 32 | bucket).
nf_psql_session
nf_psql_do "BEGIN;"
nf_psql_do "SELECT count(pg_advisory_xact_lock((x'6e66'::bigint << 40) | (4::bigint << 32) | b))
         FROM generate_series(0, 255) AS b;"
nf_psql_sync locked

nf_publish "$NF_WORK/a2.jsonl"
nf_worker_start --stop-at-end
# The worker's decision reaches its story locks and waits there.
waiting=0
for _ in $(seq 600); do
    waiting=$(nf_sql "select count(*) from pg_stat_activity
                      where wait_event_type = 'Lock' and wait_event = 'advisory'")
    [ "$waiting" -ge 1 ] && break
    kill -0 "$NF_WORKER_PID" 2>/dev/null || nf_fail "worker exited before waiting on a story lock"
    sleep 0.05
done
[ "$waiting" -ge 1 ] || nf_fail "the worker never waited on a story lock"
nf_log "worker waits on the story locks; merging $S into $W"

nf_psql_do "INSERT INTO stories (id, first_article, first_t, articles) VALUES ('$W', 'r-000', $T0, 0);"
nf_psql_do "UPDATE stories SET merged_into = '$W', updated_at = now() WHERE id = '$S';"
nf_psql_do "UPDATE fingerprints SET story_id = '$W' WHERE story_id = '$S';"
nf_psql_do "UPDATE articles SET story_id = '$W' WHERE story_id = '$S';"
nf_psql_do "COMMIT;"
nf_psql_sync merged

wait "$NF_WORKER_PID" || nf_fail "second run failed"
got=$(nf_sql "select story_id from articles where id = 's-002'")
[ "$got" = "$W" ] || nf_fail "s-002 is in $got: the worker decided on the story as read ($S), not as merged ($W)"
[ "$(nf_sql "select story_id from articles where id = 's-001'")" = "$W" ] || nf_fail "s-001 left $W"
[ "$(nf_sql "select story_id from article_stories where article_id = 's-002'")" = "$W" ] ||
    nf_fail "article_stories of s-002 is not $W"
nf_log "ok: s-002 joined the merged story $W"
