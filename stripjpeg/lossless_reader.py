"""Reading a lossless JPEG (SOF3, T.81 Annex H) back to its exact samples: :func:`read_samples`.

The decoder undoes the encoder's three steps in reverse order (H.2): Huffman decoding of
each difference (a size category, then that many extra bits, none for category 16, which is
32768), prediction (``x = (Px + difference) mod 2**16``, with the same first-row and
first-column rules and the same reset at each restart interval as the encoder), and the point
transform (``x << Pt``). It reads Huffman-coded lossless files of any precision 2..16, with
1 to 4 components (all H = V = 1, interleaved in one scan, or one scan each), restart
intervals of whole rows, as libjpeg writes them.

It is the textbook, one sample at a time in Python: meant for checking files (tens of
thousands of samples a second), not for speed.
"""

from __future__ import annotations

import os
from dataclasses import dataclass

import numpy as np

from .reader import DEFAULT_MAX_PIXELS, as_jpeg_data
from .scan_decoding import BitReader, HuffmanTable, decode_symbol, extend, read_dht, split_entropy_data
from .stages.lossless import MAX_CATEGORY, table_h1

#: Frame headers of the other processes (T.81 B.1.1.3): SOF0..SOF15 but SOF3, without DHT
#: (C4), JPG (C8) and DAC (CC), which share the range.
OTHER_FRAMES = frozenset(range(0xC0, 0xD0)) - {0xC3, 0xC4, 0xC8, 0xCC}


@dataclass
class LosslessImage:
    """A decoded lossless JPEG.

    Attributes:
        samples: ``(height, width)`` for one component, else ``(height, width, components)``;
            uint8 for precision up to 8, uint16 above; the values the encoder was given
            (with ``point_transform``, their low bits zero).
        precision: P, bits per sample.
        predictor: the selection value of the (last) scan, 1..7.
        point_transform: Pt of the (last) scan.
        restart_interval: the DRI value (MCUs), 0 for none.
        component_ids: the frame's component ids.
    """

    samples: np.ndarray
    precision: int
    predictor: int
    point_transform: int
    restart_interval: int
    component_ids: tuple[int, ...]


def read_samples(source: bytes | str | os.PathLike, max_pixels: int = DEFAULT_MAX_PIXELS) -> np.ndarray:
    """The exact samples of a lossless JPEG (bytes or a path): see :class:`LosslessImage`.

    Raises:
        ValueError: not a lossless Huffman JPEG (SOF3), or a malformed one.
    """
    return read_lossless(source, max_pixels).samples


def read_lossless(source: bytes | str | os.PathLike, max_pixels: int = DEFAULT_MAX_PIXELS) -> LosslessImage:
    """Parse and decode a lossless JPEG file (:func:`read_samples`, with the header values)."""
    data = as_jpeg_data(source)
    if data[:2] != b"\xff\xd8":
        raise ValueError("not a JPEG file: it does not start with the SOI marker (FF D8)")
    tables: dict[int, HuffmanTable] = {}
    frame: tuple[int, int, int, tuple[int, ...]] | None = None
    planes: list[np.ndarray] = []
    restart_interval, predictor, pt = 0, 0, 0
    position = 2
    while True:
        if position + 2 > len(data) or data[position] != 0xFF:
            raise ValueError(f"truncated or malformed JPEG: no marker at byte {position}")
        marker = data[position + 1]
        if marker == 0xFF:
            position += 1  # a fill byte
            continue
        if marker == 0xD9:
            break
        length = int.from_bytes(data[position + 2:position + 4], "big")
        end = position + 2 + length
        if length < 2 or end > len(data):
            raise ValueError(f"segment 0x{marker:02X} at byte {position} runs past the end of the file")
        payload = data[position + 4:end]
        if marker in OTHER_FRAMES:
            raise ValueError(f"SOF{marker - 0xC0}: read_samples reads lossless Huffman files "
                             "(SOF3); read_coefficients reads DCT-based ones")
        if marker == 0xC3:
            if frame is not None:
                raise ValueError("more than one frame header")
            frame = _frame(payload, max_pixels)
            width, height, precision, ids = frame
            # Allocate only what the rest of the file could code: a sample takes a bit or more.
            if width * height * len(ids) > 8 * (len(data) - end) + 64:
                raise ValueError(f"the frame declares {width}x{height}x{len(ids)} samples, more "
                                 f"than the {len(data) - end} bytes left can hold")
            planes = [np.zeros((height, width), np.int64) for _ in ids]
        elif marker == 0xC4:
            _dht(payload, tables)
        elif marker == 0xDD:
            if len(payload) != 2:
                raise ValueError("malformed DRI segment")
            restart_interval = int.from_bytes(payload, "big")
        elif marker == 0xDA:
            if frame is None:
                raise ValueError("a scan (SOS) before the frame header (SOF3)")
            members, predictor, pt = _scan_header(payload, frame[3], tables)
            if pt >= frame[2]:
                raise ValueError(f"point transform {pt} is not below the precision {frame[2]}")
            segments, position = split_entropy_data(data, end)
            _decode_scan(segments, members, planes, frame, restart_interval, predictor, pt)
            continue
        position = end
    if frame is None:
        raise ValueError("no frame header (SOF3) before the end of the file")
    width, height, precision, ids = frame
    samples = np.stack(planes, axis=-1) << pt
    largest = int(samples.max(initial=0))
    if largest >= 1 << precision:
        # A valid file reconstructs its samples exactly (H.2: modulo 2**16); a larger value
        # means corrupt differences, and casting it to the sample type would hide that.
        raise ValueError(f"corrupt lossless data: a sample decodes to {largest}, over the "
                         f"{precision}-bit maximum {(1 << precision) - 1}")
    samples = samples.astype(np.uint8 if precision <= 8 else np.uint16)
    if len(ids) == 1:
        samples = samples[:, :, 0]
    return LosslessImage(samples, precision, predictor, pt, restart_interval, ids)


def _frame(payload: bytes, max_pixels: int) -> tuple[int, int, int, tuple[int, ...]]:
    """SOF3: (width, height, precision, component ids); every component 1x1."""
    if len(payload) < 6 or len(payload) != 6 + 3 * payload[5] or not 1 <= payload[5] <= 4:
        raise ValueError("malformed frame header (SOF3)")
    precision = payload[0]
    height, width = int.from_bytes(payload[1:3], "big"), int.from_bytes(payload[3:5], "big")
    if not 2 <= precision <= 16:
        raise ValueError(f"a lossless frame has 2 to 16 bits per sample, this one {precision}")
    if width == 0 or height == 0:
        raise ValueError("a frame of zero width or height (DNL) is not supported")
    if width * height > max_pixels:
        raise ValueError(f"{width}x{height} is over max_pixels={max_pixels}")
    ids = tuple(payload[6 + 3 * i] for i in range(payload[5]))
    if any(payload[7 + 3 * i] != 0x11 for i in range(len(ids))):
        raise ValueError("subsampled lossless components are not supported (all H = V = 1 here)")
    return width, height, precision, ids


def _dht(payload: bytes, tables: dict[int, HuffmanTable]) -> None:
    """Keep a DHT segment's tables by index: a lossless file has only DC-class ones (H.1.2.2)."""
    for table_class, index, table in read_dht(payload):
        if table_class != 0:
            raise ValueError("malformed DHT segment (a lossless file has DC-class tables 0..3)")
        tables[index] = table


def _scan_header(payload: bytes, ids: tuple[int, ...], tables: dict[int, HuffmanTable]
                 ) -> tuple[list[tuple[int, HuffmanTable]], int, int]:
    """SOS: the (component index, table) of each member, the predictor and Pt."""
    if len(payload) < 1 or len(payload) != 4 + 2 * payload[0]:
        raise ValueError("malformed scan header (SOS)")
    members = []
    for k in range(payload[0]):
        cid, table = payload[1 + 2 * k], payload[2 + 2 * k] >> 4
        if cid not in ids:
            raise ValueError(f"the scan names component {cid}, which the frame does not have")
        if table not in tables:
            raise ValueError(f"component {cid} uses Huffman table {table}, which is not defined")
        members.append((ids.index(cid), tables[table]))
    predictor, pt = payload[-3], payload[-1] & 15
    if not 1 <= predictor <= 7:
        raise ValueError(f"a lossless scan's predictor (Ss) is 1..7, got {predictor}")
    return members, predictor, pt


def _decode_difference(reader: BitReader, table: HuffmanTable) -> int:
    """One difference (H.1.2.2): its category, then that many extra bits (none for 16)."""
    size = decode_symbol(reader, table)
    if size == MAX_CATEGORY:
        return 32768
    if size > MAX_CATEGORY:
        raise ValueError(f"difference category {size}: lossless categories are 0..16")
    return extend(reader.take(size), size) if size else 0


def _decode_scan(segments: list[bytes], members: list[tuple[int, HuffmanTable]],
                 planes: list[np.ndarray], frame: tuple[int, int, int, tuple[int, ...]],
                 restart_interval: int, predictor: int, pt: int) -> None:
    """Decode every restart interval of a scan into ``planes`` (point-transformed samples)."""
    width, height, precision, _ = frame
    if restart_interval % width:
        raise ValueError(f"a restart interval of {restart_interval} MCUs is not whole rows of "
                         f"{width} (libjpeg writes only whole rows in lossless mode)")
    rows_per_interval = restart_interval // width if restart_interval else height
    expected = -(-height // rows_per_interval)
    if len(segments) != expected:
        raise ValueError(f"the scan holds {len(segments)} restart intervals, expected {expected}")
    for number, segment in enumerate(segments):
        reader = BitReader(segment)
        first = number * rows_per_interval
        for y in range(first, min(height, first + rows_per_interval)):
            for x in range(width):
                for index, table in members:
                    plane = planes[index]
                    px = _prediction(plane, y, x, first, predictor, precision, pt)
                    plane[y, x] = (px + _decode_difference(reader, table)) & 0xFFFF


def _prediction(plane: np.ndarray, y: int, x: int, first_row: int, predictor: int,
                precision: int, pt: int) -> int:
    """Px for sample (y, x), as the encoder predicted it (H.1.2.1, Table H.1)."""
    if y == first_row:
        return 1 << (precision - pt - 1) if x == 0 else int(plane[y, x - 1])
    if x == 0:
        return int(plane[y - 1, 0])
    # Python ints: Table H.1 reads the same on them as on arrays (arithmetic shifts).
    return int(table_h1(predictor, int(plane[y, x - 1]), int(plane[y - 1, x]), int(plane[y - 1, x - 1])))
