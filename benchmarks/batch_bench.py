"""End-to-end batch benchmark: CSV in -> `iqc score` -> CSV out, next to the keyword baseline.

Builds a large batch by resampling real rows of data/corpus and perturbing them (numbers, project
names, table ids), so cell repetition resembles a real batch without copying it verbatim. Prints
rows/s and peak RSS (the scoring process and its workers) for the model, and rows/s for the
keyword baseline over the same file in the same run. Machines are noisy: compare the ratio.

    python benchmarks/batch_bench.py --rows 1000000 --jobs 2
"""
from __future__ import annotations

import argparse
import re
import shutil
import subprocess
import sys
import tempfile
import time
from pathlib import Path

import numpy as np
import pandas as pd
import psutil

from nlp.corpus import load_corpus
from nlp.records import ALL_COLUMNS
from nlp.rules import keyword_baseline

TABLE_ROWS = 9


def build_batch(rows: int, path: Path, seed: int = 0) -> None:
    """Write ``rows`` resampled-and-perturbed real rows to ``path`` (CSV), one table per 9 rows."""
    corpus = load_corpus()[[c for c in ALL_COLUMNS if c in load_corpus().columns]].astype(str)
    rng = np.random.default_rng(seed)
    written = 0
    with path.open("w", encoding="utf-8") as handle:
        while written < rows:
            n = min(100_000, rows - written)
            chunk = corpus.iloc[rng.integers(len(corpus), size=n)].reset_index(drop=True)
            table = (np.arange(n) + written) // TABLE_ROWS
            chunk["table_id"] = [f"T{t}" for t in table]
            chunk["row_id"] = [f"R{written + i}" for i in range(n)]
            chunk["project_name"] = chunk["project_name"] + "（" + (table % 997).astype(str) + "）"
            perturbed = rng.random(n) < 0.3
            chunk.loc[perturbed, "target_value"] = [_perturb_number(v, rng) for v in chunk.loc[perturbed, "target_value"]]
            chunk.to_csv(handle, index=False, header=written == 0)
            written += n


def _perturb_number(value: str, rng: np.random.Generator) -> str:
    """Replace the first integer in ``value`` by another of similar size (new cell, same shape)."""
    match = re.search(r"\d+", value)
    if not match:
        return value
    number = int(match.group())
    return value[:match.start()] + str(max(1, number + int(rng.integers(-number // 5 - 1, number // 5 + 2)))) + value[match.end():]


def peak_rss_of(command: list[str]) -> tuple[float, float]:
    """Run ``command``; return (seconds, peak RSS in MiB summed over the process tree)."""
    start = time.perf_counter()
    process = psutil.Popen(command, stdout=subprocess.DEVNULL, stderr=subprocess.PIPE)
    peak = 0
    while process.poll() is None:
        try:
            tree = [process, *process.children(recursive=True)]
            peak = max(peak, sum(p.memory_info().rss for p in tree if p.is_running()))
        except psutil.Error:
            pass
        time.sleep(0.05)
    elapsed = time.perf_counter() - start
    if process.returncode != 0:
        sys.exit(f"command failed: {' '.join(command)}\n{process.stderr.read().decode()}")
    return elapsed, peak / 2**20


def baseline_rate(path: Path) -> float:
    start, count = time.perf_counter(), 0
    for chunk in pd.read_csv(path, dtype=str, keep_default_na=False, chunksize=50_000):
        for level2, name, value in zip(chunk["level2"], chunk["level3"], chunk["target_value"]):
            keyword_baseline(level2, name, value)
        count += len(chunk)
    return count / (time.perf_counter() - start)


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--rows", type=int, default=100_000)
    parser.add_argument("--jobs", type=int, default=2)
    args = parser.parse_args()
    with tempfile.TemporaryDirectory() as tmp:
        batch, out = Path(tmp) / "batch.csv", Path(tmp) / "scored.csv"
        build_batch(args.rows, batch)
        seconds, rss = peak_rss_of([shutil.which("iqc") or "iqc", "score", str(batch), "-o", str(out),
                                    "--jobs", str(args.jobs), "--quiet"])
        scored_rows = sum(1 for _ in out.open(encoding="utf-8-sig")) - 1
        base = baseline_rate(batch)
    print(f"rows: {args.rows:,} (output rows {scored_rows:,}), jobs: {args.jobs}")
    print(f"iqc score        : {args.rows / seconds:>10,.0f} rows/s  ({seconds:.1f} s, peak RSS {rss:,.0f} MiB)")
    print(f"keyword baseline : {base:>10,.0f} rows/s  (single process, same file)")
    print(f"model / baseline : {args.rows / seconds / base:.3f}")


if __name__ == "__main__":
    main()
