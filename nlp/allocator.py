"""Let the C allocator give freed memory back to the system in a long batch process.

glibc serves a large block (a chunk's feature arrays, a pandas column) from its own ``mmap`` and
unmaps it when freed -- until one is freed: then it raises that threshold to the block's size
(up to 32 MiB), and later large blocks come from the heap, where memory between two blocks still
in use stays resident after they are freed. Over never-seen rows a scoring process kept tens of
MiB that no object used (``benchmarks/batch_bench.py``). Setting the threshold explicitly fixes
it at glibc's initial 128 KiB.
"""
from __future__ import annotations

import ctypes
import ctypes.util

#: ``mallopt`` parameter number of the mmap threshold (glibc's ``M_MMAP_THRESHOLD``).
_M_MMAP_THRESHOLD = -3
#: glibc's initial threshold: blocks from this size up are mapped on their own.
MMAP_THRESHOLD_BYTES = 128 * 1024


def fix_mmap_threshold() -> bool:
    """Fix the C allocator's mmap threshold; ``False`` where there is no glibc ``mallopt``
    (macOS, Windows, musl refuses it): nothing changes there."""
    try:
        mallopt = ctypes.CDLL(ctypes.util.find_library("c") or "libc.so.6").mallopt
    except (OSError, AttributeError):
        return False
    return bool(mallopt(_M_MMAP_THRESHOLD, MMAP_THRESHOLD_BYTES))
