"""Decoding speed against Pillow (libjpeg-turbo), on the same file, in one run.

A photo mosaic (``common.photo_mosaic``) encoded by stripjpeg at q90 with its defaults (a
restart marker after each MCU row), at 4:4:4 and 4:2:0; also the same pixels as Pillow
writes them (no restart markers: stripjpeg's entropy decoding is then serial). Each file is
decoded by Pillow (``Image.open(...).load()``, the bytes in memory), by ``stripjpeg.decode``
with default workers and with ``workers=1``; the three are timed interleaved, round after
round, and the best of ``--repeats`` rounds is kept, so that ratios come from the same
conditions. Before timing, each decode's pixels are checked equal to Pillow's.

    python benchmarks/decode.py                        # 4096x4096, numba backend
    python benchmarks/decode.py --size 2048 --repeats 5
"""

from __future__ import annotations

import argparse
import io
import time

import numpy as np
from common import machine, photo_mosaic, pillow_encode
from PIL import Image

import stripjpeg
from stripjpeg.scheduler import default_workers


def pillow_decode(data: bytes) -> np.ndarray:
    with Image.open(io.BytesIO(data)) as image:
        image.load()
        return np.asarray(image)


def timed(function, *args, **kwargs) -> float:
    start = time.perf_counter()
    function(*args, **kwargs)
    return time.perf_counter() - start


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--size", type=int, default=4096, help="image side in pixels (default 4096)")
    parser.add_argument("--repeats", type=int, default=5, help="interleaved rounds (default 5)")
    parser.add_argument("--backend", default="numba", help="stripjpeg backend (default numba)")
    args = parser.parse_args()

    pixels = photo_mosaic(args.size)
    files = {}
    for subsampling in ("4:4:4", "4:2:0"):
        files[f"q90 {subsampling} restart rows"] = stripjpeg.encode(pixels, 90, subsampling=subsampling)
        files[f"q90 {subsampling} Pillow's file"] = pillow_encode(pixels, quality=90,
                                                                 subsampling=subsampling)
    megapixels = args.size * args.size / 1e6
    print(f"{machine()}; {args.size}x{args.size}, {megapixels:.1f} MP, backend {args.backend}, "
          f"default workers = {default_workers()}; best of {args.repeats} interleaved rounds")
    print(f"{'file':<30} {'Pillow MP/s':>11} {'default MP/s':>12} {'ratio':>6} "
          f"{'workers=1 MP/s':>14} {'ratio':>6}")
    for name, data in files.items():
        expected = pillow_decode(data)
        for workers in (None, 1):  # check the pixels, and compile or load the kernels
            got = stripjpeg.decode(data, workers=workers, backend=args.backend)
            assert np.array_equal(got, expected), f"{name}: pixels differ from Pillow's"
        best = {"pillow": float("inf"), "default": float("inf"), "one": float("inf")}
        for _ in range(args.repeats):
            best["pillow"] = min(best["pillow"], timed(pillow_decode, data))
            best["default"] = min(best["default"], timed(stripjpeg.decode, data, backend=args.backend))
            best["one"] = min(best["one"], timed(stripjpeg.decode, data, workers=1,
                                                 backend=args.backend))
        rate = {key: megapixels / seconds for key, seconds in best.items()}
        print(f"{name:<30} {rate['pillow']:>11.1f} {rate['default']:>12.1f} "
              f"{rate['default'] / rate['pillow']:>5.2f}x {rate['one']:>14.1f} "
              f"{rate['one'] / rate['pillow']:>5.2f}x")


if __name__ == "__main__":
    main()
