"""The coefficient reader against libjpeg (through jpeglib) on files from other encoders
(cjpeg, OpenCV, Pillow's CMYK), and fuzzed from seed files of every layout.

The oracle tests make each file from real pixels with the other encoder, then require every
coefficient of every component, and every quantization table, to equal what libjpeg's
``jpeg_read_coefficients`` gives. The fuzz mutates seeds of every layout the reader handles
and requires each mutant either to read as a well-formed result or to fail with a
``ValueError``, in under a second.
"""

from __future__ import annotations

import io
import subprocess
from pathlib import Path

import numpy as np
import pytest
from oracle import photo

from stripjpeg.inspect import read_coefficients, read_jpeg, read_markers
from stripjpeg.reader import DecodedJpeg

jpeglib = pytest.importorskip("jpeglib")
cv2 = pytest.importorskip("cv2")


def crop(rows: int, cols: int, name: str = "astronaut") -> np.ndarray:
    """A few hundred pixels of a real photo (fast to read in pure Python)."""
    return np.ascontiguousarray(photo(name)[100:100 + rows, 150:150 + cols])


def ppm(pixels: np.ndarray, path: Path) -> Path:
    """Write binary PPM/PGM for cjpeg."""
    magic = b"P5" if pixels.ndim == 2 else b"P6"
    path.write_bytes(magic + f"\n{pixels.shape[1]} {pixels.shape[0]}\n255\n".encode() + pixels.tobytes())
    return path


def cjpeg(pixels: np.ndarray, tmp_path: Path, *args: str) -> bytes:
    """What libjpeg-turbo's cjpeg writes for these pixels with these switches."""
    source = ppm(pixels, tmp_path / ("in.pgm" if pixels.ndim == 2 else "in.ppm"))
    result = subprocess.run(["cjpeg", *args, str(source)], capture_output=True, check=True)
    return result.stdout


def pillow_cmyk(pixels: np.ndarray, quality: int) -> bytes:
    from PIL import Image

    buffer = io.BytesIO()
    Image.fromarray(pixels).convert("CMYK").save(buffer, "JPEG", quality=quality)
    return buffer.getvalue()


def opencv(pixels: np.ndarray, *params: int) -> bytes:
    ok, encoded = cv2.imencode(".jpg", pixels, list(params))
    assert ok
    return encoded.tobytes()


def sof(data: bytes) -> tuple[int, bytes]:
    """The first SOFn marker code and its payload, found with read_markers' offsets."""
    for segment in read_markers(data):
        if segment.name.startswith("SOF"):
            start = segment.offset + 4
            return segment.marker, data[start:start + segment.length - 2]
    raise AssertionError("no SOF")


def assert_equals_libjpeg(data: bytes, tmp_path: Path) -> DecodedJpeg:
    """Every coefficient and table equal to libjpeg's (jpeglib.read_dct)."""
    path = tmp_path / "oracle.jpg"
    path.write_bytes(data)
    theirs = jpeglib.read_dct(str(path))
    ours = read_jpeg(data)
    libjpeg_components = [theirs.Y]
    if theirs.has_chrominance:
        libjpeg_components += [theirs.Cb, theirs.Cr]
    if theirs.has_black:
        libjpeg_components.append(theirs.K)
    assert len(ours.coefficients) == len(libjpeg_components) == theirs.num_components
    for index, (a, b) in enumerate(zip(ours.coefficients, libjpeg_components)):
        assert a.dtype == np.int16 and a.shape == b.shape, index
        np.testing.assert_array_equal(a, b, err_msg=f"component {index}")
        table = theirs.qt[theirs.quant_tbl_no[index]]
        np.testing.assert_array_equal(ours.quant_tables[index].reshape(8, 8), table,
                                      err_msg=f"table of component {index}")
    # jpeglib lists sampling factors as (V, H).
    assert [(c.v, c.h) for c in ours.components] == [tuple(f) for f in theirs.samp_factor.tolist()]
    return ours


# --- Files from other encoders against libjpeg ------------------------------------------------

SEQUENTIAL_SCANS = "0: 0 63 0 0;\n1: 0 63 0 0;\n2: 0 63 0 0;\n"  # one full scan per component
PARTLY_INTERLEAVED_SCANS = "0: 0 63 0 0;\n1 2: 0 63 0 0;\n"
PROGRESSIVE_SCANS = "0 1 2: 0 0 0 0;\n0: 1 63 0 0;\n1: 1 63 0 0;\n2: 1 63 0 0;\n"

CJPEG_CASES = {  # name: (rows, cols, gray, switches)
    "sample-1x2": (101, 77, False, ["-sample", "1x2", "-quality", "85"]),
    "sample-4x1": (64, 93, False, ["-sample", "4x1", "-quality", "60"]),
    "sample-2x2,2x1,1x1": (57, 70, False, ["-sample", "2x2,2x1,1x1"]),
    "restart-3-MCUs": (48, 120, False, ["-restart", "3B", "-quality", "90"]),
    "restart-1-row-gray": (41, 33, True, ["-restart", "1", "-grayscale"]),
    "grayscale": (37, 45, False, ["-grayscale", "-quality", "95"]),
    "optimize": (64, 64, False, ["-optimize", "-quality", "100", "-sample", "1x1"]),
    "optimize-restart-odd": (35, 51, False, ["-optimize", "-restart", "2B", "-quality", "30"]),
    "odd-1x1": (1, 1, False, []),
    "odd-3x17": (3, 17, False, ["-quality", "5"]),
    "dct-float": (40, 40, False, ["-dct", "float", "-quality", "99"]),
}


@pytest.mark.parametrize("name", CJPEG_CASES)
def test_cjpeg_files_read_as_libjpeg_reads_them(name: str, tmp_path: Path) -> None:
    rows, cols, gray, switches = CJPEG_CASES[name]
    pixels = crop(rows, cols)
    data = cjpeg(pixels[:, :, 1] if gray else pixels, tmp_path, *switches)
    decoded = assert_equals_libjpeg(data, tmp_path)
    if "-sample" in switches:
        factors = switches[switches.index("-sample") + 1].split(",")
        assert [f"{c.h}x{c.v}" for c in decoded.components][:len(factors)] == factors
    if "-restart" in switches:
        assert decoded.restart_interval > 0
        if name == "restart-3-MCUs":
            assert decoded.restart_interval == 3  # every 3 MCUs, not rows
    if gray or "-grayscale" in switches:
        assert len(decoded.components) == 1


@pytest.mark.parametrize("script", [SEQUENTIAL_SCANS, PARTLY_INTERLEAVED_SCANS], ids=["3-scans", "2-scans"])
def test_cjpeg_multi_scan_sequential_files(script: str, tmp_path: Path) -> None:
    # cjpeg -scans with Ss=0, Se=63, Ah=Al=0 everywhere writes a sequential (SOF0) file with
    # one SOS per line of the script: non-interleaved scans, which the reader must follow.
    (tmp_path / "scans.txt").write_text(script)
    data = cjpeg(crop(50, 83), tmp_path, "-scans", str(tmp_path / "scans.txt"))
    assert sof(data)[0] == 0xC0
    assert [s.name for s in read_markers(data)].count("SOS") == script.count(";")
    assert_equals_libjpeg(data, tmp_path)


def test_cjpeg_progressive_files_are_refused_by_name(tmp_path: Path) -> None:
    (tmp_path / "scans.txt").write_text(PROGRESSIVE_SCANS)
    data = cjpeg(crop(32, 32), tmp_path, "-scans", str(tmp_path / "scans.txt"))
    assert sof(data)[0] == 0xC2
    with pytest.raises(ValueError, match=r"progressive JPEG \(SOF2\)"):
        read_coefficients(data)


def test_cjpeg_16_bit_quantization_table(tmp_path: Path) -> None:
    # A step over 255 (without -baseline) makes libjpeg write a 16-bit DQT and an SOF1 frame.
    steps = np.arange(1, 65).reshape(8, 8)
    steps[0, 0] = 300
    (tmp_path / "tables.txt").write_text("\n".join(" ".join(map(str, row)) for row in steps))
    data = cjpeg(crop(40, 56), tmp_path, "-qtables", str(tmp_path / "tables.txt"), "-qslots", "0")
    dqt = [s for s in read_markers(data) if s.name == "DQT"]
    assert "0 (16-bit)" in dqt[0].fields["tables"]
    assert sof(data)[0] == 0xC1
    decoded = assert_equals_libjpeg(data, tmp_path)
    assert decoded.process == "extended" and decoded.quant_tables[0][0] == 300
    np.testing.assert_array_equal(decoded.quant_tables[0].reshape(8, 8), steps)


@pytest.mark.parametrize("quality", [40, 92])
def test_pillow_cmyk_files(quality: int, tmp_path: Path) -> None:
    data = pillow_cmyk(crop(45, 61, "chelsea"), quality)
    names = [s.name for s in read_markers(data)]
    assert "APP14" in names  # Adobe marker: the four components are (inverted) CMYK
    decoded = assert_equals_libjpeg(data, tmp_path)
    assert len(decoded.components) == 4 and decoded.subsampling is None


OPENCV_CASES = {
    "q60-4:1:1-rst5": lambda: [cv2.IMWRITE_JPEG_QUALITY, 60, cv2.IMWRITE_JPEG_SAMPLING_FACTOR,
                               cv2.IMWRITE_JPEG_SAMPLING_FACTOR_411, cv2.IMWRITE_JPEG_RST_INTERVAL, 5],
    "q95-4:4:0-optimize": lambda: [cv2.IMWRITE_JPEG_QUALITY, 95, cv2.IMWRITE_JPEG_SAMPLING_FACTOR,
                                   cv2.IMWRITE_JPEG_SAMPLING_FACTOR_440, cv2.IMWRITE_JPEG_OPTIMIZE, 1],
    "q75-4:2:2-chroma-q20": lambda: [cv2.IMWRITE_JPEG_QUALITY, 75, cv2.IMWRITE_JPEG_SAMPLING_FACTOR,
                                     cv2.IMWRITE_JPEG_SAMPLING_FACTOR_422,
                                     cv2.IMWRITE_JPEG_CHROMA_QUALITY, 20],
    "q100-4:4:4-rst1": lambda: [cv2.IMWRITE_JPEG_QUALITY, 100, cv2.IMWRITE_JPEG_SAMPLING_FACTOR,
                                cv2.IMWRITE_JPEG_SAMPLING_FACTOR_444, cv2.IMWRITE_JPEG_RST_INTERVAL, 1],
}


@pytest.mark.parametrize("name", OPENCV_CASES)
def test_opencv_files(name: str, tmp_path: Path) -> None:
    data = opencv(crop(53, 74, "coffee")[:, :, ::-1], *OPENCV_CASES[name]())
    decoded = assert_equals_libjpeg(data, tmp_path)
    assert decoded.restart_interval == {"q60-4:1:1-rst5": 5, "q100-4:4:4-rst1": 1}.get(name, 0)


def test_opencv_grayscale(tmp_path: Path) -> None:
    assert_equals_libjpeg(opencv(crop(29, 90, "camera"), cv2.IMWRITE_JPEG_QUALITY, 70), tmp_path)
