"""Marker segments (T.81 Annex B), one pure function each, returning bytes.

Every segment but SOI, EOI and RSTn has the same shape (T.81 B.1.1.4)::

    FF xx | Lh Ll | parameters...
    marker  length (2 bytes, big-endian, counting itself and the parameters)

Functions are named after the marker they write and appear in the order a file holds them.
"""

from __future__ import annotations

import struct

import numpy as np

from .options import EncodeOptions
from .plan import Plan, Scan
from .tables import (
    ARITH_AC_K,
    ARITH_DC_L,
    ARITH_DC_U,
    ICC_CHUNK,
    ICC_SIGNATURE,
    MAX_SEGMENT_PAYLOAD,
    MAX_XMP,
    XMP_SIGNATURE,
    ZIGZAG,
    HuffmanSpec,
)

SOI = 0xD8
EOI = 0xD9
APP0 = 0xE0
APP1 = 0xE1
APP2 = 0xE2
APP14 = 0xEE
DQT = 0xDB
SOF0 = 0xC0
SOF1 = 0xC1
SOF2 = 0xC2
SOF3 = 0xC3
SOF9 = 0xC9
SOF10 = 0xCA
DHT = 0xC4
DAC = 0xCC
DRI = 0xDD
SOS = 0xDA
RST0 = 0xD0
COM = 0xFE

#: ``streamtype`` values (see :data:`stripjpeg.options.STREAM_TYPES`).
TABLES_ONLY = 1
IMAGE_ONLY = 2


def segment(marker: int, payload: bytes) -> bytes:
    """Return ``FF marker, length, payload`` (T.81 B.1.1.4); the length includes its 2 bytes."""
    if len(payload) > MAX_SEGMENT_PAYLOAD:
        raise ValueError(f"marker segment 0x{marker:02X} payload of {len(payload)} bytes is over "
                         f"the {MAX_SEGMENT_PAYLOAD} bytes one segment can hold")
    return struct.pack(">BBH", 0xFF, marker, len(payload) + 2) + payload


def write_soi() -> bytes:
    """SOI, start of image: ``FF D8``."""
    return bytes((0xFF, SOI))


def write_app0_jfif(density: tuple[int, int] = (1, 1), units: int = 0) -> bytes:
    """APP0 JFIF header, as libjpeg writes it: version 1.01, no thumbnail.

    Layout (JFIF 1.02 spec)::

        FF E0 | 00 10 | "JFIF\\0" | 01 01 | units | Xdensity(2) | Ydensity(2) | 00 00
                                  version        0 = aspect ratio only, 1 = dots per inch
    """
    payload = b"JFIF\0" + struct.pack(">BBBHHBB", 1, 1, units, density[0], density[1], 0, 0)
    return segment(APP0, payload)


#: The Adobe marker's color transform code (jcmarker.c emit_adobe_app14): 0 = none (RGB,
#: CMYK), 1 = YCbCr, 2 = YCCK.
ADOBE_TRANSFORM = {"RGB": 0, "CMYK": 0, "YCbCr": 1, "YCCK": 2}
#: Frame colour spaces JFIF cannot name, flagged by an Adobe marker instead (jcparam.c
#: jpeg_set_colorspace sets write_Adobe_marker and clears write_JFIF_header for them).
ADOBE_COLOR_SPACES = ("RGB", "CMYK", "YCCK")


def write_app14_adobe(color_space: str) -> bytes:
    """APP14 Adobe marker, as libjpeg writes it for a colour space JFIF cannot name (RGB,
    CMYK, YCCK), telling the decoder which colour transform the components went through.

    Layout (Adobe Technical Note 5116; jcmarker.c emit_adobe_app14)::

        FF EE | 00 0E | "Adobe" | 00 64 | 00 00 | 00 00 | transform
                                version  flags0  flags1  0 = none (RGB, CMYK), 1 = YCbCr,
                                                         2 = YCCK
    """
    payload = b"Adobe" + struct.pack(">HHHB", 100, 0, 0, ADOBE_TRANSFORM[color_space])
    return segment(APP14, payload)


def write_app1_exif(exif: bytes) -> bytes:
    """APP1 holding EXIF data as given (it starts with ``Exif\\0\\0``, then a TIFF header)."""
    if len(exif) > MAX_SEGMENT_PAYLOAD:
        raise ValueError(f"exif is {len(exif)} bytes; one APP1 segment holds at most "
                         f"{MAX_SEGMENT_PAYLOAD}")
    return segment(APP1, exif)


def write_app1_xmp(xmp: bytes) -> bytes:
    """APP1 holding an XMP packet: ``FF E1 | length | "http://ns.adobe.com/xap/1.0/\\0" | packet``
    (XMP Specification Part 3, 1.1.3), as Pillow writes it."""
    if len(xmp) > MAX_XMP:
        raise ValueError(f"xmp is {len(xmp)} bytes; one APP1 segment holds at most {MAX_XMP} "
                         "after the XMP namespace")
    return segment(APP1, XMP_SIGNATURE + xmp)


def write_app2_icc(profile: bytes) -> bytes:
    """APP2 ICC_PROFILE segments carrying an ICC profile, split into chunks of 65519 bytes.

    Layout of each: ``FF E2 | length | "ICC_PROFILE\\0" | sequence number | count | chunk``.
    """
    chunks = [profile[start:start + ICC_CHUNK] for start in range(0, len(profile), ICC_CHUNK)]
    if len(chunks) > 255:
        raise ValueError(f"icc_profile is {len(profile)} bytes; at most 255 APP2 segments of "
                         f"{ICC_CHUNK} bytes ({255 * ICC_CHUNK} bytes) can carry it")
    return b"".join(segment(APP2, ICC_SIGNATURE + bytes([number, len(chunks)]) + chunk)
                    for number, chunk in enumerate(chunks, start=1))


def write_com(comment: bytes) -> bytes:
    """COM, a comment (T.81 B.2.4.5)."""
    if len(comment) > MAX_SEGMENT_PAYLOAD:
        raise ValueError(f"comment is {len(comment)} bytes; one COM segment holds at most "
                         f"{MAX_SEGMENT_PAYLOAD}")
    return segment(COM, comment)


def write_dqt(table_index: int, table: np.ndarray) -> bytes:
    """DQT, one quantization table (T.81 B.2.4.1): 8-bit entries, or 16-bit ones when an
    entry is over 255 (only without ``baseline``), as jcmarker.c emit_dqt decides.

    Layout: ``FF DB | Lq | Pq,Tq (4 bits each; Pq = 0 for 8-bit, 1 for 16-bit) | 64 entries
    in zigzag order`` (16-bit entries big-endian).

    Args:
        table_index: Tq, 0..3.
        table: 64 divisors 1..255 (1..32767 without ``baseline``), natural order.
    """
    values = np.asarray(table).reshape(64)[ZIGZAG]
    precision = table_precision(table)
    entries = values.astype(">u2" if precision else np.uint8).tobytes()
    return segment(DQT, bytes([(precision << 4) | table_index]) + entries)


def table_precision(table: np.ndarray) -> int:
    """Pq of a quantization table: 1 (16-bit entries) if an entry is over 255, else 0."""
    return int(int(np.asarray(table).max()) > 255)


def frame_marker(plan: Plan) -> int:
    """The SOF marker of the frame, as jcmarker.c write_frame_header picks it: SOF2 for the
    progressive process; SOF1 (extended sequential) when a quantization table needs 16-bit
    entries, which baseline (SOF0) does not allow (T.81 B.2.4.1: Pq = 0 in baseline); else
    SOF0. (libjpeg's other reason for SOF1, Huffman tables 2 and 3, never arises here.) With
    arithmetic coding, SOF10 (progressive) or SOF9 (sequential; it allows 16-bit tables)."""
    if plan.arithmetic:
        return SOF10 if plan.progressive else SOF9
    if plan.progressive:
        return SOF2
    if plan.precision != 8 or any(table_precision(table) for table in plan.quant_tables):
        return SOF1  # baseline is 8-bit only (T.81 B.2.2: P = 8); jcmarker.c's is_baseline
    return SOF0


def write_sof0(plan: Plan, marker: int = SOF0) -> bytes:
    """SOF0, baseline frame header (T.81 B.2.2); SOF1 or SOF2 (``marker``, see
    :func:`frame_marker`) for an extended sequential or progressive frame, the same layout.

    Layout: ``FF C0 | Lf | P | Y (height) | X (width) | Nf | Nf x (Ci, Hi<<4|Vi, Tqi)``,
    P = 8, or 12 for 12-bit samples (SOF1 only).
    """
    payload = struct.pack(">BHHB", plan.precision, plan.height, plan.width, len(plan.components))
    for c in plan.components:
        payload += struct.pack(">BBB", c.id, (c.h << 4) | c.v, c.quant_index)
    return segment(marker, payload)


def write_sof3(precision: int, height: int, width: int, component_ids: tuple[int, ...]) -> bytes:
    """SOF3, lossless frame header (T.81 B.2.2, H.1): the layout of SOF0, with the sample
    precision P (2..16) and, per component, Hi = Vi = 1 and Tqi = 0 (no quantization; libjpeg
    writes 0 there).

    Layout: ``FF C3 | Lf | P | Y (height) | X (width) | Nf | Nf x (Ci, 0x11, 0)``.
    """
    payload = struct.pack(">BHHB", precision, height, width, len(component_ids))
    for component_id in component_ids:
        payload += struct.pack(">BBB", component_id, 0x11, 0)
    return segment(SOF3, payload)


def write_sos_lossless(component_ids: tuple[int, ...], predictor: int, point_transform: int) -> bytes:
    """SOS of a lossless scan (T.81 B.2.3, H.2.1): every component on Huffman table 0 (Td = 0,
    Ta = 0, as libjpeg writes it), Ss = the predictor selection value (1..7), Se = 0, Ah = 0,
    Al = the point transform Pt."""
    payload = bytes([len(component_ids)])
    for component_id in component_ids:
        payload += bytes([component_id, 0])
    payload += bytes([predictor, 0, point_transform])
    return segment(SOS, payload)


def write_dht(table_class: int, table_index: int, spec: HuffmanSpec) -> bytes:
    """DHT, one Huffman table (T.81 B.2.4.2).

    Layout: ``FF C4 | Lh | Tc<<4|Th (class 0 = DC, 1 = AC) | BITS (16) | HUFFVAL``.
    """
    payload = bytes([(table_class << 4) | table_index]) + bytes(spec.bits) + bytes(spec.huffval)
    return segment(DHT, payload)


def write_dac(plan: Plan, scan: Scan) -> bytes:
    """DAC, the arithmetic conditioning of the tables ``scan`` codes with (T.81 B.2.4.3), as
    jcmarker.c emit_dac writes it: per table index, the DC table (when the scan codes DC
    differences) then the AC table (when it codes AC coefficients), each once; nothing
    for a DC refinement scan, which uses neither.

    Layout: ``FF CC | La | n x (Tc<<4|Tb, Cs)``; Cs is ``U<<4 | L`` for a DC table
    (Tc = 0) and Kx for an AC table (Tc = 1): libjpeg's defaults L=0, U=1, Kx=5 (F.1.4.4).
    """
    tables = [plan.components[i].huffman_index for i in scan.components]
    dc = set(tables) if scan.ss == 0 and scan.ah == 0 else set()
    ac = set(tables) if scan.se > 0 else set()
    payload = b""
    for table in sorted(dc | ac):
        if table in dc:
            payload += bytes([table, (ARITH_DC_U << 4) | ARITH_DC_L])
        if table in ac:
            payload += bytes([0x10 | table, ARITH_AC_K])
    return segment(DAC, payload) if payload else b""


def write_dri(restart_interval: int) -> bytes:
    """DRI, define restart interval in MCUs (T.81 B.2.4.4): ``FF DD | 00 04 | Ri``."""
    return segment(DRI, struct.pack(">H", restart_interval))


def write_sos(plan: Plan, scan: Scan) -> bytes:
    """SOS, the header of one scan (T.81 B.2.3); see :class:`stripjpeg.plan.Scan`.

    Layout: ``FF DA | Ls | Ns | Ns x (Csj, Tdj<<4|Taj) | Ss | Se | Ah<<4|Al``; the sequential
    scan of a YCbCr frame is ``FF DA 00 0C 03 01 00 02 11 03 11 00 3F 00``.
    """
    payload = bytes([len(scan.components)])
    for index, dc, ac in zip(scan.components, scan.td, scan.ta):
        payload += bytes([plan.components[index].id, (dc << 4) | ac])
    payload += bytes([scan.ss, scan.se, (scan.ah << 4) | scan.al])
    return segment(SOS, payload)


def write_rst(index: int) -> bytes:
    """RSTn, restart marker ``FF D0+n``; n counts restart intervals modulo 8 (T.81 B.2.1)."""
    return bytes((0xFF, RST0 + index % 8))


def frame_intervals(pieces: list[bytes], intervals_done: int, offset: int,
                    first_continues: bool) -> tuple[bytes, int, list[int]]:
    """Pieces of a scan's entropy-coded data, joined with an RSTn marker before each piece
    that begins a restart interval, but the scan's first (T.81 B.2.1: n counts the scan's
    intervals modulo 8).

    Args:
        pieces: the bytes of consecutive pieces; each begins a restart interval, except the
            first when ``first_continues`` (it goes on with the interval before it).
        intervals_done: the scan's intervals begun before these pieces.
        offset: the byte offset in the file where the pieces go.

    Returns:
        ``(data, intervals_done, starts)``: the joined bytes, the count of intervals begun
        after them, and the file offset of each interval they begin (after its marker).
    """
    parts, starts = [], []
    for index, data in enumerate(pieces):
        if index > 0 or not first_continues or intervals_done == 0:
            if intervals_done:
                marker = write_rst(intervals_done - 1)
                parts.append(marker)
                offset += len(marker)
            intervals_done += 1
            starts.append(offset)
        parts.append(data)
        offset += len(data)
    return b"".join(parts), intervals_done, starts


def write_eoi() -> bytes:
    """EOI, end of image: ``FF D9``."""
    return bytes((0xFF, EOI))


def write_metadata(options: EncodeOptions, color_space: str = "YCbCr") -> bytes:
    """SOI and the application segments, in the order Pillow has libjpeg write them:
    APP0 JFIF (with the dpi if given), APP14 Adobe for an RGB, CMYK or YCCK frame, APP1 EXIF,
    then Pillow's
    ``extra`` buffer (the caller's ``extra`` segments as given, APP1 XMP, APP2 ICC profile),
    COM (libImaging/JpegEncode.c). With ``streamtype=2`` Pillow drops that ``extra`` buffer
    (JpegEncode.c's "suppress extra section"), so XMP, ICC and ``extra`` are not written.

    An RGB, CMYK or YCCK frame has no JFIF header (jcparam.c jpeg_set_colorspace: JFIF names
    only YCbCr and grayscale) unless a dpi is given: Pillow then turns it back on to carry
    the density.
    """
    parts = [write_soi()]
    if options.dpi is not None:
        parts.append(write_app0_jfif(options.dpi, units=1))
    elif color_space not in ADOBE_COLOR_SPACES:
        parts.append(write_app0_jfif())
    if color_space in ADOBE_COLOR_SPACES:
        parts.append(write_app14_adobe(color_space))
    if options.exif:
        parts.append(write_app1_exif(options.exif))
    if options.streamtype != IMAGE_ONLY:
        if options.extra:
            parts.append(options.extra)
        if options.xmp:
            parts.append(write_app1_xmp(options.xmp))
        if options.icc_profile:
            parts.append(write_app2_icc(options.icc_profile))
    if options.comment:
        parts.append(write_com(options.comment))
    return b"".join(parts)


def write_headers(plan: Plan, options: EncodeOptions | None = None) -> bytes:
    """Everything before the entropy-coded data, in the order libjpeg writes it.

    SOI, APP0 (JFIF), [APP1, APP2..., COM], DQT per table, SOF0 (SOF1 for 16-bit tables),
    DHT per table (DC0, AC0, DC1, AC1), DRI when restart markers are on, SOS (the
    sequential process: one scan). An image-only stream (``streamtype=2``) has no DQT, and
    DHT only for optimized tables: libjpeg's jpeg_suppress_tables marks the tables as sent,
    and optimize makes new ones (jchuff.c), which are written.
    """
    options = options if options is not None else EncodeOptions()
    image_only = options.streamtype == IMAGE_ONLY
    parts = [write_metadata(options, plan.color_space)]
    if not image_only:
        parts += [write_dqt(i, table) for i, table in enumerate(plan.quant_tables)]
    parts.append(write_sof0(plan, frame_marker(plan)))
    if plan.arithmetic:  # the conditioning instead of Huffman tables (jcmarker.c)
        parts.append(write_dac(plan, plan.scans[0]))
    elif options.optimize or not image_only:
        for index, (dc, ac) in enumerate(zip(plan.dc_tables, plan.ac_tables)):
            parts += [write_dht(0, index, dc), write_dht(1, index, ac)]
    if plan.restart_interval:
        parts.append(write_dri(plan.restart_interval))
    # One scan: the sequential process's (a multi-scan process writes each SOS before its scan).
    parts.append(write_sos(plan, plan.scans[0]))
    return b"".join(parts)


def write_frame_headers(plan: Plan, options: EncodeOptions | None = None) -> bytes:
    """Everything before the first scan of a progressive file: SOI, APP0 (JFIF), [APP1,
    APP2..., COM], DQT per table (none in an image-only stream, ``streamtype=2``), SOF2.
    Each scan's tables come before it (:func:`write_scan_headers`): they are optimized,
    so an image-only stream has them too."""
    options = options if options is not None else EncodeOptions()
    parts = [write_metadata(options, plan.color_space)]
    if options.streamtype != IMAGE_ONLY:
        parts += [write_dqt(i, table) for i, table in enumerate(plan.quant_tables)]
    parts.append(write_sof0(plan, frame_marker(plan)))
    return b"".join(parts)


def write_tables_only(quant_tables: tuple[np.ndarray, ...],
                      huffman_tables: tuple[tuple[HuffmanSpec, HuffmanSpec], ...]) -> bytes:
    """The tables-only stream (``streamtype=1``, libjpeg's jpeg_write_tables, jcmarker.c
    write_tables_only): SOI, a DQT per quantization table slot, a DHT per Huffman table
    slot (DC0, AC0, DC1, AC1), EOI; no APPn, no frame. A decoder loads them, then reads
    image-only streams (``streamtype=2``) that use them.

    Args:
        quant_tables: the table of each slot 0.. in order, natural order.
        huffman_tables: per slot, its (DC, AC) tables.
    """
    parts = [write_soi()]
    parts += [write_dqt(i, table) for i, table in enumerate(quant_tables)]
    for index, (dc, ac) in enumerate(huffman_tables):
        parts += [write_dht(0, index, dc), write_dht(1, index, ac)]
    parts.append(write_eoi())
    return b"".join(parts)


def write_scan_headers(plan: Plan, scan: Scan, tables: dict[int, HuffmanSpec],
                       restart_interval: int, previous_interval: int) -> bytes:
    """The segments before one scan of a progressive file, in libjpeg's order (jcmarker.c
    write_scan_header): a DHT for each table the scan codes with, in component order, each
    once (DC tables in a DC first scan, AC tables in an AC scan, none in a DC refinement);
    DRI when the restart interval differs from the previous scan's (each scan counts its own
    MCUs); SOS.

    Args:
        tables: the scan's Huffman tables by table index (optimized for this scan).
        restart_interval, previous_interval: this scan's DRI value and the one in force.
    """
    if plan.arithmetic:  # the conditioning instead of Huffman tables (jcmarker.c)
        parts = [write_dac(plan, scan)]
        if restart_interval != previous_interval:
            parts.append(write_dri(restart_interval))
        return b"".join(parts) + write_sos(plan, scan)
    parts, written = [], set()
    table_class = 0 if scan.ss == 0 else 1
    for index in scan.components:
        table = plan.components[index].huffman_index
        if table in tables and table not in written:
            parts.append(write_dht(table_class, table, tables[table]))
            written.add(table)
    if restart_interval != previous_interval:
        parts.append(write_dri(restart_interval))
    parts.append(write_sos(plan, scan))
    return b"".join(parts)
