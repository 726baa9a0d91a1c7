"""The scan plan: the Plan's scans, their checks (T.81 B.2.3, libjpeg's validate_script),
and the SOS segment written from a scan."""

from __future__ import annotations

import dataclasses

import pytest

from stripjpeg.markers import write_headers, write_sos
from stripjpeg.options import EncodeOptions
from stripjpeg.plan import Scan, check_scan, make_plan

#: The SOS segments libjpeg (through Pillow) writes for the sequential process.
SOS_YCBCR = bytes.fromhex("FF DA 00 0C 03 01 00 02 11 03 11 00 3F 00")
SOS_GRAY = bytes.fromhex("FF DA 00 08 01 01 00 00 3F 00")


def test_rgb_plan_has_the_one_sequential_scan() -> None:
    for subsampling in ("4:4:4", "4:2:2", "4:2:0"):
        plan = make_plan(33, 17, 3, EncodeOptions(subsampling=subsampling))
        assert plan.scans == (Scan(components=(0, 1, 2), ss=0, se=63, ah=0, al=0,
                                   td=(0, 1, 1), ta=(0, 1, 1)),)
        assert plan.scans[0].is_sequential


def test_grayscale_plan_has_one_scan_of_its_one_component() -> None:
    plan = make_plan(33, 17, 1, EncodeOptions(subsampling="4:2:0"))
    assert plan.scans == (Scan(components=(0,), ss=0, se=63, ah=0, al=0, td=(0,), ta=(0,)),)


def test_optimized_plan_keeps_its_scans() -> None:
    plan = make_plan(16, 16, 3, EncodeOptions())
    assert plan.with_tables(plan.dc_tables, plan.ac_tables).scans == plan.scans


@pytest.mark.parametrize("channels, expected", [(3, SOS_YCBCR), (4, SOS_YCBCR), (1, SOS_GRAY)])
def test_write_sos_bytes(channels: int, expected: bytes) -> None:
    plan = make_plan(40, 24, channels, EncodeOptions(subsampling="4:2:0"))
    assert write_sos(plan, plan.scans[0]) == expected
    # ... and the headers end with it, as Pillow's files do before their entropy-coded data.
    assert write_headers(plan).endswith(expected)


def test_write_sos_writes_every_field_of_the_scan() -> None:
    # A progressive-style scan (not one a plan accepts yet): only its bytes are checked here.
    plan = make_plan(8, 8, 3, EncodeOptions())
    scan = Scan(components=(1,), ss=1, se=5, ah=2, al=1, td=(0,), ta=(1,))
    assert write_sos(plan, scan) == bytes.fromhex("FF DA 00 08 01 02 01 01 05 21")


def _rgb():
    return make_plan(32, 32, 3, EncodeOptions())


def _check(scan: Scan, plan=None) -> None:
    plan = plan or _rgb()
    check_scan(2, scan, plan.components, len(plan.dc_tables), len(plan.ac_tables))


def _scan(**fields) -> Scan:
    base = dict(components=(0, 1, 2), ss=0, se=63, ah=0, al=0, td=(0, 1, 1), ta=(0, 1, 1))
    base.update(fields)
    if "components" in fields and "td" not in fields:
        base["td"] = base["ta"] = (0,) * len(fields["components"])
    return Scan(**base)


@pytest.mark.parametrize("fields, rule", [
    (dict(components=()), "a scan codes 1 to 4 components, not 0"),
    (dict(components=(0, 1, 2, 0, 1)), "a scan codes 1 to 4 components, not 5"),
    (dict(components=(0, 3)), r"component index 3 is not one of the frame's 0\.\.2"),
    (dict(components=(-1,)), r"component index -1 is not one of the frame's 0\.\.2"),
    (dict(components=(1, 0)), "component indices must be in frame order, each once"),
    (dict(components=(1, 1)), "component indices must be in frame order, each once"),
    (dict(ss=-1), "the spectral selection must have 0 <= Ss <= Se <= 63"),
    (dict(ss=6, se=5), "the spectral selection must have 0 <= Ss <= Se <= 63"),
    (dict(se=64), "the spectral selection must have 0 <= Ss <= Se <= 63"),
    (dict(ah=14), "Ah must be from 0 to 13"),
    (dict(al=-1), "Al must be from 0 to 13"),
    (dict(td=(0, 1)), "Td needs one table selector per component, got 2"),
    (dict(ta=(0, 1, 2)), r"Ta selectors \(0, 1, 2\) must name the plan's tables 0\.\.1"),
])
def test_bad_scan_names_the_scan_and_the_rule(fields: dict, rule: str) -> None:
    scan = _scan(**fields)
    with pytest.raises(ValueError, match=rf"^scan 2 \(components .*\): {rule}"):
        _check(scan)


def test_single_scan_rules_allow_what_any_process_may_need() -> None:
    _check(_scan(components=(1,), ss=1, se=63, ah=13, al=12))  # an AC refinement scan
    _check(_scan(components=(0, 2), ss=0, se=0, al=1, td=(0, 1), ta=(0, 0)))  # a DC scan
    _check(_scan(ss=63, se=63))


def test_interleaved_mcu_holds_at_most_ten_blocks() -> None:
    # 4:2:0 gives 4 + 1 + 1 = 6 blocks; sampling factors that would give 11 are refused
    # (T.81 B.2.3), which the plan's own subsamplings never reach.
    plan = make_plan(32, 32, 3, EncodeOptions(subsampling="4:2:0"))
    wide = dataclasses.replace(plan.components[1], h=3, v=3)
    components = (plan.components[0], wide, plan.components[2])
    with pytest.raises(ValueError, match=r"^scan 0 .*: an interleaved MCU holds at most 10 blocks, "
                                         r"not 14"):
        check_scan(0, _scan(), components, 2, 2)
    # The same components, one per scan, are fine: a single-component MCU is one block.
    check_scan(1, _scan(components=(1,)), components, 2, 2)


def test_plan_refuses_a_bad_scan() -> None:
    plan = _rgb()
    with pytest.raises(ValueError, match=r"^scan 0 \(components \(0, 2, 1\), Ss=0, Se=63, Ah=0, "
                                         r"Al=0\): component indices must be in frame order"):
        dataclasses.replace(plan, scans=(_scan(components=(0, 2, 1), td=(0, 1, 1)),))


@pytest.mark.parametrize("scans", [
    (),
    (_scan(components=(0,)), _scan(components=(1, 2), td=(1, 1), ta=(1, 1))),
    (_scan(al=1),),
], ids=["none", "two scans", "Al=1"])
def test_plan_refuses_scans_the_sequential_coders_cannot_write(scans: tuple) -> None:
    with pytest.raises(ValueError, match=r"the sequential process codes one scan of components "
                                         r"\(0, 1, 2\) with Ss=0, Se=63, Ah=0, Al=0; the plan has"):
        dataclasses.replace(_rgb(), scans=scans)


def test_a_first_scan_without_every_coefficient_makes_the_plan_progressive() -> None:
    # libjpeg's rule: the first scan decides the process; this one is an invalid progressive one.
    with pytest.raises(ValueError, match=r"^scan 0 \(components \(0, 1, 2\), Ss=1, Se=63, Ah=0, "
                                         r"Al=0\): an AC scan \(Ss>0\) has exactly one component"):
        dataclasses.replace(_rgb(), scans=(_scan(ss=1),))


def test_plan_refuses_table_selectors_other_than_the_coders_use() -> None:
    with pytest.raises(ValueError, match=r"^scan 0 .*: Td \(0, 0, 1\) and Ta \(0, 1, 1\) must be "
                                         r"the components' Huffman tables \(0, 1, 1\)"):
        dataclasses.replace(_rgb(), scans=(_scan(td=(0, 0, 1)),))
