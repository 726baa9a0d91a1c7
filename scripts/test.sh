#!/usr/bin/env bash
# The test command: set up (see setup.sh), lint, then run the whole test suite
# (including the notebooks). Exits non-zero on any failure, and on any skip that
# tests/conftest.py does not list in ALLOWED_SKIPS (docs/testing.md).
set -euo pipefail
cd "$(dirname "$0")/.."
bash scripts/setup.sh
.venv/bin/ruff check .
STRIPJPEG_NO_SKIP=1 .venv/bin/python -m pytest "$@"
