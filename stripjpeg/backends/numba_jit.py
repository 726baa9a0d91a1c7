"""How the numba kernels are compiled and cached: the decorators every kernel module uses.

Every kernel is ``nopython``, ``cache=True`` (compiled once, then loaded from numba's cache
in later processes) and ``nogil=True`` (the orchestrator's thread pool runs strips on all
cores at once), with no ``fastmath`` (it could change a rounding).

**Why the cache carries a version.** numba decides that a cached kernel is stale from the
timestamp and size of the kernel's *own* source file. But a kernel calls (and often inlines)
kernels from the other modules of the fast path, in stage order: the strip kernel of
:mod:`.numba_strip` contains the DCT of :mod:`.numba_dct` and the coder of
:mod:`.numba_huffman`. Changing only a helper in numba_huffman.py would leave the strip
kernel's cache entry looking fresh, and later processes would run the old machine code.

So each kernel's cache entry is also stamped with :func:`kernel_version`, a hash of the
source of every module in :data:`KERNEL_MODULES`: a change to any of them changes every
kernel's stamp, and numba recompiles them all (once; the new entries are then cached).
numba compares the stamp it stored with the current one for equality, so mixing the hash
into it is enough; the cache files keep numba's own names and places (``__pycache__`` next
to the module, or ``NUMBA_CACHE_DIR``). Hooking in needs numba's cache classes and the
dispatcher's ``_cache`` attribute (numba has no public hook for this);
``tests/test_numba.py`` checks that a change in one module recompiles a kernel of another,
so a numba release that moved them would fail that test rather than run stale code.
"""

from __future__ import annotations

import functools
import hashlib
from pathlib import Path

import numba
from numba.core.caching import CompileResultCacheImpl, FunctionCache

#: The modules whose kernels call one another: a change to any one recompiles all.
KERNEL_MODULES = ("numba_jit", "numba_colour", "numba_dct", "numba_huffman", "numba_strip",
                  "numba_progressive", "numba_lossless", "numba_arithmetic", "numba_twelve",
                  "numba_decode_idct", "numba_decode_pixels")


@functools.cache
def kernel_version() -> str:
    """A hash (hex) of the source of every module in :data:`KERNEL_MODULES`."""
    digest = hashlib.sha256()
    folder = Path(__file__).parent
    for name in KERNEL_MODULES:
        digest.update((folder / f"{name}.py").read_bytes())
    return digest.hexdigest()[:16]


class VersionedLocator:
    """numba's own cache locator for a kernel, with :func:`kernel_version` in its stamp."""

    def __init__(self, locator) -> None:
        self._locator = locator

    def __getattr__(self, name: str):
        return getattr(self._locator, name)

    def get_source_stamp(self):
        """numba's stamp of the kernel's file, and the version of all the kernel modules."""
        return self._locator.get_source_stamp(), kernel_version()


class VersionedCacheImpl(CompileResultCacheImpl):
    """numba's cache implementation, with the locator it chose wrapped in a VersionedLocator."""

    def __init__(self, py_func) -> None:
        super().__init__(py_func)
        self._locator = VersionedLocator(self._locator)


class VersionedFunctionCache(FunctionCache):
    """numba's function cache, stamped with :func:`kernel_version` (see the module notes)."""

    _impl_class = VersionedCacheImpl


def compile_lazily(**options):
    """A decorator: ``numba.njit(nogil=True, **options)`` with the versioned cache.

    Compiles nothing until the first call. With ``NUMBA_DISABLE_JIT=1`` numba returns the
    plain Python function, which is returned as it is.
    """
    def decorate(function):
        dispatcher = numba.njit(nogil=True, **options)(function)
        if isinstance(dispatcher, numba.core.registry.CPUDispatcher):
            dispatcher._cache = VersionedFunctionCache(function)  # what cache=True would set
        return dispatcher
    return decorate


#: A kernel called from Python or from other kernels.
kernel = compile_lazily()
#: Small helpers called once per symbol are inlined into their caller.
inline_kernel = compile_lazily(inline="always")
