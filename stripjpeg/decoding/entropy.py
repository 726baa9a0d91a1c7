"""Sequential Huffman decoding of one band of MCU rows (T.81 F.2.2), the NumPy textbook.

The blocks are decoded with the reader's own pieces (:class:`stripjpeg.scan_decoding.BitReader`,
:func:`stripjpeg.scan_decoding.decode_symbol`, :func:`stripjpeg.reader.decode_block`), one
restart interval's unstuffed bytes at a time. An :class:`IntervalCursor` says where the
decode is: the interval, the bits read of it, the DC predictions; a band that begins an
interval starts from a fresh cursor, and the bands of a file without restart markers hand
one cursor on from band to band.

What libjpeg does when the data ends early (``jdhuff.c``: ``insufficient_data``) is done here
too when ``strict`` is False: the MCU the data ends in is completed with zero bits, and every
later MCU of the interval is left all zero. ``stripjpeg.backends.numba_decode_huffman`` is the
fast twin; both give the coefficients :func:`stripjpeg.reader.read_coefficients` gives.
"""

from __future__ import annotations

from dataclasses import dataclass, field

import numpy as np

from ..reader import decode_block
from ..scan_decoding import BitReader
from .bands import Band, SequentialLayout

#: Zero bytes after an interval's data: more than the bits of any one MCU (10 blocks of 64
#: coefficients of at most 32 bits each), which is as far as decoding goes past the end.
ZERO_FILL = 4096


class ZeroFilledBitReader(BitReader):
    """A BitReader that reads zero bits past the end of its data instead of failing, and
    notes that it did (``ran_out``), as libjpeg's ``jpeg_fill_bit_buffer`` does."""

    def __init__(self, data: bytes) -> None:
        super().__init__(data + bytes(ZERO_FILL))
        self.limit = 8 * len(data)
        self.ran_out = False

    def take(self, count: int) -> int:
        if self.position + count > self.limit:
            self.ran_out = True
            self.limit = self.position + count
        return super().take(count)


@dataclass
class IntervalCursor:
    """Where a sequential decode is: restart interval ``interval``, ``mcus_left`` MCUs of it
    still to decode, its bit reader, and the DC prediction of each scan component."""

    interval: int
    mcus_left: int
    reader: BitReader | None = None
    predictions: list[int] = field(default_factory=lambda: [0, 0, 0, 0])
    insufficient: bool = False


def interval_bytes(data: bytes, offsets: np.ndarray, end: int, interval: int) -> bytes:
    """Restart interval ``interval``'s entropy-coded bytes, unstuffed (B.1.1.5): from its
    offset to the RSTn marker after it (or to ``end``, for the last)."""
    stop = int(offsets[interval + 1]) - 2 if interval + 1 < len(offsets) else end
    return data[int(offsets[interval]):stop].replace(b"\xff\x00", b"\xff")


def band_blocks(layout: SequentialLayout, band: Band) -> list[np.ndarray]:
    """Zeroed int16 blocks ``(block_rows, block_cols, 8, 8)`` for each component's part of
    the band: its block rows ``[first_mcu_row * V, stop_mcu_row * V)`` (V its MCU block rows),
    cut at the component's last block row."""
    blocks = []
    for index, component in enumerate(layout.frame.components):
        v, _ = layout.mcu_blocks(index)
        first = band.first_mcu_row * v
        rows = min(band.stop_mcu_row * v, component.height_in_blocks) - first
        blocks.append(np.zeros((max(rows, 0), component.width_in_blocks, 8, 8), np.int16))
    return blocks


def decode_band(data: bytes, layout: SequentialLayout, band: Band, offsets: np.ndarray, end: int,
                cursor: IntervalCursor | None = None, strict: bool = True
                ) -> tuple[list[np.ndarray], IntervalCursor, str | None]:
    """Decode the band's MCUs.

    Args:
        data: the file's bytes.
        offsets, end: each interval's first byte (those present; a truncated file has fewer),
            and where the scan's data ends (:mod:`stripjpeg.decoding.bands`).
        cursor: where the previous band's decode stopped; None when the band begins
            interval ``band.first_interval``.
        strict: raise at the first problem; else decode on as libjpeg does (see module doc).

    Returns:
        ``(blocks, cursor, problem)``: per component the band's blocks (:func:`band_blocks`),
        the cursor after the band, and the first problem met (None if none).

    Raises:
        ValueError: with ``strict``, a bad code, a run past a block's end, data that ends early.
    """
    interval_mcus = layout.restart_interval or layout.mcus_across * layout.mcus_down
    if cursor is None:
        cursor = IntervalCursor(band.first_interval, 0)
        cursor.interval -= 1  # the loop below enters it
    blocks = band_blocks(layout, band)
    placement = _block_placement(layout, band)
    problem = None
    first = band.first_mcu_row * layout.mcus_across
    for mcu in range(first, band.stop_mcu_row * layout.mcus_across):
        if cursor.mcus_left == 0:
            cursor = _enter_interval(data, offsets, end, cursor.interval + 1, interval_mcus)
            if cursor.reader is None:
                if strict:
                    raise ValueError(f"truncated JPEG: restart interval {cursor.interval} is "
                                     "missing")
                problem = problem or f"restart interval {cursor.interval} is missing"
        cursor.mcus_left -= 1
        if cursor.insufficient:
            continue
        try:
            _decode_mcu(cursor, layout, blocks, placement, divmod(mcu, layout.mcus_across))
        except ValueError as error:
            if strict:
                raise
            problem = problem or str(error)
            cursor.insufficient = True
        if isinstance(cursor.reader, ZeroFilledBitReader) and cursor.reader.ran_out:
            if strict:
                raise ValueError("truncated entropy-coded data: a block runs past its restart "
                                 "interval")
            problem = problem or "truncated entropy-coded data"
            cursor.insufficient = True
    return blocks, cursor, problem


def _enter_interval(data: bytes, offsets: np.ndarray, end: int, interval: int,
                    interval_mcus: int) -> IntervalCursor:
    """A fresh cursor at the start of an interval (F.1.2.3: DC predictions restart at 0);
    its reader is None (and it decodes as zeros) when the interval is not in the data."""
    if interval >= len(offsets):
        return IntervalCursor(interval, interval_mcus, None, insufficient=True)
    reader = ZeroFilledBitReader(interval_bytes(data, offsets, end, interval))
    return IntervalCursor(interval, interval_mcus, reader)


def _block_placement(layout: SequentialLayout, band: Band) -> list[tuple[int, int, int, int, int]]:
    """Per block of an MCU: (scan position, frame index, block row and column in the MCU,
    the component's first block row in the band)."""
    placement = []
    for k, member in enumerate(layout.members):
        v, h = layout.mcu_blocks(member.index)
        placement += [(k, member.index, by, bx, band.first_mcu_row * v)
                      for by in range(v) for bx in range(h)]
    return placement


def _decode_mcu(cursor: IntervalCursor, layout: SequentialLayout, blocks: list[np.ndarray],
                placement: list, at: tuple[int, int]) -> None:
    """One MCU's blocks (A.2.3: in the scan's component order, each component's blocks left
    to right, top to bottom); blocks that only pad the MCU are decoded and dropped."""
    mcu_row, mcu_col = at
    for k, index, by, bx, first_row in placement:
        member = layout.members[k]
        block, cursor.predictions[k] = decode_block(cursor.reader, member.dc, member.ac,
                                                    cursor.predictions[k])
        v, h = layout.mcu_blocks(index)
        row, col = mcu_row * v + by - first_row, mcu_col * h + bx
        if row < blocks[index].shape[0] and col < blocks[index].shape[1]:
            blocks[index][row, col] = block
