"""Where the time goes inside one strip: each stage of each backend, timed on its own.

One MCU row of a 2048-wide photo mosaic (the default strip), best of many repeats, on one
core; Pillow's time for the whole 2048 x 2048 image, divided by its strips, is printed
alongside for scale.

    python benchmarks/stages.py
"""

from __future__ import annotations

import argparse

import numpy as np
from common import best_time, machine, photo_mosaic, pillow_encode

import stripjpeg
from stripjpeg import backends
from stripjpeg.backends import EntropyState
from stripjpeg.options import make_options
from stripjpeg.plan import make_plan

SETTINGS = {"q100 4:4:4": dict(quality=100, subsampling="4:4:4"),
            "q75 4:2:0": dict(quality=75, subsampling="4:2:0")}


def numba_stages(strip: np.ndarray, plan, setting: dict) -> dict[str, float]:
    from stripjpeg.backends import numba_backend as kernels
    from stripjpeg.backends.numba_colour import convert_to_ycbcr
    from stripjpeg.backends.numba_dct import TO_ZIGZAG

    backend = backends.get("numba")
    # The planes the transform converts into: 8-bit, the size the kernel tables give.
    shape = kernels.kernel_tables(plan).shape(strip.shape[0])
    planes = np.empty((len(plan.components), shape.plane_rows, shape.plane_cols), np.uint8)
    blocks = backend._transform(strip, plan, TO_ZIGZAG)
    start = EntropyState.start(plan)
    return {
        "colour conversion": best_time(lambda: convert_to_ycbcr(strip, planes), 200),
        "transform (colour, downsampling, DCT, quantization)":
            best_time(lambda: backend._transform(strip, plan, TO_ZIGZAG), 200),
        "Huffman coding": best_time(lambda: backend._code(blocks, plan, start, True), 200),
        "whole strip (encode_strip)": best_time(lambda: backend.encode_strip(strip, plan), 200),
        "fixed cost per strip (a strip of one MCU)": fixed_cost(backend, plan, setting),
    }


def fixed_cost(backend, plan, setting: dict) -> float:
    """encode_strip on a one-MCU image of the same settings: the Python and dispatch work
    that every strip pays whatever its size."""
    small = make_plan(plan.mcu_width, plan.strip_height, 3, make_options(**setting))
    strip = np.zeros((small.strip_height, small.width, 3), np.uint8)
    return best_time(lambda: backend.encode_strip(strip, small), 2000)


def numpy_stages(strip: np.ndarray, plan) -> dict[str, float]:
    backend = backends.get("numpy")
    blocks = backend.transform(strip, plan)
    start = EntropyState.start(plan)
    return {
        "transform (colour, downsampling, DCT, quantization)":
            best_time(lambda: backend.transform(strip, plan), 30),
        "Huffman coding": best_time(lambda: backend.entropy_encode(blocks, plan, start, True), 30),
        "whole strip (encode_strip)": best_time(lambda: backend.encode_strip(strip, plan), 30),
    }


def main() -> None:
    argparse.ArgumentParser(description=__doc__,
                            formatter_class=argparse.RawDescriptionHelpFormatter).parse_args()
    print(f"machine: {machine()}")
    # What every encode pays whatever the image: options, plan, backend, writer, pool.
    tiny = np.zeros((8, 8, 3), np.uint8)
    stripjpeg.encode(tiny)
    seconds = best_time(lambda: stripjpeg.encode(tiny), 300)
    print(f"a whole stripjpeg.encode of an 8 x 8 image: {seconds * 1e6:.0f} µs")
    mosaic = photo_mosaic(2048)
    for label, setting in SETTINGS.items():
        plan = make_plan(2048, 2048, 3, make_options(**setting))
        strip = np.ascontiguousarray(mosaic[:plan.strip_height])
        pillow = best_time(lambda s=setting: pillow_encode(mosaic, **s), 5) / plan.strip_count
        blocks = plan.mcus_per_row * plan.blocks_per_mcu
        numpy_backend = backends.get("numpy")
        dc, ac, _ = numpy_backend.count_symbols(numpy_backend.transform(strip, plan), plan,
                                                (0,) * len(plan.components))
        symbols = int(dc.sum() + ac.sum())
        print(f"\n{label}: one strip of 2048 x {plan.strip_height} ({blocks} blocks, {symbols} Huffman "
              f"symbols, {symbols / blocks:.1f} a block); Pillow: {pillow * 1e6:.0f} µs per strip")
        for name in backends.available():
            stages = numba_stages(strip, plan, setting) if name == "numba" else numpy_stages(strip, plan)
            for stage, seconds in stages.items():
                print(f"  {name:<6} {stage:<55} {seconds * 1e6:>8.0f} µs")


if __name__ == "__main__":
    main()
