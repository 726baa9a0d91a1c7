"""Optimized Huffman tables (``optimize=True``): count the symbols, build the best code.

T.81 Annex K.2 gives the procedure: count how often each symbol occurs, repeatedly merge
the two least frequent entries into one, and read each symbol's code length off the merge
tree (Figure K.1, Code_size); Adjust_BITS (Figure K.3, still in K.2) then shortens codes
longer than 16 bits, and Sort_input (Figure K.4) lists the symbols. libjpeg (jchuff.c,
``jpeg_gen_optimal_table``) fixes the details that make the tables unique, and Pillow's
``optimize=True`` output depends on every one of them (tests/reference.py transcribes the
four figures with these details, and tests/test_stages.py checks this function against it):

* a pseudo-symbol 256 with count 1 takes part, so that no real symbol gets the all-ones
  code (T.81 C: no code may consist of 1-bits only); it is removed from the longest length
  at the end;
* among entries of equal count, the one with the *larger* symbol number is merged first;
* symbols are listed (HUFFVAL) by their code length before Adjust_BITS shortens them, then by
  symbol value.

Two passes are needed, since the DHT segments precede the scan. With the whole image at
hand, the first pass only counts (:func:`count_strips`). With a one-pass stream,
:class:`SpoolingEncoder` keeps the quantized blocks in a :class:`~stripjpeg.spool.CoefficientSpool`
between the passes: in memory up to ``spool_budget`` bytes, the rest in an anonymous temporary
file, so memory stays bounded (unless the file's directory is a tmpfs, which is RAM); the file
is gone when the encoder closes, also on failure.
"""

from __future__ import annotations

import heapq
from collections.abc import Iterable, Iterator
from dataclasses import dataclass
from typing import Any

import numpy as np

from .backends import EntropyState, StageTable
from .plan import Plan
from .sources import materialize, sample_dtype
from .spool import CoefficientSpool, SpoolSizes
from .strips import StripBuffer
from .tables import HuffmanSpec

#: Longest code length the merge procedure may produce before Adjust_BITS (Figure K.3): libjpeg's
#: MAX_CLEN. 257 symbols with Fibonacci-like counts cannot exceed it.
MAX_CODE_LENGTH = 32


def optimal_huffman_spec(frequencies: np.ndarray) -> HuffmanSpec:
    """The Huffman table libjpeg builds for these symbol counts (T.81 K.2, Figures K.1 to K.4).

    Args:
        frequencies: 256 counts, indexed by symbol (all non-negative, at least one > 0).

    Returns:
        BITS and HUFFVAL of the optimal length-limited code.
    """
    freq = [int(f) for f in frequencies] + [1]  # 256: the pseudo-symbol reserving all-ones
    # Python lists, not arrays: the loops below touch one element at a time.
    code_size = [0] * 257
    # others[s]: the next symbol in the chain of symbols merged into the same subtree as s.
    others = [-1] * 257
    # The entries still to merge, least frequent first, ties: the larger symbol first (libjpeg
    # scans for the smallest count with <=, so the last of equal counts wins); a heap finds
    # the next two as Figure K.1's search through all 257 entries would.
    entries = [(count, -symbol) for symbol, count in enumerate(freq) if count > 0]
    heapq.heapify(entries)
    while len(entries) > 1:
        count1, c1 = heapq.heappop(entries)
        count2, c2 = heapq.heappop(entries)
        c1, c2 = -c1, -c2
        heapq.heappush(entries, (count1 + count2, -c1))  # c2's count joins c1's entry
        # Every symbol under both merged nodes moves one level deeper.
        last = _deepen_chain(c1, code_size, others)
        others[last] = c2
        _deepen_chain(c2, code_size, others)

    if max(code_size) > MAX_CODE_LENGTH:
        raise ValueError("Huffman code lengths exceed 32 bits")
    bits = [0] * (MAX_CODE_LENGTH + 1)
    for size in code_size:
        if size:
            bits[size] += 1
    _limit_code_lengths(bits)
    longest = max(i for i in range(1, 17) if bits[i] > 0)
    bits[longest] -= 1  # drop the pseudo-symbol 256, which has a longest code

    # HUFFVAL (Figure K.4): by code length before Adjust_BITS, then by symbol value.
    symbols = sorted((s for s in range(256) if code_size[s]), key=lambda s: code_size[s])
    return HuffmanSpec(bits=tuple(bits[1:17]), huffval=tuple(symbols))


def _deepen_chain(symbol: int, code_size: list[int], others: list[int]) -> int:
    """Add one bit to the code length of ``symbol`` and every symbol chained to it;
    return the last symbol of the chain."""
    code_size[symbol] += 1
    while others[symbol] >= 0:
        symbol = others[symbol]
        code_size[symbol] += 1
    return symbol


def _limit_code_lengths(bits: list[int]) -> None:
    """T.81 Figure K.3 (Adjust_BITS): move codes longer than 16 bits up the tree, in place.

    Two symbols of the longest length i leave it: one takes their former prefix (length
    i - 1), and the two become children of a shorter code of length j, which turns into
    their prefix at length j + 1.
    """
    for length in range(MAX_CODE_LENGTH, 16, -1):
        while bits[length] > 0:
            j = length - 2
            while bits[j] == 0:
                j -= 1
            bits[length] -= 2
            bits[length - 1] += 1
            bits[j + 1] += 2
            bits[j] -= 1


@dataclass
class SymbolCounts:
    """How often each Huffman symbol occurs, per table index.

    Attributes:
        dc: int64 ``(n_tables, 256)``: DC size categories.
        ac: int64 ``(n_tables, 256)``: AC run/size symbols, with ZRL (0xF0) and EOB (0x00).
    """

    dc: np.ndarray
    ac: np.ndarray

    @classmethod
    def zeros(cls, plan: Plan) -> SymbolCounts:
        n = len(plan.dc_tables)
        return cls(np.zeros((n, 256), np.int64), np.zeros((n, 256), np.int64))

    def add(self, other: SymbolCounts) -> None:
        self.dc += other.dc
        self.ac += other.ac

    def optimized_plan(self, plan: Plan) -> Plan:
        """``plan`` coding with the optimal tables for these counts."""
        return plan.with_tables(tuple(optimal_huffman_spec(c) for c in self.dc),
                                tuple(optimal_huffman_spec(c) for c in self.ac))


def count_strip_task(backend: StageTable, pixels: np.ndarray, plan: Plan,
                     first_mcu: int = 0) -> SymbolCounts:
    """First-pass work for one independent strip (whole restart intervals): transform and
    count (``first_mcu``: where the strip begins in the scan, for ``restart_blocks``)."""
    blocks = backend.transform(materialize(pixels), plan)
    dc, ac, _ = count_strip(backend, blocks, plan, EntropyState.start(plan).dc_predictors, first_mcu)
    return SymbolCounts(dc, ac)


def count_strip(backend: StageTable, blocks: list[np.ndarray], plan: Plan,
                predictors: tuple[int, ...], first_mcu: int
                ) -> tuple[np.ndarray, np.ndarray, tuple[int, ...]]:
    """The symbols of one strip's blocks, from ``predictors``: ``count_symbols``, or with
    ``restart_blocks`` ``interval_count``, which restarts the predictors at each interval
    within the strip (the strip's first MCU is MCU ``first_mcu`` of the scan)."""
    if plan.restart_blocks:
        return backend.interval_count(blocks, plan, predictors, first_mcu)
    return backend.count_symbols(blocks, plan, predictors)


def count_strips(strips: Iterable[np.ndarray], plan: Plan, backend: StageTable,
                 scheduler: Any) -> SymbolCounts:
    """The first pass over strips that can be read again: symbol counts only.

    Independent strips go through ``scheduler`` (an OrderedScheduler running
    :func:`count_strip_task`); without restart markers each strip's first DC difference
    depends on the previous strip, so they are counted in order, carrying the predictors.
    """
    totals = SymbolCounts.zeros(plan)
    strip_mcus = plan.strip_mcu_rows * plan.mcus_per_row
    if plan.independent_strips:
        for index, strip in enumerate(strips):
            for counts in scheduler.submit(backend, strip, plan, index * strip_mcus):
                totals.add(counts)
        for counts in scheduler.drain():
            totals.add(counts)
        return totals
    predictors = EntropyState.start(plan).dc_predictors
    for index, strip in enumerate(strips):
        blocks = backend.transform(materialize(strip), plan)
        dc, ac, predictors = count_strip(backend, blocks, plan, predictors, index * strip_mcus)
        totals.add(SymbolCounts(dc, ac))
    return totals


class SpoolingEncoder(SpoolSizes):
    """``optimize=True`` for a one-pass stream: the same push interface as StripEncoder.

    First pass (``feed``): each strip is transformed once, its symbols counted, and its
    quantized blocks appended to the spool; nothing is output yet, since the Huffman tables
    come first in the file. ``finish`` builds the tables, then streams the whole file,
    entropy-coding the spooled blocks strip by strip.

    The spool holds 128 bytes per coded block (64 int16 coefficients), blocks counted after
    each component's padding to whole MCUs: per pixel, 6 bytes at 4:4:4, 4 at 4:2:2, 3 at
    4:2:0, 2 for grayscale. Up to ``options.spool_budget`` bytes stay in memory; the rest goes
    to an anonymous file in ``options.spool_dir`` (None: ``tempfile.gettempdir()``; a tmpfs
    directory, /tmp on many systems, keeps it in RAM too).

    Attributes:
        spool: the :class:`~stripjpeg.spool.CoefficientSpool`, closed when the encoder is.
    """

    def __init__(self, core: Any) -> None:
        self.core = core  # a StripEncoder for the second pass; its plan is replaced there
        self.plan: Plan = core.plan
        self.backend: StageTable = core.backend
        self._buffer = StripBuffer(self.plan, sample_dtype(self.plan.precision))
        self._counts = SymbolCounts.zeros(self.plan)
        self._predictors = EntropyState.start(self.plan).dc_predictors
        self.spool = CoefficientSpool(core.options.spool_budget, core.options.spool_dir)
        self._strip_rows: list[int] = []
        self.closed = False

    @property
    def restart_offsets(self) -> list[int]:
        return self.core.restart_offsets

    @property
    def rows_received(self) -> int:
        """Pixel rows accepted (spooled) so far."""
        return self._buffer.rows_received

    @property
    def buffered_rows(self) -> int:
        """Rows accepted but not yet in a spooled strip."""
        return self._buffer.buffered_rows

    def header(self) -> bytes:
        """Nothing yet: the headers carry the tables, known only after the first pass."""
        return b""

    def check_rows(self, rows: Any) -> np.ndarray:
        """Check a piece of rows as :meth:`StripEncoder.check_rows` does, changing nothing."""
        if self.closed:
            raise ValueError("the encoder is closed; no more rows can be written")
        return self._buffer.check(rows, self.core.channels)

    def feed(self, rows: Any) -> list[bytes]:
        """Spool rows ``(n, width[, channels])``; nothing is output before :meth:`finish`.

        A piece that fails :meth:`check_rows` is refused and changes nothing; any other
        failure aborts the encoder.
        """
        rows = self.check_rows(rows)
        try:
            for strip in self._buffer.add(rows):
                self._spool_strip(strip)
        except BaseException:
            self.abort()
            raise
        return []

    def _spool_strip(self, strip: np.ndarray) -> None:
        blocks = self.backend.transform(strip, self.plan)
        if self.plan.independent_strips:
            predictors = EntropyState.start(self.plan).dc_predictors
        else:
            predictors = self._predictors
        first_mcu = len(self._strip_rows) * self.plan.strip_mcu_rows * self.plan.mcus_per_row
        dc, ac, self._predictors = count_strip(self.backend, blocks, self.plan, predictors, first_mcu)
        self._counts.add(SymbolCounts(dc, ac))
        self.spool.append(blocks)
        self._strip_rows.append(self.plan.strip_rows(strip))

    def finish(self) -> Iterator[bytes]:
        """Second pass: headers with the optimal tables, the spooled strips, EOI."""
        self._buffer.check_finish(self.closed, self.abort)
        return self._second_pass()

    def _second_pass(self) -> Iterator[bytes]:
        try:
            self.core.replace_plan(self._counts.optimized_plan(self.plan))
            yield self.core.header()
            for rows, blocks in zip(self._strip_rows, self.spool.strips(), strict=True):
                yield from self.core.feed_blocks(blocks, rows)
            yield from self.core.finish()
        finally:
            self.abort()

    def abort(self) -> None:
        if not self.closed:
            self.closed = True
            self.spool.close()
            self.core.abort()
