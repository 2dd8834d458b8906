#!/usr/bin/env bash
# Structural checks of deploy/ (see tests/deploy/check_deploy.py).
set -euo pipefail
: "${NF_SOURCE_DIR:=$(cd "$(dirname "$0")/../.." && pwd)}"
: "${NF_BIN_DIR:=$NF_SOURCE_DIR/build}"
/usr/bin/python3 "$NF_SOURCE_DIR/tests/deploy/check_deploy.py" "$NF_SOURCE_DIR" "$NF_BIN_DIR/newsflow"
