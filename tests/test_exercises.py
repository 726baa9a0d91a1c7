"""The notebooks' exercises: each solution in tests/exercises.py equals what stripjpeg computes,
and every notebook ends with an exercise section whose exercises all have a checked solution."""

from __future__ import annotations

import json
import re
from pathlib import Path

import exercises
import numpy as np
import pytest

from stripjpeg import markers
from stripjpeg.inspect import read_markers
from stripjpeg.optimize import optimal_huffman_spec
from stripjpeg.scan_decoding import extend
from stripjpeg.stages.huffman import amplitude_bits, magnitude_category, stuff_bytes
from stripjpeg.tables import DC_CHROMINANCE, LUMINANCE_QUANT_TABLE, huffman_codes

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
