"""The arithmetic-coded and lossless readers fuzzed as the baseline reader is (test_reader.py).

Seeds of every layout: arithmetic-coded sequential (SOF9) and progressive (SOF10) files
written by stripjpeg (``arithmetic=True``) and by libjpeg-turbo's ``cjpeg -arithmetic``, read
by :func:`stripjpeg.inspect.read_jpeg`; lossless (SOF3) files of 8, 12 and 16 bits written by
stripjpeg and by libjpeg-turbo 3.1 (imagecodecs), read by
:func:`stripjpeg.lossless_reader.read_samples`. test_reader.py's mutations (bit flips,
truncation, insertions, deletions, segments dropped, duplicated or repeated, lengths and
frame and scan header fields changed) must each give a well-formed result or a ValueError,
within a bound of time.
"""

from __future__ import annotations

import time
from pathlib import Path

import imagecodecs
import jpeglib
import numpy as np
import pytest
from other_encoders import assert_equals_libjpeg, cjpeg, crop
from test_reader import check_reads_or_refuses, fuzz_seeds

import stripjpeg
from stripjpeg.inspect import read_jpeg, read_markers
from stripjpeg.lossless_reader import read_samples

#: Mutants per group, and the time they may take in all (the cases that ran must be many).
FUZZ_CASES, FUZZ_SECONDS = 3000, 20
#: An arithmetic mutant's bound: a second, and a second per 10 kB. The textbook decoder is
#: Python (a few µs a decision, about 20 kB of entropy-coded data a second on 2 busy cores;
#: the numba backend's kernels are some 50 times faster), and a mutant may repeat a scan a
#: hundred times, each copy decoded again (as libjpeg does).
ARITHMETIC_SECONDS_PER_BYTE = 1e-4
#: A lossless mutant's bound: the reader is the textbook, one sample at a time in Python, and
#: a mutated frame may declare up to 8 samples per byte of the file.
LOSSLESS_SECONDS = 2


@pytest.fixture(scope="module")
def arithmetic_seeds(tmp_path_factory) -> dict[str, bytes]:
    """Small arithmetic-coded files (tens of blocks) of every layout."""
    tmp_path = tmp_path_factory.mktemp("arithmetic")
    pixels = crop(24, 40)
    return {
        "ours-4:2:0": stripjpeg.encode(pixels, 75, subsampling="4:2:0", arithmetic=True),
        "ours-gray-restart": stripjpeg.encode(pixels[:, :, 0], 90, arithmetic=True, restart_rows=1),
        "ours-4:4:4-no-restart": stripjpeg.encode(pixels, 60, arithmetic=True, restart_rows=0),
        "ours-progressive": stripjpeg.encode(pixels, 80, subsampling="4:2:0", arithmetic=True,
                                             progressive=True),
        "ours-progressive-gray-odd": stripjpeg.encode(pixels[:21, :19, 0], 85, arithmetic=True,
                                                      progressive=True),
        "cjpeg": cjpeg(pixels, tmp_path, "-arithmetic"),
        "cjpeg-restart": cjpeg(pixels, tmp_path, "-arithmetic", "-restart", "2B", "-sample", "1x1"),
        "cjpeg-progressive": cjpeg(pixels, tmp_path, "-arithmetic", "-progressive"),
        "cjpeg-progressive-gray": cjpeg(pixels[:, :, 0], tmp_path, "-arithmetic", "-progressive",
                                        "-restart", "1"),
    }


@pytest.fixture(scope="module")
def lossless_seeds() -> dict[str, bytes]:
    """Small lossless files (a few hundred samples: the reader is the slow textbook)."""
    rng = np.random.default_rng(17)
    pixels = crop(12, 16)
    twelve = rng.integers(0, 4096, (10, 14, 3)).astype(np.uint16)
    sixteen = rng.integers(0, 65536, (9, 11)).astype(np.uint16)
    return {
        "ours-rgb-1": stripjpeg.encode(pixels, lossless=True, predictor=1),
        "ours-gray-7-pt2": stripjpeg.encode(pixels[:, :, 0], lossless=True, predictor=7, point_transform=2,
                                            restart_rows=0),
        "ours-12-bit-4": stripjpeg.encode(twelve, lossless=True, predictor=4, precision=12, restart_rows=2),
        "ours-16-bit-6": stripjpeg.encode(sixteen, lossless=True, predictor=6, precision=16),
        "libjpeg-rgb-5": imagecodecs.jpeg8_encode(pixels, lossless=True, predictor=5),
        "libjpeg-16-bit-2": imagecodecs.jpeg8_encode(sixteen, lossless=True, predictor=2, bitspersample=16),
    }


def test_seeds_are_valid_and_varied(arithmetic_seeds: dict[str, bytes], lossless_seeds: dict[str, bytes],
                                    tmp_path: Path) -> None:
    for name, data in arithmetic_seeds.items():
        with jpeglib.version("turbo210"):  # libjpeg-turbo 2.1, built with arithmetic decoding
            decoded = assert_equals_libjpeg(data, tmp_path)
        progressive = "progressive" in name
        assert decoded.process == ("arithmetic progressive" if progressive else "arithmetic"), name
        assert "DAC" in [s.name for s in read_markers(data)], name
    assert {len(read_jpeg(d).components) for d in arithmetic_seeds.values()} == {1, 3}
    for name, data in lossless_seeds.items():
        samples = read_samples(data)
        assert np.array_equal(samples, imagecodecs.jpeg8_decode(data)), name
        assert [s.name for s in read_markers(data)].count("SOF3") == 1, name


def test_mutated_arithmetic_files_read_or_fail_with_value_error(arithmetic_seeds: dict[str, bytes],
                                                                backend: str) -> None:
    rng = np.random.default_rng(20261201)
    for data in arithmetic_seeds.values():  # numba's kernels compiled (or loaded) first
        read_jpeg(data, backend=backend)

    def check(data: bytes, what: str) -> None:
        check_reads_or_refuses(data, what, 1 + len(data) * ARITHMETIC_SECONDS_PER_BYTE, backend)

    case = fuzz_seeds(arithmetic_seeds, rng, check, FUZZ_CASES, FUZZ_SECONDS)
    assert case > FUZZ_CASES // 3, f"only {case} cases in {FUZZ_SECONDS} s"


def check_samples_or_refuses(data: bytes, what: str) -> None:
    """Either samples of the declared frame (uint8 up to 8 bits, uint16 above), or a
    ValueError, within :data:`LOSSLESS_SECONDS`."""
    started = time.perf_counter()
    try:
        image = stripjpeg.lossless_reader.read_lossless(data)
    except ValueError:
        pass
    else:
        samples = image.samples
        assert samples.dtype == (np.uint8 if image.precision <= 8 else np.uint16), what
        assert samples.ndim == (2 if len(image.component_ids) == 1 else 3), what
        assert int(samples.max(initial=0)) < 1 << image.precision, what
    elapsed = time.perf_counter() - started
    assert elapsed < LOSSLESS_SECONDS, f"{what}: {elapsed:.2f} s"


def test_mutated_lossless_files_read_or_fail_with_value_error(lossless_seeds: dict[str, bytes]) -> None:
    rng = np.random.default_rng(20261202)
    case = fuzz_seeds(lossless_seeds, rng, check_samples_or_refuses, FUZZ_CASES, FUZZ_SECONDS)
    assert case > FUZZ_CASES // 6, f"only {case} cases in {FUZZ_SECONDS} s"


# --- What the fuzz found, one case each -------------------------------------------------------------

def test_a_lossless_sample_over_the_precision_is_refused_not_wrapped() -> None:
    """Corrupt differences can reconstruct a sample over 2**P - 1 (modulo 2**16, H.2): it was
    cast to the sample type silently (wrapped for P <= 8). A 16-bit file whose frame is
    relabelled 12-bit (or 8-bit) decodes to such samples (its first prediction changes too)."""
    samples = np.full((4, 5), 5000, np.uint16)
    data = bytearray(stripjpeg.encode(samples, lossless=True, predictor=1, precision=16))
    sof = next(s for s in read_markers(bytes(data)) if s.name == "SOF3").offset
    assert data[sof + 4] == 16
    data[sof + 4] = 12
    with pytest.raises(ValueError, match=r"a sample decodes to \d+, over the 12-bit maximum 4095"):
        read_samples(bytes(data))
    data[sof + 4] = 8
    with pytest.raises(ValueError, match="over the 8-bit maximum 255"):
        read_samples(bytes(data))


def libjpeg_reads(data: bytes, tmp_path: Path) -> list[np.ndarray]:
    path = tmp_path / "oracle.jpg"
    path.write_bytes(data)
    with jpeglib.version("turbo210"):  # reads lazily: inside the block
        theirs = jpeglib.read_dct(str(path))
        return [theirs.Y, theirs.Cb, theirs.Cr] if theirs.has_chrominance else [theirs.Y]


@pytest.mark.parametrize("switches", [["-sample", "2x2"], ["-grayscale"],
                                      ["-sample", "1x1", "-restart", "40"]])
def test_a_flat_end_of_an_arithmetic_scan_is_filled_at_once(tmp_path: Path, switches,
                                                            monkeypatch) -> None:
    """libjpeg's encoder drops the final zero bytes (jcarith.c), so the flat end of a scan
    costs nothing in the file, and the decoder reads zeros for it: once the bins are
    settled (SequentialDecoder.settled) the reader fills the rest of the interval in one step.
    A 64 x 12000 image flat below its first 40 rows: libjpeg's coefficients, from a few
    thousand decisions (block by block, two a block: 24,000 for the grey one)."""
    pixels = np.full((12000, 64, 3), 100, np.uint8)
    pixels[:40, :40] = crop(40, 40)
    data = cjpeg(pixels, tmp_path, "-arithmetic", *switches)
    assert len(data) < 2000
    decisions = []
    decode = stripjpeg.arithmetic_decoding.QMDecoder.decode
    monkeypatch.setattr(stripjpeg.arithmetic_decoding.QMDecoder, "decode",
                        lambda coder, stats, index: decisions.append(1) or decode(coder, stats, index))
    ours = read_jpeg(data).coefficients
    for mine, theirs in zip(ours, libjpeg_reads(data, tmp_path), strict=True):
        np.testing.assert_array_equal(mine, theirs)
    blocks = sum(c.shape[0] * c.shape[1] for c in ours)
    assert len(decisions) < blocks / 4, f"{len(decisions)} decisions for {blocks} blocks"


def test_an_arithmetic_frame_taller_than_its_data_reads_as_libjpeg_reads_it(tmp_path: Path) -> None:
    """Past its data the decoder reads zeros (D.2.6), as libjpeg does: a file whose frame
    claims 40 times the rows it codes decodes to libjpeg's coefficients, garbage included
    (here they never settle: the time is the claimed blocks', bounded by max_pixels)."""
    data = bytearray(stripjpeg.encode(crop(24, 40), 60, arithmetic=True, restart_rows=0))
    sof = next(s for s in read_markers(bytes(data)) if s.name == "SOF9").offset
    data[sof + 5:sof + 7] = (24 * 40).to_bytes(2, "big")
    ours = read_jpeg(bytes(data)).coefficients
    assert ours[0].shape == (120, 5, 8, 8)
    for mine, theirs in zip(ours, libjpeg_reads(bytes(data), tmp_path), strict=True):
        np.testing.assert_array_equal(mine, theirs)
