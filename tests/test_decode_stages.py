"""The decoder's NumPy stages (stripjpeg/decoding/): each against its slow twin in
tests/reference.py, each as the inverse of its encoder stage where it should be, and whole
images against Pillow and djpeg byte for byte."""

from __future__ import annotations

import dataclasses
import io
import os
import subprocess

import numpy as np
import pytest
import reference as twin
from oracle import _read_pnm, photo
from PIL import Image

import stripjpeg
from stripjpeg.decoding import idct, smoothing
from stripjpeg.decoding.colour import convert_colour, output_colour_space, ycbcr_to_rgb
from stripjpeg.decoding.idct import idct_islow, inverse_dct, range_limit
from stripjpeg.decoding.pixels import FrameGeometry, band_blocks, band_pixels, decode_coefficients
from stripjpeg.decoding.upsampling import h1v2_fancy, h2v1_fancy, h2v2_fancy, upsample
from stripjpeg.reader import read_jpeg
from stripjpeg.stages.dct import forward_dct_islow
from stripjpeg.stages.samples import convert_to_ycbcr

RNG = np.random.default_rng(18)


def pillow_pixels(data: bytes) -> np.ndarray:
    return np.asarray(Image.open(io.BytesIO(data)))


def djpeg_pixels(data: bytes, *options: str, plain_c: bool = False) -> np.ndarray:
    """djpeg -pnm's pixels; ``plain_c``: with libjpeg-turbo's SIMD turned off."""
    env = dict(os.environ, JSIMD_FORCENONE="1") if plain_c else None
    result = subprocess.run(["djpeg", "-pnm", *options], input=data, capture_output=True,
                            check=True, env=env)
    pixels = _read_pnm(result.stdout)
    return pixels[:, :, 0] if pixels.shape[2] == 1 else pixels


def decode(data: bytes, **options) -> np.ndarray:
    return decode_coefficients(read_jpeg(data), **options)


# --- IDCT --------------------------------------------------------------------------------

def random_blocks(count: int, magnitude: int, density: float = 0.4) -> np.ndarray:
    blocks = RNG.integers(-magnitude, magnitude + 1, (1, count, 8, 8)).astype(np.int16)
    blocks[RNG.random(blocks.shape) > density] = 0
    blocks[0, ::3, 1:, :] = 0       # some columns of zero AC terms (jidctint.c's shortcut)
    blocks[0, ::4, :, 1:] = 0       # and rows of them
    return blocks


@pytest.mark.parametrize("magnitude, table_max", [(60, 16), (1023, 255), (32767, 65535)],
                         ids=["ordinary", "large", "wild"])
def test_islow_matches_its_twin(magnitude, table_max):
    # "wild": corrupt or adversarial coefficients, far outside what an encoder makes, where
    # libjpeg's 32-bit workspace wraps and its range limit masks to 10 bits; 16-bit table
    # entries over 32767 are negative multipliers in libjpeg-turbo. The twin is jidctint.c.
    blocks = random_blocks(40, magnitude)
    table = RNG.integers(1, table_max + 1, 64).astype(np.uint16)
    ours = inverse_dct(blocks, table, "islow-c")
    for k in range(blocks.shape[1]):
        expected = twin.inverse_dct_islow(blocks[0, k].tolist(), table.tolist())
        assert ours[:, 8 * k:8 * k + 8].tolist() == expected


def test_range_limit_is_libjpegs_table():
    table = np.array(twin.post_idct_range_table())
    x = np.arange(-5000, 5000)
    assert np.array_equal(range_limit(x), table[x & 1023])


def test_islow_is_the_rounded_exact_idct():
    coefficients = RNG.integers(-300, 301, (30, 8, 8))
    coefficients[RNG.random(coefficients.shape) > 0.3] = 0
    ours = idct_islow(coefficients.astype(np.int64))
    for block, result in zip(coefficients, ours):
        exact = twin.exact_idct(block.astype(float))
        assert np.abs(result - exact).max() <= 1.0


def test_exact_idct_inverts_exact_dct():
    samples = RNG.integers(-128, 128, (8, 8)).astype(float)
    assert np.allclose(twin.exact_idct(twin.exact_dct(samples)), samples, atol=1e-9)


def test_islow_inverts_islow_forward_dct():
    # Q = 1: the coefficients are the forward DCT's rounded to integers, so the decoded
    # samples are within a rounding step of the originals.
    samples = RNG.integers(0, 256, (1, 12, 8, 8))
    coefficients = forward_dct_islow(samples - 128)
    quantized = np.sign(coefficients) * ((np.abs(coefficients) + 4) // 8)
    decoded = inverse_dct(quantized.astype(np.int16), np.ones(64, np.uint16))
    original = samples.transpose(0, 2, 1, 3).reshape(8, 96)
    assert np.abs(decoded.astype(int) - original).max() <= 1


def test_inverse_dct_refuses_bad_arguments():
    with pytest.raises(ValueError, match="unknown IDCT method 'exact'"):
        inverse_dct(np.zeros((1, 1, 8, 8), np.int16), np.ones(64), "exact")
    with pytest.raises(ValueError, match="rows, cols, 8, 8"):
        inverse_dct(np.zeros((8, 8), np.int16), np.ones(64))


# --- Upsampling ---------------------------------------------------------------------------

@pytest.mark.parametrize("cols", [3, 4, 9, 16])
@pytest.mark.parametrize("edges", ["image", "band"])
def test_triangle_filters_match_their_twins(cols, edges):
    plane = RNG.integers(0, 256, (5, cols)).astype(np.uint8)
    above = below = None
    if edges == "band":
        above, below = (RNG.integers(0, 256, cols).astype(np.uint8) for _ in range(2))
    as_list = None if above is None else above.tolist(), None if below is None else below.tolist()
    assert h2v1_fancy(plane).tolist() == [twin.h2v1_fancy_row(row) for row in plane.tolist()]
    assert h1v2_fancy(plane, above, below).tolist() == twin.h1v2_fancy_plane(plane.tolist(), *as_list)
    assert h2v2_fancy(plane, above, below).tolist() == twin.h2v2_fancy_plane(plane.tolist(), *as_list)


@pytest.mark.parametrize("h, v, cols, fancy, method", [
    (2, 1, 2, True, "box"), (2, 2, 2, True, "box"), (2, 2, 1, True, "box"),
    (1, 2, 1, True, "h1v2"), (1, 2, 5, False, "box"), (2, 1, 5, False, "box"),
    (2, 2, 5, False, "box"), (4, 1, 5, True, "box"), (3, 2, 5, True, "box"),
    (1, 1, 5, True, "copy"),
])
def test_upsample_picks_libjpegs_method(h, v, cols, fancy, method):
    # jdsample.c jinit_upsampler: the h2 triangle filters only for components over 2
    # samples wide; h1v2's has no such condition; every other ratio replicates.
    plane = RNG.integers(0, 256, (4, cols)).astype(np.uint8)
    expected = {"box": np.repeat(np.repeat(plane, v, 0), h, 1), "copy": plane,
                "h1v2": None if method != "h1v2" else h1v2_fancy(plane, None, None)}[method]
    assert np.array_equal(upsample(plane, h, v, None, None, fancy), expected)


def test_upsample_refuses_bad_factors():
    with pytest.raises(ValueError, match="h=5"):
        upsample(np.zeros((2, 2), np.uint8), 5, 1, None, None)
    with pytest.raises(ValueError, match="2-D"):
        upsample(np.zeros(4, np.uint8), 1, 1, None, None)


# --- Colour -------------------------------------------------------------------------------

def test_ycbcr_to_rgb_matches_its_twin():
    samples = RNG.integers(0, 256, (3, 400))
    samples[:, :6] = [[0, 255, 0, 255, 128, 16], [0, 255, 255, 0, 128, 240], [255, 0, 0, 255, 128, 16]]
    rgb = ycbcr_to_rgb(*samples.astype(np.uint8)[:, None, :])[0]
    assert rgb.tolist() == [list(twin.rgb_pixel(*map(int, s))) for s in samples.T]


def test_ycbcr_to_rgb_inverts_the_encoders_conversion():
    pixels = RNG.integers(0, 256, (64, 64, 3)).astype(np.uint8)
    planes = [p.astype(np.uint8) for p in convert_to_ycbcr(pixels)]
    # Rounding Y, Cb and Cr to integers loses up to half a step each, which R, G and B
    # (1.402 Cr, 1.772 Cb, 0.344 Cb + 0.714 Cr away from Y) see amplified.
    error = np.abs(ycbcr_to_rgb(*planes).astype(int) - pixels)
    assert error.max() <= 2 and error.mean() < 0.6


@pytest.mark.parametrize("ids, jfif, adobe, expected", [
    ((1,), False, None, "grey"), ((1, 2, 3), True, None, "ycbcr"), ((1, 2, 3), True, 0, "ycbcr"),
    ((1, 2, 3), False, 0, "rgb"), ((1, 2, 3), False, 1, "ycbcr"), ((82, 71, 66), False, None, "rgb"),
    ((82, 71, 66), False, 1, "ycbcr"), ((82, 71, 66), True, None, "ycbcr"),
    ((0, 1, 2), False, None, "ycbcr"), ((1, 2, 3, 4), False, None, "cmyk"),
    ((1, 2, 3, 4), False, 0, "cmyk"), ((1, 2, 3, 4), False, 2, "ycck"),
    ((1, 2, 3, 4), True, 1, "ycck"),
])
def test_output_colour_space_follows_default_decompress_parms(ids, jfif, adobe, expected):
    assert output_colour_space(ids, jfif, adobe) == expected


def test_convert_colour_refuses_a_mismatch():
    with pytest.raises(ValueError, match="takes 3 planes"):
        convert_colour([np.zeros((1, 1), np.uint8)], "ycbcr")
    with pytest.raises(ValueError, match="unknown colour space"):
        convert_colour([np.zeros((1, 1), np.uint8)], "lab")
    with pytest.raises(ValueError, match="2 components"):
        output_colour_space((1, 2), False, None)


# --- Bands ----------------------------------------------------------------------------------

@pytest.mark.parametrize("subsampling", ["4:2:0", "4:4:0", "4:2:2", "2x2,1x2,2x1"])
@pytest.mark.parametrize("fancy", [True, False])
def test_bands_put_together_are_the_whole_image(subsampling, fancy):
    data = stripjpeg.encode(photo("chelsea")[:75, :61], 85, subsampling)
    decoded = read_jpeg(data)
    frame = FrameGeometry.of(decoded)
    whole = decode_coefficients(decoded, fancy=fancy)
    for height in (1, 2):
        pieces = []
        for first in range(0, frame.mcu_rows, height):
            band = (first, min(first + height, frame.mcu_rows))
            blocks, above, below = band_blocks(decoded.coefficients, frame, band)
            pieces.append(band_pixels(blocks, decoded.quant_tables, frame, band, above, below,
                                      fancy=fancy))
        assert np.array_equal(np.concatenate(pieces), whole)


def test_band_pixels_asks_for_its_context_rows():
    decoded = read_jpeg(stripjpeg.encode(photo("chelsea")[:40, :40], 85, "4:2:0"))
    frame = FrameGeometry.of(decoded)
    assert frame.needs_context() == [False, True, True]
    assert frame.needs_context(fancy=False) == [False, False, False]
    blocks = [c[2:] for c in decoded.coefficients[:1]] + [c[1:] for c in decoded.coefficients[1:]]
    with pytest.raises(ValueError, match="component 1's triangle filter needs the block row above"):
        band_pixels(blocks, decoded.quant_tables, frame, (1, 3))
    with pytest.raises(ValueError, match="not a run of the image's 3 iMCU rows"):
        band_pixels(blocks, decoded.quant_tables, frame, (1, 4))


# --- Whole images against Pillow and djpeg ----------------------------------------------------

SIZES = [(1, 1), (5, 7), (13, 17), (65, 33), (16, 16), (2, 3), (31, 9)]
SAMPLINGS = ["4:4:4", "4:2:2", "4:2:0", "4:4:0", "4x1", "3x1", "1x2,1x1,2x1", "2x2,2x1,1x1",
             "3x2", "2x4", "1x1,2x2,2x2", "1x1,2x1,1x2"]


@pytest.mark.parametrize("subsampling", SAMPLINGS)
def test_stripjpeg_files_decode_as_pillow(subsampling):
    image = photo("astronaut")
    for (rows, cols), quality in zip(SIZES, [50, 90, 100, 75, 90, 50, 100]):
        data = stripjpeg.encode(image[100:100 + rows, 200:200 + cols], quality, subsampling)
        assert np.array_equal(decode(data), pillow_pixels(data)), (rows, cols, quality)


@pytest.mark.parametrize("options", [
    {"progressive": True}, {"arithmetic": True}, {"arithmetic": True, "progressive": True},
    {"restart_blocks": 3}, {"grayscale": True}, {"keep_rgb": True}, {"optimize": True},
], ids=lambda o: ",".join(o))
def test_coding_processes_decode_as_pillow(options):
    subsampling = "4:4:4" if options.get("keep_rgb") else "4:2:0"
    for image in (photo("coffee")[:70, :93], RNG.integers(0, 256, (29, 43, 3)).astype(np.uint8)):
        data = stripjpeg.encode(image, 80, subsampling, **options)
        assert np.array_equal(decode(data), pillow_pixels(data))


def test_a_grey_frames_declared_factors_change_nothing():
    # One component: one block per MCU whatever its factors (A.2.2), never upsampled.
    data = bytearray(stripjpeg.encode(photo("camera")[:37, :45], 80))
    factors = data.index(b"\xff\xc0") + 11
    for declared in (0x22, 0x13, 0x41):
        data[factors] = declared
        assert np.array_equal(decode(bytes(data)), pillow_pixels(bytes(data)))


def test_pillows_own_files_decode_as_pillow():
    image = photo("rocket")[:97, :131]
    for subsampling, quality in [(0, 95), (1, 75), (2, 50), (2, 100)]:
        buffer = io.BytesIO()
        Image.fromarray(image).save(buffer, "JPEG", quality=quality, subsampling=subsampling)
        assert np.array_equal(decode(buffer.getvalue()), pillow_pixels(buffer.getvalue()))
    buffer = io.BytesIO()
    Image.fromarray(photo("camera")[:50, :77]).save(buffer, "JPEG", quality=60)
    assert np.array_equal(decode(buffer.getvalue()), pillow_pixels(buffer.getvalue()))


@pytest.mark.parametrize("arguments", [
    ["-sample", "1x2"], ["-sample", "4x1"], ["-sample", "2x1,1x2,1x1"], ["-sample", "3x1"],
    ["-rgb"], ["-grayscale"], ["-progressive", "-sample", "2x2"], ["-arithmetic"],
    ["-restart", "1"],
], ids=" ".join)
def test_cjpeg_files_decode_as_pillow(arguments):
    buffer = io.BytesIO()
    Image.fromarray(photo("motorcycle_left")[:67, :91]).save(buffer, "PPM")
    data = subprocess.run(["cjpeg", "-quality", "85", *arguments], input=buffer.getvalue(),
                          capture_output=True, check=True).stdout
    assert np.array_equal(decode(data), pillow_pixels(data))


def test_cmyk_and_ycck_files_decode_as_pillow():
    cmyk = RNG.integers(0, 256, (29, 31, 4)).astype(np.uint8)
    cmyk[:, :15] = 255 - photo("coffee")[:29, :15, [0, 1, 2, 0]]
    buffer = io.BytesIO()
    Image.fromarray(cmyk, "CMYK").save(buffer, "JPEG", quality=90)
    files = [buffer.getvalue(), stripjpeg.encode(cmyk, 90, mode="CMYK"),
             stripjpeg.encode(cmyk, 85, "4:2:0", mode="CMYK", ycck=True)]
    for data in files:
        assert Image.open(io.BytesIO(data)).mode == "CMYK"
        assert np.array_equal(decode(data), pillow_pixels(data))
    assert read_jpeg(files[2]).adobe_transform == 2


def segments_without(data: bytes, marker: int) -> bytes:
    """The file without its segments of one marker before the first scan."""
    out, position = bytearray(data[:2]), 2
    while data[position + 1] != 0xDA:
        end = position + 2 + int.from_bytes(data[position + 2:position + 4], "big")
        if data[position + 1] != marker:
            out += data[position:end]
        position = end
    return bytes(out + data[position:])


def with_component_ids(data: bytes, ids: tuple[int, int, int]) -> bytes:
    """The file with its (sequential, 3-component) frame's and scan's component ids replaced."""
    out = bytearray(data)
    sof, sos = data.index(b"\xff\xc0"), data.index(b"\xff\xda")
    for k, cid in enumerate(ids):
        out[sof + 10 + 3 * k] = cid
        out[sos + 5 + 2 * k] = cid
    return bytes(out)


def test_the_markers_decide_the_colour_space_as_for_pillow():
    image = photo("coffee")[:40, :56]
    ycbcr = stripjpeg.encode(image, 90)
    rgb = stripjpeg.encode(image, 90, keep_rgb=True)
    assert read_jpeg(ycbcr).jfif and read_jpeg(ycbcr).adobe_transform is None
    assert read_jpeg(rgb).adobe_transform == 0
    crafted = {
        "no markers, ids 1 2 3": segments_without(ycbcr, 0xE0),
        "no markers, ids R G B": with_component_ids(segments_without(rgb, 0xEE), (82, 71, 66)),
        "no markers, ids 0 1 2 (YCbCr)": with_component_ids(segments_without(rgb, 0xEE), (0, 1, 2)),
        "JFIF, ids R G B": with_component_ids(ycbcr, (82, 71, 66)),
    }
    for name, data in crafted.items():
        assert np.array_equal(decode(data), pillow_pixels(data)), name


# --- djpeg's options ---------------------------------------------------------------------------

@pytest.mark.parametrize("subsampling", ["4:2:0", "4:2:2", "4:4:0", "4x1"])
def test_nosmooth_is_djpegs(subsampling):
    # djpeg -nosmooth: replication; at 4:2:0 and 4:2:2 libjpeg's merged upsampler
    # (jdmerge.c), which these same pixels show to be replication + jdcolor.c's tables.
    data = stripjpeg.encode(photo("astronaut")[:67, :91], 80, subsampling)
    ours = decode(data, fancy=False)
    assert np.array_equal(ours, djpeg_pixels(data, "-nosmooth"))
    assert np.array_equal(ours, djpeg_pixels(data, "-nosmooth", plain_c=True))


@pytest.mark.parametrize("method, option, plain_c", [
    ("islow", "int", False), ("islow-c", "int", True), ("ifast", "fast", True),
    ("float", "float", False)])
def test_wild_coefficients_decode_as_libjpeg_turbo(method, option, plain_c):
    # Corrupt coefficients: libjpeg's C integer IDCTs wrap them into range (RANGE_MASK, 16-
    # and 32-bit C types); its SIMD integer IDCTs (Pillow's, djpeg's by default) saturate
    # 16-bit lanes instead, so the two differ here, and only here. "islow" follows the SIMD
    # code (Pillow's pixels), "islow-c" and ifast the C code (jidctint.c, jidctfst.c: ifast's
    # SIMD code differs too); float follows the SIMD code, as for every file.
    blocks = RNG.integers(-1023, 1024, (3, 5, 8, 8)).astype(np.int16)
    blocks[RNG.random(blocks.shape) > 0.3] = 0
    table = RNG.integers(1, 65536, 64)
    data = stripjpeg.encode_coefficients([blocks], [table], baseline=False)
    ours = decode(data, dct=method)
    assert np.array_equal(ours, djpeg_pixels(data, "-dct", option, plain_c=plain_c))
    if method == "islow":
        assert np.array_equal(ours, pillow_pixels(data))
    if method != "float":  # the other code gives other pixels: the test can tell them apart
        assert (ours != djpeg_pixels(data, "-dct", option, plain_c=not plain_c)).mean() > 0.2


def test_decode_coefficients_gives_libjpegs_twelve_bit_samples():
    """The textbook path decodes 12-bit files to libjpeg-turbo 3.1's uint16 samples
    (tests/test_decode_twelve.py has the rest); a 16-bit DCT precision is refused."""
    imagecodecs = pytest.importorskip("imagecodecs")
    pixels = RNG.integers(0, 4096, (19, 21, 3)).astype(np.uint16)
    data = stripjpeg.encode(pixels, 90, precision=12, subsampling="4:2:0")
    decoded = read_jpeg(data)
    samples = decode_coefficients(decoded)
    assert samples.dtype == np.uint16
    assert np.array_equal(samples, imagecodecs.jpeg8_decode(data))
    with pytest.raises(ValueError, match="16-bit samples: only 8- and 12-bit DCT files"):
        FrameGeometry.of(dataclasses.replace(decoded, precision=16))


# --- ifast and float: djpeg -dct fast, -dct float ----------------------------------------------

@pytest.mark.parametrize("magnitude, table_max", [(60, 16), (1023, 255), (32767, 65535)],
                         ids=["ordinary", "large", "wild"])
@pytest.mark.parametrize("method", ["ifast", "float"])
def test_ifast_and_float_match_their_twins(method, magnitude, table_max):
    blocks = random_blocks(25, magnitude)
    table = RNG.integers(1, table_max + 1, 64).astype(np.uint16)
    ours = inverse_dct(blocks, table, method)
    reference_idct = {"ifast": twin.inverse_dct_ifast, "float": twin.inverse_dct_float}[method]
    for k in range(blocks.shape[1]):
        assert ours[:, 8 * k:8 * k + 8].tolist() == reference_idct(blocks[0, k].tolist(), table.tolist())


@pytest.mark.parametrize("method, option", [("islow", "int"), ("islow-c", "int"),
                                            ("ifast", "fast"), ("float", "float")])
def test_dct_methods_are_djpegs(method, option):
    # libjpeg-turbo's SIMD and C code agree for islow and ifast on every file an encoder
    # makes; for float they round differently: dct="float" is the SIMD code's (djpeg's own
    # choice on x86-64), inverse_dct_float_plain_c the C code's (JSIMD_FORCENONE=1).
    image = photo("astronaut")[:99, :131]
    for quality, subsampling in [(50, "4:2:0"), (90, "4:4:4"), (95, "4:2:2"), (100, "4:2:0")]:
        data = stripjpeg.encode(image, quality, subsampling)
        ours = decode(data, dct=method)
        assert np.array_equal(ours, djpeg_pixels(data, "-dct", option))
        if method != "float":
            assert np.array_equal(ours, djpeg_pixels(data, "-dct", option, plain_c=True))


def test_plain_c_float_idct_is_djpegs_without_simd(monkeypatch):
    data = stripjpeg.encode(photo("astronaut")[:99, :131], 90, "4:4:4")
    plain_c = djpeg_pixels(data, "-dct", "float", plain_c=True)
    assert not np.array_equal(plain_c, djpeg_pixels(data, "-dct", "float"))  # they do differ
    monkeypatch.setitem(idct.INVERSE_DCT, "float", idct.inverse_dct_float_plain_c)
    assert np.array_equal(decode(data, dct="float"), plain_c)


@pytest.mark.parametrize("method", ["ifast", "float"])
def test_ifast_and_float_nosmooth_and_subsampling(method):
    option = {"ifast": "fast", "float": "float"}[method]
    for subsampling in ("4:2:0", "4:4:0", "4x1"):
        data = stripjpeg.encode(photo("coffee")[:45, :67], 85, subsampling)
        assert np.array_equal(decode(data, dct=method, fancy=False),
                              djpeg_pixels(data, "-dct", option, "-nosmooth"))


# --- Block smoothing of progressive files ----------------------------------------------------

# cjpeg -scans scripts that leave low coefficients unsent or unrefined (libjpeg then smooths),
# with interleaved and separate DC scans (the dummy blocks' DC enters the 5 x 5 window).
# Only a missing DC bit is not enough: libjpeg smooths when some AC 1..9 is inexact.
INCOMPLETE_SCRIPTS = {
    "DC only": "0,1,2: 0-0, 0, 0;",
    "DC missing a bit (not smoothed)": "0,1,2: 0-0, 0, 1; 0: 1-63, 0, 0; 1: 1-63, 0, 0; 2: 1-63, 0, 0;",
    "two luma ACs": "0,1,2: 0-0, 0, 0; 0: 1-2, 0, 0; 1: 1-63, 0, 0; 2: 1-63, 0, 0;",
    "luma AC bits missing": "0,1,2: 0-0, 0, 0; 0: 1-63, 0, 2; 1: 1-63, 0, 0; 2: 1-63, 0, 0;",
    "separate DC scans": "0: 0-0, 0, 0; 1: 0-0, 0, 0; 2: 0-0, 0, 0; 0: 1-3, 0, 0;",
    "separate DC refinements": "0,1,2: 0-0, 0, 1; 0: 0-0, 1, 0; 1: 0-0, 1, 0; 2: 0-0, 1, 0;",
    "interleaved DC refinement": "0: 0-0, 0, 1; 1: 0-0, 0, 1; 2: 0-0, 0, 1; 0,1,2: 0-0, 1, 0;",
}


@pytest.mark.parametrize("script", INCOMPLETE_SCRIPTS, ids=str)
def test_incomplete_progressive_files_are_smoothed_as_pillow(script, tmp_path):
    (tmp_path / "scans.txt").write_text(INCOMPLETE_SCRIPTS[script].replace("; ", ";\n"))
    for rows, cols, sampling in [(72, 88, "2x2"), (137, 61, "1x2"), (17, 23, "2x1"), (9, 200, "1x1")]:
        buffer = io.BytesIO()
        Image.fromarray(photo("coffee")[:rows, :cols]).save(buffer, "PPM")
        data = subprocess.run(["cjpeg", "-quality", "85", "-sample", sampling, "-scans",
                               str(tmp_path / "scans.txt")], input=buffer.getvalue(),
                              capture_output=True, check=True).stdout
        decoded = read_jpeg(data)
        smoothed = smoothing.smoothing_applies(decoded.coef_bits, decoded.quant_tables)
        assert smoothed == ("not smoothed" not in script)
        assert np.array_equal(decode(data), pillow_pixels(data)), (rows, cols, sampling)


def test_smoothing_leaves_complete_files_alone():
    data = stripjpeg.encode(photo("coffee")[:72, :88], 85, "4:2:0", progressive=True)
    decoded = read_jpeg(data)
    assert decoded.coef_bits is not None
    assert not smoothing.smoothing_applies(decoded.coef_bits, decoded.quant_tables)
    assert read_jpeg(stripjpeg.encode(photo("coffee")[:8, :8], 85)).coef_bits is None


@pytest.mark.parametrize("arithmetic", [False, True])
def test_stripjpeg_incomplete_scripts_are_smoothed_as_pillow(arithmetic):
    with pytest.warns(UserWarning, match="those bits are lost"):
        data = stripjpeg.encode(photo("chelsea")[:75, :61], 80, "4:2:0", progressive=True,
                                scans="0,1,2: 0-0, 0, 1; 0: 1-5, 0, 2;", arithmetic=arithmetic)
    assert np.array_equal(decode(data), pillow_pixels(data))


def test_smoothing_rows_follow_libjpegs_block_row_count():
    # jdcoefct.c counts a block row's place with the block rows of its own iMCU row: with
    # Vi = 2 and an odd number of block rows, the row two below the third-last is a dummy
    # row; in an image of two iMCU rows, the last row's "two above" is the row above.
    rows = smoothing.neighbour_rows(5, 2, 3)
    assert rows[:, 2].tolist() == [0, 1, 2, 3, 4]
    assert rows[:, 3].tolist() == [1, 2, 3, 4, 5]   # 5: the dummy row
    assert rows[:, 4].tolist() == [2, 3, 4, 4, 4]
    assert smoothing.neighbour_rows(3, 2, 2)[:, 2].tolist() == [1, 1, 2, 2, 2]


@pytest.mark.parametrize("bits", [
    [0] + [-1] * 63,                      # DC only: DC interpolation, positions 1..9
    [1, 0, 2, -1, 1, 3, -1, -1, 0, 2] + [-1] * 54,   # some known, some capped at 2**Al - 1
], ids=["DC only", "mixed"])
@pytest.mark.parametrize("height, v, imcu_rows", [(5, 2, 3), (3, 2, 2), (6, 1, 6), (7, 3, 3)])
def test_smoothing_matches_its_twin(bits, height, v, imcu_rows):
    blocks = RNG.integers(-40, 41, (height, 6, 8, 8)).astype(np.int16)
    blocks[RNG.random(blocks.shape) > 0.2] = 0
    blocks[:, :, 0, 0] = RNG.integers(-300, 300, (height, 6))
    table = RNG.integers(1, 60, 64)
    ours = smoothing.smooth_component(blocks, table, bits, 2, v, imcu_rows, dummy_mask=-2)
    padded = smoothing.padded_dc(blocks[:, :, 0, 0].astype(np.int64), 2, v, -2)
    expected = twin.smooth_component(blocks, table.tolist(), bits, v, imcu_rows, padded)
    assert np.array_equal(ours, expected)


@pytest.mark.parametrize("density, table_max, flat_rows", [
    (0.3, 65536, False), (0.1, 300, False), (0.01, 65536, False), (0.05, 65536, True),
], ids=["dense", "8-bit-ish table", "sparse", "row 0 only"])
def test_simd_islow_is_pillows_on_wild_coefficients(density, table_max, flat_rows):
    # What Pillow (libjpeg-turbo's SSE2/AVX2 islow) computes for corrupt coefficients is the
    # default "islow"; "islow-c" is jidctint.c's (JSIMD_FORCENONE=1 djpeg).
    blocks = RNG.integers(-1023, 1024, (4, 5, 8, 8)).astype(np.int16)
    blocks[RNG.random(blocks.shape) > density] = 0
    if flat_rows:  # the SIMD code's shortcut: coefficient rows 1..7 all zero
        blocks[:, :, 1:, :] = 0
        blocks[:, :, 0, :] = RNG.integers(-1023, 1024, (4, 5, 8))
    data = stripjpeg.encode_coefficients([blocks], [RNG.integers(1, table_max, 64)], baseline=False)
    plain_c = decode(data, dct="islow-c")
    simd = decode(data)
    assert np.array_equal(simd, pillow_pixels(data))
    assert np.array_equal(plain_c, djpeg_pixels(data, plain_c=True))
    assert not np.array_equal(simd, plain_c)


def test_simd_islow_is_jidctint_on_every_encoders_file():
    for subsampling, quality in [("4:2:0", 90), ("4:4:4", 100), ("4:2:2", 30)]:
        decoded = read_jpeg(stripjpeg.encode(photo("rocket")[:80, :120], quality, subsampling))
        for blocks, table in zip(decoded.coefficients, decoded.quant_tables):
            assert np.array_equal(idct.inverse_dct_islow_simd(blocks, table),
                                  idct.inverse_dct_islow(blocks, table))


def test_opencv_and_ffmpeg_files_decode_as_pillow(tmp_path):
    import cv2
    from other_encoders import crop, opencv

    image = crop(61, 77)
    files = [opencv(image, cv2.IMWRITE_JPEG_QUALITY, 90), opencv(image, cv2.IMWRITE_JPEG_PROGRESSIVE, 1)]
    files += [opencv(image, cv2.IMWRITE_JPEG_SAMPLING_FACTOR, factor)
              for factor in (cv2.IMWRITE_JPEG_SAMPLING_FACTOR_411, cv2.IMWRITE_JPEG_SAMPLING_FACTOR_440)]
    Image.fromarray(image).save(tmp_path / "in.png")
    for pixel_format in ("yuvj420p", "yuvj422p"):   # ffmpeg's own JPEG encoder
        files.append(subprocess.run(["ffmpeg", "-v", "error", "-i", str(tmp_path / "in.png"), "-pix_fmt",
                                     pixel_format, "-q:v", "3", "-f", "mjpeg", "-"],
                                    capture_output=True, check=True).stdout)
    for data in files:
        assert np.array_equal(decode(data), pillow_pixels(data))


def test_band_pixels_ignores_the_blocks_that_pad_the_last_mcus():
    decoded = read_jpeg(stripjpeg.encode(photo("chelsea")[:37, :45], 85, "4:2:0"))
    frame = FrameGeometry.of(decoded)
    padded = [np.pad(c, ((0, 2), (0, 3), (0, 0), (0, 0)), constant_values=77)
              for c in decoded.coefficients]
    assert np.array_equal(band_pixels(padded, decoded.quant_tables, frame, (0, frame.mcu_rows)),
                          decode_coefficients(decoded))
