"""Upsampling (T.81 A.1.1 leaves it to the application): a downsampled component's samples
back to the full image size, as libjpeg's jdsample.c does it.

:func:`upsample` picks the method jdsample.c's ``jinit_upsampler`` picks for the component's
ratio ``h x v = (Hmax / Hi) x (Vmax / Vi)``:

* 1 x 1: the samples as they are (fullsize_upsample);
* 2 x 1: :func:`h2v1_fancy` when ``fancy`` and the component is more than 2 samples wide,
  else :func:`box` (h2v1_upsample);
* 1 x 2: :func:`h1v2_fancy` when ``fancy`` (libjpeg-turbo 2.0 and later), else :func:`box`;
* 2 x 2: :func:`h2v2_fancy` when ``fancy`` and more than 2 samples wide, else :func:`box`;
* any other whole ratio (4:1:1's 4 x 1, 3 x 1, 4 x 2...): :func:`box` (int_upsample), with
  or without ``fancy``.

The fancy methods are triangle filters ("linear interpolation between pixel centres"): each
output sample is 3/4 of the nearer input sample and 1/4 of the next one, per direction, with
libjpeg's integer rounding biases. The vertical ones (v == 2) read one sample row above and one
below the rows they upsample: libjpeg's context rows (jdmainct.c), the first and last real
rows of the component repeated at the image's top and bottom edges.

``fancy=False`` (``djpeg -nosmooth``) is plain replication. With it libjpeg uses merged
upsampling for YCbCr -> RGB at 2 x 1 and 2 x 2 (jdmerge.c), which computes the same pixels as
replication followed by :func:`stripjpeg.decoding.colour.ycbcr_to_rgb`: it applies the same
tables to each replicated chroma sample.

12-bit samples (uint16 planes) go through the same arithmetic: jdsample.c's filters are the
same C code on wider samples (``3 * 4095 * 4 + 8`` still fits an int), and every function
here returns its input's dtype.
"""

from __future__ import annotations

import numpy as np


def edge_extended(plane: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
    """Each sample's left and right neighbour along a row, the first and last samples standing
    in for their missing neighbours (int32 ``(rows, cols)`` each).

    Replicating the edge sample gives exactly jdsample.c's special cases for the first and
    last columns: e.g. h2v1's first output ``(3 s + s + 1) >> 2`` is ``s``.
    """
    left = np.concatenate([plane[:, :1], plane[:, :-1]], axis=1)
    right = np.concatenate([plane[:, 1:], plane[:, -1:]], axis=1)
    return left, right


def interleave_columns(even: np.ndarray, odd: np.ndarray) -> np.ndarray:
    """Two ``(rows, cols)`` planes -> ``(rows, 2 cols)``, columns even, odd, even, odd..."""
    return np.stack([even, odd], axis=-1).reshape(even.shape[0], -1)


def interleave_rows(upper: np.ndarray, lower: np.ndarray) -> np.ndarray:
    """Two ``(rows, cols)`` planes -> ``(2 rows, cols)``, rows upper, lower, upper..."""
    return np.stack([upper, lower], axis=1).reshape(-1, upper.shape[1])


def neighbour_rows(plane: np.ndarray, above: np.ndarray | None, below: np.ndarray | None
                   ) -> tuple[np.ndarray, np.ndarray]:
    """Each sample row's row above and row below, int32 ``(rows, cols)`` each: the band's
    own rows, with ``above`` / ``below`` beyond its first and last (the first / last row
    itself at the image's edges, where they are None, as jdmainct.c replicates them)."""
    first = plane[:1] if above is None else np.asarray(above, np.int32).reshape(1, -1)
    last = plane[-1:] if below is None else np.asarray(below, np.int32).reshape(1, -1)
    return np.concatenate([first, plane[:-1]]), np.concatenate([plane[1:], last])


def h2v1_fancy(plane: np.ndarray) -> np.ndarray:
    """jdsample.c's h2v1_fancy_upsample: each sample becomes two, ``(3 s + left + 1) >> 2``
    and ``(3 s + right + 2) >> 2`` (the biases 1 and 2 alternate so that halves do not all
    round up).

    Args:
        plane: uint8 ``(rows, cols)``, cols > 2.

    Returns:
        uint8 ``(rows, 2 cols)``.
    """
    samples = plane.astype(np.int32)
    left, right = edge_extended(samples)
    nearer = 3 * samples
    return interleave_columns((nearer + left + 1) >> 2, (nearer + right + 2) >> 2).astype(plane.dtype)


def h1v2_fancy(plane: np.ndarray, above: np.ndarray | None, below: np.ndarray | None) -> np.ndarray:
    """jdsample.c's h1v2_fancy_upsample (libjpeg-turbo 2.0+): each sample row becomes two,
    ``(3 s + s_above + 1) >> 2`` and ``(3 s + s_below + 2) >> 2``.

    Args:
        plane: uint8 ``(rows, cols)``.
        above, below: uint8 ``(cols,)``, the rows just outside the band, or None at the
            image's top / bottom edge (the edge row repeated).

    Returns:
        uint8 ``(2 rows, cols)``.
    """
    samples = plane.astype(np.int32)
    up, down = neighbour_rows(samples, above, below)
    nearer = 3 * samples
    return interleave_rows((nearer + up + 1) >> 2, (nearer + down + 2) >> 2).astype(plane.dtype)


def h2v2_fancy(plane: np.ndarray, above: np.ndarray | None, below: np.ndarray | None) -> np.ndarray:
    """jdsample.c's h2v2_fancy_upsample: each sample becomes a 2 x 2 square of weights 9/16,
    3/16, 3/16, 1/16 over it and its nearest neighbours.

    Vertically first, without rounding: each output row's column sums ``3 s + s_near`` (the
    row above for the upper output row, below for the lower); then across, in sixteenths,
    ``(3 c + c_left + 8) >> 4`` and ``(3 c + c_right + 7) >> 4`` (libjpeg-turbo's biases 8
    and 7, alternating).

    Args:
        plane: uint8 ``(rows, cols)``, cols > 2.
        above, below: as for :func:`h1v2_fancy`.

    Returns:
        uint8 ``(2 rows, 2 cols)``.
    """
    samples = plane.astype(np.int32)
    up, down = neighbour_rows(samples, above, below)
    output_rows = []
    for near in (up, down):
        colsum = 3 * samples + near
        left, right = edge_extended(colsum)
        output_rows.append(interleave_columns((3 * colsum + left + 8) >> 4,
                                              (3 * colsum + right + 7) >> 4))
    return interleave_rows(*output_rows).astype(plane.dtype)


def box(plane: np.ndarray, h: int, v: int) -> np.ndarray:
    """Replication, the "box filter" of jdsample.c's int_upsample, h2v1_upsample and
    h2v2_upsample: each sample becomes an ``h x v`` block of copies.

    Returns:
        uint8 ``(rows * v, cols * h)``.
    """
    return np.repeat(np.repeat(plane, v, axis=0), h, axis=1)


def upsample(plane: np.ndarray, h: int, v: int, above: np.ndarray | None,
             below: np.ndarray | None, fancy: bool = True) -> np.ndarray:
    """One component's samples for a band of rows, upsampled by ``h x v`` as libjpeg does
    (the method by ratio: see the module doc).

    Args:
        plane: uint8 ``(rows, cols)``: the component's sample rows of a band of whole row
            groups, cropped to its real width (libjpeg's downsampled_width,
            ``ceil(image_width * Hi / Hmax)``); in the image's last band, cropped to its
            real height (downsampled_height) too, since libjpeg repeats the last real row
            below it.
        h, v: the upsampling factors ``Hmax / Hi`` and ``Vmax / Vi``, whole numbers 1..4.
        above, below: uint8 ``(cols,)``, the component's sample row just above / below the
            band, or None at the image's top / bottom edge; only read by the triangle
            filters with ``v == 2``.
        fancy: libjpeg's do_fancy_upsampling (True by default; False is ``djpeg -nosmooth``).

    Returns:
        uint8 ``(rows * v, cols * h)``.

    Raises:
        ValueError: factors that are not whole numbers 1..4, or a plane that is not 2-D.
    """
    plane = np.asarray(plane)
    if plane.ndim != 2 or plane.size == 0:
        raise ValueError(f"plane must be a non-empty 2-D array, got shape {plane.shape}")
    for name, factor in (("h", h), ("v", v)):
        if not isinstance(factor, (int, np.integer)) or not 1 <= factor <= 4:
            raise ValueError(f"upsampling factor {name}={factor!r}: expected a whole number 1..4")
    wide = plane.shape[1] > 2   # jinit_upsampler: the h2 triangle filters need 3 samples
    if (h, v) == (1, 1):
        return plane.copy()
    if fancy and (h, v) == (2, 1) and wide:
        return h2v1_fancy(plane)
    if fancy and (h, v) == (1, 2):
        return h1v2_fancy(plane, above, below)
    if fancy and (h, v) == (2, 2) and wide:
        return h2v2_fancy(plane, above, below)
    return box(plane, h, v)
