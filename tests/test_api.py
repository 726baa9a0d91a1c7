"""The entry points agree with each other and with Pillow; bad input gets a clear error;
a failed write leaves nothing behind."""

import io
import os

import numpy as np
import pytest
from oracle import photo, pillow_jpeg

import stripjpeg
from stripjpeg.encoder import StripEncoder
from stripjpeg.options import make_options


@pytest.fixture(scope="module")
def image():
    return np.ascontiguousarray(photo("chelsea")[:203, :301])


def _pieces(array, sizes):
    start, i = 0, 0
    while start < array.shape[0]:
        step = sizes[i % len(sizes)]
        yield array[start:start + step]
        start += step
        i += 1


@pytest.mark.parametrize("sizes", [[1], [7], [100], [3, 17, 1, 64], [203]], ids=str)
@pytest.mark.parametrize("restart_rows", [0, 1, 3])
def test_encoder_in_uneven_pieces(image, sizes, restart_rows, backend):
    expected = pillow_jpeg(image, 90, "4:2:0", restart_rows)
    buffer = io.BytesIO()
    with stripjpeg.Encoder(buffer, 301, 203, "RGB", quality=90, subsampling="4:2:0",
                           restart_rows=restart_rows, backend=backend) as encoder:
        for piece in _pieces(image, sizes):
            encoder.write(piece)
    assert buffer.getvalue() == expected


def test_reused_row_buffer_is_safe(image):
    # A producer that refills one buffer for every piece must not corrupt pending rows.
    buffer = io.BytesIO()
    scratch = np.empty((5, 301, 3), np.uint8)
    with stripjpeg.Encoder(buffer, 301, 203, workers=2) as encoder:
        for start in range(0, 203, 5):
            rows = image[start:start + 5]
            scratch[:len(rows)] = rows
            encoder.write(scratch[:len(rows)])
            scratch[:] = 0
    assert buffer.getvalue() == pillow_jpeg(image)


def test_entry_points_agree(image, tmp_path):
    expected = stripjpeg.encode(image, 80, "4:2:2")
    assert expected == pillow_jpeg(image, 80, "4:2:2")
    stripjpeg.save(tmp_path / "a.jpg", image, quality=80, subsampling="4:2:2")
    assert (tmp_path / "a.jpg").read_bytes() == expected
    with open(tmp_path / "b.jpg", "wb") as file:
        stripjpeg.save(file, image, quality=80, subsampling="4:2:2")
    assert (tmp_path / "b.jpg").read_bytes() == expected
    chunks = list(stripjpeg.iter_encode(_pieces(image, [11]), width=301, height=203,
                                        quality=80, subsampling="4:2:2"))
    assert len(chunks) > 3 and b"".join(chunks) == expected
    with stripjpeg.Encoder(tmp_path / "c.jpg", 301, 203, quality=80, subsampling="4:2:2") as enc:
        enc.write(image)
    assert (tmp_path / "c.jpg").read_bytes() == expected


@pytest.mark.parametrize("workers", [1, 2, 3])
def test_workers_give_identical_bytes(image, workers, backend):
    assert stripjpeg.encode(image, workers=workers, backend=backend) == pillow_jpeg(image)


def test_rgba_drops_alpha_and_grayscale_modes(image):
    rgba = np.dstack([image, np.arange(image.size // 3, dtype=np.uint8).reshape(image.shape[:2])])
    assert stripjpeg.encode(rgba) == pillow_jpeg(image)
    gray = image[:, :, 1]
    assert stripjpeg.encode(gray) == stripjpeg.encode(gray[:, :, None]) == pillow_jpeg(gray)
    buffer = io.BytesIO()
    with stripjpeg.Encoder(buffer, 301, 203, mode="L") as encoder:
        encoder.write(gray[:100])
        encoder.write(gray[100:, :, None])
    assert buffer.getvalue() == pillow_jpeg(gray)


def test_restart_offsets_point_after_each_rst(image):
    buffer = io.BytesIO()
    with stripjpeg.Encoder(buffer, 301, 203, restart_rows=2) as encoder:
        encoder.write(image)
    data = buffer.getvalue()
    offsets = encoder.restart_offsets
    assert len(offsets) == -(-203 // 16)
    sos = data.index(b"\xff\xda")
    assert offsets[0] == sos + 2 + int.from_bytes(data[sos + 2:sos + 4], "big")
    for index, offset in enumerate(offsets[1:]):
        assert data[offset - 2:offset] == bytes([0xFF, 0xD0 + index % 8])


def test_process_strip_is_one_restart_interval(image):
    width = 301
    rgba = np.dstack([image[:8], np.full((8, width), 255, np.uint8)])
    luma, chroma = stripjpeg.quantization_tables(85)
    strip = stripjpeg.process_strip(rgba.tobytes(), width, luma, chroma)
    whole = pillow_jpeg(image[:8], 85, "4:4:4", 1)
    sos = whole.index(b"\xff\xda")
    scan = whole[sos + 2 + int.from_bytes(whole[sos + 2:sos + 4], "big"):-2]
    assert strip == scan
    with pytest.raises(ValueError, match="8 rows"):
        stripjpeg.process_strip(rgba.tobytes()[:-4], width, luma, chroma)
    with pytest.raises(ValueError, match="1 to 255"):
        stripjpeg.process_strip(rgba.tobytes(), width, np.zeros(64, int), chroma)


# --- Bad input ---------------------------------------------------------------------------

@pytest.mark.parametrize("dtype", [np.float32, np.float64, np.int64, np.uint16, bool, np.int8])
def test_wrong_dtype_is_a_type_error(dtype):
    with pytest.raises(TypeError, match="uint8"):
        stripjpeg.encode(np.zeros((8, 8, 3), dtype))


def test_non_array_is_a_type_error():
    with pytest.raises(TypeError):
        stripjpeg.encode("not an image")
    with pytest.raises(TypeError, match="uint8"):
        stripjpeg.encode([[1, 2], [3, 4]])


@pytest.mark.parametrize("shape", [(8,), (8, 8, 2), (8, 8, 5), (2, 8, 8, 3), (0, 8, 3), (8, 0)])
def test_wrong_shape_is_a_value_error(shape):
    with pytest.raises(ValueError):
        stripjpeg.encode(np.zeros(shape, np.uint8))


def test_dimensions_over_65535():
    with pytest.raises(ValueError, match="width"):
        stripjpeg.Encoder(io.BytesIO(), 65536, 8)
    with pytest.raises(ValueError, match="height"):
        stripjpeg.Encoder(io.BytesIO(), 8, 0)
    with pytest.raises(ValueError, match="height"):
        stripjpeg.encode(np.broadcast_to(np.uint8(0), (65536, 1)))


@pytest.mark.parametrize("options,error,match", [
    # 0 and over 100 are Pillow's (clamped as libjpeg clamps them): tests/test_pillow_keywords.py
    ({"quality": -2}, ValueError, "quality"),
    ({"quality": 90.0}, TypeError, "quality"),
    ({"quality": "90"}, ValueError, "quality='90'.*presets"),
    ({"quality": True}, TypeError, "quality"),
    ({"subsampling": "4:1:0"}, ValueError, "subsampling"),
    ({"subsampling": 3}, ValueError, "subsampling"),
    ({"dct": "fast"}, ValueError, "dct"),
    ({"dct": "double"}, ValueError, r"dct must be one of islow, ifast, float, exact; got 'double'"),
    ({"backend": "gpu"}, ValueError, "backend"),
    ({"restart_rows": -1}, ValueError, "restart_rows"),
    ({"restart_rows": 1.5}, TypeError, "restart_rows"),
    ({"workers": 0}, ValueError, "workers"),
    ({"executor": "threads"}, TypeError, "executor"),
    ({"progress": "yes"}, TypeError, "progress"),
])
def test_bad_options(options, error, match):
    with pytest.raises(error, match=match):
        stripjpeg.encode(np.zeros((8, 8, 3), np.uint8), **options)


def test_unknown_option_names_the_known_ones():
    with pytest.raises(TypeError, match="qualty"):
        stripjpeg.save(io.BytesIO(), np.zeros((8, 8), np.uint8), qualty=90)


def test_stream_row_errors():
    encoder = stripjpeg.Encoder(io.BytesIO(), 16, 10, "RGB")
    with pytest.raises(ValueError, match=r"\(n, 16, 3\)"):
        encoder.write(np.zeros((2, 15, 3), np.uint8))
    encoder = stripjpeg.Encoder(io.BytesIO(), 16, 10, "RGB")
    with pytest.raises(TypeError, match="uint8"):
        encoder.write(np.zeros((2, 16, 3), np.float32))
    encoder = stripjpeg.Encoder(io.BytesIO(), 16, 10, "RGB")
    encoder.write(np.zeros((8, 16, 3), np.uint8))
    with pytest.raises(ValueError, match="too many rows"):
        encoder.write(np.zeros((3, 16, 3), np.uint8))
    encoder = stripjpeg.Encoder(io.BytesIO(), 16, 10, "RGB")
    encoder.write(np.zeros((9, 16, 3), np.uint8))
    with pytest.raises(ValueError, match="too few rows"):
        encoder.close()
    with pytest.raises(ValueError, match="mode"):
        stripjpeg.Encoder(io.BytesIO(), 16, 10, "LAB")
    with pytest.raises(TypeError, match="output"):
        stripjpeg.Encoder(12, 16, 10)


def test_write_after_close():
    encoder = stripjpeg.Encoder(io.BytesIO(), 8, 8, "L")
    encoder.write(np.zeros((8, 8), np.uint8))
    encoder.close()
    with pytest.raises(ValueError, match="closed"):
        encoder.write(np.zeros((1, 8), np.uint8))


def test_iter_encode_checks_options_at_once():
    with pytest.raises(ValueError, match="quality"):
        stripjpeg.iter_encode([], width=8, height=8, quality=-2)
    chunks = stripjpeg.iter_encode([np.zeros((4, 8, 3), np.uint8)], width=8, height=8)
    with pytest.raises(ValueError, match="too few rows"):
        list(chunks)


# --- Atomic output ---------------------------------------------------------------------------

def test_failed_encode_leaves_existing_file_untouched(tmp_path):
    target = tmp_path / "out.jpg"
    target.write_bytes(b"precious")
    with pytest.raises(ValueError, match="too few rows"), \
            stripjpeg.Encoder(target, 16, 16) as encoder:
        encoder.write(np.zeros((8, 16, 3), np.uint8))
    assert target.read_bytes() == b"precious"
    assert os.listdir(tmp_path) == ["out.jpg"]


def test_exception_inside_with_block_removes_partial_output(tmp_path):
    target = tmp_path / "new.jpg"
    with pytest.raises(KeyboardInterrupt), stripjpeg.Encoder(target, 16, 16) as encoder:
        encoder.write(np.zeros((8, 16, 3), np.uint8))
        raise KeyboardInterrupt
    assert os.listdir(tmp_path) == []


def test_bad_rows_mid_stream_remove_partial_output(tmp_path):
    target = tmp_path / "new.jpg"
    encoder = stripjpeg.Encoder(target, 16, 16)
    encoder.write(np.zeros((8, 16, 3), np.uint8))
    with pytest.raises(TypeError):
        encoder.write(np.zeros((8, 16, 3), np.float64))
    assert os.listdir(tmp_path) == []


def test_unclosed_encoder_leaves_no_stray_file(tmp_path):
    import gc

    encoder = stripjpeg.Encoder(tmp_path / "x.jpg", 16, 16)
    encoder.write(np.zeros((4, 16, 3), np.uint8))
    del encoder
    gc.collect()
    assert os.listdir(tmp_path) == []


def test_save_failure_leaves_no_file(tmp_path, monkeypatch):
    target = tmp_path / "s.jpg"

    def broken(*args, **kwargs):
        raise RuntimeError("disk on fire")

    monkeypatch.setattr(StripEncoder, "finish", broken)
    with pytest.raises(RuntimeError):
        stripjpeg.save(target, np.zeros((8, 8, 3), np.uint8))
    assert os.listdir(tmp_path) == []


# --- Backends registry -----------------------------------------------------------------------

def test_available_and_unknown_backend():
    names = stripjpeg.backends.available()
    assert "numpy" in names
    with pytest.raises(ValueError, match=r"unknown backend 'nope'.*numpy"):
        stripjpeg.backends.get("nope")


def test_environment_variable_forces_backend(monkeypatch):
    monkeypatch.setenv("STRIPJPEG_BACKEND", "numpy")
    assert stripjpeg.backends.default_name() == "numpy"
    monkeypatch.setenv("STRIPJPEG_BACKEND", "nope")
    with pytest.raises(ValueError, match="STRIPJPEG_BACKEND"):
        stripjpeg.encode(np.zeros((8, 8), np.uint8))


def test_default_backend_does_not_scan_installed_packages(monkeypatch):
    # Scanning every installed package's entry points took 4 ms of every encode; the
    # built-in backends come first, so the default needs no scan.
    import importlib.metadata

    def refuse(**_):
        raise AssertionError("entry points scanned")

    monkeypatch.delenv("STRIPJPEG_BACKEND", raising=False)
    monkeypatch.setattr(importlib.metadata, "entry_points", refuse)
    assert stripjpeg.backends.default_name() == stripjpeg.backends.get().name
    stripjpeg.encode(np.zeros((8, 8), np.uint8))


def test_no_more_threads_than_strips():
    from stripjpeg.scheduler import make_executor

    assert make_executor(None, None, True, strips=1) == (None, 1, False)   # inline
    executor, count, owned = make_executor(8, None, True, strips=3)
    assert (count, owned, executor._max_workers) == (3, True, 3)
    executor.shutdown()


def test_options_are_frozen():
    options = make_options(quality=90)
    with pytest.raises(AttributeError):
        options.quality = 10


def test_written_files_get_normal_permissions(tmp_path):
    """Atomic output goes through a private temporary file; the result must still get the
    mode a new file gets (0666 less the umask), or keep the mode of the file it replaces."""
    pixels = np.zeros((16, 16, 3), np.uint8)
    umask = os.umask(0o022)
    os.umask(umask)
    stripjpeg.save(tmp_path / "new.jpg", pixels)
    assert (tmp_path / "new.jpg").stat().st_mode & 0o777 == 0o666 & ~umask
    existing = tmp_path / "existing.jpg"
    existing.write_bytes(b"old")
    existing.chmod(0o640)
    with stripjpeg.Encoder(existing, 16, 16) as encoder:
        encoder.write(pixels)
    assert existing.stat().st_mode & 0o777 == 0o640
    assert existing.read_bytes() == stripjpeg.encode(pixels)
