"""``stripjpeg.inspect.read_coefficients``: how fast it reads, and how it meets broken files.

Times reading a few Pillow files, then flips random bits in and truncates valid files many
times over, and reports what each attempt ended in (a ValueError, or a successful read of a
file whose changes happened to stay valid) and the slowest attempt.

    python benchmarks/reader.py [--attempts 20000]
"""

from __future__ import annotations

import argparse
import io
import random
import time
from collections import Counter

import numpy as np
import skimage.data
from common import best_time
from PIL import Image

from stripjpeg.inspect import read_coefficients, read_markers


def pillow(pixels: np.ndarray, **options) -> bytes:
    buffer = io.BytesIO()
    Image.fromarray(pixels).save(buffer, "JPEG", **options)
    return buffer.getvalue()


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__,
                                     formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--attempts", type=int, default=20000)
    args = parser.parse_args()
    photo = skimage.data.astronaut()
    for options in (dict(quality=100, subsampling="4:4:4"), dict(quality=75, subsampling="4:2:0"),
                    dict(quality=75, subsampling="4:2:0", optimize=True, restart_marker_rows=1)):
        data = pillow(photo, **options)
        seconds = best_time(lambda d=data: read_coefficients(d), 3)
        print(f"read_coefficients, 512 x 512 {options}: {len(data):,} bytes in {seconds:.2f} s")

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
