"""``python -m lcgis``: see :mod:`lcgis.cli`."""

from __future__ import annotations

import sys

from lcgis.cli import main

if __name__ == "__main__":
    sys.exit(main())
