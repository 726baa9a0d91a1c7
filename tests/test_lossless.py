"""Lossless JPEG (SOF3, T.81 Annex H): bytes equal to libjpeg-turbo 3.1's (imagecodecs'
``jpeg8_encode(lossless=True, predictor=N, bitspersample=B)``), samples read back exactly by
libjpeg-turbo (imagecodecs, Pillow), ffmpeg and :func:`stripjpeg.read_samples`.

imagecodecs sets neither a point transform nor restart markers: files with those are checked
by decoding them with libjpeg-turbo (and ffmpeg), and by their header fields.
"""

from __future__ import annotations

import asyncio
import concurrent.futures
import io
import time

import numpy as np
import pytest
from PIL import Image

import stripjpeg
from stripjpeg.cli import main
from stripjpeg.inspect import read_markers
from stripjpeg.stages.lossless import differences, point_transform
from tests.oracle import ffmpeg_decode


def codecs():
    """imagecodecs (libjpeg-turbo 3.1), skipping only the test that needs it when missing."""
    return pytest.importorskip("imagecodecs")


RNG = np.random.default_rng(16)


def samples(shape: tuple[int, ...], precision: int, kind: str = "noise") -> np.ndarray:
    """Test samples of ``precision`` bits: noise, a smooth ramp, flat, or saturated (0 and
    the maximum in a checkerboard: the largest differences)."""
    dtype = np.uint8 if precision <= 8 else np.uint16
    top = (1 << precision) - 1
    if kind == "noise":
        return RNG.integers(0, top + 1, shape).astype(dtype)
    if kind == "flat":
        return np.full(shape, top // 3, dtype)
    grid = np.indices(shape[:2]).sum(axis=0)
    if kind == "saturated":
        plane = (grid % 2) * top
    else:  # ramp
        plane = grid * top // max(1, sum(shape[:2]) - 2)
    if len(shape) == 3:
        plane = np.stack([plane, top - plane, plane // 2], axis=-1)
    return plane.astype(dtype)


def libjpeg(pixels: np.ndarray, predictor: int, precision: int) -> bytes:
    """libjpeg-turbo 3.1's lossless file (imagecodecs; no restart markers, Pt = 0)."""
    return codecs().jpeg8_encode(pixels, lossless=True, predictor=predictor,
                                 bitspersample=precision)


def ours(pixels: np.ndarray, **options) -> bytes:
    options.setdefault("restart_rows", 0)
    return stripjpeg.encode(pixels, lossless=True, **options)


# --- bytes equal to libjpeg-turbo's ---------------------------------------------------------

@pytest.mark.parametrize("predictor", range(1, 8))
@pytest.mark.parametrize("precision", [2, 8, 12, 16])
def test_predictors_and_precisions_equal_libjpeg(predictor, precision, backend):
    for shape in [(7, 13), (17, 33, 3)]:
        pixels = samples(shape, precision)
        data = ours(pixels, predictor=predictor, precision=precision, backend=backend)
        assert data == libjpeg(pixels, predictor, precision)


@pytest.mark.parametrize("kind", ["noise", "ramp", "flat", "saturated"])
@pytest.mark.parametrize("shape", [(1, 1), (1, 9), (9, 1), (7, 13), (17, 33), (1, 1, 3), (17, 33, 3)])
def test_sizes_and_content_equal_libjpeg(kind, shape):
    for precision, predictor in [(8, 1), (16, 4), (12, 7), (5, 6)]:
        pixels = samples(shape, precision, kind)
        assert ours(pixels, predictor=predictor, precision=precision) == \
            libjpeg(pixels, predictor, precision), (precision, predictor)


def test_category_16_has_no_extra_bits():
    """A 16-bit difference of 32768 (category 16, H.1.2.2): the first sample 0 against the
    initial prediction 2**15, then jumps of half the range."""
    pixels = np.array([[0, 32768, 0, 65535], [32768, 0, 65535, 0]], np.uint16)
    diff = differences(point_transform(pixels[:, :, None], 0), None, 1, 16, 0)
    assert diff[0, 0, 0] == -32768 and diff[0, 1, 0] == -32768
    for predictor in range(1, 8):
        data = ours(pixels, predictor=predictor, precision=16)
        assert data == libjpeg(pixels, predictor, 16)
        assert (stripjpeg.read_samples(data) == pixels).all()


def test_rgba_drops_alpha_and_rgb_is_stored_as_rgb():
    rgba = samples((9, 10, 4), 8)
    data = ours(rgba, predictor=2)
    assert data == libjpeg(np.ascontiguousarray(rgba[:, :, :3]), 2, 8)
    names = [segment.name for segment in read_markers(data)]
    assert "APP14" in names and "APP0" not in names and "DQT" not in names
    sof = data.index(b"\xff\xc3")
    assert data[sof + 10:sof + 19] == b"R\x11\x00G\x11\x00B\x11\x00"


def test_every_entry_point_writes_the_same_bytes(tmp_path, backend):
    pixels = samples((40, 23, 3), 12)
    expected = libjpeg(pixels, 5, 12)
    options = dict(lossless=True, predictor=5, precision=12, restart_rows=0, backend=backend)
    assert stripjpeg.encode(pixels, **options) == expected
    chunks = stripjpeg.iter_encode([pixels[:7], pixels[7:30], pixels[30:]], width=23, height=40,
                                   mode="RGB", **options)
    assert b"".join(chunks) == expected
    stream = io.BytesIO()
    with stripjpeg.Encoder(stream, 23, 40, mode="RGB", **options) as encoder:
        for row in range(40):
            encoder.write(pixels[row:row + 1])
        assert encoder.spool_bytes == 40 * 23 * 3 * 2  # the differences, int16
    assert stream.getvalue() == expected
    path = tmp_path / "lossless.jpg"
    assert stripjpeg.save(path, pixels, **options) == []
    assert path.read_bytes() == expected
    pieces = [pixels[:13], pixels[13:]]
    assert asyncio.run(stripjpeg.encode_async(pieces, width=23, height=40, mode="RGB",
                                              **options)) == expected


# --- what libjpeg-turbo cannot be asked to write: point transform, restart markers ------------

@pytest.mark.parametrize("precision, pt", [(8, 1), (8, 7), (12, 4), (16, 15), (2, 1)])
def test_point_transform_decodes_as_libjpeg_does(precision, pt):
    pixels = samples((11, 14, 3), precision)
    for predictor in (1, 4, 7):
        data = ours(pixels, predictor=predictor, precision=precision, point_transform=pt)
        sos = data.index(b"\xff\xda")
        assert data[sos + 4 + 1 + 2 * 3:sos + 4 + 1 + 2 * 3 + 3] == bytes([predictor, 0, pt])
        expected = (pixels >> pt) << pt
        assert (codecs().jpeg8_decode(data) == expected).all()
        assert (stripjpeg.read_samples(data) == expected).all()


@pytest.mark.parametrize("restart_rows", [1, 2, 5])
@pytest.mark.parametrize("predictor", range(1, 8))
def test_restart_intervals_reset_the_prediction(restart_rows, predictor, backend):
    pixels = samples((13, 17, 3), 12)
    data = ours(pixels, predictor=predictor, precision=12, restart_rows=restart_rows,
                backend=backend)
    dri = data.index(b"\xff\xdd")
    assert int.from_bytes(data[dri + 4:dri + 6], "big") == restart_rows * 17
    intervals = -(-13 // restart_rows)
    assert sum(data.count(bytes([0xFF, 0xD0 + n])) for n in range(8)) >= intervals - 1
    assert (codecs().jpeg8_decode(data) == pixels).all()
    assert (stripjpeg.read_samples(data) == pixels).all()
    # The same file from a stream, pieces across interval boundaries.
    chunks = stripjpeg.iter_encode([pixels[:4], pixels[4:]], width=17, height=13, mode="RGB",
                                   lossless=True, predictor=predictor, precision=12,
                                   restart_rows=restart_rows, backend=backend)
    assert b"".join(chunks) == data


def test_restart_offsets_point_at_each_interval():
    pixels = samples((10, 6), 8)
    stream = io.BytesIO()
    offsets = stripjpeg.save(stream, pixels, lossless=True, restart_rows=3)
    data = stream.getvalue()
    assert len(offsets) == 4
    assert data[offsets[0] - 2:offsets[0]] == b"\x00\x00"  # the end of SOS (Se = 0, Al = 0)
    for n, offset in enumerate(offsets[1:]):
        assert data[offset - 2:offset] == bytes([0xFF, 0xD0 + n])


def test_8_bit_files_decode_in_pillow_and_ffmpeg(tmp_path):
    for shape, gray in [((19, 21), True), ((19, 21, 3), False)]:
        pixels = samples(shape, 8)
        data = ours(pixels, predictor=6, restart_rows=4)
        assert (np.asarray(Image.open(io.BytesIO(data))) == pixels).all()
        assert (ffmpeg_decode(data, gray, tmp_path).reshape(pixels.shape) == pixels).all()


# --- reading back ----------------------------------------------------------------------------

@pytest.mark.parametrize("precision", [2, 8, 12, 16])
def test_read_samples_round_trip(precision):
    for shape in [(1, 1), (7, 13), (6, 5, 3)]:
        pixels = samples(shape, precision)
        for predictor in range(1, 8):
            for restart_rows in (0, 2):
                data = ours(pixels, predictor=predictor, precision=precision,
                            restart_rows=restart_rows)
                image = stripjpeg.lossless_reader.read_lossless(data)
                assert image.samples.dtype == pixels.dtype
                assert (image.samples == pixels).all()
                assert (image.precision, image.predictor, image.point_transform) == \
                    (precision, predictor, 0)
                assert image.restart_interval == restart_rows * shape[1]


def test_read_samples_reads_libjpeg_files_and_refuses_others():
    pixels = samples((9, 8, 3), 16)
    assert (stripjpeg.read_samples(libjpeg(pixels, 7, 16)) == pixels).all()
    with pytest.raises(ValueError, match="SOF0: read_samples reads lossless"):
        stripjpeg.read_samples(stripjpeg.encode(samples((8, 8), 8)))
    with pytest.raises(ValueError, match="read_samples reads lossless files"):
        stripjpeg.reader.read_coefficients(libjpeg(pixels, 1, 16))
    with pytest.raises(ValueError):
        stripjpeg.read_samples(libjpeg(pixels, 1, 16)[:-40])


# --- errors ----------------------------------------------------------------------------------

@pytest.mark.parametrize("option, value", [
    ("quality", 90), ("qtables", [[1] * 64]), ("subsampling", "4:2:0"), ("dct", "ifast"),
    ("progressive", True), ("grayscale", True),
])
def test_lossy_options_are_refused(option, value):
    with pytest.raises(ValueError, match=f"lossless=True cannot honour {option}="):
        stripjpeg.encode(samples((8, 8, 3), 8), lossless=True, **{option: value})


@pytest.mark.parametrize("options, message", [
    (dict(precision=1), "precision must be from 2 to 16"),
    (dict(precision=17), "precision must be from 2 to 16"),
    (dict(predictor=0), "predictor must be from 1 to 7"),
    (dict(predictor=8), "predictor must be from 1 to 7"),
    (dict(point_transform=8), r"point_transform must be below precision \(8\)"),
    (dict(precision=4, point_transform=4), r"below precision \(4\)"),
    (dict(point_transform=-1), "point_transform must be from 0 to 15"),
])
def test_bad_lossless_options(options, message):
    with pytest.raises(ValueError, match=message):
        stripjpeg.encode(samples((8, 8), 8 if options.get("precision", 8) <= 8 else 12),
                         lossless=True, **options)


def test_lossless_options_need_lossless():
    for options in (dict(precision=10), dict(predictor=3), dict(point_transform=1)):
        with pytest.raises(ValueError, match="needs lossless=True"):
            stripjpeg.encode(samples((8, 8), 8), **options)


def test_samples_must_fit_dtype_and_precision():
    with pytest.raises(TypeError, match="dtype uint16 for samples of more than 8 bits"):
        stripjpeg.encode(samples((8, 8), 8), lossless=True, precision=12)
    with pytest.raises(TypeError, match="dtype uint8"):
        stripjpeg.encode(samples((8, 8), 12), lossless=True, precision=8)
    with pytest.raises(TypeError, match="dtype uint8"):
        stripjpeg.encode(samples((8, 8), 12))  # lossy coding takes uint8 only
    too_big = np.full((4, 4), 4096, np.uint16)
    with pytest.raises(ValueError, match="the maximum is 4095"):
        stripjpeg.encode(too_big, lossless=True, precision=12)
    with pytest.raises(ValueError, match="the maximum is 31"):
        stripjpeg.encode(np.full((4, 4), 32, np.uint8), lossless=True, precision=5)


def test_a_bad_piece_is_refused_and_changes_nothing():
    stream = io.BytesIO()
    pixels = samples((6, 5), 12)
    with stripjpeg.Encoder(stream, 5, 6, mode="L", lossless=True, precision=12,
                           restart_rows=0) as encoder:
        with pytest.raises(ValueError, match="the maximum is 4095"):
            encoder.write(np.full((2, 5), 5000, np.uint16))
        with pytest.raises(TypeError, match="uint16"):
            encoder.write(pixels[:2].astype(np.uint8))
        encoder.write(pixels)
    assert stream.getvalue() == libjpeg(pixels, 1, 12)


def test_restart_interval_over_dri():
    with pytest.raises(ValueError, match="restart_rows <= 1"):
        stripjpeg.encode(np.zeros((4, 40000), np.uint8), lossless=True, restart_rows=2)


# --- the command line, and 16-bit Netpbm files -----------------------------------------------

def write_netpbm(path, pixels: np.ndarray, maxval: int) -> None:
    """A binary PGM/PPM; samples over 8 bits big-endian, as Netpbm stores them."""
    magic = b"P5" if pixels.ndim == 2 else b"P6"
    height, width = pixels.shape[:2]
    raster = pixels.astype(">u2" if maxval > 255 else np.uint8).tobytes()
    path.write_bytes(magic + f"\n{width} {height}\n{maxval}\n".encode() + raster)


@pytest.mark.parametrize("shape, precision", [((21, 17, 3), 12), ((9, 30), 16), ((8, 6), 5)])
def test_cli_lossless_from_netpbm(tmp_path, shape, precision):
    pixels = samples(shape, precision)
    source, output = tmp_path / "in.pnm", tmp_path / "out.jpg"
    write_netpbm(source, pixels, (1 << precision) - 1)
    assert main(["encode", str(source), "-o", str(output), "--lossless", "6",
                 "--precision", str(precision), "--restart-rows", "0"]) == 0
    assert output.read_bytes() == libjpeg(pixels, 6, precision)
    assert main(["encode", str(source), "-o", str(output), "--lossless", "3,2",
                 "--precision", str(precision)]) == 0
    assert (stripjpeg.read_samples(output.read_bytes()) == (pixels >> 2) << 2).all()


def test_cli_refuses_what_lossless_cannot_do(tmp_path, capsys):
    source, output = tmp_path / "in.ppm", tmp_path / "out.jpg"
    write_netpbm(source, samples((4, 5, 3), 12), 4095)
    assert main(["encode", str(source), "-o", str(output)]) == 2
    assert "maxval 4095 is not supported" in capsys.readouterr().err
    assert main(["encode", str(source), "-o", str(output), "--lossless", "1", "-q", "90",
                 "--precision", "12"]) == 2
    assert "cannot honour quality=90" in capsys.readouterr().err
    assert not output.exists()


def test_the_numba_kernel_copies_the_stage_constant():
    from stripjpeg.backends import numba_lossless
    from stripjpeg.stages import lossless

    assert numba_lossless.MAX_CATEGORY == lossless.MAX_CATEGORY


FUZZ_CASES, FUZZ_SECONDS = 1500, 10


def test_mutated_lossless_files_read_or_fail_with_value_error():
    """As the baseline reader is fuzzed (tests/test_reader.py): every mutation of a few
    lossless files reads to samples of the declared shape, or fails with a ValueError, fast."""
    from tests.test_reader import mutate

    seeds = [ours(samples((6, 7), 8), predictor=4, restart_rows=2),
             ours(samples((5, 4, 3), 16), predictor=7, precision=16),
             ours(samples((4, 9, 3), 12), predictor=5, point_transform=3, restart_rows=1,
                  precision=12),
             ours(samples((3, 3), 2), predictor=2, precision=2)]
    rng = np.random.default_rng(16)
    started = time.perf_counter()
    for case in range(FUZZ_CASES):
        what, data = mutate(seeds[case % len(seeds)], rng)
        begun = time.perf_counter()
        try:
            image = stripjpeg.lossless_reader.read_lossless(data)
        except ValueError:
            pass
        else:
            assert image.samples.ndim in (2, 3) and image.samples.dtype in (np.uint8, np.uint16), what
        assert time.perf_counter() - begun < 1, what
        if time.perf_counter() - started > FUZZ_SECONDS:
            break
    assert case > FUZZ_CASES // 3, f"only {case} cases in {FUZZ_SECONDS} s"


@pytest.mark.parametrize("workers", [1, 2, 3])
def test_restart_intervals_on_threads_give_the_same_bytes(workers, backend):
    """Restart intervals are independent: counted and coded on threads, results in order."""
    pixels = samples((45, 31, 3), 12)
    options = dict(lossless=True, predictor=7, precision=12, restart_rows=2)
    expected = stripjpeg.encode(pixels, backend="numpy", workers=1, **options)
    assert stripjpeg.encode(pixels, backend=backend, workers=workers, **options) == expected
    chunks = stripjpeg.iter_encode([pixels[:10], pixels[10:]], width=31, height=45, mode="RGB",
                                   backend=backend, workers=workers, **options)
    assert b"".join(chunks) == expected
    with concurrent.futures.ThreadPoolExecutor(2) as executor:
        stream = io.BytesIO()
        offsets = stripjpeg.save(stream, pixels, backend=backend, executor=executor, **options)
        assert stream.getvalue() == expected and len(offsets) == 23


@pytest.mark.parametrize("predictor", [1, 4, 7])
def test_strips_without_restart_markers_continue_the_prediction_and_the_bits(
        predictor, backend, monkeypatch):
    """Without restart markers a strip is a piece of the one scan: its first row is predicted
    from the strip above and its bits follow the previous strip's pending ones. Small strips
    (3 rows of 13) make many of them."""
    import stripjpeg.lossless_plan

    monkeypatch.setattr(stripjpeg.lossless_plan, "STRIP_PIXELS", 40)
    for precision, shape in [(8, (23, 13)), (16, (17, 13, 3)), (5, (10, 13, 3))]:
        pixels = samples(shape, precision)
        expected = libjpeg(pixels, predictor, precision)
        data = ours(pixels, predictor=predictor, precision=precision, backend=backend)
        assert data == expected
        mode = "L" if len(shape) == 2 else "RGB"
        chunks = stripjpeg.iter_encode([pixels[:5], pixels[5:]], width=13, height=shape[0],
                                       mode=mode, lossless=True, predictor=predictor,
                                       precision=precision, restart_rows=0, backend=backend)
        assert b"".join(chunks) == expected
    plan = stripjpeg.lossless_plan.make_lossless_plan(13, 23, 1, stripjpeg.EncodeOptions(
        lossless=True, restart_rows=0))
    assert plan.strip_height == 3 and plan.strip_count == 8


def test_cli_keeps_the_16_bits_of_a_grey_png(tmp_path):
    pixels = samples((13, 11), 16)
    source, output = tmp_path / "in.png", tmp_path / "out.jpg"
    Image.fromarray(pixels).save(source)  # mode I;16: a 16-bit grey PNG
    assert main(["encode", str(source), "-o", str(output), "--lossless", "5",
                 "--precision", "16", "--restart-rows", "0"]) == 0
    assert output.read_bytes() == libjpeg(pixels, 5, 16)


@pytest.mark.parametrize(("options", "match"), [
    ({"mode": "CMYK"}, "mode 'CMYK' is not implemented for lossless files"),
    ({"mode": "YCbCr"}, "mode 'YCbCr' is not implemented for lossless files"),
    ({"mode": "CMYK", "ycck": True}, "cannot honour ycck=True"),
    ({"streamtype": 1}, "cannot honour streamtype=1: abbreviated"),
    ({"streamtype": 2}, "cannot honour streamtype=2: abbreviated"),
])
def test_modes_and_streams_lossless_does_not_take(options, match) -> None:
    # Four channels are never dropped to three silently, nor a stream type ignored.
    pixels = np.zeros((8, 8, 4 if options.get("mode") == "CMYK" else 3), np.uint8)
    with pytest.raises(ValueError, match=match):
        stripjpeg.encode(pixels, lossless=True, **options)
