"""Issue #11 beyond the file corpus: which files a run reads, interruption, the commands'
own arguments, oversized cells in the scored output, wide XLSX outputs, the seed-002 rubric."""
from __future__ import annotations

import argparse
import contextlib
import errno
import json
import os
import signal
import subprocess
import sys
import threading
import time
from pathlib import Path
from types import SimpleNamespace

import openpyxl
import pandas as pd
import pytest
from fastapi.testclient import TestClient

from fake_scorer import make_scorer
from nlp import cli
from nlp.api import ApiSettings, create_app
from nlp.cli import EXIT_INPUT_FAILED, EXIT_INTERRUPTED, EXIT_OK, EXIT_USAGE
from nlp.limits import ANALYSED_CELL_CHARS
from nlp.long_cells import CODE
from nlp.report import atomic

ROOT = Path(__file__).resolve().parent.parent
SEED_002 = Path(os.environ.get("IQC_SEEDS_DIR", "/work/shared/seeds")) / "002_183498dc53c4a3e4.txt"


def _csv(path: Path, text: str) -> Path:
    path.parent.mkdir(parents=True, exist_ok=True)
    path.write_text(text, encoding="utf-8")
    return path


def _read(path: Path) -> pd.DataFrame:
    return pd.read_csv(path, dtype=str, keep_default_na=False, encoding="utf-8-sig")


def test_same_file_twice_is_read_once_and_the_output_is_never_an_input(iqc, tmp_path: Path, monkeypatch) -> None:
    folder = tmp_path / "in"
    _csv(folder / "a.csv", "level3,target_value\n培训人数,≥100人\n")
    monkeypatch.chdir(tmp_path)
    for _ in range(2):  # the second run finds last run's output in its input folder
        code, _ = iqc("parse", "in/a.csv", folder / "a.csv", "in", "-o", folder / "rows.csv")
        assert code == EXIT_OK
        assert _read(folder / "rows.csv")["level3"].tolist() == ["培训人数"]


def test_a_scored_output_in_an_input_folder_is_skipped_with_the_reason(iqc, tmp_path: Path) -> None:
    folder = tmp_path / "in"
    _csv(folder / "a.csv", "level3,target_value\n培训人数,≥100人\n")
    assert iqc("score", folder, "-o", folder / "scored.csv", "--quiet")[0] == EXIT_OK
    code, err = iqc("score", folder, "-o", tmp_path / "again.csv")
    assert code == EXIT_OK and "scored.csv" in err and "an iqc score output" in err
    assert _read(tmp_path / "again.csv")["source_file"].tolist() == ["a.csv"]


def test_an_input_that_cannot_be_opened_is_one_line_and_the_rest_is_scored(iqc, tmp_path: Path, monkeypatch) -> None:
    good = _csv(tmp_path / "good.csv", "level3,target_value\n培训人数,≥100人\n")
    locked = _csv(tmp_path / "locked.csv", "level3,target_value\nx,1\n")
    real_open = Path.open

    def open_unless_locked(self: Path, *args, **kwargs):  # chmod 000 does not stop root
        if self.name == locked.name:
            raise PermissionError(13, "Permission denied", str(self))
        return real_open(self, *args, **kwargs)

    monkeypatch.setattr(Path, "open", open_unless_locked)
    code, err = iqc("score", good, locked, "-o", tmp_path / "out.csv")
    assert code == EXIT_INPUT_FAILED and "Traceback" not in err
    assert f"iqc: {locked}: Permission denied" in err.splitlines()
    assert _read(tmp_path / "out.csv")["source_file"].tolist() == ["good.csv"]


@pytest.mark.parametrize("command", ["parse", "score"])
def test_a_reader_failing_on_one_file_is_one_line_and_the_rest_is_written(iqc, tmp_path: Path, monkeypatch,
                                                                           command: str) -> None:
    """A library's own error on one damaged file (lxml's XMLSyntaxError in a .docx was one) ended
    the batch with a traceback, the other files' rows unwritten; the HTTP upload names it already."""
    import nlp.first_pass

    good = _csv(tmp_path / "good.csv", "level3,target_value\n培训人数,≥100人\n")
    odd = _csv(tmp_path / "odd.csv", "level3,target_value\nx,1\n")
    read_file = nlp.first_pass.read_file

    def failing_on_odd(path: Path, *args, **kwargs):
        if Path(path).name == odd.name:
            raise TypeError("'NoneType' object is not iterable")
        return read_file(path, *args, **kwargs)

    monkeypatch.setattr(nlp.first_pass, "read_file", failing_on_odd)
    code, err = iqc(command, odd, good, "-o", tmp_path / "out.csv")
    assert code == EXIT_INPUT_FAILED and "Traceback" not in err
    assert f"iqc: {odd}: cannot read (TypeError: 'NoneType' object is not iterable)" in err.splitlines()
    assert _read(tmp_path / "out.csv")["source_file"].tolist() == ["good.csv"]


def _scoring(tmp_path: Path, output: str, *options: str, rows: int = 20_000) -> subprocess.Popen:
    """``iqc score`` of ``rows`` rows into ``output``, returned once it writes its temp file."""
    rows = "\n".join(f"指标{i},≥{i}人" for i in range(rows))
    source = _csv(tmp_path / "in.csv", f"level3,target_value\n{rows}\n")
    env = {**os.environ, "PYTHONPATH": str(ROOT)}
    command = [sys.executable, "-c", "import sys; from nlp.cli import main; sys.exit(main())"]
    process = subprocess.Popen([*command, "score", str(source), "-o", str(tmp_path / output), "--quiet", *options],
                               env=env, stderr=subprocess.PIPE, text=True)
    deadline = time.monotonic() + 60
    while not list(tmp_path.glob(f".{output}.*.tmp")) and time.monotonic() < deadline and process.poll() is None:
        time.sleep(0.05)
    assert list(tmp_path.glob(f".{output}.*.tmp")), "the run ended before it could be interrupted"
    return process


@pytest.mark.parametrize(("output", "options"), [("out.csv", ()), ("out.xlsx", ()), ("out.html", ()),
                                                 ("out.csv", ("--jobs", "2", "--chunk-rows", "2000"))])
def test_sigterm_removes_the_temp_file_and_exits_interrupted(tmp_path: Path, output: str, options: tuple) -> None:
    # two workers finish 20,000 rows in four 5,000-row chunks almost at once: in smaller chunks the
    # writing still has most of the batch ahead when the signal lands
    process = _scoring(tmp_path, output, *options)
    process.send_signal(signal.SIGTERM)
    _, err = process.communicate(timeout=60)
    assert process.returncode == EXIT_INTERRUPTED and "Traceback" not in err, err
    assert sorted(p.name for p in tmp_path.iterdir()) == ["in.csv"]


def test_a_killed_worker_fails_the_batch_instead_of_hanging_it(tmp_path: Path) -> None:
    """The kernel's out-of-memory killer ends a worker with SIGKILL: its chunk is lost, so the
    batch must stop with one line and no output (``multiprocessing.Pool`` waited forever)."""
    import psutil

    process = _scoring(tmp_path, "out.csv", "--jobs", "2", "--chunk-rows", "2000", rows=60_000)
    temp = next(tmp_path.glob(".out.csv.*.tmp"))
    deadline = time.monotonic() + 60
    while temp.exists() and not temp.stat().st_size and time.monotonic() < deadline:
        time.sleep(0.05)  # the first chunk is written: the workers are busy with the next ones
    workers = psutil.Process(process.pid).children()
    assert workers, "no worker to kill"
    workers[0].kill()
    try:
        _, err = process.communicate(timeout=60)
    finally:
        _kill_tree(process)
    _assert_stopped_in_one_line(process, err, tmp_path)


@pytest.mark.parametrize("args", [["serve", "--port", "99999"], ["train", "--folds", "1"], ["score", "x", "-o", "y.csv", "--chunk-rows", "0"],
                                  ["score", "x", "-o", "y.csv", "--jobs", "-3"]])
def test_bad_arguments_are_usage_errors(args: list[str], capsys) -> None:
    from nlp.cli import main

    with pytest.raises(SystemExit) as stop:
        main(args)
    assert stop.value.code == EXIT_USAGE and "Traceback" not in capsys.readouterr().err


def test_train_names_an_empty_corpus_file_in_one_line(tmp_path: Path) -> None:
    corpus = tmp_path / "data" / "corpus"
    corpus.mkdir(parents=True)
    (corpus / "seed_rows.tsv").write_text("", encoding="utf-8")
    env = {**os.environ, "PYTHONPATH": str(ROOT), "IQC_HOME": str(tmp_path)}
    command = [sys.executable, "-c", "import sys; from nlp.cli import main; sys.exit(main())", "train",
               "--models-dir", str(tmp_path / "models")]
    done = subprocess.run(command, env=env, capture_output=True, text=True, timeout=120)
    assert done.returncode == EXIT_INPUT_FAILED
    assert done.stderr.strip() == f"iqc train: {corpus / 'seed_rows.tsv'}: empty file"


def test_evaluate_says_what_is_wrong_in_one_line(iqc, tmp_path: Path) -> None:
    labels = _csv(tmp_path / "labels.tsv", "row_id\tboilerplate\tmismatch\tunmeasurable\tcodes\nr9\t0\t1\t0\tC1\n")
    rows = _csv(tmp_path / "rows.csv", "row_id,level3,target_value\nr1,培训人数,≥100人\n")
    _csv(tmp_path / "empty.tsv", "")
    for args, expected in [
        ((tmp_path / "missing.tsv",), (EXIT_INPUT_FAILED, "no such file")),
        ((tmp_path / "empty.tsv",), (EXIT_INPUT_FAILED, "empty.tsv: empty file")),
        ((labels,), (EXIT_USAGE, "give the rows with --rows")),
        ((labels, "--rows", rows), (EXIT_INPUT_FAILED, "no row_id")),
    ]:
        code, err = iqc("evaluate", *args)
        assert (code, "Traceback" in err) == (expected[0], False) and expected[1] in err
        assert len(err.strip().splitlines()) == 1


def test_evaluate_reads_rows_written_by_parse_as_jsonl(iqc, tmp_path: Path, capsys) -> None:
    source = _csv(tmp_path / "t.csv", "row_id,level3,target_value\nr1,培训人数,≥100人\n")
    assert iqc("parse", source, "-o", tmp_path / "rows.jsonl")[0] == EXIT_OK
    labels = _csv(tmp_path / "labels.tsv", "row_id\tboilerplate\tmismatch\tunmeasurable\tcodes\nr1\t0\t0\t0\t\n")
    assert iqc("evaluate", labels, "--rows", tmp_path / "rows.jsonl")[0] == EXIT_OK
    assert iqc("score", tmp_path / "rows.jsonl", "-o", tmp_path / "s.csv", "--quiet")[0] == EXIT_OK


def test_an_oversized_cell_is_analysed_cut_and_kept_whole_with_a_finding(iqc, tmp_path: Path) -> None:
    giant = "很" * 1_100_000
    source = _csv(tmp_path / "g.csv", f"level3,target_value\n{giant},≥1\n培训人数,≥100人\n")
    code, err = iqc("score", source, "-o", tmp_path / "s.jsonl")
    assert code == EXIT_OK and "Traceback" not in err and "1100000 characters" in err
    first, second = [json.loads(line) for line in (tmp_path / "s.jsonl").read_text(encoding="utf-8").splitlines()]
    assert first["level3"] == giant
    cut = [finding for finding in first["findings"] if finding["code"] == CODE]
    assert len(cut) == 1 and cut[0]["field"] == "level3" and str(ANALYSED_CELL_CHARS) in cut[0]["evidence"]
    assert CODE not in {finding["code"] for finding in second["findings"]}


def test_xlsx_output_keeps_a_column_that_first_appears_in_a_later_file(iqc, tmp_path: Path) -> None:
    first = _csv(tmp_path / "a.csv", "level3,target_value\n合格率,≥95%\n")
    later = _csv(tmp_path / "b.csv", "level3,target_value,我的备注\n培训人数,≥100人,重要\n")
    assert iqc("score", first, later, "-o", tmp_path / "s.xlsx", "--quiet")[0] == EXIT_OK
    book = openpyxl.load_workbook(tmp_path / "s.xlsx", read_only=True)
    cells = {(row[0], header): value for sheet in book.worksheets[:2]
             for header_row, *rows in [list(sheet.iter_rows(values_only=True))]
             for row in rows for header, value in zip(header_row, row)}
    assert cells[("b:2", "我的备注")] == "重要" and ("a:2", "我的备注") not in cells


@pytest.mark.skipif(not SEED_002.is_file(), reason=f"{SEED_002} not found")
def test_the_seed_002_rubric_is_skipped_on_every_path(iqc, tmp_path: Path) -> None:
    for command in ("parse", "score"):
        code, err = iqc(command, SEED_002, "-o", tmp_path / f"{command}.csv")
        assert code == EXIT_OK and "scoring rubric" in err
        output = (tmp_path / f"{command}.csv").read_text(encoding="utf-8-sig")
        assert len(output.splitlines()) <= 1  # a header at most
    client = TestClient(create_app(scorer=make_scorer(), settings=ApiSettings.from_env({})))
    response = client.post("/v1/score/file", files={"file": (SEED_002.name, SEED_002.read_bytes())})
    message = response.json()["error"]["message"]
    assert response.status_code == 422 and "no indicator rows" in message and "scoring rubric" in message


def test_an_error_raised_by_a_sigterm_is_reported_as_an_interruption(monkeypatch, capsys) -> None:
    """Inside an import, Python re-raises the handler's KeyboardInterrupt as RuntimeError."""
    def wrapped_interrupt(args: argparse.Namespace) -> int:
        raise RuntimeError("Error calling __set_name__ on '_Cached' instance")

    monkeypatch.setattr(atomic, "_terminated", threading.Event())
    monkeypatch.setattr(cli, "build_parser",
                        lambda: SimpleNamespace(parse_args=lambda argv: argparse.Namespace(handler=wrapped_interrupt)))
    with pytest.raises(RuntimeError):  # no SIGTERM came: a failure stays a failure
        cli.main([])
    atomic._terminated.set()
    assert cli.main([]) == EXIT_INTERRUPTED
    assert capsys.readouterr().err == "iqc: interrupted\n"


def test_a_sigterm_python_swallowed_still_stops_the_output_and_prints_no_traceback(tmp_path: Path, monkeypatch,
                                                                                   capsys) -> None:
    """The handler's KeyboardInterrupt, raised inside a weakref callback (one runs in every import),
    was printed as "Exception ignored … Traceback" and lost: the run went on and published its output
    with exit 0 (seen in test_sigterm_removes_the_temp_file_and_exits_interrupted)."""
    import gc
    import weakref

    monkeypatch.setattr(atomic, "_terminated", threading.Event())
    monkeypatch.setattr(sys, "unraisablehook", sys.unraisablehook)
    target = atomic.AtomicTarget(tmp_path / "out.csv")
    try:
        target.tmp.write_text("half a report", encoding="utf-8")

        class Resource:
            pass

        resource = Resource()
        ref = weakref.ref(resource, lambda _: atomic._raise_interrupt(signal.SIGTERM, None))  # noqa: F841
        del resource
        gc.collect()
        with pytest.raises(KeyboardInterrupt):
            target.commit()
    finally:
        target.discard()
    assert list(tmp_path.iterdir()) == []
    assert "Traceback" not in capsys.readouterr().err


@pytest.mark.parametrize("output, fails", [("out.xlsx", "nlp.report.xlsx.xlsxwriter.Workbook"),
                                           ("out.sarif", "nlp.report.sarif._log_without_results")])
def test_an_interrupt_while_a_report_writer_opens_leaves_no_temp_file(tmp_path: Path, monkeypatch, output: str,
                                                                      fails: str) -> None:
    """SIGTERM can land after the temp file exists and before the caller's ``with`` holds the writer."""
    from nlp.report import open_report_writer

    def interrupted(*args, **kwargs):
        raise KeyboardInterrupt("signal 15")

    monkeypatch.setattr(fails, interrupted)
    with pytest.raises(KeyboardInterrupt):
        open_report_writer(tmp_path / output)
    assert list(tmp_path.iterdir()) == []


def _disk_full(*args, **kwargs):
    raise OSError(errno.ENOSPC, "No space left on device")


@pytest.mark.parametrize("files, jobs", [(1, "1"), (2, "2")], ids=["read-here", "reading-processes"])
def test_a_full_disk_while_reading_is_one_line_and_leaves_nothing(iqc, tmp_path: Path, monkeypatch, files: int,
                                                                  jobs: str) -> None:
    """The first pass keeps the chunks in a temp file beside the output (and, with several files
    and --jobs, one per file being read): a full disk there is the output's failure, said in one
    line, not a traceback, and leaves none of them."""
    import nlp.first_pass

    sources = [_csv(tmp_path / f"in{i}.csv", "level3,target_value\n培训人数,≥100人\n") for i in range(files)]
    monkeypatch.setattr(nlp.first_pass.pickle, "dump", _disk_full)  # reading processes are forked: patched too
    code, err = iqc("score", *sources, "-o", tmp_path / "out.csv", "--jobs", jobs)
    assert code == EXIT_INPUT_FAILED and "Traceback" not in err
    assert err.strip() == f"iqc: cannot write {tmp_path / 'out.csv'}: No space left on device; nothing was written"
    assert sorted(p.name for p in tmp_path.iterdir()) == sorted(p.name for p in sources)


def test_a_full_disk_while_the_workbook_is_zipped_leaves_no_parts(iqc, tmp_path: Path, monkeypatch) -> None:
    """xlsxwriter stages every XML part in a temp file and removes them only when zipping succeeds."""
    import xlsxwriter.workbook

    def stage_then_fail(book) -> None:
        (Path(book.tmpdir) / "tmp_part").write_text("<xml/>", encoding="utf-8")
        _disk_full()

    source = _csv(tmp_path / "in.csv", "level3,target_value\n培训人数,≥100人\n")
    monkeypatch.setattr(xlsxwriter.workbook.Workbook, "_store_workbook", stage_then_fail)
    code, err = iqc("score", source, "-o", tmp_path / "out.xlsx")
    assert code == EXIT_INPUT_FAILED and "No space left on device" in err and "Traceback" not in err
    assert sorted(p.name for p in tmp_path.iterdir()) == ["in.csv"]


def test_iqc_parse_says_a_full_disk_in_one_line(iqc, tmp_path: Path, monkeypatch) -> None:
    import nlp.io_write

    source = _csv(tmp_path / "in.csv", "level3,target_value\n培训人数,≥100人\n")
    monkeypatch.setattr(nlp.io_write, "write_frames", _disk_full)
    code, err = iqc("parse", source, "-o", tmp_path / "rows.csv")
    assert code == EXIT_INPUT_FAILED and "Traceback" not in err
    assert f"iqc: cannot write {tmp_path / 'rows.csv'}: No space left on device" in err


def test_workers_killed_while_idle_fail_the_batch_instead_of_hanging_it(tmp_path: Path) -> None:
    """An idle worker waits for its next chunk holding the pool's task-queue lock: killed then, it
    left ``Pool.terminate`` waiting for that lock forever. Both workers are killed while the batch
    is still being read, so the lock's holder is among them."""
    import psutil

    rows = "\n".join(f"指标{i},≥{i}人" for i in range(400_000))
    source = _csv(tmp_path / "in.csv", f"level3,target_value\n{rows}\n")
    command = [sys.executable, "-c", "import sys; from nlp.cli import main; sys.exit(main())"]
    process = subprocess.Popen([*command, "score", str(source), "-o", str(tmp_path / "out.csv"), "--quiet", "--jobs", "2"],
                               env={**os.environ, "PYTHONPATH": str(ROOT)}, stderr=subprocess.PIPE, text=True)
    try:
        deadline, workers = time.monotonic() + 60, []
        while time.monotonic() < deadline and process.poll() is None:
            workers = psutil.Process(process.pid).children()
            if len(workers) == 2 and all(w.memory_info().rss > 200 * 2**20 and w.cpu_percent(0.2) < 5 for w in workers):
                break  # both loaded the model and wait for chunks
        assert len(workers) == 2 and process.poll() is None, "the workers were never idle"
        for worker in workers:
            worker.kill()
        _, err = process.communicate(timeout=60)
    finally:
        _kill_tree(process)
    _assert_stopped_in_one_line(process, err, tmp_path)


def _assert_stopped_in_one_line(process: subprocess.Popen, err: str, tmp_path: Path) -> None:
    """A batch that lost a worker: exit 1, one line saying so, no output and no temp file."""
    assert process.returncode == EXIT_INPUT_FAILED and "Traceback" not in err, err
    assert err.count("worker ended abruptly") == 1
    assert sorted(p.name for p in tmp_path.iterdir()) == ["in.csv"]


def _kill_tree(process: subprocess.Popen) -> None:
    """A hung batch (the failure these tests guard against) and its workers must not outlive the test."""
    import psutil

    with contextlib.suppress(psutil.NoSuchProcess):
        for child in psutil.Process(process.pid).children(recursive=True):
            child.kill()
    process.kill()


def test_an_interrupt_before_the_with_that_owns_a_temp_file_leaves_none(iqc, tmp_path: Path, monkeypatch) -> None:
    """A SIGTERM can land just after the temp file is created, before the ``with`` that would
    remove it begins (a CI run of the SIGTERM test with two workers left one so)."""
    def interrupted(self):
        raise KeyboardInterrupt

    source = _csv(tmp_path / "in.csv", "level3,target_value\n培训人数,≥100人\n")
    monkeypatch.setattr(atomic.AtomicTarget, "__enter__", interrupted)
    code, err = iqc("score", source, "-o", tmp_path / "out.csv")
    assert code == EXIT_INTERRUPTED and "Traceback" not in err
    assert sorted(p.name for p in tmp_path.iterdir()) == ["in.csv"]


@pytest.mark.parametrize("command", [["score", "in.csv", "-o", "out.csv"], ["parse", "in.csv", "-o", "out.csv"], ["train"]])
def test_a_wrong_iqc_home_is_one_line(tmp_path: Path, command: list[str]) -> None:
    """IQC_HOME without data/: modules load their lexicons on import, which was a traceback (two)."""
    env = {**os.environ, "PYTHONPATH": str(ROOT), "IQC_HOME": str(tmp_path / "nowhere")}
    done = subprocess.run([sys.executable, "-c", "import sys; from nlp.cli import main; sys.exit(main())", *command],
                          env=env, capture_output=True, text=True, timeout=120, cwd=tmp_path)
    assert done.returncode == EXIT_USAGE
    assert len(done.stderr.strip().splitlines()) == 1 and "Traceback" not in done.stderr
    assert f"IQC_HOME={tmp_path / 'nowhere'} must be a folder holding data/ and models/" in done.stderr
