#!/usr/bin/env bash
# Create .venv (if missing) and install stripjpeg with everything the tests, notebooks and
# benchmarks use; install the strict decoders (djpeg, jpeginfo, ffmpeg) the tests run, and a C
# compiler with libjpeg's headers (for the 12-bit DCT oracle).
# Idempotent: a second run only checks.
set -euo pipefail
cd "$(dirname "$0")/.."

PYTHON=${PYTHON:-python3}
if [ ! -x .venv/bin/python ]; then
  "$PYTHON" -m venv .venv
fi
.venv/bin/python -m pip install --quiet --upgrade pip
.venv/bin/python -m pip install --quiet -e ".[dev]"

need=()
command -v djpeg >/dev/null || need+=(libjpeg-turbo-progs)
command -v jpeginfo >/dev/null || need+=(jpeginfo)
command -v ffmpeg >/dev/null || need+=(ffmpeg)
# tests/test_twelve_bit_dct.py compiles a small C program against libjpeg's headers.
command -v cc >/dev/null || need+=(gcc)
[ -f /usr/include/jpeglib.h ] || need+=(libjpeg62-turbo-dev)
if [ ${#need[@]} -gt 0 ]; then
  sudo=""
  [ "$(id -u)" -eq 0 ] || sudo="sudo"
  echo "installing decoders for the tests: ${need[*]}"
  $sudo apt-get update -qq
  DEBIAN_FRONTEND=noninteractive $sudo apt-get install -y -qq "${need[@]}" >/dev/null
fi
