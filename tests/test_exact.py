"""stripjpeg writes exactly the bytes Pillow (libjpeg-turbo) writes, for the same pixels
and settings: every quality, subsampling, mode, size and restart setting."""

import numpy as np
import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st
from oracle import PHOTOS, photo, pillow_jpeg, synthetic_cases
from strategies import images

import stripjpeg

SUBSAMPLINGS = ("4:4:4", "4:2:2", "4:2:0")
SIZES = [(1, 1), (1, 2), (2, 1), (7, 9), (8, 8), (9, 7), (15, 17), (16, 16), (17, 15),
         (16, 33), (31, 33), (33, 47), (47, 18)]


def _image(height, width, channels, seed=0):
    rng = np.random.default_rng(seed + height * 1000 + width)
    y, x = np.mgrid[0:height, 0:width]
    # Smooth structure plus noise: exercises both small and large coefficients.
    base = (x * 7 + y * 3)[..., None] + np.arange(channels) * 60
    noise = rng.integers(-40, 41, (height, width, channels))
    image = np.clip(base % 256 + noise, 0, 255).astype(np.uint8)
    return image[:, :, 0] if channels == 1 else image


@pytest.mark.parametrize("quality", range(1, 101))
def test_every_quality(quality, backend):
    image = _image(21, 37, 3, seed=quality)
    for subsampling in SUBSAMPLINGS:
        assert stripjpeg.encode(image, quality, subsampling, backend=backend) == \
            pillow_jpeg(image, quality, subsampling)


@pytest.mark.parametrize("size", SIZES, ids=lambda s: f"{s[0]}x{s[1]}")
@pytest.mark.parametrize("channels", [1, 3, 4], ids=["L", "RGB", "RGBA"])
def test_sizes_modes_subsampling_restarts(size, channels, backend):
    image = _image(*size, channels)
    for subsampling in SUBSAMPLINGS:
        for restart_rows in (0, 1, 2):
            for quality in (100, 75):
                ours = stripjpeg.encode(image, quality, subsampling, restart_rows=restart_rows,
                                        backend=backend)
                assert ours == pillow_jpeg(image, quality, subsampling, restart_rows), \
                    (subsampling, restart_rows, quality)


@pytest.mark.parametrize("name", PHOTOS)
@pytest.mark.parametrize("quality,subsampling,restart_rows", [
    (100, "4:4:4", 1), (90, "4:4:4", 0), (75, "4:2:0", 1), (75, "4:2:2", 3), (50, "4:2:0", 0),
    (10, "4:2:0", 7),
])
def test_photos(name, quality, subsampling, restart_rows, backend):
    image = photo(name)
    ours = stripjpeg.encode(image, quality, subsampling, restart_rows=restart_rows, backend=backend)
    assert ours == pillow_jpeg(image, quality, subsampling, restart_rows)


@pytest.mark.parametrize("name", sorted(synthetic_cases()))
def test_synthetic_edge_cases(name, backend):
    image = synthetic_cases()[name]
    for quality in (100, 95, 50, 1):
        for subsampling in SUBSAMPLINGS:
            for restart_rows in (0, 1):
                ours = stripjpeg.encode(image, quality, subsampling, restart_rows=restart_rows,
                                        backend=backend)
                assert ours == pillow_jpeg(image, quality, subsampling, restart_rows)


def test_restart_rows_larger_than_image(backend):
    image = _image(20, 30, 3)
    for restart_rows in (3, 100, 4000):
        ours = stripjpeg.encode(image, restart_rows=restart_rows, backend=backend)
        assert ours == pillow_jpeg(image, 100, "4:4:4", restart_rows)


def test_restart_interval_capped_at_65535(backend):
    # 8188 MCUs per row x 9 rows would be 73692; libjpeg caps the DRI value at 65535, which
    # for an image of one MCU row still means "one interval". (65500 is libjpeg's widest.)
    image = np.full((8, 65500), 77, np.uint8)
    image[:, ::3] = 200
    assert stripjpeg.encode(image, restart_rows=9, backend=backend) == pillow_jpeg(image, 100, "4:4:4", 9)


def test_capped_restart_interval_that_would_split_rows_is_refused():
    image = np.zeros((80, 65500), np.uint8)
    with pytest.raises(ValueError, match="restart_rows <= 8"):
        stripjpeg.encode(image, restart_rows=9)


@pytest.mark.parametrize("layout", ["fortran", "negative_strides", "readonly_memmap", "sliced"])
def test_memory_layouts_give_the_same_bytes(layout, tmp_path, backend):
    image = _image(29, 43, 3)
    expected = pillow_jpeg(image, 90, "4:2:0")
    if layout == "fortran":
        variant = np.asfortranarray(image)
    elif layout == "negative_strides":
        variant = np.flip(np.flip(image, (0, 1)).copy(), (0, 1))
        assert variant.strides[0] < 0 and variant.strides[1] < 0
    elif layout == "readonly_memmap":
        path = tmp_path / "pixels.npy"
        np.save(path, image)
        variant = np.load(path, mmap_mode="r")
    else:
        wide = np.zeros((29, 86, 3), np.uint8)
        wide[:, ::2] = image
        variant = wide[:, ::2]
    assert stripjpeg.encode(variant, 90, "4:2:0", backend=backend) == expected


@settings(max_examples=300, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(
    data=st.data(),
    height=st.integers(1, 40),
    width=st.integers(1, 40),
    channels=st.sampled_from([1, 3, 4]),
    quality=st.integers(1, 100),
    subsampling=st.sampled_from(SUBSAMPLINGS),
    restart_rows=st.sampled_from([0, 1, 2, 5]),
)
def test_hypothesis_images(data, height, width, channels, quality, subsampling, restart_rows):
    image = data.draw(images(height, width, channels))
    expected = pillow_jpeg(image, quality, subsampling, restart_rows)
    for name in stripjpeg.backends.available():
        assert stripjpeg.encode(image, quality, subsampling, restart_rows=restart_rows,
                                backend=name) == expected
