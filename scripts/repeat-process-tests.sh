#!/usr/bin/env bash
# Runs the process tests (the `process` vitest project) N times in a row and stops at the first failing run,
# to show they do not flake. `npm run test:process-5x` builds once, then calls this with N=5.
# Extra arguments go to vitest (e.g. a file filter: scripts/repeat-process-tests.sh 3 test/e2e).
set -euo pipefail
cd "$(dirname "$0")/.."

runs="${1:-5}"
shift || true
if ! [[ "$runs" =~ ^[1-9][0-9]*$ ]]; then
  echo "usage: $0 [RUNS] [vitest arguments…]  (RUNS a positive integer, got '$runs')" >&2
  exit 2
fi
if [ ! -f dist/cli/ktrdr.js ]; then
  echo "dist/cli/ktrdr.js (the ktrdr bin) is missing: run \`npm run build\` first (npm run test:process-5x does)" >&2
  exit 1
fi

for run in $(seq 1 "$runs"); do
  echo "==== process tests: run $run of $runs ($(date -u +%H:%M:%SZ)) ===="
  if ! npx vitest run --project process "$@"; then
    echo "==== process tests failed on run $run of $runs ====" >&2
    exit 1
  fi
done
echo "==== process tests passed $runs runs in a row ===="
