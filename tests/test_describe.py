"""``stripjpeg.describe()``: its exact report for a few option sets on each backend, its
agreement with the file the same options write (frame, tables, scans, restart interval),
the stage table it reports (kernels, declined and forced fallbacks), and its errors."""

from __future__ import annotations

import numpy as np
import pytest
from oracle import photo

import stripjpeg
from stripjpeg.cli import main
from stripjpeg.segments import read_markers

COMMON = """\
image        33 x 47 RGB
stream       0: a normal (interchange) file
process      baseline sequential DCT, Huffman (SOF0)
colour       YCbCr, sample conversion rgb_ycc
components   Y  id 1, 2x2, quantization table 0, Huffman tables 0, 5 x 6 blocks
             Cb id 2, 1x1, quantization table 1, Huffman tables 1, 3 x 3 blocks
             Cr id 3, 1x1, quantization table 1, Huffman tables 1, 3 x 3 blocks
MCU          16 x 16 pixels, 6 blocks, interleaved; 3 x 3 MCUs
quantization 0: standard luminance (T.81 Table K.1), quality 75, 8-bit, steps 5..61; Y
             1: standard chrominance (T.81 Table K.2), quality 75, 8-bit, steps 9..50; Cb Cr
DCT          islow: libjpeg's accurate integer forward DCT (JDCT_ISLOW) of level-shifted blocks.
restart      DRI 3 MCUs (every 1 MCU row); strips of 1 MCU row, one per interval, coded in parallel
Huffman      0: standard luminance (T.81 Tables K.3, K.5), Y; 1: standard chrominance \
(T.81 Tables K.4, K.6), Cb Cr
scans        0: Y Cb Cr, Ss=0, Se=63, Ah=0, Al=0 (sequential)
"""

STAGES_420 = {
    "numpy": """\
backend      numpy
stages       prepare_samples        runs  numpy  stages.samples.prepare_samples
             forward_dct            runs  numpy  stages.quantize.quantized_blocks
             entropy_encode         runs  numpy  stages.huffman.entropy_encode
             count_symbols          idle  numpy  stages.huffman.count_symbols
             progressive_encode     idle  numpy  stages.progressive.progressive_encode
             progressive_count      idle  numpy  stages.progressive.progressive_count
options      quality=75, subsampling='4:2:0', backend='numpy'""",
    "numba": """\
backend      numba
stages       prepare_samples        runs  numba  NumbaBackend.prepare_samples (inside the fused encode_strips)
             forward_dct            runs  numba  NumbaBackend.forward_dct (inside the fused encode_strips)
             entropy_encode         runs  numba  NumbaBackend.entropy_encode (inside the fused encode_strips)
             count_symbols          idle  numba  NumbaBackend.count_symbols
             progressive_encode     idle  numba  NumbaBackend.progressive_encode
             progressive_count      idle  numba  NumbaBackend.progressive_count
             transform (fused)      idle  numba  NumbaBackend.transform_fused
             encode_strips (fused)  runs  numba  NumbaBackend.encode_strips_fused
options      quality=75, subsampling='4:2:0', backend='numba'""",
}


def stage_lines(text: str) -> dict[str, str]:
    """The report's stage lines by stage name (the block that starts at "stages"), their
    spacing collapsed (the name column is as wide as the longest stage name)."""
    lines, inside = {}, False
    for line in text.splitlines():
        inside = line.startswith("stages") or (inside and line.startswith("             "))
        if inside:
            body = " ".join(line[13:].split())
            lines[body.split()[0]] = body
    return lines


def assert_report(text: str, expected: str) -> None:
    """``text`` equals ``expected`` but for spacing in the stage lines, and for stage lines
    ``expected`` leaves out, which must be idle: stages of coding processes the encode does
    not use (more come with each)."""
    shown, wanted = stage_lines(text), stage_lines(expected)
    for name, line in shown.items():
        if name not in wanted:
            assert line.split()[1] == "idle", line
    assert {name: shown[name] for name in wanted if name in shown} == wanted

    def others(report: str) -> list[str]:
        return [line for line in report.splitlines()
                if not (line.startswith("stages") or (line.startswith("             ")
                                                       and line.split()[0] in shown))]
    assert others(text) == others(expected)


def test_report_of_a_420_encode(backend):
    description = stripjpeg.describe(width=33, height=47, quality=75, subsampling="4:2:0",
                                     backend=backend)
    assert_report(str(description), COMMON + STAGES_420[backend])


PROGRESSIVE_GRAY = """\
image        256 x 256 RGB (no size given: assumed)
stream       0: a normal (interchange) file
process      progressive DCT, Huffman (SOF2)
colour       GRAYSCALE, sample conversion rgb_gray
components   Y  id 1, 1x1, quantization table 0, Huffman tables 0, 32 x 32 blocks
MCU          8 x 8 pixels, 1 block, a single component; 32 x 32 MCUs
quantization 0: standard luminance (T.81 Table K.1), quality 10, 16-bit, steps 50..605; Y
DCT          exact: The exact 2-D DCT-II of T.81 A.3.3 in float64 (the orthonormal DCT of each axis).
restart      none: one entropy-coded segment, strips of 32 MCU rows coded one after another
Huffman      optimized per scan (libjpeg always optimizes a progressive file's tables)
scans        0: Y, Ss=0, Se=0, Ah=0, Al=1 (DC first)
             1: Y, Ss=1, Se=5, Ah=0, Al=2 (AC first)
             2: Y, Ss=6, Se=63, Ah=0, Al=2 (AC first)
             3: Y, Ss=1, Se=63, Ah=2, Al=1 (AC refinement)
             4: Y, Ss=0, Se=0, Ah=1, Al=0 (DC refinement)
             5: Y, Ss=1, Se=63, Ah=1, Al=0 (AC refinement)
"""

STAGES_PROGRESSIVE = {
    "numpy": """\
backend      numpy
stages       prepare_samples        runs  numpy  stages.samples.prepare_samples
             forward_dct            runs  numpy  stages.quantize.quantized_blocks
             entropy_encode         idle  numpy  stages.huffman.entropy_encode
             count_symbols          idle  numpy  stages.huffman.count_symbols
             progressive_encode     runs  numpy  stages.progressive.progressive_encode
             progressive_count      runs  numpy  stages.progressive.progressive_count
""",
    # The exact DCT and the rgb_gray conversion have no numba kernel: NumPy's stages run,
    # so the fused transform (which covers them) is not used.
    "numba": """\
backend      numba
stages       prepare_samples        runs  numpy  stages.samples.prepare_samples (declined by numba)
             forward_dct            runs  numpy  stages.quantize.quantized_blocks (declined by numba)
             entropy_encode         idle  numba  NumbaBackend.entropy_encode
             count_symbols          idle  numba  NumbaBackend.count_symbols
             progressive_encode     runs  numba  NumbaBackend.progressive_encode
             progressive_count      runs  numba  NumbaBackend.progressive_count
             transform (fused)      idle  -      - (a stage it covers falls back)
             encode_strips (fused)  idle  -      - (a stage it covers falls back)
""",
}


def test_report_of_a_progressive_extended_gray_encode(backend):
    description = stripjpeg.describe(quality=10, baseline=False, progressive=True, grayscale=True,
                                     dct="exact", restart_rows=0, backend=backend)
    assert_report(str(description), PROGRESSIVE_GRAY + STAGES_PROGRESSIVE[backend] + (
        f"options      quality=10, dct='exact', restart_rows=0, backend='{backend}', "
        "progressive=True, grayscale=True, baseline=False"))


def test_report_of_a_tables_only_stream():
    description = stripjpeg.describe(width=33, height=47, mode="L", streamtype=1,
                                     qtables=[[300] * 64], baseline=False, backend="numpy")
    lines = str(description).splitlines()
    assert lines[1:3] == ["stream       1: tables only: SOI, DQT, DHT, EOI (jcapimin.c "
                          "jpeg_write_tables)", "process      no frame: the tables only"]
    assert [line for line in lines if "qtables[0]" in line] == [
        "quantization 0: custom qtables[0], as given, 16-bit, steps 300..300",
        "             1: custom qtables[0], as given, 16-bit, steps 300..300"]
    assert "scans        none" in lines
    assert not any(stage.runs for stage in description.stages)
    assert description.options == {"qtables": "<1 tables>", "backend": "numpy", "streamtype": 1,
                                   "baseline": False}


# Option sets whose description is checked against the file they write.
FILE_CASES = [
    dict(quality=75, subsampling="4:2:0"),
    dict(quality=10, baseline=False, subsampling="4:2:2", restart_rows=2),
    dict(quality=21, baseline=False, optimize=True, restart_rows=0),
    dict(quality=90, progressive=True, restart_rows=1),
    dict(quality=40, scans="0: 0 0 0 0; 1 2: 0 0 0 0; 0: 1 63 0 0; 1: 1 63 0 0; 2: 1 63 0 0;"),
    dict(keep_rgb=True, streamtype=2),
    dict(qtables=[[2] * 64, [3] * 64, [4] * 64], quality=50, grayscale=True),
]


@pytest.mark.parametrize("options", FILE_CASES, ids=str)
def test_description_agrees_with_the_file(options, backend):
    pixels = np.ascontiguousarray(photo("astronaut")[100:147, 150:183])
    description = stripjpeg.describe(width=33, height=47, backend=backend, **options)
    segments = read_markers(stripjpeg.encode(pixels, backend=backend, **options))
    frame = next(s for s in segments if s.name.startswith("SOF"))
    assert frame.name == description.frame
    assert [(c["id"], c["sampling"], c["table"]) for c in frame.fields["components"]] == \
        [(c.id, f"{c.h}x{c.v}", c.quant_table) for c in description.components]
    dqt = [t for s in segments if s.name == "DQT" for t in s.fields["tables"]]
    assert dqt == ([] if options.get("streamtype") == 2 else
                   [f"{t.index} ({t.precision}-bit)" for t in description.quantization])
    assert sum(s.name == "SOS" for s in segments) == len(description.scans)
    dri = [s.fields["restart_interval"] for s in segments if s.name == "DRI"]
    if dri:
        assert f"DRI {dri[0]} MCUs" in description.restart
    else:
        assert description.restart.startswith("none")


def test_forced_fallback_is_reported(monkeypatch):
    if "numba" not in stripjpeg.backends.available():
        pytest.skip("needs the numba backend")
    monkeypatch.setenv("STRIPJPEG_FALLBACK", "entropy_encode")
    stages = {s.stage: s for s in stripjpeg.describe(backend="numba").stages}
    assert (stages["entropy_encode"].provider, stages["entropy_encode"].note) == \
        ("numpy", "forced by $STRIPJPEG_FALLBACK")
    assert (stages["encode_strips (fused)"].implementation,
            stages["encode_strips (fused)"].note) == ("-", "a stage it covers falls back")
    assert stages["prepare_samples"].provider == "numba" and stages["prepare_samples"].runs


def test_as_dict():
    data = stripjpeg.describe(width=16, height=16, mode="L", backend="numpy").as_dict()
    assert data["components"] == ({"name": "Y", "id": 1, "h": 1, "v": 1, "quant_table": 0,
                                   "huffman_table": 0, "blocks": (2, 2)},)
    assert data["frame"] == "SOF0" and data["stages"][0]["provider"] == "numpy"


@pytest.mark.parametrize("call, error, match", [
    (dict(width=10), TypeError, "width and height together"),
    (dict(width=0, height=4), ValueError, "width must be from 1 to 65535"),
    (dict(mode="P"), ValueError, "mode must be one of L, RGB, RGBA"),
    (dict(quality=101.5), TypeError, "quality must be an int"),
    (dict(streamtype=5), ValueError, "streamtype must be 0"),
    (dict(colour="x"), TypeError, "unknown encode option"),
])
def test_errors(call, error, match):
    with pytest.raises(error, match=match):
        stripjpeg.describe(**call)


def test_cli_describe_prints_it_to_stderr(tmp_path, capsys):
    pixels = np.ascontiguousarray(photo("astronaut")[100:147, 150:183])
    np.save(tmp_path / "in.npy", pixels)
    assert main(["encode", str(tmp_path / "in.npy"), "-o", str(tmp_path / "out.jpg"),
                 "--no-progress", "--describe", "-q", "75", "-s", "4:2:0",
                 "--backend", "numpy"]) == 0
    err = capsys.readouterr().err
    expected = stripjpeg.describe(width=33, height=47, quality=75, subsampling="4:2:0",
                                  backend="numpy", dpi=None, comment=None, spool_dir=None)
    assert err == str(expected) + "\n"


def test_describe_names_the_mode_and_its_colour_space() -> None:
    # mode= reaches the plan: CMYK stored as YCCK, and which sample stage runs for it.
    text = str(stripjpeg.describe(width=64, height=32, mode="CMYK", ycck=True, quality=80))
    assert "image        64 x 32 CMYK" in text
    assert "colour       YCCK, sample conversion cmyk_ycck" in text
    assert "K  id 4, 1x1, quantization table 0, Huffman tables 0" in text
    cmyk = str(stripjpeg.describe(width=8, height=8, mode="CMYK"))
    assert "id 67" in cmyk and "id 75" in cmyk  # 'C' ... 'K'
