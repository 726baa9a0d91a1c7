"""Peak memory of a streaming encode: does it stay bounded however tall the image?

Each case runs in a fresh process: it imports stripjpeg, warms the backend up (so the
baseline includes numba's compiled kernels), notes its peak RSS, then encodes a
``width x height`` RGB image from a generator of 64-row pieces into a file, and reports
how much the peak RSS rose. Pillow, for comparison, needs the whole image in memory
(width x height x 3 bytes) before it can start.

    python benchmarks/memory.py                            # 8192 x 1024 and 8192 x 32768
    python benchmarks/memory.py --progressive              # the same, progressive (spooled)
    python benchmarks/memory.py --heights 1024 4096 --backend numpy

A progressive stream keeps every quantized block in the spool: up to its budget (32 MiB) in
memory, the rest in a temporary file (here in the system temporary directory, so the disk needs
6 bytes per pixel: 1.6 GB at 8192 x 32768).
"""

from __future__ import annotations

import argparse
import json
import subprocess
import sys
from pathlib import Path

CHILD = r"""
import json, os, resource, sys, tempfile, time
import numpy as np
import stripjpeg
from stripjpeg.examples import example_rows

width, height, backend, quality = int(sys.argv[1]), int(sys.argv[2]), sys.argv[3], int(sys.argv[4])
progressive = sys.argv[5] == "progressive"
backend = None if backend == "default" else backend
# A few distinct 64-row pieces of the example picture, cycled (generating is not what we measure).
pieces = [example_rows(64 * i, 64, width, 1024) for i in range(16)]
# warm-up: load/compile the kernels
stripjpeg.encode(pieces[0][:16, :256], backend=backend, progressive=progressive)
baseline = resource.getrusage(resource.RUSAGE_SELF).ru_maxrss

def rows():
    for index, start in enumerate(range(0, height, 64)):
        yield pieces[index % len(pieces)][:min(64, height - start)]

with tempfile.TemporaryDirectory() as folder:
    path = os.path.join(folder, "big.jpg")
    started = time.perf_counter()
    with stripjpeg.Encoder(path, width, height, mode="RGB", backend=backend, quality=quality,
                           progressive=progressive) as encoder:
        for piece in rows():
            encoder.write(piece)
    seconds = time.perf_counter() - started
    size = os.path.getsize(path)
peak = resource.getrusage(resource.RUSAGE_SELF).ru_maxrss
print(json.dumps({"baseline_kb": baseline, "peak_kb": peak, "bytes": size, "seconds": seconds,
                  "backend": stripjpeg.backends.get(backend).name}))
"""


def measure(width: int, height: int, backend: str, quality: int, progressive: bool = False) -> dict:
    root = Path(__file__).resolve().parent.parent
    result = subprocess.run([sys.executable, "-c", CHILD, str(width), str(height), backend, str(quality),
                             "progressive" if progressive else "baseline"],
                            capture_output=True, text=True, check=True, cwd=root)
    return json.loads(result.stdout)


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__,
                                     formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--width", type=int, default=8192)
    parser.add_argument("--heights", type=int, nargs="+", default=[1024, 32768])
    parser.add_argument("--backend", default="default")
    parser.add_argument("--quality", type=int, default=90)
    parser.add_argument("--progressive", action="store_true", help="progressive JPEG (spooled)")
    args = parser.parse_args()

    print(f"{'image':>13} {'megapixels':>10} {'RGB in RAM':>11} {'peak RSS rise':>14} {'output':>10} "
          f"{'seconds':>8} {'MP/s':>6}  backend")
    for height in args.heights:
        row = measure(args.width, height, args.backend, args.quality, args.progressive)
        megapixels = args.width * height / 1e6
        rise = (row["peak_kb"] - row["baseline_kb"]) / 1024
        print(f"{args.width:>6}x{height:<6} {megapixels:>10.1f} {megapixels * 3:>8.0f} MB {rise:>11.1f} MB "
              f"{row['bytes'] / 1e6:>7.1f} MB {row['seconds']:>8.1f} {megapixels / row['seconds']:>6.1f}  "
              f"{row['backend']}", flush=True)


if __name__ == "__main__":
    main()
