"""Slow, obviously correct versions of the encoder's stages, written from T.81's text with
plain Python integers and loops: the yardsticks the vectorized stages are tested against."""

from __future__ import annotations

import math

import numpy as np

from stripjpeg.tables import ZIGZAG


def ycbcr_pixel(r: int, g: int, b: int) -> tuple[int, int, int]:
    """libjpeg's fixed-point RGB -> YCbCr for one pixel (jccolor.c, SCALEBITS 16)."""
    def fix(x: float) -> int:
        return int(x * 65536 + 0.5)

    half = 1 << 15
    y = (fix(0.29900) * r + fix(0.58700) * g + fix(0.11400) * b + half) >> 16
    cb = (-fix(0.16874) * r - fix(0.33126) * g + fix(0.5) * b + (128 << 16) + half - 1) >> 16
    cr = (fix(0.5) * r - fix(0.41869) * g - fix(0.08131) * b + (128 << 16) + half - 1) >> 16
    return y, cb, cr


def downsample_plane(plane: list[list[int]], h: int, v: int) -> list[list[int]]:
    """Average h x v groups with libjpeg's alternating bias, sample by sample."""
    out = []
    for row in range(0, len(plane), v):
        out_row = []
        for col in range(0, len(plane[0]), h):
            total = sum(plane[row + dy][col + dx] for dy in range(v) for dx in range(h))
            k = col // h
            if (h, v) == (2, 1):
                out_row.append((total + (k & 1)) >> 1)
            else:
                out_row.append((total + 1 + (k & 1)) >> 2)
        out.append(out_row)
    return out


def exact_dct(block: np.ndarray) -> np.ndarray:
    """T.81 A.3.3, the formula itself: F(v,u) = 1/4 C(u) C(v) sum f(y,x) cos cos."""
    out = np.zeros((8, 8))
    for v in range(8):
        for u in range(8):
            cu = 1 / math.sqrt(2) if u == 0 else 1.0
            cv = 1 / math.sqrt(2) if v == 0 else 1.0
            total = 0.0
            for y in range(8):
                for x in range(8):
                    total += (block[y, x] * math.cos((2 * x + 1) * u * math.pi / 16)
                              * math.cos((2 * y + 1) * v * math.pi / 16))
            out[v, u] = cu * cv * total / 4
    return out


class BitWriter:
    """Bits appended one at a time as characters; bytes at the end (T.81 F.1.2.3)."""

    def __init__(self) -> None:
        self.bits: list[str] = []

    def write(self, value: int, length: int) -> None:
        self.bits.extend(format(value, f"0{length}b") if length else "")

    def to_bytes(self) -> bytes:
        bits = "".join(self.bits)
        bits += "1" * (-len(bits) % 8)  # pad with 1-bits
        out = bytearray()
        for i in range(0, len(bits), 8):
            byte = int(bits[i:i + 8], 2)
            out.append(byte)
            if byte == 0xFF:
                out.append(0x00)  # stuffing
        return bytes(out)


def huffman_encode(blocks_in_order: list[tuple[int, np.ndarray]], dc_tables: list, ac_tables: list,
                   n_components: int) -> bytes:
    """Entropy-code blocks one by one (T.81 F.1.2, Figures F.1 to F.5).

    Args:
        blocks_in_order: ``(component index, 8x8 natural-order block)`` in coding order.
        dc_tables, ac_tables: per component index, ``(codes, lengths)`` lookup arrays.
    """
    writer = BitWriter()
    predictor = [0] * n_components
    for component, block in blocks_in_order:
        zz = [int(block.reshape(64)[ZIGZAG[k]]) for k in range(64)]
        diff = zz[0] - predictor[component]
        predictor[component] = zz[0]
        size = abs(diff).bit_length()
        codes, lengths = dc_tables[component]
        writer.write(int(codes[size]), int(lengths[size]))
        writer.write(diff if diff >= 0 else diff + (1 << size) - 1, size)
        codes, lengths = ac_tables[component]
        run = 0
        for k in range(1, 64):
            if zz[k] == 0:
                run += 1
                continue
            while run > 15:
                writer.write(int(codes[0xF0]), int(lengths[0xF0]))
                run -= 16
            size = abs(zz[k]).bit_length()
            symbol = (run << 4) | size
            writer.write(int(codes[symbol]), int(lengths[symbol]))
            writer.write(zz[k] if zz[k] >= 0 else zz[k] + (1 << size) - 1, size)
            run = 0
        if run > 0:
            writer.write(int(codes[0x00]), int(lengths[0x00]))
    return writer.to_bytes()
