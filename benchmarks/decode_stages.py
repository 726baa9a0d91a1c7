"""The decoder's numba pixel kernels, stage by stage, against Pillow's whole decode.

A 4096 x 4096 photo mosaic at q90, 4:2:0 and 4:4:4: its coefficients are read once
(stripjpeg.reader, not timed), then each kernel runs over the whole image, best of a few
repeats, on one core; MP/s counts image pixels. Pillow's decode of the same file (entropy
decoding included, which the kernels here do not do) is printed alongside for scale. Then the
fused kernel in bands of 4 MCU rows on 1 and 2 threads, and the first call's latency in a
fresh process with numba's cache warm and empty.

    python benchmarks/decode_stages.py
"""

from __future__ import annotations

import argparse
import io
import os
import subprocess
import sys
import tempfile
from concurrent.futures import ThreadPoolExecutor

import numpy as np
from common import best_time, machine, photo_mosaic
from PIL import Image

import stripjpeg
from stripjpeg.backends.numba_decode_pixels import band_to_pixels_fused, convert_colour, inverse_dct, upsample
from stripjpeg.reader import read_jpeg

SIZE = 4096
BAND_MCU_ROWS = 4

#: A fresh process's first decode of a small 4:2:0 file through every kernel.
FIRST_CALL = """
import time
start = time.perf_counter()
import numpy as np
import stripjpeg
from stripjpeg.backends.numba_decode_pixels import band_to_pixels_fused, convert_colour, inverse_dct, upsample
from stripjpeg.reader import read_jpeg
decoded = read_jpeg(stripjpeg.encode(np.zeros((16, 16, 3), np.uint8), 90, "4:2:0"))
ready = time.perf_counter()
planes = [inverse_dct(b, t, m) for b, t in zip(decoded.coefficients, decoded.quant_tables)
          for m in ("islow", "ifast", "float")][::3]
full = [planes[0]] + [upsample(p, 2, 2, None, None)[:16, :16] for p in planes[1:]]
convert_colour(full, "ycbcr")
none = np.zeros((0, 1, 8, 8), np.int16)
band_to_pixels_fused(*decoded.coefficients, none, none, np.stack(decoded.quant_tables),
                     2, 2, np.empty((16, 16, 3), np.uint8))
print(time.perf_counter() - ready)
"""


def first_call_seconds(cache_dir: str | None) -> float:
    """Seconds of the kernels' first calls in a new process (numba's cache in ``cache_dir``,
    None: its default place)."""
    env = dict(os.environ)
    if cache_dir:
        env["NUMBA_CACHE_DIR"] = cache_dir
    result = subprocess.run([sys.executable, "-c", FIRST_CALL], capture_output=True, text=True,
                            env=env, check=True)
    return float(result.stdout.split()[-1])


def stage_times(decoded, repeats: int) -> dict[str, float]:
    """Seconds per whole image of each stage kernel."""
    blocks, tables = decoded.coefficients, decoded.quant_tables
    hmax = max(c.h for c in decoded.components)
    vmax = max(c.v for c in decoded.components)
    factors = [(hmax // c.h, vmax // c.v) for c in decoded.components]
    samples = [inverse_dct(b, t) for b, t in zip(blocks, tables)]
    crops = [s[:-(-decoded.height // v), :-(-decoded.width // h)] for s, (h, v) in zip(samples, factors)]
    full = [upsample(c, h, v, None, None)[:decoded.height, :decoded.width]
            for c, (h, v) in zip(crops, factors)]
    times = {}
    for method in ("islow", "ifast", "float"):
        times[f"inverse_dct {method} (3 components)"] = best_time(
            lambda m=method: [inverse_dct(b, t, m) for b, t in zip(blocks, tables)], repeats)
    if factors[1] != (1, 1):
        times["upsample, fancy (Cb and Cr)"] = best_time(
            lambda: [upsample(c, h, v, None, None) for c, (h, v) in zip(crops[1:], factors[1:])],
            repeats)
        times["upsample, box (Cb and Cr)"] = best_time(
            lambda: [upsample(c, h, v, None, None, False) for c, (h, v) in zip(crops[1:], factors[1:])],
            repeats)
    times["convert_colour ycbcr"] = best_time(lambda: convert_colour(full, "ycbcr"), repeats)
    h, v = factors[1]
    out = np.empty((decoded.height, decoded.width, 3), np.uint8)
    none = np.zeros((0, blocks[1].shape[1], 8, 8), np.int16)
    quant = np.stack(tables).astype(np.uint16)
    times["band_to_pixels_fused, whole image as one band"] = best_time(
        lambda: band_to_pixels_fused(*blocks, none, none, quant, h, v, out), repeats)
    bands = band_calls(blocks, quant, h, v, out)
    times[f"band_to_pixels_fused, bands of {BAND_MCU_ROWS} MCU rows, 1 thread"] = best_time(
        lambda: [call() for call in bands], repeats)
    with ThreadPoolExecutor(2) as pool:
        times[f"band_to_pixels_fused, bands of {BAND_MCU_ROWS} MCU rows, 2 threads"] = best_time(
            lambda: list(pool.map(lambda call: call(), bands)), repeats)
    return times


def band_calls(blocks, quant, h, v, out):
    """One callable per band of BAND_MCU_ROWS MCU rows, each with its chroma context rows."""
    luma, cb, cr = blocks
    count = cb.shape[0]
    none = np.zeros((0, cb.shape[1], 8, 8), np.int16)
    calls = []
    for first in range(0, count, BAND_MCU_ROWS):
        last = min(first + BAND_MCU_ROWS, count)
        above = np.stack([cb[first - 1], cr[first - 1]]) if first else none
        below = np.stack([cb[last], cr[last]]) if last < count else none
        args = (luma[v * first:v * last], cb[first:last], cr[first:last], above, below, quant, h, v,
                out[8 * v * first:8 * v * last])
        calls.append(lambda args=args: band_to_pixels_fused(*args))
    return calls


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__,
                                     formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--repeats", type=int, default=3)
    args = parser.parse_args()
    print(f"machine: {machine()}")
    first_call_seconds(None)  # fills numba's cache if the kernels changed since it was made
    with tempfile.TemporaryDirectory() as empty:
        print(f"first call of every kernel, fresh process: {first_call_seconds(None):.2f} s with "
              f"numba's cache warm, {first_call_seconds(empty):.1f} s with it empty")
    mosaic = photo_mosaic(SIZE)
    megapixels = SIZE * SIZE / 1e6
    for subsampling in ("4:2:0", "4:4:4"):
        data = stripjpeg.encode(mosaic, 90, subsampling)
        decoded = read_jpeg(data)
        pillow = best_time(lambda d=data: np.asarray(Image.open(io.BytesIO(d))), args.repeats)
        print(f"\n{SIZE}x{SIZE} q90 {subsampling}: Pillow's whole decode {megapixels / pillow:.1f} MP/s")
        for stage, seconds in stage_times(decoded, args.repeats).items():
            print(f"  {stage:<62} {megapixels / seconds:7.1f} MP/s  ({pillow / seconds:.2f} x Pillow)")


if __name__ == "__main__":
    main()
