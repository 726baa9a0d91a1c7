"""Pillow's JPEG save() keywords, passed unchanged, give Pillow's bytes.

Every test passes the same keywords to ``stripjpeg.encode`` and to Pillow's ``save``. Pillow's
defaults differ from ours (quality 75, subsampling 4:2:0, no restart markers), so each call
gives ``subsampling`` and ``restart_marker_rows`` explicitly, or tests the defaulted case on
purpose. Keywords stripjpeg does not implement yet must say so.
"""

import io

import numpy as np
import pytest
from oracle import photo
from PIL import Image
from PIL.JpegPresets import presets

import stripjpeg
from stripjpeg.cli import main
from stripjpeg.options import make_options
from stripjpeg.tables import MAX_XMP

EXIF = b"Exif\x00\x00MM\x00*\x00\x00\x00\x08\x00\x00" + bytes(60)
XMP = b'<x:xmpmeta xmlns:x="adobe:ns:meta/"><rdf:RDF/></x:xmpmeta>'
#: An APP13 (Photoshop IRB) and a COM segment, as raw bytes for Pillow's ``extra``.
EXTRA = b"\xff\xed\x00\x10Photoshop 3.0\x00" + b"\xff\xfe\x00\x05abc"
#: Two tables as Pillow's text form: '#' comments, any whitespace, 64 integers each.
QTABLES_TEXT = ("# luma\n" + "\n".join(" ".join(str(1 + (r * 8 + c) % 50) for c in range(8))
                                       for r in range(8))
                + "\n# chroma  \n" + "\t".join(str(3 + i % 7) for i in range(64)) + "  # end\n")


def _pixels(channels=3, height=37, width=45):
    image = np.ascontiguousarray(photo("coffee")[:height, :width])
    return np.ascontiguousarray(image[:, :, 0]) if channels == 1 else image


def pillow(pixels, **keywords):
    buffer = io.BytesIO()
    Image.fromarray(pixels).save(buffer, "JPEG", **keywords)
    return buffer.getvalue()


def _exif():
    exif = Image.Exif()
    exif[0x010F] = "Maker"  # Make
    exif[0x0132] = "2026:12:01 10:00:00"  # DateTime
    exif[0x0112] = 6  # Orientation
    return exif


# --- quality ---------------------------------------------------------------------------------

@pytest.mark.parametrize("quality", [0, 1, 50, 100, 101, 150, 2**31 - 1])
@pytest.mark.parametrize("subsampling", [0, 1, 2, -1, "4:2:2", "4:1:1"])
def test_quality_and_subsampling_numbers(quality, subsampling):
    for channels in (3, 1):
        pixels = _pixels(channels)
        keywords = dict(quality=quality, subsampling=subsampling, restart_marker_rows=0)
        assert stripjpeg.encode(pixels, **keywords) == pillow(pixels, **keywords)


def test_clamped_quality_is_the_nearest_one():
    pixels = _pixels()
    assert stripjpeg.encode(pixels, quality=0) == stripjpeg.encode(pixels, quality=1)
    assert stripjpeg.encode(pixels, quality=150) == stripjpeg.encode(pixels, quality=100)
    assert make_options(quality=0).quality == 1
    assert make_options(quality=101).quality == 100


def test_quality_minus_one_is_pillows_default():
    """quality=-1, subsampling=-1 and restart_marker_rows=0 are Pillow's defaults: the same
    bytes as a save with no keywords at all (quality 75, 4:2:0)."""
    pixels = _pixels()
    ours = stripjpeg.encode(pixels, quality=-1, subsampling=-1, restart_marker_rows=0)
    assert ours == pillow(pixels)
    assert ours == stripjpeg.encode(pixels, quality=75, subsampling="4:2:0", restart_rows=0)
    assert make_options(subsampling=-1).subsampling == "default"
    gray = _pixels(1)
    assert stripjpeg.encode(gray, quality=75, subsampling="default", restart_rows=0) == pillow(gray)
    # With tables, -1 is "the tables as given" (Pillow scales them at 50 and allows 16 bits).
    keywords = dict(quality=-1, qtables=[[3] * 64, list(range(1, 65))], subsampling=0,
                    restart_marker_rows=0)
    assert stripjpeg.encode(pixels, **keywords) == pillow(pixels, **keywords)
    assert make_options(quality=-1, qtables=[[3] * 64]).quality is None


@pytest.mark.parametrize("name", sorted(presets))
def test_quality_preset_sets_subsampling_and_tables(name):
    for channels in (3, 1):
        pixels = _pixels(channels)
        expected = pillow(pixels, quality=name)
        assert stripjpeg.encode(pixels, quality=name, restart_marker_rows=0) == expected
        options = make_options(quality=name)
        assert options.quality is None
        assert options.qtables == tuple(tuple(t) for t in presets[name]["quantization"])
        assert options.subsampling == {0: "4:4:4", 2: "4:2:0"}[presets[name]["subsampling"]]


@pytest.mark.parametrize("name", sorted(presets))
def test_subsampling_and_qtables_presets(name):
    pixels = _pixels()
    for keywords in (dict(subsampling=name, quality=80),
                     dict(qtables=name, subsampling=1),
                     dict(qtables=name, subsampling=2, quality=30),
                     dict(qtables=name, subsampling=name)):
        keywords["restart_marker_rows"] = 0
        assert stripjpeg.encode(pixels, **keywords) == pillow(pixels, **keywords), keywords


def test_quality_preset_with_its_own_settings_is_accepted_and_others_refused():
    pixels = _pixels()
    expected = pillow(pixels, quality="web_high")  # 4:4:4
    tables = presets["web_high"]["quantization"]
    for same in (dict(subsampling=0), dict(subsampling="4:4:4"), dict(subsampling="web_high"),
                 dict(subsampling=-1),  # Pillow's "not chosen"
                 dict(qtables="web_high"), dict(qtables={0: tables[0], 1: tables[1]})):
        assert stripjpeg.encode(pixels, quality="web_high", restart_marker_rows=0, **same) == expected
    with pytest.raises(ValueError, match=r"quality='web_high' sets subsampling.*subsampling=2 "):
        stripjpeg.encode(pixels, quality="web_high", subsampling=2)
    with pytest.raises(ValueError, match=r"quality='web_low' sets qtables.*disagrees"):
        stripjpeg.encode(pixels, quality="web_low", qtables=[[1] * 64])


@pytest.mark.parametrize("keyword", ["quality", "subsampling", "qtables"])
def test_keep_is_refused(keyword):
    with pytest.raises(ValueError, match=rf"{keyword}='keep'.*JPEG image opened with Pillow"):
        stripjpeg.encode(_pixels(), **{keyword: "keep"})


@pytest.mark.parametrize("keywords, error, match", [
    (dict(quality="web_lowest"), ValueError, r"quality='web_lowest'.*one of Pillow's presets.*web_low"),
    (dict(quality="90"), ValueError, r"quality='90'"),
    (dict(quality=-2), ValueError, r"quality must be from 0 to 100.*-1 for libjpeg's default"),
    (dict(quality=True), TypeError, "quality"),
    (dict(subsampling="4:1:0"), ValueError, "subsampling must be one of"),
    (dict(subsampling="hi"), ValueError, r"subsampling='hi'.*one of Pillow's presets"),
    (dict(subsampling=3), ValueError, r"Pillow's 0 \(4:4:4\), 1 \(4:2:2\), 2 \(4:2:0\) or -1"),
    (dict(subsampling=True), TypeError, "subsampling"),
    (dict(qtables="1 2 x"), ValueError, "qtables as text must hold integers"),
    (dict(qtables="1 2 3"), ValueError, r"qtables\[0\] must hold 64 integers"),
    (dict(qtables=" ".join(["1"] * 70)), ValueError, r"qtables\[1\] must hold 64 integers"),
    (dict(qtables=""), ValueError, "qtables must hold 1 to 4 tables, got 0"),
    (dict(qtables="medium_rare"), ValueError, r"qtables='medium_rare'.*presets"),
])
def test_bad_pillow_values(keywords, error, match):
    with pytest.raises(error, match=match):
        stripjpeg.encode(_pixels(), **keywords)


# --- qtables as text -------------------------------------------------------------------------

@pytest.mark.parametrize("quality", [None, 20, 95])
def test_qtables_text_is_read_as_pillow_reads_it(quality):
    pixels = _pixels()
    keywords = dict(qtables=QTABLES_TEXT, subsampling=2, restart_marker_rows=0)
    if quality is not None:
        keywords["quality"] = quality
    assert stripjpeg.encode(pixels, **keywords) == pillow(pixels, **keywords)
    one = " ".join(str(v) for v in range(2, 66))
    keywords["qtables"] = one
    assert stripjpeg.encode(pixels, **keywords) == pillow(pixels, **keywords)
    assert make_options(qtables=one).qtables == (tuple(range(2, 66)),)


# --- restart_marker_rows ---------------------------------------------------------------------

@pytest.mark.parametrize("rows", [0, 1, 3])
def test_restart_marker_rows_sets_restart_rows(rows):
    pixels = _pixels(height=70)
    keywords = dict(quality=85, subsampling=2, restart_marker_rows=rows)
    ours = stripjpeg.encode(pixels, **keywords)
    assert ours == pillow(pixels, **keywords)
    assert ours == stripjpeg.encode(pixels, quality=85, subsampling=2, restart_rows=rows)
    assert (b"\xff\xdd" in ours) == (rows > 0)
    assert stripjpeg.encode(pixels, restart_rows=rows, **keywords) == ours  # agreeing: fine


def test_restart_rows_and_restart_marker_rows_that_disagree():
    for ours, pillows in ((1, 0), (0, 2), (4, 1)):
        with pytest.raises(ValueError, match=rf"restart_rows={ours} and "
                                             rf"restart_marker_rows={pillows} disagree"):
            stripjpeg.encode(_pixels(), restart_rows=ours, restart_marker_rows=pillows)
    with pytest.raises(ValueError, match="restart_marker_rows must be 0 or more"):
        stripjpeg.encode(_pixels(), restart_marker_rows=-1)
    with pytest.raises(TypeError, match="restart_marker_rows must be an int"):
        stripjpeg.encode(_pixels(), restart_marker_rows=1.0)


# --- exif, xmp, extra ------------------------------------------------------------------------

def test_pillow_exif_object():
    pixels = _pixels()
    exif = _exif()
    keywords = dict(quality=90, subsampling=0, restart_marker_rows=0)
    ours = stripjpeg.encode(pixels, exif=exif, **keywords)
    assert ours == pillow(pixels, exif=exif, **keywords)
    assert ours == stripjpeg.encode(pixels, exif=exif.tobytes(), **keywords)
    assert exif.tobytes() in ours
    # An empty Exif is still a TIFF header: Pillow writes it, and so do we.
    assert stripjpeg.encode(pixels, exif=Image.Exif(), **keywords) == \
        pillow(pixels, exif=Image.Exif(), **keywords)


@pytest.mark.parametrize("metadata", [
    dict(xmp=XMP),
    dict(xmp=XMP, exif=EXIF),
    dict(extra=EXTRA),
    dict(extra=EXTRA, exif=EXIF),
    dict(xmp=XMP, extra=EXTRA, exif=EXIF, icc_profile=bytes(range(256)) * 300, comment="c",
         dpi=(300, 300)),
    dict(xmp=b"x" * MAX_XMP),
])
@pytest.mark.parametrize("progressive", [False, True])
def test_xmp_and_extra_in_pillows_order(metadata, progressive):
    """Pillow's order: SOI, APP0, APP1 EXIF, the ``extra`` bytes, APP1 XMP, APP2 ICC..., COM."""
    for channels in (3, 1):
        pixels = _pixels(channels)
        keywords = dict(metadata, quality=70, subsampling=2, restart_marker_rows=0,
                        progressive=progressive)
        assert stripjpeg.encode(pixels, **keywords) == pillow(pixels, **keywords)


def test_xmp_as_text_is_utf8():
    pixels = _pixels()
    text = '<x:xmpmeta xmlns:x="adobe:ns:meta/" note="naïve"/>'
    assert stripjpeg.encode(pixels, xmp=text) == stripjpeg.encode(pixels, xmp=text.encode())
    assert b"http://ns.adobe.com/xap/1.0/\x00" + text.encode() in stripjpeg.encode(pixels, xmp=text)


@pytest.mark.parametrize("keywords, error, match", [
    (dict(xmp=b"x" * (MAX_XMP + 1)), ValueError, "xmp is 65505 bytes; one APP1 segment holds at most 65504"),
    (dict(xmp=5), TypeError, "xmp must be bytes"),
    (dict(extra="APP"), TypeError, "extra must be bytes"),
    (dict(extra=b"abcd"), ValueError, "extra must be whole marker segments.*byte 0"),
    (dict(extra=EXTRA + b"\xff"), ValueError, "byte 25 does not start one"),
    (dict(extra=b"\xff\xe1\x00\x09abc"), ValueError, "length 9, but 5 bytes follow"),
    (dict(extra=b"\xff\xdb\x00\x04ab"), ValueError, "0xDB marker at byte 0; only APPn"),
    (dict(extra=b"\xff\xd9"), ValueError, "byte 0 does not start one"),
    (dict(exif=[1, 2]), TypeError, "exif must be bytes"),
])
def test_bad_metadata(keywords, error, match):
    with pytest.raises(error, match=match):
        stripjpeg.encode(_pixels(), **keywords)


# --- every keyword Pillow reads -----------------------------------------------------------------

#: A value other than Pillow's default for every keyword its JPEG ``_save`` reads.
NON_DEFAULT = {
    "comment": "hi", "dpi": (72, 72), "exif": b"Exif\x00\x00II*\x00\x08\x00\x00\x00\x00\x00",
    "extra": b"\xff\xfe\x00\x04hi", "icc_profile": b"icc", "keep_rgb": True, "optimize": True,
    "progression": True, "progressive": True, "qtables": "web_high", "quality": 60,
    "restart_marker_blocks": 3, "restart_marker_rows": 2, "smooth": 10, "streamtype": 2,
    "subsampling": 0, "xmp": b"<x/>",
}


@pytest.mark.filterwarnings("ignore:smooth=10:UserWarning")  # its 4:2:2 chroma is not smoothed
def test_every_keyword_pillow_reads_is_implemented():
    # The keywords are read from the installed Pillow's own source, so a keyword a new
    # Pillow adds fails here until it is implemented (or refused on purpose).
    import inspect
    import re

    from PIL import JpegImagePlugin

    from stripjpeg.pillow_keywords import NOT_IMPLEMENTED

    read = set(re.findall(r'info\.get\(\s*"(\w+)"', inspect.getsource(JpegImagePlugin._save)))
    assert read == set(NON_DEFAULT), read ^ set(NON_DEFAULT)
    assert NOT_IMPLEMENTED == {}
    pixels = _pixels()
    for keyword, value in NON_DEFAULT.items():
        # Where stripjpeg's defaults differ from Pillow's, Pillow's are given.
        options = {"quality": 80, "subsampling": 1, "restart_marker_rows": 0, keyword: value}
        if keyword == "keep_rgb":
            options["subsampling"] = 0  # Pillow refuses keep_rgb with subsampling
        assert stripjpeg.encode(pixels, **options) == pillow(pixels, **options), keyword


def test_their_defaults_are_accepted():
    """Pillow's own default values of those keywords change nothing: Pillow's bytes."""
    pixels = _pixels()
    keywords = dict(keep_rgb=False, smooth=0, streamtype=0, restart_marker_blocks=0,
                    quality=80, subsampling=1, restart_marker_rows=0)
    assert stripjpeg.encode(pixels, **keywords) == pillow(pixels, **keywords)


# --- every entry point -----------------------------------------------------------------------

ENTRY_POINT_SETS = {
    "preset_and_metadata": dict(quality="web_very_high", xmp=XMP, exif=_exif(), extra=EXTRA,
                                restart_marker_rows=2),
    "numbers_and_text": dict(quality=150, subsampling=1, qtables=QTABLES_TEXT,
                             restart_marker_rows=1),
    "defaults": dict(quality=-1, subsampling=-1, restart_marker_rows=0, progression=True),
    # Smoothing (2x2 chroma: smoothed too) with a restart marker every 5 MCUs, mid-row.
    "smooth_and_blocks": dict(quality=80, subsampling=2, smooth=20, restart_marker_blocks=5,
                              restart_marker_rows=0),
    "keep_rgb_image_only": dict(quality=85, subsampling=0, keep_rgb=True, streamtype=2,
                                optimize=True, restart_marker_rows=3),
}


@pytest.mark.parametrize("name", sorted(ENTRY_POINT_SETS))
def test_every_entry_point(name, tmp_path, backend):
    keywords = ENTRY_POINT_SETS[name]
    pixels = np.ascontiguousarray(photo("astronaut")[:150, :133])
    expected = pillow(pixels, **keywords)
    assert stripjpeg.encode(pixels, backend=backend, **keywords) == expected
    stripjpeg.save(tmp_path / "save.jpg", pixels, backend=backend, **keywords)
    assert (tmp_path / "save.jpg").read_bytes() == expected
    with stripjpeg.Encoder(tmp_path / "stream.jpg", 133, 150, backend=backend, **keywords) as encoder:
        for start in range(0, 150, 13):
            encoder.write(pixels[start:start + 13])
    assert (tmp_path / "stream.jpg").read_bytes() == expected
    pieces = (pixels[start:start + 50] for start in range(0, 150, 50))
    chunks = stripjpeg.iter_encode(pieces, width=133, height=150, backend=backend, **keywords)
    assert b"".join(chunks) == expected


def test_cli_xmp(tmp_path):
    pixels = np.ascontiguousarray(photo("astronaut")[:40, :50])
    np.save(tmp_path / "in.npy", pixels)
    (tmp_path / "packet.xmp").write_bytes(XMP)
    assert main(["encode", str(tmp_path / "in.npy"), "-o", str(tmp_path / "out.jpg"), "-q", "80",
                 "--restart-rows", "0", "--xmp", str(tmp_path / "packet.xmp"),
                 "--no-progress"]) == 0
    expected = pillow(pixels, quality=80, subsampling=0, xmp=XMP)
    assert (tmp_path / "out.jpg").read_bytes() == expected
