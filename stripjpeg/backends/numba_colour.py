"""The fast path, stage 1: colour conversion and downsampling, as numba kernels.

The same arithmetic as :func:`stripjpeg.stages.samples.convert_to_ycbcr` and
:func:`stripjpeg.stages.samples.downsample` (read those to learn the stage), with the loops
arranged to vectorize:

* :func:`convert_to_ycbcr`  pixels -> 8-bit Y, Cb, Cr planes (or grey, or CMYK inverted),
                            edges replicated (one pass)
* :func:`downsample`        2x1 / 2x2 averaging with libjpeg's alternating bias
* :func:`smooth_full_size`, :func:`smooth_downsample_2x2`  input smoothing (``smooth``), as
  :func:`stripjpeg.stages.samples.smooth_full_size` and ``smooth_downsample_2x2``
"""

from __future__ import annotations

import numpy as np

from .numba_jit import inline_kernel, kernel

# Literal copies of tables.py's constants: numba freezes a global's value into the machine
# code it compiles, so a value imported from tables.py and changed there would not be noticed
# by the cache of the kernels using it (see numba_jit; tables.py is not a kernel module).
# tests/test_numba.py checks every copy against the value tables.py derives.

#: jccolor.c: fraction bits, and the RGB -> YCbCr weights FIX(c) (tables.RGB_TO_YCBCR).
SCALEBITS = 16
Y_RED, Y_GREEN, Y_BLUE = 19595, 38470, 7471
CB_RED, CB_GREEN, CB_BLUE = -11059, -21709, 32768
CR_RED, CR_GREEN, CR_BLUE = 32768, -27439, -5329
#: jccolor.c: ONE_HALF for Y; CBCR_OFFSET + ONE_HALF - 1 for Cb and Cr (tables.YCBCR_OFFSETS).
Y_OFFSET = 32768
CBCR_OFFSET_ROUNDED = 8421375
#: The same at 12 bits: CENTERJSAMPLE 2048 << SCALEBITS, plus ONE_HALF - 1
#: (stages.samples.ycbcr_offsets(12)[1]).
CBCR_OFFSET_ROUNDED_12 = (2048 << 16) + (1 << 15) - 1

#: Arithmetic kept in 32 bits where the values allow (numba widens to int64 by default).
I32 = np.int32


@inline_kernel
def split_channels(line, red, green, blue):
    """De-interleave one row of RGB(A) pixels (flat uint8, ``channels * width``) into int32
    rows. Kept apart from the arithmetic: strided loads in the same loop stop LLVM from
    vectorizing it (docs/performance.md has the timings)."""
    if line.shape[0] == 3 * red.shape[0]:  # a constant stride in each loop, so it vectorizes
        for j in range(red.shape[0]):
            red[j], green[j], blue[j] = line[3 * j], line[3 * j + 1], line[3 * j + 2]
    else:
        for j in range(red.shape[0]):
            red[j], green[j], blue[j] = line[4 * j], line[4 * j + 1], line[4 * j + 2]


@inline_kernel
def invert_channels(line, planes, i):
    """Row ``i`` of CMYK pixels (flat uint8, ``4 * width``) -> the four planes, each sample
    inverted, ``255 - v``, as Pillow hands CMYK to libjpeg (stages.samples.invert_cmyk)."""
    width = line.shape[0] // 4
    for c in range(4):
        target = planes[c, i]
        for j in range(width):
            target[j] = 255 - line[4 * j + c]


@kernel
def convert_to_ycbcr(pixels, planes):
    """RGB(A/X), grayscale or CMYK pixels -> component planes, replicating the last row and
    column. The planes say which: one plane is grey as given, three are YCbCr from RGB, four
    are CMYK inverted (the backend declines the stage for every other conversion, YCCK's
    included, so four planes are never anything else).

    Args:
        pixels: uint8 ``(rows, width, channels)``, C-contiguous; or uint16, 12-bit samples
            0..4095 (grey or RGB: CMYK is not taken at 12 bits).
        planes: uint8 ``(1, 3 or 4, R, C)`` to fill (uint16 for 12-bit samples, whose Cb and
            Cr offset is :data:`CBCR_OFFSET_ROUNDED_12`), ``R >= rows``, ``C >= width``:
            sample ``[i, j]`` is that of pixel ``(min(i, rows - 1), min(j, width - 1))``.
            (libjpeg's Y, Cb and Cr have the input's precision: jccolor.c's results lie in
            0..255, or 0..4095; every sum fits int32 at 12 bits too, at most
            2**16 * 4095 + 2**27 + 2**15.)
    """
    chroma_offset = CBCR_OFFSET_ROUNDED if planes.itemsize == 1 else CBCR_OFFSET_ROUNDED_12
    rows, width, channels = pixels.shape
    out_rows, out_cols = planes.shape[1], planes.shape[2]
    red, green, blue = np.empty(width, np.int32), np.empty(width, np.int32), np.empty(width, np.int32)
    for i in range(rows):
        line = pixels[i].reshape(width * channels)
        if channels == 1:
            for j in range(width):
                planes[0, i, j] = line[j]
        elif planes.shape[0] == 4:
            invert_channels(line, planes, i)
        else:
            split_channels(line, red, green, blue)
            luma, blue_diff, red_diff = planes[0, i], planes[1, i], planes[2, i]
            for j in range(width):
                # libjpeg's 16-bit fixed point (jccolor.c, tables.RGB_TO_YCBCR); every sum
                # fits 32 bits, so it is kept in int32 (see islow_1d) and vectorizes twice as
                # wide as numba's default int64.
                r, g, b = red[j], green[j], blue[j]
                luma[j] = I32(I32(Y_RED) * r + I32(Y_GREEN) * g + I32(Y_BLUE) * b
                               + I32(Y_OFFSET)) >> SCALEBITS
                blue_diff[j] = I32(I32(CB_RED) * r + I32(CB_GREEN) * g + I32(CB_BLUE) * b
                                    + I32(chroma_offset)) >> SCALEBITS
                red_diff[j] = I32(I32(CR_RED) * r + I32(CR_GREEN) * g + I32(CR_BLUE) * b
                                   + I32(chroma_offset)) >> SCALEBITS
        for c in range(planes.shape[0]):
            for j in range(width, out_cols):
                planes[c, i, j] = planes[c, i, width - 1]
    for c in range(planes.shape[0]):
        for i in range(rows, out_rows):
            for j in range(out_cols):
                planes[c, i, j] = planes[c, rows - 1, j]


@kernel
def downsample(plane, h_ratio, v_ratio, input_rows, out_cols, out):
    """Average ``h_ratio x v_ratio`` groups as libjpeg does (jcsample.c, see
    stages.samples.downsample): exactly 2x1 and 2x2 with the alternating bias, any other
    whole ratio with the rounded mean ``(sum + n // 2) // n`` (``int_downsample``).

    Args:
        plane: uint8 ``(R, C)`` full-resolution samples, edges replicated.
        h_ratio, v_ratio: Hmax / H and Vmax / V, 1..4 each, not both 1.
        input_rows: pixel rows to use (the strip's rows rounded up to a multiple of
            ``v_ratio``); output rows beyond ``input_rows // v_ratio`` repeat the last one,
            as libjpeg replicates the last *downsampled* row (see stages.samples).
        out_cols: output columns to compute (those of whole blocks); later ones are left as
            they are.
        out: uint8 ``(rows, >= out_cols)`` to fill.
    """
    last = input_rows // v_ratio - 1
    count = np.int32(h_ratio * v_ratio)
    for i in range(out.shape[0]):
        top = min(i, last) * v_ratio
        # Whole rows, one loop per case: the loops over j then vectorize (the common ratios
        # written out, with shifts for int_downsample's division by 2 and 4).
        upper, lower, target = plane[top], plane[top + v_ratio - 1], out[i]
        if h_ratio == 2 and v_ratio == 1:
            for j in range(out_cols):
                total = np.int32(upper[2 * j]) + np.int32(upper[2 * j + 1])
                target[j] = (total + (j & 1)) >> 1
        elif h_ratio == 2 and v_ratio == 2:
            for j in range(out_cols):
                total = (np.int32(upper[2 * j]) + np.int32(upper[2 * j + 1])
                         + np.int32(lower[2 * j]) + np.int32(lower[2 * j + 1]))
                target[j] = (total + 1 + (j & 1)) >> 2
        elif h_ratio == 1 and v_ratio == 2:  # 4:4:0: int_downsample's (a + b + 1) // 2
            for j in range(out_cols):
                target[j] = (np.int32(upper[j]) + np.int32(lower[j]) + 1) >> 1
        elif h_ratio == 4 and v_ratio == 1:  # libjpeg's 4:1:1: (a + b + c + d + 2) // 4
            for j in range(out_cols):
                total = (np.int32(upper[4 * j]) + np.int32(upper[4 * j + 1])
                         + np.int32(upper[4 * j + 2]) + np.int32(upper[4 * j + 3]))
                target[j] = (total + 2) >> 2
        else:
            for j in range(out_cols):
                total = np.int32(0)
                for dy in range(v_ratio):
                    row = plane[top + dy]
                    for dx in range(h_ratio):
                        total += np.int32(row[j * h_ratio + dx])
                target[j] = (total + count // 2) // count


@inline_kernel
def bordered_row(row, count, out):
    """``row[:count]`` as int32 into ``out[1:count + 1]``, with its first and last sample
    repeated at ``out[0]`` and ``out[count + 1]`` (libjpeg's smoothing pretends the column
    beyond each edge is the edge column)."""
    for j in range(count):
        out[j + 1] = row[j]
    out[0], out[count + 1] = row[0], row[count - 1]


@kernel
def smooth_full_size(plane, factor, out):
    """libjpeg's smoothing of a full-size component (jcsample.c fullsize_smooth_downsample).

    Args:
        plane: uint8 ``(rows + 2, >= cols)``: the rows to smooth with the context row above
            and below them, edges replicated out to ``cols``.
        factor: the smoothing factor, 1..100.
        out: uint8 ``(rows, cols)`` to fill.
    """
    rows, cols = out.shape
    member_weight, neighbour_weight = I32(65536 - 512 * factor), I32(64 * factor)
    above, middle, below = (np.empty(cols + 2, np.int32), np.empty(cols + 2, np.int32),
                            np.empty(cols + 2, np.int32))
    for i in range(rows):
        bordered_row(plane[i], cols, above)
        bordered_row(plane[i + 1], cols, middle)
        bordered_row(plane[i + 2], cols, below)
        target = out[i]
        for j in range(cols):
            neighbours = (above[j] + above[j + 1] + above[j + 2] + middle[j] + middle[j + 2]
                          + below[j] + below[j + 1] + below[j + 2])
            target[j] = (middle[j + 1] * member_weight + neighbours * neighbour_weight
                         + I32(32768)) >> 16


@kernel
def smooth_downsample_2x2(plane, factor, out):
    """libjpeg's smoothing and 2x2 downsampling in one (jcsample.c h2v2_smooth_downsample).

    Args:
        plane: uint8 ``(2 * rows + 2, >= 2 * cols)``: the rows to downsample with the context
            row above and below them, edges replicated out to ``2 * cols``.
        factor: the smoothing factor, 1..100.
        out: uint8 ``(rows, cols)`` to fill.
    """
    rows, cols = out.shape
    width = 2 * cols
    member_weight, neighbour_weight = I32(16384 - 80 * factor), I32(16 * factor)
    above, upper, lower, below = (np.empty(width + 2, np.int32), np.empty(width + 2, np.int32),
                                  np.empty(width + 2, np.int32), np.empty(width + 2, np.int32))
    for i in range(rows):
        bordered_row(plane[2 * i], width, above)
        bordered_row(plane[2 * i + 1], width, upper)
        bordered_row(plane[2 * i + 2], width, lower)
        bordered_row(plane[2 * i + 3], width, below)
        target = out[i]
        for j in range(cols):
            x = 2 * j + 1  # the first member's column in the bordered rows
            members = upper[x] + upper[x + 1] + lower[x] + lower[x + 1]
            edges = (above[x] + above[x + 1] + below[x] + below[x + 1]
                     + upper[x - 1] + lower[x - 1] + upper[x + 2] + lower[x + 2])
            corners = above[x - 1] + above[x + 2] + below[x - 1] + below[x + 2]
            target[j] = (members * member_weight + (2 * edges + corners) * neighbour_weight
                         + I32(32768)) >> 16
