"""Progressive JPEG writing (T.81 G.1): byte for byte against Pillow and cjpeg, through every
entry point, and every rule of a scan script."""

from __future__ import annotations

import asyncio
import concurrent.futures
import io
import random
import subprocess
import sys

import numpy as np
import pytest
from conftest import BACKENDS
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st
from oracle import ffmpeg_decode, jpeginfo_check, pillow_jpeg
from PIL import Image
from strategies import images

import stripjpeg
from stripjpeg.examples import example_image
from stripjpeg.options import EncodeOptions
from stripjpeg.plan import make_plan
from stripjpeg.reader import read_coefficients, read_jpeg
from stripjpeg.scans import check_progressive_script, parse_scan_script, simple_progression

PILLOW_SUBSAMPLING = {"4:4:4": 0, "4:2:2": 1, "4:2:0": 2}


def pillow_progressive(pixels: np.ndarray, quality: int, subsampling: str, restart_rows: int) -> bytes:
    buffer = io.BytesIO()
    Image.fromarray(pixels).save(buffer, "JPEG", quality=quality, progressive=True,
                                 subsampling=PILLOW_SUBSAMPLING[subsampling],
                                 restart_marker_rows=restart_rows)
    return buffer.getvalue()


def cjpeg(pixels: np.ndarray, tmp_path, *arguments: str) -> bytes:
    source = tmp_path / ("in.pgm" if pixels.ndim == 2 else "in.ppm")
    Image.fromarray(pixels).save(source)
    return subprocess.run(["cjpeg", *arguments, str(source)], capture_output=True,
                          check=True).stdout


def segments(data: bytes) -> list[tuple[int, bytes]]:
    """(marker, payload) of every segment up to EOI, skipping entropy-coded data."""
    out, position = [], 2
    while True:
        marker = data[position + 1]
        if marker == 0xD9:
            return out
        length = int.from_bytes(data[position + 2:position + 4], "big")
        out.append((marker, data[position + 4:position + 2 + length]))
        position += 2 + length
        if marker == 0xDA:  # skip to the next marker that is not RSTn or a stuffed 0xFF
            while not (data[position] == 0xFF and data[position + 1] not in (0, *range(0xD0, 0xD8))):
                position += 1


# --- Exact: Pillow ---------------------------------------------------------------------------------

@pytest.mark.parametrize("backend", BACKENDS)
@pytest.mark.parametrize(("quality", "subsampling", "size", "restart_rows"), [
    (90, "4:4:4", (53, 37), 0),
    (90, "4:4:4", (53, 37), 1),
    (75, "4:2:0", (61, 45), 0),
    (75, "4:2:0", (61, 45), 1),
    (75, "4:2:0", (61, 45), 3),
    (100, "4:2:2", (40, 33), 1),
    (50, "4:2:0", (1, 1), 1),
    (30, "4:4:4", (17, 9), 2),
    (95, "4:2:0", (9, 70), 1),
])
def test_the_bytes_are_pillows(backend, quality, subsampling, size, restart_rows) -> None:
    pixels = example_image(*size)
    expected = pillow_progressive(pixels, quality, subsampling, restart_rows)
    assert stripjpeg.encode(pixels, quality, subsampling, progressive=True,
                            restart_rows=restart_rows, backend=backend) == expected


@settings(max_examples=60, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(data=st.data(), height=st.integers(1, 40), width=st.integers(1, 40),
       channels=st.sampled_from([1, 3, 4]), quality=st.integers(1, 100),
       subsampling=st.sampled_from(list(PILLOW_SUBSAMPLING)), restart_rows=st.sampled_from([0, 1, 3]))
def test_hypothesis_images_are_pillows(data, height, width, channels, quality, subsampling,
                                       restart_rows) -> None:
    image = data.draw(images(height, width, channels))
    expected = pillow_jpeg(image, quality, subsampling, restart_rows, progressive=True)
    for name in stripjpeg.backends.available():
        assert stripjpeg.encode(image, quality, subsampling, restart_rows=restart_rows,
                                progressive=True, backend=name) == expected


@pytest.mark.parametrize("backend", BACKENDS)
@pytest.mark.parametrize("restart_rows", [0, 1])
def test_grayscale_bytes_are_pillows(backend, restart_rows) -> None:
    pixels = example_image(45, 29)[:, :, 1].copy()
    for quality in (60, 100):
        expected = pillow_progressive(pixels, quality, "4:4:4", restart_rows)
        assert stripjpeg.encode(pixels, quality, progressive=True, restart_rows=restart_rows,
                                backend=backend) == expected


def test_progression_is_pillows_name_for_progressive() -> None:
    pixels = example_image(24, 16)
    assert stripjpeg.encode(pixels, 80, progression=True) == \
        pillow_progressive(pixels, 80, "4:4:4", 1)
    with pytest.raises(TypeError, match="'progression' is Pillow's name for 'progressive'"):
        stripjpeg.encode(pixels, progression=True, progressive=True)


# --- Exact: cjpeg ----------------------------------------------------------------------------------

@pytest.mark.parametrize(("sample", "subsampling"), [("1x1", "4:4:4"), ("2x2", "4:2:0"),
                                                     ("2x1", "4:2:2")])
@pytest.mark.parametrize("restart_rows", [0, 1])
def test_the_bytes_are_cjpeg_progressives(tmp_path, sample, subsampling, restart_rows) -> None:
    pixels = example_image(67, 35)
    restart = ["-restart", str(restart_rows)] if restart_rows else []
    expected = cjpeg(pixels, tmp_path, "-quality", "85", "-sample", sample, "-progressive", *restart)
    assert stripjpeg.encode(pixels, 85, subsampling, progressive=True,
                            restart_rows=restart_rows) == expected


def test_grayscale_bytes_are_cjpeg_progressives(tmp_path) -> None:
    pixels = example_image(50, 21)[:, :, 0].copy()
    expected = cjpeg(pixels, tmp_path, "-quality", "70", "-grayscale", "-progressive")
    assert stripjpeg.encode(pixels, 70, progressive=True, restart_rows=0) == expected


def random_script(rng: random.Random, n_components: int) -> str:
    """A random valid progressive script in cjpeg's text format: per component, the DC sent
    down to bit 0 in one or more scans (interleaved when every component's DC goes the same
    way), its AC split into random bands, each band sent in a random chain of successive
    approximations; the components' scans merged in a random order that keeps each one's."""
    def chain(top: int) -> list[tuple[int, int]]:
        return [(0, top)] + [(al + 1, al) for al in range(top - 1, -1, -1)]

    def merged(queues: list[list[str]]) -> list[str]:
        out = []
        while any(queues):
            out.append(rng.choice([q for q in queues if q]).pop(0))
        return out

    dc_chain = chain(rng.randint(0, 3))
    per_component: list[list[str]] = []
    for c in range(n_components):
        cuts = sorted(rng.sample(range(2, 64), rng.randint(0, 4)))
        bands = list(zip([1, *cuts], [k - 1 for k in cuts] + [63]))
        per_component.append(merged([[f"{c}: {ss}-{se}, {ah}, {al};"
                                      for ah, al in chain(rng.randint(0, 3))]
                                     for ss, se in bands]))
    lines = [" ".join(map(str, range(n_components))) + f": 0-0, {dc_chain[0][0]}, {dc_chain[0][1]};"]
    refinements = [" ".join(map(str, range(n_components))) + f": 0-0, {ah}, {al};"
                   for ah, al in dc_chain[1:]]
    lines += merged([*per_component, refinements])
    return "\n".join(lines) + "\n"


def test_random_scripts_are_valid_and_varied() -> None:
    # The generator itself: every script it makes is valid, and they differ.
    scripts = {random_script(random.Random(seed), 3) for seed in range(30)}
    assert len(scripts) == 30
    for script in scripts:
        check_progressive_script(parse_scan_script(script), 3)
    assert any(", 3, 2;" in script for script in scripts)  # successive approximation occurs


@pytest.mark.parametrize("seed", range(6))
def test_the_bytes_are_cjpeg_scans(tmp_path, seed) -> None:
    rng = random.Random(seed)
    pixels = example_image(rng.randint(1, 70), rng.randint(1, 50))
    script = random_script(rng, 3)
    (tmp_path / "scans.txt").write_text(script)
    subsampling, sample = rng.choice([("4:4:4", "1x1"), ("4:2:0", "2x2"), ("4:2:2", "2x1")])
    restart_rows = rng.choice([0, 1, 2])
    restart = ["-restart", str(restart_rows)] if restart_rows else []
    quality = rng.choice([40, 75, 95, 100])
    expected = cjpeg(pixels, tmp_path, "-quality", str(quality), "-sample", sample, "-scans",
                     str(tmp_path / "scans.txt"), *restart)
    assert stripjpeg.encode(pixels, quality, subsampling, scans=script,
                            restart_rows=restart_rows) == expected


# --- The same bytes through every door ---------------------------------------------------------------

def test_every_entry_point_writes_the_same_bytes(tmp_path) -> None:
    pixels = example_image(70, 45)
    expected = pillow_progressive(pixels, 80, "4:2:0", 1)
    options = {"quality": 80, "subsampling": "4:2:0", "progressive": True}
    assert stripjpeg.encode(pixels, **options) == expected
    stripjpeg.save(tmp_path / "a.jpg", pixels, **options)
    assert (tmp_path / "a.jpg").read_bytes() == expected
    buffer = io.BytesIO()
    with stripjpeg.Encoder(buffer, 70, 45, **options) as encoder:
        for top in range(0, 45, 7):
            encoder.write(pixels[top:top + 7])
    assert buffer.getvalue() == expected
    pieces = (pixels[top:top + 5] for top in range(0, 45, 5))
    assert b"".join(stripjpeg.iter_encode(pieces, width=70, height=45, **options)) == expected

    async def rows():
        for top in range(0, 45, 9):
            yield pixels[top:top + 9]
    assert asyncio.run(stripjpeg.encode_async(rows(), width=70, height=45, **options)) == expected


def test_workers_processes_and_the_disk_spool_write_the_same_bytes(tmp_path) -> None:
    pixels = example_image(90, 70)
    expected = pillow_progressive(pixels, 90, "4:2:0", 1)
    assert stripjpeg.encode(pixels, 90, "4:2:0", progressive=True, workers=1) == expected
    assert stripjpeg.encode(pixels, 90, "4:2:0", progressive=True, workers=2) == expected
    with concurrent.futures.ProcessPoolExecutor(2) as pool:
        assert stripjpeg.encode(pixels, 90, "4:2:0", progressive=True, executor=pool) == expected
    buffer = io.BytesIO()
    with stripjpeg.Encoder(buffer, 90, 70, quality=90, subsampling="4:2:0", progressive=True,
                           spool_budget=0, spool_dir=tmp_path) as encoder:
        encoder.write(pixels)
    # 6 x 5 MCUs of 16 x 16 pixels, each 4 Y + 2 chroma blocks of 128 bytes; all on disk.
    assert encoder.spool_bytes == encoder.spool_bytes_on_disk == 6 * 5 * 6 * 128
    assert buffer.getvalue() == expected
    assert list(tmp_path.iterdir()) == []  # the spool file was unnamed, and is gone


def test_encode_coefficients_writes_them_back_progressive() -> None:
    pixels = example_image(70, 45)
    expected = pillow_progressive(pixels, 80, "4:2:0", 1)
    baseline = read_jpeg(stripjpeg.encode(pixels, 80, "4:2:0"))
    assert stripjpeg.encode_coefficients(baseline.coefficients, baseline.tables, width=70,
                                         height=45, subsampling="4:2:0",
                                         progressive=True) == expected


def test_each_scan_has_its_own_restart_interval() -> None:
    # At 4:2:0, a scan of one component has one block per MCU: its interval of one "MCU row"
    # is one block row of that component, so the DRI changes between scans, as libjpeg writes.
    pixels = example_image(61, 45)  # 4 MCUs per row; Y is 8 blocks across, Cb and Cr 4
    data = stripjpeg.encode(pixels, 75, "4:2:0", progressive=True, restart_rows=1)
    order = [(marker, payload) for marker, payload in segments(data) if marker in (0xDD, 0xDA)]
    intervals, current = [], None
    for marker, payload in order:
        if marker == 0xDD:
            current = int.from_bytes(payload, "big")
        else:
            intervals.append(current)
    assert intervals == [4, 8, 4, 4, 8, 8, 4, 4, 4, 8]
    assert [m for m, _ in order].count(0xDD) == 6  # written only when it changes


def test_the_headers_are_sof2_with_a_dht_before_each_scan_that_needs_one() -> None:
    data = stripjpeg.encode(example_image(16, 16), 90, progressive=True, restart_rows=0)
    markers = [marker for marker, _ in segments(data)]
    assert 0xC2 in markers and 0xC0 not in markers
    scans = [index for index, marker in enumerate(markers) if marker == 0xDA]
    assert len(scans) == 10
    # The DC refinement (scan 6) needs no table; every other scan is preceded by its DHT.
    preceded = [markers[index - 1] == 0xC4 for index in scans]
    assert preceded == [True] * 6 + [False] + [True] * 3


# --- Scan scripts ----------------------------------------------------------------------------------

def test_simple_progression_is_libjpegs() -> None:
    ycbcr = simple_progression(3, True)
    assert len(ycbcr) == 10 and ycbcr[2] == ((2,), 1, 63, 0, 1)  # Cr before Cb
    gray = simple_progression(1, False)
    assert gray == (((0,), 0, 0, 0, 1), ((0,), 1, 5, 0, 2), ((0,), 6, 63, 0, 2),
                    ((0,), 1, 63, 2, 1), ((0,), 0, 0, 1, 0), ((0,), 1, 63, 1, 0))
    assert len(simple_progression(4, False)) == 2 + 4 * 4
    assert len(simple_progression(5, False)) == 6 * 5  # no interleaved DC scan over 4


def test_the_text_format_is_cjpegs() -> None:
    text = """# a comment
    0 1 2 : 0 - 0 , 0 , 1 ;   # DC
    0: 1-63, 0, 0; 1: 1-63,0,0
    ;2:1-63,0,0 ;0 1 2: 0-0, 1, 0"""
    assert parse_scan_script(text) == (((0, 1, 2), 0, 0, 0, 1), ((0,), 1, 63, 0, 0),
                                       ((1,), 1, 63, 0, 0), ((2,), 1, 63, 0, 0),
                                       ((0, 1, 2), 0, 0, 1, 0))
    assert parse_scan_script("0 1 2;") == (((0, 1, 2), 0, 63, 0, 0),)


@pytest.mark.parametrize(("text", "message"), [
    ("0: 1-63, 0;", r"entry 0 '0: 1-63, 0': expected 1 to 4 component indices"),
    ("0 1 2 3 0: 0-0, 0, 0;", r"entry 0 .*expected 1 to 4 component indices"),
    ("0: 0-0, 0, 0; x;", r"unexpected characters in scan script entry 'x'"),
    ("", r"the scan script has no entries"),
    ("0 1 2: 0-0, 0, 0;" * 101, r"the scan script has 101 entries; at most 100"),
])
def test_a_malformed_text_script_is_refused(text, message) -> None:
    with pytest.raises(ValueError, match=message):
        parse_scan_script(text)


GOOD = [((0, 1, 2), 0, 0, 0, 0), ((0,), 1, 63, 0, 0), ((1,), 1, 63, 0, 0), ((2,), 1, 63, 0, 0)]


@pytest.mark.parametrize(("scans", "message"), [
    ([((0, 1, 2), 0, 0, 0, 0), ((0,), 1, 40, 0, 0), ((0,), 30, 63, 0, 0)],
     r"^scan 2 \(components \(0,\), Ss=30, Se=63, Ah=0, Al=0\): coefficient 30 of component 0 "
     r"was sent down to bit 0 before: a refinement needs Ah=0 and Al=-1"),
    ([((0, 1, 2), 0, 0, 0, 0), ((0,), 9, 5, 0, 0)], r"^scan 1 .*0 <= Ss <= Se <= 63"),
    ([((0, 1, 2), 0, 5, 0, 0)], r"^scan 0 .*a DC scan \(Ss=0\) cannot also send AC"),
    ([((0, 1, 2), 0, 0, 0, 1), ((0,), 1, 63, 0, 2), ((0,), 1, 63, 1, 0)],
     r"^scan 2 .*coefficient 1 of component 0 was sent down to bit 2 before: a refinement "
     r"needs Ah=2 and Al=1"),
    ([((0, 1, 2), 0, 0, 0, 0), ((0,), 1, 63, 1, 0)],
     r"^scan 1 .*coefficient 1 of component 0 is sent here for the first time, so Ah must be 0"),
    ([((0, 1, 2), 0, 0, 0, 0), ((0, 1), 1, 63, 0, 0)], r"^scan 1 .*an AC scan \(Ss>0\) has exactly "
                                                        r"one component"),
    ([((0,), 1, 63, 0, 0), ((0, 1, 2), 0, 0, 0, 0)],
     r"^scan 0 .*an AC scan of component 0 comes before any DC scan of it"),
    ([((0, 1), 0, 0, 0, 0)], r"never sends the DC coefficient of component\(s\) \[2\]"),
    ([((0, 2, 1), 0, 0, 0, 0)], r"^scan 0 .*components must be in frame order, each once"),
    ([((0, 1, 3), 0, 0, 0, 0)], r"^scan 0 .*component indices are 0..2 for this frame"),
    ([((0, 1, 2), 0, 0, 0, 11)], r"^scan 0 .*Ah and Al must be 0..10 for 8-bit samples"),
    ([((0, 1, 2, 0, 1), 0, 0, 0, 0)], r"^scan 0 .*a scan has 1 to 4 components"),
])
def test_an_invalid_script_names_the_scan_and_the_rule(scans, message) -> None:
    with pytest.raises(ValueError, match=message):
        stripjpeg.encode(example_image(8, 8), scans=scans)


@pytest.mark.parametrize(("scans", "error"), [
    (42, TypeError), (b"0: 0-0, 0, 0;", TypeError), ([], ValueError), ([(0, 0, 0, 0)], ValueError),
    ([((0.5,), 0, 0, 0, 0)], TypeError), ([((0,), 0, 0, 0, True)], TypeError),
])
def test_a_script_of_the_wrong_form_is_refused(scans, error) -> None:
    with pytest.raises(error, match="scan"):
        stripjpeg.encode(example_image(8, 8), scans=scans)


def test_a_script_that_drops_bits_warns_and_a_sequential_one_is_refused() -> None:
    incomplete = [((0, 1, 2), 0, 0, 0, 0), ((0,), 1, 63, 0, 0)]
    with pytest.warns(UserWarning, match=r"does not send every bit of 126 coefficient\(s\) of "
                                         r"component\(s\) \[1, 2\]"):
        stripjpeg.encode(example_image(8, 8), scans=incomplete)
    with pytest.raises(ValueError, match=r"a sequential script .* is not implemented"):
        stripjpeg.encode(example_image(8, 8), scans="0; 1; 2;")
    # One sequential scan of every component is the baseline file itself.
    assert stripjpeg.encode(example_image(8, 8), 75, scans="0 1 2;") == \
        stripjpeg.encode(example_image(8, 8), 75)


def test_scan_tuples_and_text_mean_the_same() -> None:
    pixels = example_image(20, 20)
    text = "0 1 2: 0-0, 0, 1; 0: 1-63, 0, 0; 1: 1-63, 0, 0; 2: 1-63, 0, 0; 0 1 2: 0-0, 1, 0;"
    tuples = [((0, 1, 2), 0, 0, 0, 1), (0, 1, 63, 0, 0), (1, 1, 63, 0, 0), (2, 1, 63, 0, 0),
              ((0, 1, 2), 0, 0, 1, 0)]
    assert stripjpeg.encode(pixels, 90, scans=text) == stripjpeg.encode(pixels, 90, scans=tuples)
    assert make_plan(20, 20, 3, EncodeOptions(scans=tuples)).progressive


def test_a_restart_interval_over_65535_mcus_is_refused() -> None:
    # At 4:2:0 the interleaved DC scan has 4096 MCUs per row, the luma AC scans 8192 blocks.
    options = EncodeOptions(progressive=True, restart_rows=9, subsampling="4:2:0")
    with pytest.raises(ValueError, match=r"restart_rows=9 gives scan 1 .* a restart interval of "
                                         r"73728 MCUs, over the 65535 a DRI segment holds; use "
                                         r"restart_rows <= 7"):
        make_plan(65535, 80, 3, options)


# --- The command line ------------------------------------------------------------------------------

def test_the_cli_writes_cjpegs_bytes(tmp_path) -> None:
    pixels = example_image(40, 30)
    Image.fromarray(pixels).save(tmp_path / "in.png")
    script = tmp_path / "scans.txt"
    script.write_text("0 1 2: 0-0, 0, 1;\n0: 1-63, 0, 0;\n1: 1-63, 0, 0;\n2: 1-63, 0, 0;\n"
                      "0 1 2: 0-0, 1, 0;\n")
    for flags, cjpeg_flags in ((["--progressive"], ["-progressive"]),
                               (["--scans", str(script)], ["-scans", str(script)])):
        out = tmp_path / "out.jpg"
        subprocess.run([sys.executable, "-m", "stripjpeg", "encode", str(tmp_path / "in.png"), "-o",
                        str(out), "-q", "75", "-s", "4:2:0", "--restart-rows", "0", *flags],
                       check=True, capture_output=True)
        expected = cjpeg(pixels, tmp_path, "-quality", "75", "-sample", "2x2", *cjpeg_flags)
        assert out.read_bytes() == expected


# --- Read back ---------------------------------------------------------------------------------------

@pytest.mark.parametrize(("subsampling", "restart_rows", "scans"), [
    ("4:4:4", 1, None), ("4:2:0", 0, None), ("4:2:2", 2, None),
    ("4:2:0", 1, "0 1 2: 0-0, 0, 3; 0: 1-63, 0, 2; 1: 1-63, 0, 0; 2: 1-63, 0, 0; "
                 "0 1 2: 0-0, 3, 2; 0: 1-63, 2, 1; 0 1 2: 0-0, 2, 1; 0 1 2: 0-0, 1, 0; 0: 1-63, 1, 0;"),
])
def test_the_file_holds_the_baseline_files_coefficients(tmp_path, subsampling, restart_rows, scans) -> None:
    import jpeglib

    pixels = example_image(75, 51)
    progressive = stripjpeg.encode(pixels, 85, subsampling, restart_rows=restart_rows,
                                   **({"scans": scans} if scans else {"progressive": True}))
    baseline = stripjpeg.encode(pixels, 85, subsampling)
    ours = read_coefficients(progressive)
    assert all(np.array_equal(a, b) for a, b in zip(ours, read_coefficients(baseline)))
    (tmp_path / "p.jpg").write_bytes(progressive)
    libjpeg = jpeglib.read_dct(str(tmp_path / "p.jpg"))
    assert all(np.array_equal(a, b) for a, b in zip(ours, (libjpeg.Y, libjpeg.Cb, libjpeg.Cr)))
    # Strict, independent decoders accept it, and decode what they decode of the baseline file.
    assert " P " in jpeginfo_check(progressive, tmp_path)  # P: progressive
    # (ffmpeg 5 says "EOI missing" of a progressive file with restart markers, Pillow's too.)
    assert np.array_equal(ffmpeg_decode(progressive, False, tmp_path, tiny=restart_rows > 0),
                          ffmpeg_decode(baseline, False, tmp_path))


def test_every_other_option_goes_along(tmp_path) -> None:
    pixels = example_image(45, 33)
    tables = [list(range(1, 65)), [7] * 64]
    metadata = {"dpi": (300, 300), "icc_profile": bytes(range(256)) * 3,
                "exif": b"Exif\x00\x00" + bytes(40), "comment": "scan 42"}
    buffer = io.BytesIO()
    Image.fromarray(pixels).save(buffer, "JPEG", progressive=True, subsampling=2, qtables=tables,
                                 restart_marker_rows=1, **metadata)
    assert stripjpeg.encode(pixels, None, "4:2:0", progressive=True, qtables=tables,
                            **metadata) == buffer.getvalue()
    # optimize changes nothing: progressive tables are always optimized.
    assert stripjpeg.encode(pixels, 80, progressive=True, optimize=True) == \
        stripjpeg.encode(pixels, 80, progressive=True) == pillow_progressive(pixels, 80, "4:4:4", 1)
    # The exact DCT: the same coefficients as its baseline file.
    exact = stripjpeg.encode(pixels, 90, progressive=True, dct="exact")
    baseline = stripjpeg.encode(pixels, 90, dct="exact")
    assert all(np.array_equal(a, b) for a, b in zip(read_coefficients(exact),
                                                     read_coefficients(baseline)))


def test_the_cli_refuses_a_bad_script_in_one_line_and_writes_nothing(tmp_path) -> None:
    Image.fromarray(example_image(16, 16)).save(tmp_path / "in.png")
    (tmp_path / "scans.txt").write_text("0: 1-63, 0, 0;\n")
    result = subprocess.run([sys.executable, "-m", "stripjpeg", "encode", str(tmp_path / "in.png"),
                             "-o", str(tmp_path / "out.jpg"), "--scans", str(tmp_path / "scans.txt")],
                            capture_output=True, text=True)
    assert result.returncode == 2
    assert result.stderr == ("stripjpeg: error: scan 0 (components (0,), Ss=1, Se=63, Ah=0, Al=0): an "
                             "AC scan of component 0 comes before any DC scan of it\n")
    assert not (tmp_path / "out.jpg").exists()
