#!/usr/bin/env bash
# Installs what the test suite needs beyond npm packages, from Debian's packages: Chromium's
# headless shell (the preview's end-to-end test drives it; it is the build Playwright itself runs
# headless tests on, without the desktop browser's UI processes, and costs the test less than half
# the CPU), and CJK fonts (without them every Chinese character in the preview and its screenshots
# is an empty box) with fontconfig, whose fc-list tells whether they are there. Each is installed
# when it is missing, whether or not the others are there. Safe to run again.
set -euo pipefail

missing=()
command -v chromium-headless-shell >/dev/null 2>&1 || missing+=(chromium-headless-shell)
command -v fc-list >/dev/null 2>&1 || missing+=(fontconfig)
if ! command -v fc-list >/dev/null 2>&1 || [ -z "$(fc-list :lang=zh family 2>/dev/null)" ]; then
  missing+=(fonts-noto-cjk)
fi
if [ "${#missing[@]}" -eq 0 ]; then
  exit 0
fi
if [ "$(id -u)" -ne 0 ]; then
  echo "missing: ${missing[*]}. Install with: sudo apt-get update && sudo apt-get install -y ${missing[*]}" >&2
  exit 1
fi
echo "installing ${missing[*]} from Debian's packages…"
export DEBIAN_FRONTEND=noninteractive
apt-get update -qq
apt-get install -y -qq --no-install-recommends "${missing[@]}" >/dev/null
command -v chromium-headless-shell >/dev/null
[ -n "$(fc-list :lang=zh family)" ]
