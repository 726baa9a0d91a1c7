"""When the reader takes each component's quantization table: at the component's first scan,
as libjpeg does (jdinput.c latch_quant_tables), not at the frame header.

The files are Pillow's and cjpeg's with DQT segments moved or added by hand; the judges are
libjpeg's coefficients (jpeglib.read_dct) and Pillow's pixels, which dequantize with the
tables libjpeg latched.
"""

from __future__ import annotations

import io
from pathlib import Path

import jpeglib
import numpy as np
import pytest
from other_encoders import assert_equals_libjpeg, cjpeg, crop, pillow
from PIL import Image

from stripjpeg.decoding.pixels import decode_coefficients
from stripjpeg.inspect import read_jpeg, read_markers
from stripjpeg.markers import write_dqt
from stripjpeg.reader import DecodedJpeg

#: Y's DC, then its AC, then Cb's and Cr's the same way: each component's first scan comes
#: after the ones before it, so a DQT between scans reaches only the later components.
SCANS_ONE_COMPONENT_AT_A_TIME = "0: 0 0 0 0; 0: 1 63 0 0; 1: 0 0 0 0; 1: 1 63 0 0; 2: 0 0 0 0; 2: 1 63 0 0;"


def pillow_pixels(data: bytes) -> np.ndarray:
    return np.asarray(Image.open(io.BytesIO(data)))


def without_dqt(data: bytes) -> tuple[bytes, list[bytes]]:
    """The file without its DQT segments, and those segments (marker included) in order."""
    out, dqts, position = bytearray(), [], 0
    for s in read_markers(data):
        if s.name == "DQT":
            out += data[position:s.offset]
            dqts.append(data[s.offset:s.offset + 2 + s.length])
            position = s.offset + 2 + s.length
    return bytes(out + data[position:]), dqts


def inserted_before(data: bytes, name: str, number: int, insert: bytes) -> bytes:
    """``data`` with ``insert`` put just before its ``number``-th (0, 1, ...) ``name`` marker."""
    offset = [s.offset for s in read_markers(data) if s.name == name][number]
    return data[:offset] + insert + data[offset:]


def inserted_after(data: bytes, name: str, insert: bytes) -> bytes:
    """``data`` with ``insert`` put just after its (first) ``name`` segment."""
    s = next(s for s in read_markers(data) if s.name == name)
    end = s.offset + 2 + s.length
    return data[:end] + insert + data[end:]


def libjpeg_coefficients(data: bytes, tmp_path: Path) -> list[np.ndarray]:
    path = tmp_path / "oracle.jpg"
    path.write_bytes(data)
    theirs = jpeglib.read_dct(str(path))
    return [theirs.Y] + ([theirs.Cb, theirs.Cr] if theirs.has_chrominance else [])


def assert_coefficients_equal(data: bytes, tmp_path: Path) -> None:
    for index, (ours, theirs) in enumerate(zip(read_jpeg(data).coefficients,
                                               libjpeg_coefficients(data, tmp_path), strict=True)):
        np.testing.assert_array_equal(ours, theirs, err_msg=f"component {index}")


def assert_latched(data: bytes, tables: list[np.ndarray], unchanged: DecodedJpeg, tmp_path: Path) -> None:
    """The reader gives ``data`` these tables per component, libjpeg's coefficients and
    Pillow's pixels, which differ from those of the file ``unchanged`` (without the added
    DQTs: the tables taken at the frame header), so that the check can fail."""
    decoded = read_jpeg(data)
    for table, expected in zip(decoded.quant_tables, tables, strict=True):
        np.testing.assert_array_equal(table, expected)
    assert_coefficients_equal(data, tmp_path)
    pixels = pillow_pixels(data)
    np.testing.assert_array_equal(decode_coefficients(decoded), pixels)
    assert not np.array_equal(decode_coefficients(unchanged), pixels)


def other_table(table: np.ndarray, step: int) -> np.ndarray:
    """A different valid table: every step moved by ``step``, kept in 1..255."""
    return np.clip(table.astype(np.int64) + step, 1, 255).astype(np.uint16)


@pytest.mark.parametrize("subsampling", ["4:2:0", "4:4:4"])
def test_dqt_after_the_frame_header_reads_as_libjpeg_and_pillow(subsampling: str, tmp_path: Path) -> None:
    original = pillow(crop(37, 45), quality=70, subsampling=subsampling)
    rest, dqts = without_dqt(original)
    moved = inserted_after(rest, "SOF0", b"".join(dqts))
    names = [s.name for s in read_markers(moved)]
    assert names.index("DQT") > names.index("SOF0")  # the file is the one meant
    decoded = assert_equals_libjpeg(moved, tmp_path)  # coefficients and tables
    np.testing.assert_array_equal(decode_coefficients(decoded), pillow_pixels(moved))
    np.testing.assert_array_equal(pillow_pixels(moved), pillow_pixels(original))


def test_a_table_redefined_between_the_frame_and_the_scan_is_the_redefined_one(tmp_path: Path) -> None:
    original = pillow(crop(40, 48), quality=80)
    first = read_jpeg(original)
    luma, chroma = other_table(first.tables[0], 9), other_table(first.tables[1], -7)
    redefined = inserted_after(original, "SOF0", write_dqt(0, luma) + write_dqt(1, chroma))
    assert_latched(redefined, [luma, chroma, chroma], first, tmp_path)


def test_progressive_components_latch_the_table_in_force_at_their_first_scan(tmp_path: Path) -> None:
    """Cb and Cr share slot 1: it is redefined before Cb's first scan and again before Cr's,
    and slot 0 after Y's first scan, so each component latches a different table."""
    scans = tmp_path / "scans.txt"
    scans.write_text(SCANS_ONE_COMPONENT_AT_A_TIME)
    original = cjpeg(crop(35, 50), tmp_path, "-quality", "75", "-sample", "2x2,1x1,1x1",
                     "-scans", str(scans))
    assert read_jpeg(original).process == "progressive"
    first = read_jpeg(original)
    late_luma, cb_table, cr_table = (other_table(first.tables[0], 20), other_table(first.tables[1], 5),
                                     other_table(first.tables[1], -3))
    data = inserted_before(original, "SOS", 1, write_dqt(0, late_luma))  # after Y's first scan
    data = inserted_before(data, "SOS", 2, write_dqt(1, cb_table))  # Cb's first scan
    data = inserted_before(data, "SOS", 4, write_dqt(1, cr_table))  # Cr's first scan
    assert_latched(data, [first.tables[0], cb_table, cr_table], first, tmp_path)


def test_a_progressive_table_may_come_just_before_its_components_first_scan(tmp_path: Path) -> None:
    scans = tmp_path / "scans.txt"
    scans.write_text(SCANS_ONE_COMPONENT_AT_A_TIME)
    original = cjpeg(crop(33, 41), tmp_path, "-quality", "60", "-scans", str(scans))
    rest, dqts = without_dqt(original)
    assert len(dqts) == 2  # cjpeg writes one DQT per table: 0, then 1
    data = inserted_before(inserted_before(rest, "SOS", 0, dqts[0]), "SOS", 2, dqts[1])
    decoded = assert_equals_libjpeg(data, tmp_path)
    np.testing.assert_array_equal(decode_coefficients(decoded), pillow_pixels(data))
    np.testing.assert_array_equal(pillow_pixels(data), pillow_pixels(original))
    # Without the chroma table before Cb's first scan, libjpeg and the reader refuse the file.
    late = inserted_before(rest, "SOS", 0, dqts[0])
    late = inserted_before(late, "SOS", 3, dqts[1])  # after Cb's DC scan
    with pytest.raises(OSError):
        Image.open(io.BytesIO(late)).load()
    with pytest.raises(ValueError, match="quantization table 1 of component 2 is not defined "
                                         "before the component's first scan"):
        read_jpeg(late)


def test_a_missing_table_names_the_table_and_the_component() -> None:
    rest, _ = without_dqt(pillow(crop(16, 16), quality=75))
    with pytest.raises(ValueError, match="quantization table 0 of component 1 is not defined"):
        read_jpeg(rest)
