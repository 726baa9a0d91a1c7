"""Input smoothing (``smooth=1..100``): libjpeg's smoothing_factor, byte for byte.

The judges are cjpeg ``-smooth N`` (libjpeg-turbo 2.1.5) and Pillow's ``smooth=N``; the NumPy
stage is also held against the slow twin of tests/reference.py, and the strips' context rows
(the row above and the row below each strip, so that strips stay independent) against the
image's own rows.
"""

from __future__ import annotations

import io
import warnings

import numpy as np
import pytest
from oracle import photo, pillow_jpeg
from other_encoders import cjpeg
from reference import convert_to_ycbcr, downsample_plane, int_downsample_plane, smoothed_sample

import stripjpeg
from stripjpeg import backends
from stripjpeg.options import make_options
from stripjpeg.plan import make_plan
from stripjpeg.sources import image_strips
from stripjpeg.stages.samples import prepare_samples
from stripjpeg.strips import StripBuffer

#: cjpeg's -sample -> our subsampling.
SAMPLES = {"1x1": "4:4:4", "2x2": "4:2:0", "2x1": "4:2:2"}
#: Heights and widths where the edges are awkward: one pixel, partial blocks and MCUs, and
#: 16 k + 3 rows (several strips, the last of 3 rows).
SIZES = [(1, 1), (13, 7), (33, 17), (51, 37)]


def random_image(height: int, width: int, gray: bool, seed: int) -> np.ndarray:
    rng = np.random.default_rng(seed)
    return rng.integers(0, 256, (height, width) if gray else (height, width, 3), dtype=np.uint8)


def photo_crop(gray: bool = False) -> np.ndarray:
    """A real photograph, 67 x 83 (5 MCU rows of 16, the last of 3 rows)."""
    picture = np.ascontiguousarray(photo("astronaut")[101:168, 203:286])
    return np.ascontiguousarray(picture[:, :, 0]) if gray else picture


def quiet_encode(pixels: np.ndarray, **options) -> bytes:
    """encode(), with the warning 4:2:2 gives (tested on its own) silenced."""
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")
        return stripjpeg.encode(pixels, **options)


def streamed(pixels: np.ndarray, pieces: list[int], **options) -> bytes:
    """The image through ``Encoder`` in pieces of these heights, cycled."""
    out = io.BytesIO()
    height, width = pixels.shape[:2]
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")
        with stripjpeg.Encoder(out, width, height, "L" if pixels.ndim == 2 else "RGB", **options) as encoder:
            start, index = 0, 0
            while start < height:
                encoder.write(pixels[start:start + pieces[index % len(pieces)]])
                start += pieces[index % len(pieces)]
                index += 1
    return out.getvalue()


# --- cjpeg -smooth N ---------------------------------------------------------------------------

@pytest.mark.parametrize("height, width", SIZES)
@pytest.mark.parametrize("sample", [*SAMPLES, "gray"])
@pytest.mark.parametrize("restart_rows", [1, 0, 3])
def test_equals_cjpeg_smooth(height, width, sample, restart_rows, backend, tmp_path):
    gray = sample == "gray"
    pixels = random_image(height, width, gray, seed=height * width)
    factor = 1 + (height * 7 + width) % 100
    switches = ["-quality", "75", "-smooth", str(factor), "-restart", str(restart_rows)]
    if not gray:
        switches += ["-sample", sample]
    expected = cjpeg(pixels, tmp_path, *switches)
    options = dict(quality=75, smooth=factor, restart_rows=restart_rows, backend=backend,
                   subsampling=SAMPLES.get(sample, "4:4:4"))
    assert quiet_encode(pixels, **options) == expected
    if height > 1:
        assert streamed(pixels, [1, 5, 16, 19], **options) == expected


@pytest.mark.parametrize("sample", [*SAMPLES, "gray", "4x1", "1x2"])
@pytest.mark.parametrize("factor", [1, 50, 100])
def test_photo_equals_cjpeg_smooth(sample, factor, backend, tmp_path):
    """A real photo at every sampling, smoothing factors at both ends; 4x1 and 1x2 smooth the
    luma only, and their chroma is padded as libjpeg's context mode pads it."""
    gray = sample == "gray"
    pixels = photo_crop(gray)
    switches = ["-quality", "90", "-smooth", str(factor)] + ([] if gray else ["-sample", sample])
    subsampling = SAMPLES.get(sample, "4:4:4" if gray else sample.replace("1x2", "4:4:0"))
    options = dict(quality=90, smooth=factor, subsampling=subsampling, backend=backend)
    expected = cjpeg(pixels, tmp_path, *switches, "-restart", "1")
    assert quiet_encode(pixels, **options) == expected
    assert streamed(pixels, [7, 16, 3], **options) == expected
    assert quiet_encode(pixels, restart_rows=0, **options) == cjpeg(pixels, tmp_path, *switches)


@pytest.mark.slow
@pytest.mark.parametrize("sample", [*SAMPLES, "gray"])
def test_every_factor_equals_cjpeg(sample, tmp_path):
    """Every smoothing factor, 1..100, on the photo (the default run samples a few)."""
    gray = sample == "gray"
    pixels = photo_crop(gray)
    for factor in range(1, 101):
        switches = ["-quality", "75", "-smooth", str(factor), "-restart", "1"]
        expected = cjpeg(pixels, tmp_path, *switches, *([] if gray else ["-sample", sample]))
        assert quiet_encode(pixels, quality=75, smooth=factor, backend="numpy",
                            subsampling=SAMPLES.get(sample, "4:4:4")) == expected, factor


@pytest.mark.parametrize("mode", ["optimize", "progressive"])
@pytest.mark.parametrize("sample", ["1x1", "2x2", "gray"])
@pytest.mark.parametrize("restart_rows", [1, 0])
def test_optimize_and_progressive_equal_cjpeg(mode, sample, restart_rows, backend, tmp_path):
    gray = sample == "gray"
    pixels = photo_crop(gray)
    switches = ["-quality", "80", "-smooth", "20", "-restart", str(restart_rows), f"-{mode}"]
    expected = cjpeg(pixels, tmp_path, *switches, *([] if gray else ["-sample", sample]))
    options = dict(quality=80, smooth=20, restart_rows=restart_rows, backend=backend,
                   subsampling=SAMPLES.get(sample, "4:4:4"), **{mode: True})
    assert quiet_encode(pixels, **options) == expected
    assert streamed(pixels, [5, 33], **options) == expected


def test_every_door_and_worker_count(backend, tmp_path):
    """encode, save, iter_encode and Encoder, inline and on threads, all write cjpeg's file."""
    pixels = random_image(16 * 9 + 3, 45, gray=False, seed=11)
    expected = cjpeg(pixels, tmp_path, "-quality", "85", "-sample", "2x2", "-smooth", "60",
                     "-restart", "1")
    options = dict(quality=85, subsampling="4:2:0", smooth=60, backend=backend)
    for workers in (1, 2):
        assert stripjpeg.encode(pixels, workers=workers, **options) == expected
        assert streamed(pixels, [2, 17, 40], workers=workers, **options) == expected
    stripjpeg.save(tmp_path / "out.jpg", pixels, **options)
    assert (tmp_path / "out.jpg").read_bytes() == expected
    pieces = [pixels[start:start + 10] for start in range(0, pixels.shape[0], 10)]
    assert b"".join(stripjpeg.iter_encode(pieces, width=45, height=pixels.shape[0],
                                          **options)) == expected


@pytest.mark.parametrize("height, width, sample", [(64 * 2 + 3, 4096, "gray"), (128 + 19, 2048, "2x2")])
def test_several_serial_strips_equal_cjpeg(height, width, sample, backend, tmp_path):
    """Without restart markers a wide image still goes in several strips (plan.py's
    SERIAL_STRIP_PIXELS), each continuing the bit stream: their context rows too."""
    gray = sample == "gray"
    rng = np.random.default_rng(9)
    pixels = np.repeat(random_image(height, width // 8, gray, seed=3), 8, axis=1)
    pixels = np.clip(pixels.astype(int) + rng.integers(-3, 4, pixels.shape), 0, 255).astype(np.uint8)
    plan = make_plan(width, height, 1 if gray else 3, make_options(restart_rows=0, smooth=1,
                                                                    subsampling=SAMPLES.get(sample, "4:4:4")))
    assert plan.strip_count > 1
    switches = ["-quality", "75", "-smooth", "45", "-restart", "0"]
    expected = cjpeg(pixels, tmp_path, *switches, *([] if gray else ["-sample", sample]))
    options = dict(quality=75, smooth=45, restart_rows=0, backend=backend,
                   subsampling=SAMPLES.get(sample, "4:4:4"))
    assert stripjpeg.encode(pixels, **options) == expected
    assert streamed(pixels, [50, 7], **options) == expected


def test_dask_array_equals_cjpeg(tmp_path):
    """A lazy array's first and last strips gather their context rows lazily too."""
    dask_array = pytest.importorskip("dask.array")
    pixels = photo_crop()
    lazy = dask_array.from_array(pixels, chunks=(20, 83, 3))
    expected = cjpeg(pixels, tmp_path, "-quality", "75", "-sample", "2x2", "-smooth", "10",
                     "-restart", "1")
    assert stripjpeg.encode(lazy, quality=75, subsampling="4:2:0", smooth=10) == expected


# --- Pillow's smooth=N -------------------------------------------------------------------------

@pytest.mark.parametrize("subsampling", [0, 2])
@pytest.mark.parametrize("quality", [75, 90, 100])
@pytest.mark.parametrize("restart_rows", [0, 1])
def test_equals_pillow_smooth(subsampling, quality, restart_rows, backend):
    pixels = photo_crop()
    factor = quality // 3
    expected = pillow_jpeg(pixels, quality, subsampling, restart_rows, smooth=factor)
    assert stripjpeg.encode(pixels, quality=quality, subsampling=subsampling, smooth=factor,
                            restart_marker_rows=restart_rows, backend=backend) == expected


def test_pillow_gray_and_random_sizes(backend):
    for height, width in [(7, 13), (33, 17), (16 * 4 + 3, 29)]:
        for gray in (False, True):
            pixels = random_image(height, width, gray, seed=height + width)
            expected = pillow_jpeg(pixels, 90, 2, 0, smooth=40)
            assert stripjpeg.encode(pixels, quality=90, subsampling=2, smooth=40,
                                    restart_rows=0, backend=backend) == expected


def test_smooth_zero_and_none_change_nothing():
    pixels = photo_crop()
    plain = stripjpeg.encode(pixels, quality=75)
    assert stripjpeg.encode(pixels, quality=75, smooth=0) == plain
    assert stripjpeg.encode(pixels, quality=75, smooth=None) == plain
    assert stripjpeg.encode(pixels, quality=75, smooth=1) != plain


@pytest.mark.parametrize("value, error, match", [
    (-1, ValueError, r"smooth must be from 0 to 100, got -1"),
    (101, ValueError, r"smooth must be from 0 to 100, got 101"),
    (True, TypeError, r"smooth must be an int, got bool"),
    (2.0, TypeError, r"smooth must be an int, got float"),
    ("5", TypeError, r"smooth must be an int, got str"),
])
def test_bad_values(value, error, match):
    with pytest.raises(error, match=match):
        stripjpeg.encode(photo_crop(), smooth=value)
    with pytest.raises(error, match=match):
        make_options(smooth=value)


# --- which components libjpeg smooths -------------------------------------------------------

def test_2x1_chroma_is_not_smoothed_and_a_warning_says_so(tmp_path):
    pixels = photo_crop()
    with pytest.warns(UserWarning, match=r"smooth=30: .* not smoothed.*: component 2 "
                                         r"\(downsampled 2x1\), component 3 \(downsampled 2x1\)") as caught:
        data = stripjpeg.encode(pixels, quality=75, subsampling="4:2:2", smooth=30)
    assert caught[0].filename == __file__  # the caller's line, not the package's
    assert data == cjpeg(pixels, tmp_path, "-quality", "75", "-sample", "2x1", "-smooth", "30",
                         "-restart", "1")
    # The luma is smoothed all the same: not the bytes of smooth=0.
    assert data != stripjpeg.encode(pixels, quality=75, subsampling="4:2:2")


@pytest.mark.parametrize("subsampling", ["4:4:4", "4:2:0"])
def test_no_warning_when_every_component_is_smoothed(subsampling):
    with warnings.catch_warnings():
        warnings.simplefilter("error")
        stripjpeg.encode(photo_crop(), smooth=30, subsampling=subsampling)
        stripjpeg.encode(photo_crop(gray=True), smooth=30, subsampling=subsampling)


def test_nothing_smoothed_means_no_context_rows(tmp_path):
    """Factors where no component is full-size or 2x2: libjpeg smooths nothing and needs no
    context rows; the plan says so, and the bytes are those of smooth=0."""
    pixels = photo_crop()
    with pytest.warns(UserWarning, match="component 1 .* component 2 .* component 3"):
        plan = make_plan(83, 67, 3, make_options(smooth=30, subsampling="2x1,1x2,1x2"))
    assert (plan.smoothing, plan.context_rows) == (0, 0)
    expected = cjpeg(pixels, tmp_path, "-sample", "2x1,1x2,1x2", "-smooth", "30", "-restart", "1")
    assert quiet_encode(pixels, smooth=30, subsampling="2x1,1x2,1x2", quality=75) == expected
    assert stripjpeg.encode(pixels, subsampling="2x1,1x2,1x2", quality=75) == expected


def needs_numba():
    if "numba" not in backends.available():
        pytest.skip("numba is not installed")
    return backends.get("numba")


def test_numba_declines_only_its_fused_transform():
    """The fused transform kernel takes no context rows; numba's own stages serve smoothing,
    and its fused coding paths smooth first."""
    plan = make_plan(83, 67, 3, make_options(smooth=30, subsampling="4:2:0"))
    table = needs_numba().stage_table(plan)
    assert table.fallbacks == {"transform"}
    assert table.transform_fused is None and table.encode_strips_fused is not None
    assert table.prepare_samples != backends.base.NUMPY_STAGES["prepare_samples"]


@pytest.mark.parametrize("subsampling", ["4:4:4", "4:2:0", "4:2:2", "4x1"])
def test_numba_fused_coding_equals_the_composed_stages(subsampling):
    """encode_strips_fused and encode_strip_continued_fused against numba's stages one by one."""
    numba = needs_numba()
    pixels = random_image(16 * 3 + 5, 45, gray=False, seed=2)
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")
        plan = make_plan(45, pixels.shape[0], 3, make_options(smooth=55, subsampling=subsampling))
    table = numba.stage_table(plan)
    strips = list(image_strips(pixels, plan.strip_height, plan.context_rows))
    start = backends.EntropyState.start(plan)
    composed = [table.entropy_encode(table.transform(strip, plan), plan, start, True)[0] for strip in strips]
    assert table.encode_strips(strips, plan) == composed
    assert [table.encode_strip_continued(strip, plan, start, True)[0] for strip in strips] == composed


@pytest.mark.parametrize("subsampling, gray", [("4:4:4", False), ("4:2:0", False), ("4:2:2", False),
                                               ("1x2", False), ("4x1", False), ("4:2:0", True)])
@pytest.mark.parametrize("height, width", [(1, 1), (16 * 3 + 3, 37), (40, 64)])
def test_numba_stage_equals_numpy_stage(subsampling, gray, height, width):
    numba = needs_numba()
    pixels = random_image(height, width, gray, seed=height + width)
    pixels3 = pixels[:, :, np.newaxis] if gray else pixels
    for factor in (1, 77, 100):
        with warnings.catch_warnings():
            warnings.simplefilter("ignore")
            plan = make_plan(width, height, 1 if gray else 3,
                             make_options(smooth=factor, subsampling=subsampling))
        for strip in image_strips(pixels3, plan.strip_height, plan.context_rows):
            ours = numba.prepare_samples(strip, plan)
            for index, (fast, plain) in enumerate(zip(ours, prepare_samples(strip, plan))):
                np.testing.assert_array_equal(fast, plain, err_msg=f"component {index}, smooth={factor}")


# --- the stage against the slow twin ------------------------------------------------------------

def twin_samples(pixels: np.ndarray, plan, component_index: int, rows: range, cols: int) -> np.ndarray:
    """The component's samples at image sample rows ``rows`` (its own resolution), columns
    0..cols-1, from reference.py: the smoothing rule sample by sample where libjpeg smooths,
    else its downsampler over the edge-replicated plane (context mode replicates the last
    pixel row down to whole blocks)."""
    plane = convert_to_ycbcr(pixels)[component_index] if plan.input_channels == 3 else \
        convert_to_ycbcr(pixels)[0]
    component = plan.components[component_index]
    h, v = plan.hmax // component.h, plan.vmax // component.v
    if plan.is_smoothed(component):
        return np.array([[smoothed_sample(plane, h, plan.smoothing, row, col) for col in range(cols)]
                         for row in rows])
    height, width = len(plane), len(plane[0])
    clamped = [[plane[min(y, height - 1)][min(x, width - 1)] for x in range(cols * h)]
               for y in range(rows.start * v, rows.stop * v)]
    if (h, v) in ((2, 1), (2, 2)):
        return np.array(downsample_plane(clamped, h, v))
    return np.array(int_downsample_plane(clamped, h, v))


@pytest.mark.parametrize("subsampling, gray", [("4:4:4", False), ("4:2:0", False),
                                               ("4:2:2", False), ("1x2", False), ("4:2:0", True)])
@pytest.mark.parametrize("factor", [1, 64, 100])
def test_numpy_stage_equals_the_twin(subsampling, gray, factor):
    height, width = 16 * 2 + 5, 21
    pixels = random_image(height, width, gray, seed=factor)
    pixels3 = pixels[:, :, np.newaxis] if gray else pixels
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")
        plan = make_plan(width, height, 1 if gray else 3,
                         make_options(smooth=factor, subsampling=subsampling, restart_rows=1))
    assert plan.context_rows == 1
    top = 0
    for strip in image_strips(pixels3, plan.strip_height, plan.context_rows):
        rows = plan.strip_rows(strip)
        for index, samples in enumerate(prepare_samples(strip, plan)):
            component = plan.components[index]
            v = plan.vmax // component.v
            first = top // v
            expected = twin_samples(pixels3, plan, index, range(first, first + samples.shape[0]),
                                    samples.shape[1])
            np.testing.assert_array_equal(samples, expected, err_msg=f"component {index}, row {top}")
        top += rows


# --- the context rows the strips carry ----------------------------------------------------------

@pytest.mark.parametrize("pieces", [[1], [3, 1, 40], [16], [17], [100]])
def test_strip_buffer_gives_each_strip_its_neighbours_rows(pieces):
    height = 16 * 4 + 3
    image = random_image(height, 9, gray=False, seed=5)
    plan = make_plan(9, height, 3, make_options(smooth=5, subsampling="4:2:0"))
    buffer = StripBuffer(plan)
    strips, start, index = [], 0, 0
    while start < height:
        piece = image[start:start + pieces[index % len(pieces)]].copy()
        strips += buffer.add(buffer.check(piece, 3))
        assert buffer.buffered_rows <= plan.strip_height + 1
        assert not any(np.shares_memory(strip, piece) for strip in strips)
        piece[...] = 0  # the caller reuses its buffer: the strips must not change
        start += pieces[index % len(pieces)]
        index += 1
    assert buffer.complete and buffer.buffered_rows == 0
    expected = list(image_strips(image, plan.strip_height, 1))
    assert len(strips) == len(expected) == plan.strip_count
    for number, (strip, want) in enumerate(zip(strips, expected)):
        first = number * plan.strip_height
        rows = np.clip(np.arange(first - 1, min(first + plan.strip_height, height) + 1), 0, height - 1)
        np.testing.assert_array_equal(want, image[rows])
        np.testing.assert_array_equal(strip, want)
