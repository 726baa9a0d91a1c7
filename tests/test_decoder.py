"""stripjpeg.decode gives Pillow's pixels (libjpeg-turbo's), byte for byte, for every file the
reader reads: stripjpeg's, Pillow's, cjpeg's and OpenCV's; every sampling, restart markers
or none, progressive and arithmetic-coded files, greyscale and CMYK, awkward sizes. Also:
both backends, every worker count, ``rows=``, ``iter_decode``, djpeg's ``-dct`` and
``-nosmooth``, truncated files (as Pillow with ``LOAD_TRUNCATED_IMAGES``), the band
decoders' coefficients against ``read_coefficients``, and mutated files (ValueError only,
in bounded time).

Bands are made small here (:func:`small_bands`), so that small files have many bands and
every edge between them (context rows, restart intervals, serial state) is crossed.
"""

from __future__ import annotations

import io
import json
import os
import re
import subprocess
import time
import warnings
from pathlib import Path

import numpy as np
import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st
from other_encoders import cjpeg, crop, jpegli, opencv, pillow, pillow_cmyk
from peak_memory import run_child
from PIL import Image, ImageFile
from test_reader import fuzz_seeds

import stripjpeg
from stripjpeg.backends import numba_decode_huffman
from stripjpeg.decoding import bands, entropy
from stripjpeg.reader import read_coefficients

BACKENDS = ("numba", "numpy")


@pytest.fixture(autouse=True)
def small_bands(monkeypatch) -> None:
    """About 600 pixels a band: one or two MCU rows of these images."""
    monkeypatch.setattr(bands, "BAND_PIXELS", 600)


def pillows_pixels(data: bytes) -> np.ndarray:
    with Image.open(io.BytesIO(data)) as image:
        return np.asarray(image)


def gradient(rows: int, cols: int) -> np.ndarray:
    """A photo crop where it is big enough, with a gradient (edges of every kind)."""
    pixels = crop(min(rows, 200), min(cols, 300)).astype(np.int32)
    pixels = np.pad(pixels, ((0, rows - pixels.shape[0]), (0, cols - pixels.shape[1]), (0, 0)),
                    mode="reflect")
    return np.clip(pixels + np.linspace(-40, 40, cols)[None, :, None], 0, 255).astype(np.uint8)


IMAGE = gradient(45, 67)


def stripjpeg_files() -> dict[str, bytes]:
    files = {}
    for subsampling in ("4:4:4", "4:2:2", "4:2:0", "4:4:0", "4x1", "1x2,1x1,1x1"):
        files[f"{subsampling} restart-rows 1"] = stripjpeg.encode(IMAGE, 90, subsampling=subsampling)
    for options in (dict(restart_rows=0), dict(restart_rows=2), dict(restart_blocks=5),
                    dict(restart_blocks=1), dict(restart_blocks=17), dict(progressive=True),
                    dict(arithmetic=True), dict(arithmetic=True, progressive=True),
                    dict(quality=20, baseline=False), dict(dct="float"), dict(keep_rgb=True)):
        name = " ".join(f"{k}={v}" for k, v in options.items())
        options = {"quality": 85, **options}
        files[f"4:2:0 {name}"] = stripjpeg.encode(
            IMAGE, subsampling="4:4:4" if "keep_rgb" in options else "4:2:0", **options)
    files["grey"] = stripjpeg.encode(IMAGE[:, :, 1], 75)
    files["grey 2x2 factors"] = stripjpeg.encode(IMAGE, 75, grayscale=True, subsampling="4:2:0")
    cmyk = np.asarray(Image.fromarray(IMAGE).convert("CMYK"))
    files["cmyk"] = stripjpeg.encode(cmyk, 80, mode="CMYK")
    files["ycck"] = stripjpeg.encode(cmyk, 80, mode="CMYK", ycck=True)
    for rows, cols in ((1, 1), (17, 13), (7, 13), (16, 16), (33, 1), (1, 40)):
        files[f"{rows}x{cols} 4:2:0"] = stripjpeg.encode(gradient(rows, cols), 90, subsampling="4:2:0")
    return files


def pillow_files() -> dict[str, bytes]:
    return {
        "pillow 4:2:0": pillow(IMAGE, quality=75),
        "pillow 4:2:2 optimize": pillow(IMAGE, quality=90, subsampling="4:2:2", optimize=True),
        "pillow grey": pillow(IMAGE[:, :, 0], quality=60),
        "pillow cmyk": pillow_cmyk(IMAGE, 70),
        "pillow progressive": pillow(IMAGE, quality=80, progressive=True),
        "pillow restart blocks 3": pillow(IMAGE, quality=80, restart_marker_blocks=3),
        "pillow odd 4:2:0 restart": pillow(gradient(19, 23), quality=50, restart_marker_rows=1),
    }


def cjpeg_files(tmp_path: Path) -> dict[str, bytes]:
    files = {}
    for sample in ("2x1,1x2,1x1", "1x2,2x1,1x1", "2x2,1x2,2x1", "4x2", "3x1", "1x1,1x2,1x2"):
        files[f"cjpeg -sample {sample}"] = cjpeg(IMAGE, tmp_path, "-sample", sample, "-quality", "85")
    files["cjpeg -restart 3B"] = cjpeg(IMAGE, tmp_path, "-restart", "3B")
    files["cjpeg -restart 1 (row)"] = cjpeg(IMAGE, tmp_path, "-restart", "1")
    files["cjpeg -grayscale -sample 2x2"] = cjpeg(IMAGE, tmp_path, "-grayscale", "-sample", "2x2")
    files["cjpeg -arithmetic"] = cjpeg(IMAGE, tmp_path, "-arithmetic")
    scans = tmp_path / "scans.txt"
    scans.write_text("0: 0-63, 0, 0;\n1: 0-63, 0, 0;\n2: 0-63, 0, 0;\n")
    files["cjpeg one scan per component"] = cjpeg(IMAGE, tmp_path, "-scans", str(scans))
    early = tmp_path / "early.txt"  # a progressive script that stops early: libjpeg smooths
    early.write_text("0 1 2: 0-0, 0, 1;\n0: 1-5, 0, 0;\n")
    files["cjpeg progressive, early stop"] = cjpeg(IMAGE, tmp_path, "-scans", str(early))
    return files


def opencv_files() -> dict[str, bytes]:
    import cv2

    return {
        "opencv q90": opencv(IMAGE, cv2.IMWRITE_JPEG_QUALITY, 90),
        "opencv 4:4:4 restart": opencv(IMAGE, cv2.IMWRITE_JPEG_QUALITY, 70,
                                       cv2.IMWRITE_JPEG_SAMPLING_FACTOR,
                                       cv2.IMWRITE_JPEG_SAMPLING_FACTOR_444,
                                       cv2.IMWRITE_JPEG_RST_INTERVAL, 4),
        "opencv progressive": opencv(IMAGE, cv2.IMWRITE_JPEG_PROGRESSIVE, 1),
    }


def jpegli_files() -> dict[str, bytes]:
    return {f"jpegli q{quality}": jpegli(IMAGE, quality) for quality in (40, 90)}


@pytest.fixture(scope="module")
def files(tmp_path_factory) -> dict[str, bytes]:
    tmp_path = tmp_path_factory.mktemp("files")
    return {**stripjpeg_files(), **pillow_files(), **cjpeg_files(tmp_path), **opencv_files(),
            **jpegli_files()}


def test_there_are_files_of_every_kind(files: dict[str, bytes]) -> None:
    processes = {stripjpeg.reader.read_header(data).frame.process for data in files.values()}
    assert processes == {"baseline", "extended", "progressive", "arithmetic",
                         "arithmetic progressive"}
    assert sum(bands.read_sequential_layout(d, 1 << 28)[1] is None for d in files.values()) >= 6


@pytest.mark.parametrize("backend", BACKENDS)
def test_pixels_equal_pillows(files: dict[str, bytes], backend: str) -> None:
    for name, data in files.items():
        expected = pillows_pixels(data)
        for workers in (1, 3):
            got = stripjpeg.decode(data, backend=backend, workers=workers)
            assert got.dtype == np.uint8 and got.shape == expected.shape, (name, workers)
            assert np.array_equal(got, expected), (name, workers)


def test_rows_are_the_slice_of_the_whole(files: dict[str, bytes]) -> None:
    rng = np.random.default_rng(5)
    for name, data in files.items():
        whole = pillows_pixels(data)
        height = whole.shape[0]
        for _ in range(3):
            y0 = int(rng.integers(0, height))
            y1 = int(rng.integers(y0 + 1, height + 1))
            for backend in BACKENDS:
                got = stripjpeg.decode(data, rows=(y0, y1), backend=backend, workers=2)
                assert np.array_equal(got, whole[y0:y1]), (name, backend, y0, y1)


def test_iter_decode_strips_concatenate_to_decode(files: dict[str, bytes]) -> None:
    for name, data in list(files.items())[::3]:
        strips = stripjpeg.iter_decode(data, workers=2)
        pieces = list(strips)
        assert len(pieces) > 1 or strips.height <= 16, name
        assert sum(len(p) for p in pieces) == strips.height, name
        assert np.array_equal(np.concatenate(pieces), pillows_pixels(data)), name


def test_iter_decode_stops_when_closed() -> None:
    import threading

    data = stripjpeg.encode(gradient(160, 64), 90)
    before = threading.active_count()
    strips = stripjpeg.iter_decode(data, workers=2)
    first = next(strips)
    assert np.array_equal(first, pillows_pixels(data)[:len(first)])
    strips.close()
    assert list(strips) == [] and threading.active_count() == before


def test_bands_decode_only_the_intervals_the_rows_need(monkeypatch) -> None:
    data = stripjpeg.encode(gradient(160, 64), 90, subsampling="4:4:4")  # 20 intervals of 8 rows
    decoded = []
    real = stripjpeg.decoder.EntropyDecoder.band

    def spy(self, band, state):
        decoded.append(band)
        return real(self, band, state)

    monkeypatch.setattr(stripjpeg.decoder.EntropyDecoder, "band", spy)
    stripjpeg.decode(data, rows=(80, 88), workers=1)
    assert {b.first_mcu_row for b in decoded} <= {9, 10, 11}  # the rows' band and its neighbours
    decoded.clear()
    stripjpeg.decode(data, rows=(80, 88), workers=1, fancy_upsampling=False)
    assert [b.first_mcu_row for b in decoded] == [10]


def test_the_restart_index_gives_the_same_pixels(tmp_path: Path) -> None:
    source = tmp_path / "in.npy"
    np.save(source, gradient(100, 90))
    jpeg, index = tmp_path / "out.jpg", tmp_path / "out.json"
    assert stripjpeg.cli.main(["encode", str(source), "-o", str(jpeg), "-q", "80", "-s", "4:2:0",
                               "--index", str(index)]) == 0
    whole = pillows_pixels(jpeg.read_bytes())
    for rows in ((0, 100), (37, 59), (96, 100)):
        assert np.array_equal(stripjpeg.decode(jpeg, rows=rows, index=index), whole[rows[0]:rows[1]])
    other = stripjpeg.encode(gradient(100, 90), 70, subsampling="4:2:0")
    with pytest.raises(ValueError, match="restart index does not describe"):
        stripjpeg.decode(other, index=index)


# --- the band decoders' coefficients ---------------------------------------------------------

def decode_all_bands(data: bytes, backend: str, band_pixels: int) -> list[np.ndarray]:
    frame, layout = bands.read_sequential_layout(data, 1 << 28)
    offsets, end, _ = bands.interval_offsets(data, layout)
    tables = numba_decode_huffman.scan_tables(layout)
    pieces: list[list[np.ndarray]] = [[] for _ in frame.components]
    state = None
    for band in bands.plan_bands(layout, band_pixels=band_pixels):
        carried = state if band.first_interval is None else None
        if backend == "numba":
            blocks, state, _ = numba_decode_huffman.decode_band(
                np.frombuffer(data, np.uint8), layout, band, offsets, tables, carried)
        else:
            blocks, state, _ = entropy.decode_band(data, layout, band, offsets, end, carried)
        for piece, block in zip(pieces, blocks):
            piece.append(block)
    return [np.concatenate(piece) for piece in pieces]


@pytest.mark.parametrize("band_pixels", [1, 3000, 1 << 30])
def test_band_coefficients_equal_read_coefficients(files: dict[str, bytes], band_pixels: int) -> None:
    checked = 0
    for name, data in files.items():
        if bands.read_sequential_layout(data, 1 << 28)[1] is None:
            continue
        expected = read_coefficients(data)
        for backend in BACKENDS:
            got = decode_all_bands(data, backend, band_pixels)
            assert all(np.array_equal(g, e) for g, e in zip(got, expected)), (name, backend)
        checked += 1
    assert checked >= 25


def test_band_decoders_agree_with_the_reader_on_corrupt_data(files: dict[str, bytes]) -> None:
    """Bits flipped in the entropy-coded data: the same coefficients as read_coefficients from
    both band decoders, or a ValueError from all three."""
    rng = np.random.default_rng(3)
    outcomes = set()
    for name, data in files.items():
        layout = bands.read_sequential_layout(data, 1 << 28)[1]
        if layout is None:
            continue
        _, end, _ = bands.find_restart_markers(data, layout.scan_start)
        for _ in range(12):
            corrupt = bytearray(data)
            for bit in rng.integers(8 * layout.scan_start, 8 * end, 2).tolist():
                corrupt[bit // 8] ^= 1 << (bit % 8)
            corrupt = bytes(corrupt)
            results = []
            for decode in (lambda d: read_coefficients(d),
                           lambda d: decode_all_bands(d, "numba", 3000),
                           lambda d: decode_all_bands(d, "numpy", 3000)):
                try:
                    results.append(decode(corrupt))
                except ValueError:
                    results.append(None)
            if results[0] is None:
                assert results[1] is None and results[2] is None, name
            else:
                for got in results[1:]:
                    assert all(np.array_equal(g, e) for g, e in zip(got, results[0])), name
            outcomes.add(results[0] is None)
    assert outcomes == {True, False}  # both kinds were met


def test_marker_scan_finds_every_rst() -> None:
    data = stripjpeg.encode(IMAGE, 80, restart_blocks=2)
    _, layout = bands.read_sequential_layout(data, 1 << 28)
    restarts, end, complete = bands.find_restart_markers(data, layout.scan_start)
    brute = [i for i in range(layout.scan_start, end) if data[i] == 0xFF and 0xD0 <= data[i + 1] <= 0xD7]
    assert complete and restarts.tolist() == brute and len(brute) == layout.interval_count - 1
    assert data[end:end + 2] == b"\xff\xd9"


# --- options -------------------------------------------------------------------------------------

def djpeg(data: bytes, *switches: str) -> np.ndarray:
    """djpeg's pixels (a PPM or PGM on its stdout)."""
    out = subprocess.run(["djpeg", *switches, "-pnm"], input=data, capture_output=True,
                         check=True).stdout
    header = re.match(rb"(P[56])\s+(\d+)\s+(\d+)\s+255\s", out)
    width, height = int(header[2]), int(header[3])
    pixels = np.frombuffer(out, np.uint8, offset=header.end())
    return pixels.reshape(height, width, 3) if header[1] == b"P6" else pixels.reshape(height, width)


@pytest.mark.parametrize("subsampling", ["4:4:4", "4:2:0", "4:2:2"])
@pytest.mark.parametrize("dct, switches", [("islow", ()), ("islow-c", ()), ("ifast", ("-dct", "fast")),
                                            ("float", ("-dct", "float"))])
@pytest.mark.parametrize("fancy", [True, False])
def test_dct_and_nosmooth_equal_djpegs(subsampling, dct, switches, fancy) -> None:
    data = stripjpeg.encode(IMAGE, 75, subsampling=subsampling)
    expected = djpeg(data, *switches, *(() if fancy else ("-nosmooth",)))
    for backend in BACKENDS:
        got = stripjpeg.decode(data, dct=dct, fancy_upsampling=fancy, backend=backend, workers=2)
        assert np.array_equal(got, expected), backend


def wild_file(subsampling: str, seed: int) -> bytes:
    """Corrupt coefficients (up to +-1023, 16-bit steps up to 65535), where libjpeg-turbo's
    SIMD and plain C integer IDCTs part; grey for ``subsampling`` None."""
    rng = np.random.default_rng(seed)
    factors = {None: [(1, 1)], "4:4:4": [(1, 1)] * 3, "4:2:0": [(2, 2), (1, 1), (1, 1)],
               "4:2:2": [(2, 1), (1, 1), (1, 1)], "4:4:0": [(1, 2), (1, 1), (1, 1)]}[subsampling]
    blocks = [rng.integers(-1023, 1024, (6 * v, 5 * h, 8, 8)).astype(np.int16) for h, v in factors]
    for component in blocks:
        component[rng.random(component.shape) > 0.25] = 0
        component[1::3, ::2, 1:, :] = 0   # the SIMD code's whole-block shortcut
    tables = [rng.integers(1, 65536, 64) for _ in factors]
    return stripjpeg.encode_coefficients(blocks, tables, subsampling=subsampling or "4:4:4",
                                         baseline=False)


@pytest.mark.parametrize("subsampling", [None, "4:4:4", "4:2:0", "4:2:2", "4:4:0"])
def test_wild_coefficients_give_pillows_pixels(subsampling) -> None:
    # dct="islow" is libjpeg-turbo's SIMD islow (Pillow's), fused kernel included (4:4:4,
    # 4:2:0, 4:2:2); dct="islow-c" is jidctint.c's, djpeg's with JSIMD_FORCENONE=1.
    data = wild_file(subsampling, seed=7 + len(subsampling or ""))
    expected = pillows_pixels(data)
    plain_c = subprocess.run(["djpeg", "-pnm"], input=data, capture_output=True, check=True,
                             env=dict(os.environ, JSIMD_FORCENONE="1")).stdout
    plain_c = np.asarray(Image.open(io.BytesIO(plain_c)))
    assert (plain_c != expected).mean() > 0.05   # the two codes do part here
    for backend in BACKENDS:
        assert np.array_equal(stripjpeg.decode(data, backend=backend), expected), backend
        assert np.array_equal(stripjpeg.decode(data, backend=backend, workers=2, rows=(13, 37)),
                              expected[13:37]), backend
        assert np.array_equal(stripjpeg.decode(data, backend=backend, dct="islow-c"),
                              plain_c), backend


def test_lossless_files_give_read_samples() -> None:
    data = stripjpeg.encode(IMAGE, lossless=True, predictor=4)
    assert np.array_equal(stripjpeg.decode(data), stripjpeg.read_samples(data))
    assert np.array_equal(stripjpeg.decode(data), IMAGE)
    assert np.array_equal(stripjpeg.decode(data, rows=(3, 9)), IMAGE[3:9])


def test_12_bit_files_give_libjpegs_uint16_samples() -> None:
    """12-bit files decode to libjpeg-turbo 3.1's samples (tests/test_decode_twelve.py has
    the rest, and the other ``dct`` methods)."""
    imagecodecs = pytest.importorskip("imagecodecs")
    data = stripjpeg.encode((IMAGE.astype(np.uint16) * 16), 90, precision=12)
    pixels = stripjpeg.decode(data)
    assert pixels.dtype == np.uint16
    assert np.array_equal(pixels, imagecodecs.jpeg8_decode(data))
    assert np.array_equal(stripjpeg.decode(data, rows=(3, 9), backend="numpy"), pixels[3:9])


def test_bad_options_are_refused() -> None:
    data = stripjpeg.encode(IMAGE, 90)
    with pytest.raises(ValueError, match="dct must be one of"):
        stripjpeg.decode(data, dct="exact")
    with pytest.raises(ValueError, match=r"rows=\(40, 50\)"):
        stripjpeg.decode(data, rows=(40, 50))
    with pytest.raises(TypeError, match="rows must be"):
        stripjpeg.decode(data, rows=5)
    with pytest.raises(TypeError, match="JPEG bytes or a path"):
        stripjpeg.decode(12)
    with pytest.raises(ValueError, match="backend"):
        stripjpeg.decode(data, backend="nope")


# --- truncated and corrupt files ---------------------------------------------------------------

@pytest.mark.parametrize("options", [dict(restart_rows=0), dict(restart_rows=1),
                                     dict(restart_blocks=7), dict(subsampling="4:4:4")])
def test_truncated_files_decode_as_pillow_does_with_load_truncated_images(options, monkeypatch) -> None:
    data = stripjpeg.encode(IMAGE, 90, **{"subsampling": "4:2:0", **options})
    monkeypatch.setattr(ImageFile, "LOAD_TRUNCATED_IMAGES", True)
    _, layout = bands.read_sequential_layout(data, 1 << 28)
    for cut in (len(data) - 2, len(data) - 300, len(data) // 2 + 3, layout.scan_start + 40):
        truncated = data[:cut]
        expected = pillows_pixels(truncated)
        for backend in BACKENDS:
            with pytest.raises(ValueError, match="truncated"):
                stripjpeg.decode(truncated, backend=backend)
            with warnings.catch_warnings(record=True) as caught:
                warnings.simplefilter("always")
                got = stripjpeg.decode(truncated, backend=backend, strict=False, workers=2)
            assert [str(w.message) for w in caught] == [  # one warning, naming the caller's line
                "corrupt JPEG data: truncated JPEG: the data ends before the end of the scan; the "
                "rest is decoded as libjpeg does (missing data as all-zero blocks)"]
            assert caught[0].filename == __file__
            assert np.array_equal(got, expected), (cut, backend)
            assert not np.array_equal(got, pillows_pixels(data)) or cut == len(data) - 2


def check_decodes_or_refuses(data: bytes, what: str) -> None:
    """Pixels of the frame's shape, or a ValueError; with strict=False too; within 2 s.
    Frames are capped at 2**20 pixels (``max_pixels``): a flipped height can declare 65,535
    rows, which strict=False decodes (as libjpeg would: grey after the data)."""
    started = time.perf_counter()
    for strict in (True, False):
        try:
            with warnings.catch_warnings():
                warnings.simplefilter("ignore")
                pixels = stripjpeg.decode(data, strict=strict, workers=2, max_pixels=1 << 20)
        except ValueError:
            continue
        header = stripjpeg.reader.read_header(data)
        assert pixels.dtype == np.uint8 and pixels.shape[:2] == (header.frame.height,
                                                                  header.frame.width), what
    elapsed = time.perf_counter() - started
    assert elapsed < 2, f"{what}: {elapsed:.2f} s"


@pytest.fixture(scope="module")
def seeds(tmp_path_factory) -> dict[str, bytes]:
    tmp_path = tmp_path_factory.mktemp("seeds")
    pixels = crop(24, 40)
    return {
        "gray": pillow(pixels[:, :, 0], quality=80),
        "4:2:0 restart": pillow(pixels, quality=75, restart_marker_rows=1),
        "4:4:4": stripjpeg.encode(pixels, 90, restart_rows=0),
        "restart-3-MCUs": cjpeg(pixels, tmp_path, "-restart", "3B", "-sample", "1x1"),
        "cmyk": pillow_cmyk(pixels[:16, :24], 70),
        "progressive": pillow(pixels, quality=75, progressive=True),
    }


FUZZ_CASES, FUZZ_SECONDS = 1500, 20


def test_mutated_files_decode_or_fail_with_value_error(seeds: dict[str, bytes], monkeypatch,
                                                      warm_kernels) -> None:
    monkeypatch.setattr(bands, "BAND_PIXELS", 1 << 19)  # the default: no tiny bands of tall frames
    rng = np.random.default_rng(20261201)
    case = fuzz_seeds(seeds, rng, check_decodes_or_refuses, FUZZ_CASES, FUZZ_SECONDS)
    assert case > FUZZ_CASES // 4, f"only {case} cases in {FUZZ_SECONDS} s"


VALID = stripjpeg.encode(gradient(20, 28), 80, subsampling="4:2:0", restart_blocks=2)


@pytest.fixture(scope="module")
def warm_kernels() -> None:
    """The kernels compiled (or loaded from numba's cache) before any decode is timed, the
    reader's too (progressive and arithmetic-coded scans)."""
    stripjpeg.decode(VALID, workers=2)
    stripjpeg.decode(VALID, workers=2, strict=False)
    for options in (dict(progressive=True), dict(arithmetic=True),
                    dict(arithmetic=True, progressive=True)):
        stripjpeg.decode(stripjpeg.encode(crop(16, 24), 80, **options), workers=2)


@settings(max_examples=150, deadline=None, suppress_health_check=[HealthCheck.function_scoped_fixture])
@given(flips=st.lists(st.integers(0, 8 * len(VALID) - 1), max_size=6),
       cut=st.integers(2, len(VALID)))
def test_flipped_and_cut_files_decode_or_fail_with_value_error(warm_kernels, flips: list[int],
                                                              cut: int) -> None:
    """Hypothesis's flips and cuts of a restart-marked 4:2:0 file: pixels or a ValueError,
    strict or not."""
    data = bytearray(VALID[:cut])
    for bit in flips:
        if bit // 8 < len(data):
            data[bit // 8] ^= 1 << (bit % 8)
    check_decodes_or_refuses(bytes(data), f"flips {flips}, cut {cut}")


@settings(max_examples=100, deadline=None)
@given(st.binary(max_size=300))
def test_random_bytes_fail_cleanly(data: bytes) -> None:
    for strict in (True, False):
        with pytest.raises(ValueError):
            stripjpeg.decode(data, strict=strict)


def test_flipped_and_cut_arithmetic_files_decode_or_fail_with_value_error(monkeypatch,
                                                                         warm_kernels) -> None:
    """The fuzz's mutations know SOF0..SOF3 only: arithmetic-coded files get flips and cuts."""
    monkeypatch.setattr(bands, "BAND_PIXELS", 1 << 19)
    rng = np.random.default_rng(7)
    data = stripjpeg.encode(crop(24, 40), 80, arithmetic=True, subsampling="4:2:0")
    for case in range(100):
        out = bytearray(data[:int(rng.integers(2, len(data) + 1))] if case % 2 else data)
        for bit in rng.integers(0, 8 * len(out), 3).tolist():
            out[bit // 8] ^= 1 << (bit % 8)
        check_decodes_or_refuses(bytes(out), f"arithmetic case {case}")


# --- memory: bounded by the strips in flight ---------------------------------------------------

#: The measured process: ``python -c MEMORY_CHILD short.jpg tall.jpg``; prints JSON. It decodes
#: the short file once (kernels compiled or loaded, pools warmed), notes its ``RssAnon``
#: (anonymous pages: tests/test_memory.py says why), then samples it every millisecond while
#: iter_decode runs over the file given, keeping nothing but the sum of the pixels. Bands of 2**16 pixels
#: (64 rows of the 1024-wide image), so that the short image already fills the window of
#: strips in flight.
MEMORY_CHILD = r"""
import json, sys
import numpy as np
import stripjpeg
import stripjpeg.decoding.bands
from peak_memory import peak_rise

stripjpeg.decoding.bands.BAND_PIXELS = 1 << 16
short, measured = sys.argv[1], sys.argv[2]


def checksum(path):
    total = 0
    for strip in stripjpeg.iter_decode(path, workers=2):
        total += int(strip.sum(dtype=np.int64))
    return total


checksum(short)
rise, _, total = peak_rise(lambda: checksum(measured))
print(json.dumps({"rise": rise, "checksum": total}))
"""

#: Image width and heights, and how much more the taller decode may raise peak memory.
MEMORY_WIDTH, SHORT_ROWS, TALL_ROWS, ALLOWED_GROWTH = 1024, 1024, 16384, 16 * 10**6


def test_memory_is_bounded_by_the_strips_in_flight(tmp_path: Path) -> None:
    assert MEMORY_WIDTH * TALL_ROWS * 3 >= 3 * ALLOWED_GROWTH  # holding the image would show
    tile = gradient(256, MEMORY_WIDTH)
    paths = {}
    for rows in (SHORT_ROWS, TALL_ROWS):
        paths[rows] = tmp_path / f"{rows}.jpg"
        stripjpeg.save(paths[rows], np.concatenate([tile] * (rows // 256)), quality=75,
                       subsampling="4:2:0")
    rises = {}
    for rows, path in paths.items():
        result = run_child(["-c", MEMORY_CHILD, str(paths[SHORT_ROWS]), str(path)])
        measured = json.loads(result.stdout)
        rises[rows] = measured["rise"]
        # The decode did the whole work: the sum of Pillow's pixels.
        assert measured["checksum"] == int(pillows_pixels(path.read_bytes()).sum(dtype=np.int64))
    growth = rises[TALL_ROWS] - rises[SHORT_ROWS]
    assert growth < ALLOWED_GROWTH, (f"peak anonymous memory rose {rises[SHORT_ROWS] / 2**20:.1f} "
                                     f"MiB at {SHORT_ROWS} rows, {rises[TALL_ROWS] / 2**20:.1f} MiB "
                                     f"at {TALL_ROWS}")
