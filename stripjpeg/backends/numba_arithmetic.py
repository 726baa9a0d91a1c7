"""The fast path of arithmetic coding: the sequential coder (T.81 F.1.4) as one numba kernel.

The same decisions, bins and bytes as :mod:`stripjpeg.stages.arithmetic` (read that one to
learn the coder; the names here are its names): :func:`code_blocks` walks a strip's blocks in
coding order, codes each DC difference and the AC coefficients with the QM coder, and writes
the bytes into an output array. The coder's registers live in one int64 array
(:data:`A` .. :data:`POSITION` index it), so a strip can stop where the output array is full
and go on after it has grown, and so the state carried between strips is a few arrays.

Table D.2 is passed in (``tables.QE_TABLE``), not copied here, so no constant can drift from
tables.py's.
"""

from __future__ import annotations

import numpy as np

from .numba_jit import kernel

#: Indices into the register array: A, C, CT, the buffered byte, the stacked 0xFF count, the
#: pending 0x00 count (see stages.arithmetic.ArithmeticState), and the output position.
A, C, CT, BUFFER, STACKED_FF, PENDING_ZEROS, POSITION = range(7)
REGISTERS = 7

#: The most bytes one block can add to the output. A block codes at most about 2,112
#: decisions (DC: 1 + 1 + 15 categories + 14 bits; per AC coefficient, 63 of them: end of
#: block, zero, sign, 16 categories, 14 bits), each shifting C at most 15 times (Qe >= 1), so
#: at most 3,960 bytes form, doubled by stuffing; the bytes held back (0x00 and 0xFF runs) are
#: counted apart, since they formed earlier.
MAX_BYTES_PER_BLOCK = 8192


@kernel
def write_byte(registers, out, byte):
    """The pending 0x00 bytes, then ``byte``, with a 0x00 stuffed after 0xFF."""
    position = registers[POSITION]
    for _ in range(registers[PENDING_ZEROS]):
        out[position] = 0
        position += 1
    registers[PENDING_ZEROS] = 0
    out[position] = byte
    position += 1
    if byte == 0xFF:
        out[position] = 0
        position += 1
    registers[POSITION] = position


@kernel
def write_final(registers, out, buffer):
    """The buffered byte (a 0x00 joins the pending ones) and the stacked 0xFF bytes."""
    if buffer == 0:
        registers[PENDING_ZEROS] += 1
    elif buffer > 0:
        write_byte(registers, out, buffer)
    stacked = registers[STACKED_FF]
    if stacked:
        for _ in range(stacked):
            write_byte(registers, out, 0xFF)
        registers[STACKED_FF] = 0


@kernel
def byte_out(registers, out, byte):
    """D.1.6 Byte_out with libjpeg's carry handling (stages.arithmetic.QMEncoder._byte_out)."""
    if byte > 0xFF:
        if registers[BUFFER] >= 0:
            write_byte(registers, out, registers[BUFFER] + 1)
        registers[PENDING_ZEROS] += registers[STACKED_FF]
        registers[STACKED_FF] = 0
        registers[BUFFER] = byte & 0xFF
    elif byte == 0xFF:
        registers[STACKED_FF] += 1
    else:
        write_final(registers, out, registers[BUFFER])
        registers[BUFFER] = byte


@kernel
def encode(registers, out, stats, index, decision, qe_table):
    """One decision in bin ``stats[index]`` (D.1.4, D.1.5), then renormalization (D.1.6)."""
    value = stats[index]
    state = value & 0x7F
    mps = value >> 7
    qe = np.int64(qe_table[state, 0])
    a = registers[A] - qe
    if decision != mps:
        if a >= qe:
            registers[C] += a
            a = qe
        stats[index] = ((mps ^ qe_table[state, 3]) << 7) | qe_table[state, 1]
    else:
        if a >= 0x8000:
            registers[A] = a
            return
        if a < qe:
            registers[C] += a
            a = qe
        stats[index] = (mps << 7) | qe_table[state, 2]
    c = registers[C]
    ct = registers[CT]
    while True:
        a <<= 1
        c <<= 1
        ct -= 1
        if ct == 0:
            byte_out(registers, out, c >> 19)
            c &= 0x7FFFF
            ct = 8
        if a >= 0x8000:
            break
    registers[A] = a
    registers[C] = c
    registers[CT] = ct


@kernel
def encode_magnitude(registers, out, stats, first, categories, magnitude, first_counts_twice,
                     qe_table):
    """``magnitude - 1`` as its category and bits (Figures F.8, F.9); returns M."""
    value = magnitude - 1
    bin_index = first
    top = 0
    if value:
        encode(registers, out, stats, bin_index, 1, qe_table)
        top = 1
        rest = value >> 1
        if first_counts_twice:
            if rest:
                encode(registers, out, stats, bin_index, 1, qe_table)
                top = 2
                bin_index = categories
                rest >>= 1
                while rest:
                    encode(registers, out, stats, bin_index, 1, qe_table)
                    top <<= 1
                    bin_index += 1
                    rest >>= 1
        else:
            bin_index = categories
            while rest:
                encode(registers, out, stats, bin_index, 1, qe_table)
                top <<= 1
                bin_index += 1
                rest >>= 1
    encode(registers, out, stats, bin_index, 0, qe_table)
    bit_bin = bin_index + 14
    bit = top >> 1
    while bit:
        encode(registers, out, stats, bit_bin, 1 if value & bit else 0, qe_table)
        bit >>= 1
    return top


@kernel
def code_blocks(zigzag, owners, tables, start, registers, dc_stats, ac_stats, fixed, predictors,
                contexts, qe_table, dc_bounds, ac_k, out):
    """Code blocks ``start..`` of a strip (zigzag order, ``(n, 64)`` int32) in the order given,
    block ``i`` of component ``owners[i]`` with conditioning table ``tables[owners[i]]``.

    ``dc_bounds`` is ``(2**L >> 1, 2**U >> 1)``, ``ac_k`` Kx. Every state array is updated in
    place. Returns the index of the first block not coded: ``len(zigzag)`` when done, less
    when ``out`` may not hold another block (grow it and call again from there).
    """
    n = zigzag.shape[0]
    for block in range(start, n):
        room = out.shape[0] - registers[POSITION]
        if room < MAX_BYTES_PER_BLOCK + 2 * (registers[PENDING_ZEROS] + registers[STACKED_FF]) + 16:
            return block
        component = owners[block]
        table = tables[component]
        dc = dc_stats[table]
        ac = ac_stats[table]
        # F.1.4.1: the DC difference, in the bins of its context.
        context = contexts[component]
        diff = np.int64(zigzag[block, 0]) - predictors[component]
        predictors[component] = zigzag[block, 0]
        if diff == 0:
            encode(registers, out, dc, context, 0, qe_table)
            contexts[component] = 0
        else:
            encode(registers, out, dc, context, 1, qe_table)
            if diff > 0:
                encode(registers, out, dc, context + 1, 0, qe_table)
                next_context = 4
                first = context + 2
            else:
                encode(registers, out, dc, context + 1, 1, qe_table)
                next_context = 8
                first = context + 3
            top = encode_magnitude(registers, out, dc, first, 20, abs(diff), False, qe_table)
            if top < dc_bounds[0]:
                next_context = 0
            elif top > dc_bounds[1]:
                next_context += 8
            contexts[component] = next_context
        # F.1.4.2: the AC coefficients 1..63.
        last = 63
        while last >= 1 and zigzag[block, last] == 0:
            last -= 1
        k = 1
        while k <= last:
            base = 3 * (k - 1)
            encode(registers, out, ac, base, 0, qe_table)
            while zigzag[block, k] == 0:
                encode(registers, out, ac, base + 1, 0, qe_table)
                base += 3
                k += 1
            encode(registers, out, ac, base + 1, 1, qe_table)
            coefficient = np.int64(zigzag[block, k])
            encode(registers, out, fixed, 0, 1 if coefficient < 0 else 0, qe_table)
            encode_magnitude(registers, out, ac, base + 2, 189 if k <= ac_k else 217,
                             abs(coefficient), True, qe_table)
            k += 1
        if k <= 63:
            encode(registers, out, ac, 3 * (k - 1), 1, qe_table)
    return n


@kernel
def flush(registers, out):
    """D.1.8, as stages.arithmetic.QMEncoder.flush; ``out`` has room for the last bytes."""
    c = (registers[A] - 1 + registers[C]) & 0xFFFF0000
    if c < registers[C]:
        c += 0x8000
    c <<= registers[CT]
    if c & 0xF8000000:
        if registers[BUFFER] >= 0:
            write_byte(registers, out, registers[BUFFER] + 1)
        registers[PENDING_ZEROS] += registers[STACKED_FF]
        registers[STACKED_FF] = 0
    else:
        write_final(registers, out, registers[BUFFER])
    if c & 0x7FFF800:
        write_byte(registers, out, (c >> 19) & 0xFF)
        if c & 0x7F800:
            write_byte(registers, out, (c >> 11) & 0xFF)
    registers[BUFFER] = -1
    registers[PENDING_ZEROS] = 0
