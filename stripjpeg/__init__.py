"""stripjpeg: baseline JPEG encoding of images of any size, strip by strip.

Public API::

    stripjpeg.encode(pixels, quality=100, subsampling="4:4:4", ...) -> bytes
    stripjpeg.save(path_or_file, pixels, **options)
    stripjpeg.Encoder(path_or_file, width, height, mode="RGB", **options)   # .write(rows)
    stripjpeg.iter_encode(strips, width=W, height=H, mode="RGB", **options) # -> chunks
    await stripjpeg.encode_async(source, width=W, height=H, mode="RGB", **options)
    stripjpeg.encode_coefficients(coefficients, quantization_tables, ...) -> bytes
    stripjpeg.process_strip(pixel_data, width, luma_q_table, chroma_q_table) -> bytes
    stripjpeg.quantization_tables(quality) -> (luma, chroma)
    stripjpeg.describe(width=W, height=H, mode="RGB", **options)   # what an encode would do
    stripjpeg.backends.available() -> ["numba", "numpy"]
    stripjpeg.inspect.read_markers(jpeg_bytes)                       # the file, segment by segment
    stripjpeg.inspect.trace_block(pixels, row, col, **options)       # one block, stage by stage
    stripjpeg.trace_scans(pixels, row, col, **options)               # one block, scan by scan (progressive)
    stripjpeg.encode(pixels, lossless=True, predictor=1..7, precision=2..16)  # lossless JPEG (SOF3)
    stripjpeg.read_samples(lossless_jpeg) -> samples                 # a lossless file's exact samples
    stripjpeg.decode(jpeg, workers=None, rows=None) -> pixels          # Pillow's pixels, in parallel
    stripjpeg.iter_decode(jpeg, ...) -> strips of rows                # the same, strip by strip

Importing stripjpeg loads no backend and compiles nothing.
"""

from . import backends, inspect
from .aio import encode_async
from .api import Encoder, encode, iter_encode, save
from .coefficients import encode_coefficients
from .decoder import decode, iter_decode
from .describe import Description, describe
from .engine import process_strip
from .lossless_reader import read_samples
from .options import EncodeOptions
from .tables import quantization_tables
from .trace import trace_scans

#: The version, written here only: pyproject.toml reads it (setuptools' dynamic version).
__version__ = "0.1.0"

__all__ = [
    "Description",
    "EncodeOptions",
    "Encoder",
    "__version__",
    "backends",
    "decode",
    "describe",
    "encode",
    "encode_async",
    "encode_coefficients",
    "inspect",
    "iter_decode",
    "iter_encode",
    "process_strip",
    "quantization_tables",
    "read_samples",
    "save",
    "trace_scans",
]
