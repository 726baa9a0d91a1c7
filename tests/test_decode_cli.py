"""``stripjpeg decode``: Pillow's pixels in every output format, written atomically, streamed
for PGM/PPM/PAM and .npy; ``--rows``, ``--dct``, ``--nosmooth``, ``--index``, ``--no-strict``;
and ``stripjpeg compare``'s PSNR from stripjpeg's own decoder."""

from __future__ import annotations

import re
from pathlib import Path

import numpy as np
import pytest
from other_encoders import crop, pillow_cmyk
from PIL import Image

import stripjpeg
from stripjpeg import image_files
from stripjpeg.cli import main


def read_pnm(path: Path) -> np.ndarray:
    data = path.read_bytes()
    header = re.match(rb"(P[56])\s+(\d+)\s+(\d+)\s+255\s", data)
    width, height = int(header[2]), int(header[3])
    pixels = np.frombuffer(data, np.uint8, offset=header.end())
    return pixels.reshape(height, width, 3) if header[1] == b"P6" else pixels.reshape(height, width)


def read_pam(path: Path) -> np.ndarray:
    data = path.read_bytes()
    head, _, pixels = data.partition(b"ENDHDR\n")
    fields = dict(line.split(" ", 1) for line in head.decode().splitlines()[1:])
    shape = (int(fields["HEIGHT"]), int(fields["WIDTH"]), int(fields["DEPTH"]))
    return np.frombuffer(pixels, np.uint8).reshape(shape)


READERS = {".ppm": read_pnm, ".pgm": read_pnm, ".pnm": read_pnm, ".pam": read_pam,
           ".npy": np.load, ".png": lambda p: np.asarray(Image.open(p)),
           ".tif": lambda p: np.asarray(Image.open(p))}


@pytest.fixture
def jpeg(tmp_path: Path) -> Path:
    path = tmp_path / "in.jpg"
    path.write_bytes(stripjpeg.encode(crop(70, 90), 85, subsampling="4:2:0"))
    return path


def pillows(path: Path) -> np.ndarray:
    with Image.open(path) as image:
        return np.asarray(image)


@pytest.mark.parametrize("suffix", [".ppm", ".pnm", ".pam", ".npy", ".png", ".tif"])
def test_every_format_holds_pillows_pixels(jpeg: Path, tmp_path: Path, suffix: str, capsys) -> None:
    out = tmp_path / f"out{suffix}"
    assert main(["decode", str(jpeg), "-o", str(out)]) == 0
    assert np.array_equal(READERS[suffix](out), pillows(jpeg))
    assert re.match(rf"wrote .*out\{suffix}: 90x70, 3 channels; decoded in ", capsys.readouterr().out)


def test_greyscale_and_cmyk(tmp_path: Path) -> None:
    grey, cmyk = tmp_path / "grey.jpg", tmp_path / "cmyk.jpg"
    grey.write_bytes(stripjpeg.encode(crop(30, 40)[:, :, 0], 80))
    cmyk.write_bytes(pillow_cmyk(crop(30, 40), 80))
    assert main(["decode", str(grey), "-o", str(tmp_path / "g.pgm")]) == 0
    assert np.array_equal(read_pnm(tmp_path / "g.pgm"), pillows(grey))
    assert main(["decode", str(cmyk), "-o", str(tmp_path / "c.pam")]) == 0
    assert np.array_equal(read_pam(tmp_path / "c.pam"), pillows(cmyk))
    assert main(["decode", str(cmyk), "-o", str(tmp_path / "c.ppm")]) == 2
    assert not (tmp_path / "c.ppm").exists()


def test_options_are_the_librarys(jpeg: Path, tmp_path: Path) -> None:
    out = tmp_path / "out.npy"
    for flags, options in ((["--rows", "13:51"], dict(rows=(13, 51))),
                           (["--nosmooth", "--workers", "1"], dict(fancy_upsampling=False, workers=1)),
                           (["--dct", "islow", "--backend", "numpy"], dict(backend="numpy"))):
        assert main(["decode", str(jpeg), "-o", str(out), *flags]) == 0
        assert np.array_equal(np.load(out), stripjpeg.decode(jpeg, **options)), flags
    assert np.array_equal(np.load(out), pillows(jpeg))


def test_dct_islow_c_is_jidctint(tmp_path: Path) -> None:
    # Corrupt coefficients, where libjpeg-turbo's SIMD islow (the default, Pillow's) and
    # jidctint.c's plain C (--dct islow-c, djpeg with JSIMD_FORCENONE=1) part.
    rng = np.random.default_rng(5)
    blocks = rng.integers(-1023, 1024, (3, 4, 8, 8)).astype(np.int16)
    blocks[rng.random(blocks.shape) > 0.3] = 0
    wild = tmp_path / "wild.jpg"
    wild.write_bytes(stripjpeg.encode_coefficients([blocks], [rng.integers(1, 65536, 64)],
                                                   baseline=False))
    out = tmp_path / "out.pgm"
    assert main(["decode", str(wild), "-o", str(out)]) == 0
    simd = read_pnm(out)
    assert np.array_equal(simd, pillows(wild))
    assert main(["decode", str(wild), "-o", str(out), "--dct", "islow-c"]) == 0
    assert np.array_equal(read_pnm(out), stripjpeg.decode(wild, dct="islow-c"))
    assert (read_pnm(out) != simd).mean() > 0.05


def test_a_failed_decode_leaves_the_old_file(jpeg: Path, tmp_path: Path, capsys) -> None:
    out = tmp_path / "out.ppm"
    out.write_bytes(b"old")
    cut = tmp_path / "cut.jpg"
    cut.write_bytes(jpeg.read_bytes()[:-500])
    assert main(["decode", str(cut), "-o", str(out)]) == 2
    assert "truncated" in capsys.readouterr().err
    assert out.read_bytes() == b"old" and sorted(p.name for p in tmp_path.iterdir()) == \
        ["cut.jpg", "in.jpg", "out.ppm"]
    assert main(["decode", str(cut), "-o", str(out), "--no-strict"]) == 0
    assert "warning: corrupt JPEG data: truncated" in capsys.readouterr().err
    assert read_pnm(out).shape == (70, 90, 3)
    assert main(["decode", str(jpeg), "-o", str(tmp_path / "out.xyz")]) == 2
    with pytest.raises(SystemExit):  # argparse: the usage and status 2
        main(["decode", str(jpeg), "-o", str(out), "--rows", "5"])
    assert main(["decode", str(jpeg), "-o", str(out), "--rows", "60:80"]) == 2
    assert "need 0 <= y0 < y1 <= 70" in capsys.readouterr().err


def test_strips_are_written_as_they_come(jpeg: Path, tmp_path: Path, monkeypatch) -> None:
    """The rows reach the file while later strips are still to be decoded."""
    written: list[int] = []
    real_write = image_files.AtomicFile.write

    def spy(self, data):
        written.append(len(data))
        real_write(self, data)

    monkeypatch.setattr(image_files.AtomicFile, "write", spy)
    monkeypatch.setattr(stripjpeg.decoding.bands, "BAND_PIXELS", 1000)
    assert main(["decode", str(jpeg), "-o", str(tmp_path / "out.ppm")]) == 0
    assert len(written) > 4 and sum(written[1:]) == 70 * 90 * 3


def test_the_restart_index_is_used(tmp_path: Path) -> None:
    source, out, index = tmp_path / "in.npy", tmp_path / "in.jpg", tmp_path / "index.json"
    np.save(source, crop(64, 48))
    assert main(["encode", str(source), "-o", str(out), "--index", str(index)]) == 0
    assert main(["decode", str(out), "-o", str(tmp_path / "o.npy"), "--index", str(index),
                 "--rows", "16:40"]) == 0
    assert np.array_equal(np.load(tmp_path / "o.npy"), pillows(out)[16:40])


def test_compare_decodes_with_stripjpeg(tmp_path: Path, capsys, monkeypatch) -> None:
    a, b = tmp_path / "a.jpg", tmp_path / "b.jpg"
    a.write_bytes(stripjpeg.encode(crop(40, 40), 90))
    b.write_bytes(stripjpeg.encode(crop(40, 40), 70))
    calls = []
    real = stripjpeg.decoder.decode
    monkeypatch.setattr(stripjpeg.decoder, "decode", lambda data: calls.append(1) or real(data))
    assert main(["compare", str(a), str(b)]) == 1
    text = capsys.readouterr().out
    expected = 10 * np.log10(255 ** 2 / np.mean((pillows(a).astype(float) - pillows(b)) ** 2))
    assert f"PSNR between the decoded images (stripjpeg.decode): {expected:.2f} dB" in text
    assert len(calls) == 2
