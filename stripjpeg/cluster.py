"""Encoding a dask array where its chunks live: one task per band, only bytes come back.

Strips separated by restart markers are independent (T.81 F.1.2.3: each restart interval
starts its DC predictions at 0 and ends on a byte boundary), so a *band* of whole strips can
be encoded anywhere. On a ``distributed`` cluster the band is best encoded by the worker that
holds its pixels:

1. :func:`bands` cuts the array into bands of whole strips that follow its chunks: each band
   is one chunk of rows, the full width (the array is rechunked along the rows only when its
   chunks do not end on strip boundaries, or are far smaller or larger than a good task,
   :data:`MIN_BAND_PIXELS` .. :data:`MAX_BAND_PIXELS`; and across the columns when a row of
   chunks is split there, since a strip needs the whole width).
2. Each band is a task built on the array's own graph (``to_delayed()``: its key is the
   chunk's), so the scheduler runs it on the worker that holds or computes the chunk. The task
   computes its pixels, encodes its strips (:func:`encode_band_task`) and returns their bytes,
   a complete restart interval each, end to end, with their lengths; the first pass of ``optimize=True``
   returns the band's symbol counts instead (:func:`count_band_task`).
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

#: Pixels per band at least: smaller chunks are merged (a task costs a round trip through the
#: scheduler, about a millisecond, which is the time to encode about 2**18 pixels).
MIN_BAND_PIXELS = 1 << 19
#: Pixels per band at most: larger chunks are split into bands (a band's pixels are in a
#: worker's memory while it is encoded, 24 MiB of RGB at 2**23 pixels).
MAX_BAND_PIXELS = 1 << 23
#: Bands in flight per worker thread: the client's window is this many times the cluster's
#: threads (tests/test_cluster.py checks that no more are ever outstanding).
BANDS_IN_FLIGHT_PER_THREAD = 4


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


def default_window(client: Any) -> int:
    """Bands in flight: :data:`BANDS_IN_FLIGHT_PER_THREAD` per thread of the cluster's workers."""
    threads = sum(client.nthreads().values()) or 1
    return max(2, BANDS_IN_FLIGHT_PER_THREAD * threads)


def ordered_results(client: Any, function: Callable[..., Any], band_list: list[tuple[Any, int]],
                    backend: StageTable, plan: Plan, window: int,
                    band_args: list[tuple[Any, ...]] | None = None,
                    **bound: Any) -> Iterator[tuple[Any, int]]:
    """Run ``function(band, *band_args[i], backend=backend, plan=plan, **bound)`` for each band
    ``i`` on the cluster; yield ``(result, rows)`` in the bands' order, with at most ``window``
    bands submitted and not yet yielded.

    Each band is a task on the array's graph (``client.compute`` of a Delayed whose input is
    the band's chunk), so it runs where the chunk is. Round trips to the scheduler are what
    a band costs besides its work, so they are shared or hidden: the window is refilled once
    half of it has been written, all the new bands in one ``compute``, and results are
    fetched in the background as bands finish (``as_completed(with_results=True)``), in
    whatever order, then put back in the bands' order here. If the consumer stops (an
    exception, a closed generator), the bands in flight are cancelled.
    """
    import dask
    import distributed

    # The backend and the plan are bound to the function, so that dask does not walk them
    # (a plan is a dataclass of arrays) as possible collections for every band.
    task = dask.delayed(functools.partial(function, backend=backend, plan=plan, **bound), pure=False)
    window = max(1, window)
    running: dict[Any, tuple[int, Any]] = {}  # future key -> (band index, future)
    rows_of: list[int] = [rows for _, rows in band_list]
    arrived: dict[int, Any] = {}  # band index -> result, until it is its turn
    finished = distributed.as_completed([], with_results=True)
    submitted = written = 0
    try:
        while written < len(band_list):
            if submitted - written <= window // 2 and submitted < len(band_list):
                batch = band_list[submitted:written + window]
                args = band_args[submitted:submitted + len(batch)] if band_args else [()] * len(batch)
                tasks = [task(band, *extra) for (band, _), extra in zip(batch, args)]
                for offset, future in enumerate(client.compute(tasks)):
                    running[future.key] = (submitted + offset, future)
                    finished.add(future)
                submitted += len(batch)
            while written not in arrived:
                future, result = next(finished)
                arrived[running.pop(future.key)[0]] = result
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
