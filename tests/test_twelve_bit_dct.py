"""12-bit lossy coding with ``dct="ifast"`` and ``dct="float"``: bytes equal to libjpeg-turbo
3.1's 12-bit library with the same DCT method, on both backends.

imagecodecs' ``jpeg8_encode`` has no DCT-method argument, but its wheel ships libjpeg-turbo 3.1
as a shared library (``imagecodecs.libs/libjpeg-*.so*``, libjpeg's version-8 interface) whose
12-bit entry points (``jpeg12_write_scanlines``) are exported. The small C program below (built
once per session with the system's C compiler and libjpeg headers, Debian's
libjpeg62-turbo-dev: the struct layout is read with ``JPEG_LIB_VERSION`` 80, as that library
was built) sets ``data_precision = 12`` and ``dct_method`` and writes the file. With
``dct_method`` islow it writes imagecodecs' bytes, which the first test checks, so the
program is known to drive the library as imagecodecs does.
"""

from __future__ import annotations

import shutil
import subprocess
from pathlib import Path

import numpy as np
import pytest

import stripjpeg

RNG = np.random.default_rng(1216)

#: The C program: ``harness width height components quality dct h v`` with native uint16
#: samples on stdin (RGB, grey or CMYK by the component count), the JPEG file on stdout.
HARNESS = r"""
#include <stdio.h>
#include <stdlib.h>
#include <jconfig.h>
#undef JPEG_LIB_VERSION
#define JPEG_LIB_VERSION 80
#define JCONFIG_INCLUDED
#include <jpeglib.h>

extern JDIMENSION jpeg12_write_scanlines(j_compress_ptr, short **, JDIMENSION);

int main(int argc, char **argv) {
  struct jpeg_compress_struct cinfo;
  struct jpeg_error_mgr error;
  unsigned char *data = NULL;
  unsigned long size = 0;
  int width = atoi(argv[1]), height = atoi(argv[2]), components = atoi(argv[3]);
  int method = atoi(argv[5]);
  size_t count = (size_t)width * height * components;
  short *samples = malloc(sizeof(short) * count);
  if (argc != 8 || fread(samples, sizeof(short), count, stdin) != count)
    return 2;
  cinfo.err = jpeg_std_error(&error);
  jpeg_create_compress(&cinfo);
  jpeg_mem_dest(&cinfo, &data, &size);
  cinfo.image_width = width;
  cinfo.image_height = height;
  cinfo.input_components = components;
  cinfo.in_color_space = components == 1 ? JCS_GRAYSCALE : components == 3 ? JCS_RGB : JCS_CMYK;
  cinfo.data_precision = 12;
  jpeg_set_defaults(&cinfo);
  jpeg_set_quality(&cinfo, atoi(argv[4]), TRUE);
  cinfo.dct_method = method == 0 ? JDCT_ISLOW : method == 1 ? JDCT_IFAST : JDCT_FLOAT;
  cinfo.comp_info[0].h_samp_factor = atoi(argv[6]);
  cinfo.comp_info[0].v_samp_factor = atoi(argv[7]);
  jpeg_start_compress(&cinfo, TRUE);
  while (cinfo.next_scanline < cinfo.image_height) {
    short *row = samples + (size_t)cinfo.next_scanline * width * components;
    jpeg12_write_scanlines(&cinfo, &row, 1);
  }
  jpeg_finish_compress(&cinfo);
  fwrite(data, 1, size, stdout);
  return 0;
}
"""

METHODS = {"islow": 0, "ifast": 1, "float": 2}
#: Our subsampling -> luma's sampling factors (chroma 1x1) and imagecodecs' name.
SAMPLING = {"4:4:4": ((1, 1), "444"), "4:2:2": ((2, 1), "422"), "4:2:0": ((2, 2), "420")}


@pytest.fixture(scope="module")
def harness(tmp_path_factory) -> Path:
    """The C program, compiled and linked against imagecodecs' libjpeg-turbo."""
    imagecodecs = pytest.importorskip("imagecodecs")
    libraries = sorted((Path(imagecodecs.__file__).parent.parent / "imagecodecs.libs")
                       .glob("libjpeg-*.so*"))
    assert libraries, "imagecodecs ships no libjpeg-turbo shared library here"
    if shutil.which("cc") is None:
        pytest.skip("needs a C compiler (cc) and libjpeg's headers (scripts/setup.sh)")
    folder = tmp_path_factory.mktemp("harness")
    (folder / "harness.c").write_text(HARNESS)
    built = subprocess.run(["cc", "-O1", "-o", str(folder / "harness"), str(folder / "harness.c"),
                            str(libraries[0]), f"-Wl,-rpath,{libraries[0].parent}"],
                           capture_output=True, text=True)
    if built.returncode and "jpeglib.h" in built.stderr:
        pytest.skip("needs libjpeg's headers (libjpeg62-turbo-dev, scripts/setup.sh)")
    assert built.returncode == 0, built.stderr
    return folder / "harness"


def libjpeg12(harness: Path, pixels: np.ndarray, quality: int, dct: str,
              subsampling: str = "4:4:4") -> bytes:
    """libjpeg-turbo 3.1's 12-bit file with ``dct`` (no restart markers)."""
    (h, v), _ = SAMPLING[subsampling]
    components = pixels.shape[2] if pixels.ndim == 3 else 1
    return subprocess.run(
        [str(harness), str(pixels.shape[1]), str(pixels.shape[0]), str(components),
         str(quality), str(METHODS[dct]), str(h), str(v)],
        input=np.ascontiguousarray(pixels, dtype=np.uint16).tobytes(), capture_output=True,
        check=True).stdout


def image(kind: str, shape: tuple[int, ...]) -> np.ndarray:
    """12-bit noise, a smooth ramp per channel, or a 0/4095 checkerboard (the extremes)."""
    y, x = np.indices(shape[:2])
    if kind == "noise":
        return RNG.integers(0, 4096, shape).astype(np.uint16)
    plane = (x * 4095 // max(1, shape[1] - 1) + y * 7) % 4096 if kind == "smooth" else \
        (x + y) % 2 * 4095
    planes = [plane, 4095 - plane, (plane + 2048) % 4096][:shape[2] if len(shape) == 3 else 1]
    return np.stack(planes, axis=-1).reshape(shape).astype(np.uint16)


@pytest.mark.parametrize("subsampling", ["4:4:4", "4:2:0"])
def test_harness_writes_imagecodecs_bytes_with_islow(harness, subsampling):
    imagecodecs = pytest.importorskip("imagecodecs")
    pixels = image("noise", (19, 27, 3))
    theirs = imagecodecs.jpeg8_encode(pixels, level=90, bitspersample=12,
                                      subsampling=SAMPLING[subsampling][1])
    assert libjpeg12(harness, pixels, 90, "islow", subsampling) == theirs


@pytest.mark.parametrize("dct", ["ifast", "float"])
@pytest.mark.parametrize("quality", [25, 75, 90, 100])
@pytest.mark.parametrize("subsampling", ["4:4:4", "4:2:2", "4:2:0"])
@pytest.mark.parametrize("kind", ["noise", "smooth", "checker"])
def test_bytes_equal_libjpeg(harness, kind, subsampling, quality, dct, backend):
    pixels = image(kind, (21, 35, 3))
    ours = stripjpeg.encode(pixels, quality=quality, subsampling=subsampling, precision=12,
                            dct=dct, restart_rows=0, backend=backend)
    assert ours == libjpeg12(harness, pixels, quality, dct, subsampling)


@pytest.mark.parametrize("dct", ["ifast", "float"])
@pytest.mark.parametrize("kind", ["noise", "checker"])
def test_grey_bytes_equal_libjpeg(harness, kind, dct, backend):
    pixels = image(kind, (30, 17))
    ours = stripjpeg.encode(pixels, quality=95, precision=12, dct=dct, restart_rows=0,
                            backend=backend)
    assert ours == libjpeg12(harness, pixels, 95, dct)


@pytest.mark.parametrize("dct", ["islow", "ifast", "float"])
@pytest.mark.parametrize("subsampling", ["4:4:4", "4:2:2", "4:2:0"])
def test_cmyk_bytes_equal_libjpeg(harness, subsampling, dct, backend):
    """12-bit CMYK, stored inverted (Pillow's convention, as at 8 bits): the program's file
    from ``4095 - a``, with the first component's sampling factors as Pillow sets them
    (imagecodecs subsamples CMYK otherwise, so only 4:4:4 is also its file,
    tests/test_twelve_bit.py)."""
    pixels = image("noise", (19, 27, 4))
    ours = stripjpeg.encode(pixels, quality=90, subsampling=subsampling, precision=12,
                            mode="CMYK", dct=dct, restart_rows=0, backend=backend)
    assert ours == libjpeg12(harness, 4095 - pixels, 90, dct, subsampling)


def test_float_rounding_is_the_c_code_s():
    """The rounding the 12-bit files above force: ``(int)(x + 16384.5f) - 16384`` in float32,
    not round-half-even (the 8-bit SIMD rounding): ties go up, and near 2**14 a product less
    than 2**-10 below a half-integer rounds up too."""
    from stripjpeg.stages.quantize import quantize_float
    ones = np.ones(64)
    block = np.zeros((1, 8, 8), np.float32)
    for value, c_code, half_even in ((2.5, 3, 2), (-2.5, -2, -2), (0.5, 1, 0),
                                     (np.float32(2.5) - np.float32(2 ** -12), 3, 2)):
        block[0, 0, 0] = value * 8  # the DC divisor at Q = 1 is 1/8
        assert quantize_float(block, ones, 12)[0, 0, 0] == c_code
        assert quantize_float(block, ones, 8)[0, 0, 0] == half_even
