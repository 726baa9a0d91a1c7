"""One luma block through the scans of a progressive JPEG: what each scan sends for it, and how.

The companion of :func:`stripjpeg.inspect.trace_block` (which follows a block through the
stages of a baseline file) for the progressive process (T.81 Annex G). :func:`trace_scans`
codes each scan that includes the Y component with the real coders of
:mod:`stripjpeg.stages.progressive`, over the scan's blocks in coding order up to and including
the block (so the DC predictor and the pending EOBRUN are what the encoder has there), through
a recording :class:`~stripjpeg.stages.progressive.Emitter`, and keeps what is emitted while that
block is coded.

A block is not always coded on its own. In an AC scan a block whose band ends in zeros sends
no end-of-band of its own: it adds one to EOBRUN, which is coded later, once for a run of
blocks, as the symbol EOBn (G.1.2.2); in a refinement scan its correction bits wait with it
(G.1.2.3). :class:`ScanStep` says so (``ends_in_eobrun``, and in ``eobrun`` the EOBn symbol
that ends it, where and when it is written, and this block's correction bits in it); and the
EOBRUN of *earlier* blocks that a block's first symbol forces out is kept apart
(``earlier_eobrun``), not counted as the block's own.
"""

from __future__ import annotations

import math
from dataclasses import dataclass, replace
from typing import Any, NamedTuple

import numpy as np

from .optimize import optimal_huffman_spec
from .options import make_options
from .plan import Plan, Scan, make_plan
from .progressive_encoder import codes_the_data, scan_code_arrays, scan_has_restarts
from .sources import image_strips, whole_image
from .stages.progressive import (
    Emitter,
    ScanPiece,
    ScanState,
    SymbolCounter,
    close_piece,
    code_piece,
    scan_pieces,
)
from .stages.quantize import quantized_blocks
from .stages.samples import prepare_samples
from .tables import ZIGZAG, ZRL

__all__ = ["CodedSymbol", "LaterEobrun", "ProgressiveTrace", "Recorder", "ScanStep", "trace_scans"]


# --- What the trace holds ------------------------------------------------------------------------

@dataclass(frozen=True)
class CodedSymbol:
    """One thing a progressive coder wrote: a Huffman symbol and the bits after it, or (in a
    DC refinement scan) one raw bit.

    Attributes:
        kind: "DC" (a DC difference), "DC bit" (a DC refinement bit, no Huffman code),
            "AC" (a run/size symbol), "ZRL" (16 zeros) or "EOBRUN" (the symbol EOBn).
        symbol: the byte the Huffman table codes (SSSS, RRRRSSSS or n << 4); None for a raw bit.
        code: its Huffman code, as "0"/"1"; "" for a raw bit.
        extra: the bits after the code: a DC difference's or AC value's amplitude bits, the
            n low bits of EOBRUN, the sign of a coefficient that becomes non-zero in a
            refinement; the raw bit itself for a DC refinement.
        corrections: correction bits sent after it (AC refinement: one bit for each already
            non-zero coefficient passed; after an EOBn, every bit that waited for it).
        bit_offset: where ``code`` starts in the scan's entropy-coded data, in bits, counting
            from the scan's first bit, after 0xFF00 unstuffing and with RSTn markers removed
            (each restart interval is padded to a whole byte).
        meaning: what it says, in words.
    """

    kind: str
    symbol: int | None
    code: str
    extra: str
    corrections: str
    bit_offset: int
    meaning: str

    @property
    def bits(self) -> str:
        """Everything written for it, in order."""
        return self.code + self.extra + self.corrections


@dataclass(frozen=True)
class LaterEobrun:
    """The EOBRUN that ends a block's band: coded once for a run of blocks (G.1.2.2), usually
    after the block, together with the correction bits that waited for it (G.1.2.3).

    Attributes:
        run: EOBRUN, the bands this EOBn symbol ends (this block's among them).
        position: this block's place in the run, 1 .. ``run``.
        symbol: the EOBn symbol, its n bits, and (refinement) every correction bit of the run.
        correction_bits: of those, this block's own, as "0"/"1" ("" if none).
        correction_bit_offset: where this block's correction bits are in the scan's data.
        sent: when the encoder writes it, in words (before a later block's first symbol, at
            the end of the scan or restart interval, or at once at libjpeg's limits).
    """

    run: int
    position: int
    symbol: CodedSymbol
    correction_bits: str
    correction_bit_offset: int
    sent: str


@dataclass(frozen=True)
class ScanStep:
    """One scan, seen from one Y block.

    Attributes:
        scan: the scan's index in the script.
        kind: "DC first", "DC refinement", "AC first" or "AC refinement" (G.1.2).
        components: the scan's components (0 = Y).
        ss, se, ah, al: the band (zigzag positions) and the successive approximation bits.
        band: the zigzag positions Ss..Se the scan sends.
        values: what the scan sends for the block, one per band position: in a first scan
            the point-transformed values (DC >> Al, rounded down; AC magnitudes >> Al, rounded
            towards zero, with their sign); in a refinement, bit Al (0 or 1) of each value
            (the DC in two's complement; the AC magnitude).
        signs: AC refinement only: +1 or -1 where a coefficient becomes non-zero in this scan
            (its sign is sent), 0 elsewhere; None for other scans.
        predictor: DC first only: the previous Y block's DC >> Al, which the difference is
            taken from (0 at the start of a scan or restart interval); else None.
        earlier_eobrun: the EOBRUN of earlier blocks, which this block's first symbol forced
            out just before it (written while coding this block, but not its own); or None.
        symbols: the block's own symbols, in order.
        bits: the block's own bits, in order (``symbols``' bits joined), before stuffing.
        bit_offset: where ``bits`` start in the scan's data (see :attr:`CodedSymbol.bit_offset`).
        interval: the restart interval of the scan the block is in (0 without restarts).
        ends_in_eobrun: the block's band ends with zeros (in a refinement: with no coefficient
            that becomes non-zero), so it has no end-of-band of its own: it joins EOBRUN.
        eobrun: then, the :class:`LaterEobrun` that ends it; else None.
    """

    scan: int
    kind: str
    components: tuple[int, ...]
    ss: int
    se: int
    ah: int
    al: int
    band: tuple[int, ...]
    values: list[int]
    signs: list[int] | None
    predictor: int | None
    earlier_eobrun: CodedSymbol | None
    symbols: list[CodedSymbol]
    bits: str
    bit_offset: int
    interval: int
    ends_in_eobrun: bool
    eobrun: LaterEobrun | None


@dataclass(frozen=True, repr=False)
class ProgressiveTrace:
    """One Y block of a progressive encode, scan by scan.

    Attributes:
        block_row, block_col: which 8x8 block of the Y component.
        quantized: its quantized coefficients, ``(8, 8)`` natural order (as a baseline file of
            the same options holds them).
        zigzag: the same 64 values in zigzag order.
        scans: one :class:`ScanStep` per scan of the script that includes the Y component, in
            file order.
    """

    block_row: int
    block_col: int
    quantized: np.ndarray
    zigzag: np.ndarray
    scans: list[ScanStep]

    def __repr__(self) -> str:
        lines = [f"ProgressiveTrace(block_row={self.block_row}, block_col={self.block_col})",
                 f"  quantized, zigzag order: {' '.join(str(v) for v in self.zigzag)}"]
        for step in self.scans:
            lines.append(f"  scan {step.scan}: {step.kind}, components {step.components}, "
                         f"Ss={step.ss} Se={step.se} Ah={step.ah} Al={step.al}")
            lines.append(f"    sends: {' '.join(str(v) for v in step.values)}")
            if step.signs is not None and any(step.signs):
                lines.append(f"    signs of new coefficients: {' '.join(str(s) for s in step.signs)}")
            if step.predictor is not None:
                lines.append(f"    predictor (previous Y block's DC >> Al): {step.predictor}")
            if step.earlier_eobrun is not None:
                lines.append(f"    first, for earlier blocks: {_describe(step.earlier_eobrun)}")
            lines += [f"    {_describe(symbol)}" for symbol in step.symbols]
            lines.append(f"    bits ({len(step.bits)}) at bit {step.bit_offset} of the scan"
                         f"{f' (restart interval {step.interval})' if step.interval else ''}: "
                         f"{step.bits or '(none)'}")
            if step.eobrun is not None:
                later = step.eobrun
                lines.append(f"    ends in EOBRUN: block {later.position} of {later.run}, sent "
                             f"{later.sent}: {_describe(later.symbol)}")
                if later.correction_bits:
                    lines.append(f"    its correction bits {later.correction_bits} wait with it, "
                                 f"at bit {later.correction_bit_offset}")
        return "\n".join(lines)


def _describe(symbol: CodedSymbol) -> str:
    code = f"code={symbol.code} " if symbol.code else ""
    extra = f"extra={symbol.extra} " if symbol.extra else ""
    corrections = f"corrections={symbol.corrections} " if symbol.corrections else ""
    return f"{symbol.kind:<6} {code}{extra}{corrections}at bit {symbol.bit_offset}: {symbol.meaning}"


# --- A recording emitter ---------------------------------------------------------------------------

class Emitted(NamedTuple):
    """One call a coder made on its emitter: a Huffman symbol (``symbol`` set, ``bits`` its
    code) or raw bits (``symbol`` None), at ``offset`` bits into the restart interval."""

    offset: int
    symbol: int | None
    bits: str


class Recorder(Emitter):
    """An emitter that counts the bits written (``position``) and, while ``events`` is a
    list, records every call in it.

    Args:
        codes, lengths: ``(n_tables, 256)`` the scan's Huffman codes and lengths by symbol.
    """

    def __init__(self, codes: np.ndarray, lengths: np.ndarray) -> None:
        self.codes, self.lengths = codes, lengths
        self.position = 0
        self.events: list[Emitted] | None = None

    def symbol(self, table: int, symbol: int) -> None:
        length = int(self.lengths[table, symbol])
        if length == 0:
            raise ValueError(f"Huffman table {table} has no code for symbol 0x{symbol:02X}")
        if self.events is not None:
            code = format(int(self.codes[table, symbol]), f"0{length}b")
            self.events.append(Emitted(self.position, symbol, code))
        self.position += length

    def bits(self, value: int, count: int) -> None:
        if self.events is not None:
            self.events.append(Emitted(self.position, None, format(value & ((1 << count) - 1),
                                                                   f"0{count}b")))
        self.position += count


# --- Reading the recorded calls as symbols ----------------------------------------------------------

def scan_kind(scan: Scan) -> str:
    """Which of the four coders codes ``scan`` (G.1.2)."""
    if scan.ss == 0:
        return "DC first" if scan.ah == 0 else "DC refinement"
    return "AC first" if scan.ah == 0 else "AC refinement"


def extra_bit_count(kind: str, symbol: int) -> int:
    """How many bits follow a symbol's code in a scan of ``kind``: SSSS amplitude bits (DC
    first, AC first), one sign bit (AC refinement, size 1), n bits of EOBRUN (EOBn), none (ZRL)."""
    if kind == "DC first":
        return symbol
    run, size = symbol >> 4, symbol & 15
    if size == 0:
        return 0 if symbol == ZRL else run
    return size if kind == "AC first" else 1


def signed_amplitude(extra: str) -> int:
    """The value of SSSS amplitude bits (F.1.2.1.1): a leading 0 means negative."""
    value = int(extra, 2)
    return value if extra[0] == "1" else value - (1 << len(extra)) + 1


def eobrun_of(symbol: CodedSymbol) -> int:
    """EOBRUN from its EOBn symbol and n bits (Table G.1): the leading 1 is implied by n."""
    return (1 << len(symbol.extra)) | (int(symbol.extra, 2) if symbol.extra else 0)


def as_symbols(events: list[Emitted], kind: str, base: int) -> list[CodedSymbol]:
    """Group a coder's calls into symbols, each with its extra bits and correction bits
    (``base``: the interval's bit offset in the scan)."""
    grouped: list[dict[str, Any]] = []
    for event in events:
        if event.symbol is not None:
            grouped.append({"symbol": event.symbol, "code": event.bits, "extra": "",
                            "wanted": extra_bit_count(kind, event.symbol), "corrections": "",
                            "offset": event.offset})
        elif grouped and len(grouped[-1]["extra"]) < grouped[-1]["wanted"]:
            grouped[-1]["extra"] += event.bits
        elif grouped and kind == "AC refinement":
            grouped[-1]["corrections"] += event.bits
        else:  # a DC refinement bit: raw, on its own
            grouped.append({"symbol": None, "code": "", "extra": event.bits, "wanted": 1,
                            "corrections": "", "offset": event.offset})
    return [_coded_symbol(group, kind, base) for group in grouped]


def _coded_symbol(group: dict[str, Any], kind: str, base: int) -> CodedSymbol:
    symbol, extra, corrections = group["symbol"], group["extra"], group["corrections"]
    if symbol is None:
        name, meaning = "DC bit", f"the DC's next bit: {extra}"
    elif kind == "DC first":
        difference = signed_amplitude(extra) if symbol else 0
        name, meaning = "DC", f"difference {difference} from the predictor (size {symbol})"
    elif symbol == ZRL:
        zeros = "zero coefficients" if kind == "AC first" else "coefficients still zero"
        name, meaning = "ZRL", f"16 {zeros} skipped"
    elif symbol & 15 == 0:
        run = (1 << (symbol >> 4)) | (int(extra, 2) if extra else 0)
        name, meaning = "EOBRUN", f"EOB{symbol >> 4}: EOBRUN = {run}, the bands of {run} block(s) end"
    elif kind == "AC first":
        name = "AC"
        meaning = f"{symbol >> 4} zero(s), then {signed_amplitude(extra)} (size {symbol & 15})"
    else:
        name = "AC"
        meaning = (f"{symbol >> 4} coefficient(s) still zero skipped, then one that becomes "
                   f"{'+1' if extra == '1' else '-1'} at bit Al")
    if corrections:
        meaning += f"; then {len(corrections)} correction bit(s)"
    return CodedSymbol(name, symbol, group["code"], extra, corrections, base + group["offset"],
                       meaning)


# --- The scan's blocks, as the encoder codes them ---------------------------------------------------

class Located(NamedTuple):
    """Where the traced block is among a scan's blocks: restart interval, piece, block."""

    interval: int
    piece: int
    block: int


def image_blocks(image: np.ndarray, plan: Plan) -> list[tuple[list[np.ndarray], int]]:
    """Every strip's quantized blocks (the NumPy stages, as the encoder's transform) with its
    pixel rows: the whole image, as the encoder's spool holds it."""
    strips = []
    for strip in image_strips(image, plan.strip_height, plan.context_rows):
        pixels = np.ascontiguousarray(strip)
        rows = plan.strip_rows(pixels)
        strips.append((quantized_blocks(prepare_samples(pixels, plan), plan, rows), rows))
    return strips


def block_labels(strips: list[tuple[list[np.ndarray], int]], plan: Plan,
                 block_cols: int) -> list[list[np.ndarray]]:
    """Blocks of the same layout whose every coefficient is a label: ``row * block_cols + col``
    for a Y block (rows counted over the whole image), -1 for the other components' blocks.
    Put through the coders' own :func:`~stripjpeg.stages.progressive.scan_pieces`, they say
    which block is where in a scan's coding order."""
    labels, first_row = [], 0
    for blocks, _ in strips:
        luma = blocks[0]
        rows = np.arange(first_row, first_row + luma.shape[0], dtype=np.int32)[:, None]
        grid = rows * block_cols + np.arange(luma.shape[1], dtype=np.int32)[None, :]
        labels.append([np.broadcast_to(grid[:, :, None, None], luma.shape)] +
                      [np.full(b.shape, -1, np.int32) for b in blocks[1:]])
        first_row += luma.shape[0]
    return labels


def scan_intervals(strips: list[tuple[list[np.ndarray], int]], plan: Plan,
                   scan: Scan) -> list[list[ScanPiece]]:
    """The scan's restart intervals, each as the pieces (one per strip) it is coded in:
    with restart markers each strip's intervals (the encoder codes them one by one); without,
    one interval of every strip's piece, coded as one bit stream."""
    restarts = scan_has_restarts(plan, scan)
    if restarts:
        return [[piece] for blocks, rows in strips
                for piece in scan_pieces(blocks, rows, plan, scan, restarts=True)]
    return [[piece for blocks, rows in strips
             for piece in scan_pieces(blocks, rows, plan, scan, restarts=False)]]


def locate(labels: list[list[ScanPiece]], label: int) -> Located:
    """The interval, piece and index in it of the block labelled ``label``."""
    for interval, pieces in enumerate(labels):
        for number, piece in enumerate(pieces):
            found = np.flatnonzero(piece.band[:, 0] == label)
            if found.size:
                return Located(interval, number, int(found[0]))
    raise AssertionError(f"block {label} is not in the scan")  # every Y block is in every Y scan


def one_block(piece: ScanPiece, index: int) -> ScanPiece:
    """A piece of the single block ``index`` of ``piece`` (the coders carry everything from
    block to block in the ScanState, so coding block by block codes the same bits)."""
    return replace(piece, band=piece.band[index:index + 1], member=piece.member[index:index + 1],
                   mcus=1)


def scan_codes(intervals: list[list[ScanPiece]], scan: Scan,
               plan: Plan) -> tuple[np.ndarray, np.ndarray]:
    """The scan's Huffman codes: its optimal tables from its own symbol counts, as the encoder
    makes them (jcphuff.c: a progressive file's tables are always optimized, per scan)."""
    tables: dict[int, Any] = {}
    if codes_the_data(scan):
        counter = SymbolCounter(len(plan.dc_tables))
        for pieces in intervals:
            state = ScanState.start(scan)
            for piece in pieces:
                code_piece(counter, piece, scan, plan, state)
            close_piece(counter, scan, plan, state)
        used = sorted({plan.components[i].huffman_index for i in scan.components})
        tables = {t: optimal_huffman_spec(counter.counts[t]) for t in used}
    return scan_code_arrays(plan, tables)


def interval_bits(pieces: list[ScanPiece], scan: Scan, plan: Plan, codes: np.ndarray,
                  lengths: np.ndarray) -> int:
    """Bits of one whole restart interval (or scan) coded and padded to a whole byte (F.1.2.3)."""
    recorder, state = Recorder(codes, lengths), ScanState.start(scan)
    for piece in pieces:
        code_piece(recorder, piece, scan, plan, state)
    close_piece(recorder, scan, plan, state)
    return 8 * math.ceil(recorder.position / 8)


# --- The trace -------------------------------------------------------------------------------------

def trace_scans(pixels: np.ndarray, block_row: int, block_col: int, **options: Any) -> ProgressiveTrace:
    """Follow one Y block through the scans of a progressive encode.

    Args:
        pixels: the whole image, as for :func:`stripjpeg.encode`.
        block_row, block_col: the block, counted in 8x8 blocks of the Y component.
        **options: encode options (quality, subsampling, restart_rows, ``scans=`` a script...);
            ``progressive=True`` is implied.

    Returns:
        A :class:`ProgressiveTrace`: per scan that includes Y, what it sends for the block and
        the symbols and bits coded for it, with their bit offsets in the scan's data of
        ``encode(pixels, progressive=True, **options)``.

    Raises:
        ValueError: a block outside the Y component, or options that make a sequential file.

    Every scan is coded up to the block (and, for a block whose band joins EOBRUN, on to the
    EOBn symbol that ends it), with the whole image's blocks in memory, as the encoder's spool
    holds them; each scan of Y is coded about twice (once to count its symbols for its
    Huffman tables, once to the block): about the time of a NumPy progressive encode.
    """
    if "progressive" not in options and "progression" not in options:
        options = {**options, "progressive": True}
    image = whole_image(pixels)
    height, width, channels = image.shape
    plan = make_plan(width, height, channels, make_options(**options))
    if not plan.progressive:
        raise ValueError("trace_scans follows a progressive encode, but these options give a "
                         "sequential one (progressive=False, or a sequential scans= script)")
    luma = plan.components[0]
    if not (0 <= block_row < luma.height_in_blocks and 0 <= block_col < luma.width_in_blocks):
        raise ValueError(f"block ({block_row}, {block_col}) is outside the Y component's "
                         f"{luma.height_in_blocks}x{luma.width_in_blocks} blocks")
    strips = image_blocks(image, plan)
    block_cols = strips[0][0][0].shape[1]
    labels = block_labels(strips, plan, block_cols)
    label_strips = [(grid, rows) for grid, (_, rows) in zip(labels, strips)]
    steps = []
    for number, scan in enumerate(plan.scans):
        if 0 not in scan.components:
            continue
        intervals = scan_intervals(strips, plan, scan)
        labelled = scan_intervals(label_strips, plan, scan)
        where = locate(labelled, block_row * block_cols + block_col)
        steps.append(trace_scan(number, scan, plan, intervals, labelled, where, block_cols))
    quantized = strips[block_row // (plan.strip_mcu_rows * luma.mcu_v)][0][0]
    block = quantized[block_row % (plan.strip_mcu_rows * luma.mcu_v), block_col].astype(np.int64)
    return ProgressiveTrace(block_row, block_col, block, block.reshape(64)[ZIGZAG], steps)


def sent_values(coefficients: list[int], scan: Scan) -> tuple[list[int], list[int] | None]:
    """What a scan sends of one block's band (its zigzag values Ss..Se): the point-transformed
    values of a first scan (G.1.2.1: DC arithmetic shift; G.1.2.2: AC magnitude shift), or bit
    Al of each value in a refinement, with the signs of AC coefficients that become non-zero."""
    al = scan.al
    if scan.ss == 0:
        dc = coefficients[0]
        return [dc >> al if scan.ah == 0 else (dc >> al) & 1], None
    if scan.ah == 0:
        return [(abs(c) >> al) * (1 if c >= 0 else -1) for c in coefficients], None
    bits = [(abs(c) >> al) & 1 for c in coefficients]
    signs = [(1 if c > 0 else -1) if abs(c) >> al == 1 else 0 for c in coefficients]
    return bits, signs


def trace_scan(number: int, scan: Scan, plan: Plan, intervals: list[list[ScanPiece]],
               labelled: list[list[ScanPiece]], where: Located, block_cols: int) -> ScanStep:
    """Code ``scan`` up to the block at ``where`` and record what coding it emits
    (``labelled``: the same intervals of :func:`block_labels`, naming each block)."""
    kind = scan_kind(scan)
    codes, lengths = scan_codes(intervals, scan, plan)
    base = sum(interval_bits(pieces, scan, plan, codes, lengths)
               for pieces in intervals[:where.interval])
    pieces = intervals[where.interval]
    recorder, state = Recorder(codes, lengths), ScanState.start(scan)
    for piece in pieces[:where.piece]:
        code_piece(recorder, piece, scan, plan, state)
    piece = pieces[where.piece]
    code_piece(recorder, replace(piece, band=piece.band[:where.block],
                                 member=piece.member[:where.block]), scan, plan, state)

    # The block itself: what the coder emits while coding it, and what it leaves waiting.
    predictor = state.predictors[0] if kind == "DC first" else None
    run_before, waiting_before = state.eobrun, len(state.correction_bits)
    start = base + recorder.position
    recorder.events = []
    code_piece(recorder, one_block(piece, where.block), scan, plan, state)
    symbols = as_symbols(recorder.events, kind, base)
    earlier = None
    if symbols and symbols[0].kind == "EOBRUN" and run_before and eobrun_of(symbols[0]) == run_before:
        # The earlier blocks' run, which this block's first symbol sends first (its own
        # correction bits start the new, empty buffer).
        earlier, symbols = symbols[0], symbols[1:]
        start += len(earlier.bits)
        waiting_before = 0
    eobrun = None
    if state.eobrun:  # the block joined EOBRUN, which is still pending: find its EOBn
        eobrun = later_eobrun(recorder, state, scan, plan, intervals, labelled, where,
                              block_cols, base, waiting_before)
    elif symbols and symbols[-1].kind == "EOBRUN":  # joined, and sent at once (libjpeg's limits)
        symbol = symbols.pop()
        eobrun = LaterEobrun(eobrun_of(symbol), eobrun_of(symbol), symbol,
                             symbol.corrections[waiting_before:], corrections_at(symbol, waiting_before),
                             "at once, after this block: EOBRUN reached libjpeg's limit (32767 "
                             "blocks, or more than 937 correction bits waiting)")
    values, signs = sent_values(piece.band[where.block].tolist(), scan)
    return ScanStep(number, kind, scan.components, scan.ss, scan.se, scan.ah, scan.al,
                    tuple(range(scan.ss, scan.se + 1)), values, signs, predictor, earlier,
                    symbols, "".join(s.bits for s in symbols), start, where.interval,
                    eobrun is not None, eobrun)


def corrections_at(symbol: CodedSymbol, skip: int) -> int:
    """The bit offset of an EOBn symbol's correction bits after the first ``skip`` of them."""
    return symbol.bit_offset + len(symbol.code) + len(symbol.extra) + skip


def later_eobrun(recorder: Recorder, state: ScanState, scan: Scan, plan: Plan,
                 intervals: list[list[ScanPiece]], labelled: list[list[ScanPiece]],
                 where: Located, block_cols: int, base: int, waiting_before: int) -> LaterEobrun:
    """Code on, block by block, from the block after ``where`` to the first EOBn symbol: the
    one that ends the run the block joined (it is the first sent after the block), with every
    correction bit that waited; or, if no later block sends it, the end of the interval does."""
    kind = scan_kind(scan)
    position, mine = state.eobrun, len(state.correction_bits) - waiting_before
    pieces = intervals[where.interval]
    for number in range(where.piece, len(pieces)):
        piece = pieces[number]
        first = where.block + 1 if number == where.piece else 0
        for index in range(first, len(piece.band)):
            recorder.events = []
            code_piece(recorder, one_block(piece, index), scan, plan, state)
            symbols = as_symbols(recorder.events, kind, base)
            ends = [s for s in symbols if s.kind == "EOBRUN"]
            if ends:
                label = divmod(int(labelled[where.interval][number].band[index, 0]), block_cols)
                sent = (f"before the first symbol of block {label}" if symbols[0] is ends[0]
                        and len(symbols) > 1 else
                        f"after block {label}, which took EOBRUN to libjpeg's limit")
                return found_eobrun(ends[0], position, waiting_before, mine, sent)
    recorder.events = []
    close_piece(recorder, scan, plan, state)
    (symbol,) = as_symbols(recorder.events, kind, base)
    end = "the scan" if len(intervals) == 1 else f"restart interval {where.interval}"
    return found_eobrun(symbol, position, waiting_before, mine, f"at the end of {end}")


def found_eobrun(symbol: CodedSymbol, position: int, waiting_before: int, mine: int,
                 sent: str) -> LaterEobrun:
    """The :class:`LaterEobrun` of a block at ``position`` in the run that ``symbol`` ends,
    whose ``mine`` correction bits follow ``waiting_before`` of earlier blocks."""
    return LaterEobrun(eobrun_of(symbol), position, symbol,
                       symbol.corrections[waiting_before:waiting_before + mine],
                       corrections_at(symbol, waiting_before), sent)
