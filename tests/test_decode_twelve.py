"""stripjpeg.decode of 12-bit DCT files (SOF1, SOF2, SOF9, SOF10 with P = 12): uint16 samples
0..4095 equal, byte for byte, to libjpeg-turbo 3.1's (``imagecodecs.jpeg8_decode``, whose
12-bit code is jidctint.c's plain C: libjpeg-turbo has no 12-bit SIMD), on both backends,
with one worker and two; ``rows=`` and ``iter_decode`` slices of the same; the CLI's 16-bit
PGM/PPM/PAM and uint16 .npy. ``dct="ifast"``, ``"float"``, ``fancy_upsampling=False`` and
CMYK against the same library driven by a small C program (imagecodecs' ``jpeg8_decode``
cannot ask for them). Files: stripjpeg's (every sampling, greyscale, progressive,
arithmetic-coded, restart markers or none, awkward sizes) and libjpeg-turbo's own.
"""

from __future__ import annotations

import re
import shutil
import subprocess
from pathlib import Path

import numpy as np
import pytest

import stripjpeg
from stripjpeg.cli import main
from stripjpeg.decoding import bands
from stripjpeg.decoding.idct import (
    blocks_to_plane,
    dequantize,
    idct_islow,
    islow_multipliers,
    range_limit,
)
from stripjpeg.decoding.idct_twelve import float_range_limit, inverse_dct_twelve
from stripjpeg.decoding.pixels import FrameGeometry
from stripjpeg.reader import read_jpeg
from tests.oracle import photo
from tests.test_twelve_bit_dct import HARNESS as ENCODE_HARNESS

RNG = np.random.default_rng(20261202)


@pytest.fixture(autouse=True)
def small_bands(monkeypatch) -> None:
    """About 600 pixels a band, so that these small images cross many band edges."""
    monkeypatch.setattr(bands, "BAND_PIXELS", 600)


def codecs():
    return pytest.importorskip("imagecodecs")


def libjpeg_pixels(data: bytes) -> np.ndarray:
    """libjpeg-turbo 3.1's samples for a 12-bit file (islow, fancy upsampling)."""
    pixels = codecs().jpeg8_decode(data)
    assert pixels.dtype == np.uint16
    return pixels


def photo12(rows: int, cols: int, grey: bool = False) -> np.ndarray:
    """A real photograph at 12 bits: ``v * 16`` plus noise 0..15 (the low bits busy)."""
    crop = photo("astronaut")[100:100 + rows, 150:150 + cols].astype(np.uint16)
    if grey:
        crop = crop[..., 0]
    return crop * 16 + RNG.integers(0, 16, crop.shape).astype(np.uint16)


def noise12(shape: tuple[int, ...]) -> np.ndarray:
    """Uniform 12-bit noise: the largest coefficients, samples clamped at both ends."""
    return RNG.integers(0, 4096, shape).astype(np.uint16)


PHOTO = photo12(45, 67)
NOISE = noise12((29, 37, 3))


def ours(pixels: np.ndarray, quality: int = 90, **options) -> bytes:
    return stripjpeg.encode(pixels, quality, precision=12, **options)


#: name -> the file's bytes: stripjpeg's of every kind, and libjpeg-turbo's.
FILES = {
    "photo 4:4:4": lambda: ours(PHOTO, subsampling="4:4:4"),
    "photo 4:2:2": lambda: ours(PHOTO, subsampling="4:2:2"),
    "photo 4:2:0": lambda: ours(PHOTO, subsampling="4:2:0"),
    "photo 4:4:0": lambda: ours(PHOTO, subsampling="4:4:0"),
    "photo 4x1": lambda: ours(PHOTO, subsampling="4x1"),
    "photo 4:2:0 q100 no restarts": lambda: ours(PHOTO, 100, subsampling="4:2:0",
                                                 restart_rows=0),
    "photo 4:2:0 q20": lambda: ours(PHOTO, 20, subsampling="4:2:0"),
    "grey": lambda: ours(photo12(45, 67, grey=True)),
    "noise 4:4:4 q100": lambda: ours(NOISE, 100),
    "noise 4:2:0 q75": lambda: ours(NOISE, 75, subsampling="4:2:0"),
    "progressive 4:2:0": lambda: ours(PHOTO, subsampling="4:2:0", progressive=True),
    "progressive grey": lambda: ours(photo12(45, 67, grey=True), progressive=True),
    "arithmetic 4:2:2": lambda: ours(PHOTO, subsampling="4:2:2", arithmetic=True),
    "arithmetic progressive": lambda: ours(PHOTO, subsampling="4:2:0", arithmetic=True,
                                           progressive=True),
    "1x1 4:2:0": lambda: ours(noise12((1, 1, 3)), subsampling="4:2:0"),
    "1x1 grey": lambda: ours(noise12((1, 1))),
    "17x13 4:2:0": lambda: ours(PHOTO[:17, :13], subsampling="4:2:0"),
    "17x13 4:2:2 noise": lambda: ours(noise12((17, 13, 3)), subsampling="4:2:2"),
    "libjpeg 4:4:4": lambda: codecs().jpeg8_encode(PHOTO, level=90, bitspersample=12,
                                                   subsampling="444"),
    "libjpeg 4:2:0": lambda: codecs().jpeg8_encode(PHOTO, level=75, bitspersample=12,
                                                   subsampling="420"),
    "libjpeg 4:2:2 noise": lambda: codecs().jpeg8_encode(NOISE, level=95, bitspersample=12,
                                                         subsampling="422"),
    "libjpeg grey 17x13": lambda: codecs().jpeg8_encode(photo12(17, 13, grey=True), level=90,
                                                        bitspersample=12),
}


@pytest.fixture(params=sorted(FILES), scope="module")
def twelve_bit_file(request) -> tuple[bytes, np.ndarray]:
    data = FILES[request.param]()
    assert read_jpeg(data).precision == 12
    return data, libjpeg_pixels(data)


@pytest.mark.parametrize("workers", [1, 2])
def test_decode_equals_libjpeg(twelve_bit_file, backend, workers) -> None:
    data, expected = twelve_bit_file
    pixels = stripjpeg.decode(data, backend=backend, workers=workers)
    assert pixels.dtype == np.uint16 and pixels.shape == expected.shape
    assert np.array_equal(pixels, expected)


def test_rows_and_strips_are_slices(twelve_bit_file, backend) -> None:
    data, expected = twelve_bit_file
    height = expected.shape[0]
    for y0, y1 in {(0, height), (height // 3, height // 3 + 1), (height // 2, height),
                   (max(height - 9, 0), height)}:
        assert np.array_equal(stripjpeg.decode(data, backend=backend, rows=(y0, y1)),
                              expected[y0:y1])
    strips = stripjpeg.iter_decode(data, backend=backend)
    assert (strips.width, strips.height, strips.maxval) == (expected.shape[1], height, 4095)
    pieces = list(strips)
    assert all(p.dtype == np.uint16 for p in pieces)
    assert np.array_equal(np.concatenate(pieces), expected)


def test_islow_c_is_islow_at_12_bits() -> None:
    data = FILES["noise 4:4:4 q100"]()
    assert np.array_equal(stripjpeg.decode(data, dct="islow-c"), stripjpeg.decode(data))


def test_unknown_method_is_refused_for_12_bits() -> None:
    with pytest.raises(ValueError, match="unknown IDCT method 'exact'"):
        inverse_dct_twelve(np.zeros((1, 1, 8, 8), np.int16), np.ones(64, np.uint16), "exact")


def test_pass1_bits_is_1_at_12_bits() -> None:
    """jidctint.c keeps 1 bit between its passes for 12-bit samples: with it a grey noise
    file's samples are libjpeg's, with 8-bit's 2 they are not (so the tests above can tell)."""
    data = ours(noise12((24, 32)), 100)
    decoded = read_jpeg(data)
    dequantized = dequantize(decoded.coefficients[0], islow_multipliers(decoded.quant_tables[0]))
    expected = libjpeg_pixels(data)
    for pass1_bits, equal in ((1, True), (2, False)):
        plane = blocks_to_plane(range_limit(idct_islow(dequantized, pass1_bits), 12))
        assert np.array_equal(plane[:24, :32], expected) == equal


def test_range_limit_at_12_bits() -> None:
    """jdmaster.c's table for MAXJSAMPLE 4095: x + 2048 within -2048..2047, 4095 up to 6143,
    0 from -6144 to -2049, and the low 14 bits only (RANGE_MASK 16383) beyond."""
    x = np.array([-2048, -1, 0, 2047, 2048, 6143, -2049, -6144, 16384 + 5, 16384 - 2049])
    assert range_limit(x, 12).tolist() == [0, 2047, 2048, 4095, 4095, 4095, 0, 0, 2053, 0]
    assert range_limit(x, 12).dtype == np.uint16
    # jidctflt.c's: the plain table, its output holding the +2048 already.
    y = np.array([0, 4095, 4096, 10239, 10240, -1, 16384 + 7])
    assert float_range_limit(y).tolist() == [0, 4095, 4095, 4095, 0, 0, 7]


@pytest.mark.parametrize("backend_name", ["numba", "numpy"])
def test_fancy_off_where_libjpeg_replicates_too(backend_name) -> None:
    """``fancy_upsampling=False`` where libjpeg's default is replication as well (no 12-bit
    oracle exposes ``-nosmooth``): 4x1 chroma (int_upsample either way) and flat chroma."""
    data = FILES["photo 4x1"]()
    assert np.array_equal(stripjpeg.decode(data, fancy_upsampling=False, backend=backend_name),
                          libjpeg_pixels(data))
    flat = ours(np.full((16, 24, 3), (1234, 3000, 77), np.uint16), subsampling="4:2:0")
    assert np.array_equal(stripjpeg.decode(flat, fancy_upsampling=False, backend=backend_name),
                          libjpeg_pixels(flat))


# -- the command line ------------------------------------------------------------------------


def read_pnm16(path: Path) -> np.ndarray:
    data = path.read_bytes()
    header = re.match(rb"(P[56])\s+(\d+)\s+(\d+)\s+4095\s", data)
    assert header is not None
    width, height = int(header[2]), int(header[3])
    pixels = np.frombuffer(data, ">u2", offset=header.end()).astype(np.uint16)
    return pixels.reshape(height, width, 3) if header[1] == b"P6" else pixels.reshape(height, width)


def read_pam16(path: Path) -> np.ndarray:
    head, _, pixels = path.read_bytes().partition(b"ENDHDR\n")
    fields = dict(line.split(" ", 1) for line in head.decode().splitlines()[1:])
    assert fields["MAXVAL"] == "4095"
    shape = (int(fields["HEIGHT"]), int(fields["WIDTH"]), int(fields["DEPTH"]))
    return np.frombuffer(pixels, ">u2").astype(np.uint16).reshape(shape)


@pytest.mark.parametrize("name, suffix", [("photo 4:2:0", ".ppm"), ("grey", ".pgm"),
                                          ("photo 4:2:2", ".pam"), ("photo 4:2:0", ".npy"),
                                          ("grey", ".npy")])
def test_cli_writes_16_bit_samples(tmp_path, capsys, name, suffix) -> None:
    data = FILES[name]()
    source, target = tmp_path / "in.jpg", tmp_path / f"out{suffix}"
    source.write_bytes(data)
    assert main(["decode", str(source), "-o", str(target)]) == 0
    reader = {".ppm": read_pnm16, ".pgm": read_pnm16, ".pam": read_pam16, ".npy": np.load}
    written = reader[suffix](target)
    expected = libjpeg_pixels(data)
    if suffix == ".pam" and expected.ndim == 2:
        expected = expected[..., None]
    assert written.dtype == np.uint16 and np.array_equal(written, expected)
    assert main(["decode", str(source), "-o", str(target), "--rows", "3:20"]) == 0
    assert np.array_equal(reader[suffix](target), expected[3:20])


def test_cli_refuses_png_for_12_bits(tmp_path, capsys) -> None:
    source, target = tmp_path / "in.jpg", tmp_path / "out.png"
    source.write_bytes(FILES["photo 4:4:4"]())
    assert main(["decode", str(source), "-o", str(target)]) == 2
    assert "more than 8 bits" in capsys.readouterr().err
    assert not target.exists()


# -- libjpeg-turbo 3.1's 12-bit decoder, driven directly: -nosmooth and CMYK -----------------

#: ``harness fancy dct`` with a 12-bit JPEG file on stdin (dct 0, 1, 2: islow, ifast, float):
#: libjpeg-turbo's samples (its default output colour space: RGB, grey, or CMYK for
#: 4-component files, not inverted) as native uint16 on stdout. Built against the library
#: imagecodecs' wheel ships, as
#: tests/test_twelve_bit_dct.py's encoder harness is (imagecodecs' jpeg8_decode has no
#: ``do_fancy_upsampling`` argument).
DECODE_HARNESS = r"""
#include <stdio.h>
#include <stdlib.h>
#include <jconfig.h>
#undef JPEG_LIB_VERSION
#define JPEG_LIB_VERSION 80
#define JCONFIG_INCLUDED
#include <jpeglib.h>

extern JDIMENSION jpeg12_read_scanlines(j_decompress_ptr, short **, JDIMENSION);

int main(int argc, char **argv) {
  struct jpeg_decompress_struct cinfo;
  struct jpeg_error_mgr error;
  size_t size = 0, got;
  unsigned char *data = malloc(1 << 24);
  if (argc != 3)
    return 2;
  while ((got = fread(data + size, 1, (1 << 24) - size, stdin)) > 0)
    size += got;
  cinfo.err = jpeg_std_error(&error);
  jpeg_create_decompress(&cinfo);
  jpeg_mem_src(&cinfo, data, size);
  jpeg_read_header(&cinfo, TRUE);
  cinfo.do_fancy_upsampling = atoi(argv[1]) ? TRUE : FALSE;
  cinfo.dct_method = atoi(argv[2]) == 0 ? JDCT_ISLOW : atoi(argv[2]) == 1 ? JDCT_IFAST : JDCT_FLOAT;
  jpeg_start_decompress(&cinfo);
  size_t row_samples = (size_t)cinfo.output_width * cinfo.output_components;
  short *row = malloc(sizeof(short) * row_samples);
  while (cinfo.output_scanline < cinfo.output_height) {
    jpeg12_read_scanlines(&cinfo, &row, 1);
    fwrite(row, sizeof(short), row_samples, stdout);
  }
  jpeg_finish_decompress(&cinfo);
  return 0;
}
"""


def build(folder: Path, name: str, source: str) -> Path:
    """A C program, compiled and linked against imagecodecs' libjpeg-turbo."""
    imagecodecs = codecs()
    libraries = sorted((Path(imagecodecs.__file__).parent.parent / "imagecodecs.libs")
                       .glob("libjpeg-*.so*"))
    assert libraries, "imagecodecs ships no libjpeg-turbo shared library here"
    if shutil.which("cc") is None:
        pytest.skip("needs a C compiler (cc) and libjpeg's headers (scripts/setup.sh)")
    (folder / f"{name}.c").write_text(source)
    built = subprocess.run(["cc", "-O1", "-o", str(folder / name), str(folder / f"{name}.c"),
                            str(libraries[0]), f"-Wl,-rpath,{libraries[0].parent}"],
                           capture_output=True, text=True)
    if built.returncode and "jpeglib.h" in built.stderr:
        pytest.skip("needs libjpeg's headers (libjpeg62-turbo-dev, scripts/setup.sh)")
    assert built.returncode == 0, built.stderr
    return folder / name


@pytest.fixture(scope="module")
def decoder_harness(tmp_path_factory) -> Path:
    return build(tmp_path_factory.mktemp("decode-harness"), "decoder", DECODE_HARNESS)


@pytest.fixture(scope="module")
def libjpeg_cmyk_file(tmp_path_factory) -> bytes:
    """libjpeg-turbo's own 12-bit file of CMYK noise (an Adobe marker, transform 0), 4:2:0
    luma, by tests/test_twelve_bit_dct.py's encoder harness."""
    encoder = build(tmp_path_factory.mktemp("encode-harness"), "encoder", ENCODE_HARNESS)
    pixels = noise12((21, 18, 4))
    return subprocess.run([str(encoder), "18", "21", "4", "90", "0", "2", "2"],
                          input=pixels.tobytes(), capture_output=True, check=True).stdout


def harness_pixels(harness: Path, data: bytes, fancy: bool = True, dct: str = "islow"
                   ) -> np.ndarray:
    decoded = read_jpeg(data)
    method = {"islow": 0, "ifast": 1, "float": 2}[dct]
    samples = subprocess.run([str(harness), str(int(fancy)), str(method)], input=data,
                             capture_output=True, check=True).stdout
    shape = (decoded.height, decoded.width, len(decoded.components))
    return np.frombuffer(samples, np.uint16).reshape(shape).squeeze(axis=2) \
        if shape[2] == 1 else np.frombuffer(samples, np.uint16).reshape(shape)


@pytest.mark.parametrize("name", ["photo 4:2:0", "grey", "libjpeg 4:2:2 noise"])
def test_harness_gives_imagecodecs_pixels(decoder_harness, name) -> None:
    data = FILES[name]()
    assert np.array_equal(harness_pixels(decoder_harness, data), libjpeg_pixels(data))


@pytest.mark.parametrize("name", ["photo 4:2:0", "photo 4:2:2", "photo 4:4:0", "photo 4x1",
                                  "noise 4:2:0 q75", "17x13 4:2:2 noise", "1x1 4:2:0",
                                  "progressive 4:2:0", "libjpeg 4:2:0"])
def test_nosmooth_equals_libjpeg(decoder_harness, backend, name) -> None:
    data = FILES[name]()
    expected = harness_pixels(decoder_harness, data, fancy=False)
    assert np.array_equal(stripjpeg.decode(data, fancy_upsampling=False, backend=backend),
                          expected)
    assert np.array_equal(stripjpeg.decode(data, fancy_upsampling=False, backend=backend,
                                           rows=(0, min(17, len(expected)))), expected[:17])


def test_cmyk_is_libjpegs_inverted(decoder_harness, libjpeg_cmyk_file, backend) -> None:
    """4-component 12-bit files, stripjpeg's and libjpeg's: libjpeg's CMYK inverted as
    ``4095 - v`` (the convention of 8-bit files, Pillow's). (12-bit YCCK: neither encoder
    here writes it, so it is not checked.)"""
    cmyk = stripjpeg.encode(noise12((19, 23, 4)), 90, precision=12, mode="CMYK")
    for data in (cmyk, libjpeg_cmyk_file):
        assert FrameGeometry.of(read_jpeg(data)).space == "cmyk"
        expected = 4095 - harness_pixels(decoder_harness, data)
        assert np.array_equal(stripjpeg.decode(data, backend=backend), expected)
        assert np.array_equal(stripjpeg.decode(data, backend=backend, rows=(9, 13)),
                              expected[9:13])


@pytest.mark.parametrize("dct", ["ifast", "float"])
@pytest.mark.parametrize("name", ["photo 4:4:4", "photo 4:2:0", "grey", "noise 4:4:4 q100",
                                  "noise 4:2:0 q75", "photo 4:2:0 q20", "libjpeg 4:2:2 noise",
                                  "progressive 4:2:0", "17x13 4:2:2 noise"])
def test_ifast_and_float_equal_libjpeg(decoder_harness, backend, name, dct) -> None:
    data = FILES[name]()
    expected = harness_pixels(decoder_harness, data, dct=dct)
    assert np.array_equal(stripjpeg.decode(data, dct=dct, backend=backend), expected)
    assert not np.array_equal(expected, harness_pixels(decoder_harness, data))  # not islow's


@pytest.mark.parametrize("suffix", [".pgm", ".npy"])
def test_cli_writes_a_16_bit_lossless_file_with_its_maxval(tmp_path, suffix) -> None:
    """A lossless file at precision 16 decodes to its exact uint16 samples, and the PGM
    header says maxval 65535 (it once said 255 over 16-bit data)."""
    samples = np.random.default_rng(18).integers(0, 1 << 16, (9, 13), dtype=np.uint16)
    source, target = tmp_path / "in.jpg", tmp_path / f"out{suffix}"
    source.write_bytes(stripjpeg.encode(samples, lossless=True, predictor=1, precision=16))
    assert main(["decode", str(source), "-o", str(target)]) == 0
    if suffix == ".npy":
        written = np.load(target)
    else:
        data = target.read_bytes()
        header = re.match(rb"P5\s+13\s+9\s+65535\s", data)
        assert header is not None, data[:20]
        written = np.frombuffer(data, ">u2", offset=header.end()).reshape(9, 13)
    assert written.dtype.itemsize == 2 and np.array_equal(written, samples)
