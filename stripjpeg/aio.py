"""``encode_async``: encode rows from an async (or plain) source without blocking the event loop.

Every piece of work that could take more than a moment (pulling the next piece from a
plain iterable, encoding strips, finishing the scan) runs in a worker thread through
:func:`asyncio.to_thread`; the event loop only awaits. The strips themselves are encoded
as everywhere else (the same :class:`~stripjpeg.encoder.StripEncoder`), so the bytes equal
:func:`stripjpeg.encode`'s.
"""

from __future__ import annotations

import asyncio
from collections.abc import AsyncIterable, Iterable
from typing import Any

from .encoder import stream_core
from .options import make_options

_END = object()


async def encode_async(source: AsyncIterable[Any] | Iterable[Any], *, width: int, height: int,
                       mode: str = "RGB", **options: Any) -> bytes:
    """Encode rows from ``source`` to JPEG bytes, off the event loop.

    Args:
        source: an async iterator/iterable or a plain iterable of uint8 row pieces
            ``(n, width[, channels])``, any ``n >= 1``, top to bottom, ``height`` rows in all.
        width, height, mode: image size in pixels and the rows' mode, "L", "RGB", "RGBA",
            "RGBX", "CMYK" or "YCbCr" (see :func:`stripjpeg.encode`).
        **options: encode options (see :func:`stripjpeg.encode`). ``quality=None`` (the
            default) means 100 (every quantization step 1), or with ``qtables``, 50: the
            tables exactly as given. ``optimize=True`` emits nothing until the last row: all
            the work of the output waits for the end of ``source``, since the Huffman tables
            come first in the file and depend on the whole image, so its quantized
            coefficients are spooled first (see ``spool_dir``).

    Returns:
        The JPEG file as bytes, equal to ``stripjpeg.encode`` of the same rows.
    """
    core = stream_core(width, height, mode, make_options(**options))
    chunks: list[bytes] = []
    try:
        chunks.append(core.header())
        if isinstance(source, AsyncIterable):
            async for piece in source:
                chunks += await asyncio.to_thread(core.feed, piece)
        else:
            iterator = iter(source)
            while (piece := await asyncio.to_thread(next, iterator, _END)) is not _END:
                chunks += await asyncio.to_thread(core.feed, piece)
        # (With optimize=True, finish is the whole second pass: a generator, run in the thread.)
        chunks += await asyncio.to_thread(lambda: list(core.finish()))
    finally:
        core.abort()
    return b"".join(chunks)
