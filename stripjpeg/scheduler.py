"""Dispatch of independent strips to an executor, results kept in order, window bounded.

Strips separated by restart markers do not depend on each other, so any
``concurrent.futures.Executor`` can encode them: a thread pool (the numba kernels release
the GIL), a process pool, or a Dask cluster's executor. The scheduler keeps at most
``window`` strips in flight, so memory stays bounded however tall the image, and hands
back results strictly in submission order. :func:`batch_size` decides how many strips
make one task.
"""

from __future__ import annotations

import concurrent.futures
import os
from collections import deque
from collections.abc import Callable
from typing import TYPE_CHECKING, Any

if TYPE_CHECKING:
    from .plan import Plan


#: Strips in flight per worker: enough to keep every worker busy while results are
#: written in order, few enough to bound memory.
STRIPS_IN_FLIGHT_PER_WORKER = 4


#: Pixels per task, at most, when strips are batched for another process (see batch_size).
BATCH_PIXELS = 1 << 21
#: Pixels per task on a thread pool: a few milliseconds of work (the numba backend codes
#: them in one kernel call), so the cost of a task (a future, a wake-up, the GIL taken
#: back) stays small against it; see batch_size.
THREAD_BATCH_PIXELS = 1 << 19


def batch_size(plan: Plan, executor: Any, parallelism: int, strips_stay_valid: bool = False) -> int:
    """Strips per task. Inline: about ``THREAD_BATCH_PIXELS`` pixels when the strips stay
    valid until the encode returns (views of the caller's whole array; the numba backend codes
    a batch in one kernel call), else 1, since the caller may reuse its row buffers as soon
    as a strip is handed over. On threads, about ``THREAD_BATCH_PIXELS`` pixels (16 strips
    of a 4096-wide image; ``benchmarks/executors.py`` times other sizes, and
    docs/performance.md gives its figures);
    for processes and clusters, where each task costs a round trip and a pickled plan,
    enough strips to amortise that, at most ``BATCH_PIXELS`` pixels (which bounds memory).
    Always leaving several tasks per worker, so the last ones do not run alone."""
    strip_pixels = plan.width * plan.strip_height
    if executor is None:
        return max(1, THREAD_BATCH_PIXELS // strip_pixels) if strips_stay_valid else 1
    threads = isinstance(executor, concurrent.futures.ThreadPoolExecutor)
    limit = THREAD_BATCH_PIXELS if threads else BATCH_PIXELS
    by_work = plan.strip_count // (4 * parallelism)
    return max(1, min(limit // strip_pixels, by_work))


def default_workers() -> int:
    """Threads used when ``workers=None``: the cores this process may run on."""
    try:
        return max(1, len(os.sched_getaffinity(0)))
    except AttributeError:  # not on Linux
        return max(1, os.cpu_count() or 1)


class OrderedScheduler:
    """Runs ``function(*args)`` per submitted task; returns results in submission order.

    Args:
        function: a picklable callable (a module-level function) for process pools.
        executor: where to run tasks; None runs them inline, in the caller's thread.
        window: most tasks in flight at once (submitted but not yet handed back).
    """

    def __init__(self, function: Callable[..., Any],
                 executor: concurrent.futures.Executor | None, window: int) -> None:
        self.function = function
        self.executor = executor
        self.window = max(1, window)
        self._in_flight: deque[concurrent.futures.Future] = deque()

    @property
    def asynchronous(self) -> bool:
        """True when tasks may run after :meth:`submit` returns (inputs must stay unchanged)."""
        return self.executor is not None

    def submit(self, *args: Any) -> list[Any]:
        """Queue one task; return the results that are ready, in order.

        Blocks while the window is full, which is the back-pressure that bounds memory.
        """
        if self.executor is None:
            return [self.function(*args)]
        self._in_flight.append(self.executor.submit(self.function, *args))
        ready = []
        while len(self._in_flight) > self.window or (self._in_flight and self._in_flight[0].done()):
            ready.append(self._in_flight.popleft().result())
        return ready

    def drain(self) -> list[Any]:
        """Wait for every task in flight; return their results in order."""
        results = [future.result() for future in self._in_flight]
        self._in_flight.clear()
        return results

    def cancel(self) -> None:
        """Drop the tasks in flight (after a failure); running ones finish unobserved."""
        for future in self._in_flight:
            future.cancel()
        self._in_flight.clear()


def make_executor(workers: int | None, executor: concurrent.futures.Executor | None,
                  threads_help: bool = True, strips: int | None = None
                  ) -> tuple[concurrent.futures.Executor | None, int, bool]:
    """Choose where strips run.

    Args:
        workers: threads wanted; None = every core, or one when ``threads_help`` is False
            (the backend's work holds the GIL, so more threads only contend for it).
        executor: run strips there instead of on threads of our own.
        threads_help: see :attr:`stripjpeg.backends.Backend.threads_help`.
        strips: how many strips the image has, if known: no more threads are started than
            there are strips (an image of one strip is encoded inline, without a pool).

    Returns:
        ``(executor, parallelism, owned)``: the executor (None = inline), how many strips it
        runs at once, and whether the caller created it here and must shut it down.
    """
    if executor is not None:
        count = workers or getattr(executor, "_max_workers", None) or default_workers()
        return executor, count, False
    if workers is not None:
        count = workers
    else:
        count = default_workers() if threads_help else 1
    if strips is not None:
        count = max(1, min(count, strips))
    if count == 1:
        return None, 1, False
    return concurrent.futures.ThreadPoolExecutor(count, thread_name_prefix="stripjpeg"), count, True
