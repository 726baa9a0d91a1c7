"""Slow, obviously correct versions of the encoder's stages, written from T.81's text with
plain Python integers and loops: the yardsticks the vectorized stages are tested against."""

from __future__ import annotations

import math
import struct

import numpy as np

from stripjpeg.tables import ZIGZAG


def ycbcr_pixel(r: int, g: int, b: int) -> tuple[int, int, int]:
    """libjpeg's fixed-point RGB -> YCbCr for one pixel (jccolor.c, SCALEBITS 16)."""
    def fix(x: float) -> int:
        return int(x * 65536 + 0.5)

    half = 1 << 15
    y = (fix(0.29900) * r + fix(0.58700) * g + fix(0.11400) * b + half) >> 16
    cb = (-fix(0.16874) * r - fix(0.33126) * g + fix(0.5) * b + (128 << 16) + half - 1) >> 16
    cr = (fix(0.5) * r - fix(0.41869) * g - fix(0.08131) * b + (128 << 16) + half - 1) >> 16
    return y, cb, cr


def convert_to_ycbcr(pixels: np.ndarray) -> list[list[list[int]]]:
    """The colour conversion stage, pixel by pixel: Y, Cb, Cr planes as lists of rows
    (grayscale passes through; a fourth, alpha channel is ignored)."""
    rows = [[[int(c) for c in pixel] for pixel in row] for row in pixels]
    if pixels.shape[2] == 1:
        return [[[pixel[0] for pixel in row] for row in rows]]
    converted = [[ycbcr_pixel(*pixel[:3]) for pixel in row] for row in rows]
    return [[[pixel[k] for pixel in row] for row in converted] for k in range(3)]


def expand_edges(plane: list[list[int]], rows: int, cols: int) -> list[list[int]]:
    """Repeat the last column, then the last row, out to ``rows x cols`` (libjpeg's
    expand_right_edge and expand_bottom_edge)."""
    wide = [row + [row[-1]] * (cols - len(row)) for row in plane]
    return wide + [list(wide[-1]) for _ in range(rows - len(wide))]


def downsample_plane(plane: list[list[int]], h: int, v: int) -> list[list[int]]:
    """Average h x v groups with libjpeg's alternating bias, sample by sample."""
    out = []
    for row in range(0, len(plane), v):
        out_row = []
        for col in range(0, len(plane[0]), h):
            total = sum(plane[row + dy][col + dx] for dy in range(v) for dx in range(h))
            k = col // h
            if (h, v) == (2, 1):
                out_row.append((total + (k & 1)) >> 1)
            else:
                out_row.append((total + 1 + (k & 1)) >> 2)
        out.append(out_row)
    return out


def int_downsample_plane(plane: list[list[int]], h: int, v: int) -> list[list[int]]:
    """libjpeg's general downsampler (jcsample.c int_downsample), sample by sample: the
    mean of each h x v group, rounded by adding half the count, the same everywhere."""
    count = h * v
    return [[(sum(plane[row + dy][col + dx] for dy in range(v) for dx in range(h)) + count // 2)
             // count for col in range(0, len(plane[0]), h)]
            for row in range(0, len(plane), v)]


def smoothed_sample(plane: list[list[int]], ratio: int, factor: int, row: int, col: int) -> int:
    """One output sample of libjpeg's input smoothing (jcsample.c), from the rule as its
    comment states it: every input sample becomes ``(1 - 8 SF)`` times itself plus ``SF``
    times each of its 8 neighbours (SF = factor / 1024), and a ``ratio x ratio`` (1 or 2)
    output sample is the mean of its smoothed members; in 16-bit fixed point, rounded once.

    Outside the image a coordinate is clamped to its edge: the first and last rows repeated
    above and below (jcprepct.c), the last column to the right (expand_right_edge), and the
    first and last columns once more (the smoothing functions' special columns).

    Each input sample's weight is added up member by member: scaled by 2**16 and shared by
    the ``ratio**2`` members, ``(1 - 8 SF)`` when it is the member, ``SF`` when it is one of
    the member's 8 neighbours.
    """
    members = [(ratio * row + dy, ratio * col + dx) for dy in range(ratio) for dx in range(ratio)]
    share = 65536 // len(members)
    own_weight = share - share * 8 * factor // 1024
    neighbour_weight = share * factor // 1024
    height, width = len(plane), len(plane[0])
    total = 0
    for y in range(ratio * row - 1, ratio * row + ratio + 1):
        for x in range(ratio * col - 1, ratio * col + ratio + 1):
            weight = 0
            for my, mx in members:
                if (y, x) == (my, mx):
                    weight += own_weight
                elif abs(y - my) <= 1 and abs(x - mx) <= 1:
                    weight += neighbour_weight
            total += weight * plane[min(max(y, 0), height - 1)][min(max(x, 0), width - 1)]
    return (total + 32768) >> 16


def exact_dct(block: np.ndarray) -> np.ndarray:
    """T.81 A.3.3, the formula itself: F(v,u) = 1/4 C(u) C(v) sum f(y,x) cos cos."""
    out = np.zeros((8, 8))
    for v in range(8):
        for u in range(8):
            cu = 1 / math.sqrt(2) if u == 0 else 1.0
            cv = 1 / math.sqrt(2) if v == 0 else 1.0
            total = 0.0
            for y in range(8):
                for x in range(8):
                    total += (block[y, x] * math.cos((2 * x + 1) * u * math.pi / 16)
                              * math.cos((2 * y + 1) * v * math.pi / 16))
            out[v, u] = cu * cv * total / 4
    return out


def fix(x: float) -> int:
    """libjpeg's FIX(x): x in CONST_BITS = 13 bit fixed point, rounded (jfdctint.c)."""
    return int(x * (1 << 13) + 0.5)


def descale(x: int, n: int) -> int:
    """libjpeg's DESCALE: x / 2**n rounded half up (Python's >> floors, as C's does here)."""
    return (x + (1 << (n - 1))) >> n


def _islow_1d(d: list[int], even_shift: int, odd_shift: int, even_up: int) -> list[int]:
    """One pass of jfdctint.c's jpeg_fdct_islow as written there: outputs 0 and 4 are shifted
    up by ``even_up`` (pass 1) or descaled by ``-even_up`` (pass 2); the rotated outputs are
    descaled by ``even_shift`` (2, 6) and ``odd_shift`` (1, 3, 5, 7)."""
    tmp0, tmp7 = d[0] + d[7], d[0] - d[7]
    tmp1, tmp6 = d[1] + d[6], d[1] - d[6]
    tmp2, tmp5 = d[2] + d[5], d[2] - d[5]
    tmp3, tmp4 = d[3] + d[4], d[3] - d[4]
    tmp10, tmp13 = tmp0 + tmp3, tmp0 - tmp3
    tmp11, tmp12 = tmp1 + tmp2, tmp1 - tmp2
    out = [0] * 8
    if even_up >= 0:
        out[0], out[4] = (tmp10 + tmp11) << even_up, (tmp10 - tmp11) << even_up
    else:
        out[0], out[4] = descale(tmp10 + tmp11, -even_up), descale(tmp10 - tmp11, -even_up)
    z1 = (tmp12 + tmp13) * fix(0.541196100)
    out[2] = descale(z1 + tmp13 * fix(0.765366865), even_shift)
    out[6] = descale(z1 + tmp12 * -fix(1.847759065), even_shift)
    z1, z2, z3, z4 = tmp4 + tmp7, tmp5 + tmp6, tmp4 + tmp6, tmp5 + tmp7
    z5 = (z3 + z4) * fix(1.175875602)
    tmp4, tmp5 = tmp4 * fix(0.298631336), tmp5 * fix(2.053119869)
    tmp6, tmp7 = tmp6 * fix(3.072711026), tmp7 * fix(1.501321110)
    z1, z2 = z1 * -fix(0.899976223), z2 * -fix(2.562915447)
    z3, z4 = z3 * -fix(1.961570560) + z5, z4 * -fix(0.390180644) + z5
    out[7] = descale(tmp4 + z1 + z3, odd_shift)
    out[5] = descale(tmp5 + z2 + z4, odd_shift)
    out[3] = descale(tmp6 + z2 + z3, odd_shift)
    out[1] = descale(tmp7 + z1 + z4, odd_shift)
    return out


def forward_dct_islow(block: list[list[int]]) -> list[list[int]]:
    """libjpeg's jpeg_fdct_islow on one level-shifted block, in Python ints: rows keep
    PASS1_BITS = 2 extra bits, columns remove them; the result is 8x T.81 A.3.3's DCT."""
    rows = [_islow_1d(row, 13 - 2, 13 - 2, 2) for row in block]
    columns = [_islow_1d([rows[y][x] for y in range(8)], 13 + 2, 13 + 2, -2) for x in range(8)]
    return [[columns[u][v] for u in range(8)] for v in range(8)]


def _ifast_1d(d: list[int]) -> list[int]:
    """One pass of jfdctfst.c's jpeg_fdct_ifast as written there: MULTIPLY(v, FIX(c)) with
    CONST_BITS = 8 and a truncating shift; the outputs stay AA&N-scaled."""
    def multiply(v: int, c: float) -> int:
        return (v * int(c * 256 + 0.5)) >> 8

    tmp0, tmp7 = d[0] + d[7], d[0] - d[7]
    tmp1, tmp6 = d[1] + d[6], d[1] - d[6]
    tmp2, tmp5 = d[2] + d[5], d[2] - d[5]
    tmp3, tmp4 = d[3] + d[4], d[3] - d[4]
    out = [0] * 8
    tmp10, tmp13, tmp11, tmp12 = tmp0 + tmp3, tmp0 - tmp3, tmp1 + tmp2, tmp1 - tmp2
    out[0], out[4] = tmp10 + tmp11, tmp10 - tmp11
    z1 = multiply(tmp12 + tmp13, 0.707106781)
    out[2], out[6] = tmp13 + z1, tmp13 - z1
    tmp10, tmp11, tmp12 = tmp4 + tmp5, tmp5 + tmp6, tmp6 + tmp7
    z5 = multiply(tmp10 - tmp12, 0.382683433)
    z2 = multiply(tmp10, 0.541196100) + z5
    z4 = multiply(tmp12, 1.306562965) + z5
    z3 = multiply(tmp11, 0.707106781)
    z11, z13 = tmp7 + z3, tmp7 - z3
    out[5], out[3], out[1], out[7] = z13 + z2, z13 - z2, z11 + z4, z11 - z4
    return out


def forward_dct_ifast(block: list[list[int]]) -> list[list[int]]:
    """libjpeg's jpeg_fdct_ifast on one level-shifted block, in Python ints: rows, then
    columns, no shifts between; coefficients 8 x s[v] x s[u] x T.81 A.3.3's (roughly)."""
    rows = [_ifast_1d(row) for row in block]
    columns = [_ifast_1d([rows[y][x] for y in range(8)]) for x in range(8)]
    return [[columns[u][v] for u in range(8)] for v in range(8)]


def ifast_divisor(q: int, v: int, u: int) -> int:
    """jcdctmgr.c, JDCT_IFAST: DESCALE(q * aanscales[8v + u], 14 - 3), aanscales being
    s[v] s[u] in 14-bit fixed point, s[0] = 1, s[k] = cos(k pi / 16) sqrt(2)."""
    s = [1.0] + [math.cos(k * math.pi / 16) * math.sqrt(2) for k in range(1, 8)]
    scale = int(s[v] * s[u] * (1 << 14) + 0.5)
    return descale(q * scale, 11)


def divide_by_reciprocal(x: int, divisor: int) -> int:
    """libjpeg-turbo's quantize() (jcdctmgr.c, compute_reciprocal, 16-bit DCTELEM as in its
    SIMD builds): round(|x| / divisor) half up, by a 16-bit reciprocal and a correction."""
    if divisor == 1:
        return x
    b = divisor.bit_length() - 1
    r = 16 + b
    reciprocal, remainder = divmod(1 << r, divisor)
    correction = divisor // 2
    if remainder == 0:          # a power of two
        reciprocal >>= 1
        r -= 1
    elif remainder <= divisor // 2:
        correction += 1
    else:
        reciprocal += 1
    magnitude = ((abs(x) + correction) * reciprocal) >> r
    return magnitude if x >= 0 else -magnitude


def quantize_ifast(coefficients: list[list[int]], table: list[int]) -> list[list[int]]:
    """jcdctmgr.c's forward_DCT for ifast: divide by :func:`ifast_divisor` with libjpeg-turbo's
    reciprocal multiplication (not the plain division stripjpeg's quantize uses)."""
    return [[divide_by_reciprocal(coefficients[v][u], ifast_divisor(int(table[8 * v + u]), v, u))
             for u in range(8)] for v in range(8)]


def f32(x: float) -> float:
    """x rounded to the nearest float32 (ties to even), as a Python float. A float64 sum,
    difference or product of two float32 values rounded once more to float32 equals the
    float32 operation (53 >= 2 * 24 + 2 bits), so f32(a op b) is libjpeg's FAST_FLOAT op."""
    return struct.unpack("<f", struct.pack("<f", x))[0]


def _float_1d(d: list[float]) -> list[float]:
    """One pass of jfdctflt.c's jpeg_fdct_float (and jfdctflt-sse.asm) as written there,
    every operation rounded to float32 by :func:`f32`."""
    c = {k: f32(k) for k in (0.707106781, 0.382683433, 0.541196100, 1.306562965)}
    tmp0, tmp7 = f32(d[0] + d[7]), f32(d[0] - d[7])
    tmp1, tmp6 = f32(d[1] + d[6]), f32(d[1] - d[6])
    tmp2, tmp5 = f32(d[2] + d[5]), f32(d[2] - d[5])
    tmp3, tmp4 = f32(d[3] + d[4]), f32(d[3] - d[4])
    out = [0.0] * 8
    tmp10, tmp13 = f32(tmp0 + tmp3), f32(tmp0 - tmp3)
    tmp11, tmp12 = f32(tmp1 + tmp2), f32(tmp1 - tmp2)
    out[0], out[4] = f32(tmp10 + tmp11), f32(tmp10 - tmp11)
    z1 = f32(f32(tmp12 + tmp13) * c[0.707106781])
    out[2], out[6] = f32(tmp13 + z1), f32(tmp13 - z1)
    tmp10, tmp11, tmp12 = f32(tmp4 + tmp5), f32(tmp5 + tmp6), f32(tmp6 + tmp7)
    z5 = f32(f32(tmp10 - tmp12) * c[0.382683433])
    z2 = f32(f32(tmp10 * c[0.541196100]) + z5)
    z4 = f32(f32(tmp12 * c[1.306562965]) + z5)
    z3 = f32(tmp11 * c[0.707106781])
    z11, z13 = f32(tmp7 + z3), f32(tmp7 - z3)
    out[5], out[3], out[1], out[7] = f32(z13 + z2), f32(z13 - z2), f32(z11 + z4), f32(z11 - z4)
    return out


def forward_dct_float(block: list[list[int]]) -> list[list[float]]:
    """libjpeg's jpeg_fdct_float on one level-shifted block: rows, then columns, float32."""
    rows = [_float_1d([float(x) for x in row]) for row in block]
    columns = [_float_1d([rows[y][x] for y in range(8)]) for x in range(8)]
    return [[columns[u][v] for u in range(8)] for v in range(8)]


def float_divisor(q: int, v: int, u: int) -> float:
    """jcdctmgr.c, JDCT_FLOAT: (FAST_FLOAT)(1.0 / (q * aanscalefactor[v] * aanscalefactor[u]
    * 8.0)) in double, left to right, the factors as jcdctmgr.c prints them."""
    factor = [1.0, 1.387039845, 1.306562965, 1.175875602, 1.0, 0.785694958, 0.541196100, 0.275899379]
    return f32(1.0 / (float(q) * factor[v] * factor[u] * 8.0))


def quantize_float(coefficients: list[list[float]], table: list[int]) -> list[list[int]]:
    """jsimd_quantize_float_sse2: the float32 product by :func:`float_divisor`, rounded to
    the nearest integer with ties to even (cvtps2dq; Python's round does the same)."""
    return [[round(f32(coefficients[v][u] * float_divisor(int(table[8 * v + u]), v, u)))
             for u in range(8)] for v in range(8)]


def quantize_float_plain_c(coefficients: list[list[float]], table: list[int]) -> list[list[int]]:
    """jcdctmgr.c's quantize_float (a build without SIMD): (int)(temp + 16384.5f) - 16384,
    the addition rounded to float32, then truncated (the sum is positive)."""
    return [[int(f32(f32(coefficients[v][u] * float_divisor(int(table[8 * v + u]), v, u))
                     + 16384.5)) - 16384 for u in range(8)] for v in range(8)]


def quantize(coefficients: list[list[int]], table: list[int]) -> list[list[int]]:
    """jcdctmgr.c's forward_DCT for islow: divide by q = 8 x the table step (islow's
    output is 8x scaled), rounding the magnitude half up: ``(|x| + q >> 1) // q``, sign restored."""
    out = []
    for v in range(8):
        row = []
        for u in range(8):
            x, q = coefficients[v][u], 8 * int(table[8 * v + u])
            magnitude = (abs(x) + (q >> 1)) // q
            row.append(magnitude if x >= 0 else -magnitude)
        out.append(row)
    return out


def add_dummy_blocks(blocks: list[list[list[int]]], h: int, v: int) -> list[list[list[int]]]:
    """jccoefct.c's compress_data: complete each MCU of one component with dummy blocks.

    ``blocks[row][col]`` is a real block's 64 coefficients (natural order); the grid grows
    to multiples of ``v`` rows and ``h`` columns. A dummy block is all zero but its DC: on
    the right, the DC of the block before it in the MCU; in a dummy row at the bottom, the
    DC of the block coded just before that row in the MCU (the previous row's last one).
    """
    rows = -(-len(blocks) // v) * v
    cols = -(-len(blocks[0]) // h) * h
    out = [[None] * cols for _ in range(rows)]
    for mcu_row in range(0, rows, v):
        for mcu_col in range(0, cols, h):
            previous = None  # the block coded just before, within this MCU
            for y in range(mcu_row, mcu_row + v):
                row_is_real = y < len(blocks)
                row_start_dc = previous[0] if previous else None
                for x in range(mcu_col, mcu_col + h):
                    if row_is_real and x < len(blocks[0]):
                        block = list(blocks[y][x])
                    elif row_is_real:
                        block = [previous[0]] + [0] * 63
                    else:
                        block = [row_start_dc] + [0] * 63
                    out[y][x] = previous = block
    return out


def blocks_in_coding_order(blocks: list[list[list[list[int]]]], sampling: list[tuple[int, int]]
                           ) -> list[tuple[int, list[int]]]:
    """Interleaved MCU order (T.81 A.2.3): MCU rows, MCUs left to right, then each component's
    V rows of H blocks. Returns ``(component index, block)`` pairs."""
    mcu_rows = len(blocks[0]) // sampling[0][1]
    mcu_cols = len(blocks[0][0]) // sampling[0][0]
    order = []
    for mcu_row in range(mcu_rows):
        for mcu_col in range(mcu_cols):
            for index, (h, v) in enumerate(sampling):
                for dy in range(v):
                    for dx in range(h):
                        order.append((index, blocks[index][mcu_row * v + dy][mcu_col * h + dx]))
    return order


def optimal_huffman_spec(frequencies: list[int]) -> tuple[tuple[int, ...], tuple[int, ...]]:
    """T.81 K.2 as its flow charts draw it, with libjpeg's choices (jchuff.c): returns
    (BITS[1..16], HUFFVAL).

    FREQ(256) = 1 reserves the all-ones code point; among equal counts the larger V is
    taken first. Raises ValueError if a code would be longer than 32 bits (libjpeg's MAX_CLEN).
    """
    freq = [*frequencies, 1]  # FREQ(256) = 1
    codesize = [0] * 257
    others = [-1] * 257

    def least(excluded: int) -> int:
        found = -1
        for v in range(257):
            if freq[v] > 0 and v != excluded and (found < 0 or freq[v] <= freq[found]):
                found = v
        return found

    # Figure K.1, Code_size.
    while True:
        v1 = least(-1)
        v2 = least(v1)
        if v2 < 0:
            break
        freq[v1] += freq[v2]
        freq[v2] = 0
        codesize[v1] += 1
        while others[v1] != -1:
            v1 = others[v1]
            codesize[v1] += 1
        others[v1] = v2
        codesize[v2] += 1
        while others[v2] != -1:
            v2 = others[v2]
            codesize[v2] += 1
    if max(codesize) > 32:
        raise ValueError("code lengths exceed 32 bits")

    # Figure K.2, Count_BITS.
    bits = [0] * 33
    for i in range(257):
        if codesize[i] != 0:
            bits[codesize[i]] += 1

    # Figure K.3, Adjust_BITS.
    i = 32
    while i > 16:
        if bits[i] > 0:
            j = i - 1
            j -= 1
            while bits[j] == 0:
                j -= 1
            bits[i] -= 2
            bits[i - 1] += 1
            bits[j + 1] += 2
            bits[j] -= 1
        else:
            i -= 1
    while bits[i] == 0:
        i -= 1
    bits[i] -= 1  # the code point reserved for FREQ(256)

    # Figure K.4, Sort_input (by the code sizes of Figure K.1, before the adjustment).
    huffval = []
    for size in range(1, 33):
        for v in range(256):
            if codesize[v] == size:
                huffval.append(v)
    return tuple(bits[1:17]), tuple(huffval)


class BitWriter:
    """Bits appended one at a time as characters; bytes at the end (T.81 F.1.2.3)."""

    def __init__(self) -> None:
        self.bits: list[str] = []

    def write(self, value: int, length: int) -> None:
        self.bits.extend(format(value, f"0{length}b") if length else "")

    def to_bytes(self) -> bytes:
        bits = "".join(self.bits)
        bits += "1" * (-len(bits) % 8)  # pad with 1-bits
        out = bytearray()
        for i in range(0, len(bits), 8):
            byte = int(bits[i:i + 8], 2)
            out.append(byte)
            if byte == 0xFF:
                out.append(0x00)  # stuffing
        return bytes(out)


def huffman_encode(blocks_in_order: list[tuple[int, np.ndarray]], dc_tables: list, ac_tables: list,
                   n_components: int) -> bytes:
    """Entropy-code blocks one by one (T.81 F.1.2, Figures F.1 to F.5).

    Args:
        blocks_in_order: ``(component index, 8x8 natural-order block)`` in coding order.
        dc_tables, ac_tables: per component index, ``(codes, lengths)`` lookup arrays.
    """
    writer = BitWriter()
    predictor = [0] * n_components
    for component, block in blocks_in_order:
        zz = [int(block.reshape(64)[ZIGZAG[k]]) for k in range(64)]
        diff = zz[0] - predictor[component]
        predictor[component] = zz[0]
        size = abs(diff).bit_length()
        codes, lengths = dc_tables[component]
        writer.write(int(codes[size]), int(lengths[size]))
        writer.write(diff if diff >= 0 else diff + (1 << size) - 1, size)
        codes, lengths = ac_tables[component]
        run = 0
        for k in range(1, 64):
            if zz[k] == 0:
                run += 1
                continue
            while run > 15:
                writer.write(int(codes[0xF0]), int(lengths[0xF0]))
                run -= 16
            size = abs(zz[k]).bit_length()
            symbol = (run << 4) | size
            writer.write(int(codes[symbol]), int(lengths[symbol]))
            writer.write(zz[k] if zz[k] >= 0 else zz[k] + (1 << size) - 1, size)
            run = 0
        if run > 0:
            writer.write(int(codes[0x00]), int(lengths[0x00]))
    return writer.to_bytes()


def count_symbols(blocks_in_order: list[tuple[int, np.ndarray]], table_of: list[int],
                  n_tables: int) -> tuple[list[list[int]], list[list[int]]]:
    """jchuff.c's htest_one_block for every block: how often each DC size category and each
    AC symbol (RRRRSSSS, ZRL 0xF0, EOB 0x00) would be coded, per Huffman table.

    Args:
        blocks_in_order: ``(component index, 8x8 natural-order block)`` in coding order.
        table_of: the Huffman table of each component index.
    """
    dc = [[0] * 256 for _ in range(n_tables)]
    ac = [[0] * 256 for _ in range(n_tables)]
    predictor = [0] * len(table_of)
    for component, block in blocks_in_order:
        zz = [int(block.reshape(64)[ZIGZAG[k]]) for k in range(64)]
        table = table_of[component]
        dc[table][abs(zz[0] - predictor[component]).bit_length()] += 1
        predictor[component] = zz[0]
        run = 0
        for k in range(1, 64):
            if zz[k] == 0:
                run += 1
                continue
            while run > 15:
                ac[table][0xF0] += 1
                run -= 16
            ac[table][(run << 4) | abs(zz[k]).bit_length()] += 1
            run = 0
        if run > 0:
            ac[table][0x00] += 1
    return dc, ac


# --- Progressive Huffman coding (T.81 G.1.2), coefficient by coefficient -----------------------

#: jcphuff.c: EOBRUN is sent when it reaches 0x7FFF, the most EOB14 with 14 bits can hold ...
EOBRUN_LIMIT = 0x7FFF
#: ... and libjpeg buffers at most MAX_CORR_BITS = 1000 correction bits: an EOBRUN is sent as
#: soon as more than MAX_CORR_BITS - DCTSIZE2 + 1 wait, before a block could overflow it.
BE_LIMIT = 1000 - 64 + 1


class ProgressiveTwin:
    """T.81 G.1.2's procedures for one restart interval (or a whole scan without them), as
    the flow charts draw them, with libjpeg's choices (jcphuff.c): each block is coded as it
    comes, one coefficient at a time, and what is coded is kept as a list of events,
    ``("symbol", table, value)`` or ``("bits", value, length)``.

    State: the DC predictors, EOBRUN, and BE, the correction bits waiting for EOBRUN.
    """

    def __init__(self, n_components: int) -> None:
        self.events: list[tuple] = []
        self.predictors = [0] * n_components
        self.eobrun = 0
        self.be: list[int] = []

    def symbol(self, table: int, value: int) -> None:
        self.events.append(("symbol", table, value))

    def bits(self, value: int, length: int) -> None:
        if length:
            self.events.append(("bits", value & ((1 << length) - 1), length))

    def dc_first(self, member: int, table: int, dc: int, al: int) -> None:
        """G.1.2.1: the point transform (an arithmetic shift, rounding down), then the
        difference coded as in a sequential scan (F.1.2.1)."""
        value = dc >> al
        diff = value - self.predictors[member]
        self.predictors[member] = value
        size = abs(diff).bit_length()
        self.symbol(table, size)
        self.bits(diff if diff >= 0 else diff - 1, size)

    def dc_refine(self, dc: int, al: int) -> None:
        """G.1.2.1: the bit Al of the DC coefficient (two's complement), unmodified."""
        self.bits((dc >> al) & 1, 1)

    def encode_eobrun(self, table: int) -> None:
        """Figure G.4 (Encode_EOBRUN) and G.6 (Append_BE_bits): EOBn, n = floor(log2 EOBRUN),
        the n low bits of EOBRUN; then the correction bits buffered meanwhile."""
        if self.eobrun > 0:
            n = self.eobrun.bit_length() - 1
            self.symbol(table, n << 4)
            self.bits(self.eobrun, n)
            self.eobrun = 0
            for bit in self.be:
                self.bits(bit, 1)
            self.be = []

    def ac_first(self, table: int, zz: list[int], ss: int, se: int, al: int) -> None:
        """Figure G.3: coefficients Ss..Se, each point-transformed (its magnitude shifted, so
        rounding towards zero); a band ending in zeros counts one more EOBRUN."""
        run = 0
        for k in range(ss, se + 1):
            value = abs(zz[k]) >> al
            if zz[k] < 0:
                value = -value
            if value == 0:
                run += 1
                if k == se:
                    self.eobrun += 1
                    if self.eobrun == EOBRUN_LIMIT:
                        self.encode_eobrun(table)
                continue
            self.encode_eobrun(table)
            while run > 15:
                self.symbol(table, 0xF0)
                run -= 16
            size = abs(value).bit_length()
            self.symbol(table, (run << 4) | size)
            self.bits(value if value > 0 else value - 1, size)
            run = 0

    def ac_refine(self, table: int, zz: list[int], ss: int, se: int, al: int) -> None:
        """Figure G.7: the next bit of every coefficient of the band. A coefficient that
        becomes non-zero (magnitude 1 at Al) is a run/size symbol (size 1) and its sign,
        then the correction bits (BR) of the already non-zero ones passed since the last
        symbol; a ZRL only if another newly non-zero coefficient is still to come."""
        run = 0
        br: list[int] = []
        for k in range(ss, se + 1):
            magnitude = abs(zz[k]) >> al
            if magnitude == 0:
                run += 1
                continue
            newly_nonzero_ahead = any(abs(zz[j]) >> al == 1 for j in range(k, se + 1))
            while run > 15 and newly_nonzero_ahead:
                self.encode_eobrun(table)
                self.symbol(table, 0xF0)
                run -= 16
                for bit in br:
                    self.bits(bit, 1)
                br = []
            if magnitude > 1:
                br.append(magnitude & 1)
                continue
            self.encode_eobrun(table)
            self.symbol(table, (run << 4) | 1)
            self.bits(1 if zz[k] > 0 else 0, 1)
            for bit in br:
                self.bits(bit, 1)
            br = []
            run = 0
        if run > 0 or br:
            self.eobrun += 1
            self.be += br
            if self.eobrun == EOBRUN_LIMIT or len(self.be) > BE_LIMIT:
                self.encode_eobrun(table)


def progressive_interval(blocks_in_order: list[tuple[int, list[int]]], tables: list[int], ss: int,
                         se: int, ah: int, al: int) -> list[tuple]:
    """The events coding one restart interval of a progressive scan (or a whole scan
    without restart markers): its blocks ``(scan member, 64 zigzag coefficients)`` in order,
    then the last EOBRUN (jcphuff.c finish_pass).

    Args:
        tables: the Huffman table of each scan member.
    """
    twin = ProgressiveTwin(len(tables))
    for member, zz in blocks_in_order:
        if ss == 0 and ah == 0:
            twin.dc_first(member, tables[member], zz[0], al)
        elif ss == 0:
            twin.dc_refine(zz[0], al)
        elif ah == 0:
            twin.ac_first(tables[member], zz, ss, se, al)
        else:
            twin.ac_refine(tables[member], zz, ss, se, al)
    if ss > 0:
        twin.encode_eobrun(tables[0])
    return twin.events


def events_to_bytes(events: list[tuple], codes: list, lengths: list) -> bytes:
    """Write events with Huffman tables ``codes[t][s]``, ``lengths[t][s]``; pad, stuff."""
    writer = BitWriter()
    for event in events:
        if event[0] == "symbol":
            _, table, value = event
            assert lengths[table][value] > 0, f"no code for 0x{value:02X} in table {table}"
            writer.write(int(codes[table][value]), int(lengths[table][value]))
        else:
            writer.write(event[1], event[2])
    return writer.to_bytes()


def events_to_counts(events: list[tuple], n_tables: int) -> list[list[int]]:
    """How often each Huffman symbol occurs among events, per table."""
    counts = [[0] * 256 for _ in range(n_tables)]
    for event in events:
        if event[0] == "symbol":
            counts[event[1]][event[2]] += 1
    return counts


# --- The decoder's stages (issue 18): coefficients -> samples -> pixels ---------------------

def exact_idct(coefficients: np.ndarray) -> np.ndarray:
    """T.81 A.3.3's IDCT, the formula itself: f(y,x) = 1/4 sum C(u) C(v) F(v,u) cos cos."""
    out = np.zeros((8, 8))
    for y in range(8):
        for x in range(8):
            total = 0.0
            for v in range(8):
                for u in range(8):
                    cu = 1 / math.sqrt(2) if u == 0 else 1.0
                    cv = 1 / math.sqrt(2) if v == 0 else 1.0
                    total += (cu * cv * coefficients[v, u] * math.cos((2 * x + 1) * u * math.pi / 16)
                              * math.cos((2 * y + 1) * v * math.pi / 16))
            out[y, x] = total / 4
    return out


def post_idct_range_table() -> list[int]:
    """jdmaster.c prepare_range_limit_table's post-IDCT part for 8-bit samples, entry by entry
    as its comment lists it: 128..255, then 255 (2*256 - 128 times), then 0 (as often),
    then 0..127; indexed by the IDCT output's low 10 bits."""
    table = list(range(128, 256)) + [255] * (2 * 256 - 128) + [0] * (2 * 256 - 128) + list(range(128))
    assert len(table) == 1024
    return table


def _wrap_int32(x: int) -> int:
    """C's ``(int)`` of a 64-bit value on a two's complement machine."""
    return ((x + (1 << 31)) % (1 << 32)) - (1 << 31)


def _islow_idct_1d(d: list[int]) -> list[int]:
    """jidctint.c's 1-D pass, before the final descale, written from its comments: the even
    part's rotator sqrt(2) c6, the odd part's four rotations (12 multiplies in all)."""
    z1 = (d[2] + d[6]) * fix(0.541196100)
    tmp2 = z1 + d[6] * -fix(1.847759065)
    tmp3 = z1 + d[2] * fix(0.765366865)
    tmp0 = (d[0] + d[4]) * 8192
    tmp1 = (d[0] - d[4]) * 8192
    even = [tmp0 + tmp3, tmp1 + tmp2, tmp1 - tmp2, tmp0 - tmp3]
    o0, o1, o2, o3 = d[7], d[5], d[3], d[1]
    z5 = (o0 + o2 + o1 + o3) * fix(1.175875602)
    zz1 = (o0 + o3) * -fix(0.899976223)
    zz2 = (o1 + o2) * -fix(2.562915447)
    zz3 = (o0 + o2) * -fix(1.961570560) + z5
    zz4 = (o1 + o3) * -fix(0.390180644) + z5
    odd = [o3 * fix(1.501321110) + zz1 + zz4, o2 * fix(3.072711026) + zz2 + zz3,
           o1 * fix(2.053119869) + zz2 + zz4, o0 * fix(0.298631336) + zz1 + zz3]
    return [even[k] + odd[k] for k in range(4)] + [even[3 - k] - odd[3 - k] for k in range(4)]


def inverse_dct_islow(block: list[list[int]], table: list[int]) -> list[list[int]]:
    """libjpeg's islow decode of one block (jidctint.c jpeg_idct_islow), loop by loop:
    dequantize (the table as 16-bit signed multipliers), columns into a 32-bit workspace
    (with the shortcut for a column of zero AC terms), rows (with the shortcut for a row of
    zero AC terms), then range_limit[x & 1023]."""
    q = [t - 65536 if t >= 32768 else t for t in table]
    limit = post_idct_range_table()
    workspace = [[0] * 8 for _ in range(8)]       # [y][u]
    for u in range(8):
        column = [block[v][u] * q[8 * v + u] for v in range(8)]
        if not any(column[1:]):
            values = [_wrap_int32(column[0] * 4)] * 8
        else:
            values = [_wrap_int32(descale(t, 13 - 2)) for t in _islow_idct_1d(column)]
        for y in range(8):
            workspace[y][u] = values[y]
    out = []
    for y in range(8):
        row = workspace[y]
        if not any(row[1:]):
            values = [descale(row[0], 2 + 3)] * 8
        else:
            values = [descale(t, 13 + 2 + 3) for t in _islow_idct_1d(row)]
        out.append([limit[value & 1023] for value in values])
    return out


def h2v1_fancy_row(row: list[int]) -> list[int]:
    """jdsample.c h2v1_fancy_upsample on one row: the first and last columns special, else
    3/4 nearer + 1/4 further with biases 1 (left output) and 2 (right output)."""
    out = [row[0], (row[0] * 3 + row[1] + 2) >> 2]
    for k in range(1, len(row) - 1):
        out += [(3 * row[k] + row[k - 1] + 1) >> 2, (3 * row[k] + row[k + 1] + 2) >> 2]
    return [*out, (row[-1] * 3 + row[-2] + 1) >> 2, row[-1]]


def _with_context(plane: list[list[int]], above: list[int] | None, below: list[int] | None
                  ) -> list[list[int]]:
    return [above if above is not None else plane[0], *plane,
            below if below is not None else plane[-1]]


def h1v2_fancy_plane(plane: list[list[int]], above: list[int] | None,
                     below: list[int] | None) -> list[list[int]]:
    """jdsample.c h1v2_fancy_upsample: each row twice, with the row above (bias 1) and the
    row below (bias 2) as the further sample; the edge rows repeated outside the image."""
    rows = _with_context(plane, above, below)
    out = []
    for i in range(1, len(rows) - 1):
        for near, bias in ((rows[i - 1], 1), (rows[i + 1], 2)):
            out.append([(3 * s + n + bias) >> 2 for s, n in zip(rows[i], near)])
    return out


def h2v2_fancy_plane(plane: list[list[int]], above: list[int] | None,
                     below: list[int] | None) -> list[list[int]]:
    """jdsample.c h2v2_fancy_upsample, column sums then the special first and last columns
    and biases 8 and 7, as its loop computes them."""
    rows = _with_context(plane, above, below)
    out = []
    for i in range(1, len(rows) - 1):
        for near in (rows[i - 1], rows[i + 1]):
            c = [3 * s + n for s, n in zip(rows[i], near)]
            line = [(c[0] * 4 + 8) >> 4, (c[0] * 3 + c[1] + 7) >> 4]
            for k in range(1, len(c) - 1):
                line += [(c[k] * 3 + c[k - 1] + 8) >> 4, (c[k] * 3 + c[k + 1] + 7) >> 4]
            out.append([*line, (c[-1] * 3 + c[-2] + 8) >> 4, (c[-1] * 4 + 7) >> 4])
    return out


def rgb_pixel(y: int, cb: int, cr: int) -> tuple[int, int, int]:
    """jdcolor.c's YCbCr -> RGB for one pixel (SCALEBITS 16, its tables' rounding)."""
    def fix16(x: float) -> int:
        return int(x * 65536 + 0.5)

    half = 1 << 15
    r = y + ((fix16(1.40200) * (cr - 128) + half) >> 16)
    g = y + ((-fix16(0.34414) * (cb - 128) + half - fix16(0.71414) * (cr - 128)) >> 16)
    b = y + ((fix16(1.77200) * (cb - 128) + half) >> 16)
    return tuple(min(max(c, 0), 255) for c in (r, g, b))


def _short(x: int) -> int:
    """C's ``(short)`` cast: libjpeg-turbo's SIMD builds make jidctfst.c's DCTELEM short."""
    return ((x + 32768) & 0xFFFF) - 32768


def _ifast_idct_1d(d: list[int]) -> list[int]:
    """jidctfst.c's 1-D pass, each DCTELEM assignment wrapped to 16 bits, each MULTIPLY
    ``(x * FIX) >> 8``; the eight outputs are ``int`` sums."""
    def multiply(x: int, constant: float) -> int:
        return _short((x * int(constant * 256 + 0.5)) >> 8)

    d = [_short(x) for x in d]
    tmp10, tmp11 = _short(d[0] + d[4]), _short(d[0] - d[4])
    tmp13 = _short(d[2] + d[6])
    tmp12 = _short(multiply(d[2] - d[6], 1.414213562) - tmp13)
    tmp0, tmp3, tmp1, tmp2 = (_short(tmp10 + tmp13), _short(tmp10 - tmp13),
                              _short(tmp11 + tmp12), _short(tmp11 - tmp12))
    z13, z10, z11, z12 = _short(d[5] + d[3]), _short(d[5] - d[3]), _short(d[1] + d[7]), _short(d[1] - d[7])
    tmp7 = _short(z11 + z13)
    tmp11 = multiply(z11 - z13, 1.414213562)
    z5 = multiply(z10 + z12, 1.847759065)
    tmp10 = _short(multiply(z12, 1.082392200) - z5)
    tmp12 = _short(_short((z10 * -int(2.613125930 * 256 + 0.5)) >> 8) + z5)
    tmp6 = _short(tmp12 - tmp7)
    tmp5 = _short(tmp11 - tmp6)
    tmp4 = _short(tmp10 + tmp5)
    return [tmp0 + tmp7, tmp1 + tmp6, tmp2 + tmp5, tmp3 - tmp4,
            tmp3 + tmp4, tmp2 - tmp5, tmp1 - tmp6, tmp0 - tmp7]


def inverse_dct_ifast(block: list[list[int]], table: list[int]) -> list[list[int]]:
    """libjpeg's ifast decode of one block (jddctmgr.c's multipliers, jidctfst.c), loop by
    loop, with its shortcuts for zero AC columns and rows (which keep the DC term unwrapped)
    and its truncating final shift by 5, then range_limit[x & 1023]."""
    aanscales = [round(16384 * s * t) for s in _AAN for t in _AAN]
    q = [_short((table[k] * aanscales[k] + 2048) >> 12) for k in range(64)]
    limit = post_idct_range_table()
    workspace = [[0] * 8 for _ in range(8)]
    for u in range(8):
        if not any(block[v][u] for v in range(1, 8)):
            values = [block[0][u] * q[u]] * 8
        else:
            values = _ifast_idct_1d([block[v][u] * q[8 * v + u] for v in range(8)])
        for y in range(8):
            workspace[y][u] = values[y]
    out = []
    for y in range(8):
        row = workspace[y]
        values = [row[0]] * 8 if not any(row[1:]) else _ifast_idct_1d(row)
        out.append([limit[(value >> 5) & 1023] for value in values])
    return out


#: s[k] = cos(k pi / 16) sqrt(2), s[0] = 1, to the 9 decimals jddctmgr.c writes them.
_AAN = [1.0, 1.387039845, 1.306562965, 1.175875602, 1.0, 0.785694958, 0.541196100, 0.275899379]


def _float_idct_1d_sse2(d: list[float]) -> list[float]:
    """One pass of jidctflt-sse2.asm, as it writes the flowgraph (IJG's original order:
    ``1.082 z12 - z5``, ``-2.613 z10 + z5``, ``tmp4 = tmp10 + tmp5``), float32 throughout."""
    c = {k: f32(k) for k in (1.414213562, 1.847759065, 1.082392200, -2.613125930)}
    tmp10, tmp11 = f32(d[0] + d[4]), f32(d[0] - d[4])
    tmp13 = f32(d[2] + d[6])
    tmp12 = f32(f32(f32(d[2] - d[6]) * c[1.414213562]) - tmp13)
    tmp0, tmp3, tmp1, tmp2 = f32(tmp10 + tmp13), f32(tmp10 - tmp13), f32(tmp11 + tmp12), f32(tmp11 - tmp12)
    z11, z13, z12, z10 = f32(d[1] + d[7]), f32(d[5] + d[3]), f32(d[1] - d[7]), f32(d[5] - d[3])
    tmp7 = f32(z11 + z13)
    tmp11 = f32(f32(z11 - z13) * c[1.414213562])
    z5 = f32(f32(z10 + z12) * c[1.847759065])
    tmp12 = f32(f32(z10 * c[-2.613125930]) + z5)
    tmp10 = f32(f32(z12 * c[1.082392200]) - z5)
    tmp6 = f32(tmp12 - tmp7)
    tmp5 = f32(tmp11 - tmp6)
    tmp4 = f32(tmp10 + tmp5)
    return [f32(tmp0 + tmp7), f32(tmp1 + tmp6), f32(tmp2 + tmp5), f32(tmp3 - tmp4),
            f32(tmp3 + tmp4), f32(tmp2 - tmp5), f32(tmp1 - tmp6), f32(tmp0 - tmp7)]


def inverse_dct_float(block: list[list[int]], table: list[int]) -> list[list[int]]:
    """jsimd_idct_float_sse2 on one block: dequantize by the float32 multipliers, columns,
    rows, then each value + 1.5 * 2**26 in float32, whose mantissa's low 16 bits hold
    round(value / 8) as a signed word, saturated to a signed byte (packsswb), plus 128."""
    q = [f32(table[8 * v + u] * _AAN[v] * _AAN[u]) for v in range(8) for u in range(8)]
    columns = [_float_idct_1d_sse2([f32(block[v][u] * q[8 * v + u]) for v in range(8)])
               for u in range(8)]
    out = []
    for y in range(8):
        row = []
        for value in _float_idct_1d_sse2([columns[u][y] for u in range(8)]):
            bits = struct.unpack("<i", struct.pack("<f", f32(value + 100663296.0)))[0]
            word = ((bits & 0xFFFF) ^ 0x8000) - 0x8000
            row.append(min(max(word, -128), 127) + 128)
        out.append(row)
    return out


def smooth_component(blocks: np.ndarray, table: list[int], coef_bits: list[int], v: int,
                     imcu_rows: int, padded_dc: np.ndarray) -> np.ndarray:
    """jdcoefct.c decompress_smooth_data for one component, block by block, as its loop runs:
    per block row its four neighbour rows (chosen with libjpeg's image_block_row), then
    across the row 25 DC registers that slide one column per block, each estimate written as
    that function writes it. ``padded_dc``: the DC of every block row down to whole MCU rows
    (the dummy rows' included)."""
    height, width = blocks.shape[:2]
    out = blocks.copy()
    q = [int(t) for t in table]
    change_dc = all(bits == -1 for bits in coef_bits[1:10])

    def guess(num: int, step: int, al: int) -> int:
        pred = ((step << 7) + abs(num)) // (step << 8)
        if al > 0 and pred >= (1 << al):
            pred = (1 << al) - 1
        return pred if num >= 0 else -pred

    for y in range(height):
        r, b = divmod(y, v)
        rows_here = v if r < imcu_rows - 1 else (height % v or v)
        index, count = r * rows_here + b, rows_here * imcu_rows
        prev = y - 1 if index > 0 else y
        prev2 = y - 2 if index > 1 else prev
        nxt = y + 1 if index < count - 1 else y
        nxt2 = y + 2 if index < count - 2 else nxt
        dc = [[int(padded_dc[row, min(max(x, 0), width - 1)]) for x in range(-2, width + 2)]
              for row in (prev2, prev, y, nxt, nxt2)]
        for x in range(width):
            d = [0] + [dc[k // 5][x + k % 5] for k in range(25)]   # d[1] .. d[25]: DC01..DC25
            block = out[y, x]
            if coef_bits[1] != 0 and block[0, 1] == 0:
                num = q[0] * ((-d[1] - d[2] + d[4] + d[5] - 3 * d[6] + 13 * d[7] - 13 * d[9] + 3 * d[10]
                               - 3 * d[11] + 38 * d[12] - 38 * d[14] + 3 * d[15] - 3 * d[16]
                               + 13 * d[17] - 13 * d[19] + 3 * d[20] - d[21] - d[22] + d[24] + d[25])
                              if change_dc else (-7 * d[11] + 50 * d[12] - 50 * d[14] + 7 * d[15]))
                block[0, 1] = guess(num, q[1], coef_bits[1])
            if coef_bits[2] != 0 and block[1, 0] == 0:
                num = q[0] * ((-d[1] - 3 * d[2] - 3 * d[3] - 3 * d[4] - d[5] - d[6] + 13 * d[7]
                               + 38 * d[8] + 13 * d[9] - d[10] + d[16] - 13 * d[17] - 38 * d[18]
                               - 13 * d[19] + d[20] + d[21] + 3 * d[22] + 3 * d[23] + 3 * d[24] + d[25])
                              if change_dc else (-7 * d[3] + 50 * d[8] - 50 * d[18] + 7 * d[23]))
                block[1, 0] = guess(num, q[8], coef_bits[2])
            if coef_bits[3] != 0 and block[2, 0] == 0:
                num = q[0] * ((d[3] + 2 * d[7] + 7 * d[8] + 2 * d[9] - 5 * d[12] - 14 * d[13] - 5 * d[14]
                               + 2 * d[17] + 7 * d[18] + 2 * d[19] + d[23])
                              if change_dc else (-d[3] + 13 * d[8] - 24 * d[13] + 13 * d[18] - d[23]))
                block[2, 0] = guess(num, q[16], coef_bits[3])
            if coef_bits[4] != 0 and block[1, 1] == 0:
                num = q[0] * ((-d[1] + d[5] + 9 * d[7] - 9 * d[9] - 9 * d[17] + 9 * d[19] + d[21] - d[25])
                              if change_dc else
                              (d[10] + d[16] - 10 * d[17] + 10 * d[19] - d[2] - d[20] + d[22] - d[24]
                               + d[4] - d[6] + 10 * d[7] - 10 * d[9]))
                block[1, 1] = guess(num, q[9], coef_bits[4])
            if coef_bits[5] != 0 and block[0, 2] == 0:
                num = q[0] * ((2 * d[7] - 5 * d[8] + 2 * d[9] + d[11] + 7 * d[12] - 14 * d[13] + 7 * d[14]
                               + d[15] + 2 * d[17] - 5 * d[18] + 2 * d[19])
                              if change_dc else (-d[11] + 13 * d[12] - 24 * d[13] + 13 * d[14] - d[15]))
                block[0, 2] = guess(num, q[2], coef_bits[5])
            if change_dc:
                extra = [(6, (0, 3), d[7] - d[9] + 2 * d[12] - 2 * d[14] + d[17] - d[19]),
                         (7, (1, 2), d[7] - 3 * d[8] + d[9] - d[17] + 3 * d[18] - d[19]),
                         (8, (2, 1), d[7] - d[9] - 3 * d[12] + 3 * d[14] + d[17] - d[19]),
                         (9, (3, 0), d[7] + 2 * d[8] + d[9] - d[17] - 2 * d[18] - d[19])]
                for k, (row, col), total in extra:
                    if coef_bits[k] != 0 and block[row, col] == 0:
                        block[row, col] = guess(q[0] * total, q[8 * row + col], coef_bits[k])
                num = q[0] * (-2 * d[1] - 6 * d[2] - 8 * d[3] - 6 * d[4] - 2 * d[5] - 6 * d[6] + 6 * d[7]
                              + 42 * d[8] + 6 * d[9] - 6 * d[10] - 8 * d[11] + 42 * d[12] + 152 * d[13]
                              + 42 * d[14] - 8 * d[15] - 6 * d[16] + 6 * d[17] + 42 * d[18] + 6 * d[19]
                              - 6 * d[20] - 2 * d[21] - 6 * d[22] - 8 * d[23] - 6 * d[24] - 2 * d[25])
                block[0, 0] = guess(num, q[0], 0)
    return out
