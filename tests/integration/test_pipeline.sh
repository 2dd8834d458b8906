#!/usr/bin/env bash
# 10,000 fixture articles, 5% bad, through the real Kafka protocol and a real PostgreSQL:
# exactly one row per valid distinct id, the DLQ holds exactly the bad ones with their reasons,
# every valid id is published downstream, stored offsets equal the partitions' end offsets.
source "$(dirname "$0")/lib.sh"
nf_setup
nf_corpus 10000 0.05 2
nf_publish "$NF_WORK/corpus.jsonl"
start=$(date +%s.%N)
# Write chunks of ~100 KB (~25 articles): each batch's write runs as many statements, whose
# entities overlap (ON CONFLICT across statements of one transaction) and whose outbox rows must
# map back to their articles; the checks below hold for that as for one statement per batch.
NEWSFLOW_WRITE_CHUNK_BYTES=100000 "$NF" run --stop-at-end >"$NF_WORK/worker.log" 2>&1 \
    || nf_fail "worker exited with $?"
end=$(date +%s.%N)
nf_verify
# The rows the batch write derives from each record agree with it: every published payload is
# the record of its key (stored with that id, revision aside), and the entities and mentions
# tables hold exactly what the stored records list.
nf_topic_dump articles.enriched '%k\t%s\n' >"$NF_WORK/published"
/usr/bin/python3 - "$NF_WORK/published" <<'PY' || nf_fail "a published payload is not the record of its key"
import json, sys
n = 0
for line in open(sys.argv[1], encoding="utf-8"):
    key, payload = line.rstrip("\n").split("\t", 1)
    rec = json.loads(payload)
    if rec["id"] != key or "entities" not in rec or "dedup" not in rec:
        sys.exit("key %s carries the record of %s" % (key, rec.get("id")))
    n += 1
print("published payloads checked: %d" % n, file=sys.stderr)
PY
mentions_sql="select a.id, x->>'id', m->>'field', (m->>'start')::int, (m->>'end')::int, m->>'text'
    from articles a, jsonb_array_elements(a.entities) x, jsonb_array_elements(x->'mentions') m"
diffs=$(nf_sql "select (select count(*) from (select article_id, entity_id, field, start_cp, end_cp, text
                          from mentions except $mentions_sql) d)
                     + (select count(*) from ($mentions_sql except select article_id, entity_id,
                          field, start_cp, end_cp, text from mentions) d)
                     + (select count(*) from (select distinct x->>'id', x->>'type' from articles a,
                          jsonb_array_elements(a.entities) x except select id, type from entities) d)")
[ "$diffs" -eq 0 ] || nf_fail "mentions/entities differ from the stored records in $diffs rows"
[ "$(nf_sql "select count(*) from mentions")" -gt 10000 ] || nf_fail "too few mentions stored"
awk -v a="$start" -v b="$end" 'BEGIN { printf "throughput: 10000 messages in %.2f s = %.0f msg/s, process start to exit (group join included)\n", b - a, 10000 / (b - a) }' >&2
# Steady state: from the partition assignment to the stop, from the worker's own log timestamps.
/usr/bin/python3 - "$NF_WORK/worker.log" <<'PY' >&2
import json, sys, datetime
ts = {}
for line in open(sys.argv[1], encoding="utf-8", errors="replace"):
    try:
        rec = json.loads(line)
    except ValueError:
        continue
    if rec.get("msg") in ("partitions assigned", "worker stopped"):
        ts.setdefault(rec["msg"], datetime.datetime.fromisoformat(rec["ts"].replace("Z", "+00:00")))
secs = (ts["worker stopped"] - ts["partitions assigned"]).total_seconds()
print("throughput: 10000 messages in %.2f s = %.0f msg/s, assignment to stop" % (secs, 10000 / secs))
PY

# A second run over the same topic changes nothing: offsets come from PostgreSQL.
before=$(nf_sql "select count(*), max(ingested_at) from articles")
"$NF" run --stop-at-end >>"$NF_WORK/worker.log" 2>&1 || nf_fail "second run exited with $?"
after=$(nf_sql "select count(*), max(ingested_at) from articles")
[ "$before" = "$after" ] || nf_fail "second run changed articles: $before -> $after"

# Deleting articles (a retention job) deletes their mentions, and only theirs (migration 005's
# statement trigger stands in for the dropped foreign key's ON DELETE CASCADE).
gone_ids="select id from articles where id in (select article_id from mentions) order by id limit 25"
theirs=$(nf_sql "select count(*) from mentions where article_id in ($gone_ids)")
total=$(nf_sql "select count(*) from mentions")
[ "$theirs" -gt 0 ] || nf_fail "no mentions to delete"
nf_sql "delete from articles where id in ($gone_ids)" >/dev/null
left=$(nf_sql "select count(*) from mentions")
orphans=$(nf_sql "select count(*) from mentions m where not exists (select 1 from articles a where a.id = m.article_id)")
[ "$orphans" -eq 0 ] && [ "$left" -eq $((total - theirs)) ] \
    || nf_fail "deleting 25 articles left $orphans orphan mentions ($total -> $left, $theirs theirs)"
# The writer vacuums fingerprint_keys every dedup_keys_vacuum_batches (2) batches it wrote, so
# the candidate read stays index-only; the first run wrote more than 2 batches, and the log
# says how long it took.
grep -q '"writer thread time (seconds)"' "$NF_WORK/worker.log" || nf_fail "no writer time logged"
vacuums=0
for _ in $(seq 50); do # the cumulative statistics reach pg_stat_user_tables within a second
    vacuums=$(nf_sql "select vacuum_count from pg_stat_user_tables where relname = 'fingerprint_keys'")
    [ "$vacuums" -ge 1 ] && break
    sleep 0.1
done
[ "$vacuums" -ge 1 ] || nf_fail "fingerprint_keys was never vacuumed by the writer"
nf_log "PASS"
