"""Tables against the standard's own figures and against what libjpeg-turbo writes."""

import io

import numpy as np
import pytest
from PIL import Image

from stripjpeg import quantization_tables, tables
from stripjpeg.tables import (
    AC_CHROMINANCE,
    AC_LUMINANCE,
    DC_CHROMINANCE,
    DC_LUMINANCE,
    NATURAL_TO_ZIGZAG,
    ZIGZAG,
    HuffmanSpec,
    huffman_codes,
    quality_scaling,
)


def test_zigzag_is_figure_a6():
    # T.81 Figure A.6, the first three anti-diagonals and the last entries.
    assert ZIGZAG[:10].tolist() == [0, 1, 8, 16, 9, 2, 3, 10, 17, 24]
    assert ZIGZAG[-3:].tolist() == [55, 62, 63]
    assert sorted(ZIGZAG.tolist()) == list(range(64))
    assert (ZIGZAG[NATURAL_TO_ZIGZAG] == np.arange(64)).all()


def test_zigzag_steps_to_neighbours():
    rows, cols = np.divmod(ZIGZAG, 8)
    steps = np.abs(np.diff(rows)) + np.abs(np.diff(cols))
    # Each step moves to an adjacent cell: one along an edge, or one diagonal step.
    assert set(np.abs(np.diff(rows)).tolist()) <= {0, 1} and set(steps.tolist()) <= {1, 2}


@pytest.mark.parametrize("quality", range(1, 101))
def test_quantization_tables_equal_libjpeg(quality):
    image = Image.fromarray(np.zeros((8, 8, 3), np.uint8))
    buffer = io.BytesIO()
    image.save(buffer, "JPEG", quality=quality, subsampling="4:4:4")
    written = Image.open(io.BytesIO(buffer.getvalue())).quantization  # natural order
    luma, chroma = quantization_tables(quality)
    assert luma.tolist() == list(written[0])
    assert chroma.tolist() == list(written[1])


def test_quality_scaling_formula():
    assert quality_scaling(50) == 100
    assert quality_scaling(100) == 0
    assert quality_scaling(1) == 5000
    assert quality_scaling(25) == 200
    assert (quantization_tables(100)[0] == 1).all()
    assert quantization_tables(1)[0].max() == 255


@pytest.mark.parametrize("bad", [0, 101, -5])
def test_quality_out_of_range(bad):
    with pytest.raises(ValueError, match="quality"):
        quantization_tables(bad)


@pytest.mark.parametrize("bad", [50.0, "50", True, None])
def test_quality_not_int(bad):
    with pytest.raises(TypeError, match="quality"):
        quantization_tables(bad)


def test_huffman_codes_match_annex_k_listing():
    codes, lengths = huffman_codes(DC_LUMINANCE)
    # Table K.3: category 0 -> 00, 1 -> 010, 5 -> 110, 11 -> 111111110.
    assert (codes[0], lengths[0]) == (0b00, 2)
    assert (codes[1], lengths[1]) == (0b010, 3)
    assert (codes[5], lengths[5]) == (0b110, 3)
    assert (codes[11], lengths[11]) == (0b111111110, 9)
    codes, lengths = huffman_codes(AC_LUMINANCE)
    # Table K.5: EOB 1010, ZRL 11111111001, 0/1 00, 0/2 01.
    assert (codes[0x00], lengths[0x00]) == (0b1010, 4)
    assert (codes[0xF0], lengths[0xF0]) == (0b11111111001, 11)
    assert (codes[0x01], lengths[0x01]) == (0b00, 2)
    assert (codes[0x02], lengths[0x02]) == (0b01, 2)


@pytest.mark.parametrize("spec", [DC_LUMINANCE, DC_CHROMINANCE, AC_LUMINANCE, AC_CHROMINANCE])
def test_huffman_codes_are_prefix_free(spec):
    codes, lengths = huffman_codes(spec)
    words = [format(int(codes[s]), f"0{lengths[s]}b") for s in spec.huffval]
    assert len(words) == len(spec.huffval)
    for a in words:
        assert set(a) != {"1"}, "all-ones codes are reserved (T.81 C)"
        for b in words:
            assert a == b or not b.startswith(a)


def test_huffman_spec_rejects_inconsistent_tables():
    with pytest.raises(ValueError):
        HuffmanSpec(bits=(1,) * 15, huffval=(0,))
    with pytest.raises(ValueError):
        HuffmanSpec(bits=(2,) + (0,) * 15, huffval=(0, 1))  # the all-ones code would be needed


def test_fixed_point_constants_are_libjpegs_integers():
    """Each constant tables.py derives with fix() equals the integer libjpeg prints."""
    jfdctint = {  # jfdctint.c, CONST_BITS = 13
        "FIX_0_298631336": 2446, "FIX_0_390180644": 3196, "FIX_0_541196100": 4433,
        "FIX_0_765366865": 6270, "FIX_0_899976223": 7373, "FIX_1_175875602": 9633,
        "FIX_1_501321110": 12299, "FIX_1_847759065": 15137, "FIX_1_961570560": 16069,
        "FIX_2_053119869": 16819, "FIX_2_562915447": 20995, "FIX_3_072711026": 25172,
    }
    assert (tables.CONST_BITS, tables.PASS1_BITS) == (13, 2)
    assert {name: getattr(tables, name) for name in jfdctint} == jfdctint
    # jccolor.c, SCALEBITS = 16: FIX(0.29900) = 19595 and so on; ONE_HALF; CBCR_OFFSET.
    assert (tables.SCALEBITS, tables.ONE_HALF, tables.CBCR_OFFSET) == (16, 32768, 8388608)
    assert tables.RGB_TO_YCBCR.tolist() == [[19595, 38470, 7471],
                                            [-11059, -21709, 32768],
                                            [32768, -27439, -5329]]
    assert tables.YCBCR_OFFSETS.tolist() == [32768, 8421375, 8421375]
    assert tables.fix(0.5, 16) == 32768 and tables.fix(0.299, 16) == round(0.299 * 2**16)


def test_eob_and_zrl_are_the_standards_symbols():
    # T.81 F.1.2.2.1: EOB is RRRRSSSS 0/0, ZRL is F/0; Table K.5 gives them 4 and 11 bits.
    assert (tables.EOB, tables.ZRL) == (0x00, 0xF0)
    _, lengths = huffman_codes(AC_LUMINANCE)
    assert (lengths[tables.EOB], lengths[tables.ZRL]) == (4, 11)
