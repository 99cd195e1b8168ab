"""A batch of documents (PDF, Word, workbooks) as reviewers send them: `iqc score` of a folder of
files against a reference tree, in turn, on the same files.

The first pass reads every file before anything is scored; with several files and ``--jobs`` > 1
they are read by reading processes (``nlp/first_pass.py``). This measures what that changes for a
whole run: wall seconds and CPU-seconds of the process tree (as ``batch_bench.py`` measures them),
per format, ``--rounds`` times each tree in turn, and checks that both trees wrote the same bytes.
The files: ``--files`` files of ``--rows-per-file`` labelled corpus rows drawn at random (short
cells only, so that a table row fits a PDF page), each a document of its own.

    python benchmarks/documents_bench.py --reference /tmp/older-tree --jobs 2
"""
from __future__ import annotations

import argparse
import filecmp
import statistics
import sys
import tempfile
from pathlib import Path

import pandas as pd

from nlp.corpus import load_corpus

sys.path[:0] = [str(Path(__file__).resolve().parent), str(Path(__file__).resolve().parents[1] / "tests")]
from batch_bench import IQC, measured  # noqa: E402
from make_documents import TABLE_COLUMNS, cjk_font, make_docx, make_pdf  # noqa: E402

FORMATS = ("pdf", "docx", "xlsx")
#: A PDF table row must fit a page: rows with longer cells are left out.
SHORT_CELL = 40


def short_rows() -> pd.DataFrame:
    """The labelled corpus rows whose table cells are all short, their context cut short too."""
    corpus = load_corpus().astype(str)
    kept = corpus[corpus[list(TABLE_COLUMNS)].apply(lambda row: max(map(len, row)) < SHORT_CELL, axis=1)].copy()
    kept["project_name"] = kept["project_name"].str[:40]
    kept["project_goal"] = kept["project_goal"].str[:60]
    return kept.reset_index(drop=True)


def write_files(kind: str, rows: pd.DataFrame, files: int, per_file: int, folder: Path) -> int:
    """``files`` documents of ``kind``, each ``per_file`` rows drawn from ``rows`` (in their
    order); the rows written."""
    folder.mkdir(parents=True)
    for i in range(files):
        part = rows.sample(per_file, random_state=i).sort_index().reset_index(drop=True)
        path = folder / f"doc{i:03d}.{kind}"
        if kind == "pdf":
            make_pdf(part, path, cjk_font())
        elif kind == "docx":
            make_docx(part, path)
        else:
            part.to_excel(path, index=False, engine="openpyxl")
    return per_file * files


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--reference", type=Path, required=True, metavar="DIR", help="the other tree")
    parser.add_argument("--jobs", type=int, default=2)
    parser.add_argument("--files", type=int, default=12)
    parser.add_argument("--rows-per-file", type=int, default=200)
    parser.add_argument("--rounds", type=int, default=3)
    parser.add_argument("--formats", nargs="+", choices=FORMATS, default=list(FORMATS))
    args = parser.parse_args()
    if cjk_font() is None and "pdf" in args.formats:
        sys.exit("no CJK TrueType font for the PDFs (Debian: fonts-wqy-zenhei)")
    rows = short_rows()
    trees = {"this tree": Path.cwd(), "reference": args.reference.resolve()}
    with tempfile.TemporaryDirectory() as work:
        for kind in args.formats:
            folder = Path(work) / kind
            count = write_files(kind, rows, args.files, args.rows_per_file, folder)
            runs: dict[str, list] = {label: [] for label in trees}
            for _ in range(args.rounds):
                for label, tree in trees.items():
                    out = Path(work) / f"{kind}-{label.replace(' ', '-')}.csv"
                    command = ["sh", "-c", 'cd "$0" && exec "$@"', str(tree), *IQC, "score", str(folder), "-o",
                               str(out), "--jobs", str(args.jobs), "--quiet"]
                    runs[label].append(measured(label, count, command))
            same = filecmp.cmp(*(Path(work) / f"{kind}-{label.replace(' ', '-')}.csv" for label in trees), shallow=False)
            print(f"{kind}: {args.files} files, {count:,} rows, --jobs {args.jobs}; outputs identical: {same}")
            for label, measured_runs in runs.items():
                walls, cpus = [r.wall for r in measured_runs], [r.cpu for r in measured_runs]
                print(f"  {label:<10} wall s {statistics.median(walls):6.2f} ({min(walls):.2f}–{max(walls):.2f})"
                      f"   CPU s {statistics.median(cpus):6.2f} ({min(cpus):.2f}–{max(cpus):.2f})")
            ratios = [a.wall / b.wall for a, b in zip(*runs.values())]
            print(f"  wall ratio, round by round: {', '.join(f'{r:.3f}' for r in ratios)}")


if __name__ == "__main__":
    main()
