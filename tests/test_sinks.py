"""Nothing lost, nothing hidden: a rejected write changes nothing; any other failure is
reported again by every later call, never a quiet end without a file; a path is written
atomically (unnamed on Linux, so even SIGKILL leaves nothing), checked before any work, and a
full disk ends in OSError with no partial file; a failing source's error reaches the caller."""

from __future__ import annotations

import asyncio
import errno
import io
import os
import signal
import subprocess
import sys
from pathlib import Path

import numpy as np
import pytest
from oracle import pillow_jpeg

import stripjpeg
from stripjpeg import sinks
from stripjpeg.backends.numpy_backend import NumpyBackend
from stripjpeg.cli import main

WIDTH, HEIGHT = 16, 72
PRECIOUS = b"an older file that must survive"
OPTIONS = [dict(quality=90), dict(quality=75, subsampling="4:2:0", restart_rows=0),
           dict(quality=80, optimize=True)]
OPTION_IDS = ["restarts", "serial-420", "optimize"]


@pytest.fixture(autouse=True)
def short_serial_strips(monkeypatch) -> None:
    """Strips of 16 rows without restart markers too (normally 2**18 pixels: one strip for
    these small images), so failures can come after some strips were written."""
    monkeypatch.setattr(stripjpeg.plan, "SERIAL_STRIP_PIXELS", WIDTH * 16)


@pytest.fixture(scope="module")
def pixels() -> np.ndarray:
    return np.random.default_rng(7).integers(0, 256, (HEIGHT, WIDTH, 3), dtype=np.uint8)


class Target:
    """A path (beside an existing file of that name) or a BytesIO, and what it holds."""

    def __init__(self, kind: str, directory: Path) -> None:
        self.kind, self.directory = kind, directory
        if kind == "path":
            self.path = directory / "out.jpg"
            self.path.write_bytes(PRECIOUS)
            self.target = self.path
        else:
            self.target = io.BytesIO()

    def value(self) -> bytes:
        return self.path.read_bytes() if self.kind == "path" else self.target.getvalue()

    def assert_untouched(self) -> None:
        """For a path: the old file intact and nothing else in the directory."""
        if self.kind == "path":
            assert sorted(os.listdir(self.directory)) == ["out.jpg"]
            assert self.path.read_bytes() == PRECIOUS


@pytest.fixture(params=["path", "stream"])
def target(request, tmp_path: Path) -> Target:
    return Target(request.param, tmp_path)


# --- A rejected write changes nothing -----------------------------------------------------------

def rejected_pieces(rows_left: int) -> list[tuple[np.ndarray, type, str]]:
    return [
        (np.zeros((2, WIDTH - 1, 3), np.uint8), ValueError, r"\(n, 16, 3\)"),        # width
        (np.zeros((2, WIDTH, 3), np.float32), TypeError, "dtype uint8"),            # dtype
        (np.zeros((2, WIDTH, 4), np.uint8), ValueError, r"\(n, 16, 3\)"),           # channels
        (np.zeros((2, WIDTH), np.uint8), ValueError, r"\(n, 16, 3\)"),              # shape
        (np.zeros((0, WIDTH, 3), np.uint8), ValueError, "at least one row"),
        (np.zeros((rows_left + 1, WIDTH, 3), np.uint8), ValueError, "too many rows"),
    ]


@pytest.mark.parametrize("options", OPTIONS, ids=OPTION_IDS)
@pytest.mark.parametrize("style", ["with", "explicit"])
def test_a_rejected_write_changes_nothing(pixels, target: Target, options: dict, style: str) -> None:
    encoder = stripjpeg.Encoder(target.target, WIDTH, HEIGHT, **options)

    def write_with_refusals() -> None:
        for start, stop in ((0, 5), (5, 40), (40, HEIGHT)):
            for piece, error, match in rejected_pieces(HEIGHT - start):
                with pytest.raises(error, match=match):
                    encoder.write(piece)
                assert encoder.rows_written == start
            encoder.write(pixels[start:stop])

    if style == "with":
        with encoder:
            write_with_refusals()
    else:
        write_with_refusals()
        encoder.close()
    assert target.value() == stripjpeg.encode(pixels, **options)


def test_stream_cores_refuse_pieces_without_aborting(pixels) -> None:
    """The push cores under every streaming entry point: a refused piece leaves them open."""
    from stripjpeg.encoder import stream_core
    from stripjpeg.options import make_options

    for options in OPTIONS:
        core = stream_core(WIDTH, HEIGHT, "RGB", make_options(**options))
        chunks = [core.header()]
        for piece, error, match in rejected_pieces(HEIGHT):
            with pytest.raises(error, match=match):
                core.feed(piece)
        chunks += core.feed(pixels)
        chunks += core.finish()
        assert b"".join(chunks) == stripjpeg.encode(pixels, **options)


# --- Any other failure is reported by every later call --------------------------------------------

@pytest.fixture
def broken_backend(monkeypatch) -> RuntimeError:
    """The numpy backend's DCT stage quantizes the first strip, then raises on the second."""
    error = RuntimeError("backend broke")
    real = NumpyBackend.forward_dct
    calls = []

    def forward_dct(self, samples, plan, rows):
        calls.append(1)
        if len(calls) > 1:
            raise error
        return real(self, samples, plan, rows)

    monkeypatch.setattr(NumpyBackend, "forward_dct", forward_dct)
    return error


def assert_reports(call, cause: BaseException, leaves: str) -> None:
    with pytest.raises(RuntimeError, match="failed earlier and " + leaves) as info:
        call()
    assert info.value.__cause__ is cause
    assert repr(cause) in str(info.value)


LEAVES = {"path": "wrote no file", "stream": "left an incomplete JPEG in the stream"}


@pytest.mark.parametrize("options", OPTIONS, ids=OPTION_IDS)
def test_a_failed_encoder_says_so_on_every_later_call(pixels, target: Target, options: dict,
                                                      broken_backend: RuntimeError) -> None:
    encoder = stripjpeg.Encoder(target.target, WIDTH, HEIGHT, backend="numpy", workers=1, **options)
    with pytest.raises(RuntimeError) as info:
        for start in range(0, HEIGHT, 8):       # fails at the second strip
            encoder.write(pixels[start:start + 8])
    assert info.value is broken_backend            # the cause itself, unchanged
    leaves = LEAVES[target.kind]
    assert_reports(lambda: encoder.write(pixels[16:]), broken_backend, leaves)
    assert_reports(encoder.close, broken_backend, leaves)
    assert_reports(encoder.close, broken_backend, leaves)  # and again: never a quiet end
    encoder.abort()                                   # harmless, and changes nothing
    assert_reports(encoder.close, broken_backend, leaves)
    target.assert_untouched()


@pytest.mark.parametrize("options", OPTIONS, ids=OPTION_IDS)
def test_leaving_the_with_block_after_a_swallowed_failure_raises(pixels, target: Target, options: dict,
                                                                 broken_backend: RuntimeError) -> None:
    def encode_and_swallow_the_error() -> None:
        with stripjpeg.Encoder(target.target, WIDTH, HEIGHT, backend="numpy", workers=1,
                               **options) as encoder:
            try:
                for start in range(0, HEIGHT, 8):   # fails at the second strip
                    encoder.write(pixels[start:start + 8])
            except RuntimeError:
                pass  # a caller that carries on regardless

    assert_reports(encode_and_swallow_the_error, broken_backend, LEAVES[target.kind])
    target.assert_untouched()


def test_missing_rows_at_close_are_reported_again(pixels, target: Target) -> None:
    encoder = stripjpeg.Encoder(target.target, WIDTH, HEIGHT)
    encoder.write(pixels[:10])
    with pytest.raises(ValueError, match="too few rows") as info:
        encoder.close()
    assert_reports(encoder.close, info.value, LEAVES[target.kind])
    assert_reports(lambda: encoder.write(pixels[10:]), info.value, LEAVES[target.kind])
    target.assert_untouched()


@pytest.mark.parametrize("optimize", [False, True])
def test_close_after_abort_raises(pixels, target: Target, optimize: bool) -> None:
    leaves = LEAVES[target.kind]
    encoder = stripjpeg.Encoder(target.target, WIDTH, HEIGHT, optimize=optimize)
    encoder.write(pixels[:8])
    encoder.abort()
    with pytest.raises(RuntimeError, match="was aborted and " + leaves):
        encoder.write(pixels[8:])
    with pytest.raises(RuntimeError, match="was aborted and " + leaves):
        encoder.close()
    with pytest.raises(RuntimeError, match="was aborted"), \
            stripjpeg.Encoder(target.target, WIDTH, HEIGHT, optimize=optimize) as encoder:
        encoder.write(pixels)
        encoder.abort()
    target.assert_untouched()


def test_abort_after_a_successful_close_changes_nothing(pixels, tmp_path: Path) -> None:
    encoder = stripjpeg.Encoder(tmp_path / "done.jpg", WIDTH, HEIGHT)
    encoder.write(pixels)
    encoder.close()
    encoder.abort()
    encoder.close()
    assert (tmp_path / "done.jpg").read_bytes() == stripjpeg.encode(pixels)
    with pytest.raises(ValueError, match="closed"):
        encoder.write(pixels[:1])


# --- A full disk ------------------------------------------------------------------------------

def fill_the_disk_after(monkeypatch, sink_class: type, writes: int) -> list[int]:
    """``sink_class.write`` works ``writes`` times, then fails as a full disk does; clear
    the list returned to start counting again."""
    real = sink_class.write
    done = []

    def write(self, data: bytes) -> None:
        if len(done) >= writes:
            raise OSError(errno.ENOSPC, os.strerror(errno.ENOSPC))
        done.append(len(data))
        real(self, data)

    monkeypatch.setattr(sink_class, "write", write)
    return done


@pytest.mark.parametrize("options", OPTIONS, ids=OPTION_IDS)
def test_a_full_disk_is_an_os_error_and_leaves_no_file(pixels, target: Target, options: dict,
                                                       monkeypatch) -> None:
    sink_class = sinks.AtomicFile if target.kind == "path" else sinks.StreamSink
    writes = fill_the_disk_after(monkeypatch, sink_class, writes=2)
    with pytest.raises(OSError) as info:
        stripjpeg.save(target.target, pixels, **options)
    assert info.value.errno == errno.ENOSPC
    target.assert_untouched()

    writes.clear()
    encoder = stripjpeg.Encoder(target.target, WIDTH, HEIGHT, **options)
    with pytest.raises(OSError) as info:
        for start in range(0, HEIGHT, 4):
            encoder.write(pixels[start:start + 4])
        encoder.close()
    assert info.value.errno == errno.ENOSPC
    assert_reports(encoder.close, info.value, LEAVES[target.kind])
    target.assert_untouched()


@pytest.fixture
def small_disk(tmp_path: Path):
    """A real 256 KiB tmpfs mounted in the test's directory (needs root on Linux)."""
    if sys.platform != "linux" or os.geteuid() != 0:
        pytest.skip("mounting a small tmpfs needs root on Linux")
    directory = tmp_path / "disk"
    directory.mkdir()
    subprocess.run(["mount", "-t", "tmpfs", "-o", "size=256k", "tmpfs", str(directory)], check=True)
    try:
        yield directory
    finally:
        subprocess.run(["umount", str(directory)], check=True)


def free_blocks(directory: Path) -> int:
    return os.statvfs(directory).f_bfree


@pytest.mark.parametrize("unnamed", [True, False], ids=["unnamed", "named"])
def test_a_really_full_disk(small_disk: Path, monkeypatch, unnamed: bool) -> None:
    if not unnamed:
        monkeypatch.delattr(os, "O_TMPFILE", raising=False)
    noise = np.random.default_rng(1).integers(0, 256, (320, 320, 3), dtype=np.uint8)
    assert len(stripjpeg.encode(noise, 100)) > 256 * 1024   # cannot fit
    old = small_disk / "old.jpg"
    old.write_bytes(PRECIOUS)
    free = free_blocks(small_disk)
    with pytest.raises(OSError) as info:
        stripjpeg.save(old, noise, quality=100)
    assert info.value.errno == errno.ENOSPC
    assert os.listdir(small_disk) == ["old.jpg"] and old.read_bytes() == PRECIOUS
    assert free_blocks(small_disk) == free           # the temporary file's space is freed

    with pytest.raises(OSError) as info, stripjpeg.Encoder(old, 320, 320, quality=100) as encoder:
        for start in range(0, 320, 16):
            encoder.write(noise[start:start + 16])
    assert info.value.errno == errno.ENOSPC
    assert os.listdir(small_disk) == ["old.jpg"] and old.read_bytes() == PRECIOUS
    assert free_blocks(small_disk) == free


# --- The temporary file: unnamed on Linux, named elsewhere ---------------------------------------

def refuse_unnamed_files(monkeypatch) -> None:
    """A filesystem that refuses O_TMPFILE (as some network filesystems do)."""
    real = os.open

    def open_(path, flags, *args, **kwargs):
        if flags & os.O_TMPFILE == os.O_TMPFILE:
            raise OSError(errno.EOPNOTSUPP, os.strerror(errno.EOPNOTSUPP), path)
        return real(path, flags, *args, **kwargs)

    monkeypatch.setattr(os, "open", open_)


@pytest.mark.parametrize("how", ["unnamed", "no O_TMPFILE", "refused"])
def test_both_kinds_of_temporary_file_give_the_right_file_and_mode(pixels, tmp_path: Path,
                                                                   monkeypatch, how: str) -> None:
    if how == "unnamed" and sys.platform != "linux":
        pytest.skip("unnamed temporary files (O_TMPFILE) exist on Linux only")
    if how == "no O_TMPFILE":
        monkeypatch.delattr(os, "O_TMPFILE", raising=False)
    elif how == "refused":
        refuse_unnamed_files(monkeypatch)
    umask = sinks.current_umask()
    expected = stripjpeg.encode(pixels, 85)
    assert expected == pillow_jpeg(pixels, 85)

    with stripjpeg.Encoder(tmp_path / "new.jpg", WIDTH, HEIGHT, quality=85) as encoder:
        encoder.write(pixels[:8])
        during = sorted(os.listdir(tmp_path))
        encoder.write(pixels[8:])
    if how == "unnamed":
        assert during == []                  # nothing to leave behind if the process dies
    else:
        assert len(during) == 1 and during[0].startswith(".new.jpg.") and during[0].endswith(".part")
    assert (tmp_path / "new.jpg").read_bytes() == expected
    assert (tmp_path / "new.jpg").stat().st_mode & 0o7777 == 0o666 & ~umask

    existing = tmp_path / "existing.jpg"
    existing.write_bytes(PRECIOUS)
    existing.chmod(0o640)
    stripjpeg.save(existing, pixels, quality=85)
    assert existing.read_bytes() == expected and existing.stat().st_mode & 0o7777 == 0o640
    # A read-only file is replaced too (a rename needs only the directory to be writable),
    # and the new file stays read-only.
    existing.chmod(0o444)
    stripjpeg.save(existing, pixels[::-1].copy(), quality=85)
    assert existing.read_bytes() == stripjpeg.encode(pixels[::-1].copy(), 85)
    assert existing.stat().st_mode & 0o7777 == 0o444
    assert sorted(os.listdir(tmp_path)) == ["existing.jpg", "new.jpg"]


KILLED_WRITER = """
import os, sys, time
import numpy as np
if sys.argv[2] == "named":
    del os.O_TMPFILE
import stripjpeg

rows = np.random.default_rng(0).integers(0, 256, (8, 512, 3), dtype=np.uint8)
with stripjpeg.Encoder(sys.argv[1], 512, 8 * 5000, quality=90, backend="numpy", workers=1) as encoder:
    for count in range(5000):
        encoder.write(rows)
        if count == 3:
            print("started", flush=True)
        time.sleep(0.01)
"""


@pytest.mark.parametrize("sig, how", [(signal.SIGKILL, "unnamed"), (signal.SIGINT, "unnamed"),
                                      (signal.SIGINT, "named")], ids=["SIGKILL", "SIGINT", "SIGINT-named"])
def test_a_killed_or_interrupted_save_leaves_only_the_old_file(tmp_path: Path, sig: int, how: str) -> None:
    if sys.platform != "linux":
        pytest.skip("unnamed temporary files (O_TMPFILE) and these signals are tested on Linux")
    old = tmp_path / "big.jpg"
    old.write_bytes(PRECIOUS)
    root = str(Path(__file__).resolve().parent.parent)
    env = {**os.environ, "PYTHONPATH": os.pathsep.join([root, os.environ.get("PYTHONPATH", "")])}
    process = subprocess.Popen([sys.executable, "-c", KILLED_WRITER, str(old), how], env=env,
                               stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True)
    try:
        assert process.stdout.readline() == "started\n", process.stderr.read()
        during = sorted(os.listdir(tmp_path))
        process.send_signal(sig)
        process.wait(timeout=60)
    finally:
        if process.poll() is None:
            process.kill()
            process.wait()
    assert process.returncode != 0
    if how == "unnamed":
        assert during == ["big.jpg"]
    else:
        assert len(during) == 2                # the named temporary file was there...
    assert os.listdir(tmp_path) == ["big.jpg"]  # ...and is gone; nothing else is left
    assert old.read_bytes() == PRECIOUS


# --- The destination is checked before any work --------------------------------------------------

class Untouchable:
    """Pixels that fail the test if anything reads them."""

    shape = (HEIGHT, WIDTH, 3)
    dtype = np.dtype(np.uint8)

    def __array__(self, *args, **kwargs):
        raise AssertionError("the pixels were read before the destination was checked")


def bad_destinations(tmp_path: Path) -> list[tuple[str, type, int, str]]:
    (tmp_path / "isdir").mkdir()
    (tmp_path / "afile.jpg").write_bytes(PRECIOUS)
    return [
        ("", FileNotFoundError, errno.ENOENT, "the output path is empty"),
        (str(tmp_path / "isdir"), IsADirectoryError, errno.EISDIR, "it is a directory"),
        (str(tmp_path / "new") + os.sep, IsADirectoryError, errno.EISDIR, "it is a directory"),
        (str(tmp_path / "missing" / "x.jpg"), FileNotFoundError, errno.ENOENT, "does not exist"),
        (str(tmp_path / "afile.jpg" / "x.jpg"), NotADirectoryError, errno.ENOTDIR, "is not a directory"),
    ]


def listing(directory: Path) -> list[str]:
    return sorted(str(p.relative_to(directory)) for p in directory.rglob("*"))


def test_bad_destinations_are_refused_before_any_work(tmp_path: Path, monkeypatch) -> None:
    work = tmp_path / "work" / "here"
    work.mkdir(parents=True)
    monkeypatch.chdir(work)  # save("") once wrote its temporary file in the parent, tmp_path/work
    cases = bad_destinations(tmp_path)
    before = listing(tmp_path)
    for path, error, code, words in cases:
        for attempt in (lambda p: stripjpeg.save(p, Untouchable()),
                        lambda p: stripjpeg.save(p, Untouchable(), optimize=True),
                        lambda p: stripjpeg.Encoder(p, WIDTH, HEIGHT, optimize=True),
                        lambda p: stripjpeg.Encoder(p, WIDTH, HEIGHT)):
            with pytest.raises(error) as info:
                attempt(path)
            assert info.value.errno == code and info.value.filename == path
            assert words in str(info.value) and repr(path) in str(info.value)
        assert listing(tmp_path) == before, path


@pytest.fixture
def unwritable_directory(tmp_path: Path):
    """A directory this process cannot write into: a read-only tmpfs as root, else mode 0500."""
    directory = tmp_path / "locked"
    directory.mkdir()
    if os.geteuid() == 0:
        if sys.platform != "linux":
            pytest.skip("root writes anywhere; a read-only mount is made on Linux only")
        subprocess.run(["mount", "-t", "tmpfs", "-o", "ro,size=64k", "tmpfs", str(directory)], check=True)
        yield directory
        subprocess.run(["umount", str(directory)], check=True)
    else:
        directory.chmod(0o500)
        yield directory
        directory.chmod(0o700)


def test_an_unwritable_directory_is_refused_before_any_work(unwritable_directory: Path) -> None:
    path = str(unwritable_directory / "x.jpg")
    for attempt in (lambda: stripjpeg.save(path, Untouchable()),
                    lambda: stripjpeg.Encoder(path, WIDTH, HEIGHT)):
        with pytest.raises(PermissionError, match="is not writable") as info:
            attempt()
        assert info.value.filename == path
    assert os.listdir(unwritable_directory) == []


@pytest.mark.parametrize("case", range(5))
def test_the_cli_checks_the_output_before_reading_the_input(tmp_path: Path, capsys, case: int) -> None:
    path, _, _, words = bad_destinations(tmp_path)[case]
    # The input does not exist either: the output's error comes first, before any reading.
    assert main(["encode", str(tmp_path / "missing.png"), "-o", path]) == 2
    err = capsys.readouterr().err
    assert err.startswith("stripjpeg: error: ") and err.count("\n") == 1
    assert words in err and repr(path) in err and "Traceback" not in err


# --- A failing source: its own error, and what a stream holds then --------------------------------

def camera(pixels: np.ndarray, error: Exception):
    yield pixels[:8]
    yield pixels[8:16]
    raise error


@pytest.mark.parametrize("optimize", [False, True])
def test_a_failing_source_reaches_the_caller_unchanged(pixels, tmp_path: Path, optimize: bool) -> None:
    error = RuntimeError("camera unplugged")
    expected = stripjpeg.encode(pixels, optimize=optimize)

    emitted = []
    with pytest.raises(RuntimeError) as info:
        for chunk in stripjpeg.iter_encode(camera(pixels, error), width=WIDTH, height=HEIGHT,
                                           optimize=optimize):
            emitted.append(chunk)
    assert info.value is error
    def assert_started(emitted: bytes) -> None:
        if optimize:
            assert emitted == b""                    # the tables come at the end
        else:  # the headers and the strips done so far (how many depends on the threads)
            assert 500 < len(emitted) < len(expected) and emitted == expected[:len(emitted)]

    assert_started(b"".join(emitted))

    buffer = io.BytesIO()
    with pytest.raises(RuntimeError) as info, \
            stripjpeg.Encoder(buffer, WIDTH, HEIGHT, optimize=optimize) as encoder:
        for rows in camera(pixels, error):
            encoder.write(rows)
    assert info.value is error
    assert_started(buffer.getvalue())             # a stream holds what was ready

    old = tmp_path / "old.jpg"
    old.write_bytes(PRECIOUS)
    with pytest.raises(RuntimeError) as info, \
            stripjpeg.Encoder(old, WIDTH, HEIGHT, optimize=optimize) as encoder:
        for rows in camera(pixels, error):
            encoder.write(rows)
    assert info.value is error
    assert os.listdir(tmp_path) == ["old.jpg"] and old.read_bytes() == PRECIOUS

    async def async_camera():
        for rows in camera(pixels, error):
            yield rows

    for source in (camera(pixels, error), async_camera()):
        with pytest.raises(RuntimeError) as info:
            asyncio.run(stripjpeg.encode_async(source, width=WIDTH, height=HEIGHT, optimize=optimize))
        assert info.value is error
