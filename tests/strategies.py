"""Hypothesis strategies for test images with content: dense noise, gradients, hard edges, flat
regions and saturated values, mixed in one image, so that both smooth and busy 8 x 8 blocks occur.

Why not `hypothesis.extra.numpy.arrays(np.uint8, shape)`: it draws a few elements and fills all
the others with one value, so nearly every image is flat (in 120 draws of 30 x 30 x 3, every one
was at least 90% a single value), which leaves most of the DCT, quantization and Huffman paths
untested. tests/test_strategies.py measures what these strategies draw instead.

Shrinking: the layout (which kinds, where, which levels) is drawn from hypothesis, so a failure
shrinks towards fewer, simpler layers. Noise is drawn as a seed for numpy's Generator (drawing
every one of thousands of pixels from hypothesis would overrun its buffer), so noise shrinks to
seed 0, not to fewer noisy pixels; a failing example is still reproduced exactly by its seed.
"""

from __future__ import annotations

import numpy as np
from hypothesis import strategies as st

# The first kind is the simplest: hypothesis shrinks a layer's kind towards it.
KINDS = ("flat", "gradient", "edges", "saturated", "noise")
LEVELS = st.one_of(st.sampled_from([0, 255, 1, 254, 128]), st.integers(0, 255))


@st.composite
def split(draw: st.DrawFn, height: int, width: int) -> np.ndarray:
    """A (height, width, 1) bool mask: the side of a vertical, horizontal or diagonal line."""
    y = np.arange(height)[:, None, None]
    x = np.arange(width)[None, :, None]
    direction = draw(st.sampled_from(["vertical", "horizontal", "diagonal"]))
    if direction == "vertical":
        return x < draw(st.integers(min(1, width), max(width - 1, 1)))
    if direction == "horizontal":
        return y < draw(st.integers(min(1, height), max(height - 1, 1)))
    return (x + y) < draw(st.integers(1, height + width - 1))


@st.composite
def layer(draw: st.DrawFn, shape: tuple[int, int, int], kind: str) -> np.ndarray:
    """One (height, width, channels) int array in 0..255 of the given kind."""
    height, width, channels = shape
    y = np.arange(height)[:, None, None]
    x = np.arange(width)[None, :, None]
    if kind == "flat":
        return np.broadcast_to(np.array([draw(LEVELS) for _ in range(channels)]), shape).copy()
    if kind == "gradient":
        # A ramp from one level to another along a drawn direction, per channel.
        start = np.array([draw(LEVELS) for _ in range(channels)])
        end = np.array([draw(LEVELS) for _ in range(channels)])
        end = np.where(end == start, 255 - start, end)               # a ramp, not a flat plane
        dy, dx = draw(st.sampled_from([(0, 1), (1, 0), (1, 1), (1, -1), (2, 1)]))
        t = dy * y + dx * (x if dx > 0 else width - 1 - x)
        t = t / max(int(t.max()), 1)
        return np.rint(start + (end - start) * t).astype(np.int64) + np.zeros(shape, np.int64)
    if kind == "edges":
        # Two levels meeting at a drawn line: vertical, horizontal or diagonal.
        a = np.array([draw(LEVELS) for _ in range(channels)])
        b = np.array([draw(LEVELS) for _ in range(channels)])
        b = np.where(b == a, 255 - a, b)
        return np.where(draw(split(height, width)), a, b) + np.zeros(shape, np.int64)
    if kind == "saturated":
        # Only 0 and 255, in squares of a drawn size (1: a checkerboard of single pixels).
        size = draw(st.sampled_from([1, 2, 3, 8]))
        checker = ((y // size + x // size) % 2).astype(bool)
        per_channel = np.array([draw(st.booleans()) for _ in range(channels)])
        return np.where(checker ^ per_channel, 255, 0) + np.zeros(shape, np.int64)
    # "noise": uniform over a drawn range around a drawn level (the full range: pure noise).
    rng = np.random.default_rng(draw(st.integers(0, 2**32 - 1)))
    amplitude = draw(st.sampled_from([128, 40, 8]))
    centre = draw(LEVELS)
    low, high = max(centre - amplitude, 0), min(centre + amplitude, 255)
    return rng.integers(low, high + 1, shape)


@st.composite
def images(draw: st.DrawFn, height: int, width: int, channels: int) -> np.ndarray:
    """A uint8 image, (height, width) if channels == 1 else (height, width, channels): a base
    layer of a drawn kind (or two, on either side of a line), with up to three rectangles of
    other kinds drawn over it."""
    shape = (height, width, channels)
    pixels = draw(layer(shape, draw(st.sampled_from(KINDS[1:]))))    # a flat base is too common
    if draw(st.booleans()):
        other = draw(layer(shape, draw(st.sampled_from(KINDS))))
        pixels = np.where(draw(split(height, width)), pixels, other)
    for _ in range(draw(st.integers(0, 3))):
        top, left = draw(st.integers(0, height - 1)), draw(st.integers(0, width - 1))
        bottom, right = draw(st.integers(top + 1, height)), draw(st.integers(left + 1, width))
        patch = draw(layer((bottom - top, right - left, channels), draw(st.sampled_from(KINDS))))
        pixels[top:bottom, left:right] = patch
    pixels = pixels.astype(np.uint8)
    return pixels[:, :, 0] if channels == 1 else pixels


@st.composite
def coefficient_blocks(draw: st.DrawFn, shape: tuple[int, ...], magnitude: int) -> np.ndarray:
    """int16 quantized coefficients in -magnitude..magnitude, of a drawn density (sparse blocks
    give long zero runs, ZRL and EOB; dense ones every AC symbol). Drawn from a seed, as noise."""
    rng = np.random.default_rng(draw(st.integers(0, 2**32 - 1)))
    density = draw(st.sampled_from([1.0, 0.5, 0.1, 0.02]))
    values = rng.integers(-magnitude, magnitude + 1, shape)
    return np.where(rng.random(shape) < density, values, 0).astype(np.int16)
