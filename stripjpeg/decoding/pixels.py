"""Coefficients -> pixels: the decoder's stages in order, for a band of MCU rows or for the
whole image (the NumPy textbook; the orchestrator in :mod:`stripjpeg.decoder` cuts the
bands and runs them in parallel).

For each component of a band::

    quantized blocks, int16 (block_rows, block_cols, 8, 8)
      -> inverse_dct     dequantize, IDCT, level shift, range limit   (.idct)
      -> crop            to the component's real samples (downsampled width and height)
      -> upsample        to the image's size, the triangle filters reading one sample row
                         above and below the band (its context rows)  (.upsampling)
    then, all components together,
      -> convert_colour  to grey, RGB or Pillow's CMYK                (.colour)
    = band_pixels        uint8 (rows, width[, channels]): the band's rows of the image

A band is a run of whole *iMCU rows* (libjpeg's word): ``8 * Vmax`` pixel rows, which hold
``Vi`` block rows of each component (an MCU row of an interleaved scan; for a one-component
image, ``Vi`` block rows too, whatever its declared sampling factors).
"""

from __future__ import annotations

import math
from collections.abc import Callable
from dataclasses import dataclass
from functools import partial
from typing import Any

import numpy as np

from ..reader import DecodedJpeg
from .colour import convert_colour, output_colour_space
from .idct import DCT_PRECISIONS, inverse_dct
from .idct_twelve import inverse_dct_twelve
from .smoothing import smooth_blocks
from .upsampling import upsample


@dataclass(frozen=True)
class FrameGeometry:
    """What the pixel stages need to know of a frame (picklable, built once per image).

    Attributes:
        width, height: the image size in pixels.
        factors: each component's sampling factors ``(Hi, Vi)``, frame order.
        space: the colour space, from :func:`~stripjpeg.decoding.colour.output_colour_space`.
        precision: the sample precision, 8 or 12 (uint8 or uint16 samples).
    """

    width: int
    height: int
    factors: tuple[tuple[int, int], ...]
    space: str
    precision: int = 8

    def __post_init__(self) -> None:
        hmax, vmax = self.hmax, self.vmax
        for index, (h, v) in enumerate(self.factors):
            if hmax % h or vmax % v:
                # jdsample.c jinit_upsampler: JERR_FRACT_SAMPLE_NOTIMPL.
                raise ValueError(f"component {index} has sampling factors {h}x{v} against the "
                                 f"frame's {hmax}x{vmax}: a fractional upsampling ratio, which "
                                 "libjpeg does not implement")

    @classmethod
    def of(cls, decoded: DecodedJpeg) -> FrameGeometry:
        """The geometry of a file :func:`stripjpeg.reader.read_jpeg` has read.

        Raises:
            ValueError: a precision other than 8 or 12 bits, or a fractional upsampling
                ratio.
        """
        if decoded.precision not in DCT_PRECISIONS:
            raise ValueError(f"{decoded.precision}-bit samples: only 8- and 12-bit DCT files "
                             "are decoded to pixels")
        space = output_colour_space(tuple(c.id for c in decoded.components), decoded.jfif,
                                    decoded.adobe_transform)
        return cls(decoded.width, decoded.height,
                   tuple((c.h, c.v) for c in decoded.components), space, decoded.precision)

    @property
    def hmax(self) -> int:
        return max(h for h, _ in self.factors)

    @property
    def vmax(self) -> int:
        return max(v for _, v in self.factors)

    @property
    def mcu_height(self) -> int:
        """Pixel rows per iMCU row: ``8 * Vmax``."""
        return 8 * self.vmax

    @property
    def mcu_rows(self) -> int:
        """The image's iMCU rows, ``ceil(height / (8 Vmax))``."""
        return math.ceil(self.height / self.mcu_height)

    def ratio(self, component: int) -> tuple[int, int]:
        """The component's upsampling factors ``(Hmax / Hi, Vmax / Vi)``."""
        h, v = self.factors[component]
        return self.hmax // h, self.vmax // v

    def sample_size(self, component: int) -> tuple[int, int]:
        """The component's real samples ``(rows, cols)``: libjpeg's downsampled_height and
        downsampled_width, ``ceil(height Vi / Vmax)`` by ``ceil(width Hi / Hmax)`` (A.1.1)."""
        h, v = self.factors[component]
        return math.ceil(self.height * v / self.vmax), math.ceil(self.width * h / self.hmax)

    def needs_context(self, fancy: bool = True) -> list[bool]:
        """Per component, whether its upsampling reads the sample rows above and below a band
        (the triangle filters with ``v == 2``), so that :func:`band_pixels` needs the block
        rows next to the band."""
        wants = []
        for index in range(len(self.factors)):
            h, v = self.ratio(index)
            wide = self.sample_size(index)[1] > 2
            wants.append(fancy and ((h, v) == (1, 2) or ((h, v) == (2, 2) and wide)))
        return wants


def component_rows(frame: FrameGeometry, component: int, band: tuple[int, int]) -> tuple[int, int]:
    """The component's real sample rows ``[first, stop)`` that the iMCU rows ``band`` cover."""
    v = frame.factors[component][1]
    rows = frame.sample_size(component)[0]
    return min(band[0] * 8 * v, rows), min(band[1] * 8 * v, rows)


def context_row(blocks: np.ndarray | None, table: np.ndarray, row: int, cols: int,
                dct: str, idct: Callable[..., np.ndarray] = inverse_dct) -> np.ndarray | None:
    """Sample row ``row`` (0..7) of one block row of a component, cropped to ``cols``, or
    None when there is no such block row (the image's edge); ``idct`` is the IDCT stage."""
    if blocks is None:
        return None
    blocks = np.ascontiguousarray(blocks)
    blocks = blocks.reshape((1, *blocks.shape[-3:]))
    return idct(blocks, table, dct)[row, :cols]


def band_pixels(blocks: list[np.ndarray], tables: list[np.ndarray], frame: FrameGeometry,
                band: tuple[int, int], above: list[np.ndarray | None] | None = None,
                below: list[np.ndarray | None] | None = None, *, dct: str = "islow",
                fancy: bool = True, stages: Any = None) -> np.ndarray:
    """The pixels of a band of whole iMCU rows, from its quantized coefficients.

    Args:
        blocks: per component, int16 ``(block_rows, block_cols, 8, 8)``: the component's
            blocks of the band's iMCU rows (for a progressive file, after
            :func:`smoothed_coefficients`), from its block row ``band[0] * Vi`` on. At
            least the blocks that hold real samples (``ceil(downsampled_width / 8)``
            across, and down to the band's end or the component's last real row); further
            ones (the blocks that only pad the last MCUs) may be there and are ignored.
        tables: per component, its uint16 ``(64,)`` quantization table, natural order.
        frame: the image's geometry (:meth:`FrameGeometry.of`).
        band: ``(first, stop)``, the iMCU rows of the band.
        above, below: per component, int16 ``(block_cols, 8, 8)``, the component's block row
            just above / below the band (its last / first sample row is the context row of
            the triangle filters), or None at the image's top / bottom. Only the components
            :meth:`FrameGeometry.needs_context` names read them; None for the whole list
            when the band touches both edges or no component needs context.
        dct: "islow", "islow-c", "ifast" or "float"
            (:func:`~stripjpeg.decoding.idct.inverse_dct`).
        fancy: libjpeg's fancy upsampling (``djpeg -nosmooth`` is False).
        stages: what runs the stages: a namespace (a module) with ``inverse_dct``,
            ``upsample`` and ``convert_colour`` of these stages' signatures and results, such
            as :mod:`stripjpeg.backends.numba_decode_pixels`; None for the NumPy stages.
            A 12-bit frame always runs the NumPy stages (the kernels are 8-bit only).

    Returns:
        uint8 ``(rows, width)`` or ``(rows, width, channels)`` (uint16 0..4095 for a
        12-bit frame): pixel rows
        ``band[0] * 8 Vmax`` to ``min(band[1] * 8 Vmax, height)`` of the image, as Pillow
        returns them (:func:`~stripjpeg.decoding.colour.convert_colour`).

    Raises:
        ValueError: a band outside the image, too few blocks, or a context block row
            missing where one is needed.
    """
    first, stop = band
    if not 0 <= first < stop <= frame.mcu_rows:
        raise ValueError(f"band {band} is not a run of the image's {frame.mcu_rows} iMCU rows")
    if len(blocks) != len(frame.factors) or len(tables) != len(frame.factors):
        raise ValueError(f"{len(frame.factors)} components, but {len(blocks)} block arrays "
                         f"and {len(tables)} tables")
    context = frame.needs_context(fancy)
    pixel_rows = min(stop * frame.mcu_height, frame.height) - first * frame.mcu_height
    idct, upsample_stage, colour_stage = pixel_stages(stages, frame.precision)
    planes = []
    for index, (component_blocks, table) in enumerate(zip(blocks, tables)):
        row0, row1 = component_rows(frame, index, band)
        cols = frame.sample_size(index)[1]
        need_rows, need_cols = math.ceil((row1 - row0) / 8), math.ceil(cols / 8)
        component_blocks = np.asarray(component_blocks)
        if component_blocks.ndim != 4 or component_blocks.shape[0] < need_rows \
                or component_blocks.shape[1] < need_cols:
            raise ValueError(f"component {index}: band {band} needs {need_rows}x{need_cols} "
                             f"blocks, got an array of shape {component_blocks.shape}")
        samples = idct(np.ascontiguousarray(component_blocks[:need_rows, :need_cols]), table, dct)
        plane = np.ascontiguousarray(samples[:row1 - row0, :cols])
        h, v = frame.ratio(index)
        up = down = None
        if context[index]:
            up = context_row(_edge(above, index, first > 0, "above", band), table, 7, cols, dct,
                             idct)
            down = context_row(_edge(below, index, stop < frame.mcu_rows, "below", band),
                               table, 0, cols, dct, idct)
        full = upsample_stage(plane, h, v, up, down, fancy)
        planes.append(np.ascontiguousarray(full[:pixel_rows, :frame.width]))
    return colour_stage(planes, frame.space)


def pixel_stages(stages: Any, precision: int) -> tuple[Callable, Callable, Callable]:
    """The IDCT, upsampling and colour stages :func:`band_pixels` runs: ``stages``' for 8-bit
    samples (the NumPy ones when None), the NumPy ones with ``precision`` for 12-bit ones
    (libjpeg's 12-bit arithmetic: :func:`~stripjpeg.decoding.idct_twelve.inverse_dct_twelve`,
    :func:`~stripjpeg.decoding.colour.convert_colour`)."""
    if precision != 8:
        return inverse_dct_twelve, upsample, partial(convert_colour, precision=precision)
    if stages is None:
        return inverse_dct, upsample, convert_colour
    return stages.inverse_dct, stages.upsample, stages.convert_colour


def _edge(rows: list[np.ndarray | None] | None, index: int, inside: bool, side: str,
          band: tuple[int, int]) -> np.ndarray | None:
    """The context block row of component ``index`` on one side of the band: None at the
    image's edge; a ValueError if the band has a neighbour there and it was not given."""
    if not inside:
        return None
    if rows is None or rows[index] is None:
        raise ValueError(f"band {band}: component {index}'s triangle filter needs the block "
                         f"row {side} the band")
    return rows[index]


def band_blocks(coefficients: list[np.ndarray], frame: FrameGeometry, band: tuple[int, int]
                ) -> tuple[list[np.ndarray], list[np.ndarray | None], list[np.ndarray | None]]:
    """What :func:`band_pixels` takes for a band, cut from whole-image coefficient arrays.

    Args:
        coefficients: per component, int16 ``(height_in_blocks, width_in_blocks, 8, 8)``
            (:attr:`stripjpeg.reader.DecodedJpeg.coefficients`).
        frame: the image's geometry.
        band: ``(first, stop)`` iMCU rows.

    Returns:
        ``(blocks, above, below)``: per component, the band's block rows (views), and the
        block row just above / below the band, or None at the image's top / bottom.
    """
    first, stop = band
    blocks, above, below = [], [], []
    for (_, v), component in zip(frame.factors, coefficients):
        blocks.append(component[first * v:stop * v])
        above.append(component[first * v - 1] if first > 0 else None)
        below.append(component[stop * v] if stop < frame.mcu_rows else None)
    return blocks, above, below


def decode_coefficients(decoded: DecodedJpeg, *, dct: str = "islow", fancy: bool = True
                        ) -> np.ndarray:
    """The whole-image textbook path: a file's coefficients -> the pixels Pillow gives.

    Args:
        decoded: what :func:`stripjpeg.reader.read_jpeg` returns.
        dct: "islow" (Pillow's: libjpeg-turbo's SIMD islow), "islow-c" (jidctint.c's plain
            C, ``JSIMD_FORCENONE=1 djpeg``), "ifast" or "float" (``djpeg -dct fast|float``).
        fancy: fancy upsampling (Pillow's default); False is ``djpeg -nosmooth``.

    Returns:
        uint8 ``(height, width)`` for grey, ``(height, width, 3)`` RGB, or
        ``(height, width, 4)`` Pillow's CMYK.

    Raises:
        ValueError: a precision other than 8 or 12 bits, or a fractional upsampling ratio
            (see :meth:`FrameGeometry.of`).
    """
    frame = FrameGeometry.of(decoded)
    coefficients = smoothed_coefficients(decoded, frame)
    return band_pixels(coefficients, decoded.quant_tables, frame, (0, frame.mcu_rows),
                       dct=dct, fancy=fancy)


def smoothed_coefficients(decoded: DecodedJpeg, frame: FrameGeometry) -> list[np.ndarray]:
    """The coefficients libjpeg's IDCT sees: for a progressive file whose scans leave low
    coefficients unsent or unrefined, block-smoothed (:mod:`.smoothing`, libjpeg's default);
    otherwise the file's own. A progressive file holds the whole image anyway, so this runs
    on whole components, before the file is cut into bands."""
    if decoded.coef_bits is None:
        return decoded.coefficients
    return smooth_blocks(decoded.coefficients, decoded.quant_tables, decoded.coef_bits,
                         list(frame.factors), frame.mcu_rows, decoded.dummy_dc_masks)
