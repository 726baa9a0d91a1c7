"""Sampling factors and smoothing as libjpeg allows them: the names and cjpeg's ``-sample``
text for them, which factors it refuses (and why), and which components its smoothing
downsamplers smooth (jcsample.c). Used by :mod:`stripjpeg.options` (the subsampling option)
and :func:`stripjpeg.plan.make_plan`."""

from __future__ import annotations

import re
from typing import Any

from .notices import warn_user

#: Chroma subsampling name -> (H, V) sampling factors of the luma component (T.81 A.1.1).
#: Chroma components have factors (1, 1), as libjpeg sets them. "4:1:1" is not here: Pillow
#: reads it as 4:2:0 (see :mod:`.pillow_keywords`); libjpeg's 4:1:1 (luma 4x1) is "4x1".
SUBSAMPLING_FACTORS = {"4:4:4": (1, 1), "4:2:2": (2, 1), "4:2:0": (2, 2), "4:4:0": (1, 2)}
#: Sampling factors are 1..4 (T.81 B.2.2 allows 1..4 for H and V; cjpeg's rdswitch.c).
MAX_SAMPLING_FACTOR = 4
#: At most this many "HxV" in cjpeg's ``-sample`` form: one per component of a CMYK or YCCK
#: frame (a YCbCr frame takes three).
MAX_SAMPLED_COMPONENTS = 4
#: cjpeg's ``-sample`` syntax for one component: "HxV" (rdswitch.c set_sample_factors).
_FACTORS_SYNTAX = re.compile(r"([0-9]+)[xX]([0-9]+)")
#: libjpeg's own choice, Pillow's subsampling -1 (its default): jcparam.c jpeg_set_colorspace
#: gives YCbCr luma 2x2 (4:2:0), and a grayscale frame's one component 1x1, where a named
#: subsampling gives it the named factors (see :func:`luma_factors`).
LIBJPEG_DEFAULT_SUBSAMPLING = "default"

#: At most ten blocks in the MCU of an interleaved scan (T.81 B.2.3; libjpeg's C_MAX_BLOCKS_IN_MCU).
MAX_BLOCKS_IN_MCU = 10

#: Downsampling ratios (Hmax / H, Vmax / V) libjpeg smooths (jcsample.c: fullsize_ and
#: h2v2_smooth_downsample); with any other ratio it downsamples without smoothing.
SMOOTHED_RATIOS = ((1, 1), (2, 2))


def check_sampling_factors(factors: list[tuple[int, int, int]]) -> None:
    """Refuse the sampling factors libjpeg refuses, with its reasons.

    Args:
        factors: per component (Ci, H, V), H and V already 1..4.

    Raises:
        ValueError: an interleaved MCU of more than 10 blocks (T.81 B.2.3; jcmaster.c
            per_scan_setup, JERR_BAD_MCU_SIZE), or a component whose Hmax/H or Vmax/V is not
            a whole number: libjpeg downsamples only by integral ratios (jcsample.c
            jinit_downsampler, JERR_FRACT_SAMPLE_NOTIMPL).
    """
    if len(factors) == 1:
        return  # one block per MCU, never downsampled
    described = ",".join(f"{h}x{v}" for _, h, v in factors)
    blocks = sum(h * v for _, h, v in factors)
    if blocks > MAX_BLOCKS_IN_MCU:
        raise ValueError(f"sampling factors {described} make an MCU of {blocks} blocks; an "
                         f"interleaved MCU holds at most {MAX_BLOCKS_IN_MCU} (libjpeg: sampling "
                         f"factors too large for interleaved scan)")
    hmax = max(h for _, h, _ in factors)
    vmax = max(v for _, _, v in factors)
    for _, h, v in factors:
        if hmax % h or vmax % v:
            raise ValueError(f"sampling factors {described}: {hmax}/{h} x {vmax}/{v} is not a "
                             f"whole downsampling ratio (libjpeg: fractional sampling not "
                             f"implemented)")


def plan_smoothing(factor: int, components: tuple[Any, ...], hmax: int, vmax: int) -> int:
    """The plan's smoothing factor (``components``: the plan's Components, with ``id``, ``h``
    and ``v``): ``factor``, or 0 if libjpeg smooths no component (it then
    needs no context rows either, jcsample.c). Warns when some component is not smoothed,
    which libjpeg only traces (JTRC_SMOOTH_NOTIMPL)."""
    ratios = [(hmax // c.h, vmax // c.v) for c in components]
    skipped = [f"component {c.id} (downsampled {h}x{v})" for c, (h, v) in zip(components, ratios)
               if (h, v) not in SMOOTHED_RATIOS]
    if factor and skipped:
        warn_user(f"smooth={factor}: libjpeg smooths only full-size and 2x2-downsampled components "
                  f"(jcsample.c); not smoothed, as in cjpeg and Pillow: {', '.join(skipped)}")
    return factor if len(skipped) < len(components) else 0


def luma_factors(subsampling: str, color: bool) -> tuple[int, int]:
    """(H, V) sampling factors of the first component for ``subsampling`` (see
    :data:`LIBJPEG_DEFAULT_SUBSAMPLING` for "default")."""
    return sampling_factors(subsampling, color)[0]


def sampling_factors(subsampling: str, color: bool,
                     color_space: str = "YCbCr") -> tuple[tuple[int, int], ...]:
    """(H, V) sampling factors per component for ``subsampling``: 1 for grayscale, and for
    colour (``color``) as many as ``color_space`` has, 3 (YCbCr, RGB) or 4 (CMYK, YCCK).

    A name of :data:`SUBSAMPLING_FACTORS` or "default" (:data:`LIBJPEG_DEFAULT_SUBSAMPLING`),
    or cjpeg's ``-sample`` argument: "HxV" per component separated by commas, the components
    not given 1x1 (rdswitch.c set_sample_factors). A grayscale frame keeps the first
    component's factors, as cjpeg does. A name gives the first component its factors and the
    others 1x1, as Pillow's JpegEncode.c sets them (CMYK included); YCCK gives K the first
    component's factors too (both carry luminance detail; libjpeg's own default,
    jpeg_set_colorspace, makes Y and K 2x2). "default" is jpeg_set_colorspace's: 4:2:0 for
    YCbCr and YCCK (Y and K 2x2), 1x1 for RGB, CMYK and grayscale. Whether the frame can be
    downsampled and fits an MCU is checked with the image (:func:`~stripjpeg.plan.make_plan`).

    Raises:
        ValueError: an unknown name, a malformed "HxV", a factor outside 1..4, or more
            "HxV" than the frame has components.
    """
    count = (4 if color_space in ("CMYK", "YCCK") else 3) if color else 1
    if subsampling == LIBJPEG_DEFAULT_SUBSAMPLING:
        if not color or color_space in ("RGB", "CMYK"):
            return ((1, 1),) * count
        subsampling = "4:2:0"
    if subsampling in SUBSAMPLING_FACTORS:
        luma = SUBSAMPLING_FACTORS[subsampling]
        factors = [luma] + [(1, 1)] * (count - 1)
        if color_space == "YCCK" and color:
            factors[3] = luma
        return tuple(factors)
    parts = subsampling.split(",")
    if len(parts) > MAX_SAMPLED_COMPONENTS:
        raise ValueError(f"subsampling={subsampling!r} gives {len(parts)} components' factors; "
                         f"a frame has at most {MAX_SAMPLED_COMPONENTS} (CMYK, YCCK; YCbCr 3)")
    if color and len(parts) > count:
        raise ValueError(f"subsampling={subsampling!r} gives {len(parts)} components' factors; "
                         f"a {color_space} frame has {count}")
    factors = []
    for part in parts:
        match = _FACTORS_SYNTAX.fullmatch(part.strip())
        if match is None:
            raise ValueError(f"subsampling must be one of {', '.join(SUBSAMPLING_FACTORS)} or "
                             f"cjpeg's 'HxV[,HxV...]' with whole factors (e.g. '4x1', "
                             f"'2x2,1x1,1x1'); got {subsampling!r}")
        h, v = int(match[1]), int(match[2])
        if not (1 <= h <= MAX_SAMPLING_FACTOR and 1 <= v <= MAX_SAMPLING_FACTOR):
            raise ValueError(f"subsampling={subsampling!r}: JPEG sampling factors must be "
                             f"1..{MAX_SAMPLING_FACTOR} (T.81 B.2.2), got {h}x{v}")
        factors.append((h, v))
    factors += [(1, 1)] * (MAX_SAMPLED_COMPONENTS - len(factors))
    return tuple(factors[:count])
