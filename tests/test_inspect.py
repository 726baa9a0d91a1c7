"""Reading coefficients back (checked against libjpeg through jpeglib), writing files from
coefficients, tracing one block to its bits, and comparing two files."""

from __future__ import annotations

import time
from pathlib import Path

import numpy as np
import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st
from oracle import photo, pillow_jpeg

import stripjpeg
from stripjpeg.cli import main
from stripjpeg.inspect import compare, read_coefficients, read_jpeg, read_markers, trace_block
from stripjpeg.scan_decoding import split_entropy_data

CASES = [  # (quality, subsampling, restart_rows, optimize, rows, cols, gray)
    (75, "4:2:0", 1, False, 101, 77, False),
    (100, "4:4:4", 0, True, 64, 96, False),
    (50, "4:2:2", 2, False, 51, 130, False),
    (90, "4:2:0", 0, True, 33, 50, False),
    (30, "4:4:4", 3, False, 40, 41, True),
    (95, "4:2:0", 1, True, 17, 9, True),
    (1, "4:2:0", 1, False, 1, 1, False),
]


def image(rows: int, cols: int, gray: bool) -> np.ndarray:
    pixels = np.ascontiguousarray(photo("astronaut")[100:100 + rows, 200:200 + cols])
    return np.ascontiguousarray(pixels[:, :, 1]) if gray else pixels


@pytest.fixture(scope="module")
def jpeglib():
    return pytest.importorskip("jpeglib")


def libjpeg_coefficients(jpeglib, data: bytes, tmp_path: Path) -> list[np.ndarray]:
    path = tmp_path / "libjpeg.jpg"
    path.write_bytes(data)
    dct = jpeglib.read_dct(str(path))
    return [dct.Y, dct.Cb, dct.Cr] if dct.has_chrominance else [dct.Y]


@pytest.mark.parametrize("case", CASES, ids=str)
def test_coefficients_equal_libjpegs(case, jpeglib, tmp_path: Path) -> None:
    quality, subsampling, restart_rows, optimize, rows, cols, gray = case
    pixels = image(rows, cols, gray)
    for data in (pillow_jpeg(pixels, quality, subsampling, restart_rows, optimize=optimize),
                 stripjpeg.encode(pixels, quality, subsampling, restart_rows=restart_rows,
                                  optimize=optimize)):
        ours = read_coefficients(data)
        theirs = libjpeg_coefficients(jpeglib, data, tmp_path)
        assert len(ours) == len(theirs)
        for a, b in zip(ours, theirs):
            assert a.dtype == np.int16 and a.shape == b.shape
            np.testing.assert_array_equal(a, b)


@pytest.mark.parametrize("case", CASES, ids=str)
def test_coefficients_and_tables_read_from_pillow_rewrite_pillows_file(case) -> None:
    quality, subsampling, restart_rows, optimize, rows, cols, gray = case
    data = pillow_jpeg(image(rows, cols, gray), quality, subsampling, restart_rows, optimize=optimize)
    decoded = read_jpeg(data)
    again = stripjpeg.encode_coefficients(decoded.coefficients, decoded.tables, width=decoded.width,
                                          height=decoded.height, subsampling=subsampling,
                                          restart_rows=restart_rows, optimize=optimize)
    assert again == data


@settings(max_examples=25, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(st.integers(1, 40), st.integers(1, 40), st.sampled_from(["4:4:4", "4:2:2", "4:2:0"]),
       st.booleans(), st.integers(0, 2**32 - 1))
def test_read_coefficients_inverts_encode_coefficients(rows, cols, subsampling, gray, seed) -> None:
    rng = np.random.default_rng(seed)
    plan_blocks = read_jpeg(stripjpeg.encode(np.zeros((rows, cols) if gray else (rows, cols, 3), np.uint8),
                                             subsampling=subsampling)).coefficients
    coefficients = []
    for blocks in plan_blocks:
        values = rng.integers(-40, 41, blocks.shape) * (rng.random(blocks.shape) < 0.3)
        values[:, :, 0, 0] = rng.integers(-1024, 1024, blocks.shape[:2])
        coefficients.append(values.astype(np.int16))
    tables = [rng.integers(1, 256, 64).tolist(), rng.integers(1, 256, 64).tolist()]
    data = stripjpeg.encode_coefficients(coefficients, tables, width=cols, height=rows,
                                         subsampling=subsampling, restart_rows=int(seed % 3))
    decoded = read_jpeg(data)
    for ours, theirs in zip(decoded.coefficients, coefficients):
        np.testing.assert_array_equal(ours, theirs)
    assert [t.tolist() for t in decoded.tables] == tables[:len(decoded.tables)]


def test_encode_coefficients_rejects_bad_input() -> None:
    good = read_coefficients(stripjpeg.encode(np.zeros((16, 16, 3), np.uint8)))
    with pytest.raises(TypeError, match="list of 1"):
        stripjpeg.encode_coefficients(good[0], [[1] * 64])
    with pytest.raises(TypeError, match="integers"):
        stripjpeg.encode_coefficients([good[0].astype(float)], [[1] * 64])
    with pytest.raises(ValueError, match="component 1 has 2x2 blocks; a 16x16 image at 4:2:0 needs 1x1"):
        stripjpeg.encode_coefficients(good, [[1] * 64], subsampling="4:2:0")
    too_big = good[0].copy()
    too_big[0, 0, 0, 1] = 1024
    with pytest.raises(ValueError, match="outside 8-bit baseline"):
        stripjpeg.encode_coefficients([too_big], [[1] * 64])


def test_other_processes_are_named() -> None:
    # Progressive files are read (tests/test_progressive_reader.py), and arithmetic-coded DCT
    # ones (tests/test_arithmetic.py); lossless arithmetic coding is not.
    data = bytearray(pillow_jpeg(image(32, 32, False), 80))
    data[data.index(b"\xff\xc0") + 1] = 0xCB
    with pytest.raises(ValueError, match="arithmetic"):
        read_coefficients(bytes(data))


def test_adobe_marker_names_the_colour_transform() -> None:
    # Adobe's APP14 says what the components are when there is no JFIF: libjpeg writes
    # transform 0 for RGB (keep_rgb) and CMYK (Pillow's), 2 for YCCK (libjpeg-turbo 3.1).
    import io

    from PIL import Image

    def adobe(data: bytes) -> dict:
        (segment,) = [s for s in read_markers(data) if s.name == "APP14"]
        return segment.fields

    rgb = adobe(stripjpeg.encode(np.zeros((8, 8, 3), np.uint8), keep_rgb=True))
    assert rgb == {"version": 100, "flags": (0, 0), "transform": "0: none (RGB or CMYK as stored)"}
    buffer = io.BytesIO()
    Image.new("CMYK", (8, 8)).save(buffer, "JPEG")
    assert adobe(buffer.getvalue())["transform"].startswith("0: ")
    imagecodecs = pytest.importorskip("imagecodecs")
    ycck = imagecodecs.jpeg8_encode(np.zeros((8, 8, 4), np.uint8), colorspace="CMYK", outcolorspace="YCCK")
    assert adobe(ycck)["transform"] == "2: YCCK"
    with pytest.raises(ValueError, match="APP14 segment at byte 2 is too short"):
        read_markers(b"\xff\xd8\xff\xee\x00\x08Adobe\xff\xd9")


def test_a_huge_header_over_a_few_bytes_fails_fast() -> None:
    data = bytearray(pillow_jpeg(image(8, 8, True), 80))
    sof = data.index(b"\xff\xc0")
    data[sof + 5:sof + 9] = b"\xff\xff\xff\xff"  # 65535 x 65535
    started = time.perf_counter()
    with pytest.raises(ValueError, match="max_pixels"):
        read_coefficients(bytes(data))
    with pytest.raises(ValueError, match=r"declares \d+ blocks"):
        read_coefficients(bytes(data), max_pixels=1 << 33)
    assert time.perf_counter() - started < 1


VALID = pillow_jpeg(image(24, 40, False), 85, "4:2:0", 1)


@settings(max_examples=150, deadline=2000)
@given(st.binary(max_size=400))
def test_random_bytes_fail_cleanly(data: bytes) -> None:
    for candidate in (data, b"\xff\xd8" + data):
        for reader in (read_coefficients, read_markers):
            try:
                reader(candidate)
            except ValueError:
                pass


@settings(max_examples=300, deadline=2000)
@given(st.lists(st.integers(0, len(VALID) * 8 - 1), min_size=1, max_size=8), st.integers(2, len(VALID)))
def test_bit_flips_and_truncations_fail_cleanly(flips: list[int], cut: int) -> None:
    data = bytearray(VALID)
    for bit in flips:
        data[bit // 8] ^= 1 << (bit % 8)
    for candidate in (bytes(data), VALID[:cut], bytes(data[:cut])):
        try:
            read_markers(candidate)
        except ValueError:
            pass
        try:
            result = read_coefficients(candidate)
        except ValueError:
            continue
        assert all(c.dtype == np.int16 for c in result)


@pytest.mark.parametrize("options", [dict(quality=75, subsampling="4:2:0"), dict(),
                                     dict(quality=50, restart_rows=0),
                                     dict(quality=90, subsampling="4:2:2", dct="exact", backend="numpy"),
                                     dict(quality=75, subsampling="4:2:0", smooth=40),
                                     dict(quality=85, smooth=100, restart_rows=0)],
                         ids=str)
def test_trace_block_quantized_equals_the_file(options: dict) -> None:
    pixels = image(37, 45, False)
    coefficients = read_coefficients(stripjpeg.encode(pixels, **options))[0]
    for row in range(coefficients.shape[0]):
        for col in range(coefficients.shape[1]):
            np.testing.assert_array_equal(trace_block(pixels, row, col, **options).quantized,
                                          coefficients[row, col])


def interval_bits(data: bytes) -> list[str]:
    sos = data.index(b"\xff\xda")
    start = sos + 2 + int.from_bytes(data[sos + 2:sos + 4], "big")
    segments, _ = split_entropy_data(data, start)
    return ["".join(format(byte, "08b") for byte in segment) for segment in segments]


@pytest.mark.parametrize("gray", [True, False])
def test_trace_block_bits_are_the_files_bits(gray: bool) -> None:
    pixels = image(24, 16, gray)  # two blocks per MCU row: the second has a predictor
    data = stripjpeg.encode(pixels, 80)
    for row, bits in enumerate(interval_bits(data)):
        first, second = trace_block(pixels, row, 0, quality=80), trace_block(pixels, row, 1, quality=80)
        assert first.predictor == 0
        if gray:
            assert second.predictor == first.zigzag[0]
            assert bits == first.bits + second.bits + "1" * (-len(first.bits + second.bits) % 8)
        else:
            assert bits.startswith(first.bits)  # then the Cb and Cr blocks


def test_trace_block_explains_itself() -> None:
    trace = trace_block(image(16, 16, False), 1, 1, quality=50, subsampling="4:2:0")
    text = repr(trace)
    for stage in ("y (samples)", "shifted", "dct (x8)", "table", "quantized", "zigzag", "symbols", "bits"):
        assert stage in text
    assert trace.symbols[0].kind == "DC" and trace.symbols[-1].kind in ("EOB", "AC")
    assert "".join(code + s.amplitude for code, s in zip(trace.codes, trace.symbols)) == trace.bits
    with pytest.raises(ValueError, match="outside the Y component"):
        trace_block(image(16, 16, False), 2, 0)


def test_compare_reports_and_cli_exit_codes(tmp_path: Path, capsys) -> None:
    pixels = image(48, 64, False)
    a, b = tmp_path / "a.jpg", tmp_path / "b.jpg"
    a.write_bytes(stripjpeg.encode(pixels, 80))
    b.write_bytes(pillow_jpeg(pixels, 80))
    same = compare(a, b)
    assert same.identical and same.psnr == float("inf")
    assert main(["compare", str(a), str(b)]) == 0
    assert "identical coefficients and tables" in capsys.readouterr().out

    b.write_bytes(stripjpeg.encode(pixels, 80, dct="exact", backend="numpy"))
    different = compare(a, b)
    assert not different.identical and different.same_layout
    y = different.components[0]
    assert y.coefficients_differing == sum(y.histogram.values()) > 0 and y.max_difference >= 1
    assert y.blocks == 48
    assert 30 < different.psnr < 80
    heatmap = tmp_path / "heat.png"
    assert main(["compare", str(a), str(b), "--heatmap", str(heatmap)]) == 1
    assert heatmap.read_bytes()[:8] == b"\x89PNG\r\n\x1a\n"
    assert "the files DIFFER" in capsys.readouterr().out

    b.write_bytes(stripjpeg.encode(pixels, 80, subsampling="4:2:0"))
    assert not compare(a, b).same_layout and compare(a, b).components == []
