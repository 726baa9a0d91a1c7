"""Backend registry: pick an engine by name, once per encode.

* ``available()`` lists the backends that can run here, fastest first;
* ``get(name)`` returns one, or raises a ``ValueError`` naming the choices;
* ``default_name()`` is what ``backend=None`` means: the ``STRIPJPEG_BACKEND`` environment
  variable if set, else the fastest available backend (``numba`` when numba imports,
  otherwise ``numpy``, which always works, with one warning saying why: numba is a required
  dependency, see :func:`numba_problem`).

Third-party backends register under the entry-point group ``stripjpeg.backends``; the entry
point must name a :class:`~stripjpeg.backends.base.Backend` subclass.

A backend is a set of stage implementations over the NumPy stages of :mod:`stripjpeg.stages`;
``get(name).stage_table(plan)`` picks, once per encode, which one runs for each stage (see
:mod:`.base`; ``$STRIPJPEG_FALLBACK`` forces the NumPy stage for some or all of them).
``reads_with_kernels(name)`` is the coefficient reader's choice, once per file.

Importing this module imports no backend and compiles nothing; numba is imported when a
backend is first chosen or listed.
"""

from __future__ import annotations

import importlib
import importlib.metadata
import importlib.util
import os

from .base import (
    FALLBACK_VARIABLE,
    STAGES,
    ArithmeticState,
    Backend,
    EntropyState,
    StageTable,
    final_byte,
    start_state,
)

__all__ = [
    "ENVIRONMENT_VARIABLE",
    "FALLBACK_VARIABLE",
    "STAGES",
    "ArithmeticState",
    "Backend",
    "EntropyState",
    "StageTable",
    "available",
    "default_name",
    "final_byte",
    "get",
    "reads_with_kernels",
    "start_state",
]

#: Set this environment variable to a backend name to force it when ``backend=None``.
ENVIRONMENT_VARIABLE = "STRIPJPEG_BACKEND"

#: Built-in backends, fastest first: name -> (module, class, the package it needs).
_BUILTIN = {
    "numba": ("stripjpeg.backends.numba_backend", "NumbaBackend", "numba"),
    "numpy": ("stripjpeg.backends.numpy_backend", "NumpyBackend", "numpy"),
}

_instances: dict[str, Backend] = {}


def _entry_points() -> dict[str, importlib.metadata.EntryPoint]:
    return {ep.name: ep for ep in importlib.metadata.entry_points(group="stripjpeg.backends")}


#: How importing numba went, once per process: [] not tried yet, [None] it imports,
#: [message] it failed. And whether the warning has been given.
_numba_import: list[str | None] = []
_numba_warned: list[bool] = []


def numba_problem() -> str | None:
    """None when numba can be used here; else why not, in words. numba is a required
    dependency, so this is a broken or unusual install (a platform without numba wheels, a
    NumPy newer than numba supports). It is imported when a backend is first chosen or
    listed, once per process; the first problem warns, once: the NumPy backend writes the
    same bytes, about 25 times slower."""
    if importlib.util.find_spec("numba") is None:
        problem = "numba is not installed"
    else:
        if not _numba_import:
            try:
                importlib.import_module("numba")
                _numba_import.append(None)
            except Exception as error:  # any failure to import means: not usable
                _numba_import.append(f"numba failed to import ({type(error).__name__}: {error})")
        problem = _numba_import[0]
    if problem is not None and not _numba_warned:
        _numba_warned.append(True)
        from ..notices import warn_user

        warn_user(f"{problem}; stripjpeg uses its NumPy backend, which writes the same bytes "
                  f"about 25 times slower (pip install numba, or reinstall stripjpeg)")
    return problem


def _builtin_usable(name: str) -> bool:
    module, _, requirement = _BUILTIN[name]
    if importlib.util.find_spec(module) is None:
        return False
    if requirement == "numba":
        return numba_problem() is None
    return importlib.util.find_spec(requirement) is not None


def available() -> list[str]:
    """Names of the backends that can run here, fastest first (e.g. ``["numba", "numpy"]``)."""
    names = [name for name in _BUILTIN if _builtin_usable(name)]
    return names + sorted(set(_entry_points()) - set(names))


def default_name() -> str:
    """The backend ``backend=None`` selects: ``$STRIPJPEG_BACKEND``, else the fastest available."""
    forced = os.environ.get(ENVIRONMENT_VARIABLE)
    if forced:
        return forced
    # Built-in backends come first in available(), and numpy's always works, so the
    # installed packages' entry points need not be scanned (a cost on every encode:
    # docs/performance.md).
    return next(name for name in _BUILTIN if _builtin_usable(name))


def reads_with_kernels(backend: str | None = None) -> bool:
    """Whether :func:`stripjpeg.reader.read_jpeg` with this ``backend`` decodes progressive
    and arithmetic-coded scans with the numba kernels (:mod:`.numba_read_progressive`,
    :mod:`.numba_read_arithmetic`), chosen once per file: for "numba" (None means
    :func:`default_name`), unless ``$STRIPJPEG_FALLBACK`` names ``all``; else with the
    Python textbook. Sequential Huffman scans are always the textbook's.

    Raises:
        ValueError: an unknown backend name, or "numba" where it is not installed (:func:`get`).
    """
    name = default_name() if backend is None else backend
    if name != "numpy":
        get(name)  # an unknown name, or numba not installed: the error naming the fix
    forced = {part.strip() for part in os.environ.get(FALLBACK_VARIABLE, "").split(",")}
    return name == "numba" and "all" not in forced


def get(name: str | None = None) -> Backend:
    """Return the backend called ``name`` (None: :func:`default_name`).

    Raises:
        ValueError: unknown name, or a built-in backend whose package is not installed.
    """
    if name is None:
        name = default_name()
    if name in _instances:
        return _instances[name]
    if name in _BUILTIN:
        module_name, class_name, requirement = _BUILTIN[name]
        if importlib.util.find_spec(requirement) is None:
            raise ValueError(f"backend {name!r} needs the {requirement!r} package, which is not "
                             f"installed; install it (pip install {requirement}) or choose "
                             f"one of {available()}")
        cls = getattr(importlib.import_module(module_name), class_name)
    else:
        entry = _entry_points().get(name)
        if entry is None:
            forced = os.environ.get(ENVIRONMENT_VARIABLE) == name
            source = f" (from ${ENVIRONMENT_VARIABLE})" if forced else ""
            raise ValueError(f"unknown backend {name!r}{source}; available: {', '.join(available())}")
        cls = entry.load()
    instance = cls()
    _instances[name] = instance
    return instance
