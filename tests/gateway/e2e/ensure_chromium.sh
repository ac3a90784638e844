#!/usr/bin/env bash
# Makes sure Debian's chromium is installed for the status page test: installs the Debian
# package when it is absent (as root), never downloads a browser from anywhere else.
set -euo pipefail
command -v chromium >/dev/null && exit 0
if [ "$(id -u)" -ne 0 ]; then
  echo "ensure_chromium: chromium is not installed; run scripts/install-deps.sh as root" >&2
  exit 1
fi
export DEBIAN_FRONTEND=noninteractive
apt-get update -qq
apt-get install -y -qq --no-install-recommends chromium >/dev/null
command -v chromium >/dev/null
