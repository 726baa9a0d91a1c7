"""A dask array persisted on a LocalCluster, encoded where it lives, against inline.

The photo mosaic is persisted on the workers in chunks of ``--chunk-rows`` rows (full width)
and deleted here; ``stripjpeg.encode(x, 90)`` with the client active then encodes it in
bands on the workers (stripjpeg.cluster). Inline (the same pixels as an ndarray in this
process, threads on every core, and one thread) is timed interleaved with it, ``--repeats``
times, because the machine may be shared: the ratio printed is the median of each repetition's
inline time over its cluster time, with their range.

Printed per worker count (processes, one thread each, or ``--threads``):

* MP/s (median, range) and the ratio to inline (on all cores) on the same machine;
* tasks per encode (the bands one worker holds go as one task, stripjpeg.cluster.task_groups);
  bytes moved per megapixel: what goes to the workers (each task: the plan and the backend,
  pickled) and what comes back (the strips' bytes), and how many times a task had to fetch
  pixels from another worker (0 when every task ran where its chunks are);
* one task's time on a worker (median of the task stream's compute times) and its bytes;
* the CPU time per encode of the client's threads and each worker's (main thread, event loop,
  task threads), of the same tasks doing nothing (at once, and sleeping as long as an encode's
  task computes: distributed's own cost), and of inline;
* the client's peak memory: its peak RSS (``ru_maxrss``, which includes the mosaic and the
  inline encodes) and the rise of its anonymous memory (``RssAnon``, sampled every
  millisecond) during two ``save`` calls of the persisted array into a file.

    python benchmarks/cluster.py                      # 2048 x 2048, chunks of 256 rows
    python benchmarks/cluster.py --size 4096 --chunk-rows 512
    python benchmarks/cluster.py --trim-threshold 1000000000
    python benchmarks/cluster.py --workers 1 --threads 2     # one process, two task threads

``--trim-threshold`` starts the workers with that ``MALLOC_TRIM_THRESHOLD_`` (through
``distributed.nanny.pre-spawn-environ``). distributed's nanny sets 65536 by default, so that
workers give freed memory back to the system at once; it also makes glibc take every large
allocation from a fresh ``mmap``. The kernels allocate a batch's work arrays once
(numba_dct.strip_buffers), so this no longer costs them page faults per strip
(docs/streaming.md); the option is there to check that.
"""

from __future__ import annotations

import argparse
import functools
import os
import pickle
import resource
import statistics
import tempfile
import threading
import time
import warnings

import numpy as np
from common import machine, photo_mosaic

import stripjpeg
from stripjpeg import cluster
from stripjpeg.encoder import StripEncoder
from stripjpeg.options import make_options


def rss_anon_kib() -> int:
    with open("/proc/self/status", encoding="ascii") as status:
        for line in status:
            if line.startswith("RssAnon:"):
                return int(line.split()[1])
    return 0


class PeakSampler:
    """The largest RssAnon while it runs (a thread sampling every millisecond)."""

    def __enter__(self) -> PeakSampler:
        self.baseline = self.peak = rss_anon_kib()
        self._done = threading.Event()
        self._thread = threading.Thread(target=self._sample, daemon=True)
        self._thread.start()
        return self

    def _sample(self) -> None:
        while not self._done.is_set():
            self.peak = max(self.peak, rss_anon_kib())
            time.sleep(0.001)

    def __exit__(self, *exc) -> None:
        self._done.set()
        self._thread.join()
        self.peak = max(self.peak, rss_anon_kib())


def timed(function) -> float:
    start = time.perf_counter()
    function()
    return time.perf_counter() - start


def thread_cpu() -> dict[str, float]:
    """CPU seconds of this process's live threads: its main thread ("main"; in a worker, the
    event loop), Dask's task threads ("tasks") and all the others ("loop": the client's and the
    scheduler's event loop), from /proc/self/task."""
    names = {thread.native_id: thread.name for thread in threading.enumerate()}
    ticks = os.sysconf("SC_CLK_TCK")
    totals = {"main": 0.0, "tasks": 0.0, "loop": 0.0}
    for tid in os.listdir("/proc/self/task"):
        try:
            with open(f"/proc/self/task/{tid}/stat", encoding="ascii") as stat:
                fields = stat.read().rsplit(")", 1)[1].split()
        except FileNotFoundError:  # the thread ended meanwhile
            continue
        name = names.get(int(tid), "")
        kind = "main" if name == "MainThread" else "tasks" if "Dask-Default-Threads" in name else "loop"
        totals[kind] += (int(fields[11]) + int(fields[12])) / ticks  # utime + stime
    return totals


def cpu_per_call(client, function, calls: int) -> tuple[float, dict[str, float], list[dict[str, float]]]:
    """``function()`` ``calls`` times: the median wall time, and the CPU time per call of the
    client's threads and of each worker's (:func:`thread_cpu`)."""
    before, workers_before = thread_cpu(), client.run(thread_cpu)
    times = [timed(function) for _ in range(calls)]
    after, workers_after = thread_cpu(), client.run(thread_cpu)

    def per_call(end, start):
        return {kind: (end[kind] - start[kind]) / calls for kind in end}

    return (statistics.median(times), per_call(after, before),
            [per_call(workers_after[name], workers_before[name]) for name in workers_before])


def nothing(blocks: list[np.ndarray], extra: list[tuple], seconds: float) -> None:
    """A task that only sleeps ``seconds`` with its bands: distributed's own cost of the same
    tasks (run as long as the encode's, it includes the processes' idle cost meanwhile)."""
    time.sleep(seconds)


def cpu_line(label: str, wall: float, client_cpu: dict[str, float],
             workers_cpu: list[dict[str, float]]) -> str:
    workers = "; ".join(f"{cpu['main'] * 1e3:.1f} + {cpu['tasks'] * 1e3:.1f} + {cpu['loop'] * 1e3:.1f}"
                        for cpu in workers_cpu)
    total = sum(client_cpu.values()) + sum(sum(cpu.values()) for cpu in workers_cpu)
    return (f"    {label}: {wall * 1e3:.1f} ms (median); CPU ms per call: client "
            f"{client_cpu['main'] * 1e3:.1f} main + {client_cpu['loop'] * 1e3:.1f} event loop, workers "
            f"(event loop + tasks + others) {workers}; {total * 1e3:.1f} in all")


def run(workers: int, pixels: np.ndarray, args: argparse.Namespace, expected: bytes) -> None:
    import dask.array as da
    import distributed

    megapixels = pixels.shape[0] * pixels.shape[1] / 1e6
    with distributed.LocalCluster(n_workers=workers, threads_per_worker=args.threads, processes=True,
                                  dashboard_address=None, silence_logs=40) as local, \
            distributed.Client(local) as client:
        with warnings.catch_warnings():
            warnings.simplefilter("ignore")  # "Sending large graph": the mosaic, once
            x = da.from_array(pixels, chunks=(args.chunk_rows, -1, -1)).persist()
        distributed.wait(x)
        assert stripjpeg.encode(x, args.quality) == expected  # warms the workers' kernels
        cluster_times, inline_times, single_times = [], [], []
        with distributed.get_task_stream(client) as stream:
            for _ in range(args.repeats):
                cluster_times.append(timed(lambda: stripjpeg.encode(x, args.quality)))
                inline_times.append(timed(lambda: stripjpeg.encode(pixels, args.quality, workers=None)))
                single_times.append(timed(lambda: stripjpeg.encode(pixels, args.quality, workers=1)))
        tasks = [task for task in stream.data if str(task["key"]).startswith("encode_band_task")]
        compute = [step["stop"] - step["start"] for task in tasks for step in task["startstops"]
                   if step["action"] == "compute"]
        transfers = sum(step["action"] == "transfer" for task in tasks for step in task["startstops"])
        # CPU by thread, the cluster's encodes alone (the timing loop has inline's in between),
        # then the same tasks doing nothing (at once, and for as long as an encode's task
        # computes), then inline's (every thread of this process).
        calls = 2 * args.repeats
        encode_cpu = cpu_per_call(client, lambda: stripjpeg.encode(x, args.quality), calls)
        core = StripEncoder(pixels.shape[1], pixels.shape[0], "RGB", make_options(quality=args.quality))
        band_list = cluster.bands(x, core.plan)
        held = cluster.holders(client, x, band_list)
        groups = cluster.task_groups(range(len(band_list)), [place[0] for place in held],
                                     [rows for _, rows in band_list], pixels.shape[1], more_follow=False)

        def no_op_tasks(seconds: float) -> None:
            inputs = [[held[index][1] for index in group] for group in groups]
            client.gather(client.map(nothing, inputs, [[()] * len(group) for group in groups],
                                     seconds=seconds, pure=False))

        floor_cpu = cpu_per_call(client, lambda: no_op_tasks(0), calls)
        sleep_cpu = cpu_per_call(client, lambda: no_op_tasks(statistics.median(compute)), calls)
        start = resource.getrusage(resource.RUSAGE_SELF)
        inline_wall = statistics.median(timed(lambda: stripjpeg.encode(pixels, args.quality))
                                        for _ in range(calls))
        end = resource.getrusage(resource.RUSAGE_SELF)
        inline_cpu = (end.ru_utime + end.ru_stime - start.ru_utime - start.ru_stime) / calls
        with tempfile.TemporaryDirectory() as folder, PeakSampler() as memory:
            for _ in range(2):
                stripjpeg.save(os.path.join(folder, "x.jpg"), x, quality=args.quality)
    bands = len(x.chunks[0])
    task_count = len(tasks) / args.repeats
    task = functools.partial(cluster.band_group_task, function=cluster.encode_band_task,
                             backend=core.backend, plan=core.plan)
    task_bytes = len(pickle.dumps(task))
    sent = task_bytes * task_count
    back = len(expected)
    # Each repetition's ratio (cluster and inline timed back to back), then their median.
    ratios = sorted(inline / timed_ for inline, timed_ in zip(inline_times, cluster_times))
    median = statistics.median
    print(f"{workers} worker(s) of {args.threads} thread(s): {megapixels / median(cluster_times):6.1f} MP/s "
          f"(median; range "
          f"{megapixels / max(cluster_times):.1f}..{megapixels / min(cluster_times):.1f}); inline "
          f"{megapixels / median(inline_times):.1f} MP/s on all cores "
          f"({megapixels / median(single_times):.1f} on one): {median(ratios):.2f}x inline "
          f"(median of {len(ratios)} interleaved ratios, {ratios[0]:.2f}..{ratios[-1]:.2f})")
    print(f"    tasks: {task_count:.1f} per encode for {bands} bands; bytes moved per MP: "
          f"{sent / megapixels:,.0f} out ({task_bytes:,} per task) + {back / megapixels:,.0f} back (JPEG); "
          f"pixel transfers between workers: {transfers}")
    band_pixels = args.chunk_rows * pixels.shape[1]
    print(f"    one task ({bands / task_count:.1f} bands of {band_pixels / 1e6:.2f} MP): "
          f"{median(compute) * 1e3:.1f} ms on a worker (median of {len(compute)}), "
          f"{back / task_count / 1e3:.0f} kB back")
    print(cpu_line(f"CPU by thread, {calls} encodes", *encode_cpu))
    print(cpu_line(f"the same {len(groups)} tasks doing nothing (client.map, gather)", *floor_cpu))
    print(cpu_line(f"the same, sleeping {statistics.median(compute) * 1e3:.0f} ms", *sleep_cpu))
    print(f"    inline: {inline_wall * 1e3:.1f} ms (median), {inline_cpu * 1e3:.1f} ms of CPU per encode")
    print(f"    client: peak RSS {resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024:.0f} MiB, "
          f"RssAnon rise during save(path, x) {(memory.peak - memory.baseline) / 1024:.1f} MiB")


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--size", type=int, default=2048)
    parser.add_argument("--chunk-rows", type=int, default=256)
    parser.add_argument("--quality", type=int, default=90)
    parser.add_argument("--repeats", type=int, default=5)
    parser.add_argument("--workers", type=int, nargs="+", default=[1, 2])
    parser.add_argument("--threads", type=int, default=1, help="threads per worker process")
    parser.add_argument("--trim-threshold", type=int, default=None,
                        help="MALLOC_TRIM_THRESHOLD_ for the workers (distributed's default: 65536)")
    args = parser.parse_args()
    if args.trim_threshold is not None:
        import dask

        dask.config.set({"distributed.nanny.pre-spawn-environ.MALLOC_TRIM_THRESHOLD_":
                         str(args.trim_threshold)})
    print(machine())
    pixels = photo_mosaic(args.size)
    expected = stripjpeg.encode(pixels, args.quality)
    print(f"{args.size} x {args.size} photo mosaic, q{args.quality} 4:4:4, chunks of {args.chunk_rows} "
          f"rows, {len(expected):,} bytes of JPEG; workers' MALLOC_TRIM_THRESHOLD_: "
          f"{args.trim_threshold or 'distributed default (65536)'}")
    for workers in args.workers:
        run(workers, pixels, args, expected)


if __name__ == "__main__":
    main()
