#!/usr/bin/env bash
# Broker faults through the mock cluster's own API while the worker runs: failed Produce, Fetch
# and OffsetCommit requests, a broker down and back, round-trip delay, failed JoinGroup on a
# restart. The counts stay exact (downstream may hold an id twice: at-least-once).
source "$(dirname "$0")/lib.sh"
# One produce request in flight per broker. With several, the mock cluster drops messages that
# an injected Produce error hit: it appends a later in-flight batch, then takes the retried
# earlier one as a duplicate sequence, which the idempotent producer reports as delivered
# (librdkafka issue #2501 describes the same effect). Since dedup republishes revised records,
# enough batches are in flight for this to lose 3-6 ids in about half the runs; with one in
# flight 5 of 5 runs were exact. A real broker checks sequences; see the README's known issues.
export NEWSFLOW_KAFKA_MAX_IN_FLIGHT=1
nf_setup
nf_corpus 8000 0.05 0
nf_publish "$NF_WORK/corpus.jsonl"
nf_worker_start --batch-max-messages 50
nf_wait_stored 800
nf_broker_ctl "errors 0 20 7"    # Produce: REQUEST_TIMED_OUT x20 (idempotent producer retries)
nf_wait_stored 1600
nf_broker_ctl "errors 1 10 6"    # Fetch: NOT_LEADER_OR_FOLLOWER x10
nf_wait_stored 2400
nf_broker_ctl "errors 8 10 16"   # OffsetCommit: NOT_COORDINATOR x10 (Kafka offsets are advisory)
nf_wait_stored 3200
nf_broker_ctl "down 2"
sleep 3
nf_broker_ctl "up 2"
nf_broker_ctl "rtt 1 150"
nf_wait_stored 4500
kill -TERM "$NF_WORKER_PID"
wait "$NF_WORKER_PID" || nf_fail "worker exit code $? after SIGTERM"
nf_broker_ctl "errors 11 3 27"   # JoinGroup: REBALANCE_IN_PROGRESS x3 on the restart
nf_broker_ctl "rtt 1 0"
"$NF" run --stop-at-end >>"$NF_WORK/worker.log" 2>&1 || nf_fail "final run exited with $?"
nf_verify
extra=$(( $(nf_topic_dump articles.enriched '%k\n' | wc -l) - $(wc -l <"$NF_WORK/valid_ids") ))
nf_log "PASS (downstream holds $extra extra copies: at-least-once)"
