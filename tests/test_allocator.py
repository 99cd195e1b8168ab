"""nlp.allocator: a batch process gives the memory of freed large blocks back to the system."""
from __future__ import annotations

import subprocess
import sys

import pytest

from nlp.allocator import fix_mmap_threshold

#: Frees one large block (which raises glibc's threshold), then allocates 64 blocks of 1 MiB, each
#: followed by a small block that stays, frees the large ones and prints the MiB still resident.
_PROGRAM = """
import sys, psutil, numpy as np
from nlp.allocator import fix_mmap_threshold
if sys.argv[1] == "fixed":
    assert fix_mmap_threshold()
process = psutil.Process()
first = np.ones(8 << 20, dtype=np.uint8)
del first
before = process.memory_info().rss
blocks, kept = [], []
for _ in range(64):
    blocks.append(np.ones(1 << 20, dtype=np.uint8))
    kept.append(bytearray(200_000))
del blocks
print((process.memory_info().rss - before) / 2**20)
"""


def _resident_after_freeing(mode: str) -> float:
    done = subprocess.run([sys.executable, "-c", _PROGRAM, mode], capture_output=True, text=True, check=True)
    return float(done.stdout)


@pytest.mark.skipif(not sys.platform.startswith("linux") or not fix_mmap_threshold(), reason="glibc only")
def test_freed_large_blocks_are_given_back() -> None:
    kept_small = 64 * 200_000 / 2**20  # ~12 MiB that really stay
    fixed, default = _resident_after_freeing("fixed"), _resident_after_freeing("default")
    assert fixed < kept_small + 8
    assert default > fixed + 32  # what the fix is for: glibc's default kept the freed blocks
