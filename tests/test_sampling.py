"""Sampling factors 1..4 per component, as cjpeg's ``-sample HxV[,HxV...]`` takes them: the
bytes are cjpeg's on every backend; libjpeg's downsamplers against their scalar twins
(tests/reference.py); the factors libjpeg refuses get its reasons."""

from __future__ import annotations

import subprocess

import jpeglib
import numpy as np
import pytest
from conftest import BACKENDS
from hypothesis import given
from hypothesis import strategies as st
from oracle import photo
from PIL import Image
from reference import downsample_plane, int_downsample_plane
from strategies import images

import stripjpeg
from stripjpeg import backends
from stripjpeg.cli import main
from stripjpeg.examples import example_image
from stripjpeg.options import EncodeOptions, sampling_factors
from stripjpeg.plan import make_plan
from stripjpeg.stages.samples import downsample

#: cjpeg -sample arguments, each also given to stripjpeg as it is. "4x1" is libjpeg's 4:1:1,
#: "1x1,2x2,2x2" chroma at twice luma's resolution (luma is the downsampled one).
SAMPLES = ["1x2", "4x1", "2x2,1x1,1x1", "1x1,2x2,2x2", "3x1", "3x2", "4x2", "2x2,2x1,1x1",
           "1x4", "2x2,1x2,2x1"]
SIZES = [(1, 1), (7, 13), (33, 47), (61, 19)]


def cjpeg(pixels: np.ndarray, tmp_path, quality: int, *arguments: str) -> bytes:
    """``cjpeg``'s file for the pixels (PGM for grayscale, else PPM)."""
    source = tmp_path / ("in.pgm" if pixels.ndim == 2 else "in.ppm")
    Image.fromarray(pixels).save(source)
    return subprocess.run(["cjpeg", "-quality", str(quality), *arguments, str(source)],
                          capture_output=True, check=True).stdout


# --- the bytes: cjpeg -sample ---------------------------------------------------------------------

@pytest.mark.parametrize("backend", BACKENDS)
@pytest.mark.parametrize("sample", SAMPLES)
def test_awkward_sizes_are_cjpegs(tmp_path, backend, sample) -> None:
    for size in SIZES:
        pixels = example_image(*size)
        for quality, restart in ((75, 0), (95, 1)):
            expected = cjpeg(pixels, tmp_path, quality, "-sample", sample, "-restart", str(restart))
            assert stripjpeg.encode(pixels, quality, sample, restart_rows=restart,
                                    backend=backend) == expected, (size, quality, restart)


@pytest.mark.parametrize("backend", BACKENDS)
@pytest.mark.parametrize("sample", SAMPLES)
def test_progressive_is_cjpegs(tmp_path, backend, sample) -> None:
    for size, quality, restart in (((61, 19), 75, 0), ((33, 47), 95, 1)):
        pixels = example_image(*size)
        expected = cjpeg(pixels, tmp_path, quality, "-sample", sample, "-progressive",
                         "-restart", str(restart))
        assert stripjpeg.encode(pixels, quality, sample, progressive=True, restart_rows=restart,
                                backend=backend) == expected, (size, quality, restart)


@pytest.mark.parametrize("backend", BACKENDS)
@pytest.mark.parametrize("sample", ["4x1", "1x1,2x2,2x2", "3x2"])
def test_photo_optimized_and_dct_fast_are_cjpegs(tmp_path, backend, sample) -> None:
    # Several strips (SERIAL_STRIP_PIXELS) and every table built from the photo's symbols.
    pixels = np.ascontiguousarray(photo("astronaut")[:300, :333])
    for switches, options in ((["-optimize"], {"optimize": True}),
                              (["-dct", "fast", "-progressive"], {"dct": "ifast", "progressive": True})):
        expected = cjpeg(pixels, tmp_path, 85, "-sample", sample, *switches)
        assert stripjpeg.encode(pixels, 85, sample, restart_rows=0, backend=backend,
                                **options) == expected, switches


#: Our sampling names -> imagecodecs' (libjpeg-turbo 3.1's TurboJPEG menu: 4:1:1 is luma 4x1).
IMAGECODECS_SUBSAMPLING = {"4:4:4": "444", "4:2:2": "422", "4:2:0": "420", "4:4:0": "440", "4x1": "411"}


@pytest.mark.parametrize("backend", BACKENDS)
@pytest.mark.parametrize("subsampling", list(IMAGECODECS_SUBSAMPLING))
def test_turbojpeg_menu_is_libjpeg_turbo_3s(backend, subsampling) -> None:
    # A second libjpeg-turbo, 3.1 (imagecodecs.jpeg8_encode), with the samplings of TurboJPEG's
    # menu: no restart markers, its layout; awkward sizes and a photo crop.
    imagecodecs = pytest.importorskip("imagecodecs")
    crop = np.ascontiguousarray(photo("coffee")[:97, :131])
    for pixels in (example_image(7, 13), example_image(33, 47), crop):
        for quality in (50, 90):
            expected = imagecodecs.jpeg8_encode(pixels, level=quality,
                                                subsampling=IMAGECODECS_SUBSAMPLING[subsampling])
            assert stripjpeg.encode(pixels, quality, subsampling, restart_rows=0,
                                    backend=backend) == expected, (pixels.shape, quality)


@pytest.mark.parametrize("backend", BACKENDS)
def test_names_are_cjpegs_factors(tmp_path, backend) -> None:
    pixels = example_image(33, 47)
    for name, sample in (("4:4:0", "1x2"), ("2x2", "2x2"), ("4:2:0", "2x2,1x1,1x1")):
        expected = cjpeg(pixels, tmp_path, 80, "-sample", sample, "-restart", "0")
        assert stripjpeg.encode(pixels, 80, name, restart_rows=0, backend=backend) == expected


@pytest.mark.parametrize("backend", BACKENDS)
def test_grayscale_declares_the_first_factors_as_cjpeg_does(tmp_path, backend) -> None:
    gray = np.ascontiguousarray(example_image(33, 47)[:, :, 1])
    # Factors a colour frame would refuse (fractional; 18 blocks) are the header's only here.
    for sample in ("4x1", "3x1,2x1,1x1", "4x4"):
        for progressive in (False, True):
            expected = cjpeg(gray, tmp_path, 75, "-grayscale", "-sample", sample,
                             *(["-progressive"] if progressive else []), "-restart", "1")
            assert stripjpeg.encode(gray, 75, sample, progressive=progressive, restart_rows=1,
                                    backend=backend) == expected, (sample, progressive)


def test_pillow_keywords_keep_4_1_1_as_pillow_reads_it() -> None:
    # Pillow's "4:1:1" is its 4:2:0; libjpeg's 4:1:1 is "4x1".
    pixels = example_image(33, 47)
    assert stripjpeg.encode(pixels, 80, "4:1:1") == stripjpeg.encode(pixels, 80, "4:2:0")
    assert stripjpeg.encode(pixels, 80, "4x1") != stripjpeg.encode(pixels, 80, "4:2:0")
    header = make_plan(33, 47, 3, EncodeOptions(subsampling="4x1")).components
    assert [(c.h, c.v) for c in header] == [(4, 1), (1, 1), (1, 1)]


def test_the_cli_takes_cjpegs_sample_syntax(tmp_path) -> None:
    pixels = example_image(61, 19)
    Image.fromarray(pixels).save(tmp_path / "in.png")
    assert main(["encode", str(tmp_path / "in.png"), "-o", str(tmp_path / "out.jpg"), "-q", "90",
                 "-s", "2x2,2x1,1x1", "--restart-rows", "0"]) == 0
    expected = cjpeg(pixels, tmp_path, 90, "-sample", "2x2,2x1,1x1")
    assert (tmp_path / "out.jpg").read_bytes() == expected


def test_numba_serves_every_factor_with_its_own_kernels() -> None:
    # No stage falls back to NumPy, so the bytes above are the fused kernels' own.
    if "numba" not in backends.available():
        pytest.skip("numba is not installed here")
    numba = backends.get("numba")
    for name in ("4:2:0", "1x2", "4x1", "1x1,2x2,2x2", "2x2,1x2,2x1"):
        table = numba.stage_table(make_plan(29, 37, 3, EncodeOptions(subsampling=name)))
        assert table.fallbacks == frozenset(), name
        assert table.prepare_samples == numba.prepare_samples
        assert table.encode_strips_fused == numba.encode_strips_fused


def test_numba_stages_one_by_one_are_numpys() -> None:
    # prepare_samples and forward_dct, each against the NumPy stage (the fused kernels are
    # checked by the bytes): the samples and the blocks, dummy blocks included.
    if "numba" not in backends.available():
        pytest.skip("numba is not installed here")
    numba, numpy = backends.get("numba"), backends.get("numpy")
    pixels = example_image(61, 19)
    for name in ("1x2", "4x1", "1x1,2x2,2x2", "3x2", "2x2,1x2,2x1"):
        plan = make_plan(61, 19, 3, EncodeOptions(subsampling=name, quality=90))
        ours, theirs = numba.prepare_samples(pixels, plan), numpy.prepare_samples(pixels, plan)
        assert [a.tolist() for a in ours] == [b.tolist() for b in theirs], name
        blocks = numba.forward_dct(ours, plan, 19)
        assert [a.tolist() for a in blocks] == [b.tolist() for b in numpy.forward_dct(theirs, plan, 19)]


@pytest.mark.parametrize("sample", ["4x1", "1x1,2x2,2x2", "3x2"])
def test_cjpegs_coefficients_rewritten_are_cjpegs_file(tmp_path, sample) -> None:
    # encode_coefficients lays the blocks out by the same factors (and adds the same dummy
    # blocks) as cjpeg: the coefficients libjpeg reads back make cjpeg's file again.
    pixels = example_image(33, 47)
    expected = cjpeg(pixels, tmp_path, 80, "-sample", sample)
    (tmp_path / "cjpeg.jpg").write_bytes(expected)
    image = jpeglib.read_dct(str(tmp_path / "cjpeg.jpg"))
    assert stripjpeg.encode_coefficients([image.Y, image.Cb, image.Cr], [image.qt[0], image.qt[1]],
                                         width=33, height=47, subsampling=sample,
                                         restart_rows=0) == expected


# --- the downsamplers ----------------------------------------------------------------------------

@given(images(12, 12, 1), st.sampled_from([(1, 2), (3, 1), (4, 1), (3, 2), (2, 3), (4, 4), (1, 3)]))
def test_other_ratios_are_int_downsample(plane, ratio) -> None:
    h, v = ratio
    plane = plane.astype(np.int32)
    assert downsample(plane, h, v).tolist() == int_downsample_plane(plane.tolist(), h, v)


def test_the_2_to_1_ratios_keep_the_alternating_bias() -> None:
    # Two samples 0 and 1 average to 0.5: int_downsample rounds every one up; h2v1 alternates.
    plane = np.tile(np.array([[0, 1]], np.int32), (2, 4))
    assert downsample(plane, 2, 1).tolist() == downsample_plane(plane.tolist(), 2, 1) == [[0, 1, 0, 1]] * 2
    assert downsample(plane.T.copy(), 1, 2).tolist() == [[1] * 2] * 4
    assert downsample(plane, 2, 2).tolist() == [[0, 1, 0, 1]]


# --- what libjpeg refuses ------------------------------------------------------------------------

def test_factor_lists() -> None:
    assert sampling_factors("4x1", color=True) == ((4, 1), (1, 1), (1, 1))
    assert sampling_factors("2x2,2x1", color=True) == ((2, 2), (2, 1), (1, 1))
    assert sampling_factors("1x1,2x2,2x2", color=False) == ((1, 1),)
    assert sampling_factors("4:4:0", color=True) == ((1, 2), (1, 1), (1, 1))
    assert sampling_factors("default", color=True) == ((2, 2), (1, 1), (1, 1))


@pytest.mark.parametrize(("sample", "message"), [
    ("5x1", "sampling factors must be 1..4"),
    ("0x1", "sampling factors must be 1..4"),
    ("1x5", "sampling factors must be 1..4"),
    ("2.5x1", "whole factors"),
    ("2x", "whole factors"),
    ("2x2,,1x1", "whole factors"),
    ("4:1:0", "whole factors"),
    ("1x1,1x1,1x1,1x1,1x1", "at most 4"),
])
def test_bad_factors_are_named(sample, message) -> None:
    with pytest.raises(ValueError, match=message):
        EncodeOptions(subsampling=sample)
    with pytest.raises(ValueError, match=message):
        stripjpeg.encode(example_image(8, 8), 75, sample)


def test_four_factors_are_for_four_components() -> None:
    """Four "HxV" fit a CMYK frame (tests/test_modes.py), not a YCbCr one."""
    with pytest.raises(ValueError, match="a YCbCr frame has 3"):
        stripjpeg.encode(example_image(8, 8), 75, "1x1,1x1,1x1,1x1")


@pytest.mark.parametrize(("sample", "message"), [
    ("3x1,2x1,1x1", "fractional sampling not implemented"),
    ("1x1,3x1,2x1", "fractional sampling not implemented"),
    ("2x3,1x2,1x1", "fractional sampling not implemented"),
    ("4x4", "at most 10"),
    ("3x3,1x1,1x1", "at most 10"),
    ("4x2,2x1,1x1", "at most 10"),
])
def test_frames_libjpeg_refuses_are_refused(tmp_path, sample, message) -> None:
    pixels = example_image(16, 16)
    with pytest.raises(ValueError, match=message):
        stripjpeg.encode(pixels, 75, sample)
    # cjpeg refuses them too.
    source = tmp_path / "in.ppm"
    Image.fromarray(pixels).save(source)
    assert subprocess.run(["cjpeg", "-sample", sample, str(source)], capture_output=True).returncode != 0
