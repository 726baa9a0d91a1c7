"""The decoder's numba pixel kernels (stripjpeg.backends.numba_decode_pixels and
numba_decode_idct) against the real decoders: Pillow's pixels byte for byte (islow, fancy
upsampling, jdcolor.c), djpeg's for ``-dct fast``, ``-dct float`` and ``-nosmooth``, and
libjpeg-turbo's plain C code (``JSIMD_FORCENONE=1 djpeg``) on wild coefficients, where its SIMD
integer code gives other values; and against the NumPy stages (stripjpeg.decoding) on random
and wild inputs. The coefficients come from stripjpeg's reader."""

from __future__ import annotations

import io
import os
import subprocess
from concurrent.futures import ThreadPoolExecutor

import numpy as np
import pytest
from oracle import photo, pillow_jpeg
from other_encoders import pillow_cmyk
from PIL import Image

import stripjpeg
from stripjpeg.backends.numba_decode_idct import (
    idct_range_limit,
    inverse_dct,
    inverse_dct_float_plain_c,
    inverse_dct_islow_simd,
)
from stripjpeg.backends.numba_decode_pixels import band_to_pixels_fused, convert_colour, fused_case, upsample
from stripjpeg.reader import DecodedJpeg, read_jpeg
from stripjpeg.tables import ZIGZAG

RNG = np.random.default_rng(18)
NOISE = RNG.integers(0, 256, (37, 53, 3), dtype=np.uint8)


def pillow_pixels(data: bytes) -> np.ndarray:
    """What Pillow decodes: the oracle of the default path."""
    return np.asarray(Image.open(io.BytesIO(data)))


def djpeg_pixels(data: bytes, *switches: str, plain_c: bool = False) -> np.ndarray:
    """djpeg's PNM output; ``plain_c``: with its SIMD code turned off (JSIMD_FORCENONE=1)."""
    env = dict(os.environ, JSIMD_FORCENONE="1") if plain_c else None
    result = subprocess.run(["djpeg", *switches, "-pnm"], input=data, capture_output=True,
                            env=env, check=True)
    return np.asarray(Image.open(io.BytesIO(result.stdout)))


def ratios(decoded: DecodedJpeg) -> list[tuple[int, int]]:
    """Per component, its upsampling factors Hmax/H, Vmax/V."""
    hmax = max(c.h for c in decoded.components)
    vmax = max(c.v for c in decoded.components)
    return [(hmax // c.h, vmax // c.v) for c in decoded.components]


def real_size(decoded: DecodedJpeg, index: int) -> tuple[int, int]:
    """A component's downsampled height and width (libjpeg: ceil(size * factor / max))."""
    h, v = ratios(decoded)[index]
    return -(-decoded.height // v), -(-decoded.width // h)


def space_of(decoded: DecodedJpeg) -> str:
    return {1: "grey", 3: "ycbcr", 4: "cmyk"}[len(decoded.components)]


def stage_pixels(data: bytes, dct: str = "islow", fancy: bool = True, band_rows: int | None = None,
                 space: str | None = None) -> np.ndarray:
    """The whole image through the three stage kernels; with ``band_rows``, upsampled in bands
    of that many MCU rows, each with the context rows of its neighbours."""
    decoded = read_jpeg(data)
    mcu_rows = 8 * max(c.v for c in decoded.components)
    band_rows = band_rows or -(-decoded.height // mcu_rows)
    planes = []
    for index, (blocks, table) in enumerate(zip(decoded.coefficients, decoded.quant_tables)):
        h, v = ratios(decoded)[index]
        rows, cols = real_size(decoded, index)
        samples = inverse_dct(blocks, table, dct)[:rows, :cols]
        step = band_rows * mcu_rows // v  # the component's rows per band
        bands = []
        for top in range(0, rows, step):
            above = samples[top - 1] if top > 0 else None
            below = samples[top + step] if top + step < rows else None
            bands.append(upsample(samples[top:top + step], h, v, above, below, fancy))
        planes.append(np.concatenate(bands)[:decoded.height, :decoded.width])
    return convert_colour(planes, space or space_of(decoded))


def fused_pixels(data: bytes, band_rows: int | None = None, workers: int = 1) -> np.ndarray:
    """The whole image through band_to_pixels_fused, in bands of ``band_rows`` MCU rows (each
    given its neighbours' chroma block rows), on ``workers`` threads at once."""
    decoded = read_jpeg(data)
    h, v = ratios(decoded)[1]
    luma, cb, cr = decoded.coefficients
    mcu_count = cb.shape[0]
    band_rows = band_rows or mcu_count
    tables = np.stack(decoded.quant_tables).astype(np.uint16)
    out = np.zeros((decoded.height, decoded.width, 3), np.uint8)
    none = np.zeros((0, cb.shape[1], 8, 8), np.int16)

    def band(first: int) -> None:
        last = min(first + band_rows, mcu_count)
        above = np.stack([cb[first - 1], cr[first - 1]]) if first > 0 else none
        below = np.stack([cb[last], cr[last]]) if last < mcu_count else none
        rows = out[8 * v * first:8 * v * last]
        band_to_pixels_fused(luma[v * first:v * last], cb[first:last], cr[first:last],
                             above, below, tables, h, v, rows)

    with ThreadPoolExecutor(workers) as pool:
        list(pool.map(band, range(0, mcu_count, band_rows)))
    return out


def files() -> dict[str, bytes]:
    """Files of every kind the default path decodes: stripjpeg's and Pillow's, photos, noise
    and awkward sizes, at every common subsampling, grey included."""
    astronaut = photo("astronaut")
    cases = {}
    for subsampling in ("4:4:4", "4:2:2", "4:2:0", "4:4:0"):
        for size in ((1, 1), (13, 17), (65, 33), (3, 2), (70, 101)):
            cases[f"stripjpeg-{subsampling}-{size}"] = stripjpeg.encode(
                astronaut[100:100 + size[0], 150:150 + size[1]], 85, subsampling)
        cases[f"noise-{subsampling}"] = stripjpeg.encode(NOISE, 95, subsampling)
        cases[f"noise-q20-{subsampling}"] = stripjpeg.encode(NOISE, 20, subsampling)
    for subsampling in ("4:4:4", "4:2:2", "4:2:0"):
        cases[f"pillow-{subsampling}"] = pillow_jpeg(photo("coffee")[:120, :150], 75, subsampling, 0)
    cases["stripjpeg-4x1"] = stripjpeg.encode(astronaut[:40, :61], 90, "4x1")
    cases["stripjpeg-1x4"] = stripjpeg.encode(astronaut[:61, :40], 90, "1x4")
    cases["stripjpeg-3x2"] = stripjpeg.encode(astronaut[:50, :50], 90, "3x2,1x1,1x1")
    cases["grey-photo"] = stripjpeg.encode(photo("camera")[:77, :91], 90)
    cases["grey-1x1"] = stripjpeg.encode(np.full((1, 1), 200, np.uint8), 90)
    cases["grey-noise"] = stripjpeg.encode(NOISE[:, :, 0], 50)
    return cases


FILES = files()


@pytest.mark.parametrize("name", FILES)
def test_stages_give_pillows_pixels(name):
    data = FILES[name]
    np.testing.assert_array_equal(stage_pixels(data), pillow_pixels(data))


@pytest.mark.parametrize("name", FILES)
def test_bands_with_context_rows_give_the_same_pixels(name):
    data = FILES[name]
    np.testing.assert_array_equal(stage_pixels(data, band_rows=1), pillow_pixels(data))
    np.testing.assert_array_equal(stage_pixels(data, band_rows=3), pillow_pixels(data))


FUSED = [name for name, data in FILES.items()
         if fused_case([(c.h, c.v) for c in read_jpeg(data).components],
                       space_of(read_jpeg(data)))]


def test_the_fused_cases_are_the_common_ones():
    kinds = {name.rsplit("-", 1)[0] if "noise" in name else name.split("-")[1] for name in FUSED}
    assert {"4:4:4", "4:2:2", "4:2:0", "noise", "noise-q20"} <= kinds
    assert not any("4:4:0" in name or "grey" in name or "4x1" in name for name in FUSED)


@pytest.mark.parametrize("name", FUSED)
def test_fused_kernel_gives_pillows_pixels(name):
    data = FILES[name]
    expected = pillow_pixels(data)
    np.testing.assert_array_equal(fused_pixels(data), expected)
    np.testing.assert_array_equal(fused_pixels(data, band_rows=1, workers=3), expected)
    np.testing.assert_array_equal(fused_pixels(data, band_rows=2, workers=2), expected)


def test_fused_kernel_on_a_large_photo_in_parallel_bands():
    data = stripjpeg.encode(photo("astronaut"), 90, "4:2:0")
    np.testing.assert_array_equal(fused_pixels(data, band_rows=5, workers=4), pillow_pixels(data))


@pytest.mark.parametrize("subsampling", ["4:4:4", "4:2:0", "4:2:2"])
@pytest.mark.parametrize("quality", [30, 90, 100])
def test_ifast_equals_djpeg_dct_fast(subsampling, quality):
    # libjpeg-turbo's SIMD and plain C ifast give the same pixels for valid files.
    data = stripjpeg.encode(photo("chelsea")[:150, :199], quality, subsampling)
    ours = stage_pixels(data, "ifast")
    np.testing.assert_array_equal(ours, djpeg_pixels(data, "-dct", "fast"))
    np.testing.assert_array_equal(ours, djpeg_pixels(data, "-dct", "fast", plain_c=True))


@pytest.mark.parametrize("subsampling", ["4:4:4", "4:2:0"])
@pytest.mark.parametrize("quality", [30, 90, 100])
def test_float_equals_djpeg_dct_float(subsampling, quality):
    data = stripjpeg.encode(photo("chelsea")[:150, :199], quality, subsampling)
    ours = stage_pixels(data, "float")
    np.testing.assert_array_equal(ours, djpeg_pixels(data, "-dct", "float"))
    # jidctflt.c, which libjpeg-turbo runs without SIMD, rounds otherwise.
    decoded = read_jpeg(data)
    plain = djpeg_pixels(stripjpeg.encode_coefficients(decoded.coefficients[:1], decoded.tables[:1],
                                                       width=decoded.width, height=decoded.height,
                                                       subsampling=subsampling),
                         "-dct", "float", plain_c=True)
    luma = inverse_dct_float_plain_c(decoded.coefficients[0], decoded.quant_tables[0])
    np.testing.assert_array_equal(luma[:decoded.height, :decoded.width], plain)


@pytest.mark.parametrize("subsampling", ["4:4:4", "4:2:2", "4:2:0", "4:4:0", "4x1"])
def test_box_upsampling_equals_djpeg_nosmooth(subsampling):
    data = stripjpeg.encode(photo("coffee")[:83, :127], 85, subsampling)
    ours = stage_pixels(data, fancy=False)
    np.testing.assert_array_equal(ours, djpeg_pixels(data, "-nosmooth"))
    np.testing.assert_array_equal(stage_pixels(data, fancy=False, band_rows=1), ours)


def with_steps(data: bytes, steps: np.ndarray) -> bytes:
    """``data`` with its first table (a 16-bit DQT) replaced by ``steps`` (natural order), so
    steps over 32767 (which libjpeg's encoder never writes) can be tried."""
    start = data.index(b"\xff\xdb") + 4
    assert data[start] >> 4 == 1, "a 16-bit table"
    raw = np.asarray(steps, np.uint16)[ZIGZAG].astype(">u2").tobytes()
    return data[:start + 1] + raw + data[start + 129:]


def wild_file(amplitude: int, max_step: int, seed: int) -> tuple[bytes, np.ndarray, np.ndarray]:
    """A grey file of random coefficients up to ``amplitude`` and steps up to ``max_step``,
    with whole zero columns and rows (the IDCTs' shortcuts); and its blocks and table."""
    rng = np.random.default_rng(seed)
    blocks = rng.integers(-amplitude, amplitude + 1, (5, 6, 8, 8)).astype(np.int16)
    blocks[::2, :, 3:, :] = 0
    blocks[:, ::3, :, 2:] = 0
    blocks[1, 1, 1:, :] = 0
    blocks[2, 1, :, :] = 0
    steps = rng.integers(1, max_step + 1, 64).astype(np.uint16)
    data = stripjpeg.encode_coefficients([blocks], [np.minimum(steps, 32767)], baseline=False)
    if max_step > 32767:
        data = with_steps(data, steps)
    decoded = read_jpeg(data)
    np.testing.assert_array_equal(decoded.quant_tables[0], steps)
    return data, decoded.coefficients[0], steps


@pytest.mark.parametrize("dct, switch", [("islow", "int"), ("islow-c", "int"), ("ifast", "fast"),
                                         ("float", "float")])
@pytest.mark.parametrize("amplitude, max_step", [(1023, 255), (1023, 32767), (60, 65535),
                                                 (400, 2000), (3, 65535)])
def test_wild_coefficients_equal_libjpeg_turbo(dct, switch, amplitude, max_step):
    # islow: libjpeg-turbo's SIMD code (djpeg's and Pillow's); islow-c and ifast: its plain C
    # code (its SIMD code saturates instead); float: its SIMD code, which djpeg runs, and
    # jidctflt.c for inverse_dct_float_plain_c.
    data, blocks, steps = wild_file(amplitude, max_step, seed=amplitude + max_step)
    ours = inverse_dct(blocks, steps, dct)
    plain_c = dct in ("islow-c", "ifast")
    np.testing.assert_array_equal(ours, djpeg_pixels(data, "-dct", switch, plain_c=plain_c))
    if dct == "float":
        np.testing.assert_array_equal(inverse_dct_float_plain_c(blocks, steps),
                                      djpeg_pixels(data, "-dct", "float", plain_c=True))


@pytest.mark.parametrize("amplitude, max_step", [(1023, 255), (1023, 32767), (60, 65535), (3, 65535)])
def test_islow_simd_gives_pillows_pixels_for_wild_coefficients(amplitude, max_step):
    data, blocks, steps = wild_file(amplitude, max_step, seed=amplitude + max_step)
    ours = inverse_dct_islow_simd(blocks, steps)
    np.testing.assert_array_equal(ours, pillow_pixels(data))
    np.testing.assert_array_equal(inverse_dct(blocks, steps), ours)  # the default "islow"
    assert (ours != inverse_dct(blocks, steps, "islow-c")).any()
    for name in ("pillow-4:2:0", "noise-4:4:4"):  # and jidctint.c's samples for valid files
        decoded = read_jpeg(FILES[name])
        luma, table = decoded.coefficients[0], decoded.quant_tables[0]
        np.testing.assert_array_equal(inverse_dct_islow_simd(luma, table), inverse_dct(luma, table))


def wild_colour_file(subsampling: str, seed: int) -> bytes:
    """A YCbCr file of corrupt coefficients (up to +-1023, 16-bit steps up to 32767)."""
    rng = np.random.default_rng(seed)
    h, v = {"4:4:4": (1, 1), "4:2:2": (2, 1), "4:2:0": (2, 2)}[subsampling]
    shapes = [(3 * v, 4 * h, 8, 8), (3, 4, 8, 8), (3, 4, 8, 8)]
    blocks = [rng.integers(-1023, 1024, shape).astype(np.int16) for shape in shapes]
    for component in blocks:
        component[rng.random(component.shape) > 0.25] = 0
        component[::2, ::2, 1:, :] = 0   # the SIMD code's whole-block shortcut
    tables = [rng.integers(1, 32768, 64) for _ in range(3)]
    return stripjpeg.encode_coefficients(blocks, tables, subsampling=subsampling, baseline=False)


@pytest.mark.parametrize("subsampling", ["4:4:4", "4:2:2", "4:2:0"])
def test_fused_kernel_gives_pillows_pixels_for_wild_coefficients(subsampling):
    # The fused kernel's islow is the SIMD code's: Pillow's pixels, and not jidctint.c's.
    data = wild_colour_file(subsampling, seed=len(subsampling) + ord(subsampling[-1]))
    expected = pillow_pixels(data)
    np.testing.assert_array_equal(fused_pixels(data), expected)
    np.testing.assert_array_equal(fused_pixels(data, band_rows=1, workers=2), expected)
    assert (stage_pixels(data, "islow-c") != expected).mean() > 0.05


def test_range_limit_table_is_libjpegs():
    # jdmaster.c: 0..127 -> 128..255; then 255 up to 511; 0 for 512..895 (wrapped negatives);
    # 896..1023 are -128..-1 -> 0..127.
    table = idct_range_limit()
    assert table[:128].tolist() == list(range(128, 256))
    assert set(table[128:512].tolist()) == {255} and set(table[512:896].tolist()) == {0}
    assert table[896:].tolist() == list(range(128))


def test_cmyk_as_pillow_returns_it():
    data = pillow_cmyk(photo("coffee")[:45, :77], 90)
    assert Image.open(io.BytesIO(data)).mode == "CMYK"
    np.testing.assert_array_equal(stage_pixels(data, space="cmyk"), pillow_pixels(data))


@pytest.mark.parametrize("subsampling", ["4:4:4", "4:2:0"])
def test_ycck_as_pillow_returns_it(subsampling):
    cmyk = np.asarray(Image.fromarray(photo("coffee")[:45, :77]).convert("CMYK"))
    data = stripjpeg.encode(cmyk, 90, subsampling, mode="CMYK", ycck=True)
    np.testing.assert_array_equal(stage_pixels(data, space="ycck"), pillow_pixels(data))


def test_rgb_frames_pass_through():
    planes = [RNG.integers(0, 256, (5, 7), dtype=np.uint8) for _ in range(3)]
    np.testing.assert_array_equal(convert_colour(planes, "rgb"), np.stack(planes, -1))


def test_upsample_shapes_and_context_rows():
    plane = RNG.integers(0, 256, (4, 5), dtype=np.uint8)
    above, below = np.zeros(5, np.uint8), np.full(5, 255, np.uint8)
    for h, v in ((1, 1), (2, 1), (2, 2), (1, 2), (3, 1), (4, 2)):
        assert upsample(plane, h, v, None, None).shape == (4 * v, 5 * h)
    # The context rows change only the first and last output rows of the v == 2 filters.
    for h in (1, 2):
        edge = upsample(plane, h, 2, None, None)
        context = upsample(plane, h, 2, above, below)
        assert (context[0] < edge[0]).any() and (context[-1] > edge[-1]).any()
        np.testing.assert_array_equal(context[1:-1], edge[1:-1])
    np.testing.assert_array_equal(upsample(plane, 2, 1, above, below), upsample(plane, 2, 1, None, None))


def test_bad_arguments_are_refused():
    blocks = np.zeros((1, 1, 8, 8), np.int16)
    table = np.ones(64, np.uint16)
    with pytest.raises(TypeError, match="int16"):
        inverse_dct(blocks.astype(np.int32), table)
    with pytest.raises(ValueError, match="rows, cols, 8, 8"):
        inverse_dct(np.zeros((1, 8, 8), np.int16), table)
    with pytest.raises(ValueError, match="64 integer"):
        inverse_dct(blocks, np.ones(63, np.uint16))
    with pytest.raises(ValueError, match="method"):
        inverse_dct(blocks, table, "exact")
    plane = np.zeros((2, 3), np.uint8)
    with pytest.raises(TypeError, match="uint8"):
        upsample(plane.astype(np.int16), 2, 2, None, None)
    with pytest.raises(ValueError, match="factors"):
        upsample(plane, 0, 2, None, None)
    with pytest.raises(ValueError, match="above"):
        upsample(np.zeros((2, 4), np.uint8), 2, 2, np.zeros(3, np.uint8), None)
    with pytest.raises(ValueError, match="colour space"):
        convert_colour([plane], "lab")
    with pytest.raises(ValueError, match="3 component planes"):
        convert_colour([plane, plane], "ycbcr")
    with pytest.raises(ValueError, match="shape"):
        convert_colour([plane, plane, np.zeros((2, 4), np.uint8)], "ycbcr")
    none = np.zeros((0, 1, 8, 8), np.int16)
    tables = np.ones((3, 64), np.uint16)
    with pytest.raises(ValueError, match="1x1, 2x1 or 2x2"):
        band_to_pixels_fused(blocks, blocks, blocks, none, none, tables, 1, 2,
                             np.zeros((8, 8, 3), np.uint8))
    with pytest.raises(ValueError, match="do not match"):
        band_to_pixels_fused(blocks, blocks, blocks, none, none, tables, 1, 1,
                             np.zeros((9, 8, 3), np.uint8))


def test_inverse_dct_equals_the_numpy_stage_on_random_and_wild_blocks():
    from stripjpeg.decoding import idct

    rng = np.random.default_rng(3)
    for amplitude, max_step in ((40, 255), (1023, 255), (1023, 32767), (32767, 65535)):
        blocks = rng.integers(-amplitude, amplitude + 1, (4, 9, 8, 8)).astype(np.int16)
        blocks[1, :, 2:, :] = 0
        blocks[2, :, :, 1:] = 0
        blocks[3, ::2, 1:, :] = 0
        steps = rng.integers(1, max_step + 1, 64).astype(np.uint16)
        for method in ("islow", "islow-c", "ifast", "float"):
            np.testing.assert_array_equal(inverse_dct(blocks, steps, method),
                                          idct.inverse_dct(blocks, steps, method), err_msg=method)
        np.testing.assert_array_equal(inverse_dct_float_plain_c(blocks, steps),
                                      idct.blocks_to_plane(idct.inverse_dct_float_plain_c(blocks, steps)))
        np.testing.assert_array_equal(inverse_dct_islow_simd(blocks, steps),
                                      idct.blocks_to_plane(idct.inverse_dct_islow_simd(blocks, steps)))


def test_upsample_and_colour_equal_the_numpy_stages():
    from stripjpeg.decoding import colour, upsampling

    rng = np.random.default_rng(4)
    for rows, cols in ((1, 1), (1, 2), (2, 3), (5, 7), (16, 33)):
        plane = rng.integers(0, 256, (rows, cols), dtype=np.uint8)
        above, below = (rng.integers(0, 256, cols, dtype=np.uint8) for _ in range(2))
        for h in range(1, 5):
            for v in range(1, 5):
                for context in ((None, None), (above, None), (None, below), (above, below)):
                    for fancy in (True, False):
                        np.testing.assert_array_equal(
                            upsample(plane, h, v, *context, fancy),
                            upsampling.upsample(plane, h, v, *context, fancy),
                            err_msg=f"{rows}x{cols} h={h} v={v} fancy={fancy}")
        for space, count in (("grey", 1), ("ycbcr", 3), ("rgb", 3), ("cmyk", 4), ("ycck", 4)):
            planes = [rng.integers(0, 256, (rows, cols), dtype=np.uint8) for _ in range(count)]
            np.testing.assert_array_equal(convert_colour(planes, space),
                                          colour.convert_colour(planes, space), err_msg=space)


def test_the_kernels_literal_constants_are_the_derived_ones():
    # numba freezes a global's value into the compiled code, and its cache looks only at the
    # kernel's own file, so the kernel modules keep literal copies of tables.py's values.
    from stripjpeg import tables
    from stripjpeg.backends import numba_decode_idct as kernels
    from stripjpeg.backends import numba_decode_pixels as pixels

    assert (kernels.CONST_BITS, kernels.PASS1_BITS) == (tables.CONST_BITS, tables.PASS1_BITS)
    for name in ("0_298631336", "0_390180644", "0_541196100", "0_765366865", "0_899976223",
                 "1_175875602", "1_501321110", "1_847759065", "1_961570560", "2_053119869",
                 "2_562915447", "3_072711026"):
        assert getattr(kernels, f"FIX_{name}") == getattr(tables, f"FIX_{name}"), name
    for name in ("1_082392200", "1_414213562", "1_847759065", "2_613125930"):
        value = float(name.replace("_", "."))
        assert getattr(kernels, f"FAST_{name}") == tables.fix(value, tables.IFAST_CONST_BITS)
        assert getattr(kernels, f"F_{name}") == np.float32(value)
    np.testing.assert_array_equal(kernels.AAN_SCALES, np.ravel(tables.AAN_SCALES))
    np.testing.assert_array_equal(kernels.AAN_SCALE_FACTORS, tables.AAN_SCALE_FACTORS)
    assert (pixels.SCALEBITS, pixels.ONE_HALF) == (tables.SCALEBITS, tables.ONE_HALF)
    assert [pixels.FIX_1_40200, pixels.FIX_0_34414, pixels.FIX_0_71414, pixels.FIX_1_77200] == [
        tables.fix(x, tables.SCALEBITS) for x in (1.40200, 0.34414, 0.71414, 1.77200)]
