"""The tables an encode's options choose: the quantization tables, scaled with their quality
(or the custom ``qtables``), and every table slot libjpeg fills, which a tables-only stream
(``streamtype=1``) carries. Used by :func:`stripjpeg.plan.make_plan` and the writers."""

from __future__ import annotations

import numpy as np

from .options import EncodeOptions
from .tables import (
    AC_CHROMINANCE,
    AC_LUMINANCE,
    DC_CHROMINANCE,
    DC_LUMINANCE,
    HuffmanSpec,
    custom_quant_tables,
    quantization_tables,
)


def option_quant_tables(options: EncodeOptions) -> tuple[np.ndarray, ...]:
    """The quantization tables the options ask for, before the frame keeps those it uses:
    libjpeg's standard tables (luminance, chrominance) or the custom ``qtables``, each
    scaled with its table's quality (:meth:`EncodeOptions.table_quality`; cjpeg's
    ``-quality N,N`` scales table 0 with the first, table 1 with the second); clamped to
    255 with ``baseline`` (libjpeg's force_baseline), else to 32767."""
    baseline = options.baseline
    if options.qtables is not None:
        if not isinstance(options.quality, tuple):
            return custom_quant_tables(options.qtables, options.quality, baseline)
        return tuple(custom_quant_tables((table,), options.table_quality(index), baseline)[0]
                     for index, table in enumerate(options.qtables))
    return (quantization_tables(options.table_quality(0), baseline)[0],
            quantization_tables(options.table_quality(1), baseline)[1])


def table_slots(options: EncodeOptions) -> tuple[tuple[np.ndarray, ...],
                                                 tuple[tuple[HuffmanSpec, HuffmanSpec], ...]]:
    """Every table slot libjpeg fills for these options, whether or not a component uses it:
    what a tables-only stream (``streamtype=1``, jpeg_write_tables) carries.

    Quantization: slots 0 and 1 (jcparam.c jpeg_set_defaults), or the custom ``qtables``,
    one slot each, a single table copied to slot 1 too (Pillow's JpegEncode.c). Huffman: the
    standard tables of slots 0 and 1 (jcparam.c std_huff_tables): optimized tables exist
    only while an image is compressed; none with arithmetic coding (jcmarker.c
    write_tables_only writes no DHT then: the coder has no tables to share).

    Returns:
        ``(quant_tables, huffman_tables)``: natural-order tables per slot, and per slot its
        (DC, AC) Huffman tables.
    """
    quant_tables = option_quant_tables(options)
    if len(quant_tables) == 1:
        quant_tables = (quant_tables[0], quant_tables[0])
    huffman = () if options.arithmetic else ((DC_LUMINANCE, AC_LUMINANCE), (DC_CHROMINANCE, AC_CHROMINANCE))
    return tuple(np.asarray(t, dtype=np.uint16).reshape(64) for t in quant_tables), huffman
