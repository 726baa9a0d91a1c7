"""``python -m stripjpeg``: the command line (see :mod:`stripjpeg.cli`)."""

import sys

from .cli import main

sys.exit(main())
