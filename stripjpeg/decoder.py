"""Decoding a JPEG file to pixels: the encoder's road walked backwards, band by band.

::

    file ─▶ header (SOI .. first SOS) ─▶ band plan ─▶ entropy decoding ─▶ pixel stages ─▶ strips
            bands.read_sequential_layout  (bands of     per band (numba     per band: IDCT,
                                          whole MCU     kernel or NumPy),   upsampling, colour
                                          rows, each    in parallel when    (pixels.band_pixels),
                                          beginning a   bands begin         once its neighbours'
                                          restart       restart intervals   blocks are decoded
                                          interval)

The pixels are Pillow's (libjpeg-turbo's defaults: islow IDCT, fancy upsampling), byte for
byte. A band's pixels need the block row above and below it (the triangle filters of fancy
upsampling read one sample row across the band's edges), so a band goes to the pixel stages
once the band after it is entropy-decoded; every task is independent of the others, and the
order of the strips is kept by :class:`stripjpeg.scheduler.OrderedScheduler`, whose bounded
window bounds memory.

* Sequential Huffman files (SOF0, SOF1) with restart markers: bands decoded on every core
  (threads running the nogil numba kernels); without restart markers the entropy decoding
  is serial (one state handed from band to band, in the calling thread) and only the pixel
  stages run in parallel.
* Progressive and arithmetic-coded files, and files of a scan per component: the
  coefficients are read whole (:func:`stripjpeg.reader.read_jpeg`), then the pixel stages
  run by bands in parallel.
* 12-bit files (SOF1, SOF2, SOF9, SOF10 of precision 12): read whole as progressive ones
  are, then the pixel stages by bands; uint16 samples 0..4095, libjpeg-turbo's (its plain C
  code: it has no SIMD code for 12 bits), always with the NumPy stages.
* Lossless files (SOF3): :func:`stripjpeg.read_samples`.
"""

from __future__ import annotations

import os
from collections import deque
from collections.abc import Iterable, Iterator
from dataclasses import dataclass
from typing import Any

import numpy as np

from . import backends
from .decoding import bands as banding
from .decoding import entropy
from .decoding.idct import sample_dtype
from .decoding.pixels import FrameGeometry, band_blocks, band_pixels, smoothed_coefficients
from .lossless_reader import read_samples
from .notices import warn_user
from .reader import DEFAULT_MAX_PIXELS, DecodedJpeg, as_jpeg_data, read_jpeg
from .scheduler import STRIPS_IN_FLIGHT_PER_WORKER, make_executor

#: The inverse DCTs ``dct=`` names (djpeg's ``-dct int|fast|float``): "islow" is islow as
#: libjpeg-turbo's x86-64 SIMD code computes it (Pillow's and djpeg's, corrupt coefficients
#: included), "islow-c" jidctint.c's plain C (``JSIMD_FORCENONE=1 djpeg``), which differs
#: from it only for corrupt coefficients.
DECODE_DCT_METHODS = ("islow", "islow-c", "ifast", "float")
#: For 12-bit files every method is libjpeg-turbo's plain C (it has no 12-bit SIMD code), so
#: "islow" and "islow-c" are the same there (:mod:`stripjpeg.decoding.idct_twelve`).


def decode(source: bytes | str | os.PathLike, *, workers: int | None = None,
           rows: tuple[int, int] | None = None, backend: str | None = None, dct: str = "islow",
           fancy_upsampling: bool = True, strict: bool = True,
           index: str | os.PathLike | dict | None = None,
           max_pixels: int = DEFAULT_MAX_PIXELS) -> np.ndarray:
    """Decode a JPEG file to the pixels Pillow gives for it.

    Args:
        source: the file's bytes, or a path.
        workers: threads (None: every core the process may use; the numpy backend uses one).
            Every count gives the same pixels.
        rows: ``(y0, y1)``: decode only pixel rows ``y0 <= y < y1`` (only the restart
            intervals they need, in a file with restart markers).
        backend: "numba" or "numpy" (None: the fastest available, as for encoding).
        dct: the inverse DCT: "islow" (libjpeg's and Pillow's default, as libjpeg-turbo's
            SIMD code computes it), "islow-c" (jidctint.c's plain C, ``JSIMD_FORCENONE=1
            djpeg``: the same pixels but for corrupt coefficients), "ifast" or "float"
            (``djpeg -dct fast`` / ``-dct float``).
        fancy_upsampling: libjpeg's triangle-filter upsampling (Pillow's default); False is
            box replication (``djpeg -nosmooth``).
        strict: a malformed or truncated file is a ValueError; with False, what is there is
            decoded, a warning names the problem, and the rest is filled as libjpeg does
            (the MCUs after the data ends are all-zero blocks: grey).
        index: the restart index JSON ``stripjpeg encode --index`` wrote (a path or the
            loaded dict): the intervals are found from it instead of a marker scan.
        max_pixels: refuse larger frames (a decompression-bomb guard).

    Returns:
        uint8 ``(rows, width)`` for greyscale, ``(rows, width, 3)`` RGB, ``(rows, width, 4)``
        CMYK (Pillow's CMYK for Adobe files), with ``rows`` the image height or ``y1 - y0``.
        A 12-bit file gives uint16 samples 0..4095 (libjpeg-turbo's, as
        ``imagecodecs.jpeg8_decode`` returns them). A lossless file (SOF3) gives
        :func:`stripjpeg.read_samples`'s samples.

    Raises:
        ValueError: a malformed file (with ``strict``), bad options. TypeError: ``source``
            is neither bytes nor a path.
    """
    strips = iter_decode(source, workers=workers, rows=rows, backend=backend, dct=dct,
                         fancy_upsampling=fancy_upsampling, strict=strict, index=index,
                         max_pixels=max_pixels)
    if strips.job is None:  # a lossless file: its samples, in one piece
        return next(strips)
    channels = () if strips.channels == 1 else (strips.channels,)
    # The bands write their rows into the image in place; the strips are views of it.
    strips.job.target = np.empty((strips.height, strips.width, *channels),
                                 sample_dtype(strips.job.geometry.precision))
    for _ in strips:
        pass
    return strips.job.target


def iter_decode(source: bytes | str | os.PathLike, *, workers: int | None = None,
                rows: tuple[int, int] | None = None, backend: str | None = None,
                dct: str = "islow", fancy_upsampling: bool = True, strict: bool = True,
                index: str | os.PathLike | dict | None = None,
                max_pixels: int = DEFAULT_MAX_PIXELS) -> Strips:
    """Decode a JPEG file strip by strip, top to bottom, holding only the strips in flight.

    Takes :func:`decode`'s arguments. Returns an iterator of uint8 strips (uint16 for a
    12-bit file) of whole rows (``(strip_rows, width[, channels])``, about
    :data:`~stripjpeg.decoding.bands.BAND_PIXELS` pixels each) whose concatenation is
    :func:`decode`'s array; it also has ``width``, ``height`` (the rows it yields in all),
    ``channels`` and ``maxval`` (255, or 4095 for a 12-bit file). The file's header is read, and
    options checked, before it returns. Progressive and arithmetic-coded files are read whole
    first (their coefficients are in memory; the pixels still come strip by strip).
    """
    if dct not in DECODE_DCT_METHODS:
        raise ValueError(f"dct must be one of {', '.join(DECODE_DCT_METHODS)}, got {dct!r}")
    data = as_jpeg_data(source)
    if _frame_marker(data) == 0xC3:
        samples = read_samples(data, max_pixels)
        y0, y1 = _row_range(rows, samples.shape[0])
        return Strips(iter([samples[y0:y1]]), samples.shape[1], y1 - y0,
                      1 if samples.ndim == 2 else samples.shape[2], None,
                      int(np.iinfo(samples.dtype).max))
    # 12-bit frames have no layout: the band decoders are 8-bit, so they are read whole.
    frame, layout = banding.read_sequential_layout(data, max_pixels)
    geometry = FrameGeometry.of(frame)
    y0, y1 = _row_range(rows, frame.height)
    chosen = backends.get(backend)
    executor, parallelism, owned = make_executor(workers, None, chosen.threads_help)
    job = DecodeJob(data, frame, geometry, y0, y1, chosen.name, dct, fancy_upsampling, strict,
                    executor, parallelism)
    if layout is None:
        generator = job.from_coefficients(read_jpeg(data, max_pixels, chosen.name))
    else:
        generator = job.from_bands(layout, index)
    return Strips(_shut_down_after(generator, executor if owned else None), frame.width, y1 - y0,
                  1 if geometry.space == "grey" else 4 if len(frame.components) == 4 else 3, job,
                  (1 << geometry.precision) - 1)


class Strips:
    """An iterator of decoded strips, with the image's ``width``, ``height`` (rows yielded
    in all), ``channels`` and ``maxval`` (the largest sample value: 255 for uint8 strips);
    ``job`` is the :class:`DecodeJob` (None for a lossless file)."""

    def __init__(self, strips: Iterator[np.ndarray], width: int, height: int, channels: int,
                 job: DecodeJob | None, maxval: int = 255) -> None:
        self._strips = strips
        self.width, self.height, self.channels = width, height, channels
        self.job, self.maxval = job, maxval

    def __iter__(self) -> Strips:
        return self

    def __next__(self) -> np.ndarray:
        return next(self._strips)

    def close(self) -> None:
        """Stop decoding (the strips in flight are dropped, the threads shut down)."""
        close = getattr(self._strips, "close", None)
        if close is not None:
            close()


@dataclass
class DecodeJob:
    """One decode: the file, what is asked of it, and where tasks run. ``target``, when set
    before the first strip, is the array of rows ``[y0, y1)`` the bands are written into
    (:func:`decode`'s); else each band's rows are a new array."""

    data: bytes
    frame: DecodedJpeg
    geometry: FrameGeometry
    y0: int
    y1: int
    backend: str
    dct: str
    fancy: bool
    strict: bool
    executor: Any
    parallelism: int
    warned: bool = False
    target: np.ndarray | None = None

    def note(self, problem: str | None) -> None:
        """Warn of the first problem a non-strict decode meets (once per decode)."""
        if problem is not None and not self.warned:
            self.warned = True
            warn_user(f"corrupt JPEG data: {problem}; the rest is decoded as libjpeg does "
                      "(missing data as all-zero blocks)")

    @property
    def window(self) -> int:
        return STRIPS_IN_FLIGHT_PER_WORKER * self.parallelism

    # -- sequential files: bands of restart intervals -----------------------------------------------

    def from_bands(self, layout: banding.SequentialLayout, index: Any) -> Iterator[np.ndarray]:
        """Entropy-decode the bands that hold rows ``[y0, y1)`` (and their neighbours, for
        the context rows), then their pixels."""
        offsets, end = self._intervals(layout, index)
        wanted = self._wanted_bands(layout)
        decoder = EntropyDecoder(self.data, layout, offsets, end, self.backend, self.strict)
        decoded = self._entropy_results(decoder, wanted)
        yield from self._render(with_context((band.imcu_rows(layout), blocks, render)
                                             for band, blocks, render in decoded))

    def _intervals(self, layout: banding.SequentialLayout, index: Any) -> tuple[np.ndarray, int]:
        """Each interval's first byte (from the index, or the marker scan), and where the
        scan's data ends."""
        if layout.restart_interval and self.strict:
            # Every block costs at least two bits (reader.py's bound), before allocating.
            blocks = sum(c.width_in_blocks * c.height_in_blocks for c in self.frame.components)
            if blocks > 4 * (len(self.data) - layout.scan_start) + 64:
                raise ValueError(f"the frame declares {blocks} blocks, but the file holds at "
                                 f"most {4 * (len(self.data) - layout.scan_start)} blocks' worth")
        if index is not None:
            offsets = banding.interval_offsets_from_index(index, self.data, layout)
            _, end, complete = banding.find_restart_markers(self.data, int(offsets[-1]))
            if not complete and self.strict:
                raise ValueError("truncated JPEG: the entropy-coded data has no end marker")
            return offsets, end
        offsets, end, complete = banding.interval_offsets(self.data, layout, self.strict)
        if not complete:
            if self.strict:
                raise ValueError("truncated JPEG: the entropy-coded data has no end marker")
            self.note("truncated JPEG: the data ends before the end of the scan")
        return offsets, end

    def _wanted_bands(self, layout: banding.SequentialLayout) -> list[tuple[banding.Band, bool]]:
        """The bands to decode, each with whether its pixels are wanted (the others are
        decoded only for the context rows of their neighbours)."""
        k, mcu_rows = layout.mcu_rows_per_imcu, layout.mcus_down
        imcu_height = self.geometry.mcu_height
        first = self.y0 // imcu_height * k
        stop = min(-(-self.y1 // imcu_height) * k, mcu_rows)
        core = banding.plan_bands(layout, first, stop)
        # A serial plan starts at row 0: the bands above the rows are decoded, not rendered.
        plan = [(band, band.stop_mcu_row * layout.mcu_height > self.y0) for band in core]
        if not any(self.geometry.needs_context(self.fancy)) or core[0].first_interval is None:
            return plan
        if core[0].first_mcu_row > 0:
            before = banding.plan_bands(layout, core[0].first_mcu_row - 1, core[0].first_mcu_row, 1)
            plan.insert(0, (before[-1], False))
        if core[-1].stop_mcu_row < mcu_rows:
            after = banding.plan_bands(layout, core[-1].stop_mcu_row, core[-1].stop_mcu_row + 1, 1)
            plan.append((after[0], False))
        return plan

    def _entropy_results(self, decoder: EntropyDecoder, plan: list[tuple[banding.Band, bool]]
                         ) -> Iterator[tuple[banding.Band, list[np.ndarray], bool]]:
        """Each band's blocks, in order: on the threads when bands begin intervals, else
        serially here (the decoder's state goes from band to band)."""
        if self.executor is None or plan[0][0].first_interval is None or \
                any(band.first_interval is None for band, _ in plan):
            state = None
            for band, render in plan:
                blocks, state, problem = decoder.band(band, state)
                self.note(problem)
                yield band, blocks, render
            return
        in_flight: deque = deque()
        for band, render in plan:
            in_flight.append((band, render, self.executor.submit(decoder.band, band, None)))
            while in_flight and (len(in_flight) > self.window or in_flight[0][2].done()):
                done_band, done_render, future = in_flight.popleft()
                blocks, _, problem = future.result()
                self.note(problem)
                yield done_band, blocks, done_render
        for band, render, future in in_flight:
            blocks, _, problem = future.result()
            self.note(problem)
            yield band, blocks, render

    # -- progressive and arithmetic files: the whole image's coefficients ---------------------------

    def from_coefficients(self, decoded: DecodedJpeg) -> Iterator[np.ndarray]:
        """Cut the coefficients into bands of iMCU rows for the pixel stages (each band's
        context rows are its neighbours' rows, there already)."""
        geometry = self.geometry
        step = max(1, banding.BAND_PIXELS // (geometry.width * geometry.mcu_height))
        first = self.y0 // geometry.mcu_height
        stop = -(-self.y1 // geometry.mcu_height)
        cut = [(start, min(start + step, stop)) for start in range(first, stop, step)]
        # A progressive script that leaves low coefficients unsent: libjpeg's block smoothing.
        coefficients = smoothed_coefficients(decoded, geometry)
        yield from self._render((band, *band_blocks(coefficients, geometry, band)) for band in cut)

    # -- the pixel stages -------------------------------------------------------------------------

    def _render(self, bands: Iterable[tuple[tuple[int, int], list, list | None, list | None]]
                ) -> Iterator[np.ndarray]:
        """Each band's pixel rows within ``[y0, y1)``, in order: ``bands`` gives each band
        (iMCU rows), its blocks, and the block rows above and below it."""
        mcu_height = self.geometry.mcu_height
        in_flight: deque = deque()
        for band, blocks, above, below in bands:
            top = band[0] * mcu_height
            keep = (max(self.y0 - top, 0), min(self.y1, band[1] * mcu_height) - top)
            out = None
            if self.target is not None:
                start = top + keep[0] - self.y0
                out = self.target[start:start + keep[1] - keep[0]]
            arguments = (blocks, self.frame.quant_tables, self.geometry, band, above, below,
                         self.dct, self.fancy, keep, out)
            task = band_task if self.backend == "numpy" else numba_band_task
            if self.executor is None:
                yield task(*arguments)
                continue
            in_flight.append(self.executor.submit(task, *arguments))
            while in_flight and (len(in_flight) > self.window or in_flight[0].done()):
                yield in_flight.popleft().result()
        for future in in_flight:
            yield future.result()


def with_context(decoded: Iterable[tuple[tuple[int, int], list[np.ndarray], bool]]
                 ) -> Iterator[tuple[tuple[int, int], list, list | None, list | None]]:
    """The rendered bands of a run of consecutive decoded bands, each with the block rows
    above and below it (the last of the band before, the first of the band after; None where
    no band was decoded there). A band comes out once the band after it is decoded."""
    before = previous = None
    for band, blocks, render in decoded:
        if previous is not None and previous[2]:
            yield previous[0], previous[1], _last_rows(before), _first_rows(blocks)
        before, previous = (previous[1] if previous else None), (band, blocks, render)
    if previous is not None and previous[2]:
        yield previous[0], previous[1], _last_rows(before), None


def _last_rows(blocks: list[np.ndarray] | None) -> list | None:
    return None if blocks is None else [b[-1] if len(b) else None for b in blocks]


def _first_rows(blocks: list[np.ndarray]) -> list:
    return [b[0] if len(b) else None for b in blocks]


def band_task(blocks: list[np.ndarray], tables: list[np.ndarray], geometry: FrameGeometry,
              band: tuple[int, int], above: list | None, below: list | None, dct: str,
              fancy: bool, keep: tuple[int, int], out: np.ndarray | None = None) -> np.ndarray:
    """One band's pixels, rows ``keep[0]:keep[1]`` of it (a task on the pool), written into
    ``out`` if given: the NumPy stages (:func:`stripjpeg.decoding.pixels.band_pixels`)."""
    pixels = band_pixels(blocks, tables, geometry, band, above, below, dct=dct, fancy=fancy)
    return _into(pixels[keep[0]:keep[1]], out)


def _into(pixels: np.ndarray, out: np.ndarray | None) -> np.ndarray:
    if out is None:
        return pixels
    out[...] = pixels
    return out


def numba_band_task(blocks: list[np.ndarray], tables: list[np.ndarray], geometry: FrameGeometry,
                    band: tuple[int, int], above: list | None, below: list | None, dct: str,
                    fancy: bool, keep: tuple[int, int], out: np.ndarray | None = None
                    ) -> np.ndarray:
    """:func:`band_task` with the numba kernels (``backends.numba_decode_pixels``): the fused
    band kernel for YCbCr with 1x1 chroma under 1x1, 2x1 or 2x2 luma (islow, fancy), and
    for every other frame ``band_pixels`` running the kernels' IDCT, upsampling and colour
    stages. The kernels are 8-bit: a 12-bit frame runs the NumPy stages (:func:`band_task`).
    """
    if geometry.precision != 8:
        return band_task(blocks, tables, geometry, band, above, below, dct, fancy, keep, out)
    from .backends import numba_decode_pixels as kernels

    rows = min(band[1] * geometry.mcu_height, geometry.height) - band[0] * geometry.mcu_height
    if kernels.fused_case(list(geometry.factors), geometry.space, dct, fancy):
        chroma = blocks[1].shape[1:]
        whole = out is not None and keep == (0, rows)
        pixels = out if whole else np.empty((rows, geometry.width, 3), np.uint8)
        kernels.band_to_pixels_fused(blocks[0], blocks[1], blocks[2],
                                     _chroma_rows(above, chroma), _chroma_rows(below, chroma),
                                     np.stack(tables), *geometry.ratio(1), pixels)
        return pixels if whole else _into(pixels[keep[0]:keep[1]], out)
    pixels = band_pixels(blocks, tables, geometry, band, above, below, dct=dct, fancy=fancy,
                         stages=kernels)
    return _into(pixels[keep[0]:keep[1]], out)


def _chroma_rows(rows: list | None, shape: tuple[int, ...]) -> np.ndarray:
    """The fused kernel's context: int16 ``(2, cols, 8, 8)``, the Cb and Cr block rows next to
    the band, or ``(0, cols, 8, 8)`` at the image's edge."""
    if rows is None or rows[1] is None:
        return np.zeros((0, *shape), np.int16)
    return np.stack([rows[1], rows[2]])


class EntropyDecoder:
    """The entropy decoding of a sequential scan's bands, with the backend's decoder."""

    def __init__(self, data: bytes, layout: banding.SequentialLayout, offsets: np.ndarray,
                 end: int, backend: str, strict: bool) -> None:
        self.data, self.layout, self.offsets, self.end = data, layout, offsets, end
        self.strict = strict
        self.fast = backend != "numpy"
        if self.fast:
            from .backends import numba_decode_huffman

            self._kernel = numba_decode_huffman
            self._tables = numba_decode_huffman.scan_tables(layout)
            self._array = np.frombuffer(data, np.uint8)

    def band(self, band: banding.Band, state: Any) -> tuple[list[np.ndarray], Any, str | None]:
        """The band's blocks, the state the next band continues from, and the first
        problem met (non-strict decoding; None if none)."""
        if self.fast:
            return self._kernel.decode_band(self._array, self.layout, band, self.offsets,
                                            self._tables, state, self.strict)
        return entropy.decode_band(self.data, self.layout, band, self.offsets, self.end, state,
                                   self.strict)


def _row_range(rows: tuple[int, int] | None, height: int) -> tuple[int, int]:
    """``rows`` checked: ``0 <= y0 < y1 <= height``."""
    if rows is None:
        return 0, height
    try:
        y0, y1 = (int(r) for r in rows)
    except (TypeError, ValueError):
        raise TypeError(f"rows must be (y0, y1), got {rows!r}") from None
    if not 0 <= y0 < y1 <= height:
        raise ValueError(f"rows=({y0}, {y1}): need 0 <= y0 < y1 <= {height} (the image height)")
    return y0, y1


def _frame_marker(data: bytes) -> int | None:
    """The SOFn marker of the file (walking the segments' lengths), or None if none is found
    before the first scan."""
    position = 2
    while position + 4 <= len(data) and data[position] == 0xFF:
        marker = data[position + 1]
        if marker == 0xFF:
            position += 1
            continue
        if 0xC0 <= marker <= 0xCF and marker not in (0xC4, 0xC8, 0xCC):
            return marker
        if marker == 0xDA:
            return None
        position += 2 + int.from_bytes(data[position + 2:position + 4], "big")
    return None


def _shut_down_after(strips: Iterator[np.ndarray], executor: Any) -> Iterator[np.ndarray]:
    """Yield the strips; shut the pool down at the end, on error, or when closed early."""
    try:
        yield from strips
    finally:
        if executor is not None:
            executor.shutdown(wait=True, cancel_futures=True)

