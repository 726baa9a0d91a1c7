"""The NumPy backend against jpeg-js, the pure-JavaScript encoder, on the same pixels in one run.

jpeg-js is what the NumPy backend is measured against (the issue's goal: at least its speed).
This script needs Node.js and npm; it installs the jpeg-js package into a temporary folder
(or uses ``--jpeg-js DIR``, a folder whose ``node_modules`` holds it), writes the photo
mosaic as raw RGBA for it, and times both encoders in turns, best of ``--repeats``.

jpeg-js writes 4:4:4 only (every component sampled 1x1), so it is timed at q100 and q75 4:4:4;
the NumPy backend is also timed at q75 4:2:0, the issue's second setting.

    python benchmarks/jpegjs.py
    python benchmarks/jpegjs.py --size 1024 --repeats 5
"""

from __future__ import annotations

import argparse
import json
import shutil
import subprocess
import tempfile
from pathlib import Path

import numpy as np
from common import best_time, machine, photo_mosaic

import stripjpeg

NODE_SCRIPT = r"""
const fs = require("fs");
const jpeg = require("jpeg-js");
const [path, width, height, quality, repeats] = process.argv.slice(2);
const image = {data: fs.readFileSync(path), width: Number(width), height: Number(height)};
jpeg.encode(image, Number(quality));  // warm-up (the JIT)
let best = Infinity, size = 0;
for (let i = 0; i < Number(repeats); i++) {
  const start = process.hrtime.bigint();
  size = jpeg.encode(image, Number(quality)).data.length;
  best = Math.min(best, Number(process.hrtime.bigint() - start) / 1e9);
}
console.log(JSON.stringify({seconds: best, bytes: size}));
"""


def install_jpeg_js(folder: Path) -> str:
    """Install the jpeg-js package into ``folder``; return its version."""
    subprocess.run(["npm", "install", "--silent", "--no-audit", "--no-fund", "--prefix", str(folder),
                    "jpeg-js"], check=True, capture_output=True)
    return json.loads((folder / "node_modules" / "jpeg-js" / "package.json").read_text())["version"]


def time_jpeg_js(folder: Path, rgba_path: Path, size: int, quality: int, repeats: int) -> float:
    script = folder / "encode.js"
    script.write_text(NODE_SCRIPT)
    result = subprocess.run(["node", str(script), str(rgba_path), str(size), str(size), str(quality),
                             str(repeats)], cwd=folder, check=True, capture_output=True, text=True)
    return json.loads(result.stdout)["seconds"]


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__,
                                     formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--size", type=int, default=2048)
    parser.add_argument("--repeats", type=int, default=3)
    parser.add_argument("--jpeg-js", type=Path, help="a folder whose node_modules has jpeg-js")
    args = parser.parse_args()
    if shutil.which("node") is None or (args.jpeg_js is None and shutil.which("npm") is None):
        raise SystemExit("this benchmark needs Node.js and npm (apt-get install nodejs npm)")
    pixels = photo_mosaic(args.size)
    megapixels = args.size ** 2 / 1e6
    with tempfile.TemporaryDirectory() as temporary:
        folder = args.jpeg_js or Path(temporary)
        version = install_jpeg_js(folder) if args.jpeg_js is None else "as installed"
        rgba = np.dstack([pixels, np.full(pixels.shape[:2], 255, np.uint8)])
        rgba_path = Path(temporary) / "mosaic.rgba"
        rgba_path.write_bytes(rgba.tobytes())
        node = subprocess.run(["node", "--version"], capture_output=True, text=True).stdout.strip()
        print(f"machine: {machine()}; node {node}, jpeg-js {version}; {args.size}x{args.size} photo mosaic")
        cases = {
            "q100 4:4:4": (dict(quality=100, subsampling="4:4:4"), 100),
            "q75 4:4:4": (dict(quality=75, subsampling="4:4:4"), 75),
            "q75 4:2:0": (dict(quality=75, subsampling="4:2:0"), None),
        }
        best: dict[tuple[str, str], float] = {}
        for _ in range(2):  # in turns: the machine's speed drifts
            for label, (options, js_quality) in cases.items():
                seconds = best_time(lambda o=options: stripjpeg.encode(pixels, backend="numpy", **o),
                                    args.repeats)
                best["numpy", label] = min(best.get(("numpy", label), float("inf")), seconds)
                if js_quality is not None:
                    seconds = time_jpeg_js(folder, rgba_path, args.size, js_quality, args.repeats)
                    best["jpeg-js", label] = min(best.get(("jpeg-js", label), float("inf")), seconds)
    print(f"{'setting':<11} {'jpeg-js MP/s':>12} {'numpy MP/s':>11} {'numpy / jpeg-js':>16}")
    for label in cases:
        numpy_rate = megapixels / best["numpy", label]
        if ("jpeg-js", label) in best:
            js_rate = megapixels / best["jpeg-js", label]
            print(f"{label:<11} {js_rate:>12.1f} {numpy_rate:>11.1f} {numpy_rate / js_rate:>15.2f}x")
        else:
            print(f"{label:<11} {'(4:4:4 only)':>12} {numpy_rate:>11.1f} {'-':>16}")


if __name__ == "__main__":
    main()
