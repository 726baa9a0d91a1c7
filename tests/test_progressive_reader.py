"""The progressive reader (T.81 G.2) against libjpeg, and against files written by hand.

Every file from another encoder (Pillow, cjpeg with its own and with written scan scripts,
OpenCV, mozjpeg through jpeglib) must read as libjpeg's ``jpeg_read_coefficients`` reads it
(``jpeglib.read_dct``): every coefficient of every component, every quantization table. Files
written here bit by bit pin down what encoders seldom do (EOBRUN over several blocks, with its
extra bits and past the end of the scan; a band ending without EOB; correction bits inside an
EOBRUN, in Python and in NumPy; restarts resetting EOBRUN and the DC predictions; DRI changing
between scans) with the coefficients worked out by hand, and libjpeg agreeing. Malformed files
must fail with a ``ValueError`` that names the scan, and bounds are checked (a frame too large
for its data, thousands of scans).

No jpegli encoder of progressive files is tested: none is among the test dependencies (no
imagecodecs, no ``cjpegli`` tool), and the Python binding pyjpegli 0.3.2, tried aside, writes
baseline files only.
"""

from __future__ import annotations

import json
import time
from pathlib import Path

import cv2
import jpeglib
import numpy as np
import pytest
from other_encoders import assert_equals_libjpeg, cjpeg, crop, opencv, pillow, pillow_cmyk, sof

import stripjpeg.backends
from stripjpeg.cli import main
from stripjpeg.inspect import read_coefficients, read_jpeg, read_markers, read_scans
from stripjpeg.tables import ZIGZAG


@pytest.fixture(autouse=True, params=["kernels", "textbook"])
def scan_decoders(request, monkeypatch: pytest.MonkeyPatch) -> str:
    """Every test twice: the reader's numba kernels (the default where numba imports), and
    the Python textbook (stripjpeg.progressive_reader's own methods)."""
    if request.param == "textbook":
        monkeypatch.setattr(stripjpeg.backends, "reads_with_kernels", lambda backend=None: False)
    return request.param


def assert_progressive(data: bytes, tmp_path: Path) -> None:
    """An SOF2 file of more than one scan that reads as libjpeg reads it."""
    assert sof(data)[0] == 0xC2
    assert len(read_scans(data)) > 1
    assert assert_equals_libjpeg(data, tmp_path).process == "progressive"


# --- Pillow -----------------------------------------------------------------------------------

@pytest.mark.parametrize("quality", [5, 50, 75, 90, 100])
@pytest.mark.parametrize("subsampling", ["4:4:4", "4:2:2", "4:2:0"])
def test_pillow_qualities_and_subsamplings(quality: int, subsampling: str, tmp_path: Path) -> None:
    data = pillow(crop(37, 23), quality=quality, subsampling=subsampling, progressive=True)
    assert_progressive(data, tmp_path)


@pytest.mark.parametrize("rows, cols", [(23, 37), (1, 1), (17, 300), (300, 17), (64, 80)])
@pytest.mark.parametrize("subsampling", ["4:2:0", "gray"])
def test_pillow_odd_sizes(rows: int, cols: int, subsampling: str, tmp_path: Path) -> None:
    pixels = crop(rows, cols, "chelsea")
    if subsampling == "gray":
        data = pillow(np.ascontiguousarray(pixels[:, :, 0]), quality=85, progressive=True)
    else:
        data = pillow(pixels, quality=85, subsampling=subsampling, progressive=True)
    assert_progressive(data, tmp_path)


@pytest.mark.parametrize("restart_rows", [1, 2])
@pytest.mark.parametrize("subsampling", ["4:4:4", "4:2:0"])
def test_pillow_restart_markers(restart_rows: int, subsampling: str, tmp_path: Path) -> None:
    data = pillow(crop(45, 61), quality=80, subsampling=subsampling, progressive=True,
                  restart_marker_rows=restart_rows)
    assert_progressive(data, tmp_path)
    assert all(scan.restart_markers > 0 for scan in read_scans(data))


def test_pillow_cmyk(tmp_path: Path) -> None:
    assert_progressive(pillow_cmyk(crop(30, 41), 75, progressive=True), tmp_path)


# --- cjpeg --------------------------------------------------------------------------------------

CJPEG_PROGRESSIVE = {  # name: (gray input, switches)
    "default": (False, []),
    "restart-1-row": (False, ["-restart", "1"]),
    "restart-5-MCUs": (False, ["-restart", "5B"]),
    "sample-2x2": (False, ["-sample", "2x2"]),
    "sample-2x1-quality-30": (False, ["-sample", "2x1", "-quality", "30"]),
    "grayscale": (False, ["-grayscale"]),
    "gray-input": (True, ["-quality", "95"]),
    "optimize-quality-100": (False, ["-optimize", "-quality", "100", "-sample", "1x1"]),
}


@pytest.mark.parametrize("name", CJPEG_PROGRESSIVE)
def test_cjpeg_progressive(name: str, tmp_path: Path) -> None:
    gray, switches = CJPEG_PROGRESSIVE[name]
    pixels = crop(57, 83)
    data = cjpeg(pixels[:, :, 1] if gray else pixels, tmp_path, "-progressive", *switches)
    assert_progressive(data, tmp_path)


SCAN_SCRIPTS = {  # name: (components in the file, script for cjpeg -scans)
    # DC with Al=2 refined twice; every AC band first sent with Al up to 3, then refined to 0.
    "successive-approximation": (3, "0 1 2: 0 0 0 2;\n0: 1 5 0 3;\n0: 6 63 0 3;\n1: 1 63 0 2;\n"
                                    "2: 1 63 0 1;\n0: 1 63 3 2;\n0 1 2: 0 0 2 1;\n0: 1 63 2 1;\n"
                                    "1: 1 63 2 1;\n1: 1 63 1 0;\n2: 1 63 1 0;\n0: 1 63 1 0;\n"
                                    "0 1 2: 0 0 1 0;\n"),
    # DC scans of one component each (so no dummy blocks), one of them refined.
    "non-interleaved-dc": (3, "0: 0 0 0 1;\n1: 0 0 0 0;\n2: 0 0 0 0;\n0: 0 0 1 0;\n0: 1 1 0 0;\n"
                              "0: 2 63 0 1;\n0: 2 63 1 0;\n1: 1 63 0 0;\n2: 1 63 0 0;\n"),
    # Bands of one coefficient, of two, and the last one alone.
    "narrow-bands": (3, "0 1 2: 0 0 0 0;\n0: 1 1 0 1;\n0: 2 3 0 0;\n0: 4 62 0 2;\n0: 63 63 0 0;\n"
                        "0: 1 1 1 0;\n0: 4 62 2 1;\n0: 4 62 1 0;\n1: 1 63 0 0;\n2: 1 63 0 0;\n"),
    # An incomplete progression: coefficients that no scan sends stay zero.
    "partial": (3, "0 1 2: 0 0 0 1;\n0: 1 9 0 0;\n"),
    "grayscale-successive": (1, "0: 0 0 0 3;\n0: 1 63 0 2;\n0: 0 0 3 2;\n0: 1 63 2 1;\n0: 0 0 2 1;\n"
                                "0: 1 63 1 0;\n0: 0 0 1 0;\n"),
}


@pytest.mark.parametrize("switches", [[], ["-restart", "1"], ["-restart", "3B", "-sample", "1x1"],
                                      ["-sample", "2x2", "-quality", "90"]],
                         ids=["plain", "restart-1", "restart-3B-444", "sample-2x2-q90"])
@pytest.mark.parametrize("name", SCAN_SCRIPTS)
def test_cjpeg_scan_scripts(name: str, switches: list[str], tmp_path: Path) -> None:
    components, script = SCAN_SCRIPTS[name]
    (tmp_path / "scans.txt").write_text(script)
    pixels = crop(41, 70)
    data = cjpeg(pixels if components == 3 else pixels[:, :, 0], tmp_path,
                 "-scans", str(tmp_path / "scans.txt"), *switches)
    assert_progressive(data, tmp_path)
    scans = read_scans(data)
    assert len(scans) == script.count(";")
    if "-restart" in switches:
        assert all(scan.restart_markers > 0 for scan in scans)
    if name == "partial":
        y, cb, cr = read_coefficients(data)
        assert not cb.reshape(-1, 64)[:, 1:].any() and not cr.reshape(-1, 64)[:, 1:].any()
        assert not y.reshape(-1, 64)[:, ZIGZAG[10:]].any() and y.reshape(-1, 64)[:, ZIGZAG[1:10]].any()


# --- OpenCV and mozjpeg ------------------------------------------------------------------------

OPENCV_CASES = {
    "q30": lambda: [cv2.IMWRITE_JPEG_QUALITY, 30],
    "q95-4:4:4": lambda: [cv2.IMWRITE_JPEG_QUALITY, 95, cv2.IMWRITE_JPEG_SAMPLING_FACTOR,
                          cv2.IMWRITE_JPEG_SAMPLING_FACTOR_444],
    "q75-restart-3": lambda: [cv2.IMWRITE_JPEG_QUALITY, 75, cv2.IMWRITE_JPEG_RST_INTERVAL, 3],
    "q85-4:2:2-optimize": lambda: [cv2.IMWRITE_JPEG_QUALITY, 85, cv2.IMWRITE_JPEG_SAMPLING_FACTOR,
                                   cv2.IMWRITE_JPEG_SAMPLING_FACTOR_422, cv2.IMWRITE_JPEG_OPTIMIZE, 1],
}


@pytest.mark.parametrize("name", OPENCV_CASES)
def test_opencv_progressive(name: str, tmp_path: Path) -> None:
    pixels = crop(53, 74, "coffee")[:, :, ::-1]
    assert_progressive(opencv(pixels, cv2.IMWRITE_JPEG_PROGRESSIVE, 1, *OPENCV_CASES[name]()), tmp_path)


def test_opencv_progressive_grayscale(tmp_path: Path) -> None:
    assert_progressive(opencv(crop(29, 90, "camera"), cv2.IMWRITE_JPEG_PROGRESSIVE, 1), tmp_path)


@pytest.mark.parametrize(("version", "quality", "gray"), [("mozjpeg403", 80, False), ("mozjpeg403", 60, True),
                                                          ("mozjpeg300", 95, False),
                                                          ("mozjpeg201", 50, False)])
def test_mozjpeg_progressive(version: str, quality: int, gray: bool, tmp_path: Path) -> None:
    # mozjpeg chooses its own scan script (one AC scan per component, or DC scans of one
    # component each, ...) and trellis-quantizes; written through jpeglib's mozjpeg builds.
    pixels = crop(57, 83)
    with jpeglib.version(version):
        jpeglib.from_spatial(pixels[:, :, :1] if gray else pixels).write_spatial(
            str(tmp_path / "mozjpeg.jpg"), qt=quality, flags=["+PROGRESSIVE_MODE"])
    assert_progressive((tmp_path / "mozjpeg.jpg").read_bytes(), tmp_path)


# --- Files written by hand, bit by bit -----------------------------------------------------------

# One DC table coding sizes 0..12, one AC table coding these symbols: every code is 5 bits,
# the symbol's place in its table (C.2: equal lengths give consecutive codes).
DC_SYMBOLS = list(range(13))
AC_SYMBOLS = [0x00, 0x10, 0x20, 0x30, 0x40, 0x50, 0x60, 0x01, 0x02, 0x03, 0x0A, 0x11, 0x21, 0x22,
              0x23, 0xD1, 0xF0]


def code(symbols: list[int], symbol: int) -> str:
    return format(symbols.index(symbol), "05b")


def amplitude(value: int) -> str:
    """F.1.2.1: the SSSS low bits of the value, or of value - 1 when negative."""
    size = abs(value).bit_length()
    return format(value if value >= 0 else value + (1 << size) - 1, f"0{size}b") if size else ""


def dc(difference: int) -> str:
    return code(DC_SYMBOLS, abs(difference).bit_length()) + amplitude(difference)


def ac(run: int, value: int) -> str:
    return code(AC_SYMBOLS, run << 4 | abs(value).bit_length()) + amplitude(value)


def eob(blocks: int) -> str:
    """EOBn (G.1.2.2): an EOBRUN of ``blocks``, 2**n plus the n bits after the code."""
    n = blocks.bit_length() - 1
    return code(AC_SYMBOLS, n << 4) + (format(blocks - (1 << n), f"0{n}b") if n else "")


ZRL = code(AC_SYMBOLS, 0xF0)


def new(run: int, positive: bool) -> str:
    """A refinement symbol (G.1.2.3): skip ``run`` zero coefficients, make the next ±1; its
    sign bit follows the code (the correction bits of the coefficients passed come after)."""
    return code(AC_SYMBOLS, run << 4 | 1) + ("1" if positive else "0")


def segment(marker: int, payload: bytes) -> bytes:
    return bytes([0xFF, marker]) + (len(payload) + 2).to_bytes(2, "big") + payload


def entropy_coded(bits: str) -> bytes:
    """Restart intervals separated by "|", each padded with 1 bits, stuffed, RSTn between."""
    out = b""
    for number, interval in enumerate(bits.replace(" ", "").split("|")):
        if number:
            out += bytes([0xFF, 0xD0 + (number - 1) % 8])
        interval += "1" * (-len(interval) % 8)
        packed = int(interval, 2).to_bytes(len(interval) // 8, "big") if interval else b""
        out += packed.replace(b"\xff", b"\xff\x00")
    return out


def handmade(width: int, height: int, scans: list, components: int = 1) -> bytes:
    """A progressive file: ``components`` components sampled 1x1 (ids 1, 2, 3), all steps 1,
    the two tables above, then for each scan ``(ids, Ss, Se, Ah, Al, bits)`` its SOS and
    entropy-coded data, or ``("DRI", n)`` for a DRI segment; ``ids`` as a string, "1" or "123";
    the scan's components use tables 0, or ``(dc, ac)`` given as a 7th item."""
    frame = bytes([8]) + height.to_bytes(2, "big") + width.to_bytes(2, "big") + bytes([components])
    frame += b"".join(bytes([1 + i, 0x11, 0]) for i in range(components))
    tables = (bytes([0x00]) + bytes(4) + bytes([len(DC_SYMBOLS)]) + bytes(11) + bytes(DC_SYMBOLS)
              + bytes([0x10]) + bytes(4) + bytes([len(AC_SYMBOLS)]) + bytes(11) + bytes(AC_SYMBOLS))
    out = (b"\xff\xd8" + segment(0xDB, bytes(1) + bytes([1] * 64)) + segment(0xC2, frame)
           + segment(0xC4, tables))
    for scan in scans:
        if scan[0] == "DRI":
            out += segment(0xDD, scan[1].to_bytes(2, "big"))
            continue
        ids, ss, se, ah, al, bits, *selectors = scan
        dc_table, ac_table = selectors[0] if selectors else (0, 0)
        header = bytes([len(ids)]) + b"".join(bytes([int(i), dc_table << 4 | ac_table]) for i in ids)
        out += segment(0xDA, header + bytes([ss, se, ah << 4 | al])) + entropy_coded(bits)
    return out + b"\xff\xd9"


def zigzag_blocks(coefficients: np.ndarray) -> np.ndarray:
    """A component's blocks, row by row, each as its 64 coefficients in zigzag order."""
    return coefficients.reshape(-1, 64)[:, ZIGZAG]


def expected(blocks: int, values: dict[tuple[int, int], int]) -> np.ndarray:
    """Zigzag blocks that are zero but for ``{(block, k): value}``."""
    array = np.zeros((blocks, 64), np.int16)
    for (block, k), value in values.items():
        array[block, k] = value
    return array


# Eight blocks in a row: the DC differences, then one AC first scan of the whole band.
DC_DIFFERENCES = [5, -2, 0, 0, 3, 0, 0, -1]
AC_FIRST = (ac(0, 1) + ac(2, -3) + eob(1)  # block 0: k=1 is 1, k=4 is -3
            + eob(3)  # blocks 1..3: an EOBRUN of 3 (EOB1 and the extra bit 1)
            + ZRL + ac(2, 7) + ac(0, -1) + eob(1)  # block 4: k=19 is 7, k=20 is -1
            + ZRL * 3 + ac(13, 1) + ac(0, -1)  # block 5: k=62, k=63, and the band ends: no EOB
            + eob(4))  # blocks 6 and 7, and two blocks past the end of the scan (libjpeg allows it)
AC_FIRST_VALUES = {(0, 1): 1, (0, 4): -3, (4, 19): 7, (4, 20): -1, (5, 62): 1, (5, 63): -1}


def test_handmade_eobrun_and_bands_without_eob(tmp_path: Path) -> None:
    data = handmade(64, 8, [("1", 0, 0, 0, 0, "".join(dc(d) for d in DC_DIFFERENCES)),
                            ("1", 1, 63, 0, 0, AC_FIRST)])
    decoded = assert_equals_libjpeg(data, tmp_path)
    want = expected(8, AC_FIRST_VALUES)
    want[:, 0] = np.cumsum(DC_DIFFERENCES)
    np.testing.assert_array_equal(zigzag_blocks(decoded.coefficients[0]), want)


def test_handmade_successive_approximation_refinements(tmp_path: Path) -> None:
    # The same values sent with Al=1, then refined (G.1.2.1, G.1.2.3): DC bits 1 for blocks
    # 0 and 7; for AC, the symbols and the correction bits in the order Figure G.7 reads them.
    refinement = (new(1, True) + "1"  # block 0: k=1 (2) corrected to 3, k=2 passed, k=3 new +1
                  + eob(1) + "1"  # EOB; k=4 (-6) corrected to -7
                  + eob(3)  # blocks 1..3, nothing nonzero: no bits
                  + ZRL + new(1, False)  # block 4: 16 zeros (k=1..16), k=17 passed, k=18 new -1
                  + eob(2) + "01"  # EOBRUN over the rest of block 4 (k=19: 14 stays, k=20: -2 -> -3)
                  + "10"  # and block 5 (k=62: 2 -> 3; k=63: -2 stays)
                  + eob(2))  # blocks 6, 7
    data = handmade(64, 8, [("1", 0, 0, 0, 1, "".join(dc(d) for d in DC_DIFFERENCES)),
                            ("1", 1, 63, 0, 1, AC_FIRST),
                            ("1", 0, 0, 1, 0, "10000001"),
                            ("1", 1, 63, 1, 0, refinement)])
    decoded = assert_equals_libjpeg(data, tmp_path)
    want = expected(8, {(0, 1): 3, (0, 3): 1, (0, 4): -7, (4, 18): -1, (4, 19): 14, (4, 20): -3,
                        (5, 62): 3, (5, 63): -2})
    want[:, 0] = 2 * np.cumsum(DC_DIFFERENCES) + np.array([1, 0, 0, 0, 0, 0, 0, 1])
    np.testing.assert_array_equal(zigzag_blocks(decoded.coefficients[0]), want)


def test_handmade_long_eobrun_corrected_as_arrays(tmp_path: Path) -> None:
    # 32 blocks, each with k=1 sent as 1 at Al=1; one EOBRUN of all 32 in the refinement
    # (its first block in Python, the other 31 x 63 coefficients as arrays), bits 1, 0, 1, ...
    first = (ac(0, 1) + eob(1)) * 32
    data = handmade(256, 8, [("1", 0, 0, 0, 0, dc(0) * 32), ("1", 1, 63, 0, 1, first),
                             ("1", 1, 63, 1, 0, eob(32) + "10" * 16)])
    decoded = assert_equals_libjpeg(data, tmp_path)
    np.testing.assert_array_equal(zigzag_blocks(decoded.coefficients[0])[:, 1], [3, 2] * 16)


def test_handmade_restarts_reset_eobrun_and_predictions_and_dri_changes(tmp_path: Path) -> None:
    # Three components, three MCUs of one block each. DRI 1 for the DC scan: each MCU is a
    # restart interval, so the DC predictions restart at 0 (F.2.1.3.1) and RST0, RST1 follow
    # one another; DRI 0 for Cb's AC scan; DRI 1 again for Y's, whose EOBRUN of 7 in the first
    # interval ends at the restart (libjpeg's process_restart), so the next block has symbols.
    # Cr has no AC scan: its AC coefficients stay 0. The DC refinement of Cr names table 3,
    # which no DHT defines: DC refinement uses no table (G.1.2.1), libjpeg does not look it up.
    scans = [("DRI", 1),
             ("123", 0, 0, 0, 1, dc(4) + dc(-3) + dc(2) + "|" + dc(1) + dc(0) + dc(-2) + "|" + dc(0) * 3),
             ("DRI", 0),
             ("2", 1, 63, 0, 0, ac(0, -2) + eob(3)),
             ("DRI", 1),
             ("1", 1, 63, 0, 0, eob(7) + "|" + ac(0, 5) + eob(1) + "|" + ac(1, 1) + eob(1)),
             ("DRI", 0),
             ("3", 0, 0, 1, 0, "100", (3, 0)),
             ("12", 0, 0, 1, 0, "110100")]
    data = handmade(24, 8, scans, components=3)
    assert [s.restart_markers for s in read_scans(data)] == [2, 0, 2, 0, 0]
    decoded = assert_equals_libjpeg(data, tmp_path)
    y, cb, cr = (zigzag_blocks(c) for c in decoded.coefficients)
    np.testing.assert_array_equal(y[:, 0], [9, 2, 0])  # 4, 1, 0 shifted by Al=1; bits 1, 0, 0
    np.testing.assert_array_equal(cb[:, 0], [-5, 1, 0])  # -6, 0, 0 (two's complement) | 1, 1, 0
    np.testing.assert_array_equal(cr[:, 0], [5, -4, 0])  # 4, -4, 0 | 1, 0, 0
    np.testing.assert_array_equal(y[:, 1:], expected(3, {(1, 1): 5, (2, 2): 1})[:, 1:])
    np.testing.assert_array_equal(cb[:, 1:], expected(3, {(0, 1): -2})[:, 1:])
    assert not cr[:, 1:].any()


def test_a_component_no_scan_codes_is_zeros(tmp_path: Path) -> None:
    data = handmade(16, 8, [("1", 0, 0, 0, 0, dc(3) + dc(1)), ("1", 1, 63, 0, 0, ac(0, 1) + eob(2))],
                    components=3)
    y, cb, cr = assert_equals_libjpeg(data, tmp_path).coefficients
    assert y[0, 1, 0, 0] == 4 and y[0, 0, 0, 1] == 1
    assert not cb.any() and not cr.any() and cb.shape == cr.shape == (1, 2, 8, 8)


# --- Malformed files -------------------------------------------------------------------------------

def dc_scan(blocks: int = 8) -> tuple:
    return ("1", 0, 0, 0, 0, dc(0) * blocks)


HANDMADE_BROKEN = {  # name: (scans of a one-component 64x8 file, what the error says)
    "refinement coefficient of size 2": (
        [dc_scan(), ("1", 1, 63, 0, 1, eob(8)), ("1", 1, 63, 1, 0, ac(0, 2) + eob(8))],
        r"^scan 2 \(component 1, Ss=1, Se=63, Ah=1, Al=0\): a newly nonzero coefficient of size 2"),
    "AC run past Se": ([dc_scan(), ("1", 1, 5, 0, 0, ac(13, 1) + eob(8))],
                       r"^scan 1 .*an AC run goes past the end of the band"),
    "ZRL past Se": ([dc_scan(), ("1", 1, 5, 0, 0, ZRL + eob(8))], "zero runs go past the end of the band"),
    "refinement run past Se": ([dc_scan(), ("1", 1, 2, 0, 1, eob(8)), ("1", 1, 2, 1, 0, new(2, True))],
                               "a zero run goes past the end of the band"),
    "DC of 12 bits": ([("1", 0, 0, 0, 0, code(DC_SYMBOLS, 12) + "0" * 12)], "DC difference of size 12"),
    "DC over 16 bits at Al=5": ([("1", 0, 0, 0, 5, dc(1500) + dc(0) * 7)], "a DC value outside 16 bits"),
    "AC over 16 bits at Al=6": ([dc_scan(), ("1", 1, 63, 0, 6, ac(0, 1000) + eob(8))],
                                "an AC value of 10 bits shifted by Al=6 is outside 16 bits"),
    "truncated DC": ([("1", 0, 0, 0, 0, dc(0) * 6 + "00")], r"^truncated entropy-coded data"),
    "truncated DC refinement": ([("1", 0, 0, 0, 1, dc(0) * 8), ("1", 0, 0, 1, 0, "")],
                                r"^truncated entropy-coded data"),
    "DRI without RSTn": ([("DRI", 2), dc_scan()], r"^scan 0 .*: 1 restart intervals, expected 4"),
    "AC table not defined": ([dc_scan(), ("1", 1, 63, 0, 0, eob(8), (0, 2))],
                             "uses AC Huffman table 2, which is not defined"),
    "DC table not defined": ([("1", 0, 0, 0, 0, dc(0) * 8, (1, 0))], "uses DC Huffman table 1"),
    # Scan parameters libjpeg refuses (JERR_BAD_PROGRESSION).
    "DC with AC": ([("1", 0, 5, 0, 0, "")], r"^scan 0 \(component 1, Ss=0, Se=5, Ah=0, Al=0\): a DC scan"),
    "Ss > Se": ([dc_scan(), ("1", 6, 5, 0, 0, "")], "Ss > Se, an empty band"),
    "Se = 64": ([dc_scan(), ("1", 1, 64, 0, 0, "")], "Se=64 is past the last coefficient"),
    "Al = 14": ([("1", 0, 0, 0, 14, "")], "a point transform Al over 13"),
    "Ah = 2, Al = 0": ([dc_scan(), ("1", 1, 63, 0, 2, eob(8)), ("1", 1, 63, 2, 0, "")],
                       "Al must be Ah - 1"),
    # Progressions libjpeg only warns about (JWRN_BOGUS_PROGRESSION).
    "AC before DC": ([("1", 1, 63, 0, 0, eob(8))], "AC coefficients of component 1 before its DC first scan"),
    "band sent twice": ([dc_scan(), ("1", 1, 9, 0, 0, eob(8)), ("1", 5, 63, 0, 0, eob(8))],
                        "coefficient 5 of component 1 was sent by an earlier first scan"),
    "refinement sent twice": ([dc_scan(), ("1", 1, 63, 0, 1, eob(8)), ("1", 1, 63, 1, 0, eob(8)),
                               ("1", 1, 63, 1, 0, eob(8))],
                              r"^scan 3 .*refines coefficient 1 of component 1 from bit Ah=1, but the last "
                              r"scan of it had Al=0"),
    "refinement skipping a bit": ([("1", 0, 0, 0, 2, dc(0) * 8), ("1", 0, 0, 1, 0, "1" * 8)],
                                  "refines coefficient 0 of component 1 from bit Ah=1, but the last scan"),
    "refinement of a band never sent": ([dc_scan(), ("1", 1, 63, 1, 0, eob(8))],
                                        "refines coefficient 1 of component 1 from bit Ah=1, but no earlier"),
}


@pytest.mark.parametrize("name", HANDMADE_BROKEN)
def test_malformed_scans_are_refused_by_name(name: str) -> None:
    scans, message = HANDMADE_BROKEN[name]
    with pytest.raises(ValueError, match=message):
        read_jpeg(handmade(64, 8, scans))


def test_an_ac_scan_of_two_components_is_refused() -> None:
    data = handmade(8, 8, [("123", 0, 0, 0, 0, dc(0) * 3), ("12", 1, 63, 0, 0, "")], components=3)
    with pytest.raises(ValueError, match=r"^scan 1 \(components 1,2, .*an AC scan must code one component"):
        read_jpeg(data)


def test_truncated_progressive_files(tmp_path: Path) -> None:
    data = pillow(crop(40, 56), quality=85, progressive=True)
    assert_progressive(data, tmp_path)
    for sos in (s for s in read_markers(data) if s.name == "SOS"):
        begin, size = sos.offset + 2 + sos.length, sos.fields["entropy_bytes"]
        with pytest.raises(ValueError, match="truncated"):
            read_jpeg(data[:begin + size // 2])
        # The scan's data cut short, the next marker after it: the decoder runs out of bits.
        with pytest.raises(ValueError, match=r"truncated entropy-coded data|invalid Huffman code"):
            read_jpeg(data[:begin + size // 2] + data[begin + size:])


def test_a_sequential_scan_in_a_progressive_frame_is_named() -> None:
    data = bytearray(pillow(crop(16, 16), quality=80))
    data[data.index(b"\xff\xc0") + 1] = 0xC2
    with pytest.raises(ValueError, match=r"^scan 0 \(components 1,2,3, Ss=0, Se=63, Ah=0, Al=0\): a DC scan"):
        read_jpeg(bytes(data))


# --- Bounds ---------------------------------------------------------------------------------------

def test_a_frame_too_large_for_its_dc_scan_is_refused_before_allocating() -> None:
    # 16000 x 16000 pixels (under max_pixels): four million blocks, announced by a DC scan of
    # 4 bytes; a DC first scan costs at least a bit per block, so it cannot hold them.
    data = handmade(16000, 16000, [("1", 0, 0, 0, 0, "0" * 32)])
    started = time.perf_counter()
    with pytest.raises(ValueError, match=r"^scan 0 .*: 4000000 blocks, but its 4 bytes of entropy-coded data "
                                         r"hold at most 32"):
        read_jpeg(data)
    assert time.perf_counter() - started < 0.5


def every_scan(components: int) -> list:
    """The longest progression libjpeg accepts without a warning: per component, the DC
    first sent with Al=13 and refined 13 times, then each AC coefficient alone, the same way
    (14 x 64 scans per component). 64 blocks: each AC scan is one EOBRUN of 64 (EOB6)."""
    scans = []
    for ci in map(str, range(1, components + 1)):
        scans.append((ci, 0, 0, 0, 13, dc(1) + dc(0) * 63))
        scans += [(ci, 0, 0, ah, ah - 1, "01" * 32) for ah in range(13, 0, -1)]
        for k in range(1, 64):
            scans.append((ci, k, k, 0, 13, eob(64)))
            scans += [(ci, k, k, ah, ah - 1, eob(64)) for ah in range(13, 0, -1)]
    return scans


def test_thousands_of_scans_take_linear_time(tmp_path: Path) -> None:
    # 2,688 valid scans (three components): read as libjpeg reads them, in well under a
    # second each time; 2 MB after EOI change nothing (each scan's end is searched for in
    # its own data). One scan more can only break the progression, and is refused.
    data = handmade(64, 64, every_scan(3), components=3)
    assert len(read_scans(data)) == 3 * 14 * 64
    decoded = assert_equals_libjpeg(data, tmp_path)
    y = decoded.coefficients[0]  # every DC 1 at Al=13; then bits 0, 1, 0, 1, ... 13 times
    assert (y[0, 0, 0, 0], y[0, 1, 0, 0]) == (1 << 13, (1 << 14) - 1) and not y[..., 1:].any()
    timings = []
    for trailing in (b"", bytes(2_000_000)):
        started = time.perf_counter()
        read_jpeg(data + trailing)
        timings.append(time.perf_counter() - started)
    assert timings[1] < 2 * timings[0] + 0.05 and max(timings) < 2, timings
    once_more = data[:-2] + data[data.rindex(b"\xff\xda"):-2] + b"\xff\xd9"
    with pytest.raises(ValueError, match=r"^scan 2688 .*refines coefficient 63 of component 3"):
        read_jpeg(once_more)


# --- stripjpeg info ----------------------------------------------------------------------------------

# What `stripjpeg info` prints for this Pillow file (libjpeg-turbo's default progression for
# YCbCr, jcparam.c jpeg_simple_progression: DC with Al=1, Y's AC in two bands with Al=2,
# chroma AC with Al=1, then the refinements), segment by segment, then scan by scan.
INFO_PILLOW_24x16_PROGRESSIVE = "\n".join([
    '    offset  name  length  fields',
    '         0  SOI        0',
    '         2  APP0      16  version=1.01, units=0, density=(1, 1), thumbnail=(0, 0)',
    "        20  DQT       67  tables=['0 (8-bit)']",
    "        89  DQT       67  tables=['1 (8-bit)']",
    '       158  SOF2      17  process=progressive DCT, Huffman, precision=8, height=16, width=24, '
    "components=[{'id': 1, 'sampling': '2x2', 'table': 0}, {'id': 2, 'sampling': '1x1', 'table': 1}, "
    "{'id': 3, 'sampling': '1x1', 'table': 1}]",
    "       177  DHT       24  tables=['DC0 (5 symbols)']",
    "       203  DHT       21  tables=['DC1 (2 symbols)']",
    "       226  SOS       12  scan=0, components=[{'id': 1, 'dc': 0, 'ac': 0}, {'id': 2, 'dc': 1, "
    "'ac': 0}, {'id': 3, 'dc': 1, 'ac': 0}], Ss=0, Se=0, Ah=0, Al=1, entropy_bytes=9, "
    'restart_markers=0',
    "       249  DHT       27  tables=['AC0 (8 symbols)']",
    "       278  SOS        8  scan=1, components=[{'id': 1, 'dc': 0, 'ac': 0}], Ss=1, Se=5, Ah=0, "
    'Al=2, entropy_bytes=13, restart_markers=0',
    "       301  DHT       21  tables=['AC1 (2 symbols)']",
    "       324  SOS        8  scan=2, components=[{'id': 3, 'dc': 0, 'ac': 1}], Ss=1, Se=63, Ah=0, "
    'Al=1, entropy_bytes=1, restart_markers=0',
    "       335  DHT       22  tables=['AC1 (3 symbols)']",
    "       359  SOS        8  scan=3, components=[{'id': 2, 'dc': 0, 'ac': 1}], Ss=1, Se=63, Ah=0, "
    'Al=1, entropy_bytes=2, restart_markers=0',
    "       371  DHT       27  tables=['AC0 (8 symbols)']",
    "       400  SOS        8  scan=4, components=[{'id': 1, 'dc': 0, 'ac': 0}], Ss=6, Se=63, Ah=0, "
    'Al=2, entropy_bytes=9, restart_markers=0',
    "       419  DHT       26  tables=['AC0 (7 symbols)']",
    "       447  SOS        8  scan=5, components=[{'id': 1, 'dc': 0, 'ac': 0}], Ss=1, Se=63, Ah=2, "
    'Al=1, entropy_bytes=14, restart_markers=0',
    "       471  SOS       12  scan=6, components=[{'id': 1, 'dc': 0, 'ac': 0}, {'id': 2, 'dc': 0, "
    "'ac': 0}, {'id': 3, 'dc': 0, 'ac': 0}], Ss=0, Se=0, Ah=1, Al=0, entropy_bytes=2, "
    'restart_markers=0',
    "       487  DHT       22  tables=['AC1 (3 symbols)']",
    "       511  SOS        8  scan=7, components=[{'id': 3, 'dc': 0, 'ac': 1}], Ss=1, Se=63, Ah=1, "
    'Al=0, entropy_bytes=3, restart_markers=0',
    "       524  DHT       23  tables=['AC1 (4 symbols)']",
    "       549  SOS        8  scan=8, components=[{'id': 2, 'dc': 0, 'ac': 1}], Ss=1, Se=63, Ah=1, "
    'Al=0, entropy_bytes=3, restart_markers=0',
    "       562  DHT       27  tables=['AC0 (8 symbols)']",
    "       591  SOS        8  scan=9, components=[{'id': 1, 'dc': 0, 'ac': 0}], Ss=1, Se=63, Ah=1, "
    'Al=0, entropy_bytes=27, restart_markers=0',
    '       628  EOI        0',
    '',
    '10 scans:',
    '  scan  components  Ss..Se  Ah/Al  entropy_bytes  RSTn  defined before',
    '     0  1,2,3        0..0    0/1               9     0  DHT DC0, DHT DC1',
    '     1  1            1..5    0/2              13     0  DHT AC0',
    '     2  3            1..63   0/1               1     0  DHT AC1',
    '     3  2            1..63   0/1               2     0  DHT AC1',
    '     4  1            6..63   0/2               9     0  DHT AC0',
    '     5  1            1..63   2/1              14     0  DHT AC0',
    '     6  1,2,3        0..0    1/0               2     0',
    '     7  3            1..63   1/0               3     0  DHT AC1',
    '     8  2            1..63   1/0               3     0  DHT AC1',
    '     9  1            1..63   1/0              27     0  DHT AC0',
]) + "\n"


def test_cli_info_lists_every_scan(tmp_path: Path, capsys: pytest.CaptureFixture) -> None:
    path = tmp_path / "progressive.jpg"
    path.write_bytes(pillow(crop(16, 24), quality=75, subsampling="4:2:0", progressive=True))
    assert main(["info", str(path)]) == 0
    assert capsys.readouterr().out == INFO_PILLOW_24x16_PROGRESSIVE
    assert main(["info", str(path), "--json"]) == 0
    segments = json.loads(capsys.readouterr().out)
    assert [s["scan"] for s in segments if s["name"] == "SOS"] == list(range(10))
