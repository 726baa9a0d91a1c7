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
stream (``Encoder``, ``iter_encode``) keeps each strip's differences (int16, 2 bytes a
sample) in a :class:`~stripjpeg.spool.CoefficientSpool` until its last row, then writes the
file. Every backend writes these bytes with the NumPy stage: there is no compiled lossless
kernel yet.
"""

from __future__ import annotations

from collections.abc import Iterable, Iterator
from dataclasses import dataclass
from typing import Any

import numpy as np

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
from .options import EncodeOptions, check_dimensions, check_mode
from .sources import materialize, sample_dtype
from .spool import CoefficientSpool, SpoolSizes
from .stages.lossless import count_differences, differences, encode_differences, point_transform
from .strips import StripBuffer
from .tables import HuffmanSpec

#: Component ids libjpeg gives a lossless frame (jcparam.c jpeg_set_colorspace): 1 for grey,
#: 'R', 'G', 'B' for colour (JCS_RGB: no colour conversion in lossless mode).
GRAY_IDS = (1,)
RGB_IDS = (0x52, 0x47, 0x42)

#: Pixels per strip without restart markers: strips only bound the work in flight.
STRIP_PIXELS = 1 << 18

#: The most MCUs (here pixels) a DRI segment can count (T.81 B.2.4.4).
MAX_RESTART_INTERVAL = 65535


@dataclass(frozen=True)
class LosslessPlan:
    """Everything the lossless coder needs to know about one image.

    Attributes:
        width, height: the image size in pixels.
        component_ids: Ci of each component (1 for grey; 'R', 'G', 'B').
        precision: P, bits per sample, 2..16.
        predictor: the selection value, 1..7 (Table H.1).
        point_transform: Pt, 0..P-1.
        restart_rows: rows per restart interval, 0 for none.
        restart_interval: the DRI value, in MCUs (one MCU is one pixel), 0 for none.
        strip_height: rows per strip (a restart interval, or a piece of the scan).
        table: the optimal Huffman table, once the first pass has counted (None before).
    """

    width: int
    height: int
    component_ids: tuple[int, ...]
    precision: int
    predictor: int
    point_transform: int
    restart_rows: int
    restart_interval: int
    strip_height: int
    table: HuffmanSpec | None = None

    @property
    def color_space(self) -> str:
        return "RGB" if len(self.component_ids) == 3 else "GRAYSCALE"

    @property
    def max_sample(self) -> int:
        return (1 << self.precision) - 1

    @property
    def strip_count(self) -> int:
        return -(-self.height // self.strip_height)

    def with_table(self, table: HuffmanSpec) -> LosslessPlan:
        return LosslessPlan(self.width, self.height, self.component_ids, self.precision,
                            self.predictor, self.point_transform, self.restart_rows,
                            self.restart_interval, self.strip_height, table)


def make_lossless_plan(width: int, height: int, channels: int, options: EncodeOptions) -> LosslessPlan:
    """The plan of a lossless image; RGBA keeps R, G, B (alpha is dropped).

    Raises:
        ValueError: restart intervals longer than a DRI segment can count.
    """
    check_dimensions(width, height)
    ids = GRAY_IDS if channels == 1 else RGB_IDS
    rows = options.restart_rows
    interval = rows * width
    if interval > MAX_RESTART_INTERVAL:
        # libjpeg needs whole rows per interval in lossless mode (jclossls.c
        # start_pass_lossless, JERR_BAD_RESTART), so the interval cannot be capped.
        raise ValueError(f"restart_rows={rows} gives a restart interval of {interval} pixels "
                         f"({width} per row), over the {MAX_RESTART_INTERVAL} a DRI segment "
                         f"can hold; use restart_rows <= {MAX_RESTART_INTERVAL // width}")
    strip_height = rows if rows else max(1, STRIP_PIXELS // width)
    return LosslessPlan(width, height, ids, options.precision, options.predictor,
                        options.point_transform, rows, interval, min(strip_height, height))


def check_samples(samples: np.ndarray, plan: LosslessPlan) -> None:
    """Raise ValueError if a sample does not fit the precision (no silent masking)."""
    if samples.size and plan.precision not in (8, 16) and int(samples.max()) > plan.max_sample:
        raise ValueError(f"precision={plan.precision} holds samples 0..{plan.max_sample}; got "
                         f"{int(samples.max())} (the maximum is {plan.max_sample})")


def strip_differences(strip: np.ndarray, above: np.ndarray | None,
                      plan: LosslessPlan) -> tuple[np.ndarray, np.ndarray]:
    """One strip's differences and its last point-transformed row (the next strip's Rb).

    Args:
        strip: samples ``(rows, width, channels)``, uint8 or uint16 (alpha dropped here).
        above: the row above, as returned for the strip before; None at the scan's start
            or a restart interval's.
    """
    samples = point_transform(strip[:, :, :len(plan.component_ids)], plan.point_transform)
    diff = differences(samples, above, plan.predictor, plan.precision, plan.point_transform)
    return diff, samples[-1]


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


class LosslessEncoder(SpoolSizes):
    """Push rows in, take a lossless JPEG out: the interface of
    :class:`stripjpeg.encoder.StripEncoder`. Not thread-safe; one per image.

    With the table known before the first strip (:func:`lossless_array_core` counted a
    whole array), strips are coded as they come; otherwise their differences are spooled
    and the whole file comes out of :meth:`finish`.

    Attributes:
        plan: the :class:`LosslessPlan` (its ``table`` set once known).
        spool: the :class:`~stripjpeg.spool.CoefficientSpool` of differences.
        restart_offsets: byte offset of each restart interval's entropy-coded data.
    """

    def __init__(self, width: int, height: int, mode: str, options: EncodeOptions,
                 copy_strips: bool = True) -> None:
        self.channels = check_mode(mode)
        self.options = options
        self.plan = make_lossless_plan(width, height, self.channels, options)
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

    def set_table(self, counts: np.ndarray) -> None:
        """Fix the Huffman table from the first pass's category counts."""
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
        rows = self._buffer.check(rows, self.channels)
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
        return self._guarded(lambda: self._strip(materialize(strip)))

    def finish(self) -> Iterator[bytes]:
        """The rest of the file: with the table known, the end of the scan and EOI; else
        the whole file from the spool.

        Raises:
            ValueError: fewer rows were fed than the image height (the encoder is aborted).
        """
        self._buffer.check_finish(self.closed, self.abort)
        return self._finish()

    def abort(self) -> None:
        if not self.closed:
            self.closed = True
            self.spool.close()

    # -- inside ---------------------------------------------------------------------------

    def _take_input(self, method: str) -> None:
        if self._input not in (None, method):
            raise ValueError(f"{method}() was called after {self._input}(): an image is fed "
                             "either as rows or as whole strips, never a mix")
        self._input = method

    def _guarded(self, work: Any) -> list[bytes]:
        try:
            return work()
        except BaseException:
            self.abort()
            raise

    def _strip(self, strip: np.ndarray) -> list[bytes]:
        check_samples(strip[:, :, :len(self.plan.component_ids)], self.plan)
        above = None if self.plan.restart_interval else self._above
        diff, self._above = strip_differences(strip, above, self.plan)
        if self.plan.table is None:
            self._counts += count_differences(diff)
            self.spool.append([diff])
            return []
        return self._code(diff)

    def _code(self, diff: np.ndarray) -> list[bytes]:
        """Code one strip; a restart marker before every interval but the first."""
        index = self._strips_done
        last = index == self.plan.strip_count - 1
        final = bool(self.plan.restart_interval) or last
        assert self.plan.table is not None
        data, self._pending = encode_differences(diff, self.plan.table, self._pending, final)
        self._strips_done += 1
        chunks = []
        if self.plan.restart_interval:
            if index:
                chunks.append(self._out(write_rst(index - 1)))
            self.restart_offsets.append(self.bytes_out)
        chunks.append(self._out(data))
        return chunks

    def _finish(self) -> Iterator[bytes]:
        try:
            if self.plan.table is None:
                self.set_table(self._counts)
                yield self.header()
                for (diff,) in self.spool.strips():
                    yield from self._code(diff)
            yield self._out(write_eoi())
        finally:
            self.abort()

    def _out(self, chunk: bytes) -> bytes:
        self.bytes_out += len(chunk)
        return chunk


def count_image(strips: Iterable[Any], plan: LosslessPlan) -> np.ndarray:
    """The first pass over a whole image: the size categories of all its differences."""
    counts = np.zeros(256, np.int64)
    above = None
    for strip in strips:
        strip = materialize(strip)
        check_samples(strip[:, :, :len(plan.component_ids)], plan)
        diff, last = strip_differences(strip, None if plan.restart_interval else above, plan)
        above = last
        counts += count_differences(diff)
    return counts


def lossless_array_core(pixels: Any, mode: str, options: EncodeOptions) -> LosslessEncoder:
    """The core for a whole array ``(H, W, C)``: the first pass counts over the array, so
    the headers and strips come out as the second pass codes them, nothing spooled."""
    height, width = pixels.shape[:2]
    core = LosslessEncoder(width, height, mode, options, copy_strips=False)
    strips = (pixels[start:start + core.plan.strip_height]
              for start in range(0, height, core.plan.strip_height))
    core.set_table(count_image(strips, core.plan))
    return core
