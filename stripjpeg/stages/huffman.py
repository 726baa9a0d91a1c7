"""Sequential Huffman coding (T.81 Annex F.1.2), the entropy coder of baseline JPEG, in NumPy.

One module per entropy coder: progressive Huffman (Annex G), arithmetic coding (F.1.4) and
lossless prediction (Annex H) come as siblings of this one, each with the same three entry
points (``entropy_encode``, ``count_symbols``, and a one-block definition).

The entropy coder turns quantized blocks into a list of *events*, each a run of bits
``(value, length)`` to be written most significant bit first, then packs all events into
bytes at once:

1. blocks are put in MCU order and zigzag order (:func:`blocks_in_coding_order`);
2. each block's DC coefficient is coded as the difference from the previous block of the
   same component (:func:`dc_differences`);
3. each non-zero value ``x`` becomes its size category SSSS (bit length of ``|x|``) and
   SSSS extra "amplitude" bits (:func:`magnitude_category`, :func:`amplitude_bits`);
4. AC coefficients become run/size symbols RRRRSSSS: runs of 16 zeros are sent as ZRL
   (0xF0), and the zeros after the last non-zero as one EOB (0x00) (:func:`ac_events`);
5. each symbol is replaced by its Huffman code, followed by its amplitude bits;
6. events are packed into 64-bit words, cut into bytes, and every 0xFF byte gets a 0x00
   after it so that it cannot be read as a marker (:func:`pack_bits`, :func:`stuff_bytes`).

The definition is :func:`encode_block`, one block at a time in plain Python, as T.81's
flow charts draw it. :func:`huffman_events` is the same thing for many blocks: it yields
the bit fields of :func:`encode_block` for every block in turn (tests/test_stages.py checks
that, bit for bit), with Python loops over the 64 coefficient positions or the components,
never over blocks.
"""

from __future__ import annotations

from collections.abc import Sequence
from typing import NamedTuple

import numpy as np

from ..plan import Plan
from ..tables import EOB, ZIGZAG, ZRL
from .entropy import EntropyState

#: A Huffman table as lookup arrays indexed by symbol: ``(codes, lengths)``; length 0 means
#: the table has no code for that symbol (see ``tables.huffman_codes``).
CodeTable = tuple[np.ndarray, np.ndarray]


class CodedSymbol(NamedTuple):
    """One Huffman-coded symbol of a block and the bits written for it, code first.

    Attributes:
        kind: "DC", "AC", "ZRL" or "EOB".
        symbol: the byte the table codes: SSSS for DC, RRRRSSSS for AC (0xF0, 0x00 for ZRL, EOB).
        value: DIFF for DC, the coefficient for AC, 0 for ZRL and EOB.
        code, code_length: its Huffman code.
        amplitude, size: the SSSS extra bits that follow the code (F.1.2.1.1).
    """

    kind: str
    symbol: int
    value: int
    code: int
    code_length: int
    amplitude: int
    size: int


def encode_block(zigzag: Sequence[int], predictor: int, dc_table: CodeTable,
                 ac_table: CodeTable) -> tuple[list[CodedSymbol], int]:
    """encode_block codes one block: the definition of baseline Huffman coding (T.81 F.1.2.1,
    F.1.2.2; Figures F.1 to F.5). Everything else in this module computes the same for
    many blocks at once.

    Args:
        zigzag: the block's 64 quantized coefficients in zigzag order (Python ints).
        predictor: PRED, the DC of the previous block of this component (0 at the start of
            a scan or restart interval, F.1.1.5.1).
        dc_table, ac_table: the component's Huffman tables.

    Returns:
        ``(symbols, predictor)``: the symbols in the order they are written, and the new PRED.
    """
    diff = zigzag[0] - predictor  # DIFF = DC - PRED (F.1.2.1)
    out = [_coded("DC", dc_table, magnitude_category_of(diff), diff)]
    run = 0  # RRRR: zero coefficients since the last non-zero one (Figure F.2's R)
    for k in range(1, 64):
        value = zigzag[k]
        if value == 0:
            run += 1
            continue
        while run > 15:  # RRRR has 4 bits: each 16 zeros of a longer run go as one ZRL (F.3)
            out.append(_coded("ZRL", ac_table, ZRL, 0))
            run -= 16
        out.append(_coded("AC", ac_table, (run << 4) | magnitude_category_of(value), value))
        run = 0
    if run > 0:  # the zeros up to coefficient 63 go as one EOB, even if they are 16 or more
        out.append(_coded("EOB", ac_table, EOB, 0))
    return out, zigzag[0]


def magnitude_category_of(value: int) -> int:
    """SSSS of one value: the number of bits of ``|value|`` (Tables F.1, F.2): 0 for 0,
    1 for +-1, 2 for +-2..3, ..., 11 for +-1024..2047."""
    return abs(value).bit_length()


def _coded(kind: str, table: CodeTable, symbol: int, value: int) -> CodedSymbol:
    """``symbol``'s Huffman code from ``table``, followed by ``value``'s SSSS amplitude bits."""
    codes, lengths = table
    if lengths[symbol] == 0:
        raise ValueError(f"the {'DC' if kind == 'DC' else 'AC'} Huffman table has no code "
                         f"for symbol 0x{symbol:02X}")
    size = symbol & 15  # SSSS is the low four bits of a DC or AC symbol (0 for ZRL, EOB)
    # F.1.2.1.1: a negative value is sent as value - 1 in SSSS bits (its ones' complement),
    # so its leading bit is 0 and the decoder tells the sign from that bit alone.
    amplitude = value if value >= 0 else value + (1 << size) - 1
    return CodedSymbol(kind, symbol, value, int(codes[symbol]), int(lengths[symbol]), amplitude, size)


def blocks_in_coding_order(blocks: list[np.ndarray], plan: Plan) -> tuple[np.ndarray, np.ndarray]:
    """Flatten the strip's blocks into the order they are coded, in zigzag order.

    Interleaved order (T.81 A.2.3): MCU by MCU, left to right, top to bottom; within an MCU,
    component by component, and each component's H x V blocks left to right, top to bottom.
    A single-component scan has one block per MCU, in raster order.

    Args:
        blocks: per component, ``(block_rows, block_cols, 8, 8)``.

    Returns:
        ``(zigzag, component)``: int32 ``(n_blocks, 64)`` coefficients in zigzag order, and
        the index of the component each block belongs to.
    """
    per_mcu = []
    owners = []
    for index, (component, comp_blocks) in enumerate(zip(plan.components, blocks)):
        rows, cols = comp_blocks.shape[:2]
        v, h = component.mcu_v, component.mcu_h
        grid = comp_blocks.reshape(rows // v, v, cols // h, h, 64)
        per_mcu.append(grid.transpose(0, 2, 1, 3, 4).reshape(-1, v * h, 64))
        owners += [index] * (v * h)
    mcus = np.concatenate(per_mcu, axis=1)  # (n_mcus, blocks_per_mcu, 64)
    zigzag = mcus.reshape(-1, 64)[:, ZIGZAG].astype(np.int32)
    component = np.tile(np.array(owners, dtype=np.intp), mcus.shape[0])
    return zigzag, component


def dc_differences(dc: np.ndarray, component: np.ndarray, predictors: tuple[int, ...],
                   fresh: np.ndarray | None = None) -> tuple[np.ndarray, tuple[int, ...]]:
    """Differences of each block's DC from the previous DC of the same component.

    T.81 F.1.1.5.1: DIFF = DC_i - PRED, where PRED is the DC of the previous block of the
    same component in the scan, and 0 at the start of the scan or of a restart interval.

    Args:
        fresh: optional bool ``(n_blocks,)``: the blocks whose PRED is 0, the first block
            of each component in a restart interval that starts among these blocks.

    Returns:
        ``(diff, predictors)``: the differences, and the last DC of each component.
    """
    diff = np.empty_like(dc)
    last = list(predictors)
    for index in range(len(predictors)):
        mine = np.flatnonzero(component == index)
        if mine.size:
            values = dc[mine]
            diff[mine] = np.diff(values, prepend=predictors[index])
            last[index] = int(values[-1])
    if fresh is not None:
        diff[fresh] = dc[fresh]
    return diff, tuple(last)


def magnitude_category(values: np.ndarray) -> np.ndarray:
    """SSSS, the size category of each value: the bit length of ``|value|`` (Tables F.1, F.2)."""
    # frexp writes |x| = m * 2**e with 0.5 <= m < 1, so e is the bit length (0 for 0); exact
    # for all integers below 2**53.
    return np.frexp(np.abs(values).astype(np.float64))[1].astype(np.int64)


def amplitude_bits(values: np.ndarray, sizes: np.ndarray) -> np.ndarray:
    """The SSSS extra bits after a symbol (T.81 F.1.2.1.1): the value itself if positive;
    if negative, the value minus 1 in SSSS-bit two's complement (its ones' complement)."""
    values = values.astype(np.int64)
    return np.where(values < 0, values + (1 << sizes) - 1, values)


def code_of(symbols: np.ndarray, table: tuple[np.ndarray, np.ndarray],
            what: str) -> tuple[np.ndarray, np.ndarray]:
    """Look up the Huffman code and code length of each symbol; fail on a symbol the table
    does not contain (a custom table that cannot code this image)."""
    codes, lengths = table
    found = lengths[symbols].astype(np.int64)
    if symbols.size and not found.all():
        missing = int(symbols[found == 0][0])
        raise ValueError(f"the {what} Huffman table has no code for symbol 0x{missing:02X}")
    return codes[symbols].astype(np.uint64), found


def _present(lengths: np.ndarray, symbol: int) -> np.ndarray:
    """Return code lengths, failing if a table lacks the code for ``symbol`` (length 0)."""
    if not lengths.all():
        raise ValueError(f"the AC Huffman table has no code for symbol 0x{symbol:02X}")
    return lengths


def ac_events(zigzag: np.ndarray) -> dict[str, np.ndarray]:
    """Run-length code the AC coefficients of every block (T.81 F.1.2.2, Figure F.2).

    Each non-zero AC coefficient becomes one RRRRSSSS symbol (R = zeros before it, at most
    15; S = its size), preceded by ``R // 16`` ZRL symbols when 16 or more zeros precede it.
    A block whose last coefficient (zigzag 63) is zero ends with EOB.

    Returns:
        Arrays over the non-zero AC coefficients, in coding order: ``block`` (its block),
        ``value``, ``size``, ``symbol``, ``zrl_count``; and per block ``needs_eob``.
    """
    ac = zigzag[:, 1:]
    block, column = np.nonzero(ac)  # row-major: by block, then by zigzag position
    position = column + 1
    previous = np.zeros_like(position)
    same_block = np.zeros(position.shape, dtype=bool)
    same_block[1:] = block[1:] == block[:-1]
    previous[1:] = np.where(same_block[1:], position[:-1], 0)
    run = position - previous - 1
    value = ac[block, column]
    size = magnitude_category(value)
    return {
        "block": block,
        "value": value,
        "size": size,
        "symbol": ((run % 16) << 4) | size,
        "zrl_count": run // 16,
        "needs_eob": ac[:, -1] == 0,
    }


def huffman_events(zigzag: np.ndarray, component: np.ndarray, plan: Plan,
                   predictors: tuple[int, ...]) -> tuple[np.ndarray, np.ndarray, tuple[int, ...]]:
    """Every bit field to write for these blocks, in order, as ``(value, length)`` arrays:
    :func:`encode_block` for many blocks at once.

    Per block: the DC code and its amplitude bits; then per non-zero AC coefficient its ZRLs
    and its code with amplitude bits; then EOB if needed. A code and the amplitude bits after
    it are merged into one event (at most 16 + 11 bits).

    Returns:
        ``(values, lengths, predictors)``: uint64 and int64 arrays of equal length, and the
        DC predictors after the last block.
    """
    values, lengths, _, predictors = block_events(zigzag, component, plan, predictors)
    return values, lengths, predictors


def block_events(zigzag: np.ndarray, component: np.ndarray, plan: Plan, predictors: tuple[int, ...],
                 fresh: np.ndarray | None = None
                 ) -> tuple[np.ndarray, np.ndarray, np.ndarray, tuple[int, ...]]:
    """:func:`huffman_events`, with the blocks ``fresh`` (as :func:`dc_differences` takes it)
    predicted from 0, and also the index of each block's first event.

    Returns:
        ``(values, lengths, block_start, predictors)``.
    """
    n_blocks = zigzag.shape[0]
    huffman_of = np.array([c.huffman_index for c in plan.components], dtype=np.intp)
    table = huffman_of[component]

    # DC: category code + amplitude.
    diff, predictors = dc_differences(zigzag[:, 0], component, predictors, fresh)
    dc_size = magnitude_category(diff)
    dc_code = np.zeros(n_blocks, dtype=np.uint64)
    dc_code_len = np.zeros(n_blocks, dtype=np.int64)
    for t in np.unique(table):
        mine = table == t
        dc_code[mine], dc_code_len[mine] = code_of(dc_size[mine], plan.dc_codes[t], "DC")
    dc_value = (dc_code << dc_size.astype(np.uint64)) | amplitude_bits(diff, dc_size).astype(np.uint64)
    dc_length = dc_code_len + dc_size

    # AC: symbols, their codes, ZRLs and EOBs.
    ac = ac_events(zigzag)
    ac_table = table[ac["block"]]
    ac_code = np.zeros(ac["symbol"].shape, dtype=np.uint64)
    ac_code_len = np.zeros(ac["symbol"].shape, dtype=np.int64)
    for t in range(len(plan.ac_codes)):
        mine = ac_table == t
        ac_code[mine], ac_code_len[mine] = code_of(ac["symbol"][mine], plan.ac_codes[t], "AC")
    # ZRL and EOB codes per table; a table lacking one is caught where it is used, below.
    zrl_code = np.array([codes[ZRL] for codes, _ in plan.ac_codes], dtype=np.uint64)
    zrl_len = np.array([lengths[ZRL] for _, lengths in plan.ac_codes], dtype=np.int64)
    eob_code = np.array([codes[EOB] for codes, _ in plan.ac_codes], dtype=np.uint64)
    eob_len = np.array([lengths[EOB] for _, lengths in plan.ac_codes], dtype=np.int64)
    size = ac["size"]
    ac_value = (ac_code << size.astype(np.uint64)) | amplitude_bits(ac["value"], size).astype(np.uint64)
    ac_length = ac_code_len + size

    # Where each event goes: a block's events are DC, then (ZRL..., symbol) per non-zero
    # coefficient, then EOB. Count them, and place them with running sums.
    needs_eob = ac["needs_eob"]
    slots_per_coefficient = ac["zrl_count"] + 1
    ac_slots_per_block = np.bincount(ac["block"], weights=slots_per_coefficient,
                                     minlength=n_blocks).astype(np.int64)
    events_per_block = 1 + ac_slots_per_block + needs_eob
    block_start = np.cumsum(events_per_block) - events_per_block
    total = int(events_per_block.sum())

    values = np.zeros(total, dtype=np.uint64)
    lengths = np.zeros(total, dtype=np.int64)
    values[block_start] = dc_value
    lengths[block_start] = dc_length

    # Offset of each coefficient's first slot within its block's AC slots.
    running = np.cumsum(slots_per_coefficient) - slots_per_coefficient
    first_of_block = np.cumsum(ac_slots_per_block) - ac_slots_per_block
    within = running - first_of_block[ac["block"]]
    first_slot = block_start[ac["block"]] + 1 + within
    symbol_slot = first_slot + ac["zrl_count"]
    values[symbol_slot] = ac_value
    lengths[symbol_slot] = ac_length

    zrl_owner = np.repeat(np.arange(ac["zrl_count"].size), ac["zrl_count"])
    if zrl_owner.size:
        zrl_rank = np.arange(zrl_owner.size) - np.repeat(
            np.cumsum(ac["zrl_count"]) - ac["zrl_count"], ac["zrl_count"])
        zrl_slot = first_slot[zrl_owner] + zrl_rank
        values[zrl_slot] = zrl_code[ac_table[zrl_owner]]
        lengths[zrl_slot] = _present(zrl_len[ac_table[zrl_owner]], ZRL)

    eob_blocks = np.flatnonzero(needs_eob)
    eob_slot = block_start[eob_blocks] + events_per_block[eob_blocks] - 1
    values[eob_slot] = eob_code[table[eob_blocks]]
    lengths[eob_slot] = _present(eob_len[table[eob_blocks]], EOB)
    return values, lengths, block_start, predictors


def pack_bits(values: np.ndarray, lengths: np.ndarray) -> tuple[bytes, int, int]:
    """Concatenate bit fields, most significant bit first, into bytes.

    Each field lands in one 64-bit word, or straddles two; fields are OR-ed into their
    words, and the words written big-endian.

    Args:
        values: uint64, each field right-aligned (fewer than 64 bits).
        lengths: int64, the number of bits of each field.

    Returns:
        ``(data, pending_bits, pending_count)``: the whole bytes, and the 0..7 bits left over.
    """
    total_bits = int(lengths.sum())
    if total_bits == 0:
        return b"", 0, 0
    start = np.cumsum(lengths) - lengths
    word = start >> 6
    end = (start & 63) + lengths  # where the field ends within its word, 1..127
    fits = end <= 64
    # Shift amounts are kept in 0..63 on both branches: larger shifts are undefined.
    left = np.where(fits, 64 - end, 0).astype(np.uint64)
    right = np.where(fits, 0, end - 64).astype(np.uint64)
    head = (values << left) >> right
    words = np.zeros((total_bits + 63) // 64 + 1, dtype=np.uint64)
    first = np.flatnonzero(np.r_[True, word[1:] != word[:-1]])
    words[word[first]] = np.bitwise_or.reduceat(head, first)
    spill = np.flatnonzero(~fits)  # at most one field crosses each word boundary
    words[word[spill] + 1] |= values[spill] << (128 - end[spill]).astype(np.uint64)
    raw = words.astype(">u8").tobytes()
    whole, pending_count = divmod(total_bits, 8)
    pending_bits = raw[whole] >> (8 - pending_count) if pending_count else 0
    return raw[:whole], pending_bits, pending_count


def stuff_bytes(data: bytes) -> bytes:
    """Insert a 0x00 after every 0xFF byte of entropy-coded data (T.81 F.1.2.3)."""
    array = np.frombuffer(data, dtype=np.uint8)
    ff = np.flatnonzero(array == 0xFF)
    if ff.size == 0:
        return data
    return np.insert(array, ff + 1, 0).tobytes()


def count_symbols(blocks: list[np.ndarray], plan: Plan, predictors: tuple[int, ...]
                  ) -> tuple[np.ndarray, np.ndarray, tuple[int, ...]]:
    """How often each DC and AC symbol would be coded, per Huffman table (for optimize=True).

    The same symbols :func:`huffman_events` codes: a DC size category per block; per block
    the run/size symbols, ZRLs and EOB (libjpeg's ``htest_one_block``).

    Returns:
        ``(dc, ac, predictors)``: int64 ``(n_tables, 256)`` counts each, and the DC
        predictors after the last block.
    """
    zigzag, component = blocks_in_coding_order(blocks, plan)
    return _count_events(zigzag, component, plan, predictors)


def _count_events(zigzag: np.ndarray, component: np.ndarray, plan: Plan,
                  predictors: tuple[int, ...], fresh: np.ndarray | None = None
                  ) -> tuple[np.ndarray, np.ndarray, tuple[int, ...]]:
    """:func:`count_symbols` of blocks in coding order (``fresh``: as :func:`dc_differences`)."""
    huffman_of = np.array([c.huffman_index for c in plan.components], dtype=np.intp)
    table = huffman_of[component]
    n_tables = len(plan.dc_tables)
    diff, predictors = dc_differences(zigzag[:, 0], component, predictors, fresh)
    dc = np.zeros((n_tables, 256), np.int64)
    np.add.at(dc, (table, magnitude_category(diff)), 1)
    ac_counts = np.zeros((n_tables, 256), np.int64)
    ac = ac_events(zigzag)
    np.add.at(ac_counts, (table[ac["block"]], ac["symbol"]), 1)
    np.add.at(ac_counts[:, ZRL], table[ac["block"]], ac["zrl_count"])
    np.add.at(ac_counts[:, EOB], table[ac["needs_eob"]], 1)
    return dc, ac_counts, predictors


def entropy_encode(blocks: list[np.ndarray], plan: Plan, state: EntropyState,
                   final: bool) -> tuple[bytes, EntropyState]:
    """Huffman-code a strip's blocks, MCU by MCU, continuing from ``state``: the
    ``entropy_encode`` stage.

    Args:
        blocks: per component, int16 ``(block_rows, block_cols, 8, 8)``, natural order.
        plan: the image's plan (Huffman tables, sampling factors).
        state: DC predictors and pending bits to start from.
        final: pad the last byte with 1-bits (end of a restart interval or of the scan)
            and return a state with nothing pending.

    Returns:
        ``(data, state)``: whole bytes with 0xFF stuffed, and the state to continue from.
    """
    zigzag, component = blocks_in_coding_order(blocks, plan)
    values, lengths, predictors = huffman_events(zigzag, component, plan, state.dc_predictors)
    # The bits the previous strip left pending come first...
    values = np.r_[np.uint64(state.pending_bits), values]
    lengths = np.r_[state.pending_count, lengths]
    if final:
        # ...and a scan or restart interval ends by padding with 1-bits to a byte (F.1.2.3).
        pad = -int(lengths.sum()) % 8
        values = np.r_[values, np.uint64((1 << pad) - 1)]
        lengths = np.r_[lengths, pad]
    data, pending_bits, pending_count = pack_bits(values, lengths.astype(np.int64))
    return stuff_bytes(data), EntropyState(predictors, pending_bits, pending_count)


# --- Restart intervals counted in MCUs (restart_blocks) -----------------------------------------

def interval_starts(first_mcu: int, n_mcus: int, interval: int) -> np.ndarray:
    """The MCUs, counted from a strip's first (MCU ``first_mcu`` of the scan), that begin a
    restart interval of ``interval`` MCUs: every MCU whose index in the scan is a multiple."""
    return np.arange(-first_mcu % interval, n_mcus, interval)


def _fresh_predictors(component: np.ndarray, blocks_per_mcu: int, starts: np.ndarray) -> np.ndarray:
    """The blocks whose PRED is 0 (F.1.1.5.1): in each MCU that begins a restart interval,
    the first block of each component (an MCU holds a component's blocks one after another)."""
    first = np.r_[True, component[1:blocks_per_mcu] != component[:blocks_per_mcu - 1]]
    fresh = np.zeros(component.shape, dtype=bool)
    fresh.reshape(-1, blocks_per_mcu)[starts] = first
    return fresh


def interval_encode(blocks: list[np.ndarray], plan: Plan, state: EntropyState,
                    first_mcu: int) -> tuple[list[bytes], EntropyState]:
    """Huffman-code a strip's blocks with a restart interval every ``plan.restart_blocks``
    MCUs of the scan, wherever it falls (mid-row too): libjpeg's ``restart_interval``
    (jchuff.c encode_mcu, emit_restart).

    At each interval's end the bits are padded with 1-bits to a byte (F.1.2.3) and the DC
    predictors restart from 0 (F.1.1.5.1); the RSTm marker between two intervals is the
    orchestrator's. The strip's last interval, unless it ends there (or the scan does), goes
    on in the next strip, from the returned state.

    Args:
        blocks: per component, int16 ``(block_rows, block_cols, 8, 8)``, natural order.
        state: the state the previous strip ended with (``EntropyState.start`` for a strip
            that begins an interval).
        first_mcu: index in the scan of the strip's first MCU.

    Returns:
        ``(pieces, state)``: the strip's bytes cut at the interval starts, 0xFF stuffed.
        ``pieces[0]`` goes on with what came before (the scan's first interval, for the
        first strip; empty when the strip begins an interval); each later piece begins an
        interval, so an RSTm goes before it.
    """
    zigzag, component = blocks_in_coding_order(blocks, plan)
    per_mcu = plan.blocks_per_mcu
    n_mcus = zigzag.shape[0] // per_mcu
    starts = interval_starts(first_mcu, n_mcus, plan.restart_blocks)
    fresh = _fresh_predictors(component, per_mcu, starts)
    values, lengths, block_start, predictors = block_events(zigzag, component, plan,
                                                            state.dc_predictors, fresh)
    # The strip's segments, each within one interval: cut where an interval begins.
    cuts = starts[starts > 0]
    first_event = block_start[np.r_[0, cuts] * per_mcu]
    bits = np.add.reduceat(lengths, first_event)
    bits[0] += state.pending_count  # the previous strip's pending bits come first
    end = first_mcu + n_mcus
    pads = -bits % 8  # every segment but the last ends an interval
    if end % plan.restart_blocks and end < plan.total_mcus:
        pads[-1] = 0  # the last goes on in the next strip
    values = np.insert(values, np.r_[first_event[1:], len(values)], ((1 << pads) - 1).astype(np.uint64))
    lengths = np.insert(lengths, np.r_[first_event[1:], len(lengths)], pads)
    values = np.r_[np.uint64(state.pending_bits), values]
    lengths = np.r_[state.pending_count, lengths].astype(np.int64)
    data, pending_bits, pending_count = pack_bits(values, lengths)
    # Stuff once, then cut: each cut moves by the 0xFF bytes before it (one 0x00 each).
    ends = np.cumsum(bits + pads) // 8
    ff_before = np.r_[0, np.cumsum(np.frombuffer(data, np.uint8) == 0xFF)]
    ends = (ends + ff_before[ends]).tolist()
    stuffed = stuff_bytes(data)
    pieces = [stuffed[a:b] for a, b in zip([0, *ends[:-1]], ends)]
    if starts.size and starts[0] == 0 and first_mcu > 0:
        pieces.insert(0, b"")  # the strip begins an interval: nothing goes on
    return pieces, EntropyState(predictors, pending_bits, pending_count)


def interval_count(blocks: list[np.ndarray], plan: Plan, predictors: tuple[int, ...],
                   first_mcu: int) -> tuple[np.ndarray, np.ndarray, tuple[int, ...]]:
    """:func:`count_symbols` with the DC predictors restarting where :func:`interval_encode`
    restarts them (a strip whose first MCU is MCU ``first_mcu`` of the scan)."""
    zigzag, component = blocks_in_coding_order(blocks, plan)
    per_mcu = plan.blocks_per_mcu
    starts = interval_starts(first_mcu, zigzag.shape[0] // per_mcu, plan.restart_blocks)
    return _count_events(zigzag, component, plan, predictors,
                         _fresh_predictors(component, per_mcu, starts))
