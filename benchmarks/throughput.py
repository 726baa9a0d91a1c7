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

Each row's peer writes the same bytes with the same settings, and is named in its "peer"
column: Pillow where it has the setting; imagecodecs (libjpeg-turbo 3.1, ``jpeg8_encode``)
for samplings Pillow cannot ask for (4:4:0, libjpeg's 4:1:1 "4x1") and for 12-bit samples
(``precision=12``, ``bitspersample=12``); and for the DCTs neither
offers (``dct="ifast"``, ``dct="float"``), cjpeg with the matching ``-dct`` switch, timed as a whole process
reading a PPM from the temporary directory (so it pays for its start and its file input).
Arithmetic coding (``arithmetic=True``, sequential and progressive) is compared with
``cjpeg -arithmetic``, the PPM piped to its standard input (``benchmarks/arithmetic.py``'s
``cjpeg_arithmetic``: it pays for its start, not for reading a file); lossless files
(``lossless=True``, predictors 1 and 6, 8 and 12 bits) with imagecodecs' libjpeg-turbo 3.1, as
``benchmarks/lossless.py`` does. The numpy backend's arithmetic coder is the readable Python
QM coder, so it is left out of those rows too.

    python benchmarks/throughput.py                 # 2048² and 4096², numba and numpy
    python benchmarks/throughput.py --sizes 4096 --backends numba
    python benchmarks/throughput.py --sizes 2048 --settings "q75 4:2:0" "q75 4:2:0 smooth"
    python benchmarks/throughput.py --sizes 2048 --backends numba --settings "q90 arith" \
        "q75 4:2:0 arith" "q75 4:2:0 arith prog" "lossless p1" "lossless p6" "lossless p1 12-bit"
"""

from __future__ import annotations

import argparse
import os
import subprocess
import sys
import tempfile
from collections.abc import Callable
from pathlib import Path

import numpy as np
from arithmetic import cjpeg_arithmetic, ppm_bytes
from common import best_time, machine, photo_mosaic, pillow_encode
from PIL import Image

import stripjpeg

#: Row label -> stripjpeg's options (``gray``: the grayscale mosaic; ``mode="CMYK"``: the
#: mosaic as Pillow converts it to CMYK; ``peer``: who it is compared with, "pillow" unless
#: given).
SETTINGS = {
    "q100 4:4:4": dict(quality=100, subsampling="4:4:4"),
    "q90 4:4:4": dict(quality=90, subsampling="4:4:4"),
    "q90 ifast": dict(quality=90, subsampling="4:4:4", dct="ifast", peer="cjpeg"),
    "q90 float": dict(quality=90, subsampling="4:4:4", dct="float", peer="cjpeg"),
    "q75 4:2:0": dict(quality=75, subsampling="4:2:0"),
    "q75 4:4:0": dict(quality=75, subsampling="4:4:0", peer="imagecodecs"),
    "q75 4x1": dict(quality=75, subsampling="4x1", peer="imagecodecs"),
    "q75 gray": dict(quality=75, subsampling="4:4:4", gray=True),
    "q90 CMYK": dict(quality=90, subsampling="4:4:4", mode="CMYK"),
    "q90 prog": dict(quality=90, subsampling="4:4:4", progressive=True),
    "q75 4:2:0 prog": dict(quality=75, subsampling="4:2:0", progressive=True),
    # Input smoothing: numba's own stages composed, its fused kernels declined (backends.md).
    "q75 4:2:0 smooth": dict(quality=75, subsampling="4:2:0", smooth=30),
    # 12-bit samples: the mosaic scaled to 0..4095, (v * 4095 + 127) // 255 (docs/options.md).
    "q90 12-bit": dict(quality=90, subsampling="4:4:4", precision=12, peer="imagecodecs"),
    "q90 4:2:0 12-bit": dict(quality=90, subsampling="4:2:0", precision=12, peer="imagecodecs"),
    # Arithmetic coding (SOF9, SOF10) against cjpeg -arithmetic, the PPM piped to it.
    "q90 arith": dict(quality=90, subsampling="4:4:4", arithmetic=True, peer="cjpeg"),
    "q75 4:2:0 arith": dict(quality=75, subsampling="4:2:0", arithmetic=True, peer="cjpeg"),
    "q75 4:2:0 arith prog": dict(quality=75, subsampling="4:2:0", arithmetic=True, progressive=True,
                                 peer="cjpeg"),
    # Lossless (SOF3) against libjpeg-turbo 3.1's (imagecodecs), as benchmarks/lossless.py.
    "lossless p1": dict(lossless=True, predictor=1, peer="imagecodecs"),
    "lossless p6": dict(lossless=True, predictor=6, peer="imagecodecs"),
    "lossless p1 12-bit": dict(lossless=True, predictor=1, precision=12, peer="imagecodecs"),
}

#: stripjpeg's sampling names -> imagecodecs' ``subsampling`` values.
IMAGECODECS_SUBSAMPLING = {"4:4:4": "444", "4:2:2": "422", "4:2:0": "420", "4:4:0": "440", "4x1": "411"}
#: stripjpeg's sampling names -> cjpeg's ``-sample`` values.
CJPEG_SAMPLE = {"4:4:4": "1x1", "4:2:2": "2x1", "4:2:0": "2x2", "4:4:0": "1x2", "4x1": "4x1"}

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


def peer_run(peer: str, pixels, setting: dict, folder: str) -> Callable[[], bytes]:
    """A function writing the peer's file for ``setting``: the same bytes as stripjpeg with
    ``restart_rows=0`` (checked before timing)."""
    quality, subsampling = setting.get("quality"), setting.get("subsampling")
    if peer == "pillow":
        other = {k: v for k, v in setting.items() if k not in ("quality", "subsampling")}
        return lambda: pillow_encode(pixels, quality=quality, subsampling=subsampling, **other)
    if peer == "imagecodecs":
        import imagecodecs

        bits = {"bitspersample": setting["precision"]} if "precision" in setting else {}
        if setting.get("lossless"):
            return lambda: imagecodecs.jpeg8_encode(pixels, lossless=True,
                                                    predictor=setting["predictor"], **bits)
        return lambda: imagecodecs.jpeg8_encode(pixels, level=quality,
                                                subsampling=IMAGECODECS_SUBSAMPLING[subsampling],
                                                **bits)
    if peer == "cjpeg" and setting.get("arithmetic"):
        ppm = ppm_bytes(pixels)
        return lambda: cjpeg_arithmetic(ppm, quality, CJPEG_SAMPLE[subsampling],
                                        progressive=setting.get("progressive", False))
    if peer == "cjpeg":
        source = Path(folder) / "in.ppm"
        Image.fromarray(pixels).save(source)
        command = ["cjpeg", "-quality", str(quality), "-sample", CJPEG_SAMPLE[subsampling],
                   "-dct", {"ifast": "fast", "float": "float"}[setting["dct"]], str(source)]
        return lambda: subprocess.run(command, capture_output=True, check=True).stdout
    raise ValueError(f"unknown peer {peer!r}")


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__,
                                     formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--sizes", type=int, nargs="+", default=[2048, 4096])
    parser.add_argument("--backends", nargs="+", default=stripjpeg.backends.available())
    parser.add_argument("--repeats", type=int, default=5)
    parser.add_argument("--settings", nargs="+", choices=list(SETTINGS), default=list(SETTINGS),
                        metavar="NAME", help="the rows to time (default: all)")
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
    header = f"{'size':>5} {'setting':<20} {'peer':<11} {'peer MP/s':>9} " + " ".join(
        f"{name + ' MP/s':>16} {'x peer':>8}" for name in _columns(args.backends))
    print(header)
    with tempfile.TemporaryDirectory() as folder:
        for size in args.sizes:
            color = photo_mosaic(size)
            gray = color[:, :, 1].copy()
            cmyk = np.asarray(Image.fromarray(color).convert("CMYK"))
            megapixels = size * size / 1e6
            for label in args.settings:
                setting = dict(SETTINGS[label])
                pixels = gray if setting.pop("gray", False) else color
                if setting.get("mode") == "CMYK":
                    pixels = cmyk
                if setting.get("precision") == 12:
                    pixels = (color.astype(np.uint16) * 4095 + 127) // 255
                peer = setting.pop("peer", "pillow")
                runs = {"peer": peer_run(peer, pixels, setting, folder)}
                if runs["peer"]() != stripjpeg.encode(pixels, restart_rows=0, **setting):
                    raise AssertionError(f"{peer} and stripjpeg wrote different bytes for {label}")
                for name in args.backends:
                    if name == "numpy" and (size > args.numpy_max_size or setting.get("progressive")
                                            or setting.get("arithmetic")):
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
                reference = megapixels / best["peer"]
                cells = []
                for name in _columns(args.backends):
                    if name in best:
                        rate = megapixels / best[name]
                        cells.append(f"{rate:>16.1f} {rate / reference:>7.2f}x")
                    else:
                        cells.append(f"{'-':>16} {'-':>8}")
                print(f"{size:>5} {label:<20} {peer:<11} {reference:>9.1f} " + " ".join(cells),
                      flush=True)


def _columns(backends: list[str]) -> list[str]:
    return [column for name in backends for column in (name, name + " w=1", name + " serial")]


if __name__ == "__main__":
    main()
