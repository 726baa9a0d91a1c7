"""Every Pillow mode is converted and said so, or refused with a message: nothing clipped silently.

Each mode is written to a real file by Pillow where some format stores it (PNG, TIFF, GIF,
JPEG), and read back through ``stripjpeg.sources.open_image``; modes no format Pillow
writes can store (I;16L and I;16N come back as I;16, RGBX as RGB; HSV, La and RGBa are never
written) go through ``pixels_from_pillow`` with an Image object.
"""

from __future__ import annotations

import io
import struct
import warnings
import zlib
from pathlib import Path

import numpy as np
import pytest
from PIL import Image

import stripjpeg
from stripjpeg.cli import main
from stripjpeg.sources import open_image, pixels_from_pillow, scale_16_to_8

# A 64 x 64 16-bit gradient from 0 to 65535, with the values where rounding is closest to
# half-way and where a swapped byte order would show (1 = 0x0001 vs 256 = 0x0100).
GRADIENT_16 = (np.arange(64 * 64, dtype=np.uint32) * 65535 // 4095).astype(np.uint16).reshape(64, 64)
GRADIENT_16[0, 1:8] = [1, 128, 129, 256, 32767, 32768, 65407]


def expected_8_bit(samples: np.ndarray) -> np.ndarray:
    """The nearest 8-bit value of each 16-bit sample, in floating point: v * 255 / 65535 is
    never exactly half-way, so rounding it is unambiguous."""
    return np.rint(samples.astype(np.float64) * 255 / 65535).astype(np.uint8)


def no_warnings(call):
    with warnings.catch_warnings():
        warnings.simplefilter("error")
        return call()


def palette_image(size: tuple[int, int] = (16, 8)) -> tuple[Image.Image, np.ndarray, np.ndarray]:
    """A P image using 8 palette entries, its indices and its palette (8, 3)."""
    palette = np.array([[10 * i, 255 - 30 * i, (70 * i) % 256] for i in range(8)], np.uint8)
    indices = (np.add.outer(np.arange(size[1]), np.arange(size[0])) % 8).astype(np.uint8)
    image = Image.fromarray(indices, "L").convert("P")  # "L" -> "P": an identity palette...
    image.putpalette(palette.reshape(-1).tolist())       # ...replaced by ours
    return image, indices, palette


# --- 16 bits per sample ----------------------------------------------------------------------

def test_scale_16_to_8_is_the_integer_formula_and_rounds_to_nearest() -> None:
    every = np.arange(65536, dtype=np.uint16)
    assert np.array_equal(scale_16_to_8(every), expected_8_bit(every))
    assert scale_16_to_8(np.array([0, 128, 129, 32767, 32768, 65535], np.uint16)).tolist() == \
        [0, 0, 1, 127, 128, 255]


def test_16_bit_png_is_scaled_with_a_notice(tmp_path: Path) -> None:
    Image.fromarray(GRADIENT_16).save(tmp_path / "gradient.png")
    assert Image.open(tmp_path / "gradient.png").mode == "I;16"
    with pytest.warns(UserWarning, match=r"16-bit samples \(mode I;16\) scaled to 8 bits.*"
                                         r"a lossless file keeps them") as caught:
        pixels = open_image(tmp_path / "gradient.png")
    assert caught[0].filename == __file__  # the notice names the caller's line
    assert pixels.dtype == np.uint8
    assert np.array_equal(pixels, expected_8_bit(GRADIENT_16))
    assert np.array_equal(pixels, (GRADIENT_16.astype(np.int64) * 255 + 32767) // 65535)


def test_16_bit_big_endian_tiff_is_read_in_its_byte_order(tmp_path: Path) -> None:
    image = Image.frombytes("I;16B", (64, 64), GRADIENT_16.astype(">u2").tobytes())
    image.save(tmp_path / "big.tif")
    assert Image.open(tmp_path / "big.tif").mode == "I;16B"
    with pytest.warns(UserWarning, match=r"mode I;16B\) scaled to 8 bits"):
        pixels = open_image(tmp_path / "big.tif")
    assert np.array_equal(pixels, expected_8_bit(GRADIENT_16))
    assert pixels[0, 1:5].tolist() == [0, 0, 1, 1]  # 1, 128, 129, 256: byte-swapped, 256 -> 0


@pytest.mark.parametrize("mode, dtype", [("I;16L", "<u2"), ("I;16N", "=u2"), ("I;16", "<u2")])
def test_16_bit_modes_no_format_keeps(mode: str, dtype: str) -> None:
    # Pillow writes I;16L to TIFF as I;16, and I;16N to no format: an Image object then.
    image = Image.frombytes(mode, (64, 64), GRADIENT_16.astype(dtype).tobytes())
    assert image.mode == mode
    with pytest.warns(UserWarning, match=f"mode {mode}\\) scaled"):
        pixels = pixels_from_pillow(image, "in-memory")
    assert np.array_equal(pixels, expected_8_bit(GRADIENT_16))


def write_png_16_bit_rgb(path: Path, pixels: np.ndarray) -> None:
    """A 16-bit RGB PNG (which Pillow cannot write), by the PNG specification: IHDR with bit
    depth 16 and colour type 2, big-endian samples, filter type 0 on every row."""
    def chunk(kind: bytes, data: bytes) -> bytes:
        return struct.pack(">I", len(data)) + kind + data + struct.pack(">I", zlib.crc32(kind + data))

    height, width, _ = pixels.shape
    raw = b"".join(b"\x00" + row.astype(">u2").tobytes() for row in pixels)
    header = struct.pack(">IIBBBBB", width, height, 16, 2, 0, 0, 0)
    path.write_bytes(b"\x89PNG\r\n\x1a\n" + chunk(b"IHDR", header) + chunk(b"IDAT", zlib.compress(raw))
                     + chunk(b"IEND", b""))


def test_16_bit_rgb_png_is_scaled_not_truncated(tmp_path: Path) -> None:
    # Pillow keeps the high byte of a 16-bit RGB PNG; stripjpeg's PNG reader keeps the 16 bits
    # and scales them as any 16-bit samples (stripjpeg.png_source).
    rgb = np.stack([GRADIENT_16, GRADIENT_16[::-1], GRADIENT_16.T], axis=-1)
    write_png_16_bit_rgb(tmp_path / "rgb16.png", rgb)
    with pytest.warns(UserWarning, match=r"16-bit samples \(raw mode RGB;16B\) scaled to 8 bits"):
        pixels = open_image(tmp_path / "rgb16.png")
    assert np.array_equal(pixels, expected_8_bit(rgb))
    assert not np.array_equal(pixels, (rgb >> 8).astype(np.uint8))


def test_16_bit_npy_and_netpbm_are_refused_not_scaled(tmp_path: Path) -> None:
    np.save(tmp_path / "wide.npy", GRADIENT_16)
    with pytest.raises(ValueError, match=r"dtype uint16; stripjpeg encodes uint8 pixels and does "
                                         r"not scale others.*\(v \* 255 \+ 32767\) // 65535"):
        open_image(tmp_path / "wide.npy")
    (tmp_path / "wide.pgm").write_bytes(b"P5 64 64 65535\n" + GRADIENT_16.astype(">u2").tobytes())
    with pytest.raises(ValueError, match=r"maxval 65535 is not supported.*does not scale"):
        open_image(tmp_path / "wide.pgm")


def test_cli_encodes_a_16_bit_png_scaled_with_the_notice_on_stderr(
        tmp_path: Path, capsys: pytest.CaptureFixture) -> None:
    Image.fromarray(GRADIENT_16).save(tmp_path / "gradient.png")
    status = main(["encode", str(tmp_path / "gradient.png"), "-o", str(tmp_path / "out.jpg"),
                   "--no-progress"])
    err = capsys.readouterr().err
    assert status == 0
    assert err.count("\n") == 1
    assert err.startswith(f"stripjpeg: warning: {tmp_path / 'gradient.png'}: 16-bit samples "
                          "(mode I;16) scaled to 8 bits")
    assert (tmp_path / "out.jpg").read_bytes() == stripjpeg.encode(expected_8_bit(GRADIENT_16))


def test_cli_encodes_a_cmyk_file_as_cmyk(tmp_path: Path, capsys: pytest.CaptureFixture) -> None:
    """read_image keeps a CMYK TIFF's pixels: the JPEG is Pillow's CMYK JPEG of them."""
    cmyk = Image.new("CMYK", (16, 16), (10, 20, 30, 40))
    cmyk.save(tmp_path / "cmyk.tif")
    status = main(["encode", str(tmp_path / "cmyk.tif"), "-o", str(tmp_path / "out.jpg"),
                   "-q", "90", "--restart-rows", "0"])
    assert status == 0
    assert "warning" not in capsys.readouterr().err
    buffer = io.BytesIO()
    cmyk.save(buffer, "JPEG", quality=90)
    assert (tmp_path / "out.jpg").read_bytes() == buffer.getvalue()


# --- refused modes ---------------------------------------------------------------------------

@pytest.mark.parametrize("mode, suffix, message", [
    ("I", "tif", r"Pillow mode 'I' is not encoded: 32-bit integer.*uint8 \.npy"),
    ("F", "tif", r"Pillow mode 'F' is not encoded: floating-point.*uint8 \.npy"),
    ("CMYK", "tif", r"Pillow mode 'CMYK' is not encoded: open_image gives L, RGB or RGBA.*"
                    r"read_image.*mode='CMYK'.*colour-managed tool"),
    ("CMYK", "jpg", r"Pillow mode 'CMYK' is not encoded.*colour-managed tool"),
    ("LAB", "tif", r"Pillow mode 'LAB' is not encoded.*colour-managed tool \(e\.g\. PIL\.ImageCms"),
])
def test_modes_refused_from_files(tmp_path: Path, mode: str, suffix: str, message: str) -> None:
    path = tmp_path / f"image.{suffix}"
    Image.new(mode, (16, 16)).save(path)
    assert Image.open(path).mode == mode
    with pytest.raises(ValueError, match=message):
        open_image(path)


@pytest.mark.parametrize("mode", ["La", "RGBa"])
def test_premultiplied_modes_are_refused(mode: str) -> None:
    # No format Pillow writes stores premultiplied alpha: an Image object.
    with pytest.raises(ValueError, match=f"Pillow mode '{mode}' is not encoded: premultiplied"):
        pixels_from_pillow(Image.new(mode, (4, 4)), "in-memory")


# --- converted modes ---------------------------------------------------------------------------

def test_8_bit_l_rgb_rgba_pass_unchanged_without_a_notice(tmp_path: Path) -> None:
    rgba = np.random.default_rng(1).integers(0, 256, (9, 13, 4), dtype=np.uint8)
    for mode, pixels in (("L", rgba[..., 0]), ("RGB", rgba[..., :3]), ("RGBA", rgba)):
        Image.fromarray(pixels, mode).save(tmp_path / f"{mode}.png")
        assert np.array_equal(no_warnings(lambda mode=mode: open_image(tmp_path / f"{mode}.png")), pixels)


def test_1_bit_png_becomes_0_and_255_with_a_notice(tmp_path: Path) -> None:
    bits = np.add.outer(np.arange(8), np.arange(16)) % 3 == 0
    Image.fromarray(bits).save(tmp_path / "bits.png")
    assert Image.open(tmp_path / "bits.png").mode == "1"
    with pytest.warns(UserWarning, match=r"1-bit pixels converted to 8-bit grayscale \(0 and 255\)"):
        pixels = open_image(tmp_path / "bits.png")
    assert np.array_equal(pixels, np.where(bits, 255, 0).astype(np.uint8))


def test_palette_png_becomes_its_colours_with_a_notice(tmp_path: Path) -> None:
    image, indices, palette = palette_image()
    image.save(tmp_path / "palette.png")
    assert Image.open(tmp_path / "palette.png").mode == "P"
    with pytest.warns(UserWarning, match=r"palette \(mode P\) converted to RGB$"):
        pixels = open_image(tmp_path / "palette.png")
    assert np.array_equal(pixels, palette[indices])


def test_palette_gif_with_transparency_keeps_alpha_to_be_dropped(tmp_path: Path) -> None:
    image, indices, palette = palette_image()
    image.save(tmp_path / "palette.gif", transparency=3)
    assert Image.open(tmp_path / "palette.gif").mode == "P"
    with pytest.warns(UserWarning, match=r"converted to RGB; the transparency is dropped"):
        pixels = open_image(tmp_path / "palette.gif")
    assert pixels.shape == (8, 16, 4)
    assert np.array_equal(pixels[..., :3], palette[indices])
    assert np.array_equal(pixels[..., 3], np.where(indices == 3, 0, 255))
    # The encoder drops the alpha: the JPEG is that of the colours alone.
    assert stripjpeg.encode(pixels) == stripjpeg.encode(palette[indices])


def test_palette_alpha_tiff_becomes_rgba_with_a_notice(tmp_path: Path) -> None:
    image, indices, palette = palette_image()
    alpha = (indices * 30).astype(np.uint8)
    pa = Image.merge("PA", (image.getchannel(0), Image.fromarray(alpha)))
    pa.putpalette(palette.reshape(-1).tolist())
    pa.save(tmp_path / "pa.tif")
    assert Image.open(tmp_path / "pa.tif").mode == "PA"
    with pytest.warns(UserWarning, match=r"palette colours converted to RGB; the alpha channel is dropped"):
        pixels = open_image(tmp_path / "pa.tif")
    assert np.array_equal(pixels, np.dstack([palette[indices], alpha]))


def test_gray_alpha_png_becomes_gray_with_a_notice(tmp_path: Path) -> None:
    gray_alpha = np.random.default_rng(2).integers(0, 256, (8, 16, 2), dtype=np.uint8)
    Image.fromarray(gray_alpha, "LA").save(tmp_path / "la.png")
    with pytest.warns(UserWarning, match=r"la\.png: the alpha channel is dropped"):
        pixels = open_image(tmp_path / "la.png")
    assert np.array_equal(pixels, gray_alpha[..., 0])


def test_rgbx_drops_the_padding_byte_silently() -> None:
    # Pillow reads RGBX TIFFs and JPEGs back as RGB: an Image object.
    rgbx = np.random.default_rng(3).integers(0, 256, (8, 16, 4), dtype=np.uint8)
    image = Image.frombytes("RGBX", (16, 8), rgbx.tobytes())
    assert np.array_equal(no_warnings(lambda: pixels_from_pillow(image)), rgbx[..., :3])


def test_ycbcr_tiff_becomes_rgb_by_the_jfif_equations(tmp_path: Path) -> None:
    ycc = np.random.default_rng(4).integers(0, 256, (8, 16, 3), dtype=np.uint8)
    ycc[0, 0], ycc[0, 1] = (255, 128, 128), (0, 128, 128)  # white and black
    Image.fromarray(ycc, "YCbCr").save(tmp_path / "ycc.tif")
    assert Image.open(tmp_path / "ycc.tif").mode == "YCbCr"
    with pytest.warns(UserWarning, match="YCbCr converted to RGB"):
        pixels = open_image(tmp_path / "ycc.tif")
    assert np.array_equal(pixels, np.asarray(Image.fromarray(ycc, "YCbCr").convert("RGB")))
    # JFIF: R = Y + 1.402 (Cr - 128), G = Y - 0.344136 (Cb - 128) - 0.714136 (Cr - 128),
    # B = Y + 1.772 (Cb - 128); Pillow's fixed-point version is within 1 of it.
    y, cb, cr = (ycc[..., i].astype(np.float64) for i in range(3))
    jfif = np.stack([y + 1.402 * (cr - 128), y - 0.344136 * (cb - 128) - 0.714136 * (cr - 128),
                     y + 1.772 * (cb - 128)], axis=-1)
    assert np.abs(pixels - np.clip(np.rint(jfif), 0, 255)).max() <= 1
    assert pixels[0, 0].tolist() == [255, 255, 255] and pixels[0, 1].tolist() == [0, 0, 0]


def test_hsv_becomes_rgb_with_a_notice() -> None:
    # No format stores HSV: an Image object. Hue 0, 85, 170 of 255 = red, green, blue.
    hsv = np.array([[[0, 255, 255], [85, 255, 255], [170, 255, 255], [0, 0, 200]]], np.uint8)
    with pytest.warns(UserWarning, match="HSV converted to RGB"):
        pixels = pixels_from_pillow(Image.fromarray(hsv, "HSV"), "in-memory")
    assert pixels.tolist() == [[[255, 0, 0], [0, 255, 0], [0, 0, 255], [200, 200, 200]]]


def test_a_file_of_several_frames_encodes_the_first_with_a_notice(tmp_path: Path) -> None:
    first = np.zeros((8, 8, 3), np.uint8)
    second = np.full((8, 8, 3), 200, np.uint8)
    path = tmp_path / "two.tif"
    Image.fromarray(first).save(path, save_all=True, append_images=[Image.fromarray(second)])
    with warnings.catch_warnings(record=True) as caught:
        warnings.simplefilter("always")
        pixels = open_image(path)
    assert np.array_equal(pixels, first)
    assert [str(w.message) for w in caught] == [f"{path}: the file holds 2 frames; only the first is encoded"]


def test_the_cli_puts_the_callers_warning_hook_back(tmp_path: Path) -> None:
    source = tmp_path / "in.png"
    Image.fromarray(np.zeros((8, 8), np.uint8)).save(source)
    before = warnings.showwarning
    assert main(["encode", str(source), "-o", str(tmp_path / "out.jpg")]) == 0
    assert warnings.showwarning is before
