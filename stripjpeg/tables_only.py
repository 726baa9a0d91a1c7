"""The core of a tables-only stream (``streamtype=1``): the quantization and Huffman tables
alone, as TIFF's JPEGTables and DICOM keep them, with the rows of the image checked and counted
as every core does (:mod:`stripjpeg.encoder` builds it)."""

from __future__ import annotations

from typing import Any

import numpy as np

from . import markers
from .options import EncodeOptions, check_dimensions, check_mode
from .plan import make_plan
from .sources import sample_dtype
from .strips import StripBuffer
from .table_slots import table_slots


class TablesOnlyEncoder:
    """The core of a tables-only stream (``streamtype=1``, Pillow's and libjpeg's
    jpeg_write_tables): :meth:`header` is the whole output (SOI, DQT, DHT, EOI, see
    :func:`stripjpeg.markers.write_tables_only`); the rows are checked and counted as any
    core's are, so the doors behave alike, but no pixel is encoded.
    """

    def __init__(self, width: int, height: int, mode: str, options: EncodeOptions) -> None:
        check_dimensions(width, height)
        self.channels = check_mode(mode)
        self.options = options
        self.plan = make_plan(width, height, self.channels, options)  # the same checks
        self._buffer = StripBuffer(self.plan, sample_dtype(self.plan.precision))
        self.restart_offsets: list[int] = []
        self.spool_bytes = 0
        self.closed = False

    def header(self) -> bytes:
        """header returns the whole tables-only stream."""
        return markers.write_tables_only(*table_slots(self.options))

    def check_rows(self, rows: Any) -> np.ndarray:
        """Check a piece of rows as :meth:`StripEncoder.check_rows` does, changing nothing."""
        if self.closed:
            raise ValueError("the encoder is closed; no more rows can be written")
        return self._buffer.check(rows, self.channels)

    def feed(self, rows: Any) -> list[bytes]:
        """Count rows ``(n, width[, channels])``; a tables-only stream holds none of them."""
        self._buffer.rows_received += self.check_rows(rows).shape[0]
        return []

    def feed_strip(self, strip: Any) -> list[bytes]:
        """Count one whole strip (see :meth:`feed`)."""
        self._buffer.rows_received += strip.shape[0]
        return []

    @property
    def rows_received(self) -> int:
        """Pixel rows accepted so far."""
        return self._buffer.rows_received

    @property
    def buffered_rows(self) -> int:
        """0: rows are only counted."""
        return 0

    def finish(self) -> list[bytes]:
        """Nothing more; raises ValueError if rows are missing, as every core does."""
        self._buffer.check_finish(self.closed, self.abort)
        self.closed = True
        return []

    def abort(self) -> None:
        self.closed = True


# --- Building the core ---------------------------------------------------------------------
