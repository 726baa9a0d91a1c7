"""The frame's colour space and per-table quality: ``keep_rgb`` (Pillow's keyword, cjpeg's
``-rgb``), ``grayscale`` (cjpeg's ``-grayscale``) and ``quality=(q0, q1)`` (cjpeg's
``-quality N,N``), each compared byte for byte with its oracle on every backend and entry point.
"""

from __future__ import annotations

import io
import subprocess

import numpy as np
import pytest
from oracle import photo
from PIL import Image

import stripjpeg
from stripjpeg.cli import main
from stripjpeg.options import make_options
from stripjpeg.plan import make_plan
from stripjpeg.reader import read_jpeg
from stripjpeg.segments import read_markers

SIZES = [(1, 1), (7, 13), (33, 47)]


def _pixels(width: int, height: int) -> np.ndarray:
    """A ``width x height`` crop of a photo (RGB, uint8)."""
    return np.ascontiguousarray(photo("astronaut")[100:100 + height, 150:150 + width])


def pillow(pixels: np.ndarray, **keywords) -> bytes:
    buffer = io.BytesIO()
    Image.fromarray(pixels).save(buffer, "JPEG", **keywords)
    return buffer.getvalue()


def cjpeg(pixels: np.ndarray, tmp_path, *switches: str) -> bytes:
    """``cjpeg``'s file for the pixels, read as PPM (written by Pillow)."""
    source = tmp_path / "in.ppm"
    Image.fromarray(pixels).save(source)
    return subprocess.run(["cjpeg", *switches, str(source)], capture_output=True,
                          check=True).stdout


def every_entry_point(pixels: np.ndarray, tmp_path, **options) -> bytes:
    """The bytes of encode, checked to be those of save, Encoder and iter_encode as well."""
    height, width = pixels.shape[:2]
    expected = stripjpeg.encode(pixels, **options)
    stripjpeg.save(tmp_path / "save.jpg", pixels, **options)
    assert (tmp_path / "save.jpg").read_bytes() == expected
    with stripjpeg.Encoder(tmp_path / "stream.jpg", width, height, **options) as encoder:
        for start in range(0, height, 5):
            encoder.write(pixels[start:start + 5])
    assert (tmp_path / "stream.jpg").read_bytes() == expected
    pieces = (pixels[start:start + 9] for start in range(0, height, 9))
    assert b"".join(stripjpeg.iter_encode(pieces, width=width, height=height, **options)) == expected
    return expected


def _restart_switches(restart_rows: int) -> list[str]:
    return ["-restart", str(restart_rows)] if restart_rows else []


# --- keep_rgb: Pillow's bytes, and cjpeg -rgb's ---------------------------------------------------

@pytest.mark.parametrize("size", SIZES)
@pytest.mark.parametrize("restart_rows", [0, 1])
@pytest.mark.parametrize("progressive", [False, True])
def test_keep_rgb_is_pillows_and_cjpeg_rgb(size, restart_rows, progressive, backend, tmp_path):
    pixels = _pixels(*size)
    options = dict(quality=80, keep_rgb=True, restart_rows=restart_rows, progressive=progressive)
    ours = every_entry_point(pixels, tmp_path, backend=backend, **options)
    pillows = pillow(pixels, quality=80, keep_rgb=True, restart_marker_rows=restart_rows,
                     progressive=progressive)
    switches = ["-quality", "80", "-rgb", *_restart_switches(restart_rows),
                *(["-progressive"] if progressive else [])]
    assert ours == pillows
    # Pillow and cjpeg -rgb write the same file: no JFIF, the same Adobe marker.
    assert ours == cjpeg(pixels, tmp_path, *switches)


def test_keep_rgb_frame_is_libjpegs_jcs_rgb():
    """jcparam.c jpeg_set_colorspace(JCS_RGB): ids 'R', 'G', 'B', 1x1, quantization and Huffman
    tables 0 only; jcmarker.c: an Adobe APP14 marker with transform 0 and no JFIF APP0."""
    data = stripjpeg.encode(_pixels(33, 47), 90, keep_rgb=True)
    assert data[2:20] == b"\xff\xee\x00\x0eAdobe\x00\x64\x00\x00\x00\x00\x00\xff\xdb"
    names = [segment.name for segment in read_markers(data)]
    assert "APP0" not in names and names.count("DQT") == 1 and names.count("DHT") == 2
    image = read_jpeg(data)
    assert [(c.id, c.h, c.v, c.quant_index) for c in image.components] == \
        [(82, 1, 1, 0), (71, 1, 1, 0), (66, 1, 1, 0)]


def test_keep_rgb_with_dpi_and_subsampling_default_is_pillows(backend):
    """With a dpi Pillow turns the JFIF header back on, before the Adobe marker; its
    subsampling -1 (libjpeg's default) is 1x1 for RGB."""
    pixels = _pixels(33, 47)
    keywords = dict(quality=70, keep_rgb=True, dpi=(300, 150), subsampling=-1)
    assert stripjpeg.encode(pixels, restart_rows=0, backend=backend, **keywords) == \
        pillow(pixels, **keywords)


def test_keep_rgb_with_qtables_is_pillows(backend):
    """Custom tables are assigned one per component (Pillow's JpegEncode.c), RGB too."""
    pixels = _pixels(33, 47)
    tables = [[(i % 13) + 2 for i in range(64)], [(i % 7) + 3 for i in range(64)]]
    assert stripjpeg.encode(pixels, 85, keep_rgb=True, qtables=tables, restart_rows=0,
                            backend=backend) == pillow(pixels, quality=85, keep_rgb=True,
                                                       qtables=tables)


def test_keep_rgb_takes_rgba_as_rgb(backend):
    pixels = _pixels(33, 47)
    rgba = np.dstack([pixels, np.full(pixels.shape[:2], 7, np.uint8)])
    assert stripjpeg.encode(rgba, 75, keep_rgb=True, backend=backend) == \
        stripjpeg.encode(pixels, 75, keep_rgb=True, backend=backend)


@pytest.mark.parametrize("restart_rows", [0, 1])
def test_keep_rgb_optimized_is_pillows(restart_rows, backend, tmp_path):
    """Optimal Huffman tables: a whole array is read twice, a stream spools its blocks."""
    pixels = _pixels(33, 47)
    ours = every_entry_point(pixels, tmp_path, quality=90, keep_rgb=True, optimize=True,
                             restart_rows=restart_rows, backend=backend)
    assert ours == pillow(pixels, quality=90, keep_rgb=True, optimize=True,
                          restart_marker_rows=restart_rows)


# --- grayscale: cjpeg -grayscale ---------------------------------------------------------------

@pytest.mark.parametrize("size", SIZES)
@pytest.mark.parametrize("restart_rows", [0, 1])
@pytest.mark.parametrize("progressive", [False, True])
def test_grayscale_is_cjpeg_grayscale(size, restart_rows, progressive, backend, tmp_path):
    pixels = _pixels(*size)
    ours = every_entry_point(pixels, tmp_path, quality=75, grayscale=True,
                             restart_rows=restart_rows, progressive=progressive, backend=backend)
    switches = ["-quality", "75", "-grayscale", *_restart_switches(restart_rows),
                *(["-progressive"] if progressive else [])]
    assert ours == cjpeg(pixels, tmp_path, *switches)


@pytest.mark.parametrize("sample, subsampling", [("1x1", "default"), ("2x2", "4:2:0")])
def test_grayscale_sampling_factors_are_cjpegs(sample, subsampling, backend, tmp_path):
    """The one component declares the requested factors in SOF0, as cjpeg -sample does."""
    pixels = _pixels(33, 47)
    assert stripjpeg.encode(pixels, 75, subsampling, grayscale=True, restart_rows=0,
                            backend=backend) == \
        cjpeg(pixels, tmp_path, "-quality", "75", "-grayscale", "-sample", sample)


def test_grayscale_optimized_is_cjpegs(backend, tmp_path):
    pixels = _pixels(33, 47)
    ours = every_entry_point(pixels, tmp_path, quality=85, grayscale=True, optimize=True,
                             restart_rows=0, backend=backend)
    assert ours == cjpeg(pixels, tmp_path, "-quality", "85", "-grayscale", "-optimize")


def test_grayscale_y_is_ycbcrs_y(backend):
    """rgb_gray_convert's Y is rgb_ycc_convert's: the coefficients equal those of the Y
    component of the YCbCr file (4:4:4, same table 0)."""
    pixels = _pixels(33, 47)
    gray = read_jpeg(stripjpeg.encode(pixels, 60, grayscale=True, backend=backend))
    color = read_jpeg(stripjpeg.encode(pixels, 60, backend=backend))
    assert len(gray.components) == 1
    np.testing.assert_array_equal(gray.coefficients[0], color.coefficients[0])


def test_grayscale_of_grey_input_changes_nothing(backend):
    grey = np.ascontiguousarray(_pixels(33, 47)[:, :, 1])
    assert stripjpeg.encode(grey, 75, grayscale=True, backend=backend) == \
        stripjpeg.encode(grey, 75, backend=backend)


# --- quality per table: cjpeg -quality N,N -----------------------------------------------------

@pytest.mark.parametrize("size", SIZES)
@pytest.mark.parametrize("restart_rows", [0, 1])
@pytest.mark.parametrize("progressive", [False, True])
def test_quality_per_table_is_cjpegs(size, restart_rows, progressive, backend, tmp_path):
    pixels = _pixels(*size)
    ours = every_entry_point(pixels, tmp_path, quality=(90, 70), subsampling="4:2:0",
                             restart_rows=restart_rows, progressive=progressive, backend=backend)
    switches = ["-quality", "90,70", "-sample", "2x2", *_restart_switches(restart_rows),
                *(["-progressive"] if progressive else [])]
    assert ours == cjpeg(pixels, tmp_path, *switches)


@pytest.mark.parametrize("switches, options", [
    (["-quality", "95,40", "-sample", "1x1"], dict(quality=(95, 40))),
    (["-quality", "60"], dict(quality=(60,), subsampling="4:2:0")),
    (["-quality", "90,70,50"], dict(quality=(90, 70, 50), subsampling="4:2:0")),
    (["-quality", "90,70", "-rgb"], dict(quality=(90, 70), keep_rgb=True)),
    (["-quality", "90,70", "-grayscale"], dict(quality=(90, 70), grayscale=True)),
    (["-quality", "50,80", "-sample", "2x1", "-optimize"],
     dict(quality=(50, 80), subsampling="4:2:2", optimize=True)),
])
def test_quality_per_table_with_other_switches_is_cjpegs(switches, options, backend, tmp_path):
    pixels = _pixels(33, 47)
    assert stripjpeg.encode(pixels, restart_rows=0, backend=backend, **options) == \
        cjpeg(pixels, tmp_path, *switches)


def test_quality_per_table_last_value_repeats():
    """set_quality_ratings: table 1 takes the last value given; a one-value tuple is the int."""
    pixels = _pixels(33, 47)
    assert stripjpeg.encode(pixels, (80,), "4:2:0") == stripjpeg.encode(pixels, 80, "4:2:0")
    image = read_jpeg(stripjpeg.encode(pixels, (90, 30), "4:2:0"))
    luma = read_jpeg(stripjpeg.encode(pixels, 90, "4:2:0")).quant_tables[0]
    chroma = read_jpeg(stripjpeg.encode(pixels, 30, "4:2:0")).quant_tables[1]
    np.testing.assert_array_equal(image.quant_tables[0], luma)
    np.testing.assert_array_equal(image.quant_tables[1], chroma)


def test_quality_per_table_scales_custom_qtables():
    """With custom tables, table i is scaled with its own quality (cjpeg -qtables -quality)."""
    pixels = _pixels(33, 47)
    tables = [[16] * 64, [32] * 64]
    image = read_jpeg(stripjpeg.encode(pixels, (75, 25), qtables=tables))
    assert image.quant_tables[0].reshape(-1).tolist() == [8] * 64      # scale 50 %
    assert image.quant_tables[1].reshape(-1).tolist() == [64] * 64     # scale 200 %


# --- errors ------------------------------------------------------------------------------------

@pytest.mark.parametrize("options, match", [
    (dict(keep_rgb=True, subsampling="4:2:0"), r"keep_rgb=True with subsampling='4:2:0'.*not subsampled"),
    (dict(keep_rgb=True, subsampling=1), r"keep_rgb=True with subsampling='4:2:2'"),
    (dict(keep_rgb=True, grayscale=True), r"keep_rgb=True and grayscale=True"),
    (dict(quality=()), r"quality as a tuple holds 1 to 4 values.*got 0"),
    (dict(quality=(90, 80, 70, 60, 50)), r"quality as a tuple holds 1 to 4 values.*got 5"),
    (dict(quality=(90, 0)), r"quality\[1\] must be from 1 to 100, got 0"),
    (dict(quality=(90, 101)), r"quality\[1\] must be from 1 to 100, got 101"),
])
def test_bad_values_are_value_errors(options, match, tmp_path):
    pixels = _pixels(16, 16)
    with pytest.raises(ValueError, match=match):
        stripjpeg.encode(pixels, **options)
    with pytest.raises(ValueError, match=match):
        stripjpeg.save(tmp_path / "x.jpg", pixels, **options)
    with pytest.raises(ValueError, match=match):
        stripjpeg.Encoder(io.BytesIO(), 16, 16, **options)
    with pytest.raises(ValueError, match=match):
        stripjpeg.iter_encode([pixels], width=16, height=16, **options)
    assert not (tmp_path / "x.jpg").exists()


@pytest.mark.parametrize("quality", [(90, "70"), (90, 70.0), (True, 70), {90, 70}])
def test_bad_quality_types_are_type_errors(quality):
    with pytest.raises(TypeError, match=r"quality"):
        stripjpeg.encode(_pixels(8, 8), quality)


def test_keep_rgb_with_grey_input_is_a_value_error(tmp_path):
    grey = np.zeros((8, 8), np.uint8)
    match = r"keep_rgb=True needs RGB input; a grayscale image has no RGB"
    with pytest.raises(ValueError, match=match):
        stripjpeg.encode(grey, keep_rgb=True)
    with pytest.raises(ValueError, match=match):
        stripjpeg.save(tmp_path / "x.jpg", grey, keep_rgb=True)
    with pytest.raises(ValueError, match=match):
        stripjpeg.Encoder(io.BytesIO(), 8, 8, mode="L", keep_rgb=True)
    assert not (tmp_path / "x.jpg").exists()


# --- the command line --------------------------------------------------------------------------

@pytest.mark.parametrize("flags, switches", [
    (["--rgb", "-q", "85"], ["-rgb", "-quality", "85"]),
    (["--grayscale", "-q", "85"], ["-grayscale", "-quality", "85"]),
    (["-q", "90,70", "-s", "4:2:0"], ["-quality", "90,70", "-sample", "2x2"]),
    (["--rgb", "-q", "90,70", "--progressive"], ["-rgb", "-quality", "90,70", "-progressive"]),
])
def test_cli_flags_write_cjpegs_bytes(flags, switches, tmp_path):
    pixels = _pixels(33, 47)
    np.save(tmp_path / "in.npy", pixels)
    assert main(["encode", str(tmp_path / "in.npy"), "-o", str(tmp_path / "out.jpg"),
                 "--restart-rows", "0", "--no-progress", *flags]) == 0
    assert (tmp_path / "out.jpg").read_bytes() == cjpeg(pixels, tmp_path, *switches)


@pytest.mark.parametrize("quality, message", [("90,x", "quality must be N or N,N"),
                                              ("90,0", "quality must be from 1 to 100, got 0")])
def test_cli_bad_quality(quality, message, tmp_path, capsys):
    np.save(tmp_path / "in.npy", _pixels(8, 8))
    try:
        status = main(["encode", str(tmp_path / "in.npy"), "-o", str(tmp_path / "out.jpg"),
                       "-q", quality, "--no-progress"])
    except SystemExit as exit:  # argparse's usage error
        status = exit.code
    assert status != 0
    assert message in capsys.readouterr().err
    assert not (tmp_path / "out.jpg").exists()


# --- the backends ------------------------------------------------------------------------------

@pytest.mark.parametrize("options, convert", [
    (dict(), "rgb_ycc"), (dict(keep_rgb=True), "rgb_rgb"), (dict(grayscale=True), "rgb_gray"),
])
def test_numba_declines_the_conversions_it_has_no_kernel_for(options, convert):
    """The numba colour kernel converts to YCbCr only: the NumPy stage prepares the samples
    of the other conversions, and the fused paths are not used (backends/base.py)."""
    if "numba" not in stripjpeg.backends.available():
        pytest.fail("the numba backend is not available")
    plan = make_plan(33, 47, 3, make_options(quality=75, **options))
    assert plan.color_convert == convert
    numba = stripjpeg.backends.get("numba")
    assert numba.declines("prepare_samples", plan) == (convert != "rgb_ycc")
    assert not numba.declines("forward_dct", plan)
