"""Listing a JPEG file's marker segments and scans (T.81 Annex B), for ``stripjpeg info``.

:func:`read_markers` walks any JPEG file's segments in order, with offsets, lengths and the
fields that matter; :func:`read_scans` gives one :class:`ScanSummary` per scan. Both parse
untrusted files: every length is checked against the bytes that are there, and anything
malformed ends in a ``ValueError`` saying what and where. :mod:`stripjpeg.inspect` exports them.
"""

from __future__ import annotations

import os
from dataclasses import dataclass, field
from typing import Any

from .reader import as_jpeg_data
from .scan_decoding import entropy_data_end

#: Marker names by code (T.81 Table B.1).
MARKER_NAMES: dict[int, str] = {
    0xD8: "SOI", 0xD9: "EOI", 0xDA: "SOS", 0xDB: "DQT", 0xDC: "DNL", 0xDD: "DRI",
    0xC4: "DHT", 0xCC: "DAC", 0xFE: "COM", 0x01: "TEM",
    **{0xC0 + n: f"SOF{n}" for n in range(16) if n not in (4, 8, 12)},
    **{0xD0 + n: f"RST{n}" for n in range(8)},
    **{0xE0 + n: f"APP{n}" for n in range(16)},
}

#: SOF markers by process (T.81 B.1.1.3): only SOF0/SOF1 are baseline/extended Huffman.
SOF_PROCESSES: dict[int, str] = {
    0xC0: "baseline DCT, Huffman", 0xC1: "extended sequential DCT, Huffman",
    0xC2: "progressive DCT, Huffman", 0xC3: "lossless, Huffman",
    0xC5: "differential sequential DCT, Huffman", 0xC6: "differential progressive DCT, Huffman",
    0xC7: "differential lossless, Huffman", 0xC9: "extended sequential DCT, arithmetic",
    0xCA: "progressive DCT, arithmetic", 0xCB: "lossless, arithmetic",
    0xCD: "differential sequential DCT, arithmetic", 0xCE: "differential progressive DCT, arithmetic",
    0xCF: "differential lossless, arithmetic",
}


@dataclass(frozen=True)
class Segment:
    """One marker segment of a JPEG file.

    Attributes:
        name: the marker's name ("SOI", "DQT", "SOF0", "SOS", ...).
        marker: its code (the byte after 0xFF).
        offset: byte offset of the marker's 0xFF from the start of the file.
        length: the segment's length field (payload + 2), or 0 for markers without one
            (SOI, EOI). For SOS, ``fields["scan"]`` is its number (0, 1, ... in file
            order) and ``fields["entropy_bytes"]`` tells how long the entropy-coded data
            after it is.
        fields: the parsed fields (sizes, tables, sampling factors, ...).
    """

    name: str
    marker: int
    offset: int
    length: int
    fields: dict[str, Any] = field(default_factory=dict)

    def describe(self) -> str:
        """One line: offset, name, length and the key fields."""
        details = ", ".join(f"{key}={value}" for key, value in self.fields.items())
        return f"{self.offset:>10}  {self.name:<5} {self.length:>6}  {details}".rstrip()


def read_markers(source: bytes | str | os.PathLike) -> list[Segment]:
    """List the marker segments of a JPEG file, in file order.

    Args:
        source: the file's bytes, or a path.

    Returns:
        One :class:`Segment` per marker, from SOI to EOI; RSTn markers inside entropy-coded
        data are not listed one by one but counted in the SOS segment's
        ``fields["restart_markers"]``.

    Raises:
        ValueError: not a JPEG file, or a segment that runs past the end or is malformed.
    """
    data = as_jpeg_data(source)
    if data[:2] != b"\xff\xd8":
        raise ValueError("not a JPEG file: it does not start with the SOI marker (FF D8)")
    segments = [Segment("SOI", 0xD8, 0, 0)]
    position, scans = 2, 0
    while True:
        position = _next_marker(data, position)
        if position >= len(data):
            raise ValueError(f"truncated JPEG: no EOI marker (ends at byte {len(data)})")
        marker = data[position + 1]
        name = MARKER_NAMES.get(marker, f"0x{marker:02X}")
        if marker == 0xD9:
            segments.append(Segment("EOI", marker, position, 0))
            return segments
        if 0xD0 <= marker <= 0xD7 or marker == 0x01:
            raise ValueError(f"unexpected {name} marker outside entropy-coded data at byte {position}")
        if position + 4 > len(data):
            raise ValueError(f"truncated {name} segment at byte {position}")
        length = int.from_bytes(data[position + 2:position + 4], "big")
        if length < 2 or position + 2 + length > len(data):
            raise ValueError(f"{name} segment at byte {position} declares length {length}, "
                             f"but {len(data) - position - 2} bytes remain")
        payload = data[position + 4:position + 2 + length]
        fields = _parse_fields(marker, payload, position)
        end = position + 2 + length
        if marker == 0xDA:
            end, restarts = entropy_data_end(data, end)
            fields = {"scan": scans, **fields, "entropy_bytes": end - (position + 2 + length),
                      "restart_markers": len(restarts)}
            scans += 1
        segments.append(Segment(name, marker, position, length, fields))
        position = end


@dataclass(frozen=True)
class ScanSummary:
    """One scan of a JPEG file (its SOS segment, B.2.3) and what was defined before it.

    Attributes:
        index: the scan's number, 0, 1, ... in file order.
        offset: byte offset of its SOS marker.
        components: the component ids it codes, in scan order.
        ss, se, ah, al: its spectral band Ss..Se and successive approximation bits Ah/Al
            (0..63 and 0/0 for every sequential scan).
        entropy_bytes: the length of its entropy-coded data (RSTn markers included).
        restart_markers: how many RSTn markers that data holds.
        defined_before: the DHT tables ("DHT AC0 DC1") and DRI values ("DRI 4") of the
            segments between the previous scan (or the start of the file) and this one.
    """

    index: int
    offset: int
    components: tuple[int, ...]
    ss: int
    se: int
    ah: int
    al: int
    entropy_bytes: int
    restart_markers: int
    defined_before: tuple[str, ...]

    HEADER = "  scan  components  Ss..Se  Ah/Al  entropy_bytes  RSTn  defined before"

    def describe(self) -> str:
        """One line of ``stripjpeg info``'s scan table (under :attr:`HEADER`)."""
        return (f"  {self.index:>4}  {','.join(map(str, self.components)):<10}  {self.ss:>2}..{self.se:<2}  "
                f"{self.ah:>2}/{self.al:<2}  {self.entropy_bytes:>13}  {self.restart_markers:>4}  "
                f"{', '.join(self.defined_before)}").rstrip()


def read_scans(source: bytes | str | os.PathLike | list[Segment]) -> list[ScanSummary]:
    """One :class:`ScanSummary` per scan of a JPEG file, in file order.

    Args:
        source: the file's bytes or path, or its :func:`read_markers` segments.

    Raises:
        ValueError: as :func:`read_markers`.
    """
    segments = source if isinstance(source, list) else read_markers(source)
    scans: list[ScanSummary] = []
    defined: list[str] = []
    for segment in segments:
        fields = segment.fields
        if segment.name == "DHT":
            defined.append("DHT " + " ".join(table.split()[0] for table in fields["tables"]))
        elif segment.name == "DRI":
            defined.append(f"DRI {fields['restart_interval']}")
        elif segment.name == "SOS":
            ids = tuple(c["id"] for c in fields["components"])
            scans.append(ScanSummary(fields["scan"], segment.offset, ids, fields["Ss"], fields["Se"],
                                     fields["Ah"], fields["Al"], fields["entropy_bytes"],
                                     fields["restart_markers"], tuple(defined)))
            defined = []
    return scans


def _next_marker(data: bytes, position: int) -> int:
    """The offset of the next marker's 0xFF, skipping fill bytes (T.81 B.1.1.2)."""
    if position < len(data) and data[position] != 0xFF:
        raise ValueError(f"expected a marker at byte {position}, found 0x{data[position]:02X}")
    while position + 1 < len(data) and data[position + 1] == 0xFF:
        position += 1  # fill bytes 0xFF before a marker
    return position if position + 1 < len(data) else len(data)


def _parse_dac(payload: bytes) -> dict[str, Any]:
    """DAC (T.81 B.2.4.3): per table, Tc<<4|Tb then Cs: a DC table's bounds L (low 4 bits)
    and U (high 4 bits), an AC table's Kx."""
    if len(payload) % 2:
        raise IndexError
    tables = []
    for tc_tb, cs in zip(payload[::2], payload[1::2]):
        if tc_tb >> 4 == 0:
            tables.append(f"DC{tc_tb & 15} L={cs & 15} U={cs >> 4}")
        else:
            tables.append(f"AC{tc_tb & 15} Kx={cs}")
    return {"conditioning": tables}


def _parse_fields(marker: int, payload: bytes, offset: int) -> dict[str, Any]:
    """The fields of one segment's payload that ``stripjpeg info`` shows (Annex B)."""
    try:
        if marker in SOF_PROCESSES:
            return _parse_sof(marker, payload)
        if marker == 0xDB:
            return _parse_dqt(payload)
        if marker == 0xC4:
            return _parse_dht(payload)
        if marker == 0xCC:
            return _parse_dac(payload)
        if marker == 0xDD:
            return {"restart_interval": int.from_bytes(payload[:2], "big")}
        if marker == 0xDA:
            return _parse_sos(payload)
        if marker == 0xE0 and payload[:5] == b"JFIF\x00":
            return {"version": f"{payload[5]}.{payload[6]:02d}", "units": payload[7],
                    "density": (int.from_bytes(payload[8:10], "big"),
                                int.from_bytes(payload[10:12], "big")),
                    "thumbnail": (payload[12], payload[13])}
        if marker == 0xE1 and payload[:6] == b"Exif\x00\x00":
            return {"exif_bytes": len(payload) - 6}
        if marker == 0xE2 and payload[:12] == b"ICC_PROFILE\x00":
            return {"icc_chunk": payload[12], "of": payload[13], "icc_bytes": len(payload) - 14}
        if marker == 0xEE and payload[:5] == b"Adobe":
            return _parse_adobe(payload)
        if marker == 0xFE:
            return {"comment": payload[:60].decode("latin-1") + ("..." if len(payload) > 60 else "")}
        return {"payload_bytes": len(payload)}
    except IndexError:
        name = MARKER_NAMES.get(marker, f"0x{marker:02X}")
        raise ValueError(f"{name} segment at byte {offset} is too short ({len(payload)} bytes)") from None


#: The Adobe APP14 marker's colour transform (Adobe's Technical Note 5116, the DCTDecode
#: filter; libjpeg's jcmarker.c emit_adobe_app14 and jdmarker.c examine_app14): what the
#: components are, since without JFIF nothing else says it.
ADOBE_TRANSFORMS = {0: "none (RGB or CMYK as stored)", 1: "YCbCr", 2: "YCCK"}


def _parse_adobe(payload: bytes) -> dict[str, Any]:
    """Adobe's APP14: "Adobe", then version, flags0, flags1 (16 bits each), transform (8)."""
    transform = payload[11]
    return {"version": int.from_bytes(payload[5:7], "big"),
            "flags": (int.from_bytes(payload[7:9], "big"), int.from_bytes(payload[9:11], "big")),
            "transform": f"{transform}: {ADOBE_TRANSFORMS.get(transform, 'unknown')}"}


def _parse_sof(marker: int, payload: bytes) -> dict[str, Any]:
    """Frame header (B.2.2): precision, size, and per component id, H x V, Tq."""
    count = payload[5]
    if len(payload) != 6 + 3 * count:
        raise ValueError(f"frame header for {count} components has {len(payload)} bytes, "
                         f"expected {6 + 3 * count}")
    components = [{"id": payload[6 + 3 * i],
                   "sampling": f"{payload[7 + 3 * i] >> 4}x{payload[7 + 3 * i] & 15}",
                   "table": payload[8 + 3 * i]} for i in range(count)]
    return {"process": SOF_PROCESSES[marker], "precision": payload[0],
            "height": int.from_bytes(payload[1:3], "big"), "width": int.from_bytes(payload[3:5], "big"),
            "components": components}


def _parse_dqt(payload: bytes) -> dict[str, Any]:
    """Quantization tables (B.2.4.1): one or more, each 65 or 129 bytes."""
    tables, position = [], 0
    while position < len(payload):
        precision, index = payload[position] >> 4, payload[position] & 15
        size = 64 * (2 if precision else 1)
        if precision > 1 or position + 1 + size > len(payload):
            raise ValueError("malformed DQT segment")
        tables.append(f"{index} ({8 * (precision + 1)}-bit)")
        position += 1 + size
    return {"tables": tables}


def _parse_dht(payload: bytes) -> dict[str, Any]:
    """Huffman tables (B.2.4.2): one or more, each 17 bytes + its symbols."""
    tables, position = [], 0
    while position < len(payload):
        table_class, index = payload[position] >> 4, payload[position] & 15
        symbols = sum(payload[position + 1:position + 17])
        if table_class > 1 or position + 17 > len(payload) or position + 17 + symbols > len(payload):
            raise ValueError("malformed DHT segment")
        tables.append(f"{'DC' if table_class == 0 else 'AC'}{index} ({symbols} symbols)")
        position += 17 + symbols
    return {"tables": tables}


def _parse_sos(payload: bytes) -> dict[str, Any]:
    """Scan header (B.2.3): components with their DC/AC tables, Ss, Se, Ah/Al."""
    count = payload[0]
    if len(payload) != 4 + 2 * count:
        raise ValueError(f"scan header for {count} components has {len(payload)} bytes, "
                         f"expected {4 + 2 * count}")
    components = [{"id": payload[1 + 2 * i], "dc": payload[2 + 2 * i] >> 4, "ac": payload[2 + 2 * i] & 15}
                  for i in range(count)]
    tail = 1 + 2 * count
    return {"components": components, "Ss": payload[tail], "Se": payload[tail + 1],
            "Ah": payload[tail + 2] >> 4, "Al": payload[tail + 2] & 15}
