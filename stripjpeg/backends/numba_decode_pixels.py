"""The decoder's pixel stages as numba kernels: upsampling, colour conversion, and one fused
kernel from a band's quantized blocks to RGB rows.

The same signatures and results as :mod:`stripjpeg.decoding.upsampling` and
:mod:`stripjpeg.decoding.colour` (read those to learn the stages); the IDCT,
:func:`inverse_dct`, is in :mod:`.numba_decode_idct` and exported from here too:

* :func:`upsample`        libjpeg's jdsample.c: the triangle filters h2v1, h2v2 (with the
                          context rows above and below) and h1v2, box replication otherwise
* :func:`convert_colour`  jdcolor.c: YCbCr -> RGB (16-bit fixed point), grey, RGB, and CMYK /
                          YCCK -> CMYK as Pillow returns them (it inverts libjpeg's CMYK)
* :func:`band_to_pixels_fused`  the common case in one kernel, below

**The fused kernel.** ::

    band_to_pixels_fused(y_blocks, cb_blocks, cr_blocks, above, below, tables, h, v, out)

decodes one band of whole MCU rows of a 3-component YCbCr frame with chroma sampled 1x1
(4:4:4), h2v1 (4:2:2) or h2v2 (4:2:0), as Pillow does: islow IDCT (as libjpeg-turbo's SIMD
code computes it, :func:`~.numba_decode_idct.islow_simd_block`), fancy upsampling, jdcolor.c's
YCbCr -> RGB. It works one MCU row at a time through buffers of one MCU row, so no
plane of the band is made. It is ``nogil`` and writes only to ``out``, so threads may run it
on different bands at once.

* ``y_blocks``: int16 ``(Ry, Cy, 8, 8)``, the luma blocks of the band's MCU rows (the
  component's own blocks, as :func:`stripjpeg.reader.read_jpeg` gives them: the image's last
  MCU row may hold fewer than ``v`` block rows).
* ``cb_blocks``, ``cr_blocks``: int16 ``(Rc, Cc, 8, 8)``, the chroma blocks of the same MCU rows.
* ``above``: int16 ``(2, Cc, 8, 8)``, the Cb and Cr block rows just above the band (only their
  last sample row is used, as h2v2's context), or ``(0, Cc, 8, 8)`` at the top of the image
  (libjpeg then replicates the first row). ``below``: the same for the block rows just below
  the band (their first sample row), or ``(0, Cc, 8, 8)`` at the bottom of the image (the
  last real chroma row, row ``ceil(rows / v) - 1`` of the band, is replicated). Neither is
  read unless ``v == 2``.
* ``tables``: uint16 ``(3, 64)``, the Y, Cb and Cr quantization tables, natural order.
* ``h``, ``v``: the chroma upsampling factors Hmax/H, Vmax/V: (1, 1), (2, 1) or (2, 2).
* ``out``: uint8 ``(rows, width, 3)``, the band's RGB pixels, ``rows`` <= ``8 * Ry`` (the
  band's rows that lie in the image), ``width`` the image width.

:func:`fused_case` says whether a frame is this common case.
"""

from __future__ import annotations

import numpy as np

from .numba_decode_idct import inverse_dct, islow_simd_block, wrap16
from .numba_jit import inline_kernel, kernel

#: The three stages (``inverse_dct`` lives in numba_decode_idct) and the fused kernel.
__all__ = ["band_to_pixels_fused", "convert_colour", "fused_case", "inverse_dct", "upsample"]

#: jdcolor.c build_ycc_rgb_table: SCALEBITS 16 fraction bits, ONE_HALF, and FIX(x) of the
#: YCbCr -> RGB weights (1.40200 Cr for R; -0.34414 Cb, -0.71414 Cr for G; 1.77200 Cb for B).
SCALEBITS = 16
ONE_HALF = 1 << 15
FIX_1_40200, FIX_0_34414, FIX_0_71414, FIX_1_77200 = 91881, 22554, 46802, 116130

#: The colour spaces libjpeg guesses (jdapimin.c), as :func:`convert_colour` names them.
SPACES = ("grey", "ycbcr", "rgb", "cmyk", "ycck")


@inline_kernel
def clamp(value):
    """jdmaster.c's sample_range_limit for colour conversion: 0..255."""
    return min(max(value, 0), 255)


@inline_kernel
def ycc_rgb_row(luma, cb, cr, width, out):
    """jdcolor.c ycc_rgb_convert of one row: ``luma``, ``cb``, ``cr`` (first ``width``
    samples, any integer type) -> ``out`` uint8 ``(width, 3)``."""
    for j in range(width):
        y = np.int64(luma[j])
        blue_diff = np.int64(cb[j]) - 128
        red_diff = np.int64(cr[j]) - 128
        out[j, 0] = clamp(y + ((FIX_1_40200 * red_diff + ONE_HALF) >> SCALEBITS))
        out[j, 1] = clamp(y + ((-FIX_0_34414 * blue_diff + ONE_HALF - FIX_0_71414 * red_diff)
                               >> SCALEBITS))
        out[j, 2] = clamp(y + ((FIX_1_77200 * blue_diff + ONE_HALF) >> SCALEBITS))


@inline_kernel
def h2v1_fancy_row(src, cols, dst):
    """jdsample.c h2v1_fancy_upsample of one row (``cols`` > 2 samples): 3/4 of the nearer and
    1/4 of the further sample, rounding up and down at alternate outputs (biases 1 and 2)."""
    first = np.int32(src[0])
    dst[0] = first
    dst[1] = (first * 3 + np.int32(src[1]) + 2) >> 2
    for j in range(1, cols - 1):
        near = np.int32(src[j]) * 3
        dst[2 * j] = (near + np.int32(src[j - 1]) + 1) >> 2
        dst[2 * j + 1] = (near + np.int32(src[j + 1]) + 2) >> 2
    last = np.int32(src[cols - 1])
    dst[2 * cols - 2] = (last * 3 + np.int32(src[cols - 2]) + 1) >> 2
    dst[2 * cols - 1] = last


@inline_kernel
def column_sums(near, far, cols, sums):
    """h2v2 and h1v2's vertical step: 3 * the nearer row + the further one (int32)."""
    for j in range(cols):
        sums[j] = np.int32(near[j]) * 3 + np.int32(far[j])


@inline_kernel
def h2v2_fancy_row(sums, cols, dst):
    """jdsample.c h2v2_fancy_upsample's horizontal step on one output row's column sums
    (``cols`` > 2): 9/16, 3/16, 3/16, 1/16 overall, biases 8 and 7 at alternate outputs."""
    this = sums[0]
    dst[0] = (this * 4 + 8) >> 4
    dst[1] = (this * 3 + sums[1] + 7) >> 4
    for j in range(1, cols - 1):
        this = sums[j] * 3
        dst[2 * j] = (this + sums[j - 1] + 8) >> 4
        dst[2 * j + 1] = (this + sums[j + 1] + 7) >> 4
    this = sums[cols - 1]
    dst[2 * cols - 2] = (this * 3 + sums[cols - 2] + 8) >> 4
    dst[2 * cols - 1] = (this * 4 + 7) >> 4


@inline_kernel
def replicate_row(src, cols, h, dst):
    """Box replication of one row: each sample ``h`` times (jdsample.c int_upsample)."""
    for j in range(cols):
        value = src[j]
        for k in range(h):
            dst[h * j + k] = value


@kernel
def upsample_h2v1_fancy(plane, out):
    """h2v1 triangle filter on every row of ``plane`` (uint8 ``(rows, cols)``, cols > 2)
    into ``out`` (uint8 ``(rows, 2 * cols)``)."""
    for i in range(plane.shape[0]):
        h2v1_fancy_row(plane[i], plane.shape[1], out[i])


@kernel
def upsample_v2_fancy(plane, above, below, h, out):
    """h2v2 (``h`` 2, cols > 2) or h1v2 (``h`` 1) triangle filter: ``plane`` uint8
    ``(rows, cols)``, ``above`` / ``below`` the rows just outside it (uint8 ``(cols,)``),
    ``out`` uint8 ``(2 * rows, h * cols)``. Output row ``2i`` leans on row ``i - 1``, row
    ``2i + 1`` on row ``i + 1``; h1v2's biases are 1 above and 2 below (jdsample.c
    h1v2_fancy_upsample)."""
    rows, cols = plane.shape
    sums = np.empty(cols, np.int32)
    for i in range(rows):
        for half in range(2):
            if half == 0:
                far = above if i == 0 else plane[i - 1]
            else:
                far = below if i == rows - 1 else plane[i + 1]
            column_sums(plane[i], far, cols, sums)
            target = out[2 * i + half]
            if h == 2:
                h2v2_fancy_row(sums, cols, target)
            else:
                for j in range(cols):
                    target[j] = (sums[j] + 1 + half) >> 2


@kernel
def upsample_box(plane, h, v, out):
    """Box replication, jdsample.c int_upsample (and h2v1_upsample, h2v2_upsample): sample
    ``(i, j)`` of ``plane`` fills ``out[v*i:v*i + v, h*j:h*j + h]``."""
    rows, cols = plane.shape
    for i in range(rows):
        replicate_row(plane[i], cols, h, out[v * i])
        for k in range(1, v):
            out[v * i + k, :] = out[v * i, :]


def upsample(plane: np.ndarray, h: int, v: int, above: np.ndarray | None,
             below: np.ndarray | None, fancy: bool = True) -> np.ndarray:
    """Upsample one component's samples of a band as libjpeg does (jdsample.c).

    Args:
        plane: uint8 ``(rows, cols)``, the band's samples, cropped to the component's real
            width (and, at the image's bottom, to its real rows).
        h, v: the upsampling factors Hmax/Hi, Vmax/Vi, 1..4.
        above, below: uint8 ``(cols,)``, the component's sample rows just above / below the
            band, or None at the image's top / bottom edge (libjpeg replicates the edge row);
            only the triangle filters with ``v == 2`` read them.
        fancy: libjpeg's fancy upsampling (its default); False is box replication
            (``djpeg -nosmooth``).

    Returns:
        uint8 ``(rows * v, cols * h)``.
    """
    check_plane(plane, "plane")
    if not all(isinstance(f, (int, np.integer)) and 1 <= f <= 4 for f in (h, v)):
        raise ValueError(f"upsampling factors must be whole numbers 1..4, got h={h!r}, v={v!r}")
    rows, cols = plane.shape
    plane = np.ascontiguousarray(plane)
    out = np.empty((rows * v, cols * h), np.uint8)
    if rows == 0 or cols == 0:
        return out
    # jdsample.c jinit_upsampler: the triangle filters only for these ratios, h2v1 and h2v2
    # only for components more than 2 samples wide.
    if fancy and (h, v) == (2, 1) and cols > 2:
        upsample_h2v1_fancy(plane, out)
    elif fancy and v == 2 and ((h == 2 and cols > 2) or h == 1):
        upsample_v2_fancy(plane, context_row(above, plane[0], "above"),
                          context_row(below, plane[-1], "below"), h, out)
    else:
        upsample_box(plane, h, v, out)
    return out


def check_plane(plane: np.ndarray, name: str) -> None:
    """TypeError / ValueError unless ``plane`` is a uint8 2-D array."""
    if not isinstance(plane, np.ndarray) or plane.dtype != np.uint8:
        raise TypeError(f"{name} must be a uint8 array, got {getattr(plane, 'dtype', type(plane))}")
    if plane.ndim != 2:
        raise ValueError(f"{name} must be 2-D (rows, cols), got shape {plane.shape}")


def context_row(row: np.ndarray | None, edge: np.ndarray, name: str) -> np.ndarray:
    """The context row to use: ``row``, or the edge row replicated when it is None."""
    if row is None:
        return np.ascontiguousarray(edge)
    if not isinstance(row, np.ndarray) or row.dtype != np.uint8 or row.shape != edge.shape:
        raise ValueError(f"{name} must be a uint8 row of {edge.shape[0]} samples or None, got "
                         f"{getattr(row, 'dtype', type(row))} {getattr(row, 'shape', '')}")
    return np.ascontiguousarray(row)


@kernel
def ycc_to_rgb(luma, cb, cr, out):
    """jdcolor.c ycc_rgb_convert: uint8 ``(rows, width)`` planes -> ``out`` uint8
    ``(rows, width, 3)``."""
    for i in range(luma.shape[0]):
        ycc_rgb_row(luma[i], cb[i], cr[i], luma.shape[1], out[i])


@kernel
def ycck_to_cmyk(luma, cb, cr, black, out):
    """jdcolor.c ycck_cmyk_convert as Pillow stores it: libjpeg gives ``255 - R``, ``255 - G``,
    ``255 - B`` (R, G, B as ycc_rgb_convert makes them) and K unchanged, and Pillow inverts
    all four ("CMYK;I"), so Pillow's pixel is (R, G, B, 255 - K). ``out`` uint8
    ``(rows, width, 4)``."""
    for i in range(luma.shape[0]):
        ycc_rgb_row(luma[i], cb[i], cr[i], luma.shape[1], out[i])
        for j in range(luma.shape[1]):
            out[i, j, 3] = 255 - black[i, j]


def convert_colour(planes: list[np.ndarray], space: str) -> np.ndarray:
    """Full-resolution component planes -> the pixels Pillow returns.

    Args:
        planes: uint8 ``(rows, width)`` per component, cropped to the image width.
        space: "grey", "ycbcr", "rgb", "cmyk" or "ycck" (libjpeg's guess of the file's colour
            space, :func:`stripjpeg.decoding.colour.output_colour_space`).

    Returns:
        uint8 ``(rows, width)`` for grey; ``(rows, width, 3)`` RGB for ycbcr and rgb;
        ``(rows, width, 4)`` for cmyk and ycck, as Pillow's mode "CMYK" holds them (Pillow
        inverts libjpeg's CMYK output, assuming Adobe's inverted convention).
    """
    if space not in SPACES:
        raise ValueError(f"colour space must be one of {', '.join(SPACES)}, got {space!r}")
    count = {"grey": 1, "ycbcr": 3, "rgb": 3, "cmyk": 4, "ycck": 4}[space]
    if len(planes) != count:
        raise ValueError(f"a {space} image has {count} component planes, got {len(planes)}")
    for index, plane in enumerate(planes):
        check_plane(plane, f"planes[{index}]")
        if plane.shape != planes[0].shape:
            raise ValueError(f"planes must all have the shape of planes[0], {planes[0].shape}; "
                             f"planes[{index}] has {plane.shape}")
    planes = [np.ascontiguousarray(plane) for plane in planes]
    if space == "grey":
        return planes[0].copy()
    if space in ("rgb", "cmyk"):
        pixels = np.stack(planes, axis=-1)
        return 255 - pixels if space == "cmyk" else pixels  # Pillow's "CMYK;I"
    rows, width = planes[0].shape
    out = np.empty((rows, width, count), np.uint8)
    if space == "ycbcr":
        ycc_to_rgb(planes[0], planes[1], planes[2], out)
    else:
        ycck_to_cmyk(planes[0], planes[1], planes[2], planes[3], out)
    return out


def fused_case(factors: list[tuple[int, int]], space: str, dct: str = "islow",
               fancy: bool = True) -> bool:
    """Whether :func:`band_to_pixels_fused` decodes a frame: ``factors`` per component (H, V),
    three components YCbCr, luma 1x1, 2x1 or 2x2 with chroma 1x1, islow (the SIMD code's,
    ``"islow"``; not ``"islow-c"``), fancy upsampling."""
    return (space == "ycbcr" and dct == "islow" and fancy and len(factors) == 3
            and factors[0] in ((1, 1), (2, 1), (2, 2)) and factors[1] == factors[2] == (1, 1))


@kernel
def idct_block_row(blocks, row, mult, ws, target, y):
    """islow (libjpeg-turbo's SIMD code's, :func:`islow_simd_block`) on every block of block
    row ``row`` into ``target`` rows ``y..y + 7``. A call,
    not inlined: the fused kernel calls it in four places, and four inlined copies of the
    IDCT took its first compilation from about 10 to 26 s."""
    for bc in range(blocks.shape[1]):
        islow_simd_block(blocks, row, bc, mult, ws, target, y, 8 * bc)


@kernel
def band_to_pixels_fused(y_blocks, cb_blocks, cr_blocks, above, below, tables, h, v, out):
    """One band of a YCbCr frame's MCU rows -> RGB rows (see the module notes for the
    arguments). Per MCU row: the luma blocks into ``v * 8`` rows, each chroma block row into
    rows 1..8 of a 10-row buffer whose rows 0 and 9 hold the context rows above and below,
    then each output row upsampled and converted straight into ``out``."""
    rows, width = out.shape[0], out.shape[1]
    # numba does not check bounds: arguments that do not fit are refused here.
    if not ((h == 1 and v == 1) or (h == 2 and v == 1) or (h == 2 and v == 2)):
        raise ValueError("band_to_pixels_fused: chroma upsampling must be 1x1, 2x1 or 2x2")
    if (out.shape[2] != 3 or rows > 8 * y_blocks.shape[0] or width > 8 * y_blocks.shape[1]
            or y_blocks.shape[0] > v * cb_blocks.shape[0] or cr_blocks.shape[0] != cb_blocks.shape[0]
            or cr_blocks.shape[1] != cb_blocks.shape[1]
            or (width + h - 1) // h > 8 * cb_blocks.shape[1]):
        raise ValueError("band_to_pixels_fused: out and the blocks do not match")
    for context in (above, below):
        if context.shape[0] not in (0, 2) or context.shape[1] != cb_blocks.shape[1]:
            raise ValueError("band_to_pixels_fused: above and below must be (0 or 2, Cc, 8, 8)")
    mult = np.empty((3, 64), np.int64)
    for i in range(64):  # jddctmgr.c: islow's multipliers are the steps as shorts
        mult[0, i] = wrap16(np.int64(tables[0, i]))
        mult[1, i] = wrap16(np.int64(tables[1, i]))
        mult[2, i] = wrap16(np.int64(tables[2, i]))
    ws = np.empty(64, np.int64)
    chroma_cols = 8 * cb_blocks.shape[1]
    chroma_width = (width + h - 1) // h  # downsampled_width
    chroma_rows = (rows + v - 1) // v  # the band's chroma rows that lie in the image
    fancy = h * v > 1 and (chroma_width > 2 or (h == 1 and v == 2))
    luma = np.empty((8 * v, 8 * y_blocks.shape[1]), np.uint8)
    chroma = np.empty((2, 10, chroma_cols), np.uint8)
    ahead = np.empty((2, 8, chroma_cols), np.uint8)  # the next chroma block row (v == 2)
    sums = np.empty(chroma_cols, np.int32)
    cb_row = np.empty(2 * chroma_cols, np.int32)
    cr_row = np.empty(2 * chroma_cols, np.int32)
    mcu_rows = cb_blocks.shape[0]
    for m in range(mcu_rows):
        first_row = 8 * v * m
        if first_row >= rows:
            break
        for k in range(v):
            if v * m + k < y_blocks.shape[0]:
                idct_block_row(y_blocks, v * m + k, mult[0], ws, luma, 8 * k)
        for c in range(2):
            blocks = cb_blocks if c == 0 else cr_blocks
            buffer = chroma[c]
            if v == 1:
                idct_block_row(blocks, m, mult[c + 1], ws, buffer, 1)
                continue
            # h2v2: rows 1..8 the current block row, row 0 the row above, row 9 the row below.
            if m == 0:
                idct_block_row(blocks, 0, mult[c + 1], ws, buffer, 1)
                if above.shape[0] > 0:
                    idct_block_row(above, c, mult[c + 1], ws, ahead[c], 0)
                    buffer[0, :] = ahead[c, 7, :]
                else:
                    buffer[0, :] = buffer[1, :]
            else:
                buffer[0, :] = buffer[8, :]
                buffer[1:9, :] = ahead[c]
            if below.shape[0] == 0 and first_row + 8 * v >= rows:
                # The image's bottom: the last real chroma row is its own row below
                # (jdmainct.c set_bottom_pointers).
                last = chroma_rows - 1 - 8 * m
                buffer[last + 2, :] = buffer[last + 1, :]
            elif m + 1 < mcu_rows:
                idct_block_row(blocks, m + 1, mult[c + 1], ws, ahead[c], 0)
                buffer[9, :] = ahead[c, 0, :]
            else:
                idct_block_row(below, c, mult[c + 1], ws, ahead[c], 0)
                buffer[9, :] = ahead[c, 0, :]
        for r in range(min(8 * v, rows - first_row)):
            for c in range(2):
                target = cb_row if c == 0 else cr_row
                buffer = chroma[c]
                if v == 2:
                    near = 1 + r // 2
                    far = near - 1 if r % 2 == 0 else near + 1
                    if fancy:
                        column_sums(buffer[near], buffer[far], chroma_width, sums)
                        h2v2_fancy_row(sums, chroma_width, target)
                    else:
                        replicate_row(buffer[near], chroma_width, 2, target)
                elif h == 2:
                    if fancy:
                        h2v1_fancy_row(buffer[1 + r], chroma_width, target)
                    else:
                        replicate_row(buffer[1 + r], chroma_width, 2, target)
                else:
                    for j in range(width):
                        target[j] = buffer[1 + r, j]
            ycc_rgb_row(luma[r], cb_row, cr_row, width, out[first_row + r])
