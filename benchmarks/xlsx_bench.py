"""Reviewer workbook benchmark: score N resampled real rows to XLSX, then open it in LibreOffice.

Times ``iqc score batch.csv -o review.xlsx`` end to end next to the same batch to CSV (the
machine format, as the baseline of the same run), then converts the workbook to PDF with
``libreoffice --headless --convert-to pdf`` (the check that the file opens in LibreOffice).

    python benchmarks/xlsx_bench.py --rows 100000
"""
from __future__ import annotations

import argparse
import shutil
import subprocess
import sys
import tempfile
import time
from pathlib import Path

from batch_bench import build_batch


def timed(command: list[str], timeout: float) -> float:
    start = time.perf_counter()
    subprocess.run(command, check=True, stdout=subprocess.DEVNULL, stderr=subprocess.PIPE, timeout=timeout)
    return time.perf_counter() - start


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--rows", type=int, default=100_000)
    parser.add_argument("--jobs", type=int, default=2)
    parser.add_argument("--libreoffice-timeout", type=float, default=900)
    args = parser.parse_args()
    iqc = shutil.which("iqc") or "iqc"
    with tempfile.TemporaryDirectory() as tmp:
        folder = Path(tmp)
        batch = folder / "batch.csv"
        build_batch(args.rows, batch)
        score = [iqc, "score", str(batch), "--jobs", str(args.jobs), "--quiet", "-o"]
        xlsx_seconds = timed([*score, str(folder / "review.xlsx")], timeout=3600)
        csv_seconds = timed([*score, str(folder / "scored.csv")], timeout=3600)
        size = (folder / "review.xlsx").stat().st_size / 2**20
        print(f"rows: {args.rows:,}, jobs: {args.jobs}")
        print(f"score -> XLSX : {xlsx_seconds:6.1f} s  ({size:.1f} MiB)")
        print(f"score -> CSV  : {csv_seconds:6.1f} s  (baseline: same batch, machine format)")
        office = shutil.which("libreoffice") or shutil.which("soffice")
        if not office:
            sys.exit("libreoffice not found: the open-in-LibreOffice check was not run")
        pdf_seconds = timed([office, "--headless", "--convert-to", "pdf", "--outdir", str(folder),
                             str(folder / "review.xlsx")], timeout=args.libreoffice_timeout)
        converted = (folder / "review.pdf").exists()
        print(f"LibreOffice   : {'converted to PDF' if converted else 'NO PDF written'} in {pdf_seconds:.1f} s")


if __name__ == "__main__":
    main()
