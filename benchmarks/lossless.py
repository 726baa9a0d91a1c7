"""Lossless JPEG (SOF3) throughput against libjpeg-turbo 3.1 (imagecodecs), on the same pixels.

A photo mosaic (scikit-image's photos tiled, not scaled), 8-bit RGB and the same as 12-bit
samples (each sample times 16, plus a ramp in the low bits); predictor 1 and 6. Each row first
checks that stripjpeg writes imagecodecs' bytes (``restart_rows=0``, as libjpeg writes the
file), then times both, best of ``--repeats``, one thread each (a scan without restart markers is
one bit stream, coded in order). A last row per image is stripjpeg with a restart marker every
8 rows on 2 threads (the intervals are independent): another file, so it is checked by
decoding it with libjpeg-turbo instead, against the pixels.

    python benchmarks/lossless.py                    # 1024², numba and numpy
    python benchmarks/lossless.py --size 2048 --backends numba
"""

from __future__ import annotations

import argparse
import functools

import numpy as np
from common import best_time, machine, photo_mosaic

import stripjpeg


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    parser.add_argument("--size", type=int, default=1024)
    parser.add_argument("--backends", default="numba,numpy")
    parser.add_argument("--repeats", type=int, default=3)
    args = parser.parse_args()
    import imagecodecs

    rgb = photo_mosaic(args.size)
    low_bits = (np.arange(args.size, dtype=np.uint16) % 16)[np.newaxis, :, np.newaxis]
    images = {8: rgb, 12: rgb.astype(np.uint16) * 16 + low_bits}
    print(machine())
    print(f"{'image':>16} {'predictor':>9} {'peer s':>8} {'backend':>8} {'ours s':>8} {'x peer':>7}")
    for precision, pixels in images.items():
        for predictor in (1, 6):
            peer = functools.partial(imagecodecs.jpeg8_encode, pixels, lossless=True,
                                     predictor=predictor, bitspersample=precision)
            expected = peer()
            peer_time = best_time(peer, args.repeats)
            for backend in args.backends.split(","):
                ours = functools.partial(stripjpeg.encode, pixels, lossless=True, predictor=predictor,
                                         precision=precision, restart_rows=0, backend=backend)
                if ours() != expected:
                    raise SystemExit(f"{backend}: not imagecodecs' bytes ({precision}-bit, "
                                     f"predictor {predictor})")
                seconds = best_time(ours, args.repeats)
                label = f"{args.size}² {precision}-bit"
                print(f"{label:>16} {predictor:>9} {peer_time:>8.3f} {backend:>8} {seconds:>8.3f} "
                      f"{peer_time / seconds:>7.2f}")
            threaded = functools.partial(stripjpeg.encode, pixels, lossless=True, predictor=predictor,
                                         precision=precision, restart_rows=8, workers=2)
            if not (imagecodecs.jpeg8_decode(threaded()) == pixels).all():
                raise SystemExit("the file with restart markers does not decode to the pixels")
            seconds = best_time(threaded, args.repeats)
            print(f"{label:>16} {predictor:>9} {peer_time:>8.3f} {'rst8 w2':>8} {seconds:>8.3f} "
                  f"{peer_time / seconds:>7.2f}")

if __name__ == "__main__":
    main()
