"""The ``stripjpeg`` command line (also ``python -m stripjpeg``).

::

    stripjpeg encode INPUT -o OUTPUT [options]   encode an image file (.npy/PGM/PPM/PAM/PNG streamed)
    stripjpeg example -o OUTPUT [--size WxH]      encode the built-in example, strip by strip
                                                  (exit 1 if its bytes differ from Pillow's)
    stripjpeg decode INPUT -o OUTPUT [options]   decode a JPEG file (.ppm/.pgm/.pam/.npy streamed)
    stripjpeg info FILE [--json]                  list a JPEG file's marker segments and scans
    stripjpeg compare A B [--heatmap PNG]         compare two JPEG files coefficient by coefficient

Errors are one line on stderr and exit status 2, never a traceback; a failed encode leaves
no output file (and an existing one untouched).
"""

from __future__ import annotations

import argparse
import json
import os
import sys
import time
import warnings
from collections.abc import Sequence
from typing import Any

import numpy as np

from . import __version__, backends
from .api import Encoder, encode, save
from .decoder import DECODE_DCT_METHODS, iter_decode
from .describe import describe
from .examples import example_image, example_strips
from .image_files import write_image
from .options import DCT_METHODS, DEFAULT_SPOOL_BUDGET, MODES, SUBSAMPLING_FACTORS, make_options
from .plan import Plan, make_plan
from .segments import ScanSummary, read_markers, read_scans
from .sinks import check_destination
from .sources import read_image

#: Exit status for a usage or input error (as argparse uses it).
EXIT_ERROR = 2
#: Exit status when files differ: ``compare``, and ``example`` when Pillow's bytes differ.
EXIT_DIFFERS = 1


def main(argv: Sequence[str] | None = None) -> int:
    """Run the command line; return the exit status."""
    parser = build_parser()
    args = parser.parse_args(argv)
    # Warnings become one line on stderr while the command runs; the hook is put back after,
    # so calling main() in-process (tests, notebooks) leaves the caller's warnings as they were.
    previous_hook = warnings.showwarning
    warnings.showwarning = _show_warning
    try:
        return args.run(args)
    except (ValueError, TypeError, OSError) as error:
        print(f"stripjpeg: error: {error}", file=sys.stderr)
        return EXIT_ERROR
    except KeyboardInterrupt:
        print("stripjpeg: interrupted", file=sys.stderr)
        return 130
    finally:
        warnings.showwarning = previous_hook


def _show_warning(message: Any, category: Any, filename: str, lineno: int,
                  file: Any = None, line: Any = None) -> None:
    print(f"stripjpeg: warning: {message}", file=sys.stderr)


def build_parser() -> argparse.ArgumentParser:
    """The argument parser with every subcommand."""
    parser = argparse.ArgumentParser(
        prog="stripjpeg",
        description="Baseline JPEG encoding, strip by strip, byte-identical to libjpeg-turbo.")
    parser.add_argument("--version", action="version", version=f"stripjpeg {__version__}")
    commands = parser.add_subparsers(dest="command", required=True, metavar="COMMAND")

    encode = commands.add_parser("encode", help="encode an image file to JPEG",
                                 description="Encode INPUT (.npy, PGM, PPM and PAM memory-mapped and "
                                             "streamed; PNG read row by row; TIFF, BMP, JPEG via "
                                             "Pillow) to JPEG.")
    encode.add_argument("input", help="the image file to encode")
    encode.add_argument("-o", "--output", required=True, help="the JPEG file to write")
    _add_encode_options(encode)
    encode.set_defaults(run=run_encode)

    example = commands.add_parser("example", help="encode the built-in example image",
                                  description="Generate the built-in example image strip by strip, "
                                              "encode it, and check the bytes against Pillow if installed: "
                                              "exit status 1 if they differ.")
    example.add_argument("-o", "--output", default="example.jpg", help="the JPEG file to write")
    example.add_argument("--size", type=_size, default=(4096, 4096), metavar="WxH",
                         help="image size in pixels (default 4096x4096)")
    _add_encode_options(example)
    example.set_defaults(run=run_example)

    decode = commands.add_parser(
        "decode", help="decode a JPEG file to pixels",
        description="Decode INPUT to the pixels Pillow (libjpeg-turbo) gives, byte for byte, "
                    "restart intervals in parallel. PGM/PPM/PAM and .npy outputs are written "
                    "strip by strip as the rows come; other formats (.png, .tif) through Pillow. "
                    "12-bit files give 16-bit samples (maxval 4095): .ppm/.pgm/.pam or a uint16 "
                    ".npy only. A failed decode leaves no output file.")
    decode.add_argument("input", help="the JPEG file to decode")
    decode.add_argument("-o", "--output", required=True,
                        help="the image to write: .ppm, .pgm, .pnm, .pam, .npy, .png, .tif, ...")
    decode.add_argument("--rows", type=_row_span, default=None, metavar="A:B",
                        help="decode only pixel rows A <= y < B (only the restart intervals "
                             "they need)")
    decode.add_argument("--workers", type=int, default=None,
                        help="threads (default: all cores; one for the numpy backend)")
    decode.add_argument("--backend", choices=backends.available(), default=None,
                        help="engine (default: the fastest available)")
    decode.add_argument("--dct", choices=list(DECODE_DCT_METHODS), default="islow",
                        help="inverse DCT: islow (libjpeg's default, as its SIMD code "
                             "computes it), islow-c (jidctint.c's plain C, djpeg with "
                             "JSIMD_FORCENONE=1), ifast or float (djpeg -dct fast / float)")
    decode.add_argument("--nosmooth", action="store_true",
                        help="box upsampling instead of fancy upsampling (djpeg -nosmooth)")
    decode.add_argument("--index", metavar="JSON",
                        help="the restart index 'encode --index' wrote: no marker scan")
    decode.add_argument("--no-strict", dest="strict", action="store_false",
                        help="decode what a truncated or corrupt file holds (a warning names "
                             "the problem) instead of failing")
    decode.set_defaults(run=run_decode)

    info = commands.add_parser("info", help="list a JPEG file's marker segments and scans",
                               description="List every marker segment of a JPEG file: offset, length "
                                           "and key fields; RST markers are counted per scan. Then one "
                                           "line per scan: its components, band Ss..Se, Ah/Al, "
                                           "entropy-coded bytes, and the DHT and DRI segments before it.")
    info.add_argument("file", help="a JPEG file")
    info.add_argument("--json", action="store_true", help="print JSON instead of a table")
    info.set_defaults(run=run_info)

    compare = commands.add_parser("compare", help="compare two JPEG files coefficient by coefficient",
                                  description="Compare two baseline JPEG files: headers, tables, every "
                                              "quantized coefficient, and the decoded images' PSNR. "
                                              "Exit status 0 if the coefficients and tables are "
                                              "identical, 1 if they differ.")
    compare.add_argument("a", help="a JPEG file")
    compare.add_argument("b", help="another JPEG file")
    compare.add_argument("--heatmap", metavar="PNG", help="draw where the blocks differ (needs matplotlib)")
    compare.set_defaults(run=run_compare)
    return parser


def _add_encode_options(parser: argparse.ArgumentParser) -> None:
    group = parser.add_argument_group("encode options (as in stripjpeg.encode)")
    group.add_argument("-q", "--quality", type=_quality, default=None, metavar="N[,N...]",
                       help="IJG quality 1..100 (default 100, or the --qtables as given); or one "
                            "per quantization table, as cjpeg -quality 90,70 (the last repeats)")
    group.add_argument("-s", "--subsampling", "--sample", default="4:4:4", metavar="S",
                       help=f"{', '.join(SUBSAMPLING_FACTORS)} (default 4:4:4), or cjpeg's -sample "
                            "HxV[,HxV...] with factors 1..4: '4x1' is libjpeg's 4:1:1, "
                            "'2x2,1x1,1x1' per component")
    group.add_argument("--rgb", action="store_true",
                       help="store RGB as R, G, B, no YCbCr conversion (cjpeg -rgb; Pillow's "
                            "keep_rgb=True); only with --subsampling 4:4:4")
    group.add_argument("--grayscale", action="store_true",
                       help="code colour input as one Y component (cjpeg -grayscale)")
    group.add_argument("--mode", choices=list(MODES), default=None,
                       help="what the input's channels are (Pillow's mode): e.g. CMYK or RGBX for "
                            "4 channels, YCbCr for 3 (default: the file's own mode; 4 channels "
                            "of a .npy or PAM are RGBA)")
    group.add_argument("--ycck", action="store_true",
                       help="store CMYK input as YCCK (libjpeg's JCS_YCCK, Adobe transform 2)")
    group.add_argument("--arithmetic", action="store_true",
                       help="arithmetic coding instead of Huffman (cjpeg -arithmetic)")
    group.add_argument("--smooth", type=int, default=0, metavar="N",
                       help="input smoothing 1..100 (cjpeg -smooth N, Pillow's smooth=N; "
                            "default 0 = off)")
    group.add_argument("--backend", choices=backends.available(), default=None,
                       help="engine (default: the fastest available)")
    group.add_argument("--workers", type=int, default=None,
                       help="threads (default: all cores; one for the numpy backend)")
    group.add_argument("--restart-rows", type=int, default=None, metavar="R",
                       help="a restart marker every R MCU rows (default 1; 0 = none)")
    group.add_argument("--restart-blocks", type=int, default=None, metavar="N",
                       help="a restart marker every N MCUs, 1..65535, mid-row if need be (cjpeg "
                            "-restart NB; replaces the default --restart-rows 1)")
    group.add_argument("--dct", choices=list(DCT_METHODS), default="islow",
                       help="forward DCT: islow (libjpeg's default), ifast or float (cjpeg -dct "
                            "fast / float), or exact (float64)")
    group.add_argument("--lossless", type=_lossless, default=None, metavar="PSV[,PT]",
                       help="a lossless JPEG (SOF3) with predictor PSV 1..7 and point transform "
                            "PT (default 0), as libjpeg-turbo's cjpeg -lossless; no --quality")
    group.add_argument("--precision", type=int, default=8, metavar="BITS",
                       help="bits per sample, 8 (default), 12 (lossy 12-bit samples, SOF1), "
                            "or with --lossless 2..16 (a PGM/PPM of up to 16 bits is read as "
                            "it is, memory-mapped; a 16-bit PNG keeps its 16 bits)")
    group.add_argument("--progress", action=argparse.BooleanOptionalAction, default=None,
                       help="show a progress bar on stderr (default: when stderr is a terminal)")
    group.add_argument("--index", metavar="JSON", help="also write the restart index as JSON")
    group.add_argument("--qtables", metavar="FILE",
                       help="custom quantization tables: JSON (a list of 1-4 lists of 64 integers) or "
                            "text (64 integers per table), natural row-major order, table 0 for Y")
    group.add_argument("--dpi", type=_dpi, metavar="X[,Y]", help="resolution for the JFIF header")
    group.add_argument("--icc", metavar="FILE", help="embed this ICC profile (APP2)")
    group.add_argument("--exif", metavar="FILE", help="embed these EXIF bytes (APP1)")
    group.add_argument("--xmp", metavar="FILE", help="embed this XMP packet (APP1, as Pillow's xmp)")
    group.add_argument("--comment", help="a comment (COM segment)")
    group.add_argument("--optimize", action="store_true", help="optimal Huffman tables (two passes)")
    group.add_argument("--progressive", action="store_true",
                       help="progressive JPEG (SOF2) with libjpeg's default scan script, as cjpeg "
                            "-progressive and Pillow's progressive=True write it")
    group.add_argument("--scans", metavar="FILE",
                       help="progressive JPEG with this scan script, in cjpeg's -scans format "
                            "(e.g. '0 1 2: 0-0, 0, 1;' per scan; implies --progressive)")
    group.add_argument("--baseline", action=argparse.BooleanOptionalAction, default=True,
                       help="clamp quantization steps to 255, 8-bit tables, a baseline frame "
                            "(default, as Pillow; cjpeg -baseline). --no-baseline is cjpeg's "
                            "default: qualities under 24 keep larger steps, 16-bit tables, SOF1")
    group.add_argument("--streamtype", type=int, choices=(0, 1, 2), default=0,
                       help="Pillow's streamtype: 0 a normal file (default), 1 the tables only "
                            "(DQT, DHT), 2 the image only (no DQT; DHT only if optimized)")
    group.add_argument("--describe", action="store_true",
                       help="print what the encode does (process, components, tables, scans, "
                            "backend stages) to stderr first, as stripjpeg.describe() gives it")
    group.add_argument("--spool-dir", metavar="DIR",
                       help="directory for the coefficient spool (default: the system temporary "
                            "directory): of --progressive, and of --optimize on a stream ('encode' "
                            "reads its input as a whole array, which --optimize does not spool)")
    group.add_argument("--spool-budget", type=int, default=DEFAULT_SPOOL_BUDGET, metavar="BYTES",
                       help="bytes of that spool kept in memory before the rest goes to --spool-dir "
                            f"(default {DEFAULT_SPOOL_BUDGET}, 32 MiB; 0 = all on disk)")


def _size(text: str) -> tuple[int, int]:
    try:
        width, height = (int(part) for part in text.lower().split("x"))
    except ValueError:
        raise argparse.ArgumentTypeError(f"expected WIDTHxHEIGHT, e.g. 4096x4096; got {text!r}") from None
    return width, height


def _row_span(text: str) -> tuple[int, int]:
    try:
        first, stop = (int(part) for part in text.split(":"))
    except ValueError:
        raise argparse.ArgumentTypeError(f"expected A:B (pixel rows A <= y < B); got {text!r}") from None
    return first, stop


def _dpi(text: str) -> tuple[float, float]:
    try:
        values = [float(part) for part in text.replace("x", ",").split(",")]
    except ValueError:
        values = []
    if len(values) not in (1, 2):
        raise argparse.ArgumentTypeError(f"expected X or X,Y (dots per inch); got {text!r}")
    return (values[0], values[-1])


def read_qtables(path: str) -> list[list[int]]:
    """Read quantization tables from a file: JSON (a list of tables, or {index: table}) or
    plain text holding 64 integers per table (whitespace or commas; '#' starts a comment)."""
    with open(path, encoding="utf-8") as file:
        text = file.read()
    if text.lstrip()[:1] not in ("[", "{"):
        return _qtables_from_text(text, path)
    try:
        value = json.loads(text)
    except json.JSONDecodeError as error:
        raise ValueError(f"{path}: invalid JSON ({error})") from None
    if isinstance(value, dict):
        value = {int(key): table for key, table in value.items()}
    return value


def _qtables_from_text(text: str, path: str) -> list[list[int]]:
    words = " ".join(line.split("#")[0] for line in text.splitlines()).replace(",", " ").split()
    try:
        numbers = [int(word) for word in words]
    except ValueError:
        raise ValueError(f"{path}: quantization tables must be JSON or integers") from None
    if not numbers or len(numbers) % 64:
        raise ValueError(f"{path}: expected 64 integers per table, got {len(numbers)} integers")
    return [numbers[start:start + 64] for start in range(0, len(numbers), 64)]


def _quality(text: str) -> int | tuple[int, ...]:
    """``-q`` as cjpeg's ``-quality N[,N...]``: one int, or one per quantization table."""
    try:
        values = tuple(int(word) for word in text.split(","))
    except ValueError:
        raise argparse.ArgumentTypeError(f"quality must be N or N,N,... (ints), got {text!r}") from None
    return values[0] if len(values) == 1 else values


def _lossless(text: str) -> tuple[int, int]:
    """``--lossless PSV[,PT]``, cjpeg's ``-lossless`` argument."""
    try:
        values = [int(word) for word in text.split(",")]
    except ValueError:
        raise argparse.ArgumentTypeError(f"--lossless takes PSV or PSV,PT (ints), got {text!r}") from None
    if len(values) not in (1, 2):
        raise argparse.ArgumentTypeError(f"--lossless takes PSV or PSV,PT, got {text!r}")
    return values[0], values[1] if len(values) == 2 else 0


def encode_options(args: argparse.Namespace) -> dict[str, Any]:
    """The keyword options for :func:`stripjpeg.encode` that the flags ask for."""
    # The library takes Pillow's quality 0 and over 100 (clamped); the command line is strict.
    qualities = args.quality if isinstance(args.quality, tuple) else (args.quality,)
    for quality in qualities:
        if quality is not None and not 1 <= quality <= 100:
            raise ValueError(f"quality must be from 1 to 100, got {quality}")
    progress = args.progress
    if progress is None:
        progress = sys.stderr.isatty() and _has_tqdm()
    options: dict[str, Any] = {
        "quality": args.quality, "subsampling": args.subsampling, "backend": args.backend,
        "workers": args.workers, "restart_rows": args.restart_rows,
        "restart_blocks": args.restart_blocks, "dct": args.dct,
        "progress": progress, "dpi": args.dpi, "comment": args.comment, "optimize": args.optimize,
        "spool_dir": args.spool_dir, "spool_budget": args.spool_budget,
        "progressive": args.progressive, "keep_rgb": args.rgb, "grayscale": args.grayscale,
        "baseline": args.baseline, "streamtype": args.streamtype, "ycck": args.ycck,
        "arithmetic": args.arithmetic, "smooth": args.smooth,
    }
    if getattr(args, "precision", 8) != 8:
        options["precision"] = args.precision
    if getattr(args, "lossless", None) is not None:
        options.update(lossless=True, predictor=args.lossless[0], point_transform=args.lossless[1])
    if args.scans:
        with open(args.scans, encoding="utf-8") as file:
            options["scans"] = file.read()
    if args.qtables:
        options["qtables"] = read_qtables(args.qtables)
    for flag, option in (("icc", "icc_profile"), ("exif", "exif"), ("xmp", "xmp")):
        if getattr(args, flag):
            with open(getattr(args, flag), "rb") as file:
                options[option] = file.read()
    return options


def _has_tqdm() -> bool:
    import importlib.util

    return importlib.util.find_spec("tqdm") is not None


def run_encode(args: argparse.Namespace) -> int:
    """``stripjpeg encode``: a memory-mapped source is read strip by strip, never whole.

    The output path is checked first, before the input is even opened (save checks it again)."""
    check_destination(args.output)
    options = encode_options(args)
    if options.get("lossless") and args.index:
        raise ValueError("--index describes the restart intervals of a DCT-based file; it is not "
                         "written for --lossless")
    pixels, mode = read_image(args.input, options.get("precision", 8))
    mode = args.mode or mode
    if args.describe:
        print(describe(width=pixels.shape[1], height=pixels.shape[0], mode=mode, **options),
              file=sys.stderr)
    started = time.perf_counter()
    offsets = save(args.output, pixels, mode=mode, **options)
    elapsed = time.perf_counter() - started
    if args.index:
        channels = 1 if pixels.ndim == 2 else pixels.shape[2]
        plan = make_plan(pixels.shape[1], pixels.shape[0], channels, make_options(**options),
                         mode=mode)
        write_index(args.index, args.output, plan, offsets)
    _report(args.output, pixels.shape[1], pixels.shape[0], elapsed)
    return 0


def run_example(args: argparse.Namespace) -> int:
    """``stripjpeg example``: generate the example strip by strip, encode it as it comes."""
    width, height = args.size
    if args.mode not in (None, "RGB"):
        raise ValueError(f"--mode {args.mode}: the example image is RGB (--mode is for the "
                         "input of 'stripjpeg encode')")
    options = encode_options(args)
    if args.describe:
        print(describe(width=width, height=height, mode="RGB", **options), file=sys.stderr)
    backend = backends.get(options["backend"]).name
    started = time.perf_counter()
    # A tiny image with the same options first: the kernels compile (or load) once, here.
    encode(np.zeros((16, 16, 3), np.uint8), **{**options, "progress": False})
    ready = time.perf_counter() - started
    if ready > 0.1:
        print(f"{backend} backend ready in {ready:.2f} s (kernels compiled once, then cached)")
    started = time.perf_counter()
    with Encoder(args.output, width, height, mode="RGB", **options) as encoder:
        for rows in example_strips(width, height):
            encoder.write(rows)
    elapsed = time.perf_counter() - started
    if args.index:
        write_index(args.index, args.output, encoder.plan, encoder.restart_offsets)
    _report(args.output, width, height, elapsed, "generated and encoded strip by strip")
    same = matches_pillow(args.output, example_image(width, height), options)
    if same is None:
        return 0
    if same:
        print("identical, byte for byte, to what Pillow (libjpeg-turbo) writes for the same pixels")
        return 0
    # The example exists to show the bytes match; a mismatch is a failure, like `compare`'s.
    print("DIFFERS from what Pillow (libjpeg-turbo) writes for the same pixels")
    return EXIT_DIFFERS


def _report(path: str, width: int, height: int, seconds: float, what: str = "encoded") -> None:
    size = os.path.getsize(path)
    megapixels = width * height / 1e6
    print(f"wrote {path}: {width}x{height}, {size:,} bytes ({8 * size / (width * height):.2f} bits/pixel); "
          f"{what} in {seconds:.2f} s ({megapixels / seconds:.1f} MP/s)")


def matches_pillow(path: str, pixels: np.ndarray, options: dict[str, Any]) -> bool | None:
    """Whether the file holds the bytes Pillow writes for the same pixels and options; None
    when that cannot be checked (no Pillow; a dct other than islow, which Pillow cannot ask
    for; a side over 65500, which
    Pillow refuses)."""
    try:
        import io

        from PIL import Image
    except ImportError:
        return None
    if options["dct"] != "islow" or max(pixels.shape[:2]) > 65500 or options.get("lossless"):
        return None
    if options.get("grayscale") or options.get("arithmetic") or \
            isinstance(options["quality"], tuple) or not options.get("baseline", True):
        return None  # cjpeg's -grayscale, -arithmetic, -quality N,N and default (no -baseline): not Pillow's
    pillow_options: dict[str, Any] = {"quality": options["quality"] or 100,
                                      "subsampling": options["subsampling"],
                                      "optimize": options["optimize"],
                                      "keep_rgb": options.get("keep_rgb", False)}
    if options.get("scans") is not None:
        return None  # Pillow has no scan scripts
    if options.get("progressive"):
        pillow_options["progressive"] = True
    if options.get("streamtype"):
        pillow_options["streamtype"] = options["streamtype"]
    if options.get("qtables") is not None:
        pillow_options["qtables"] = options["qtables"]
        if options["quality"] is None:
            del pillow_options["quality"]
    rows = options.get("restart_rows")
    if options.get("restart_blocks"):
        pillow_options["restart_marker_blocks"] = options["restart_blocks"]
    elif rows is None or rows:
        pillow_options["restart_marker_rows"] = 1 if rows is None else rows
    for key in ("dpi", "icc_profile", "exif", "comment", "xmp"):
        if options.get(key) is not None:
            pillow_options[key] = options[key]
    buffer = io.BytesIO()
    Image.fromarray(pixels).save(buffer, "JPEG", **pillow_options)
    with open(path, "rb") as file:
        return file.read() == buffer.getvalue()


def write_index(index_path: str, jpeg_path: str, plan: Plan, offsets: list[int]) -> None:
    """Write the restart index beside the JPEG: where each restart interval's data starts.

    JSON fields: ``jpeg`` (file name), ``width``, ``height``, ``restart_interval_mcus``,
    ``rows_per_interval`` (pixel rows each interval covers, the last may cover fewer; null
    with ``--restart-blocks`` intervals that are not whole MCU rows), ``offsets`` (byte
    offset of each interval's first entropy-coded byte, just after its RSTn marker; the first
    just after SOS).
    """
    index = {"jpeg": os.path.basename(jpeg_path), "width": plan.width, "height": plan.height,
             "restart_interval_mcus": plan.restart_interval,
             "rows_per_interval": (None if plan.restart_blocks else
                                   plan.strip_height if plan.restart_interval else plan.height),
             "intervals": len(offsets), "offsets": offsets}
    temporary = index_path + ".tmp"
    with open(temporary, "w", encoding="utf-8") as file:
        json.dump(index, file)
        file.write("\n")
    os.replace(temporary, index_path)


def run_decode(args: argparse.Namespace) -> int:
    """``stripjpeg decode``: the strips go to the output as they are decoded."""
    check_destination(args.output)
    started = time.perf_counter()
    strips = iter_decode(args.input, workers=args.workers, rows=args.rows, backend=args.backend,
                         dct=args.dct, fancy_upsampling=not args.nosmooth, strict=args.strict,
                         index=args.index)
    try:
        write_image(args.output, strips, strips.width, strips.height, strips.channels,
                    strips.maxval)
    finally:
        strips.close()
    elapsed = time.perf_counter() - started
    megapixels = strips.width * strips.height / 1e6
    print(f"wrote {args.output}: {strips.width}x{strips.height}, {strips.channels} channel"
          f"{'s' if strips.channels > 1 else ''}; decoded in {elapsed:.2f} s "
          f"({megapixels / max(elapsed, 1e-9):.1f} MP/s)")
    return 0


def run_info(args: argparse.Namespace) -> int:
    """``stripjpeg info``: one line per marker segment, then one per scan; or JSON (the
    segments only: each SOS carries its scan number)."""
    segments = read_markers(args.file)
    if args.json:
        print(json.dumps([{"name": s.name, "offset": s.offset, "length": s.length, **s.fields}
                          for s in segments], indent=1))
        return 0
    print(f"{'offset':>10}  {'name':<5} {'length':>6}  fields")
    for segment in segments:
        print(segment.describe())
    scans = read_scans(segments)
    print(f"\n{len(scans)} scan{'s' if len(scans) != 1 else ''}:")
    print(ScanSummary.HEADER)
    for scan in scans:
        print(scan.describe())
    return 0


def run_compare(args: argparse.Namespace) -> int:
    """``stripjpeg compare``: 0 when identical, 1 when the files differ (like cmp)."""
    from .inspect import compare

    report = compare(args.a, args.b)
    print(report)
    if args.heatmap:
        report.save_heatmap(args.heatmap)
        print(f"heatmap written to {args.heatmap}")
    return 0 if report.identical else EXIT_DIFFERS
