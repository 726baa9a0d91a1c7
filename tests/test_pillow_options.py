"""Pillow's JPEG save options mean exactly what they mean in Pillow: same bytes."""

import os
import tempfile

import numpy as np
import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st
from oracle import photo, pillow_jpeg
from strategies import images

import stripjpeg
from stripjpeg.markers import write_dht
from stripjpeg.optimize import optimal_huffman_spec
from stripjpeg.tables import AC_LUMINANCE, DC_LUMINANCE, huffman_codes

RAMP = list(range(1, 65))
ICC_70K = bytes(range(256)) * 280  # 71,680 bytes: two APP2 segments
EXIF = b"Exif\x00\x00MM\x00*\x00\x00\x00\x08\x00\x00" + bytes(200)

OPTION_SETS = {
    "optimize": dict(optimize=True),
    "qtables_one": dict(qtables=[RAMP]),
    "qtables_dict": dict(qtables={0: [2] * 64, 1: RAMP[::-1]}),
    "qtables_four_scaled": dict(qtables=[RAMP, [7] * 64, [3] * 64, [9] * 64], quality=30),
    "qtables_zero_entries": dict(qtables=[[0] * 64, RAMP]),
    "dpi": dict(dpi=(72.5, 300.4)),
    "dpi_one_zero": dict(dpi=(300, 0)),
    "icc": dict(icc_profile=ICC_70K),
    "exif": dict(exif=EXIF),
    "comment_str": dict(comment="naïve ☃"),
    "comment_bytes": dict(comment=b"\x00\xff binary"),
    "everything": dict(optimize=True, dpi=(96, 96), icc_profile=b"icc" * 10, exif=EXIF,
                       comment="all", qtables=[RAMP, RAMP[::-1]], quality=80),
}


def _image(height, width, channels):
    image = np.asarray(photo("coffee")[:height, :width])
    return image[:, :, 0] if channels == 1 else image


def _pillow(image, options, subsampling, restart_rows):
    options = dict(options)
    # stripjpeg's default quality is 100 (Pillow's 75); with qtables, none means "as given".
    quality = options.pop("quality", None if "qtables" in options else 100)
    return pillow_jpeg(image, quality, subsampling, restart_rows, **options)


@pytest.mark.parametrize("name", sorted(OPTION_SETS))
@pytest.mark.parametrize("subsampling", ["4:4:4", "4:2:2", "4:2:0"])
def test_options_equal_pillow(name, subsampling, backend):
    options = OPTION_SETS[name]
    for height, width in ((37, 45), (16, 16), (1, 9)):
        for channels in (3, 1):
            image = _image(height, width, channels)
            for restart_rows in (0, 1):
                expected = _pillow(image, options, subsampling, restart_rows)
                ours = stripjpeg.encode(image, subsampling=subsampling, restart_rows=restart_rows,
                                        backend=backend, **options)
                assert ours == expected, (height, width, channels, restart_rows)


@pytest.mark.parametrize("name", ["optimize", "everything", "qtables_four_scaled"])
@pytest.mark.parametrize("restart_rows", [0, 1, 4])
def test_every_entry_point(name, restart_rows, tmp_path, backend):
    options = dict(OPTION_SETS[name], subsampling="4:2:0", restart_rows=restart_rows, backend=backend)
    image = np.asarray(photo("astronaut")[:150, :133])
    expected = _pillow(image, OPTION_SETS[name], "4:2:0", restart_rows)
    assert stripjpeg.encode(image, **options) == expected
    stripjpeg.save(tmp_path / "save.jpg", image, **options)
    assert (tmp_path / "save.jpg").read_bytes() == expected
    with stripjpeg.Encoder(tmp_path / "stream.jpg", 133, 150, **options) as encoder:
        for start in range(0, 150, 13):
            encoder.write(image[start:start + 13])
    assert (tmp_path / "stream.jpg").read_bytes() == expected
    pieces = (image[start:start + 50] for start in range(0, 150, 50))
    assert b"".join(stripjpeg.iter_encode(pieces, width=133, height=150, **options)) == expected


def test_optimize_on_photos_and_workers(backend):
    for name in ("astronaut", "camera", "rocket"):
        image = photo(name)
        for quality, subsampling in ((100, "4:4:4"), (75, "4:2:0")):
            expected = pillow_jpeg(image, quality, subsampling, 1, optimize=True)
            for workers in (1, 2):
                assert stripjpeg.encode(image, quality, subsampling, optimize=True, workers=workers,
                                        backend=backend) == expected


def test_optimize_noise_and_flat_images(backend):
    rng = np.random.default_rng(3)
    for image in (rng.integers(0, 256, (64, 64, 3), dtype=np.uint8), np.zeros((24, 40), np.uint8),
                  np.full((9, 9, 3), 255, np.uint8)):
        for quality in (100, 50, 1):
            assert stripjpeg.encode(image, quality, "4:2:0", optimize=True, backend=backend) == \
                pillow_jpeg(image, quality, "4:2:0", 1, optimize=True)


def test_optimal_table_properties():
    # A skewed distribution: codes no longer than 16 bits, frequent symbols no longer
    # than rare ones, and the all-ones code unused (the pseudo-symbol took it).
    counts = np.zeros(256, np.int64)
    counts[:200] = np.round(1e9 / 1.6 ** np.arange(200)).astype(np.int64) + 1
    spec = optimal_huffman_spec(counts)
    codes, lengths = huffman_codes(spec)
    used = lengths[:200]
    assert used.max() == 16 and used.min() >= 1
    assert all(used[i] <= used[i + 1] for i in range(199))
    assert sum(spec.bits) == 200
    assert all(set(format(int(codes[s]), f"0{lengths[s]}b")) != {"1"} for s in range(200))


def test_optimized_file_is_smaller_and_carries_its_own_tables():
    image = photo("astronaut")
    default = stripjpeg.encode(image, 75, "4:2:0")
    optimized = stripjpeg.encode(image, 75, "4:2:0", optimize=True)
    assert len(optimized) < len(default)  # 39,798 vs 40,342 bytes
    assert write_dht(0, 0, DC_LUMINANCE) in default and write_dht(1, 0, AC_LUMINANCE) in default
    assert write_dht(0, 0, DC_LUMINANCE) not in optimized
    assert write_dht(1, 0, AC_LUMINANCE) not in optimized


def _spool_files():
    directory = tempfile.gettempdir()
    return {name for name in os.listdir(directory) if name.startswith("stripjpeg-spool-")}


def test_spool_is_removed_after_success_and_failure(tmp_path, monkeypatch):
    before = _spool_files()
    image = np.asarray(photo("chelsea"))
    spools = []  # every spool file made, seen through tempfile (the file is no public property)
    make_file = tempfile.TemporaryFile

    def recording(*args, **kwargs):
        made = make_file(*args, **kwargs)
        if kwargs.get("prefix") == "stripjpeg-spool-":  # not numba's cache files
            spools.append(made)
        return made

    monkeypatch.setattr(tempfile, "TemporaryFile", recording)
    encoder = stripjpeg.Encoder(tmp_path / "ok.jpg", 451, 300, optimize=True, spool_budget=0)
    encoder.write(image)
    assert encoder.spool_bytes == encoder.spool_bytes_on_disk == 128 * 3 * 57 * 38  # 4:4:4
    assert len(spools) == 1 and not spools[0].closed
    encoder.close()
    assert spools[0].closed
    encoder = stripjpeg.Encoder(tmp_path / "bad.jpg", 451, 300, optimize=True, spool_budget=0)
    encoder.write(image[:100])
    with pytest.raises(ValueError, match="too few rows"):
        encoder.close()
    assert len(spools) == 2 and spools[1].closed
    assert not (tmp_path / "bad.jpg").exists()
    assert _spool_files() == before  # anonymous files: never visible by name


# --- Errors ---------------------------------------------------------------------------------

@pytest.mark.parametrize("qtables,match", [
    ([], "1 to 4"),
    ([RAMP] * 5, "1 to 4"),
    ([RAMP[:63]], "64"),
    ([[1.5] * 64], "64 integers"),
    ([[-1] * 64], "0 to 65535"),
    ([[300] * 64], "over 255"),
])
def test_bad_qtables(qtables, match):
    with pytest.raises(ValueError, match=match):
        stripjpeg.encode(np.zeros((8, 8, 3), np.uint8), qtables=qtables)


def test_qtables_over_255_are_clamped_when_quality_is_given():
    image = np.zeros((8, 8, 3), np.uint8)
    assert stripjpeg.encode(image, 50, qtables=[[300] * 64]) == \
        pillow_jpeg(image, 50, "4:4:4", 1, qtables=[[300] * 64])


def test_qtables_wrong_type():
    with pytest.raises(TypeError, match="qtables"):
        stripjpeg.encode(np.zeros((8, 8, 3), np.uint8), qtables=5)


@pytest.mark.parametrize("options,error,match", [
    ({"dpi": 300}, TypeError, "dpi"),
    ({"dpi": (1, 2, 3)}, TypeError, "dpi"),
    ({"dpi": (70000, 1)}, ValueError, "dpi"),
    ({"exif": "text"}, TypeError, "exif"),
    ({"exif": b"x" * 65534}, ValueError, "exif is 65534 bytes"),
    ({"comment": b"x" * 65534}, ValueError, "comment is 65534 bytes"),
    ({"comment": 5}, TypeError, "comment"),
    ({"icc_profile": b"x" * (255 * 65519 + 1)}, ValueError, "255 APP2"),
    ({"optimize": 1}, TypeError, "optimize"),
])
def test_bad_metadata(options, error, match, tmp_path):
    target = tmp_path / "out.jpg"
    with pytest.raises(error, match=match):
        stripjpeg.save(target, np.zeros((8, 8, 3), np.uint8), **options)
    assert not target.exists()


@pytest.mark.parametrize("name,size,writer", [
    ("exif", 65534, "write_app1_exif"), ("comment", 65534, "write_com"),
    ("icc_profile", 255 * 65519 + 1, "write_app2_icc")])
def test_options_refuse_oversized_metadata_as_the_marker_writers_do(name, size, writer):
    """EncodeOptions checks the sizes itself (without markers.py, which imports it), with
    the limits and the words of the segment writers; one byte less passes."""
    from stripjpeg import markers
    from stripjpeg.options import make_options

    with pytest.raises(ValueError) as by_writer:
        getattr(markers, writer)(b"x" * size)
    with pytest.raises(ValueError) as by_options:
        make_options(**{name: b"x" * size})
    assert str(by_options.value) == str(by_writer.value)
    assert len(getattr(make_options(**{name: b"x" * (size - 1)}), name)) == size - 1


@settings(max_examples=150, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(
    data=st.data(),
    height=st.integers(1, 33),
    width=st.integers(1, 33),
    gray=st.booleans(),
    subsampling=st.sampled_from(["4:4:4", "4:2:2", "4:2:0"]),
    restart_rows=st.sampled_from([0, 1, 3]),
    quality=st.one_of(st.none(), st.integers(1, 100)),
    n_tables=st.integers(0, 4),
    optimize=st.booleans(),
)
def test_hypothesis_options(data, height, width, gray, subsampling, restart_rows, quality,
                            n_tables, optimize):
    image = data.draw(images(height, width, 1 if gray else 3))
    options = {"optimize": optimize}
    if n_tables:
        options["qtables"] = [data.draw(st.lists(st.integers(1, 255), min_size=64, max_size=64))
                              for _ in range(n_tables)]
    expected_quality = quality if (quality is not None or n_tables) else 100
    expected = pillow_jpeg(image, expected_quality, subsampling, restart_rows, **options)
    for name in stripjpeg.backends.available():
        assert stripjpeg.encode(image, quality, subsampling, restart_rows=restart_rows,
                                backend=name, **options) == expected
