#!/usr/bin/env bash
# The test command: set up (see setup.sh), lint, then run the whole test suite
# (including the notebooks), then build the documentation site from the notebooks the suite
# executed (scripts/docs.sh, warnings as errors, about 10 s), then build the wheel and the sdist and encode from the wheel
# installed in a fresh venv (scripts/package.sh, about 30 s). Exits non-zero on any failure, and on any skip that
# tests/conftest.py does not list in ALLOWED_SKIPS (docs/testing.md).
set -euo pipefail
cd "$(dirname "$0")/.."
bash scripts/setup.sh
.venv/bin/ruff check .
STRIPJPEG_NO_SKIP=1 .venv/bin/python -m pytest "$@"
# The site takes the executed notebooks tests/test_notebooks.py wrote to build/notebooks/.
bash scripts/docs.sh
# The stage tests, each backend's stages and the kernel-vs-reference tests again with the Numba
# kernels run as plain Python (as stumpy measures coverage): JIT on = JIT off. Left out: the
# tests of compilation itself, and the whole-image encodes, which take minutes without the JIT
# (about 45 s in all).
STRIPJPEG_NO_SKIP=1 NUMBA_DISABLE_JIT=1 .venv/bin/python -m pytest -q tests/test_stages.py tests/test_numba.py \
    tests/test_backend_stages.py tests/test_progressive_coder.py \
    -k "not compiles and not workers_give and not worst_case_buffer and not on_every_backend and not whole_file"
# The package as users get it: a file left out of the wheel or the sdist fails here.
bash scripts/package.sh .venv/bin/python
