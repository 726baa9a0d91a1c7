"""Workers write, the client stitches: :func:`save_stitched` encodes a dask (or zarr) array on
a cluster with each band's bytes written by its worker to shared storage, and the client
joining the files in order between the headers and EOI (docs/streaming.md). Apart from
:mod:`stripjpeg.cluster` because it drives the encoder's band core, which uses that module."""

from __future__ import annotations

import os
import shutil
from typing import Any

from . import cluster
from .encoder import band_core
from .options import make_options
from .sinks import open_sink
from .sources import whole_image


def save_stitched(target: Any, pixels: Any, folder: str | os.PathLike, client: Any = None,
                  **options: Any) -> list[int]:
    """Like :func:`stripjpeg.save` of a dask (or zarr) array on a cluster, but the workers write
    their bands' bytes to files in ``folder`` (shared storage: a directory every worker and the
    client see) and the client only stitches them: the headers, each band's file in order
    (read and deleted), EOI. The encoded bytes never pass through distributed's messages.

    Args:
        target: a path (written atomically) or a binary file object, as for ``save``.
        pixels: a dask array or a zarr array, ``(H, W[, C])`` uint8.
        folder: an existing directory writable by the workers and readable by the client.
        client: the ``distributed.Client``; None = the active one.
        **options: as for ``save``; the file needs restart markers and is sequential.

    Returns:
        The restart index, as ``save`` returns it.

    After a failure the output is discarded as ``save`` discards it; the files of bands not
    yet stitched stay in ``folder``.

    Raises:
        ValueError: ``restart_rows=0`` or a progressive file (its bands are not independent),
            or no Dask client.
    """
    encode_options = make_options(**options)
    if client is None:
        client = cluster.active_client()
        if client is None:
            raise ValueError("save_stitched needs a distributed.Client (none is active)")
    image = whole_image(pixels)
    if hasattr(image, "as_dask"):
        image = image.as_dask()
    if not hasattr(image, "to_delayed"):
        raise TypeError(f"save_stitched takes a dask or zarr array, got {type(pixels).__name__}")
    folder = os.fspath(folder)
    sink = open_sink(target)
    try:
        banded = band_core(image, encode_options, client)
        if banded is None:
            raise ValueError("save_stitched needs independent restart intervals: restart_rows >= 1 "
                             "and a sequential file (not progressive)")
        core, unstarted = banded
        unstarted.close()
        band_list = cluster.bands(image, core.plan)
        firsts, start = [], 0
        for _, rows in band_list:
            firsts.append((start // core.plan.strip_height,))
            start += rows
        sink.write(core.header())
        window = cluster.default_window(client)
        for (path, lengths), rows in cluster.ordered_results(client, cluster.write_band_task, band_list,
                                                             core.backend, core.plan, window, firsts,
                                                             cluster.holders(client, image, band_list),
                                                             folder=folder):
            core.count_written(lengths, rows)
            with open(path, "rb") as file:
                shutil.copyfileobj(file, _Writer(sink))
            os.remove(path)
        for chunk in core.finish():
            sink.write(chunk)
        sink.commit()
    except BaseException:
        sink.discard()
        raise
    return list(core.restart_offsets)


class _Writer:
    """A sink as a file object for ``shutil.copyfileobj``."""

    def __init__(self, sink: Any) -> None:
        self.write = sink.write
