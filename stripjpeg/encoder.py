"""The orchestrator: rows in, a baseline JPEG out, strip by strip.

It owns everything stateful, and reads in the order of the file it writes, as
:func:`encode_chunks` spells out (like Go's ``image/jpeg`` ``Encode``)::

    write_headers   SOI, APP0, DQT, SOF0, DHT, [DRI], SOS          markers.write_headers
    write_strips    rows -> StripBuffer -> backend (in parallel) -> bytes, kept in order
                    with RST0..RST7 between restart intervals, or, with no restart markers
                    (or intervals of restart_blocks MCUs that cross strips), the entropy
                    state carried from strip to strip
    write_end       the strips still in flight, [final padded byte], EOI

``StripEncoder`` is that loop as a push interface (feed rows, get chunks back). The doors
into it (``encode``, ``save``, ``Encoder``, ``iter_encode`` in :mod:`stripjpeg.api`,
``encode_async`` in :mod:`stripjpeg.aio`) build their core here with :func:`stream_core` or
:func:`array_core`, so every entry point writes the same bytes.
"""

from __future__ import annotations

import dataclasses
from collections.abc import Callable, Iterable, Iterator, Sequence
from typing import Any, Union

import numpy as np

from . import backends, cluster, markers, scheduler
from .backends import final_byte, start_state
from .lossless import LosslessEncoder, lossless_array_core
from .notices import progress_bar
from .optimize import SpoolingEncoder, SymbolCounts, count_strip_task, count_strips
from .options import EncodeOptions, check_array_mode, check_dimensions, check_mode
from .plan import Plan, make_plan
from .progressive_encoder import ProgressiveEncoder
from .scheduler import OrderedScheduler, make_executor
from .sources import image_strips, materialize, sample_dtype
from .strips import StripBuffer
from .tables_only import TablesOnlyEncoder
from .tasks import encode_interval_strips_task, encode_strips_task

#: Any push core: what the doors build and the spine runs.
Core = Union["StripEncoder", SpoolingEncoder, ProgressiveEncoder, LosslessEncoder, TablesOnlyEncoder]

#: What a StripEncoder can be fed, by the method that takes it.
INPUT_KINDS = {"feed": "rows", "feed_strip": "whole strips", "feed_blocks": "transformed strips",
               "feed_encoded": "encoded strips"}


class StripEncoder:
    """Push rows in, take the JPEG out in ordered chunks. Not thread-safe; one per image.

    The file in order: :meth:`header`; then the image through exactly one of :meth:`feed`
    (rows), :meth:`feed_strip` (whole strips) or :meth:`feed_blocks` (transformed strips),
    since each keeps its own count of the rows (mixing them raises ValueError); then
    :meth:`finish`.

    Args:
        width, height: image size in pixels, 1..65535.
        mode: a key of :data:`~.options.MODES`: "L", "RGB", "RGBA" (alpha is dropped),
            "RGBX" (padding dropped), "CMYK" or "YCbCr".
        options: validated encode options.
        copy_strips: copy whole strips before dispatching them to an asynchronous executor
            (True when the caller may reuse its row buffers after handing them over).
        plan: a plan to use instead of the one the options describe (e.g. with optimized
            Huffman tables from a first pass).

    Attributes:
        plan: the frozen plan of this image.
        backend: the engine chosen for it: its stage table for this plan.
        bytes_out: bytes handed out so far.
        restart_offsets: byte offset, from the start of the file, of the first entropy-coded
            byte of each restart interval (just after its RSTn marker), in order.

    With ``restart_blocks`` (intervals of MCUs, :attr:`Plan.restart_blocks`), a strip holds
    whole intervals when the plan could make it (:attr:`Plan.independent_strips`: strips still
    coded in parallel), else each strip continues the previous one's interval, in order.
    """

    def __init__(self, width: int, height: int, mode: str, options: EncodeOptions,
                 copy_strips: bool = True, plan: Plan | None = None) -> None:
        check_dimensions(width, height)
        self.channels = check_mode(mode)
        self.options = options
        self.plan = plan if plan is not None else \
            make_plan(width, height, self.channels, options, mode=mode)
        self.backend = backends.get(options.backend).stage_table(self.plan)
        serial = not self.plan.independent_strips
        executor, parallelism, self._owns_executor = (
            (None, 1, False) if serial
            else make_executor(options.workers, options.executor, self.backend.threads_help,
                               self.plan.strip_count))
        self._executor = executor
        self._batch_size = scheduler.batch_size(self.plan, executor, parallelism,
                                                strips_stay_valid=not copy_strips)
        self._batch: list[Any] = []
        task = encode_interval_strips_task if self.plan.restart_blocks else encode_strips_task
        self._scheduler = OrderedScheduler(task, executor,
                                           scheduler.STRIPS_IN_FLIGHT_PER_WORKER * parallelism)
        self._copy_strips = copy_strips and self._scheduler.asynchronous
        self._buffer = StripBuffer(self.plan, sample_dtype(self.plan.precision))
        self._state = start_state(self.plan)
        self._input: str | None = None  # the feed method used first
        self._strips_in = 0  # strips dispatched (restart_blocks: where each one's MCUs begin)
        self._strips_out = 0
        self._intervals_out = 0  # restart_blocks: intervals begun in the output
        self.bytes_out = 0
        self.restart_offsets: list[int] = []
        self.closed = False
        self._progress = progress_bar(height) if options.progress else None

    # -- the file, in order ---------------------------------------------------------------

    def header(self) -> bytes:
        """header returns every marker segment before the entropy-coded data.

        Precondition: nothing has been output (the plan is final: :meth:`replace_plan` is
        refused from here on).
        """
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
        """feed accepts rows ``(n, width[, channels])`` and returns the chunks now ready,
        in order.

        Precondition: the header is out; the image comes by rows only. A piece that fails
        :meth:`check_rows`, or follows another kind of input, is refused and changes
        nothing; any other failure (a backend's, a worker's) aborts the encoder.
        """
        rows = self.check_rows(rows)
        self._take_input("feed")
        chunks = []
        try:
            for strip in self._buffer.add(rows):
                chunks += self._dispatch(strip, owned=self._buffer.strips_are_copies)
        except BaseException:
            self.abort()
            raise
        return chunks

    def feed_strip(self, strip: Any) -> list[bytes]:
        """feed_strip accepts one whole strip (``plan.strip_height`` rows, fewer for the
        last; with smoothing, ``plan.context_rows`` more above and below, as
        :func:`~stripjpeg.sources.image_strips` cuts them), possibly lazy (a dask array slice,
        computed by whoever encodes it), and returns the chunks now ready.

        Precondition: the header is out; the image comes by whole strips only (whole-image
        sources use this to skip row buffering).
        """
        self._check_input("feed_strip")
        rows = self.plan.strip_rows(strip)
        expected = min(self.plan.strip_height, self.plan.height - self._buffer.rows_received)
        if rows != expected:
            raise ValueError(f"a strip must have {expected} rows here, got {rows}")
        self._take_input("feed_strip")
        self._buffer.rows_received += rows
        try:
            return self._dispatch(strip)
        except BaseException:
            self.abort()
            raise

    def feed_blocks(self, blocks: list[np.ndarray], rows: int) -> list[bytes]:
        """feed_blocks accepts one strip already transformed (quantized blocks per
        component, as ``StageTable.transform`` returns them) covering ``rows`` pixel rows, and
        returns the chunks now ready.

        Precondition: the header is out; the image comes by transformed strips only (the
        second pass of a two-pass encode, and :func:`stripjpeg.encode_coefficients`).
        """
        self._take_input("feed_blocks")
        self._buffer.rows_received += rows
        if self.plan.restart_blocks:
            return self._dispatch_intervals(blocks, transformed=True)
        if self.plan.restart_interval == 0:
            data, self._state = self.backend.entropy_code(blocks, self.plan, self._state, final=False)
            return [self._strip_done(data)]
        return self._collect(self._scheduler.submit(self.backend, [blocks], self.plan, True))

    def feed_encoded(self, data: bytes, lengths: Sequence[int], rows: int) -> list[bytes]:
        """feed_encoded accepts strips already encoded elsewhere, end to end in ``data``
        (each a complete restart interval, as ``StageTable.encode_strips`` returns them;
        ``lengths`` gives each one's size) covering ``rows`` pixel rows, and returns them
        framed as one chunk (RSTn before each but the first strip of the image).

        Precondition: the header is out; the image comes by encoded strips only (the bands
        of :mod:`stripjpeg.cluster`), and its plan has restart markers.
        """
        self._take_input("feed_encoded")
        self._buffer.rows_received += rows
        view, pieces, start = memoryview(data), [], 0
        for length in lengths:
            pieces += [self._frame(length), view[start:start + length]]  # views: one copy, the join
            start += length
        return [b"".join(pieces)]

    def count_written(self, lengths: Sequence[int], rows: int) -> None:
        """count_written accounts for strips that others wrote to the output (each framed as
        :meth:`feed_encoded` would: ``lengths`` are their sizes without RSTn), covering
        ``rows`` pixel rows, for the restart index and the byte count
        (:func:`stripjpeg.stitch.save_stitched`).

        Precondition: as for :meth:`feed_encoded`, whose kind of input this is.
        """
        self._take_input("feed_encoded")
        self._buffer.rows_received += rows
        for length in lengths:
            self._frame(length)

    def finish(self) -> list[bytes]:
        """finish returns the last chunks: the strips still in flight, the end of the scan
        and EOI; it releases the workers however it ends.

        Precondition: every row has been fed.

        Raises:
            ValueError: fewer rows were fed than the image height (the encoder is aborted).
        """
        self._buffer.check_finish(self.closed, self.abort)
        try:
            return self._strips_in_flight() + self._end_of_scan() + [self._out(markers.write_eoi())]
        finally:
            self._release()

    def abort(self) -> None:
        """Stop: drop strips in flight and release workers. Safe to call more than once."""
        if not self.closed:
            self._scheduler.cancel()
            self._release()

    # -- what a caller may look at ------------------------------------------------------------

    @property
    def rows_received(self) -> int:
        """Pixel rows accepted so far."""
        return self._buffer.rows_received

    @property
    def buffered_rows(self) -> int:
        """Rows accepted by :meth:`feed` but not yet part of a strip: the rows the encoder
        holds copies of (fewer than ``plan.strip_height``)."""
        return self._buffer.buffered_rows

    @property
    def spool_bytes(self) -> int:
        """0: a StripEncoder spools nothing (``SpoolingEncoder`` does, for optimize)."""
        return 0

    @property
    def executor(self) -> Any:
        """The executor strips run on (None: inline)."""
        return self._executor

    @property
    def parallelism(self) -> int:
        """Strips kept in flight at once (the scheduler's window)."""
        return self._scheduler.window

    def replace_plan(self, plan: Plan) -> None:
        """Code with ``plan`` instead (same geometry, other tables); only before any output."""
        if self.bytes_out or self._strips_out:
            raise RuntimeError("the plan can only be replaced before encoding starts")
        self.plan = plan
        # The stage table is chosen for a plan (a backend may decline a stage for some plans).
        self.backend = backends.get(self.options.backend).stage_table(plan)
        self._state = start_state(plan)

    # -- internals ----------------------------------------------------------------------------

    def _check_input(self, method: str) -> None:
        """Refuse input after the encoder closed, or of another kind than the first input."""
        if self.closed:
            raise ValueError("the encoder is closed; no more rows can be written")
        if self._input not in (None, method):
            raise ValueError(f"{method}() was called after {self._input}(): an image is fed "
                             f"either as {INPUT_KINDS['feed']} (feed), {INPUT_KINDS['feed_strip']} "
                             f"(feed_strip) or {INPUT_KINDS['feed_blocks']} (feed_blocks), never "
                             f"a mix, since each keeps its own count of the rows")

    def _take_input(self, method: str) -> None:
        self._check_input(method)
        self._input = method

    def _dispatch(self, strip: np.ndarray, owned: bool = False) -> list[bytes]:
        """Encode ``strip`` now (serial mode) or batch it; ``owned``: it is the encoder's own
        array (not a view of the caller's rows), kept without copying."""
        if self.plan.restart_blocks:
            return self._dispatch_intervals(strip, transformed=False, owned=owned)
        if self.plan.restart_interval == 0:
            # Serial mode: each strip continues the previous one's bit stream and predictors.
            data, self._state = self.backend.encode_strip_continued(materialize(strip), self.plan,
                                                                    self._state)
            return [self._strip_done(data)]
        if self._copy_strips and not owned and isinstance(strip, np.ndarray):
            strip = strip.copy()
        self._batch.append(strip)
        return self._submit_batch() if len(self._batch) == self._batch_size else []

    def _dispatch_intervals(self, strip: Any, transformed: bool, owned: bool = False) -> list[bytes]:
        """A strip of a plan with ``restart_blocks``: coded at once, continuing the state,
        when intervals cross strips; else batched for the workers as any independent strip
        (``owned``: as for :meth:`_dispatch`)."""
        first_mcu = self._strips_in * self.plan.strip_mcu_rows * self.plan.mcus_per_row
        self._strips_in += 1
        if not self.plan.independent_strips:
            blocks = strip if transformed else self.backend.transform(materialize(strip), self.plan)
            pieces, self._state = self.backend.interval_encode(blocks, self.plan, self._state,
                                                               first_mcu)
            return [self._pieces_done(pieces)]
        if self._copy_strips and not owned and isinstance(strip, np.ndarray):
            strip = strip.copy()
        self._batch.append((strip, first_mcu))
        return self._submit_batch() if len(self._batch) == self._batch_size or transformed else []

    def _submit_batch(self) -> list[bytes]:
        batch, self._batch = self._batch, []
        if self.plan.restart_blocks:
            strips, first_mcus = [s for s, _ in batch], [m for _, m in batch]
            results = self._scheduler.submit(self.backend, strips, self.plan,
                                             self._input == "feed_blocks", first_mcus)
            return [self._pieces_done(pieces) for done in results for pieces in done]
        return self._collect(self._scheduler.submit(self.backend, batch, self.plan, False))

    def _strips_in_flight(self) -> list[bytes]:
        """The strips of the last, partial batch and every task still running, in order."""
        chunks = self._submit_batch() if self._batch else []
        if self.plan.restart_blocks:
            return chunks + [self._pieces_done(pieces) for done in self._scheduler.drain()
                             for pieces in done]
        return chunks + self._collect(self._scheduler.drain())

    def _end_of_scan(self) -> list[bytes]:
        """Without restart markers, the final byte of the scan, padded with 1-bits (T.81
        F.1.2.3), or the arithmetic coder's flush (D.1.8); with them, every interval was
        closed by its own strip."""
        if self.plan.restart_interval and not self.plan.restart_blocks:
            return []
        # (With restart_blocks, empty: the strip that ended the scan padded its last interval.)
        return [self._out(final_byte(self._state))]

    def _collect(self, results: list[list[bytes]]) -> list[bytes]:
        """Frame the strips of finished tasks, in order."""
        return [self._strip_done(data) for strips in results for data in strips]

    def _strip_done(self, data: bytes) -> bytes:
        """Frame one strip's bytes: an RSTn marker before every restart interval but the first."""
        prefix = self._frame(len(data))
        return prefix + data

    def _frame(self, length: int) -> bytes:
        """Count one strip of ``length`` bytes as output; return what precedes it: an RSTn
        marker before every restart interval but the first, else nothing."""
        index = self._strips_out
        self._strips_out += 1
        prefix = b""
        if self.plan.restart_interval and index > 0:
            prefix = markers.write_rst(index - 1)
        if self.plan.restart_interval:
            self.restart_offsets.append(self.bytes_out + len(prefix))
        self._update_progress()
        self.bytes_out += len(prefix) + length
        return prefix

    def _pieces_done(self, pieces: list[bytes]) -> bytes:
        """Frame one strip of ``restart_blocks`` intervals (as
        :func:`~stripjpeg.stages.huffman.interval_encode` cuts it): an RSTn before each piece
        that begins an interval (n counts the scan's intervals modulo 8, T.81 B.2.1), but the
        scan's first."""
        self._strips_out += 1
        data, self._intervals_out, starts = markers.frame_intervals(
            pieces, self._intervals_out, self.bytes_out, first_continues=True)
        self.restart_offsets += starts
        self._update_progress()
        return self._out(data)

    def _update_progress(self) -> None:
        if self._progress is not None:
            done_rows = min(self._strips_out * self.plan.strip_height, self.plan.height)
            self._progress.update(done_rows - self._progress.n)

    def _out(self, chunk: bytes) -> bytes:
        self.bytes_out += len(chunk)
        return chunk

    def _release(self) -> None:
        self.closed = True
        if self._owns_executor and self._executor is not None:
            self._executor.shutdown(wait=True, cancel_futures=True)
        if self._progress is not None:
            self._progress.close()



def stream_core(width: int, height: int, mode: str, options: EncodeOptions,
                copy_strips: bool = True) -> Core:
    """The push core for rows that arrive once: a StripEncoder, or with ``optimize=True``
    one behind a SpoolingEncoder (first pass to a spool file, output at the end), or for a
    progressive file a ProgressiveEncoder (blocks to the spool, every scan at the end); for
    a tables-only stream (``streamtype=1``) a TablesOnlyEncoder;
    a lossless file a LosslessEncoder (samples to the spool, the file at the end)."""
    if options.streamtype == markers.TABLES_ONLY:
        return TablesOnlyEncoder(width, height, mode, options)
    if options.lossless:
        return LosslessEncoder(width, height, mode, options, copy_strips=copy_strips)
    if options.progressive:
        return ProgressiveEncoder(width, height, mode, options, copy_strips=copy_strips)
    core = StripEncoder(width, height, mode, options, copy_strips=copy_strips)
    return SpoolingEncoder(core) if options.optimize else core


def array_core(pixels: np.ndarray, options: EncodeOptions,
               mode: str | None = None) -> Core:
    """The push core for a whole array, ``(H, W, C)``, of ``mode`` (None: the default mode
    of ``C`` channels): with ``optimize=True`` the first pass counts symbols over the array
    itself, so nothing is spooled; a progressive file spools its blocks (transforming the
    array once, not once per scan)."""
    height, width, channels = pixels.shape
    mode = check_array_mode(mode, channels)
    if options.streamtype == markers.TABLES_ONLY:
        return TablesOnlyEncoder(width, height, mode, options)
    if options.lossless:
        return lossless_array_core(pixels, mode, options)
    if options.progressive:
        return ProgressiveEncoder(width, height, mode, options, copy_strips=False)
    # The whole array is the caller's until the encode returns: strips can be views.
    core = StripEncoder(width, height, mode, options, copy_strips=False)
    if options.optimize:
        try:
            strips = image_strips(pixels, core.plan.strip_height, core.plan.context_rows)
            counting = OrderedScheduler(count_strip_task, core.executor, core.parallelism)
            counts = count_strips(strips, core.plan, core.backend, counting)
            core.replace_plan(counts.optimized_plan(core.plan))
        except BaseException:
            core.abort()
            raise
    return core


def image_chunks(pixels: np.ndarray, options: EncodeOptions,
                 mode: str | None = None) -> tuple[Core, Iterator[bytes]]:
    """The core for a whole image ``(H, W, C)`` of ``mode`` (see :func:`array_core`) and the
    iterator of its output chunks.

    Whole strips go straight to the scheduler without row buffering: views of an array
    (never copied), or lazy slices of a dask array, computed where they are encoded. A dask
    array with a Dask client (the executor's, or the active one: :func:`cluster.client_for`)
    is encoded in bands where its chunks live (:func:`band_core`); where bands cannot be
    coded apart (progressive, no restart markers), its strips run on the client's executor.
    """
    client = cluster.client_for(pixels, options.executor, options.workers)
    if client is not None:
        if hasattr(pixels, "as_dask"):
            pixels = pixels.as_dask()  # a zarr array: the workers read its chunks
        banded = band_core(pixels, options, client, mode)
        if banded is not None:
            return banded
        if options.executor is None:
            options = dataclasses.replace(options, executor=client.get_executor())
    core = array_core(pixels, options, mode)
    strips = image_strips(pixels, core.plan.strip_height, core.plan.context_rows)
    return core, encode_chunks(core, strips, feed=core.feed_strip)


def band_core(pixels: Any, options: EncodeOptions, client: Any, mode: str | None = None,
              window: int | None = None) -> tuple[StripEncoder, Iterator[bytes]] | None:
    """The core for a dask array ``(H, W, C)`` encoded on ``client``'s workers, band by band
    (:mod:`stripjpeg.cluster`), and the iterator of its output chunks; None when the plan's
    strips are not independent restart intervals (then the strip path is used).

    The core here only writes the headers and frames the bands' strips; with
    ``optimize=True`` a first pass over the bands returns their symbol counts. ``window``:
    bands in flight (None: :func:`cluster.default_window`); ``mode``: as for :func:`array_core`.
    Not for a lossless file or a tables-only stream (their own cores; None).
    """
    if options.lossless or options.streamtype == markers.TABLES_ONLY:
        return None
    height, width, channels = pixels.shape
    here = dataclasses.replace(options, executor=None, workers=1)  # nothing runs in this process
    core = StripEncoder(width, height, check_array_mode(mode, channels), here, copy_strips=False)
    if not cluster.bandable(core.plan):
        core.abort()
        return None
    try:
        band_list = cluster.bands(pixels, core.plan)
        held = cluster.holders(client, pixels, band_list)
        window = window or cluster.default_window(client)
        if options.optimize:
            totals = SymbolCounts.zeros(core.plan)
            for counts, _ in cluster.ordered_results(client, cluster.count_band_task, band_list,
                                                     core.backend, core.plan, window, held=held):
                totals.add(counts)
            core.replace_plan(totals.optimized_plan(core.plan))
    except BaseException:
        core.abort()
        raise
    return core, band_chunks(core, client, band_list, window, held)


def band_chunks(core: StripEncoder, client: Any, band_list: list[tuple[Any, int]],
                window: int, held: list[Any] | None = None) -> Iterator[bytes]:
    """The file of :func:`band_core`: headers, each band's strips framed in order, the end
    (``held``: each band's worker and chunk, :func:`cluster.holders`). Whatever ends it, the
    bands in flight are cancelled and ``core`` aborted."""
    try:
        yield from write_headers(core)
        for (data, lengths), rows in cluster.ordered_results(client, cluster.encode_band_task, band_list,
                                                             core.backend, core.plan, window,
                                                             held=held):
            yield from core.feed_encoded(data, lengths, rows)
        yield from write_end(core)
    finally:
        core.abort()


# --- The spine: one image, in the file's order ---------------------------------------------

Feed = Callable[[Any], list[bytes]]


def encode_chunks(core: Core, pieces: Iterable[Any], feed: Feed | None = None) -> Iterator[bytes]:
    """encode_chunks yields one image's JPEG in the file's order: the headers, the strips,
    the end. Whatever ends it (an exception, a closed generator), it aborts ``core``, so no
    worker outlives it.

    Precondition: ``core`` is new (nothing output); ``pieces`` hold the image top to bottom,
    as ``feed`` takes them (``core.feed``, row pieces, unless given).
    """
    try:
        yield from write_headers(core)
        yield from write_strips(core, pieces, feed or core.feed)
        yield from write_end(core)
    finally:
        core.abort()


def write_headers(core: Core) -> Iterator[bytes]:
    """write_headers yields every marker segment before the entropy-coded data: SOI, APPn,
    COM, DQT, SOF0, DHT, DRI, SOS; with ``optimize=True`` nothing yet (the Huffman tables
    are known only after the first pass, so :func:`write_end` writes the headers then).

    Precondition: nothing of the image has been output.
    """
    header = core.header()
    if header:
        yield header


def write_strips(core: Core, pieces: Iterable[Any], feed: Feed) -> Iterator[bytes]:
    """write_strips yields the entropy-coded data as strips finish, in order, with RSTn
    between restart intervals; with ``optimize=True`` nothing (it spools).

    Precondition: the headers are out; ``pieces`` come top to bottom and hold at most the
    image's rows.
    """
    for piece in pieces:
        yield from feed(piece)


def write_end(core: Core) -> Iterator[bytes]:
    """write_end yields the strips still in flight, the end of the scan and EOI (with
    ``optimize=True``, the whole second pass: headers, strips, EOI).

    Precondition: every row has been fed; else it raises ValueError (too few rows).
    """
    yield from core.finish()
