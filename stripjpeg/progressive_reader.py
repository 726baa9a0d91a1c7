"""Decoding the scans of a progressive Huffman JPEG file (T.81 Annex G.2) into coefficients.

A progressive frame (SOF2) sends each component's 64 coefficients over several scans.
Spectral selection splits the zigzag positions into bands ``Ss..Se``; the DC coefficient is
a band of its own (``Ss = Se = 0``), sent before any AC band of its component. Successive
approximation sends each band's values most significant bits first: a *first* scan
(``Ah = 0``) the values divided by ``2**Al`` (the point transform, G.1.2), then each
*refinement* scan (``Ah`` = the previous ``Al``, ``Al = Ah - 1``) one more bit. That makes
four kinds of scan, each decoded by its own function, as in libjpeg's ``jdphuff.c``:

* DC first (G.2.1): per block, a Huffman-coded DC difference as in a sequential scan
  (F.2.2.1), the value shifted left by ``Al``; one component or several interleaved;
* DC refinement (G.1.2.1): one raw bit per block, the next bit of the two's-complement DC;
* AC first (G.2.2): per block of one component, the band's run/size symbols (F.2.2.2), and a
  symbol ``0xR0`` with ``R < 15`` (EOBn) ends this block and the next ``2**R - 1`` plus the
  ``R`` bits after it: an end-of-band run (EOBRUN) of blocks with nothing more in the band;
* AC refinement (G.1.2.3, Figure G.7): a correction bit for every coefficient of the band that
  is already nonzero, and each newly nonzero coefficient (only ``±2**Al`` can be new) as
  the number of still-zero coefficients to skip, its size 1, and a sign bit; EOBRUN as above.

A scan of one component (every AC scan) codes the component's own blocks row by row, one
block per MCU, no dummy blocks; an interleaved DC scan codes whole MCUs, dummy blocks too.
A restart interval counts the scan's MCUs; at each one the DC predictions and EOBRUN reset.
Coefficients that no scan sends stay 0, as libjpeg leaves them.

Scan parameters are checked as libjpeg checks them (``JERR_BAD_PROGRESSION``). Where libjpeg
only warns and decodes on (``JWRN_BOGUS_PROGRESSION``: an AC scan before its component's DC
scan, a coefficient sent by two first scans, a refinement of a bit already sent or of a
coefficient not yet sent; ``JWRN_HUFF_BAD_CODE``: a new refinement coefficient not of size 1)
this reader refuses the file, naming the scan. That strictness is also what bounds the work:
every coefficient of a component can be in at most 14 scans (one first scan with ``Al <= 13``,
then one refinement per bit), so a file holds at most 14 x 64 scans per component. A
component's blocks are allocated at its DC first scan, which costs at least one bit per block
(its Huffman code), so they are bounded by eight per byte of that scan's data. Decoding costs
Python work per bit read, except in EOBRUN runs: skipped outright in a first scan, handled as
arrays in a refinement scan (a NumPy pass over the run's bands, at most 14 per coefficient).
"""

from __future__ import annotations

import math
from collections.abc import Iterator
from dataclasses import dataclass

import numpy as np

from .arithmetic_decoding import SequentialDecoder
from .scan_decoding import BitReader, FrameComponent, HuffmanTable, decode_symbol, extend
from .tables import NATURAL_TO_ZIGZAG

#: The largest point transform libjpeg accepts (jdphuff.c: the standard sets no limit).
MAX_AL = 13

#: The largest DC difference size of 8-bit samples (F.1.2.1, Table F.1), as the sequential reader.
MAX_DC_SIZE = 11

#: A refinement EOBRUN over at most this many coefficients is corrected in Python, block by
#: block; a longer one with NumPy (whose fixed cost is some microseconds a call).
SHORT_RUN = 256


@dataclass(frozen=True)
class ScanComponent:
    """One component of a scan header (B.2.3): its place in the frame, id, and tables."""

    index: int
    id: int
    dc_table: int
    ac_table: int


@dataclass(frozen=True)
class ProgressiveScan:
    """One scan header of a progressive frame (B.2.3), numbered from 0 in file order."""

    number: int
    components: tuple[ScanComponent, ...]
    ss: int
    se: int
    ah: int
    al: int

    def __str__(self) -> str:
        ids = ",".join(str(c.id) for c in self.components)
        return (f"scan {self.number} (component{'s' if len(self.components) > 1 else ''} {ids}, "
                f"Ss={self.ss}, Se={self.se}, Ah={self.ah}, Al={self.al})")


@dataclass(frozen=True)
class _Placement:
    """Where the j-th block of a scan's MCU goes: its component, and its offset inside the
    MCU in blocks (``by``, ``bx``, of an MCU ``v`` blocks down and ``h`` across)."""

    slot: int
    index: int
    by: int
    bx: int
    h: int
    v: int


@dataclass(frozen=True)
class _Geometry:
    """A scan's MCU grid (A.2) and its restart intervals."""

    across: int
    total_mcus: int
    interval: int
    blocks: tuple[_Placement, ...]

    def intervals(self) -> Iterator[tuple[int, int]]:
        """``(first MCU, end MCU)`` of each restart interval."""
        for first in range(0, self.total_mcus, self.interval):
            yield first, min(first + self.interval, self.total_mcus)


class ProgressiveFrame:
    """The coefficients of a progressive frame, filled in scan by scan.

    Per component, its blocks' coefficients in zigzag order, int16 ``(blocks, 64)`` (allocated
    at the component's DC first scan), and libjpeg's progression status ``coef_bits``: per
    zigzag position, the ``Al`` of the last scan that coded it, -1 before any.

    With ``fast`` the scans are decoded by the numba kernels of
    :mod:`stripjpeg.backends.numba_read_progressive` and
    :mod:`stripjpeg.backends.numba_read_arithmetic`, which give the same coefficients and
    the same errors as the methods here (the textbook).
    """

    def __init__(self, components: list[FrameComponent], width: int, height: int,
                 precision: int = 8, fast: bool = False) -> None:
        self.components = components
        self.fast = fast  # decode with the numba kernels (backends.numba_read_*)
        # DC differences of 11 bits at most for 8-bit samples, 15 for 12-bit (T.81 F.1.2.1.1).
        self.max_dc_size = MAX_DC_SIZE + precision - 8
        self.hmax = max(c.h for c in components)
        self.vmax = max(c.v for c in components)
        self.width, self.height = width, height
        self.zigzag: list[np.ndarray | None] = [None] * len(components)
        self.coef_bits = [[-1] * 64 for _ in components]
        self.finished = False

    def coefficients(self) -> list[np.ndarray]:
        """Per component, int16 ``(height_in_blocks, width_in_blocks, 8, 8)``, natural order.

        Called once, after the last scan: the zigzag arrays become the result, reordered in
        place (a slice at a time, so the reordering needs no second copy of the image)."""
        if self.finished:
            raise RuntimeError("ProgressiveFrame.coefficients() was called already")
        self.finished = True
        result = []
        for component, zigzag in zip(self.components, self.zigzag):
            shape = (component.height_in_blocks, component.width_in_blocks, 8, 8)
            if zigzag is None:  # no scan coded it
                result.append(np.zeros(shape, np.int16))
                continue
            for first in range(0, len(zigzag), 4096):
                rows = zigzag[first:first + 4096]
                rows[:] = rows[:, NATURAL_TO_ZIGZAG]
            result.append(zigzag.reshape(shape))
        return result

    # -- checks before a scan's data is read ------------------------------------------------------

    def start_scan(self, scan: ProgressiveScan) -> None:
        """Check a scan's parameters and its place in the progression, and record it.

        Raises:
            ValueError: naming the scan, for parameters libjpeg refuses and for a
                progression it only warns about (see the module doc).
        """
        _check_parameters(scan)
        for member in scan.components:
            bits = self.coef_bits[member.index]
            if scan.ss > 0 and bits[0] < 0:
                raise ValueError(f"{scan}: AC coefficients of component {member.id} before its DC "
                                 "first scan (G.1.1.1.1)")
            for k in range(scan.ss, scan.se + 1):
                if scan.ah == 0 and bits[k] >= 0:
                    raise ValueError(f"{scan}: coefficient {k} of component {member.id} was sent by an "
                                     "earlier first scan already")
                if scan.ah > 0 and bits[k] != scan.ah:
                    state = "no earlier scan sent" if bits[k] < 0 else f"the last scan of it had Al={bits[k]}"
                    raise ValueError(f"{scan}: refines coefficient {k} of component {member.id} from "
                                     f"bit Ah={scan.ah}, but {state} (G.1.1.1.2)")
        for member in scan.components:
            self.coef_bits[member.index][scan.ss:scan.se + 1] = [scan.al] * (scan.se - scan.ss + 1)

    def _geometry(self, scan: ProgressiveScan, restart_interval: int) -> _Geometry:
        if len(scan.components) == 1:  # non-interleaved (A.2.2): the component's own blocks
            component = self.components[scan.components[0].index]
            across, down = component.width_in_blocks, component.height_in_blocks
            blocks: tuple[_Placement, ...] = (_Placement(0, scan.components[0].index, 0, 0, 1, 1),)
        else:  # interleaved (A.2.3): whole MCUs of Hmax x Vmax blocks' worth
            across = math.ceil(self.width / (8 * self.hmax))
            down = math.ceil(self.height / (8 * self.vmax))
            blocks = tuple(_Placement(slot, m.index, by, bx, self.components[m.index].h,
                                      self.components[m.index].v)
                           for slot, m in enumerate(scan.components)
                           for by in range(self.components[m.index].v)
                           for bx in range(self.components[m.index].h))
            if len(blocks) > 10:  # A.2.3, B.2.3; libjpeg refuses more
                raise ValueError(f"{scan}: an interleaved scan of {len(blocks)} blocks per MCU: at most "
                                 "10 are allowed")
        return _Geometry(across, across * down, restart_interval or across * down, blocks)

    # -- decoding ---------------------------------------------------------------------------------

    def decode_scan(self, scan: ProgressiveScan, huffman: dict[tuple[int, int], HuffmanTable],
                    restart_interval: int, segments: list[bytes], entropy_bytes: int) -> None:
        """Decode one scan (after :meth:`start_scan`) into the coefficients.

        Args:
            scan: the scan header.
            huffman: the Huffman tables in force, by ``(class, index)`` (class 0 DC, 1 AC).
            restart_interval: the DRI in force, in MCUs of this scan (0: none).
            segments: the scan's restart intervals, unstuffed.
            entropy_bytes: the length of the scan's entropy-coded data in the file.
        """
        geometry = self._geometry(scan, restart_interval)
        expected = math.ceil(geometry.total_mcus / geometry.interval)
        if len(segments) != expected:
            raise ValueError(f"{scan}: {len(segments)} restart intervals, expected {expected} "
                             f"(restart interval {restart_interval} MCUs)")
        if scan.ss == 0 and scan.ah == 0:
            tables = [_table(scan, huffman, 0, member.dc_table) for member in scan.components]
            self._allocate(scan, geometry, entropy_bytes)
        elif scan.ss > 0:
            tables = [_table(scan, huffman, 1, scan.components[0].ac_table)]
        else:
            tables = []  # a DC refinement reads raw bits (G.1.2.1)
        if self.fast:
            from .backends import numba_read_progressive

            numba_read_progressive.decode_scan(
                scan, [self.zigzag[m.index] for m in scan.components], self._placements(geometry),
                geometry.across, geometry.total_mcus, geometry.interval, segments, tables,
                self.max_dc_size)
        elif scan.ss == 0 and scan.ah == 0:
            self._decode_dc_first(scan, geometry, segments, tables)
        elif scan.ss == 0:
            self._decode_dc_refinement(scan, geometry, segments)  # raw bits: no table (G.1.2.1)
        elif scan.ah == 0:
            self._decode_ac_first(scan, geometry, segments, tables[0])
        else:
            self._decode_ac_refinement(scan, geometry, segments, tables[0])

    def _placements(self, geometry: _Geometry) -> np.ndarray:
        """The MCU's blocks as the kernels take them: int64 ``(blocks per MCU, 6)``, each
        block's slot in the scan, by, bx, h, v, and its component's width in blocks."""
        return np.array([(p.slot, p.by, p.bx, p.h, p.v, self.components[p.index].width_in_blocks)
                         for p in geometry.blocks], np.int64).reshape(-1, 6)

    def decode_arithmetic_scan(self, scan: ProgressiveScan, conditioning: dict[tuple[int, int], int],
                               restart_interval: int, segments: list[bytes]) -> None:
        """Decode one scan of an arithmetic-coded progressive frame (SOF10, G.2), after
        :meth:`start_scan`: each restart interval with fresh statistics
        (:class:`~stripjpeg.arithmetic_decoding.SequentialDecoder`), block by block in the
        scan's MCU order, dummy blocks decoded and dropped.

        Args:
            conditioning: the DAC values in force, by ``(Tc, Tb)``.
        """
        geometry = self._geometry(scan, restart_interval)
        expected = math.ceil(geometry.total_mcus / geometry.interval)
        if len(segments) != expected:
            raise ValueError(f"{scan}: {len(segments)} restart intervals, expected {expected} "
                             f"(restart interval {restart_interval} MCUs)")
        if scan.ss == 0 and scan.ah == 0:
            # A block may cost a fraction of a bit: max_pixels bounds the frame, not the data.
            self._allocate(scan, geometry, entropy_bytes=-1)
        if self.fast:
            from .backends import numba_read_arithmetic

            tables = np.array([(m.dc_table, m.ac_table) for m in scan.components], np.int64)
            numba_read_arithmetic.decode_scan(
                [self.zigzag[m.index] for m in scan.components],
                np.hstack([self._placements(geometry), tables[self._placements(geometry)[:, 0]]]),
                geometry.across, geometry.total_mcus, geometry.interval, segments, conditioning,
                scan)
            return
        ss, se, al = scan.ss, scan.se, scan.al
        placements = [(p.slot, scan.components[p.slot], _flat_view(self.zigzag[p.index]),
                       self.components[p.index].height_in_blocks,
                       self.components[p.index].width_in_blocks, p.by, p.bx, p.h, p.v)
                      for p in geometry.blocks]
        scratch = [0] * 64  # a dummy block's coefficients, decoded and dropped
        for (first, end), segment in zip(geometry.intervals(), segments):
            decoder = SequentialDecoder(segment, conditioning)
            predictors = [0] * len(scan.components)
            for mcu in range(first, end):
                mcu_row, mcu_col = divmod(mcu, geometry.across)
                for slot, member, view, rows, cols, by, bx, h, v in placements:
                    row, col = mcu_row * v + by, mcu_col * h + bx
                    real = row < rows and col < cols
                    out, base = (view, (row * cols + col) * 64) if real else (scratch, 0)
                    if ss == 0 and scan.ah == 0:
                        predictors[slot] = decoder.dc_value(slot, member.dc_table, predictors[slot])
                        if real:
                            if not -(1 << (15 - al)) <= predictors[slot] < 1 << (15 - al):
                                raise ValueError(f"{scan}: a DC value outside 16 bits")
                            out[base] = predictors[slot] << al
                    elif ss == 0:
                        if decoder.bit() and real:
                            out[base] |= 1 << al
                    elif scan.ah == 0:
                        decoder.ac_band(member.ac_table, out, base, ss, se, al)
                    else:
                        decoder.ac_refinement(member.ac_table, out, base, ss, se, al)

    def _allocate(self, scan: ProgressiveScan, geometry: _Geometry, entropy_bytes: int) -> None:
        """The components' arrays, once the scan's data proves their blocks can be there: a DC
        first scan costs at least one bit (a Huffman code) per block, dummy blocks included
        (``entropy_bytes`` -1: no such bound, for arithmetic coding)."""
        blocks = geometry.total_mcus * len(geometry.blocks)
        if entropy_bytes >= 0 and blocks > 8 * entropy_bytes:
            raise ValueError(f"{scan}: {blocks} blocks, but its {entropy_bytes} bytes of entropy-coded "
                             f"data hold at most {8 * entropy_bytes}")
        for member in scan.components:
            c = self.components[member.index]
            self.zigzag[member.index] = np.zeros((c.height_in_blocks * c.width_in_blocks, 64), np.int16)

    def _decode_dc_first(self, scan: ProgressiveScan, geometry: _Geometry, segments: list[bytes],
                         tables: list[HuffmanTable]) -> None:
        """G.2.1: each block's DC difference (F.2.2.1), its value shifted left by Al."""
        al = scan.al
        # The value and the Al bits that refinement scans add to it stay inside int16 (libjpeg
        # would wrap them): |value| < 2**(15 - Al).
        limit = 1 << (15 - al)
        placements = [(p.slot, tables[p.slot], _flat_view(self.zigzag[p.index]),
                       self.components[p.index].height_in_blocks, self.components[p.index].width_in_blocks,
                       p.by, p.bx, p.h, p.v) for p in geometry.blocks]
        for (first, end), segment in zip(geometry.intervals(), segments):
            reader = BitReader(segment)
            predictors = [0] * len(scan.components)  # reset at each restart interval (F.2.1.3.1)
            for mcu in range(first, end):
                mcu_row, mcu_col = divmod(mcu, geometry.across)
                for slot, table, view, rows, cols, by, bx, h, v in placements:
                    size = decode_symbol(reader, table)
                    if size > self.max_dc_size:
                        raise ValueError(f"{scan}: DC difference of size {size}: over the "
                                         f"{self.max_dc_size} bits of "
                                         f"{self.max_dc_size - 3}-bit JPEG")
                    value = predictors[slot] + (extend(reader.take(size), size) if size else 0)
                    predictors[slot] = value
                    row, col = mcu_row * v + by, mcu_col * h + bx
                    if row < rows and col < cols:  # else a dummy block, decoded and dropped
                        if not -limit <= value < limit:
                            raise ValueError(f"{scan}: a DC value outside 16 bits")
                        view[(row * cols + col) * 64] = value << al

    def _decode_dc_refinement(self, scan: ProgressiveScan, geometry: _Geometry,
                              segments: list[bytes]) -> None:
        """G.1.2.1: one bit per block, dummy blocks too: bit Al of the DC value, ORed in as
        libjpeg does (the two's-complement bit: the point transform of the DC is an
        arithmetic shift, G.1.2.1)."""
        per_mcu = len(geometry.blocks)
        for (first, end), segment in zip(geometry.intervals(), segments):
            bits = BitReader(segment).take_bits((end - first) * per_mcu).reshape(end - first, per_mcu)
            mcu_row, mcu_col = np.divmod(np.arange(first, end), geometry.across)
            for j, p in enumerate(geometry.blocks):
                component = self.components[p.index]
                row, col = mcu_row * p.v + p.by, mcu_col * p.h + p.bx
                real = (row < component.height_in_blocks) & (col < component.width_in_blocks)
                targets = row[real] * component.width_in_blocks + col[real]
                self.zigzag[p.index][targets, 0] |= bits[real, j].astype(np.int16) << scan.al

    def _decode_ac_first(self, scan: ProgressiveScan, geometry: _Geometry, segments: list[bytes],
                         table: HuffmanTable) -> None:
        """G.2.2: per block the band's run/size symbols, or an EOBRUN that ends the band of
        this block and of as many more blocks (they stay zero)."""
        ss, se, al = scan.ss, scan.se, scan.al
        view = _flat_view(self.zigzag[scan.components[0].index])
        for (first, end), segment in zip(geometry.intervals(), segments):
            reader = BitReader(segment)
            block, eobrun = first, 0  # eobrun: blocks still to skip; reset at a restart (G.1.2.2)
            while block < end:
                if eobrun:
                    skipped = min(eobrun, end - block)
                    block, eobrun = block + skipped, eobrun - skipped
                    continue
                base, k = 64 * block, ss
                while k <= se:
                    symbol = decode_symbol(reader, table)
                    run, size = symbol >> 4, symbol & 15
                    if size:
                        k += run
                        if k > se:
                            raise ValueError(f"{scan}: an AC run goes past the end of the band")
                        if size + al > 15:
                            raise ValueError(f"{scan}: an AC value of {size} bits shifted by Al={al} "
                                             "is outside 16 bits")
                        view[base + k] = extend(reader.take(size), size) << al
                        k += 1
                    elif run == 15:  # ZRL: sixteen zeros
                        k += 16
                    else:  # EOBn: this block and 2**run - 1 + (run bits) more end here
                        eobrun = (1 << run) + reader.take(run) - 1
                        break
                if k > se + 1:
                    raise ValueError(f"{scan}: zero runs go past the end of the band")
                block += 1

    def _decode_ac_refinement(self, scan: ProgressiveScan, geometry: _Geometry, segments: list[bytes],
                              table: HuffmanTable) -> None:
        """G.1.2.3 and Figure G.7 (libjpeg's decode_mcu_AC_refine): per block, symbols of a
        run of still-zero coefficients and one newly nonzero ±2**Al (or ZRL: sixteen
        still-zero ones, or EOBn); on the way, and over the rest of the band after an EOB,
        one correction bit for each coefficient already nonzero: 1 adds 2**Al to its
        magnitude."""
        ss, se, p1 = scan.ss, scan.se, 1 << scan.al
        zigzag = self.zigzag[scan.components[0].index]
        view = _flat_view(zigzag)
        for (first, end), segment in zip(geometry.intervals(), segments):
            reader = BitReader(segment)
            block, eobrun = first, 0  # eobrun: blocks still in the run; reset at a restart
            while block < end:
                if eobrun:
                    count = min(eobrun, end - block)
                    if count * (se - ss + 1) <= SHORT_RUN:
                        for each in range(block, block + count):
                            _correct(view, 64 * each + ss, 64 * each + se + 1, p1, reader)
                    else:
                        _correct_run(zigzag[block:block + count, ss:se + 1], p1, reader)
                    block, eobrun = block + count, eobrun - count
                    continue
                base, k = 64 * block, ss
                while k <= se:
                    symbol = decode_symbol(reader, table)
                    run, size = symbol >> 4, symbol & 15
                    if size == 0 and run != 15:  # EOBn, counting this block
                        eobrun = (1 << run) + reader.take(run)
                        break
                    if size > 1:
                        raise ValueError(f"{scan}: a newly nonzero coefficient of size {size}: a "
                                         "refinement scan can only make a coefficient ±1 (G.1.2.3)")
                    value = (p1 if reader.take_bit() else -p1) if size else 0
                    while k <= se:  # over the nonzero coefficients and `run` zero ones
                        coefficient = view[base + k]
                        if coefficient:
                            if reader.take_bit() and not coefficient & p1:
                                view[base + k] = coefficient + p1 if coefficient > 0 else coefficient - p1
                        elif run:
                            run -= 1
                        else:
                            break  # the zero coefficient that the symbol is about
                        k += 1
                    if k > se:
                        raise ValueError(f"{scan}: a zero run goes past the end of the band")
                    if value:
                        view[base + k] = value
                    k += 1
                if eobrun:
                    _correct(view, base + k, base + se + 1, p1, reader)
                    eobrun -= 1
                block += 1


def _flat_view(zigzag: np.ndarray) -> memoryview:
    """The coefficients as one flat int16 memoryview: block ``b``'s zigzag position ``k`` is
    item ``64 * b + k``, read and written one at a time much faster than through NumPy."""
    return memoryview(zigzag).cast("B").cast("h")


def _check_parameters(scan: ProgressiveScan) -> None:
    """Ss, Se, Ah and Al as libjpeg accepts them (jdphuff.c, JERR_BAD_PROGRESSION)."""
    if scan.ss == 0 and scan.se != 0:
        raise ValueError(f"{scan}: a DC scan (Ss=0) must end at Se=0: DC and AC coefficients are "
                         "sent in separate scans (G.1.1.1.1)")
    if scan.ss > 0 and scan.se > 63:
        raise ValueError(f"{scan}: Se={scan.se} is past the last coefficient, 63")
    if scan.ss > scan.se:
        raise ValueError(f"{scan}: Ss > Se, an empty band")
    if scan.ss > 0 and len(scan.components) != 1:
        raise ValueError(f"{scan}: an AC scan must code one component only (G.1.1.1.1)")
    if scan.ah and scan.al != scan.ah - 1:
        raise ValueError(f"{scan}: a refinement scan sends one bit: Al must be Ah - 1 (G.1.1.1.2)")
    if scan.al > MAX_AL:
        raise ValueError(f"{scan}: a point transform Al over {MAX_AL}, which libjpeg refuses")


def _table(scan: ProgressiveScan, huffman: dict[tuple[int, int], HuffmanTable], table_class: int,
           index: int) -> HuffmanTable:
    table = huffman.get((table_class, index))
    if table is None:
        raise ValueError(f"{scan}: uses {'AC' if table_class else 'DC'} Huffman table {index}, "
                         "which is not defined")
    return table


def _correct(view: memoryview, start: int, stop: int, p1: int, reader: BitReader) -> None:
    """The correction bits (G.1.2.3) of the coefficients ``view[start:stop]`` (one block's,
    zigzag order) that are already nonzero: a 1 adds ``p1`` to the magnitude. libjpeg adds
    it only if that bit is still clear; in a valid file it always is."""
    for position in range(start, stop):
        coefficient = view[position]
        if coefficient and reader.take_bit() and not coefficient & p1:
            view[position] = coefficient + p1 if coefficient > 0 else coefficient - p1


def _correct_run(band: np.ndarray, p1: int, reader: BitReader) -> None:
    """:func:`_correct` for the bands of an EOBRUN of blocks at once: ``band`` is the run's
    ``(blocks, Se - Ss + 1)`` view; its nonzero coefficients, block by block in zigzag order
    (``np.nonzero`` goes in that order), take one bit each."""
    rows, cols = np.nonzero(band)
    if rows.size == 0:
        return
    bits = reader.take_bits(rows.size).astype(bool)
    values = band[rows, cols]
    grow = bits & ((values & p1) == 0)
    grown = values[grow]
    band[rows[grow], cols[grow]] = grown + np.where(grown > 0, p1, -p1).astype(np.int16)
