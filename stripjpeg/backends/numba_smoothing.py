"""Input smoothing on the numba backend (``smooth``): the Python side of the smoothing kernels
(:func:`.numba_colour.smooth_full_size`, :func:`.numba_colour.smooth_downsample_2x2`) for a
strip with smoothing's context rows, and the DCT kernel after them into the coder's layout,
for the backend's sample stage and its fused coding paths."""

from __future__ import annotations

from typing import Any

import numpy as np

from ..plan import Plan
from .numba_colour import convert_to_ycbcr, downsample, smooth_downsample_2x2, smooth_full_size
from .numba_dct import LANES, TO_ZIGZAG, transform_blocks


def smoothed_samples(pixels: np.ndarray, plan: Plan) -> list[np.ndarray]:
    """NumbaBackend.prepare_samples of a strip with smoothing's context rows, as
    :func:`stripjpeg.stages.samples.context_component_samples` makes them: the planes
    replicate the last row (the context row below) down to whole blocks, then each
    component is smoothed, or downsampled from those rows if libjpeg does not smooth it."""
    layouts = plan.strip_layout(plan.strip_rows(pixels))
    ratios = [(plan.hmax // c.h, plan.vmax // c.v) for c in plan.components]
    plane_rows = max(8 * layout.real_block_rows * v for layout, (_, v) in zip(layouts, ratios)) + 2
    plane_cols = max(layout.input_cols for layout in layouts)
    planes = np.empty((len(plan.components), plane_rows, plane_cols), np.uint8)
    convert_to_ycbcr(np.ascontiguousarray(pixels), planes)
    samples = []
    for plane, component, layout, (h, v) in zip(planes, plan.components, layouts, ratios):
        rows, cols = 8 * layout.real_block_rows, 8 * layout.real_block_cols
        out = np.empty((rows, cols), np.uint8)
        if plan.is_smoothed(component):
            smooth = smooth_full_size if h == 1 else smooth_downsample_2x2
            smooth(plane, plan.smoothing, out)
        else:
            downsample(plane[1:], h, v, rows * v, cols, out)
        samples.append(out)
    return samples

def smoothed_blocks(pixels: np.ndarray, plan: Plan, tables: Any) -> np.ndarray:
    """The quantized blocks of a strip with smoothing's context rows in the coder's layout
    (zigzag order, LANES side by side, as :func:`transform_strip` returns them): the
    smoothed samples (:func:`smoothed_samples`), then the DCT kernel on each component;
    ``tables``: the plan's kernel tables (numba_backend.kernel_tables)."""
    layouts = plan.strip_layout(plan.strip_rows(pixels))
    groups = -(-max(layout.block_cols for layout in layouts) // LANES)
    blocks = np.empty((len(layouts), max(layout.block_rows for layout in layouts), groups, 64, LANES),
                      np.int16)
    samples = smoothed_samples(pixels, plan)
    for index, (plane, component, layout) in enumerate(zip(samples, plan.components, layouts)):
        # transform_blocks reads whole groups of LANES blocks as 64-bit words.
        padded = np.zeros((plane.shape[0], 8 * LANES * -(-layout.real_block_cols // LANES)), np.uint8)
        padded[:, :plane.shape[1]] = plane
        q = component.quant_index
        transform_blocks(padded, layout.real_block_rows, layout.real_block_cols, layout.block_cols,
                         component.mcu_h, tables.method, tables.divisors[q], tables.reciprocals[q],
                         tables.scales[q], TO_ZIGZAG, blocks[index, :layout.block_rows])
    return blocks
