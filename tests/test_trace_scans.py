"""trace_scans: one Y block through the scans of a progressive file, checked against the file.

What it says each scan sends must rebuild the coefficient a baseline file of the same options
holds; the bits it records for a block, and those of the EOBRUN that ends it, must be in the
progressive file's scan data at the offsets it records."""

from __future__ import annotations

import re

import numpy as np
import pytest
from oracle import photo

import stripjpeg
from stripjpeg.examples import example_image
from stripjpeg.inspect import read_markers
from stripjpeg.reader import read_jpeg
from stripjpeg.stages import progressive
from stripjpeg.tables import ZIGZAG
from stripjpeg.trace import trace_scans

#: A script with successive approximation everywhere: DC in three steps, the first luma AC band
#: in four, the rest in two, chroma in one.
SCRIPT = ("0 1 2: 0-0, 0, 2; 0: 1-9, 0, 3; 0: 10-63, 0, 1; 1: 1-63, 0, 0; 2: 1-63, 0, 0;"
          "0 1 2: 0-0, 2, 1; 0: 1-9, 3, 2; 0: 1-9, 2, 1; 0 1 2: 0-0, 1, 0; 0: 1-63, 1, 0;")

CASES = [  # (options, image rows, image cols, gray)
    ({"quality": 75, "subsampling": "4:2:0", "restart_rows": 0}, 48, 72, False),
    ({"quality": 90, "subsampling": "4:2:0", "restart_rows": 1}, 40, 56, False),
    ({"quality": 85, "subsampling": "4:4:4", "restart_rows": 2, "scans": SCRIPT}, 40, 48, False),
    ({"quality": 60, "restart_rows": 0}, 32, 40, True),
    # Smoothing: strips carry context rows (the traced blocks are the file's, strip by strip).
    ({"quality": 80, "subsampling": "4:2:0", "restart_rows": 1, "smooth": 40}, 40, 56, False),
]


def picture(rows: int, cols: int, gray: bool) -> np.ndarray:
    pixels = np.ascontiguousarray(photo("astronaut")[180:180 + rows, 160:160 + cols])
    return np.ascontiguousarray(pixels[:, :, 0]) if gray else pixels


def scan_data_bits(data: bytes) -> list[str]:
    """Per scan, its entropy-coded data as a bit string: RSTn markers removed, 0xFF00 unstuffed."""
    out = []
    for segment in read_markers(data):
        if segment.name != "SOS":
            continue
        start = segment.offset + 2 + segment.length
        coded = data[start:start + segment.fields["entropy_bytes"]]
        intervals = re.split(rb"\xff[\xd0-\xd7]", coded)
        unstuffed = b"".join(interval.replace(b"\xff\x00", b"\xff") for interval in intervals)
        out.append("".join(format(byte, "08b") for byte in unstuffed))
    return out


@pytest.fixture(scope="module", params=range(len(CASES)), ids=lambda n: f"case{n}")
def case(request):
    options, rows, cols, gray = CASES[request.param]
    pixels = picture(rows, cols, gray)
    progressive_file = stripjpeg.encode(pixels, progressive=True, **options)
    baseline = read_jpeg(stripjpeg.encode(pixels, **{k: v for k, v in options.items() if k != "scans"}))
    traces = [trace_scans(pixels, r, c, **options)
              for r in range(-(-rows // 8)) for c in range(-(-cols // 8))]
    return progressive_file, baseline.coefficients[0], traces


def test_the_values_sent_rebuild_the_quantized_coefficient(case) -> None:
    _, luma, traces = case
    for trace in traces:
        expected = luma[trace.block_row, trace.block_col].reshape(64)[ZIGZAG]
        assert np.array_equal(trace.zigzag, expected)
        rebuilt, sign = [0] * 64, [0] * 64
        for step in trace.scans:
            for k, value in zip(step.band, step.values):
                if step.ah == 0:  # a first scan: the point-transformed value, shifted back
                    if k == 0:
                        rebuilt[0] = value << step.al  # an arithmetic shift: sign included
                    else:
                        rebuilt[k], sign[k] = abs(value) << step.al, int(np.sign(value))
                else:  # a refinement: bit Al, and the sign of a coefficient new at this bit
                    assert value in (0, 1)
                    rebuilt[k] |= value << step.al
                    if step.signs is not None and step.signs[k - step.ss]:
                        assert sign[k] == 0 and value == 1
                        sign[k] = step.signs[k - step.ss]
        rebuilt = [rebuilt[0]] + [m * s for m, s in zip(rebuilt[1:], sign[1:])]
        assert rebuilt == expected.tolist(), (trace.block_row, trace.block_col)


def test_dc_first_sends_dc_shifted_and_refinements_send_bit_al(case) -> None:
    _, _, traces = case
    for trace in traces:
        for step in trace.scans:
            band = trace.zigzag[step.ss:step.se + 1].tolist()
            if step.kind == "DC first":
                assert step.values == [band[0] >> step.al]
            elif step.kind == "AC first":
                assert step.values == [int(np.sign(c)) * (abs(c) >> step.al) for c in band]
            elif step.kind == "DC refinement":
                assert step.values == [(band[0] >> step.al) & 1]
            else:
                assert step.values == [(abs(c) >> step.al) & 1 for c in band]


def test_every_recorded_bit_is_in_the_file_at_its_offset(case) -> None:
    data, _, traces = case
    scans = scan_data_bits(data)
    middle_blocks_with_bits = 0
    for trace in traces:
        for step in trace.scans:
            bits = scans[step.scan]
            assert bits[step.bit_offset:step.bit_offset + len(step.bits)] == step.bits
            if step.kind == "AC first" and step.bits and step.bit_offset > 0:
                middle_blocks_with_bits += 1
            for symbol in step.symbols:
                assert bits[symbol.bit_offset:symbol.bit_offset + len(symbol.bits)] == symbol.bits
            if step.earlier_eobrun is not None:
                earlier = step.earlier_eobrun
                assert earlier.bit_offset + len(earlier.bits) == step.bit_offset
                assert bits[earlier.bit_offset:step.bit_offset] == earlier.bits
            if step.eobrun is not None:
                later = step.eobrun
                assert later.symbol.bit_offset >= step.bit_offset + len(step.bits)
                assert bits[later.symbol.bit_offset:][:len(later.symbol.bits)] == later.symbol.bits
                corrections = bits[later.correction_bit_offset:][:len(later.correction_bits)]
                assert corrections == later.correction_bits
    assert middle_blocks_with_bits > 10


def test_a_block_whose_band_ends_in_zeros_waits_for_an_eobrun(case) -> None:
    _, _, traces = case
    for trace in traces:
        for step in trace.scans:
            if step.kind == "AC first":
                assert step.ends_in_eobrun == (step.values[-1] == 0)
            if step.kind.startswith("DC"):
                assert not step.ends_in_eobrun and step.eobrun is None
            assert (step.eobrun is not None) == step.ends_in_eobrun
            if step.eobrun is not None:
                later = step.eobrun
                assert 1 <= later.position <= later.run
                assert later.symbol.kind == "EOBRUN" and later.symbol.symbol & 15 == 0
                # No symbol of the block's own is an end of band: the EOBn is not its alone.
                assert all(s.kind != "EOBRUN" for s in step.symbols)
                if step.kind == "AC refinement":
                    waiting = [v for v, s in zip(step.values, step.signs) if not s]
                    # Its correction bits are those of its coefficients non-zero before this
                    # scan that come after its last new coefficient.
                    assert len(later.correction_bits) <= len(waiting)


def test_refinement_correction_bits_are_the_bits_al_of_old_coefficients() -> None:
    pixels = picture(48, 64, False)
    trace = trace_scans(pixels, 2, 3, quality=95, subsampling="4:4:4", restart_rows=0)
    refinements = [step for step in trace.scans if step.kind == "AC refinement"]
    assert refinements
    for step in refinements:
        band = trace.zigzag[step.ss:step.se + 1]
        old = [(abs(c) >> step.al) > 1 for c in band]  # non-zero before this scan
        sent = "".join(s.corrections for s in step.symbols)
        if step.eobrun is not None:
            sent += step.eobrun.correction_bits
        expected = "".join(str(v) for v, was in zip(step.values, old) if was)
        assert sent == expected


def test_the_dc_predictor_is_the_previous_y_blocks() -> None:
    pixels = example_image(64, 32)
    # 4:4:4 interleaved, no restarts: the previous Y block in the DC scan is the one to the left.
    first = trace_scans(pixels, 1, 2, quality=80, restart_rows=0)
    left = trace_scans(pixels, 1, 1, quality=80, restart_rows=0)
    (dc, left_dc) = (next(s for s in t.scans if s.kind == "DC first") for t in (first, left))
    assert dc.predictor == left_dc.values[0]
    (symbol,) = dc.symbols
    assert symbol.kind == "DC" and f"difference {dc.values[0] - dc.predictor} " in symbol.meaning
    # At the start of a restart interval the predictor is 0.
    restarted = trace_scans(pixels, 1, 0, quality=80, restart_rows=1)
    assert next(s for s in restarted.scans if s.kind == "DC first").predictor == 0


def test_eobrun_sent_at_its_limit(monkeypatch: pytest.MonkeyPatch) -> None:
    # libjpeg's limit of 32767 needs a large image; a limit of 3 shows the same path on the
    # NumPy coder (the file written with it, by the same coder, must hold the bits).
    monkeypatch.setattr(progressive, "MAX_EOBRUN", 3)
    pixels = example_image(128, 64)
    options = {"quality": 50, "restart_rows": 0, "backend": "numpy", "workers": 1}
    data = stripjpeg.encode(pixels, progressive=True, **options)
    scans = scan_data_bits(data)
    at_once = 0
    for r, c in [(4, 0), (4, 1), (4, 2), (4, 3), (5, 7), (6, 9)]:
        for step in trace_scans(pixels, r, c, **options).scans:
            later = step.eobrun
            if later is None:
                continue
            assert later.run <= 3
            if later.sent.startswith("at once"):
                at_once += 1
                assert later.position == later.run == 3
                assert later.symbol.bit_offset == step.bit_offset + len(step.bits)
            bits = scans[step.scan]
            assert bits[later.symbol.bit_offset:][:len(later.symbol.bits)] == later.symbol.bits
    assert at_once > 0


def test_only_scans_of_y_are_listed_and_the_repr_tells_eobrun() -> None:
    pixels = example_image(64, 48)
    trace = trace_scans(pixels, 2, 2, quality=50, subsampling="4:2:0")
    # libjpeg's default script: 10 scans, 6 of them include Y (0, 1, 4, 5, 6, 9).
    assert [step.scan for step in trace.scans] == [0, 1, 4, 5, 6, 9]
    assert [step.kind for step in trace.scans] == ["DC first", "AC first", "AC first",
                                                   "AC refinement", "DC refinement", "AC refinement"]
    text = repr(trace)
    assert text.startswith("ProgressiveTrace(block_row=2, block_col=2)")
    assert "scan 6: DC refinement" in text
    if any(step.ends_in_eobrun for step in trace.scans):
        assert "ends in EOBRUN: block" in text


def test_bad_requests_are_refused() -> None:
    pixels = example_image(32, 16)
    with pytest.raises(ValueError, match="outside the Y component's 2x4 blocks"):
        trace_scans(pixels, 2, 0)
    with pytest.raises(ValueError, match="sequential"):
        trace_scans(pixels, 0, 0, progressive=False)
    with pytest.raises(ValueError, match="sequential"):
        trace_scans(pixels, 0, 0, scans="0 1 2;")
    with pytest.raises(ValueError, match="scan 1"):
        trace_scans(pixels, 0, 0, scans="0 1 2: 0-0, 0, 0; 0: 1-63, 1, 0;")
