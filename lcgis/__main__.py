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


def small_pages(environ: MutableMapping[str, str] = os.environ) -> None:
    """Ordinary memory pages for numpy's arrays, unless the user chose otherwise.

    numpy asks the kernel for huge pages for every large array; where the kernel grants them
    on request, each new array of a large dataset is faulted in and zeroed 2 MiB at a time,
    which at the province tier costs about 4 s of system time in reading alone (the arrays
    are short-lived: the pages are given back long before they would pay off).  Set before
    numpy is imported.
    """
    environ.setdefault("NUMPY_MADVISE_HUGEPAGE", "0")


if __name__ == "__main__":
    one_blas_thread(sys.argv[1:])
    small_pages()

    from lcgis.cli import main

    sys.exit(main())
