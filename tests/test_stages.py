"""Each vectorized stage against the slow reference written from the standard's text."""

import numpy as np
from hypothesis import given, settings
from hypothesis import strategies as st
from reference import downsample_plane, exact_dct, huffman_encode, ycbcr_pixel
from strategies import coefficient_blocks, images

from stripjpeg.backends import EntropyState
from stripjpeg.backends.numpy_backend import (
    convert_to_ycbcr,
    downsample,
    forward_dct_float,
    forward_dct_islow,
)
from stripjpeg.backends.numpy_huffman import encode_block, entropy_encode, huffman_events
from stripjpeg.options import EncodeOptions
from stripjpeg.plan import make_plan

settings.register_profile("stages", max_examples=120, deadline=None)
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
def test_float_dct_is_the_formula(pixels):
    block = pixels.astype(np.int64) - 128
    assert np.allclose(forward_dct_float(block), exact_dct(block), atol=1e-9)


@given(images(8, 8, 1))
def test_islow_dct_is_within_rounding_of_the_formula(pixels):
    block = pixels.astype(np.int64) - 128
    # libjpeg's integer DCT returns 8x the coefficients; its 13-bit constants and two
    # rounding shifts keep it within a quarter of a unit of the exact value.
    islow = forward_dct_islow(block) / 8
    assert np.abs(islow - exact_dct(block)).max() < 0.25  # 0.19 worst seen in 400k blocks


@given(st.data())
def test_entropy_coder_matches_bit_by_bit_reference(data):
    subsampling = data.draw(st.sampled_from(["4:4:4", "4:2:2", "4:2:0"]))
    plan = make_plan(24, 16, 3, EncodeOptions(subsampling=subsampling))
    magnitude = data.draw(st.sampled_from([1, 3, 40, 1023]))
    layouts = plan.strip_layout(16)
    blocks = []
    for layout in layouts:
        shape = (layout.block_rows, layout.block_cols, 8, 8)
        # Of a drawn density: sparse blocks give long zero runs (ZRL) and EOBs.
        blocks.append(data.draw(coefficient_blocks(shape, magnitude)))
    ours, _ = entropy_encode(blocks, plan, EntropyState.start(plan), final=True)

    in_order = []
    for mcu_row in range(layouts[0].block_rows // plan.components[0].mcu_v):
        for mcu_col in range(plan.mcus_per_row):
            for index, component in enumerate(plan.components):
                for dy in range(component.mcu_v):
                    for dx in range(component.mcu_h):
                        block = blocks[index][mcu_row * component.mcu_v + dy,
                                              mcu_col * component.mcu_h + dx]
                        in_order.append((index, block))
    dc = [plan.dc_codes[c.huffman_index] for c in plan.components]
    ac = [plan.ac_codes[c.huffman_index] for c in plan.components]
    assert ours == huffman_encode(in_order, dc, ac, 3)


def test_islow_dct_in_32_bits_equals_64_bits_on_extreme_blocks():
    from stripjpeg.backends.numpy_backend import CONST_BITS, PASS1_BITS, descale, islow_butterfly

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
