"""End-to-end batch benchmark: CSV in -> `iqc score` -> CSV out, next to the keyword baseline.

Builds a large batch the way a finance bureau's batch looks: whole real tables of data/corpus,
resampled (a department reuses a table layout), each copy under its own project name and table id,
five copies to a document, with a share of target values perturbed (other numbers, same shape). Prints rows/s and peak RSS
(the scoring process and its workers) for the model, rows/s for the keyword baseline over the same
file in the same run, and the share of distinct rows -- the scorer computes each distinct row
once, so that share drives its speed; the "cold" line is the in-process rate when every row is
new (memo off). Machines are noisy: compare the ratios.

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

import nlp
from nlp.context import ANALYSED_CELLS
from nlp.corpus import load_corpus
from nlp.records import ALL_COLUMNS
from nlp.rules import keyword_baseline

PERTURBED_SHARE = 0.3
BLOCK_TABLES = 5_000
TABLES_PER_DOCUMENT = 5  # a department's document holds several project tables


def build_batch(rows: int, path: Path, seed: int = 0) -> None:
    """Write ``rows`` rows of resampled, perturbed real tables to ``path`` (CSV)."""
    corpus = load_corpus()
    corpus = corpus[[c for c in ALL_COLUMNS if c in corpus.columns]].astype(str).reset_index(drop=True)
    tables = [np.asarray(index) for index in corpus.groupby("table_id", sort=True).indices.values()]
    rng = np.random.default_rng(seed)
    written, copies = 0, 0
    with path.open("w", encoding="utf-8") as handle:
        while written < rows:
            picks = rng.integers(len(tables), size=BLOCK_TABLES)
            sizes = np.array([len(tables[t]) for t in picks])
            chunk = corpus.iloc[np.concatenate([tables[t] for t in picks])].reset_index(drop=True)
            copy_ids = np.repeat(np.arange(copies, copies + len(picks)), sizes)
            n = min(len(chunk), rows - written)
            chunk, copy_ids = chunk.iloc[:n].copy(), copy_ids[:n]
            chunk["table_id"] = [f"T{c}" for c in copy_ids]
            chunk["doc_id"] = [f"D{c // TABLES_PER_DOCUMENT}" for c in copy_ids]
            chunk["row_id"] = [f"R{written + i}" for i in range(n)]
            chunk["project_name"] = chunk["project_name"] + "（" + pd.Series(copy_ids % 997).astype(str) + "）"
            perturbed = rng.random(n) < PERTURBED_SHARE
            chunk.loc[perturbed, "target_value"] = [_perturb_number(v, rng) for v in chunk.loc[perturbed, "target_value"]]
            chunk.to_csv(handle, index=False, header=written == 0)
            written, copies = written + n, copies + len(picks)


def _perturb_number(value: str, rng: np.random.Generator) -> str:
    """Replace the first integer in ``value`` by another of similar size (new cell, same shape)."""
    match = re.search(r"\d+", value)
    if not match:
        return value
    number = int(match.group())
    return value[:match.start()] + str(max(1, number + int(rng.integers(-number // 5 - 1, number // 5 + 2)))) + value[match.end():]


def peak_memory_of(command: list[str]) -> tuple[float, float, float]:
    """Run ``command``; return (seconds, peak RSS, peak PSS), in MiB summed over the process tree.

    RSS counts the libraries every worker maps (numpy, scikit-learn, spaCy: ~200 MiB each) once per
    process; PSS splits shared pages between the processes that map them, so its sum is what the
    batch really occupies. Both are reported.
    """
    start = time.perf_counter()
    process = psutil.Popen(command, stdout=subprocess.DEVNULL, stderr=subprocess.PIPE)
    peak_rss = peak_pss = 0
    while process.poll() is None:
        try:
            tree = [p for p in (process, *process.children(recursive=True)) if p.is_running()]
            peak_rss = max(peak_rss, sum(p.memory_info().rss for p in tree))
            peak_pss = max(peak_pss, sum(p.memory_full_info().pss for p in tree))
        except psutil.Error:
            pass
        time.sleep(0.05)
    elapsed = time.perf_counter() - start
    if process.returncode != 0:
        sys.exit(f"command failed: {' '.join(command)}\n{process.stderr.read().decode()}")
    return elapsed, peak_rss / 2**20, peak_pss / 2**20


def baseline_rate(path: Path) -> float:
    start, count = time.perf_counter(), 0
    for chunk in pd.read_csv(path, dtype=str, keep_default_na=False, chunksize=50_000):
        for level2, name, value in zip(chunk["level2"], chunk["level3"], chunk["target_value"]):
            keyword_baseline(level2, name, value)
        count += len(chunk)
    return count / (time.perf_counter() - start)


def distinct_share(path: Path) -> float:
    """Share of rows whose analysed cells occur for the first time (an upper bound on the scorer's
    distinct analysis keys, which also include table facts)."""
    frame = pd.read_csv(path, dtype=str, keep_default_na=False, usecols=list(ANALYSED_CELLS))
    return len(frame.drop_duplicates()) / len(frame)


def cold_rate(path: Path, rows: int = 5_000) -> float:
    """In-process rows/s with the memo off, on ``rows`` distinct rows of the batch."""
    frame = pd.read_csv(path, dtype=str, keep_default_na=False, nrows=20 * rows)
    frame = frame.drop_duplicates(subset=list(ANALYSED_CELLS)).head(rows)
    scorer = nlp.load(memo_rows=0)
    scorer.score_frame(frame.head(100))
    start = time.perf_counter()
    scorer.score_frame(frame)
    return len(frame) / (time.perf_counter() - start)


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--rows", type=int, default=100_000)
    parser.add_argument("--jobs", type=int, default=2)
    args = parser.parse_args()
    with tempfile.TemporaryDirectory() as tmp:
        batch, out = Path(tmp) / "batch.csv", Path(tmp) / "scored.csv"
        build_batch(args.rows, batch)
        seconds, rss, pss = peak_memory_of([shutil.which("iqc") or "iqc", "score", str(batch), "-o", str(out),
                                    "--jobs", str(args.jobs), "--quiet"])
        scored_rows = len(pd.read_csv(out, dtype=str, keep_default_na=False, usecols=["row_id"]))
        base, distinct, cold = baseline_rate(batch), distinct_share(batch), cold_rate(batch)
    print(f"rows: {args.rows:,} (output rows {scored_rows:,}), jobs: {args.jobs}, distinct rows: {distinct:.1%}")
    print(f"iqc score        : {args.rows / seconds:>10,.0f} rows/s  ({seconds:.1f} s, "
          f"peak RSS {rss:,.0f} MiB, peak PSS {pss:,.0f} MiB)")
    print(f"keyword baseline : {base:>10,.0f} rows/s  (single process, same file)")
    print(f"model / baseline : {args.rows / seconds / base:.3f}")
    print(f"cold (memo off)  : {cold:>10,.0f} rows/s  (one process, every row distinct)")


if __name__ == "__main__":
    main()
