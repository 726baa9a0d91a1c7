"""The numba kernels of a commit against those of the work tree, timed interleaved in one process.

This machine's speed drifts by up to 25% over minutes, more than many single changes to a
kernel are worth; timing both versions in turn, in the same process, best of many rounds,
compares them under the same conditions. Both versions must write the same bytes (checked).

    python benchmarks/revisions.py HEAD~1             # the previous commit against the work tree
    python benchmarks/revisions.py 1c72e74 --rounds 30
    python benchmarks/revisions.py 87ee75a --whole    # whole encodes (default workers), MP/s
"""

from __future__ import annotations

import argparse
import importlib
import io
import shutil
import subprocess
import sys
import tarfile
import tempfile
import time
from pathlib import Path

import numpy as np
from common import machine, photo_mosaic

from stripjpeg.backends import EntropyState
from stripjpeg.options import make_options
from stripjpeg.plan import make_plan

ROOT = Path(__file__).resolve().parent.parent
SETTINGS = {"q100 4:4:4": dict(quality=100, subsampling="4:4:4"),
            "q75 4:2:0": dict(quality=75, subsampling="4:2:0")}


def load(revision: str | None, name: str, folder: Path):
    """Import the ``stripjpeg`` package of ``revision`` (None: the work tree) as a package of
    its own, ``name``, and return it. The whole package is copied, so
    kernels split over several modules (numba_colour, numba_dct, ...) come along; the package
    imports itself only relatively, so the copy needs no rewriting."""
    target = folder / name
    if revision is None:
        shutil.copytree(ROOT / "stripjpeg", target, ignore=shutil.ignore_patterns("__pycache__"))
    else:
        archive = subprocess.run(["git", "-C", str(ROOT), "archive", revision, "stripjpeg"],
                                 capture_output=True, check=True).stdout
        with tarfile.open(fileobj=io.BytesIO(archive)) as tar:
            tar.extractall(folder / f"{name}_tree", filter="data")
        shutil.move(folder / f"{name}_tree" / "stripjpeg", target)
    sys.path.insert(0, str(folder))
    try:
        package = importlib.import_module(name)
        importlib.import_module(f"{name}.backends.numba_backend")
        return package
    finally:
        sys.path.remove(str(folder))


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__,
                                     formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("revision", help="a git revision, e.g. HEAD~1")
    parser.add_argument("--rounds", type=int, default=15)
    parser.add_argument("--whole", action="store_true",
                        help="time whole encodes of a 2048² mosaic (numba, default workers) instead")
    args = parser.parse_args()
    print(f"machine: {machine()}; {args.revision} (A) against the work tree (B)")
    mosaic = photo_mosaic(2048)
    with tempfile.TemporaryDirectory() as folder:
        packages = {"A": load(args.revision, "stripjpeg_a", Path(folder)),
                    "B": load(None, "stripjpeg_b", Path(folder))}
        if args.whole:
            time_whole_encodes(packages, mosaic, args.rounds)
            return
        versions = {name: package.backends.numba_backend for name, package in packages.items()}
        for label, setting in SETTINGS.items():
            plan = make_plan(2048, 2048, 3, make_options(**setting))
            height = plan.strip_height
            strips = [np.ascontiguousarray(mosaic[top:top + height]) for top in range(0, 2048, 8 * height)]
            runs = {}
            for name, module in versions.items():
                backend = module.NumbaBackend()
                # The coder's input, in its own layout (zigzag order, blocks side by side).
                blocks = [backend._stack_zigzag(backend.transform(strip, plan)) for strip in strips]
                runs[name] = (backend, blocks)
            first, second = (runs[name][0] for name in versions)
            assert [first.encode_strip(s, plan) for s in strips] == [second.encode_strip(s, plan)
                                                                     for s in strips]
            best = {name: [float("inf"), float("inf")] for name in runs}
            start = EntropyState.start(plan)
            for _ in range(args.rounds):
                for name, (backend, blocks) in runs.items():
                    begin = time.perf_counter()
                    for strip_blocks in blocks:
                        backend._code(strip_blocks, plan, start, True)
                    best[name][0] = min(best[name][0], (time.perf_counter() - begin) / len(blocks))
                    begin = time.perf_counter()
                    for strip in strips:
                        backend.encode_strip(strip, plan)
                    best[name][1] = min(best[name][1], (time.perf_counter() - begin) / len(strips))
            for name, (coding, whole) in best.items():
                print(f"{label} {name}: Huffman coding {coding * 1e6:6.1f} µs, whole strip "
                      f"{whole * 1e6:6.1f} µs (2048 x {height}, {len(strips)} strips)")


def time_whole_encodes(packages: dict, mosaic: np.ndarray, rounds: int) -> None:
    """Whole ``encode`` calls of both versions in turn (the orchestrator, table and threads
    included), best of ``rounds``; both must write the same bytes."""
    megapixels = mosaic.shape[0] * mosaic.shape[1] / 1e6
    for label, setting in SETTINGS.items():
        outputs = {name: package.encode(mosaic, backend="numba", **setting)
                   for name, package in packages.items()}
        assert outputs["A"] == outputs["B"], label
        best = dict.fromkeys(packages, float("inf"))
        for round_ in range(rounds):
            order = list(packages) if round_ % 2 == 0 else list(reversed(packages))
            for name in order:
                begin = time.perf_counter()
                packages[name].encode(mosaic, backend="numba", **setting)
                best[name] = min(best[name], time.perf_counter() - begin)
        print(f"{label}: " + ", ".join(f"{name} {megapixels / seconds:.1f} MP/s"
                                       for name, seconds in best.items()))


if __name__ == "__main__":
    main()
