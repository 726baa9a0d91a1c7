"""What the user hands over, as pixels: arrays, memmaps, dask arrays, and image files.

Whole images and strips (:func:`whole_image`, :func:`image_strips`, :func:`materialize`):

* an ndarray of uint8, in any memory layout (memmaps included), is viewed, never copied or
  cast (:func:`as_pixel_array` refuses other dtypes rather than convert them);
* a dask array (:func:`is_lazy_array`) stays lazy: its strips are sliced lazily and computed
  where they are encoded; with a Dask client, in bands on the workers (:mod:`stripjpeg.cluster`);
* a zarr array (:func:`is_zarr_array`) is never loaded whole: it is read by bands of chunk
  rows (:class:`ChunkedRows`), or with a Dask client as a dask array of its chunks.

Image files, without loading what can be streamed:

* TIFF and BigTIFF of one 8-bit L, RGB or RGBA image (with tifffile installed) are
  memory-mapped when uncompressed and contiguous, else read by bands of tile rows through their
  zarr view (:func:`stream_tiff`); other TIFFs go to Pillow, below;
* ``.npy`` (uint8, ``(H, W)``, ``(H, W, 3)`` or ``(H, W, 4)``) and the Netpbm formats PGM
  (P5), PPM (P6) and PAM (P7) with maxval 255 are *memory-mapped*: the array is a view of the
  file, and the encoder reads it strip by strip, so memory stays bounded however tall the
  image (the operating system's page cache holds what was read recently).
* PNG is read row by row by :mod:`stripjpeg.png_source` (:class:`~.png_source.PngRows`), its
  16-bit samples kept for a 12-bit or lossless encode; Adam7-interlaced and animated PNGs
  cannot stream and go to Pillow, below.
* Anything else Pillow reads (TIFF, JPEG, BMP, ...) is decoded whole, because those
  formats cannot be read by rows through Pillow; Pillow is then required.

Nothing is clipped or dropped silently. The encoder takes 8-bit L, RGB and RGBA (whose alpha
it drops, as documented for every entry point, without a warning); every other Pillow mode is
converted *and said so* (a ``UserWarning``, one line on stderr in the CLI), or refused with a
``ValueError`` that says what to do instead (:func:`pixels_from_pillow`):

=======================  ==================================================================
Pillow mode              what happens
=======================  ==================================================================
L, RGB                   as they are
RGBA                     as it is; the encoder drops alpha (no warning)
1                        -> L (0 and 255), warning
P                        -> RGB, or RGBA if it has transparency (then dropped), warning
PA                       -> RGBA (alpha dropped by the encoder), warning
LA                       -> L, alpha dropped, warning
RGBX                     -> RGB (the padding byte dropped), no warning
I;16, I;16L/B/N          16-bit samples scaled to 8 bits by :func:`scale_16_to_8`, warning
YCbCr                    -> RGB (Pillow's JFIF conversion), warning; read_image keeps it
HSV                      -> RGB, warning
I (32-bit), F (float)    refused: convert to 8 bits yourself (e.g. save a uint8 ``.npy``)
CMYK                     refused; read_image keeps it (encode it with mode="CMYK")
LAB                      refused: convert to RGB with a colour-managed tool (PIL.ImageCms)
La, RGBa, anything else  refused: convert to L, RGB or RGBA first
=======================  ==================================================================

:func:`read_image` (what the command line reads with) gives the pixels and their mode, and
keeps Pillow's CMYK and YCbCr images as they are (:data:`KEPT_MODES`): the encoder takes both
(``mode="CMYK"``, ``mode="YCbCr"``).

Files of 16 bits per sample that Pillow itself opens as 8-bit RGB or RGBA (16-bit colour
TIFFs, and interlaced PNGs: Pillow keeps each sample's high byte, truncating) get a warning
saying so. ``.npy`` and Netpbm sources must already be 8-bit, or 16-bit for a 12-bit or
lossless encode (no scaling is done there). A file of several frames (animated GIF, PNG or
WebP, a multi-page TIFF, MPO)
has its first frame encoded, with a warning saying how many it holds.
"""

from __future__ import annotations

import importlib.util
import os
import re
from collections.abc import Iterator
from typing import Any

import numpy as np

from .notices import warn_user
from .options import DEFAULT_MODES, check_array_mode, check_mode
from .png_source import SIGNATURE as PNG_SIGNATURE
from .png_source import PngRows, scale_16_to_8, stream_png

# --- Whole images and strips as pixels ------------------------------------------------------

def as_pixel_array(pixels: Any, what: str = "pixels", dtype: Any = np.uint8) -> np.ndarray:
    """Return ``pixels`` as an ndarray of ``dtype`` (uint8; uint16 for lossless samples of
    more than 8 bits, see :func:`sample_dtype`), refusing anything that would need a cast.

    Raises:
        TypeError: not array-like, or another dtype (no silent conversion: a float image in
            0..1 or an int64 array would otherwise encode as garbage).
    """
    name = np.dtype(dtype).name
    if not isinstance(pixels, np.ndarray):
        if not hasattr(pixels, "__array__") and not isinstance(pixels, (list, tuple)):
            raise TypeError(f"{what} must be a numpy array of {name}, got {type(pixels).__name__}")
        pixels = np.asarray(pixels)
    if pixels.dtype.newbyteorder("=") != np.dtype(dtype):  # big-endian uint16 (16-bit PGM) too
        if dtype == np.uint8:
            raise TypeError(f"{what} must have dtype uint8, got {pixels.dtype}; convert explicitly "
                            f"(e.g. np.clip(x, 0, 255).astype(np.uint8)) if that is what you mean")
        raise TypeError(f"{what} must have dtype {name} for samples of more than 8 bits, got "
                        f"{pixels.dtype}")
    return pixels


def sample_dtype(precision: int) -> Any:
    """The input dtype for samples of ``precision`` bits: uint8 up to 8, uint16 above."""
    return np.uint8 if precision <= 8 else np.uint16


def image_mode(pixels: np.ndarray) -> str:
    """The default mode ("L", "RGB" or "RGBA") of a whole image array, from its shape
    (``mode=`` names the others: :func:`whole_image`).

    Raises:
        ValueError: not ``(H, W)``, ``(H, W, 1)``, ``(H, W, 3)`` or ``(H, W, 4)``.
    """
    if pixels.ndim == 2 or (pixels.ndim == 3 and pixels.shape[2] == 1):
        return "L"
    if pixels.ndim == 3 and pixels.shape[2] in (3, 4):
        return "RGB" if pixels.shape[2] == 3 else "RGBA"
    raise ValueError(f"pixels must have shape (H, W) for grayscale, (H, W, 3) for RGB or "
                     f"(H, W, 4) for RGBA; got shape {pixels.shape}")


def is_lazy_array(pixels: Any) -> bool:
    """True for an array computed on demand (a dask array): not an ndarray, but with
    ``shape``, ``dtype`` and ``compute``. Such images are read strip by strip, never whole."""
    return (not isinstance(pixels, np.ndarray) and hasattr(pixels, "compute")
            and hasattr(pixels, "shape") and hasattr(pixels, "dtype"))


def is_zarr_array(pixels: Any) -> bool:
    """True for a zarr array (zarr 2 or 3): chunked, stored, read by slicing."""
    return type(pixels).__module__.split(".")[0] == "zarr" and hasattr(pixels, "chunks")


class ChunkedRows:
    """A chunked array on storage (a zarr array) as a whole image ``(H, W, C)`` read by
    bands of whole chunk rows: slicing rows reads the chunks that hold them, all the width,
    once, and serves the strips inside from that band, so each chunk is read (and
    decompressed) once per pass, and memory holds one band of chunk rows.

    Attributes:
        array: the zarr array, ``(H, W)`` or ``(H, W, C)``, uint8.
        shape: ``(H, W, C)``; ``ndim`` 3, ``dtype`` uint8.
        band_rows: rows per band (the array's chunk height).
    """

    def __init__(self, array: Any) -> None:
        self.array = array
        height, width = array.shape[:2]
        self.shape = (height, width, array.shape[2] if len(array.shape) == 3 else 1)
        self.ndim = 3
        self.dtype = np.dtype(array.dtype)
        self.band_rows = int(array.chunks[0])
        self._band: np.ndarray | None = None
        self._band_start = 0

    def __getitem__(self, rows: slice) -> np.ndarray:
        """Rows ``rows.start:rows.stop`` (a slice of rows, step 1) as a uint8 ``(n, W, C)``
        view of the band read for them."""
        start, stop, _ = rows.indices(self.shape[0])
        band = self._band
        if band is None or start < self._band_start or stop > self._band_start + band.shape[0]:
            first = start // self.band_rows * self.band_rows
            last = min(self.shape[0], -(-stop // self.band_rows) * self.band_rows)
            band = np.asarray(self.array[first:last])
            self._band, self._band_start = band.reshape(last - first, *self.shape[1:]), first
        return self._band[start - self._band_start:stop - self._band_start]

    def as_dask(self) -> Any:
        """The same image as a dask array of the zarr array's chunks (``dask.array.from_zarr``),
        for a cluster's workers to read where they are."""
        import dask.array

        pixels = dask.array.from_zarr(self.array)
        return pixels[:, :, np.newaxis] if pixels.ndim == 2 else pixels


def whole_image(pixels: Any, mode: str | None = None, dtype: Any = np.uint8) -> np.ndarray:
    """Check a whole image and view it as ``(H, W, C)``: an ndarray (any layout, memmaps
    included), a dask array, which is left lazy and computed strip by strip, or a zarr array,
    read by bands of chunk rows (:class:`ChunkedRows`).

    Args:
        pixels: the image.
        mode: the pixel mode it is said to be (a key of :data:`~.options.MODES`), or None.
        dtype: its samples' dtype: uint8, or uint16 for lossless samples of more than 8 bits
            (:func:`sample_dtype`).

    Raises:
        TypeError: not an array, or not of ``dtype`` (no cast). ValueError: a shape of no
            mode; with ``mode``, a mode that does not fit: another channel count or dtype.
    """
    if mode is not None:
        check_mode(mode)
        given = getattr(pixels, "dtype", None)
        if given is not None and np.dtype(given).newbyteorder("=") != np.dtype(dtype):  # >u2 too
            bits = 8 * np.dtype(dtype).itemsize
            raise ValueError(f"mode={mode!r} takes {bits}-bit samples (dtype {np.dtype(dtype).name}); "
                             f"the image has dtype {given}: convert it explicitly if that is what you "
                             "mean")
    if isinstance(pixels, PngRows):
        pixels = pixels.with_channel_axis()
    if isinstance(pixels, (ChunkedRows, PngRows)):  # a tiled TIFF's zarr array, a PNG file
        if mode is not None:
            check_array_mode(mode, pixels.shape[2])
        return pixels
    if is_zarr_array(pixels):
        if np.dtype(pixels.dtype) != dtype:
            raise TypeError(f"pixels must have dtype {np.dtype(dtype).name}, got {pixels.dtype}")
        image_mode(pixels)
        rows = ChunkedRows(pixels)
        if mode is not None:
            check_array_mode(mode, rows.shape[2])
        return rows
    if is_lazy_array(pixels):
        if pixels.dtype != dtype:
            raise TypeError(f"pixels must have dtype {np.dtype(dtype).name}, got {pixels.dtype}")
    else:
        pixels = as_pixel_array(pixels, dtype=dtype)
    image_mode(pixels)
    if pixels.ndim == 2:
        pixels = pixels[:, :, np.newaxis]
    if mode is not None:
        check_array_mode(mode, pixels.shape[2])
    return pixels


def materialize(strip: Any) -> np.ndarray:
    """A strip as an ndarray; a lazy strip is computed here, in whichever process or Dask
    worker runs this (so only its compressed bytes travel back)."""
    return strip if isinstance(strip, np.ndarray) else np.asarray(strip)


def materialize_all(strips: list[Any]) -> list[np.ndarray]:
    """Several strips as ndarrays; lazy ones are computed together, in one dask call."""
    if not any(is_lazy_array(strip) for strip in strips):
        return strips
    import dask

    return [np.asarray(strip) for strip in dask.compute(*strips)]


def image_strips(pixels: Any, strip_height: int, context_rows: int = 0) -> Iterator[Any]:
    """A whole image's strips, top to bottom: views of an ndarray, or lazy dask slices.

    With ``context_rows`` (smoothing's, :attr:`stripjpeg.plan.Plan.context_rows`) each strip
    also holds that many rows above and below its own: the neighbouring strips' rows, and at
    the image's top and bottom its first and last row repeated (jcprepct.c replicates them
    so). Those two strips are copies (gathered by index, lazily for a dask array); the others
    are still views.
    """
    height = pixels.shape[0]
    for start in range(0, height, strip_height):
        stop = min(start + strip_height, height)
        first, end = start - context_rows, stop + context_rows
        if first >= 0 and end <= height:
            yield pixels[first:end]
        else:
            yield pixels[np.clip(np.arange(first, end), 0, height - 1)]


# --- Image files ------------------------------------------------------------------------------

#: Netpbm magic numbers we read, and the channel count each implies (None: in the header).
_NETPBM = {b"P5": 1, b"P6": 3, b"P7": None}

#: PAM tuple types we accept, with their channel count.
_PAM_TUPLTYPES = {"GRAYSCALE": 1, "RGB": 3, "RGB_ALPHA": 4}


def open_image(path: str | os.PathLike, precision: int = 8) -> np.ndarray:
    """Open an image file as a uint8 array ``(H, W)``, ``(H, W, 3)`` or ``(H, W, 4)``.

    With ``precision`` over 8 (lossless samples of up to 16 bits), a PGM/PPM/PAM file with a
    maxval up to ``2**precision - 1`` is memory-mapped as its big-endian 16-bit samples, and
    a ``.npy`` may hold uint16: the samples are taken as they are, never scaled.

    ``.npy`` and PGM/PPM/PAM files come back memory-mapped (read-only, nothing loaded);
    other formats are decoded with Pillow.

    Warns:
        UserWarning: pixels were converted (see the table above), naming the file.

    Raises:
        ValueError: a file that is not a readable image; a ``.npy`` that is not uint8 or a
            Netpbm file with maxval other than 255 (not scaled); a refused Pillow mode.
        OSError: the file cannot be opened.
    """
    path = os.fspath(path)
    with open(path, "rb") as file:
        magic = file.read(8)
    if magic == PNG_SIGNATURE:
        streamed = stream_png(path, precision)
        if streamed is not None:
            return streamed
    if magic.startswith(b"\x93NUMPY"):
        return _open_npy(path, precision)
    if magic[:2] in _NETPBM:
        return open_netpbm(path, precision)
    if magic[:4] in _TIFF_MAGIC:
        streamed = stream_tiff(path, precision)
        if streamed is not None:
            return streamed
    return _open_with_pillow(path, precision=precision)[0]


#: TIFF's and BigTIFF's first four bytes, little- and big-endian.
_TIFF_MAGIC = (b"II*\0", b"MM\0*", b"II+\0", b"MM\0+")


def stream_tiff(path: str | os.PathLike, precision: int = 8) -> Any:
    """Open a TIFF or BigTIFF file of 8-bit L, RGB or RGBA through tifffile, without loading
    it; None for any other TIFF (which Pillow then decodes whole, as before). With
    ``precision`` over 8 (12-bit or lossless encodes), 16-bit samples are taken too, as they are.

    Uncompressed, contiguous image data comes back memory-mapped (``tifffile.memmap``: a
    read-only ``np.memmap``, read strip by strip like a ``.npy``); tiled or compressed data (with
    zarr installed) as the file's zarr view (``tifffile.imread(aszarr=True)``) read by bands of
    whole chunk rows (:class:`ChunkedRows`), so one band of tiles is decoded at a time. Any other
    TIFF (other sample types, which Pillow's path scales or refuses with its messages; several
    pages or images, whose first Pillow encodes with a warning; CMYK, kept as CMYK by
    :func:`read_image`; planar layouts; tiled or compressed without zarr) gives None.
    """
    if importlib.util.find_spec("tifffile") is None:
        return None
    import tifffile

    path = os.fspath(path)
    with tifffile.TiffFile(path) as tiff:
        series = tiff.series[0]
        shape, dtype = tuple(series.shape), series.dtype
        single = len(tiff.series) == 1 and len(tiff.pages) == 1
        photometric = series.keyframe.photometric
    # Grey as it is (min is black), or RGB, with alpha as a fourth sample; CMYK, palettes,
    # inverted grey, YCbCr and the rest go to Pillow, which converts or refuses them.
    grey = photometric == tifffile.PHOTOMETRIC.MINISBLACK and len(shape) == 2
    colour = photometric == tifffile.PHOTOMETRIC.RGB and len(shape) == 3 and shape[2] in (3, 4)
    wanted = np.uint16 if precision > 8 else np.uint8
    streamable = dtype.newbyteorder("=") == wanted and single and (grey or colour)
    if streamable:
        try:
            return tifffile.memmap(path, mode="r")
        except ValueError:  # "image data are not memory-mappable": tiled or compressed
            pass
        if importlib.util.find_spec("zarr") is not None:
            import zarr

            return ChunkedRows(zarr.open(tifffile.imread(path, aszarr=True, series=0, level=0), mode="r"))
    return None


#: Pillow modes :func:`read_image` keeps as they are, which :func:`open_image` converts or
#: refuses: the encoder takes them with ``mode=``.
KEPT_MODES = ("CMYK", "YCbCr")


def read_image(path: str | os.PathLike, precision: int = 8) -> tuple[np.ndarray, str]:
    """Open an image file as :func:`open_image` does (``precision`` too), and say its mode:
    the pixels and the ``mode`` to encode them with. Pillow's CMYK and YCbCr images are kept
    as they are (the encoder stores CMYK as CMYK, and codes YCbCr samples without converting
    them); every
    other file comes as :func:`open_image` gives it, in the default mode of its channel
    count ("L", "RGB" or "RGBA").

    Raises:
        ValueError, OSError: as :func:`open_image`.
    """
    path = os.fspath(path)
    with open(path, "rb") as file:
        magic = file.read(8)
    streamed = stream_tiff(path, precision) if magic[:4] in _TIFF_MAGIC else None
    if magic == PNG_SIGNATURE:
        streamed = stream_png(path, precision)
    if streamed is not None or magic.startswith(b"\x93NUMPY") or magic[:2] in _NETPBM:
        pixels = streamed if streamed is not None else open_image(path, precision)
        return pixels, DEFAULT_MODES[1 if pixels.ndim == 2 else pixels.shape[2]]
    return _open_with_pillow(path, KEPT_MODES, precision)


def _open_npy(path: str, precision: int = 8) -> np.ndarray:
    try:
        array = np.load(path, mmap_mode="r", allow_pickle=False)
    except ValueError as error:
        raise ValueError(f"{path}: not a readable .npy array ({error})") from None
    if precision > 8 and array.dtype.newbyteorder("=") == np.uint16:
        return array
    if array.dtype != np.uint8:
        raise ValueError(f"{path}: the array has dtype {array.dtype}; stripjpeg encodes uint8 pixels "
                         "and does not scale others: convert to uint8 first (16-bit samples e.g. "
                         "with (v * 255 + 32767) // 65535)")
    return array


def open_netpbm(path: str | os.PathLike, precision: int = 8) -> np.ndarray:
    """Memory-map a binary PGM (P5), PPM (P6) or PAM (P7) file with maxval 255; with
    another ``precision`` (lossless), any maxval up to ``2**precision - 1``, samples over 255
    being 16-bit big-endian (Netpbm's format definition).

    Returns:
        A read-only uint8 memmap ``(H, W)`` for one channel, else ``(H, W, C)``; big-endian
        uint16 (``>u2``) for a maxval over 255.
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
    wide = precision != 8 and 0 < maxval < 1 << precision
    if maxval != 255 and not wide:
        raise ValueError(f"{path}: maxval {maxval} is not supported; stripjpeg reads 8-bit files "
                         "(255) and does not scale others: convert to 8 bits first (or, for a "
                         "lossless file of more bits, give the precision: --precision)")
    sample = np.dtype(">u2") if maxval > 255 else np.dtype(np.uint8)
    if width < 1 or height < 1:
        raise ValueError(f"{path}: the header declares a {width}x{height} image")
    needed = offset + width * height * channels * sample.itemsize
    size = os.path.getsize(path)
    if size < needed:
        raise ValueError(f"{path}: truncated: {width}x{height}x{channels} needs {needed} bytes, "
                         f"the file has {size}")
    shape = (height, width) if channels == 1 else (height, width, channels)
    return np.memmap(path, sample, mode="r", offset=offset, shape=shape)


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


def _open_with_pillow(path: str, keep: tuple[str, ...] = (), precision: int = 8
                      ) -> tuple[np.ndarray, str]:
    """The pixels of a file Pillow reads, and their mode: a mode of ``keep`` as it is, any
    other as :func:`pixels_from_pillow` makes it (with ``precision``)."""
    try:
        from PIL import Image
    except ImportError:
        raise ValueError(f"{path}: reading this format needs Pillow (pip install pillow); "
                         ".npy and PGM/PPM/PAM files are read without it") from None
    try:
        with Image.open(path) as image:
            _warn_if_pillow_truncated(image, path)
            frames = getattr(image, "n_frames", 1)
            if frames > 1:
                # Animated GIF/PNG/WebP, multi-page TIFF, MPO: a JPEG holds one image.
                warn_user(f"{path}: the file holds {frames} frames; only the first is encoded")
            if image.mode in keep:
                return np.asarray(image), image.mode
            pixels = pixels_from_pillow(image, path, precision)
            return pixels, DEFAULT_MODES[1 if pixels.ndim == 2 else pixels.shape[2]]
    except (OSError, Image.UnidentifiedImageError) as error:
        raise ValueError(f"{path}: not an image Pillow can read ({error})") from None


#: Pillow modes of 16-bit unsigned samples (little-, big- and native-endian, and I;16 = little).
SIXTEEN_BIT_MODES = ("I;16", "I;16L", "I;16B", "I;16N")

#: Pillow raw modes of 16-bit samples that it decodes into an 8-bit mode.
SIXTEEN_BIT_RAW_MODE = re.compile(r"(L|LA|RGB|RGBA|RGBX|CMYK);16[BLN]?$")

#: Modes converted by Pillow to one the encoder takes: mode -> (Pillow target mode, notice
#: or None). P is handled apart (its target depends on transparency).
CONVERTED_MODES = {
    "1": ("L", "1-bit pixels converted to 8-bit grayscale (0 and 255)"),
    "PA": ("RGBA", "palette colours converted to RGB; the alpha channel is dropped "
                   "(JPEG has no transparency)"),
    "LA": ("L", "the alpha channel is dropped (JPEG has no transparency)"),
    "RGBX": ("RGB", None),  # the fourth byte is padding: nothing is lost
    "YCbCr": ("RGB", "YCbCr converted to RGB (the JFIF equations); the encoder converts "
                     "back to YCbCr, so values may differ by rounding"),
    "HSV": ("RGB", "HSV converted to RGB"),
}

#: Modes refused, with what to do instead.
REFUSED_MODES = {
    "I": "32-bit integer samples are not scaled or clipped here; convert them to 8 bits "
         "yourself (e.g. save a uint8 .npy) and encode that",
    "F": "floating-point samples are not scaled or clipped here; convert them to 8 bits "
         "yourself (e.g. save a uint8 .npy) and encode that",
    "CMYK": "open_image gives L, RGB or RGBA, and converting CMYK to RGB without the colour "
            "profiles gives wrong colours: read it with read_image (the command line does) "
            "and encode it with mode='CMYK', or convert to RGB with a colour-managed tool "
            "(e.g. PIL.ImageCms with the image's ICC profile) and encode that",
    # Pillow's own LAB -> RGB is not used: it is not exact (L=100, a=b=0 comes out as
    # (254, 255, 254), not white), and a colour conversion here must be correct.
    "LAB": "LAB is not converted here; convert to RGB with a colour-managed tool "
           "(e.g. PIL.ImageCms with a LAB profile) and encode that",
    "La": "premultiplied alpha is not supported; convert to L or LA first",
    "RGBa": "premultiplied alpha is not supported; convert to RGB or RGBA first",
}


def pixels_from_pillow(image: Any, name: str = "image", precision: int = 8) -> np.ndarray:
    """A Pillow image as a uint8 array the encoder takes, per the table in this module's
    docstring: L ``(H, W)``, RGB ``(H, W, 3)`` or RGBA ``(H, W, 4)``.

    Args:
        image: a ``PIL.Image.Image`` of any mode.
        name: what to call it in messages (the file's path).
        precision: with more than 8 bits (a lossless file), 16-bit grey samples (modes
            I;16...) are kept as they are, uint16 ``(H, W)``, not scaled.

    Warns:
        UserWarning: when the pixels were converted in a way that changes or drops values
            (one line per image, naming ``name`` and what was done).

    Raises:
        ValueError: a mode that is refused, naming it and what to do instead.
    """
    mode = image.mode
    if mode in ("L", "RGB", "RGBA"):
        return np.asarray(image)
    if mode in SIXTEEN_BIT_MODES and precision > 8:
        return np.asarray(image)
    if mode in SIXTEEN_BIT_MODES:
        warn_user(f"{name}: 16-bit samples (mode {mode}) scaled to 8 bits, "
                  "(v * 255 + 32767) // 65535; a lossless file keeps them (lossless=True, "
                  "precision=16; --lossless PSV --precision 16)")
        return scale_16_to_8(np.asarray(image))
    if mode == "P":
        # Transparency is kept as alpha so the array says the image had it; the encoder
        # then drops it, like any alpha.
        transparent = image.has_transparency_data
        target = "RGBA" if transparent else "RGB"
        dropped = "; the transparency is dropped (JPEG has none)" if transparent else ""
        warn_user(f"{name}: palette (mode P) converted to RGB{dropped}")
        return np.asarray(image.convert(target))
    if mode in CONVERTED_MODES:
        target, notice = CONVERTED_MODES[mode]
        if notice:
            warn_user(f"{name}: {notice}")
        return np.asarray(image.convert(target))
    reason = REFUSED_MODES.get(mode, "stripjpeg encodes 8-bit L, RGB or RGBA; convert to one of "
                                     "those first")
    raise ValueError(f"{name}: Pillow mode {mode!r} is not encoded: {reason}")


def _warn_if_pillow_truncated(image: Any, path: str) -> None:
    """Warn when Pillow decodes a file of 16-bit samples to an 8-bit mode (it keeps the high
    byte of each sample: 16-bit RGB and RGBA PNGs). Read from the decoder's raw mode, which
    Pillow only knows before the pixels are loaded."""
    if image.mode in SIXTEEN_BIT_MODES or not image.tile:
        return
    args = image.tile[0].args
    raw_mode = args if isinstance(args, str) else args[0] if args else ""
    # 16 bits per *sample* ("RGB;16B"), not 16 bits per pixel (BMP's 5-6-5 "BGR;16").
    if isinstance(raw_mode, str) and SIXTEEN_BIT_RAW_MODE.match(raw_mode):
        warn_user(f"{path}: 16-bit samples (raw mode {raw_mode}) reduced to 8 bits by Pillow, "
                  "which keeps the high byte (truncating, not rounding); a 12-bit or lossless "
                  "encode (--precision) keeps them")
