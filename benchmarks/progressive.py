"""Progressive JPEG against Pillow's ``progressive=True``: the same bytes, timed in one run.

For each setting, Pillow and stripjpeg (one worker, and default workers) are timed interleaved,
best of ``--repeats``, after checking that all three write the same bytes; ``restart_rows=0``
is Pillow's default layout (one bit stream per scan), ``restart_rows=1`` Pillow's
``restart_marker_rows=1``. Also the time of each phase of one encode (one worker): the
transform with the symbol counting, then the scans' coding.

    python benchmarks/progressive.py                       # 2048 x 2048 example image
    python benchmarks/progressive.py --size 4096 --photo   # the photo mosaic instead
    python benchmarks/progressive.py --tasks               # also each worker task's time

``--tasks`` times every task of one encode on two threads (q75 4:2:0): the transform-and-count
tasks of the first phase and the scans coded in the second, against the same work on one
thread, which shows how much the two threads slow each other down.
"""

from __future__ import annotations

import argparse
import io
import threading
import time

from common import best_time, machine, photo_mosaic

import stripjpeg
from stripjpeg import progressive_encoder
from stripjpeg.examples import example_image

SETTINGS = {"q90 4:4:4": (90, "4:4:4"), "q75 4:2:0": (75, "4:2:0")}


def pillow_progressive(pixels, quality: int, subsampling: str, restart_rows: int) -> bytes:
    from PIL import Image

    buffer = io.BytesIO()
    extra = {"restart_marker_rows": restart_rows} if restart_rows else {}
    Image.fromarray(pixels).save(buffer, "JPEG", quality=quality, subsampling=subsampling,
                                 progressive=True, **extra)
    return buffer.getvalue()


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__,
                                     formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--size", type=int, default=2048)
    parser.add_argument("--photo", action="store_true", help="the photo mosaic, not the example image")
    parser.add_argument("--repeats", type=int, default=7)
    parser.add_argument("--tasks", action="store_true", help="also time each worker task")
    args = parser.parse_args()
    pixels = photo_mosaic(args.size) if args.photo else example_image(args.size, args.size)
    megapixels = args.size * args.size / 1e6
    print(f"machine: {machine()}")
    print(f"{args.size}x{args.size} {'photo mosaic' if args.photo else 'example image'}, best of "
          f"{args.repeats}, MP/s")
    print(f"{'setting':<11} {'restart_rows':>12} {'Pillow':>8} {'w=1':>8} {'x Pillow':>8} "
          f"{'default':>8} {'x Pillow':>8}")
    for label, (quality, subsampling) in SETTINGS.items():
        for restart_rows in (0, 1):
            options = {"quality": quality, "subsampling": subsampling, "progressive": True,
                       "restart_rows": restart_rows}
            runs = {
                "Pillow": lambda o=options: pillow_progressive(pixels, o["quality"], o["subsampling"],
                                                               o["restart_rows"]),
                "w=1": lambda o=options: stripjpeg.encode(pixels, workers=1, **o),
                "default": lambda o=options: stripjpeg.encode(pixels, **o),
            }
            outputs = {name: run() for name, run in runs.items()}  # warm-up, and the bytes
            assert len(set(outputs.values())) == 1, "stripjpeg and Pillow wrote different bytes"
            best = dict.fromkeys(runs, float("inf"))
            for _ in range(args.repeats):
                for name, run in runs.items():
                    best[name] = min(best[name], best_time(run, 1))
            rate = {name: megapixels / seconds for name, seconds in best.items()}
            print(f"{label:<11} {restart_rows:>12} {rate['Pillow']:>8.1f} {rate['w=1']:>8.1f} "
                  f"{rate['w=1'] / rate['Pillow']:>7.2f}x {rate['default']:>8.1f} "
                  f"{rate['default'] / rate['Pillow']:>7.2f}x", flush=True)
    print()
    print("phases of one encode (w=1, restart_rows=1): rows in (transform, count) / file out (scans)")
    for label, (quality, subsampling) in SETTINGS.items():
        times = []
        for _ in range(args.repeats):
            encoder = stripjpeg.Encoder(io.BytesIO(), args.size, args.size, quality=quality,
                                        subsampling=subsampling, progressive=True, workers=1)
            start = time.perf_counter()
            encoder.write(pixels)
            middle = time.perf_counter()
            encoder.close()
            times.append((middle - start, time.perf_counter() - middle))
        rows_in, file_out = min(t[0] for t in times), min(t[1] for t in times)
        print(f"{label:<11} {rows_in * 1e3:>7.1f} ms / {file_out * 1e3:>7.1f} ms")

    if args.tasks:
        print()
        print_task_times(pixels, args.repeats)


def print_task_times(pixels, repeats: int) -> None:
    """Each task's milliseconds in the fastest of ``repeats`` encodes, one and two workers."""
    log: list[tuple[str, float]] = []
    lock = threading.Lock()

    def timed(name, function):
        def run(*args):
            start = time.perf_counter()
            result = function(*args)
            with lock:
                log.append((name, time.perf_counter() - start))
            return result
        return run

    originals = {name: getattr(progressive_encoder, name) for name in ("transform_task", "code_scan_task")}
    labels = {"transform_task": "transform+count", "code_scan_task": "code a scan"}
    try:
        for name, function in originals.items():
            setattr(progressive_encoder, name, timed(labels[name], function))
        for workers in (1, 2):
            best, best_log = float("inf"), []
            for _ in range(repeats):
                log.clear()
                start = time.perf_counter()
                stripjpeg.encode(pixels, 75, "4:2:0", progressive=True, workers=workers)
                if time.perf_counter() - start < best:
                    best, best_log = time.perf_counter() - start, list(log)
            print(f"q75 4:2:0, workers={workers}: {best * 1e3:.1f} ms in all")
            for label in labels.values():
                times = [seconds * 1e3 for name, seconds in best_log if name == label]
                if times:
                    print(f"  {label:<16} {len(times):>3} tasks, {sum(times):6.1f} ms in all, "
                          f"{min(times):.1f}..{max(times):.1f} ms each")
    finally:
        for name, function in originals.items():
            setattr(progressive_encoder, name, function)


if __name__ == "__main__":
    main()
