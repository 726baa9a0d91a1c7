"""The measure every memory test takes: how far one action raises a process's peak memory.

A test runs the action in a fresh Python process (:func:`run_child`), so that nothing an
earlier test allocated is counted; the child warms up first (kernels compiled or loaded, pools
started), then calls :func:`peak_rise`, which samples ``RssAnon`` (the process's anonymous
pages: the heap and NumPy's arrays, not the mapped files and libraries; tests/test_memory.py
says why) every millisecond while the action runs. Linux only (``/proc/self/status``).
"""

from __future__ import annotations

import ctypes
import gc
import os
import subprocess
import sys
import threading
import time
from collections.abc import Callable
from pathlib import Path
from typing import Any

TESTS = Path(__file__).parent


def rss_anon() -> int:
    """This process's resident anonymous memory now, in bytes."""
    with open("/proc/self/status", encoding="ascii") as status:
        for line in status:
            if line.startswith("RssAnon:"):
                return int(line.split()[1]) << 10
    raise RuntimeError("/proc/self/status has no RssAnon")


def peak_rise(action: Callable[[], Any]) -> tuple[int, float, Any]:
    """Run ``action()`` and return (the rise of peak RssAnon over the level before it, in
    bytes; its wall time in seconds; what it returned). Freed heap is given back first
    (glibc's malloc_trim), so that the baseline is honest."""
    gc.collect()
    try:
        ctypes.CDLL("libc.so.6").malloc_trim(0)
    except (OSError, AttributeError):
        pass  # not glibc: the baseline includes what the warm-up freed, for every case alike
    baseline = peak = rss_anon()
    done = threading.Event()

    def sample() -> None:
        nonlocal peak
        while not done.is_set():
            peak = max(peak, rss_anon())
            time.sleep(0.001)

    sampler = threading.Thread(target=sample, daemon=True)
    sampler.start()
    started = time.perf_counter()
    try:
        result = action()
    finally:
        done.set()
        sampler.join()
    seconds = time.perf_counter() - started
    return max(peak, rss_anon()) - baseline, seconds, result


def run_child(arguments: list[str], **options: Any) -> subprocess.CompletedProcess:
    """``python *arguments`` in a fresh process that imports this checkout's stripjpeg and
    this module; its output captured as text. Fails the test if the child fails."""
    import stripjpeg

    path = [str(Path(stripjpeg.__file__).parent.parent), str(TESTS), os.environ.get("PYTHONPATH", "")]
    environment = {**os.environ, "PYTHONPATH": os.pathsep.join(path)}
    result = subprocess.run([sys.executable, *arguments], capture_output=True, text=True,
                            env=environment, **options)
    assert result.returncode == 0, result.stderr
    return result
