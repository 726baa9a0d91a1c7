"""Sampling factors and smoothing as libjpeg allows them: which factors it refuses (and
why), and which components its smoothing downsamplers smooth (jcsample.c). Used by
:func:`stripjpeg.plan.make_plan`."""

from __future__ import annotations

from typing import Any

from .notices import warn_user

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
