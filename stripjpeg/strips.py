"""Row buffering: rows arrive in pieces of any height; backends get whole strips.

(Turning what the user hands over, arrays, memmaps, dask arrays, into pixels is
:mod:`stripjpeg.sources`'s work; this module only cuts and gathers rows.)

A strip is ``plan.strip_height`` pixel rows (whole MCU rows), the last one possibly
shorter. Pieces that already hold whole strips are cut into views, not copied; only
rows that straddle a strip boundary are gathered into a new array. Edge replication is the
backend's first stage, not done here, because its order relative to downsampling matters
(see ``stages.samples.component_samples``).

With smoothing (``plan.context_rows`` = 1) each strip also carries the row above it and the
row below it, so that strips stay independent: the buffer keeps a copy of the previous
strip's last row, and holds a strip back until the next strip's first row has arrived (or
the image has ended: its last row is then repeated below it, and at the top its first row
above it, as jcprepct.c pads the image). Such strips are always new arrays, gathered from the
pieces, never views of them.
"""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

import numpy as np

from .plan import Plan
from .sources import as_pixel_array


def as_rows(piece: Any, width: int, channels: int, dtype: Any = np.uint8) -> np.ndarray:
    """Check one piece of rows and view it as ``(n, width, channels)``.

    Raises:
        TypeError: wrong dtype. ValueError: wrong width or channel count, or no rows.
    """
    rows = as_pixel_array(piece, "rows", dtype)
    if rows.ndim == 2 and channels == 1:
        rows = rows[:, :, np.newaxis]
    expected = f"(n, {width})" if channels == 1 else f"(n, {width}, {channels})"
    if rows.ndim != 3 or rows.shape[1] != width or rows.shape[2] != channels:
        raise ValueError(f"rows must have shape {expected}, got {rows.shape}")
    if rows.shape[0] == 0:
        raise ValueError("rows must hold at least one row, got 0")
    return rows


class StripBuffer:
    """Turns pieces of rows into strips of ``plan.strip_height`` rows, in order.

    Attributes:
        rows_received: rows accepted so far.
    """

    def __init__(self, plan: Plan, dtype: Any = np.uint8) -> None:
        self.plan = plan
        self.dtype = dtype  # uint8; uint16 for lossless samples of more than 8 bits
        self.rows_received = 0
        self._pending: list[np.ndarray] = []
        self._pending_rows = 0
        self._above: np.ndarray | None = None  # with context rows: the last strip's last row

    @property
    def strips_are_copies(self) -> bool:
        """Whether every strip :meth:`add` returns is a new array (with context rows), which
        the caller may keep without copying it."""
        return bool(self.plan.context_rows)

    def check(self, piece: Any, channels: int) -> np.ndarray:
        """Check a piece of rows before it is accepted, changing nothing: a rejected piece
        leaves the buffer (and the encoder) as it was. Returns it as ``(n, width, channels)``.

        Raises:
            TypeError: wrong dtype. ValueError: wrong shape, no rows, or more rows in all
            than the image height.
        """
        rows = as_rows(piece, self.plan.width, channels, self.dtype)
        if self.rows_received + rows.shape[0] > self.plan.height:
            raise ValueError(f"too many rows: {self.rows_received} received, {rows.shape[0]} more "
                             f"would exceed the image height {self.plan.height}")
        return rows

    def add(self, rows: np.ndarray) -> list[np.ndarray]:
        """Accept rows that passed :meth:`check`; return the strips now complete (with
        ``plan.context_rows``, each with its row above and its row below)."""
        height = self.plan.height
        self.rows_received += rows.shape[0]
        if self.plan.context_rows:
            return self._add_with_context(rows)
        size = self.plan.strip_height
        strips = []
        if self._pending_rows:
            take = min(size - self._pending_rows, rows.shape[0])
            self._pending.append(rows[:take].copy())
            self._pending_rows += take
            rows = rows[take:]
            if self._pending_rows == size:
                strips.append(np.concatenate(self._pending))
                self._pending, self._pending_rows = [], 0
        whole = rows.shape[0] // size * size
        strips += [rows[start:start + size] for start in range(0, whole, size)]
        if whole < rows.shape[0]:
            # Copied: the caller may reuse its buffer for the next piece.
            self._pending, self._pending_rows = [rows[whole:].copy()], rows.shape[0] - whole
        if self.rows_received == height and self._pending_rows:
            strips.append(np.concatenate(self._pending))  # the last, shorter strip
            self._pending, self._pending_rows = [], 0
        return strips

    def _add_with_context(self, rows: np.ndarray) -> list[np.ndarray]:
        """:meth:`add` with one context row above and below each strip (smoothing's).

        A strip goes out once the row below it is here: ``strip_height + 1`` rows pending, or
        all of the image's rows. That row below stays pending (it is the next strip's first),
        and a copy of the strip's last row is kept as the next strip's row above.
        """
        size = self.plan.strip_height
        strips = []
        while True:
            needed = size + 1 - self._pending_rows  # from the piece: the strip's rest and the row below
            if rows.shape[0] >= needed:
                strip = np.concatenate(self._with_row_above([*self._pending, rows[:needed]]))
                rows = rows[needed:]
                strips.append(strip)
                self._above = strip[-2:-1].copy()
                self._pending, self._pending_rows = [strip[-1:].copy()], 1
            elif self.complete and self._pending_rows + rows.shape[0]:
                parts = [part for part in (*self._pending, rows) if part.shape[0]]
                # The last strip: its last row again below it.
                strips.append(np.concatenate(self._with_row_above([*parts, parts[-1][-1:]])))
                self._pending, self._pending_rows = [], 0
                return strips
            else:
                if rows.shape[0]:
                    # Copied: the caller may reuse its buffer for the next piece.
                    self._pending.append(rows.copy())
                    self._pending_rows += rows.shape[0]
                return strips

    def _with_row_above(self, parts: list[np.ndarray]) -> list[np.ndarray]:
        """``parts``, a strip's rows (and the row below it), after its context row above: the
        previous strip's last row, or at the image's top its first row again (jcprepct.c)."""
        return [parts[0][:1] if self._above is None else self._above, *parts]

    def check_finish(self, closed: bool, abort: Callable[[], None]) -> None:
        """Before an encoder finishes: raise ValueError if it is ``closed`` already, or, after
        calling ``abort`` (which frees the executor and the output), if rows are missing."""
        if closed:
            raise ValueError("the encoder is already closed")
        error = self.shortfall()
        if error is not None:
            abort()
            raise error

    def shortfall(self) -> ValueError | None:
        """The error for an image that ends before its last row, or None if all rows came."""
        if self.complete:
            return None
        return ValueError(f"too few rows: got {self.rows_received} of the image height {self.plan.height}")

    @property
    def buffered_rows(self) -> int:
        """Rows received but not yet handed out in a strip (fewer than ``plan.strip_height``;
        with context rows at most ``strip_height + 1``, the row kept above included): the rows
        this buffer holds copies of."""
        return self._pending_rows + int(self._above is not None and self._pending_rows > 0)

    @property
    def complete(self) -> bool:
        """True once all ``plan.height`` rows have been received."""
        return self.rows_received == self.plan.height


def joined_rows(pieces: list[np.ndarray]) -> np.ndarray:
    """Consecutive pieces of rows as one array: a view, without a copy, when they are
    C-contiguous and lie one after another in memory (consecutive row ranges of one array,
    as the strips of an image in memory are); else a copy."""
    first = pieces[0]
    if len(pieces) == 1:
        return first
    address = first.ctypes.data
    for piece in pieces:
        if (piece.dtype != first.dtype or piece.shape[1:] != first.shape[1:]
                or not piece.flags.c_contiguous or piece.ctypes.data != address):
            return np.concatenate(pieces)
        address += piece.nbytes
    rows = sum(piece.shape[0] for piece in pieces)
    # Writeable as the pieces are (a read-only view would compile a kernel once more).
    return np.lib.stride_tricks.as_strided(first, (rows, *first.shape[1:]), first.strides)
