#!/usr/bin/env bash
# The outbox replay of article rows that name their article (migration 008: no payload, the
# record is read from articles.enriched). Rows left behind as by a crash between COMMIT and the
# broker's acknowledgement are produced again on the next assignment: each as its article's
# stored record (its latest revision), under its id as the key; a row whose article was deleted
# meanwhile is dropped with a warning, never produced; the outbox ends empty.
source "$(dirname "$0")/lib.sh"
nf_setup
nf_corpus 300 0.05 0
nf_publish "$NF_WORK/corpus.jsonl"
"$NF" run --stop-at-end >"$NF_WORK/worker.log" 2>&1 || nf_fail "first run exited with $?"
nf_verify
nf_topic_dump articles.enriched '%k\n' | LC_ALL=C sort | uniq -c | awk '{print $2, $1}' >"$NF_WORK/before"

# Three undelivered rows of stored articles, one of them revised since (its stored record is now
# revision 7), and one of an article that is gone.
nf_sql "select id from articles order by id limit 3" >"$NF_WORK/picked"
[ "$(wc -l <"$NF_WORK/picked")" -eq 3 ] || nf_fail "fewer than 3 stored articles"
revised=$(head -n 1 "$NF_WORK/picked")
nf_sql "update articles set enriched = jsonb_set(enriched, '{revision}', '7') where id = '$revised'"
nf_sql "insert into outbox (topic, msg_key, article_id, src_topic, src_partition)
        select 'articles.enriched', convert_to(id, 'UTF8'), id, kafka_topic, kafka_partition
        from articles where id in (select id from articles order by id limit 3) order by id"
nf_sql "insert into outbox (topic, msg_key, article_id, src_topic, src_partition)
        values ('articles.enriched', convert_to('gone-1', 'UTF8'), 'gone-1', 'articles.raw', 0)"
[ "$(nf_sql "select count(*) from outbox where payload is null")" -eq 4 ] || nf_fail "outbox rows not inserted"

"$NF" run --stop-at-end >"$NF_WORK/worker2.log" 2>&1 || nf_fail "second run exited with $?"
[ "$(nf_sql "select count(*) from outbox")" -eq 0 ] || nf_fail "outbox not empty after the replay"
grep -q '"msg":"outbox rows of deleted articles dropped, nothing to publish".*"rows":"1"' \
    "$NF_WORK/worker2.log" || nf_fail "the dropped row of a deleted article was not reported"
grep -q '"msg":"outbox replayed".*"rows_total":"3"' "$NF_WORK/worker2.log" \
    || nf_fail "the worker did not report 3 replayed rows"

# Downstream: each picked id once more, nothing else new, no key gone-1.
nf_topic_dump articles.enriched '%k\n' | LC_ALL=C sort | uniq -c | awk '{print $2, $1}' >"$NF_WORK/after"
awk 'NR == FNR { b[$1] = $2; next } { d = $2 - b[$1]; if (d) print $1, d }' \
    "$NF_WORK/before" "$NF_WORK/after" >"$NF_WORK/new"
awk '{print $1, 1}' "$NF_WORK/picked" | diff - "$NF_WORK/new" >&2 \
    || nf_fail "replay published other messages than one per picked article"

# Each replayed message is its article's stored record (the revised one at revision 7).
nf_topic_dump articles.enriched '%k\t%s\n' | grep -F -f "$NF_WORK/picked" >"$NF_WORK/published"
nf_sql "select id || E'\t' || enriched::text from articles where id in ($(sed "s/.*/'&'/" "$NF_WORK/picked" | paste -sd,))" \
    >"$NF_WORK/stored"
/usr/bin/python3 - "$NF_WORK/published" "$NF_WORK/stored" "$revised" <<'PY' || nf_fail "a replayed message is not its article's stored record"
import json, sys
stored = {}
for line in open(sys.argv[2], encoding="utf-8"):
    k, v = line.rstrip("\n").split("\t", 1)
    stored[k] = json.loads(v)
found = {k: 0 for k in stored}
for line in open(sys.argv[1], encoding="utf-8"):
    k, v = line.rstrip("\n").split("\t", 1)
    if k in stored and json.loads(v) == stored[k]:
        found[k] += 1
missing = [k for k, n in found.items() if n == 0]
if missing:
    sys.exit("no message equal to the stored record of %s" % missing)
if stored[sys.argv[3]].get("revision") != 7:
    sys.exit("the revised article's stored record lost its revision")
print("replayed records equal the stored ones: %d" % len(found), file=sys.stderr)
PY
nf_log "outbox replay: 3 article rows produced from articles.enriched, 1 row of a deleted article dropped"
