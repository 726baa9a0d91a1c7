"""Writing decoded pixels to an image file, atomically: ``stripjpeg decode``'s output.

PGM/PPM (``.pgm``, ``.ppm``, ``.pnm``: greyscale or RGB), PAM (``.pam``: any channel count,
CMYK as ``TUPLTYPE CMYK``) and NumPy's ``.npy`` are written as the strips come, row after
row, so that a tall image is never held whole; other formats (``.png``, ``.tif``, ...) go
through Pillow, which needs the whole image. Samples above 8 bits (a 12-bit JPEG's uint16
samples, maxval 4095) are written as netpbm's two big-endian bytes a sample with that maxval,
or as a uint16 ``.npy``; Pillow's formats refuse them (Pillow has no 16-bit RGB mode). Every path is an
:class:`stripjpeg.sinks.AtomicFile`: a failed decode leaves no file, and an existing file
untouched.
"""

from __future__ import annotations

import io
import os
from collections.abc import Iterable

import numpy as np

from .sinks import AtomicFile

#: Suffixes written strip by strip.
STREAMED = (".pgm", ".ppm", ".pnm", ".pam", ".npy")

#: PAM's TUPLTYPE by channel count (the netpbm names).
_TUPLTYPES = {1: "GRAYSCALE", 3: "RGB", 4: "CMYK"}


def image_header(suffix: str, width: int, height: int, channels: int,
                 maxval: int = 255) -> bytes:
    """The header of a streamed format, before any row; ``maxval`` is the largest sample
    value (255: one byte a sample; up to 65535: two, uint16).

    Raises:
        ValueError: a PGM/PPM of 4 channels (CMYK: write .pam or .npy), or a suffix that is
            not streamed.
    """
    if suffix in (".pgm", ".ppm", ".pnm"):
        if channels not in (1, 3):
            raise ValueError(f"{channels} channels (CMYK) do not fit a {suffix} file: write "
                             ".pam, .npy or .tif")
        if (suffix == ".pgm" and channels == 3) or (suffix == ".ppm" and channels == 1):
            raise ValueError(f"a {'colour' if channels == 3 else 'greyscale'} image is not a "
                             f"{suffix} file: write {'.ppm' if channels == 3 else '.pgm'} or .pnm")
        return f"{'P5' if channels == 1 else 'P6'}\n{width} {height}\n{maxval}\n".encode()
    if suffix == ".pam":
        return (f"P7\nWIDTH {width}\nHEIGHT {height}\nDEPTH {channels}\nMAXVAL {maxval}\n"
                f"TUPLTYPE {_TUPLTYPES[channels]}\nENDHDR\n").encode()
    if suffix == ".npy":
        shape = (height, width) if channels == 1 else (height, width, channels)
        buffer = io.BytesIO()
        np.lib.format.write_array_header_1_0(
            buffer, {"descr": "|u1" if maxval < 256 else "<u2", "fortran_order": False,
                     "shape": shape})
        return buffer.getvalue()
    raise ValueError(f"{suffix} is not written strip by strip")


def write_image(path: str | os.PathLike, strips: Iterable[np.ndarray], width: int, height: int,
                channels: int, maxval: int = 255) -> None:
    """Write the strips (uint8 rows, or uint16 when ``maxval`` > 255; top to bottom,
    ``height`` rows in all) to ``path``, its format from its suffix; streamed for
    :data:`STREAMED` formats.

    Raises:
        ValueError: a format that cannot hold these pixels (a Pillow format for samples of
            more than 8 bits), or strips that do not add up to ``height`` rows. OSError: the
            path cannot be written (nothing is left there).
    """
    suffix = os.path.splitext(os.fspath(path))[1].lower()
    wide = maxval > 255
    header = image_header(suffix, width, height, channels, maxval) if suffix in STREAMED \
        else None
    if header is None:
        if wide:
            raise ValueError(f"samples of up to {maxval} (more than 8 bits) are written as "
                             f".ppm, .pgm, .pnm, .pam or .npy, not {suffix or 'this file'}")
        _check_pillow_format(suffix)
    sink = AtomicFile(path)
    try:
        if header is not None:
            sink.write(header)
            rows = 0
            # netpbm's two-byte samples are big-endian, .npy's "<u2" little-endian.
            order = ">u2" if suffix != ".npy" else "<u2"
            for strip in strips:
                strip = np.ascontiguousarray(strip, order if wide else np.uint8)
                sink.write(strip.tobytes())
                rows += len(strip)
            if rows != height:
                raise ValueError(f"the decode gave {rows} rows, expected {height}")
        else:
            _save_with_pillow(sink, suffix, np.concatenate(list(strips)), channels)
        sink.commit()
    except BaseException:
        sink.discard()
        raise


def _check_pillow_format(suffix: str) -> None:
    from PIL import Image

    if suffix not in Image.registered_extensions():
        raise ValueError(f"cannot write {suffix or 'a file without a suffix'}: use .ppm, .pgm, "
                         ".pam, .npy, or a format Pillow writes (.png, .tif, ...)")


def _save_with_pillow(sink: AtomicFile, suffix: str, pixels: np.ndarray, channels: int) -> None:
    from PIL import Image

    image = Image.fromarray(pixels, "CMYK") if channels == 4 else Image.fromarray(pixels)
    image.save(sink.file, Image.registered_extensions()[suffix])
