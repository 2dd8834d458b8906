#!/usr/bin/env bash
# A row PostgreSQL refuses (here: a CHECK constraint the test adds, SQLSTATE 23514) must not
# block its partition: the batch is written message by message, the refused article goes to
# the DLQ as db_rejected with its original bytes, every other article is stored.
source "$(dirname "$0")/lib.sh"
nf_setup
nf_sql "ALTER TABLE articles ADD CONSTRAINT test_refuse_poison CHECK (id NOT LIKE 'poison-%')"
: >"$NF_WORK/corpus.jsonl"
: >"$NF_WORK/expected.tsv"
for i in $(seq 1 300); do
    id=$(printf 'p-%04d' "$i")
    reason=ok
    if [ $((i % 100)) -eq 50 ]; then id="poison-$i"; reason=db_rejected; fi
    printf '{"id":"%s","source":"Varnel Courier","body":"Council of Port Varnel approved budget line %d for the harbour dredging."}\n' "$id" "$i" >>"$NF_WORK/corpus.jsonl"
    printf '%d\t%s\t%s\n' "$i" "$id" "$reason" >>"$NF_WORK/expected.tsv"
done
nf_publish "$NF_WORK/corpus.jsonl"
"$NF" run --stop-at-end >"$NF_WORK/worker.log" 2>&1 || nf_fail "worker exited with $?"
grep -q 'PostgreSQL refused an article' "$NF_WORK/worker.log" || nf_fail "the refusal was not logged"
# nf_verify checks stored = the ok ids, rejects + DLQ = the poison lines with reason db_rejected.
nf_verify
detail=$(nf_sql "select detail from ingest_rejects limit 1")
case "$detail" in *test_refuse_poison*) ;; *) nf_fail "detail does not name the constraint: $detail" ;; esac
nf_log "PASS"
