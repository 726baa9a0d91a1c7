"""The reader's numba kernels (backends.numba_read_progressive, backends.numba_read_arithmetic)
against the Python textbook and against libjpeg.

Every file is read twice, ``backend="numba"`` and ``backend="numpy"`` (the textbook), and both
must give libjpeg's coefficients (``jpeglib.read_dct``; libjpeg-turbo 2.1, ``"turbo210"``, for
arithmetic-coded files): progressive Huffman files of cjpeg (its default script, written
scripts with spectral selection and successive approximation, restart markers, greyscale,
every sampling), of Pillow and of stripjpeg; a flat image whose refinement scans have EOBRUNs
longer than the textbook's NumPy threshold; arithmetic-coded sequential and progressive files
of cjpeg and stripjpeg. Mutated files (bit flips, truncation, segments changed: test_reader's
mutations) must give both paths the same outcome: the same coefficients, or a ValueError with
the same text. And the choice of path is checked: ``backend=``, ``$STRIPJPEG_BACKEND``,
``$STRIPJPEG_FALLBACK=all``.
"""

from __future__ import annotations

import time
from pathlib import Path

import jpeglib
import numpy as np
import pytest
from other_encoders import cjpeg, crop, pillow
from test_reader import SUCCESSIVE_SCANS, mutate

import stripjpeg
from stripjpeg import progressive_reader, tables
from stripjpeg.backends import numba_read_arithmetic, numba_read_progressive, reads_with_kernels
from stripjpeg.inspect import read_markers
from stripjpeg.reader import read_jpeg
from stripjpeg.scan_decoding import entropy_data_end

#: Spectral selection and successive approximation down to Al = 0, with a band ending early.
SCRIPT = ("0 1 2: 0 0 0 1;\n0: 1 5 0 2;\n0: 6 63 0 2;\n1: 1 63 0 1;\n2: 1 63 0 1;\n"
          "0: 1 63 2 1;\n0 1 2: 0 0 1 0;\n0: 1 63 1 0;\n1: 1 63 1 0;\n2: 1 63 1 0;\n")
GRAY_SCRIPT = ("0: 0 0 0 2;\n0: 1 63 0 3;\n0: 1 63 3 2;\n0: 0 0 2 1;\n0: 1 63 2 1;\n0: 0 0 1 0;\n"
               "0: 1 63 1 0;\n")


def libjpeg(data: bytes, tmp_path: Path, version: str | None = None) -> list[np.ndarray]:
    """libjpeg's coefficients of every component (jpeglib.read_dct)."""
    path = tmp_path / "oracle.jpg"
    path.write_bytes(data)
    if version is None:
        theirs = jpeglib.read_dct(str(path))
        return [theirs.Y, theirs.Cb, theirs.Cr] if theirs.has_chrominance else [theirs.Y]
    with jpeglib.version(version):  # jpeglib reads lazily: inside the block
        theirs = jpeglib.read_dct(str(path))
        return [theirs.Y, theirs.Cb, theirs.Cr] if theirs.has_chrominance else [theirs.Y]


def assert_both_equal_libjpeg(data: bytes, tmp_path: Path, process: str,
                              version: str | None = None) -> None:
    fast, textbook = read_jpeg(data, backend="numba"), read_jpeg(data, backend="numpy")
    assert fast.process == textbook.process == process
    theirs = libjpeg(data, tmp_path, version)
    assert len(fast.coefficients) == len(textbook.coefficients) == len(theirs)
    for index, (a, b, c) in enumerate(zip(fast.coefficients, textbook.coefficients, theirs)):
        assert a.dtype == b.dtype == np.int16
        np.testing.assert_array_equal(a, c, err_msg=f"numba, component {index}")
        np.testing.assert_array_equal(b, c, err_msg=f"textbook, component {index}")
    assert fast.coef_bits == textbook.coef_bits
    assert fast.dummy_dc_masks == textbook.dummy_dc_masks


def switches(args: tuple[str, ...], tmp_path: Path) -> list[str]:
    """cjpeg's switches, SCRIPT and GRAY_SCRIPT written to files."""
    (tmp_path / "script.txt").write_text(SCRIPT)
    (tmp_path / "gray.txt").write_text(GRAY_SCRIPT)
    (tmp_path / "successive.txt").write_text(SUCCESSIVE_SCANS)
    names = {"SCRIPT": "script.txt", "GRAY_SCRIPT": "gray.txt", "SUCCESSIVE": "successive.txt"}
    return [str(tmp_path / names[a]) if a in names else a for a in args]


# --- progressive Huffman ------------------------------------------------------------------------

@pytest.mark.parametrize("rows, cols, gray, args", [
    (64, 96, False, ("-progressive",)),
    (37, 23, False, ("-progressive", "-sample", "1x1")),
    (41, 70, False, ("-progressive", "-sample", "2x1", "-quality", "95")),
    (64, 93, False, ("-progressive", "-sample", "4x1")),
    (57, 70, False, ("-progressive", "-sample", "2x2,2x1,1x1")),
    (35, 51, False, ("-progressive", "-sample", "1x2", "-restart", "2B")),
    (48, 120, False, ("-progressive", "-restart", "1", "-quality", "30")),
    (33, 47, True, ("-progressive", "-grayscale", "-restart", "3B")),
    (40, 56, False, ("-scans", "SCRIPT", "-quality", "90")),
    (40, 56, False, ("-scans", "SUCCESSIVE", "-restart", "1B")),
    (29, 31, True, ("-scans", "GRAY_SCRIPT", "-quality", "100")),
    (1, 1, False, ("-progressive",)),
])
def test_cjpeg_progressive_files(rows, cols, gray, args, tmp_path: Path) -> None:
    pixels = crop(rows, cols)
    data = cjpeg(pixels[:, :, 0] if gray else pixels, tmp_path, *switches(args, tmp_path))
    assert_both_equal_libjpeg(data, tmp_path, "progressive")


@pytest.mark.parametrize("options", [
    dict(quality=75, progressive=True),
    dict(quality=95, subsampling="4:4:4", progressive=True, optimize=True),
    dict(quality=50, subsampling="4:2:2", progressive=True, restart_marker_rows=1),
])
def test_pillow_progressive_files(options, tmp_path: Path) -> None:
    assert_both_equal_libjpeg(pillow(crop(45, 61, "chelsea"), **options), tmp_path, "progressive")


@pytest.mark.parametrize("options", [
    dict(quality=80, subsampling="4:2:0"),
    dict(quality=95, subsampling="4:4:4", restart_rows=1),
    dict(quality=60, subsampling="4:2:2", restart_blocks=3),
])
def test_stripjpeg_progressive_files(options, tmp_path: Path) -> None:
    data = stripjpeg.encode(crop(50, 66), progressive=True, **options)
    assert_both_equal_libjpeg(data, tmp_path, "progressive")
    gray = stripjpeg.encode(crop(50, 66)[:, :, 0], progressive=True, quality=options["quality"])
    assert_both_equal_libjpeg(gray, tmp_path, "progressive")


def test_long_eobruns_in_refinement_scans(tmp_path: Path) -> None:
    """A flat picture with a little detail: refinement EOBRUNs of hundreds of blocks, over the
    textbook's SHORT_RUN (its NumPy path), with correction bits inside them."""
    pixels = np.full((256, 256), 128, np.uint8)
    pixels[40:60, 30:200] = crop(20, 170)[:, :, 0]
    pixels[200:210] = 90
    data = cjpeg(pixels, tmp_path, "-scans", *switches(("GRAY_SCRIPT",), tmp_path),
                 "-quality", "98")
    assert_both_equal_libjpeg(data, tmp_path, "progressive")


# --- arithmetic -------------------------------------------------------------------------------

@pytest.mark.parametrize("rows, cols, gray, args", [
    (48, 80, False, ("-arithmetic",)),
    (35, 51, False, ("-arithmetic", "-sample", "1x1", "-restart", "2B")),
    (41, 33, True, ("-arithmetic", "-restart", "1", "-grayscale")),
    (57, 70, False, ("-arithmetic", "-sample", "2x2,2x1,1x1", "-quality", "95")),
])
def test_cjpeg_arithmetic_sequential_files(rows, cols, gray, args, tmp_path: Path) -> None:
    pixels = crop(rows, cols)
    data = cjpeg(pixels[:, :, 0] if gray else pixels, tmp_path, *args)
    assert_both_equal_libjpeg(data, tmp_path, "arithmetic", "turbo210")


@pytest.mark.parametrize("rows, cols, gray, args", [
    (48, 80, False, ("-arithmetic", "-progressive")),
    (37, 23, False, ("-arithmetic", "-progressive", "-sample", "1x1", "-restart", "1")),
    (64, 93, False, ("-arithmetic", "-progressive", "-sample", "4x1", "-restart", "3B")),
    (33, 47, True, ("-arithmetic", "-progressive", "-grayscale")),
    (40, 56, False, ("-arithmetic", "-scans", "SCRIPT", "-quality", "90")),
    (29, 31, True, ("-arithmetic", "-scans", "GRAY_SCRIPT", "-restart", "1B")),
])
def test_cjpeg_arithmetic_progressive_files(rows, cols, gray, args, tmp_path: Path) -> None:
    pixels = crop(rows, cols)
    data = cjpeg(pixels[:, :, 0] if gray else pixels, tmp_path, *switches(args, tmp_path))
    assert_both_equal_libjpeg(data, tmp_path, "arithmetic progressive", "turbo210")


@pytest.mark.parametrize("progressive", [False, True])
def test_stripjpeg_arithmetic_files(progressive: bool, tmp_path: Path) -> None:
    process = "arithmetic progressive" if progressive else "arithmetic"
    for options in (dict(quality=75, subsampling="4:2:0"), dict(quality=90, restart_rows=1),
                    dict(quality=40, subsampling="4:4:4", restart_rows=0)):
        data = stripjpeg.encode(crop(45, 61, "chelsea"), arithmetic=True, progressive=progressive,
                                **options)
        assert_both_equal_libjpeg(data, tmp_path, process, "turbo210")


# --- broken files: the same outcome on both paths ---------------------------------------------

def outcome(data: bytes, backend: str) -> str | list[np.ndarray]:
    """The coefficients read, or the ValueError's text."""
    try:
        return read_jpeg(data, backend=backend).coefficients
    except ValueError as error:
        return f"ValueError: {error}"


@pytest.fixture(scope="module")
def seeds(tmp_path_factory) -> dict[str, bytes]:
    """Small progressive and arithmetic-coded files (tens of blocks) of every layout."""
    tmp_path = tmp_path_factory.mktemp("fast-readers")
    pixels = crop(24, 40)
    args = switches(("SCRIPT",), tmp_path)
    return {
        "cjpeg-progressive": cjpeg(pixels, tmp_path, "-progressive"),
        "cjpeg-progressive-restart": cjpeg(pixels, tmp_path, "-progressive", "-restart", "2B",
                                           "-sample", "1x1"),
        "cjpeg-script": cjpeg(pixels, tmp_path, "-scans", *args),
        "pillow-progressive-gray": pillow(pixels[:, :, 0], quality=85, progressive=True),
        "ours-progressive": stripjpeg.encode(pixels, 80, progressive=True, restart_rows=1),
        "cjpeg-arithmetic": cjpeg(pixels, tmp_path, "-arithmetic", "-restart", "1"),
        "cjpeg-arithmetic-progressive": cjpeg(pixels, tmp_path, "-arithmetic", "-progressive"),
        "cjpeg-arithmetic-script": cjpeg(pixels, tmp_path, "-arithmetic", "-scans", *args),
        "ours-arithmetic": stripjpeg.encode(pixels, 70, arithmetic=True, subsampling="4:4:4"),
    }


def test_mutated_files_give_both_paths_the_same_outcome(seeds: dict[str, bytes]) -> None:
    rng = np.random.default_rng(20261202)
    names = sorted(seeds)
    messages: set[str] = set()
    for data in seeds.values():  # the kernels compiled (or loaded) before the clock starts
        read_jpeg(data, backend="numba")
    started = time.perf_counter()
    for case in range(3000):
        name = names[case % len(names)]
        what, data = mutate(seeds[name], rng)
        fast, textbook = outcome(data, "numba"), outcome(data, "numpy")
        label = f"case {case}, seed {name}: {what}"
        if isinstance(textbook, str):
            assert fast == textbook, label
            messages.add(textbook)
        else:
            assert not isinstance(fast, str), f"{label}: {fast}"
            assert len(fast) == len(textbook), label
            for a, b in zip(fast, textbook):
                np.testing.assert_array_equal(a, b, err_msg=label)
        if time.perf_counter() - started > 30:
            break
    assert case > 300, f"only {case} cases in 30 s"
    # The kernels' own problems were met, not only the parser's: the fixed words of their texts.
    templates = [*numba_read_progressive.PROBLEMS.values(), *numba_read_arithmetic.PROBLEMS.values()]
    words = {template.removeprefix("{scan}: ").split("{")[0] for template in templates}
    met = {text for text in words if any(text in message for message in messages)}
    assert len(met) >= 5, (sorted(met), sorted(messages))


def test_truncated_scans_are_the_same_error_on_both_paths(tmp_path: Path) -> None:
    """Each scan's entropy-coded data cut to its first two bytes, the rest of the file kept:
    a Huffman-coded scan runs out of bits; an arithmetic-coded one reads zeros on (D.2.6)."""
    for data, least in ((cjpeg(crop(64, 64), tmp_path, "-progressive"), 5),
                        (cjpeg(crop(64, 64), tmp_path, "-arithmetic", "-progressive"), 0)):
        errors = 0
        for segment in read_markers(data):
            if segment.name != "SOS":
                continue
            begin = segment.offset + 2 + segment.length
            end, _ = entropy_data_end(data, begin)
            cut = data[:begin + 2] + data[end:]
            fast, textbook = outcome(cut, "numba"), outcome(cut, "numpy")
            if isinstance(textbook, str):
                errors += 1
                assert fast == textbook, segment
            else:
                assert all(np.array_equal(a, b) for a, b in zip(fast, textbook)), segment
        assert errors >= least


@pytest.mark.parametrize("entry, message", [
    (b"\x50\x45", "DAC entry with table class 5"),         # Tc=5 (the fuzz found one)
    (b"\x00\x23", "DAC entry for DC table 0 has L = 3 > U = 2"),
])
def test_a_dac_entry_libjpeg_refuses_is_refused(tmp_path: Path, entry: bytes, message: str) -> None:
    """libjpeg's get_dac (jdmarker.c) refuses a table class other than 0 or 1 (JERR_DAC_INDEX)
    and DC bounds with L > U (JERR_DAC_VALUE); so do both paths, with one message."""
    data = cjpeg(crop(24, 40), tmp_path, "-arithmetic")
    sos = data.index(b"\xff\xda")
    odd = data[:sos] + b"\xff\xcc\x00\x04" + entry + data[sos:]
    assert outcome(odd, "numba") == outcome(odd, "numpy")
    with pytest.raises(ValueError, match=message):
        read_jpeg(odd)


# --- the choice of path -----------------------------------------------------------------------

def test_the_backend_chooses_the_path(monkeypatch: pytest.MonkeyPatch, tmp_path: Path) -> None:
    data = cjpeg(crop(16, 16), tmp_path, "-progressive")
    arithmetic = cjpeg(crop(16, 16), tmp_path, "-arithmetic")
    assert reads_with_kernels("numba") and not reads_with_kernels("numpy")

    def refuse(*args, **kwargs):
        raise RuntimeError("the kernel ran")

    monkeypatch.setattr(numba_read_progressive, "decode_scan", refuse)
    monkeypatch.setattr(numba_read_arithmetic, "decode_scan", refuse)
    read_jpeg(data, backend="numpy")
    read_jpeg(arithmetic, backend="numpy")
    for source in (data, arithmetic):
        with pytest.raises(RuntimeError, match="the kernel ran"):
            read_jpeg(source, backend="numba")
    monkeypatch.setenv("STRIPJPEG_BACKEND", "numpy")
    assert not reads_with_kernels()
    read_jpeg(data)
    monkeypatch.setenv("STRIPJPEG_BACKEND", "numba")
    assert reads_with_kernels()
    monkeypatch.setenv("STRIPJPEG_FALLBACK", "entropy_encode, all")
    assert not reads_with_kernels() and not reads_with_kernels("numba")
    read_jpeg(data, backend="numba")
    with pytest.raises(ValueError, match="unknown backend 'nonesuch'"):
        read_jpeg(data, backend="nonesuch")


def test_the_kernels_copies_of_constants_are_the_textbooks() -> None:
    """numba compiles these in, and its cache checks only the kernel's own file."""
    for name in ("DC_X1", "AC_X2_LOW", "AC_X2_HIGH", "FIXED_HALF_STATE", "DC_STAT_BINS",
                 "AC_STAT_BINS"):
        assert getattr(numba_read_arithmetic, name) == getattr(tables, name), name
    assert numba_read_progressive.SHORT_RUN == progressive_reader.SHORT_RUN
