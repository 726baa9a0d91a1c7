"""Arithmetic coding (T.81 Annex D, F.1.4, G.1.3): the state table, the QM coder against T.81's
own test sequence, and whole files byte for byte against ``cjpeg -arithmetic`` (libjpeg-turbo
2.1), read back by libjpeg (jpeglib) and decoded by djpeg."""

from __future__ import annotations

import subprocess
from pathlib import Path

import jpeglib
import numpy as np
import pytest
from oracle import photo
from other_encoders import cjpeg, crop, ppm

import stripjpeg
from stripjpeg import backends, cli, progressive_encoder
from stripjpeg import plan as plan_module
from stripjpeg.inspect import read_jpeg, read_markers
from stripjpeg.options import make_options
from stripjpeg.plan import make_plan
from stripjpeg.stages.arithmetic import ArithmeticState, QMEncoder
from stripjpeg.tables import FIXED_HALF_STATE, QE_TABLE

# --- Table D.2 -----------------------------------------------------------------------------------

#: T.81 Table D.2, the states whose Switch_MPS is 1, typed from the standard (not the table).
SWITCHING_STATES = {0, 14, 36, 64, 80, 88, 95, 105, 110, 112}


def test_state_table_shape_and_spot_values():
    """113 states of T.81 plus libjpeg's fixed one-half state; values from T.81 Table D.2."""
    assert QE_TABLE.shape == (114, 4)
    qe = QE_TABLE[:, 0]
    assert [hex(int(qe[i])) for i in (0, 1, 13, 14, 35, 36, 63, 64, 112)] == [
        "0x5a1d", "0x2586", "0x1", "0x5a7f", "0x2c", "0x5ae1", "0x8f", "0x5b12", "0x59eb"]
    # Every estimate is a proper LPS share: positive and below half of A's least value 0x8000.
    assert qe.min() == 1 and qe.max() == 0x5B12 < 0x8000


def test_state_table_transitions():
    """Next indices stay among T.81's 113 states; an LPS makes the LPS likelier (unless the
    MPS sense switches), an MPS never does; the fixed state never moves nor switches."""
    qe, next_lps, next_mps, switch = (QE_TABLE[:113, i] for i in range(4))
    assert next_lps.min() >= 0 and next_lps.max() <= 112
    assert next_mps.min() >= 0 and next_mps.max() <= 112
    assert {int(i) for i in np.flatnonzero(switch)} == SWITCHING_STATES
    assert all(qe[i] >= 0x5500 for i in SWITCHING_STATES)  # switching only near one half
    for state in range(113):
        assert qe[next_mps[state]] <= qe[state], state
        if not switch[state]:
            assert qe[next_lps[state]] > qe[state], state
    # The fast-attack chain 0 -> 1 -> ... -> 13 of the start (D.1.5.2).
    assert [int(next_mps[i]) for i in range(13)] == list(range(1, 14))
    assert tuple(int(v) for v in QE_TABLE[FIXED_HALF_STATE]) == (0x5A1D, 113, 113, 0)


def test_qm_coder_codes_the_test_sequence_of_t81_k4():
    """T.81 Annex K.4.1: 256 decisions in one context give these bytes (then EOI)."""
    data = bytes.fromhex("00020051000000C00352872AAAAAAAAA82C02000FCD79EF674EAABF7697EE74C")
    coder = QMEncoder(ArithmeticState(0x10000, 0, 11, -1, 0, 0, (), (), (), ()))
    stats = bytearray(1)
    for byte in data:
        for bit in range(7, -1, -1):
            coder.encode(stats, 0, (byte >> bit) & 1)
    coder.flush()
    assert coder.out.hex().upper() == ("655B5144F7969D517855BFFF00FC5184C7CEF939"
                                       "00287D46708ECBC0F6")


# --- Whole files against cjpeg -------------------------------------------------------------------

RNG = np.random.default_rng(81)
IMAGES = {
    "photo": crop(40, 56),
    "noise_17x33": RNG.integers(0, 256, (17, 33, 3), dtype=np.uint8),
    "one_pixel": RNG.integers(0, 256, (1, 1, 3), dtype=np.uint8),
    "grey_7x13": RNG.integers(0, 256, (13, 7), dtype=np.uint8),
    "grey_photo": np.ascontiguousarray(crop(24, 40)[:, :, 1]),
    "flat": np.full((16, 24, 3), 77, np.uint8),
    "saturated": np.stack([(np.indices((21, 30)).sum(0) % 2) * 255] * 3, -1).astype(np.uint8),
}
SAMPLING = {"4:4:4": "1x1", "4:2:0": "2x2", "4:2:2": "2x1"}


def cjpeg_args(quality: int, subsampling: str, restart_rows: int, *extra: str) -> list[str]:
    args = ["-arithmetic", "-quality", str(quality), "-sample", SAMPLING[subsampling], *extra]
    return args + (["-restart", str(restart_rows)] if restart_rows else [])


@pytest.mark.parametrize("quality", [100, 90, 75, 50])
@pytest.mark.parametrize("name", list(IMAGES))
def test_sequential_equals_cjpeg(name, quality, backend, tmp_path):
    pixels = IMAGES[name]
    for subsampling, restart_rows in (("4:4:4", 0), ("4:2:0", 1), ("4:2:2", 2)):
        ours = stripjpeg.encode(pixels, quality=quality, subsampling=subsampling,
                                restart_rows=restart_rows, arithmetic=True, backend=backend)
        theirs = cjpeg(pixels, tmp_path, *cjpeg_args(quality, subsampling, restart_rows))
        assert ours == theirs, (subsampling, restart_rows)
    markers = [segment.name for segment in read_markers(ours)]
    assert "SOF9" in markers and "DAC" in markers and "DHT" not in markers


#: A script of every kind of scan, components alone and interleaved, bands and refinements.
SCRIPT = ("0 1 2: 0 0 0 2;\n0: 1 9 0 1;\n0: 10 63 0 0;\n0 1 2: 0 0 2 1;\n0: 1 9 1 0;\n"
          "1: 1 63 0 0;\n2: 1 63 0 1;\n2: 1 63 1 0;\n0 1 2: 0 0 1 0;\n")


@pytest.mark.parametrize("restart_rows", [0, 1])
@pytest.mark.parametrize("name", ["photo", "noise_17x33", "one_pixel", "grey_7x13", "saturated"])
def test_progressive_equals_cjpeg(name, restart_rows, backend, tmp_path):
    pixels = IMAGES[name]
    for quality, subsampling in ((90, "4:2:0"), (50, "4:4:4")):
        ours = stripjpeg.encode(pixels, quality=quality, subsampling=subsampling,
                                restart_rows=restart_rows, arithmetic=True, progressive=True,
                                backend=backend)
        theirs = cjpeg(pixels, tmp_path, *cjpeg_args(quality, subsampling, restart_rows,
                                                     "-progressive"))
        assert ours == theirs, (quality, subsampling)
    assert "SOF10" in [segment.name for segment in read_markers(ours)]
    if pixels.ndim == 3:
        (tmp_path / "script.txt").write_text(SCRIPT)
        ours = stripjpeg.encode(pixels, quality=75, restart_rows=restart_rows, arithmetic=True,
                                scans=SCRIPT, backend=backend)
        theirs = cjpeg(pixels, tmp_path, *cjpeg_args(75, "4:4:4", restart_rows, "-scans",
                                                     str(tmp_path / "script.txt")))
        assert ours == theirs


def test_state_carried_across_strips(monkeypatch, backend, tmp_path):
    """Without restart markers the coder's registers, bins and predictors go from strip to
    strip (and, progressive, from unit to unit): one MCU row per strip, fed in odd pieces."""
    monkeypatch.setattr(plan_module, "SERIAL_STRIP_PIXELS", 1)
    monkeypatch.setattr(progressive_encoder, "UNIT_PIXELS", 1)
    pixels = crop(56, 40)
    for extra, switches in (({}, []), ({"progressive": True}, ["-progressive"])):
        with stripjpeg.Encoder(tmp_path / "ours.jpg", 40, 56, "RGB", quality=85,
                               subsampling="4:2:0", restart_rows=0, arithmetic=True,
                               backend=backend, **extra) as encoder:
            for start in range(0, 56, 13):
                encoder.write(pixels[start:start + 13])
        theirs = cjpeg(pixels, tmp_path, *cjpeg_args(85, "4:2:0", 0, *switches))
        assert (tmp_path / "ours.jpg").read_bytes() == theirs, extra


def test_every_backend_writes_the_same_bytes():
    pixels = crop(24, 40)
    for rows in (0, 1):
        files = {name: stripjpeg.encode(pixels, quality=80, restart_rows=rows, arithmetic=True,
                                        backend=name) for name in backends.available()}
        assert len(files) >= 2 and len(set(files.values())) == 1, rows


# --- Read back by other decoders -----------------------------------------------------------------

def test_libjpeg_reads_the_coefficients_we_coded(tmp_path):
    """jpeglib (libjpeg-turbo 2.1's decoder) reads every coefficient of every block."""
    pixels = crop(40, 56)
    options = make_options(quality=75, subsampling="4:2:0", restart_rows=0, arithmetic=True)
    plan = make_plan(56, 40, 3, options)
    blocks = backends.get("numpy").transform(pixels, plan)
    path = tmp_path / "ours.jpg"
    path.write_bytes(stripjpeg.encode(pixels, quality=75, subsampling="4:2:0", restart_rows=0,
                                      arithmetic=True))
    with jpeglib.version("turbo210"):
        theirs = jpeglib.read_dct(str(path))
        components = [theirs.Y, theirs.Cb, theirs.Cr]
    for ours, read in zip(blocks, components):
        rows, cols = read.shape[:2]
        np.testing.assert_array_equal(ours[:rows, :cols], read)


@pytest.mark.parametrize(("name", "switches"), [
    ("photo", ["-sample", "2x2", "-restart", "1"]), ("noise_17x33", ["-sample", "1x1"]),
    ("grey_photo", ["-restart", "2"]), ("one_pixel", ["-sample", "2x1"])])
@pytest.mark.parametrize("read_backend", ["numba", "numpy"])
def test_reader_decodes_cjpegs_arithmetic_files_as_libjpeg(name, switches, read_backend, tmp_path):
    """read_jpeg decodes SOF9 (F.2.4) to libjpeg's coefficients (with the numba kernels and
    with the textbook), and encode_coefficients writes the same file back."""
    data = cjpeg(IMAGES[name], tmp_path, "-arithmetic", "-quality", "85", *switches)
    ours = read_jpeg(data, backend=read_backend)
    path = tmp_path / "theirs.jpg"
    path.write_bytes(data)
    with jpeglib.version("turbo210"):
        theirs = jpeglib.read_dct(str(path))
        components = [theirs.Y, theirs.Cb, theirs.Cr] if theirs.has_chrominance else [theirs.Y]
    assert ours.process == "arithmetic" and len(ours.coefficients) == len(components)
    for mine, read in zip(ours.coefficients, components):
        np.testing.assert_array_equal(mine, read)
    subsampling = {"2x2": "4:2:0", "1x1": "4:4:4", "2x1": "4:2:2"}.get(
        switches[1] if switches[0] == "-sample" else "", "default")
    again = stripjpeg.encode_coefficients(ours.coefficients, ours.tables, width=ours.width,
                                          height=ours.height, subsampling=subsampling,
                                          restart_rows=int(switches[-1]) if "-restart" in switches
                                          else 0, arithmetic=True)
    assert again == data


def libjpeg_coefficients(data: bytes, tmp_path: Path) -> list[np.ndarray]:
    """What libjpeg-turbo 2.1 (jpeglib's "turbo210", built with arithmetic decoding) reads."""
    path = tmp_path / "read.jpg"
    path.write_bytes(data)
    with jpeglib.version("turbo210"):  # jpeglib reads lazily: inside the block
        theirs = jpeglib.read_dct(str(path))
        return [theirs.Y, theirs.Cb, theirs.Cr] if theirs.has_chrominance else [theirs.Y]


@pytest.mark.parametrize(("name", "switches"), [
    ("photo", ["-sample", "2x2", "-restart", "1", "-progressive"]),
    ("noise_17x33", ["-sample", "1x1", "-progressive"]),
    ("grey_photo", ["-restart", "2", "-progressive"]), ("photo", ["-scans", "SCRIPT"]),
    ("saturated", ["-restart", "1", "-scans", "SCRIPT"])])
@pytest.mark.parametrize("read_backend", ["numba", "numpy"])
def test_reader_decodes_progressive_arithmetic_files_as_libjpeg(name, switches, read_backend,
                                                                tmp_path):
    """read_jpeg decodes SOF10 (G.2: every kind of scan) to libjpeg's coefficients (with the
    numba kernels and with the textbook)."""
    (tmp_path / "script.txt").write_text(SCRIPT)
    switches = [str(tmp_path / "script.txt") if s == "SCRIPT" else s for s in switches]
    data = cjpeg(IMAGES[name], tmp_path, "-arithmetic", "-quality", "85", *switches)
    ours = read_jpeg(data, backend=read_backend)
    assert ours.process == "arithmetic progressive"
    theirs = libjpeg_coefficients(data, tmp_path)
    assert len(ours.coefficients) == len(theirs)
    for mine, read in zip(ours.coefficients, theirs):
        np.testing.assert_array_equal(mine, read)


def djpeg(path: Path) -> bytes:
    return subprocess.run(["djpeg", "-pnm", str(path)], capture_output=True, check=True).stdout


def test_djpeg_decodes_ours_as_cjpegs(tmp_path):
    """A 512-pixel-wide photo, progressive with restart markers: djpeg's pixels equal those
    it decodes from cjpeg's file, and differ little from the input."""
    pixels = np.ascontiguousarray(photo("chelsea")[:48, :512])
    ours, theirs = tmp_path / "ours.jpg", tmp_path / "theirs.jpg"
    ours.write_bytes(stripjpeg.encode(pixels, quality=90, progressive=True, restart_rows=2,
                                      arithmetic=True))
    theirs.write_bytes(cjpeg(pixels, tmp_path, *cjpeg_args(90, "4:4:4", 2, "-progressive")))
    decoded = djpeg(ours)
    assert decoded == djpeg(theirs)
    image = np.frombuffer(decoded[-pixels.size:], np.uint8).reshape(pixels.shape)
    assert np.abs(image.astype(int) - pixels).mean() < 3


# --- Options and inspection ------------------------------------------------------------------------

def test_optimize_with_arithmetic_is_refused():
    with pytest.raises(ValueError, match="optimize=True with arithmetic=True"):
        stripjpeg.encode(np.zeros((8, 8, 3), np.uint8), arithmetic=True, optimize=True)
    with pytest.raises(TypeError, match="arithmetic must be True or False"):
        stripjpeg.encode(np.zeros((8, 8, 3), np.uint8), arithmetic=1)


def test_trace_block_refuses_arithmetic_coding():
    with pytest.raises(ValueError, match="trace_block shows a block's Huffman codes"):
        stripjpeg.inspect.trace_block(IMAGES["photo"], 0, 0, arithmetic=True)


def test_info_names_the_process_and_the_conditioning(tmp_path, capsys):
    path = tmp_path / "ours.jpg"
    path.write_bytes(stripjpeg.encode(IMAGES["grey_7x13"], arithmetic=True, restart_rows=0))
    assert cli.main(["info", str(path)]) in (0, None)
    out = capsys.readouterr().out
    assert "extended sequential DCT, arithmetic" in out
    assert "conditioning=['DC0 L=0 U=1', 'AC0 Kx=5']" in out


def test_cli_encodes_like_cjpeg(tmp_path):
    pixels = IMAGES["photo"]
    source = ppm(pixels, tmp_path / "in.ppm")
    out = tmp_path / "out.jpg"
    assert cli.main(["encode", str(source), "-o", str(out), "-q", "75", "--restart-rows",
                               "0", "--arithmetic"]) in (0, None)
    assert out.read_bytes() == cjpeg(pixels, tmp_path, *cjpeg_args(75, "4:4:4", 0))


def test_numba_coder_equals_the_python_coder():
    """The numba kernels against the textbook stages on blocks of large random coefficients
    (hundreds of bytes per block: the kernels' output array must grow), carrying the state
    from strip to strip and flushing at the end; and every kind of progressive scan."""
    if "numba" not in backends.available():
        pytest.skip("numba is not installed here")
    from stripjpeg.stages import arithmetic
    numba = backends.get("numba")
    plan = make_plan(48, 32, 3, make_options(subsampling="4:2:0", restart_rows=0,
                                             arithmetic=True))
    rng = np.random.default_rng(10)
    ours = theirs = ArithmeticState.start(plan)
    for final, scale in ((False, 2047), (False, 3), (True, 300)):
        # 288 blocks: at 2047, some 100 bytes each, more than the kernel's first output array.
        blocks = [rng.integers(-scale, scale + 1, (8, 24, 8, 8)).astype(np.int16),
                  rng.integers(-scale, scale + 1, (4, 12, 8, 8)).astype(np.int16),
                  rng.integers(-scale, scale + 1, (4, 12, 8, 8)).astype(np.int16)]
        blocks[2][:, :6] = 0
        expected, theirs = arithmetic.arithmetic_encode(blocks, plan, theirs, final)
        data, ours = numba.arithmetic_encode(blocks, plan, ours, final)
        assert data == expected and ours == theirs
    small = [b[:4, :6] for b in blocks[:1]] + [b[:2, :3] for b in blocks[1:]]
    progressive = make_plan(48, 32, 3, make_options(subsampling="4:2:0", restart_rows=1,
                                                    arithmetic=True, scans=SCRIPT))
    for scan in progressive.scans:
        for state in (None, ArithmeticState.start(progressive)):
            assert (numba.progressive_arithmetic_encode(small, 32, scan, progressive, state)
                    == arithmetic.progressive_arithmetic_encode(small, 32, scan, progressive,
                                                                 state)), scan


def test_abbreviated_streams_have_no_huffman_tables() -> None:
    # jcmarker.c write_tables_only writes DHT only for Huffman coding; the image-only stream
    # has the DAC (conditioning is per image), not DQT; joined, they give the whole file.
    pixels = np.ascontiguousarray(photo("astronaut")[:40, :56])
    tables = stripjpeg.encode(pixels, 80, arithmetic=True, streamtype=1)
    image = stripjpeg.encode(pixels, 80, arithmetic=True, streamtype=2)
    assert [s.name for s in read_markers(tables)] == ["SOI", "DQT", "DQT", "EOI"]
    assert [s.name for s in read_markers(image)] == ["SOI", "APP0", "SOF9", "DAC", "DRI", "SOS", "EOI"]
    whole = stripjpeg.encode(pixels, 80, arithmetic=True)
    sof = image.index(b"\xff\xc9")
    assert image[:sof] + tables[2:-2] + image[sof:] == whole
