"""PNG files read row by row, keeping 16-bit samples (PNG specification, ISO/IEC 15948).

A PNG file is its 8-byte signature, then chunks: a 4-byte big-endian length, a 4-byte type,
the data, and a CRC-32 of type and data (clause 5.3). IHDR comes first (width, height, bit
depth, colour type, compression, filter and interlace methods: clause 11.2.2), PLTE before
the image data for colour type 3, then one or more consecutive IDAT chunks whose
concatenation is one zlib stream, and IEND last. Ancillary chunks (a lower-case first letter:
clause 5.4) are skipped, their CRC checked; tRNS is read for palettes only.

The zlib stream inflates to the filtered scanlines: per row one filter-type byte and the
row's bytes, samples packed big-endian (1, 2, 4 bits per sample within a byte from the most
significant bit; 16 bits as two bytes, most significant first: clause 7.2). Each row is
reconstructed from the row above with one of five filters (clause 9.2): None, Sub, Up,
Average, Paeth. This module inflates incrementally (``zlib.decompressobj`` with a bounded
output), unfilters a block of rows at a time (the numba kernel of
:mod:`stripjpeg.backends.numba_png`, or :func:`unfilter_scanlines`, the textbook it is
tested against), and unpacks the samples: memory holds one block, whatever the height.

What the encoder is given (:func:`stream_png`), as the Pillow path gave it before, except
that 16-bit samples are no longer truncated:

====================  =========================================================================
colour type           pixels
====================  =========================================================================
0 grey                ``(H, W, 1)``; 1, 2, 4 bits scaled to 8 (x 255, 85, 17: exact); 1 bit warns
2 RGB                 ``(H, W, 3)``
3 palette             its colours: RGB, or RGBA with a tRNS chunk (alpha then dropped); warns
4 grey + alpha        grey; the alpha is dropped, with a warning
6 RGB + alpha         ``(H, W, 4)``: RGBA, whose alpha the encoder drops (no warning)
====================  =========================================================================

16-bit samples stay uint16 (native byte order) when the encode takes more than 8 bits
(``--precision 12``, or ``--lossless ... --precision 16``); for 8-bit output they are scaled
by :func:`scale_16_to_8`, with a warning.

Adam7-interlaced files cannot be read row by row (each pass covers the whole image, and the
first row is complete only after the last pass), nor can animated PNGs be told apart from
their first frame here: :func:`stream_png` gives None for those, and the caller decodes them
whole with Pillow, as before.
"""

from __future__ import annotations

import os
import struct
import zlib
from collections.abc import Callable, Iterator
from dataclasses import dataclass
from typing import Any, BinaryIO

import numpy as np

from .notices import warn_user

#: The PNG signature (clause 5.2).
SIGNATURE = b"\x89PNG\r\n\x1a\n"

#: Colour type -> (samples per pixel, allowed bit depths) (clause 11.2.2, Table 11.1).
COLOUR_TYPES = {0: (1, (1, 2, 4, 8, 16)), 2: (3, (8, 16)), 3: (1, (1, 2, 4, 8)),
                4: (2, (8, 16)), 6: (4, (8, 16))}

#: Filter types of filter method 0 (clause 9.2): None, Sub, Up, Average, Paeth.
FILTER_TYPES = ("None", "Sub", "Up", "Average", "Paeth")

#: Bytes of scanlines inflated and unfiltered at a time (whole rows, at least one).
BLOCK_BYTES = 1 << 20

#: Pillow's names of the 16-bit layouts, for the scaling notice (as its own path said them).
_SIXTEEN_BIT_NAMES = {0: "mode I;16", 2: "raw mode RGB;16B", 4: "raw mode LA;16B",
                      6: "raw mode RGBA;16B"}


@dataclass(frozen=True)
class PngHeader:
    """What a PNG file's chunks before its image data say.

    Attributes:
        width, height: pixels, each 1 .. 2**31 - 1.
        bit_depth: bits per sample (per palette index for colour type 3): 1, 2, 4, 8 or 16.
        colour_type: 0 grey, 2 RGB, 3 palette, 4 grey + alpha, 6 RGB + alpha.
        interlace: 0 none, 1 Adam7.
        palette: uint8 ``(N, 3)``, or ``(N, 4)`` with tRNS alpha; None but for colour type 3.
        animated: an acTL chunk came before the image data (APNG).
        data_offset: byte offset of the first IDAT chunk.
    """

    width: int
    height: int
    bit_depth: int
    colour_type: int
    interlace: int
    palette: np.ndarray | None
    animated: bool
    data_offset: int

    @property
    def samples_per_pixel(self) -> int:
        return COLOUR_TYPES[self.colour_type][0]

    @property
    def stride(self) -> int:
        """Bytes of one unfiltered row (its filter-type byte not counted)."""
        return -(-self.width * self.samples_per_pixel * self.bit_depth // 8)

    @property
    def filter_distance(self) -> int:
        """Clause 9.2's "bpp": bytes per complete pixel, rounded up to one."""
        return max(1, self.samples_per_pixel * self.bit_depth // 8)


def read_chunk(file: BinaryIO, path: str) -> tuple[bytes, bytes, int]:
    """The next chunk of ``file``: its type, its data, and its offset, CRC checked.

    Raises:
        ValueError: the file ends inside the chunk, the length is over 2**31 - 1, the type is
            not four ASCII letters, or the CRC does not match.
    """
    offset = file.tell()
    head = file.read(8)
    if len(head) < 8:
        raise ValueError(f"{path}: truncated PNG: no IEND chunk (the file ends at byte {offset})")
    length, kind = struct.unpack(">I4s", head)
    if length > 0x7FFFFFFF:
        raise ValueError(f"{path}: corrupt PNG: chunk length {length} at byte {offset} is over 2**31 - 1")
    if not kind.isalpha() or not kind.isascii():
        raise ValueError(f"{path}: corrupt PNG: chunk type {kind!r} at byte {offset} is not four letters")
    data = file.read(length)
    crc = file.read(4)
    if len(data) < length or len(crc) < 4:
        raise ValueError(f"{path}: truncated PNG: the {kind.decode()} chunk at byte {offset} needs "
                         f"{length + 12} bytes, the file ends before")
    if struct.unpack(">I", crc)[0] != zlib.crc32(kind + data):
        raise ValueError(f"{path}: corrupt PNG: CRC mismatch in the {kind.decode()} chunk at byte {offset}")
    return kind, data, offset


def _check_critical(kind: bytes, path: str, offset: int) -> None:
    """Clause 5.4: a critical chunk (upper-case first letter) that is not known is an error."""
    if kind[:1].isupper() and kind not in (b"IHDR", b"PLTE", b"IDAT", b"IEND"):
        raise ValueError(f"{path}: unknown critical PNG chunk {kind.decode()} at byte {offset}")


def read_png_header(path: str | os.PathLike) -> PngHeader:
    """Read a PNG file's chunks up to its first IDAT.

    Raises:
        ValueError: not a PNG, or a header that breaks the specification (naming what).
    """
    path = os.fspath(path)
    with open(path, "rb") as file:
        if file.read(8) != SIGNATURE:
            raise ValueError(f"{path}: not a PNG file (no PNG signature)")
        kind, data, _ = read_chunk(file, path)
        if kind != b"IHDR" or len(data) != 13:
            raise ValueError(f"{path}: corrupt PNG: the first chunk must be a 13-byte IHDR, got "
                             f"{kind.decode()} of {len(data)} bytes")
        width, height, depth, colour, compression, method, interlace = struct.unpack(">IIBBBBB", data)
        _check_ihdr(path, width, height, depth, colour, compression, method, interlace)
        palette, alpha, animated = None, None, False
        while True:
            kind, data, offset = read_chunk(file, path)
            _check_critical(kind, path, offset)
            if kind == b"IDAT":
                break
            if kind == b"IEND":
                raise ValueError(f"{path}: corrupt PNG: no IDAT chunk (no image data)")
            if kind == b"PLTE":
                if len(data) % 3 or not 3 <= len(data) <= 768:
                    raise ValueError(f"{path}: corrupt PNG: a PLTE of {len(data)} bytes (1 to 256 "
                                     "entries of 3 bytes)")
                palette = np.frombuffer(data, np.uint8).reshape(-1, 3)
            elif kind == b"tRNS" and colour == 3:
                alpha = np.frombuffer(data, np.uint8)
            elif kind == b"acTL":
                animated = True
        if colour == 3:
            palette = _palette_table(path, palette, alpha, depth)
    return PngHeader(width, height, depth, colour, interlace, palette, animated, offset)


def _check_ihdr(path: str, width: int, height: int, depth: int, colour: int, compression: int,
                method: int, interlace: int) -> None:
    """Clause 11.2.2's rules for IHDR's fields."""
    if not (0 < width <= 0x7FFFFFFF and 0 < height <= 0x7FFFFFFF):
        raise ValueError(f"{path}: corrupt PNG: IHDR declares a {width}x{height} image")
    if colour not in COLOUR_TYPES or depth not in COLOUR_TYPES[colour][1]:
        raise ValueError(f"{path}: corrupt PNG: bit depth {depth} with colour type {colour} is not "
                         "allowed (clause 11.2.2)")
    if compression != 0 or method != 0 or interlace not in (0, 1):
        raise ValueError(f"{path}: corrupt PNG: compression method {compression}, filter method "
                         f"{method}, interlace method {interlace} (0, 0 and 0 or 1 exist)")


def _palette_table(path: str, palette: np.ndarray | None, alpha: np.ndarray | None,
                   depth: int) -> np.ndarray:
    """The palette as an RGB ``(N, 3)`` table, or RGBA ``(N, 4)`` with tRNS (entries past
    tRNS's end are opaque, clause 11.3.2.1)."""
    if palette is None:
        raise ValueError(f"{path}: corrupt PNG: colour type 3 without a PLTE chunk")
    if len(palette) > 1 << depth:
        raise ValueError(f"{path}: corrupt PNG: {len(palette)} palette entries for {depth}-bit indices")
    if alpha is None:
        return palette
    if len(alpha) > len(palette):
        raise ValueError(f"{path}: corrupt PNG: tRNS has {len(alpha)} entries, the palette {len(palette)}")
    opacity = np.full(len(palette), 255, np.uint8)
    opacity[:len(alpha)] = alpha
    return np.column_stack([palette, opacity])


# --- Image data: inflate, unfilter, unpack ---------------------------------------------------

def image_data(file: BinaryIO, path: str, offset: int) -> Iterator[bytes]:
    """The data of the consecutive IDAT chunks from ``offset``; then the chunks up to IEND
    are read (CRCs checked), so a truncated or corrupt end is found."""
    file.seek(offset)
    kind, data, where = read_chunk(file, path)
    while kind == b"IDAT":
        yield data
        kind, data, where = read_chunk(file, path)
    while kind != b"IEND":
        _check_critical(kind, path, where)
        if kind == b"IDAT":
            raise ValueError(f"{path}: corrupt PNG: IDAT chunks are not consecutive (byte {where})")
        kind, data, where = read_chunk(file, path)


def filtered_rows(path: str | os.PathLike, header: PngHeader) -> Iterator[np.ndarray]:
    """The filtered scanlines, in blocks of rows: uint8 ``(n, 1 + stride)``, top to bottom,
    about :data:`BLOCK_BYTES` at a time (at least one row), inflated as they are needed.

    Raises:
        ValueError: the zlib stream is corrupt, ends before the last row, or holds more.
    """
    path = os.fspath(path)
    line = 1 + header.stride
    block = max(1, BLOCK_BYTES // line) * line
    inflater = zlib.decompressobj()
    pending = bytearray()
    rows_left = header.height
    with open(path, "rb") as file:
        for piece in _inflated(inflater, image_data(file, path, header.data_offset), block, path):
            pending += piece
            while len(pending) >= block:
                rows = block // line
                if rows > rows_left:
                    break
                yield np.frombuffer(bytes(pending[:block]), np.uint8).reshape(rows, line)
                del pending[:block]
                rows_left -= rows
            if len(pending) > rows_left * line:
                raise ValueError(f"{path}: corrupt PNG: more image data than the {header.height} "
                                 "rows IHDR declares")
    rows = len(pending) // line
    if rows:
        yield np.frombuffer(bytes(pending[:rows * line]), np.uint8).reshape(rows, line)
    if rows < rows_left:
        raise ValueError(f"{path}: truncated PNG image data: {header.height - rows_left + rows} of "
                         f"{header.height} rows")
    if not inflater.eof:
        raise ValueError(f"{path}: truncated PNG image data: the zlib stream does not end")


def _inflated(inflater: Any, pieces: Iterator[bytes], size: int, path: str) -> Iterator[bytes]:
    """What ``inflater`` makes of the compressed ``pieces``, at most ``size`` bytes at a
    time (so one compressed chunk never inflates whole), and what it still holds after them."""
    try:
        for data in pieces:
            while data:
                if inflater.eof:
                    raise ValueError(f"{path}: corrupt PNG: data after the end of the zlib stream")
                out = inflater.decompress(data, size)
                data = inflater.unconsumed_tail
                yield out
        while not inflater.eof:
            out = inflater.decompress(b"", size)  # output zlib holds with all input taken
            if not out:
                break
            yield out
    except zlib.error as error:
        raise ValueError(f"{path}: corrupt PNG image data ({error})") from None
    if inflater.unused_data:
        raise ValueError(f"{path}: corrupt PNG: data after the end of the zlib stream")


class FilterTypeError(ValueError):
    """A scanline's filter type is not one of clause 9.2's (0..4).

    Attributes:
        row: the row in the block; kind: the filter type byte.
    """

    def __init__(self, row: int, kind: int) -> None:
        super().__init__(f"filter type {kind} (0..4 exist) in row {row} of the block")
        self.row, self.kind = row, kind


def unfilter_scanlines(filtered: np.ndarray, previous: np.ndarray, bpp: int) -> np.ndarray:
    """Reverse clause 9.2's filters, the textbook way: rows ``(n, 1 + stride)`` of filter
    type and filtered bytes, the row above the first ``previous`` (``(stride,)``; zeros
    above the image), ``bpp`` the byte distance of "a" (:attr:`PngHeader.filter_distance`).
    Arithmetic is modulo 256; "a", "b", "c" are the bytes left, above and above-left, 0
    outside the row.

    Returns:
        uint8 ``(n, stride)``, the reconstructed bytes.

    Raises:
        ValueError: a filter type other than 0..4.
    """
    rows, stride = filtered.shape[0], filtered.shape[1] - 1
    out = np.empty((rows, stride), np.uint8)
    above = previous.astype(np.int64)
    for row in range(rows):
        kind, line = int(filtered[row, 0]), filtered[row, 1:].astype(np.int64)
        if kind == 0:
            current = line
        elif kind == 1:  # Sub: each byte lane of the pixel is a running sum along the row
            padded = np.zeros(-(-stride // bpp) * bpp, np.int64)
            padded[:stride] = line
            current = np.cumsum(padded.reshape(-1, bpp), axis=0).reshape(-1)[:stride] % 256
        elif kind == 2:  # Up
            current = (line + above) % 256
        elif kind in (3, 4):
            current = _serial_filter(kind, line, above, bpp)
        else:
            raise FilterTypeError(row, kind)
        out[row] = current
        above = current
    return out


def _serial_filter(kind: int, line: np.ndarray, above: np.ndarray, bpp: int) -> np.ndarray:
    """Average (3) and Paeth (4), byte by byte: each needs the byte reconstructed at its left."""
    current = np.zeros(len(line), np.int64)
    for i in range(len(line)):
        a = int(current[i - bpp]) if i >= bpp else 0
        b = int(above[i])
        c = int(above[i - bpp]) if i >= bpp else 0
        if kind == 3:
            predictor = (a + b) // 2
        else:  # Paeth's predictor (clause 9.4): the nearest of a, b, c to a + b - c, in that order
            estimate = a + b - c
            pa, pb, pc = abs(estimate - a), abs(estimate - b), abs(estimate - c)
            predictor = a if pa <= pb and pa <= pc else b if pb <= pc else c
        current[i] = (int(line[i]) + predictor) % 256
    return current


def choose_unfilter() -> Callable[[np.ndarray, np.ndarray, int], np.ndarray]:
    """The numba kernel wrapped to :func:`unfilter_scanlines`'s signature when the default
    backend is numba (``$STRIPJPEG_BACKEND``), else the textbook itself."""
    from . import backends

    if backends.default_name() != "numba":
        return unfilter_scanlines
    from .backends.numba_png import unfilter_block

    def unfilter(filtered: np.ndarray, previous: np.ndarray, bpp: int) -> np.ndarray:
        out = np.empty((filtered.shape[0], filtered.shape[1] - 1), np.uint8)
        bad = unfilter_block(filtered, previous, bpp, out)
        if bad >= 0:
            raise FilterTypeError(bad, int(filtered[bad, 0]))
        return out
    return unfilter


def unpack_samples(rows: np.ndarray, header: PngHeader) -> np.ndarray:
    """Reconstructed rows ``(n, stride)`` as their samples ``(n, W, samples per pixel)``:
    uint8 values 0 .. 2**depth - 1 up to 8 bits (clause 7.2: packed from the most
    significant bit, the last byte's spare bits ignored), native uint16 for 16 bits."""
    n, width, channels = rows.shape[0], header.width, header.samples_per_pixel
    depth = header.bit_depth
    if depth == 16:
        return rows.view(">u2").astype(np.uint16).reshape(n, width, channels)
    if depth == 8:
        return rows.reshape(n, width, channels)
    bits = np.unpackbits(rows, axis=1)[:, :width * depth].reshape(n, width, depth)
    weights = (1 << np.arange(depth - 1, -1, -1)).astype(np.uint8)
    return (bits * weights).sum(axis=2, dtype=np.uint8)[:, :, np.newaxis]


def png_samples(path: str | os.PathLike, header: PngHeader,
                unfilter: Callable[[np.ndarray, np.ndarray, int], np.ndarray] | None = None
                ) -> Iterator[np.ndarray]:
    """A non-interlaced PNG's samples in blocks of rows, top to bottom (see
    :func:`unpack_samples`); ``unfilter`` defaults to :func:`choose_unfilter`'s.

    Raises:
        ValueError: interlaced (Adam7), or corrupt or truncated image data, naming the row.
    """
    if header.interlace:
        raise ValueError(f"{os.fspath(path)}: an Adam7-interlaced PNG cannot be read row by row")
    unfilter = unfilter or choose_unfilter()
    previous = np.zeros(header.stride, np.uint8)
    done = 0
    for block in filtered_rows(path, header):
        try:
            rows = unfilter(block, previous, header.filter_distance)
        except FilterTypeError as error:
            raise ValueError(f"{os.fspath(path)}: corrupt PNG: filter type {error.kind} in image row "
                             f"{done + error.row} (0..4 exist)") from None
        previous = rows[-1]
        done += len(rows)
        yield unpack_samples(rows, header)


# --- What the encoder is given -----------------------------------------------------------------

def scale_16_to_8(samples: np.ndarray) -> np.ndarray:
    """Scale 16-bit samples (0..65535, any byte order) to 8 bits (0..255), rounding to nearest.

    ``(v * 255 + 32767) // 65535`` in integers: 0 -> 0, 65535 -> 255, and every other value
    to the nearest of ``v * 255 / 65535`` (never exactly halfway, as 65535 = 255 * 257 and
    v / 257 is never k + 1/2), so the full range maps onto the full range. Clipping (keeping
    values over 255 as 255) or dropping the low byte would not.

    Args:
        samples: unsigned 16-bit array, any shape.

    Returns:
        uint8 array of the same shape.
    """
    wide = samples.astype(np.uint32)  # 65535 * 255 + 32767 < 2**24: no overflow
    return ((wide * 255 + 32767) // 65535).astype(np.uint8)


def pixel_conversion(header: PngHeader, precision: int, name: str
                     ) -> tuple[Callable[[np.ndarray], np.ndarray], int, Any]:
    """How samples become the encoder's pixels (the table in the module's docstring):
    the function for a block of samples, the channels and the dtype it gives. Warns, naming
    ``name``, of what changes or drops values."""
    colour, depth = header.colour_type, header.bit_depth
    keep_16 = depth == 16 and precision > 8
    dtype = np.uint16 if keep_16 else np.uint8
    steps: list[Callable[[np.ndarray], np.ndarray]] = []
    if depth == 16 and not keep_16:
        warn_user(f"{name}: 16-bit samples ({_SIXTEEN_BIT_NAMES[colour]}) scaled to 8 bits, "
                  "(v * 255 + 32767) // 65535; a lossless file keeps them (lossless=True, "
                  "precision=16; --lossless PSV --precision 16), a 12-bit one up to 4095 "
                  "(--precision 12)")
        steps.append(scale_16_to_8)
    channels = header.samples_per_pixel
    if colour == 0 and depth < 8:
        if depth == 1:
            warn_user(f"{name}: 1-bit pixels converted to 8-bit grayscale (0 and 255)")
        factor = np.uint8(255 // ((1 << depth) - 1))  # 1, 2, 4 bits: 255, 85, 17, exactly
        steps.append(lambda samples: samples * factor)
    elif colour == 3:
        table = header.palette
        dropped = "; the transparency is dropped (JPEG has none)" if table.shape[1] == 4 else ""
        warn_user(f"{name}: palette (mode P) converted to RGB{dropped}")
        steps.append(lambda samples: _look_up(table, samples[:, :, 0], name))
        channels = table.shape[1]
    elif colour == 4:
        warn_user(f"{name}: the alpha channel is dropped (JPEG has no transparency)")
        steps.append(lambda samples: samples[:, :, :1])
        channels = 1

    def convert(samples: np.ndarray) -> np.ndarray:
        for step in steps:
            samples = step(samples)
        return samples
    return convert, channels, dtype


def _look_up(table: np.ndarray, indices: np.ndarray, name: str) -> np.ndarray:
    if int(indices.max()) >= len(table):
        raise ValueError(f"{name}: corrupt PNG: palette index {int(indices.max())} with "
                         f"{len(table)} palette entries")
    return table[indices]


class PngRows:
    """A PNG file as a whole image, ``(H, W)`` for grey and ``(H, W, C)`` else, like the
    ndarray it stands for, decoded as it is sliced: rows ``start:stop`` (or an array of row
    indices, for smoothing's context rows) come from the block being decoded, and a request
    for rows above what was decoded starts again from the file's start (so a two-pass
    encode, ``optimize=True`` or lossless, decodes it twice). Memory holds the rows
    requested and one block, never the image; ``np.asarray`` decodes it whole.

    Attributes:
        path, header: the file and its :class:`PngHeader`.
        shape: ``(H, W)`` or ``(H, W, C)``; ``ndim``; ``dtype`` uint8 or uint16.
    """

    def __init__(self, path: str | os.PathLike, header: PngHeader,
                 convert: Callable[[np.ndarray], np.ndarray], channels: int, dtype: Any,
                 channel_axis: bool = False) -> None:
        self.path, self.header, self._convert = os.fspath(path), header, convert
        self._channels = channels
        self.shape = (header.height, header.width) + ((channels,) if channels > 1 or channel_axis else ())
        self.ndim = len(self.shape)
        self.dtype = np.dtype(dtype)
        self._blocks: Iterator[np.ndarray] | None = None
        self._band = np.empty((0, header.width, channels), self.dtype)
        self._band_start = 0

    def with_channel_axis(self) -> PngRows:
        """The same file as ``(H, W, C)`` (C = 1 for grey), as the encoder takes images."""
        return PngRows(self.path, self.header, self._convert, self._channels, self.dtype, True)

    def __getitem__(self, rows: Any) -> np.ndarray:
        """Rows ``rows`` (a slice of step 1, or an integer array) as a new ndarray."""
        if not isinstance(rows, slice):
            index = np.asarray(rows)
            first = int(index.min())
            return self[first:int(index.max()) + 1][index - first]
        start, stop, step = rows.indices(self.shape[0])
        if step != 1:
            raise ValueError("PngRows takes slices of step 1")
        stop = max(start, stop)
        if self._blocks is None or start < self._band_start:
            self._blocks = png_samples(self.path, self.header)
            self._band, self._band_start = self._band[:0], 0
        pieces = [self._band[max(0, start - self._band_start):]]
        end = self._band_start + len(self._band)
        while end < stop:
            block = self._convert(next(self._blocks))
            pieces.append(block[max(0, start - end):])
            end += len(block)
            if end == self.shape[0]:
                for _ in self._blocks:  # the last rows are in: check the stream's and file's end
                    pass
        band_start = max(start, self._band_start)
        self._band = pieces[0] if len(pieces) == 1 else np.concatenate(pieces)
        self._band_start = band_start
        wanted = self._band[start - band_start:stop - band_start]
        return wanted.reshape(len(wanted), *self.shape[1:]).copy()

    def __array__(self, dtype: Any = None, copy: Any = None) -> np.ndarray:
        whole = self[0:self.shape[0]]
        return whole if dtype is None else whole.astype(dtype)

    def __len__(self) -> int:
        return self.shape[0]


def stream_png(path: str | os.PathLike, precision: int = 8) -> PngRows | None:
    """A PNG file as :class:`PngRows`, read row by row (pixels as the module's docstring
    says, warning of conversions); None for an Adam7-interlaced or animated PNG, which
    cannot be streamed here (the caller decodes those whole with Pillow).

    Raises:
        ValueError: a corrupt header (corrupt image data is found as the rows are read).
    """
    header = read_png_header(path)
    if header.interlace or header.animated:
        return None
    convert, channels, dtype = pixel_conversion(header, precision, os.fspath(path))
    return PngRows(path, header, convert, channels, dtype)
