"""``streamtype``, Pillow's abbreviated streams (libImaging/JpegEncode.c): 1, the tables only
(libjpeg's jpeg_write_tables); 2, the image only (jpeg_suppress_tables), as TIFF and DICOM
store JPEG. Pillow's bytes on every backend and entry point; the two halves decode, joined,
as the interchange file does."""

from __future__ import annotations

import asyncio
import io

import numpy as np
import pytest
from oracle import djpeg_decode, photo
from PIL import Image

import stripjpeg
from stripjpeg.cli import main
from stripjpeg.reader import read_jpeg
from stripjpeg.segments import read_markers


def _pixels(gray: bool = False) -> np.ndarray:
    pixels = np.ascontiguousarray(photo("astronaut")[100:147, 150:183])
    return np.ascontiguousarray(pixels[:, :, 1]) if gray else pixels


def pillow(pixels: np.ndarray, **keywords) -> bytes:
    buffer = io.BytesIO()
    Image.fromarray(pixels).save(buffer, "JPEG", **keywords)
    return buffer.getvalue()


def ours(pixels: np.ndarray, **keywords) -> bytes:
    """stripjpeg with Pillow's defaults (quality 75, libjpeg's subsampling, no restarts)."""
    keywords = {"quality": -1, "subsampling": -1, "restart_marker_rows": 0, **keywords}
    return stripjpeg.encode(pixels, **keywords)


def names(data: bytes) -> list[str]:
    return [segment.name for segment in read_markers(data)]


# Pillow keywords each stream type is compared with (quality, subsampling, tables, Huffman
# coding, the process, restart markers, metadata).
KEYWORD_SETS = {
    "default": {},
    "q30_420": dict(quality=30, subsampling=2),
    "optimize": dict(quality=90, optimize=True),
    "progressive": dict(quality=80, progressive=True),
    "progressive_422_q20": dict(quality=20, subsampling=1, progressive=True),
    "restarts": dict(quality=50, restart_marker_rows=1),
    "restarts_optimize": dict(quality=60, restart_marker_rows=2, optimize=True),
    "one_qtable": dict(qtables=[[3] * 64]),
    "three_qtables_q60": dict(qtables=[[3] * 64, [5] * 64, [7] * 64], quality=60),
    "metadata": dict(icc_profile=b"icc" * 5, comment="c", exif=b"Exif\0\0xx", dpi=(100, 100)),
    "xmp_extra": dict(xmp=b"<x/>", extra=b"\xff\xe5\x00\x04ab"),
}


@pytest.mark.parametrize("streamtype", [0, 1, 2])
@pytest.mark.parametrize("name", sorted(KEYWORD_SETS))
@pytest.mark.parametrize("gray", [False, True])
def test_streamtype_is_pillows(streamtype, name, gray, backend):
    pixels = _pixels(gray)
    keywords = KEYWORD_SETS[name]
    assert ours(pixels, streamtype=streamtype, backend=backend, **keywords) == \
        pillow(pixels, streamtype=streamtype, **keywords)


def test_keep_rgb_streams_are_pillows(backend):
    pixels = _pixels()
    for streamtype in (1, 2):
        assert ours(pixels, streamtype=streamtype, keep_rgb=True, backend=backend) == \
            pillow(pixels, streamtype=streamtype, keep_rgb=True)


def test_what_each_stream_holds():
    """What Pillow 13 writes, segment by segment: the tables stream has no APPn and every
    table slot libjpeg filled (two quantization, four Huffman tables, even for grayscale);
    the image stream keeps APP0, EXIF and COM but drops Pillow's extra buffer (ICC, XMP,
    ``extra``), and has DHT only when the tables are optimized."""
    pixels = _pixels(gray=True)
    meta = dict(exif=b"Exif\0\0xx", comment="c", icc_profile=b"icc", xmp=b"<x/>")
    assert names(ours(pixels, streamtype=1, **meta)) == \
        ["SOI", "DQT", "DQT", "DHT", "DHT", "DHT", "DHT", "EOI"]
    assert names(ours(pixels, streamtype=2, restart_marker_rows=1, **meta)) == \
        ["SOI", "APP0", "APP1", "COM", "SOF0", "DRI", "SOS", "EOI"]
    assert names(ours(pixels, streamtype=2, optimize=True)) == \
        ["SOI", "APP0", "SOF0", "DHT", "DHT", "SOS", "EOI"]
    assert names(ours(pixels, streamtype=0, **meta)) == \
        ["SOI", "APP0", "APP1", "APP1", "APP2", "COM", "DQT", "SOF0", "DHT", "DHT", "SOS", "EOI"]


def _joined(tables: bytes, image: bytes) -> bytes:
    """The image stream with the tables stream's DQT and DHT segments put before its frame
    header, as a decoder that loaded the tables first sees them."""
    frame = next(s.offset for s in read_markers(image) if s.name.startswith("SOF"))
    return image[:frame] + tables[2:-2] + image[frame:]


@pytest.mark.parametrize("keywords", [dict(quality=75, subsampling=2), dict(quality=40, optimize=True),
                                      dict(quality=85, progressive=True),
                                      dict(quality=60, restart_marker_rows=1)])
@pytest.mark.parametrize("gray", [False, True])
def test_tables_and_image_decode_as_the_whole_file(keywords, gray):
    pixels = _pixels(gray)
    whole = ours(pixels, **keywords)
    tables, image = ours(pixels, streamtype=1, **keywords), ours(pixels, streamtype=2, **keywords)
    np.testing.assert_array_equal(djpeg_decode(_joined(tables, image)), djpeg_decode(whole))
    np.testing.assert_array_equal(np.asarray(Image.open(io.BytesIO(_joined(tables, image)))),
                                  np.asarray(Image.open(io.BytesIO(whole))))
    joined, interchange = read_jpeg(_joined(tables, image)), read_jpeg(whole)
    for a, b in zip(joined.coefficients, interchange.coefficients, strict=True):
        np.testing.assert_array_equal(a, b)
    with pytest.raises(ValueError, match="quantization table 0 of component 1 is not defined"):
        read_jpeg(image)


def test_tables_and_image_reassemble_the_whole_file():
    """Colour, standard tables: the tables stream holds exactly the file's DQT and DHT, so
    putting the DQTs before SOF0 and the DHTs after it gives the interchange file back."""
    pixels = _pixels()
    whole = ours(pixels, quality=70)
    tables, image = ours(pixels, streamtype=1, quality=70), ours(pixels, streamtype=2, quality=70)
    dqt_end = next(s.offset for s in read_markers(tables) if s.name == "DHT")
    sof = next(s for s in read_markers(image) if s.name == "SOF0")
    after_sof = sof.offset + 2 + sof.length
    assert image[:sof.offset] + tables[2:dqt_end] + image[sof.offset:after_sof] + \
        tables[dqt_end:-2] + image[after_sof:] == whole


@pytest.mark.parametrize("streamtype", [1, 2])
def test_every_entry_point(streamtype, tmp_path):
    pixels = _pixels()
    height, width = pixels.shape[:2]
    options = dict(quality=80, subsampling="4:2:0", streamtype=streamtype, restart_rows=0)
    expected = pillow(pixels, quality=80, subsampling=2, streamtype=streamtype)
    assert stripjpeg.encode(pixels, **options) == expected
    assert stripjpeg.save(tmp_path / "save.jpg", pixels, **options) == []
    assert (tmp_path / "save.jpg").read_bytes() == expected
    with stripjpeg.Encoder(tmp_path / "stream.jpg", width, height, **options) as encoder:
        for start in range(0, height, 5):
            encoder.write(pixels[start:start + 5])
    assert (tmp_path / "stream.jpg").read_bytes() == expected
    pieces = (pixels[start:start + 9] for start in range(0, height, 9))
    assert b"".join(stripjpeg.iter_encode(pieces, width=width, height=height, **options)) == expected
    pieces = (pixels[start:start + 9] for start in range(0, height, 9))
    assert asyncio.run(stripjpeg.encode_async(pieces, width=width, height=height, **options)) == \
        expected


def test_encode_coefficients_streams():
    """encode_coefficients writes the abbreviated streams of the coefficients it is given."""
    whole = ours(_pixels(), quality=75)
    image = stripjpeg.inspect.read_jpeg(whole)
    args = (image.coefficients, image.tables)
    kwargs = dict(width=image.width, height=image.height, subsampling="4:2:0", restart_rows=0)
    assert stripjpeg.encode_coefficients(*args, streamtype=2, **kwargs) == \
        ours(_pixels(), quality=75, streamtype=2)
    assert names(stripjpeg.encode_coefficients(*args, streamtype=1, **kwargs)) == \
        ["SOI", "DQT", "DQT", "DHT", "DHT", "DHT", "DHT", "EOI"]


def test_tables_only_still_checks_rows(tmp_path):
    """A tables-only stream encodes no pixel, but the rows are checked as for any stream."""
    encoder = stripjpeg.Encoder(io.BytesIO(), 10, 4, streamtype=1)
    with pytest.raises(ValueError, match="too many rows"):
        encoder.write(np.zeros((5, 10, 3), np.uint8))
    with pytest.raises(ValueError, match="too few rows"):
        encoder.close()


@pytest.mark.parametrize("value, error, match", [
    (3, ValueError, r"streamtype must be 0 \(a normal file\), 1 \(tables only\) or 2.*got 3"),
    (-1, ValueError, r"streamtype must be 0.*got -1"),
    ("1", TypeError, r"streamtype must be an int \(0, 1 or 2\), got str '1'"),
    (True, TypeError, r"streamtype must be an int"),
    (1.0, TypeError, r"streamtype must be an int"),
])
def test_bad_streamtype(value, error, match, tmp_path):
    with pytest.raises(error, match=match):
        stripjpeg.encode(_pixels(), streamtype=value)
    with pytest.raises(error, match=match):
        stripjpeg.Encoder(tmp_path / "x.jpg", 8, 8, streamtype=value)
    assert not (tmp_path / "x.jpg").exists()


@pytest.mark.parametrize("streamtype", ["1", "2"])
def test_cli_streamtype(streamtype, tmp_path):
    pixels = _pixels()
    np.save(tmp_path / "in.npy", pixels)
    assert main(["encode", str(tmp_path / "in.npy"), "-o", str(tmp_path / "out.jpg"), "-q", "75",
                 "-s", "4:2:0", "--restart-rows", "0", "--no-progress", "--optimize",
                 "--streamtype", streamtype]) == 0
    assert (tmp_path / "out.jpg").read_bytes() == \
        pillow(pixels, quality=75, subsampling=2, optimize=True, streamtype=int(streamtype))


def test_cli_refuses_other_streamtypes(tmp_path, capsys):
    with pytest.raises(SystemExit):
        main(["encode", "in.npy", "-o", str(tmp_path / "out.jpg"), "--streamtype", "3"])
    assert "invalid choice: 3" in capsys.readouterr().err


def test_none_is_the_default():
    pixels = _pixels()
    assert stripjpeg.encode(pixels, streamtype=None) == stripjpeg.encode(pixels, streamtype=0) == \
        stripjpeg.encode(pixels)
