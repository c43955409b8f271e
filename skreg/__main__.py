"""``python -m skreg``: the command line (see :mod:`skreg.cli`)."""

import sys

from .cli import main

__all__ = ["main"]

if __name__ == "__main__":
    sys.exit(main())
