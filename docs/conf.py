"""Sphinx configuration of the documentation site (docs/site.md says how it is built).

scripts/docs.sh lays out the site's sources as the repository has them, docs/*.md under
docs/ and the *executed* notebooks under notebooks/, so that every relative link that works
on GitHub works here too, and runs Sphinx on that copy with this file (``-c docs``).
"""

from __future__ import annotations

import re

import stripjpeg

project = "stripjpeg"
author = "the stripjpeg authors"
copyright = "the stripjpeg authors"
release = stripjpeg.__version__

extensions = ["myst_nb"]
root_doc = "docs/index"
exclude_patterns = ["**/.ipynb_checkpoints", "**/.*.partial"]

# docs/*.md stay plain Markdown (GitHub shows them): links are ordinary [text](file.md#anchor),
# so every heading gets the anchor GitHub gives it, and a link to a missing page or heading is
# a warning, which the build turns into an error.
myst_heading_anchors = 4
myst_enable_extensions = ["dollarmath"]

# The notebooks were executed by tests/test_notebooks.py; the site shows their outputs as they
# are and never runs them a second time.
nb_execution_mode = "off"
nb_merge_streams = True

html_theme = "furo"
html_title = f"stripjpeg {release}"
html_show_sourcelink = False

#: Links in docs/index.md, in order, to pages of the site: they become its table of contents.
PAGE_LINK = re.compile(r"\]\(((?:\.\./notebooks/)?[\w.-]+)\.(?:md|ipynb)\)")


def add_table_of_contents(app, docname: str, source: list[str]) -> None:
    """Give docs/index.md a hidden toctree listing the pages it links to, in its order, so the
    Markdown file itself stays a plain list of links (readable on GitHub)."""
    if docname != root_doc:
        return
    pages = list(dict.fromkeys(PAGE_LINK.findall(source[0])))
    source[0] += "\n\n```{toctree}\n:hidden:\n\n" + "\n".join(pages) + "\n```\n"


def setup(app) -> dict[str, bool]:
    app.connect("source-read", add_table_of_contents)
    return {"parallel_read_safe": True}


