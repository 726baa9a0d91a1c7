"""dct="float", libjpeg's floating-point DCT (jfdctflt.c) and its quantizer (jcdctmgr.c), as
libjpeg-turbo's x86-64 SIMD build computes them (jfdctflt-sse.asm, jsimd_quantize_float_sse2):
the same bytes as ``cjpeg -dct float`` on every backend, each piece against its twin in
tests/reference.py, and the numba kernel against the NumPy stage on many blocks."""

from __future__ import annotations

import io
import os
import re
import subprocess

import numpy as np
import pytest
import reference as twin
from conftest import BACKENDS
from oracle import photo
from PIL import Image

import stripjpeg
from stripjpeg import backends, tables
from stripjpeg.cli import main
from stripjpeg.examples import example_image
from stripjpeg.inspect import read_coefficients, trace_block
from stripjpeg.options import EncodeOptions
from stripjpeg.plan import make_plan
from stripjpeg.stages.dct import DCT_SCALE, FORWARD_DCT, forward_dct_float
from stripjpeg.stages.quantize import float_divisors, quantize, quantize_float, quantized_blocks

needs_numba = pytest.mark.skipif("numba" not in backends.available(), reason="numba is not installed")

SUBSAMPLING = {"1x1": "4:4:4", "2x1": "4:2:2", "2x2": "4:2:0"}

#: jfdctflt-sse.asm's four constants (PD_0_382 ... PD_1_306), as written there.
SSE_CONSTANTS = (0.382683432365089771728460, 0.541196100146196984399723,
                 0.707106781186547524400844, 1.306562964876376527856643)


def cjpeg_float(pixels: np.ndarray, tmp_path, quality: int, *arguments: str, simd: bool = True) -> bytes:
    """``cjpeg -dct float``'s file for the pixels (PGM for grayscale, else PPM); below
    quality 25, -baseline clamps the steps to 255 as stripjpeg does (see test_ifast.py).
    ``simd=False`` sets libjpeg-turbo's JSIMD_FORCENONE: its plain C code runs instead."""
    source = tmp_path / ("in.pgm" if pixels.ndim == 2 else "in.ppm")
    Image.fromarray(pixels).save(source)
    baseline = ["-baseline"] if quality < 25 else []
    environment = {**os.environ, "JSIMD_FORCENONE": "0" if simd else "1"}
    return subprocess.run(["cjpeg", "-dct", "float", "-quality", str(quality), *baseline, *arguments,
                           str(source)], capture_output=True, check=True, env=environment).stdout


def bits(x: np.ndarray) -> np.ndarray:
    """float32 values as their bit patterns: equality of these is equality to the last bit."""
    return np.asarray(x, dtype=np.float32).view(np.uint32)


def sample_blocks(seed: int, n: int) -> np.ndarray:
    """Level-shifted blocks ``(n, 8, 8)``: sign patterns of -128/127 (the largest values),
    random samples, smooth gradients, flat blocks."""
    rng = np.random.default_rng(seed)
    quarter = n // 4
    extreme = np.where(rng.random((quarter, 8, 8)) < 0.5, -128, 127)
    random = rng.integers(-128, 128, (quarter, 8, 8))
    y, x = np.mgrid[0:8, 0:8]
    slopes = rng.uniform(-16, 16, (quarter, 2, 1, 1))
    smooth = np.clip(np.rint(slopes[:, 0] * y + slopes[:, 1] * x + rng.integers(-128, 128, (quarter, 1, 1))),
                     -128, 127).astype(int)
    flat = np.broadcast_to(rng.integers(-128, 128, (n - 3 * quarter, 1, 1)), (n - 3 * quarter, 8, 8))
    return np.concatenate([extreme, random, smooth, flat])


# --- the tables ----------------------------------------------------------------------------------

def test_the_constants_are_jfdctflts_and_jcdctmgrs() -> None:
    ours = (tables.FLOAT_0_382683433, tables.FLOAT_0_541196100, tables.FLOAT_0_707106781,
            tables.FLOAT_1_306562965)
    assert all(c.dtype == np.float32 for c in ours)
    # The SSE code's 24 decimals and the C code's 9 round to the same float32 values.
    assert bits(ours).tolist() == bits(SSE_CONSTANTS).tolist() == \
        bits((0.382683433, 0.541196100, 0.707106781, 1.306562965)).tolist()
    assert bits(ours).tolist() == [0x3EC3EF15, 0x3F0A8BD4, 0x3F3504F3, 0x3FA73D75]
    # aanscalefactor: cos(k pi / 16) * sqrt(2) to 9 decimals.
    exact = [1.0] + [np.cos(k * np.pi / 16) * np.sqrt(2) for k in range(1, 8)]
    assert np.allclose(tables.AAN_SCALE_FACTORS, exact, rtol=0, atol=5e-10)
    assert tables.AAN_SCALE_FACTORS[5] == 0.785694958 and tables.AAN_SCALE_FACTORS[7] == 0.275899379
    assert DCT_SCALE["float"] == 8 and FORWARD_DCT["float"] is forward_dct_float


def test_divisors_are_jcdctmgrs() -> None:
    for q in (1, 2, 3, 16, 51, 99, 200, 255):
        ours = float_divisors(np.full(64, q))
        assert ours.dtype == np.float32 and ours.shape == (8, 8)
        expected = [[twin.float_divisor(q, v, u) for u in range(8)] for v in range(8)]
        assert bits(ours).tolist() == bits(expected).tolist(), q
        # Against the true cosines, independently: within float32 rounding and the 9 decimals.
        s = np.array([1.0] + [np.cos(k * np.pi / 16) * np.sqrt(2) for k in range(1, 8)])
        assert np.allclose(ours, 1 / (8.0 * q * np.outer(s, s)), rtol=2e-7, atol=0)
    # Steps along the table, not one step everywhere: entry [v][u] scales table[8v + u].
    table = np.arange(1, 65)
    expected = [[twin.float_divisor(8 * v + u + 1, v, u) for u in range(8)] for v in range(8)]
    assert bits(float_divisors(table)).tolist() == bits(expected).tolist()
    # Q = 1 at DC: 1/8 exactly; at [7][7], 1 / (8 * 0.275899379**2) rounded to float32.
    assert float_divisors(np.ones(64))[0, 0] == 0.125
    assert float_divisors(np.ones(64))[7, 7] == np.float32(1 / (1.0 * 0.275899379 * 0.275899379 * 8.0))


# --- the DCT and the quantizer against their twins ------------------------------------------------

def test_numpy_float_dct_equals_the_scalar_twin_to_the_bit() -> None:
    blocks = sample_blocks(5, 400)
    ours = forward_dct_float(blocks)
    assert ours.dtype == np.float32
    for block, coefficients in zip(blocks, ours):
        assert bits(coefficients).tolist() == bits(twin.forward_dct_float(block.tolist())).tolist()
    # A flat block of -128 has only DC: 64 * -128 (the AA&N DC factor is 1, times 8).
    flat = forward_dct_float(np.full((8, 8), -128))
    assert flat[0, 0] == -8192 and not flat.ravel()[1:].any()


def test_quantizer_equals_the_twin_and_rounds_ties_to_even() -> None:
    rng = np.random.default_rng(9)
    blocks = sample_blocks(11, 200)
    coefficients = forward_dct_float(blocks)
    for q in (1, 3, 50, 255):
        table = rng.integers(1, q + 1, 64)
        for block in coefficients[::7]:
            assert quantize(block, table, "float").tolist() == \
                twin.quantize_float(block.tolist(), table.tolist())
    # Ties: at Q = 1 the DC divisor is 1/8, so DC = 8 * (n + 1/2) is an exact tie.
    dc = np.zeros((6, 8, 8), np.float32)
    dc[:, 0, 0] = [20, 28, -20, -28, 4, -4]                    # 2.5, 3.5, -2.5, -3.5, 0.5, -0.5
    assert quantize_float(dc, np.ones(64))[:, 0, 0].tolist() == [2, 4, -2, -4, 0, 0]
    # A plain-C build (no SIMD) rounds those ties up instead: (int)(x + 16384.5f) - 16384.
    assert [twin.quantize_float_plain_c(b.tolist(), [1] * 64)[0][0] for b in dc] == [3, 4, -2, -3, 1, 0]


def test_cjpeg_is_the_simd_build_its_ties_go_to_even(tmp_path) -> None:
    """What the rounding choice decides: at quality 100 the DC divisor is 1/8 and a DC on a
    tie is common. cjpeg's coefficients are the ties-to-even ones; libjpeg-turbo's plain C
    code (the same cjpeg with JSIMD_FORCENONE=1) writes the (int)(x + 16384.5f) - 16384 ones."""
    pixels = np.ascontiguousarray(photo("camera")[:128, :128])
    theirs = read_coefficients(cjpeg_float(pixels, tmp_path, 100, "-grayscale"))[0]
    c_build = read_coefficients(cjpeg_float(pixels, tmp_path, 100, "-grayscale", simd=False))[0]
    shifted = pixels.reshape(16, 8, 16, 8).swapaxes(1, 2).astype(int) - 128
    coefficients = forward_dct_float(shifted)
    ones = np.ones(64, int)
    ours = quantize(coefficients, ones, "float")
    assert np.array_equal(theirs, ours)
    products = coefficients * float_divisors(ones)
    plain_c = (products + np.float32(16384.5)).astype(np.float32).astype(np.int64) - 16384
    assert np.array_equal(c_build, plain_c)          # the C DCT's float32 values are the SSE one's
    assert (theirs != plain_c).sum() == 71             # in 56 of the 256 blocks


# --- the bytes: cjpeg -dct float ------------------------------------------------------------------

@pytest.mark.parametrize("backend", BACKENDS)
@pytest.mark.parametrize("quality", [100, 95, 75, 50, 10])
@pytest.mark.parametrize("sample", list(SUBSAMPLING))
def test_photo_bytes_are_cjpegs(tmp_path, backend, quality, sample) -> None:
    pixels = np.ascontiguousarray(photo("astronaut")[100:260, 50:290])
    expected = cjpeg_float(pixels, tmp_path, quality, "-sample", sample)
    assert stripjpeg.encode(pixels, quality, SUBSAMPLING[sample], restart_rows=0, dct="float",
                            backend=backend) == expected


@pytest.mark.parametrize("backend", BACKENDS)
@pytest.mark.parametrize("seed", [0, 1])
def test_random_images_are_cjpegs(tmp_path, backend, seed) -> None:
    rng = np.random.default_rng(seed)
    height, width = rng.integers(9, 90, 2)
    noise = rng.integers(0, 256, (height, width, 3), dtype=np.uint8)
    # Smooth content has small AC coefficients near the rounding boundaries; noise large ones.
    y, x = np.mgrid[0:height, 0:width]
    smooth = np.stack([(x * 255 // width), (y * 255 // height), ((x + y) * 3) % 256], -1).astype(np.uint8)
    for pixels in (noise, smooth):
        for quality, sample in ((100, "1x1"), (95, "2x2"), (75, "2x1"), (50, "2x2"), (10, "1x1")):
            expected = cjpeg_float(pixels, tmp_path, quality, "-sample", sample)
            assert stripjpeg.encode(pixels, quality, SUBSAMPLING[sample], restart_rows=0, dct="float",
                                    backend=backend) == expected, (quality, sample)


@pytest.mark.parametrize("backend", BACKENDS)
@pytest.mark.parametrize("size", [(1, 1), (7, 13), (17, 33)])
@pytest.mark.parametrize("sample", list(SUBSAMPLING))
def test_awkward_sizes_are_cjpegs(tmp_path, backend, size, sample) -> None:
    pixels = example_image(*size)
    for quality in (20, 85, 100):
        expected = cjpeg_float(pixels, tmp_path, quality, "-sample", sample)
        assert stripjpeg.encode(pixels, quality, SUBSAMPLING[sample], restart_rows=0, dct="float",
                                backend=backend) == expected, quality


@pytest.mark.parametrize("backend", BACKENDS)
@pytest.mark.parametrize("name", ["camera", "coffee"])
def test_grayscale_restart_optimize_are_cjpegs(tmp_path, backend, name) -> None:
    pixels = np.ascontiguousarray(photo(name)[:120, :200])
    gray = pixels if pixels.ndim == 2 else np.ascontiguousarray(pixels[:, :, 1])
    cases = [
        (gray, 80, ["-grayscale"], {}),
        (gray, 100, ["-grayscale"], {}),
        (gray, 30, ["-grayscale", "-restart", "1"], {"restart_rows": 1}),
        (pixels, 95, ["-sample", "2x2", "-restart", "1"], {"subsampling": "4:2:0", "restart_rows": 1}),
        (pixels, 60, ["-sample", "2x1", "-optimize"], {"subsampling": "4:2:2", "optimize": True}),
        (gray, 100, ["-grayscale", "-optimize", "-restart", "1"], {"optimize": True, "restart_rows": 1}),
    ]
    for image, quality, switches, options in cases:
        expected = cjpeg_float(image, tmp_path, quality, *switches)
        options = {"restart_rows": 0, **options}
        assert stripjpeg.encode(image, quality, dct="float", backend=backend, **options) == expected, \
            (quality, switches)


@pytest.mark.parametrize("backend", BACKENDS)
@pytest.mark.parametrize("sample", list(SUBSAMPLING))
def test_progressive_bytes_are_cjpegs(tmp_path, backend, sample) -> None:
    pixels = example_image(67, 35)
    for quality, restart in ((95, 0), (40, 1)):
        switches = ["-sample", sample, "-progressive", *(["-restart", "1"] if restart else [])]
        expected = cjpeg_float(pixels, tmp_path, quality, *switches)
        assert stripjpeg.encode(pixels, quality, SUBSAMPLING[sample], progressive=True,
                                restart_rows=restart, dct="float", backend=backend) == expected
    gray = np.ascontiguousarray(pixels[:, :, 0])
    expected = cjpeg_float(gray, tmp_path, 70, "-grayscale", "-progressive")
    assert stripjpeg.encode(gray, 70, progressive=True, restart_rows=0, dct="float",
                            backend=backend) == expected


@pytest.mark.parametrize("backend", BACKENDS)
def test_every_entry_point_writes_cjpegs_bytes(tmp_path, backend) -> None:
    """save, Encoder (row by row) and iter_encode (strips), plain and optimized."""
    pixels = np.ascontiguousarray(photo("astronaut")[:77, :93])
    for switches, options in ((["-sample", "2x2"], {"subsampling": "4:2:0"}),
                              (["-sample", "1x1", "-optimize"], {"optimize": True})):
        expected = cjpeg_float(pixels, tmp_path, 88, *switches)
        options = {"quality": 88, "restart_rows": 0, "dct": "float", "backend": backend, **options}
        target = io.BytesIO()
        stripjpeg.save(target, pixels, **options)
        assert target.getvalue() == expected
        target = io.BytesIO()
        with stripjpeg.Encoder(target, 93, 77, **options) as encoder:
            for top in range(0, 77, 10):
                encoder.write(pixels[top:top + 10])
        assert target.getvalue() == expected
        strips = (pixels[top:top + 16] for top in range(0, 77, 16))
        assert b"".join(stripjpeg.iter_encode(strips, width=93, height=77, **options)) == expected


def test_float_differs_from_ifast_and_islow() -> None:
    """The option reaches the DCT: float's coefficients are neither integer DCT's."""
    pixels = np.ascontiguousarray(photo("astronaut")[:64, :64])
    floated = stripjpeg.encode(pixels, 90, dct="float")
    assert floated != stripjpeg.encode(pixels, 90) and floated != stripjpeg.encode(pixels, 90, dct="ifast")


# --- the numba kernel against the NumPy stage -----------------------------------------------------

@needs_numba
def test_group_float_dct_equals_numpy_to_the_bit_on_many_blocks() -> None:
    """fdct_float_group (float32, 32 blocks side by side, vectorized) equals the NumPy stage
    bit for bit, and quantize_float_group its quantizer, on 5120 blocks at several tables."""
    import numba

    from stripjpeg.backends.numba_dct import LANES, NATURAL, fdct_float_group, quantize_float_group

    @numba.njit
    def group_dct(plane, first, scales):
        words = plane.view(np.uint64)
        work = np.empty((64, LANES), np.float32)
        coefficients = np.empty((64, LANES), np.float32)
        fdct_float_group(words, 0, first, work, coefficients)
        out = np.empty((64, LANES), np.int16)
        quantize_float_group(coefficients, scales, NATURAL, out)
        return coefficients, out

    n_blocks = 160 * LANES
    samples = (sample_blocks(13, n_blocks) + 128).astype(np.uint8)     # (blocks, y, x)
    plane = np.ascontiguousarray(samples.transpose(1, 0, 2).reshape(8, n_blocks * 8))
    expected = forward_dct_float(samples.astype(np.int32) - 128)
    flat_expected = bits(expected).reshape(n_blocks, 64)
    for table in (np.ones(64, int), np.full(64, 16), np.random.default_rng(2).integers(1, 256, 64)):
        scales = float_divisors(table).reshape(64)
        quantized = quantize(expected, table, "float").reshape(n_blocks, 64)
        for first in range(0, n_blocks, LANES):
            coefficients, out = group_dct(plane, first, scales)              # (64, LANES)
            np.testing.assert_array_equal(bits(coefficients).T, flat_expected[first:first + LANES])
            np.testing.assert_array_equal(out.T, quantized[first:first + LANES])


@needs_numba
def test_the_float_kernel_has_no_fused_multiply_add() -> None:
    """LLVM may not contract a multiply and an add into an FMA (one rounding instead of two):
    the float DCT as compiled here (numba's flags, no fastmath) has none in its machine code."""
    import numba

    from stripjpeg.backends.numba_dct import LANES, fdct_float_group

    @numba.njit(nogil=True)
    def group_dct(words, work, coefficients):
        fdct_float_group(words, 0, 0, work, coefficients)

    group_dct(np.zeros((8, LANES), np.uint64), np.empty((64, LANES), np.float32),
              np.empty((64, LANES), np.float32))
    (asm,) = group_dct.inspect_asm().values()
    assert len(re.findall(r"\bv?mulps\b", asm)) >= 10         # the multiplies are there
    assert not re.findall(r"\bvfn?m(add|sub)\w*", asm)


@needs_numba
def test_numba_stage_equals_numpy_stage_on_a_large_plane() -> None:
    """The backend's forward_dct (the kernel, whole strips) against quantized_blocks (NumPy)
    on 1024 random and photo blocks per component, at several qualities."""
    numba = backends.get("numba")
    rng = np.random.default_rng(21)
    noise = rng.integers(0, 256, (128, 256, 3), dtype=np.uint8)
    photograph = np.ascontiguousarray(photo("coffee")[:128, :256])
    for pixels in (noise, photograph):
        for quality, subsampling in ((100, "4:4:4"), (90, "4:2:0"), (35, "4:2:2")):
            plan = make_plan(256, 128, 3, EncodeOptions(quality=quality, subsampling=subsampling,
                                                        dct="float"))
            table = numba.stage_table(plan)
            assert table.fallbacks == frozenset()
            samples = table.prepare_samples(pixels, plan)
            ours = table.forward_dct(samples, plan, 128)
            theirs = quantized_blocks([np.asarray(s) for s in samples], plan, 128)
            assert all(np.array_equal(a, b) for a, b in zip(ours, theirs)), (quality, subsampling)


# --- trace_block and the CLI ----------------------------------------------------------------------

@pytest.mark.parametrize("quality", [15, 75, 100])
def test_trace_block_is_the_files_block(quality) -> None:
    pixels = example_image(41, 27)
    data = stripjpeg.encode(pixels, quality, "4:2:0", dct="float")
    luma = read_coefficients(data)[0]
    for row, col in ((0, 0), (2, 1), (3, 5)):
        trace = trace_block(pixels, row, col, quality=quality, subsampling="4:2:0", dct="float")
        assert trace.quantized.tolist() == luma[row, col].tolist()
        assert trace.dct.dtype == np.float32 and trace.dct_scale == 8


def test_the_cli_writes_cjpegs_bytes(tmp_path) -> None:
    pixels = example_image(45, 29)
    source = tmp_path / "in.ppm"
    Image.fromarray(pixels).save(source)
    assert main(["encode", str(source), "-o", str(tmp_path / "out.jpg"), "-q", "80",
                 "--subsampling", "4:2:0", "--restart-rows", "0", "--dct", "float"]) == 0
    assert (tmp_path / "out.jpg").read_bytes() == cjpeg_float(pixels, tmp_path, 80, "-sample", "2x2")
