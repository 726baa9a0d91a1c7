"""A dask array on a ``distributed`` cluster is encoded in bands where its chunks live
(stripjpeg.cluster): the same bytes as inline, no pixel computed in the client, the tasks on
the workers that hold the chunks, and at most ``window`` bands outstanding."""

from __future__ import annotations

import os

import numpy as np
import pytest
from oracle import photo, pillow_jpeg

import stripjpeg
import stripjpeg.tasks
from stripjpeg import cluster, stitch

# The optional packages are imported by the fixtures, so that a machine without them skips
# only these tests (a failure in CI: tests/conftest.py).


@pytest.fixture(scope="module")
def da():
    return pytest.importorskip("dask.array")


@pytest.fixture(scope="module")
def distributed():
    return pytest.importorskip("distributed")


@pytest.fixture(scope="module")
def client(distributed):
    cluster_ = distributed.LocalCluster(n_workers=2, threads_per_worker=1, processes=True,
                                        dashboard_address=None, silence_logs=40)
    with distributed.Client(cluster_) as dask_client:  # the default client while it is open
        yield dask_client
    cluster_.close()


@pytest.fixture(scope="module")
def picture() -> np.ndarray:
    return np.ascontiguousarray(photo("coffee")[:203, :301])


@pytest.fixture
def small_bands(monkeypatch):
    """Bands of a few strips on these small pictures (normally at least 2**19 pixels)."""
    monkeypatch.setattr(cluster, "MIN_BAND_PIXELS", 1)
    monkeypatch.setattr(cluster, "MAX_BAND_PIXELS", 301 * 48)


def only_on_a_worker(block: np.ndarray) -> np.ndarray:
    """Raises unless computed inside a Dask worker: proves pixels are computed remotely."""
    import distributed

    distributed.get_worker()  # ValueError outside a worker
    return block


class CountingClient:
    """A client that counts the bands submitted, so a test can see the window."""

    def __init__(self, client) -> None:
        self.client = client
        self.submitted = 0

    def compute(self, tasks):
        self.submitted += len(tasks)
        return self.client.compute(tasks)

    def cancel(self, futures):
        return self.client.cancel(futures)


@pytest.mark.parametrize("subsampling, restart_rows", [("4:2:0", 1), ("4:4:4", 2), ("4:2:2", 3)])
def test_bands_give_the_bytes_of_pillow(picture, client, da, small_bands, subsampling, restart_rows) -> None:
    # Chunks that end neither on strip boundaries nor at the full width: rechunked.
    lazy = da.from_array(picture, chunks=(50, 120, 3)).map_blocks(only_on_a_worker, dtype=np.uint8)
    expected = pillow_jpeg(picture, 75, subsampling, restart_rows=restart_rows)
    assert stripjpeg.encode(lazy, 75, subsampling, restart_rows=restart_rows) == expected
    assert stripjpeg.encode(lazy, 75, subsampling, restart_rows=restart_rows,
                            executor=client.get_executor()) == expected


def test_grey_optimize_and_a_file(picture, client, da, small_bands, tmp_path) -> None:
    grey = np.ascontiguousarray(picture[:, :, 1])
    lazy = da.from_array(grey, chunks=(64, 301)).map_blocks(only_on_a_worker, dtype=np.uint8)
    assert stripjpeg.encode(lazy, 90) == pillow_jpeg(grey, 90)
    assert stripjpeg.encode(lazy, 90, optimize=True) == pillow_jpeg(grey, 90, optimize=True)
    offsets = stripjpeg.save(tmp_path / "x.jpg", lazy, quality=90)
    assert (tmp_path / "x.jpg").read_bytes() == pillow_jpeg(grey, 90)
    assert offsets == stripjpeg.save(tmp_path / "y.jpg", grey, quality=90)


def test_nothing_is_computed_in_the_client(picture, client, da, small_bands, monkeypatch) -> None:
    lazy = da.from_array(picture, chunks=(48, 301, 3)).map_blocks(only_on_a_worker, dtype=np.uint8)

    def not_here(*args, **kwargs):
        raise AssertionError("a strip was computed in the client process")

    # Only this process is patched: the workers (other processes) compute and encode.
    monkeypatch.setattr(stripjpeg.encoder, "materialize", not_here)
    monkeypatch.setattr(stripjpeg.tasks, "materialize", not_here)
    monkeypatch.setattr(stripjpeg.tasks, "materialize_all", not_here)
    monkeypatch.setattr(stripjpeg.optimize, "materialize", not_here)
    assert stripjpeg.encode(lazy, 75) == pillow_jpeg(picture, 75)
    assert stripjpeg.encode(lazy, 75, optimize=True) == pillow_jpeg(picture, 75, optimize=True)
    with pytest.raises(AssertionError, match="client process"):
        stripjpeg.encode(lazy, 75, workers=1)  # threads here, as asked: computed here


def test_tasks_run_where_the_chunks_are(picture, client, da, distributed, small_bands) -> None:
    lazy = da.from_array(picture, chunks=(48, 301, 3)).persist()
    distributed.wait(lazy)
    holders = client.who_has(lazy)
    assert len({worker for workers in holders.values() for worker in workers}) == 2  # spread
    with distributed.get_task_stream(client) as stream:
        assert stripjpeg.encode(lazy, 75, "4:2:0") == pillow_jpeg(picture, 75, "4:2:0")
    tasks = [task for task in stream.data if task["key"].startswith("encode_band_task")]
    # 203 rows in 5 bands of 48: the bands each worker holds are one task, run there.
    assert len(tasks) == 2
    assert {task["worker"] for task in tasks} == {workers[0] for workers in holders.values()}
    # No task fetched its pixels from another worker.
    assert all(step["action"] != "transfer" for task in tasks for step in task["startstops"])


def test_bands_in_memory_and_bands_to_compute_together(picture, client, da, distributed, small_bands,
                                                       tmp_path) -> None:
    lazy = da.from_array(picture, chunks=(48, 301, 3)).persist()
    distributed.wait(lazy)
    # Both passes of optimize=True, and the workers writing the bands, by tasks on the chunks.
    assert stripjpeg.encode(lazy, 75, optimize=True) == pillow_jpeg(picture, 75, optimize=True)
    (tmp_path / "bands").mkdir()
    stitch.save_stitched(tmp_path / "x.jpg", lazy, tmp_path / "bands", quality=75, subsampling="4:2:0")
    assert (tmp_path / "x.jpg").read_bytes() == pillow_jpeg(picture, 75, "4:2:0")
    core = stripjpeg.encoder.StripEncoder(301, 203, "RGB", stripjpeg.options.make_options(quality=75))
    band_list = cluster.bands(lazy, core.plan)
    held = cluster.holders(client, lazy, band_list)
    assert all(place is not None for place in held)
    held[1] = held[3] = None  # as if these were still to be computed: tasks on the array's graph
    results = list(cluster.ordered_results(client, cluster.encode_band_task, band_list, core.backend,
                                           core.plan, window=3, held=held))
    inline = stripjpeg.backends.get().stage_table(core.plan).encode_strips(
        [picture[start:start + 8] for start in range(0, 203, 8)], core.plan)
    assert b"".join(data for (data, _), _ in results) == b"".join(inline)
    assert [rows for _, rows in results] == [48, 48, 48, 48, 11]
    core.abort()


def test_task_groups(monkeypatch) -> None:
    monkeypatch.setattr(cluster, "TASK_PIXELS", 100 * 30)
    holder = ["a", "b", "a", "a", None, "b", "a", "a"]
    rows = [10] * 7 + [5]
    # The last batch: each worker's bands together, up to TASK_PIXELS (three bands of 10 rows).
    assert cluster.task_groups(range(8), holder, rows, 100, more_follow=False) == \
        [[0, 2, 3], [1, 5], [4], [6, 7]]
    # More to come: each worker's bands in two tasks at least.
    assert cluster.task_groups(range(8), holder, rows, 100, more_follow=True) == \
        [[0, 2, 3], [1], [4], [5], [6, 7]]
    assert cluster.task_groups(range(2, 4), holder, rows, 100, more_follow=True) == [[2], [3]]
    # A worker of three threads: three tasks at least (six while more follow).
    assert cluster.task_groups(range(8), holder, rows, 100, more_follow=False, threads={"a": 3}) == \
        [[0, 2], [1, 5], [3, 6], [4], [7]]
    assert cluster.task_groups(range(8), holder, rows, 100, more_follow=True, threads={"a": 3}) == \
        [[0], [1], [2], [3], [4], [5], [6], [7]]


@pytest.mark.parametrize("window", [1, 2, 3])
def test_the_window_bounds_the_bands_outstanding(picture, client, da, small_bands, window) -> None:
    lazy = da.from_array(picture, chunks=(16, 301, 3))  # 13 bands of two strips (4:4:4)
    core = stripjpeg.encoder.StripEncoder(301, 203, "RGB", stripjpeg.options.make_options(quality=75))
    counting = CountingClient(client)
    band_list = cluster.bands(stripjpeg.sources.whole_image(lazy), core.plan)
    assert len(band_list) == 13
    written, outstanding = [], []
    for strips, rows in cluster.ordered_results(counting, cluster.encode_band_task, band_list,
                                                core.backend, core.plan, window):
        outstanding.append(counting.submitted - len(written))
        written.append((strips, rows))
    assert max(outstanding) <= window
    assert max(outstanding) == window or window >= 13
    inline = stripjpeg.backends.get().stage_table(core.plan).encode_strips(
        [picture[start:start + 8] for start in range(0, 203, 8)], core.plan)
    assert b"".join(data for (data, _), _ in written) == b"".join(inline)
    assert [length for (_, lengths), _ in written for length in lengths] == [len(data) for data in inline]
    assert sum(rows for _, rows in written) == 203
    core.abort()


def test_window_of_the_encode_and_its_bytes(picture, client, da, small_bands) -> None:
    lazy = stripjpeg.sources.whole_image(da.from_array(picture, chunks=(16, 301, 3)))
    options = stripjpeg.options.make_options(quality=75)
    for window in (1, 4):
        _, chunks = stripjpeg.encoder.band_core(lazy, options, client, window=window)
        assert b"".join(chunks) == pillow_jpeg(picture, 75)
    assert cluster.default_window(client) == 2 * cluster.BANDS_IN_FLIGHT_PER_THREAD


def test_what_bands_cannot_do_runs_on_the_clients_executor(picture, client, da) -> None:
    lazy = da.from_array(picture, chunks=(50, 301, 3)).map_blocks(only_on_a_worker, dtype=np.uint8)
    # Progressive: the strips' blocks are transformed on the workers, into the spool here.
    assert stripjpeg.encode(lazy, 75, "4:2:0", progressive=True) == \
        pillow_jpeg(picture, 75, "4:2:0", progressive=True)
    # No restart markers: one bit stream, coded strip by strip in this process.
    plain = da.from_array(picture, chunks=(50, 301, 3))
    assert stripjpeg.encode(plain, 75, restart_rows=0) == pillow_jpeg(picture, 75, restart_rows=0)


@pytest.mark.parametrize("chunks, expected", [
    ((64, 64, 64, 11), None),            # whole strips, big enough: as they are
    ((50, 50, 50, 53), 48),              # not on strip boundaries: the nearest whole strips
    ((8,) * 25 + (3,), 32),              # too small: merged up to MIN_BAND_PIXELS
    ((90,), None),                       # one chunk: one band
    ((120, 83), 96),                     # too large: split (MAX_BAND_PIXELS = 96 rows here)
])
def test_band_height(chunks, expected, monkeypatch) -> None:
    monkeypatch.setattr(cluster, "MIN_BAND_PIXELS", 301 * 32)
    monkeypatch.setattr(cluster, "MAX_BAND_PIXELS", 301 * 100)
    assert cluster.band_height(chunks, 301, 16) == expected


def test_an_explicit_thread_count_or_no_client_stays_here(picture, da) -> None:
    lazy = da.from_array(picture, chunks=(50, 301, 3))
    assert cluster.client_for(lazy, None, 2) is None
    assert cluster.client_for(picture, None, None) is None


# --- zarr ----------------------------------------------------------------------------------------

@pytest.fixture(scope="module")
def zarr():
    return pytest.importorskip("zarr")


def stored(zarr, folder, pixels: np.ndarray, chunks: tuple[int, ...]):
    """``pixels`` written to a zarr array in ``folder``, opened again without loading it."""
    array = zarr.open_array(str(folder / "image.zarr"), mode="w", shape=pixels.shape,
                            chunks=chunks, dtype=np.uint8)
    array[:] = pixels
    return zarr.open_array(str(folder / "image.zarr"), mode="r")


def test_zarr_is_read_chunk_row_by_chunk_row(picture, zarr, tmp_path, monkeypatch) -> None:
    array = stored(zarr, tmp_path, picture, (40, 100, 3))
    reads = []
    original = stripjpeg.sources.ChunkedRows.__getitem__

    def band_reads(self, rows):
        before = self._band
        view = original(self, rows)
        if self._band is not before:
            reads.append(self._band.shape[0])
        return view

    monkeypatch.setattr(stripjpeg.sources.ChunkedRows, "__getitem__", band_reads)
    assert stripjpeg.encode(array, 75, "4:2:0", workers=1) == pillow_jpeg(picture, 75, "4:2:0")
    # 203 rows in chunks of 40: strips of 16 rows read each chunk row once, or twice where a
    # strip straddles two (then both are read together), never the whole image.
    assert max(reads) <= 80 and sum(reads) < 2 * 203
    grey = stored(zarr, tmp_path, np.ascontiguousarray(picture[:, :, 0]), (64, 301))
    assert stripjpeg.encode(grey, 90, optimize=True) == pillow_jpeg(picture[:, :, 0], 90, optimize=True)
    assert stripjpeg.encode(grey, 90, progressive=True) == pillow_jpeg(picture[:, :, 0], 90, progressive=True)
    with pytest.raises(TypeError, match="dtype uint8"):
        stripjpeg.encode(zarr.zeros((16, 16), dtype=np.float32))


def test_zarr_on_a_cluster_is_read_by_the_workers(picture, zarr, client, small_bands, tmp_path,
                                                  monkeypatch) -> None:
    array = stored(zarr, tmp_path, picture, (48, 301, 3))

    def not_here(self, rows):
        raise AssertionError("the client read the zarr array")

    monkeypatch.setattr(stripjpeg.sources.ChunkedRows, "__getitem__", not_here)
    stripjpeg.save(tmp_path / "x.jpg", array, quality=75)
    assert (tmp_path / "x.jpg").read_bytes() == pillow_jpeg(picture, 75)


def fails_on_a_worker(block: np.ndarray, block_info=None) -> np.ndarray:
    if block_info[None]["array-location"][0][0] >= 96:
        raise OSError("the chunk's storage is gone")
    return block


def test_a_failing_band_fails_the_save_and_leaves_no_file(picture, client, da, small_bands, tmp_path) -> None:
    lazy = da.from_array(picture, chunks=(48, 301, 3)).map_blocks(fails_on_a_worker, dtype=np.uint8)
    with pytest.raises(OSError, match="storage is gone"):
        stripjpeg.save(tmp_path / "x.jpg", lazy, quality=75)
    assert list(tmp_path.iterdir()) == []
    # RGBA: alpha dropped, as inline.
    rgba = np.concatenate([picture, np.full((203, 301, 1), 7, np.uint8)], axis=2)
    assert stripjpeg.encode(da.from_array(rgba, chunks=(48, 301, 4)), 75, "4:2:2") == \
        pillow_jpeg(picture, 75, "4:2:2")


def test_workers_write_the_bands_and_the_client_stitches(picture, client, da, small_bands, tmp_path,
                                                        monkeypatch) -> None:
    lazy = da.from_array(picture, chunks=(48, 301, 3)).map_blocks(only_on_a_worker, dtype=np.uint8)
    (tmp_path / "bands").mkdir()
    written = []
    original = cluster.ordered_results

    def record(client, function, *args, **kwargs):
        for result, rows in original(client, function, *args, **kwargs):
            if function is cluster.write_band_task:
                written.append(os.path.getsize(result[0]))
            yield result, rows

    monkeypatch.setattr(cluster, "ordered_results", record)
    offsets = stitch.save_stitched(tmp_path / "x.jpg", lazy, tmp_path / "bands", quality=75,
                                    subsampling="4:2:0", optimize=True)
    expected = pillow_jpeg(picture, 75, "4:2:0", optimize=True)
    assert (tmp_path / "x.jpg").read_bytes() == expected
    assert offsets == stripjpeg.save(tmp_path / "y.jpg", picture, quality=75, subsampling="4:2:0",
                                     optimize=True)
    assert len(written) == 5 and sum(written) < len(expected)  # the bands came as files
    assert list((tmp_path / "bands").iterdir()) == []  # and were removed
    with pytest.raises(ValueError, match="restart_rows >= 1"):
        stitch.save_stitched(tmp_path / "z.jpg", lazy, tmp_path / "bands", restart_rows=0)
    assert not (tmp_path / "z.jpg").exists()
