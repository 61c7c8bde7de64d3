#!/usr/bin/env bash
# The test command (npm test): native unit + parity tests via ctest, then the wasm build's tests
# under Node's test runner. Shared assets come from BERTOLOGY_SHARED (default ../shared).
set -euo pipefail
cd "$(dirname "$0")/.."
export BERTOLOGY_SHARED="${BERTOLOGY_SHARED:-$(cd .. && pwd)/shared}"
[ -d "$BERTOLOGY_SHARED" ] || echo "test: shared assets not found at $BERTOLOGY_SHARED; tests that need them will skip"

# BERT relative_key fixtures: model + reference from the torch oracle (not tracked in git).
/usr/bin/python3 tools/bert_relative_oracle.py >/dev/null

(cd build/native && ctest --output-on-failure -j2)
(cd build/wasm && ctest --output-on-failure)
node --test --test-concurrency=1 tests/js/ tests/bundlers/ tests/browser/ tests/extension/ tests/demo/
