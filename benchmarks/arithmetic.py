"""Arithmetic coding (``arithmetic=True``) against ``cjpeg -arithmetic``: the same bytes, and
the speed, on a 512 x 512 photo crop with a restart marker every MCU row.

    python benchmarks/arithmetic.py                   # q75 4:2:0 and q90 4:4:4, default backend
    python benchmarks/arithmetic.py --backend numpy   # the Python coder of stages/arithmetic.py
    python benchmarks/arithmetic.py --size 256        # a smaller crop

Each line checks the bytes against cjpeg's, then times, interleaved ``--repeats`` times, cjpeg's
whole process (the PPM piped to it) and one whole encode of ours (transform and coder) with
one worker and with two; it prints the medians and cjpeg's time over ours (above 1: faster
than cjpeg). cjpeg is single-threaded; our restart intervals are coded in parallel. The numba
backend's coder is the kernel of backends/numba_arithmetic.py, the numpy backend's the Python
one (docs/arithmetic.md).
"""

from __future__ import annotations

import argparse
import statistics
import subprocess
import time
from pathlib import Path

import numpy as np
from PIL import Image

import stripjpeg

SETTINGS = (("q75 4:2:0", 75, "4:2:0", "2x2"), ("q90 4:4:4", 90, "4:4:4", "1x1"))


def photo(size: int) -> np.ndarray:
    """A ``size`` x ``size`` crop of scikit-image's astronaut photo."""
    data_dir = Path(__import__("skimage").data.__file__).parent
    pixels = np.asarray(Image.open(next(data_dir.glob("astronaut.*"))).convert("RGB"))
    return np.ascontiguousarray(pixels[:size, :size])


def cjpeg_arithmetic(ppm: bytes, quality: int, sample: str, restart_rows: int = 0,
                     progressive: bool = False) -> bytes:
    """cjpeg's ``-arithmetic`` file of the PPM ``ppm`` (piped to its standard input, so the
    time is the process and its coding, no file read)."""
    switches = ["-arithmetic", "-quality", str(quality), "-sample", sample]
    switches += ["-restart", str(restart_rows)] if restart_rows else []
    switches += ["-progressive"] if progressive else []
    return subprocess.run(["cjpeg", *switches], input=ppm, capture_output=True, check=True).stdout


def ppm_bytes(pixels: np.ndarray) -> bytes:
    """A binary PPM (P6) of RGB pixels, or PGM (P5) of grey."""
    magic = b"P5" if pixels.ndim == 2 else b"P6"
    return magic + f"\n{pixels.shape[1]} {pixels.shape[0]}\n255\n".encode() + pixels.tobytes()


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--size", type=int, default=512)
    parser.add_argument("--repeats", type=int, default=11)
    parser.add_argument("--backend", default=None, help="a backend name (default: the default)")
    args = parser.parse_args()
    pixels = photo(args.size)
    print(f"backend {args.backend or stripjpeg.backends.default_name()}, {args.size} x {args.size}")
    ppm = ppm_bytes(pixels)
    for progressive in (False, True):
        for name, quality, subsampling, sample in SETTINGS:
            theirs = cjpeg_arithmetic(ppm, quality, sample, 1, progressive)
            for workers in (1, 2):  # a first call loads the kernels, starts the threads
                stripjpeg.encode(pixels, quality=quality, subsampling=subsampling, restart_rows=1,
                                 arithmetic=True, workers=workers, progressive=progressive,
                                 backend=args.backend)
            times: dict[str, list[float]] = {"cjpeg": [], "1": [], "2": []}
            for _ in range(args.repeats):
                start = time.perf_counter()
                cjpeg_arithmetic(ppm, quality, sample, 1, progressive)
                times["cjpeg"].append(time.perf_counter() - start)
                for workers in (1, 2):
                    start = time.perf_counter()
                    ours = stripjpeg.encode(pixels, quality=quality, subsampling=subsampling,
                                            restart_rows=1, arithmetic=True, workers=workers,
                                            progressive=progressive, backend=args.backend)
                    times[str(workers)].append(time.perf_counter() - start)
                    assert ours == theirs, name
            cjpeg, one, two = (statistics.median(times[k]) for k in ("cjpeg", "1", "2"))
            kind = "progressive" if progressive else "sequential "
            print(f"{kind} {name}: {len(ours):7d} bytes, cjpeg {cjpeg * 1000:5.1f} ms, "
                  f"stripjpeg 1 worker {one * 1000:6.1f} ms ({cjpeg / one:4.2f}x cjpeg), "
                  f"2 workers {two * 1000:6.1f} ms ({cjpeg / two:4.2f}x cjpeg)")


if __name__ == "__main__":
    main()
