"""The Dask engine against the local pool on the same batch, in the same run, pair by pair.

Scores the batch of ``batch_bench.py`` (resampled real tables, CSV in -> CSV out) with
``iqc score --jobs N`` and ``iqc score --engine dask --jobs N`` (a LocalCluster of N worker
processes) in turn, ``--rounds`` times, and prints each pair's wall-time ratio (dask / local), the
CPU seconds of each whole process tree, and peak RSS/PSS. The outputs must be byte-identical; the
script stops if they are not. The target is a median ratio of at most 1.3 at 200,000 rows.

    python benchmarks/dask_bench.py --rows 200000 --jobs 2 --rounds 3
"""
from __future__ import annotations

import argparse
import statistics
import sys
import tempfile
from pathlib import Path

from batch_bench import IQC, build_batch, measured

TARGET_RATIO = 1.3


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--rows", type=int, default=200_000)
    parser.add_argument("--jobs", type=int, default=2)
    parser.add_argument("--rounds", type=int, default=3)
    args = parser.parse_args()
    ratios, cpu_ratios = [], []
    with tempfile.TemporaryDirectory() as tmp:
        batch = Path(tmp) / "batch.csv"
        build_batch(args.rows, batch)
        engines = {"local": [], "dask": ["--engine", "dask"]}
        for round_ in range(1, args.rounds + 1):
            figures = {}
            for name, options in engines.items():
                out = Path(tmp) / f"{name}.csv"
                figures[name] = measured(name, args.rows, [*IQC, "score", str(batch), "-o", str(out), "--jobs",
                                                           str(args.jobs), "--quiet", *options])
            if (Path(tmp) / "dask.csv").read_bytes() != (Path(tmp) / "local.csv").read_bytes():
                sys.exit("the dask engine's output differs from the local one")
            ratios.append(figures["dask"].wall / figures["local"].wall)
            cpu_ratios.append(figures["dask"].cpu / figures["local"].cpu)
            for name, run in figures.items():
                print(f"round {round_} {name:>5}: {run.rate:>8,.0f} rows/s  wall {run.wall:6.1f} s  "
                      f"CPU {run.cpu:6.1f} s  peak RSS {run.rss:,.0f} MiB  peak PSS {run.pss:,.0f} MiB")
            print(f"round {round_} ratio dask/local: wall {ratios[-1]:.3f}, CPU {cpu_ratios[-1]:.3f}")
    median = statistics.median(ratios)
    print(f"rows {args.rows:,}, jobs {args.jobs}: median wall ratio dask/local {median:.3f} "
          f"(min {min(ratios):.3f}, max {max(ratios):.3f}); target <= {TARGET_RATIO}: "
          f"{'met' if median <= TARGET_RATIO else 'missed'}; median CPU ratio {statistics.median(cpu_ratios):.3f}; "
          "outputs byte-identical")


if __name__ == "__main__":
    main()
