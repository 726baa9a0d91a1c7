"""The frame's colour space for an input mode, and what it takes: component identifiers,
table indices, and the conversion of sample preparation.

libjpeg chooses the JPEG colour space from the input's (jcparam.c jpeg_default_colorspace)
unless told otherwise, and sets each component's identifier, sampling factors and tables for
it (jpeg_set_colorspace); stripjpeg's pixel modes are Pillow's (:data:`~.options.MODES`).

=============  =============  ==========================================================
input mode     option         frame colour space (components; tables 0 = luminance)
=============  =============  ==========================================================
L              -              GRAYSCALE (Y)
RGB/RGBA/RGBX  -              YCbCr (Y, Cb, Cr; JFIF), ``grayscale``: GRAYSCALE
RGB/RGBA/RGBX  ``keep_rgb``   RGB ('R', 'G', 'B', all tables 0; Adobe transform 0)
YCbCr          -              YCbCr, the samples as given (``grayscale``: their Y)
CMYK           -              CMYK ('C', 'M', 'Y', 'K', all tables 0; Adobe transform 0),
                              stored inverted as Pillow stores it
CMYK           ``ycck``       YCCK (1..4; Y and K tables 0, Cb and Cr 1; Adobe transform 2)
=============  =============  ==========================================================
"""

from __future__ import annotations

from .options import DEFAULT_MODES, EncodeOptions

#: (input mode, frame colour space) -> the colour conversion (:attr:`~.plan.Plan.color_convert`).
CONVERSIONS = {
    **{(mode, "YCbCr"): "rgb_ycc" for mode in ("RGB", "RGBA", "RGBX")},
    **{(mode, "RGB"): "rgb_rgb" for mode in ("RGB", "RGBA", "RGBX")},
    **{(mode, "GRAYSCALE"): "rgb_gray" for mode in ("RGB", "RGBA", "RGBX")},
    ("L", "GRAYSCALE"): "grayscale",
    ("YCbCr", "YCbCr"): "ycc_ycc",
    ("YCbCr", "GRAYSCALE"): "ycc_gray",
    ("CMYK", "CMYK"): "cmyk_inverted",
    ("CMYK", "YCCK"): "cmyk_ycck",
}


#: Per colour space, each component's (identifier Ci, table index) as jcparam.c's
#: jpeg_set_colorspace sets them: the table index serves for both the quantization table
#: (standard tables; custom ones go one per component) and the DC and AC Huffman tables.
#: Luminance-like components (Y, R, G, B, C, M, Y, K of CMYK, YCCK's K) use tables 0.
COMPONENT_LAYOUTS = {
    "GRAYSCALE": ((1, 0),),
    "YCbCr": ((1, 0), (2, 1), (3, 1)),
    "RGB": ((0x52, 0), (0x47, 0), (0x42, 0)),         # 'R', 'G', 'B'
    "CMYK": ((0x43, 0), (0x4D, 0), (0x59, 0), (0x4B, 0)),  # 'C', 'M', 'Y', 'K'
    "YCCK": ((1, 0), (2, 1), (3, 1), (4, 0)),
}


def frame_color_space(mode: str | int, options: EncodeOptions) -> str:
    """The frame's colour space for input of this ``mode`` (or channel count, its default
    mode): "GRAYSCALE" for grey input or with ``grayscale``, "RGB" with ``keep_rgb``,
    "CMYK" for CMYK ("YCCK" with ``ycck``), else "YCbCr" (jcparam.c
    jpeg_default_colorspace; YCbCr input stays YCbCr).

    Raises:
        ValueError: an option the mode cannot take: ``keep_rgb`` without RGB input (grey
            has no RGB to keep; Pillow ignores it for L, YCbCr and CMYK, stripjpeg says so
            rather than write another colour space), ``grayscale`` with CMYK (libjpeg
            converts no CMYK to grey), ``ycck`` without CMYK input.
    """
    if isinstance(mode, int):
        mode = DEFAULT_MODES[mode]
    if options.keep_rgb and mode not in ("RGB", "RGBA", "RGBX"):
        image = "a grayscale image" if mode == "L" else f"a mode {mode} image"
        raise ValueError(f"keep_rgb=True needs RGB input; {image} has no RGB to keep (Pillow "
                         f"ignores keep_rgb for mode {mode}): leave it False")
    if options.ycck and mode != "CMYK":
        raise ValueError(f"ycck=True stores CMYK input as YCCK; it needs mode='CMYK', got "
                         f"mode {mode}")
    if mode == "CMYK":
        if options.grayscale:
            raise ValueError("grayscale=True with mode='CMYK': libjpeg converts no CMYK to "
                             "one grey component (jccolor.c); convert to L first")
        return "YCCK" if options.ycck else "CMYK"
    if mode == "L" or options.grayscale:
        return "GRAYSCALE"
    return "RGB" if options.keep_rgb else "YCbCr"
