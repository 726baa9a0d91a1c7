"""Scan scripts: which coefficients each scan of a progressive JPEG sends (T.81 G.1.1.1).

A progressive file sends every block's 64 coefficients in several scans. Each scan sends one
*spectral band* Ss..Se (in zigzag order) of some components, either in full or only down to
bit ``Al`` (*successive approximation*); a later scan of the same band with ``Ah = Al + 1``
then sends the next bit down. A *scan script* lists the scans, each as::

    (components, Ss, Se, Ah, Al)     components: indices into the frame (0 = Y, 1 = Cb, 2 = Cr)

The rules a script must keep (T.81 G.1.1.1.1, as libjpeg's ``validate_script`` in jcmaster.c
checks them, with its limit of Ah, Al <= 10 for 8-bit samples) are in
:func:`check_progressive_script`; :func:`simple_progression` is libjpeg's default script
(``jpeg_simple_progression``, jcparam.c); :func:`parse_scan_script` reads the text format of
cjpeg's ``-scans`` file (rdswitch.c).
"""

from __future__ import annotations

import itertools
import re
from collections.abc import Iterable
from typing import Any

from .notices import warn_user

#: One entry of a scan script: ``(component indices, Ss, Se, Ah, Al)``.
ScriptEntry = tuple[tuple[int, ...], int, int, int, int]

#: At most four components in one scan (T.81 B.2.3; libjpeg's MAX_COMPS_IN_SCAN).
MAX_COMPONENTS_IN_SCAN = 4
#: libjpeg's limit on Ah and Al in a progressive scan of 8-bit samples (jcmaster.c): T.81 allows
#: 0..13, but an Al over 10 would make the first DC scan reconstruct values out of range.
MAX_AH_AL_8BIT = 10
#: cjpeg reads at most 100 scans from a script file (rdswitch.c, MAX_SCANS).
MAX_SCANS = 100


def simple_progression(n_components: int, ycbcr: bool) -> tuple[ScriptEntry, ...]:
    """libjpeg's default progressive script (``jpeg_simple_progression``, jcparam.c).

    For YCbCr, ten scans: the DC of all components to bit 1; luma AC 1..5 to bit 2; all of
    each chroma component's AC to bit 1 (Cr first, as libjpeg orders them); luma AC 6..63 to
    bit 2; luma AC refined to bit 1; then the last bits: DC, chroma AC, and luma AC last
    (usually the largest scan). For any other frame (grayscale), the same plan for every
    component in turn: 2 DC scans and 4 AC scans per component.

    Args:
        n_components: components in the frame.
        ycbcr: the frame is YCbCr (three components).
    """
    if n_components == 3 and ycbcr:
        return (
            ((0, 1, 2), 0, 0, 0, 1),
            ((0,), 1, 5, 0, 2),
            ((2,), 1, 63, 0, 1),
            ((1,), 1, 63, 0, 1),
            ((0,), 6, 63, 0, 2),
            ((0,), 1, 63, 2, 1),
            ((0, 1, 2), 0, 0, 1, 0),
            ((2,), 1, 63, 1, 0),
            ((1,), 1, 63, 1, 0),
            ((0,), 1, 63, 1, 0),
        )
    every = range(n_components)

    def dc_scans(ah: int, al: int) -> list[ScriptEntry]:
        # One interleaved DC scan if it can hold every component, else one scan each.
        if n_components <= MAX_COMPONENTS_IN_SCAN:
            return [(tuple(every), 0, 0, ah, al)]
        return [((c,), 0, 0, ah, al) for c in every]

    def ac_scans(ss: int, se: int, ah: int, al: int) -> list[ScriptEntry]:
        return [((c,), ss, se, ah, al) for c in every]

    return tuple(dc_scans(0, 1) + ac_scans(1, 5, 0, 2) + ac_scans(6, 63, 0, 2)
                 + ac_scans(1, 63, 2, 1) + dc_scans(1, 0) + ac_scans(1, 63, 1, 0))


def parse_scan_script(text: str) -> tuple[ScriptEntry, ...]:
    """Read a scan script in the text format of cjpeg's ``-scans`` file (rdswitch.c).

    Entries are separated by ``;``. Each is one to four component indices, then optionally
    ``:`` and Ss, Se, Ah, Al; without them the entry is a sequential scan (0, 63, 0, 0).
    Between numbers any other punctuation (``-``, ``,``) or whitespace may stand; ``#``
    starts a comment to the end of the line. Example, a short progressive script::

        0 1 2: 0-0,   0, 1 ;   # DC of all components, to bit 1
        0:     1-63,  0, 0 ;   # all luma AC
        1:     1-63,  0, 0 ;
        2:     1-63,  0, 0 ;
        0 1 2: 0-0,   1, 0 ;   # the last DC bit

    Raises:
        ValueError: an entry that is not in that format (naming it), or more than 100.
    """
    if not isinstance(text, str):
        raise TypeError(f"a scan script is text, got {type(text).__name__}")
    body = re.sub(r"#[^\n]*", " ", text)
    pieces = body.split(";")
    if pieces and not pieces[-1].strip():
        pieces.pop()  # the ";" after the last entry is optional
    entries = []
    for number, piece in enumerate(pieces):
        entry = piece.strip()
        components_text, colon, parameters_text = entry.partition(":")
        components = _numbers(components_text)
        parameters = _numbers(parameters_text)
        if not 1 <= len(components) <= MAX_COMPONENTS_IN_SCAN or \
                (colon and len(parameters) != 4) or parameters_text.count(":"):
            raise ValueError(f"scan script entry {number} {entry!r}: expected 1 to "
                             f"{MAX_COMPONENTS_IN_SCAN} component indices, optionally followed "
                             "by ': Ss-Se, Ah, Al'")
        ss, se, ah, al = parameters if colon else (0, 63, 0, 0)
        entries.append((tuple(components), ss, se, ah, al))
    if len(entries) > MAX_SCANS:
        raise ValueError(f"the scan script has {len(entries)} entries; at most {MAX_SCANS}")
    if not entries:
        raise ValueError("the scan script has no entries")
    return tuple(entries)


def _numbers(text: str) -> list[int]:
    """The unsigned decimal numbers in ``text``; anything else between them must be
    whitespace or punctuation other than ``:`` and ``;`` (rdswitch.c ignores it)."""
    if re.search(r"[^\d\s\-,./]", text):
        raise ValueError(f"unexpected characters in scan script entry {text.strip()!r}")
    return [int(n) for n in re.findall(r"\d+", text)]


def normalize_script(scans: Any) -> tuple[ScriptEntry, ...]:
    """A script given as cjpeg's text or as ``(components, Ss, Se, Ah, Al)`` tuples, as a
    tuple of :data:`ScriptEntry` (``components`` may be one int). Checks form only; the
    rules are :func:`check_progressive_script`'s."""
    if isinstance(scans, str):
        return parse_scan_script(scans)
    if not isinstance(scans, Iterable) or isinstance(scans, (bytes, dict)):
        raise TypeError("scans must be a scan script: cjpeg's -scans text, or a list of "
                        f"(components, Ss, Se, Ah, Al) tuples; got {type(scans).__name__}")
    entries = []
    for number, entry in enumerate(scans):
        if not isinstance(entry, (tuple, list)) or len(entry) != 5:
            raise ValueError(f"scan {number} {entry!r}: expected (components, Ss, Se, Ah, Al)")
        components, *parameters = entry
        if isinstance(components, int):
            components = (components,)
        if not isinstance(components, (tuple, list)) or \
                not all(_is_int(c) for c in components) or not all(_is_int(p) for p in parameters):
            raise TypeError(f"scan {number} {entry!r}: components must be ints (or a tuple of "
                            "ints) and Ss, Se, Ah, Al ints")
        entries.append((tuple(int(c) for c in components), *(int(p) for p in parameters)))
    if not entries:
        raise ValueError("scans is empty: a scan script needs at least one scan")
    return tuple(entries)


def _is_int(value: Any) -> bool:
    if isinstance(value, bool):
        return False
    return isinstance(value, int) or (type(value).__module__ == "numpy" and
                                      hasattr(value, "__index__"))


def is_progressive_script(entries: tuple[ScriptEntry, ...]) -> bool:
    """Whether a script is progressive: libjpeg decides by its first scan (jcmaster.c), which
    a sequential script must give as Ss=0, Se=63."""
    _, ss, se, _, _ = entries[0]
    return (ss, se) != (0, 63)


def check_progressive_script(entries: tuple[ScriptEntry, ...], n_components: int) -> None:
    """Raise ValueError unless ``entries`` is a progressive script libjpeg accepts for a frame
    of ``n_components`` components (jcmaster.c ``validate_script``; T.81 G.1.1.1.1).

    Per scan: 1 to 4 components, in frame order, each once; 0 <= Ss <= Se <= 63; Ah and Al
    from 0 to 10; a DC scan (Ss = 0) sends no AC (Se = 0); an AC scan has one component,
    whose DC was sent before. Per coefficient of each component, in script order: its first
    scan has Ah = 0; each later one refines by one bit, Ah = the previous Al and Al = Ah - 1
    (so bands may overlap only as refinements). At the end every component's DC was sent.
    """
    # last_al[c][k]: the Al of the last scan that sent coefficient k of component c, or -1.
    last_al = [[-1] * 64 for _ in range(n_components)]
    for number, entry in enumerate(entries):
        components, ss, se, ah, al = entry

        def fail(rule: str, number: int = number, entry: ScriptEntry = entry) -> None:
            raise ValueError(f"scan {number} (components {entry[0]}, Ss={entry[1]}, "
                             f"Se={entry[2]}, Ah={entry[3]}, Al={entry[4]}): {rule}")

        if not 1 <= len(components) <= MAX_COMPONENTS_IN_SCAN:
            fail(f"a scan has 1 to {MAX_COMPONENTS_IN_SCAN} components")
        if any(not 0 <= c < n_components for c in components):
            fail(f"component indices are 0..{n_components - 1} for this frame")
        if any(a >= b for a, b in itertools.pairwise(components)):
            fail("components must be in frame order, each once")
        if not 0 <= ss <= se <= 63:
            fail("the band must have 0 <= Ss <= Se <= 63")
        if not (0 <= ah <= MAX_AH_AL_8BIT and 0 <= al <= MAX_AH_AL_8BIT):
            fail(f"Ah and Al must be 0..{MAX_AH_AL_8BIT} for 8-bit samples (libjpeg's limit)")
        if ss == 0 and se != 0:
            fail("a DC scan (Ss=0) cannot also send AC coefficients (Se must be 0)")
        if ss > 0 and len(components) != 1:
            fail("an AC scan (Ss>0) has exactly one component (T.81 G.1.1.1.1)")
        for c in components:
            if ss > 0 and last_al[c][0] < 0:
                fail(f"an AC scan of component {c} comes before any DC scan of it")
            for k in range(ss, se + 1):
                if last_al[c][k] < 0:
                    if ah != 0:
                        fail(f"coefficient {k} of component {c} is sent here for the first "
                             "time, so Ah must be 0")
                elif ah != last_al[c][k] or al != ah - 1:
                    fail(f"coefficient {k} of component {c} was sent down to bit "
                         f"{last_al[c][k]} before: a refinement needs Ah={last_al[c][k]} and "
                         f"Al={last_al[c][k] - 1} (bands overlap only as refinements)")
                last_al[c][k] = al
    unsent = [c for c in range(n_components) if last_al[c][0] < 0]
    if unsent:
        raise ValueError(f"the script never sends the DC coefficient of component(s) {unsent}")


def warn_incomplete_script(entries: tuple[ScriptEntry, ...], n_components: int) -> None:
    """Warn if the script leaves bits of some coefficients unsent.

    libjpeg accepts such a script (only the DC must be sent, jcmaster.c), and so does this
    function's caller, but the file then loses more than quantization loses: say so rather
    than drop those bits quietly.
    """
    last_al = [[-1] * 64 for _ in range(n_components)]
    for components, ss, se, _, al in entries:
        for c in components:
            for k in range(ss, se + 1):
                last_al[c][k] = al
    short = [(c, k) for c in range(n_components) for k in range(64) if last_al[c][k] != 0]
    if short:
        components = sorted({c for c, _ in short})
        warn_user(f"the scan script does not send every bit of {len(short)} coefficient(s) of "
                  f"component(s) {components} (never sent, or not down to bit 0): those bits "
                  "are lost")
