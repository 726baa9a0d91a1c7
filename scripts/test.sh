#!/usr/bin/env bash
# The test command: set up (see setup.sh), lint, then run the whole test suite
# (including the notebooks). Exits non-zero on any failure.
set -euo pipefail
cd "$(dirname "$0")/.."
bash scripts/setup.sh
.venv/bin/ruff check .
.venv/bin/python -m pytest "$@"
