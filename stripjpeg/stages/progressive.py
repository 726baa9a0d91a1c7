"""Progressive Huffman coding (T.81 Annex G.1.2), the entropy coder of progressive JPEG, in NumPy.

A progressive scan sends one band Ss..Se (zigzag order) of its components' coefficients, in
full or down to bit Al. There are four kinds of scan, each coded block by block as T.81's
flow charts draw it, with the details libjpeg's jcphuff.c adds (the bytes depend on them):

* **DC first** (Ss = 0, Ah = 0; :func:`code_dc_first`): the DC values shifted right by Al
  (arithmetically, i.e. rounded down: G.1.2.1) are coded as in a sequential scan: the
  difference from the previous block of the component, its size category, amplitude bits.
* **DC refinement** (Ss = 0, Ah > 0; :func:`code_dc_refine`): one raw bit per block, bit Al
  of the DC value. No Huffman table.
* **AC first** (Ss > 0, Ah = 0; :func:`code_ac_first`): the band's coefficients, their
  magnitudes shifted right by Al (rounded towards zero), coded as run/size symbols as in a
  sequential scan, except the end of a block: a block whose band ends in zeros adds one to
  **EOBRUN**, the number of such blocks in a row, and a run of them is coded once, as the
  symbol ``n << 4`` (EOBn, n = bit length of EOBRUN - 1) and n bits of EOBRUN (G.1.2.2,
  Table G.1). A band of 63 coefficients that is mostly zero at high Al thus costs a few
  bits for thousands of blocks, not one EOB symbol each. EOBRUN is sent before the next
  block with a non-zero coefficient, at 32767 (libjpeg's limit), and at the end of the
  scan or restart interval.
* **AC refinement** (Ss > 0, Ah > 0; :func:`code_ac_refine`): the next bit (Al) of every
  coefficient of the band. A coefficient that was already non-zero sends one *correction
  bit*; one that becomes non-zero now (its magnitude is exactly 1 at Al) is coded as a
  run/size symbol with size 1 and a sign bit, where the run counts only the zero-history
  coefficients skipped; the correction bits of the already non-zero coefficients passed on
  the way follow it. A block that ends with no newly non-zero coefficient adds to EOBRUN,
  and its correction bits wait (BE, the buffered bits) until that EOBRUN is sent (G.1.2.3,
  Figure G.7). libjpeg sends the EOBRUN early when more than 937 bits wait
  (MAX_CORR_BITS - 63 in jcphuff.c), and never sends a ZRL whose zeros could join the EOB.

Each coder talks to an :class:`Emitter`, so the same code either writes bits
(:class:`BitWriter`) or counts the Huffman symbols for optimal tables (:class:`SymbolCounter`),
as libjpeg runs one procedure in its two passes (``gather_statistics``).

Blocks arrive as the transform stage writes them (per component ``(block_rows, block_cols,
8, 8)``, natural order, dummy blocks included); :func:`scan_blocks` puts one strip's blocks in
the scan's coding order (T.81 A.2), which is where a progressive scan differs in geometry: a
scan of one component codes only its real blocks, in raster order, and its MCU (and so its
restart interval) is one block.
"""

from __future__ import annotations

import itertools
from dataclasses import dataclass, field

import numpy as np

from ..intervals import scan_mcus_in_mcu_row
from ..plan import Plan, Scan
from ..tables import ZIGZAG, ZRL
from .entropy import EntropyState, final_byte
from .huffman import pack_bits, stuff_bytes

#: libjpeg's cap on EOBRUN (jcphuff.c): EOB14 with 14 extra bits could go to 32767.
MAX_EOBRUN = 0x7FFF
#: libjpeg buffers at most this many correction bits (jcphuff.c, MAX_CORR_BITS) ...
MAX_CORRECTION_BITS = 1000
#: ... so it sends a pending EOBRUN once more than this many wait, before a block could
#: overflow the buffer (MAX_CORR_BITS - DCTSIZE2 + 1).
CORRECTION_BITS_LIMIT = MAX_CORRECTION_BITS - 64 + 1


# --- Where the blocks of a scan come from --------------------------------------------------------

@dataclass(frozen=True)
class ScanPiece:
    """One strip's blocks of one scan, in coding order.

    Attributes:
        band: int32 ``(n_blocks, Se - Ss + 1)``: each block's coefficients Ss..Se, zigzag order.
        member: ``(n_blocks,)``: which of the scan's components each block belongs to
            (0 .. len(scan.components) - 1).
        mcus: MCUs in the piece (blocks, for a one-component scan).
        mcus_per_row: MCUs in one MCU row of the scan.
    """

    band: np.ndarray
    member: np.ndarray
    mcus: int
    mcus_per_row: int


def scan_mcus_per_row(plan: Plan, scan: Scan) -> int:
    """MCUs per MCU row of ``scan``: the frame's MCU grid if interleaved (T.81 A.2.3); a
    single component's blocks across (its real blocks only, A.2.2) if not."""
    if len(scan.components) > 1:
        return plan.mcus_per_row
    return plan.components[scan.components[0]].width_in_blocks


def scan_blocks(blocks: list[np.ndarray], rows: int, plan: Plan, scan: Scan) -> ScanPiece:
    """The blocks of one strip (``rows`` pixel rows) that ``scan`` codes, in its order.

    Interleaved (several components): MCU by MCU, in each MCU every component's H x V blocks,
    dummy blocks included (A.2.3). One component: its real blocks in raster order (A.2.2);
    the blocks that only pad the MCUs of the interleaved layout are not coded.
    """
    band = ZIGZAG[scan.ss:scan.se + 1]
    layout = plan.strip_layout(rows)
    if len(scan.components) == 1:
        index = scan.components[0]
        real = blocks[index][:layout[index].real_block_rows, :layout[index].real_block_cols]
        zigzag = real.reshape(-1, 64)[:, band].astype(np.int32)
        return ScanPiece(zigzag, np.zeros(len(zigzag), np.intp), len(zigzag),
                         scan_mcus_per_row(plan, scan))
    per_mcu, owners = [], []
    for member, index in enumerate(scan.components):
        component, grid = plan.components[index], blocks[index]
        v, h = component.v, component.h
        mcu_rows, mcu_cols = grid.shape[0] // v, grid.shape[1] // h
        tiles = grid.reshape(mcu_rows, v, mcu_cols, h, 64).transpose(0, 2, 1, 3, 4)
        per_mcu.append(tiles.reshape(mcu_rows * mcu_cols, v * h, 64))
        owners += [member] * (v * h)
    mcus = np.concatenate(per_mcu, axis=1)
    zigzag = mcus.reshape(-1, 64)[:, band].astype(np.int32)
    member = np.tile(np.array(owners, np.intp), mcus.shape[0])
    return ScanPiece(zigzag, member, mcus.shape[0], scan_mcus_per_row(plan, scan))


def split_piece(piece: ScanPiece, cuts: np.ndarray) -> list[ScanPiece]:
    """Cut ``piece`` before each MCU of ``cuts`` (increasing, within 1..mcus - 1)."""
    blocks_per_mcu = len(piece.band) // piece.mcus if piece.mcus else 1
    bounds = [0, *cuts.tolist(), piece.mcus]
    return [ScanPiece(piece.band[a * blocks_per_mcu:b * blocks_per_mcu],
                      piece.member[a * blocks_per_mcu:b * blocks_per_mcu], b - a, piece.mcus_per_row)
            for a, b in itertools.pairwise(bounds)]


def restart_pieces(piece: ScanPiece, interval_mcus: int) -> list[ScanPiece]:
    """Cut a piece that starts a restart interval into its restart intervals of
    ``interval_mcus`` MCUs (the last may be shorter)."""
    blocks_per_mcu = len(piece.band) // piece.mcus if piece.mcus else 1
    step = interval_mcus * blocks_per_mcu
    return [ScanPiece(piece.band[start:start + step], piece.member[start:start + step],
                      min(interval_mcus, piece.mcus - start // blocks_per_mcu), piece.mcus_per_row)
            for start in range(0, len(piece.band), step)]


# --- Emitters: writing bits, or counting symbols ---------------------------------------------------

@dataclass
class ScanState:
    """What a scan's coder carries from piece to piece of one restart interval (or of a scan
    without restart markers).

    Attributes:
        predictors: per scan component, the last DC value (after the point transform) coded.
        eobrun: EOBRUN, blocks with an end-of-band waiting to be coded as one EOBn symbol.
        correction_bits: BE, the correction bits of those blocks, sent after the EOBn.
        pending_bits, pending_count: bits not yet forming a whole byte, right-aligned.
        mcus_done: MCUs of the scan coded so far (with ``restart_blocks``, where the next
            interval begins; counted only by the coders that carry the state).
    """

    predictors: list[int]
    eobrun: int = 0
    correction_bits: list[int] = field(default_factory=list)
    pending_bits: int = 0
    pending_count: int = 0
    mcus_done: int = 0

    @classmethod
    def start(cls, scan: Scan, mcus_done: int = 0) -> ScanState:
        """The state at the start of a scan or restart interval (G.1.2.1, G.1.2.2), the
        interval beginning after ``mcus_done`` MCUs of the scan."""
        return cls(predictors=[0] * len(scan.components), mcus_done=mcus_done)


class Emitter:
    """Where a coder's output goes: Huffman symbols of table ``table`` and raw bits."""

    def symbol(self, table: int, symbol: int) -> None:
        raise NotImplementedError

    def bits(self, value: int, count: int) -> None:
        raise NotImplementedError


class BitWriter(Emitter):
    """Collects the bit fields (value, length) of a piece, to be packed into bytes.

    Args:
        codes, lengths: ``(n_tables, 256)`` Huffman codes and code lengths by symbol, for
            the scan's tables (DC tables in a DC scan, AC tables in an AC scan).
    """

    def __init__(self, codes: np.ndarray, lengths: np.ndarray) -> None:
        self.codes, self.lengths = codes, lengths
        self.values: list[int] = []
        self.sizes: list[int] = []

    def symbol(self, table: int, symbol: int) -> None:
        length = int(self.lengths[table, symbol])
        if length == 0:
            raise ValueError(f"Huffman table {table} has no code for symbol 0x{symbol:02X}")
        self.bits(int(self.codes[table, symbol]), length)

    def bits(self, value: int, count: int) -> None:
        self.values.append(value & ((1 << count) - 1))
        self.sizes.append(count)


class SymbolCounter(Emitter):
    """Counts symbols per table for optimal Huffman tables; raw bits are not counted.

    Attributes:
        counts: int64 ``(n_tables, 256)``.
    """

    def __init__(self, n_tables: int) -> None:
        self.counts = np.zeros((n_tables, 256), np.int64)

    def symbol(self, table: int, symbol: int) -> None:
        self.counts[table, symbol] += 1

    def bits(self, value: int, count: int) -> None:
        pass


# --- The four coders (T.81 G.1.2) ------------------------------------------------------------------

def amplitude(value: int, size: int) -> int:
    """The ``size`` extra bits of a value (F.1.2.1.1): itself, or if negative, value - 1."""
    return value if value >= 0 else value + (1 << size) - 1


def code_dc_first(emit: Emitter, piece: ScanPiece, tables: list[int], al: int,
                  state: ScanState) -> None:
    """DC first scan (G.1.2.1): DC >> Al, coded as differences (Figure F.1's procedure).

    Args:
        tables: the DC table of each scan component.
    """
    for dc, member in zip(piece.band[:, 0].tolist(), piece.member.tolist()):
        value = dc >> al  # an arithmetic shift: rounds down, also for negative values
        diff = value - state.predictors[member]
        state.predictors[member] = value
        size = abs(diff).bit_length()
        emit.symbol(tables[member], size)
        if size:
            emit.bits(amplitude(diff, size), size)


def code_dc_refine(emit: Emitter, piece: ScanPiece, al: int) -> None:
    """DC refinement scan (G.1.2.1): bit Al of each DC value, raw (two's complement)."""
    for dc in piece.band[:, 0].tolist():
        emit.bits((dc >> al) & 1, 1)


def emit_eobrun(emit: Emitter, table: int, state: ScanState) -> None:
    """Code the pending EOBRUN, if any, as EOBn and n bits (Table G.1), then the correction
    bits that waited for it (jcphuff.c ``emit_eobrun``)."""
    if state.eobrun == 0:
        return
    n = state.eobrun.bit_length() - 1
    emit.symbol(table, n << 4)
    if n:
        emit.bits(state.eobrun, n)  # the low n bits: the leading 1 is implied by n
    state.eobrun = 0
    for bit in state.correction_bits:
        emit.bits(bit, 1)
    state.correction_bits = []


def code_ac_first(emit: Emitter, piece: ScanPiece, table: int, al: int, state: ScanState) -> None:
    """AC first scan (G.1.2.2, Figure G.3 with libjpeg's EOBRUN rules)."""
    for coefficients in piece.band.tolist():
        # Point transform of an AC coefficient: the magnitude shifted, so it rounds towards 0.
        values = [(abs(c) >> al) * (1 if c >= 0 else -1) for c in coefficients]
        nonzero = [k for k, v in enumerate(values) if v]
        if nonzero:
            emit_eobrun(emit, table, state)
        previous = -1
        for k in nonzero:
            run = k - previous - 1
            while run > 15:
                emit.symbol(table, ZRL)
                run -= 16
            size = abs(values[k]).bit_length()
            emit.symbol(table, (run << 4) | size)
            emit.bits(amplitude(values[k], size), size)
            previous = k
        if previous < len(values) - 1:  # the band ends in zeros: one more end-of-band
            state.eobrun += 1
            if state.eobrun == MAX_EOBRUN:
                emit_eobrun(emit, table, state)


def code_ac_refine(emit: Emitter, piece: ScanPiece, table: int, al: int, state: ScanState) -> None:
    """AC refinement scan (G.1.2.3, Figure G.7 with libjpeg's rules for EOBRUN and BE)."""
    for coefficients in piece.band.tolist():
        magnitudes = [abs(c) >> al for c in coefficients]
        # EOB: the last coefficient that becomes non-zero in this scan (magnitude exactly 1).
        last_new = max((k for k, m in enumerate(magnitudes) if m == 1), default=-1)
        run = 0  # zero-history coefficients skipped since the last symbol
        waiting: list[int] = []  # correction bits of this block not yet sent (BR)
        for k, magnitude in enumerate(magnitudes):
            if magnitude == 0:
                run += 1
                continue
            # A ZRL only if a newly non-zero coefficient follows; else the zeros join the EOB.
            while run > 15 and k <= last_new:
                emit_eobrun(emit, table, state)
                emit.symbol(table, ZRL)
                run -= 16
                for bit in waiting:
                    emit.bits(bit, 1)
                waiting = []
            if magnitude > 1:  # non-zero before: only its next bit, as a correction bit
                waiting.append(magnitude & 1)
                continue
            emit_eobrun(emit, table, state)
            emit.symbol(table, (run << 4) | 1)
            emit.bits(1 if coefficients[k] >= 0 else 0, 1)  # the sign of the new coefficient
            for bit in waiting:
                emit.bits(bit, 1)
            waiting = []
            run = 0
        trailing = len(magnitudes) - 1 - max((k for k, m in enumerate(magnitudes) if m), default=-1)
        if run > 0 or trailing > 0 or waiting:
            state.eobrun += 1
            state.correction_bits += waiting
            if state.eobrun == MAX_EOBRUN or len(state.correction_bits) > CORRECTION_BITS_LIMIT:
                emit_eobrun(emit, table, state)


def code_piece(emit: Emitter, piece: ScanPiece, scan: Scan, plan: Plan, state: ScanState) -> None:
    """Code one piece of ``scan`` with the coder its kind needs (G.1.2)."""
    tables = [plan.components[i].huffman_index for i in scan.components]
    if scan.ss == 0:
        if scan.ah == 0:
            code_dc_first(emit, piece, tables, scan.al, state)
        else:
            code_dc_refine(emit, piece, scan.al)
    elif scan.ah == 0:
        code_ac_first(emit, piece, tables[0], scan.al, state)
    else:
        code_ac_refine(emit, piece, tables[0], scan.al, state)


def close_piece(emit: Emitter, scan: Scan, plan: Plan, state: ScanState) -> None:
    """The end of a scan or restart interval: the pending EOBRUN (jcphuff.c finish_pass)."""
    if scan.ss > 0:
        emit_eobrun(emit, plan.components[scan.components[0]].huffman_index, state)


# --- The stages: a strip of one scan -> bytes, or symbol counts -----------------------------------

def scan_interval_mcus(plan: Plan, scan: Scan) -> int:
    """MCUs per restart interval of ``scan`` (0: none): ``restart_rows`` MCU rows of the scan,
    as libjpeg counts them per scan (jcmaster.c per_scan_setup, restart_in_rows), at most
    65535; or ``restart_blocks`` MCUs in every scan (libjpeg's restart_interval, which
    per_scan_setup leaves as it is)."""
    if plan.restart_blocks:
        return plan.restart_blocks
    if not plan.restart_rows:
        return 0
    return min(plan.restart_rows * scan_mcus_per_row(plan, scan), 65535)


def intervals_in_strips(plan: Plan, scan: Scan) -> bool:
    """With ``restart_blocks``: whether every strip of ``scan`` holds whole restart intervals
    (its MCUs in a strip are a multiple of the interval), so strips are coded independently."""
    (in_row,) = scan_mcus_in_mcu_row((scan,), plan.components, plan.mcus_per_row)
    return (plan.strip_mcu_rows * in_row) % plan.restart_blocks == 0


def scan_pieces(blocks: list[np.ndarray], rows: int, plan: Plan, scan: Scan,
                restarts: bool) -> list[ScanPiece]:
    """One strip of ``scan``: with ``restarts``, cut into its restart intervals, each coded
    from a fresh state; else one piece continuing the scan."""
    piece = scan_blocks(blocks, rows, plan, scan)
    if not restarts:
        return [piece]
    return restart_pieces(piece, scan_interval_mcus(plan, scan))


def progressive_encode(blocks: list[np.ndarray], rows: int, scan: Scan, plan: Plan,
                       codes: np.ndarray, lengths: np.ndarray, state: ScanState | None
                       ) -> tuple[list[bytes], ScanState | None]:
    """Code one strip of a progressive scan: the ``progressive_encode`` stage.

    Args:
        blocks: the strip's quantized blocks per component (as the transform stage gives them).
        rows: the strip's pixel rows.
        codes, lengths: ``(n_tables, 256)`` the scan's Huffman codes by table and symbol.
        state: None when the strip holds whole restart intervals (each is coded from a fresh
            state and closed); else the state of a scan (or interval) that goes on.

    Returns:
        ``(data, state)``: with restart intervals, one complete interval's bytes each (the
        RSTn markers between them are the orchestrator's) and None; else one piece of bytes,
        whole bytes only, and the state to continue from (close it with :func:`close_scan`).
        With ``restart_blocks`` intervals crossing strips, a state given: the first piece
        goes on with the interval before (and closes it, if one begins in the strip), each
        later piece begins an interval (an RSTm goes before it); the last is left open.
    """
    if state is None:
        out = []
        for piece in scan_pieces(blocks, rows, plan, scan, restarts=True):
            writer, fresh = BitWriter(codes, lengths), ScanState.start(scan)
            code_piece(writer, piece, scan, plan, fresh)
            close_piece(writer, scan, plan, fresh)
            data, fresh = _pack(writer, fresh)
            out.append(data + final_byte(_as_entropy_state(fresh)))
        return out, None
    writer = BitWriter(codes, lengths)
    (piece,) = scan_pieces(blocks, rows, plan, scan, restarts=False)
    if not plan.restart_blocks:
        code_piece(writer, piece, scan, plan, state)
        data, state = _pack(writer, state)
        return [data], state
    pieces = []
    for segment in interval_segments(piece, state.mcus_done, plan.restart_blocks):
        if state.mcus_done and state.mcus_done % plan.restart_blocks == 0:
            # An interval begins: close the one before (its EOBRUN, 1-bits to a byte), and
            # start afresh (jcphuff.c emit_restart); the RSTm is the orchestrator's.
            close_piece(writer, scan, plan, state)
            data, state = _pack(writer, state)
            pieces.append(data + final_byte(_as_entropy_state(state)))
            writer, state = BitWriter(codes, lengths), ScanState.start(scan, state.mcus_done)
        code_piece(writer, segment, scan, plan, state)
        state.mcus_done += segment.mcus
    data, state = _pack(writer, state)
    return [*pieces, data], state


def interval_segments(piece: ScanPiece, mcus_done: int, interval: int) -> list[ScanPiece]:
    """Cut a piece that begins after ``mcus_done`` MCUs of the scan where restart intervals
    of ``interval`` MCUs begin."""
    starts = np.arange(-mcus_done % interval, piece.mcus, interval)
    return split_piece(piece, starts[starts > 0])


def close_scan(scan: Scan, plan: Plan, codes: np.ndarray, lengths: np.ndarray,
               state: ScanState) -> bytes:
    """The last bytes of a scan without restart markers: the pending EOBRUN and correction
    bits, then the partial byte padded with 1-bits (F.1.2.3)."""
    writer = BitWriter(codes, lengths)
    close_piece(writer, scan, plan, state)
    data, state = _pack(writer, state)
    return data + final_byte(_as_entropy_state(state))


def progressive_count(blocks: list[np.ndarray], rows: int, scan: Scan, plan: Plan,
                      state: ScanState | None) -> tuple[np.ndarray, ScanState | None]:
    """Count the Huffman symbols one strip of ``scan`` codes: the ``progressive_count`` stage.

    As :func:`progressive_encode` (``state`` None: whole restart intervals, each closed), but
    only counting symbols, per table: int64 ``(n_tables, 256)``. A DC refinement scan codes
    no symbols.
    """
    counter = SymbolCounter(len(plan.dc_tables))
    if state is None:
        for piece in scan_pieces(blocks, rows, plan, scan, restarts=True):
            fresh = ScanState.start(scan)
            code_piece(counter, piece, scan, plan, fresh)
            close_piece(counter, scan, plan, fresh)
        return counter.counts, None
    (piece,) = scan_pieces(blocks, rows, plan, scan, restarts=False)
    if not plan.restart_blocks:
        code_piece(counter, piece, scan, plan, state)
        return counter.counts, state
    for segment in interval_segments(piece, state.mcus_done, plan.restart_blocks):
        if state.mcus_done and state.mcus_done % plan.restart_blocks == 0:
            close_piece(counter, scan, plan, state)
            state = ScanState.start(scan, state.mcus_done)
        code_piece(counter, segment, scan, plan, state)
        state.mcus_done += segment.mcus
    return counter.counts, state


def close_count(scan: Scan, plan: Plan, state: ScanState) -> np.ndarray:
    """The symbols the end of a scan without restart markers codes (its last EOBRUN)."""
    counter = SymbolCounter(len(plan.dc_tables))
    close_piece(counter, scan, plan, state)
    return counter.counts


def _pack(writer: BitWriter, state: ScanState) -> tuple[bytes, ScanState]:
    """Pack the writer's fields after the state's pending bits; keep the new partial byte."""
    values = np.array([state.pending_bits, *writer.values], dtype=np.uint64)
    sizes = np.array([state.pending_count, *writer.sizes], dtype=np.int64)
    data, state.pending_bits, state.pending_count = pack_bits(values, sizes)
    return stuff_bytes(data), state


def _as_entropy_state(state: ScanState) -> EntropyState:
    return EntropyState((), state.pending_bits, state.pending_count)

