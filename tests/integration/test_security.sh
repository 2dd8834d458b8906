#!/usr/bin/env bash
# Security checks: (1) no SQL is built with a format string or string concatenation anywhere in
# worker/ (statements are literals with $n parameters, or COPY); (2) passwords given to the
# worker never reach its logs, even at debug level, nor check-config; (3) the container image
# runs as a non-root user.
source "$(dirname "$0")/lib.sh"

# (1) Every printf-family / strcat call in worker/ whose format mentions SQL is a violation.
/usr/bin/python3 - "$NF_SOURCE_DIR/worker" <<'PY' || nf_fail "SQL built by string formatting"
import glob, os, re, sys
sql = re.compile(r"\b(SELECT|INSERT|UPDATE|DELETE|CREATE|ALTER|DROP|COPY|BEGIN|COMMIT)\b")
call = re.compile(r"\b(v?s?n?printf|nf_buf_printf|nf_buf_puts|nf_buf_append|strn?cat|sprintf)\s*\(")
bad = []
for path in glob.glob(os.path.join(sys.argv[1], "*.c")):
    text = open(path).read()
    for m in call.finditer(text):
        # the call's argument text up to the closing ');'
        depth, i = 0, m.end() - 1
        while i < len(text):
            depth += text[i] == "("
            depth -= text[i] == ")"
            if depth == 0:
                break
            i += 1
        args = text[m.end():i]
        literals = " ".join(re.findall(r'"((?:[^"\\]|\\.)*)"', args))
        if sql.search(literals):
            line = text.count("\n", 0, m.start()) + 1
            bad.append("%s:%d: %s(...%s...)" % (os.path.basename(path), line, m.group(1), literals[:60]))
for b in bad:
    print("FAIL:", b)
sys.exit(1 if bad else 0)
PY
nf_log "no SQL built by formatting in worker/"

# (2) Secrets never logged: a password in the PostgreSQL URL (trust auth ignores it) and in a
# Kafka property, debug logging on, a full run.
nf_setup
nf_corpus 300 0.05 0
nf_publish "$NF_WORK/corpus.jsonl"
SECRET_URL=$(echo "$PG_URL" | sed 's|postgres@|postgres:Hunter2pg@|')
"$NF" run --stop-at-end --log-level debug --pg-url "$SECRET_URL" \
    --kafka sasl.password=Hunter3kafka --kafka ssl.key.password=Hunter4key \
    >"$NF_WORK/worker.log" 2>&1 || nf_fail "worker exited with $?"
[ "$(nf_sql "select count(*) from articles")" -gt 0 ] || nf_fail "nothing stored"
for secret in Hunter2pg Hunter3kafka Hunter4key; do
    grep -q "$secret" "$NF_WORK/worker.log" && nf_fail "$secret appears in the log"
done
"$NF" check-config --pg-url "$SECRET_URL" --kafka sasl.password=Hunter3kafka >"$NF_WORK/cc.txt"
grep -q 'Hunter' "$NF_WORK/cc.txt" && nf_fail "check-config prints a secret"
# No article body in the log either (bodies are long; log lines quote ids and errors only).
body=$(head -1 "$NF_WORK/corpus.jsonl" | /usr/bin/python3 -c 'import json,sys; print(json.loads(sys.stdin.read())["body"].split("\n")[0][:60])')
grep -qF "$body" "$NF_WORK/worker.log" && nf_fail "an article body appears in the log"
nf_log "no password and no body in $(wc -l <"$NF_WORK/worker.log") debug log lines"

# (3) The image's last USER is not root.
user=$(sed -n 's/^USER //p' "$NF_SOURCE_DIR/deploy/Dockerfile" | tail -1)
case "$user" in ""|root|0|0:*) nf_fail "container runs as root" ;; esac
nf_log "PASS (container user $user)"
