"""Streaming at scale: every entry point and executor writes the same bytes; async keeps the
loop responsive; dask arrays are computed strip by strip (on the workers with a Dask
client); threads get views, not copies; progress never changes the bytes."""

from __future__ import annotations

import asyncio
import concurrent.futures
import gc
import io
import os
import tempfile
import time

import numpy as np
import pytest
from oracle import photo, pillow_jpeg

import stripjpeg
import stripjpeg.tasks
from stripjpeg import backends
from stripjpeg.backends import StageTable
from stripjpeg.backends.numpy_backend import NumpyBackend


@pytest.fixture(scope="module")
def picture() -> np.ndarray:
    return np.ascontiguousarray(photo("coffee")[:203, :301])


def pieces(pixels: np.ndarray, size: int):
    for start in range(0, pixels.shape[0], size):
        yield pixels[start:start + size]


# --- encode_async -------------------------------------------------------------------------------

@pytest.mark.parametrize("options", [dict(), dict(quality=80, subsampling="4:2:0", restart_rows=0),
                                     dict(quality=60, optimize=True)])
def test_encode_async_equals_encode(picture: np.ndarray, options: dict) -> None:
    async def source():
        for piece in pieces(picture, 13):
            await asyncio.sleep(0)
            yield piece

    expected = stripjpeg.encode(picture, **options)
    assert expected == pillow_jpeg(picture, options.get("quality", 100), options.get("subsampling", "4:4:4"),
                                   options.get("restart_rows", 1), optimize=options.get("optimize", False))
    height, width = picture.shape[:2]
    from_async = asyncio.run(stripjpeg.encode_async(source(), width=width, height=height, **options))
    from_plain = asyncio.run(stripjpeg.encode_async(pieces(picture, 50), width=width, height=height,
                                                    **options))
    assert from_async == from_plain == expected


@pytest.mark.parametrize("backend_name", backends.available())
def test_encode_async_keeps_the_event_loop_responsive(backend_name: str) -> None:
    pixels = np.ascontiguousarray(np.tile(photo("astronaut"), (4, 4, 1)))  # 2048 x 2048
    gaps = []

    async def ticker(stop: asyncio.Event) -> None:
        last = time.perf_counter()
        while not stop.is_set():
            await asyncio.sleep(0.005)
            now = time.perf_counter()
            gaps.append(now - last)
            last = now

    async def main() -> bytes:
        stop = asyncio.Event()
        tick = asyncio.create_task(ticker(stop))
        data = await stripjpeg.encode_async(pieces(pixels, 256), width=2048, height=2048, quality=90,
                                            backend=backend_name)
        stop.set()
        await tick
        return data

    # Measure the encoder's stalls, not a collection of the whole test session's heap:
    # freeze what exists now so the cyclic GC does not walk it during the run.
    gc.collect()
    gc.freeze()
    try:
        data = asyncio.run(main())
    finally:
        gc.unfreeze()
    assert data == stripjpeg.encode(pixels, 90)
    # The loop kept ticking while the image was encoded (the encode takes tens of
    # milliseconds, so only a few 5 ms ticks are certain; the bound on the gaps is the test).
    assert len(gaps) >= 2
    assert max(gaps) < 0.1, f"the event loop stalled for {max(gaps) * 1000:.0f} ms"


def test_encode_async_errors_are_raised_and_clean(picture: np.ndarray) -> None:
    with pytest.raises(ValueError, match="too few rows"):
        asyncio.run(stripjpeg.encode_async(pieces(picture[:100], 30), width=301, height=203))
    with pytest.raises(TypeError, match="dtype uint8"):
        asyncio.run(stripjpeg.encode_async([picture.astype(float)], width=301, height=203))


# --- executors ----------------------------------------------------------------------------------

@pytest.mark.parametrize("backend_name", backends.available())
def test_process_pool_gives_the_same_bytes(picture: np.ndarray, backend_name: str) -> None:
    expected = pillow_jpeg(picture, 85, "4:2:2")
    with concurrent.futures.ProcessPoolExecutor(2) as pool:
        assert stripjpeg.encode(picture, 85, "4:2:2", backend=backend_name, executor=pool) == expected
        height, width = picture.shape[:2]
        chunks = stripjpeg.iter_encode(pieces(picture, 7), width=width, height=height, quality=85,
                                       subsampling="4:2:2", backend=backend_name, executor=pool)
        assert b"".join(chunks) == expected


class SpyBackend(NumpyBackend):
    """Records the strips it is given, to check they are views of the caller's array."""

    name = "numpy"

    def __init__(self) -> None:
        self.seen: list[np.ndarray] = []

    def prepare_samples(self, pixels: np.ndarray, plan) -> list[np.ndarray]:
        self.seen.append(pixels)
        return super().prepare_samples(pixels, plan)


def test_threads_get_views_not_copies(picture: np.ndarray, monkeypatch) -> None:
    spy = SpyBackend()
    monkeypatch.setitem(backends._instances, "numpy", spy)
    data = stripjpeg.encode(picture, 90, backend="numpy", workers=2)
    assert data == pillow_jpeg(picture, 90)
    assert len(spy.seen) == -(-203 // 8)
    assert all(np.shares_memory(strip, picture) for strip in spy.seen)


def test_thread_tasks_batch_strips_by_pixels() -> None:
    from stripjpeg.options import make_options
    from stripjpeg.plan import make_plan
    from stripjpeg.scheduler import THREAD_BATCH_PIXELS, batch_size

    with concurrent.futures.ThreadPoolExecutor(2) as pool:
        wide = make_plan(4096, 4096, 3, make_options())           # 512 strips of 4096 x 8
        assert batch_size(wide, pool, 2) == THREAD_BATCH_PIXELS // (4096 * 8) == 16
        assert batch_size(wide, None, 1) == 1                     # inline: one at a time,
        assert batch_size(wide, None, 1, strips_stay_valid=True) == 16  # unless they stay valid
        short = make_plan(4096, 40, 3, make_options())            # 5 strips: no batching
        assert batch_size(short, pool, 2) == 1
        huge = make_plan(65535, 64, 3, make_options())            # one strip over the limit
        assert batch_size(huge, pool, 2) == 1


def test_default_workers_follow_the_backend() -> None:
    """workers=None: every core for numba (its kernels release the GIL), one thread for
    NumPy (which holds it); an explicit count is always obeyed."""
    from stripjpeg.encoder import StripEncoder
    from stripjpeg.options import make_options
    from stripjpeg.scheduler import default_workers

    def executor_threads(**options) -> int:
        core = StripEncoder(64, 64, "RGB", make_options(**options))
        try:
            return 1 if core.executor is None else core.executor._max_workers
        finally:
            core.abort()

    assert executor_threads(backend="numpy") == 1
    assert executor_threads(backend="numpy", workers=2) == 2
    if "numba" in backends.available():
        assert executor_threads(backend="numba") == default_workers()


def test_batched_thread_tasks_give_the_same_bytes(picture: np.ndarray, monkeypatch) -> None:
    from stripjpeg import scheduler

    expected = pillow_jpeg(picture, 80, "4:2:0")
    for size in (3, 5):  # batches that do not divide the strip count
        monkeypatch.setattr(scheduler, "batch_size", lambda *args, n=size, **options: n)
        assert stripjpeg.encode(picture, 80, "4:2:0", workers=2) == expected
        height, width = picture.shape[:2]
        chunks = stripjpeg.iter_encode(pieces(picture, 5), width=width, height=height, quality=80,
                                       subsampling="4:2:0", workers=2)
        assert b"".join(chunks) == expected


# --- dask ---------------------------------------------------------------------------------------

# The optional packages are imported by the fixtures of the tests that use them, so that a
# machine without them skips only these tests (a failure in CI: tests/conftest.py).

@pytest.fixture(scope="module")
def dask_array():
    return pytest.importorskip("dask.array")


@pytest.fixture(scope="module")
def distributed():
    return pytest.importorskip("distributed")


@pytest.fixture(scope="module")
def client(distributed):
    cluster = distributed.LocalCluster(n_workers=2, threads_per_worker=1, processes=True,
                                       dashboard_address=None, silence_logs=40)
    with distributed.Client(cluster) as dask_client:
        yield dask_client
    cluster.close()


def only_on_a_worker(block: np.ndarray) -> np.ndarray:
    """Raises unless computed inside a Dask worker: proves strips are computed remotely."""
    import distributed

    distributed.get_worker()  # ValueError outside a worker
    return block


def test_dask_cluster_executor_gives_the_same_bytes(picture: np.ndarray, client) -> None:
    expected = pillow_jpeg(picture, 75, "4:2:0")
    executor = client.get_executor()
    assert stripjpeg.encode(picture, 75, "4:2:0", executor=executor) == expected
    assert stripjpeg.encode(picture, 75, "4:2:0", executor=executor, progressive=True) == \
        pillow_jpeg(picture, 75, "4:2:0", progressive=True)


def test_dask_array_strips_are_computed_and_encoded_on_the_workers(picture: np.ndarray, client, dask_array,
                                                                   monkeypatch) -> None:
    lazy = dask_array.from_array(picture, chunks=(50, 301, 3)).map_blocks(only_on_a_worker, dtype=np.uint8)

    def not_here(strip):
        raise AssertionError("a strip was computed in the client process")

    # Only this process is patched: the workers (other processes) compute and encode.
    monkeypatch.setattr(stripjpeg.encoder, "materialize", not_here)
    monkeypatch.setattr(stripjpeg.tasks, "materialize", not_here)
    monkeypatch.setattr(stripjpeg.tasks, "materialize_all", not_here)
    monkeypatch.setattr(stripjpeg.optimize, "materialize", not_here)
    monkeypatch.setattr(stripjpeg.progressive_encoder, "materialize", not_here)
    expected = pillow_jpeg(picture, 75, "4:2:0")
    assert stripjpeg.encode(lazy, 75, "4:2:0", executor=client.get_executor()) == expected
    assert stripjpeg.encode(lazy, 75, "4:2:0", executor=client.get_executor(), optimize=True) == \
        pillow_jpeg(picture, 75, "4:2:0", optimize=True)
    # Progressive: the workers transform the strips; only their blocks come back, to the spool.
    assert stripjpeg.encode(lazy, 75, "4:2:0", executor=client.get_executor(), progressive=True) == \
        pillow_jpeg(picture, 75, "4:2:0", progressive=True)
    with pytest.raises(AssertionError, match="client process"):
        stripjpeg.encode(lazy, 75, "4:2:0", workers=1)  # inline: would compute here


def test_dask_array_without_a_cluster_is_read_strip_by_strip(picture: np.ndarray, dask_array) -> None:
    computed_rows = []

    def record(block: np.ndarray) -> np.ndarray:
        computed_rows.append(block.shape[0])
        return block

    lazy = dask_array.from_array(picture[:, :, 0].copy(), chunks=(8, 301)).map_blocks(record, dtype=np.uint8)
    assert stripjpeg.encode(lazy, 90, restart_rows=0, workers=1) == pillow_jpeg(picture[:, :, 0], 90,
                                                                                 restart_rows=0)
    assert max(computed_rows) <= 8  # never the whole image at once
    with pytest.raises(TypeError, match="dtype uint8"):
        stripjpeg.encode(dask_array.zeros((16, 16, 3), dtype=np.float32))


# --- progress -----------------------------------------------------------------------------------

def test_progress_bar_counts_rows_and_changes_nothing(picture: np.ndarray, capsys) -> None:
    pytest.importorskip("tqdm")
    data = stripjpeg.encode(picture, 90, progress=True)
    err = capsys.readouterr().err
    assert "203/203" in err and "row" in err
    assert data == pillow_jpeg(picture, 90)
    height, width = picture.shape[:2]
    chunks = stripjpeg.iter_encode(pieces(picture, 9), width=width, height=height, quality=90,
                                   progress=True, restart_rows=0)
    assert b"".join(chunks) == pillow_jpeg(picture, 90, restart_rows=0)
    assert "203/203" in capsys.readouterr().err


def test_memmap_source_is_read_in_place(tmp_path, picture: np.ndarray) -> None:
    np.save(tmp_path / "p.npy", picture)
    mapped = np.load(tmp_path / "p.npy", mmap_mode="r")
    assert stripjpeg.encode(mapped, 70, "4:2:0") == pillow_jpeg(picture, 70, "4:2:0")


def test_offsets_past_4_gib_stay_exact(picture: np.ndarray) -> None:
    """Output over 4 GiB: nothing counts bytes in 32 bits. Writing 4 GiB in a test would take
    minutes, so the byte counter starts just below 2**32 (white box), and the offsets must
    continue past it exactly as they run from 0."""
    height, width = picture.shape[:2]
    from stripjpeg.encoder import stream_core
    from stripjpeg.options import make_options

    reference = stream_core(width, height, "RGB", make_options(quality=80))
    shifted = stream_core(width, height, "RGB", make_options(quality=80))
    start = 2**32 - 1000
    shifted.bytes_out = start
    outputs = []
    for core in (reference, shifted):
        chunks = [core.header(), *core.feed(picture), *core.finish()]
        outputs.append(b"".join(chunks))
    assert outputs[0] == outputs[1]
    assert shifted.bytes_out == reference.bytes_out + start > 2**32
    assert shifted.restart_offsets == [offset + start for offset in reference.restart_offsets]
    assert max(shifted.restart_offsets) > 2**32


def test_inline_encoding_of_an_array_batches_strips(picture: np.ndarray, monkeypatch) -> None:
    """workers=1 on a whole array: strips stay valid until the encode returns, so they go to
    the backend in batches (one kernel call each for numba); pushed rows, which the caller
    may reuse, go one strip at a time."""
    seen: list[int] = []
    real = StageTable.encode_strips

    def spy(self, strips, plan):
        seen.append(len(strips))
        return real(self, strips, plan)

    monkeypatch.setattr(StageTable, "encode_strips", spy)
    expected = pillow_jpeg(picture, 85)
    assert stripjpeg.encode(picture, 85, backend="numpy", workers=1) == expected
    assert sum(seen) == -(-picture.shape[0] // 8) and max(seen) > 1
    seen.clear()
    chunks = stripjpeg.iter_encode(pieces(picture, 40), width=picture.shape[1], height=picture.shape[0],
                                   mode="RGB", quality=85, backend="numpy", workers=1)
    assert b"".join(chunks) == expected
    assert set(seen) == {1}


# --- the optimize=True spool --------------------------------------------------------------------

class SpoolSpy:
    """Wraps ``tempfile.TemporaryFile``: records the ``dir`` and the file of each call that
    makes a spool (others, such as numba's cache writes, are only passed through)."""

    def __init__(self, monkeypatch) -> None:
        self.calls: list[tuple[object, object]] = []
        self._create = tempfile.TemporaryFile
        monkeypatch.setattr(tempfile, "TemporaryFile", self)

    def __call__(self, *args, **kwargs):
        file = self._create(*args, **kwargs)
        if kwargs.get("prefix") == "stripjpeg-spool-":
            self.calls.append((kwargs.get("dir"), file))
        return file

    @property
    def dirs(self) -> list[object]:
        return [directory for directory, _ in self.calls]


def test_spool_is_created_in_spool_dir(picture: np.ndarray, tmp_path, monkeypatch) -> None:
    spool_dir = tmp_path / "spool"
    spool_dir.mkdir()
    spy = SpoolSpy(monkeypatch)
    height, width = picture.shape[:2]
    expected = pillow_jpeg(picture, 80, "4:2:0", optimize=True)
    output = io.BytesIO()
    encoder = stripjpeg.Encoder(output, width, height, quality=80, subsampling="4:2:0",
                                optimize=True, spool_dir=spool_dir, spool_budget=0)
    encoder.write(picture[:100])
    assert spy.dirs == [str(spool_dir)]
    if os.path.isdir("/proc/self/fd"):
        # Where the open spool really is (Linux names the nameless file "DIR/#n (deleted)").
        spool = spy.calls[0][1]
        target = os.readlink(f"/proc/self/fd/{spool.fileno()}")
        assert os.path.dirname(target) == os.path.realpath(spool_dir)
    encoder.write(picture[100:])
    encoder.close()
    assert output.getvalue() == expected
    assert os.listdir(spool_dir) == []
    # Without spool_dir: the system temporary directory, the same bytes.
    chunks = stripjpeg.iter_encode(pieces(picture, 64), width=width, height=height, quality=80,
                                   subsampling="4:2:0", optimize=True, spool_budget=0)
    assert b"".join(chunks) == expected
    assert spy.dirs == [str(spool_dir), None]


def test_every_stream_entry_point_spools_in_spool_dir_and_arrays_never_spool(
        picture: np.ndarray, tmp_path, monkeypatch) -> None:
    spy = SpoolSpy(monkeypatch)
    height, width = picture.shape[:2]
    options = dict(quality=70, optimize=True, spool_dir=str(tmp_path), spool_budget=0)
    expected = pillow_jpeg(picture, 70, optimize=True)
    assert b"".join(stripjpeg.iter_encode(pieces(picture, 50), width=width, height=height,
                                          **options)) == expected
    assert asyncio.run(stripjpeg.encode_async(pieces(picture, 50), width=width, height=height,
                                              **options)) == expected
    with stripjpeg.Encoder(tmp_path / "out.jpg", width, height, **options) as encoder:
        encoder.write(picture)
    assert (tmp_path / "out.jpg").read_bytes() == expected
    assert spy.dirs == [str(tmp_path)] * 3
    # A whole array is counted in place, without a spool.
    assert stripjpeg.encode(picture, **options) == expected
    stripjpeg.save(tmp_path / "saved.jpg", picture, **options)
    assert (tmp_path / "saved.jpg").read_bytes() == expected
    assert len(spy.calls) == 3


@pytest.mark.parametrize("mode,subsampling,bytes_per_pixel", [
    ("RGB", "4:4:4", 6), ("RGB", "4:2:2", 4), ("RGB", "4:2:0", 3), ("L", "4:4:4", 2)])
def test_spool_bytes_per_pixel(mode: str, subsampling: str, bytes_per_pixel: int) -> None:
    # 64 x 48 pixels is whole MCUs in every subsampling: 128 bytes per 8 x 8 block.
    channels = 3 if mode == "RGB" else 1
    encoder = stripjpeg.Encoder(io.BytesIO(), 64, 48, mode, subsampling=subsampling, optimize=True)
    encoder.write(np.zeros((48, 64, channels), np.uint8).squeeze())
    assert encoder.spool_bytes == bytes_per_pixel * 64 * 48
    encoder.close()
    # Partial MCUs are coded whole: 451 x 300 at 4:2:0 is 29 x 19 MCUs of 6 blocks.
    encoder = stripjpeg.Encoder(io.BytesIO(), 451, 300, subsampling="4:2:0", optimize=True)
    encoder.write(np.zeros((300, 451, 3), np.uint8))
    assert encoder.spool_bytes == 128 * 6 * 29 * 19
    encoder.close()


@pytest.mark.parametrize("value,error,match", [
    (5, TypeError, "spool_dir must be a directory path"),
    (b"/", TypeError, "spool_dir must be a directory path"),
    ("{missing}", ValueError, "is not an existing directory"),
    ("{file}", ValueError, "is not an existing directory"),
])
def test_bad_spool_dir(value, error, match, tmp_path) -> None:
    (tmp_path / "file").write_bytes(b"")
    if isinstance(value, str):
        value = value.format(missing=tmp_path / "missing", file=tmp_path / "file")
    target = tmp_path / "out.jpg"
    rows = np.zeros((8, 8, 3), np.uint8)
    with pytest.raises(error, match=match):
        stripjpeg.Encoder(target, 8, 8, optimize=True, spool_dir=value)
    with pytest.raises(error, match=match):
        stripjpeg.iter_encode([rows], width=8, height=8, optimize=True, spool_dir=value)
    with pytest.raises(error, match=match):
        stripjpeg.save(target, rows, spool_dir=value)
    with pytest.raises(error, match=match):
        stripjpeg.encode(rows, spool_dir=value)
    assert sorted(path.name for path in tmp_path.iterdir()) == ["file"]  # nothing written


def test_spool_dir_must_be_writable(tmp_path, monkeypatch) -> None:
    # Tests may run as root, for whom every directory is writable: ask os.access instead.
    monkeypatch.setattr(os, "access", lambda path, mode: False)
    with pytest.raises(ValueError, match=r"spool_dir '.*' is not a writable directory"):
        stripjpeg.Encoder(io.BytesIO(), 8, 8, optimize=True, spool_dir=tmp_path)


# --- one kind of input per encoder, and what it holds -------------------------------------------

@pytest.mark.parametrize("first,second", [("feed", "feed_strip"), ("feed_strip", "feed"),
                                          ("feed", "feed_blocks"), ("feed_blocks", "feed_strip")])
def test_feeding_rows_strips_and_blocks_cannot_be_mixed(first: str, second: str) -> None:
    """Each feed method keeps its own count of the rows: a second kind is refused, naming
    both methods, and changes nothing; the first kind then goes on to the same bytes."""
    from stripjpeg.encoder import StripEncoder
    from stripjpeg.options import make_options

    image = np.arange(16 * 24 * 3, dtype=np.uint8).reshape(16, 24, 3)
    core = StripEncoder(24, 16, "RGB", make_options(quality=80, backend="numpy"))
    blocks = core.backend.transform(image[:8], core.plan)
    feeds = {"feed": lambda rows: core.feed(rows), "feed_strip": lambda rows: core.feed_strip(rows),
             "feed_blocks": lambda rows: core.feed_blocks(core.backend.transform(rows, core.plan), 8)}
    chunks = [core.header(), *feeds[first](image[:8])]
    with pytest.raises(ValueError, match=rf"{second}\(\) was called after {first}\(\)"):
        if second == "feed_blocks":
            core.feed_blocks(blocks, 8)
        else:
            feeds[second](image[8:])
    assert core.rows_received == 8
    chunks += feeds[first](image[8:]) + core.finish()
    assert b"".join(chunks) == pillow_jpeg(image, 80)


def test_encoder_shows_the_rows_it_buffers_and_the_bytes_it_spools() -> None:
    """buffered_rows: rows held back until their strip is whole (8 rows at 4:4:4, 16 at
    4:2:0); spool_bytes: 128 bytes per spooled 8x8 block with optimize, else 0."""
    image = np.zeros((32, 16, 3), np.uint8)
    plain = stripjpeg.Encoder(io.BytesIO(), 16, 32, "RGB", subsampling="4:2:0")
    plain.write(image[:5])
    assert (plain.buffered_rows, plain.spool_bytes) == (5, 0)
    plain.write(image[5:21])
    assert (plain.buffered_rows, plain.spool_bytes) == (5, 0)  # 16 rows went out as a strip
    plain.write(image[21:])
    assert plain.buffered_rows == 0
    plain.close()
    spooling = stripjpeg.Encoder(io.BytesIO(), 16, 32, "RGB", subsampling="4:2:0", optimize=True)
    spooling.write(image[:20])
    # One strip of 16 rows spooled: one MCU row of a 4:2:0 MCU (6 blocks).
    assert (spooling.buffered_rows, spooling.spool_bytes) == (4, 128 * 6)
    spooling.write(image[20:])
    assert (spooling.buffered_rows, spooling.spool_bytes) == (0, 128 * 6 * 2)
    spooling.close()
