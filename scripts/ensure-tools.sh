#!/usr/bin/env bash
# Installs the heavy tools that stay out of the root package.json: each tools/<name> folder has its
# own package.json and package-lock.json and is installed with `npm ci --ignore-scripts` (none of
# what we use needs an install script). Does nothing when the folder matches its lockfile already.
#   bash scripts/ensure-tools.sh wechat   # miniprogram-ci, miniprogram-compiler (npm test's compile check, npm run upload)
#   bash scripts/ensure-tools.sh node18   # Node 18.15.0, the CloudBase runtime the tests run the functions on
#   bash scripts/ensure-tools.sh deploy   # @cloudbase/manager-node (npm run deploy)
set -euo pipefail
cd "$(dirname "$0")/.."
[ "$#" -gt 0 ] || set -- wechat
for tool in "$@"; do
  dir="tools/$tool"
  if [ ! -f "$dir/package-lock.json" ]; then
    echo "ensure-tools: no $dir/package-lock.json (tools are: $(ls tools | tr '\n' ' '))" >&2
    exit 1
  fi
  want=$(sha256sum "$dir/package-lock.json" | cut -d' ' -f1)
  stamp="$dir/node_modules/.installed-from-lock"
  if [ -f "$stamp" ] && [ "$(cat "$stamp")" = "$want" ]; then
    continue
  fi
  echo "ensure-tools: installing $dir (npm ci --ignore-scripts)…"
  npm ci --prefix "$dir" --ignore-scripts --no-audit --no-fund --loglevel=error
  echo "$want" > "$stamp"
done
