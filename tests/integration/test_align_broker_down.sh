#!/usr/bin/env bash
# The timestamp alignment (consumer_align_ms) never stalls the worker on partitions it cannot
# fetch: with one broker answering only after 100 s from the start, the partitions of the
# other brokers are read and stored (a partition not fetched yet holds the others back for
# 500 ms at most), and once that broker answers again everything is stored exactly once. The
# hold is larger than the corpus, so that only that rule, not a full hold, lets them go on.
source "$(dirname "$0")/lib.sh"
export NEWSFLOW_KAFKA_MAX_IN_FLIGHT=1 # see test_broker_faults.sh
nf_setup
nf_corpus 6000 0.02 0
nf_publish "$NF_WORK/corpus.jsonl"
export NEWSFLOW_GROUP_ID=align-down
nf_broker_ctl "coordinator $NEWSFLOW_GROUP_ID 1"
nf_broker_ctl "rtt 2 100000"
sleep 0.5
nf_worker_start --consumer-align-ms 250 --consumer-hold-bytes 536870912
nf_wait_stored 2000 # about half of what brokers 1 and 3 lead
nf_log "stored $(nf_sql "select count(*) from articles") while broker 2 answers after 100 s"
kill -TERM "$NF_WORKER_PID"
wait "$NF_WORKER_PID" || nf_fail "worker exit code $? after SIGTERM"
nf_broker_ctl "rtt 2 0"
"$NF" run --stop-at-end >>"$NF_WORK/worker.log" 2>&1 || nf_fail "final run exited with $?"
nf_verify
nf_log "PASS"
