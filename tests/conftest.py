"""Shared fixtures, and the skip policy: in CI (or with STRIPJPEG_NO_SKIP=1) a skipped test is a
failed test, unless it is listed in ALLOWED_SKIPS. A skip hides a test that could have failed, so
it must be a decision written down here, not an accident of a missing package (docs/testing.md)."""

from __future__ import annotations

import os

import pytest

import stripjpeg

# Every backend this machine can run; STRIPJPEG_TEST_BACKENDS narrows the list.
BACKENDS = os.environ.get("STRIPJPEG_TEST_BACKENDS", ",".join(stripjpeg.backends.available())).split(",")

# The only skips (and expected failures) that stay skips under the policy. A key is a test's node
# id (as pytest prints it) or the start of a skip reason; the value says why the skip is right.
# A test that cannot run somewhere calls pytest.skip() with a reason starting with one of these
# prefixes, e.g. pytest.skip("needs root on Linux: mounts a tmpfs").
ALLOWED_SKIPS: dict[str, str] = {
    "needs root on Linux": "mounting a small tmpfs (to fill a disk) needs root and Linux; an "
                           "ordinary developer's machine has neither, CI runs as root on Linux",
}


def skips_fail() -> bool:
    """True when skips must fail: CI set (to anything but empty, "0" or "false"), or
    STRIPJPEG_NO_SKIP=1 (scripts/test.sh sets it)."""
    ci = os.environ.get("CI", "").strip().lower()
    return ci not in ("", "0", "false") or os.environ.get("STRIPJPEG_NO_SKIP", "") == "1"


def skip_reason(report: pytest.CollectReport | pytest.TestReport) -> str:
    """The reason given to pytest.skip / skipif / importorskip, without pytest's "Skipped: "."""
    if hasattr(report, "wasxfail"):
        return report.wasxfail
    longrepr = report.longrepr
    text = longrepr[2] if isinstance(longrepr, tuple) else str(longrepr)
    return text.removeprefix("Skipped: ")


def allowed(nodeid: str, reason: str) -> bool:
    return nodeid in ALLOWED_SKIPS or any(reason.startswith(key) for key in ALLOWED_SKIPS)


def refusal(what: str, nodeid: str, reason: str) -> str:
    return (f"{what} is a failure here (CI or STRIPJPEG_NO_SKIP=1 is set): {nodeid}: {reason!r}. "
            "Install what the test needs (scripts/setup.sh), or, if the test truly cannot run on "
            "this machine, add it to ALLOWED_SKIPS in tests/conftest.py with the reason.")


@pytest.hookimpl(hookwrapper=True)
def pytest_runtest_makereport(item: pytest.Item, call: pytest.CallInfo):
    """Turns a skipped, xfailed or xpassed test into a failed one, unless allowed."""
    outcome = yield
    report = outcome.get_result()
    if not skips_fail():
        return
    if report.skipped or (report.passed and hasattr(report, "wasxfail")):
        what = "an expected failure" if hasattr(report, "wasxfail") else "a skip"
        if report.passed:
            what = "an unexpected pass (xpass)"
        reason = skip_reason(report)
        if not allowed(item.nodeid, reason):
            report.outcome = "failed"
            report.longrepr = refusal(what, item.nodeid, reason)
            if hasattr(report, "wasxfail"):
                del report.wasxfail


@pytest.hookimpl(hookwrapper=True)
def pytest_make_collect_report(collector: pytest.Collector):
    """Turns a skip of a whole module (a module-level importorskip or pytest.skip) into a
    collection error, unless allowed: a missing package must skip only the tests that use it."""
    outcome = yield
    report = outcome.get_result()
    if skips_fail() and report.skipped:
        reason = skip_reason(report)
        if not allowed(report.nodeid, reason):
            report.outcome = "failed"
            report.longrepr = refusal("skipping a whole module", report.nodeid, reason)


@pytest.fixture(params=BACKENDS)
def backend(request) -> str:
    """Each available backend by name; tests that take it run once per backend."""
    return request.param
