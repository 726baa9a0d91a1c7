"""The orchestrator: rows in, a baseline JPEG out, strip by strip.

It owns everything stateful, and reads in the order of the file it writes::

    headers      SOI, APP0, DQT, SOF0, DHT, [DRI], SOS         markers.write_headers
    strips       rows -> StripBuffer -> backend (in parallel) -> bytes, kept in order
                 with RST0..RST7 between restart intervals, or, with no restart markers,
                 the entropy state carried from strip to strip
    end          [final padded byte], EOI

``StripEncoder`` is that loop as a push interface (feed rows, get chunks back); ``Encoder``,
``iter_encode``, ``encode`` and ``save`` are the doors into it, so every entry point writes
the same bytes.
"""

from __future__ import annotations

import os
import sys
from collections.abc import Iterable, Iterator
from typing import IO, Any

import numpy as np

from . import backends, markers, scheduler
from .backends import Backend, EntropyState, final_byte
from .optimize import SpoolingEncoder, count_strip_task, count_strips
from .options import EncodeOptions, check_dimensions, check_mode, make_options
from .plan import Plan, make_plan
from .scheduler import OrderedScheduler, make_executor
from .sinks import open_sink
from .strips import (
    StripBuffer,
    image_mode,
    materialize,
    materialize_all,
    whole_image,
)


def encode_strips_task(backend: Backend, strips: list[Any], plan: Plan, transformed: bool) -> list[bytes]:
    """The work of a batch of independent strips, as a module-level function so process
    pools and Dask workers can unpickle it.

    Each strip is pixels (an ndarray, or a lazy dask strip computed here, on the worker), or
    with ``transformed`` the strip's quantized blocks. Returns each strip's bytes, in order.
    """
    if transformed:
        return [backend.entropy_encode(blocks, plan, EntropyState.start(plan), final=True)[0]
                for blocks in strips]
    return backend.encode_strips(materialize_all(strips), plan)


class StripEncoder:
    """Push rows in, take the JPEG out in ordered chunks. Not thread-safe; one per image.

    Args:
        width, height: image size in pixels, 1..65535.
        mode: "L", "RGB" or "RGBA" (alpha is dropped).
        options: validated encode options.
        copy_strips: copy whole strips before dispatching them to an asynchronous executor
            (True when the caller may reuse its row buffers after handing them over).
        plan: a plan to use instead of the one the options describe (e.g. with optimized
            Huffman tables from a first pass).

    Attributes:
        plan: the frozen plan of this image.
        backend: the engine chosen for it.
        bytes_out: bytes handed out so far.
        restart_offsets: byte offset, from the start of the file, of the first entropy-coded
            byte of each restart interval (just after its RSTn marker), in order.
    """

    def __init__(self, width: int, height: int, mode: str, options: EncodeOptions,
                 copy_strips: bool = True, plan: Plan | None = None) -> None:
        check_dimensions(width, height)
        self.channels = check_mode(mode)
        self.options = options
        self.plan = plan if plan is not None else make_plan(width, height, self.channels, options)
        self.backend = backends.get(options.backend)
        serial = self.plan.restart_interval == 0
        executor, parallelism, self._owns_executor = (
            (None, 1, False) if serial
            else make_executor(options.workers, options.executor, self.backend.threads_help,
                               self.plan.strip_count))
        self._executor = executor
        self._batch_size = scheduler.batch_size(self.plan, executor, parallelism,
                                                strips_stay_valid=not copy_strips)
        self._batch: list[Any] = []
        self._scheduler = OrderedScheduler(encode_strips_task, executor,
                                           scheduler.STRIPS_IN_FLIGHT_PER_WORKER * parallelism)
        self._copy_strips = copy_strips and self._scheduler.asynchronous
        self._buffer = StripBuffer(self.plan)
        self._state = EntropyState.start(self.plan)
        self._strips_out = 0
        self.bytes_out = 0
        self.restart_offsets: list[int] = []
        self.closed = False
        self._progress = _progress_bar(height) if options.progress else None

    # -- the file, in order ---------------------------------------------------------------

    def header(self) -> bytes:
        """Every marker segment before the entropy-coded data."""
        return self._out(markers.write_headers(self.plan, self.options))

    def check_rows(self, rows: Any) -> np.ndarray:
        """Check a piece of rows before it is fed, changing nothing; return it as
        ``(n, width, channels)``.

        Raises:
            TypeError: wrong dtype. ValueError: wrong shape, no rows, too many rows, or closed.
        """
        if self.closed:
            raise ValueError("the encoder is closed; no more rows can be written")
        return self._buffer.check(rows, self.channels)

    def feed(self, rows: Any) -> list[bytes]:
        """Accept rows ``(n, width[, channels])``; return the chunks now ready, in order.

        A piece that fails :meth:`check_rows` is refused and changes nothing; any other
        failure (a backend's, a worker's) aborts the encoder.
        """
        rows = self.check_rows(rows)
        chunks = []
        try:
            for strip in self._buffer.add(rows):
                chunks += self._dispatch(strip)
        except BaseException:
            self.abort()
            raise
        return chunks

    def feed_strip(self, strip: Any) -> list[bytes]:
        """Accept one whole strip (``plan.strip_height`` rows, fewer for the last), possibly
        lazy (a dask array slice, computed by whoever encodes it); return ready chunks.

        Whole-image sources use this to skip row buffering; rows and strips must not be mixed.
        """
        if self.closed:
            raise ValueError("the encoder is closed; no more rows can be written")
        rows = strip.shape[0]
        expected = min(self.plan.strip_height, self.plan.height - self._buffer.rows_received)
        if rows != expected:
            raise ValueError(f"a strip must have {expected} rows here, got {rows}")
        self._buffer.rows_received += rows
        try:
            return self._dispatch(strip)
        except BaseException:
            self.abort()
            raise

    @property
    def rows_received(self) -> int:
        """Pixel rows accepted so far."""
        return self._buffer.rows_received

    @property
    def executor(self) -> Any:
        """The executor strips run on (None: inline)."""
        return self._executor

    @property
    def parallelism(self) -> int:
        """Strips kept in flight at once (the scheduler's window)."""
        return self._scheduler.window

    def feed_blocks(self, blocks: list[np.ndarray], rows: int) -> list[bytes]:
        """Accept one strip already transformed (quantized blocks per component, as
        ``Backend.transform`` returns them) covering ``rows`` pixel rows; return ready chunks.

        The second pass of a two-pass encode uses this; rows and blocks must not be mixed.
        """
        if self.closed:
            raise ValueError("the encoder is closed; no more rows can be written")
        self._buffer.rows_received += rows
        if self.plan.restart_interval == 0:
            data, self._state = self.backend.entropy_encode(blocks, self.plan, self._state, final=False)
            return [self._strip_done(data)]
        return self._collect(self._scheduler.submit(self.backend, [blocks], self.plan, True))

    def replace_plan(self, plan: Plan) -> None:
        """Code with ``plan`` instead (same geometry, other tables); only before any output."""
        if self.bytes_out or self._strips_out:
            raise RuntimeError("the plan can only be replaced before encoding starts")
        self.plan = plan
        self._state = EntropyState.start(plan)

    def finish(self) -> list[bytes]:
        """Wait for the last strips and close the scan; return the remaining chunks + EOI.

        Raises:
            ValueError: fewer rows were fed than the image height.
        """
        self._buffer.check_finish(self.closed, self.abort)
        try:
            chunks = self._submit_batch() if self._batch else []
            chunks += self._collect(self._scheduler.drain())
            if self.plan.restart_interval == 0:
                chunks.append(self._out(final_byte(self._state)))
            chunks.append(self._out(markers.write_eoi()))
        finally:
            self._release()
        return chunks

    def abort(self) -> None:
        """Stop: drop strips in flight and release workers. Safe to call more than once."""
        if not self.closed:
            self._scheduler.cancel()
            self._release()

    # -- internals ----------------------------------------------------------------------------

    def _dispatch(self, strip: np.ndarray) -> list[bytes]:
        if self.plan.restart_interval == 0:
            # Serial mode: each strip continues the previous one's bit stream and predictors.
            data, self._state = self.backend.encode_strip_continued(materialize(strip), self.plan,
                                                                    self._state)
            return [self._strip_done(data)]
        if self._copy_strips and isinstance(strip, np.ndarray):
            strip = strip.copy()
        self._batch.append(strip)
        return self._submit_batch() if len(self._batch) == self._batch_size else []

    def _submit_batch(self) -> list[bytes]:
        batch, self._batch = self._batch, []
        return self._collect(self._scheduler.submit(self.backend, batch, self.plan, False))

    def _collect(self, results: list[list[bytes]]) -> list[bytes]:
        """Frame the strips of finished tasks, in order."""
        return [self._strip_done(data) for strips in results for data in strips]

    def _strip_done(self, data: bytes) -> bytes:
        """Frame one strip's bytes: an RSTn marker before every restart interval but the first."""
        index = self._strips_out
        self._strips_out += 1
        prefix = b""
        if self.plan.restart_interval and index > 0:
            prefix = markers.write_rst(index - 1)
        if self.plan.restart_interval:
            self.restart_offsets.append(self.bytes_out + len(prefix))
        if self._progress is not None:
            done_rows = min(self._strips_out * self.plan.strip_height, self.plan.height)
            self._progress.update(done_rows - self._progress.n)
        return self._out(prefix + data)

    def _out(self, chunk: bytes) -> bytes:
        self.bytes_out += len(chunk)
        return chunk

    def _release(self) -> None:
        self.closed = True
        if self._owns_executor and self._executor is not None:
            self._executor.shutdown(wait=True, cancel_futures=True)
        if self._progress is not None:
            self._progress.close()


def _progress_bar(total_rows: int) -> Any:
    try:
        from tqdm.auto import tqdm
    except ImportError:
        raise ValueError("progress=True needs the tqdm package: pip install tqdm") from None
    return tqdm(total=total_rows, unit="row", file=sys.stderr, desc="stripjpeg")


# --- Public entry points -------------------------------------------------------------------

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
        mode: "L", "RGB" or "RGBA" (alpha is dropped).
        **options: encode options (see :func:`encode`).

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
        **options: encode options (see :func:`encode`).

    Options are checked at once; the rows as they are consumed.

    The chunks come as they are ready: if ``strips`` (or the encode) fails part way, the
    exception reaches the caller unchanged, after the chunks already yielded (the headers,
    about 600 bytes, and the strips done so far; with ``optimize=True`` nothing comes
    before the end). Whoever writes them out holds the start of a JPEG then; for a file that
    is either complete or absent, use :func:`save` or :class:`Encoder` with a path.
    """
    core = stream_core(width, height, mode, make_options(**options))
    return _iter_chunks(core, strips)


def stream_core(width: int, height: int, mode: str, options: EncodeOptions,
                copy_strips: bool = True) -> StripEncoder | SpoolingEncoder:
    """The push core for rows that arrive once: a StripEncoder, or with ``optimize=True``
    one behind a SpoolingEncoder (first pass to a spool file, output at the end)."""
    core = StripEncoder(width, height, mode, options, copy_strips=copy_strips)
    return SpoolingEncoder(core) if options.optimize else core


def array_core(pixels: np.ndarray, options: EncodeOptions) -> StripEncoder:
    """The push core for a whole array, ``(H, W, C)``: with ``optimize=True`` the first
    pass counts symbols over the array itself, so nothing is spooled."""
    height, width, _ = pixels.shape
    # The whole array is the caller's until the encode returns: strips can be views.
    core = StripEncoder(width, height, image_mode(pixels), options, copy_strips=False)
    if options.optimize:
        try:
            strips = image_strips(pixels, core.plan.strip_height)
            counting = OrderedScheduler(count_strip_task, core.executor, core.parallelism)
            counts = count_strips(strips, core.plan, core.backend, counting)
            core.replace_plan(counts.optimized_plan(core.plan))
        except BaseException:
            core.abort()
            raise
    return core


def image_strips(pixels: Any, strip_height: int) -> Iterator[Any]:
    """A whole image's strips, top to bottom: views of an ndarray, or lazy dask slices."""
    return (pixels[start:start + strip_height] for start in range(0, pixels.shape[0], strip_height))


def image_chunks(pixels: np.ndarray, options: EncodeOptions) -> tuple[StripEncoder, Iterator[bytes]]:
    """The core for a whole image and the iterator of its output chunks.

    Whole strips go straight to the scheduler without row buffering: views of an array
    (never copied), or lazy slices of a dask array, computed where they are encoded (on
    the Dask workers when the executor is a Dask client's).
    """
    core = array_core(pixels, options)
    strips = image_strips(pixels, core.plan.strip_height)
    return core, _iter_chunks(core, strips, feed=core.feed_strip)


def _iter_chunks(core: StripEncoder | SpoolingEncoder, pieces: Iterable[Any],
                 feed: Any = None) -> Iterator[bytes]:
    feed = feed or core.feed
    try:
        header = core.header()
        if header:
            yield header
        for piece in pieces:
            yield from feed(piece)
        yield from core.finish()
    finally:
        core.abort()


def encode(pixels: Any, quality: int | None = None, subsampling: str = "4:4:4", *,
           backend: str | None = None, dct: str = "islow", restart_rows: int = 1,
           workers: int | None = None, executor: Any = None, progress: bool = False,
           qtables: Any = None, dpi: tuple[float, float] | None = None,
           icc_profile: bytes | None = None, exif: bytes | None = None,
           comment: bytes | str | None = None, optimize: bool = False,
           spool_dir: str | os.PathLike | None = None) -> bytes:
    """Encode a whole image to baseline JPEG bytes.

    Args:
        pixels: uint8 array, ``(H, W)`` grayscale, ``(H, W, 3)`` RGB or ``(H, W, 4)`` RGBA
            (alpha is dropped); any memory layout.
        quality: IJG quality 1..100; None means 100 (every quantization step 1), or with
            ``qtables``, those tables exactly as given.
        subsampling: "4:4:4" (default), "4:2:2" or "4:2:0".
        backend: engine name (see ``stripjpeg.backends.available()``); None picks the fastest.
        dct: "islow" (libjpeg's integer DCT: the same bytes as libjpeg-turbo) or "exact" (the
            float64 DCT-II of T.81 A.3.3, the same bytes on every backend).
        restart_rows: a restart marker after every this many MCU rows (default 1); 0 for none.
        workers: threads for independent strips; None = all cores (one for the numpy
            backend, which holds the GIL).
        executor: a ``concurrent.futures.Executor`` to run strips on instead.
        progress: show a progress bar on stderr.
        qtables: custom quantization tables as Pillow takes them: a list of 1 to 4 tables
            of 64 values in natural (row-major) order, or a dict {index: table}; table i
            serves component i (Y, Cb, Cr), the last table the components after it.
        dpi: ``(x, y)`` resolution in dots per inch for the JFIF header.
        icc_profile: ICC profile bytes (APP2 segments, split as needed).
        exif: EXIF bytes (one APP1 segment, at most 65533 bytes).
        comment: a comment (COM segment); str is encoded as UTF-8.
        optimize: optimal Huffman tables for this image (two passes), as libjpeg builds them.
            A whole array is read twice (a dask array computed twice), nothing spooled.
        spool_dir: where a one-pass stream (``Encoder``, ``iter_encode``, ``encode_async``)
            with ``optimize`` spools its blocks: 128 bytes per 8x8 block, 6 bytes per pixel at
            4:4:4, 4 at 4:2:2, 3 at 4:2:0, 2 gray; None = ``tempfile.gettempdir()`` (a tmpfs,
            as /tmp often is, is RAM). An existing writable directory; only checked here.

    Returns:
        The JPEG file as bytes: the same bytes Pillow writes with the same options
        (``restart_rows`` is Pillow's ``restart_marker_rows``) when ``dct="islow"``.
    """
    options = make_options(quality=quality, subsampling=subsampling, backend=backend, dct=dct,
                           restart_rows=restart_rows, workers=workers, executor=executor,
                           progress=progress, qtables=qtables, dpi=dpi, icc_profile=icc_profile,
                           exif=exif, comment=comment, optimize=optimize, spool_dir=spool_dir)
    _, chunks = image_chunks(whole_image(pixels), options)
    return b"".join(chunks)


def save(target: str | os.PathLike | IO[bytes], pixels: Any, **options: Any) -> list[int]:
    """Encode a whole image into a path (written atomically) or a binary file object.

    A path is checked first, before any pixel is read, and written through a temporary file
    that replaces it only on success: a failed encode (a full disk, an interrupt) leaves no
    file, and an existing file untouched; on Linux the temporary file has no name until the
    end, so a killed process leaves nothing either. A file object is written as data is ready
    and holds the start of the file if the encode fails.

    Args:
        target: a path or a binary file object.
        pixels: as for :func:`encode`; a read-only memmap is read strip by strip.
        **options: as for :func:`encode`.

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
        core, chunks = image_chunks(whole_image(pixels), options)
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
