"""Where a sequential scan's restart intervals are, and how they group into bands.

A *band* is a run of whole MCU rows that one task decodes: entropy decoding, then the pixel
stages. Restart intervals (T.81 B.2.4.4, F.1.2.3) are the places where the entropy-coded data
can be entered without decoding what comes before (the DC predictions restart at 0, the bits
restart byte-aligned after an RSTn marker), so bands that begin at an interval are independent
and decode in parallel.

* :func:`read_sequential_layout` reads the header up to the first scan and, for a file whose
  first scan is the only one, sequential, Huffman-coded and holding every component, the
  scan's MCU grid and its restart interval.
* :func:`find_restart_markers` finds every RSTn marker of the scan's entropy-coded data at
  once: a vectorized search for 0xFF followed by 0xD0..0xD7 (a stuffed data byte is 0xFF 0x00,
  B.1.1.5, so that pair is never in the data).
* :func:`interval_offsets_from_index` takes the same offsets from the restart index that
  ``stripjpeg encode --index`` writes, checking each against the file.
* :func:`plan_bands` groups the MCU rows into bands: each band begins where an interval
  begins on a row boundary; without restart markers (or with intervals that never meet a row
  boundary) the bands are consecutive pieces of one serial decode.
"""

from __future__ import annotations

import json
import math
import os
from dataclasses import dataclass

import numpy as np

from ..reader import DecodedJpeg, read_header
from ..scan_decoding import HuffmanTable

#: Pixels a band holds, about: a few milliseconds of work per task (as the encoder's
#: ``scheduler.THREAD_BATCH_PIXELS``), and the unit of memory in flight.
BAND_PIXELS = 1 << 19


@dataclass(frozen=True)
class ScanMember:
    """One component of the scan: its index in the frame and its Huffman tables."""

    index: int
    dc: HuffmanTable
    ac: HuffmanTable


@dataclass(frozen=True)
class SequentialLayout:
    """The single sequential Huffman scan of a file, as the band decoders need it.

    Attributes:
        frame: the frame (no coefficients).
        members: the scan's components, in scan order.
        mcus_across, mcus_down: the scan's MCU grid (A.2.2, A.2.3): one block per MCU for a
            scan of one component, else Hmax x Vmax blocks' worth of pixels.
        mcu_height: pixel rows one MCU row covers.
        mcu_rows_per_imcu: MCU rows in one of the pixel stages' iMCU rows (``8 * Vmax``
            pixel rows): 1 for an interleaved scan, the component's V for a scan of one
            component (which codes one block per MCU).
        restart_interval: MCUs per restart interval (0: no restart markers).
        scan_start: offset of the scan's first entropy-coded byte.
    """

    frame: DecodedJpeg
    members: tuple[ScanMember, ...]
    mcus_across: int
    mcus_down: int
    mcu_height: int
    mcu_rows_per_imcu: int
    restart_interval: int
    scan_start: int

    @property
    def interleaved(self) -> bool:
        return len(self.members) > 1

    @property
    def interval_count(self) -> int:
        """How many restart intervals the scan has (1 without restart markers)."""
        total = self.mcus_across * self.mcus_down
        return math.ceil(total / self.restart_interval) if self.restart_interval else 1

    def mcu_blocks(self, index: int) -> tuple[int, int]:
        """``(v, h)``: block rows and columns of component ``index`` in one MCU."""
        if not self.interleaved:
            return 1, 1
        component = self.frame.components[index]
        return component.v, component.h


def read_sequential_layout(data: bytes, max_pixels: int) -> tuple[DecodedJpeg, SequentialLayout | None]:
    """The frame, and the layout of its scan when the band decoders can decode it: a
    sequential Huffman frame (SOF0, SOF1) of 8-bit samples whose first scan codes every
    component. Otherwise (progressive, arithmetic, a scan per component) the layout is None
    and the file is read whole by :func:`stripjpeg.reader.read_jpeg`.

    Raises:
        ValueError: a malformed header or scan header.
    """
    header = read_header(data, max_pixels)
    frame = header.frame
    if frame.process not in ("baseline", "extended") or frame.precision != 8:
        return frame, None
    sos = header.scan_header
    if len(sos) < 1 or not 1 <= sos[0] <= 4 or len(sos) != 4 + 2 * sos[0]:
        raise ValueError("malformed scan header (SOS)")
    ids = {c.id: i for i, c in enumerate(frame.components)}
    members = []
    for k in range(sos[0]):
        cid, tables = sos[1 + 2 * k], sos[2 + 2 * k]
        if cid not in ids:
            raise ValueError(f"the scan names component {cid}, which the frame does not have")
        dc, ac = header.huffman.get((0, tables >> 4)), header.huffman.get((1, tables & 15))
        if dc is None or ac is None:
            raise ValueError(f"component {cid} uses a Huffman table that is not defined")
        members.append(ScanMember(ids[cid], dc, ac))
    if sorted(m.index for m in members) != list(range(len(frame.components))):
        return frame, None  # one scan per component (or a few): read whole
    if (sos[-3], sos[-2], sos[-1]) != (0, 63, 0):
        raise ValueError(f"scan with Ss={sos[-3]}, Se={sos[-2]}, Ah/Al=0x{sos[-1]:02X} in a "
                         "sequential frame: its scans code Ss=0..Se=63 with Ah=Al=0")
    hmax = max(c.h for c in frame.components)
    vmax = max(c.v for c in frame.components)
    if len(members) == 1:
        component = frame.components[members[0].index]
        across, down = component.width_in_blocks, component.height_in_blocks
        mcu_height = 8 * vmax // component.v
        per_imcu = component.v
    else:
        if sum(c.h * c.v for c in frame.components) > 10:
            raise ValueError("an interleaved scan of more than 10 blocks per MCU (T.81 B.2.3)")
        across = math.ceil(frame.width / (8 * hmax))
        down = math.ceil(frame.height / (8 * vmax))
        mcu_height = 8 * vmax
        per_imcu = 1
    return frame, SequentialLayout(frame, tuple(members), across, down, mcu_height, per_imcu,
                                   frame.restart_interval, header.scan_start)


def find_restart_markers(data: bytes | np.ndarray, start: int) -> tuple[np.ndarray, int, bool]:
    """Every RSTn marker of the entropy-coded data that begins at ``start``, found at once.

    Returns:
        ``(restarts, end, complete)``: int64 offsets of the RSTn markers (their 0xFF byte),
        the offset of the first other marker (the end of the scan; a run of 0xFF fill bytes
        before a marker counts as part of it, B.1.1.2), and whether there is one: a truncated
        file has none, and then ``end`` is the length of the data.
    """
    buffer = np.frombuffer(data, np.uint8) if not isinstance(data, np.ndarray) else data
    ff = np.flatnonzero(buffer[start:len(buffer) - 1] == 0xFF) + start
    following = buffer[ff + 1]
    is_rst = (following >= 0xD0) & (following <= 0xD7)
    is_end = (following != 0x00) & ~is_rst & (following != 0xFF)
    if is_end.any():
        end = int(ff[np.argmax(is_end)])
        return ff[is_rst & (ff < end)].astype(np.int64), end, True
    return ff[is_rst].astype(np.int64), len(buffer), False


def interval_offsets(data: bytes, layout: SequentialLayout, strict: bool = True
                     ) -> tuple[np.ndarray, int, bool]:
    """Offsets of each restart interval's first entropy-coded byte, from the marker scan.

    Returns ``(offsets, end, complete)``: one offset per interval present (fewer than
    ``layout.interval_count`` when the file is truncated), where the scan's data ends (its
    end marker, or the end of the data), and whether the scan ends with a marker. With
    ``strict``, RSTn markers out of sequence (F.1.2.3: RST0..RST7 in turn) or a count that
    differs from the interval count are a ValueError.
    """
    restarts, end, complete = find_restart_markers(data, layout.scan_start)
    buffer = np.frombuffer(data, np.uint8)
    expected = np.arange(len(restarts)) % 8 + 0xD0
    wrong = np.flatnonzero(buffer[restarts + 1] != expected)
    if strict and wrong.size:
        at = int(restarts[wrong[0]])
        raise ValueError(f"restart marker RST{data[at + 1] - 0xD0} at byte {at}, expected "
                         f"RST{int(wrong[0]) % 8}")
    offsets = np.concatenate([[layout.scan_start], restarts + 2]).astype(np.int64)
    if strict and len(offsets) != layout.interval_count and complete:
        raise ValueError(f"the scan has {len(offsets)} restart intervals, expected "
                         f"{layout.interval_count} (restart interval {layout.restart_interval} MCUs)")
    return offsets[:layout.interval_count], end, complete


def interval_offsets_from_index(index: str | os.PathLike | dict, data: bytes,
                                layout: SequentialLayout) -> np.ndarray:
    """The intervals' offsets from a restart index (``stripjpeg encode --index``'s JSON, as a
    path or as the loaded dict), checked against the file: each offset after the first must
    follow its RSTn marker, in sequence, and the first must be where the scan's data begins.

    Raises:
        ValueError: the index does not describe this file.
    """
    if not isinstance(index, dict):
        with open(index, encoding="utf-8") as file:
            index = json.load(file)
    try:
        offsets = np.asarray(index["offsets"], dtype=np.int64)
        same_size = (index["width"], index["height"]) == (layout.frame.width, layout.frame.height)
    except (KeyError, TypeError, ValueError) as error:
        raise ValueError(f"not a stripjpeg restart index: {error}") from None
    if not same_size or offsets.ndim != 1 or len(offsets) != layout.interval_count \
            or offsets[0] != layout.scan_start:
        raise ValueError("the restart index does not describe this file (size, interval count "
                         "or first offset differ)")
    markers = offsets[1:] - 2
    buffer = np.frombuffer(data, np.uint8)
    if markers.size and (markers.min() < layout.scan_start or markers.max() + 1 >= len(buffer)
                         or np.any(buffer[markers] != 0xFF)
                         or np.any(buffer[markers + 1] != np.arange(markers.size) % 8 + 0xD0)):
        raise ValueError("the restart index does not describe this file: an offset does not "
                         "follow its RSTn marker")
    return offsets


@dataclass(frozen=True)
class Band:
    """MCU rows ``[first_mcu_row, first_mcu_row + mcu_rows)`` decoded as one task.

    ``first_interval`` is the restart interval the band begins with (its data can be entered
    there), or None when the band continues the decode of the band before it (serial).
    """

    first_mcu_row: int
    mcu_rows: int
    first_interval: int | None

    @property
    def stop_mcu_row(self) -> int:
        return self.first_mcu_row + self.mcu_rows

    def imcu_rows(self, layout: SequentialLayout) -> tuple[int, int]:
        """The band as the pixel stages count it: ``(first, stop)`` iMCU rows."""
        k = layout.mcu_rows_per_imcu
        return self.first_mcu_row // k, -(-self.stop_mcu_row // k)


def row_groups(layout: SequentialLayout) -> int | None:
    """MCU rows in the smallest run of whole iMCU rows that begins and ends on interval
    boundaries (lcm of the interval and the row, in MCUs), or None without restart markers
    or when that run would be the whole image (then the decode is serial)."""
    interval = layout.restart_interval
    if not interval or layout.interval_count == 1:
        return None
    rows = math.lcm(interval, layout.mcus_across) // layout.mcus_across
    rows = math.lcm(rows, layout.mcu_rows_per_imcu)
    return rows if rows < layout.mcus_down else None


def plan_bands(layout: SequentialLayout, first_row: int = 0, stop_row: int | None = None,
               band_pixels: int | None = None) -> list[Band]:
    """Bands covering MCU rows ``[first_row, stop_row)`` of the scan (all by default).

    With restart intervals that meet row boundaries, each band is a whole number of
    :func:`row_groups` (as many as make about ``band_pixels`` pixels) and starts an interval;
    ``first_row`` is moved back to a group boundary. Otherwise the bands are consecutive
    pieces of one serial decode (``first_interval`` None after the first), starting at row 0.
    ``band_pixels`` is :data:`BAND_PIXELS` by default.
    """
    band_pixels = BAND_PIXELS if band_pixels is None else band_pixels
    stop_row = layout.mcus_down if stop_row is None else stop_row
    row_pixels = layout.frame.width * layout.mcu_height
    wanted = max(1, band_pixels // max(1, row_pixels))
    group = row_groups(layout)
    if group is None:
        wanted = -(-wanted // layout.mcu_rows_per_imcu) * layout.mcu_rows_per_imcu
        starts = list(range(0, stop_row, wanted))
        return [Band(s, min(wanted, stop_row - s), 0 if s == 0 else None) for s in starts]
    step = group * max(1, wanted // group)
    first_row -= first_row % group
    bands = []
    for start in range(first_row, stop_row, step):
        end = min(start + step, layout.mcus_down)
        bands.append(Band(start, end - start, start * layout.mcus_across // layout.restart_interval))
    return bands
