#!/usr/bin/env bash
# A real Prometheus scrapes the worker with deploy/prometheus's config (target rewritten to the
# test's port) and its HTTP API must report what the worker did: consumed = published, stored =
# rows in PostgreSQL, rejected = ingest_rejects. /readyz flips to 503 while PostgreSQL is
# stopped and back to 200 after. `promtool check metrics` passes on a live scrape.
source "$(dirname "$0")/lib.sh"
command -v prometheus >/dev/null || nf_fail "prometheus is not installed (deploy/local/deps.sh)"
nf_setup
nf_corpus 2000 0.05 0
nf_publish "$NF_WORK/corpus.jsonl"
free_port() { /usr/bin/python3 -c 'import socket; s=socket.socket(); s.bind(("127.0.0.1",0)); print(s.getsockname()[1])'; }
HTTP_PORT=$(free_port)
PROM_PORT=$(free_port)
# Batches of 500: the cache check below needs candidates stored by an earlier batch (with the
# default of 2,000 the whole corpus can be one batch).
NEWSFLOW_HTTP_PORT=$HTTP_PORT NEWSFLOW_HTTP_BIND=127.0.0.1 NEWSFLOW_BATCH_MAX_MESSAGES=500 \
    nf_worker_start

# deploy's scrape config, pointed at this worker, scraping every second.
/usr/bin/python3 - "$NF_SOURCE_DIR/deploy/prometheus/prometheus.yml" "$NF_WORK/prometheus.yml" \
    "127.0.0.1:$HTTP_PORT" "$NF_SOURCE_DIR/deploy/prometheus/alerts.yml" <<'PY'
import sys, yaml
src, dst, target, rules = sys.argv[1:]
cfg = yaml.safe_load(open(src))
cfg["global"]["scrape_interval"] = "1s"
cfg["global"]["evaluation_interval"] = "1s"
cfg["rule_files"] = [rules]
job = next(j for j in cfg["scrape_configs"] if j["job_name"] == "newsflow")
job.pop("dns_sd_configs", None)
job["static_configs"] = [{"targets": [target]}]
yaml.safe_dump(cfg, open(dst, "w"))
PY
prometheus --config.file="$NF_WORK/prometheus.yml" --storage.tsdb.path="$NF_WORK/tsdb" \
    --web.listen-address="127.0.0.1:$PROM_PORT" >"$NF_WORK/prometheus.log" 2>&1 &
NF_PIDS+=($!)

query() { # prints the value of a one-series PromQL query, or nothing (also while starting)
    curl -sf "http://127.0.0.1:$PROM_PORT/api/v1/query" --data-urlencode "query=$1" 2>/dev/null \
        | /usr/bin/python3 -c '
import json, sys
try:
    r = json.load(sys.stdin)["data"]["result"]
    print(r[0]["value"][1] if r else "")
except ValueError:
    pass'
}
published=$(wc -l <"$NF_WORK/corpus.jsonl")
for _ in $(seq 120); do
    [ "$(query 'newsflow_articles_consumed_total')" = "$published" ] && break
    sleep 0.5
done
sleep 3 # let counters settle and be scraped after the last batch
consumed=$(query 'newsflow_articles_consumed_total')
stored=$(query 'newsflow_articles_stored_total')
rejected=$(query 'sum(newsflow_articles_rejected_total)')
rows=$(nf_sql "select count(*) from articles")
rejects=$(nf_sql "select count(*) from ingest_rejects")
nf_log "Prometheus says: consumed=$consumed stored=$stored rejected=$rejected; PostgreSQL: $rows articles, $rejects rejects; published $published"
[ "$consumed" = "$published" ] || nf_fail "consumed $consumed, published $published"
[ "$stored" = "$rows" ] || nf_fail "stored counter $stored, rows $rows"
[ "$rejected" = "$rejects" ] || nf_fail "rejected counter $rejected, ingest_rejects $rejects"
[ "$(query 'up{job="newsflow"}')" = "1" ] || nf_fail "target not up"
[ -n "$(query 'newsflow_build_info')" ] || nf_fail "no build info"
[ -n "$(query 'histogram_quantile(0.99, sum by (le) (rate(newsflow_batch_duration_seconds_bucket[1m])))')" ] \
    || nf_fail "no batch duration histogram"
# The fingerprint cache holds every fingerprint this worker stored (fewer than its capacity), and
# found every candidate's there: all were stored by this worker, and cached when they committed.
entries=$(query 'newsflow_dedup_fingerprint_cache_entries')
fps=$(nf_sql "select count(*) from fingerprints")
hits=$(query 'newsflow_dedup_fingerprint_cache_lookups_total{result="hit"}')
misses=$(query 'newsflow_dedup_fingerprint_cache_lookups_total{result="miss"}')
nf_log "fingerprint cache: $entries entries for $fps fingerprints, $hits hits, $misses misses"
[ "$entries" = "$fps" ] || nf_fail "fingerprint cache holds $entries, fingerprints $fps"
[ "$misses" = "0" ] || nf_fail "fingerprint cache: $misses misses in a single worker's run"
[ "${hits:-0}" -gt 0 ] || nf_fail "fingerprint cache: no hits"
# Lag comes from librdkafka's statistics (every 5 s): a fast run can be scraped before the
# first report that knows the assigned partitions' positions, so wait up to three reports.
for _ in $(seq 30); do
    curl -sf "http://127.0.0.1:$HTTP_PORT/metrics" >"$NF_WORK/metrics.txt"
    grep -q '^newsflow_consumer_lag_messages{partition="0"} ' "$NF_WORK/metrics.txt" && break
    sleep 0.5
done
promtool check metrics <"$NF_WORK/metrics.txt" || nf_fail "promtool check metrics found problems"
grep -q '^newsflow_consumer_lag_messages{partition="0"} ' "$NF_WORK/metrics.txt" || nf_fail "no lag series"
grep -q -- '-1$' "$NF_WORK/metrics.txt" && nf_fail "a metric reports -1"

status() { curl -s -o /dev/null -w '%{http_code}' "http://127.0.0.1:$HTTP_PORT/$1"; }
[ "$(status readyz)" = 200 ] || nf_fail "not ready before the fault"
[ "$(status healthz)" = 200 ] || nf_fail "not healthy"
[ "$(status nowhere)" = 404 ] || nf_fail "unknown path is not 404"
bash "$NF_SOURCE_DIR/deploy/local/pg.sh" pause "$NF_WORK/pg"
for _ in $(seq 60); do [ "$(status readyz)" = 503 ] && break; sleep 0.5; done
[ "$(status readyz)" = 503 ] || nf_fail "/readyz did not flip while PostgreSQL was down"
[ "$(status healthz)" = 200 ] || nf_fail "/healthz failed while PostgreSQL was down (it should stay alive)"
nf_log "PostgreSQL stopped: /readyz 503 $(curl -s "http://127.0.0.1:$HTTP_PORT/readyz")"
bash "$NF_SOURCE_DIR/deploy/local/pg.sh" resume "$NF_WORK/pg"
for _ in $(seq 60); do [ "$(status readyz)" = 200 ] && break; sleep 0.5; done
[ "$(status readyz)" = 200 ] || nf_fail "/readyz did not come back after PostgreSQL restarted"
nf_log "PostgreSQL back: /readyz 200"
kill -TERM "$NF_WORKER_PID"
wait "$NF_WORKER_PID" || nf_fail "worker exit code $? after SIGTERM"
nf_log "PASS"
