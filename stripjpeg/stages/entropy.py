"""What every entropy coder shares: the state carried between strips, and closing a scan.

Without restart markers (serial mode) the orchestrator hands each strip the
:class:`EntropyState` the previous one ended with, so the coders themselves stay pure
functions of (blocks, plan, state).
"""

from __future__ import annotations

from dataclasses import dataclass

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
