"""``stripjpeg.inspect.read_coefficients``: how fast it reads, and how it meets broken files.

Times reading a few Pillow files; then progressive and arithmetic-coded files of a
``--size`` photo mosaic (cjpeg -quality 90: -progressive, -arithmetic, -arithmetic
-progressive) read three ways: the Python textbook (``backend="numpy"``, timed once: it
takes tens of seconds), the numba kernels (``backend="numba"``, best of 3, compiled before)
and libjpeg's ``jpeg_read_coefficients`` through jpeglib (libjpeg-turbo 2.1, "turbo210",
for arithmetic coding; best of 3), in MB of file a second and relative to libjpeg; then
flips random bits in and truncates valid files many times over, and reports what each
attempt ended in (a ValueError, or a successful read of a file whose changes happened to
stay valid) and the slowest attempt.

    python benchmarks/reader.py [--attempts 20000] [--size 2048] [--no-textbook]
"""

from __future__ import annotations

import argparse
import io
import random
import subprocess
import tempfile
import time
from collections import Counter
from pathlib import Path

import jpeglib
import numpy as np
import skimage.data
from common import best_time, machine, photo_mosaic
from PIL import Image

from stripjpeg.inspect import read_coefficients, read_markers
from stripjpeg.reader import read_jpeg


def pillow(pixels: np.ndarray, **options) -> bytes:
    buffer = io.BytesIO()
    Image.fromarray(pixels).save(buffer, "JPEG", **options)
    return buffer.getvalue()


def libjpeg_read(path: Path, version: str | None) -> np.ndarray:
    """libjpeg's coefficients of the file's first component (jpeglib reads lazily: inside
    the version's block)."""
    if version is None:
        return jpeglib.read_dct(str(path)).Y
    with jpeglib.version(version):
        return jpeglib.read_dct(str(path)).Y


def progressive_and_arithmetic_speed(size: int, textbook: bool) -> None:
    """The rows of the speed table for progressive and arithmetic-coded files (module doc)."""
    pixels = photo_mosaic(size)
    ppm = f"P6\n{size} {size}\n255\n".encode() + pixels.tobytes()
    print(f"\n{size} x {size} photo mosaic, cjpeg -quality 90; {machine()}")
    with tempfile.TemporaryDirectory() as folder:
        path = Path(folder) / "read.jpg"
        for switches, version in ((["-progressive"], None), (["-arithmetic"], "turbo210"),
                                  (["-arithmetic", "-progressive"], "turbo210")):
            data = subprocess.run(["cjpeg", "-quality", "90", *switches], input=ppm,
                                  capture_output=True, check=True).stdout
            path.write_bytes(data)
            fast = read_jpeg(data, backend="numba")  # compiles (or loads) the kernels
            assert np.array_equal(fast.coefficients[0], libjpeg_read(path, version))
            times = {"libjpeg": best_time(lambda v=version: libjpeg_read(path, v), 3),
                     "numba": best_time(lambda d=data: read_jpeg(d, backend="numba"), 3)}
            if textbook:
                started = time.perf_counter()
                slow = read_jpeg(data, backend="numpy")
                times["textbook"] = time.perf_counter() - started
                assert all(np.array_equal(a, b) for a, b in zip(slow.coefficients, fast.coefficients))
            label = f"cjpeg {' '.join(switches)} ({len(data):,} bytes)"
            for name in ("textbook", "numba", "libjpeg"):
                if name in times:
                    seconds = times[name]
                    print(f"  {label:<46} {name:<9} {seconds:8.3f} s {len(data) / seconds / 1e6:7.2f} "
                          f"MB/s  {times['libjpeg'] / seconds:7.3f} x libjpeg's speed")


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__,
                                     formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--attempts", type=int, default=20000)
    parser.add_argument("--size", type=int, default=2048, help="the photo mosaic's side, pixels")
    parser.add_argument("--no-textbook", action="store_true",
                        help="skip the textbook's reads of the mosaic (tens of seconds each)")
    args = parser.parse_args()
    photo = skimage.data.astronaut()
    for options in (dict(quality=100, subsampling="4:4:4"), dict(quality=75, subsampling="4:2:0"),
                    dict(quality=75, subsampling="4:2:0", optimize=True, restart_marker_rows=1)):
        data = pillow(photo, **options)
        seconds = best_time(lambda d=data: read_coefficients(d), 3)
        print(f"read_coefficients, 512 x 512 {options}: {len(data):,} bytes in {seconds:.2f} s")
    progressive_and_arithmetic_speed(args.size, not args.no_textbook)

    small = np.ascontiguousarray(photo[:40, :56])
    valid = [pillow(small, quality=85, subsampling="4:2:0", restart_marker_rows=1),
             pillow(small, quality=100, subsampling="4:4:4", optimize=True),
             pillow(small, quality=50, subsampling="4:2:2", restart_marker_rows=2)]
    rng = random.Random(1)
    outcomes: Counter[str] = Counter()
    slowest = 0.0
    for _ in range(args.attempts):
        data = bytearray(rng.choice(valid))
        for _ in range(rng.randint(1, 6)):
            data[rng.randrange(len(data))] ^= 1 << rng.randrange(8)
        if rng.random() < 0.3:
            data = data[:rng.randrange(2, len(data))]
        for reader in (read_coefficients, read_markers):
            started = time.perf_counter()
            try:
                reader(bytes(data))
                outcomes[f"{reader.__name__}: read"] += 1
            except ValueError:
                outcomes[f"{reader.__name__}: ValueError"] += 1
            except Exception as error:  # a bug: anything but ValueError
                outcomes[f"{reader.__name__}: {type(error).__name__} (BUG)"] += 1
            slowest = max(slowest, time.perf_counter() - started)
    print(f"\n{args.attempts} corrupted or truncated files (1-6 bit flips, 30% also cut short):")
    for outcome, count in sorted(outcomes.items()):
        print(f"  {outcome:<40} {count:>6}")
    print(f"  slowest attempt: {slowest * 1000:.1f} ms")


if __name__ == "__main__":
    main()
