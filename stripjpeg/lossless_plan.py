"""The plan of a lossless JPEG (``lossless=True``): geometry, precision, predictor, point
transform, restart interval and Huffman table, frozen and picklable, as
:class:`stripjpeg.plan.Plan` is for the DCT-based processes. Everything a lossless stage
(:mod:`stripjpeg.stages.lossless`, a backend's kernel) needs to know.
"""

from __future__ import annotations

from dataclasses import dataclass

from .options import EncodeOptions, check_dimensions
from .tables import HuffmanSpec

#: Component ids libjpeg gives a lossless frame (jcparam.c jpeg_set_colorspace): 1 for grey,
#: 'R', 'G', 'B' for colour (JCS_RGB: no colour conversion in lossless mode).
GRAY_IDS = (1,)
RGB_IDS = (0x52, 0x47, 0x42)

#: Pixels per strip without restart markers: strips only bound the work in flight.
STRIP_PIXELS = 1 << 18

#: The most MCUs (here pixels) a DRI segment can count (T.81 B.2.4.4).
MAX_RESTART_INTERVAL = 65535


@dataclass(frozen=True)
class LosslessPlan:
    """Everything the lossless coder needs to know about one image.

    Attributes:
        width, height: the image size in pixels.
        component_ids: Ci of each component (1 for grey; 'R', 'G', 'B').
        precision: P, bits per sample, 2..16.
        predictor: the selection value, 1..7 (Table H.1).
        point_transform: Pt, 0..P-1.
        restart_rows: rows per restart interval, 0 for none.
        restart_interval: the DRI value, in MCUs (one MCU is one pixel), 0 for none.
        strip_height: rows per strip (a restart interval, or a piece of the scan).
        table: the optimal Huffman table, once the first pass has counted (None before).
    """

    width: int
    height: int
    component_ids: tuple[int, ...]
    precision: int
    predictor: int
    point_transform: int
    restart_rows: int
    restart_interval: int
    strip_height: int
    table: HuffmanSpec | None = None

    #: No colour conversion, no DCT, no smoothing, no mid-row restart intervals (what a
    #: backend's lossy stages would decline).
    color_convert = "none"
    dct = "none"
    smoothing = 0
    context_rows = 0
    restart_blocks = 0

    @property
    def color_space(self) -> str:
        return "RGB" if len(self.component_ids) == 3 else "GRAYSCALE"

    @property
    def max_sample(self) -> int:
        return (1 << self.precision) - 1

    @property
    def strip_count(self) -> int:
        return -(-self.height // self.strip_height)

    def with_table(self, table: HuffmanSpec) -> LosslessPlan:
        return LosslessPlan(self.width, self.height, self.component_ids, self.precision,
                            self.predictor, self.point_transform, self.restart_rows,
                            self.restart_interval, self.strip_height, table)


def make_lossless_plan(width: int, height: int, channels: int, options: EncodeOptions) -> LosslessPlan:
    """The plan of a lossless image; RGBA keeps R, G, B (alpha is dropped).

    Raises:
        ValueError: restart intervals longer than a DRI segment can count.
    """
    check_dimensions(width, height)
    ids = GRAY_IDS if channels == 1 else RGB_IDS
    rows = options.restart_rows
    interval = rows * width
    if interval > MAX_RESTART_INTERVAL:
        # libjpeg needs whole rows per interval in lossless mode (jclossls.c
        # start_pass_lossless, JERR_BAD_RESTART), so the interval cannot be capped.
        raise ValueError(f"restart_rows={rows} gives a restart interval of {interval} pixels "
                         f"({width} per row), over the {MAX_RESTART_INTERVAL} a DRI segment "
                         f"can hold; use restart_rows <= {MAX_RESTART_INTERVAL // width}")
    strip_height = rows if rows else max(1, STRIP_PIXELS // width)
    return LosslessPlan(width, height, ids, options.precision, options.predictor,
                        options.point_transform, rows, interval, min(strip_height, height))
