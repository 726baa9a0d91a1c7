"""The fast backend: the DCT paths of libjpeg (islow, ifast, float) as numba kernels over whole
strips, in stage order.

The kernels live in one module per stage, in the order a strip goes through them, and mirror
the NumPy stages (read :mod:`stripjpeg.stages` to learn JPEG; the kernels only reorganise
the loops so that they run at C speed):

* :mod:`.numba_colour`   colour conversion and downsampling
* :mod:`.numba_dct`      forward DCT (islow, ifast or float), quantization into zigzag order, dummy blocks
* :mod:`.numba_huffman`  the bit writer, Huffman coding or symbol counting of blocks
* :mod:`.numba_strip`    the fused kernels: a strip, or a batch of strips, pixels to bytes
* :mod:`.numba_progressive` progressive scans (T.81 G.1.2): coding or counting one scan of a strip
* :mod:`.numba_jit`      the decorators, and the cache version that keeps them in step

This module holds the per-plan tables and :class:`NumbaBackend`, which overrides every stage
of :data:`~.base.STAGES` and adds the fused paths (pixels to blocks, pixels to bytes in one
kernel call). It declines ``forward_dct`` for ``dct="exact"``: the stage table then takes the
NumPy stage (SciPy's DCT) for it, composes the stages instead of the fused kernels, and both
backends write the same bytes. It declines ``prepare_samples`` likewise for the colour
conversions its kernel does not do (``keep_rgb``'s RGB, ``grayscale``'s Y from colour, YCbCr
input, YCCK), and its fused ``transform`` for input smoothing (``smooth``: strips with
context rows, which its sample stage and fused coding paths smooth with their own kernels).
Each kernel call writes only into arrays it is given, so concurrent strips share nothing
mutable.

Importing this module compiles nothing; the first encode compiles (or loads) the kernels.
With ``NUMBA_DISABLE_JIT=1`` the same functions run as plain Python (slowly), which the
tests use to check them line by line.
"""

from __future__ import annotations

import itertools
import sys
import threading
import weakref
from collections.abc import Sequence
from typing import NamedTuple

import numpy as np

from ..lossless_plan import LosslessPlan
from ..plan import Plan, Scan
from ..stages.arithmetic import ArithmeticState
from ..stages.entropy import EntropyState
from ..stages.huffman import interval_starts
from ..stages.progressive import ScanState, intervals_in_strips, scan_interval_mcus
from ..stages.quantize import float_divisors, integer_divisors
from ..stages.samples import check_sample_range
from . import numba_arithmetic
from .base import Backend
from .numba_colour import convert_to_ycbcr, downsample
from .numba_dct import (
    FLOAT,
    IFAST,
    ISLOW,
    LANES,
    NATURAL,
    TO_ZIGZAG,
    stack_blocks,
    transform_blocks,
    transform_strip,
    unstack_blocks,
)
from .numba_huffman import (
    MAX_BYTES_PER_BLOCK,
    MAX_EXTRA_BYTES,
    code_blocks,
    code_intervals,
    count_blocks,
    count_intervals,
)
from .numba_lossless import MAX_BYTES_PER_SAMPLE, lossless_row, lossless_strip, lossless_table
from .numba_progressive import (
    CARRIED_EXTRA_BYTES,
    INTERVAL_EXTRA_BYTES,
    POSITION,
)
from .numba_scans import ScanArrays, check_scan_status
from .numba_smoothing import smoothed_blocks, smoothed_samples
from .numba_strip import encode_strip_kernel, encode_strips_kernel, stacked_strips
from .numba_twelve import forward_dct_12

# --- Per-plan tables ---------------------------------------------------------------------------

#: The colour conversions (Plan.color_convert) of :func:`.numba_colour.convert_to_ycbcr`,
#: which tells them apart by the number of planes: 1 grey, 3 YCbCr from RGB, 4 CMYK inverted.
KERNEL_CONVERSIONS = ("rgb_ycc", "grayscale", "cmyk_inverted")

class StripShape(NamedTuple):
    """What the kernels need to know of a strip of a given height."""

    layout: np.ndarray   #: int64 (n_components, 9): H_RATIO ... QUANT per component
    plane_rows: int      #: full-resolution plane size (see transform_strip)
    plane_cols: int
    n_blocks: int        #: blocks coded, dummy blocks included


class ScanShape(NamedTuple):
    """What the progressive kernels need to know of one scan in a strip of a given height."""

    members: tuple[int, ...]  #: the scan's components (indices into plan.components)
    components: np.ndarray    #: int64 (n, 3): blocks across, down one MCU; Huffman table
    mcu_rows: int             #: the strip's MCUs in the scan (one component: real blocks)
    mcus_across: int
    interval: int             #: MCUs per restart interval (0: none)
    intervals: int            #: restart intervals in the strip (when it has them)
    output_bytes: int         #: the most bytes the strip's part of the scan can take


def _scan_shape(plan: Plan, scan: Scan, pixel_rows: int) -> ScanShape:
    layouts = plan.strip_layout(pixel_rows)
    members = scan.components
    if len(members) == 1:
        # One component: its real blocks, one per MCU (T.81 A.2.2).
        layout = layouts[members[0]]
        components = [[1, 1, plan.components[members[0]].huffman_index]]
        mcu_rows, mcus_across = layout.real_block_rows, layout.real_block_cols
    else:
        components = [[plan.components[i].mcu_h, plan.components[i].mcu_v,
                       plan.components[i].huffman_index] for i in members]
        mcu_rows = layouts[members[0]].block_rows // plan.components[members[0]].mcu_v
        mcus_across = plan.mcus_per_row
    interval = scan_interval_mcus(plan, scan)
    mcus = mcu_rows * mcus_across
    blocks = mcus * sum(h * v for h, v, _ in components)
    intervals = -(-mcus // interval) if interval else 1
    # A DC scan codes at most 32 bits per block, an AC scan MAX_BYTES_PER_BLOCK; both stuffed.
    per_block = 8 if scan.ss == 0 else MAX_BYTES_PER_BLOCK
    return ScanShape(members, np.array(components, dtype=np.int64), mcu_rows, mcus_across, interval,
                     intervals, blocks * per_block + intervals * INTERVAL_EXTRA_BYTES + CARRIED_EXTRA_BYTES)


#: Pixels transformed per kernel call by :meth:`NumbaBackend.transform_fused` (its scratch
#: arrays then fit in a core's L2 cache).
TRANSFORM_PIXELS = 1 << 18
NO_ARRAY_U8 = np.empty(0, np.uint8)
NO_CODES, NO_LENGTHS = np.zeros((0, 256), np.uint32), np.zeros((0, 256), np.int64)


class _KernelTables:
    """A Plan's tables as the arrays the kernels take, built once per Plan."""

    def __init__(self, plan: Plan) -> None:
        self.plan = plan
        #: The DCT kernel: numba_dct.ISLOW (jfdctint.c), IFAST (jfdctfst.c) or FLOAT (jfdctflt.c).
        self.method = {"ifast": IFAST, "float": FLOAT}.get(plan.dct, ISLOW)
        # (n_tables, 64): islow's 8 * Q, or ifast's AA&N-scaled steps (jcdctmgr.c); the float
        # DCT quantizes with `scales` instead, and islow's divisors stand unused beside them.
        integer = "ifast" if plan.dct == "ifast" else "islow"
        self.divisors = np.array([integer_divisors(table, integer).reshape(64)
                                  for table in plan.quant_tables], dtype=np.int64)
        self.reciprocals = -(-(1 << 32) // self.divisors)               # ceil(2**32 / d)
        # (n_tables, 64) float32: the float DCT's 1 / (Q * s[v] * s[u] * 8) (jcdctmgr.c).
        self.scales = np.array([float_divisors(table).reshape(64) for table in plan.quant_tables],
                               dtype=np.float32)
        self.dc_table = np.array([(c.astype(np.int64) << 8) | n for c, n in plan.dc_codes])
        self.ac_table = np.array([(c.astype(np.int64) << 8) | n for c, n in plan.ac_codes])
        self.components = np.array([[c.mcu_h, c.mcu_v, c.huffman_index] for c in plan.components],
                                   dtype=np.int64)
        self._shapes: dict[int, StripShape] = {}
        self._scans: dict[tuple[Scan, int], ScanShape] = {}

    def shape(self, pixel_rows: int) -> StripShape:
        """The :class:`StripShape` of a strip of ``pixel_rows`` rows (cached: a plan has at
        most two strip heights, the usual one and the last)."""
        shape = self._shapes.get(pixel_rows)
        if shape is None:
            plan = self.plan
            layouts = plan.strip_layout(pixel_rows)
            layout = np.array([[plan.hmax // c.h, plan.vmax // c.v, lay.real_block_rows,
                                lay.real_block_cols, lay.block_rows, lay.block_cols, lay.input_rows,
                                c.mcu_h, c.quant_index] for c, lay in zip(plan.components, layouts)],
                              dtype=np.int64)
            luma = layouts[0]
            # Full-resolution planes cover every block of every component's MCUs (at its
            # ratio), so every component reads replicated edges wherever it reaches past the image.
            lane_cols = 8 * LANES  # whole groups of blocks (transform_blocks reads them)
            cols = max(max(lay.block_cols * 8 * (plan.hmax // c.h), lay.input_cols)
                       for c, lay in zip(plan.components, layouts))
            rows = max(max(lay.block_rows * 8 * (plan.vmax // c.v), lay.input_rows)
                       for c, lay in zip(plan.components, layouts))
            shape = StripShape(layout, rows, -(-cols // lane_cols) * lane_cols,
                               luma.block_rows // plan.components[0].mcu_v * plan.mcus_per_row
                               * plan.blocks_per_mcu)
            self._shapes[pixel_rows] = shape
        return shape

    def scan_shape(self, scan: Scan, pixel_rows: int) -> ScanShape:
        """The :class:`ScanShape` of ``scan`` in a strip of ``pixel_rows`` rows (cached)."""
        key = (scan, pixel_rows)
        shape = self._scans.get(key)
        if shape is None:
            shape = self._scans[key] = _scan_shape(self.plan, scan, pixel_rows)
        return shape


_tables: weakref.WeakKeyDictionary[Plan, _KernelTables] = weakref.WeakKeyDictionary()
_tables_lock = threading.Lock()


def kernel_tables(plan: Plan) -> _KernelTables:
    """The kernel arrays of ``plan``, cached for the plan's lifetime (thread-safe)."""
    with _tables_lock:
        tables = _tables.get(plan)
        if tables is None:
            tables = _tables[plan] = _KernelTables(plan)
        return tables


# --- The backend -------------------------------------------------------------------------------

#: The progressive coding stages (declined for ``restart_blocks`` plans, see NumbaBackend.declines).
PROGRESSIVE_STAGES = ("progressive_encode", "progressive_count")


#: The stages with no 12-bit kernel (declined for ``plan.precision`` 12): the fused paths.
TWELVE_BIT_DECLINED = ("transform", "encode_strips")


class NumbaBackend(Backend):
    """The fast engine: same bytes as :class:`~.numpy_backend.NumpyBackend` for every option,
    compiled.

    Internally a strip's blocks are one array ``(n_components, rows, groups, 64, LANES)``
    in zigzag order, LANES blocks side by side (components padded to the largest block
    grid; see :func:`transform_strip`), which is what :func:`code_blocks` reads; the stages
    convert to and from the contract's per-component natural-order arrays.
    """

    name = "numba"

    def __init__(self) -> None:
        if sys.byteorder != "little":
            # transform_blocks reads 8 samples as one uint64 word, byte x being sample x.
            raise ValueError("the numba backend needs a little-endian machine; use backend='numpy'")

    def declines(self, stage: str, plan: Plan) -> bool:
        """The DCT kernels are islow, ifast and float: the exact DCT is the NumPy stage's (SciPy's),
        since a second float64 DCT would round a coefficient on a tie differently and write other
        bytes.
        The colour kernel converts RGB to YCbCr, passes grey through and inverts CMYK
        (:data:`KERNEL_CONVERSIONS`): RGB kept as RGB (``keep_rgb``), Y alone from colour
        (``grayscale``), YCbCr input and YCCK are the NumPy stage's. The sample kernels
        downsample every whole ratio of sampling factors, and smooth (``smooth``). The fused
        transform kernel takes no context rows, so with smoothing ``transform`` is declined (the
        table composes prepare_samples and forward_dct); the fused coding paths smooth first,
        then transform and code without converting the blocks in between. The progressive
        kernels code restart intervals that fall on strip boundaries, or none: with
        ``restart_blocks`` intervals that cross the strips of some scan, the NumPy progressive
        coders (which carry their state across them) code every scan, after the numba
        transform.
        (Sequential ``restart_blocks`` intervals are the numba ``interval_encode``'s.)
        12-bit samples (``plan.precision`` 12): the fused paths work on uint8 samples, so
        ``transform`` and ``encode_strips`` are declined; ``prepare_samples`` converts RGB or
        grey with :func:`.numba_colour.convert_to_ycbcr` (on uint16 planes) (other conversions, and smoothing,
        are declined), ``forward_dct`` runs :func:`.numba_twelve.transform_blocks_12` (islow;
        the NumPy stage's for ifast, float and exact), and the numba coders code the blocks."""
        if plan.precision != 8:
            if stage in TWELVE_BIT_DECLINED or (stage == "forward_dct" and plan.dct != "islow"):
                return True
            if stage == "prepare_samples":
                return plan.smoothing > 0 or plan.color_convert not in ("rgb_ycc", "grayscale")
        if plan.restart_blocks and stage in PROGRESSIVE_STAGES:
            return not all(intervals_in_strips(plan, scan) for scan in plan.scans)
        if stage == "transform":
            return plan.smoothing > 0
        if stage == "prepare_samples":
            return plan.color_convert not in KERNEL_CONVERSIONS
        return stage == "forward_dct" and plan.dct not in ("islow", "ifast", "float")

    # -- the stages, one by one -----------------------------------------------------------------

    def prepare_samples(self, pixels: np.ndarray, plan: Plan) -> list[np.ndarray]:
        """Pixels of one strip -> samples per component (see :class:`~.base.Backend`), as
        uint8 views of the planes the kernels fill."""
        if plan.context_rows:
            return smoothed_samples(pixels, plan)
        shape = kernel_tables(plan).shape(pixels.shape[0])
        dtype = np.uint8 if plan.precision == 8 else np.uint16
        planes = np.empty((len(plan.components), shape.plane_rows, shape.plane_cols), dtype)
        if plan.precision == 8:
            convert_to_ycbcr(np.ascontiguousarray(pixels), planes)
        else:
            check_sample_range(pixels, plan)
            # Native uint16 (a 16-bit Netpbm file is memory-mapped big-endian).
            convert_to_ycbcr(np.ascontiguousarray(pixels, dtype=np.uint16), planes)
        samples = []
        for plane, component, layout in zip(planes, plan.components, plan.strip_layout(pixels.shape[0])):
            rows, cols = 8 * layout.real_block_rows, 8 * layout.real_block_cols
            h_ratio, v_ratio = plan.hmax // component.h, plan.vmax // component.v
            if (h_ratio, v_ratio) != (1, 1):
                reduced = np.empty((rows, cols), dtype)
                downsample(plane, h_ratio, v_ratio, layout.input_rows, cols, reduced)
                plane = reduced
            samples.append(plane[:rows, :cols])
        return samples

    def forward_dct(self, samples: list[np.ndarray], plan: Plan, rows: int) -> list[np.ndarray]:
        """Samples -> quantized blocks per component (see :class:`~.base.Backend`); islow, ifast
        or float."""
        if plan.precision != 8:
            return forward_dct_12(samples, plan, rows)
        tables = kernel_tables(plan)
        result = []
        for plane, component, layout in zip(samples, plan.components, plan.strip_layout(rows)):
            groups = -(-layout.real_block_cols // LANES)
            # transform_blocks reads whole groups of LANES blocks as 64-bit words.
            padded = np.zeros((8 * layout.real_block_rows, 8 * LANES * groups), np.uint8)
            padded[:, :plane.shape[1]] = plane
            out = np.empty((layout.block_rows, -(-layout.block_cols // LANES), 64, LANES), np.int16)
            q = component.quant_index
            transform_blocks(padded, layout.real_block_rows, layout.real_block_cols, layout.block_cols,
                             component.mcu_h, tables.method, tables.divisors[q], tables.reciprocals[q],
                             tables.scales[q], NATURAL, out)
            # (row, group, k, lane) -> (row, col, k), col = group * LANES + lane
            side_by_side = out.transpose(0, 1, 3, 2).reshape(layout.block_rows, -1, 64)
            result.append(side_by_side[:, :layout.block_cols].reshape(
                layout.block_rows, layout.block_cols, 8, 8))
        return result

    def entropy_encode(self, blocks: list[np.ndarray], plan: Plan,
                       state: EntropyState, final: bool) -> tuple[bytes, EntropyState]:
        """Huffman-code the strip's blocks (see :class:`~.base.Backend`)."""
        return self._code(self._stack_zigzag(blocks), plan, state, final)

    def arithmetic_encode(self, blocks: list[np.ndarray], plan: Plan, state: ArithmeticState,
                          final: bool) -> tuple[bytes, ArithmeticState]:
        """Arithmetic-code the strip's blocks with :func:`.numba_arithmetic.code_blocks` (see
        :func:`.arithmetic.arithmetic_encode`)."""
        return numba_arithmetic.arithmetic_encode(blocks, plan, state, final)

    def progressive_arithmetic_encode(self, blocks: list[np.ndarray], rows: int, scan: Scan,
                                      plan: Plan, state: ArithmeticState | None
                                      ) -> tuple[list[bytes], ArithmeticState | None]:
        """Arithmetic-code one strip of a progressive scan with
        :func:`.numba_arithmetic.code_scan_blocks` (see
        :func:`.arithmetic.progressive_arithmetic_encode`)."""
        return numba_arithmetic.progressive_arithmetic_encode(blocks, rows, scan, plan, state)

    def count_symbols(self, blocks: list[np.ndarray], plan: Plan, predictors: tuple[int, ...]
                      ) -> tuple[np.ndarray, np.ndarray, tuple[int, ...]]:
        """Count the Huffman symbols coding ``blocks`` would use (see :class:`~.base.Backend`)."""
        n_tables = len(plan.dc_tables)
        dc, ac = np.zeros((n_tables, 256), np.int64), np.zeros((n_tables, 256), np.int64)
        predictor_array = np.array(predictors, dtype=np.int64)
        blocks = self._stack_zigzag(blocks)
        count_blocks(blocks, kernel_tables(plan).components, plan.mcus_per_row,
                     _mcu_rows(blocks, plan), predictor_array, dc, ac)
        return dc, ac, tuple(int(p) for p in predictor_array)

    def interval_encode(self, blocks: list[np.ndarray], plan: Plan, state: EntropyState,
                        first_mcu: int) -> tuple[list[bytes], EntropyState]:
        """Huffman-code the strip's blocks with ``restart_blocks`` intervals, in one kernel call
        (see :func:`.huffman.interval_encode`)."""
        stacked = self._stack_zigzag(blocks)
        mcu_rows = _mcu_rows(stacked, plan)
        n_mcus = mcu_rows * plan.mcus_per_row
        interval = plan.restart_blocks
        starts = interval_starts(first_mcu, n_mcus, interval)
        ends = np.zeros(int((starts > 0).sum()), np.int64)
        # Room for every block's worst case, and each interval's padding byte, stuffed.
        out = _output_buffer(n_mcus * plan.blocks_per_mcu * MAX_BYTES_PER_BLOCK + MAX_EXTRA_BYTES
                             + 2 * len(ends))
        predictors = np.array(state.dc_predictors, dtype=np.int64)
        bit_state = np.array([0, state.pending_bits, state.pending_count], dtype=np.int64)
        end = first_mcu + n_mcus
        final = end % interval == 0 or end >= plan.total_mcus  # the strip ends an interval
        tables = kernel_tables(plan)
        status = code_intervals(stacked, tables.components, plan.mcus_per_row, mcu_rows,
                                tables.dc_table, tables.ac_table, predictors, bit_state, final, out,
                                interval, first_mcu, ends)
        data, state = self._finish(status, out, predictors, bit_state)
        bounds = [0, *ends.tolist(), len(data)]
        pieces = [data[a:b] for a, b in itertools.pairwise(bounds)]
        if starts.size and starts[0] == 0 and first_mcu > 0:
            pieces.insert(0, b"")  # the strip begins an interval: nothing goes on
        return pieces, state

    def interval_count(self, blocks: list[np.ndarray], plan: Plan, predictors: tuple[int, ...],
                       first_mcu: int) -> tuple[np.ndarray, np.ndarray, tuple[int, ...]]:
        """Count the symbols of :meth:`interval_encode` (see :func:`.huffman.interval_count`)."""
        n_tables = len(plan.dc_tables)
        dc, ac = np.zeros((n_tables, 256), np.int64), np.zeros((n_tables, 256), np.int64)
        predictor_array = np.array(predictors, dtype=np.int64)
        blocks = self._stack_zigzag(blocks)
        count_intervals(blocks, kernel_tables(plan).components, plan.mcus_per_row,
                        _mcu_rows(blocks, plan), predictor_array, dc, ac, plan.restart_blocks,
                        first_mcu)
        return dc, ac, tuple(int(p) for p in predictor_array)

    def lossless_count(self, strip: np.ndarray, above: np.ndarray | None, plan: LosslessPlan
                       ) -> tuple[np.ndarray, np.ndarray]:
        """Count a lossless strip's size categories in one kernel call (see
        :func:`.lossless.lossless_count`)."""
        counts = np.zeros(256, np.int64)
        row = lossless_row(above, strip, plan)
        lossless_strip(np.ascontiguousarray(strip), len(plan.component_ids), row, above is not None,
                       plan.predictor, plan.precision, plan.point_transform, np.zeros(256, np.int64),
                       True, counts, np.zeros(3, np.int64), False, np.empty(0, np.uint8))
        return counts, row

    def lossless_encode(self, strip: np.ndarray, above: np.ndarray | None, plan: LosslessPlan,
                        pending: tuple[int, int], final: bool
                        ) -> tuple[bytes, tuple[int, int], np.ndarray]:
        """Code a lossless strip in one kernel call (see :func:`.lossless.lossless_encode`)."""
        assert plan.table is not None
        row = lossless_row(above, strip, plan)
        n = strip.shape[0] * strip.shape[1] * len(plan.component_ids)
        out = _output_buffer(MAX_BYTES_PER_SAMPLE * n + MAX_EXTRA_BYTES)
        state = np.array([0, pending[0], pending[1]], np.int64)
        status = lossless_strip(np.ascontiguousarray(strip), len(plan.component_ids), row,
                                above is not None, plan.predictor, plan.precision,
                                plan.point_transform, lossless_table(plan.table), False,
                                np.zeros(0, np.int64), state, final, out)
        if status:
            raise ValueError(f"the lossless Huffman table has no code for category {status - 1}")
        return out[:state[0]].tobytes(), (int(state[1]), int(state[2])), row

    def progressive_encode(self, blocks: list[np.ndarray], rows: int, scan: Scan, plan: Plan,
                           codes: np.ndarray, lengths: np.ndarray, state: ScanState | None
                           ) -> tuple[list[bytes], ScanState | None]:
        """Code one strip of a progressive scan in one kernel call (see
        :func:`.progressive.progressive_encode`; ``state`` is updated in place, as there)."""
        shape = kernel_tables(plan).scan_shape(scan, rows)
        out = _output_buffer(shape.output_bytes)
        arrays = ScanArrays(shape, scan, state, counts=np.zeros((0, 256), np.int64))
        check_scan_status(arrays.run(blocks, scan, shape, codes, lengths, False, out))
        if state is None:
            ends = arrays.ends.tolist()
            return [out[start:end].tobytes() for start, end in zip([0, *ends[:-1]], ends)], None
        return [out[:arrays.state[POSITION]].tobytes()], arrays.update(state)

    def progressive_count(self, blocks: list[np.ndarray], rows: int, scan: Scan, plan: Plan,
                          state: ScanState | None) -> tuple[np.ndarray, ScanState | None]:
        """Count one strip's symbols of a progressive scan in one kernel call (see
        :func:`.progressive.progressive_count`; ``state`` is updated in place, as there)."""
        shape = kernel_tables(plan).scan_shape(scan, rows)
        arrays = ScanArrays(shape, scan, state, counts=np.zeros((len(plan.dc_tables), 256), np.int64))
        check_scan_status(arrays.run(blocks, scan, shape, NO_CODES, NO_LENGTHS, True, NO_ARRAY_U8))
        return arrays.counts, None if state is None else arrays.update(state)

    # -- the fused paths (islow, ifast, float) ----------------------------------------------------

    def transform_fused(self, pixels: np.ndarray, plan: Plan) -> list[np.ndarray]:
        """prepare_samples and forward_dct in one kernel call (:func:`transform_strip`) per
        piece of about :data:`TRANSFORM_PIXELS` pixels (whole MCU rows): a tall strip (a
        progressive encode's unit) goes through in pieces whose scratch arrays stay in the
        cache, each written straight into the component's own C-contiguous array."""
        layouts = plan.strip_layout(pixels.shape[0])
        out = [np.empty((layout.block_rows, layout.block_cols, 8, 8), np.int16) for layout in layouts]
        step = max(1, TRANSFORM_PIXELS // (plan.width * plan.mcu_height)) * plan.mcu_height
        for top in range(0, pixels.shape[0], step):
            piece = pixels[top:top + step]
            blocks = self._transform(piece, plan, NATURAL)
            mcu_row = top // plan.mcu_height
            for grid, component, layout, part in zip(out, plan.components,
                                                     plan.strip_layout(piece.shape[0]), blocks):
                first = mcu_row * component.mcu_v
                unstack_blocks(part, layout.block_rows, layout.block_cols,
                               grid[first:first + layout.block_rows].reshape(layout.block_rows, -1, 64))
        return out

    def encode_strips_fused(self, strips: Sequence[np.ndarray], plan: Plan) -> list[bytes]:
        """Several independent strips, pixels to bytes, in one kernel call when they lie one
        after another in memory (consecutive row ranges of one array, as the orchestrator cuts
        them from an image in memory); otherwise one call per strip."""
        if plan.context_rows:
            start, tables = EntropyState.start(plan), kernel_tables(plan)
            return [self._code(smoothed_blocks(strip, plan, tables), plan, start, True)[0]
                    for strip in strips]
        if len(strips) > 1 and strips[-1].shape[0] != plan.strip_height:
            # The image's last strip is shorter: the others can still go together.
            return [*self.encode_strips_fused(strips[:-1], plan), self._encode_strip(strips[-1], plan)]
        tall = stacked_strips(strips, plan.strip_height)
        if tall is None:
            return [self._encode_strip(strip, plan) for strip in strips]
        tables = kernel_tables(plan)
        shape = tables.shape(plan.strip_height)
        out = _output_buffer(len(strips) * shape.n_blocks * MAX_BYTES_PER_BLOCK + MAX_EXTRA_BYTES)
        ends = np.zeros(len(strips), np.int64)
        status = encode_strips_kernel(tall, plan.strip_height, shape.layout, shape.plane_rows,
                                      shape.plane_cols, tables.method, tables.divisors, tables.reciprocals,
                                      tables.scales, TO_ZIGZAG,
                                      tables.components, plan.mcus_per_row, tables.dc_table,
                                      tables.ac_table, True, out, ends)
        _check_status(status)
        starts = [0, *ends[:-1].tolist()]
        return [out[start:end].tobytes() for start, end in zip(starts, ends.tolist())]

    def encode_strip_continued_fused(self, pixels: np.ndarray, plan: Plan, state: EntropyState,
                                     final: bool = False) -> tuple[bytes, EntropyState]:
        """Pixels of one strip to bytes in one kernel call, continuing from ``state``; with
        ``final``, the last byte is padded (a whole restart interval)."""
        if plan.context_rows:
            return self._code(smoothed_blocks(pixels, plan, kernel_tables(plan)), plan, state, final)
        tables = kernel_tables(plan)
        shape = tables.shape(pixels.shape[0])
        out, predictors, bit_state = self._coder_arrays(shape.n_blocks, state)
        status = encode_strip_kernel(np.ascontiguousarray(pixels), shape.layout, shape.plane_rows,
                                     shape.plane_cols, tables.method, tables.divisors, tables.reciprocals,
                                     tables.scales, TO_ZIGZAG,
                                     tables.components, plan.mcus_per_row, tables.dc_table,
                                     tables.ac_table, predictors, bit_state, final, out)
        return self._finish(status, out, predictors, bit_state)

    # -- internals ----------------------------------------------------------------------------

    def _encode_strip(self, pixels: np.ndarray, plan: Plan) -> bytes:
        """One strip as one restart interval, in one kernel call."""
        return self.encode_strip_continued_fused(pixels, plan, EntropyState.start(plan), final=True)[0]

    @staticmethod
    def _transform(pixels: np.ndarray, plan: Plan, order: np.ndarray) -> np.ndarray:
        """Quantized blocks of every component, ``(n_components, rows, cols, 64)`` (islow, ifast,
        float)."""
        tables = kernel_tables(plan)
        shape = tables.shape(pixels.shape[0])
        return transform_strip(np.ascontiguousarray(pixels), shape.layout, shape.plane_rows,
                               shape.plane_cols, tables.method, tables.divisors, tables.reciprocals,
                               tables.scales, order)

    @staticmethod
    def _stack_zigzag(blocks: list[np.ndarray]) -> np.ndarray:
        """Contract blocks (per component, natural order) -> the internal array."""
        # Padded to the largest grid both ways (luma's, unless the chroma is the larger).
        rows, cols = (max(b.shape[axis] for b in blocks) for axis in (0, 1))
        groups = -(-cols // LANES)
        stacked = np.zeros((len(blocks), rows, groups, 64, LANES), np.int16)
        for index, component_blocks in enumerate(blocks):
            natural = np.ascontiguousarray(component_blocks, dtype=np.int16)
            stack_blocks(natural.reshape(*natural.shape[:2], 64), TO_ZIGZAG, stacked[index])
        return stacked

    def _code(self, blocks: np.ndarray, plan: Plan, state: EntropyState,
              final: bool) -> tuple[bytes, EntropyState]:
        """Huffman-code the internal block array, continuing from ``state``."""
        mcu_rows = _mcu_rows(blocks, plan)
        out, predictors, bit_state = self._coder_arrays(
            mcu_rows * plan.mcus_per_row * plan.blocks_per_mcu, state)
        tables = kernel_tables(plan)
        status = code_blocks(blocks, tables.components, plan.mcus_per_row, mcu_rows, tables.dc_table,
                             tables.ac_table, predictors, bit_state, final, out)
        return self._finish(status, out, predictors, bit_state)

    @staticmethod
    def _coder_arrays(n_blocks: int, state: EntropyState) -> tuple[np.ndarray, np.ndarray, np.ndarray]:
        """The coder's in/out arrays: an output buffer for ``n_blocks`` blocks in the worst
        case, the DC predictors and the bit state ``[position, buffer, count]`` of ``state``."""
        out = _output_buffer(n_blocks * MAX_BYTES_PER_BLOCK + MAX_EXTRA_BYTES)
        predictors = np.array(state.dc_predictors, dtype=np.int64)
        bit_state = np.array([0, state.pending_bits, state.pending_count], dtype=np.int64)
        return out, predictors, bit_state

    @staticmethod
    def _finish(status: int, out: np.ndarray, predictors: np.ndarray,
                bit_state: np.ndarray) -> tuple[bytes, EntropyState]:
        """The coded bytes and the state after them, or the coder's error."""
        _check_status(status)
        position, buffer, count = (int(v) for v in bit_state)
        return out[:position].tobytes(), EntropyState(tuple(int(p) for p in predictors), buffer, count)


def _mcu_rows(blocks: np.ndarray, plan: Plan) -> int:
    """MCU rows in an internal block array: its rows are the tallest component's blocks."""
    return blocks.shape[1] // max(c.mcu_v for c in plan.components)


#: Each thread's output buffer for the progressive kernels, kept from call to call.
_THREAD_BUFFERS = threading.local()


def _output_buffer(size: int) -> np.ndarray:
    """A uint8 buffer of at least ``size`` bytes, this thread's own, reused from call to call.

    The bound a call needs (every coefficient coded at its longest) is megabytes for a unit,
    of which a few percent are written. A new array each call would be mapped and unmapped
    each time (glibc serves such sizes with mmap), and with two threads each unmapping stalls
    the other core too (a TLB shootdown): two threads then coded slower than one. The same
    holds wherever glibc's heap stops growing its mmap threshold, as in a Dask worker, which
    sets ``MALLOC_TRIM_THRESHOLD_``. Every caller copies its bytes out before the next call.
    """
    buffer = getattr(_THREAD_BUFFERS, "buffer", None)
    if buffer is None or buffer.size < size:
        buffer = _THREAD_BUFFERS.buffer = np.empty(max(size, 1 << 20), np.uint8)
    return buffer


def _check_status(status: int) -> None:
    """Raise the coder's error, if ``status`` (see :func:`code_or_count_blocks`) is one."""
    if status < 0:
        kind, symbol = ("DC", -1 - status) if status > -257 else ("AC", -257 - status)
        raise ValueError(f"the {kind} Huffman table has no code for symbol 0x{symbol:02X}")
