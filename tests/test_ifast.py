"""dct="ifast", libjpeg's fast integer DCT (jfdctfst.c) and its quantizer (jcdctmgr.c): the
same bytes as ``cjpeg -dct fast`` on every backend, and each piece against its twin in
tests/reference.py."""

from __future__ import annotations

import subprocess

import numpy as np
import pytest
import reference as twin
from conftest import BACKENDS
from oracle import photo
from PIL import Image

import stripjpeg
from stripjpeg import tables
from stripjpeg.cli import main
from stripjpeg.examples import example_image
from stripjpeg.inspect import read_coefficients, trace_block
from stripjpeg.stages.dct import DCT_SCALE, FORWARD_DCT, forward_dct_ifast
from stripjpeg.stages.quantize import ifast_divisors, quantize

#: jcdctmgr.c's aanscales for JDCT_IFAST, as printed there (14 fraction bits).
JCDCTMGR_AANSCALES = [
    16384, 22725, 21407, 19266, 16384, 12873, 8867, 4520,
    22725, 31521, 29692, 26722, 22725, 17855, 12299, 6270,
    21407, 29692, 27969, 25172, 21407, 16819, 11585, 5906,
    19266, 26722, 25172, 22654, 19266, 15137, 10426, 5315,
    16384, 22725, 21407, 19266, 16384, 12873, 8867, 4520,
    12873, 17855, 16819, 15137, 12873, 10114, 6967, 3552,
    8867, 12299, 11585, 10426, 8867, 6967, 4799, 2446,
    4520, 6270, 5906, 5315, 4520, 3552, 2446, 1247,
]

SUBSAMPLING = {"1x1": "4:4:4", "2x1": "4:2:2", "2x2": "4:2:0"}


def cjpeg_fast(pixels: np.ndarray, tmp_path, quality: int, *arguments: str) -> bytes:
    """``cjpeg -dct fast``'s file for the pixels (PGM for grayscale, else PPM). Below
    quality 25 the steps exceed 255, and cjpeg would write 16-bit tables; -baseline clamps
    them to 255 as stripjpeg (and Pillow) do."""
    source = tmp_path / ("in.pgm" if pixels.ndim == 2 else "in.ppm")
    Image.fromarray(pixels).save(source)
    baseline = ["-baseline"] if quality < 25 else []
    return subprocess.run(["cjpeg", "-dct", "fast", "-quality", str(quality), *baseline, *arguments,
                           str(source)], capture_output=True, check=True).stdout


# --- the tables ----------------------------------------------------------------------------------

def test_the_constants_are_jfdctfst_and_jcdctmgrs() -> None:
    assert tables.AAN_SCALES.tolist() == JCDCTMGR_AANSCALES
    assert (tables.IFAST_FIX_0_382683433, tables.IFAST_FIX_0_541196100,
            tables.IFAST_FIX_0_707106781, tables.IFAST_FIX_1_306562965) == (98, 139, 181, 334)
    assert DCT_SCALE["ifast"] == 8 and FORWARD_DCT["ifast"] is forward_dct_ifast


def test_divisors_are_jcdctmgrs() -> None:
    for q in (1, 2, 16, 99, 255):
        expected = [[twin.ifast_divisor(q, v, u) for u in range(8)] for v in range(8)]
        assert ifast_divisors(np.full(64, q)).tolist() == expected
    # Q = 1 scales the corner down to 1 (1247 / 2048 rounds up): no division there.
    assert ifast_divisors(np.ones(64, int))[7, 7] == 1
    assert ifast_divisors(np.full(64, 255)).max() == (255 * 31521 + 1024) >> 11 < 4096


# --- the DCT and the quantizer against their twins ------------------------------------------------

def test_numpy_ifast_equals_the_scalar_twin() -> None:
    rng = np.random.default_rng(5)
    extreme = np.where(rng.random((150, 8, 8)) < 0.5, -128, 127)
    random = rng.integers(-128, 128, (150, 8, 8))
    flat = np.stack([np.full((8, 8), -128), np.full((8, 8), 127), np.zeros((8, 8), int)])
    blocks = np.concatenate([extreme, random, flat])
    ours = forward_dct_ifast(blocks)
    assert ours.dtype == np.int32
    for block, coefficients in zip(blocks, ours):
        assert coefficients.tolist() == twin.forward_dct_ifast(block.tolist())
    # A flat block of -128 has only DC: 64 * -128 (the AA&N DC factor is 1, times 8).
    assert ours[-3, 0, 0] == -8192 and not ours[-3].ravel()[1:].any()


def test_plain_division_equals_libjpeg_turbos_reciprocals() -> None:
    """stripjpeg divides; libjpeg-turbo multiplies by a 16-bit reciprocal with a correction.
    Every divisor ifast (or islow) can have, every magnitude below 2**15: the same result."""
    divisors = {int(d) for q in range(1, 256) for d in ifast_divisors(np.full(64, q)).ravel()}
    divisors |= {8 * q for q in range(1, 256)}
    x = np.arange(-32767, 32768, dtype=np.int64).reshape(-1, 1, 1)
    for d in sorted(divisors):
        ours = (np.sign(x) * ((np.abs(x) + d // 2) // d)).ravel()
        b = d.bit_length() - 1
        r = 16 + b
        reciprocal, remainder = divmod(1 << r, d)
        correction = d // 2
        if d == 1:
            reciprocal, correction, r = 1, 0, 0
        elif remainder == 0:
            reciprocal, r = reciprocal >> 1, r - 1
        elif remainder <= d // 2:
            correction += 1
        else:
            reciprocal += 1
        theirs = (np.sign(x) * (((np.abs(x) + correction) * reciprocal) >> r)).ravel()
        assert np.array_equal(ours, theirs), d
    # And quantize() itself against the scalar twin (which uses the reciprocals).
    rng = np.random.default_rng(9)
    for q in (1, 3, 50, 255):
        table = rng.integers(1, q + 1, 64)
        coefficients = rng.integers(-20000, 20000, (8, 8))
        assert quantize(coefficients, table, "ifast").tolist() == \
            twin.quantize_ifast(coefficients.tolist(), table.tolist())


# --- the bytes: cjpeg -dct fast -------------------------------------------------------------------

@pytest.mark.parametrize("backend", BACKENDS)
@pytest.mark.parametrize("quality", [10, 50, 75, 90, 100])
@pytest.mark.parametrize("sample", list(SUBSAMPLING))
def test_photo_bytes_are_cjpegs(tmp_path, backend, quality, sample) -> None:
    pixels = np.ascontiguousarray(photo("astronaut")[100:260, 50:290])
    expected = cjpeg_fast(pixels, tmp_path, quality, "-sample", sample)
    assert stripjpeg.encode(pixels, quality, SUBSAMPLING[sample], restart_rows=0, dct="ifast",
                            backend=backend) == expected


@pytest.mark.parametrize("backend", BACKENDS)
@pytest.mark.parametrize("size", [(1, 1), (7, 13), (17, 9), (33, 47)])
@pytest.mark.parametrize("sample", list(SUBSAMPLING))
def test_odd_sizes_are_cjpegs(tmp_path, backend, size, sample) -> None:
    pixels = example_image(*size)
    for quality in (20, 85):
        expected = cjpeg_fast(pixels, tmp_path, quality, "-sample", sample)
        assert stripjpeg.encode(pixels, quality, SUBSAMPLING[sample], restart_rows=0, dct="ifast",
                                backend=backend) == expected


@pytest.mark.parametrize("backend", BACKENDS)
@pytest.mark.parametrize("name", ["camera", "coffee"])
def test_other_photos_grayscale_restart_optimize_are_cjpegs(tmp_path, backend, name) -> None:
    pixels = np.ascontiguousarray(photo(name)[:120, :200])
    gray = pixels if pixels.ndim == 2 else np.ascontiguousarray(pixels[:, :, 1])
    cases = [
        (gray, 80, ["-grayscale"], {}),
        (gray, 30, ["-grayscale", "-restart", "1"], {"restart_rows": 1}),
        (pixels, 95, ["-sample", "2x2", "-restart", "1"], {"subsampling": "4:2:0", "restart_rows": 1}),
        (pixels, 60, ["-sample", "2x1", "-optimize"], {"subsampling": "4:2:2", "optimize": True}),
        (gray, 100, ["-grayscale", "-optimize", "-restart", "1"], {"optimize": True, "restart_rows": 1}),
    ]
    for image, quality, switches, options in cases:
        expected = cjpeg_fast(image, tmp_path, quality, *switches)
        options = {"restart_rows": 0, **options}
        assert stripjpeg.encode(image, quality, dct="ifast", backend=backend, **options) == expected, \
            (quality, switches)


@pytest.mark.parametrize("backend", BACKENDS)
@pytest.mark.parametrize("sample", list(SUBSAMPLING))
def test_progressive_bytes_are_cjpegs(tmp_path, backend, sample) -> None:
    pixels = example_image(67, 35)
    for quality, restart in ((85, 0), (40, 1)):
        switches = ["-sample", sample, "-progressive", *(["-restart", "1"] if restart else [])]
        expected = cjpeg_fast(pixels, tmp_path, quality, *switches)
        assert stripjpeg.encode(pixels, quality, SUBSAMPLING[sample], progressive=True,
                                restart_rows=restart, dct="ifast", backend=backend) == expected
    gray = np.ascontiguousarray(pixels[:, :, 0])
    expected = cjpeg_fast(gray, tmp_path, 70, "-grayscale", "-progressive")
    assert stripjpeg.encode(gray, 70, progressive=True, restart_rows=0, dct="ifast",
                            backend=backend) == expected


def test_ifast_differs_from_islow() -> None:
    """The option reaches the DCT: ifast's coefficients are not islow's."""
    pixels = np.ascontiguousarray(photo("astronaut")[:64, :64])
    assert stripjpeg.encode(pixels, 90, dct="ifast") != stripjpeg.encode(pixels, 90)


# --- trace_block ----------------------------------------------------------------------------------

@pytest.mark.parametrize("quality", [15, 75, 100])
def test_trace_block_is_the_files_block(quality) -> None:
    pixels = example_image(41, 27)
    data = stripjpeg.encode(pixels, quality, "4:2:0", dct="ifast")
    luma = read_coefficients(data)[0]
    for row, col in ((0, 0), (2, 1), (3, 5)):
        trace = trace_block(pixels, row, col, quality=quality, subsampling="4:2:0", dct="ifast")
        assert trace.quantized.tolist() == luma[row, col].tolist()
        assert trace.dct_scale == 8


def test_the_cli_writes_cjpegs_bytes(tmp_path) -> None:
    pixels = example_image(45, 29)
    source = tmp_path / "in.ppm"
    Image.fromarray(pixels).save(source)
    assert main(["encode", str(source), "-o", str(tmp_path / "out.jpg"), "-q", "80",
                 "--subsampling", "4:2:0", "--restart-rows", "0", "--dct", "ifast"]) == 0
    assert (tmp_path / "out.jpg").read_bytes() == cjpeg_fast(pixels, tmp_path, 80, "-sample", "2x2")
