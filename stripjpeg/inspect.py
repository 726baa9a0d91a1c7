"""Looking inside: JPEG files read back, and one block followed through every stage.

* :func:`read_markers`: any JPEG file's marker segments, in order, with offsets, lengths and
  the fields that matter (T.81 Annex B); RSTn markers counted per scan; and :func:`read_scans`,
  one line per scan (SOS) with the tables and DRI defined before it (both from
  :mod:`stripjpeg.segments`);
* :func:`read_coefficients` / :func:`read_jpeg`: the quantized coefficients of any sequential
  or progressive Huffman file, as libjpeg's coefficient API returns them (see
  :mod:`stripjpeg.reader`);
* :func:`trace_block`: one luma block from pixels to the bits in the file, stage by stage;
* :func:`compare`: two JPEG files side by side, coefficient by coefficient.

Everything here parses untrusted files: every length is checked against the bytes that are
there, and anything malformed ends in a ``ValueError`` saying what and where.
"""

from __future__ import annotations

import os
from dataclasses import dataclass, field
from typing import Any

import numpy as np

from .reader import DecodedJpeg, as_jpeg_data, read_coefficients, read_jpeg
from .segments import MARKER_NAMES, SOF_PROCESSES, ScanSummary, Segment, read_markers, read_scans

__all__ = ["MARKER_NAMES", "SOF_PROCESSES", "BlockTrace", "Comparison", "ScanSummary", "Segment", "Symbol",
           "compare", "read_coefficients", "read_jpeg", "read_markers", "read_scans", "trace_block"]

# --- Tracing one block ------------------------------------------------------------------------

@dataclass(frozen=True)
class Symbol:
    """One Huffman-coded symbol of a block (T.81 F.1.2).

    Attributes:
        kind: "DC", "AC", "ZRL" (16 zeros) or "EOB" (the rest are zeros).
        run: zeros skipped before an AC value (RRRR); 15 for ZRL.
        size: SSSS, the bit length of ``|value|``.
        value: the DC difference or the AC coefficient (0 for ZRL and EOB).
        amplitude: the SSSS extra bits sent after the code, as a string of "0"/"1".
    """

    kind: str
    run: int
    size: int
    value: int
    amplitude: str

    @property
    def symbol(self) -> int:
        """The byte the Huffman table codes: SSSS for DC, RRRRSSSS for AC."""
        return self.size if self.kind == "DC" else (self.run << 4) | self.size


@dataclass(frozen=True, repr=False)
class BlockTrace:
    """Every stage of one luma (Y) block, from pixels to the bits in the file.

    Attributes:
        block_row, block_col: which 8x8 block of the Y component.
        rgb: the pixels under the block (edges replicated), uint8 ``(8, 8, 3)`` or ``(8, 8)``.
        y: the Y samples, ``(8, 8)`` (libjpeg's fixed-point conversion).
        shifted: ``y - 128`` (level shift, T.81 A.3.1).
        dct: the forward DCT, ``(8, 8)`` ``[v][u]``; islow gives integers 8 times the
            T.81 A.3.3 values (``dct_scale`` = 8), ifast integers 8 times them further
            scaled by AA&N's ``s[v] * s[u]`` (``dct_scale`` = 8; see
            stages.quantize.ifast_divisors, which folds that factor into the divisors
            made from ``table``), float the same scaled values in float32 (``dct_scale`` =
            8; stages.quantize.float_divisors), exact the exact values (scale 1).
        table: the quantization steps, ``(8, 8)``.
        quantized: the coefficients written to the file, ``(8, 8)`` natural order.
        zigzag: the same 64 values in zigzag order (T.81 Figure A.6).
        predictor: the DC of the previous Y block coded (0 at the start of a restart interval).
        symbols: the symbols coded for the block, in order.
        codes: the Huffman code of each symbol, as "0"/"1" strings.
        bits: everything written for the block, in order, before 0xFF stuffing.
    """

    block_row: int
    block_col: int
    rgb: np.ndarray
    y: np.ndarray
    shifted: np.ndarray
    dct: np.ndarray
    dct_scale: int
    table: np.ndarray
    quantized: np.ndarray
    zigzag: np.ndarray
    predictor: int
    symbols: list[Symbol]
    codes: list[str]
    bits: str

    def __repr__(self) -> str:
        def grid(array: np.ndarray, width: int = 5) -> str:
            return "\n".join("    " + " ".join(f"{v:>{width}}" for v in row) for row in np.asarray(array))

        dct = np.round(self.dct, 1) if self.dct.dtype.kind == "f" else self.dct
        symbol_lines = "\n".join(
            f"    {s.kind:<3} run={s.run:<2} size={s.size:<2} value={s.value:<6} code={c:<16} "
            f"amplitude={s.amplitude}" for s, c in zip(self.symbols, self.codes))
        return (f"BlockTrace(block_row={self.block_row}, block_col={self.block_col})\n"
                f"  y (samples):\n{grid(self.y)}\n"
                f"  shifted (y - 128):\n{grid(self.shifted)}\n"
                f"  dct (x{self.dct_scale}):\n{grid(dct, 7)}\n"
                f"  table:\n{grid(self.table)}\n"
                f"  quantized:\n{grid(self.quantized)}\n"
                f"  zigzag: {' '.join(str(v) for v in self.zigzag)}\n"
                f"  predictor (previous DC): {self.predictor}\n"
                f"  symbols:\n{symbol_lines}\n"
                f"  bits ({len(self.bits)}): {self.bits}")


def trace_block(pixels: np.ndarray, block_row: int, block_col: int, **options: Any) -> BlockTrace:
    """Follow one luma block through the NumPy stages, as ``encode`` codes it.

    Args:
        pixels: the whole image, as for :func:`stripjpeg.encode`.
        block_row, block_col: the block, counted in 8x8 blocks of the Y component.
        **options: encode options (quality, subsampling, dct, restart_rows, qtables...).

    Returns:
        A :class:`BlockTrace`; its ``quantized`` equals that block as read back from
        ``encode(pixels, **options)`` and its ``bits`` are what the file carries for it, on
        every backend (all of them compute ``dct="exact"`` with the NumPy stage).
    """
    from .options import make_options
    from .plan import make_plan
    from .sources import whole_image
    from .stages.dct import DCT_SCALE, FORWARD_DCT
    from .stages.huffman import encode_block
    from .stages.quantize import quantize
    from .stages.samples import convert_to_ycbcr
    from .tables import ZIGZAG

    encode_options = make_options(**options)
    if encode_options.precision != 8:
        raise ValueError(f"trace_block with precision={encode_options.precision} is not "
                         "implemented yet: it traces 8-bit blocks")
    image = whole_image(pixels)
    height, width, channels = image.shape
    plan = make_plan(width, height, channels, encode_options)
    if plan.arithmetic:
        raise ValueError("trace_block shows a block's Huffman codes; with arithmetic=True no bits "
                         "belong to one block (each decision's bytes depend on every one before)")
    luma = plan.components[0]
    if not (0 <= block_row < luma.height_in_blocks and 0 <= block_col < luma.width_in_blocks):
        raise ValueError(f"block ({block_row}, {block_col}) is outside the Y component's "
                         f"{luma.height_in_blocks}x{luma.width_in_blocks} blocks")
    rows = np.minimum(np.arange(8 * block_row, 8 * block_row + 8), height - 1)
    cols = np.minimum(np.arange(8 * block_col, 8 * block_col + 8), width - 1)
    rgb = image[rows][:, cols]
    y = convert_to_ycbcr(rgb)[0]
    if plan.smoothing:
        # Smoothing mixes in the neighbouring samples: Y as the sample stage makes it.
        strip = block_row // (plan.strip_mcu_rows * luma.mcu_v)
        first = 8 * (block_row - strip * plan.strip_mcu_rows * luma.mcu_v)
        y = _strip_luma(image, plan, strip)[first:first + 8, 8 * block_col:8 * block_col + 8]
    shifted = y - 128
    dct = FORWARD_DCT[plan.dct](shifted)
    table = plan.quant_tables[luma.quant_index].reshape(8, 8).astype(np.int64)
    quantized = quantize(dct, table, plan.dct)
    zigzag = quantized.reshape(64)[ZIGZAG].astype(np.int64)
    predictor = _previous_dc(image, plan, block_row, block_col)

    coded, _ = encode_block(zigzag.tolist(), predictor, plan.dc_codes[luma.huffman_index],
                            plan.ac_codes[luma.huffman_index])
    symbols = [_symbol(c) for c in coded]
    codes = [format(c.code, f"0{c.code_length}b") for c in coded]
    bits = "".join(code + s.amplitude for s, code in zip(symbols, codes))
    return BlockTrace(block_row, block_col, rgb[:, :, 0] if channels == 1 else rgb[:, :, :3], y, shifted,
                      dct, DCT_SCALE[plan.dct], table, quantized, zigzag, predictor,
                      symbols, codes, bits)


def _symbol(coded: Any) -> Symbol:
    """A :class:`Symbol` from one of :func:`~stripjpeg.stages.huffman.encode_block`'s
    coded symbols: RRRR is the high four bits of an AC symbol (15 for ZRL), none for DC."""
    run = 0 if coded.kind == "DC" else coded.symbol >> 4
    amplitude = format(coded.amplitude, f"0{coded.size}b") if coded.size else ""
    return Symbol(coded.kind, run, coded.size, coded.value, amplitude)


def _previous_dc(image: np.ndarray, plan: Any, block_row: int, block_col: int) -> int:
    """The DC of the Y block coded just before this one, or 0 at the start of a restart
    interval (T.81 F.1.1.5.1). Blocks go MCU by MCU, each MCU's Y blocks row by row."""
    from .stages.quantize import quantized_blocks
    from .stages.samples import prepare_samples

    luma = plan.components[0]
    h, v = luma.mcu_h, luma.mcu_v
    mcu_row, mcu_col = block_row // v, block_col // h
    index = (block_row % v) * h + block_col % h
    if index == 0 and plan.restart_blocks and \
            (mcu_row * plan.mcus_per_row + mcu_col) % plan.restart_blocks == 0:
        return 0  # the MCU begins an interval of restart_blocks MCUs
    if index > 0:
        index -= 1
    elif mcu_col > 0:
        mcu_col, index = mcu_col - 1, h * v - 1
    elif mcu_row > 0 and not (plan.restart_interval and not plan.restart_blocks
                              and mcu_row % plan.strip_mcu_rows == 0):
        mcu_row, mcu_col, index = mcu_row - 1, plan.mcus_per_row - 1, h * v - 1
    else:
        return 0  # the first block of the scan or of a restart interval
    row, col = mcu_row * v + index // h, mcu_col * h + index % h
    # The previous block may be a dummy block: take it from a real transform of its strip.
    strip = mcu_row // plan.strip_mcu_rows
    pixels = _strip_pixels(image, plan, strip)
    blocks = quantized_blocks(prepare_samples(pixels, plan), plan, plan.strip_rows(pixels))[0]
    return int(blocks[row - strip * plan.strip_mcu_rows * v, col, 0, 0])


def _strip_pixels(image: np.ndarray, plan: Any, strip: int) -> np.ndarray:
    """Strip ``strip`` of the image as the encoder hands it to the sample stage (with
    smoothing's context rows: the image's edge rows repeated beyond it)."""
    first = strip * plan.strip_height
    last = min(first + plan.strip_height, plan.height)
    rows = np.clip(np.arange(first - plan.context_rows, last + plan.context_rows), 0, plan.height - 1)
    return image[rows]


def _strip_luma(image: np.ndarray, plan: Any, strip: int) -> np.ndarray:
    """The Y samples of strip ``strip``, from the sample stage."""
    from .stages.samples import prepare_samples

    return prepare_samples(_strip_pixels(image, plan, strip), plan)[0]


# --- Comparing two files ------------------------------------------------------------------------

@dataclass(frozen=True)
class ComponentDifference:
    """How one component's coefficients differ between two files.

    Attributes:
        index: the component's position in the frame (0 = Y).
        same_table: whether both use the same quantization steps.
        blocks, blocks_differing: blocks compared, and those with any coefficient different.
        coefficients_differing: coefficients that differ.
        max_difference: the largest ``|a - b|``.
        histogram: ``{|a - b|: count}`` over the differing coefficients.
        worst_blocks: up to five ``(block_row, block_col, sum |a - b|)``, worst first.
        block_differences: ``sum |a - b|`` per block, ``(block_rows, block_cols)``.
    """

    index: int
    same_table: bool
    blocks: int
    blocks_differing: int
    coefficients_differing: int
    max_difference: int
    histogram: dict[int, int]
    worst_blocks: list[tuple[int, int, int]]
    block_differences: np.ndarray = field(repr=False)


@dataclass(frozen=True)
class Comparison:
    """What :func:`compare` finds.

    Attributes:
        size_a, size_b: ``(width, height)`` of each file.
        sampling_a, sampling_b: each file's ``H x V`` per component.
        components: per component, a :class:`ComponentDifference` (empty when the frames
            differ in size or sampling, so that blocks cannot be paired).
        psnr: PSNR in dB between the two decoded images (inf when equal), both decoded by
            stripjpeg's own decoder (:func:`stripjpeg.decode`), or None when the sizes differ.
    """

    size_a: tuple[int, int]
    size_b: tuple[int, int]
    sampling_a: list[str]
    sampling_b: list[str]
    components: list[ComponentDifference]
    psnr: float | None

    @property
    def same_layout(self) -> bool:
        """Same size and sampling factors: blocks can be compared one to one."""
        return self.size_a == self.size_b and self.sampling_a == self.sampling_b

    @property
    def identical(self) -> bool:
        """Same layout, same tables and every coefficient equal."""
        return self.same_layout and all(c.same_table and c.coefficients_differing == 0
                                        for c in self.components)

    def __str__(self) -> str:
        lines = [f"size:     {self.size_a[0]}x{self.size_a[1]} vs {self.size_b[0]}x{self.size_b[1]}",
                 f"sampling: {' '.join(self.sampling_a)} vs {' '.join(self.sampling_b)}"]
        if not self.same_layout:
            lines.append("the frames differ in size or sampling: coefficients cannot be paired")
        names = ["Y", "Cb", "Cr", "K"]
        for c in self.components:
            lines.append(f"component {names[c.index] if len(self.components) > 1 else 'Y'}: "
                         f"tables {'equal' if c.same_table else 'DIFFER'}; "
                         f"{c.blocks_differing} of {c.blocks} blocks differ, "
                         f"{c.coefficients_differing} coefficients, max |difference| {c.max_difference}")
            if c.histogram:
                counts = ", ".join(f"{k}: {n}" for k, n in sorted(c.histogram.items()))
                lines.append(f"    |difference|: {counts}")
            if c.worst_blocks:
                lines.append("    worst blocks (row, col, sum |difference|): "
                             + ", ".join(str(b) for b in c.worst_blocks))
        if self.psnr is not None:
            lines.append(f"PSNR between the decoded images (stripjpeg.decode): "
                         f"{'inf (identical pixels)' if np.isinf(self.psnr) else f'{self.psnr:.2f} dB'}")
        lines.append("identical coefficients and tables" if self.identical else "the files DIFFER")
        return "\n".join(lines)

    def save_heatmap(self, path: str | os.PathLike) -> None:
        """Draw, per component, the sum of ``|a - b|`` of each block (needs matplotlib)."""
        if not self.components:
            raise ValueError("no heatmap: the files differ in size or sampling")
        try:
            import matplotlib

            matplotlib.use("Agg")
            import matplotlib.pyplot as plt
        except ImportError:
            raise ValueError("--heatmap needs matplotlib (pip install matplotlib)") from None
        figure, axes = plt.subplots(1, len(self.components), figsize=(4.5 * len(self.components), 4),
                                    squeeze=False)
        for axis, component in zip(axes[0], self.components):
            shown = axis.imshow(component.block_differences, cmap="magma", interpolation="nearest")
            axis.set_title(f"component {component.index}: sum |a - b| per block")
            axis.set_xlabel("block column")
            axis.set_ylabel("block row")
            figure.colorbar(shown, ax=axis, shrink=0.8)
        figure.tight_layout()
        figure.savefig(path, dpi=100)
        plt.close(figure)


def compare(a: bytes | str | os.PathLike, b: bytes | str | os.PathLike) -> Comparison:
    """Compare two JPEG files (sequential or progressive) at the coefficient level (and decoded,
    with stripjpeg's own decoder, :func:`stripjpeg.decode`).

    Args:
        a, b: each file's bytes or path.
    """
    data_a, data_b = as_jpeg_data(a), as_jpeg_data(b)
    first, second = read_jpeg(data_a), read_jpeg(data_b)
    components = []
    comparison_layout = ((first.width, first.height) == (second.width, second.height)
                         and _sampling(first) == _sampling(second))
    if comparison_layout:
        for index, (ca, cb) in enumerate(zip(first.coefficients, second.coefficients)):
            components.append(_component_difference(index, first, second, ca, cb))
    return Comparison((first.width, first.height), (second.width, second.height), _sampling(first),
                      _sampling(second), components, _decoded_psnr(data_a, data_b))


def _sampling(decoded: DecodedJpeg) -> list[str]:
    return [f"{c.h}x{c.v}" for c in decoded.components]


def _component_difference(index: int, first: DecodedJpeg, second: DecodedJpeg,
                          ca: np.ndarray, cb: np.ndarray) -> ComponentDifference:
    difference = np.abs(ca.astype(np.int32) - cb)
    per_block = difference.sum(axis=(2, 3))
    values, counts = np.unique(difference[difference > 0], return_counts=True)
    order = np.argsort(per_block, axis=None)[::-1][:5]
    worst = [(int(r), int(c), int(per_block[r, c])) for r, c in zip(*np.unravel_index(order, per_block.shape))
             if per_block[r, c] > 0]
    return ComponentDifference(
        index=index, same_table=bool(np.array_equal(first.quant_tables[index], second.quant_tables[index])),
        blocks=per_block.size, blocks_differing=int(np.count_nonzero(per_block)),
        coefficients_differing=int(np.count_nonzero(difference)), max_difference=int(difference.max()),
        histogram={int(v): int(n) for v, n in zip(values, counts)}, worst_blocks=worst,
        block_differences=per_block)


def _decoded_psnr(data_a: bytes, data_b: bytes) -> float | None:
    """PSNR of the two files' pixels, both decoded by :func:`stripjpeg.decode` (Pillow's
    pixels, byte for byte); None when the shapes differ or a file is not decoded to pixels."""
    from .decoder import decode

    try:
        pixels_a = decode(data_a).astype(np.float64)
        pixels_b = decode(data_b).astype(np.float64)
    except ValueError:
        return None
    if pixels_a.shape != pixels_b.shape:
        return None
    error = np.mean((pixels_a - pixels_b) ** 2)
    return float("inf") if error == 0 else float(10 * np.log10(255.0 ** 2 / error))
