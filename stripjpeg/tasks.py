"""The work of a batch of strips, as module-level functions so that process pools and Dask
workers can unpickle them (:class:`stripjpeg.encoder.StripEncoder` submits them through its
scheduler)."""

from __future__ import annotations

from typing import Any

from .backends import EntropyState, StageTable, start_state
from .plan import Plan
from .sources import materialize, materialize_all


def encode_strips_task(backend: StageTable, strips: list[Any], plan: Plan, transformed: bool) -> list[bytes]:
    """The work of a batch of independent strips, as a module-level function so process
    pools and Dask workers can unpickle it.

    Each strip is pixels (an ndarray, or a lazy dask strip computed here, on the worker), or
    with ``transformed`` the strip's quantized blocks. Returns each strip's bytes, in order.
    """
    if transformed:
        return [backend.entropy_code(blocks, plan, start_state(plan), final=True)[0]
                for blocks in strips]
    return backend.encode_strips(materialize_all(strips), plan)


def encode_interval_strips_task(backend: StageTable, strips: list[Any], plan: Plan,
                                transformed: bool, first_mcus: list[int]) -> list[list[bytes]]:
    """:func:`encode_strips_task` for strips of whole ``restart_blocks`` intervals: per strip
    (its first MCU in ``first_mcus``), its intervals' bytes, as
    :func:`~stripjpeg.stages.huffman.interval_encode` cuts them."""
    out = []
    for strip, first_mcu in zip(strips, first_mcus, strict=True):
        blocks = strip if transformed else backend.transform(materialize(strip), plan)
        out.append(backend.interval_encode(blocks, plan, EntropyState.start(plan), first_mcu)[0])
    return out
