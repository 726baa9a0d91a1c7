"""Restart intervals of ``restart_blocks`` MCUs (libjpeg's ``restart_interval``), which may
end in the middle of an MCU row: how many MCUs each scan has in an MCU row of the frame, and
the strip heights that hold whole intervals of every scan (so that strips stay independent).
Used by :func:`stripjpeg.plan.make_plan` and the progressive coders."""

from __future__ import annotations

import math
from typing import Any


def scan_mcus_in_mcu_row(scans: tuple[Any, ...], components: tuple[Any, ...],
                         mcus_per_row: int) -> tuple[int, ...]:
    """Per scan (the plan's Scans), the MCUs of that scan in one MCU row of the frame (of the
    plan's Components): the frame's MCUs when
    interleaved; for one component, its real blocks across times its block rows per MCU row
    (a one-component scan's MCU is one block, T.81 A.2.2)."""
    counts = []
    for scan in scans:
        if len(scan.components) > 1:
            counts.append(mcus_per_row)
        else:
            component = components[scan.components[0]]
            counts.append(component.width_in_blocks * component.mcu_v)
    return tuple(counts)


def interval_strip_rows(interval: int, mcus_in_row: tuple[int, ...], row_pixels: int,
                        largest: int, serial: int) -> int:
    """MCU rows per strip with restart intervals of ``interval`` MCUs in every scan: the
    fewest rows holding whole intervals of every scan (``mcus_in_row``: each scan's MCUs per
    MCU row of the frame), if at most ``largest`` pixels (``row_pixels`` per MCU row; the
    plan's INTERVAL_STRIP_PIXELS); else the serial strip height of ``serial`` pixels (the
    plan's SERIAL_STRIP_PIXELS: the coder's state then crosses strips).

    The last strip may be shorter: it ends the scan, so it needs no whole interval.
    """
    rows = 1
    for count in mcus_in_row:
        rows = math.lcm(rows, interval // math.gcd(interval, count))
    if rows * row_pixels <= largest:
        return rows
    return max(1, serial // row_pixels)
