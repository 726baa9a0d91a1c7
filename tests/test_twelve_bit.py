"""12-bit lossy coding (``precision=12``, SOF1 with P = 12): bytes equal to libjpeg-turbo 3.1's
(``imagecodecs.jpeg8_encode(a, level=Q, bitspersample=12, subsampling=...)``), on both
backends; decoded by libjpeg-turbo (imagecodecs) with restart markers as without; the
coefficients read back by :func:`stripjpeg.inspect.read_jpeg` equal to the ones coded.
Smoothing is compared byte for byte too (imagecodecs' ``smoothing``); progressive and
arithmetic-coded 12-bit files, which imagecodecs does not write, by decoding them.

imagecodecs writes no restart markers (no DRI), so the byte comparisons use
``restart_rows=0``; the default ``restart_rows=1`` file is checked by decoding it to the same
samples as the file without markers (restart markers change the coding, not the coefficients).
"""

from __future__ import annotations

import io

import numpy as np
import pytest

import stripjpeg
from stripjpeg.backends import get
from stripjpeg.cli import main
from stripjpeg.inspect import read_jpeg, read_markers
from stripjpeg.options import make_options
from stripjpeg.plan import make_plan
from tests.oracle import photo

RNG = np.random.default_rng(12)

#: Our subsampling names -> imagecodecs' (TurboJPEG's).
SUBSAMPLINGS = {"4:4:4": "444", "4:2:2": "422", "4:2:0": "420", "4:4:0": "440", "4x1": "411"}


def codecs():
    """imagecodecs (libjpeg-turbo 3.1), skipping only the test that needs it when missing."""
    return pytest.importorskip("imagecodecs")


def libjpeg(pixels: np.ndarray, quality: int, subsampling: str = "4:4:4") -> bytes:
    """libjpeg-turbo 3.1's 12-bit file (no restart markers; Huffman tables optimized)."""
    return codecs().jpeg8_encode(pixels, level=quality, bitspersample=12,
                                 subsampling=SUBSAMPLINGS[subsampling])


def noise(shape: tuple[int, ...]) -> np.ndarray:
    """Uniform 12-bit noise: the largest coefficients (DC differences near 15 bits at q100)."""
    return RNG.integers(0, 4096, shape).astype(np.uint16)


def smooth(shape: tuple[int, ...]) -> np.ndarray:
    """A smooth 12-bit image: ramps, one per channel."""
    y, x = np.indices(shape[:2])
    plane = (x * 4095 // max(1, shape[1] - 1) + y * 7) % 4096
    if len(shape) == 2:
        return plane.astype(np.uint16)
    return np.stack([plane, 4095 - plane, (plane + 2048) % 4096], axis=-1).astype(np.uint16)


def photo12(name: str = "astronaut", size: int = 96) -> np.ndarray:
    """A crop of a real photograph scaled to 12 bits, ``(v * 4095 + 127) // 255``."""
    crop = photo(name)[100:100 + size, 150:150 + size + 7]
    return ((crop.astype(np.uint16) * 4095 + 127) // 255).astype(np.uint16)


@pytest.mark.parametrize("quality", [10, 50, 75, 90, 100])
@pytest.mark.parametrize("subsampling", ["4:4:4", "4:2:2", "4:2:0"])
@pytest.mark.parametrize("kind", ["noise", "smooth", "photo"])
def test_bytes_equal_libjpeg(kind, subsampling, quality, backend):
    pixels = {"noise": noise((21, 35, 3)), "smooth": smooth((40, 57, 3)),
              "photo": photo12()}[kind]
    ours = stripjpeg.encode(pixels, quality=quality, subsampling=subsampling, precision=12,
                            restart_rows=0, backend=backend)
    assert ours == libjpeg(pixels, quality, subsampling)


#: Awkward sizes: colour with each sampling, grey with 4:4:4 only (imagecodecs writes 1x1 for
#: grey whatever the subsampling; we declare the requested factors, as Pillow does).
AWKWARD = [(shape, subsampling) for shape in [(1, 1, 3), (7, 13, 3), (17, 33, 3)]
           for subsampling in ["4:4:4", "4:2:0", "4:4:0", "4x1"]] + \
          [(shape, "4:4:4") for shape in [(1, 1), (7, 13), (17, 33)]]


@pytest.mark.parametrize("shape, subsampling", AWKWARD)
def test_awkward_sizes_and_samplings(shape, subsampling, backend):
    pixels = noise(shape)
    ours = stripjpeg.encode(pixels, quality=90, subsampling=subsampling, precision=12,
                            restart_rows=0, backend=backend)
    assert ours == libjpeg(pixels, 90, subsampling)


@pytest.mark.parametrize("quality", [50, 100])
def test_grayscale_photo(quality, backend):
    pixels = photo12("camera")
    ours = stripjpeg.encode(pixels, quality=quality, precision=12, restart_rows=0, backend=backend)
    assert ours == codecs().jpeg8_encode(pixels, level=quality, bitspersample=12)


def test_saturated_and_flat(backend):
    """0 and 4095 in a checkerboard (the largest AC terms) and a flat image (DC only)."""
    checker = (np.indices((24, 40)).sum(axis=0) % 2 * 4095).astype(np.uint16)
    for pixels in (np.stack([checker, 4095 - checker, checker], axis=-1),
                   np.full((16, 16, 3), 4095, np.uint16), np.zeros((9, 9), np.uint16)):
        for quality in (75, 100):
            subsampling = "4:2:0" if pixels.ndim == 3 else "4:4:4"
            ours = stripjpeg.encode(pixels, quality=quality, subsampling=subsampling,
                                    precision=12, restart_rows=0, backend=backend)
            assert ours == libjpeg(pixels, quality, subsampling)


@pytest.mark.parametrize("smooth", [10, 100])
@pytest.mark.parametrize("subsampling", ["4:4:4", "4:2:0"])
def test_smoothing_bytes_equal_libjpeg(subsampling, smooth, backend):
    """libjpeg's smoothing (jcsample.c) is the same arithmetic on 12-bit samples."""
    pixels = photo12(size=40)
    ours = stripjpeg.encode(pixels, quality=90, subsampling=subsampling, precision=12,
                            smooth=smooth, restart_rows=0, backend=backend)
    assert ours == codecs().jpeg8_encode(pixels, level=90, bitspersample=12, smoothing=smooth,
                                         subsampling=SUBSAMPLINGS[subsampling])


@pytest.mark.parametrize("options", [
    {"progressive": True, "restart_rows": 0}, {"progressive": True},
    {"arithmetic": True, "restart_rows": 0}, {"arithmetic": True},
    {"arithmetic": True, "progressive": True}])
@pytest.mark.parametrize("quality", [50, 100])
def test_progressive_and_arithmetic(options, quality, backend):
    """SOF2, SOF9 and SOF10 with P = 12. imagecodecs writes none of them, so no byte oracle
    here: libjpeg-turbo decodes each to the samples of the sequential file (the same
    coefficients, whatever the coding), and the reader reads those coefficients back."""
    pixels = noise((21, 35, 3)) if quality == 100 else photo12(size=48)
    sequential = stripjpeg.encode(pixels, quality=quality, precision=12, restart_rows=0)
    data = stripjpeg.encode(pixels, quality=quality, precision=12, backend=backend, **options)
    marker = 0xC0 + {(True, False): 2, (False, True): 9, (True, True): 10}[
        (options.get("progressive", False), options.get("arithmetic", False))]
    assert data[data.index(bytes([0xFF, marker])) + 4] == 12
    np.testing.assert_array_equal(codecs().jpeg8_decode(data), codecs().jpeg8_decode(sequential))
    for ours, theirs in zip(read_jpeg(data).coefficients, read_jpeg(sequential).coefficients):
        np.testing.assert_array_equal(ours, theirs)


def test_frame_header_and_optimized_tables():
    """SOF1 with P = 12, 8-bit DQT at q90, and one DHT per table written from the image's
    own statistics (libjpeg forces optimize_coding at 12 bits, jcmaster.c)."""
    pixels = noise((16, 16, 3))
    data = stripjpeg.encode(pixels, quality=90, precision=12)
    names = [segment.name for segment in read_markers(data)]
    assert "SOF1" in names and "SOF0" not in names
    sof = data.index(b"\xff\xc1")
    assert data[sof + 4] == 12
    assert data[data.index(b"\xff\xdb") + 4] >> 4 == 0  # Pq = 0: 8-bit entries
    assert names.count("DHT") == 4
    # optimize=False is taken as True, as libjpeg does: the same file.
    assert stripjpeg.encode(pixels, quality=90, precision=12, optimize=False) == data


@pytest.mark.parametrize("restart_rows", [1, 2])
def test_restart_markers_decode_to_the_same_samples(restart_rows, backend):
    pixels = photo12(size=64)
    plain = stripjpeg.encode(pixels, quality=85, subsampling="4:2:0", precision=12,
                             restart_rows=0, backend=backend)
    marked = stripjpeg.encode(pixels, quality=85, subsampling="4:2:0", precision=12,
                              restart_rows=restart_rows, backend=backend)
    assert b"\xff\xdd" in marked and b"\xff\xd0" in marked
    decoded = codecs().jpeg8_decode(marked)
    assert decoded.dtype == np.uint16
    np.testing.assert_array_equal(decoded, codecs().jpeg8_decode(plain))
    # And the decoded samples are near the input (12-bit, q85): a real decode, not garbage.
    error = np.abs(decoded.astype(np.int64) - pixels.astype(np.int64))
    assert error.mean() < 40


def test_restart_blocks_and_workers(backend):
    """Restart intervals inside MCU rows, and several workers: the same coefficients."""
    pixels = noise((40, 48, 3))
    plain = stripjpeg.encode(pixels, quality=75, precision=12, restart_rows=0, backend=backend)
    for options in ({"restart_blocks": 5}, {"restart_rows": 1, "workers": 2}):
        data = stripjpeg.encode(pixels, quality=75, precision=12, backend=backend, **options)
        np.testing.assert_array_equal(codecs().jpeg8_decode(data), codecs().jpeg8_decode(plain))


def test_entry_points_write_the_same_bytes():
    pixels = noise((30, 23, 3))
    options = {"quality": 80, "precision": 12, "restart_rows": 0}
    expected = stripjpeg.encode(pixels, **options)
    assert stripjpeg.encode(pixels, subsampling="4:2:0", **options) == libjpeg(pixels, 80, "4:2:0")
    chunks = stripjpeg.iter_encode([pixels[:7], pixels[7:20], pixels[20:]], width=23, height=30,
                                   mode="RGB", **options)
    assert b"".join(chunks) == expected
    stream = io.BytesIO()
    with stripjpeg.Encoder(stream, 23, 30, mode="RGB", **options) as encoder:
        encoder.write(pixels[:16])
        encoder.write(pixels[16:])
    assert stream.getvalue() == expected


@pytest.mark.parametrize("subsampling", ["4:4:4", "4:2:0"])
def test_reader_reads_the_coded_coefficients(subsampling):
    pixels = noise((17, 33, 3))
    data = stripjpeg.encode(pixels, quality=100, precision=12, subsampling=subsampling)
    decoded = read_jpeg(data)
    assert (decoded.process, decoded.precision) == ("extended", 12)
    plan = make_plan(33, 17, 3, make_options(quality=100, precision=12, subsampling=subsampling))
    coded = get("numpy").transform(pixels, plan)
    for ours, read in zip(coded, decoded.coefficients):
        np.testing.assert_array_equal(ours[:read.shape[0], :read.shape[1]], read)
    # At q100 noise needs DC differences of more than 11 bits: the 12-bit sizes are read.
    assert max(int(np.abs(c[..., 0, 0]).max()) for c in decoded.coefficients) > 2047


@pytest.mark.parametrize("quality", [50, 95])
def test_cmyk_is_stored_inverted_as_imagecodecs_writes_4095_minus_it(quality, backend):
    """CMYK at 12 bits as at 8 (Pillow's convention, 0 = no ink): stored inverted, the file
    imagecodecs writes from ``4095 - a`` (libjpeg's null_convert, an Adobe marker)."""
    pixels = noise((17, 33, 4))
    theirs = codecs().jpeg8_encode(np.ascontiguousarray(4095 - pixels), level=quality,
                                   bitspersample=12, colorspace="CMYK", outcolorspace="CMYK")
    assert stripjpeg.encode(pixels, quality=quality, precision=12, mode="CMYK",
                            restart_rows=0, backend=backend) == theirs


def test_values_over_4095_are_refused(backend):
    pixels = noise((8, 8, 3))
    pixels[3, 4, 1] = 4096
    with pytest.raises(ValueError, match="maximum is 4095"):
        stripjpeg.encode(pixels, precision=12, backend=backend)


def test_uint8_input_is_a_type_error():
    with pytest.raises(TypeError, match="uint16"):
        stripjpeg.encode(np.zeros((8, 8, 3), np.uint8), precision=12)
    with pytest.raises(TypeError, match="uint8"):
        stripjpeg.encode(np.zeros((8, 8, 3), np.uint16))


def test_not_implemented_yet():
    with pytest.raises(ValueError, match="ycck=True is not implemented yet"):
        stripjpeg.encode(np.zeros((8, 8, 4), np.uint16), precision=12, mode="CMYK", ycck=True)


def test_other_lossy_precisions_are_refused():
    with pytest.raises(ValueError, match="lossy coding takes precision 8 or 12"):
        stripjpeg.encode(np.zeros((8, 8), np.uint16), precision=10)


@pytest.mark.parametrize("shape", [(20, 30, 3), (13, 9)])
def test_cli_from_netpbm(tmp_path, shape):
    """``stripjpeg encode in.ppm --precision 12``: a maxval-4095 Netpbm file, read as it is."""
    pixels = noise(shape)
    source, output = tmp_path / ("in.ppm" if len(shape) == 3 else "in.pgm"), tmp_path / "out.jpg"
    magic = b"P6" if len(shape) == 3 else b"P5"
    source.write_bytes(magic + f"\n{shape[1]} {shape[0]}\n4095\n".encode()
                       + pixels.astype(">u2").tobytes())
    subsampling = "4:2:0" if len(shape) == 3 else "4:4:4"
    assert main(["encode", str(source), "-o", str(output), "--precision", "12", "-q", "90",
                 "--restart-rows", "0", "--subsampling", subsampling]) == 0
    assert output.read_bytes() == libjpeg(pixels, 90, subsampling)


def test_numba_dct_kernel_equals_numpy_stage_on_extremes():
    """numba_twelve.transform_blocks_12 against stages.quantize.quantized_blocks at 12 bits, on
    blocks at the edges of int32 (0 and 4095 checkerboards, flat extremes) with Q = 1."""
    pytest.importorskip("numba")
    checker = np.indices((16, 24)).sum(axis=0) % 2 * 4095
    planes = [checker, 4095 - checker, np.full((16, 24), 4095), np.zeros((16, 24)),
              RNG.integers(0, 4096, (16, 24))]
    plan = make_plan(24, 16, 1, make_options(quality=100, precision=12))
    for plane in planes:
        samples = [plane.astype(np.int32)]
        expected = get("numpy").stage_table(plan).forward_dct(samples, plan, 16)
        found = get("numba").stage_table(plan).forward_dct(samples, plan, 16)
        np.testing.assert_array_equal(found[0], expected[0])
    assert get("numba").stage_table(plan).forward_dct.__qualname__ == "NumbaBackend.forward_dct"


def test_exact_dct(backend):
    """dct="exact" at 12 bits (stripjpeg's own, no oracle): its coefficients are within one
    step of islow's, the same on both backends, and libjpeg-turbo decodes the file."""
    pixels = photo12(size=48)
    exact = stripjpeg.encode(pixels, quality=100, precision=12, dct="exact", backend=backend)
    assert exact == stripjpeg.encode(pixels, quality=100, precision=12, dct="exact",
                                     backend="numpy")
    islow = stripjpeg.encode(pixels, quality=100, precision=12)
    for ours, theirs in zip(read_jpeg(exact).coefficients, read_jpeg(islow).coefficients):
        difference = np.abs(ours.astype(np.int64) - theirs)
        assert difference.max() <= 1 and difference.any()
    decoded = codecs().jpeg8_decode(exact).astype(np.int64)
    assert np.abs(decoded - pixels).max() < 64


def test_trace_block_refuses_twelve_bits():
    from stripjpeg.inspect import trace_block

    with pytest.raises(ValueError, match="trace_block with precision=12 is not implemented yet"):
        trace_block(noise((8, 8, 3)), 0, 0, precision=12)


def test_numba_twelve_constants_equal_the_stages():
    """numba_twelve's literal copies (numba's cache would not notice a change elsewhere)."""
    pytest.importorskip("numba")
    from stripjpeg.backends import numba_colour, numba_twelve
    from stripjpeg.stages.dct import ISLOW_PASS1_BITS
    from stripjpeg.stages.samples import ycbcr_offsets

    assert numba_twelve.PASS1_BITS_12 == ISLOW_PASS1_BITS[12]
    assert numba_colour.CBCR_OFFSET_ROUNDED_12 == ycbcr_offsets(12)[1] == ycbcr_offsets(12)[2]
    assert numba_twelve.CENTER_12 == make_plan(8, 8, 3, make_options(precision=12)).center_sample


def test_the_float_quantizer_divides_exactly() -> None:
    # numba_twelve.transform_blocks_12 rounds |c| / 8Q half up by a float64 division and a
    # floor: exact for every divisor 8Q (Q 1..32767) and every magnitude a 12-bit DCT makes
    # (below 2**18), which this checks against integer division, edges and ties included.
    divisors = 8 * np.arange(1, 32768, dtype=np.int64)
    magnitudes = np.concatenate([np.arange(0, 4096), np.arange((1 << 18) - 4096, 1 << 18),
                                 np.random.default_rng(5).integers(0, 1 << 18, 4096)]).astype(np.int64)
    for chunk in np.array_split(divisors, 64):
        d = chunk[:, np.newaxis]
        total = magnitudes[np.newaxis, :] + (d >> 1)
        assert np.array_equal(np.floor(total / d.astype(np.float64)).astype(np.int64), total // d)
