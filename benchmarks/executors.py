"""Throughput on each kind of executor, against Pillow in the same run, and what handing a
strip to another process costs.

Threads get each strip as a view (nothing copied), a few strips per task (compared here with
one strip per task); a process pool or a Dask cluster gets
it pickled (pixels + the plan), and sends back compressed bytes. With a dask array as the
source and a Dask client's executor, only the strip's task graph travels to the worker.

    python benchmarks/executors.py            # 2048 x 2048 photo mosaic, q90 4:4:4
    python benchmarks/executors.py --size 4096 --quality 100

Also: the NumPy backend on one thread and on two (its default is one: it holds the GIL);
thread tasks of other sizes than ``scheduler.THREAD_BATCH_PIXELS``; and the strips' kernels
alone (``Backend.encode_strips`` on half the image per thread, no orchestrator) on one thread
and on two, which is what two threads could gain at most.
"""

from __future__ import annotations

import argparse
import concurrent.futures
import pickle
import time

from common import best_time, machine, photo_mosaic, pillow_encode

import stripjpeg
from stripjpeg import scheduler
from stripjpeg.options import make_options
from stripjpeg.plan import make_plan


def handoff_cost(pixels, quality: int) -> str:
    height, width = pixels.shape[:2]
    plan = make_plan(width, height, 3, make_options(quality=quality))
    strip = pixels[:plan.strip_height]
    data = stripjpeg.encode(pixels, quality)
    started = time.perf_counter()
    for _ in range(100):
        message = pickle.dumps((strip, plan))
        pickle.loads(message)
    seconds = (time.perf_counter() - started) / 100
    out_per_strip = len(data) / plan.strip_count
    return (f"hand-off per strip ({width}x{plan.strip_height} RGB): {len(message):,} bytes pickled out "
            f"(pixels {strip.nbytes:,} + plan {len(message) - strip.nbytes:,}), {seconds * 1e6:.0f} us "
            f"to pickle and unpickle; {out_per_strip:,.0f} bytes back")


def batch_sweep(pixels, quality: int, repeats: int) -> list[str]:
    """MP/s on two threads with thread tasks of 2**15 to 2**20 pixels, interleaved."""
    megapixels = pixels.shape[0] * pixels.shape[1] / 1e6
    default = scheduler.THREAD_BATCH_PIXELS
    best: dict[int, float] = {}
    try:
        for _ in range(repeats):
            for bits in (15, 17, 18, 19, 20):
                scheduler.THREAD_BATCH_PIXELS = 1 << bits
                seconds = best_time(lambda: stripjpeg.encode(pixels, quality, workers=2), 1)
                best[bits] = min(best.get(bits, float("inf")), seconds)
    finally:
        scheduler.THREAD_BATCH_PIXELS = default
    return [f"  2**{bits} pixels per task{' (default)' if 1 << bits == default else ''}: "
            f"{megapixels / seconds:.1f} MP/s" for bits, seconds in best.items()]


def kernels_alone(pixels, quality: int, repeats: int) -> str:
    """The default backend's encode_strips over the image's batches of strips (as the encoder
    cuts them for two threads), on one thread and then on two: no orchestrator around them."""
    height, width = pixels.shape[:2]
    plan = make_plan(width, height, 3, make_options(quality=quality))
    backend = stripjpeg.backends.get()
    strips = [pixels[top:top + plan.strip_height] for top in range(0, height, plan.strip_height)]
    one, two = float("inf"), float("inf")
    with concurrent.futures.ThreadPoolExecutor(2) as pool:
        size = scheduler.batch_size(plan, pool, 2)
        batches = [strips[start:start + size] for start in range(0, len(strips), size)]
        for _ in range(repeats):
            one = min(one, best_time(lambda: [backend.encode_strips(batch, plan) for batch in batches], 1))
            two = min(two, best_time(lambda: list(pool.map(lambda batch: backend.encode_strips(batch, plan),
                                                             batches)), 1))
    return (f"kernels alone ({backend.name}, encode_strips, {len(batches)} batches of {size} strips): "
            f"one thread {one * 1e3:.1f} ms, two threads {two * 1e3:.1f} ms, {one / two:.2f}x")


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__,
                                     formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--size", type=int, default=2048)
    parser.add_argument("--quality", type=int, default=90)
    parser.add_argument("--repeats", type=int, default=5)
    args = parser.parse_args()
    pixels = photo_mosaic(args.size)
    megapixels = args.size ** 2 / 1e6
    quality = args.quality
    print(f"machine: {machine()}; {args.size}x{args.size} mosaic, q{quality} 4:4:4, "
          f"backend {stripjpeg.backends.default_name()}")
    print(handoff_cost(pixels, quality))
    expected = stripjpeg.encode(pixels, quality)
    rows = []

    def run(label, **options):
        assert stripjpeg.encode(pixels, quality, **options) == expected
        rows.append((label, best_time(lambda: stripjpeg.encode(pixels, quality, **options), args.repeats)))

    # The in-process cases are timed interleaved (best of --repeats rounds), so that their
    # ratios come from the same conditions; this machine's speed drifts by up to 25%.
    def one_strip_per_task():
        default_batch_size = scheduler.batch_size
        scheduler.batch_size = lambda plan, executor, parallelism, strips_stay_valid=False: 1
        try:
            return stripjpeg.encode(pixels, quality, workers=2)
        finally:
            scheduler.batch_size = default_batch_size

    cases = {
        "Pillow (one thread)": lambda: pillow_encode(pixels, quality=quality, subsampling="4:4:4"),
        "inline, workers=1": lambda: stripjpeg.encode(pixels, quality, workers=1),
        "threads, workers=2": lambda: stripjpeg.encode(pixels, quality, workers=2),
        "threads, workers=2, one strip per task": one_strip_per_task,
    }
    if "numba" in stripjpeg.backends.available():  # else the rows above were numpy already
        cases["numpy backend, workers=1 (its default)"] = lambda: stripjpeg.encode(
            pixels, quality, backend="numpy", workers=1)
        cases["numpy backend, workers=2"] = lambda: stripjpeg.encode(pixels, quality, backend="numpy",
                                                                     workers=2)
    for label, case in cases.items():
        assert label.startswith("Pillow") or case() == expected
    best = dict.fromkeys(cases, float("inf"))
    for _ in range(args.repeats):
        for label, case in cases.items():
            best[label] = min(best[label], best_time(case, 1))
    rows.extend(best.items())
    pillow = best["Pillow (one thread)"]
    # Timed before any worker process exists (their start and shutdown take CPU time too).
    extra = [kernels_alone(pixels, quality, args.repeats),
             "thread tasks of other sizes (two threads, interleaved):",
             *batch_sweep(pixels, quality, args.repeats)]
    with concurrent.futures.ProcessPoolExecutor(2) as pool:
        stripjpeg.encode(pixels[:64], quality, executor=pool)  # start the workers, load kernels
        run("process pool (2)", executor=pool)
    try:
        import dask.array
        import distributed
    except ImportError:
        print("(dask.distributed not installed: no cluster figures)")
    else:
        with distributed.LocalCluster(n_workers=2, threads_per_worker=1, dashboard_address=None,
                                      silence_logs=40) as cluster, distributed.Client(cluster) as client:
            executor = client.get_executor()
            stripjpeg.encode(pixels[:64], quality, executor=executor)
            run("Dask LocalCluster (2 processes)", executor=executor)
            lazy = dask.array.from_array(pixels, chunks=(256, args.size, 3))
            lazy = client.persist(lazy)  # the pixels live on the workers, as a cluster's data would
            assert stripjpeg.encode(lazy, quality, executor=executor) == expected
            rows.append(("  dask array on the cluster", best_time(
                lambda: stripjpeg.encode(lazy, quality, executor=executor), args.repeats)))
    print(f"{'executor':<42} {'MP/s':>7} {'x Pillow':>9}")
    for label, seconds in rows:
        print(f"{label:<42} {megapixels / seconds:>7.1f} {pillow / seconds:>8.2f}x")
    print("\n".join(extra))


if __name__ == "__main__":
    main()
