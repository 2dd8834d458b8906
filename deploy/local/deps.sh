#!/usr/bin/env bash
# Installs the Debian packages newsflow needs to build, test and run its demo. Idempotent and
# silent when everything is already installed.
set -euo pipefail
PACKAGES=(build-essential cmake pkg-config librdkafka-dev libjansson-dev libicu-dev libpq-dev
          libssl-dev libcmocka-dev libmicrohttpd-dev kcat postgresql-15 postgresql-client-15
          clang-format prometheus time
          clang libclang-rt-14-dev
          libcld2-dev libexttextcat-dev libexttextcat-data)
missing=()
for pkg in "${PACKAGES[@]}"; do
    status=$(dpkg-query -W -f='${Status}' "$pkg" 2>/dev/null || true)
    [ "$status" = "install ok installed" ] || missing+=("$pkg")
done
[ ${#missing[@]} -eq 0 ] && exit 0
SUDO=
if [ "$(id -u)" -ne 0 ]; then
    command -v sudo >/dev/null || { echo "deps.sh: need root or sudo to install: ${missing[*]}" >&2; exit 1; }
    SUDO=sudo
fi
echo "deps.sh: installing ${missing[*]}"
# `env` after sudo: sudo resets the environment, so DEBIAN_FRONTEND must be set on its far side.
$SUDO env DEBIAN_FRONTEND=noninteractive apt-get update -qq
$SUDO env DEBIAN_FRONTEND=noninteractive apt-get install -y -qq --no-install-recommends "${missing[@]}" >/dev/null
