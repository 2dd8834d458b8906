#!/usr/bin/env bash
# `newsflow enrich` on the bundled samples must give exactly the golden output: one line per
# input line, enriched records and error objects in order. Regenerate after an intended change:
#   build/newsflow enrich < tests/fixtures/samples.jsonl > tests/fixtures/golden/samples.enriched.jsonl
set -euo pipefail
: "${NF_SOURCE_DIR:=$(cd "$(dirname "$0")/../.." && pwd)}"
: "${NF_BIN_DIR:=$NF_SOURCE_DIR/build}"
out=$(mktemp)
trap 'rm -f "$out" "$out.err"' EXIT
"$NF_BIN_DIR/newsflow" enrich --input "$NF_SOURCE_DIR/tests/fixtures/samples.jsonl" >"$out" 2>"$out.err" \
    || { cat "$out.err" >&2; echo "FAIL: enrich exited non-zero" >&2; exit 1; }
in_lines=$(wc -l <"$NF_SOURCE_DIR/tests/fixtures/samples.jsonl")
out_lines=$(wc -l <"$out")
[ "$in_lines" -eq "$out_lines" ] || { echo "FAIL: $in_lines input lines, $out_lines output lines" >&2; exit 1; }
diff -u "$NF_SOURCE_DIR/tests/fixtures/golden/samples.enriched.jsonl" "$out" >&2 \
    || { echo "FAIL: enrich output differs from the golden file" >&2; exit 1; }
# Every error object's reason matches the fixture's expectation, line by line.
paste <(cut -f3 "$NF_SOURCE_DIR/tests/fixtures/samples.expected.tsv") "$out" | while IFS=$'\t' read -r want line; do
    got=$(printf '%s' "$line" | /usr/bin/python3 -c 'import json,sys; d=json.loads(sys.stdin.read()); print(d["error"]["reason"] if "error" in d else "ok")')
    [ "$want" = "$got" ] || { echo "FAIL: expected $want, got $got: $line" >&2; exit 1; }
done
grep -q '"accepted"' "$out.err" || { echo "FAIL: no counts on stderr" >&2; exit 1; }
echo "PASS: $out_lines lines match the golden output"
