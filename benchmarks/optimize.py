"""optimize=True: time cost against the default, and the spool's size for streams.

Run: python benchmarks/optimize.py [--size 2048] [--repeats 3]

Prints, for a mosaic of real photos: encode time with standard tables, with optimize=True on a
whole array (two passes over the array), and with optimize=True from a stream of rows
(``Encoder``: first pass to the spool, in memory up to the default 32 MiB budget), each
relative to Pillow's time for the same option measured in the same run; file sizes; and the
spool's size.
"""

from __future__ import annotations

import argparse
import io

import numpy as np
from common import best_time, machine, photo_mosaic, pillow_encode

import stripjpeg


def stream(pixels: np.ndarray, options: dict) -> tuple[bytes, int]:
    buffer = io.BytesIO()
    height, width = pixels.shape[:2]
    encoder = stripjpeg.Encoder(buffer, width, height, mode="RGB", **options)
    for start in range(0, height, 64):
        encoder.write(pixels[start:start + 64])
    spool = encoder.spool_bytes
    encoder.close()
    return buffer.getvalue(), spool


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--size", type=int, default=2048)
    parser.add_argument("--repeats", type=int, default=3)
    args = parser.parse_args()
    pixels = photo_mosaic(args.size)
    megapixels = pixels.shape[0] * pixels.shape[1] / 1e6
    print(f"{machine()}; backend {stripjpeg.backends.default_name()}; "
          f"{args.size}x{args.size} photo mosaic ({megapixels:.1f} MP)")
    print(f"{'case':<34}{'ms':>9}{'x Pillow time':>15}{'bytes':>12}")
    for quality, subsampling in ((100, "4:4:4"), (75, "4:2:0")):
        base = dict(quality=quality, subsampling=subsampling)
        stripjpeg.encode(pixels[:64], **base, optimize=True)  # warm-up (JIT, caches)
        pil_default = best_time(lambda b=base: pillow_encode(pixels, **b), args.repeats)
        pil_optimize = best_time(lambda b=base: pillow_encode(pixels, **b, optimize=True), args.repeats)
        rows = [
            ("standard tables", lambda b=base: stripjpeg.encode(pixels, **b), pil_default),
            ("optimize, whole array", lambda b=base: stripjpeg.encode(pixels, **b, optimize=True),
             pil_optimize),
            ("optimize, stream + spool", lambda b=base: stream(pixels, dict(b, optimize=True))[0],
             pil_optimize),
        ]
        print(f"q{quality} {subsampling}")
        for label, function, pillow_seconds in rows:
            seconds = best_time(function, args.repeats)
            size = len(function())
            print(f"  {label:<32}{seconds * 1e3:>9.0f}{seconds / pillow_seconds:>15.2f}{size:>12,}")
        data, spool = stream(pixels, dict(base, optimize=True))
        assert data == pillow_encode(pixels, **base, optimize=True, restart_marker_rows=1)
        print(f"  spool: {spool:,} bytes = {spool / (megapixels * 1e6):.2f} bytes per pixel "
              f"(removed on close); Pillow optimize/standard time: {pil_optimize / pil_default:.2f}")


if __name__ == "__main__":
    main()
