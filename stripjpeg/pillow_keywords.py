"""Pillow's JPEG ``save()`` keywords, turned into stripjpeg's options with Pillow's meaning.

Pillow's ``JpegImagePlugin._save`` accepts values stripjpeg's own options do not: a quality
of 0 or over 100 (libjpeg's ``jpeg_quality_scaling`` clamps it to 1..100), -1 for libjpeg's
default, preset names from ``PIL.JpegPresets``, subsampling as 0, 1, 2 (or -1, libjpeg's
default 4:2:0), quantization tables as text, ``restart_marker_rows`` and
``restart_marker_blocks``, an ``Image.Exif``.
:func:`translate_pillow_keywords` rewrites them into the values :class:`EncodeOptions`
(:mod:`stripjpeg.options`) checks, so every entry point takes them the same way, and the
bytes are the ones Pillow writes. Every keyword Pillow 13's ``_save`` reads is implemented
(tests/test_pillow_keywords.py reads them from Pillow's source); one a later Pillow adds can
be listed in :data:`NOT_IMPLEMENTED`, and is then refused with a ValueError saying so (its
default, "off" value accepted).

The preset tables are Pillow's own: a preset name is looked up in ``PIL.JpegPresets`` when it
is used, so it needs Pillow installed, and always means what the installed Pillow means.
"""

from __future__ import annotations

from collections.abc import MutableMapping
from typing import Any

import numpy as np

#: Pillow's subsampling numbers (JpegImagePlugin, libImaging/JpegEncode.c) -> ours. -1 is
#: "libjpeg's default" (sampling.LIBJPEG_DEFAULT_SUBSAMPLING): 4:2:0 for colour, but a
#: grayscale component 1x1, where Pillow's 2 declares it 2x2.
PILLOW_SUBSAMPLING = {0: "4:4:4", 1: "4:2:2", 2: "4:2:0", -1: "default"}

#: Subsampling names Pillow accepts besides ours: "4:1:1" meant 4:2:0 before Pillow 4.3, and
#: Pillow still reads it so.
PILLOW_SUBSAMPLING_NAMES = {"4:1:1": "4:2:0"}

#: libjpeg's default quality (jcparam.c jpeg_set_defaults), Pillow's quality -1 (the default).
LIBJPEG_DEFAULT_QUALITY = 75

#: Pillow keywords not implemented here yet -> (their default value, which changes nothing
#: and is accepted; what the keyword does in Pillow).
NOT_IMPLEMENTED = {
}

_KEEP = ("'keep' reuses the quantization tables and subsampling of a JPEG image opened with "
         "Pillow; stripjpeg encodes pixels, which have none: give them explicitly")


def translate_pillow_keywords(options: dict[str, Any]) -> dict[str, Any]:
    """Return a copy of ``options`` with Pillow's keywords and values made stripjpeg's.

    ``quality`` -1, 0, > 100 or a preset name; ``subsampling`` 0, 1, 2, -1, "4:1:1" or a
    preset name; ``qtables`` as text or a preset name; ``restart_marker_rows``,
    ``restart_marker_blocks``; ``exif`` as a ``PIL.Image.Exif``. ``None`` for
    ``subsampling``, ``restart_rows`` or ``restart_blocks`` means our default.

    Raises:
        ValueError: "keep", an unknown preset, ``quality`` with a preset and a different
            ``subsampling`` or ``qtables``, ``restart_rows`` and ``restart_marker_rows`` (or
            ``restart_blocks`` and ``restart_marker_blocks``) that disagree, restart rows and
            blocks both given, or a keyword not implemented yet.
    """
    options = dict(options)
    for name in ("keep_rgb", "streamtype", "smooth"):
        if name in options and options[name] is None:
            del options[name]  # Pillow's default (False, 0, 0)
    _refuse_not_implemented(options)
    _take_restart_marker_blocks(options)
    _take_restart_marker_rows(options)
    _apply_quality_preset(options)
    if options.get("subsampling") is None:
        options.pop("subsampling", None)
    else:
        options["subsampling"] = _subsampling(options["subsampling"])
    if isinstance(options.get("qtables"), str):
        options["qtables"] = _qtables_from_string(options["qtables"])
    if "quality" in options:
        options["quality"] = _quality(options["quality"], options.get("qtables") is not None)
    if _is_pillow_exif(options.get("exif")):
        options["exif"] = options["exif"].tobytes()  # as Pillow does
    return options


def _refuse_not_implemented(options: dict[str, Any]) -> None:
    for name, (default, meaning) in NOT_IMPLEMENTED.items():
        if name not in options:
            continue
        value = options.pop(name)
        if value is not None and not (value == default and type(value) in (type(default), bool)):
            raise ValueError(f"{name}={value!r} is not implemented yet in stripjpeg ({meaning}); "
                             f"only Pillow's default, {name}={default!r}, is accepted")


def _take_restart_marker_rows(options: dict[str, Any]) -> None:
    """Pillow's ``restart_marker_rows`` is our ``restart_rows`` (default 0 there, 1 here):
    given alone it sets ``restart_rows``; given with it, the two must agree."""
    if options.get("restart_rows") is None:
        options.pop("restart_rows", None)
    rows = options.pop("restart_marker_rows", None)
    if rows is None:
        return
    if isinstance(rows, bool) or not isinstance(rows, (int, np.integer)):
        raise TypeError(f"restart_marker_rows must be an int, got {type(rows).__name__} {rows!r}")
    if rows < 0:
        raise ValueError(f"restart_marker_rows must be 0 or more, got {rows}")
    given = options.get("restart_rows")
    if given is not None and given != rows:
        raise ValueError(f"restart_rows={given!r} and restart_marker_rows={rows!r} disagree: "
                         "restart_marker_rows is Pillow's name for restart_rows; give one")
    options["restart_rows"] = int(rows)


def _take_restart_marker_blocks(options: dict[str, Any]) -> None:
    """Pillow's ``restart_marker_blocks`` is our ``restart_blocks`` (default 0 in both): given
    alone it sets ``restart_blocks``; given with it, the two must agree. With Pillow's default
    ``restart_marker_rows=0`` beside it, that 0 only means "no rows" and is dropped. Pillow
    given both non-zero uses the rows and ignores the blocks; stripjpeg refuses the pair
    (``EncodeOptions`` names the options)."""
    if options.get("restart_blocks") is None:
        options.pop("restart_blocks", None)
    blocks = options.pop("restart_marker_blocks", None)
    name = "restart_blocks"  # the name the blocks were given by, for the errors
    if blocks is not None:
        name = "restart_marker_blocks"
        if isinstance(blocks, bool) or not isinstance(blocks, (int, np.integer)):
            raise TypeError(f"restart_marker_blocks must be an int, got {type(blocks).__name__} "
                            f"{blocks!r}")
        given = options.get("restart_blocks")
        if given is not None and given != blocks:
            raise ValueError(f"restart_blocks={given!r} and restart_marker_blocks={blocks!r} "
                             "disagree: restart_marker_blocks is Pillow's name for "
                             "restart_blocks; give one")
        options["restart_blocks"] = blocks
    rows = options.get("restart_marker_rows")
    if options.get("restart_blocks") and rows is not None:
        if isinstance(rows, (int, np.integer)) and not isinstance(rows, bool) and rows == 0:
            del options["restart_marker_rows"]
        elif options.get("restart_rows") is None:
            raise ValueError(f"restart_marker_rows={rows!r} and {name}="
                             f"{options['restart_blocks']!r} both set the restart interval "
                             "(in MCU rows, in MCUs; Pillow would ignore the blocks): give one "
                             "of them")


def _apply_quality_preset(options: dict[str, Any]) -> None:
    """``quality`` = a preset name sets the preset's subsampling and tables, and no quality
    (Pillow's -1: the tables as given), as JpegImagePlugin does. A ``subsampling`` or
    ``qtables`` given as well must be the preset's (``subsampling=-1`` is Pillow's "none
    chosen")."""
    name = options.get("quality")
    if not isinstance(name, str):
        return
    if name == "keep":
        raise ValueError(f"quality={name!r}: {_KEEP}")
    preset = _preset("quality", name, "quality is an int from 0 to 100 (or -1), or")
    settings = {"subsampling": _subsampling(preset.get("subsampling", -1)),
                "qtables": preset.get("quantization")}
    for key, value in settings.items():
        given = options.get(key)
        if given is None or (isinstance(given, str) and given == name):
            continue
        if key == "subsampling" and _subsampling(given) == PILLOW_SUBSAMPLING[-1]:
            continue
        same = _subsampling(given) == value if key == "subsampling" else \
            _table_lists(_qtables_from_string(given) if isinstance(given, str) else given) == value
        if not same:
            raise ValueError(f"quality={name!r} sets {key} to Pillow's preset {name!r}, and "
                             f"{key}={given!r} disagrees (Pillow would ignore it); give one")
    options.update(settings, quality=None)


def _subsampling(value: Any) -> Any:
    """Pillow's subsampling forms -> "4:4:4", "4:2:2" or "4:2:0" (ours are kept as given)."""
    if isinstance(value, bool):
        raise TypeError(f"subsampling must be a name or 0, 1, 2 (Pillow's), got {value!r}")
    if isinstance(value, (int, np.integer)):
        if int(value) not in PILLOW_SUBSAMPLING:
            raise ValueError(f"subsampling as a number must be Pillow's 0 (4:4:4), 1 (4:2:2), "
                             f"2 (4:2:0) or -1 (libjpeg's default, 4:2:0); got {value}")
        return PILLOW_SUBSAMPLING[int(value)]
    if not isinstance(value, str) or value == PILLOW_SUBSAMPLING[-1] or \
            (value[:1].isdigit() and value not in PILLOW_SUBSAMPLING_NAMES):
        return value  # ours ("4:4:0", cjpeg's "HxV,..."), or a bad value EncodeOptions names
    if value in PILLOW_SUBSAMPLING_NAMES:
        return PILLOW_SUBSAMPLING_NAMES[value]
    if value == "keep":
        raise ValueError(f"subsampling={value!r}: {_KEEP}")
    preset = _preset("subsampling", value, "subsampling is 4:4:4, 4:2:2, 4:2:0, Pillow's 0, 1, 2 "
                     "or -1, or")
    return _subsampling(preset.get("subsampling", -1))


def _qtables_from_string(text: str) -> list[list[int]]:
    """A preset name, or tables as text the way Pillow reads them: integers separated by
    whitespace, '#' starting a comment to the end of its line, 64 per table in natural order."""
    if text == "keep":
        raise ValueError(f"qtables={text!r}: {_KEEP}")
    words = [word for line in text.splitlines() for word in line.split("#", 1)[0].split()]
    try:
        numbers = [int(word) for word in words]
    except ValueError:
        if len(words) == 1:  # a name
            preset = _preset("qtables", text, "qtables as text holds 64 integers per table, or is")
            return _table_lists(preset["quantization"])
        raise ValueError("qtables as text must hold integers separated by whitespace ('#' "
                         f"starts a comment), 64 per table; got {text[:40]!r}") from None
    return [numbers[start:start + 64] for start in range(0, len(numbers), 64)]


def _quality(quality: Any, has_qtables: bool) -> Any:
    """Pillow's quality ints -> ours: -1 is libjpeg's default (75; with ``qtables``, the
    tables as given, which is our None); 0 and over 100 are clamped to 1..100, as libjpeg's
    jpeg_quality_scaling (jcparam.c) clamps them."""
    if isinstance(quality, bool) or not isinstance(quality, (int, np.integer)):
        return quality  # None, or a bad value EncodeOptions names
    if quality == -1:
        return None if has_qtables else LIBJPEG_DEFAULT_QUALITY
    if quality < 0:
        raise ValueError("quality must be from 0 to 100 (0 means 1, and over 100 means 100, "
                         f"as in libjpeg), or -1 for libjpeg's default; got {quality}")
    return min(max(int(quality), 1), 100)


def _preset(keyword: str, name: str, forms: str) -> dict[str, Any]:
    """Pillow's preset ``name`` from ``PIL.JpegPresets``; ``forms`` says what else
    ``keyword`` may be, for the error."""
    try:
        from PIL.JpegPresets import presets
    except ImportError:
        raise ValueError(f"{keyword}={name!r}: {forms} a preset name of Pillow's "
                         "(PIL.JpegPresets), which needs Pillow installed") from None
    if name not in presets:
        raise ValueError(f"{keyword}={name!r}: {forms} one of Pillow's presets "
                         f"({', '.join(presets)})")
    return presets[name]


def _table_lists(tables: Any) -> list[list[int]] | None:
    """Tables as lists of ints, to compare them; None if they are not tables."""
    if isinstance(tables, dict):
        tables = [tables[key] for key in sorted(tables)]
    try:
        return [[int(v) for v in np.asarray(table).reshape(-1)] for table in tables]
    except (TypeError, ValueError):
        return None


def _is_pillow_exif(value: Any) -> bool:
    """Whether ``value`` is a ``PIL.Image.Exif`` (a mapping of tags with ``tobytes()``),
    recognized without importing Pillow."""
    return isinstance(value, MutableMapping) and callable(getattr(value, "tobytes", None))


def check_extra(extra: bytes) -> None:
    """Raise unless ``extra`` (Pillow's raw bytes written after the EXIF segment) is whole
    APPn or COM marker segments (T.81 B.1.1.4: ``FF``, the marker, a 2-byte length counting
    itself): anything else would break the file's structure."""
    offset = 0
    while offset < len(extra):
        if len(extra) - offset < 4 or extra[offset] != 0xFF:
            raise ValueError(f"extra must be whole marker segments (FF, marker, 2-byte length, "
                             f"data); byte {offset} does not start one")
        marker = extra[offset + 1]
        if not (0xE0 <= marker <= 0xEF or marker == 0xFE):
            raise ValueError(f"extra holds a 0x{marker:02X} marker at byte {offset}; only APPn "
                             "(0xE0..0xEF) and COM (0xFE) segments can go there")
        length = int.from_bytes(extra[offset + 2:offset + 4], "big")
        if length < 2 or offset + 2 + length > len(extra):
            raise ValueError(f"extra's segment at byte {offset} has length {length}, but "
                             f"{len(extra) - offset - 2} bytes follow its marker")
        offset += 2 + length
