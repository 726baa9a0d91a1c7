"""One test per stage: every backend's implementation of it (as its stage table picks it)
equals the NumPy stage and the slow reference written from the standard's text
(tests/reference.py), on dense random inputs; then the fallback switch and the choice itself.

Together these make "every backend writes the same bytes" hold by construction: the table
only ever composes stages that each equal the NumPy stage."""

import numpy as np
import pytest
import reference as twin
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st
from hypothesis.extra.numpy import arrays
from strategies import coefficient_blocks, images

import stripjpeg
from stripjpeg import backends
from stripjpeg.backends import FALLBACK_VARIABLE, STAGES, EntropyState
from stripjpeg.backends.base import FUSED, NUMPY_STAGES
from stripjpeg.optimize import optimal_huffman_spec
from stripjpeg.options import EncodeOptions
from stripjpeg.plan import make_plan
from stripjpeg.progressive_encoder import scan_code_arrays
from stripjpeg.stages import huffman, progressive
from stripjpeg.stages.progressive import ScanState
from stripjpeg.stages.quantize import quantized_blocks
from stripjpeg.stages.samples import prepare_samples

# The backend fixture is only a name: nothing in it needs resetting between examples.
settings.register_profile("backend_stages", max_examples=25, deadline=None,
                          suppress_health_check=[HealthCheck.function_scoped_fixture])
settings.load_profile("backend_stages")


def dense(dtype, shape, low: int, high: int):
    """Arrays with every element drawn independently: arrays()' default fill makes most
    elements one repeated value, which hides nearly every bug of a vectorized stage."""
    return arrays(dtype, shape, elements=st.integers(low, high), fill=st.nothing())


@st.composite
def strips(draw, dct: str = "islow"):
    """A plan of drawn size, channels, subsampling and quality, and its first strip's pixels
    (partial MCU rows when the image is short), every pixel drawn independently."""
    channels = draw(st.sampled_from([1, 3, 4]))
    subsampling = draw(st.sampled_from(["4:4:4", "4:2:2", "4:2:0"]))
    quality = draw(st.sampled_from([10, 75, 95, 100]))
    width, height = draw(st.integers(1, 40)), draw(st.integers(1, 24))
    plan = make_plan(width, height, channels, EncodeOptions(subsampling=subsampling, quality=quality,
                                                            dct=dct))
    rows = min(height, plan.strip_height)
    return plan, draw(dense(np.uint8, (rows, width, channels), 0, 255))


def table_of(backend: str, plan):
    return backends.get(backend).stage_table(plan)


# --- the twins of the pixel stages -----------------------------------------------------------

def twin_samples(pixels: np.ndarray, plan) -> list[list[list[int]]]:
    """prepare_samples from the twins alone: colour, edges, downsampling, edges again."""
    out = []
    planes = twin.convert_to_ycbcr(pixels)
    for plane, component, layout in zip(planes, plan.components, plan.strip_layout(pixels.shape[0])):
        h_ratio, v_ratio = plan.hmax // component.h, plan.vmax // component.v
        samples = twin.expand_edges(plane, layout.input_rows, layout.input_cols)
        if (h_ratio, v_ratio) != (1, 1):
            samples = twin.downsample_plane(samples, h_ratio, v_ratio)
        # libjpeg replicates the last downsampled row (not pixel row) down to whole blocks.
        out.append(twin.expand_edges(samples, 8 * layout.real_block_rows, 8 * layout.real_block_cols))
    return out


def twin_blocks(samples: list, plan, rows: int) -> list[list]:
    """forward_dct (islow, ifast or float) from the twins: per component a grid of natural-order
    blocks."""
    dct, quantize = {"ifast": (twin.forward_dct_ifast, twin.quantize_ifast),
                     "float": (twin.forward_dct_float, twin.quantize_float)}.get(
                         plan.dct, (twin.forward_dct_islow, twin.quantize))
    out = []
    for plane, component, layout in zip(samples, plan.components, plan.strip_layout(rows)):
        table = [int(q) for q in plan.quant_tables[component.quant_index]]
        grid = []
        for r in range(layout.real_block_rows):
            row = []
            for c in range(layout.real_block_cols):
                shifted = [[int(plane[8 * r + y][8 * c + x]) - 128 for x in range(8)] for y in range(8)]
                quantized = quantize(dct(shifted), table)
                row.append([value for line in quantized for value in line])
            grid.append(row)
        out.append(twin.add_dummy_blocks(grid, component.mcu_h, component.mcu_v))
    return out


def as_lists(blocks: list[np.ndarray]) -> list:
    return [np.asarray(b).reshape(b.shape[0], b.shape[1], 64).tolist() for b in blocks]


# --- one test per stage ------------------------------------------------------------------------

@given(strips())
def test_prepare_samples(backend, strip):
    plan, pixels = strip
    ours = table_of(backend, plan).prepare_samples(pixels, plan)
    numpy = prepare_samples(pixels, plan)
    assert [s.tolist() for s in ours] == [s.tolist() for s in numpy] == twin_samples(pixels, plan)


@pytest.mark.parametrize("dct", ["islow", "ifast", "float"])
@given(st.data())
def test_forward_dct(backend, dct, data):
    plan, pixels = data.draw(strips(dct))
    rows = pixels.shape[0]
    samples = [data.draw(dense(np.uint8, s.shape, 0, 255)) for s in prepare_samples(pixels, plan)]
    ours = table_of(backend, plan).forward_dct(samples, plan, rows)
    assert all(b.dtype == np.int16 for b in ours)
    expected = twin_blocks(samples, plan, rows)
    assert as_lists(ours) == as_lists(quantized_blocks(samples, plan, rows)) == expected


@given(st.data())
def test_forward_dct_exact(backend, data):
    # The exact DCT's twin is a float formula that may round a tie the other way, so the
    # stage is checked against the NumPy stage (tests/test_stages.py checks the DCT itself).
    plan, pixels = data.draw(strips("exact"))
    samples = [data.draw(dense(np.uint8, s.shape, 0, 255)) for s in prepare_samples(pixels, plan)]
    ours = table_of(backend, plan).forward_dct(samples, plan, pixels.shape[0])
    assert as_lists(ours) == as_lists(quantized_blocks(samples, plan, pixels.shape[0]))


def random_blocks(data, plan, rows: int) -> list[np.ndarray]:
    magnitude = data.draw(st.sampled_from([1, 3, 40, 1023]))
    # Of a drawn density: sparse blocks give long zero runs (ZRL) and EOBs.
    return [data.draw(coefficient_blocks((layout.block_rows, layout.block_cols, 8, 8), magnitude))
            for layout in plan.strip_layout(rows)]


def in_coding_order(blocks: list[np.ndarray], plan) -> list:
    sampling = [(c.mcu_h, c.mcu_v) for c in plan.components]
    return [(index, np.array(block))
            for index, block in twin.blocks_in_coding_order([b.tolist() for b in blocks], sampling)]


@settings(max_examples=40)
@given(st.data())
def test_entropy_encode(backend, data):
    subsampling = data.draw(st.sampled_from(["4:4:4", "4:2:2", "4:2:0"]))
    plan = make_plan(24, 16, 3, EncodeOptions(subsampling=subsampling))
    blocks = random_blocks(data, plan, 16)
    table = table_of(backend, plan)
    ours, state = table.entropy_encode(blocks, plan, EntropyState.start(plan), final=True)
    assert (ours, state) == huffman.entropy_encode(blocks, plan, EntropyState.start(plan), True)
    dc = [plan.dc_codes[c.huffman_index] for c in plan.components]
    ac = [plan.ac_codes[c.huffman_index] for c in plan.components]
    assert ours == twin.huffman_encode(in_coding_order(blocks, plan), dc, ac, 3)
    # Continuing from a state: predictors and pending bits carried, nothing padded.
    start = EntropyState((5, -3, 700), data.draw(st.integers(0, 63)), 6)
    expected = huffman.entropy_encode(blocks, plan, start, False)
    assert table.entropy_encode(blocks, plan, start, False) == expected


@settings(max_examples=40)
@given(st.data())
def test_count_symbols(backend, data):
    subsampling = data.draw(st.sampled_from(["4:4:4", "4:2:2", "4:2:0"]))
    channels = data.draw(st.sampled_from([1, 3]))
    plan = make_plan(24, 16, channels, EncodeOptions(subsampling=subsampling))
    blocks = random_blocks(data, plan, 16)
    predictors = tuple(data.draw(st.integers(-1024, 1023)) for _ in plan.components)
    dc, ac, last = table_of(backend, plan).count_symbols(blocks, plan, predictors)
    numpy_dc, numpy_ac, numpy_last = huffman.count_symbols(blocks, plan, predictors)
    assert dc.tolist() == numpy_dc.tolist() and ac.tolist() == numpy_ac.tolist() and last == numpy_last
    order = in_coding_order(blocks, plan)
    # The twin starts its predictors at 0: code from 0 on both sides for the comparison.
    zero_dc, zero_ac, _ = table_of(backend, plan).count_symbols(blocks, plan, (0,) * channels)
    twin_dc, twin_ac = twin.count_symbols(order, [c.huffman_index for c in plan.components],
                                          len(plan.dc_tables))
    assert (zero_dc.tolist(), zero_ac.tolist()) == (twin_dc, twin_ac)


@given(strips())
def test_transform(backend, strip):
    """The fused path (numba: one kernel) equals the composition of the NumPy stages."""
    plan, pixels = strip
    ours = table_of(backend, plan).transform(pixels, plan)
    expected = twin_blocks(twin_samples(pixels, plan), plan, pixels.shape[0])
    assert as_lists(ours) == as_lists(quantized_blocks(prepare_samples(pixels, plan), plan,
                                                       pixels.shape[0])) == expected


@settings(max_examples=15)
@given(st.data())
def test_encode_strips(backend, data):
    """The fused whole-strip path, on a batch of consecutive strips of one array (numba: one
    kernel call) and continuing from a state, equals the NumPy stages composed."""
    channels = data.draw(st.sampled_from([1, 3]))
    subsampling = data.draw(st.sampled_from(["4:4:4", "4:2:0"]))
    width, height = data.draw(st.integers(1, 40)), data.draw(st.integers(17, 60))
    plan = make_plan(width, height, channels, EncodeOptions(subsampling=subsampling))
    image = data.draw(images(height, width, channels)).reshape(height, width, channels)
    pieces = [image[top:top + plan.strip_height] for top in range(0, height, plan.strip_height)]
    table = table_of(backend, plan)

    def numpy_strip(pixels, state, final):
        blocks = quantized_blocks(prepare_samples(pixels, plan), plan, pixels.shape[0])
        return huffman.entropy_encode(blocks, plan, state, final)

    start = EntropyState.start(plan)
    assert table.encode_strips(pieces, plan) == [numpy_strip(p, start, True)[0] for p in pieces]
    state = EntropyState((9, -4, 2)[:channels], 0b101, 3)
    assert table.encode_strip_continued(pieces[0], plan, state) == numpy_strip(pieces[0], state, False)


@settings(max_examples=30)
@given(st.data())
def test_progressive_stages(backend, data):
    """progressive_encode and progressive_count (tests/test_progressive_coder.py checks the
    NumPy stages against the twin of T.81 G.1.2, and the numba ones on purpose-made blocks):
    whole restart intervals, and a scan continued from a state."""
    subsampling = data.draw(st.sampled_from(["4:4:4", "4:2:0"]))
    plan = make_plan(24, 16, 3, EncodeOptions(subsampling=subsampling, progressive=True))
    scan = data.draw(st.sampled_from([s for s in plan.scans]))
    blocks = random_blocks(data, plan, 16)
    table = table_of(backend, plan)
    spec = optimal_huffman_spec(np.ones(256, np.int64))
    codes, lengths = scan_code_arrays(plan, {0: spec, 1: spec})
    assert table.progressive_encode(blocks, 16, scan, plan, codes, lengths, None) == \
        progressive.progressive_encode(blocks, 16, scan, plan, codes, lengths, None)
    counts, _ = table.progressive_count(blocks, 16, scan, plan, None)
    assert counts.tolist() == progressive.progressive_count(blocks, 16, scan, plan, None)[0].tolist()
    state = ScanState([3, -2, 1][:len(scan.components)], data.draw(st.integers(0, 40)), [1, 0, 1], 0b10, 2)
    if scan.ss == 0:
        state.eobrun, state.correction_bits = 0, []
    copy = ScanState(list(state.predictors), state.eobrun, list(state.correction_bits), 0b10, 2)
    ours = table.progressive_encode(blocks, 16, scan, plan, codes, lengths, state)
    assert ours == progressive.progressive_encode(blocks, 16, scan, plan, codes, lengths, copy)


# --- choosing the stages, and forcing the fallback ---------------------------------------------

PICTURE = np.random.default_rng(5).integers(0, 256, (37, 29, 3), dtype=np.uint8)
CASES = [dict(quality=90), dict(quality=75, subsampling="4:2:0", restart_rows=0),
         dict(quality=80, subsampling="4:2:2", optimize=True), dict(quality=85, dct="exact"),
         dict(quality=70, subsampling="4:2:0", dct="ifast"),
         dict(quality=95, subsampling="4:2:2", dct="float")]


@pytest.mark.parametrize("forced", [*STAGES, *FUSED, "all", "entropy_encode,forward_dct"])
def test_forced_fallback_writes_the_same_bytes_with_numpy_stages(backend, forced, monkeypatch):
    expected = [stripjpeg.encode(PICTURE, backend="numpy", **case) for case in CASES]
    plan = make_plan(29, 37, 3, EncodeOptions())
    own = backends.get(backend).own_stages()
    monkeypatch.setenv(FALLBACK_VARIABLE, forced)
    table = table_of(backend, plan)
    names = set(STAGES) | set(FUSED) if forced == "all" else set(forced.split(","))
    for stage in names & set(STAGES):
        assert getattr(table, stage) is NUMPY_STAGES[stage]
    for path, covered in FUSED.items():
        if names & {path, *covered}:
            assert getattr(table, f"{path}_fused") is None
    assert table.fallbacks == names & own | {p for p, c in FUSED.items() if p in own and names & set(c)}
    assert [stripjpeg.encode(PICTURE, backend=backend, **case) for case in CASES] == expected


def test_numba_table_uses_its_own_stages_and_declines_the_exact_dct():
    if "numba" not in backends.available():
        pytest.skip("numba is not installed here")
    numba = backends.get("numba")
    islow = numba.stage_table(make_plan(29, 37, 3, EncodeOptions()))
    for stage in STAGES:
        assert getattr(islow, stage) == getattr(numba, stage)
    assert islow.encode_strips_fused == numba.encode_strips_fused and islow.fallbacks == frozenset()
    ifast = numba.stage_table(make_plan(29, 37, 3, EncodeOptions(dct="ifast")))
    for stage in STAGES:
        assert getattr(ifast, stage) == getattr(numba, stage)
    assert ifast.encode_strips_fused == numba.encode_strips_fused and ifast.fallbacks == frozenset()
    floated = numba.stage_table(make_plan(29, 37, 3, EncodeOptions(dct="float")))
    for stage in STAGES:
        assert getattr(floated, stage) == getattr(numba, stage)
    assert floated.encode_strips_fused == numba.encode_strips_fused and floated.fallbacks == frozenset()
    exact = numba.stage_table(make_plan(29, 37, 3, EncodeOptions(dct="exact")))
    assert exact.forward_dct is quantized_blocks and exact.prepare_samples == numba.prepare_samples
    assert exact.transform_fused is None and exact.encode_strips_fused is None
    assert exact.fallbacks == {"forward_dct", "transform", "encode_strips"}


def test_numpy_table_is_the_numpy_stages():
    table = table_of("numpy", make_plan(8, 8, 3, EncodeOptions()))
    assert [getattr(table, stage) for stage in STAGES] == [NUMPY_STAGES[s] for s in STAGES]
    assert table.fallbacks == frozenset() and table.encode_strips_fused is None


def test_unknown_fallback_stage_is_refused(backend, monkeypatch):
    monkeypatch.setenv(FALLBACK_VARIABLE, "entropy_encode,huffman")
    with pytest.raises(ValueError, match=r"unknown stage\(s\) huffman; known: all, prepare_samples"):
        stripjpeg.encode(PICTURE, backend=backend)
