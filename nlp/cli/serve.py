"""``iqc serve``: run the HTTP scoring API under uvicorn.

The app is always given to uvicorn as the import string of its factory, so one worker and N
workers run the same code path: each worker process builds its own app and loads the model once.
Limits, the API key and the configuration (``IQC_CONFIG``) come from ``data/api.toml`` and the
``IQC_*`` environment variables.
"""
from __future__ import annotations

import argparse
import os
import sys
from pathlib import Path

from nlp.cli import EXIT_OK, EXIT_USAGE, positive_int, whole_number

APP_FACTORY = "nlp.api.app:create_app"


def _port(text: str) -> int:
    """An argparse ``type``: a TCP port, so ``--port 99999`` is a usage error, not a traceback."""
    value = positive_int(text)
    if value > 65535:
        raise argparse.ArgumentTypeError(f"ports go up to 65535, not {value}")
    return value


def register(subparsers: argparse._SubParsersAction) -> None:
    parser = subparsers.add_parser(
        "serve", help="run the HTTP scoring API and the review page",
        description="Serve POST /v1/score, /v1/score/file, GET /v1/codes, /v1/model, /v1/health "
                    "(docs at /docs) and the review page /review. "
                    "Limits: IQC_MAX_ROWS, IQC_MAX_BODY_BYTES, IQC_MAX_CELL_CHARS; "
                    "set IQC_API_KEY to require header X-API-Key; IQC_CONFIG names an iqc.toml.")
    parser.add_argument("--host", default="127.0.0.1", help="address to bind (default: %(default)s)")
    parser.add_argument("--port", type=_port, default=8000, help="port, 1-65535 (default: %(default)s)")
    parser.add_argument("--db", type=Path, default=None, metavar="PATH",
                        help="review store of /review (SQLite, created on first use; default: $IQC_REVIEW_DB "
                             "or ./iqc-review.sqlite3); findings rejected there are left out of /v1 results")
    parser.add_argument("--workers", type=positive_int, default=1,
                        help="worker processes, each with its own copy of the model (default: %(default)s)")
    parser.add_argument("--request-helpers", type=whole_number, default=None, metavar="N",
                        help="helper processes per worker that score a large request's never-seen rows beside "
                             "it, each with its own copy of the model (default: $IQC_REQUEST_HELPERS, else "
                             "request_helpers in data/api.toml, 1; 0 with --workers above 1)")
    parser.set_defaults(handler=run)


def run(args: argparse.Namespace) -> int:
    import uvicorn

    from nlp.api.nodelay import NoDelayHTTPProtocol
    from nlp.api.settings import HELPERS_ENV, ApiSettings
    from nlp.artifacts import ArtifactError
    from nlp.config import model_thresholds
    from nlp.review.service import DB_ENV, check_store, store_path
    from nlp.review.store import StoreError

    if args.db is not None:  # the workers build their apps from the environment
        os.environ[DB_ENV] = str(args.db.resolve())
    try:  # fail here, once, rather than in every worker
        ApiSettings.from_env().config.check_thresholds(model_thresholds())
        check_store(store_path())
    except (ValueError, ArtifactError, StoreError) as exc:
        print(f"iqc serve: {exc}", file=sys.stderr)
        return EXIT_USAGE
    if args.request_helpers is not None:
        os.environ[HELPERS_ENV] = str(args.request_helpers)
    elif args.workers > 1:  # the workers already use the cores
        os.environ.setdefault(HELPERS_ENV, "0")
    uvicorn.run(APP_FACTORY, factory=True, host=args.host, port=args.port, workers=args.workers,
                http=NoDelayHTTPProtocol)
    return EXIT_OK
