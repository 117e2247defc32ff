#!/usr/bin/env bash
# npm run typecheck: each TypeScript project of the repository, checked without emitting. The
# checks are incremental (tsc's own build info, under node_modules/.cache/typecheck), so a second
# run re-checks only what changed and what depends on it; a fresh clone checks everything.
set -euo pipefail
cd "$(dirname "$0")/.."
cache=node_modules/.cache/typecheck
mkdir -p "$cache"
status=0
for project in tsconfig.json miniprogram/tsconfig.json test/miniprogram/tsconfig.json local/preview/browser/tsconfig.json; do
  name=$(dirname "$project" | tr '/.' '-_')
  node_modules/.bin/tsc -p "$project" --noEmit --incremental --tsBuildInfoFile "$cache/$name.tsbuildinfo" || status=1
done
exit "$status"
