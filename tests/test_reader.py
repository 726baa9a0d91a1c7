"""The coefficient reader against libjpeg (through jpeglib) on files from other encoders
(cjpeg, OpenCV, Pillow's CMYK), and fuzzed from seed files of every layout.

The oracle tests make each file from real pixels with the other encoder, then require every
coefficient of every component, and every quantization table, to equal what libjpeg's
``jpeg_read_coefficients`` gives. The fuzz mutates seeds of every layout the reader handles
and requires each mutant either to read as a well-formed result or to fail with a
``ValueError``, in under a second.
"""

from __future__ import annotations

import math
import subprocess
import time
from collections.abc import Callable
from pathlib import Path

import cv2
import numpy as np
import pytest
from other_encoders import assert_equals_libjpeg, cjpeg, crop, opencv, pillow, pillow_cmyk, sof

from stripjpeg.cli import main
from stripjpeg.inspect import read_coefficients, read_jpeg, read_markers

# --- Files from other encoders against libjpeg ------------------------------------------------

SEQUENTIAL_SCANS = "0: 0 63 0 0;\n1: 0 63 0 0;\n2: 0 63 0 0;\n"  # one full scan per component
PARTLY_INTERLEAVED_SCANS = "0: 0 63 0 0;\n1 2: 0 63 0 0;\n"
# Successive approximation of every band and the DC, refined down to Al=0 (cjpeg -scans).
SUCCESSIVE_SCANS = ("0 1 2: 0 0 0 2;\n0: 1 5 0 3;\n1: 1 63 0 1;\n2: 1 63 0 1;\n0: 6 63 0 2;\n"
                    "0: 1 5 3 2;\n0 1 2: 0 0 2 1;\n0: 1 63 2 1;\n1: 1 63 1 0;\n2: 1 63 1 0;\n"
                    "0: 1 63 1 0;\n0 1 2: 0 0 1 0;\n")

CJPEG_CASES = {  # name: (rows, cols, gray, switches)
    "sample-1x2": (101, 77, False, ["-sample", "1x2", "-quality", "85"]),
    "sample-4x1": (64, 93, False, ["-sample", "4x1", "-quality", "60"]),
    "sample-2x2,2x1,1x1": (57, 70, False, ["-sample", "2x2,2x1,1x1"]),
    "restart-3-MCUs": (48, 120, False, ["-restart", "3B", "-quality", "90"]),
    "restart-1-row-gray": (41, 33, True, ["-restart", "1", "-grayscale"]),
    "grayscale": (37, 45, False, ["-grayscale", "-quality", "95"]),
    "optimize": (64, 64, False, ["-optimize", "-quality", "100", "-sample", "1x1"]),
    "optimize-restart-odd": (35, 51, False, ["-optimize", "-restart", "2B", "-quality", "30"]),
    "odd-1x1": (1, 1, False, []),
    "odd-3x17": (3, 17, False, ["-quality", "5"]),
    "dct-float": (40, 40, False, ["-dct", "float", "-quality", "99"]),
    "gray-sampled-2x2": (37, 45, True, ["-sample", "2x2", "-quality", "70"]),
}


@pytest.mark.parametrize("name", CJPEG_CASES)
def test_cjpeg_files_read_as_libjpeg_reads_them(name: str, tmp_path: Path) -> None:
    rows, cols, gray, switches = CJPEG_CASES[name]
    pixels = crop(rows, cols)
    data = cjpeg(pixels[:, :, 1] if gray else pixels, tmp_path, *switches)
    decoded = assert_equals_libjpeg(data, tmp_path)
    if "-sample" in switches:
        factors = switches[switches.index("-sample") + 1].split(",")
        assert [f"{c.h}x{c.v}" for c in decoded.components][:len(factors)] == factors
    if "-restart" in switches:
        assert decoded.restart_interval > 0
        if name == "restart-3-MCUs":
            assert decoded.restart_interval == 3  # every 3 MCUs, not rows
    if gray or "-grayscale" in switches:
        assert len(decoded.components) == 1


@pytest.mark.parametrize("script", [SEQUENTIAL_SCANS, PARTLY_INTERLEAVED_SCANS], ids=["3-scans", "2-scans"])
def test_cjpeg_multi_scan_sequential_files(script: str, tmp_path: Path) -> None:
    # cjpeg -scans with Ss=0, Se=63, Ah=Al=0 everywhere writes a sequential (SOF0) file with
    # one SOS per line of the script: non-interleaved scans, which the reader must follow.
    (tmp_path / "scans.txt").write_text(script)
    data = cjpeg(crop(50, 83), tmp_path, "-scans", str(tmp_path / "scans.txt"))
    assert sof(data)[0] == 0xC0
    assert [s.name for s in read_markers(data)].count("SOS") == script.count(";")
    assert_equals_libjpeg(data, tmp_path)


def test_cjpeg_16_bit_quantization_table(tmp_path: Path) -> None:
    # A step over 255 (without -baseline) makes libjpeg write a 16-bit DQT and an SOF1 frame.
    steps = np.arange(1, 65).reshape(8, 8)
    steps[0, 0] = 300
    (tmp_path / "tables.txt").write_text("\n".join(" ".join(map(str, row)) for row in steps))
    data = cjpeg(crop(40, 56), tmp_path, "-qtables", str(tmp_path / "tables.txt"), "-qslots", "0")
    dqt = [s for s in read_markers(data) if s.name == "DQT"]
    assert "0 (16-bit)" in dqt[0].fields["tables"]
    assert sof(data)[0] == 0xC1
    decoded = assert_equals_libjpeg(data, tmp_path)
    assert decoded.process == "extended" and decoded.quant_tables[0][0] == 300
    np.testing.assert_array_equal(decoded.quant_tables[0].reshape(8, 8), steps)


@pytest.mark.parametrize("quality", [40, 92])
def test_pillow_cmyk_files(quality: int, tmp_path: Path) -> None:
    data = pillow_cmyk(crop(45, 61, "chelsea"), quality)
    names = [s.name for s in read_markers(data)]
    assert "APP14" in names  # Adobe marker: the four components are (inverted) CMYK
    decoded = assert_equals_libjpeg(data, tmp_path)
    assert len(decoded.components) == 4 and decoded.subsampling is None


OPENCV_CASES = {
    "q60-4:1:1-rst5": lambda: [cv2.IMWRITE_JPEG_QUALITY, 60, cv2.IMWRITE_JPEG_SAMPLING_FACTOR,
                               cv2.IMWRITE_JPEG_SAMPLING_FACTOR_411, cv2.IMWRITE_JPEG_RST_INTERVAL, 5],
    "q95-4:4:0-optimize": lambda: [cv2.IMWRITE_JPEG_QUALITY, 95, cv2.IMWRITE_JPEG_SAMPLING_FACTOR,
                                   cv2.IMWRITE_JPEG_SAMPLING_FACTOR_440, cv2.IMWRITE_JPEG_OPTIMIZE, 1],
    "q75-4:2:2-chroma-q20": lambda: [cv2.IMWRITE_JPEG_QUALITY, 75, cv2.IMWRITE_JPEG_SAMPLING_FACTOR,
                                     cv2.IMWRITE_JPEG_SAMPLING_FACTOR_422,
                                     cv2.IMWRITE_JPEG_CHROMA_QUALITY, 20],
    "q100-4:4:4-rst1": lambda: [cv2.IMWRITE_JPEG_QUALITY, 100, cv2.IMWRITE_JPEG_SAMPLING_FACTOR,
                                cv2.IMWRITE_JPEG_SAMPLING_FACTOR_444, cv2.IMWRITE_JPEG_RST_INTERVAL, 1],
}


@pytest.mark.parametrize("name", OPENCV_CASES)
def test_opencv_files(name: str, tmp_path: Path) -> None:
    data = opencv(crop(53, 74, "coffee")[:, :, ::-1], *OPENCV_CASES[name]())
    decoded = assert_equals_libjpeg(data, tmp_path)
    assert decoded.restart_interval == {"q60-4:1:1-rst5": 5, "q100-4:4:4-rst1": 1}.get(name, 0)


def test_opencv_grayscale(tmp_path: Path) -> None:
    assert_equals_libjpeg(opencv(crop(29, 90, "camera"), cv2.IMWRITE_JPEG_QUALITY, 70), tmp_path)


# --- Fuzzing from seeds of every layout ---------------------------------------------------------

@pytest.fixture(scope="module")
def seeds(tmp_path_factory) -> dict[str, bytes]:
    """Small files (tens of blocks) of every layout the reader handles."""
    tmp_path = tmp_path_factory.mktemp("seeds")
    pixels = crop(24, 40)
    tables = tmp_path / "tables.txt"
    tables.write_text("\n".join(" ".join(["400"] + ["7"] * 7) if i == 0 else " ".join(["9"] * 8)
                                for i in range(8)))
    scans = tmp_path / "scans.txt"
    scans.write_text(SEQUENTIAL_SCANS)
    successive = tmp_path / "successive.txt"
    successive.write_text(SUCCESSIVE_SCANS)
    return {
        "gray": pillow(pixels[:, :, 0], quality=80),
        "4:4:4": pillow(pixels, quality=90, subsampling="4:4:4"),
        "4:2:0": pillow(pixels, quality=75, subsampling="4:2:0"),
        "4:2:2": pillow(pixels, quality=60, subsampling="4:2:2"),
        "cmyk": pillow_cmyk(pixels[:16, :24], 70),
        "restart-rows": pillow(pixels, quality=85, restart_marker_rows=1),
        "restart-3-MCUs": cjpeg(pixels, tmp_path, "-restart", "3B", "-sample", "1x1"),  # 5 MCUs a row
        "dqt-16-bit": cjpeg(pixels, tmp_path, "-qtables", str(tables), "-qslots", "0"),
        "optimized": pillow(pixels, quality=95, optimize=True),
        "multi-scan": cjpeg(pixels, tmp_path, "-scans", str(scans)),
        "sample-4x1": cjpeg(pixels[:, :33], tmp_path, "-sample", "4x1"),
        "tiny-1x1": pillow(pixels[:1, :1], quality=50),
        "odd-7x13": pillow(pixels[:7, :13], quality=50, subsampling="4:2:0", restart_marker_blocks=1),
        "progressive-4:2:0": pillow(pixels, quality=75, progressive=True),
        "progressive-gray-odd": pillow(pixels[:21, :19, 0], quality=90, progressive=True),
        "progressive-cmyk": pillow_cmyk(pixels[:16, :24], 70, progressive=True),
        "progressive-restart-rows": pillow(pixels, quality=85, progressive=True, restart_marker_rows=1),
        "progressive-successive": cjpeg(pixels, tmp_path, "-scans", str(successive), "-restart", "2B"),
    }


def segment_spans(data: bytes) -> list[tuple[int, int]]:
    """(start, end) of every marker segment of a valid seed, SOS with its entropy data."""
    spans = []
    for s in read_markers(data)[1:-1]:
        end = s.offset + 2 + s.length + s.fields.get("entropy_bytes", 0)
        spans.append((s.offset, end))
    return spans


def mutate(data: bytes, rng: np.random.Generator) -> tuple[str, bytes]:
    """One random mutation of a seed, and a description that reproduces it."""
    kind = rng.integers(11)
    out = bytearray(data)
    spans = segment_spans(data)
    if kind == 0:  # bit flips anywhere
        bits = rng.integers(0, 8 * len(data), rng.integers(1, 9)).tolist()
        for bit in bits:
            out[bit // 8] ^= 1 << (bit % 8)
        return f"flip bits {bits}", bytes(out)
    if kind == 1:  # bit flips inside the headers (before the first scan's data)
        start, end = spans[0][0], next(s for s, e in spans if data[s + 1] == 0xDA) + 14
        bits = rng.integers(8 * start, 8 * end, rng.integers(1, 4)).tolist()
        for bit in bits:
            out[bit // 8] ^= 1 << (bit % 8)
        return f"flip header bits {bits}", bytes(out)
    if kind == 2:
        cut = int(rng.integers(0, len(data)))
        return f"truncate at {cut}", data[:cut]
    if kind == 3:
        at, count = int(rng.integers(0, len(data) + 1)), int(rng.integers(1, 17))
        extra = rng.integers(0, 256, count, dtype=np.uint8).tobytes()
        return f"insert {extra.hex()} at {at}", data[:at] + extra + data[at:]
    if kind == 4:
        at, count = int(rng.integers(0, len(data))), int(rng.integers(1, 17))
        return f"delete {count} bytes at {at}", data[:at] + data[at + count:]
    if kind == 5:
        start, end = spans[int(rng.integers(len(spans)))]
        return f"duplicate segment {start}:{end}", data[:end] + data[start:end] + data[end:]
    if kind == 6:
        start, end = spans[int(rng.integers(len(spans)))]
        return f"drop segment {start}:{end}", data[:start] + data[end:]
    if kind == 9:  # one segment repeated many times (many scans, many tables)
        start, end = spans[int(rng.integers(len(spans)))]
        count = int(rng.integers(2, 100))
        repeated = data[:end] + data[start:end] * count + data[end:]
        return f"repeat segment {start}:{end} {count} times", repeated
    if kind == 7:  # a length field changed
        start, _ = spans[int(rng.integers(len(spans)))]
        old = int.from_bytes(data[start + 2:start + 4], "big")
        new = int(rng.choice([0, 1, 2, 3, old - 1, old + 1, old + 64, 65535, int(rng.integers(65536))]))
        new %= 65536
        out[start + 2:start + 4] = new.to_bytes(2, "big")
        return f"length at {start}: {old} -> {new}", bytes(out)
    if kind == 10:  # a scan header field: component, tables, Ss, Se or Ah/Al (a progression broken)
        scans = [start for start, _ in spans if data[start + 1] == 0xDA]
        start = scans[int(rng.integers(len(scans)))]
        field = int(rng.integers(4 + 1, 2 + int.from_bytes(data[start + 2:start + 4], "big")))
        value = int(rng.choice([0, 1, 2, 0x10, 0x21, 0x0E, 63, 64, 0xFF, int(rng.integers(256))]))
        out[start + field] = value
        return f"SOS byte {field} at {start} = {value}", bytes(out)
    # A frame header field set to an extreme: sizes, component count, sampling factors, tables.
    sof_start = next(s for s, _ in spans if data[s + 1] in (0xC0, 0xC1, 0xC2, 0xC3, 0xC9, 0xCA))
    field = int(rng.integers(4 + 1, 4 + 6 + 3 * data[sof_start + 9]))
    value = int(rng.choice([0, 1, 0x11, 0x44, 0x45, 0x7F, 0xFF, int(rng.integers(256))]))
    out[sof_start + field] = value
    return f"SOF byte {field} = {value}", bytes(out)


def fuzz_seeds(seeds: dict[str, bytes], rng: np.random.Generator,
               check: Callable[[bytes, str], None], cases: int, seconds: float) -> int:
    """Give ``check(data, label)`` mutants of the seeds in turn (:func:`mutate`), until
    ``cases`` have run or ``seconds`` have passed; returns the index of the last case run, so
    that a caller can require a share of ``cases`` to have run in the time."""
    names = sorted(seeds)
    started = time.perf_counter()
    for case in range(cases):
        name = names[case % len(names)]
        what, data = mutate(seeds[name], rng)
        check(data, f"case {case}, seed {name}: {what}")
        if time.perf_counter() - started > seconds:
            break
    return case


def check_reads_or_refuses(data: bytes, what: str, seconds: float = 1,
                           backend: str | None = None) -> None:
    """Either a well-formed result of the declared shapes, or a ValueError, within ``seconds``
    (read with ``backend``'s scan decoders: numba's kernels or the textbook)."""
    started = time.perf_counter()
    try:
        decoded = read_jpeg(data, backend=backend)
    except ValueError:
        pass
    else:
        assert len(decoded.coefficients) == len(decoded.components) == len(decoded.quant_tables), what
        hmax, vmax = max(c.h for c in decoded.components), max(c.v for c in decoded.components)
        for c, blocks, table in zip(decoded.components, decoded.coefficients, decoded.quant_tables):
            rows = math.ceil(math.ceil(decoded.height * c.v / vmax) / 8)  # A.1.1
            cols = math.ceil(math.ceil(decoded.width * c.h / hmax) / 8)
            assert blocks.dtype == np.int16 and blocks.shape == (rows, cols, 8, 8), what
            assert table.dtype == np.uint16 and table.shape == (64,), what
    try:
        segments = read_markers(data)
    except ValueError:
        pass
    else:
        assert segments[0].name == "SOI" and segments[-1].name == "EOI", what
        assert all(s.offset < len(data) for s in segments), what
    elapsed = time.perf_counter() - started
    assert elapsed < seconds, f"{what}: {elapsed:.2f} s"


def test_seeds_are_valid_and_varied(seeds: dict[str, bytes], tmp_path: Path) -> None:
    for name, data in seeds.items():
        decoded = assert_equals_libjpeg(data, tmp_path)
        markers = [s.name for s in read_markers(data)]
        if name.startswith("restart"):
            assert decoded.restart_interval == 3  # one MCU row of 40 pixels at 4:2:0; or 3 MCUs of 5
        if name == "multi-scan":
            assert markers.count("SOS") == 3
        if name == "dqt-16-bit":
            assert decoded.process == "extended"
        assert (decoded.process == "progressive") == name.startswith("progressive"), name
        if name == "progressive-successive":
            assert markers.count("SOS") == SUCCESSIVE_SCANS.count(";") and decoded.restart_interval == 2
    assert {len(read_jpeg(d).components) for d in seeds.values()} == {1, 3, 4}


FUZZ_CASES, FUZZ_SECONDS = 4000, 20


def test_mutated_seeds_read_or_fail_with_value_error(seeds: dict[str, bytes], backend: str) -> None:
    rng = np.random.default_rng(20240607)
    for data in seeds.values():  # numba's kernels compiled (or loaded) before the clock starts
        read_jpeg(data, backend=backend)
    case = fuzz_seeds(seeds, rng, lambda data, what: check_reads_or_refuses(data, what, backend=backend),
                      FUZZ_CASES, FUZZ_SECONDS)
    assert case > FUZZ_CASES // 3, f"only {case} cases in {FUZZ_SECONDS} s"


# --- What the fuzz and a look at the costs found, one case each -----------------------------------

def gray_8x8() -> bytes:
    return pillow(crop(8, 8)[:, :, 0], quality=50)


def segment(data: bytes, name: str) -> bytes:
    s = next(s for s in read_markers(data) if s.name == name)
    return data[s.offset:s.offset + 2 + s.length + s.fields.get("entropy_bytes", 0)]


def seconds(function, *args) -> float:
    started = time.perf_counter()
    function(*args)
    return time.perf_counter() - started


def test_finding_a_scans_end_costs_the_scan_not_the_rest_of_the_file() -> None:
    # Each scan's end was searched for over the whole rest of the file, so a file of many
    # short scans took quadratic time (20,000 scans of one block: seconds). Here 1,000 valid
    # scans of one block are followed by 2 MB after EOI, which must cost nothing (it was
    # read 1,000 times over); a ratio, so that a loaded machine's slowness cancels out.
    data = gray_8x8()
    scan = segment(data, "SOS")
    scans = data.replace(scan, scan * 1_000)
    trailing = scans + bytes(2_000_000)
    assert [s.name for s in read_markers(trailing)].count("SOS") == 1_000
    np.testing.assert_array_equal(read_coefficients(trailing)[0], read_coefficients(data)[0])
    for reader in (read_markers, read_coefficients):
        best = [min(seconds(reader, d) for _ in range(3)) for d in (trailing, scans)]
        ratio = best[0] / best[1]
        assert ratio < 2, f"{reader.__name__}: 2 MB after EOI made it {ratio:.1f} x slower"


def test_a_file_of_many_huffman_tables_parses_quickly() -> None:
    # Each DHT segment built a 65,536-entry lookahead: 5,000 one-code tables took seconds.
    data = gray_8x8()
    table = bytes.fromhex("ffc40014") + b"\x03" + b"\x01" + b"\x00" * 15 + b"\x00"  # DC3: one code
    many = data.replace(segment(data, "SOF0"), segment(data, "SOF0") + table * 5_000)
    started = time.perf_counter()
    np.testing.assert_array_equal(read_coefficients(many)[0], read_coefficients(data)[0])
    assert time.perf_counter() - started < 1


@pytest.mark.parametrize(("marker", "message"), [
    (0xCB, r"^an arithmetic-coded lossless JPEG \(SOF11\)"),
    (0xC3, r"^a lossless JPEG \(SOF3\)")])
def test_other_processes_are_named_with_the_right_article(marker: int, message: str) -> None:
    data = bytearray(gray_8x8())
    data[data.index(b"\xff\xc0") + 1] = marker
    with pytest.raises(ValueError, match=message):
        read_coefficients(bytes(data))


def patched(data: bytes, name: str, offset: int, *values: int) -> bytes:
    """``data`` with bytes set from ``offset`` bytes into segment ``name``'s payload on
    (offset -2 is its length field)."""
    s = next(s for s in read_markers(data) if s.name == name)
    out = bytearray(data)
    out[s.offset + 4 + offset:s.offset + 4 + offset + len(values)] = bytes(values)
    return bytes(out)


def test_an_interleaved_mcu_of_more_than_10_blocks_is_refused() -> None:
    # A.2.3: at most 10 blocks per interleaved MCU (libjpeg: "Sampling factors too large for
    # interleaved scan"). Y at 4x4 with Cb and Cr at 1x1 would be 18.
    data = pillow(crop(32, 32), quality=80, subsampling="4:4:4")
    with pytest.raises(ValueError, match="18 blocks per MCU: at most 10"):
        read_coefficients(patched(data, "SOF0", 7, 0x44))


def test_components_must_be_distinct() -> None:
    # Two frame components with one id made the scan fill only the second: the first came
    # back all zeros, silently. libjpeg (as jpeglib runs it) refuses such files too.
    data = pillow(crop(16, 16), quality=80, subsampling="4:4:4")
    with pytest.raises(ValueError, match=r"two components the same id: \[1, 1, 3\]"):
        read_coefficients(patched(patched(data, "SOF0", 9, 1), "SOS", 3, 1))
    with pytest.raises(ValueError, match="the scan names component 1 twice"):
        read_coefficients(patched(data, "SOS", 3, 1))


BROKEN = {  # name: (mutation of a valid 4:2:0 file, what the one-line error says)
    "truncated in the scan": (lambda d: d[:-20], "no end marker"),
    "truncated in a DHT": (lambda d: d[:len(d) // 2], "declares length"),
    "no SOI": (lambda d: d[2:], "SOI"),
    "long DQT": (lambda d: patched(d, "DQT", -2, 0xFF, 0xFF), "declares length 65535"),
    "bad DHT": (lambda d: patched(d, "DHT", 0, 0x57), "malformed DHT"),
}


@pytest.mark.parametrize("name", BROKEN)
def test_cli_info_on_a_broken_file(name: str, tmp_path: Path, capsys) -> None:
    mutation, message = BROKEN[name]
    path = tmp_path / "broken.jpg"
    path.write_bytes(mutation(pillow(crop(16, 24), quality=80)))
    assert main(["info", str(path)]) == 2
    captured = capsys.readouterr()
    assert captured.out == ""
    assert captured.err.count("\n") == 1 and captured.err.startswith("stripjpeg: error: ")
    assert message in captured.err


def test_cli_info_on_a_broken_file_prints_no_traceback(tmp_path: Path) -> None:
    import os
    import sys

    path = tmp_path / "broken.jpg"
    path.write_bytes(pillow(crop(16, 24), quality=80)[:300])
    result = subprocess.run([sys.executable, "-m", "stripjpeg", "info", str(path)], capture_output=True,
                            text=True, env={**os.environ, "PYTHONPATH": str(Path(__file__).parents[1])})
    assert result.returncode == 2 and result.stdout == ""
    assert result.stderr.startswith("stripjpeg: error: ") and result.stderr.count("\n") == 1
    assert "Traceback" not in result.stderr
