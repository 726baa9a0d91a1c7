"""The coefficient spool: blocks in memory up to a budget, then in a temporary file; read back
in order as often as needed; the file gone on close. And the optimize=True stream using it
writes Pillow's bytes whatever the budget."""

from __future__ import annotations

import io
import os

import numpy as np
import pytest
from oracle import photo, pillow_jpeg

import stripjpeg
from stripjpeg.spool import CoefficientSpool


def _strip(seed: int, rows: int = 2, cols: int = 3) -> list[np.ndarray]:
    """One strip's blocks: a luma array and two smaller chroma arrays, random int16."""
    rng = np.random.default_rng(seed)
    return [rng.integers(-2048, 2048, shape, dtype=np.int16)
            for shape in ((2 * rows, 2 * cols, 8, 8), (rows, cols, 8, 8), (rows, cols, 8, 8))]


STRIP_BYTES = 128 * (4 * 6 + 6 + 6)  # 128 bytes per block, 36 blocks per _strip()


def _assert_same(read: list[list[np.ndarray]], written: list[list[np.ndarray]]) -> None:
    assert len(read) == len(written)
    for got, expected in zip(read, written):
        assert len(got) == len(expected)
        for a, b in zip(got, expected):
            assert a.dtype == np.int16 and a.shape == b.shape
            np.testing.assert_array_equal(a, b)


@pytest.mark.parametrize("budget, in_memory", [(0, 0), (STRIP_BYTES - 1, 0), (STRIP_BYTES, 1),
                                               (3 * STRIP_BYTES - 1, 2), (3 * STRIP_BYTES, 3),
                                               (10 * STRIP_BYTES, 5)])
def test_spills_exactly_when_the_budget_is_exceeded(budget: int, in_memory: int, tmp_path) -> None:
    strips = [_strip(seed) for seed in range(5)]
    with CoefficientSpool(budget, str(tmp_path)) as spool:
        for count, strip in enumerate(strips, start=1):
            spool.append(strip)
            spilled = count > in_memory
            assert (spool.disk_file is not None) == spilled
            assert spool.spool_bytes == count * STRIP_BYTES
            assert spool.spool_bytes_in_memory == min(count, in_memory) * STRIP_BYTES <= budget
            assert spool.spool_bytes_on_disk == max(0, count - in_memory) * STRIP_BYTES
        if spool.disk_file is not None:
            spool.disk_file.flush()
            assert os.fstat(spool.disk_file.fileno()).st_size == (5 - in_memory) * STRIP_BYTES
        _assert_same(list(spool.strips()), strips)
        # Read again, as a multi-pass encode does: the same blocks, from the first strip.
        _assert_same(list(spool.strips()), strips)


def test_interleaved_passes_each_read_from_their_own_place(tmp_path) -> None:
    strips = [_strip(seed) for seed in range(4)]
    with CoefficientSpool(STRIP_BYTES, str(tmp_path)) as spool:
        for strip in strips:
            spool.append(strip)
        first, second = spool.strips(), spool.strips()
        _assert_same([next(first), next(first), next(second)], strips[:2] + strips[:1])
        _assert_same([next(second), next(first), next(first), next(second)],
                     [strips[1], strips[2], strips[3], strips[2]])


def test_blocks_in_memory_are_kept_without_a_copy_and_read_only() -> None:
    strip = _strip(0)
    with CoefficientSpool(STRIP_BYTES) as spool:
        spool.append(strip)
        (read,) = spool.strips()
        assert all(np.shares_memory(a, b) for a, b in zip(read, strip))
        assert not any(a.flags.writeable for a in read)
        assert all(b.flags.writeable for b in strip)  # the caller's arrays keep their flags
        with pytest.raises(ValueError, match="read-only"):
            read[0][0, 0, 0, 0] = 1


def test_a_view_into_a_larger_array_is_copied_and_counted_at_its_own_size() -> None:
    scratch = np.arange(2 * 5 * 64, dtype=np.int16).reshape(2, 5, 8, 8)
    view = scratch[:, :3]  # what a backend with padding lanes may return
    with CoefficientSpool(3 * 2 * 128) as spool:
        spool.append([view])
        scratch[:] = 0  # the backend reuses its buffer for the next strip
        assert spool.spool_bytes == 6 * 128 and spool.disk_file is None
        (read,) = spool.strips()
        np.testing.assert_array_equal(read[0], np.arange(640, dtype=np.int16).reshape(2, 5, 8, 8)[:, :3])


def test_close_deletes_the_file_and_ends_the_spool(tmp_path) -> None:
    spool = CoefficientSpool(0, str(tmp_path))
    spool.append(_strip(0))
    file = spool.disk_file
    fd = file.fileno()
    if os.path.isdir("/proc/self/fd"):
        # The open file lies in the directory asked for, without a name (O_TMPFILE or unlinked).
        target = os.readlink(f"/proc/self/fd/{fd}")
        assert os.path.dirname(target) == os.path.realpath(tmp_path)
    assert os.listdir(tmp_path) == []
    spool.close()
    assert file.closed and spool.disk_file is None and spool.closed
    assert spool.spool_bytes == spool.spool_bytes_on_disk == STRIP_BYTES  # counts stay
    spool.close()  # again: nothing
    with pytest.raises(ValueError, match="the coefficient spool is closed"):
        spool.append(_strip(1))
    with pytest.raises(ValueError, match="the coefficient spool is closed"):
        next(spool.strips())


def test_only_int16_blocks_and_byte_budgets() -> None:
    with pytest.raises(TypeError, match="spooled blocks must be int16 coefficients, got int32"):
        CoefficientSpool().append([np.zeros((1, 1, 8, 8), np.int32)])
    for budget in (-1, 1.5, True, "64"):
        with pytest.raises(ValueError, match="budget must be a number of bytes >= 0"):
            CoefficientSpool(budget)


# --- optimize=True on a stream, through the spool --------------------------------------------

@pytest.fixture(scope="module")
def picture() -> np.ndarray:
    return np.ascontiguousarray(photo("coffee")[:203, :301])


#: 203 x 301 at 4:2:0, one MCU row per strip: 19 MCUs of 6 blocks per strip, 13 strips.
STRIP_420 = 19 * 6 * 128
STRIPS_420 = 13


@pytest.mark.parametrize("budget, on_disk", [
    (0, STRIPS_420 * STRIP_420),                      # everything on disk
    (3 * STRIP_420, (STRIPS_420 - 3) * STRIP_420),    # three strips in memory, the rest on disk
    (None, 0),                                        # the default 32 MiB: all in memory
])
def test_stream_bytes_equal_pillow_whatever_the_budget(picture, budget, on_disk, tmp_path) -> None:
    expected = pillow_jpeg(picture, 80, "4:2:0", optimize=True)
    options = {} if budget is None else {"spool_budget": budget}
    output = io.BytesIO()
    with stripjpeg.Encoder(output, 301, 203, quality=80, subsampling="4:2:0", optimize=True,
                           spool_dir=tmp_path, **options) as encoder:
        for start in range(0, 203, 37):
            encoder.write(picture[start:start + 37])
    assert output.getvalue() == expected
    assert encoder.spool_bytes == STRIPS_420 * STRIP_420
    assert encoder.spool_bytes_on_disk == on_disk
    assert os.listdir(tmp_path) == []


@pytest.mark.parametrize("budget", [0, 20_000, 1 << 30])
@pytest.mark.parametrize("restart_rows", [0, 2])
def test_stream_bytes_equal_pillow_gray_and_serial(picture, budget, restart_rows) -> None:
    gray = np.ascontiguousarray(picture[:, :, 1])
    expected = pillow_jpeg(gray, 90, restart_rows=restart_rows, optimize=True)
    chunks = stripjpeg.iter_encode((gray[s:s + 50] for s in range(0, 203, 50)), width=301,
                                   height=203, mode="L", quality=90, restart_rows=restart_rows,
                                   optimize=True, spool_budget=budget)
    assert b"".join(chunks) == expected


def test_encoder_without_a_spool_reports_none() -> None:
    encoder = stripjpeg.Encoder(io.BytesIO(), 8, 8)
    encoder.write(np.zeros((8, 8, 3), np.uint8))
    encoder.close()
    assert encoder.spool_bytes == encoder.spool_bytes_on_disk == 0


class FailingBackend:
    """Delegates to a backend, and raises in ``transform`` from its ``fail_at``-th call on."""

    def __init__(self, backend, fail_at: int) -> None:
        self._backend, self._fail_at, self.calls = backend, fail_at, 0

    def transform(self, pixels, plan):
        self.calls += 1
        if self.calls >= self._fail_at:
            raise RuntimeError("transform failed")
        return self._backend.transform(pixels, plan)

    def __getattr__(self, name):
        return getattr(self._backend, name)


def test_a_failure_while_spooling_removes_the_file(picture, tmp_path) -> None:
    target = tmp_path / "out.jpg"
    spool_dir = tmp_path / "spool"
    spool_dir.mkdir()
    encoder = stripjpeg.Encoder(target, 301, 203, subsampling="4:2:0", optimize=True,
                                spool_dir=spool_dir, spool_budget=STRIP_420)
    core = encoder._core
    core.backend = FailingBackend(core.backend, fail_at=4)
    encoder.write(picture[:32])  # two strips: the first in memory, the second spilled
    file = core.spool.disk_file
    assert file is not None and not file.closed and encoder.spool_bytes_on_disk == STRIP_420
    with pytest.raises(RuntimeError, match="transform failed"):
        encoder.write(picture[32:100])
    assert file.closed and core.spool.closed and core.spool.disk_file is None
    assert os.listdir(spool_dir) == [] and not target.exists()
    with pytest.raises(RuntimeError, match="the encoder failed earlier"):
        encoder.close()


@pytest.mark.parametrize("value, error, match", [
    (-1, ValueError, "spool_budget must be from 0 to"),
    (1.5, TypeError, "spool_budget must be an int, got float 1.5"),
    (True, TypeError, "spool_budget must be an int, got bool True"),
    ("64M", TypeError, "spool_budget must be an int, got str '64M'"),
])
def test_bad_spool_budget(value, error, match, tmp_path) -> None:
    rows = np.zeros((8, 8, 3), np.uint8)
    target = tmp_path / "out.jpg"
    with pytest.raises(error, match=match):
        stripjpeg.Encoder(target, 8, 8, optimize=True, spool_budget=value)
    with pytest.raises(error, match=match):
        stripjpeg.iter_encode([rows], width=8, height=8, optimize=True, spool_budget=value)
    with pytest.raises(error, match=match):
        stripjpeg.encode(rows, spool_budget=value)
    with pytest.raises(error, match=match):
        stripjpeg.save(target, rows, spool_budget=value)
    assert list(tmp_path.iterdir()) == []
