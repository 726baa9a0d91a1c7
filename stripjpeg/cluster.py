"""Encoding a dask array where its chunks live, in bands of strips: only bytes come back.

Strips separated by restart markers are independent (T.81 F.1.2.3: each restart interval
starts its DC predictions at 0 and ends on a byte boundary), so a *band* of whole strips can
be encoded anywhere. On a ``distributed`` cluster the band is best encoded by the worker that
holds its pixels:

1. :func:`bands` cuts the array into bands of whole strips that follow its chunks: each band
   is one chunk of rows, the full width (the array is rechunked along the rows only when its
   chunks do not end on strip boundaries, or are far smaller or larger than a good task,
   :data:`MIN_BAND_PIXELS` .. :data:`MAX_BAND_PIXELS`; and across the columns when a row of
   chunks is split there, since a strip needs the whole width).
2. The bands run where their chunks are. Chunks already in the cluster's memory (a persisted
   array, :func:`holders`) are the inputs of tasks on the workers holding them, the bands one
   worker holds in one task (:func:`task_groups`: a task costs far more than its round trip).
   Any other band is a task of its own built on the array's graph (``to_delayed()``: its key is
   the chunk's), which the scheduler runs where it computes the chunk. For each band a task
   encodes its strips (:func:`encode_band_task`) and returns their bytes, a complete restart
   interval each, end to end, with their lengths; the first pass of ``optimize=True`` returns
   the band's symbol counts instead (:func:`count_band_task`).
3. The client keeps at most ``window`` bands in flight (:func:`ordered_results`), frames
   the strips in order with RST0..RST7 (the marker numbers are the strips' global indices
   modulo 8, known only to the client, so a band's bytes do not depend on where it starts)
   and writes them out. The window is :data:`BANDS_IN_FLIGHT_PER_THREAD` bands per worker
   thread: enough to keep every worker busy while the client waits for the oldest band, and
   the client holds at most that many bands' compressed bytes.

What the path does not take: a file without restart markers (``restart_rows=0``: each strip
continues the previous one's bit stream), and progressive files, which go through the spool
of the existing strip path (:mod:`stripjpeg.progressive_encoder`), with the client's
executor. :func:`save_stitched` is the variant where the workers write their bands to shared
storage and the client only stitches the files. docs/streaming.md has the model of this path at
the scale of a hundred workers.
"""

from __future__ import annotations

import functools
import math
import os
import sys
import uuid
from collections.abc import Callable, Iterator
from typing import Any

import numpy as np

from . import markers
from .backends import EntropyState, StageTable
from .optimize import SymbolCounts
from .plan import Plan

#: Pixels per band at least: smaller chunks are merged by rechunking (which moves pixels
#: between workers when neighbouring chunks live apart). Chunks in memory need not be merged to
#: make fewer tasks: they are grouped per worker (:data:`TASK_PIXELS`).
MIN_BAND_PIXELS = 1 << 19
#: Pixels per band at most: larger chunks are split into bands (a band's pixels are in a
#: worker's memory while it is encoded, 24 MiB of RGB at 2**23 pixels).
MAX_BAND_PIXELS = 1 << 23
#: Bands in flight per worker thread: the client's window is this many times the cluster's
#: threads (tests/test_cluster.py checks that no more are ever outstanding).
BANDS_IN_FLIGHT_PER_THREAD = 4
#: Pixels per task at most when the bands one worker holds go as one task (:func:`task_groups`):
#: a task cost the client, the scheduler and the worker 7 to 10 ms of CPU together on the 2-core
#: test machine (docs/streaming.md), the time to encode 1.5 MP, so small bands are grouped up
#: to this (about 20 ms of encoding on one core at q90).
TASK_PIXELS = 1 << 22


def client_for(pixels: Any, executor: Any, workers: int | None) -> Any:
    """The ``distributed.Client`` to encode ``pixels`` (a dask array, or a zarr array's
    :class:`~stripjpeg.sources.ChunkedRows`) on, or None.

    It is the client of ``executor`` when that is a Dask client's executor
    (``client.get_executor()``); with no executor and ``workers=None``, the client active in
    this process (``distributed.default_client()``), if there is one. An explicit
    ``workers=N`` asks for threads here, and gets them.
    """
    if not hasattr(pixels, "to_delayed") and not hasattr(pixels, "as_dask"):
        return None  # neither a dask array nor a zarr array's ChunkedRows
    if executor is not None:
        if type(executor).__name__ == "ClientExecutor":
            return getattr(executor, "_client", None)
        return None
    if workers is not None:
        return None
    return active_client()


def active_client() -> Any:
    """The ``distributed.Client`` active in this process (``default_client()``), or None."""
    if "distributed" not in sys.modules:
        return None  # no client can be active if distributed was never imported
    import distributed

    try:
        return distributed.default_client()
    except ValueError:  # "No clients found"
        return None


def bandable(plan: Plan) -> bool:
    """True when every strip of ``plan`` is a whole restart interval (or the image is one
    strip), so that bands of strips can be encoded apart."""
    if plan.progressive or not plan.restart_interval:
        return False
    # Smoothing reads the rows beyond a strip, intervals of restart_blocks MCUs may cross
    # strips, and the band tasks code Huffman: those take the strip path.
    if plan.context_rows or plan.restart_blocks or plan.arithmetic:
        return False
    return plan.strip_count == 1 or plan.restart_interval == plan.mcus_per_row * plan.strip_mcu_rows


def band_height(row_chunks: tuple[int, ...], width: int, strip_height: int) -> int | None:
    """Rows per band for an array whose chunks along the rows are ``row_chunks``; None when
    its chunks already make good bands (all but the last equal, a whole number of strips,
    :data:`MIN_BAND_PIXELS` .. :data:`MAX_BAND_PIXELS`, or the whole image).

    Otherwise the chunk height rounded to whole strips and clamped into that range: the
    array is rechunked to it (splitting a chunk into bands stays on its worker; merging
    chunks or moving boundaries moves pixels between workers).
    """
    typical = row_chunks[0]
    fewest = strip_height * math.ceil(MIN_BAND_PIXELS / (width * strip_height))
    most = max(strip_height, strip_height * (MAX_BAND_PIXELS // (width * strip_height)))
    if len(row_chunks) == 1:
        return None if typical * width <= MAX_BAND_PIXELS else most
    regular = all(rows == typical for rows in row_chunks[:-1]) and typical % strip_height == 0
    if regular and fewest <= typical <= most:
        return None
    rows = strip_height * max(1, round(typical / strip_height))
    return min(max(rows, fewest), most)


def bands(pixels: Any, plan: Plan) -> list[tuple[Any, int]]:
    """The bands of a dask array ``(H, W, C)``: ``(a Delayed computing its pixels, its rows)``,
    top to bottom, each a whole number of strips but the last, full width (see the module's
    docstring)."""
    rows = band_height(pixels.chunks[0], plan.width, plan.strip_height)
    rechunk: dict[int, Any] = {}
    if rows is not None:
        rechunk[0] = rows
    if len(pixels.chunks[1]) > 1 or len(pixels.chunks[2]) > 1:
        rechunk.update({1: -1, 2: -1})
    if rechunk:
        pixels = pixels.rechunk(rechunk)
    blocks = pixels.to_delayed().reshape(-1)
    return list(zip(blocks, pixels.chunks[0]))


def holders(client: Any, pixels: Any, band_list: list[tuple[Any, int]]) -> list[tuple[str, Any] | None]:
    """For each band whose pixels are a chunk of ``pixels`` already in the cluster's memory (a
    persisted array), the worker holding it and the chunk's Future (one ``who_has`` round
    trip); None for a band still to be computed (or rechunked), whose task runs wherever the
    scheduler computes it."""
    import distributed

    futures = {future.key: future for future in distributed.futures_of(pixels)}
    held = [futures.get(block.key) for block, _ in band_list]
    if not any(future is not None for future in held):
        return [None] * len(band_list)
    where = client.who_has([future for future in held if future is not None])
    return [(where[future.key][0], future) if future is not None and where.get(future.key) else None
            for future in held]


def task_groups(indices: range, holder: list[str | None], rows: list[int], width: int,
                more_follow: bool, threads: dict[str, int] | None = None) -> list[list[int]]:
    """The tasks of a batch of bands (``indices``): the bands one worker holds go together, at
    most :data:`TASK_PIXELS` in a task (a larger band alone), and in at least as many tasks as
    the worker has threads (``threads``: by worker, 1 if absent), so that each thread has one; a
    band whose holder is unknown (None) is a task of its own. With ``more_follow`` (the window
    will be refilled) a worker's bands are twice as many tasks, so that each thread has one
    queued while the client waits for the other. Tasks are in the order of their first band."""
    groups: list[list[int]] = []
    held: dict[str, list[int]] = {}
    for index in indices:
        if holder[index] is None:
            groups.append([index])
        else:
            held.setdefault(holder[index], []).append(index)
    for worker, bands_here in held.items():
        tasks = (threads or {}).get(worker, 1) * (2 if more_follow else 1)
        most = math.ceil(len(bands_here) / tasks)
        group: list[int] = []
        pixels = 0
        for index in bands_here:
            if group and (len(group) == most or pixels + rows[index] * width > TASK_PIXELS):
                groups.append(group)
                group, pixels = [], 0
            group.append(index)
            pixels += rows[index] * width
        groups.append(group)
    return sorted(groups)


def band_strips(band: np.ndarray, plan: Plan) -> list[np.ndarray]:
    """A band's strips, as views: ``plan.strip_height`` rows each, fewer for the image's last."""
    band = np.asarray(band)
    return [band[start:start + plan.strip_height] for start in range(0, band.shape[0], plan.strip_height)]


def encode_band_task(band: np.ndarray, backend: StageTable, plan: Plan) -> tuple[bytes, tuple[int, ...]]:
    """The work of one band, on the worker that holds it: its strips' complete restart
    intervals (entropy-coded bytes, each padded, no RST markers) end to end, and each one's
    length. One bytes object, not one per strip: ``distributed`` sends a list of many small
    bytes objects three to five times slower (25-50 ms against 8-10 ms for eight bands of
    2048 x 512 at q90, measured on the 2-core test machine)."""
    strips = backend.encode_strips(band_strips(band, plan), plan)
    return b"".join(strips), tuple(len(data) for data in strips)


def count_band_task(band: np.ndarray, backend: StageTable, plan: Plan) -> SymbolCounts:
    """The first pass of ``optimize=True`` over one band: its Huffman symbol counts (2 x 4 KiB
    per table), summed on the client."""
    totals = SymbolCounts.zeros(plan)
    for strip in band_strips(band, plan):
        blocks = backend.transform(strip, plan)
        dc, ac, _ = backend.count_symbols(blocks, plan, EntropyState.start(plan).dc_predictors)
        totals.add(SymbolCounts(dc, ac))
    return totals


def band_group_task(blocks: list[np.ndarray], extra: list[tuple[Any, ...]], *,
                    function: Callable[..., Any], **bound: Any) -> list[Any]:
    """Several bands' work in one task (:func:`task_groups`): ``function(block, *extra[i],
    **bound)`` for each band ``i``, their results in the same order."""
    return [function(block, *args, **bound) for block, args in zip(blocks, extra, strict=True)]


def default_window(client: Any) -> int:
    """Bands in flight: :data:`BANDS_IN_FLIGHT_PER_THREAD` per thread of the cluster's workers."""
    threads = sum(client.nthreads().values()) or 1
    return max(2, BANDS_IN_FLIGHT_PER_THREAD * threads)


def submit_groups(client: Any, run: Callable[..., Any], name: str, groups: list[list[int]],
                  band_list: list[tuple[Any, int]], band_args: list[tuple[Any, ...]],
                  held: list[tuple[str, Any] | None]) -> list[Any]:
    """One task per group of bands, ``run(blocks, extra)``, its key ``name-<uuid>``; the
    Futures, in the groups' order. A group of chunks in memory goes by ``client.map`` with the
    chunks' Futures as its input (nothing for dask to build: building and optimizing a Delayed
    took more of the client's time than the whole encode of a 2048 x 2048 band's strips); the
    others by ``client.compute`` of a Delayed on the array's graph. Either way each goes to the
    scheduler in one message, ``run`` (the plan) pickled once in it."""
    import dask

    keys = [f"{name}-{uuid.uuid4().hex}" for _ in groups]
    futures: list[Any] = [None] * len(groups)
    direct = [n for n, group in enumerate(groups) if all(held[index] is not None for index in group)]
    if direct:
        inputs = [[held[index][1] for index in groups[n]] for n in direct]
        extras = [[band_args[index] for index in groups[n]] for n in direct]
        for n, future in zip(direct, client.map(run, inputs, extras, key=[keys[n] for n in direct])):
            futures[n] = future
    lazy = [n for n in range(len(groups)) if futures[n] is None]
    if lazy:
        # The backend and the plan are bound to ``run``, so that dask does not walk them (a
        # plan is a dataclass of arrays) as possible collections for every task.
        task = dask.delayed(run, pure=False)
        delayed = [task([band_list[index][0] for index in groups[n]],
                        [band_args[index] for index in groups[n]], dask_key_name=keys[n]) for n in lazy]
        for n, future in zip(lazy, client.compute(delayed)):
            futures[n] = future
    return futures


def ordered_results(client: Any, function: Callable[..., Any], band_list: list[tuple[Any, int]],
                    backend: StageTable, plan: Plan, window: int,
                    band_args: list[tuple[Any, ...]] | None = None,
                    held: list[tuple[str, Any] | None] | None = None,
                    **bound: Any) -> Iterator[tuple[Any, int]]:
    """Run ``function(band, *band_args[i], backend=backend, plan=plan, **bound)`` for each band
    ``i`` on the cluster; yield ``(result, rows)`` in the bands' order, with at most ``window``
    bands submitted and not yet yielded.

    Each band runs where its chunk is: a chunk in memory (``held[i]``, from :func:`holders`)
    is the task's input; otherwise the task is on the array's graph (``client.compute`` of a
    Delayed whose input is the band's chunk). The bands one worker holds are one task, up to
    :data:`TASK_PIXELS` (:func:`task_groups`). Round trips to the scheduler are what a task
    costs besides its work, so they are few, shared or hidden: the window is refilled once half
    of it has been written, all the new tasks in one message, and results are fetched in the
    background as tasks finish (``as_completed(with_results=True)``), in whatever order, then
    put back in the bands' order here. If the consumer stops (an exception, a closed
    generator), the tasks in flight are cancelled.
    """
    import distributed

    run = functools.partial(band_group_task, function=function, backend=backend, plan=plan, **bound)
    window = max(1, window)
    rows_of: list[int] = [rows for _, rows in band_list]
    held = held or [None] * len(band_list)
    holder = [None if place is None else place[0] for place in held]
    threads = client.nthreads() if any(holder) else {}
    band_args = band_args or [()] * len(band_list)
    running: dict[Any, tuple[list[int], Any]] = {}  # future key -> (its bands, future)
    arrived: dict[int, Any] = {}  # band index -> result, until it is its turn
    finished = distributed.as_completed([], with_results=True)
    submitted = written = 0
    try:
        while written < len(band_list):
            if submitted - written <= window // 2 and submitted < len(band_list):
                stop = min(len(band_list), written + window)
                groups = task_groups(range(submitted, stop), holder, rows_of, plan.width,
                                     more_follow=stop < len(band_list), threads=threads)
                for group, future in zip(groups, submit_groups(client, run, function.__name__, groups,
                                                               band_list, band_args, held)):
                    running[future.key] = (group, future)
                    finished.add(future)
                submitted = stop
            while written not in arrived:
                future, results = next(finished)
                arrived.update(zip(running.pop(future.key)[0], results, strict=True))
                future.release()
            while written in arrived:
                result = arrived.pop(written)
                written += 1
                yield result, rows_of[written - 1]
    finally:
        finished.clear()
        if running:
            client.cancel([future for _, future in running.values()])


# --- Workers write, the client stitches -----------------------------------------------------

def write_band_task(band: np.ndarray, first_strip: int, *, backend: StageTable, plan: Plan,
                    folder: str) -> tuple[str, tuple[int, ...]]:
    """Encode one band and write it, framed, to a file of its own in ``folder`` (storage the
    client can read too): each strip's restart interval, preceded by its RSTn marker, numbered
    from the band's first strip's index in the image, ``first_strip`` (none before the image's
    first). Returns the file's path and each strip's length without its marker."""
    strips = backend.encode_strips(band_strips(band, plan), plan)
    pieces = []
    for index, data in enumerate(strips, start=first_strip):
        pieces += [markers.write_rst(index - 1) if index > 0 else b"", data]
    path = os.path.join(folder, f".stripjpeg-band-{first_strip:09d}-{uuid.uuid4().hex}.part")
    with open(path, "wb") as file:
        file.write(b"".join(pieces))
    return path, tuple(len(data) for data in strips)
