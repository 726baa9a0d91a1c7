"""Encode options: validated once, frozen, shared by every entry point.

Every public function (``encode``, ``save``, ``Encoder``, ``iter_encode``...) takes the same
keyword options and turns them into one :class:`EncodeOptions` through :func:`make_options`,
so a bad value gets the same clear error whichever door it came in by.
"""

from __future__ import annotations

import concurrent.futures
import os
from dataclasses import dataclass
from typing import Any

import numpy as np

from .notices import warn_user
from .pillow_keywords import check_extra, translate_pillow_keywords
from .sampling import (
    LIBJPEG_DEFAULT_SUBSAMPLING,
    SUBSAMPLING_FACTORS,
    sampling_factors,
)
from .scans import ScriptEntry, is_progressive_script, normalize_script
from .tables import ICC_CHUNK, MAX_ICC_SEGMENTS, MAX_SEGMENT_PAYLOAD, MAX_XMP

#: DCT methods: libjpeg's accurate integer DCT (jfdctint.c), its fast integer DCT
#: (jfdctfst.c, ``cjpeg -dct fast``), its floating-point DCT (jfdctflt.c, ``cjpeg -dct
#: float``, as libjpeg-turbo's x86-64 SIMD build computes it), and the exact float64
#: orthonormal DCT-II of T.81 A.3.3 (through SciPy).
DCT_METHODS = ("islow", "ifast", "float", "exact")

#: The largest smoothing factor, cjpeg's limit for ``-smooth N`` (cjpeg.c parse_switches):
#: at 100 a sample keeps 1 - 8 * 100/1024 of its own weight, about 22 %.
MAX_SMOOTHING = 100

#: Pillow's ``streamtype`` values (libImaging/JpegEncode.c) -> what the output holds.
STREAM_TYPES = {
    0: "a normal (interchange) file",
    1: "tables only: SOI, DQT, DHT, EOI (jcapimin.c jpeg_write_tables)",
    2: "image only: no DQT, DHT only for optimized Huffman tables (jpeg_suppress_tables)",
}

#: Pixel modes, as Pillow names them -> number of input channels. RGBA's alpha and RGBX's
#: padding are read and dropped; CMYK is stored as Pillow stores it (inverted, four
#: components, or YCCK with ``ycck``); YCbCr samples are coded as they are (no conversion).
MODES = {"L": 1, "RGB": 3, "RGBA": 4, "RGBX": 4, "CMYK": 4, "YCbCr": 3}
#: The mode of an array of each channel count when no ``mode`` is given: four channels are RGBA.
DEFAULT_MODES = {1: "L", 3: "RGB", 4: "RGBA"}

#: Largest image side a JPEG frame header can describe (T.81 B.2.2: 16-bit X and Y).
MAX_DIMENSION = 65535

#: The longest restart interval, in MCUs: the DRI segment's 16-bit Ri (T.81 B.2.4.4).
MAX_RESTART_INTERVAL = 65535

#: libjpeg refuses to decode (and Pillow to encode) images wider or taller than this
#: (JPEG_MAX_DIMENSION in jmorecfg.h), although T.81 allows up to 65535.
LIBJPEG_MAX_DIMENSION = 65500


#: Default ``spool_budget``: 32 MiB of quantized blocks held in memory before the spool spills
#: to disk. It keeps the whole spool in memory at common sizes (an 8-megapixel photo at 4:2:0
#: is 25 MB of blocks, a 1920 x 1080 frame at 4:4:4 12 MB), and keeps a streamed encode of any
#: height, spool and working memory together, under 64 MB more than the process started with
#: (tests/test_memory.py checks it for a progressive stream).
DEFAULT_SPOOL_BUDGET = 32 << 20


#: Sample precisions lossless coding takes (T.81 H.1: 2 to 16 bits).
MIN_LOSSLESS_PRECISION = 2
MAX_LOSSLESS_PRECISION = 16
#: Sample precisions lossy (DCT) coding takes: T.81's 8 bits, and its 12 (extended
#: sequential, SOF1), as libjpeg-turbo 3 codes them (its j12 functions).
LOSSY_PRECISIONS = (8, 12)

#: Options lossless coding cannot honour, with the value that asks nothing of it (a lossless
#: file has no DCT, quantization, colour conversion, subsampling or progression). Options
#: not defined here are looked up with this value as default, so one added later is
#: refused by listing it here.
LOSSY_ONLY_OPTIONS: dict[str, Any] = {
    "quality": None, "qtables": None, "subsampling": "4:4:4", "dct": "islow",
    "progressive": False, "scans": None, "grayscale": False, "smooth": 0, "smoothing": 0,
    "ycck": False,
}

#: Options lossless coding refuses for another reason than having no DCT: the reason.
LOSSLESS_REFUSES: dict[str, tuple[Any, str]] = {
    "arithmetic": (False, "lossless arithmetic coding (SOF11) is not implemented by "
                          "libjpeg-turbo, so there is no oracle for it"),
    "restart_blocks": (0, "libjpeg's lossless restart intervals are whole rows "
                          "(jclossls.c); use restart_rows"),
    "streamtype": (0, "abbreviated (tables-only or image-only) lossless streams are not "
                      "implemented"),
}


@dataclass(frozen=True)
class EncodeOptions:
    """All settings of one encode, already checked.

    Attributes:
        quality: IJG quality 1..100, or None: 100 (all quantization steps 1), or with
            ``qtables``, the tables exactly as given. Or one quality per quantization table,
            cjpeg's ``-quality N[,N...]``: 1 to 4 ints, table i scaled with the i-th (the
            last repeating, as rdswitch.c set_quality_ratings does); normalized to a tuple.
            The standard tables are 0 (luminance) and 1 (chrominance).
        subsampling: ``"4:4:4"``, ``"4:2:2"``, ``"4:2:0"`` or ``"4:4:0"`` (luma 1x2); cjpeg's
            ``-sample`` forms ``"HxV"`` (luma factors, chroma 1x1; e.g. ``"4x1"``, libjpeg's
            4:1:1) or ``"HxV,HxV,HxV"`` (per component, missing ones 1x1), factors 1..4;
            or ``"default"``: libjpeg's, 4:2:0 for colour and 1x1 for grayscale (Pillow's
            -1; see :data:`LIBJPEG_DEFAULT_SUBSAMPLING`). For grayscale only the first
            component's factors count, and only in the frame header (see
            :func:`sampling_factors`).
        dct: ``"islow"`` (libjpeg's integer DCT, bit-exact with libjpeg-turbo), ``"ifast"``
            (libjpeg's fast integer DCT, bit-exact with ``cjpeg -dct fast``; less accurate),
            ``"float"`` (libjpeg's float32 AA&N DCT, bit-exact with ``cjpeg -dct float`` of
            libjpeg-turbo's x86-64 SIMD build; a plain-C libjpeg rounds its quantizer
            differently, see stages.quantize.quantize_float) or ``"exact"`` (the float64
            DCT-II of T.81 A.3.3; the same bytes on every backend).
        restart_rows: a restart marker after every this many MCU rows; 0 = no restart markers.
        restart_blocks: a restart marker after every this many MCUs, 1..65535 (cjpeg's
            ``-restart NB``, libjpeg's ``restart_interval``, Pillow's
            ``restart_marker_blocks``); 0 = off. An interval may end mid-row and span strips;
            in a progressive file every scan keeps this many of its own MCUs (a block, in a
            scan of one component). Given, it replaces the default ``restart_rows=1``;
            with any other ``restart_rows`` it is a ValueError.
        backend: backend name, or None for the default (see :mod:`stripjpeg.backends`).
        workers: None (all cores; one for backends whose work holds the GIL) or a positive
            number of threads for independent strips.
        executor: a ``concurrent.futures.Executor`` to run strips on, or None.
        progress: show a progress bar of rows encoded on stderr.
        qtables: custom quantization tables, Pillow's ``qtables``: 1 to 4 tables of 64
            values in natural (row-major) order; table i serves component i and the last
            table the components after it. Normalized to a tuple of tuples.
        dpi: ``(x, y)`` dots per inch for the JFIF header (each rounded as Python's round()),
            or None for the default aspect-ratio-only header.
        icc_profile: an ICC profile, written as APP2 ICC_PROFILE segments.
        exif: raw EXIF data (starting ``b"Exif\\0\\0"``), written as one APP1 segment.
        comment: a COM segment (str is encoded as UTF-8).
        xmp: an XMP packet (str is encoded as UTF-8), written as Pillow writes it: one APP1
            segment, the XMP namespace URI first; at most 65504 bytes.
        extra: Pillow's ``extra``: whole APPn or COM marker segments, written as given after
            the EXIF segment (before XMP and ICC, where Pillow puts them).
        optimize: build optimal Huffman tables for this image (two passes), as libjpeg does.
            A one-pass stream (``Encoder``, ``iter_encode``, ``encode_async``) keeps its
            quantized blocks in a spool between the passes (in memory up to ``spool_budget``,
            then in a file in ``spool_dir``); a whole array (``encode``, ``save``) is read
            twice instead, and nothing is spooled.
        spool_dir: the directory for the spool's file (an anonymous temporary file of 128 bytes
            per coded 8x8 block: 6 bytes per pixel at 4:4:4, 4 at 4:2:2, 3 at 4:2:0, 2 for
            grayscale), or None for the system temporary directory (``tempfile.gettempdir()``).
            If that is a tmpfs (as /tmp is on many systems), the spool is held in RAM.
            Normalized to a str; must name an existing writable directory.
        spool_budget: bytes of that spool held in memory (as arrays) before the rest goes to
            the file in ``spool_dir``; 0 = all of it on disk. An int >= 0; default
            :data:`DEFAULT_SPOOL_BUDGET`.
        progressive: write a progressive JPEG (SOF2) with libjpeg's default scan script
            (``jpeg_simple_progression``); Pillow's ``progression`` is the same option. Its
            Huffman tables are always optimized, per scan, as libjpeg's are, and its quantized
            blocks always go through the spool (the first scan needs the last row's).
        scans: a custom scan script (``progressive`` is set from it, by its first scan, as
            libjpeg decides): cjpeg's ``-scans`` text, or
            ``(components, Ss, Se, Ah, Al)`` tuples; normalized to a tuple of such tuples and
            checked against the frame when the plan is built (:mod:`stripjpeg.scans`).
        keep_rgb: Pillow's ``keep_rgb``, cjpeg's ``-rgb``: store RGB input as R, G, B
            components without the YCbCr conversion (libjpeg's JCS_RGB: component ids 'R',
            'G', 'B', all on tables 0, an Adobe APP14 marker instead of JFIF); colour input
            only, and no subsampling (Pillow refuses it too).
        grayscale: cjpeg's ``-grayscale``: code colour input as one Y component, computed
            as YCbCr's Y (jccolor.c rgb_gray_convert); grey input is unchanged; YCbCr input
            keeps its Y.
        ycck: store ``mode="CMYK"`` input as YCCK (libjpeg's JCS_YCCK, Adobe transform 2):
            C, M, Y converted to Y, Cb, Cr as if they were R, G, B and K kept, each stored
            inverted as Pillow stores CMYK (jccolor.c cmyk_ycck_convert of the inverted
            samples). Components 1, 2, 3, 4; Y and K on tables 0, Cb and Cr on tables 1;
            a named ``subsampling`` gives Y and K the luma factors. CMYK input only.
        streamtype: Pillow's ``streamtype`` (libjpeg's abbreviated streams, see
            :data:`STREAM_TYPES`): 0, a normal (interchange) file; 1, the tables only (SOI,
            DQT, DHT, EOI: jpeg_write_tables); 2, the image only (no DQT, and DHT only for
            optimized or progressive Huffman tables: jpeg_suppress_tables), as TIFF and
            DICOM store JPEG.
        baseline: cjpeg's ``-baseline`` (libjpeg's force_baseline), True as Pillow always
            sets it: quantization steps are clamped to 1..255. False is cjpeg's default:
            steps up to 32767 (qualities under 24), a 16-bit DQT for a table that needs it
            and then an extended sequential frame (SOF1; a progressive one stays SOF2).
        lossless: write a lossless JPEG (T.81 Annex H, SOF3), as libjpeg-turbo 3's
            ``jpeg_enable_lossless``: no DCT, no quantization, no colour conversion (RGB is
            stored as R, G, B), always an optimal Huffman table (docs/lossless.md). Lossy
            options it cannot honour (``quality``, ``qtables``, ``subsampling`` other than
            4:4:4, ``dct``, ``progressive``, ``scans``, ``grayscale``) are a ValueError.
        predictor: the lossless predictor selection value, 1..7 (T.81 Table H.1).
        point_transform: lossless only: samples are divided by ``2**point_transform``
            before prediction (the only lossy step), 0..15 and below ``precision``.
        precision: bits per sample, 8 by default; with ``lossless``, 2..16: uint8 input up
            to 8 bits, uint16 above, every value below ``2**precision``. Lossy, 8 or 12:
            12-bit samples (uint16, 0..4095) are coded as libjpeg-turbo 3 codes them, in an
            extended sequential frame (SOF1, P = 12) with optimized Huffman tables, which
            libjpeg forces at 12 bits (jcmaster.c), so ``optimize`` is taken as True
            (SOF2 progressive, SOF9/SOF10 arithmetic); islow or exact DCT (docs/options.md).
        arithmetic: cjpeg's ``-arithmetic``: arithmetic coding (T.81 Annex D, F.1.4, G.1.3)
            instead of Huffman coding: SOF9 (SOF10 when progressive), a DAC segment with
            libjpeg's default conditioning instead of DHT (docs/arithmetic.md). Not with
            ``optimize``: the coder adapts its statistics as it goes, there are no tables
            to optimize (libjpeg turns it off, cjpeg 2.1 refuses the pair).
        smooth: libjpeg's input smoothing (``smoothing_factor``; cjpeg's ``-smooth N``,
            Pillow's ``smooth``): 0 = off, 1..100 = each sample replaced by a weighted sum of
            itself and its eight neighbours, each neighbour weighing N/1024 (jcsample.c).
            libjpeg smooths only full-size and 2x2-downsampled components; the others (2x1,
            and any other ratio) are downsampled unsmoothed, with a warning
            (:func:`stripjpeg.plan.make_plan`).
    """

    quality: int | tuple[int, ...] | None = None
    subsampling: str = "4:4:4"
    dct: str = "islow"
    restart_rows: int = 1
    restart_blocks: int = 0
    backend: str | None = None
    workers: int | None = None
    executor: concurrent.futures.Executor | None = None
    progress: bool = False
    qtables: Any = None
    dpi: Any = None
    icc_profile: bytes | None = None
    exif: bytes | None = None
    comment: bytes | str | None = None
    optimize: bool = False
    spool_dir: str | os.PathLike | None = None
    spool_budget: int = DEFAULT_SPOOL_BUDGET
    progressive: bool = False
    scans: tuple[ScriptEntry, ...] | None = None
    xmp: bytes | str | None = None
    extra: bytes | None = None
    keep_rgb: bool = False
    grayscale: bool = False
    streamtype: int = 0
    baseline: bool = True
    ycck: bool = False
    lossless: bool = False
    predictor: int = 1
    point_transform: int = 0
    precision: int = 8
    arithmetic: bool = False
    smooth: int = 0

    def __post_init__(self) -> None:
        object.__setattr__(self, "quality", _normalize_quality(self.quality))
        if not isinstance(self.subsampling, str):
            raise ValueError(f"subsampling must be one of {', '.join(SUBSAMPLING_FACTORS)}, "
                             f"cjpeg's 'HxV[,HxV...]' (or Pillow's 0, 1, 2, -1 or a preset name); "
                             f"got {self.subsampling!r}")
        sampling_factors(self.subsampling, True, "CMYK")  # raises on a bad name or factor
        if not isinstance(self.dct, str) or self.dct not in DCT_METHODS:
            raise ValueError(f"dct must be one of {', '.join(DCT_METHODS)}; got {self.dct!r}")
        _check_int("restart_rows", self.restart_rows, 0, MAX_DIMENSION)
        _check_int("smooth", self.smooth, 0, MAX_SMOOTHING)
        object.__setattr__(self, "smooth", int(self.smooth))
        _check_int("restart_blocks", self.restart_blocks, 0, MAX_RESTART_INTERVAL)
        if self.restart_blocks and self.restart_rows != 1:
            raise ValueError(f"restart_blocks={self.restart_blocks} and restart_rows="
                             f"{self.restart_rows} both set the restart interval (in MCUs, in "
                             "MCU rows): give one of them")
        object.__setattr__(self, "restart_rows", int(self.restart_rows))
        object.__setattr__(self, "restart_blocks", int(self.restart_blocks))
        if self.backend is not None and not isinstance(self.backend, str):
            raise TypeError(f"backend must be a name (str) or None, got {type(self.backend).__name__}")
        if self.workers is not None:
            _check_int("workers", self.workers, 1, 4096)
        if self.executor is not None and not isinstance(self.executor, concurrent.futures.Executor):
            raise TypeError("executor must be a concurrent.futures.Executor (or None), "
                            f"got {type(self.executor).__name__}")
        if isinstance(self.streamtype, bool) or not isinstance(self.streamtype, (int, np.integer)):
            raise TypeError(f"streamtype must be an int (0, 1 or 2), got "
                            f"{type(self.streamtype).__name__} {self.streamtype!r}")
        if self.streamtype not in STREAM_TYPES:
            raise ValueError("streamtype must be 0 (a normal file), 1 (tables only) or 2 (image "
                             f"only, no tables); got {self.streamtype!r}")
        object.__setattr__(self, "streamtype", int(self.streamtype))
        for flag in ("progress", "optimize", "progressive", "keep_rgb", "grayscale", "baseline", "ycck",
                     "lossless", "arithmetic"):
            if not isinstance(getattr(self, flag), bool):
                raise TypeError(f"{flag} must be True or False, got {getattr(self, flag)!r}")
        # Normalize the Pillow-style metadata options to canonical, hashable values.
        set_field = object.__setattr__
        set_field(self, "qtables", _normalize_qtables(self.qtables))
        set_field(self, "dpi", _normalize_dpi(self.dpi))
        set_field(self, "icc_profile", _as_bytes("icc_profile", self.icc_profile))
        set_field(self, "exif", _as_bytes("exif", self.exif))
        comment = self.comment.encode("utf-8") if isinstance(self.comment, str) else self.comment
        set_field(self, "comment", _as_bytes("comment", comment))
        xmp = self.xmp.encode("utf-8") if isinstance(self.xmp, str) else self.xmp
        set_field(self, "xmp", _as_bytes("xmp", xmp))
        set_field(self, "extra", _as_bytes("extra", self.extra))
        if self.extra is not None:
            check_extra(self.extra)
        set_field(self, "spool_dir", _check_directory("spool_dir", self.spool_dir))
        if self.scans is not None:
            set_field(self, "scans", normalize_script(self.scans))
            if self.progressive and not is_progressive_script(self.scans):
                raise ValueError("progressive=True with a sequential scan script (its first scan "
                                 "has Ss=0, Se=63): a progressive script starts with a DC scan")
            set_field(self, "progressive", is_progressive_script(self.scans))
        _check_int("spool_budget", self.spool_budget, 0, 2**63 - 1)
        set_field(self, "spool_budget", int(self.spool_budget))
        self._check_segment_sizes()
        self._check_color_space()
        if self.arithmetic and self.optimize:
            raise ValueError("optimize=True with arithmetic=True: arithmetic coding has no "
                             "Huffman tables to optimize (its statistics adapt as it codes; "
                             "cjpeg refuses -optimize with -arithmetic); leave optimize False")
        self._check_lossless()

    def _check_lossless(self) -> None:
        """The lossless options (T.81 Annex H) fit together, and no lossy option is given
        with them: it would be ignored silently otherwise."""
        _check_int("precision", self.precision, MIN_LOSSLESS_PRECISION, MAX_LOSSLESS_PRECISION)
        _check_int("predictor", self.predictor, 1, 7)
        _check_int("point_transform", self.point_transform, 0, MAX_LOSSLESS_PRECISION - 1)
        if not self.lossless:
            if self.precision not in LOSSY_PRECISIONS:
                raise ValueError(f"precision={self.precision} needs lossless=True: lossy coding "
                                 "takes precision 8 or 12 (T.81's DCT precisions); other "
                                 "precisions are lossless only (T.81 Annex H)")
            if self.precision == 12:
                self._check_twelve_bit()
            for name, value, default in (("predictor", self.predictor, 1),
                                         ("point_transform", self.point_transform, 0)):
                if value != default:
                    raise ValueError(f"{name}={value} needs lossless=True (T.81 Annex H)")
            return
        if self.point_transform >= self.precision:
            raise ValueError(f"point_transform must be below precision ({self.precision}), got "
                             f"{self.point_transform} (T.81 H.1.2.1: Pt < P)")
        for name, neutral in LOSSY_ONLY_OPTIONS.items():
            value = getattr(self, name, neutral)
            if value != neutral:
                raise ValueError(f"lossless=True cannot honour {name}={value!r} (a lossless file "
                                 "has no DCT, quantization, colour conversion, subsampling or "
                                 f"progression); leave {name} at {neutral!r}")
        for name, (neutral, reason) in LOSSLESS_REFUSES.items():
            value = getattr(self, name, neutral)
            if value != neutral:
                raise ValueError(f"lossless=True cannot honour {name}={value!r}: {reason}")

    def _check_twelve_bit(self) -> None:
        """12-bit lossy coding: what is implemented, and libjpeg's forced optimization.

        libjpeg-turbo assumes the standard Huffman tables (T.81 Annex K, made for 8-bit data)
        are no good at 12 bits and always optimizes them (jcmaster.c, jinit_c_master_control:
        ``data_precision == 12 && !arith_code`` sets ``optimize_coding``): so is it here
        (arithmetic coding has no tables to optimize).
        """
        if self.ycck:
            raise ValueError("precision=12 with ycck=True is not implemented yet: 12-bit lossy "
                             "coding takes RGB, YCbCr or grey input")
        if not self.arithmetic:
            object.__setattr__(self, "optimize", True)

    def _check_color_space(self) -> None:
        """keep_rgb and grayscale choose the frame's colour space: one of them at most; and
        RGB components are not subsampled (Pillow's JpegEncode.c refuses it: subsampling
        G and B, as if they were chroma, makes no sense)."""
        if self.keep_rgb and self.grayscale:
            raise ValueError("keep_rgb=True and grayscale=True ask for two colour spaces "
                             "(RGB and one Y component); give one of them")
        for other in ("keep_rgb", "grayscale"):
            if self.ycck and getattr(self, other):
                raise ValueError(f"ycck=True and {other}=True ask for two colour spaces; "
                                 "give one of them")
        if self.keep_rgb and self.subsampling not in ("4:4:4", LIBJPEG_DEFAULT_SUBSAMPLING):
            raise ValueError(f"keep_rgb=True with subsampling={self.subsampling!r}: RGB "
                             "components are not subsampled (G and B are no chroma; Pillow "
                             "refuses it too); use subsampling='4:4:4'")

    def _check_segment_sizes(self) -> None:
        """Fail early, before any output exists, on metadata no segment can hold. The limits
        are tables.py's (T.81 B.1.1.4, ICC.1 B.4), the ones markers.py's writers enforce."""
        for name, carrier in (("exif", "one APP1 segment"), ("comment", "one COM segment")):
            value = getattr(self, name)
            if value is not None and len(value) > MAX_SEGMENT_PAYLOAD:
                raise ValueError(f"{name} is {len(value)} bytes; {carrier} holds at most "
                                 f"{MAX_SEGMENT_PAYLOAD}")
        if self.xmp is not None and len(self.xmp) > MAX_XMP:
            raise ValueError(f"xmp is {len(self.xmp)} bytes; one APP1 segment holds at most "
                             f"{MAX_XMP} after the XMP namespace")
        if self.icc_profile is not None and len(self.icc_profile) > MAX_ICC_SEGMENTS * ICC_CHUNK:
            raise ValueError(f"icc_profile is {len(self.icc_profile)} bytes; at most "
                             f"{MAX_ICC_SEGMENTS} APP2 segments of {ICC_CHUNK} bytes "
                             f"({MAX_ICC_SEGMENTS * ICC_CHUNK} bytes) can carry it")

    @property
    def effective_quality(self) -> int:
        """The quality table 0 is scaled with: as given, else 100 (50, i.e. unscaled, for
        custom ``qtables``)."""
        return self.table_quality(0)

    def table_quality(self, table: int) -> int:
        """The quality quantization table ``table`` (0..3) is scaled with: ``quality``, or
        its entry of a per-table ``quality``, the last one repeating (rdswitch.c
        set_quality_ratings); without a quality, 100 (50, unscaled, for custom ``qtables``)."""
        if isinstance(self.quality, tuple):
            return self.quality[min(table, len(self.quality) - 1)]
        if self.quality is not None:
            return self.quality
        return 50 if self.qtables is not None else 100


#: Quantization table slots, the most values a per-table quality holds (libjpeg's NUM_QUANT_TBLS).
QUANT_TABLE_SLOTS = 4


def _normalize_quality(quality: Any) -> int | tuple[int, ...] | None:
    """An int 1..100 or None as given; a sequence of 1..4 such ints -> a tuple (a one-entry
    tuple is the same as its int, as cjpeg ``-quality 90`` is)."""
    if quality is None or isinstance(quality, (bool, int, np.integer, str, float)):
        if quality is not None:
            _check_int("quality", quality, 1, 100)
            quality = int(quality)
        return quality
    if not isinstance(quality, (tuple, list)):
        raise TypeError("quality must be an int from 1 to 100, or a tuple of one per "
                        f"quantization table (cjpeg's -quality N,N); got {type(quality).__name__}")
    if not 1 <= len(quality) <= QUANT_TABLE_SLOTS:
        raise ValueError(f"quality as a tuple holds 1 to {QUANT_TABLE_SLOTS} values, one per "
                         f"quantization table (the last repeats); got {len(quality)}")
    for index, value in enumerate(quality):
        _check_int(f"quality[{index}]", value, 1, 100)
    values = tuple(int(value) for value in quality)
    return values[0] if len(values) == 1 else values


def _normalize_qtables(qtables: Any) -> tuple[tuple[int, ...], ...] | None:
    """Pillow's ``qtables`` forms -> a tuple of 1..4 tuples of 64 ints (natural order).

    Accepted: a list or tuple of tables, or a dict {table index: table} (read in index
    order, as Pillow does). Each table holds 64 integers in natural (row-major) order.
    """
    if qtables is None:
        return None
    if isinstance(qtables, dict):
        qtables = [qtables[key] for key in range(len(qtables)) if key in qtables]
    if not isinstance(qtables, (list, tuple)):
        raise TypeError("qtables must be a list of 1 to 4 tables of 64 integers, or a dict "
                        f"{{index: table}}; got {type(qtables).__name__}")
    if not 1 <= len(qtables) <= 4:
        raise ValueError(f"qtables must hold 1 to 4 tables, got {len(qtables)}")
    tables = []
    for index, table in enumerate(qtables):
        values = np.asarray(table)
        if values.size != 64 or not np.issubdtype(values.dtype, np.integer):
            raise ValueError(f"qtables[{index}] must hold 64 integers (natural order), "
                             f"got {values.size} values of dtype {values.dtype}")
        if values.min() < 0 or values.max() > 65535:
            raise ValueError(f"qtables[{index}] values must be from 0 to 65535")
        tables.append(tuple(int(v) for v in values.reshape(64)))
    return tuple(tables)


def _normalize_dpi(dpi: Any) -> tuple[int, int] | None:
    """``(x, y)`` -> ints rounded as Pillow rounds them; None if either is 0 (not written)."""
    if dpi is None:
        return None
    if not isinstance(dpi, (tuple, list)) or len(dpi) != 2 or \
            not all(isinstance(v, (int, float, np.integer, np.floating)) and not isinstance(v, bool)
                    for v in dpi):
        raise TypeError(f"dpi must be a pair of numbers (x, y), got {dpi!r}")
    x, y = (round(float(v)) for v in dpi)
    if not (0 <= x <= 65535 and 0 <= y <= 65535):
        raise ValueError(f"dpi values must round to 0..65535 (16-bit JFIF density), got {dpi!r}")
    return (x, y) if x > 0 and y > 0 else None


def _as_bytes(name: str, value: Any) -> bytes | None:
    if value is None:
        return None
    if not isinstance(value, (bytes, bytearray, memoryview)):
        raise TypeError(f"{name} must be bytes, got {type(value).__name__}")
    return bytes(value) or None


def _check_directory(name: str, value: Any) -> str | None:
    """``value`` as a str path, after checking that it names an existing writable directory."""
    if value is None:
        return None
    path = os.fspath(value) if isinstance(value, (str, os.PathLike)) else None
    if not isinstance(path, str):
        raise TypeError(f"{name} must be a directory path (str or os.PathLike) or None, "
                        f"got {type(value).__name__} {value!r}")
    if not os.path.isdir(path):
        raise ValueError(f"{name} {path!r} is not an existing directory")
    if not os.access(path, os.W_OK | os.X_OK):
        raise ValueError(f"{name} {path!r} is not a writable directory")
    return path


def _check_int(name: str, value: Any, low: int, high: int) -> None:
    """Raise unless ``value`` is an int (not a bool, not a float) in ``low..high``."""
    if isinstance(value, bool) or not isinstance(value, (int, np.integer)):
        raise TypeError(f"{name} must be an int, got {type(value).__name__} {value!r}")
    if not low <= value <= high:
        raise ValueError(f"{name} must be from {low} to {high}, got {value}")


#: Pillow's names for options that have another name here: Pillow name -> ours.
PILLOW_ALIASES = {"progression": "progressive"}


def make_options(**options: Any) -> EncodeOptions:
    """Build :class:`EncodeOptions` from keyword options, rejecting unknown names; Pillow's
    names of :data:`PILLOW_ALIASES` are taken for ours (giving both is a TypeError), and
    Pillow's keywords and values are translated by
    :func:`stripjpeg.pillow_keywords.translate_pillow_keywords`."""
    options = translate_pillow_keywords(options)
    for alias, name in PILLOW_ALIASES.items():
        if alias in options:
            if name in options:
                raise TypeError(f"{alias!r} is Pillow's name for {name!r}: give one of them")
            options[name] = options.pop(alias)
    known = EncodeOptions.__dataclass_fields__
    unknown = sorted(set(options) - set(known))
    if unknown:
        raise TypeError(f"unknown encode option(s): {', '.join(unknown)}; "
                        f"known options are {', '.join(known)}")
    return EncodeOptions(**options)


def check_dimensions(width: Any, height: Any) -> None:
    """Raise unless width and height are ints from 1 to 65535 (T.81 B.2.2); warn over 65500."""
    _check_int("width", width, 1, MAX_DIMENSION)
    _check_int("height", height, 1, MAX_DIMENSION)
    if max(width, height) > LIBJPEG_MAX_DIMENSION:
        # Blame the caller's line, whichever entry point (encode, Encoder, ...) it called.
        warn_user(f"a {width}x{height} image is valid JPEG, but libjpeg-based decoders (djpeg, "
                  f"Pillow, most browsers) refuse sizes over {LIBJPEG_MAX_DIMENSION}")


def check_mode(mode: Any) -> int:
    """Return the channel count of a pixel ``mode`` (a key of :data:`MODES`)."""
    if not isinstance(mode, str) or mode not in MODES:
        raise ValueError(f"mode must be one of {', '.join(MODES)}; got {mode!r}")
    return MODES[mode]


def check_array_mode(mode: Any, channels: int) -> str:
    """The mode of a whole image of ``channels`` channels: ``mode`` if it fits, else the
    default of :data:`DEFAULT_MODES` when ``mode`` is None.

    Raises:
        ValueError: an unknown mode, or one whose channel count is not ``channels``.
    """
    if mode is None:
        return DEFAULT_MODES[channels]
    if check_mode(mode) != channels:
        fitting = ", ".join(name for name, count in MODES.items() if count == channels)
        raise ValueError(f"mode={mode!r} takes {MODES[mode]} channel(s), but the image has "
                         f"{channels}; modes of {channels}-channel images are {fitting}")
    return mode
