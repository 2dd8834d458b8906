#!/usr/bin/env bash
# promtool: the alert rules and the scrape config are valid, and every alert fires (and stays
# quiet) as tests/prometheus/alerts_test.yml expects.
set -euo pipefail
: "${NF_SOURCE_DIR:=$(cd "$(dirname "$0")/../.." && pwd)}"
promtool check rules "$NF_SOURCE_DIR/deploy/prometheus/alerts.yml"
promtool check config --syntax-only "$NF_SOURCE_DIR/deploy/prometheus/prometheus.yml"
cd "$NF_SOURCE_DIR/tests/prometheus"
promtool test rules alerts_test.yml
