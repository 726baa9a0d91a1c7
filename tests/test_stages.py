"""The NumPy stages' own parts (colour, downsampling, DCTs, dummy blocks, encode_block, the
optimal tables) against the slow reference written from the standard's text
(tests/reference.py). Every backend's implementation of each whole stage is checked in
tests/test_backend_stages.py."""

import numpy as np
import pytest
import reference as twin
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st
from reference import downsample_plane, exact_dct, ycbcr_pixel
from strategies import images

from stripjpeg.optimize import optimal_huffman_spec
from stripjpeg.options import EncodeOptions
from stripjpeg.plan import make_plan
from stripjpeg.stages.dct import descale, forward_dct_exact, forward_dct_islow, islow_butterfly
from stripjpeg.stages.huffman import encode_block, huffman_events
from stripjpeg.stages.samples import convert_to_ycbcr, downsample

# The backend fixture is only a name: nothing in it needs resetting between examples.
settings.register_profile("stages", max_examples=120, deadline=None,
                          suppress_health_check=[HealthCheck.function_scoped_fixture])
settings.load_profile("stages")


def test_colour_conversion_every_grey_and_corner():
    values = np.array([0, 1, 127, 128, 254, 255])
    r, g, b = np.meshgrid(values, values, values, indexing="ij")
    pixels = np.stack([r, g, b], -1).reshape(1, -1, 3).astype(np.uint8)
    planes = convert_to_ycbcr(pixels)
    for i, (rr, gg, bb) in enumerate(pixels[0]):
        assert tuple(int(p[0, i]) for p in planes) == ycbcr_pixel(int(rr), int(gg), int(bb))


@given(images(3, 7, 3))
def test_colour_conversion_random(pixels):
    planes = convert_to_ycbcr(pixels)
    for y in range(3):
        for x in range(7):
            expected = ycbcr_pixel(*(int(c) for c in pixels[y, x]))
            assert tuple(int(p[y, x]) for p in planes) == expected


@given(images(4, 8, 1), st.sampled_from([(2, 1), (2, 2)]))
def test_downsampling(plane, ratio):
    plane = plane.astype(np.int32)
    h, v = ratio
    assert downsample(plane, h, v).tolist() == downsample_plane(plane.tolist(), h, v)


@given(images(8, 8, 1))
def test_exact_dct_is_the_formula(pixels):
    block = pixels.astype(np.int64) - 128
    assert np.allclose(forward_dct_exact(block), exact_dct(block), atol=1e-9)


@given(images(8, 8, 1))
def test_islow_dct_is_within_rounding_of_the_formula(pixels):
    block = pixels.astype(np.int64) - 128
    # libjpeg's integer DCT returns 8x the coefficients; its 13-bit constants and two
    # rounding shifts keep it within a quarter of a unit of the exact value.
    islow = forward_dct_islow(block) / 8
    assert np.abs(islow - exact_dct(block)).max() < 0.25  # 0.19 worst seen in 400k blocks


def test_dummy_blocks_copy_the_dc_libjpeg_copies():
    # One real block of an MCU that is 2x2 blocks: every dummy takes its DC, AC zero.
    real = [[[5] + [3] * 63]]
    padded = twin.add_dummy_blocks(real, 2, 2)
    assert [[block[0] for block in row] for row in padded] == [[5, 5], [5, 5]]
    assert all(block[1:] == [0] * 63 for row in padded for block in row[1:]) and padded[1][0][1:] == [0] * 63
    # Two real blocks across, one row: the dummy row under each MCU takes that MCU's last DC.
    real = [[[1] + [0] * 63, [2] + [0] * 63, [7] + [0] * 63]]
    padded = twin.add_dummy_blocks(real, 2, 2)
    assert [[block[0] for block in row] for row in padded] == [[1, 2, 7, 7], [2, 2, 7, 7]]


def test_islow_dct_in_32_bits_equals_64_bits_on_extreme_blocks():
    from stripjpeg.tables import CONST_BITS, PASS1_BITS

    rng = np.random.default_rng(11)
    extreme = np.where(rng.random((100_000, 8, 8)) < 0.5, -128, 127)       # every sign pattern's worst
    random = rng.integers(-128, 128, (100_000, 8, 8))
    stripes = np.where((np.arange(8) % 2)[None, :, None] ^ (np.arange(8) % 2)[None, None, :], -128, 127)
    blocks = np.concatenate([extreme, random, stripes])
    wide = blocks.astype(np.int64)
    rows = descale(islow_butterfly(wide), CONST_BITS - PASS1_BITS)
    reference = descale(islow_butterfly(rows.swapaxes(-1, -2)), CONST_BITS + PASS1_BITS).swapaxes(-1, -2)
    np.testing.assert_array_equal(forward_dct_islow(blocks), reference)


# --- encode_block, the definition, against the whole-array coder --------------------------

def _runs_block(pairs: list[tuple[int, int]], dc: int) -> list[int]:
    """A zigzag block from (zeros before, non-zero value) pairs; zeros after the last."""
    zigzag = [dc] + [0] * 63
    k = 1
    for run, value in pairs:
        k += run
        if k > 63:
            break
        zigzag[k] = value
        k += 1
    return zigzag


nonzero = st.integers(-1023, 1023).filter(bool)
# DC values at both ends of the 11-bit range make DIFFs of +-2047 (SSSS 11).
dc_values = st.one_of(st.integers(-1024, 1023), st.sampled_from([-1024, -1023, 1023, 1022, 0]))
dense_block = st.builds(lambda dc, ac: [dc, *ac], dc_values, st.lists(nonzero, min_size=63, max_size=63))
random_block = st.builds(lambda dc, ac: [dc, *ac], dc_values,
                         st.lists(st.one_of(st.just(0), nonzero), min_size=63, max_size=63))
# Runs of up to 62 zeros: ZRLs (16 or more before a value), and trailing zeros (EOB).
runs_block = st.builds(lambda dc, pairs: _runs_block(pairs, dc), dc_values,
                       st.lists(st.tuples(st.integers(0, 62), nonzero), max_size=20))
extreme_block = st.builds(lambda dc, ac: [dc, *ac], st.sampled_from([-1024, 1023]),
                          st.lists(st.sampled_from([0, 1, -1, 1023, -1023]), min_size=63, max_size=63))
any_block = st.one_of(dense_block, random_block, runs_block, extreme_block)


@settings(max_examples=150, deadline=None)
@given(st.lists(st.tuples(st.integers(0, 2), any_block), min_size=1, max_size=12),
       st.sampled_from(["4:4:4", "4:2:0"]))
def test_whole_array_coder_is_encode_block_for_many_blocks(blocks, subsampling):
    plan = make_plan(16, 16, 3, EncodeOptions(subsampling=subsampling))
    component = np.array([c for c, _ in blocks], dtype=np.intp)
    zigzag = np.array([b for _, b in blocks], dtype=np.int32)
    values, lengths, predictors = huffman_events(zigzag, component, plan, (0, 0, 0))
    ours = "".join(format(int(v), f"0{int(n)}b") for v, n in zip(values, lengths) if n)

    expected, last = [], [0, 0, 0]
    for index, block in blocks:
        table = plan.components[index].huffman_index
        coded, last[index] = encode_block(block, last[index], plan.dc_codes[table], plan.ac_codes[table])
        for c in coded:
            expected.append(format(c.code, f"0{c.code_length}b") + (format(c.amplitude, f"0{c.size}b")
                                                                     if c.size else ""))
    assert ours == "".join(expected)
    assert predictors == tuple(last)


def test_encode_block_symbols_zrl_eob_and_ones_complement():
    plan = make_plan(8, 8, 1, EncodeOptions())
    # 20 zeros, -3, then zeros to the end: DIFF -5, one ZRL, run 4 of size 2, EOB.
    block = _runs_block([(20, -3)], dc=-5)
    coded, predictor = encode_block(block, 0, plan.dc_codes[0], plan.ac_codes[0])
    assert [(c.kind, c.symbol, c.value, c.amplitude, c.size) for c in coded] == [
        ("DC", 3, -5, 0b010, 3), ("ZRL", 0xF0, 0, 0, 0), ("AC", 0x42, -3, 0b00, 2), ("EOB", 0x00, 0, 0, 0)]
    assert predictor == -5
    # 15 zeros fit RRRR; 16 need a ZRL and run 0; coefficient 63 non-zero: no EOB.
    block = [7] + [0] * 15 + [1] + [0] * 16 + [-1] + [2] * 30
    coded, _ = encode_block(block, 7, plan.dc_codes[0], plan.ac_codes[0])
    assert [(c.kind, c.symbol) for c in coded] == [("DC", 0), ("AC", 0xF1), ("ZRL", 0xF0), ("AC", 0x01)] + [
        ("AC", 0x02)] * 30


# --- optimal Huffman tables against T.81 K.2 transcribed -----------------------------------

def _spec_or_error(frequencies):
    try:
        spec = optimal_huffman_spec(np.array(frequencies, dtype=np.int64))
        return spec.bits, spec.huffval
    except ValueError:
        return "too long"


def _twin_spec_or_error(frequencies):
    try:
        return twin.optimal_huffman_spec(frequencies)
    except ValueError:
        return "too long"


# Powers of two and Fibonacci-like counts make codes far longer than 16 bits (Adjust_BITS).
skewed_count = st.integers(0, 24).map(lambda e: 0 if e == 0 else 2 ** (e - 1))
counts = st.one_of(st.integers(0, 5), st.integers(0, 10_000), skewed_count)


@settings(max_examples=300, deadline=None)
@given(st.lists(st.tuples(st.integers(0, 255), counts), min_size=1, max_size=256),
       st.integers(0, 255))
def test_optimal_huffman_spec_is_annex_k2(pairs, always):
    frequencies = [0] * 256
    for symbol, count in pairs:
        frequencies[symbol] = count
    frequencies[always] = max(frequencies[always], 1)  # at least one symbol occurs
    assert _spec_or_error(frequencies) == _twin_spec_or_error(frequencies)


@pytest.mark.parametrize("n", [18, 25, 31, 33])
def test_optimal_huffman_spec_shortens_codes_of_doubling_counts(n):
    # Counts 1, 2, 4, ... 2**(n-1) build a chain: code lengths up to n (+1 for FREQ(256)),
    # so Adjust_BITS must run; at n = 33 they pass libjpeg's 32-bit limit.
    frequencies = [2 ** k for k in range(n)] + [0] * (256 - n)
    if n > 31:
        with pytest.raises(ValueError):
            twin.optimal_huffman_spec(frequencies)
        assert _spec_or_error(frequencies) == "too long"
        return
    bits, huffval = twin.optimal_huffman_spec(frequencies)
    assert sum(bits) == n and sorted(huffval) == list(range(n))
    assert bits[15] > 1  # several codes were cut down to 16 bits
    assert _spec_or_error(frequencies) == (bits, huffval)
