#!/usr/bin/env bash
# The fault suite: every scenario publishes a known corpus (with known bad messages), injects
# its faults, and ends by counting. Prints one table row per scenario:
#   articles published, valid distinct ids, rows stored, missing, extra (ids stored that
#   should not be), rejects expected/ingest_rejects/distinct DLQ positions, extra downstream
#   copies (at-least-once), outbox rows left, exit status, seconds.
#
#   tests/integration/faults/run.sh [--full] [BUILD_DIR]
# Without --full: the reduced form (2 kills over 10,000 articles). With --full: 50 random
# SIGKILLs over 20,000 articles. CI runs every scenario through ctest (the reduced form).
set -uo pipefail
ROOT=$(cd "$(dirname "$0")/../../.." && pwd)
FULL=
[ "${1:-}" = "--full" ] && { FULL=1; shift; }
BUILD=${1:-$ROOT/build}
export NF_SOURCE_DIR=$ROOT NF_BIN_DIR=$BUILD
RESULTS=$(mktemp)
export NF_RESULTS=$RESULTS
trap 'rm -f "$RESULTS"' EXIT
status=()
run() { # scenario-name script [env...]
    local name=$1 script=$2
    shift 2
    local t0=$SECONDS rc=0
    env NF_SCENARIO="$name" "$@" bash "$ROOT/tests/integration/$script" >"/tmp/nf-fault-$name.log" 2>&1 || rc=$?
    status+=("$name $rc $((SECONDS - t0))")
    [ $rc -eq 0 ] || echo "scenario $name FAILED (log: /tmp/nf-fault-$name.log)" >&2
}
if [ -n "$FULL" ]; then
    run sigkill-x50 test_kill_restart.sh NF_KILLS=50 NF_ARTICLES=20000 NF_RANDOM_KILLS=1
else
    run sigkill-x2 test_kill_restart.sh
fi
run postgres-outage test_pg_outage.sh
run broker-faults test_broker_faults.sh
run rebalance-1-3-1 test_rebalance.sh
run slow-postgres test_slow_pg.sh
run poison test_poison.sh
run sigterm test_sigterm.sh
printf '\n| scenario | published | valid ids | rows | missing | extra | rejects exp/db/DLQ | extra downstream | outbox left | exit | s |\n'
printf '|---|---|---|---|---|---|---|---|---|---|---|\n'
failed=0
for entry in "${status[@]}"; do
    read -r name rc secs <<<"$entry"
    row=$(awk -F'\t' -v n="$name" '$1 == n' "$RESULTS" | tail -1)
    if [ -n "$row" ]; then
        IFS=$'\t' read -r _ pub valid rows missing extra rej down outbox <<<"$row"
    else
        pub=-; valid=-; rows=-; missing=-; extra=-; rej=-; down=-; outbox=-
    fi
    printf '| %s | %s | %s | %s | %s | %s | %s | %s | %s | %s | %s |\n' "$name" "$pub" "$valid" \
        "$rows" "$missing" "$extra" "$rej" "$down" "$outbox" "$rc" "$secs"
    [ "$rc" -eq 0 ] || failed=1
done
exit $failed
