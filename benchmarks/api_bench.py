"""Load test of the HTTP API: latency under concurrency, a 1,000-row request, and a memory soak.

Starts the server as a subprocess bound to 127.0.0.1 on a free port (``iqc serve``, or the app
with the fake scorer under ``--fake``), waits for ``/v1/health``, drives it from this process with
httpx client threads, samples the server's RSS (psutil, whole process tree) during the soak, and
prints a table. Every loop is bounded by a request count and a time limit.

    python benchmarks/api_bench.py --fake                 # now, against tests/fake_scorer.py
    python benchmarks/api_bench.py                        # against the real model
    python benchmarks/api_bench.py --soak-requests hour   # hour-equivalent soak
"""
from __future__ import annotations

import argparse
import itertools
import json
import shutil
import socket
import subprocess
import sys
import tempfile
import threading
import time
from collections import Counter
from collections.abc import Callable, Iterator
from concurrent.futures import ThreadPoolExecutor
from contextlib import contextmanager
from dataclasses import dataclass, field
from pathlib import Path
from typing import IO

import httpx
import psutil

ROOT = Path(__file__).resolve().parent.parent
HOST = "127.0.0.1"  # the benchmark never binds or calls any other address
#: ``--soak-requests hour``: one hour of a busy internal service at 100 requests/s.
HOUR_EQUIVALENT = 100 * 3600



def real_rows() -> list[dict[str, str]]:
    """The real corpus rows that name an indicator or a value (the API refuses fully empty rows),
    as interchange fields with non-empty cells. Requests cycle through them, so the first pass is
    scored afresh and later passes show the scorer's memo, as repeated rows would in service."""
    from nlp.corpus import load_corpus
    from nlp.records import INTERCHANGE_COLUMNS

    corpus = load_corpus().astype(str)
    fields = [c for c in INTERCHANGE_COLUMNS if c in corpus.columns and c not in {"row_id", "budget_wan"}]
    rows = [{k: v for k, v in row.items() if v} for row in corpus[fields].to_dict("records")]
    return [row for row in rows if row.get("level3") or row.get("target_value")]


ROWS = real_rows()


@dataclass
class Phase:
    """Latencies (seconds) and outcomes of one load phase."""

    name: str
    latencies: list[float] = field(default_factory=list)
    outcomes: Counter[str] = field(default_factory=Counter)
    wall: float = 0.0

    def record(self, started: float, outcome: str) -> None:
        self.latencies.append(time.perf_counter() - started)
        self.outcomes[outcome] += 1

    def quantile(self, q: float) -> float:
        ordered = sorted(self.latencies)
        return ordered[min(len(ordered) - 1, int(q * len(ordered)))] * 1000 if ordered else float("nan")


# --- server ----------------------------------------------------------------------------------

def free_port() -> int:
    with socket.socket() as probe:
        probe.bind((HOST, 0))
        return probe.getsockname()[1]


def server_command(args: argparse.Namespace, port: int) -> list[str]:
    if args.fake:
        return [sys.executable, __file__, "--serve-fake", "--port", str(port)]
    return [sys.executable, "-c", "import sys; from nlp.cli import main; sys.exit(main())",
            "serve", "--host", HOST, "--port", str(port), "--workers", str(args.workers)]


@contextmanager
def running_server(args: argparse.Namespace) -> Iterator[tuple[str, psutil.Process]]:
    port = free_port()
    log = tempfile.TemporaryFile("w+")  # not a pipe: a full pipe would stall the server
    process = subprocess.Popen(server_command(args, port), cwd=ROOT, stdout=subprocess.DEVNULL, stderr=log)
    try:
        base = f"http://{HOST}:{port}"
        wait_healthy(base, process, args.startup_timeout, log)
        yield base, psutil.Process(process.pid)
    finally:
        process.terminate()
        try:
            process.wait(timeout=15)
        except subprocess.TimeoutExpired:
            process.kill()
            process.wait()
        log.close()


def wait_healthy(base: str, process: subprocess.Popen, timeout: float, log: IO[str]) -> None:
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        if process.poll() is not None:
            log.seek(0)
            sys.exit(f"server exited with code {process.returncode} before becoming healthy:\n{log.read()[-3000:]}")
        try:
            if httpx.get(f"{base}/v1/health", timeout=2).status_code == 200:
                return
        except httpx.TransportError:
            pass
        time.sleep(0.2)
    sys.exit(f"server not healthy after {timeout:.0f} s")


def serve_fake(port: int) -> None:
    """Run the app with the fake scorer (the ``--fake`` server subprocess)."""
    import uvicorn

    sys.path.insert(0, str(ROOT / "tests"))
    from fake_scorer import make_scorer

    from nlp.api import create_app

    uvicorn.run(create_app(scorer=make_scorer()), host=HOST, port=port, log_level="warning")


def tree_rss_mb(process: psutil.Process) -> float:
    """RSS of the server and its workers, in MiB."""
    procs = [process, *process.children(recursive=True)]
    total = 0
    for proc in procs:
        try:
            total += proc.memory_info().rss
        except psutil.NoSuchProcess:
            pass
    return total / 2**20


# --- load ------------------------------------------------------------------------------------

def drive(phase: Phase, base: str, requests: Iterator[tuple[str, object]], clients: int,
          time_limit: float, on_progress: Callable[[int], None] = lambda _: None) -> Phase:
    """Send ``requests`` ((kind, json body) pairs) from ``clients`` threads until exhausted or timed out."""
    deadline = time.monotonic() + time_limit
    lock = threading.Lock()
    counter = itertools.count(1)

    def take() -> tuple[str, object] | None:
        with lock:  # generators are not thread-safe
            return next(requests, None) if time.monotonic() < deadline else None

    def worker() -> None:
        with httpx.Client(base_url=base, timeout=60) as client:
            while (request := take()) is not None:
                started = time.perf_counter()
                phase.record(started, send(client, *request))
                on_progress(next(counter))

    began = time.perf_counter()
    with ThreadPoolExecutor(clients) as pool:
        for future in [pool.submit(worker) for _ in range(clients)]:
            future.result()
    phase.wall = time.perf_counter() - began
    return phase


def send(client: httpx.Client, kind: str, body: object) -> str:
    """One request; the outcome is its status class, or the transport error's name."""
    try:
        if kind == "health":
            response = client.get("/v1/health")
        elif kind == "malformed":
            response = client.post("/v1/score", content=b"{not json",
                                   headers={"content-type": "application/json"})
        else:
            response = client.post("/v1/score", json=body)
    except httpx.TransportError as exc:
        return type(exc).__name__
    expected = 400 if kind == "malformed" else 200
    return "ok" if response.status_code == expected else f"http_{response.status_code}"


def single_rows(count: int) -> Iterator[tuple[str, object]]:
    return ((("row", {**ROWS[i % len(ROWS)], "row_id": str(i)})) for i in range(count))


def soak_mix(count: int) -> Iterator[tuple[str, object]]:
    """Mostly single rows, some 10-row batches, 1 in 50 malformed (error paths leak too)."""
    for i in range(count):
        if i % 50 == 49:
            yield "malformed", None
        elif i % 10 == 9:
            yield "batch", [{**ROWS[j % len(ROWS)], "row_id": str(j)} for j in range(10)]
        else:
            yield "row", {**ROWS[i % len(ROWS)], "row_id": str(i)}


def soak(base: str, server: psutil.Process, count: int, clients: int,
         time_limit: float) -> tuple[Phase, list[tuple[int, float]]]:
    samples = [(0, tree_rss_mb(server))]
    every = max(1, count // 20)

    def sample(done: int) -> None:
        if done % every == 0:
            samples.append((done, tree_rss_mb(server)))

    phase = drive(Phase(f"soak ({count} requests)"), base, soak_mix(count), clients, time_limit, sample)
    samples.append((sum(phase.outcomes.values()), tree_rss_mb(server)))
    return phase, samples


# --- report ----------------------------------------------------------------------------------

def report(phases: list[Phase], samples: list[tuple[int, float]], label: str) -> None:
    print(f"\nAPI benchmark — {label}")
    print(f"{'phase':<30}{'requests':>9}{'p50 ms':>9}{'p95 ms':>9}{'p99 ms':>9}{'max ms':>9}{'req/s':>9}  outcomes")
    for phase in phases:
        done = len(phase.latencies)
        rate = done / phase.wall if phase.wall else float("nan")
        outcomes = ", ".join(f"{k}={v}" for k, v in sorted(phase.outcomes.items()))
        print(f"{phase.name:<30}{done:>9}{phase.quantile(.5):>9.1f}{phase.quantile(.95):>9.1f}"
              f"{phase.quantile(.99):>9.1f}{phase.quantile(1):>9.1f}{rate:>9.1f}  {outcomes}")
    rss = [mb for _, mb in samples]
    print(f"\nserver RSS during soak (MiB): start {rss[0]:.1f}, end {rss[-1]:.1f}, "
          f"max {max(rss):.1f}, growth {rss[-1] - rss[0]:+.1f}")
    print("  " + "  ".join(f"{done}:{mb:.0f}" for done, mb in samples))


WRK_SCRIPT = """wrk.method = "POST"
wrk.headers["Content-Type"] = "application/json"
wrk.body = [[%s]]
"""


def wrk_latency(base: str, path: str, clients: int, seconds: int, body: dict | None = None) -> str:
    """p50/p90/p99 and req/s from ``wrk`` (a C load generator: the client costs far less CPU than
    httpx threads, which matters when client and server share two cores); "" without wrk."""
    wrk = shutil.which("wrk")
    if not wrk:
        return ""
    command = [wrk, "-t1", f"-c{clients}", f"-d{seconds}s", "--latency"]
    with tempfile.NamedTemporaryFile("w", suffix=".lua", encoding="utf-8") as script:
        if body is not None:
            script.write(WRK_SCRIPT % json.dumps(body, ensure_ascii=False))
            script.flush()
            command += ["-s", script.name]
        out = subprocess.run([*command, base + path], capture_output=True, text=True, check=True).stdout
    keep = [line.strip() for line in out.splitlines() if line.strip().startswith(("50%", "90%", "99%", "Requests/sec", "Non-2xx"))]
    return f"wrk {path} x {clients} for {seconds} s: " + ", ".join(keep)


def run(args: argparse.Namespace) -> None:
    label = "FAKE scorer (tests/fake_scorer.py)" if args.fake else f"real model, {args.workers} worker(s)"
    with running_server(args) as (base, server):
        drive(Phase("warm-up"), base, single_rows(64), 4, args.time_limit)
        health = ((("health", None)) for _ in range(args.requests))
        phases = [drive(Phase(f"GET health x {args.clients} (floor)"), base, health, args.clients, args.time_limit)]
        phases += [drive(Phase(f"1 row x {args.clients} clients"), base, single_rows(args.requests),
                        args.clients, args.time_limit)]
        big = [("batch", [{**ROWS[(i + 7 * k) % len(ROWS)], "row_id": str(i)} for i in range(1000)])
               for k in range(args.big_repeats)]
        phases.append(drive(Phase("1,000-row request"), base, iter(big), 1, args.time_limit))
        wrk_lines = [wrk_latency(base, "/v1/health", args.clients, 15),
                     wrk_latency(base, "/v1/score", args.clients, 15, ROWS[0])]
        soak_phase, samples = soak(base, server, args.soak_requests, args.clients, args.soak_seconds)
        phases.append(soak_phase)
    report(phases, samples, label)
    print("\n".join(line for line in wrk_lines if line) or "(wrk not installed: apt install wrk)")


def soak_count(text: str) -> int:
    return HOUR_EQUIVALENT if text == "hour" else int(text)


def parse_args(argv: list[str] | None = None) -> argparse.Namespace:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--fake", action="store_true", help="serve tests/fake_scorer.py instead of the model")
    parser.add_argument("--workers", type=int, default=1, help="iqc serve --workers (real model only)")
    parser.add_argument("--clients", type=int, default=32, help="concurrent client threads")
    parser.add_argument("--requests", type=int, default=3000, help="single-row requests in the latency phase")
    parser.add_argument("--big-repeats", type=int, default=5, help="how many 1,000-row requests")
    parser.add_argument("--soak-requests", type=soak_count, default=10_000,
                        help=f"soak length; 'hour' = {HOUR_EQUIVALENT} (100 req/s for an hour)")
    parser.add_argument("--soak-seconds", type=float, default=900, help="time cap of the soak")
    parser.add_argument("--time-limit", type=float, default=300, help="time cap of each other phase")
    parser.add_argument("--startup-timeout", type=float, default=180, help="seconds to wait for /v1/health")
    parser.add_argument("--serve-fake", action="store_true", help=argparse.SUPPRESS)
    parser.add_argument("--port", type=int, help=argparse.SUPPRESS)
    return parser.parse_args(argv)


if __name__ == "__main__":
    arguments = parse_args()
    if arguments.serve_fake:
        serve_fake(arguments.port)
    else:
        run(arguments)
