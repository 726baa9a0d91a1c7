"""Warnings that name the caller's line, not a line inside stripjpeg.

``warnings.warn(..., stacklevel=n)`` blames the n-th frame up the stack, but how many
stripjpeg frames lie between a check and the user depends on the door the call came in by
(``encode``, ``save``, ``Encoder``, ``iter_encode``, ``encode_async``, the CLI), so no fixed
n is right. :func:`warn_user` counts them instead: it blames the first frame whose module
is not part of this package. (Python 3.12's ``skip_file_prefixes`` does the same, but
stripjpeg supports 3.10.)
"""

from __future__ import annotations

import sys
import warnings
from types import FrameType
from typing import Any

#: The package whose frames are skipped: "stripjpeg".
PACKAGE = __name__.rpartition(".")[0]


def user_stacklevel() -> int:
    """The ``stacklevel`` that makes ``warnings.warn``, called by the function that calls
    this one, blame the first frame outside the package (1 = that calling function)."""
    frame = sys._getframe(1)
    level = 1
    while frame.f_back is not None and _in_package(frame):
        frame = frame.f_back
        level += 1
    return level


def warn_user(message: str, category: type[Warning] = UserWarning) -> None:
    """``warnings.warn(message, category)`` blaming the caller's first frame outside stripjpeg."""
    warnings.warn(message, category, stacklevel=user_stacklevel())


def _in_package(frame: FrameType) -> bool:
    module = frame.f_globals.get("__name__", "")
    return module == PACKAGE or module.startswith(PACKAGE + ".")


def progress_bar(total_rows: int) -> Any:
    """A tqdm bar on stderr counting rows encoded, for ``progress=True``.

    Raises:
        ValueError: tqdm is not installed.
    """
    try:
        from tqdm.auto import tqdm
    except ImportError:
        raise ValueError("progress=True needs the tqdm package: pip install tqdm") from None
    return tqdm(total=total_rows, unit="row", file=sys.stderr, desc="stripjpeg")
