"""The public entry points: ``encode``, ``save``, ``Encoder`` and ``iter_encode``.

Each is a door into the same orchestrator (:mod:`stripjpeg.encoder`): it checks the options
once (:func:`stripjpeg.options.make_options`), builds a core, and runs the file's spine
(:func:`stripjpeg.encoder.encode_chunks`) into bytes, a path (atomically) or a stream.
``encode_async`` is in :mod:`stripjpeg.aio`.

Two options need saying in every signature that takes them:

* ``quality=None`` means 100 (every quantization step 1), or with ``qtables``, 50: the
  tables exactly as given (IJG scaling at 50 leaves them unchanged).
* ``optimize=True`` on a one-pass stream (``Encoder``, ``iter_encode``, ``encode_async``)
  emits nothing until the last row: the Huffman tables come first in the file and depend on
  the whole image, so its quantized coefficients are spooled first (in memory up to
  ``spool_budget``, the rest in ``spool_dir``); a whole array (``encode``, ``save``) is read
  twice instead.
* ``progressive=True`` (or ``scans=``) emits nothing until the last row, whatever the source:
  every scan needs the whole image, so the quantized blocks always go through the spool, and
  the file is written scan by scan at the end (docs/progressive.md).
"""

from __future__ import annotations

import os
from collections.abc import Iterable, Iterator
from typing import IO, Any

from .encoder import encode_chunks, image_chunks, stream_core
from .options import DEFAULT_SPOOL_BUDGET, make_options
from .plan import Plan
from .sinks import open_sink
from .sources import sample_dtype, whole_image


class Encoder:
    """Encode an image row by row into a file or stream, in bounded memory.

    Example::

        with stripjpeg.Encoder("big.jpg", width, height, mode="RGB", quality=90) as enc:
            for rows in source:           # uint8 arrays (n, width, 3), any n >= 1
                enc.write(rows)

    A path is checked at once and written through a temporary file (unnamed on Linux, so a
    killed process leaves nothing) that replaces it only when the encode succeeded; on any
    error, or an exception in the ``with`` block, an existing file is left untouched. A file
    object is written as data is ready and left open: after a failure it holds the start of
    the file (the headers, about 600 bytes, and the strips done so far).

    It never ends quietly without its file. A rejected :meth:`write` (wrong dtype, shape,
    width, channels, too many rows) raises TypeError or ValueError and changes nothing.
    Any other failure (a backend's or worker's exception, a write error such as a full disk,
    rows missing at :meth:`close`) aborts the encoder; after that, or after :meth:`abort`,
    every :meth:`write` and :meth:`close` (also leaving the ``with`` block normally) raises
    RuntimeError, naming the cause and chained from it.

    Args:
        target: a path, or a binary file object with ``write()``.
        width, height: image size in pixels, 1..65535.
        mode: "L", "RGB", "RGBA" (alpha is dropped), "RGBX" (the padding dropped), "CMYK"
            or "YCbCr": rows of 1, 3 or 4 channels as :func:`encode`'s ``mode`` says.
        **options: encode options (see :func:`encode`). ``quality=None`` (the default)
            means 100 (every quantization step 1), or with ``qtables``, 50: the tables
            exactly as given. ``optimize=True`` emits nothing until the last row: nothing
            reaches ``target`` before :meth:`close`, since the Huffman tables come first in
            the file and depend on the whole image, so its quantized coefficients are
            spooled first (see ``spool_dir`` and :attr:`spool_bytes`).

    Raises:
        OSError: a path that cannot be written, with ``filename`` the path as given (see
            :func:`stripjpeg.sinks.check_destination`).
    """

    def __init__(self, target: str | os.PathLike | IO[bytes], width: int, height: int,
                 mode: str = "RGB", **options: Any) -> None:
        encode_options = make_options(**options)
        self._sink = open_sink(target)
        # None while open; then "closed" (the file is complete), "aborted" or "failed".
        self._outcome: str | None = None
        self._failure: BaseException | None = None
        try:
            self._core = stream_core(width, height, mode, encode_options)
        except BaseException:
            self._sink.discard()
            raise
        try:
            header = self._core.header()
            if header:
                self._sink.write(header)
        except BaseException:
            self.abort()
            raise

    @property
    def plan(self) -> Plan:
        """The frozen plan (geometry and tables) of this image."""
        return self._core.plan

    @property
    def restart_offsets(self) -> list[int]:
        """Byte offsets of each restart interval's entropy-coded data in the output."""
        return list(self._core.restart_offsets)

    @property
    def rows_written(self) -> int:
        """Rows accepted so far."""
        return self._core.rows_received

    @property
    def buffered_rows(self) -> int:
        """Rows accepted but not yet in a strip: the rows the encoder holds copies of, fewer
        than ``plan.strip_height``."""
        return self._core.buffered_rows

    @property
    def spool_bytes(self) -> int:
        """Bytes of quantized coefficients spooled so far (``optimize=True``: 128 per 8x8
        block; see ``spool_dir``); 0 without ``optimize``, which spools nothing."""
        return self._core.spool_bytes

    @property
    def spool_bytes_on_disk(self) -> int:
        """Of :attr:`spool_bytes`, those over ``spool_budget``, written to ``spool_dir``."""
        return getattr(self._core, "spool_bytes_on_disk", 0)

    def write(self, rows: Any) -> None:
        """Encode more rows: uint8 ``(n, width)`` for "L", ``(n, width, 3 or 4)`` otherwise.

        Raises:
            TypeError: wrong dtype. ValueError: wrong shape, too many rows (the piece is
                refused, nothing changes), or the encoder is closed.
            RuntimeError: the encoder failed earlier, or was aborted.
        """
        self._check_usable()
        rows = self._core.check_rows(rows)
        try:
            for chunk in self._core.feed(rows):
                self._sink.write(chunk)
        except BaseException as error:
            self._fail(error)
            raise

    def close(self) -> None:
        """Finish the image (all rows must have been written) and commit the output;
        again after that, nothing.

        Raises:
            ValueError: rows are missing (this aborts the encoder).
            RuntimeError: the encoder failed earlier, or was aborted.
        """
        if self._outcome == "closed":
            return
        self._check_usable()
        try:
            for chunk in self._core.finish():
                self._sink.write(chunk)
            self._sink.commit()
        except BaseException as error:
            self._fail(error)
            raise
        self._outcome = "closed"

    def abort(self) -> None:
        """Give up: stop the workers and remove the partial output (for a path). Later
        writes and :meth:`close` raise RuntimeError. Does nothing after a successful close."""
        if self._outcome is None:
            self._outcome = "aborted"
        self._release()

    def __enter__(self) -> Encoder:
        return self

    def __exit__(self, exc_type: Any, exc: Any, tb: Any) -> None:
        if exc_type is None:
            self.close()
        else:
            self.abort()

    def _check_usable(self) -> None:
        if self._outcome == "closed":
            raise ValueError("the encoder is closed; no more rows can be written")
        leaves = self._sink.failure_leaves
        if self._outcome == "failed":
            raise RuntimeError(f"the encoder failed earlier and {leaves}: {self._failure!r}") \
                from self._failure
        if self._outcome == "aborted":
            raise RuntimeError(f"the encoder was aborted and {leaves}")

    def _fail(self, error: BaseException) -> None:
        self._outcome, self._failure = "failed", error
        self._release()

    def _release(self) -> None:
        self._core.abort()
        self._sink.discard()


def iter_encode(strips: Iterable[Any], *, width: int, height: int, mode: str = "RGB",
                **options: Any) -> Iterator[bytes]:
    """Encode rows from an iterable, yielding the JPEG as chunks of bytes.

    Args:
        strips: iterable of uint8 arrays ``(n, width[, channels])``, any ``n >= 1``, top to
            bottom, ``height`` rows in all.
        width, height, mode: as for :class:`Encoder`.
        **options: encode options (see :func:`encode`). ``quality=None`` (the default)
            means 100 (every quantization step 1), or with ``qtables``, 50: the tables
            exactly as given. ``optimize=True`` emits nothing until the last row: no chunk
            comes before ``strips`` is exhausted, since the Huffman tables come first in
            the file and depend on the whole image, so its quantized coefficients are
            spooled first (see ``spool_dir``).

    Options are checked at once; the rows as they are consumed.

    The chunks come as they are ready: if ``strips`` (or the encode) fails part way, the
    exception reaches the caller unchanged, after the chunks already yielded (the headers,
    about 600 bytes, and the strips done so far; with ``optimize=True`` nothing comes
    before the end). Whoever writes them out holds the start of a JPEG then; for a file that
    is either complete or absent, use :func:`save` or :class:`Encoder` with a path.
    """
    core = stream_core(width, height, mode, make_options(**options))
    return encode_chunks(core, strips)


def encode(pixels: Any, quality: int | str | tuple[int, ...] | None = None,
           subsampling: str | int | None = None, *,
           backend: str | None = None, dct: str = "islow", restart_rows: int | None = None,
           restart_blocks: int | None = None,
           workers: int | None = None, executor: Any = None, progress: bool = False,
           qtables: Any = None, dpi: tuple[float, float] | None = None,
           icc_profile: bytes | None = None, exif: Any = None,
           comment: bytes | str | None = None, optimize: bool = False,
           spool_dir: str | os.PathLike | None = None,
           spool_budget: int = DEFAULT_SPOOL_BUDGET, progressive: bool = False,
           scans: Any = None, progression: bool | None = None,
           xmp: bytes | str | None = None, extra: bytes | None = None,
           restart_marker_rows: int | None = None, keep_rgb: bool | None = None,
           smooth: int | None = None, streamtype: int | None = None,
           restart_marker_blocks: int | None = None, grayscale: bool = False,
           baseline: bool = True, mode: str | None = None, ycck: bool = False,
           lossless: bool = False, predictor: int = 1, point_transform: int = 0,
           precision: int = 8, arithmetic: bool = False) -> bytes:
    """Encode a whole image to JPEG bytes: baseline, or progressive.

    Args:
        pixels: uint8 array, ``(H, W)`` grayscale, ``(H, W, 3)`` RGB or ``(H, W, 4)`` RGBA
            (alpha is dropped), or of another channel layout that ``mode`` names; any memory
            layout.
        quality: IJG quality 1..100; None means 100 (every quantization step 1), or with
            ``qtables``, 50: those tables exactly as given. Pillow's values mean what they
            mean in Pillow: 0 is 1 and over 100 is 100 (libjpeg clamps them), -1 is
            libjpeg's default (75; with ``qtables``, the tables as given), and a preset name
            of ``PIL.JpegPresets`` ("web_low" ... "maximum") sets the preset's subsampling
            and tables (a different ``subsampling`` or ``qtables`` with it is a ValueError).
            Or one quality per quantization table, cjpeg's ``-quality 90,70``: a tuple of 1
            to 4, table i scaled with the i-th, the last repeating (table 0 serves Y, table
            1 Cb and Cr).
        subsampling: "4:4:4" (the default, also for None), "4:2:2", "4:2:0" or "4:4:0";
            cjpeg's ``-sample`` factors "HxV" (luma; "4x1" is libjpeg's 4:1:1) or
            "HxV,HxV,HxV" (per component), factors 1..4; Pillow's 0, 1, 2, -1 (libjpeg's
            default, 4:2:0), "4:1:1" (Pillow's old name of 4:2:0) or a preset name.
        backend: engine name (see ``stripjpeg.backends.available()``); None picks the fastest.
        dct: "islow" (libjpeg's integer DCT: the same bytes as libjpeg-turbo), "ifast"
            (libjpeg's fast integer DCT: the same bytes as ``cjpeg -dct fast``), "float"
            (libjpeg's float DCT: the same bytes as ``cjpeg -dct float`` of libjpeg-turbo's
            x86-64 SIMD build) or "exact" (the float64 DCT-II of T.81 A.3.3, the same bytes
            on every backend).
        restart_rows: a restart marker after every this many MCU rows (None: the default,
            1); 0 for none.
        restart_blocks: a restart marker after every this many MCUs, 1..65535 (cjpeg's
            ``-restart NB``; None or 0: off), mid-row if need be; it replaces the default
            ``restart_rows``, and with another ``restart_rows`` is a ValueError. In a
            progressive file every scan has intervals of this many of its own MCUs.
        workers: threads for independent strips; None = all cores (one for the numpy
            backend, which holds the GIL).
        executor: a ``concurrent.futures.Executor`` to run strips on instead.
        progress: show a progress bar on stderr.
        qtables: custom quantization tables as Pillow takes them: a list of 1 to 4 tables
            of 64 values in natural (row-major) order, or a dict {index: table}; table i
            serves component i (Y, Cb, Cr), the last table the components after it. Also
            as Pillow's text (64 integers per table, whitespace between, '#' comments) or a
            preset name of ``PIL.JpegPresets``.
        dpi: ``(x, y)`` resolution in dots per inch for the JFIF header.
        icc_profile: ICC profile bytes (APP2 segments, split as needed).
        exif: EXIF bytes (one APP1 segment, at most 65533 bytes), or a ``PIL.Image.Exif``
            (its ``tobytes()``, as Pillow writes it).
        comment: a comment (COM segment); str is encoded as UTF-8.
        optimize: optimal Huffman tables for this image (two passes), as libjpeg builds them.
            A whole array is read twice (a dask array computed twice), nothing spooled.
        spool_dir: where a one-pass stream (``Encoder``, ``iter_encode``, ``encode_async``)
            with ``optimize`` spools its blocks: 128 bytes per 8x8 block, 6 bytes per pixel at
            4:4:4, 4 at 4:2:2, 3 at 4:2:0, 2 gray; None = ``tempfile.gettempdir()`` (a tmpfs,
            as /tmp often is, is RAM). An existing writable directory; only checked here.
        spool_budget: bytes of that spool kept in memory before the rest goes to
            ``spool_dir``; 0 = all on disk; default 32 MiB (``options.DEFAULT_SPOOL_BUDGET``).
            Only checked here.
        progressive: write a progressive JPEG with libjpeg's default scan script (Pillow's
            ``progressive=True``); ``progression`` is Pillow's other name for it. Its quantized
            blocks go through the spool (``spool_budget``, ``spool_dir``), and each scan's
            Huffman tables are optimized, as libjpeg always does for progressive files.
        scans: a custom scan script, which implies ``progressive``: cjpeg's ``-scans`` text,
            or a list of ``(component indices, Ss, Se, Ah, Al)`` tuples (:mod:`stripjpeg.scans`).
        xmp: an XMP packet (bytes, or str as UTF-8): one APP1 segment after the namespace URI
            ``http://ns.adobe.com/xap/1.0/``, at most 65504 bytes, as Pillow writes it.
        extra: Pillow's ``extra``: whole APPn or COM segments (``FF En``, a length, data)
            written as given, after the EXIF segment and before XMP and ICC.
        restart_marker_rows: Pillow's name for ``restart_rows`` (Pillow's default is 0 there,
            ours 1): given alone it sets ``restart_rows``; both, disagreeing, is a ValueError.
        keep_rgb: Pillow's ``keep_rgb`` (cjpeg's ``-rgb``): RGB input stored as R, G, B
            components, no YCbCr conversion, with an Adobe APP14 marker (and no JFIF APP0
            unless ``dpi`` is given), all components on tables 0; only without subsampling
            (4:4:4). A ValueError for grey input.
        grayscale: cjpeg's ``-grayscale``: colour input coded as one Y component (YCbCr's
            Y, libjpeg's rgb_gray_convert; YCbCr input keeps its Y).
        mode: the pixels' mode, as Pillow names it (``Image.fromarray(pixels, mode)``); None
            takes it from the shape: "L", "RGB", or "RGBA" for 4 channels. "RGBX" (the
            fourth byte padding, dropped), "CMYK" (stored as Pillow stores it: inverted, in
            four components 'C', 'M', 'Y', 'K' on tables 0, an Adobe marker and no JFIF; a
            named ``subsampling`` subsamples M, Y and K, as Pillow does) or "YCbCr" (the
            samples are Y, Cb, Cr, coded as they are: a JFIF file). A mode that does not fit
            the array (its channel count, or a dtype other than uint8) is a ValueError.
        ycck: with ``mode="CMYK"``, store the image as YCCK (libjpeg's JCS_YCCK, Adobe
            transform 2): C, M, Y converted to YCbCr as if R, G, B, and K kept; Y and K on
            tables 0, Cb and Cr on tables 1; a named subsampling applies to Y and K.
        streamtype: Pillow's ``streamtype``: 0 (or None) a normal file; 1 the tables only
            (SOI, DQT, DHT, EOI: libjpeg's jpeg_write_tables; no pixel is encoded, but the
            image is checked as for any encode); 2 the image only (no DQT, DHT only for
            optimized or progressive tables; Pillow then drops ICC, XMP and ``extra``), as
            TIFF and DICOM store JPEG. Pillow's bytes for each.
        baseline: cjpeg's ``-baseline`` (True, the default, as Pillow always sets it):
            quantization steps clamped to 1..255. False is cjpeg without ``-baseline``:
            qualities under 24 keep steps over 255, written as 16-bit tables in an extended
            sequential (SOF1) frame (progressive stays SOF2).
        lossless, predictor, point_transform, precision: a lossless JPEG (T.81 Annex H,
            SOF3), the bytes of libjpeg-turbo 3's ``jpeg_enable_lossless(predictor,
            point_transform)``; ``precision`` 2..16 bits (uint8 input up to 8, uint16 above).
            Lossy options are refused with it (docs/lossless.md). Without ``lossless``,
            ``precision=12`` codes 12-bit samples (uint16, 0..4095) as libjpeg-turbo 3 does:
            SOF1 (or SOF2, SOF9, SOF10), Huffman tables always optimized (docs/options.md).
        arithmetic: cjpeg's ``-arithmetic``: arithmetic coding (SOF9, SOF10 when progressive)
            instead of Huffman coding, the bytes of ``cjpeg -arithmetic``; not with
            ``optimize`` (docs/arithmetic.md).
        smooth: libjpeg's input smoothing, Pillow's ``smooth`` and cjpeg's ``-smooth N``: 0
            (or None) off, 1..100 the smoothing factor (each neighbour weighs N/1024). libjpeg
            smooths full-size and 2x2-downsampled components only; others (4:2:2's chroma,
            any other ratio) are downsampled without it, and a UserWarning says so.
        restart_marker_blocks: Pillow's name for ``restart_blocks`` (with Pillow's bytes);
            both, disagreeing, is a ValueError, and so is a non-zero ``restart_marker_rows``
            with it (Pillow would silently ignore the blocks).

    Returns:
        The JPEG file as bytes: the same bytes Pillow writes with the same options
        (``restart_rows`` is Pillow's ``restart_marker_rows``) when ``dct="islow"``; with
        ``dct="ifast"`` or ``"float"``, those of ``cjpeg -dct fast`` or ``-dct float``
        (Pillow has neither option).
    """
    options = make_options(quality=quality, subsampling=subsampling, backend=backend, dct=dct,
                           restart_rows=restart_rows, restart_blocks=restart_blocks,
                           workers=workers, executor=executor,
                           progress=progress, qtables=qtables, dpi=dpi, icc_profile=icc_profile,
                           exif=exif, comment=comment, optimize=optimize, spool_dir=spool_dir,
                           spool_budget=spool_budget, scans=scans, xmp=xmp, extra=extra,
                           restart_marker_rows=restart_marker_rows, keep_rgb=keep_rgb,
                           grayscale=grayscale, smooth=smooth, streamtype=streamtype,
                           restart_marker_blocks=restart_marker_blocks, baseline=baseline, ycck=ycck,
                           lossless=lossless, predictor=predictor, point_transform=point_transform,
                           precision=precision, arithmetic=arithmetic,
                           **_progressive_option(progressive, progression))
    _, chunks = image_chunks(whole_image(pixels, mode, sample_dtype(options.precision)), options, mode)
    return b"".join(chunks)


def save(target: str | os.PathLike | IO[bytes], pixels: Any, mode: str | None = None,
         **options: Any) -> list[int]:
    """Encode a whole image into a path (written atomically) or a binary file object.

    A path is checked first, before any pixel is read, and written through a temporary file
    that replaces it only on success: a failed encode (a full disk, an interrupt) leaves no
    file, and an existing file untouched; on Linux the temporary file has no name until the
    end, so a killed process leaves nothing either. A file object is written as data is ready
    and holds the start of the file if the encode fails.

    Args:
        target: a path or a binary file object.
        pixels: as for :func:`encode`; a read-only memmap is read strip by strip.
        mode: as for :func:`encode`: None takes it from the shape.
        **options: as for :func:`encode`. ``quality=None`` (the default) means 100 (every
            quantization step 1), or with ``qtables``, 50: the tables exactly as given.

    Returns:
        The restart index: the byte offset of each restart interval's entropy-coded data
        in the output (see :attr:`Encoder.restart_offsets`); empty with ``restart_rows=0``.

    Raises:
        OSError: a path that cannot be written (as for :class:`Encoder`), or a write error
            (errno ENOSPC for a full disk).
    """
    options = make_options(**options)
    sink = open_sink(target)  # a path is checked here, before any pixel is read
    try:
        core, chunks = image_chunks(whole_image(pixels, mode, sample_dtype(options.precision)), options, mode)
        try:
            for chunk in chunks:
                sink.write(chunk)
        finally:
            chunks.close()  # stops the workers at once if a write failed
        sink.commit()
    except BaseException:
        sink.discard()
        raise
    return list(core.restart_offsets)


def _progressive_option(progressive: bool, progression: bool | None) -> dict[str, Any]:
    """``progressive``, or Pillow's name for it if that was given (both: a TypeError, from
    :func:`stripjpeg.options.make_options`); ``progressive=False`` is the default, not a choice."""
    if progression is None:
        return {"progressive": progressive}
    return {"progression": progression, **({"progressive": progressive} if progressive else {})}
