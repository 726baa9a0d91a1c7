"""Sinks: where the encoded bytes go.

* :class:`AtomicFile` for a path: the bytes go to a temporary file in the same directory,
  which replaces the path only once the encode has succeeded, so a failed encode leaves any
  existing file untouched and no stray file.
* :class:`StreamSink` for a caller's binary file object, written as the data is ready.

Both have ``write(data)``, ``commit()`` (the encode succeeded) and ``discard()`` (it failed);
:func:`open_sink` picks one for a target, and checks a path first (:func:`check_destination`),
before any pixel is encoded.

The temporary file, on Linux, has no name at all while it is written (``O_TMPFILE``): if the
process is killed (SIGKILL, a power cut), the kernel frees it and nothing is left in the
directory. It gets a name only at the end, for the moment between linking it into the
directory and renaming it over the path. Where unnamed files are not available (another
system, an older kernel, a filesystem that refuses them), it is a named hidden file,
``.NAME.xxxxxxxx.part``, removed on any failure Python sees, but left behind by a SIGKILL.
"""

from __future__ import annotations

import errno
import os
import secrets
import tempfile
import weakref
from typing import IO, Any, BinaryIO

#: errno values with which ``open(O_TMPFILE)`` says the kernel or the filesystem cannot make
#: unnamed files (a kernel without O_TMPFILE sees O_DIRECTORY | O_WRONLY: EISDIR).
_NO_UNNAMED_FILES = frozenset({errno.EOPNOTSUPP, errno.ENOTSUP, errno.EISDIR, errno.EINVAL})

#: Where a process's open files appear as links that ``linkat`` can follow (Linux's procfs).
_FD_LINKS = "/proc/self/fd"


def check_destination(path: str | os.PathLike) -> str:
    """Check that a file can be written at ``path``, before any work is done for it.

    The path must be non-empty, must not be (or end like) a directory, and its directory
    must exist and be writable. An existing file there may be read-only: it is replaced by
    a rename, which needs only the directory to be writable (as ``mv`` does), and the new
    file keeps its permission bits.

    Returns:
        ``path`` as a str.

    Raises:
        OSError: the subclass ``open(path, "wb")`` would raise, with ``filename`` the path as
            given: FileNotFoundError (empty path, or no such directory), IsADirectoryError,
            NotADirectoryError (the "directory" is a file), PermissionError (the directory
            is not writable).
    """
    path = os.fspath(path)
    if not path:
        raise FileNotFoundError(errno.ENOENT, "the output path is empty", path)
    if path.endswith(os.sep) or (os.altsep and path.endswith(os.altsep)) or os.path.isdir(path):
        raise IsADirectoryError(errno.EISDIR, "it is a directory", path)
    directory = os.path.dirname(os.path.abspath(path))
    shown = os.path.dirname(path) or os.curdir
    if not os.path.isdir(directory):
        if os.path.exists(directory):
            raise NotADirectoryError(errno.ENOTDIR, f"{shown!r} is not a directory", path)
        raise FileNotFoundError(errno.ENOENT, f"the directory {shown!r} does not exist", path)
    if not os.access(directory, os.W_OK | os.X_OK):
        raise PermissionError(errno.EACCES, f"the directory {shown!r} is not writable", path)
    return path


class AtomicFile:
    """Writes to a temporary file beside ``path`` and renames it over ``path`` only on
    success, so a failed encode leaves any existing file untouched and no stray file.

    Raises (on creation): OSError as :func:`check_destination` describes, or the error of
    creating the temporary file, with ``filename`` the path as given.
    """

    #: What a failed encode leaves, for error messages.
    failure_leaves = "wrote no file"

    def __init__(self, path: str | os.PathLike) -> None:
        self.path = check_destination(path)
        self.directory = os.path.dirname(os.path.abspath(self.path))
        self._prefix = f".{os.path.basename(self.path)}."
        # Names the temporary file has had (none while it is unnamed), removed on failure.
        self._names: list[str] = []
        try:
            fd = _open_unnamed(self.directory)
            if fd is None:
                fd, name = tempfile.mkstemp(prefix=self._prefix, suffix=".part", dir=self.directory)
                self._names.append(name)
        except OSError as error:
            raise _naming(error, self.path) from error
        self.unnamed = not self._names
        self.file: BinaryIO = os.fdopen(fd, "wb")
        # If the Encoder is dropped unclosed, the file is still closed (an unnamed one's space
        # is then freed) and any name of it removed.
        self._finalizer = weakref.finalize(self, _close_and_remove, self.file, self._names)

    def write(self, data: bytes) -> None:
        self.file.write(data)

    def commit(self) -> None:
        """Give the file its permission bits, make it durable, and move it over the path."""
        self.file.flush()
        fd = self.file.fileno()
        # The temporary file is readable by its owner only; give it the mode any new file
        # would get (0666 less the umask), or keep the mode of the file it replaces.
        os.chmod(fd if self.unnamed else self._names[0], mode_for(self.path))
        os.fsync(fd)
        if self.unnamed:
            self._link_into_directory(fd)
        self.file.close()
        try:
            os.replace(self._names[-1], self.path)
        except OSError as error:
            raise _naming(error, self.path) from error
        self._finalizer.detach()
        _sync_directory(self.directory)

    def discard(self) -> None:
        """Close and remove the temporary file (an unnamed one's space is freed at once)."""
        self._finalizer()

    def _link_into_directory(self, fd: int) -> None:
        # A fresh hidden name, since os.link cannot replace: rename does that, atomically.
        directory_fd = os.open(self.directory, os.O_RDONLY)
        try:
            for _ in range(100):
                name = f"{self._prefix}{secrets.token_hex(4)}.part"
                try:
                    # dst_dir_fd makes os.link call linkat, which follows the /proc link to
                    # the open file (plain link() would try to link the symlink itself).
                    os.link(f"{_FD_LINKS}/{fd}", name, dst_dir_fd=directory_fd, follow_symlinks=True)
                except FileExistsError:
                    continue
                self._names.append(os.path.join(self.directory, name))
                return
        finally:
            os.close(directory_fd)
        raise FileExistsError(errno.EEXIST, "no free temporary name beside it", self.path)


def _open_unnamed(directory: str) -> int | None:
    """An unnamed file in ``directory`` open for writing, or None where there are none."""
    flag = getattr(os, "O_TMPFILE", None)
    if flag is None or not os.path.isdir(_FD_LINKS):
        return None
    try:
        return os.open(directory, flag | os.O_WRONLY, 0o600)
    except OSError as error:
        if error.errno in _NO_UNNAMED_FILES:
            return None
        raise


def _sync_directory(directory: str) -> None:
    """Make the rename itself durable: on POSIX systems, fsync the directory."""
    if os.name != "posix":
        return
    fd = os.open(directory, os.O_RDONLY)
    try:
        os.fsync(fd)
    except OSError as error:
        if error.errno not in (errno.EINVAL, errno.ENOTSUP):  # a filesystem that cannot
            raise
    finally:
        os.close(fd)


def _naming(error: OSError, path: str) -> OSError:
    """The same error about the user's path rather than an internal temporary name."""
    return type(error)(error.errno, error.strerror, path)


def mode_for(path: str) -> int:
    """The permission bits a file written at ``path`` should have: those of the file it
    replaces, else what a newly created file gets (0666 less the process's umask)."""
    try:
        return os.stat(path).st_mode & 0o7777
    except FileNotFoundError:
        return 0o666 & ~current_umask()


def current_umask() -> int:
    """The process's umask."""
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


def _close_and_remove(file: IO[bytes], names: list[str]) -> None:
    try:
        file.close()
    except OSError:
        # Closing flushes what is buffered, which fails again on a full disk; the
        # descriptor is closed all the same, which frees an unnamed file's space.
        pass
    for name in names:
        try:
            os.unlink(name)
        except FileNotFoundError:
            pass


class StreamSink:
    """Writes to a caller's binary file object; the caller keeps it open and owns it.

    Data is written as it is ready, so a failed encode leaves what was written so far in
    the stream (the caller decides what to do with it).
    """

    #: What a failed encode leaves, for error messages.
    failure_leaves = "left an incomplete JPEG in the stream"

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
    """The sink for ``target``: a path (checked, then written atomically) or a binary file
    object with ``write()``.

    Raises:
        TypeError: neither. OSError: a path that cannot be written (see :func:`check_destination`).
    """
    if isinstance(target, (str, os.PathLike)):
        return AtomicFile(target)
    if hasattr(target, "write"):
        return StreamSink(target)
    raise TypeError(f"output must be a path or a binary file object with write(), "
                    f"got {type(target).__name__}")
