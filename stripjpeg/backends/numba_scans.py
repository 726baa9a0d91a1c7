"""The Python side of a progressive kernel call on the numba backend: the arrays
:func:`.numba_progressive.code_dc_scan` and :func:`.numba_progressive.code_ac_scan` read and
write, made from a :class:`~stripjpeg.stages.progressive.ScanState` and back, and the
kernels' status as the NumPy stage words its errors."""

from __future__ import annotations

from typing import Any

import numpy as np

from ..plan import Scan
from ..stages.progressive import ScanState
from .numba_progressive import (
    BE_BITS,
    BE_ENTRIES,
    BUFFER,
    CORRECTION_ENTRIES,
    COUNT,
    EOBRUN,
    STATE_SIZE,
    TOO_LARGE,
    ZIGZAG,
    code_ac_scan,
    code_dc_scan,
)

#: For the progressive kernels: each zigzag position's natural index (read-only: one
#: compiled version of the kernels).
ZIGZAG_INDEX = np.array(ZIGZAG, dtype=np.int64)
ZIGZAG_INDEX.flags.writeable = False


class ScanArrays:
    """The in/out arrays of a progressive kernel call, from a :class:`ScanState` (or fresh,
    for whole restart intervals: ``state`` None) and back."""

    def __init__(self, shape: Any, scan: Scan, state: ScanState | None, counts: np.ndarray) -> None:
        self.restarts = state is None
        if self.restarts and not shape.interval:
            raise ValueError("state=None codes whole restart intervals, but the plan has no restart markers")
        self.counts = counts
        self.ends = np.zeros(shape.intervals if self.restarts else 0, np.int64)
        self.state = np.zeros(STATE_SIZE, np.int64)
        self.correction = np.empty((2, CORRECTION_ENTRIES), np.int64)  # entries < BE_ENTRIES used
        self.predictors = np.zeros(len(scan.components), np.int64)
        if state is not None:
            self.state[BUFFER], self.state[COUNT] = state.pending_bits, state.pending_count
            self.state[EOBRUN] = state.eobrun
            self.predictors[:] = state.predictors
            bits = state.correction_bits
            # Any grouping of the waiting bits codes the same; 32 bits to an entry.
            for entry, first in enumerate(range(0, len(bits), 32)):
                group = bits[first:first + 32]
                self.correction[0, entry] = int("".join(map(str, group)), 2)
                self.correction[1, entry] = len(group)
            self.state[BE_ENTRIES], self.state[BE_BITS] = -(-len(bits) // 32), len(bits)

    def run(self, blocks: list[np.ndarray], scan: Scan, shape: Any, codes: np.ndarray,
            lengths: np.ndarray, counting: bool, out: np.ndarray) -> int:
        """Run the kernel of ``scan``'s kind on the strip's ``blocks``; returns its status."""
        # The orchestrator's types (scan_code_arrays): one compiled version of each kernel.
        codes, lengths = np.asarray(codes, np.uint32), np.asarray(lengths, np.int64)
        if lengths.size and not 0 <= lengths.min() <= lengths.max() <= 16:
            # The output buffer's bound (and T.81 C) counts on codes of at most 16 bits.
            raise ValueError(f"Huffman code lengths must be 0..16 bits, got {lengths.min()}..{lengths.max()}")
        interval = shape.interval if self.restarts else 0
        if scan.ss == 0:
            grids = [blocks[i] for i in shape.members]
            grids += [grids[0]] * (4 - len(grids))
            return code_dc_scan(*grids, shape.components, shape.mcu_rows, shape.mcus_across, scan.ah,
                                scan.al, codes, lengths, interval, self.state, self.predictors, counting,
                                self.counts, out, self.ends)
        grid = blocks[shape.members[0]]
        if grid.strides[2:] != (16, 2):
            grid = np.ascontiguousarray(grid)  # the kernel reads each block's 64 values at once
        return code_ac_scan(grid, shape.mcu_rows, shape.mcus_across, scan.ss, scan.se, scan.ah, scan.al,
                            int(shape.components[0, 2]), codes, lengths, ZIGZAG_INDEX, interval, self.state,
                            self.correction, counting, self.counts, out, self.ends)

    def update(self, state: ScanState) -> ScanState:
        """Put the kernel's state after the strip into ``state`` (and return it)."""
        state.predictors = self.predictors.tolist()
        state.eobrun = int(self.state[EOBRUN])
        state.correction_bits = [int(bit) for word, length in self.correction[:, :self.state[BE_ENTRIES]].T
                                 for bit in format(int(word), f"0{int(length)}b")]
        state.pending_bits, state.pending_count = int(self.state[BUFFER]), int(self.state[COUNT])
        return state


def check_scan_status(status: int) -> None:
    """Raise a progressive kernel's error, if ``status`` (see :func:`code_ac_scan`) is one,
    as the NumPy stage words it."""
    if status == TOO_LARGE:
        raise ValueError("a coefficient is too large for a progressive AC scan (more than 15 bits)")
    if status < 0:
        table, symbol = divmod(-1 - status, 256)
        raise ValueError(f"Huffman table {table} has no code for symbol 0x{symbol:02X}")
