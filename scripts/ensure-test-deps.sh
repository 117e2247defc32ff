#!/usr/bin/env bash
# Installs what the test suite needs beyond npm packages: Chromium from Debian's packages, for the
# browser preview's end-to-end test. Safe to run again; does nothing when Chromium is there.
set -euo pipefail
if command -v chromium >/dev/null 2>&1; then
  exit 0
fi
if [ "$(id -u)" -ne 0 ]; then
  echo "Chromium is missing. Install it with: sudo apt-get update && sudo apt-get install -y chromium" >&2
  exit 1
fi
echo "installing Chromium from Debian's packages (apt-get install chromium)…"
export DEBIAN_FRONTEND=noninteractive
apt-get update -qq
apt-get install -y -qq --no-install-recommends chromium fonts-noto-cjk >/dev/null
command -v chromium >/dev/null
