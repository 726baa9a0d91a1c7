"""Lossless JPEG files (``lossless=True``, T.81 Annex H, SOF3): the plan and the encoder.

The file libjpeg-turbo 3 writes (``jpeg_enable_lossless``), and so this module::

    SOI, APP0 JFIF (grey) or APP14 Adobe (RGB, transform 0), [APPn, COM],
    SOF3 (P, Y, X, components 1 or 'R','G','B', all Hi = Vi = 1, Tq = 0),
    DHT (one DC-class table 0, optimal for the image), [DRI], SOS (Ss = predictor, Se = 0,
    Ah = 0, Al = point transform), the differences [RSTn ...], EOI

The numbers (prediction, differences, Huffman coding) are :mod:`stripjpeg.stages.lossless`'s.
A strip is a restart interval (``restart_rows`` rows; the prediction starts again at each),
or without restart markers a piece of the one interval, predicted from the strip above.

The Huffman table comes before the data and depends on all of it, so there are two passes,
as for ``optimize=True`` (:mod:`stripjpeg.optimize`): a whole array (``encode``, ``save``) is
read twice, counting the size categories first (:func:`lossless_array_core`); a one-pass
stream (``Encoder``, ``iter_encode``) keeps its samples (2 bytes each, in a
:class:`~stripjpeg.spool.CoefficientSpool`) until its last row, then writes the file.

Each strip goes through the backend's two lossless stages (``lossless_count``,
``lossless_encode``; the NumPy ones are :mod:`stripjpeg.stages.lossless`'s, the numba
backend's one kernel for both). Restart intervals are independent, so with restart markers
they are counted and coded on ``workers`` threads (or the given ``executor``), results kept in
order (:class:`~stripjpeg.scheduler.OrderedScheduler`); without them the scan is one bit
stream, coded strip after strip on the calling thread.
"""

from __future__ import annotations

from collections.abc import Iterable, Iterator
from typing import Any

import numpy as np

from . import backends
from .backends import StageTable
from .lossless_plan import LosslessPlan, make_lossless_plan
from .markers import (
    write_dht,
    write_dri,
    write_eoi,
    write_metadata,
    write_rst,
    write_sof3,
    write_sos_lossless,
)
from .optimize import optimal_huffman_spec
from .options import EncodeOptions, check_mode
from .scheduler import STRIPS_IN_FLIGHT_PER_WORKER, OrderedScheduler, make_executor
from .sources import materialize, sample_dtype
from .spool import CoefficientSpool, SpoolSizes
from .strips import StripBuffer

#: Input modes a lossless file takes: grey, or colour stored as R, G, B (alpha and padding
#: dropped, as for any encode); CMYK and YCbCr input are not implemented for it.
LOSSLESS_MODES = ("L", "RGB", "RGBA", "RGBX")


def check_samples(samples: np.ndarray, plan: LosslessPlan) -> None:
    """Raise ValueError if a sample does not fit the precision (no silent masking)."""
    if samples.size and plan.precision not in (8, 16) and int(samples.max()) > plan.max_sample:
        raise ValueError(f"precision={plan.precision} holds samples 0..{plan.max_sample}; got "
                         f"{int(samples.max())} (the maximum is {plan.max_sample})")


def write_lossless_headers(plan: LosslessPlan, options: EncodeOptions) -> bytes:
    """SOI and metadata, SOF3, DHT (table 0), DRI when restarting, SOS (jcmarker.c's order)."""
    assert plan.table is not None
    parts = [write_metadata(options, plan.color_space),
             write_sof3(plan.precision, plan.height, plan.width, plan.component_ids),
             write_dht(0, 0, plan.table)]
    if plan.restart_interval:
        parts.append(write_dri(plan.restart_interval))
    parts.append(write_sos_lossless(plan.component_ids, plan.predictor, plan.point_transform))
    return b"".join(parts)


def spooled(strip: np.ndarray) -> np.ndarray:
    """A strip's samples as the int16 the spool keeps: uint16 reinterpreted bit for bit,
    uint8 widened (see :func:`unspooled`)."""
    strip = np.ascontiguousarray(strip)
    return strip.view(np.int16) if strip.dtype == np.uint16 else strip.astype(np.int16)


def unspooled(array: np.ndarray, plan: LosslessPlan) -> np.ndarray:
    """The samples back from the spool, in their dtype."""
    return array.view(np.uint16) if plan.precision > 8 else array.astype(np.uint8)


def count_interval_task(backend: StageTable, strip: np.ndarray, plan: LosslessPlan) -> np.ndarray:
    """First-pass work for one restart interval: its size-category counts."""
    return backend.lossless_count(strip, None, plan)[0]


def encode_interval_task(backend: StageTable, strip: np.ndarray, plan: LosslessPlan) -> bytes:
    """Second-pass work for one restart interval: its whole entropy-coded bytes."""
    return backend.lossless_encode(strip, None, plan, (0, 0), True)[0]


class LosslessEncoder(SpoolSizes):
    """Push rows in, take a lossless JPEG out: the interface of
    :class:`stripjpeg.encoder.StripEncoder`. Not thread-safe; one per image.

    With the table known before the first strip (:func:`lossless_array_core` counted a
    whole array), strips are coded as they come; otherwise they are counted and spooled,
    and the whole file comes out of :meth:`finish`.

    Attributes:
        plan: the :class:`~stripjpeg.lossless_plan.LosslessPlan` (its ``table`` set once known).
        backend: the stage table chosen for it.
        spool: the :class:`~stripjpeg.spool.CoefficientSpool` of samples.
        restart_offsets: byte offset of each restart interval's entropy-coded data.

    ``copy_strips`` is taken for the interface of the other cores and changes nothing: a
    stream's strips are spooled (copied), an array's are views it reads while it encodes.
    """

    def __init__(self, width: int, height: int, mode: str, options: EncodeOptions,
                 copy_strips: bool = True) -> None:
        self.channels = check_mode(mode)
        if mode not in LOSSLESS_MODES:
            raise ValueError(f"lossless=True takes modes {', '.join(LOSSLESS_MODES)} (stored as grey or "
                             f"R, G, B); mode {mode!r} is not implemented for lossless files")
        self.options = options
        self.plan = make_lossless_plan(width, height, self.channels, options)
        self.backend: StageTable = backends.get(options.backend).stage_table(self.plan)  # type: ignore[arg-type]
        # Threads only for independent strips: restart intervals.
        intervals = self.plan.strip_count if self.plan.restart_interval else 1
        self._executor, parallelism, self._owns_executor = make_executor(
            options.workers, options.executor, self.backend.threads_help, intervals)
        self._window = STRIPS_IN_FLIGHT_PER_WORKER * parallelism
        self._coding = OrderedScheduler(encode_interval_task, self._executor, self._window)
        self._intervals_out = 0
        self._buffer = StripBuffer(self.plan, sample_dtype(options.precision))  # type: ignore[arg-type]
        self.spool = CoefficientSpool(options.spool_budget, options.spool_dir)
        self._counts = np.zeros(256, np.int64)
        self._above: np.ndarray | None = None
        self._pending = (0, 0)
        self._strips_done = 0
        self._input: str | None = None
        self.bytes_out = 0
        self.restart_offsets: list[int] = []
        self.closed = False

    @property
    def rows_received(self) -> int:
        return self._buffer.rows_received

    @property
    def buffered_rows(self) -> int:
        return self._buffer.buffered_rows

    def count(self, strips: Iterable[Any]) -> None:
        """The first pass over a whole image's strips (it can be read again): count the size
        categories and fix the table, so that :meth:`header` and the strips come out at once."""
        counts = np.zeros(256, np.int64)
        if self.plan.restart_interval:
            counting = OrderedScheduler(count_interval_task, self._executor, self._window)
            for strip in strips:
                strip = self._native(strip)
                check_samples(strip[:, :, :len(self.plan.component_ids)], self.plan)
                for strip_counts in counting.submit(self.backend, strip, self.plan):
                    counts += strip_counts
            for strip_counts in counting.drain():
                counts += strip_counts
        else:
            above = None
            for strip in strips:
                strip = self._native(strip)
                check_samples(strip[:, :, :len(self.plan.component_ids)], self.plan)
                strip_counts, above = self.backend.lossless_count(strip, above, self.plan)
                counts += strip_counts
        self.plan = self.plan.with_table(optimal_huffman_spec(counts))

    def header(self) -> bytes:
        """The headers when the table is known; else nothing yet (they come at the end)."""
        if self.plan.table is None:
            return b""
        return self._out(write_lossless_headers(self.plan, self.options))

    def check_rows(self, rows: Any) -> np.ndarray:
        """Check a piece of rows (dtype, shape, count, sample range), changing nothing."""
        if self.closed:
            raise ValueError("the encoder is closed; no more rows can be written")
        rows = np.asarray(self._buffer.check(rows, self.channels), sample_dtype(self.plan.precision))
        check_samples(rows[:, :, :len(self.plan.component_ids)], self.plan)
        return rows

    def feed(self, rows: Any) -> list[bytes]:
        """Take rows ``(n, width[, channels])``."""
        rows = self.check_rows(rows)
        self._take_input("feed")
        return self._guarded(lambda: [c for s in self._buffer.add(rows) for c in self._strip(s)])

    def feed_strip(self, strip: Any) -> list[bytes]:
        """Take one whole strip (``plan.strip_height`` rows, fewer for the last), possibly lazy."""
        if self.closed:
            raise ValueError("the encoder is closed; no more rows can be written")
        expected = min(self.plan.strip_height, self.plan.height - self._buffer.rows_received)
        if strip.shape[0] != expected:
            raise ValueError(f"a strip must have {expected} rows here, got {strip.shape[0]}")
        self._take_input("feed_strip")
        self._buffer.rows_received += expected
        return self._guarded(lambda: self._strip(self._native(strip)))

    def finish(self) -> Iterator[bytes]:
        """The rest of the file: with the table known, EOI; else the whole file from the spool.

        Raises:
            ValueError: fewer rows were fed than the image height (the encoder is aborted).
        """
        self._buffer.check_finish(self.closed, self.abort)
        return self._finish()

    def abort(self) -> None:
        """Stop: drop intervals in flight, release the workers and the spool. Safe to call
        more than once."""
        if not self.closed:
            self.closed = True
            self._coding.cancel()
            if self._owns_executor and self._executor is not None:
                self._executor.shutdown(wait=True, cancel_futures=True)
            self.spool.close()

    # -- inside ---------------------------------------------------------------------------

    def _take_input(self, method: str) -> None:
        if self._input not in (None, method):
            raise ValueError(f"{method}() was called after {self._input}(): an image is fed "
                             "either as rows or as whole strips, never a mix")
        self._input = method

    def _native(self, strip: Any) -> np.ndarray:
        """A strip as an ndarray of native uint8 or uint16 (a 16-bit PGM is big-endian)."""
        return np.asarray(materialize(strip), sample_dtype(self.plan.precision))

    def _guarded(self, work: Any) -> list[bytes]:
        try:
            return work()
        except BaseException:
            self.abort()
            raise

    def _strip(self, strip: np.ndarray) -> list[bytes]:
        if self.plan.table is not None:
            return self._code(strip)
        check_samples(strip[:, :, :len(self.plan.component_ids)], self.plan)
        above = None if self.plan.restart_interval else self._above
        counts, self._above = self.backend.lossless_count(strip, above, self.plan)
        self._counts += counts
        self.spool.append([spooled(strip[:, :, :len(self.plan.component_ids)])])
        return []

    def _code(self, strip: np.ndarray) -> list[bytes]:
        """Code one strip: a restart interval goes to the scheduler (the intervals done come
        back, in order); a piece of the one interval is coded here, after the one before."""
        if self.plan.restart_interval:
            return [c for data in self._coding.submit(self.backend, strip, self.plan)
                    for c in self._interval_out(data)]
        index = self._strips_done
        final = index == self.plan.strip_count - 1
        data, self._pending, self._above = self.backend.lossless_encode(
            strip, self._above if index else None, self.plan, self._pending, final)
        self._strips_done += 1
        return [self._out(data)]

    def _interval_out(self, data: bytes) -> list[bytes]:
        """One restart interval's bytes, after a restart marker unless it is the first."""
        index = self._intervals_out
        self._intervals_out += 1
        chunks = [self._out(write_rst(index - 1))] if index else []
        self.restart_offsets.append(self.bytes_out)
        return [*chunks, self._out(data)]

    def _finish(self) -> Iterator[bytes]:
        try:
            if self.plan.table is None:
                self.plan = self.plan.with_table(optimal_huffman_spec(self._counts))
                yield self.header()
                for (samples,) in self.spool.strips():
                    yield from self._code(unspooled(samples, self.plan))
            for data in self._coding.drain():
                yield from self._interval_out(data)
            yield self._out(write_eoi())
        finally:
            self.abort()

    def _out(self, chunk: bytes) -> bytes:
        self.bytes_out += len(chunk)
        return chunk


def lossless_array_core(pixels: Any, mode: str, options: EncodeOptions) -> LosslessEncoder:
    """The core for a whole array ``(H, W, C)``: the first pass counts over the array, so
    the headers and strips come out as the second pass codes them, nothing spooled."""
    height, width = pixels.shape[:2]
    core = LosslessEncoder(width, height, mode, options, copy_strips=False)
    try:
        step = core.plan.strip_height
        core.count(pixels[start:start + step] for start in range(0, height, step))
    except BaseException:
        core.abort()
        raise
    return core
