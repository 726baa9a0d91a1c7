"""The backend contract: what every engine must do, and nothing about files.

A backend turns the pixels of one strip (whole MCU rows, the last strip possibly shorter)
into the entropy-coded bytes of that strip, given a frozen :class:`~stripjpeg.plan.Plan`.
It writes no markers and keeps no state between calls; the orchestrator places RSTn
markers between strips, or, without restart markers, hands each strip the
:class:`EntropyState` the previous one ended with.

The work splits in two halves, which backends expose separately for teaching,
coefficient I/O and two-pass (optimized Huffman) encoding:

* :meth:`Backend.transform`: pixels -> quantized coefficient blocks (colour conversion,
  downsampling, edge padding, DCT, quantization, dummy blocks);
* :meth:`Backend.entropy_encode`: coefficient blocks -> bytes (DC prediction, run-length
  symbols, Huffman codes, bit packing with 0xFF stuffing).

Coefficient blocks are, per component, an int16 array of shape
``(block_rows, block_cols, 8, 8)`` in natural order ``[v][u]``, covering every block of the
strip's MCUs, dummy blocks included: ``block_rows = mcu_rows_in_strip * V`` and
``block_cols = mcus_per_row * H``.
"""

from __future__ import annotations

from abc import ABC, abstractmethod
from collections.abc import Sequence
from dataclasses import dataclass

import numpy as np

from ..plan import Plan


@dataclass(frozen=True)
class EntropyState:
    """What the entropy coder carries from one strip to the next when there are no
    restart markers (serial mode).

    Attributes:
        dc_predictors: last DC value coded per component (T.81 F.1.1.5.1), Y first.
        pending_bits: bits not yet forming a whole byte, right-aligned.
        pending_count: how many bits are pending (0..7).
    """

    dc_predictors: tuple[int, ...]
    pending_bits: int = 0
    pending_count: int = 0

    @classmethod
    def start(cls, plan: Plan) -> EntropyState:
        """The state at the start of a scan or restart interval: every predictor 0 (F.1.1.5.1)."""
        return cls(dc_predictors=(0,) * len(plan.components))


def final_byte(state: EntropyState) -> bytes:
    """Close a scan: pad the pending bits with 1-bits to a byte (T.81 F.1.2.3), stuffed."""
    if state.pending_count == 0:
        return b""
    pad = 8 - state.pending_count
    byte = (state.pending_bits << pad) | ((1 << pad) - 1)
    return bytes([byte, 0]) if byte == 0xFF else bytes([byte])


class Backend(ABC):
    """An encoding engine. Subclasses implement the two halves; the whole-strip calls
    compose them, and a fast backend may override those with a fused kernel."""

    #: Name in the registry (``stripjpeg.backends.get(name)``).
    name: str = ""
    #: Whether strips run faster on several threads (the work releases the GIL). When it
    #: does not, ``workers=None`` means one thread: a second one only adds contention.
    threads_help: bool = True

    @abstractmethod
    def transform(self, pixels: np.ndarray, plan: Plan) -> list[np.ndarray]:
        """Pixels of one strip -> quantized coefficient blocks, one array per component.

        Args:
            pixels: uint8, shape ``(rows, plan.width, plan.input_channels)``; ``rows`` is
                ``plan.strip_height`` except for the last strip, which may be shorter.
            plan: the image's plan.
        """

    @abstractmethod
    def entropy_encode(self, blocks: list[np.ndarray], plan: Plan,
                       state: EntropyState, final: bool) -> tuple[bytes, EntropyState]:
        """Huffman-code coefficient blocks, MCU by MCU, starting from ``state``.

        Args:
            blocks: per component, int16 ``(block_rows, block_cols, 8, 8)``, natural order.
            plan: the image's plan (Huffman tables, sampling factors).
            state: DC predictors and pending bits to start from.
            final: pad the last byte with 1-bits (end of a restart interval or of the scan)
                and return a state with nothing pending.

        Returns:
            ``(data, state)``: whole bytes with 0xFF stuffed, and the state to continue from.
        """

    def count_symbols(self, blocks: list[np.ndarray], plan: Plan, predictors: tuple[int, ...]
                      ) -> tuple[np.ndarray, np.ndarray, tuple[int, ...]]:
        """Count the Huffman symbols coding ``blocks`` would use, per table (optimize=True).

        Returns:
            ``(dc, ac, predictors)``: int64 ``(n_tables, 256)`` counts, and the DC
            predictors after the last block. The default is the NumPy implementation.
        """
        from .numpy_huffman import count_symbols

        return count_symbols(blocks, plan, predictors)

    def encode_strip(self, pixels: np.ndarray, plan: Plan) -> bytes:
        """Pixels of one strip -> one complete restart interval of entropy-coded bytes:
        DC predictors start at 0, 0xFF is stuffed, the last byte is padded with 1-bits."""
        data, _ = self.entropy_encode(self.transform(pixels, plan), plan,
                                      EntropyState.start(plan), final=True)
        return data

    def encode_strips(self, strips: Sequence[np.ndarray], plan: Plan) -> list[bytes]:
        """Several independent strips, each as :meth:`encode_strip`; a backend may do them in
        one call (the orchestrator hands batches of strips to each task)."""
        return [self.encode_strip(strip, plan) for strip in strips]

    def encode_strip_continued(self, pixels: np.ndarray, plan: Plan,
                               state: EntropyState) -> tuple[bytes, EntropyState]:
        """Pixels of one strip of a scan without restart markers, continuing from ``state``.

        The partial last byte is not padded but returned in the new state."""
        return self.entropy_encode(self.transform(pixels, plan), plan, state, final=False)

    def __reduce__(self) -> tuple:
        # Backends pickle by name, so a process pool or a Dask worker gets its own instance.
        from . import get
        return (get, (self.name,))
