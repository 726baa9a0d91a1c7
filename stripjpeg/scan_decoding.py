"""What every scan decoder shares (T.81 A.1.1, B.1.1.5, F.2.2): the frame's components and
their block grids, finding and unstuffing a scan's entropy-coded data, Huffman tables and
reading bits.

:mod:`stripjpeg.reader` (the file's segments, sequential scans),
:mod:`stripjpeg.progressive_reader` (progressive scans) and :mod:`stripjpeg.lossless_reader`
are built on these pieces.
"""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np


@dataclass(frozen=True)
class FrameComponent:
    """One component of the frame header (B.2.2) and its block grid.

    ``width_in_blocks`` x ``height_in_blocks`` are the component's own blocks (A.1.1:
    ``ceil(ceil(width * H / Hmax) / 8)`` across), not the dummy blocks that pad an
    interleaved scan's last MCUs.
    """

    id: int
    h: int
    v: int
    quant_index: int
    width_in_blocks: int
    height_in_blocks: int


def entropy_data_end(data: bytes, start: int) -> tuple[int, list[int]]:
    """Find where the entropy-coded data that starts at ``start`` ends (B.1.1.5).

    Returns the offset of the first marker that is neither a stuffed 0xFF00, an RSTn nor a
    fill byte, and the offsets of the RSTn markers before it. The search looks at a window
    that doubles until it finds that marker, so that finding a scan's end costs time in
    proportion to the scan, not to the rest of the file (a file of many short scans would
    otherwise take quadratic time).

    Raises:
        ValueError: no such marker before the end of the data.
    """
    buffer = np.frombuffer(data, np.uint8)
    restarts: list[int] = []
    begin, window = start, 1024
    while True:
        stop = min(len(buffer), begin + window)
        # Every 0xFF in [begin, stop - 1) with the byte after it; the next window starts at
        # stop - 1, so a pair that straddles the boundary is looked at exactly once.
        ff = np.flatnonzero(buffer[begin:stop - 1] == 0xFF) + begin
        following = buffer[ff + 1]
        is_rst = (following >= 0xD0) & (following <= 0xD7)
        is_end = (following != 0x00) & ~is_rst & (following != 0xFF)
        if is_end.any():
            end = int(ff[np.argmax(is_end)])
            restarts += ff[is_rst & (ff < end)].tolist()
            return end, restarts
        if stop >= len(buffer):
            raise ValueError(f"truncated JPEG: the entropy-coded data from byte {start} has no end marker")
        restarts += ff[is_rst].tolist()
        begin, window = stop - 1, 2 * window


def split_entropy_data(data: bytes, start: int) -> tuple[list[bytes], int]:
    """Cut a scan's entropy-coded data at its RSTn markers, unstuffed (F.1.2.3, B.1.1.5).

    Returns the restart intervals' bytes and the offset of the marker that ends the scan."""
    end, rsts = entropy_data_end(data, start)
    expected = 0
    segments, begin = [], start
    for offset in [*rsts, end]:
        if offset < end:
            if data[offset + 1] != 0xD0 + expected:
                raise ValueError(f"restart marker RST{data[offset + 1] - 0xD0} at byte {offset}, "
                                 f"expected RST{expected}")
            expected = (expected + 1) % 8
        segments.append(data[begin:offset].replace(b"\xff\x00", b"\xff"))
        begin = offset + 2
    return segments, end


class HuffmanTable:
    """A DHT table, decodable as in T.81 F.2.2.3 with an 8-bit lookahead, as libjpeg does.

    ``lookup[next 8 bits] = symbol << 5 | length`` for the codes of up to 8 bits (0 where no
    such code starts with those bits); longer codes are found by the standard's DECODE
    procedure: the first length whose largest code (``maxcode``) is at least the bits read.
    A 16-bit lookahead would make every code one lookup, but building its 65,536 entries for
    each DHT segment would let a file of many small DHT segments take seconds to parse.
    """

    def __init__(self, bits: list[int], values: bytes) -> None:
        lookup = [0] * 256
        self.values = values
        self.maxcode = [-1] * 17  # by length: the largest code of that length, -1 if none
        self.offset = [0] * 17  # by length: index in values of a code minus the code
        code, position = 0, 0  # the canonical codes of Annex C, counted up length by length
        for length in range(1, 17):
            count = bits[length - 1]
            if count and code + count > 1 << length:
                raise ValueError("malformed DHT segment: more codes than the lengths allow")
            if count:
                self.offset[length] = position - code
                self.maxcode[length] = code + count - 1
            if length <= 8:
                for k in range(count):
                    first = (code + k) << (8 - length)
                    lookup[first:first + (1 << (8 - length))] = \
                        [(values[position + k] << 5) | length] * (1 << (8 - length))
            code, position = (code + count) << 1, position + count
        self.lookup = lookup


def read_dht(payload: bytes) -> list[tuple[int, int, HuffmanTable]]:
    """The Huffman tables of one DHT segment (B.2.4.2), in the order it defines them.

    Args:
        payload: the segment's bytes after its length: per table, Tc/Th, the 16 code counts
            by length (``BITS``), then the symbols (``HUFFVAL``).

    Returns:
        ``(table_class, index, table)`` per table: class 0 for DC (and lossless) tables,
        1 for AC; index 0..3.

    Raises:
        ValueError: a table of class over 1 or index over 3, over 256 symbols (libjpeg's
            jdmarker.c get_dht refuses more), or one that runs past the segment.
    """
    tables, position = [], 0
    while position < len(payload):
        if position + 17 > len(payload):
            raise ValueError("malformed DHT segment")
        table_class, index = payload[position] >> 4, payload[position] & 15
        bits = list(payload[position + 1:position + 17])
        count = sum(bits)
        if table_class > 1 or index > 3 or count > 256 or position + 17 + count > len(payload):
            raise ValueError("malformed DHT segment")
        values = payload[position + 17:position + 17 + count]
        tables.append((table_class, index, HuffmanTable(bits, values)))
        position += 17 + count
    return tables


class BitReader:
    """Reads bits MSB first from one restart interval's unstuffed bytes.

    ``position`` counts the bits read; reading past the interval's last bit is a
    ``ValueError`` (``peek16`` may look past it: the bytes are padded with zeros).
    """

    def __init__(self, data: bytes) -> None:
        self.data = data + b"\x00\x00\x00\x00"
        self.limit = 8 * len(data)
        self.position = 0

    def peek16(self) -> int:
        """The next 16 bits, without reading them."""
        p = self.position
        d = self.data
        i = p >> 3
        window = (d[i] << 16) | (d[i + 1] << 8) | d[i + 2]
        return (window >> (8 - (p & 7))) & 0xFFFF

    def take(self, count: int) -> int:
        """Read ``count`` (0..16) bits as an unsigned integer."""
        if count == 0:
            return 0
        p = self.position
        d = self.data
        i = p >> 3
        window = (d[i] << 24) | (d[i + 1] << 16) | (d[i + 2] << 8) | d[i + 3]
        self.position = p + count
        if self.position > self.limit:
            raise ValueError("truncated entropy-coded data: a block runs past its restart interval")
        return (window >> (32 - (p & 7) - count)) & ((1 << count) - 1)

    def take_bit(self) -> int:
        """Read one bit (what a progressive refinement scan reads most, G.1.2.3)."""
        p = self.position
        if p >= self.limit:
            raise ValueError("truncated entropy-coded data: a block runs past its restart interval")
        self.position = p + 1
        return (self.data[p >> 3] >> (7 - (p & 7))) & 1

    def take_bits(self, count: int) -> np.ndarray:
        """Read ``count`` bits, one uint8 (0 or 1) each, in the order they come."""
        p = self.position
        if p + count > self.limit:
            raise ValueError("truncated entropy-coded data: a scan runs past its restart interval")
        first = p >> 3
        packed = np.frombuffer(self.data, np.uint8, ((p + count + 7) >> 3) - first, first)
        self.position = p + count
        return np.unpackbits(packed)[p & 7:(p & 7) + count]


def decode_symbol(reader: BitReader, table: HuffmanTable) -> int:
    """Read one Huffman-coded symbol (F.2.2.3 DECODE); an invalid code is a ValueError."""
    bits = reader.peek16()
    entry = table.lookup[bits >> 8]
    if entry:
        reader.take(entry & 31)
        return entry >> 5
    for length in range(9, 17):  # a code longer than 8 bits (F.2.2.3, DECODE)
        code = bits >> (16 - length)
        if code <= table.maxcode[length]:
            reader.take(length)
            return table.values[code + table.offset[length]]
    raise ValueError(f"invalid Huffman code at bit {reader.position} of a restart interval")


def extend(bits: int, size: int) -> int:
    """F.2.2.1 EXTEND: amplitude bits of a size-``size`` value back to the value."""
    return bits - (1 << size) + 1 if bits < 1 << (size - 1) else bits
