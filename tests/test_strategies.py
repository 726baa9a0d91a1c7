"""The image strategy of tests/strategies.py draws images with content: few flat ones, the
extreme values 0 and 255, noise-like and smooth-like images, and images holding both busy and
smooth 8 x 8 blocks. The same measures applied to plain `arrays(np.uint8, shape)` fail."""

from __future__ import annotations

import numpy as np
from hypothesis import HealthCheck, Phase, given, settings
from hypothesis import strategies as st
from hypothesis.extra.numpy import arrays
from strategies import coefficient_blocks, images

DRAWS = 200


def measure(image: np.ndarray) -> dict[str, bool]:
    """Facts about one image (at least 8 x 8)."""
    values = image.astype(int)
    planes = values if values.ndim == 3 else values[:, :, None]
    counts = np.bincount(values.ravel(), minlength=256)
    # Mean absolute difference between horizontal neighbours: about 85 for uniform noise,
    # under 8 for gradients (a full ramp over 32 columns), 0 for flat planes.
    activity = np.abs(np.diff(planes, axis=1)).mean()
    blocks = [planes[y:y + 8, x:x + 8] for y in range(0, planes.shape[0] - 7, 8)
              for x in range(0, planes.shape[1] - 7, 8)]
    block_activity = [np.abs(np.diff(block, axis=1)).mean() for block in blocks]
    return {
        "flat": counts.max() >= 0.9 * values.size,
        "has_0": counts[0] > 0,
        "has_255": counts[255] > 0,
        "noise_like": activity > 30,
        "smooth_like": activity < 8 and counts.max() < 0.5 * values.size and np.count_nonzero(counts) >= 8,
        "busy_and_smooth_blocks": max(block_activity) > 30 and min(block_activity) < 8,
    }


def statistics(strategy_for) -> dict[str, float]:
    """The fraction of DRAWS images for which each measure holds; strategy_for(h, w, c) gives
    the strategy of an image of that shape."""
    seen: list[dict[str, bool]] = []

    @settings(max_examples=DRAWS, database=None, derandomize=True, phases=[Phase.generate],
              deadline=None, suppress_health_check=list(HealthCheck))
    @given(st.data(), st.integers(8, 40), st.integers(8, 40), st.sampled_from([1, 3, 4]))
    def draw(data, height, width, channels):
        image = data.draw(strategy_for(height, width, channels))
        assert image.dtype == np.uint8
        assert image.shape == ((height, width) if channels == 1 else (height, width, channels))
        seen.append(measure(image))

    draw()
    assert len(seen) == DRAWS
    return {key: sum(facts[key] for facts in seen) / len(seen) for key in seen[0]}


def good_enough(stats: dict[str, float]) -> list[str]:
    """The measures an image strategy for these tests must meet (empty: all met)."""
    wanted = {"flat": stats["flat"] < 0.10, "has_0": stats["has_0"] > 0.5, "has_255": stats["has_255"] > 0.5,
              "noise_like": stats["noise_like"] > 0.1, "smooth_like": stats["smooth_like"] > 0.1,
              "busy_and_smooth_blocks": stats["busy_and_smooth_blocks"] > 0.05}
    return [key for key, ok in wanted.items() if not ok]


def test_images_have_content() -> None:
    stats = statistics(images)
    assert good_enough(stats) == [], stats


def test_plain_arrays_are_nearly_all_flat() -> None:
    """The control: hypothesis' default arrays fill nearly every image with one value."""
    stats = statistics(lambda height, width, channels: arrays(
        np.uint8, (height, width) if channels == 1 else (height, width, channels)))
    assert stats["flat"] > 0.5, stats
    assert "flat" in good_enough(stats)


@settings(max_examples=50, deadline=None)
@given(st.sampled_from([1, 3, 40, 1023]), st.data())
def test_coefficient_blocks_stay_in_range_and_vary_in_density(magnitude, data) -> None:
    blocks = data.draw(coefficient_blocks((2, 3, 8, 8), magnitude))
    assert blocks.dtype == np.int16 and blocks.shape == (2, 3, 8, 8)
    assert np.abs(blocks).max() <= magnitude


def test_coefficient_blocks_have_sparse_and_dense_draws() -> None:
    zeros = []

    @settings(max_examples=100, database=None, derandomize=True, phases=[Phase.generate])
    @given(coefficient_blocks((2, 3, 8, 8), 40))
    def draw(blocks):
        zeros.append(np.mean(blocks == 0))

    draw()
    assert min(zeros) < 0.1 and max(zeros) > 0.9  # dense draws and sparse (long zero runs) ones
