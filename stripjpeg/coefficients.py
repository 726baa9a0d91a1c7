"""Writing a baseline JPEG from quantized coefficients you supply (no pixels, no DCT).

Forensics and machine-learning users edit coefficients directly; this writes them back
through the same orchestrator as every other encode (markers, restart intervals, entropy
coding, optimized tables), so ``read_coefficients(encode_coefficients(c, t)) == c``, and the
coefficients and tables read from a libjpeg file come back as that very file.
"""

from __future__ import annotations

from typing import Any

import numpy as np

from .backends import EntropyState
from .encoder import StripEncoder
from .markers import TABLES_ONLY, write_tables_only
from .optimize import SymbolCounts, count_strip
from .options import make_options
from .plan import Plan, make_plan
from .progressive_encoder import ProgressiveEncoder
from .table_slots import table_slots

#: The ranges 8-bit baseline allows: DC values -1024..1023 (so that differences fit the 11
#: bits of T.81 Table F.1) and AC values of at most 10 bits (Table F.2), as libjpeg enforces.
DC_RANGE = (-1024, 1023)
MAX_AC = 1023


def encode_coefficients(coefficients: list[np.ndarray], quantization_tables: Any, *,
                        width: int | None = None, height: int | None = None,
                        subsampling: str = "4:4:4", restart_rows: int = 1, restart_blocks: int = 0,
                        optimize: bool = False,
                        backend: str | None = None, progressive: bool = False, scans: Any = None,
                        **metadata: Any) -> bytes:
    """Write a baseline (or progressive) JPEG file holding exactly these quantized coefficients.

    Args:
        coefficients: per component (Y, or Y Cb Cr), integer ``(block_rows, block_cols, 8, 8)``
            in natural order: each component's own blocks, as :func:`read_coefficients`
            returns them (dummy blocks that pad the last MCUs are added as libjpeg adds them).
        quantization_tables: 1 to 4 tables of 64 steps in natural order (as for ``qtables``:
            table i serves component i, the last table the components after it), written
            as given; they only label the coefficients, nothing is divided by them. There
            is no ``quality``: it is ``quality=None`` with ``qtables``, which elsewhere too
            means 50, the tables exactly as given.
        width, height: image size in pixels (default: 8 x the luma block grid).
        subsampling: the sampling factors the blocks follow, any form ``encode`` takes
            ("4:2:0", cjpeg's "4x1" or "2x2,1x1,1x1"...).
        restart_rows, restart_blocks, optimize, backend, progressive, scans: as for
            :func:`stripjpeg.encode`
            (a progressive file holds every bit of the coefficients only if its script sends
            them all, as libjpeg's default script does).
        **metadata: ``dpi``, ``icc_profile``, ``exif``, ``comment``, ``streamtype``,
            ``baseline`` (False: steps over 255 written as 16-bit tables), as for ``encode``;
            and ``arithmetic`` (arithmetic coding, as for ``encode``).

    Raises:
        ValueError: block grids that do not match the size and subsampling, or values outside
            what 8-bit baseline JPEG allows (DC -1024..1023, AC -1023..1023).
    """
    blocks = _checked_blocks(coefficients)
    if width is None or height is None:
        width = width or blocks[0].shape[1] * 8
        height = height or blocks[0].shape[0] * 8
    options = make_options(quality=None, qtables=quantization_tables, subsampling=subsampling,
                           restart_rows=restart_rows, restart_blocks=restart_blocks,
                           optimize=optimize, backend=backend,
                           progressive=progressive, scans=scans, **metadata)
    plan = make_plan(width, height, 1 if len(blocks) == 1 else 3, options)
    for index, (component, array) in enumerate(zip(plan.components, blocks)):
        expected = (component.height_in_blocks, component.width_in_blocks)
        if array.shape[:2] != expected:
            raise ValueError(f"component {index} has {array.shape[0]}x{array.shape[1]} blocks; a "
                             f"{width}x{height} image at {subsampling} needs {expected[0]}x{expected[1]}")
    mode = "L" if len(blocks) == 1 else "RGB"
    if options.streamtype == TABLES_ONLY:
        return write_tables_only(*table_slots(options))
    if plan.progressive:
        progressive_core = ProgressiveEncoder(width, height, mode, options, plan=plan)
        for strip_blocks, rows in strips_of_blocks(plan, blocks):
            progressive_core.feed_blocks(strip_blocks, rows)
        return b"".join(progressive_core.finish())
    core = StripEncoder(width, height, mode, options, plan=plan)
    if optimize:
        core.replace_plan(_optimized_plan(plan, blocks, core))
    chunks = [core.header()]
    for strip_blocks, rows in strips_of_blocks(core.plan, blocks):
        chunks += core.feed_blocks(strip_blocks, rows)
    chunks += core.finish()
    return b"".join(chunks)


def _checked_blocks(coefficients: Any) -> list[np.ndarray]:
    if not isinstance(coefficients, (list, tuple)) or len(coefficients) not in (1, 3):
        raise TypeError("coefficients must be a list of 1 (Y) or 3 (Y, Cb, Cr) arrays")
    blocks = []
    for index, array in enumerate(coefficients):
        array = np.asarray(array)
        if not np.issubdtype(array.dtype, np.integer):
            raise TypeError(f"coefficients[{index}] must hold integers, got dtype {array.dtype}")
        if array.ndim != 4 or array.shape[2:] != (8, 8) or 0 in array.shape:
            raise ValueError(f"coefficients[{index}] must have shape (block_rows, block_cols, 8, 8), "
                             f"got {array.shape}")
        dc, ac = array[:, :, 0, 0], array.reshape(*array.shape[:2], 64)[:, :, 1:]
        if dc.min() < DC_RANGE[0] or dc.max() > DC_RANGE[1] or np.abs(ac).max() > MAX_AC:
            raise ValueError(f"coefficients[{index}] holds values outside 8-bit baseline's range "
                             f"(DC {DC_RANGE[0]}..{DC_RANGE[1]}, AC -{MAX_AC}..{MAX_AC})")
        blocks.append(array.astype(np.int16))
    return blocks


def strips_of_blocks(plan: Plan, blocks: list[np.ndarray]):
    """Per strip, each component's blocks with the MCU padding libjpeg adds, and the strip's
    pixel rows: what ``StageTable.transform`` would have produced from the pixels."""
    from .stages.quantize import add_dummy_blocks

    for first_row in range(0, plan.height, plan.strip_height):
        rows = min(plan.strip_height, plan.height - first_row)
        strip = []
        mcu_row = first_row // plan.mcu_height
        for component, layout, array in zip(plan.components, plan.strip_layout(rows), blocks):
            top = mcu_row * component.mcu_v
            real = array[top:top + layout.real_block_rows, :layout.real_block_cols]
            strip.append(add_dummy_blocks(real, layout, component.mcu_h))
        yield strip, rows


def _optimized_plan(plan: Plan, blocks: list[np.ndarray], core: StripEncoder) -> Plan:
    """First pass: count the symbols of every strip (predictors reset per restart interval)."""
    totals = SymbolCounts.zeros(plan)
    predictors = EntropyState.start(plan).dc_predictors
    for index, (strip_blocks, _) in enumerate(strips_of_blocks(plan, blocks)):
        if plan.independent_strips:
            predictors = EntropyState.start(plan).dc_predictors
        first_mcu = index * plan.strip_mcu_rows * plan.mcus_per_row
        dc, ac, predictors = count_strip(core.backend, strip_blocks, plan, predictors, first_mcu)
        totals.add(SymbolCounts(dc, ac))
    return totals.optimized_plan(plan)
