#!/usr/bin/env bash
# Poison input (tests/fixtures/poison.py: 58 messages written by us, a 4.5 MB body included)
# mixed with valid articles: every poison message lands in the DLQ and ingest_rejects with its
# reason (huge ones truncated to dlq_max_payload_bytes, with an original_bytes header), the
# worker stays up, every partition moves on, every valid article is stored. The 50 MB body
# cannot pass the embedded broker (5 MiB per partition) and goes through `newsflow enrich`.
source "$(dirname "$0")/lib.sh"
nf_setup
/usr/bin/python3 "$NF_SOURCE_DIR/tests/fixtures/poison.py" "$NF_WORK/poison" 2>/dev/null
awk -F'\t' '$5 == "enrich"' "$NF_WORK/poison/expected.tsv" >"$NF_WORK/poison/enrich.tsv"
awk -F'\t' '$5 == "kafka"' "$NF_WORK/poison/expected.tsv" >"$NF_WORK/poison/kafka.tsv"
mv "$NF_WORK/poison/kafka.tsv" "$NF_WORK/poison/expected.tsv"
nf_corpus 240 0 0
PRODUCE=$NF_BIN_DIR/tests/nf-produce
big=0
while IFS=$'\t' read -r file reason size note via; do
    if [ "$size" -gt 1000000 ]; then
        part=$((10 + big)); big=$((big + 1))   # a huge message gets a partition of its own
    else
        part=$(( 10#${file%%.*} % 10 ))
    fi
    "$PRODUCE" "$BROKERS" articles.raw "$part" "$NF_WORK/poison/$file" || nf_fail "could not publish $file"
done <"$NF_WORK/poison/expected.tsv"
# Header and key oddities: ignored on input (a valid article with them is stored; a bad one's
# DLQ message carries its original key and newsflow's own headers).
printf '{"id":"hdr-ok","body":"Dunmere council met on Tuesday to discuss the harbour."}' >"$NF_WORK/hdr-ok.msg"
printf '{"id":"hdr-bad","body":' >"$NF_WORK/hdr-bad.msg"
hdrs=(--header reason=forged --header source_partition=99 --header =empty-name --header no-value)
for i in $(seq 20); do hdrs+=(--header "x-$i=$(head -c 64 /dev/zero | tr '\0' 'v')"); done
"$PRODUCE" "$BROKERS" articles.raw 3 --key "$(head -c 2000 /dev/zero | tr '\0' 'k')" "${hdrs[@]}" \
    "$NF_WORK/hdr-ok.msg" "$NF_WORK/hdr-bad.msg" || nf_fail "could not publish the header oddities"
printf 'hdr-bad.msg\tinvalid_json\t24\theaders and a 2000-byte key\tkafka\n' >>"$NF_WORK/poison/expected.tsv"
cp "$NF_WORK/hdr-bad.msg" "$NF_WORK/poison/"
nf_publish "$NF_WORK/corpus.jsonl"    # valid articles after the poison, on every partition
"$NF" run --stop-at-end --kafka fetch.max.bytes=60000000 >"$NF_WORK/worker.log" 2>&1 || nf_fail "worker exited with $?"

n_poison=$(wc -l <"$NF_WORK/poison/expected.tsv")
cut -f2 "$NF_WORK/poison/expected.tsv" | LC_ALL=C sort | uniq -c | awk '{print $2, $1}' >"$NF_WORK/exp_reasons"
nf_sql "select reason || ' ' || count(*) from ingest_rejects group by reason order by reason" | LC_ALL=C sort >"$NF_WORK/db_reasons"
diff "$NF_WORK/exp_reasons" "$NF_WORK/db_reasons" >&2 || nf_fail "reject reasons differ"

# Bytes: each reject row holds the message (or its first dlq_max_payload_bytes).
limit=900000
/usr/bin/python3 - "$NF_WORK/poison" $limit >"$NF_WORK/exp_md5" <<'PY'
import hashlib, os, sys
d, limit = sys.argv[1], int(sys.argv[2])
for line in open(os.path.join(d, "expected.tsv")):
    name, reason, size, note, via = line.rstrip("\n").split("\t")
    data = open(os.path.join(d, name), "rb").read()
    trunc = len(data) > limit
    print(hashlib.md5(data[:limit]).hexdigest(), len(data) if trunc else "")
PY
LC_ALL=C sort -o "$NF_WORK/exp_md5" "$NF_WORK/exp_md5"
nf_sql "select md5(raw) || ' ' || coalesce(original_bytes::text, '') from ingest_rejects" | LC_ALL=C sort >"$NF_WORK/db_md5"
diff "$NF_WORK/exp_md5" "$NF_WORK/db_md5" >&2 || nf_fail "ingest_rejects bytes differ from the poison messages"

# DLQ: one message per poison position, sizes as stored, truncation announced in a header.
nf_topic_dump articles.dlq '%S %h\n' >"$NF_WORK/dlq"
dlq_positions=$(grep -o 'source_partition=[0-9]*\|source_offset=[0-9]*' "$NF_WORK/dlq" | paste -d' ' - - | sort -u | wc -l)
[ "$dlq_positions" -eq "$n_poison" ] || nf_fail "DLQ holds $dlq_positions positions, expected $n_poison"
truncated=$(grep -c 'original_bytes=' "$NF_WORK/dlq" || true)
expected_trunc=$(awk -F'\t' -v l=$limit '$3 > l' "$NF_WORK/poison/expected.tsv" | wc -l)
[ "$truncated" -eq "$expected_trunc" ] || nf_fail "$truncated truncated DLQ messages, expected $expected_trunc"
awk -v l=$limit '$0 ~ /original_bytes=/ && $1 != l { bad = 1 } END { exit bad }' "$NF_WORK/dlq" \
    || nf_fail "a truncated DLQ message is not $limit bytes"

# Valid articles after the poison were all stored: every partition moved on.
{ awk -F'\t' '{print $2}' "$NF_WORK/expected.tsv"; echo hdr-ok; } | LC_ALL=C sort -u >"$NF_WORK/valid_ids"
# Dumped to a file first: `kcat | grep -q` fails under pipefail when grep exits at its match
# and kcat's next write gets EPIPE (seen once, session 22).
nf_topic_dump articles.dlq '%k|%h\n' >"$NF_WORK/dlq_keys"
grep -q "^kkkk.*reason=invalid_json.*source_partition=3" "$NF_WORK/dlq_keys" \
    || nf_fail "the DLQ message of a keyed message lost its key or got forged headers"
grep -q 'reason=forged' "$NF_WORK/dlq_keys" && nf_fail "input headers leaked into the DLQ"
nf_sql "select id from articles" | LC_ALL=C sort >"$NF_WORK/stored_ids"
cmp -s "$NF_WORK/valid_ids" "$NF_WORK/stored_ids" || nf_fail "valid articles missing after the poison"
[ "$(nf_sql "select count(*) from outbox")" -eq 0 ] || nf_fail "outbox not drained"
# The 50 MB body: rejected before parsing, memory bounded by max_message_bytes.
while IFS=$'\t' read -r file reason size note via; do
    { cat "$NF_WORK/poison/$file"; echo; } | /usr/bin/time -f '%M' -o "$NF_WORK/rss" "$NF" enrich >"$NF_WORK/enrich.out" 2>/dev/null \
        || nf_fail "enrich failed on $note"
    grep -q "\"reason\":\"$reason\"" "$NF_WORK/enrich.out" || nf_fail "$note: $(cat "$NF_WORK/enrich.out")"
    rss_kb=$(cat "$NF_WORK/rss")
    [ "$rss_kb" -lt 65536 ] || nf_fail "$note: enrich used $rss_kb KiB"
    nf_log "$note ($size bytes) through enrich: $reason, peak RSS ${rss_kb} KiB"
done <"$NF_WORK/poison/enrich.tsv"
if [ -n "${NF_RESULTS:-}" ]; then
    printf '%s\t%s\t%s\t%s\t%s\t%s\t%s\t%s\t%s\n' "${NF_SCENARIO:-poison}" \
        "$((n_poison + $(wc -l <"$NF_WORK/corpus.jsonl")))" "$(wc -l <"$NF_WORK/valid_ids")" \
        "$(wc -l <"$NF_WORK/stored_ids")" \
        "$(LC_ALL=C comm -23 "$NF_WORK/valid_ids" "$NF_WORK/stored_ids" | wc -l)" \
        "$(LC_ALL=C comm -13 "$NF_WORK/valid_ids" "$NF_WORK/stored_ids" | wc -l)" \
        "$n_poison/$(nf_sql "select count(*) from ingest_rejects")/$dlq_positions" \
        "$(( $(nf_topic_dump articles.enriched '%k\n' | wc -l) - $(wc -l <"$NF_WORK/valid_ids") ))" \
        "$(nf_sql "select count(*) from outbox")" >>"$NF_RESULTS"
fi
nf_log "PASS: $n_poison poison messages rejected with their reasons ($expected_trunc truncated), $(wc -l <"$NF_WORK/stored_ids") valid articles stored"
