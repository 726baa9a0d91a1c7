"""The command line: same bytes as Pillow and as the library, clear one-line errors."""

from __future__ import annotations

import json
import subprocess
import sys
import tempfile
from pathlib import Path

import numpy as np
import pytest
from oracle import photo, pillow_jpeg
from PIL import Image

import stripjpeg
from stripjpeg.cli import main
from stripjpeg.examples import example_image
from stripjpeg.sources import open_image

RAMP = list(range(1, 65))
ICC = bytes(range(256)) * 280
EXIF = b"Exif\x00\x00MM\x00*\x00\x00\x00\x08\x00\x00" + bytes(100)


@pytest.fixture(scope="module")
def picture() -> np.ndarray:
    return np.ascontiguousarray(photo("astronaut")[:123, :201])


def run(*argv: str) -> int:
    return main([str(arg) for arg in argv])


def test_encode_png_equals_pillow(tmp_path: Path, picture: np.ndarray) -> None:
    Image.fromarray(picture).save(tmp_path / "in.png")
    assert run("encode", tmp_path / "in.png", "-o", tmp_path / "out.jpg", "-q", "90",
               "-s", "4:2:0", "--no-progress") == 0
    assert (tmp_path / "out.jpg").read_bytes() == pillow_jpeg(picture, 90, "4:2:0")


def write_ppm(path: Path, pixels: np.ndarray, comment: bool = True) -> None:
    magic = b"P5" if pixels.ndim == 2 else b"P6"
    height, width = pixels.shape[:2]
    note = b"# made by a test\n" if comment else b""
    path.write_bytes(magic + b"\n" + note + f"{width} {height}\n255\n".encode() + pixels.tobytes())


def write_pam(path: Path, pixels: np.ndarray) -> None:
    height, width, depth = pixels.shape
    kind = {1: "GRAYSCALE", 3: "RGB", 4: "RGB_ALPHA"}[depth]
    header = f"P7\nWIDTH {width}\nHEIGHT {height}\nDEPTH {depth}\nMAXVAL 255\nTUPLTYPE {kind}\nENDHDR\n"
    path.write_bytes(header.encode() + pixels.tobytes())


@pytest.mark.parametrize("kind", ["npy", "ppm", "pgm", "pam_rgba", "npy_gray"])
def test_streamed_sources_are_memory_mapped_and_exact(tmp_path: Path, picture: np.ndarray,
                                                       kind: str) -> None:
    pixels = picture[:, :, 0].copy() if kind in ("pgm", "npy_gray") else picture
    if kind == "pam_rgba":
        alpha = np.full((*picture.shape[:2], 1), 200, np.uint8)
        pixels = np.concatenate([picture, alpha], axis=2)
    source = tmp_path / f"in.{kind}"
    if kind.startswith("npy"):
        np.save(tmp_path / "in.npy", pixels)
        source = tmp_path / "in.npy"
    elif kind == "pam_rgba":
        write_pam(source, pixels)
    else:
        write_ppm(source, pixels)
    opened = open_image(source)
    assert isinstance(opened, np.memmap) or isinstance(opened.base, np.memmap)
    np.testing.assert_array_equal(opened, pixels)
    assert run("encode", source, "-o", tmp_path / "out.jpg", "-q", "75", "--restart-rows", "2") == 0
    assert (tmp_path / "out.jpg").read_bytes() == pillow_jpeg(pixels, 75, restart_rows=2)


@pytest.mark.parametrize("flags, options", [
    (["--optimize"], dict(optimize=True)),
    (["--dpi", "300,150"], dict(dpi=(300, 150))),
    (["--dpi", "72"], dict(dpi=(72, 72))),
    (["--comment", "hello ☃"], dict(comment="hello ☃")),
    (["--icc", "{icc}"], dict(icc_profile=ICC)),
    (["--exif", "{exif}"], dict(exif=EXIF)),
    (["--qtables", "{qjson}"], dict(qtables=[RAMP, RAMP[::-1]])),
    (["--qtables", "{qtext}", "-q", "30"], dict(qtables=[RAMP], quality=30)),
    (["--optimize", "-s", "4:2:2", "--restart-rows", "0", "--comment", "x"],
     dict(optimize=True, subsampling="4:2:2", restart_rows=0, comment="x")),
    (["--smooth", "30", "-s", "4:2:0", "-q", "80"], dict(smooth=30, subsampling="4:2:0", quality=80)),
    (["--sample", "2x1", "-q", "80"], dict(subsampling="4:2:2", quality=80)),  # cjpeg's spelling
])
def test_pillow_option_flags_equal_pillow(tmp_path: Path, picture: np.ndarray, flags: list[str],
                                          options: dict) -> None:
    files = {"icc": tmp_path / "p.icc", "exif": tmp_path / "e.bin", "qjson": tmp_path / "q.json",
             "qtext": tmp_path / "q.txt"}
    files["icc"].write_bytes(ICC)
    files["exif"].write_bytes(EXIF)
    files["qjson"].write_text(json.dumps([RAMP, RAMP[::-1]]))
    files["qtext"].write_text("# one table, natural order\n" + "\n".join(
        " ".join(str(v) for v in RAMP[row * 8:row * 8 + 8]) for row in range(8)))
    flags = [flag.format(**files) for flag in flags]
    np.save(tmp_path / "in.npy", picture)
    assert run("encode", tmp_path / "in.npy", "-o", tmp_path / "out.jpg", *flags) == 0
    quality = options.pop("quality", None if "qtables" in options else 100)
    subsampling = options.pop("subsampling", "4:4:4")
    restart_rows = options.pop("restart_rows", 1)
    expected = pillow_jpeg(picture, quality, subsampling, restart_rows, **options)
    assert (tmp_path / "out.jpg").read_bytes() == expected


def test_restart_index_points_at_each_interval(tmp_path: Path, picture: np.ndarray) -> None:
    np.save(tmp_path / "in.npy", picture)
    assert run("encode", tmp_path / "in.npy", "-o", tmp_path / "out.jpg", "-s", "4:2:0",
               "--index", tmp_path / "out.json") == 0
    data = (tmp_path / "out.jpg").read_bytes()
    index = json.loads((tmp_path / "out.json").read_text())
    assert index["rows_per_interval"] == 16 and index["restart_interval_mcus"] == 13
    offsets = index["offsets"]
    assert len(offsets) == index["intervals"] == -(-123 // 16)
    sos = data.index(b"\xff\xda")
    assert offsets[0] == sos + 2 + int.from_bytes(data[sos + 2:sos + 4], "big")
    for number, offset in enumerate(offsets[1:]):
        assert data[offset - 2:offset] == bytes([0xFF, 0xD0 + number % 8])
    assert offsets == stripjpeg.save(tmp_path / "again.jpg", picture, subsampling="4:2:0")


def test_info_lists_segments(tmp_path: Path, picture: np.ndarray, capsys: pytest.CaptureFixture) -> None:
    (tmp_path / "a.jpg").write_bytes(pillow_jpeg(picture, 80, "4:2:0", comment=b"hi"))
    assert run("info", tmp_path / "a.jpg", "--json") == 0
    segments = json.loads(capsys.readouterr().out)
    names = [s["name"] for s in segments]
    assert names == ["SOI", "APP0", "COM", "DQT", "DQT", "SOF0", "DHT", "DHT", "DHT", "DHT", "DRI",
                     "SOS", "EOI"]
    sof = segments[5]
    assert (sof["width"], sof["height"]) == (201, 123)
    assert [c["sampling"] for c in sof["components"]] == ["2x2", "1x1", "1x1"]
    assert segments[10]["restart_interval"] == 13
    assert segments[11]["restart_markers"] == -(-123 // 16) - 1
    assert segments[-1]["offset"] == (tmp_path / "a.jpg").stat().st_size - 2
    assert run("info", tmp_path / "a.jpg") == 0
    table = capsys.readouterr().out
    assert "SOF0" in table and "restart_markers=7" in table


def test_example_command_equals_library_and_pillow(tmp_path: Path, capsys: pytest.CaptureFixture) -> None:
    assert run("example", "-o", tmp_path / "ex.jpg", "--size", "200x120", "-q", "85") == 0
    out = capsys.readouterr().out
    assert "identical, byte for byte" in out
    pixels = example_image(200, 120)
    assert (tmp_path / "ex.jpg").read_bytes() == stripjpeg.encode(pixels, 85) == pillow_jpeg(pixels, 85)


@pytest.mark.parametrize("dct,cjpeg_name", [("ifast", "fast"), ("float", "float")])
def test_example_command_with_another_dct_writes_cjpegs_bytes(tmp_path: Path, capsys: pytest.CaptureFixture,
                                                              dct: str, cjpeg_name: str) -> None:
    """--dct ifast / float: Pillow cannot be asked for them, so no comparison is printed and the
    exit status is 0; the file is cjpeg -dct fast / float's (restart markers every MCU row)."""
    assert run("example", "-o", tmp_path / "ex.jpg", "--size", "70x45", "-q", "90", "--dct", dct) == 0
    out = capsys.readouterr().out
    assert "identical" not in out and "DIFFERS" not in out
    source = tmp_path / "ex.ppm"
    Image.fromarray(example_image(70, 45)).save(source)
    expected = subprocess.run(["cjpeg", "-dct", cjpeg_name, "-quality", "90", "-sample", "1x1",
                               "-restart", "1", str(source)], capture_output=True, check=True).stdout
    assert (tmp_path / "ex.jpg").read_bytes() == expected
    with pytest.raises(SystemExit) as exit_info:   # argparse's own usage error
        run("example", "-o", tmp_path / "bad.jpg", "--dct", "double")
    assert exit_info.value.code == 2 and "invalid choice: 'double'" in capsys.readouterr().err
    assert not (tmp_path / "bad.jpg").exists()


def test_example_command_exits_1_when_pillow_differs(tmp_path: Path, capsys: pytest.CaptureFixture,
                                                     monkeypatch: pytest.MonkeyPatch) -> None:
    # Pillow is given other pixels (the example inverted), so its bytes really differ and
    # the real comparison has to notice.
    monkeypatch.setattr("stripjpeg.cli.example_image",
                        lambda width, height: 255 - example_image(width, height))
    assert run("example", "-o", tmp_path / "ex.jpg", "--size", "32x16") == 1
    out = capsys.readouterr().out
    assert "DIFFERS from what Pillow" in out and "identical" not in out
    # The file written is still the example's own encoding.
    assert (tmp_path / "ex.jpg").read_bytes() == stripjpeg.encode(example_image(32, 16))


def test_spool_dir_flag_places_the_spool(tmp_path: Path, monkeypatch: pytest.MonkeyPatch,
                                         capsys: pytest.CaptureFixture) -> None:
    spool_dirs = []
    create = tempfile.TemporaryFile

    def spy(*args, **kwargs):
        if kwargs.get("prefix") == "stripjpeg-spool-":
            spool_dirs.append(kwargs.get("dir"))
        return create(*args, **kwargs)

    monkeypatch.setattr(tempfile, "TemporaryFile", spy)
    # `example` streams its rows, so --optimize spools them; `encode` reads a whole array.
    assert run("example", "-o", tmp_path / "ex.jpg", "--size", "200x120", "-q", "85", "--optimize",
               "--spool-dir", tmp_path, "--spool-budget", "0") == 0
    assert "identical, byte for byte" in capsys.readouterr().out
    assert spool_dirs == [str(tmp_path)]
    assert (tmp_path / "ex.jpg").read_bytes() == pillow_jpeg(example_image(200, 120), 85, optimize=True)
    np.save(tmp_path / "in.npy", example_image(200, 120))
    assert run("encode", tmp_path / "in.npy", "-o", tmp_path / "en.jpg", "-q", "85", "--optimize",
               "--spool-dir", tmp_path, "--spool-budget", "0") == 0
    assert (tmp_path / "en.jpg").read_bytes() == (tmp_path / "ex.jpg").read_bytes()
    assert spool_dirs == [str(tmp_path)]


@pytest.mark.parametrize("argv, message", [
    (["encode", "{missing}", "-o", "{out}"], "No such file"),
    (["encode", "{npy}", "-o", "{out}", "-q", "101"], "quality must be from 1 to 100"),
    (["encode", "{short}", "-o", "{out}"], "truncated"),
    (["encode", "{float}", "-o", "{out}"], "dtype float32"),
    (["encode", "{npy}", "-o", "{out}", "--qtables", "{badq}"], "64 integers per table"),
    (["encode", "{npy}", "-o", "{out}", "--spool-dir", "{missing}"], "is not an existing directory"),
    (["encode", "{npy}", "-o", "{out}", "--spool-budget", "-1"], "spool_budget must be from 0 to"),
    (["info", "{short}"], "not a JPEG file"),
    (["info", "{cut}"], "truncated"),
])
def test_errors_are_one_line_and_leave_no_file(tmp_path: Path, picture: np.ndarray,
                                               capsys: pytest.CaptureFixture, argv: list[str],
                                               message: str) -> None:
    files = {"missing": tmp_path / "missing.png", "out": tmp_path / "out.jpg", "npy": tmp_path / "in.npy",
             "short": tmp_path / "short.ppm", "float": tmp_path / "f.npy", "badq": tmp_path / "q.txt",
             "cut": tmp_path / "cut.jpg"}
    np.save(files["npy"], picture)
    np.save(files["float"], picture.astype(np.float32))
    files["short"].write_bytes(b"P6\n100 100\n255\n" + bytes(500))
    files["badq"].write_text("1 2 3")
    files["cut"].write_bytes(pillow_jpeg(picture)[:3000])
    (tmp_path / "out.jpg").write_bytes(b"precious")
    assert run(*[arg.format(**files) for arg in argv]) == 2
    err = capsys.readouterr().err
    assert err.startswith("stripjpeg: error: ") and message in err and err.count("\n") == 1
    assert "Traceback" not in err
    assert (tmp_path / "out.jpg").read_bytes() == b"precious"
    assert sorted(p.name for p in tmp_path.iterdir()) == sorted(
        {p.name for p in files.values() if p.exists()} | {"out.jpg"})


def test_python_dash_m_runs_the_cli(tmp_path: Path) -> None:
    result = subprocess.run([sys.executable, "-m", "stripjpeg", "info", str(tmp_path / "nothing.jpg")],
                            capture_output=True, text=True, cwd=Path(__file__).parent.parent)
    assert result.returncode == 2
    assert result.stderr.startswith("stripjpeg: error: ") and "Traceback" not in result.stderr


def test_sizes_over_65500_warn_but_encode(tmp_path: Path, capsys: pytest.CaptureFixture) -> None:
    pixels = np.arange(65501, dtype=np.uint8).reshape(1, 65501)
    with pytest.warns(UserWarning, match="refuse sizes over 65500"):
        data = stripjpeg.encode(pixels, 50)
    assert stripjpeg.inspect.read_markers(data)[-1].name == "EOI"
    np.save(tmp_path / "wide.npy", pixels)
    assert run("encode", tmp_path / "wide.npy", "-o", tmp_path / "wide.jpg", "-q", "50") == 0
    assert "stripjpeg: warning: " in capsys.readouterr().err
    assert (tmp_path / "wide.jpg").read_bytes() == data
