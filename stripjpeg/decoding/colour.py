"""Colour conversion, the decoder's last stage: full-size component planes -> pixels, as
libjpeg's jdcolor.c computes them and Pillow stores them.

The colour space is libjpeg's guess from the markers before the first scan
(:func:`output_colour_space`, jdapimin.c default_decompress_parms); then

* "grey":  the one component as it is (grayscale_convert);
* "ycbcr": JFIF's YCbCr -> RGB in libjpeg's 16-bit fixed point (:func:`ycbcr_to_rgb`);
* "rgb":   the three components as they are (rgb_rgb_convert);
* "cmyk":  the four components as they are (null_convert), which Pillow then inverts;
* "ycck":  YCbCr -> RGB on the first three, inverted to CMY, K as it is (ycck_cmyk_convert),
           which Pillow then inverts.

12-bit samples (``precision=12``) take the same arithmetic with jdcolor.c's tables sized for
MAXJSAMPLE 4095 and CENTERJSAMPLE 2048, and come out as uint16.

Pillow reads every 4-component JPEG with its rawmode "CMYK;I" ("assume adobe conventions":
Adobe's CMYK JPEGs store 255 for no ink), so its CMYK pixels are ``255 - v`` of libjpeg's.
"""

from __future__ import annotations

import numpy as np

from ..tables import ONE_HALF, SCALEBITS, fix

#: JFIF's component ids (T.81 leaves them free; JFIF numbers Y, Cb, Cr 1, 2, 3) and Adobe's
#: ASCII 'R', 'G', 'B': what libjpeg looks at when a 3-component file has neither marker.
JFIF_IDS = (1, 2, 3)
RGB_IDS = (ord("R"), ord("G"), ord("B"))

#: The colour spaces :func:`output_colour_space` names, and the pixel channels each gives.
CHANNELS = {"grey": 1, "ycbcr": 3, "rgb": 3, "cmyk": 4, "ycck": 4}


def output_colour_space(component_ids: tuple[int, ...], jfif: bool,
                        adobe_transform: int | None) -> str:
    """libjpeg's guess of a file's colour space (jdapimin.c default_decompress_parms).

    One component is grey. Three are YCbCr if a JFIF APP0 marker was seen; else an Adobe
    APP14 marker's transform decides (0: RGB, 1: YCbCr; other values: YCbCr, with a warning
    in libjpeg); else the component ids (1, 2, 3: YCbCr; 'R', 'G', 'B': RGB; others: YCbCr).
    Four are CMYK, unless an Adobe marker says transform 2 (YCCK) or anything but 0 (YCCK,
    with a warning).

    Args:
        component_ids: the frame header's component ids, in frame order.
        jfif: whether a JFIF APP0 marker came before the first scan.
        adobe_transform: the transform byte of the last Adobe APP14 marker before the first
            scan, or None without one.

    Returns:
        "grey", "ycbcr", "rgb", "cmyk" or "ycck".

    Raises:
        ValueError: a component count other than 1, 3 or 4 (libjpeg's JCS_UNKNOWN).
    """
    count = len(component_ids)
    if count == 1:
        return "grey"
    if count == 3:
        if jfif:
            return "ycbcr"
        if adobe_transform is not None:
            return "rgb" if adobe_transform == 0 else "ycbcr"
        return "rgb" if tuple(component_ids) == RGB_IDS else "ycbcr"
    if count == 4:
        if adobe_transform is None or adobe_transform == 0:
            return "cmyk"
        return "ycck"
    raise ValueError(f"{count} components: libjpeg knows no colour space for them "
                     "(expected 1, 3 or 4)")


def ycbcr_to_rgb_tables(precision: int = 8
                        ) -> tuple[np.ndarray, np.ndarray, np.ndarray, np.ndarray]:
    """jdcolor.c's build_ycc_rgb_table, indexed by the Cb or Cr sample 0..MAXJSAMPLE (x =
    sample - CENTERJSAMPLE: 255 and 128 for 8-bit samples, 4095 and 2048 for 12-bit ones),
    int64 ``(2**precision,)`` each:

    * ``cr_r = (FIX(1.40200) x + ONE_HALF) >> SCALEBITS``, R's offset, rounded;
    * ``cb_b = (FIX(1.77200) x + ONE_HALF) >> SCALEBITS``, B's offset, rounded;
    * ``cr_g = -FIX(0.71414) x`` and ``cb_g = -FIX(0.34414) x + ONE_HALF``, G's two parts,
      still scaled: G's offset is ``(cb_g + cr_g) >> SCALEBITS``, one rounding for both.
    """
    x = np.arange(1 << precision, dtype=np.int64) - (1 << (precision - 1))
    cr_r = (fix(1.40200, SCALEBITS) * x + ONE_HALF) >> SCALEBITS
    cb_b = (fix(1.77200, SCALEBITS) * x + ONE_HALF) >> SCALEBITS
    cr_g = -fix(0.71414, SCALEBITS) * x
    cb_g = -fix(0.34414, SCALEBITS) * x + ONE_HALF
    return cr_r, cb_b, cr_g, cb_g


def clamp_sample(x: np.ndarray, precision: int = 8) -> np.ndarray:
    """libjpeg's sample_range_limit table (jdmaster.c's "simple" part): values below 0 become
    0, above MAXJSAMPLE (255; 4095 for 12-bit samples) become MAXJSAMPLE (the colour
    converters' sums stay within its reach). uint8, or uint16 for 12-bit samples."""
    maxval = (1 << precision) - 1
    return np.clip(x, 0, maxval).astype(np.uint8 if precision == 8 else np.uint16)


def ycbcr_to_rgb_unclamped(y: np.ndarray, cb: np.ndarray, cr: np.ndarray,
                           precision: int = 8) -> list[np.ndarray]:
    """jdcolor.c's ycc_rgb_convert before its range limit: ``R = Y + cr_r[Cr]``,
    ``G = Y + ((cb_g[Cb] + cr_g[Cr]) >> SCALEBITS)``, ``B = Y + cb_b[Cb]`` (int64 planes)."""
    cr_r, cb_b, cr_g, cb_g = ycbcr_to_rgb_tables(precision)
    y = y.astype(np.int64)
    return [y + cr_r[cr], y + ((cb_g[cb] + cr_g[cr]) >> SCALEBITS), y + cb_b[cb]]


def ycbcr_to_rgb(y: np.ndarray, cb: np.ndarray, cr: np.ndarray, precision: int = 8) -> np.ndarray:
    """JFIF's YCbCr -> RGB as libjpeg computes it (jdcolor.c ycc_rgb_convert).

    Args:
        y, cb, cr: uint8 ``(rows, width)`` full-size planes (uint16 for 12-bit samples).
        precision: the sample precision, 8 or 12.

    Returns:
        uint8 ``(rows, width, 3)`` (uint16 for 12-bit samples).
    """
    return np.stack([clamp_sample(c, precision)
                     for c in ycbcr_to_rgb_unclamped(y, cb, cr, precision)], axis=-1)


def ycck_to_cmyk(y: np.ndarray, cb: np.ndarray, cr: np.ndarray, k: np.ndarray,
                 precision: int = 8) -> np.ndarray:
    """Adobe's YCCK -> CMYK as libjpeg computes it (jdcolor.c ycck_cmyk_convert): YCbCr to
    RGB as :func:`ycbcr_to_rgb`, then ``C, M, Y = range_limit[MAXJSAMPLE - R]...``, K copied.

    Returns:
        uint8 ``(rows, width, 4)`` (uint16 for 12-bit samples): libjpeg's CMYK (MAXJSAMPLE =
        no ink), not yet Pillow's.
    """
    maxval = (1 << precision) - 1
    cmy = [clamp_sample(maxval - c, precision)
           for c in ycbcr_to_rgb_unclamped(y, cb, cr, precision)]
    return np.stack([*cmy, k], axis=-1)


def convert_colour(planes: list[np.ndarray], space: str, precision: int = 8) -> np.ndarray:
    """Full-size component planes -> the pixels Pillow returns for the file.

    Args:
        planes: uint8 ``(rows, width)`` per component (uint16 for 12-bit samples), frame
            order, full resolution, cropped to the image width.
        space: from :func:`output_colour_space`.
        precision: the sample precision, 8 or 12 (MAXJSAMPLE 255 or 4095).

    Returns:
        uint8 ``(rows, width)`` for "grey"; ``(rows, width, 3)`` RGB for "ycbcr" and "rgb";
        ``(rows, width, 4)`` Pillow's CMYK (0 = no ink: libjpeg's output inverted, as
        Pillow's rawmode "CMYK;I" stores it) for "cmyk" and "ycck". uint16 0..4095 for
        12-bit samples (CMYK inverted as ``4095 - v``, the same convention).

    Raises:
        ValueError: an unknown space, or a number of planes that does not fit it.
    """
    if space not in CHANNELS:
        raise ValueError(f"unknown colour space {space!r}: expected one of {sorted(CHANNELS)}")
    if len(planes) != CHANNELS[space]:
        raise ValueError(f"colour space {space!r} takes {CHANNELS[space]} planes, "
                         f"got {len(planes)}")
    dtype = np.uint8 if precision == 8 else np.uint16
    maxval = (1 << precision) - 1
    if space == "grey":
        return np.ascontiguousarray(planes[0], dtype=dtype)
    if space == "ycbcr":
        return ycbcr_to_rgb(*planes, precision=precision)
    if space == "rgb":
        return np.stack(planes, axis=-1).astype(dtype)
    cmyk = np.stack(planes, axis=-1) if space == "cmyk" else ycck_to_cmyk(*planes, precision)
    return (maxval - cmyk.astype(np.int64)).astype(dtype)
