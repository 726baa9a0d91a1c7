"""cjpeg's switches in combination: random sets of them (DCT, sampling, per-table quality,
-baseline, colour space, optimize, progressive, arithmetic coding, smoothing, a restart
interval in rows or in MCUs), each compared byte for byte with what Debian's cjpeg writes for
the same pixels, through ``encode`` and through an ``Encoder`` fed in uneven pieces, on every
backend. The single switches are tested one by one in their own files; this is where they
meet.
"""

from __future__ import annotations

import io
import itertools
import subprocess
from dataclasses import dataclass, field
from pathlib import Path

import numpy as np
import pytest
from conftest import BACKENDS
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st
from oracle import photo
from PIL import Image

import stripjpeg

#: Image sizes: 1x1, sizes that are no multiple of any MCU, and one of several strips.
SIZES = [(1, 1), (7, 13), (13, 7), (33, 47), (61, 19), (100, 37)]
#: cjpeg -sample values for a YCbCr frame (an RGB frame is not subsampled here, as Pillow
#: refuses it; a grayscale frame has one component).
SAMPLES = ["1x1", "2x1", "2x2", "1x2", "4x1", "3x2", "2x2,1x2,2x1", "1x1,2x2,2x2"]
DCTS = {"int": "islow", "fast": "ifast", "float": "float"}
#: cjpeg -restart NB values: intervals that end mid-row and cross strips.
RESTART_BLOCKS = [1, 2, 3, 5, 7, 13]


@dataclass
class Switches:
    """One set of cjpeg switches and the stripjpeg options that mean the same."""

    arguments: list[str] = field(default_factory=list)
    options: dict = field(default_factory=dict)

    def add(self, arguments: list[str], **options) -> None:
        self.arguments += arguments
        self.options.update(options)


@st.composite
def switch_sets(draw: st.DrawFn) -> Switches:
    switches = Switches()
    colour = draw(st.sampled_from(["ycc", "rgb", "gray"]))
    if colour == "rgb":
        switches.add(["-rgb"], keep_rgb=True, subsampling="4:4:4")
    elif colour == "gray":
        switches.add(["-grayscale"], grayscale=True)
    else:
        sample = draw(st.sampled_from(SAMPLES))
        switches.add(["-sample", sample], subsampling=sample)
    qualities = draw(st.lists(st.integers(1, 100), min_size=1, max_size=2))
    switches.add(["-quality", ",".join(map(str, qualities))],
                 quality=qualities[0] if len(qualities) == 1 else tuple(qualities))
    # -baseline: steps clamped to 255 (below quality 24 it matters), as Pillow clamps them;
    # without it, 16-bit steps and an SOF1 frame.
    if draw(st.booleans()):
        switches.add(["-baseline"])
    else:
        switches.add([], baseline=False)
    dct = draw(st.sampled_from(sorted(DCTS)))
    switches.add(["-dct", dct], dct=DCTS[dct])
    arithmetic = draw(st.booleans())
    if arithmetic:
        switches.add(["-arithmetic"], arithmetic=True)
    if draw(st.booleans()):
        switches.add(["-progressive"], progressive=True)
    elif not arithmetic and draw(st.booleans()):  # cjpeg refuses -optimize with -arithmetic
        switches.add(["-optimize"], optimize=True)
    if draw(st.booleans()):
        factor = draw(st.integers(1, 100))
        switches.add(["-smooth", str(factor)], smooth=factor)
    if not arithmetic and draw(st.booleans()):  # mid-row intervals: Huffman coding only, so far
        blocks = draw(st.sampled_from(RESTART_BLOCKS))
        switches.add(["-restart", f"{blocks}B"], restart_blocks=blocks)
    else:
        rows = draw(st.integers(0, 3))
        switches.add(["-restart", str(rows)], restart_rows=rows)
    return switches


def cjpeg(pixels: np.ndarray, folder: Path, arguments: list[str]) -> bytes:
    """What cjpeg writes for ``pixels`` (a PPM, or a PGM for grey) with ``arguments``."""
    source = folder / ("in.pgm" if pixels.ndim == 2 else "in.ppm")
    Image.fromarray(pixels).save(source)
    return subprocess.run(["cjpeg", *arguments, str(source)], capture_output=True, check=True).stdout


def streamed(pixels: np.ndarray, cuts: list[int], backend: str, options: dict) -> bytes:
    """The file of an ``Encoder`` fed ``pixels`` in pieces cut at the rows ``cuts``."""
    buffer = io.BytesIO()
    height, width = pixels.shape[:2]
    mode = "L" if pixels.ndim == 2 else "RGB"
    with stripjpeg.Encoder(buffer, width, height, mode=mode, backend=backend, **options) as encoder:
        for top, bottom in zip([0, *cuts], [*cuts, height]):
            encoder.write(pixels[top:bottom])
    return buffer.getvalue()


# libjpeg smooths only full-size and 2x2 components; stripjpeg warns about the others.
@pytest.mark.filterwarnings("ignore:smooth=:UserWarning")
@pytest.mark.parametrize("backend", BACKENDS)
@settings(max_examples=40, deadline=None, suppress_health_check=[HealthCheck.function_scoped_fixture])
@given(switches=switch_sets(), size=st.sampled_from(SIZES), gray_input=st.booleans(), data=st.data())
def test_switch_combinations_are_cjpegs(tmp_path, backend, switches, size, gray_input, data) -> None:
    width, height = size
    pixels = np.ascontiguousarray(photo("coffee")[60:60 + height, 90:90 + width])
    if gray_input and not switches.options.get("keep_rgb"):
        pixels = np.ascontiguousarray(pixels[:, :, 1])
    expected = cjpeg(pixels, tmp_path, switches.arguments)
    assert stripjpeg.encode(pixels, backend=backend, **switches.options) == expected, switches.arguments
    cuts = sorted(data.draw(st.sets(st.integers(1, max(1, height - 1)), max_size=3)) - {height})
    assert streamed(pixels, cuts, backend, switches.options) == expected, (switches.arguments, cuts)


def test_the_generator_reaches_every_switch() -> None:
    # A test of the test: over many draws, every switch and value turns up.
    seen: set[str] = set()

    @settings(max_examples=1000, deadline=None)
    @given(switches=switch_sets())
    def collect(switches: Switches) -> None:
        arguments = switches.arguments
        seen.update(a for a in arguments if a.startswith("-"))
        seen.update(f"{k} {v}" for k, v in itertools.pairwise(arguments)
                    if k in ("-sample", "-dct", "-restart"))
        if "," in arguments[arguments.index("-quality") + 1]:
            seen.add("-quality N,N")

    collect()
    expected = {"-rgb", "-grayscale", "-progressive", "-optimize", "-quality N,N", "-baseline",
                "-arithmetic", "-smooth",
                *(f"-sample {s}" for s in SAMPLES), *(f"-dct {d}" for d in DCTS),
                *(f"-restart {r}" for r in range(4))}
    assert expected <= seen, expected - seen
