"""The coefficient spool: quantized blocks kept between passes, in memory up to a budget, then on disk.

A two-pass encode (``optimize=True`` on a one-pass stream now; progressive JPEG, whose scans
each walk the whole image, next) needs every strip's quantized blocks again after the last row
has arrived. :class:`CoefficientSpool` keeps them, strip by strip, in the order appended:

* while the blocks held fit in ``budget`` bytes, as the NumPy arrays themselves: no copy into
  bytes, no copy back out;
* from the first strip that would go over the budget on, in an anonymous temporary file
  (``tempfile.TemporaryFile`` in ``directory``), written from the arrays' buffers and read
  back with ``numpy.fromfile``, straight into new arrays.

The strips already in memory stay there: memory never holds more than ``budget`` bytes of
blocks, and the disk only what went over it.

``tempfile.SpooledTemporaryFile`` does the same thing for bytes, and is not used because it
would cost copies a spool of arrays does not need: every strip would be turned into a bytes
object and copied into a growing ``BytesIO`` (twice the memory while it grows), every read
would copy it out again, and at the roll-over it writes everything it held to the file, where
this spool writes only what goes over the budget. It also cannot say when it rolled over.
"""

from __future__ import annotations

import tempfile
from collections.abc import Iterator, Sequence
from dataclasses import dataclass
from typing import IO

import numpy as np

from .options import DEFAULT_SPOOL_BUDGET

#: Blocks are stored as the backends produce them: int16 coefficients, native byte order
#: (the file is private to this process and never outlives it).
DTYPE = np.dtype(np.int16)


@dataclass(frozen=True)
class _SpooledStrip:
    """One strip's blocks: in memory (``arrays``), or ``shapes`` at ``offset`` in the file."""

    shapes: tuple[tuple[int, ...], ...]
    arrays: tuple[np.ndarray, ...] | None
    offset: int


class CoefficientSpool:
    """Strips of quantized blocks, appended once and read back, in order, as often as needed.

    Args:
        budget: bytes of blocks to hold in memory before spilling to disk; 0 = always disk
            (default :data:`stripjpeg.options.DEFAULT_SPOOL_BUDGET`, 32 MiB).
        directory: where the temporary file goes (None: ``tempfile.gettempdir()``). A tmpfs
            directory keeps the spilled part in RAM too.

    A strip is a sequence of arrays, one per component, each int16 (as ``Backend.transform``
    returns them, ``(block_rows, block_cols, 8, 8)``); the spool keeps any shape. Not
    thread-safe. Close it (or use it as a context manager) to delete the file; closing is
    safe more than once, and after it :meth:`append` and :meth:`strips` raise ValueError.
    """

    def __init__(self, budget: int = DEFAULT_SPOOL_BUDGET, directory: str | None = None) -> None:
        if isinstance(budget, bool) or not isinstance(budget, (int, np.integer)) or budget < 0:
            raise ValueError(f"budget must be a number of bytes >= 0, got {budget!r}")
        self.budget = int(budget)
        self.directory = directory
        self._strips: list[_SpooledStrip] = []
        self._file: IO[bytes] | None = None
        self._bytes = 0
        self._bytes_on_disk = 0
        self._closed = False

    # -- what it holds ---------------------------------------------------------------------

    @property
    def spool_bytes(self) -> int:
        """Bytes of blocks appended so far, in memory and on disk (still counted after close)."""
        return self._bytes

    @property
    def spool_bytes_on_disk(self) -> int:
        """Bytes of blocks written to the temporary file so far (still counted after close)."""
        return self._bytes_on_disk

    @property
    def spool_bytes_in_memory(self) -> int:
        """Bytes of blocks held as arrays: at most :attr:`budget`."""
        return self._bytes - self._bytes_on_disk

    @property
    def disk_file(self) -> IO[bytes] | None:
        """The open temporary file, or None: none was needed yet, or the spool is closed."""
        return self._file

    @property
    def strip_count(self) -> int:
        """Strips appended so far."""
        return len(self._strips)

    @property
    def closed(self) -> bool:
        return self._closed

    # -- writing and reading ---------------------------------------------------------------

    def append(self, blocks: Sequence[np.ndarray]) -> None:
        """Keep one strip's blocks (one int16 array per component) after those appended before.

        In memory if they fit in what is left of the budget and nothing was spilled yet;
        otherwise in the file, which is created on the first spill.
        """
        self._check_open()
        arrays = tuple(_owned_int16(b) for b in blocks)
        size = sum(a.nbytes for a in arrays)
        shapes = tuple(a.shape for a in arrays)
        if self._file is None and self._bytes + size <= self.budget:
            self._strips.append(_SpooledStrip(shapes, arrays, 0))
        else:
            if self._file is None:
                # Nameless on POSIX: nothing to find, or leave behind, in the directory.
                self._file = tempfile.TemporaryFile(prefix="stripjpeg-spool-", dir=self.directory)
            self._strips.append(_SpooledStrip(shapes, None, self._bytes_on_disk))
            self._file.seek(self._bytes_on_disk)
            for array in arrays:
                self._file.write(memoryview(array).cast("B"))  # the array's own buffer
            self._bytes_on_disk += size
        self._bytes += size

    def strips(self) -> Iterator[list[np.ndarray]]:
        """The strips, from the first, each as a list of arrays per component.

        Every call starts again from the first strip, so a multi-pass encode calls it once
        per pass; iterators may even be interleaved (each reads at its own offset). Arrays
        held in memory are handed out themselves, read-only: a pass must not change them for
        the next. Arrays read from the file are new, and read-only too.
        """
        self._check_open()
        for strip in self._strips:
            self._check_open()  # closed during the pass: stop rather than read a closed file
            if strip.arrays is not None:
                yield list(strip.arrays)
            else:
                yield self._read(strip)

    def _read(self, strip: _SpooledStrip) -> list[np.ndarray]:
        assert self._file is not None
        self._file.seek(strip.offset)
        arrays = []
        for shape in strip.shapes:
            count = int(np.prod(shape))
            array = np.fromfile(self._file, dtype=DTYPE, count=count)
            if array.size != count:
                raise OSError(f"the spool file ended early: {array.size} of {count} coefficients")
            array = array.reshape(shape)
            array.flags.writeable = False  # as the arrays held in memory (and one type for numba)
            arrays.append(array)
        return arrays

    def close(self) -> None:
        """Drop the arrays and delete the file. Safe to call more than once."""
        self._closed = True
        self._strips = []
        if self._file is not None:
            file, self._file = self._file, None
            file.close()

    def __enter__(self) -> CoefficientSpool:
        return self

    def __exit__(self, *exc_info: object) -> None:
        self.close()

    def _check_open(self) -> None:
        if self._closed:
            raise ValueError("the coefficient spool is closed")


class SpoolSizes:
    """What a core that keeps its blocks in ``self.spool`` (a :class:`CoefficientSpool`) says
    of it: the :class:`~stripjpeg.optimize.SpoolingEncoder` and the
    :class:`~stripjpeg.progressive_encoder.ProgressiveEncoder`."""

    spool: CoefficientSpool

    @property
    def spool_bytes(self) -> int:
        """Bytes of quantized blocks spooled so far, in memory and on disk."""
        return self.spool.spool_bytes

    @property
    def spool_bytes_on_disk(self) -> int:
        """Of :attr:`spool_bytes`, those that went over the budget to the spool's file."""
        return self.spool.spool_bytes_on_disk


def _owned_int16(blocks: np.ndarray) -> np.ndarray:
    """``blocks`` as a read-only C-contiguous int16 array over exactly its own bytes.

    A backend may return views into a larger scratch array (padding lanes, all components at
    once): keeping such a view would hold more memory than the budget counts, and the array
    could be reused for the next strip. Copy it then; a fresh array of its own is kept as is
    (not copied), so its owner must not change it after appending.
    """
    array = np.asarray(blocks)
    if array.dtype != DTYPE:
        raise TypeError(f"spooled blocks must be int16 coefficients, got {array.dtype}")
    if not (array.flags.c_contiguous and array.flags.owndata):
        array = array.copy(order="C")
    view = array.view()  # read-only for the passes; the caller's own array keeps its flags
    view.flags.writeable = False
    return view
