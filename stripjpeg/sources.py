"""Image files as pixel arrays, without loading what can be streamed.

* ``.npy`` (uint8, ``(H, W)``, ``(H, W, 3)`` or ``(H, W, 4)``) and the Netpbm formats PGM
  (P5), PPM (P6) and PAM (P7) with maxval 255 are *memory-mapped*: the array is a view of the
  file, and the encoder reads it strip by strip, so memory stays bounded however tall the
  image (the operating system's page cache holds what was read recently).
* Anything else Pillow reads (PNG, TIFF, JPEG, BMP, ...) is decoded whole, because those
  formats cannot be read by rows through Pillow; Pillow is then required.
"""

from __future__ import annotations

import os
import re

import numpy as np

#: Netpbm magic numbers we read, and the channel count each implies (None: in the header).
_NETPBM = {b"P5": 1, b"P6": 3, b"P7": None}

#: PAM tuple types we accept, with their channel count.
_PAM_TUPLTYPES = {"GRAYSCALE": 1, "RGB": 3, "RGB_ALPHA": 4}


def open_image(path: str | os.PathLike) -> np.ndarray:
    """Open an image file as a uint8 array ``(H, W)``, ``(H, W, 3)`` or ``(H, W, 4)``.

    ``.npy`` and PGM/PPM/PAM files come back memory-mapped (read-only, nothing loaded);
    other formats are decoded with Pillow.

    Raises:
        ValueError: a file that is not a readable image, or not 8-bit.
        OSError: the file cannot be opened.
    """
    path = os.fspath(path)
    with open(path, "rb") as file:
        magic = file.read(6)
    if magic.startswith(b"\x93NUMPY"):
        return _open_npy(path)
    if magic[:2] in _NETPBM:
        return open_netpbm(path)
    return _open_with_pillow(path)


def _open_npy(path: str) -> np.ndarray:
    try:
        array = np.load(path, mmap_mode="r", allow_pickle=False)
    except ValueError as error:
        raise ValueError(f"{path}: not a readable .npy array ({error})") from None
    if array.dtype != np.uint8:
        raise ValueError(f"{path}: the array has dtype {array.dtype}; stripjpeg encodes uint8 pixels")
    return array


def open_netpbm(path: str | os.PathLike) -> np.ndarray:
    """Memory-map a binary PGM (P5), PPM (P6) or PAM (P7) file with maxval 255.

    Returns:
        A read-only uint8 memmap ``(H, W)`` for one channel, else ``(H, W, C)``.
    """
    path = os.fspath(path)
    with open(path, "rb") as file:
        head = file.read(4096)
    magic = head[:2]
    if magic == b"P7":
        width, height, channels, maxval, offset = _pam_header(head, path)
    else:
        width, height, maxval, offset = _pnm_header(head, path)
        channels = _NETPBM[magic]
    if maxval != 255:
        raise ValueError(f"{path}: maxval {maxval} is not supported; stripjpeg reads 8-bit files (255)")
    if width < 1 or height < 1:
        raise ValueError(f"{path}: the header declares a {width}x{height} image")
    needed = offset + width * height * channels
    size = os.path.getsize(path)
    if size < needed:
        raise ValueError(f"{path}: truncated: {width}x{height}x{channels} needs {needed} bytes, "
                         f"the file has {size}")
    shape = (height, width) if channels == 1 else (height, width, channels)
    return np.memmap(path, np.uint8, mode="r", offset=offset, shape=shape)


def _pnm_header(head: bytes, path: str) -> tuple[int, int, int, int]:
    """P5/P6: magic, width, height, maxval, separated by whitespace and comments, then
    exactly one whitespace byte before the raster (Netpbm's format definition)."""
    tokens, position = [], 2
    token = re.compile(rb"(?:\s|#[^\n]*\n?)*(\d+)")
    for _ in range(3):
        match = token.match(head, position)
        if match is None:
            raise ValueError(f"{path}: malformed PGM/PPM header")
        tokens.append(int(match.group(1)))
        position = match.end()
    if position >= len(head) or not head[position:position + 1].isspace():
        raise ValueError(f"{path}: malformed PGM/PPM header")
    width, height, maxval = tokens
    return width, height, maxval, position + 1


def _pam_header(head: bytes, path: str) -> tuple[int, int, int, int, int]:
    """P7: ``KEY value`` lines up to ``ENDHDR``."""
    end = head.find(b"ENDHDR\n")
    if end < 0:
        raise ValueError(f"{path}: malformed PAM header (no ENDHDR)")
    fields: dict[str, str] = {}
    for line in head[3:end].decode("ascii", "replace").splitlines():
        parts = line.split(None, 1)
        if parts and not parts[0].startswith("#"):
            fields[parts[0].upper()] = parts[1].strip() if len(parts) > 1 else ""
    try:
        width, height = int(fields["WIDTH"]), int(fields["HEIGHT"])
        depth, maxval = int(fields["DEPTH"]), int(fields["MAXVAL"])
    except (KeyError, ValueError):
        raise ValueError(f"{path}: malformed PAM header (needs WIDTH, HEIGHT, DEPTH, MAXVAL)") from None
    expected = _PAM_TUPLTYPES.get(fields.get("TUPLTYPE", "").upper(), depth)
    if depth not in (1, 3, 4) or depth != expected:
        raise ValueError(f"{path}: PAM depth {depth} / tuple type {fields.get('TUPLTYPE')!r} is not "
                         "supported (GRAYSCALE, RGB or RGB_ALPHA)")
    return width, height, depth, maxval, end + len(b"ENDHDR\n")


def _open_with_pillow(path: str) -> np.ndarray:
    try:
        from PIL import Image
    except ImportError:
        raise ValueError(f"{path}: reading this format needs Pillow (pip install pillow); "
                         ".npy and PGM/PPM/PAM files are read without it") from None
    try:
        with Image.open(path) as image:
            if image.mode not in ("L", "RGB", "RGBA"):
                image = image.convert("RGBA" if "A" in image.getbands() else "RGB")
            return np.asarray(image)
    except (OSError, Image.UnidentifiedImageError) as error:
        raise ValueError(f"{path}: not an image Pillow can read ({error})") from None
