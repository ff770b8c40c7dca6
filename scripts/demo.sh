#!/usr/bin/env bash
# Set up (scripts/setup.sh), then run the main job on the bundled sample data.
set -euo pipefail
cd "$(dirname "$0")/.."
bash scripts/setup.sh
PERIOD=${PERIOD:-2024-06}
# The sample carries planted defects, so validate exits 1 (errors found); that is expected.
status=0
.venv/bin/evalkit validate data/sample || status=$?
if [ "$status" -gt 1 ]; then exit "$status"; fi
echo "[demo] validate finished (exit $status: 1 means the planted defects were found)"
