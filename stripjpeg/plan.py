"""The Plan: everything a backend needs to encode a strip, built once per image and frozen.

Vocabulary (as in T.81 and libjpeg's ``structure.txt``):

* *sample*: one 8-bit value of one component (Y, Cb or Cr) at one position;
* *component*: one colour plane, possibly subsampled; its *sampling factors* (H, V) say how
  many 8x8 blocks of it an MCU holds across and down;
* *block*: 8x8 samples, and after the DCT, 64 *coefficients*;
* *MCU* (minimum coded unit): the blocks of all components that cover one
  ``8*Hmax x 8*Vmax`` pixel area, coded together (T.81 A.2.3, interleaved order);
* *MCU row*: one row of MCUs across the image; a *strip* is one or more whole MCU rows.

A Plan holds no pixels and changes nothing while encoding, so it is shared by all strips,
and can be pickled to worker processes.
"""

from __future__ import annotations

import functools
import math
from dataclasses import dataclass, field

import numpy as np

from .color_spaces import COMPONENT_LAYOUTS, CONVERSIONS, frame_color_space
from .intervals import interval_strip_rows, scan_mcus_in_mcu_row
from .options import EncodeOptions, check_array_mode, sampling_factors
from .sampling import MAX_BLOCKS_IN_MCU, SMOOTHED_RATIOS, check_sampling_factors, plan_smoothing
from .scans import (
    ScriptEntry,
    check_progressive_script,
    is_progressive_script,
    simple_progression,
    warn_incomplete_script,
)
from .table_slots import option_quant_tables
from .tables import (
    AC_CHROMINANCE,
    AC_LUMINANCE,
    DC_CHROMINANCE,
    DC_LUMINANCE,
    HuffmanSpec,
    huffman_codes,
)

#: Rows of pixels per strip in serial mode (no restart markers), rounded to whole MCU rows.
#: Any value gives the same bytes; this one keeps per-strip overhead small and memory bounded.
SERIAL_STRIP_PIXELS = 1 << 18

#: With ``restart_blocks``, the tallest strip (in pixels) made to hold whole restart intervals,
#: so that strips stay independent (coded in parallel): the least number of MCU rows that
#: holds a whole number of intervals in every scan, if that many rows have at most this many
#: pixels; else strips of :data:`SERIAL_STRIP_PIXELS` carry the coder's state from one to the next.
INTERVAL_STRIP_PIXELS = 1 << 20


@dataclass(frozen=True)
class Component:
    """One component of the frame, as the SOF0 header describes it (T.81 B.2.2).

    Attributes:
        id: component identifier Ci (1 = Y, 2 = Cb, 3 = Cr, as libjpeg numbers them).
        h, v: horizontal and vertical sampling factors, as the frame header declares them.
        mcu_h, mcu_v: blocks of this component across and down one MCU of the scan: (h, v)
            in an interleaved scan, (1, 1) in a single-component scan, whose MCU is one
            block whatever the sampling factors (T.81 A.2.2).
        quant_index: which quantization table (Tqi) the component uses.
        huffman_index: which DC and AC Huffman tables (Tdj, Taj) the scan uses for it.
        width_in_blocks, height_in_blocks: blocks that hold real samples, not counting the
            dummy blocks that fill the last MCU (libjpeg's ``width_in_blocks``).
    """

    id: int
    h: int
    v: int
    mcu_h: int
    mcu_v: int
    quant_index: int
    huffman_index: int
    width_in_blocks: int
    height_in_blocks: int


@dataclass(frozen=True)
class StripLayout:
    """Where one component's samples and blocks lie within one strip.

    Attributes:
        input_rows, input_cols: pixel rows and columns the component is computed from, after
            edge replication: rows rounded up to a multiple of Vmax (so vertical downsampling
            has whole row pairs), columns out to the component's last real block.
        real_block_rows, real_block_cols: blocks holding image samples.
        block_rows, block_cols: all blocks of the strip's MCUs, dummy blocks included.
    """

    input_rows: int
    input_cols: int
    real_block_rows: int
    real_block_cols: int
    block_rows: int
    block_cols: int


#: At most four components in one scan (T.81 B.2.3: Ns is 1..4; libjpeg's MAX_COMPS_IN_SCAN).
MAX_COMPONENTS_IN_SCAN = 4
#: Ah and Al are 4-bit fields given the range 0..13 (T.81 B.2.3, Table B.3). libjpeg allows only
#: 0..10 in a progressive scan of 8-bit samples (jcmaster.c's validate_script), the limit
#: scans.check_progressive_script adds for the progressive process.
MAX_SUCCESSIVE_APPROXIMATION = 13


@dataclass(frozen=True)
class Scan:
    """One scan of the frame: which components it codes, and which part of their coefficients.

    It is the SOS header (T.81 B.2.3) before it is written::

        FF DA | Ls | Ns | Ns x (Csj, Tdj<<4 | Taj) | Ss | Se | Ah<<4 | Al
                      |        |     |      |         |    |    |
                      |        |     |      |         spectral   successive
                      |        |     |      |         selection  approximation
                      len(components), one (Cs, Td, Ta) per entry

    Attributes:
        components: indices into ``plan.components`` (not the ids Ci, which SOS writes as
            Csj), 1..4 of them, in frame order, each once.
        ss, se: the first and last coefficient coded, in zigzag order, 0 <= Ss <= Se <= 63.
        ah, al: successive approximation: the bit position of the previous scan of these
            coefficients (0 for the first) and the point transform of this one, 0..13.
        td, ta: per scan component, the DC and AC Huffman table selectors (Tdj, Taj) 0..3.

    Sequential coding is one scan of every component with Ss=0, Se=63, Ah=Al=0
    (:meth:`sequential`); a progressive process splits the coefficients over several scans.
    """

    components: tuple[int, ...]
    ss: int
    se: int
    ah: int
    al: int
    td: tuple[int, ...]
    ta: tuple[int, ...]

    @classmethod
    def sequential(cls, components: tuple[Component, ...]) -> Scan:
        """The one scan of sequential coding: all ``components``, every coefficient, exact."""
        tables = tuple(c.huffman_index for c in components)
        return cls(components=tuple(range(len(components))), ss=0, se=63, ah=0, al=0,
                   td=tables, ta=tables)

    @property
    def is_sequential(self) -> bool:
        """True for a scan of sequential coding: Ss=0, Se=63, Ah=Al=0 (T.81 G.1.1.1.1)."""
        return (self.ss, self.se, self.ah, self.al) == (0, 63, 0, 0)

    def __str__(self) -> str:
        return (f"components {self.components}, Ss={self.ss}, Se={self.se}, "
                f"Ah={self.ah}, Al={self.al}")


def check_scan(number: int, scan: Scan, components: tuple[Component, ...],
               n_dc_tables: int, n_ac_tables: int) -> None:
    """Raise ValueError unless scan ``number`` (0-based) is a scan any process could code.

    These are the rules of T.81 B.2.3 that libjpeg's ``validate_script`` (jcmaster.c) applies
    to each scan on its own; the rules between scans depend on the process.
    """
    def fail(rule: str) -> None:
        raise ValueError(f"scan {number} ({scan}): {rule}")

    count = len(scan.components)
    if not 1 <= count <= MAX_COMPONENTS_IN_SCAN:
        fail(f"a scan codes 1 to {MAX_COMPONENTS_IN_SCAN} components, not {count}")
    for index in scan.components:
        if isinstance(index, bool) or not isinstance(index, int) or \
                not 0 <= index < len(components):
            fail(f"component index {index!r} is not one of the frame's 0..{len(components) - 1}")
    if any(a >= b for a, b in zip(scan.components, scan.components[1:])):
        fail("component indices must be in frame order, each once")
    if not 0 <= scan.ss <= scan.se <= 63:
        fail("the spectral selection must have 0 <= Ss <= Se <= 63")
    for name, bits in (("Ah", scan.ah), ("Al", scan.al)):
        if not 0 <= bits <= MAX_SUCCESSIVE_APPROXIMATION:
            fail(f"{name} must be from 0 to {MAX_SUCCESSIVE_APPROXIMATION}")
    for name, selectors, defined in (("Td", scan.td, n_dc_tables), ("Ta", scan.ta, n_ac_tables)):
        if len(selectors) != count:
            fail(f"{name} needs one table selector per component, got {len(selectors)}")
        if not all(0 <= t < defined for t in selectors):
            fail(f"{name} selectors {selectors} must name the plan's tables 0..{defined - 1}")
    if count > 1:
        blocks = sum(components[i].h * components[i].v for i in scan.components)
        if blocks > MAX_BLOCKS_IN_MCU:
            fail(f"an interleaved MCU holds at most {MAX_BLOCKS_IN_MCU} blocks, not {blocks}")


def check_sequential_scans(scans: tuple[Scan, ...], components: tuple[Component, ...]) -> None:
    """Raise ValueError unless ``scans`` is what the sequential coders write: one scan of
    every component, Ss=0, Se=63, Ah=Al=0 (the only process implemented yet), with the
    Huffman tables the coders use (``Component.huffman_index``)."""
    whole = tuple(range(len(components)))
    if len(scans) != 1 or not scans[0].is_sequential or scans[0].components != whole:
        described = "; ".join(f"scan {n} ({scan})" for n, scan in enumerate(scans)) or "no scan"
        raise ValueError(f"the sequential process codes one scan of components {whole} with "
                         f"Ss=0, Se=63, Ah=0, Al=0; the plan has {described}")
    # The coders take each component's tables from Component.huffman_index: the header must
    # name the same ones, or a decoder would decode with other tables than the data was coded with.
    tables = tuple(c.huffman_index for c in components)
    if scans[0].td != tables or scans[0].ta != tables:
        raise ValueError(f"scan 0 ({scans[0]}): Td {scans[0].td} and Ta {scans[0].ta} must be the "
                         f"components' Huffman tables {tables}, which the sequential coders use")


def progressive_scan(entry: ScriptEntry, components: tuple[Component, ...]) -> Scan:
    """The Scan of one progressive script entry, with the table selectors libjpeg writes
    (jcmarker.c emit_sos): a scan uses only DC tables (Ss = 0) or only AC tables, a DC
    refinement none at all, and the selector of a table not used is written as 0."""
    indices, ss, se, ah, al = entry
    tables = tuple(components[i].huffman_index for i in indices)
    zeros = (0,) * len(indices)
    if ss == 0:
        return Scan(indices, ss, se, ah, al, td=tables if ah == 0 else zeros, ta=zeros)
    return Scan(indices, ss, se, ah, al, td=zeros, ta=tables)


@dataclass(frozen=True, eq=False)
class Plan:
    """Frozen geometry and tables for one image.

    Attributes:
        width, height: image size in pixels.
        input_channels: channels per pixel of the input rows (1 = L, 3 = RGB or YCbCr,
            4 = RGBA, RGBX or CMYK).
        components: the frame's components, Y first.
        hmax, vmax: largest sampling factors in the frame (they set the downsampling ratios).
        mcus_per_row, mcu_rows: the MCU grid.
        restart_rows: MCU rows per restart interval (0 = no restart markers).
        restart_interval: the DRI value, MCUs per restart interval (0 = no DRI).
        strip_mcu_rows: MCU rows per strip handed to a backend.
        restart_blocks: MCUs per restart interval in every scan, counted across MCU rows and
            strips (the ``restart_blocks`` option, libjpeg's ``restart_interval``), or 0: the
            intervals, if any, are ``restart_rows`` MCU rows (a sequential ``restart_blocks``
            that is a whole number of MCU rows is planned as those rows).
        quant_tables: one uint16 table of 64 divisors per table index, natural order.
        dc_tables, ac_tables: Huffman tables per table index, as BITS/HUFFVAL.
        dc_codes, ac_codes: per table index, ``(codes, lengths)`` lookup arrays by symbol.
        dct: ``"islow"``, ``"ifast"``, ``"float"`` or ``"exact"``.
        scans: the scans, in file order (see :class:`Scan`).
        color_space: the frame's colour space, libjpeg's ``jpeg_color_space``: ``"YCbCr"``,
            ``"RGB"`` (``keep_rgb``), ``"GRAYSCALE"`` (grey input, or ``grayscale``),
            ``"CMYK"`` or ``"YCCK"`` (CMYK input, with ``ycck``).
        input_mode: the pixel mode of the input rows (a key of :data:`~.options.MODES`);
            "" takes the default mode of ``input_channels`` (four channels: RGBA).
        arithmetic: arithmetic coding (SOF9/SOF10, T.81 F.1.4, G.1.3) instead of Huffman;
            the components' ``huffman_index`` then names their conditioning tables (DAC).
        smoothing: libjpeg's ``smoothing_factor`` (the ``smooth`` option), 1..100, or 0 when
            no component is smoothed (see :meth:`is_smoothed`, :attr:`context_rows`).
        precision: bits per sample P, 8 or 12 (the frame header's P, T.81 B.2.2): samples
            are 0..2**P - 1, level-shifted by 2**(P - 1) (A.3.1).
    """

    width: int
    height: int
    input_channels: int
    components: tuple[Component, ...]
    hmax: int
    vmax: int
    mcus_per_row: int
    mcu_rows: int
    restart_rows: int
    restart_interval: int
    strip_mcu_rows: int
    quant_tables: tuple[np.ndarray, ...]
    dc_tables: tuple[HuffmanSpec, ...]
    ac_tables: tuple[HuffmanSpec, ...]
    dct: str
    scans: tuple[Scan, ...]
    color_space: str = "YCbCr"
    input_mode: str = ""
    arithmetic: bool = False
    smoothing: int = 0
    restart_blocks: int = 0
    precision: int = 8
    dc_codes: tuple[tuple[np.ndarray, np.ndarray], ...] = field(init=False, repr=False)
    ac_codes: tuple[tuple[np.ndarray, np.ndarray], ...] = field(init=False, repr=False)

    def __post_init__(self) -> None:
        object.__setattr__(self, "input_mode",
                           check_array_mode(self.input_mode or None, self.input_channels))
        for number, scan in enumerate(self.scans):
            check_scan(number, scan, self.components, len(self.dc_tables), len(self.ac_tables))
        if self.progressive:
            entries = tuple((scan.components, scan.ss, scan.se, scan.ah, scan.al)
                            for scan in self.scans)
            check_progressive_script(entries, len(self.components))
            for number, (scan, entry) in enumerate(zip(self.scans, entries)):
                expected = progressive_scan(entry, self.components)
                if (scan.td, scan.ta) != (expected.td, expected.ta):
                    raise ValueError(f"scan {number} ({scan}): Td {scan.td} and Ta {scan.ta} must "
                                     f"be {expected.td} and {expected.ta}, the tables the "
                                     "progressive coders use (0 where none is used)")
        else:
            check_sequential_scans(self.scans, self.components)
        # Code lookup tables are derived data: computed here so a Plan cannot disagree
        # with its own BITS/HUFFVAL.
        object.__setattr__(self, "dc_codes", tuple(_frozen_codes(t) for t in self.dc_tables))
        object.__setattr__(self, "ac_codes", tuple(_frozen_codes(t) for t in self.ac_tables))
        for table in self.quant_tables:
            table.flags.writeable = False

    @property
    def max_sample(self) -> int:
        """The largest sample value, 2**P - 1 (libjpeg's MAXJSAMPLE: 255, or 4095 at 12 bits)."""
        return (1 << self.precision) - 1

    @property
    def center_sample(self) -> int:
        """The level shift 2**(P - 1) (T.81 A.3.1; libjpeg's CENTERJSAMPLE: 128, or 2048)."""
        return 1 << (self.precision - 1)

    @property
    def progressive(self) -> bool:
        """True for the progressive process (SOF2): the scans split the coefficients (G.1).
        As libjpeg decides (jcmaster.c validate_script): by the first scan, which in a
        sequential process sends every coefficient (Ss=0, Se=63)."""
        return bool(self.scans) and (self.scans[0].ss, self.scans[0].se) != (0, 63)

    @property
    def mcu_width(self) -> int:
        """Pixels across one MCU: ``8 * Hmax`` when interleaved, 8 for a single component."""
        c = self.components[0]
        return 8 * c.mcu_h * self.hmax // c.h

    @property
    def mcu_height(self) -> int:
        """Pixel rows in one MCU row: ``8 * Vmax`` when interleaved, 8 for a single component."""
        c = self.components[0]
        return 8 * c.mcu_v * self.vmax // c.v

    @property
    def strip_height(self) -> int:
        """Pixel rows per strip (the last strip of the image may have fewer)."""
        return self.strip_mcu_rows * self.mcu_height

    @property
    def strip_count(self) -> int:
        """Number of strips in the image."""
        return math.ceil(self.mcu_rows / self.strip_mcu_rows)

    @property
    def independent_strips(self) -> bool:
        """Whether every strip holds whole restart intervals of the sequential scan, so strips
        are coded independently (in parallel); else the entropy state is carried from strip
        to strip (no restart markers, or ``restart_blocks`` intervals crossing strips)."""
        if not self.restart_interval:
            return False
        return not self.restart_blocks or \
            (self.strip_mcu_rows * self.mcus_per_row) % self.restart_blocks == 0

    @property
    def total_mcus(self) -> int:
        """MCUs in the (sequential) scan: the MCU grid."""
        return self.mcus_per_row * self.mcu_rows

    @property
    def is_color(self) -> bool:
        """True for a frame of several components (YCbCr, RGB, CMYK, YCCK), False for
        grayscale."""
        return len(self.components) > 1

    @property
    def color_convert(self) -> str:
        """The colour conversion of sample preparation, named after jccolor.c's converters:
        ``"rgb_ycc"``, ``"rgb_gray"`` (colour input, one Y component), ``"rgb_rgb"``
        (``keep_rgb``: the samples as given), ``"grayscale"`` (grey input, as given),
        ``"ycc_ycc"`` (YCbCr input, as given: null_convert), ``"ycc_gray"`` (its Y alone),
        ``"cmyk_inverted"`` (CMYK input stored inverted, as Pillow stores it: its rawmode
        "CMYK;I", then null_convert) or ``"cmyk_ycck"`` (the inverted samples through
        cmyk_ycck_convert)."""
        return CONVERSIONS[self.input_mode, self.color_space]

    def is_smoothed(self, component: Component) -> bool:
        """Whether sample preparation smooths ``component``: libjpeg smooths full-size and
        exactly 2x2-downsampled components only (jcsample.c jinit_downsampler)."""
        ratios = (self.hmax // component.h, self.vmax // component.v)
        return bool(self.smoothing) and ratios in SMOOTHED_RATIOS

    @property
    def context_rows(self) -> int:
        """Pixel rows of context a strip carries above and below its own rows: 1 when a
        component is smoothed (libjpeg's context rows, jcprepct.c), else 0."""
        return 1 if self.smoothing else 0

    def strip_rows(self, pixels: np.ndarray) -> int:
        """Image rows of a strip array ``(rows, width, channels)``: its rows without the
        :attr:`context_rows` above and below them."""
        return pixels.shape[0] - 2 * self.context_rows

    @property
    def blocks_per_mcu(self) -> int:
        """Blocks in one MCU: the sum of H*V over the components (at most 10, T.81 B.2.3)."""
        return sum(c.mcu_h * c.mcu_v for c in self.components)

    def strip_layout(self, pixel_rows: int) -> tuple[StripLayout, ...]:
        """Per component, the layout of a strip of ``pixel_rows`` rows (libjpeg's edge rules).

        A strip starts on an MCU row boundary, so the counts are those libjpeg derives for the
        whole image (``width_in_blocks``, ``last_row_height``...) restricted to the strip.
        """
        mcu_rows = math.ceil(pixel_rows / self.mcu_height)
        input_rows = math.ceil(pixel_rows / self.vmax) * self.vmax
        return tuple(
            StripLayout(
                input_rows=input_rows,
                input_cols=c.width_in_blocks * 8 * (self.hmax // c.h),
                real_block_rows=math.ceil(pixel_rows * c.v / (8 * self.vmax)),
                real_block_cols=c.width_in_blocks,
                block_rows=mcu_rows * c.mcu_v,
                block_cols=self.mcus_per_row * c.mcu_h,
            )
            for c in self.components
        )

    def with_tables(self, dc_tables: tuple[HuffmanSpec, ...], ac_tables: tuple[HuffmanSpec, ...]) -> Plan:
        """Return a copy of this plan that codes with other Huffman tables (e.g. optimized)."""
        return Plan(self.width, self.height, self.input_channels, self.components, self.hmax,
                    self.vmax, self.mcus_per_row, self.mcu_rows, self.restart_rows,
                    self.restart_interval, self.strip_mcu_rows, self.quant_tables, dc_tables,
                    ac_tables, self.dct, self.scans, self.color_space, self.input_mode,
                    self.arithmetic, self.smoothing,
                    self.restart_blocks, self.precision)


@functools.lru_cache(maxsize=64)
def _frozen_codes(spec: HuffmanSpec) -> tuple[np.ndarray, np.ndarray]:
    # Cached: every plan with the standard tables shares them (read-only), which saves
    # building them again for each image.
    codes, lengths = huffman_codes(spec)
    codes.flags.writeable = False
    lengths.flags.writeable = False
    return codes, lengths


def make_plan(width: int, height: int, input_channels: int, options: EncodeOptions,
              quant_tables: tuple[np.ndarray, ...] | None = None,
              mode: str | None = None) -> Plan:
    """Build the Plan for a ``width x height`` image with ``input_channels`` channels.

    Args:
        width, height: image size in pixels, already checked to be 1..65535.
        input_channels: 1 (grayscale), 3 (RGB or YCbCr) or 4 (RGBA, RGBX or CMYK); encoded
            as the mode and the options' ``keep_rgb``, ``grayscale`` or ``ycck`` ask.
        options: validated encode options (quality, qtables, subsampling, restarts, dct).
        quant_tables: final natural-order tables to use as they are, overriding the
            options; table i serves component i, the last one the components after it.
        mode: the pixel mode (a key of :data:`~.options.MODES`), or None for the default
            of the channel count (:data:`~.options.DEFAULT_MODES`: four channels are RGBA).

    Raises:
        ValueError: a mode that does not fit ``input_channels``, or options it cannot take.
    """
    mode = check_array_mode(mode, input_channels)
    color_space = frame_color_space(mode, options)
    color = color_space != "GRAYSCALE"
    custom = quant_tables is not None or options.qtables is not None
    if quant_tables is None:
        quant_tables = option_quant_tables(options)
    layout = COMPONENT_LAYOUTS[color_space]
    if custom:
        # Custom tables are assigned one per component, the last serving the rest
        # (Pillow's JpegEncode.c).
        quant_indices = [min(index, len(quant_tables) - 1) for index in range(len(layout))]
    else:
        quant_indices = [table for _, table in layout]
    # Keep only the tables some component uses: they are the ones DQT segments carry.
    quant_tables = tuple(np.asarray(t, dtype=np.uint16).reshape(64).copy()
                         for t in quant_tables[:max(quant_indices) + 1])

    # libjpeg (as Pillow drives it) declares the requested factors for a grayscale frame
    # too; they change the SOF0 header only, since a single-component scan codes one block
    # per MCU (T.81 A.2.2) and the only component is never downsampled.
    requested = sampling_factors(options.subsampling, color, color_space)
    if color_space == "RGB":
        # jcparam.c jpeg_set_colorspace(JCS_RGB): all 1x1 (options refuse subsampled RGB).
        requested = ((1, 1),) * 3
    factors = [(cid, h, v) for (cid, _), (h, v) in zip(layout, requested)]
    check_sampling_factors(factors)
    huffman_indices = [table for _, table in layout]
    n_huffman = max(huffman_indices) + 1
    dc_tables = (DC_LUMINANCE, DC_CHROMINANCE)[:n_huffman]
    ac_tables = (AC_LUMINANCE, AC_CHROMINANCE)[:n_huffman]
    interleaved = len(factors) > 1
    hmax = max(f[1] for f in factors)
    vmax = max(f[2] for f in factors)
    components = tuple(
        Component(id=cid, h=ch, v=cv,
                  mcu_h=ch if interleaved else 1, mcu_v=cv if interleaved else 1,
                  quant_index=quant_indices[index],
                  huffman_index=huffman_indices[index],
                  width_in_blocks=math.ceil(width * ch / (8 * hmax)),
                  height_in_blocks=math.ceil(height * cv / (8 * vmax)))
        for index, (cid, ch, cv) in enumerate(factors)
    )
    if interleaved:
        mcus_per_row = math.ceil(width / (8 * hmax))
        mcu_rows = math.ceil(height / (8 * vmax))
    else:
        mcus_per_row = components[0].width_in_blocks
        mcu_rows = components[0].height_in_blocks
    mcu_height = 8 * vmax if interleaved else 8

    restart_rows = options.restart_rows
    restart_blocks = options.restart_blocks
    restart_interval = 0
    scans = make_scans(options, components, color_space == "YCbCr")
    progressive = (scans[0].ss, scans[0].se) != (0, 63)  # as Plan.progressive decides
    if restart_blocks and not progressive and restart_blocks % mcus_per_row == 0:
        # Whole MCU rows: the same file as restart_rows (DRI, markers), its faster path.
        restart_rows, restart_blocks = restart_blocks // mcus_per_row, 0
    elif restart_blocks:
        restart_rows = 0
    if restart_blocks and options.arithmetic:
        raise ValueError(f"restart_blocks={restart_blocks} with arithmetic=True: restart intervals "
                         "that end inside an MCU row are not implemented for arithmetic coding "
                         f"yet; give a multiple of the {mcus_per_row} MCUs per row, or restart_rows")
    if restart_blocks:
        restart_interval = restart_blocks
        strip_mcu_rows = interval_strip_rows(
            restart_blocks, scan_mcus_in_mcu_row(scans, components, mcus_per_row),
            width * mcu_height, INTERVAL_STRIP_PIXELS, SERIAL_STRIP_PIXELS)
    elif restart_rows:
        restart_interval = mcus_per_row * restart_rows
        strip_mcu_rows = restart_rows
        if restart_interval > 65535:
            # libjpeg caps the DRI value at 65535 MCUs (jcparam.c). That still equals "one
            # interval for the whole image" when the image has no more MCUs than that;
            # otherwise its markers would fall mid-row, which whole-row strips cannot
            # reproduce, so refuse rather than write a different file.
            if mcus_per_row * mcu_rows > 65535:
                raise ValueError(
                    f"restart_rows={restart_rows} gives a restart interval of "
                    f"{restart_interval} MCUs ({mcus_per_row} per row), over the 65535 a "
                    f"DRI segment can hold; use restart_rows <= {65535 // mcus_per_row}")
            restart_interval = 65535
            strip_mcu_rows = mcu_rows
    else:
        strip_mcu_rows = max(1, SERIAL_STRIP_PIXELS // (width * mcu_height))
    strip_mcu_rows = min(strip_mcu_rows, mcu_rows)

    if len(scans) > 1 and restart_rows:
        _check_scan_restart_intervals(scans, components, mcus_per_row, mcu_rows, restart_rows)
    return Plan(width=width, height=height, input_channels=input_channels,
                components=components, hmax=hmax, vmax=vmax, mcus_per_row=mcus_per_row,
                mcu_rows=mcu_rows, restart_rows=restart_rows, restart_interval=restart_interval,
                strip_mcu_rows=strip_mcu_rows, quant_tables=quant_tables,
                dc_tables=dc_tables, ac_tables=ac_tables, dct=options.dct, scans=scans,
                color_space=color_space, input_mode=mode,
                arithmetic=options.arithmetic,
                smoothing=plan_smoothing(options.smooth, components, hmax, vmax),
                restart_blocks=restart_blocks, precision=options.precision)


def make_scans(options: EncodeOptions, components: tuple[Component, ...],
               ycbcr: bool) -> tuple[Scan, ...]:
    """The scans the options ask for: one sequential scan; with ``progressive``, libjpeg's
    default script (:func:`stripjpeg.scans.simple_progression`); or the script ``scans``.

    Raises:
        ValueError: a script that breaks a rule of :func:`stripjpeg.scans.check_progressive_script`,
            or a sequential script of more than one scan (not implemented).
    """
    if options.scans is None and not options.progressive:
        return (Scan.sequential(components),)
    entries = options.scans if options.scans is not None else \
        simple_progression(len(components), ycbcr)
    if not is_progressive_script(entries):
        if entries == ((tuple(range(len(components))), 0, 63, 0, 0),):
            return (Scan.sequential(components),)
        raise ValueError(f"scans: a sequential script (its first scan has Ss=0, Se=63) other than "
                         f"one scan of every component is not implemented; got {entries}")
    check_progressive_script(entries, len(components))
    warn_incomplete_script(entries, len(components))
    return tuple(progressive_scan(entry, components) for entry in entries)


def _check_scan_restart_intervals(scans: tuple[Scan, ...], components: tuple[Component, ...],
                                  mcus_per_row: int, mcu_rows: int, restart_rows: int) -> None:
    """Refuse restart intervals libjpeg would cap at 65535 MCUs mid-row (jcmaster.c), unless
    one interval then holds the whole scan: each scan counts its own MCUs (a block, for a scan
    of one component), so the same ``restart_rows`` gives each scan its own interval."""
    for number, scan in enumerate(scans):
        if len(scan.components) > 1:
            across, down = mcus_per_row, mcu_rows
        else:
            component = components[scan.components[0]]
            across, down = component.width_in_blocks, component.height_in_blocks
        if restart_rows * across > 65535 and across * down > 65535:
            raise ValueError(f"restart_rows={restart_rows} gives scan {number} ({scan}) a restart "
                             f"interval of {restart_rows * across} MCUs, over the 65535 a DRI "
                             f"segment holds; use restart_rows <= {65535 // across}")
