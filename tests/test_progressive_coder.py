"""The progressive coder (T.81 G.1.2): the NumPy stages equal the twin written from the
standard's flow charts (tests/reference.py, coefficient by coefficient, with libjpeg's EOBRUN
and correction-bit rules), the numba stages equal the NumPy stages (bytes, symbol counts, and
the state carried from strip to strip); then whole files against Pillow's progressive=True.

The blocks are drawn from seeded generators, of kinds made to reach each rule: dense and
mixed blocks (every symbol size), sparse ones (long zero runs: ZRL, long EOBRUNs), blocks of
small magnitudes (refinement: newly non-zero coefficients among correction bits, ZRLs that
may or may not be sent), blocks with many correction bits and no newly non-zero coefficient
(BE over libjpeg's 937 bits), and empty ones by the tens of thousands (EOBRUN's cap, 32767).
"""

from __future__ import annotations

import io

import numpy as np
import pytest
import reference as twin
from oracle import photo, pillow_jpeg
from PIL import Image

import stripjpeg
from stripjpeg import backends
from stripjpeg.optimize import optimal_huffman_spec
from stripjpeg.options import EncodeOptions
from stripjpeg.plan import Scan, make_plan
from stripjpeg.progressive_encoder import scan_code_arrays
from stripjpeg.stages import progressive
from stripjpeg.stages.progressive import ScanState
from stripjpeg.tables import ZIGZAG

needs_numba = pytest.mark.skipif("numba" not in backends.available(), reason="numba is not installed")


def numba_backend():
    return backends.get("numba")


# --- Blocks, scans, and the twin's view of them -------------------------------------------------

def draw_blocks(rng: np.random.Generator, shape: tuple[int, ...], kind: str, al: int = 0) -> np.ndarray:
    """int16 blocks ``(rows, cols, 8, 8)`` of one kind (see the module notes). ``al``: the
    point transform the refinement kinds are made for (their magnitudes are ``m << al`` plus
    lower bits, m the magnitude the scan sees)."""
    n = int(np.prod(shape[:2]))
    if kind == "dense":
        values = rng.integers(-1023, 1024, (n, 64))
    elif kind == "mixed":  # each block its own density and size
        density = rng.choice([1.0, 0.5, 0.1, 0.02, 0.0], (n, 1))
        magnitude = rng.choice([1, 3, 40, 1023], (n, 1))
        values = np.where(rng.random((n, 64)) < density, rng.integers(-1023, 1024, (n, 64)) % (magnitude + 1)
                          * rng.choice([-1, 1], (n, 64)), 0)
    elif kind == "sparse":  # mostly empty blocks, the others one or two coefficients
        values = np.zeros((n, 64), np.int64)
        for block in np.flatnonzero(rng.random(n) < 0.15):
            where = rng.integers(0, 64, rng.integers(1, 3))
            values[block, where] = rng.integers(1, 200, where.size) * rng.choice([-1, 1], where.size)
    elif kind in ("refine", "corrections"):
        # Magnitudes m after the point transform: 0 (zero history), 1 (newly non-zero) or more
        # (a correction bit); "corrections" has no 1 among the AC coefficients.
        choices = [0, 0, 0, 1, 2, 3] if kind == "refine" else [0, 2, 3, 2, 3, 5]
        m = rng.choice(choices, (n, 64))
        if kind == "refine":  # and whole zero stretches, for ZRLs
            m = np.where(rng.random((n, 1)) < 0.3, np.where(rng.random((n, 64)) < 0.08, m, 0), m)
        low = rng.integers(0, 1 << al, (n, 64)) if al else 0
        values = np.where(m > 0, (m << al) | low, 0) * rng.choice([-1, 1], (n, 64))
        values[:, 0] = rng.integers(-1024, 1024, n)
    else:
        raise ValueError(kind)
    return values.reshape(*shape[:2], 8, 8).astype(np.int16)


def plan_for(width: int, height: int, channels: int = 3, subsampling: str = "4:4:4",
             restart_rows: int = 1):
    return make_plan(width, height, channels, EncodeOptions(progressive=True, subsampling=subsampling,
                                                            restart_rows=restart_rows))


def image_blocks(rng, plan, kind: str, al: int = 0) -> list[np.ndarray]:
    """Every block of the image (dummy blocks included), per component."""
    return [draw_blocks(rng, (layout.block_rows, layout.block_cols), kind, al)
            for layout in plan.strip_layout(plan.height)]


def strip_of(blocks: list[np.ndarray], plan, first_mcu_row: int, mcu_rows: int) -> list[np.ndarray]:
    """The blocks of MCU rows ``first_mcu_row ..`` of the image, per component."""
    return [grid[first_mcu_row * c.mcu_v:(first_mcu_row + mcu_rows) * c.mcu_v]
            for grid, c in zip(blocks, plan.components)]


def zigzag(block: np.ndarray) -> list[int]:
    natural = block.reshape(64).tolist()
    return [natural[ZIGZAG[k]] for k in range(64)]


def twin_intervals(blocks: list[np.ndarray], rows: int, plan, scan: Scan,
                   restarts: bool) -> list[list[tuple[int, list[int]]]]:
    """The blocks ``scan`` codes in a strip of ``rows`` pixel rows, ``(member, zigzag
    coefficients)`` in coding order, cut into restart intervals (or one piece), worked out
    from T.81 A.2 apart from the stages' code."""
    if len(scan.components) == 1:
        # A.2.2: one component, its real blocks only, one block per MCU.
        c = plan.components[scan.components[0]]
        real_rows = -(-rows * c.v // (8 * plan.vmax))
        real_cols = -(-plan.width * c.h // (8 * plan.hmax))
        grid = blocks[scan.components[0]]
        order = [(0, zigzag(grid[r, q])) for r in range(real_rows) for q in range(real_cols)]
        per_interval = plan.restart_rows * real_cols
    else:
        # A.2.3: MCU by MCU, each component's V rows of H blocks, dummy blocks included.
        sampling = [(plan.components[i].mcu_h, plan.components[i].mcu_v) for i in scan.components]
        lists = [np.asarray(blocks[i]).tolist() for i in scan.components]
        order = [(member, zigzag(np.array(block)))
                 for member, block in twin.blocks_in_coding_order(lists, sampling)]
        per_interval = plan.restart_rows * -(-plan.width // (8 * plan.hmax)) * sum(h * v for h, v in sampling)
    if not restarts:
        return [order]
    return [order[start:start + per_interval] for start in range(0, len(order), per_interval)]


def twin_tables(scan: Scan, plan) -> list[int]:
    return [plan.components[i].huffman_index for i in scan.components]


def complete_codes(plan) -> tuple[np.ndarray, np.ndarray]:
    """Huffman codes with a code for every symbol (counts all 1), as the coders take them."""
    spec = optimal_huffman_spec(np.ones(256, np.int64))
    return scan_code_arrays(plan, {t: spec for t in range(len(plan.dc_tables))})


def twin_bytes(intervals, scan: Scan, plan, codes, lengths) -> list[bytes]:
    ss, se, ah, al = scan.ss, scan.se, scan.ah, scan.al
    return [twin.events_to_bytes(twin.progressive_interval(blocks, twin_tables(scan, plan), ss, se, ah, al),
                                 codes.tolist(), lengths.tolist()) for blocks in intervals]


def twin_counts(intervals, scan: Scan, plan) -> list[list[int]]:
    total = np.zeros((len(plan.dc_tables), 256), np.int64)
    for blocks in intervals:
        events = twin.progressive_interval(blocks, twin_tables(scan, plan), scan.ss, scan.se, scan.ah,
                                           scan.al)
        total += np.array(twin.events_to_counts(events, len(plan.dc_tables)))
    return total.tolist()


def state_fields(state: ScanState) -> tuple:
    """A copy of the state's values (the NumPy stage changes the state it is given)."""
    return (list(state.predictors), state.eobrun, list(state.correction_bits), state.pending_bits,
            state.pending_count)


# Every kind of scan, on the components of a colour image: (components, Ss, Se, Ah, Al).
SCANS = [
    ((0, 1, 2), 0, 0, 0, 0), ((0, 1, 2), 0, 0, 0, 1), ((0, 1, 2), 0, 0, 0, 3), ((1,), 0, 0, 0, 1),  # DC first
    ((0, 1, 2), 0, 0, 1, 0), ((2,), 0, 0, 2, 1),                                                  # DC refine
    ((0,), 1, 5, 0, 2), ((1,), 1, 63, 0, 1), ((0,), 6, 63, 0, 0), ((2,), 3, 3, 0, 0),             # AC first
    ((0,), 63, 63, 0, 1), ((0,), 1, 63, 0, 0),
    ((0,), 1, 63, 1, 0), ((2,), 1, 63, 2, 1), ((0,), 6, 63, 1, 0), ((1,), 1, 5, 3, 2),            # AC refine
]


def make_scan(entry) -> Scan:
    components, ss, se, ah, al = entry
    zeros = (0,) * len(components)
    return Scan(components, ss, se, ah, al, td=zeros, ta=zeros)


def kinds_for(scan: Scan) -> list[str]:
    if scan.ss > 0 and scan.ah > 0:
        return ["refine", "corrections", "mixed"]
    return ["dense", "mixed", "sparse"]


GEOMETRIES = [  # width, height, channels, subsampling: partial MCUs at the right and bottom
    (40, 37, 3, "4:4:4"), (37, 35, 3, "4:2:0"), (29, 18, 3, "4:2:2"),
]


# --- Stage tests: with restart intervals (state None) -------------------------------------------

@needs_numba
@pytest.mark.parametrize("geometry", GEOMETRIES)
@pytest.mark.parametrize("entry", SCANS)
def test_restart_intervals_equal_the_twin(geometry, entry) -> None:
    """A strip of whole restart intervals (state None): one bytes per interval, each from a
    fresh state and closed; a unit of several strips and the image's last, shorter strip too."""
    width, height, channels, subsampling = geometry
    scan = make_scan(entry)
    for restart_rows in (1, 2):
        plan = plan_for(width, height, channels, subsampling, restart_rows)
        codes, lengths = complete_codes(plan)
        for seed, kind in enumerate(kinds_for(scan)):
            blocks = image_blocks(np.random.default_rng(seed), plan, kind, scan.al)
            mcu_height, strip_mcu_rows = plan.mcu_height, plan.strip_mcu_rows
            # The image's first strip, the first three strips as one unit, the last strip.
            last = (plan.mcu_rows - 1) // strip_mcu_rows * strip_mcu_rows
            for first, mcu_rows in ((0, strip_mcu_rows), (0, 3 * strip_mcu_rows), (last, strip_mcu_rows)):
                mcu_rows = min(mcu_rows, plan.mcu_rows - first)
                rows = min(mcu_rows * mcu_height, height - first * mcu_height)
                strip = strip_of(blocks, plan, first, mcu_rows)
                intervals = twin_intervals(strip, rows, plan, scan, restarts=True)
                expected = twin_bytes(intervals, scan, plan, codes, lengths)
                numpy_bytes, numpy_state = progressive.progressive_encode(strip, rows, scan, plan, codes,
                                                                         lengths, None)
                assert numpy_state is None and numpy_bytes == expected
                assert numba_backend().progressive_encode(strip, rows, scan, plan, codes, lengths,
                                                          None) == (numpy_bytes, None)
                counts, _ = progressive.progressive_count(strip, rows, scan, plan, None)
                assert counts.tolist() == twin_counts(intervals, scan, plan)
                numba_counts, numba_state = numba_backend().progressive_count(strip, rows, scan, plan, None)
                assert numba_state is None and numba_counts.tolist() == counts.tolist()


# --- Stage tests: one scan continued from strip to strip (no restart markers) --------------------

def serial_run(stage_backend, blocks, plan, scan, codes, lengths, strip_mcu_rows: int):
    """Code a whole scan strip by strip from a state: the bytes of each strip, the states
    after each, the counts (from a second state), the closing bytes and counts."""
    if stage_backend is None:
        encode, count = progressive.progressive_encode, progressive.progressive_count
    else:
        encode, count = stage_backend.progressive_encode, stage_backend.progressive_count
    state, count_state = ScanState.start(scan), ScanState.start(scan)
    pieces, states, counts = [], [], np.zeros((len(plan.dc_tables), 256), np.int64)
    for first in range(0, plan.mcu_rows, strip_mcu_rows):
        mcu_rows = min(strip_mcu_rows, plan.mcu_rows - first)
        rows = min(mcu_rows * plan.mcu_height, plan.height - first * plan.mcu_height)
        strip = strip_of(blocks, plan, first, mcu_rows)
        data, state = encode(strip, rows, scan, plan, codes, lengths, state)
        pieces += data
        states.append(state_fields(state))
        strip_counts, count_state = count(strip, rows, scan, plan, count_state)
        counts += strip_counts
        # Counting carries the same state as coding, but for the pending bits.
        assert state_fields(count_state)[:3] == states[-1][:3]
    closing = progressive.close_scan(scan, plan, codes, lengths, state)
    counts += progressive.close_count(scan, plan, count_state)
    return pieces, states, closing, counts


@needs_numba
@pytest.mark.parametrize("geometry", GEOMETRIES)
@pytest.mark.parametrize("entry", SCANS)
def test_a_scan_continued_from_strip_to_strip_equals_the_twin(geometry, entry) -> None:
    """Without restart markers: the strips' bytes and the closing bytes make the twin's
    scan; the numba stage leaves the same state as the NumPy stage after every strip
    (predictors, EOBRUN, the waiting correction bits, the pending bits)."""
    width, height, channels, subsampling = geometry
    scan = make_scan(entry)
    plan = plan_for(width, height, channels, subsampling, restart_rows=0)
    codes, lengths = complete_codes(plan)
    for seed, kind in enumerate(kinds_for(scan)):
        blocks = image_blocks(np.random.default_rng(10 + seed), plan, kind, scan.al)
        (intervals,) = [twin_intervals(blocks, height, plan, scan, restarts=False)]
        (expected,) = twin_bytes(intervals, scan, plan, codes, lengths)
        numpy_run = serial_run(None, blocks, plan, scan, codes, lengths, strip_mcu_rows=1)
        pieces, _, closing, counts = numpy_run
        assert b"".join(pieces) + closing == expected
        assert counts.tolist() == twin_counts(intervals, scan, plan)
        numba_run = serial_run(numba_backend(), blocks, plan, scan, codes, lengths, strip_mcu_rows=1)
        assert numba_run[:3] == numpy_run[:3] and numba_run[3].tolist() == counts.tolist()


# --- The rules that need many blocks ----------------------------------------------------------

def eobrun_events(events: list[tuple]) -> list[int]:
    """The EOBRUN values an event list codes (EOBn symbol, then its n bits)."""
    runs = []
    for event, following in zip(events, [*events[1:], None]):
        if event[0] == "symbol" and event[2] & 0x0F == 0 and event[2] != 0xF0:
            n = event[2] >> 4
            runs.append((1 << n) | (following[1] if n else 0))
    return runs


@needs_numba
@pytest.mark.parametrize("entry", [((0,), 1, 63, 0, 0), ((0,), 1, 63, 1, 0), ((0,), 6, 63, 0, 2)])
def test_eobrun_is_sent_at_its_cap_of_32767(entry) -> None:
    """33 280 empty bands in one scan: an EOBRUN of 32767 (EOB14 and 14 bits), then the rest;
    the cap also falls inside a strip when the scan continues from strip to strip."""
    scan = make_scan(entry)
    plan = make_plan(4096, 520, 1, EncodeOptions(progressive=True, restart_rows=0))
    codes, lengths = complete_codes(plan)
    blocks = [np.zeros((65, 512, 8, 8), np.int16)]
    blocks[0][:, :, 0, 0] = np.arange(65 * 512).reshape(65, 512) % 7
    (intervals,) = [twin_intervals(blocks, 520, plan, scan, restarts=False)]
    events = twin.progressive_interval(intervals[0], [0], scan.ss, scan.se, scan.ah, scan.al)
    assert eobrun_events(events) == [32767, 33280 - 32767]
    expected = twin.events_to_bytes(events, codes.tolist(), lengths.tolist())
    numpy_run = serial_run(None, blocks, plan, scan, codes, lengths, strip_mcu_rows=40)
    assert b"".join(numpy_run[0]) + numpy_run[2] == expected
    numba_run = serial_run(numba_backend(), blocks, plan, scan, codes, lengths, strip_mcu_rows=40)
    assert numba_run[:3] == numpy_run[:3] and numba_run[3].tolist() == numpy_run[3].tolist()
    assert numba_run[1][0][1] == 40 * 512  # the state carried the run across the strips


@needs_numba
@pytest.mark.parametrize("al", [0, 1])
def test_more_than_937_waiting_correction_bits_send_the_eobrun(al) -> None:
    """Blocks with 63 correction bits each and no newly non-zero coefficient: after 15 of
    them 945 bits wait, over libjpeg's 937, so the EOBRUN of 15 goes out with them; also when
    they wait across strips."""
    scan = make_scan(((0,), 1, 63, al + 1, al))
    plan = make_plan(64, 48, 1, EncodeOptions(progressive=True, restart_rows=0))
    codes, lengths = complete_codes(plan)
    rng = np.random.default_rng(4)
    m = rng.choice([2, 3, 5], (6, 8, 64))
    values = ((m << al) | (rng.integers(0, 1 << al, m.shape) if al else 0)) * rng.choice([-1, 1], m.shape)
    values[4:, :, 10] = 1 << al  # then blocks with a newly non-zero coefficient
    blocks = [values.reshape(6, 8, 8, 8).astype(np.int16)]
    (intervals,) = [twin_intervals(blocks, 48, plan, scan, restarts=False)]
    events = twin.progressive_interval(intervals[0], [0], scan.ss, scan.se, scan.ah, scan.al)
    assert eobrun_events(events)[:2] == [15, 15]
    expected = twin.events_to_bytes(events, codes.tolist(), lengths.tolist())
    numpy_run = serial_run(None, blocks, plan, scan, codes, lengths, strip_mcu_rows=1)
    assert b"".join(numpy_run[0]) + numpy_run[2] == expected
    assert any(len(state[2]) > 400 for state in numpy_run[1])  # bits waited across a strip
    numba_run = serial_run(numba_backend(), blocks, plan, scan, codes, lengths, strip_mcu_rows=1)
    assert numba_run[:3] == numpy_run[:3] and numba_run[3].tolist() == numpy_run[3].tolist()
    restart_plan = make_plan(64, 48, 1, EncodeOptions(progressive=True, restart_rows=6))
    numpy_bytes = progressive.progressive_encode(blocks, 48, scan, restart_plan, codes, lengths, None)
    assert numpy_bytes == numba_backend().progressive_encode(blocks, 48, scan, restart_plan, codes,
                                                             lengths, None)


@needs_numba
def test_a_missing_huffman_code_is_the_same_error_on_both_backends() -> None:
    plan = plan_for(16, 16, 1, restart_rows=0)
    blocks = image_blocks(np.random.default_rng(1), plan, "mixed")
    scan = make_scan(((0,), 1, 63, 0, 0))
    counts, _ = progressive.progressive_count(blocks, 16, scan, plan, ScanState.start(scan))
    symbol = int(np.argmax(counts[0]))
    codes, lengths = complete_codes(plan)
    lengths[0, symbol] = 0
    for coder in (progressive.progressive_encode, numba_backend().progressive_encode):
        with pytest.raises(ValueError, match=f"Huffman table 0 has no code for symbol 0x{symbol:02X}"):
            coder(blocks, 16, scan, plan, codes, lengths, ScanState.start(scan))


# --- Whole files against Pillow -----------------------------------------------------------------

def pillow_progressive(pixels: np.ndarray, quality: int, subsampling: str, restart_rows: int) -> bytes:
    return pillow_jpeg(pixels, quality, subsampling, restart_rows, progressive=True)


@needs_numba
@pytest.mark.parametrize("subsampling", ["4:4:4", "4:2:2", "4:2:0"])
@pytest.mark.parametrize("quality", [50, 90, 100])
def test_whole_file_equals_pillow(quality: int, subsampling: str) -> None:
    pixels = np.ascontiguousarray(photo("astronaut")[101:261, 37:277])
    for restart_rows in (0, 1, 2):
        expected = pillow_progressive(pixels, quality, subsampling, restart_rows)
        assert stripjpeg.encode(pixels, quality, subsampling, progressive=True, backend="numba",
                                restart_rows=restart_rows) == expected, restart_rows


@needs_numba
@pytest.mark.parametrize("shape", [(1, 1), (9, 17), (7, 300), (1, 1, 3), (9, 17, 3), (7, 300, 3),
                                   (33, 65, 3)])
def test_whole_file_of_odd_size_equals_pillow(shape) -> None:
    pixels = np.random.default_rng(sum(shape)).integers(0, 256, shape, dtype=np.uint8)
    for quality, subsampling, restart_rows in ((90, "4:2:0", 1), (75, "4:2:2", 2), (100, "4:4:4", 0)):
        expected = pillow_progressive(pixels, quality, subsampling, restart_rows)
        assert stripjpeg.encode(pixels, quality, subsampling, progressive=True, backend="numba",
                                restart_rows=restart_rows) == expected, (quality, subsampling, restart_rows)


@needs_numba
def test_whole_file_of_grayscale_photo_equals_pillow() -> None:
    pixels = np.ascontiguousarray(photo("camera")[:203, :301])
    for quality, restart_rows in ((50, 0), (90, 1), (100, 2)):
        assert stripjpeg.encode(pixels, quality, progressive=True, backend="numba",
                                restart_rows=restart_rows) == pillow_progressive(pixels, quality, "4:4:4",
                                                                                 restart_rows)


@needs_numba
@pytest.mark.parametrize("height", [512, 1032])
@pytest.mark.parametrize("channels", [1, 3])
def test_whole_file_of_flat_image_equals_pillow(height: int, channels: int) -> None:
    """A flat image: every AC band empty, one EOBRUN per scan (per restart interval); at
    2048 x 1032 a component has 33 024 blocks, over EOBRUN's cap of 32767."""
    pixels = np.full((height, 2048, channels), 97, np.uint8)
    for subsampling, restart_rows in (("4:4:4", 0), ("4:2:0", 0), ("4:4:4", 1)):
        expected = pillow_progressive(pixels, 90, subsampling, restart_rows)
        assert stripjpeg.encode(pixels, 90, subsampling, progressive=True, backend="numba",
                                restart_rows=restart_rows) == expected, (subsampling, restart_rows)


@needs_numba
@pytest.mark.parametrize("workers", [1, 2, 3])
def test_whole_file_is_the_same_on_any_number_of_workers(workers: int) -> None:
    pixels = np.ascontiguousarray(photo("coffee")[:200])
    expected = pillow_progressive(pixels, 85, "4:2:0", 1)
    ours = stripjpeg.encode(pixels, 85, "4:2:0", progressive=True, backend="numba", workers=workers)
    assert ours == expected


@needs_numba
def test_whole_file_restart_offsets_point_after_each_rst() -> None:
    """Every restart interval's offset: right after its RSTn, or (each scan's first) after
    the SOS header."""
    pixels = np.ascontiguousarray(photo("chelsea")[:120, :200])
    buffer = io.BytesIO()
    offsets = stripjpeg.save(buffer, pixels, quality=80, subsampling="4:2:0", progressive=True,
                             backend="numba")
    data = buffer.getvalue()
    assert data == pillow_progressive(pixels, 80, "4:2:0", 1)
    markers = [i for i in range(len(data) - 1) if data[i] == 0xFF and 0xD0 <= data[i + 1] <= 0xD7]
    scans = [i for i in range(len(data) - 1) if data[i] == 0xFF and data[i + 1] == 0xDA]
    scan_starts = [i + 2 + int.from_bytes(data[i + 2:i + 4], "big") for i in scans]
    assert offsets == sorted([m + 2 for m in markers] + scan_starts)
    assert Image.open(io.BytesIO(data)).size == (200, 120)


@needs_numba
def test_huffman_codes_over_16_bits_are_refused_by_the_kernels() -> None:
    """The kernels' output bound counts on codes of at most 16 bits (T.81 C)."""
    plan = plan_for(16, 16, 1, restart_rows=1)
    blocks = image_blocks(np.random.default_rng(2), plan, "mixed")
    codes, lengths = complete_codes(plan)
    lengths[0, 1] = 17
    with pytest.raises(ValueError, match=r"Huffman code lengths must be 0\.\.16 bits, got \d+\.\.17"):
        numba_backend().progressive_encode(blocks, 16, make_scan(((0,), 1, 63, 0, 0)), plan, codes, lengths,
                                           None)
