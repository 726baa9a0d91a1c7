"""What an encode would do, before it runs: :func:`describe` (``stripjpeg encode --describe``).

Everything is read from what the encode itself uses, so it cannot tell another story: the
checked :class:`~stripjpeg.options.EncodeOptions`, the :class:`~stripjpeg.plan.Plan` built
from them (frame, components, tables, restart interval, scans), the SOF marker
:mod:`stripjpeg.markers` picks, the DCT function of ``stages.dct.FORWARD_DCT`` (its
docstring's first line), and the backend's resolved :class:`~stripjpeg.backends.base.StageTable`
(which stage is the backend's own kernel, which falls back to NumPy, and why). Options added
later appear at least in :attr:`Description.options` (every option not at its default) and
through the plan they change.
"""

from __future__ import annotations

import dataclasses
from dataclasses import dataclass
from typing import Any

from . import backends, markers
from .backends.base import FUSED, NUMPY_STAGES, STAGES, forced_fallbacks
from .options import STREAM_TYPES, EncodeOptions, check_dimensions, check_mode, make_options
from .plan import Component, Plan, Scan, make_plan
from .stages.dct import FORWARD_DCT
from .table_slots import table_slots

#: The size described when none is given (the plan's geometry depends on it).
DEFAULT_SIZE = (256, 256)

#: Component names by frame colour space (others are named by their id).
COMPONENT_NAMES = {"YCbCr": ("Y", "Cb", "Cr"), "RGB": ("R", "G", "B"), "GRAYSCALE": ("Y",),
                   "CMYK": ("C", "M", "Y", "K"), "YCCK": ("Y", "Cb", "Cr", "K")}

#: The process each SOF marker codes (T.81 B.1.1.3).
PROCESSES = {markers.SOF0: "baseline sequential DCT, Huffman",
             markers.SOF1: "extended sequential DCT, Huffman",
             markers.SOF2: "progressive DCT, Huffman"}

#: The standard tables of the first two slots (T.81 Annex K).
STANDARD_QUANT = ("standard luminance (T.81 Table K.1)", "standard chrominance (T.81 Table K.2)")
STANDARD_HUFFMAN = ("standard luminance (T.81 Tables K.3, K.5)",
                    "standard chrominance (T.81 Tables K.4, K.6)")


@dataclass(frozen=True)
class ComponentDescription:
    """One frame component: name ("Y", "Cb"...), id Ci, sampling factors, its tables, and
    the blocks holding image samples across and down (``width_in_blocks, height_in_blocks``)."""

    name: str
    id: int
    h: int
    v: int
    quant_table: int
    huffman_table: int
    blocks: tuple[int, int]

    def __str__(self) -> str:
        return (f"{self.name:<2} id {self.id}, {self.h}x{self.v}, quantization table "
                f"{self.quant_table}, Huffman tables {self.huffman_table}, "
                f"{self.blocks[0]} x {self.blocks[1]} blocks")


@dataclass(frozen=True)
class TableDescription:
    """One quantization table the frame uses (a DQT segment): where it comes from, the
    quality it is scaled with (None: as given), its precision (8 or 16 bits, Pq), its
    smallest and largest step, and the components that use it."""

    index: int
    source: str
    quality: int | None
    precision: int
    steps: tuple[int, int]
    components: tuple[str, ...]

    def __str__(self) -> str:
        scaled = "as given" if self.quality is None else f"quality {self.quality}"
        users = f"; {' '.join(self.components)}" if self.components else ""
        return (f"{self.index}: {self.source}, {scaled}, {self.precision}-bit, steps "
                f"{self.steps[0]}..{self.steps[1]}{users}")


#: Width of the stage-name column: the longest stage name (progressive_arithmetic_encode).
STAGE_COLUMN = 29


@dataclass(frozen=True)
class StageDescription:
    """One pipeline stage (or fused path) of the backend's stage table.

    Attributes:
        stage: the name (:data:`~stripjpeg.backends.base.STAGES`, or a fused path of
            :data:`~stripjpeg.backends.base.FUSED`).
        provider: who implements it: the backend's name for its own (a numba kernel for
            "numba"), "numpy" for the NumPy stage of :mod:`stripjpeg.stages`.
        implementation: the function that runs it ("NumbaBackend.prepare_samples",
            "stages.samples.prepare_samples", ...), or "-" for a fused path not used.
        runs: whether this encode calls it.
        note: why a stage the backend offers falls back to NumPy (empty otherwise).
    """

    stage: str
    provider: str
    implementation: str
    runs: bool
    note: str = ""

    def __str__(self) -> str:
        text = (f"{self.stage:<{STAGE_COLUMN}} {'runs' if self.runs else 'idle':<5} {self.provider:<6} "
                f"{self.implementation}")
        return text + (f" ({self.note})" if self.note else "")


@dataclass(frozen=True)
class Description:
    """What an encode with these options does, as :func:`describe` finds it. ``str()`` is a
    readable report; :meth:`as_dict` the same as plain data (e.g. for JSON).

    Attributes:
        width, height, mode: the image described; ``assumed_size`` when width and height
            were not given (:data:`DEFAULT_SIZE`).
        stream: what the output holds (``streamtype``, :data:`~stripjpeg.options.STREAM_TYPES`).
        frame: the SOF marker's name ("SOF0", "SOF1", "SOF2"); ``process`` what it codes.
        color_space: the frame's ("YCbCr", "RGB", "GRAYSCALE"); ``color_convert`` the
            conversion of sample preparation (jccolor.c's names: "rgb_ycc"...).
        components: one :class:`ComponentDescription` each, in frame order.
        mcu: the MCU's size in pixels and blocks, and the MCU grid.
        quantization: one :class:`TableDescription` per table written.
        dct: the ``dct`` method and what its function computes.
        restart: the restart interval (DRI), and how strips follow it.
        huffman: which Huffman tables code the scans.
        scans: one line per scan (SOS).
        backend: the backend's name; ``stages`` one :class:`StageDescription` per stage and
            fused path, in pipeline order.
        options: every option not at its default, as checked (``backend`` and the rest too).
    """

    width: int
    height: int
    mode: str
    assumed_size: bool
    stream: str
    frame: str
    process: str
    color_space: str
    color_convert: str
    components: tuple[ComponentDescription, ...]
    mcu: str
    quantization: tuple[TableDescription, ...]
    dct: str
    restart: str
    huffman: str
    scans: tuple[str, ...]
    backend: str
    stages: tuple[StageDescription, ...]
    options: dict[str, Any]

    def as_dict(self) -> dict[str, Any]:
        """The description as nested dicts, lists and scalars."""
        return dataclasses.asdict(self)

    def __str__(self) -> str:
        size = f"{self.width} x {self.height} {self.mode}" + \
            (" (no size given: assumed)" if self.assumed_size else "")
        chosen = ", ".join(f"{name}={value!r}" for name, value in self.options.items())
        lines = [f"image        {size}",
                 f"stream       {self.stream}",
                 f"process      {self.process}" +
                 ("" if self.frame == "none" else f" ({self.frame})"),
                 f"colour       {self.color_space}, sample conversion {self.color_convert}",
                 *_block("components", self.components),
                 f"MCU          {self.mcu}",
                 *_block("quantization", self.quantization),
                 f"DCT          {self.dct}",
                 f"restart      {self.restart}",
                 f"Huffman      {self.huffman}",
                 *_block("scans", self.scans or ("none",)),
                 f"backend      {self.backend}",
                 *_block("stages", self.stages),
                 f"options      {chosen or 'all defaults'}"]
        return "\n".join(lines)


def _block(title: str, items: Any) -> list[str]:
    """Lines of a titled list: the title before the first item, the others indented."""
    return [f"{title if index == 0 else '':<12} {item}" for index, item in enumerate(items)]


def describe(*, width: int | None = None, height: int | None = None, mode: str = "RGB",
             **options: Any) -> Description:
    """Describe what encoding a ``width x height`` image of ``mode`` with ``options`` would
    do, without encoding anything: the process and SOF, colour space and components with
    their sampling factors, the quantization tables and their quality, the DCT, the restart
    interval, the Huffman tables, the scans, and which implementation runs each stage on the
    chosen backend (its own kernel, or the NumPy stage and why).

    Args:
        width, height: the image size (both or neither; default :data:`DEFAULT_SIZE`), which
            the MCU grid, block counts and restart interval depend on.
        mode: "L", "RGB" or "RGBA", as for :class:`stripjpeg.Encoder`.
        **options: any encode options (Pillow's keywords included), checked as every entry
            point checks them.

    Raises:
        ValueError, TypeError: the options, size or mode an encode would refuse.
    """
    if (width is None) != (height is None):
        raise TypeError("describe() takes width and height together, or neither")
    assumed = width is None
    width, height = DEFAULT_SIZE if assumed else (width, height)
    checked = make_options(**options)
    check_dimensions(width, height)
    plan = make_plan(width, height, check_mode(mode), checked, mode=mode)
    backend = backends.get(checked.backend)
    names = _component_names(plan)
    frame = markers.frame_marker(plan)
    tables_only = checked.streamtype == markers.TABLES_ONLY
    quantization = _slots(checked) if tables_only else _quantization(plan, checked, names)
    scans = () if tables_only else \
        tuple(_scan(scan, number, names) for number, scan in enumerate(plan.scans))
    return Description(
        width=width, height=height, mode=mode, assumed_size=assumed,
        stream=f"{checked.streamtype}: {STREAM_TYPES[checked.streamtype]}",
        frame="none" if tables_only else _marker_name(frame),
        process="no frame: the tables only" if tables_only else PROCESSES[frame],
        color_space=plan.color_space,
        color_convert=plan.color_convert,
        components=tuple(_component(c, name) for c, name in zip(plan.components, names)),
        mcu=_mcu(plan), quantization=quantization,
        dct=f"{plan.dct}: {_first_line(FORWARD_DCT[plan.dct].__doc__)}",
        restart="none (no image)" if tables_only else _restart(plan),
        huffman=_huffman(plan, checked, names),
        scans=scans,
        backend=backend.name, stages=_stages(backend, plan, checked),
        options=_chosen_options(checked))


def _component_names(plan: Plan) -> tuple[str, ...]:
    known = COMPONENT_NAMES.get(plan.color_space, ())
    return tuple(known[index] if index < len(known) else f"C{c.id}"
                 for index, c in enumerate(plan.components))


def _marker_name(marker: int) -> str:
    return f"SOF{marker - markers.SOF0}"


def _component(component: Component, name: str) -> ComponentDescription:
    return ComponentDescription(name, component.id, component.h, component.v,
                                component.quant_index, component.huffman_index,
                                (component.width_in_blocks, component.height_in_blocks))


def _mcu(plan: Plan) -> str:
    interleaved = "interleaved" if len(plan.components) > 1 else "a single component"
    blocks = "1 block" if plan.blocks_per_mcu == 1 else f"{plan.blocks_per_mcu} blocks"
    return (f"{plan.mcu_width} x {plan.mcu_height} pixels, {blocks}, "
            f"{interleaved}; {plan.mcus_per_row} x {plan.mcu_rows} MCUs")


def _quantization(plan: Plan, options: EncodeOptions,
                  names: tuple[str, ...]) -> tuple[TableDescription, ...]:
    """The quantization tables the frame uses, each with the components using it."""
    return tuple(
        _table(index, table, options,
               tuple(name for c, name in zip(plan.components, names) if c.quant_index == index))
        for index, table in enumerate(plan.quant_tables))


def _slots(options: EncodeOptions) -> tuple[TableDescription, ...]:
    """The quantization tables of a tables-only stream: every slot libjpeg filled."""
    return tuple(_table(index, table, options, ())
                 for index, table in enumerate(table_slots(options)[0]))


def _table(index: int, table: Any, options: EncodeOptions,
           users: tuple[str, ...]) -> TableDescription:
    if options.qtables is not None:
        source = f"custom qtables[{min(index, len(options.qtables) - 1)}]"
        quality = None if options.quality is None else options.table_quality(index)
    else:
        source, quality = STANDARD_QUANT[min(index, 1)], options.table_quality(index)
    return TableDescription(index, source, quality, 16 if markers.table_precision(table) else 8,
                            (int(table.min()), int(table.max())), users)


def _restart(plan: Plan) -> str:
    """The DRI value and how strips follow it, from the plan alone (so a restart interval
    set another way than by MCU rows is described too)."""
    strips = f"strips of {plan.strip_mcu_rows} MCU row{'s' if plan.strip_mcu_rows != 1 else ''}"
    if not plan.restart_interval:
        return f"none: one entropy-coded segment, {strips} coded one after another"
    text = f"DRI {plan.restart_interval} MCUs"
    if plan.restart_rows and plan.restart_interval == plan.restart_rows * plan.mcus_per_row:
        text += f" (every {plan.restart_rows} MCU row{'s' if plan.restart_rows != 1 else ''})"
    if plan.restart_interval == plan.strip_mcu_rows * plan.mcus_per_row:
        text += f"; {strips}, one per interval, coded in parallel"
    if plan.progressive:
        text += "; each scan counts its own MCUs"
    return text


def _huffman(plan: Plan, options: EncodeOptions, names: tuple[str, ...]) -> str:
    if options.streamtype == markers.TABLES_ONLY:
        return "standard tables of slots 0 and 1, written; no scan"
    if plan.progressive:
        return "optimized per scan (libjpeg always optimizes a progressive file's tables)"
    if options.optimize:
        return "optimized for this image (a first pass counts the symbols)"
    users = []
    for index, description in enumerate(STANDARD_HUFFMAN[:len(plan.dc_tables)]):
        components = " ".join(name for c, name in zip(plan.components, names)
                              if c.huffman_index == index)
        users.append(f"{index}: {description}, {components}")
    unwritten = " (not written: the tables stream carries them)" \
        if options.streamtype == markers.IMAGE_ONLY else ""
    return "; ".join(users) + unwritten


def _scan(scan: Scan, number: int, names: tuple[str, ...]) -> str:
    if scan.is_sequential:
        kind = "sequential"
    else:
        band = "DC" if scan.ss == 0 else "AC"
        kind = f"{band} {'first' if scan.ah == 0 else 'refinement'}"
    components = " ".join(names[index] for index in scan.components)
    return (f"{number}: {components}, Ss={scan.ss}, Se={scan.se}, Ah={scan.ah}, Al={scan.al} "
            f"({kind})")


def _stages(backend: backends.Backend, plan: Plan,
            options: EncodeOptions) -> tuple[StageDescription, ...]:
    """Each stage and fused path of the backend's table for ``plan``: which implementation,
    whether this encode calls it, and why an offered one falls back."""
    table = backend.stage_table(plan)
    own = backend.own_stages()
    forced = forced_fallbacks()
    running = _running_stages(plan, options)
    fused_runs = {path: getattr(table, f"{path}_fused") is not None and path in running
                  for path in FUSED}
    described = []
    for stage in STAGES:
        function = getattr(table, stage)
        kernel = function is not NUMPY_STAGES[stage]
        note = "" if kernel or stage not in own else \
            ("forced by $STRIPJPEG_FALLBACK" if stage in forced else
             f"declined by {backend.name}")
        inside = [path for path, covered in FUSED.items() if fused_runs[path] and stage in covered]
        if inside:
            note = f"inside the fused {inside[0]}"
        described.append(StageDescription(stage, backend.name if kernel else "numpy",
                                          _name(function), stage in running, note))
    for path in FUSED:
        function = getattr(table, f"{path}_fused")
        if function is None and path not in own:
            continue
        kernel = function is not None
        note = "" if kernel else ("forced by $STRIPJPEG_FALLBACK" if path in forced
                                  else "a stage it covers falls back")
        described.append(StageDescription(
            f"{path} (fused)", backend.name if kernel else "-",
            _name(function) if kernel else "-", fused_runs[path], note))
    return tuple(described)


def _running_stages(plan: Plan, options: EncodeOptions) -> set[str]:
    """The stages and fused paths an encode with this plan calls: pixels to bytes in one
    path for a sequential file; with ``optimize`` or progressive, pixels to blocks (counted,
    then coded from the blocks in a second pass, or per scan)."""
    if options.streamtype == markers.TABLES_ONLY:
        return set()
    stages = {"prepare_samples", "forward_dct"}
    if plan.progressive:
        return stages | {"transform", "progressive_count", "progressive_encode"}
    if options.optimize:
        return stages | {"transform", "count_symbols", "entropy_encode"}
    return stages | {"encode_strips", "entropy_encode"}


def _name(function: Any) -> str:
    """``Class.method`` for a backend's method, ``module.function`` for a NumPy stage."""
    owner = getattr(function, "__self__", None)
    if owner is not None:
        return f"{type(owner).__name__}.{function.__name__}"
    return f"{function.__module__.removeprefix('stripjpeg.')}.{function.__qualname__}"


def _first_line(text: str | None) -> str:
    return (text or "").strip().splitlines()[0] if text else ""


def _chosen_options(options: EncodeOptions) -> dict[str, Any]:
    """Every option whose checked value differs from its default, in declaration order."""
    defaults = EncodeOptions()
    chosen = {}
    for option in dataclasses.fields(EncodeOptions):
        value = getattr(options, option.name)
        if value != getattr(defaults, option.name):
            chosen[option.name] = _short(value)
    return chosen


def _short(value: Any) -> Any:
    """Long values (tables, metadata bytes) shortened for reading."""
    if isinstance(value, bytes):
        return f"<{len(value)} bytes>"
    if isinstance(value, tuple) and value and isinstance(value[0], tuple) and len(value[0]) == 64:
        return f"<{len(value)} tables>"
    return value
