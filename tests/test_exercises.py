"""The notebooks' exercises: each solution in tests/exercises.py equals what stripjpeg computes,
and every notebook ends with an exercise section whose exercises all have a checked solution."""

from __future__ import annotations

import io
import json
import re
from pathlib import Path

import exercises
import numpy as np
import pytest
import skimage.data
from PIL import Image

import stripjpeg
from stripjpeg import backends, markers
from stripjpeg.inspect import compare, read_markers
from stripjpeg.optimize import optimal_huffman_spec
from stripjpeg.options import make_options
from stripjpeg.plan import Scan, make_plan
from stripjpeg.scan_decoding import entropy_data_end, extend
from stripjpeg.scans import simple_progression
from stripjpeg.stages.arithmetic import ArithmeticState, QMEncoder, encode_dc_difference
from stripjpeg.stages.huffman import amplitude_bits, magnitude_category, stuff_bytes
from stripjpeg.stages.lossless import differences, table_h1
from stripjpeg.stages.samples import convert_to_ycbcr
from stripjpeg.tables import (
    DC_CHROMINANCE,
    DC_STAT_BINS,
    LUMINANCE_QUANT_TABLE,
    NATURAL_TO_ZIGZAG,
    QE_TABLE,
    huffman_codes,
    quantization_tables,
)
from stripjpeg.trace import sent_values

ROOT = Path(__file__).parent.parent
NOTEBOOKS = sorted((ROOT / "notebooks").glob("*.ipynb"))
#: An exercise names its solution in parentheses and backquotes: "1. (`decoding_1`) ...".
SOLUTION_NAME = re.compile(r"^\s*\d+\. \(`(\w+)`\)", re.MULTILINE)


def exercise_section(path: Path) -> str:
    """The text of the notebook's last cell, which must be its exercise section."""
    cells = json.loads(path.read_text(encoding="utf-8"))["cells"]
    last = cells[-1]
    assert last["cell_type"] == "markdown", f"{path.name}: end with the exercises (a Markdown cell)"
    text = "".join(last["source"])
    assert text.startswith("## Exercises"), f"{path.name}: the last cell is not '## Exercises'"
    return text


@pytest.mark.parametrize("path", NOTEBOOKS, ids=lambda p: p.name)
def test_notebook_ends_with_checked_exercises(path: Path) -> None:
    names = SOLUTION_NAME.findall(exercise_section(path))
    assert len(names) >= 2, f"{path.name}: at least two exercises, each naming its solution"
    checks = {name for name in globals() if name.startswith("test_")}
    for name in names:
        assert callable(getattr(exercises, name, None)), f"{path.name}: no solution exercises.{name}"
        assert f"test_{name}" in checks, f"{path.name}: exercises.{name} is not checked"


# --- 01_pipeline ------------------------------------------------------------------------------

def test_pipeline_1() -> None:
    planes = convert_to_ycbcr(np.array([[[255, 0, 0]]], np.uint8))
    assert tuple(int(plane[0, 0]) for plane in planes) == exercises.pipeline_1()


def test_pipeline_2() -> None:
    for quality, step in exercises.pipeline_2().items():
        assert quantization_tables(quality)[0][0] == step


def test_pipeline_3() -> None:
    assert NATURAL_TO_ZIGZAG[1 * 8 + 2] == exercises.pipeline_3()


# --- 02_strips_and_restarts -------------------------------------------------------------------

def test_strips_1() -> None:
    photo = skimage.data.chelsea()
    plan = make_plan(photo.shape[1], photo.shape[0], 3, make_options(quality=80, subsampling="4:2:0"))
    sos = next(s for s in read_markers(stripjpeg.encode(photo, 80, "4:2:0")) if s.name == "SOS")
    assert (plan.mcus_per_row, plan.mcu_rows, sos.fields["restart_markers"]) == exercises.strips_1()


def test_strips_2() -> None:
    data = stripjpeg.encode(np.zeros((16 * 12, 16), np.uint8), restart_rows=1)
    sos = next(s for s in read_markers(data) if s.name == "SOS")
    _, restarts = entropy_data_end(data, sos.offset + 2 + sos.length)
    assert data[restarts[9]:restarts[9] + 2] == exercises.strips_2()


# --- 03_backends ------------------------------------------------------------------------------

def test_backends_1() -> None:
    for subsampling, answer in exercises.backends_1().items():
        rows = 8 if subsampling == "4:4:4" else 1
        plan = make_plan(1024, 1024, 3, make_options(subsampling=subsampling, restart_rows=rows))
        assert (plan.strip_height, plan.strip_count) == answer


def test_backends_2() -> None:
    photo = skimage.data.astronaut()[::4, ::4]
    files = [stripjpeg.encode(photo, 50, "4:2:2", backend=name) for name in backends.available()]
    assert len(files) >= 2
    assert all(len(f) == len(files[0]) and sum(a != b for a, b in zip(f, files[0])) == exercises.backends_2()
               for f in files)


# --- 04_cross_checking ------------------------------------------------------------------------

def test_cross_checking_1() -> None:
    # Flat blocks at quality 100 decode exactly: the two images differ by 1 everywhere.
    grey = [stripjpeg.encode(np.full((16, 16), value, np.uint8), 100) for value in (100, 101)]
    assert round(compare(*grey).psnr, 2) == exercises.cross_checking_1()


def test_cross_checking_2() -> None:
    photo = skimage.data.coffee()[::4, ::4]
    buffer = io.BytesIO()
    Image.fromarray(photo).save(buffer, "JPEG", quality=75)
    report = compare(stripjpeg.encode(photo, 75, "4:2:0", restart_rows=0), buffer.getvalue())
    assert sum(c.coefficients_differing for c in report.components) == exercises.cross_checking_2()
    assert report.identical


# --- 05_progressive ---------------------------------------------------------------------------

def test_progressive_1() -> None:
    script = simple_progression(3, True)
    assert (len(script), script[1]) == exercises.progressive_1()


def test_progressive_2() -> None:
    dc, ac = exercises.progressive_2()
    assert sent_values([-13], Scan((0,), 0, 0, 0, 2, (0,), (0,)))[0] == [dc]
    assert sent_values([-13], Scan((0,), 1, 1, 0, 2, (0,), (0,)))[0] == [ac]


# --- 06_lossless ------------------------------------------------------------------------------

def test_lossless_1() -> None:
    ra, rb, rc = (np.array([value], np.int32) for value in (100, 120, 90))
    for predictor, predicted in exercises.lossless_1().items():
        assert int(table_h1(predictor, ra, rb, rc)[0]) == predicted


def test_lossless_2() -> None:
    sample = np.full((1, 1, 1), 200, np.int32)
    for pt, predicted in exercises.lossless_2().items():
        shifted = sample >> pt
        assert int(differences(shifted, None, 1, 8, pt)[0, 0, 0]) == int(shifted[0, 0, 0]) - predicted


# --- 07_options -------------------------------------------------------------------------------

def test_options_1() -> None:
    plan = make_plan(100, 100, 3, make_options(subsampling="2x1"))
    assert ((plan.mcu_width, plan.mcu_height), plan.mcus_per_row * plan.mcu_rows) == exercises.options_1()


def test_options_2() -> None:
    segments = read_markers(stripjpeg.encode(np.zeros((8, 8, 3), np.uint8), keep_rgb=True))
    sof = next(s for s in segments if s.name == "SOF0")
    adobe = next(s for s in segments if s.name == "APP14")
    ids, transform = exercises.options_2()
    assert tuple(c["id"] for c in sof.fields["components"]) == ids
    assert adobe.fields["transform"].startswith(f"{transform}:")


# --- 08_arithmetic ----------------------------------------------------------------------------

#: A fresh coder: A = 0x10000, C = 0, CT = 11 (D.1.1 Initenc), no bytes yet.
FRESH = ArithmeticState(a=0x10000, c=0, ct=11, buffer=-1, stacked_ff=0, pending_zeros=0,
                        dc_stats=(), ac_stats=(), dc_predictors=(), dc_contexts=())


def test_arithmetic_1() -> None:
    stats = bytearray(1)
    QMEncoder(FRESH).encode(stats, 0, 1)
    assert (stats[0] & 0x7F, stats[0] >> 7) == exercises.arithmetic_1()


def test_arithmetic_2() -> None:
    renormalizing, in_all, qe = exercises.arithmetic_2()
    state, steps = 0, 0
    while state != 13:
        state, steps = int(QE_TABLE[state, 2]), steps + 1
    assert (steps, int(QE_TABLE[13, 0])) == (renormalizing, qe)
    coder, stats, decisions = QMEncoder(FRESH), bytearray(1), 0
    while stats[0] & 0x7F != 13:
        coder.encode(stats, 0, 0)
        decisions += 1
    assert decisions == in_all


def test_arithmetic_3() -> None:
    coder, stats = QMEncoder(FRESH), bytearray(DC_STAT_BINS)
    after_minus_20 = encode_dc_difference(coder, stats, 0, -20)
    after_plus_1 = encode_dc_difference(coder, stats, after_minus_20, +1)
    assert (after_minus_20, after_plus_1) == exercises.arithmetic_3()


# --- 09_decoding ------------------------------------------------------------------------------

def test_decoding_1() -> None:
    codes, lengths = huffman_codes(DC_CHROMINANCE)
    for symbol, code in exercises.decoding_1().items():
        assert code == format(int(codes[symbol]), f"0{lengths[symbol]}b")


def test_decoding_2() -> None:
    for value, (size, bits) in exercises.decoding_2().items():
        assert size == int(magnitude_category(np.array([value]))[0])
        assert int(bits, 2) == int(amplitude_bits(np.array([value]), np.array([size]))[0])
        assert extend(int(bits, 2), size) == value


def test_decoding_3() -> None:
    assert exercises.decoding_3() == stuff_bytes(bytes([0x12, 0xFF, 0x34, 0xFF]))


def test_decoding_4() -> None:
    payload = b"".join(markers.write_dqt(index, LUMINANCE_QUANT_TABLE)[4:] for index in (0, 1))
    segment = markers.segment(0xDB, payload)
    length, in_file = exercises.decoding_4()
    assert len(segment) == in_file
    file = markers.write_soi() + segment + markers.write_eoi()
    dqt = read_markers(file)[1]
    assert (dqt.name, dqt.length, len(dqt.fields["tables"])) == ("DQT", length, 2)


def test_decoding_5() -> None:
    counts = np.zeros(256, np.int64)
    counts[:4] = (10, 5, 3, 1)
    spec = optimal_huffman_spec(counts)
    assert (spec.bits, spec.huffval) == exercises.decoding_5()
