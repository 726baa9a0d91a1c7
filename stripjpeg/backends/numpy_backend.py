"""The textbook backend: every stage is the NumPy stage of :mod:`stripjpeg.stages`.

It overrides nothing, so its stage table (:meth:`~.base.Backend.stage_table`) is the
defaults themselves; read :mod:`stripjpeg.stages` to learn JPEG.
"""

from __future__ import annotations

from .base import Backend


class NumpyBackend(Backend):
    """The readable reference engine, in NumPy (and SciPy for the exact DCT)."""

    name = "numpy"
    #: NumPy holds the GIL between its many small array operations, so a second thread
    #: mostly waits; on wide strips, where the arrays are larger, two threads gain a little
    #: (benchmarks/executors.py prints both; docs/performance.md). The default is one.
    threads_help = False
