"""The progressive orchestrator: rows in, a progressive JPEG (SOF2) out, scan by scan.

A progressive file sends the image several times over, one scan per part of the coefficients
(:mod:`stripjpeg.scans`), and the first scan already needs the last row's blocks. So it works
in two phases, like libjpeg's multi-pass compression (jcmaster.c, jccoefct.c's full buffer):

1. **Rows in** (:meth:`ProgressiveEncoder.feed`): strips are transformed into quantized
   blocks (in parallel, as for a sequential file), each task's batch of strips as one *unit*
   (:func:`transform_task`), kept in the coefficient spool (in memory up to ``spool_budget``
   bytes, the rest on disk in ``spool_dir``), and the Huffman symbols each scan will code are
   counted as they come (progressive Huffman tables are always optimized, per scan: libjpeg
   sets ``optimize_coding`` for progressive mode). Nothing is output.
2. **File out** (:meth:`ProgressiveEncoder.finish`), in the file's order::

       SOI, APPn, DQT, SOF2                                    markers.write_frame_headers
       per scan:  DHT (its tables), [DRI], SOS                  markers.write_scan_headers
                  its data, read back from the spool unit by unit, with RSTn between
                  restart intervals (coded in parallel), or one continuing bit stream
       EOI

Each scan counts its own restart intervals: ``restart_rows`` MCU rows of *that* scan, and a
scan of one component has one block per MCU (T.81 A.2.2), so at 4:2:0 the luma AC scans have
twice as many intervals as the DC scan, each of one block row (8 pixel rows). The DRI segment
changes between scans accordingly, as libjpeg writes it. With ``restart_blocks`` every scan's
intervals are that many of its own MCUs (libjpeg's ``restart_interval``): the plan makes strips
hold whole intervals of every scan when it can, else a scan's intervals cross strips and the
scan is coded in order, its state carried, with RSTn between the pieces the coder cuts.
"""

from __future__ import annotations

import concurrent.futures
import contextlib
import itertools
from collections.abc import Iterator
from typing import Any

import numpy as np

from . import backends, markers, scheduler
from .backends import StageTable
from .notices import progress_bar
from .optimize import optimal_huffman_spec
from .options import EncodeOptions, check_dimensions, check_mode
from .plan import Plan, Scan, make_plan
from .scheduler import OrderedScheduler, make_executor
from .sources import materialize, sample_dtype
from .spool import CoefficientSpool, SpoolSizes
from .stages.arithmetic import ArithmeticState, flush_bytes
from .stages.progressive import (
    ScanState,
    close_count,
    close_scan,
    intervals_in_strips,
    scan_interval_mcus,
    scan_mcus_per_row,
)
from .strips import StripBuffer, joined_rows
from .tables import huffman_codes

#: Units (a task's batch of strips) in flight per worker, in both phases. Fewer than a
#: sequential encode's strips in flight (scheduler.STRIPS_IN_FLIGHT_PER_WORKER): each holds a
#: unit's blocks (up to 3 MB at 4:4:4), and with the spool's budget they make up the memory a
#: progressive stream holds, which must stay under 64 MB (tests/test_memory.py).
UNITS_IN_FLIGHT_PER_WORKER = 2
#: At most this many pixels per unit on threads or inline (half a sequential batch,
#: scheduler.THREAD_BATCH_PIXELS): a unit in flight holds its pixels and its blocks (up to
#: 1.5 MB at 4:4:4), few enough that the units in flight and the spool's budget together stay
#: under that bound; each scan still costs only a few stage calls per megapixel.
UNIT_PIXELS = 1 << 18


def scan_has_restarts(plan: Plan, scan: Scan) -> bool:
    """Whether ``scan``'s restart intervals fall on strip boundaries, so each strip holds
    whole intervals and they can be coded independently. Not when there are no restart
    markers, nor when libjpeg's cap of 65535 MCUs makes one interval the whole scan (the
    plan refuses any other capped interval)."""
    interval = scan_interval_mcus(plan, scan)
    if plan.restart_blocks:
        return intervals_in_strips(plan, scan)
    return bool(interval) and interval == plan.restart_rows * scan_mcus_per_row(plan, scan)


def codes_the_data(scan: Scan) -> bool:
    """Whether ``scan`` codes Huffman symbols: all but a DC refinement scan (raw bits only)."""
    return not (scan.ss == 0 and scan.ah > 0)


def counts_symbols(plan: Plan, scan: Scan) -> bool:
    """Whether ``scan``'s Huffman symbols are counted: it codes some, and the coding is
    Huffman's (arithmetic coding adapts as it goes and has no tables to build)."""
    return codes_the_data(scan) and not plan.arithmetic


def start_scan(plan: Plan, scan: Scan) -> ScanState | ArithmeticState:
    """The coder's state at the start of a scan without restart markers: Huffman's
    :class:`ScanState`, or the QM coder's :class:`ArithmeticState`."""
    return ArithmeticState.start(plan) if plan.arithmetic else ScanState.start(scan)


def code_scan_piece(backend: StageTable, blocks: list[np.ndarray], rows: int, scan: Scan,
                    plan: Plan, codes: np.ndarray, lengths: np.ndarray,
                    state: ScanState | ArithmeticState | None) -> tuple[list[bytes], Any]:
    """One unit of ``scan`` through the stage of the plan's coding: ``progressive_encode``,
    or ``progressive_arithmetic_encode`` (which takes no Huffman codes)."""
    if plan.arithmetic:
        return backend.progressive_arithmetic_encode(blocks, rows, scan, plan, state)
    return backend.progressive_encode(blocks, rows, scan, plan, codes, lengths, state)


def end_scan(scan: Scan, plan: Plan, codes: np.ndarray, lengths: np.ndarray,
             state: ScanState | ArithmeticState) -> bytes:
    """The last bytes of a scan without restart markers: Huffman's pending EOBRUN and
    padded byte, or the arithmetic coder's flush (D.1.8)."""
    if isinstance(state, ArithmeticState):
        return flush_bytes(state)
    return close_scan(scan, plan, codes, lengths, state)


def transform_task(backend: StageTable, strips: list[Any], plan: Plan,
                   counted: tuple[int, ...]) -> tuple[list[np.ndarray], int, list[np.ndarray]]:
    """Phase-1 work for a batch of strips (module level, so process pools can unpickle it):
    transform them as one *unit* (one tall strip: their blocks one after another, one array
    per component), and count the symbols of the scans ``counted`` (those whose restart
    intervals are whole strips) in it.

    A unit codes as its strips would one by one: the strips start on MCU rows, so every
    scan's blocks, and its restart intervals, are those of the strips in a row. Spooled as
    units, each scan then costs one stage call per unit rather than per strip.

    Returns:
        ``(blocks, rows, counts)``: the unit's blocks, its pixel rows, and one count array
        per scan of ``counted``.
    """
    if plan.context_rows:
        # Strips with smoothing's context rows overlap: each is transformed alone, and the
        # unit's blocks are theirs one after another (new, C-contiguous arrays).
        parts = [backend.transform(materialize(strip), plan) for strip in strips]
        blocks = [np.concatenate(grids) for grids in zip(*parts)]
        rows = sum(plan.strip_rows(strip) for strip in strips)
    else:
        # One transform of the batch's rows together (a view of them, when they are consecutive
        # rows of one array): a tall strip transforms as its strips would one by one.
        pixels = joined_rows([materialize(strip) for strip in strips])
        rows = pixels.shape[0]
        # A unit of its own arrays, C-contiguous: the spool keeps them without another copy,
        # and the numba coder reads them fastest so.
        blocks = [np.ascontiguousarray(grid) for grid in backend.transform(pixels, plan)]
    for grid in blocks:
        grid.flags.writeable = False  # as the spool hands them out for phase 2
    counts = [backend.progressive_count(blocks, rows, plan.scans[n], plan, None)[0] for n in counted]
    return blocks, rows, counts


def encode_scan_task(backend: StageTable, units: list[tuple[list[np.ndarray], int]], scan: Scan,
                     plan: Plan, codes: np.ndarray, lengths: np.ndarray) -> list[bytes]:
    """Phase-2 work for some units of a scan with restart markers: their restart intervals,
    each coded independently, in order."""
    return [data for blocks, rows in units
            for data in code_scan_piece(backend, blocks, rows, scan, plan, codes, lengths, None)[0]]


def code_scan_task(backend: StageTable, units: list[tuple[list[np.ndarray], int]], scan: Scan,
                   plan: Plan, codes: np.ndarray, lengths: np.ndarray) -> list[bytes]:
    """Phase-2 work of one whole scan: its data, as the bytes of each restart interval (the
    RSTn markers between them are the orchestrator's), or, without restart markers, the pieces
    of its one bit stream, closed (with ``restart_blocks`` intervals that cross units, each
    interval's bytes, as with restart markers)."""
    if scan_has_restarts(plan, scan):
        return encode_scan_task(backend, units, scan, plan, codes, lengths)
    state = start_scan(plan, scan)
    intervals: list[list[bytes]] = [[]]
    for blocks, rows in units:
        data, state = code_scan_piece(backend, blocks, rows, scan, plan, codes, lengths, state)
        intervals[-1].append(data[0])
        intervals += [[piece] for piece in data[1:]]  # each begins an interval
    intervals[-1].append(end_scan(scan, plan, codes, lengths, state))
    if not plan.restart_blocks:
        return intervals[0]
    return [b"".join(parts) for parts in intervals]


def scan_code_arrays(plan: Plan, tables: dict[int, Any]) -> tuple[np.ndarray, np.ndarray]:
    """The scan's Huffman tables as ``(n_tables, 256)`` code and code-length arrays (zero
    length: no code), the form the coders take."""
    n = len(plan.dc_tables)
    codes, lengths = np.zeros((n, 256), np.uint32), np.zeros((n, 256), np.int64)
    for index, spec in tables.items():
        codes[index], lengths[index] = huffman_codes(spec)
    return codes, lengths


class ProgressiveEncoder(SpoolSizes):
    """Push rows in, take a progressive JPEG out at the end. Not thread-safe; one per image.

    The same interface as :class:`stripjpeg.encoder.StripEncoder`; nothing is output before
    :meth:`finish`, since every scan needs the whole image (see the module doc). Memory: the
    spool's budget, plus a few strips in flight.

    Attributes:
        plan: the frozen plan (``plan.scans`` is the scan script).
        backend: the stage table chosen for it.
        spool: the :class:`~stripjpeg.spool.CoefficientSpool` of quantized blocks.
        restart_offsets: byte offset of the entropy-coded data of each restart interval,
            scan after scan, in file order.
    """

    def __init__(self, width: int, height: int, mode: str, options: EncodeOptions,
                 copy_strips: bool = True, plan: Plan | None = None) -> None:
        check_dimensions(width, height)
        self.channels = check_mode(mode)
        self.options = options
        self.plan = plan if plan is not None else \
            make_plan(width, height, self.channels, options, mode=mode)
        if not self.plan.progressive:
            raise ValueError("a ProgressiveEncoder needs a progressive plan")
        self.backend = backends.get(options.backend).stage_table(self.plan)
        self._executor, parallelism, self._owns_executor = make_executor(
            options.workers, options.executor, self.backend.threads_help, self.plan.strip_count)
        self._window = UNITS_IN_FLIGHT_PER_WORKER * parallelism
        self._parallelism = parallelism
        # Strips are batched into units even when the caller may reuse its rows: then they are
        # copied into the unit's own rows (one copy, and the unit is a view of them).
        self._batch_size = scheduler.batch_size(self.plan, self._executor, parallelism,
                                                strips_stay_valid=True)
        if self._executor is None or isinstance(self._executor, concurrent.futures.ThreadPoolExecutor):
            strip_pixels = self.plan.width * self.plan.strip_height
            self._batch_size = min(self._batch_size, max(1, UNIT_PIXELS // strip_pixels))
        self._copy_strips = copy_strips
        self._unit_rows_buffer: np.ndarray | None = None
        self._unit_fill = 0
        self._transforms = OrderedScheduler(transform_task, self._executor, self._window)
        self._batch: list[Any] = []
        self._buffer = StripBuffer(self.plan, sample_dtype(self.plan.precision))
        self.spool = CoefficientSpool(options.spool_budget, options.spool_dir)
        self._unit_rows: list[int] = []  # pixel rows of each unit spooled
        scans = self.plan.scans
        n_tables = len(self.plan.dc_tables)
        # Scans whose intervals are whole strips are counted in the tasks; the others in
        # order, here, carrying each one's state from strip to strip.
        self._counted_in_tasks = tuple(n for n, scan in enumerate(scans)
                                       if counts_symbols(self.plan, scan)
                                       and scan_has_restarts(self.plan, scan))
        self._count_states = {n: ScanState.start(scan) for n, scan in enumerate(scans)
                              if counts_symbols(self.plan, scan) and n not in self._counted_in_tasks}
        self._counts = [np.zeros((n_tables, 256), np.int64) for _ in scans]
        self._tables: dict[int, dict[int, Any]] = {}  # scan_tables, built once each
        self._input: str | None = None
        self.bytes_out = 0
        self.restart_offsets: list[int] = []
        self.closed = False
        self._progress = progress_bar(height) if options.progress else None

    # -- what a caller may look at ------------------------------------------------------------

    @property
    def rows_received(self) -> int:
        """Pixel rows accepted so far."""
        return self._buffer.rows_received

    @property
    def buffered_rows(self) -> int:
        """Rows accepted but not yet part of a strip."""
        return self._buffer.buffered_rows

    @property
    def executor(self) -> Any:
        return self._executor

    @property
    def parallelism(self) -> int:
        return self._window

    # -- phase 1: rows in -----------------------------------------------------------------------

    def header(self) -> bytes:
        """Nothing yet: the first scan's tables depend on the whole image."""
        return b""

    def check_rows(self, rows: Any) -> np.ndarray:
        """Check a piece of rows as :meth:`StripEncoder.check_rows` does, changing nothing."""
        if self.closed:
            raise ValueError("the encoder is closed; no more rows can be written")
        return self._buffer.check(rows, self.channels)

    def feed(self, rows: Any) -> list[bytes]:
        """Take rows ``(n, width[, channels])``; nothing is output before :meth:`finish`.

        A piece that fails :meth:`check_rows` is refused and changes nothing; any other
        failure aborts the encoder.
        """
        rows = self.check_rows(rows)
        self._take_input("feed")
        with self._aborting_on_failure():
            for strip in self._buffer.add(rows):
                self._dispatch(strip, owned=self._buffer.strips_are_copies)
        return []

    def feed_strip(self, strip: Any) -> list[bytes]:
        """Take one whole strip (``plan.strip_height`` rows, fewer for the last), possibly lazy."""
        if self.closed:
            raise ValueError("the encoder is closed; no more rows can be written")
        expected = min(self.plan.strip_height, self.plan.height - self._buffer.rows_received)
        if self.plan.strip_rows(strip) != expected:
            raise ValueError(f"a strip must have {expected} rows here, got "
                             f"{self.plan.strip_rows(strip)}")
        self._take_input("feed_strip")
        self._buffer.rows_received += expected
        with self._aborting_on_failure():
            self._dispatch(strip)
        return []

    def feed_blocks(self, blocks: list[np.ndarray], rows: int) -> list[bytes]:
        """Take one strip already transformed (quantized blocks per component, dummy blocks
        included) covering ``rows`` pixel rows (:func:`stripjpeg.encode_coefficients`)."""
        if self.closed:
            raise ValueError("the encoder is closed; no more rows can be written")
        self._take_input("feed_blocks")
        self._buffer.rows_received += rows
        with self._aborting_on_failure():
            counts = [self.backend.progressive_count(blocks, rows, self.plan.scans[n], self.plan,
                                                     None)[0] for n in self._counted_in_tasks]
            self._keep(blocks, rows, counts)
        return []

    def _take_input(self, method: str) -> None:
        if self._input not in (None, method):
            raise ValueError(f"{method}() was called after {self._input}(): an image is fed "
                             "either as rows, whole strips or transformed strips, never a mix")
        self._input = method

    def _dispatch(self, strip: Any, owned: bool = False) -> None:
        """Batch ``strip`` into the unit being gathered; ``owned``: it is the encoder's own
        array (with smoothing's context rows, which overlap: no unit of joined rows)."""
        if self._copy_strips and not owned and isinstance(strip, np.ndarray):
            strip = strip.copy() if self.plan.context_rows else self._copied_into_unit(strip)
        self._batch.append(strip)
        if len(self._batch) == self._batch_size:
            self._submit_batch()

    def _copied_into_unit(self, strip: np.ndarray) -> np.ndarray:
        """``strip``'s rows copied into the rows of the unit being gathered (a new array for
        each unit, since the one before may still be in flight); returns the view."""
        if not self._batch:
            shape = (self._batch_size * self.plan.strip_height, *strip.shape[1:])
            self._unit_rows_buffer, self._unit_fill = np.empty(shape, strip.dtype), 0
        assert self._unit_rows_buffer is not None
        view = self._unit_rows_buffer[self._unit_fill:self._unit_fill + strip.shape[0]]
        view[...] = strip
        self._unit_fill += strip.shape[0]
        return view

    def _submit_batch(self) -> None:
        batch, self._batch = self._batch, []
        for unit in self._transforms.submit(self.backend, batch, self.plan, self._counted_in_tasks):
            self._keep(*unit)

    def _keep(self, blocks: list[np.ndarray], rows: int, counts: list[np.ndarray]) -> None:
        """Spool one transformed unit (one strip, or a task's strips in a row), adding its
        symbol counts (those not counted in the task are counted here, in order)."""
        for n, unit_counts in zip(self._counted_in_tasks, counts):
            self._counts[n] += unit_counts
        for n, state in self._count_states.items():
            unit_counts, self._count_states[n] = self.backend.progressive_count(
                blocks, rows, self.plan.scans[n], self.plan, state)
            self._counts[n] += unit_counts
        self.spool.append(blocks)
        self._unit_rows.append(rows)
        if self._progress is not None:
            self._progress.update(rows)

    # -- phase 2: the file out ------------------------------------------------------------------

    def finish(self) -> Iterator[bytes]:
        """The whole file: headers, every scan (read back from the spool), EOI.

        Raises:
            ValueError: fewer rows were fed than the image height (the encoder is aborted).
        """
        self._buffer.check_finish(self.closed, self.abort)
        return self._write_file()

    def _write_file(self) -> Iterator[bytes]:
        try:
            if self._batch:
                self._submit_batch()
            for unit in self._transforms.drain():
                self._keep(*unit)
            for n, state in self._count_states.items():
                self._counts[n] += close_count(self.plan.scans[n], self.plan, state)
            yield self._out(markers.write_frame_headers(self.plan, self.options))
            if self._scans_in_parallel():
                yield from self._write_scans_in_parallel()
            else:
                previous_interval = 0
                for number, scan in enumerate(self.plan.scans):
                    tables = self.scan_tables(number)
                    yield self._out(self._scan_headers(number, tables, previous_interval))
                    previous_interval = scan_interval_mcus(self.plan, scan)
                    yield from self._write_scan(scan, *scan_code_arrays(self.plan, tables))
            yield self._out(markers.write_eoi())
        finally:
            self.abort()

    def _scan_headers(self, number: int, tables: dict[int, Any], previous_interval: int) -> bytes:
        scan = self.plan.scans[number]
        return markers.write_scan_headers(self.plan, scan, tables, scan_interval_mcus(self.plan, scan),
                                          previous_interval)

    def _scans_in_parallel(self) -> bool:
        """Whether the scans go to the workers whole, several at once: when the workers are
        threads (they share the spool, nothing is copied) and every block is in memory. Each
        scan is then one task, coded while the ones before it are written, and the bytes of
        at most the window's scans wait in memory, fewer than the blocks, which fit the
        budget. This also codes scans without restart markers in parallel (each is one bit
        stream, coded in order within its task). Otherwise each scan is coded unit by unit,
        its restart intervals in parallel."""
        return (isinstance(self._executor, concurrent.futures.ThreadPoolExecutor)
                and self.spool.spool_bytes_on_disk == 0)

    def _write_scans_in_parallel(self) -> Iterator[bytes]:
        units = [(blocks, rows) for rows, blocks in zip(self._unit_rows, self.spool.strips(), strict=True)]
        coder = OrderedScheduler(code_scan_task, self._executor, self._window)
        waiting: list[tuple[int, Scan, int]] = []  # (number, scan, parts) submitted, not yet written
        done: list[list[bytes]] = []  # the parts of waiting[0] back so far
        previous_interval = 0

        def write(results: list[list[bytes]]) -> Iterator[bytes]:
            nonlocal previous_interval
            for pieces in results:
                done.append(pieces)
                number, scan, parts = waiting[0]
                if len(done) < parts:
                    continue
                waiting.pop(0)
                yield self._out(self._scan_headers(number, self.scan_tables(number), previous_interval))
                previous_interval = scan_interval_mcus(self.plan, scan)
                if scan_has_restarts(self.plan, scan) or self.plan.restart_blocks:
                    self._intervals_out = 0
                    yield from self._framed(done)
                else:
                    yield self._out(b"".join(done[0]))
                done.clear()

        for number, scan in enumerate(self.plan.scans):
            codes = scan_code_arrays(self.plan, self.scan_tables(number))
            groups = self._scan_parts(scan, units)
            waiting.append((number, scan, len(groups)))
            for group in groups:
                yield from write(coder.submit(self.backend, group, scan, self.plan, *codes))
        yield from write(coder.drain())

    def _scan_parts(self, scan: Scan, units: list[tuple[list[np.ndarray], int]]
                    ) -> list[list[tuple[list[np.ndarray], int]]]:
        """The tasks of one scan: its units in one task, or, when its restart intervals are
        whole units (so independent), in as many runs of units as there are workers, so that
        a long scan (the last refinement of luma, say) is not one worker's alone while the
        others wait for it at the end."""
        parts = min(self._parallelism, len(units)) if scan_has_restarts(self.plan, scan) else 1
        if parts <= 1 or self.plan.restart_blocks:
            return [units]
        bounds = [round(i * len(units) / parts) for i in range(parts + 1)]
        return [units[a:b] for a, b in itertools.pairwise(bounds)]

    def scan_tables(self, number: int) -> dict[int, Any]:
        """The optimal Huffman tables of scan ``number`` by table index, from its counts
        (jcphuff.c finish_pass_gather_phuff): none for a DC refinement scan, nor with
        arithmetic coding."""
        if number not in self._tables:
            scan = self.plan.scans[number]
            used = sorted({self.plan.components[i].huffman_index for i in scan.components})
            self._tables[number] = {t: optimal_huffman_spec(self._counts[number][t]) for t in used
                                    } if counts_symbols(self.plan, scan) else {}
        return self._tables[number]

    def _write_scan(self, scan: Scan, codes: np.ndarray, lengths: np.ndarray) -> Iterator[bytes]:
        units = zip(self._unit_rows, self.spool.strips(), strict=True)
        if not scan_has_restarts(self.plan, scan):
            state = start_scan(self.plan, scan)
            self._intervals_out = 0
            for rows, blocks in units:
                data, state = code_scan_piece(self.backend, blocks, rows, scan, self.plan,
                                              codes, lengths, state)
                yield self._continued(data)
            yield self._out(end_scan(scan, self.plan, codes, lengths, state))
            return
        # Here with a process pool or a cluster (threads with every block in memory take whole
        # scans instead, _write_scans_in_parallel), or with the spool partly on disk. Units
        # held in memory cost nothing more when several go to one task: then each worker
        # gets a few tasks per scan, not one per unit (a round trip costs more than a small
        # unit's coding). Units read back from the spool's file go one by one, since each
        # one read is memory (UNITS_IN_FLIGHT_PER_WORKER).
        coder = OrderedScheduler(encode_scan_task, self._executor, self._window)
        self._intervals_out = 0
        group = 1
        if self._executor is not None and self.spool.spool_bytes_on_disk == 0:
            group = max(1, len(self._unit_rows) // self._window)
        batch: list[tuple[list[np.ndarray], int]] = []
        for rows, blocks in units:
            batch.append((blocks, rows))
            if len(batch) == group:
                yield from self._framed(coder.submit(self.backend, batch, scan, self.plan, codes, lengths))
                batch = []
        if batch:
            yield from self._framed(coder.submit(self.backend, batch, scan, self.plan, codes, lengths))
        yield from self._framed(coder.drain())

    def _framed(self, results: list[list[bytes]]) -> Iterator[bytes]:
        """Each task's restart intervals as one chunk, with RSTn before every interval but
        the scan's first (T.81 B.2.1: n counts the scan's intervals modulo 8)."""
        for intervals in results:
            data, self._intervals_out, starts = markers.frame_intervals(
                intervals, self._intervals_out, self.bytes_out, first_continues=False)
            self.restart_offsets += starts
            yield self._out(data)

    def _continued(self, pieces: list[bytes]) -> bytes:
        """One unit of a scan coded in order, as one chunk: without restart markers its one
        piece; with ``restart_blocks`` intervals crossing units, the first piece goes on with
        the interval before (or begins the scan's first), each later one begins an interval,
        with RSTn before it."""
        if not self.plan.restart_blocks:
            return self._out(pieces[0])
        data, self._intervals_out, starts = markers.frame_intervals(
            pieces, self._intervals_out, self.bytes_out, first_continues=True)
        self.restart_offsets += starts
        return self._out(data)

    def _out(self, chunk: bytes) -> bytes:
        self.bytes_out += len(chunk)
        return chunk

    # -- ending -----------------------------------------------------------------------------------

    @contextlib.contextmanager
    def _aborting_on_failure(self) -> Iterator[None]:
        """Abort the encoder on any failure inside the block, and let the failure through."""
        try:
            yield
        except BaseException:
            self.abort()
            raise

    def abort(self) -> None:
        """Stop: drop work in flight, release workers, delete the spool. Safe more than once."""
        if not self.closed:
            self.closed = True
            self._transforms.cancel()
            self.spool.close()
            if self._owns_executor and self._executor is not None:
                self._executor.shutdown(wait=True, cancel_futures=True)
            if self._progress is not None:
                self._progress.close()

