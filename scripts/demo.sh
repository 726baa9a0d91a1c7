#!/usr/bin/env bash
# The main job on the built-in example: set up, then encode a generated 4096 x 4096 image
# strip by strip into example.jpg and check it against Pillow.
set -euo pipefail
cd "$(dirname "$0")/.."
bash scripts/setup.sh
.venv/bin/stripjpeg example -o example.jpg "$@"
