"""JPEG files from other encoders (Pillow, cjpeg, OpenCV) made from real photos, and the judge
of the coefficient readers: libjpeg's ``jpeg_read_coefficients``, through jpeglib."""

from __future__ import annotations

import io
import subprocess
from pathlib import Path

import cv2
import jpeglib
import numpy as np
from oracle import photo
from PIL import Image

from stripjpeg.inspect import read_jpeg, read_markers
from stripjpeg.reader import DecodedJpeg


def crop(rows: int, cols: int, name: str = "astronaut") -> np.ndarray:
    """A few hundred pixels of a real photo (fast to read in pure Python)."""
    return np.ascontiguousarray(photo(name)[100:100 + rows, 150:150 + cols])


def ppm(pixels: np.ndarray, path: Path) -> Path:
    """Write binary PPM/PGM for cjpeg."""
    magic = b"P5" if pixels.ndim == 2 else b"P6"
    path.write_bytes(magic + f"\n{pixels.shape[1]} {pixels.shape[0]}\n255\n".encode() + pixels.tobytes())
    return path


def cjpeg(pixels: np.ndarray, tmp_path: Path, *args: str) -> bytes:
    """What libjpeg-turbo's cjpeg writes for these pixels with these switches."""
    source = ppm(pixels, tmp_path / ("in.pgm" if pixels.ndim == 2 else "in.ppm"))
    result = subprocess.run(["cjpeg", *args, str(source)], capture_output=True, check=True)
    return result.stdout


def pillow(pixels: np.ndarray, **options) -> bytes:
    """What Pillow writes for these pixels with these save options."""
    buffer = io.BytesIO()
    Image.fromarray(pixels).save(buffer, "JPEG", **options)
    return buffer.getvalue()


def pillow_cmyk(pixels: np.ndarray, quality: int, **options) -> bytes:
    """Pillow's CMYK file (four components, an Adobe APP14 marker) of RGB pixels."""
    buffer = io.BytesIO()
    Image.fromarray(pixels).convert("CMYK").save(buffer, "JPEG", quality=quality, **options)
    return buffer.getvalue()


def opencv(pixels: np.ndarray, *params: int) -> bytes:
    """What OpenCV's imencode writes for these (BGR) pixels with these parameters."""
    ok, encoded = cv2.imencode(".jpg", pixels, list(params))
    assert ok
    return encoded.tobytes()


def jpegli(pixels: np.ndarray, quality: int) -> bytes:
    """What Google's jpegli (through pyjpegli) writes for these RGB pixels at this quality:
    an encoder of its own, not libjpeg's, with its own tables (and 4:4:4 by default)."""
    import pyjpegli

    height, width = pixels.shape[:2]
    return pyjpegli.encode(np.ascontiguousarray(pixels, dtype=np.uint8).tobytes(), width, height,
                           quality)


def sof(data: bytes) -> tuple[int, bytes]:
    """The first SOFn marker code and its payload, found with read_markers' offsets."""
    for segment in read_markers(data):
        if segment.name.startswith("SOF"):
            start = segment.offset + 4
            return segment.marker, data[start:start + segment.length - 2]
    raise AssertionError("no SOF")


def assert_equals_libjpeg(data: bytes, tmp_path: Path) -> DecodedJpeg:
    """Every coefficient and table equal to libjpeg's (jpeglib.read_dct)."""
    path = tmp_path / "oracle.jpg"
    path.write_bytes(data)
    theirs = jpeglib.read_dct(str(path))
    ours = read_jpeg(data)
    libjpeg_components = [theirs.Y]
    if theirs.has_chrominance:
        libjpeg_components += [theirs.Cb, theirs.Cr]
    if theirs.has_black:
        libjpeg_components.append(theirs.K)
    assert len(ours.coefficients) == len(libjpeg_components) == theirs.num_components
    for index, (a, b) in enumerate(zip(ours.coefficients, libjpeg_components)):
        assert a.dtype == np.int16 and a.shape == b.shape, index
        np.testing.assert_array_equal(a, b, err_msg=f"component {index}")
        table = theirs.qt[theirs.quant_tbl_no[index]]
        np.testing.assert_array_equal(ours.quant_tables[index].reshape(8, 8), table,
                                      err_msg=f"table of component {index}")
    # jpeglib lists sampling factors as (V, H).
    assert [(c.v, c.h) for c in ours.components] == [tuple(f) for f in theirs.samp_factor.tolist()]
    return ours
