#!/usr/bin/env bash
# Build the wheel and the sdist (python -m build), install the wheel into a fresh temporary
# venv and encode from there, so that a file left out of the package fails here and not on a
# user's machine. Run by scripts/test.sh; alone: bash scripts/package.sh [.venv/bin/python].
#
# The fresh venv gets the wheel only (--no-deps); its dependencies (numpy, scipy, numba, and
# Pillow for the check) come from the development venv's site-packages, added as a path, so
# that nothing is downloaded. That path holds no stripjpeg (the development install is an
# editable one, whose hook is a .pth file, which a path added this way does not run), and the
# check runs outside the source tree, so the stripjpeg it imports is the wheel's.
set -euo pipefail
cd "$(dirname "$0")/.."
PYTHON=${1:-.venv/bin/python}
work=$(mktemp -d)
trap 'rm -rf "$work"' EXIT

# Built from a copy of the files git knows (tracked, or new and not ignored): a stale
# stripjpeg.egg-info or build/ in the tree would otherwise decide what the sdist holds.
mkdir "$work/src"
git ls-files -co --exclude-standard -z | tar --null -T - -cf - | tar -xf - -C "$work/src"
"$PYTHON" -m build --outdir "$work/dist" "$work/src" >"$work/build.log" 2>&1 || { cat "$work/build.log"; exit 1; }
wheel=$(ls "$work"/dist/stripjpeg-*.whl)
sdist=$(ls "$work"/dist/stripjpeg-*.tar.gz)

# Every file of the package in the source tree must be in both.
git ls-files -co --exclude-standard stripjpeg | sort >"$work/expected"
"$PYTHON" - "$wheel" "$sdist" "$work/expected" <<'EOF'
import sys, tarfile, zipfile
wheel, sdist, expected = sys.argv[1:]
expected = set(open(expected).read().split())
in_wheel = set(zipfile.ZipFile(wheel).namelist())
in_sdist = {name.split("/", 1)[1] for name in tarfile.open(sdist).getnames() if "/" in name}
missing = {"wheel": sorted(expected - in_wheel), "sdist": sorted(expected - in_sdist)}
if any(missing.values()):
    sys.exit(f"files missing from the package: {missing}")
print(f"wheel and sdist hold all {len(expected)} files of stripjpeg/")
EOF

"$PYTHON" -m venv --without-pip "$work/venv"
fresh="$work/venv/bin/python"
"$PYTHON" -m pip --quiet --python "$fresh" install --no-deps --no-index "$wheel"
site=$("$fresh" -c 'import sysconfig; print(sysconfig.get_paths()["purelib"])')
"$PYTHON" -c 'import sysconfig; print(sysconfig.get_paths()["purelib"])' >"$site/development-venv.pth"

cd "$work"
"$work/venv/bin/stripjpeg" --version
"$fresh" - "$work/venv" <<'EOF'
import importlib, importlib.metadata, io, pkgutil, sys, warnings
from pathlib import Path

import numpy as np
from PIL import Image

warnings.simplefilter("error")  # a missing numba would warn: fail instead
import stripjpeg

venv = Path(sys.argv[1]).resolve()
assert venv in Path(stripjpeg.__file__).resolve().parents, f"not the wheel's: {stripjpeg.__file__}"
assert (Path(stripjpeg.__file__).parent / "py.typed").is_file(), "py.typed is missing"
assert importlib.metadata.version("stripjpeg") == stripjpeg.__version__
requires = importlib.metadata.requires("stripjpeg")
assert any(r.startswith("numba") and "extra" not in r for r in requires), requires
for module in pkgutil.walk_packages(stripjpeg.__path__, "stripjpeg."):
    if module.name != "stripjpeg.__main__":  # that one runs the command line
        importlib.import_module(module.name)
assert stripjpeg.backends.default_name() == "numba"
y, x = np.mgrid[0:61, 0:83]
pixels = np.stack([x * 3, y * 4, (x * y) % 256], axis=2).astype(np.uint8)
buffer = io.BytesIO()
Image.fromarray(pixels).save(buffer, "JPEG", quality=90, subsampling=0, restart_marker_rows=1)
assert stripjpeg.encode(pixels, 90) == buffer.getvalue(), "not Pillow's bytes"
print(f"stripjpeg {stripjpeg.__version__} from the wheel: numba backend, Pillow's bytes")
EOF
