"""Throughput of every backend against Pillow (libjpeg-turbo), on the same pixels, in one run.

Real photographs tiled (not scaled) into a mosaic; after a warm-up, stripjpeg and Pillow
are timed interleaved, best of ``--repeats``, so ratios come from the same conditions.
Each backend runs with default workers, with ``workers=1``, and serially (``restart_rows=0``:
no restart markers, the same bytes as Pillow's default layout). The progressive settings
compare with Pillow's ``progressive=True`` (libjpeg's default script, optimized tables); there
"serial" is ``restart_rows=0``, Pillow's layout: strips are still transformed in parallel, but
each scan is one bit stream, coded in order. The numpy backend's progressive coder is the
readable one (a Python loop per block), so it is left out of those rows. Also: first-call
latency of the numba backend in fresh processes, with a cold (empty) and a warm numba cache.
The "q90 ifast" row encodes with ``dct="ifast"`` (libjpeg's fast DCT); Pillow has no such
option, so its column there is Pillow's usual islow encode, a reference only (the bytes differ).

    python benchmarks/throughput.py                 # 2048² and 4096², numba and numpy
    python benchmarks/throughput.py --sizes 4096 --backends numba
"""

from __future__ import annotations

import argparse
import os
import subprocess
import sys
import tempfile

from common import best_time, machine, photo_mosaic, pillow_encode

import stripjpeg

SETTINGS = {
    "q100 4:4:4": dict(quality=100, subsampling="4:4:4"),
    "q90 4:4:4": dict(quality=90, subsampling="4:4:4"),
    "q90 ifast": dict(quality=90, subsampling="4:4:4", dct="ifast"),
    "q75 4:2:0": dict(quality=75, subsampling="4:2:0"),
    "q75 gray": dict(quality=75, subsampling="4:4:4", gray=True),
    "q90 prog": dict(quality=90, subsampling="4:4:4", progressive=True),
    "q75 4:2:0 prog": dict(quality=75, subsampling="4:2:0", progressive=True),
}

FIRST_CALL = """
import time, numpy as np
start = time.perf_counter()
import stripjpeg
imported = time.perf_counter()
stripjpeg.encode(np.zeros((64, 64, 3), np.uint8), backend="numba")
done = time.perf_counter()
print(f"{imported - start:.3f} {done - imported:.3f}")
"""


def first_call_latency(cache_dir: str) -> tuple[float, float]:
    """(import seconds, first encode seconds) in a fresh process using ``cache_dir``."""
    env = dict(os.environ, NUMBA_CACHE_DIR=cache_dir)
    out = subprocess.run([sys.executable, "-c", FIRST_CALL], env=env, capture_output=True, text=True,
                         check=True).stdout.split()
    return float(out[0]), float(out[1])


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__,
                                     formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--sizes", type=int, nargs="+", default=[2048, 4096])
    parser.add_argument("--backends", nargs="+", default=stripjpeg.backends.available())
    parser.add_argument("--repeats", type=int, default=5)
    parser.add_argument("--numpy-max-size", type=int, default=2048,
                        help="skip the (slow) numpy backend above this size")
    args = parser.parse_args()

    print(f"machine: {machine()}")
    if "numba" in args.backends:
        import numba

        print(f"numba {numba.__version__}")
        with tempfile.TemporaryDirectory() as cache:
            cold = first_call_latency(cache)
            warm = first_call_latency(cache)
        print(f"numba first call in a fresh process: cold cache (compiling) {cold[1]:.2f} s, "
              f"warm cache {warm[1]:.2f} s; import stripjpeg {warm[0]:.2f} s")
    print()
    header = f"{'size':>5} {'setting':<14} {'Pillow MP/s':>11} " + " ".join(
        f"{name + ' MP/s':>16} {'x Pillow':>8}" for name in _columns(args.backends))
    print(header)
    for size in args.sizes:
        color = photo_mosaic(size)
        gray = color[:, :, 1].copy()
        megapixels = size * size / 1e6
        for label, setting in SETTINGS.items():
            setting = dict(setting)
            pixels = gray if setting.pop("gray", False) else color
            # Pillow has no dct option: its islow encode is the reference for the ifast row.
            pillow_setting = {k: v for k, v in setting.items() if k != "dct"}
            runs = {"Pillow": lambda p=pixels, s=pillow_setting: pillow_encode(p, **s)}
            for name in args.backends:
                if name == "numpy" and (size > args.numpy_max_size or setting.get("progressive")):
                    continue
                runs[name] = lambda p=pixels, s=setting, n=name: stripjpeg.encode(p, backend=n, **s)
                runs[name + " w=1"] = lambda p=pixels, s=setting, n=name: stripjpeg.encode(
                    p, backend=n, workers=1, **s)
                # No restart markers: one core, Pillow's own layout (and its bytes).
                runs[name + " serial"] = lambda p=pixels, s=setting, n=name: stripjpeg.encode(
                    p, backend=n, restart_rows=0, **s)
            for run in runs.values():  # warm-up (and numba compilation)
                run()
            best = dict.fromkeys(runs, float("inf"))
            for _ in range(args.repeats):  # interleaved
                for name, run in runs.items():
                    best[name] = min(best[name], best_time(run, 1))
            pillow = megapixels / best["Pillow"]
            cells = []
            for name in _columns(args.backends):
                if name in best:
                    rate = megapixels / best[name]
                    cells.append(f"{rate:>16.1f} {rate / pillow:>7.2f}x")
                else:
                    cells.append(f"{'-':>16} {'-':>8}")
            print(f"{size:>5} {label:<14} {pillow:>11.1f} " + " ".join(cells), flush=True)


def _columns(backends: list[str]) -> list[str]:
    return [column for name in backends for column in (name, name + " w=1", name + " serial")]


if __name__ == "__main__":
    main()
