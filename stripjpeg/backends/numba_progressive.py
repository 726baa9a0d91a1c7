"""The fast path for progressive JPEG: the four coders of T.81 G.1.2 as numba kernels.

The same symbols and bits as :mod:`stripjpeg.stages.progressive` (read that one to learn the
coders, with libjpeg's EOBRUN and correction-bit rules); these only reorganise the work:

* :func:`code_ac_scan`  AC first and AC refinement scans (one component): per block, the
                        band's non-zero coefficients as a 64-bit mask in zigzag order
                        (:func:`zigzag_at_least`, a few vector instructions), so that only
                        they are visited, lowest bit first; a refinement visits only the
                        newly non-zero ones, taking the correction bits between them at once
* :func:`code_dc_scan`  DC first and DC refinement scans, one component or interleaved (MCU
                        order, T.81 A.2.3): the DC values gathered first, then coded

Both read the blocks where the transform stage put them (per component ``(block_rows,
block_cols, 8, 8)``, natural order) and either write bytes (the bit writer of
:mod:`.numba_huffman`: 64-bit buffer, 0xFF stuffed) or only count symbols (``counting``).
With restart intervals (``interval`` > 0) one call codes all the intervals of a strip, each
from a fresh state, closed and padded, ``ends[i]`` marking where interval ``i`` ends; without
(``interval`` 0) it continues the scan from ``state`` and returns whole bytes only.

The scan state passed in and out is an int64 array (indices :data:`POSITION` ...
:data:`BE_BITS`) with the DC predictors beside it, and the correction bits waiting for an
EOBRUN (BE) in ``correction``: ``correction[0, i]`` holds ``correction[1, i]`` bits (at most
63, most significant first), one entry per block that added some.
"""

from __future__ import annotations

import numba
import numpy as np
from llvmlite import ir
from numba.core import cgutils, types
from numba.core.extending import intrinsic

from .numba_huffman import U64, ZRL, bit_length, flush_bytes, lowest_set_bit, put_bits, put_byte, put_word
from .numba_jit import inline_kernel, kernel

# Literal copies of stages/progressive.py's constants (see numba_huffman for why);
# tests/test_numba.py checks them.

#: libjpeg's cap on EOBRUN (jcphuff.c).
MAX_EOBRUN = 0x7FFF
#: An EOBRUN is sent once more correction bits than this wait (jcphuff.c, MAX_CORR_BITS - 63).
CORRECTION_BITS_LIMIT = 937
#: Room for the correction bits one scan state holds: at most the limit plus one block's 63.
CORRECTION_ENTRIES = 1024

#: Indices into the scan state array.
POSITION, BUFFER, COUNT, EOBRUN, BE_ENTRIES, BE_BITS = range(6)
STATE_SIZE = 6

#: Room, per restart interval, for its closing EOBRUN and padding byte, stuffed; and for
#: what a scan continued from a state may bring along (7 pending bits, up to 1000 waiting
#: correction bits).
INTERVAL_EXTRA_BYTES = 16
CARRIED_EXTRA_BYTES = 2 * (1000 + 7) // 8 + 16


#: T.81 Figure A.6: the natural index (8 v + u) of each zigzag position (tables.ZIGZAG).
ZIGZAG = (0, 1, 8, 16, 9, 2, 3, 10, 17, 24, 32, 25, 18, 11, 4, 5, 12, 19, 26, 33, 40, 48, 41, 34, 27,
          20, 13, 6, 7, 14, 21, 28, 35, 42, 49, 56, 57, 50, 43, 36, 29, 22, 15, 23, 30, 37, 44, 51, 58,
          59, 52, 45, 38, 31, 39, 46, 53, 60, 61, 54, 47, 55, 62, 63)


if numba.config.DISABLE_JIT:
    # Plain Python (NUMBA_DISABLE_JIT=1): the same masks from NumPy.
    def _mask(flags):
        return U64(sum(1 << int(k) for k in np.flatnonzero(flags)))

    def _zigzag(blocks, row, col):
        return blocks[row, col].reshape(64)[list(ZIGZAG)].astype(np.int32)

    def zigzag_at_least(blocks, row, col, threshold):
        """See the compiled version below."""
        return _mask(np.abs(_zigzag(blocks, row, col)) >= threshold)

    def zigzag_bit_set(blocks, row, col, bit):
        """See the compiled version below."""
        return _mask(np.abs(_zigzag(blocks, row, col)) & bit)

    def zigzag_negative(blocks, row, col):
        """See the compiled version below."""
        return _mask(_zigzag(blocks, row, col) < 0)
else:
    def _block_intrinsic(test):
        """An intrinsic ``(blocks, row, col[, x]) -> uint64``: bit k set where coefficient k
        (zigzag order) of the block ``blocks[row, col]`` passes ``test``.

        A few vector instructions per block, written in LLVM's IR since no loop of numba's
        turns into them: the 64 coefficients loaded as one vector (the block's 8 x 8 must be
        contiguous), shuffled into zigzag order, tested lane by lane, the 64 answers taken
        as the bits of one integer (with AVX-512: two loads, a permute, a compare, a mask
        move). ``test(builder, vector, x)`` builds the lane test; ``x`` arrives in every lane.
        """
        def typer(typingctx, blocks, row, col, *x):
            if not (isinstance(blocks, types.Array) and blocks.dtype == types.int16 and blocks.ndim == 4):
                return None

            def codegen(context, builder, signature, args):
                array = context.make_array(signature.args[0])(context, builder, args[0])
                strides = cgutils.unpack_tuple(builder, array.strides)
                row, col, *x = (context.cast(builder, value, kind, types.int64)
                                for value, kind in zip(args[1:], signature.args[1:]))
                offset = builder.add(builder.mul(row, strides[0]), builder.mul(col, strides[1]))
                address = builder.add(builder.ptrtoint(array.data, ir.IntType(64)), offset)
                vector = ir.VectorType(ir.IntType(16), 64)
                lanes = ir.VectorType(ir.IntType(32), 64)
                natural = builder.load(builder.inttoptr(address, vector.as_pointer()), align=2)
                zigzag = builder.shuffle_vector(natural, ir.Constant(vector, ir.Undefined),
                                                ir.Constant(lanes, list(ZIGZAG)))
                splat = None
                if x:
                    first = builder.insert_element(ir.Constant(vector, ir.Undefined),
                                                   builder.trunc(x[0], ir.IntType(16)),
                                                   ir.Constant(ir.IntType(32), 0))
                    splat = builder.shuffle_vector(first, ir.Constant(vector, ir.Undefined),
                                                   ir.Constant(lanes, None))
                return builder.bitcast(test(builder, zigzag, splat), ir.IntType(64))

            return types.uint64(blocks, row, col, *x), codegen

        return typer

    def _magnitude(builder, vector):
        """|c| per lane; -32768's, 0x8000, then reads as 32768 when unsigned."""
        negative = builder.icmp_signed("<", vector, ir.Constant(vector.type, None))
        return builder.select(negative, builder.sub(ir.Constant(vector.type, None), vector), vector)

    @intrinsic
    def zigzag_at_least(typingctx, blocks, row, col, threshold):
        """uint64: bit k set where ``|c_k| >= threshold`` (1 .. 2**14), c_k the block's
        coefficient k in zigzag order (see :func:`_block_intrinsic`)."""
        return _block_intrinsic(lambda builder, vector, limit: builder.icmp_unsigned(
            ">=", _magnitude(builder, vector), limit))(typingctx, blocks, row, col, threshold)

    @intrinsic
    def zigzag_bit_set(typingctx, blocks, row, col, bit):
        """uint64: bit k set where ``|c_k| & bit`` is not zero (``bit`` a power of 2)."""
        return _block_intrinsic(lambda builder, vector, mask: builder.icmp_unsigned(
            "!=", builder.and_(_magnitude(builder, vector), mask), ir.Constant(vector.type, None)))(
            typingctx, blocks, row, col, bit)

    @intrinsic
    def zigzag_negative(typingctx, blocks, row, col):
        """uint64: bit k set where ``c_k < 0``."""
        return _block_intrinsic(lambda builder, vector, _: builder.icmp_signed(
            "<", vector, ir.Constant(vector.type, None)))(typingctx, blocks, row, col)


if numba.config.DISABLE_JIT:
    def popcount(mask):
        """The number of 1-bits of a uint64."""
        return bin(int(mask)).count("1")
else:
    @intrinsic
    def popcount(typingctx, mask):
        """The number of 1-bits of a uint64 (LLVM's ctpop: one POPCNT), as int64."""
        if mask != types.uint64:
            return None

        def codegen(context, builder, signature, args):
            return builder.ctpop(args[0])

        return types.int64(mask), codegen


#: uint64 with every bit set: ``ALL >> (64 - k)`` has bits 0 .. k-1 (k >= 1).
ALL = 0xFFFFFFFFFFFFFFFF


@kernel
def emit_eobrun(eobrun, entries, table, codes, lengths, correction, counting, counts, out, position, buffer,
                count):
    """Code a pending EOBRUN (> 0) as EOBn and n bits (T.81 Table G.1), then the ``entries``
    of correction bits that waited for it (jcphuff.c emit_eobrun). Called, not inlined: it
    runs once per run of blocks, not per coefficient.

    Args:
        position, buffer, count: the bit writer (output position, uint64 bit buffer, bits in it).

    Returns:
        ``(status, position, buffer, count)``: status 0, or :func:`no_code` of the EOBn symbol.
    """
    n = bit_length(eobrun) - 1
    if counting:
        counts[table, n << 4] += 1
        return 0, position, buffer, count
    length = lengths[table, n << 4]
    if length == 0:
        return no_code(table, n << 4), position, buffer, count
    bits = (np.int64(codes[table, n << 4]) << n) | (eobrun & ((1 << n) - 1))
    buffer, count, word, full = put_bits(buffer, count, bits, length + n)
    if full:
        position = put_word(out, position, word)
    for i in range(entries):
        buffer, count, word, full = put_bits(buffer, count, correction[0, i], correction[1, i])
        if full:
            position = put_word(out, position, word)
    return 0, position, buffer, count


@inline_kernel
def no_code(table, symbol):
    """The status for a symbol Huffman table ``table`` has no code for."""
    return -1 - ((table << 8) | symbol)


@kernel
def pad_interval(out, position, buffer, count):
    """End a restart interval's bytes: the whole bytes of the bit buffer, then the last
    bits padded with 1-bits (T.81 F.1.2.3), stuffed. Returns the next position."""
    position, buffer, count = flush_bytes(out, position, buffer, count)
    if count:
        pad = 8 - count
        position = put_byte(out, position, (buffer << U64(pad)) | U64((1 << pad) - 1))
    return position


#: The status of an AC coefficient too large for a size category (SSSS <= 15, T.81 G.1.2.2).
TOO_LARGE = -(1 << 20)


@kernel
def code_ac_scan(blocks, block_rows, block_cols, ss, se, ah, al, table, codes, lengths, natural, interval,
                 state, correction, counting, counts, out, ends):
    """Code (or count the symbols of) one strip of an AC scan of one component: its real
    blocks in raster order (T.81 A.2.2), band Ss..Se (1 <= Ss), first (``ah`` 0) or refinement.

    Per block, which coefficients of the band are non-zero after the point transform is a
    zigzag-order mask (:func:`zigzag_at_least`): coefficient k's magnitude after the point
    transform, ``|c| >> Al``, is non-zero when ``|c| >= 2**Al``. Then only the non-zero
    coefficients are visited, lowest bit first, as the sequential coder does; a block with
    none costs a few vector instructions. A refinement also takes the masks of those that
    were non-zero before (``|c| >= 2**Ah``, Ah = Al + 1), of bit Al and of the signs, and
    visits only the newly non-zero coefficients.

    The work per block is written out here rather than in helpers: an inlined helper taking
    an array updates its reference count (two atomic operations) per call, and a called one
    receives every array as a dozen arguments (docs/performance.md).

    Args:
        blocks: int16 ``(>= block_rows, >= block_cols, 8, 8)`` natural order, each block's
            8 x 8 contiguous.
        table: the component's AC Huffman table; ``codes``, ``lengths``: ``(n_tables, 256)``
            codes and code lengths (0: no code).
        natural: int64 (64,), the natural index of each zigzag position (:data:`ZIGZAG`).
        interval: blocks per restart interval, or 0 (continue from ``state``).
        state, correction: the scan state (see the module notes), updated.
        counting: only count the symbols, into ``counts`` (int64 ``(n_tables, 256)``).
        out: uint8 output; ``ends``: int64, where each restart interval's bytes end.

    Returns:
        0, :func:`no_code` of a symbol the table cannot code, or :data:`TOO_LARGE`.
    """
    band = (U64(ALL) >> U64(63 - se)) & ~(U64(ALL) >> U64(64 - ss))  # bits Ss..Se
    low = np.int64(1) << al
    position, buffer, count = state[POSITION], U64(state[BUFFER]), state[COUNT]
    eobrun, entries, waiting_total = state[EOBRUN], state[BE_ENTRIES], state[BE_BITS]
    zrl_length = lengths[table, ZRL] if lengths.shape[0] else 1
    zrl_code = np.int64(codes[table, ZRL]) if lengths.shape[0] else 0
    left = interval
    intervals = 0
    for row in range(block_rows):
        for col in range(block_cols):
            nonzero = zigzag_at_least(blocks, row, col, low) & band
            earlier = zigzag_at_least(blocks, row, col, low << 1) & band if ah else U64(0)
            # The pending EOBRUN goes out before the block's first symbol, if it has any: a
            # non-zero coefficient (first scan) or a newly non-zero one (refinement: a ZRL,
            # too, comes only before one). Written out here (the common case, a run of one
            # block); the rare runs that must go out at the end of a block are sent below.
            if eobrun > 0 and (nonzero & ~earlier) != 0:
                n = bit_length(eobrun) - 1  # EOBn and n bits (T.81 Table G.1)
                if counting:
                    counts[table, n << 4] += 1
                else:
                    length = lengths[table, n << 4]
                    if length == 0:
                        return no_code(table, n << 4)
                    bits = (U64(codes[table, n << 4]) << U64(n)) | U64(eobrun & ((1 << n) - 1))
                    buffer, count, word, full = put_bits(buffer, count, bits, length + n)
                    if full:
                        position = put_word(out, position, word)
                    for i in range(entries):  # then the correction bits that waited (BE)
                        buffer, count, word, full = put_bits(buffer, count, correction[0, i],
                                                             correction[1, i])
                        if full:
                            position = put_word(out, position, word)
                eobrun = entries = waiting_total = 0
            previous = ss - 1  # the last coefficient dealt with
            if ah == 0:
                # AC first (G.1.2.2, Figure G.3, with libjpeg's EOBRUN rules).
                mask = nonzero
                while mask:
                    k = lowest_set_bit(mask)
                    mask &= mask - U64(1)
                    run = k - previous - 1
                    previous = k
                    while run > 15:
                        if counting:
                            counts[table, ZRL] += 1
                        else:
                            if zrl_length == 0:
                                return no_code(table, ZRL)
                            buffer, count, word, full = put_bits(buffer, count, zrl_code, zrl_length)
                            if full:
                                position = put_word(out, position, word)
                        run -= 16
                    index = natural[k]
                    value = np.int64(blocks[row, col, index >> 3, index & 7])
                    sign = value >> 63  # -1 if negative, else 0
                    # The point transform of an AC coefficient shifts its magnitude (rounds to 0).
                    magnitude = ((value ^ sign) - sign) >> al
                    size = bit_length(magnitude)
                    if size > 15:
                        return TOO_LARGE
                    symbol = (run << 4) | size
                    if counting:
                        counts[table, symbol] += 1
                        continue
                    length = lengths[table, symbol]
                    if length == 0:
                        return no_code(table, symbol)
                    # Negative amplitudes are sent as value - 1 in SSSS bits (F.1.2.1.1).
                    bits = (np.int64(codes[table, symbol]) << size) | ((magnitude ^ sign) & ((1 << size) - 1))
                    buffer, count, word, full = put_bits(buffer, count, bits, length + size)
                    if full:
                        position = put_word(out, position, word)
                if previous < se:  # the band ends in zeros: one more end-of-band
                    eobrun += 1
            else:
                # AC refinement (G.1.2.3, Figure G.7, with libjpeg's rules for EOBRUN and BE).
                # Coefficients non-zero before (|c| >= 2**Ah) each send a correction bit,
                # bit Al of |c|; the others that are non-zero now are newly non-zero, each coded
                # as a run/size symbol (size 1) and a sign, followed by the correction bits of
                # those passed since the symbol before. So only the newly non-zero ones are
                # visited: the block's correction bits are put in a row once (``row_bits``,
                # the first most significant), and each symbol takes the next ones from it.
                ones = zigzag_bit_set(blocks, row, col, low)
                negative = zigzag_negative(blocks, row, col)
                row_bits = U64(0)
                row_length = popcount(earlier)
                passed = earlier
                while passed:
                    j = lowest_set_bit(passed)
                    passed &= passed - U64(1)
                    row_bits = (row_bits << U64(1)) | ((ones >> U64(j)) & U64(1))
                sent = 0  # correction bits of the row taken so far
                run = 0   # zero-history coefficients since the last symbol (or ZRL)
                waiting = U64(0)  # correction bits taken but not yet sent (BR), and how many
                waiting_bits = 0
                events = nonzero & ~earlier
                while events:
                    k = lowest_set_bit(events)
                    events &= events - U64(1)
                    taken = popcount(earlier & (U64(ALL) >> U64(64 - k))) - sent  # passed on the way
                    mask = (U64(1) << U64(taken)) - U64(1)
                    zeros = k - previous - 1 - taken
                    if run + zeros <= 15:
                        waiting_bits = taken
                        waiting = (row_bits >> U64(row_length - sent - taken)) & mask
                        run += zeros
                    else:
                        # Figure G.7 step by step: at each coefficient passed, with 16 zeros
                        # before it, a ZRL and the correction bits so far.
                        stops = (earlier & (U64(ALL) >> U64(64 - k)) & ~(U64(ALL) >> U64(63 - previous))
                                 ) | (U64(1) << U64(k))
                        walked = previous
                        waiting = U64(0)
                        waiting_bits = 0
                        while stops:
                            j = lowest_set_bit(stops)
                            stops &= stops - U64(1)
                            run += j - walked - 1
                            walked = j
                            while run > 15:
                                if counting:
                                    counts[table, ZRL] += 1
                                else:
                                    if zrl_length == 0:
                                        return no_code(table, ZRL)
                                    buffer, count, word, full = put_bits(buffer, count, zrl_code, zrl_length)
                                    if full:
                                        position = put_word(out, position, word)
                                    buffer, count, word, full = put_bits(buffer, count, waiting, waiting_bits)
                                    if full:
                                        position = put_word(out, position, word)
                                waiting = U64(0)
                                waiting_bits = 0
                                run -= 16
                            if j < k:
                                waiting = (waiting << U64(1)) | ((ones >> U64(j)) & U64(1))
                                waiting_bits += 1
                    sent += taken
                    previous = k
                    symbol = (run << 4) | 1
                    if counting:
                        counts[table, symbol] += 1
                    else:
                        length = lengths[table, symbol]
                        if length == 0:
                            return no_code(table, symbol)
                        # Size 1: the sign bit (1: positive); then the waiting correction bits.
                        positive = ~(negative >> U64(k)) & U64(1)
                        buffer, count, word, full = put_bits(
                            buffer, count, (U64(codes[table, symbol]) << U64(1)) | positive, length + 1)
                        if full:
                            position = put_word(out, position, word)
                        buffer, count, word, full = put_bits(buffer, count, waiting, waiting_bits)
                        if full:
                            position = put_word(out, position, word)
                    run = 0
                # After the last newly non-zero coefficient no ZRL is sent: the rest of the
                # band's correction bits join BR, its zeros the end-of-band.
                waiting_bits = row_length - sent
                waiting = row_bits & ((U64(1) << U64(waiting_bits)) - U64(1))
                run += se - previous - waiting_bits
                if run > 0 or waiting_bits > 0:
                    eobrun += 1
                    if waiting_bits:
                        correction[0, entries] = np.int64(waiting)
                        correction[1, entries] = waiting_bits
                        entries += 1
                        waiting_total += waiting_bits
            # The end of a restart interval (the last may be shorter) sends the EOBRUN, as
            # libjpeg does at EOBRUN's cap and with more than 937 correction bits waiting.
            closing = interval > 0 and (left == 1 or (row == block_rows - 1 and col == block_cols - 1))
            if eobrun > 0 and (eobrun == MAX_EOBRUN or waiting_total > CORRECTION_BITS_LIMIT or closing):
                status, position, buffer, count = emit_eobrun(eobrun, entries, table, codes, lengths,
                                                              correction, counting, counts, out, position,
                                                              buffer, count)
                if status:
                    return status
                eobrun = entries = waiting_total = 0
            if closing:
                # Its padded last byte; the next interval starts afresh.
                if not counting:
                    position = pad_interval(out, position, buffer, count)
                buffer, count = U64(0), 0
                ends[intervals] = position
                intervals += 1
                left = interval
            elif interval:
                left -= 1
    if not (interval or counting):
        position, buffer, count = flush_bytes(out, position, buffer, count)
    state[POSITION], state[BUFFER], state[COUNT] = position, np.int64(buffer), count
    state[EOBRUN], state[BE_ENTRIES], state[BE_BITS] = eobrun, entries, waiting_total
    return 0


@kernel
def gather_dc(blocks, mcu_rows, mcus_across, across, down, al, first, blocks_per_mcu, values):
    """Put the DC values (>> Al, arithmetically: rounded down, G.1.2.1) of one component's
    blocks where they come in the scan's MCU order: block ``(by, bx)`` of MCU ``m`` at
    ``values[m * blocks_per_mcu + first + by * across + bx]``.

    Loads alone, in a long inner loop along a block row, so that the processor overlaps the
    cache misses (each block's DC is 128 bytes from the next one's; five times faster than
    visiting the MCUs in order); the coding, with its dependencies from one block to the
    next, then reads ``values`` in order."""
    for mcu_row in range(mcu_rows):
        for by in range(down):
            row = mcu_row * down + by
            for bx in range(across):
                at = mcu_row * mcus_across * blocks_per_mcu + first + by * across + bx
                for mcu_col in range(mcus_across):
                    dc = np.int64(blocks[row, mcu_col * across + bx, 0, 0])
                    values[at + mcu_col * blocks_per_mcu] = dc >> al


@kernel
def code_dc_scan(b0, b1, b2, b3, components, mcu_rows, mcus_across, ah, al, codes, lengths, interval,
                 state, predictors, counting, counts, out, ends):
    """Code (or count the symbols of) one strip of a DC scan, first (``ah`` 0: T.81 G.1.2.1,
    the differences of DC >> Al coded as in Figure F.1) or refinement (bit Al of each DC, raw).

    Args:
        b0, b1, b2, b3: int16 ``(block_rows, block_cols, 8, 8)`` blocks of the scan's
            components, in scan order (for fewer than four components, any array).
        components: int64 ``(n, 3)``: per scan component, blocks across and down one MCU
            (1, 1 for a scan of one component) and its DC Huffman table.
        mcu_rows, mcus_across: the strip's MCUs; for one component, its real blocks.
        interval: MCUs per restart interval, or 0 (continue from ``state``).
        predictors: int64 ``(n,)``, the DC predictors, updated.
        Others as :func:`code_ac_scan`.
    """
    if ah and counting:
        return 0  # a DC refinement codes no symbols
    n_members = components.shape[0]
    # Which scan component, and so which Huffman table, each block of an MCU belongs to.
    member_of = np.empty(10, np.int64)
    blocks_per_mcu = 0
    for member in range(n_members):
        for _ in range(components[member, 0] * components[member, 1]):
            member_of[blocks_per_mcu] = member
            blocks_per_mcu += 1
    values = np.empty(mcu_rows * mcus_across * blocks_per_mcu, np.int64)
    first = 0
    for member in range(n_members):
        across, down = components[member, 0], components[member, 1]
        grid = b0 if member == 0 else b1 if member == 1 else b2 if member == 2 else b3
        gather_dc(grid, mcu_rows, mcus_across, across, down, al, first, blocks_per_mcu, values)
        first += across * down
    position, buffer, count = state[POSITION], U64(state[BUFFER]), state[COUNT]
    left = interval
    intervals = 0
    at = 0
    for mcu in range(mcu_rows * mcus_across):
        if ah:
            for _ in range(blocks_per_mcu):
                buffer, count, word, full = put_bits(buffer, count, values[at] & 1, 1)
                if full:
                    position = put_word(out, position, word)
                at += 1
        else:
            for j in range(blocks_per_mcu):
                member = member_of[j]
                table = components[member, 2]
                diff = values[at] - predictors[member]
                predictors[member] = values[at]
                at += 1
                sign = diff >> 63
                size = bit_length((diff ^ sign) - sign)
                if counting:
                    counts[table, size] += 1
                    continue
                length = lengths[table, size]
                if length == 0:
                    return no_code(table, size)
                bits = (np.int64(codes[table, size]) << size) | ((diff + sign) & ((1 << size) - 1))
                buffer, count, word, full = put_bits(buffer, count, bits, length + size)
                if full:
                    position = put_word(out, position, word)
        if interval:
            left -= 1
            if left == 0 or mcu == mcu_rows * mcus_across - 1:
                if not counting:
                    position = pad_interval(out, position, buffer, count)
                buffer, count = U64(0), 0
                predictors[:] = 0
                ends[intervals] = position
                intervals += 1
                left = interval
    if not (interval or counting):
        position, buffer, count = flush_bytes(out, position, buffer, count)
    state[POSITION], state[BUFFER], state[COUNT] = position, np.int64(buffer), count
    return 0
