"""The skip policy of tests/conftest.py, run on tiny test files by pytester: with CI or
STRIPJPEG_NO_SKIP=1 set, a skip (of a test or of a whole module), an xfail or an xpass fails,
unless ALLOWED_SKIPS names it; without them a skip stays a skip."""

from __future__ import annotations

from pathlib import Path

import pytest

pytest_plugins = ["pytester"]

CONFTEST = (Path(__file__).parent / "conftest.py").read_text()

TESTS = """
import pytest

def test_passes():
    assert True

def test_skips_in_the_body():
    pytest.skip("no frobnicator on this machine")

@pytest.mark.skipif(True, reason="marked skip")
def test_marked_skip():
    pass

@pytest.fixture
def missing():
    return pytest.importorskip("a_package_that_does_not_exist")

def test_skips_in_a_fixture(missing):
    pass

def test_allowed_by_reason_prefix():
    pytest.skip("needs root on Linux: mounts a tmpfs")

@pytest.mark.xfail(reason="known bug")
def test_xfails():
    assert False

@pytest.mark.xfail(reason="fixed bug")
def test_xpasses():
    assert True
"""

SKIPPING = ["test_skips_in_the_body", "test_marked_skip", "test_skips_in_a_fixture"]


@pytest.fixture
def run(pytester: pytest.Pytester, monkeypatch: pytest.MonkeyPatch):
    """Runs the tiny test file under a copy of the real conftest, with the given environment."""
    pytester.makeconftest(CONFTEST)
    pytester.makepyfile(test_tiny=TESTS)

    def run_with(**env: str) -> pytest.RunResult:
        for name in ("CI", "STRIPJPEG_NO_SKIP"):
            monkeypatch.delenv(name, raising=False)
        for name, value in env.items():
            monkeypatch.setenv(name, value)
        return pytester.runpytest("-rA", "-p", "no:cacheprovider")

    return run_with


def outcomes(result: pytest.RunResult) -> dict[str, str]:
    """Each test's name -> PASSED / FAILED / SKIPPED / XFAIL / XPASS, from the -rA summary."""
    found = {}
    for line in result.outlines:
        words = line.split()
        if len(words) >= 2 and words[0] in ("PASSED", "FAILED", "SKIPPED", "XFAIL", "XPASS", "ERROR"):
            name = words[1].split("::")[-1]
            if words[0] == "SKIPPED":  # "SKIPPED [1] test_tiny.py:7: reason" names a line, not a test
                continue
            found[name] = words[0]
    return found


def test_without_ci_skips_stay_skips(run) -> None:
    result = run()
    result.assert_outcomes(passed=1, skipped=4, xfailed=1, xpassed=1)
    assert result.ret == 0


@pytest.mark.parametrize("env", [{"CI": "true"}, {"STRIPJPEG_NO_SKIP": "1"}], ids=str)
def test_in_ci_every_unlisted_skip_fails(run, env: dict) -> None:
    result = run(**env)
    # Failed: the three skips (an error where the skip came in setup: a marker or a fixture),
    # the xfail and the xpass; still skipped: the allowed one.
    result.assert_outcomes(passed=1, failed=3, errors=2, skipped=1)
    assert result.ret == 1
    found = outcomes(result)
    for name in [*SKIPPING, "test_xfails", "test_xpasses"]:
        assert found[name] in ("FAILED", "ERROR"), name
    assert found["test_passes"] == "PASSED"
    result.stdout.fnmatch_lines(["*a skip is a failure here*test_skips_in_the_body*"
                                 "no frobnicator on this machine*ALLOWED_SKIPS*"])
    result.stdout.fnmatch_lines(["*SKIPPED*needs root on Linux: mounts a tmpfs*"])


@pytest.mark.parametrize("env", [{"CI": "0"}, {"CI": "False"}], ids=str)
def test_ci_off_values_keep_skips(run, env: dict) -> None:
    run(**env).assert_outcomes(passed=1, skipped=4, xfailed=1, xpassed=1)


def test_a_module_level_skip_fails_collection_in_ci(pytester: pytest.Pytester, monkeypatch) -> None:
    pytester.makeconftest(CONFTEST)
    pytester.makepyfile(test_whole="""
import pytest
missing = pytest.importorskip("a_package_that_does_not_exist")

def test_never_collected():
    pass
""")
    monkeypatch.delenv("STRIPJPEG_NO_SKIP", raising=False)
    monkeypatch.delenv("CI", raising=False)
    pytester.runpytest("-p", "no:cacheprovider").assert_outcomes(skipped=1)
    monkeypatch.setenv("CI", "true")
    result = pytester.runpytest("-p", "no:cacheprovider")
    result.assert_outcomes(errors=1)
    assert result.ret != 0
    result.stdout.fnmatch_lines(["*skipping a whole module is a failure here*a_package_that_does_not_exist*"])
