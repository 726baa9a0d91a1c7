"""Throughput with restart intervals of N MCUs (``restart_blocks``) against ``restart_rows``.

On a photo mosaic at q90 4:4:4: ``restart_rows=1`` (the default, fused strip kernels),
``restart_blocks=7`` (strips of 7 MCU rows hold whole intervals: independent strips, coded in
parallel), ``restart_blocks=65535`` (intervals cross strips: coded in order, the state
carried) and ``restart_rows=0`` (one bit stream), best of ``--repeats``, default workers.

    python benchmarks/restart_blocks.py                  # 2048², numba and numpy
    python benchmarks/restart_blocks.py --size 4096 --backends numba
"""

from __future__ import annotations

import argparse

from common import best_time, machine, photo_mosaic

import stripjpeg

SETTINGS = {
    "restart_rows=1": dict(restart_rows=1),
    "restart_blocks=7": dict(restart_blocks=7),
    "restart_blocks=65535": dict(restart_blocks=65535),
    "restart_rows=0": dict(restart_rows=0),
}


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--size", type=int, default=2048)
    parser.add_argument("--backends", nargs="+", default=stripjpeg.backends.available())
    parser.add_argument("--repeats", type=int, default=3)
    args = parser.parse_args()
    pixels = photo_mosaic(args.size)
    megapixels = args.size * args.size / 1e6
    print(f"{machine()}\n{args.size}x{args.size} q90 4:4:4, default workers, best of {args.repeats}")
    for backend in args.backends:
        for name, options in SETTINGS.items():
            stripjpeg.encode(pixels[:64], 90, backend=backend, **options)  # warm-up
            seconds = best_time(lambda b=backend, o=options: stripjpeg.encode(pixels, 90, backend=b, **o),
                                args.repeats)
            print(f"{backend:6s} {name:22s} {seconds:7.3f} s {megapixels / seconds:7.1f} MP/s")


if __name__ == "__main__":
    main()
