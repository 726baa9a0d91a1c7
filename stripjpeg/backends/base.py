"""The backend contract: a backend is a set of stage implementations, chosen once per encode.

A strip goes through four stages (of :data:`STAGES`), each a pure function of (data, plan)::

    prepare_samples   pixels -> samples per component   (stages.samples.prepare_samples)
    forward_dct       samples -> quantized blocks       (stages.quantize.quantized_blocks)
    entropy_encode    blocks -> bytes, from a state     (stages.huffman.entropy_encode)
    count_symbols     blocks -> symbol counts           (stages.huffman.count_symbols)
    arithmetic_encode blocks -> bytes, from a state     (stages.arithmetic.arithmetic_encode)

with ``restart_blocks`` (intervals of N MCUs, mid-row too) the last two are instead::

    interval_encode   blocks -> bytes cut at the intervals, from a state  (stages.huffman)
    interval_count    blocks -> symbol counts, predictors reset likewise  (stages.huffman)

and a progressive scan (several per image) codes its part of every strip's blocks with two more::

    progressive_encode  blocks of a scan -> bytes         (stages.progressive.progressive_encode)
    progressive_count   blocks of a scan -> symbol counts (stages.progressive.progressive_count)
    progressive_arithmetic_encode   blocks of a scan -> bytes, arithmetic-coded
                                    (stages.arithmetic.progressive_arithmetic_encode)

With ``plan.arithmetic`` the arithmetic stages take the place of the Huffman ones
(``entropy_encode``, ``progressive_encode``; nothing is counted) and the fused paths, which
end in Huffman coding, are not used.

and a lossless file (T.81 Annex H) codes each strip's samples with two of its own, from the
samples, with a :class:`~stripjpeg.lossless_plan.LosslessPlan` (which has no DCT and no colour
conversion, so a backend's lossy stages are declined for it, or never called)::

    lossless_count      samples -> size-category counts (stages.lossless.lossless_count)
    lossless_encode     samples -> bytes, from a state  (stages.lossless.lossless_encode)

The default of every stage is the NumPy stage of :mod:`stripjpeg.stages`. A backend
overrides only the stages it speeds up (a method of the same name), may decline one of them
for a given plan (:meth:`Backend.declines`), and may add *fused* paths (:data:`FUSED`) that
run several stages in a row in one call: ``transform_fused`` (prepare_samples and
forward_dct) and ``encode_strips_fused`` with ``encode_strip_continued_fused`` (all three
stages a strip needs, pixels to bytes).

:meth:`Backend.stage_table` resolves this once per encode into a frozen, picklable
:class:`StageTable`, as libjpeg-turbo's method table picks SIMD or plain C per function
(jsimd.c) with the plain version always there: each stage is the backend's own, unless it
declines it for this plan or ``$STRIPJPEG_FALLBACK`` forces the NumPy stage; a fused path is
used only when every stage it covers is the backend's own. The orchestrator calls only the
table. Since every override must write what the NumPy stage writes (tests/test_backend_stages.py
checks each one), every backend writes the same bytes for every option.

Blocks, the currency between stages, are per component an int16 array of shape
``(block_rows, block_cols, 8, 8)`` in natural order ``[v][u]``, covering every block of the
strip's MCUs, dummy blocks included: ``block_rows = mcu_rows_in_strip * V`` and
``block_cols = mcus_per_row * H``.
"""

from __future__ import annotations

import os
from collections.abc import Callable, Sequence
from dataclasses import dataclass

import numpy as np

from ..lossless_plan import LosslessPlan
from ..plan import Plan, Scan
from ..stages import arithmetic, huffman, lossless, progressive
from ..stages.arithmetic import ArithmeticState
from ..stages.entropy import EntropyState
from ..stages.entropy import final_byte as huffman_final_byte
from ..stages.quantize import quantized_blocks
from ..stages.samples import prepare_samples

__all__ = ["FALLBACK_VARIABLE", "FUSED", "STAGES", "ArithmeticState", "Backend", "EntropyState",
           "StageTable", "final_byte", "forced_fallbacks", "start_state"]

#: The stages a backend may override, in the order a strip goes through them.
STAGES = ("prepare_samples", "forward_dct", "entropy_encode", "count_symbols",
          "interval_encode", "interval_count", "progressive_encode", "progressive_count",
          "lossless_count", "lossless_encode", "arithmetic_encode", "progressive_arithmetic_encode")

#: Fused paths -> the stages each runs in one call; used only when all are the backend's own.
FUSED = {
    "transform": ("prepare_samples", "forward_dct"),
    "encode_strips": ("prepare_samples", "forward_dct", "entropy_encode"),
}

#: The NumPy stage of each name: every backend's default.
NUMPY_STAGES: dict[str, Callable] = {
    "prepare_samples": prepare_samples,
    "forward_dct": quantized_blocks,
    "entropy_encode": huffman.entropy_encode,
    "count_symbols": huffman.count_symbols,
    "interval_encode": huffman.interval_encode,
    "interval_count": huffman.interval_count,
    "progressive_encode": progressive.progressive_encode,
    "progressive_count": progressive.progressive_count,
    "lossless_count": lossless.lossless_count,
    "lossless_encode": lossless.lossless_encode,
    "arithmetic_encode": arithmetic.arithmetic_encode,
    "progressive_arithmetic_encode": arithmetic.progressive_arithmetic_encode,
}

#: What a coder carries between strips of a scan without restart markers.
CarriedState = EntropyState | ArithmeticState


def start_state(plan: Plan) -> CarriedState:
    """The entropy coder's state at the start of a scan or restart interval: Huffman's
    :class:`EntropyState`, or with ``plan.arithmetic`` the QM coder's :class:`ArithmeticState`."""
    return ArithmeticState.start(plan) if plan.arithmetic else EntropyState.start(plan)


def final_byte(state: CarriedState) -> bytes:
    """Close a scan without restart markers: Huffman's padded last byte (F.1.2.3), or the
    arithmetic coder's flush (D.1.8)."""
    if isinstance(state, ArithmeticState):
        return arithmetic.flush_bytes(state)
    return huffman_final_byte(state)

#: Set to ``all``, or to stage names separated by commas (from :data:`STAGES` and
#: :data:`FUSED`), to force the NumPy stage for them: read when a table is built.
FALLBACK_VARIABLE = "STRIPJPEG_FALLBACK"


def forced_fallbacks() -> frozenset[str]:
    """The stages ``$STRIPJPEG_FALLBACK`` forces to the NumPy stage (empty when unset).

    Raises:
        ValueError: a name that is neither ``all`` nor a stage, naming the known ones.
    """
    value = os.environ.get(FALLBACK_VARIABLE, "")
    names = {name.strip() for name in value.split(",")} - {""}
    if "all" in names:
        return frozenset(STAGES) | frozenset(FUSED)
    known = (*STAGES, *FUSED)
    unknown = sorted(names - set(known))
    if unknown:
        raise ValueError(f"${FALLBACK_VARIABLE} names unknown stage(s) {', '.join(unknown)}; "
                         f"known: all, {', '.join(known)}")
    return frozenset(names)


@dataclass(frozen=True)
class StageTable:
    """The stage implementations one encode uses, resolved once (:meth:`Backend.stage_table`).

    Frozen and picklable (functions by name, a backend's methods through the backend's
    name), so a process pool or a Dask worker runs the very same choice.

    Attributes:
        name: the backend's name.
        threads_help: the backend's :attr:`Backend.threads_help`.
        prepare_samples, forward_dct, entropy_encode, count_symbols, interval_encode,
        interval_count, progressive_encode, progressive_count, lossless_count,
        lossless_encode, arithmetic_encode, progressive_arithmetic_encode: each stage, as
            the backend's method or the NumPy function of :data:`NUMPY_STAGES`.
        transform_fused, encode_strips_fused, encode_strip_continued_fused: the backend's
            fused paths, or None where it has none or a stage they cover fell back.
        fallbacks: the stages (and fused paths) the backend offers but this table replaced by
            NumPy's, because the backend declined them for the plan or they were forced.
    """

    name: str
    threads_help: bool
    prepare_samples: Callable
    forward_dct: Callable
    entropy_encode: Callable
    count_symbols: Callable
    interval_encode: Callable
    interval_count: Callable
    progressive_encode: Callable
    progressive_count: Callable
    lossless_count: Callable
    lossless_encode: Callable
    arithmetic_encode: Callable
    progressive_arithmetic_encode: Callable
    transform_fused: Callable | None = None
    encode_strips_fused: Callable | None = None
    encode_strip_continued_fused: Callable | None = None
    fallbacks: frozenset[str] = frozenset()

    def transform(self, pixels: np.ndarray, plan: Plan) -> list[np.ndarray]:
        """Pixels of one strip -> quantized coefficient blocks, one array per component.

        Args:
            pixels: uint8, shape ``(rows, plan.width, plan.input_channels)``; ``rows`` is
                ``plan.strip_height`` except for the last strip, which may be shorter, plus
                ``2 * plan.context_rows`` (smoothing's row above and row below).
        """
        if self.transform_fused is not None:
            return self.transform_fused(pixels, plan)
        return self.forward_dct(self.prepare_samples(pixels, plan), plan, plan.strip_rows(pixels))

    def encode_strip(self, pixels: np.ndarray, plan: Plan) -> bytes:
        """Pixels of one strip -> one complete restart interval of entropy-coded bytes:
        DC predictors start at 0, 0xFF is stuffed, the last byte is padded with 1-bits."""
        return self.encode_strip_continued(pixels, plan, start_state(plan), final=True)[0]

    def entropy_code(self, blocks: list[np.ndarray], plan: Plan, state: CarriedState,
                     final: bool) -> tuple[bytes, CarriedState]:
        """Entropy-code one strip's blocks from ``state``: ``arithmetic_encode`` with
        ``plan.arithmetic``, else ``entropy_encode``."""
        if plan.arithmetic:
            return self.arithmetic_encode(blocks, plan, state, final)
        return self.entropy_encode(blocks, plan, state, final)

    def encode_strips(self, strips: Sequence[np.ndarray], plan: Plan) -> list[bytes]:
        """Several independent strips, each as :meth:`encode_strip` (a fused path may do them
        in one call: the orchestrator hands batches of strips to each task)."""
        if self.encode_strips_fused is not None and not plan.arithmetic:
            return self.encode_strips_fused(strips, plan)
        return [self.encode_strip(strip, plan) for strip in strips]

    def encode_strip_continued(self, pixels: np.ndarray, plan: Plan, state: EntropyState,
                               final: bool = False) -> tuple[bytes, EntropyState]:
        """Pixels of one strip of a scan without restart markers, continuing from ``state``.

        The partial last byte is not padded but returned in the new state (with ``final``,
        it is padded, as :meth:`encode_strip` needs)."""
        if self.encode_strip_continued_fused is not None and not plan.arithmetic:
            return self.encode_strip_continued_fused(pixels, plan, state, final)
        return self.entropy_code(self.transform(pixels, plan), plan, state, final)


class Backend:
    """An encoding engine: the NumPy stages, with any of them overridden by a subclass.

    Override a stage by defining the method of its name (same signature and result as the
    NumPy stage); add a fused path by defining ``transform_fused``, or ``encode_strips_fused``
    and ``encode_strip_continued_fused`` together. :meth:`stage_table` picks what is used.
    """

    #: Name in the registry (``stripjpeg.backends.get(name)``).
    name: str = ""
    #: Whether strips run faster on several threads (the work releases the GIL). When it
    #: does not, ``workers=None`` means one thread: a second one only adds contention.
    threads_help: bool = True

    #: Fused paths (see :data:`FUSED`); None: the table composes the stages.
    transform_fused: Callable[[np.ndarray, Plan], list[np.ndarray]] | None = None
    encode_strips_fused: Callable[[Sequence[np.ndarray], Plan], list[bytes]] | None = None
    encode_strip_continued_fused: Callable[..., tuple[bytes, EntropyState]] | None = None

    #: Every method a table may take from the backend.
    _NAMES = (*STAGES, *(f"{path}_fused" for path in FUSED), "encode_strip_continued_fused")

    # -- the stages: each default is the NumPy stage ---------------------------------------------

    def prepare_samples(self, pixels: np.ndarray, plan: Plan) -> list[np.ndarray]:
        """Pixels of one strip -> samples per component (see :func:`.samples.prepare_samples`)."""
        return prepare_samples(pixels, plan)

    def forward_dct(self, samples: list[np.ndarray], plan: Plan, rows: int) -> list[np.ndarray]:
        """Samples -> quantized blocks per component (see :func:`.quantize.quantized_blocks`)."""
        return quantized_blocks(samples, plan, rows)

    def entropy_encode(self, blocks: list[np.ndarray], plan: Plan,
                       state: EntropyState, final: bool) -> tuple[bytes, EntropyState]:
        """Huffman-code blocks, MCU by MCU, from ``state`` (see :func:`.huffman.entropy_encode`)."""
        return huffman.entropy_encode(blocks, plan, state, final)

    def arithmetic_encode(self, blocks: list[np.ndarray], plan: Plan, state: ArithmeticState,
                          final: bool) -> tuple[bytes, ArithmeticState]:
        """Arithmetic-code blocks, MCU by MCU, from ``state`` (see
        :func:`.arithmetic.arithmetic_encode`)."""
        return arithmetic.arithmetic_encode(blocks, plan, state, final)

    def progressive_arithmetic_encode(self, blocks: list[np.ndarray], rows: int, scan: Scan,
                                      plan: Plan, state: ArithmeticState | None
                                      ) -> tuple[list[bytes], ArithmeticState | None]:
        """Arithmetic-code one strip of a progressive scan (see
        :func:`.arithmetic.progressive_arithmetic_encode`)."""
        return arithmetic.progressive_arithmetic_encode(blocks, rows, scan, plan, state)

    def count_symbols(self, blocks: list[np.ndarray], plan: Plan, predictors: tuple[int, ...]
                      ) -> tuple[np.ndarray, np.ndarray, tuple[int, ...]]:
        """Count the Huffman symbols coding ``blocks`` would use, per table (optimize=True).

        Returns:
            ``(dc, ac, predictors)``: int64 ``(n_tables, 256)`` counts, and the DC
            predictors after the last block (see :func:`.huffman.count_symbols`).
        """
        return huffman.count_symbols(blocks, plan, predictors)

    def interval_encode(self, blocks: list[np.ndarray], plan: Plan, state: EntropyState,
                        first_mcu: int) -> tuple[list[bytes], EntropyState]:
        """Huffman-code blocks with ``restart_blocks`` intervals, mid-row too, cut into pieces
        where intervals begin (see :func:`.huffman.interval_encode`)."""
        return huffman.interval_encode(blocks, plan, state, first_mcu)

    def interval_count(self, blocks: list[np.ndarray], plan: Plan, predictors: tuple[int, ...],
                       first_mcu: int) -> tuple[np.ndarray, np.ndarray, tuple[int, ...]]:
        """Count the symbols :meth:`interval_encode` codes (see :func:`.huffman.interval_count`)."""
        return huffman.interval_count(blocks, plan, predictors, first_mcu)

    def progressive_encode(self, blocks: list[np.ndarray], rows: int, scan: Scan, plan: Plan,
                           codes: np.ndarray, lengths: np.ndarray,
                           state: progressive.ScanState | None
                           ) -> tuple[list[bytes], progressive.ScanState | None]:
        """Code one strip of a progressive scan (see :func:`.progressive.progressive_encode`)."""
        return progressive.progressive_encode(blocks, rows, scan, plan, codes, lengths, state)

    def progressive_count(self, blocks: list[np.ndarray], rows: int, scan: Scan, plan: Plan,
                          state: progressive.ScanState | None
                          ) -> tuple[np.ndarray, progressive.ScanState | None]:
        """Count one strip's symbols of a progressive scan (see
        :func:`.progressive.progressive_count`)."""
        return progressive.progressive_count(blocks, rows, scan, plan, state)

    def lossless_count(self, strip: np.ndarray, above: np.ndarray | None, plan: LosslessPlan
                       ) -> tuple[np.ndarray, np.ndarray]:
        """Count a lossless strip's size categories (see :func:`.lossless.lossless_count`)."""
        return lossless.lossless_count(strip, above, plan)

    def lossless_encode(self, strip: np.ndarray, above: np.ndarray | None, plan: LosslessPlan,
                        pending: tuple[int, int], final: bool
                        ) -> tuple[bytes, tuple[int, int], np.ndarray]:
        """Code a lossless strip (see :func:`.lossless.lossless_encode`)."""
        return lossless.lossless_encode(strip, above, plan, pending, final)

    def declines(self, stage: str, plan: Plan) -> bool:
        """Whether this backend's own ``stage`` cannot serve ``plan`` (the NumPy stage then
        does). The default accepts everything."""
        return False

    # -- choosing, once per encode ----------------------------------------------------------------

    def own_stages(self) -> frozenset[str]:
        """The stages and fused paths this backend implements itself (overrides)."""
        own = {stage for stage in STAGES
               if getattr(type(self), stage) is not getattr(Backend, stage)}
        own |= {path for path in FUSED if getattr(self, f"{path}_fused") is not None}
        return frozenset(own)

    def stage_table(self, plan: Plan) -> StageTable:
        """The implementation of every stage for encoding with ``plan``; reads
        ``$STRIPJPEG_FALLBACK`` (see :func:`forced_fallbacks`).

        Raises:
            ValueError: ``$STRIPJPEG_FALLBACK`` names an unknown stage.
        """
        own = self.own_stages()
        declined = frozenset(stage for stage in own if self.declines(stage, plan))
        # Tables are cached by what decides them (the implementations themselves included, which
        # a subclass or a test may replace), so that choosing costs little per encode
        # (docs/performance.md).
        implementations = tuple(getattr(type(self), name) for name in self._NAMES)
        key = (implementations, declined, os.environ.get(FALLBACK_VARIABLE, ""))
        cache = self.__dict__.setdefault("_stage_tables", {})
        table = cache.get(key)
        if table is None:
            table = cache[key] = self._resolve(own, declined)
        return table

    def _resolve(self, own: frozenset[str], declined: frozenset[str]) -> StageTable:
        """The table for these own and declined stages, with the forced fallbacks."""
        fallbacks = set(own & forced_fallbacks() | declined)
        chosen = {stage: getattr(self, stage) if stage in own and stage not in fallbacks
                  else NUMPY_STAGES[stage] for stage in STAGES}
        fused = {}
        for path, covered in FUSED.items():
            fused[path] = path in own and path not in fallbacks and not fallbacks.intersection(covered)
            if path in own and not fused[path]:
                fallbacks.add(path)  # offered, but a stage it covers is not the backend's own
        return StageTable(
            self.name, self.threads_help, **chosen,
            transform_fused=self.transform_fused if fused["transform"] else None,
            encode_strips_fused=self.encode_strips_fused if fused["encode_strips"] else None,
            encode_strip_continued_fused=(self.encode_strip_continued_fused
                                          if fused["encode_strips"] else None),
            fallbacks=frozenset(fallbacks))

    # -- the whole-strip calls, through the table (for direct use: notebooks, benchmarks) ------

    def transform(self, pixels: np.ndarray, plan: Plan) -> list[np.ndarray]:
        """:meth:`StageTable.transform` of this backend's table for ``plan``."""
        return self.stage_table(plan).transform(pixels, plan)

    def encode_strip(self, pixels: np.ndarray, plan: Plan) -> bytes:
        """:meth:`StageTable.encode_strip` of this backend's table for ``plan``."""
        return self.stage_table(plan).encode_strip(pixels, plan)

    def encode_strips(self, strips: Sequence[np.ndarray], plan: Plan) -> list[bytes]:
        """:meth:`StageTable.encode_strips` of this backend's table for ``plan``."""
        return self.stage_table(plan).encode_strips(strips, plan)

    def encode_strip_continued(self, pixels: np.ndarray, plan: Plan, state: EntropyState,
                               final: bool = False) -> tuple[bytes, EntropyState]:
        """:meth:`StageTable.encode_strip_continued` of this backend's table for ``plan``."""
        return self.stage_table(plan).encode_strip_continued(pixels, plan, state, final)

    def __reduce__(self) -> tuple:
        # A process pool or a Dask worker gets a fresh instance of the class (the tables it
        # caches are rebuilt there, not pickled along).
        return (type(self), ())
