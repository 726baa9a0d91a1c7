"""The independent judges: Pillow (libjpeg-turbo) writes the expected bytes; djpeg,
jpeginfo and ffmpeg decode strictly. Also the test images: real photos and edge cases."""

from __future__ import annotations

import functools
import io
import re
import shutil
import subprocess
from pathlib import Path

import numpy as np
from PIL import Image

PHOTOS = ("astronaut", "chelsea", "coffee", "rocket", "motorcycle_left", "camera")


def pillow_jpeg(pixels: np.ndarray, quality: int | None = 100, subsampling: str = "4:4:4",
                restart_rows: int = 1, **extra) -> bytes:
    """What Pillow writes for the same pixels and settings (alpha dropped, as we do).
    ``quality=None`` passes no quality (with ``qtables``: the tables as given)."""
    if pixels.ndim == 3 and pixels.shape[2] == 4:
        pixels = pixels[:, :, :3]
    if pixels.ndim == 3 and pixels.shape[2] == 1:
        pixels = pixels[:, :, 0]
    options = dict(subsampling=subsampling, **extra)
    if quality is not None:
        options["quality"] = quality
    if restart_rows:
        options["restart_marker_rows"] = restart_rows
    buffer = io.BytesIO()
    Image.fromarray(np.ascontiguousarray(pixels)).save(buffer, "JPEG", **options)
    return buffer.getvalue()


@functools.cache
def photo(name: str) -> np.ndarray:
    """A real photograph shipped with scikit-image, as uint8 (H, W, 3) or (H, W)."""
    data_dir = Path(__import__("skimage").data.__file__).parent
    path = next(data_dir.glob(f"{name}.*"))
    array = np.asarray(Image.open(path))
    array.flags.writeable = False
    return array


def synthetic_cases() -> dict[str, np.ndarray]:
    """Edge cases where 'almost right' encoders break."""
    rng = np.random.default_rng(7)
    y, x = np.mgrid[0:67, 0:91]
    checker = (((y // 1 + x // 1) % 2) * 255).astype(np.uint8)
    cases = {
        "saturated": np.stack([(x * 3 % 256 > 127) * 255, (y * 5 % 256 > 127) * 255,
                               ((x + y) % 2) * 255], axis=-1).astype(np.uint8),
        "checkerboard_1px": np.stack([checker] * 3, axis=-1),
        "checkerboard_8px": np.stack([(((y // 8 + x // 8) % 2) * 255).astype(np.uint8)] * 3, axis=-1),
        "flat_black": np.zeros((40, 40, 3), np.uint8),
        "flat_white": np.full((40, 40, 3), 255, np.uint8),
        "flat_grey_block": np.full((8, 8, 3), 128, np.uint8),
        "noise": rng.integers(0, 256, (50, 70, 3), dtype=np.uint8),
        "gradient": np.stack([x * 255 // 90, y * 255 // 66, (x + y) * 255 // 156], -1).astype(np.uint8),
        # A lone spike at the end of a block: long zero runs (ZRL) then one coefficient.
        "long_zero_runs": _spikes(),
        "pure_red": np.broadcast_to(np.array([255, 0, 0], np.uint8), (24, 24, 3)).copy(),
        "pure_blue": np.broadcast_to(np.array([0, 0, 255], np.uint8), (17, 9, 3)).copy(),
    }
    return cases


def _spikes() -> np.ndarray:
    image = np.full((32, 32, 3), 128, np.uint8)
    image[7::8, 7::8] = 255
    image[3::16, 5::16] = 0
    return image


def have(tool: str) -> bool:
    return shutil.which(tool) is not None


def djpeg_decode(data: bytes) -> np.ndarray:
    """Decode with libjpeg-turbo's djpeg; any warning on stderr fails."""
    result = subprocess.run(["djpeg", "-pnm"], input=data, capture_output=True, check=False)
    assert result.returncode == 0 and not result.stderr, result.stderr.decode()
    return _read_pnm(result.stdout)


def jpeginfo_check(data: bytes, tmp_path: Path) -> str:
    """jpeginfo -c: a strict integrity check; must report [OK] with no warning."""
    path = tmp_path / "check.jpg"
    path.write_bytes(data)
    result = subprocess.run(["jpeginfo", "-c", str(path)], capture_output=True, text=True, check=False)
    assert result.returncode == 0, result.stdout + result.stderr
    assert result.stdout.rstrip().endswith("OK") and "WARNING" not in result.stdout.upper(), result.stdout
    return result.stdout


def ffmpeg_decode(data: bytes, gray: bool, tmp_path: Path, tiny: bool = False) -> np.ndarray:
    """Decode with ffmpeg's own JPEG decoder (an independent implementation), strict.

    Args:
        tiny: the image is 1x1, or progressive with restart markers; ffmpeg 5's decoder then
            reports "EOI missing, emulating" even for libjpeg-turbo's own file (the same bytes
            Pillow writes), so that one message is allowed; that the file ends in EOI is
            asserted here instead.
    """
    path = tmp_path / "in.jpg"
    path.write_bytes(data)
    result = subprocess.run(
        ["ffmpeg", "-v", "warning", "-xerror", "-err_detect", "explode", "-i", str(path),
         "-f", "rawvideo", "-pix_fmt", "gray" if gray else "rgb24", "-"],
        capture_output=True, check=False)
    assert data.endswith(b"\xff\xd9")
    benign = [
        # swscale's note that the decoder's full-range "yuvj" pixel formats are deprecated,
        # printed for every JPEG, and its repetitions.
        "deprecated pixel format used", "Last message repeated",
        # The raw video muxer's note on a frame of a few bytes.
        "bitrate parameter is set too low",
    ] + (["EOI missing, emulating"] if tiny else [])
    messages = [line for line in result.stderr.decode().splitlines()
                if not any(note in line for note in benign)]
    assert result.returncode == 0 and not messages, "\n".join(messages)
    return np.frombuffer(result.stdout, dtype=np.uint8)


def _read_pnm(data: bytes) -> np.ndarray:
    # Header: magic, width, height, maxval, then exactly one whitespace byte before the
    # samples (which may themselves start with whitespace-valued bytes).
    header = re.match(rb"(P[56])\s+(\d+)\s+(\d+)\s+255\s", data)
    assert header, data[:20]
    channels = {b"P5": 1, b"P6": 3}[header.group(1)]
    pixels = np.frombuffer(data[header.end():], dtype=np.uint8)
    return pixels.reshape(int(header.group(3)), int(header.group(2)), channels)


def psnr(a: np.ndarray, b: np.ndarray) -> float:
    error = np.mean((a.astype(np.float64) - b.astype(np.float64)) ** 2)
    return float("inf") if error == 0 else 10 * np.log10(255.0 ** 2 / error)
