"""Reading JPEG files back: the marker segments, for ``stripjpeg info`` and for teaching.

:func:`read_markers` walks any JPEG file (ours or anyone's) and lists its marker segments in
order, each with its offset, length and the fields that matter (T.81 Annex B). The
entropy-coded data after each SOS is skipped in one pass, counting the RSTn markers in it.

It parses untrusted files: every length is checked against the bytes that are there, and
anything malformed ends in a ``ValueError`` saying what and where.
"""

from __future__ import annotations

import os
from dataclasses import dataclass, field
from typing import Any

import numpy as np

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
            (SOI, EOI). For SOS, ``fields["entropy_bytes"]`` tells how long the
            entropy-coded data after it is.
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
        return f"{self.offset:>10}  {self.name:<5} {self.length:>6}  {details}"


def _as_data(source: bytes | bytearray | memoryview | str | os.PathLike) -> bytes:
    if isinstance(source, (bytes, bytearray, memoryview)):
        return bytes(source)
    if isinstance(source, (str, os.PathLike)):
        with open(source, "rb") as file:
            return file.read()
    raise TypeError(f"expected JPEG bytes or a path, got {type(source).__name__}")


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
    data = _as_data(source)
    if data[:2] != b"\xff\xd8":
        raise ValueError("not a JPEG file: it does not start with the SOI marker (FF D8)")
    segments = [Segment("SOI", 0xD8, 0, 0)]
    position = 2
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
            end, restarts = _skip_entropy_data(data, end)
            fields["entropy_bytes"] = end - (position + 2 + length)
            fields["restart_markers"] = restarts
        segments.append(Segment(name, marker, position, length, fields))
        position = end


def _next_marker(data: bytes, position: int) -> int:
    """The offset of the next marker's 0xFF, skipping fill bytes (T.81 B.1.1.2)."""
    if position < len(data) and data[position] != 0xFF:
        raise ValueError(f"expected a marker at byte {position}, found 0x{data[position]:02X}")
    while position + 1 < len(data) and data[position + 1] == 0xFF:
        position += 1  # fill bytes 0xFF before a marker
    return position if position + 1 < len(data) else len(data)


def _skip_entropy_data(data: bytes, start: int) -> tuple[int, int]:
    """Find the end of the entropy-coded data starting at ``start``: the first marker that
    is neither a stuffed 0xFF00 nor an RSTn (B.1.1.5). Returns ``(end, rst_count)``."""
    buffer = np.frombuffer(data, np.uint8, offset=start)
    ff = np.flatnonzero(buffer[:-1] == 0xFF)
    following = buffer[ff + 1]
    is_rst = (following >= 0xD0) & (following <= 0xD7)
    is_marker = (following != 0x00) & ~is_rst & (following != 0xFF)
    ends = ff[is_marker]
    if ends.size == 0:
        raise ValueError(f"truncated JPEG: entropy-coded data from byte {start} has no end marker")
    end = int(ends[0])
    return start + end, int(np.count_nonzero(is_rst[ff < end]))


def _parse_fields(marker: int, payload: bytes, offset: int) -> dict[str, Any]:
    """The fields of one segment's payload that ``stripjpeg info`` shows (Annex B)."""
    try:
        if marker in SOF_PROCESSES:
            return _parse_sof(marker, payload)
        if marker == 0xDB:
            return _parse_dqt(payload)
        if marker == 0xC4:
            return _parse_dht(payload)
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
        if marker == 0xFE:
            return {"comment": payload[:60].decode("latin-1") + ("..." if len(payload) > 60 else "")}
        return {"payload_bytes": len(payload)}
    except IndexError:
        name = MARKER_NAMES.get(marker, f"0x{marker:02X}")
        raise ValueError(f"{name} segment at byte {offset} is too short ({len(payload)} bytes)") from None


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
