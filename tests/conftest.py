import os

import pytest

import stripjpeg

# Every backend this machine can run; STRIPJPEG_TEST_BACKENDS narrows the list.
BACKENDS = os.environ.get("STRIPJPEG_TEST_BACKENDS", ",".join(stripjpeg.backends.available())).split(",")


@pytest.fixture(params=BACKENDS)
def backend(request) -> str:
    """Each available backend by name; tests that take it run once per backend."""
    return request.param
