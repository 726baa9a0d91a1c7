"""The numba backend: same bytes as NumPy and Pillow (also with the JIT off, and on any
number of workers; dct="exact" too), a proven output bound, lazy compilation."""

from __future__ import annotations

import functools
import importlib.util
import os
import subprocess
import sys
import warnings
from pathlib import Path

import numpy as np
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st
from oracle import photo, pillow_jpeg

import stripjpeg
from stripjpeg import backends

# On the tests that run numba, not on the module: the tests of what happens without it, and of
# what needs no numba, run everywhere (a skip is a failure in CI: tests/conftest.py).
needs_numba = pytest.mark.skipif("numba" not in backends.available(), reason="numba is not installed")

ROOT = Path(__file__).parent.parent


def run_python(code: str, **env: str) -> str:
    result = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, cwd=ROOT,
                            env={**os.environ, "PYTHONPATH": str(ROOT), **env}, timeout=600)
    assert result.returncode == 0, result.stderr
    return result.stdout


@needs_numba
def test_numba_is_the_default_and_the_environment_variable_overrides(monkeypatch) -> None:
    assert backends.available()[:2] == ["numba", "numpy"]
    assert backends.default_name() == "numba"
    monkeypatch.setenv("STRIPJPEG_BACKEND", "numpy")
    assert backends.default_name() == "numpy"
    assert backends.get().name == "numpy"


def test_missing_numba_is_a_clear_error(monkeypatch) -> None:
    real_find_spec = importlib.util.find_spec
    monkeypatch.setattr(importlib.util, "find_spec",
                        lambda name, *args: None if name == "numba" else real_find_spec(name, *args))
    monkeypatch.setattr(backends, "_instances", {})
    monkeypatch.setattr(backends, "_numba_warned", [])
    with pytest.warns(UserWarning, match=r"numba is not installed; stripjpeg uses its NumPy backend"):
        assert backends.available() == ["numpy"]
    with warnings.catch_warnings():
        warnings.simplefilter("error")  # one warning, not one per encode
        assert backends.default_name() == "numpy"
    with pytest.raises(ValueError, match=r"needs the 'numba' package.*pip install numba"):
        backends.get("numba")


def test_numba_that_fails_to_import_falls_back_with_one_warning(monkeypatch) -> None:
    monkeypatch.setattr(backends, "_numba_import", [])
    monkeypatch.setattr(backends, "_numba_warned", [])
    real_import = importlib.import_module

    def broken_numba(name, *args):
        if name == "numba":
            raise ImportError("Numba needs NumPy 2.3 or less")
        return real_import(name, *args)

    monkeypatch.setattr(importlib, "import_module", broken_numba)
    with pytest.warns(UserWarning, match=r"numba failed to import \(ImportError.*NumPy backend") as caught:
        assert backends.default_name() == "numpy"
        assert backends.available() == ["numpy"]
    assert len(caught) == 1
    pixels = np.ascontiguousarray(photo("coffee")[:40, :56])
    with warnings.catch_warnings():
        warnings.simplefilter("error")  # warned already: not again
        assert stripjpeg.encode(pixels, 90) == pillow_jpeg(pixels, 90)


@needs_numba
def test_big_endian_machines_get_a_clear_error(monkeypatch) -> None:
    from stripjpeg.backends.numba_backend import NumbaBackend

    monkeypatch.setattr(sys, "byteorder", "big")
    with pytest.raises(ValueError, match=r"little-endian.*backend='numpy'"):
        NumbaBackend()


@needs_numba
def test_import_compiles_nothing() -> None:
    out = run_python("import sys, stripjpeg; print('numba' in sys.modules)\n"
                     "from stripjpeg.backends import get, numba_colour, numba_dct, numba_huffman\n"
                     "from stripjpeg.backends import numba_strip\n"
                     "get('numba')\n"
                     "print(sum(len(k.signatures) for k in (numba_colour.convert_to_ycbcr, "
                     "numba_dct.transform_blocks, numba_huffman.code_blocks, "
                     "numba_strip.encode_strip_kernel)))")
    assert out.split() == ["False", "0"]


@needs_numba
def test_each_kernel_compiles_once_per_process(tmp_path: Path) -> None:
    """Images of every kind and setting reuse one compiled version of each kernel (the
    argument types do not depend on sizes, qualities, subsampling, channels or the DCT), and the
    fused path and the two-pass (optimize) path share one compiled transform; a progressive
    scan's kernel is the same for counting and for coding. With an empty
    cache: kernels loaded from a cache do not list the versions their callees were compiled
    for, which would hide a second compilation."""
    out = run_python(
        "import numpy as np, stripjpeg\n"
        "from stripjpeg.backends import numba_dct, numba_progressive, numba_strip\n"
        "rng = np.random.default_rng(0)\n"
        "for shape, quality, subsampling in [((40, 50, 3), 75, '4:2:0'), ((17, 9), 100, '4:4:4'),\n"
        "        ((33, 70, 4), 50, '4:2:2'), ((8, 8, 3), 90, '4:4:4')]:\n"
        "    pixels = rng.integers(0, 256, shape, dtype=np.uint8)\n"
        "    for restart_rows in (0, 1):\n"
        "        stripjpeg.encode(pixels, quality, subsampling, backend='numba', restart_rows=restart_rows)\n"
        "        stripjpeg.encode(pixels, quality, subsampling, backend='numba', restart_rows=restart_rows,\n"
        "                         progressive=True, spool_budget=restart_rows * 2**20)\n"
        "    stripjpeg.encode(pixels, quality, subsampling, backend='numba', optimize=True)\n"
        "    for dct in ('ifast', 'float'):\n"
        "        stripjpeg.encode(pixels, quality, subsampling, backend='numba', dct=dct)\n"
        "stripjpeg.encode(rng.integers(0, 256, (512, 64, 3), dtype=np.uint8), backend='numba', workers=2)\n"
        "print(len(numba_strip.encode_strip_kernel.signatures), len(numba_dct.transform_strip.signatures),\n"
        "      len(numba_strip.encode_strips_kernel.signatures),\n"
        "      len(numba_dct.transform_strip_into.signatures),\n"
        "      len(numba_progressive.code_ac_scan.signatures),\n"
        "      len(numba_progressive.code_dc_scan.signatures))",
        NUMBA_CACHE_DIR=str(tmp_path))
    assert out.split() == ["1", "1", "1", "1", "1", "1"]


@needs_numba
def test_a_change_in_one_kernel_module_recompiles_the_kernels_of_the_others(tmp_path: Path) -> None:
    """numba_strip's kernel inlines numba_huffman's coder. Editing only numba_huffman.py must
    make the strip kernel recompile (numba alone keys its cache on numba_strip.py), and an
    unchanged package must load it from the cache."""
    import shutil

    copy = tmp_path / "package"
    shutil.copytree(ROOT / "stripjpeg", copy / "stripjpeg",
                    ignore=shutil.ignore_patterns("__pycache__"))
    code = ("import numpy as np, stripjpeg\n"
            "from stripjpeg.backends import numba_strip\n"
            f"assert stripjpeg.__file__.startswith({str(copy)!r})\n"
            "stripjpeg.encode(np.zeros((8, 8, 3), np.uint8), backend='numba')\n"
            "stats = numba_strip.encode_strip_kernel.stats\n"
            "print(sum(stats.cache_hits.values()), sum(stats.cache_misses.values()))")

    def hits_and_misses() -> list[str]:
        result = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, cwd=tmp_path,
                                env={**os.environ, "PYTHONPATH": str(copy),
                                     "NUMBA_CACHE_DIR": str(tmp_path / "cache")}, timeout=600)
        assert result.returncode == 0, result.stderr
        return result.stdout.split()

    assert hits_and_misses() == ["0", "1"]                      # compiled, then saved
    assert hits_and_misses() == ["1", "0"]                      # loaded from the cache
    helper = copy / "stripjpeg" / "backends" / "numba_huffman.py"
    helper.write_text(helper.read_text().replace("Returns the next position.", "Returns where next."))
    assert hits_and_misses() == ["0", "1"]                      # recompiled
    assert hits_and_misses() == ["1", "0"]


@needs_numba
@pytest.mark.parametrize("workers", [1, 2, 3])
def test_workers_give_identical_bytes(workers: int) -> None:
    pixels = photo("coffee")
    expected = pillow_jpeg(pixels, 90, "4:2:0")
    assert stripjpeg.encode(pixels, 90, "4:2:0", backend="numba", workers=workers) == expected
    assert stripjpeg.encode(pixels, 90, "4:2:0", backend="numpy", workers=workers) == expected


@needs_numba
def test_a_batch_of_strips_in_one_call_equals_one_call_per_strip() -> None:
    """encode_strips codes consecutive strips of one array in one kernel call (found by
    address, no copy); other batches strip by strip. The bytes are the same."""
    from stripjpeg.backends.numba_strip import stacked_strips
    from stripjpeg.options import make_options
    from stripjpeg.plan import make_plan

    backend = backends.get("numba")
    pixels = np.ascontiguousarray(photo("chelsea")[:64, :96])
    plan = make_plan(96, 64, 3, make_options(quality=80, subsampling="4:2:0"))
    strips = [pixels[top:top + 16] for top in range(0, 64, 16)]
    one_by_one = [backend.encode_strip(strip, plan) for strip in strips]
    assert stacked_strips(strips, 16) is not None
    assert backend.encode_strips(strips, plan) == one_by_one
    shuffled = [strips[1], strips[0], strips[2]]                       # not one after another
    assert stacked_strips(shuffled, 16) is None
    assert backend.encode_strips(shuffled, plan) == [one_by_one[1], one_by_one[0], one_by_one[2]]
    copies = [strip.copy() for strip in strips]                         # separate arrays
    assert stacked_strips(copies, 16) is None
    assert backend.encode_strips(copies, plan) == one_by_one
    assert stacked_strips([pixels[:, :48][:16], pixels[:, :48][16:32]], 16) is None   # not C-contiguous
    short = [pixels[:16], pixels[16:32], pixels[32:40]]                 # the image's last strip
    assert backend.encode_strips(short, plan) == [backend.encode_strip(strip, plan) for strip in short]


@needs_numba
def test_noise_at_quality_100_fits_the_worst_case_buffer() -> None:
    from stripjpeg.backends.numba_huffman import MAX_BYTES_PER_BLOCK

    rng = np.random.default_rng(3)
    noise = rng.integers(0, 256, (256, 1000, 3), dtype=np.uint8)
    data = stripjpeg.encode(noise, backend="numba")
    assert data == pillow_jpeg(noise) == stripjpeg.encode(noise, backend="numpy")
    # Far inside the bound (about 100 bytes per block for noise at q100, against 512).
    blocks = 3 * 32 * 125
    assert len(data) < blocks * MAX_BYTES_PER_BLOCK / 4


def test_reciprocal_quantization_is_exact_for_every_baseline_divisor() -> None:
    # The kernel divides n = |x| + d/2 by d as (n * ceil(2**32 / d)) >> 32: d = 8 * Q for
    # islow, and every divisor ifast's AA&N scaling gives a baseline step Q.
    from stripjpeg.stages.quantize import ifast_divisors

    n = np.arange(1 << 17, dtype=np.int64)
    divisors = {8 * q for q in range(1, 256)}
    divisors |= {int(d) for q in range(1, 256) for d in ifast_divisors(np.full(64, q)).ravel()}
    for d in sorted(divisors):
        reciprocal = -(-(1 << 32) // d)
        assert np.array_equal((n * reciprocal) >> 32, n // d), d


@needs_numba
@pytest.mark.parametrize("subsampling", ["4:4:4", "4:2:0"])
def test_exact_dct_writes_the_same_bytes_on_every_backend(subsampling: str) -> None:
    """dct="exact" is one stage (SciPy's DCT-II) on every backend, so the bytes are equal, also
    without restart markers and with optimized tables (before, numba's own float kernel
    rounded 109 and 7 coefficients of astronaut differently at q90)."""
    pixels = photo("astronaut")
    for options in (dict(), dict(restart_rows=0), dict(optimize=True)):
        files = {name: stripjpeg.encode(pixels, 90, subsampling, dct="exact", backend=name, **options)
                 for name in backends.available()}
        assert len(set(files.values())) == 1, options
    assert files["numba"] != stripjpeg.encode(pixels, 90, subsampling, backend="numba", optimize=True)


@settings(max_examples=25, deadline=None)
@given(st.integers(1, 40), st.integers(1, 40), st.sampled_from([1, 3, 4]),
       st.sampled_from(["4:4:4", "4:2:2", "4:2:0"]), st.integers(1, 100), st.integers(0, 2**32 - 1))
def test_exact_dct_bytes_agree_on_random_images(height, width, channels, subsampling, quality,
                                                 seed) -> None:
    pixels = np.random.default_rng(seed).integers(0, 256, (height, width, channels), dtype=np.uint8)
    numba_bytes = stripjpeg.encode(pixels, quality, subsampling, dct="exact", backend="numba")
    assert numba_bytes == stripjpeg.encode(pixels, quality, subsampling, dct="exact", backend="numpy")


@needs_numba
@pytest.mark.parametrize("subsampling", ["4:4:4", "4:2:2", "4:2:0"])
def test_islow_is_the_same_on_every_backend(subsampling: str) -> None:
    pixels = photo("astronaut")
    expected = pillow_jpeg(pixels, 90, subsampling)
    for name in backends.available():
        assert stripjpeg.encode(pixels, 90, subsampling, backend=name) == expected, name


@needs_numba
def test_without_the_jit_the_same_code_runs_as_python() -> None:
    code = """
import sys
sys.path.insert(0, "tests")
import numpy as np, stripjpeg
from oracle import pillow_jpeg, photo
from stripjpeg.backends import numba_huffman
assert not hasattr(numba_huffman.code_blocks, "signatures")  # a plain function
rng = np.random.default_rng(5)
cases = [(photo("chelsea")[:21, :35], 75, "4:2:0", 1), (rng.integers(0, 256, (9, 17), dtype=np.uint8), 100,
         "4:4:4", 0), (photo("coffee")[:16, :24], 50, "4:2:2", 2)]
for pixels, quality, subsampling, restart_rows in cases:
    pixels = np.ascontiguousarray(pixels)
    ours = stripjpeg.encode(pixels, quality, subsampling, backend="numba", restart_rows=restart_rows)
    assert ours == pillow_jpeg(pixels, quality, subsampling, restart_rows), (quality, subsampling)
# The float DCT as Python: np.float32 scalars round each operation as the compiled float32 code.
for pixels, quality, subsampling, restart_rows in cases:
    pixels = np.ascontiguousarray(pixels)
    assert stripjpeg.encode(pixels, quality, subsampling, backend="numba", dct="float") == \
        stripjpeg.encode(pixels, quality, subsampling, backend="numpy", dct="float")
print("ok", len(cases))
"""
    assert run_python(code, NUMBA_DISABLE_JIT="1").split() == ["ok", "3"]


def test_import_loads_no_backend_and_no_scipy() -> None:
    out = run_python("import sys, stripjpeg\n"
                     "print(sorted(m for m in sys.modules if m.startswith(('stripjpeg.backends.n', 'scipy', "
                     "'numba'))))")
    assert out.strip() == "[]"


def test_the_kernels_literal_constants_equal_tables() -> None:
    """The numba kernels keep literal copies of tables.py's constants (numba's cache would not
    notice a change in another module's globals); each copy must equal the derived value."""
    from stripjpeg import tables
    from stripjpeg.backends import numba_colour as colour
    from stripjpeg.backends import numba_dct, numba_huffman

    copies = {"SCALEBITS": colour, "CONST_BITS": numba_dct, "PASS1_BITS": numba_dct,
              "EOB": numba_huffman, "ZRL": numba_huffman,
              "IFAST_CONST_BITS": numba_dct,
              **{name: numba_dct for name in dir(tables)
                 if name.startswith(("FIX_", "IFAST_FIX_", "FLOAT_"))}}
    assert len(copies) == 26
    for name, module in copies.items():
        assert getattr(module, name) == getattr(tables, name), name
        assert type(getattr(module, name)) is type(getattr(tables, name)), name  # float32 too
    weights = [[colour.Y_RED, colour.Y_GREEN, colour.Y_BLUE],
               [colour.CB_RED, colour.CB_GREEN, colour.CB_BLUE],
               [colour.CR_RED, colour.CR_GREEN, colour.CR_BLUE]]
    assert weights == tables.RGB_TO_YCBCR.tolist()
    offsets = [colour.Y_OFFSET, colour.CBCR_OFFSET_ROUNDED, colour.CBCR_OFFSET_ROUNDED]
    assert offsets == tables.YCBCR_OFFSETS.tolist()
    from stripjpeg.backends import numba_progressive as fast
    from stripjpeg.stages import progressive

    assert (fast.MAX_EOBRUN, fast.CORRECTION_BITS_LIMIT) == (progressive.MAX_EOBRUN,
                                                            progressive.CORRECTION_BITS_LIMIT)
    assert list(fast.ZIGZAG) == tables.ZIGZAG.tolist()


# --- The kernels' own tricks, each against the plain version ------------------------------------

@needs_numba
@pytest.mark.parametrize(("kernel", "twin", "seed"), [("fdct_islow_group", "forward_dct_islow", 12),
                                                     ("fdct_ifast_group", "forward_dct_ifast", 13)])
def test_group_dct_equals_numpy_on_extreme_and_random_blocks(kernel, twin, seed) -> None:
    """The side-by-side int32 DCTs (fdct_islow_group, fdct_ifast_group) equal the NumPy
    stages, including the blocks that reach jfdctint's and jfdctfst's largest intermediate
    values (every sign pattern of -128/127) and random blocks."""
    import numba

    from stripjpeg.backends import numba_dct
    from stripjpeg.stages import dct

    LANES, group = numba_dct.LANES, getattr(numba_dct, kernel)

    @numba.njit
    def group_dct(plane, first):
        words = plane.view(np.uint64)
        work = np.empty((64, LANES), np.int32)
        coefficients = np.empty((64, LANES), np.int32)
        group(words, 0, first, work, coefficients)
        return coefficients

    rng = np.random.default_rng(seed)
    n_blocks = 40 * LANES
    extreme = np.where(rng.random((n_blocks // 2, 8, 8)) < 0.5, 0, 255)
    random = rng.integers(0, 256, (n_blocks // 2, 8, 8))
    samples = np.concatenate([extreme, random]).astype(np.uint8)        # (blocks, y, x)
    plane = np.ascontiguousarray(samples.transpose(1, 0, 2).reshape(8, n_blocks * 8))
    expected = getattr(dct, twin)(samples.astype(np.int32) - 128).reshape(n_blocks, 64)
    for first in range(0, n_blocks, LANES):
        ours = group_dct(plane, first)                                 # (64, LANES)
        np.testing.assert_array_equal(ours.T, expected[first:first + LANES])


@needs_numba
def test_nonzero_masks_name_every_nonzero_ac_coefficient() -> None:
    import numba

    from stripjpeg.backends.numba_dct import LANES
    from stripjpeg.backends.numba_huffman import nonzero_masks

    @numba.njit
    def masks_of(blocks, rows, cols):
        masks = np.zeros((blocks.shape[0], blocks.shape[1] * LANES), np.uint64)
        nonzero_masks(blocks, rows, cols, masks)
        return masks

    rng = np.random.default_rng(4)
    blocks = (rng.integers(-3, 4, (2, 3, 64, LANES)) * (rng.random((2, 3, 64, LANES)) < 0.2)).astype(np.int16)
    blocks[0, 0, :, 0] = 7                                               # all 63 AC bits
    masks = masks_of(blocks, 2, 3 * LANES - 5)
    for row in range(2):
        for col in range(3 * LANES - 5):
            ac = blocks[row, col // LANES, 1:, col % LANES]
            expected = sum(1 << (int(k) + 1) for k in np.flatnonzero(ac))
            assert int(masks[row, col]) == expected, (row, col)


@functools.cache
def _bit_writer():
    """A kernel writing (value, length) pairs with the coder's bit writer, then padding with
    1-bits; compiled once for the test's many examples."""
    import numba

    from stripjpeg.backends.numba_huffman import flush_bytes, put_bits, put_word

    @numba.njit
    def write_all(values, lengths, out):
        position, buffer, count = 0, np.uint64(0), 0
        for i in range(values.shape[0]):
            buffer, count, word, full = put_bits(buffer, count, values[i], lengths[i])
            if full:
                position = put_word(out, position, word)
        pad = (8 - count % 8) % 8
        buffer = (buffer << np.uint64(pad)) | np.uint64((1 << pad) - 1)
        position, buffer, count = flush_bytes(out, position, buffer, count + pad)
        return position

    return write_all


@needs_numba
@settings(max_examples=200, deadline=None)
@given(st.lists(st.tuples(st.integers(1, 32), st.integers(0, 2**32 - 1)), max_size=200),
       st.sampled_from([0, 0xFF, 0xFFFF_FFFF]))
def test_bit_writer_equals_the_bit_by_bit_reference(symbols, fill) -> None:
    """put_bits + put_word + flush_bytes write what appending bits one at a time writes,
    across every 64-bit boundary, with 0xFF bytes stuffed (runs of ones made likely)."""
    from reference import BitWriter

    reference = BitWriter()
    values, lengths = [], []
    for length, value in symbols:
        value = (value | fill) & ((1 << length) - 1)
        reference.write(value, length)
        values.append(value)
        lengths.append(length)
    out = np.zeros(16 * len(symbols) + 16, np.uint8)
    end = _bit_writer()(np.array(values, np.int64), np.array(lengths, np.int64), out)
    assert out[:end].tobytes() == reference.to_bytes()
