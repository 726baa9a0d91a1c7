"""Sample preparation, the first stage of a strip: pixels -> each component's samples.

What libjpeg's preprocessing controller does before the forward DCT (jcprepct.c, with
jccolor.c and jcsample.c), in the order a strip goes through it::

    strip of RGB(A/X), grey, YCbCr or CMYK pixels, uint8 (rows, width, channels)
                              (uint16 0..4095 for 12-bit samples, plan.precision)
      -> convert_colour       colour conversion (JFIF's YCbCr in libjpeg's fixed point,
                              jccolor.c; or Y alone, or RGB or YCbCr as given, or CMYK
                              inverted, or CMYK to YCCK)
      -> expand_edges         replicate the last row/column (T.81 A.2.4 leaves it open)
      -> downsample           box averages, libjpeg's rounding per ratio (jcsample)
      -> expand_edges         the downsampled plane out to whole 8x8 blocks
    = prepare_samples         per component, samples 0..255, (8 * R, 8 * C)

With smoothing (``plan.smoothing``, the ``smooth`` option) a strip carries one context row
above and one below its own rows (``plan.context_rows``; the orchestrator supplies them, the
first and last row of the image replicated at its top and bottom), and a smoothed component
goes through ``smooth_full_size`` or ``smooth_downsample_2x2`` instead of ``downsample``
(:func:`context_component_samples`). Every function works on whole planes with NumPy.
"""

from __future__ import annotations

import numpy as np

from ..plan import Component, Plan, StripLayout
from ..tables import RGB_TO_YCBCR, SCALEBITS, YCBCR_OFFSETS

# --- Colour conversion -----------------------------------------------------------------

def ycbcr_offsets(precision: int = 8) -> tuple[int, int, int]:
    """What jccolor.c adds to the weighted sums of Y, Cb and Cr before the shift, for samples
    of ``precision`` bits: ONE_HALF for Y; for Cb and Cr the centre sample CENTERJSAMPLE
    (``2**(precision - 1)``: 128, or 2048 at 12 bits) scaled, plus ONE_HALF - 1. The weights
    and SCALEBITS are the same at every precision; only this offset moves (jccolor.c's
    CBCR_OFFSET is ``CENTERJSAMPLE << SCALEBITS``). At 8 bits, :data:`~stripjpeg.tables.YCBCR_OFFSETS`."""
    if precision == 8:
        return tuple(YCBCR_OFFSETS.tolist())
    chroma = ((1 << (precision - 1)) << SCALEBITS) + (1 << (SCALEBITS - 1)) - 1
    return int(YCBCR_OFFSETS[0]), chroma, chroma


def convert_to_ycbcr(pixels: np.ndarray, precision: int = 8) -> list[np.ndarray]:
    """Convert RGB(A) pixels to Y, Cb, Cr sample planes; grayscale passes through.

    Args:
        pixels: uint8 (uint16 at 12 bits), shape ``(rows, cols, channels)`` with 1, 3 or 4
            channels (alpha ignored).
        precision: bits per sample, 8 or 12 (it sets the chroma offset, :func:`ycbcr_offsets`).

    Returns:
        One int32 plane of shape ``(rows, cols)`` per component (1 or 3), values
        0..2**precision - 1.
    """
    if pixels.shape[2] == 1:
        return [pixels[:, :, 0].astype(np.int32)]
    # int32 holds every sum: at most 65536 * 4095 + 2**27 in magnitude, at 12 bits.
    red, green, blue = (pixels[:, :, channel].astype(np.int32) for channel in range(3))
    planes = []
    for (w_red, w_green, w_blue), offset in zip(RGB_TO_YCBCR.tolist(), ycbcr_offsets(precision)):
        planes.append((w_red * red + w_green * green + w_blue * blue + offset) >> SCALEBITS)
    return planes


def convert_to_gray(pixels: np.ndarray) -> np.ndarray:
    """The Y plane of RGB(A) pixels alone: libjpeg's rgb_gray_convert (jccolor.c), which
    uses the same fixed-point weights and rounding as YCbCr's Y (cjpeg ``-grayscale``).

    Args:
        pixels: uint8, shape ``(rows, cols, 3 or 4)`` (alpha ignored).

    Returns:
        An int32 plane of shape ``(rows, cols)``, values 0..255.
    """
    red, green, blue = (pixels[:, :, channel].astype(np.int32) for channel in range(3))
    w_red, w_green, w_blue = RGB_TO_YCBCR[0].tolist()
    return (w_red * red + w_green * green + w_blue * blue + int(YCBCR_OFFSETS[0])) >> SCALEBITS


def invert_cmyk(pixels: np.ndarray, precision: int = 8) -> list[np.ndarray]:
    """CMYK pixels as Pillow hands them to libjpeg: each sample inverted, ``255 - v`` (its
    rawmode "CMYK;I", the Adobe convention of CMYK JPEGs, 0 = full ink), which libjpeg
    then copies (jccolor.c null_convert). 12-bit samples the same way: ``4095 - v``.

    Args:
        pixels: uint8 (uint16 at 12 bits), shape ``(rows, cols, 4)``, Pillow's CMYK (0 = no
            ink).
        precision: bits per sample, 8 or 12.

    Returns:
        Four int32 planes of shape ``(rows, cols)``, values 0..2**precision - 1.
    """
    top = (1 << precision) - 1
    return [top - pixels[:, :, channel].astype(np.int32) for channel in range(4)]


def convert_cmyk_to_ycck(pixels: np.ndarray) -> list[np.ndarray]:
    """CMYK pixels -> Y, Cb, Cr, K planes: libjpeg's cmyk_ycck_convert (jccolor.c) of the
    inverted samples Pillow would hand it (:func:`invert_cmyk`).

    cmyk_ycck_convert takes ``R = 255 - C``, ``G = 255 - M``, ``B = 255 - Y`` of its input
    and converts them as RGB to YCbCr, and copies K. Its input being ``255 - v``, R, G and B
    are Pillow's C, M and Y themselves, and K is stored inverted.

    Args:
        pixels: uint8, shape ``(rows, cols, 4)``, Pillow's CMYK.

    Returns:
        Four int32 planes of shape ``(rows, cols)``, values 0..255.
    """
    return [*convert_to_ycbcr(pixels[:, :, :3]), 255 - pixels[:, :, 3].astype(np.int32)]


def convert_colour(pixels: np.ndarray, plan: Plan) -> list[np.ndarray]:
    """Pixels -> one int32 plane per component of the frame, as ``plan.color_convert`` says:
    YCbCr, Y alone, CMYK inverted, YCCK, or the input channels as they are (grey, RGB with
    ``keep_rgb``, YCbCr input, or its Y alone: libjpeg's grayscale_convert, rgb_rgb_convert
    and null_convert copy the samples)."""
    convert = plan.color_convert
    if convert == "rgb_ycc":
        return convert_to_ycbcr(pixels, plan.precision)
    if convert == "rgb_gray":
        return [convert_to_gray(pixels)]
    if convert == "cmyk_inverted":
        return invert_cmyk(pixels, plan.precision)
    if convert == "cmyk_ycck":
        return convert_cmyk_to_ycck(pixels)
    return [pixels[:, :, channel].astype(np.int32) for channel in range(len(plan.components))]


# --- Edges and downsampling ----------------------------------------------------------------

def expand_edges(plane: np.ndarray, rows: int, cols: int) -> np.ndarray:
    """Replicate the last row and column of ``plane`` out to ``rows x cols``.

    T.81 A.2.4 leaves the padding of partial blocks to the encoder; libjpeg replicates the
    edge samples (jcsample.c ``expand_right_edge``, jcprepct.c ``expand_bottom_edge``),
    which keeps edge blocks smooth and so cheap to code.
    """
    return np.pad(plane, ((0, rows - plane.shape[0]), (0, cols - plane.shape[1])), mode="edge")


def downsample(plane: np.ndarray, h_ratio: int, v_ratio: int) -> np.ndarray:
    """Average ``h_ratio x v_ratio`` groups of samples, as libjpeg does without smoothing.

    libjpeg picks one of four methods per component (jcsample.c ``jinit_downsampler``), and
    they round differently, so the choice shows in the bytes:

    * 1:1 (``fullsize_downsample``): the samples as they are;
    * exactly 2:1 across, 1:1 down (``h2v1_downsample``) and exactly 2:1 both ways
      (``h2v2_downsample``): an alternating bias before the shift, so that halves do not all
      round the same way (:func:`alternating_bias_average`);
    * any other whole ratio, 1x2 and 4x1 included (``int_downsample``): the rounded mean
      (:func:`box_average`).

    Args:
        plane: int32 samples, shape ``(rows, cols)``, both multiples of the ratios.
        h_ratio, v_ratio: Hmax / H and Vmax / V of the component (1..4 each).

    Returns:
        int32 samples, shape ``(rows // v_ratio, cols // h_ratio)``.
    """
    if (h_ratio, v_ratio) == (1, 1):
        return plane
    if (h_ratio, v_ratio) in ((2, 1), (2, 2)):
        return alternating_bias_average(plane, v_ratio)
    return box_average(plane, h_ratio, v_ratio)


def group_sums(plane: np.ndarray, h_ratio: int, v_ratio: int) -> np.ndarray:
    """The sum of each ``h_ratio x v_ratio`` group: one strided slice per position in it."""
    return sum(plane[dy::v_ratio, dx::h_ratio] for dy in range(v_ratio) for dx in range(h_ratio))


def alternating_bias_average(plane: np.ndarray, v_ratio: int) -> np.ndarray:
    """libjpeg's 2x1 and 2x2 averages: for 2x1 groups ``(a + b + bias) >> 1`` with bias 0, 1,
    0, 1... along each row; for 2x2 groups ``(a + b + c + d + bias) >> 2`` with bias 1, 2, 1,
    2... The bias restarts at the left of every output row (jcsample.c ``h2v1_downsample``,
    ``h2v2_downsample``)."""
    groups = group_sums(plane, 2, v_ratio)
    bias, shift = (np.array([0, 1]), 1) if v_ratio == 1 else (np.array([1, 2]), 2)
    column_bias = np.resize(bias, groups.shape[1])
    return ((groups + column_bias) >> shift).astype(np.int32)


def box_average(plane: np.ndarray, h_ratio: int, v_ratio: int) -> np.ndarray:
    """libjpeg's general integral downsampler (jcsample.c ``int_downsample``): each group's
    mean rounded half up, ``(sum + n // 2) // n`` for the ``n = h_ratio * v_ratio`` samples,
    the same bias everywhere."""
    count = h_ratio * v_ratio
    return ((group_sums(plane, h_ratio, v_ratio) + count // 2) // count).astype(np.int32)


def component_samples(plane: np.ndarray, component: Component, layout: StripLayout,
                      plan: Plan) -> np.ndarray:
    """One component's samples for a strip: edges expanded, downsampled, padded to blocks.

    libjpeg's order matters at the bottom edge of a subsampled component: first replicate
    the last pixel row only to a multiple of Vmax (so row pairs exist), downsample, and only
    then replicate the last *downsampled* row down to whole blocks (jcprepct.c). Replicating
    pixel rows all the way down first would average a different pair of rows.
    """
    expanded = expand_edges(plane, layout.input_rows, layout.input_cols)
    reduced = downsample(expanded, plan.hmax // component.h, plan.vmax // component.v)
    return expand_edges(reduced, layout.real_block_rows * 8, layout.real_block_cols * 8)


# --- Smoothing (libjpeg's smoothing_factor) ------------------------------------------------------

def smoothing_weights(factor: int, ratio: int) -> tuple[int, int]:
    """``(member, neighbour)`` weights of libjpeg's smoothing, scaled by 2**16, for
    ``factor`` (1..100, SF = factor / 1024) and a 1:1 or 2:1 (both ways) ``ratio``.

    A smoothed sample is ``(1 - 8 SF)`` times itself plus ``SF`` times each of its eight
    neighbours (jcsample.c). At 1:1 those are the weights; at 2x2 the output averages four
    smoothed samples, so each of the four members weighs ``(1 - 5 SF) / 4``, each of the eight
    edge neighbours ``SF / 2`` (counted twice, by ``SF / 4``) and each of the four corner
    neighbours ``SF / 4``. Either way the weights add up to exactly 2**16.
    """
    if ratio == 1:
        return 65536 - 512 * factor, 64 * factor
    return 16384 - 80 * factor, 16 * factor


def smooth_full_size(plane: np.ndarray, factor: int) -> np.ndarray:
    """libjpeg's smoothing of a full-size component (jcsample.c ``fullsize_smooth_downsample``).

    Args:
        plane: int32 samples ``(rows + 2, cols + 2)``: the rows to smooth with one context row
            above and below, and one column replicated at each side (libjpeg's first and last
            columns pretend their outer neighbour is themselves).
        factor: the smoothing factor, 1..100.

    Returns:
        int32 ``(rows, cols)``: ``(member * (2**16 - 512 factor) + sum of the 8 neighbours *
        64 factor + 2**15) >> 16``, 0..255 (the weights add up to 2**16).
    """
    rows, cols = plane.shape[0] - 2, plane.shape[1] - 2

    def at(dy: int, dx: int) -> np.ndarray:  # the neighbour dy rows down, dx columns right
        return plane[1 + dy:1 + dy + rows, 1 + dx:1 + dx + cols]

    member = at(0, 0)
    neighbours = sum(at(dy, dx) for dy in (-1, 0, 1) for dx in (-1, 0, 1)) - member
    member_weight, neighbour_weight = smoothing_weights(factor, 1)
    return (member * member_weight + neighbours * neighbour_weight + 32768) >> 16


def smooth_downsample_2x2(plane: np.ndarray, factor: int) -> np.ndarray:
    """libjpeg's smoothing and 2x2 downsampling in one (jcsample.c ``h2v2_smooth_downsample``):
    each output sample from its 2x2 members, their 8 edge neighbours (weighed twice) and
    4 corner neighbours, rounded half up (no alternating bias, unlike ``h2v2_downsample``).

    Args:
        plane: int32 samples ``(2 * rows + 2, 2 * cols + 2)``: the rows to downsample with one
            context row above and below, and one column replicated at each side.
        factor: the smoothing factor, 1..100.

    Returns:
        int32 ``(rows, cols)``, 0..255.
    """
    rows, cols = (plane.shape[0] - 2) // 2, (plane.shape[1] - 2) // 2

    def at(dy: int, dx: int) -> np.ndarray:  # sample (2r + dy, 2c + dx) for every output (r, c)
        return plane[1 + dy:1 + dy + 2 * rows:2, 1 + dx:1 + dx + 2 * cols:2]

    members = at(0, 0) + at(0, 1) + at(1, 0) + at(1, 1)
    edges = (at(-1, 0) + at(-1, 1) + at(2, 0) + at(2, 1)      # above and below
             + at(0, -1) + at(1, -1) + at(0, 2) + at(1, 2))  # left and right
    corners = at(-1, -1) + at(-1, 2) + at(2, -1) + at(2, 2)
    member_weight, neighbour_weight = smoothing_weights(factor, 2)
    return (members * member_weight + (2 * edges + corners) * neighbour_weight + 32768) >> 16


def context_component_samples(plane: np.ndarray, component: Component, layout: StripLayout,
                              plan: Plan) -> np.ndarray:
    """One component's samples for a strip with context rows (``plan.context_rows``), as
    libjpeg's context mode makes them (jcprepct.c ``pre_process_context``).

    That mode pads the bottom differently from :func:`component_samples`: it replicates the
    last pixel row all the way down to whole blocks (``expand_bottom_edge`` on the input, row
    group after row group) and downsamples (and smooths) the copies, instead of replicating
    the last downsampled row. Columns are replicated out to ``layout.input_cols`` as always
    (``expand_right_edge``); the smoothing functions then replicate the outermost column once
    more at each side.

    Args:
        plane: int32 ``(rows + 2, width)``: the strip's rows with the context row above and
            below (at the image's bottom, the last row again).
    """
    h_ratio, v_ratio = plan.hmax // component.h, plan.vmax // component.v
    rows = layout.real_block_rows * 8 * v_ratio
    expanded = expand_edges(plane, rows + 2, layout.input_cols)
    if plan.is_smoothed(component):
        bordered = np.pad(expanded, ((0, 0), (1, 1)), mode="edge")
        smooth = smooth_full_size if h_ratio == 1 else smooth_downsample_2x2
        return smooth(bordered, plan.smoothing)
    return downsample(expanded[1:-1], h_ratio, v_ratio)


# --- The stage ---------------------------------------------------------------------------------

def check_sample_range(pixels: np.ndarray, plan: Plan) -> None:
    """Raise ValueError if a sample is over ``plan.max_sample`` (4095 at 12 bits): uint16
    holds more than 12 bits, and libjpeg would index its tables out of range (no masking)."""
    if pixels.size and int(pixels.max()) > plan.max_sample:
        raise ValueError(f"precision={plan.precision} takes samples 0..{plan.max_sample}; got "
                         f"{int(pixels.max())} (the maximum is {plan.max_sample})")


def prepare_samples(pixels: np.ndarray, plan: Plan) -> list[np.ndarray]:
    """Pixels of one strip -> each component's samples, ready to be cut into blocks: the
    ``prepare_samples`` stage.

    Args:
        pixels: uint8 ``(rows, plan.width, plan.input_channels)`` (uint16 with
            ``plan.precision`` 12), whole MCU rows (the last strip may be shorter); with
            smoothing, ``plan.context_rows`` more above and below.
        plan: the image's plan (sampling factors, smoothing).

    Raises:
        ValueError: at 12 bits, a sample over 4095 (:func:`check_sample_range`).

    Returns:
        Per component (Y first), int32 samples 0..255 (0..4095 at 12 bits) of shape ``(8 * real_block_rows,
        8 * real_block_cols)`` of its :class:`~stripjpeg.plan.StripLayout`: the blocks that
        hold image samples (the dummy blocks that complete the MCUs come after the DCT).
    """
    if plan.precision != 8:
        check_sample_range(pixels, plan)
    planes = convert_colour(pixels, plan)
    layouts = plan.strip_layout(plan.strip_rows(pixels))
    samples = context_component_samples if plan.context_rows else component_samples
    return [samples(plane, component, layout, plan)
            for plane, component, layout in zip(planes, plan.components, layouts)]
