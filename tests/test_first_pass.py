"""The first pass read by reading processes (several files, ``--jobs`` > 1) gives what reading in
the batch's own process gives, and a reading process that dies or is interrupted stops the batch
in one line, leaving nothing behind."""
from __future__ import annotations

import contextlib
import io
import os
import pickle
import signal
import subprocess
import sys
import tempfile
import time
from pathlib import Path

import pandas as pd
import pytest
from tqdm import tqdm

from batch_files import write_readable_files
import nlp.first_pass
from nlp.cli import EXIT_INPUT_FAILED, EXIT_INTERRUPTED
from nlp.first_pass import BatchOutcome, Chunk, joined, read_and_index, reading_processes

ROOT = Path(__file__).resolve().parent.parent


@pytest.fixture(scope="module")
def inputs(tmp_path_factory: pytest.TempPathFactory, public_tables: pd.DataFrame, make_samples) -> list[Path]:
    """Files of every kind a first pass meets: CSV, TSV, a workbook, a table copied into another
    file under another project, a broken row, a broken workbook and a binary file."""
    folder = tmp_path_factory.mktemp("inputs")
    first = write_readable_files(folder, public_tables, make_samples)[0]
    copied = first[first["doc_id"] == first["doc_id"].iloc[0]].assign(project_name="抄来的项目", doc_id="copy")
    copied.to_csv(folder / "d_copy.csv", index=False)
    broken_row = 'level3,target_value\n培训人数,≥100人\n"未闭合,1\n'
    (folder / "e_broken_row.csv").write_text(broken_row, encoding="utf-8")
    (folder / "f_broken.xlsx").write_bytes(b"PK\x03\x04 not really a workbook")
    (folder / "g_binary.csv").write_bytes(b"\x00\x01\x02level3,target_value\n")
    return sorted(folder.iterdir())


def _first_pass(paths: list[Path], jobs: int) -> tuple[bytes, BatchOutcome, object, int]:
    """The spilled chunks, the outcome, the copy index and the rows the progress bar counted."""
    with reading_processes(jobs, paths) as readers, tempfile.TemporaryFile() as spill:
        if jobs > 1:
            assert readers is not None and len(readers.workers) == jobs
        outcome, bar = BatchOutcome(), tqdm(file=io.StringIO())
        index = read_and_index(paths, 3, outcome, spill, bar, readers)
        return spill.read(), outcome, index, bar.n


def _said(outcome: BatchOutcome) -> tuple:
    """An outcome with its errors as the lines they print (exceptions compare by identity)."""
    lines = [[(str(error), error.location) for error in errors] for errors in (outcome.failures, outcome.warnings)]
    return outcome.rows_per_file, outcome.tables_per_file, outcome.skipped, *lines


@pytest.mark.parametrize("tasks", ["a file each", "all files in one"])
def test_reading_processes_give_the_chunks_outcome_and_copies_reading_here_gives(inputs: list[Path], tasks: str,
                                                                                 monkeypatch) -> None:
    if tasks == "all files in one":
        monkeypatch.setattr(nlp.first_pass, "file_groups", lambda paths, readers: iter([paths]))
    here = _first_pass(inputs, jobs=1)
    spilled, outcome, index, counted = _first_pass(inputs, jobs=2)
    assert spilled == here[0]  # the same chunks, pickled byte for byte, in input order
    assert _said(outcome) == _said(here[1])
    unreadable = [str(p) for p in inputs if p.stem.split("_")[-1] in {"row", "broken", "binary"}]
    assert [e.file for e in outcome.failures] == unreadable
    assert index.twins() == here[2].twins() and index.twins()  # the copy across files is found
    assert index.clusters() == here[2].clusters()
    assert counted == here[3] == outcome.rows


def test_iqc_parse_with_reading_processes_writes_and_says_what_it_does_alone(iqc, inputs: list[Path],
                                                                           tmp_path: Path) -> None:
    said = []
    for jobs in ("1", "2"):
        out = tmp_path / f"rows{jobs}.jsonl"
        code, err = iqc("parse", *inputs, "-o", out, "--jobs", jobs)
        said.append((code, err.replace(str(out), "OUT"), out.read_bytes()))
    assert said[0] == said[1] and said[0][0] == EXIT_INPUT_FAILED
    assert sorted(p.name for p in tmp_path.iterdir()) == ["rows1.jsonl", "rows2.jsonl"]  # no spill left


def test_small_tables_are_read_in_groups_in_order(tmp_path: Path, monkeypatch) -> None:
    monkeypatch.setattr(nlp.first_pass, "SMALL_FILE_BYTES", 100)
    sizes = {"a.csv": 10, "b.xlsx": 10, "c.tsv": 10, "d.csv": 10, "big.csv": 500, "e.pdf": 10, "f.jsonl": 60,
             "g.ods": 60, "missing.csv": None}
    paths = []
    for name, size in sizes.items():
        paths.append(tmp_path / name)
        if size is not None:
            paths[-1].write_bytes(b"x" * size)
    groups = [[path.name for path in group] for group in nlp.first_pass.file_groups(paths, readers=1)]
    assert groups == [["a.csv", "b.xlsx"], ["c.tsv", "d.csv"], ["big.csv"], ["e.pdf"], ["f.jsonl", "g.ods"],
                      ["missing.csv"]]  # two to a group: 9 files give one reader ~4 tasks
    few = [[path.name for path in group] for group in nlp.first_pass.file_groups(paths[:4], readers=2)]
    assert few == [["a.csv"], ["b.xlsx"], ["c.tsv"], ["d.csv"]]  # every reader gets several tasks


def test_one_file_or_one_job_is_read_here(inputs: list[Path]) -> None:
    with reading_processes(2, inputs[:1]) as one_file, reading_processes(1, inputs) as one_job:
        assert one_file is None and one_job is None


def test_a_reading_process_that_dies_stops_the_batch_in_one_line(iqc, inputs: list[Path], tmp_path: Path,
                                                                 monkeypatch) -> None:
    """The kernel's out-of-memory killer ends a reader with SIGKILL: its file is lost, so the batch
    stops with one line and no output rather than waiting for ever."""
    read_into = nlp.first_pass.read_into

    def killed_on_the_workbook(paths, *args, **kwargs):
        if any(path.suffix == ".xlsx" for path in paths):  # the task holding the workbook
            os.kill(os.getpid(), signal.SIGKILL)
        return read_into(paths, *args, **kwargs)

    monkeypatch.setattr(nlp.first_pass, "read_into", killed_on_the_workbook)  # readers are forked: patched too
    code, err = iqc("score", *inputs[:4], "-o", tmp_path / "out.csv", "--quiet", "--jobs", "2")
    assert code == EXIT_INPUT_FAILED and "Traceback" not in err, err
    assert err.strip().splitlines()[-1] == f"iqc: {nlp.first_pass.READER_LOST}"
    assert list(tmp_path.iterdir()) == []


def _reading(tmp_path: Path):
    """``iqc score`` of two large files at ``--jobs 2`` in its own process group (as a terminal's
    job), returned once its reading processes spill, with every process it has then."""
    import psutil

    rows = "\n".join(f"指标{i},≥{i}人" for i in range(200_000))
    sources = [tmp_path / f"in{i}.csv" for i in range(2)]
    for source in sources:
        source.write_text(f"level3,target_value\n{rows}\n", encoding="utf-8")
    command = [sys.executable, "-c", "import sys; from nlp.cli import main; sys.exit(main())"]
    process = subprocess.Popen([*command, "score", *map(str, sources), "-o", str(tmp_path / "out.csv"), "--quiet",
                                "--jobs", "2"], env={**os.environ, "PYTHONPATH": str(ROOT)}, stderr=subprocess.PIPE,
                               text=True, start_new_session=True)
    deadline = time.monotonic() + 60
    while not list(tmp_path.glob("iqc-reading-*/*")) and time.monotonic() < deadline and process.poll() is None:
        time.sleep(0.02)
    assert list(tmp_path.glob("iqc-reading-*/*")), "the readers never started"
    return process, psutil.Process(process.pid).children(recursive=True)


@pytest.mark.parametrize("signum", [signal.SIGTERM, signal.SIGINT], ids=["sigterm", "ctrl-c"])
def test_an_interrupt_while_reading_stops_every_process_says_so_in_one_line_and_leaves_nothing(
        tmp_path: Path, signum: int) -> None:
    """SIGTERM (a scheduler, ``kill``) goes to the batch; Ctrl-C, from a terminal, to all its
    processes: before, SIGTERM ended the batch by its default action (no exit 3) and Ctrl-C made
    each worker print "Process ForkPoolWorker-N:" and its traceback around "iqc: interrupted"."""
    import psutil

    process, children = _reading(tmp_path)
    try:
        (os.kill if signum == signal.SIGTERM else os.killpg)(process.pid, signum)
        _, err = process.communicate(timeout=60)
    finally:
        with contextlib.suppress(ProcessLookupError):
            os.killpg(process.pid, signal.SIGKILL)
    assert process.returncode == EXIT_INTERRUPTED and err == "iqc: interrupted\n", err
    assert sorted(p.name for p in tmp_path.iterdir()) == ["in0.csv", "in1.csv"]
    _, alive = psutil.wait_procs(children, timeout=10)
    assert not alive, "reading or scoring processes outlived the batch"


def _chunk(rows: int, columns: tuple[str, ...] = ("level3", "target_value"), table: str = "t") -> Chunk:
    frame = pd.DataFrame({name: [f"{table}{i}" for i in range(rows)] for name in columns})
    return Chunk((pickle.dumps(frame),), columns, (table,), rows)


def test_small_chunks_with_the_same_columns_are_joined_in_order_up_to_the_chunk_size() -> None:
    chunks = [_chunk(3, table="a"), _chunk(4, table="b"), _chunk(2, ("level3",), table="c"), _chunk(2, table="d"),
              _chunk(9, table="e"), _chunk(1, table="f")]
    joined_chunks = list(joined(chunks, rows=8))
    assert [(c.tables, c.rows) for c in joined_chunks] == [
        (("a", "b"), 7), (("c",), 2), (("d",), 2), (("e",), 9), (("f",), 1)]  # other columns, or too many rows
    assert [frame["level3"].iloc[0] for frame in joined_chunks[0].frames()] == ["a0", "b0"]


def test_a_folder_of_one_table_files_scores_as_with_chunks_never_joined(iqc, tmp_path: Path, monkeypatch,
                                                                        public_tables: pd.DataFrame) -> None:
    """One file per project: every file a chunk of a few rows, joined into a few tasks."""
    import nlp.batch

    folder = tmp_path / "projects"
    folder.mkdir()
    for number, (_, table) in enumerate(public_tables.groupby(["doc_id", "project_name"], sort=False)):
        table.to_csv(folder / f"{number:03d}.csv", index=False)
    tasks, join = [], nlp.batch.joined
    monkeypatch.setattr(nlp.batch, "joined", lambda chunks, rows: tasks.extend(join(chunks, rows)) or tasks)
    outputs = []
    for _ in range(2):
        out = tmp_path / f"out{len(outputs)}.jsonl"
        assert iqc("score", folder, "-o", out, "--quiet", "--jobs", "2")[0] == 0
        outputs.append(out.read_bytes())
        monkeypatch.setattr(nlp.batch, "joined", lambda chunks, rows: chunks)  # the second run: never joined
    assert outputs[0] == outputs[1]
    assert len(tasks) == 1 and len(tasks[0].pickled) == len(list(folder.iterdir()))  # 235 rows: one task
