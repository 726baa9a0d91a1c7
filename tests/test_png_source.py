"""The streaming PNG reader (stripjpeg.png_source) against libpng (imagecodecs) and Pillow.

Files are written two ways: by libpng (``imagecodecs.png_encode``, which picks each row's
filter adaptively, or one filter for all rows), and by :func:`write_png` here, a small writer
from the PNG specification that filters each row with a filter chosen by the test, so every
filter is met on every colour type and bit depth, and that can break a file on purpose.
"""

from __future__ import annotations

import contextlib
import json
import struct
import sys
import warnings
import zlib
from pathlib import Path

import imagecodecs
import numpy as np
import pytest
from peak_memory import run_child
from PIL import Image

import stripjpeg
from stripjpeg import png_source
from stripjpeg.cli import main
from stripjpeg.sources import open_image, read_image

RNG = np.random.default_rng(16)

#: (colour type, bit depth) of every allowed combination (PNG clause 11.2.2).
COMBINATIONS = [(colour, depth) for colour, (_, depths) in png_source.COLOUR_TYPES.items()
                for depth in depths]


# --- a writer from the specification -----------------------------------------------------------

def chunk(kind: bytes, data: bytes) -> bytes:
    return struct.pack(">I", len(data)) + kind + data + struct.pack(">I", zlib.crc32(kind + data))


def pack_row(samples: np.ndarray, depth: int) -> np.ndarray:
    """One row of samples ``(W, C)`` as PNG bytes: big-endian 16 bits, or packed from the
    most significant bit."""
    flat = samples.reshape(-1)
    if depth == 16:
        return np.frombuffer(flat.astype(">u2").tobytes(), np.uint8)
    if depth == 8:
        return flat.astype(np.uint8)
    bits = (flat[:, None].astype(np.uint8) >> np.arange(depth - 1, -1, -1).astype(np.uint8)) & 1
    return np.packbits(bits.reshape(-1))


def paeth(a: int, b: int, c: int) -> int:
    estimate = a + b - c
    pa, pb, pc = abs(estimate - a), abs(estimate - b), abs(estimate - c)
    return a if pa <= pb and pa <= pc else b if pb <= pc else c


def filter_row(kind: int, raw: np.ndarray, above: np.ndarray, bpp: int) -> bytes:
    """Clause 9.2's filter ``kind`` applied to the raw bytes ``raw``, byte by byte."""
    out = bytearray([kind])
    for i, x in enumerate(raw.tolist()):
        a = int(raw[i - bpp]) if i >= bpp else 0
        b = int(above[i])
        c = int(above[i - bpp]) if i >= bpp else 0
        predictor = [0, a, b, (a + b) // 2, paeth(a, b, c)][kind]
        out.append((x - predictor) % 256)
    return bytes(out)


def png_bytes(samples: np.ndarray, depth: int, colour: int, filters: list[int] | None = None,
              palette: np.ndarray | None = None, transparency: bytes | None = None,
              idat_size: int = 1 << 30) -> tuple[bytes, bytes]:
    """A PNG of ``samples`` ``(H, W, C)`` and the filtered scanlines inside it; row ``y`` is
    filtered with ``filters[y % len(filters)]`` (default: 0..4 in turn)."""
    filters = filters or [0, 1, 2, 3, 4]
    height, width = samples.shape[:2]
    channels = png_source.COLOUR_TYPES[colour][0]
    bpp = max(1, channels * depth // 8)
    above = np.zeros(-(-width * channels * depth // 8), np.uint8)
    lines = []
    for y in range(height):
        raw = pack_row(samples[y], depth)
        lines.append(filter_row(filters[y % len(filters)], raw, above, bpp))
        above = raw
    scanlines = b"".join(lines)
    compressed = zlib.compress(scanlines)
    head = chunk(b"IHDR", struct.pack(">IIBBBBB", width, height, depth, colour, 0, 0, 0))
    if palette is not None:
        head += chunk(b"PLTE", palette.tobytes())
    if transparency is not None:
        head += chunk(b"tRNS", transparency)
    head += chunk(b"tEXt", b"Comment\0an ancillary chunk, skipped")
    idat = b"".join(chunk(b"IDAT", compressed[i:i + idat_size])
                    for i in range(0, len(compressed), idat_size))
    return png_source.SIGNATURE + head + idat + chunk(b"IEND", b""), scanlines


def random_samples(colour: int, depth: int, shape: tuple[int, int] = (23, 29)) -> np.ndarray:
    channels = png_source.COLOUR_TYPES[colour][0]
    top = 255 if colour == 3 and depth == 8 else (1 << depth) - 1  # palette: 256 entries at most
    return RNG.integers(0, top + 1, (*shape, channels)).astype(np.uint16 if depth == 16 else np.uint8)


def palette_for(depth: int) -> np.ndarray:
    return RNG.integers(0, 256, (min(256, 1 << depth), 3)).astype(np.uint8)


# --- every colour type, bit depth and filter ---------------------------------------------------

@pytest.mark.parametrize("colour, depth", COMBINATIONS)
def test_every_filter_equals_libpng(tmp_path: Path, colour: int, depth: int) -> None:
    samples = random_samples(colour, depth)
    palette = palette_for(depth) if colour == 3 else None
    data, scanlines = png_bytes(samples, depth, colour, palette=palette, idat_size=100)
    stride = -(-samples.shape[1] * samples.shape[2] * depth // 8)
    assert {scanlines[y * (1 + stride)] for y in range(samples.shape[0])} == {0, 1, 2, 3, 4}
    path = tmp_path / "in.png"
    path.write_bytes(data)
    header = png_source.read_png_header(path)
    raw = np.concatenate(list(png_source.png_samples(path, header)))
    assert np.array_equal(raw, samples)  # the samples as written, before any conversion
    textbook = np.concatenate(list(png_source.png_samples(path, header, png_source.unfilter_scanlines)))
    assert np.array_equal(textbook, samples)
    libpng = imagecodecs.png_decode(data)  # keeps 16 bits; palettes to RGB; grey scaled to 8 bits
    with pytest.warns(UserWarning) if colour in (3, 4) or depth == 1 else _no_warning():
        pixels = np.asarray(open_image(path, precision=16))
    expected = libpng[..., :1] if colour == 4 else libpng
    assert np.array_equal(pixels.reshape(expected.shape), expected)


def _no_warning() -> contextlib.AbstractContextManager:
    """A block in which any warning fails the test."""
    manager = warnings.catch_warnings()

    @contextlib.contextmanager
    def strict():
        with manager:
            warnings.simplefilter("error")
            yield
    return strict()


@pytest.mark.parametrize("colour, depth", [c for c in COMBINATIONS if c[1] <= 8])
def test_8_bit_pixels_equal_pillows(tmp_path: Path, colour: int, depth: int) -> None:
    samples = random_samples(colour, depth)
    palette = palette_for(depth) if colour == 3 else None
    path = tmp_path / "in.png"
    path.write_bytes(png_bytes(samples, depth, colour, [4, 3, 1, 2, 0], palette)[0])
    with Image.open(path) as image:
        target = {0: "L", 2: "RGB", 3: "RGB", 4: "L", 6: "RGBA"}[colour]
        expected = np.asarray(image.convert(target))
    with pytest.warns(UserWarning) if colour in (3, 4) or depth == 1 else _no_warning():
        pixels, mode = read_image(path)
    assert isinstance(pixels, png_source.PngRows) and mode == target
    assert np.array_equal(np.asarray(pixels).reshape(expected.shape), expected)


@pytest.mark.parametrize("kind", ["NONE", "SUB", "UP", "AVG", "PAETH", "ALL"])
@pytest.mark.parametrize("shape, dtype", [((61, 47, 3), np.uint16), ((61, 47, 4), np.uint8),
                                          ((61, 47), np.uint16)])
def test_libpngs_files_with_each_of_its_filters(tmp_path: Path, kind: str, shape, dtype) -> None:
    smooth = np.add.outer(np.arange(shape[0]) * 300, np.arange(shape[1]) * 170)
    pixels = (smooth.reshape(*shape[:2], *([1] * (len(shape) - 2))) + RNG.integers(0, 900, shape))
    pixels = (pixels % (np.iinfo(dtype).max + 1)).astype(dtype)
    data = imagecodecs.png_encode(pixels, filter=getattr(imagecodecs.PNG.FILTER, kind))
    path = tmp_path / "in.png"
    path.write_bytes(data)
    assert np.array_equal(np.asarray(open_image(path, precision=16)), pixels)


def test_the_kernel_equals_the_textbook_on_random_filtered_bytes() -> None:
    from stripjpeg.backends.numba_png import unfilter_block

    for bpp, stride in ((1, 1), (1, 37), (2, 40), (3, 48), (4, 4), (6, 90), (8, 64)):
        filtered = RNG.integers(0, 256, (40, 1 + stride)).astype(np.uint8)
        filtered[:, 0] = RNG.integers(0, 5, 40)
        previous = RNG.integers(0, 256, stride).astype(np.uint8)
        out = np.empty((40, stride), np.uint8)
        assert unfilter_block(filtered, previous, bpp, out) == -1
        assert np.array_equal(out, png_source.unfilter_scanlines(filtered, previous, bpp))
        filtered[17, 0] = 5
        assert unfilter_block(filtered, previous, bpp, out) == 17
        with pytest.raises(png_source.FilterTypeError, match="filter type 5"):
            png_source.unfilter_scanlines(filtered, previous, bpp)


def test_rows_are_decoded_as_they_are_sliced_and_again_for_a_second_pass(tmp_path: Path,
                                                                          monkeypatch) -> None:
    monkeypatch.setattr(png_source, "BLOCK_BYTES", 200)  # blocks of 4 rows of 47 pixels
    samples = random_samples(2, 8, (50, 47))
    path = tmp_path / "in.png"
    path.write_bytes(png_bytes(samples, 8, 2)[0])
    rows = open_image(path)
    assert rows[0:3].tolist() == samples[0:3].tolist()
    assert rows[3:11].tolist() == samples[3:11].tolist()
    assert rows[[9, 10, 12, 12]].tolist() == samples[[9, 10, 12, 12]].tolist()  # context rows
    assert rows[45:60].tolist() == samples[45:].tolist()
    assert rows[0:2].tolist() == samples[0:2].tolist()  # starts again


# --- the encodes the issue asks for --------------------------------------------------------------

def test_cli_keeps_16_bit_colour_for_12_bit_and_lossless_files(tmp_path: Path) -> None:
    from stripjpeg.lossless_reader import read_samples

    pixels = RNG.integers(0, 4096, (40, 56, 3)).astype(np.uint16)
    source = tmp_path / "in.png"
    source.write_bytes(imagecodecs.png_encode(pixels))
    assert main(["encode", str(source), "-o", str(tmp_path / "12.jpg"), "--precision", "12",
                 "-q", "90", "--no-progress"]) == 0
    assert (tmp_path / "12.jpg").read_bytes() == stripjpeg.encode(pixels, 90, precision=12)
    wide = RNG.integers(0, 65536, (40, 56, 3)).astype(np.uint16)
    source.write_bytes(imagecodecs.png_encode(wide))
    assert main(["encode", str(source), "-o", str(tmp_path / "16.jpg"), "--lossless", "4",
                 "--precision", "16", "--no-progress"]) == 0
    assert np.array_equal(read_samples(str(tmp_path / "16.jpg")), wide)
    assert np.array_equal(imagecodecs.jpeg8_decode((tmp_path / "16.jpg").read_bytes()), wide)


def test_cli_refuses_12_bit_samples_over_4095(tmp_path: Path, capsys) -> None:
    pixels = RNG.integers(0, 4096, (16, 16, 3)).astype(np.uint16)
    pixels[9, 3, 2] = 4096
    source = tmp_path / "in.png"
    source.write_bytes(imagecodecs.png_encode(pixels))
    assert main(["encode", str(source), "-o", str(tmp_path / "out.jpg"), "--precision", "12"]) == 2
    assert "the maximum is 4095" in capsys.readouterr().err
    assert not (tmp_path / "out.jpg").exists()


def test_16_bit_colour_is_scaled_not_truncated_for_8_bit_output(tmp_path: Path) -> None:
    pixels = RNG.integers(0, 65536, (16, 16, 3)).astype(np.uint16)
    source = tmp_path / "in.png"
    source.write_bytes(imagecodecs.png_encode(pixels))
    with pytest.warns(UserWarning, match=r"16-bit samples \(raw mode RGB;16B\) scaled to 8 bits"):
        scaled = np.asarray(open_image(source))
    assert np.array_equal(scaled, (pixels.astype(np.int64) * 255 + 32767) // 65535)


#: Adam7's passes (clause 8.2): first column, first row, column step, row step.
ADAM7 = ((0, 0, 8, 8), (4, 0, 8, 8), (0, 4, 4, 8), (2, 0, 4, 4), (0, 2, 2, 4), (1, 0, 2, 2),
         (0, 1, 1, 2))


def test_interlaced_png_falls_back_to_pillow(tmp_path: Path) -> None:
    pixels = RNG.integers(0, 256, (20, 30, 3)).astype(np.uint8)
    passes = [pixels[y0::dy, x0::dx] for x0, y0, dx, dy in ADAM7]
    scanlines = b"".join(b"\0" + row.tobytes() for image in passes if image.size for row in image)
    head = chunk(b"IHDR", struct.pack(">IIBBBBB", 30, 20, 8, 2, 0, 0, 1))
    path = tmp_path / "adam7.png"
    path.write_bytes(png_source.SIGNATURE + head + chunk(b"IDAT", zlib.compress(scanlines))
                     + chunk(b"IEND", b""))
    assert png_source.stream_png(path) is None
    with pytest.raises(ValueError, match="Adam7-interlaced PNG cannot be read row by row"):
        next(png_source.png_samples(path, png_source.read_png_header(path)))
    assert np.array_equal(open_image(path), pixels)  # Pillow's, whole


# --- broken files: a ValueError naming the problem -----------------------------------------------

def good_png() -> bytes:
    return png_bytes(random_samples(2, 8, (12, 10)), 8, 2, idat_size=64)[0]


def replace_chunk(data: bytes, kind: bytes, new: bytes) -> bytes:
    """``data`` with its first ``kind`` chunk replaced by the bytes ``new``."""
    start = data.index(kind) - 4
    length = struct.unpack(">I", data[start:start + 4])[0]
    return data[:start] + new + data[start + 12 + length:]


def scanlines_png(scanlines: bytes, width: int = 10, height: int = 12) -> bytes:
    head = chunk(b"IHDR", struct.pack(">IIBBBBB", width, height, 8, 2, 0, 0, 0))
    return png_source.SIGNATURE + head + chunk(b"IDAT", zlib.compress(scanlines)) + chunk(b"IEND", b"")


def ihdr(width: int, height: int, depth: int, colour: int, method: int) -> bytes:
    return chunk(b"IHDR", struct.pack(">IIBBBBB", width, height, depth, colour, 0, method, 0))


def unended(data: bytes) -> bytes:
    """``data`` compressed, all of it flushed out, but without the stream's end."""
    compressor = zlib.compressobj()
    return compressor.compress(data) + compressor.flush(zlib.Z_SYNC_FLUSH)


def bad_crc(data: bytes) -> bytes:
    at = data.index(b"IDAT") + 6
    return data[:at] + bytes([data[at] ^ 1]) + data[at + 1:]


BROKEN = {
    "signature": (lambda d: b"\x89PNX" + d[4:], r"not a PNG file"),
    "crc": (bad_crc, r"CRC mismatch in the IDAT chunk at byte \d+"),
    "truncated chunk": (lambda d: d[:len(d) - 30], r"truncated PNG: the IDAT chunk at byte \d+ needs"),
    "no IEND": (lambda d: d[:-12], r"truncated PNG: no IEND chunk"),
    "first chunk": (lambda d: d[:8] + chunk(b"tEXt", b"a\0b") + d[8:], r"first chunk must be a 13-byte IHDR"),
    "depth": (lambda d: replace_chunk(d, b"IHDR", ihdr(10, 12, 4, 2, 0)),
              r"bit depth 4 with colour type 2 is not allowed"),
    "zero width": (lambda d: replace_chunk(d, b"IHDR", ihdr(0, 12, 8, 2, 0)), r"IHDR declares a 0x12 image"),
    "method": (lambda d: replace_chunk(d, b"IHDR", ihdr(10, 12, 8, 2, 1)), r"filter method 1"),
    "critical": (lambda d: replace_chunk(d, b"tEXt", chunk(b"ZZZZ", b"x")),
                 r"unknown critical PNG chunk ZZZZ"),
    "no IDAT": (lambda d: d[:d.index(b"IDAT") - 4] + chunk(b"IEND", b""), r"no IDAT chunk"),
    "few rows": (lambda d: scanlines_png(bytes(31 * 7)), r"truncated PNG image data: 7 of 12 rows"),
    "many rows": (lambda d: scanlines_png(bytes(31 * 13)), r"more image data than the 12 rows"),
    "filter type": (lambda d: scanlines_png(bytes(31 * 5) + b"\x07" + bytes(30 + 31 * 6)),
                    r"filter type 7 in image row 5 \(0..4 exist\)"),
    "zlib": (lambda d: replace_chunk(d, b"IDAT", chunk(b"IDAT", b"\x78\x9c\xff\xff\xff\xff")),
             r"corrupt PNG image data \(Error -3"),
    "unended zlib": (lambda d: scanlines_png(b"")[:33] + chunk(b"IDAT", unended(bytes(31 * 12)))
                     + chunk(b"IEND", b""), r"the zlib stream does not end"),
    "after zlib": (lambda d: scanlines_png(b"")[:33] + chunk(b"IDAT", zlib.compress(bytes(31 * 12)) + b"x")
                   + chunk(b"IEND", b""), r"data after the end of the zlib stream"),
}


@pytest.mark.parametrize("name", list(BROKEN))
def test_broken_files_raise_a_value_error_naming_the_problem(tmp_path: Path, name: str) -> None:
    breaks, message = BROKEN[name]
    path = tmp_path / "broken.png"
    path.write_bytes(breaks(good_png()))
    with pytest.raises(ValueError, match=message):
        np.asarray(png_source.stream_png(path))


def test_palette_problems(tmp_path: Path) -> None:
    samples = random_samples(3, 4)
    palette = palette_for(4)[:9]
    path = tmp_path / "p.png"
    path.write_bytes(png_bytes(samples, 4, 3, palette=palette)[0])
    with pytest.warns(UserWarning, match="palette"), \
            pytest.raises(ValueError, match=r"palette index \d+ with 9"):
        np.asarray(open_image(path))
    data = png_bytes(samples, 4, 3)[0]
    path.write_bytes(data)
    with pytest.raises(ValueError, match="colour type 3 without a PLTE chunk"):
        open_image(path)
    path.write_bytes(png_bytes(samples, 4, 3, palette=palette_for(8))[0])
    with pytest.raises(ValueError, match="256 palette entries for 4-bit indices"):
        open_image(path)


def test_palette_transparency_gives_rgba_as_pillow(tmp_path: Path) -> None:
    samples, palette = random_samples(3, 8), palette_for(8)
    path = tmp_path / "p.png"
    path.write_bytes(png_bytes(samples, 8, 3, palette=palette, transparency=bytes(range(0, 200, 2)))[0])
    with pytest.warns(UserWarning, match="converted to RGB; the transparency is dropped"):
        pixels = np.asarray(open_image(path))
    assert np.array_equal(pixels, np.asarray(Image.open(path).convert("RGBA")))


def test_mutated_files_give_only_value_errors(tmp_path: Path) -> None:
    """Random byte changes and cuts anywhere: pixels or a ValueError, never another error."""
    original = png_bytes(random_samples(6, 16, (9, 7)), 16, 6, idat_size=40)[0]
    path = tmp_path / "m.png"
    for trial in range(300):
        data = bytearray(original)
        if trial % 3 == 0:
            data = data[:RNG.integers(0, len(data))]
        for _ in range(RNG.integers(1, 4)):
            if data:
                data[RNG.integers(0, len(data))] = RNG.integers(0, 256)
        path.write_bytes(bytes(data))
        try:
            rows = png_source.stream_png(path, 16)
            if rows is not None:
                np.asarray(rows)
        except ValueError:
            pass


# --- memory: a PNG of a few hundred MB of pixels, encoded in bounded memory ------------------------

#: The big image: 8192 x 12288 RGB, 302 MB of pixels (a smooth wave, so the PNG is small).
BIG_WIDTH, BIG_HEIGHT = 8192, 12288
#: How much the command line's peak anonymous memory may rise while encoding it: a sixth of
#: the pixels. What it holds is the strips in flight and one inflated block of the PNG.
BIG_BOUND = 48 * 10**6


def wave_rows(width: int, height: int, rows: int = 256):
    """The big image's rows, ``rows`` at a time: a triangle wave along x + y, one phase per
    channel (smooth everywhere, so JPEG and PNG both compress it well)."""
    x = np.arange(width)[:, None] + np.array([0, 60, 120])
    for start in range(0, height, rows):
        t = (x[None] + np.arange(start, min(height, start + rows))[:, None, None]) % 510
        yield np.where(t < 256, t, 509 - t).astype(np.uint8)


def write_big_png(path: Path, width: int, height: int) -> None:
    """A streaming PNG writer: each row filtered with Sub (type 1), compressed as it comes,
    IDAT chunks written as zlib gives output; nothing but a block of rows in memory."""
    compressor = zlib.compressobj(1)
    with open(path, "wb") as file:
        file.write(png_source.SIGNATURE)
        file.write(chunk(b"IHDR", struct.pack(">IIBBBBB", width, height, 8, 2, 0, 0, 0)))
        for block in wave_rows(width, height):
            raw = block.reshape(len(block), -1)
            sub = raw.copy()
            sub[:, 3:] -= raw[:, :-3]  # x - a, modulo 256 (uint8 arithmetic)
            lines = np.hstack([np.ones((len(block), 1), np.uint8), sub])
            data = compressor.compress(lines.tobytes())
            if data:
                file.write(chunk(b"IDAT", data))
        file.write(chunk(b"IDAT", compressor.flush()))
        file.write(chunk(b"IEND", b""))


#: The measured process: ``python -c CHILD folder``; warms up on small.png, then encodes
#: big.png with the command line and prints the rise of its peak RssAnon (see test_memory.py).
CHILD = r"""
import json, os, sys
from stripjpeg.cli import main
from peak_memory import peak_rise

folder = sys.argv[1]


def encode(name):
    status = main(["encode", os.path.join(folder, name), "-o", os.path.join(folder, name + ".jpg"),
                   "-q", "90", "--workers", "2", "--no-progress"])
    assert status == 0


encode("small.png")
rise, _, _ = peak_rise(lambda: encode("big.png"))
print(json.dumps({"rise": rise}))
"""


def test_a_big_png_encodes_in_bounded_memory(tmp_path: Path) -> None:
    if not sys.platform.startswith("linux"):
        pytest.fail("reads RssAnon from /proc/self/status, which only Linux has")
    write_big_png(tmp_path / "big.png", BIG_WIDTH, BIG_HEIGHT)
    write_big_png(tmp_path / "small.png", BIG_WIDTH, 64)
    assert (tmp_path / "big.png").stat().st_size < BIG_WIDTH * BIG_HEIGHT * 3 // 50
    result = run_child(["-c", CHILD, str(tmp_path)])
    rise = json.loads(result.stdout.splitlines()[-1])["rise"]
    assert BIG_WIDTH * BIG_HEIGHT * 3 > 6 * BIG_BOUND
    assert rise < BIG_BOUND, f"peak anonymous memory rose {rise / 10**6:.1f} MB"
    # The file holds the image: the same bytes as the rows encoded by the library, streamed.
    with stripjpeg.Encoder(tmp_path / "expected.jpg", BIG_WIDTH, BIG_HEIGHT, quality=90) as encoder:
        for rows in wave_rows(BIG_WIDTH, BIG_HEIGHT):
            encoder.write(rows)
    assert (tmp_path / "big.png.jpg").read_bytes() == (tmp_path / "expected.jpg").read_bytes()
