"""``baseline`` (cjpeg's ``-baseline``, libjpeg's force_baseline): True, Pillow's and the
default, clamps quantization steps to 255; False, cjpeg's default, keeps them up to 32767:
16-bit DQT entries for a table that needs them, and an extended sequential frame (SOF1;
jcmarker.c write_frame_header), a progressive one staying SOF2. cjpeg's bytes on every
backend; the files read back."""

from __future__ import annotations

import io

import numpy as np
import pytest
from oracle import djpeg_decode, ffmpeg_decode, jpeginfo_check, photo, psnr
from other_encoders import cjpeg
from PIL import Image

import stripjpeg
from stripjpeg.cli import main
from stripjpeg.reader import read_jpeg
from stripjpeg.segments import read_markers
from stripjpeg.tables import quantization_tables


def _pixels(gray: bool = False) -> np.ndarray:
    pixels = np.ascontiguousarray(photo("astronaut")[100:147, 150:183])
    return np.ascontiguousarray(pixels[:, :, 1]) if gray else pixels


#: (our subsampling, cjpeg's switches) per frame layout; gray is "4:4:4" on a 2-D array.
LAYOUTS = {"444": ("4:4:4", ["-sample", "1x1"]), "420": ("4:2:0", []), "gray": ("4:4:4", [])}
#: Further options and their cjpeg switches.
CODINGS = {"plain": ({}, []), "optimize": (dict(optimize=True), ["-optimize"]),
           "progressive": (dict(progressive=True), ["-progressive"]),
           "restarts": (dict(restart_rows=1), ["-restart", "1"]),
           "ifast": (dict(dct="ifast"), ["-dct", "fast"])}


@pytest.mark.parametrize("quality", [1, 8, 21, 23, 24, 25])
@pytest.mark.parametrize("layout", sorted(LAYOUTS))
@pytest.mark.parametrize("coding", sorted(CODINGS))
def test_no_baseline_is_cjpegs_default(quality, layout, coding, backend, tmp_path):
    pixels = _pixels(gray=layout == "gray")
    subsampling, switches = LAYOUTS[layout]
    options, more = CODINGS[coding]
    ours = stripjpeg.encode(pixels, quality, subsampling, baseline=False, backend=backend,
                            **{"restart_rows": 0, **options})
    assert ours == cjpeg(pixels, tmp_path, "-quality", str(quality), *switches, *more)
    assert stripjpeg.encode(pixels, quality, subsampling, backend=backend,
                            **{"restart_rows": 0, **options}) == \
        cjpeg(pixels, tmp_path, "-quality", str(quality), "-baseline", *switches, *more)


@pytest.mark.parametrize("quality, frame, precisions", [
    (1, "SOF1", [1, 1]),     # both tables over 255
    (21, "SOF1", [1, 0]),    # luma (largest 121 x 238 %) only; chroma's 99 x 238 % = 236
    (23, "SOF1", [1, 0]),    # the highest quality with a step over 255 (121 x 217 % = 263)
    (24, "SOF0", [0, 0]),    # 121 x 208 % = 252: baseline either way
])
def test_frame_and_table_precision(quality, frame, precisions, tmp_path):
    data = stripjpeg.encode(_pixels(), quality, "4:2:0", baseline=False)
    segments = read_markers(data)
    assert [s.name for s in segments if s.name.startswith("SOF")] == [frame]
    dqt = [s for s in segments if s.name == "DQT"]
    assert [s.length for s in dqt] == [2 + 1 + 64 * (1 + p) for p in precisions]
    assert [data[s.offset + 4] >> 4 for s in dqt] == precisions  # Pq
    # The file reads back: process, 16-bit tables, coefficients; and strict decoders take it.
    image = read_jpeg(data)
    assert image.process == ("extended" if frame == "SOF1" else "baseline")
    luma, chroma = quantization_tables(quality, baseline=False)
    np.testing.assert_array_equal(image.quant_tables[0].reshape(-1), luma)
    np.testing.assert_array_equal(image.quant_tables[1].reshape(-1), chroma)
    np.testing.assert_array_equal(djpeg_decode(data), np.asarray(Image.open(io.BytesIO(data))))
    jpeginfo_check(data, tmp_path)
    progressive = read_markers(stripjpeg.encode(_pixels(), quality, "4:2:0", baseline=False,
                                                progressive=True))
    assert [s.name for s in progressive if s.name.startswith("SOF")] == ["SOF2"]


@pytest.mark.parametrize("quality, restart_rows", [(20, 1), (5, 0)])
def test_ffmpeg_decodes_an_extended_file(quality, restart_rows, tmp_path):
    """ffmpeg's own decoder takes the SOF1 file without a warning. (At quality 5 with restart
    markers it reports "EOI missing, emulating" for cjpeg's identical file too: not tested.)"""
    pixels = np.ascontiguousarray(photo("astronaut")[:256, :256])
    data = stripjpeg.encode(pixels, quality, "4:2:0", baseline=False, restart_rows=restart_rows)
    assert "SOF1" in [segment.name for segment in read_markers(data)]
    decoded = ffmpeg_decode(data, False, tmp_path)
    assert psnr(decoded.reshape(256, 256, 3), djpeg_decode(data)) > 40  # its own upsampling


def test_magnitude_categories_stay_within_baselines():
    """Larger steps make coefficients smaller: on the image that needs the largest ones (a
    saturated 1-pixel checkerboard) at quality 1, DC differences stay under 2**11 (category
    11, T.81 Table F.1) and AC values under 2**10 (category 10, Table F.2)."""
    y, x = np.mgrid[0:64, 0:64]
    pixels = np.stack([((x + y) % 2) * 255] * 3, axis=-1).astype(np.uint8)
    for quality in (1, 23):
        image = read_jpeg(stripjpeg.encode(pixels, quality, baseline=False, restart_rows=0))
        for blocks in image.coefficients:
            dc = blocks[:, :, 0, 0].reshape(-1).astype(int)
            assert np.abs(np.diff(np.concatenate([[0], dc]))).max() < 2 ** 11
            assert np.abs(blocks.reshape(-1, 64)[:, 1:]).max() < 2 ** 10


def test_coefficients_of_an_extended_file_rewrite_it(tmp_path):
    """cjpeg's SOF1 file, read and written back with its 16-bit tables, is that very file."""
    pixels = _pixels()
    theirs = cjpeg(pixels, tmp_path, "-quality", "5")
    image = read_jpeg(theirs)
    again = stripjpeg.encode_coefficients(image.coefficients, image.tables, width=image.width,
                                          height=image.height, subsampling="4:2:0",
                                          restart_rows=0, baseline=False)
    assert again == theirs


def test_custom_tables_over_255(tmp_path):
    """Pillow passes qtables without a quality unclamped (force_baseline FALSE): baseline=False
    writes its 16-bit file; with a quality, cjpeg -qtables without -baseline keeps them too."""
    pixels = _pixels()
    tables = [[300 + i for i in range(64)], [17] * 64]
    buffer = io.BytesIO()
    Image.fromarray(pixels).save(buffer, "JPEG", qtables=tables, subsampling=0)
    assert stripjpeg.encode(pixels, qtables=tables, baseline=False, restart_rows=0) == \
        buffer.getvalue()
    with pytest.raises(ValueError, match=r"qtables\[0\] has entries over 255.*baseline=False"):
        stripjpeg.encode(pixels, qtables=tables)
    text = tmp_path / "tables.txt"
    text.write_text("\n".join(" ".join(str(v) for v in table) for table in tables))
    assert stripjpeg.encode(pixels, 60, qtables=tables, baseline=False, restart_rows=0) == \
        cjpeg(pixels, tmp_path, "-qtables", str(text), "-quality", "60", "-sample", "1x1")


@pytest.mark.parametrize("step, dct, switch", [(300, "islow", "int"), (4000, "islow", "int"),
                                               (8191, "islow", "int"), (300, "ifast", "fast"),
                                               (4257, "ifast", "fast")])
def test_large_custom_steps_are_cjpegs(step, dct, switch, backend, tmp_path):
    """Steps up to the largest whose divisor libjpeg-turbo holds in 16 bits (jcdctmgr.c
    compute_reciprocal takes a UINT16: 8 x 8191 for islow; 4257 x 31521 / 2**11 for ifast)."""
    pixels = np.ascontiguousarray(photo("astronaut")[:64, :64])
    tables = [[step] * 64, [1] * 64]
    text = tmp_path / "tables.txt"
    text.write_text("\n".join(" ".join(str(v) for v in table) for table in tables))
    assert stripjpeg.encode(pixels, qtables=tables, baseline=False, restart_rows=0, dct=dct,
                            backend=backend) == \
        cjpeg(pixels, tmp_path, "-qtables", str(text), "-sample", "1x1", "-dct", switch)


@pytest.mark.parametrize("dct", ["islow", "ifast"])
def test_steps_past_libjpeg_turbos_divisors(dct):
    """Over those steps libjpeg-turbo's divisor wraps (cjpeg crashes at 8192, SIGFPE, and
    mis-quantizes above); stripjpeg divides by the true divisor, on every backend alike, and
    the file holds the tables it was quantized with."""
    pixels = np.ascontiguousarray(photo("astronaut")[:64, :64])
    tables = [list(range(9000, 9064)), [5000 + 300 * i for i in range(64)]]
    files = {backend: stripjpeg.encode(pixels, qtables=tables, baseline=False, dct=dct,
                                       backend=backend)
             for backend in stripjpeg.backends.available()}
    assert len(set(files.values())) == 1
    image = read_jpeg(files["numpy"])
    assert image.quant_tables[0].reshape(-1).tolist() == tables[0]
    assert image.quant_tables[1].reshape(-1).tolist() == tables[1]


def test_reciprocal_division_holds_for_16_bit_steps():
    """The numba kernels divide by reciprocal multiplication, ``(n * ceil(2**32 / d)) >> 32``;
    it equals ``n // d`` for every n a coefficient gives (``|x| < 2**15`` plus ``d // 2``)
    and a sample of the divisors of steps 256..32767, islow's (8 Q) and ifast's. (Every
    islow divisor was checked once, which takes 40 s; the test samples them.)"""
    from stripjpeg.stages.quantize import ifast_divisors

    steps = np.array([*range(256, 32768, 61), 8191, 8192, 32767])
    divisors = set((8 * steps).tolist())
    for step in steps[::8]:
        divisors |= set(ifast_divisors(np.full(64, step)).reshape(-1).tolist())
    n = np.arange(2 ** 15, dtype=np.int64)
    for d in sorted(divisors):
        values = n + d // 2
        assert np.array_equal((values * -(-(1 << 32) // d)) >> 32, values // d), d


def test_every_entry_point(tmp_path):
    pixels = _pixels()
    height, width = pixels.shape[:2]
    options = dict(quality=10, subsampling="4:2:0", baseline=False, restart_rows=0)
    expected = cjpeg(pixels, tmp_path, "-quality", "10")
    assert stripjpeg.encode(pixels, **options) == expected
    with stripjpeg.Encoder(tmp_path / "stream.jpg", width, height, **options) as encoder:
        for start in range(0, height, 5):
            encoder.write(pixels[start:start + 5])
    assert (tmp_path / "stream.jpg").read_bytes() == expected
    pieces = (pixels[start:start + 9] for start in range(0, height, 9))
    assert b"".join(stripjpeg.iter_encode(pieces, width=width, height=height, optimize=True,
                                          **options)) == \
        cjpeg(pixels, tmp_path, "-quality", "10", "-optimize")


@pytest.mark.parametrize("flags, switches", [
    (["--no-baseline", "-q", "10", "-s", "4:2:0"], ["-quality", "10"]),
    (["-q", "10", "-s", "4:2:0"], ["-quality", "10", "-baseline"]),
    (["--baseline", "-q", "10", "-s", "4:2:0"], ["-quality", "10", "-baseline"]),
    (["--no-baseline", "-q", "3", "--progressive"], ["-quality", "3", "-sample", "1x1",
                                                     "-progressive"]),
])
def test_cli_baseline_flags(flags, switches, tmp_path):
    pixels = _pixels()
    np.save(tmp_path / "in.npy", pixels)
    assert main(["encode", str(tmp_path / "in.npy"), "-o", str(tmp_path / "out.jpg"),
                 "--restart-rows", "0", "--no-progress", *flags]) == 0
    assert (tmp_path / "out.jpg").read_bytes() == cjpeg(pixels, tmp_path, *switches)


@pytest.mark.parametrize("value", [0, 1, "no", None])
def test_bad_baseline(value):
    with pytest.raises(TypeError, match=rf"baseline must be True or False, got {value!r}"):
        stripjpeg.encode(_pixels(), baseline=value)
