"""Row buffering: rows arrive in pieces of any height; backends get whole strips.

A strip is ``plan.strip_height`` pixel rows (whole MCU rows), the last one possibly
shorter. Pieces that already hold whole strips are cut into views, not copied; only
rows that straddle a strip boundary are gathered into a new array. Edge replication is the
backend's first stage, not done here, because its order relative to downsampling matters
(see ``numpy_backend.component_samples``).
"""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

import numpy as np

from .plan import Plan


def as_pixel_array(pixels: Any, what: str = "pixels") -> np.ndarray:
    """Return ``pixels`` as a uint8 ndarray, refusing anything that would need a cast.

    Raises:
        TypeError: not array-like, or a dtype other than uint8 (no silent conversion: a
            float image in 0..1 or an int64 array would otherwise encode as garbage).
    """
    if not isinstance(pixels, np.ndarray):
        if not hasattr(pixels, "__array__") and not isinstance(pixels, (list, tuple)):
            raise TypeError(f"{what} must be a numpy array of uint8, got {type(pixels).__name__}")
        pixels = np.asarray(pixels)
    if pixels.dtype != np.uint8:
        raise TypeError(f"{what} must have dtype uint8, got {pixels.dtype}; convert explicitly "
                        f"(e.g. np.clip(x, 0, 255).astype(np.uint8)) if that is what you mean")
    return pixels


def image_mode(pixels: np.ndarray) -> str:
    """The mode ("L", "RGB" or "RGBA") of a whole image array, from its shape.

    Raises:
        ValueError: not ``(H, W)``, ``(H, W, 1)``, ``(H, W, 3)`` or ``(H, W, 4)``.
    """
    if pixels.ndim == 2 or (pixels.ndim == 3 and pixels.shape[2] == 1):
        return "L"
    if pixels.ndim == 3 and pixels.shape[2] in (3, 4):
        return "RGB" if pixels.shape[2] == 3 else "RGBA"
    raise ValueError(f"pixels must have shape (H, W) for grayscale, (H, W, 3) for RGB or "
                     f"(H, W, 4) for RGBA; got shape {pixels.shape}")


def as_rows(piece: Any, width: int, channels: int) -> np.ndarray:
    """Check one piece of rows and view it as ``(n, width, channels)``.

    Raises:
        TypeError: wrong dtype. ValueError: wrong width or channel count, or no rows.
    """
    rows = as_pixel_array(piece, "rows")
    if rows.ndim == 2 and channels == 1:
        rows = rows[:, :, np.newaxis]
    expected = f"(n, {width})" if channels == 1 else f"(n, {width}, {channels})"
    if rows.ndim != 3 or rows.shape[1] != width or rows.shape[2] != channels:
        raise ValueError(f"rows must have shape {expected}, got {rows.shape}")
    if rows.shape[0] == 0:
        raise ValueError("rows must hold at least one row, got 0")
    return rows


def is_lazy_array(pixels: Any) -> bool:
    """True for an array computed on demand (a dask array): not an ndarray, but with
    ``shape``, ``dtype`` and ``compute``. Such images are read strip by strip, never whole."""
    return (not isinstance(pixels, np.ndarray) and hasattr(pixels, "compute")
            and hasattr(pixels, "shape") and hasattr(pixels, "dtype"))


def whole_image(pixels: Any) -> np.ndarray:
    """Check a whole image and view it as ``(H, W, C)``: an ndarray (any layout, memmaps
    included) or a dask array, which is left lazy and computed strip by strip."""
    if is_lazy_array(pixels):
        if pixels.dtype != np.uint8:
            raise TypeError(f"pixels must have dtype uint8, got {pixels.dtype}")
    else:
        pixels = as_pixel_array(pixels)
    image_mode(pixels)
    if pixels.ndim == 2:
        pixels = pixels[:, :, np.newaxis]
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


class StripBuffer:
    """Turns pieces of rows into strips of ``plan.strip_height`` rows, in order.

    Attributes:
        rows_received: rows accepted so far.
    """

    def __init__(self, plan: Plan) -> None:
        self.plan = plan
        self.rows_received = 0
        self._pending: list[np.ndarray] = []
        self._pending_rows = 0

    def check(self, piece: Any, channels: int) -> np.ndarray:
        """Check a piece of rows before it is accepted, changing nothing: a rejected piece
        leaves the buffer (and the encoder) as it was. Returns it as ``(n, width, channels)``.

        Raises:
            TypeError: wrong dtype. ValueError: wrong shape, no rows, or more rows in all
            than the image height.
        """
        rows = as_rows(piece, self.plan.width, channels)
        if self.rows_received + rows.shape[0] > self.plan.height:
            raise ValueError(f"too many rows: {self.rows_received} received, {rows.shape[0]} more "
                             f"would exceed the image height {self.plan.height}")
        return rows

    def add(self, rows: np.ndarray) -> list[np.ndarray]:
        """Accept rows that passed :meth:`check`; return the strips now complete."""
        height = self.plan.height
        self.rows_received += rows.shape[0]
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
    def complete(self) -> bool:
        """True once all ``plan.height`` rows have been received."""
        return self.rows_received == self.plan.height
