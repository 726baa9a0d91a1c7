"""Sinks: where the encoded bytes go.

* :class:`AtomicFile` for a path: the bytes go to a temporary file beside it, which replaces
  the path only once the encode has succeeded, so a failed encode leaves any existing file
  untouched and no stray file.
* :class:`StreamSink` for a caller's binary file object, written as the data is ready.

Both have ``write(data)``, ``commit()`` (the encode succeeded) and ``discard()`` (it failed);
:func:`open_sink` picks one for a target.
"""

from __future__ import annotations

import os
import tempfile
import weakref
from typing import IO, Any, BinaryIO


class AtomicFile:
    """Writes to a temporary file beside ``path`` and renames it over ``path`` only on
    success, so a failed encode leaves any existing file untouched and no stray file."""

    def __init__(self, path: str | os.PathLike) -> None:
        self.path = os.fspath(path)
        directory = os.path.dirname(os.path.abspath(self.path))
        fd, self.temp_path = tempfile.mkstemp(prefix=f".{os.path.basename(self.path)}.",
                                              suffix=".part", dir=directory)
        self.file: BinaryIO = os.fdopen(fd, "wb")
        # If the Encoder is dropped unclosed, the temporary file is still removed.
        self._finalizer = weakref.finalize(self, _remove_quietly, self.file, self.temp_path)

    def write(self, data: bytes) -> None:
        self.file.write(data)

    def commit(self) -> None:
        self.file.flush()
        os.fsync(self.file.fileno())
        # mkstemp creates the file readable by its owner only; give it the mode any new
        # file would get (0666 less the umask), or keep the mode of the file it replaces.
        os.chmod(self.temp_path, mode_for(self.path))
        self.file.close()
        os.replace(self.temp_path, self.path)
        self._finalizer.detach()

    def discard(self) -> None:
        self._finalizer()


def mode_for(path: str) -> int:
    """The permission bits a file written at ``path`` should have: those of the file it
    replaces, else what a newly created file gets (0666 less the process's umask)."""
    try:
        return os.stat(path).st_mode & 0o7777
    except FileNotFoundError:
        return 0o666 & ~current_umask()


def current_umask() -> int:
    # Read it without changing it where the system tells (Linux), since setting the umask
    # to read it back would briefly change it for every thread of the process.
    try:
        with open("/proc/self/status", encoding="ascii") as status:
            for line in status:
                if line.startswith("Umask:"):
                    return int(line.split()[1], 8)
    except (OSError, ValueError):
        pass
    umask = os.umask(0o022)
    os.umask(umask)
    return umask


def _remove_quietly(file: IO[bytes], path: str) -> None:
    file.close()
    try:
        os.unlink(path)
    except FileNotFoundError:
        pass


class StreamSink:
    """Writes to a caller's binary file object; the caller keeps it open and owns it."""

    def __init__(self, file: IO[bytes]) -> None:
        self.file = file

    def write(self, data: bytes) -> None:
        self.file.write(data)

    def commit(self) -> None:
        flush = getattr(self.file, "flush", None)
        if flush is not None:
            flush()

    def discard(self) -> None:
        pass


def open_sink(target: Any) -> AtomicFile | StreamSink:
    """The sink for ``target``: a path (written atomically) or a binary file object."""
    if isinstance(target, (str, os.PathLike)):
        return AtomicFile(target)
    if hasattr(target, "write"):
        return StreamSink(target)
    raise TypeError(f"output must be a path or a binary file object with write(), "
                    f"got {type(target).__name__}")
