"""Input modes as Pillow has them (``mode=``: RGBX, CMYK, YCbCr), and CMYK stored as YCCK.

The oracles: Pillow 13 writes the expected bytes of CMYK, RGBX and YCbCr images
(``Image.fromarray(a, mode).save(buffer, "JPEG", ...)``); imagecodecs' ``jpeg8_encode``
(libjpeg-turbo 3.1) those of YCCK, which Pillow cannot write, and of plain CMYK too. Pillow
hands libjpeg its CMYK inverted (rawmode "CMYK;I"); imagecodecs hands it the samples as given,
so imagecodecs' input is ``255 - a`` for the same file. jpeglib (libjpeg's
``jpeg_read_coefficients``) reads one CMYK file back against ``stripjpeg.inspect``.
"""

from __future__ import annotations

import asyncio
import io
import re
from pathlib import Path

import numpy as np
import pytest
from oracle import djpeg_decode, ffmpeg_decode, jpeginfo_check, photo
from other_encoders import assert_equals_libjpeg
from PIL import Image

import stripjpeg
from stripjpeg.cli import main
from stripjpeg.inspect import read_coefficients, read_markers

imagecodecs = pytest.importorskip("imagecodecs")

SIZES = [(1, 1), (7, 13), (17, 33)]  # (height, width): one pixel, odd sizes, partial MCUs


def random_image(height: int, width: int, channels: int, seed: int = 0) -> np.ndarray:
    return np.random.default_rng(seed).integers(0, 256, (height, width, channels), dtype=np.uint8)


@pytest.fixture(scope="module")
def photo_cmyk() -> np.ndarray:
    """A photograph as Pillow's CMYK (its RGB -> CMYK conversion), 80 x 96, with K set from
    the darkness so that all four channels carry detail."""
    rgb = photo("astronaut")[100:180, 150:246]
    cmyk = np.asarray(Image.fromarray(rgb).convert("CMYK")).copy()
    cmyk[:, :, 3] = 255 - rgb.max(axis=2)
    return cmyk


def pillow_bytes(pixels: np.ndarray, mode: str, **options) -> bytes:
    buffer = io.BytesIO()
    Image.fromarray(np.ascontiguousarray(pixels), mode).save(buffer, "JPEG", **options)
    return buffer.getvalue()


def ours(pixels: np.ndarray, mode: str, backend: str, **options) -> bytes:
    """stripjpeg's bytes with Pillow's options: no restart markers unless Pillow's
    ``restart_marker_rows`` asks for them (Pillow's default is none, ours 1)."""
    if "restart_marker_rows" not in options:
        options["restart_rows"] = 0
    return stripjpeg.encode(pixels, mode=mode, backend=backend, **options)


def frame_components(data: bytes) -> list[tuple[int, int, int, int]]:
    """(Ci, H, V, Tq) of each component of the frame header."""
    segment = next(s for s in read_markers(data) if s.name in ("SOF0", "SOF2"))
    payload = data[segment.offset + 4:segment.offset + 2 + segment.length]
    count = payload[5]
    return [(payload[6 + 3 * i], payload[7 + 3 * i] >> 4, payload[7 + 3 * i] & 15, payload[8 + 3 * i])
            for i in range(count)]


def app_markers(data: bytes) -> list[str]:
    return [s.name for s in read_markers(data) if s.name.startswith("APP")]


# --- CMYK: Pillow's bytes ---------------------------------------------------------------------

TABLES = [list(np.random.default_rng(index).integers(1, 100, 64)) for index in range(4)]

CMYK_CASES = {
    "q75": dict(quality=75),
    "q50_default_subsampling": dict(quality=50, subsampling=-1),
    "q95_420": dict(quality=95, subsampling="4:2:0"),
    "q80_422": dict(quality=80, subsampling="4:2:2"),
    "q90_optimize": dict(quality=90, optimize=True),
    "q85_progressive_420": dict(quality=85, progressive=True, subsampling="4:2:0"),
    "q70_restarts_422": dict(quality=70, restart_marker_rows=1, subsampling="4:2:2"),
    "one_table": dict(qtables=TABLES[:1]),
    "two_tables_q60": dict(qtables=TABLES[:2], quality=60),
    "four_tables_optimize": dict(qtables=TABLES, optimize=True, restart_marker_rows=2),
    "dpi_progressive_optimize": dict(quality=88, dpi=(300, 300), progressive=True, optimize=True),
}


@pytest.mark.parametrize("size", SIZES, ids=lambda s: f"{s[1]}x{s[0]}")
@pytest.mark.parametrize("case", list(CMYK_CASES))
def test_random_cmyk_equals_pillow(case: str, size: tuple[int, int], backend: str) -> None:
    pixels = random_image(*size, 4, seed=size[0])
    options = CMYK_CASES[case]
    assert ours(pixels, "CMYK", backend, **options) == pillow_bytes(pixels, "CMYK", **options)


@pytest.mark.parametrize("case", ["q75", "q95_420", "q80_422", "q90_optimize",
                                  "q85_progressive_420", "four_tables_optimize"])
def test_photo_cmyk_equals_pillow(photo_cmyk: np.ndarray, case: str, backend: str) -> None:
    options = CMYK_CASES[case]
    assert ours(photo_cmyk, "CMYK", backend, **options) == pillow_bytes(photo_cmyk, "CMYK", **options)


def test_cmyk_frame_is_libjpegs() -> None:
    """jcparam.c jpeg_set_colorspace(JCS_CMYK): components 'C', 'M', 'Y', 'K' on table 0, an
    Adobe marker with transform 0 and no JFIF; Pillow's named subsampling sets the first
    component's factors (JpegEncode.c), so 4:2:0 makes C 2x2 and M, Y, K 1x1."""
    data = stripjpeg.encode(random_image(16, 16, 4), 75, "4:2:0", mode="CMYK")
    assert frame_components(data) == [(0x43, 2, 2, 0), (0x4D, 1, 1, 0), (0x59, 1, 1, 0), (0x4B, 1, 1, 0)]
    assert app_markers(data) == ["APP14"]
    adobe = data.index(b"Adobe")
    assert data[adobe + 11] == 0  # transform: none
    assert stripjpeg.encode(random_image(16, 16, 4), 75, "4:2:0", mode="CMYK", dpi=(72, 72))[2:4] \
        == b"\xff\xe0"  # a dpi turns JFIF back on, before the Adobe marker (as Pillow does)


def test_cmyk_is_stored_inverted_as_pillow_and_imagecodecs_agree(backend: str) -> None:
    """Pillow stores CMYK inverted: the same file as imagecodecs writes from ``255 - a``."""
    pixels = random_image(17, 33, 4, seed=3)
    for quality in (50, 95):
        theirs = imagecodecs.jpeg8_encode(np.ascontiguousarray(255 - pixels), level=quality,
                                          colorspace="CMYK", outcolorspace="CMYK")
        assert ours(pixels, "CMYK", backend, quality=quality) == theirs


def test_cmyk_reads_back_as_libjpeg_reads_it(tmp_path: Path, photo_cmyk: np.ndarray) -> None:
    data = stripjpeg.encode(photo_cmyk, 80, "4:2:2", mode="CMYK")
    decoded = assert_equals_libjpeg(data, tmp_path)
    coefficients = read_coefficients(data)
    assert [c.shape[:2] for c in coefficients] == [(10, 12), (10, 6), (10, 6), (10, 6)]
    assert [(c.h, c.v) for c in decoded.components] == [(2, 1), (1, 1), (1, 1), (1, 1)]
    # Pillow decodes it back to its CMYK, close to the input.
    back = np.asarray(Image.open(io.BytesIO(stripjpeg.encode(photo_cmyk, 100, mode="CMYK"))))
    assert np.abs(back.astype(int) - photo_cmyk).max() <= 2


# --- YCCK: imagecodecs' bytes, and coefficients ---------------------------------------------

@pytest.mark.parametrize("size", [*SIZES, (40, 50)], ids=lambda s: f"{s[1]}x{s[0]}")
@pytest.mark.parametrize("quality, optimize", [(50, False), (75, True), (95, False), (100, True)])
def test_ycck_equals_imagecodecs(size: tuple[int, int], quality: int, optimize: bool,
                                 backend: str) -> None:
    """libjpeg's YCCK defaults (jcparam.c): Y and K 2x2, Cb and Cr 1x1, our "default"."""
    pixels = random_image(*size, 4, seed=size[1])
    theirs = imagecodecs.jpeg8_encode(np.ascontiguousarray(255 - pixels), level=quality,
                                      colorspace="CMYK", outcolorspace="YCCK", optimize=optimize)
    assert ours(pixels, "CMYK", backend, quality=quality, subsampling="default", ycck=True,
                optimize=optimize) == theirs


def test_photo_ycck_equals_imagecodecs(photo_cmyk: np.ndarray, backend: str) -> None:
    theirs = imagecodecs.jpeg8_encode(np.ascontiguousarray(255 - photo_cmyk), level=85,
                                      colorspace="CMYK", outcolorspace="YCCK")
    assert ours(photo_cmyk, "CMYK", backend, quality=85, subsampling="default", ycck=True) == theirs


def test_ycck_frame_is_libjpegs() -> None:
    data = stripjpeg.encode(random_image(16, 16, 4), 75, "4:2:2", mode="CMYK", ycck=True)
    assert frame_components(data) == [(1, 2, 1, 0), (2, 1, 1, 1), (3, 1, 1, 1), (4, 2, 1, 0)]
    assert app_markers(data) == ["APP14"]
    assert data[data.index(b"Adobe") + 11] == 2  # transform: YCCK
    adobe = next(s for s in read_markers(data) if s.name == "APP14")
    assert adobe.fields == {"version": 100, "flags": (0, 0), "transform": "2: YCCK"}
    assert frame_components(stripjpeg.encode(random_image(8, 8, 4), mode="CMYK", ycck=True)) == \
        [(1, 1, 1, 0), (2, 1, 1, 1), (3, 1, 1, 1), (4, 1, 1, 0)]


@pytest.mark.parametrize("subsampling", ["4:4:4", "4:2:2", "4:2:0"])
def test_ycck_components_are_pillows_ycbcr_and_cmyk_k(photo_cmyk: np.ndarray, subsampling: str,
                                                      backend: str) -> None:
    """Every subsampling, exactly, without a YCCK oracle: cmyk_ycck_convert of Pillow's
    inverted CMYK makes Y, Cb, Cr of (C, M, Y) taken as RGB, and K inverted. So YCCK's Y, Cb
    and Cr coefficients are those of Pillow's JPEG of that RGB image (same factors, same
    tables), and its K those of Pillow's CMYK JPEG at 4:4:4 (K full size on table 0)."""
    quality = 80
    ycck = read_coefficients(ours(photo_cmyk, "CMYK", backend, quality=quality,
                                  subsampling=subsampling, ycck=True))
    ycbcr = read_coefficients(pillow_bytes(photo_cmyk[:, :, :3], "RGB", quality=quality,
                                           subsampling=subsampling))
    cmyk = read_coefficients(pillow_bytes(photo_cmyk, "CMYK", quality=quality, subsampling=0))
    for mine, theirs in zip(ycck[:3], ycbcr):
        np.testing.assert_array_equal(mine, theirs)
    rows, cols = cmyk[3].shape[:2]
    np.testing.assert_array_equal(ycck[3][:rows, :cols], cmyk[3])


def test_ycck_decodes_to_the_cmyk_given(photo_cmyk: np.ndarray) -> None:
    """Pillow reads a YCCK file back as its CMYK (libjpeg converts YCCK to CMYK, Pillow
    inverts it): C, M, Y exactly as Pillow decodes its JPEG of (C, M, Y) taken as RGB, K as
    it decodes its CMYK JPEG; so the image given, up to the loss of quality 100."""
    back = np.asarray(Image.open(io.BytesIO(stripjpeg.encode(photo_cmyk, 100, mode="CMYK",
                                                             ycck=True))))
    rgb = np.asarray(Image.open(io.BytesIO(pillow_bytes(photo_cmyk[:, :, :3], "RGB", quality=100,
                                                        subsampling=0))))
    cmyk = np.asarray(Image.open(io.BytesIO(pillow_bytes(photo_cmyk, "CMYK", quality=100))))
    np.testing.assert_array_equal(back[:, :, :3], rgb)
    np.testing.assert_array_equal(back[:, :, 3], cmyk[:, :, 3])
    assert np.abs(back.astype(int) - photo_cmyk).max() <= 4


# --- RGBX and YCbCr: Pillow's bytes -----------------------------------------------------------

OTHER_CASES = {
    "q75_444": dict(quality=75, subsampling="4:4:4"),
    "q50_default": dict(quality=50, subsampling=-1),
    "q90_422_optimize": dict(quality=90, subsampling="4:2:2", optimize=True),
    "q85_420_progressive": dict(quality=85, subsampling="4:2:0", progressive=True),
    "q60_420_restarts": dict(quality=60, subsampling="4:2:0", restart_marker_rows=1),
}


@pytest.mark.parametrize("size", SIZES, ids=lambda s: f"{s[1]}x{s[0]}")
@pytest.mark.parametrize("case", list(OTHER_CASES))
@pytest.mark.parametrize("mode, channels", [("RGBX", 4), ("YCbCr", 3)])
def test_rgbx_and_ycbcr_equal_pillow(mode: str, channels: int, case: str, size: tuple[int, int],
                                     backend: str) -> None:
    pixels = random_image(*size, channels, seed=7)
    options = OTHER_CASES[case]
    assert ours(pixels, mode, backend, **options) == pillow_bytes(pixels, mode, **options)


def test_rgbx_keep_rgb_equals_pillow(backend: str) -> None:
    pixels = random_image(17, 33, 4)
    assert ours(pixels, "RGBX", backend, quality=80, keep_rgb=True) == \
        pillow_bytes(pixels, "RGBX", quality=80, keep_rgb=True)


def test_ycbcr_samples_are_coded_as_given(backend: str) -> None:
    """No conversion: a YCbCr image is the file of the RGB image with those Y, Cb, Cr; its Y
    alone (``grayscale``) is the grey image's file (jccolor.c grayscale_convert)."""
    rgb = photo("chelsea")[:40, :56]
    ycbcr = np.asarray(Image.fromarray(rgb).convert("YCbCr"))
    ycc = read_coefficients(ours(ycbcr, "YCbCr", backend, quality=90))
    assert len(ycc) == 3
    y = np.ascontiguousarray(ycbcr[:, :, 0])
    assert ours(ycbcr, "YCbCr", backend, quality=90, grayscale=True) == pillow_bytes(y, "L", quality=90)


def test_four_channels_are_rgba_by_default(backend: str) -> None:
    pixels = random_image(17, 33, 4)
    expected = pillow_bytes(pixels[:, :, :3], "RGB", quality=75, subsampling=0)
    assert ours(pixels, None, backend, quality=75) == expected
    assert ours(pixels, "RGBA", backend, quality=75) == expected
    assert ours(pixels, "RGBX", backend, quality=75) == expected


# --- every entry point --------------------------------------------------------------------------

ENTRY_CASES = {
    "cmyk_420": ("CMYK", 4, dict(quality=80, subsampling="4:2:0")),
    "cmyk_progressive": ("CMYK", 4, dict(quality=80, progressive=True)),
    "ycck_optimize": ("CMYK", 4, dict(quality=70, ycck=True, subsampling="default", optimize=True)),
    "rgbx": ("RGBX", 4, dict(quality=85, subsampling="4:2:2")),
    "ycbcr": ("YCbCr", 3, dict(quality=85, subsampling="4:2:0", restart_rows=2)),
}


@pytest.mark.parametrize("case", list(ENTRY_CASES))
def test_every_entry_point_writes_the_same_bytes(case: str, backend: str, tmp_path: Path) -> None:
    mode, channels, options = ENTRY_CASES[case]
    height, width = 37, 45
    pixels = random_image(height, width, channels, seed=11)
    options = dict(options, backend=backend)
    expected = stripjpeg.encode(pixels, mode=mode, **options)
    pieces = [pixels[start:start + 5] for start in range(0, height, 5)]

    stripjpeg.save(tmp_path / "saved.jpg", pixels, mode=mode, **options)
    assert (tmp_path / "saved.jpg").read_bytes() == expected
    buffer = io.BytesIO()
    with stripjpeg.Encoder(buffer, width, height, mode=mode, **options) as encoder:
        for piece in pieces:
            encoder.write(piece)
    assert buffer.getvalue() == expected
    assert b"".join(stripjpeg.iter_encode(pieces, width=width, height=height, mode=mode,
                                          **options)) == expected
    assert asyncio.run(stripjpeg.encode_async(pieces, width=width, height=height, mode=mode,
                                              **options)) == expected


def test_numba_declines_only_the_colour_stage_of_new_conversions() -> None:
    pytest.importorskip("numba")
    numba = stripjpeg.backends.get("numba")
    for mode, _, options in ENTRY_CASES.values():
        plan = stripjpeg.Encoder(io.BytesIO(), 16, 16, mode=mode, **options).plan
        assert not numba.declines("forward_dct", plan)
        assert not numba.declines("entropy_encode", plan)
        assert numba.declines("prepare_samples", plan) == (plan.color_convert not in NUMBA_COLOUR)


#: Colour conversions the numba backend's sample kernel does itself.
NUMBA_COLOUR = ("rgb_ycc", "grayscale", "cmyk_inverted")


# --- the command line -----------------------------------------------------------------------------

def test_cli_mode_and_ycck(tmp_path: Path) -> None:
    pixels = random_image(20, 30, 4, seed=5)
    np.save(tmp_path / "four.npy", pixels)
    out = str(tmp_path / "out.jpg")
    assert main(["encode", str(tmp_path / "four.npy"), "-o", out, "-q", "80", "--restart-rows", "0",
                 "--mode", "CMYK", "-s", "4:2:0"]) == 0
    assert Path(out).read_bytes() == pillow_bytes(pixels, "CMYK", quality=80, subsampling="4:2:0")
    assert main(["encode", str(tmp_path / "four.npy"), "-o", out, "-q", "90", "--restart-rows", "0",
                 "--mode", "CMYK", "--ycck", "-s", "default"]) == 0
    assert Path(out).read_bytes() == imagecodecs.jpeg8_encode(
        np.ascontiguousarray(255 - pixels), level=90, colorspace="CMYK", outcolorspace="YCCK")
    # A CMYK JPEG (Pillow's) read back through Pillow is CMYK again: encoded as CMYK.
    Path(tmp_path / "cmyk.jpg").write_bytes(pillow_bytes(pixels, "CMYK", quality=95))
    assert main(["encode", str(tmp_path / "cmyk.jpg"), "-o", out, "-q", "80", "--restart-rows", "0"]) == 0
    decoded = np.asarray(Image.open(tmp_path / "cmyk.jpg"))
    assert Path(out).read_bytes() == pillow_bytes(decoded, "CMYK", quality=80)


@pytest.mark.parametrize("argv, message", [
    (["--mode", "YCbCr"], "mode='YCbCr' takes 3 channel"),
    (["--ycck"], "ycck=True .* needs mode='CMYK', got mode RGBA"),
    (["--mode", "CMYK", "--rgb"], "keep_rgb=True needs RGB input; a mode CMYK image"),
])
def test_cli_mode_errors(tmp_path: Path, capsys: pytest.CaptureFixture, argv: list[str],
                         message: str) -> None:
    np.save(tmp_path / "four.npy", random_image(8, 8, 4))
    assert main(["encode", str(tmp_path / "four.npy"), "-o", str(tmp_path / "out.jpg"), *argv]) == 2
    assert re.search(message, capsys.readouterr().err)
    assert not (tmp_path / "out.jpg").exists()


# --- errors ----------------------------------------------------------------------------------------

@pytest.mark.parametrize("pixels, mode, message", [
    (random_image(8, 8, 3), "CMYK", r"mode='CMYK' takes 4 channel\(s\), but the image has 3; "
                                    r"modes of 3-channel images are RGB, YCbCr"),
    (random_image(8, 8, 4), "YCbCr", r"mode='YCbCr' takes 3 channel\(s\), but the image has 4"),
    (random_image(8, 8, 1)[:, :, 0], "RGB", r"mode='RGB' takes 3 channel\(s\), but the image has 1"),
    (random_image(8, 8, 4), "LAB", r"mode must be one of L, RGB, RGBA, RGBX, CMYK, YCbCr; got 'LAB'"),
    (np.zeros((8, 8, 4), np.uint16), "CMYK", r"mode='CMYK' takes 8-bit samples \(dtype uint8\); "
                                             r"the image has dtype uint16"),
])
def test_a_mode_that_does_not_fit_is_a_value_error(pixels: np.ndarray, mode: str, message: str,
                                                   tmp_path: Path) -> None:
    with pytest.raises(ValueError, match=message):
        stripjpeg.encode(pixels, mode=mode)
    with pytest.raises(ValueError, match=message):
        stripjpeg.save(tmp_path / "x.jpg", pixels, mode=mode)
    assert not (tmp_path / "x.jpg").exists()


def test_stream_rows_must_fit_the_mode() -> None:
    encoder = stripjpeg.Encoder(io.BytesIO(), 8, 8, mode="CMYK")
    with pytest.raises(ValueError, match=r"\(n, 8, 4\)"):
        encoder.write(random_image(8, 8, 3))
    encoder = stripjpeg.Encoder(io.BytesIO(), 8, 8, mode="YCbCr")
    with pytest.raises(ValueError, match=r"\(n, 8, 3\)"):
        encoder.write(random_image(8, 8, 4))


@pytest.mark.parametrize("mode, options, message", [
    ("RGBA", dict(ycck=True), r"ycck=True stores CMYK input as YCCK; it needs mode='CMYK', got mode RGBA"),
    ("YCbCr", dict(ycck=True), r"needs mode='CMYK', got mode YCbCr"),
    ("CMYK", dict(ycck=True, keep_rgb=True), r"ycck=True and keep_rgb=True ask for two colour spaces"),
    ("CMYK", dict(ycck=True, grayscale=True), r"ycck=True and grayscale=True ask for two colour spaces"),
    ("CMYK", dict(keep_rgb=True), r"keep_rgb=True needs RGB input; a mode CMYK image has no RGB"),
    ("YCbCr", dict(keep_rgb=True), r"keep_rgb=True needs RGB input; a mode YCbCr image has no RGB"),
    ("CMYK", dict(grayscale=True), r"grayscale=True with mode='CMYK': libjpeg converts no CMYK"),
    ("CMYK", dict(ycck="yes"), r"ycck must be True or False"),
    ("YCbCr", dict(subsampling="1x1,1x1,1x1,1x1"), r"4 components' factors; a YCbCr frame has 3"),
    ("CMYK", dict(subsampling="1x1,1x1,1x1,1x1,1x1"), r"5 components' factors; a frame has at most 4"),
    ("CMYK", dict(subsampling="4x2", ycck=True), r"4x2,1x1,1x1,1x1 make an MCU of 11 blocks"),
])
def test_options_a_mode_cannot_take(mode: str, options: dict, message: str) -> None:
    pixels = random_image(16, 16, stripjpeg.options.MODES[mode])
    error = TypeError if options.get("ycck") == "yes" else ValueError
    with pytest.raises(error, match=message):
        stripjpeg.encode(pixels, mode=mode, **options)
    with pytest.raises(error, match=message):
        stripjpeg.Encoder(io.BytesIO(), 16, 16, mode=mode, **options)


def test_four_factors_reach_four_components(backend: str) -> None:
    """cjpeg's ``-sample`` form gives every CMYK component its factors."""
    data = stripjpeg.encode(random_image(16, 16, 4), 75, "2x2,1x1,2x1,1x2", mode="CMYK",
                            backend=backend)
    assert [c[1:3] for c in frame_components(data)] == [(2, 2), (1, 1), (2, 1), (1, 2)]
    back = np.asarray(Image.open(io.BytesIO(data)))
    assert back.shape == (16, 16, 4)


def test_numba_colour_kernel_inverts_cmyk() -> None:
    """The kernel's four-plane case is stages.samples.invert_cmyk, edges replicated."""
    pytest.importorskip("numba")
    from stripjpeg.backends.numba_colour import convert_to_ycbcr
    from stripjpeg.stages.samples import expand_edges, invert_cmyk

    pixels = random_image(7, 13, 4, seed=9)
    planes = np.empty((4, 8, 16), np.uint8)
    convert_to_ycbcr(pixels, planes)
    for plane, expected in zip(planes, invert_cmyk(pixels)):
        np.testing.assert_array_equal(plane, expand_edges(expected, 8, 16))


@pytest.mark.parametrize("mode, options", [
    ("CMYK", dict(subsampling="4:2:0", restart_rows=1)),
    ("CMYK", dict(progressive=True, optimize=True)),
    ("CMYK", dict(ycck=True, subsampling="default", restart_rows=2)),
    ("CMYK", dict(ycck=True, progressive=True)),
    ("YCbCr", dict(subsampling="4:2:2", progressive=True)),
])
def test_decoders_accept_the_files(mode: str, options: dict, tmp_path: Path) -> None:
    """djpeg and ffmpeg decode every file without a word (djpeg writes CMYK as RGB). jpeginfo
    -c decodes to RGB only and says "Unsupported color conversion request" for any CMYK or
    YCCK file, Pillow's too, so it checks the YCbCr file alone."""
    pixels = random_image(37, 45, stripjpeg.options.MODES[mode], seed=2)
    data = stripjpeg.encode(pixels, 80, mode=mode, **options)
    assert djpeg_decode(data).shape == (37, 45, 3)
    # (ffmpeg 5 says "EOI missing" for any progressive file with restart markers: tiny.)
    assert ffmpeg_decode(data, False, tmp_path, tiny="progressive" in options).size == 37 * 45 * 3
    if mode == "YCbCr":
        jpeginfo_check(data, tmp_path)
