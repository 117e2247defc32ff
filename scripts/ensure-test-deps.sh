#!/usr/bin/env bash
# Installs what the test suite and the browser preview need beyond npm packages, from Debian's
# packages: Chromium (the preview's end-to-end test drives it) and CJK fonts (without them every
# Chinese character in the preview and its screenshots is an empty box). Each is installed when it
# is missing, whether or not the other is there. Safe to run again.
set -euo pipefail

missing=()
command -v chromium >/dev/null 2>&1 || missing+=(chromium)
# fc-list comes with fontconfig, which Chromium depends on; without it the fonts are surely missing too.
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
command -v chromium >/dev/null
[ -n "$(fc-list :lang=zh family)" ]
