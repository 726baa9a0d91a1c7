"""16-bit TIFF files keep their 16 bits for a 12-bit or lossless encode (issue 16): read by
tifffile, memory-mapped or by bands of tiles, never through Pillow (which keeps each colour
sample's high byte)."""

from __future__ import annotations

from pathlib import Path

import imagecodecs
import numpy as np
import pytest
import tifffile

import stripjpeg
from stripjpeg.cli import main
from stripjpeg.lossless_reader import read_samples
from stripjpeg.sources import ChunkedRows, read_image

RNG = np.random.default_rng(1616)


@pytest.mark.parametrize("layout", ["contiguous", "big-endian", "tiled zlib"])
def test_a_16_bit_rgb_tiff_keeps_its_bits_in_a_lossless_file(tmp_path: Path, layout: str) -> None:
    pixels = RNG.integers(0, 65536, (40, 50, 3)).astype(np.uint16)
    path = tmp_path / "in.tif"
    if layout == "contiguous":
        tifffile.imwrite(path, pixels)
    elif layout == "big-endian":
        tifffile.imwrite(path, pixels, byteorder=">")
    else:
        tifffile.imwrite(path, pixels, compression="zlib", tile=(16, 16))
    image, mode = read_image(path, precision=16)
    assert mode == "RGB"
    assert isinstance(image, ChunkedRows if layout == "tiled zlib" else np.memmap)
    assert main(["encode", str(path), "-o", str(tmp_path / "out.jpg"), "--lossless", "1",
                 "--precision", "16", "--no-progress"]) == 0
    assert np.array_equal(read_samples(str(tmp_path / "out.jpg")), pixels)
    assert np.array_equal(imagecodecs.jpeg8_decode((tmp_path / "out.jpg").read_bytes()), pixels)


def test_a_16_bit_grey_tiff_encodes_12_bit(tmp_path: Path) -> None:
    pixels = RNG.integers(0, 4096, (24, 33)).astype(np.uint16)
    tifffile.imwrite(tmp_path / "in.tif", pixels)
    assert main(["encode", str(tmp_path / "in.tif"), "-o", str(tmp_path / "out.jpg"), "-q", "90",
                 "--precision", "12", "--no-progress"]) == 0
    assert (tmp_path / "out.jpg").read_bytes() == stripjpeg.encode(pixels, 90, precision=12)
