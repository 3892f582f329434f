"""``python -m lcgis``: see :mod:`lcgis.cli`."""

from __future__ import annotations

import os
import sys
from typing import TYPE_CHECKING

if TYPE_CHECKING:
    from collections.abc import MutableMapping, Sequence


def one_blas_thread(argv: Sequence[str], environ: MutableMapping[str, str] = os.environ) -> None:
    """One OpenBLAS thread for the command in ``argv``, unless the user chose otherwise.

    numpy starts one BLAS thread per core when it loads, which costs every short command its
    start-up time for nothing: no command but ``plan`` (the solver's bound) multiplies float
    matrices.  Set before numpy is imported.
    """
    command = next((a for a in argv if not a.startswith("-")), None)
    if command != "plan":
        environ.setdefault("OPENBLAS_NUM_THREADS", "1")


if __name__ == "__main__":
    one_blas_thread(sys.argv[1:])

    from lcgis.cli import main

    sys.exit(main())
