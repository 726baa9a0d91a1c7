"""Warnings blame the caller's line, not a line inside stripjpeg, whatever the entry point."""

from __future__ import annotations

import asyncio
import io
import warnings

import numpy as np
import pytest

import stripjpeg

# 65501 x 1 grayscale: over libjpeg's 65500 limit (a warning), and cheap to encode.
WIDE = np.zeros((1, 65501), np.uint8)


def _warnings_of(call) -> list[warnings.WarningMessage]:
    with warnings.catch_warnings(record=True) as caught:
        warnings.simplefilter("always")
        call()
    return [w for w in caught if "refuse sizes over 65500" in str(w.message)]


def _assert_blames_this_file(caught: list[warnings.WarningMessage]) -> None:
    assert len(caught) == 1
    assert caught[0].filename == __file__
    assert caught[0].category is UserWarning


def test_encode_warning_names_the_caller() -> None:
    _assert_blames_this_file(_warnings_of(lambda: stripjpeg.encode(WIDE, restart_rows=0)))


def test_save_warning_names_the_caller() -> None:
    _assert_blames_this_file(_warnings_of(lambda: stripjpeg.save(io.BytesIO(), WIDE, restart_rows=0)))


def test_encoder_warning_names_the_caller() -> None:
    def write() -> None:
        with stripjpeg.Encoder(io.BytesIO(), 65501, 1, mode="L", restart_rows=0) as encoder:
            encoder.write(WIDE)

    _assert_blames_this_file(_warnings_of(write))


def test_iter_encode_warns_when_created_and_names_the_caller() -> None:
    with warnings.catch_warnings(record=True) as caught:
        warnings.simplefilter("always")
        chunks = stripjpeg.iter_encode([WIDE], width=65501, height=1, mode="L", restart_rows=0)
        at_creation = list(caught)
        data = b"".join(chunks)
    # The size is checked when the iterator is made, before the first next().
    _assert_blames_this_file(at_creation)
    assert len(caught) == 1
    with pytest.warns(UserWarning, match="refuse sizes over 65500"):
        assert data == stripjpeg.encode(WIDE, restart_rows=0)


def test_encode_async_warning_names_the_awaiting_coroutine() -> None:
    async def user_code() -> bytes:
        return await stripjpeg.encode_async([WIDE], width=65501, height=1, mode="L", restart_rows=0)

    _assert_blames_this_file(_warnings_of(lambda: asyncio.run(user_code())))
