"""Reading quantized DCT coefficients back from any Huffman-coded 8-bit DCT JPEG file
(T.81 Annexes F.2 and G.2), and from arithmetic-coded ones (F.2.4, G.2).

:func:`read_jpeg` parses the frame, the tables and every scan of a sequential (SOF0, SOF1) or
progressive (SOF2) Huffman-coded file, or of an arithmetic-coded one (SOF9, SOF10, decoded
with :mod:`stripjpeg.arithmetic_decoding`), and decodes the coefficients of every block, as
libjpeg's coefficient API (``jpeg_read_coefficients``) returns them: one int16 array per
component, ``(block_rows, block_cols, 8, 8)`` in natural order, covering the component's own
blocks (not the blocks that only pad the last MCUs). Sequential scans are decoded here;
progressive ones by :mod:`stripjpeg.progressive_reader`.

It reads untrusted files. Every length is checked against the data; decoding stops with a
``ValueError`` at the first impossible bit pattern; and memory is bounded before anything
is allocated. In a sequential file every block costs at least two bits (a DC code and either
an EOB or an AC code, each at least one bit long, T.81 C), so a file cannot honestly declare
more than four blocks per byte of entropy-coded data; in a progressive file a component's
blocks are allocated at its DC first scan, which costs at least one bit per block (eight
blocks per byte of that scan). The pixel count is capped too (``max_pixels``), and is the only
bound for an arithmetic-coded file, where a block of zeros costs a small fraction of a bit.
"""

from __future__ import annotations

import math
import os
from collections.abc import Callable
from dataclasses import dataclass, field
from typing import Any

import numpy as np

from .arithmetic_decoding import SequentialDecoder
from .progressive_reader import ProgressiveFrame, ProgressiveScan, ScanComponent
from .scan_decoding import (
    BitReader,
    FrameComponent,
    HuffmanTable,
    decode_symbol,
    extend,
    read_dht,
    split_entropy_data,
)
from .tables import ZIGZAG

#: Refuse frames larger than this unless asked (like Pillow's decompression-bomb guard).
DEFAULT_MAX_PIXELS = 1 << 28


@dataclass
class DecodedJpeg:
    """What :func:`read_jpeg` finds in a file.

    Attributes:
        width, height: image size in pixels.
        components: the frame's components, in frame order.
        quant_tables: per component, its quantization table as 64 values in natural order
            (uint16): the table its slot (Tq) held at the start of the component's first
            scan, as libjpeg latches it (jdinput.c latch_quant_tables), so a DQT may come
            after the frame header, and a slot redefined later leaves the component's table
            as it was. A component that no scan codes (its coefficients all 0) has its
            slot's table at the end of the file, or all zeros if the file defines none
            (libjpeg's multiplier table for it, jddctmgr.c, stays zero).
        coefficients: per component, int16 ``(height_in_blocks, width_in_blocks, 8, 8)``.
        restart_interval: the DRI value in force for the first scan (0 = none; a progressive
            file may change it between scans).
        process: "baseline" (SOF0), "extended" (SOF1), "progressive" (SOF2),
            "arithmetic" (SOF9) or "arithmetic progressive" (SOF10).
        tables: the quantization tables the components use, by table index (Tq), natural
            order: what :func:`stripjpeg.encode_coefficients` takes back (for an index whose
            components latched different tables, the last such component's).
        precision: the frame's sample precision P, 8 or 12 (not baseline).
        jfif: whether a JFIF APP0 marker came before the first scan (what libjpeg's
            saw_JFIF_marker records: "JFIF\\0" and at least 14 bytes of data).
        adobe_transform: the transform byte of the last Adobe APP14 marker before the first
            scan ("Adobe" and at least 12 bytes, libjpeg's Adobe_transform), or None.
            Both decide the colour space (:func:`stripjpeg.decoding.colour.output_colour_space`).
        coef_bits: for a progressive frame, libjpeg's progression status at the end of the
            file: per component, per zigzag position, the Al of the last scan that coded it,
            or -1 if none did (None for a sequential frame). It decides libjpeg's block
            smoothing (:mod:`stripjpeg.decoding.smoothing`).
        dummy_dc_masks: for a progressive frame, per component, the bits of the DC values
            that interleaved scans coded for the dummy blocks below the component's own
            blocks (a two's-complement mask: ``-1 << Al`` for a DC first scan, ``1 << Al``
            per refinement; 0 if no interleaved DC scan): libjpeg keeps those blocks, and
            its block smoothing can read their DC (None for a sequential frame).
    """

    width: int
    height: int
    components: list[FrameComponent]
    quant_tables: list[np.ndarray]
    coefficients: list[np.ndarray] = field(repr=False)
    restart_interval: int = 0
    process: str = "baseline"
    precision: int = 8
    jfif: bool = False
    adobe_transform: int | None = None
    coef_bits: list[list[int]] | None = None
    dummy_dc_masks: list[int] | None = None

    @property
    def tables(self) -> list[np.ndarray]:
        """The quantization tables in table-index order (Tq 0, 1, ...), natural order."""
        by_index = {c.quant_index: table for c, table in zip(self.components, self.quant_tables)}
        return [by_index[index] for index in sorted(by_index)]

    @property
    def subsampling(self) -> str | None:
        """"4:4:4", "4:2:2" or "4:2:0" for a YCbCr frame sampled as libjpeg does, else None."""
        if len(self.components) != 3 or any((c.h, c.v) != (1, 1) for c in self.components[1:]):
            return None
        return {(1, 1): "4:4:4", (2, 1): "4:2:2", (2, 2): "4:2:0"}.get(
            (self.components[0].h, self.components[0].v))


def read_coefficients(source: bytes | str | os.PathLike, max_pixels: int = DEFAULT_MAX_PIXELS,
                      backend: str | None = None) -> list[np.ndarray]:
    """The quantized DCT coefficients of every component of a sequential or progressive JPEG file.

    Args:
        source: the file's bytes, or a path.
        max_pixels: refuse larger frames (a guard against decompression bombs).
        backend: "numba" decodes progressive and arithmetic-coded scans with numba kernels,
            "numpy" (or any other backend's name) with the Python textbook; the same
            coefficients and errors either way. None: as for encoding,
            ``$STRIPJPEG_BACKEND``, else numba when it imports; ``$STRIPJPEG_FALLBACK=all``
            forces the textbook (:func:`stripjpeg.backends.reads_with_kernels`).

    Returns:
        Per component (frame order), int16 ``(block_rows, block_cols, 8, 8)``, natural order
        ``[v][u]``: exactly what libjpeg's ``jpeg_read_coefficients`` gives.

        Coefficients that no scan of a progressive file sends are 0, as libjpeg leaves them.

    Raises:
        ValueError: not an 8-bit baseline, or an 8- or 12-bit extended sequential,
            progressive or arithmetic-coded JPEG (lossless and hierarchical files are named
            as such), or a
            malformed file (a progressive scan that libjpeg refuses or warns about is named).
    """
    return read_jpeg(source, max_pixels, backend).coefficients


def read_jpeg(source: bytes | str | os.PathLike, max_pixels: int = DEFAULT_MAX_PIXELS,
              backend: str | None = None) -> DecodedJpeg:
    """Parse a sequential or progressive Huffman JPEG file and decode its coefficients (see
    :func:`read_coefficients` and the module doc)."""
    from .backends import reads_with_kernels  # numba for progressive and arithmetic scans?

    data = as_jpeg_data(source)
    return _Parser(data, max_pixels, fast=reads_with_kernels(backend)).run()


@dataclass
class JpegHeader:
    """What :func:`read_header` finds before the first scan's entropy-coded data.

    Attributes:
        frame: the frame, as :func:`read_jpeg` gives it but with no coefficients; its
            ``restart_interval`` is the DRI in force for the first scan.
        huffman: the Huffman tables defined so far, by (class Tc, index Th).
        scan_header: the first SOS segment's payload (after its length).
        scan_start: offset of the first entropy-coded byte of the first scan.
    """

    frame: DecodedJpeg
    huffman: dict[tuple[int, int], HuffmanTable]
    scan_header: bytes
    scan_start: int


def read_header(source: bytes | str | os.PathLike, max_pixels: int = DEFAULT_MAX_PIXELS) -> JpegHeader:
    """Parse a JPEG file's segments up to its first scan's data, decoding nothing.

    Raises:
        ValueError: as :func:`read_jpeg` for what comes before the first scan.
    """
    parser = _Parser(as_jpeg_data(source), max_pixels, header_only=True)
    parser.run()
    if parser.first_scan is None:
        raise ValueError("the file has no scan (SOS) before its end")
    header, start = parser.first_scan
    return JpegHeader(parser.frame, dict(parser.huffman), header, start)


def as_jpeg_data(source: bytes | bytearray | memoryview | str | os.PathLike) -> bytes:
    """The bytes of a JPEG given as bytes or as a path."""
    if isinstance(source, (bytes, bytearray, memoryview)):
        return bytes(source)
    if isinstance(source, (str, os.PathLike)):
        with open(source, "rb") as file:
            return file.read()
    raise TypeError(f"expected JPEG bytes or a path, got {type(source).__name__}")


_UNSUPPORTED = {0xC3: "lossless", 0xC5: "hierarchical", 0xC6: "hierarchical",
                0xC7: "hierarchical",
                0xCB: "arithmetic-coded lossless", 0xCD: "hierarchical", 0xCE: "hierarchical",
                0xCF: "hierarchical"}


_PROCESSES = {0xC0: "baseline", 0xC1: "extended", 0xC2: "progressive", 0xC9: "arithmetic",
              0xCA: "arithmetic progressive"}


def _dac_entry(tc_tb: int, value: int) -> tuple[int, int]:
    """The (Tc, Tb) of one DAC entry (T.81 B.2.4.3), refused as libjpeg's get_dac refuses it
    (jdmarker.c): a table class other than 0 (DC) or 1 (AC), or DC bounds with L > U."""
    table_class, table = tc_tb >> 4, tc_tb & 15
    if table_class > 1:
        raise ValueError(f"DAC entry with table class {table_class} (only 0, DC, and 1, AC)")
    if table_class == 0 and (value & 15) > (value >> 4):
        raise ValueError(f"DAC entry for DC table {table} has L = {value & 15} > U = {value >> 4}")
    return table_class, table


class _Parser:
    """One pass over the file's segments, in order (T.81 B.2), decoding each scan."""

    def __init__(self, data: bytes, max_pixels: int, header_only: bool = False,
                 fast: bool = False) -> None:
        self.data = data
        self.header_only = header_only
        self.first_scan: tuple[bytes, int] | None = None  # (SOS payload, data start), header_only
        self.fast = fast  # progressive and arithmetic scans by the numba kernels
        self.max_pixels = max_pixels
        self.quant: dict[int, np.ndarray] = {}
        self.huffman: dict[tuple[int, int], HuffmanTable] = {}
        self.conditioning: dict[tuple[int, int], int] = {}  # DAC values by (Tc, Tb)
        self.restart_interval = 0
        self.first_restart_interval: int | None = None
        self.frame: DecodedJpeg | None = None
        self.latched: list[np.ndarray | None] = []  # per component, once its first scan starts
        self.progressive: ProgressiveFrame | None = None
        self.scans = 0
        self.jfif = False
        self.adobe_transform: int | None = None

    def run(self) -> DecodedJpeg:
        data = self.data
        if data[:2] != b"\xff\xd8":
            raise ValueError("not a JPEG file: it does not start with the SOI marker (FF D8)")
        position = 2
        while True:
            while position < len(data) and data[position] == 0xFF and position + 1 < len(data) \
                    and data[position + 1] == 0xFF:
                position += 1  # fill bytes
            if position + 2 > len(data) or data[position] != 0xFF:
                raise ValueError(f"truncated or malformed JPEG: no marker at byte {position}")
            marker = data[position + 1]
            if marker == 0xD9:
                break
            if position + 4 > len(data):
                raise ValueError(f"truncated JPEG: segment header at byte {position}")
            length = int.from_bytes(data[position + 2:position + 4], "big")
            end = position + 2 + length
            if length < 2 or end > len(data):
                raise ValueError(f"segment 0x{marker:02X} at byte {position} declares length {length}, "
                                 f"past the end of the file")
            payload = data[position + 4:end]
            if marker == 0xDA and self.header_only:
                if self.frame is None:
                    raise ValueError("a scan (SOS) before the frame header (SOF)")
                self.frame.restart_interval = self.restart_interval
                self.frame.jfif, self.frame.adobe_transform = self.jfif, self.adobe_transform
                ids = {c.id: i for i, c in enumerate(self.frame.components)}
                count = payload[0] if payload else 0
                self._latch_quant_tables([ScanComponent(ids[cid], cid, 0, 0)
                                          for cid in payload[1:1 + 2 * count:2] if cid in ids])
                self.frame.quant_tables = self._quant_tables()
                self.first_scan = (payload, end)
                return self.frame
            if marker == 0xDA:
                position = self._scan(payload, end)
                continue
            self._segment(marker, payload)
            position = end
        if self.frame is None:
            raise ValueError("no frame header (SOF) before the end of the file")
        if self.first_restart_interval is None:
            raise ValueError("the file has a frame but no scan")
        self.frame.restart_interval = self.first_restart_interval
        self.frame.jfif, self.frame.adobe_transform = self.jfif, self.adobe_transform
        self.frame.quant_tables = self._quant_tables()
        if self.progressive is not None:
            self.frame.coefficients = self.progressive.coefficients()
            self.frame.coef_bits = [list(bits) for bits in self.progressive.coef_bits]
            self.frame.dummy_dc_masks = self.dummy_dc_masks
        return self.frame

    # -- table and frame segments -----------------------------------------------------------------

    def _segment(self, marker: int, payload: bytes) -> None:
        if marker in _UNSUPPORTED:
            process = _UNSUPPORTED[marker]
            article = "an" if process[0] in "aeiou" else "a"
            raise ValueError(f"{article} {process} JPEG (SOF{marker - 0xC0}): only baseline, "
                             "extended sequential and progressive Huffman files (SOF0, SOF1, SOF2) "
                             "and arithmetic-coded ones (SOF9, SOF10) can be read"
                             + ("; stripjpeg.read_samples reads lossless files"
                                if marker == 0xC3 else ""))
        if marker in _PROCESSES:
            self._frame(marker, payload)
        elif marker in (0xE0, 0xEE) and self.scans == 0:
            self._app_marker(marker, payload)
        elif marker == 0xDB:
            self._dqt(payload)
        elif marker == 0xC4:
            self._dht(payload)
        elif marker == 0xDD:
            if len(payload) != 2:
                raise ValueError("malformed DRI segment")
            self.restart_interval = int.from_bytes(payload, "big")
        elif marker == 0xCC:
            if len(payload) % 2:
                raise ValueError("malformed DAC segment")
            for tc_tb, value in zip(payload[::2], payload[1::2]):
                self.conditioning[_dac_entry(tc_tb, value)] = value
        elif marker in range(0xD0, 0xD8) or marker in (0xD8, 0x01):
            raise ValueError(f"unexpected marker 0x{marker:02X} between segments")

    def _app_marker(self, marker: int, payload: bytes) -> None:
        """Note a JFIF APP0 or an Adobe APP14 marker as libjpeg's jdmarker.c does
        (examine_app0, examine_app14): only the first scan's header decides the colour
        space (jdapimin.c default_decompress_parms runs at the first SOS)."""
        if marker == 0xE0 and len(payload) >= 14 and payload[:5] == b"JFIF\0":
            self.jfif = True
        elif marker == 0xEE and len(payload) >= 12 and payload[:5] == b"Adobe":
            self.adobe_transform = payload[11]

    def _dqt(self, payload: bytes) -> None:
        position = 0
        while position < len(payload):
            precision, index = payload[position] >> 4, payload[position] & 15
            size = 128 if precision else 64
            if precision > 1 or index > 3 or position + 1 + size > len(payload):
                raise ValueError("malformed DQT segment")
            raw = np.frombuffer(payload, dtype=">u2" if precision else np.uint8, count=64,
                                offset=position + 1)
            table = np.empty(64, np.uint16)
            table[ZIGZAG] = raw  # the file lists the table in zigzag order (B.2.4.1)
            self.quant[index] = table
            position += 1 + size

    def _dht(self, payload: bytes) -> None:
        for table_class, index, table in read_dht(payload):
            self.huffman[(table_class, index)] = table

    def _frame(self, marker: int, payload: bytes) -> None:
        if self.frame is not None:
            raise ValueError("more than one frame header")
        if len(payload) < 6 or len(payload) != 6 + 3 * payload[5]:
            raise ValueError("malformed frame header (SOF)")
        precision, height, width = payload[0], int.from_bytes(payload[1:3], "big"), \
            int.from_bytes(payload[3:5], "big")
        if precision != 8 and not (precision == 12 and marker != 0xC0):
            raise ValueError(f"{precision}-bit samples in a {_PROCESSES[marker]} frame: 8-bit "
                             "files, and 12-bit ones of the extended and progressive "
                             "processes (T.81 B.2.2: baseline is 8-bit only), can be read")
        if height == 0:
            raise ValueError("the frame height is 0 (defined later by a DNL marker), which is not supported")
        if width == 0:
            raise ValueError("the frame width is 0")
        if width * height > self.max_pixels:
            raise ValueError(f"{width}x{height} is over max_pixels={self.max_pixels}")
        count = payload[5]
        if count not in (1, 3, 4):
            raise ValueError(f"{count} components: expected 1, 3 or 4")
        factors = [(payload[7 + 3 * i] >> 4, payload[7 + 3 * i] & 15) for i in range(count)]
        if any(not (1 <= h <= 4 and 1 <= v <= 4) for h, v in factors):
            raise ValueError(f"sampling factors {factors} outside 1..4")
        hmax, vmax = max(h for h, _ in factors), max(v for _, v in factors)
        ids = [payload[6 + 3 * i] for i in range(count)]
        if len(set(ids)) != count:
            raise ValueError(f"the frame gives two components the same id: {ids}")
        components = []
        for i, (h, v) in enumerate(factors):
            quant_index = payload[8 + 3 * i]
            if quant_index > 3:
                raise ValueError(f"component {i} uses quantization table {quant_index}")
            components.append(FrameComponent(
                id=payload[6 + 3 * i], h=h, v=v, quant_index=quant_index,
                width_in_blocks=math.ceil(math.ceil(width * h / hmax) / 8),
                height_in_blocks=math.ceil(math.ceil(height * v / vmax) / 8)))
        self.latched = [None] * count  # the tables are taken at each component's first scan
        self.frame = DecodedJpeg(width=width, height=height, components=components,
                                 quant_tables=[], coefficients=[], process=_PROCESSES[marker],
                                 precision=precision)
        self.hmax, self.vmax = hmax, vmax
        if marker in (0xC2, 0xCA):
            self.progressive = ProgressiveFrame(components, width, height, precision, self.fast)
            self.dummy_dc_masks = [0] * len(components)

    # -- scans ------------------------------------------------------------------------------------

    def _scan(self, header: bytes, start: int) -> int:
        """Decode one scan whose entropy-coded data starts at ``start``; return the offset of
        the marker that ends it."""
        frame = self.frame
        if frame is None:
            raise ValueError("a scan (SOS) before the frame header (SOF)")
        if len(header) < 1 or len(header) != 4 + 2 * header[0] or not 1 <= header[0] <= 4:
            raise ValueError("malformed scan header (SOS)")
        ids = {c.id: i for i, c in enumerate(frame.components)}
        named: list[ScanComponent] = []
        for k in range(header[0]):
            cid, tables = header[1 + 2 * k], header[2 + 2 * k]
            if cid not in ids:
                raise ValueError(f"the scan names component {cid}, which the frame does not have")
            if any(ids[cid] == member.index for member in named):
                raise ValueError(f"the scan names component {cid} twice")
            named.append(ScanComponent(ids[cid], cid, tables >> 4, tables & 15))
        self._latch_quant_tables(named)
        if self.first_restart_interval is None:
            self.first_restart_interval = self.restart_interval
        self.scans += 1
        if self.progressive is not None:
            return self._progressive_scan(named, header, start)
        members = []
        arithmetic = frame.process == "arithmetic"
        for member in named:
            index, cid = member.index, member.id
            if arithmetic:  # conditioning table numbers: the decoder keeps the bins
                members.append((index, member.dc_table, member.ac_table))
                continue
            dc, ac = self.huffman.get((0, member.dc_table)), self.huffman.get((1, member.ac_table))
            if dc is None or ac is None:
                raise ValueError(f"component {cid} uses a Huffman table that is not defined")
            members.append((index, dc, ac))
        blocks_per_mcu = sum(frame.components[m[0]].h * frame.components[m[0]].v for m in members)
        if len(members) > 1 and blocks_per_mcu > 10:
            # A.2.3 and B.2.3: an interleaved MCU holds at most 10 blocks (libjpeg refuses more).
            raise ValueError(f"an interleaved scan of {blocks_per_mcu} blocks per MCU: at most 10 "
                             "are allowed")
        ss, se, a = header[-3], header[-2], header[-1]
        if (ss, se, a) != (0, 63, 0):
            raise ValueError(f"scan with Ss={ss}, Se={se}, Ah/Al=0x{a:02X} in a sequential frame: "
                             "its scans code Ss=0..Se=63 with Ah=Al=0")
        if not frame.coefficients:
            # Allocate only once the data proves the blocks can be there (see module doc).
            total = sum(c.width_in_blocks * c.height_in_blocks for c in frame.components)
            if not arithmetic and total > 4 * (len(self.data) - start) + 64:
                raise ValueError(f"the frame declares {total} blocks, but the file holds at most "
                                 f"{4 * (len(self.data) - start)} blocks' worth of data")
            frame.coefficients = [np.zeros((c.height_in_blocks, c.width_in_blocks, 8, 8), np.int16)
                                  for c in frame.components]
        segments, end = split_entropy_data(self.data, start)
        self._decode_scan(members, segments)
        return end

    def _quant_tables(self) -> list[np.ndarray]:
        """Per component its latched table (or, for one no scan coded, its slot's table)."""
        return [table if table is not None else self.quant.get(c.quant_index, np.zeros(64, np.uint16))
                for c, table in zip(self.frame.components, self.latched)]

    def _latch_quant_tables(self, named: list[ScanComponent]) -> None:
        """Take the quantization table of each component of this scan that no earlier scan
        coded, as its slot holds it now (jdinput.c latch_quant_tables, at the start of every
        scan; T.81 B.2.1, Figure B.2: table segments may also come after the frame header)."""
        for member in named:
            if self.latched[member.index] is not None:
                continue
            quant_index = self.frame.components[member.index].quant_index
            if quant_index not in self.quant:
                raise ValueError(f"quantization table {quant_index} of component {member.id} is "
                                 "not defined before the component's first scan")
            self.latched[member.index] = self.quant[quant_index].copy()

    def _progressive_scan(self, named: list[ScanComponent], header: bytes, start: int) -> int:
        """Check one scan of a progressive frame before its data, as libjpeg does, then
        decode it (:mod:`stripjpeg.progressive_reader`); return where it ends."""
        ss, se, a = header[-3], header[-2], header[-1]
        scan = ProgressiveScan(self.scans - 1, tuple(named), ss, se, a >> 4, a & 15)
        self.progressive.start_scan(scan)
        if ss == 0 and len(named) > 1:  # an interleaved DC scan codes the dummy blocks too
            for member in named:
                self.dummy_dc_masks[member.index] |= (-1 << scan.al) if scan.ah == 0 else 1 << scan.al
        segments, end = split_entropy_data(self.data, start)
        if self.frame.process == "arithmetic progressive":
            self.progressive.decode_arithmetic_scan(scan, self.conditioning, self.restart_interval,
                                                    segments)
        else:
            self.progressive.decode_scan(scan, self.huffman, self.restart_interval, segments,
                                         end - start)
        return end

    def _decode_scan(self, members: list, segments: list[bytes]) -> None:
        frame = self.frame
        # The scan's MCU grid (A.2): one block per MCU for a single component, else Hmax x Vmax.
        if len(members) == 1:
            component = frame.components[members[0][0]]
            across, down = component.width_in_blocks, component.height_in_blocks
            layout = [(members[0][0], 0, 0, members[0][1], members[0][2])]
        else:
            across = math.ceil(frame.width / (8 * self.hmax))
            down = math.ceil(frame.height / (8 * self.vmax))
            layout = []
            for index, dc, ac in members:
                c = frame.components[index]
                layout += [(index, by, bx, dc, ac) for by in range(c.v) for bx in range(c.h)]
        total_mcus = across * down
        interval = self.restart_interval or total_mcus
        expected_segments = math.ceil(total_mcus / interval)
        if len(segments) != expected_segments:
            raise ValueError(f"the scan has {len(segments)} restart intervals, expected "
                             f"{expected_segments} (restart interval {self.restart_interval} MCUs)")
        output = frame.coefficients
        if self.fast and frame.process == "arithmetic":  # the same blocks and errors, by numba
            from .backends import numba_read_arithmetic

            numba_read_arithmetic.decode_sequential_scan(output, members, frame.components, across,
                                                         total_mcus, interval, segments,
                                                         self.conditioning)
            return
        sizes = {index: output[index].shape[:2] for index, _, _ in members}
        for number, segment in enumerate(segments):
            decode = self._block_decoder(segment)
            settled = getattr(decode, "__self__", None)  # an arithmetic interval's decoder
            predictors = dict.fromkeys(sizes, 0)
            first = number * interval
            last = min(first + interval, total_mcus)
            for mcu in range(first, last):
                if settled is not None and settled.settled(members):
                    factors = {index: (1, 1) if len(members) == 1 else (frame.components[index].v,
                                                                        frame.components[index].h)
                               for index, _, _ in members}
                    _fill_settled(output, layout, range(mcu, last), across, factors, predictors)
                    break
                mcu_row, mcu_col = divmod(mcu, across)
                for index, by, bx, dc, ac in layout:
                    h, v = (1, 1) if len(members) == 1 else (frame.components[index].h,
                                                               frame.components[index].v)
                    row, col = mcu_row * v + by, mcu_col * h + bx
                    block, predictors[index] = decode(index, dc, ac, predictors[index])
                    rows, cols = sizes[index]
                    if row < rows and col < cols:  # else a block that only pads the MCU
                        output[index][row, col] = block

    def _block_decoder(self, segment: bytes) -> Callable[[int, Any, Any, int], tuple[np.ndarray, int]]:
        """The block decoder of one restart interval: ``decode(component, dc, ac, predictor)
        -> (block, predictor)``, where dc and ac are Huffman tables, or for an arithmetic-coded
        frame conditioning table numbers (each interval starts with fresh bins, F.2.4)."""
        if self.frame.process == "arithmetic":
            return SequentialDecoder(segment, self.conditioning).block
        reader = BitReader(segment)
        # DC differences of 11 bits at most for 8-bit samples, 15 for 12-bit (T.81 F.1.2.1.1).
        max_dc_size = self.frame.precision + 3
        return lambda index, dc, ac, predictor: decode_block(reader, dc, ac, predictor,
                                                              max_dc_size)


def _fill_settled(output: list[np.ndarray], layout: list, mcus: range, across: int,
                  factors: dict[int, tuple[int, int]], predictors: dict[int, int]) -> None:
    """The blocks of ``mcus`` as a settled arithmetic decoder gives them (see
    :meth:`~stripjpeg.arithmetic_decoding.SequentialDecoder.settled`): each DC its
    component's predictor, every AC coefficient 0; written in one step per layout entry
    (``factors``: each component's (V, H) blocks in the MCU, (1, 1) in a scan of one)."""
    mcu_row, mcu_col = np.divmod(np.arange(mcus.start, mcus.stop), across)
    for index, by, bx, _, _ in layout:
        component = output[index]
        v, h = factors[index]
        rows, cols = mcu_row * v + by, mcu_col * h + bx
        inside = (rows < component.shape[0]) & (cols < component.shape[1])
        rows, cols = rows[inside], cols[inside]
        component[rows, cols] = 0
        component[rows, cols, 0, 0] = predictors[index]


def decode_block(reader: BitReader, dc: HuffmanTable, ac: HuffmanTable,
                  predictor: int, max_dc_size: int = 11) -> tuple[np.ndarray, int]:
    """One block (F.2.2): the DC difference (of at most ``max_dc_size`` bits: 11 for 8-bit
    samples, 15 for 12-bit), then AC run/size symbols up to EOB."""
    zigzag = [0] * 64
    size = decode_symbol(reader, dc)
    if size > max_dc_size:
        raise ValueError(f"DC difference of size {size}: over the {max_dc_size} bits of "
                         f"{max_dc_size - 3}-bit JPEG")
    value = predictor + (extend(reader.take(size), size) if size else 0)
    zigzag[0] = value
    k = 1
    while k < 64:
        symbol = decode_symbol(reader, ac)
        run, size = symbol >> 4, symbol & 15
        if size == 0:
            if run != 15:
                break  # EOB
            k += 16  # ZRL
            continue
        k += run
        if k > 63:
            raise ValueError("an AC run goes past the 64th coefficient of a block")
        zigzag[k] = extend(reader.take(size), size)
        k += 1
    if k > 64:
        raise ValueError("zero runs go past the 64th coefficient of a block")
    if not -32768 <= value <= 32767:
        raise ValueError("a DC value outside 16 bits")
    block = np.zeros(64, np.int16)
    block[ZIGZAG] = zigzag
    return block.reshape(8, 8), value
