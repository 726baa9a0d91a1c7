"""Encode options: validated once, frozen, shared by every entry point.

Every public function (``encode``, ``save``, ``Encoder``, ``iter_encode``...) takes the same
keyword options and turns them into one :class:`EncodeOptions` through :func:`make_options`,
so a bad value gets the same clear error whichever door it came in by.
"""

from __future__ import annotations

import concurrent.futures
from dataclasses import dataclass
from typing import Any

import numpy as np

#: Chroma subsampling name -> (H, V) sampling factors of the luma component (T.81 A.1.1).
#: Chroma components always have factors (1, 1), as libjpeg sets them.
SUBSAMPLING_FACTORS = {"4:4:4": (1, 1), "4:2:2": (2, 1), "4:2:0": (2, 2)}

#: DCT methods: libjpeg's accurate integer DCT, and the float64 orthonormal DCT-II.
DCT_METHODS = ("islow", "float")

#: Stream pixel modes -> number of input channels. Alpha (RGBA) is read and dropped.
MODES = {"L": 1, "RGB": 3, "RGBA": 4}

#: Largest image side a JPEG frame header can describe (T.81 B.2.2: 16-bit X and Y).
MAX_DIMENSION = 65535


@dataclass(frozen=True)
class EncodeOptions:
    """All settings of one encode, already checked.

    Attributes:
        quality: IJG quality 1..100 (100: all quantization divisors are 1).
        subsampling: ``"4:4:4"``, ``"4:2:2"`` or ``"4:2:0"`` (ignored for grayscale).
        dct: ``"islow"`` (libjpeg's integer DCT, bit-exact with libjpeg-turbo) or ``"float"``.
        restart_rows: a restart marker after every this many MCU rows; 0 = no restart markers.
        backend: backend name, or None for the default (see :mod:`stripjpeg.backends`).
        workers: None (all cores) or a positive number of threads for independent strips.
        executor: a ``concurrent.futures.Executor`` to run strips on, or None.
        progress: show a progress bar of rows encoded on stderr.
    """

    quality: int = 100
    subsampling: str = "4:4:4"
    dct: str = "islow"
    restart_rows: int = 1
    backend: str | None = None
    workers: int | None = None
    executor: concurrent.futures.Executor | None = None
    progress: bool = False

    def __post_init__(self) -> None:
        _check_int("quality", self.quality, 1, 100)
        if not isinstance(self.subsampling, str) or self.subsampling not in SUBSAMPLING_FACTORS:
            raise ValueError(f"subsampling must be one of {', '.join(SUBSAMPLING_FACTORS)}; "
                             f"got {self.subsampling!r}")
        if not isinstance(self.dct, str) or self.dct not in DCT_METHODS:
            raise ValueError(f"dct must be one of {', '.join(DCT_METHODS)}; got {self.dct!r}")
        _check_int("restart_rows", self.restart_rows, 0, MAX_DIMENSION)
        if self.backend is not None and not isinstance(self.backend, str):
            raise TypeError(f"backend must be a name (str) or None, got {type(self.backend).__name__}")
        if self.workers is not None:
            _check_int("workers", self.workers, 1, 4096)
        if self.executor is not None and not isinstance(self.executor, concurrent.futures.Executor):
            raise TypeError("executor must be a concurrent.futures.Executor (or None), "
                            f"got {type(self.executor).__name__}")
        if not isinstance(self.progress, bool):
            raise TypeError(f"progress must be True or False, got {self.progress!r}")


def _check_int(name: str, value: Any, low: int, high: int) -> None:
    """Raise unless ``value`` is an int (not a bool, not a float) in ``low..high``."""
    if isinstance(value, bool) or not isinstance(value, (int, np.integer)):
        raise TypeError(f"{name} must be an int, got {type(value).__name__} {value!r}")
    if not low <= value <= high:
        raise ValueError(f"{name} must be from {low} to {high}, got {value}")


def make_options(**options: Any) -> EncodeOptions:
    """Build :class:`EncodeOptions` from keyword options, rejecting unknown names."""
    known = EncodeOptions.__dataclass_fields__
    unknown = sorted(set(options) - set(known))
    if unknown:
        raise TypeError(f"unknown encode option(s): {', '.join(unknown)}; "
                        f"known options are {', '.join(known)}")
    return EncodeOptions(**options)


def check_dimensions(width: Any, height: Any) -> None:
    """Raise unless width and height are ints from 1 to 65535 (T.81 B.2.2)."""
    _check_int("width", width, 1, MAX_DIMENSION)
    _check_int("height", height, 1, MAX_DIMENSION)


def check_mode(mode: Any) -> int:
    """Return the channel count of a stream ``mode`` ("L", "RGB" or "RGBA")."""
    if not isinstance(mode, str) or mode not in MODES:
        raise ValueError(f"mode must be one of {', '.join(MODES)}; got {mode!r}")
    return MODES[mode]
