"""``python -m lcgis``: see :mod:`lcgis.cli`."""

from __future__ import annotations

import os
import sys
from typing import TYPE_CHECKING

if TYPE_CHECKING:
    from collections.abc import Mapping, MutableMapping, Sequence


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


#: glibc's ``mallopt`` parameters (``malloc.h``) and the values :func:`steady_heap` sets:
#: the largest threshold glibc accepts on 64-bit systems, and 1 GiB of freed memory kept.
M_TRIM_THRESHOLD, M_MMAP_THRESHOLD = -1, -3
MMAP_THRESHOLD, TRIM_THRESHOLD = 32 * 2**20, 2**30
#: The environment variables by which a user sets the same (glibc reads them at start-up).
MALLOC_VARIABLES = ("MALLOC_MMAP_THRESHOLD_", "MALLOC_TRIM_THRESHOLD_")


def steady_heap(environ: Mapping[str, str] = os.environ) -> bool:
    """Keep freed memory in the C heap for the next array, unless the user chose otherwise;
    True when set.

    glibc gives each block above an adaptive threshold its own mapping and returns it to the
    kernel when freed, so that the next array of the same size is faulted in and zeroed
    again, page by page: at the province tier about a million page faults and a few seconds
    of system time, most of it in reading and writing (GDAL and shapely allocate and free
    per feature).  With a fixed threshold of 32 MiB and up to 1 GiB of freed memory kept,
    the heap is reused instead.  Only on Linux with glibc; elsewhere nothing changes.
    """
    if not sys.platform.startswith("linux") or any(v in environ for v in MALLOC_VARIABLES):
        return False
    import ctypes
    import platform

    if platform.libc_ver()[0] != "glibc":
        return False
    try:
        mallopt = ctypes.CDLL(None).mallopt  # the C library this process runs on
    except (OSError, AttributeError):
        return False
    mallopt.argtypes, mallopt.restype = (ctypes.c_int, ctypes.c_int), ctypes.c_int
    return bool(mallopt(M_MMAP_THRESHOLD, MMAP_THRESHOLD)) and bool(
        mallopt(M_TRIM_THRESHOLD, TRIM_THRESHOLD)
    )


if __name__ == "__main__":
    one_blas_thread(sys.argv[1:])
    small_pages()
    steady_heap()

    from lcgis.cli import main

    sys.exit(main())
