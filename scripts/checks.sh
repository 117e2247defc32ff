#!/usr/bin/env bash
# npm test's static checks: the type check and the linter, side by side (each keeps one core busy,
# and nothing else runs yet). Both run to the end; their output is printed one after the other, and
# either failing fails the run.
set -u
cd "$(dirname "$0")/.."
out=$(mktemp -d)
trap 'rm -rf "$out"' EXIT
npm run --silent typecheck >"$out/typecheck" 2>&1 &
typecheck=$!
npm run --silent lint >"$out/lint" 2>&1 &
lint=$!
wait "$typecheck"
typecheck_status=$?
wait "$lint"
lint_status=$?
for check in typecheck lint; do
  if [ -s "$out/$check" ]; then
    echo "── npm run $check"
    cat "$out/$check"
  fi
done
if [ "$typecheck_status" -ne 0 ] || [ "$lint_status" -ne 0 ]; then
  echo "checks failed: typecheck exited $typecheck_status, lint $lint_status" >&2
  exit 1
fi
echo "checks passed: typecheck and lint"
