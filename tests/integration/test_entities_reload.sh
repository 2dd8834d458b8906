#!/usr/bin/env bash
# SIGHUP reloads the user gazetteer while the worker runs: between batches, no message dropped
# or processed twice; a malformed file is refused (logged, counted) and the previous gazetteer
# stays; articles read after a good reload carry the new ids, those before the old ones.
source "$(dirname "$0")/lib.sh"
nf_setup
nf_corpus 2000 0.05 0
half=1000
head -n $half "$NF_WORK/corpus.jsonl" >"$NF_WORK/part1.jsonl"
tail -n +$((half + 1)) "$NF_WORK/corpus.jsonl" >"$NF_WORK/part2.jsonl"
# distinct valid ids of each part (an id of part 2 already seen in part 1 is not new)
head -n $half "$NF_WORK/expected.tsv" | awk -F'\t' '$3=="ok"{print $2}' | LC_ALL=C sort -u >"$NF_WORK/ids1"
tail -n +$((half + 1)) "$NF_WORK/expected.tsv" | awk -F'\t' '$3=="ok"{print $2}' | LC_ALL=C sort -u |
    LC_ALL=C comm -23 - "$NF_WORK/ids1" >"$NF_WORK/ids2"

gaz=$NF_WORK/gazetteer.tsv
printf '# test gazetteer, version 1\nloc:test-mirograd-v1\tLOC\t-\ten=Mirograd\n' >"$gaz"
nf_publish "$NF_WORK/part1.jsonl"
nf_worker_start --batch-max-messages 50 --entities-gazetteer "$gaz"
nf_wait_stored "$(wc -l <"$NF_WORK/ids1")"

# A malformed file: refused, the worker keeps going with version 1.
printf 'loc:test-mirograd-v2\tPLACE\t-\ten=Mirograd\n' >"$gaz"
kill -HUP "$NF_WORKER_PID"
for _ in $(seq 200); do grep -q '"user gazetteer not reloaded' "$NF_WORK/worker.log" && break; sleep 0.05; done
grep -q '"user gazetteer not reloaded.*type .PLACE. is not PERSON' "$NF_WORK/worker.log" ||
    nf_fail "bad gazetteer not reported"
kill -0 "$NF_WORKER_PID" || nf_fail "worker died on a bad gazetteer"

# A good file: reloaded between batches.
printf '# version 2\nloc:test-mirograd-v2\tLOC\t-\ten=Mirograd\n' >"$gaz"
kill -HUP "$NF_WORKER_PID"
for _ in $(seq 200); do grep -q '"user gazetteer reloaded"' "$NF_WORK/worker.log" && break; sleep 0.05; done
grep -q '"user gazetteer reloaded"' "$NF_WORK/worker.log" || nf_fail "no reload logged"

nf_publish "$NF_WORK/part2.jsonl"
nf_wait_stored "$(cat "$NF_WORK/ids1" "$NF_WORK/ids2" | wc -l)"
nf_sigterm_within 20000 "after the reloads"
nf_verify

# Which gazetteer tagged which article.
nf_sql "select distinct article_id from mentions where entity_id = 'loc:test-mirograd-v1'" |
    LC_ALL=C sort >"$NF_WORK/v1"
nf_sql "select distinct article_id from mentions where entity_id = 'loc:test-mirograd-v2'" |
    LC_ALL=C sort >"$NF_WORK/v2"
n1=$(wc -l <"$NF_WORK/v1")
n2=$(wc -l <"$NF_WORK/v2")
[ "$n1" -gt 0 ] && [ "$n2" -gt 0 ] || nf_fail "mentions: $n1 articles with v1, $n2 with v2"
[ -z "$(LC_ALL=C comm -23 "$NF_WORK/v1" "$NF_WORK/ids1")" ] || nf_fail "v1 ids on part-2 articles"
[ -z "$(LC_ALL=C comm -23 "$NF_WORK/v2" "$NF_WORK/ids2")" ] || nf_fail "v2 ids on part-1 articles"
[ "$(nf_sql "select count(*) from entities where id like 'loc:test-mirograd-%'")" -eq 2 ] ||
    nf_fail "entities table lacks one of the two ids"
nf_log "PASS: bad file refused and logged; $n1 articles tagged before the reload, $n2 after"
